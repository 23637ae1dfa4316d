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
 * Ownership: halo_bench_run and everything in it is malloc'd by the loader
 * and released with halo_bench_run_free(); strings passed in are copied.
 */
#ifndef HALO_BENCH_STORE_H
#define HALO_BENCH_STORE_H

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
	char *params_json;  /* models, backends, -p, -n, depths, -r, timeout */
	halo_bench_cell_rec *cells; /* filled by halo_bench_run_load only */
	size_t n_cells;
	size_t n_ok;        /* cells that ended "ok" (also filled by the listing) */
} halo_bench_run;

void halo_bench_run_free(halo_bench_run *run);

/* A new run in status "running"; *id receives its number. */
int halo_bench_run_create(halo_bench_db *db, const char *params_json, const char *kernel, const char *halo_version,
			  int64_t *id);
int halo_bench_run_set_status(halo_bench_db *db, int64_t id, const char *status);

/* Stores a finished cell and its results in one transaction. */
int halo_bench_cell_put(halo_bench_db *db, int64_t run_id, const halo_bench_cell_rec *rec);

/* The run with all its cells and results, in the order stored. HALO_ENOTFOUND when there is none. */
int halo_bench_run_load(halo_bench_db *db, int64_t id, halo_bench_run *out);

/* Every run (without cells; n_cells and n_ok counted), newest first. */
int halo_bench_run_list(halo_bench_db *db, halo_bench_run **runs, size_t *n);
void halo_bench_run_list_free(halo_bench_run *runs, size_t n);

#endif
