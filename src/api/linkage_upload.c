/* linkage_upload.c: batch-wise validation of a streamed CSV upload (see linkage_upload.h). */
#include "api/linkage_upload.h"

#include "base/common.h"
#include "engines/linkage/table.h"

/* Where the scanner is within a record (csv.c's grammar). */
enum { ST_FIELD_START, ST_UNQUOTED, ST_QUOTED, ST_QUOTE_IN_QUOTED };

/* Header (up to the record cap), a batch and one record beyond it, and one network piece. */
#define PENDING_LIMIT (2 * LK_UPLOAD_MAX_RECORD + LK_UPLOAD_BATCH + ((size_t)1 << 20))

void lk_upload_init(struct lk_upload_check *u)
{
	memset(u, 0, sizeof *u);
	buf_init(&u->pending, PENDING_LIMIT);
	u->line = u->cut_line = u->base_line = u->header_next = 1;
	u->max_rows = LK_CSV_DEFAULT_MAX_ROWS;
	u->batch = LK_UPLOAD_BATCH;
	u->max_record = LK_UPLOAD_MAX_RECORD;
}

static void free_names(struct lk_upload_check *u)
{
	for (size_t i = 0; i < u->ncols; i++)
		md_free(u->colnames[i]);
	md_free(u->colnames);
	u->colnames = NULL;
	u->ncols = 0;
}

void lk_upload_release(struct lk_upload_check *u)
{
	buf_release(&u->pending);
	free_names(u);
}

const struct lk_csv_error *lk_upload_error(const struct lk_upload_check *u)
{
	return &u->err;
}

static int fail(struct lk_upload_check *u, int rc, size_t line, const char *msg)
{
	u->rc = rc;
	u->err.line = line;
	snprintf(u->err.message, sizeof u->err.message, "%s", msg);
	return rc;
}

/* The delimiter as csv.c sniffs it: the most frequent of , ; \t | outside quotes on the
 * header's first physical line; ',' on a tie or none. */
static char sniff(const char *p, const char *end)
{
	static const char cands[] = { ',', ';', '\t', '|' };
	size_t counts[4] = { 0 };
	bool quoted = false;
	for (; p < end; p++) {
		if (*p == '"') {
			quoted = !quoted;
		} else if (!quoted) {
			if (*p == '\n' || *p == '\r')
				break;
			for (size_t k = 0; k < 4; k++)
				counts[k] += *p == cands[k];
		}
	}
	size_t best = 0;
	for (size_t k = 1; k < 4; k++)
		if (counts[k] > counts[best])
			best = k;
	return cands[best];
}

/* Decides the delimiter once the header's first line is complete (or the input ended). */
static void find_delim(struct lk_upload_check *u, bool at_end)
{
	if (!u->pending.len) {
		/* Nothing yet; at the end, an empty file (the reader says so). */
		u->delim = ',';
		u->delim_known = at_end;
		return;
	}
	const char *p = u->pending.data, *end = p + u->pending.len;
	if (u->pending.len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	while (p < end && (*p == '\n' || *p == '\r'))
		p++;
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol && !at_end)
		return;
	u->delim = sniff(p, eol ? eol : end);
	u->delim_known = true;
}

/* A record ended at pending[at] with the next byte on line. */
static void record_end(struct lk_upload_check *u, size_t at, size_t line)
{
	u->cut = at;
	u->cut_line = line;
	if (!u->header_len && u->rec_nonblank) {
		u->header_len = at;
		u->header_next = line;
		u->base_line = line;
	}
	u->rec_nonblank = false;
}

/* Runs the record scanner over the bytes of pending not seen yet. */
static void scan(struct lk_upload_check *u)
{
	const char *d = u->pending.data;
	bool trim_tabs = u->delim != '\t';
	/* The byte-order mark is not content: a blank line after it is still blank. */
	if (u->scan == 0 && u->pending.len >= 3 && !memcmp(d, "\xEF\xBB\xBF", 3))
		u->scan = 3;
	for (size_t i = u->scan; i < u->pending.len; i++) {
		char c = d[i];
		/* A bare CR ends a record: known only once the next byte is not LF. */
		if (u->cr_open) {
			u->cr_open = false;
			if (c != '\n')
				record_end(u, i, u->line);
		}
		if (c == '\r' || (c == '\n' && !u->prev_cr))
			u->line++;
		u->prev_cr = c == '\r';
		if (u->state == ST_QUOTE_IN_QUOTED) {
			if (c == '"') {
				u->state = ST_QUOTED;
				continue;
			}
			u->state = ST_UNQUOTED; /* after the closing quote */
		}
		if (u->state == ST_QUOTED) {
			if (c == '"')
				u->state = ST_QUOTE_IN_QUOTED;
			continue;
		}
		if (c == '\n') {
			u->state = ST_FIELD_START;
			record_end(u, i + 1, u->line);
			continue;
		}
		if (c == '\r') {
			u->state = ST_FIELD_START;
			u->cr_open = true;
			continue;
		}
		u->rec_nonblank = true;
		if (c == u->delim)
			u->state = ST_FIELD_START;
		else if (u->state == ST_FIELD_START && c == '"')
			u->state = ST_QUOTED;
		else if (u->state == ST_FIELD_START && !(c == ' ' || (c == '\t' && trim_tabs)))
			u->state = ST_UNQUOTED;
	}
	u->scan = u->pending.len;
}

/*
 * Parses pending[0..end) (the header and the records after it) and, on success, drops the
 * checked records. The reader's line numbers are relative to that text, where the records
 * after the header begin on header_next; they begin on base_line in the file.
 */
static int check(struct lk_upload_check *u, size_t end, size_t next_line)
{
	struct lk_table t;
	lk_table_init(&t);
	struct lk_csv_error e = { 0 };
	struct lk_csv_limits lim = { .max_bytes = PENDING_LIMIT };
	int rc = lk_csv_parse(u->pending.data ? u->pending.data : "", end, &lim, &t, &e);
	if (rc) {
		size_t line = e.line;
		if (line >= u->header_next && u->header_len)
			line = u->base_line + (line - u->header_next);
		lk_table_release(&t);
		u->rc = rc;
		u->err = e;
		u->err.line = line;
		/* A message that names the line itself ("... starting at line N") is renumbered. */
		char rel[32];
		snprintf(rel, sizeof rel, " line %zu", e.line);
		char *at = line != e.line ? strstr(e.message, rel) : NULL;
		if (at && (at[strlen(rel)] < '0' || at[strlen(rel)] > '9')) {
			char fixed[sizeof e.message];
			snprintf(fixed, sizeof fixed, "%.*s line %zu%s", (int)(at - e.message),
			         e.message, line, at + strlen(rel));
			snprintf(u->err.message, sizeof u->err.message, "%s", fixed);
		}
		return rc;
	}
	if (!u->colnames) {
		u->colnames = md_calloc(t.ncols ? t.ncols : 1, sizeof(char *));
		for (size_t c = 0; u->colnames && c < t.ncols; c++) {
			if (!(u->colnames[c] = md_strdup(t.colnames[c]))) {
				u->ncols = c;
				free_names(u);
				break;
			}
			u->ncols = c + 1;
		}
		if (!u->colnames) {
			lk_table_release(&t);
			return fail(u, MD_ENOMEM, 0, "out of memory");
		}
	}
	u->rows += t.nrows;
	lk_table_release(&t);
	if (u->rows > u->max_rows)
		return fail(u, MD_ELIMIT, next_line, "too many rows");
	if (!u->header_len)
		return 0;
	/* Keep the header, drop the checked records. */
	size_t keep = u->pending.len - end;
	memmove(u->pending.data + u->header_len, u->pending.data + end, keep);
	u->pending.len = u->header_len + keep;
	u->scan -= end - u->header_len;
	u->cut = u->header_len;
	u->base_line = next_line;
	return 0;
}

int lk_upload_feed(struct lk_upload_check *u, const char *data, size_t len)
{
	if (u->rc)
		return u->rc;
	if (buf_append(&u->pending, data, len))
		return fail(u, MD_ELIMIT, u->base_line, "a record is too long");
	if (!u->delim_known)
		find_delim(u, false);
	if (u->delim_known)
		scan(u);
	if (!u->header_len) {
		if (u->pending.len > u->max_record) {
			char msg[96];
			snprintf(msg, sizeof msg, "the header is longer than %zu bytes",
			         u->max_record);
			return fail(u, MD_ELIMIT, 1, msg);
		}
		return 0;
	}
	if (u->cut - u->header_len >= u->batch)
		return check(u, u->cut, u->cut_line);
	if (u->pending.len - u->cut > u->max_record) {
		/* No record end for too long: let the reader say why (an unterminated quote,
		 * usually) over what is here, else refuse the record as too long. */
		if (check(u, u->pending.len, u->line) == 0) {
			char msg[96];
			snprintf(msg, sizeof msg, "a record is longer than %zu bytes",
			         u->max_record);
			return fail(u, MD_ELIMIT, u->cut_line, msg);
		}
		return u->rc;
	}
	return 0;
}

int lk_upload_finish(struct lk_upload_check *u)
{
	if (u->rc)
		return u->rc;
	if (!u->delim_known)
		find_delim(u, true);
	scan(u);
	/* The last record needs no line end; with no header at all the reader reports the
	 * empty file. After a check the header alone remains: a table of the rows counted. */
	if (u->pending.len > u->header_len || !u->header_len || !u->colnames)
		return check(u, u->pending.len, u->line);
	return 0;
}
