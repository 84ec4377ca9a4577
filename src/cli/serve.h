/*
 * serve.h: `matchd serve` (HTTP API, and workers unless --no-workers) and `matchd worker`
 * (workers only). Both run until SIGTERM or SIGINT, then stop gracefully.
 */
#ifndef MATCHD_CLI_SERVE_H
#define MATCHD_CLI_SERVE_H

int cli_serve(int argc, char **argv, int workers_only);

#endif
