#include "engines/cv/requirements.h"

#include "base/common.h"

#include <strings.h>

static const double default_weights[CV_CAT_COUNT] = {
	[CV_CAT_SKILLS] = 0.35,     [CV_CAT_EXPERIENCE] = 0.20,     [CV_CAT_EDUCATION] = 0.10,
	[CV_CAT_LANGUAGES] = 0.05,  [CV_CAT_CERTIFICATIONS] = 0.05, [CV_CAT_LOCATION] = 0.05,
	[CV_CAT_SIMILARITY] = 0.20,
};

void cv_requirements_init(struct cv_requirements *r)
{
	memset(r, 0, sizeof *r);
	memcpy(r->weights, default_weights, sizeof r->weights);
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		md_free(v[i]);
	md_free(v);
}

void cv_requirements_release(struct cv_requirements *r)
{
	for (size_t i = 0; i < r->n_must_have; i++)
		md_free(r->must_have[i].name);
	md_free(r->must_have);
	for (size_t i = 0; i < r->n_nice_to_have; i++)
		md_free(r->nice_to_have[i].name);
	md_free(r->nice_to_have);
	free_strings(r->edu_fields, r->n_edu_fields);
	for (size_t i = 0; i < r->n_languages; i++)
		md_free(r->languages[i].language);
	md_free(r->languages);
	free_strings(r->certifications, r->n_certifications);
	md_free(r->city);
	cv_requirements_init(r);
}

/* Grows *v by one element of size sz; returns a pointer to the new zeroed slot or NULL. */
static void *grow(void **v, size_t *n, size_t sz)
{
	if (*n >= 4096)
		return NULL;
	char *p = md_realloc(*v, (*n + 1) * sz);
	if (!p)
		return NULL;
	*v = p;
	memset(p + *n * sz, 0, sz);
	return p + (*n)++ * sz;
}

int cv_requirements_add_skill(struct cv_requirements *r, bool must, const char *name,
                              double min_years)
{
	char *copy = md_strdup(name);
	if (!copy)
		return MD_ENOMEM;
	struct cv_skill_req *s =
	    must ? grow((void **)&r->must_have, &r->n_must_have, sizeof *s)
	         : grow((void **)&r->nice_to_have, &r->n_nice_to_have, sizeof *s);
	if (!s) {
		md_free(copy);
		return MD_ENOMEM;
	}
	s->name = copy;
	s->min_years = min_years > 0 ? min_years : 0;
	return 0;
}

static int add_string(char ***v, size_t *n, const char *s)
{
	char *copy = md_strdup(s);
	if (!copy)
		return MD_ENOMEM;
	char **slot = grow((void **)v, n, sizeof *slot);
	if (!slot) {
		md_free(copy);
		return MD_ENOMEM;
	}
	*slot = copy;
	return 0;
}

int cv_requirements_add_edu_field(struct cv_requirements *r, const char *field)
{
	return add_string(&r->edu_fields, &r->n_edu_fields, field);
}

int cv_requirements_add_certification(struct cv_requirements *r, const char *name)
{
	return add_string(&r->certifications, &r->n_certifications, name);
}

int cv_requirements_add_language(struct cv_requirements *r, const char *language,
                                 enum cv_lang_level min_level)
{
	char *copy = md_strdup(language);
	if (!copy)
		return MD_ENOMEM;
	struct cv_language_req *l = grow((void **)&r->languages, &r->n_languages, sizeof *l);
	if (!l) {
		md_free(copy);
		return MD_ENOMEM;
	}
	l->language = copy;
	l->min_level = min_level;
	return 0;
}

int cv_requirements_set_location(struct cv_requirements *r, const char *city, bool remote_ok)
{
	char *copy = NULL;
	if (city && !(copy = md_strdup(city)))
		return MD_ENOMEM;
	md_free(r->city);
	r->city = copy;
	r->remote_ok = remote_ok;
	r->has_location = true;
	return 0;
}

static const char *const category_names[CV_CAT_COUNT] = {
	"skills",         "experience", "education",  "languages",
	"certifications", "location",   "similarity",
};
static const char *const edu_names[] = {
	"none", "high_school", "associate", "bachelor", "master", "doctorate",
};
static const char *const lang_names[] = {
	"any", "A1", "A2", "B1", "B2", "C1", "C2", "native",
};

const char *cv_category_name(enum cv_category c)
{
	return (unsigned)c < CV_CAT_COUNT ? category_names[c] : "?";
}

const char *cv_edu_level_name(enum cv_edu_level l)
{
	return (unsigned)l < ARRAY_SIZE(edu_names) ? edu_names[l] : "?";
}

const char *cv_lang_level_name(enum cv_lang_level l)
{
	return (unsigned)l < ARRAY_SIZE(lang_names) ? lang_names[l] : "?";
}

bool cv_edu_level_parse(const char *s, enum cv_edu_level *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(edu_names); i++)
		if (strcmp(s, edu_names[i]) == 0) {
			*out = (enum cv_edu_level)i;
			return true;
		}
	return false;
}

bool cv_lang_level_parse(const char *s, enum cv_lang_level *out)
{
	for (size_t i = 1; i < ARRAY_SIZE(lang_names); i++)
		if (strcasecmp(s, lang_names[i]) == 0) {
			*out = (enum cv_lang_level)i;
			return true;
		}
	return false;
}

bool cv_category_parse(const char *s, enum cv_category *out)
{
	for (size_t i = 0; i < CV_CAT_COUNT; i++)
		if (strcmp(s, category_names[i]) == 0) {
			*out = (enum cv_category)i;
			return true;
		}
	return false;
}
