/*
 * log.h: one JSON object per line on stderr. Lines are written with a single write(2) so
 * threads never interleave within a line. The level threshold is process configuration, set
 * once at start-up before any thread runs.
 */
#ifndef MATCHD_BASE_LOG_H
#define MATCHD_BASE_LOG_H

enum md_log_level { MD_LOG_DEBUG, MD_LOG_INFO, MD_LOG_WARN, MD_LOG_ERROR, MD_LOG_OFF };

void md_log_set_level(enum md_log_level level);
/*
 * Logs msg with extra JSON members: fields is either NULL or a string of comma-separated JSON
 * members without braces, e.g. "\"job\":\"...\",\"attempt\":2", built by the caller.
 */
void md_log(enum md_log_level level, const char *msg, const char *fields);
/* printf-style convenience: the formatted text becomes "msg". */
void md_logf(enum md_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * An info line that may wait in a shared buffer (at most 32 KiB or 100 ms) before it is
 * written: the access log, one line per request, would otherwise cost a write(2) each.
 * Lines are never split; any other log call flushes first, so order is kept.
 */
void md_log_buffered(const char *msg, const char *fields);
/* Writes out what md_log_buffered holds (called periodically and at shutdown). */
void md_log_flush(void);

#endif
