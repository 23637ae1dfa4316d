/*
 * The evaluation results database (SQLite): runs, and one row per sample with
 * the request, the response and the verdict.
 *
 * Keyed by (run, benchmark, task, sample); each row also carries the
 * configuration hash it was produced under (server model fingerprint,
 * sampling, prompt template, dataset SHA-256), so a resumed run can tell a
 * finished sample from one produced under another configuration.
 *
 * Every sample is committed in its own transaction as soon as it is scored,
 * in WAL mode: a harness killed with SIGKILL loses only the requests that
 * were in flight. A halo_results handle may be used from several threads
 * (calls are serialised by an internal mutex).
 *
 * Ownership: strings passed in are copied by SQLite; strings in the structs
 * filled by the getters are malloc'd and released by the matching _free().
 */
#ifndef HALO_EVAL_RESULTS_H
#define HALO_EVAL_RESULTS_H

#include <stddef.h>
#include <stdint.h>

typedef struct halo_results halo_results;

/* $XDG_DATA_HOME/halo/halo.db, else ~/.local/share/halo/halo.db. */
int halo_results_default_path(char *buf, size_t n);

/* Opens (creating it and its parent folders if needed) the database at path. */
int halo_results_open(halo_results **out, const char *path);
void halo_results_close(halo_results *r); /* NULL is fine */

typedef struct halo_run {
	int64_t id;
	char *suite;       /* "quick", "humaneval", "score:ifeval", ... */
	char *server;      /* URL, or the scored file for offline runs */
	char *model;
	char *fingerprint; /* what the server said about its model */
	char *config_json; /* everything needed to resume: selection, sampling, options */
	char *status;      /* "running", "done", "interrupted" */
	double created, updated; /* unix seconds */
	char *halo_version;
} halo_run;
void halo_run_free(halo_run *run);

/* Creates a run in status "running"; *id receives its number. */
int halo_results_run_create(halo_results *r, const char *suite, const char *server, const char *model,
			    const char *fingerprint, const char *config_json, int64_t *id);
/* HALO_ENOTFOUND when there is no such run. */
int halo_results_run_get(halo_results *r, int64_t id, halo_run *out);
int halo_results_run_set_status(halo_results *r, int64_t id, const char *status);
/* Calls fn for every run, newest first; a nonzero return stops and is returned. */
int halo_results_run_each(halo_results *r, int (*fn)(const halo_run *run, void *ud), void *ud);

/* One scored sample. Every string may be NULL. */
typedef struct halo_sample_row {
	const char *benchmark;   /* "humaneval", "mbpp", "ifeval", "bfcl" */
	const char *task_id;
	int sample;              /* 0-based index when --samples K > 1 */
	const char *category;    /* BFCL category; NULL elsewhere */
	const char *config_hash; /* 64 hex digits */
	int outcome;             /* halo_outcome (verdict.h) */
	const char *detail_json; /* scorer-specific verdict details, a JSON object */
	const char *request_json;
	const char *response_json; /* content, reasoning, tool_calls, finish_reason, error */
	long long prompt_tokens, completion_tokens, reasoning_tokens; /* -1 = unknown */
	double ttft_s, total_s;  /* < 0 = unknown */
	int attempts;
} halo_sample_row;

/* Stores (or replaces) a sample, in its own transaction. */
int halo_results_sample_put(halo_results *r, int64_t run_id, const halo_sample_row *row);

/*
 * Calls fn for every sample of a run in (benchmark, task, sample) insertion
 * order. The row's strings are valid only during the call.
 */
int halo_results_sample_each(halo_results *r, int64_t run_id,
			     int (*fn)(const halo_sample_row *row, void *ud), void *ud);

/* How many samples the run has stored. */
int halo_results_sample_count(halo_results *r, int64_t run_id, size_t *n);

#endif
