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
