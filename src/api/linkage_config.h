/*
 * linkage_config.h: the checks of a record-matching request body (seed 002) that need neither
 * HTTP nor the store, kept apart so that a fuzz harness can reach them: the JSON contract of a
 * body, the defaults a stored config is completed with, and the names only the reference
 * dataset can confirm (columns, comparators, normalisers, unique field names, blocking keys).
 *
 * Errors are collected as a JSON array of {"field": <pointer without the leading '/'>,
 * "message": <text>} objects, the `details.fields` of the family's error envelope; *errors
 * stays NULL while there is none.
 */
#ifndef MATCHD_API_LINKAGE_CONFIG_H
#define MATCHD_API_LINKAGE_CONFIG_H

#include <jansson.h>
#include <stdbool.h>

/* Appends {field, message} to *errors, creating the array on first use. */
void linkage_config_error(json_t **errors, const char *field, const char *msg);

/*
 * Validates body against the contract called schema. Returns 0 when it is valid, 1 when it is
 * not (the errors appended to *errors, one per offending pointer), or a negative MD_ code when
 * the contract could not be loaded.
 */
int linkage_config_contract(const char *schema, const json_t *body, json_t **errors);

/* True when the JSON array of strings cols holds name (false for a NULL name). */
bool linkage_config_has_column(const json_t *cols, const char *name);

/* Fills the optional members of a config that passed its contract, so a stored config is whole. */
void linkage_config_defaults(json_t *body);

/*
 * The checks the schema cannot make, on a config that passed its contract and got its
 * defaults: comparator and normaliser names the engine knows, columns the reference dataset
 * has (ref_columns, a JSON array of strings; in dedupe mode the input columns too), unique
 * field names, blocking keys that are fields or columns. Appends to *errors.
 */
void linkage_config_names(const json_t *body, const json_t *ref_columns, json_t **errors);

#endif
