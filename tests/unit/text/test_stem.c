/* Snowball English stems (src/text/stem.c). */
#include <criterion/criterion.h>

#include "base/common.h"
#include "text/stem.h"

static struct text_stemmer *st;

static void setup(void)
{
	st = text_stemmer_new();
	cr_assert(st);
}

static void teardown(void)
{
	text_stemmer_free(st);
}

static const char *stem(const char *w)
{
	static char out[TEXT_STEM_MAX + 1];
	size_t n = text_stem(st, w, strlen(w), out);
	cr_assert_eq(n, strlen(out));
	return out;
}

TestSuite(text_stem, .init = setup, .fini = teardown);

Test(text_stem, inflections_meet)
{
	cr_assert_str_eq(stem("managing"), stem("managed"));
	cr_assert_str_eq(stem("managing"), stem("management"), "similarity conflates both");
	cr_assert_str_eq(stem("studies"), stem("study"));
	cr_assert_str_eq(stem("implementation"), stem("implemented"));
	cr_assert_str_eq(stem("suppliers"), "supplier");
}

Test(text_stem, left_alone)
{
	cr_assert_str_eq(stem("aws"), "aws", "short words are acronyms");
	cr_assert_str_eq(stem("ios"), "ios");
	cr_assert_str_eq(stem("html5"), "html5", "digits");
	cr_assert_str_eq(stem("développement"), "développement", "not ASCII");
	cr_assert_str_eq(stem("Managing"), "Managing", "callers fold first");
	cr_assert_str_eq(stem(""), "");
}

Test(text_stem, long_words_are_cut_on_a_character)
{
	char w[100], out[TEXT_STEM_MAX + 1];
	memset(w, 'a', sizeof w);
	cr_assert_eq(text_stem(st, w, sizeof w, out), TEXT_STEM_MAX);
	/* 47 ASCII bytes then a two-byte character across the cut. */
	memset(w, 'b', 47);
	memcpy(w + 47, "\xc3\xa9xyz", 5);
	size_t n = text_stem(st, w, 52, out);
	cr_assert_eq(n, 47);
	cr_assert_eq(out[47], '\0');
}
