#include "base/err.h"

const char *md_strerror(int err)
{
	switch (err) {
	case MD_OK: return "ok";
	case MD_ENOMEM: return "out of memory";
	case MD_EINVAL: return "invalid input";
	case MD_ENOTFOUND: return "not found";
	case MD_ECONFLICT: return "conflict";
	case MD_ELIMIT: return "limit exceeded";
	case MD_EIO: return "input/output error";
	case MD_EBUSY: return "busy";
	case MD_ETIMEOUT: return "timed out";
	case MD_ECANCELED: return "canceled";
	case MD_EDENIED: return "denied";
	case MD_EUNAVAIL: return "unavailable";
	}
	return "unknown error";
}
