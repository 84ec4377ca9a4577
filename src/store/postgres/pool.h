/*
 * pool.h: libpq connections of the PostgreSQL backend. A fixed-size pool hands out one
 * connection per operation; each connection prepares a statement the first time it runs it.
 * A broken connection is reset on its next checkout; when the server cannot be reached the
 * checkout fails with MD_EUNAVAIL, which the API turns into a 503 with Retry-After.
 *
 * Parameters travel as text (struct pg_params), results come back as text and are read with
 * the pg_get* helpers; the one binary column (blob data) is fetched in binary format.
 */
#ifndef MATCHD_STORE_POSTGRES_POOL_H
#define MATCHD_STORE_POSTGRES_POOL_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/sql.h"

#define PG_MAX_PARAMS 12

struct pg_conn {
	PGconn *c;
	bool prepared[SQL_COUNT];
	bool in_use;
};

struct pg_pool {
	char *conninfo;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int n;
	struct pg_conn *conns;
};

struct pg_params {
	const char *v[PG_MAX_PARAMS];
	int len[PG_MAX_PARAMS];
	int fmt[PG_MAX_PARAMS];
	char num[PG_MAX_PARAMS][32];
	int n;
};

int pg_pool_init(struct pg_pool *p, const char *conninfo, int size, char *err, size_t errcap);
void pg_pool_release(struct pg_pool *p);
/* Borrows a healthy connection (waiting for a free one); NULL when the server is unreachable. */
struct pg_conn *pg_get(struct pg_pool *p);
void pg_put(struct pg_pool *p, struct pg_conn *c);

void pg_text(struct pg_params *p, const char *v); /* NULL: SQL NULL */
void pg_i64(struct pg_params *p, int64_t v);
void pg_f64(struct pg_params *p, double v);
void pg_bin(struct pg_params *p, const void *v, size_t len);

/*
 * Runs prepared statement id. Returns the result (PQclear it) or NULL on failure, with *err set
 * to MD_ECONFLICT for a unique violation, MD_EUNAVAIL when the connection broke, else MD_EIO.
 */
PGresult *pg_run(struct pg_conn *c, enum sql_id id, const struct pg_params *p, bool binary,
                 int *err);
/* Runs a plain command (BEGIN, COMMIT, ROLLBACK); 0 or a negative code. */
int pg_cmd(struct pg_conn *c, const char *sql);

void pg_gets(const PGresult *r, int row, int col, char *dst, size_t cap);
int64_t pg_geti(const PGresult *r, int row, int col);
double pg_getf(const PGresult *r, int row, int col);
/* A heap copy, or NULL for SQL NULL; *oom set when the copy failed. */
char *pg_getdup(const PGresult *r, int row, int col, bool *oom);

#endif
