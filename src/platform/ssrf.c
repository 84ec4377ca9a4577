#include "platform/ssrf.h"

#include "base/common.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <strings.h>
#include <unistd.h>

/* ---- address classification ---- */

/* True when the top bits of the IPv4 address a (host order) equal net/len. */
static bool v4_in(uint32_t a, uint32_t net, int len)
{
	uint32_t mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
	return (a & mask) == (net & mask);
}

#define V4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

static enum ssrf_class classify_v4(uint32_t a)
{
	static const struct {
		uint32_t net;
		int len;
		enum ssrf_class c;
	} table[] = {
		{ V4(0, 0, 0, 0), 8, SSRF_CLASS_UNSPECIFIED },
		{ V4(10, 0, 0, 0), 8, SSRF_CLASS_PRIVATE },
		{ V4(100, 64, 0, 0), 10, SSRF_CLASS_CGNAT },
		{ V4(127, 0, 0, 0), 8, SSRF_CLASS_LOOPBACK },
		{ V4(169, 254, 0, 0), 16, SSRF_CLASS_LINK_LOCAL },
		{ V4(172, 16, 0, 0), 12, SSRF_CLASS_PRIVATE },
		{ V4(192, 0, 0, 0), 24, SSRF_CLASS_RESERVED },
		{ V4(192, 0, 2, 0), 24, SSRF_CLASS_RESERVED },
		{ V4(192, 88, 99, 0), 24, SSRF_CLASS_RESERVED },
		{ V4(192, 168, 0, 0), 16, SSRF_CLASS_PRIVATE },
		{ V4(198, 18, 0, 0), 15, SSRF_CLASS_RESERVED },
		{ V4(198, 51, 100, 0), 24, SSRF_CLASS_RESERVED },
		{ V4(203, 0, 113, 0), 24, SSRF_CLASS_RESERVED },
		{ V4(224, 0, 0, 0), 4, SSRF_CLASS_MULTICAST },
		{ V4(255, 255, 255, 255), 32, SSRF_CLASS_BROADCAST },
		{ V4(240, 0, 0, 0), 4, SSRF_CLASS_RESERVED },
	};
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (v4_in(a, table[i].net, table[i].len))
			return table[i].c;
	return SSRF_CLASS_PUBLIC;
}

static uint32_t v4_at(const uint8_t *p)
{
	return V4(p[0], p[1], p[2], p[3]);
}

/* True when the first len bits of the IPv6 address a equal those of prefix. */
static bool v6_in(const uint8_t a[16], const uint8_t prefix[16], int len)
{
	int bytes = len / 8, bits = len % 8;
	if (memcmp(a, prefix, (size_t)bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - bits));
	return (a[bytes] & mask) == (prefix[bytes] & mask);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Addresses that carry an IPv4 address inside them reach that IPv4 host (through the kernel,
 * a NAT64 gateway or a 6to4 relay), so they are classified by it. Returns true and sets *out
 * when a is one of them.
 */
static bool classify_v6_embedded(const uint8_t a[16], enum ssrf_class *out)
{
	static const uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t translated[16] = { [8] = 0xff, [9] = 0xff };
	static const uint8_t nat64[16] = { 0x00, 0x64, 0xff, 0x9b };
	static const uint8_t nat64_local[16] = { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 };
	static const uint8_t six_to_four[16] = { 0x20, 0x02 };

	if (v6_in(a, mapped, 96) || v6_in(a, translated, 96) || all_zero(a, 12) ||
	    v6_in(a, nat64, 96)) {
		*out = classify_v4(v4_at(a + 12));
		return true;
	}
	if (v6_in(a, nat64_local, 48)) {
		/* Only the /96 layout puts the IPv4 address where we can find it for sure. */
		*out = all_zero(a + 6, 6) ? classify_v4(v4_at(a + 12)) : SSRF_CLASS_RESERVED;
		return true;
	}
	if (v6_in(a, six_to_four, 16)) {
		*out = classify_v4(v4_at(a + 2));
		return true;
	}
	return false;
}

static enum ssrf_class classify_v6(const uint8_t a[16])
{
	static const uint8_t doc[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	static const uint8_t ietf[16] = { 0x20, 0x01 };    /* 2001::/23, includes Teredo */
	static const uint8_t discard[16] = { 0x01, 0x00 }; /* 100::/64 */
	static const uint8_t ula[16] = { 0xfc };
	static const uint8_t link[16] = { 0xfe, 0x80 };
	static const uint8_t site[16] = { 0xfe, 0xc0 };
	static const uint8_t mcast[16] = { 0xff };
	static const uint8_t global[16] = { 0x20 };
	enum ssrf_class c;

	if (all_zero(a, 16))
		return SSRF_CLASS_UNSPECIFIED;
	if (all_zero(a, 15) && a[15] == 1)
		return SSRF_CLASS_LOOPBACK;
	if (classify_v6_embedded(a, &c))
		return c;
	if (v6_in(a, mcast, 8))
		return SSRF_CLASS_MULTICAST;
	if (v6_in(a, link, 10))
		return SSRF_CLASS_LINK_LOCAL;
	if (v6_in(a, ula, 7) || v6_in(a, site, 10))
		return SSRF_CLASS_PRIVATE;
	if (v6_in(a, doc, 32))
		return SSRF_CLASS_DOCUMENTATION;
	if (v6_in(a, discard, 64) || v6_in(a, ietf, 23))
		return SSRF_CLASS_RESERVED;
	/* Only 2000::/3 is allocated global unicast; anything else has no business here. */
	if (!v6_in(a, global, 3))
		return SSRF_CLASS_RESERVED;
	return SSRF_CLASS_PUBLIC;
}

enum ssrf_class ssrf_classify(const struct sockaddr *sa)
{
	if (!sa)
		return SSRF_CLASS_UNKNOWN_FAMILY;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		return classify_v4(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		return classify_v6(in6->sin6_addr.s6_addr);
	}
	return SSRF_CLASS_UNKNOWN_FAMILY;
}

const char *ssrf_class_name(enum ssrf_class c)
{
	switch (c) {
	case SSRF_CLASS_PUBLIC: return "public";
	case SSRF_CLASS_PRIVATE: return "private";
	case SSRF_CLASS_LOOPBACK: return "loopback";
	case SSRF_CLASS_LINK_LOCAL: return "link-local";
	case SSRF_CLASS_CGNAT: return "carrier-grade NAT";
	case SSRF_CLASS_UNSPECIFIED: return "unspecified";
	case SSRF_CLASS_MULTICAST: return "multicast";
	case SSRF_CLASS_BROADCAST: return "broadcast";
	case SSRF_CLASS_RESERVED: return "reserved";
	case SSRF_CLASS_DOCUMENTATION: return "documentation";
	case SSRF_CLASS_UNKNOWN_FAMILY: return "unknown address family";
	}
	return "unknown";
}

const char *ssrf_strerror(int err)
{
	switch (err) {
	case SSRF_INVALID: return "invalid webhook URL";
	case SSRF_INSECURE: return "webhook URL must use https";
	case SSRF_PRIVATE: return "webhook URL resolves to a non-public address";
	case SSRF_UNRESOLVABLE: return "webhook URL host does not resolve";
	}
	return md_strerror(err);
}

/* Writes the numeric form of sa into out (INET6_ADDRSTRLEN bytes). */
static void addr_text(const struct sockaddr *sa, char *out, size_t cap)
{
	const void *src = NULL;
	if (sa->sa_family == AF_INET)
		src = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		src = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if ((!src || !inet_ntop(sa->sa_family, src, out, (socklen_t)cap)) && cap >= 2)
		memcpy(out, "?", 2);
}

/* ---- URL checks ---- */

/* Explains a refusal in why (may be NULL); truncation is fine for a message. */
__attribute__((format(printf, 3, 4))) static void say(char *why, size_t cap, const char *fmt, ...)
{
	if (!why || cap == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (vsnprintf(why, cap, fmt, ap) < 0)
		why[0] = '\0';
	va_end(ap);
}

struct url_parts {
	char *scheme, *host, *port, *user, *password;
};

static void url_parts_release(struct url_parts *p)
{
	curl_free(p->scheme);
	curl_free(p->host);
	curl_free(p->port);
	curl_free(p->user);
	curl_free(p->password);
}

/*
 * Parses url with libcurl's URL API, accepting any scheme so a non-https one can be reported
 * as insecure rather than invalid. Returns 0 (host and port may still be NULL), SSRF_INVALID
 * or MD_ENOMEM.
 */
static int url_split(const char *url, struct url_parts *p)
{
	memset(p, 0, sizeof *p);
	if (strlen(url) > SSRF_URL_MAX)
		return SSRF_INVALID;
	CURLU *u = curl_url();
	if (!u)
		return MD_ENOMEM;
	int ret = SSRF_INVALID;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, &p->scheme, 0) != CURLUE_OK)
		goto out;
	/* A missing host or port is reported by the caller, after the scheme. */
	(void)curl_url_get(u, CURLUPART_HOST, &p->host, 0);
	(void)curl_url_get(u, CURLUPART_PORT, &p->port, CURLU_DEFAULT_PORT);
	(void)curl_url_get(u, CURLUPART_USER, &p->user, 0);
	(void)curl_url_get(u, CURLUPART_PASSWORD, &p->password, 0);
	ret = 0;
out:
	curl_url_cleanup(u);
	if (ret)
		url_parts_release(p);
	return ret;
}

/* Strips the brackets of an IPv6 literal host in place and returns the host. */
static char *unbracket(char *host)
{
	size_t n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		host[n - 1] = '\0';
		return host + 1;
	}
	return host;
}

/*
 * Parses an IP literal in any notation the C library accepts (inet_aton() takes 0x7f.1,
 * 2130706433 and 0177.0.0.1, as a resolver would) into ss. Returns false for names.
 */
static bool parse_literal(const char *host, struct sockaddr_storage *ss)
{
	char trimmed[64];
	size_t n = strlen(host);
	/* "127.0.0.1." is the same address to a resolver; look at it without the dot. */
	if (n > 1 && n < sizeof trimmed && host[n - 1] == '.') {
		memcpy(trimmed, host, n - 1);
		trimmed[n - 1] = '\0';
		host = trimmed;
	}
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		return true;
	}
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	if (inet_aton(host, &in->sin_addr)) {
		in->sin_family = AF_INET;
		return true;
	}
	return false;
}

static int default_resolve(void *ctx, const char *host, const char *port, struct addrinfo **out)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	return getaddrinfo(host, port, &hints, out);
}

static void default_free(void *ctx, struct addrinfo *ai)
{
	freeaddrinfo(ai);
}

static const struct ssrf_resolver default_resolver = { default_resolve, default_free, NULL };

/* Checks one address; on refusal explains it in why. */
static int check_addr(const struct sockaddr *sa, const char *host, char *why, size_t cap)
{
	enum ssrf_class c = ssrf_classify(sa);
	if (c == SSRF_CLASS_PUBLIC)
		return 0;
	char text[INET6_ADDRSTRLEN];
	addr_text(sa, text, sizeof text);
	say(why, cap, "webhook URL host %s resolves to a non-public address: %s (%s)", host, text,
	    ssrf_class_name(c));
	return SSRF_PRIVATE;
}

static int check_resolved(const char *host, const char *port, const struct ssrf_resolver *res,
                          char *why, size_t cap)
{
	struct addrinfo *list = NULL;
	if (res->resolve(res->ctx, host, port, &list) != 0 || !list) {
		if (list)
			res->free(res->ctx, list);
		say(why, cap, "webhook URL host %s does not resolve", host);
		return SSRF_UNRESOLVABLE;
	}
	int ret = 0;
	bool any = false;
	for (struct addrinfo *ai = list; ai && ret == 0; ai = ai->ai_next) {
		if (!ai->ai_addr)
			continue;
		any = true;
		ret = check_addr(ai->ai_addr, host, why, cap);
	}
	res->free(res->ctx, list);
	if (ret == 0 && !any) {
		say(why, cap, "webhook URL host %s does not resolve", host);
		return SSRF_UNRESOLVABLE;
	}
	return ret;
}

int ssrf_check_url(const char *url, const struct ssrf_resolver *res, bool allow_private, char *why,
                   size_t cap)
{
	if (why && cap)
		why[0] = '\0';
	if (!url) {
		say(why, cap, "webhook URL is missing");
		return SSRF_INVALID;
	}
	struct url_parts p;
	int ret = url_split(url, &p);
	if (ret == MD_ENOMEM)
		return ret;
	if (ret) {
		say(why, cap, "webhook URL is not a valid absolute URL with a host");
		return ret;
	}
	if (strcasecmp(p.scheme, "https") != 0) {
		say(why, cap, "webhook URL must use https, not %s", p.scheme);
		ret = SSRF_INSECURE;
		goto out;
	}
	if (!p.host || !p.host[0] || !p.port) {
		say(why, cap, "webhook URL has no host");
		ret = SSRF_INVALID;
		goto out;
	}
	if (p.user || p.password) {
		say(why, cap, "webhook URL must not contain credentials");
		ret = SSRF_INVALID;
		goto out;
	}
	if (allow_private)
		goto out;
	char *host = unbracket(p.host);
	struct sockaddr_storage ss;
	if (parse_literal(host, &ss))
		ret = check_addr((const struct sockaddr *)&ss, host, why, cap);
	else
		ret = check_resolved(host, p.port, res ? res : &default_resolver, why, cap);
out:
	url_parts_release(&p);
	return ret;
}

int ssrf_url_host_port(const char *url, char *host, size_t host_cap, char *port, size_t port_cap)
{
	struct url_parts p;
	int ret = url_split(url, &p);
	if (ret)
		return ret;
	if (!p.host || !p.port) {
		url_parts_release(&p);
		return SSRF_INVALID;
	}
	ret = slice_copy(slice_from(unbracket(p.host)), host, host_cap);
	if (ret == 0)
		ret = slice_copy(slice_from(p.port), port, port_cap);
	url_parts_release(&p);
	return ret;
}

/* ---- connect-time guard ---- */

void ssrf_guard_init(struct ssrf_guard *g, bool allow_private)
{
	memset(g, 0, sizeof *g);
	g->allow_private = allow_private;
}

/*
 * libcurl calls this for every socket it is about to connect, with the address it chose, so
 * this is the last word on where a webhook goes, whatever the resolver said earlier.
 */
static curl_socket_t guard_opensocket(void *clientp, curlsocktype purpose,
                                      struct curl_sockaddr *address)
{
	struct ssrf_guard *g = clientp;
	const struct sockaddr *sa = &address->addr;
	enum ssrf_class c = ssrf_classify(sa);
	if (purpose != CURLSOCKTYPE_IPCXN)
		c = SSRF_CLASS_UNKNOWN_FAMILY;
	if (c != SSRF_CLASS_PUBLIC && !(g->allow_private && purpose == CURLSOCKTYPE_IPCXN)) {
		if (!g->refused) {
			g->refused = true;
			g->refused_class = c;
			addr_text(sa, g->refused_addr, sizeof g->refused_addr);
		}
		return CURL_SOCKET_BAD;
	}
	return socket(address->family, address->socktype, address->protocol);
}

int ssrf_curl_install(CURL *h, struct ssrf_guard *g)
{
	if (curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, guard_opensocket) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, g) != CURLE_OK)
		return MD_EINVAL;
	return 0;
}
