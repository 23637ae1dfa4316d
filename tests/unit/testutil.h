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

#endif
