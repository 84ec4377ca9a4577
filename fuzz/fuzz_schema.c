/*
 * fuzz_schema.c: libFuzzer harness for the JSON Schema validator. The input is parsed as JSON
 * (nesting capped before jansson sees it) and validated against a few embedded contracts. An
 * input of the form {"$fuzz_schema": S, "$fuzz_instance": I} also validates I against the
 * arbitrary schema S, with a small work cap (patterns excluded: regcomp is glibc's problem).
 * Any negative result for a contract schema, or an error that breaks the documented
 * invariants, aborts.
 */
#include "base/common.h"

#include "api/api.h"
#include "api/contracts.h"
#include "base/jsonschema.h"

#define MAX_NESTING 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const schemas[] = {
	"cvdeepmatch.requirements.json", "matching.create.request.json",
	"reports.create.request.json",   "cvdeepmatch.get.response.json",
	"talent.feedback.request.json",  "jobs.list.response.json",
};

static void check_errors(int rc, const struct jsonschema_errors *e)
{
	if (rc < 0 && rc != MD_ELIMIT && rc != MD_EINVAL && rc != MD_ENOTFOUND && rc != MD_ENOMEM)
		abort();
	if (e->count > JSONSCHEMA_MAX_ERRORS || (rc == 1 && e->count == 0) || (rc != 1 && e->count))
		abort();
	for (size_t i = 0; i < e->count; i++) {
		const struct jsonschema_error *x = &e->items[i];
		if (!memchr(x->pointer, '\0', sizeof x->pointer) ||
		    !memchr(x->message, '\0', sizeof x->message))
			abort();
		if (x->pointer[0] != '\0' && x->pointer[0] != '/')
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16 || !api_json_depth_ok((const char *)data, size, MAX_NESTING))
		return 0;
	json_error_t jerr;
	json_t *inst = json_loadb((const char *)data, size, JSON_DECODE_ANY, &jerr);
	if (!inst)
		return 0;
	struct jsonschema_errors e;
	for (size_t i = 0; i < ARRAY_SIZE(schemas); i++) {
		int rc = contracts_validate(schemas[i], inst, &e);
		if (rc < 0)
			abort(); /* the contracts are valid schemas: never an internal error */
		check_errors(rc, &e);
		json_t *fields = contracts_error_fields(&e);
		json_decref(fields);
	}
	json_t *s = json_object_get(inst, "$fuzz_schema");
	json_t *i = json_object_get(inst, "$fuzz_instance");
	/* glibc's regcomp can take unbounded time on fuzzed patterns: not our code, not fuzzed. */
	if (s && i && !memmem(data, size, "pattern", 7)) {
		struct jsonschema_opts o = { .max_steps = 200000 };
		check_errors(jsonschema_validate(s, i, &o, &e), &e);
	}
	json_decref(inst);
	return 0;
}
