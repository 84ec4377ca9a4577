/*
 * fuzz_taxonomy.c: the skills TSV loader and the matcher on arbitrary bytes. The input is split
 * at the first "\n---\n": the part before is loaded as a taxonomy, the part after (or the whole
 * input when the load fails) is matched against it and run through the JD extractor.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/common.h"
#include "engines/cv/taxonomy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_hit(void *ctx, const struct cv_skill_hit *h)
{
	size_t len = *(size_t *)ctx;
	if (h->offset > len || h->len == 0 || h->len > len - h->offset)
		__builtin_trap();
	return 0;
}

static int on_req(void *ctx, const struct cv_skill_requirement *r)
{
	size_t len = *(size_t *)ctx;
	if (r->offset > len || r->len > len - r->offset ||
	    (r->kind != CV_REQ_MUST && r->kind != CV_REQ_NICE))
		__builtin_trap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *sep = memmem(s, size, "\n---\n", 5);
	size_t tl = sep ? (size_t)(sep - s) : size;
	const char *text = sep ? sep + 5 : s;
	size_t xl = sep ? size - tl - 5 : size;
	struct cv_taxonomy t;
	char err[128];
	int rc = cv_taxonomy_load(&t, s, tl, err, sizeof(err));
	if (rc != 0 && rc != MD_EINVAL && rc != MD_ELIMIT && rc != MD_ENOMEM)
		__builtin_trap();
	if (rc != 0)
		memset(&t, 0, sizeof(t));
	for (int i = 0; i < t.nskills; i++) {
		double r = cv_taxonomy_rarity(&t, i);
		if (!(r >= 0.5 && r <= 2.0))
			__builtin_trap();
		double c = cv_taxonomy_credit(&t, i, (i + 1) % t.nskills);
		if (!(c >= 0.0 && c <= 1.0))
			__builtin_trap();
	}
	if (cv_taxonomy_find(&t, text, xl, false, on_hit, &xl) != 0)
		goto out;
	if (cv_taxonomy_find(&t, text, xl, true, on_hit, &xl) != 0)
		goto out;
	if (cv_taxonomy_extract_requirements(&t, text, xl, on_req, &xl) != 0)
		goto out;
	char name[64];
	size_t nl = MD_MIN(xl, sizeof(name) - 1);
	memcpy(name, text, nl);
	name[nl] = '\0';
	(void)cv_taxonomy_lookup(&t, name);
out:
	cv_taxonomy_release(&t);
	return 0;
}
