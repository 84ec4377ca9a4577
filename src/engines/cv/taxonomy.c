#include "engines/cv/taxonomy.h"

#include <math.h>
#include <strings.h>

#include "base/common.h"

#include "engines/cv/phrases.h"
#include "text/normalize.h"

/*
 * A hash slot. In t->names a key is a normalised name (tokens joined by ' ') and skill >= 0 is
 * the skill it names; a slot with skill == -1 is only a prefix of longer names (so the matcher
 * knows when to stop extending). In t->ids the key is the id.
 */
struct cv_tx_entry {
	uint64_t hash;
	uint32_t key_off;
	uint32_t key_len;
	int32_t skill; /* -1: prefix only */
	uint8_t flags;
	uint8_t used;
};

enum { NAME_PREFIX = 1, NAME_CTX = 2, NAME_CASED = 4, NAME_UPPER = 8 };

#define KEY_MAX 512

/* ---- tokens ---- */

struct tok {
	size_t start, end;           /* bytes in the text */
	uint32_t fold_off, fold_len; /* case-folded token in the scratch buffer */
	uint32_t stem_off, stem_len;
};

static bool word_at(const char *s, size_t len, size_t i, size_t *n)
{
	int32_t cp;
	*n = text_decode(s + i, len - i, &cp);
	return cp >= 0 && text_is_word_cp(cp);
}

static bool word_before(const char *s, size_t i)
{
	if (i == 0)
		return false;
	size_t k = i - 1;
	while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80 && i - k < 4)
		k--;
	size_t n;
	return word_at(s, i, k, &n);
}

/* Scans the next token from *pos; returns false at the end. */
static bool next_token(const char *s, size_t len, size_t *pos, size_t *ts, size_t *te)
{
	size_t i = *pos, n;
	while (i < len) {
		if (word_at(s, len, i, &n))
			break;
		if (s[i] == '.' && i + 1 < len && !word_before(s, i) && word_at(s, len, i + 1, &n))
			break;
		i += n;
	}
	if (i >= len)
		return false;
	size_t start = i;
	if (s[i] == '.')
		i++;
	for (;;) {
		while (i < len && word_at(s, len, i, &n))
			i += n;
		if (i + 1 < len && s[i] == '.' && word_at(s, len, i + 1, &n)) {
			i++;
			continue;
		}
		break;
	}
	if (i + 1 < len && s[i] == '+' && s[i + 1] == '+')
		i += 2;
	else if (i < len && s[i] == '#')
		i++;
	*ts = start;
	*te = i;
	*pos = i;
	return true;
}

static bool all_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/* Appends the case-folded form of s[0..n) to out. */
static int fold_append(const char *s, size_t n, struct buf *out)
{
	if (all_ascii(s, n)) {
		for (size_t i = 0; i < n; i++) {
			char c = s[i];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			int rc = buf_putc(out, c);
			if (rc)
				return rc;
		}
		return 0;
	}
	return text_casefold(s, n, out);
}

static bool ends_with(const char *w, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	return n >= k && memcmp(w + n - k, suf, k) == 0;
}

/* The light stemmer; mirrors stem() in scripts/build_skills.py. Writes into out (cap KEY_MAX). */
static size_t stem(const char *w, size_t n, char *out)
{
	memcpy(out, w, n);
	if (n <= 3)
		return n;
	for (size_t i = 0; i < n; i++)
		if (w[i] < 'a' || w[i] > 'z')
			return n;
	if (ends_with(out, n, "ies") && n > 4) {
		n -= 3;
		out[n++] = 'y';
	} else if (ends_with(out, n, "s") && !ends_with(out, n, "ss") && !ends_with(out, n, "us") &&
	           !ends_with(out, n, "is")) {
		n--;
	}
	if (ends_with(out, n, "ing") && n - 3 >= 3)
		n -= 3;
	if (ends_with(out, n, "e") && n > 3)
		n--;
	return n;
}

struct toklist {
	struct tok *v;
	size_t n, cap;
	struct buf fold;
};

static void toklist_release(struct toklist *l)
{
	md_free(l->v);
	buf_release(&l->fold);
	memset(l, 0, sizeof(*l));
}

static int tokenize(const char *s, size_t len, struct toklist *l, size_t max_tokens)
{
	size_t pos = 0, ts, te;
	while (next_token(s, len, &pos, &ts, &te)) {
		if (l->n >= max_tokens)
			return MD_ELIMIT;
		if (l->n == l->cap && md_grow(&l->v, &l->cap, sizeof *l->v, 64))
			return MD_ENOMEM;
		struct tok *k = &l->v[l->n];
		k->start = ts;
		k->end = te;
		k->fold_off = (uint32_t)l->fold.len;
		int rc = fold_append(s + ts, te - ts, &l->fold);
		if (rc)
			return rc;
		k->fold_len = (uint32_t)(l->fold.len - k->fold_off);
		char tmp[KEY_MAX];
		size_t fl = MD_MIN((size_t)k->fold_len, sizeof(tmp));
		size_t sl = stem(l->fold.data + k->fold_off, fl, tmp);
		k->stem_off = (uint32_t)l->fold.len;
		rc = buf_append(&l->fold, tmp, sl);
		if (rc)
			return rc;
		k->stem_len = (uint32_t)sl;
		l->n++;
	}
	return 0;
}

/* Only white space, line breaks, '-', '/' and apostrophes may join the tokens of one name. */
static bool joinable_gap(const char *s, size_t a, size_t b)
{
	if (b - a > 4)
		return false;
	for (size_t i = a; i < b; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\n' || c == '-' || c == '/' || c == '\'')
			continue;
		if (c == 0xE2 && i + 2 < b && (unsigned char)s[i + 1] == 0x80 &&
		    (unsigned char)s[i + 2] == 0x99) {
			i += 2; /* U+2019 */
			continue;
		}
		return false;
	}
	return true;
}

/* ---- hashing ---- */

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h | 1;
}

static int keys_add(struct cv_taxonomy *t, const char *k, size_t n, uint32_t *off)
{
	if (t->keys_len + n + 1 > t->keys_alloc) {
		size_t a = t->keys_alloc ? t->keys_alloc * 2 : (1u << 20);
		while (a < t->keys_len + n + 1)
			a *= 2;
		if (a > UINT32_MAX)
			return MD_ELIMIT;
		char *p = md_realloc(t->keys, a);
		if (!p)
			return MD_ENOMEM;
		t->keys = p;
		t->keys_alloc = a;
	}
	memcpy(t->keys + t->keys_len, k, n);
	t->keys[t->keys_len + n] = '\0';
	*off = (uint32_t)t->keys_len;
	t->keys_len += n + 1;
	return 0;
}

static struct cv_tx_entry *slot_find(struct cv_tx_entry *tab, size_t cap, const char *keys,
                                     const char *k, size_t n, uint64_t h)
{
	size_t mask = cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct cv_tx_entry *e = &tab[i];
		if (!e->used)
			return e;
		if (e->hash == h && e->key_len == n && memcmp(keys + e->key_off, k, n) == 0)
			return e;
	}
}

static const struct cv_tx_entry *name_get(const struct cv_taxonomy *t, const char *k, size_t n)
{
	if (!t->names_cap)
		return NULL;
	const struct cv_tx_entry *e =
	    slot_find(t->names, t->names_cap, t->keys, k, n, hash_bytes(k, n));
	return e->used ? e : NULL;
}

/* Inserts (or finds) key k in the table; the first skill to claim a name keeps it. */
static int table_put(struct cv_taxonomy *t, struct cv_tx_entry *tab, size_t cap, const char *k,
                     size_t n, int skill, uint8_t flags, bool *existed)
{
	uint64_t h = hash_bytes(k, n);
	struct cv_tx_entry *e = slot_find(tab, cap, t->keys, k, n, h);
	*existed = e->used;
	if (e->used) {
		if (skill >= 0 && e->skill < 0) {
			e->skill = skill;
			e->flags = (uint8_t)((e->flags & NAME_PREFIX) | flags);
		} else if (skill < 0) {
			e->flags |= NAME_PREFIX;
		}
		return 0;
	}
	int rc = keys_add(t, k, n, &e->key_off);
	if (rc)
		return rc;
	e->used = 1;
	e->hash = h;
	e->key_len = (uint32_t)n;
	e->skill = skill;
	e->flags = (uint8_t)(skill < 0 ? NAME_PREFIX : flags);
	return 0;
}

/* Builds the key of tokens [i, i + k) into key; returns its length or 0 when too long. */
static size_t build_key(const struct toklist *l, size_t i, size_t k, char *key)
{
	size_t n = 0;
	for (size_t j = i; j < i + k; j++) {
		const struct tok *tk = &l->v[j];
		const char *w = l->fold.data + (k > 1 ? tk->stem_off : tk->fold_off);
		size_t wl = k > 1 ? tk->stem_len : tk->fold_len;
		if (n + wl + 1 > KEY_MAX)
			return 0;
		if (j > i)
			key[n++] = ' ';
		memcpy(key + n, w, wl);
		n += wl;
	}
	return n;
}

/* ---- loading ---- */

static void set_err(char *err, size_t cap, size_t line, const char *msg)
{
	if (err && cap && md_snprintf(err, cap, "skills.tsv line %zu: %s", line, msg) != 0)
		err[0] = '\0';
}

/* Splits s at c in place, up to max fields; returns the count. */
static size_t split(char *s, char c, char **out, size_t max)
{
	size_t n = 0;
	out[n++] = s;
	for (char *p = s; *p; p++) {
		if (*p == c) {
			*p = '\0';
			if (n == max)
				return n + 1; /* too many */
			out[n++] = p + 1;
		}
	}
	return n;
}

static bool in_pipe_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;
	while (*p) {
		const char *q = strchr(p, '|');
		size_t k = q ? (size_t)(q - p) : strlen(p);
		if (k == n && memcmp(p, name, n) == 0)
			return true;
		if (!q)
			break;
		p = q + 1;
	}
	return false;
}

/*
 * An ambiguous name the taxonomy writes in capitals ("LESS", "GAMS", "ABL") is an acronym: it
 * must be written in capitals in the text too, or "(Less than 1 year)" in an Indeed skills list
 * would be the stylesheet language. True when s[0..n) has two or more letters, all upper case.
 */
static bool all_upper_n(const char *s, size_t n)
{
	size_t letters = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			return false;
		letters += s[i] >= 'A' && s[i] <= 'Z';
	}
	return letters >= 2;
}

static bool all_upper(const char *s)
{
	return all_upper_n(s, strlen(s));
}

static int add_name(struct cv_taxonomy *t, struct toklist *l, int skill, const char *name,
                    const char *ctx_list)
{
	l->n = 0;
	buf_reset(&l->fold);
	int rc = tokenize(name, strlen(name), l, CV_TAXONOMY_MAX_TOKENS + 1);
	if (rc == MD_ELIMIT || l->n == 0 || l->n > CV_TAXONOMY_MAX_TOKENS)
		return 0;
	if (rc)
		return rc;
	/* One-word group names ("Skills", "Knowledge", "Services") are headings, not skills. */
	const char *sid = t->skills[skill].id;
	if (l->n == 1 &&
	    (strncmp(sid, "esco-group:", 11) == 0 || strncmp(sid, "onet-cat:", 9) == 0))
		return 0;
	uint8_t flags = 0;
	if (in_pipe_list(ctx_list, name)) {
		flags |= NAME_CTX;
		if (name[0] >= 'A' && name[0] <= 'Z')
			flags |= NAME_CASED;
		if (all_upper(name))
			flags |= NAME_UPPER;
	}
	char key[KEY_MAX];
	bool existed;
	for (size_t k = 1; k < l->n; k++) {
		size_t n = build_key(l, 0, k, key);
		if (!n)
			return 0;
		/* A prefix is always looked up in stemmed form: "k == 1" prefixes included. */
		if (k == 1) {
			const struct tok *tk = &l->v[0];
			n = tk->stem_len;
			memcpy(key, l->fold.data + tk->stem_off, n);
			key[n++] = '\x01'; /* keeps one-token prefixes apart from one-token names */
		}
		rc = table_put(t, t->names, t->names_cap, key, n, -1, 0, &existed);
		if (rc)
			return rc;
	}
	size_t n = build_key(l, 0, l->n, key);
	if (!n)
		return 0;
	rc = table_put(t, t->names, t->names_cap, key, n, skill, flags, &existed);
	if (rc)
		return rc;
	if ((int)l->n > t->max_tokens)
		t->max_tokens = (int)l->n;
	return 0;
}

static size_t pow2_at_least(size_t n)
{
	size_t c = 1024;
	while (c < n)
		c *= 2;
	return c;
}

enum { COL_ID, COL_LABEL, COL_TYPE, COL_CAT, COL_HOT, COL_ALIASES, COL_BROADER, COL_CTX, NCOL };

struct row {
	char *col[NCOL];
};

static int parse_rows(struct cv_taxonomy *t, struct row **rows_out, size_t *nrows, char *err,
                      size_t errcap)
{
	size_t cap = 0, n = 0, line = 0;
	struct row *rows = NULL;
	bool header = false;
	char *p = t->text;
	while (*p) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		line++;
		char *ln = p;
		p = nl ? nl + 1 : p + strlen(p);
		size_t ll = strlen(ln);
		if (ll && ln[ll - 1] == '\r')
			ln[--ll] = '\0';
		if (ln[0] == '#' || ln[0] == '\0')
			continue;
		if (!header) {
			if (strncmp(ln, "id\tlabel\t", 9) != 0) {
				set_err(err, errcap, line,
				        "expected the header line \"id\\tlabel\\t...\"");
				goto fail;
			}
			header = true;
			continue;
		}
		if (n == cap) {
			if (n >= CV_TAXONOMY_MAX_SKILLS) {
				set_err(err, errcap, line, "too many skills");
				md_free(rows);
				return MD_ELIMIT;
			}
			if (md_grow(&rows, &cap, sizeof *rows, 1024)) {
				md_free(rows);
				return MD_ENOMEM;
			}
		}
		char *cols[NCOL + 1];
		if (split(ln, '\t', cols, NCOL) != NCOL) {
			set_err(err, errcap, line, "expected 8 tab-separated columns");
			goto fail;
		}
		if (!cols[COL_ID][0] || !cols[COL_LABEL][0]) {
			set_err(err, errcap, line, "empty id or label");
			goto fail;
		}
		memcpy(rows[n].col, cols, sizeof(rows[n].col));
		n++;
	}
	if (!header) {
		set_err(err, errcap, line, "no header line");
		goto fail;
	}
	*rows_out = rows;
	*nrows = n;
	return 0;
fail:
	md_free(rows);
	return MD_EINVAL;
}

static void compute_rarity(struct cv_taxonomy *t)
{
	uint32_t nmax = 1;
	for (int i = 0; i < t->nskills; i++) {
		struct cv_skill *s = &t->skills[i];
		uint32_t sib = 0;
		for (uint32_t k = 0; k < s->nparents; k++) {
			uint32_t c = t->skills[t->edges[s->parents_off + k]].nchildren;
			if (c > 0 && c - 1 > sib)
				sib = c - 1;
		}
		uint32_t n = sib + s->nchildren;
		if (n > nmax)
			nmax = n;
		s->rarity = (double)n; /* temporarily */
	}
	double lmax = log(1.0 + nmax);
	for (int i = 0; i < t->nskills; i++) {
		struct cv_skill *s = &t->skills[i];
		double r = 0.5 + 1.5 * (1.0 - log(1.0 + s->rarity) / lmax);
		if (s->hot)
			r *= 0.85;
		s->rarity = MD_MAX(0.5, MD_MIN(2.0, r));
	}
}

static int build(struct cv_taxonomy *t, struct row *rows, size_t n, char *err, size_t errcap)
{
	int rc = 0;
	t->nskills = (int)n;
	t->skills = md_calloc(n ? n : 1, sizeof(*t->skills));
	if (!t->skills)
		return MD_ENOMEM;
	t->ids_cap = pow2_at_least(n * 2 + 2);
	t->ids = md_calloc(t->ids_cap, sizeof(*t->ids));
	if (!t->ids)
		return MD_ENOMEM;
	size_t nnames = 0, nedges = 0;
	for (size_t i = 0; i < n; i++) {
		struct row *r = &rows[i];
		struct cv_skill *s = &t->skills[i];
		s->id = r->col[COL_ID];
		s->label = r->col[COL_LABEL];
		s->type = r->col[COL_TYPE];
		s->category = r->col[COL_CAT];
		s->hot = r->col[COL_HOT][0] == '1';
		bool existed;
		rc = table_put(t, t->ids, t->ids_cap, s->id, strlen(s->id), (int)i, 0, &existed);
		if (rc)
			return rc;
		if (existed) {
			if (err && errcap &&
			    md_snprintf(err, errcap, "skills.tsv: duplicate id %.80s", s->id) != 0)
				err[0] = '\0';
			return MD_EINVAL;
		}
		nnames += 1;
		for (const char *a = r->col[COL_ALIASES]; *a; a++)
			nnames += *a == '|';
		nnames += r->col[COL_ALIASES][0] != '\0';
		for (const char *b = r->col[COL_BROADER]; *b; b++)
			nedges += *b == '|';
		nedges += r->col[COL_BROADER][0] != '\0';
	}
	/* Names plus their prefixes: about three slots a name keeps the load factor under 0.5. */
	t->names_cap = pow2_at_least(nnames * 4 + 16);
	t->names = md_calloc(t->names_cap, sizeof(*t->names));
	t->edges = md_calloc(nedges ? nedges : 1, sizeof(*t->edges));
	if (!t->names || !t->edges)
		return MD_ENOMEM;
	struct toklist l = { 0 };
	buf_init(&l.fold, 1u << 16);
	/* Labels first, so a label always beats another skill's alias. */
	for (size_t i = 0; i < n && !rc; i++)
		rc = add_name(t, &l, (int)i, t->skills[i].label, rows[i].col[COL_CTX]);
	for (size_t i = 0; i < n && !rc; i++) {
		char *al = rows[i].col[COL_ALIASES];
		while (*al && !rc) {
			char *bar = strchr(al, '|');
			if (bar)
				*bar = '\0';
			if (*al)
				rc = add_name(t, &l, (int)i, al, rows[i].col[COL_CTX]);
			if (bar)
				*bar =
				    '|'; /* the ctx list compares whole names; keep aliases intact */
			al = bar ? bar + 1 : al + strlen(al);
		}
	}
	toklist_release(&l);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct cv_skill *s = &t->skills[i];
		s->parents_off = (uint32_t)t->nedges;
		char *b = rows[i].col[COL_BROADER];
		while (*b) {
			char *bar = strchr(b, '|');
			size_t bl = bar ? (size_t)(bar - b) : strlen(b);
			const struct cv_tx_entry *e =
			    slot_find(t->ids, t->ids_cap, t->keys, b, bl, hash_bytes(b, bl));
			if (e->used && e->skill != (int)i && t->nedges < nedges) {
				t->edges[t->nedges++] = e->skill;
				s->nparents++;
				t->skills[e->skill].nchildren++;
			}
			b = bar ? bar + 1 : b + bl;
		}
	}
	compute_rarity(t);
	return 0;
}

int cv_taxonomy_load(struct cv_taxonomy *t, const char *tsv, size_t len, char *err, size_t errcap)
{
	memset(t, 0, sizeof(*t));
	if (err && errcap)
		err[0] = '\0';
	if (len > CV_TAXONOMY_MAX_BYTES)
		return MD_ELIMIT;
	t->text = md_malloc(len + 1);
	if (!t->text)
		return MD_ENOMEM;
	memcpy(t->text, tsv, len);
	t->text[len] = '\0';
	/* A NUL inside the text would silently cut it: refuse it instead. */
	if (memchr(t->text, '\0', len)) {
		set_err(err, errcap, 0, "NUL byte in the file");
		cv_taxonomy_release(t);
		return MD_EINVAL;
	}
	struct row *rows = NULL;
	size_t n = 0;
	int rc = parse_rows(t, &rows, &n, err, errcap);
	if (!rc)
		rc = build(t, rows, n, err, errcap);
	md_free(rows);
	if (rc)
		cv_taxonomy_release(t);
	return rc;
}

void cv_taxonomy_release(struct cv_taxonomy *t)
{
	md_free(t->text);
	md_free(t->skills);
	md_free(t->edges);
	md_free(t->names);
	md_free(t->ids);
	md_free(t->keys);
	memset(t, 0, sizeof(*t));
}

/* ---- lookups and hierarchy ---- */

int cv_taxonomy_lookup(const struct cv_taxonomy *t, const char *name)
{
	struct toklist l = { 0 };
	buf_init(&l.fold, 1u << 16);
	int found = -1;
	if (tokenize(name, strlen(name), &l, CV_TAXONOMY_MAX_TOKENS + 1) == 0 && l.n > 0) {
		char key[KEY_MAX];
		size_t n = build_key(&l, 0, l.n, key);
		const struct cv_tx_entry *e = n ? name_get(t, key, n) : NULL;
		if (e && e->skill >= 0)
			found = e->skill;
	}
	toklist_release(&l);
	return found;
}

int cv_taxonomy_by_id(const struct cv_taxonomy *t, const char *id)
{
	if (!t->ids_cap)
		return -1;
	size_t n = strlen(id);
	const struct cv_tx_entry *e =
	    slot_find(t->ids, t->ids_cap, t->keys, id, n, hash_bytes(id, n));
	return e->used ? e->skill : -1;
}

static bool valid(const struct cv_taxonomy *t, int i)
{
	return i >= 0 && i < t->nskills;
}

bool cv_taxonomy_is_under(const struct cv_taxonomy *t, int skill, int ancestor, int *distance)
{
	if (!valid(t, skill) || !valid(t, ancestor))
		return false;
	enum { FRONTIER_MAX = 256 };
	int cur[FRONTIER_MAX], next[FRONTIER_MAX];
	size_t nc = 1;
	cur[0] = skill;
	for (int d = 0; d <= 8 && nc; d++) {
		size_t nn = 0;
		for (size_t i = 0; i < nc; i++) {
			if (cur[i] == ancestor) {
				if (distance)
					*distance = d;
				return true;
			}
			const struct cv_skill *s = &t->skills[cur[i]];
			for (uint32_t k = 0; k < s->nparents && nn < FRONTIER_MAX; k++)
				next[nn++] = t->edges[s->parents_off + k];
		}
		memcpy(cur, next, nn * sizeof(int));
		nc = nn;
	}
	return false;
}

double cv_taxonomy_credit(const struct cv_taxonomy *t, int required, int found)
{
	if (!valid(t, required) || !valid(t, found))
		return 0.0;
	if (required == found)
		return 1.0;
	int d;
	if (cv_taxonomy_is_under(t, found, required, &d)) {
		if (d == 1)
			return 0.8;
		if (d == 2)
			return 0.6;
		return 0.0;
	}
	const struct cv_skill *r = &t->skills[required], *f = &t->skills[found];
	for (uint32_t i = 0; i < r->nparents; i++) {
		int p = t->edges[r->parents_off + i];
		if (t->skills[p].nchildren > 40)
			continue;
		for (uint32_t k = 0; k < f->nparents; k++)
			if (t->edges[f->parents_off + k] == p)
				return 0.5;
	}
	return 0.0;
}

double cv_taxonomy_rarity(const struct cv_taxonomy *t, int skill)
{
	return valid(t, skill) ? t->skills[skill].rarity : 1.0;
}

/* ---- matching ---- */

struct cand {
	int skill;
	size_t tok_first, tok_last; /* token indices */
	size_t start, end;
	bool ctx; /* needs context */
	bool ok;  /* accepted */
};

struct candlist {
	struct cand *v;
	size_t n, cap;
};

static int cand_push(struct candlist *c, const struct cand *x)
{
	if (c->n == c->cap && md_grow(&c->v, &c->cap, sizeof *c->v, 64))
		return MD_ENOMEM;
	c->v[c->n++] = *x;
	return 0;
}

static bool boundary_ok(const char *s, size_t len, size_t a, size_t b)
{
	bool one = b - a == 1;
	if (a > 0) {
		char p = s[a - 1];
		if ((p == '-' || p == '.') && s[a] != '.' && word_before(s, a - 1))
			return false;
		if (one && (p == '&' || p == '\'' || p == '-'))
			return false;
	}
	if (b < len && one && (s[b] == '-' || s[b] == '&' || s[b] == '\''))
		return false;
	return true;
}

/*
 * A capital letter followed by a period inside a line is an initial or an abbreviation ("Fitch,
 * D., Canada, K.", "B.E."), never the one-letter language of that name; "Java, C." at the end
 * of a line still is one. Such a name is no candidate at all, so no list spreads through it.
 */
static bool initial(const char *s, size_t len, size_t start, size_t end)
{
	return end - start == 1 && end + 1 < len && s[end] == '.' && s[end + 1] != '\n';
}

static int scan(const struct cv_taxonomy *t, const char *s, size_t len, const struct toklist *l,
                struct candlist *out)
{
	char key[KEY_MAX];
	size_t i = 0;
	while (i < l->n) {
		struct cand best = { .skill = -1 };
		size_t maxk = MD_MIN((size_t)t->max_tokens, l->n - i);
		for (size_t k = 1; k <= maxk; k++) {
			if (k > 1 && !joinable_gap(s, l->v[i + k - 2].end, l->v[i + k - 1].start))
				break;
			size_t n = build_key(l, i, k, key);
			if (!n)
				break;
			const struct cv_tx_entry *e = name_get(t, key, n);
			if (e && e->skill >= 0) {
				const struct tok *a = &l->v[i], *z = &l->v[i + k - 1];
				bool cased_ok = (!(e->flags & NAME_CASED) ||
				                 (s[a->start] >= 'A' && s[a->start] <= 'Z')) &&
				                (!(e->flags & NAME_UPPER) ||
				                 all_upper_n(s + a->start, z->end - a->start));
				if (cased_ok && boundary_ok(s, len, a->start, z->end) &&
				    !initial(s, len, a->start, z->end)) {
					best = (struct cand){ e->skill,  i,
						              i + k - 1, a->start,
						              z->end,    (e->flags & NAME_CTX) != 0,
						              false };
				}
			}
			/* Continue only while the tokens so far begin a longer name. */
			if (k == 1) {
				const struct tok *tk = &l->v[i];
				if (tk->stem_len + 1 > KEY_MAX)
					break;
				memcpy(key, l->fold.data + tk->stem_off, tk->stem_len);
				key[tk->stem_len] = '\x01';
				e = name_get(t, key, tk->stem_len + 1);
			} else {
				e = name_get(t, key, n);
			}
			if (!e || !(e->flags & NAME_PREFIX))
				break;
		}
		if (best.skill >= 0) {
			int rc = cand_push(out, &best);
			if (rc)
				return rc;
			i = best.tok_last + 1;
		} else {
			i++;
		}
	}
	return 0;
}

static bool ascii_icontains(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);
	for (size_t i = 0; i + k <= n; i++) {
		size_t j = 0;
		while (j < k) {
			char c = s[i + j];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != w[j])
				break;
			j++;
		}
		if (j == k)
			return true;
	}
	return false;
}

static const char *const skill_heads[] = {
	"skill",        "technolog",  "tech stack", "stack",       "tools",         "languages",
	"competenc",    "proficienc", "expertise",  "programming", "frameworks",    "software",
	"platforms",    "toolbox",    "technical",  "requirement", "qualification", "must have",
	"nice to have", "you have",   "we use"
};
static const char *const other_heads[] = {
	"experience",       "education",      "employment",   "work history",     "projects",
	"summary",          "profile",        "publications", "awards",           "certifications",
	"interests",        "contact",        "references",   "responsibilities", "about",
	"benefits",         "volunteer",      "objective",    "how to apply",     "hobbies",
	"what you will do", "what you'll do", "honors",       "achievements",     "activities"
};

static size_t count_words(const char *s, size_t n)
{
	size_t w = 0;
	bool in = false;
	for (size_t i = 0; i < n; i++) {
		bool sp = s[i] == ' ' || s[i] == '\t';
		if (!sp && !in)
			w++;
		in = !sp;
	}
	return w;
}

static bool has_any(const char *s, size_t n, const char *const *words, size_t nw)
{
	for (size_t i = 0; i < nw; i++)
		if (ascii_icontains(s, n, words[i]))
			return true;
	return false;
}

/* 1: a skills heading, -1: another heading, 0: not a heading. */
static int heading_kind(const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == ':'))
		n--;
	if (n == 0 || n > 48 || count_words(s, n) > 5 || memchr(s, ',', n) || s[n - 1] == '.')
		return 0;
	if (has_any(s, n, skill_heads, ARRAY_SIZE(skill_heads)))
		return 1;
	if (has_any(s, n, other_heads, ARRAY_SIZE(other_heads)))
		return -1;
	return 0;
}

/* Marks each candidate that sits on a skills line (see the header). */
static void mark_skill_lines(const char *s, size_t len, struct candlist *c)
{
	bool in_skills = false;
	size_t ci = 0, pos = 0;
	while (pos <= len && ci < c->n) {
		const char *nl = memchr(s + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - s) : len;
		int h = heading_kind(s + pos, end - pos);
		bool line_ok = in_skills && h == 0;
		size_t after = pos; /* a "Skills:" label accepts what follows it on its line */
		const char *colon = memchr(s + pos, ':', end - pos);
		if (colon && (size_t)(colon - (s + pos)) < 40 &&
		    heading_kind(s + pos, (size_t)(colon - (s + pos))) == 1) {
			line_ok = true;
			after = (size_t)(colon - s) + 1;
		}
		if (h)
			in_skills = h > 0;
		for (; ci < c->n && c->v[ci].start < end + 1; ci++)
			if (c->v[ci].ctx && line_ok && c->v[ci].start >= after)
				c->v[ci].ok = true;
		if (!nl)
			break;
		pos = end + 1;
	}
}

static bool list_gap(const char *s, size_t a, size_t b)
{
	if (b < a || b - a > 12)
		return false;
	bool sep = false;
	for (size_t i = a; i < b; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == ',' || ch == ';' || ch == '/' || ch == '|' || ch == '&' || ch == '(' ||
		    ch == ')' || ch == '+') {
			sep = true;
			continue;
		}
		if (ch == ' ')
			continue;
		if (ch == 0xE2 && i + 2 < b && (unsigned char)s[i + 1] == 0x80 &&
		    ((unsigned char)s[i + 2] == 0xA2 || (unsigned char)s[i + 2] == 0x93)) {
			i += 2; /* bullet, en dash */
			sep = true;
			continue;
		}
		if (ch == 0xC2 && i + 1 < b && (unsigned char)s[i + 1] == 0xB7) {
			i++; /* middle dot */
			sep = true;
			continue;
		}
		if ((ch == 'a' || ch == 'o') && i + 2 <= b) {
			if (b - i >= 3 && memcmp(s + i, "and", 3) == 0 &&
			    (i + 3 == b || s[i + 3] == ' ')) {
				i += 2;
				sep = true;
				continue;
			}
			if (memcmp(s + i, "or", 2) == 0 && (i + 2 == b || s[i + 2] == ' ')) {
				i += 1;
				sep = true;
				continue;
			}
		}
		return false;
	}
	return sep;
}

/*
 * Where a text comes from, for the ambiguous names: a CV's prose, a text that is all skills (a
 * skills section), or a job description. A job description is written to ask for things, so a
 * name of several words that CVs use in prose more often than as a skill ("customer service",
 * "electrical engineering", "manage budgets") is a requirement there; one-word names ("Go",
 * "Excel", "physics") still need a skills context or a list of accepted skills around them.
 */
enum text_kind { TEXT_PROSE, TEXT_SKILLS, TEXT_JD };

/* Accepts an ambiguous candidate in a list (see list_gap) next to an accepted one, until
 * nothing changes. */
static void spread_through_lists(const char *s, struct candlist *c)
{
	bool changed = true;
	while (changed) {
		changed = false;
		for (size_t i = 0; i < c->n; i++) {
			struct cand *x = &c->v[i];
			if (x->ok)
				continue;
			bool prev =
			    i > 0 && c->v[i - 1].ok && list_gap(s, c->v[i - 1].end, x->start);
			bool next = i + 1 < c->n && c->v[i + 1].ok &&
			            list_gap(s, x->end, c->v[i + 1].start);
			if (prev || next) {
				x->ok = true;
				changed = true;
			}
		}
	}
}

/*
 * A noun phrase of a job description ("experience with Go", "strong IT skills", "knowledge of
 * Excel") is a skills context: the ambiguous names inside it are accepted, and the lists they
 * begin with them.
 */
static int accept_in_noun_phrase(void *ctx, const struct cv_phrase *p)
{
	struct candlist *c = ctx;
	for (size_t i = 0; !p->verb && i < c->n; i++)
		if (c->v[i].start >= p->start && c->v[i].end <= p->start + p->len)
			c->v[i].ok = true;
	return 0;
}

static int resolve_context(const char *s, size_t len, enum text_kind kind, struct candlist *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct cand *x = &c->v[i];
		c->v[i].ok = !x->ctx || kind == TEXT_SKILLS ||
		             (kind == TEXT_JD && x->tok_last > x->tok_first);
	}
	if (kind != TEXT_SKILLS)
		mark_skill_lines(s, len, c);
	int rc = kind == TEXT_JD ? cv_phrases_find(s, len, accept_in_noun_phrase, c) : 0;
	if (!rc)
		spread_through_lists(s, c);
	return rc;
}

static int find_cands(const struct cv_taxonomy *t, const char *text, size_t len,
                      enum text_kind kind, struct candlist *c)
{
	struct toklist l = { 0 };
	buf_init(&l.fold, len < (64u << 20) ? len * 4 + 1024 : 256u << 20);
	int rc = tokenize(text, len, &l, (size_t)-1);
	if (!rc && t->nskills)
		rc = scan(t, text, len, &l, c);
	toklist_release(&l);
	if (!rc)
		rc = resolve_context(text, len, kind, c);
	return rc;
}

int cv_taxonomy_find(const struct cv_taxonomy *t, const char *text, size_t len, bool skills_context,
                     int (*cb)(void *ctx, const struct cv_skill_hit *hit), void *ctx)
{
	struct candlist c = { 0 };
	int rc = find_cands(t, text, len, skills_context ? TEXT_SKILLS : TEXT_PROSE, &c);
	for (size_t i = 0; !rc && i < c.n; i++) {
		if (!c.v[i].ok)
			continue;
		struct cv_skill_hit h = { c.v[i].skill, c.v[i].start, c.v[i].end - c.v[i].start,
			                  c.v[i].ctx };
		rc = cb(ctx, &h);
	}
	md_free(c.v);
	return rc;
}

/* ---- job descriptions ---- */

/* Cues in English, French, German and Spanish (a job ad's language is not declared). Matched
 * as ASCII-case-insensitive substrings of the sentence or bullet. */
static const char *const nice_cues[] = {
	"nice to have",   "nice-to-have", "a plus",       "bonus",     "preferred",
	"preferably",     "ideally",      "desirable",    "desired",   "advantage",
	"would be great", "pluses",       "good to have", "optional",  "un plus",
	"un atout",       "souhaité",     "souhaitable",  "apprécié",  "wünschenswert",
	"von vorteil",    "idealerweise", "deseable",     "valorable", "se valora",
};
static const char *const must_cues[] = {
	"required",      "require",     "must",      "you have",      "you will have",  "strong",
	"proficien",     "essential",   "mandatory", "solid",         "expert",         "requis",
	"exigé",         "obligatoire", "impératif", "indispensable", "erforderlich",   "zwingend",
	"vorausgesetzt", "unbedingt",   "requerido", "obligatorio",   "imprescindible", "necesario",
};
/* Headings of a section of requirements, beside the must cues. */
static const char *const must_heads[] = { "requirement",      "qualification", "exigences",
	                                  "profil recherché", "votre profil",  "anforderungen",
	                                  "ihr profil",       "requisitos",    "tu perfil" };
static const char *const skip_heads[] = {
	"benefits",          "about us",          "how to apply", "perks",        "what we offer",
	"about the company", "equal opportunity", "avantages",    "nous offrons", "qui sommes",
	"wir bieten",        "über uns",          "ofrecemos",    "beneficios",   "sobre nosotros",
};

static bool is_unit_break(const char *s, size_t len, size_t i)
{
	unsigned char c = (unsigned char)s[i];
	if (c == ';' || c == '!' || c == '?')
		return true;
	if (c == '.' && (i + 1 >= len || s[i + 1] == ' ' || s[i + 1] == '\n'))
		return true;
	if (c == '\n' && i + 1 < len) {
		unsigned char d = (unsigned char)s[i + 1];
		/* A blank line or a new bullet ends the unit; a wrapped line does not. */
		if (d == '\n' || d == '-' || d == '*' || d == 0xE2 || d == 0xC2)
			return true;
		if (i > 0 && (s[i - 1] == ':' || s[i - 1] == '.'))
			return true;
	}
	return false;
}

/* The bounds of the sentence or bullet around [a, b). */
static void unit_bounds(const char *s, size_t len, size_t a, size_t b, size_t *ua, size_t *ub)
{
	size_t i = a;
	while (i > 0 && !is_unit_break(s, len, i - 1) && a - i < 600)
		i--;
	size_t j = b;
	while (j < len && !is_unit_break(s, len, j) && j - b < 600)
		j++;
	*ua = i;
	*ub = j;
}

/* Classifies the section each line belongs to: 0 normal, 1 nice, 2 skipped, 3 must. */
static int section_at(const char *s, size_t pos)
{
	int sec = 0;
	size_t i = 0;
	while (i < pos) {
		const char *nl = memchr(s + i, '\n', pos - i);
		size_t end = nl ? (size_t)(nl - s) : pos;
		size_t n = end - i;
		const char *l = s + i;
		while (n && (*l == ' ' || *l == '#')) {
			l++;
			n--;
		}
		bool titled = n && n < 40 && count_words(l, n) <= 4 && l[0] >= 'A' && l[0] <= 'Z' &&
		              l[n - 1] != '.' && !memchr(l, ',', n);
		if (heading_kind(l, n) != 0 || titled) {
			if (has_any(l, n, skip_heads, ARRAY_SIZE(skip_heads)))
				sec = 2;
			else if (has_any(l, n, nice_cues, ARRAY_SIZE(nice_cues)))
				sec = 1;
			else if (has_any(l, n, must_cues, ARRAY_SIZE(must_cues)) ||
			         has_any(l, n, must_heads, ARRAY_SIZE(must_heads)))
				sec = 3;
			else
				sec = 0;
		}
		if (!nl)
			break;
		i = end + 1;
	}
	return sec;
}

/* The kind of a mention at [a, b) of a job description, or 0 when its section is skipped. */
static int mention_kind(const char *text, size_t len, size_t a, size_t b)
{
	int sec = section_at(text, a);
	if (sec == 2)
		return 0;
	size_t ua, ub;
	unit_bounds(text, len, a, b, &ua, &ub);
	if (has_any(text + ua, ub - ua, nice_cues, ARRAY_SIZE(nice_cues)))
		return CV_REQ_NICE;
	if (has_any(text + ua, ub - ua, must_cues, ARRAY_SIZE(must_cues)))
		return CV_REQ_MUST;
	return sec == 1 ? CV_REQ_NICE : CV_REQ_MUST;
}

/* How many terms (phrases.h) text[0..n) has: what a phrase asks for. */
static size_t content_words(const char *s, size_t n)
{
	size_t count = 0;
	struct slice rest = { s, n }, w;
	while (cv_phrases_next_term(&rest, &w))
		count++;
	return count;
}

struct phrase_scan {
	const struct cv_taxonomy *t;
	const struct candlist *c;
	const char *text;
	size_t len;
	struct cv_skill_requirement *v;
	size_t n;
};

/*
 * Keeps a phrase of the job description as a requirement when it asks for more than the
 * taxonomy skills named inside it (those are requirements of their own): a content word beside
 * them, two when it names one. A lone verb is not kept, nor a phrase of a skipped section
 * ("Benefits") or one kept already.
 */
static int keep_phrase(void *ctx, const struct cv_phrase *p)
{
	struct phrase_scan *ps = ctx;
	if (ps->n >= CV_JD_PHRASES_MAX)
		return 0;
	/* The content words outside the taxonomy skills named inside the phrase (a common word
	 * learned from CV skills lists, "design", is no requirement by itself: it counts as a
	 * content word). */
	size_t words = 0, at = p->start, end = p->start + p->len, named = 0;
	for (size_t i = 0; i < ps->c->n; i++) {
		const struct cand *x = &ps->c->v[i];
		if (!x->ok || x->end <= at || x->start >= end ||
		    strcmp(ps->t->skills[x->skill].category, CV_TAXONOMY_LEARNED_COMMON) == 0)
			continue;
		if (x->start > at)
			words += content_words(ps->text + at, x->start - at);
		at = x->end > at ? x->end : at;
		named++;
	}
	if (at < end)
		words += content_words(ps->text + at, end - at);
	/* A verb alone ("designs", "developing") says too little to judge a CV by; a single noun
	 * after a cue ("experience in accounting") is a skill. */
	if (words < (named ? 2u : 1u) || (p->verb && !memchr(ps->text + p->start, ' ', p->len)))
		return 0;
	for (size_t k = 0; k < ps->n; k++)
		if (ps->v[k].len == p->len &&
		    strncasecmp(ps->text + ps->v[k].offset, ps->text + p->start, p->len) == 0)
			return 0;
	int kind = mention_kind(ps->text, ps->len, p->start, p->start + p->len);
	if (kind)
		ps->v[ps->n++] =
		    (struct cv_skill_requirement){ -1, p->start, p->len, (enum cv_req_kind)kind };
	return 0;
}

int cv_taxonomy_extract_requirements(const struct cv_taxonomy *t, const char *text, size_t len,
                                     int (*cb)(void *ctx, const struct cv_skill_requirement *req),
                                     void *ctx)
{
	struct candlist c = { 0 };
	struct cv_skill_requirement *reqs = NULL;
	size_t nreq = 0;
	int rc = find_cands(t, text, len, TEXT_JD, &c);
	if (rc)
		goto out;
	reqs = md_calloc(c.n + CV_JD_PHRASES_MAX, sizeof(*reqs));
	if (!reqs) {
		rc = MD_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < c.n; i++) {
		const struct cand *x = &c.v[i];
		if (!x->ok || strcmp(t->skills[x->skill].category, CV_TAXONOMY_LEARNED_COMMON) == 0)
			continue;
		int kind = mention_kind(text, len, x->start, x->end);
		if (!kind)
			continue;
		size_t k = 0;
		while (k < nreq && reqs[k].skill != x->skill)
			k++;
		if (k == nreq) {
			reqs[nreq++] =
			    (struct cv_skill_requirement){ x->skill, x->start, x->end - x->start,
				                           (enum cv_req_kind)kind };
		} else if (kind == CV_REQ_MUST) {
			reqs[k].kind = CV_REQ_MUST;
		}
	}
	struct phrase_scan ps = { t, &c, text, len, reqs + nreq, 0 };
	if ((rc = cv_phrases_find(text, len, keep_phrase, &ps)))
		goto out;
	nreq += ps.n;
	for (size_t k = 0; k < nreq && !rc; k++)
		rc = cb(ctx, &reqs[k]);
out:
	md_free(reqs);
	md_free(c.v);
	return rc;
}
