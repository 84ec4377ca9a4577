/*
 * phrases.c: skill phrases of a job description: verb phrases headed by ESCO's skill verbs and
 * noun phrases after experience cues. See phrases.h for the rules.
 */
#include "engines/cv/phrases.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/common.h"
#include "engines/cv/bm25.h"
#include "engines/cv/repair.h"
#include "text/normalize.h"

static const char *const verbs[] = {
#include "engines/cv/verbs.inc"
};

#define VERB_SPAN 10 /* words of a verb phrase, its verb included */
#define NOUN_SPAN 6  /* words of a noun phrase after a cue */
#define LEMMA_MAX 40

struct tok {
	uint32_t start, len;
	bool punct; /* a punctuation mark: ends any phrase */
	bool brk;   /* a line break before this token ends any phrase */
};

static const char *const determiners[] = {
	"the",   "a",   "an",    "our", "your", "their", "its",  "this",  "these",
	"those", "my",  "his",   "her", "any",  "some",  "each", "every", "la",
	"le",    "les", "un",    "une", "des",  "du",    "der",  "die",   "das",
	"den",   "dem", "einer", "el",  "los",  "las",   "una",
};
static const char *const praise[] = { "good",        "excellent",   "strong",   "great",
	                              "proven",      "solid",       "previous", "relevant",
	                              "extensive",   "significant", "sound",    "demonstrable",
	                              "demonstrated" };
/* Words that open a new clause or a circumstance, not more of the skill. */
static const char *const clause_words[] = { "which",   "that",   "who",        "whom",    "whose",
	                                    "where",   "when",   "while",      "whilst",  "so",
	                                    "because", "if",     "including",  "such",    "whether",
	                                    "than",    "during", "throughout", "through", "across",
	                                    "via" };
/* A noun phrase after a cue also ends at a preposition ("experience in X for Y") or a verb
 * of its own ("experience of billing is a plus"). */
static const char *const noun_stops[] = {
	"in",   "on",  "at",   "for",  "from",  "within", "during", "across", "is",
	"are",  "was", "were", "will", "would", "can",    "could",  "should", "must",
	"may",  "be",  "en",   "pour", "dans",  "avec",   "sur",    "chez",   "est",
	"sont", "für", "bei",  "ist",  "sind",  "para",   "sobre",  "es",     "son",
};
static const char *const trailing[] = {
	"the", "a",   "an", "of",   "and",   "or",  "in",  "for", "to",  "with",
	"on",  "at",  "by", "from", "using", "de",  "du",  "des", "la",  "le",
	"les", "et",  "ou", "der",  "die",   "das", "den", "dem", "und", "oder",
	"von", "mit", "el", "los",  "las",   "y",   "o",   "con", "del",
};
/* A verb right after these describes something else ("a team that works on ..."). */
static const char *const relatives[] = { "that", "which", "who", "whose" };
static const char *const skill_heads[] = { "skills", "skill", "abilities", "experience" };
/* Words that end "X skills" or "X experience" on the left: links and durations. */
static const char *const head_stops[] = { "and", "or",    "of",   "in",     "with",
	                                  "to",  "years", "year", "months", "month" };

/* Experience cues: the two words before a noun phrase that names a skill. */
static const char *const cues[][2] = {
	{ "experience", "in" },
	{ "experience", "of" },
	{ "experience", "with" },
	{ "experience", "within" },
	{ "knowledge", "of" },
	{ "understanding", "of" },
	{ "background", "in" },
	{ "responsibility", "for" },
	{ "proficient", "in" },
	{ "proficient", "with" },
	{ "proficiency", "in" },
	{ "focus", "on" },
	{ "passion", "for" },
	{ "degree", "in" },
	{ "qualified", "in" },
	{ "expertise", "in" },
	{ "familiarity", "with" },
	{ "exposure", "to" },
	/* French, German, Spanish: the noun phrase that follows is the skill just the same. */
	{ "expérience", "en" },
	{ "expérience", "dans" },
	{ "expérience", "avec" },
	{ "connaissance", "de" },
	{ "connaissance", "des" },
	{ "connaissances", "de" },
	{ "connaissances", "des" },
	{ "connaissances", "en" },
	{ "maîtrise", "de" },
	{ "maîtrise", "des" },
	{ "maîtrise", "du" },
	{ "compétences", "en" },
	{ "expertise", "en" },
	{ "formation", "en" },
	{ "erfahrung", "in" },
	{ "erfahrung", "mit" },
	{ "erfahrung", "im" },
	{ "erfahrungen", "in" },
	{ "erfahrungen", "mit" },
	{ "erfahrungen", "im" },
	{ "kenntnisse", "in" },
	{ "kenntnisse", "im" },
	{ "kenntnisse", "von" },
	{ "kenntnisse", "der" },
	{ "experiencia", "en" },
	{ "experiencia", "con" },
	{ "conocimientos", "de" },
	{ "conocimientos", "en" },
	{ "conocimiento", "de" },
	{ "conocimiento", "en" },
	{ "dominio", "de" },
	{ "manejo", "de" },
	{ "formación", "en" },
};

static bool is_punct(unsigned char c)
{
	return c && strchr(",;:()/!?[]\"|", c) != NULL;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0x80;
}

/* A full stop belongs to a word only between two word characters ("node.js", "3.5"). */
static bool is_stop(const char *s, size_t len, size_t i)
{
	return s[i] == '.' && !(i > 0 && i + 1 < len && is_alnum((unsigned char)s[i - 1]) &&
	                        is_alnum((unsigned char)s[i + 1]));
}

/*
 * Splits s into tokens; v may be NULL to count them. A line break ends phrases unless the next
 * line goes on in lower case (a wrapped sentence).
 */
static size_t tokenize(const char *s, size_t len, struct tok *v)
{
	size_t n = 0, i = 0;
	bool nl = false;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (is_space(c)) {
			nl |= c == '\n';
			i++;
			continue;
		}
		size_t j = i + 1;
		bool punct = is_punct(c) || is_stop(s, len, i);
		if (!punct)
			while (j < len && !is_space((unsigned char)s[j]) &&
			       !is_punct((unsigned char)s[j]) && !is_stop(s, len, j))
				j++;
		if (v)
			v[n] = (struct tok){ (uint32_t)i, (uint32_t)(j - i), punct,
				             nl && !(c >= 'a' && c <= 'z') };
		n++;
		nl = false;
		i = j;
	}
	return n;
}

static bool tok_is(const char *s, const struct tok *t, const char *w)
{
	size_t n = strlen(w);
	return t->len == n && strncasecmp(s + t->start, w, n) == 0;
}

static bool tok_in(const char *s, const struct tok *t, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tok_is(s, t, list[i]))
			return true;
	return false;
}

#define TOK_IN(s, t, list) tok_in((s), (t), (list), ARRAY_SIZE(list))

static const char *const generic[] = {
	"experience",  "experiences", "skills",        "skill",       "knowledge",
	"ability",     "abilities",   "understanding", "expérience",  "connaissances",
	"compétences", "erfahrung",   "kenntnisse",    "experiencia", "conocimientos",
};

static bool framing(const char *w, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(generic); i++)
		if (strlen(generic[i]) == n && memcmp(generic[i], w, n) == 0)
			return true;
	return false;
}

bool cv_phrases_next_term(struct slice *rest, struct slice *w)
{
	while (text_next_word(rest, w)) {
		char low[32]; /* stop and framing words are short ASCII: a longer word is a term */
		size_t n = w->len < sizeof low ? w->len : 0;
		for (size_t i = 0; i < n; i++)
			low[i] = (char)(w->ptr[i] >= 'A' && w->ptr[i] <= 'Z' ? w->ptr[i] | 0x20
			                                                     : w->ptr[i]);
		if (w->len >= 3 && (!n || (!cv_bm25_stopword(low, n) && !framing(low, n))))
			return true;
	}
	return false;
}

static bool listed(const char *w, size_t n)
{
	return cv_words_has(verbs, ARRAY_SIZE(verbs), w, n);
}

bool cv_phrases_is_verb(const char *w, size_t n)
{
	char b[LEMMA_MAX];
	if (n < 2 || n + 2 > sizeof b)
		return false;
	for (size_t i = 0; i < n; i++)
		b[i] = (char)((w[i] >= 'A' && w[i] <= 'Z') ? w[i] | 0x20 : w[i]);
	if (listed(b, n))
		return true;
	if (n > 3 && memcmp(b + n - 3, "ies", 3) == 0) {
		b[n - 3] = 'y';
		bool ok = listed(b, n - 2);
		b[n - 3] = 'i';
		if (ok)
			return true;
	}
	if (n > 2 && memcmp(b + n - 2, "es", 2) == 0 && listed(b, n - 2))
		return true;
	if (b[n - 1] == 's' && listed(b, n - 1))
		return true;
	if (n > 5 && memcmp(b + n - 3, "ing", 3) == 0) {
		size_t m = n - 3; /* "managing" -> "manag" + "e", "planning" -> "plan" */
		if (listed(b, m))
			return true;
		b[m] = 'e';
		if (listed(b, m + 1))
			return true;
		if (m > 2 && b[m - 1] == b[m - 2] && listed(b, m - 1))
			return true;
	}
	return false;
}

static bool is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

/* All capitals ("TRAINING", "B2B"): a heading or an acronym, not a verb. */
static bool all_caps(const char *w, size_t n)
{
	bool letter = false;
	for (size_t i = 0; i < n; i++) {
		if (w[i] >= 'a' && w[i] <= 'z')
			return false;
		letter |= is_upper((unsigned char)w[i]);
	}
	return letter && n > 1;
}

static bool verb_at(const char *s, const struct tok *v, size_t n, size_t i)
{
	if (i >= n || v[i].punct)
		return false;
	const char *w = s + v[i].start;
	unsigned char c = (unsigned char)w[0];
	if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || all_caps(w, v[i].len))
		return false;
	if (!cv_phrases_is_verb(w, v[i].len))
		return false;
	if (i == 0 || v[i].brk)
		return true;
	if (is_upper(c) && is_upper((unsigned char)s[v[i - 1].start]))
		return false; /* "Test Analyst": a title */
	return !TOK_IN(s, &v[i - 1], determiners) && !TOK_IN(s, &v[i - 1], relatives);
}

static size_t trim(const char *s, const struct tok *v, size_t a, size_t b)
{
	while (b > a + 1 && TOK_IN(s, &v[b - 1], trailing))
		b--;
	return b;
}

/* The end (exclusive) of the verb phrase that starts at token i. */
static size_t verb_end(const char *s, const struct tok *v, size_t n, size_t i)
{
	size_t j = i + 1;
	while (j < n && j - i < VERB_SPAN && !v[j].punct && !v[j].brk &&
	       !TOK_IN(s, &v[j], clause_words)) {
		bool coord = tok_is(s, &v[j], "and") || tok_is(s, &v[j], "or");
		bool link = coord || tok_is(s, &v[j], "to");
		/* "developing and maintaining forecasts": two verbs share one object. */
		if (link && verb_at(s, v, n, j + 1) && !(coord && j == i + 1))
			break;
		j++;
	}
	return trim(s, v, i, j);
}

/* The noun phrase after the cue at tokens i, i+1: [*a, returned end), or end == *a for none. */
static size_t cue_phrase(const char *s, const struct tok *v, size_t n, size_t i, size_t *a)
{
	size_t k = i + 2;
	while (k < n && !v[k].punct && !v[k].brk &&
	       (TOK_IN(s, &v[k], determiners) || TOK_IN(s, &v[k], praise)))
		k++;
	size_t j = k;
	*a = k;
	while (j < n && j - k < NOUN_SPAN && !v[j].punct && !(j > k && v[j].brk) &&
	       !TOK_IN(s, &v[j], clause_words) && !TOK_IN(s, &v[j], noun_stops)) {
		if ((tok_is(s, &v[j], "and") || tok_is(s, &v[j], "or")) && verb_at(s, v, n, j + 1))
			break;
		j++;
	}
	return j > k ? trim(s, v, k, j) : k;
}

static bool cue_at(const char *s, const struct tok *v, size_t n, size_t i)
{
	if (i + 1 >= n || v[i + 1].brk)
		return false;
	for (size_t c = 0; c < ARRAY_SIZE(cues); c++)
		if (tok_is(s, &v[i], cues[c][0]) && tok_is(s, &v[i + 1], cues[c][1]))
			return true;
	return false;
}

/* The first word (>= floor) of "X Y skills" or "X experience" ending at token i, or i. */
static size_t skills_start(const char *s, const struct tok *v, size_t i, size_t floor)
{
	size_t k = i;
	while (k > floor && i - k < 3 && !v[k].brk && !v[k - 1].punct) {
		const struct tok *p = &v[k - 1];
		unsigned char c = (unsigned char)s[p->start];
		if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || TOK_IN(s, p, determiners) ||
		    TOK_IN(s, p, praise) || TOK_IN(s, p, clause_words) || TOK_IN(s, p, head_stops))
			break;
		k--;
	}
	return k;
}

/* Function words of English and of the other languages whose cues are listed above. */
static const char *const english_words[] = { "the", "and", "with", "for", "of",   "to",
	                                     "in",  "you", "our",  "we",  "will", "is" };
static const char *const other_words[] = { "le",  "la",   "les",  "des", "et",  "pour", "avec",
	                                   "du",  "vous", "nous", "der", "die", "das",  "und",
	                                   "mit", "für",  "sie",  "wir", "el",  "los",  "las",
	                                   "y",   "con",  "para", "del" };

/*
 * True when the text reads as English: its verbs (verbs.inc) are English words, and some of
 * them are function words elsewhere ("pour" in "pour nos clients"). Counted on the first
 * 2000 tokens.
 */
static bool reads_english(const char *s, const struct tok *v, size_t n)
{
	size_t en = 0, other = 0;
	for (size_t i = 0; i < n && i < 2000; i++) {
		en += TOK_IN(s, &v[i], english_words);
		other += TOK_IN(s, &v[i], other_words);
	}
	return en >= other;
}

static int emit(const struct tok *v, size_t a, size_t b, bool verb,
                int (*cb)(void *ctx, const struct cv_phrase *p), void *ctx)
{
	struct cv_phrase p = { v[a].start, v[b - 1].start + v[b - 1].len - v[a].start, verb };
	return cb(ctx, &p);
}

int cv_phrases_find(const char *text, size_t len, int (*cb)(void *ctx, const struct cv_phrase *p),
                    void *ctx)
{
	if (len > CV_PHRASES_TEXT_MAX)
		len = CV_PHRASES_TEXT_MAX;
	size_t n = tokenize(text, len, NULL);
	struct tok *v = md_calloc(n ? n : 1, sizeof *v);
	if (!v)
		return MD_ENOMEM;
	tokenize(text, len, v);
	bool english = reads_english(text, v, n);
	int rc = 0;
	size_t i = 0, done = 0; /* done: the end of the last phrase, so none overlap */
	while (i < n && !rc) {
		if (english && verb_at(text, v, n, i)) {
			size_t j = verb_end(text, v, n, i);
			rc = emit(v, i, j, true, cb, ctx);
			i = done = j;
			continue;
		}
		/* "management experience within the health industry" asks for both: the words
		 * before the head first, then the cue's noun phrase. */
		if (TOK_IN(text, &v[i], skill_heads) && i > done) {
			size_t k = skills_start(text, v, i, done);
			if (k < i) {
				rc = emit(v, k, i + 1, false, cb, ctx);
				done = i + 1;
			}
		}
		if (!rc && cue_at(text, v, n, i)) {
			size_t a, j = cue_phrase(text, v, n, i, &a);
			if (j > a) {
				rc = emit(v, a, j, false, cb, ctx);
				i = done = j;
				continue;
			}
		}
		i++;
	}
	md_free(v);
	return rc;
}
