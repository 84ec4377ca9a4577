#include "engines/cv/layout.h"

#include "base/common.h"

#include <math.h>
#include <utf8proc.h>

#include "text/normalize.h"

/*
 * Thresholds, in units of the font size (sz) of the glyphs involved. Named so the reasoning in
 * layout.h can be checked against the code.
 */
#define ROW_TOL 0.4      /* vertical centres closer than this x height share a row */
#define SEG_GAP 1.5      /* a wider horizontal gap starts a new segment */
#define WORD_GAP 0.22    /* a wider gap between glyphs that are not stream neighbours is a space */
#define ADJ_WORD_GAP 0.5 /* the same for stream neighbours the PDF wrote without a space */
#define GUTTER_MIN 0.8   /* narrowest gutter */
#define TAB_GAP 0.8      /* a wider gap inside a line makes it tabular: never joined */
#define PARA_LEAD 1.7    /* a larger baseline distance ends the paragraph */
#define BLANK_LEAD 2.3   /* a larger one leaves an empty line */
#define MAX_DEPTH 3
#define MAX_BINS 2000
#define COORD_MAX 1e6

enum gkind { G_TEXT, G_ICON, G_SYMBOL };

struct gl {
	uint32_t cp;
	double x0, y0, x1, y1, yc, h, sz;
	size_t ord;     /* index in the caller's array */
	size_t pred;    /* index of the caller's previous glyph that is not white space */
	bool ws_before; /* white space between that glyph and this one */
	bool bold;
	enum gkind kind;
};

struct seg {
	size_t first, n; /* glyphs gl[first .. first + n) in x order */
	size_t row;
	double x0, x1, y0, y1, sz;
};

struct page {
	struct gl *g;
	size_t ng;
	struct seg *s;
	size_t ns;
	double body; /* median font size */
	struct buf *out;
	struct cv_layout_info *info;
	int sep; /* separator owed before the next text: 0 none, 1 '\n', 2 empty line */
	bool started;
};

/* ---- code point classes ---- */

static bool is_ws(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
	       c == 0x205F || c == 0x3000;
}

/* Invisible format characters that carry nothing: dropped without a trace. */
static bool is_invisible(uint32_t c)
{
	return c == 0xAD || (c >= 0x200B && c <= 0x200F) || c == 0x2060 || c == 0xFEFF ||
	       (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0100 && c <= 0xE01EF);
}

static bool is_icon(uint32_t c)
{
	if ((c >= 0xE000 && c <= 0xF8FF) || c >= 0xF0000)
		return true;
	if (c >= 0x1F000 && c <= 0x1FAFF)
		return true;
	if (c >= 0x2600 && c <= 0x26FF)
		return true;
	/* Dingbats, but not the checks and arrows that serve as bullets. */
	return c >= 0x2700 && c <= 0x27BF && c != 0x2713 && c != 0x2714 && c < 0x2794;
}

static bool is_garbage(uint32_t c)
{
	if (c == 0xFFFD || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return true;
	if (c < 0x20 || (c >= 0x7F && c <= 0x9F))
		return true;
	return utf8proc_category((utf8proc_int32_t)c) == UTF8PROC_CATEGORY_CN;
}

static bool is_alnum_cp(uint32_t c)
{
	switch (utf8proc_category((utf8proc_int32_t)c)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO: return true;
	default: return false;
	}
}

static bool is_letter(uint32_t c)
{
	int k = utf8proc_category((utf8proc_int32_t)c);
	return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}

static bool is_lower(uint32_t c)
{
	return utf8proc_category((utf8proc_int32_t)c) == UTF8PROC_CATEGORY_LL;
}

static bool is_upper(uint32_t c)
{
	return utf8proc_category((utf8proc_int32_t)c) == UTF8PROC_CATEGORY_LU;
}

static bool is_bullet(uint32_t c)
{
	return c == 0x2022 || c == 0x25CF || c == 0x25AA || c == 0x25A0 || c == 0x25E6 ||
	       c == 0x2023 || c == 0x2043 || c == 0x00B7 || c == 0x2219 || c == 0x25CB ||
	       c == 0x25C6 || c == 0x2713 || c == 0x2714 || (c >= 0x2794 && c <= 0x27BF) ||
	       c == '-' || c == '*' || c == 0x2013 || c == 0x2012;
}

static bool is_hyphen(uint32_t c)
{
	return c == '-' || c == 0x2010 || c == 0x2011;
}

static int put_cp(struct buf *b, uint32_t c)
{
	char u[4];
	size_t n;
	if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		c = 0xFFFD;
	if (c < 0x80) {
		u[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xC0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3F));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xE0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		u[2] = (char)(0x80 | (c & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (c >> 18));
		u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
		u[3] = (char)(0x80 | (c & 0x3F));
		n = 4;
	}
	return buf_append(b, u, n);
}

/* ---- glyphs to rows and segments ---- */

static bool sane(double v)
{
	return isfinite(v) && fabs(v) < COORD_MAX;
}

/* Copies the glyphs worth laying out into p->g, counting what was dropped. */
static int load_glyphs(struct page *p, const struct cv_glyph *in, size_t n)
{
	p->g = n ? md_calloc(n, sizeof *p->g) : NULL;
	if (n && !p->g)
		return MD_ENOMEM;
	size_t last = SIZE_MAX;
	bool ws = false;
	for (size_t i = 0; i < n; i++) {
		const struct cv_glyph *c = &in[i];
		if (is_ws(c->cp)) {
			ws = true;
			continue;
		}
		if (is_invisible(c->cp))
			continue;
		size_t pred = last;
		bool wsb = ws;
		last = i;
		ws = false;
		if (!sane(c->x0) || !sane(c->x1) || !sane(c->y0) || !sane(c->y1))
			continue;
		struct gl *o = &p->g[p->ng];
		o->cp = c->cp;
		o->x0 = fmin(c->x0, c->x1);
		o->x1 = fmax(c->x0, c->x1);
		o->y0 = fmin(c->y0, c->y1);
		o->y1 = fmax(c->y0, c->y1);
		o->h = o->y1 - o->y0;
		bool sized = isfinite(c->size) && c->size > 0.5 && c->size < 1000;
		o->sz = sized ? c->size : o->h;
		(void)sized;
		if (!(o->sz > 0.5))
			o->sz = 1;
		o->yc = (o->y0 + o->y1) / 2;
		if (!(o->h > 0.1))
			o->h = 0;
		o->ord = i;
		o->pred = pred;
		o->ws_before = wsb;
		o->bold = c->bold;
		if (is_icon(c->cp)) {
			o->kind = G_ICON;
			p->info->icons++;
		} else if (is_garbage(c->cp)) {
			o->kind = G_SYMBOL;
			o->cp = 0xFFFD;
			p->info->garbage++;
		} else {
			o->kind = is_alnum_cp(c->cp) ? G_TEXT : G_SYMBOL;
		}
		p->ng++;
	}
	return 0;
}

struct szw {
	double sz, w;
	size_t i;
};

static int cmp_szw(const void *a, const void *b)
{
	const struct szw *x = a, *y = b;
	if (x->sz != y->sz)
		return x->sz < y->sz ? -1 : 1;
	if (x->w != y->w)
		return x->w < y->w ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * Some producers (Chromium's Type 3 fonts) report a font size and boxes about twice the size
 * of the letters, which would merge lines and columns. Letters are about half as wide as the
 * font size is high (CJK: as wide), so a size above 2.6 median letter widths is replaced by 2.2
 * of them; then no box is taller than 1.4 font sizes (centred where it was).
 */
static int fix_sizes(struct page *p)
{
	struct szw *v = p->ng ? md_malloc(p->ng * sizeof *v) : NULL;
	if (p->ng && !v)
		return MD_ENOMEM;
	size_t m = 0;
	for (size_t i = 0; i < p->ng; i++)
		if (is_letter(p->g[i].cp) && p->g[i].x1 > p->g[i].x0)
			v[m++] = (struct szw){ p->g[i].sz, p->g[i].x1 - p->g[i].x0, i };
	if (m)
		md_qsort(v, m, sizeof *v, cmp_szw);
	for (size_t i = 0; i < m;) {
		size_t j = i;
		while (j < m && v[j].sz == v[i].sz)
			j++;
		double med = v[i + (j - i) / 2].w, sz = v[i].sz;
		if (j - i >= 8 && sz > 2.6 * med) {
			for (size_t k = 0; k < p->ng; k++)
				if (p->g[k].sz == sz)
					p->g[k].sz = 2.2 * med;
		}
		i = j;
	}
	md_free(v);
	for (size_t i = 0; i < p->ng; i++) {
		struct gl *o = &p->g[i];
		if (o->h > 0.1 && o->h <= 1.4 * o->sz)
			continue;
		o->h = fmax(fmin(o->h > 0.1 ? o->h : o->sz, 1.4 * o->sz), 0.1);
		o->y0 = o->yc - o->h / 2;
		o->y1 = o->yc + o->h / 2;
	}
	return 0;
}

static int cmp_yc(const void *a, const void *b)
{
	const struct gl *x = a, *y = b;
	if (x->yc != y->yc)
		return x->yc < y->yc ? -1 : 1;
	if (x->x0 != y->x0)
		return x->x0 < y->x0 ? -1 : 1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

static int cmp_x(const void *a, const void *b)
{
	const struct gl *x = a, *y = b;
	if (x->x0 != y->x0)
		return x->x0 < y->x0 ? -1 : 1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median_size(const struct page *p)
{
	if (!p->ng)
		return 10;
	double *v = md_malloc(p->ng * sizeof *v);
	if (!v)
		return p->g[0].sz;
	for (size_t i = 0; i < p->ng; i++)
		v[i] = p->g[i].sz;
	md_qsort(v, p->ng, sizeof *v, cmp_double);
	double m = v[p->ng / 2];
	md_free(v);
	return m;
}

/* Drops a glyph drawn twice at the same place (fake bold) from an x-sorted row. */
static size_t dedupe_row(struct gl *g, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		double w = fmax(g[i].x1 - g[i].x0, 0.05 * g[i].sz);
		if (k && g[k - 1].cp == g[i].cp && fabs(g[k - 1].x0 - g[i].x0) < 0.3 * w &&
		    fabs(g[k - 1].yc - g[i].yc) < 0.1 * g[i].sz)
			continue;
		g[k++] = g[i];
	}
	return k;
}

static int add_seg(struct page *p, size_t *cap, size_t first, size_t row)
{
	if (p->ns == *cap && md_grow(&p->s, cap, sizeof *p->s, 64))
		return MD_ENOMEM;
	struct seg *s = &p->s[p->ns++];
	const struct gl *g = &p->g[first];
	*s = (struct seg){ first, 1, row, g->x0, g->x1, g->y0, g->y1, g->sz };
	return 0;
}

/* Sorts the glyphs into rows (top to bottom) and each row into segments (left to right). */
static int build_segments(struct page *p)
{
	if (p->ng)
		md_qsort(p->g, p->ng, sizeof *p->g, cmp_yc);
	size_t cap = 0, row = 0, w = 0;
	for (size_t i = 0; i < p->ng; row++) {
		double sum = p->g[i].yc, hmax = p->g[i].h;
		size_t j = i + 1;
		while (j < p->ng) {
			double mean = sum / (double)(j - i);
			double tol = ROW_TOL * fmax(hmax, p->g[j].h);
			if (p->g[j].yc - mean > tol)
				break;
			sum += p->g[j].yc;
			hmax = fmax(hmax, p->g[j].h);
			j++;
		}
		md_qsort(p->g + i, j - i, sizeof *p->g, cmp_x);
		size_t k = dedupe_row(p->g + i, j - i);
		memmove(p->g + w, p->g + i, k * sizeof *p->g);
		for (size_t t = w; t < w + k; t++) {
			struct gl *g = &p->g[t];
			struct seg *s = p->ns ? &p->s[p->ns - 1] : NULL;
			if (s && s->row == row && g->x0 - s->x1 <= SEG_GAP * fmax(g->sz, s->sz)) {
				s->n++;
				s->x1 = fmax(s->x1, g->x1);
				s->y0 = fmin(s->y0, g->y0);
				s->y1 = fmax(s->y1, g->y1);
				s->sz = fmax(s->sz, g->sz);
				continue;
			}
			int rc = add_seg(p, &cap, t, row);
			if (rc)
				return rc;
		}
		w += k;
		i = j;
	}
	p->ng = w;
	return 0;
}

/* ---- emitting text ---- */

static int flush_sep(struct page *p)
{
	int rc = 0;
	if (p->started && p->sep >= 1)
		rc = buf_putc(p->out, '\n');
	if (!rc && p->started && p->sep >= 2)
		rc = buf_putc(p->out, '\n');
	p->sep = 0;
	p->started = true;
	return rc;
}

static void want_sep(struct page *p, int level)
{
	if (level > p->sep)
		p->sep = level;
}

/* True when b[start..) is a literal LaTeX macro such as "\\faTrophy". */
static bool is_macro(const struct buf *b, size_t start)
{
	if (b->len - start < 3 || b->data[start] != '\\')
		return false;
	for (size_t i = start + 1; i < b->len; i++) {
		char c = b->data[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

/* The word being written into a line buffer. */
struct word {
	size_t start, space_at; /* bytes: where the word starts, where its leading space starts */
	const struct gl *first, *last;
	size_t n;
};

/*
 * Ends the current word: a literal macro is dropped, and so is the name of an icon drawn as
 * one glyph whose Unicode mapping is a whole word ("mailaddress" squeezed into one 8 pt box).
 */
static void end_word(struct page *p, struct buf *lb, struct word *w)
{
	bool drop = false;
	if (is_macro(lb, w->start)) {
		drop = true;
		p->info->macros++;
	} else if (w->n >= 3 && w->last->x1 - w->first->x0 < 0.2 * w->first->sz * (double)w->n) {
		drop = true;
		p->info->icons++;
	}
	if (drop) {
		lb->len = w->space_at;
		lb->data[lb->len] = '\0';
	}
	w->n = 0;
}

/* What a line looks like, for the paragraph decisions. */
struct line {
	double x0, x1, yc, sz;
	uint32_t first, last, before_last;
	size_t segs, letters, upper, words;
	double maxgap; /* widest gap between two words, in font sizes */
	size_t len;    /* bytes in the line buffer */
	bool bold;
	char *text;
};

/*
 * Writes the text of the segments (same row, x order) into lb. Icons vanish, a space goes
 * between words, macros are dropped.
 */
static int line_text(struct page *p, const size_t *segs, size_t n, struct buf *lb, struct line *L)
{
	size_t bold = 0, total = 0;
	L->segs = n;
	for (size_t k = 0; k < n; k++) {
		const struct seg *s = &p->s[segs[k]];
		const struct gl *prev = NULL;
		struct word w = { lb->len, lb->len, NULL, NULL, 0 };
		for (size_t i = s->first; i < s->first + s->n; i++) {
			const struct gl *g = &p->g[i];
			if (g->kind == G_ICON)
				continue;
			bool space = false;
			/* Word's hyphen followed by a U+2010 it drew as well: one hyphen. */
			if (prev && is_hyphen(g->cp) && is_hyphen(prev->cp) &&
			    g->pred == prev->ord) {
				prev = g;
				continue;
			}
			if (prev) {
				double gap = g->x0 - prev->x1, sz = fmax(g->sz, prev->sz);
				if (g->pred == prev->ord)
					space = g->ws_before || gap > ADJ_WORD_GAP * sz;
				else
					space = gap > WORD_GAP * sz;
				if (space)
					L->maxgap = fmax(L->maxgap, gap / sz);

			} else if (lb->len) {
				space = true; /* between segments */
			}
			if (space || !prev) {
				if (w.n)
					end_word(p, lb, &w);
				w.space_at = lb->len;
				if (space && lb->len) {
					int rc = buf_putc(lb, ' ');
					if (rc)
						return rc;
				}
				w.start = lb->len;
			}
			int rc = put_cp(lb, is_hyphen(g->cp) ? '-' : g->cp);
			if (rc)
				return rc;
			if (!w.n++)
				w.first = g;
			w.last = g;
			total++;
			bold += g->bold;
			if (is_letter(g->cp)) {
				L->letters++;
				L->upper += is_upper(g->cp);
			}
			L->sz = fmax(L->sz, g->sz);
			prev = g;
		}
		if (w.n)
			end_word(p, lb, &w);
	}
	/* First and last characters and the word count of what was kept. */
	struct slice rest = { lb->data ? lb->data : "", lb->len };
	L->words = 0;
	for (size_t i = 0; i < lb->len; i++)
		L->words += lb->data[i] == ' ';
	L->words += lb->len > 0;
	int32_t c;
	size_t off = 0, prevoff = 0, pp = 0;
	L->first = L->last = L->before_last = 0;
	while (off < rest.len) {
		size_t m = text_decode(rest.ptr + off, rest.len - off, &c);
		if (!off)
			L->first = (uint32_t)c;
		pp = prevoff;
		prevoff = off;
		off += m;
	}
	if (rest.len) {
		text_decode(rest.ptr + prevoff, rest.len - prevoff, &c);
		L->last = (uint32_t)c;
		if (prevoff) {
			text_decode(rest.ptr + pp, rest.len - pp, &c);
			L->before_last = (uint32_t)c;
		}
	}
	L->bold = total && bold * 2 > total;
	return 0;
}

static bool is_heading(const struct page *p, const struct line *L)
{
	if (L->words == 0 || L->words > 6 || L->segs > 1)
		return false;
	if (L->bold || L->sz >= 1.15 * p->body)
		return true;
	return L->letters >= 3 && L->upper == L->letters;
}

/* The separator between two lines of one column: 0 space, 1 newline, 2 empty line, 3 hyphen. */
static int join_kind(const struct page *p, const struct line *P, const struct line *L,
                     double col_x0, double col_x1)
{
	double sz = fmax(P->sz, L->sz), lead = L->yc - P->yc;
	if (lead > BLANK_LEAD * sz)
		return 2;
	if (lead > PARA_LEAD * sz || lead < 0.3 * sz)
		return 1;
	if (is_hyphen(P->last) && is_letter(P->before_last) && is_lower(L->first))
		return 3;
	if (P->segs > 1 || L->segs > 1 || P->maxgap > TAB_GAP || L->maxgap > TAB_GAP ||
	    is_bullet(L->first) || is_heading(p, P) || is_heading(p, L))
		return 1;
	if (fabs(P->sz - L->sz) > 0.15 * sz || P->bold != L->bold)
		return 1;
	double w = col_x1 - col_x0;
	if (P->x1 < col_x1 - fmax(0.15 * w, 2 * sz))
		return 1;
	if (L->x0 > P->x0 + 2 * sz) /* indented: a new paragraph or a sub-item */
		return 1;
	return 0;
}

static int cmp_seg_idx_ctx_rowx(const struct page *p, size_t a, size_t b)
{
	const struct seg *x = &p->s[a], *y = &p->s[b];
	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	if (x->x0 != y->x0)
		return x->x0 < y->x0 ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Insertion sort of segment indices by (row, x): regions are small and mostly sorted. */
static void sort_segs(const struct page *p, size_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		size_t t = v[i], j = i;
		while (j > 0 && cmp_seg_idx_ctx_rowx(p, v[j - 1], t) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = t;
	}
}

/* Emits a region as one column: rows become lines, lines become paragraphs. */
static int emit_column(struct page *p, size_t *segs, size_t n)
{
	if (!n)
		return 0;
	sort_segs(p, segs, n);
	double cx0 = p->s[segs[0]].x0, cx1 = p->s[segs[0]].x1;
	for (size_t i = 1; i < n; i++) {
		cx0 = fmin(cx0, p->s[segs[i]].x0);
		cx1 = fmax(cx1, p->s[segs[i]].x1);
	}
	struct buf lb;
	buf_init(&lb, p->out->cap_limit ? p->out->cap_limit : ((size_t)1 << 24));
	struct line P = { 0 };
	bool have_prev = false;
	int rc = 0;
	want_sep(p, 2);
	for (size_t i = 0; i < n && !rc;) {
		size_t j = i + 1;
		while (j < n && p->s[segs[j]].row == p->s[segs[i]].row)
			j++;
		struct line L = { 0 };
		buf_reset(&lb);
		L.x0 = p->s[segs[i]].x0;
		L.x1 = p->s[segs[j - 1]].x1;
		double y0 = p->s[segs[i]].y0, y1 = p->s[segs[i]].y1;
		for (size_t k = i; k < j; k++) {
			y0 = fmin(y0, p->s[segs[k]].y0);
			y1 = fmax(y1, p->s[segs[k]].y1);
		}
		L.yc = (y0 + y1) / 2;
		rc = line_text(p, segs + i, j - i, &lb, &L);
		i = j;
		if (rc || !lb.len)
			continue;
		if (have_prev) {
			int k = join_kind(p, &P, &L, cx0, cx1);
			if (k == 3) {
				/* Replace the hyphen just written with a soft hyphen marker. */
				size_t hl = P.last < 0x80 ? 1 : 3;
				p->out->len -= hl;
				p->out->data[p->out->len] = '\0';
				rc = buf_append(p->out, "\xC2\xAD", 2);
				p->info->hyphens++;
			} else if (k == 0) {
				rc = buf_putc(p->out, ' ');
			} else {
				want_sep(p, k);
			}
		}
		if (!rc)
			rc = flush_sep(p);
		if (!rc)
			rc = buf_append(p->out, lb.data, lb.len);
		P = L;
		have_prev = true;
	}
	buf_release(&lb);
	want_sep(p, 2);
	return rc;
}

/* ---- columns ---- */

struct gutter {
	double a, b; /* the free x range */
	bool found;
};

/* Rows of the region that have a segment wholly left of x (side < 0) or right of it. */
static size_t rows_on_side(const struct page *p, const size_t *segs, size_t n, double x, int side)
{
	size_t count = 0, last_row = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		const struct seg *s = &p->s[segs[i]];
		bool ok = side < 0 ? s->x1 <= x : s->x0 >= x;
		if (ok && s->row != last_row) {
			count++;
			last_row = s->row;
		}
	}
	return count;
}

/* Rows having a segment left of a and one right of b: a label column lines up with its text. */
static size_t rows_both(const struct page *p, const size_t *segs, size_t n, double a, double b)
{
	size_t count = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		bool l = false, r = false;
		while (j < n && p->s[segs[j]].row == p->s[segs[i]].row) {
			l |= p->s[segs[j]].x1 <= a;
			r |= p->s[segs[j]].x0 >= b;
			j++;
		}
		count += l && r;
		i = j;
	}
	return count;
}

static bool label_column(const struct page *p, const size_t *segs, size_t n, double a, double b,
                         double x0, double x1, size_t left, size_t right)
{
	double w = x1 - x0;
	size_t both = rows_both(p, segs, n, a, b);
	if (a - x0 < 0.25 * w && both * 10 >= left * 6)
		return true;
	return x1 - b < 0.25 * w && both * 10 >= right * 6;
}

/* Finds the best vertical gutter of a region (segments sorted by row, then x). */
static int find_gutter(const struct page *p, const size_t *segs, size_t n, struct gutter *gt)
{
	gt->found = false;
	double x0 = p->s[segs[0]].x0, x1 = p->s[segs[0]].x1;
	size_t nrows = 0, last = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		x0 = fmin(x0, p->s[segs[i]].x0);
		x1 = fmax(x1, p->s[segs[i]].x1);
		if (p->s[segs[i]].row != last) {
			nrows++;
			last = p->s[segs[i]].row;
		}
	}
	if (nrows < 4 || x1 - x0 < 10 * GUTTER_MIN * p->body)
		return 0;
	size_t nb = (size_t)ceil(x1 - x0);
	nb = MD_MAX(MD_MIN(nb, (size_t)MAX_BINS), (size_t)16);
	double bw = (x1 - x0) / (double)nb;
	long *cov = md_calloc(nb + 1, sizeof *cov);
	if (!cov)
		return MD_ENOMEM;
	/* Each row adds 1 over the union of its segments (they come in x order). */
	for (size_t i = 0; i < n;) {
		size_t j = i;
		double ra = p->s[segs[i]].x0, rb = p->s[segs[i]].x1;
		for (; j < n && p->s[segs[j]].row == p->s[segs[i]].row; j++) {
			const struct seg *s = &p->s[segs[j]];
			if (s->x0 > rb) {
				size_t a = (size_t)((ra - x0) / bw),
				       b = (size_t)ceil((rb - x0) / bw);
				cov[MD_MIN(a, nb)]++;
				cov[MD_MIN(b, nb)]--;
				ra = s->x0;
			}
			rb = fmax(rb, s->x1);
		}
		size_t a = (size_t)((ra - x0) / bw), b = (size_t)ceil((rb - x0) / bw);
		cov[MD_MIN(a, nb)]++;
		cov[MD_MIN(b, nb)]--;
		i = j;
	}
	long run = 0, thr = (long)(nrows / 10);
	size_t best_score = 0;
	for (size_t i = 0; i < nb; i++) {
		run += cov[i];
		cov[i] = run;
	}
	for (size_t i = 1; i < nb;) {
		if (cov[i] > thr) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < nb && cov[j] <= thr)
			j++;
		double a = x0 + (double)i * bw, b = x0 + (double)j * bw;
		if (j < nb && b - a >= GUTTER_MIN * p->body) {
			size_t left = rows_on_side(p, segs, n, a, -1);
			size_t right = rows_on_side(p, segs, n, b, 1);
			size_t score = MD_MIN(left, right);
			if (left * 5 >= nrows && right * 5 >= nrows && left >= 2 && right >= 2 &&
			    score > best_score &&
			    !label_column(p, segs, n, a, b, x0, x1, left, right)) {
				best_score = score;
				gt->a = a;
				gt->b = b;
				gt->found = true;
			}
		}
		i = j;
	}
	md_free(cov);
	return 0;
}

static int layout_region(struct page *p, size_t *segs, size_t n, int depth);

/* Emits rows [i, j) of a region split at the gutter: the left side, then the right side. */
static int emit_band(struct page *p, const size_t *segs, size_t i, size_t j,
                     const struct gutter *gt, int depth, size_t *tmp)
{
	double mid = (gt->a + gt->b) / 2;
	size_t nl = 0, nr = 0, nseg = j - i;
	for (size_t k = i; k < j; k++) {
		const struct seg *s = &p->s[segs[k]];
		if ((s->x0 + s->x1) / 2 < mid)
			tmp[nl++] = segs[k];
	}
	for (size_t k = i; k < j; k++) {
		const struct seg *s = &p->s[segs[k]];
		if ((s->x0 + s->x1) / 2 >= mid)
			tmp[nl + nr++] = segs[k];
	}
	(void)nseg;
	int rc = layout_region(p, tmp, nl, depth + 1);
	if (!rc)
		rc = layout_region(p, tmp + nl, nr, depth + 1);
	return rc;
}

/*
 * True when a row of the region crosses the gutter (a centred header): one of its segments
 * overlaps the gutter and none lies wholly in a column (a long line of the left column next
 * to a line of the right one is not a header).
 */
static bool row_spans(const struct page *p, const size_t *segs, size_t i, size_t j,
                      const struct gutter *gt)
{
	bool cross = false;
	for (size_t k = i; k < j; k++) {
		const struct seg *s = &p->s[segs[k]];
		if (s->x0 < gt->b && s->x1 > gt->a)
			cross = true;
		else
			return false;
	}
	return cross;
}

static int layout_region(struct page *p, size_t *segs, size_t n, int depth)
{
	if (!n)
		return 0;
	sort_segs(p, segs, n);
	struct gutter gt = { 0 };
	int rc = depth < MAX_DEPTH ? find_gutter(p, segs, n, &gt) : 0;
	if (rc)
		return rc;
	if (!gt.found)
		return emit_column(p, segs, n);
	if (depth == 0)
		p->info->columns++;
	size_t *tmp = md_malloc(n * sizeof *tmp);
	if (!tmp)
		return MD_ENOMEM;
	/* Rows spanning the gutter (a header) cut the region into bands; runs of them are one
	 * block of full-width text. */
	size_t band = 0, span = SIZE_MAX;
	for (size_t i = 0; i < n && !rc;) {
		size_t j = i + 1;
		while (j < n && p->s[segs[j]].row == p->s[segs[i]].row)
			j++;
		if (row_spans(p, segs, i, j, &gt)) {
			if (span == SIZE_MAX) {
				if (band < i)
					rc = emit_band(p, segs, band, i, &gt, depth, tmp);
				span = i;
			}
		} else if (span != SIZE_MAX) {
			rc = emit_column(p, segs + span, i - span);
			span = SIZE_MAX;
			band = i;
		}
		i = j;
	}
	if (!rc && span != SIZE_MAX)
		rc = emit_column(p, segs + span, n - span);
	else if (!rc && band < n)
		rc = emit_band(p, segs, band, n, &gt, depth, tmp);
	md_free(tmp);
	return rc;
}

/* ---- readability ---- */

/* Rows of symbols or icons spread over the width with no word between them. */
static void find_unreadable_rows(struct page *p)
{
	for (size_t i = 0; i < p->ns;) {
		size_t j = i, glyphs = 0, alnum = 0;
		for (; j < p->ns && p->s[j].row == p->s[i].row; j++) {
			const struct seg *s = &p->s[j];
			for (size_t k = s->first; k < s->first + s->n; k++) {
				glyphs++;
				alnum += p->g[k].kind == G_TEXT;
			}
		}
		if (j - i >= 2 && glyphs >= 2 && alnum == 0) {
			if (!p->info->regions++) {
				p->info->region_y0 = p->s[i].y0;
				p->info->region_y1 = p->s[i].y1;
			}
		}
		i = j;
	}
}

static void judge(struct page *p)
{
	struct cv_layout_info *in = p->info;
	size_t text = 0;
	for (size_t i = 0; i < p->ng; i++)
		text += p->g[i].kind == G_TEXT;
	in->glyphs = p->ng;
	if (text == 0 && in->garbage < 8)
		in->reason = CV_UNREADABLE_EMPTY;
	else if (in->garbage >= 8 && in->garbage * 100 >= 15 * (p->ng + 1))
		in->reason = CV_UNREADABLE_GARBAGE;
	else if (in->regions)
		in->reason = CV_UNREADABLE_REGION;
}

int cv_layout_page(const struct cv_glyph *g, size_t n, double page_w, double page_h,
                   struct buf *out, struct cv_layout_info *info)
{
	(void)page_w;
	(void)page_h;
	if ((!g && n) || !out || !info)
		return MD_EINVAL;
	memset(info, 0, sizeof *info);
	struct page p = { .out = out, .info = info };
	size_t *idx = NULL;
	int rc = load_glyphs(&p, g, n);
	if (!rc)
		rc = fix_sizes(&p);
	if (!rc)
		rc = build_segments(&p);
	if (rc)
		goto out;
	p.body = median_size(&p);
	find_unreadable_rows(&p);
	judge(&p);
	info->columns = 1;
	if (p.ns) {
		idx = md_malloc(p.ns * sizeof *idx);
		if (!idx) {
			rc = MD_ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < p.ns; i++)
			idx[i] = i;
		rc = layout_region(&p, idx, p.ns, 0);
	}
out:
	md_free(idx);
	md_free(p.s);
	md_free(p.g);
	return rc;
}

const char *cv_unreadable_str(enum cv_unreadable r)
{
	switch (r) {
	case CV_UNREADABLE_EMPTY: return "no text layer";
	case CV_UNREADABLE_GARBAGE:
		return "text layer is garbage (fonts without a Unicode mapping)";
	case CV_UNREADABLE_REGION: return "part of the page has symbols but no extractable text";
	default: return "";
	}
}
