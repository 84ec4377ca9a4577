/* stem.c: Snowball English stems through libstemmer (see stem.h for when to use them). */
#include "text/stem.h"

#include <libstemmer.h>
#include <stdbool.h>
#include <string.h>

#include "base/common.h"
#include "text/normalize.h"

struct text_stemmer {
	struct sb_stemmer *sb;
};

struct text_stemmer *text_stemmer_new(void)
{
	struct text_stemmer *s = md_calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->sb = sb_stemmer_new("english", NULL);
	if (!s->sb) {
		md_free(s);
		return NULL;
	}
	return s;
}

void text_stemmer_free(struct text_stemmer *s)
{
	if (!s)
		return;
	sb_stemmer_delete(s->sb);
	md_free(s);
}

static bool stemmable(const char *w, size_t n)
{
	if (n < 4 || n > TEXT_STEM_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (w[i] < 'a' || w[i] > 'z')
			return false;
	return true;
}

size_t text_stem(struct text_stemmer *s, const char *w, size_t n, char *out)
{
	if (stemmable(w, n)) {
		const sb_symbol *r = sb_stemmer_stem(s->sb, (const sb_symbol *)w, (int)n);
		int len = r ? sb_stemmer_length(s->sb) : -1;
		/* NULL only when memory is short: the word itself is the safe answer. */
		if (r && len > 0 && len <= TEXT_STEM_MAX) {
			memcpy(out, r, (size_t)len);
			out[len] = '\0';
			return (size_t)len;
		}
	}
	size_t k = text_utf8_floor(w, MD_MIN(n, (size_t)TEXT_STEM_MAX));
	memcpy(out, w, k);
	out[k] = '\0';
	return k;
}
