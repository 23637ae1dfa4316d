/*
 * SQLite results store. One connection per handle, serialised by a mutex so
 * the runner's worker threads can share it; each sample is its own
 * transaction (WAL, synchronous=NORMAL: durable against a killed process,
 * which is the failure that matters for resume).
 */
#include "eval/results.h"

#include "clock.h"
#include "db.h"
#include "error.h"
#include "paths.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct halo_results {
	sqlite3 *db;
	pthread_mutex_t lock;
	char path[4096];
};

/* Bumped when the schema changes incompatibly; stored in PRAGMA user_version. */
#define SCHEMA_VERSION 1

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS eval_runs ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" suite TEXT NOT NULL, server TEXT, model TEXT, fingerprint TEXT,"
	" config_json TEXT, status TEXT NOT NULL,"
	" created REAL NOT NULL, updated REAL NOT NULL, halo_version TEXT);"
	"CREATE TABLE IF NOT EXISTS eval_samples ("
	" run_id INTEGER NOT NULL REFERENCES eval_runs(id) ON DELETE CASCADE,"
	" benchmark TEXT NOT NULL, task_id TEXT NOT NULL, sample INTEGER NOT NULL,"
	" category TEXT, config_hash TEXT, outcome INTEGER NOT NULL, detail_json TEXT,"
	" request_json TEXT, response_json TEXT,"
	" prompt_tokens INTEGER, completion_tokens INTEGER, reasoning_tokens INTEGER,"
	" ttft_s REAL, total_s REAL, attempts INTEGER, finished REAL NOT NULL,"
	" PRIMARY KEY (run_id, benchmark, task_id, sample));";

static int db_error(halo_results *r, const char *what)
{
	return halo_error_set(HALO_EIO, "'%s': %s: %s", r->path, what, sqlite3_errmsg(r->db));
}

int halo_results_default_path(char *buf, size_t n)
{
	return halo_user_path(HALO_DIR_DATA, "halo.db", buf, n);
}

int halo_results_open(halo_results **out, const char *path)
{
	*out = NULL;
	if (!path || !*path)
		return halo_error_set(HALO_EUSAGE, "no results database path");
	halo_results *r = calloc(1, sizeof(*r));
	if (!r)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	snprintf(r->path, sizeof(r->path), "%s", path);
	pthread_mutex_init(&r->lock, NULL);
	int rc = halo_db_open(&r->db, path, SQLITE_OPEN_NOMUTEX);
	if (rc)
		goto fail;
	sqlite3_stmt *st = NULL;
	int version = 0;
	if (sqlite3_prepare_v2(r->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > SCHEMA_VERSION) {
		rc = halo_error_set(HALO_EUNSUPPORTED, "'%s': results schema %d is newer than this halo's (%d)", path,
				    version, SCHEMA_VERSION);
		goto fail;
	}
	if ((rc = halo_db_exec(r->db, path, schema_sql, "cannot create tables")) ||
	    (rc = halo_db_exec(r->db, path, "PRAGMA user_version=1", "cannot record the schema version")))
		goto fail;
	*out = r;
	return 0;
fail:
	halo_results_close(r);
	return rc;
}

void halo_results_close(halo_results *r)
{
	if (!r)
		return;
	if (r->db)
		sqlite3_close(r->db);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static char *dup_col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? strdup((const char *)s) : NULL;
}

void halo_run_free(halo_run *run)
{
	if (!run)
		return;
	free(run->suite);
	free(run->server);
	free(run->model);
	free(run->fingerprint);
	free(run->config_json);
	free(run->status);
	free(run->halo_version);
	memset(run, 0, sizeof(*run));
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

int halo_results_run_create(halo_results *r, const char *suite, const char *server, const char *model,
			    const char *fingerprint, const char *config_json, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	pthread_mutex_lock(&r->lock);
	if (sqlite3_prepare_v2(r->db,
			       "INSERT INTO eval_runs (suite, server, model, fingerprint, config_json, status, created,"
			       " updated, halo_version) VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = db_error(r, "cannot prepare run insert");
		goto out;
	}
	double t = halo_wall_s();
	bind_text(st, 1, suite ? suite : "");
	bind_text(st, 2, server);
	bind_text(st, 3, model);
	bind_text(st, 4, fingerprint);
	bind_text(st, 5, config_json);
	sqlite3_bind_double(st, 6, t);
	sqlite3_bind_double(st, 7, t);
	bind_text(st, 8, HALO_VERSION);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(r, "cannot create run");
		goto out;
	}
	*id = sqlite3_last_insert_rowid(r->db);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static void run_from_row(sqlite3_stmt *st, halo_run *run)
{
	run->id = sqlite3_column_int64(st, 0);
	run->suite = dup_col(st, 1);
	run->server = dup_col(st, 2);
	run->model = dup_col(st, 3);
	run->fingerprint = dup_col(st, 4);
	run->config_json = dup_col(st, 5);
	run->status = dup_col(st, 6);
	run->created = sqlite3_column_double(st, 7);
	run->updated = sqlite3_column_double(st, 8);
	run->halo_version = dup_col(st, 9);
}

#define RUN_COLUMNS "id, suite, server, model, fingerprint, config_json, status, created, updated, halo_version"

int halo_results_run_get(halo_results *r, int64_t id, halo_run *out)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&r->lock);
	if (sqlite3_prepare_v2(r->db, "SELECT " RUN_COLUMNS " FROM eval_runs WHERE id = ?", -1, &st, NULL) !=
	    SQLITE_OK) {
		rc = db_error(r, "cannot prepare run query");
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	int s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		run_from_row(st, out);
	else if (s == SQLITE_DONE)
		rc = halo_error_set(HALO_ENOTFOUND, "'%s': no run %lld", r->path, (long long)id);
	else
		rc = db_error(r, "cannot read run");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int halo_results_run_set_status(halo_results *r, int64_t id, const char *status)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	pthread_mutex_lock(&r->lock);
	if (sqlite3_prepare_v2(r->db, "UPDATE eval_runs SET status = ?, updated = ? WHERE id = ?", -1, &st, NULL) !=
	    SQLITE_OK) {
		rc = db_error(r, "cannot prepare run update");
		goto out;
	}
	bind_text(st, 1, status);
	sqlite3_bind_double(st, 2, halo_wall_s());
	sqlite3_bind_int64(st, 3, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_error(r, "cannot update run");
	else if (sqlite3_changes(r->db) == 0)
		rc = halo_error_set(HALO_ENOTFOUND, "'%s': no run %lld", r->path, (long long)id);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int halo_results_run_each(halo_results *r, int (*fn)(const halo_run *run, void *ud), void *ud)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	/* Collected first so fn may call back into the store without deadlock. */
	halo_run *runs = NULL;
	size_t n = 0, cap = 0;
	pthread_mutex_lock(&r->lock);
	if (sqlite3_prepare_v2(r->db, "SELECT " RUN_COLUMNS " FROM eval_runs ORDER BY id DESC", -1, &st, NULL) !=
	    SQLITE_OK) {
		rc = db_error(r, "cannot prepare run list");
		pthread_mutex_unlock(&r->lock);
		return rc;
	}
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			halo_run *nr = realloc(runs, ncap * sizeof(*runs));
			if (!nr) {
				rc = halo_error_set(HALO_ENOMEM, "out of memory");
				break;
			}
			runs = nr;
			cap = ncap;
		}
		memset(&runs[n], 0, sizeof(runs[n]));
		run_from_row(st, &runs[n++]);
	}
	if (!rc && s != SQLITE_DONE)
		rc = db_error(r, "cannot list runs");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->lock);
	for (size_t i = 0; i < n; i++) {
		if (!rc)
			rc = fn(&runs[i], ud);
		halo_run_free(&runs[i]);
	}
	free(runs);
	return rc;
}

int halo_results_sample_put(halo_results *r, int64_t run_id, const halo_sample_row *row)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	pthread_mutex_lock(&r->lock);
	if (sqlite3_prepare_v2(r->db,
			       "INSERT OR REPLACE INTO eval_samples (run_id, benchmark, task_id, sample, category,"
			       " config_hash, outcome, detail_json, request_json, response_json, prompt_tokens,"
			       " completion_tokens, reasoning_tokens, ttft_s, total_s, attempts, finished)"
			       " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = db_error(r, "cannot prepare sample insert");
		goto out;
	}
	sqlite3_bind_int64(st, 1, run_id);
	bind_text(st, 2, row->benchmark ? row->benchmark : "");
	bind_text(st, 3, row->task_id ? row->task_id : "");
	sqlite3_bind_int(st, 4, row->sample);
	bind_text(st, 5, row->category);
	bind_text(st, 6, row->config_hash);
	sqlite3_bind_int(st, 7, row->outcome);
	bind_text(st, 8, row->detail_json);
	bind_text(st, 9, row->request_json);
	bind_text(st, 10, row->response_json);
	const long long toks[3] = { row->prompt_tokens, row->completion_tokens, row->reasoning_tokens };
	for (int i = 0; i < 3; i++) {
		if (toks[i] >= 0)
			sqlite3_bind_int64(st, 11 + i, toks[i]);
		else
			sqlite3_bind_null(st, 11 + i);
	}
	if (row->ttft_s >= 0)
		sqlite3_bind_double(st, 14, row->ttft_s);
	else
		sqlite3_bind_null(st, 14);
	if (row->total_s >= 0)
		sqlite3_bind_double(st, 15, row->total_s);
	else
		sqlite3_bind_null(st, 15);
	sqlite3_bind_int(st, 16, row->attempts);
	sqlite3_bind_double(st, 17, halo_wall_s());
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_error(r, "cannot store sample");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int halo_results_sample_each(halo_results *r, int64_t run_id, int (*fn)(const halo_sample_row *row, void *ud),
			     void *ud)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	/* A second connection-level statement is fine; the lock is held across
	 * the walk, so fn must not call back into this handle. */
	pthread_mutex_lock(&r->lock);
	if (sqlite3_prepare_v2(r->db,
			       "SELECT benchmark, task_id, sample, category, config_hash, outcome, detail_json,"
			       " request_json, response_json, prompt_tokens, completion_tokens, reasoning_tokens,"
			       " ttft_s, total_s, attempts FROM eval_samples WHERE run_id = ? ORDER BY rowid",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = db_error(r, "cannot prepare sample query");
		goto out;
	}
	sqlite3_bind_int64(st, 1, run_id);
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		halo_sample_row row = {
			.benchmark = (const char *)sqlite3_column_text(st, 0),
			.task_id = (const char *)sqlite3_column_text(st, 1),
			.sample = sqlite3_column_int(st, 2),
			.category = (const char *)sqlite3_column_text(st, 3),
			.config_hash = (const char *)sqlite3_column_text(st, 4),
			.outcome = sqlite3_column_int(st, 5),
			.detail_json = (const char *)sqlite3_column_text(st, 6),
			.request_json = (const char *)sqlite3_column_text(st, 7),
			.response_json = (const char *)sqlite3_column_text(st, 8),
			.prompt_tokens = sqlite3_column_type(st, 9) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 9),
			.completion_tokens = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 10),
			.reasoning_tokens = sqlite3_column_type(st, 11) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 11),
			.ttft_s = sqlite3_column_type(st, 12) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 12),
			.total_s = sqlite3_column_type(st, 13) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 13),
			.attempts = sqlite3_column_int(st, 14),
		};
		if ((rc = fn(&row, ud)))
			goto out;
	}
	if (s != SQLITE_DONE)
		rc = db_error(r, "cannot read samples");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int halo_results_sample_count(halo_results *r, int64_t run_id, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	*n = 0;
	pthread_mutex_lock(&r->lock);
	if (sqlite3_prepare_v2(r->db, "SELECT count(*) FROM eval_samples WHERE run_id = ?", -1, &st, NULL) !=
		    SQLITE_OK ||
	    (sqlite3_bind_int64(st, 1, run_id), sqlite3_step(st)) != SQLITE_ROW)
		rc = db_error(r, "cannot count samples");
	else
		*n = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->lock);
	return rc;
}
