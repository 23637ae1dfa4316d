/*
 * Fuzz target for llama-bench jsonl output (src/lib/bench/llama_bench.c):
 * the input is a whole stdout of llama-bench. Nothing may crash; every
 * result kept has the required fields in range, and the report code (table,
 * SVG, JSON) runs over a run built from them.
 */
#include "bench/bench_report.h"
#include "bench/llama_bench.h"
#include "error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	halo_bench_results res = HALO_BENCH_RESULTS_INIT;
	if (halo_llama_bench_parse((const char *)data, size, &res)) {
		if (!halo_error_last()->message[0])
			abort();
		halo_bench_results_free(&res);
		return 0;
	}
	for (size_t i = 0; i < res.n; i++) {
		const halo_bench_result *r = &res.items[i];
		if (r->n_prompt < 0 || r->n_gen < 0 || r->avg_ts < 0 || r->n_depth < 0 || !r->json)
			abort();
		if (r->n_samples_ts > HALO_LLAMA_BENCH_MAX_SAMPLES || (r->n_samples_ts && !r->samples_ts))
			abort();
	}
	/* one cell of a run holding them: the table, SVG and JSON must cope */
	halo_bench_run run;
	memset(&run, 0, sizeof(run));
	halo_bench_cell_rec cell;
	memset(&cell, 0, sizeof(cell));
	cell.model = cell.model_name = "m.gguf";
	cell.backend = "b";
	cell.cell.status = HALO_BENCH_CRASHED;
	cell.cell.results = res;
	run.cells = &cell;
	run.n_cells = 1;
	halo_buf b = HALO_BUF_INIT;
	halo_bench_table(&run, &b);
	halo_buf_reset(&b);
	halo_bench_svg(&run, &b);
	halo_buf_free(&b);
	json_decref(halo_bench_run_json(&run));
	halo_bench_cmp_row *rows = NULL;
	size_t n = 0;
	if (halo_bench_compare(&run, &run, &rows, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			if (rows[i].verdict > HALO_BENCH_ONLY_B || !rows[i].a || !rows[i].b)
				abort(); /* a run against itself has both sides */
		free(rows);
	}
	halo_bench_results_free(&res);
	return 0;
}
