/* Candidate pairs by blocking: the union of the rules, each pair once (see blocking.h). */
#include "base/common.h"

#include "engines/linkage/blocking.h"

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* The first number's integer part, leading zeros dropped ("-0.5" -> "0"). */
static size_t derive_number(const unsigned char *s, char *buf)
{
	const unsigned char *p = s;
	while (*p && !is_digit(*p))
		p++;
	if (!*p)
		return 0;
	bool neg = p > s && p[-1] == '-';
	bool frac_only = p > s && p[-1] == '.'; /* ".5": integer part 0 */
	if (frac_only)
		neg = p - 1 > s && p[-2] == '-';
	size_t n = 0;
	if (!frac_only) {
		while (*p == '0' && is_digit(p[1]))
			p++;
		for (; is_digit(*p) && n < LK_KEY_DERIVED_MAX - 1; p++)
			buf[n++] = (char)*p;
	} else {
		buf[n++] = '0';
	}
	if (neg && !(n == 1 && buf[0] == '0')) {
		memmove(buf + 1, buf, n);
		buf[0] = '-';
		n++;
	}
	return n;
}

/* YYYY-MM (any separators, month 1 or 2 digits) or the first 6 of 8+ digits -> "YYYYMM". */
static size_t derive_year_month(const unsigned char *s, char *buf)
{
	const unsigned char *p = s;
	while (*p && !is_digit(*p))
		p++;
	size_t run = 0;
	while (is_digit(p[run]))
		run++;
	if (run >= 8) {
		memcpy(buf, p, 6);
		return 6;
	}
	if (run != 4)
		return 0;
	const unsigned char *q = p + 4;
	if (!*q || is_digit(*q))
		return 0;
	q++;
	size_t m = 0;
	while (is_digit(q[m]))
		m++;
	if (m < 1 || m > 2)
		return 0;
	memcpy(buf, p, 4);
	buf[4] = m == 1 ? '0' : (char)q[0];
	buf[5] = (char)q[m - 1];
	return 6;
}

/* The day of a date derive_year_month accepted (1 when it has none), 0 when unparsable. */
static int derive_day(const unsigned char *s)
{
	const unsigned char *p = s;
	while (*p && !is_digit(*p))
		p++;
	size_t run = 0;
	while (is_digit(p[run]))
		run++;
	if (run >= 8)
		return (p[6] - '0') * 10 + (p[7] - '0');
	p += run;
	if (!*p)
		return 0;
	p++; /* the separator after the year */
	while (is_digit(*p))
		p++;
	if (!*p)
		return 1;
	p++; /* the separator after the month */
	int d = 0, n = 0;
	for (; is_digit(*p) && n < 2; p++, n++)
		d = d * 10 + (*p - '0');
	return n ? d : 1;
}

/* The year_month of the month starting on the 16th that holds the date. */
static size_t derive_year_month_mid(const unsigned char *s, char *buf)
{
	if (derive_year_month(s, buf) != 6)
		return 0;
	int day = derive_day(s);
	if (day <= 0 || day >= 16)
		return day > 0 ? 6 : 0;
	int year = 0, month = (buf[4] - '0') * 10 + (buf[5] - '0');
	for (int i = 0; i < 4; i++)
		year = year * 10 + (buf[i] - '0');
	if (--month < 1) {
		month = 12;
		year = year > 0 ? year - 1 : 9999;
	}
	snprintf(buf, LK_KEY_DERIVED_MAX, "%04d%02d", year, month);
	return 6;
}

size_t lk_key_derive(const char *str, int kind, char *buf)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = 0;
	switch (kind) {
	case LK_KEY_FIRST_TOKEN:
		while (is_space(*s))
			s++;
		for (; *s && !is_space(*s) && n < LK_KEY_DERIVED_MAX; s++)
			buf[n++] = (char)*s;
		return n;
	case LK_KEY_FIRST2_TOKENS:
		while (is_space(*s))
			s++;
		for (int tok = 0; *s && n < LK_KEY_DERIVED_MAX; tok++) {
			if (tok)
				buf[n++] = ' ';
			for (; *s && !is_space(*s) && n < LK_KEY_DERIVED_MAX; s++)
				buf[n++] = (char)*s;
			while (is_space(*s))
				s++;
			if (tok == 1)
				break;
		}
		return n;
	case LK_KEY_PREFIX4: {
		while (is_space(*s))
			s++;
		int cps = 0;
		for (; *s && n < LK_KEY_DERIVED_MAX; s++) {
			if ((*s & 0xC0) != 0x80 && cps++ == 4)
				break;
			buf[n++] = (char)*s;
		}
		return n;
	}
	case LK_KEY_NUMBER_ROUNDED: return derive_number(s, buf);
	case LK_KEY_YEAR_MONTH: return derive_year_month(s, buf);
	case LK_KEY_YEAR_MONTH_MID: return derive_year_month_mid(s, buf);
	default: return 0;
	}
}

uint64_t lk_row_key_kind(const struct lk_table *t, size_t row, const int *cols,
                         const unsigned char *kinds, int ncols)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	for (int k = 0; k < ncols; k++) {
		const unsigned char *s = (const unsigned char *)t->cells[row * t->ncols + cols[k]];
		if (!*s)
			return 0;
		int kind = kinds ? kinds[k] : LK_KEY_EXACT;
		if (kind == LK_KEY_EXACT) {
			for (; *s; s++)
				h = (h ^ *s) * 0x100000001b3ULL;
		} else {
			char buf[LK_KEY_DERIVED_MAX];
			size_t n = lk_key_derive((const char *)s, kind, buf);
			if (!n)
				return 0;
			h = mix64(h ^ (0x51ULL * (uint64_t)kind));
			for (size_t i = 0; i < n; i++)
				h = (h ^ (unsigned char)buf[i]) * 0x100000001b3ULL;
		}
		h = mix64(h ^ 0x1f);
	}
	h = mix64(h);
	return h ? h : 1;
}

uint64_t lk_row_key(const struct lk_table *t, size_t row, const int *cols, int ncols)
{
	return lk_row_key_kind(t, row, cols, NULL, ncols);
}

void lk_rule_keys_kind(const struct lk_table *t, const int *cols, const unsigned char *kinds,
                       int ncols, uint64_t *keys)
{
	for (size_t r = 0; r < t->nrows; r++)
		keys[r] = lk_row_key_kind(t, r, cols, kinds, ncols);
}

void lk_rule_keys(const struct lk_table *t, const int *cols, int ncols, uint64_t *keys)
{
	lk_rule_keys_kind(t, cols, NULL, ncols, keys);
}

static const char *const key_kind_names[LK_KEY_COUNT] = {
	"exact",      "first_token",   "prefix4",        "number_rounded",
	"year_month", "first2_tokens", "year_month_mid",
};

const char *lk_key_kind_name(enum lk_key_kind k)
{
	return (unsigned)k < LK_KEY_COUNT ? key_kind_names[k] : "?";
}

bool lk_key_kind_parse(const char *name, enum lk_key_kind *out)
{
	for (int k = 0; k < LK_KEY_COUNT; k++)
		if (!strcmp(name, key_kind_names[k])) {
			*out = (enum lk_key_kind)k;
			return true;
		}
	return false;
}

/*
 * LSD radix sort on h: stable, so equal keys keep their row order. 8-bit digits for small
 * arrays (the bucket table stays in cache), 16-bit ones for large; both an even number of
 * passes, so the sorted data ends in a.
 */
static int radix_sort(struct lk_keyrow *a, size_t n)
{
	int bits = n < (1u << 16) ? 8 : 16;
	size_t nb = (size_t)1 << bits, mask = nb - 1;
	struct lk_keyrow *tmp = md_malloc((n ? n : 1) * sizeof(*tmp));
	size_t *cnt = md_malloc(nb * sizeof(*cnt));
	if (!tmp || !cnt) {
		md_free(tmp);
		md_free(cnt);
		return MD_ENOMEM;
	}
	struct lk_keyrow *src = a, *dst = tmp;
	for (int shift = 0; shift < 64; shift += bits) {
		memset(cnt, 0, nb * sizeof(*cnt));
		for (size_t i = 0; i < n; i++)
			cnt[(src[i].h >> shift) & mask]++;
		size_t sum = 0;
		for (size_t d = 0; d < nb; d++) {
			size_t c = cnt[d];
			cnt[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[cnt[(src[i].h >> shift) & mask]++] = src[i];
		struct lk_keyrow *s = src;
		src = dst;
		dst = s;
	}
	md_free(tmp);
	md_free(cnt);
	return 0;
}

int lk_keys_sort(const uint64_t *keys, size_t nrows, struct lk_keyrow **out, size_t *n)
{
	size_t k = 0;
	for (size_t r = 0; r < nrows; r++)
		k += keys[r] != 0;
	struct lk_keyrow *a = md_malloc((k ? k : 1) * sizeof(*a));
	if (!a)
		return MD_ENOMEM;
	k = 0;
	for (size_t r = 0; r < nrows; r++)
		if (keys[r])
			a[k++] = (struct lk_keyrow){ keys[r], (uint32_t)r, 0 };
	int rc = radix_sort(a, k);
	if (rc) {
		md_free(a);
		return rc;
	}
	*out = a;
	*n = k;
	return 0;
}

/* Pairs of two sorted key arrays sharing a key (dedupe: within one array). */
static uint64_t sorted_pair_count(const struct lk_keyrow *a, size_t na, const struct lk_keyrow *b,
                                  size_t nb, bool dedupe)
{
	uint64_t total = 0;
	size_t i = 0, j = 0;
	while (i < na) {
		size_t i2 = i;
		while (i2 < na && a[i2].h == a[i].h)
			i2++;
		if (dedupe) {
			uint64_t c = i2 - i;
			total += c * (c - 1) / 2;
		} else {
			while (j < nb && b[j].h < a[i].h)
				j++;
			size_t j2 = j;
			while (j2 < nb && b[j2].h == a[i].h)
				j2++;
			total += (uint64_t)(i2 - i) * (j2 - j);
			j = j2;
		}
		i = i2;
	}
	return total;
}

uint64_t lk_key_pair_count(const uint64_t *in_keys, size_t n_in, const uint64_t *ref_keys,
                           size_t n_ref, bool dedupe)
{
	struct lk_keyrow *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	uint64_t total = UINT64_MAX;
	if (lk_keys_sort(in_keys, n_in, &a, &na))
		goto out;
	if (!dedupe && lk_keys_sort(ref_keys, n_ref, &b, &nb))
		goto out;
	total = sorted_pair_count(a, na, b, nb, dedupe);
out:
	md_free(a);
	md_free(b);
	return total;
}

void lk_blocker_release(struct lk_blocker *b)
{
	for (size_t r = 0; r < b->nrules; r++) {
		if (b->ref_sorted[r] != b->in_sorted[r])
			md_free(b->ref_sorted[r]);
		md_free(b->in_sorted[r]);
	}
	md_free(b->tasks);
	md_free(b->chunk_first);
	md_free(b->chunk_pairs);
	memset(b, 0, sizeof(*b));
}

/* A growable task list with the chunk boundaries cut as tasks arrive. */
struct task_builder {
	struct lk_blocker *b;
	size_t cap_tasks, cap_chunks;
	uint64_t chunk_target, in_chunk;
};

static int push_task(struct task_builder *tb, struct lk_task t, uint64_t pairs)
{
	struct lk_blocker *b = tb->b;
	if (b->ntasks == tb->cap_tasks && md_grow(&b->tasks, &tb->cap_tasks, sizeof *b->tasks, 256))
		return MD_ENOMEM;
	if (tb->in_chunk == 0) { /* open a new chunk */
		if (b->nchunks + 2 > tb->cap_chunks) {
			size_t cap = tb->cap_chunks ? 2 * tb->cap_chunks : 64;
			size_t *f = md_realloc(b->chunk_first, cap * sizeof(*f));
			if (!f)
				return MD_ENOMEM;
			b->chunk_first = f;
			uint64_t *p = md_realloc(b->chunk_pairs, cap * sizeof(*p));
			if (!p)
				return MD_ENOMEM;
			b->chunk_pairs = p;
			tb->cap_chunks = cap;
		}
		b->chunk_first[b->nchunks] = b->ntasks;
		b->chunk_pairs[b->nchunks] = 0;
		b->nchunks++;
	}
	b->tasks[b->ntasks++] = t;
	b->chunk_pairs[b->nchunks - 1] += pairs;
	tb->in_chunk += pairs;
	if (tb->in_chunk >= tb->chunk_target)
		tb->in_chunk = 0;
	return 0;
}

/* Cuts one block (sorted positions) into tasks of about chunk_target pairs. */
static int block_tasks(struct task_builder *tb, uint32_t rule, size_t ilo, size_t ihi, size_t rlo,
                       size_t rhi)
{
	bool dedupe = tb->b->dedupe;
	size_t start = ilo;
	uint64_t acc = 0;
	for (size_t p = ilo; p < ihi; p++) {
		acc += dedupe ? rhi - p - 1 : rhi - rlo;
		if (acc >= tb->chunk_target || p + 1 == ihi) {
			struct lk_task t = { rule, (uint32_t)start, (uint32_t)(p + 1),
				             (uint32_t)rlo, (uint32_t)rhi };
			if (acc) {
				int rc = push_task(tb, t, acc);
				if (rc)
					return rc;
			}
			start = p + 1;
			acc = 0;
		}
	}
	return 0;
}

static int rule_tasks(struct task_builder *tb, uint32_t r)
{
	struct lk_blocker *b = tb->b;
	const struct lk_keyrow *a = b->in_sorted[r], *c = b->ref_sorted[r];
	size_t na = b->n_in_sorted[r], nc = b->n_ref_sorted[r];
	size_t i = 0, j = 0;
	while (i < na) {
		size_t i2 = i;
		while (i2 < na && a[i2].h == a[i].h)
			i2++;
		int rc = 0;
		if (b->dedupe) {
			if (i2 - i > 1)
				rc = block_tasks(tb, r, i, i2, i, i2);
		} else {
			while (j < nc && c[j].h < a[i].h)
				j++;
			size_t j2 = j;
			while (j2 < nc && c[j2].h == a[i].h)
				j2++;
			if (j2 > j)
				rc = block_tasks(tb, r, i, i2, j, j2);
			j = j2;
		}
		if (rc)
			return rc;
		i = i2;
	}
	return 0;
}

int lk_blocker_init(struct lk_blocker *b, const uint64_t *const *in_keys,
                    const uint64_t *const *ref_keys, size_t nrules, size_t n_in, size_t n_ref,
                    bool dedupe, uint64_t max_pairs, uint64_t chunk_pairs, char *err, size_t errcap)
{
	memset(b, 0, sizeof(*b));
	if (nrules > LK_MAX_RULES || n_in > UINT32_MAX || n_ref > UINT32_MAX)
		return MD_EINVAL;
	b->nrules = nrules;
	b->n_in = n_in;
	b->n_ref = dedupe ? n_in : n_ref;
	b->dedupe = dedupe;
	int rc = 0;
	for (size_t r = 0; r < nrules; r++) {
		b->in_keys[r] = in_keys[r];
		b->ref_keys[r] = dedupe ? in_keys[r] : ref_keys[r];
		rc = lk_keys_sort(in_keys[r], n_in, &b->in_sorted[r], &b->n_in_sorted[r]);
		if (rc)
			goto fail;
		if (dedupe) {
			b->ref_sorted[r] = b->in_sorted[r];
			b->n_ref_sorted[r] = b->n_in_sorted[r];
		} else {
			rc = lk_keys_sort(ref_keys[r], n_ref, &b->ref_sorted[r],
			                  &b->n_ref_sorted[r]);
			if (rc)
				goto fail;
		}
		b->rule_pairs_upper[r] =
		    sorted_pair_count(b->in_sorted[r], b->n_in_sorted[r], b->ref_sorted[r],
		                      b->n_ref_sorted[r], dedupe);
		b->pairs_upper += b->rule_pairs_upper[r];
	}
	if (b->pairs_upper > max_pairs) {
		if (err && errcap)
			snprintf(err, errcap,
			         "the blocking rules produce %llu candidate pairs, more than the "
			         "limit of %llu: use more selective rules",
			         (unsigned long long)b->pairs_upper, (unsigned long long)max_pairs);
		rc = MD_ELIMIT;
		goto fail;
	}
	struct task_builder tb = { .b = b, .chunk_target = chunk_pairs ? chunk_pairs : 65536 };
	for (size_t r = 0; r < nrules; r++) {
		rc = rule_tasks(&tb, (uint32_t)r);
		if (rc)
			goto fail;
	}
	if (b->chunk_first)
		b->chunk_first[b->nchunks] = b->ntasks;
	return 0;
fail:
	lk_blocker_release(b);
	return rc;
}

/* The rules (bits) the pair satisfies; rules before `rule` decide whether it is new. */
static inline uint32_t pair_rules(const struct lk_blocker *b, uint32_t rule, uint32_t i, uint32_t j,
                                  bool *seen)
{
	uint32_t mask = 1u << rule;
	*seen = false;
	for (uint32_t r = 0; r < b->nrules; r++) {
		if (r == rule)
			continue;
		uint64_t k = b->in_keys[r][i];
		if (k && k == b->ref_keys[r][j]) {
			mask |= 1u << r;
			if (r < rule)
				*seen = true;
		}
	}
	return mask;
}

size_t lk_blocker_chunk(const struct lk_blocker *b, size_t c, struct lk_cand *out)
{
	size_t n = 0;
	for (size_t t = b->chunk_first[c]; t < b->chunk_first[c + 1]; t++) {
		const struct lk_task *tk = &b->tasks[t];
		const struct lk_keyrow *a = b->in_sorted[tk->rule], *r = b->ref_sorted[tk->rule];
		for (uint32_t p = tk->in_lo; p < tk->in_hi; p++) {
			uint32_t i = a[p].row;
			uint32_t q0 = b->dedupe ? p + 1 : tk->ref_lo;
			for (uint32_t q = q0; q < tk->ref_hi; q++) {
				uint32_t j = r[q].row;
				bool seen;
				uint32_t mask = pair_rules(b, tk->rule, i, j, &seen);
				if (!seen)
					out[n++] = (struct lk_cand){ i, j, mask };
			}
		}
	}
	return n;
}
