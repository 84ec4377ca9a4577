/*
 * store.c: the dispatch from the store interface to the backend chosen by the URL, and the
 * parts every backend shares.
 */
#include "store/store_backend.h"

#include "base/common.h"
#include "base/log.h"

int store_open(const char *url, struct store **out, char *err, size_t errcap)
{
	if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
		return store_postgres_open(url, out, err, errcap);
	if (strncmp(url, "sqlite:", 7) == 0 || !strstr(url, "://"))
		return store_sqlite_open(url, out, err, errcap);
	snprintf(err, errcap, "unsupported database URL %s (use sqlite:PATH or postgres://...)",
	         url);
	return MD_EINVAL;
}

void store_set_listener(struct store *st, void (*cb)(void *ctx, const char *job_id), void *ctx)
{
	st->listener = cb;
	st->listener_ctx = ctx;
	if (cb && st->ops->listen)
		st->ops->listen(st);
}

void store_set_payload_builder(struct store *st, store_payload_fn fn, void *ctx)
{
	st->payload_fn = fn;
	st->payload_ctx = ctx;
}

void store_fail_next_submits(struct store *st, int n)
{
	atomic_store(&st->fail_submits, n);
}

bool store_fault_submit(struct store *st)
{
	return atomic_load(&st->fail_submits) > 0 && atomic_fetch_sub(&st->fail_submits, 1) > 0;
}

const char *store_backend_name(struct store *st)
{
	return st->ops->name;
}

bool store_is_shared(struct store *st)
{
	return st->ops->shared;
}

int store_rate_take(struct store *st, const char *key_id, int64_t interval_us, int64_t tau_us,
                    bool *allowed, int64_t *tat_us, int64_t *now_us)
{
	if (!st->ops->rate_take)
		return MD_EINVAL;
	return st->ops->rate_take(st, key_id, interval_us, tau_us, allowed, tat_us, now_us);
}

int store_migration_version(const char *name)
{
	int v = 0;
	for (const char *p = name; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (*p - '0');
	return v;
}

char *store_input_with_blob(const char *input, const char *blob_id)
{
	const char *p = strstr(input, "$BLOB");
	if (!p)
		return md_strdup(input);
	struct buf b;
	buf_init(&b, strlen(input) + MD_UUID_LEN + 1);
	if (buf_append(&b, input, (size_t)(p - input)) || buf_puts(&b, blob_id) ||
	    buf_puts(&b, p + 5)) {
		buf_release(&b);
		return NULL;
	}
	return buf_take(&b);
}

void store_queue_stats_add(struct store_queue_stats *s, const char *status, int64_t n)
{
	if (!strcmp(status, "queued"))
		s->queued = n;
	else if (!strcmp(status, "running"))
		s->running = n;
	else if (!strcmp(status, "succeeded"))
		s->succeeded = n;
	else if (!strcmp(status, "failed"))
		s->failed = n;
	else if (!strcmp(status, "canceled"))
		s->canceled = n;
}

void store_delivery_counts_add(const char *status, int64_t n, int64_t *pending, int64_t *succeeded,
                               int64_t *failed)
{
	if (!strcmp(status, "succeeded"))
		*succeeded += n;
	else if (!strcmp(status, "failed") || !strcmp(status, "gone"))
		*failed += n;
	else
		*pending += n;
}

void store_job_release(struct store_job *j)
{
	md_free(j->input);
	md_free(j->result);
	md_free(j->error);
	md_free(j->webhook_url);
	j->input = j->result = j->error = j->webhook_url = NULL;
}

bool store_job_is_terminal(const struct store_job *j)
{
	return !strcmp(j->status, "succeeded") || !strcmp(j->status, "failed") ||
	       !strcmp(j->status, "canceled");
}

void store_delivery_release(struct store_delivery *d)
{
	md_free(d->url);
	md_free(d->payload);
	md_free(d->last_error);
	d->url = d->payload = d->last_error = NULL;
}

void store_free(struct store *st)
{
	st->ops->free(st);
}

int store_ping(struct store *st, int *version)
{
	return st->ops->ping(st, version);
}

int store_workspace_create(struct store *st, const char *name, int64_t credits,
                           const char *webhook_secret, struct store_workspace *out)
{
	return st->ops->workspace_create(st, name, credits, webhook_secret, out);
}

int store_workspace_get(struct store *st, const char *key, bool by_name,
                        struct store_workspace *out)
{
	return st->ops->workspace_get(st, key, by_name, out);
}

int store_workspace_set_rate(struct store *st, const char *ws_id, int64_t limit, int64_t period_ms,
                             int64_t burst)
{
	return st->ops->workspace_set_rate(st, ws_id, limit, period_ms, burst);
}

int store_workspace_rotate_secret(struct store *st, const char *ws_id, const char *new_secret,
                                  int64_t prev_until)
{
	return st->ops->workspace_rotate_secret(st, ws_id, new_secret, prev_until);
}

int store_key_create(struct store *st, const char *ws_id, const char *hash_hex, const char *prefix,
                     uint32_t permissions, struct store_key *out)
{
	return st->ops->key_create(st, ws_id, hash_hex, prefix, permissions, out);
}

int store_key_find(struct store *st, const char *hash_hex, struct store_key *out)
{
	return st->ops->key_find(st, hash_hex, out);
}

int store_key_list(struct store *st, int (*cb)(void *ctx, const struct store_key *k), void *ctx)
{
	return st->ops->key_list(st, cb, ctx);
}

int store_key_revoke(struct store *st, const char *key_id)
{
	return st->ops->key_revoke(st, key_id);
}

int store_credits_add(struct store *st, const char *ws_id, int64_t amount, const char *reason)
{
	return st->ops->credits_add(st, ws_id, amount, reason);
}

int store_credits_balance(struct store *st, const char *ws_id, int64_t *balance)
{
	return st->ops->credits_balance(st, ws_id, balance);
}

int store_credits_ledger(struct store *st, const char *ws_id, const char *cursor, int limit,
                         int (*cb)(void *ctx, const struct store_ledger_entry *e), void *ctx)
{
	return st->ops->credits_ledger(st, ws_id, cursor, limit, cb, ctx);
}

int store_idem_begin(struct store *st, const char *ws_id, const char *key, const char *fingerprint,
                     int64_t now, int64_t ttl_ms, int64_t inflight_ttl_ms,
                     enum store_idem_state *state, char resource_id[MD_UUID_LEN])
{
	return st->ops->idem_begin(st, ws_id, key, fingerprint, now, ttl_ms, inflight_ttl_ms, state,
	                           resource_id);
}

int store_idem_abort(struct store *st, const char *ws_id, const char *key)
{
	return st->ops->idem_abort(st, ws_id, key);
}

int store_idem_sweep(struct store *st, int64_t cutoff, int *n)
{
	return st->ops->idem_sweep(st, cutoff, n);
}

int store_job_submit(struct store *st, const struct store_job_new *jn, int64_t now,
                     char id_out[MD_UUID_LEN], char blob_id_out[MD_UUID_LEN])
{
	return st->ops->job_submit(st, jn, now, id_out, blob_id_out);
}

int store_job_get(struct store *st, const char *ws_id, const char *id, struct store_job *out)
{
	return st->ops->job_get(st, ws_id, id, out);
}

int store_job_list(struct store *st, const char *ws_id, const char *status, const char *kind,
                   const char *cursor, int limit, int (*cb)(void *ctx, const struct store_job *j),
                   void *ctx)
{
	return st->ops->job_list(st, ws_id, status, kind, cursor, limit, cb, ctx);
}

int store_job_claim(struct store *st, const char *owner, int64_t now, int64_t lease_ms,
                    struct store_job *out)
{
	return st->ops->job_claim(st, owner, now, lease_ms, out);
}

int store_job_rescue(struct store *st, int64_t now, int *requeued, int *failed)
{
	return st->ops->job_rescue(st, now, requeued, failed);
}

int store_job_progress(struct store *st, const char *id, const char *token, int64_t now,
                       int64_t lease_until, const char *stage, double progress)
{
	return st->ops->job_progress(st, id, token, now, lease_until, stage, progress, NULL);
}

int store_job_progress_counts(struct store *st, const char *id, const char *token, int64_t now,
                              int64_t lease_until, const char *stage, double progress,
                              const char *counts_json)
{
	if (counts_json && (strlen(counts_json) > STORE_COUNTS_MAX || counts_json[0] != '{'))
		return MD_ELIMIT;
	return st->ops->job_progress(st, id, token, now, lease_until, stage, progress, counts_json);
}

int store_job_succeed(struct store *st, const char *id, const char *token, int64_t now,
                      const char *result_json)
{
	return st->ops->job_succeed(st, id, token, now, result_json, NULL);
}

int store_job_succeed_final(struct store *st, const char *id, const char *token, int64_t now,
                            const char *result_json, const struct store_lk_final *final)
{
	return st->ops->job_succeed(st, id, token, now, result_json, final);
}

int store_job_fail(struct store *st, const char *id, const char *token, int64_t now,
                   const char *error_json, int64_t retry_at)
{
	return st->ops->job_fail(st, id, token, now, error_json, retry_at);
}

int store_job_finish_canceled(struct store *st, const char *id, const char *token, int64_t now)
{
	return st->ops->job_finish_canceled(st, id, token, now);
}

int store_job_cancel(struct store *st, const char *ws_id, const char *id, int64_t now,
                     bool *now_terminal)
{
	return st->ops->job_cancel(st, ws_id, id, now, now_terminal);
}

int store_job_unlease(struct store *st, const char *id, const char *token, int64_t now)
{
	return st->ops->job_unlease(st, id, token, now);
}

/*
 * A blob's bytes are its data column followed by its chunks (0005): one of the two is empty.
 * The total is known before reading so the result is one allocation of the final size, not
 * a doubling buffer that would briefly need twice the blob.
 */
int store_blob_get(struct store *st, const char *ws_id, const char *id, void **data, size_t *len)
{
	void *head = NULL;
	size_t head_len = 0;
	int rc = st->ops->blob_get(st, ws_id, id, &head, &head_len);
	if (rc)
		return rc;
	int64_t count = 0, bytes = 0;
	if ((rc = st->ops->blob_chunk_stat(st, id, &count, &bytes)))
		goto out;
	if (count == 0) {
		*data = head;
		*len = head_len;
		return 0;
	}
	if (bytes < 0 || (uint64_t)bytes > SIZE_MAX - head_len - 1) {
		rc = MD_ELIMIT;
		goto out;
	}
	size_t total = head_len + (size_t)bytes;
	char *all = md_malloc(total + 1);
	if (!all) {
		rc = MD_ENOMEM;
		goto out;
	}
	if (head_len)
		memcpy(all, head, head_len);
	size_t off = head_len;
	for (int64_t seq = 0; seq < count && !rc; seq++) {
		size_t n = 0;
		rc = st->ops->blob_chunk_read(st, id, seq, all + off, total - off, &n);
		off += n;
	}
	/* A chunk missing or a size that changed: the blob was deleted while being read. */
	if (!rc && off != total)
		rc = MD_ENOTFOUND;
	if (rc) {
		md_free(all);
		goto out;
	}
	*data = all;
	*len = total;
out:
	md_free(head);
	return rc;
}

/* ---- streamed blobs ---- */

struct store_blob_writer {
	struct store *st;
	char ws_id[MD_UUID_LEN];
	char blob_id[MD_UUID_LEN];
	int64_t seq;   /* chunks written so far */
	uint64_t size; /* bytes appended so far */
	size_t fill;   /* bytes waiting in buf */
	char buf[STORE_BLOB_CHUNK];
};

int store_blob_writer_open(struct store *st, const char *ws_id, int64_t now,
                           struct store_blob_writer **out)
{
	*out = NULL;
	/* Uploads given up by a crash or a vanished client are removed an hour after they began,
	 * here as well as in the maintenance sweep, so a node that only takes uploads cleans up. */
	int swept = 0;
	(void)st->ops->blob_upload_sweep(st, now - STORE_BLOB_UPLOAD_TTL_MS, &swept);
	struct store_blob_writer *w = md_malloc(sizeof *w);
	if (!w)
		return MD_ENOMEM;
	memset(w, 0, offsetof(struct store_blob_writer, buf));
	w->st = st;
	snprintf(w->ws_id, sizeof w->ws_id, "%s", ws_id);
	int rc = md_uuid7(now, w->blob_id) ? MD_EIO : 0;
	if (!rc)
		rc = st->ops->blob_upload_begin(st, ws_id, w->blob_id, now);
	if (rc) {
		md_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

int store_blob_writer_append(struct store_blob_writer *w, const void *data, size_t len)
{
	const char *p = data;
	w->size += len;
	while (len) {
		size_t n = MD_MIN(len, STORE_BLOB_CHUNK - w->fill);
		memcpy(w->buf + w->fill, p, n);
		w->fill += n;
		p += n;
		len -= n;
		/* A full chunk is written now; the last, partial one waits for the commit so it
		 * lands in the same transaction as the rows that make the blob visible. */
		if (w->fill == STORE_BLOB_CHUNK && len) {
			int rc =
			    w->st->ops->blob_chunk_put(w->st, w->blob_id, w->seq, w->buf, w->fill);
			if (rc)
				return rc;
			w->seq++;
			w->fill = 0;
		}
	}
	return 0;
}

uint64_t store_blob_writer_size(const struct store_blob_writer *w)
{
	return w->size;
}

void store_blob_writer_abort(struct store_blob_writer *w)
{
	if (!w)
		return;
	int rc = w->st->ops->blob_upload_abort(w->st, w->blob_id);
	if (rc)
		md_logf(MD_LOG_WARN, "store: abandoned upload %s not removed (%s); the sweep will",
		        w->blob_id, md_strerror(rc));
	md_free(w);
}

int store_lk_dataset_commit(struct store_blob_writer *w, const char *name, const char *columns_json,
                            int64_t row_count, int64_t now, struct store_lk_dataset *out)
{
	struct store *st = w->st;
	int rc = st->ops->lk_dataset_commit(st, w->ws_id, w->blob_id, w->seq, w->buf, w->fill, name,
	                                    columns_json, row_count, now, out);
	if (rc)
		store_blob_writer_abort(w);
	else
		md_free(w);
	return rc;
}

int store_blob_sweep(struct store *st, int64_t cutoff, int *n)
{
	return st->ops->blob_upload_sweep(st, cutoff, n);
}

int store_queue_stats(struct store *st, struct store_queue_stats *out)
{
	return st->ops->queue_stats(st, out);
}

int store_job_queue_position(struct store *st, const char *id, int64_t *ahead)
{
	return st->ops->job_queue_position(st, id, ahead);
}

int store_events_list(struct store *st, const char *job_id, int64_t after_id, int max,
                      int (*cb)(void *ctx, const struct store_event *e), void *ctx)
{
	return st->ops->events_list(st, job_id, after_id, max, cb, ctx);
}

int store_delivery_claim(struct store *st, int64_t now, int64_t lease_ms,
                         struct store_delivery *out)
{
	return st->ops->delivery_claim(st, now, lease_ms, out);
}

int store_delivery_record(struct store *st, const char *id, const struct store_attempt *a,
                          const char *next_status, int64_t next_at)
{
	return st->ops->delivery_record(st, id, a, next_status, next_at);
}

int store_delivery_list(struct store *st, const char *ws_id, const char *job_id,
                        int (*cb)(void *ctx, const struct store_delivery *d), void *ctx)
{
	return st->ops->delivery_list(st, ws_id, job_id, cb, ctx);
}

int store_delivery_attempts(struct store *st, const char *delivery_id,
                            int (*cb)(void *ctx, const struct store_attempt *a), void *ctx)
{
	return st->ops->delivery_attempts(st, delivery_id, cb, ctx);
}

int store_delivery_redeliver(struct store *st, const char *ws_id, const char *id, int64_t now)
{
	return st->ops->delivery_redeliver(st, ws_id, id, now);
}

int store_delivery_counts(struct store *st, int64_t *pending, int64_t *succeeded, int64_t *failed)
{
	return st->ops->delivery_counts(st, pending, succeeded, failed);
}

void store_lk_dataset_release(struct store_lk_dataset *d)
{
	md_free(d->columns);
	d->columns = NULL;
}

void store_lk_config_release(struct store_lk_config *c)
{
	md_free(c->body);
	c->body = NULL;
}

int store_lk_dataset_create(struct store *st, const char *ws_id, const char *name,
                            const char *columns_json, int64_t row_count, const void *csv,
                            size_t len, int64_t now, struct store_lk_dataset *out)
{
	return st->ops->lk_dataset_create(st, ws_id, name, columns_json, row_count, csv, len, now,
	                                  out);
}

int store_lk_dataset_get(struct store *st, const char *ws_id, const char *id,
                         struct store_lk_dataset *out)
{
	return st->ops->lk_dataset_get(st, ws_id, id, out);
}

int store_lk_dataset_list(struct store *st, const char *ws_id, const char *cursor, int limit,
                          int (*cb)(void *ctx, const struct store_lk_dataset *d), void *ctx)
{
	return st->ops->lk_dataset_list(st, ws_id, cursor, limit, cb, ctx);
}

int store_lk_dataset_delete(struct store *st, const char *ws_id, const char *id)
{
	return st->ops->lk_dataset_delete(st, ws_id, id);
}

int store_lk_config_create(struct store *st, const char *ws_id, const char *body, int64_t now,
                           struct store_lk_config *out)
{
	return st->ops->lk_config_create(st, ws_id, body, now, out);
}

int store_lk_config_get(struct store *st, const char *ws_id, const char *id,
                        struct store_lk_config *out)
{
	return st->ops->lk_config_get(st, ws_id, id, out);
}

int store_lk_config_update(struct store *st, const char *ws_id, const char *id, const char *body,
                           int64_t now)
{
	return st->ops->lk_config_update(st, ws_id, id, body, now);
}

int store_lk_config_list(struct store *st, const char *ws_id, const char *cursor, int limit,
                         int (*cb)(void *ctx, const struct store_lk_config *c), void *ctx)
{
	return st->ops->lk_config_list(st, ws_id, cursor, limit, cb, ctx);
}

int store_lk_config_delete(struct store *st, const char *ws_id, const char *id)
{
	return st->ops->lk_config_delete(st, ws_id, id);
}

int store_lk_rows_put(struct store *st, const char *ws_id, const char *job_id, const char *token,
                      bool first, const struct store_lk_row *rows, size_t n)
{
	return st->ops->lk_rows_put(st, ws_id, job_id, token, first, rows, n);
}

int store_event_json(char *dst, size_t cap, const char *job_id, const char *status,
                     const char *stage, double progress, const char *counts)
{
	return md_snprintf(dst, cap,
	                   "{\"jobId\":\"%s\",\"status\":\"%s\",\"stage\":\"%s\","
	                   "\"progress\":%.3f%s%s}",
	                   job_id, status, stage, progress, counts ? ",\"counts\":" : "",
	                   counts ? counts : "");
}

int store_lk_dataset_fill(struct store_lk_dataset *out, const char *ws_id, const char *name,
                          const char *blob_id, const char *columns_json, int64_t row_count,
                          int64_t now)
{
	memset(out, 0, sizeof *out);
	if (md_uuid7(now, out->id) || (!blob_id && md_uuid7(now, out->blob_id)))
		return MD_EIO;
	if (blob_id)
		snprintf(out->blob_id, sizeof out->blob_id, "%s", blob_id);
	snprintf(out->workspace_id, sizeof out->workspace_id, "%s", ws_id);
	snprintf(out->name, sizeof out->name, "%s", name);
	out->row_count = row_count;
	out->created_at = now;
	out->columns = md_strdup(columns_json);
	return out->columns ? 0 : MD_ENOMEM;
}

int store_lk_rows_stats(struct store *st, const char *ws_id, const char *run_id, int64_t *rows,
                        int64_t *matched, double *avg_matched)
{
	return st->ops->lk_rows_stats(st, ws_id, run_id, rows, matched, avg_matched);
}

int store_lk_rows_list(struct store *st, const char *ws_id, const char *run_id, int64_t after,
                       int limit, double min_conf, const char *status,
                       int (*cb)(void *ctx, const struct store_lk_row *r), void *ctx)
{
	return st->ops->lk_rows_list(st, ws_id, run_id, after, limit, min_conf, status, cb, ctx);
}

int store_lk_share_open(struct store *st, const char *run_id, int pass, int64_t nunits,
                        const void *plan, size_t plan_len, int64_t now)
{
	if (nunits < 0)
		return MD_EINVAL;
	return st->ops->lk_share_open(st, run_id, pass, nunits, plan, plan_len, now);
}

int store_lk_share_plan(struct store *st, const char *run_id, int pass, void **plan, size_t *len)
{
	return st->ops->lk_share_plan(st, run_id, pass, plan, len);
}

int store_lk_share_claim(struct store *st, const char *run_id, int pass, const char *owner,
                         int64_t now, int64_t lease_ms, int64_t *unit, int64_t *others_pending)
{
	/* The count is always written, so callers may pass NULL without the backends checking. */
	int64_t ignored = 0;
	return st->ops->lk_share_claim(st, run_id, pass, owner, now, lease_ms, unit,
	                               others_pending ? others_pending : &ignored);
}

int store_lk_share_submit(struct store *st, const char *run_id, int pass, const char *owner,
                          int64_t nclaimed, const void *part, size_t len)
{
	return st->ops->lk_share_submit(st, run_id, pass, owner, nclaimed, part, len);
}

int store_lk_share_release(struct store *st, const char *run_id, int pass, const char *owner)
{
	return st->ops->lk_share_release(st, run_id, pass, owner);
}

int store_lk_share_parts(struct store *st, const char *run_id, int pass,
                         int (*cb)(void *ctx, const char *owner, const void *part, size_t len),
                         void *ctx)
{
	return st->ops->lk_share_parts(st, run_id, pass, cb, ctx);
}

int store_lk_share_close(struct store *st, const char *run_id)
{
	return st->ops->lk_share_close(st, run_id);
}

int store_lk_share_sweep(struct store *st, int *n)
{
	*n = 0;
	return st->ops->lk_share_sweep(st, n);
}
