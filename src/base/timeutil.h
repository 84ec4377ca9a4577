/*
 * timeutil.h: wall-clock and monotonic time, and RFC 3339 timestamps with milliseconds
 * (2024-10-02T14:00:00.000Z), the one timestamp format of the API.
 */
#ifndef MATCHD_BASE_TIMEUTIL_H
#define MATCHD_BASE_TIMEUTIL_H

#include <stdint.h>

#define MD_TS_LEN 48 /* "2024-10-02T14:00:00.000Z" (24) plus room the compiler can prove */

/* Milliseconds since the Unix epoch. */
int64_t md_now_ms(void);
/* Monotonic milliseconds, for durations and deadlines. */
int64_t md_mono_ms(void);
/* Sleeps ms milliseconds, the whole of them even when a signal interrupts. */
void md_sleep_ms(int64_t ms);
/* Formats ms since the epoch as RFC 3339 UTC with milliseconds into out[MD_TS_LEN]. */
void md_format_ts(int64_t ms, char out[MD_TS_LEN]);
/* Parses YYYY-MM-DD into days since the epoch; returns 0 or MD_EINVAL. */
int md_parse_date(const char *s, int64_t *days);

#endif
