#include "cli/extract.h"

#include "base/common.h"

#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engines/cv/pdftext.h"

struct extract_opts {
	unsigned long long max_pages, max_bytes, max_input, cpu, mem;
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
	*o = (struct extract_opts){ 200, 4u << 20, 16u << 20, 20, 512ull << 20 };
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
	return 0;
}

int cli_extract_main(int argc, char **argv)
{
	close_inherited();
	struct extract_opts o;
	if (parse_opts(argc, argv, &o))
		return fail(EXTRACT_EXIT_USAGE, "usage",
		            "matchd __extract-pdf [--max-pages N] [--max-bytes N] [--max-input N] "
		            "[--cpu S] [--mem BYTES] < file.pdf");
	limit_self(&o);
	struct buf in;
	buf_init(&in, (size_t)o.max_input);
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
	rc = cv_pdf_extract(in.data ? in.data : "", in.len, (size_t)o.max_pages,
	                    (size_t)o.max_bytes, &pages, err, sizeof err);
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
