#include "engines/cv/languages.h"

#include "base/common.h"

#include <strings.h>

#include "text/normalize.h"

struct lang {
	const char *name;
	const char *aliases[6]; /* folded; NULL-terminated */
};

static const struct lang langs[] = {
	{ "English", { "english", "anglais", "englisch", "inglés", "英语", "英文" } },
	{ "French", { "french", "français", "französisch", "francés", "法语" } },
	{ "German", { "german", "allemand", "deutsch", "alemán", "德语" } },
	{ "Spanish", { "spanish", "espagnol", "español", "spanisch", "西班牙语" } },
	{ "Italian", { "italian", "italien", "italiano", "italienisch", "意大利语" } },
	{ "Portuguese", { "portuguese", "portugais", "português", "portugiesisch" } },
	{ "Dutch", { "dutch", "néerlandais", "nederlands", "niederländisch" } },
	{ "Chinese", { "chinese", "mandarin", "chinois", "中文", "汉语", "普通话" } },
	{ "Cantonese", { "cantonese", "粤语" } },
	{ "Japanese", { "japanese", "japonais", "japanisch", "japonés", "日语" } },
	{ "Korean", { "korean", "coréen", "koreanisch", "coreano", "韩语" } },
	{ "Arabic", { "arabic", "arabe", "arabisch", "árabe" } },
	{ "Russian", { "russian", "russe", "russisch", "ruso", "俄语" } },
	{ "Hindi", { "hindi" } },
	{ "Bengali", { "bengali", "bangla" } },
	{ "Polish", { "polish", "polonais", "polnisch" } },
	{ "Turkish", { "turkish", "turc", "türkisch", "turco" } },
	{ "Swedish", { "swedish", "suédois", "schwedisch" } },
	{ "Greek", { "greek", "grec", "griechisch" } },
	{ "Vietnamese", { "vietnamese", "vietnamien" } },
};

struct level_word {
	const char *w;
	enum cv_lang_level level;
};

static const struct level_word levels[] = {
	{ "native", CV_LANG_NATIVE },
	{ "mother tongue", CV_LANG_NATIVE },
	{ "langue maternelle", CV_LANG_NATIVE },
	{ "maternelle", CV_LANG_NATIVE },
	{ "muttersprache", CV_LANG_NATIVE },
	{ "lengua materna", CV_LANG_NATIVE },
	{ "nativo", CV_LANG_NATIVE },
	{ "bilingual", CV_LANG_NATIVE },
	{ "bilingue", CV_LANG_NATIVE },
	{ "母语", CV_LANG_NATIVE },
	{ "c2", CV_LANG_C2 },
	{ "c1", CV_LANG_C1 },
	{ "b2", CV_LANG_B2 },
	{ "b1", CV_LANG_B1 },
	{ "a2", CV_LANG_A2 },
	{ "a1", CV_LANG_A1 },
	{ "fluent", CV_LANG_C1 },
	{ "fluently", CV_LANG_C1 },
	{ "courant", CV_LANG_C1 },
	{ "fließend", CV_LANG_C1 },
	{ "fluido", CV_LANG_C1 },
	{ "熟练", CV_LANG_C1 },
	{ "流利", CV_LANG_C1 },
	{ "精通", CV_LANG_C1 },
	{ "proficient", CV_LANG_C1 },
	{ "advanced", CV_LANG_C1 },
	{ "avancé", CV_LANG_C1 },
	{ "full professional", CV_LANG_C1 },
	{ "professional working", CV_LANG_B2 },
	{ "upper intermediate", CV_LANG_B2 },
	{ "good", CV_LANG_B2 },
	{ "良好", CV_LANG_B2 },
	{ "intermediate", CV_LANG_B1 },
	{ "intermédiaire", CV_LANG_B1 },
	{ "conversational", CV_LANG_B1 },
	{ "elementary", CV_LANG_A2 },
	{ "basic", CV_LANG_A2 },
	{ "basique", CV_LANG_A2 },
	{ "notions", CV_LANG_A2 },
	{ "beginner", CV_LANG_A2 },
	{ "débutant", CV_LANG_A2 },
	{ "grundkenntnisse", CV_LANG_A2 },
	{ "básico", CV_LANG_A2 },
};

static bool is_letter(const char *s, size_t n, size_t i)
{
	if (i >= n)
		return false;
	char c = s[i];
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       ((unsigned char)c >= 0x80 && (unsigned char)c < 0xE3);
}

static bool find_word(const char *s, size_t n, const char *w, size_t from, size_t *at)
{
	size_t wl = strlen(w);
	bool cjk = (unsigned char)w[0] >= 0xE3;
	for (size_t i = from; i + wl <= n; i++)
		if (strncasecmp(s + i, w, wl) == 0 &&
		    (cjk || ((i == 0 || !is_letter(s, n, i - 1)) && !is_letter(s, n, i + wl)))) {
			*at = i;
			return true;
		}
	return false;
}

/* The level in s[0..n) nearest to the language at [a, e): the clause up to ',' or ';'. */
static enum cv_lang_level level_near(const char *s, size_t n, size_t a, size_t e)
{
	size_t lo = a, hi = e;
	while (lo > 0 && s[lo - 1] != ',' && s[lo - 1] != ';' && s[lo - 1] != ':' &&
	       s[lo - 1] != '|')
		lo--;
	while (hi < n && s[hi] != ',' && s[hi] != ';' && s[hi] != '|')
		hi++;
	enum cv_lang_level best = CV_LANG_UNSPECIFIED;
	for (size_t k = 0; k < ARRAY_SIZE(levels); k++) {
		size_t at;
		if (levels[k].level > best && find_word(s, hi, levels[k].w, lo, &at))
			best = levels[k].level;
	}
	if (best == CV_LANG_UNSPECIFIED) {
		/* A rating: "English 5", "Spanish 4", "German 3.5". */
		size_t k = e;
		while (k < hi && s[k] == ' ')
			k++;
		if (k < hi && s[k] >= '1' && s[k] <= '5' &&
		    (k + 1 == hi || s[k + 1] == '.' || s[k + 1] == ' ' || s[k + 1] == '/')) {
			static const enum cv_lang_level r[] = { CV_LANG_A2, CV_LANG_B1, CV_LANG_B2,
				                                CV_LANG_C1, CV_LANG_C2 };
			best = r[s[k] - '1'];
		}
	}
	return best;
}

static bool labelled(const struct cv_line *l)
{
	static const char *const labels[] = { "language:", "languages:", "langues :",
		                              "langues:",  "langue :",   "sprachen:",
		                              "idiomas:",  "语言:",      "语言：" };
	for (size_t k = 0; k < ARRAY_SIZE(labels); k++) {
		size_t at;
		if (find_word(l->text, l->len, labels[k], 0, &at))
			return true;
	}
	return false;
}

size_t cv_languages_extract(const struct cv_line *lines, size_t n, struct cv_language *out,
                            size_t cap)
{
	size_t nl = 0;
	for (size_t i = 0; i < n; i++) {
		const struct cv_line *l = &lines[i];
		bool ctx = (l->section == CV_SEC_LANGUAGES && !l->heading) || labelled(l);
		for (size_t g = 0; g < ARRAY_SIZE(langs); g++) {
			for (size_t a = 0; a < 6 && langs[g].aliases[a]; a++) {
				size_t at;
				if (!find_word(l->text, l->len, langs[g].aliases[a], 0, &at))
					continue;
				size_t e = at + strlen(langs[g].aliases[a]);
				enum cv_lang_level lv = level_near(l->text, l->len, at, e);
				if (!ctx && lv == CV_LANG_UNSPECIFIED)
					continue;
				size_t k = 0;
				while (k < nl && strcmp(out[k].name, langs[g].name) != 0)
					k++;
				if (k < nl) {
					if (lv > out[k].level)
						out[k].level = lv;
					break;
				}
				if (nl >= cap)
					return nl;
				snprintf(out[nl].name, sizeof out[nl].name, "%s", langs[g].name);
				out[nl].level = lv;
				out[nl++].line = i;
				break;
			}
		}
	}
	return nl;
}

static const char *const cert_names[] = {
	"aws certified",
	"azure certified",
	"google cloud certified",
	"certified kubernetes",
	"pmp",
	"cissp",
	"ccna",
	"ccnp",
	"cka",
	"ckad",
	"toefl",
	"ielts",
	"cfa",
	"cpa",
	"itil",
	"prince2",
	"csm",
	"psm",
	"oscp",
	"comptia",
	"delf",
	"dalf",
	"goethe-zertifikat",
	"hsk",
	"jlpt",
	"tcf",
	"toeic",
};

static bool add_cert(struct cv_certification *out, size_t *nc, size_t cap, const char *s,
                     size_t len, size_t line)
{
	char tmp[128];
	while (len && (*s == ' ' || *s == '-' || *s == '*'))
		s++, len--;
	if (cv_line_is_bullet(s, len)) {
		while (len && (unsigned char)*s >= 0x80)
			s++, len--;
		while (len && *s == ' ')
			s++, len--;
	}
	if (len == 0)
		return true;
	if (len >= sizeof tmp)
		len = text_utf8_floor(s, sizeof tmp - 1);
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	for (size_t k = 0; k < *nc; k++)
		if (strcasecmp(out[k].name, tmp) == 0)
			return true;
	if (*nc >= cap)
		return false;
	snprintf(out[*nc].name, sizeof out[*nc].name, "%s", tmp);
	out[(*nc)++].line = line;
	return true;
}

size_t cv_certifications_extract(const struct cv_line *lines, size_t n,
                                 struct cv_certification *out, size_t cap)
{
	size_t nc = 0;
	for (size_t i = 0; i < n; i++) {
		const struct cv_line *l = &lines[i];
		if (l->len == 0 || l->heading)
			continue;
		if (l->section == CV_SEC_CERTIFICATIONS) {
			if (!add_cert(out, &nc, cap, l->text, l->len, i))
				break;
			continue;
		}
		for (size_t k = 0; k < ARRAY_SIZE(cert_names); k++) {
			size_t at;
			if (!find_word(l->text, l->len, cert_names[k], 0, &at))
				continue;
			/* The name as written, up to the end of its clause. */
			size_t e = at;
			while (e < l->len && l->text[e] != ',' && l->text[e] != ';' &&
			       l->text[e] != '(' && l->text[e] != '|' && e - at < 60)
				e++;
			if (!add_cert(out, &nc, cap, l->text + at, e - at, i))
				return nc;
		}
	}
	return nc;
}
