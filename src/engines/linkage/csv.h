/*
 * csv.h: the CSV reader of the linkage engine: bytes in memory to a struct lk_table.
 *
 * What it accepts: RFC 4180 (fields quoted with '"', "" inside quotes for a quote, quoted
 * fields may hold delimiters, line breaks and CRLF), a UTF-8 byte-order mark (skipped), LF,
 * CRLF or CR line ends, and one delimiter among ',' ';' '\t' '|', sniffed from the header line
 * (the most frequent outside quotes, ',' on a tie or when none occurs). Spaces around
 * unquoted fields are trimmed, so FEBRL's ", " separators give clean values. Blank lines are
 * skipped. Input that is not valid UTF-8 is taken to be Latin-1 (Windows-1252 for the bytes
 * 0x80-0x9F) and converted to UTF-8.
 *
 * The first line is the header: its names are trimmed and must be non-empty and unique. Every
 * other record must have exactly as many fields. A header-only file is a valid table of 0
 * rows; an empty file is an error. NUL and other control bytes (except tab, CR, LF) mean the
 * input is not text and are refused.
 *
 * Errors say where: err->line is the 1-based physical line (the line a record or quoted field
 * starts on) and err->message a sentence such as "row has 3 fields, the header has 11".
 *
 * Cost: one validation pass and one parsing pass over the bytes; the strings go into the
 * table's arena (table.h), a few large allocations in all.
 */
#ifndef MATCHD_ENGINES_LINKAGE_CSV_H
#define MATCHD_ENGINES_LINKAGE_CSV_H

#include <stddef.h>

#include "engines/linkage/linkage.h"

struct lk_csv_error {
	size_t line;       /* 1-based; 0 when the error is not about a place in the file */
	char message[160]; /* NUL-terminated */
};

/* Hard limits; a zero member means its default. */
struct lk_csv_limits {
	size_t max_bytes;       /* default 512 MiB */
	size_t max_rows;        /* data rows, header excluded; default 20 million */
	size_t max_cols;        /* default 1024 */
	size_t max_field_bytes; /* after UTF-8 conversion; default 64 KiB */
};

#define LK_CSV_DEFAULT_MAX_BYTES ((size_t)512 << 20)
#define LK_CSV_DEFAULT_MAX_ROWS ((size_t)20000000)
#define LK_CSV_DEFAULT_MAX_COLS ((size_t)1024)
#define LK_CSV_DEFAULT_MAX_FIELD_BYTES ((size_t)64 << 10)

/*
 * Parses data[0..len) into out (released first; left empty on error). lim and err may be NULL.
 * Returns 0, MD_EINVAL for malformed input, MD_ELIMIT when a limit is exceeded, or
 * MD_ENOMEM; on error *err says what and where.
 */
MD_WUR int lk_csv_parse(const char *data, size_t len, const struct lk_csv_limits *lim,
                        struct lk_table *out, struct lk_csv_error *err);

#endif
