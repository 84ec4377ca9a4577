#include "cli/serve.h"

#include <signal.h>

#include "api/api.h"
#include "base/common.h"
#include "base/log.h"
#include "cli/admin.h"

static void print_usage(void)
{
	fprintf(stderr,
	        "usage: matchd serve [--listen HOST:PORT] [--db URL] [--workers N] [--no-workers]\n"
	        "       matchd worker [--db URL] [--workers N]\n");
}

int cli_serve(int argc, char **argv, int workers_only)
{
	struct app *a = md_calloc(1, sizeof *a);
	if (!a)
		return 1;
	app_config_defaults(&a->cfg);
	app_config_from_env(&a->cfg);
	const char *v;
	if ((v = cli_flag(argc, argv, "--listen")))
		snprintf(a->cfg.listen, sizeof a->cfg.listen, "%s", v);
	if ((v = cli_flag(argc, argv, "--db")))
		snprintf(a->cfg.db_url, sizeof a->cfg.db_url, "%s", v);
	if ((v = cli_flag(argc, argv, "--workers"))) {
		char *end;
		long n = strtol(v, &end, 10);
		if (*end || n < 1 || n > 256) {
			print_usage();
			md_free(a);
			return 2;
		}
		a->cfg.workers = (int)n;
	}
	a->cfg.no_workers = cli_has(argc, argv, "--no-workers");
	a->cfg.no_http = workers_only;

	/* Block the stop signals in every thread; this one waits for them with sigwait. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	char err[512] = "";
	int rc = app_start(a, err, sizeof err);
	if (rc) {
		fprintf(stderr, "matchd: %s\n", err[0] ? err : md_strerror(rc));
		app_stop(a);
		md_free(a);
		return 1;
	}
	if (a->http)
		md_logf(MD_LOG_INFO, "listening on %s (port %u), database %s, %d workers%s",
		        a->cfg.listen, http_server_port(a->http), a->cfg.db_url,
		        a->cfg.no_workers ? 0 : a->cfg.workers,
		        a->cfg.no_workers ? " (API only)" : "");
	else
		md_logf(MD_LOG_INFO, "worker node: database %s, %d workers", a->cfg.db_url,
		        a->cfg.workers);
	int sig = 0;
	sigwait(&set, &sig);
	md_logf(MD_LOG_INFO, "signal %d: stopping gracefully", sig);
	app_stop(a);
	md_free(a);
	md_log(MD_LOG_INFO, "stopped", NULL);
	return 0;
}
