/*
 * taxonomy.h: the skills taxonomy (data/skills.tsv: ESCO + O*NET + Linguist, built by
 * scripts/build_skills.py) loaded from text, and the matcher that finds skill mentions in a CV
 * or a job description. Pure: the caller reads the file and passes its bytes; nothing here does
 * I/O or keeps global state, so one loaded taxonomy can be shared read-only by many threads.
 *
 * Names. Every skill has a label and aliases. A name is compared as a sequence of tokens: a token
 * is a run of letters and digits, joined through inner dots ("node.js", "asp.net"), with an
 * optional leading dot after a non-word character (".net") and an optional "++" or "#" suffix
 * ("c++", "c#"). Tokens are Unicode case-folded. In names of two or more tokens each token is
 * also lightly stemmed (plural "s"/"ies", "ing", final "e"), so "relational database" matches
 * "Relational Databases" and "managing staff" matches "manage staff"; one-token names are never
 * stemmed ("Rust" is not "Rusts"). Snowball (text/stem.h) is not safe here: it would make
 * "project manager" the skill "project management"; the engine uses it for similarity and for
 * the words of job-description phrases only. Between the tokens of a multi-token mention only white space,
 * line breaks, '-', '/' and apostrophes may appear ("CI/CD", "front-end", "Google Cloud\nPlatform").
 *
 * Boundaries (the rules of skills.c): a mention may not start right after "word-" or "word."
 * (so "C" does not match inside "Objective-C"), and a one-letter name may not touch '-', '&' or
 * '\'' ("C-level", "R&D"). "Java" never matches "JavaScript" and "C" never "C++" or "C#"
 * because those are different tokens.
 *
 * Ambiguity. Names listed in the needs_context column ("Go", "C", "R", "Rust", "Swift", "Excel")
 * are reported only in a skills context: when the caller says the whole text is one (a skills
 * section), on a line under a skills-like heading ("Skills", "Technical skills", "Tech stack",
 * "Languages", "Tools") or after a "Skills:"-like label on the same line, or in a list next to
 * another accepted skill (separated only by ',', ';', '/', '|', '&', bullets, parentheses,
 * "and", "or"). A capitalised ambiguous name ("Go") must also be capitalised in the text, and
 * one written all in capitals ("LESS", "GAMS") must be all capitals there ("(Less than 1 year)"
 * in an Indeed skills list is not the stylesheet language). In a job description (requirement
 * extraction below) an ambiguous name of several words is accepted without context: job ads ask
 * for "customer service" where CVs mostly mention it in passing. There the noun phrases of
 * phrases.h ("experience with Go", "strong Excel skills") are a skills context too.
 *
 * Many of the ambiguous names come from data/skills_learned.tsv (scripts/learn_skills.py): taxonomy
 * names that the labelled training CVs of dotin-resume-ner use in prose far more often than as a
 * skill ("communication", "plan", "English").
 *
 * One-word names of ESCO skill groups and O*NET categories ("Skills", "Knowledge") are never
 * matched in text: in a CV they are headings.
 *
 * Matching is leftmost-longest: at each token the longest name wins, and the scan resumes after
 * it ("React Native" is one hit, not React + Native).
 */
#ifndef MATCHD_ENGINES_CV_TAXONOMY_H
#define MATCHD_ENGINES_CV_TAXONOMY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Hard limits: a larger file is refused with MD_ELIMIT. */
#define CV_TAXONOMY_MAX_BYTES (64u << 20)
#define CV_TAXONOMY_MAX_SKILLS 1000000
/* Names of more tokens than this are kept for display but never matched or looked up. */
#define CV_TAXONOMY_MAX_TOKENS 12
/* The category scripts/build_skills.py gives a learned one-word vocabulary row that is common
 * English ("design", "testing"). */
#define CV_TAXONOMY_LEARNED_COMMON "learned vocabulary, common word"

struct cv_skill {
	const char *id; /* "esco:<uuid>", "onet:docker", "ling:go", "matchd:relational-databases" */
	const char *label;    /* preferred label */
	const char *type;     /* esco | onet | linguist | matchd */
	const char *category; /* ESCO top group, O*NET commodity title or Linguist type */
	bool hot;             /* an O*NET "hot technology" */
	uint32_t parents_off; /* broader skills: t->edges[parents_off .. parents_off + nparents) */
	uint32_t nparents;
	uint32_t nchildren; /* skills that name this one as broader */
	double rarity;
};

struct cv_tx_entry; /* private: one hash slot */
struct cv_tagger;   /* tagger.h */

struct cv_taxonomy {
	char *text; /* the owned copy of the TSV; every string of skills[] points into it */
	struct cv_skill *skills;
	int nskills;
	int *edges;
	size_t nedges;
	struct cv_tx_entry *names; /* normalised name -> skill (open addressing) */
	size_t names_cap;
	struct cv_tx_entry *ids; /* id -> skill */
	size_t ids_cap;
	char *keys; /* storage of the normalised names */
	size_t keys_len, keys_alloc;
	int max_tokens; /* most tokens in any matchable name */
	/*
	 * The skill phrase tagger trained with this taxonomy (tagger.h), borrowed, or NULL. Set by
	 * whoever loads both (src/api/taxonomy_loader.c); cv_match then reports the phrases it
	 * tags among the skills found (cv.c). Load and release leave it NULL.
	 */
	const struct cv_tagger *tagger;
};

struct cv_skill_hit {
	int skill;          /* index into t->skills */
	size_t offset;      /* byte offset of the mention in the text */
	size_t len;         /* byte length of the mention */
	bool needs_context; /* matched through an ambiguous name, accepted by its context */
};

enum cv_req_kind {
	CV_REQ_MUST = 1, /* "required", "must", "you have", "strong X", or no cue at all */
	CV_REQ_NICE = 2, /* "nice to have", "a plus", "bonus", "preferred", "ideally" */
};

/* The most phrases (skill < 0) cv_taxonomy_extract_requirements reports for one text. */
#define CV_JD_PHRASES_MAX 12

struct cv_skill_requirement {
	int skill;     /* the taxonomy skill, or -1: a phrase of the text (offset, len) */
	size_t offset; /* the first mention */
	size_t len;
	enum cv_req_kind kind;
};

/*
 * Parses the TSV (the format written by scripts/build_skills.py: '#' comment lines, a header
 * line, then id, label, type, category, hot, aliases, broader, needs_context) into *t, which
 * owns a copy of the text. Unknown broader ids are ignored. Returns 0, MD_EINVAL (a message in
 * err, with the line number) for a malformed file or a duplicate id, MD_ELIMIT or MD_ENOMEM;
 * on error *t is left released. err may be NULL.
 */
MD_WUR int cv_taxonomy_load(struct cv_taxonomy *t, const char *tsv, size_t len, char *err,
                            size_t errcap);

/* Frees everything *t owns and zeroes it; safe on a zeroed or released taxonomy. */
void cv_taxonomy_release(struct cv_taxonomy *t);

/*
 * Finds every skill mention in text[0..len) (ideally text_normalize() output; any bytes are
 * safe) and calls cb for each, in text order. skills_context says the whole text is a skills
 * section. Stops at the first non-zero return of cb and returns it; otherwise returns 0, or
 * MD_ENOMEM.
 */
MD_WUR int cv_taxonomy_find(const struct cv_taxonomy *t, const char *text, size_t len,
                            bool skills_context,
                            int (*cb)(void *ctx, const struct cv_skill_hit *hit), void *ctx);

/* The skill whose label or alias equals name after normalisation; -1 when none. */
int cv_taxonomy_lookup(const struct cv_taxonomy *t, const char *name);

/* The skill with this id ("onet:docker"); -1 when none. */
int cv_taxonomy_by_id(const struct cv_taxonomy *t, const char *id);

/*
 * True when ancestor is skill itself (distance 0) or is reachable from skill through broader
 * links; *distance (may be NULL) receives the fewest links. Searches at most 8 levels up.
 */
bool cv_taxonomy_is_under(const struct cv_taxonomy *t, int skill, int ancestor, int *distance);

/*
 * Partial credit that having skill found gives to a requirement for skill required, in [0, 1]:
 *   1.0  the same skill;
 *   0.8  found is a direct child of required (PostgreSQL for "relational databases", React for
 *        "JavaScript Framework");
 *   0.6  found is a grandchild of required;
 *   0.5  siblings under a close parent: they share a direct parent that has at most 40 children
 *        (Angular for React under "JavaScript Framework"; not two of 500 O*NET "office suites");
 *   0.0  otherwise: a generic skill does not prove a specific one (required PostgreSQL, found
 *        "relational databases" gives 0).
 */
double cv_taxonomy_credit(const struct cv_taxonomy *t, int required, int found);

/*
 * Rarity weight of a skill in [0.5, 2.0]: an inverse frequency over the taxonomy. n counts the
 * skill's siblings (under its most crowded parent) plus its own children; a skill alone in a
 * small group (a rare, specific technology) gets close to 2.0, one among hundreds or a generic
 * umbrella gets close to 0.5: rarity = 0.5 + 1.5 * (1 - ln(1 + n) / ln(1 + n_max)). O*NET "hot"
 * technologies are common in job ads and get 15% less. Computed once at load.
 */
double cv_taxonomy_rarity(const struct cv_taxonomy *t, int skill);

/*
 * Extracts the skills a job description asks for (skills of the category
 * CV_TAXONOMY_LEARNED_COMMON, one common word learned from CV skills lists such as "design" or
 * "development", are left out: a job ad uses them in prose) and classifies each from the cues
 * of its sentence or bullet, then of its section heading: "nice to have", "a plus", "bonus",
 * "preferred", "ideally", "desirable", "advantage" -> CV_REQ_NICE; "required", "must", "you
 * have", "strong", "proficien", "essential" or no cue -> CV_REQ_MUST. Mentions in "Benefits",
 * "About us", "How to apply" sections are ignored. Each skill is reported once, at its first
 * mention, MUST if any mention is MUST; in order of first mention.
 * Then, with skill -1, up to CV_JD_PHRASES_MAX skill phrases of the text in its own words
 * (phrases.h: "influence cross functional teams", "experience of billing reconciliation") that
 * name at least two content words and no taxonomy skill, each once (case-insensitively),
 * classified the same way, in text order. Returns as cv_taxonomy_find.
 */
MD_WUR int
cv_taxonomy_extract_requirements(const struct cv_taxonomy *t, const char *text, size_t len,
                                 int (*cb)(void *ctx, const struct cv_skill_requirement *req),
                                 void *ctx);

#endif
