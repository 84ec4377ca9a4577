/*
 * fuzz_ssrf_url.c: feeds arbitrary bytes to ssrf_check_url() as a webhook URL. The resolver
 * answers every name with one fixed public address, so the harness never touches the network
 * and reaches the address checks for any host. Also classifies the first bytes as raw IPv4 and
 * IPv6 addresses, and checks the one invariant that matters: a URL accepted as public never has
 * an IP-literal host that classifies as non-public.
 */
#include "platform/ssrf.h"

#include "base/common.h"

#include <arpa/inet.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fixed_node {
	struct addrinfo ai;
	struct sockaddr_in sin;
};

static int fixed_resolve(void *ctx, const char *host, const char *port, struct addrinfo **out)
{
	struct fixed_node *n = md_calloc(1, sizeof *n);
	if (!n)
		return EAI_MEMORY;
	n->sin.sin_family = AF_INET;
	n->sin.sin_port = htons(443);
	n->sin.sin_addr.s_addr = htonl(0x5db8d822); /* 93.184.216.34 */
	n->ai.ai_family = AF_INET;
	n->ai.ai_socktype = SOCK_STREAM;
	n->ai.ai_addrlen = sizeof n->sin;
	n->ai.ai_addr = (struct sockaddr *)&n->sin;
	*out = &n->ai;
	return 0;
}

static void fixed_free(void *ctx, struct addrinfo *ai)
{
	md_free(ai); /* the addrinfo is the first member of its node */
}

static void classify_raw(const uint8_t *data, size_t size)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	if (size >= 4) {
		memcpy(&in.sin_addr, data, 4);
		(void)ssrf_class_name(ssrf_classify((const struct sockaddr *)&in));
	}
	if (size >= 16) {
		memcpy(&in6.sin6_addr, data, 16);
		(void)ssrf_class_name(ssrf_classify((const struct sockaddr *)&in6));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > SSRF_URL_MAX + 16)
		return 0;
	classify_raw(data, size);
	char *url = md_malloc(size + 1);
	if (!url)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0';

	struct ssrf_resolver res = { fixed_resolve, fixed_free, NULL };
	char why[256];
	int ret = ssrf_check_url(url, &res, false, why, sizeof why);
	if (ret == 0) {
		char host[SSRF_URL_MAX + 1], port[16];
		struct in6_addr a6;
		if (ssrf_url_host_port(url, host, sizeof host, port, sizeof port) != 0)
			abort(); /* accepted URLs always split */
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
		if (inet_pton(AF_INET6, host, &a6) == 1) {
			sa.sin6_addr = a6;
			if (ssrf_classify((const struct sockaddr *)&sa) != SSRF_CLASS_PUBLIC)
				abort();
		}
	}
	md_free(url);
	return 0;
}
