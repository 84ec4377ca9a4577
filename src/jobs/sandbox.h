/*
 * sandbox.h: runs PDF text extraction in a separate, resource-limited process, so a hostile
 * PDF (a decompression bomb, a billion nested form objects, a poppler crash) costs one child
 * process and never the server.
 *
 * The child is a fresh program: posix_spawn of matchd itself in the hidden mode
 * `__extract-pdf` (cli/extract.h), never a fork() of the multi-threaded server. The parent
 * writes the PDF to the child's stdin and reads its stdout and stderr concurrently with poll()
 * (so full pipes cannot deadlock either side), kills the child with SIGKILL when the wall-clock
 * deadline passes or its output exceeds the cap, and always reaps it. Thread-safe: no shared
 * state; SIGPIPE is blocked in the calling thread while it writes.
 */
#ifndef MATCHD_JOBS_SANDBOX_H
#define MATCHD_JOBS_SANDBOX_H

#include <stddef.h>

#include "base/err.h"
#include "engines/cv/cv.h"

struct sandbox_limits {
	unsigned cpu_seconds;  /* RLIMIT_CPU of the child; default 20 */
	unsigned wall_seconds; /* deadline for the whole call; default 30 */
	size_t mem_bytes;      /* RLIMIT_AS of the child; default 512 MiB */
	size_t max_output;     /* bytes of extracted text; default 4 MiB */
	size_t max_pages;      /* default 200 */
};

void sandbox_limits_default(struct sandbox_limits *lim);

/*
 * Extracts the text of pdf[0..len) by running self_exe (the caller resolves /proc/self/exe)
 * as `self_exe __extract-pdf ...` under lim (NULL: the defaults). Fills out (initialised by
 * the caller with cv_pages_init). Returns 0, or with a sentence in err:
 *   MD_EINVAL   "the PDF is damaged or encrypted: <poppler's message>"
 *   MD_ELIMIT   "PDF text extraction exceeded the CPU time limit (N s)", "... the memory limit
 *               (N MiB)", "... produced more than N bytes of text"
 *   MD_ETIMEOUT "PDF text extraction timed out after N s"
 *   MD_EIO      the child could not be started, or crashed, or spoke garbage
 *   MD_ENOMEM
 */
MD_WUR int sandbox_extract_pdf(const char *self_exe, const void *pdf, size_t len,
                               const struct sandbox_limits *lim, struct cv_pages *out, char *err,
                               size_t errcap);

#endif
