/* Requirements JSON in, result JSON out (src/api/cv_json.c). */
#include <criterion/criterion.h>

#include "base/common.h"
#include "base/timeutil.h"

#include <jansson.h>

#include "api/cv_json.h"

static int parse(const char *text, struct cv_requirements *r, char *ptr, char *msg)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	cr_assert_not_null(j, "bad test JSON: %s", e.text);
	int rc = cv_requirements_from_json(j, r, ptr, 128, msg, 256);
	json_decref(j);
	return rc;
}

static const char *full =
    "{\"skills\":{\"must_have\":[\"Go\",{\"name\":\"Kubernetes\",\"min_years\":3}],"
    "\"nice_to_have\":[{\"name\":\"postgres\"}]},"
    "\"experience\":{\"min_years\":5},"
    "\"education\":{\"min_level\":\"master\",\"fields\":[\"Computer Science\"]},"
    "\"languages\":[{\"language\":\"French\",\"min_level\":\"B2\"},"
    "{\"language\":\"English\",\"min_level\":\"native\"}],"
    "\"certifications\":[\"CKA\"],"
    "\"location\":{\"city\":\"Paris\",\"remote_ok\":true},"
    "\"weights\":{\"skills\":2,\"similarity\":0},"
    "\"as_of\":\"2024-02-29\"}";

Test(cv_json, full_requirements)
{
	struct cv_requirements r;
	char ptr[128], msg[256];
	cr_assert_eq(parse(full, &r, ptr, msg), 0, "%s: %s", ptr, msg);
	cr_assert_eq(r.n_must_have, 2);
	cr_assert_str_eq(r.must_have[0].name, "Go");
	cr_assert_float_eq(r.must_have[1].min_years, 3.0, 1e-9);
	cr_assert_eq(r.n_nice_to_have, 1);
	cr_assert(r.has_min_years);
	cr_assert_float_eq(r.min_years, 5.0, 1e-9);
	cr_assert_eq(r.edu_min_level, CV_EDU_MASTER);
	cr_assert_str_eq(r.edu_fields[0], "Computer Science");
	cr_assert_eq(r.n_languages, 2);
	cr_assert_eq(r.languages[0].min_level, CV_LANG_B2);
	cr_assert_eq(r.languages[1].min_level, CV_LANG_NATIVE);
	cr_assert_str_eq(r.certifications[0], "CKA");
	cr_assert(r.has_location && r.remote_ok);
	cr_assert_str_eq(r.city, "Paris");
	cr_assert_float_eq(r.weights[CV_CAT_SKILLS], 2.0, 1e-9);
	cr_assert_float_eq(r.weights[CV_CAT_SIMILARITY], 0.0, 1e-9);
	cr_assert_float_eq(r.weights[CV_CAT_EXPERIENCE], 0.20, 1e-9); /* default kept */
	int64_t d;
	cr_assert_eq(md_parse_date("2024-02-29", &d), 0);
	cr_assert(r.has_as_of);
	cr_assert_eq(r.as_of, d);
	cv_requirements_release(&r);
}

#define BAD(json, pointer)                                                                         \
	do {                                                                                       \
		struct cv_requirements r;                                                          \
		char ptr[128], msg[256];                                                           \
		int rc = parse((json), &r, ptr, msg);                                              \
		cr_assert_eq(rc, MD_EINVAL, "%s: rc %d", (json), rc);                              \
		cr_assert_str_eq(ptr, (pointer), "%s: pointer %s (%s)", (json), ptr, msg);         \
		cr_assert_neq(msg[0], '\0');                                                       \
		cv_requirements_release(&r);                                                       \
	} while (0)

Test(cv_json, bad_fields_report_pointer)
{
	BAD("{\"as_of\":\"2023-02-29\"}", "/as_of");
	BAD("{\"as_of\":\"2023-13-01\"}", "/as_of");
	BAD("{\"as_of\":20230101}", "/as_of");
	BAD("{\"skills\":{\"must_have\":[\"Go\",{\"name\":\"K8s\",\"min_years\":-1}]}}",
	    "/skills/must_have/1/min_years");
	BAD("{\"skills\":{\"nice_to_have\":[\"\"]}}", "/skills/nice_to_have/0");
	BAD("{\"skills\":{\"must_have\":[{\"min_years\":1}]}}", "/skills/must_have/0/name");
	BAD("{\"skills\":[]}", "/skills");
	BAD("{\"experience\":{\"min_years\":\"5\"}}", "/experience/min_years");
	BAD("{\"education\":{\"min_level\":\"phd\"}}", "/education/min_level");
	BAD("{\"languages\":[{\"language\":\"French\",\"min_level\":\"D1\"}]}",
	    "/languages/0/min_level");
	BAD("{\"location\":{\"remote_ok\":\"yes\"}}", "/location/remote_ok");
	BAD("{\"weights\":{\"bogus\":1}}", "/weights/bogus");
	BAD("{\"weights\":{\"skills\":0,\"experience\":0,\"education\":0,\"languages\":0,"
	    "\"certifications\":0,\"location\":0,\"similarity\":0}}",
	    "/weights");
	BAD("[]", "");
}

Test(cv_json, empty_object_gives_defaults)
{
	struct cv_requirements r;
	char ptr[128], msg[256];
	cr_assert_eq(parse("{}", &r, ptr, msg), 0);
	cr_assert_eq(r.n_must_have, 0);
	cr_assert_not(r.has_location);
	cr_assert_float_eq(r.weights[CV_CAT_SKILLS], 0.35, 1e-9);
	cv_requirements_release(&r);
}

Test(cv_json, out_of_memory)
{
	json_t *j = json_loads(full, 0, NULL);
	for (long n = 0; n < 60; n++) {
		struct cv_requirements r;
		char ptr[128], msg[256];
		md_alloc_fail_after(n);
		int rc = cv_requirements_from_json(j, &r, ptr, sizeof ptr, msg, sizeof msg);
		md_alloc_fail_after(-1);
		cr_assert(rc == 0 || rc == MD_ENOMEM, "n=%ld rc=%d", n, rc);
		cv_requirements_release(&r);
	}
	json_decref(j);
}

Test(cv_json, result_rendering)
{
	const char *page = "Experience\nJan 2015 - Dec 2019 Backend engineer using Go\n";
	struct cv_requirements q;
	char ptr[128], msg[256];
	cr_assert_eq(parse("{\"skills\":{\"must_have\":[\"Go\",\"Rust\"]},"
	                   "\"experience\":{\"min_years\":4}}",
	                   &q, ptr, msg),
	             0);
	int64_t d;
	cr_assert_eq(md_parse_date("2024-01-01", &d), 0);
	struct cv_input in = { &page, 1, NULL, &q, d, NULL, NULL, NULL };
	struct cv_result r;
	cr_assert_eq(cv_match(&in, &r), 0);
	json_t *j = cv_result_to_json(&r);
	cr_assert_not_null(j);
	/* skills (2+0)/4 = .5 at .35, experience 1 at .20: (.175 + .2) / .55 = 68.2 -> 68 */
	cr_assert_eq(json_integer_value(json_object_get(j, "score")), 68);
	cr_assert_str_eq(json_string_value(json_object_get(j, "tier")), "good");
	json_t *reqs = json_object_get(j, "requirements");
	cr_assert_eq(json_array_size(reqs), 3);
	json_t *go = json_array_get(reqs, 0);
	cr_assert_str_eq(json_string_value(json_object_get(go, "id")), "/skills/must_have/0");
	cr_assert_str_eq(json_string_value(json_object_get(go, "category")), "skills");
	cr_assert_str_eq(json_string_value(json_object_get(go, "verdict")), "met");
	json_t *ev = json_array_get(json_object_get(go, "evidence"), 0);
	cr_assert_eq(json_integer_value(json_object_get(ev, "page")), 1);
	cr_assert_str_eq(json_string_value(json_object_get(ev, "text")),
	                 "Jan 2015 - Dec 2019 Backend engineer using Go");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(reqs, 1), "verdict")),
	                 "not_met");
	json_t *cats = json_object_get(j, "categories");
	cr_assert_eq(json_object_size(cats), 2);
	cr_assert_float_eq(
	    json_real_value(json_object_get(json_object_get(cats, "skills"), "score")), 0.5, 1e-9);
	cr_assert_float_eq(json_real_value(json_object_get(j, "experience_years")), 5.0, 1e-9);
	json_t *sk = json_array_get(json_object_get(j, "skills_found"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(sk, "name")), "Go");
	cr_assert_float_eq(json_real_value(json_object_get(sk, "years")), 5.0, 1e-9);
	cr_assert(json_is_array(json_object_get(j, "warnings")));
	cr_assert_not_null(json_object_get(j, "summary"));
	json_decref(j);
	cv_result_release(&r);
	cv_requirements_release(&q);
}
