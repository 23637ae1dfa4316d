/*
 * HumanEval+ and MBPP+ as halo benchmarks, over evalplus.c: the evalplus
 * chat prompt, extraction and sandboxed judgement of the answer, base and
 * plus verdicts. A sample passes when it passes plus (base and plus inputs).
 */
#include "eval/bench_common.h"
#include "eval/evalplus.h"

#include "error.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct evalplus_state {
	halo_evalplus *h;
	const halo_eval_env *env; /* for notes during open only */
	const char *name;
	int offline; /* scoring samples.jsonl: solutions are judged as given */
};

static void gt_progress(size_t done, size_t total, const char *task_id, void *ud)
{
	struct evalplus_state *s = ud;
	if (!s->env || !s->env->note)
		return;
	size_t step = total >= 10 ? total / 10 : 1;
	if (done % step && done != total)
		return;
	char line[256];
	snprintf(line, sizeof(line), "%s ground truth (once per dataset version): %zu/%zu tasks (%s)", s->name, done,
		 total, task_id ? task_id : "");
	s->env->note(line, s->env->note_ud);
}

/* python3 for model code: the system's, when there is one (fast to start,
 * readable from inside the sandbox), else the first python3 in PATH. */
static const char *default_python(void)
{
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

static int evalplus_open(const halo_eval_env *env, const char *name, const char *file, halo_dataset_kind kind,
			 void **state)
{
	const halo_dataset_file *f = halo_dataset_find(file);
	char path[4096], cache[4200];
	int rc;
	if (!f)
		return halo_error_set(HALO_ENOTFOUND, "dataset '%s' is not pinned", file);
	if ((rc = halo_dataset_resolve(f, &env->datasets, path, sizeof(path))))
		return rc;
	struct evalplus_state *s = calloc(1, sizeof(*s));
	if (!s)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	s->env = env;
	s->name = name;
	halo_evalplus_opts o = HALO_EVALPLUS_OPTS_INIT;
	o.python = env->python ? env->python : default_python();
	if (env->cache_dir) {
		snprintf(cache, sizeof(cache), "%s/evalplus", env->cache_dir);
		o.cache_dir = cache;
	}
	o.tmp_parent = env->tmp_dir;
	o.progress = gt_progress;
	o.progress_ud = s;
	rc = halo_evalplus_open(&s->h, kind, path, &o);
	s->env = NULL; /* env is borrowed for open only */
	if (rc) {
		free(s);
		return rc;
	}
	*state = s;
	return 0;
}

static int humaneval_open(const halo_eval_env *env, void **state)
{
	return evalplus_open(env, "humaneval", "humaneval-plus", HALO_DATASET_HUMANEVAL, state);
}

static int mbpp_open(const halo_eval_env *env, void **state)
{
	return evalplus_open(env, "mbpp", "mbpp-plus", HALO_DATASET_MBPP, state);
}

static void evalplus_close(void *state)
{
	struct evalplus_state *s = state;
	halo_evalplus_close(s->h);
	free(s);
}

static const char *evalplus_sha(void *state)
{
	return halo_evalplus_dataset_sha256(((struct evalplus_state *)state)->h);
}

static size_t evalplus_n(void *state)
{
	return halo_evalplus_task_count(((struct evalplus_state *)state)->h);
}

static const char *evalplus_id(void *state, size_t i)
{
	return halo_evalplus_task_id(((struct evalplus_state *)state)->h, i);
}

static int evalplus_build(void *state, size_t i, char **messages, char **tools)
{
	struct evalplus_state *s = state;
	*tools = NULL;
	return halo_evalplus_prompt_messages(halo_evalplus_task_prompt(s->h, i), messages);
}

static int evalplus_score(void *state, size_t i, const halo_eval_answer *a, halo_eval_score *out)
{
	struct evalplus_state *s = state;
	halo_evalplus_verdict v;
	const char *id = halo_evalplus_task_id(s->h, i);
	int rc = s->offline ? halo_evalplus_check_solution(s->h, id, a->content, &v)
			    : halo_evalplus_check(s->h, id, a->content, &v);
	out->detail_json = NULL;
	if (rc)
		return rc;
	out->outcome = v.outcome;
	json_t *d = json_pack("{s:b, s:b, s:i, s:I, s:s, s:f}", "base", v.base_pass, "plus", v.plus_pass,
			      "fail_phase", v.fail_phase, "fail_index", (json_int_t)v.fail_index, "detail", v.detail,
			      "wall_s", v.wall_s);
	if (d && v.code)
		json_object_set_new(d, "code", json_string(v.code));
	out->detail_json = d ? json_dumps(d, JSON_COMPACT) : NULL;
	json_decref(d);
	halo_evalplus_verdict_free(&v);
	return out->detail_json ? 0 : halo_error_set(HALO_ENOMEM, "out of memory");
}

static int evalplus_offline(void *state, const char *line, size_t len, size_t *task, char **content,
			    char **tool_calls)
{
	struct evalplus_state *s = state;
	char *task_id = NULL;
	*content = *tool_calls = NULL;
	int rc = halo_evalplus_sample_code(s->h, line, len, &task_id, content);
	if (rc)
		return rc;
	long idx = halo_evalplus_task_index(s->h, task_id);
	free(task_id);
	if (idx < 0) {
		free(*content);
		*content = NULL;
		return halo_error_set(HALO_ENOTFOUND, "unknown task");
	}
	*task = (size_t)idx;
	s->offline = 1;
	return 0;
}

const halo_benchmark_ops halo_bench_humaneval = {
	.name = "humaneval",
	.preset = "thinking-coding",
	.prompt_version = "evalplus-chat-v1",
	.open = humaneval_open,
	.close = evalplus_close,
	.dataset_sha = evalplus_sha,
	.n_tasks = evalplus_n,
	.task_id = evalplus_id,
	.category = NULL,
	.build = evalplus_build,
	.score = evalplus_score,
	.offline_record = evalplus_offline,
};

const halo_benchmark_ops halo_bench_mbpp = {
	.name = "mbpp",
	.preset = "thinking-coding",
	.prompt_version = "evalplus-chat-v1",
	.open = mbpp_open,
	.close = evalplus_close,
	.dataset_sha = evalplus_sha,
	.n_tasks = evalplus_n,
	.task_id = evalplus_id,
	.category = NULL,
	.build = evalplus_build,
	.score = evalplus_score,
	.offline_record = evalplus_offline,
};
