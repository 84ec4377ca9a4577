/*
 * cli.h: the command-line entry point. cli_main() dispatches on argv[1] to serve, worker,
 * workspaces, keys, credits, webhooks, submit and the hidden extraction mode.
 */
#ifndef MATCHD_CLI_CLI_H
#define MATCHD_CLI_CLI_H

int cli_main(int argc, char **argv);

#endif
