#include "cli/extract.h"

#include "base/common.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engines/cv/pdftext.h"
#include "jobs/sandbox.h"

struct extract_opts {
	unsigned long long max_pages, max_bytes, max_input, cpu, mem, ocr_pages;
	const char *ocr_langs; /* from the environment only; NULL: the default */
};

static bool parse_ull(const char *s, unsigned long long *out)
{
	if (!s || !*s || *s == '-')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static void env_default(const char *name, unsigned long long *v)
{
	unsigned long long x;
	if (parse_ull(getenv(name), &x))
		*v = x;
}

static int parse_opts(int argc, char **argv, struct extract_opts *o)
{
	*o = (struct extract_opts){ 200,
		                    4u << 20,
		                    16u << 20,
		                    20,
		                    512ull << 20,
		                    CV_PDF_OCR_MAX_PAGES,
		                    getenv("MATCHD_OCR_LANGS") };
	env_default("MATCHD_OCR_MAX_PAGES", &o->ocr_pages);
	env_default("MATCHD_EXTRACT_MAX_PAGES", &o->max_pages);
	env_default("MATCHD_EXTRACT_MAX_BYTES", &o->max_bytes);
	env_default("MATCHD_EXTRACT_MAX_INPUT", &o->max_input);
	env_default("MATCHD_EXTRACT_CPU", &o->cpu);
	env_default("MATCHD_EXTRACT_MEM", &o->mem);
	static const char *const names[] = { "--max-pages", "--max-bytes", "--max-input", "--cpu",
		                             "--mem" };
	unsigned long long *slots[] = { &o->max_pages, &o->max_bytes, &o->max_input, &o->cpu,
		                        &o->mem };
	for (int i = 1; i < argc; i += 2) {
		size_t k = 0;
		while (k < ARRAY_SIZE(names) && strcmp(argv[i], names[k]) != 0)
			k++;
		if (k == ARRAY_SIZE(names) || i + 1 >= argc || !parse_ull(argv[i + 1], slots[k]))
			return -1;
	}
	return 0;
}

static void close_inherited(void)
{
	if (close_range(3, ~0U, 0) == 0)
		return;
	long max = sysconf(_SC_OPEN_MAX);
	for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
		close((int)fd);
}

static void set_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = { soft, hard };
	(void)setrlimit(resource, &rl);
}

/*
 * AddressSanitizer reserves terabytes of shadow address space, so an RLIMIT_AS makes every
 * later mmap of an instrumented build fail: sanitizer builds run without the memory limit.
 */
#if defined(__SANITIZE_ADDRESS__)
#define EXTRACT_LIMIT_AS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EXTRACT_LIMIT_AS 0
#endif
#endif
#ifndef EXTRACT_LIMIT_AS
#define EXTRACT_LIMIT_AS 1
#endif

/* Limits are set before any input is read, so the PDF never runs unconstrained. */
static void limit_self(const struct extract_opts *o)
{
	if (o->cpu)
		set_limit(RLIMIT_CPU, (rlim_t)o->cpu,
		          (rlim_t)o->cpu + 1); /* SIGXCPU, then SIGKILL */
	if (o->mem && EXTRACT_LIMIT_AS)
		set_limit(RLIMIT_AS, (rlim_t)o->mem, (rlim_t)o->mem);
	set_limit(RLIMIT_FSIZE, 0, 0);
	set_limit(RLIMIT_CORE, 0, 0);
	set_limit(RLIMIT_NOFILE, 16, 16);
}

static bool write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

static int fail(int code, const char *reason, const char *msg)
{
	char line[512];
	int n = snprintf(line, sizeof line, "ERR %s %s\n", reason, msg);
	if (n > 0)
		(void)write_all(1, line, MD_MIN((size_t)n, sizeof line - 1));
	return code;
}

/* Reads stdin into *b; MD_ELIMIT when it holds more than the buffer's cap. */
static int read_stdin(struct buf *b)
{
	char chunk[65536];
	for (;;) {
		ssize_t r = read(0, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return MD_EIO;
		if (r == 0)
			return 0;
		int rc = buf_append(b, chunk, (size_t)r);
		if (rc)
			return rc;
	}
}

static int write_pages(const struct cv_pages *p)
{
	char head[96];
	int n = snprintf(head, sizeof head, "MDPAGES %zu %d\n", p->n, p->truncated ? 1 : 0);
	if (!write_all(1, head, (size_t)n))
		return -1;
	for (size_t i = 0; i < p->n; i++) {
		size_t len = strlen(p->text[i]);
		n = snprintf(head, sizeof head, "%zu\n", len);
		if (!write_all(1, head, (size_t)n) || !write_all(1, p->text[i], len))
			return -1;
	}
	/* Then what could not be read or was repaired, framed the same way. */
	n = snprintf(head, sizeof head, "MDWARN %zu\n", p->nwarnings);
	if (!write_all(1, head, (size_t)n))
		return -1;
	for (size_t i = 0; i < p->nwarnings; i++) {
		size_t len = strnlen(p->warnings[i], CV_WARNING_MAX);
		n = snprintf(head, sizeof head, "%zu\n", len);
		if (!write_all(1, head, (size_t)n) || !write_all(1, p->warnings[i], len))
			return -1;
	}
	/* And the pages read by OCR: "MDOCR k p1 ... pk". */
	n = snprintf(head, sizeof head, "MDOCR %zu", p->nocr_pages);
	if (!write_all(1, head, (size_t)n))
		return -1;
	for (size_t i = 0; i < p->nocr_pages; i++) {
		n = snprintf(head, sizeof head, " %d", p->ocr_pages[i]);
		if (!write_all(1, head, (size_t)n))
			return -1;
	}
	return write_all(1, "\n", 1) ? 0 : -1;
}

/* Limits itself, then extracts the PDF on stdin to stdout. Returns the exit code. */
static int extract_run(const struct extract_opts *o)
{
	limit_self(o);
	struct buf in;
	buf_init(&in, (size_t)o->max_input);
	int rc = read_stdin(&in);
	if (rc == MD_ENOMEM)
		return fail(EXTRACT_EXIT_NOMEM, "nomem", "out of memory reading the PDF");
	if (rc == MD_ELIMIT)
		return fail(EXTRACT_EXIT_INPUT, "input", "the PDF is larger than --max-input");
	if (rc)
		return fail(EXTRACT_EXIT_INPUT, "input", "cannot read the PDF from stdin");
	struct cv_pages pages;
	cv_pages_init(&pages);
	char err[400];
	struct cv_pdf_options po = { o->ocr_langs, (size_t)o->ocr_pages };
	rc = cv_pdf_extract_opts(in.data ? in.data : "", in.len, (size_t)o->max_pages,
	                         (size_t)o->max_bytes, &po, &pages, err, sizeof err);
	buf_release(&in);
	int code = EXTRACT_EXIT_OK;
	if (rc == MD_EINVAL)
		code = fail(EXTRACT_EXIT_BADPDF, "badpdf", err);
	else if (rc)
		code = fail(EXTRACT_EXIT_NOMEM, "nomem", "out of memory extracting text");
	else if (write_pages(&pages))
		code = EXTRACT_EXIT_OUTPUT;
	cv_pages_release(&pages);
	return code;
}

/* ---- the fork server (jobs/sandbox.h) ---- */

/* A one-page PDF showing one line of Helvetica, with a correct cross-reference table. */
static int build_warm_pdf(struct buf *b)
{
	static const char text[] = "BT /F1 12 Tf 72 720 Td (matchd warm-up) Tj ET";
	static const char *const objs[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
		"/Resources << /Font << /F1 5 0 R >> >> >>",
		NULL, /* the content stream */
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	};
	size_t off[ARRAY_SIZE(objs)];
	int rc = buf_puts(b, "%PDF-1.4\n");
	for (size_t i = 0; i < ARRAY_SIZE(objs) && !rc; i++) {
		off[i] = b->len;
		if (objs[i])
			rc = buf_printf(b, "%zu 0 obj\n%s\nendobj\n", i + 1, objs[i]);
		else
			rc = buf_printf(
			    b, "%zu 0 obj\n<< /Length %zu >>\nstream\n%s\nendstream\nendobj\n",
			    i + 1, sizeof text - 1, text);
	}
	size_t xref = b->len;
	if (!rc)
		rc = buf_printf(b, "xref\n0 %zu\n0000000000 65535 f \n", ARRAY_SIZE(objs) + 1);
	for (size_t i = 0; i < ARRAY_SIZE(objs) && !rc; i++)
		rc = buf_printf(b, "%010zu 00000 n \n", off[i]);
	if (!rc)
		rc =
		    buf_printf(b, "trailer\n<< /Size %zu /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
		               ARRAY_SIZE(objs) + 1, xref);
	return rc;
}

/*
 * Extracts one PDF before serving, so GLib's type system, poppler's global parameters and the
 * text output code are initialised once here and inherited by every forked child.
 */
static void warm_up(void)
{
	struct buf pdf;
	buf_init(&pdf, 4096);
	struct cv_pages pages;
	cv_pages_init(&pages);
	char err[400];
	if (build_warm_pdf(&pdf) == 0 &&
	    cv_pdf_extract(pdf.data, pdf.len, 1, 4096, &pages, err, sizeof err) == 0)
		cv_pages_release(&pages);
	buf_release(&pdf);
}

/* In a forked child of the server: the server's defaults, then the request's limits. */
static int server_child(const struct sandbox_request *rq, void *ctx)
{
	struct extract_opts o = *(const struct extract_opts *)ctx;
	o.max_pages = rq->max_pages;
	o.max_bytes = rq->max_text;
	o.cpu = rq->cpu_seconds;
	o.mem = rq->mem_bytes;
	return extract_run(&o);
}

/* `matchd __extract-pdf --server [flags]`: the channel is fd 0. */
static int server_main(int argc, char **argv)
{
	close_inherited();
	/* Keep 1 and 2 taken, so the descriptors a request carries always land above 2. */
	for (int fd = 1; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_WRONLY) != fd)
			return EXTRACT_EXIT_OUTPUT;
	struct extract_opts o;
	if (parse_opts(argc, argv, &o))
		return fail(EXTRACT_EXIT_USAGE, "usage",
		            "matchd __extract-pdf --server [--max-input N] (channel on stdin)");
	/* Writes to a vanished parent fail with EPIPE instead. A terminal's Ctrl-C is for the
	 * parent, which drains its jobs (extractions included) before it exits. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	warm_up();
	return sandbox_server_main(0, server_child, &o) ? EXTRACT_EXIT_USAGE : EXTRACT_EXIT_OK;
}

/*
 * One OpenMP thread for Tesseract unless the operator said otherwise. libgomp reads
 * OMP_THREAD_LIMIT once, when OCR first loads it; with its default of up to ten threads a
 * loaded two-core host spun them against each other (one page took 11 s instead of 1 s), and
 * one extraction is one job. Set here, at the process's start, while it is single-threaded.
 */
static void one_omp_thread(void)
{
	const char *limit = getenv("OMP_THREAD_LIMIT");
	if (!limit || !*limit)
		setenv("OMP_THREAD_LIMIT", "1", 1);
}

int cli_extract_main(int argc, char **argv)
{
	one_omp_thread();
	if (argc >= 2 && strcmp(argv[1], "--server") == 0)
		return server_main(argc - 1, argv + 1);
	close_inherited();
	struct extract_opts o;
	if (parse_opts(argc, argv, &o))
		return fail(EXTRACT_EXIT_USAGE, "usage",
		            "matchd __extract-pdf [--max-pages N] [--max-bytes N] [--max-input N] "
		            "[--cpu S] [--mem BYTES] < file.pdf");
	return extract_run(&o);
}
