/*
 * fuzz_lk_wire.c: the decoders of a shared linkage run's byte forms (plan, model, parts) on
 * arbitrary bytes. The first byte picks the decoder; a decoded form that is accepted must
 * encode again to the same bytes, so nothing is accepted that the encoder could not write.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/common.h"
#include "engines/linkage/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_pattern(void *ctx, const uint8_t *lv, uint32_t rules, uint64_t count)
{
	(void)lv;
	(void)rules;
	*(uint64_t *)ctx += count;
	return 0;
}

static int count_best(void *ctx, const struct lk_scored *s, const uint8_t *lv)
{
	(void)lv;
	if (s->w != s->w)
		__builtin_trap();
	(*(uint64_t *)ctx)++;
	return 0;
}

static int count_above(void *ctx, const struct lk_scored *s)
{
	(void)s;
	(*(uint64_t *)ctx)++;
	return 0;
}

static void roundtrip(int rc, struct lk_buf *b, const uint8_t *data, size_t size)
{
	if (rc)
		__builtin_trap();
	if (b->b.len != size || memcmp(b->b.data, data, size) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t which = data[0] % 4, nfields = data[1] % (LK_MAX_FIELDS + 2);
	data += 2;
	size -= 2;
	struct lk_buf b;
	lk_buf_init(&b);
	uint64_t pairs = 0, n = 0;
	if (which == 0) {
		struct lk_wire_plan p;
		if (lk_wire_plan_decode(data, size, &p) == 0) {
			if (p.nfields > LK_MAX_FIELDS || p.nrules > LK_MAX_RULES)
				__builtin_trap();
			roundtrip(lk_wire_plan_encode(&p, &b), &b, data, size);
		}
	} else if (which == 1) {
		struct lk_wire_model m;
		if (lk_wire_model_decode(data, size, &m) == 0)
			roundtrip(lk_wire_model_encode(&m, &b), &b, data, size);
	} else if (which == 2) {
		int rc = lk_wire_patterns_decode(data, size, nfields, &pairs, count_pattern, &n);
		if (rc != 0 && rc != MD_EINVAL)
			__builtin_trap();
	} else {
		struct lk_wire_scored_cb cb = { count_best, count_above, &n };
		int rc = lk_wire_scored_decode(data, size, nfields, &pairs, &cb);
		if (rc != 0 && rc != MD_EINVAL)
			__builtin_trap();
	}
	lk_buf_release(&b);
	return 0;
}
