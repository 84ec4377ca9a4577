#include "engines/cv/sections.h"

#include "base/common.h"

#include "engines/cv/dates.h"

#define HEADING_MAX_BYTES 60
#define HEADING_MAX_WORDS 6
#define COL_MAX 400  /* columns looked at for a gutter */
#define COL_MIN 15   /* a gutter left of this is an indent, not a column */
#define GUTTER_TOL 3 /* columns of slack around the gutter */
#define MIN_SPLIT 3  /* lines with text on both sides */
#define MIN_RIGHT 3  /* lines with text only on the right */

struct vocab {
	const char *text; /* folded */
	enum cv_section_kind kind;
};

/* Whole headings, folded. Checked before the key words. */
static const struct vocab headings[] = {
	{ "experience", CV_SEC_EXPERIENCE },
	{ "work experience", CV_SEC_EXPERIENCE },
	{ "professional experience", CV_SEC_EXPERIENCE },
	{ "relevant experience", CV_SEC_EXPERIENCE },
	{ "employment", CV_SEC_EXPERIENCE },
	{ "employment history", CV_SEC_EXPERIENCE },
	{ "work history", CV_SEC_EXPERIENCE },
	{ "career history", CV_SEC_EXPERIENCE },
	{ "research", CV_SEC_EXPERIENCE },
	{ "research experience", CV_SEC_EXPERIENCE },
	{ "internships", CV_SEC_EXPERIENCE },
	{ "expérience", CV_SEC_EXPERIENCE },
	{ "expériences", CV_SEC_EXPERIENCE },
	{ "expérience professionnelle", CV_SEC_EXPERIENCE },
	{ "expériences professionnelles", CV_SEC_EXPERIENCE },
	{ "parcours professionnel", CV_SEC_EXPERIENCE },
	{ "berufserfahrung", CV_SEC_EXPERIENCE },
	{ "berufspraxis", CV_SEC_EXPERIENCE },
	{ "beruflicher werdegang", CV_SEC_EXPERIENCE },
	{ "werdegang", CV_SEC_EXPERIENCE },
	{ "experiencia", CV_SEC_EXPERIENCE },
	{ "experiencia laboral", CV_SEC_EXPERIENCE },
	{ "experiencia profesional", CV_SEC_EXPERIENCE },
	{ "education", CV_SEC_EDUCATION },
	{ "academic background", CV_SEC_EDUCATION },
	{ "education and training", CV_SEC_EDUCATION },
	{ "formation", CV_SEC_EDUCATION },
	{ "formations", CV_SEC_EDUCATION },
	{ "études", CV_SEC_EDUCATION },
	{ "diplômes", CV_SEC_EDUCATION },
	{ "ausbildung", CV_SEC_EDUCATION },
	{ "studium", CV_SEC_EDUCATION },
	{ "bildung", CV_SEC_EDUCATION },
	{ "bildungsweg", CV_SEC_EDUCATION },
	{ "educación", CV_SEC_EDUCATION },
	{ "formación", CV_SEC_EDUCATION },
	{ "formación académica", CV_SEC_EDUCATION },
	{ "estudios", CV_SEC_EDUCATION },
	{ "skills", CV_SEC_SKILLS },
	{ "technical skills", CV_SEC_SKILLS },
	{ "skills & interests", CV_SEC_SKILLS },
	{ "skills and interests", CV_SEC_SKILLS },
	{ "core competencies", CV_SEC_SKILLS },
	{ "technologies", CV_SEC_SKILLS },
	{ "strengths", CV_SEC_SKILLS },
	{ "programming languages", CV_SEC_SKILLS },
	{ "compétences", CV_SEC_SKILLS },
	{ "compétences techniques", CV_SEC_SKILLS },
	{ "kenntnisse", CV_SEC_SKILLS },
	{ "fähigkeiten", CV_SEC_SKILLS },
	{ "it-kenntnisse", CV_SEC_SKILLS },
	{ "habilidades", CV_SEC_SKILLS },
	{ "competencias", CV_SEC_SKILLS },
	{ "conocimientos", CV_SEC_SKILLS },
	{ "languages", CV_SEC_LANGUAGES },
	{ "language skills", CV_SEC_LANGUAGES },
	{ "langues", CV_SEC_LANGUAGES },
	{ "sprachen", CV_SEC_LANGUAGES },
	{ "sprachkenntnisse", CV_SEC_LANGUAGES },
	{ "idiomas", CV_SEC_LANGUAGES },
	{ "certifications", CV_SEC_CERTIFICATIONS },
	{ "certificates", CV_SEC_CERTIFICATIONS },
	{ "licenses & certifications", CV_SEC_CERTIFICATIONS },
	{ "zertifikate", CV_SEC_CERTIFICATIONS },
	{ "certificaciones", CV_SEC_CERTIFICATIONS },
	{ "certificados", CV_SEC_CERTIFICATIONS },
	{ "projects", CV_SEC_PROJECTS },
	{ "project", CV_SEC_PROJECTS },
	{ "personal projects", CV_SEC_PROJECTS },
	{ "side projects", CV_SEC_PROJECTS },
	{ "academic projects", CV_SEC_PROJECTS },
	{ "school projects", CV_SEC_PROJECTS },
	{ "projets", CV_SEC_PROJECTS },
	{ "projekte", CV_SEC_PROJECTS },
	{ "proyectos", CV_SEC_PROJECTS },
	{ "publications", CV_SEC_PUBLICATIONS },
	{ "patents", CV_SEC_PUBLICATIONS },
	{ "veröffentlichungen", CV_SEC_PUBLICATIONS },
	{ "publicaciones", CV_SEC_PUBLICATIONS },
	{ "awards", CV_SEC_AWARDS },
	{ "honors", CV_SEC_AWARDS },
	{ "honours", CV_SEC_AWARDS },
	{ "honors & awards", CV_SEC_AWARDS },
	{ "achievements", CV_SEC_AWARDS },
	{ "prix", CV_SEC_AWARDS },
	{ "distinctions", CV_SEC_AWARDS },
	{ "auszeichnungen", CV_SEC_AWARDS },
	{ "premios", CV_SEC_AWARDS },
	{ "logros", CV_SEC_AWARDS },
	{ "summary", CV_SEC_SUMMARY },
	{ "objective", CV_SEC_SUMMARY },
	{ "profile", CV_SEC_SUMMARY },
	{ "about me", CV_SEC_SUMMARY },
	{ "professional summary", CV_SEC_SUMMARY },
	{ "profil", CV_SEC_SUMMARY },
	{ "résumé", CV_SEC_SUMMARY },
	{ "zusammenfassung", CV_SEC_SUMMARY },
	{ "resumen", CV_SEC_SUMMARY },
	{ "perfil", CV_SEC_SUMMARY },
	{ "contact", CV_SEC_CONTACT },
	{ "links", CV_SEC_CONTACT },
	{ "coordonnées", CV_SEC_CONTACT },
	{ "kontakt", CV_SEC_CONTACT },
	{ "persönliche daten", CV_SEC_CONTACT },
	{ "contacto", CV_SEC_CONTACT },
	{ "volunteering", CV_SEC_VOLUNTEER },
	{ "volunteer experience", CV_SEC_VOLUNTEER },
	{ "activities", CV_SEC_VOLUNTEER },
	{ "leadership", CV_SEC_VOLUNTEER },
	{ "bénévolat", CV_SEC_VOLUNTEER },
	{ "ehrenamt", CV_SEC_VOLUNTEER },
	{ "voluntariado", CV_SEC_VOLUNTEER },
	{ "interests", CV_SEC_OTHER },
	{ "hobbies", CV_SEC_OTHER },
	{ "references", CV_SEC_OTHER },
	{ "referees", CV_SEC_OTHER },
	{ "coursework", CV_SEC_OTHER },
	{ "invited talks", CV_SEC_OTHER },
	{ "centres d'intérêt", CV_SEC_OTHER },
	{ "centres d’intérêt", CV_SEC_OTHER },
	{ "loisirs", CV_SEC_OTHER },
	{ "interessen", CV_SEC_OTHER },
	{ "intereses", CV_SEC_OTHER },
	{ "my life philosophy", CV_SEC_OTHER },
	{ "most proud of", CV_SEC_OTHER },
	{ "a day of my life", CV_SEC_OTHER },
	/* Chinese: compared as whole parts of a '/'-joined heading. */
	{ "工作经历", CV_SEC_EXPERIENCE },
	{ "工作经验", CV_SEC_EXPERIENCE },
	{ "实习经历", CV_SEC_EXPERIENCE },
	{ "实习", CV_SEC_EXPERIENCE },
	{ "职业经历", CV_SEC_EXPERIENCE },
	{ "教育背景", CV_SEC_EDUCATION },
	{ "教育经历", CV_SEC_EDUCATION },
	{ "学历", CV_SEC_EDUCATION },
	{ "技能", CV_SEC_SKILLS },
	{ "专业技能", CV_SEC_SKILLS },
	{ "it 技能", CV_SEC_SKILLS },
	{ "it技能", CV_SEC_SKILLS },
	{ "语言", CV_SEC_LANGUAGES },
	{ "语言能力", CV_SEC_LANGUAGES },
	{ "证书", CV_SEC_CERTIFICATIONS },
	{ "项目经历", CV_SEC_PROJECTS },
	{ "项目经验", CV_SEC_PROJECTS },
	{ "项目", CV_SEC_PROJECTS },
	{ "论文", CV_SEC_PUBLICATIONS },
	{ "发表论文", CV_SEC_PUBLICATIONS },
	{ "获奖情况", CV_SEC_AWARDS },
	{ "荣誉奖项", CV_SEC_AWARDS },
	{ "获奖", CV_SEC_AWARDS },
	{ "个人简介", CV_SEC_SUMMARY },
	{ "自我评价", CV_SEC_SUMMARY },
	{ "联系方式", CV_SEC_CONTACT },
	{ "其他", CV_SEC_OTHER },
	{ "其它", CV_SEC_OTHER },
};

/* Key words that make a short capitalised line a heading ("ON CAMPUS INVOLVEMENT"). */
static const struct vocab keywords[] = {
	{ "experience", CV_SEC_EXPERIENCE },
	{ "employment", CV_SEC_EXPERIENCE },
	{ "expérience", CV_SEC_EXPERIENCE },
	{ "expériences", CV_SEC_EXPERIENCE },
	{ "experiencia", CV_SEC_EXPERIENCE },
	{ "education", CV_SEC_EDUCATION },
	{ "skills", CV_SEC_SKILLS },
	{ "competencies", CV_SEC_SKILLS },
	{ "compétences", CV_SEC_SKILLS },
	{ "languages", CV_SEC_LANGUAGES },
	{ "certifications", CV_SEC_CERTIFICATIONS },
	{ "certificates", CV_SEC_CERTIFICATIONS },
	{ "projects", CV_SEC_PROJECTS },
	{ "publications", CV_SEC_PUBLICATIONS },
	{ "awards", CV_SEC_AWARDS },
	{ "honors", CV_SEC_AWARDS },
	{ "honours", CV_SEC_AWARDS },
	{ "summary", CV_SEC_SUMMARY },
	{ "objective", CV_SEC_SUMMARY },
	{ "volunteer", CV_SEC_VOLUNTEER },
	{ "volunteering", CV_SEC_VOLUNTEER },
	{ "involvement", CV_SEC_VOLUNTEER },
	{ "activities", CV_SEC_VOLUNTEER },
	{ "interests", CV_SEC_OTHER },
	{ "memberships", CV_SEC_OTHER },
	{ "talks", CV_SEC_OTHER },
	{ "references", CV_SEC_OTHER },
	{ "coursework", CV_SEC_OTHER },
};

const char *cv_section_name(enum cv_section_kind k)
{
	static const char *const names[] = { "none",         "contact",        "summary",
		                             "experience",   "education",      "skills",
		                             "languages",    "certifications", "projects",
		                             "publications", "awards",         "volunteer",
		                             "other" };
	return (unsigned)k < ARRAY_SIZE(names) ? names[k] : "none";
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Column space: a tab is not, since Word exports separate every word with one. */
static bool is_gap(char c)
{
	return c == ' ' || c == '\r';
}

/* ASCII and Latin-1 upper case to lower case, into dst[cap]; returns the length. */
static size_t fold_small(const char *s, size_t n, char *dst, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		else if (c == 0xC3 && i + 1 < n && o + 2 < cap) {
			unsigned char d = (unsigned char)s[i + 1];
			if (d >= 0x80 && d <= 0x9E && d != 0x97)
				d = (unsigned char)(d + 0x20);
			dst[o++] = (char)c;
			dst[o++] = (char)d;
			i++;
			continue;
		}
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return o;
}

/* Strips bullets, icons and punctuation around a heading candidate. */
static void trim_heading(const char **ps, size_t *pn)
{
	const char *s = *ps;
	size_t n = *pn;
	for (;;) {
		while (n && (is_space(s[0]) || s[0] == '#' || s[0] == '*' || s[0] == '-' ||
		             s[0] == '|' || s[0] == '>'))
			s++, n--;
		/* Non-letter symbols (icons, bullets) in U+2000..U+2BFF and private use. */
		if (n >= 3 && (unsigned char)s[0] == 0xE2) {
			s += 3, n -= 3;
			continue;
		}
		if (n >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] < 0xA4) {
			s += 3, n -= 3;
			continue;
		}
		break;
	}
	while (n && (is_space(s[n - 1]) || s[n - 1] == ':' || s[n - 1] == ')' || s[n - 1] == '|'))
		n--;
	if (n >= 3 && (unsigned char)s[n - 3] == 0xEF && (unsigned char)s[n - 2] == 0xBC &&
	    (unsigned char)s[n - 1] == 0x9A) /* a full-width colon */
		n -= 3;
	*ps = s;
	*pn = n;
}

static bool word_eq(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && memcmp(w, kw, n) == 0;
}

/* Capitals ("ON CAMPUS INVOLVEMENT") or title case ("Selected Honors"). */
static bool looks_like_title(const char *s, size_t n)
{
	size_t i = 0, words = 0;
	bool all_caps = true, title = true;
	while (i < n) {
		while (i < n && s[i] == ' ')
			i++;
		if (i >= n)
			break;
		size_t st = i;
		while (i < n && s[i] != ' ')
			i++;
		words++;
		bool first_upper = s[st] >= 'A' && s[st] <= 'Z';
		bool small = i - st <= 3; /* "of", "and", "&" */
		if (!first_upper && !small && (unsigned char)s[st] < 0x80)
			title = false;
		for (size_t k = st; k < i; k++)
			if (s[k] >= 'a' && s[k] <= 'z')
				all_caps = false;
	}
	return words > 0 && words <= 4 && (all_caps || title);
}

static bool match_cjk(const char *f, size_t n, enum cv_section_kind *out)
{
	/* The first '/'-separated part decides: "实习/项目经历" is experience. */
	const char *slash = memchr(f, '/', n);
	size_t part = slash ? (size_t)(slash - f) : n;
	for (size_t i = 0; i < ARRAY_SIZE(headings); i++)
		if (word_eq(f, part, headings[i].text)) {
			*out = headings[i].kind;
			return true;
		}
	return false;
}

bool cv_section_detect(const char *line, size_t len, enum cv_section_kind *out)
{
	const char *s = line;
	size_t n = len;
	trim_heading(&s, &n);
	if (n == 0 || n > HEADING_MAX_BYTES || (s[0] >= 'a' && s[0] <= 'z'))
		return false;
	size_t words = 1;
	bool cjk = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if ((c >= '0' && c <= '9') || c == '@' || c == ',' || c == ';')
			return false;
		if (c == ' ')
			words++;
		if ((unsigned char)c >= 0xE3 && (unsigned char)c <= 0xE9)
			cjk = true;
	}
	if (words > HEADING_MAX_WORDS)
		return false;
	char f[HEADING_MAX_BYTES * 2 + 1];
	size_t fl = fold_small(s, n, f, sizeof f);
	for (size_t i = 0; i < ARRAY_SIZE(headings); i++)
		if (word_eq(f, fl, headings[i].text)) {
			*out = headings[i].kind;
			return true;
		}
	if (cjk)
		return match_cjk(f, fl, out);
	/* A lone title-case word ("Volunteer" under a role) is a job line, not a heading. */
	bool caps = true;
	for (size_t i = 0; i < n; i++)
		caps &= !(s[i] >= 'a' && s[i] <= 'z');
	if (!looks_like_title(s, n) || (words == 1 && !caps))
		return false;
	/* Key words, whole words separated by spaces, '/' or '&'. The first one decides; in
	 * title case the last word must be one ("Activities & Volunteer Experience" is a heading,
	 * "Volunteer Swim Coach" a role). */
	bool found = false, last_kw = false;
	size_t i = 0;
	while (i < fl) {
		while (i < fl && (f[i] == ' ' || f[i] == '/' || f[i] == '&'))
			i++;
		size_t st = i;
		while (i < fl && f[i] != ' ' && f[i] != '/' && f[i] != '&')
			i++;
		last_kw = false;
		for (size_t k = 0; k < ARRAY_SIZE(keywords); k++)
			if (word_eq(f + st, i - st, keywords[k].text)) {
				if (!found)
					*out = keywords[k].kind;
				found = last_kw = true;
				break;
			}
	}
	return found && (caps || last_kw);
}

void cv_sections_assign(struct cv_line *lines, size_t n)
{
	enum cv_section_kind sec = CV_SEC_NONE;
	for (size_t i = 0; i < n; i++) {
		enum cv_section_kind k;
		lines[i].heading = cv_section_detect(lines[i].text, lines[i].len, &k);
		if (lines[i].heading)
			sec = k;
		lines[i].section = sec;
	}
}

bool cv_line_is_bullet(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && is_space(s[i]))
		i++;
	if (i >= len)
		return false;
	if (s[i] == '-' || s[i] == '*' || s[i] == 'o')
		return i + 1 < len && s[i + 1] == ' ';
	static const char *const bullets[] = {
		"•", "●", "◦", "▪", "■", "○", "·", "➢", "✓", "►", "–"
	};
	for (size_t k = 0; k < ARRAY_SIZE(bullets); k++) {
		size_t bl = strlen(bullets[k]);
		if (len - i >= bl && memcmp(s + i, bullets[k], bl) == 0)
			return true;
	}
	return false;
}

/* ---- columns ---- */

struct col_line {
	size_t off, len;        /* bytes in the page */
	int first;              /* column of the first non-space, -1 for a blank line */
	int cut_col;            /* column where the right part starts, -1 when none */
	size_t cut_left_end;    /* bytes: end of the left part */
	size_t cut_right_start; /* bytes: start of the right part */
};

/* Columns where a run of 3+ spaces ends (a new segment starts), and the first column. */
static void scan_line(const char *s, size_t len, int *first, int *starts, size_t *n_starts,
                      size_t cap)
{
	int col = 0, run = 0;
	*first = -1;
	*n_starts = 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t cl = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
		if (is_gap((char)c)) {
			run++;
		} else {
			if (*first < 0)
				*first = col;
			else if (run >= 3 && *n_starts < cap)
				starts[(*n_starts)++] = col;
			run = 0;
		}
		col++;
		i += cl;
	}
}

static void cut_line(const char *s, struct col_line *l, int g);

/* True when most parts right of column g are lone dates: a date column, not a text column. */
static bool dates_column(const char *text, struct col_line *cl, size_t n, int g)
{
	size_t parts = 0, dates = 0;
	for (size_t i = 0; i < n; i++) {
		struct col_line l = cl[i];
		cut_line(text + l.off, &l, g);
		if (l.cut_col < 0)
			continue;
		size_t len = l.len - l.cut_right_start;
		parts++;
		dates += len <= 32 && cv_dates_has_date(text + l.off + l.cut_right_start, len);
	}
	return parts == 0 || dates * 2 >= parts;
}

static int find_gutter(const char *text, struct col_line *cl, size_t n)
{
	static const int tol = GUTTER_TOL;
	int *split = md_calloc(COL_MAX, sizeof *split), *right = md_calloc(COL_MAX, sizeof *right);
	int best = -1, best_n = 0;
	if (!split || !right)
		goto out;
	for (size_t i = 0; i < n; i++) {
		int starts[32];
		size_t ns;
		scan_line(text + cl[i].off, cl[i].len, &cl[i].first, starts, &ns, 32);
		if (cl[i].first >= COL_MIN && cl[i].first < COL_MAX)
			right[cl[i].first]++;
		for (size_t k = 0; k < ns; k++)
			if (starts[k] < COL_MAX)
				split[starts[k]]++;
	}
	for (int c = COL_MIN; c < COL_MAX; c++) {
		int s = 0, r = 0;
		for (int d = -tol; d <= tol; d++)
			if (c + d >= 0 && c + d < COL_MAX) {
				s += split[c + d];
				r += right[c + d];
			}
		if (s >= MIN_SPLIT && (r >= MIN_RIGHT || s >= 3 * MIN_SPLIT) && s + r > best_n &&
		    !dates_column(text, cl, n, c)) {
			best_n = s + r;
			best = c;
		}
	}
out:
	md_free(split);
	md_free(right);
	return best;
}

/* Where line l is cut at gutter g: a run of 2+ spaces ending near g. */
static void cut_line(const char *s, struct col_line *l, int g)
{
	l->cut_col = -1;
	int col = 0, run = 0;
	size_t run_start = 0;
	for (size_t i = 0; i < l->len;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
		if (is_gap((char)c)) {
			if (run++ == 0)
				run_start = i;
		} else {
			bool leading = l->first == col;
			if ((run >= 2 || leading) && col >= g - GUTTER_TOL &&
			    col <= g + GUTTER_TOL) {
				l->cut_col = col;
				l->cut_left_end = leading ? 0 : run_start;
				l->cut_right_start = i;
				return;
			}
			if (col > g + GUTTER_TOL)
				return;
			run = 0;
		}
		col++;
		i += len;
	}
}

/*
 * Appends s[0..n) with every lone '\r' (one not followed by '\n') turned into a space: the
 * Word/Quartz exporter writes "word\t\r\u00A0word" between words, and a '\r' would otherwise
 * break the line in two.
 */
static int put_text(struct buf *out, const char *s, size_t n)
{
	size_t st = 0;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		if (s[i] != '\r' || (i + 1 < n && s[i + 1] == '\n'))
			continue;
		rc = buf_append(out, s + st, i - st);
		if (!rc)
			rc = buf_putc(out, ' ');
		st = i + 1;
	}
	return rc ? rc : buf_append(out, s + st, n - st);
}

static int put_part(struct buf *out, const char *s, size_t n)
{
	int rc = put_text(out, s, n);
	return rc ? rc : buf_putc(out, '\n');
}

int cv_text_columns(const char *text, size_t len, struct buf *out)
{
	size_t n = 1;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	struct col_line *cl = md_calloc(n, sizeof *cl);
	if (!cl)
		return MD_ENOMEM;
	size_t k = 0, pos = 0;
	while (pos <= len && k < n) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		cl[k].off = pos;
		cl[k++].len = end - pos;
		pos = end + 1;
	}
	n = k;
	int g = find_gutter(text, cl, n);
	int rc = 0;
	if (g < 0) {
		rc = put_text(out, text, len);
		goto out;
	}
	size_t first_split = n;
	for (size_t i = 0; i < n; i++) {
		cut_line(text + cl[i].off, &cl[i], g);
		if (first_split == n && cl[i].cut_col >= 0 && cl[i].cut_left_end > 0)
			first_split = i;
	}
	for (size_t i = 0; i < first_split && !rc; i++)
		rc = put_part(out, text + cl[i].off, cl[i].len);
	for (size_t i = first_split; i < n && !rc; i++) {
		size_t e = cl[i].cut_col >= 0 ? cl[i].cut_left_end : cl[i].len;
		/* A right-only line is a vertical gap in the left column, and the other way round. */
		rc = put_part(out, text + cl[i].off, e);
	}
	if (!rc)
		rc = buf_putc(out, '\n');
	for (size_t i = first_split; i < n && !rc; i++) {
		if (cl[i].first < 0) {
			rc = buf_putc(out, '\n');
			continue;
		}
		if (cl[i].cut_col < 0) {
			rc = buf_putc(out, '\n');
			continue;
		}
		rc = put_part(out, text + cl[i].off + cl[i].cut_right_start,
		              cl[i].len - cl[i].cut_right_start);
	}
out:
	md_free(cl);
	return rc;
}
