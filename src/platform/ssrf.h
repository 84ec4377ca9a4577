/*
 * ssrf.h: the guard that keeps webhook deliveries away from internal networks.
 *
 * It owns three checks. ssrf_classify() says whether one socket address is public.
 * ssrf_check_url() validates a webhook URL at submit time: https only, no userinfo, and every
 * address the host resolves to must be public. ssrf_curl_install() repeats the check on the
 * address libcurl actually connects to, from CURLOPT_OPENSOCKETFUNCTION, which is what defeats
 * DNS rebinding: a name that resolved to a public address at submit time and to 127.0.0.1 at
 * delivery time is refused at connect time, because no socket is ever opened for it.
 *
 * Invariants: the module holds no state; a guard belongs to one easy handle at a time.
 */
#ifndef MATCHD_PLATFORM_SSRF_H
#define MATCHD_PLATFORM_SSRF_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "base/err.h"

/* Why an address is not public. SSRF_CLASS_PUBLIC is the only class a webhook may reach. */
enum ssrf_class {
	SSRF_CLASS_PUBLIC = 0,
	SSRF_CLASS_PRIVATE,     /* 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10 */
	SSRF_CLASS_LOOPBACK,    /* 127/8, ::1 */
	SSRF_CLASS_LINK_LOCAL,  /* 169.254/16, fe80::/10 */
	SSRF_CLASS_CGNAT,       /* 100.64/10 */
	SSRF_CLASS_UNSPECIFIED, /* 0/8, :: */
	SSRF_CLASS_MULTICAST,   /* 224/4, ff00::/8 */
	SSRF_CLASS_BROADCAST,   /* 255.255.255.255 */
	SSRF_CLASS_RESERVED,    /* 240/4, 192.0.0/24, test nets, 198.18/15, non-2000::/3 IPv6... */
	SSRF_CLASS_DOCUMENTATION,  /* 2001:db8::/32 */
	SSRF_CLASS_UNKNOWN_FAMILY, /* neither AF_INET nor AF_INET6, or a NULL address */
};

/*
 * Results of ssrf_check_url() besides 0 and MD_ENOMEM. They sit below the md_err range so they
 * never collide; the API maps SSRF_INSECURE to INSECURE_WEBHOOK_URL, SSRF_PRIVATE to
 * PRIVATE_WEBHOOK_URL and the other two to INVALID_INPUT.
 */
enum ssrf_err {
	SSRF_INVALID = -101,      /* unparseable, no host, userinfo, or longer than SSRF_URL_MAX */
	SSRF_INSECURE = -102,     /* the scheme is not https */
	SSRF_PRIVATE = -103,      /* some address of the host is not public */
	SSRF_UNRESOLVABLE = -104, /* the host name does not resolve */
};

#define SSRF_URL_MAX 2048

/*
 * A name resolver, injectable so tests and the fuzz harness never touch the network.
 * resolve() returns 0 and a list in *out (freed later with free()), or non-zero when the name
 * does not resolve. A NULL resolver means getaddrinfo()/freeaddrinfo().
 */
struct ssrf_resolver {
	int (*resolve)(void *ctx, const char *host, const char *port, struct addrinfo **out);
	void (*free)(void *ctx, struct addrinfo *ai);
	void *ctx;
};

/* What ssrf_curl_install() needs and what it learns. Initialise with ssrf_guard_init(). */
struct ssrf_guard {
	bool allow_private; /* tests with a local receiver set this */
	bool refused;       /* set when a connect was refused */
	enum ssrf_class refused_class;
	char refused_addr[INET6_ADDRSTRLEN];
};

/* Classifies one address (struct sockaddr_in or sockaddr_in6). Never fails. */
enum ssrf_class ssrf_classify(const struct sockaddr *sa);
/* A static lower-case name for the class: "public", "loopback", "private", ... */
const char *ssrf_class_name(enum ssrf_class c);
/* A static message for an ssrf_err or md_err code. */
const char *ssrf_strerror(int err);

/*
 * Checks a webhook URL as the submit endpoint must: returns 0 when it may be used, otherwise
 * one of enum ssrf_err or MD_ENOMEM, with a sentence for the client in why (may be NULL).
 * IP literals in every notation libcurl or inet_aton() accept (https://0x7f.1/,
 * https://2130706433/, https://[::ffff:127.0.0.1]/) are classified without resolving.
 * allow_private skips the address check (local test receivers only); the scheme is always
 * checked.
 */
MD_WUR int ssrf_check_url(const char *url, const struct ssrf_resolver *res, bool allow_private,
                          char *why, size_t cap);

/*
 * Splits an https URL into host (IPv6 without brackets) and port (the default 443 when
 * absent). Returns 0, SSRF_INVALID or MD_ELIMIT when a buffer is too small. Used by the sender
 * to pin a resolver's answer with CURLOPT_RESOLVE.
 */
MD_WUR int ssrf_url_host_port(const char *url, char *host, size_t host_cap, char *port,
                              size_t port_cap);

/* Prepares a guard for one transfer. */
void ssrf_guard_init(struct ssrf_guard *g, bool allow_private);

/*
 * Installs the connect-time check on h: CURLOPT_OPENSOCKETFUNCTION refuses (CURL_SOCKET_BAD)
 * every non-public address unless g->allow_private, recording the first refusal in g. g must
 * outlive the transfer. Returns 0 or MD_EINVAL if libcurl rejects the options.
 */
MD_WUR int ssrf_curl_install(CURL *h, struct ssrf_guard *g);

#endif
