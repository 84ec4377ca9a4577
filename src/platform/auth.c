#include "platform/auth.h"

#include <openssl/evp.h>
#include <pthread.h>

#include "base/common.h"
#include "base/timeutil.h"

static const struct {
	const char *name;
	uint32_t bit;
} perm_names[] = {
	{ "cvdeepmatch", PERM_CVDEEPMATCH },
	{ "linkage", PERM_LINKAGE },
	{ "media", PERM_MEDIA },
	{ "reports", PERM_REPORTS },
	{ "matching", PERM_MATCHING },
	{ "talent", PERM_TALENT },
	{ "admin", PERM_ADMIN },
};

int auth_parse_permissions(const char *list, uint32_t *out, char *bad, size_t badcap)
{
	*out = 0;
	const char *p = list;
	while (*p) {
		const char *e = strchr(p, ',');
		struct slice w = slice_trim((struct slice){ p, e ? (size_t)(e - p) : strlen(p) });
		bool ok = false;
		if (slice_eq(w, "all")) {
			*out |= PERM_ALL;
			ok = true;
		}
		for (size_t i = 0; !ok && i < ARRAY_SIZE(perm_names); i++) {
			if (slice_eq(w, perm_names[i].name)) {
				*out |= perm_names[i].bit;
				ok = true;
			}
		}
		if (!ok) {
			snprintf(bad, badcap, "%.*s", (int)MD_MIN(w.len, 64), w.ptr);
			return MD_EINVAL;
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (!*out) {
		snprintf(bad, badcap, "(empty)");
		return MD_EINVAL;
	}
	return 0;
}

void auth_format_permissions(uint32_t perms, char *out, size_t cap)
{
	struct buf b;
	buf_init(&b, cap - 1);
	for (size_t i = 0; i < ARRAY_SIZE(perm_names); i++) {
		if (!(perms & perm_names[i].bit))
			continue;
		if ((b.len && buf_putc(&b, ',')) || buf_puts(&b, perm_names[i].name))
			break;
	}
	snprintf(out, cap, "%s", b.data ? b.data : "");
	buf_release(&b);
}

const char *auth_permission_name(uint32_t perm)
{
	for (size_t i = 0; i < ARRAY_SIZE(perm_names); i++)
		if (perm_names[i].bit == perm)
			return perm_names[i].name;
	return "unknown";
}

void auth_hash_key(const char *text, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	EVP_Digest(text, len, md, &n, EVP_sha256(), NULL);
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

int auth_key_create(struct store *st, const char *ws_id, uint32_t perms,
                    char text[AUTH_KEY_TEXT_LEN], struct store_key *out)
{
	unsigned char raw[32];
	if (md_random_bytes(raw, sizeof raw))
		return MD_EIO;
	static const char digits[] = "0123456789abcdef";
	memcpy(text, "mk_", 3);
	for (int i = 0; i < 32; i++) {
		text[3 + 2 * i] = digits[raw[i] >> 4];
		text[3 + 2 * i + 1] = digits[raw[i] & 15];
	}
	text[67] = '\0';
	char hex[65], prefix[16];
	auth_hash_key(text, 67, hex);
	snprintf(prefix, sizeof prefix, "%.11s", text);
	return store_key_create(st, ws_id, hex, prefix, perms, out);
}

/*
 * A small direct-mapped cache from key hash to key record. Collisions simply evict; the
 * database remains the truth.
 */
#define AUTH_CACHE_SLOTS 256
struct cache_slot {
	char hash[65];
	struct store_key key;
	int64_t expires;
};
static struct cache_slot cache[AUTH_CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t cache_ttl_ms = 5000;

void auth_cache_clear(void)
{
	pthread_mutex_lock(&cache_lock);
	memset(cache, 0, sizeof cache);
	pthread_mutex_unlock(&cache_lock);
}

void auth_cache_set_ttl(int64_t ttl_ms)
{
	cache_ttl_ms = ttl_ms;
}

static unsigned slot_of(const char *hash)
{
	unsigned v = 0;
	for (int i = 0; i < 8; i++)
		v = v * 16 + (unsigned)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
	return v % AUTH_CACHE_SLOTS;
}

int auth_authenticate(struct store *st, const char *secret, size_t len, struct store_key *out)
{
	if (len != 67 || strncmp(secret, "mk_", 3) != 0)
		return MD_ENOTFOUND;
	char hash[65];
	auth_hash_key(secret, len, hash);
	unsigned slot = slot_of(hash);
	int64_t now = md_mono_ms();
	pthread_mutex_lock(&cache_lock);
	if (cache_ttl_ms > 0 && cache[slot].expires > now && !strcmp(cache[slot].hash, hash)) {
		*out = cache[slot].key;
		pthread_mutex_unlock(&cache_lock);
		return 0;
	}
	pthread_mutex_unlock(&cache_lock);
	int rc = store_key_find(st, hash, out);
	if (rc)
		return rc;
	pthread_mutex_lock(&cache_lock);
	memcpy(cache[slot].hash, hash, sizeof hash);
	cache[slot].key = *out;
	cache[slot].expires = now + cache_ttl_ms;
	pthread_mutex_unlock(&cache_lock);
	return 0;
}
