/*
 * contracts.c: the embedded contracts, parsed once.
 */
#include "base/common.h"

#include <pthread.h>

#include "api/contracts.h"
/*
 * The generated table (build/gen/contracts.h, from scripts/embed.py). Angle brackets, because a
 * quoted include would find this module's own header next to this file first.
 */
#include <contracts.h>

#define ID_PREFIX "https://matchd.dev/contracts/v1/"
#define OPENAPI_NAME "openapi.json"

struct schema {
	const char *name;
	json_t *doc;
};

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static struct schema *schemas;
static size_t nschemas;
static int load_err;
static const char *openapi_text;
static size_t openapi_len;

static void load(void)
{
	schemas = md_calloc(contracts_count, sizeof *schemas);
	if (!schemas) {
		load_err = MD_ENOMEM;
		return;
	}
	for (size_t i = 0; i < contracts_count; i++) {
		const struct contracts_file *f = &contracts_files[i];
		if (!strcmp(f->name, OPENAPI_NAME)) {
			openapi_text = f->data;
			openapi_len = f->len;
			continue;
		}
		json_error_t jerr;
		json_t *doc = json_loadb(f->data, f->len, JSON_REJECT_DUPLICATES, &jerr);
		if (!doc) {
			/* A broken contract fails the build's tests; at run time it is just absent. */
			load_err = MD_EINVAL;
			continue;
		}
		schemas[nschemas].name = f->name;
		schemas[nschemas].doc = doc;
		nschemas++;
	}
}

static bool ensure_loaded(void)
{
	return pthread_once(&load_once, load) == 0 && schemas;
}

const json_t *contracts_get(const char *name)
{
	if (!name || !ensure_loaded())
		return NULL;
	if (!strncmp(name, ID_PREFIX, strlen(ID_PREFIX)))
		name += strlen(ID_PREFIX);
	for (size_t i = 0; i < nschemas; i++)
		if (!strcmp(schemas[i].name, name))
			return schemas[i].doc;
	return NULL;
}

const char *contracts_name(size_t i)
{
	if (!ensure_loaded() || i >= nschemas)
		return NULL;
	return schemas[i].name;
}

static json_t *resolve(void *ctx, const char *ref)
{
	(void)ctx;
	return (json_t *)contracts_get(ref);
}

int contracts_validate(const char *name, const json_t *instance, struct jsonschema_errors *out)
{
	if (out) {
		out->count = 0;
		out->truncated = false;
	}
	if (!ensure_loaded())
		return load_err ? load_err : MD_ENOMEM;
	const json_t *schema = contracts_get(name);
	if (!schema)
		return MD_ENOTFOUND;
	struct jsonschema_opts opts = { .resolve = resolve };
	return jsonschema_validate(schema, instance, &opts, out);
}

json_t *contracts_error_fields(const struct jsonschema_errors *errs)
{
	json_t *arr = json_array();
	if (!arr)
		return NULL;
	for (size_t i = 0; errs && i < errs->count; i++) {
		json_t *o = json_pack("{s:s, s:s}", "field", errs->items[i].pointer, "message",
		                      errs->items[i].message);
		if (!o || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

const char *contracts_openapi(size_t *len)
{
	ensure_loaded();
	if (len)
		*len = openapi_len;
	return openapi_text ? openapi_text : "";
}
