/*
 * llama-bench, one cell of `halo bench`: the command line for a model, a
 * backend and a depth; running it with the backend's environment; reading
 * its `-o jsonl` output (one JSON object per finished test, flushed as it
 * ends, so a crash keeps what was measured before it).
 *
 * The output is untrusted: every field is read by key and may be missing,
 * extra or of another JSON type than the pinned llama.cpp prints (other
 * versions differ); lines and counts are capped; anything that is not a
 * result object (log lines, garbage) is skipped and counted.
 *
 * Ownership: a halo_bench_result owns its strings and arrays
 * (halo_bench_result_free); a halo_bench_results owns its items
 * (halo_bench_results_free); a halo_bench_cell owns everything in it
 * (halo_bench_cell_free).
 */
#ifndef HALO_BENCH_LLAMA_BENCH_H
#define HALO_BENCH_LLAMA_BENCH_H

#include <stdbool.h>
#include <stddef.h>

#include "backends.h"

/* One line longer than this is skipped (a real one is ~1.5 KB + samples). */
#define HALO_LLAMA_BENCH_MAX_LINE ((size_t)1 << 20)
/* Results kept from one run (the rest are counted as skipped). */
#define HALO_LLAMA_BENCH_MAX_RESULTS 4096
/* Samples kept per result. */
#define HALO_LLAMA_BENCH_MAX_SAMPLES 100000

/* One llama-bench test result. Strings are NULL and numbers -1 when absent. */
typedef struct halo_bench_result {
	char *build_commit;
	long long build_number;
	char *cpu_info, *gpu_info, *backends;
	char *model_filename, *model_type;
	long long model_size, model_n_params;
	long long n_batch, n_ubatch, n_threads;
	char *type_k, *type_v;
	long long n_gpu_layers;
	long long flash_attn;       /* -1 auto, 0, 1 (older builds print a bool) */
	long long n_prompt, n_gen;  /* required (>= 0) */
	long long n_depth;          /* 0 when absent (builds before -d) */
	char *test_time;
	double avg_ns, stddev_ns;   /* -1 when absent */
	double avg_ts, stddev_ts;   /* avg_ts required */
	double *samples_ts, *samples_ns;
	size_t n_samples_ts, n_samples_ns;
	char *json;                 /* the whole object, compact, as received */
} halo_bench_result;

void halo_bench_result_free(halo_bench_result *r);

/* "pp" (prompt only), "tg" (generation only) or "pg" (both). */
const char *halo_bench_result_kind(const halo_bench_result *r);
/* "pp512", "tg128", "pp512+tg128" into buf; returns buf. */
const char *halo_bench_result_test(const halo_bench_result *r, char *buf, size_t n);

/*
 * Parses one jsonl line (without its newline). HALO_EFORMAT when it is not
 * a JSON object or lacks n_prompt, n_gen or avg_ts as numbers. `out` is
 * filled only on success.
 */
int halo_llama_bench_parse_line(const char *line, size_t len, halo_bench_result *out);

typedef struct halo_bench_results {
	halo_bench_result *items;
	size_t n;
	size_t skipped; /* non-empty lines that were not results (or over the caps) */
} halo_bench_results;

#define HALO_BENCH_RESULTS_INIT { NULL, 0, 0 }

/* Parses all of `text` (len bytes, need not be NUL-terminated), appending to out.
 * Fails only on allocation failure (HALO_ENOMEM). */
int halo_llama_bench_parse(const char *text, size_t len, halo_bench_results *out);
void halo_bench_results_free(halo_bench_results *r);

/* How a cell ended. */
typedef enum halo_bench_status {
	HALO_BENCH_OK = 0,   /* exited 0 with results */
	HALO_BENCH_FAILED,   /* exited non-zero, or 0 without any result */
	HALO_BENCH_CRASHED,  /* killed by a signal (SIGSEGV, SIGABRT, ...) */
	HALO_BENCH_OOM,      /* out of (host or device) memory: its log says so, or SIGKILL */
	HALO_BENCH_TIMEOUT,  /* ran past its time and was killed */
	HALO_BENCH_MISSING,  /* the backend has no runnable llama-bench */
} halo_bench_status;

const char *halo_bench_status_name(halo_bench_status s);

typedef struct halo_llama_bench_params {
	unsigned version;
	const char *model;   /* GGUF path */
	int n_prompt;        /* -p */
	int n_gen;           /* -n */
	int depth;           /* -d */
	int reps;            /* -r */
	int timeout_s;       /* for the whole cell; 0: 3600 */
} halo_llama_bench_params;

#define HALO_LLAMA_BENCH_PARAMS_VERSION 1
#define HALO_LLAMA_BENCH_PARAMS_INIT { HALO_LLAMA_BENCH_PARAMS_VERSION, NULL, 512, 128, 0, 5, 0 }

/*
 * The argv: the backend's llama-bench, -m -p -n -d -r -o jsonl, then the
 * backend's bench_flags (they come last so they win). Freed with
 * halo_plan_argv_free().
 */
int halo_llama_bench_argv(const halo_backend *b, const halo_llama_bench_params *p, char ***argv);

typedef struct halo_bench_cell {
	halo_bench_status status;
	int exit_status;       /* as halo_llama_run: code, 128+signal; 0 when not started */
	char **argv;           /* what was run (NULL-terminated), NULL when missing */
	char *log_tail;        /* the last lines of its stderr, "" when none */
	char *error;           /* one line on what went wrong, NULL when ok */
	halo_bench_results results;
	double started, finished; /* unix seconds */
} halo_bench_cell;

void halo_bench_cell_free(halo_bench_cell *c);

/* The last `max_lines` lines of text, at most `max_bytes` bytes (a malloc'd string). */
char *halo_bench_log_tail(const char *text, size_t len, int max_lines, size_t max_bytes);

/*
 * Classifies an ended run: timed_out, exit status (as halo_llama_run), its
 * log and how many results it printed.
 */
halo_bench_status halo_bench_classify(bool timed_out, int exit_status, const char *log, size_t n_results);

/*
 * Runs one cell with the backend's environment and records how it ended in
 * `cell` (always filled: a crash, OOM, timeout or missing program is a
 * status, not an error). Fails only on bad arguments or allocation failure.
 */
int halo_llama_bench_run(const halo_backend *b, const halo_llama_bench_params *p, halo_bench_cell *cell);

#endif
