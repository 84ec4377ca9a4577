/*
 * admin.h: the administration commands that talk to the store directly: workspaces, API keys,
 * credits and webhook secrets. They run on the machine that holds the database (or reaches
 * it), so they need no API key.
 */
#ifndef MATCHD_CLI_ADMIN_H
#define MATCHD_CLI_ADMIN_H

#include <stdbool.h>

int cli_workspaces(int argc, char **argv);
int cli_keys(int argc, char **argv);
int cli_credits(int argc, char **argv);
int cli_webhooks(int argc, char **argv);
int cli_migrate(int argc, char **argv);

/* Finds "--name VALUE" or "--name=VALUE" in argv; NULL when absent. */
const char *cli_flag(int argc, char **argv, const char *name);
/* True when "--name" is present. */
bool cli_has(int argc, char **argv, const char *name);
/* The database URL: --db, else MATCHD_DATABASE_URL, else the default. */
const char *cli_db_url(int argc, char **argv);

#endif
