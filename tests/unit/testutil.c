#include "testutil.h"

#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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

void test_oracle_start(test_oracle *o, const char *answers_path, const char *const *extra)
{
	char script[4096], portfile[4200];
	const char *argv[64];
	int n = 0;

	memset(o, 0, sizeof(*o));
	snprintf(o->dir, sizeof(o->dir), "%s", test_tmpdir("oracle"));
	snprintf(o->log, sizeof(o->log), "%s/log.jsonl", o->dir);
	snprintf(portfile, sizeof(portfile), "%s/port", o->dir);
	snprintf(script, sizeof(script), "%s/tests/tools/oracle_server.py", test_source_dir());
	argv[n++] = "python3";
	argv[n++] = script;
	argv[n++] = "--answers";
	argv[n++] = answers_path;
	argv[n++] = "--port-file";
	argv[n++] = portfile;
	argv[n++] = "--log";
	argv[n++] = o->log;
	for (int i = 0; extra && extra[i] && n < 63; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;

	pid_t pid = fork();
	if (pid < 0)
		fail_msg("fork failed");
	if (pid == 0) {
		/* Dies with the test, even when a sanitizer aborts it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	o->pid = (int)pid;
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(portfile, "r");
		int port = 0;
		if (f) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (port > 0) {
			snprintf(o->url, sizeof(o->url), "http://127.0.0.1:%d", port);
			return;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			o->pid = 0;
			fail_msg("oracle server exited before listening (%s)", script);
		}
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	test_oracle_stop(o);
	fail_msg("oracle server did not listen within 10 s");
}

void test_oracle_stop(test_oracle *o)
{
	if (o->pid <= 0)
		return;
	kill((pid_t)o->pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid((pid_t)o->pid, NULL, WNOHANG) == (pid_t)o->pid) {
			o->pid = 0;
			return;
		}
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	kill((pid_t)o->pid, SIGKILL);
	waitpid((pid_t)o->pid, NULL, 0);
	o->pid = 0;
}
