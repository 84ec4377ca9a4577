#include "api/cv_json.h"

#include "base/common.h"

#include <math.h>

#include "base/timeutil.h"

struct ctx {
	char *ptr;
	size_t cap;
	char *msg;
	size_t msgcap;
};

static int bad(struct ctx *c, const char *pointer, const char *msg)
{
	if (c->ptr && c->cap)
		snprintf(c->ptr, c->cap, "%s", pointer);
	if (c->msg && c->msgcap)
		snprintf(c->msg, c->msgcap, "%s", msg);
	return MD_EINVAL;
}

/* A non-empty string of at most CV_JSON_MAX_NAME bytes without NUL bytes. */
static int get_name(struct ctx *c, const json_t *v, const char *pointer, const char **out)
{
	if (!json_is_string(v))
		return bad(c, pointer, "must be a string");
	size_t n = json_string_length(v);
	const char *s = json_string_value(v);
	if (n == 0 || n > CV_JSON_MAX_NAME || strlen(s) != n)
		return bad(c, pointer, "must be a non-empty string of at most 200 bytes");
	*out = s;
	return 0;
}

static int get_years(struct ctx *c, const json_t *v, const char *pointer, double *out)
{
	if (!json_is_number(v))
		return bad(c, pointer, "must be a number");
	double y = json_number_value(v);
	if (!isfinite(y) || y < 0 || y > 60)
		return bad(c, pointer, "must be between 0 and 60 years");
	*out = y;
	return 0;
}

static int get_array(struct ctx *c, const json_t *v, const char *pointer)
{
	if (!json_is_array(v))
		return bad(c, pointer, "must be an array");
	if (json_array_size(v) > CV_JSON_MAX_ITEMS)
		return bad(c, pointer, "has more than 100 entries");
	return 0;
}

static int parse_skill_list(struct ctx *c, const json_t *arr, bool must, struct cv_requirements *r)
{
	const char *key = must ? "must_have" : "nice_to_have";
	char p[96];
	snprintf(p, sizeof p, "/skills/%s", key);
	int rc = get_array(c, arr, p);
	size_t i;
	const json_t *e;
	json_array_foreach(arr, i, e)
	{
		if (rc)
			break;
		const char *name = NULL;
		double years = 0;
		snprintf(p, sizeof p, "/skills/%s/%zu", key, i);
		if (json_is_object(e)) {
			char q[128];
			snprintf(q, sizeof q, "%s/name", p);
			rc = get_name(c, json_object_get(e, "name"), q, &name);
			const json_t *y = json_object_get(e, "min_years");
			snprintf(q, sizeof q, "%s/min_years", p);
			if (!rc && y && !json_is_null(y))
				rc = get_years(c, y, q, &years);
		} else {
			rc = get_name(c, e, p, &name);
		}
		if (!rc)
			rc = cv_requirements_add_skill(r, must, name, years);
	}
	return rc;
}

static int parse_skills(struct ctx *c, const json_t *v, struct cv_requirements *r)
{
	if (!json_is_object(v))
		return bad(c, "/skills", "must be an object");
	const json_t *m = json_object_get(v, "must_have"), *n = json_object_get(v, "nice_to_have");
	int rc = 0;
	if (m)
		rc = parse_skill_list(c, m, true, r);
	if (!rc && n)
		rc = parse_skill_list(c, n, false, r);
	return rc;
}

static int parse_experience(struct ctx *c, const json_t *v, struct cv_requirements *r)
{
	if (!json_is_object(v))
		return bad(c, "/experience", "must be an object");
	const json_t *y = json_object_get(v, "min_years");
	if (!y || json_is_null(y))
		return 0;
	r->has_min_years = true;
	return get_years(c, y, "/experience/min_years", &r->min_years);
}

static int parse_education(struct ctx *c, const json_t *v, struct cv_requirements *r)
{
	if (!json_is_object(v))
		return bad(c, "/education", "must be an object");
	const json_t *lv = json_object_get(v, "min_level");
	if (lv && !json_is_null(lv)) {
		if (!json_is_string(lv) ||
		    !cv_edu_level_parse(json_string_value(lv), &r->edu_min_level))
			return bad(c, "/education/min_level",
			           "must be one of none, high_school, associate, bachelor, master, "
			           "doctorate");
	}
	const json_t *f = json_object_get(v, "fields");
	if (!f || json_is_null(f))
		return 0;
	int rc = get_array(c, f, "/education/fields");
	size_t i;
	const json_t *e;
	json_array_foreach(f, i, e)
	{
		if (rc)
			break;
		char p[64];
		const char *name;
		snprintf(p, sizeof p, "/education/fields/%zu", i);
		rc = get_name(c, e, p, &name);
		if (!rc)
			rc = cv_requirements_add_edu_field(r, name);
	}
	return rc;
}

static int parse_languages(struct ctx *c, const json_t *v, struct cv_requirements *r)
{
	int rc = get_array(c, v, "/languages");
	size_t i;
	const json_t *e;
	json_array_foreach(v, i, e)
	{
		if (rc)
			break;
		char p[64];
		snprintf(p, sizeof p, "/languages/%zu", i);
		const char *name = NULL;
		enum cv_lang_level lv = CV_LANG_UNSPECIFIED;
		if (json_is_string(e)) {
			rc = get_name(c, e, p, &name);
		} else if (json_is_object(e)) {
			char q[96];
			snprintf(q, sizeof q, "%s/language", p);
			rc = get_name(c, json_object_get(e, "language"), q, &name);
			const json_t *l = json_object_get(e, "min_level");
			snprintf(q, sizeof q, "%s/min_level", p);
			if (!rc && l && !json_is_null(l) &&
			    (!json_is_string(l) || !cv_lang_level_parse(json_string_value(l), &lv)))
				rc = bad(c, q, "must be a CEFR level A1..C2 or native");
		} else {
			rc = bad(c, p, "must be an object or a string");
		}
		if (!rc)
			rc = cv_requirements_add_language(r, name, lv);
	}
	return rc;
}

static int parse_certifications(struct ctx *c, const json_t *v, struct cv_requirements *r)
{
	int rc = get_array(c, v, "/certifications");
	size_t i;
	const json_t *e;
	json_array_foreach(v, i, e)
	{
		if (rc)
			break;
		char p[64];
		const char *name;
		snprintf(p, sizeof p, "/certifications/%zu", i);
		if (json_is_object(e))
			snprintf(p, sizeof p, "/certifications/%zu/name", i),
			    e = json_object_get(e, "name");
		rc = get_name(c, e, p, &name);
		if (!rc)
			rc = cv_requirements_add_certification(r, name);
	}
	return rc;
}

static int parse_location(struct ctx *c, const json_t *v, struct cv_requirements *r)
{
	if (!json_is_object(v))
		return bad(c, "/location", "must be an object");
	const json_t *city = json_object_get(v, "city"), *remote = json_object_get(v, "remote_ok");
	const char *name = NULL;
	if (city && !json_is_null(city)) {
		int rc = get_name(c, city, "/location/city", &name);
		if (rc)
			return rc;
	}
	if (remote && !json_is_null(remote) && !json_is_boolean(remote))
		return bad(c, "/location/remote_ok", "must be a boolean");
	bool ok = remote && json_is_true(remote);
	if (!name && !ok)
		return 0; /* nothing asked */
	return cv_requirements_set_location(r, name, ok);
}

static int parse_weights(struct ctx *c, const json_t *v, struct cv_requirements *r)
{
	if (!json_is_object(v))
		return bad(c, "/weights", "must be an object");
	const char *key;
	const json_t *w;
	json_object_foreach((json_t *)v, key, w)
	{
		enum cv_category cat;
		char p[96];
		snprintf(p, sizeof p, "/weights/%.60s", key);
		if (!cv_category_parse(key, &cat))
			return bad(c, p, "is not a category");
		if (!json_is_number(w) || !isfinite(json_number_value(w)) ||
		    json_number_value(w) < 0 || json_number_value(w) > 1000)
			return bad(c, p, "must be a number between 0 and 1000");
		r->weights[cat] = json_number_value(w);
	}
	double sum = 0;
	for (int k = 0; k < CV_CAT_COUNT; k++)
		sum += r->weights[k];
	if (sum <= 0)
		return bad(c, "/weights", "must not all be zero");
	return 0;
}

static int parse_as_of(struct ctx *c, const json_t *v, struct cv_requirements *r)
{
	if (!json_is_string(v) || md_parse_date(json_string_value(v), &r->as_of) != 0)
		return bad(c, "/as_of", "must be a real calendar date YYYY-MM-DD");
	r->has_as_of = true;
	return 0;
}

int cv_requirements_from_json(const json_t *j, struct cv_requirements *r, char *bad_pointer,
                              size_t cap, char *msg, size_t msgcap)
{
	struct ctx c = { bad_pointer, cap, msg, msgcap };
	if (bad_pointer && cap)
		bad_pointer[0] = '\0';
	if (msg && msgcap)
		msg[0] = '\0';
	cv_requirements_init(r);
	if (!json_is_object(j))
		return bad(&c, "", "requirements must be an object");
	static const struct {
		const char *key;
		int (*parse)(struct ctx *, const json_t *, struct cv_requirements *);
	} parts[] = {
		{ "skills", parse_skills },
		{ "experience", parse_experience },
		{ "education", parse_education },
		{ "languages", parse_languages },
		{ "certifications", parse_certifications },
		{ "location", parse_location },
		{ "weights", parse_weights },
		{ "as_of", parse_as_of },
	};
	int rc = 0;
	for (size_t i = 0; i < ARRAY_SIZE(parts) && !rc; i++) {
		const json_t *v = json_object_get(j, parts[i].key);
		if (v && !json_is_null(v))
			rc = parts[i].parse(&c, v, r);
	}
	if (rc == MD_ENOMEM)
		bad(&c, "", "out of memory");
	if (rc)
		cv_requirements_release(r);
	return rc;
}

/* ---- result ---- */

static double round_to(double x, double unit)
{
	return round(x / unit) * unit;
}

/* json_object_set_new that remembers a failure instead of leaking or crashing. */
static void put(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (!v || json_object_set_new(o, key, v))
		*ok = false;
}

static void append(json_t *a, json_t *v, bool *ok)
{
	if (!v || json_array_append_new(a, v))
		*ok = false;
}

static json_t *req_to_json(const struct cv_req_result *q)
{
	json_t *o = json_object(), *ev = json_array();
	bool ok = o && ev;
	if (!ok) {
		json_decref(o);
		json_decref(ev);
		return NULL;
	}
	put(o, "id", json_string(q->id), &ok);
	put(o, "category", json_string(cv_category_name(q->category)), &ok);
	put(o, "requirement", json_string(q->requirement), &ok);
	put(o, "verdict", json_string(cv_verdict_name(q->verdict)), &ok);
	put(o, "score", json_real(round_to(q->score, 0.01)), &ok);
	for (size_t k = 0; k < q->n_evidence; k++) {
		json_t *e = json_object();
		if (e) {
			put(e, "page", json_integer(q->evidence[k].page), &ok);
			put(e, "section", json_string(cv_section_name(q->evidence[k].section)),
			    &ok);
			put(e, "text", json_string(q->evidence[k].text), &ok);
		}
		append(ev, e, &ok);
	}
	put(o, "evidence", ev, &ok);
	if (q->change[0])
		put(o, "to_change", json_string(q->change), &ok);
	if (q->comparison)
		put(o, "comparison", json_string(q->comparison), &ok);
	if (q->matched[0])
		put(o, "matched_by", json_string(q->matched), &ok);
	/* A phrase says how it is judged even when unmet: a client can tell it from a skill. */
	if (q->matched[0] || q->words)
		put(o, "match",
		    json_string(q->related ? "related"
		                : q->words ? "words"
		                           : "exact"),
		    &ok);
	put(o, "gain", json_real(round_to(q->gain, 0.01)), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A string, or null when empty. */
static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static json_t *contact_to_json(const struct cv_contact *c)
{
	json_t *o = json_object(), *links = json_object();
	bool ok = o && links;
	if (!ok) {
		json_decref(o);
		json_decref(links);
		return NULL;
	}
	put(o, "name", str_or_null(c->name), &ok);
	put(o, "email", str_or_null(c->email), &ok);
	put(o, "phone", str_or_null(c->phone), &ok);
	put(o, "phone_e164", str_or_null(c->phone_e164), &ok);
	put(o, "location", str_or_null(c->location), &ok);
	put(links, "linkedin", str_or_null(c->linkedin), &ok);
	put(links, "github", str_or_null(c->github), &ok);
	put(links, "website", str_or_null(c->website), &ok);
	put(o, "links", links, &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *position_to_json(const struct cv_position *p)
{
	json_t *o = json_object();
	bool ok = o != NULL;
	char a[16], b[16];
	if (!ok)
		return NULL;
	cv_date_point_format(p->start, a, sizeof a);
	cv_date_point_format(p->end, b, sizeof b);
	put(o, "title", str_or_null(p->title), &ok);
	put(o, "organisation", str_or_null(p->organisation), &ok);
	put(o, "location", str_or_null(p->location), &ok);
	put(o, "start", str_or_null(a), &ok);
	put(o, "end", p->current ? json_null() : str_or_null(b), &ok);
	put(o, "current", json_boolean(p->current), &ok);
	put(o, "kind", json_string(p->kind == CV_POS_WORK ? "work" : "volunteer"), &ok);
	put(o, "years", json_real(round_to((double)(p->r.end - p->r.start) / 12.0, 0.1)), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *degree_to_json(const struct cv_degree *d)
{
	json_t *o = json_object();
	bool ok = o != NULL;
	if (!ok)
		return NULL;
	put(o, "degree", str_or_null(d->degree), &ok);
	put(o, "isced", json_integer(d->isced), &ok);
	put(o, "level", json_string(cv_isced_name(d->isced)), &ok);
	put(o, "field", str_or_null(d->field), &ok);
	put(o, "institution", str_or_null(d->institution), &ok);
	put(o, "year", d->year ? json_integer(d->year) : json_null(), &ok);
	put(o, "in_progress", json_boolean(d->in_progress), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *strings_to_json(const char (*list)[CV_POINT_MAX], size_t n, bool *ok)
{
	json_t *a = json_array();
	if (!a) {
		*ok = false;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		append(a, json_string(list[i]), ok);
	return a;
}

/* Everything the CV says and the explanation, added to the result object o. */
static void profile_to_json(json_t *o, const struct cv_result *r, bool *ok)
{
	put(o, "contact", contact_to_json(&r->contact), ok);
	json_t *secs = json_array(), *pos = json_array(), *edu = json_array(),
	       *langs = json_array(), *certs = json_array(), *terms = json_array();
	if (!secs || !pos || !edu || !langs || !certs || !terms)
		*ok = false;
	for (size_t i = 0; secs && i < r->n_sections; i++) {
		json_t *s = json_object();
		if (s) {
			put(s, "kind", json_string(cv_section_name(r->sections[i].kind)), ok);
			put(s, "heading", json_string(r->sections[i].heading), ok);
			put(s, "page", json_integer(r->sections[i].page), ok);
		}
		append(secs, s, ok);
	}
	put(o, "sections", secs, ok);
	for (size_t i = 0; pos && i < r->n_positions; i++)
		append(pos, position_to_json(&r->positions[i]), ok);
	put(o, "positions", pos, ok);
	put(o, "stated_years", r->has_stated_years ? json_real(r->stated_years) : json_null(), ok);
	for (size_t i = 0; edu && i < r->n_degrees; i++)
		append(edu, degree_to_json(&r->degrees[i]), ok);
	put(o, "education", edu, ok);
	put(o, "education_isced",
	    r->education_isced >= 0 ? json_integer(r->education_isced) : json_null(), ok);
	for (size_t i = 0; langs && i < r->n_languages; i++) {
		json_t *l = json_object();
		if (l) {
			put(l, "name", json_string(r->languages[i].name), ok);
			put(l, "level",
			    r->languages[i].level == CV_LANG_UNSPECIFIED
			        ? json_null()
			        : json_string(cv_lang_level_name(r->languages[i].level)),
			    ok);
		}
		append(langs, l, ok);
	}
	put(o, "languages", langs, ok);
	for (size_t i = 0; certs && i < r->n_certifications; i++)
		append(certs, json_string(r->certifications[i].name), ok);
	put(o, "certifications", certs, ok);
	for (size_t i = 0; terms && i < r->n_similarity_terms; i++) {
		json_t *t = json_object();
		if (t) {
			put(t, "term", json_string(r->similarity_terms[i].term), ok);
			put(t, "contribution",
			    json_real(round_to(r->similarity_terms[i].contribution, 0.001)), ok);
		}
		append(terms, t, ok);
	}
	put(o, "similarity_terms", terms, ok);
	put(o, "strengths", strings_to_json(r->strengths, r->n_strengths, ok), ok);
	put(o, "gaps", strings_to_json(r->gaps, r->n_gaps, ok), ok);
	put(o, "improvements", strings_to_json(r->improvements, r->n_improvements, ok), ok);
}

json_t *cv_result_to_json(const struct cv_result *r)
{
	json_t *o = json_object(), *reqs = json_array(), *cats = json_object(),
	       *skills = json_array(), *warn = json_array();
	bool ok = o && reqs && cats && skills && warn;
	if (!ok) {
		json_decref(o);
		json_decref(reqs);
		json_decref(cats);
		json_decref(skills);
		json_decref(warn);
		return NULL;
	}
	put(o, "score", json_integer(r->score), &ok);
	put(o, "tier", json_string(r->tier ? r->tier : cv_tier_for(r->score)), &ok);
	put(o, "summary", json_string(r->summary), &ok);
	for (size_t i = 0; i < r->n_reqs; i++)
		append(reqs, req_to_json(&r->reqs[i]), &ok);
	put(o, "requirements", reqs, &ok);
	for (int c = 0; c < CV_CAT_COUNT; c++) {
		if (!r->categories[c].present)
			continue;
		json_t *cs = json_object();
		if (cs) {
			put(cs, "score", json_real(round_to(r->categories[c].score, 0.01)), &ok);
			put(cs, "weight", json_real(round_to(r->categories[c].weight, 0.01)), &ok);
		}
		put(cats, cv_category_name((enum cv_category)c), cs, &ok);
	}
	put(o, "categories", cats, &ok);
	for (size_t i = 0; i < r->n_skills; i++) {
		json_t *s = json_object();
		if (s) {
			put(s, "name", json_string(r->skills[i].name), &ok);
			if (r->skills[i].id[0])
				put(s, "id", json_string(r->skills[i].id), &ok);
			if (r->skills[i].as_written[0])
				put(s, "as_written", json_string(r->skills[i].as_written), &ok);
			put(s, "years", json_real(round_to(r->skills[i].years, 0.1)), &ok);
		}
		append(skills, s, &ok);
	}
	put(o, "skills_found", skills, &ok);
	put(o, "experience_years", json_real(round_to(r->experience_years, 0.1)), &ok);
	put(o, "education_level", json_string(cv_edu_level_name(r->education_level)), &ok);
	for (size_t i = 0; i < r->n_warnings; i++)
		append(warn, json_string(r->warnings[i]), &ok);
	put(o, "warnings", warn, &ok);
	put(o, "taxonomy", json_string(r->taxonomy ? r->taxonomy : "builtin"), &ok);
	put(o, "requirements_source",
	    json_string(r->requirements_source ? r->requirements_source : "requirements"), &ok);
	profile_to_json(o, r, &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int cv_json_add_extraction(json_t *out, const struct cv_pages *pages)
{
	json_t *w = json_object_get(out, "warnings");
	if (!json_is_array(w) && json_object_set_new(out, "warnings", w = json_array()))
		return MD_ENOMEM;
	for (size_t i = 0; i < pages->nwarnings; i++)
		if (json_array_append_new(w, json_string(pages->warnings[i])))
			return MD_ENOMEM;
	json_t *ocr = json_array();
	if (json_object_set_new(out, "ocr_pages", ocr))
		return MD_ENOMEM;
	for (size_t i = 0; i < pages->nocr_pages && i < CV_MAX_OCR_PAGES; i++)
		if (json_array_append_new(ocr, json_integer(pages->ocr_pages[i])))
			return MD_ENOMEM;
	return 0;
}
