/*
 * err.h: the error codes every module returns. Actions return 0 or one of these negative
 * values; md_strerror() names them. Keeping one vocabulary lets a store error travel up to the
 * API layer, which alone maps it to an HTTP status.
 */
#ifndef MATCHD_BASE_ERR_H
#define MATCHD_BASE_ERR_H

enum md_err {
	MD_OK = 0,
	MD_ENOMEM = -1,    /* an allocation failed */
	MD_EINVAL = -2,    /* the input is malformed */
	MD_ENOTFOUND = -3, /* no such object (in this workspace) */
	MD_ECONFLICT = -4, /* the object is in a state that forbids the action */
	MD_ELIMIT = -5,    /* a hard size or count limit was reached */
	MD_EIO = -6,       /* the store or the operating system failed */
	MD_EBUSY = -7,     /* try again later: locked, leased or in flight */
	MD_ETIMEOUT = -8,  /* a deadline passed */
	MD_ECANCELED = -9, /* the work was canceled by the caller */
	MD_EDENIED = -10,  /* not allowed: a policy refused it */
	MD_EUNAVAIL = -11, /* a dependency (the database) is unreachable */
};

#define MD_WUR __attribute__((warn_unused_result))

/* Returns a static, human-readable name for an md_err code. */
const char *md_strerror(int err);

#endif
