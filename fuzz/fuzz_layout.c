/*
 * fuzz_layout.c: cv_layout_page on synthetic glyph arrays, then the hyphen and lost-ligature
 * repairs on what it produced. Every 10 input bytes are one glyph: a code point (3 bytes,
 * little endian, masked to 21 bits), x and y (2 bytes each, in tenths of a point), width and
 * height (1 byte each, tenths of a point) and a byte whose low 6 bits are the font size and
 * whose top bit is bold. Small coordinates keep glyphs close, so rows, columns and words form.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/common.h"
#include "engines/cv/layout.h"
#include "engines/cv/repair.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = MD_MIN(size / 10, (size_t)20000);
	struct cv_glyph *g = md_calloc(n ? n : 1, sizeof *g);
	if (!g)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *d = data + 10 * i;
		double x = (d[3] | d[4] << 8) / 10.0, y = (d[5] | d[6] << 8) / 10.0;
		g[i] = (struct cv_glyph){ (uint32_t)(d[0] | d[1] << 8 | d[2] << 16) & 0x1FFFFF,
			                  x,
			                  y,
			                  x + d[7] / 10.0,
			                  y + d[8] / 10.0,
			                  (double)(d[9] & 0x3F),
			                  (d[9] & 0x80) != 0 };
	}
	struct buf out;
	buf_init(&out, 1 << 20);
	struct cv_layout_info info;
	int rc = cv_layout_page(g, n, 612, 792, &out, &info);
	if (rc != 0 && rc != MD_ELIMIT && rc != MD_ENOMEM)
		__builtin_trap();
	if (info.glyphs > n || info.columns < 1)
		__builtin_trap();
	size_t nw;
	const char *const *w = cv_words_builtin(&nw);
	int k = 0;
	if (cv_repair_hyphens(&out, w, nw, &k) == 0 && out.data &&
	    cv_repair_ligature_gaps(&out, w, nw, &k) == 0 && strlen(out.data) != out.len)
		__builtin_trap();
	buf_release(&out);
	md_free(g);
	return 0;
}
