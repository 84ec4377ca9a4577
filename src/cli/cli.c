#include "cli/cli.h"

#include "base/common.h"
#include "cli/admin.h"
#include "cli/extract.h"
#include "cli/serve.h"
#include "cli/submit.h"

static void usage(void)
{
	fprintf(stderr,
	        "matchd: self-hosted asynchronous matching API server\n\n"
	        "usage: matchd COMMAND [ARGS]\n\n"
	        "  serve [--listen HOST:PORT] [--db URL] [--workers N] [--no-workers]\n"
	        "  worker [--db URL] [--workers N]\n"
	        "  workspaces create NAME [--credits N] [--rate-limit N --rate-period-ms MS "
	        "--rate-burst N]\n"
	        "  workspaces set-rate NAME --rate-limit N [--rate-period-ms MS] [--rate-burst N]\n"
	        "  keys create --workspace NAME --permissions LIST\n"
	        "  keys list | keys revoke ID\n"
	        "  credits add --workspace NAME N\n"
	        "  webhooks secret show|rotate --workspace NAME\n"
	        "  submit cv --file CV.pdf --jd JD.txt [--requirements REQ.json] [--webhook URL]\n"
	        "            [--server URL] [--key KEY] [--json]\n"
	        "  migrate\n\n"
	        "Every command takes --db URL (default sqlite:./var/matchd.db, or "
	        "MATCHD_DATABASE_URL).\n");
}

int cli_main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "__extract-pdf"))
		return cli_extract_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "serve"))
		return cli_serve(argc - 1, argv + 1, 0);
	if (!strcmp(cmd, "worker"))
		return cli_serve(argc - 1, argv + 1, 1);
	if (!strcmp(cmd, "workspaces"))
		return cli_workspaces(argc - 1, argv + 1);
	if (!strcmp(cmd, "keys"))
		return cli_keys(argc - 1, argv + 1);
	if (!strcmp(cmd, "credits"))
		return cli_credits(argc - 1, argv + 1);
	if (!strcmp(cmd, "webhooks"))
		return cli_webhooks(argc - 1, argv + 1);
	if (!strcmp(cmd, "submit"))
		return cli_submit(argc - 1, argv + 1);
	if (!strcmp(cmd, "migrate"))
		return cli_migrate(argc - 1, argv + 1);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage();
		return 0;
	}
	fprintf(stderr, "matchd: unknown command '%s'\n\n", cmd);
	usage();
	return 2;
}
