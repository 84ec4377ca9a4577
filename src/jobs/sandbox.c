#include "jobs/sandbox.h"

#include "base/common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/timeutil.h"

extern char **environ;

#define ERR_TAIL 4096 /* bytes of the child's stderr kept for messages */
#define HEADER_SLACK 65536
#define KILL_GRACE_MS 10000 /* how long a killed child may take to be reported */

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
	int pidfd;          /* zygote mode: signals reach this very process; -1: use pid */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void kill_child(const struct child *c)
{
	if (c->pidfd < 0 || pidfd_send_signal(c->pidfd, SIGKILL, NULL, 0) != 0)
		kill(c->pid, SIGKILL);
}

/* The program starts with every signal at its default and none blocked. */
static void spawnattr_defaults(posix_spawnattr_t *at)
{
	sigset_t all, none;
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(at, &all);
	posix_spawnattr_setsigmask(at, &none);
	posix_spawnattr_setflags(at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
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
	spawnattr_defaults(&at);
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
		md_sleep_ms(5);
	}
}

/*
 * The optional pages read by OCR after the warnings: "MDOCR k p1 ... pk\n". Output without the
 * line (an older child) is fine; pages beyond CV_MAX_OCR_PAGES or out of order are dropped.
 */
static void parse_ocr(const char *p, const char *end, struct cv_pages *out)
{
	const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
	size_t k;
	int used = 0;
	if (!nl || sscanf(p, "MDOCR %zu%n", &k, &used) != 1 || used == 0)
		return;
	p += used;
	for (size_t i = 0; i < k && p < nl && out->nocr_pages < CV_MAX_OCR_PAGES; i++) {
		char *next;
		long v = strtol(p, &next, 10);
		if (next == p || next > nl || v <= 0 || v > (long)out->n ||
		    (out->nocr_pages && v <= out->ocr_pages[out->nocr_pages - 1]))
			return;
		out->ocr_pages[out->nocr_pages++] = (int)v;
		p = next;
	}
}

/*
 * The optional warnings after the pages: "MDWARN k\n" then k frames "len\n" + bytes, then the
 * OCR line. Output without them (an older child) is fine; extra or oversized warnings are cut,
 * not refused.
 */
static int parse_warnings(const char *p, const char *end, struct cv_pages *out)
{
	size_t k;
	int used = 0;
	if (p >= end || sscanf(p, "MDWARN %zu\n%n", &k, &used) != 1 || used == 0)
		return 0;
	p += used;
	for (size_t i = 0; i < k && p < end; i++) {
		char *nl;
		unsigned long long l = strtoull(p, &nl, 10);
		if (nl >= end || *nl != '\n' || l > (size_t)(end - nl - 1))
			return 0;
		if (out->nwarnings < CV_MAX_WARNINGS) {
			size_t c = MD_MIN((size_t)l, (size_t)CV_WARNING_MAX - 1);
			memcpy(out->warnings[out->nwarnings], nl + 1, c);
			out->warnings[out->nwarnings++][c] = '\0';
		}
		p = nl + 1 + l;
	}
	parse_ocr(p, end, out);
	return 0;
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
	return parse_warnings(p, end, out);
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

/* How the child's run ended, whichever mode ran it. */
struct run {
	enum io_outcome io;
	int io_errno; /* IO_ERROR: errno of poll */
	bool killed;  /* the parent sent SIGKILL (deadline or output cap) */
	int status;   /* the wait status */
	struct rusage ru;
};

/* Turns the run into the call's code and sentence. */
static int finish(const struct run *r, const struct buf *outb, const struct buf *errb,
                  const struct sandbox_limits *lim, char *err, size_t errcap)
{
	if (r->io == IO_TOO_BIG) {
		snprintf(err, errcap, "PDF text extraction produced more than %zu bytes of text",
		         lim->max_output);
		return MD_ELIMIT;
	}
	if (r->io == IO_ERROR) {
		snprintf(err, errcap, "PDF text extraction failed: poll: %s",
		         strerror(r->io_errno));
		return MD_EIO;
	}
	return outcome(r->status, r->io == IO_TIMEOUT || (r->killed && !WIFEXITED(r->status)),
	               &r->ru, outb, errb, lim, err, errcap);
}

/* Pumps the PDF into the child and its output out, killing it when the pump gives up. */
static void pump_child(struct child *c, const void *pdf, size_t len, struct buf *outb,
                       struct buf *errb, int64_t deadline, struct run *r)
{
	fcntl(c->in, F_SETFL, O_NONBLOCK);
	fcntl(c->out, F_SETFL, O_NONBLOCK);
	fcntl(c->errfd, F_SETFL, O_NONBLOCK);
	r->io = pump(c, pdf, len, outb, errb, deadline);
	r->io_errno = errno;
	if (r->io != IO_DONE) {
		kill_child(c);
		r->killed = true;
	}
	close_fd(&c->in);
	close_fd(&c->out);
	close_fd(&c->errfd);
}

/* ---- spawn mode: one fresh `self_exe __extract-pdf` per PDF ---- */

static int run_spawned(const char *exe, const void *pdf, size_t len,
                       const struct sandbox_limits *lim, int64_t deadline, struct buf *outb,
                       struct buf *errb, struct run *r, char *err, size_t errcap)
{
	struct child c = { -1, -1, -1, -1, -1 };
	if (spawn_child(exe, lim, &c)) {
		snprintf(err, errcap, "cannot start PDF text extraction (%s): %s", exe,
		         strerror(errno));
		return MD_EIO;
	}
	pump_child(&c, pdf, len, outb, errb, deadline, r);
	r->status = reap(c.pid, deadline, &r->killed, &r->ru);
	return 0;
}

/* ---- zygote mode: frames ---- */

enum {
	FRAME_EOF = 0,        /* the peer closed the channel */
	FRAME_ERROR = -1,     /* recvmsg or poll failed (errno) */
	FRAME_TIMEOUT = -2,   /* nothing arrived in time */
	FRAME_MALFORMED = -3, /* wrong size, magic, length, type or descriptors */
};

static void frame_init(struct sandbox_frame *f, uint32_t type)
{
	memset(f, 0, sizeof *f);
	f->magic = SANDBOX_FRAME_MAGIC;
	f->len = sizeof *f;
	f->type = type;
}

/* Sends f with nfds (<= 3) descriptors attached. Returns 0, or -1 with errno (EPIPE...). */
static int frame_send(int fd, const struct sandbox_frame *f, const int *fds, size_t nfds)
{
	struct iovec iov = { (void *)f, sizeof *f };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(3 * sizeof(int))];
	} ctl;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds) {
		memset(&ctl, 0, sizeof ctl);
		m.msg_control = ctl.b;
		m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	for (;;) {
		ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (w == (ssize_t)sizeof *f)
			return 0;
		if (w < 0 && errno == EINTR)
			continue;
		if (w >= 0)
			errno = EPROTO;
		return -1;
	}
}

/* Keeps the SCM_RIGHTS descriptors of m in fds (up to max), closing any beyond. */
static size_t take_fds(struct msghdr *m, int *fds, size_t max)
{
	size_t got = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			if (got < max)
				fds[got++] = fd;
			else
				close(fd);
		}
	}
	return got;
}

/*
 * Receives one frame of type want into f, with up to maxfds descriptors (O_CLOEXEC) into fds
 * and their number in *nfds, waiting at most timeout_ms (-1: forever). Returns 1 or a FRAME_*
 * code; on any code but 1 no descriptor is left open.
 */
static int frame_recv(int fd, struct sandbox_frame *f, uint32_t want, int *fds, size_t maxfds,
                      size_t *nfds, int64_t timeout_ms)
{
	*nfds = 0;
	if (timeout_ms >= 0) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r;
		while ((r = poll(&p, 1, (int)MD_MIN(timeout_ms, INT32_MAX))) < 0 && errno == EINTR)
			;
		if (r < 0)
			return FRAME_ERROR;
		if (r == 0)
			return FRAME_TIMEOUT;
	}
	struct iovec iov = { f, sizeof *f };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	struct msghdr m = { .msg_iov = &iov,
		            .msg_iovlen = 1,
		            .msg_control = ctl.b,
		            .msg_controllen = sizeof ctl.b };
	ssize_t r;
	while ((r = recvmsg(fd, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return errno == ECONNRESET ? FRAME_EOF : FRAME_ERROR;
	int got_fds[4];
	size_t got = take_fds(&m, got_fds, ARRAY_SIZE(got_fds));
	if (r == 0 && got == 0)
		return FRAME_EOF;
	if (r != (ssize_t)sizeof *f || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    f->magic != SANDBOX_FRAME_MAGIC || f->len != sizeof *f || f->type != want ||
	    got > maxfds) {
		for (size_t i = 0; i < got; i++)
			close(got_fds[i]);
		return FRAME_MALFORMED;
	}
	if (got)
		memcpy(fds, got_fds, got * sizeof(int));
	*nfds = got;
	return 1;
}

/* ---- zygote mode: the pool of servers (client side) ---- */

struct zserver {
	pid_t pid;
	int chan;    /* our end of the socketpair */
	bool broken; /* died or misbehaved: never reuse */
	char *exe;
	struct zserver *next;
};

static struct {
	pthread_mutex_t mu;
	struct zserver *idle; /* LIFO */
	size_t nidle;
	pid_t owner; /* the process these servers are children of */
} pool = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0 };

#define ZYGOTE_LOST 1 /* the server died or broke: drop it, maybe retry */

/* Closes the channel; with reap, also kills the server and waits for it. */
static void zserver_free(struct zserver *s, bool reap_it)
{
	close_fd(&s->chan);
	if (reap_it) {
		kill(s->pid, SIGKILL);
		while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	md_free(s->exe);
	md_free(s);
}

/* With pool.mu held: after a fork() the idle servers are the parent's, not this process's. */
static void pool_check_owner(void)
{
	pid_t me = getpid();
	if (pool.owner == me)
		return;
	while (pool.idle) {
		struct zserver *s = pool.idle;
		pool.idle = s->next;
		zserver_free(s, false);
	}
	pool.nidle = 0;
	pool.owner = me;
}

/* Starts `exe __extract-pdf --server` on a fresh socketpair. Returns 0, or -1 with errno. */
static int zserver_start(const char *exe, struct zserver **out)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	char *argv[] = { (char *)exe, (char *)"__extract-pdf", (char *)"--server", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	spawnattr_defaults(&at);
	pid_t pid;
	int e = posix_spawn(&pid, exe, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(sv[1]);
	if (e) {
		close(sv[0]);
		errno = e;
		return -1;
	}
	struct zserver *s = md_calloc(1, sizeof *s);
	char *name = md_strdup(exe);
	if (!s || !name) {
		md_free(s);
		md_free(name);
		close(sv[0]);
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = ENOMEM;
		return -1;
	}
	*s = (struct zserver){ .pid = pid, .chan = sv[0], .exe = name };
	*out = s;
	return 0;
}

/* Takes an idle server for exe, or starts one. Returns 0, or -1 with errno. */
static int zserver_acquire(const char *exe, struct zserver **out)
{
	pthread_mutex_lock(&pool.mu);
	pool_check_owner();
	struct zserver **pp = &pool.idle;
	while (*pp && strcmp((*pp)->exe, exe) != 0)
		pp = &(*pp)->next;
	struct zserver *s = *pp;
	if (s) {
		*pp = s->next;
		pool.nidle--;
	}
	pthread_mutex_unlock(&pool.mu);
	if (s) {
		*out = s;
		return 0;
	}
	return zserver_start(exe, out);
}

/* Returns s to the pool, or ends it when broken or the pool is full. */
static void zserver_release(struct zserver *s)
{
	pthread_mutex_lock(&pool.mu);
	if (!s->broken && pool.owner == getpid() && pool.nidle < SANDBOX_MAX_IDLE) {
		s->next = pool.idle;
		pool.idle = s;
		pool.nidle++;
		s = NULL;
	}
	pthread_mutex_unlock(&pool.mu);
	if (s)
		zserver_free(s, true);
}

pid_t sandbox_server_pid(void)
{
	pthread_mutex_lock(&pool.mu);
	pid_t pid = pool.owner == getpid() && pool.idle ? pool.idle->pid : -1;
	pthread_mutex_unlock(&pool.mu);
	return pid;
}

static struct timeval us_to_tv(uint64_t us)
{
	return (struct timeval){ (time_t)(us / 1000000), (suseconds_t)(us % 1000000) };
}

static uint64_t tv_to_us(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
}

/* Waits for the server to report child c, killing the child at the deadline. */
static int await_exit(struct zserver *s, const struct child *c, int64_t deadline, struct run *r)
{
	int64_t until = r->killed ? md_mono_ms() + KILL_GRACE_MS : deadline;
	for (;;) {
		struct sandbox_frame f;
		size_t nfds;
		int got = frame_recv(s->chan, &f, SANDBOX_FRAME_EXITED, NULL, 0, &nfds,
		                     MD_MAX(until - md_mono_ms(), 0));
		if (got == FRAME_TIMEOUT && !r->killed) {
			kill_child(c);
			r->killed = true;
			until = md_mono_ms() + KILL_GRACE_MS;
			continue;
		}
		if (got != 1 || f.pid != c->pid) {
			s->broken = true;
			return ZYGOTE_LOST;
		}
		r->status = f.status;
		r->ru.ru_utime = us_to_tv(f.utime_us);
		r->ru.ru_stime = us_to_tv(f.stime_us);
		return 0;
	}
}

/*
 * One request on server s. Returns 0 with *r filled, ZYGOTE_LOST when the server died or broke
 * (s->broken is set), or an MD_ code with a sentence in err.
 */
static int zygote_attempt(struct zserver *s, const void *pdf, size_t len,
                          const struct sandbox_limits *lim, int64_t deadline, struct buf *outb,
                          struct buf *errb, struct run *r, char *err, size_t errcap)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	struct child c = { -1, -1, -1, -1, -1 };
	int rc = MD_EIO;
	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC)) {
		snprintf(err, errcap, "cannot start PDF text extraction: pipe: %s",
		         strerror(errno));
		goto out;
	}
	struct sandbox_frame f;
	frame_init(&f, SANDBOX_FRAME_REQUEST);
	f.rq = (struct sandbox_request){ lim->max_pages, lim->max_output, lim->cpu_seconds,
		                         lim->mem_bytes };
	int fds[3] = { pin[0], pout[1], perr[1] };
	if (frame_send(s->chan, &f, fds, 3)) {
		s->broken = true;
		rc = ZYGOTE_LOST;
		goto out;
	}
	/* The child's ends now live in the server (and the child): ours must go for EOFs. */
	close_fd(&pin[0]);
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	size_t nfds;
	int got = frame_recv(s->chan, &f, SANDBOX_FRAME_STARTED, &c.pidfd, 1, &nfds,
	                     MD_MAX(deadline - md_mono_ms(), 0));
	if (got == FRAME_TIMEOUT) {
		/* A server answers right after fork(): this one is wedged. */
		s->broken = true;
		snprintf(err, errcap, "PDF text extraction timed out after %u s",
		         lim->wall_seconds);
		rc = MD_ETIMEOUT;
		goto out;
	}
	if (got != 1) {
		s->broken = true;
		rc = ZYGOTE_LOST;
		goto out;
	}
	if (f.pid <= 0) {
		snprintf(err, errcap, "cannot start PDF text extraction: fork: %s",
		         strerror(f.err));
		goto out;
	}
	c.pid = f.pid;
	c.in = pin[1];
	c.out = pout[0];
	c.errfd = perr[0];
	pin[1] = pout[0] = perr[0] = -1;
	pump_child(&c, pdf, len, outb, errb, deadline, r);
	rc = await_exit(s, &c, deadline, r);
out:
	close_fd(&c.pidfd);
	for (int k = 0; k < 2; k++) {
		close_fd(&pin[k]);
		close_fd(&pout[k]);
		close_fd(&perr[k]);
	}
	return rc;
}

/* Runs the request on a pooled server, once more on a fresh one if the first died. */
static int run_zygote(const char *exe, const void *pdf, size_t len,
                      const struct sandbox_limits *lim, int64_t deadline, struct buf *outb,
                      struct buf *errb, struct run *r, char *err, size_t errcap)
{
	for (int attempt = 0;; attempt++) {
		struct zserver *s;
		if (zserver_acquire(exe, &s)) {
			snprintf(err, errcap, "cannot start PDF text extraction (%s): %s", exe,
			         strerror(errno));
			return MD_EIO;
		}
		memset(r, 0, sizeof *r);
		buf_reset(outb);
		buf_reset(errb);
		int rc = zygote_attempt(s, pdf, len, lim, deadline, outb, errb, r, err, errcap);
		zserver_release(s);
		if (rc != ZYGOTE_LOST)
			return rc;
		if (attempt > 0 || md_mono_ms() >= deadline) {
			snprintf(err, errcap,
			         "PDF text extraction failed: the extraction server died");
			return MD_EIO;
		}
	}
}

/* ---- zygote mode: the server side ---- */

/* In the forked child: the request's pipes become 0-2, everything else closes. */
static _Noreturn void child_main(const struct sandbox_request *rq, const int fds[3], pid_t server,
                                 sandbox_child_fn run, void *ctx)
{
	/* Die with the server, which alone reports on this child and owns its pid. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != server)
		_exit(EXIT_FAILURE);
	for (int k = 0; k < 3; k++)
		if (dup2(fds[k], k) < 0)
			_exit(EXIT_FAILURE);
	if (close_range(3, ~0U, 0) != 0) {
		long max = sysconf(_SC_OPEN_MAX);
		for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
			close((int)fd);
	}
	signal(SIGPIPE, SIG_DFL);
	_exit(run(rq, ctx));
}

int sandbox_server_main(int chan, sandbox_child_fn run, void *ctx)
{
	pid_t self = getpid();
	for (;;) {
		struct sandbox_frame f;
		int fds[3];
		size_t nfds;
		int got = frame_recv(chan, &f, SANDBOX_FRAME_REQUEST, fds, 3, &nfds, -1);
		if (got == FRAME_EOF)
			return 0;
		if (got != 1 || nfds != 3) {
			for (size_t k = 0; k < nfds; k++)
				close(fds[k]);
			return 1;
		}
		struct sandbox_request rq = f.rq;
		pid_t pid = fork();
		if (pid == 0)
			child_main(&rq, fds, self, run, ctx);
		int fork_errno = errno;
		for (int k = 0; k < 3; k++)
			close(fds[k]);
		/* A pidfd lets the parent kill this child and no other, even if the child has
		 * just exited and been reaped. Kernels before 5.3 have none: the pid must do. */
		int pidfd = pid > 0 ? pidfd_open(pid, 0) : -1;
		frame_init(&f, SANDBOX_FRAME_STARTED);
		f.pid = pid > 0 ? pid : -1;
		f.err = pid > 0 ? 0 : fork_errno;
		int sent = frame_send(chan, &f, &pidfd, pidfd >= 0 ? 1 : 0);
		if (pidfd >= 0)
			close(pidfd);
		if (sent) {
			if (pid > 0) {
				kill(pid, SIGKILL);
				while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
					;
			}
			return 0;
		}
		if (pid < 0)
			continue;
		int status = 0;
		struct rusage ru;
		memset(&ru, 0, sizeof ru);
		while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
			;
		frame_init(&f, SANDBOX_FRAME_EXITED);
		f.pid = pid;
		f.status = status;
		f.utime_us = tv_to_us(ru.ru_utime);
		f.stime_us = tv_to_us(ru.ru_stime);
		if (frame_send(chan, &f, NULL, 0))
			return 0;
	}
}

/* ---- the entry point ---- */

static bool spawn_mode(void)
{
	const char *m = getenv("MATCHD_SANDBOX_MODE");
	return m && strcmp(m, "spawn") == 0;
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

	struct buf outb, errb;
	buf_init(&outb, lim->max_output + HEADER_SLACK + lim->max_pages * 24);
	buf_init(&errb, ERR_TAIL);
	int64_t deadline = md_mono_ms() + (int64_t)lim->wall_seconds * 1000;
	struct run r;
	memset(&r, 0, sizeof r);
	int rc = spawn_mode()
	             ? run_spawned(self_exe, pdf, len, lim, deadline, &outb, &errb, &r, err, errcap)
	             : run_zygote(self_exe, pdf, len, lim, deadline, &outb, &errb, &r, err, errcap);
	if (rc == 0)
		rc = finish(&r, &outb, &errb, lim, err, errcap);
	if (rc == 0)
		rc = parse_pages(&outb, out, err, errcap);
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
