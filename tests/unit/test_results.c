/* The evaluation results database: runs, samples, reopening, paths. */
#include "testutil.h"

#include "error.h"
#include "eval/results.h"
#include "eval/verdict.h"
#include "paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *db_path(void)
{
	static char p[4200];
	snprintf(p, sizeof(p), "%s/sub/dir/halo.db", test_tmpdir("results"));
	return p;
}

struct collect {
	int n;
	char tasks[8][32];
	int outcomes[8];
	long long completion[8];
	double ttft[8];
};

static int collect_row(const halo_sample_row *row, void *ud)
{
	struct collect *c = ud;
	if (c->n < 8) {
		snprintf(c->tasks[c->n], sizeof(c->tasks[0]), "%s/%s#%d", row->benchmark, row->task_id, row->sample);
		c->outcomes[c->n] = row->outcome;
		c->completion[c->n] = row->completion_tokens;
		c->ttft[c->n] = row->ttft_s;
	}
	c->n++;
	return 0;
}

static void test_runs_and_samples(void **state)
{
	(void)state;
	const char *path = db_path();
	halo_results *r = NULL;
	assert_int_equal(halo_results_open(&r, path), 0);

	int64_t id1 = 0, id2 = 0;
	assert_int_equal(halo_results_run_create(r, "quick", "http://x", "m", "fp", "{\"a\":1}", &id1), 0);
	assert_int_equal(halo_results_run_create(r, "code", "http://y", "m2", NULL, NULL, &id2), 0);
	assert_true(id2 > id1);

	halo_sample_row row = {
		.benchmark = "humaneval", .task_id = "HumanEval/0", .sample = 0, .config_hash = "abc",
		.outcome = HALO_OUTCOME_PASS, .detail_json = "{\"base\":true}", .prompt_tokens = 10,
		.completion_tokens = 20, .reasoning_tokens = -1, .ttft_s = 0.5, .total_s = 1.5, .attempts = 1,
	};
	assert_int_equal(halo_results_sample_put(r, id1, &row), 0);
	row.task_id = "HumanEval/1";
	row.outcome = HALO_OUTCOME_WRONG;
	row.ttft_s = -1;
	assert_int_equal(halo_results_sample_put(r, id1, &row), 0);
	/* the same key again replaces: a resumed infra error that now passed */
	row.outcome = HALO_OUTCOME_TIMEOUT;
	assert_int_equal(halo_results_sample_put(r, id1, &row), 0);
	row.task_id = "HumanEval/0";
	assert_int_equal(halo_results_sample_put(r, id2, &row), 0);
	halo_results_close(r);

	/* everything is there after reopening */
	assert_int_equal(halo_results_open(&r, path), 0);
	size_t n = 0;
	assert_int_equal(halo_results_sample_count(r, id1, &n), 0);
	assert_int_equal(n, 2);
	struct collect c = { 0 };
	assert_int_equal(halo_results_sample_each(r, id1, collect_row, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.tasks[0], "humaneval/HumanEval/0#0");
	assert_int_equal(c.outcomes[0], HALO_OUTCOME_PASS);
	assert_int_equal(c.completion[0], 20);
	assert_true(c.ttft[0] > 0.49 && c.ttft[0] < 0.51);
	assert_string_equal(c.tasks[1], "humaneval/HumanEval/1#0");
	assert_int_equal(c.outcomes[1], HALO_OUTCOME_TIMEOUT);
	assert_true(c.ttft[1] < 0); /* unknown stays unknown */

	halo_run run;
	assert_int_equal(halo_results_run_get(r, id1, &run), 0);
	assert_string_equal(run.suite, "quick");
	assert_string_equal(run.status, "running");
	assert_string_equal(run.config_json, "{\"a\":1}");
	halo_run_free(&run);
	assert_int_equal(halo_results_run_set_status(r, id1, "done"), 0);
	assert_int_equal(halo_results_run_get(r, id1, &run), 0);
	assert_string_equal(run.status, "done");
	assert_true(run.updated >= run.created);
	halo_run_free(&run);

	assert_int_equal(halo_results_run_get(r, 999, &run), HALO_ENOTFOUND);
	assert_non_null(strstr(halo_error_last()->message, "no run 999"));
	assert_int_equal(halo_results_run_set_status(r, 999, "done"), HALO_ENOTFOUND);
	halo_results_close(r);
}

static int count_run(const halo_run *run, void *ud)
{
	int *n = ud;
	(void)run;
	(*n)++;
	return 0;
}

static void test_list_newest_first(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof(path), "%s/l.db", test_tmpdir("results-list"));
	halo_results *r = NULL;
	assert_int_equal(halo_results_open(&r, path), 0);
	int64_t ids[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(halo_results_run_create(r, "quick", NULL, NULL, NULL, NULL, &ids[i]), 0);
	int n = 0;
	assert_int_equal(halo_results_run_each(r, count_run, &n), 0);
	assert_int_equal(n, 3);
	halo_results_close(r);
}

static void test_not_a_database(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof(path), "%s/bad.db", test_tmpdir("results-bad"));
	test_write_file(path, "this is not sqlite, just text that is long enough to be a header ........", 74);
	halo_results *r = NULL;
	int rc = halo_results_open(&r, path);
	assert_int_equal(rc, HALO_EIO);
	assert_null(r);
	assert_non_null(strstr(halo_error_last()->message, "bad.db"));
}

static void test_user_paths(void **state)
{
	(void)state;
	char buf[512];
	setenv("XDG_DATA_HOME", "/x/data", 1);
	assert_int_equal(halo_results_default_path(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/x/data/halo/halo.db");
	setenv("XDG_DATA_HOME", "relative", 1); /* ignored, as the spec says */
	setenv("HOME", "/home/u", 1);
	assert_int_equal(halo_results_default_path(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/u/.local/share/halo/halo.db");
	unsetenv("XDG_CACHE_HOME");
	assert_int_equal(halo_user_path(HALO_DIR_CACHE, "datasets", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/u/.cache/halo/datasets");
	assert_int_equal(halo_user_path(HALO_DIR_CACHE, NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/u/.cache/halo");
	assert_int_equal(halo_user_path(HALO_DIR_CACHE, "datasets", buf, 8), HALO_ENOMEM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_and_samples),
		cmocka_unit_test(test_list_newest_first),
		cmocka_unit_test(test_not_a_database),
		cmocka_unit_test(test_user_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
