/* store_fixture.c: see store_fixture.h. */
#include "store_fixture.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/timeutil.h"

static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[512];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* Creates an empty database named after the folder and points f->url at it. */
static void pg_database(struct store_fixture *f, const char *tag, const char *pg)
{
	char name[64], sql[128];
	snprintf(name, sizeof name, "%s_%s", tag, strrchr(f->dir, '-') + 1);
	for (char *c = name; *c; c++)
		*c = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
	PGconn *c = PQconnectdb(pg);
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	PGresult *r = PQexec(c, sql);
	cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	const char *slash = strrchr(pg, '/');
	snprintf(f->url, sizeof f->url, "%.*s/%s", (int)(slash - pg), pg, name);
}

void store_fixture_open(struct store_fixture *f, const char *tag)
{
	memset(f, 0, sizeof *f);
	md_log_set_level(MD_LOG_OFF);
	snprintf(f->dir, sizeof f->dir, "/tmp/matchd-%s-XXXXXX", tag);
	cr_assert_not_null(mkdtemp(f->dir), "mkdtemp failed");
	snprintf(f->url, sizeof f->url, "sqlite:%s/t.db", f->dir);
	const char *pg = getenv("MATCHD_TEST_PG_URL");
	if (pg && *pg)
		pg_database(f, tag, pg);
	char err[256] = "";
	int rc = store_open(f->url, &f->st, err, sizeof err);
	cr_assert_eq(rc, 0, "store_open: %d %s", rc, err);
	cr_assert_eq(store_workspace_create(f->st, "alpha", 1000, "whsec_alpha", &f->ws), 0);
	cr_assert_eq(store_workspace_create(f->st, "beta", 0, "whsec_beta", &f->ws2), 0);
	f->t0 = md_now_ms();
}

void store_fixture_close(struct store_fixture *f)
{
	store_free(f->st);
	f->st = NULL;
	rm_dir(f->dir);
}
