/* Links from scored pairs: one_to_one (greedy) and dedupe clusters (see assign.h). */
#include "base/common.h"

#include "engines/linkage/assign.h"

static int scored_cmp(const void *a, const void *b)
{
	const struct lk_scored *x = a, *y = b;
	if (x->w != y->w)
		return x->w > y->w ? -1 : 1;
	if (x->in != y->in)
		return x->in < y->in ? -1 : 1;
	if (x->ref != y->ref)
		return x->ref < y->ref ? -1 : 1;
	return 0;
}

void lk_scored_sort(struct lk_scored *p, size_t n)
{
	md_qsort(p, n, sizeof(*p), scored_cmp);
}

int lk_assign_one_to_one(const struct lk_scored *p, size_t n, size_t n_in, size_t n_ref, bool *take)
{
	bool *used_in = md_calloc(n_in ? n_in : 1, 1), *used_ref = md_calloc(n_ref ? n_ref : 1, 1);
	if (!used_in || !used_ref) {
		md_free(used_in);
		md_free(used_ref);
		return MD_ENOMEM;
	}
	for (size_t k = 0; k < n; k++) {
		take[k] = !used_in[p[k].in] && !used_ref[p[k].ref];
		if (take[k])
			used_in[p[k].in] = used_ref[p[k].ref] = true;
	}
	md_free(used_in);
	md_free(used_ref);
	return 0;
}

static size_t uf_find(size_t *parent, size_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

int lk_clusters(const struct lk_scored *p, size_t n, size_t nrows, size_t *cluster)
{
	for (size_t r = 0; r < nrows; r++)
		cluster[r] = r;
	for (size_t k = 0; k < n; k++) {
		size_t a = uf_find(cluster, p[k].in), b = uf_find(cluster, p[k].ref);
		/* The smaller root wins, so every root is its component's smallest row. */
		if (a < b)
			cluster[b] = a;
		else if (b < a)
			cluster[a] = b;
	}
	for (size_t r = 0; r < nrows; r++)
		cluster[r] = uf_find(cluster, r);
	return 0;
}

/* Scratch of lk_clusters_guarded, one entry per row. */
struct guard {
	size_t *parent, *size, *edges;
	double *minw;
	uint32_t *stamp;
};

static void guard_release(struct guard *g)
{
	md_free(g->parent);
	md_free(g->size);
	md_free(g->edges);
	md_free(g->minw);
	md_free(g->stamp);
}

static void uf_union(size_t *parent, size_t a, size_t b)
{
	a = uf_find(parent, a);
	b = uf_find(parent, b);
	if (a < b)
		parent[b] = a;
	else if (b < a)
		parent[a] = b;
}

int lk_clusters_guarded(const struct lk_scored *p, size_t n, size_t nrows, double min_density,
                        double step, size_t *cluster)
{
	struct guard g = { md_malloc((nrows + 1) * sizeof(size_t)),
		           md_malloc((nrows + 1) * sizeof(size_t)),
		           md_malloc((nrows + 1) * sizeof(size_t)),
		           md_malloc((nrows + 1) * sizeof(double)),
		           md_calloc(nrows + 1, sizeof(uint32_t)) };
	/* The links still in play (indices into p), and the next round's. */
	size_t *cur = md_malloc((n + 1) * sizeof(size_t)),
	       *next = md_malloc((n + 1) * sizeof(size_t));
	int rc = MD_ENOMEM;
	if (!g.parent || !g.size || !g.edges || !g.minw || !g.stamp || !cur || !next)
		goto out;
	for (size_t r = 0; r < nrows; r++)
		cluster[r] = r;
	size_t ncur = n;
	for (size_t k = 0; k < n; k++)
		cur[k] = k;
	for (uint32_t round = 1; ncur > 0; round++) {
		/* Components of this round's links; their rows were singletons until now. */
		for (size_t k = 0; k < ncur; k++) {
			const struct lk_scored *e = &p[cur[k]];
			size_t v[2] = { e->in, e->ref };
			for (int s = 0; s < 2; s++) {
				if (g.stamp[v[s]] == round)
					continue;
				g.stamp[v[s]] = round;
				g.parent[v[s]] = v[s];
				g.size[v[s]] = g.edges[v[s]] = 0;
				g.minw[v[s]] = e->w;
			}
		}
		for (size_t k = 0; k < ncur; k++)
			uf_union(g.parent, p[cur[k]].in, p[cur[k]].ref);
		for (size_t k = 0; k < ncur; k++) {
			const struct lk_scored *e = &p[cur[k]];
			size_t r = uf_find(g.parent, e->in);
			g.edges[r]++;
			if (e->w < g.minw[r])
				g.minw[r] = e->w;
			/* Count each row once: the stamp moves on when it is counted. */
			if (g.stamp[e->in] == round) {
				g.stamp[e->in] = round + 1;
				g.size[r]++;
			}
			if (g.stamp[e->ref] == round) {
				g.stamp[e->ref] = round + 1;
				g.size[r]++;
			}
		}
		round++;
		size_t nnext = 0;
		for (size_t k = 0; k < ncur; k++) {
			const struct lk_scored *e = &p[cur[k]];
			size_t r = uf_find(g.parent, e->in);
			double s = (double)g.size[r];
			bool sparse = s >= 3 && (double)g.edges[r] < min_density * s * (s - 1) / 2;
			if (!sparse) {
				cluster[e->in] = cluster[e->ref] = r;
				continue;
			}
			/* Dropped rows fall back to singletons unless a later round places them. */
			cluster[e->in] = e->in;
			cluster[e->ref] = e->ref;
			if (e->w >= g.minw[r] + step)
				next[nnext++] = cur[k];
		}
		size_t *t = cur;
		cur = next;
		next = t;
		ncur = nnext;
	}
	rc = 0;
out:
	guard_release(&g);
	md_free(cur);
	md_free(next);
	return rc;
}
