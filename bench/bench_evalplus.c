/*
 * Verifying all 164 HumanEval+ canonical solutions on every base and plus
 * input: wall time of the ground-truth pass (a fresh cache) and of the
 * sandboxed verification (one python3 per sample, 1 and N threads), against
 * a reference measured in the same run: one plain, unsandboxed python3 doing
 * the same checks in a loop (the worker's functions, no process per sample,
 * no sandbox), to show what the sandbox and process-per-sample cost.
 *
 *   bench_evalplus [HumanEvalPlus.jsonl.gz [worker.py]]
 * Defaults: ../shared/datasets/humaneval-plus/HumanEvalPlus-v0.1.10.jsonl.gz
 * and src/lib/eval/evalplus_worker.py, relative to $HALO_SOURCE_DIR or ".".
 */
#include "error.h"
#include "eval/evalplus.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct canon {
	size_t n;
	char *id[512];
	char *code[512];
} canon;

static int on_rec(const halo_dataset_record *r, void *ud)
{
	canon *c = ud;
	size_t lp = strlen(r->prompt), lc = strlen(r->canonical_solution);
	if (c->n >= 512 || !(c->code[c->n] = malloc(lp + lc + 1)))
		return -1;
	c->id[c->n] = strdup(r->id);
	memcpy(c->code[c->n], r->prompt, lp);
	memcpy(c->code[c->n] + lp, r->canonical_solution, lc + 1);
	c->n++;
	return 0;
}

typedef struct run {
	const halo_evalplus *h;
	const canon *c;
	pthread_mutex_t mu;
	size_t next, pass;
} run;

static void *worker(void *arg)
{
	run *r = arg;
	for (;;) {
		halo_evalplus_verdict v;
		size_t i;
		pthread_mutex_lock(&r->mu);
		i = r->next++;
		pthread_mutex_unlock(&r->mu);
		if (i >= r->c->n)
			return NULL;
		if (halo_evalplus_check_solution(r->h, r->c->id[i], r->c->code[i], &v) == 0 &&
		    v.outcome == HALO_OUTCOME_PASS) {
			pthread_mutex_lock(&r->mu);
			r->pass++;
			pthread_mutex_unlock(&r->mu);
		}
		halo_evalplus_verdict_free(&v);
	}
}

static double verify(const halo_evalplus *h, const canon *c, unsigned threads, size_t *pass)
{
	run r;
	pthread_t th[16];
	double t0 = now();
	memset(&r, 0, sizeof(r));
	r.h = h;
	r.c = c;
	pthread_mutex_init(&r.mu, NULL);
	for (unsigned i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, worker, &r);
	for (unsigned i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&r.mu);
	*pass = r.pass;
	return now() - t0;
}

/* The reference: one python3, the worker's functions in a loop. */
static const char REFERENCE[] =
	"import gzip, json, sys, time\n"
	"src = open(sys.argv[1]).read().replace('\\nmain()\\n', '\\n')\n"
	"w = {}\n"
	"exec(src, w)\n"
	"cache = json.load(open(sys.argv[3]))\n"
	"truth = {t['task_id']: t for t in cache['tasks']}\n"
	"rows = [json.loads(l) for l in gzip.open(sys.argv[2], 'rt')]\n"
	"ok = 0\n"
	"t0 = time.monotonic()\n"
	"for r in rows:\n"
	"    t = truth[r['task_id']]\n"
	"    req = {'dataset': 'humaneval', 'entry_point': r['entry_point'], 'atol': r['atol'], 'phase_cap': 60.0}\n"
	"    code = r['prompt'] + r['canonical_solution']\n"
	"    lim = lambda ts: [max(4.0, 4.0 * x) for x in ts]\n"
	"    b = w['run_phase'](req, code, r['base_input'], w['_exp_decode'](t['base']), lim(t['base_time']))\n"
	"    p = w['run_phase'](req, code, r['plus_input'], w['_exp_decode'](t['plus']), lim(t['plus_time']))\n"
	"    ok += b['status'] == 'pass' and p['status'] == 'pass'\n"
	"print(ok, time.monotonic() - t0)\n";

int main(int argc, char **argv)
{
	const char *src = getenv("HALO_SOURCE_DIR");
	char ds[4096], wk[4096], cache[4096], tmpl[] = "/tmp/bench_evalplus.XXXXXX", cmd[16384], line[256];
	halo_evalplus_opts o = HALO_EVALPLUS_OPTS_INIT;
	halo_evalplus *h = NULL;
	canon c;
	size_t pass1 = 0, passn = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = ncpu > 0 && ncpu < 16 ? (unsigned)ncpu : 2;
	double t_gt, t1, tn, t_ref = -1, t_ref_load;
	int ref_ok = -1;
	FILE *p;

	if (!src || !*src)
		src = ".";
	snprintf(ds, sizeof(ds), "%s", argc > 1 ? argv[1] : "");
	if (!ds[0])
		snprintf(ds, sizeof(ds), "%s/../shared/datasets/humaneval-plus/HumanEvalPlus-v0.1.10.jsonl.gz", src);
	snprintf(wk, sizeof(wk), "%s", argc > 2 ? argv[2] : "");
	if (!wk[0])
		snprintf(wk, sizeof(wk), "%s/src/lib/eval/evalplus_worker.py", src);
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 1;
	}
	memset(&c, 0, sizeof(c));
	if (halo_dataset_load(ds, HALO_DATASET_HUMANEVAL, NULL, on_rec, &c, NULL) != 0) {
		fprintf(stderr, "bench_evalplus: %s\n", halo_error_last()->message);
		return 1;
	}

	o.cache_dir = tmpl;
	t_gt = now();
	if (halo_evalplus_open(&h, HALO_DATASET_HUMANEVAL, ds, &o) != 0) {
		fprintf(stderr, "bench_evalplus: %s\n", halo_error_last()->message);
		return 1;
	}
	t_gt = now() - t_gt;
	t1 = verify(h, &c, 1, &pass1);
	tn = verify(h, &c, threads, &passn);

	snprintf(cache, sizeof(cache), "%s/humaneval-%.16s-", tmpl, halo_evalplus_dataset_sha256(h));
	snprintf(cmd, sizeof(cmd), "f=$(ls '%s'*.json) && python3 -I -c \"$0\" '%s' '%s' \"$f\"", cache, wk, ds);
	{
		/* the script goes in as $0 of sh -c, quoted by execv, not by us */
		char *args[] = { "sh", "-c", cmd, (char *)REFERENCE, NULL };
		int fds[2];
		pid_t pid;
		t_ref_load = now();
		if (pipe(fds) == 0 && (pid = fork()) == 0) {
			dup2(fds[1], 1);
			close(fds[0]);
			execv("/bin/sh", args);
			_exit(127);
		}
		close(fds[1]);
		p = fdopen(fds[0], "r");
		if (p && fgets(line, sizeof(line), p))
			sscanf(line, "%d %lf", &ref_ok, &t_ref);
		if (p)
			fclose(p);
		while (wait(NULL) > 0)
			;
		t_ref_load = now() - t_ref_load;
	}

	printf("HumanEval+ %zu tasks, canonical solutions, base + plus inputs\n", c.n);
	printf("  ground truth (fresh cache, %u jobs):        %7.1f s\n", threads, t_gt);
	printf("  verify, sandboxed, 1 thread:                %7.1f s  (%zu/%zu pass)\n", t1, pass1, c.n);
	printf("  verify, sandboxed, %u threads:               %7.1f s  (%zu/%zu pass)\n", threads, tn, passn, c.n);
	printf("  reference: one unsandboxed python3 loop:    %7.1f s  (%d/%zu pass; %.1f s with its startup)\n",
	       t_ref, ref_ok, c.n, t_ref_load);
	if (t_ref > 0)
		printf("  ratio sandboxed 1 thread / reference:       %7.2f\n", t1 / t_ref);
	halo_evalplus_close(h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_evalplus: could not remove %s\n", tmpl);
	for (size_t i = 0; i < c.n; i++) {
		free(c.id[i]);
		free(c.code[i]);
	}
	return 0;
}
