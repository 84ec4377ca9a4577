#include "store/postgres/pool.h"

#include "base/common.h"
#include "base/log.h"

/* Server notices ("relation exists, skipping") are chatter, not errors: debug log only. */
static void on_notice(void *arg, const char *message)
{
	md_logf(MD_LOG_DEBUG, "postgres: %s", message);
}

static PGconn *connect_db(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	if (c)
		PQsetNoticeProcessor(c, on_notice, NULL);
	return c;
}

int pg_pool_init(struct pg_pool *p, const char *conninfo, int size, char *err, size_t errcap)
{
	memset(p, 0, sizeof *p);
	p->conninfo = md_strdup(conninfo);
	p->n = size > 0 ? size : 8;
	p->conns = md_calloc((size_t)p->n, sizeof *p->conns);
	if (!p->conninfo || !p->conns) {
		md_free(p->conninfo);
		md_free(p->conns);
		return MD_ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	/* One connection now, so a wrong URL or a down server is reported at start-up. */
	p->conns[0].c = connect_db(p->conninfo);
	if (PQstatus(p->conns[0].c) != CONNECTION_OK) {
		snprintf(err, errcap, "cannot connect to PostgreSQL: %s",
		         PQerrorMessage(p->conns[0].c));
		pg_pool_release(p);
		return MD_EUNAVAIL;
	}
	return 0;
}

void pg_pool_release(struct pg_pool *p)
{
	for (int i = 0; p->conns && i < p->n; i++)
		if (p->conns[i].c)
			PQfinish(p->conns[i].c);
	md_free(p->conns);
	md_free(p->conninfo);
	p->conns = NULL;
	p->conninfo = NULL;
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
}

/* Makes sure c is connected; a reset forgets the statements prepared on the old session. */
static bool healthy(struct pg_pool *p, struct pg_conn *c)
{
	if (c->c && PQstatus(c->c) == CONNECTION_OK)
		return true;
	memset(c->prepared, 0, sizeof c->prepared);
	if (c->c)
		PQreset(c->c);
	else
		c->c = connect_db(p->conninfo);
	if (PQstatus(c->c) == CONNECTION_OK)
		return true;
	md_logf(MD_LOG_WARN, "PostgreSQL unreachable: %s", PQerrorMessage(c->c));
	return false;
}

struct pg_conn *pg_get(struct pg_pool *p)
{
	pthread_mutex_lock(&p->lock);
	struct pg_conn *c = NULL;
	for (;;) {
		for (int i = 0; i < p->n && !c; i++)
			if (!p->conns[i].in_use)
				c = &p->conns[i];
		if (c)
			break;
		pthread_cond_wait(&p->cond, &p->lock);
	}
	c->in_use = true;
	pthread_mutex_unlock(&p->lock);
	if (healthy(p, c))
		return c;
	pg_put(p, c);
	return NULL;
}

void pg_put(struct pg_pool *p, struct pg_conn *c)
{
	if (!c)
		return;
	/* A connection left inside a failed transaction is rolled back before reuse. */
	if (c->c && PQtransactionStatus(c->c) != PQTRANS_IDLE)
		PQclear(PQexec(c->c, "ROLLBACK"));
	pthread_mutex_lock(&p->lock);
	c->in_use = false;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

void pg_text(struct pg_params *p, const char *v)
{
	p->v[p->n] = v;
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

void pg_i64(struct pg_params *p, int64_t v)
{
	snprintf(p->num[p->n], sizeof p->num[p->n], "%lld", (long long)v);
	pg_text(p, p->num[p->n]);
}

void pg_f64(struct pg_params *p, double v)
{
	snprintf(p->num[p->n], sizeof p->num[p->n], "%.17g", v);
	pg_text(p, p->num[p->n]);
}

void pg_bin(struct pg_params *p, const void *v, size_t len)
{
	p->v[p->n] = v;
	p->len[p->n] = (int)len;
	p->fmt[p->n] = 1;
	p->n++;
}

static int classify(PGconn *c, const PGresult *r)
{
	if (PQstatus(c) != CONNECTION_OK)
		return MD_EUNAVAIL;
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state && !strcmp(state, "23505"))
		return MD_ECONFLICT;
	if (state && !strncmp(state, "08", 2))
		return MD_EUNAVAIL;
	return MD_EIO;
}

PGresult *pg_run(struct pg_conn *c, enum sql_id id, const struct pg_params *p, bool binary,
                 int *err)
{
	char name[16];
	snprintf(name, sizeof name, "s%d", (int)id);
	if (!c->prepared[id]) {
		PGresult *r = PQprepare(c->c, name, pg_sql_text(id), 0, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			*err = classify(c->c, r);
			md_logf(MD_LOG_ERROR, "prepare %d: %s", (int)id, PQerrorMessage(c->c));
			PQclear(r);
			return NULL;
		}
		PQclear(r);
		c->prepared[id] = true;
	}
	PGresult *r = PQexecPrepared(c->c, name, p ? p->n : 0, p ? p->v : NULL, p ? p->len : NULL,
	                             p ? p->fmt : NULL, binary ? 1 : 0);
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return r;
	*err = classify(c->c, r);
	if (*err != MD_ECONFLICT)
		md_logf(MD_LOG_ERROR, "statement %d: %s", (int)id, PQerrorMessage(c->c));
	PQclear(r);
	return NULL;
}

int pg_cmd(struct pg_conn *c, const char *sql)
{
	PGresult *r = PQexec(c->c, sql);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : classify(c->c, r);
	/* COMMIT of a transaction that failed earlier "succeeds" as a ROLLBACK: not a commit. */
	if (!rc && !strcmp(sql, "COMMIT") && strcmp(PQcmdStatus(r), "COMMIT") != 0)
		rc = MD_EIO;
	PQclear(r);
	return rc;
}

void pg_gets(const PGresult *r, int row, int col, char *dst, size_t cap)
{
	const char *v = PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
	snprintf(dst, cap, "%s", v);
}

int64_t pg_geti(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

double pg_getf(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtod(PQgetvalue(r, row, col), NULL);
}

char *pg_getdup(const PGresult *r, int row, int col, bool *oom)
{
	if (PQgetisnull(r, row, col))
		return NULL;
	char *d = md_strndup(PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
	if (!d)
		*oom = true;
	return d;
}
