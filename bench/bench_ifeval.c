/*
 * bench_ifeval: IFEval scoring of the 541 prompts, strict and loose (every
 * instruction against the response and its eight loose variants), against
 * the time to load the 541 records from input_data.jsonl, measured in the
 * same run.
 *
 *   build/bench/bench_ifeval [-n ITER] [INPUT_DATA.jsonl [RESPONSES.jsonl]]
 *
 * The responses are each prompt's own text unless RESPONSES.jsonl (the
 * reference's input_response_data format: {"prompt", "response"} per line,
 * matched by prompt) is given. Default input: $HALO_DATASETS_DIR or
 * ../shared/datasets, ifeval/input_data.jsonl.
 */
#include "error.h"
#include "eval/dataset.h"
#include "eval/ifeval.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct recs {
	halo_dataset_record *r;
	size_t n, cap;
} recs;

/* Keeps a deep copy of what scoring needs. */
static int keep(const halo_dataset_record *r, void *ud)
{
	recs *k = ud;
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		halo_dataset_record *p = realloc(k->r, cap * sizeof *p);
		if (!p)
			return halo_error_set(HALO_ENOMEM, "out of memory");
		k->r = p;
		k->cap = cap;
	}
	halo_dataset_record *c = &k->r[k->n++];
	memset(c, 0, sizeof *c);
	c->kind = r->kind;
	c->id = strdup(r->id);
	c->prompt = strdup(r->prompt);
	c->n_instructions = r->n_instructions;
	c->instruction_ids = calloc(r->n_instructions, sizeof(char *));
	c->kwargs_json = calloc(r->n_instructions, sizeof(char *));
	if (!c->id || !c->prompt || !c->instruction_ids || !c->kwargs_json)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->n_instructions; i++) {
		c->instruction_ids[i] = strdup(r->instruction_ids[i]);
		c->kwargs_json[i] = strdup(r->kwargs_json[i]);
	}
	return 0;
}

static int count_only(const halo_dataset_record *r, void *ud)
{
	(void)r;
	(*(size_t *)ud)++;
	return 0;
}

int main(int argc, char **argv)
{
	int iter = 5, ai = 1;
	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		iter = atoi(argv[2]);
		ai = 3;
	}
	char def[4096];
	const char *input = ai < argc ? argv[ai] : NULL;
	const char *responses = ai + 1 < argc ? argv[ai + 1] : NULL;
	if (!input) {
		const char *dir = getenv("HALO_DATASETS_DIR");
		snprintf(def, sizeof def, "%s/ifeval/input_data.jsonl", dir ? dir : "../shared/datasets");
		input = def;
	}
	if (iter < 1)
		iter = 1;

	/* reference: loading (reading and parsing) the 541 records */
	double best_load = 1e9;
	for (int i = 0; i < iter; i++) {
		size_t n = 0;
		double t0 = now();
		if (halo_dataset_load(input, HALO_DATASET_IFEVAL, NULL, count_only, &n, NULL) != 0) {
			fprintf(stderr, "bench_ifeval: %s\n", halo_error_last()->message);
			return 1;
		}
		double dt = now() - t0;
		if (dt < best_load)
			best_load = dt;
	}
	recs k = { 0 };
	if (halo_dataset_load(input, HALO_DATASET_IFEVAL, NULL, keep, &k, NULL) != 0) {
		fprintf(stderr, "bench_ifeval: %s\n", halo_error_last()->message);
		return 1;
	}
	const char **resp = calloc(k.n, sizeof *resp);
	json_t **owned = calloc(k.n, sizeof *owned);
	size_t n_given = 0;
	for (size_t i = 0; i < k.n; i++)
		resp[i] = k.r[i].prompt;
	if (responses) {
		FILE *f = fopen(responses, "r");
		char *line = NULL;
		size_t cap = 0;
		if (!f) {
			fprintf(stderr, "bench_ifeval: '%s': cannot open\n", responses);
			return 1;
		}
		while (getline(&line, &cap, f) > 0) {
			json_t *j = json_loads(line, 0, NULL);
			const char *p = json_string_value(json_object_get(j, "prompt"));
			const char *r = json_string_value(json_object_get(j, "response"));
			int used = 0;
			for (size_t i = 0; p && r && i < k.n; i++)
				if (!owned[i] && strcmp(k.r[i].prompt, p) == 0) {
					resp[i] = r;
					owned[i] = j;
					used = 1;
					n_given++;
					break;
				}
			if (!used)
				json_decref(j);
		}
		free(line);
		fclose(f);
	}

	double best = 1e9;
	halo_ifeval_stats st = HALO_IFEVAL_STATS_INIT;
	for (int it = 0; it < iter; it++) {
		halo_ifeval_stats s = HALO_IFEVAL_STATS_INIT;
		double t0 = now();
		for (size_t i = 0; i < k.n; i++) {
			halo_ifeval_result r;
			if (halo_ifeval_check(&k.r[i], resp[i], strlen(resp[i]), &r) != 0) {
				fprintf(stderr, "bench_ifeval: %s\n", halo_error_last()->message);
				return 1;
			}
			halo_ifeval_stats_add(&s, &r);
			halo_ifeval_result_free(&r);
		}
		double dt = now() - t0;
		if (dt < best)
			best = dt;
		st = s;
	}
	halo_ifeval_scores sc = halo_ifeval_stats_scores(&st);
	printf("ifeval: %zu prompts, %zu instructions, responses: %s (%zu matched)\n", st.prompts,
	       st.instructions, responses ? responses : "each prompt's own text", n_given);
	printf("score strict+loose: %.1f ms (best of %d)\n", best * 1e3, iter);
	printf("load 541 records:   %.1f ms (best of %d, the reference figure)\n", best_load * 1e3, iter);
	printf("ratio score/load:   %.2f\n", best / best_load);
	printf("prompt-level strict %.4f loose %.4f; instruction-level strict %.4f loose %.4f\n",
	       sc.prompt_strict, sc.prompt_loose, sc.instruction_strict, sc.instruction_loose);
	for (int i = 0; i < HALO_IFEVAL_N_IDS; i++)
		if (st.id_total[i])
			printf("  %-46s %3zu  strict %.3f  loose %.3f\n", halo_ifeval_id_name(i), st.id_total[i],
			       (double)st.id_strict[i] / (double)st.id_total[i],
			       (double)st.id_loose[i] / (double)st.id_total[i]);
	for (size_t i = 0; i < k.n; i++) {
		json_decref(owned[i]);
		halo_dataset_record_free(&k.r[i]);
	}
	free(owned);
	free(resp);
	free(k.r);
	return 0;
}
