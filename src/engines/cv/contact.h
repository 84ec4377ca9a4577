/*
 * contact.h: who the CV belongs to and how to reach them, read from the lines of a CV.
 *
 * Name: the first line of the first page, before any heading, made of 2..5 capitalised words
 * (or 2..4 Chinese characters) without digits, '@' or commas, and without a word of headings
 * or job titles ("Professional Profile", "Medical Assistant"); credentials after a comma
 * ("P.H.R.", "MBA", "PhD") are cut, trailing lower-case handles and one-letter icon leftovers
 * are dropped, and a name in capitals is given in title case.
 * Email: the first address on the page (a "mailto:" prefix is stripped). Phone: the first run
 * of 9..15 digits written with spaces, dots, dashes or parentheses, "tel:" stripped; its E.164
 * form is given when the country is clear: a '+' or "00" country code, or a North American
 * (NXX) NXX-XXXX number. Location: a "location:" field, or "City, ST" with a US state code,
 * or "City, Country" for a known country, in the header lines. Links: LinkedIn and GitHub
 * profiles (also "LinkedIn:// handle"), and the first other web address (the personal site).
 */
#ifndef MATCHD_ENGINES_CV_CONTACT_H
#define MATCHD_ENGINES_CV_CONTACT_H

#include <stddef.h>

#include "engines/cv/sections.h"

struct cv_contact {
	char name[96];
	char email[128];
	char phone[48];      /* as written */
	char phone_e164[20]; /* "+14155550142", or "" when the country is unclear */
	char location[96];
	char linkedin[160];
	char github[160];
	char website[160];
};

/* Fills *out (zeroed first) from lines[0..n). */
void cv_contact_extract(const struct cv_line *lines, size_t n, struct cv_contact *out);

#endif
