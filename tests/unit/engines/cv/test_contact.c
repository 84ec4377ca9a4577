/* Name, email, phone, location and links (src/engines/cv/contact.c). */
#include <criterion/criterion.h>

#include "base/common.h"
#include "engines/cv/contact.h"

static size_t split(char *text, struct cv_line *lines, size_t cap)
{
	size_t n = 0;
	char *p = text;
	while (p && n < cap) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lines[n] = (struct cv_line){ .text = p,
			                     .len = len,
			                     .fold = p,
			                     .fold_len = len,
			                     .off = (size_t)(p - text),
			                     .page = 1 };
		n++;
		p = nl ? nl + 1 : NULL;
	}
	cv_sections_assign(lines, n);
	return n;
}

Test(cv_contact, header_fields)
{
	char t[] = "JOHN DOE\nSenior Engineer\n"
	           "mailto:john.doe@email.com | tel:+1 (415) 555-0142 | San Francisco, CA | "
	           "linkedin.com/in/johndoe | github.com/johndoe | johndoe.dev\nExperience\n";
	struct cv_line l[16];
	size_t n = split(t, l, 16);
	struct cv_contact c;
	cv_contact_extract(l, n, &c);
	cr_assert_str_eq(c.name, "John Doe");
	cr_assert_str_eq(c.email, "john.doe@email.com");
	cr_assert_str_eq(c.phone_e164, "+14155550142");
	cr_assert_str_eq(c.location, "San Francisco, CA");
	cr_assert_str_eq(c.linkedin, "linkedin.com/in/johndoe");
	cr_assert_str_eq(c.github, "github.com/johndoe");
	cr_assert_str_eq(c.website, "johndoe.dev");
}

Test(cv_contact, phones)
{
	char t[] = "Auguste Baum augustebaum\n+33 6 42 89 41 43\n";
	struct cv_line l[8];
	size_t n = split(t, l, 8);
	struct cv_contact c;
	cv_contact_extract(l, n, &c);
	cr_assert_str_eq(c.name, "Auguste Baum");
	cr_assert_str_eq(c.phone_e164, "+33642894143");

	char u[] = "Barry Allen I (123) 456-7890\n(+86) 131-221-87xxx\n";
	n = split(u, l, 8);
	cv_contact_extract(l, n, &c);
	cr_assert_str_eq(c.name, "Barry Allen");
	cr_assert_str_eq(c.phone, "(123) 456-7890");
	cr_assert_str_eq(c.phone_e164, "", "no valid North American area code starts with 1");

	char v[] = "Jane Roe\nExperience\n2013 - 2022 Engineer\n";
	n = split(v, l, 8);
	cv_contact_extract(l, n, &c);
	cr_assert_str_eq(c.phone, "", "a year range is not a phone number");
}

/* A heading or a job title on the first line is not the name; credentials after it are cut. */
Test(cv_contact, names_of_plain_text_cvs)
{
	char a[] = "Professional Profile\nMedical Assistant\nOscar Bins\noscar@example.com\n";
	struct cv_line l[8];
	struct cv_contact c;
	cv_contact_extract(l, split(a, l, 8), &c);
	cr_assert_str_eq(c.name, "Oscar Bins");
	char b[] = "Hettie Jerri Langosh, P.H.R.\n123-345-7890 | Callahan, FL\n";
	cv_contact_extract(l, split(b, l, 8), &c);
	cr_assert_str_eq(c.name, "Hettie Jerri Langosh");
	char d[] = "Jane Roe, PhD\nResearcher\n";
	cv_contact_extract(l, split(d, l, 8), &c);
	cr_assert_str_eq(c.name, "Jane Roe");
	char e[] = "Smith, John: a short bio\n";
	cv_contact_extract(l, split(e, l, 8), &c);
	cr_assert_str_eq(c.name, "", "a comma before prose still rules a line out");
}
