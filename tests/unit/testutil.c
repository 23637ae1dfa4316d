#include "testutil.h"

#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *test_tmpdir(const char *tag)
{
	static char dir[4096];
	const char *base = getenv("HALO_TEST_TMP");
	char tmpl[4096];

	if (!base || !*base)
		base = "/tmp";
	mkdir(base, 0755);
	snprintf(tmpl, sizeof(tmpl), "%s/%s.XXXXXX", base, tag);
	if (!mkdtemp(tmpl))
		fail_msg("mkdtemp %s failed", tmpl);
	snprintf(dir, sizeof(dir), "%s", tmpl);
	return dir;
}

const char *test_llama_dir(void)
{
	const char *d = getenv("HALO_LLAMA_DIR");
	return d && *d ? d : NULL;
}

const char *test_source_dir(void)
{
	const char *d = getenv("HALO_SOURCE_DIR");
	return d && *d ? d : ".";
}

void test_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		fail_msg("cannot create %s", path);
	if (len && fwrite(data, 1, len, f) != len)
		fail_msg("short write to %s", path);
	fclose(f);
}

struct halo_catalog test_catalog = HALO_CATALOG_INIT;

int test_catalog_setup(void **state)
{
	(void)state;
	halo_catalog_init(&test_catalog);
	return halo_catalog_load_builtin(&test_catalog);
}

int test_catalog_teardown(void **state)
{
	(void)state;
	halo_catalog_free(&test_catalog);
	return 0;
}

const char *test_datasets_dir(void)
{
	static char dir[4096];
	const char *env = getenv("HALO_DATASETS_DIR");
	if (env && *env)
		return env;
	snprintf(dir, sizeof(dir), "%s/../shared/datasets", test_source_dir());
	return dir;
}

const char *test_dataset_path(const char *rel)
{
	static char p[4096];
	snprintf(p, sizeof(p), "%s/%s", test_datasets_dir(), rel);
	return p;
}
