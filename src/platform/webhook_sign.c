#include "platform/webhook_sign.h"

#include "base/common.h"
#include "base/uuid.h"

#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define KEY_MIN 16
#define KEY_MAX 64
#define HMAC_LEN 32

/* Base64 text of n bytes, without the NUL. */
static size_t b64_len(size_t n)
{
	return 4 * ((n + 2) / 3);
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/*
 * Decodes the standard base64 text s (padded) into key; returns the byte count or -1.
 * EVP_DecodeBlock() counts padding as zero bytes, so the padding is checked and removed here.
 */
static int b64_decode(const char *s, uint8_t *key, size_t cap)
{
	size_t n = strlen(s);
	if (n == 0 || n % 4 != 0 || n / 4 * 3 > cap)
		return -1;
	size_t pad = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=' && i >= n - 2)
			pad++;
		else if (!b64_char(s[i]) || pad)
			return -1;
	}
	int got = EVP_DecodeBlock(key, (const unsigned char *)s, (int)n);
	if (got < 0 || (size_t)got < pad)
		return -1;
	return got - (int)pad;
}

/* Decodes a secret, with or without its prefix, into a key; returns its length or -1. */
static int secret_key(const char *secret, uint8_t key[KEY_MAX])
{
	if (!secret)
		return -1;
	size_t plen = strlen(WEBHOOK_SECRET_PREFIX);
	if (strncmp(secret, WEBHOOK_SECRET_PREFIX, plen) == 0)
		secret += plen;
	int n = b64_decode(secret, key, KEY_MAX);
	if (n < KEY_MIN || n > KEY_MAX)
		return -1;
	return n;
}

bool webhook_secret_valid(const char *secret)
{
	uint8_t key[KEY_MAX];
	int n = secret_key(secret, key);
	OPENSSL_cleanse(key, sizeof key);
	return n > 0;
}

int webhook_secret_new(char *out, size_t cap)
{
	uint8_t raw[WEBHOOK_SECRET_BYTES];
	size_t plen = strlen(WEBHOOK_SECRET_PREFIX);
	if (cap < plen + b64_len(sizeof raw) + 1)
		return MD_ELIMIT;
	if (md_random_bytes(raw, sizeof raw) != 0)
		return MD_EIO;
	memcpy(out, WEBHOOK_SECRET_PREFIX, plen);
	EVP_EncodeBlock((unsigned char *)out + plen, raw, (int)sizeof raw);
	OPENSSL_cleanse(raw, sizeof raw);
	return 0;
}

/* HMAC-SHA256 over "id.timestamp.body" without building the concatenation. */
static int hmac_message(const uint8_t *key, size_t key_len, const char *msg_id, int64_t ts,
                        const char *body, size_t body_len, uint8_t mac[HMAC_LEN])
{
	char ts_text[24];
	int tn = snprintf(ts_text, sizeof ts_text, "%" PRId64, ts);
	if (tn < 0 || (size_t)tn >= sizeof ts_text)
		return MD_EINVAL;
	int ret = MD_EIO;
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
	if (!ctx)
		goto out;
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end(),
	};
	size_t len = 0;
	if (!EVP_MAC_init(ctx, key, key_len, params) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)msg_id, strlen(msg_id)) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)".", 1) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)ts_text, (size_t)tn) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)".", 1) ||
	    (body_len && !EVP_MAC_update(ctx, (const unsigned char *)body, body_len)) ||
	    !EVP_MAC_final(ctx, mac, &len, HMAC_LEN) || len != HMAC_LEN)
		goto out;
	ret = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
	return ret;
}

int webhook_sign(const char *secret, const char *msg_id, int64_t timestamp_s, const char *body,
                 size_t body_len, char *out, size_t cap)
{
	uint8_t key[KEY_MAX], mac[HMAC_LEN];
	if (!msg_id || !msg_id[0] || (!body && body_len))
		return MD_EINVAL;
	if (cap < 3 + b64_len(HMAC_LEN) + 1)
		return MD_ELIMIT;
	int key_len = secret_key(secret, key);
	if (key_len < 0)
		return MD_EINVAL;
	int ret = hmac_message(key, (size_t)key_len, msg_id, timestamp_s, body, body_len, mac);
	OPENSSL_cleanse(key, sizeof key);
	if (ret)
		return ret;
	memcpy(out, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)out + 3, mac, HMAC_LEN);
	return 0;
}

int webhook_signature_header(const char *const *secrets, size_t n, const char *msg_id,
                             int64_t timestamp_s, const char *body, size_t body_len, char *out,
                             size_t cap)
{
	if (n == 0 || n > WEBHOOK_MAX_SECRETS || !secrets)
		return MD_EINVAL;
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		char sig[WEBHOOK_SIG_LEN];
		int ret =
		    webhook_sign(secrets[i], msg_id, timestamp_s, body, body_len, sig, sizeof sig);
		if (ret)
			return ret;
		size_t len = strlen(sig), sep = i ? 1 : 0;
		if (used + sep + len + 1 > cap)
			return MD_ELIMIT;
		if (sep)
			out[used++] = ' ';
		memcpy(out + used, sig, len + 1);
		used += len;
	}
	return 0;
}

/* Parses a strictly decimal, non-negative timestamp header. */
static bool parse_ts(const char *s, int64_t *out)
{
	if (!s || !*s)
		return false;
	int64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

/* True when one of the space-separated entries of header equals expected. */
static bool header_has(const char *header, const char *expected)
{
	size_t elen = strlen(expected);
	bool found = false;
	const char *p = header;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *end = strchr(p, ' ');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		/* Keep scanning after a match so the time spent does not say which entry matched. */
		if (n == elen && CRYPTO_memcmp(p, expected, elen) == 0)
			found = true;
		p += n;
	}
	return found;
}

bool webhook_verify(const char *secret, const char *msg_id, const char *timestamp_hdr,
                    const char *signature_hdr, const char *body, size_t body_len, int64_t now_s,
                    int64_t tolerance_s)
{
	int64_t ts;
	if (!signature_hdr || !parse_ts(timestamp_hdr, &ts))
		return false;
	int64_t skew = ts > now_s ? ts - now_s : now_s - ts;
	if (now_s < 0 || tolerance_s < 0 || skew > tolerance_s)
		return false;
	char sig[WEBHOOK_SIG_LEN];
	if (webhook_sign(secret, msg_id, ts, body, body_len, sig, sizeof sig) != 0)
		return false;
	return header_has(signature_hdr, sig);
}
