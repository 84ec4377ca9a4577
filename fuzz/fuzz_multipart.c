/*
 * fuzz_multipart.c: libFuzzer harness for the streaming multipart parser.
 *
 * Input layout: byte 0 picks the boundary (low 6 bits: 0 means "AaB03x", else that many of the
 * following bytes mapped onto RFC 2046 bchars) and, with bit 6, small limits; byte 1 seeds the
 * chunk sizes (0: one chunk); byte 2 sets the small limits; the rest is the body. The body is
 * parsed twice, chunked and whole, and both runs must report exactly the same events, data,
 * result and message. Other invariants: data only inside parts, begin/end balanced, no
 * callback after an error, delivered data never exceeds the body, parts <= max_parts.
 */
#include "base/common.h"
#include "http/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_multipart: invariant failed: %s (line %d)\n", #cond, \
			        __LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

struct run {
	bool open, failed;
	size_t begins, ends;
	uint64_t data_bytes;
	uint64_t hash;      /* events and per-part data, independent of the chunking */
	uint64_t part_hash; /* the current part's data */
	int rc;
	const char *err;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211ull;
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return s ? fnv(h, s, strlen(s) + 1) : fnv(h, "\xff", 1);
}

static int on_begin(void *ctx, const struct multipart_part_info *info)
{
	struct run *r = ctx;
	CHECK(!r->failed && !r->open && info->name && info->index == r->begins);
	r->open = true;
	r->begins++;
	r->part_hash = 14695981039346656037ull;
	r->hash = fnv(r->hash, "B", 1);
	r->hash =
	    fnv_str(fnv_str(fnv_str(r->hash, info->name), info->filename), info->content_type);
	return 0;
}

static int on_data(void *ctx, const char *p, size_t n)
{
	struct run *r = ctx;
	CHECK(!r->failed && r->open && n > 0);
	r->data_bytes += n;
	r->part_hash = fnv(r->part_hash, p, n);
	return 0;
}

static int on_end(void *ctx)
{
	struct run *r = ctx;
	CHECK(!r->failed && r->open);
	r->open = false;
	r->ends++;
	r->hash = fnv(r->hash, &r->part_hash, sizeof(r->part_hash));
	return 0;
}

static const char bchars[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ";

static void parse(const char *boundary, const struct multipart_limits *lim, const char *body,
                  size_t n, unsigned seed, struct run *r)
{
	static const struct multipart_callbacks cb = { on_begin, on_data, on_end };
	struct multipart mp;
	memset(r, 0, sizeof(*r));
	r->hash = 14695981039346656037ull;
	CHECK(multipart_init(&mp, boundary, lim, &cb, r) == 0);
	uint32_t state = seed * 2654435761u + 1;
	for (size_t at = 0; at < n && r->rc == 0;) {
		size_t k = n - at;
		if (seed) {
			state = state * 1103515245u + 12345u;
			k = MD_MIN(k, 1 + (state >> 16) % seed);
		}
		r->rc = multipart_feed(&mp, body + at, k);
		at += k;
	}
	if (r->rc == 0)
		r->rc = multipart_finish(&mp);
	r->failed = r->rc != 0;
	CHECK(!r->failed || multipart_feed(&mp, "--", 2) == r->rc);
	r->err = multipart_error(&mp);
	CHECK((r->rc == 0) == (r->err == NULL));
	CHECK(r->rc == 0 || r->rc == MD_EINVAL || r->rc == MD_ELIMIT);
	CHECK(r->rc != 0 || (!r->open && r->begins == r->ends));
	CHECK(r->begins == multipart_parts(&mp) && r->begins <= mp.limits.max_parts);
	CHECK(r->data_bytes <= n);
	multipart_release(&mp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char boundary[MULTIPART_BOUNDARY_MAX + 1] = "AaB03x";
	struct multipart_limits lim = { 0 };
	if (size < 3)
		return 0;
	size_t blen = data[0] & 0x3f, at = 3;
	if (blen) {
		blen = MD_MIN(blen, (size_t)MULTIPART_BOUNDARY_MAX);
		if (size < at + blen)
			return 0;
		for (size_t i = 0; i < blen; i++)
			boundary[i] = bchars[data[at + i] % (sizeof(bchars) - 1)];
		if (boundary[blen - 1] == ' ')
			boundary[blen - 1] = 'x';
		boundary[blen] = '\0';
		at += blen;
	}
	if (data[0] & 0x40) {
		lim.max_parts = (data[2] & 7) + 1;
		lim.max_header_bytes = 16 + (size_t)(data[2] >> 3) * 32;
		lim.max_total_bytes = (data[0] & 0x80) ? 64 + (size_t)data[2] * 4 : 0;
	}
	/* An exact-size copy, so ASan sees any read past the end. */
	size_t n = size - at;
	char *body = md_malloc(n ? n : 1);
	if (!body)
		return 0;
	memcpy(body, data + at, n);
	struct run chunked, whole;
	parse(boundary, &lim, body, n, data[1], &chunked);
	parse(boundary, &lim, body, n, 0, &whole);
	CHECK(chunked.rc == whole.rc);
	CHECK(chunked.err == whole.err || !strcmp(chunked.err, whole.err));
	CHECK(chunked.hash == whole.hash && chunked.begins == whole.begins);
	CHECK(chunked.data_bytes == whole.data_bytes);
	CHECK(chunked.open == whole.open && (!whole.open || chunked.part_hash == whole.part_hash));
	md_free(body);
	return 0;
}
