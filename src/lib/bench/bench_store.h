/*
 * `halo bench` runs in the results database halo.db (the same SQLite file
 * as halo eval, its own tables): bench_runs (one per `halo bench`
 * invocation: parameters, kernel, halo version, status), bench_cells (one
 * per model x backend x depth: how it ended, argv, the backend's
 * provenance, the log tail) and bench_results (one per llama-bench test:
 * the parsed fields as columns, the samples and the whole jsonl object).
 *
 * Each cell is one transaction in WAL mode, so a bench killed with SIGKILL
 * keeps every finished cell. PRAGMA user_version belongs to the eval
 * tables; ours keep their version in bench_meta.
 *
 * `halo bench endpoint` runs go to bench_endpoint_runs: one row per
 * invocation, created "running" before the first request, given the report
 * so far after each finished level and finished with the whole report (the
 * command's --json object) once measured, so a run that was killed stays
 * visible as "running" with its finished levels, and one interrupted with ^C
 * as "interrupted" (with what was measured).
 *
 * Ownership: halo_bench_run, halo_bench_endpoint_run and everything in them
 * is malloc'd by the loader and released with halo_bench_run_free() /
 * halo_bench_endpoint_run_free(); strings passed in are copied.
 */
#ifndef HALO_BENCH_STORE_H
#define HALO_BENCH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/llama_bench.h"

typedef struct halo_bench_db halo_bench_db;

/* Opens (creating the file, its folders and the tables if needed). */
int halo_bench_db_open(halo_bench_db **out, const char *path);
void halo_bench_db_close(halo_bench_db *db); /* NULL is fine */

/* One stored cell: where it ran and how it ended. */
typedef struct halo_bench_cell_rec {
	char *model;        /* the GGUF path as run */
	char *model_name;   /* its basename: what runs are compared by */
	char *backend;
	char *backend_json; /* provenance: bin dir, env, flags, version, build, commit, devices */
	long depth;
	halo_bench_cell cell;
} halo_bench_cell_rec;

typedef struct halo_bench_run {
	int64_t id;
	char *status;       /* "running", "done", "interrupted" */
	double created, updated;
	char *halo_version;
	char *kernel;
	char *params_json;  /* models, backends, -p, -n, depths, -r, timeout, model_files (size, mtime) */
	halo_bench_cell_rec *cells; /* filled by halo_bench_run_load only */
	size_t n_cells;
	size_t n_ok;        /* cells that ended "ok" (also filled by the listing) */
} halo_bench_run;

void halo_bench_run_free(halo_bench_run *run);

/* A new run in status "running", owned by this process (its pid is stored,
 * see halo_bench_run_claim); *id receives its number. */
int halo_bench_run_create(halo_bench_db *db, const char *params_json, const char *kernel, const char *halo_version,
			  int64_t *id);
/* Any status other than "running" also clears the run's owner pid. */
int halo_bench_run_set_status(halo_bench_db *db, int64_t id, const char *status);

/*
 * Takes a run over for process `pid` (a resume): in one IMMEDIATE
 * transaction, refuses when the run is "running" and owned by another
 * process that is still alive on this host (HALO_ERROR, *holder = its pid),
 * otherwise sets it "running" with `pid` as owner. A run killed with SIGKILL
 * keeps a dead pid, so it can be taken. The check is kill(pid, 0): a pid
 * reused by an unrelated process is taken for the owner (refused; wait or
 * end that process), and a run on another host sharing the file is not seen.
 * HALO_ENOTFOUND when there is no such run. holder may be NULL.
 */
int halo_bench_run_claim(halo_bench_db *db, int64_t id, long pid, long *holder);

/* Stores a finished cell and its results in one transaction. */
int halo_bench_cell_put(halo_bench_db *db, int64_t run_id, const halo_bench_cell_rec *rec);

/* As halo_bench_cell_put, but first deletes (in the same transaction) the
 * run's records of the same (model path, backend, depth) and their results:
 * a cell run again with `--resume --retry-failed`. */
int halo_bench_cell_replace(halo_bench_db *db, int64_t run_id, const halo_bench_cell_rec *rec);

/* One cell of a matrix, by its indices into the models, backends and depths. */
typedef struct halo_bench_todo {
	size_t model, backend, depth;
} halo_bench_todo;

/*
 * The cells of models x backends x depths (in that nesting order, the order
 * a run goes through them) that `run` (loaded with its cells) still lacks:
 * no stored record with the same (model path, backend, depth); with
 * retry_failed also those whose records all ended crashed, oom, timeout or
 * failed ("missing", a backend without llama-bench, is not retried). *todo
 * is malloc'd (free()), NULL when *n is 0. Fails only on allocation.
 */
int halo_bench_missing_cells(const halo_bench_run *run, const char *const *models, size_t n_models,
			     const char *const *backends, size_t n_backends, const long *depths, size_t n_depths,
			     bool retry_failed, halo_bench_todo **todo, size_t *n);

/* The run with all its cells and results, in the order stored. HALO_ENOTFOUND when there is none. */
int halo_bench_run_load(halo_bench_db *db, int64_t id, halo_bench_run *out);

/* Every run (without cells; n_cells and n_ok counted), newest first. */
int halo_bench_run_list(halo_bench_db *db, halo_bench_run **runs, size_t *n);
void halo_bench_run_list_free(halo_bench_run *runs, size_t n);

/* --- bench endpoint runs ----------------------------------------------- */

typedef struct halo_bench_endpoint_run {
	int64_t id;
	char *status;       /* "running", "done", "interrupted", "failed" */
	double created, updated;
	char *server_url;   /* --server as given */
	char *vs_url;       /* --vs, NULL when none */
	char *params_json;  /* prompt lengths, concurrencies, -n, requests, timeout, seed */
	char *report_json;  /* the --json object of the run; while "running" (or killed) the levels
			       finished so far ("partial": true), NULL before the first; NULL for a run
			       that failed before measuring */
	char *error;        /* why a failed run failed; NULL otherwise */
	char *halo_version;
} halo_bench_endpoint_run;

void halo_bench_endpoint_run_free(halo_bench_endpoint_run *run);

/* A new endpoint run in status "running"; vs_url and params_json may be
 * NULL. *id receives its number (its own sequence, apart from bench_runs'). */
int halo_bench_endpoint_create(halo_bench_db *db, const char *server_url, const char *vs_url,
			       const char *params_json, const char *halo_version, int64_t *id);

/* Sets the final status ("done", "interrupted", "failed"), the report
 * (NULL keeps none) and the error line (NULL: none). HALO_ENOTFOUND when
 * there is no such run, HALO_EUSAGE for another status. */
int halo_bench_endpoint_finish(halo_bench_db *db, int64_t id, const char *status, const char *report_json,
			       const char *error);

/* Stores the report measured so far (levels finished; the command stores
 * one after each level) of a run still "running", in one statement (one
 * transaction), so a run killed later keeps them. The status stays
 * "running". HALO_ENOTFOUND when there is no such run or it is no longer
 * running; HALO_EUSAGE when report_json is NULL. */
int halo_bench_endpoint_update(halo_bench_db *db, int64_t id, const char *report_json);

/* One run with its report. HALO_ENOTFOUND when there is none. */
int halo_bench_endpoint_load(halo_bench_db *db, int64_t id, halo_bench_endpoint_run *out);

/* Every endpoint run, newest first, without report_json (NULL). */
int halo_bench_endpoint_list(halo_bench_db *db, halo_bench_endpoint_run **runs, size_t *n);
void halo_bench_endpoint_list_free(halo_bench_endpoint_run *runs, size_t n);

#endif
