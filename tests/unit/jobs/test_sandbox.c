/*
 * The PDF sandbox (src/jobs/sandbox.c) against the real matchd binary: a hostile PDF must
 * cost a child process, never this one. Needs build/matchd (or $MATCHD_BIN); skipped without.
 */
#include <criterion/criterion.h>

#include "base/common.h"
#include "base/timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engines/cv/pdftext.h"
#include "jobs/sandbox.h"

static const char *matchd_bin(void)
{
	const char *b = getenv("MATCHD_BIN");
	if (!b || !*b)
		b = "build/matchd";
	if (access(b, X_OK) != 0)
		cr_skip_test("no matchd binary at %s (build it or set MATCHD_BIN)", b);
	return b;
}

/*
 * A 3 KB "billion laughs" PDF: the page draws form X0, which draws X1 ten times, ... down to
 * X8, which shows text ten times: 10^9 text operations for poppler to lay out.
 */
static void make_bomb(struct buf *out)
{
	enum { DEPTH = 9, FAN = 10, NOBJ = 6 + DEPTH };
	struct buf body[NOBJ];
	for (int i = 0; i < NOBJ; i++)
		buf_init(&body[i], 1 << 16);
	cr_assert_eq(buf_puts(&body[1], "<< /Type /Catalog /Pages 2 0 R >>"), 0);
	cr_assert_eq(buf_puts(&body[2], "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"), 0);
	cr_assert_eq(buf_puts(&body[3], "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
	                                "/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> "
	                                "/XObject << /X0 6 0 R >> >> >>"),
	             0);
	cr_assert_eq(buf_puts(&body[4], "<< /Length 6 >>\nstream\n/X0 Do\nendstream"), 0);
	cr_assert_eq(buf_puts(&body[5], "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
	             0);
	for (int k = 0; k < DEPTH; k++) {
		struct buf s;
		buf_init(&s, 1 << 16);
		for (int f = 0; f < FAN; f++)
			cr_assert_eq(
			    k < DEPTH - 1
			        ? buf_printf(&s, "/X%d Do\n", k + 1)
			        : buf_puts(&s, "BT /F1 12 Tf 10 10 Td (Hello world) Tj ET\n"),
			    0);
		cr_assert_eq(buf_puts(&body[6 + k],
		                      "<< /Type /XObject /Subtype /Form /BBox "
		                      "[0 0 612 792] /Resources << /Font << /F1 5 0 R >>"),
		             0);
		if (k < DEPTH - 1)
			cr_assert_eq(
			    buf_printf(&body[6 + k], " /XObject << /X%d %d 0 R >>", k + 1, 7 + k),
			    0);
		cr_assert_eq(buf_printf(&body[6 + k], " >> /Length %zu >>\nstream\n%s\nendstream",
		                        s.len, s.data),
		             0);
		buf_release(&s);
	}
	size_t off[NOBJ];
	cr_assert_eq(buf_puts(out, "%PDF-1.4\n"), 0);
	for (int i = 1; i < NOBJ; i++) {
		off[i] = out->len;
		cr_assert_eq(buf_printf(out, "%d 0 obj\n%s\nendobj\n", i, body[i].data), 0);
	}
	size_t xref = out->len;
	cr_assert_eq(buf_printf(out, "xref\n0 %d\n0000000000 65535 f \n", NOBJ), 0);
	for (int i = 1; i < NOBJ; i++)
		cr_assert_eq(buf_printf(out, "%010zu 00000 n \n", off[i]), 0);
	cr_assert_eq(buf_printf(out,
	                        "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
	                        NOBJ, xref),
	             0);
	for (int i = 0; i < NOBJ; i++)
		buf_release(&body[i]);
}

static void read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		cr_assert_eq(buf_append(b, chunk, n), 0);
	fclose(f);
}

Test(cv_sandbox, real_pdf_same_as_in_process)
{
	const char *bin = matchd_bin();
	struct buf pdf;
	buf_init(&pdf, 8 << 20);
	read_file("../shared/data/cv/pdfs/11_resume-matcher_barry-allen_moderncv.pdf", &pdf);
	struct cv_pages a, b;
	cv_pages_init(&a);
	cv_pages_init(&b);
	char err[512];
	int rc = sandbox_extract_pdf(bin, pdf.data, pdf.len, NULL, &a, err, sizeof err);
	cr_assert_eq(rc, 0, "sandbox: %d %s", rc, err);
	cr_assert_eq(cv_pdf_extract(pdf.data, pdf.len, 200, 4 << 20, &b, err, sizeof err), 0);
	cr_assert_eq(a.n, b.n);
	for (size_t i = 0; i < a.n; i++)
		cr_assert_str_eq(a.text[i], b.text[i]);
	cr_assert_not_null(strstr(a.text[0], "Barry Allen"));
	cv_pages_release(&a);
	cv_pages_release(&b);
	buf_release(&pdf);
}

Test(cv_sandbox, damaged_pdf)
{
	const char *bin = matchd_bin();
	const char junk[] = "%PDF-1.4\nthis is not a PDF at all\n";
	struct cv_pages p;
	cv_pages_init(&p);
	char err[512];
	int rc = sandbox_extract_pdf(bin, junk, sizeof junk - 1, NULL, &p, err, sizeof err);
	cr_assert_eq(rc, MD_EINVAL, "rc %d: %s", rc, err);
	cr_assert_eq(strncmp(err, "the PDF is damaged or encrypted: ", 33), 0, "%s", err);
	cr_assert_eq(p.n, 0);
}

Test(cv_sandbox, cpu_limit_kills_bomb_quickly)
{
	const char *bin = matchd_bin();
	struct buf pdf;
	buf_init(&pdf, 1 << 20);
	make_bomb(&pdf);
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);
	lim.cpu_seconds = 1;
	lim.wall_seconds = 20;
	struct cv_pages p;
	cv_pages_init(&p);
	char err[512];
	int64_t t0 = md_mono_ms();
	int rc = sandbox_extract_pdf(bin, pdf.data, pdf.len, &lim, &p, err, sizeof err);
	int64_t ms = md_mono_ms() - t0;
	cr_assert_eq(rc, MD_ELIMIT, "rc %d: %s", rc, err);
	cr_assert_str_eq(err, "PDF text extraction exceeded the CPU time limit (1 s)");
	cr_assert_lt(ms, 5000, "took %lld ms", (long long)ms);
	buf_release(&pdf);
}

Test(cv_sandbox, wall_clock_deadline)
{
	const char *bin = matchd_bin();
	struct buf pdf;
	buf_init(&pdf, 1 << 20);
	make_bomb(&pdf);
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);
	lim.cpu_seconds = 60;
	lim.wall_seconds = 1;
	struct cv_pages p;
	cv_pages_init(&p);
	char err[512];
	int64_t t0 = md_mono_ms();
	int rc = sandbox_extract_pdf(bin, pdf.data, pdf.len, &lim, &p, err, sizeof err);
	int64_t ms = md_mono_ms() - t0;
	cr_assert_eq(rc, MD_ETIMEOUT, "rc %d: %s", rc, err);
	cr_assert_str_eq(err, "PDF text extraction timed out after 1 s");
	cr_assert_lt(ms, 3000, "took %lld ms", (long long)ms);
	buf_release(&pdf);
}

Test(cv_sandbox, memory_limit)
{
	const char *bin = matchd_bin();
#if defined(__SANITIZE_ADDRESS__)
	cr_skip_test("sanitizer builds run the child without RLIMIT_AS");
#endif
	struct buf pdf;
	buf_init(&pdf, 1 << 20);
	make_bomb(&pdf);
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);
	lim.mem_bytes = 16 << 20;
	lim.cpu_seconds = 5;
	lim.wall_seconds = 10;
	struct cv_pages p;
	cv_pages_init(&p);
	char err[512];
	int64_t t0 = md_mono_ms();
	int rc = sandbox_extract_pdf(bin, pdf.data, pdf.len, &lim, &p, err, sizeof err);
	cr_assert_eq(rc, MD_ELIMIT, "rc %d: %s", rc, err);
	cr_assert_str_eq(err, "PDF text extraction exceeded the memory limit (16 MiB)");
	cr_assert_lt(md_mono_ms() - t0, 3000);
	buf_release(&pdf);
}

Test(cv_sandbox, text_cap_truncates)
{
	const char *bin = matchd_bin();
	struct buf pdf;
	buf_init(&pdf, 8 << 20);
	read_file("../shared/data/cv/pdfs/10_openresume_react-pdf.pdf", &pdf);
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);
	lim.max_output = 100;
	struct cv_pages p;
	cv_pages_init(&p);
	char err[512];
	int rc = sandbox_extract_pdf(bin, pdf.data, pdf.len, &lim, &p, err, sizeof err);
	cr_assert_eq(rc, 0, "rc %d: %s", rc, err);
	cr_assert(p.truncated);
	cr_assert_eq(p.n, 1);
	cr_assert_leq(strlen(p.text[0]), 100);
	cv_pages_release(&p);
	buf_release(&pdf);
}

Test(cv_sandbox, missing_binary)
{
	struct cv_pages p;
	cv_pages_init(&p);
	char err[512];
	int rc = sandbox_extract_pdf("/nonexistent/matchd", "%PDF-", 5, NULL, &p, err, sizeof err);
	cr_assert_eq(rc, MD_EIO, "rc %d: %s", rc, err);
	cr_assert_not_null(strstr(err, "cannot start"), "%s", err);
}

/* ---- the fork server (zygote mode) ---- */

/* The fork-server tests make no sense when the whole run forces the fallback. */
static const char *zygote_bin(void)
{
	const char *mode = getenv("MATCHD_SANDBOX_MODE");
	if (mode && strcmp(mode, "spawn") == 0)
		cr_skip_test("MATCHD_SANDBOX_MODE=spawn: no fork server");
	return matchd_bin();
}

static void load_cv(struct buf *pdf)
{
	buf_init(pdf, 8 << 20);
	read_file("../shared/data/cv/pdfs/11_resume-matcher_barry-allen_moderncv.pdf", pdf);
}

/* Extracts pdf in the sandbox and checks the text equals the in-process extraction. */
static void extract_and_compare(const char *bin, const struct buf *pdf)
{
	struct cv_pages a, b;
	cv_pages_init(&a);
	cv_pages_init(&b);
	char err[512];
	int rc = sandbox_extract_pdf(bin, pdf->data, pdf->len, NULL, &a, err, sizeof err);
	cr_assert_eq(rc, 0, "sandbox: %d %s", rc, err);
	cr_assert_eq(cv_pdf_extract(pdf->data, pdf->len, 200, 4 << 20, &b, err, sizeof err), 0);
	cr_assert_eq(a.n, b.n, "%zu pages vs %zu", a.n, b.n);
	for (size_t i = 0; i < a.n; i++)
		cr_assert_str_eq(a.text[i], b.text[i]);
	cv_pages_release(&a);
	cv_pages_release(&b);
}

/* The descriptors pid holds (not counting the one this function lists them with). */
static int count_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	cr_assert_not_null(d, "%s", path);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return pid == getpid() ? n - 1 : n;
}

Test(cv_sandbox, sequential_calls_reuse_one_server)
{
	const char *bin = zygote_bin();
	struct buf pdf;
	load_cv(&pdf);
	cr_assert_eq(sandbox_server_pid(), -1);
	extract_and_compare(bin, &pdf);
	pid_t server = sandbox_server_pid();
	cr_assert_gt(server, 0);
	int fds = count_fds(getpid());
	for (int i = 0; i < 49; i++) {
		extract_and_compare(bin, &pdf);
		cr_assert_eq(sandbox_server_pid(), server, "call %d: server %d, was %d", i + 2,
		             (int)sandbox_server_pid(), (int)server);
	}
	cr_assert_eq(count_fds(getpid()), fds, "descriptors leaked");
	buf_release(&pdf);
}

Test(cv_sandbox, server_is_single_threaded_and_holds_only_its_channel)
{
	const char *bin = zygote_bin();
	struct buf pdf;
	load_cv(&pdf);
	extract_and_compare(bin, &pdf);
	pid_t server = sandbox_server_pid();
	cr_assert_gt(server, 0);
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)server);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	int threads = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Threads: %d", &threads) == 1)
			break;
	fclose(f);
	cr_assert_eq(threads, 1, "the fork server runs %d threads", threads);
	int fds = count_fds(server);
	cr_assert_eq(fds, 3, "the fork server holds %d descriptors, not 0-2", fds);
	buf_release(&pdf);
}

Test(cv_sandbox, killed_server_is_replaced)
{
	const char *bin = zygote_bin();
	struct buf pdf;
	load_cv(&pdf);
	extract_and_compare(bin, &pdf);
	pid_t server = sandbox_server_pid();
	cr_assert_gt(server, 0);
	cr_assert_eq(kill(server, SIGKILL), 0);
	extract_and_compare(bin, &pdf);
	pid_t again = sandbox_server_pid();
	cr_assert_gt(again, 0);
	cr_assert_neq(again, server, "still the killed server %d", (int)server);
	/* The dead one was reaped, not left as a zombie of this process. */
	cr_assert_eq(waitpid(server, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
	extract_and_compare(bin, &pdf);
	cr_assert_eq(sandbox_server_pid(), again);
	buf_release(&pdf);
}

struct worker_arg {
	const char *bin;
	const struct buf *pdf;
	int failures;
	char err[512];
};

static void *extract_worker(void *p)
{
	struct worker_arg *w = p;
	for (int i = 0; i < 8; i++) {
		struct cv_pages a;
		cv_pages_init(&a);
		int rc = sandbox_extract_pdf(w->bin, w->pdf->data, w->pdf->len, NULL, &a, w->err,
		                             sizeof w->err);
		if (rc || a.n != 1 || !strstr(a.text[0], "Barry Allen"))
			w->failures++;
		cv_pages_release(&a);
	}
	return NULL;
}

Test(cv_sandbox, four_threads_extract_concurrently)
{
	const char *bin = zygote_bin();
	struct buf pdf;
	load_cv(&pdf);
	struct cv_pages ref;
	cv_pages_init(&ref);
	char err[512];
	cr_assert_eq(cv_pdf_extract(pdf.data, pdf.len, 200, 4 << 20, &ref, err, sizeof err), 0);
	cr_assert_eq(ref.n, 1);
	struct worker_arg w[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker_arg){ .bin = bin, .pdf = &pdf };
		cr_assert_eq(pthread_create(&t[i], NULL, extract_worker, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].failures, 0, "thread %d: %d failures, last: %s", i, w[i].failures,
		             w[i].err);
	}
	/* Each thread's text equals the in-process one. */
	extract_and_compare(bin, &pdf);
	cv_pages_release(&ref);
	buf_release(&pdf);
}

/* A limit hit costs the child, not the server: the next call reuses it. */
static void limit_keeps_server(unsigned cpu, unsigned wall, size_t mem, int want_rc,
                               const char *want_err)
{
	const char *bin = zygote_bin();
	struct buf pdf, bomb;
	load_cv(&pdf);
	buf_init(&bomb, 1 << 20);
	make_bomb(&bomb);
	extract_and_compare(bin, &pdf);
	pid_t server = sandbox_server_pid();
	cr_assert_gt(server, 0);
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);
	lim.cpu_seconds = cpu;
	lim.wall_seconds = wall;
	if (mem)
		lim.mem_bytes = mem;
	struct cv_pages p;
	cv_pages_init(&p);
	char err[512];
	int rc = sandbox_extract_pdf(bin, bomb.data, bomb.len, &lim, &p, err, sizeof err);
	cr_assert_eq(rc, want_rc, "rc %d: %s", rc, err);
	cr_assert_str_eq(err, want_err);
	cr_assert_eq(sandbox_server_pid(), server, "server %d replaced by %d", (int)server,
	             (int)sandbox_server_pid());
	extract_and_compare(bin, &pdf);
	cr_assert_eq(sandbox_server_pid(), server);
	buf_release(&bomb);
	buf_release(&pdf);
}

Test(cv_sandbox, cpu_limit_keeps_server)
{
	limit_keeps_server(1, 20, 0, MD_ELIMIT,
	                   "PDF text extraction exceeded the CPU time limit (1 s)");
}

Test(cv_sandbox, wall_timeout_keeps_server)
{
	limit_keeps_server(60, 1, 0, MD_ETIMEOUT, "PDF text extraction timed out after 1 s");
}

Test(cv_sandbox, memory_limit_keeps_server)
{
#if defined(__SANITIZE_ADDRESS__)
	cr_skip_test("sanitizer builds run the child without RLIMIT_AS");
#endif
	limit_keeps_server(5, 10, 16 << 20, MD_ELIMIT,
	                   "PDF text extraction exceeded the memory limit (16 MiB)");
}

Test(cv_sandbox, spawn_mode_fallback)
{
	const char *bin = matchd_bin();
	cr_assert_eq(setenv("MATCHD_SANDBOX_MODE", "spawn", 1), 0);
	struct buf pdf;
	load_cv(&pdf);
	extract_and_compare(bin, &pdf);
	cr_assert_eq(sandbox_server_pid(), -1, "spawn mode started a server");
	const char junk[] = "%PDF-1.4\nthis is not a PDF at all\n";
	struct cv_pages p;
	cv_pages_init(&p);
	char err[512];
	int rc = sandbox_extract_pdf(bin, junk, sizeof junk - 1, NULL, &p, err, sizeof err);
	cr_assert_eq(rc, MD_EINVAL, "rc %d: %s", rc, err);
	buf_release(&pdf);
}

struct bomb_arg {
	const char *bin;
	const struct buf *pdf;
	int rc;
	char err[512];
};

static void *extract_bomb(void *p)
{
	struct bomb_arg *b = p;
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);
	lim.cpu_seconds = 1;
	lim.wall_seconds = 20;
	struct cv_pages pages;
	cv_pages_init(&pages);
	b->rc = sandbox_extract_pdf(b->bin, b->pdf->data, b->pdf->len, &lim, &pages, b->err,
	                            sizeof b->err);
	cv_pages_release(&pages);
	return NULL;
}

/* The server dies while its child works: the call is retried once on a fresh server. */
Test(cv_sandbox, server_killed_mid_request_is_retried)
{
	const char *bin = zygote_bin();
	struct buf pdf, bomb;
	load_cv(&pdf);
	buf_init(&bomb, 1 << 20);
	make_bomb(&bomb);
	extract_and_compare(bin, &pdf);
	pid_t server = sandbox_server_pid();
	cr_assert_gt(server, 0);
	struct bomb_arg b = { .bin = bin, .pdf = &bomb };
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, extract_bomb, &b), 0);
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	cr_assert_eq(sandbox_server_pid(), -1, "the busy server is not idle");
	cr_assert_eq(kill(server, SIGKILL), 0);
	pthread_join(t, NULL);
	cr_assert_eq(b.rc, MD_ELIMIT, "rc %d: %s", b.rc, b.err);
	cr_assert_str_eq(b.err, "PDF text extraction exceeded the CPU time limit (1 s)");
	pid_t again = sandbox_server_pid();
	cr_assert_gt(again, 0);
	cr_assert_neq(again, server);
	extract_and_compare(bin, &pdf);
	buf_release(&bomb);
	buf_release(&pdf);
}
