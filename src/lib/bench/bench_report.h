/*
 * What `halo bench` shows of a stored run: the comparison table (per model,
 * one row per backend, pp and tg t/s at each depth), the whole run as JSON,
 * an SVG line chart of t/s against depth, and a run-vs-run comparison that
 * says whether each change exceeds the run-to-run noise.
 *
 * Noise rule (docs/bench.md): for a test measured with per-repetition
 * samples, s = the samples' standard deviation (n - 1) and n their count
 * (without samples: llama-bench's stddev_ts and n = 1). A change
 * |mean_B - mean_A| is real when it exceeds
 * 2 * sqrt(s_A^2 / n_A + s_B^2 / n_B), two standard errors of the
 * difference (about 95 % for normal noise); with fewer than two samples on
 * either side there is no estimate and the verdict is "unknown".
 *
 * Ownership: text goes into a caller's halo_buf; JSON values are new
 * references for the caller; compare rows point into the two runs (valid
 * while they are) and the array is freed with free().
 */
#ifndef HALO_BENCH_REPORT_H
#define HALO_BENCH_REPORT_H

#include <jansson.h>
#include <stddef.h>

#include "bench/bench_store.h"
#include "buf.h"

/* The comparison table, as text with aligned columns. */
int halo_bench_table(const halo_bench_run *run, halo_buf *out);

/* The run, its cells (with provenance) and results. NULL on allocation failure. */
json_t *halo_bench_run_json(const halo_bench_run *run);

/* A standalone SVG document: per model, two panels (pp, tg) of t/s against
 * depth, one line per backend, with axes, ticks and a legend. */
int halo_bench_svg(const halo_bench_run *run, halo_buf *out);

/* Mean, sample standard deviation and count of a result's samples_ts
 * (falling back to avg_ts, stddev_ts and n = 1). */
void halo_bench_result_stats(const halo_bench_result *r, double *mean, double *sd, size_t *n);

typedef enum halo_bench_verdict {
	HALO_BENCH_NOISE = 0, /* within the run-to-run noise */
	HALO_BENCH_FASTER,    /* B is faster beyond the noise */
	HALO_BENCH_SLOWER,    /* B is slower beyond the noise */
	HALO_BENCH_UNKNOWN,   /* fewer than two samples on a side */
	HALO_BENCH_ONLY_A,    /* no result in B (cell missing or failed there) */
	HALO_BENCH_ONLY_B,
} halo_bench_verdict;

const char *halo_bench_verdict_name(halo_bench_verdict v);

/* Decides a verdict from the two sides' statistics; *noise gets the threshold in t/s. */
halo_bench_verdict halo_bench_noise_verdict(double mean_a, double sd_a, size_t n_a, double mean_b, double sd_b,
					    size_t n_b, double *noise);

typedef struct halo_bench_cmp_row {
	const char *model_name, *backend;
	const char *kind;     /* "pp", "tg", "pg" */
	long depth;
	const halo_bench_result *a, *b; /* NULL on the side that has none */
	const halo_bench_cell_rec *cell_a, *cell_b; /* NULL when the cell is absent */
	double mean_a, sd_a, mean_b, sd_b;
	size_t n_a, n_b;
	double delta_pct;     /* (B - A) / A * 100; 0 when a side is missing */
	double noise;         /* threshold in t/s */
	halo_bench_verdict verdict;
} halo_bench_cmp_row;

/* Matches results by (model file basename, backend, pp/tg, the cell's -d depth): rows in
 * A's order, then those only in B. */
int halo_bench_compare(const halo_bench_run *a, const halo_bench_run *b, halo_bench_cmp_row **rows, size_t *n);
int halo_bench_compare_table(const halo_bench_cmp_row *rows, size_t n, halo_buf *out);
json_t *halo_bench_compare_json(const halo_bench_run *a, const halo_bench_run *b, const halo_bench_cmp_row *rows,
				size_t n);

#endif
