/*
 * test_contracts.c: the embedded contracts parse, the seed pages' examples validate against
 * them, and bad CV requirement documents fail at the right JSON pointer.
 */
#include "base/common.h"

#include <criterion/criterion.h>

#include "api/contracts.h"

static json_t *parse(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &err);
	cr_assert_not_null(v, "bad test JSON: %s (line %d): %s", err.text, err.line, text);
	return v;
}

static void expect_valid(const char *schema, const char *instance)
{
	json_t *i = parse(instance);
	struct jsonschema_errors e;
	int rc = contracts_validate(schema, i, &e);
	cr_assert_eq(rc, 0, "%s: expected valid, got %d (%s: %s)", schema, rc,
	             e.count ? e.items[0].pointer : "", e.count ? e.items[0].message : "");
	json_decref(i);
}

static void expect_invalid(const char *schema, const char *instance, const char *pointer,
                           const char *msg)
{
	json_t *i = parse(instance);
	struct jsonschema_errors e;
	int rc = contracts_validate(schema, i, &e);
	cr_assert_eq(rc, 1, "%s: expected invalid, got %d for %s", schema, rc, instance);
	bool found = false;
	for (size_t k = 0; k < e.count; k++)
		if (!strcmp(e.items[k].pointer, pointer) && strstr(e.items[k].message, msg))
			found = true;
	cr_assert(found, "%s: want \"%s\" %s; first error \"%s\" %s", schema, pointer, msg,
	          e.items[0].pointer, e.items[0].message);
	json_decref(i);
}

Test(contracts, every_schema_parses_and_is_annotated)
{
	size_t n = 0;
	for (const char *name; (name = contracts_name(n)); n++) {
		const json_t *s = contracts_get(name);
		cr_assert_not_null(s, "%s", name);
		char id[256];
		cr_assert_eq(md_snprintf(id, sizeof id, "https://matchd.dev/contracts/v1/%s", name),
		             0);
		cr_assert_str_eq(json_string_value(json_object_get(s, "$id")), id);
		cr_assert_not_null(json_object_get(s, "title"), "%s has no title", name);
		cr_assert_eq(contracts_get(id), s, "lookup by $id");
		/* Every schema, refs included, can be run: null is valid or invalid, never an error. */
		json_t *null = json_null();
		int rc = contracts_validate(name, null, NULL);
		cr_assert(rc == 0 || rc == 1, "%s: validation failed with %d", name, rc);
		json_decref(null);
	}
	cr_assert_geq(n, 30, "only %zu schemas embedded", n);
	cr_assert_null(contracts_get("nope.json"));
	cr_assert_eq(contracts_validate("nope.json",
	                                json_object_get(contracts_get("common.error.json"), "$id"),
	                                NULL),
	             MD_ENOTFOUND);
}

Test(contracts, openapi_is_embedded)
{
	size_t len = 0;
	const char *text = contracts_openapi(&len);
	cr_assert_gt(len, 1000);
	json_error_t err;
	json_t *doc = json_loadb(text, len, 0, &err);
	cr_assert_not_null(doc, "%s", err.text);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
	json_t *paths = json_object_get(doc, "paths");
	cr_assert_not_null(json_object_get(paths, "/api/v1/cvdeepmatch/submit"));
	cr_assert_not_null(json_object_get(paths, "/v1/matches/{match_id}"));
	cr_assert_not_null(json_object_get(paths, "/v1/matching/configs/{configId}/smart-run"));
	json_decref(doc);
}

/* ---- seed 001: talent matches ---- */

Test(contracts, seed_001_examples)
{
	expect_valid("talent.match.response.json",
	             "{\"id\": \"d4e5f6a7-b8c9-0123-def4-567890abcdef\","
	             " \"member_id\": \"a1b2c3d4-e5f6-7890-abcd-ef1234567890\","
	             " \"job_id\": \"b2c3d4e5-f6a7-8901-bcde-f12345678901\","
	             " \"org_id\": \"e1f2a3b4-c5d6-7890-efab-cdef12345678\","
	             " \"match_quality\": \"strong\", \"match_status\": \"pending_review\","
	             " \"computed_at\": \"2026-03-08T09:00:00Z\"}");
	expect_valid(
	    "talent.explanation.response.json",
	    "{\"match_id\": \"d4e5f6a7-b8c9-0123-def4-567890abcdef\","
	    " \"top_strengths\": [\"Exceptional pressure response\","
	    " \"Strong collaborative orientation\"],"
	    " \"growth_areas\": [\"Developing strategic thinking under ambiguity\"],"
	    " \"belonging_breakdown\": {\"authenticity\": \"high\", \"acceptance\": \"strong\","
	    " \"complementarity\": \"moderate\"},"
	    " \"confidence_statement\": \"High confidence based on comprehensive identity "
	    "data.\", \"summary_text\": \"Strong alignment with the team culture.\"}");
	expect_valid("talent.status.request.json", "{\"status\": \"org_interested\"}");
	expect_invalid("talent.status.request.json", "{\"status\": \"hired\"}", "/status",
	               "must be one of");
	expect_invalid("talent.feedback.request.json", "{\"stage\": \"30_day\", \"rating\": 6}",
	               "/rating", "must be <= 5");
}

/* ---- seed 002: record matching runs ---- */

Test(contracts, seed_002_examples)
{
	expect_valid(
	    "linkage.run.response.json",
	    "{\"id\": \"c3d4e5f6-a7b8-9012-cdef-123456789012\","
	    " \"matching_config_id\": \"a1b2c3d4-e5f6-7890-abcd-ef1234567890\","
	    " \"status\": \"queued\", \"triggered_by\": \"manual\","
	    " \"rows_processed\": null, \"rows_matched\": null, \"avg_confidence\": null,"
	    " \"started_at\": null, \"completed_at\": null, \"error\": null,"
	    " \"created_at\": \"2024-10-02T14:00:00.000Z\","
	    " \"links\": {\"self\": \"/v1/matching/runs/c3d4e5f6-a7b8-9012-cdef-123456789012\","
	    " \"config\": \"/v1/matching/configs/a1b2c3d4-e5f6-7890-abcd-ef1234567890\"}}");
	expect_valid(
	    "linkage.run.response.json",
	    "{\"id\": \"d4e5f6a7-b8c9-0123-defa-234567890123\","
	    " \"matching_config_id\": \"a1b2c3d4-e5f6-7890-abcd-ef1234567890\","
	    " \"status\": \"queued\", \"triggered_by\": \"manual\","
	    " \"rows_processed\": null, \"rows_matched\": null, \"avg_confidence\": null,"
	    " \"started_at\": null, \"completed_at\": null, \"error\": null,"
	    " \"created_at\": \"2024-10-02T14:05:00.000Z\","
	    " \"links\": {\"self\": \"/v1/matching/runs/d4e5f6a7-b8c9-0123-defa-234567890123\","
	    " \"config\": \"/v1/matching/configs/a1b2c3d4-e5f6-7890-abcd-ef1234567890\"}}");
	expect_invalid("linkage.smart_run.request.json", "{}", "/strategy_id", "is required");
	expect_valid("common.error.json",
	             "{\"error\": {\"code\": \"validation_error\", \"message\": \"strategy_id is "
	             "required for smart-run.\", \"details\": {\"fields\": [{\"field\": "
	             "\"/strategy_id\", \"message\": \"is required\"}]}}}");
}

/* ---- seeds 000 and 004: team-fit matching and reports ---- */

Test(contracts, seed_000_matching)
{
	expect_valid("matching.create.request.json",
	             "{\"group\": [{\"type\": \"entity_id\", \"entityId\": \"ent_1\"},"
	             " {\"type\": \"media_target\", \"mediaId\": \"med_1\", \"selector\":"
	             " {\"strategy\": \"timerange\", \"on_miss\": \"fallback_dominant\","
	             " \"timerange\": {\"start_seconds\": 10, \"end_seconds\": null}}}],"
	             " \"target\": {\"type\": \"media_target\", \"mediaId\": \"med_2\","
	             " \"selector\": {\"strategy\": \"magic_hint\", \"on_miss\": \"error\","
	             " \"hint\": \"the candidate\"}},"
	             " \"context\": \"hiring_team_fit\", \"label\": \"Backend hire\","
	             " \"webhook\": {\"url\": \"https://hooks.example.com/x\","
	             " \"headers\": {\"X-Token\": \"t\"}}}");
	expect_invalid("matching.create.request.json",
	               "{\"group\": [], \"target\": {\"type\": \"entity_id\", \"entityId\": \"e\"},"
	               " \"context\": \"hiring_team_fit\"}",
	               "/group", "at least 1 items");
	expect_invalid("matching.create.request.json",
	               "{\"group\": [{\"type\": \"entity_id\", \"entityId\": \"e\"}],"
	               " \"target\": {\"type\": \"media_target\", \"mediaId\": \"m\", \"selector\":"
	               " {\"strategy\": \"loudest\", \"on_miss\": \"error\"}},"
	               " \"context\": \"hiring_team_fit\"}",
	               "/target/selector/strategy", "must be one of");
	expect_invalid("matching.create.request.json",
	               "{\"group\": [{\"type\": \"media_target\", \"mediaId\": \"m\", \"selector\":"
	               " {\"strategy\": \"timerange\", \"on_miss\": \"error\", \"timerange\":"
	               " {\"start_seconds\": -1}}}],"
	               " \"target\": {\"type\": \"entity_id\", \"entityId\": \"e\"},"
	               " \"context\": \"hiring_team_fit\", \"webhook\": {\"url\": \"not a url\"}}",
	               "/group/0/selector/timerange/start_seconds", "must be >= 0");
	expect_valid("matching.create.response.json",
	             "{\"jobId\": \"j1\", \"status\": \"queued\", \"estimatedWaitSec\": 12}");
	expect_valid("matching.byjob.response.json", "null");
	expect_valid(
	    "matching.get.response.json",
	    "{\"id\": \"m1\", \"jobId\": \"j1\", \"context\": \"hiring_team_fit\","
	    " \"createdAt\": \"2024-10-02T14:00:00.000Z\", \"output\": {\"template\": "
	    "\"matching\"}, \"group\": [{\"entityId\": \"e1\", \"resolvedLabel\": null,"
	    " \"source\": {\"type\": \"entity_id\", \"entityId\": \"e1\"}}],"
	    " \"target\": {\"entityId\": \"e2\", \"resolvedLabel\": \"Ana\", \"source\":"
	    " {\"type\": \"entity_id\", \"entityId\": \"e2\"}}, \"markdown\": \"# Fit\","
	    " \"json\": {\"schemaVersion\": 1, \"title\": \"Team fit\", \"summary\": \"Good\","
	    " \"sections\": [{\"section_title\": \"Belonging\", \"section_content\":"
	    " {\"type\": \"grid\", \"columns\": 2, \"items\": [{\"type\": \"card\", \"icon\":"
	    " \"star\", \"title\": \"A\", \"content\": \"B\"}]}},"
	    " {\"section_title\": \"Notes\", \"section_content\": [{\"type\": \"text\","
	    " \"content\": \"x\"}, {\"type\": \"illustration\", \"variant\": \"growth\"}]}]}}");
}

Test(contracts, seed_004_reports)
{
	expect_valid("reports.create.request.json",
	             "{\"media\": {\"mediaId\": \"med_1\"}, \"output\": {\"template\": "
	             "\"hiring_report\", \"templateParams\": {\"tone\": \"brief\"}},"
	             " \"target\": {\"strategy\": \"dominant\", \"on_miss\": \"error\"},"
	             " \"label\": \"Interview 1\", \"idempotencyKey\": \"k1\"}");
	expect_invalid("reports.create.request.json",
	               "{\"media\": {\"mediaId\": \"med_1\"}, \"output\": {\"template\": \"x\"},"
	               " \"target\": {\"strategy\": \"dominant\", \"on_miss\": \"error\"}}",
	               "/output/template", "must be one of");
	expect_valid(
	    "reports.get.response.json",
	    "{\"id\": \"r1\", \"createdAt\": \"2024-10-02T14:00:00.000Z\", \"jobId\": \"j1\","
	    " \"media\": {\"mediaId\": \"med_1\"}, \"output\": {\"template\": "
	    "\"general_report\"}, \"entity\": {\"id\": \"e1\", \"label\": null},"
	    " \"markdown\": null, \"sections\": null, \"metrics\": {\"talkShare\": 0.4},"
	    " \"raw\": {\"any\": true}, \"pdfUrl\": \"https://matchd.example/v1/reports/r1/pdf\","
	    " \"reportUrl\": \"https://matchd.example/r/r1\"}");
	expect_valid("reports.byjob.response.json", "null");
}

/* ---- seed 003: CV deep match ---- */

static const char requirements_example[] =
    "{\"as_of\":\"2026-11-01\",\"skills\":{\"must_have\":[\"Python\",{\"name\":\"PostgreSQL\","
    "\"min_years\":2}],\"nice_to_have\":[\"Kubernetes\"]},\"experience\":{\"min_years\":5},"
    "\"education\":{\"min_level\":\"bachelor\",\"fields\":[\"computer science\"]},"
    "\"languages\":[{\"language\":\"German\",\"min_level\":\"B2\"}],"
    "\"certifications\":[\"AWS Certified Solutions Architect\"],"
    "\"location\":{\"city\":\"Berlin\",\"remote_ok\":true},"
    "\"weights\":{\"skills\":0.45,\"experience\":0.2,\"education\":0.1,\"languages\":0.05,"
    "\"certifications\":0.05,\"location\":0.05,\"similarity\":0.1}}";

Test(contracts, cv_requirements_example_validates)
{
	expect_valid("cvdeepmatch.requirements.json", requirements_example);
	expect_valid("cvdeepmatch.requirements.json", "{}");
	expect_valid("cvdeepmatch.requirements.json",
	             "{\"languages\":[{\"language\":\"English\",\"min_level\":\"native\"}]}");
}

Test(contracts, cv_bad_requirements_name_the_field)
{
	const char *s = "cvdeepmatch.requirements.json";
	expect_invalid(s,
	               "{\"skills\":{\"must_have\":[\"Python\",{\"name\":\"PostgreSQL\","
	               "\"min_years\":-2}]}}",
	               "/skills/must_have/1/min_years", "must be >= 0");
	expect_invalid(s, "{\"skills\":{\"must_have\":[\"Python\",{\"min_years\":2}]}}",
	               "/skills/must_have/1/name", "is required");
	expect_invalid(s, "{\"skills\":{\"must_have\":[\"\"]}}", "/skills/must_have/0",
	               "at least 1 characters");
	expect_invalid(s, "{\"skills\":{\"must_have\":[42]}}", "/skills/must_have/0",
	               "must be of type string or object");
	expect_invalid(s, "{\"skills\":{\"required\":[\"Go\"]}}", "/skills/required",
	               "is not allowed");
	expect_invalid(s, "{\"as_of\":\"2026-02-30\"}", "/as_of", "YYYY-MM-DD");
	expect_invalid(s, "{\"experience\":{\"min_years\":\"five\"}}", "/experience/min_years",
	               "must be of type number");
	expect_invalid(s, "{\"education\":{\"min_level\":\"phd\"}}", "/education/min_level",
	               "must be one of");
	expect_invalid(s, "{\"languages\":[{\"language\":\"German\",\"min_level\":\"B3\"}]}",
	               "/languages/0/min_level", "must be one of");
	expect_invalid(s, "{\"languages\":[{\"min_level\":\"B2\"}]}", "/languages/0/language",
	               "is required");
	expect_invalid(s, "{\"weights\":{\"skills\":-0.1}}", "/weights/skills", "must be >= 0");
	expect_invalid(s, "{\"weights\":{\"luck\":1}}", "/weights/luck", "is not allowed");
	expect_invalid(s, "{\"location\":{\"remote_ok\":\"yes\"}}", "/location/remote_ok",
	               "must be of type boolean");
	expect_invalid(s, "{\"salary\":100000}", "/salary", "is not allowed");
	expect_invalid(s, "[]", "", "must be of type object");
}

Test(contracts, cv_submit_and_get)
{
	expect_valid("cvdeepmatch.submit.request.json",
	             "{\"cv_file\": \"cv.pdf\", \"job_description\": \"Senior Python engineer\","
	             " \"requirements\": \"{}\", \"webhook_url\": \"https://hooks.example.com/cv\","
	             " \"idempotency_key\": \"abc-123\"}");
	expect_invalid("cvdeepmatch.submit.request.json",
	               "{\"cv_file\": \"cv.pdf\", \"job_description\": \"x\", \"webhook_url\": "
	               "\"hooks.example.com\"}",
	               "/webhook_url", "absolute URI");
	expect_invalid("cvdeepmatch.submit.request.json", "{\"job_description\": \"x\"}",
	               "/cv_file", "is required");
	expect_valid("cvdeepmatch.submit.response.json",
	             "{\"id\": \"0192f0c1-0000-7000-8000-000000000001\", \"status\": \"queued\","
	             " \"created_at\": \"2024-10-02T14:00:00.000Z\"}");
	expect_valid("cvdeepmatch.submit.response.json",
	             "{\"id\": \"0192f0c1-0000-7000-8000-000000000001\", \"status\": \"queued\","
	             " \"created_at\": \"2024-10-02T14:00:00.000Z\", \"idempotent_replay\": true}");
	expect_valid(
	    "cvdeepmatch.get.response.json",
	    "{\"id\": \"x1\", \"status\": \"succeeded\", \"created_at\": "
	    "\"2024-10-02T14:00:00.000Z\", \"updated_at\": \"2024-10-02T14:00:09.000Z\","
	    " \"completed_at\": \"2024-10-02T14:00:09.000Z\", \"error\": null, \"result\":"
	    " {\"score\": 78.5, \"tier\": \"good\", \"summary\": \"Meets most requirements.\","
	    " \"requirements\": [{\"id\": \"skills.must_have.0\", \"category\": \"skills\","
	    " \"requirement\": \"Python\", \"verdict\": \"met\", \"score\": 100, \"evidence\":"
	    " [{\"page\": 1, \"text\": \"5 years of Python\"}]}], \"categories\":"
	    " {\"skills\": {\"score\": 80, \"weight\": 0.45}}, \"skills_found\": [\"Python\"],"
	    " \"experience_years\": 6.5, \"warnings\": [], \"future_field\": {\"x\": 1}}}");
	expect_valid("cvdeepmatch.get.response.json",
	             "{\"id\": \"x1\", \"status\": \"failed\", \"created_at\": "
	             "\"2024-10-02T14:00:00.000Z\", \"updated_at\": \"2024-10-02T14:00:01.000Z\","
	             " \"completed_at\": null, \"result\": null, \"error\": {\"code\": "
	             "\"STEP_FUNCTIONS_FAILED\", \"message\": \"pipeline failed\"}}");
	expect_invalid("cvdeepmatch.get.response.json",
	               "{\"id\": \"x1\", \"status\": \"succeeded\", \"created_at\": "
	               "\"2024-10-02T14:00:00.000Z\", \"updated_at\": \"2024-10-02T14:00:09.000Z\","
	               " \"completed_at\": null, \"error\": null, \"result\": {\"score\": 130,"
	               " \"tier\": \"good\", \"summary\": \"\", \"requirements\": []}}",
	               "/result/score", "must be <= 100");
}

/* ---- jobs, credits, webhooks, errors ---- */

Test(contracts, platform_objects)
{
	const char *job = "{\"jobId\": \"j1\", \"kind\": \"report\", \"status\": \"running\","
	                  " \"stage\": \"parsing_transcript\", \"progress\": 0.4,"
	                  " \"estimatedWaitSec\": 3, \"createdAt\": \"2024-10-02T14:00:00.000Z\","
	                  " \"startedAt\": \"2024-10-02T14:00:01.000Z\", \"finishedAt\": null,"
	                  " \"error\": null, \"resultUrl\": null, \"attempts\": 1}";
	expect_valid("jobs.get.response.json", job);
	char list[1024];
	cr_assert_eq(md_snprintf(list, sizeof list, "{\"data\": [%s], \"next_cursor\": null}", job),
	             0);
	expect_valid("jobs.list.response.json", list);
	expect_invalid("jobs.get.response.json",
	               "{\"jobId\": \"j1\", \"kind\": \"report\", \"status\": \"done\","
	               " \"stage\": null, \"progress\": 1.5, \"createdAt\": \"yesterday\","
	               " \"startedAt\": null, \"finishedAt\": null, \"error\": null,"
	               " \"resultUrl\": null, \"attempts\": 0}",
	               "/progress", "must be <= 1");
	expect_valid(
	    "credits.get.response.json",
	    "{\"balance\": 90, \"ledger\": [{\"id\": \"l1\", \"amount\": -10, \"reason\":"
	    " \"cvdeepmatch\", \"jobId\": \"j1\", \"createdAt\": \"2024-10-02T14:00:00.000Z\"},"
	    " {\"id\": \"l0\", \"amount\": 100, \"reason\": \"grant\", \"jobId\": null,"
	    " \"createdAt\": \"2024-10-01T14:00:00.000Z\"}]}");
	expect_valid(
	    "webhooks.deliveries.response.json",
	    "{\"data\": [{\"id\": \"d1\", \"jobId\": \"j1\", \"eventType\": \"job.succeeded\","
	    " \"url\": \"https://hooks.example.com/x\", \"status\": \"failed\", \"attemptCount\": "
	    "1,"
	    " \"nextAttemptAt\": null, \"lastHttpStatus\": 500,"
	    " \"createdAt\": \"2024-10-02T14:00:00.000Z\", \"attempts\": [{\"attempt\": 1,"
	    " \"at\": \"2024-10-02T14:00:01.000Z\", \"httpStatus\": 500, \"outcome\": "
	    "\"http_error\","
	    " \"error\": \"HTTP 500\", \"durationMs\": 12}]}],"
	    " \"next_cursor\": null}");
	expect_valid("common.error.json",
	             "{\"error\": {\"code\": \"INVALID_INPUT\", \"message\": \"bad\", \"details\":"
	             " {\"fields\": [{\"field\": \"requirements\", \"message\": \"not JSON\"}]}}}");
	expect_invalid("common.error.json", "{\"error\": {\"message\": \"x\"}}", "/error/code",
	               "is required");
}

Test(contracts, error_fields_render)
{
	json_t *i = parse("{\"weights\":{\"skills\":-1}}");
	struct jsonschema_errors e;
	cr_assert_eq(contracts_validate("cvdeepmatch.requirements.json", i, &e), 1);
	json_t *fields = contracts_error_fields(&e);
	cr_assert_not_null(fields);
	json_t *f0 = json_array_get(fields, 0);
	cr_assert_str_eq(json_string_value(json_object_get(f0, "field")), "/weights/skills");
	cr_assert_str_eq(json_string_value(json_object_get(f0, "message")), "must be >= 0");
	json_t *envelope =
	    json_pack("{s:{s:s,s:s,s:{s:O}}}", "error", "code", "INVALID_INPUT", "message",
	              "invalid requirements", "details", "fields", fields);
	struct jsonschema_errors e2;
	cr_assert_eq(contracts_validate("common.error.json", envelope, &e2), 0);
	json_decref(envelope);
	json_decref(fields);
	json_decref(i);
}
