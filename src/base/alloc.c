#include "base/alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

/* Negative: injection disabled. Otherwise the number of allocations still allowed. */
static atomic_long fail_after = -1;

static int should_fail(void)
{
	long n = atomic_load_explicit(&fail_after, memory_order_relaxed);
	if (n < 0)
		return 0;
	if (n == 0)
		return 1;
	atomic_fetch_sub(&fail_after, 1);
	return 0;
}

void md_alloc_fail_after(long n)
{
	atomic_store(&fail_after, n);
}

void *md_malloc(size_t n)
{
	if (should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *md_calloc(size_t count, size_t size)
{
	if (should_fail())
		return NULL;
	return calloc(count ? count : 1, size ? size : 1);
}

void *md_realloc(void *p, size_t n)
{
	if (should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

int md_grow(void *pv, size_t *cap, size_t elem, size_t first)
{
	size_t nc = *cap ? *cap * 2 : first;
	if (nc <= *cap || elem == 0 || nc > SIZE_MAX / elem)
		return MD_ENOMEM;
	void *p; /* *pv is a T *: copied through memcpy, not read as a void * */
	memcpy(&p, pv, sizeof p);
	void *np = md_realloc(p, nc * elem);
	if (!np)
		return MD_ENOMEM;
	memcpy(pv, &np, sizeof np);
	*cap = nc;
	return 0;
}

void md_free(void *p)
{
	free(p);
}

char *md_strndup(const char *s, size_t n)
{
	char *d = md_malloc(n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *md_strdup(const char *s)
{
	return md_strndup(s, strlen(s));
}
