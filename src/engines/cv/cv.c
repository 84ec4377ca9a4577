#include "engines/cv/cv.h"

#include "base/common.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <strings.h>

#include "engines/cv/bm25.h"
#include "engines/cv/dates.h"
#include "engines/cv/phrases.h"
#include "engines/cv/repair.h"
#include "engines/cv/skills.h"
#include "engines/cv/tagger.h"
#include "text/normalize.h"
#include "text/stem.h"

#define PAGE_TEXT_LIMIT (8u << 20) /* bytes of normalised text per page */
#define MAX_RANGES_PER_PAGE 512
#define MAX_SIM_TOKENS 200000
#define NO_TEXT_CHARS 40 /* fewer non-space characters than this: no text layer */

enum section { SEC_NONE, SEC_EXPERIENCE, SEC_EDUCATION, SEC_SKILLS, SEC_PROJECTS, SEC_OTHER };

struct line {
	int page; /* 0-based */
	enum cv_section_kind kind;
	size_t orig_off, orig_len; /* in the page's normalised text */
	size_t fold_off, fold_len; /* in the page's folded text */
	enum section section;
	bool heading;
	int block; /* index into doc.ranges of the experience range this line belongs to, or -1 */
};

struct range {
	struct cv_month_range r;
	size_t line;
	bool experience;
};

struct doc {
	size_t n_pages;
	struct buf *orig; /* normalised text per page */
	struct buf *fold; /* case-folded text per page, line by line aligned with orig */
	struct line *lines;
	size_t n_lines;
	size_t *page_first_line; /* n_pages + 1 entries */
	struct range *ranges;
	size_t n_ranges;
	size_t text_chars;            /* non-space characters */
	struct cv_line *cvl;          /* the lines as the extractors see them */
	struct cv_dated_range *dated; /* n_ranges entries, page offsets in orig */
};

/* ---- small helpers ---- */

/* Copies src into dst[cap] with each run of white space made one space, cut as copy_trunc. */
static void squeeze_space(char *dst, size_t cap, const char *src, size_t len)
{
	size_t n = 0;
	bool space = false;
	for (size_t i = 0; i < len && n + 1 < cap; i++) {
		bool ws = src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r';
		if (ws) {
			space = n > 0;
			continue;
		}
		if (space && n + 2 < cap)
			dst[n++] = ' ';
		space = false;
		dst[n++] = src[i];
	}
	dst[text_utf8_floor(dst, n)] = '\0';
}

static int report(const struct cv_input *in, const char *stage, double fraction)
{
	if (in->progress && in->progress(in->progress_ctx, stage, fraction))
		return MD_ECANCELED;
	return 0;
}

/* Copies src into dst[cap], cutting at a UTF-8 boundary when it does not fit. */
static void copy_trunc(char *dst, size_t cap, const char *src, size_t len)
{
	size_t n = len < cap ? len : text_utf8_floor(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void add_warning(struct cv_result *r, const char *msg)
{
	if (r->n_warnings < CV_MAX_WARNINGS)
		copy_trunc(r->warnings[r->n_warnings++], CV_WARNING_MAX, msg, strlen(msg));
}

static const char *line_orig(const struct doc *d, const struct line *l)
{
	return d->orig[l->page].data + l->orig_off;
}

static const char *line_fold(const struct doc *d, const struct line *l)
{
	return d->fold[l->page].data + l->fold_off;
}

/* Whole-word search for a folded keyword; CJK keywords are plain substrings. */
static bool find_kw(const char *text, size_t len, const char *kw, size_t *s, size_t *e)
{
	if ((unsigned char)kw[0] >= 0x80) {
		const char *p = memmem(text, len, kw, strlen(kw));
		if (!p)
			return false;
		*s = (size_t)(p - text);
		*e = *s + strlen(kw);
		return true;
	}
	return cv_skill_find_next(text, len, 0, kw, s, e);
}

/* ---- document: normalisation, lines, sections ---- */

static enum section old_section(enum cv_section_kind k)
{
	switch (k) {
	case CV_SEC_NONE: return SEC_NONE;
	case CV_SEC_EXPERIENCE: return SEC_EXPERIENCE;
	case CV_SEC_EDUCATION: return SEC_EDUCATION;
	case CV_SEC_SKILLS: return SEC_SKILLS;
	case CV_SEC_PROJECTS: return SEC_PROJECTS;
	default: return SEC_OTHER;
	}
}

static void doc_release(struct doc *d)
{
	for (size_t p = 0; p < d->n_pages; p++) {
		if (d->orig)
			buf_release(&d->orig[p]);
		if (d->fold)
			buf_release(&d->fold[p]);
	}
	md_free(d->orig);
	md_free(d->fold);
	md_free(d->lines);
	md_free(d->page_first_line);
	md_free(d->ranges);
	md_free(d->cvl);
	md_free(d->dated);
	memset(d, 0, sizeof *d);
}

static int push_line(struct doc *d, size_t *cap, const struct line *l)
{
	if (d->n_lines == *cap && md_grow(&d->lines, cap, sizeof *d->lines, 256))
		return MD_ENOMEM;
	d->lines[d->n_lines++] = *l;
	return 0;
}

/* Normalises page p and folds it line by line so line i of both texts is the same line. */
static int doc_add_page(struct doc *d, size_t p, const char *text, size_t *cap)
{
	struct buf *o = &d->orig[p], *f = &d->fold[p];
	struct buf flat, cols;
	buf_init(&flat, PAGE_TEXT_LIMIT);
	buf_init(&cols, PAGE_TEXT_LIMIT);
	size_t len = strlen(text);
	int rc = 0;
	/* A plain-text export that put the page on one line gets its lines back (repair.h). */
	if (cv_text_flattened(text, len) && !(rc = buf_append(&flat, text, len)) &&
	    !(rc = cv_repair_flat_text(&flat, NULL))) {
		text = flat.data;
		len = flat.len;
	}
	if (rc == MD_ELIMIT)
		rc = 0; /* a page beyond the limit is cut below, unrepaired */
	if (rc == 0)
		rc = cv_text_columns(text, len, &cols);
	if (rc == 0)
		rc = text_normalize(cols.data ? cols.data : "", cols.len, o);
	buf_release(&cols);
	buf_release(&flat);
	if (rc == MD_ELIMIT)
		rc = 0; /* a page beyond the limit is cut, not refused */
	if (rc)
		return rc;
	if (!o->data && (rc = buf_puts(o, "")))
		return rc;
	if ((rc = buf_puts(f, "")))
		return rc;
	size_t pos = 0;
	while (pos <= o->len) {
		const char *nl = memchr(o->data + pos, '\n', o->len - pos);
		size_t end = nl ? (size_t)(nl - o->data) : o->len;
		struct line l = { .page = (int)p,
			          .orig_off = pos,
			          .orig_len = end - pos,
			          .fold_off = f->len,
			          .block = -1 };
		if ((rc = text_casefold(o->data + pos, end - pos, f)))
			return rc;
		l.fold_len = f->len - l.fold_off;
		if ((rc = buf_putc(f, '\n')))
			return rc;
		for (size_t k = pos; k < end; k++)
			if (o->data[k] != ' ')
				d->text_chars++;
		if ((rc = push_line(d, cap, &l)))
			return rc;
		pos = end + 1;
	}
	return 0;
}

static int doc_build(struct doc *d, const struct cv_input *in)
{
	d->n_pages = in->n_pages;
	d->orig = md_calloc(in->n_pages ? in->n_pages : 1, sizeof *d->orig);
	d->fold = md_calloc(in->n_pages ? in->n_pages : 1, sizeof *d->fold);
	d->page_first_line = md_calloc(in->n_pages + 1, sizeof *d->page_first_line);
	if (!d->orig || !d->fold || !d->page_first_line)
		return MD_ENOMEM;
	for (size_t p = 0; p < in->n_pages; p++) {
		buf_init(&d->orig[p], PAGE_TEXT_LIMIT);
		buf_init(&d->fold[p], PAGE_TEXT_LIMIT * 2);
	}
	size_t cap = 0;
	for (size_t p = 0; p < in->n_pages; p++) {
		d->page_first_line[p] = d->n_lines;
		int rc = doc_add_page(d, p, in->pages[p] ? in->pages[p] : "", &cap);
		if (rc)
			return rc;
		if ((rc = report(in, "normalize", (double)(p + 1) / (double)in->n_pages)))
			return rc;
	}
	d->page_first_line[in->n_pages] = d->n_lines;
	d->cvl = md_calloc(d->n_lines ? d->n_lines : 1, sizeof *d->cvl);
	if (!d->cvl)
		return MD_ENOMEM;
	for (size_t i = 0; i < d->n_lines; i++) {
		struct line *l = &d->lines[i];
		d->cvl[i] = (struct cv_line){ .text = line_orig(d, l),
			                      .len = l->orig_len,
			                      .fold = line_fold(d, l),
			                      .fold_len = l->fold_len,
			                      .off = l->orig_off,
			                      .page = l->page + 1 };
	}
	cv_sections_assign(d->cvl, d->n_lines);
	for (size_t i = 0; i < d->n_lines; i++) {
		struct line *l = &d->lines[i];
		l->heading = d->cvl[i].heading;
		l->kind = d->cvl[i].section;
		l->section = old_section(l->kind);
	}
	return 0;
}

/* The line of page p that holds byte off of its folded (or normalised) text. */
static size_t line_at(const struct doc *d, size_t p, size_t off, bool folded)
{
	size_t lo = d->page_first_line[p], hi = d->page_first_line[p + 1];
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		size_t start = folded ? d->lines[mid].fold_off : d->lines[mid].orig_off;
		if (start <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* ---- dates and experience ---- */

static int doc_find_ranges(struct doc *d, const struct cv_input *in)
{
	struct cv_date_range *tmp = md_malloc(MAX_RANGES_PER_PAGE * sizeof *tmp);
	if (!tmp)
		return MD_ENOMEM;
	size_t cap = 0;
	int rc = 0;
	for (size_t p = 0; p < d->n_pages; p++) {
		size_t n = cv_dates_find(d->orig[p].data, d->orig[p].len, in->as_of, tmp,
		                         MAX_RANGES_PER_PAGE);
		for (size_t k = 0; k < n; k++) {
			if (d->n_ranges == cap) {
				size_t nc = cap ? cap * 2 : 32;
				struct range *nr = md_realloc(d->ranges, nc * sizeof *nr);
				if (!nr) {
					rc = MD_ENOMEM;
					goto out;
				}
				d->ranges = nr;
				cap = nc;
				struct cv_dated_range *nd = md_realloc(d->dated, nc * sizeof *nd);
				if (!nd) {
					rc = MD_ENOMEM;
					goto out;
				}
				d->dated = nd;
			}
			struct range *r = &d->ranges[d->n_ranges];
			r->r = tmp[k].r;
			r->line = line_at(d, p, tmp[k].offset, false);
			r->experience = false; /* decided by the positions */
			d->dated[d->n_ranges].d = tmp[k];
			d->dated[d->n_ranges++].line = r->line;
		}
	}
out:
	md_free(tmp);
	return rc;
}

/* Finds the positions; the ranges that became work positions count as experience. */
static int doc_positions(struct doc *d, const struct cv_input *in, struct cv_result *res)
{
	size_t cap = d->n_ranges + d->n_lines / 2 + 1;
	res->positions = md_calloc(cap, sizeof *res->positions);
	if (!res->positions)
		return MD_ENOMEM;
	res->n_positions = cv_positions_extract(d->cvl, d->n_lines, d->dated, d->n_ranges,
	                                        in->as_of, res->positions, cap);
	for (size_t i = 0; i < res->n_positions; i++)
		if (res->positions[i].range >= 0 && res->positions[i].kind == CV_POS_WORK)
			d->ranges[res->positions[i].range].experience = true;
	return 0;
}

static void doc_blocks(struct doc *d)
{
	/* Blocks: each line belongs to the last experience range above it in its section. */
	int block = -1;
	size_t next = 0;
	for (size_t i = 0; i < d->n_lines; i++) {
		if (d->lines[i].heading)
			block = -1;
		bool any = false;
		while (next < d->n_ranges && d->ranges[next].line == i) {
			if (!any)
				block = d->ranges[next].experience ? (int)next : -1;
			any = true;
			next++;
		}
		/* A short line with a lone date ("Summer 2021") starts an entry of unknown span. */
		if (!any && d->lines[i].fold_len <= 40 &&
		    cv_dates_has_date(line_fold(d, &d->lines[i]), d->lines[i].fold_len))
			block = -1;
		d->lines[i].block = block;
	}
}

/* ---- requirement results and evidence ---- */

static struct cv_req_result *new_req(struct cv_result *r, enum cv_category c, const char *id,
                                     const char *name, double weight)
{
	struct cv_req_result *q = &r->reqs[r->n_reqs++];
	memset(q, 0, sizeof *q);
	q->category = c;
	copy_trunc(q->id, sizeof q->id, id, strlen(id));
	copy_trunc(q->name, sizeof q->name, name, strlen(name));
	copy_trunc(q->requirement, sizeof q->requirement, name, strlen(name));
	q->weight = weight;
	q->verdict = CV_NOT_MET;
	return q;
}

static void set_verdict(struct cv_req_result *q, enum cv_verdict v)
{
	static const double scores[] = { 1.0, 0.5, 0.0, 0.0 };
	q->verdict = v;
	q->score = scores[v];
}

/*
 * Quotes line li as evidence. Long lines are cut to CV_EVIDENCE_MAX bytes around the match
 * (fold_at: offset of the match in the folded line, used when the two texts have the same
 * length, i.e. nearly always).
 */
static void add_evidence(struct cv_req_result *q, const struct doc *d, size_t li, size_t fold_at)
{
	const struct line *l = &d->lines[li];
	for (size_t k = 0; k < q->n_evidence; k++)
		if (q->evidence[k].page == l->page + 1 &&
		    strncmp(q->evidence[k].text, line_orig(d, l), strlen(q->evidence[k].text)) == 0)
			return;
	if (q->n_evidence >= CV_MAX_EVIDENCE || l->orig_len == 0)
		return;
	const char *s = line_orig(d, l);
	size_t start = 0;
	if (l->orig_len > CV_EVIDENCE_MAX && l->orig_len == l->fold_len && fold_at > 60) {
		start = MD_MIN(fold_at - 60, l->orig_len - CV_EVIDENCE_MAX);
		while (start < l->orig_len && ((unsigned char)s[start] & 0xC0) == 0x80)
			start++;
	}
	struct cv_evidence *e = &q->evidence[q->n_evidence++];
	e->page = l->page + 1;
	e->section = l->kind;
	copy_trunc(e->text, sizeof e->text, s + start, l->orig_len - start);
}

/* ---- skills ---- */

struct skill_cand {
	const char *name;
	const struct cv_skill_def *def; /* NULL: an ad-hoc skill named by a requirement */
	struct buf own;                 /* ad-hoc: the folded name used as the only alias */
	bool found;
	double years;
	size_t ev_line[CV_MAX_EVIDENCE];
	size_t ev_off[CV_MAX_EVIDENCE];
	size_t n_ev;
};

struct skills {
	struct skill_cand *c;
	size_t n;
};

static void skills_release(struct skills *s)
{
	for (size_t i = 0; i < s->n; i++)
		buf_release(&s->c[i].own);
	md_free(s->c);
}

static void cand_hit(struct skill_cand *c, const struct doc *d, size_t li, size_t off, bool *blocks)
{
	c->found = true;
	if (d->lines[li].block >= 0)
		blocks[d->lines[li].block] = true;
	for (size_t k = 0; k < c->n_ev; k++)
		if (c->ev_line[k] == li)
			return;
	if (c->n_ev < CV_MAX_EVIDENCE) {
		c->ev_line[c->n_ev] = li;
		c->ev_off[c->n_ev++] = off;
	}
}

static void search_alias(struct skill_cand *c, const struct doc *d, const char *alias, bool *blocks)
{
	bool exact = alias[0] == '=';
	if (exact)
		alias++;
	for (size_t p = 0; p < d->n_pages; p++) {
		const struct buf *t = exact ? &d->orig[p] : &d->fold[p];
		size_t from = 0, s, e;
		while (from < t->len && cv_skill_find_next(t->data, t->len, from, alias, &s, &e)) {
			size_t li = line_at(d, p, s, !exact);
			const struct line *l = &d->lines[li];
			cand_hit(c, d, li, s - (exact ? l->orig_off : l->fold_off), blocks);
			from = e;
		}
	}
}

static int search_cand(struct skill_cand *c, const struct doc *d, bool *blocks,
                       struct cv_month_range *tmp)
{
	memset(blocks, 0, (d->n_ranges ? d->n_ranges : 1) * sizeof *blocks);
	if (c->def) {
		for (size_t k = 0; k < CV_SKILL_MAX_ALIASES && c->def->aliases[k]; k++)
			search_alias(c, d, c->def->aliases[k], blocks);
	} else if (c->own.len) {
		search_alias(c, d, c->own.data, blocks);
	}
	size_t n = 0;
	for (size_t i = 0; i < d->n_ranges; i++)
		if (blocks[i])
			tmp[n++] = d->ranges[i].r;
	c->years = cv_ranges_years(tmp, n);
	return 0;
}

/* Finds (or adds) the candidate for a requirement skill name; returns its index or < 0. */
static int skills_for_req(struct skills *s, size_t table_n, const char *name, size_t cap)
{
	const struct cv_skill_def *def = cv_skill_lookup(name);
	if (def) {
		size_t n;
		const struct cv_skill_def *t = cv_skill_table(&n);
		return (int)(def - t);
	}
	struct buf f;
	buf_init(&f, 256);
	int rc = text_casefold(name, strlen(name), &f);
	if (rc) {
		buf_release(&f);
		return rc; /* MD_ENOMEM aborts the match; MD_ELIMIT: a name too long to be found */
	}
	for (size_t i = table_n; i < s->n; i++)
		if (s->c[i].own.len == f.len &&
		    (f.len == 0 || strcmp(s->c[i].own.data, f.data) == 0)) {
			buf_release(&f);
			return (int)i;
		}
	if (s->n >= cap) {
		buf_release(&f);
		return MD_ELIMIT;
	}
	struct skill_cand *c = &s->c[s->n];
	memset(c, 0, sizeof *c);
	c->name = name;
	c->own = f;
	return (int)s->n++;
}

static const char *skill_req_label(const struct cv_skill_req *sr, bool must, char *buf, size_t cap)
{
	if (sr->min_years > 0)
		snprintf(buf, cap, "%s (%s, %g+ years)", sr->name,
		         must ? "must have" : "nice to have", sr->min_years);
	else
		snprintf(buf, cap, "%s (%s)", sr->name, must ? "must have" : "nice to have");
	return buf;
}

static void judge_skill(struct cv_result *r, const struct doc *d, const struct skill_cand *c,
                        const struct cv_skill_req *sr, bool must, size_t idx)
{
	char id[64], label[192];
	snprintf(id, sizeof id, "/skills/%s/%zu", must ? "must_have" : "nice_to_have", idx);
	struct cv_req_result *q = new_req(r, CV_CAT_SKILLS, id, sr->name, must ? 2.0 : 1.0);
	skill_req_label(sr, must, label, sizeof label);
	copy_trunc(q->requirement, sizeof q->requirement, label, strlen(label));
	if (!c || !c->found) {
		set_verdict(q, CV_NOT_MET);
		return;
	}
	for (size_t k = 0; k < c->n_ev; k++)
		add_evidence(q, d, c->ev_line[k], c->ev_off[k]);
	set_verdict(q, sr->min_years > 0 && c->years + 1e-9 < sr->min_years ? CV_PARTIALLY_MET
	                                                                    : CV_MET);
}

static int cmp_found(const void *a, const void *b)
{
	const struct cv_skill_found *x = a, *y = b;
	int c = strcasecmp(x->name, y->name);
	return c ? c : strcmp(x->name, y->name);
}

static int do_skills(struct cv_result *r, const struct doc *d, const struct cv_input *in)
{
	const struct cv_requirements *req = in->req;
	size_t table_n;
	const struct cv_skill_def *table = cv_skill_table(&table_n);
	size_t cap = table_n + req->n_must_have + req->n_nice_to_have;
	struct skills s = { md_calloc(cap, sizeof *s.c), 0 };
	bool *blocks = md_calloc(d->n_ranges ? d->n_ranges : 1, sizeof *blocks);
	struct cv_month_range *tmp = md_calloc(d->n_ranges ? d->n_ranges : 1, sizeof *tmp);
	int *must_idx = md_calloc(req->n_must_have + 1, sizeof *must_idx);
	int *nice_idx = md_calloc(req->n_nice_to_have + 1, sizeof *nice_idx);
	int rc = MD_ENOMEM;
	if (!s.c || !blocks || !tmp || !must_idx || !nice_idx)
		goto out;
	for (size_t i = 0; i < table_n; i++) {
		s.c[i].name = table[i].name;
		s.c[i].def = &table[i];
		buf_init(&s.c[i].own, 0);
	}
	s.n = table_n;
	for (size_t i = 0; i < req->n_must_have; i++)
		must_idx[i] = skills_for_req(&s, table_n, req->must_have[i].name, cap);
	for (size_t i = 0; i < req->n_nice_to_have; i++)
		nice_idx[i] = skills_for_req(&s, table_n, req->nice_to_have[i].name, cap);
	for (size_t i = 0; i < req->n_must_have + req->n_nice_to_have; i++)
		if ((i < req->n_must_have ? must_idx[i] : nice_idx[i - req->n_must_have]) ==
		    MD_ENOMEM)
			goto out;
	for (size_t i = 0; i < s.n; i++) {
		search_cand(&s.c[i], d, blocks, tmp);
		if (i % 16 == 15 && (rc = report(in, "skills", (double)(i + 1) / (double)s.n)))
			goto out;
	}
	for (size_t i = 0; i < req->n_must_have; i++)
		judge_skill(r, d, must_idx[i] >= 0 ? &s.c[must_idx[i]] : NULL, &req->must_have[i],
		            true, i);
	for (size_t i = 0; i < req->n_nice_to_have; i++)
		judge_skill(r, d, nice_idx[i] >= 0 ? &s.c[nice_idx[i]] : NULL,
		            &req->nice_to_have[i], false, i);
	size_t nf = 0;
	for (size_t i = 0; i < s.n; i++)
		nf += s.c[i].found;
	r->skills = md_calloc(nf ? nf : 1, sizeof *r->skills);
	if (!r->skills)
		goto out;
	for (size_t i = 0; i < s.n; i++) {
		if (!s.c[i].found)
			continue;
		struct cv_skill_found *f = &r->skills[r->n_skills++];
		copy_trunc(f->name, sizeof f->name, s.c[i].name, strlen(s.c[i].name));
		f->years = s.c[i].years;
	}
	md_qsort(r->skills, r->n_skills, sizeof *r->skills, cmp_found);
	rc = 0;
out:
	skills_release(&s);
	md_free(blocks);
	md_free(tmp);
	md_free(must_idx);
	md_free(nice_idx);
	return rc;
}

/* ---- skills through the taxonomy ---- */

#define MAX_TAX_HITS 20000 /* mentions kept per CV; more add nothing a recruiter reads */
#define MAX_JD_REQS (40 + CV_JD_PHRASES_MAX) /* skill requirements taken from a job description */
#define MAX_LIST_SKILLS 64                   /* unknown names taken from skills lists, per CV */

struct tax_hit {
	int skill;
	size_t line;
	size_t off; /* in the line's normalised text */
	size_t len; /* of the mention */
};

struct tax_scan {
	const struct doc *d;
	size_t page, base; /* the segment starts at byte base of page's normalised text */
	struct tax_hit *v;
	size_t n, cap;
};

struct tax_cand {
	int skill;
	double years;
	size_t ev_line[CV_MAX_EVIDENCE];
	size_t ev_off[CV_MAX_EVIDENCE];
	size_t n_ev;
	size_t first_line, first_off, first_len; /* the first mention in text order */
	bool listed;                             /* goes to skills_found (see mark_listed) */
};

/* A skill requirement, from the caller or from the job description. */
struct tax_req {
	const char *name;
	double min_years;
	bool must;
	int skill; /* taxonomy index, -1 when the name is unknown */
	char id[64];
	const struct cv_skill_req *sr; /* the caller's, NULL for job-description ones */
	bool is_phrase;                /* a phrase of the job description (name is phrase) */
	char phrase[96];
};

static int tax_collect(void *ctx, const struct cv_skill_hit *h)
{
	struct tax_scan *s = ctx;
	if (s->n == s->cap) {
		if (s->cap >= MAX_TAX_HITS)
			return 0;
		if (md_grow(&s->v, &s->cap, sizeof *s->v, 128))
			return MD_ENOMEM;
	}
	size_t off = s->base + h->offset;
	size_t li = line_at(s->d, s->page, off, false);
	s->v[s->n++] = (struct tax_hit){ h->skill, li, off - s->d->lines[li].orig_off, h->len };
	return 0;
}

/*
 * Runs the taxonomy matcher over each page in runs of lines of one kind: the lines of a Skills
 * section are matched in skills context (where "Go" and "R" are accepted), the others not.
 */
static int tax_scan_doc(const struct cv_taxonomy *t, const struct doc *d, struct tax_scan *s)
{
	for (size_t p = 0; p < d->n_pages; p++) {
		size_t first = d->page_first_line[p], end = d->page_first_line[p + 1];
		while (first < end) {
			bool skills = d->lines[first].kind == CV_SEC_SKILLS;
			size_t last = first;
			while (last + 1 < end &&
			       (d->lines[last + 1].kind == CV_SEC_SKILLS) == skills)
				last++;
			s->page = p;
			s->base = d->lines[first].orig_off;
			size_t stop = d->lines[last].orig_off + d->lines[last].orig_len;
			int rc = cv_taxonomy_find(t, d->orig[p].data + s->base, stop - s->base,
			                          skills, tax_collect, s);
			if (rc)
				return rc;
			first = last + 1;
		}
	}
	return 0;
}

static int cmp_tax_hit(const void *a, const void *b)
{
	const struct tax_hit *x = a, *y = b;
	if (x->skill != y->skill)
		return x->skill < y->skill ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* Groups the hits (sorted) into one candidate per skill, with evidence lines and years. */
static size_t tax_cands(const struct doc *d, const struct tax_hit *h, size_t n, struct tax_cand *c,
                        bool *blocks, struct cv_month_range *tmp)
{
	size_t nc = 0;
	for (size_t i = 0; i < n;) {
		struct tax_cand *x = &c[nc++];
		memset(x, 0, sizeof *x);
		x->skill = h[i].skill;
		x->first_line = h[i].line;
		x->first_off = h[i].off;
		x->first_len = h[i].len;
		memset(blocks, 0, (d->n_ranges ? d->n_ranges : 1) * sizeof *blocks);
		for (; i < n && h[i].skill == x->skill; i++) {
			if (d->lines[h[i].line].block >= 0)
				blocks[d->lines[h[i].line].block] = true;
			if (x->n_ev < CV_MAX_EVIDENCE &&
			    (x->n_ev == 0 || x->ev_line[x->n_ev - 1] != h[i].line)) {
				x->ev_line[x->n_ev] = h[i].line;
				x->ev_off[x->n_ev++] = h[i].off;
			}
		}
		size_t k = 0;
		for (size_t j = 0; j < d->n_ranges; j++)
			if (blocks[j])
				tmp[k++] = d->ranges[j].r;
		x->years = cv_ranges_years(tmp, k);
	}
	return nc;
}

/* The label a recruiter reads: ESCO's "Python (computer programming)" is "Python". */
static void display_name(const struct cv_taxonomy *t, int skill, char *out, size_t cap)
{
	static const char qual[] = " (computer programming)";
	const char *l = t->skills[skill].label;
	size_t n = strlen(l);
	if (n > sizeof qual - 1 && strcmp(l + n - (sizeof qual - 1), qual) == 0)
		n -= sizeof qual - 1;
	copy_trunc(out, cap, l, n);
}

static int collect_jd_req(void *ctx, const struct cv_skill_requirement *q)
{
	struct cv_skill_requirement *v = ctx;
	size_t *n = (size_t *)(v + MAX_JD_REQS);
	if (*n < MAX_JD_REQS)
		v[(*n)++] = *q;
	return 0;
}

/* Lowers the capital of a sentence's first word ("Build" -> "build"); an acronym ("AWS") keeps
 * it. */
static void lower_initial(char *s)
{
	if (isupper((unsigned char)s[0]) && islower((unsigned char)s[1]))
		s[0] = (char)tolower((unsigned char)s[0]);
}

/*
 * The name of a skill the job description asks for: its label (without a qualifier), or the
 * job's own words when they are another name of it ("AWS" for "Amazon Web Services AWS
 * software", "team player" for "work in teams"), so the requirement reads as the job wrote it.
 */
static void jd_skill_name(const struct cv_taxonomy *t, struct tax_req *q, const char *words,
                          size_t n)
{
	char label[sizeof q->phrase];
	display_name(t, q->skill, label, sizeof label);
	squeeze_space(q->phrase, sizeof q->phrase, words, n);
	q->name = q->phrase;
	if (strcasecmp(q->phrase, label) == 0) {
		/* The label's own spelling, without a qualifier: "Java", not "Java (computer
		 * programming)" nor the job's "java". */
		memcpy(q->phrase, label, sizeof label);
		return;
	}
	/* A sentence's capital ("Commercial awareness is a plus") is not the skill's. */
	if (islower((unsigned char)label[0]))
		lower_initial(q->phrase);
}

/*
 * The skill requirements to judge: the caller's, or when they name none and a taxonomy and a
 * job description are given, the skills the job description asks for (musts first). Sets
 * *from_jd. The array (md_free it) has *n entries.
 */
static int tax_reqs(const struct cv_input *in, struct tax_req **out, size_t *n, bool *from_jd)
{
	const struct cv_requirements *req = in->req;
	const struct cv_taxonomy *t = in->taxonomy;
	*out = NULL;
	*n = 0;
	*from_jd = false;
	size_t nr = req->n_must_have + req->n_nice_to_have;
	struct cv_skill_requirement *jd = NULL;
	size_t njd = 0;
	if (nr == 0 && t && in->job_description && in->job_description[0]) {
		/* The count lives right after the array: one allocation, one free. */
		jd = md_calloc(1, MAX_JD_REQS * sizeof *jd + sizeof(size_t));
		if (!jd)
			return MD_ENOMEM;
		int rc = cv_taxonomy_extract_requirements(
		    t, in->job_description, strlen(in->job_description), collect_jd_req, jd);
		if (rc) {
			md_free(jd);
			return rc;
		}
		njd = *(size_t *)(jd + MAX_JD_REQS);
		*from_jd = njd > 0;
		nr = njd;
	}
	struct tax_req *v = md_calloc(nr ? nr : 1, sizeof *v);
	if (!v) {
		md_free(jd);
		return MD_ENOMEM;
	}
	size_t k = 0;
	for (int pass = 0; pass < 2; pass++) {
		bool must = pass == 0;
		size_t idx = 0;
		for (size_t i = 0; i < njd; i++) {
			if ((jd[i].kind == CV_REQ_MUST) != must)
				continue;
			struct tax_req *q = &v[k++];
			q->must = must;
			q->skill = jd[i].skill;
			if (q->skill >= 0) {
				jd_skill_name(t, q, in->job_description + jd[i].offset, jd[i].len);
			} else {
				squeeze_space(q->phrase, sizeof q->phrase,
				              in->job_description + jd[i].offset, jd[i].len);
				/* A bullet's capital ("Build reusable code") reads oddly inside a
				 * sentence ("missing X, build reusable code"). */
				lower_initial(q->phrase);
				q->name = q->phrase;
				q->is_phrase = true;
			}
			snprintf(q->id, sizeof q->id, "/job_description/%s/%zu",
			         must ? "must_have" : "nice_to_have", idx++);
		}
		size_t m = must ? req->n_must_have : req->n_nice_to_have;
		for (size_t i = 0; i < m; i++) {
			struct tax_req *q = &v[k++];
			q->sr = must ? &req->must_have[i] : &req->nice_to_have[i];
			q->name = q->sr->name;
			q->min_years = q->sr->min_years;
			q->must = must;
			q->skill = t ? cv_taxonomy_lookup(t, q->name) : -1;
			snprintf(q->id, sizeof q->id, "/skills/%s/%zu",
			         must ? "must_have" : "nice_to_have", i);
		}
	}
	md_free(jd);
	*out = v;
	*n = k;
	return 0;
}

/*
 * The best candidate for requirement skill req: the highest credit, then the most years, then
 * the lowest skill index, so the choice is deterministic. Returns its index or -1.
 */
static int best_cand(const struct cv_taxonomy *t, int req, const struct tax_cand *c, size_t n,
                     double *credit)
{
	int best = -1;
	*credit = 0;
	for (size_t i = 0; i < n; i++) {
		double cr = cv_taxonomy_credit(t, req, c[i].skill);
		if (cr <= 0)
			continue;
		if (best < 0 || cr > *credit + 1e-12 ||
		    (fabs(cr - *credit) <= 1e-12 && c[i].years > c[best].years)) {
			best = (int)i;
			*credit = cr;
		}
	}
	return best;
}

static void judge_tax(struct cv_result *r, const struct doc *d, const struct cv_taxonomy *t,
                      const struct tax_req *tq, const struct tax_cand *c, size_t nc,
                      const struct skill_cand *literal)
{
	struct cv_skill_req sr = { (char *)tq->name, tq->min_years };
	char label[192];
	double w = tq->must ? 2.0 : 1.0;
	if (tq->skill >= 0)
		w *= cv_taxonomy_rarity(t, tq->skill);
	struct cv_req_result *q = new_req(r, CV_CAT_SKILLS, tq->id, tq->name, w);
	skill_req_label(&sr, tq->must, label, sizeof label);
	copy_trunc(q->requirement, sizeof q->requirement, label, strlen(label));
	double credit = 0;
	int b = tq->skill >= 0 ? best_cand(t, tq->skill, c, nc, &credit) : -1;
	if (b >= 0) {
		const struct tax_cand *x = &c[b];
		for (size_t k = 0; k < x->n_ev; k++)
			add_evidence(q, d, x->ev_line[k], x->ev_off[k]);
		display_name(t, x->skill, q->matched, sizeof q->matched);
		bool short_years = tq->min_years > 0 && x->years + 1e-9 < tq->min_years;
		if (credit >= 1.0) {
			set_verdict(q, short_years ? CV_PARTIALLY_MET : CV_MET);
			return;
		}
		/* Through the hierarchy: a related skill proves part of the requirement. */
		set_verdict(q, CV_PARTIALLY_MET);
		q->related = true;
		q->score = credit * (short_years ? 0.5 : 1.0);
		return;
	}
	if (!literal || !literal->found) {
		set_verdict(q, CV_NOT_MET);
		return;
	}
	for (size_t k = 0; k < literal->n_ev; k++)
		add_evidence(q, d, literal->ev_line[k], literal->ev_off[k]);
	copy_trunc(q->matched, sizeof q->matched, tq->name, strlen(tq->name));
	set_verdict(q, tq->min_years > 0 && literal->years + 1e-9 < tq->min_years ? CV_PARTIALLY_MET
	                                                                          : CV_MET);
}

/* ---- phrases of the job description ---- */

#define PHRASE_TERMS 12
#define PHRASE_MET 0.75    /* share of its words a CV line must show to meet a phrase */
#define PHRASE_PARTIAL 0.5 /* ... to meet it in part */
/* A must-have phrase weighs a quarter of a must-have skill (2 x rarity): shared words are
 * weaker evidence than a named skill. A nice-to-have one, half that. */
#define PHRASE_WEIGHT 0.5

struct phrase_terms {
	char stem[PHRASE_TERMS][TEXT_STEM_MAX + 1]; /* Snowball stems: "managing" -> "manag" */
	char word[PHRASE_TERMS][TEXT_STEM_MAX + 1]; /* as the phrase writes it, for matched_by */
	size_t off[PHRASE_TERMS];                   /* where the word is in the folded phrase */
	size_t n;
};

/*
 * The stemmed words of every line of the CV, computed once for all phrases: line li's words
 * are w[first[li] .. first[li + 1]), each a stem in arena and its offset in the folded line.
 */
struct stem_doc {
	struct text_stemmer *st;
	struct buf arena;
	struct stem_word {
		uint32_t at, len, fold_off;
	} * w;
	size_t n, cap;
	size_t *first;
};

static void stem_doc_release(struct stem_doc *sd)
{
	text_stemmer_free(sd->st);
	buf_release(&sd->arena);
	md_free(sd->w);
	md_free(sd->first);
	memset(sd, 0, sizeof *sd);
}

static int stem_doc_push(struct stem_doc *sd, struct slice w, size_t fold_off)
{
	char b[TEXT_STEM_MAX + 1];
	size_t k = text_stem(sd->st, w.ptr, w.len, b);
	if (sd->n == sd->cap && md_grow(&sd->w, &sd->cap, sizeof *sd->w, 256))
		return MD_ENOMEM;
	sd->w[sd->n++] =
	    (struct stem_word){ (uint32_t)sd->arena.len, (uint32_t)k, (uint32_t)fold_off };
	return buf_append(&sd->arena, b, k);
}

static int stem_doc_build(struct stem_doc *sd, const struct doc *d)
{
	memset(sd, 0, sizeof *sd);
	/* A stem is never longer than its word: the folded text bounds the arena. */
	size_t total = 0;
	for (size_t p = 0; p < d->n_pages; p++)
		total += d->fold[p].len;
	buf_init(&sd->arena, total + 1);
	sd->st = text_stemmer_new();
	sd->first = md_calloc(d->n_lines + 1, sizeof *sd->first);
	if (!sd->st || !sd->first)
		return MD_ENOMEM;
	for (size_t li = 0; li < d->n_lines; li++) {
		const struct line *l = &d->lines[li];
		const char *f = line_fold(d, l);
		sd->first[li] = sd->n;
		struct slice rest = { f, l->fold_len }, w;
		while (cv_phrases_next_term(&rest, &w)) {
			int rc = stem_doc_push(sd, w, (size_t)(w.ptr - f));
			if (rc)
				return rc;
		}
	}
	sd->first[d->n_lines] = sd->n;
	return 0;
}

/* The content words of phrase (folded into f), stemmed, each once. */
static void phrase_terms(struct text_stemmer *st, const char *phrase, const struct buf *f,
                         struct phrase_terms *pt)
{
	pt->n = 0;
	struct slice rest = { f->data, f->len }, w;
	while (pt->n < PHRASE_TERMS && cv_phrases_next_term(&rest, &w)) {
		char b[TEXT_STEM_MAX + 1];
		text_stem(st, w.ptr, w.len, b);
		size_t k = 0;
		while (k < pt->n && strcmp(pt->stem[k], b) != 0)
			k++;
		if (k < pt->n)
			continue;
		size_t a = (size_t)(w.ptr - f->data);
		memcpy(pt->stem[pt->n], b, sizeof b);
		/* Folding keeps the length of ASCII text: then the phrase's own spelling. */
		const char *src = strlen(phrase) == f->len ? phrase + a : w.ptr;
		size_t n = text_utf8_floor(src, MD_MIN(w.len, (size_t)TEXT_STEM_MAX));
		memcpy(pt->word[pt->n], src, n);
		pt->word[pt->n][n] = '\0';
		pt->off[pt->n] = a;
		pt->n++;
	}
}

/* The first word of line li whose stem is stem, or NULL. */
static const struct stem_word *line_has(const struct stem_doc *sd, size_t li, const char *stem)
{
	size_t k = strlen(stem);
	for (size_t i = sd->first[li]; i < sd->first[li + 1]; i++)
		if (sd->w[i].len == k && memcmp(sd->arena.data + sd->w[i].at, stem, k) == 0)
			return &sd->w[i];
	return NULL;
}

/*
 * Which terms line li shows, alone or with the next line of its page (a duty is often wrapped):
 * a bit per term in *mask, and in *own those of line li itself; *at is the offset in line li
 * of the first term it shows.
 */
static void line_terms(const struct doc *d, const struct stem_doc *sd, size_t li,
                       const struct phrase_terms *pt, unsigned *mask, unsigned *own, size_t *at)
{
	bool next = li + 1 < d->n_lines && d->lines[li + 1].page == d->lines[li].page;
	*mask = *own = 0;
	*at = 0;
	for (size_t k = 0; k < pt->n; k++) {
		const struct stem_word *w = line_has(sd, li, pt->stem[k]);
		if (w) {
			if (!*own)
				*at = w->fold_off;
			*own |= 1u << k;
			*mask |= 1u << k;
		} else if (next && line_has(sd, li + 1, pt->stem[k])) {
			*mask |= 1u << k;
		}
	}
}

/* The taxonomy skills a phrase names ("using React"), and which of its words the CV proves. */
struct phrase_skills {
	const struct cv_taxonomy *t;
	const struct tax_cand *c;
	size_t nc;
	const struct phrase_terms *pt;
	unsigned have;           /* a bit per term: named by a skill the CV has */
	int ev[CV_MAX_EVIDENCE]; /* those skills' candidates, for evidence */
	size_t n_ev;
};

static int phrase_skill(void *ctx, const struct cv_skill_hit *h)
{
	struct phrase_skills *ps = ctx;
	double credit;
	int b = best_cand(ps->t, h->skill, ps->c, ps->nc, &credit);
	if (b < 0 || credit < 0.5)
		return 0;
	for (size_t k = 0; k < ps->pt->n; k++)
		if (ps->pt->off[k] >= h->offset && ps->pt->off[k] < h->offset + h->len)
			ps->have |= 1u << k;
	if (ps->n_ev < CV_MAX_EVIDENCE)
		ps->ev[ps->n_ev++] = b;
	return 0;
}

static size_t popcount(unsigned m)
{
	size_t n = 0;
	for (; m; m &= m - 1)
		n++;
	return n;
}

/*
 * Judges a phrase the job description asks for in its own words ("influence cross functional
 * teams"): the CV line that shows most of its content words (first one on ties) is the
 * evidence; three quarters of the words meet it, half meets it in part. The words of a
 * taxonomy skill the phrase names ("frameworks like React") count wherever the CV proves that
 * skill, even through a related one.
 */
static int judge_phrase(struct cv_result *r, const struct doc *d, const struct stem_doc *sd,
                        const struct cv_taxonomy *t, const struct tax_req *tq,
                        const struct tax_cand *c, size_t nc)
{
	struct cv_skill_req sr = { (char *)tq->name, 0 };
	char label[192];
	struct cv_req_result *q = new_req(r, CV_CAT_SKILLS, tq->id, tq->name,
	                                  tq->must ? PHRASE_WEIGHT : PHRASE_WEIGHT / 2);
	skill_req_label(&sr, tq->must, label, sizeof label);
	copy_trunc(q->requirement, sizeof q->requirement, label, strlen(label));
	q->words = true;
	struct buf f;
	buf_init(&f, 128);
	int rc = text_casefold(tq->name, strlen(tq->name), &f);
	if (rc) {
		buf_release(&f);
		return rc == MD_ELIMIT ? 0 : rc;
	}
	struct phrase_terms pt;
	phrase_terms(sd->st, tq->name, &f, &pt);
	struct phrase_skills ps = { t, c, nc, &pt, 0, { 0 }, 0 };
	/* Term offsets are in the folded phrase: they are the phrase's own when folding kept its
	 * length (ASCII, nearly always). */
	if (f.len == strlen(tq->name))
		rc = cv_taxonomy_find(t, tq->name, f.len, false, phrase_skill, &ps);
	buf_release(&f);
	if (rc)
		return rc;
	/* The best line: the most terms with its next line, then the most on its own. */
	size_t best = popcount(ps.have), best_own = 0, best_line = 0, best_at = 0;
	unsigned best_mask = ps.have;
	bool line_ev = false;
	for (size_t li = 0; li < d->n_lines && pt.n; li++) {
		unsigned mask, own;
		size_t at;
		line_terms(d, sd, li, &pt, &mask, &own, &at);
		size_t got = popcount(mask | ps.have), got_own = popcount(own & ~ps.have);
		if (got > best || (got == best && line_ev && got_own > best_own)) {
			best = got;
			best_own = got_own;
			best_line = li;
			best_at = at;
			best_mask = mask | ps.have;
			line_ev = (mask & ~ps.have) != 0;
		}
	}
	if (line_ev && best_own == 0 && best_line + 1 < d->n_lines) {
		best_line++; /* every word is on the wrapped line: quote that one */
		best_at = 0;
	}
	double cover = pt.n ? (double)best / (double)pt.n : 0;
	if (cover < PHRASE_PARTIAL) {
		set_verdict(q, CV_NOT_MET);
		snprintf(q->change, sizeof q->change,
		         "Describe where you did this, if you did: the job asks for \"%s\"",
		         tq->name);
		return 0;
	}
	if (line_ev)
		add_evidence(q, d, best_line, best_at);
	for (size_t k = 0; k < ps.n_ev; k++)
		if (c[ps.ev[k]].n_ev)
			add_evidence(q, d, c[ps.ev[k]].ev_line[0], c[ps.ev[k]].ev_off[0]);
	char *m = q->matched, *miss = q->change;
	size_t mn = 0;
	for (size_t k = 0; k < pt.n && mn < sizeof q->matched; k++)
		if (best_mask & (1u << k))
			mn += (size_t)snprintf(m + mn, sizeof q->matched - mn, "%s%s",
			                       mn ? ", " : "", pt.word[k]);
	if (mn >= sizeof q->matched)
		m[text_utf8_floor(m, sizeof q->matched - 1)] = '\0';
	if (cover >= PHRASE_MET) {
		set_verdict(q, CV_MET);
		return 0;
	}
	set_verdict(q, CV_PARTIALLY_MET);
	q->score = cover;
	size_t cn = (size_t)snprintf(miss, sizeof q->change, "Name ");
	for (size_t k = 0, first = 1; k < pt.n && cn < sizeof q->change; k++)
		if (!(best_mask & (1u << k))) {
			cn += (size_t)snprintf(miss + cn, sizeof q->change - cn, "%s%s",
			                       first ? "" : ", ", pt.word[k]);
			first = 0;
		}
	if (cn < sizeof q->change)
		snprintf(miss + cn, sizeof q->change - cn,
		         " where you did this, if you did: the job asks for \"%s\"", tq->name);
	return 0;
}

/*
 * Whether a taxonomy name the matcher did not accept in the CV may be searched in any case:
 * one of several words ("computer science" in "B.Tech, Computer Science") or a lower-case word
 * of four letters or more ("physics"). A name with capitals ("Go", "Excel") is searched as
 * written: in lower case it is an ordinary word.
 */
static bool any_case_name(const char *name)
{
	size_t n = strlen(name);
	if (memchr(name, ' ', n))
		return true;
	for (size_t i = 0; i < n; i++)
		if (isupper((unsigned char)name[i]))
			return false;
	return n >= 4;
}

/*
 * The literal fallback of a requirement: an unknown name is searched case-folded, as without a
 * taxonomy; a known name the matcher did not accept (an ambiguous "Go" outside a skills
 * context) is searched with its exact case, since the job asks for it by that name, unless
 * any_case_name() says any case is safe.
 */
static int literal_cand(struct skill_cand *c, const struct tax_req *tq)
{
	memset(c, 0, sizeof *c);
	c->name = tq->name;
	buf_init(&c->own, 512);
	const struct cv_skill_def *def = tq->skill < 0 ? cv_skill_lookup(tq->name) : NULL;
	if (def) {
		/* A skill of the built-in table the taxonomy lacks ("Redux"): its aliases. */
		c->def = def;
		c->name = def->name;
		return 0;
	}
	if (tq->skill >= 0 && !any_case_name(tq->name)) {
		int rc = buf_putc(&c->own, '=');
		return rc ? rc : buf_puts(&c->own, tq->name);
	}
	int rc = text_casefold(tq->name, strlen(tq->name), &c->own);
	if (rc == MD_ELIMIT) {
		buf_release(&c->own);
		buf_init(&c->own, 0); /* too long to be found: searched for nothing */
		return 0;
	}
	return rc;
}

/*
 * The skills of the built-in table that the taxonomy does not know by any of their names
 * (Redux, Next.js, gRPC, Jest, ...), searched the built-in way so that no skill the engine
 * found before is lost. *n receives how many; they are in s[0..n).
 */
static void builtin_extra(const struct cv_taxonomy *t, const struct doc *d, struct skill_cand *s,
                          size_t *n, bool *blocks, struct cv_month_range *tmp)
{
	size_t tn;
	const struct cv_skill_def *table = cv_skill_table(&tn);
	*n = 0;
	for (size_t i = 0; i < tn; i++) {
		bool known = cv_taxonomy_lookup(t, table[i].name) >= 0;
		for (size_t k = 0; !known && k < CV_SKILL_MAX_ALIASES && table[i].aliases[k]; k++) {
			const char *a = table[i].aliases[k];
			known = cv_taxonomy_lookup(t, a[0] == '=' ? a + 1 : a) >= 0;
		}
		if (known)
			continue;
		struct skill_cand *c = &s[(*n)++];
		memset(c, 0, sizeof *c);
		c->name = table[i].name;
		c->def = &table[i];
		search_cand(c, d, blocks, tmp);
	}
}

static int put_found(struct cv_result *r, const struct doc *d, const struct cv_taxonomy *t,
                     const struct tax_cand *c, size_t nc, const struct skill_cand *lit, size_t nl)
{
	r->skills = md_calloc(nc + nl + MAX_LIST_SKILLS + 1, sizeof *r->skills);
	if (!r->skills)
		return MD_ENOMEM;
	for (size_t i = 0; i < nc; i++) {
		/* Human languages (ESCO's "languages" group: English, French) are the languages
		 * section's, with their levels; as skills they would be listed twice. A requirement
		 * naming one is still judged from the candidates. */
		if (strcmp(t->skills[c[i].skill].category, "languages") == 0 || !c[i].listed)
			continue;
		struct cv_skill_found *f = &r->skills[r->n_skills++];
		display_name(t, c[i].skill, f->name, sizeof f->name);
		const char *id = t->skills[c[i].skill].id;
		copy_trunc(f->id, sizeof f->id, id, strlen(id));
		f->years = c[i].years;
		const struct line *l = &d->lines[c[i].first_line];
		/* A mention may run over a line break ("Google Cloud\nPlatform"): bound by the page. */
		if (l->orig_off + c[i].first_off + c[i].first_len <= d->orig[l->page].len)
			copy_trunc(f->as_written, sizeof f->as_written,
			           line_orig(d, l) + c[i].first_off, c[i].first_len);
	}
	for (size_t i = 0; i < nl; i++) {
		if (!lit[i].found)
			continue;
		bool dup = false;
		for (size_t k = 0; k < r->n_skills && !dup; k++)
			dup = strcasecmp(r->skills[k].name, lit[i].name) == 0;
		if (dup)
			continue;
		struct cv_skill_found *f = &r->skills[r->n_skills++];
		copy_trunc(f->name, sizeof f->name, lit[i].name, strlen(lit[i].name));
		f->years = lit[i].years;
	}
	md_qsort(r->skills, r->n_skills, sizeof *r->skills, cmp_found);
	return 0;
}

/*
 * Skills lists. In a Skills section, or after a "Skills:" label, a short item between commas
 * ("Ryze, FeedBlitz, Ning, Flickr") is a skill even when the taxonomy does not know it: on
 * dotin's 310 training CVs 85% of such items are labelled skills. An item is 1 to 4 words with
 * a letter, without its parenthesis ("C++ (Less than 1 year)"); a run of two spaces ends the
 * list (plain-text exports put fields side by side that way). Items a found skill already
 * covers are not repeated.
 */
#define LIST_ITEM_MAX 48 /* bytes; a longer "item" is prose */

static bool icase_contains(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);
	for (size_t i = 0; k && i + k <= n; i++)
		if (strncasecmp(s + i, w, k) == 0)
			return true;
	return false;
}

static bool list_item_ok(const char *s, size_t n)
{
	size_t words = 0;
	bool letter = false, in = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool sp = c == ' ';
		if (!sp && !in)
			words++;
		in = !sp;
		letter |= (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x80;
	}
	/* A ')' left over is the end of a parenthesis opened on the line before ("1 year)"). */
	if (!letter || n < 2 || n > LIST_ITEM_MAX || words > 3 || memchr(s, '/', n) ||
	    memchr(s, ')', n) || icase_contains(s, n, "www.") || icase_contains(s, n, "http"))
		return false;
	/* A lower-case function word starts a phrase, not a name ("as Item Categories"). */
	static const char *const lead[] = { "and ", "as ", "the ", "with ", "including ",
		                            "of ",  "in ", "for ", "on ",   "to " };
	for (size_t k = 0; k < ARRAY_SIZE(lead); k++)
		if (n > strlen(lead[k]) && strncmp(s, lead[k], strlen(lead[k])) == 0)
			return false;
	return true;
}

static void add_list_item(struct cv_result *r, const struct cv_taxonomy *t, const char *s, size_t n,
                          size_t *added)
{
	while (n && (*s == ' ' || *s == '-' || *s == '*' || *s == ':')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '.' || s[n - 1] == ':'))
		n--;
	if (!list_item_ok(s, n) || *added >= MAX_LIST_SKILLS)
		return;
	/* A name the taxonomy knows was reported, or left out on purpose (a language, an
	 * ambiguous word): the list does not bring it back. */
	char name[LIST_ITEM_MAX + 1];
	memcpy(name, s, n);
	name[n] = '\0';
	if (cv_taxonomy_lookup(t, name) >= 0)
		return;
	for (size_t k = 0; k < r->n_skills; k++) {
		const struct cv_skill_found *f = &r->skills[k];
		const char *w = f->as_written[0] ? f->as_written : f->name;
		if (icase_contains(s, n, w) || (strlen(w) == n && strncasecmp(w, s, n) == 0))
			return;
	}
	struct cv_skill_found *f = &r->skills[r->n_skills++];
	memset(f, 0, sizeof *f);
	copy_trunc(f->name, sizeof f->name, s, n);
	copy_trunc(f->as_written, sizeof f->as_written, s, n);
	(*added)++;
}

/* Splits s[0..n) at list separators into items; a parenthesis is dropped with its content. */
static void list_items(struct cv_result *r, const struct cv_taxonomy *t, const char *s, size_t n,
                       size_t *added)
{
	/* A list has at least three items: two separators before any run of two spaces. */
	size_t seps = 0;
	for (size_t i = 0; i < n && !(s[i] == ' ' && i + 1 < n && s[i + 1] == ' ' && i > 0); i++)
		seps += s[i] == ',' || s[i] == ';' || s[i] == '|';
	if (seps < 2)
		return;
	size_t depth = 0;
	char item[LIST_ITEM_MAX * 2];
	size_t il = 0;
	bool too_long = false;
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)s[i] : ',';
		bool bullet = c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
		              (unsigned char)s[i + 2] == 0xA2;
		bool end = i == n || (c == ' ' && i + 1 < n && s[i + 1] == ' ' && il > 0);
		if (c == '(') {
			depth++;
			continue;
		}
		if (c == ')' && depth) {
			depth--;
			continue;
		}
		if (depth && !end)
			continue;
		if (end || c == ',' || c == ';' || c == '|' || bullet) {
			if (!too_long)
				add_list_item(r, t, item, il, added);
			il = 0;
			too_long = false;
			depth = 0;
			if (bullet)
				i += 2;
			if (end && i < n)
				return; /* two spaces: the list is over */
			continue;
		}
		if (il < sizeof item)
			item[il++] = (char)c;
		else
			too_long = true;
	}
}

static void list_skills(struct cv_result *r, const struct cv_taxonomy *t, const struct doc *d)
{
	size_t added = 0;
	for (size_t i = 0; i < d->n_lines; i++) {
		const struct line *l = &d->lines[i];
		const char *s = line_orig(d, l);
		size_t n = l->orig_len;
		if (l->heading || n == 0)
			continue;
		if (l->kind == CV_SEC_SKILLS) {
			list_items(r, t, s, n, &added);
			continue;
		}
		/* "Technical Skills: Java, C++": a label of at most three words naming skills. */
		const char *colon = memchr(s, ':', MD_MIN(n, (size_t)40));
		if (!colon)
			continue;
		size_t ln = (size_t)(colon - s), words = 0;
		for (size_t k = 0; k < ln; k++)
			words += s[k] != ' ' && (k == 0 || s[k - 1] == ' ');
		if (words <= 3 && icase_contains(s, ln, "skill"))
			list_items(r, t, colon + 1, n - ln - 1, &added);
	}
}

/*
 * Skill phrases of the tagger (tagger.h). It reads every line, with the taxonomy's hits as
 * features; what it tags joins skills_found after the taxonomy's skills and the list items: a
 * phrase that is a taxonomy name becomes that skill, any other is reported as written, without
 * an id.
 */
#define MAX_TAGGED 4096       /* phrases kept per CV */
#define MAX_TAGGED_SKILLS 128 /* skills the tagger adds per CV */

struct tagged {
	struct cv_tag_span *v;
	size_t n, cap;
};

static int on_tagged(void *ctx, size_t line, size_t off, size_t len)
{
	struct tagged *g = ctx;
	if (g->n == g->cap) {
		if (g->cap >= MAX_TAGGED)
			return 0;
		if (md_grow(&g->v, &g->cap, sizeof *g->v, 64))
			return MD_ENOMEM;
	}
	g->v[g->n++] = (struct cv_tag_span){ line, off, len };
	return 0;
}

static int cmp_span(const void *a, const void *b)
{
	const struct cv_tag_span *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int tag_doc(const struct cv_tagger *tg, const struct doc *d, const struct tax_scan *s,
                   struct tagged *out)
{
	struct cv_tag_line *lines = md_calloc(d->n_lines ? d->n_lines : 1, sizeof *lines);
	struct cv_tag_span *sp = md_calloc(s->n ? s->n : 1, sizeof *sp);
	int rc = MD_ENOMEM;
	if (!lines || !sp)
		goto out;
	for (size_t i = 0; i < d->n_lines; i++) {
		const struct line *l = &d->lines[i];
		lines[i] =
		    (struct cv_tag_line){ line_orig(d, l), l->orig_len, (int)l->kind, l->heading };
	}
	/* The hits arrive in text order per run of lines; sorting makes that a guarantee. */
	for (size_t i = 0; i < s->n; i++)
		sp[i] = (struct cv_tag_span){ s->v[i].line, s->v[i].off, s->v[i].len };
	md_qsort(sp, s->n, sizeof *sp, cmp_span);
	rc = cv_tagger_tag(tg, lines, d->n_lines, sp, s->n, on_tagged, out);
out:
	md_free(lines);
	md_free(sp);
	return rc;
}

static bool ascii_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Trims a tagged phrase to its words: bullets, commas and colons around it go. */
static void trim_phrase(const char **s, size_t *n)
{
	while (*n) {
		unsigned char c = (unsigned char)**s;
		int32_t cp = c;
		size_t cl = c < 0x80 ? 1 : text_decode(*s, *n, &cp);
		if (ascii_alnum(c) || c == '.' || (c >= 0x80 && cp >= 0 && text_is_word_cp(cp)))
			break;
		*s += cl;
		*n -= cl;
	}
	while (*n) {
		unsigned char c = (unsigned char)(*s)[*n - 1];
		if (ascii_alnum(c) || c == '+' || c == '#' || c == ')' || c >= 0x80)
			break;
		(*n)--;
	}
}

static bool has_letter(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] | 0x20) >= 'a' && ((unsigned char)s[i] | 0x20) <= 'z')
			return true;
	return false;
}

static bool already_found(const struct cv_result *r, const char *id, const char *name)
{
	for (size_t k = 0; k < r->n_skills; k++) {
		const struct cv_skill_found *f = &r->skills[k];
		if ((id[0] && strcmp(f->id, id) == 0) || strcasecmp(f->name, name) == 0 ||
		    strcasecmp(f->as_written, name) == 0)
			return true;
	}
	return false;
}

/* True when a phrase of the tagger overlaps hit h (g->v is in text order). */
static bool tagged_at(const struct tagged *g, const struct tax_hit *h)
{
	size_t lo = 0, hi = g->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->v[mid].line < h->line)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < g->n && g->v[i].line == h->line; i++)
		if (g->v[i].off < h->off + h->len && h->off < g->v[i].off + g->v[i].len)
			return true;
	return false;
}

/* The filter's scope: every skill (1), or ESCO skills and learned vocabulary only (2). */
static bool filtered(const struct cv_taxonomy *t, int skill, int filter)
{
	const struct cv_skill *s = &t->skills[skill];
	if (filter == 2)
		return strcmp(s->type, "esco") == 0 || strncmp(s->id, "learned:", 8) == 0;
	return filter != 0;
}

/*
 * Which taxonomy candidates are listed in skills_found. Under the tagger's filter a skill is
 * listed only when a mention is in a Skills section or the tagger tagged one: a dictionary hit
 * in prose ("design", "management") is a skill only where the labelled CVs' phrases are.
 * Requirements still see every candidate. h is sorted by skill, as c was built from it.
 */
static void mark_listed(const struct cv_taxonomy *t, const struct doc *d, const struct tax_hit *h,
                        size_t n, struct tax_cand *c, const struct tagged *g, int filter)
{
	size_t k = 0;
	for (size_t i = 0; i < n; k++) {
		int skill = h[i].skill;
		bool keep = !filtered(t, skill, filter);
		for (; i < n && h[i].skill == skill; i++)
			keep = keep || d->lines[h[i].line].kind == CV_SEC_SKILLS ||
			       tagged_at(g, &h[i]);
		c[k].listed = keep;
	}
}

static int add_tagged(struct cv_result *r, const struct cv_taxonomy *t, const struct doc *d,
                      const struct tagged *g)
{
	if (!g->n)
		return 0;
	size_t room = r->n_skills + MD_MIN(g->n, (size_t)MAX_TAGGED_SKILLS) + 1;
	struct cv_skill_found *nv = md_realloc(r->skills, room * sizeof *nv);
	if (!nv)
		return MD_ENOMEM;
	r->skills = nv;
	size_t added = 0;
	for (size_t i = 0; i < g->n && added < MAX_TAGGED_SKILLS; i++) {
		/* A heading ("IT 技能", "Technical Skills") names a section, not a skill. */
		if (d->lines[g->v[i].line].heading)
			continue;
		const char *s = line_orig(d, &d->lines[g->v[i].line]) + g->v[i].off;
		size_t n = g->v[i].len;
		trim_phrase(&s, &n);
		char name[sizeof r->skills[0].name];
		if (n < 2 || n >= sizeof name || !has_letter(s, n))
			continue;
		memcpy(name, s, n);
		name[n] = '\0';
		struct cv_skill_found f = { 0 };
		int k = cv_taxonomy_lookup(t, name);
		if (k >= 0) {
			/* Human languages stay the languages section's (see put_found). */
			if (strcmp(t->skills[k].category, "languages") == 0)
				continue;
			display_name(t, k, f.name, sizeof f.name);
			copy_trunc(f.id, sizeof f.id, t->skills[k].id, strlen(t->skills[k].id));
		} else {
			memcpy(f.name, name, n + 1);
		}
		memcpy(f.as_written, name, n + 1);
		if (already_found(r, f.id, f.name))
			continue;
		r->skills[r->n_skills++] = f;
		added++;
	}
	return 0;
}

static int do_skills_tax(struct cv_result *r, const struct doc *d, const struct cv_input *in,
                         const struct tax_req *tq, size_t nq)
{
	const struct cv_taxonomy *t = in->taxonomy;
	struct tax_scan s = { .d = d };
	struct tagged tg = { 0 };
	struct stem_doc sd = { 0 };
	struct tax_cand *c = NULL;
	size_t tn, nb = 0;
	(void)cv_skill_table(&tn);
	/* The requirements' literal candidates, then the built-in extras. */
	struct skill_cand *lit = md_calloc(nq + tn + 1, sizeof *lit);
	bool *blocks = md_calloc(d->n_ranges ? d->n_ranges : 1, sizeof *blocks);
	struct cv_month_range *tmp = md_calloc(d->n_ranges ? d->n_ranges : 1, sizeof *tmp);
	int rc = MD_ENOMEM;
	if (!lit || !blocks || !tmp)
		goto out;
	if ((rc = tax_scan_doc(t, d, &s)) || (rc = report(in, "skills", 0.5)))
		goto out;
	if (t->tagger && (rc = tag_doc(t->tagger, d, &s, &tg)))
		goto out;
	md_qsort(s.v, s.n, sizeof *s.v, cmp_tax_hit);
	c = md_calloc(s.n ? s.n : 1, sizeof *c);
	rc = MD_ENOMEM;
	if (!c)
		goto out;
	size_t nc = tax_cands(d, s.v, s.n, c, blocks, tmp);
	mark_listed(t, d, s.v, s.n, c, &tg, t->tagger ? t->tagger->filter : 0);
	for (size_t i = 0; i < nq; i++) {
		double credit;
		if (tq[i].is_phrase ||
		    (tq[i].skill >= 0 && best_cand(t, tq[i].skill, c, nc, &credit) >= 0))
			continue;
		if ((rc = literal_cand(&lit[i], &tq[i])))
			goto out;
		if (lit[i].own.len || lit[i].def)
			search_cand(&lit[i], d, blocks, tmp);
	}
	rc = 0;
	for (size_t i = 0; i < nq && !rc; i++) {
		if (tq[i].is_phrase && !sd.first)
			rc = stem_doc_build(&sd, d);
		if (rc)
			break;
		if (tq[i].is_phrase)
			rc = judge_phrase(r, d, &sd, t, &tq[i], c, nc);
		else
			judge_tax(r, d, t, &tq[i], c, nc,
			          lit[i].own.len || lit[i].def ? &lit[i] : NULL);
	}
	if (rc)
		goto out;
	builtin_extra(t, d, lit + nq, &nb, blocks, tmp);
	rc = put_found(r, d, t, c, nc, lit, nq + nb);
	if (!rc) {
		list_skills(r, t, d);
		rc = add_tagged(r, t, d, &tg);
		md_qsort(r->skills, r->n_skills, sizeof *r->skills, cmp_found);
	}
out:
	md_free(tg.v);
	stem_doc_release(&sd);
	for (size_t i = 0; lit && i < nq + nb; i++)
		buf_release(&lit[i].own);
	md_free(lit);
	md_free(s.v);
	md_free(c);
	md_free(blocks);
	md_free(tmp);
	return rc;
}

/* ---- experience ---- */

static void do_experience(struct cv_result *r, const struct doc *d, const struct cv_input *in)
{
	const struct cv_requirements *req = in->req;
	if (!req->has_min_years)
		return;
	char name[96];
	snprintf(name, sizeof name, "%g+ years of experience", req->min_years);
	struct cv_req_result *q = new_req(r, CV_CAT_EXPERIENCE, "/experience/min_years", name, 1);
	size_t n_exp = 0;
	for (size_t i = 0; i < d->n_ranges; i++) {
		if (!d->ranges[i].experience)
			continue;
		n_exp++;
		add_evidence(q, d, d->ranges[i].line, 0);
	}
	if (n_exp == 0)
		set_verdict(q, CV_UNKNOWN);
	else if (r->experience_years + 1e-9 >= req->min_years)
		set_verdict(q, CV_MET);
	else if (r->experience_years + 1e-9 >= req->min_years / 2)
		set_verdict(q, CV_PARTIALLY_MET);
	else
		set_verdict(q, CV_NOT_MET);
}

/* ---- education ---- */

struct degree_kw {
	const char *kw;
	enum cv_edu_level level;
};

static const struct degree_kw degree_kws[] = {
	{ "phd", CV_EDU_DOCTORATE },
	{ "ph.d", CV_EDU_DOCTORATE },
	{ "ph. d", CV_EDU_DOCTORATE },
	{ "doctorate", CV_EDU_DOCTORATE },
	{ "doctor of", CV_EDU_DOCTORATE },
	{ "dphil", CV_EDU_DOCTORATE },
	{ "doctorat", CV_EDU_DOCTORATE },
	{ "博士", CV_EDU_DOCTORATE },
	{ "master", CV_EDU_MASTER },
	{ "masters", CV_EDU_MASTER },
	{ "msc", CV_EDU_MASTER },
	{ "m.sc", CV_EDU_MASTER },
	{ "m.s.", CV_EDU_MASTER },
	{ "mba", CV_EDU_MASTER },
	{ "m.eng", CV_EDU_MASTER },
	{ "meng", CV_EDU_MASTER },
	{ "m.a.", CV_EDU_MASTER },
	{ "m.tech", CV_EDU_MASTER },
	{ "mastère", CV_EDU_MASTER },
	{ "硕士", CV_EDU_MASTER },
	{ "bachelor", CV_EDU_BACHELOR },
	{ "bachelors", CV_EDU_BACHELOR },
	{ "bsc", CV_EDU_BACHELOR },
	{ "b.sc", CV_EDU_BACHELOR },
	{ "b.s.", CV_EDU_BACHELOR },
	{ "b.a.", CV_EDU_BACHELOR },
	{ "b.eng", CV_EDU_BACHELOR },
	{ "beng", CV_EDU_BACHELOR },
	{ "b.tech", CV_EDU_BACHELOR },
	{ "btech", CV_EDU_BACHELOR },
	{ "b.e.", CV_EDU_BACHELOR },
	{ "licence", CV_EDU_BACHELOR },
	{ "学士", CV_EDU_BACHELOR },
	{ "本科", CV_EDU_BACHELOR },
	{ "associate degree", CV_EDU_ASSOCIATE },
	{ "associate of", CV_EDU_ASSOCIATE },
	{ "associate's", CV_EDU_ASSOCIATE },
	{ "high school", CV_EDU_HIGH_SCHOOL },
	{ "secondary school", CV_EDU_HIGH_SCHOOL },
	{ "baccalauréat", CV_EDU_HIGH_SCHOOL },
	{ "a-levels", CV_EDU_HIGH_SCHOOL },
	{ "abitur", CV_EDU_HIGH_SCHOOL },
	{ "高中", CV_EDU_HIGH_SCHOOL },
};

/* The highest degree named on line l ("Scrum Master" is a role, not a degree). */
static enum cv_edu_level line_degree(const struct doc *d, const struct line *l, size_t *at)
{
	enum cv_edu_level best = CV_EDU_NONE;
	const char *t = line_fold(d, l);
	for (size_t k = 0; k < ARRAY_SIZE(degree_kws); k++) {
		size_t s, e;
		if (degree_kws[k].level <= best ||
		    !find_kw(t, l->fold_len, degree_kws[k].kw, &s, &e))
			continue;
		if (degree_kws[k].level == CV_EDU_MASTER && s >= 6 &&
		    memcmp(t + s - 6, "scrum ", 6) == 0)
			continue;
		best = degree_kws[k].level;
		*at = s;
	}
	return best;
}

static void do_education(struct cv_result *r, const struct doc *d, const struct cv_input *in)
{
	const struct cv_requirements *req = in->req;
	bool has_section = false;
	size_t best_line = 0, best_at = 0;
	for (size_t i = 0; i < d->n_lines; i++) {
		size_t at = 0;
		enum cv_edu_level lv = line_degree(d, &d->lines[i], &at);
		if (lv > r->education_level) {
			r->education_level = lv;
			best_line = i;
			best_at = at;
		}
		has_section |= d->lines[i].section == SEC_EDUCATION;
	}
	if (r->education_isced < 0 && r->education_level != CV_EDU_NONE)
		r->education_isced = cv_isced_from_level(r->education_level);
	if (cv_level_from_isced(r->education_isced) > r->education_level)
		r->education_level = cv_level_from_isced(r->education_isced);
	if (req->edu_min_level == CV_EDU_NONE && req->n_edu_fields == 0)
		return;
	char name[96];
	if (req->edu_min_level != CV_EDU_NONE)
		snprintf(name, sizeof name, "%s degree", cv_edu_level_name(req->edu_min_level));
	else
		snprintf(name, sizeof name, "degree in %s", req->edu_fields[0]);
	struct cv_req_result *q = new_req(r, CV_CAT_EDUCATION,
	                                  req->edu_min_level != CV_EDU_NONE ? "/education/min_level"
	                                                                    : "/education/fields",
	                                  name, 1);
	if (r->education_level == CV_EDU_NONE && !has_section) {
		set_verdict(q, CV_UNKNOWN);
		return;
	}
	bool level_ok = r->education_level >= req->edu_min_level;
	if (req->edu_min_level != CV_EDU_NONE)
		q->comparison = cv_edu_comparison_name(cv_education_compare(
		    r->education_isced, cv_isced_from_level(req->edu_min_level)));
	if (r->education_level != CV_EDU_NONE)
		add_evidence(q, d, best_line, best_at);
	bool field_ok = req->n_edu_fields == 0;
	for (size_t f = 0; f < req->n_edu_fields && !field_ok; f++) {
		struct buf fb;
		buf_init(&fb, 512);
		if (text_casefold(req->edu_fields[f], strlen(req->edu_fields[f]), &fb) == 0 &&
		    fb.len) {
			for (size_t i = 0; i < d->n_lines && !field_ok; i++) {
				const struct line *l = &d->lines[i];
				size_t s, e, at;
				if (l->section != SEC_EDUCATION &&
				    line_degree(d, l, &at) == CV_EDU_NONE)
					continue;
				if (find_kw(line_fold(d, l), l->fold_len, fb.data, &s, &e)) {
					field_ok = true;
					add_evidence(q, d, i, s);
				}
			}
		}
		buf_release(&fb);
	}
	if (level_ok && field_ok)
		set_verdict(q, CV_MET);
	else if (level_ok ||
	         (req->n_edu_fields && field_ok && r->education_level + 1 >= req->edu_min_level))
		set_verdict(q, CV_PARTIALLY_MET);
	else
		set_verdict(q, CV_NOT_MET);
}

/* ---- languages ---- */

struct lang_def {
	const char *names[7]; /* the first is the English display name, lower case */
};

static const struct lang_def lang_table[] = {
	{ { "english", "anglais", "englisch", "inglés", "英语", "英文" } },
	{ { "french", "français", "francais", "französisch", "francés", "法语" } },
	{ { "german", "allemand", "deutsch", "alemán", "德语" } },
	{ { "spanish", "espagnol", "español", "spanisch", "西班牙语" } },
	{ { "italian", "italien", "italiano", "italienisch" } },
	{ { "portuguese", "portugais", "português", "portugiesisch" } },
	{ { "dutch", "néerlandais", "nederlands", "niederländisch" } },
	{ { "chinese", "mandarin", "chinois", "中文", "汉语", "普通话" } },
	{ { "japanese", "japonais", "日语" } },
	{ { "korean", "coréen", "韩语" } },
	{ { "arabic", "arabe", "arabisch" } },
	{ { "russian", "russe", "russisch" } },
	{ { "hindi" } },
	{ { "polish", "polonais", "polnisch" } },
	{ { "turkish", "turc", "türkisch" } },
};

struct level_word {
	const char *w;
	enum cv_lang_level level;
};

static const struct level_word level_words[] = {
	{ "native", CV_LANG_NATIVE },
	{ "mother tongue", CV_LANG_NATIVE },
	{ "langue maternelle", CV_LANG_NATIVE },
	{ "maternelle", CV_LANG_NATIVE },
	{ "muttersprache", CV_LANG_NATIVE },
	{ "bilingual", CV_LANG_NATIVE },
	{ "bilingue", CV_LANG_NATIVE },
	{ "母语", CV_LANG_NATIVE },
	{ "c2", CV_LANG_C2 },
	{ "c1", CV_LANG_C1 },
	{ "b2", CV_LANG_B2 },
	{ "b1", CV_LANG_B1 },
	{ "a2", CV_LANG_A2 },
	{ "a1", CV_LANG_A1 },
	{ "fluent", CV_LANG_C1 },
	{ "fluency", CV_LANG_C1 },
	{ "courant", CV_LANG_C1 },
	{ "fließend", CV_LANG_C1 },
	{ "proficient", CV_LANG_C1 },
	{ "advanced", CV_LANG_C1 },
	{ "avancé", CV_LANG_C1 },
	{ "full professional", CV_LANG_C1 },
	{ "professional working", CV_LANG_B2 },
	{ "upper intermediate", CV_LANG_B2 },
	{ "upper-intermediate", CV_LANG_B2 },
	{ "intermediate", CV_LANG_B1 },
	{ "intermédiaire", CV_LANG_B1 },
	{ "conversational", CV_LANG_B1 },
	{ "elementary", CV_LANG_A2 },
	{ "basic", CV_LANG_A2 },
	{ "notions", CV_LANG_A2 },
	{ "beginner", CV_LANG_A2 },
	{ "débutant", CV_LANG_A2 },
};

/* The highest level word in text[0..n). */
static enum cv_lang_level level_in(const char *text, size_t n)
{
	enum cv_lang_level best = CV_LANG_UNSPECIFIED;
	for (size_t k = 0; k < ARRAY_SIZE(level_words); k++) {
		size_t s, e;
		if (level_words[k].level > best && find_kw(text, n, level_words[k].w, &s, &e))
			best = level_words[k].level;
	}
	return best;
}

/* The stretch after a mention up to the next list separator (or the next line if empty). */
static enum cv_lang_level level_near(const struct doc *d, size_t li, size_t end)
{
	const struct line *l = &d->lines[li];
	const char *t = line_fold(d, l);
	size_t k = end;
	while (k < l->fold_len && t[k] != ',' && t[k] != ';' && t[k] != '|' && t[k] != '/')
		k++;
	enum cv_lang_level lv = level_in(t + end, k - end);
	if (lv == CV_LANG_UNSPECIFIED && k == l->fold_len && li + 1 < d->n_lines &&
	    d->lines[li + 1].page == l->page)
		lv = level_in(line_fold(d, &d->lines[li + 1]), d->lines[li + 1].fold_len);
	return lv;
}

static void do_languages(struct cv_result *r, const struct doc *d, const struct cv_input *in)
{
	const struct cv_requirements *req = in->req;
	for (size_t i = 0; i < req->n_languages; i++) {
		const struct cv_language_req *lr = &req->languages[i];
		char id[64], label[192];
		snprintf(id, sizeof id, "/languages/%zu", i);
		struct cv_req_result *q = new_req(r, CV_CAT_LANGUAGES, id, lr->language, 1);
		if (lr->min_level != CV_LANG_UNSPECIFIED) {
			snprintf(label, sizeof label, "%s (%s)", lr->language,
			         cv_lang_level_name(lr->min_level));
			copy_trunc(q->requirement, sizeof q->requirement, label, strlen(label));
		}
		struct buf fb;
		buf_init(&fb, 256);
		const char *own[2] = { NULL, NULL };
		const char *const *names = own;
		size_t n_names = 1;
		if (text_casefold(lr->language, strlen(lr->language), &fb) == 0 && fb.len)
			own[0] = fb.data;
		for (size_t t = 0; own[0] && t < ARRAY_SIZE(lang_table); t++)
			for (size_t k = 0; k < 7 && lang_table[t].names[k]; k++)
				if (strcmp(lang_table[t].names[k], own[0]) == 0) {
					names = lang_table[t].names;
					n_names = 7;
				}
		bool found = false;
		enum cv_lang_level best = CV_LANG_UNSPECIFIED;
		for (size_t li = 0; li < d->n_lines; li++) {
			const struct line *l = &d->lines[li];
			for (size_t k = 0; k < n_names && names[k]; k++) {
				size_t s, e;
				if (!find_kw(line_fold(d, l), l->fold_len, names[k], &s, &e))
					continue;
				found = true;
				enum cv_lang_level lv = level_near(d, li, e);
				if (lv > best || q->n_evidence == 0)
					add_evidence(q, d, li, s);
				if (lv > best)
					best = lv;
			}
		}
		buf_release(&fb);
		if (!found)
			set_verdict(q, CV_NOT_MET);
		else if (lr->min_level == CV_LANG_UNSPECIFIED || best >= lr->min_level)
			set_verdict(q, CV_MET);
		else if (best == CV_LANG_UNSPECIFIED || best + 1 >= lr->min_level)
			set_verdict(q, CV_PARTIALLY_MET);
		else
			set_verdict(q, CV_NOT_MET);
	}
}

/* ---- certifications and location ---- */

/* Searches the folded form of needle over all lines; quotes up to max lines. */
static bool search_phrase(struct cv_req_result *q, const struct doc *d, const char *needle,
                          size_t max)
{
	struct buf fb;
	buf_init(&fb, 512);
	bool found = false;
	if (text_casefold(needle, strlen(needle), &fb) == 0 && fb.len) {
		for (size_t li = 0; li < d->n_lines && q->n_evidence < max; li++) {
			const struct line *l = &d->lines[li];
			size_t s, e;
			if (find_kw(line_fold(d, l), l->fold_len, fb.data, &s, &e)) {
				found = true;
				add_evidence(q, d, li, s);
			}
		}
	}
	buf_release(&fb);
	return found;
}

static void do_certifications(struct cv_result *r, const struct doc *d, const struct cv_input *in)
{
	const struct cv_requirements *req = in->req;
	for (size_t i = 0; i < req->n_certifications; i++) {
		char id[64];
		snprintf(id, sizeof id, "/certifications/%zu", i);
		struct cv_req_result *q =
		    new_req(r, CV_CAT_CERTIFICATIONS, id, req->certifications[i], 1);
		set_verdict(q,
		            search_phrase(q, d, req->certifications[i], 2) ? CV_MET : CV_NOT_MET);
	}
}

/*
 * Location: the city named in the CV is met. Otherwise, when remote work is accepted, a CV
 * that mentions remote work is met and any other is partially met (we cannot tell where the
 * candidate lives, but it matters less); when it is not, not met.
 */
static void do_location(struct cv_result *r, const struct doc *d, const struct cv_input *in)
{
	const struct cv_requirements *req = in->req;
	if (!req->has_location)
		return;
	char name[96];
	snprintf(name, sizeof name, "%s%s%s", req->city ? req->city : "",
	         req->city && req->remote_ok ? " or " : "", req->remote_ok ? "remote" : "");
	struct cv_req_result *q = new_req(r, CV_CAT_LOCATION, "/location", name, 1);
	if (req->city && search_phrase(q, d, req->city, 2)) {
		set_verdict(q, CV_MET);
		return;
	}
	if (!req->remote_ok) {
		set_verdict(q, CV_NOT_MET);
		return;
	}
	bool remote = search_phrase(q, d, "remote", 1) || search_phrase(q, d, "télétravail", 1);
	set_verdict(q, remote ? CV_MET : CV_PARTIALLY_MET);
}

/* ---- similarity ---- */

static int do_similarity(struct cv_result *r, const struct doc *d, const struct cv_input *in,
                         double *sim, bool *present)
{
	*present = false;
	if (!in->job_description || !in->job_description[0])
		return 0;
	struct buf jd, cv;
	buf_init(&jd, PAGE_TEXT_LIMIT);
	buf_init(&cv, PAGE_TEXT_LIMIT * 4);
	int rc = text_casefold(in->job_description, strlen(in->job_description), &jd);
	if (rc == MD_ELIMIT)
		rc = 0;
	for (size_t p = 0; p < d->n_pages && !rc; p++) {
		rc = buf_append(&cv, d->fold[p].data, d->fold[p].len);
		if (!rc)
			rc = buf_puts(&cv, "\n\n");
	}
	if (rc == MD_ELIMIT)
		rc = 0;
	struct cv_bm25_result b;
	if (!rc && jd.len &&
	    (rc = cv_bm25(cv.data ? cv.data : "", cv.len, jd.data, jd.len, &b)) == 0 &&
	    b.query_terms > 0) {
		*present = true;
		*sim = b.score;
		memcpy(r->similarity_terms, b.terms, sizeof b.terms);
		r->n_similarity_terms = b.n_terms;
	}
	buf_release(&jd);
	buf_release(&cv);
	return rc;
}

/* ---- what the CV says ---- */

static int do_profile(struct cv_result *r, const struct doc *d)
{
	cv_contact_extract(d->cvl, d->n_lines, &r->contact);
	for (size_t i = 0; i < d->n_lines && r->n_sections < CV_MAX_SECTIONS; i++) {
		const struct cv_line *l = &d->cvl[i];
		if (!l->heading)
			continue;
		struct cv_section_found *f = &r->sections[r->n_sections++];
		f->kind = l->section;
		f->page = l->page;
		copy_trunc(f->heading, sizeof f->heading, l->text, l->len);
	}
	size_t at;
	r->has_stated_years = cv_stated_years(d->cvl, d->n_lines, &r->stated_years, &at);
	size_t cap = d->n_lines + 1;
	r->degrees = md_calloc(cap, sizeof *r->degrees);
	r->languages = md_calloc(32, sizeof *r->languages);
	r->certifications = md_calloc(32, sizeof *r->certifications);
	if (!r->degrees || !r->languages || !r->certifications)
		return MD_ENOMEM;
	r->n_degrees =
	    cv_education_extract(d->cvl, d->n_lines, d->dated, d->n_ranges, r->degrees, cap);
	r->education_isced = -1;
	for (size_t i = 0; i < r->n_degrees; i++)
		r->education_isced = MD_MAX(r->education_isced, r->degrees[i].isced);
	r->n_languages = cv_languages_extract(d->cvl, d->n_lines, r->languages, 32);
	r->n_certifications = cv_certifications_extract(d->cvl, d->n_lines, r->certifications, 32);
	return 0;
}

/* ---- scoring and summary ---- */

const char *cv_tier_for(int score)
{
	return score >= 80 ? "strong" : score >= 65 ? "good" : score >= 45 ? "partial" : "weak";
}

const char *cv_verdict_name(enum cv_verdict v)
{
	static const char *const names[] = { "met", "partially_met", "not_met", "unknown" };
	return (unsigned)v < ARRAY_SIZE(names) ? names[v] : "unknown";
}

static void score(struct cv_result *r, const struct cv_requirements *req, double sim,
                  bool sim_present)
{
	double sum[CV_CAT_COUNT] = { 0 }, wsum[CV_CAT_COUNT] = { 0 };
	for (size_t i = 0; i < r->n_reqs; i++) {
		sum[r->reqs[i].category] += r->reqs[i].weight * r->reqs[i].score;
		wsum[r->reqs[i].category] += r->reqs[i].weight;
	}
	if (sim_present) {
		sum[CV_CAT_SIMILARITY] = sim;
		wsum[CV_CAT_SIMILARITY] = 1;
	}
	double total_w = 0, total = 0;
	for (int c = 0; c < CV_CAT_COUNT; c++) {
		struct cv_category_score *cs = &r->categories[c];
		cs->present = wsum[c] > 0;
		if (!cs->present)
			continue;
		cs->score = sum[c] / wsum[c];
		double w = req->weights[c] > 0 ? req->weights[c] : 0;
		cs->weight = w;
		total_w += w;
	}
	for (int c = 0; c < CV_CAT_COUNT; c++) {
		struct cv_category_score *cs = &r->categories[c];
		if (!cs->present)
			continue;
		cs->weight = total_w > 0 ? cs->weight / total_w : 0;
		total += cs->weight * cs->score;
	}
	/* The epsilon makes exact halves (77.5 computed as 77.4999...) round up every time. */
	long s = lround(total * 100.0 + 1e-9);
	r->score = (int)MD_MAX(0, MD_MIN(100, s));
	r->tier = cv_tier_for(r->score);
}

static void summarize(struct cv_result *r, const struct cv_requirements *req)
{
	struct buf b;
	buf_init(&b, sizeof r->summary - 1);
	static const char *const tiers[] = { "Strong", "Good", "Partial", "Weak" };
	const char *tier = r->score >= 80   ? tiers[0]
	                   : r->score >= 65 ? tiers[1]
	                   : r->score >= 45 ? tiers[2]
	                                    : tiers[3];
	size_t met = 0, missing = 0;
	for (size_t i = 0; i < r->n_reqs; i++) {
		met += r->reqs[i].verdict == CV_MET;
		missing += r->reqs[i].verdict == CV_NOT_MET;
	}
	int rc = buf_printf(&b, "%s match: %zu of %zu requirements met", tier, met, r->n_reqs);
	size_t listed = 0;
	for (size_t i = 0; i < r->n_reqs && !rc; i++) {
		if (r->reqs[i].verdict != CV_NOT_MET)
			continue;
		if (listed == 3) {
			rc = buf_printf(&b, " and %zu more", missing - listed);
			break;
		}
		rc = buf_printf(&b, "%s%s", listed ? ", " : "; missing ", r->reqs[i].name);
		listed++;
	}
	if (!rc && r->experience_years > 0)
		rc = buf_printf(&b, "; %.1f years of experience", r->experience_years);
	else if (!rc)
		rc = buf_puts(&b, "; no dated work experience found");
	if (!rc && req->has_min_years)
		rc = buf_printf(&b, " (%g required)", req->min_years);
	if (!rc)
		rc = buf_putc(&b, '.');
	/* A summary cut at the cap still ends cleanly: rc is ignored on purpose past this point. */
	copy_trunc(r->summary, sizeof r->summary, b.data ? b.data : "", b.len);
	buf_release(&b);
}

/* ---- explanation ---- */

static const struct cv_skill_req *skill_req_of(const struct cv_requirements *req, const char *id)
{
	size_t i;
	if (sscanf(id, "/skills/must_have/%zu", &i) == 1 && i < req->n_must_have)
		return &req->must_have[i];
	if (sscanf(id, "/skills/nice_to_have/%zu", &i) == 1 && i < req->n_nice_to_have)
		return &req->nice_to_have[i];
	return NULL;
}

static const struct cv_skill_found *found_skill(const struct cv_result *r, const char *name)
{
	for (size_t i = 0; i < r->n_skills; i++)
		if (strcasecmp(r->skills[i].name, name) == 0)
			return &r->skills[i];
	return NULL;
}

/* What would turn requirement q into "met", in one sentence. */
static void change_text(struct cv_req_result *q, const struct cv_result *r,
                        const struct cv_requirements *req)
{
	char *o = q->change;
	size_t cap = sizeof q->change;
	if (q->verdict == CV_MET) {
		o[0] = '\0';
		return;
	}
	if (q->words)
		return; /* judge_phrase wrote it: it knows which words were missing */
	if (q->verdict == CV_UNKNOWN) {
		snprintf(o, cap,
		         "Provide a CV with a text layer (or dates and degrees) so %s can be "
		         "checked",
		         q->name);
		return;
	}
	const struct cv_skill_req *sr;
	const struct cv_skill_found *f;
	switch (q->category) {
	case CV_CAT_SKILLS:
		sr = skill_req_of(req, q->id);
		f = found_skill(r, q->name);
		if (q->verdict == CV_PARTIALLY_MET && q->related)
			snprintf(o, cap,
			         "Name %s itself where you used it, if you did: the CV shows the "
			         "related %s",
			         q->name, q->matched);
		else if (q->verdict == CV_PARTIALLY_MET && sr && sr->min_years > 0)
			snprintf(o, cap, "Show %g years of %s in dated positions (%.1f found%s)",
			         sr->min_years, q->name, f ? f->years : 0.0,
			         f && f->years == 0 ? ": named only outside dated jobs" : "");
		else
			snprintf(o, cap,
			         "Add %s to the CV, inside the position where you used it%s",
			         q->name, sr && sr->min_years > 0 ? " with its dates" : "");
		break;
	case CV_CAT_EXPERIENCE:
		snprintf(o, cap,
		         "Show %g years of dated work experience (%.1f found); give every job "
		         "a start and end month",
		         req->min_years, r->experience_years);
		break;
	case CV_CAT_EDUCATION:
		snprintf(o, cap, "A %s degree%s%s is required (highest found: %s)",
		         cv_edu_level_name(req->edu_min_level), req->n_edu_fields ? " in " : "",
		         req->n_edu_fields ? req->edu_fields[0] : "",
		         cv_isced_name(r->education_isced));
		break;
	case CV_CAT_LANGUAGES:
		snprintf(o, cap, "State your %s level (CEFR, e.g. B2/C1) in a Languages section",
		         q->name);
		break;
	case CV_CAT_CERTIFICATIONS:
		snprintf(o, cap, "Add the %s certification, with its date", q->name);
		break;
	case CV_CAT_LOCATION:
		snprintf(o, cap, "Say where you are based%s%s%s", req->city ? " (" : "",
		         req->city ? req->city : "",
		         req->city ? ") or that you will relocate or work remotely" : "");
		break;
	default: o[0] = '\0';
	}
}

static int cmp_gain(const void *a, const void *b)
{
	const struct cv_req_result *x = *(const struct cv_req_result *const *)a;
	const struct cv_req_result *y = *(const struct cv_req_result *const *)b;
	if (x->gain != y->gain)
		return x->gain > y->gain ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void point(char (*list)[CV_POINT_MAX], size_t *n, const char *text)
{
	if (*n < CV_MAX_POINTS)
		copy_trunc(list[(*n)++], CV_POINT_MAX, text, strlen(text));
}

static void explain(struct cv_result *r, const struct cv_requirements *req, double sim,
                    bool sim_present)
{
	double wsum[CV_CAT_COUNT] = { 0 };
	for (size_t i = 0; i < r->n_reqs; i++)
		wsum[r->reqs[i].category] += r->reqs[i].weight;
	const struct cv_req_result *order[128];
	size_t n = 0;
	for (size_t i = 0; i < r->n_reqs; i++) {
		struct cv_req_result *q = &r->reqs[i];
		const struct cv_category_score *cs = &r->categories[q->category];
		q->gain =
		    cs->present && wsum[q->category] > 0
		        ? 100.0 * cs->weight * q->weight / wsum[q->category] * (1.0 - q->score)
		        : 0;
		change_text(q, r, req);
		if (n < ARRAY_SIZE(order))
			order[n++] = q;
	}
	md_qsort(order, n, sizeof *order, cmp_gain);
	char buf[CV_POINT_MAX];
	for (size_t i = 0; i < n; i++) {
		const struct cv_req_result *q = order[i];
		if (q->verdict == CV_MET || !q->change[0] || q->gain <= 0)
			continue;
		snprintf(buf, sizeof buf, "%s (up to +%.0f points)", q->change, q->gain);
		point(r->improvements, &r->n_improvements, buf);
	}
	if (sim_present && sim < 0.6) {
		snprintf(buf, sizeof buf,
		         "Describe your work with the job description's own terms "
		         "where they are true (text similarity %.0f%%)",
		         sim * 100);
		point(r->improvements, &r->n_improvements, buf);
	}
	for (size_t i = n; i-- > 0;) {
		const struct cv_req_result *q = order[i];
		if (q->verdict != CV_MET)
			continue;
		snprintf(buf, sizeof buf, "%s%s%s", q->requirement, q->n_evidence ? ": " : "",
		         q->n_evidence ? q->evidence[0].text : "");
		point(r->strengths, &r->n_strengths, buf);
	}
	if (r->experience_years > 0) {
		size_t jobs = 0;
		for (size_t i = 0; i < r->n_positions; i++)
			jobs += r->positions[i].kind == CV_POS_WORK;
		snprintf(buf, sizeof buf, "%.1f years of dated work experience (%zu position%s)",
		         r->experience_years, jobs, jobs == 1 ? "" : "s");
		point(r->strengths, &r->n_strengths, buf);
	}
	for (size_t i = 0; i < n; i++) {
		const struct cv_req_result *q = order[i];
		if (q->verdict == CV_MET)
			continue;
		snprintf(buf, sizeof buf, "%s: %s", q->requirement, cv_verdict_name(q->verdict));
		point(r->gaps, &r->n_gaps, buf);
	}
}

/* ---- entry point ---- */

void cv_result_release(struct cv_result *r)
{
	md_free(r->reqs);
	md_free(r->skills);
	md_free(r->positions);
	md_free(r->degrees);
	md_free(r->languages);
	md_free(r->certifications);
	memset(r, 0, sizeof *r);
	r->tier = "weak";
}

static void no_text_verdicts(struct cv_result *r)
{
	for (size_t i = 0; i < r->n_reqs; i++) {
		set_verdict(&r->reqs[i], CV_UNKNOWN);
		r->reqs[i].n_evidence = 0;
	}
}

static int match_input(const struct cv_input *in, struct cv_result *out)
{
	memset(out, 0, sizeof *out);
	out->tier = "weak";
	out->education_isced = -1;
	if (!in || !in->req || (in->n_pages && !in->pages))
		return MD_EINVAL;
	const struct cv_requirements *req = in->req;
	struct doc d = { 0 };
	struct tax_req *tq = NULL;
	size_t nq = req->n_must_have + req->n_nice_to_have;
	bool from_jd = false;
	int rc = in->taxonomy ? tax_reqs(in, &tq, &nq, &from_jd) : 0;
	if (rc)
		goto fail;
	out->taxonomy = in->taxonomy ? "esco-onet-linguist" : "builtin";
	out->requirements_source = from_jd ? "job_description" : nq ? "requirements" : "none";
	size_t max_reqs = nq + req->n_languages + req->n_certifications + 3;
	out->reqs = md_calloc(max_reqs, sizeof *out->reqs);
	rc = out->reqs ? 0 : MD_ENOMEM;
	if (rc || (rc = report(in, "normalize", 0)) || (rc = doc_build(&d, in)))
		goto fail;
	if ((rc = report(in, "dates", 0)) || (rc = doc_find_ranges(&d, in)) ||
	    (rc = doc_positions(&d, in, out)))
		goto fail;
	doc_blocks(&d);
	out->experience_years = cv_positions_years(out->positions, out->n_positions);
	if ((rc = do_profile(out, &d)))
		goto fail;
	if ((rc = report(in, "skills", 0)) ||
	    (rc = in->taxonomy ? do_skills_tax(out, &d, in, tq, nq) : do_skills(out, &d, in)))
		goto fail;
	if ((rc = report(in, "requirements", 0)))
		goto fail;
	do_experience(out, &d, in);
	do_education(out, &d, in);
	do_languages(out, &d, in);
	do_certifications(out, &d, in);
	do_location(out, &d, in);
	double sim = 0;
	bool sim_present = false;
	if ((rc = report(in, "similarity", 0)) ||
	    (rc = do_similarity(out, &d, in, &sim, &sim_present)))
		goto fail;
	if (d.text_chars < NO_TEXT_CHARS) {
		add_warning(out, "no text layer: the PDF has no extractable text (scanned image?)");
		no_text_verdicts(out);
		sim_present = false;
	} else if (d.n_ranges == 0) {
		add_warning(out, "no date ranges found: years of experience are unknown");
	}
	if (!in->job_description || !in->job_description[0])
		add_warning(out, "no job description: similarity not scored");
	score(out, req, sim, sim_present);
	summarize(out, req);
	explain(out, req, sim, sim_present);
	rc = report(in, "score", 1);
	if (rc)
		goto fail;
	doc_release(&d);
	md_free(tq);
	return 0;
fail:
	doc_release(&d);
	md_free(tq);
	cv_result_release(out);
	return rc;
}

/*
 * The job description gets the repairs the CV's text gets: a text pasted onto one line gets its
 * line breaks back, and a word hyphenated across a line break (text pasted from a PDF,
 * "Transaction man-\n agement") is one word again, so that neither the skills matcher, nor the
 * phrases, nor BM25 see its halves.
 */
int cv_match(const struct cv_input *in, struct cv_result *out)
{
	if (!in || !in->job_description || !in->job_description[0])
		return match_input(in, out);
	size_t len = strlen(in->job_description);
	struct buf jd;
	buf_init(&jd, len + 64);
	size_t nwords;
	const char *const *words = cv_words_builtin(&nwords);
	int rc = buf_append(&jd, in->job_description, len);
	if (!rc)
		rc = cv_repair_flat_text(&jd, NULL);
	if (!rc)
		rc = cv_repair_line_hyphens(&jd, words, nwords, NULL);
	if (!rc) {
		struct cv_input fixed = *in;
		fixed.job_description = jd.data;
		rc = match_input(&fixed, out);
	} else if (rc != MD_ENOMEM) {
		rc = match_input(in, out); /* MD_ELIMIT: match the text as it came */
	} else {
		memset(out, 0, sizeof *out);
	}
	buf_release(&jd);
	return rc;
}

/* ---- pages ---- */

void cv_pages_init(struct cv_pages *p)
{
	memset(p, 0, sizeof *p);
}

void cv_pages_release(struct cv_pages *p)
{
	for (size_t i = 0; i < p->n; i++)
		md_free(p->text[i]);
	md_free(p->text);
	cv_pages_init(p);
}

int cv_pages_add(struct cv_pages *p, const char *text, size_t len)
{
	char *copy = md_strndup(text, len);
	if (!copy)
		return MD_ENOMEM;
	char **v = md_realloc(p->text, (p->n + 1) * sizeof *v);
	if (!v) {
		md_free(copy);
		return MD_ENOMEM;
	}
	p->text = v;
	p->text[p->n++] = copy;
	return 0;
}
