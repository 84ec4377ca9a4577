#include "platform/ratelimit.h"

#include <pthread.h>

#include "base/common.h"

#define RL_SLOTS 4096

struct rl_slot {
	char key[40];
	int64_t tat_us;
	int64_t touched_ms;
};

struct ratelimit {
	pthread_mutex_t lock;
	struct rl_slot slots[RL_SLOTS];
};

struct ratelimit *ratelimit_new(void)
{
	struct ratelimit *rl = md_calloc(1, sizeof *rl);
	if (rl)
		pthread_mutex_init(&rl->lock, NULL);
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	md_free(rl);
}

static uint32_t hash_key(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Finds the slot of key, or the slot to recycle for it, probing 16 slots. */
static struct rl_slot *find_slot(struct ratelimit *rl, const char *key)
{
	uint32_t h = hash_key(key);
	struct rl_slot *victim = NULL;
	for (int i = 0; i < 16; i++) {
		struct rl_slot *s = &rl->slots[(h + (uint32_t)i) % RL_SLOTS];
		if (!strcmp(s->key, key))
			return s;
		if (!s->key[0])
			return s;
		if (!victim || s->touched_ms < victim->touched_ms)
			victim = s;
	}
	victim->key[0] = '\0';
	return victim;
}

bool ratelimit_allow(struct ratelimit *rl, const char *key_id, const struct gcra_policy *p,
                     int64_t now_ms, struct gcra_result *r)
{
	/* Slots hold short keys; a longer one is known by two independent hashes of it. */
	char hashed[40];
	if (strlen(key_id) >= sizeof((struct rl_slot *)0)->key) {
		uint32_t h2 = 5381;
		for (const char *c = key_id; *c; c++)
			h2 = h2 * 33 + (unsigned char)*c;
		snprintf(hashed, sizeof hashed, "#%08x%08x%zu", hash_key(key_id), h2,
		         strlen(key_id));
		key_id = hashed;
	}
	pthread_mutex_lock(&rl->lock);
	struct rl_slot *s = find_slot(rl, key_id);
	if (!s->key[0]) {
		snprintf(s->key, sizeof s->key, "%s", key_id);
		s->tat_us = 0;
	}
	s->touched_ms = now_ms;
	bool ok = gcra_allow(p, &s->tat_us, now_ms, r);
	pthread_mutex_unlock(&rl->lock);
	return ok;
}
