/*
 * BFCL (single turn) as a halo benchmark: every selected category's
 * questions, asked in native tool-calling or prompt mode, decoded and
 * checked by bfcl.c. A sample passes on the reference-compatible verdict;
 * the details keep the strict irrelevance verdict and BFCL's error type.
 */
#include "eval/bench_common.h"
#include "eval/bfcl.h"

#include "error.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct bfcl_task {
	halo_bfcl_category cat;
	size_t line;   /* in questions[cat] */
	long answer;   /* in answers[cat], -1 for irrelevance/relevance */
};

struct bfcl_state {
	halo_bfcl_mode mode;
	bench_lines questions[HALO_BFCL_N_CATEGORIES];
	bench_lines answers[HALO_BFCL_N_CATEGORIES];
	struct bfcl_task *tasks;
	size_t n;
	char sha[65]; /* over every file's pinned hash, in category order */
};

static void bfcl_close(void *state)
{
	struct bfcl_state *s = state;
	for (int c = 0; c < HALO_BFCL_N_CATEGORIES; c++) {
		bench_lines_free(&s->questions[c]);
		bench_lines_free(&s->answers[c]);
	}
	free(s->tasks);
	free(s);
}

/* "bfcl/BFCL_v4_x.json" -> the registry name "bfcl/x" (and bfcl-answer/x). */
static int registry_name(const char *file, const char *prefix, char *out, size_t n)
{
	const char *base = strstr(file, "BFCL_v4_");
	if (!base)
		return -1;
	base += strlen("BFCL_v4_");
	const char *dot = strrchr(base, '.');
	size_t len = dot ? (size_t)(dot - base) : strlen(base);
	return snprintf(out, n, "%s/%.*s", prefix, (int)len, base) >= (int)n ? -1 : 0;
}

static int bfcl_open(const halo_eval_env *env, void **state)
{
	struct bfcl_state *s = calloc(1, sizeof(*s));
	char shas[HALO_BFCL_N_CATEGORIES * 2 * 65 + 1] = "";
	size_t cap = 0;
	int rc = 0;
	if (!s)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	s->mode = env->bfcl_prompt_mode ? HALO_BFCL_PROMPT : HALO_BFCL_NATIVE;
	/* every name in the list must be a category: a typo would silently shrink the run */
	if (env->bfcl_categories) {
		char buf[512];
		snprintf(buf, sizeof(buf), "%s", env->bfcl_categories);
		for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (halo_bfcl_category_from_name(t) < 0) {
				rc = halo_error_set(HALO_EUSAGE, "'%s' is not a BFCL category", t);
				goto fail;
			}
	}
	for (int c = 0; c < HALO_BFCL_N_CATEGORIES; c++) {
		const char *cname = halo_bfcl_category_name((halo_bfcl_category)c);
		if (env->bfcl_categories && *env->bfcl_categories && !halo_list_has(env->bfcl_categories, cname))
			continue;
		char name[128], sha[65];
		if (registry_name(halo_bfcl_question_file((halo_bfcl_category)c), "bfcl", name, sizeof(name))) {
			rc = halo_error_set(HALO_ERROR, "no dataset for BFCL category %s", cname);
			goto fail;
		}
		if ((rc = bench_lines_load(&s->questions[c], env, name, HALO_DATASET_BFCL, sha)))
			goto fail;
		strcat(shas, sha);
		const char *af = halo_bfcl_answer_file((halo_bfcl_category)c);
		if (af) {
			if (registry_name(af, "bfcl-answer", name, sizeof(name))) {
				rc = halo_error_set(HALO_ERROR, "no answers for BFCL category %s", cname);
				goto fail;
			}
			if ((rc = bench_lines_load(&s->answers[c], env, name, HALO_DATASET_BFCL_ANSWER, sha)))
				goto fail;
			strcat(shas, sha);
		}
		for (size_t i = 0; i < s->questions[c].n; i++) {
			if (s->n == cap) {
				size_t ncap = cap ? cap * 2 : 512;
				struct bfcl_task *nt = realloc(s->tasks, ncap * sizeof(*nt));
				if (!nt) {
					rc = halo_error_set(HALO_ENOMEM, "out of memory");
					goto fail;
				}
				s->tasks = nt;
				cap = ncap;
			}
			long a = -1;
			if (af && (a = bench_lines_find(&s->answers[c], s->questions[c].ids[i])) < 0) {
				rc = halo_error_set(HALO_EFORMAT, "BFCL %s: no possible answer for '%s'", cname,
						    s->questions[c].ids[i]);
				goto fail;
			}
			s->tasks[s->n++] = (struct bfcl_task){ (halo_bfcl_category)c, i, a };
		}
	}
	if ((rc = halo_sha256_hex(shas, strlen(shas), s->sha)))
		goto fail;
	*state = s;
	return 0;
fail:
	bfcl_close(s);
	return rc;
}

static const char *bfcl_sha(void *state)
{
	return ((struct bfcl_state *)state)->sha;
}

static size_t bfcl_n(void *state)
{
	return ((struct bfcl_state *)state)->n;
}

static const char *bfcl_id(void *state, size_t i)
{
	struct bfcl_state *s = state;
	return s->questions[s->tasks[i].cat].ids[s->tasks[i].line];
}

static const char *bfcl_category(void *state, size_t i)
{
	struct bfcl_state *s = state;
	return halo_bfcl_category_name(s->tasks[i].cat);
}

static int bfcl_build(void *state, size_t i, char **messages, char **tools)
{
	struct bfcl_state *s = state;
	halo_dataset_record rec;
	*messages = *tools = NULL;
	int rc = bench_lines_record(&s->questions[s->tasks[i].cat], s->tasks[i].line, HALO_DATASET_BFCL, &rec);
	if (rc)
		return rc;
	rc = halo_bfcl_build_request(&rec, s->mode, messages, tools);
	halo_dataset_record_free(&rec);
	return rc;
}

/* The chat client's [{"name","arguments"}] to OpenAI's [{"function":{...}}]. */
static char *openai_tool_calls(const char *normalised)
{
	json_t *in = json_loads(normalised, 0, NULL);
	if (!json_is_array(in)) {
		json_decref(in);
		return NULL;
	}
	json_t *out = json_array();
	size_t k;
	json_t *v;
	json_array_foreach(in, k, v) {
		json_t *fn = json_object();
		json_object_set(fn, "name", json_object_get(v, "name"));
		json_object_set(fn, "arguments", json_object_get(v, "arguments"));
		json_array_append_new(out, json_pack("{s:s, s:o}", "type", "function", "function", fn));
	}
	char *s = json_dumps(out, JSON_COMPACT);
	json_decref(in);
	json_decref(out);
	return s;
}

static int bfcl_score(void *state, size_t i, const halo_eval_answer *a, halo_eval_score *out)
{
	struct bfcl_state *s = state;
	const struct bfcl_task *t = &s->tasks[i];
	halo_dataset_record q, ans;
	halo_bfcl_decoded d;
	halo_bfcl_verdict v;
	char *calls = NULL;
	int rc;

	memset(&d, 0, sizeof(d));
	memset(&ans, 0, sizeof(ans));
	out->detail_json = NULL;
	if ((rc = bench_lines_record(&s->questions[t->cat], t->line, HALO_DATASET_BFCL, &q)))
		return rc;
	if (t->answer >= 0 &&
	    (rc = bench_lines_record(&s->answers[t->cat], (size_t)t->answer, HALO_DATASET_BFCL_ANSWER, &ans)))
		goto out;
	if (a->tool_calls) {
		if (!(calls = openai_tool_calls(a->tool_calls))) {
			rc = halo_error_set(HALO_ENOMEM, "out of memory");
			goto out;
		}
		rc = halo_bfcl_decode_native(calls, a->content, &d);
	} else if (s->mode == HALO_BFCL_PROMPT) {
		rc = halo_bfcl_decode_prompt(halo_bfcl_category_lang(t->cat), a->content, strlen(a->content), &d);
	} else {
		rc = halo_bfcl_decode_native(NULL, a->content, &d);
	}
	if (rc)
		goto out;
	if ((rc = halo_bfcl_check(t->cat, s->mode, q.function_json, ans.ground_truth_json, &d, &v)))
		goto out;
	out->outcome = v.outcome;
	out->detail_json = bench_json_pack("{s:s, s:b, s:s, s:s}", "category", halo_bfcl_category_name(t->cat),
					   "strict", v.strict_outcome == HALO_OUTCOME_PASS, "error", v.error_type, "detail",
					   v.detail);
	if (!out->detail_json)
		rc = halo_error_set(HALO_ENOMEM, "out of memory");
out:
	free(calls);
	halo_bfcl_decoded_free(&d);
	halo_dataset_record_free(&q);
	halo_dataset_record_free(&ans);
	return rc;
}

/* A BFCL result file line: {"id": ..., "result": "<text>" | [{name: "<args json>"}]}. */
static int bfcl_offline(void *state, const char *line, size_t len, size_t *task, char **content, char **tool_calls)
{
	struct bfcl_state *s = state;
	json_error_t err;
	*content = *tool_calls = NULL;
	json_t *o = json_loadb(line, len, 0, &err);
	if (!o)
		return halo_error_set(HALO_EFORMAT, "not JSON: %s", err.text);
	const char *id = json_string_value(json_object_get(o, "id"));
	json_t *result = json_object_get(o, "result");
	int rc = 0;
	if (!id || !result) {
		rc = halo_error_set(HALO_EFORMAT, "expected \"id\" and \"result\"");
		goto out;
	}
	long found = -1;
	for (size_t i = 0; i < s->n && found < 0; i++)
		if (!strcmp(bfcl_id(s, i), id))
			found = (long)i;
	if (found < 0) {
		rc = 1; /* a category not selected, or another BFCL version's id */
		goto out;
	}
	*task = (size_t)found;
	if (json_is_string(result)) {
		*content = strdup(json_string_value(result));
	} else if (json_is_array(result)) {
		/* [{name: args}] -> the client's normalised [{"name", "arguments"}] */
		json_t *calls = json_array();
		size_t k;
		json_t *c;
		json_array_foreach(result, k, c) {
			const char *name;
			json_t *args;
			json_object_foreach(c, name, args) {
				char *text = json_is_string(args) ? strdup(json_string_value(args))
								  : json_dumps(args, JSON_COMPACT | JSON_ENCODE_ANY);
				json_array_append_new(calls, json_pack("{s:s, s:s}", "name", name, "arguments",
								       text ? text : ""));
				free(text);
			}
		}
		*tool_calls = json_dumps(calls, JSON_COMPACT);
		json_decref(calls);
		*content = strdup("");
	} else {
		rc = halo_error_set(HALO_EFORMAT, "\"result\" is neither a string nor a list");
		goto out;
	}
	if (!*content)
		rc = halo_error_set(HALO_ENOMEM, "out of memory");
out:
	json_decref(o);
	return rc;
}

const halo_benchmark_ops halo_bench_bfcl = {
	.name = "bfcl",
	.preset = "thinking",
	.prompt_version = "bfcl-v4-6ea5797",
	.open = bfcl_open,
	.close = bfcl_close,
	.dataset_sha = bfcl_sha,
	.n_tasks = bfcl_n,
	.task_id = bfcl_id,
	.category = bfcl_category,
	.build = bfcl_build,
	.score = bfcl_score,
	.offline_record = bfcl_offline,
};
