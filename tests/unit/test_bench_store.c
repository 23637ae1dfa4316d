/*
 * bench_endpoint_runs in halo.db: create / finish / load / list round trip,
 * a run left "running", the final-status check, unknown ids, the table
 * living beside the matrix runs (separate id sequences) and the eval's
 * PRAGMA user_version left alone.
 */
#include "testutil.h"

#include "bench/bench_store.h"
#include "error.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_round_trip),
		cmocka_unit_test(test_endpoint_list_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
