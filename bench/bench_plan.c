/*
 * bench_plan: how long halo takes to plan the whole catalog (every model x
 * quant x KV cache type, maximum-context solve included), against the time
 * the pinned llama.cpp's llama-fit-params takes to size one configuration of
 * a model file, measured in the same run.
 *
 *   build/bench/bench_plan [-n ITER] [--fit-params BIN --model FILE.gguf]
 *
 * Without --fit-params only halo's figure is printed (no reference: say so).
 */
#include "catalog.h"
#include "error.h"
#include "ggml_type.h"
#include "plan.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GiB (1024ull * 1024 * 1024)

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const uint32_t kv_types[] = { HALO_GGML_F16, HALO_GGML_Q8_0, HALO_GGML_Q4_0 };

/* One full plan of the catalog on a 64 GiB APU; returns the configurations solved. */
static unsigned plan_catalog(const halo_catalog *cat, uint64_t *checksum)
{
	halo_plan_machine m = { 64 * GiB, 32 * GiB, true, 4 * GiB };
	halo_server_opts srv = HALO_SERVER_OPTS_INIT;
	unsigned n = 0;
	for (size_t i = 0; i < cat->n_models; i++) {
		const halo_model *md = &cat->models[i];
		for (size_t k = 0; k < sizeof(kv_types) / sizeof(kv_types[0]); k++) {
			halo_memplan_opts o = HALO_MEMPLAN_OPTS_INIT;
			o.n_seq = 4;
			o.kv_unified = true;
			o.mmap = false;
			o.type_k = o.type_v = kv_types[k];
			for (size_t q = 0; q < md->n_quants; q++) {
				halo_weights_plan w;
				halo_plan_result r;
				uint64_t ctx;
				halo_plan_weights_estimate(&md->hp, md->params_total, md->quants[q].size_bytes, &o, &w);
				if (halo_plan_max_context(&md->hp, &w, &o, &srv, &m, 0, &ctx, &r) == 0)
					*checksum += ctx;
				n++;
			}
		}
	}
	return n;
}

static double run_fit_params(const char *bin, const char *model)
{
	double t0 = now();
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execl(bin, bin, "-m", model, "-c", "4096", "-np", "1", (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	double t = now() - t0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_plan: %s exited with status %d\n", bin, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	return t;
}

int main(int argc, char **argv)
{
	int iters = 50;
	const char *fit = NULL, *model = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			iters = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--fit-params") && i + 1 < argc)
			fit = argv[++i];
		else if (!strcmp(argv[i], "--model") && i + 1 < argc)
			model = argv[++i];
		else
			return fprintf(stderr, "usage: bench_plan [-n ITER] [--fit-params BIN --model FILE.gguf]\n"), 2;
	}
	halo_catalog cat = HALO_CATALOG_INIT;
	if (halo_catalog_load_default(&cat, NULL)) {
		fprintf(stderr, "bench_plan: %s\n", halo_error_last()->message);
		return 1;
	}
	uint64_t checksum = 0;
	unsigned configs = plan_catalog(&cat, &checksum); /* warm-up */
	double t0 = now();
	for (int i = 0; i < iters; i++)
		plan_catalog(&cat, &checksum);
	double per_plan = (now() - t0) / iters;
	printf("halo: full catalog plan (%zu models, %u model x quant x KV configurations, max-context solve): "
	       "%.3f ms per plan, %.2f us per configuration (checksum %llu)\n",
	       cat.n_models, configs, per_plan * 1e3, per_plan * 1e6 / configs, (unsigned long long)checksum);
	if (fit && model) {
		double best = 1e30;
		for (int i = 0; i < 3; i++) {
			double t = run_fit_params(fit, model);
			if (t < 0)
				return 1;
			best = t < best ? t : best;
		}
		printf("llama-fit-params: one configuration of %s: %.1f ms (best of 3)\n", model, best * 1e3);
		printf("ratio: llama-fit-params for one configuration / halo for the whole catalog = %.0fx\n",
		       best / per_plan);
	} else {
		printf("(no reference measured: pass --fit-params BIN --model FILE.gguf)\n");
	}
	halo_catalog_free(&cat);
	return 0;
}
