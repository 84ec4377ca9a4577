/* fuzz_cv_requirements.c: JSON text -> cv_requirements_from_json, then a match on a tiny CV. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "api/cv_json.h"
#include "base/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!j)
		return 0;
	struct cv_requirements r;
	char ptr[128], msg[256];
	if (cv_requirements_from_json(j, &r, ptr, sizeof ptr, msg, sizeof msg) == 0) {
		const char *page = "Experience\nJan 2015 - Dec 2019 Go, Kubernetes, Python\n"
		                   "Education\nMSc Computer Science\nFrench (B2), English native\n";
		struct cv_input in = {
			&page, 1, "Go engineer", &r, r.has_as_of ? r.as_of : 19889, NULL, NULL, NULL
		};
		struct cv_result res;
		if (cv_match(&in, &res) == 0) {
			json_t *o = cv_result_to_json(&res);
			json_decref(o);
		}
		cv_result_release(&res);
		cv_requirements_release(&r);
	}
	json_decref(j);
	return 0;
}
