/*
 * fuzz_lk_config.c: libFuzzer harness for the record-matching config validator: the input is
 * a config body as POST /v1/matching/configs receives it (depth-capped like the API), checked
 * against its contract, completed with the defaults and checked against a fixed reference
 * header, then as a PATCH body. Any error that breaks the envelope's invariants (each error an
 * object with a non-empty field and a message) or a negative result aborts.
 */
#include "base/common.h"

#include "api/api.h"
#include "api/linkage_config.h"

#define MAX_NESTING 32 /* the API's default json_max_depth */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_errors(const json_t *errors, bool want)
{
	if (want != (errors != NULL) || (errors && !json_array_size(errors)))
		abort();
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e)
	{
		const char *f = json_string_value(json_object_get(e, "field"));
		const char *m = json_string_value(json_object_get(e, "message"));
		if (!f || !f[0] || !m || !m[0])
			abort();
	}
}

static void check(const char *schema, json_t *body, const json_t *cols, bool names)
{
	json_t *errors = NULL;
	int rc = linkage_config_contract(schema, body, &errors);
	if (rc != 0 && rc != 1)
		abort();
	check_errors(errors, rc == 1);
	if (rc == 0 && names) {
		linkage_config_defaults(body);
		linkage_config_names(body, cols, &errors);
		check_errors(errors, errors != NULL);
	}
	json_decref(errors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!api_json_depth_ok((const char *)data, size, MAX_NESTING))
		return 0;
	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!body)
		return 0;
	json_t *cols = json_pack("[s,s,s,s]", "given_name", "surname", "dob", "postcode");
	json_t *copy = json_deep_copy(body);
	check("linkage.config.request.json", body, cols, true);
	check("linkage.config.patch.request.json", copy, cols, false);
	json_decref(copy);
	json_decref(cols);
	json_decref(body);
	return 0;
}
