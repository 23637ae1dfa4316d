/* The sandbox for model-written Python: real python3 runs, hostile samples
 * contained, recorded, and the caller goes on. */
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
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The limits a sample gets in halo eval, with a fresh private parent. */
static halo_sandbox_opts sample_opts(const char *const *argv, double timeout_s, char *parent, size_t parent_size)
{
	halo_sandbox_opts o = HALO_SANDBOX_OPTS_INIT;
	o.argv = argv;
	o.timeout_s = timeout_s;
	o.mem_bytes = (uint64_t)4 << 30;
	o.cpu_s = 30;
	o.max_procs = 32;
	o.max_file_bytes = (uint64_t)64 << 20;
	o.max_open_files = 256;
	snprintf(parent, parent_size, "%s", test_tmpdir("sandbox"));
	o.tmp_parent = parent;
	return o;
}

static void run_checked(const halo_sandbox_opts *o, halo_sandbox_result *res)
{
	if (halo_sandbox_run(o, res) != 0)
		fail_msg("sandbox: %s", halo_error_last()->message);
	/* Whatever the sample did, its private directory is gone. */
	DIR *d = opendir(o->tmp_parent);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			fail_msg("left behind: %s/%s", o->tmp_parent, e->d_name);
	closedir(d);
	/* What the kernel allows is what was applied. */
	unsigned avail = halo_sandbox_available_isolation();
	if ((avail & HALO_SANDBOX_ISO_USER) && !o->no_namespaces) {
		unsigned want = HALO_SANDBOX_ISO_USER | HALO_SANDBOX_ISO_PID | HALO_SANDBOX_ISO_MNT |
				(o->isolate_network ? HALO_SANDBOX_ISO_NET : 0);
		assert_int_equal(res->isolation & want, want);
	}
}

static void run_py(const char *code, const char *stdin_text, double timeout_s, halo_sandbox_result *res)
{
	const char *argv[] = { "python3", "-c", code, NULL };
	char parent[4096];
	halo_sandbox_opts o = sample_opts(argv, timeout_s, parent, sizeof(parent));
	o.stdin_data = stdin_text;
	o.stdin_len = stdin_text ? strlen(stdin_text) : 0;
	run_checked(&o, res);
}

/* Processes whose command line contains `marker` (a sample's code is its
 * command line, and forked children keep it). */
static int count_marked(const char *marker)
{
	int n = 0;
	DIR *d = opendir("/proc");
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char path[300], buf[8192];
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		ssize_t got = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (got <= 0)
			continue;
		for (ssize_t i = 0; i < got; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[got] = '\0';
		if (strstr(buf, marker))
			n++;
	}
	closedir(d);
	return n;
}

/* Leftovers may take a moment to be reaped by their new parent. */
static void assert_none_left(const char *marker)
{
	int n = 0;
	for (int i = 0; i < 100 && (n = count_marked(marker)) > 0; i++)
		usleep(20000);
	if (n)
		fail_msg("%d processes of '%s' survived", n, marker);
}

static void test_isolation_report(void **state)
{
	(void)state;
	unsigned iso = halo_sandbox_available_isolation();
	print_message("isolation available here: 0x%x%s%s%s%s%s%s\n", iso, iso & HALO_SANDBOX_ISO_USER ? " user" : "",
		      iso & HALO_SANDBOX_ISO_PID ? " pid" : "", iso & HALO_SANDBOX_ISO_NET ? " net" : "",
		      iso & HALO_SANDBOX_ISO_MNT ? " mnt" : "", iso & HALO_SANDBOX_ISO_LANDLOCK_FS ? " landlock-fs" : "",
		      iso & HALO_SANDBOX_ISO_LANDLOCK_NET ? " landlock-net" : "");
	assert_int_equal(halo_sandbox_available_isolation(), iso); /* cached, stable */
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
	assert_int_equal(r.out_truncated, 0);
	assert_string_equal(r.out, "HELLO");
	assert_int_equal(r.out_len, 5);
	assert_string_equal(r.err, "warn");
	assert_true(r.wall_s > 0);
	print_message("isolation applied: 0x%x\n", r.isolation);
	halo_sandbox_result_free(&r);
}

static void test_environment(void **state)
{
	(void)state;
	halo_sandbox_result r;
	run_py("import os\nprint(os.environ.get('HOME') == os.getcwd(), os.environ.get('TMPDIR') == os.getcwd(),\n"
	       "      os.environ.get('LANG'), 'PATH' in os.environ, 'HALO_SECRET' in os.environ,\n"
	       "      os.path.basename(os.getcwd()).startswith('halo-sandbox-'))",
	       NULL, 20, &r);
	assert_string_equal(r.out, "True True C.UTF-8 True False True\n");
	halo_sandbox_result_free(&r);

	/* A caller's list is used as given, plus HOME/TMPDIR (env(1) shows it
	 * as exec'd: python3 may be a wrapper that adds its own). */
	const char *argv[] = { "env", NULL };
	char parent[4096];
	halo_sandbox_opts o = sample_opts(argv, 20, parent, sizeof(parent));
	const char *env[] = { "PATH=/usr/bin:/bin", "PYTHONHASHSEED=0", "A=1", NULL };
	o.env = env;
	run_checked(&o, &r);
	char *home = strstr(r.out, "HOME="), *tmp = strstr(r.out, "TMPDIR=");
	assert_non_null(home);
	assert_non_null(tmp);
	assert_non_null(strstr(home, "/halo-sandbox-"));
	assert_int_equal(strcspn(home + 5, "\n"), strcspn(tmp + 7, "\n"));
	assert_int_equal(strncmp(home + 5, tmp + 7, strcspn(tmp + 7, "\n")), 0);
	const char *head = "PATH=/usr/bin:/bin\nPYTHONHASHSEED=0\nA=1\nHOME=";
	assert_int_equal(strncmp(r.out, head, strlen(head)), 0);
	int lines = 0;
	for (const char *c = r.out; *c; c++)
		lines += *c == '\n';
	assert_int_equal(lines, 5);
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
	o.version = HALO_SANDBOX_OPTS_VERSION;
	o.argv = NULL;
	assert_int_equal(halo_sandbox_run(&o, &r), HALO_EUSAGE);
}

/* Killed by a signal of its own: the status is the sample's, not its init's. */
static void test_own_signal(void **state)
{
	(void)state;
	halo_sandbox_result r;
	run_py("import os, signal\nprint('x', flush=True)\nos.kill(os.getpid(), signal.SIGTERM)", NULL, 20, &r);
	assert_int_equal(r.signaled, 1);
	assert_int_equal(r.term_signal, SIGTERM);
	assert_int_equal(r.timed_out, 0);
	assert_string_equal(r.out, "x\n");
	halo_sandbox_result_free(&r);
}

static void test_sleep_forever(void **state)
{
	(void)state;
	halo_sandbox_result r;
	double t = now_s();
	run_py("# halo-sbx-sleep\nimport time\nprint('started', flush=True)\ntime.sleep(10**6)", NULL, 1, &r);
	assert_true(now_s() - t < 15);
	assert_int_equal(r.timed_out, 1);
	assert_int_equal(r.signaled, 1);
	assert_int_equal(r.term_signal, SIGKILL);
	assert_string_equal(r.out, "started\n");
	assert_true(r.wall_s >= 1 && r.wall_s < 15);
	halo_sandbox_result_free(&r);
	assert_none_left("halo-sbx-sleep");
}

/* A child that leaves the process group and session, then sleeps: gone at
 * the timeout too; and one that outlives a sample that exits at once. */
static void test_setsid_escape(void **state)
{
	(void)state;
	halo_sandbox_result r;
	double t = now_s();
	run_py("# halo-sbx-setsid\nimport os, time\nif os.fork() == 0:\n    os.setsid()\n"
	       "    if os.fork() == 0:\n        time.sleep(10**6)\n    os._exit(0)\ntime.sleep(10**6)",
	       NULL, 1, &r);
	assert_true(now_s() - t < 15);
	assert_int_equal(r.timed_out, 1);
	halo_sandbox_result_free(&r);
	assert_none_left("halo-sbx-setsid");

	run_py("# halo-sbx-orphan\nimport os, sys, time\nif os.fork() == 0:\n    os.setsid()\n"
	       "    os.close(1)\n    time.sleep(10**6)\nprint('parent done')",
	       NULL, 30, &r);
	assert_int_equal(r.exited, 1);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.timed_out, 0);
	assert_string_equal(r.out, "parent done\n");
	assert_true(r.wall_s < 15);
	halo_sandbox_result_free(&r);
	if (halo_sandbox_available_isolation() & HALO_SANDBOX_ISO_PID)
		assert_none_left("halo-sbx-orphan");
	else
		print_message("no PID namespace: a setsid() orphan can outlive its sample\n");
}

static void test_fork_bomb(void **state)
{
	(void)state;
	halo_sandbox_result r;
	double t = now_s();
	run_py("# halo-sbx-forkbomb\nimport os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
	       NULL, 2, &r);
	assert_true(now_s() - t < 20);
	assert_int_equal(r.timed_out, 1);
	halo_sandbox_result_free(&r);
	assert_none_left("halo-sbx-forkbomb");

	/* The process cap is what stops it: fork fails once the cap is reached. */
	run_py("# halo-sbx-forkcount\nimport os, time\nn = 0\ntry:\n    while n < 500:\n        if os.fork() == 0:\n"
	       "            time.sleep(60)\n            os._exit(0)\n        n += 1\nexcept OSError as e:\n    print('stopped', n)",
	       NULL, 20, &r);
	int n = -1;
	if (sscanf(r.out, "stopped %d", &n) != 1)
		fail_msg("fork was never refused: out '%s' err '%s'", r.out, r.err);
	assert_true(n > 0 && n <= 32);
	halo_sandbox_result_free(&r);
	assert_none_left("halo-sbx-forkcount");
}

static void test_big_allocation(void **state)
{
	(void)state;
	halo_sandbox_result r;
	run_py("x = bytearray(50 * 2**30)\nprint('allocated')", NULL, 20, &r);
	assert_int_equal(r.exited, 1);
	assert_int_equal(r.exit_code, 1);
	assert_non_null(strstr(r.err, "MemoryError"));
	assert_string_equal(r.out, "");
	halo_sandbox_result_free(&r);
	/* ... and the next sample runs normally. */
	run_py("print(sum(range(10)))", NULL, 20, &r);
	assert_string_equal(r.out, "45\n");
	halo_sandbox_result_free(&r);
}

static void test_cpu_limit(void **state)
{
	(void)state;
	const char *argv[] = { "python3", "-c", "while True:\n    pass", NULL };
	char parent[4096];
	halo_sandbox_opts o = sample_opts(argv, 30, parent, sizeof(parent));
	o.cpu_s = 1;
	halo_sandbox_result r;
	run_checked(&o, &r);
	assert_int_equal(r.timed_out, 0);
	assert_int_equal(r.signaled, 1);
	assert_true(r.term_signal == SIGXCPU || r.term_signal == SIGKILL);
	assert_true(r.wall_s < 25);
	halo_sandbox_result_free(&r);
}

static void test_stdout_cap(void **state)
{
	(void)state;
	const char *argv[] = { "python3", "-c", "import sys\nwhile True:\n    sys.stdout.write('y' * 4096)", NULL };
	char parent[4096];
	halo_sandbox_opts o = sample_opts(argv, 30, parent, sizeof(parent));
	o.stdout_cap = 100000;
	o.stderr_cap = 10;
	halo_sandbox_result r;
	run_checked(&o, &r);
	assert_int_equal(r.out_truncated, 1);
	assert_int_equal(r.timed_out, 0);
	assert_int_equal(r.out_len, 100000);
	assert_int_equal(strlen(r.out), 100000);
	assert_int_equal(r.signaled, 1);
	assert_true(r.wall_s < 20);
	halo_sandbox_result_free(&r);

	/* stderr past its cap is dropped, the sample is not stopped for it */
	const char *argv2[] = { "python3", "-c", "import sys\nsys.stderr.write('e' * 1000000)\nprint('ok')", NULL };
	o.argv = argv2;
	run_checked(&o, &r);
	assert_int_equal(r.exited, 1);
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.out, "ok\n");
	assert_int_equal(r.err_len, 10);
	halo_sandbox_result_free(&r);
}

/* Much more stdin than a pipe holds, echoed back while it is still being
 * written: only polling both directions avoids a deadlock. */
static void test_big_stdin(void **state)
{
	(void)state;
	size_t n = (size_t)4 << 20;
	char *in = malloc(n + 1);
	assert_non_null(in);
	for (size_t i = 0; i < n; i++)
		in[i] = (char)('a' + i % 26);
	in[n] = '\0';
	const char *argv[] = { "python3", "-c",
			       "import sys\nwhile True:\n    b = sys.stdin.buffer.read1(65536)\n    if not b:\n        break\n"
			       "    sys.stdout.buffer.write(b)\n    sys.stdout.flush()",
			       NULL };
	char parent[4096];
	halo_sandbox_opts o = sample_opts(argv, 60, parent, sizeof(parent));
	o.stdin_data = in;
	o.stdin_len = n;
	halo_sandbox_result r;
	run_checked(&o, &r);
	assert_int_equal(r.exited, 1);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.out_len, n);
	assert_memory_equal(r.out, in, n);
	halo_sandbox_result_free(&r);

	/* A sample that never reads its stdin must not block the caller. */
	const char *argv2[] = { "python3", "-c", "print('ignored')", NULL };
	o.argv = argv2;
	run_checked(&o, &r);
	assert_string_equal(r.out, "ignored\n");
	halo_sandbox_result_free(&r);
	free(in);
}

/* Writes to the parent of the cwd, to /tmp, to the caller's $HOME: none may
 * reach the host; the private directory itself is writable. */
static void test_write_outside(void **state)
{
	(void)state;
	char parent[4096], code[8192], marker[64], probe[4200];
	snprintf(marker, sizeof(marker), "halo-sbx-escape-%d-%ld", (int)getpid(), (long)time(NULL));
	const char *home = getenv("HOME");
	if (!home || !*home)
		home = "/root";
	snprintf(code, sizeof(code),
		 "import os, sys\nm = '%s'\ndirs = [os.path.dirname(os.getcwd()), '/tmp', '%s', '/dev/shm', '/var/tmp']\n"
		 "for d in dirs:\n"
		 "    try:\n"
		 "        with open(os.path.join(d, m), 'w') as f:\n"
		 "            f.write('x')\n"
		 "        print('wrote', d)\n"
		 "    except OSError as e:\n"
		 "        print('refused', d, e.errno)\n"
		 "open('here.txt', 'w').write('fine')\nprint('cwd ok', open('here.txt').read())\n",
		 marker, home);
	const char *argv[] = { "python3", "-c", code, NULL };
	halo_sandbox_opts o = sample_opts(argv, 30, parent, sizeof(parent));
	halo_sandbox_result r;
	run_checked(&o, &r);
	print_message("%s", r.out);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.out, "cwd ok fine"));
	const char *host_dirs[] = { parent, "/tmp", home, "/dev/shm", "/var/tmp" };
	for (size_t i = 0; i < sizeof(host_dirs) / sizeof(host_dirs[0]); i++) {
		snprintf(probe, sizeof(probe), "%s/%s", host_dirs[i], marker);
		struct stat st;
		if (stat(probe, &st) == 0) {
			unlink(probe);
			fail_msg("the sample wrote %s on the host", probe);
		}
	}
	unsigned iso = r.isolation;
	halo_sandbox_result_free(&r);
	if (!(iso & (HALO_SANDBOX_ISO_MNT | HALO_SANDBOX_ISO_LANDLOCK_FS)))
		print_message("no mount namespace or Landlock here: writes were not contained\n");
}

/* A sample's mess: read-only and unreadable directories, a deep tree, and a
 * symlink to a host directory whose contents must survive the cleanup. */
static void test_cleanup(void **state)
{
	(void)state;
	char outside[4096], keep[4200], code[8192];
	snprintf(outside, sizeof(outside), "%s", test_tmpdir("sandbox-outside"));
	snprintf(keep, sizeof(keep), "%s/keep.txt", outside);
	test_write_file(keep, "keep", 4);
	snprintf(code, sizeof(code),
		 "import os\n"
		 "os.makedirs('a/b/c')\nopen('a/b/c/f', 'w').write('x')\nos.chmod('a/b/c', 0o500)\nos.chmod('a/b', 0o000)\n"
		 "os.mkdir('ro')\nopen('ro/g', 'w').write('y')\nos.chmod('ro', 0o555)\n"
		 "try:\n    os.symlink('%s', 'link')\nexcept OSError:\n    pass\n"
		 "base = os.open('.', os.O_RDONLY)\n"
		 "for i in range(1000):\n    os.mkdir('d')\n    os.chdir('d')\nopen('deep', 'w').write('z')\n"
		 "print('made')\n",
		 outside);
	const char *argv[] = { "python3", "-c", code, NULL };
	char parent[4096];
	halo_sandbox_opts o = sample_opts(argv, 60, parent, sizeof(parent));
	halo_sandbox_result r;
	run_checked(&o, &r); /* checks that the private directory is gone */
	assert_string_equal(r.out, "made\n");
	halo_sandbox_result_free(&r);
	struct stat st;
	assert_int_equal(stat(keep, &st), 0);
	assert_int_equal(st.st_size, 4);
}

static void test_network(void **state)
{
	(void)state;
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(ls >= 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof(a);
	assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(ls, 8), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &alen), 0);
	int port = ntohs(a.sin_port);
	char code[1024];
	snprintf(code, sizeof(code),
		 "import socket\ntry:\n    s = socket.create_connection(('127.0.0.1', %d), timeout=3)\n"
		 "    s.sendall(b'leak')\n    print('connected')\nexcept OSError as e:\n    print('refused', e.errno)\n",
		 port);
	const char *argv[] = { "python3", "-c", code, NULL };
	char parent[4096];
	halo_sandbox_opts o = sample_opts(argv, 30, parent, sizeof(parent));
	unsigned avail = halo_sandbox_available_isolation();
	for (int isolate = 1; isolate >= 0; isolate--) {
		o.isolate_network = isolate;
		halo_sandbox_result r;
		run_checked(&o, &r);
		struct pollfd pf = { ls, POLLIN, 0 };
		int incoming = poll(&pf, 1, isolate ? 200 : 3000);
		if (incoming > 0) {
			int c = accept(ls, NULL, NULL);
			if (c >= 0)
				close(c);
		}
		if (isolate) {
			if (!(avail & (HALO_SANDBOX_ISO_NET | HALO_SANDBOX_ISO_LANDLOCK_NET))) {
				print_message("no network isolation available here: '%s'\n", r.out);
			} else {
				assert_non_null(strstr(r.out, "refused"));
				assert_int_equal(incoming, 0);
			}
		} else {
			/* The control: the same sample does connect when allowed, so
			 * the check above can fail. */
			if (!(avail & HALO_SANDBOX_ISO_LANDLOCK_NET)) {
				assert_string_equal(r.out, "connected\n");
				assert_int_equal(incoming, 1);
			}
		}
		halo_sandbox_result_free(&r);
	}
	close(ls);
}

/* ---- the fallbacks, forced: no namespaces ---------------------------------- */

/* Root's fallback runs the sample as nobody, who cannot reach a python3 under
 * /root (pyenv): use the system one then. */
static const char *fallback_python(void)
{
	if (geteuid() != 0)
		return "python3";
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : NULL;
}

static int fallback_run(const char *code, double timeout_s, halo_sandbox_result *res)
{
	const char *py = fallback_python();
	if (!py)
		return -1;
	const char *argv[] = { py, "-c", code, NULL };
	char parent[4096];
	halo_sandbox_opts o = sample_opts(argv, timeout_s, parent, sizeof(parent));
	o.no_namespaces = 1;
	chmod(parent, 0711); /* nobody must be able to pass through to its directory */
	run_checked(&o, res);
	return 0;
}

static void test_fallback(void **state)
{
	(void)state;
	halo_sandbox_result r;
	if (fallback_run("import sys\nprint('hi')\nsys.exit(4)", 20, &r) != 0) {
		skip();
		return;
	}
	print_message("fallback isolation: 0x%x\n", r.isolation);
	assert_int_equal(r.isolation & (HALO_SANDBOX_ISO_USER | HALO_SANDBOX_ISO_PID | HALO_SANDBOX_ISO_NET), 0);
	assert_string_equal(r.out, "hi\n");
	assert_int_equal(r.exit_code, 4);
	unsigned iso = r.isolation;
	halo_sandbox_result_free(&r);
	if (geteuid() == 0)
		assert_true(iso & HALO_SANDBOX_ISO_NOBODY);

	/* the subreaper sweeps up what left the group */
	double t = now_s();
	fallback_run("# halo-sbx-fb-setsid\nimport os, time\nif os.fork() == 0:\n    os.setsid()\n"
		     "    if os.fork() == 0:\n        time.sleep(10**6)\n    os._exit(0)\ntime.sleep(10**6)",
		     1, &r);
	assert_true(now_s() - t < 15);
	assert_int_equal(r.timed_out, 1);
	halo_sandbox_result_free(&r);
	assert_none_left("halo-sbx-fb-setsid");
	fallback_run("# halo-sbx-fb-orphan\nimport os, time\nif os.fork() == 0:\n    os.setsid()\n    os.close(1)\n"
		     "    time.sleep(10**6)\nprint('done')",
		     30, &r);
	assert_int_equal(r.timed_out, 0);
	assert_string_equal(r.out, "done\n");
	halo_sandbox_result_free(&r);
	assert_none_left("halo-sbx-fb-orphan");

	/* fork bomb: RLIMIT_NPROC binds (nobody, or the calling user) */
	fallback_run("# halo-sbx-fb-bomb\nimport os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
		     2, &r);
	assert_int_equal(r.timed_out, 1);
	halo_sandbox_result_free(&r);
	assert_none_left("halo-sbx-fb-bomb");

	fallback_run("x = bytearray(50 * 2**30)", 20, &r);
	assert_non_null(strstr(r.err, "MemoryError"));
	halo_sandbox_result_free(&r);

	if (iso & HALO_SANDBOX_ISO_LANDLOCK_FS) {
		char code[1024], marker[64];
		snprintf(marker, sizeof(marker), "halo-sbx-fb-%d", (int)getpid());
		snprintf(code, sizeof(code),
			 "import os\nfor d in [os.path.dirname(os.getcwd()), '/tmp', '/dev/shm', '/var/tmp']:\n"
			 "    try:\n        open(os.path.join(d, '%s'), 'w').write('x')\n        print('wrote', d)\n"
			 "    except OSError as e:\n        pass\nopen('mine', 'w').write('ok')\nprint(open('mine').read())",
			 marker);
		fallback_run(code, 20, &r);
		assert_string_equal(r.out, "ok\n");
		halo_sandbox_result_free(&r);
		const char *dirs[] = { "/tmp", "/dev/shm", "/var/tmp" };
		for (int i = 0; i < 3; i++) {
			char path[256];
			snprintf(path, sizeof(path), "%s/%s", dirs[i], marker);
			if (access(path, F_OK) == 0) {
				unlink(path);
				fail_msg("the fallback let the sample write %s", path);
			}
		}
	}
	if (iso & HALO_SANDBOX_ISO_LANDLOCK_NET) {
		int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in a;
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		socklen_t alen = sizeof(a);
		assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(listen(ls, 8), 0);
		assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &alen), 0);
		char code[512];
		snprintf(code, sizeof(code),
			 "import socket\ntry:\n    socket.create_connection(('127.0.0.1', %d), timeout=3)\n"
			 "    print('connected')\nexcept OSError as e:\n    print('refused')",
			 ntohs(a.sin_port));
		fallback_run(code, 20, &r);
		assert_string_equal(r.out, "refused\n");
		struct pollfd pf = { ls, POLLIN, 0 };
		assert_int_equal(poll(&pf, 1, 200), 0);
		halo_sandbox_result_free(&r);
		close(ls);
	}
}

/* A socket file of a host service (a session bus, an agent, a container
 * daemon) stays reachable through a read-only mount: seccomp refuses the
 * sample AF_UNIX sockets of its own. */
static void test_unix_socket(void **state)
{
	(void)state;
	if (!(halo_sandbox_available_isolation() & HALO_SANDBOX_ISO_NO_UNIX)) {
		skip();
		return;
	}
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir("sandbox-unix"));
	chmod(dir, 0755);
	struct sockaddr_un a;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if ((size_t)snprintf(a.sun_path, sizeof(a.sun_path), "%s/s", dir) >= sizeof(a.sun_path)) {
		skip();
		return;
	}
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(ls >= 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	chmod(a.sun_path, 0777);
	assert_int_equal(listen(ls, 8), 0);
	char code[1024];
	snprintf(code, sizeof(code),
		 "import socket, os\ntry:\n    s = socket.socket(socket.AF_UNIX)\n    s.connect('%s')\n"
		 "    print('connected')\nexcept OSError as e:\n    print('refused', e.errno)\n"
		 "a, b = socket.socketpair()\na.sendall(b'p')\nprint(b.recv(1))\n",
		 a.sun_path);
	const char *argv[] = { "python3", "-c", code, NULL };
	char parent[4096];
	for (int fb = 0; fb < 2; fb++) {
		if (fb && !fallback_python())
			break;
		argv[0] = fb ? fallback_python() : "python3";
		halo_sandbox_opts o = sample_opts(argv, 30, parent, sizeof(parent));
		o.no_namespaces = fb;
		chmod(parent, 0711);
		halo_sandbox_result r;
		run_checked(&o, &r);
		assert_true(r.isolation & HALO_SANDBOX_ISO_NO_UNIX);
		assert_string_equal(r.out, "refused 13\nb'p'\n");
		struct pollfd pf = { ls, POLLIN, 0 };
		assert_int_equal(poll(&pf, 1, 100), 0);
		halo_sandbox_result_free(&r);
	}
	close(ls);
	unlink(a.sun_path);
}

/* Many sandboxes at once from different threads. */
struct worker {
	int id, ok;
	char msg[256];
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 5; i++) {
		char code[128], want[64];
		snprintf(code, sizeof(code), "import sys\nprint(int(sys.stdin.read()) * 2)");
		char in[32];
		snprintf(in, sizeof(in), "%d", w->id * 100 + i);
		snprintf(want, sizeof(want), "%d\n", (w->id * 100 + i) * 2);
		const char *argv[] = { "python3", "-c", code, NULL };
		halo_sandbox_opts o = HALO_SANDBOX_OPTS_INIT;
		o.argv = argv;
		o.stdin_data = in;
		o.stdin_len = strlen(in);
		o.timeout_s = 60;
		o.mem_bytes = (uint64_t)4 << 30;
		o.max_procs = 16;
		halo_sandbox_result r;
		if (halo_sandbox_run(&o, &r) != 0) {
			snprintf(w->msg, sizeof(w->msg), "run %d: %s", i, halo_error_last()->message);
			return NULL;
		}
		int good = r.exited && r.exit_code == 0 && !strcmp(r.out, want);
		if (!good)
			snprintf(w->msg, sizeof(w->msg), "run %d: exit %d/%d out '%s' err '%.100s'", i, r.exited,
				 r.exit_code, r.out, r.err);
		halo_sandbox_result_free(&r);
		if (!good)
			return NULL;
	}
	w->ok = 1;
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	pthread_t t[4];
	struct worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ i + 1, 0, "" };
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 4; i++)
		if (!w[i].ok)
			fail_msg("thread %d: %s", i, w[i].msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_isolation_report), cmocka_unit_test(test_echo),
		cmocka_unit_test(test_environment),      cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_own_signal),       cmocka_unit_test(test_sleep_forever),
		cmocka_unit_test(test_setsid_escape),    cmocka_unit_test(test_fork_bomb),
		cmocka_unit_test(test_big_allocation),   cmocka_unit_test(test_cpu_limit),
		cmocka_unit_test(test_stdout_cap),       cmocka_unit_test(test_big_stdin),
		cmocka_unit_test(test_write_outside),    cmocka_unit_test(test_cleanup),
		cmocka_unit_test(test_network),          cmocka_unit_test(test_threads),
		cmocka_unit_test(test_fallback),         cmocka_unit_test(test_unix_socket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
