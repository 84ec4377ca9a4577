/*
 * extract.h: the hidden mode `matchd __extract-pdf`, the child side of jobs/sandbox.h.
 *
 * It runs as a fresh program (posix_spawn of matchd itself, never a fork of the threaded
 * server), closes every inherited descriptor above 2, limits itself (RLIMIT_CPU, RLIMIT_AS,
 * RLIMIT_FSIZE 0, RLIMIT_NOFILE, RLIMIT_CORE 0), reads one PDF from stdin, extracts its text
 * with cv_pdf_extract() and writes it to stdout as:
 *
 *     MDPAGES <n> <truncated 0|1>\n   then n times:   <byte length>\n<bytes>
 *
 * On failure it writes one line "ERR <reason> <message>\n" to stdout and exits with:
 * 2 usage, 3 input unreadable or too large, 4 damaged or encrypted PDF, 5 out of memory,
 * 6 output failure. Flags (each also read from the environment variable in brackets):
 * --max-pages N [MATCHD_EXTRACT_MAX_PAGES], --max-bytes N (text) [MATCHD_EXTRACT_MAX_BYTES],
 * --max-input N [MATCHD_EXTRACT_MAX_INPUT], --cpu SECONDS [MATCHD_EXTRACT_CPU],
 * --mem BYTES [MATCHD_EXTRACT_MEM]; 0 leaves a resource unlimited. Pages without a text layer
 * are read by OCR (engines/cv/ocr.h) with the Tesseract languages in MATCHD_OCR_LANGS (default
 * "eng"), at most MATCHD_OCR_MAX_PAGES of them (default 8, 0 turns OCR off); after the pages
 * come the warnings ("MDWARN k\n" and k frames) and the OCR'd pages ("MDOCR k p1 ... pk\n").
 *
 * `matchd __extract-pdf --server [--max-input N]` is the fork server of jobs/sandbox.h: its
 * channel to the parent is fd 0, it ignores SIGPIPE and SIGINT (a terminal's Ctrl-C is for the
 * parent, which drains its jobs first; the server exits when the parent closes the channel),
 * extracts one built-in PDF to initialise poppler, then serves sandbox_server_main(): each
 * forked child runs exactly the steps above, with the request's limits and the pipes it
 * carried as stdin, stdout and stderr. NEEDSWORK: a dispatch name of its own
 * (`__extract-server`) needs a line in cli/cli.c.
 */
#ifndef MATCHD_CLI_EXTRACT_H
#define MATCHD_CLI_EXTRACT_H

enum {
	EXTRACT_EXIT_OK = 0,
	EXTRACT_EXIT_USAGE = 2,
	EXTRACT_EXIT_INPUT = 3,
	EXTRACT_EXIT_BADPDF = 4,
	EXTRACT_EXIT_NOMEM = 5,
	EXTRACT_EXIT_OUTPUT = 6,
};

/* argv[0] is "__extract-pdf". Returns the process exit code. */
int cli_extract_main(int argc, char **argv);

#endif
