#include "jobs/sandbox.h"

#include "base/common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/timeutil.h"

extern char **environ;

#define ERR_TAIL 4096 /* bytes of the child's stderr kept for messages */
#define HEADER_SLACK 65536

void sandbox_limits_default(struct sandbox_limits *lim)
{
	lim->cpu_seconds = 20;
	lim->wall_seconds = 30;
	lim->mem_bytes = (size_t)512 << 20;
	lim->max_output = (size_t)4 << 20;
	lim->max_pages = 200;
}

struct child {
	pid_t pid;
	int in, out, errfd; /* parent ends, -1 when closed */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int spawn_child(const char *exe, const struct sandbox_limits *lim, struct child *c)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int rc = MD_EIO;
	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC))
		goto out;
	char pages[32], bytes[32], cpu[32], mem[32];
	snprintf(pages, sizeof pages, "%zu", lim->max_pages);
	snprintf(bytes, sizeof bytes, "%zu", lim->max_output);
	snprintf(cpu, sizeof cpu, "%u", lim->cpu_seconds);
	snprintf(mem, sizeof mem, "%zu", lim->mem_bytes);
	char *argv[] = { (char *)exe,
		         (char *)"__extract-pdf",
		         (char *)"--max-pages",
		         pages,
		         (char *)"--max-bytes",
		         bytes,
		         (char *)"--cpu",
		         cpu,
		         (char *)"--mem",
		         mem,
		         NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	/* The child starts with every signal at its default and none blocked. */
	sigset_t all, none;
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	int e = posix_spawn(&c->pid, exe, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (e) {
		errno = e;
		goto out;
	}
	c->in = pin[1];
	c->out = pout[0];
	c->errfd = perr[0];
	pin[1] = pout[0] = perr[0] = -1;
	fcntl(c->in, F_SETFL, O_NONBLOCK);
	fcntl(c->out, F_SETFL, O_NONBLOCK);
	fcntl(c->errfd, F_SETFL, O_NONBLOCK);
	rc = 0;
out:
	for (int k = 0; k < 2; k++) {
		close_fd(&pin[k]);
		close_fd(&pout[k]);
		close_fd(&perr[k]);
	}
	return rc;
}

enum io_outcome { IO_DONE, IO_TIMEOUT, IO_TOO_BIG, IO_ERROR };

/* Reads what fd has into b (or drops it past the cap when keep_tail); closes fd at EOF. */
static int drain(int *fd, struct buf *b, bool drop_excess)
{
	char chunk[65536];
	for (;;) {
		ssize_t r = read(*fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (r <= 0) {
			close_fd(fd);
			return 0;
		}
		size_t n = (size_t)r;
		if (drop_excess)
			n = MD_MIN(n, b->cap_limit - b->len);
		if (buf_append(b, chunk, n))
			return -1;
	}
}

static enum io_outcome pump(struct child *c, const char *pdf, size_t len, struct buf *out,
                            struct buf *errb, int64_t deadline)
{
	size_t written = 0;
	if (len == 0)
		close_fd(&c->in);
	while (c->out >= 0 || c->errfd >= 0) {
		int64_t left = deadline - md_mono_ms();
		if (left <= 0)
			return IO_TIMEOUT;
		struct pollfd p[3];
		nfds_t n = 0;
		int iw = -1, io = -1, ie = -1;
		if (c->in >= 0)
			p[iw = (int)n++] = (struct pollfd){ c->in, POLLOUT, 0 };
		if (c->out >= 0)
			p[io = (int)n++] = (struct pollfd){ c->out, POLLIN, 0 };
		if (c->errfd >= 0)
			p[ie = (int)n++] = (struct pollfd){ c->errfd, POLLIN, 0 };
		int r = poll(p, n, (int)MD_MIN(left, 1000));
		if (r < 0 && errno != EINTR)
			return IO_ERROR;
		if (r <= 0)
			continue;
		if (iw >= 0 && p[iw].revents) {
			ssize_t w = write(c->in, pdf + written, len - written);
			if (w > 0)
				written += (size_t)w;
			/* EPIPE: the child stopped reading; its exit status will say why. */
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == len)
				close_fd(&c->in);
		}
		if (io >= 0 && p[io].revents && drain(&c->out, out, false))
			return IO_TOO_BIG;
		if (ie >= 0 && p[ie].revents)
			(void)drain(&c->errfd, errb, true);
	}
	return IO_DONE;
}

/* Waits for the child until the deadline, then kills it; returns the wait status. */
static int reap(pid_t pid, int64_t deadline, bool *killed, struct rusage *ru)
{
	int status = 0;
	for (;;) {
		pid_t r = wait4(pid, &status, WNOHANG, ru);
		if (r == pid || (r < 0 && errno != EINTR))
			return status;
		if (md_mono_ms() >= deadline && !*killed) {
			kill(pid, SIGKILL);
			*killed = true;
		}
		if (*killed) {
			while (wait4(pid, &status, 0, ru) < 0 && errno == EINTR)
				;
			return status;
		}
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static int parse_pages(const struct buf *b, struct cv_pages *out, char *err, size_t errcap)
{
	const char *p = b->data ? b->data : "", *end = p + b->len;
	size_t n;
	int trunc, used = 0;
	if (sscanf(p, "MDPAGES %zu %d\n%n", &n, &trunc, &used) != 2 || used == 0 || n > 100000) {
		snprintf(err, errcap, "PDF text extraction produced unreadable output");
		return MD_EIO;
	}
	p += used;
	out->truncated = trunc != 0;
	for (size_t i = 0; i < n; i++) {
		char *nl;
		errno = 0;
		unsigned long long l = strtoull(p, &nl, 10);
		if (nl >= end || *nl != '\n' || errno || l > (size_t)(end - nl - 1)) {
			snprintf(err, errcap, "PDF text extraction produced unreadable output");
			return MD_EIO;
		}
		int rc = cv_pages_add(out, nl + 1, (size_t)l);
		if (rc)
			return rc;
		p = nl + 1 + l;
	}
	return 0;
}

static void first_line(const char *s, size_t n, char *dst, size_t cap)
{
	size_t k = 0;
	while (k < n && s[k] != '\n')
		k++;
	snprintf(dst, cap, "%.*s", (int)MD_MIN(k, 300), s);
}

/* Turns the child's exit into a code and a sentence. */
static int outcome(int status, bool timed_out, const struct rusage *ru, const struct buf *outb,
                   const struct buf *errb, const struct sandbox_limits *lim, char *err,
                   size_t errcap)
{
	/* poppler prints "Out of memory" and aborts, C++ code throws std::bad_alloc. */
	bool oom = errb->len && (memmem(errb->data, errb->len, "Out of memory", 13) ||
	                         memmem(errb->data, errb->len, "bad_alloc", 9) ||
	                         memmem(errb->data, errb->len, "failed to allocate", 18));
	double cpu = (double)ru->ru_utime.tv_sec + (double)ru->ru_stime.tv_sec +
	             (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
	size_t mib = lim->mem_bytes >> 20;
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		if (sig == SIGXCPU ||
		    (sig == SIGKILL && lim->cpu_seconds && cpu >= lim->cpu_seconds - 0.05)) {
			snprintf(err, errcap,
			         "PDF text extraction exceeded the CPU time limit (%u s)",
			         lim->cpu_seconds);
			return MD_ELIMIT;
		}
		if (timed_out) {
			snprintf(err, errcap, "PDF text extraction timed out after %u s",
			         lim->wall_seconds);
			return MD_ETIMEOUT;
		}
		if (oom) {
			snprintf(err, errcap,
			         "PDF text extraction exceeded the memory limit (%zu MiB)", mib);
			return MD_ELIMIT;
		}
		if (sig == SIGABRT || sig == SIGTRAP || sig == SIGSEGV || sig == SIGBUS) {
			snprintf(
			    err, errcap,
			    "PDF text extraction exceeded the memory limit (%zu MiB) or crashed "
			    "(signal %d)",
			    mib, sig);
			return MD_ELIMIT;
		}
		snprintf(err, errcap, "PDF text extraction was killed by signal %d", sig);
		return MD_EIO;
	}
	if (timed_out) {
		snprintf(err, errcap, "PDF text extraction timed out after %u s",
		         lim->wall_seconds);
		return MD_ETIMEOUT;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	char line[320] = "";
	if (outb->len > 4 && memcmp(outb->data, "ERR ", 4) == 0) {
		const char *m = memchr(outb->data + 4, ' ', outb->len - 4);
		if (m)
			first_line(m + 1, outb->len - (size_t)(m + 1 - outb->data), line,
			           sizeof line);
	}
	if (!line[0] && errb->len)
		first_line(errb->data, errb->len, line, sizeof line);
	switch (code) {
	case 0: return 0;
	case 4:
		snprintf(err, errcap, "the PDF is damaged or encrypted: %s", line);
		return MD_EINVAL;
	case 5:
		snprintf(err, errcap, "PDF text extraction exceeded the memory limit (%zu MiB)",
		         mib);
		return MD_ELIMIT;
	case 3:
		snprintf(err, errcap, "PDF text extraction refused the input: %s", line);
		return MD_ELIMIT;
	default:
		snprintf(err, errcap, "PDF text extraction failed (exit %d): %s", code, line);
		return MD_EIO;
	}
}

int sandbox_extract_pdf(const char *self_exe, const void *pdf, size_t len,
                        const struct sandbox_limits *lim, struct cv_pages *out, char *err,
                        size_t errcap)
{
	struct sandbox_limits def;
	if (!lim) {
		sandbox_limits_default(&def);
		lim = &def;
	}
	char scratch[8];
	if (!err || !errcap) {
		err = scratch;
		errcap = sizeof scratch;
	}
	err[0] = '\0';
	/* A write to a child that died would raise SIGPIPE: block it in this thread only. */
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigset_t pending;
	sigpending(&pending);
	bool was_pending = sigismember(&pending, SIGPIPE);

	struct child c = { -1, -1, -1, -1 };
	struct buf outb, errb;
	buf_init(&outb, lim->max_output + HEADER_SLACK + lim->max_pages * 24);
	buf_init(&errb, ERR_TAIL);
	int64_t deadline = md_mono_ms() + (int64_t)lim->wall_seconds * 1000;
	int rc = spawn_child(self_exe, lim, &c);
	if (rc) {
		snprintf(err, errcap, "cannot start PDF text extraction (%s): %s", self_exe,
		         strerror(errno));
		goto out;
	}
	enum io_outcome io = pump(&c, pdf, len, &outb, &errb, deadline);
	bool killed = false;
	if (io != IO_DONE) {
		kill(c.pid, SIGKILL);
		killed = true;
	}
	close_fd(&c.in);
	close_fd(&c.out);
	close_fd(&c.errfd);
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	int status = reap(c.pid, deadline, &killed, &ru);
	if (io == IO_TOO_BIG) {
		snprintf(err, errcap, "PDF text extraction produced more than %zu bytes of text",
		         lim->max_output);
		rc = MD_ELIMIT;
	} else if (io == IO_ERROR) {
		snprintf(err, errcap, "PDF text extraction failed: poll: %s", strerror(errno));
		rc = MD_EIO;
	} else {
		rc = outcome(status, io == IO_TIMEOUT || (killed && !WIFEXITED(status)), &ru, &outb,
		             &errb, lim, err, errcap);
	}
	if (rc == 0)
		rc = parse_pages(&outb, out, err, errcap);
out:
	buf_release(&outb);
	buf_release(&errb);
	if (!was_pending) {
		struct timespec zero = { 0, 0 };
		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE))
			(void)sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		cv_pages_release(out);
	return rc;
}
