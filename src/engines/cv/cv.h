/*
 * cv.h: the CV deep-match engine. Pure: no HTTP, no SQL, no clock, no globals, no file I/O.
 * Text of the CV's pages, a job description and a cv_requirements go in; a cv_result comes
 * out. The same input always gives the same output, byte for byte.
 *
 * What the engine does, in order: gives a page or a job description that a plain-text export
 * flattened onto one line its line breaks back (repair.h), normalises every page
 * (text/normalize.h), splits it into
 * lines and finds section headings ("Experience", "Education", "Skills", "Projects", and their
 * French, German and Chinese names), finds date ranges (dates.h), decides which ranges are
 * jobs, finds skills (skills.h) and their years, detects degrees, languages with CEFR levels,
 * certifications and the location, gives each requirement a verdict with quoted evidence, and
 * scores.
 *
 * Heuristics, stated so the numbers can be checked by hand:
 *   - A date range counts as experience unless it lies in an education, projects or other
 *     non-work section (awards, publications, ...) or its own line names a school or a degree
 *     (university, school, college, bachelor, master, degree, B.Sc, GPA, ...).
 *   - Experience years = the length of the union of those ranges (overlaps count once).
 *   - A line belongs to the last experience range that started on or above it, until the next
 *     section heading or the next range. Years of a skill = the union of the ranges of the
 *     lines that mention it; a skill only named in a "Skills" list gets 0 years (unknown).
 *   - Verdict scores: met 1, partially_met 0.5, not_met 0, unknown 0. A skill found with fewer
 *     years than asked is partially_met; experience of at least half the years asked is
 *     partially_met; "unknown" means the CV gives no way to tell (no text layer, no dates, no
 *     education section nor degree at all).
 *   - A category's score is the weighted mean of its requirements (must-have skills weigh 2,
 *     everything else 1); categories without requirements drop out and the remaining weights
 *     are re-normalised; score = round(100 * weighted mean of categories).
 *   - Similarity: BM25 of the CV against the job description (bm25.h), with the terms that
 *     carried it.
 *   - Experience years are those of the work positions (positions.h): dated entries of
 *     experience sections, volunteer roles apart.
 *   - Each unmet requirement says what would change its verdict; improvements are those
 *     changes ordered by the points they would add (category weight x requirement weight
 *     share x missing score), ties by requirement id, so the output is deterministic.
 */
#ifndef MATCHD_ENGINES_CV_CV_H
#define MATCHD_ENGINES_CV_CV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "engines/cv/bm25.h"
#include "engines/cv/contact.h"
#include "engines/cv/education.h"
#include "engines/cv/languages.h"
#include "engines/cv/positions.h"
#include "engines/cv/requirements.h"
#include "engines/cv/sections.h"
#include "engines/cv/taxonomy.h"

#define CV_EVIDENCE_MAX 200 /* bytes of quoted text, not counting the NUL */
#define CV_MAX_EVIDENCE 3   /* quotes per requirement */
#define CV_MAX_WARNINGS 8
#define CV_WARNING_MAX 160
#define CV_MAX_POINTS 8    /* strengths, gaps, improvements */
#define CV_POINT_MAX 240   /* bytes per point, with the NUL */
#define CV_MAX_SECTIONS 24 /* headings reported */

#define CV_MAX_OCR_PAGES 32 /* pages of one document read by OCR at most */

/* The text of a document, one UTF-8 string per page (page i + 1 is text[i]). */
struct cv_pages {
	char **text;
	size_t n;
	bool truncated; /* pages or bytes were cut at a limit */
	/*
	 * What extraction could not read or had to repair ("page 1: part of the page has symbols
	 * but no extractable text"), for result.warnings. Inline storage, so cv_pages_release()
	 * needs no change; cv_pdf_extract() fills it.
	 */
	char warnings[CV_MAX_WARNINGS][CV_WARNING_MAX];
	size_t nwarnings;
	/* The pages (1-based, ascending) that had no readable text layer and were read by OCR. */
	int ocr_pages[CV_MAX_OCR_PAGES];
	size_t nocr_pages;
};

void cv_pages_init(struct cv_pages *p);
void cv_pages_release(struct cv_pages *p);
/* Appends a page holding a NUL-terminated copy of text[0..len). */
MD_WUR int cv_pages_add(struct cv_pages *p, const char *text, size_t len);

/* Returns nonzero to ask the engine to stop; the engine then returns MD_ECANCELED. */
typedef int (*cv_progress_fn)(void *ctx, const char *stage, double fraction);

struct cv_input {
	const char *const *pages; /* n_pages UTF-8 strings (any bytes: they are cleaned) */
	size_t n_pages;
	const char *job_description; /* may be NULL */
	const struct cv_requirements *req;
	int64_t as_of;           /* days since 1970-01-01: "present" in a CV means this day */
	cv_progress_fn progress; /* may be NULL */
	void *progress_ctx;
	/*
	 * The skills taxonomy (taxonomy.h), shared read-only; NULL: the built-in table of
	 * skills.h. With it: skills are found with cv_taxonomy_find (in skills context inside a
	 * Skills section), requirement names are resolved to taxonomy skills (unknown names are
	 * matched literally), a requirement is met through the hierarchy with partial credit
	 * (cv_taxonomy_credit: PostgreSQL for "relational databases" is partially_met with score
	 * 0.8), a skill requirement weighs (must 2, nice 1) x cv_taxonomy_rarity, and when the
	 * requirements name no skills the skills the job description asks for become the skill
	 * requirements (ids "/job_description/must_have/<i>", "/job_description/nice_to_have/<i>"),
	 * followed by the phrases it asks for in its own words (taxonomy.h, phrases.h), each
	 * judged by the words of it one CV line shows (3/4 met, 1/2 partially; words of a named
	 * skill count where the CV proves the skill) and weighing a quarter of a skill.
	 * Last member, so positional initialisers written before it stay valid.
	 */
	const struct cv_taxonomy *taxonomy;
};

enum cv_verdict { CV_MET, CV_PARTIALLY_MET, CV_NOT_MET, CV_UNKNOWN };

struct cv_evidence {
	int page; /* 1-based */
	enum cv_section_kind section;
	char text[CV_EVIDENCE_MAX + 1];
};

struct cv_req_result {
	char id[64]; /* JSON pointer into the requirements: "/skills/must_have/0" */
	enum cv_category category;
	char name[96];         /* short: "Kubernetes", "French", "bachelor" */
	char requirement[192]; /* readable: "Kubernetes (must have, 3+ years)" */
	enum cv_verdict verdict;
	double score;  /* 0..1 */
	double weight; /* within the category */
	struct cv_evidence evidence[CV_MAX_EVIDENCE];
	size_t n_evidence;
	char change[CV_POINT_MAX]; /* unmet ones: what would change the verdict; else "" */
	const char *comparison;    /* education: "does_not_meet", "meets", "exceeds"; else NULL */
	double gain;               /* points of the total score a full match would add */
	char matched[64];          /* skills: the skill found that gave the credit; else "" */
	bool related; /* skills: partially met through a related skill of the taxonomy */
	bool words;   /* skills: a phrase of the job description, judged by the words of it a CV
	               * line shares (matched lists them) */
};

struct cv_category_score {
	bool present;  /* false: no requirement in this category, it dropped out */
	double score;  /* 0..1 */
	double weight; /* re-normalised over the present categories; sums to 1 */
};

struct cv_skill_found {
	char name[64];
	char id[64];  /* taxonomy id ("onet:docker"); "" with the built-in table */
	double years; /* 0 when no dated experience mentions it */
	/* The first mention as the CV writes it ("MS Office" for Microsoft Office software); ""
	 * with the built-in table. The API shows it as skills_found[].as_written. */
	char as_written[64];
};

struct cv_section_found {
	enum cv_section_kind kind;
	int page;
	char heading[64];
};

struct cv_result {
	int score;        /* 0..100 */
	const char *tier; /* "strong" (>= 80), "good" (>= 65), "partial" (>= 45), "weak" */
	char summary[512];
	struct cv_req_result *reqs;
	size_t n_reqs;
	struct cv_category_score categories[CV_CAT_COUNT];
	struct cv_skill_found *skills; /* sorted by name */
	size_t n_skills;
	double experience_years;
	enum cv_edu_level education_level; /* highest degree detected */
	char warnings[CV_MAX_WARNINGS][CV_WARNING_MAX];
	size_t n_warnings;
	/* "requirements" (the caller's), "job_description" (extracted from it) or "none". */
	const char *requirements_source;
	const char *taxonomy; /* "esco-onet-linguist" or "builtin" */

	/* What the CV says, requirement or not. */
	struct cv_contact contact;
	struct cv_section_found sections[CV_MAX_SECTIONS];
	size_t n_sections;
	struct cv_position *positions; /* text order; work and volunteer roles */
	size_t n_positions;
	bool has_stated_years;
	double stated_years; /* "8+ years of experience" */
	struct cv_degree *degrees;
	size_t n_degrees;
	int education_isced; /* highest ISCED 2011 level, -1 when none */
	struct cv_language *languages;
	size_t n_languages;
	struct cv_certification *certifications;
	size_t n_certifications;
	struct cv_bm25_term similarity_terms[CV_BM25_TERMS];
	size_t n_similarity_terms;

	/* The explanation. */
	char strengths[CV_MAX_POINTS][CV_POINT_MAX];
	size_t n_strengths;
	char gaps[CV_MAX_POINTS][CV_POINT_MAX];
	size_t n_gaps;
	char improvements[CV_MAX_POINTS][CV_POINT_MAX]; /* largest gain first */
	size_t n_improvements;
};

/*
 * Matches the CV against the requirements. Returns 0 and fills *out (release it with
 * cv_result_release), MD_EINVAL when in or in->req is NULL, MD_ENOMEM, or MD_ECANCELED when
 * the progress callback asked to stop; on error *out is left empty.
 */
MD_WUR int cv_match(const struct cv_input *in, struct cv_result *out);
void cv_result_release(struct cv_result *r);

const char *cv_verdict_name(enum cv_verdict v);
/* "strong", "good", "partial" or "weak" for a 0..100 score. */
const char *cv_tier_for(int score);

#endif
