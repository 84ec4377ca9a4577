/*
 * test_ssrf.c: the SSRF guard: address classes (every embedded-IPv4 form), URL checks with an
 * injected resolver, and the DNS-rebinding case end to end through webhook_send().
 */
#include "platform/ssrf.h"

#include "base/common.h"
#include "platform/webhook_send.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>

/* ---- classification table ---- */

struct addr_case {
	const char *ip;
	enum ssrf_class want;
};

static const struct addr_case addr_cases[] = {
	/* IPv4 */
	{ "0.0.0.0", SSRF_CLASS_UNSPECIFIED },
	{ "0.1.2.3", SSRF_CLASS_UNSPECIFIED },
	{ "1.1.1.1", SSRF_CLASS_PUBLIC },
	{ "8.8.8.8", SSRF_CLASS_PUBLIC },
	{ "9.255.255.255", SSRF_CLASS_PUBLIC },
	{ "10.0.0.1", SSRF_CLASS_PRIVATE },
	{ "10.255.255.255", SSRF_CLASS_PRIVATE },
	{ "11.0.0.0", SSRF_CLASS_PUBLIC },
	{ "100.63.255.255", SSRF_CLASS_PUBLIC },
	{ "100.64.0.1", SSRF_CLASS_CGNAT },
	{ "100.127.255.255", SSRF_CLASS_CGNAT },
	{ "100.128.0.0", SSRF_CLASS_PUBLIC },
	{ "127.0.0.1", SSRF_CLASS_LOOPBACK },
	{ "127.255.255.254", SSRF_CLASS_LOOPBACK },
	{ "169.253.255.255", SSRF_CLASS_PUBLIC },
	{ "169.254.169.254", SSRF_CLASS_LINK_LOCAL },
	{ "172.15.255.255", SSRF_CLASS_PUBLIC },
	{ "172.16.0.1", SSRF_CLASS_PRIVATE },
	{ "172.31.255.255", SSRF_CLASS_PRIVATE },
	{ "172.32.0.0", SSRF_CLASS_PUBLIC },
	{ "192.0.0.8", SSRF_CLASS_RESERVED },
	{ "192.0.2.1", SSRF_CLASS_RESERVED },
	{ "192.0.3.1", SSRF_CLASS_PUBLIC },
	{ "192.88.99.1", SSRF_CLASS_RESERVED },
	{ "192.167.255.255", SSRF_CLASS_PUBLIC },
	{ "192.168.1.1", SSRF_CLASS_PRIVATE },
	{ "198.17.255.255", SSRF_CLASS_PUBLIC },
	{ "198.18.0.1", SSRF_CLASS_RESERVED },
	{ "198.19.255.255", SSRF_CLASS_RESERVED },
	{ "198.20.0.0", SSRF_CLASS_PUBLIC },
	{ "198.51.100.7", SSRF_CLASS_RESERVED },
	{ "203.0.113.9", SSRF_CLASS_RESERVED },
	{ "203.0.114.1", SSRF_CLASS_PUBLIC },
	{ "93.184.216.34", SSRF_CLASS_PUBLIC },
	{ "223.255.255.255", SSRF_CLASS_PUBLIC },
	{ "224.0.0.1", SSRF_CLASS_MULTICAST },
	{ "239.255.255.250", SSRF_CLASS_MULTICAST },
	{ "240.0.0.1", SSRF_CLASS_RESERVED },
	{ "255.255.255.254", SSRF_CLASS_RESERVED },
	{ "255.255.255.255", SSRF_CLASS_BROADCAST },
	/* IPv6 */
	{ "::", SSRF_CLASS_UNSPECIFIED },
	{ "::1", SSRF_CLASS_LOOPBACK },
	{ "fc00::1", SSRF_CLASS_PRIVATE },
	{ "fd12:3456:789a::1", SSRF_CLASS_PRIVATE },
	{ "fec0::1", SSRF_CLASS_PRIVATE },
	{ "fe80::1", SSRF_CLASS_LINK_LOCAL },
	{ "febf:ffff::1", SSRF_CLASS_LINK_LOCAL },
	{ "ff02::1", SSRF_CLASS_MULTICAST },
	{ "ff05::1:3", SSRF_CLASS_MULTICAST },
	{ "2001:db8::1", SSRF_CLASS_DOCUMENTATION },
	{ "2001:db8:ffff:ffff::1", SSRF_CLASS_DOCUMENTATION },
	{ "2001:4860:4860::8888", SSRF_CLASS_PUBLIC },
	{ "2606:4700:4700::1111", SSRF_CLASS_PUBLIC },
	{ "2a00:1450:4001:82b::200e", SSRF_CLASS_PUBLIC },
	{ "2001::1", SSRF_CLASS_RESERVED },   /* Teredo */
	{ "100::1", SSRF_CLASS_RESERVED },    /* discard-only */
	{ "4000::1", SSRF_CLASS_RESERVED },   /* outside 2000::/3 */
	{ "::1:0:0:1", SSRF_CLASS_RESERVED }, /* ::/8 but not ::/96 */
	/* IPv4-mapped ::ffff:0:0/96 */
	{ "::ffff:127.0.0.1", SSRF_CLASS_LOOPBACK },
	{ "::ffff:7f00:1", SSRF_CLASS_LOOPBACK },
	{ "::ffff:10.1.2.3", SSRF_CLASS_PRIVATE },
	{ "::ffff:169.254.169.254", SSRF_CLASS_LINK_LOCAL },
	{ "::ffff:0.0.0.0", SSRF_CLASS_UNSPECIFIED },
	{ "::ffff:100.64.1.1", SSRF_CLASS_CGNAT },
	{ "::ffff:8.8.8.8", SSRF_CLASS_PUBLIC },
	/* IPv4-translated ::ffff:0:0:0/96 */
	{ "::ffff:0:7f00:1", SSRF_CLASS_LOOPBACK },
	{ "::ffff:0:808:808", SSRF_CLASS_PUBLIC },
	/* IPv4-compatible ::/96 */
	{ "::127.0.0.1", SSRF_CLASS_LOOPBACK },
	{ "::10.0.0.1", SSRF_CLASS_PRIVATE },
	{ "::0.0.0.2", SSRF_CLASS_UNSPECIFIED },
	{ "::224.0.0.1", SSRF_CLASS_MULTICAST },
	{ "::8.8.8.8", SSRF_CLASS_PUBLIC },
	/* NAT64 64:ff9b::/96 and 64:ff9b:1::/48 */
	{ "64:ff9b::7f00:1", SSRF_CLASS_LOOPBACK },
	{ "64:ff9b::192.168.0.1", SSRF_CLASS_PRIVATE },
	{ "64:ff9b::255.255.255.255", SSRF_CLASS_BROADCAST },
	{ "64:ff9b::8.8.8.8", SSRF_CLASS_PUBLIC },
	{ "64:ff9b:1::a00:1", SSRF_CLASS_PRIVATE },
	{ "64:ff9b:1::169.254.0.1", SSRF_CLASS_LINK_LOCAL },
	{ "64:ff9b:1::808:808", SSRF_CLASS_PUBLIC },
	{ "64:ff9b:1:abcd::808:808", SSRF_CLASS_RESERVED }, /* layout we cannot read */
	/* 6to4 2002::/16 */
	{ "2002:7f00:1::", SSRF_CLASS_LOOPBACK },
	{ "2002:c0a8:101::1", SSRF_CLASS_PRIVATE },
	{ "2002:a9fe:a9fe::", SSRF_CLASS_LINK_LOCAL },
	{ "2002:0:0::1", SSRF_CLASS_UNSPECIFIED },
	{ "2002:808:808::1", SSRF_CLASS_PUBLIC },
};

static enum ssrf_class classify_text(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, ip, &in->sin_addr) == 1)
		in->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1)
		in6->sin6_family = AF_INET6;
	else
		cr_assert_fail("test table: %s is not an address", ip);
	return ssrf_classify((const struct sockaddr *)&ss);
}

Test(ssrf, classify_table)
{
	cr_assert_geq(ARRAY_SIZE(addr_cases), 60);
	for (size_t i = 0; i < ARRAY_SIZE(addr_cases); i++) {
		enum ssrf_class got = classify_text(addr_cases[i].ip);
		cr_expect_eq(got, addr_cases[i].want, "%s: got %s, want %s", addr_cases[i].ip,
		             ssrf_class_name(got), ssrf_class_name(addr_cases[i].want));
	}
}

Test(ssrf, classify_odd_inputs)
{
	cr_assert_eq(ssrf_classify(NULL), SSRF_CLASS_UNKNOWN_FAMILY);
	struct sockaddr sa = { .sa_family = AF_UNIX };
	cr_assert_eq(ssrf_classify(&sa), SSRF_CLASS_UNKNOWN_FAMILY);
	cr_assert_str_eq(ssrf_class_name(SSRF_CLASS_LOOPBACK), "loopback");
	cr_assert_str_eq(ssrf_class_name(SSRF_CLASS_PUBLIC), "public");
}

/* ---- a resolver that answers from a table ---- */

struct fake_answer {
	const char *host;
	const char *addrs[3];
};

struct fake_resolver {
	const struct fake_answer *answers;
	size_t n;
	int calls;
	int rebind_after; /* > 0: from this call on, every name resolves to 127.0.0.1 */
	char last_port[8];
};

struct fake_node {
	struct addrinfo ai;
	struct sockaddr_storage ss;
};

static struct addrinfo *fake_node(const char *ip)
{
	struct fake_node *n = md_calloc(1, sizeof *n);
	cr_assert_not_null(n);
	struct sockaddr_in *in = (struct sockaddr_in *)&n->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&n->ss;
	if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(443);
		n->ai.ai_addrlen = sizeof *in;
	} else {
		cr_assert_eq(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1, "bad address %s", ip);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(443);
		n->ai.ai_addrlen = sizeof *in6;
	}
	n->ai.ai_family = n->ss.ss_family;
	n->ai.ai_socktype = SOCK_STREAM;
	n->ai.ai_protocol = IPPROTO_TCP;
	n->ai.ai_addr = (struct sockaddr *)&n->ss;
	return &n->ai;
}

static int fake_resolve(void *ctx, const char *host, const char *port, struct addrinfo **out)
{
	struct fake_resolver *f = ctx;
	f->calls++;
	if (md_snprintf(f->last_port, sizeof f->last_port, "%s", port) != 0)
		f->last_port[0] = '\0';
	*out = NULL;
	if (f->rebind_after > 0 && f->calls >= f->rebind_after) {
		*out = fake_node("127.0.0.1");
		return 0;
	}
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->answers[i].host, host) != 0)
			continue;
		struct addrinfo **tail = out;
		for (size_t j = 0; j < 3 && f->answers[i].addrs[j]; j++) {
			*tail = fake_node(f->answers[i].addrs[j]);
			tail = &(*tail)->ai_next;
		}
		return 0;
	}
	return EAI_NONAME;
}

static void fake_free(void *ctx, struct addrinfo *ai)
{
	while (ai) {
		struct addrinfo *next = ai->ai_next;
		md_free(ai); /* ai is the first member of its fake_node */
		ai = next;
	}
}

static const struct fake_answer answers[] = {
	{ "public.test", { "93.184.216.34" } },
	{ "v6.test", { "2606:4700::6810:85e5", "93.184.216.34" } },
	{ "private.test", { "10.0.0.5" } },
	{ "mixed.test", { "93.184.216.34", "127.0.0.1" } },
	{ "mapped.test", { "::ffff:127.0.0.1" } },
	{ "meta.test", { "169.254.169.254" } },
	{ "nat64.test", { "64:ff9b::a9fe:a9fe" } },
	{ "sixtofour.test", { "2002:a00:1::1" } },
	{ "empty.test", { NULL } },
	{ "rebind.test", { "93.184.216.34" } },
};

static struct fake_resolver fake_new(void)
{
	return (struct fake_resolver){ .answers = answers, .n = ARRAY_SIZE(answers) };
}

struct url_case {
	const char *url;
	int want;
};

static const struct url_case url_cases[] = {
	{ "https://public.test/hook", 0 },
	{ "HTTPS://public.test/hook", 0 },
	{ "HtTpS://public.test:8443/hook?x=1#f", 0 },
	{ "https://v6.test/", 0 },
	{ "https://8.8.8.8/", 0 },
	{ "https://[2606:4700:4700::1111]:8443/x", 0 },
	{ "http://public.test/hook", SSRF_INSECURE },
	{ "HTTP://public.test/hook", SSRF_INSECURE },
	{ "ftp://public.test/file", SSRF_INSECURE },
	{ "gopher://public.test/", SSRF_INSECURE },
	{ "file:///etc/passwd", SSRF_INSECURE },
	{ "ws://public.test/", SSRF_INSECURE },
	{ "https://user:pw@public.test/", SSRF_INVALID },
	{ "https://user@public.test/", SSRF_INVALID },
	{ "https://:pw@public.test/", SSRF_INVALID },
	{ "", SSRF_INVALID },
	{ "not a url", SSRF_INVALID },
	{ "https://", SSRF_INVALID },
	{ "//public.test/", SSRF_INVALID },
	{ "public.test/hook", SSRF_INVALID },
	{ "https://pub lic.test/", SSRF_INVALID },
	{ "https://127.0.0.1/", SSRF_PRIVATE },
	{ "https://127.0.0.1./", SSRF_PRIVATE },
	{ "https://127.1/", SSRF_PRIVATE },
	{ "https://0x7f.1/", SSRF_PRIVATE },
	{ "https://0x7f000001/", SSRF_PRIVATE },
	{ "https://2130706433/", SSRF_PRIVATE },
	{ "https://0177.0.0.1/", SSRF_PRIVATE },
	{ "https://017700000001/", SSRF_PRIVATE },
	{ "https://0/", SSRF_PRIVATE },
	{ "https://10.1.2.3:8443/", SSRF_PRIVATE },
	{ "https://169.254.169.254/latest/meta-data/", SSRF_PRIVATE },
	{ "https://[::1]/", SSRF_PRIVATE },
	{ "https://[::]/", SSRF_PRIVATE },
	{ "https://[::ffff:127.0.0.1]/", SSRF_PRIVATE },
	{ "https://[::ffff:7f00:1]/", SSRF_PRIVATE },
	{ "https://[64:ff9b::10.0.0.1]/", SSRF_PRIVATE },
	{ "https://[2002:7f00:1::]/", SSRF_PRIVATE },
	{ "https://[fe80::1%25eth0]/", SSRF_PRIVATE },
	{ "https://[fd00::1]/", SSRF_PRIVATE },
	{ "https://private.test/", SSRF_PRIVATE },
	{ "https://mixed.test/", SSRF_PRIVATE },
	{ "https://mapped.test/", SSRF_PRIVATE },
	{ "https://meta.test/", SSRF_PRIVATE },
	{ "https://nat64.test/", SSRF_PRIVATE },
	{ "https://sixtofour.test/", SSRF_PRIVATE },
	{ "https://nx.test/", SSRF_UNRESOLVABLE },
	{ "https://empty.test/", SSRF_UNRESOLVABLE },
};

Test(ssrf, check_url_table)
{
	for (size_t i = 0; i < ARRAY_SIZE(url_cases); i++) {
		struct fake_resolver f = fake_new();
		struct ssrf_resolver r = { fake_resolve, fake_free, &f };
		char why[256];
		int got = ssrf_check_url(url_cases[i].url, &r, false, why, sizeof why);
		cr_expect_eq(got, url_cases[i].want, "%s: got %d (%s), want %d; why: %s",
		             url_cases[i].url, got, ssrf_strerror(got), url_cases[i].want, why);
		if (got != 0)
			cr_expect_neq(why[0], '\0', "%s: no explanation", url_cases[i].url);
	}
}

Test(ssrf, check_url_limits_and_messages)
{
	struct fake_resolver f = fake_new();
	struct ssrf_resolver r = { fake_resolve, fake_free, &f };
	char why[256];
	cr_assert_eq(ssrf_check_url(NULL, &r, false, why, sizeof why), SSRF_INVALID);

	char url[SSRF_URL_MAX + 2];
	memcpy(url, "https://public.test/", 20);
	memset(url + 20, 'a', sizeof url - 21);
	url[SSRF_URL_MAX] = '\0'; /* exactly the maximum */
	cr_assert_eq(ssrf_check_url(url, &r, false, why, sizeof why), 0, "%s", why);
	url[SSRF_URL_MAX] = 'a';
	url[SSRF_URL_MAX + 1] = '\0'; /* one over */
	cr_assert_eq(ssrf_check_url(url, &r, false, why, sizeof why), SSRF_INVALID);

	cr_assert_eq(ssrf_check_url("https://2130706433/", &r, false, why, sizeof why),
	             SSRF_PRIVATE);
	cr_assert(strstr(why, "127.0.0.1") && strstr(why, "loopback"), "why: %s", why);
	cr_assert_eq(ssrf_check_url("https://meta.test/", &r, false, why, sizeof why),
	             SSRF_PRIVATE);
	cr_assert(strstr(why, "link-local"), "why: %s", why);
	/* A NULL why is allowed. */
	cr_assert_eq(ssrf_check_url("http://x.test/", &r, false, NULL, 0), SSRF_INSECURE);
}

Test(ssrf, check_url_passes_port_and_skips_literals)
{
	struct fake_resolver f = fake_new();
	struct ssrf_resolver r = { fake_resolve, fake_free, &f };
	cr_assert_eq(ssrf_check_url("https://public.test/", &r, false, NULL, 0), 0);
	cr_assert_str_eq(f.last_port, "443");
	cr_assert_eq(ssrf_check_url("https://public.test:8443/", &r, false, NULL, 0), 0);
	cr_assert_str_eq(f.last_port, "8443");
	int calls = f.calls;
	cr_assert_eq(ssrf_check_url("https://0x7f.1/", &r, false, NULL, 0), SSRF_PRIVATE);
	cr_assert_eq(f.calls, calls, "an IP literal must not go to the resolver");
}

Test(ssrf, allow_private_still_requires_https)
{
	cr_assert_eq(ssrf_check_url("https://127.0.0.1:8443/", NULL, true, NULL, 0), 0);
	cr_assert_eq(ssrf_check_url("http://127.0.0.1/", NULL, true, NULL, 0), SSRF_INSECURE);
	cr_assert_eq(ssrf_check_url("https://u@127.0.0.1/", NULL, true, NULL, 0), SSRF_INVALID);
}

Test(ssrf, default_resolver_localhost)
{
	/* getaddrinfo answers "localhost" from /etc/hosts, without the network. */
	char why[256];
	cr_assert_eq(ssrf_check_url("https://localhost/", NULL, false, why, sizeof why),
	             SSRF_PRIVATE, "%s", why);
}

Test(ssrf, url_host_port)
{
	char host[64], port[8];
	cr_assert_eq(
	    ssrf_url_host_port("https://[::1]:8443/x", host, sizeof host, port, sizeof port), 0);
	cr_assert_str_eq(host, "::1");
	cr_assert_str_eq(port, "8443");
	cr_assert_eq(
	    ssrf_url_host_port("https://Example.test/", host, sizeof host, port, sizeof port), 0);
	cr_assert_str_eq(port, "443");
	cr_assert_eq(ssrf_url_host_port("nope", host, sizeof host, port, sizeof port),
	             SSRF_INVALID);
	cr_assert_eq(
	    ssrf_url_host_port("https://a-rather-long-name.test/", host, 8, port, sizeof port),
	    MD_ELIMIT);
}

/* ---- the connect-time guard ---- */

/* Runs one transfer to https://rebind.test/ with libcurl pinned to 127.0.0.1:port. */
static CURLcode pinned_transfer(struct ssrf_guard *g, const char *pin)
{
	webhook_global_init();
	CURL *h = curl_easy_init();
	cr_assert_not_null(h);
	struct curl_slist *pins = curl_slist_append(NULL, pin);
	cr_assert_not_null(pins);
	cr_assert_eq(curl_easy_setopt(h, CURLOPT_URL, "https://rebind.test:9/"), CURLE_OK);
	cr_assert_eq(curl_easy_setopt(h, CURLOPT_RESOLVE, pins), CURLE_OK);
	cr_assert_eq(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L), CURLE_OK);
	cr_assert_eq(curl_easy_setopt(h, CURLOPT_PROXY, ""), CURLE_OK);
	cr_assert_eq(ssrf_curl_install(h, g), 0);
	CURLcode c = curl_easy_perform(h);
	curl_easy_cleanup(h);
	curl_slist_free_all(pins);
	return c;
}

Test(ssrf, opensocket_refuses_loopback)
{
	struct ssrf_guard g;
	ssrf_guard_init(&g, false);
	CURLcode c = pinned_transfer(&g, "rebind.test:9:127.0.0.1");
	cr_assert_eq(c, CURLE_COULDNT_CONNECT, "curl said %s", curl_easy_strerror(c));
	cr_assert(g.refused);
	cr_assert_eq(g.refused_class, SSRF_CLASS_LOOPBACK);
	cr_assert_str_eq(g.refused_addr, "127.0.0.1");
}

Test(ssrf, opensocket_refuses_mapped_v6)
{
	struct ssrf_guard g;
	ssrf_guard_init(&g, false);
	CURLcode c = pinned_transfer(&g, "rebind.test:9:[::ffff:10.0.0.1]");
	cr_assert_neq(c, CURLE_OK);
	cr_assert(g.refused);
	cr_assert_eq(g.refused_class, SSRF_CLASS_PRIVATE);
}

Test(ssrf, opensocket_allows_private_when_asked)
{
	/* The guard lets the connect happen; nothing listens on port 9, so it fails later. */
	struct ssrf_guard g;
	ssrf_guard_init(&g, true);
	CURLcode c = pinned_transfer(&g, "rebind.test:9:127.0.0.1");
	cr_assert_neq(c, CURLE_OK);
	cr_assert_not(g.refused);
}

/*
 * DNS rebinding: the name is public when the URL is checked at submit time and becomes
 * 127.0.0.1 before delivery. The submit-time check passes; the delivery attempt, whose
 * resolution is pinned into libcurl, is refused by the opensocket callback, the only check that
 * sees the address actually connected to.
 */
Test(ssrf, rebinding_is_refused_at_connect_time)
{
	struct fake_resolver f = fake_new();
	f.rebind_after = 2;
	struct ssrf_resolver r = { fake_resolve, fake_free, &f };
	char why[256];
	cr_assert_eq(ssrf_check_url("https://rebind.test/hook", &r, false, why, sizeof why), 0,
	             "submit-time check: %s", why);
	cr_assert_eq(f.calls, 1);

	static const char body[] = "{\"type\":\"job.succeeded\"}";
	struct webhook_request req = {
		.url = "https://rebind.test/hook",
		.body = body,
		.body_len = sizeof body - 1,
		.msg_id = "msg_rebind",
		.timestamp_s = 1700000000,
		.signature = "v1,AAAA",
		.timeout_ms = 3000,
		.resolver = &r,
	};
	struct webhook_response *resp = md_malloc(sizeof *resp);
	cr_assert_not_null(resp);
	cr_assert_eq(webhook_send(&req, resp), 0);
	cr_assert_eq(f.calls, 2, "delivery resolves the name again");
	cr_assert_eq(resp->outcome, WEBHOOK_REFUSED_PRIVATE_ADDRESS, "outcome %s: %s",
	             webhook_outcome_name(resp->outcome), resp->error);
	cr_assert_eq(resp->status, 0);
	cr_assert(strstr(resp->error, "127.0.0.1") && strstr(resp->error, "loopback"), "%s",
	          resp->error);
	md_free(resp);
}

Test(ssrf, literal_private_url_refused_at_connect_time)
{
	struct webhook_request req = {
		.url = "https://[::1]:9/hook",
		.msg_id = "msg_1",
		.signature = "v1,AAAA",
		.timeout_ms = 3000,
	};
	struct webhook_response *resp = md_malloc(sizeof *resp);
	cr_assert_not_null(resp);
	cr_assert_eq(webhook_send(&req, resp), 0);
	cr_assert_eq(resp->outcome, WEBHOOK_REFUSED_PRIVATE_ADDRESS, "outcome %s: %s",
	             webhook_outcome_name(resp->outcome), resp->error);
	md_free(resp);
}
