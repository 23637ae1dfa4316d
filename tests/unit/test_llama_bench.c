/*
 * halo bench's library: llama-bench jsonl parsing (real lines from the
 * pinned build, missing / extra / differently typed fields, garbage), cell
 * classification, the SQLite round trip, the noise rule of compare, the
 * table and the SVG's well-formedness.
 */
#include "testutil.h"

#include "bench/bench_report.h"
#include "bench/bench_store.h"
#include "bench/llama_bench.h"
#include "error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Captured from the pinned llama-bench (80fb11a) on a synth twin: -p 16 -n 4 -d 0 -r 2 -t 1 -o jsonl. */
static const char REAL_PP[] =
	"{\"build_commit\": \"80fb11a\", \"build_number\": 1, \"cpu_info\": \"Intel(R) Xeon(R) Processor\", \"gpu_info\": \"\", "
	"\"backends\": \"CPU\", \"model_filename\": \"twin.gguf\", \"model_type\": \"llama ?B F16\", \"model_size\": 32982272, "
	"\"model_n_params\": 16490816, \"n_batch\": 2048, \"n_ubatch\": 512, \"n_threads\": 1, \"cpu_mask\": \"0x0\", "
	"\"cpu_strict\": false, \"poll\": 50, \"type_k\": \"f16\", \"type_v\": \"f16\", \"n_gpu_layers\": -1, \"n_cpu_moe\": 0, "
	"\"split_mode\": \"layer\", \"main_gpu\": 0, \"no_kv_offload\": false, \"flash_attn\": -1, \"devices\": \"auto\", "
	"\"tensor_split\": \"0.00\", \"tensor_buft_overrides\": \"none\", \"load_mode\": \"auto\", \"lazy_mode\": \"auto\", "
	"\"embeddings\": false, \"no_op_offload\": 0, \"no_host\": false, \"fit_target\": 0, \"fit_min_ctx\": 0, "
	"\"n_prompt\": 16, \"n_gen\": 0, \"n_depth\": 0, \"test_time\": \"2026-11-27T12:47:39Z\", \"avg_ns\": 7986963, "
	"\"stddev_ns\": 32966, \"avg_ts\": 2003.281635, \"stddev_ts\": 8.268681, \"samples_ns\": [ 7963652, 8010274 ],"
	"\"samples_ts\": [ 2009.13, 1997.43 ]}";
static const char REAL_TG[] =
	"{\"build_commit\": \"80fb11a\", \"build_number\": 1, \"cpu_info\": \"Intel(R) Xeon(R) Processor\", \"gpu_info\": \"\", "
	"\"backends\": \"CPU\", \"model_filename\": \"twin.gguf\", \"model_type\": \"llama ?B F16\", \"model_size\": 32982272, "
	"\"model_n_params\": 16490816, \"n_batch\": 2048, \"n_ubatch\": 512, \"n_threads\": 1, \"type_k\": \"f16\", "
	"\"type_v\": \"f16\", \"n_gpu_layers\": -1, \"flash_attn\": -1, \"n_prompt\": 0, \"n_gen\": 4, \"n_depth\": 64, "
	"\"test_time\": \"2026-11-27T12:47:39Z\", \"avg_ns\": 31031384, \"stddev_ns\": 61109, \"avg_ts\": 128.902003, "
	"\"stddev_ts\": 0.251727, \"samples_ns\": [ 30988534, 31074235 ],\"samples_ts\": [ 129.08, 128.724 ]}";

static void test_parse_real(void **state)
{
	(void)state;
	halo_bench_result r;
	assert_int_equal(halo_llama_bench_parse_line(REAL_PP, strlen(REAL_PP), &r), 0);
	assert_string_equal(r.build_commit, "80fb11a");
	assert_int_equal(r.build_number, 1);
	assert_string_equal(r.cpu_info, "Intel(R) Xeon(R) Processor");
	assert_string_equal(r.gpu_info, "");
	assert_string_equal(r.backends, "CPU");
	assert_string_equal(r.model_filename, "twin.gguf");
	assert_string_equal(r.model_type, "llama ?B F16");
	assert_int_equal(r.model_size, 32982272);
	assert_int_equal(r.model_n_params, 16490816);
	assert_int_equal(r.n_threads, 1);
	assert_int_equal(r.n_ubatch, 512);
	assert_string_equal(r.type_k, "f16");
	assert_int_equal(r.n_gpu_layers, -1);
	assert_int_equal(r.flash_attn, -1);
	assert_int_equal(r.n_prompt, 16);
	assert_int_equal(r.n_gen, 0);
	assert_int_equal(r.n_depth, 0);
	assert_string_equal(r.test_time, "2026-11-27T12:47:39Z");
	assert_true(fabs(r.avg_ts - 2003.281635) < 1e-9);
	assert_true(fabs(r.stddev_ts - 8.268681) < 1e-9);
	assert_true(fabs(r.avg_ns - 7986963) < 1e-3);
	assert_int_equal(r.n_samples_ts, 2);
	assert_int_equal(r.n_samples_ns, 2);
	assert_true(fabs(r.samples_ts[1] - 1997.43) < 1e-9);
	assert_string_equal(halo_bench_result_kind(&r), "pp");
	char t[32];
	assert_string_equal(halo_bench_result_test(&r, t, sizeof(t)), "pp16");
	double mean, sd;
	size_t n;
	halo_bench_result_stats(&r, &mean, &sd, &n);
	assert_int_equal(n, 2);
	assert_true(fabs(mean - 2003.28) < 1e-9);
	assert_true(fabs(sd - 8.273149) < 1e-5); /* sample sd of the two */
	halo_bench_result_free(&r);
}

static void test_parse_stream(void **state)
{
	(void)state;
	halo_buf b = HALO_BUF_INIT;
	halo_buf_addf(&b, "build: 1 (80fb11a)\n%s\r\n\n  garbage {\n{\"n_prompt\": 1}\n[1]\n{broken\n%s", REAL_PP, REAL_TG);
	halo_bench_results res = HALO_BENCH_RESULTS_INIT;
	assert_int_equal(halo_llama_bench_parse(b.ptr, b.len, &res), 0);
	assert_int_equal(res.n, 2);
	assert_int_equal(res.skipped, 5); /* build line, garbage, missing fields, array, broken */
	assert_string_equal(halo_bench_result_kind(&res.items[1]), "tg");
	assert_int_equal(res.items[1].n_depth, 64);
	halo_bench_results_free(&res);
	halo_buf_free(&b);
}

static void test_parse_tolerant(void **state)
{
	(void)state;
	/* numbers as strings, a bool flash_attn (older builds), no n_depth, extra
	 * fields, non-numbers among the samples, strings given as numbers */
	const char *line = "{\"n_prompt\": \"512\", \"n_gen\": 0.0, \"avg_ts\": \"100.5\", \"flash_attn\": true,"
			   " \"new_field\": {\"x\": [1]}, \"samples_ts\": [99, \"x\", null, 102], \"build_commit\": 1234,"
			   " \"n_threads\": \"many\", \"model_size\": 1e300}";
	halo_bench_result r;
	assert_int_equal(halo_llama_bench_parse_line(line, strlen(line), &r), 0);
	assert_int_equal(r.n_prompt, 512);
	assert_int_equal(r.n_gen, 0);
	assert_int_equal(r.n_depth, 0);
	assert_int_equal(r.flash_attn, 1);
	assert_true(fabs(r.avg_ts - 100.5) < 1e-9);
	assert_int_equal(r.n_samples_ts, 2);
	assert_string_equal(r.build_commit, "1234");
	assert_int_equal(r.n_threads, -1);
	assert_int_equal(r.model_size, -1); /* out of range: unknown */
	assert_null(r.cpu_info);
	assert_true(r.stddev_ts < 0);
	halo_bench_result_free(&r);

	/* required fields missing or unusable */
	const char *bad[] = { "{}", "{\"n_prompt\": 1, \"n_gen\": 0}", "{\"n_prompt\": -1, \"n_gen\": 0, \"avg_ts\": 1}",
			      "{\"n_prompt\": 1, \"n_gen\": 0, \"avg_ts\": \"fast\"}", "[1, 2]", "\"x\"", "{\"a\":",
			      "{\"n_prompt\": 1, \"n_gen\": 0, \"avg_ts\": 1} trailing", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(halo_llama_bench_parse_line(bad[i], strlen(bad[i]), &r), HALO_EFORMAT);
		assert_true(halo_error_last()->message[0] != 0);
	}
	/* an overlong line is refused before it is parsed */
	size_t big = HALO_LLAMA_BENCH_MAX_LINE + 10;
	char *s = malloc(big);
	memset(s, ' ', big);
	s[0] = '{';
	assert_int_equal(halo_llama_bench_parse_line(s, big, &r), HALO_EFORMAT);
	halo_bench_results res = HALO_BENCH_RESULTS_INIT;
	assert_int_equal(halo_llama_bench_parse(s, big, &res), 0);
	assert_int_equal(res.n, 0);
	assert_int_equal(res.skipped, 1);
	free(s);
}

static void test_classify_and_tail(void **state)
{
	(void)state;
	assert_int_equal(halo_bench_classify(false, 0, "", 2), HALO_BENCH_OK);
	assert_int_equal(halo_bench_classify(false, 0, "", 0), HALO_BENCH_FAILED);
	assert_int_equal(halo_bench_classify(false, 1, "error: failed to load model", 0), HALO_BENCH_FAILED);
	assert_int_equal(halo_bench_classify(false, 139, "", 1), HALO_BENCH_CRASHED);
	assert_int_equal(halo_bench_classify(false, 134, "ggml_vulkan: ErrorOutOfDeviceMemory", 0), HALO_BENCH_OOM);
	assert_int_equal(halo_bench_classify(false, 1, "ggml_backend_cpu_buffer_type_alloc_buffer: failed to allocate buffer", 0),
			 HALO_BENCH_OOM);
	assert_int_equal(halo_bench_classify(false, 137, "", 0), HALO_BENCH_OOM);
	assert_int_equal(halo_bench_classify(true, 143, "", 1), HALO_BENCH_TIMEOUT);
	assert_string_equal(halo_bench_status_name(HALO_BENCH_CRASHED), "crashed");

	const char log[] = "a\nb\nc\nd\n\n";
	char *t = halo_bench_log_tail(log, strlen(log), 2, 100);
	assert_string_equal(t, "c\nd");
	free(t);
	t = halo_bench_log_tail(log, strlen(log), 20, 3);
	assert_string_equal(t, "c\nd");
	free(t);
	t = halo_bench_log_tail(NULL, 0, 5, 10);
	assert_string_equal(t, "");
	free(t);
}

/* A result with the given mean samples (three repetitions around m with spread s). */
static halo_bench_result make_result(long long np, long long ng, double m, double s)
{
	char line[512];
	snprintf(line, sizeof(line),
		 "{\"n_prompt\": %lld, \"n_gen\": %lld, \"avg_ts\": %.6f, \"stddev_ts\": %.6f,"
		 " \"model_type\": \"llama <&> test\", \"samples_ts\": [%.6f, %.6f, %.6f]}",
		 np, ng, m, s, m - s, m, m + s);
	halo_bench_result r;
	assert_int_equal(halo_llama_bench_parse_line(line, strlen(line), &r), 0);
	return r;
}

static void fill_cell(halo_bench_cell_rec *c, const char *backend, long depth, halo_bench_status st, double pp,
		      double tg, double spread)
{
	memset(c, 0, sizeof(*c));
	c->model = strdup("/m/twin.gguf");
	c->model_name = strdup("twin.gguf");
	c->backend = strdup(backend);
	c->backend_json = strdup("{\"name\": \"x\"}");
	c->depth = depth;
	c->cell.status = st;
	c->cell.exit_status = st == HALO_BENCH_CRASHED ? 139 : 0;
	c->cell.log_tail = strdup(st == HALO_BENCH_OK ? "" : "boom\nSegmentation fault");
	c->cell.error = st == HALO_BENCH_OK ? NULL : strdup("llama-bench was killed by signal 11");
	c->cell.argv = calloc(3, sizeof(char *));
	c->cell.argv[0] = strdup("/bin/llama-bench");
	c->cell.argv[1] = strdup("-m");
	c->cell.started = 1000;
	c->cell.finished = 1001.5;
	size_t n = (pp > 0) + (tg > 0);
	c->cell.results.items = calloc(n ? n : 1, sizeof(halo_bench_result));
	if (pp > 0)
		c->cell.results.items[c->cell.results.n++] = make_result(512, 0, pp, spread);
	if (tg > 0)
		c->cell.results.items[c->cell.results.n++] = make_result(0, 128, tg, spread / 10);
}

static void test_store_round_trip(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof(path), "%s/sub/halo.db", test_tmpdir("bench_store"));
	halo_bench_db *db = NULL;
	assert_int_equal(halo_bench_db_open(&db, path), 0);
	int64_t id = 0, id2 = 0;
	assert_int_equal(halo_bench_run_create(db, "{\"n_prompt\": 512}", "Linux 6", "0.1.0", &id), 0);
	halo_bench_cell_rec c[3];
	fill_cell(&c[0], "radv", 0, HALO_BENCH_OK, 1000, 50, 5);
	fill_cell(&c[1], "radv", 4096, HALO_BENCH_OK, 800, 40, 5);
	fill_cell(&c[2], "rocm", 0, HALO_BENCH_CRASHED, 900, 0, 5);
	for (int i = 0; i < 3; i++)
		assert_int_equal(halo_bench_cell_put(db, id, &c[i]), 0);
	assert_int_equal(halo_bench_run_set_status(db, id, "done"), 0);
	assert_int_equal(halo_bench_run_create(db, NULL, NULL, NULL, &id2), 0);
	assert_true(id2 > id);
	assert_int_equal(halo_bench_run_set_status(db, 999, "done"), HALO_ENOTFOUND);
	halo_bench_db_close(db);

	/* reopened: the tables exist already, the eval's user_version is untouched */
	assert_int_equal(halo_bench_db_open(&db, path), 0);
	halo_bench_run run;
	assert_int_equal(halo_bench_run_load(db, id, &run), 0);
	assert_string_equal(run.status, "done");
	assert_string_equal(run.kernel, "Linux 6");
	assert_string_equal(run.params_json, "{\"n_prompt\": 512}");
	assert_int_equal(run.n_cells, 3);
	assert_int_equal(run.n_ok, 2);
	assert_string_equal(run.cells[0].backend, "radv");
	assert_int_equal(run.cells[1].depth, 4096);
	assert_int_equal(run.cells[0].cell.results.n, 2);
	assert_true(fabs(run.cells[0].cell.results.items[0].avg_ts - 1000) < 1e-9);
	assert_int_equal(run.cells[0].cell.results.items[0].n_samples_ts, 3);
	assert_string_equal(run.cells[0].cell.results.items[0].model_type, "llama <&> test");
	assert_int_equal(run.cells[2].cell.status, HALO_BENCH_CRASHED);
	assert_int_equal(run.cells[2].cell.exit_status, 139);
	assert_string_equal(run.cells[2].cell.log_tail, "boom\nSegmentation fault");
	assert_string_equal(run.cells[2].cell.error, "llama-bench was killed by signal 11");
	assert_int_equal(run.cells[2].cell.results.n, 1); /* what it printed before dying */
	assert_string_equal(run.cells[2].cell.argv[0], "/bin/llama-bench");
	assert_null(run.cells[2].cell.argv[2]);
	assert_string_equal(run.cells[0].backend_json, "{\"name\": \"x\"}");

	halo_bench_run *list = NULL;
	size_t n = 0;
	assert_int_equal(halo_bench_run_list(db, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, id2); /* newest first */
	assert_int_equal(list[1].n_cells, 3);
	assert_int_equal(list[1].n_ok, 2);
	halo_bench_run_list_free(list, n);
	halo_bench_run empty;
	assert_int_equal(halo_bench_run_load(db, 12345, &empty), HALO_ENOTFOUND);

	/* the table: one row per backend, pp and tg at each depth, the crash's status */
	halo_buf t = HALO_BUF_INIT;
	assert_int_equal(halo_bench_table(&run, &t), 0);
	assert_non_null(strstr(t.ptr, "pp512 @ d0"));
	assert_non_null(strstr(t.ptr, "tg128 @ d4096"));
	assert_non_null(strstr(t.ptr, "1000.00 ± 5.00"));
	assert_non_null(strstr(t.ptr, "900.00 ± 5.00 (crashed)"));
	assert_non_null(strstr(t.ptr, "crashed"));
	assert_non_null(strstr(t.ptr, "\nrocm "));
	halo_buf_free(&t);
	json_t *j = halo_bench_run_json(&run);
	assert_int_equal(json_integer_value(json_object_get(j, "n_ok")), 2);
	assert_int_equal(json_array_size(json_object_get(j, "cells")), 3);
	json_decref(j);

	halo_bench_run_free(&run);
	halo_bench_db_close(db);
	for (int i = 0; i < 3; i++) {
		free(c[i].model);
		free(c[i].model_name);
		free(c[i].backend);
		free(c[i].backend_json);
		halo_bench_cell_free(&c[i].cell);
	}
}

static void test_noise_rule(void **state)
{
	(void)state;
	double noise;
	/* 3 samples each, sd 5: noise = 2*sqrt(25/3 + 25/3) = 8.165 */
	assert_int_equal(halo_bench_noise_verdict(100, 5, 3, 108, 5, 3, &noise), HALO_BENCH_NOISE);
	assert_true(fabs(noise - 8.164966) < 1e-5);
	assert_int_equal(halo_bench_noise_verdict(100, 5, 3, 108.2, 5, 3, &noise), HALO_BENCH_FASTER);
	assert_int_equal(halo_bench_noise_verdict(100, 5, 3, 91.8, 5, 3, &noise), HALO_BENCH_SLOWER);
	/* no spread at all: any change is real */
	assert_int_equal(halo_bench_noise_verdict(100, 0, 5, 100.01, 0, 5, &noise), HALO_BENCH_FASTER);
	assert_int_equal(halo_bench_noise_verdict(100, 0, 5, 100, 0, 5, &noise), HALO_BENCH_NOISE);
	/* one sample: no estimate */
	assert_int_equal(halo_bench_noise_verdict(100, 0, 1, 200, 0, 3, &noise), HALO_BENCH_UNKNOWN);

	halo_bench_run a, b;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.id = 1;
	b.id = 2;
	a.cells = calloc(2, sizeof(halo_bench_cell_rec));
	b.cells = calloc(2, sizeof(halo_bench_cell_rec));
	a.n_cells = b.n_cells = 2;
	fill_cell(&a.cells[0], "radv", 0, HALO_BENCH_OK, 1000, 50, 5);
	fill_cell(&b.cells[0], "radv", 0, HALO_BENCH_OK, 1100, 50.1, 5); /* pp +10 %, tg within noise */
	fill_cell(&a.cells[1], "rocm", 0, HALO_BENCH_OK, 900, 45, 5);
	fill_cell(&b.cells[1], "vulkan", 0, HALO_BENCH_OK, 900, 45, 5);
	halo_bench_cmp_row *rows = NULL;
	size_t n = 0;
	assert_int_equal(halo_bench_compare(&a, &b, &rows, &n), 0);
	assert_int_equal(n, 6);
	assert_string_equal(rows[0].backend, "radv");
	assert_string_equal(rows[0].kind, "pp");
	assert_true(fabs(rows[0].delta_pct - 10) < 1e-9);
	assert_int_equal(rows[0].verdict, HALO_BENCH_FASTER);
	assert_string_equal(rows[1].kind, "tg");
	assert_int_equal(rows[1].verdict, HALO_BENCH_NOISE);
	assert_int_equal(rows[2].verdict, HALO_BENCH_ONLY_A);
	assert_null(rows[2].b);
	assert_int_equal(rows[4].verdict, HALO_BENCH_ONLY_B);
	assert_string_equal(rows[4].backend, "vulkan");
	halo_buf t = HALO_BUF_INIT;
	assert_int_equal(halo_bench_compare_table(rows, n, &t), 0);
	assert_non_null(strstr(t.ptr, "+10.00%"));
	assert_non_null(strstr(t.ptr, "faster"));
	assert_non_null(strstr(t.ptr, "only in B"));
	halo_buf_free(&t);
	json_t *j = halo_bench_compare_json(&a, &b, rows, n);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "rows"), 0), "verdict")),
			    "faster");
	json_decref(j);
	free(rows);

	/* the SVG: checked for well-formedness (tags balanced, text escaped) */
	halo_buf svg = HALO_BUF_INIT;
	free(a.cells[1].backend);
	a.cells[1].backend = strdup("r<o>c&m\"");
	assert_int_equal(halo_bench_svg(&a, &svg), 0);
	assert_non_null(strstr(svg.ptr, "r&lt;o&gt;c&amp;m&quot;"));
	assert_null(strstr(svg.ptr, "r<o"));
	/* every element opened is closed in order */
	const char *stack[64];
	int depth = 0, polylines = 0;
	for (const char *p = strstr(svg.ptr, "<svg"); p && *p; p++) {
		if (*p != '<')
			continue;
		const char *end = strchr(p, '>');
		assert_non_null(end);
		if (p[1] == '/') {
			assert_true(depth > 0);
			size_t len = strcspn(stack[depth - 1], " />");
			assert_memory_equal(p + 2, stack[depth - 1], len);
			depth--;
		} else if (end[-1] != '/') {
			assert_true(depth < 64);
			stack[depth++] = p + 1;
		}
		polylines += !strncmp(p, "<polyline", 9);
		for (const char *q = p + 1; q < end; q++)
			assert_true(*q != '<');
		p = end;
	}
	assert_int_equal(depth, 0);
	assert_int_equal(polylines, 4); /* 2 backends x (pp, tg) */
	halo_buf_free(&svg);
	halo_bench_run_free(&a);
	halo_bench_run_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_real),
		cmocka_unit_test(test_parse_stream),
		cmocka_unit_test(test_parse_tolerant),
		cmocka_unit_test(test_classify_and_tail),
		cmocka_unit_test(test_store_round_trip),
		cmocka_unit_test(test_noise_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
