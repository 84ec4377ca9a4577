/*
 * contracts.h: the API contracts (contracts/v1/, one JSON Schema per file), embedded in the
 * binary at build time, and the validation of request and response bodies against them.
 *
 * The schemas are parsed once, on first use, by whichever thread comes first (pthread_once);
 * afterwards every function here is a read-only lookup, safe from any thread. Schemas live for
 * the whole process and are never freed. A schema's `$ref` to another file ("common.error.json")
 * resolves among the embedded files, so contracts_validate() needs nothing from the caller.
 *
 * Names are file names, "cvdeepmatch.requirements.json"; the full `$id`
 * ("https://matchd.dev/contracts/v1/cvdeepmatch.requirements.json") is accepted too.
 *
 * A handler validating a request body:
 *
 *	struct jsonschema_errors errs;
 *	int rc = contracts_validate("matching.create.request.json", body, &errs);
 *	if (rc == 1)
 *		details_fields = contracts_error_fields(&errs);   // 400 INVALID_INPUT
 */
#ifndef MATCHD_API_CONTRACTS_H
#define MATCHD_API_CONTRACTS_H

#include <stddef.h>

#include <jansson.h>

#include "base/err.h"
#include "base/jsonschema.h"

/*
 * Returns the parsed schema called name (borrowed, valid for the life of the process), or NULL
 * if there is no such schema or the embedded schemas could not be loaded.
 */
const json_t *contracts_get(const char *name);

/* Returns the name of the i-th embedded schema in name order, or NULL when i is past the end. */
const char *contracts_name(size_t i);

/*
 * Validates instance against the schema called name. Returns 0 (valid), 1 (invalid; out, if
 * not NULL, holds the errors), MD_ENOTFOUND for an unknown schema or a dangling $ref,
 * MD_EINVAL for a malformed schema, or MD_ENOMEM if loading the schemas failed (for good: the
 * load is not retried).
 */
MD_WUR int contracts_validate(const char *name, const json_t *instance,
                              struct jsonschema_errors *out);

/*
 * Renders errors as the `details.fields` array of the error envelope:
 * [{"field": "/skills/must_have/1/min_years", "message": "must be >= 0"}, ...].
 * Returns a new reference, or NULL on allocation failure.
 */
json_t *contracts_error_fields(const struct jsonschema_errors *errs);

/* Returns the embedded OpenAPI 3.1 document (JSON text, not NUL-terminated) and its length. */
const char *contracts_openapi(size_t *len);

#endif
