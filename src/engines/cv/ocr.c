#include "engines/cv/ocr.h"

#include "base/common.h"

#include <math.h>
#include <stdio.h>

#include <cairo.h>
#include <dlfcn.h>
#include <pthread.h>
#include <tesseract/capi.h>

#define OCR_GLYPHS_MAX ((size_t)1 << 20) /* characters of one page; a dense page has ~6000 */
#define TESS_SONAME "libtesseract.so.5"  /* Debian 12's libtesseract5 */

/*
 * Tesseract is loaded with dlopen at the first scanned page, not linked: it drags in about a
 * dozen libraries (leptonica, libarchive, libgomp, image codecs) whose loading and static
 * constructors cost every extraction process ~2.5 ms of CPU time, while scans are rare. The
 * table is filled once per process and never changes afterwards.
 */
#define TESS_FUNCS(X)                                                                              \
	X(TessBaseAPICreate)                                                                       \
	X(TessBaseAPIInit2)                                                                        \
	X(TessBaseAPIGetLoadedLanguagesAsVector)                                                   \
	X(TessDeleteTextArray)                                                                     \
	X(TessDeleteText)                                                                          \
	X(TessBaseAPISetPageSegMode)                                                               \
	X(TessBaseAPIEnd)                                                                          \
	X(TessBaseAPIDelete)                                                                       \
	X(TessBaseAPIClear)                                                                        \
	X(TessBaseAPISetImage)                                                                     \
	X(TessBaseAPISetSourceResolution)                                                          \
	X(TessBaseAPIRecognize)                                                                    \
	X(TessBaseAPIGetIterator)                                                                  \
	X(TessResultIteratorGetPageIterator)                                                       \
	X(TessResultIteratorConfidence)                                                            \
	X(TessResultIteratorGetUTF8Text)                                                           \
	X(TessResultIteratorNext)                                                                  \
	X(TessResultIteratorDelete)                                                                \
	X(TessPageIteratorIsAtBeginningOf)                                                         \
	X(TessPageIteratorBoundingBox)

#define TESS_FIELD(name) __typeof__(&name) name;
static struct {
	TESS_FUNCS(TESS_FIELD)
} tess;
#undef TESS_FIELD

static pthread_once_t tess_once = PTHREAD_ONCE_INIT;
static char tess_error[160]; /* why loading failed; "" when tess is usable */

static void tess_load(void)
{
	void *h = dlopen(TESS_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(tess_error, sizeof tess_error, "Tesseract is not installed (%s)",
		         dlerror());
		return;
	}
#define TESS_SYM(name)                                                                             \
	if (!(*(void **)&tess.name = dlsym(h, #name))) {                                           \
		snprintf(tess_error, sizeof tess_error, "%s lacks %s", TESS_SONAME, #name);        \
		return;                                                                            \
	}
	TESS_FUNCS(TESS_SYM)
#undef TESS_SYM
}

/* Loads Tesseract once per process. Returns true when it is usable, else *why says why. */
static bool tess_ready(const char **why)
{
	pthread_once(&tess_once, tess_load);
	*why = tess_error;
	return tess_error[0] == '\0';
}

struct cv_ocr {
	TessBaseAPI *api;
	char langs[CV_OCR_LANGS_MAX];   /* the languages loaded */
	char missing[CV_OCR_LANGS_MAX]; /* asked for but not installed */
};

/* Appends name to the '+'-joined list in dst (cap bytes), silently cut when full. */
static void list_add(char *dst, size_t cap, const char *name)
{
	size_t len = strlen(dst);
	snprintf(dst + len, cap - len, "%s%s", len ? "+" : "", name);
}

/*
 * Tesseract skips a language whose trained data is missing and starts with the others: keep
 * what it loaded in o->langs and the rest in o->missing. Returns false when nothing loaded.
 */
static bool split_loaded(struct cv_ocr *o, const char *asked)
{
	char **loaded = tess.TessBaseAPIGetLoadedLanguagesAsVector(o->api);
	char want[CV_OCR_LANGS_MAX];
	snprintf(want, sizeof want, "%s", asked);
	o->langs[0] = o->missing[0] = '\0';
	char *save = NULL;
	for (char *name = strtok_r(want, "+", &save); name; name = strtok_r(NULL, "+", &save)) {
		bool ok = false;
		for (size_t i = 0; loaded && loaded[i] && !ok; i++)
			ok = strcmp(loaded[i], name) == 0;
		if (ok)
			list_add(o->langs, sizeof o->langs, name);
		else
			list_add(o->missing, sizeof o->missing, name);
	}
	if (loaded)
		tess.TessDeleteTextArray(loaded);
	return o->langs[0] != '\0';
}

bool cv_ocr_langs_valid(const char *langs)
{
	if (!langs || !*langs || strlen(langs) >= CV_OCR_LANGS_MAX)
		return false;
	size_t names = 0, len = 0;
	for (const char *p = langs;; p++) {
		if (*p == '+' || *p == '\0') {
			if (len < 3 || len > 16 || ++names > 8)
				return false;
			if (*p == '\0')
				return true;
			len = 0;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_') {
			len++;
		} else {
			return false;
		}
	}
}

int cv_ocr_new(const char *langs, struct cv_ocr **out, char *err, size_t errcap)
{
	*out = NULL;
	if (!langs || !*langs)
		langs = CV_OCR_DEFAULT_LANGS;
	if (!cv_ocr_langs_valid(langs)) {
		snprintf(err, errcap, "invalid OCR language list \"%.64s\"", langs);
		return MD_EINVAL;
	}
	const char *why;
	if (!tess_ready(&why)) {
		snprintf(err, errcap, "%s", why);
		return MD_EINVAL;
	}
	struct cv_ocr *o = md_calloc(1, sizeof *o);
	if (!o)
		return MD_ENOMEM;
	o->api = tess.TessBaseAPICreate();
	if (!o->api) {
		md_free(o);
		return MD_ENOMEM;
	}
	/* NULL: the data path Tesseract was built with (Debian: /usr/share/tesseract-ocr/5). */
	if (tess.TessBaseAPIInit2(o->api, NULL, langs, OEM_DEFAULT) != 0 ||
	    !split_loaded(o, langs)) {
		snprintf(err, errcap,
		         "Tesseract cannot load the OCR languages \"%s\" (is tesseract-ocr-<lang> "
		         "installed?)",
		         langs);
		cv_ocr_free(o);
		return MD_EINVAL;
	}
	/* A CV page holds blocks and columns: let Tesseract segment the whole page. */
	tess.TessBaseAPISetPageSegMode(o->api, PSM_AUTO);
	*out = o;
	return 0;
}

void cv_ocr_free(struct cv_ocr *o)
{
	if (!o)
		return;
	if (o->api) {
		tess.TessBaseAPIEnd(o->api);
		tess.TessBaseAPIDelete(o->api);
	}
	md_free(o);
}

const char *cv_ocr_langs(const struct cv_ocr *o)
{
	return o ? o->langs : "";
}

const char *cv_ocr_missing(const struct cv_ocr *o)
{
	return o ? o->missing : "";
}

/*
 * Renders page on white at dpi (lowered so the bitmap stays under CV_OCR_MAX_PIXELS) into an
 * 8-bit grayscale bitmap (md_free it). Returns 0, MD_ENOMEM, or MD_EINVAL for a page without
 * a usable size.
 */
static int render_gray(PopplerPage *page, double *dpi, unsigned char **gray, int *w, int *h)
{
	double pw = 0, ph = 0;
	poppler_page_get_size(page, &pw, &ph);
	if (!(pw > 1 && ph > 1 && pw < 1e5 && ph < 1e5))
		return MD_EINVAL;
	double scale = *dpi / 72.0;
	double px = pw * scale * ph * scale;
	if (px > (double)CV_OCR_MAX_PIXELS) {
		scale *= sqrt((double)CV_OCR_MAX_PIXELS / px);
		*dpi = scale * 72.0;
	}
	*w = MD_MAX((int)ceil(pw * scale), 1);
	*h = MD_MAX((int)ceil(ph * scale), 1);
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, *w, *h);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(s);
		return MD_ENOMEM;
	}
	cairo_t *cr = cairo_create(s);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, scale, scale);
	poppler_page_render_for_printing(page, cr);
	int rc = cairo_status(cr) == CAIRO_STATUS_SUCCESS ? 0 : MD_ENOMEM;
	cairo_destroy(cr);
	cairo_surface_flush(s);
	unsigned char *g = rc ? NULL : md_malloc((size_t)*w * (size_t)*h);
	if (!rc && !g)
		rc = MD_ENOMEM;
	if (!rc) {
		const unsigned char *data = cairo_image_surface_get_data(s);
		int stride = cairo_image_surface_get_stride(s);
		for (int y = 0; y < *h; y++) {
			const uint32_t *row =
			    (const uint32_t *)(const void *)(data + (size_t)y * stride);
			unsigned char *dst = g + (size_t)y * (size_t)*w;
			for (int x = 0; x < *w; x++) {
				uint32_t p = row[x];
				unsigned r = (p >> 16) & 0xff, gr = (p >> 8) & 0xff, b = p & 0xff;
				dst[x] =
				    (unsigned char)((r * 299 + gr * 587 + b * 114 + 500) / 1000);
			}
		}
	}
	cairo_surface_destroy(s);
	*gray = g;
	return rc;
}

/* A growable glyph array with a hard cap. */
struct glyphs {
	struct cv_glyph *g;
	size_t n, cap;
};

static int push(struct glyphs *a, struct cv_glyph gl)
{
	if (a->n == a->cap) {
		if (a->cap >= OCR_GLYPHS_MAX)
			return MD_ELIMIT;
		if (md_grow(&a->g, &a->cap, sizeof *a->g, 1024))
			return MD_ENOMEM;
	}
	a->g[a->n++] = gl;
	return 0;
}

/* The line's box; every glyph of a line gets its full height, as a PDF font box would. */
struct line {
	double y0, y1, size;
	bool open; /* a word was emitted on this line */
	double last_x1;
};

static int hint(struct glyphs *a, const struct line *ln, uint32_t cp, double x0, double x1)
{
	return push(a,
	            (struct cv_glyph){ cp, x0, ln->y0, MD_MAX(x1, x0), ln->y1, ln->size, false });
}

/*
 * Tesseract reads the round bullet of a list as "e", "©" or "¢": a one-character word of that
 * kind at the start of a line, smaller than half the line, is a bullet, so the layout keeps
 * the list items apart as it does on a text page.
 */
static bool misread_bullet(const char *w, const struct line *ln, int top, int bottom, double k)
{
	static const char *const shapes[] = { "e", "©", "¢", "«", "°", "®", "•", "·", "o", "。" };
	if (ln->open)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(shapes); i++)
		if (strcmp(w, shapes[i]) == 0)
			return (bottom - top) * k < 0.5 * (ln->y1 - ln->y0);
	return false;
}

/*
 * The characters of one word spread evenly over its box (in points: k = 72 / dpi). Tesseract's
 * boxes of single symbols overlap and are out of order often enough to reorder letters or split
 * a word if the layout sorted them, while the word's box and text are reliable.
 */
static int add_word(struct glyphs *a, const struct line *ln, const char *w, double x0, double x1)
{
	if (!g_utf8_validate(w, -1, NULL))
		return 0;
	glong nchars = g_utf8_strlen(w, -1);
	if (nchars <= 0)
		return 0;
	double step = (x1 - x0) / (double)nchars;
	glong i = 0;
	for (const char *p = w; *p; p = g_utf8_next_char(p), i++) {
		int rc = push(a, (struct cv_glyph){ g_utf8_get_char(p), x0 + step * (double)i,
		                                    ln->y0, x0 + step * (double)(i + 1), ln->y1,
		                                    ln->size, false });
		if (rc)
			return rc;
	}
	return 0;
}

/* Han, kana, Hangul and CJK punctuation: scripts written without spaces between words. */
static bool cjk(uint32_t c)
{
	return (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) ||
	       (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFF00 && c <= 0xFFEF) ||
	       (c >= 0x20000 && c <= 0x3FFFF);
}

/* The last code point of a non-empty UTF-8 string. */
static uint32_t last_char(const char *w)
{
	const char *p = w + strlen(w);
	return p > w ? g_utf8_get_char(g_utf8_find_prev_char(w, p)) : 0;
}

/* Starts a new text line: ends the previous one with a '\n' hint and takes the new box. */
static int new_line(TessPageIterator *pi, double k, struct line *ln, struct glyphs *a)
{
	int rc = ln->open ? hint(a, ln, '\n', ln->last_x1, ln->last_x1) : 0;
	ln->open = false;
	int l, t, r, b;
	if (tess.TessPageIteratorBoundingBox(pi, RIL_TEXTLINE, &l, &t, &r, &b)) {
		ln->y0 = t * k;
		ln->y1 = b * k;
		/* A line box spans ascenders and descenders: about 1.2 font sizes. */
		ln->size = (b - t) * k / 1.2;
	}
	return rc;
}

/* Walks Tesseract's result word by word into glyphs. */
static int collect(TessResultIterator *ri, double k, struct glyphs *a)
{
	TessPageIterator *pi = tess.TessResultIteratorGetPageIterator(ri);
	struct line ln = { 0, 0, 0, false, 0 };
	uint32_t prev = 0; /* the last character of the previous word on the line */
	int rc = 0;
	do {
		if (tess.TessPageIteratorIsAtBeginningOf(pi, RIL_TEXTLINE) &&
		    (rc = new_line(pi, k, &ln, a)))
			break;
		int l, t, r, b;
		if (tess.TessResultIteratorConfidence(ri, RIL_WORD) < CV_OCR_MIN_CONF ||
		    !tess.TessPageIteratorBoundingBox(pi, RIL_WORD, &l, &t, &r, &b))
			continue;
		char *w = tess.TessResultIteratorGetUTF8Text(ri, RIL_WORD);
		if (!w)
			continue;
		/*
		 * Tesseract cuts Chinese text into one- and two-character "words" whose boxes
		 * hug the ink, so a space hint or the gap between two boxes would split every
		 * phrase. Between two CJK characters less than a line height apart, the word
		 * starts where the previous one ended: no space, as in a PDF's text layer.
		 */
		double x0 = l * k;
		bool join = ln.open && cjk(prev) && cjk(g_utf8_get_char_validated(w, -1)) &&
		            x0 - ln.last_x1 < ln.y1 - ln.y0;
		if (join)
			x0 = MD_MIN(x0, ln.last_x1);
		else if (ln.open)
			rc = hint(a, &ln, ' ', ln.last_x1, x0);
		bool bullet = misread_bullet(w, &ln, t, b, k);
		if (!rc)
			rc = bullet ? hint(a, &ln, 0x2022, x0, r * k)
			            : add_word(a, &ln, w, x0, r * k);
		prev = !bullet && g_utf8_validate(w, -1, NULL) ? last_char(w) : 0;
		tess.TessDeleteText(w);
		ln.open = true;
		ln.last_x1 = r * k;
	} while (!rc && tess.TessResultIteratorNext(ri, RIL_WORD));
	if (!rc && ln.open)
		rc = hint(a, &ln, '\n', ln.last_x1, ln.last_x1);
	return rc;
}

int cv_ocr_page(struct cv_ocr *o, PopplerPage *page, struct cv_glyph **g, size_t *n)
{
	*g = NULL;
	*n = 0;
	if (!o || !page)
		return MD_EINVAL;
	double dpi = CV_OCR_DPI;
	unsigned char *gray = NULL;
	int w, h;
	int rc = render_gray(page, &dpi, &gray, &w, &h);
	if (rc == MD_EINVAL)
		return 0; /* nothing to read on a page without a size */
	if (rc)
		return rc;
	struct glyphs a = { NULL, 0, 0 };
	tess.TessBaseAPISetImage(o->api, gray, w, h, 1, w);
	tess.TessBaseAPISetSourceResolution(o->api, (int)lround(dpi));
	if (tess.TessBaseAPIRecognize(o->api, NULL) != 0) {
		rc = MD_EIO;
		goto out;
	}
	TessResultIterator *ri = tess.TessBaseAPIGetIterator(o->api);
	if (ri) {
		rc = collect(ri, 72.0 / dpi, &a);
		tess.TessResultIteratorDelete(ri);
	}
	if (rc == MD_ELIMIT)
		rc = 0; /* keep what fitted, as a text page keeps what fits its buffer */
out:
	tess.TessBaseAPIClear(o->api);
	md_free(gray);
	if (rc) {
		md_free(a.g);
		return rc;
	}
	*g = a.g;
	*n = a.n;
	return 0;
}
