/*
 * submit.h: `matchd submit cv`, the client for humans: uploads a CV with libcurl, follows the
 * job's SSE stream with a progress bar, and prints the result (or the raw JSON with --json).
 */
#ifndef MATCHD_CLI_SUBMIT_H
#define MATCHD_CLI_SUBMIT_H

int cli_submit(int argc, char **argv);

#endif
