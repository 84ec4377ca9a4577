/*
 * linkage_upload.h: validation of a dataset upload while it streams. It owns the cutting of
 * the CSV bytes into batches of whole records, each checked by the engine's reader
 * (lk_csv_parse) behind a copy of the header, so a file of any size is validated with memory
 * bounded by one batch plus its parsed table, and the errors are the reader's own, naming the
 * line of the whole file.
 *
 * The cuts follow the reader's grammar (csv.h): a quote opens a quoted field only at the start
 * of a field (after trimmed spaces), "" inside quotes is a quote, and a line end (LF, CRLF or
 * CR) outside quotes ends a record. The delimiter is sniffed from the header line as the
 * reader does. What a batch-wise check cannot see is documented in lk_upload_finish.
 */
#ifndef MATCHD_API_LINKAGE_UPLOAD_H
#define MATCHD_API_LINKAGE_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "engines/linkage/csv.h"

/* Records are checked once this many bytes of whole records are waiting: small enough that
 * the parsed batch costs a few MiB, large enough that the per-batch cost is noise. */
#define LK_UPLOAD_BATCH ((size_t)1 << 20)
/* The longest header or single record accepted (the bound on memory while streaming). */
#define LK_UPLOAD_MAX_RECORD ((size_t)8 << 20)

struct lk_upload_check {
	/* All private: use the functions below. */
	struct buf pending; /* header record, then the records not yet checked */
	size_t scan;        /* bytes of pending the state machine has seen */
	size_t header_len;  /* 0 until the header record has ended */
	size_t cut;         /* end of the last whole record in pending */
	size_t line;        /* 1-based physical line of pending[scan] */
	size_t cut_line;    /* line of pending[cut] */
	size_t base_line;   /* line of pending[header_len] */
	size_t header_next; /* line after the header record */
	bool delim_known;
	char delim;
	int state;
	bool prev_cr, cr_open, rec_nonblank;
	size_t rows;
	size_t max_rows;
	size_t batch;      /* LK_UPLOAD_BATCH; tests lower it */
	size_t max_record; /* LK_UPLOAD_MAX_RECORD; tests lower it */
	char **colnames;   /* the header names, md_malloc'd strings */
	size_t ncols;
	int rc;
	struct lk_csv_error err;
};

void lk_upload_init(struct lk_upload_check *u);
void lk_upload_release(struct lk_upload_check *u);
/* Feeds the next bytes. 0, or the first error (then err says what and where). */
int lk_upload_feed(struct lk_upload_check *u, const char *data, size_t len);
/*
 * Ends the input and checks what is left. 0 when the whole file is a valid table: ncols,
 * colnames and rows then describe it. A whole-file parse may still differ in two corners: a
 * file that is Latin-1 in one batch and valid UTF-8 in another is converted as a whole by the
 * reader (values change, validity does not, except a field near 64 KiB that grows past it),
 * and a single record longer than LK_UPLOAD_MAX_RECORD is refused here.
 */
int lk_upload_finish(struct lk_upload_check *u);
const struct lk_csv_error *lk_upload_error(const struct lk_upload_check *u);

#endif
