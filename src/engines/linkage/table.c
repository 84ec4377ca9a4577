/* table.c: struct lk_table and its string arena (see table.h). */
#include "engines/linkage/table.h"

#include "base/common.h"

/* Blocks start small so tiny tables stay tiny, then double up to a cap. */
#define ARENA_FIRST_BLOCK (16u << 10)
#define ARENA_MAX_BLOCK (64u << 20)

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	char data[];
};

void lk_table_init(struct lk_table *t)
{
	memset(t, 0, sizeof *t);
}

void lk_table_release(struct lk_table *t)
{
	struct arena_block *b = t->arena;
	while (b) {
		struct arena_block *next = b->next;
		md_free(b);
		b = next;
	}
	md_free(t->colnames);
	md_free(t->cells);
	lk_table_init(t);
}

int lk_table_col(const struct lk_table *t, const char *name)
{
	for (size_t c = 0; c < t->ncols; c++)
		if (strcmp(t->colnames[c], name) == 0)
			return c > (size_t)INT32_MAX ? -1 : (int)c;
	return -1;
}

char *lk_table_alloc(struct lk_table *t, size_t n)
{
	struct arena_block *b = t->arena;
	if (b && b->cap - b->used >= n) {
		char *p = b->data + b->used;
		b->used += n;
		return p;
	}
	size_t cap = b ? b->cap * 2 : ARENA_FIRST_BLOCK;
	if (cap > ARENA_MAX_BLOCK)
		cap = ARENA_MAX_BLOCK;
	if (cap < n)
		cap = n;
	if (cap > SIZE_MAX - sizeof(struct arena_block))
		return NULL;
	struct arena_block *nb = md_malloc(sizeof *nb + cap);
	if (!nb)
		return NULL;
	nb->cap = cap;
	nb->used = n;
	/*
	 * A request bigger than the rest of the current block gets a new block; when the old
	 * block still has room (the request was unusually big), the new block goes second so
	 * the roomy one keeps serving small requests.
	 */
	if (b && b->cap - b->used > cap - n) {
		nb->next = b->next;
		b->next = nb;
	} else {
		nb->next = b;
		t->arena = nb;
	}
	return nb->data;
}

char *lk_table_strndup(struct lk_table *t, const char *s, size_t n)
{
	if (n == SIZE_MAX)
		return NULL;
	char *p = lk_table_alloc(t, n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int lk_table_new(struct lk_table *t, size_t ncols, size_t nrows)
{
	lk_table_release(t);
	if (ncols == 0)
		return MD_EINVAL;
	if (nrows > SIZE_MAX / sizeof(char *) / ncols)
		return MD_ENOMEM;
	size_t ncells = ncols * nrows;
	t->colnames = md_malloc(ncols * sizeof(char *));
	t->cells = md_malloc((ncells ? ncells : 1) * sizeof(char *));
	char *empty = lk_table_alloc(t, 1);
	if (!t->colnames || !t->cells || !empty) {
		lk_table_release(t);
		return MD_ENOMEM;
	}
	*empty = '\0';
	for (size_t c = 0; c < ncols; c++)
		t->colnames[c] = empty;
	for (size_t i = 0; i < ncells; i++)
		t->cells[i] = empty;
	t->ncols = ncols;
	t->nrows = nrows;
	return 0;
}

int lk_table_set(struct lk_table *t, size_t row, size_t col, const char *s, size_t n)
{
	if (row >= t->nrows || col >= t->ncols)
		return MD_EINVAL;
	char *p = lk_table_strndup(t, s, n);
	if (!p)
		return MD_ENOMEM;
	t->cells[row * t->ncols + col] = p;
	return 0;
}

int lk_table_set_colname(struct lk_table *t, size_t col, const char *s, size_t n)
{
	if (col >= t->ncols)
		return MD_EINVAL;
	char *p = lk_table_strndup(t, s, n);
	if (!p)
		return MD_ENOMEM;
	t->colnames[col] = p;
	return 0;
}
