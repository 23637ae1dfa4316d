/* Helpers shared by the cmocka unit tests. */
#ifndef HALO_TESTUTIL_H
#define HALO_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* A fresh private directory under $HALO_TEST_TMP (or /tmp); static storage. */
const char *test_tmpdir(const char *tag);
/* $HALO_LLAMA_DIR, or NULL (then tests that need it are skipped). */
const char *test_llama_dir(void);
/* $HALO_SOURCE_DIR (the repo root), or "." */
const char *test_source_dir(void);
/* The pinned datasets: env HALO_DATASETS_DIR, else shared/datasets beside the
 * repo (the CI layout). Static storage. */
const char *test_datasets_dir(void);
/* test_datasets_dir()/rel, in static storage overwritten by the next call. */
const char *test_dataset_path(const char *rel);
/* The built-in catalog alone (a user's ~/.config/halo/models.conf must not
 * change test results), for cmocka group setup/teardown: test_catalog. */
struct halo_catalog;
extern struct halo_catalog test_catalog;
int test_catalog_setup(void **state);
int test_catalog_teardown(void **state);

/* Writes `len` bytes to `path`; fails the test on error. */
void test_write_file(const char *path, const void *data, size_t len);

/* A private oracle server (tests/tools/oracle_server.py, python3 from PATH)
 * on 127.0.0.1 and a free port. `extra` is a NULL-terminated list of more
 * arguments (or NULL). test_oracle_start fails the test unless it listens
 * within 10 s; test_oracle_stop kills it (safe to call twice). */
typedef struct test_oracle {
	int pid;
	char url[64];    /* http://127.0.0.1:PORT */
	char log[4096];  /* its JSON Lines request log */
	char dir[4096];  /* its scratch directory */
} test_oracle;
void test_oracle_start(test_oracle *o, const char *answers_path, const char *const *extra);
void test_oracle_stop(test_oracle *o);

#endif
