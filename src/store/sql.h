/*
 * sql.h: every SQL statement of the store, by id. Each backend keeps the text in its own
 * dialect (sqlite/sql.c, postgres/sql.c), statement by statement, so the two stay comparable.
 */
#ifndef MATCHD_STORE_SQL_H
#define MATCHD_STORE_SQL_H

enum sql_id {
	SQL_WS_INSERT,
	SQL_WS_BY_ID,
	SQL_WS_BY_NAME,
	SQL_WS_SET_RATE,
	SQL_WS_ROTATE,
	SQL_KEY_INSERT,
	SQL_KEY_FIND,
	SQL_KEY_LIST,
	SQL_KEY_REVOKE,
	SQL_LEDGER_INSERT,
	SQL_BALANCE,
	SQL_LEDGER_LIST,
	SQL_IDEM_GET,
	SQL_IDEM_DELETE,
	SQL_IDEM_INSERT,
	SQL_IDEM_COMPLETE,
	SQL_IDEM_SWEEP,
	SQL_BLOB_INSERT,
	SQL_BLOB_GET,
	SQL_JOB_INSERT,
	SQL_JOB_GET,
	SQL_JOB_GET_ANY,
	SQL_JOB_LIST,
	SQL_JOB_EXHAUSTED,
	SQL_JOB_CLAIM,
	SQL_JOB_RESCUE,
	SQL_JOB_PROGRESS,
	SQL_JOB_LEASE_CHECK,
	SQL_JOB_SUCCEED,
	SQL_JOB_CHARGE,
	SQL_JOB_RETRY,
	SQL_JOB_FAIL,
	SQL_JOB_FINISH_CANCELED,
	SQL_JOB_CANCEL_QUEUED,
	SQL_JOB_CANCEL_RUNNING,
	SQL_JOB_STATUS,
	SQL_JOB_UNLEASE,
	SQL_JOB_COUNTS,
	SQL_JOB_AVG_RUN,
	SQL_JOB_POSITION,
	SQL_EVENT_INSERT,
	SQL_EVENT_LIST,
	SQL_DELIVERY_INSERT,
	SQL_DELIVERY_CLAIM,
	SQL_DELIVERY_RECORD,
	SQL_ATTEMPT_INSERT,
	SQL_DELIVERY_LIST,
	SQL_ATTEMPT_LIST,
	SQL_DELIVERY_REDELIVER,
	SQL_DELIVERY_COUNTS,
	/* PostgreSQL only: state shared between nodes. */
	SQL_RATE_TAKE,
	SQL_RATE_GET,
	SQL_NOTIFY,
	SQL_COUNT
};

/* The text of statement id in the SQLite dialect (NULL for PostgreSQL-only ids). */
const char *sql_text(enum sql_id id);
/* The text of statement id in the PostgreSQL dialect. */
const char *pg_sql_text(enum sql_id id);

#endif
