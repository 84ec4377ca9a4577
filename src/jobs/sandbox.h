/*
 * sandbox.h: runs PDF text extraction in a separate, resource-limited process, so a hostile
 * PDF (a decompression bomb, a billion nested form objects, a poppler crash) costs one child
 * process and never the server.
 *
 * Two modes, one behaviour (same limits, same error codes and sentences):
 *
 * - zygote (the default). A fork server: `matchd __extract-pdf --server`, started with
 *   posix_spawn (a fresh, single-threaded program, never a fork() of the threaded server),
 *   loads poppler/GLib once and extracts one tiny PDF at start so the lazy initialisation is
 *   done. For each request it fork()s a short-lived child, which is safe because the server
 *   has one thread. The child installs the request's pipes as its stdin/stdout/stderr, closes
 *   everything else, sets RLIMIT_CPU/AS/FSIZE/NOFILE/CORE and runs the same extraction as the
 *   `__extract-pdf` mode. A child costs a fork and a page-table copy instead of an exec and the
 *   dynamic loading of ~80 shared libraries.
 * - spawn (MATCHD_SANDBOX_MODE=spawn): one posix_spawn of `matchd __extract-pdf` per PDF, the
 *   original path; kept as a safety switch and for debugging.
 *
 * Concurrency: a small pool of servers guarded by a mutex. A calling thread takes an idle
 * server (LIFO, so a sequential caller always reuses the same one) or starts a new one, owns
 * it for the whole request and puts it back. Each server therefore handles one request at a
 * time and its protocol is a plain request/response: no request ids, no demultiplexing, no
 * thread inside the server. The pool grows to the peak number of concurrent callers (the
 * worker count) and keeps at most SANDBOX_MAX_IDLE idle servers. Thread-local servers would
 * need a destructor per thread and leak a process per exited thread; one multiplexing server
 * would need its own event loop and SIGCHLD handling.
 *
 * Protocol (AF_UNIX SOCK_SEQPACKET socketpair, the server's end is its stdin, every message is
 * one `struct sandbox_frame` whose header carries a magic and its own length):
 *   parent -> server  REQUEST {limits} + SCM_RIGHTS [child stdin, child stdout, child stderr]
 *   server -> parent  STARTED {child pid} + SCM_RIGHTS [pidfd of the child] (no pidfd before
 *                     Linux 5.3; pid -1 and errno when fork failed)
 *   parent <-> child  the PDF on the stdin pipe; the framed text (cli/extract.h) on stdout,
 *                     poppler's messages on stderr, pumped with poll() exactly as in spawn mode
 *   server -> parent  EXITED {pid, wait status, user and system CPU time}
 * The parent enforces the wall-clock deadline and the output cap by SIGKILL on the child
 * through its pidfd, which names that process and no other even once the server has reaped
 * it (only a kernel without pidfds falls back to kill(pid), where an exit, a reap and a pid
 * reuse would all have to fall between the parent's last poll and its kill). A child dies with
 * its server (PR_SET_PDEATHSIG), so none outlives the process that reports on it.
 *
 * Robustness: a server that died (killed, crashed) is noticed at the next send or receive
 * (EPIPE, ECONNRESET, EOF); it is reaped and the request is retried once on a fresh server
 * while the deadline allows; a second loss fails with MD_EIO ("... the extraction server
 * died"), which callers treat as retryable. A server exits when its channel closes (the parent
 * died or dropped it). Every descriptor is O_CLOEXEC; the server closes all but 0-2 at start.
 * SIGPIPE is blocked in the calling thread while it writes and sends use MSG_NOSIGNAL. If the
 * process forks, the child forgets the parent's servers and starts its own.
 */
#ifndef MATCHD_JOBS_SANDBOX_H
#define MATCHD_JOBS_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
 * Extracts the text of pdf[0..len) in a child of a fork server started from self_exe (the
 * caller resolves /proc/self/exe), or with MATCHD_SANDBOX_MODE=spawn in a fresh
 * `self_exe __extract-pdf ...`, under lim (NULL: the defaults). Fills out (initialised by the
 * caller with cv_pages_init). Returns 0, or with a sentence in err:
 *   MD_EINVAL   "the PDF is damaged or encrypted: <poppler's message>"
 *   MD_ELIMIT   "PDF text extraction exceeded the CPU time limit (N s)", "... the memory limit
 *               (N MiB)", "... produced more than N bytes of text"
 *   MD_ETIMEOUT "PDF text extraction timed out after N s"
 *   MD_EIO      the child could not be started ("cannot start ..."), or crashed, or spoke
 *               garbage, or the extraction server died twice in a row
 *   MD_ENOMEM
 * Thread-safe.
 */
MD_WUR int sandbox_extract_pdf(const char *self_exe, const void *pdf, size_t len,
                               const struct sandbox_limits *lim, struct cv_pages *out, char *err,
                               size_t errcap);

/*
 * For tests: the pid of the idle fork server the next call would use, or -1 when there is
 * none (nothing started yet, every server busy, or spawn mode).
 */
pid_t sandbox_server_pid(void);

/* ---- the server side, for cli/extract.c ---- */

#define SANDBOX_MAX_IDLE 8

/* What one child must do: the limits of one request. */
struct sandbox_request {
	uint64_t max_pages, max_text, cpu_seconds, mem_bytes;
};

enum sandbox_frame_type {
	SANDBOX_FRAME_REQUEST = 1,
	SANDBOX_FRAME_STARTED = 2,
	SANDBOX_FRAME_EXITED = 3,
};

#define SANDBOX_FRAME_MAGIC 0x4d445a31u /* "MDZ1" */

struct sandbox_frame {
	uint32_t magic, len, type;   /* len == sizeof(struct sandbox_frame) */
	int32_t pid;                 /* STARTED, EXITED: the child; -1 when fork failed */
	int32_t status;              /* EXITED: the wait status */
	int32_t err;                 /* STARTED with pid -1: errno of fork */
	uint64_t utime_us, stime_us; /* EXITED: the child's CPU time */
	struct sandbox_request rq;   /* REQUEST */
};

/*
 * Runs in a forked child with the request's pipes as fds 0, 1, 2 and nothing else open;
 * returns the exit code (cli/extract.h EXTRACT_EXIT_*).
 */
typedef int (*sandbox_child_fn)(const struct sandbox_request *rq, void *ctx);

/*
 * The server loop on channel chan (a single-threaded process; SIGPIPE ignored): receives a
 * REQUEST, forks a child that runs run(rq, ctx) and _exit()s with its result, answers STARTED
 * and, once it has reaped the child, EXITED. Returns 0 when the channel closes, 1 on a
 * protocol error.
 */
int sandbox_server_main(int chan, sandbox_child_fn run, void *ctx);

#endif
