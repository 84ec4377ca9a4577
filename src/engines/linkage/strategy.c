/* strategy.c: column strategies of smart-runs, see strategy.h. */
#include "engines/linkage/strategy.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/common.h"

#define N_CASE (LK_NORM_NFKC_CASEFOLD | LK_NORM_TRIM | LK_NORM_COLLAPSE_WHITESPACE)
#define N_NAME LK_NORM_NAMES
#define N_TEXT (N_NAME | LK_NORM_STRIP_PUNCTUATION)
#define N_DIGITS (LK_NORM_TRIM | LK_NORM_DIGITS_ONLY)

#define R_JW { 0.92, 0.8 }, 2
#define R_LEV { 1, 2 }, 2
#define R_SET { 0.9, 0.7 }, 2

static const struct lk_column_rule people_rules[] = {
	{ "given_name", "given|first|fore|middle", LK_CMP_JARO_WINKLER, N_NAME, R_JW, true },
	{ "surname", "surname|last_name|lastname|family", LK_CMP_JARO_WINKLER, N_NAME, R_JW, true },
	{ "full_name", "name", LK_CMP_TOKEN_SET, N_TEXT, R_SET, false },
	{ "date_of_birth", "birth|dob|born", LK_CMP_LEVENSHTEIN, N_DIGITS, R_LEV, false },
	{ "national_id", "soc_sec|ssn|social|national|passport|licen", LK_CMP_LEVENSHTEIN, N_DIGITS,
	  R_LEV, false },
	{ "street_number",
	  "street_number|house|street_no|number",
	  LK_CMP_EXACT,
	  N_CASE,
	  { 0 },
	  0,
	  false },
	{ "postcode", "postcode|zip|postal", LK_CMP_LEVENSHTEIN, N_CASE, R_LEV, true },
	{ "address", "address|street|road", LK_CMP_JARO_WINKLER, N_TEXT, R_JW, false },
	{ "locality", "suburb|city|town|locality|place", LK_CMP_JARO_WINKLER, N_NAME, R_JW, true },
	{ "region", "state|county|country|province|region", LK_CMP_EXACT, N_CASE, { 0 }, 0, false },
	{ "email", "mail", LK_CMP_JARO_WINKLER, N_CASE, R_JW, false },
	{ "phone", "phone|mobile|tel", LK_CMP_LEVENSHTEIN, N_DIGITS, R_LEV, false },
	{ "sex", "sex|gender", LK_CMP_EXACT, N_CASE, { 0 }, 0, false },
};

static const struct lk_column_rule org_rules[] = {
	{ "organization_name", "name|company|org|business|firm|employer", LK_CMP_TOKEN_SET, N_TEXT,
	  R_SET, true },
	{ "address", "address|street|road", LK_CMP_TOKEN_SET, N_TEXT, R_SET, false },
	{ "locality", "suburb|city|town|locality", LK_CMP_JARO_WINKLER, N_NAME, R_JW, true },
	{ "postcode", "postcode|zip|postal", LK_CMP_EXACT, N_CASE, { 0 }, 0, false },
	{ "phone", "phone|tel|fax", LK_CMP_LEVENSHTEIN, N_DIGITS, R_LEV, false },
	{ "website", "web|domain|url|site", LK_CMP_EXACT, N_CASE, { 0 }, 0, false },
	{ "registration", "vat|tax|duns|lei|registration|_id", LK_CMP_LEVENSHTEIN, N_TEXT, R_LEV,
	  false },
	{ "region", "state|county|country|province|region", LK_CMP_EXACT, N_CASE, { 0 }, 0, false },
};

static const struct lk_column_rule address_rules[] = {
	{ "street_number", "street_number|house|number|no", LK_CMP_EXACT, N_CASE, { 0 }, 0, false },
	{ "unit", "unit|flat|apartment|suite", LK_CMP_EXACT, N_CASE, { 0 }, 0, false },
	{ "street", "address|street|road|line", LK_CMP_TOKEN_SET, N_TEXT, R_SET, true },
	{ "locality", "suburb|city|town|locality", LK_CMP_JARO_WINKLER, N_NAME, R_JW, true },
	{ "postcode", "postcode|zip|postal", LK_CMP_LEVENSHTEIN, N_CASE, R_LEV, false },
	{ "region", "state|county|country|province|region", LK_CMP_EXACT, N_CASE, { 0 }, 0, false },
};

static const struct lk_column_rule product_rules[] = {
	{ "identifier", "sku|upc|ean|gtin|mpn|isbn|model", LK_CMP_LEVENSHTEIN, N_TEXT, R_LEV,
	  false },
	{ "brand", "brand|manufacturer|maker|vendor", LK_CMP_JARO_WINKLER, N_TEXT, R_JW, true },
	{ "price", "price|cost|amount", LK_CMP_NUMERIC, LK_NORM_TRIM, { 0.01, 0.1 }, 2, false },
	{ "category", "category|type|class", LK_CMP_TOKEN_SET, N_TEXT, R_SET, false },
	{ "title", "title|name|description|product", LK_CMP_QGRAM_COSINE, N_TEXT, R_SET, false },
};

static const struct lk_strategy strategies[] = {
	{ "auto", "Automatic",
	  "Infers every field from the column names and values (people rules first, then value "
	  "shapes: digits, dates, long text, short text).",
	  people_rules, ARRAY_SIZE(people_rules) },
	{ "people", "People", "Names, dates of birth, addresses and identifiers of persons.",
	  people_rules, ARRAY_SIZE(people_rules) },
	{ "organizations", "Organizations",
	  "Company names (token sets, punctuation and legal noise stripped), addresses, phones, "
	  "web sites.",
	  org_rules, ARRAY_SIZE(org_rules) },
	{ "addresses", "Addresses", "Street numbers, streets, localities and postcodes.",
	  address_rules, ARRAY_SIZE(address_rules) },
	{ "products", "Products",
	  "Product titles by character q-gram cosine, brands, prices, SKUs and GTINs.",
	  product_rules, ARRAY_SIZE(product_rules) },
};

const struct lk_strategy *lk_strategy_find(const char *id)
{
	for (size_t i = 0; id && i < ARRAY_SIZE(strategies); i++)
		if (!strcmp(strategies[i].id, id))
			return &strategies[i];
	return NULL;
}

static bool hint_match(const char *hints, const char *col)
{
	char lower[256];
	size_t n = 0;
	for (; col[n] && n < sizeof lower - 1; n++)
		lower[n] = (char)tolower((unsigned char)col[n]);
	lower[n] = '\0';
	const char *h = hints;
	while (*h) {
		const char *bar = strchr(h, '|');
		size_t len = bar ? (size_t)(bar - h) : strlen(h);
		char one[64];
		snprintf(one, sizeof one, "%.*s", (int)len, h);
		if (len && strstr(lower, one))
			return true;
		h += len + (bar ? 1 : 0);
	}
	return false;
}

static const struct lk_column_rule *rule_for(const struct lk_strategy *s, const char *col)
{
	for (size_t k = 0; k < s->nrules; k++)
		if (hint_match(s->rules[k].hints, col))
			return &s->rules[k];
	return NULL;
}

/* The comparison a column gets from its values when no name hint decided. */
static void infer_from_values(const struct lk_table *t, int col, struct lk_field *f)
{
	size_t seen = 0, digits = 0, dates = 0, spaced = 0, total_len = 0;
	for (size_t r = 0; r < t->nrows && seen < 500; r++) {
		const char *v = t->cells[r * t->ncols + (size_t)col];
		if (!*v)
			continue;
		seen++;
		size_t n = strlen(v), nd = 0;
		total_len += n;
		for (size_t i = 0; i < n; i++)
			nd += isdigit((unsigned char)v[i]) != 0;
		if (nd == n || (nd >= n - 2 && n >= 6))
			digits++;
		if ((n == 10 && v[4] == '-' && v[7] == '-') || (n == 8 && nd == 8 && v[0] <= '2'))
			dates++;
		if (strchr(v, ' '))
			spaced++;
	}
	f->nthresholds = 0;
	f->normalize = N_NAME;
	if (seen && dates * 10 >= seen * 9) {
		/* Event dates drift by days (bookings, settlements): compare them as dates. */
		f->cmp = LK_CMP_DATE;
		f->normalize = LK_NORM_TRIM;
		f->thresholds[0] = 1, f->thresholds[1] = 4, f->thresholds[2] = 14;
		f->nthresholds = 3;
	} else if (seen && digits * 10 >= seen * 9) {
		f->cmp = total_len / seen >= 5 ? LK_CMP_LEVENSHTEIN : LK_CMP_EXACT;
		f->normalize = N_DIGITS;
		if (f->cmp == LK_CMP_LEVENSHTEIN)
			f->thresholds[0] = 1, f->thresholds[1] = 2, f->nthresholds = 2;
	} else if (seen && total_len / seen > 30) {
		f->cmp = LK_CMP_QGRAM_COSINE;
		f->normalize = N_TEXT;
		f->thresholds[0] = 0.9, f->thresholds[1] = 0.7, f->nthresholds = 2;
	} else if (seen && spaced * 2 >= seen) {
		f->cmp = LK_CMP_TOKEN_SET;
		f->normalize = N_TEXT;
		f->thresholds[0] = 0.9, f->thresholds[1] = 0.7, f->nthresholds = 2;
	} else {
		f->cmp = LK_CMP_JARO_WINKLER;
		f->thresholds[0] = 0.92, f->thresholds[1] = 0.8, f->nthresholds = 2;
		f->tf_adjust = true;
	}
}

/* The engine's default levels for a comparator (smart runs and inferred fields alike). */
void lk_default_levels(struct lk_field *f)
{
	if (f->nthresholds > 0)
		return;
	static const struct {
		enum lk_comparator cmp;
		double t[2];
		int n;
	} defaults[] = {
		{ LK_CMP_JARO_WINKLER, { 0.92, 0.8 }, 2 },
		{ LK_CMP_LEVENSHTEIN, { 1, 2 }, 2 },
		{ LK_CMP_TOKEN_SET, { 0.9, 0.7 }, 2 },
		{ LK_CMP_QGRAM_COSINE, { 0.9, 0.7 }, 2 },
		{ LK_CMP_NUMERIC, { 0.01, 0.1 }, 2 },
		{ LK_CMP_DATE, { 31, 366 }, 2 },
		/* phonetic: the threshold only adds the "some key agrees" level */
		{ LK_CMP_PHONETIC, { 0 }, 1 },
	};
	for (size_t k = 0; k < ARRAY_SIZE(defaults); k++) {
		if (defaults[k].cmp != f->cmp)
			continue;
		for (int i = 0; i < defaults[k].n; i++)
			f->thresholds[i] = defaults[k].t[i];
		f->nthresholds = defaults[k].n;
	}
}

/* True when at least half of the column's first 500 values have a digit. */
static bool mostly_digits(const struct lk_table *t, int col)
{
	size_t seen = 0, with = 0;
	for (size_t r = 0; r < t->nrows && seen < 500; r++) {
		const char *v = t->cells[r * t->ncols + (size_t)col];
		if (!*v)
			continue;
		seen++;
		with += strpbrk(v, "0123456789") != NULL;
	}
	return seen && with * 2 >= seen;
}

/*
 * The first rule whose hint the column's name has and whose comparison its values suit: a
 * digits_only rule (dates of birth, identifiers, phones) needs digits, so "birth_place" is not
 * a date of birth but falls through to the locality rule ("place").
 */
static const struct lk_column_rule *rule_fitting(const struct lk_strategy *s, const char *col,
                                                 const struct lk_table *t, int c)
{
	for (size_t k = 0; k < s->nrules; k++)
		if (hint_match(s->rules[k].hints, col) &&
		    (!(s->rules[k].norm & LK_NORM_DIGITS_ONLY) || mostly_digits(t, c)))
			return &s->rules[k];
	return NULL;
}

/* Fills a field's comparison from the strategy (name hints, then the reference's values). */
void lk_strategy_infer_field(const struct lk_strategy *s, const char *col,
                             const struct lk_table *ref, int ref_col, struct lk_field *f)
{
	const struct lk_column_rule *r = rule_fitting(s, col, ref, ref_col);
	if (!r && !strcmp(s->id, "auto"))
		r = rule_fitting(&strategies[4], col, ref, ref_col);
	if (!r) {
		infer_from_values(ref, ref_col, f);
		return;
	}
	f->cmp = r->cmp;
	f->normalize = r->norm;
	f->nthresholds = r->nt;
	for (int i = 0; i < r->nt; i++)
		f->thresholds[i] = r->t[i];
	f->tf_adjust = r->tf;
}

/* Identifier-like columns that an inferred field list leaves out. */
bool lk_strategy_skip_column(const struct lk_strategy *s, const char *col)
{
	static const char *const names[] = { "id",  "rec_id",  "record_id", "unique_id",
		                             "uid", "cluster", "label",     "source_dataset" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcasecmp(col, names[i]))
			return true;
	size_t n = strlen(col);
	return n > 3 && !strcasecmp(col + n - 3, "_id") && !rule_for(s, col);
}

const struct lk_strategy *lk_strategies(size_t *n)
{
	*n = ARRAY_SIZE(strategies);
	return strategies;
}
