/*
 * What the runner needs from a benchmark: its tasks, the request for each,
 * and a scorer. One adapter per benchmark (bench_evalplus.c: humaneval and
 * mbpp; bench_ifeval.c; bench_bfcl.c) wraps that benchmark's scorer module.
 *
 * Verdict details are a JSON object per sample, stored in the results
 * database and aggregated by report.c; their fields are part of the database
 * format (docs/eval.md):
 *   humaneval, mbpp  {"base": bool, "plus": bool, "detail": "..."}
 *   ifeval           {"strict": bool, "loose": bool,
 *                     "instructions": [{"id": "...", "strict": bool, "loose": bool}]}
 *   bfcl             {"category": "...", "strict": bool, "error": "..."}
 * A sample's outcome is PASS exactly when the benchmark's headline metric
 * counts it: plus for evalplus, prompt-level strict for IFEval, the
 * reference-compatible verdict for BFCL.
 *
 * Thread safety: open/close run on one thread; n_tasks, task_id, category,
 * build and score may be called concurrently from the runner's workers.
 */
#ifndef HALO_EVAL_BENCHMARK_H
#define HALO_EVAL_BENCHMARK_H

#include <stdbool.h>
#include <stddef.h>

#include "eval/dataset.h"
#include "eval/verdict.h"

/* Everything a benchmark may need to open. Borrowed for the call. */
typedef struct halo_eval_env {
	halo_dataset_source datasets;
	const char *cache_dir;   /* halo's cache (ground truth lives below it) */
	const char *python;      /* python3 for sandboxed code */
	const char *tmp_dir;     /* parent of sandbox folders; NULL = $TMPDIR or /tmp */
	int bfcl_prompt_mode;    /* 1: BFCL answers as [f(a=1)] text, 0: native tool calls */
	const char *bfcl_categories; /* comma list, NULL = every category */
	/* Long preparation (ground truth) reports here; may be NULL. */
	void (*note)(const char *line, void *ud);
	void *note_ud;
} halo_eval_env;

/* The model's answer as scorers see it. Borrowed. */
typedef struct halo_eval_answer {
	const char *content;    /* thinking removed; "" when none */
	const char *tool_calls; /* NULL or [{"name":..., "arguments":"<json text>"}] */
	bool truncated;         /* finish_reason length or unterminated thinking */
} halo_eval_answer;

typedef struct halo_eval_score {
	halo_outcome outcome;
	char *detail_json; /* malloc'd JSON object (see above); the caller frees */
} halo_eval_score;

typedef struct halo_benchmark_ops {
	const char *name;           /* "humaneval", "mbpp", "ifeval", "bfcl" */
	const char *preset;         /* catalog preset it samples with: "thinking-coding", "thinking" */
	const char *prompt_version; /* changes when the prompt template changes (config hash) */
	int (*open)(const halo_eval_env *env, void **state);
	void (*close)(void *state);
	/* SHA-256 (hex) over the dataset files used, for the configuration hash. */
	const char *(*dataset_sha)(void *state);
	size_t (*n_tasks)(void *state);
	const char *(*task_id)(void *state, size_t i);
	const char *(*category)(void *state, size_t i); /* NULL when the benchmark has none */
	/* The request for task i: a messages array and (BFCL native) tools; malloc'd. */
	int (*build)(void *state, size_t i, char **messages_json, char **tools_json);
	int (*score)(void *state, size_t i, const halo_eval_answer *answer, halo_eval_score *out);
	/*
	 * Offline scoring: one record of the reference tool's own output format
	 * (evalplus samples.jsonl, IFEval input_response_data, BFCL result file)
	 * to a task index and the answer to score (malloc'd; tool_calls may be
	 * NULL). Returns 1 for a record to skip (not in the selection), 0, or a
	 * negative code naming the problem.
	 */
	int (*offline_record)(void *state, const char *line, size_t len, size_t *task, char **content,
			      char **tool_calls);
} halo_benchmark_ops;

/* The benchmarks halo knows, by name; NULL when unknown. */
const halo_benchmark_ops *halo_benchmark_find(const char *name);

/*
 * Expands a suite or benchmark name into benchmarks: quick = humaneval +
 * ifeval, code = humaneval + mbpp, tooluse = bfcl, full = all four, or a
 * single benchmark. Fills out[0..*n) (capacity 8). HALO_EUSAGE when unknown.
 */
int halo_suite_expand(const char *suite, const halo_benchmark_ops **out, size_t *n);

/*
 * Whether the comma-separated `list` names `item` exactly (spaces around
 * names ignored): --ids, --bfcl-categories. NULL or "" names nothing.
 */
int halo_list_has(const char *list, const char *item);

#endif
