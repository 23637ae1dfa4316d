/* Suites, the id-list matcher, and run reports aggregated from stored samples. */
#include "testutil.h"

#include "error.h"
#include "eval/benchmark.h"
#include "eval/evalplus.h"
#include "eval/report.h"
#include "eval/results.h"
#include "eval/verdict.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void test_suites(void **state)
{
	(void)state;
	const halo_benchmark_ops *b[8];
	size_t n = 0;
	static const struct {
		const char *suite;
		const char *names;
	} cases[] = {
		{ "quick", "humaneval ifeval" },     { "code", "humaneval mbpp" },
		{ "tooluse", "bfcl" },               { "full", "humaneval mbpp ifeval bfcl" },
		{ "mbpp", "mbpp" },                  { "ifeval", "ifeval" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(halo_suite_expand(cases[i].suite, b, &n), 0);
		char got[128] = "";
		for (size_t k = 0; k < n; k++) {
			strcat(got, k ? " " : "");
			strcat(got, b[k]->name);
		}
		assert_string_equal(got, cases[i].names);
	}
	assert_int_equal(halo_suite_expand("humaneval+", b, &n), HALO_EUSAGE);
	assert_non_null(strstr(halo_error_last()->message, "'humaneval+' is not a suite"));
	assert_int_equal(halo_suite_expand(NULL, b, &n), HALO_EUSAGE);
	/* code suites sample with the coding preset */
	assert_string_equal(halo_benchmark_find("humaneval")->preset, "thinking-coding");
	assert_string_equal(halo_benchmark_find("bfcl")->preset, "thinking");
}

static void test_list_has(void **state)
{
	(void)state;
	assert_true(halo_list_has("HumanEval/1,HumanEval/12", "HumanEval/12"));
	assert_true(halo_list_has("HumanEval/1, HumanEval/12 ", "HumanEval/12"));
	assert_false(halo_list_has("HumanEval/12", "HumanEval/1"));
	assert_false(halo_list_has("HumanEval/1", "HumanEval/12"));
	assert_false(halo_list_has("", "x"));
	assert_false(halo_list_has(NULL, "x"));
	assert_false(halo_list_has(",,", "x"));
	assert_true(halo_list_has("a,,x", "x"));
}

static void put(halo_results *db, int64_t run, const char *bench, const char *task, int sample, const char *cat,
		int outcome, const char *detail, long long completion)
{
	halo_sample_row row = {
		.benchmark = bench, .task_id = task, .sample = sample, .category = cat, .config_hash = "h",
		.outcome = outcome, .detail_json = detail, .prompt_tokens = 10, .completion_tokens = completion,
		.reasoning_tokens = -1, .ttft_s = 0.1, .total_s = 2.0, .attempts = 1,
	};
	assert_int_equal(halo_results_sample_put(db, run, &row), 0);
}

static double num(json_t *r, const char *path)
{
	/* "a.b.c" */
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *v = r;
	for (char *save = NULL, *t = strtok_r(buf, ".", &save); t; t = strtok_r(NULL, ".", &save))
		v = json_object_get(v, t);
	assert_non_null(v);
	return json_number_value(v);
}

static void test_report(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof(path), "%s/r.db", test_tmpdir("report"));
	halo_results *db = NULL;
	assert_int_equal(halo_results_open(&db, path), 0);
	int64_t run;
	assert_int_equal(halo_results_run_create(db, "full", "http://x", "m", "fp", "{}", &run), 0);

	/* HumanEval: task A 5 samples, base 3 / plus 2 correct; task B 5 samples, all plus */
	for (int s = 0; s < 5; s++) {
		char d[64];
		snprintf(d, sizeof(d), "{\"base\":%s,\"plus\":%s}", s < 3 ? "true" : "false", s < 2 ? "true" : "false");
		put(db, run, "humaneval", "A", s, NULL, s < 2 ? HALO_OUTCOME_PASS : HALO_OUTCOME_WRONG, d, 100);
		put(db, run, "humaneval", "B", s, NULL, HALO_OUTCOME_PASS, "{\"base\":true,\"plus\":true}", 100);
	}
	/* IFEval: 2 prompts, 3 instructions */
	put(db, run, "ifeval", "1000", 0, NULL, HALO_OUTCOME_PASS,
	    "{\"strict\":true,\"loose\":true,\"instructions\":[{\"id\":\"punctuation:no_comma\",\"strict\":true,\"loose\":true}]}",
	    50);
	put(db, run, "ifeval", "1001", 0, NULL, HALO_OUTCOME_WRONG,
	    "{\"strict\":false,\"loose\":true,\"instructions\":[{\"id\":\"punctuation:no_comma\",\"strict\":false,\"loose\":true},"
	    "{\"id\":\"startend:quotation\",\"strict\":true,\"loose\":true}]}",
	    50);
	/* BFCL: simple 1/2, irrelevance 2/2 reference-compatible but 1/2 strict */
	put(db, run, "bfcl", "simple_python_0", 0, "simple_python", HALO_OUTCOME_PASS, "{\"strict\":true}", 5);
	put(db, run, "bfcl", "simple_python_1", 0, "simple_python", HALO_OUTCOME_WRONG, "{\"strict\":false}", 5);
	put(db, run, "bfcl", "irrelevance_0", 0, "irrelevance", HALO_OUTCOME_PASS, "{\"strict\":true}", 5);
	put(db, run, "bfcl", "irrelevance_1", 0, "irrelevance", HALO_OUTCOME_PASS, "{\"strict\":false}", 5);
	/* an infrastructure failure with no details counts as failed everywhere */
	put(db, run, "bfcl", "simple_python_2", 0, "simple_python", HALO_OUTCOME_INFRA, NULL, -1);

	json_t *r = NULL;
	assert_int_equal(halo_eval_report(db, run, &r), 0);
	/* pass@k per task averaged: A plus pass@1 = 2/5, pass@5 = 1; B = 1 */
	assert_true(fabs(num(r, "benchmarks.humaneval.plus.pass@1") - (0.4 + 1.0) / 2) < 1e-12);
	assert_true(fabs(num(r, "benchmarks.humaneval.base.pass@1") - (0.6 + 1.0) / 2) < 1e-12);
	assert_true(fabs(num(r, "benchmarks.humaneval.plus.pass@5") - 1.0) < 1e-12);
	assert_null(json_object_get(json_object_get(json_object_get(json_object_get(r, "benchmarks"), "humaneval"), "plus"),
				    "pass@10"));
	assert_int_equal((int)num(r, "benchmarks.humaneval.tasks"), 2);
	assert_int_equal((int)num(r, "benchmarks.humaneval.samples_per_task"), 5);
	assert_true(fabs(num(r, "benchmarks.ifeval.prompt_strict") - 0.5) < 1e-12);
	assert_true(fabs(num(r, "benchmarks.ifeval.prompt_loose") - 1.0) < 1e-12);
	assert_true(fabs(num(r, "benchmarks.ifeval.instruction_strict") - 2.0 / 3) < 1e-12);
	assert_true(fabs(num(r, "benchmarks.ifeval.instruction_loose") - 1.0) < 1e-12);
	assert_true(fabs(num(r, "benchmarks.ifeval.instructions.punctuation:no_comma.strict_accuracy") - 0.5) < 1e-12);
	assert_true(fabs(num(r, "benchmarks.bfcl.categories.simple_python.accuracy") - 1.0 / 3) < 1e-12);
	assert_true(fabs(num(r, "benchmarks.bfcl.categories.irrelevance.accuracy") - 1.0) < 1e-12);
	assert_true(fabs(num(r, "benchmarks.bfcl.categories.irrelevance.strict_accuracy") - 0.5) < 1e-12);
	assert_true(fabs(num(r, "benchmarks.bfcl.accuracy") - (1.0 / 3 + 1.0) / 2) < 1e-12);
	assert_int_equal((int)num(r, "outcomes.infra_error"), 1);
	assert_int_equal((int)num(r, "outcomes.pass"), 2 + 5 + 1 + 1 + 2);
	assert_int_equal((int)num(r, "totals.samples"), 17);
	assert_int_equal((int)num(r, "totals.completion_tokens"), 10 * 100 + 2 * 50 + 4 * 5);
	json_decref(r);
	assert_int_equal(halo_eval_report(db, run + 1, &r), HALO_ENOTFOUND);
	halo_results_close(db);

	/* the estimator itself */
	assert_true(fabs(halo_pass_at_k(10, 3, 1) - 0.3) < 1e-12);
	assert_true(fabs(halo_pass_at_k(10, 0, 5)) < 1e-12);
	assert_true(fabs(halo_pass_at_k(10, 6, 5) - 1.0) < 1e-12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suites),
		cmocka_unit_test(test_list_has),
		cmocka_unit_test(test_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
