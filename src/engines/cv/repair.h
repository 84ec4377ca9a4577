/*
 * repair.h: word-level repairs of extracted CV text against a word list. Pure.
 *
 * Word lists are arrays of lowercase ASCII words sorted by strcmp(); lookups are
 * case-insensitive. cv_words_builtin() is a compact list of 7,421 words common in CVs and job
 * ads, generated into words.inc from ../shared/data/cv/datasets/: every [A-Za-z]+ word (case
 * folded, 2 to 24 letters) seen at least three times in the dotin-resume-ner CV texts (CC0,
 * XML tags stripped) and the token column of green2022-jd-skill-ner/testset.txt (CC BY 4.0,
 * Green, Maynard and Lin, LREC 2022), capped at the 9,000 most frequent. To regenerate:
 *
 *   python3 - <<'EOF' > src/engines/cv/words.inc
 *   import re, zipfile, collections
 *   D = "../shared/data/cv/datasets/"; cnt = collections.Counter()
 *   for z in ("dotin-resume-ner/545_cvs_train_v2.zip", "dotin-resume-ner/set_aside_test_v2_50cvs.zip"):
 *       with zipfile.ZipFile(D + z) as zf:
 *           for n in sorted(zf.namelist()):
 *               if n.endswith(".xml"):
 *                   t = re.sub(r"<[^>]*>", " ", zf.read(n).decode("utf-8", "replace"))
 *                   cnt.update(w.lower() for w in re.findall(r"[A-Za-z]+", t))
 *   for line in open(D + "green2022-jd-skill-ner/testset.txt", encoding="utf-8"):
 *       cnt.update(w.lower() for w in re.findall(r"[A-Za-z]+", line.split(" ")[0]))
 *   words = sorted(w for w, c in cnt.items() if c >= 3 and 2 <= len(w) <= 24)
 *   words = sorted(sorted(words, key=lambda w: (-cnt[w], w))[:9000])
 *   print("/" "* header comment *" "/"); [print('"%s",' % w) for w in words]
 *   EOF
 */
#ifndef MATCHD_ENGINES_CV_REPAIR_H
#define MATCHD_ENGINES_CV_REPAIR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* The built-in word list (static storage, sorted); *n receives its length. */
const char *const *cv_words_builtin(size_t *n);

/* True when word[0..len) (ASCII letters, any case) is in the list. */
bool cv_words_has(const char *const *words, size_t nwords, const char *word, size_t len);

/*
 * Repairs words split by a ligature glyph the PDF could not map to text: "So ware" ->
 * "Software", "Objec ve" -> "Objective", "Swi" -> "Swift". Tries the ligatures fi, fl, ff,
 * ffi, ffl, ft, ti, tt:
 *   - in the gap of two ASCII words separated by one space on the same line, when exactly one
 *     ligature makes a listed word of "A" + ligature + "B";
 *   - at the end of a word of at least three letters that is not itself listed, when exactly
 *     one ligature makes it a listed word and no letter follows.
 * The ligature takes upper case when the letters around it are upper case. Adds the number of
 * words repaired to *repaired (may be NULL). Returns 0, MD_ENOMEM or MD_ELIMIT (text is then
 * unchanged).
 */
MD_WUR int cv_repair_ligature_gaps(struct buf *text, const char *const *words, size_t nwords,
                                   int *repaired);

/*
 * Resolves the end-of-line hyphenation markers cv_layout_page() leaves (U+00AD between the
 * two halves of a word): the halves are joined when the joined word is listed
 * ("develop\u00ADment" -> "development"), the hyphen is kept when the first half is a listed
 * word of its own ("cloud\u00ADnative" -> "cloud-native"), and joined otherwise (a word the
 * list does not know). Adds the number of joins to *joined (may be NULL). Returns 0,
 * MD_ENOMEM or MD_ELIMIT (text is then unchanged).
 */
MD_WUR int cv_repair_hyphens(struct buf *text, const char *const *words, size_t nwords,
                             int *joined);

/*
 * The same for plain text whose lines were broken with a hyphen (a job description pasted
 * from a PDF): "Transaction man-\n   agement" -> "Transaction management", "cloud-\nnative"
 * -> "cloud-native". A hyphen at a line end counts when a letter or digit precedes it and the
 * next line goes on in lower case after at most 40 spaces or tabs (which are dropped).
 */
MD_WUR int cv_repair_line_hyphens(struct buf *text, const char *const *words, size_t nwords,
                                  int *joined);

/*
 * Restores the line breaks of a plain-text export that lost them. Such exports (the Kaggle
 * and Indeed dumps of dotin-resume-ner, CSV cells) hold a whole CV on one line:
 *   - a run of two or three spaces was a line break and a longer run a blank line;
 *   - the line may be enclosed in CSV quotes, with inner quotes doubled;
 *   - non-ASCII characters may be written as Python byte escapes ("\xe2\x80\xa2" for a
 *     bullet).
 * A line counts as flattened when it is at least CV_FLAT_LINE_MIN bytes long and holds at least
 * CV_FLAT_RUNS_MIN such runs. A page laid out from a PDF never has lines that long. In a
 * flattened line the breaks come back, the enclosing quotes go, and each run of escapes that
 * spells valid UTF-8 is decoded. Other lines are kept as they are. Adds the number of restored
 * lines to *restored (may be NULL). Returns 0, MD_ENOMEM or MD_ELIMIT (text is then unchanged).
 */
#define CV_FLAT_LINE_MIN 600
#define CV_FLAT_RUNS_MIN 6
MD_WUR int cv_repair_flat_text(struct buf *text, int *restored);

/* True when a line of s[0..n) is flattened as cv_repair_flat_text() means it: a caller with
 * const text copies it only then. */
bool cv_text_flattened(const char *s, size_t n);

#endif
