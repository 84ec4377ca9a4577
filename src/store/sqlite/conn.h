/*
 * conn.h: SQLite connections of the store: one writer (all writes are serialised through it,
 * which is how SQLite works best) and a pool of readers (WAL lets them read while the writer
 * writes). Each connection caches its prepared statements by id, so a hot read such as
 * "get job by id" costs one sqlite3_step and no parsing.
 *
 * The statement texts live in sql.c: this file only owns connections, the cache and the
 * writer lock.
 */
#ifndef MATCHD_STORE_SQLITE_CONN_H
#define MATCHD_STORE_SQLITE_CONN_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "store/sql.h"

/* A claim can give up to 16 dead jobs and take one more in one transaction. */
#define SQ_MAX_NOTIFY 20

struct sq_conn {
	sqlite3 *db;
	sqlite3_stmt *stmts[SQL_COUNT];
	struct sq_conn *next_free;
};

struct sq_pool {
	char *path;
	struct sq_conn *writer;
	pthread_mutex_t writer_lock;
	pthread_mutex_t readers_lock;
	struct sq_conn *free_readers;
	int readers_open;
	/* The jobs whose events/state changed in the current write transaction, for the listener. */
	char notify_jobs[SQ_MAX_NOTIFY][40];
	int nnotify;
	struct store *owner; /* whose listener hears about commits */
};

/* Opens the writer (creating the file and its folder), sets WAL, FULL sync and busy timeout. */
int sq_pool_init(struct sq_pool *p, const char *path, char *err, size_t errcap);
/* Closes every connection; no connection may be in use. */
void sq_pool_release(struct sq_pool *p);

/* Borrows a reader connection (opening one if none is free) and gives it back. */
struct sq_conn *sq_reader_get(struct sq_pool *p);
void sq_reader_put(struct sq_pool *p, struct sq_conn *c);

/* Locks the writer and begins an IMMEDIATE transaction; returns the writer or NULL. */
struct sq_conn *sq_write_begin(struct sq_pool *p);
/* Commits (ok) or rolls back, unlocks, then tells the listener. Returns 0 or MD_EIO. */
int sq_write_end(struct sq_pool *p, bool ok);

/* Returns the cached prepared statement, reset and unbound, or NULL (logged). */
sqlite3_stmt *sq_stmt(struct sq_conn *c, enum sql_id id);

#endif
