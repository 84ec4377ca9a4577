/*
 * tagger.h: the learned skill phrase tagger. It owns the weights of an averaged perceptron
 * (data/skills_tagger.tsv, trained by scripts/train_tagger.py on the training split of
 * dotin-resume-ner) and tags the tokens of a CV's lines B (a skill phrase begins), I (it goes
 * on) or O (outside), greedily left to right, so that phrases no dictionary holds ("tune up
 * procedures", "strategic alliances") can be reported. Pure: the caller reads the file and
 * passes its bytes; nothing here does I/O or keeps global state, and a loaded tagger is shared
 * read-only by many threads.
 *
 * Tokens. A line is cut into word tokens (a run of Unicode letters, digits and marks, joined
 * through inner dots as in "node.js", with a leading dot after a non-word character as in
 * ".net" and a "++" or "#" suffix as in "c++") and one-character punctuation tokens; white
 * space separates. A phrase never runs over a line break.
 *
 * Features. Each token has static features (the word in lower case, its shape, prefix and
 * suffix, the two words on each side, the line's section, heading flag, length, commas and
 * capitals, the list item it sits in, whether a taxonomy name covers it) and, while decoding,
 * the tags given to the two tokens before it. A feature is a short string ("w=java",
 * "sec=skills"); scripts/train_tagger.py never computes them itself: it reads them from this
 * code through the trace hook, so training and inference cannot disagree.
 *
 * The weight file (UTF-8 text, '\n' line ends):
 *   '#' comment lines anywhere;
 *   "matchd-skill-tagger<TAB>1" first (format version 1);
 *   "param<TAB>threshold<TAB><int>" (optional): a token is tagged B or I only when that class
 *     beats O by more than this many weight units (0 by default; negative trades precision
 *     for recall);
 *   "param<TAB>filter<TAB>0|1|2" (optional, 0 by default): 1 asks the CV engine to list a
 *     taxonomy skill only when the tagger tags one of its mentions or one is in a Skills
 *     section (a vote on the dictionary's prose hits; see cv.c); 2 the same for ESCO skills
 *     and learned vocabulary only, products and programming languages (O*NET, Linguist,
 *     matchd's groups) being listed wherever they are found;
 *   "param<TAB>decode<TAB>0|1" (optional, 0 by default): 0 decodes greedily left to right (as
 *     the perceptron was trained), 1 finds the best tag sequence of a line with Viterbi over
 *     tag pairs, under the same scores and threshold (scripts/train_tagger.py --structured
 *     trains for it; on the dotin training split neither beat greedy decoding, so the shipped
 *     file keeps 0; bench/README.md);
 *   "cluster<TAB><word><TAB><bits>" (optional, any number up to CV_TAGGER_MAX_CLUSTERS): the
 *     word's cluster, a string of 1 to CV_TAGGER_CLUSTER_BITS '0'/'1' characters naming a path
 *     in a binary tree of words learned from unlabelled text (scripts/build_word_clusters.py),
 *     so that words seen together in ESCO, O*NET and CV prose share a prefix. The word is in
 *     the tagger's lower case, at most 40 bytes, no white space, and may not repeat. When a
 *     file holds clusters, each word token gets the features "c4=", "c8=" and "c12=" (its
 *     path's first 4, 8 and 12 bits, or the whole path when shorter) and "c-1=" and "c+1="
 *     (the first 8 bits of the words on each side), or "c=?" for a word with no cluster; a
 *     file without clusters computes exactly the features it did before they existed;
 *   then one line per feature: "<feature><TAB><w_O><TAB><w_B><TAB><w_I>", the weights decimal
 *     integers in [-2^31, 2^31) (the averaged perceptron's weights times the scale the trainer
 *     wrote in a comment). A feature may not contain white space and may not repeat.
 * Anything else is refused with MD_EINVAL and the line number.
 */
#ifndef MATCHD_ENGINES_CV_TAGGER_H
#define MATCHD_ENGINES_CV_TAGGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Hard limits: a larger file is refused with MD_ELIMIT. */
#define CV_TAGGER_MAX_BYTES (32u << 20)
#define CV_TAGGER_MAX_FEATURES 2000000
#define CV_TAGGER_MAX_CLUSTERS 1000000
/* The longest cluster path ("cluster" lines); longer is refused. */
#define CV_TAGGER_CLUSTER_BITS 16
/* A feature string longer than this is cut (at inference) or refused (in the file). */
#define CV_TAGGER_FEATURE_MAX 96
/* Tokens tagged per line (a plain-text export may hold a whole CV on one line); the rest of a
 * longer line stays untagged. */
#define CV_TAGGER_MAX_LINE_TOKENS 200000

enum cv_tag { CV_TAG_O = 0, CV_TAG_B = 1, CV_TAG_I = 2, CV_TAG_COUNT = 3 };

struct cv_tg_entry;   /* private: one hash slot */
struct cv_tg_cluster; /* private: one word's cluster path */

/*
 * Called for every token with its static features, space-separated, before it is tagged:
 * the training tools' view of the features. line is the index into the lines passed to
 * cv_tagger_tag, off the token's byte offset in that line, token[0..len) its bytes.
 */
typedef void (*cv_tagger_trace_fn)(void *ctx, size_t line, size_t off, const char *token,
                                   size_t len, const char *features);

struct cv_tagger {
	struct cv_tg_entry *slots; /* open addressing on the feature's 64-bit hash */
	size_t cap;                /* a power of two, or 0 when empty */
	size_t nfeatures;
	struct cv_tg_cluster *clusters; /* open addressing on the word's hash */
	size_t ccap;                    /* a power of two, or 0 without clusters */
	size_t nclusters;
	int64_t threshold;
	int filter; /* the "filter" param: 0, 1 or 2 */
	int decode; /* the "decode" param: 0 greedy left to right, 1 Viterbi over tag pairs */
	/* Training tools only (NULL in the server): see cv_tagger_trace_fn. */
	cv_tagger_trace_fn trace;
	void *trace_ctx;
};

/* One line of the text to tag. */
struct cv_tag_line {
	const char *text;
	size_t len;
	int section;  /* enum cv_section_kind */
	bool heading; /* the line is a section heading */
};

/* A taxonomy name found in the text: line index, byte offset in that line and length. */
struct cv_tag_span {
	size_t line, off, len;
};

/*
 * Parses the weight file (format above) into *t. Returns 0, MD_EINVAL (a message in err with
 * the line number), MD_ELIMIT or MD_ENOMEM; on error *t is left released. err may be NULL.
 */
MD_WUR int cv_tagger_load(struct cv_tagger *t, const char *text, size_t len, char *err,
                          size_t errcap);

/* Frees what *t owns and zeroes it; safe on a zeroed or released tagger. */
void cv_tagger_release(struct cv_tagger *t);

/* True when *t holds weights (a zeroed tagger tags everything O). */
bool cv_tagger_loaded(const struct cv_tagger *t);

/*
 * Tags lines[0..n) and calls on_phrase for each phrase (a token tagged B and the I tokens
 * after it) in text order: line index, byte offset in the line and length. spans (sorted by
 * line, then offset; may be NULL when nspans is 0) are the taxonomy's hits, a feature of the
 * tokens they cover. Stops at the first non-zero return of on_phrase and returns it;
 * otherwise 0 or MD_ENOMEM.
 */
MD_WUR int cv_tagger_tag(const struct cv_tagger *t, const struct cv_tag_line *lines, size_t n,
                         const struct cv_tag_span *spans, size_t nspans,
                         int (*on_phrase)(void *ctx, size_t line, size_t off, size_t len),
                         void *ctx);

#endif
