/*
 * halo eval's engine: asks a model every selected task of a suite through
 * its OpenAI-compatible server, scores each answer as it arrives, and stores
 * request, response and verdict in the results database, one transaction per
 * sample, so an interrupted run can be resumed without asking again.
 *
 * Concurrency: `concurrency` worker threads each take the next sample, send
 * it (halo_chat_complete), separate the thinking, score it (sandboxed Python
 * for code) and store it. Progress is reported through a callback, under a
 * lock, after every sample; the library itself never prints.
 *
 * Sampling: each benchmark samples with its catalog preset ("thinking-coding"
 * for code, "thinking" otherwise; "instruct" with no_think) of the catalog
 * model the server is serving, then the caller's overrides on top. A server
 * whose model is not in the catalog gets only the overrides (its own
 * defaults otherwise).
 *
 * Ownership: opts and everything it points to are borrowed for the call.
 */
#ifndef HALO_EVAL_RUNNER_H
#define HALO_EVAL_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "eval/benchmark.h"
#include "eval/chat.h"
#include "eval/results.h"

typedef struct halo_eval_progress {
	const char *benchmark;   /* of the sample just finished */
	const char *task_id;
	halo_outcome outcome;
	size_t done, total;      /* samples finished (this run, resumed ones included) / selected */
	size_t resumed;          /* finished in an earlier session of this run */
	size_t passed;           /* PASS among done */
	size_t infra;            /* INFRA among done */
	long long completion_tokens; /* generated this session */
	double elapsed_s;        /* this session */
} halo_eval_progress;

typedef struct halo_eval_opts {
	int version;                 /* HALO_EVAL_OPTS_VERSION */
	const char *suite;           /* quick, code, tooluse, full, or one benchmark */
	/* selection, applied per benchmark in this order */
	const char *ids;             /* comma-separated task ids; NULL = all */
	unsigned shard_index;        /* 1..shard_count; task i is in shard (i mod count) + 1 */
	unsigned shard_count;        /* 0 = no sharding */
	size_t limit;                /* first N tasks (of each category, for BFCL); 0 = all */
	unsigned samples;            /* answers per task (pass@k); 0 = 1 */
	/* asking */
	const char *model;           /* sent as "model"; NULL = the server's first model */
	const char *catalog_model;   /* catalog id for presets; NULL = matched from the server */
	const char *preset;          /* preset name for every benchmark; NULL = per benchmark */
	int no_think;                /* ask without thinking (instruct preset, enable_thinking false) */
	halo_chat_sampling overrides;
	unsigned concurrency;        /* 0 = the server's slots, else 4 */
	halo_eval_env env;
	/* reporting */
	void (*progress)(const halo_eval_progress *p, void *ud);
	void *progress_ud;
	const volatile int *cancel;  /* set non-zero (e.g. from SIGINT) to stop: in-flight samples are dropped */
} halo_eval_opts;

#define HALO_EVAL_OPTS_VERSION 1
#define HALO_EVAL_OPTS_INIT { .version = HALO_EVAL_OPTS_VERSION }

/*
 * Runs (resume_run == 0) or resumes (resume_run = a run id) an evaluation.
 * A resumed run takes its suite, selection and sampling from the database
 * (opts only supplies callbacks, cancel and env), refuses a server whose
 * model fingerprint changed, and skips every stored sample whose
 * configuration hash matches, except infrastructure errors, which are asked
 * again. *run_id receives the run's id as soon as it exists (also on
 * failure). Returns 0 when every selected sample is stored (the run is
 * marked "done"), 1 when cancelled (marked "interrupted"), or a negative code.
 */
int halo_eval_run(halo_results *db, halo_chat_client *client, const halo_catalog *cat, const halo_eval_opts *opts,
		  int64_t resume_run, int64_t *run_id);

/*
 * Scores answers produced elsewhere (halo_benchmark_ops.offline_record
 * formats) from `path` as a new run with suite "score:<benchmark>".
 */
int halo_eval_score_file(halo_results *db, const char *benchmark, const char *path, const halo_eval_opts *opts,
			 int64_t *run_id);

#endif
