/*
 * bench tables in halo.db. See bench_store.h.
 *
 * Results are stored as columns (for SQL queries by hand) and as the whole
 * jsonl object; loading parses the object again, so every field llama-bench
 * printed comes back exactly as the parser gave it the first time.
 */
#include "bench/bench_store.h"

#include "clock.h"
#include "db.h"
#include "error.h"
#include "plan.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct halo_bench_db {
	sqlite3 *db;
	char path[4096];
};

/* Bumped when these tables change incompatibly; kept in bench_meta, since
 * PRAGMA user_version is the eval tables'. A new table (bench_endpoint_runs)
 * is not such a change: an older halo simply does not read it. */
#define BENCH_SCHEMA_VERSION 1

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS bench_meta (key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE IF NOT EXISTS bench_runs ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, status TEXT NOT NULL,"
	" created REAL NOT NULL, updated REAL NOT NULL, halo_version TEXT, kernel TEXT, params_json TEXT);"
	"CREATE TABLE IF NOT EXISTS bench_cells ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" run_id INTEGER NOT NULL REFERENCES bench_runs(id) ON DELETE CASCADE,"
	" model TEXT NOT NULL, model_name TEXT NOT NULL, backend TEXT NOT NULL, backend_json TEXT,"
	" depth INTEGER NOT NULL, status TEXT NOT NULL, exit_status INTEGER, argv_json TEXT,"
	" error TEXT, log_tail TEXT, skipped_lines INTEGER, started REAL, finished REAL);"
	"CREATE INDEX IF NOT EXISTS bench_cells_run ON bench_cells(run_id);"
	"CREATE TABLE IF NOT EXISTS bench_results ("
	" cell_id INTEGER NOT NULL REFERENCES bench_cells(id) ON DELETE CASCADE,"
	" run_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" test TEXT, n_prompt INTEGER, n_gen INTEGER, n_depth INTEGER,"
	" avg_ts REAL, stddev_ts REAL, avg_ns REAL, stddev_ns REAL, samples_ts TEXT, samples_ns TEXT,"
	" build_commit TEXT, build_number INTEGER, cpu_info TEXT, gpu_info TEXT, backends TEXT,"
	" model_filename TEXT, model_type TEXT, model_size INTEGER, model_n_params INTEGER,"
	" n_batch INTEGER, n_ubatch INTEGER, n_threads INTEGER, type_k TEXT, type_v TEXT,"
	" n_gpu_layers INTEGER, flash_attn INTEGER, test_time TEXT, json TEXT NOT NULL,"
	" PRIMARY KEY (cell_id, seq));"
	"CREATE INDEX IF NOT EXISTS bench_results_run ON bench_results(run_id);"
	"CREATE TABLE IF NOT EXISTS bench_endpoint_runs ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, status TEXT NOT NULL,"
	" created REAL NOT NULL, updated REAL NOT NULL, server_url TEXT NOT NULL, vs_url TEXT,"
	" params_json TEXT, report_json TEXT, error TEXT, halo_version TEXT);";

static int db_error(halo_bench_db *db, const char *what)
{
	return halo_error_set(HALO_EIO, "'%s': %s: %s", db->path, what, sqlite3_errmsg(db->db));
}

static int exec(halo_bench_db *db, const char *sql, const char *what)
{
	return halo_db_exec(db->db, db->path, sql, what);
}

int halo_bench_db_open(halo_bench_db **out, const char *path)
{
	*out = NULL;
	if (!path || !*path)
		return halo_error_set(HALO_EUSAGE, "no results database path");
	halo_bench_db *db = calloc(1, sizeof(*db));
	if (!db)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	snprintf(db->path, sizeof(db->path), "%s", path);
	int rc;
	if ((rc = halo_db_open(&db->db, path, 0)) ||
	    (rc = exec(db, schema_sql, "cannot create bench tables")))
		goto fail;
	sqlite3_stmt *st = NULL;
	int version = 0;
	if (sqlite3_prepare_v2(db->db, "SELECT value FROM bench_meta WHERE key = 'schema_version'", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > BENCH_SCHEMA_VERSION) {
		rc = halo_error_set(HALO_EUNSUPPORTED, "'%s': bench schema %d is newer than this halo's (%d)", path,
				    version, BENCH_SCHEMA_VERSION);
		goto fail;
	}
	/* the owner pid of a run (resume, halo_bench_run_claim) came after schema 1; a
	 * column an older halo does not read, so no version bump. A concurrent open
	 * may add it first: then the check after the ALTER passes. */
	if (sqlite3_prepare_v2(db->db, "SELECT pid FROM bench_runs LIMIT 0", -1, &st, NULL) != SQLITE_OK) {
		sqlite3_exec(db->db, "ALTER TABLE bench_runs ADD COLUMN pid INTEGER", NULL, NULL, NULL);
		sqlite3_finalize(st);
		st = NULL;
		if (sqlite3_prepare_v2(db->db, "SELECT pid FROM bench_runs LIMIT 0", -1, &st, NULL) != SQLITE_OK) {
			rc = db_error(db, "cannot add the pid column to bench_runs");
			sqlite3_finalize(st);
			goto fail;
		}
	}
	sqlite3_finalize(st);
	if (version < BENCH_SCHEMA_VERSION &&
	    (rc = exec(db, "INSERT OR REPLACE INTO bench_meta (key, value) VALUES ('schema_version', '1')",
		       "cannot record the bench schema version")))
		goto fail;
	*out = db;
	return 0;
fail:
	halo_bench_db_close(db);
	return rc;
}

void halo_bench_db_close(halo_bench_db *db)
{
	if (!db)
		return;
	if (db->db)
		sqlite3_close(db->db);
	free(db);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void bind_ll(sqlite3_stmt *st, int i, long long v)
{
	if (v < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

static void bind_d(sqlite3_stmt *st, int i, double v)
{
	if (v < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

static char *dup_col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? strdup((const char *)s) : NULL;
}

int halo_bench_run_create(halo_bench_db *db, const char *params_json, const char *kernel, const char *halo_version,
			  int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(db->db,
			       "INSERT INTO bench_runs (status, created, updated, halo_version, kernel, params_json, pid)"
			       " VALUES ('running', ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(db, "cannot prepare run insert");
	double t = halo_wall_s();
	sqlite3_bind_double(st, 1, t);
	sqlite3_bind_double(st, 2, t);
	bind_text(st, 3, halo_version);
	bind_text(st, 4, kernel);
	bind_text(st, 5, params_json);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)getpid());
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_error(db, "cannot create run");
	else
		*id = sqlite3_last_insert_rowid(db->db);
	sqlite3_finalize(st);
	return rc;
}

int halo_bench_run_set_status(halo_bench_db *db, int64_t id, const char *status)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(db->db,
			       "UPDATE bench_runs SET status = ?1, updated = ?2,"
			       " pid = CASE WHEN ?1 = 'running' THEN pid ELSE NULL END WHERE id = ?3",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(db, "cannot prepare run update");
	bind_text(st, 1, status);
	sqlite3_bind_double(st, 2, halo_wall_s());
	sqlite3_bind_int64(st, 3, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_error(db, "cannot update run");
	else if (sqlite3_changes(db->db) == 0)
		rc = halo_error_set(HALO_ENOTFOUND, "'%s': no bench run %lld", db->path, (long long)id);
	sqlite3_finalize(st);
	return rc;
}

static bool pid_alive(long pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

int halo_bench_run_claim(halo_bench_db *db, int64_t id, long pid, long *holder)
{
	if (holder)
		*holder = 0;
	if (pid <= 0)
		return halo_error_set(HALO_EUSAGE, "bench run %lld: no process id to claim it for", (long long)id);
	int rc = exec(db, "BEGIN IMMEDIATE", "cannot begin");
	if (rc)
		return rc;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db->db, "SELECT status, pid FROM bench_runs WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
		rc = db_error(db, "cannot prepare run query");
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	int s = sqlite3_step(st);
	if (s == SQLITE_DONE) {
		rc = halo_error_set(HALO_ENOTFOUND, "'%s': no bench run %lld ('halo bench list' shows them)", db->path,
				    (long long)id);
		goto out;
	}
	if (s != SQLITE_ROW) {
		rc = db_error(db, "cannot read run");
		goto out;
	}
	const char *status = (const char *)sqlite3_column_text(st, 0);
	long owner = sqlite3_column_type(st, 1) == SQLITE_NULL ? 0 : (long)sqlite3_column_int64(st, 1);
	if (status && !strcmp(status, "running") && owner != pid && pid_alive(owner)) {
		if (holder)
			*holder = owner;
		rc = halo_error_set(HALO_ERROR, "bench run %lld is being run by process %ld; wait for it to end", (long long)id,
				    owner);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db->db, "UPDATE bench_runs SET status = 'running', pid = ?, updated = ? WHERE id = ?", -1,
			       &st, NULL) != SQLITE_OK) {
		rc = db_error(db, "cannot prepare run update");
		goto out;
	}
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_double(st, 2, halo_wall_s());
	sqlite3_bind_int64(st, 3, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_error(db, "cannot update run");
out:
	sqlite3_finalize(st);
	if (rc)
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	else
		rc = exec(db, "COMMIT", "cannot commit run");
	return rc;
}

static char *samples_json(const double *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_real(v[i]));
	char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return s;
}

static char *argv_json(char **argv)
{
	json_t *a = json_array();
	for (size_t i = 0; a && argv && argv[i]; i++)
		json_array_append_new(a, json_string(argv[i]));
	char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return s;
}

static int put_result(halo_bench_db *db, sqlite3_stmt *st, int64_t cell_id, int64_t run_id, int seq,
		      const halo_bench_result *r)
{
	char test[64];
	char *sts = samples_json(r->samples_ts, r->n_samples_ts), *sns = samples_json(r->samples_ns, r->n_samples_ns);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	int i = 1;
	sqlite3_bind_int64(st, i++, cell_id);
	sqlite3_bind_int64(st, i++, run_id);
	sqlite3_bind_int(st, i++, seq);
	bind_text(st, i++, halo_bench_result_test(r, test, sizeof(test)));
	bind_ll(st, i++, r->n_prompt);
	bind_ll(st, i++, r->n_gen);
	bind_ll(st, i++, r->n_depth);
	bind_d(st, i++, r->avg_ts);
	bind_d(st, i++, r->stddev_ts);
	bind_d(st, i++, r->avg_ns);
	bind_d(st, i++, r->stddev_ns);
	bind_text(st, i++, sts);
	bind_text(st, i++, sns);
	bind_text(st, i++, r->build_commit);
	bind_ll(st, i++, r->build_number);
	bind_text(st, i++, r->cpu_info);
	bind_text(st, i++, r->gpu_info);
	bind_text(st, i++, r->backends);
	bind_text(st, i++, r->model_filename);
	bind_text(st, i++, r->model_type);
	bind_ll(st, i++, r->model_size);
	bind_ll(st, i++, r->model_n_params);
	bind_ll(st, i++, r->n_batch);
	bind_ll(st, i++, r->n_ubatch);
	bind_ll(st, i++, r->n_threads);
	bind_text(st, i++, r->type_k);
	bind_text(st, i++, r->type_v);
	/* n_gpu_layers and flash_attn are legitimately -1 (all layers, auto) */
	sqlite3_bind_int64(st, i++, r->n_gpu_layers);
	sqlite3_bind_int64(st, i++, r->flash_attn);
	bind_text(st, i++, r->test_time);
	bind_text(st, i++, r->json ? r->json : "{}");
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(db, "cannot store result");
	free(sts);
	free(sns);
	return rc;
}

static int delete_cell_records(halo_bench_db *db, int64_t run_id, const halo_bench_cell_rec *rec)
{
	static const char *const sql[] = {
		"DELETE FROM bench_results WHERE cell_id IN (SELECT id FROM bench_cells"
		" WHERE run_id = ?1 AND model = ?2 AND backend = ?3 AND depth = ?4)",
		"DELETE FROM bench_cells WHERE run_id = ?1 AND model = ?2 AND backend = ?3 AND depth = ?4",
	};
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db->db, sql[i], -1, &st, NULL) != SQLITE_OK)
			return db_error(db, "cannot prepare cell delete");
		sqlite3_bind_int64(st, 1, run_id);
		bind_text(st, 2, rec->model ? rec->model : "");
		bind_text(st, 3, rec->backend ? rec->backend : "");
		sqlite3_bind_int64(st, 4, rec->depth);
		int s = sqlite3_step(st);
		sqlite3_finalize(st);
		if (s != SQLITE_DONE)
			return db_error(db, "cannot delete the cell's earlier record");
	}
	return 0;
}

static int cell_store(halo_bench_db *db, int64_t run_id, const halo_bench_cell_rec *rec, bool replace)
{
	sqlite3_stmt *st = NULL, *rs = NULL;
	int rc = exec(db, "BEGIN IMMEDIATE", "cannot begin");
	if (rc)
		return rc;
	char *av = argv_json(rec->cell.argv);
	if (replace && (rc = delete_cell_records(db, run_id, rec)))
		goto out;
	if (sqlite3_prepare_v2(db->db,
			       "INSERT INTO bench_cells (run_id, model, model_name, backend, backend_json, depth, status,"
			       " exit_status, argv_json, error, log_tail, skipped_lines, started, finished)"
			       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = db_error(db, "cannot prepare cell insert");
		goto out;
	}
	sqlite3_bind_int64(st, 1, run_id);
	bind_text(st, 2, rec->model ? rec->model : "");
	bind_text(st, 3, rec->model_name ? rec->model_name : "");
	bind_text(st, 4, rec->backend ? rec->backend : "");
	bind_text(st, 5, rec->backend_json);
	sqlite3_bind_int64(st, 6, rec->depth);
	bind_text(st, 7, halo_bench_status_name(rec->cell.status));
	sqlite3_bind_int(st, 8, rec->cell.exit_status);
	bind_text(st, 9, av);
	bind_text(st, 10, rec->cell.error);
	bind_text(st, 11, rec->cell.log_tail);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)rec->cell.results.skipped);
	sqlite3_bind_double(st, 13, rec->cell.started);
	sqlite3_bind_double(st, 14, rec->cell.finished);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(db, "cannot store cell");
		goto out;
	}
	int64_t cell_id = sqlite3_last_insert_rowid(db->db);
	if (sqlite3_prepare_v2(db->db,
			       "INSERT INTO bench_results (cell_id, run_id, seq, test, n_prompt, n_gen, n_depth, avg_ts,"
			       " stddev_ts, avg_ns, stddev_ns, samples_ts, samples_ns, build_commit, build_number,"
			       " cpu_info, gpu_info, backends, model_filename, model_type, model_size, model_n_params,"
			       " n_batch, n_ubatch, n_threads, type_k, type_v, n_gpu_layers, flash_attn, test_time, json)"
			       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
			       " ?, ?, ?, ?)",
			       -1, &rs, NULL) != SQLITE_OK) {
		rc = db_error(db, "cannot prepare result insert");
		goto out;
	}
	for (size_t i = 0; !rc && i < rec->cell.results.n; i++)
		rc = put_result(db, rs, cell_id, run_id, (int)i, &rec->cell.results.items[i]);
	if (!rc) {
		sqlite3_stmt *up = NULL;
		if (sqlite3_prepare_v2(db->db, "UPDATE bench_runs SET updated = ? WHERE id = ?", -1, &up, NULL) ==
		    SQLITE_OK) {
			sqlite3_bind_double(up, 1, halo_wall_s());
			sqlite3_bind_int64(up, 2, run_id);
			sqlite3_step(up);
		}
		sqlite3_finalize(up);
	}
out:
	sqlite3_finalize(st);
	sqlite3_finalize(rs);
	free(av);
	if (rc)
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	else
		rc = exec(db, "COMMIT", "cannot commit cell");
	return rc;
}

int halo_bench_cell_put(halo_bench_db *db, int64_t run_id, const halo_bench_cell_rec *rec)
{
	return cell_store(db, run_id, rec, false);
}

int halo_bench_cell_replace(halo_bench_db *db, int64_t run_id, const halo_bench_cell_rec *rec)
{
	return cell_store(db, run_id, rec, true);
}

static bool retryable(halo_bench_status s)
{
	return s == HALO_BENCH_CRASHED || s == HALO_BENCH_OOM || s == HALO_BENCH_TIMEOUT || s == HALO_BENCH_FAILED;
}

int halo_bench_missing_cells(const halo_bench_run *run, const char *const *models, size_t n_models,
			     const char *const *backends, size_t n_backends, const long *depths, size_t n_depths,
			     bool retry_failed, halo_bench_todo **todo, size_t *n)
{
	*todo = NULL;
	*n = 0;
	if (!n_models || !n_backends || !n_depths)
		return 0;
	/* each factor is bounded by what a command line or params_json can hold,
	 * but the product is checked all the same */
	size_t total = n_models;
	if (total > SIZE_MAX / n_backends || total * n_backends > SIZE_MAX / n_depths ||
	    total * n_backends * n_depths > SIZE_MAX / sizeof(**todo))
		return halo_error_set(HALO_ENOMEM, "bench matrix of %zu x %zu x %zu cells is too large", n_models,
				      n_backends, n_depths);
	total = n_models * n_backends * n_depths;
	halo_bench_todo *v = malloc(total * sizeof(*v));
	if (!v)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	size_t k = 0;
	for (size_t m = 0; m < n_models; m++)
		for (size_t b = 0; b < n_backends; b++)
			for (size_t d = 0; d < n_depths; d++) {
				bool have = false;
				for (size_t i = 0; !have && run && i < run->n_cells; i++) {
					const halo_bench_cell_rec *c = &run->cells[i];
					have = c->model && c->backend && !strcmp(c->model, models[m]) &&
					       !strcmp(c->backend, backends[b]) && c->depth == depths[d] &&
					       !(retry_failed && retryable(c->cell.status));
				}
				if (!have)
					v[k++] = (halo_bench_todo){ m, b, d };
			}
	if (!k)
		free(v);
	else
		*todo = v;
	*n = k;
	return 0;
}

static void cell_rec_free(halo_bench_cell_rec *c)
{
	free(c->model);
	free(c->model_name);
	free(c->backend);
	free(c->backend_json);
	halo_bench_cell_free(&c->cell);
}

void halo_bench_run_free(halo_bench_run *run)
{
	if (!run)
		return;
	free(run->status);
	free(run->halo_version);
	free(run->kernel);
	free(run->params_json);
	for (size_t i = 0; run->cells && i < run->n_cells; i++) /* a listing counts cells it has not loaded */
		cell_rec_free(&run->cells[i]);
	free(run->cells);
	memset(run, 0, sizeof(*run));
}

#define RUN_COLUMNS                                                                                        \
	"r.id, r.status, r.created, r.updated, r.halo_version, r.kernel, r.params_json,"                   \
	" (SELECT count(*) FROM bench_cells c WHERE c.run_id = r.id),"                                     \
	" (SELECT count(*) FROM bench_cells c WHERE c.run_id = r.id AND c.status = 'ok')"

static void run_from_row(sqlite3_stmt *st, halo_bench_run *run)
{
	memset(run, 0, sizeof(*run));
	run->id = sqlite3_column_int64(st, 0);
	run->status = dup_col(st, 1);
	run->created = sqlite3_column_double(st, 2);
	run->updated = sqlite3_column_double(st, 3);
	run->halo_version = dup_col(st, 4);
	run->kernel = dup_col(st, 5);
	run->params_json = dup_col(st, 6);
	run->n_cells = (size_t)sqlite3_column_int64(st, 7);
	run->n_ok = (size_t)sqlite3_column_int64(st, 8);
}

/* argv back from its JSON array (NULL-terminated), NULL when absent or odd. */
static char **argv_from_json(const char *text)
{
	json_t *a = text ? json_loads(text, 0, NULL) : NULL;
	char **v = NULL;
	if (json_is_array(a) && (v = calloc(json_array_size(a) + 1, sizeof(*v)))) {
		size_t k = 0;
		for (size_t i = 0; i < json_array_size(a); i++) {
			const char *s = json_string_value(json_array_get(a, i));
			if (s && (v[k] = strdup(s)))
				k++;
		}
	}
	json_decref(a);
	return v;
}

static halo_bench_status status_from_name(const char *s)
{
	for (int i = HALO_BENCH_OK; i <= HALO_BENCH_MISSING; i++)
		if (s && !strcmp(s, halo_bench_status_name((halo_bench_status)i)))
			return (halo_bench_status)i;
	return HALO_BENCH_FAILED;
}

static int load_results(halo_bench_db *db, int64_t cell_id, halo_bench_results *out)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db->db, "SELECT json FROM bench_results WHERE cell_id = ? ORDER BY seq", -1, &st,
			       NULL) != SQLITE_OK)
		return db_error(db, "cannot prepare result query");
	sqlite3_bind_int64(st, 1, cell_id);
	int s, rc = 0;
	while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *j = (const char *)sqlite3_column_text(st, 0);
		int n = sqlite3_column_bytes(st, 0);
		if (j)
			rc = halo_llama_bench_parse(j, (size_t)n, out);
	}
	sqlite3_finalize(st);
	return rc;
}

int halo_bench_run_load(halo_bench_db *db, int64_t id, halo_bench_run *out)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(db->db, "SELECT " RUN_COLUMNS " FROM bench_runs r WHERE r.id = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_error(db, "cannot prepare run query");
	sqlite3_bind_int64(st, 1, id);
	int s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		run_from_row(st, out);
	else if (s == SQLITE_DONE)
		rc = halo_error_set(HALO_ENOTFOUND, "'%s': no bench run %lld ('halo bench list' shows them)", db->path,
				    (long long)id);
	else
		rc = db_error(db, "cannot read run");
	sqlite3_finalize(st);
	if (rc)
		return rc;
	size_t want = out->n_cells;
	out->n_cells = 0;
	if (!want)
		return 0;
	out->cells = calloc(want, sizeof(*out->cells));
	if (!out->cells) {
		halo_bench_run_free(out);
		return halo_error_set(HALO_ENOMEM, "out of memory");
	}
	if (sqlite3_prepare_v2(db->db,
			       "SELECT id, model, model_name, backend, backend_json, depth, status, exit_status,"
			       " argv_json, error, log_tail, skipped_lines, started, finished"
			       " FROM bench_cells WHERE run_id = ? ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = db_error(db, "cannot prepare cell query");
		halo_bench_run_free(out);
		return rc;
	}
	sqlite3_bind_int64(st, 1, id);
	while (!rc && out->n_cells < want && (s = sqlite3_step(st)) == SQLITE_ROW) {
		halo_bench_cell_rec *c = &out->cells[out->n_cells++];
		c->model = dup_col(st, 1);
		c->model_name = dup_col(st, 2);
		c->backend = dup_col(st, 3);
		c->backend_json = dup_col(st, 4);
		c->depth = (long)sqlite3_column_int64(st, 5);
		c->cell.status = status_from_name((const char *)sqlite3_column_text(st, 6));
		c->cell.exit_status = sqlite3_column_int(st, 7);
		c->cell.argv = argv_from_json((const char *)sqlite3_column_text(st, 8));
		c->cell.error = dup_col(st, 9);
		c->cell.log_tail = dup_col(st, 10);
		c->cell.results.skipped = (size_t)sqlite3_column_int64(st, 11);
		c->cell.started = sqlite3_column_double(st, 12);
		c->cell.finished = sqlite3_column_double(st, 13);
		if (!c->model || !c->model_name || !c->backend)
			rc = halo_error_set(HALO_ENOMEM, "out of memory");
		else
			rc = load_results(db, sqlite3_column_int64(st, 0), &c->cell.results);
		if (!rc)
			c->cell.results.skipped = (size_t)sqlite3_column_int64(st, 11);
	}
	sqlite3_finalize(st);
	if (rc)
		halo_bench_run_free(out);
	return rc;
}

int halo_bench_run_list(halo_bench_db *db, halo_bench_run **runs, size_t *n)
{
	sqlite3_stmt *st = NULL;
	*runs = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(db->db, "SELECT " RUN_COLUMNS " FROM bench_runs r ORDER BY r.id DESC", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_error(db, "cannot prepare run list");
	int s, rc = 0;
	size_t cap = 0;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			halo_bench_run *r = realloc(*runs, nc * sizeof(*r));
			if (!r) {
				rc = halo_error_set(HALO_ENOMEM, "out of memory");
				break;
			}
			*runs = r;
			cap = nc;
		}
		run_from_row(st, &(*runs)[(*n)++]);
	}
	if (!rc && s != SQLITE_DONE)
		rc = db_error(db, "cannot list runs");
	sqlite3_finalize(st);
	if (rc) {
		halo_bench_run_list_free(*runs, *n);
		*runs = NULL;
		*n = 0;
	}
	return rc;
}

void halo_bench_run_list_free(halo_bench_run *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		halo_bench_run_free(&runs[i]);
	free(runs);
}

/* --- bench endpoint runs ----------------------------------------------- */

void halo_bench_endpoint_run_free(halo_bench_endpoint_run *run)
{
	if (!run)
		return;
	free(run->status);
	free(run->server_url);
	free(run->vs_url);
	free(run->params_json);
	free(run->report_json);
	free(run->error);
	free(run->halo_version);
	memset(run, 0, sizeof(*run));
}

int halo_bench_endpoint_create(halo_bench_db *db, const char *server_url, const char *vs_url,
			       const char *params_json, const char *halo_version, int64_t *id)
{
	if (!server_url || !*server_url)
		return halo_error_set(HALO_EUSAGE, "bench endpoint run: no server URL");
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(db->db,
			       "INSERT INTO bench_endpoint_runs (status, created, updated, server_url, vs_url,"
			       " params_json, halo_version) VALUES ('running', ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(db, "cannot prepare endpoint run insert");
	double t = halo_wall_s();
	sqlite3_bind_double(st, 1, t);
	sqlite3_bind_double(st, 2, t);
	bind_text(st, 3, server_url);
	bind_text(st, 4, vs_url);
	bind_text(st, 5, params_json);
	bind_text(st, 6, halo_version);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_error(db, "cannot create endpoint run");
	else
		*id = sqlite3_last_insert_rowid(db->db);
	sqlite3_finalize(st);
	return rc;
}

int halo_bench_endpoint_finish(halo_bench_db *db, int64_t id, const char *status, const char *report_json,
			       const char *error)
{
	if (!status || (strcmp(status, "done") && strcmp(status, "interrupted") && strcmp(status, "failed")))
		return halo_error_set(HALO_EUSAGE, "endpoint run %lld: '%s' is not a final status", (long long)id,
				      status ? status : "(none)");
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(db->db,
			       "UPDATE bench_endpoint_runs SET status = ?, updated = ?, report_json = ?, error = ?"
			       " WHERE id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(db, "cannot prepare endpoint run update");
	bind_text(st, 1, status);
	sqlite3_bind_double(st, 2, halo_wall_s());
	bind_text(st, 3, report_json);
	bind_text(st, 4, error);
	sqlite3_bind_int64(st, 5, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_error(db, "cannot update endpoint run");
	else if (sqlite3_changes(db->db) == 0)
		rc = halo_error_set(HALO_ENOTFOUND, "'%s': no endpoint run %lld", db->path, (long long)id);
	sqlite3_finalize(st);
	return rc;
}

int halo_bench_endpoint_update(halo_bench_db *db, int64_t id, const char *report_json)
{
	if (!report_json)
		return halo_error_set(HALO_EUSAGE, "endpoint run %lld: no report to store", (long long)id);
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(db->db,
			       "UPDATE bench_endpoint_runs SET updated = ?, report_json = ?"
			       " WHERE id = ? AND status = 'running'",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(db, "cannot prepare endpoint run update");
	sqlite3_bind_double(st, 1, halo_wall_s());
	bind_text(st, 2, report_json);
	sqlite3_bind_int64(st, 3, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_error(db, "cannot update endpoint run");
	else if (sqlite3_changes(db->db) == 0)
		rc = halo_error_set(HALO_ENOTFOUND, "'%s': no running endpoint run %lld", db->path, (long long)id);
	sqlite3_finalize(st);
	return rc;
}

/* Columns 0..9; the report is selected only by the loader. */
#define EP_COLUMNS "id, status, created, updated, server_url, vs_url, params_json, error, halo_version"

static int ep_from_row(sqlite3_stmt *st, halo_bench_endpoint_run *r, bool with_report)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->status = dup_col(st, 1);
	r->created = sqlite3_column_double(st, 2);
	r->updated = sqlite3_column_double(st, 3);
	r->server_url = dup_col(st, 4);
	r->vs_url = dup_col(st, 5);
	r->params_json = dup_col(st, 6);
	r->error = dup_col(st, 7);
	r->halo_version = dup_col(st, 8);
	if (with_report)
		r->report_json = dup_col(st, 9);
	/* the NOT NULL columns: a NULL here is an allocation that failed */
	if (!r->status || !r->server_url || (with_report && sqlite3_column_type(st, 9) != SQLITE_NULL && !r->report_json)) {
		halo_bench_endpoint_run_free(r);
		return halo_error_set(HALO_ENOMEM, "out of memory");
	}
	return 0;
}

int halo_bench_endpoint_load(halo_bench_db *db, int64_t id, halo_bench_endpoint_run *out)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(db->db, "SELECT " EP_COLUMNS ", report_json FROM bench_endpoint_runs WHERE id = ?", -1,
			       &st, NULL) != SQLITE_OK)
		return db_error(db, "cannot prepare endpoint run query");
	sqlite3_bind_int64(st, 1, id);
	int s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		rc = ep_from_row(st, out, true);
	else if (s == SQLITE_DONE)
		rc = halo_error_set(HALO_ENOTFOUND, "'%s': no endpoint run %lld ('halo bench list' shows them)",
				    db->path, (long long)id);
	else
		rc = db_error(db, "cannot read endpoint run");
	sqlite3_finalize(st);
	return rc;
}

int halo_bench_endpoint_list(halo_bench_db *db, halo_bench_endpoint_run **runs, size_t *n)
{
	sqlite3_stmt *st = NULL;
	*runs = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(db->db, "SELECT " EP_COLUMNS " FROM bench_endpoint_runs ORDER BY id DESC", -1, &st,
			       NULL) != SQLITE_OK)
		return db_error(db, "cannot prepare endpoint run list");
	int s, rc = 0;
	size_t cap = 0;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			halo_bench_endpoint_run *r = realloc(*runs, nc * sizeof(*r));
			if (!r) {
				rc = halo_error_set(HALO_ENOMEM, "out of memory");
				break;
			}
			*runs = r;
			cap = nc;
		}
		if ((rc = ep_from_row(st, &(*runs)[*n], false)))
			break;
		(*n)++;
	}
	if (!rc && s != SQLITE_DONE)
		rc = db_error(db, "cannot list endpoint runs");
	sqlite3_finalize(st);
	if (rc) {
		halo_bench_endpoint_list_free(*runs, *n);
		*runs = NULL;
		*n = 0;
	}
	return rc;
}

void halo_bench_endpoint_list_free(halo_bench_endpoint_run *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		halo_bench_endpoint_run_free(&runs[i]);
	free(runs);
}
