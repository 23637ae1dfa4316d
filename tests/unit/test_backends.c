/*
 * backends.conf parsing (every key, quoting, every error with its line),
 * discovery of the llama-server in $HALO_LLAMA_BIN, argv and environment
 * assembly, and probing fake programs that print what llama.cpp prints
 * (old and new version formats, devices, failures).
 */
#include "testutil.h"

#include "backends.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int parse(halo_backends *b, const char *text)
{
	return halo_backends_parse(b, "b.conf", text, strlen(text));
}

static void parse_ok(halo_backends *b, const char *text)
{
	if (parse(b, text))
		fail_msg("%s", halo_error_last()->message);
}

static void parse_bad(const char *text, int code, const char *msg)
{
	halo_backends b = HALO_BACKENDS_INIT;
	assert_int_equal(parse(&b, text), code);
	if (!strstr(halo_error_last()->message, msg))
		fail_msg("'%s' lacks '%s'", halo_error_last()->message, msg);
	assert_int_equal(b.n, 0);
	halo_backends_free(&b);
}

static void test_parse(void **state)
{
	(void)state;
	halo_backends b = HALO_BACKENDS_INIT;
	parse_ok(&b, "# comment\n\n[backend radv]\nbin = /opt/vk/bin\nenv = AMD_VULKAN_ICD=RADV\n"
		     "env=GGML_VK_PREFER_HOST_MEMORY=1\nserver_flags = -fa on --alias 'my model' \"a \\\"b\\\"\" c\\ d\n"
		     "bench_flags = -fa 1\n\n[backend rocm]\r\nbin = /opt/rocm/bin\r\nenv = ROCBLAS_USE_HIPBLASLT=1\r\n");
	assert_int_equal(b.n, 2);
	const halo_backend *r = halo_backends_find(&b, "radv");
	assert_non_null(r);
	assert_string_equal(r->bin_dir, "/opt/vk/bin");
	assert_int_equal(r->n_env, 2);
	assert_string_equal(r->env[1], "GGML_VK_PREFER_HOST_MEMORY=1");
	assert_int_equal(r->n_server_flags, 6);
	assert_string_equal(r->server_flags[3], "my model");
	assert_string_equal(r->server_flags[4], "a \"b\"");
	assert_string_equal(r->server_flags[5], "c d");
	assert_int_equal(r->n_bench_flags, 2);
	assert_string_equal(r->bench_flags[1], "1");
	assert_int_equal(r->line, 3);
	assert_string_equal(r->file, "b.conf");
	assert_false(r->discovered);
	const halo_backend *k = halo_backends_find(&b, "rocm");
	assert_non_null(k);
	assert_string_equal(k->bin_dir, "/opt/rocm/bin");
	assert_string_equal(k->env[0], "ROCBLAS_USE_HIPBLASLT=1");
	assert_null(halo_backends_find(&b, "cuda"));
	assert_int_equal(halo_error_last()->code, HALO_ENOTFOUND);
	assert_non_null(strstr(halo_error_last()->message, "'radv', 'rocm'"));
	halo_backends_free(&b);
	assert_null(b.items);
}

static void test_parse_errors(void **state)
{
	(void)state;
	parse_bad("bin = /x\n", HALO_EFORMAT, "b.conf:1: 'bin' outside a [backend NAME] section");
	parse_bad("[backend a]\nbin = /x\n[backend a]\nbin = /y\n", HALO_EFORMAT, "b.conf:3: backend 'a' is already defined on line 1");
	parse_bad("[backend a b]\n", HALO_EFORMAT, "b.conf:1: backend name 'a b'");
	parse_bad("[model a]\n", HALO_EFORMAT, "b.conf:1: expected '[backend NAME]'");
	parse_bad("[backend a]\nbin = relative/bin\n", HALO_EFORMAT, "b.conf:2: bin 'relative/bin' must be an absolute");
	parse_bad("[backend a]\nbin = /x\nenv = 1X=2\n", HALO_EFORMAT, "b.conf:3: env '1X=2' is not NAME=VALUE");
	parse_bad("[backend a]\nbin = /x\nenv = NOVALUE\n", HALO_EFORMAT, "is not NAME=VALUE");
	parse_bad("[backend a]\nbin = /x\nserver_flags = -a 'open\n", HALO_EFORMAT, "b.conf:3: server_flags: unterminated single quote");
	parse_bad("[backend a]\nbin = /x\nbench_flags = \"open\n", HALO_EFORMAT, "unterminated double quote");
	parse_bad("[backend a]\nbinn = /x\n", HALO_EFORMAT, "b.conf:2: unknown key 'binn' in [backend a]");
	parse_bad("[backend a]\nenv = A=1\n", HALO_EFORMAT, "b.conf:1: backend 'a' has no 'bin = DIR'");
	parse_bad("[backend a]\nbin /x\n", HALO_EFORMAT, "b.conf:2: expected 'key = value'");
	{
		static const char nul[] = "[backend a]\nbin = /x\0y\n";
		halo_backends b = HALO_BACKENDS_INIT;
		assert_int_equal(halo_backends_parse(&b, "b.conf", nul, sizeof(nul) - 1), HALO_EFORMAT);
		assert_non_null(strstr(halo_error_last()->message, "b.conf:2: NUL byte"));
	}
	/* a line longer than any value, and too many backends */
	char *big = malloc(10000);
	memset(big, 'a', 9999);
	big[9999] = '\0';
	parse_bad(big, HALO_EFORMAT, "b.conf:1: line too long");
	free(big);
	halo_buf t = HALO_BUF_INIT;
	for (int i = 0; i < 70; i++)
		halo_buf_addf(&t, "[backend b%d]\nbin = /x\n", i);
	parse_bad(t.ptr, HALO_ENOMEM, "more than 64 backends");
	halo_buf_free(&t);
	/* a file that fails leaves what was loaded before untouched */
	halo_backends b = HALO_BACKENDS_INIT;
	parse_ok(&b, "[backend keep]\nbin = /k\n");
	assert_int_not_equal(parse(&b, "[backend x]\n"), 0);
	assert_int_equal(b.n, 1);
	assert_string_equal(b.items[0].name, "keep");
	halo_backends_free(&b);
}

/* A directory with executable scripts named like llama.cpp's programs. */
static const char *fake_bin(const char *tag, const char *server_script, const char *bench_script)
{
	static char dir[4096];
	char p[4200];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir(tag));
	if (server_script) {
		snprintf(p, sizeof(p), "%s/llama-server", dir);
		test_write_file(p, server_script, strlen(server_script));
		chmod(p, 0755);
	}
	if (bench_script) {
		snprintf(p, sizeof(p), "%s/llama-bench", dir);
		test_write_file(p, bench_script, strlen(bench_script));
		chmod(p, 0755);
	}
	return dir;
}

static void test_probe(void **state)
{
	(void)state;
	/* the pinned build's format, with the environment reaching the program */
	const char *dir = fake_bin("probe-old",
				   "#!/bin/sh\necho \"load_backend: $HALO_PROBE_ENV\" >&2\n"
				   "echo 'version: 0.4.0 (build 1, commit 80fb11a)' >&2\necho 'built with GNU 12.2.0 for Linux x86_64' >&2\n",
				   "#!/bin/sh\necho 'Available devices:'\necho \"  Vulkan0: Radeon 8060S Graphics (RADV GFX1151) ($HALO_PROBE_ENV MiB, 60000 MiB free)\"\n"
				   "echo '  ROCm0: AMD Radeon Graphics (65536 MiB, 65000 MiB free)'\n");
	halo_buf conf = HALO_BUF_INIT;
	halo_buf_addf(&conf, "[backend a]\nbin = %s\nenv = HALO_PROBE_ENV=65536\n", dir);
	halo_backends b = HALO_BACKENDS_INIT;
	parse_ok(&b, conf.ptr);
	halo_backend_info info;
	assert_int_equal(halo_backend_probe(&b.items[0], &info), 0);
	assert_string_equal(info.version, "0.4.0 (build 1, commit 80fb11a)");
	assert_int_equal(info.build, 1);
	assert_string_equal(info.commit, "80fb11a");
	assert_string_equal(info.built_with, "GNU 12.2.0 for Linux x86_64");
	assert_int_equal(info.n_devices, 2);
	assert_string_equal(info.devices[0], "Vulkan0: Radeon 8060S Graphics (RADV GFX1151) (65536 MiB, 60000 MiB free)");
	assert_string_equal(info.devices[1], "ROCm0: AMD Radeon Graphics (65536 MiB, 65000 MiB free)");
	assert_string_equal(info.error, "");
	halo_backend_info_free(&info);
	halo_backends_free(&b);
	halo_buf_free(&conf);

	/* upstream's newer "version: 6543 (abcdef01)"; no devices; a llama-bench that fails */
	dir = fake_bin("probe-new", "#!/bin/sh\necho 'version: 6543 (abcdef01)'\n",
		       "#!/bin/sh\necho 'Available devices:'\necho '  (none)'\nexit 3\n");
	halo_buf_addf(&conf, "[backend n]\nbin = %s\n", dir);
	parse_ok(&b, conf.ptr);
	assert_int_equal(halo_backend_probe(&b.items[0], &info), 0);
	assert_int_equal(info.build, 6543);
	assert_string_equal(info.commit, "abcdef01");
	assert_int_equal(info.n_devices, 0);
	assert_non_null(strstr(info.error, "llama-bench --list-devices: failed"));
	halo_backend_info_free(&info);
	halo_backends_free(&b);
	halo_buf_free(&conf);

	/* nothing there: the probe says why, the call succeeds */
	parse_ok(&b, "[backend gone]\nbin = /nonexistent-halo\n");
	assert_int_equal(halo_backend_probe(&b.items[0], &info), 0);
	assert_string_equal(info.version, "");
	assert_int_equal(info.build, -1);
	assert_non_null(strstr(info.error, "no executable 'llama-server' in '/nonexistent-halo'"));
	halo_backend_info_free(&info);
	halo_backends_free(&b);
}

static void test_argv_env(void **state)
{
	(void)state;
	const char *dir = fake_bin("argv", "#!/bin/sh\n", "#!/bin/sh\n");
	halo_buf conf = HALO_BUF_INIT;
	halo_buf_addf(&conf, "[backend a]\nbin = %s\nenv = HOME=/backend-home\nenv = EXTRA=1\n"
			     "server_flags = -fa on\nbench_flags = -t 1\n", dir);
	halo_backends b = HALO_BACKENDS_INIT;
	parse_ok(&b, conf.ptr);
	char *const args[] = { "-m", "x.gguf", NULL };
	char **v = NULL;
	assert_int_equal(halo_backend_argv(&b.items[0], "llama-server", args, &v), 0);
	char want[4200];
	snprintf(want, sizeof(want), "%s/llama-server", dir);
	assert_string_equal(v[0], want);
	assert_string_equal(v[1], "-m");
	assert_string_equal(v[2], "x.gguf");
	assert_string_equal(v[3], "-fa"); /* the backend's defaults come last: they win */
	assert_string_equal(v[4], "on");
	assert_null(v[5]);
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
	assert_int_equal(halo_backend_argv(&b.items[0], "llama-bench", NULL, &v), 0);
	assert_string_equal(v[1], "-t");
	assert_null(v[3]);
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
	assert_int_equal(halo_backend_argv(&b.items[0], "llama-cli", NULL, &v), HALO_ENOTFOUND);
	assert_null(v);

	char *base[] = { "HOME=/root", "PATH=/bin", "HOMEX=keep", NULL };
	char **env = halo_backend_env(&b.items[0], base);
	assert_non_null(env);
	int home = 0, homex = 0, extra = 0, path = 0;
	size_t n = 0;
	for (; env[n]; n++) {
		home += !strcmp(env[n], "HOME=/backend-home") ? 1 : !strncmp(env[n], "HOME=", 5) ? 100 : 0;
		homex += !strcmp(env[n], "HOMEX=keep");
		extra += !strcmp(env[n], "EXTRA=1");
		path += !strcmp(env[n], "PATH=/bin");
	}
	assert_int_equal(n, 4);
	assert_int_equal(home, 1);
	assert_int_equal(homex, 1);
	assert_int_equal(extra, 1);
	assert_int_equal(path, 1);
	halo_backend_env_free(env);
	halo_backends_free(&b);
	halo_buf_free(&conf);
}

static void test_load_discover(void **state)
{
	(void)state;
	const char *dir = fake_bin("discover", "#!/bin/sh\n", NULL);
	char conf[4200], bindir[4096];
	snprintf(bindir, sizeof(bindir), "%s", dir);
	setenv("HALO_LLAMA_BIN", bindir, 1);
	/* a named file that is missing is an error */
	halo_backends b = HALO_BACKENDS_INIT;
	assert_int_equal(halo_backends_load(&b, "/nonexistent-halo/backends.conf", true), HALO_ENOTFOUND);
	/* no default file (an empty config home): only the discovered one */
	setenv("XDG_CONFIG_HOME", test_tmpdir("cfg-empty"), 1);
	assert_int_equal(halo_backends_load(&b, NULL, true), 0);
	assert_int_equal(b.n, 1);
	assert_string_equal(b.items[0].name, "path");
	assert_string_equal(b.items[0].bin_dir, bindir);
	assert_true(b.items[0].discovered);
	assert_int_equal(halo_backends_load(&b, NULL, false), 0);
	assert_int_equal(b.n, 0);
	/* the default file, listing that directory already: no duplicate */
	const char *cfg = test_tmpdir("cfg");
	snprintf(conf, sizeof(conf), "%s/halo", cfg);
	mkdir(conf, 0755);
	snprintf(conf, sizeof(conf), "%s/halo/backends.conf", cfg);
	halo_buf t = HALO_BUF_INIT;
	halo_buf_addf(&t, "[backend mine]\nbin = %s/.\n[backend other]\nbin = /opt/x\n", bindir);
	test_write_file(conf, t.ptr, t.len);
	setenv("XDG_CONFIG_HOME", cfg, 1);
	assert_int_equal(halo_backends_load(&b, NULL, true), 0);
	assert_int_equal(b.n, 2);
	assert_string_equal(b.items[0].name, "mine");
	assert_string_equal(b.items[0].file, conf);
	/* a bad default file is an error, not silently skipped */
	test_write_file(conf, "[backend\n", 9);
	assert_int_equal(halo_backends_load(&b, NULL, true), HALO_EFORMAT);
	assert_non_null(strstr(halo_error_last()->message, "backends.conf:1"));
	halo_backends_free(&b);
	halo_buf_free(&t);
	unsetenv("HALO_LLAMA_BIN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_argv_env),
		cmocka_unit_test(test_load_discover),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
