/*
 * gen_people: a seeded generator of a people linkage task, FEBRL-shaped (issue 6, section 4).
 *
 *   gen_people N SEED OUTDIR [MATCH_RATE]
 *
 * writes OUTDIR/a.csv (N clean people), OUTDIR/b.csv (N records: MATCH_RATE (default 0.9) of
 * them corrupted copies of distinct A people, the rest new people, shuffled) and OUTDIR/a.truth,
 * OUTDIR/b.truth (the person number of each data row, one per line; the CSVs carry no id, so the
 * server never sees the truth). Columns: given_name, surname, street_number, address_1, suburb,
 * postcode, state, date_of_birth (YYYYMMDD), soc_sec_id (7 digits).
 *
 * People: given names from a list of 128; surnames, street names and suburbs built from
 * syllables (3,000 surnames drawn with a skew so that common ones repeat, like real surnames;
 * 20,000 streets; 2,000 suburbs, each with its own postcode and state); street number 1..400
 * skewed low; date of birth uniform 1920..2005; soc_sec_id uniform 7 digits.
 *
 * Corruption of a B copy, independently per field (probabilities):
 *   given_name  typo 8 %, missing 3 %      surname   typo 8 %, missing 2 %
 *   given_name <-> surname swapped 2 %
 *   street_number other number 4 %, missing 3 %
 *   address_1   typo 10 %, missing 5 %     suburb    typo 8 %, missing 3 %
 *   postcode    one digit changed 5 %, missing 2 %          state missing 2 %
 *   date_of_birth day/month swapped 3 % (when the day is <= 12), one digit changed 5 %,
 *                 missing 3 %
 *   soc_sec_id  one digit changed 5 %, missing 10 %
 * A typo is one edit chosen uniformly among substitution, insertion, deletion and transposition
 * of adjacent letters, at a uniform position. Same N and SEED give the same files.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static uint64_t rng_state;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
static double unif(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }
static unsigned below(unsigned n) { return (unsigned)(unif() * n); }
static int chance(double p) { return unif() < p; }

static const char *const GIVEN[] = {
	"james", "john", "robert", "michael", "william", "david", "richard", "joseph", "thomas",
	"charles", "christopher", "daniel", "matthew", "anthony", "mark", "donald", "steven",
	"paul", "andrew", "joshua", "kenneth", "kevin", "brian", "george", "timothy", "ronald",
	"edward", "jason", "jeffrey", "ryan", "jacob", "gary", "nicholas", "eric", "jonathan",
	"stephen", "larry", "justin", "scott", "brandon", "benjamin", "samuel", "gregory",
	"alexander", "frank", "patrick", "raymond", "jack", "dennis", "jerry", "tyler", "aaron",
	"jose", "adam", "nathan", "henry", "douglas", "zachary", "peter", "kyle", "ethan", "walter",
	"noah", "jeremy", "mary", "patricia", "jennifer", "linda", "elizabeth", "barbara", "susan",
	"jessica", "sarah", "karen", "lisa", "nancy", "betty", "margaret", "sandra", "ashley",
	"kimberly", "emily", "donna", "michelle", "carol", "amanda", "dorothy", "melissa",
	"deborah", "stephanie", "rebecca", "sharon", "laura", "cynthia", "kathleen", "amy",
	"angela", "shirley", "anna", "brenda", "pamela", "emma", "nicole", "helen", "samantha",
	"katherine", "christine", "debra", "rachel", "carolyn", "janet", "catherine", "maria",
	"heather", "diane", "ruth", "julie", "olivia", "joyce", "virginia", "victoria", "kelly",
	"lauren", "christina", "joan", "evelyn", "judith", "megan", "chloe", "charlotte",
};
static const char *const SYL1[] = {
	"ab", "bar", "bel", "bro", "car", "chan", "cor", "dal", "den", "dor", "el", "fair", "fer",
	"gal", "gar", "hal", "har", "hol", "kel", "ken", "lan", "lin", "mac", "mar", "mer", "mil",
	"mor", "nor", "ol", "par", "pen", "ran", "ros", "sal", "sel", "sher", "stan", "tal", "ter",
	"thom", "val", "war", "wel", "win", "wood", "yar", "ash", "bur", "craw", "dun", "ed", "fitz",
	"gil", "haw", "jen", "kim", "lock", "mat", "nel", "pat",
};
static const char *const SYL2[] = {
	"ton", "ley", "son", "well", "ford", "wood", "man", "er", "by", "dale", "field", "ham",
	"ridge", "worth", "stone", "more", "land", "burn", "cott", "den", "ing", "ett", "ard",
	"ick", "ell", "an", "ins", "ock", "hurst", "mont", "ville", "brook", "croft", "gate",
	"holm", "ley", "ray", "ski", "vic", "ova", "ez", "ini", "oni", "sen", "berg", "stein", "ke",
	"ner", "hall", "ward",
};
static const char *const STREET_TYPE[] = { "street", "road", "avenue", "place", "crescent",
	                                   "circuit", "close", "drive", "lane", "court" };
static const char *const STATES[] = { "nsw", "vic", "qld", "sa", "wa", "tas", "nt", "act" };

#define NSUR 3000
#define NSTREET 20000
#define NSUB 2000
#define N1 (sizeof SYL1 / sizeof *SYL1)
#define N2 (sizeof SYL2 / sizeof *SYL2)

static char surnames[NSUR][32], streets[NSTREET][48], suburbs[NSUB][40];
static int sub_post[NSUB], sub_state[NSUB];

struct person {
	char given[40], sur[40], num[8], street[56], suburb[48], post[8], state[8], dob[12],
	    ssn[12];
};

static void syl_name(char *out, size_t cap, unsigned k)
{
	unsigned a = k % N1, b = (k / N1) % N2, c = k / (N1 * N2);
	if (c)
		snprintf(out, cap, "%s%s%s", SYL1[a], SYL2[b], SYL2[c % N2]);
	else
		snprintf(out, cap, "%s%s", SYL1[a], SYL2[b]);
}

static void make_tables(void)
{
	for (unsigned i = 0; i < NSUR; i++)
		syl_name(surnames[i], sizeof surnames[i], i * 7919u % (N1 * N2 * 3));
	for (unsigned i = 0; i < NSTREET; i++) {
		char base[40];
		syl_name(base, sizeof base, i * 104729u % (N1 * N2 * 8));
		snprintf(streets[i], sizeof streets[i], "%s %s", base,
		         STREET_TYPE[(i / 7) % (sizeof STREET_TYPE / sizeof *STREET_TYPE)]);
	}
	for (unsigned i = 0; i < NSUB; i++) {
		syl_name(suburbs[i], sizeof suburbs[i], i * 6007u % (N1 * N2 * 2) + 1);
		if (i % 3 == 0) {
			size_t len = strlen(suburbs[i]);
			snprintf(suburbs[i] + len, sizeof suburbs[i] - len, " %s",
			         i % 2 ? "heights" : "park");
		}
		sub_state[i] = (int)(i % 8);
		sub_post[i] = 1000 + (int)((i * 4999u) % 8999u);
	}
}

static void person(struct person *p)
{
	snprintf(p->given, sizeof p->given, "%s", GIVEN[below(sizeof GIVEN / sizeof *GIVEN)]);
	double u = unif();
	snprintf(p->sur, sizeof p->sur, "%s", surnames[(unsigned)(u * u * NSUR)]);
	double v = unif();
	snprintf(p->num, sizeof p->num, "%u", 1 + (unsigned)(v * v * 400));
	snprintf(p->street, sizeof p->street, "%s", streets[below(NSTREET)]);
	unsigned s = below(NSUB);
	snprintf(p->suburb, sizeof p->suburb, "%s", suburbs[s]);
	snprintf(p->post, sizeof p->post, "%04d", sub_post[s]);
	snprintf(p->state, sizeof p->state, "%s", STATES[sub_state[s]]);
	snprintf(p->dob, sizeof p->dob, "%04u%02u%02u", 1920 + below(86), 1 + below(12),
	         1 + below(28));
	snprintf(p->ssn, sizeof p->ssn, "%07u", below(10000000));
}

static void typo(char *s, size_t cap)
{
	size_t n = strlen(s);
	if (n < 2)
		return;
	size_t i = below((unsigned)n);
	char c = (char)('a' + below(26));
	switch (below(4)) {
	case 0: s[i] = c; break;
	case 1:
		if (n + 1 < cap) {
			memmove(s + i + 1, s + i, n - i + 1);
			s[i] = c;
		}
		break;
	case 2: memmove(s + i, s + i + 1, n - i); break;
	default:
		if (i + 1 < n) {
			char t = s[i];
			s[i] = s[i + 1];
			s[i + 1] = t;
		}
	}
}

static void digit(char *s)
{
	size_t n = strlen(s);
	if (n)
		s[below((unsigned)n)] = (char)('0' + below(10));
}

#define FIELD(p, f, typo_p, miss_p)                                                             \
	do {                                                                                      \
		if (chance(typo_p))                                                               \
			typo((p)->f, sizeof(p)->f);                                               \
		if (chance(miss_p))                                                               \
			(p)->f[0] = '\0';                                                         \
	} while (0)

static void corrupt(struct person *p)
{
	FIELD(p, given, 0.08, 0.03);
	FIELD(p, sur, 0.08, 0.02);
	if (chance(0.02)) {
		char t[40];
		memcpy(t, p->given, sizeof t);
		memcpy(p->given, p->sur, sizeof t);
		memcpy(p->sur, t, sizeof t);
	}
	if (chance(0.04))
		snprintf(p->num, sizeof p->num, "%u", 1 + below(400));
	if (chance(0.03))
		p->num[0] = '\0';
	FIELD(p, street, 0.10, 0.05);
	FIELD(p, suburb, 0.08, 0.03);
	if (chance(0.05))
		digit(p->post);
	if (chance(0.02))
		p->post[0] = '\0';
	if (chance(0.02))
		p->state[0] = '\0';
	if (chance(0.03) && p->dob[6] <= '1' && !(p->dob[6] == '1' && p->dob[7] > '2') &&
	    !(p->dob[6] == '0' && p->dob[7] == '0')) {
		char t0 = p->dob[4], t1 = p->dob[5];
		p->dob[4] = p->dob[6], p->dob[5] = p->dob[7];
		p->dob[6] = t0, p->dob[7] = t1;
	}
	if (chance(0.05))
		digit(p->dob);
	if (chance(0.03))
		p->dob[0] = '\0';
	if (chance(0.05))
		digit(p->ssn);
	if (chance(0.10))
		p->ssn[0] = '\0';
}

static void cell(FILE *f, const char *s, char end)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(end, f);
}

static void write_person(FILE *f, const struct person *p)
{
	cell(f, p->given, ',');
	cell(f, p->sur, ',');
	cell(f, p->num, ',');
	cell(f, p->street, ',');
	cell(f, p->suburb, ',');
	cell(f, p->post, ',');
	cell(f, p->state, ',');
	cell(f, p->dob, ',');
	cell(f, p->ssn, '\n');
}

static FILE *open_out(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	static char bufs[4][1 << 16];
	static int k;
	setvbuf(f, bufs[k++ % 4], _IOFBF, sizeof bufs[0]);
	return f;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: gen_people N SEED OUTDIR [MATCH_RATE]\n");
		return 2;
	}
	size_t n = strtoull(argv[1], NULL, 10);
	rng_state = strtoull(argv[2], NULL, 10) * 0x2545f4914f6cdd1dull + 1;
	const char *dir = argv[3];
	double rate = argc > 4 ? atof(argv[4]) : 0.9;
	if (mkdir(dir, 0755) && errno != EEXIST) {
		perror(dir);
		return 1;
	}
	make_tables();
	struct person *a = malloc(n * sizeof *a);
	size_t *perm = malloc(n * sizeof *perm);
	if (!a || !perm)
		return 1;
	static const char head[] = "given_name,surname,street_number,address_1,suburb,postcode,"
	                           "state,date_of_birth,soc_sec_id\n";
	FILE *fa = open_out(dir, "a.csv"), *ta = open_out(dir, "a.truth");
	fputs(head, fa);
	for (size_t i = 0; i < n; i++) {
		person(&a[i]);
		write_person(fa, &a[i]);
		fprintf(ta, "%zu\n", i);
	}
	/* B row j: a copy of A person perm[j] for the first rate*n of a shuffled order, else new. */
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(unif() * (double)i);
		size_t t = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	size_t ndup = (size_t)(rate * (double)n);
	FILE *fb = open_out(dir, "b.csv"), *tb = open_out(dir, "b.truth");
	fputs(head, fb);
	for (size_t j = 0; j < n; j++) {
		struct person p;
		if (perm[j] < ndup) {
			p = a[perm[j]];
			corrupt(&p);
			fprintf(tb, "%zu\n", perm[j]);
		} else {
			person(&p);
			fprintf(tb, "new%zu\n", j);
		}
		write_person(fb, &p);
	}
	/* A persons with index >= ndup have no copy in B. */
	fclose(fa), fclose(ta), fclose(fb), fclose(tb);
	free(a), free(perm);
	return 0;
}
