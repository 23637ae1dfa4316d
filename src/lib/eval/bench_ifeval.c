/*
 * IFEval as a halo benchmark: one user turn per prompt, scored by ifeval.c.
 * A sample passes when the prompt is followed strictly (the headline
 * prompt-level strict accuracy); the details keep every instruction's strict
 * and loose verdicts for the report.
 */
#include "eval/bench_common.h"
#include "eval/ifeval.h"

#include "error.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct ifeval_state {
	bench_lines lines;
	char sha[65];
	char **prompts; /* for matching offline records */
};

static int ifeval_open(const halo_eval_env *env, void **state)
{
	struct ifeval_state *s = calloc(1, sizeof(*s));
	if (!s)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	int rc = bench_lines_load(&s->lines, env, "ifeval", HALO_DATASET_IFEVAL, s->sha);
	if (rc) {
		bench_lines_free(&s->lines);
		free(s);
		return rc;
	}
	*state = s;
	return 0;
}

static void ifeval_close(void *state)
{
	struct ifeval_state *s = state;
	if (s->prompts)
		for (size_t i = 0; i < s->lines.n; i++)
			free(s->prompts[i]);
	free(s->prompts);
	bench_lines_free(&s->lines);
	free(s);
}

static const char *ifeval_sha(void *state)
{
	return ((struct ifeval_state *)state)->sha;
}

static size_t ifeval_n(void *state)
{
	return ((struct ifeval_state *)state)->lines.n;
}

static const char *ifeval_id(void *state, size_t i)
{
	return ((struct ifeval_state *)state)->lines.ids[i];
}

static int ifeval_build(void *state, size_t i, char **messages, char **tools)
{
	struct ifeval_state *s = state;
	halo_dataset_record rec;
	int rc = bench_lines_record(&s->lines, i, HALO_DATASET_IFEVAL, &rec);
	*messages = *tools = NULL;
	if (rc)
		return rc;
	*messages = bench_user_messages(rec.prompt);
	halo_dataset_record_free(&rec);
	return *messages ? 0 : halo_error_set(HALO_ENOMEM, "out of memory");
}

static int ifeval_score(void *state, size_t i, const halo_eval_answer *a, halo_eval_score *out)
{
	struct ifeval_state *s = state;
	halo_dataset_record rec;
	halo_ifeval_result res = { 0 };
	int rc = bench_lines_record(&s->lines, i, HALO_DATASET_IFEVAL, &rec);
	out->detail_json = NULL;
	if (rc)
		return rc;
	rc = halo_ifeval_check(&rec, a->content, strlen(a->content), &res);
	halo_dataset_record_free(&rec);
	if (rc)
		return rc;
	json_t *ins = json_array();
	for (size_t k = 0; k < res.n; k++)
		json_array_append_new(ins, json_pack("{s:s, s:b, s:b}", "id", halo_ifeval_id_name(res.items[k].index),
						     "strict", res.items[k].strict, "loose", res.items[k].loose));
	out->outcome = res.prompt_strict ? HALO_OUTCOME_PASS : HALO_OUTCOME_WRONG;
	out->detail_json = bench_json_pack("{s:b, s:b, s:o}", "strict", res.prompt_strict, "loose", res.prompt_loose,
					   "instructions", ins);
	halo_ifeval_result_free(&res);
	return out->detail_json ? 0 : halo_error_set(HALO_ENOMEM, "out of memory");
}

/* input_response_data lines: {"prompt": "...", "response": "..."}, matched by prompt. */
static int ifeval_offline(void *state, const char *line, size_t len, size_t *task, char **content, char **tool_calls)
{
	struct ifeval_state *s = state;
	json_error_t err;
	*content = *tool_calls = NULL;
	json_t *o = json_loadb(line, len, 0, &err);
	if (!o)
		return halo_error_set(HALO_EFORMAT, "not JSON: %s", err.text);
	const char *prompt = json_string_value(json_object_get(o, "prompt"));
	const char *response = json_string_value(json_object_get(o, "response"));
	if (!prompt || !response) {
		json_decref(o);
		return halo_error_set(HALO_EFORMAT, "expected string fields \"prompt\" and \"response\"");
	}
	if (!s->prompts) {
		if (!(s->prompts = calloc(s->lines.n ? s->lines.n : 1, sizeof(*s->prompts)))) {
			json_decref(o);
			return halo_error_set(HALO_ENOMEM, "out of memory");
		}
		for (size_t i = 0; i < s->lines.n; i++) {
			halo_dataset_record rec;
			if (!bench_lines_record(&s->lines, i, HALO_DATASET_IFEVAL, &rec)) {
				s->prompts[i] = rec.prompt;
				rec.prompt = NULL;
				halo_dataset_record_free(&rec);
			}
		}
	}
	long found = -1;
	for (size_t i = 0; i < s->lines.n && found < 0; i++)
		if (s->prompts[i] && !strcmp(s->prompts[i], prompt))
			found = (long)i;
	if (found < 0) {
		json_decref(o);
		return halo_error_set(HALO_EFORMAT, "prompt is not one of IFEval's");
	}
	*task = (size_t)found;
	*content = strdup(response);
	json_decref(o);
	return *content ? 0 : halo_error_set(HALO_ENOMEM, "out of memory");
}

const halo_benchmark_ops halo_bench_ifeval = {
	.name = "ifeval",
	.preset = "thinking",
	.prompt_version = "ifeval-user-v1",
	.open = ifeval_open,
	.close = ifeval_close,
	.dataset_sha = ifeval_sha,
	.n_tasks = ifeval_n,
	.task_id = ifeval_id,
	.category = NULL,
	.build = ifeval_build,
	.score = ifeval_score,
	.offline_record = ifeval_offline,
};
