#include "platform/gcra.h"

#include "base/common.h"

#include <inttypes.h>

/* Far enough in the future to mean corruption, near enough that adding T cannot overflow. */
#define TAT_MAX_US (INT64_MAX / 4)

bool gcra_policy_valid(const struct gcra_policy *p)
{
	return p && p->limit >= 1 && p->limit <= GCRA_LIMIT_MAX && p->period_ms >= 1 &&
	       p->period_ms <= GCRA_PERIOD_MAX_MS && p->burst >= 0 && p->burst <= GCRA_LIMIT_MAX;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
	return a <= 0 ? 0 : (a + b - 1) / b;
}

/* The emission interval T in microseconds, rounded up. */
static int64_t interval_us(const struct gcra_policy *p)
{
	return ceil_div(p->period_ms * 1000, p->limit);
}

bool gcra_allow(const struct gcra_policy *p, int64_t *tat_us, int64_t now_ms, struct gcra_result *r)
{
	struct gcra_result dummy;
	if (!r)
		r = &dummy;
	memset(r, 0, sizeof *r);
	if (!gcra_policy_valid(p) || !tat_us || now_ms < 0 || now_ms > TAT_MAX_US / 1000 ||
	    *tat_us < 0 || *tat_us > TAT_MAX_US)
		return false;

	int64_t t = interval_us(p);
	int64_t burst = p->burst ? p->burst : p->limit;
	int64_t tau; /* the bucket's capacity, in time */
	if (__builtin_mul_overflow(t, burst, &tau) || tau > TAT_MAX_US)
		return false;
	int64_t now = now_ms * 1000;
	int64_t base = MD_MAX(*tat_us, now);
	int64_t new_tat = base + t;
	int64_t allow_at = new_tat - tau;

	if (now < allow_at) {
		r->retry_after_ms = ceil_div(allow_at - now, 1000);
		r->retry_after_s = MD_MAX(1, ceil_div(allow_at - now, 1000000));
		r->reset_ms = ceil_div(base - now, 1000);
		return false;
	}
	*tat_us = new_tat;
	r->remaining = (tau - (new_tat - now)) / t;
	r->reset_ms = ceil_div(new_tat - now, 1000);
	return true;
}

int gcra_format_headers(const struct gcra_policy *p, const struct gcra_result *r, char *policy,
                        size_t policy_cap, char *ratelimit, size_t ratelimit_cap)
{
	if (!gcra_policy_valid(p) || !r)
		return MD_EINVAL;
	int ret = md_snprintf(policy, policy_cap, "\"default\";q=%" PRId64 ";w=%" PRId64, p->limit,
	                      ceil_div(p->period_ms, 1000));
	if (ret)
		return ret;
	return md_snprintf(ratelimit, ratelimit_cap, "\"default\";r=%" PRId64 ";t=%" PRId64,
	                   MD_MAX(r->remaining, 0), ceil_div(r->reset_ms, 1000));
}
