/*
 * multipart.h: a streaming multipart/form-data parser (RFC 7578, RFC 2046).
 *
 * The body is fed in pieces of any size, split at any byte; part data comes out through
 * callbacks as it arrives. The parser never holds more than one part's header block
 * (max_header_bytes) plus the partial delimiter it is matching, so memory is bounded whatever
 * the body size. The delimiter is CRLF "--" boundary; the CRLF before it belongs to the
 * delimiter and is never delivered as data.
 *
 * Invariants: parts are reported as begin, data*, end, in order; no data outside a part; the
 * total of data delivered never exceeds the bytes fed; after the first error every call returns
 * that error and multipart_error() explains it. Preamble and epilogue are ignored.
 *
 * Tolerated: transport padding (spaces, tabs) after a boundary, folded header lines, LWS around
 * header names and values, unknown headers. "\r\n--boundary" followed by a byte other than
 * '-', space, tab or CR is data, not a delimiter (as Go's mime/multipart does).
 */
#ifndef MATCHD_HTTP_MULTIPART_H
#define MATCHD_HTTP_MULTIPART_H

#include "base/common.h"

#define MULTIPART_BOUNDARY_MAX 70
#define MULTIPART_DEFAULT_MAX_PARTS 16
#define MULTIPART_DEFAULT_MAX_HEADER_BYTES (8 * 1024)
#define MULTIPART_DEFAULT_MAX_TOTAL_BYTES ((uint64_t)64 * 1024 * 1024)

/* A zero field means its default. */
struct multipart_limits {
	size_t max_parts;         /* parts per body */
	size_t max_header_bytes;  /* header block of one part, blank line included */
	uint64_t max_total_bytes; /* whole body as fed, preamble and epilogue included */
};

/*
 * Valid during on_part_begin only: copy what you keep. Strings are NUL-terminated; a header
 * that contains a NUL byte is rejected, so they are never cut short.
 */
struct multipart_part_info {
	const char *name;         /* Content-Disposition name, never NULL (may be "") */
	const char *filename;     /* filename* (UTF-8) if present, else filename; NULL if neither.
				   * Untrusted: never use it as a path. */
	const char *content_type; /* the Content-Type value as sent, NULL if absent (text/plain) */
	size_t index;             /* 0 for the first part */
};

/* Each callback may be NULL. A negative return aborts the parse with that code. */
struct multipart_callbacks {
	int (*on_part_begin)(void *ctx, const struct multipart_part_info *info);
	int (*on_part_data)(void *ctx, const char *data, size_t len); /* len > 0 */
	int (*on_part_end)(void *ctx);
};

struct multipart {
	/* All private: use the functions below. */
	char delim[4 + MULTIPART_BOUNDARY_MAX + 1]; /* "\r\n--" boundary */
	size_t delim_len;
	size_t match; /* bytes of delim matched so far */
	int state;
	bool in_part; /* data belongs to a part (false: preamble) */
	struct multipart_limits limits;
	struct multipart_callbacks cb;
	void *ctx;
	char *hdr; /* the current header block, max_header_bytes */
	size_t hdr_len;
	char *values; /* decoded header values handed to on_part_begin */
	size_t values_cap;
	size_t values_len;
	size_t parts;
	uint64_t total;
	int err;
	const char *errmsg;
};

/*
 * Extracts the boundary parameter of a Content-Type header value such as
 * `multipart/form-data; charset=utf-8; boundary="a b"` into out (cap bytes, NUL-terminated).
 * The type is matched case-insensitively, parameters may come in any order with LWS around
 * them, values are tokens or quoted strings (backslash escapes). The boundary must be 1..70
 * characters of RFC 2046 bchars, not ending in a space. Returns 0, MD_EINVAL (not
 * multipart/form-data, malformed, no or duplicate or invalid boundary) or MD_ELIMIT (cap too
 * small: 71 bytes always suffice).
 */
MD_WUR int multipart_boundary(const char *content_type, char *out, size_t cap);

/*
 * Prepares mp to parse a body with this boundary (as multipart_boundary() returns it).
 * limits may be NULL (all defaults); cb is copied. Returns 0, MD_EINVAL (bad boundary) or
 * MD_ENOMEM. After a failure mp needs no release; after success call multipart_release().
 */
MD_WUR int multipart_init(struct multipart *mp, const char *boundary,
                          const struct multipart_limits *limits,
                          const struct multipart_callbacks *cb, void *ctx);

/* Frees the parser's buffers. Safe to call twice. */
void multipart_release(struct multipart *mp);

/*
 * Parses the next len bytes of the body, calling the callbacks. Returns 0 or a negative code:
 * MD_EINVAL (malformed), MD_ELIMIT (a limit: too many parts, header too large, body too large)
 * or what a callback returned. Bytes after the closing delimiter are ignored.
 */
MD_WUR int multipart_feed(struct multipart *mp, const char *data, size_t len);

/*
 * Ends the body. Returns 0 when the closing delimiter "--boundary--" was seen, else MD_EINVAL
 * ("missing final boundary") or the earlier error.
 */
MD_WUR int multipart_finish(struct multipart *mp);

/* A short English message for the first error, e.g. "too many parts"; NULL if none. */
const char *multipart_error(const struct multipart *mp);

/* The number of parts begun so far. */
size_t multipart_parts(const struct multipart *mp);

#endif
