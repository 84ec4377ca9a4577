/*
 * cv_taxonomy_bench.c: times loading data/skills.tsv and matching a CV-sized text, and prints
 * the hits of a file for inspection. Built and run by bench/cv_taxonomy.sh.
 *
 *   cv_taxonomy_bench skills.tsv cv.txt [--print] [--jd]
 *   cv_taxonomy_bench skills.tsv sentences.txt --lines   (one "line<TAB>offset<TAB>len" a hit)
 */
#include <time.h>

#include "base/common.h"

#include "engines/cv/taxonomy.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b;
	buf_init(&b, 256u << 20);
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		if (buf_append(&b, tmp, n) != 0)
			break;
	fclose(f);
	*len = b.len;
	return buf_take(&b);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct pctx {
	const struct cv_taxonomy *t;
	const char *text;
	bool print;
	size_t n;
};

static int on_hit(void *ctx, const struct cv_skill_hit *h)
{
	struct pctx *p = ctx;
	p->n++;
	if (p->print)
		printf("%6zu  %-30.*s %s [%s]%s\n", h->offset, (int)h->len, p->text + h->offset,
		       p->t->skills[h->skill].label, p->t->skills[h->skill].id,
		       h->needs_context ? " (context)" : "");
	return 0;
}

static int on_req(void *ctx, const struct cv_skill_requirement *r)
{
	struct pctx *p = ctx;
	p->n++;
	printf("%-5s %-30.*s %s\n", r->kind == CV_REQ_MUST ? "MUST" : "nice", (int)r->len,
	       p->text + r->offset, p->t->skills[r->skill].label);
	return 0;
}

struct lctx {
	size_t line;
};

static int on_line_hit(void *ctx, const struct cv_skill_hit *h)
{
	struct lctx *q = ctx;
	printf("%zu\t%zu\t%zu\n", q->line, h->offset, h->len);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s skills.tsv text.txt [--print] [--jd]\n", argv[0]);
		return 2;
	}
	size_t tl, xl;
	char *tsv = slurp(argv[1], &tl), *text = slurp(argv[2], &xl);
	if (!tsv || !text) {
		fprintf(stderr, "cannot read input\n");
		return 1;
	}
	bool print = argc > 3 && strcmp(argv[3], "--print") == 0;
	bool jd = argc > 3 && strcmp(argv[argc - 1], "--jd") == 0;
	struct cv_taxonomy t;
	char err[256];
	double t0 = now_ms();
	int rc = cv_taxonomy_load(&t, tsv, tl, err, sizeof(err));
	double t1 = now_ms();
	if (rc) {
		fprintf(stderr, "load: %s %s\n", md_strerror(rc), err);
		return 1;
	}
	printf("load: %d skills, %.1f ms\n", t.nskills, t1 - t0);
	struct pctx p = { &t, text, print, 0 };
	if (argc > 3 && strcmp(argv[3], "--lines") == 0) {
		size_t ln = 0;
		for (char *s = text; s < text + xl; ln++) {
			char *nl = memchr(s, '\n', (size_t)(text + xl - s));
			size_t n = nl ? (size_t)(nl - s) : (size_t)(text + xl - s);
			struct lctx q = { ln };
			if (cv_taxonomy_find(&t, s, n, false, on_line_hit, &q) != 0)
				return 1;
			s += n + 1;
		}
		return 0;
	}
	if (jd) {
		if (cv_taxonomy_extract_requirements(&t, text, xl, on_req, &p) != 0)
			return 1;
	} else if (cv_taxonomy_find(&t, text, xl, false, on_hit, &p) != 0) {
		return 1;
	}
	int iters = 200;
	double m0 = now_ms();
	for (int i = 0; i < iters; i++) {
		struct pctx q = { &t, text, false, 0 };
		if (cv_taxonomy_find(&t, text, xl, false, on_hit, &q) != 0)
			return 1;
	}
	double m1 = now_ms();
	printf("match: %zu bytes, %zu hits, %.3f ms per text\n", xl, p.n, (m1 - m0) / iters);
	cv_taxonomy_release(&t);
	md_free(tsv);
	md_free(text);
	return 0;
}
