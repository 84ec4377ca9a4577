/*
 * wh_server.h: a throwaway https webhook receiver for the delivery tests.
 *
 * wh_server_start() makes a temporary folder, has the openssl CLI write a self-signed
 * certificate for localhost/127.0.0.1 into it (the test passes it as the CA file), and runs a
 * small python3 http.server behind ssl on a free port of 127.0.0.1. The receiver answers POSTs
 * by path: /status/<code> with that code (3xx with a Location back to /status/200), /sleep
 * after 5 s, /big with 100 000 bytes, /echo with the request headers and body it saw. The child
 * dies with the test process (PR_SET_PDEATHSIG), so a failed assertion leaves no server behind.
 */
#ifndef MATCHD_TESTS_WH_SERVER_H
#define MATCHD_TESTS_WH_SERVER_H

#include <sys/types.h>

struct wh_server {
	char dir[64];
	char ca_file[96];
	int port;
	pid_t pid;
};

/* Returns 0 when the receiver is up, 1 when openssl or python3 is unavailable, -1 on failure. */
int wh_server_start(struct wh_server *s);
/* Stops the receiver and removes its folder. */
void wh_server_stop(struct wh_server *s);
/* A local TCP port that nothing listens on (bound, then closed). */
int wh_closed_port(void);

#endif
