/*
 * test_router.c: route matching, parameters, precedence, path rejection and query_param().
 */
#include <criterion/criterion.h>

#include "base/common.h"
#include "http/router.h"

/* Handlers are just distinct addresses. */
static char h_health, h_jobs_list, h_jobs_create, h_job_get, h_job_delete, h_job_events,
    h_job_cancel, h_cvdm_submit, h_cvdm_get, h_cfg_run, h_runs_get, h_by_job, h_root, h_stats,
    h_two;

static struct router r;

static void setup(void)
{
	router_init(&r);
	static const struct {
		const char *method, *pattern;
		void *h;
	} routes[] = {
		{ "GET", "/healthz", &h_health },
		{ "GET", "/v1/jobs", &h_jobs_list },
		{ "POST", "/v1/jobs", &h_jobs_create },
		{ "GET", "/v1/jobs/:jobId", &h_job_get },
		{ "DELETE", "/v1/jobs/:id", &h_job_delete },
		{ "GET", "/v1/jobs/:jobId/events", &h_job_events },
		{ "POST", "/v1/jobs/:jobId/cancel", &h_job_cancel },
		{ "GET", "/v1/jobs/stats", &h_stats },
		{ "POST", "/api/v1/cvdeepmatch/submit", &h_cvdm_submit },
		{ "GET", "/api/v1/cvdeepmatch/:id", &h_cvdm_get },
		{ "POST", "/v1/matching/configs/:id/run", &h_cfg_run },
		{ "GET", "/v1/matching/runs/:id", &h_runs_get },
		{ "GET", "/v1/matching/by-job/:jobId", &h_by_job },
		{ "GET", "/v1/a/:x/b/:y", &h_two },
		{ "GET", "/", &h_root },
	};
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
		int rc =
		    router_add(&r, routes[i].method, routes[i].pattern, routes[i].h, (unsigned)i);
		cr_assert_eq(rc, 0, "%s %s: %d", routes[i].method, routes[i].pattern, rc);
	}
}

static void teardown(void)
{
	router_release(&r);
}

static enum route_result match(const char *method, const char *path, struct route_match *m)
{
	return router_match(&r, method, path, strlen(path), m);
}

static void expect_found(const char *method, const char *path, void *h)
{
	struct route_match m;
	enum route_result res = match(method, path, &m);
	cr_assert_eq(res, ROUTE_FOUND, "%s %s: result %d", method, path, res);
	cr_assert_eq(m.handler, h, "%s %s: wrong handler (pattern %s)", method, path, m.pattern);
}

static void expect_not_found(const char *method, const char *path, size_t len)
{
	struct route_match m;
	enum route_result res = router_match(&r, method, path, len, &m);
	cr_assert_eq(res, ROUTE_NOT_FOUND, "%s %.*s: result %d", method, (int)len, path, res);
	cr_assert_null(m.handler);
	cr_assert_eq(m.nparams, 0);
	cr_assert_str_eq(m.allow, "");
}

static void assert_slice(struct slice s, const char *want)
{
	cr_assert_not_null(s.ptr, "missing, want \"%s\"", want);
	cr_assert(slice_eq(s, want), "got \"%.*s\", want \"%s\"", (int)s.len, s.ptr, want);
}

TestSuite(router, .init = setup, .fini = teardown);

Test(router, static_routes)
{
	expect_found("GET", "/healthz", &h_health);
	expect_found("GET", "/v1/jobs", &h_jobs_list);
	expect_found("POST", "/v1/jobs", &h_jobs_create);
	expect_found("GET", "/", &h_root);
	struct route_match m;
	cr_assert_eq(match("GET", "/healthz", &m), ROUTE_FOUND);
	cr_assert_eq(m.flags, 0);
	cr_assert_str_eq(m.pattern, "/healthz");
	cr_assert_str_eq(m.allow, "GET");
}

Test(router, params)
{
	struct route_match m;
	const char path[] = "/v1/jobs/0192f1a2-7b3c-7def-8000-1234567890ab/events";
	cr_assert_eq(match("GET", path, &m), ROUTE_FOUND);
	cr_assert_eq(m.handler, &h_job_events);
	cr_assert_eq(m.nparams, 1);
	assert_slice(route_param(&m, "jobId"), "0192f1a2-7b3c-7def-8000-1234567890ab");
	cr_assert(route_param(&m, "jobId").ptr == path + 9, "slice points into the path");
	cr_assert_null(route_param(&m, "id").ptr);
	cr_assert_eq(route_param(&m, "id").len, 0);
	cr_assert_str_eq(m.pattern, "/v1/jobs/:jobId/events");

	cr_assert_eq(match("GET", "/v1/a/A.b~c_d-e/b/9", &m), ROUTE_FOUND);
	cr_assert_eq(m.nparams, 2);
	assert_slice(route_param(&m, "x"), "A.b~c_d-e");
	assert_slice(route_param(&m, "y"), "9");

	/* Same shape, different parameter names per method. */
	cr_assert_eq(match("DELETE", "/v1/jobs/j1", &m), ROUTE_FOUND);
	cr_assert_eq(m.handler, &h_job_delete);
	assert_slice(route_param(&m, "id"), "j1");
	cr_assert_null(route_param(&m, "jobId").ptr);
	cr_assert_eq(match("GET", "/v1/jobs/j1", &m), ROUTE_FOUND);
	assert_slice(route_param(&m, "jobId"), "j1");
}

Test(router, path_not_nul_terminated)
{
	struct route_match m;
	const char buf[] = "/v1/jobs/abcXYZ";
	cr_assert_eq(router_match(&r, "GET", buf, 12, &m), ROUTE_FOUND);
	assert_slice(route_param(&m, "jobId"), "abc");
}

Test(router, literal_beats_parameter)
{
	expect_found("POST", "/api/v1/cvdeepmatch/submit", &h_cvdm_submit);
	expect_found("GET", "/api/v1/cvdeepmatch/abc", &h_cvdm_get);
	expect_found("GET", "/v1/jobs/stats", &h_stats);
	expect_found("POST", "/v1/matching/configs/c1/run", &h_cfg_run);
	expect_found("GET", "/v1/matching/runs/r1", &h_runs_get);
	expect_found("GET", "/v1/matching/by-job/j1", &h_by_job);
	/* The most specific pattern decides, whatever the method. */
	struct route_match m;
	cr_assert_eq(match("GET", "/api/v1/cvdeepmatch/submit", &m), ROUTE_METHOD_NOT_ALLOWED);
	cr_assert_str_eq(m.allow, "POST");
	cr_assert_eq(match("DELETE", "/v1/jobs/stats", &m), ROUTE_METHOD_NOT_ALLOWED);
	cr_assert_str_eq(m.allow, "GET");
}

Test(router, registration_order_does_not_matter)
{
	struct router r2;
	router_init(&r2);
	cr_assert_eq(router_add(&r2, "GET", "/x/:id", &h_job_get, 0), 0);
	cr_assert_eq(router_add(&r2, "GET", "/x/:id/:sub", &h_two, 0), 0);
	cr_assert_eq(router_add(&r2, "GET", "/x/:id/lit", &h_job_events, 0), 0);
	cr_assert_eq(router_add(&r2, "GET", "/x/lit/:sub", &h_stats, 0), 0);
	struct route_match m;
	cr_assert_eq(router_match(&r2, "GET", "/x/lit/lit", 10, &m), ROUTE_FOUND);
	cr_assert_eq(m.handler, &h_stats, "leftmost literal wins");
	cr_assert_eq(router_match(&r2, "GET", "/x/a/lit", 8, &m), ROUTE_FOUND);
	cr_assert_eq(m.handler, &h_job_events);
	cr_assert_eq(router_match(&r2, "GET", "/x/a/b", 6, &m), ROUTE_FOUND);
	cr_assert_eq(m.handler, &h_two);
	router_release(&r2);
}

Test(router, method_not_allowed)
{
	struct route_match m;
	cr_assert_eq(match("PUT", "/v1/jobs", &m), ROUTE_METHOD_NOT_ALLOWED);
	cr_assert_str_eq(m.allow, "GET, POST");
	cr_assert_null(m.handler);
	cr_assert_str_eq(m.pattern, "/v1/jobs");
	cr_assert_eq(match("POST", "/v1/jobs/j1", &m), ROUTE_METHOD_NOT_ALLOWED);
	cr_assert_str_eq(m.allow, "GET, DELETE");
	cr_assert_eq(match("get", "/healthz", &m), ROUTE_METHOD_NOT_ALLOWED, "case-sensitive");
	cr_assert_eq(match("HEAD", "/healthz", &m), ROUTE_METHOD_NOT_ALLOWED);
	cr_assert_eq(router_match(&r, NULL, "/healthz", 8, &m), ROUTE_METHOD_NOT_ALLOWED);
	cr_assert_eq(match("GET", "/v1/jobs/j1/cancel", &m), ROUTE_METHOD_NOT_ALLOWED);
	cr_assert_str_eq(m.allow, "POST");
}

Test(router, not_found)
{
	static const char *const paths[] = {
		"/nope",
		"/healthz/",
		"/healthz/x",
		"/v1/jobs/",
		"/v1/jobs//events",
		"//v1/jobs",
		"/v1//jobs",
		"/v1/jobs/./events",
		"/v1/jobs/../jobs",
		"/v1/jobs/..",
		"/v1/jobs/.",
		"/v1/jobs/a%2Fb",
		"/v1/jobs/a%2fb/events",
		"/v1/jobs/a%20b",
		"/v1/jobs/a%2e%2e",
		"/v1/jobs/a b",
		"/v1/jobs/a:b",
		"/v1/jobs/a+b",
		"/v1/jobs/a\\b",
		"/v1/jobs/\xc3\xa9",
		"/v1/jobs/a?b",
		"/v1/jobs/a;b",
		"healthz",
		"",
		"/v1/jobs/a/b/c/d",
		"/HEALTHZ",
		"/v1/JOBS",
		"/api/v1/cvdeepmatch",
		"/api/v1/cvdeepmatch/submit/",
	};
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		expect_not_found("GET", paths[i], strlen(paths[i]));
	expect_not_found("GET", "/healthz\0", 9);
	expect_not_found("GET", "/v1/jobs/a\0b", 12);
	expect_not_found("GET", NULL, 0);
}

Test(router, length_limits)
{
	char path[ROUTER_MAX_PATH + 64];
	struct route_match m;
	/* A parameter of exactly 128 bytes matches, 129 does not. */
	memcpy(path, "/v1/jobs/", 9);
	memset(path + 9, 'a', ROUTER_MAX_PARAM_LEN);
	cr_assert_eq(router_match(&r, "GET", path, 9 + ROUTER_MAX_PARAM_LEN, &m), ROUTE_FOUND);
	cr_assert_eq(route_param(&m, "jobId").len, ROUTER_MAX_PARAM_LEN);
	path[9 + ROUTER_MAX_PARAM_LEN] = 'a';
	expect_not_found("GET", path, 9 + ROUTER_MAX_PARAM_LEN + 1);
	/* Over 2048 bytes is rejected before anything else. */
	memset(path, '/', sizeof(path));
	for (size_t i = 1; i < sizeof(path); i += 2)
		path[i] = 'x';
	expect_not_found("GET", path, ROUTER_MAX_PATH + 1);
	expect_not_found("GET", path, 2 * ROUTER_MAX_SEGMENTS + 2);
}

Test(router, add_rejects_bad_patterns)
{
	static const char *const bad[] = {
		"",
		"healthz",
		"//x",
		"/x/",
		"/x//y",
		"/x/:",
		"/x/:a-b",
		"/x/:a/:a",
		"/x/a%2Fb",
		"/x/..",
		"/x/.",
		"/x/a b",
		"/x/a?b",
		"/x/a#b",
		"/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17",
		"/:a/:b/:c/:d/:e/:f/:g/:h/:i",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		cr_assert_eq(router_add(&r, "GET", bad[i], &h_root, 0), MD_EINVAL, "%s", bad[i]);
	cr_assert_eq(router_add(&r, "GET", NULL, &h_root, 0), MD_EINVAL);
	cr_assert_eq(router_add(&r, "", "/y", &h_root, 0), MD_EINVAL);
	cr_assert_eq(router_add(&r, NULL, "/y", &h_root, 0), MD_EINVAL);
	cr_assert_eq(router_add(&r, "G T", "/y", &h_root, 0), MD_EINVAL);
	cr_assert_eq(router_add(&r, "ABCDEFGHIJKLMNOP", "/y", &h_root, 0), MD_EINVAL);
	cr_assert_eq(router_add(&r, "GET", "/healthz", &h_root, 0), MD_ECONFLICT);
	cr_assert_eq(router_add(&r, "GET", "/v1/jobs/:other", &h_root, 0), MD_ECONFLICT);
	cr_assert_eq(router_add(&r, "GET", "/:a/:b/:c/:d/:e/:f/:g/:h", &h_root, 0), 0);
	cr_assert_eq(router_add(&r, "GET", "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16", &h_root, 0),
	             0);
	cr_assert_eq(router_add(&r, "GET", "/user@x/a:b/(c)", &h_root, 0), 0);
}

Test(router, method_limit_per_pattern)
{
	static const char *const methods[] = { "GET",  "POST",    "PUT",   "DELETE", "PATCH",
		                               "HEAD", "OPTIONS", "TRACE", "LINK" };
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		cr_assert_eq(router_add(&r, methods[i], "/many", &h_root, 0),
		             i < ROUTER_MAX_METHODS ? 0 : MD_ELIMIT, "%s", methods[i]);
	struct route_match m;
	cr_assert_eq(match("X", "/many", &m), ROUTE_METHOD_NOT_ALLOWED);
	cr_assert_str_eq(m.allow, "GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS, TRACE");
}

Test(router, route_limit_and_oom)
{
	struct router r2;
	char pattern[32];
	router_init(&r2);
	for (int i = 0; i < ROUTER_MAX_ROUTES + 1; i++) {
		cr_assert_eq(md_snprintf(pattern, sizeof(pattern), "/r%d", i), 0);
		cr_assert_eq(router_add(&r2, "GET", pattern, &h_root, 0),
		             i < ROUTER_MAX_ROUTES ? 0 : MD_ELIMIT);
	}
	router_release(&r2);
	for (long n = 0; n < 3; n++) {
		router_init(&r2);
		md_alloc_fail_after(n);
		int rc = router_add(&r2, "GET", "/a/:b", &h_root, 0);
		md_alloc_fail_after(-1);
		cr_assert_eq(rc, MD_ENOMEM, "failing allocation %ld: rc %d", n, rc);
		cr_assert_eq(r2.nroutes, 0);
		router_release(&r2);
	}
}

Test(query, query_param)
{
	char out[32];
	struct slice q = SLICE_LIT("?limit=20&cursor=a%2Fb%3D&q=hello+world&empty=&flag&x=1&x=2");
	cr_assert_eq(query_param(q, "limit", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "20");
	cr_assert_eq(query_param(q, "cursor", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "a/b=");
	cr_assert_eq(query_param(q, "q", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "hello world");
	cr_assert_eq(query_param(q, "empty", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "");
	cr_assert_eq(query_param(q, "flag", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "");
	cr_assert_eq(query_param(q, "x", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "1", "first occurrence wins");
	cr_assert_eq(query_param(q, "missing", out, sizeof(out)), MD_ENOTFOUND);
	cr_assert_eq(query_param(q, "lim", out, sizeof(out)), MD_ENOTFOUND);
	cr_assert_eq(query_param(q, "limit=20", out, sizeof(out)), MD_ENOTFOUND);
	cr_assert_eq(query_param((struct slice){ NULL, 0 }, "a", out, sizeof(out)), MD_ENOTFOUND);
	cr_assert_eq(query_param(SLICE_LIT(""), "a", out, sizeof(out)), MD_ENOTFOUND);
	cr_assert_eq(query_param(SLICE_LIT("&&a=1&"), "a", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "1");
}

Test(query, encoded_keys_and_errors)
{
	char out[8];
	cr_assert_eq(query_param(SLICE_LIT("my%20key=v"), "my key", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "v");
	cr_assert_eq(query_param(SLICE_LIT("a%zz=1&a=2"), "a", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "2", "a key with a bad escape matches nothing");
	static const char *const bad[] = { "a=%", "a=%2", "a=%g0", "a=x%0", "a=%00", "a=1%2" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		cr_assert_eq(query_param(slice_from(bad[i]), "a", out, sizeof(out)), MD_EINVAL,
		             "%s", bad[i]);
		cr_assert_str_eq(out, "");
	}
	cr_assert_eq(query_param(SLICE_LIT("a=1234567"), "a", out, sizeof(out)), 0);
	cr_assert_eq(query_param(SLICE_LIT("a=12345678"), "a", out, sizeof(out)), MD_ELIMIT);
	cr_assert_str_eq(out, "");
	cr_assert_eq(query_param(SLICE_LIT("a=%41%42%43%44%45%46%47"), "a", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "ABCDEFG");
	cr_assert_eq(query_param(SLICE_LIT("a=1"), "a", out, 0), MD_ELIMIT);
	cr_assert_eq(query_param(SLICE_LIT("a=%C3%A9"), "a", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "\xc3\xa9");
}
