/*
 * webhook_sign.h: Standard Webhooks signatures (https://www.standardwebhooks.com).
 *
 * A secret is "whsec_" followed by the base64 of random bytes (we make 32; 16 to 64 are
 * accepted, the prefix is optional); the decoded bytes are the HMAC-SHA256 key.
 * A signature is "v1," + base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")).
 * During secret rotation the webhook-signature header carries one signature per active secret,
 * separated by spaces, so a receiver holding either secret accepts the message.
 *
 * The module holds no state and allocates nothing the caller must free.
 */
#ifndef MATCHD_PLATFORM_WEBHOOK_SIGN_H
#define MATCHD_PLATFORM_WEBHOOK_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define WEBHOOK_SECRET_PREFIX "whsec_"
#define WEBHOOK_SECRET_BYTES 32 /* what webhook_secret_new() draws */
#define WEBHOOK_SECRET_LEN 64   /* room for a new secret: 6 + 44 characters + NUL, rounded up */
#define WEBHOOK_SIG_LEN 48      /* "v1," + 44 base64 characters + NUL */
#define WEBHOOK_MAX_SECRETS 8   /* signatures in one header */
#define WEBHOOK_DEFAULT_TOLERANCE_S 300

/*
 * Writes a new secret "whsec_<base64 of 32 random bytes>" into out. Returns 0, MD_ELIMIT when
 * cap < WEBHOOK_SECRET_LEN would not hold it, or MD_EIO when no randomness is available.
 */
MD_WUR int webhook_secret_new(char *out, size_t cap);

/* True when secret decodes to a usable key (with or without the whsec_ prefix). */
bool webhook_secret_valid(const char *secret);

/*
 * Signs one message: writes "v1,<base64 HMAC-SHA256>" into out (cap >= WEBHOOK_SIG_LEN).
 * Returns 0, MD_EINVAL for a malformed secret or msg_id, MD_ELIMIT for a short out buffer, or
 * MD_EIO when OpenSSL fails.
 */
MD_WUR int webhook_sign(const char *secret, const char *msg_id, int64_t timestamp_s,
                        const char *body, size_t body_len, char *out, size_t cap);

/*
 * Writes the webhook-signature header value: the signature under each of the n secrets (the
 * newest first, by convention), separated by single spaces. Returns as webhook_sign(), and
 * MD_EINVAL when n is 0 or above WEBHOOK_MAX_SECRETS.
 */
MD_WUR int webhook_signature_header(const char *const *secrets, size_t n, const char *msg_id,
                                    int64_t timestamp_s, const char *body, size_t body_len,
                                    char *out, size_t cap);

/*
 * What a receiver does: true when timestamp_hdr is a decimal number of seconds within
 * tolerance_s of now_s and some "v1," entry of signature_hdr matches the signature under
 * secret (compared in constant time).
 */
bool webhook_verify(const char *secret, const char *msg_id, const char *timestamp_hdr,
                    const char *signature_hdr, const char *body, size_t body_len, int64_t now_s,
                    int64_t tolerance_s);

#endif
