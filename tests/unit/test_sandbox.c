/* The sandbox for model-written Python: real python3 runs, hostile samples contained. */
#include "testutil.h"

#include "error.h"
#include "sandbox.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs `python3 -c code` with the limits a sample gets; fails the test when
 * the sandbox itself fails. */
static void run_py(const char *code, const char *stdin_text, double timeout_s, halo_sandbox_result *res)
{
	const char *argv[] = { "python3", "-c", code, NULL };
	halo_sandbox_opts o = HALO_SANDBOX_OPTS_INIT;
	o.argv = argv;
	o.stdin_data = stdin_text;
	o.stdin_len = stdin_text ? strlen(stdin_text) : 0;
	o.timeout_s = timeout_s;
	o.mem_bytes = (uint64_t)4 << 30;
	o.cpu_s = 30;
	o.max_procs = 64;
	o.max_file_bytes = (uint64_t)64 << 20;
	o.max_open_files = 256;
	o.tmp_parent = test_tmpdir("sandbox");
	if (halo_sandbox_run(&o, res) != 0)
		fail_msg("sandbox: %s", halo_error_last()->message);
}

static void test_echo(void **state)
{
	(void)state;
	halo_sandbox_result r;
	run_py("import sys\nd = sys.stdin.read()\nprint(d.upper(), end='')\nsys.stderr.write('warn')\nsys.exit(3)",
	       "hello", 20, &r);
	assert_int_equal(r.exited, 1);
	assert_int_equal(r.exit_code, 3);
	assert_int_equal(r.signaled, 0);
	assert_int_equal(r.timed_out, 0);
	assert_string_equal(r.out, "HELLO");
	assert_int_equal(r.out_len, 5);
	assert_string_equal(r.err, "warn");
	assert_true(r.wall_s > 0);
	halo_sandbox_result_free(&r);
}

static void test_not_found(void **state)
{
	(void)state;
	const char *argv[] = { "halo-no-such-program-xyz", NULL };
	halo_sandbox_opts o = HALO_SANDBOX_OPTS_INIT;
	o.argv = argv;
	halo_sandbox_result r;
	assert_int_equal(halo_sandbox_run(&o, &r), HALO_ENOTFOUND);
	assert_null(r.out);
	halo_sandbox_result_free(&r);
	const char *argv2[] = { "/nonexistent/prog", NULL };
	o.argv = argv2;
	assert_int_equal(halo_sandbox_run(&o, &r), HALO_ENOTFOUND);
	halo_sandbox_result_free(&r);
	o.version = 99;
	assert_int_equal(halo_sandbox_run(&o, &r), HALO_EUSAGE);
}

static void test_sleep_forever(void **state)
{
	(void)state;
	halo_sandbox_result r;
	double t = now_s();
	run_py("import time\nprint('started', flush=True)\ntime.sleep(10**6)", NULL, 1, &r);
	assert_true(now_s() - t < 15);
	assert_int_equal(r.timed_out, 1);
	assert_int_equal(r.signaled, 1);
	assert_int_equal(r.term_signal, SIGKILL);
	assert_string_equal(r.out, "started\n");
	halo_sandbox_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_sleep_forever),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
