/*
 * Spawn overhead of the sandbox: mean wall time of running a program through
 * halo_sandbox_run (namespaces, and the forced fallback) against a plain
 * posix_spawn + waitpid of the same executable, in the same run.
 *
 *   bench_sandbox [runs] [program args...]     default: 20 python3 -c pass
 */
#include "error.h"
#include "sandbox.h"

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double plain(const char *const *argv, int runs)
{
	double t = now_s();
	for (int i = 0; i < runs; i++) {
		pid_t pid;
		if (posix_spawnp(&pid, argv[0], NULL, NULL, (char *const *)(uintptr_t)argv, environ) != 0) {
			fprintf(stderr, "bench_sandbox: cannot spawn %s\n", argv[0]);
			exit(1);
		}
		int st;
		waitpid(pid, &st, 0);
	}
	return (now_s() - t) / runs;
}

static double sandboxed(const char *const *argv, int runs, int no_ns, unsigned *iso)
{
	halo_sandbox_opts o = HALO_SANDBOX_OPTS_INIT;
	o.argv = argv;
	o.timeout_s = 60;
	o.mem_bytes = (uint64_t)4 << 30;
	o.cpu_s = 60;
	o.max_procs = 64;
	o.max_file_bytes = (uint64_t)64 << 20;
	o.max_open_files = 256;
	o.no_namespaces = no_ns;
	double t = now_s();
	for (int i = 0; i < runs; i++) {
		halo_sandbox_result r;
		if (halo_sandbox_run(&o, &r) != 0) {
			/* e.g. root's fallback runs as nobody, who cannot reach /root */
			fprintf(stderr, "bench_sandbox: %s\n", halo_error_last()->message);
			return -1;
		}
		*iso = r.isolation;
		if (!r.exited || r.exit_code != 0)
			fprintf(stderr, "bench_sandbox: run %d: exited %d code %d: %.200s\n", i, r.exited, r.exit_code,
				r.err);
		halo_sandbox_result_free(&r);
	}
	return (now_s() - t) / runs;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 20;
	const char *def[] = { "python3", "-c", "pass", NULL };
	const char *const *prog = argc > 2 ? (const char *const *)(argv + 2) : def;
	if (runs <= 0)
		runs = 20;
	unsigned iso_ns = 0, iso_fb = 0;
	/* warm-up: page cache, the isolation probe */
	plain(prog, 2);
	if (sandboxed(prog, 2, 0, &iso_ns) < 0)
		return 1;
	double a = plain(prog, runs);
	double b = sandboxed(prog, runs, 0, &iso_ns);
	double c = sandboxed(prog, runs, 1, &iso_fb);
	printf("program: %s ... (%d runs each)\n", prog[0], runs);
	printf("plain posix_spawn+wait:      %8.2f ms\n", a * 1e3);
	printf("sandbox (isolation 0x%02x):   %8.2f ms  (+%.2f ms)\n", iso_ns, b * 1e3, (b - a) * 1e3);
	if (c >= 0)
		printf("sandbox fallback (0x%02x):    %8.2f ms  (+%.2f ms)\n", iso_fb, c * 1e3, (c - a) * 1e3);
	else
		printf("sandbox fallback:            unavailable for this program\n");
	return 0;
}
