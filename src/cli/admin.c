#include "cli/admin.h"

#include "base/common.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "platform/auth.h"
#include "platform/webhook_sign.h"
#include "store/store.h"

const char *cli_flag(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], name, n) != 0)
			continue;
		if (argv[i][n] == '=')
			return argv[i] + n + 1;
		if (argv[i][n] == '\0' && i + 1 < argc)
			return argv[i + 1];
	}
	return NULL;
}

bool cli_has(int argc, char **argv, const char *name)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

const char *cli_db_url(int argc, char **argv)
{
	const char *v = cli_flag(argc, argv, "--db");
	if (!v)
		v = getenv("MATCHD_DATABASE_URL");
	return v && *v ? v : "sqlite:./var/matchd.db";
}

static struct store *open_store(int argc, char **argv)
{
	char err[512];
	struct store *st = NULL;
	md_log_set_level(MD_LOG_WARN);
	if (store_open(cli_db_url(argc, argv), &st, err, sizeof err)) {
		fprintf(stderr, "matchd: %s\n", err);
		return NULL;
	}
	return st;
}

/* Parses a non-negative integer argument; -1 when it is not one. */
static long long parse_count(const char *s)
{
	if (!s)
		return -1;
	char *end;
	long long v = strtoll(s, &end, 10);
	return *end || end == s || v < 0 ? -1 : v;
}

static int workspace_create(int argc, char **argv)
{
	if (argc < 3 || argv[2][0] == '-') {
		fprintf(stderr, "usage: matchd workspaces create NAME [--credits N] "
		                "[--rate-limit N --rate-period-ms MS --rate-burst N]\n");
		return 2;
	}
	const char *name = argv[2];
	long long credits =
	    cli_flag(argc, argv, "--credits") ? parse_count(cli_flag(argc, argv, "--credits")) : 0;
	if (credits < 0 || strlen(name) >= 128) {
		fprintf(stderr, "matchd: --credits must be a non-negative integer and NAME "
		                "shorter than 128 bytes\n");
		return 2;
	}
	struct store *st = open_store(argc, argv);
	if (!st)
		return 1;
	char secret[WEBHOOK_SECRET_LEN];
	struct store_workspace ws;
	int rc = webhook_secret_new(secret, sizeof secret);
	if (!rc)
		rc = store_workspace_create(st, name, credits, secret, &ws);
	if (!rc && cli_flag(argc, argv, "--rate-limit")) {
		long long lim = parse_count(cli_flag(argc, argv, "--rate-limit"));
		long long per = parse_count(cli_flag(argc, argv, "--rate-period-ms"));
		long long burst = parse_count(cli_flag(argc, argv, "--rate-burst"));
		rc = store_workspace_set_rate(st, ws.id, lim > 0 ? lim : 600, per > 0 ? per : 60000,
		                              burst > 0 ? burst : (lim > 0 ? lim : 60));
	}
	if (rc == MD_ECONFLICT)
		fprintf(stderr, "matchd: a workspace named %s exists already\n", name);
	else if (rc)
		fprintf(stderr, "matchd: cannot create the workspace: %s\n", md_strerror(rc));
	else
		printf("workspace %s created (id %s, %lld credits)\n", name, ws.id, credits);
	store_free(st);
	return rc ? 1 : 0;
}

static int workspace_set_rate(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: matchd workspaces set-rate NAME --rate-limit N "
		                "[--rate-period-ms MS] [--rate-burst N]\n");
		return 2;
	}
	long long lim = parse_count(cli_flag(argc, argv, "--rate-limit"));
	long long per = cli_flag(argc, argv, "--rate-period-ms")
	                    ? parse_count(cli_flag(argc, argv, "--rate-period-ms"))
	                    : 60000;
	long long burst = cli_flag(argc, argv, "--rate-burst")
	                      ? parse_count(cli_flag(argc, argv, "--rate-burst"))
	                      : lim;
	if (lim <= 0 || per <= 0 || burst <= 0) {
		fprintf(stderr, "matchd: rates must be positive integers\n");
		return 2;
	}
	struct store *st = open_store(argc, argv);
	if (!st)
		return 1;
	struct store_workspace ws;
	int rc = store_workspace_get(st, argv[2], true, &ws);
	if (!rc)
		rc = store_workspace_set_rate(st, ws.id, lim, per, burst);
	if (rc)
		fprintf(stderr, "matchd: %s: %s\n", argv[2], md_strerror(rc));
	else
		printf("workspace %s: %lld requests per %lld ms, burst %lld\n", argv[2], lim, per,
		       burst);
	store_free(st);
	return rc ? 1 : 0;
}

int cli_workspaces(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "create"))
		return workspace_create(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "set-rate"))
		return workspace_set_rate(argc, argv);
	fprintf(stderr, "usage: matchd workspaces create|set-rate ...\n");
	return 2;
}

static int key_create(int argc, char **argv)
{
	const char *wsname = cli_flag(argc, argv, "--workspace");
	const char *perms = cli_flag(argc, argv, "--permissions");
	if (!wsname || !perms) {
		fprintf(stderr,
		        "usage: matchd keys create --workspace NAME --permissions LIST "
		        "[--credits N]\n  LIST: comma-separated cvdeepmatch, linkage, media, "
		        "reports, matching, talent, admin, or all\n");
		return 2;
	}
	uint32_t bits;
	char bad[80];
	if (auth_parse_permissions(perms, &bits, bad, sizeof bad)) {
		fprintf(stderr, "matchd: unknown permission '%s'\n", bad);
		return 2;
	}
	struct store *st = open_store(argc, argv);
	if (!st)
		return 1;
	struct store_workspace ws;
	int rc = store_workspace_get(st, wsname, true, &ws);
	if (rc == MD_ENOTFOUND && cli_flag(argc, argv, "--credits")) {
		/* DESIGN's one-step form: keys create --credits N creates the workspace too. */
		char secret[WEBHOOK_SECRET_LEN];
		long long credits = parse_count(cli_flag(argc, argv, "--credits"));
		rc = webhook_secret_new(secret, sizeof secret);
		if (!rc)
			rc = store_workspace_create(st, wsname, credits > 0 ? credits : 0, secret,
			                            &ws);
	}
	if (rc) {
		fprintf(stderr,
		        "matchd: workspace %s: %s (create it with `matchd workspaces "
		        "create %s`)\n",
		        wsname, md_strerror(rc), wsname);
		store_free(st);
		return 1;
	}
	char text[AUTH_KEY_TEXT_LEN];
	struct store_key k;
	rc = auth_key_create(st, ws.id, bits, text, &k);
	store_free(st);
	if (rc) {
		fprintf(stderr, "matchd: cannot create the key: %s\n", md_strerror(rc));
		return 1;
	}
	char names[128];
	auth_format_permissions(bits, names, sizeof names);
	printf("key %s for workspace %s, permissions %s\n", k.id, wsname, names);
	printf("this key is shown once; store it now:\n");
	printf("%s\n", text);
	return 0;
}

static int print_key(void *ctx, const struct store_key *k)
{
	char names[128], ts[MD_TS_LEN];
	auth_format_permissions(k->permissions, names, sizeof names);
	md_format_ts(k->created_at, ts);
	printf("%s  %-16s  %s…  %-8s  %s  %s\n", k->id, k->workspace_name, k->prefix,
	       k->revoked_at ? "revoked" : "active", ts, names);
	return 0;
}

int cli_keys(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "create"))
		return key_create(argc, argv);
	if (argc >= 2 && (!strcmp(argv[1], "list") || !strcmp(argv[1], "revoke"))) {
		bool revoke = !strcmp(argv[1], "revoke");
		if (revoke && (argc < 3 || argv[2][0] == '-')) {
			fprintf(stderr, "usage: matchd keys revoke ID\n");
			return 2;
		}
		struct store *st = open_store(argc, argv);
		if (!st)
			return 1;
		int rc =
		    revoke ? store_key_revoke(st, argv[2]) : store_key_list(st, print_key, NULL);
		store_free(st);
		if (rc == MD_ENOTFOUND)
			fprintf(stderr, "matchd: no active key with id %s\n", argv[2]);
		else if (rc)
			fprintf(stderr, "matchd: %s\n", md_strerror(rc));
		else if (revoke)
			printf("key %s revoked\n", argv[2]);
		return rc ? 1 : 0;
	}
	fprintf(stderr, "usage: matchd keys create|list|revoke ...\n");
	return 2;
}

/* The first argument after index `from` that is neither a --flag nor a flag's value. */
static const char *positional(int argc, char **argv, int from)
{
	for (int i = from; i < argc; i++) {
		if (!strncmp(argv[i], "--", 2)) {
			if (!strchr(argv[i], '='))
				i++; /* skip the flag's value */
			continue;
		}
		return argv[i];
	}
	return NULL;
}

int cli_credits(int argc, char **argv)
{
	const char *wsname = cli_flag(argc, argv, "--workspace");
	long long n = parse_count(positional(argc, argv, 2));
	if (argc < 2 || strcmp(argv[1], "add") || !wsname || n <= 0) {
		fprintf(stderr, "usage: matchd credits add --workspace NAME N\n");
		return 2;
	}
	struct store *st = open_store(argc, argv);
	if (!st)
		return 1;
	struct store_workspace ws;
	int64_t balance = 0;
	int rc = store_workspace_get(st, wsname, true, &ws);
	if (!rc)
		rc = store_credits_add(st, ws.id, n, "grant");
	if (!rc)
		rc = store_credits_balance(st, ws.id, &balance);
	store_free(st);
	if (rc) {
		fprintf(stderr, "matchd: workspace %s: %s\n", wsname, md_strerror(rc));
		return 1;
	}
	printf("added %lld credits to %s; balance %lld\n", n, wsname, (long long)balance);
	return 0;
}

int cli_webhooks(int argc, char **argv)
{
	const char *wsname = cli_flag(argc, argv, "--workspace");
	bool rotate = argc >= 3 && !strcmp(argv[1], "secret") && !strcmp(argv[2], "rotate");
	bool show = argc >= 3 && !strcmp(argv[1], "secret") && !strcmp(argv[2], "show");
	if ((!rotate && !show) || !wsname) {
		fprintf(stderr, "usage: matchd webhooks secret show|rotate --workspace NAME\n");
		return 2;
	}
	struct store *st = open_store(argc, argv);
	if (!st)
		return 1;
	struct store_workspace ws;
	int rc = store_workspace_get(st, wsname, true, &ws);
	char secret[WEBHOOK_SECRET_LEN];
	if (!rc && rotate) {
		rc = webhook_secret_new(secret, sizeof secret);
		if (!rc)
			rc = store_workspace_rotate_secret(st, ws.id, secret,
			                                   md_now_ms() + 24LL * 3600 * 1000);
		if (!rc)
			rc = store_workspace_get(st, wsname, true, &ws);
	}
	store_free(st);
	if (rc) {
		fprintf(stderr, "matchd: workspace %s: %s\n", wsname, md_strerror(rc));
		return 1;
	}
	if (rotate && ws.webhook_secret_prev[0])
		printf("previous secret still signs for 24 h: %s\n", ws.webhook_secret_prev);
	printf("%s\n", ws.webhook_secret);
	return 0;
}

int cli_migrate(int argc, char **argv)
{
	struct store *st = open_store(argc, argv);
	if (!st)
		return 1;
	int v = 0;
	int rc = store_ping(st, &v);
	store_free(st);
	printf("schema version %d%s\n", v, rc ? " (not up to date)" : "");
	return rc ? 1 : 0;
}
