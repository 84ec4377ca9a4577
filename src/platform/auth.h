/*
 * auth.h: API keys and permissions. A key is 32 random bytes shown once as "mk_" + 64 hex
 * characters; the store keeps only its SHA-256. Permissions are a bit set so a request check
 * is one AND. Authenticated keys are cached for a few seconds: a revoked key stops working
 * within that time (auth_cache_ttl_ms), and the hot path of a GET costs no database read.
 */
#ifndef MATCHD_PLATFORM_AUTH_H
#define MATCHD_PLATFORM_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

enum auth_perm {
	PERM_CVDEEPMATCH = 1u << 0,
	PERM_LINKAGE = 1u << 1,
	PERM_MEDIA = 1u << 2,
	PERM_REPORTS = 1u << 3,
	PERM_MATCHING = 1u << 4,
	PERM_TALENT = 1u << 5,
	PERM_ADMIN = 1u << 6,
	PERM_ALL = (1u << 7) - 1,
};

#define AUTH_KEY_TEXT_LEN 68 /* "mk_" + 64 hex + NUL */

/* Parses "cvdeepmatch,admin" or "all" into a bit set; MD_EINVAL names the bad word in bad. */
int auth_parse_permissions(const char *list, uint32_t *out, char *bad, size_t badcap);
/* Writes the permission names of a bit set, comma-separated. */
void auth_format_permissions(uint32_t perms, char *out, size_t cap);
/* Names of the permission bits, for the API's error messages. */
const char *auth_permission_name(uint32_t perm);

/* Creates a key in the workspace; text receives the secret, shown once. */
int auth_key_create(struct store *st, const char *ws_id, uint32_t perms,
                    char text[AUTH_KEY_TEXT_LEN], struct store_key *out);
/* Hex SHA-256 of a key text (65 bytes with NUL). */
void auth_hash_key(const char *text, size_t len, char hex[65]);

/*
 * Authenticates the secret of a request (already taken from "Authorization: Bearer" or
 * "X-API-Key"). MD_ENOTFOUND for an unknown or revoked key.
 */
int auth_authenticate(struct store *st, const char *secret, size_t len, struct store_key *out);
/* Forgets cached keys (tests, and after a revoke in this process). */
void auth_cache_clear(void);
void auth_cache_set_ttl(int64_t ttl_ms);

#endif
