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

static double plain(const char *const *argv)
{
	double t = now_s();
	pid_t pid;
	if (posix_spawnp(&pid, argv[0], NULL, NULL, (char *const *)(uintptr_t)argv, environ) != 0) {
		fprintf(stderr, "bench_sandbox: cannot spawn %s\n", argv[0]);
		exit(1);
	}
	int st;
	waitpid(pid, &st, 0);
	return now_s() - t;
}

/* One run; -1 when the sandbox refuses (e.g. root's fallback runs as nobody,
 * who cannot reach a program under /root). */
static double sandboxed(const char *const *argv, int no_ns, unsigned *iso)
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
	halo_sandbox_result r;
	if (halo_sandbox_run(&o, &r) != 0)
		return -1;
	t = now_s() - t;
	*iso = r.isolation;
	if (!r.exited || r.exit_code != 0)
		fprintf(stderr, "bench_sandbox: exited %d code %d: %.200s\n", r.exited, r.exit_code, r.err);
	halo_sandbox_result_free(&r);
	return t;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int n, double base_median)
{
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += t[i];
	qsort(t, (size_t)n, sizeof(*t), cmp);
	double med = t[n / 2];
	printf("%-32s mean %8.2f ms  median %8.2f ms", what, sum / n * 1e3, med * 1e3);
	if (base_median > 0)
		printf("  (median +%.2f ms)", (med - base_median) * 1e3);
	printf("\n");
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 20;
	const char *def[] = { "python3", "-c", "pass", NULL };
	const char *const *prog = argc > 2 ? (const char *const *)(argv + 2) : def;
	if (runs <= 0 || runs > 100000)
		runs = 20;
	double *t[3];
	for (int k = 0; k < 3; k++)
		if (!(t[k] = calloc((size_t)runs, sizeof(double))))
			return 1;
	unsigned iso_ns = 0, iso_fb = 0;
	/* warm-up: page cache, the isolation probe */
	plain(prog);
	if (sandboxed(prog, 0, &iso_ns) < 0) {
		fprintf(stderr, "bench_sandbox: %s\n", halo_error_last()->message);
		return 1;
	}
	int fallback = sandboxed(prog, 1, &iso_fb) >= 0;
	/* interleaved, so that load from elsewhere hits all three alike */
	for (int i = 0; i < runs; i++) {
		t[0][i] = plain(prog);
		t[1][i] = sandboxed(prog, 0, &iso_ns);
		if (fallback)
			t[2][i] = sandboxed(prog, 1, &iso_fb);
	}
	printf("program: %s ... (%d runs each)\n", prog[0], runs);
	report("plain posix_spawn+wait", t[0], runs, 0);
	double base = t[0][runs / 2];
	char label[64];
	snprintf(label, sizeof(label), "sandbox (isolation 0x%x)", iso_ns);
	report(label, t[1], runs, base);
	if (fallback) {
		snprintf(label, sizeof(label), "sandbox fallback (0x%x)", iso_fb);
		report(label, t[2], runs, base);
	} else {
		printf("sandbox fallback: unavailable for this program (%s)\n", halo_error_last()->message);
	}
	for (int k = 0; k < 3; k++)
		free(t[k]);
	return 0;
}
