/*
 * test_auth.c: permission lists, key hashing, and authentication against a temporary store
 * (valid, wrong, short and revoked keys; the cache).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <unistd.h>

#include "base/common.h"
#include "base/log.h"
#include "platform/auth.h"
#include "store/store.h"

Test(auth_perms, parse_table)
{
	static const struct {
		const char *in;
		int rc;
		uint32_t want;
		const char *bad;
	} cases[] = {
		{ "all", 0, PERM_ALL, NULL },
		{ "cvdeepmatch", 0, PERM_CVDEEPMATCH, NULL },
		{ "cvdeepmatch,admin", 0, PERM_CVDEEPMATCH | PERM_ADMIN, NULL },
		{ " media , reports ", 0, PERM_MEDIA | PERM_REPORTS, NULL },
		{ "linkage,matching,talent", 0, PERM_LINKAGE | PERM_MATCHING | PERM_TALENT, NULL },
		{ "all,admin", 0, PERM_ALL, NULL },
		{ "admin,admin", 0, PERM_ADMIN, NULL },
		{ "cvdeepmatch,foo", MD_EINVAL, 0, "foo" },
		{ "superuser", MD_EINVAL, 0, "superuser" },
		{ "Admin", MD_EINVAL, 0, "Admin" },
		{ "", MD_EINVAL, 0, "(empty)" },
		{ "   ", MD_EINVAL, 0, NULL },
		{ ",admin", MD_EINVAL, 0, NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t got = 0xdead;
		char bad[80] = "";
		int rc = auth_parse_permissions(cases[i].in, &got, bad, sizeof bad);
		cr_expect_eq(rc, cases[i].rc, "\"%s\": rc %d want %d", cases[i].in, rc,
		             cases[i].rc);
		if (!cases[i].rc)
			cr_expect_eq(got, cases[i].want, "\"%s\": bits %#x want %#x", cases[i].in,
			             got, cases[i].want);
		if (cases[i].bad)
			cr_expect_str_eq(bad, cases[i].bad, "\"%s\": bad word \"%s\" want \"%s\"",
			                 cases[i].in, bad, cases[i].bad);
	}
}

Test(auth_perms, format_and_round_trip)
{
	char out[128];
	auth_format_permissions(PERM_CVDEEPMATCH | PERM_ADMIN, out, sizeof out);
	cr_assert_str_eq(out, "cvdeepmatch,admin", "got %s", out);
	auth_format_permissions(0, out, sizeof out);
	cr_assert_str_eq(out, "", "got %s", out);
	auth_format_permissions(PERM_ALL, out, sizeof out);
	cr_assert_str_eq(out, "cvdeepmatch,linkage,media,reports,matching,talent,admin", "got %s",
	                 out);
	/* A short buffer ends at a whole word rather than mid-name. */
	char small[12];
	auth_format_permissions(PERM_ALL, small, sizeof small);
	cr_assert_str_eq(small, "cvdeepmatch", "got %s", small);
	for (uint32_t p = 1; p <= PERM_ALL; p++) {
		auth_format_permissions(p, out, sizeof out);
		uint32_t back = 0;
		char bad[80];
		int rc = auth_parse_permissions(out, &back, bad, sizeof bad);
		cr_assert_eq(rc, 0, "%#x -> \"%s\": rc %d (bad %s)", p, out, rc, bad);
		cr_assert_eq(back, p, "%#x -> \"%s\" -> %#x", p, out, back);
	}
	cr_assert_str_eq(auth_permission_name(PERM_ADMIN), "admin");
	cr_assert_str_eq(auth_permission_name(PERM_TALENT), "talent");
	cr_assert_str_eq(auth_permission_name(1u << 20), "unknown");
}

Test(auth_perms, hash_is_hex_sha256)
{
	char hex[65];
	auth_hash_key("abc", 3, hex);
	cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	                 "got %s", hex);
	auth_hash_key("", 0, hex);
	cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	                 "got %s", hex);
}

/* ---- keys against a store ---- */

static char g_dir[64];
static struct store *g_st;
static struct store_workspace g_ws;

static void setup(void)
{
	md_log_set_level(MD_LOG_OFF);
	snprintf(g_dir, sizeof g_dir, "/tmp/matchd-auth-XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	char url[128], err[256] = "";
	snprintf(url, sizeof url, "sqlite:%s/t.db", g_dir);
	int rc = store_open(url, &g_st, err, sizeof err);
	cr_assert_eq(rc, 0, "store_open: %d %s", rc, err);
	cr_assert_eq(store_workspace_create(g_st, "acme", 0, "s", &g_ws), 0);
	auth_cache_clear();
	auth_cache_set_ttl(0);
}

static void teardown(void)
{
	store_free(g_st);
	DIR *d = opendir(g_dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			char p[512];
			snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				unlink(p);
		}
		closedir(d);
	}
	rmdir(g_dir);
}

TestSuite(auth, .init = setup, .fini = teardown);

static int authn(const char *secret, struct store_key *out)
{
	return auth_authenticate(g_st, secret, strlen(secret), out);
}

Test(auth, create_then_authenticate)
{
	char text[AUTH_KEY_TEXT_LEN];
	struct store_key k, got;
	int rc = auth_key_create(g_st, g_ws.id, PERM_CVDEEPMATCH | PERM_MEDIA, text, &k);
	cr_assert_eq(rc, 0, "create: %d", rc);
	cr_assert_eq(strlen(text), 67, "key length %zu", strlen(text));
	cr_assert(strncmp(text, "mk_", 3) == 0, "key %s", text);
	for (int i = 3; i < 67; i++)
		cr_assert(strchr("0123456789abcdef", text[i]) != NULL, "key %s: char %d", text, i);
	cr_assert(strncmp(k.prefix, text, strlen(k.prefix)) == 0, "prefix %s of %s", k.prefix,
	          text);
	cr_assert_eq(strlen(k.prefix), 11, "prefix %s", k.prefix);

	rc = authn(text, &got);
	cr_assert_eq(rc, 0, "authenticate: %d", rc);
	cr_assert_str_eq(got.id, k.id);
	cr_assert_str_eq(got.workspace_id, g_ws.id);
	cr_assert_str_eq(got.workspace_name, "acme");
	cr_assert_eq(got.permissions, PERM_CVDEEPMATCH | PERM_MEDIA, "perms %#x", got.permissions);

	char text2[AUTH_KEY_TEXT_LEN];
	struct store_key k2;
	cr_assert_eq(auth_key_create(g_st, g_ws.id, PERM_ALL, text2, &k2), 0);
	cr_assert_str_neq(text, text2, "two keys are equal");
	cr_assert_eq(authn(text2, &got), 0);
	cr_assert_str_eq(got.id, k2.id);
}

Test(auth, wrong_short_and_revoked_keys)
{
	char text[AUTH_KEY_TEXT_LEN];
	struct store_key k, got;
	cr_assert_eq(auth_key_create(g_st, g_ws.id, PERM_ALL, text, &k), 0);

	char wrong[AUTH_KEY_TEXT_LEN];
	memcpy(wrong, text, sizeof wrong);
	wrong[40] = wrong[40] == 'a' ? 'b' : 'a';
	int rc = authn(wrong, &got);
	cr_assert_eq(rc, MD_ENOTFOUND, "wrong key: got %d want %d", rc, MD_ENOTFOUND);

	char shortk[AUTH_KEY_TEXT_LEN];
	memcpy(shortk, text, sizeof shortk);
	shortk[66] = '\0';
	rc = authn(shortk, &got);
	cr_assert_eq(rc, MD_ENOTFOUND, "short key: got %d", rc);
	rc = auth_authenticate(g_st, text, 66, &got);
	cr_assert_eq(rc, MD_ENOTFOUND, "a prefix of the key: got %d", rc);
	rc = authn("", &got);
	cr_assert_eq(rc, MD_ENOTFOUND, "empty: got %d", rc);
	rc = authn("mk_", &got);
	cr_assert_eq(rc, MD_ENOTFOUND, "bare prefix: got %d", rc);

	char noprefix[AUTH_KEY_TEXT_LEN];
	memcpy(noprefix, text, sizeof noprefix);
	noprefix[0] = 'x';
	rc = authn(noprefix, &got);
	cr_assert_eq(rc, MD_ENOTFOUND, "wrong scheme prefix: got %d", rc);

	char longer[80];
	snprintf(longer, sizeof longer, "%sX", text);
	rc = authn(longer, &got);
	cr_assert_eq(rc, MD_ENOTFOUND, "key plus a byte: got %d", rc);

	cr_assert_eq(authn(text, &got), 0);
	cr_assert_eq(store_key_revoke(g_st, k.id), 0);
	rc = authn(text, &got);
	cr_assert_eq(rc, MD_ENOTFOUND, "revoked key (ttl 0): got %d want %d", rc, MD_ENOTFOUND);
}

Test(auth, cache_serves_until_cleared)
{
	auth_cache_set_ttl(60000);
	char text[AUTH_KEY_TEXT_LEN];
	struct store_key k, got;
	cr_assert_eq(auth_key_create(g_st, g_ws.id, PERM_ADMIN, text, &k), 0);
	cr_assert_eq(authn(text, &got), 0);
	cr_assert_eq(store_key_revoke(g_st, k.id), 0);
	/* Documented: a revoked key keeps working from the cache until its entry expires. */
	int rc = authn(text, &got);
	cr_assert_eq(rc, 0, "cached key: got %d", rc);
	cr_assert_str_eq(got.id, k.id);
	auth_cache_clear();
	rc = authn(text, &got);
	cr_assert_eq(rc, MD_ENOTFOUND, "after clear: got %d want %d", rc, MD_ENOTFOUND);
}
