#include "base/log.h"

#include <stdarg.h>
#include <unistd.h>

#include "base/common.h"
#include "base/timeutil.h"

static enum md_log_level threshold = MD_LOG_INFO;

void md_log_set_level(enum md_log_level level)
{
	threshold = level;
}

static const char *level_name(enum md_log_level l)
{
	static const char *names[] = { "debug", "info", "warn", "error", "off" };
	return names[l];
}

void md_log(enum md_log_level level, const char *msg, const char *fields)
{
	if (level < threshold)
		return;
	char ts[MD_TS_LEN];
	md_format_ts(md_now_ms(), ts);
	struct buf b;
	buf_init(&b, 64 * 1024);
	int rc = buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, level_name(level));
	if (!rc)
		rc = buf_put_json_string(&b, msg, strlen(msg));
	if (!rc && fields && *fields)
		rc = buf_printf(&b, ",%s", fields);
	if (!rc)
		rc = buf_puts(&b, "}\n");
	if (!rc) {
		ssize_t w = write(STDERR_FILENO, b.data, b.len);
		(void)w;
	}
	buf_release(&b);
}

void md_logf(enum md_log_level level, const char *fmt, ...)
{
	if (level < threshold)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	md_log(level, msg, NULL);
}
