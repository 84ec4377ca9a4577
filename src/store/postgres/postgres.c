/*
 * postgres.c: the PostgreSQL backend of store.h. NEEDSWORK: being written (issue 4); until
 * then a postgres:// URL is refused with a clear message.
 */
#include "store/store_backend.h"

#include "base/common.h"

int store_postgres_open(const char *url, struct store **out, char *err, size_t errcap)
{
	snprintf(err, errcap, "the PostgreSQL backend is not available in this build");
	return MD_EINVAL;
}
