/*
 * fuzz_sections.c: the repair of flattened plain text, column reordering, heading detection and
 * the extractors on arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/common.h"
#include "engines/cv/contact.h"
#include "engines/cv/languages.h"
#include "engines/cv/positions.h"
#include "engines/cv/repair.h"
#include "engines/cv/sections.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data; /* not NUL-terminated on purpose */
	struct buf flat;
	buf_init(&flat, 1 << 20);
	int restored = 0;
	if (buf_append(&flat, text, size) == 0 && cv_repair_flat_text(&flat, &restored) == 0) {
		/* Breaks replace space runs and escapes shrink: the text never grows, and only a
		 * NUL of the input can hide in it. */
		if (flat.len > size || (restored == 0 && flat.len != size) ||
		    (!memchr(text, 0, size) && flat.data && strlen(flat.data) != flat.len))
			__builtin_trap();
	}
	buf_release(&flat);
	struct buf cols;
	buf_init(&cols, 1 << 20);
	if (cv_text_columns(text, size, &cols) == 0 && cols.len > size + size / 2 + 4096)
		__builtin_trap(); /* reordering only adds line breaks */
	buf_release(&cols);

	static struct cv_line lines[MAX_LINES];
	size_t n = 0, pos = 0;
	while (pos < size && n < MAX_LINES) {
		const char *nl = memchr(text + pos, '\n', size - pos);
		size_t end = nl ? (size_t)(nl - text) : size;
		lines[n] = (struct cv_line){ .text = text + pos,
			                     .len = end - pos,
			                     .fold = text + pos,
			                     .fold_len = end - pos,
			                     .off = pos,
			                     .page = 1 };
		n++;
		pos = end + 1;
	}
	cv_sections_assign(lines, n);
	struct cv_contact c;
	cv_contact_extract(lines, n, &c);
	if (strlen(c.name) >= sizeof c.name || strlen(c.phone_e164) >= sizeof c.phone_e164)
		__builtin_trap();
	static struct cv_position p[MAX_LINES];
	size_t np = cv_positions_extract(lines, n, NULL, 0, 19889, p, MAX_LINES);
	if (np > n)
		__builtin_trap();
	double y;
	size_t at;
	(void)cv_stated_years(lines, n, &y, &at);
	struct cv_language l[16];
	(void)cv_languages_extract(lines, n, l, 16);
	return 0;
}
