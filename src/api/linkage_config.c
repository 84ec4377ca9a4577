/* linkage_config.c: the HTTP-free checks of record-matching bodies, see linkage_config.h. */
#include "api/linkage_config.h"

#include <stdio.h>
#include <string.h>

#include "api/contracts.h"
#include "base/jsonschema.h"
#include "engines/linkage/linkage.h"

void linkage_config_error(json_t **errors, const char *field, const char *msg)
{
	if (!*errors)
		*errors = json_array();
	json_array_append_new(*errors, json_pack("{s:s,s:s}", "field", field, "message", msg));
}

int linkage_config_contract(const char *schema, const json_t *body, json_t **errors)
{
	struct jsonschema_errors errs;
	int rc = contracts_validate(schema, body, &errs);
	if (rc != 1)
		return rc;
	for (size_t i = 0; i < errs.count; i++) {
		/* "/fields/0/name" names fields/0/name; "" is the body; "/" is a key "". */
		const char *p = errs.items[i].pointer;
		const char *field = !p[0] ? "body" : p[0] == '/' && p[1] ? p + 1 : p;
		linkage_config_error(errors, field, errs.items[i].message);
	}
	return 1;
}

void linkage_config_defaults(json_t *body)
{
	if (!json_object_get(body, "fields"))
		json_object_set_new(body, "fields", json_array());
	if (!json_object_get(body, "blocking"))
		json_object_set_new(body, "blocking", json_array());
	if (!json_object_get(body, "threshold"))
		json_object_set_new(body, "threshold", json_real(0.5));
	if (!json_object_get(body, "link_type"))
		json_object_set_new(body, "link_type", json_string("best_match"));
	if (!json_object_get(body, "mode"))
		json_object_set_new(body, "mode", json_string("link"));
}

bool linkage_config_has_column(const json_t *cols, const char *name)
{
	size_t i;
	json_t *c;
	if (!name)
		return false;
	json_array_foreach(cols, i, c)
	{
		const char *v = json_string_value(c);
		if (v && !strcmp(v, name))
			return true;
	}
	return false;
}

static bool is_field_name(const json_t *fields, const char *name)
{
	size_t i;
	json_t *f;
	json_array_foreach(fields, i, f)
	{
		const char *v = json_string_value(json_object_get(f, "name"));
		if (v && name && !strcmp(v, name))
			return true;
	}
	return false;
}

static void check_names(const json_t *f, size_t i, const json_t *cols, bool dedupe, json_t **errors)
{
	char ptr[96];
	const char *cmp = json_string_value(json_object_get(f, "comparator"));
	enum lk_comparator c;
	snprintf(ptr, sizeof ptr, "fields/%zu/comparator", i);
	if (cmp && !lk_comparator_parse(cmp, &c))
		linkage_config_error(errors, ptr, "unknown comparator");
	size_t j;
	json_t *v;
	json_array_foreach(json_object_get(f, "normalize"), j, v)
	{
		unsigned bit;
		const char *nm = json_string_value(v);
		snprintf(ptr, sizeof ptr, "fields/%zu/normalize/%zu", i, j);
		if (!nm || !lk_norm_parse(nm, &bit))
			linkage_config_error(errors, ptr, "unknown normalizer");
	}
	snprintf(ptr, sizeof ptr, "fields/%zu/reference_column", i);
	if (!linkage_config_has_column(cols,
	                               json_string_value(json_object_get(f, "reference_column"))))
		linkage_config_error(errors, ptr, "no such column in the reference dataset");
	snprintf(ptr, sizeof ptr, "fields/%zu/input_column", i);
	if (dedupe &&
	    !linkage_config_has_column(cols, json_string_value(json_object_get(f, "input_column"))))
		linkage_config_error(errors, ptr, "no such column in the dataset (dedupe mode)");
}

void linkage_config_names(const json_t *body, const json_t *ref_columns, json_t **errors)
{
	const char *mode = json_string_value(json_object_get(body, "mode"));
	bool dedupe = mode && !strcmp(mode, "dedupe");
	const json_t *fields = json_object_get(body, "fields");
	size_t i, j;
	json_t *f, *v;
	char ptr[96];
	json_array_foreach(fields, i, f)
	{
		check_names(f, i, ref_columns, dedupe, errors);
		const char *nm = json_string_value(json_object_get(f, "name"));
		for (size_t k = 0; nm && k < i; k++) {
			const char *o =
			    json_string_value(json_object_get(json_array_get(fields, k), "name"));
			if (o && !strcmp(o, nm)) {
				snprintf(ptr, sizeof ptr, "fields/%zu/name", i);
				linkage_config_error(errors, ptr, "field names must be unique");
				break;
			}
		}
	}
	json_array_foreach(json_object_get(body, "blocking"), i, f)
	{
		json_array_foreach(f, j, v)
		{
			const char *col = json_string_value(v);
			snprintf(ptr, sizeof ptr, "blocking/%zu/%zu", i, j);
			if (!is_field_name(fields, col) &&
			    !linkage_config_has_column(ref_columns, col))
				linkage_config_error(
				    errors, ptr,
				    "neither a field name nor a column of the reference dataset");
		}
	}
}
