#include "base/timeutil.h"

#include "base/common.h"

int64_t md_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t md_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void md_format_ts(int64_t ms, char out[MD_TS_LEN])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	/* The fields are range-checked by gmtime_r; unsigned short casts let the compiler see
	 * that the text fits. */
	snprintf(out, MD_TS_LEN, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
	         (unsigned short)(tm.tm_year + 1900), (unsigned char)(tm.tm_mon + 1),
	         (unsigned char)tm.tm_mday, (unsigned char)tm.tm_hour, (unsigned char)tm.tm_min,
	         (unsigned char)tm.tm_sec, (unsigned short)(ms % 1000));
}

/* Days from 1970-01-01 to the civil date y-m-d (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int md_parse_date(const char *s, int64_t *days)
{
	unsigned y, m, d;
	char tail;
	if (sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 || strlen(s) != 10)
		return MD_EINVAL;
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return MD_EINVAL;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m == 2 && d == 29 && !leap)
		return MD_EINVAL;
	*days = days_from_civil(y, m, d);
	return 0;
}
