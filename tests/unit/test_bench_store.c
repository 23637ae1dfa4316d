/*
 * bench_endpoint_runs in halo.db: create / finish / load / list round trip,
 * a run left "running", the final-status check, unknown ids, the table
 * living beside the matrix runs (separate id sequences) and the eval's
 * PRAGMA user_version left alone. Resume: the missing-cell computation,
 * claiming a run (live / dead owner pid) and replacing a cell's records.
 */
#include "testutil.h"

#include "bench/bench_store.h"
#include "error.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char REPORT[] =
	"{\"server\":{\"url\":\"http://127.0.0.1:1\",\"pool_tokens\":99,\"levels\":[{\"prompt_tokens\":32,"
	"\"concurrency\":1,\"ttft_ms\":{\"n\":4,\"p50\":1.5,\"p90\":2.5,\"p99\":3.25}}]},\"n_predict\":16}";

static int user_version(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int v = -1;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void test_endpoint_round_trip(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof(path), "%s/d/halo.db", test_tmpdir("bench_store_ep"));
	halo_bench_db *db = NULL;
	assert_int_equal(halo_bench_db_open(&db, path), 0);
	int64_t a = 0, b = 0, c = 0, m = 0;
	assert_int_equal(halo_bench_endpoint_create(db, "http://127.0.0.1:1", NULL, "{\"n_predict\":16}", "0.1.0", &a),
			 0);
	assert_int_equal(halo_bench_endpoint_create(db, "http://h:2", "http://h:3", NULL, NULL, &b), 0);
	assert_int_equal(halo_bench_endpoint_create(db, "http://h:4", NULL, NULL, NULL, &c), 0);
	assert_true(a > 0 && b > a && c > b);
	/* the matrix runs count on their own */
	assert_int_equal(halo_bench_run_create(db, NULL, NULL, NULL, &m), 0);
	assert_int_equal(m, 1);
	assert_int_equal(halo_bench_endpoint_create(db, NULL, NULL, NULL, NULL, &m), HALO_EUSAGE);

	assert_int_equal(halo_bench_endpoint_finish(db, a, "done", REPORT, NULL), 0);
	assert_int_equal(halo_bench_endpoint_finish(db, b, "failed", NULL, "connection refused"), 0);
	/* c stays "running": killed midway */
	assert_int_equal(halo_bench_endpoint_finish(db, a, "running", REPORT, NULL), HALO_EUSAGE);
	assert_int_equal(halo_bench_endpoint_finish(db, a, NULL, REPORT, NULL), HALO_EUSAGE);
	assert_int_equal(halo_bench_endpoint_finish(db, 999, "done", REPORT, NULL), HALO_ENOTFOUND);
	halo_bench_db_close(db);

	/* reopened: the tables are there, the eval tables' user_version untouched */
	assert_int_equal(user_version(path), 0);
	assert_int_equal(halo_bench_db_open(&db, path), 0);
	halo_bench_endpoint_run r;
	assert_int_equal(halo_bench_endpoint_load(db, a, &r), 0);
	assert_int_equal(r.id, a);
	assert_string_equal(r.status, "done");
	assert_string_equal(r.server_url, "http://127.0.0.1:1");
	assert_null(r.vs_url);
	assert_string_equal(r.params_json, "{\"n_predict\":16}");
	assert_string_equal(r.report_json, REPORT);
	assert_string_equal(r.halo_version, "0.1.0");
	assert_null(r.error);
	assert_true(r.created > 1e9 && r.updated >= r.created);
	halo_bench_endpoint_run_free(&r);

	assert_int_equal(halo_bench_endpoint_load(db, b, &r), 0);
	assert_string_equal(r.status, "failed");
	assert_string_equal(r.vs_url, "http://h:3");
	assert_null(r.report_json);
	assert_string_equal(r.error, "connection refused");
	halo_bench_endpoint_run_free(&r);

	assert_int_equal(halo_bench_endpoint_load(db, 999, &r), HALO_ENOTFOUND);
	assert_non_null(strstr(halo_error_last()->message, "no endpoint run 999"));

	halo_bench_endpoint_run *runs = NULL;
	size_t n = 0;
	assert_int_equal(halo_bench_endpoint_list(db, &runs, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(runs[0].id, c); /* newest first */
	assert_string_equal(runs[0].status, "running");
	assert_string_equal(runs[0].server_url, "http://h:4");
	assert_int_equal(runs[1].id, b);
	assert_string_equal(runs[1].status, "failed");
	assert_int_equal(runs[2].id, a);
	assert_string_equal(runs[2].status, "done");
	for (size_t i = 0; i < n; i++)
		assert_null(runs[i].report_json); /* the listing leaves reports out */
	halo_bench_endpoint_list_free(runs, n);

	/* the matrix listing does not see them */
	halo_bench_run *mr = NULL;
	assert_int_equal(halo_bench_run_list(db, &mr, &n), 0);
	assert_int_equal(n, 1);
	halo_bench_run_list_free(mr, n);
	halo_bench_db_close(db);
	assert_int_equal(user_version(path), 0);
}

static void test_endpoint_list_empty(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof(path), "%s/halo.db", test_tmpdir("bench_store_ep_empty"));
	halo_bench_db *db = NULL;
	assert_int_equal(halo_bench_db_open(&db, path), 0);
	halo_bench_endpoint_run *runs = (halo_bench_endpoint_run *)1;
	size_t n = 7;
	assert_int_equal(halo_bench_endpoint_list(db, &runs, &n), 0);
	assert_int_equal(n, 0);
	assert_null(runs);
	halo_bench_endpoint_list_free(runs, n);
	halo_bench_endpoint_run_free(NULL);
	halo_bench_db_close(db);
}

static halo_bench_cell_rec cell(const char *model, const char *backend, long depth, halo_bench_status st)
{
	halo_bench_cell_rec c;
	memset(&c, 0, sizeof(c));
	c.model = (char *)model;
	c.model_name = (char *)model;
	c.backend = (char *)backend;
	c.depth = depth;
	c.cell.status = st;
	return c;
}

static void test_missing_cells(void **state)
{
	(void)state;
	halo_bench_cell_rec cells[] = {
		cell("/m/a", "x", 0, HALO_BENCH_OK),
		cell("/m/a", "x", 512, HALO_BENCH_CRASHED),
		cell("/m/a", "y", 0, HALO_BENCH_FAILED),
		cell("/m/a", "y", 0, HALO_BENCH_OK),   /* run again and ok: not retried */
		cell("/m/b", "x", 0, HALO_BENCH_MISSING), /* no llama-bench: not retried */
		cell("/m/b", "y", 512, HALO_BENCH_OOM),
		cell("/m/b", "y", 0, HALO_BENCH_TIMEOUT),
		cell("/m/c", "x", 0, HALO_BENCH_OK),   /* not in the matrix: ignored */
		cell("/m/a", "x", 4096, HALO_BENCH_OK), /* nor this depth */
		cell("a", "y", 512, HALO_BENCH_OK),     /* matched by path, not basename */
	};
	halo_bench_run run;
	memset(&run, 0, sizeof(run));
	run.cells = cells;
	run.n_cells = sizeof(cells) / sizeof(cells[0]);
	const char *models[] = { "/m/a", "/m/b" }, *backends[] = { "x", "y" };
	const long depths[] = { 0, 512 };
	halo_bench_todo *t = NULL;
	size_t n = 0;
	assert_int_equal(halo_bench_missing_cells(&run, models, 2, backends, 2, depths, 2, false, &t, &n), 0);
	/* in run order: model, then backend, then depth */
	const halo_bench_todo want[] = { { 0, 1, 1 }, { 1, 0, 1 } };
	assert_int_equal(n, 2);
	assert_memory_equal(t, want, sizeof(want));
	free(t);
	assert_int_equal(halo_bench_missing_cells(&run, models, 2, backends, 2, depths, 2, true, &t, &n), 0);
	const halo_bench_todo want_retry[] = { { 0, 0, 1 }, { 0, 1, 1 }, { 1, 0, 1 }, { 1, 1, 0 }, { 1, 1, 1 } };
	assert_int_equal(n, 5);
	assert_memory_equal(t, want_retry, sizeof(want_retry));
	free(t);
	/* nothing stored: every cell; an empty matrix: none */
	assert_int_equal(halo_bench_missing_cells(NULL, models, 2, backends, 1, depths, 2, false, &t, &n), 0);
	assert_int_equal(n, 4);
	assert_true(t[3].model == 1 && t[3].backend == 0 && t[3].depth == 1);
	free(t);
	t = (halo_bench_todo *)1;
	assert_int_equal(halo_bench_missing_cells(&run, models, 2, backends, 2, depths, 0, true, &t, &n), 0);
	assert_int_equal(n, 0);
	assert_null(t);
	/* all there */
	const long d0[] = { 0 };
	assert_int_equal(halo_bench_missing_cells(&run, models, 1, backends, 2, d0, 1, false, &t, &n), 0);
	assert_int_equal(n, 0);
	assert_null(t);
}

static long query_long(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long v = -2;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static const char LINES[] = "{\"n_prompt\":8,\"n_gen\":0,\"avg_ts\":10.5,\"samples_ts\":[10,11]}\n"
			    "{\"n_prompt\":0,\"n_gen\":4,\"avg_ts\":3.5,\"samples_ts\":[3,4]}\n";

static void test_claim_and_replace(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof(path), "%s/halo.db", test_tmpdir("bench_store_resume"));
	halo_bench_db *db = NULL;
	assert_int_equal(halo_bench_db_open(&db, path), 0);
	int64_t id = 0;
	assert_int_equal(halo_bench_run_create(db, "{}", NULL, NULL, &id), 0);
	assert_int_equal(query_long(path, "SELECT pid FROM bench_runs WHERE id = 1"), (long)getpid());

	/* the creator is alive: another process cannot take the run */
	long holder = 0, me = (long)getpid();
	assert_int_equal(halo_bench_run_claim(db, id, (long)getppid(), &holder), HALO_ERROR);
	assert_int_equal(holder, me);
	assert_non_null(strstr(halo_error_last()->message, "being run by process"));
	assert_int_equal(halo_bench_run_claim(db, id, me, &holder), 0); /* its own: fine */
	assert_int_equal(halo_bench_run_claim(db, 99, me, NULL), HALO_ENOTFOUND);
	assert_int_equal(halo_bench_run_claim(db, id, 0, NULL), HALO_EUSAGE);

	/* a dead owner (a child that has exited and been reaped): taken over */
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_int_equal(halo_bench_run_set_status(db, id, "interrupted"), 0);
	assert_int_equal(query_long(path, "SELECT pid FROM bench_runs WHERE id = 1"), -1); /* cleared */
	assert_int_equal(halo_bench_run_claim(db, id, (long)child, NULL), 0);
	assert_int_equal(query_long(path, "SELECT pid FROM bench_runs WHERE id = 1"), (long)child);
	assert_int_equal(halo_bench_run_claim(db, id, me, &holder), 0);
	assert_int_equal(query_long(path, "SELECT pid FROM bench_runs WHERE id = 1"), me);

	/* a crashed cell with one result, replaced by an ok one with two */
	halo_bench_cell_rec a = cell("/m/a", "x", 0, HALO_BENCH_CRASHED), other = cell("/m/a", "x", 512, HALO_BENCH_OK);
	assert_int_equal(halo_llama_bench_parse(LINES, strchr(LINES, '\n') - LINES, &a.cell.results), 0);
	assert_int_equal(a.cell.results.n, 1);
	assert_int_equal(halo_bench_cell_put(db, id, &a), 0);
	assert_int_equal(halo_bench_cell_put(db, id, &other), 0);
	halo_bench_results_free(&a.cell.results);
	a.cell.status = HALO_BENCH_OK;
	assert_int_equal(halo_llama_bench_parse(LINES, strlen(LINES), &a.cell.results), 0);
	assert_int_equal(halo_bench_cell_replace(db, id, &a), 0);
	halo_bench_results_free(&a.cell.results);
	halo_bench_run run;
	assert_int_equal(halo_bench_run_load(db, id, &run), 0);
	assert_int_equal(run.n_cells, 2);
	assert_int_equal(run.n_ok, 2);
	assert_int_equal(run.cells[0].depth, 512); /* untouched, first now */
	assert_int_equal(run.cells[1].depth, 0);
	assert_int_equal(run.cells[1].cell.results.n, 2);
	halo_bench_run_free(&run);
	assert_int_equal(query_long(path, "SELECT count(*) FROM bench_results WHERE run_id = 1"), 2);
	assert_int_equal(halo_bench_run_set_status(db, id, "done"), 0);
	halo_bench_db_close(db);
	assert_int_equal(user_version(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_round_trip),
		cmocka_unit_test(test_endpoint_list_empty),
		cmocka_unit_test(test_missing_cells),
		cmocka_unit_test(test_claim_and_replace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
