/*
 * jsonschema.h: a small JSON Schema (draft 2020-12) validator over jansson values.
 *
 * It implements the subset of keywords matchd's contracts use (contracts/v1/):
 *
 *   type, const, enum, properties, required, additionalProperties, propertyNames, items,
 *   minItems, maxItems, minLength, maxLength, minimum, maximum, exclusiveMinimum,
 *   exclusiveMaximum, anyOf, oneOf, allOf, pattern (POSIX extended), format ("uri", "date",
 *   "date-time"), $ref, and the boolean schemas true and false.
 *
 * Other keywords ($schema, $id, title, description, default, examples, x-*) are annotations and
 * are ignored, as the specification asks; unknown formats are ignored too.
 *
 * Invariants and limits:
 *
 *  - The validator never allocates on the heap except for compiling a `pattern`, and never
 *    modifies the schema or the instance; both stay owned by the caller.
 *  - Recursion is bounded: schema nesting plus `$ref` hops may not exceed `max_depth`
 *    (JSONSCHEMA_MAX_DEPTH, 64). Going deeper is reported as a validation error ("nesting is
 *    too deep") at the place it happened, so hostile input and reference loops both end.
 *  - Work is bounded: at most `max_steps` schema nodes are visited (JSONSCHEMA_MAX_STEPS),
 *    then validation gives up with MD_ELIMIT. Contract schemas over request-sized bodies stay
 *    far below it; it exists for pathological schemas (deeply nested anyOf).
 *  - At most `max_errors` (JSONSCHEMA_MAX_ERRORS, 32) errors are collected; validation stops
 *    at the cap and `truncated` is set.
 *  - Numbers compare by value: 1 and 1.0 are equal for const and enum, and 2.0 is an integer.
 *  - String lengths count Unicode code points, not bytes (jansson holds valid UTF-8).
 *
 * `$ref` values are either local ("#/$defs/name", "#") or name another document with an
 * optional fragment ("common.error.json", "common.target.json#/$defs/selector"). Local
 * fragments resolve against the document that contains the `$ref`, so a referenced file's
 * own "#/$defs/..." references keep working. Other documents are found through the caller's
 * resolver, which receives the part before '#'.
 *
 * Typical use:
 *
 *	struct jsonschema_errors errs;
 *	int rc = jsonschema_validate(schema, body, NULL, &errs);
 *	if (rc < 0)
 *		return rc;                 // broken schema or unresolvable $ref
 *	if (rc == 1)
 *		for (size_t i = 0; i < errs.count; i++)
 *			report(errs.items[i].pointer, errs.items[i].message);
 */
#ifndef MATCHD_BASE_JSONSCHEMA_H
#define MATCHD_BASE_JSONSCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/err.h"

#define JSONSCHEMA_MAX_DEPTH 64
#define JSONSCHEMA_MAX_ERRORS 32
/* Schema-node visits per validation; anyOf/oneOf re-walk branches, so work is capped too. */
#define JSONSCHEMA_MAX_STEPS 10000000UL
/* Longer pointers are cut at a segment boundary and end in "/..." (never a broken escape). */
#define JSONSCHEMA_POINTER_MAX 256
#define JSONSCHEMA_MESSAGE_MAX 160

/*
 * Looks up the document `ref` names (the part of a $ref before '#', e.g. "common.error.json")
 * and returns it borrowed (the resolver keeps ownership), or NULL when there is no such
 * document, which makes jsonschema_validate() return MD_ENOTFOUND.
 */
typedef json_t *(*jsonschema_resolve_fn)(void *ctx, const char *ref);

struct jsonschema_opts {
	jsonschema_resolve_fn resolve; /* NULL: only local "#..." references work */
	void *ctx;                     /* handed to resolve */
	unsigned max_depth;            /* 0 means JSONSCHEMA_MAX_DEPTH; never above it */
	unsigned max_errors;           /* 0 means JSONSCHEMA_MAX_ERRORS; never above it */
	unsigned long max_steps;       /* 0 means JSONSCHEMA_MAX_STEPS; never above it */
};

/* One failed check: where in the instance and what is wrong, both NUL-terminated. */
struct jsonschema_error {
	/* RFC 6901 pointer into the instance, "" for the root, e.g. "/skills/must_have/1". */
	char pointer[JSONSCHEMA_POINTER_MAX];
	/* A human sentence fragment that follows the field name: "must be >= 0". */
	char message[JSONSCHEMA_MESSAGE_MAX];
};

/*
 * The errors of one validation, filled by jsonschema_validate(). A plain value: nothing to
 * release, safe to put on the stack (about 13 KiB).
 */
struct jsonschema_errors {
	size_t count;
	bool truncated; /* more errors existed than were collected */
	struct jsonschema_error items[JSONSCHEMA_MAX_ERRORS];
};

/*
 * Validates instance against schema. Returns 0 when the instance is valid, 1 when it is not
 * (out->items say why, in document order), or a negative md_err when validation could not be
 * carried out: MD_EINVAL for a malformed schema (a keyword with a value of the wrong type, a
 * bad pattern), MD_ENOTFOUND for a $ref that does not resolve, MD_ELIMIT when the work cap
 * (max_steps) was reached, MD_ENOMEM. opts may be NULL.
 * out may be NULL when only the verdict matters; otherwise it is reset first.
 */
MD_WUR int jsonschema_validate(const json_t *schema, const json_t *instance,
                               const struct jsonschema_opts *opts, struct jsonschema_errors *out);

/*
 * Appends the reference token `key` to the JSON pointer in dst (size cap), escaping '~' as
 * "~0" and '/' as "~1". Returns 0, or MD_ELIMIT leaving dst unchanged if it does not fit.
 */
MD_WUR int jsonschema_pointer_append(char *dst, size_t cap, const char *key);

/* Format checks, exposed for handlers that validate strings outside a schema. */
/* True for an absolute URI (RFC 3986) with a scheme, e.g. "https://x.example/a?b=c". */
bool jsonschema_is_uri(const char *s);
/* True for a valid calendar date written YYYY-MM-DD. */
bool jsonschema_is_date(const char *s);
/* True for an RFC 3339 date-time such as "2024-10-02T14:00:00.000Z" or "...+02:00". */
bool jsonschema_is_date_time(const char *s);

#endif
