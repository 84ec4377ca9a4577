/*
 * requirements.h: what a job asks of a CV, as plain C. The API layer fills it from JSON
 * (api/cv_json.c); tests fill it directly with the _add helpers.
 *
 * Ownership: every string and array is owned by the struct and freed by
 * cv_requirements_release(). Weights are relative: the engine drops the categories that have
 * no requirement and re-normalises the others, so they need not sum to 1.
 */
#ifndef MATCHD_ENGINES_CV_REQUIREMENTS_H
#define MATCHD_ENGINES_CV_REQUIREMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

enum cv_edu_level {
	CV_EDU_NONE = 0,
	CV_EDU_HIGH_SCHOOL,
	CV_EDU_ASSOCIATE,
	CV_EDU_BACHELOR,
	CV_EDU_MASTER,
	CV_EDU_DOCTORATE,
};

/* CEFR levels in order; CV_LANG_UNSPECIFIED means "any level". */
enum cv_lang_level {
	CV_LANG_UNSPECIFIED = 0,
	CV_LANG_A1,
	CV_LANG_A2,
	CV_LANG_B1,
	CV_LANG_B2,
	CV_LANG_C1,
	CV_LANG_C2,
	CV_LANG_NATIVE,
};

enum cv_category {
	CV_CAT_SKILLS = 0,
	CV_CAT_EXPERIENCE,
	CV_CAT_EDUCATION,
	CV_CAT_LANGUAGES,
	CV_CAT_CERTIFICATIONS,
	CV_CAT_LOCATION,
	CV_CAT_SIMILARITY,
	CV_CAT_COUNT,
};

struct cv_skill_req {
	char *name;
	double min_years; /* 0: any experience */
};

struct cv_language_req {
	char *language;
	enum cv_lang_level min_level;
};

struct cv_requirements {
	struct cv_skill_req *must_have;
	size_t n_must_have;
	struct cv_skill_req *nice_to_have;
	size_t n_nice_to_have;

	bool has_min_years;
	double min_years;

	enum cv_edu_level edu_min_level; /* CV_EDU_NONE: no education requirement */
	char **edu_fields;
	size_t n_edu_fields;

	struct cv_language_req *languages;
	size_t n_languages;

	char **certifications;
	size_t n_certifications;

	bool has_location;
	char *city; /* may be NULL when only remote_ok is given */
	bool remote_ok;

	double weights[CV_CAT_COUNT];

	bool has_as_of;
	int64_t as_of; /* days since 1970-01-01 */
};

/* Default weights: skills .35, experience .20, education .10, languages .05,
 * certifications .05, location .05, similarity .20. */
void cv_requirements_init(struct cv_requirements *r);
void cv_requirements_release(struct cv_requirements *r);

MD_WUR int cv_requirements_add_skill(struct cv_requirements *r, bool must, const char *name,
                                     double min_years);
MD_WUR int cv_requirements_add_edu_field(struct cv_requirements *r, const char *field);
MD_WUR int cv_requirements_add_language(struct cv_requirements *r, const char *language,
                                        enum cv_lang_level min_level);
MD_WUR int cv_requirements_add_certification(struct cv_requirements *r, const char *name);
MD_WUR int cv_requirements_set_location(struct cv_requirements *r, const char *city,
                                        bool remote_ok);

/* Names used in JSON and messages: "skills", "bachelor", "B2", ... and back. */
const char *cv_category_name(enum cv_category c);
const char *cv_edu_level_name(enum cv_edu_level l);
const char *cv_lang_level_name(enum cv_lang_level l);
/* Return false when the name is unknown. */
bool cv_edu_level_parse(const char *s, enum cv_edu_level *out);
bool cv_lang_level_parse(const char *s, enum cv_lang_level *out);
bool cv_category_parse(const char *s, enum cv_category *out);

#endif
