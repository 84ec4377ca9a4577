/*
 * fuzz_cv_tagger.c: the skill tagger's weight file parser and the tagger on arbitrary bytes.
 * The input is split at the first "\n---\n": the part before is loaded as a weight file, the
 * part after (or the whole input when the load fails) is cut into lines and tagged, with a
 * taxonomy span over every third line; each phrase must lie inside its line.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/common.h"
#include "engines/cv/tagger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 256

static int on_phrase(void *ctx, size_t line, size_t off, size_t len)
{
	const struct cv_tag_line *lines = ctx;
	if (line >= MAX_LINES || len == 0 || off > lines[line].len || len > lines[line].len - off)
		__builtin_trap();
	return 0;
}

static void trace(void *ctx, size_t line, size_t off, const char *token, size_t len,
                  const char *features)
{
	const struct cv_tag_line *lines = ctx;
	if (token != lines[line].text + off || len == 0 || !features[0])
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *sep = memmem(s, size, "\n---\n", 5);
	size_t wl = sep ? (size_t)(sep - s) : size;
	const char *text = sep ? sep + 5 : s;
	size_t xl = sep ? size - wl - 5 : size;
	struct cv_tagger t;
	char err[128];
	int rc = cv_tagger_load(&t, s, wl, err, sizeof(err));
	if (rc != 0 && rc != MD_EINVAL && rc != MD_ELIMIT && rc != MD_ENOMEM)
		__builtin_trap();
	if (rc != 0)
		memset(&t, 0, sizeof(t));
	static struct cv_tag_line lines[MAX_LINES];
	struct cv_tag_span spans[MAX_LINES];
	size_t n = 0, ns = 0;
	for (size_t pos = 0; pos <= xl && n < MAX_LINES;) {
		const char *nl = memchr(text + pos, '\n', xl - pos);
		size_t end = nl ? (size_t)(nl - text) : xl;
		lines[n] = (struct cv_tag_line){ text + pos, end - pos, (int)(n % 13), n % 5 == 0 };
		if (n % 3 == 0 && end > pos)
			spans[ns++] =
			    (struct cv_tag_span){ n, (end - pos) / 3, (end - pos) / 2 + 1 };
		n++;
		pos = end + 1;
	}
	(void)!cv_tagger_tag(&t, lines, n, spans, ns, on_phrase, lines);
	t.trace = trace;
	t.trace_ctx = lines;
	(void)!cv_tagger_tag(&t, lines, n, spans, ns, on_phrase, lines);
	cv_tagger_release(&t);
	return 0;
}
