/*
 * test_jsonschema.c: every keyword of the validator, pointers, limits and formats.
 */
#include "base/common.h"

#include <criterion/criterion.h>

#include "base/jsonschema.h"

static json_t *parse(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &err);
	cr_assert_not_null(v, "bad test JSON: %s: %s", err.text, text);
	return v;
}

/* Validates; returns the verdict and leaves the errors in *errs. */
static int check(const char *schema, const char *instance, struct jsonschema_errors *errs)
{
	json_t *s = parse(schema), *i = parse(instance);
	int rc = jsonschema_validate(s, i, NULL, errs);
	json_decref(s);
	json_decref(i);
	return rc;
}

static void expect_valid(const char *schema, const char *instance)
{
	struct jsonschema_errors e;
	int rc = check(schema, instance, &e);
	cr_assert_eq(rc, 0, "expected %s valid against %s, got %d (%s: %s)", instance, schema, rc,
	             e.count ? e.items[0].pointer : "", e.count ? e.items[0].message : "");
}

/* Expects exactly the first error to sit at pointer and contain msg. */
static void expect_invalid(const char *schema, const char *instance, const char *pointer,
                           const char *msg)
{
	struct jsonschema_errors e;
	int rc = check(schema, instance, &e);
	cr_assert_eq(rc, 1, "expected %s invalid against %s, got %d", instance, schema, rc);
	cr_assert_gt(e.count, 0);
	cr_assert_str_eq(e.items[0].pointer, pointer, "pointer for %s: got \"%s\" want \"%s\"",
	                 instance, e.items[0].pointer, pointer);
	cr_assert(strstr(e.items[0].message, msg), "message for %s: got \"%s\" want \"%s\"",
	          instance, e.items[0].message, msg);
}

Test(jsonschema, type)
{
	expect_valid("{\"type\":\"string\"}", "\"x\"");
	expect_valid("{\"type\":\"integer\"}", "3");
	expect_valid("{\"type\":\"integer\"}", "3.0");
	expect_valid("{\"type\":\"number\"}", "3");
	expect_valid("{\"type\":\"boolean\"}", "false");
	expect_valid("{\"type\":\"null\"}", "null");
	expect_valid("{\"type\":[\"string\",\"null\"]}", "null");
	expect_invalid("{\"type\":\"integer\"}", "3.5", "", "must be of type integer");
	expect_invalid("{\"type\":\"object\"}", "[]", "", "must be of type object");
	expect_invalid("{\"type\":[\"string\",\"null\"]}", "1", "", "string or null");
}

Test(jsonschema, const_and_enum)
{
	expect_valid("{\"const\":2}", "2.0");
	expect_valid("{\"const\":{\"a\":[1,\"x\"]}}", "{\"a\":[1.0,\"x\"]}");
	expect_invalid("{\"const\":\"card\"}", "\"text\"", "", "must be \"card\"");
	expect_valid("{\"enum\":[\"a\",null,3]}", "null");
	expect_invalid("{\"enum\":[\"a\",\"b\"]}", "\"c\"", "", "must be one of [\"a\",\"b\"]");
}

Test(jsonschema, object_keywords)
{
	const char *s = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},"
	                "\"b\":{\"type\":\"number\"}},\"required\":[\"a\"],"
	                "\"additionalProperties\":false}";
	expect_valid(s, "{\"a\":\"x\",\"b\":1}");
	expect_invalid(s, "{\"b\":1}", "/a", "is required");
	expect_invalid(s, "{\"a\":\"x\",\"c\":1}", "/c", "is not allowed");
	expect_invalid(s, "{\"a\":1}", "/a", "must be of type string");
	expect_valid("{\"additionalProperties\":{\"type\":\"string\"}}", "{\"x\":\"y\"}");
	expect_invalid("{\"additionalProperties\":{\"type\":\"string\"}}", "{\"x\":1}", "/x",
	               "must be of type string");
	expect_invalid("{\"propertyNames\":{\"maxLength\":2}}", "{\"abc\":1}", "/abc",
	               "at most 2 characters");
}

Test(jsonschema, array_keywords)
{
	const char *s = "{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":0},"
	                "\"minItems\":1,\"maxItems\":3}";
	expect_valid(s, "[0,1,2]");
	expect_invalid(s, "[]", "", "at least 1 items");
	expect_invalid(s, "[1,2,3,4]", "", "at most 3 items");
	expect_invalid(s, "[1,-2]", "/1", "must be >= 0");
}

Test(jsonschema, numbers)
{
	expect_valid("{\"minimum\":0,\"maximum\":1}", "1");
	expect_invalid("{\"minimum\":0}", "-0.5", "", "must be >= 0");
	expect_invalid("{\"maximum\":100}", "100.5", "", "must be <= 100");
	expect_invalid("{\"exclusiveMinimum\":0}", "0", "", "must be > 0");
	expect_invalid("{\"exclusiveMaximum\":1}", "1", "", "must be < 1");
	/* Keywords for other types do not apply. */
	expect_valid("{\"minimum\":5,\"minLength\":3}", "true");
}

Test(jsonschema, string_lengths_count_code_points)
{
	/* "Zürich" is 6 code points and 7 bytes; the emoji is one code point of 4 bytes. */
	expect_valid("{\"maxLength\":6}", "\"Z\\u00fcrich\"");
	expect_invalid("{\"maxLength\":5}", "\"Z\\u00fcrich\"", "", "at most 5 characters");
	expect_valid("{\"minLength\":1,\"maxLength\":1}", "\"\\ud83d\\ude00\"");
	expect_invalid("{\"minLength\":2}", "\"\\ud83d\\ude00\"", "", "at least 2 characters");
	expect_valid("{\"maxLength\":3}", "\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\"");
}

Test(jsonschema, any_of_one_of_all_of)
{
	const char *nullable =
	    "{\"anyOf\":[{\"type\":\"number\",\"minimum\":0},{\"type\":\"null\"}]}";
	expect_valid(nullable, "null");
	expect_valid(nullable, "3");
	/* The branch whose type fits explains the failure. */
	expect_invalid(nullable, "-1", "", "must be >= 0");
	expect_invalid(nullable, "\"x\"", "", "must be of type number or null");
	const char *one =
	    "{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\",\"minimum\":2}]}";
	expect_valid(one, "1");
	expect_valid(one, "2.5");
	expect_invalid(one, "3", "", "exactly one");
	expect_valid("{\"allOf\":[{\"minimum\":1},{\"maximum\":2}]}", "1.5");
	expect_invalid("{\"allOf\":[{\"minimum\":1},{\"maximum\":2}]}", "3", "", "must be <= 2");
	/* Discriminated union: the error names the field of the matching shape. */
	const char *u = "{\"oneOf\":["
	                "{\"type\":\"object\",\"properties\":{\"type\":{\"const\":\"a\"},"
	                "\"x\":{\"type\":\"string\"}},\"required\":[\"type\",\"x\"],"
	                "\"additionalProperties\":false},"
	                "{\"type\":\"object\",\"properties\":{\"type\":{\"const\":\"b\"},"
	                "\"y\":{\"enum\":[1,2]}},\"required\":[\"type\",\"y\"],"
	                "\"additionalProperties\":false}]}";
	expect_invalid(u, "{\"type\":\"b\",\"y\":3}", "/y", "must be one of");
}

Test(jsonschema, boolean_schemas)
{
	expect_valid("true", "{\"anything\":[1]}");
	expect_valid("{}", "1");
	expect_invalid("false", "1", "", "is not allowed");
	expect_invalid("{\"properties\":{\"a\":false}}", "{\"a\":1}", "/a", "is not allowed");
}

Test(jsonschema, pointer_escaping)
{
	const char *s = "{\"additionalProperties\":{\"type\":\"object\","
	                "\"additionalProperties\":{\"type\":\"string\"}}}";
	expect_invalid(s, "{\"a/b\":{\"c~d\":1}}", "/a~1b/c~0d", "must be of type string");
	expect_invalid(s, "{\"~/\":{\"\":1}}", "/~0~1/", "must be of type string");
	char buf[16] = "";
	cr_assert_eq(jsonschema_pointer_append(buf, sizeof buf, "a/b~"), 0);
	cr_assert_str_eq(buf, "/a~1b~0");
	cr_assert_eq(jsonschema_pointer_append(buf, sizeof buf, "0123456789"), MD_ELIMIT);
	cr_assert_str_eq(buf, "/a~1b~0", "unchanged on overflow");
}

Test(jsonschema, long_pointers_are_cut)
{
	char key[300];
	memset(key, 'k', sizeof key - 1);
	key[sizeof key - 1] = '\0';
	json_t *inst = json_pack("{s:{s:i}}", "a", key, 1);
	json_t *s = parse("{\"additionalProperties\":{\"additionalProperties\":{\"type\":"
	                  "\"string\"}}}");
	struct jsonschema_errors e;
	cr_assert_eq(jsonschema_validate(s, inst, NULL, &e), 1);
	cr_assert_str_eq(e.items[0].pointer, "/a/...");
	json_decref(s);
	json_decref(inst);
}

Test(jsonschema, formats)
{
	expect_valid("{\"format\":\"uri\"}", "\"https://example.com/a?b=c#d\"");
	expect_valid("{\"format\":\"uri\"}", "\"urn:isbn:0451450523\"");
	expect_invalid("{\"format\":\"uri\"}", "\"/relative/path\"", "", "absolute URI");
	expect_invalid("{\"format\":\"uri\"}", "\"https://\"", "", "absolute URI");
	expect_invalid("{\"format\":\"uri\"}", "\"https://a b.com\"", "", "absolute URI");
	expect_invalid("{\"format\":\"uri\"}", "\"http://x/%zz\"", "", "absolute URI");
	expect_valid("{\"format\":\"date\"}", "\"2024-02-29\"");
	expect_invalid("{\"format\":\"date\"}", "\"2023-02-29\"", "", "YYYY-MM-DD");
	expect_invalid("{\"format\":\"date\"}", "\"2023-13-01\"", "", "YYYY-MM-DD");
	expect_invalid("{\"format\":\"date\"}", "\"2023-1-01\"", "", "YYYY-MM-DD");
	expect_valid("{\"format\":\"date-time\"}", "\"2024-10-02T14:00:00.000Z\"");
	expect_valid("{\"format\":\"date-time\"}", "\"2024-10-02t14:00:00+02:00\"");
	expect_invalid("{\"format\":\"date-time\"}", "\"2024-10-02 14:00:00Z\"", "", "RFC 3339");
	expect_invalid("{\"format\":\"date-time\"}", "\"2024-10-02T24:00:00Z\"", "", "RFC 3339");
	expect_invalid("{\"format\":\"date-time\"}", "\"2024-10-02T14:00:00\"", "", "RFC 3339");
	expect_valid("{\"format\":\"email\"}", "\"not checked\"");
	expect_valid("{\"format\":\"uri\"}", "42"); /* formats apply to strings only */
}

Test(jsonschema, pattern)
{
	expect_valid("{\"pattern\":\"^[a-z]+$\"}", "\"abc\"");
	expect_invalid("{\"pattern\":\"^[a-z]+$\"}", "\"aBc\"", "", "must match the pattern");
	struct jsonschema_errors e;
	cr_assert_eq(check("{\"pattern\":\"([\"}", "\"x\"", &e), MD_EINVAL);
}

static json_t *resolver(void *ctx, const char *ref)
{
	json_t *docs = ctx;
	return json_object_get(docs, ref);
}

Test(jsonschema, refs)
{
	json_t *docs = parse("{\"other.json\":{\"$defs\":{\"pos\":{\"minimum\":0},"
	                     "\"wrap\":{\"$ref\":\"#/$defs/pos\"}},\"type\":\"string\"}}");
	json_t *s = parse("{\"$defs\":{\"a~b\":{\"type\":\"integer\"}},\"properties\":{"
	                  "\"n\":{\"$ref\":\"#/$defs/a~0b\"},"
	                  "\"p\":{\"$ref\":\"other.json#/$defs/wrap\"},"
	                  "\"s\":{\"$ref\":\"other.json\"}}}");
	struct jsonschema_opts o = { .resolve = resolver, .ctx = docs };
	struct jsonschema_errors e;
	json_t *ok = parse("{\"n\":1,\"p\":2,\"s\":\"x\"}");
	cr_assert_eq(jsonschema_validate(s, ok, &o, &e), 0);
	json_t *bad = parse("{\"n\":1.5,\"p\":-2,\"s\":3}");
	cr_assert_eq(jsonschema_validate(s, bad, &o, &e), 1);
	cr_assert_eq(e.count, 3, "got %zu errors", e.count);
	cr_assert_str_eq(e.items[1].pointer, "/p");
	cr_assert_str_eq(e.items[1].message, "must be >= 0");
	/* A dangling reference is an error of the schema, not of the instance. */
	json_t *dangling = parse("{\"$ref\":\"missing.json\"}");
	cr_assert_eq(jsonschema_validate(dangling, ok, &o, &e), MD_ENOTFOUND);
	cr_assert_eq(jsonschema_validate(dangling, ok, NULL, &e), MD_ENOTFOUND);
	json_t *bad_frag = parse("{\"$ref\":\"#/$defs/nope\"}");
	cr_assert_eq(jsonschema_validate(bad_frag, ok, NULL, &e), MD_ENOTFOUND);
	json_decref(bad_frag);
	json_decref(dangling);
	json_decref(bad);
	json_decref(ok);
	json_decref(s);
	json_decref(docs);
}

Test(jsonschema, ref_loop_hits_depth_limit)
{
	json_t *s = parse("{\"$ref\":\"#\"}");
	json_t *i = parse("1");
	struct jsonschema_errors e;
	cr_assert_eq(jsonschema_validate(s, i, NULL, &e), 1);
	cr_assert(strstr(e.items[0].message, "too deep"), "got %s", e.items[0].message);
	json_decref(s);
	json_decref(i);
}

Test(jsonschema, depth_limit)
{
	/* A recursive schema over a 100-deep array. */
	json_t *s =
	    parse("{\"$defs\":{\"n\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/n\"}}},"
	          "\"$ref\":\"#/$defs/n\"}");
	json_t *inst = json_array(), *cur = inst;
	for (int d = 0; d < 100; d++) {
		json_t *next = json_array();
		json_array_append_new(cur, next);
		cur = next;
	}
	struct jsonschema_errors e;
	cr_assert_eq(jsonschema_validate(s, inst, NULL, &e), 1);
	cr_assert_eq(e.count, 1);
	cr_assert(strstr(e.items[0].message, "too deep"));
	struct jsonschema_opts o = { .max_depth = 8 };
	cr_assert_eq(jsonschema_validate(s, json_array_get(inst, 0), &o, &e), 1);
	/* Shallow enough: valid. */
	json_t *shallow = parse("[[[]],[]]");
	cr_assert_eq(jsonschema_validate(s, shallow, NULL, &e), 0);
	json_decref(shallow);
	json_decref(inst);
	json_decref(s);
}

Test(jsonschema, error_cap)
{
	json_t *s = parse("{\"items\":{\"type\":\"string\"}}");
	json_t *inst = json_array();
	for (int i = 0; i < 100; i++)
		json_array_append_new(inst, json_integer(i));
	struct jsonschema_errors e;
	cr_assert_eq(jsonschema_validate(s, inst, NULL, &e), 1);
	cr_assert_eq(e.count, JSONSCHEMA_MAX_ERRORS);
	cr_assert(e.truncated);
	cr_assert_str_eq(e.items[31].pointer, "/31");
	struct jsonschema_opts o = { .max_errors = 2 };
	cr_assert_eq(jsonschema_validate(s, inst, &o, &e), 1);
	cr_assert_eq(e.count, 2);
	cr_assert(e.truncated);
	/* Exactly at the cap: not truncated. */
	json_t *two = parse("[1,2]");
	cr_assert_eq(jsonschema_validate(s, two, &o, &e), 1);
	cr_assert_eq(e.count, 2);
	cr_assert(!e.truncated);
	/* Verdict only. */
	cr_assert_eq(jsonschema_validate(s, inst, NULL, NULL), 1);
	json_decref(two);
	json_decref(inst);
	json_decref(s);
}

Test(jsonschema, malformed_schemas)
{
	struct jsonschema_errors e;
	cr_assert_eq(check("{\"required\":\"a\"}", "{}", &e), MD_EINVAL);
	cr_assert_eq(check("{\"anyOf\":[]}", "1", &e), MD_EINVAL);
	cr_assert_eq(check("{\"type\":5}", "1", &e), MD_EINVAL);
	cr_assert_eq(check("[1]", "1", &e), MD_EINVAL);
	cr_assert_eq(e.count, 0);
	cr_assert_eq(jsonschema_validate(NULL, NULL, NULL, &e), MD_EINVAL);
}

Test(jsonschema, errors_in_document_order)
{
	const char *s = "{\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"minimum\":1}},"
	                "\"required\":[\"c\"]}";
	struct jsonschema_errors e;
	cr_assert_eq(check(s, "{\"a\":1,\"b\":0}", &e), 1);
	cr_assert_eq(e.count, 3);
	cr_assert_str_eq(e.items[0].pointer, "/c");
	/* jansson keeps insertion order for iteration. */
	cr_assert_str_eq(e.items[1].pointer, "/a");
	cr_assert_str_eq(e.items[2].pointer, "/b");
}
