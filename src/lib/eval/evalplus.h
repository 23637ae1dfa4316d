/*
 * HumanEval+ and MBPP+ with evalplus semantics (docs/evalplus.md).
 *
 * A handle holds one dataset's tasks and their ground truth: the outputs and
 * times of the canonical solution on every base and plus input, computed once
 * by the embedded Python worker (evalplus_worker.py) and cached per dataset
 * SHA-256 and worker version. Each sample is judged by one sandboxed python3
 * process (sandbox.h) that loads the code, runs every input under its time
 * limit max(min_time_limit_s, gt_time_factor * ground-truth time), compares as
 * evalplus does and replies on a channel the sample cannot write to unseen.
 *
 * Ownership: halo_evalplus_open() returns a handle freed by
 * halo_evalplus_close(); opts and its strings are copied. Strings returned
 * through char ** are malloc'd and owned by the caller (free()). A verdict's
 * `code` is released by halo_evalplus_verdict_free(). Strings returned as
 * const char * belong to the handle and live until it is closed.
 *
 * Thread safety: after open, a handle is read-only; halo_evalplus_check*()
 * may be called from many threads at once.
 */
#ifndef HALO_EVAL_EVALPLUS_H
#define HALO_EVAL_EVALPLUS_H

#include "eval/dataset.h"
#include "eval/verdict.h"

#include <stddef.h>
#include <stdint.h>

typedef struct halo_evalplus halo_evalplus;

/* Ground-truth progress: `done` of `total` tasks (task_id just finished).
 * Called from the computing threads, one call at a time. */
typedef void (*halo_evalplus_progress_fn)(size_t done, size_t total, const char *task_id, void *ud);

typedef struct halo_evalplus_opts {
	int version;              /* HALO_EVALPLUS_OPTS_VERSION */
	const char *python;       /* interpreter; NULL = "python3" from PATH (resolved once, at open) */
	const char *cache_dir;    /* ground-truth cache folder (created); NULL = compute, keep in memory */
	const char *tmp_parent;   /* parent of the sandboxes' private folders; NULL = $TMPDIR or /tmp */
	double min_time_limit_s;  /* per-input floor; 0 = 4 (evalplus DEFAULT_MIN_TIME_LIMIT) */
	double gt_time_factor;    /* per-input limit = factor * ground-truth time; 0 = 4 */
	double phase_cap_s;       /* base or plus run capped at min(cap, sum of limits) + 2 s; 0 = 60
	                             (evalplus EVALPLUS_TIMEOUT_PER_TASK) */
	uint64_t mem_bytes;       /* address space per sample; 0 = 4 GiB */
	unsigned jobs;            /* ground-truth processes at once; 0 = online CPUs */
	halo_evalplus_progress_fn progress; /* may be NULL */
	void *progress_ud;
} halo_evalplus_opts;
#define HALO_EVALPLUS_OPTS_VERSION 1
#define HALO_EVALPLUS_OPTS_INIT { HALO_EVALPLUS_OPTS_VERSION, NULL, NULL, NULL, 0.0, 0.0, 0.0, 0, 0, NULL, NULL }

/*
 * Loads the tasks of `dataset_path` (kind HALO_DATASET_HUMANEVAL or
 * HALO_DATASET_MBPP; the file is trusted as far as dataset.h trusts it),
 * checks the interpreter, then loads the ground truth from the cache or
 * computes it (minutes) and writes the cache (atomically: a temporary file
 * renamed into place, so concurrent halo processes never see half a file).
 * A cache that fails validation is recomputed. opts may be NULL.
 */
int halo_evalplus_open(halo_evalplus **out, halo_dataset_kind kind, const char *dataset_path,
		       const halo_evalplus_opts *opts);
void halo_evalplus_close(halo_evalplus *h); /* NULL is fine */

size_t halo_evalplus_task_count(const halo_evalplus *h);
const char *halo_evalplus_task_id(const halo_evalplus *h, size_t i);          /* NULL when out of range */
const char *halo_evalplus_task_prompt(const halo_evalplus *h, size_t i);
const char *halo_evalplus_task_entry_point(const halo_evalplus *h, size_t i);
/* Index of task_id, or -1. */
long halo_evalplus_task_index(const halo_evalplus *h, const char *task_id);
/* SHA-256 of the dataset file (64 hex digits), for result keys. */
const char *halo_evalplus_dataset_sha256(const halo_evalplus *h);

/*
 * The OpenAI `messages` array evalplus sends a chat model for this prompt: one
 * user message, the instruction then the stripped prompt in a ```python
 * fence. *messages_json is compact JSON (caller frees).
 */
int halo_evalplus_build_messages(const halo_dataset_record *record, char **messages_json);
int halo_evalplus_prompt_messages(const char *prompt, char **messages_json);

/*
 * Picks the code out of a chat answer (thinking already removed): the fenced
 * block that defines `entry_point` at top level (Python-tagged or untagged
 * blocks first, then any; the longest, by non-blank lines, the first of equal
 * ones), else the whole answer when some line of it defines the entry point
 * (the worker then takes the longest parsable run of lines). Returns 0 with
 * *code (caller frees), 1 when there is nothing to run (outcome PARSE), or a
 * negative code.
 */
int halo_evalplus_extract(const char *answer, size_t len, const char *entry_point, char **code);

typedef struct halo_evalplus_verdict {
	halo_outcome outcome; /* PASS, WRONG, TIMEOUT, PARSE or INFRA */
	int base_pass;        /* every base input passed */
	int plus_pass;        /* base_pass and every plus input passed (evalplus "plus") */
	int fail_phase;       /* 0 none, 1 base, 2 plus */
	long fail_index;      /* first failing input of fail_phase; -1 = none or while loading the code */
	char detail[256];     /* short reason, "" on a pass */
	double wall_s;        /* sandbox wall time */
	char *code;           /* the code judged (after extraction and sanitizing), or NULL */
} halo_evalplus_verdict;

void halo_evalplus_verdict_free(halo_evalplus_verdict *v);

/*
 * Judges a chat answer for task_id: extraction as above, then evalplus's
 * sanitizer (imports and the definitions the entry point reaches) in the
 * worker. Returns 0 with *v filled (whatever the outcome; a sandbox that
 * cannot start is outcome INFRA), HALO_ENOTFOUND for an unknown task, or
 * another negative code for a usage or allocation error.
 */
int halo_evalplus_check(const halo_evalplus *h, const char *task_id, const char *answer,
			halo_evalplus_verdict *v);
/* Judges complete code as is (evalplus samples' `solution`), no extraction. */
int halo_evalplus_check_solution(const halo_evalplus *h, const char *task_id, const char *code,
				 halo_evalplus_verdict *v);

/*
 * One line of an evalplus samples.jsonl: task_id plus `solution` (complete
 * code) or `completion` (appended to the task's prompt). Returns 0 with
 * *task_id and *code (caller frees both), HALO_ENOTFOUND for a task not in
 * the dataset, HALO_EFORMAT for a malformed line.
 */
int halo_evalplus_sample_code(const halo_evalplus *h, const char *line, size_t len, char **task_id,
			      char **code);

/*
 * Parses the worker's stdout (untrusted: it shares the process with the
 * sample). Exactly one line "HALO-EVALPLUS-REPLY <nonce> <json>" must carry
 * `nonce`. Fills outcome, passes, failure position, detail and code of *v.
 * Returns 0, or HALO_EFORMAT when there is no single well-formed reply.
 * Exposed for the fuzz target.
 */
int halo_evalplus_parse_reply(const char *out, size_t len, const char *nonce, halo_evalplus_verdict *v);

/*
 * The unbiased pass@k estimator of the Codex paper, 1 - C(n-c, k)/C(n, k),
 * in its numerically stable product form. NAN when k == 0, k > n or c > n.
 */
double halo_pass_at_k(unsigned n, unsigned c, unsigned k);

#endif
