#include "base/log.h"

#include <stdarg.h>
#include <pthread.h>
#include <unistd.h>

#include "base/common.h"
#include "base/timeutil.h"

static enum md_log_level threshold = MD_LOG_INFO;

#define LOG_BUF_CAP (32 * 1024)
static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;
static char pending[LOG_BUF_CAP];
static size_t pending_len;
static int64_t pending_since;

static void write_out(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDERR_FILENO, p, n);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Writes the pending lines; the caller holds pending_lock. */
static void flush_locked(void)
{
	write_out(pending, pending_len);
	pending_len = 0;
}

void md_log_flush(void)
{
	pthread_mutex_lock(&pending_lock);
	flush_locked();
	pthread_mutex_unlock(&pending_lock);
}

void md_log_set_level(enum md_log_level level)
{
	threshold = level;
}

static const char *level_name(enum md_log_level l)
{
	static const char *names[] = { "debug", "info", "warn", "error", "off" };
	return names[l];
}

/* Formats one line into b; 0 or an error (then nothing should be written). */
static int format_line(struct buf *b, enum md_log_level level, const char *msg, const char *fields)
{
	char ts[MD_TS_LEN];
	md_format_ts(md_now_ms(), ts);
	int rc = buf_printf(b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, level_name(level));
	if (!rc)
		rc = buf_put_json_string(b, msg, strlen(msg));
	if (!rc && fields && *fields)
		rc = buf_printf(b, ",%s", fields);
	if (!rc)
		rc = buf_puts(b, "}\n");
	return rc;
}

void md_log(enum md_log_level level, const char *msg, const char *fields)
{
	if (level < threshold)
		return;
	struct buf b;
	buf_init(&b, 64 * 1024);
	if (!format_line(&b, level, msg, fields)) {
		pthread_mutex_lock(&pending_lock);
		flush_locked();
		write_out(b.data, b.len);
		pthread_mutex_unlock(&pending_lock);
	}
	buf_release(&b);
}

void md_log_buffered(const char *msg, const char *fields)
{
	if (MD_LOG_INFO < threshold)
		return;
	struct buf b;
	buf_init(&b, LOG_BUF_CAP);
	if (format_line(&b, MD_LOG_INFO, msg, fields)) {
		buf_release(&b);
		return;
	}
	int64_t now = md_mono_ms();
	pthread_mutex_lock(&pending_lock);
	if (pending_len + b.len > LOG_BUF_CAP)
		flush_locked();
	if (!pending_len)
		pending_since = now;
	memcpy(pending + pending_len, b.data, b.len);
	pending_len += b.len;
	if (now - pending_since >= 100)
		flush_locked();
	pthread_mutex_unlock(&pending_lock);
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
