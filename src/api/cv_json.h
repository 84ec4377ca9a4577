/*
 * cv_json.h: the JSON side of the cv engine: requirements JSON -> struct cv_requirements, and
 * struct cv_result -> the result object of GET /api/v1/cvdeepmatch/{id}.
 *
 * The caller validates the request against the JSON Schema first; this layer still checks
 * every type and range itself (a schema can drift) and adds the semantic checks a schema
 * cannot express, such as as_of being a real calendar date.
 */
#ifndef MATCHD_API_CV_JSON_H
#define MATCHD_API_CV_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "base/err.h"
#include "engines/cv/cv.h"
#include "engines/cv/requirements.h"

#define CV_JSON_MAX_ITEMS 100 /* entries per array */
#define CV_JSON_MAX_NAME 200  /* bytes per name */

/*
 * Initialises *r and fills it from j. Returns 0; MD_EINVAL with the JSON pointer of the
 * offending field in bad_pointer ("/as_of", "/skills/must_have/2/min_years"; "" for the root)
 * and a sentence in msg, *r left released; or MD_ENOMEM.
 */
MD_WUR int cv_requirements_from_json(const json_t *j, struct cv_requirements *r, char *bad_pointer,
                                     size_t cap, char *msg, size_t msgcap);

/*
 * The result object: {score, tier, summary, requirements: [{id, category, requirement,
 * verdict, score, evidence: [{page, text}]}], categories: {skills: {score, weight}, ...},
 * skills_found: [{name, years}], experience_years, education_level, warnings: []}, and what
 * the CV says: contact {name, email, phone, phone_e164, location, links}, sections, positions
 * [{title, organisation, location, start, end, current, kind, years}], stated_years,
 * education [{degree, isced, level, field, institution, year, in_progress}],
 * education_isced, languages [{name, level}], certifications, similarity_terms; and the
 * explanation: strengths, gaps, improvements; each requirement also gets to_change (unmet),
 * comparison (education), gain and each evidence its section; skill requirements matched
 * through the taxonomy get matched_by (the skill found) and match ("exact" or "related"), and
 * skills_found entries an id. taxonomy ("esco-onet-linguist" or "builtin") and
 * requirements_source ("requirements", "job_description" or "none") say where the skills and
 * the skill requirements came from. Empty strings render as null.
 * Numbers are rounded to 2 decimals (years to 1). Returns NULL when out of memory.
 */
json_t *cv_result_to_json(const struct cv_result *r);

/*
 * Adds what text extraction reported to a result object made by cv_result_to_json: its
 * warnings join result.warnings and result.ocr_pages lists the pages read by OCR (an empty
 * array when none was). Returns 0 or MD_ENOMEM.
 */
MD_WUR int cv_json_add_extraction(json_t *out, const struct cv_pages *pages);

#endif
