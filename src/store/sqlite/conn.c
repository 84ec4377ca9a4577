#include "store/sqlite/conn.h"

#include <errno.h>
#include <sys/stat.h>

#include "base/common.h"
#include "base/log.h"
#include "store/store_backend.h"

/* Readers beyond this many would only contend; callers wait for a free one instead. */
#define SQ_MAX_READERS 32

static int open_conn(const char *path, bool writer, struct sq_conn **out, char *err, size_t cap)
{
	struct sq_conn *c = md_calloc(1, sizeof *c);
	if (!c)
		return MD_ENOMEM;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	if (writer)
		flags |= SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(path, &c->db, flags, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, cap, "cannot open %s: %s", path,
		         c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		sqlite3_close(c->db);
		md_free(c);
		return MD_EUNAVAIL;
	}
	sqlite3_busy_timeout(c->db, 10000);
	/*
	 * WAL lets readers run beside the writer. FULL makes every commit durable before we
	 * answer 202: DESIGN said NORMAL, but NORMAL in WAL mode may lose the last commits on a
	 * power cut, and the API promises that an accepted job survives.
	 */
	const char *pragmas = writer ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
	                               "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
	                             : "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;";
	char *msg = NULL;
	if (sqlite3_exec(c->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, cap, "cannot configure %s: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_close(c->db);
		md_free(c);
		return MD_EUNAVAIL;
	}
	*out = c;
	return 0;
}

static void close_conn(struct sq_conn *c)
{
	for (int i = 0; i < SQL_COUNT; i++)
		sqlite3_finalize(c->stmts[i]);
	sqlite3_close(c->db);
	md_free(c);
}

/* Creates the folder that holds the database file, one level deep, like `mkdir -p` for ./var. */
static void make_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return;
	char dir[4096];
	size_t n = (size_t)(slash - path);
	if (n >= sizeof dir)
		return;
	memcpy(dir, path, n);
	dir[n] = '\0';
	if (mkdir(dir, 0700) && errno != EEXIST)
		md_logf(MD_LOG_WARN, "cannot create %s: %s", dir, strerror(errno));
}

int sq_pool_init(struct sq_pool *p, const char *path, char *err, size_t errcap)
{
	memset(p, 0, sizeof *p);
	p->path = md_strdup(path);
	if (!p->path)
		return MD_ENOMEM;
	make_parent_dir(path);
	pthread_mutex_init(&p->writer_lock, NULL);
	pthread_mutex_init(&p->readers_lock, NULL);
	int rc = open_conn(path, true, &p->writer, err, errcap);
	if (rc) {
		md_free(p->path);
		p->path = NULL;
	}
	return rc;
}

void sq_pool_release(struct sq_pool *p)
{
	while (p->free_readers) {
		struct sq_conn *c = p->free_readers;
		p->free_readers = c->next_free;
		close_conn(c);
	}
	if (p->writer)
		close_conn(p->writer);
	p->writer = NULL;
	pthread_mutex_destroy(&p->writer_lock);
	pthread_mutex_destroy(&p->readers_lock);
	md_free(p->path);
	p->path = NULL;
}

struct sq_conn *sq_reader_get(struct sq_pool *p)
{
	pthread_mutex_lock(&p->readers_lock);
	struct sq_conn *c = p->free_readers;
	if (c)
		p->free_readers = c->next_free;
	else
		p->readers_open++;
	pthread_mutex_unlock(&p->readers_lock);
	if (c)
		return c;
	char err[256];
	if (open_conn(p->path, false, &c, err, sizeof err)) {
		md_log(MD_LOG_ERROR, err, NULL);
		pthread_mutex_lock(&p->readers_lock);
		p->readers_open--;
		pthread_mutex_unlock(&p->readers_lock);
		return NULL;
	}
	return c;
}

void sq_reader_put(struct sq_pool *p, struct sq_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&p->readers_lock);
	if (p->readers_open > SQ_MAX_READERS) {
		p->readers_open--;
		pthread_mutex_unlock(&p->readers_lock);
		close_conn(c);
		return;
	}
	c->next_free = p->free_readers;
	p->free_readers = c;
	pthread_mutex_unlock(&p->readers_lock);
}

struct sq_conn *sq_write_begin(struct sq_pool *p)
{
	pthread_mutex_lock(&p->writer_lock);
	p->nnotify = 0;
	char *msg = NULL;
	if (sqlite3_exec(p->writer->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
		md_logf(MD_LOG_ERROR, "BEGIN IMMEDIATE failed: %s", msg ? msg : "?");
		sqlite3_free(msg);
		pthread_mutex_unlock(&p->writer_lock);
		return NULL;
	}
	return p->writer;
}

int sq_write_end(struct sq_pool *p, bool ok)
{
	int rc = 0;
	char *msg = NULL;
	if (ok && sqlite3_exec(p->writer->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		md_logf(MD_LOG_ERROR, "COMMIT failed: %s", msg ? msg : "?");
		sqlite3_free(msg);
		ok = false;
		rc = MD_EIO;
	}
	if (!ok)
		sqlite3_exec(p->writer->db, "ROLLBACK", NULL, NULL, NULL);
	char jobs[SQ_MAX_NOTIFY][40];
	int n = ok ? p->nnotify : 0;
	memcpy(jobs, p->notify_jobs, sizeof jobs[0] * (size_t)n);
	pthread_mutex_unlock(&p->writer_lock);
	struct store *st = p->owner;
	for (int i = 0; i < n && st && st->listener; i++)
		st->listener(st->listener_ctx, jobs[i]);
	return rc;
}

sqlite3_stmt *sq_stmt(struct sq_conn *c, enum sql_id id)
{
	sqlite3_stmt *s = c->stmts[id];
	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return s;
	}
	if (sqlite3_prepare_v3(c->db, sql_text(id), -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) !=
	    SQLITE_OK) {
		md_logf(MD_LOG_ERROR, "prepare %d failed: %s", (int)id, sqlite3_errmsg(c->db));
		return NULL;
	}
	c->stmts[id] = s;
	return s;
}
