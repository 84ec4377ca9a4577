#include "base/uuid.h"

#include <pthread.h>
#include <sys/random.h>

#include "base/common.h"

int md_random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	while (n) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0)
			return MD_EIO;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

/*
 * Ids made in the same millisecond must still sort in creation order (cursors and "newest
 * first" rely on it), so the 12 bits after the version carry a counter within the
 * millisecond (RFC 9562, method 1). This is process-wide state on purpose: one clock.
 */
static pthread_mutex_t seq_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t seq_ms = -1;
static unsigned seq;

int md_uuid7(int64_t ms, char out[MD_UUID_LEN])
{
	unsigned char b[16];
	if (md_random_bytes(b + 6, 10))
		return MD_EIO;
	pthread_mutex_lock(&seq_lock);
	/* A clock that stepped back a little keeps counting on; a big jump starts afresh. */
	if (ms <= seq_ms && seq_ms - ms < 10000) {
		ms = seq_ms;
		if (++seq > 0xfff) {
			ms = ++seq_ms;
			seq = 0;
		}
	} else {
		seq_ms = ms;
		seq = b[7] & 0x3f; /* a random start leaves room to count up */
	}
	unsigned count = seq;
	pthread_mutex_unlock(&seq_lock);
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)((uint64_t)ms >> (40 - 8 * i));
	b[6] = (unsigned char)(0x70 | ((count >> 8) & 0x0f));
	b[7] = (unsigned char)(count & 0xff);
	b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
	static const char hex[] = "0123456789abcdef";
	char *o = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[b[i] >> 4];
		*o++ = hex[b[i] & 15];
	}
	*o = '\0';
	return 0;
}

bool md_uuid_valid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		             (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return s[36] == '\0';
}
