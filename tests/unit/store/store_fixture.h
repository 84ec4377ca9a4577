/*
 * store_fixture.h: a fresh store for a store test suite: a temporary folder with a SQLite
 * database, or, when MATCHD_TEST_PG_URL is set, a new PostgreSQL database named after that
 * folder; two workspaces ("alpha" with 1000 credits, "beta" with none) and the time it began.
 */
#ifndef MATCHD_TESTS_STORE_FIXTURE_H
#define MATCHD_TESTS_STORE_FIXTURE_H

#include <stdint.h>

#include "store/store.h"

struct store_fixture {
	char dir[64];
	char url[512]; /* sqlite:<dir>/t.db or the PostgreSQL database's URL */
	struct store *st;
	struct store_workspace ws, ws2;
	int64_t t0;
};

/* Opens the store; tag (a few lower-case letters) names the folder and the database. */
void store_fixture_open(struct store_fixture *f, const char *tag);
void store_fixture_close(struct store_fixture *f);

#endif
