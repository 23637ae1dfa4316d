/* serve.c: quoting, log tails, diagnosis, the port check and the process
 * handling (start, early exit, timeout, stop with and without SIGKILL) with
 * ordinary programs standing in for llama-server. */
#include "testutil.h"

#include "error.h"
#include "serve.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* What /bin/sh makes of a command line: its words, one a line. */
static char *shell_words(const char *cmd)
{
	char script[4096];
	snprintf(script, sizeof(script), "printf '[%%s]' %s; printf '{%%s}' \"$QV\"", cmd);
	char *const argv[] = { "/bin/sh", "-c", script, NULL };
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		execv("/bin/sh", argv);
		_exit(127);
	}
	close(fds[1]);
	static char out[4096];
	size_t n = 0;
	ssize_t r;
	while ((r = read(fds[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return out;
}

static void test_shell_command(void **state)
{
	(void)state;
	char *const env[] = { "QV=it's a \"value\" $HOME", NULL };
	char *const argv[] = { "/bin/prog", "-m", "/m/a b.gguf", "--x", "", "it's", "$(x)", "a,b=c", NULL };
	halo_buf b = HALO_BUF_INIT;
	assert_int_equal(halo_serve_shell_command(&b, env, 1, argv), 0);
	assert_string_equal(b.ptr, "QV='it'\\''s a \"value\" $HOME' /bin/prog -m '/m/a b.gguf' --x '' 'it'\\''s' '$(x)' a,b=c");
	/* the shell reads back exactly the words (the env part set for the first command only, so
	 * here it is checked through a prefix assignment on printf) */
	halo_buf_reset(&b);
	assert_int_equal(halo_serve_shell_command(&b, NULL, 0, argv + 1), 0);
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "%s", b.ptr);
	assert_string_equal(shell_words(cmd), "[-m][/m/a b.gguf][--x][][it's][$(x)][a,b=c]{}");
	char *const bad[] = { "NOEQUALS" };
	halo_buf_reset(&b);
	assert_int_equal(halo_serve_shell_command(&b, bad, 1, argv), HALO_EUSAGE);
	halo_buf_free(&b);
}

static void test_base_url_and_log_name(void **state)
{
	(void)state;
	char buf[256];
	assert_int_equal(halo_serve_base_url("127.0.0.1", 8080, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "http://127.0.0.1:8080");
	assert_int_equal(halo_serve_base_url("0.0.0.0", 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "http://127.0.0.1:1");
	assert_int_equal(halo_serve_base_url("::", 9000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "http://[::1]:9000");
	assert_int_equal(halo_serve_base_url("fe80::1", 9000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "http://[fe80::1]:9000");
	assert_int_equal(halo_serve_base_url("localhost", 0, buf, sizeof(buf)), HALO_EUSAGE);
	assert_int_equal(halo_serve_base_url("localhost", 65536, buf, sizeof(buf)), HALO_EUSAGE);
	assert_int_equal(halo_serve_base_url("localhost", 80, buf, 10), HALO_ENOMEM);

	setenv("XDG_STATE_HOME", "/state", 1);
	assert_int_equal(halo_serve_default_log(buf, sizeof(buf), "qwen3.5-9b:Q4_K_M/../x y", 8080), 0);
	assert_string_equal(buf, "/state/halo/logs/serve-qwen3.5-9b_Q4_K_M_.._x_y-8080.log");
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/u", 1);
	assert_int_equal(halo_serve_default_log(buf, sizeof(buf), "", 1), 0);
	assert_string_equal(buf, "/home/u/.local/state/halo/logs/serve-model-1.log");
}

static void test_log_tail_and_diagnose(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof(path), "%s/log", test_tmpdir("serve"));
	const char *text = "one\ntwo\nthree\nfour\n\n";
	test_write_file(path, text, strlen(text));
	halo_buf b = HALO_BUF_INIT;
	assert_int_equal(halo_serve_log_tail(path, 2, &b), 0);
	assert_string_equal(b.ptr, "three\nfour");
	halo_buf_reset(&b);
	assert_int_equal(halo_serve_log_tail(path, 10, &b), 0);
	assert_string_equal(b.ptr, "one\ntwo\nthree\nfour");
	halo_buf_reset(&b);
	test_write_file(path, "", 0);
	assert_int_equal(halo_serve_log_tail(path, 3, &b), 0);
	assert_int_equal(b.len, 0);
	/* a long log: only its end is read, and binary noise is fine */
	size_t big = 300000;
	char *noise = malloc(big);
	assert_non_null(noise);
	for (size_t i = 0; i < big; i++)
		noise[i] = (char)(i * 7919 % 251);
	memcpy(noise + big - 6, "\nlast\n", 6);
	test_write_file(path, noise, big);
	free(noise);
	assert_int_equal(halo_serve_log_tail(path, 1, &b), 0);
	assert_string_equal(b.ptr, "last");
	halo_buf_free(&b);
	assert_int_equal(halo_serve_log_tail("/nonexistent/log", 3, &b), HALO_EIO);

	const char *bind = "srv    start: couldn't bind HTTP server socket, hostname: 127.0.0.1, port: 8080\n";
	assert_non_null(strstr(halo_serve_diagnose(bind, strlen(bind)), "port is in use"));
	const char *oom = "ggml_vulkan: Device memory allocation of size 1 failed.\nErrorOutOfDeviceMemory\n";
	assert_non_null(strstr(halo_serve_diagnose(oom, strlen(oom)), "out of memory"));
	const char *arg = "error: invalid argument: --bogus\n";
	assert_non_null(strstr(halo_serve_diagnose(arg, strlen(arg)), "rejected an argument"));
	const char *load = "llama_model_load: error loading model: tensor data is not within the file bounds\n";
	assert_non_null(strstr(halo_serve_diagnose(load, strlen(load)), "could not be loaded"));
	assert_null(halo_serve_diagnose("all good\n", 9));
	assert_null(halo_serve_diagnose(NULL, 0));
	/* a match cut by the length is no match (the text need not be terminated) */
	assert_null(halo_serve_diagnose(arg, 10));
}

static void test_check_port(void **state)
{
	(void)state;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t len = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &len);
	int port = ntohs(a.sin_port);
	/* bound but not listening: nothing accepts */
	assert_int_equal(halo_serve_check_port("127.0.0.1", port), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(halo_serve_check_port("127.0.0.1", port), HALO_EIO);
	assert_non_null(strstr(halo_error_last()->message, "port in use"));
	assert_int_equal(halo_serve_check_port("0.0.0.0", port), HALO_EIO);
	close(fd);
	assert_int_equal(halo_serve_check_port("127.0.0.1", port), 0);
	assert_int_equal(halo_serve_check_port("127.0.0.1", 0), HALO_EUSAGE);
	assert_int_equal(halo_serve_check_port("no-such-host.invalid", 8080), HALO_ENOTFOUND);
}

/* The group's orphans (sleep) are reaped by init, a little later. */
static bool group_gone(pid_t group)
{
	for (int i = 0; i < 100; i++) {
		if (kill(-group, 0) == -1)
			return true;
		usleep(20000);
	}
	return false;
}

static void test_processes(void **state)
{
	(void)state;
	char log[512];
	snprintf(log, sizeof(log), "%s/server.log", test_tmpdir("serve"));
	halo_serve_opts o = HALO_SERVE_OPTS_INIT;
	o.log_path = log;
	o.ready_timeout_s = 0.6;
	o.poll_interval_s = 0.05;
	halo_server s;
	bool killed;
	char st[128];

	/* a program that is not there: reported at once, not only in the log */
	char *const missing[] = { "/nonexistent/llama-server", NULL };
	assert_int_equal(halo_serve_start(&s, missing, "127.0.0.1", 1, &o), HALO_ENOTFOUND);
	assert_non_null(strstr(halo_error_last()->message, "cannot execute"));

	/* ends before it is ready: the status, and its output in the log; the env is the one given */
	char *const env[] = { "SERVE_TEST=from-env", NULL };
	o.env = env;
	char *const early[] = { "/bin/sh", "-c", "echo \"out $SERVE_TEST\"; echo err >&2; exit 3", NULL };
	assert_int_equal(halo_serve_start(&s, early, "127.0.0.1", 1, &o), 0);
	assert_true(s.pid > 0);
	assert_int_equal(halo_serve_wait_ready(&s, &o), HALO_ERROR);
	assert_non_null(strstr(halo_error_last()->message, "exit status 3 before it was ready"));
	assert_true(s.exited);
	assert_string_equal(halo_serve_status_text(s.status, st, sizeof(st)), "exit status 3");
	halo_buf b = HALO_BUF_INIT;
	assert_int_equal(halo_serve_log_tail(log, 5, &b), 0);
	assert_string_equal(b.ptr, "out from-env\nerr");
	halo_buf_free(&b);
	o.env = NULL;

	/* never ready: a timeout, then a stop by SIGTERM that reaches the whole group */
	char *const slow[] = { "/bin/sh", "-c", "sleep 30 & wait", NULL };
	assert_int_equal(halo_serve_start(&s, slow, "127.0.0.1", 1, &o), 0);
	pid_t group = s.pid;
	assert_int_equal(getpgid(group), group);
	assert_int_equal(halo_serve_wait_ready(&s, &o), HALO_ERROR);
	assert_non_null(strstr(halo_error_last()->message, "not ready after"));
	assert_true(halo_serve_running(&s));
	assert_int_equal(halo_serve_stop(&s, 5, &killed), 0);
	assert_false(killed);
	assert_true(WIFSIGNALED(s.status) && WTERMSIG(s.status) == SIGTERM);
	assert_true(group_gone(group)); /* no member of the group is left */

	/* ignores SIGTERM: killed after the grace period */
	char *const stubborn[] = { "/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.05; done", NULL };
	assert_int_equal(halo_serve_start(&s, stubborn, "127.0.0.1", 1, &o), 0);
	group = s.pid;
	usleep(200000);
	assert_int_equal(halo_serve_stop(&s, 0.3, &killed), 0);
	assert_true(killed);
	assert_true(WIFSIGNALED(s.status) && WTERMSIG(s.status) == SIGKILL);
	assert_true(group_gone(group));
	assert_int_equal(s.pid, 0);
	assert_int_equal(halo_serve_stop(&s, 0.3, &killed), 0); /* again: nothing to do */

	/* cancelled while waiting */
	volatile int cancel = 1;
	o.cancel = &cancel;
	assert_int_equal(halo_serve_start(&s, slow, "127.0.0.1", 1, &o), 0);
	assert_int_equal(halo_serve_wait_ready(&s, &o), HALO_ERROR);
	assert_non_null(strstr(halo_error_last()->message, "interrupted"));
	assert_int_equal(halo_serve_stop(&s, 5, NULL), 0);

	/* the log cannot be written: its folder would be under a file */
	char bad[600];
	snprintf(bad, sizeof(bad), "%s/x.log", log);
	o.log_path = bad;
	assert_int_equal(halo_serve_start(&s, slow, "127.0.0.1", 1, &o), HALO_EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shell_command),
		cmocka_unit_test(test_base_url_and_log_name),
		cmocka_unit_test(test_log_tail_and_diagnose),
		cmocka_unit_test(test_check_port),
		cmocka_unit_test(test_processes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
