/*
 * The evaluation engine (runner.h): configuration, selection, resume,
 * worker threads, storing. Benchmarks come in through benchmark.h.
 */
#include "eval/runner.h"

#include "clock.h"
#include "error.h"
#include "eval/think.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BENCH 8
#define MAX_CONCURRENCY 256

/* ---- configuration: what a run is, stored as JSON so it can be resumed ---- */

static json_t *sampling_to_json(const halo_chat_sampling *s)
{
	json_t *o = json_object();
	const struct {
		const char *name;
		const halo_chat_optf *f;
	} fs[] = { { "temperature", &s->temperature }, { "top_p", &s->top_p }, { "min_p", &s->min_p },
		   { "presence_penalty", &s->presence_penalty }, { "repeat_penalty", &s->repeat_penalty } };
	const struct {
		const char *name;
		const halo_chat_opti *i;
	} is[] = { { "top_k", &s->top_k }, { "max_tokens", &s->max_tokens }, { "seed", &s->seed } };
	for (size_t k = 0; k < sizeof(fs) / sizeof(fs[0]); k++)
		if (fs[k].f->set)
			json_object_set_new(o, fs[k].name, json_real(fs[k].f->v));
	for (size_t k = 0; k < sizeof(is) / sizeof(is[0]); k++)
		if (is[k].i->set)
			json_object_set_new(o, is[k].name, json_integer(is[k].i->v));
	return o;
}

static void sampling_from_json(const json_t *o, halo_chat_sampling *s)
{
	memset(s, 0, sizeof(*s));
	if (!json_is_object(o))
		return;
	struct {
		const char *name;
		halo_chat_optf *f;
	} fs[] = { { "temperature", &s->temperature }, { "top_p", &s->top_p }, { "min_p", &s->min_p },
		   { "presence_penalty", &s->presence_penalty }, { "repeat_penalty", &s->repeat_penalty } };
	struct {
		const char *name;
		halo_chat_opti *i;
	} is[] = { { "top_k", &s->top_k }, { "max_tokens", &s->max_tokens }, { "seed", &s->seed } };
	for (size_t k = 0; k < sizeof(fs) / sizeof(fs[0]); k++) {
		json_t *v = json_object_get(o, fs[k].name);
		if (json_is_number(v)) {
			fs[k].f->set = 1;
			fs[k].f->v = json_number_value(v);
		}
	}
	for (size_t k = 0; k < sizeof(is) / sizeof(is[0]); k++) {
		json_t *v = json_object_get(o, is[k].name);
		if (json_is_integer(v)) {
			is[k].i->set = 1;
			is[k].i->v = json_integer_value(v);
		}
	}
}

static void set_str(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, v ? json_string(v) : json_null());
}

/* The run's definition; env paths are kept too so a resume finds the same data. */
static json_t *config_to_json(const halo_eval_opts *o)
{
	json_t *c = json_object();
	set_str(c, "suite", o->suite);
	set_str(c, "ids", o->ids);
	json_object_set_new(c, "shard_index", json_integer(o->shard_index));
	json_object_set_new(c, "shard_count", json_integer(o->shard_count));
	json_object_set_new(c, "limit", json_integer((json_int_t)o->limit));
	json_object_set_new(c, "samples", json_integer(o->samples ? o->samples : 1));
	set_str(c, "model", o->model);
	set_str(c, "catalog_model", o->catalog_model);
	set_str(c, "preset", o->preset);
	json_object_set_new(c, "no_think", json_boolean(o->no_think));
	json_object_set_new(c, "overrides", sampling_to_json(&o->overrides));
	json_object_set_new(c, "concurrency", json_integer(o->concurrency));
	json_object_set_new(c, "bfcl_mode", json_string(o->env.bfcl_prompt_mode ? "prompt" : "native"));
	set_str(c, "bfcl_categories", o->env.bfcl_categories);
	set_str(c, "data_dir", o->env.datasets.data_dir);
	return c;
}

static const char *jstr(const json_t *c, const char *k)
{
	const char *s = json_string_value(json_object_get(c, k));
	return s;
}

/* Fills *o from a stored configuration (strings point into c, which must outlive o). */
static int config_from_json(const json_t *c, const halo_eval_opts *caller, halo_eval_opts *o)
{
	*o = *caller;
	o->suite = jstr(c, "suite");
	if (!o->suite)
		return halo_error_set(HALO_EFORMAT, "stored run has no suite");
	o->ids = jstr(c, "ids");
	o->shard_index = (unsigned)json_integer_value(json_object_get(c, "shard_index"));
	o->shard_count = (unsigned)json_integer_value(json_object_get(c, "shard_count"));
	o->limit = (size_t)json_integer_value(json_object_get(c, "limit"));
	o->samples = (unsigned)json_integer_value(json_object_get(c, "samples"));
	o->model = jstr(c, "model");
	o->catalog_model = jstr(c, "catalog_model");
	o->preset = jstr(c, "preset");
	o->no_think = json_is_true(json_object_get(c, "no_think"));
	sampling_from_json(json_object_get(c, "overrides"), &o->overrides);
	if (!caller->concurrency)
		o->concurrency = (unsigned)json_integer_value(json_object_get(c, "concurrency"));
	const char *mode = jstr(c, "bfcl_mode");
	o->env.bfcl_prompt_mode = mode && !strcmp(mode, "prompt");
	o->env.bfcl_categories = jstr(c, "bfcl_categories");
	if (!caller->env.datasets.data_dir)
		o->env.datasets.data_dir = jstr(c, "data_dir");
	return 0;
}

/* ---- per benchmark state ---- */

struct bench {
	const halo_benchmark_ops *ops;
	void *state;
	size_t *tasks; /* selected task indices */
	size_t n_tasks;
	halo_chat_sampling sampling; /* preset + overrides */
	char *extra_json;            /* enable_thinking false, when asked */
	char config_hash[65];
	char *sampling_desc;         /* JSON of the effective sampling, for the run config */
};

/* --limit counts per category where a benchmark has them (BFCL), so a short
 * run still covers every category; categories come in dataset order. */
#define MAX_CATEGORIES 32

static int select_tasks(struct bench *b, const halo_eval_opts *o)
{
	size_t n = b->ops->n_tasks(b->state);
	const char *cats[MAX_CATEGORIES];
	size_t counts[MAX_CATEGORIES], n_cats = 0;
	b->tasks = calloc(n ? n : 1, sizeof(*b->tasks));
	if (!b->tasks)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (o->ids && *o->ids && !halo_list_has(o->ids, b->ops->task_id(b->state, i)))
			continue;
		if (o->shard_count && (i % o->shard_count) + 1 != o->shard_index)
			continue;
		const char *cat = b->ops->category ? b->ops->category(b->state, i) : NULL;
		size_t c = 0;
		while (c < n_cats && strcmp(cats[c], cat ? cat : ""))
			c++;
		if (c == n_cats) {
			if (n_cats == MAX_CATEGORIES)
				return halo_error_set(HALO_ERROR, "%s: more than %d categories", b->ops->name,
						      MAX_CATEGORIES);
			cats[n_cats] = cat ? cat : "";
			counts[n_cats++] = 0;
		}
		if (o->limit && counts[c] >= o->limit)
			continue;
		counts[c]++;
		b->tasks[b->n_tasks++] = i;
	}
	return 0;
}

static void apply_preset(halo_chat_sampling *s, const halo_preset *p)
{
	s->temperature = (halo_chat_optf){ 1, p->temperature };
	s->top_p = (halo_chat_optf){ 1, p->top_p };
	s->min_p = (halo_chat_optf){ 1, p->min_p };
	s->presence_penalty = (halo_chat_optf){ 1, p->presence_penalty };
	if (p->repeat_penalty != 1.0)
		s->repeat_penalty = (halo_chat_optf){ 1, p->repeat_penalty };
	if (p->top_k > 0)
		s->top_k = (halo_chat_opti){ 1, p->top_k };
	if (p->max_tokens > 0)
		s->max_tokens = (halo_chat_opti){ 1, p->max_tokens };
}

static void apply_overrides(halo_chat_sampling *s, const halo_chat_sampling *o)
{
	halo_chat_optf *dst_f[] = { &s->temperature, &s->top_p, &s->min_p, &s->presence_penalty, &s->repeat_penalty };
	const halo_chat_optf *src_f[] = { &o->temperature, &o->top_p, &o->min_p, &o->presence_penalty,
					  &o->repeat_penalty };
	halo_chat_opti *dst_i[] = { &s->top_k, &s->max_tokens, &s->seed };
	const halo_chat_opti *src_i[] = { &o->top_k, &o->max_tokens, &o->seed };
	for (size_t k = 0; k < 5; k++)
		if (src_f[k]->set)
			*dst_f[k] = *src_f[k];
	for (size_t k = 0; k < 3; k++)
		if (src_i[k]->set)
			*dst_i[k] = *src_i[k];
}

/* sha256 of everything that changes the answers or their scoring. */
static int config_hash(struct bench *b, const char *fingerprint, const char *model, int bfcl_prompt_mode,
		       const char *preset_used)
{
	json_t *h = json_object();
	set_str(h, "benchmark", b->ops->name);
	set_str(h, "server_model", fingerprint);
	set_str(h, "model", model);
	json_object_set_new(h, "sampling", sampling_to_json(&b->sampling));
	set_str(h, "extra", b->extra_json);
	set_str(h, "preset", preset_used);
	set_str(h, "prompt", b->ops->prompt_version);
	set_str(h, "dataset_sha256", b->ops->dataset_sha(b->state));
	if (!strcmp(b->ops->name, "bfcl"))
		json_object_set_new(h, "bfcl_mode", json_string(bfcl_prompt_mode ? "prompt" : "native"));
	char *text = json_dumps(h, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(h);
	if (!text)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	int rc = halo_sha256_hex(text, strlen(text), b->config_hash);
	free(text);
	return rc;
}

/* ---- resume: which samples are finished ---- */

struct done_set {
	char **keys;
	size_t n, cap;
	struct bench *benches;
	size_t n_benches;
};

static const char *hash_of(struct done_set *d, const char *benchmark)
{
	for (size_t i = 0; i < d->n_benches; i++)
		if (!strcmp(d->benches[i].ops->name, benchmark))
			return d->benches[i].config_hash;
	return NULL;
}

static int collect_done(const halo_sample_row *row, void *ud)
{
	struct done_set *d = ud;
	const char *want = hash_of(d, row->benchmark ? row->benchmark : "");
	if (!want || !row->config_hash || strcmp(want, row->config_hash) || row->outcome == HALO_OUTCOME_INFRA)
		return 0;
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 256;
		char **nk = realloc(d->keys, ncap * sizeof(*nk));
		if (!nk)
			return halo_error_set(HALO_ENOMEM, "out of memory");
		d->keys = nk;
		d->cap = ncap;
	}
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s\t%s\t%d", row->benchmark, row->task_id ? row->task_id : "", row->sample);
	if (!(d->keys[d->n] = strdup(buf)))
		return halo_error_set(HALO_ENOMEM, "out of memory");
	d->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_done(const struct done_set *d, const char *benchmark, const char *task, int sample)
{
	if (!d->n)
		return 0;
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s\t%s\t%d", benchmark, task, sample);
	const char *k = buf;
	return bsearch(&k, d->keys, d->n, sizeof(*d->keys), cmp_str) != NULL;
}

/* ---- the work ---- */

struct item {
	unsigned bench;
	size_t task;
	int sample;
};

struct run_ctx {
	halo_results *db;
	halo_chat_client *client;
	const halo_eval_opts *opts;
	int64_t run_id;
	const char *model;
	struct bench *benches;
	struct item *items;
	size_t n_items;
	size_t next; /* guarded by lock */
	pthread_mutex_t lock;
	halo_eval_progress prog;
	double t0;
	int error;           /* first fatal error code (e.g. the database failed) */
	char error_msg[512];
	int cancelled;
};

/* Counts one stored sample and tells the caller; call with the run's lock held. */
static void progress_step(halo_eval_progress *p, const halo_eval_opts *o, double t0, const char *benchmark,
			  const char *task_id, halo_outcome outcome, long long completion_tokens)
{
	p->done++;
	p->passed += outcome == HALO_OUTCOME_PASS;
	p->infra += outcome == HALO_OUTCOME_INFRA;
	if (completion_tokens > 0)
		p->completion_tokens += completion_tokens;
	p->benchmark = benchmark;
	p->task_id = task_id;
	p->outcome = outcome;
	p->elapsed_s = halo_mono_s() - t0;
	if (o->progress)
		o->progress(p, o->progress_ud);
}

static char *dump_response(const halo_chat_response *r)
{
	json_t *o = json_object();
	set_str(o, "content", r->content);
	if (r->reasoning && *r->reasoning)
		set_str(o, "reasoning", r->reasoning);
	if (r->tool_calls) {
		json_t *tc = json_loads(r->tool_calls, JSON_DECODE_ANY, NULL);
		json_object_set_new(o, "tool_calls", tc ? tc : json_string(r->tool_calls));
	}
	set_str(o, "finish_reason", r->finish_reason);
	set_str(o, "model", r->model);
	json_object_set_new(o, "http_status", json_integer(r->http_status));
	if (r->think_unterminated)
		json_object_set_new(o, "think_unterminated", json_true());
	if (r->timings) {
		json_t *t = json_loads(r->timings, JSON_DECODE_ANY, NULL);
		if (t)
			json_object_set_new(o, "timings", t);
	}
	if (r->error[0])
		set_str(o, "error", r->error);
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static char *dump_request(const halo_chat_request *req)
{
	json_t *o = json_object();
	json_t *m = json_loads(req->messages_json, JSON_DECODE_ANY, NULL);
	json_object_set_new(o, "messages", m ? m : json_string(req->messages_json));
	if (req->tools_json) {
		json_t *t = json_loads(req->tools_json, JSON_DECODE_ANY, NULL);
		json_object_set_new(o, "tools", t ? t : json_string(req->tools_json));
	}
	set_str(o, "model", req->model);
	json_object_set_new(o, "sampling", sampling_to_json(&req->sampling));
	if (req->extra_json) {
		json_t *e = json_loads(req->extra_json, 0, NULL);
		if (e)
			json_object_set_new(o, "extra", e);
	}
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static char *error_detail(const char *what, const char *msg)
{
	json_t *o = json_object();
	json_object_set_new(o, what, json_string(msg ? msg : ""));
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static int cancelled(const struct run_ctx *ctx)
{
	return ctx->opts->cancel && *ctx->opts->cancel;
}

/* Asks and scores one sample; returns 0 or a fatal (database) error. */
static int do_item(struct run_ctx *ctx, const struct item *it)
{
	struct bench *b = &ctx->benches[it->bench];
	const char *task_id = b->ops->task_id(b->state, it->task);
	char *messages = NULL, *tools = NULL, *req_json = NULL, *resp_json = NULL;
	halo_chat_response resp;
	halo_eval_score score = { HALO_OUTCOME_INFRA, NULL };
	int rc = 0;

	halo_chat_response_init(&resp);
	if (b->ops->build(b->state, it->task, &messages, &tools)) {
		score.detail_json = error_detail("error", halo_error_last()->message);
		goto store;
	}
	halo_chat_request req = HALO_CHAT_REQUEST_INIT;
	req.model = ctx->model;
	req.messages_json = messages;
	req.tools_json = tools;
	req.sampling = b->sampling;
	if (req.sampling.seed.set)
		req.sampling.seed.v += it->sample; /* K samples must differ */
	req.extra_json = b->extra_json;
	req_json = dump_request(&req);
	if (halo_chat_complete(ctx->client, &req, &resp)) {
		if (cancelled(ctx))
			goto out; /* in flight when stopped: not stored, asked again on resume */
		score.outcome = resp.outcome == HALO_OUTCOME_TIMEOUT ? HALO_OUTCOME_TIMEOUT : HALO_OUTCOME_INFRA;
		/* llama-server's chat parser rejecting what the model wrote (a
		 * template's tool-call or thinking syntax not followed) is the
		 * model's failure, not the harness's */
		if (strstr(resp.error, "model produced output that does not match"))
			score.outcome = HALO_OUTCOME_PARSE;
		score.detail_json = error_detail("error", resp.error[0] ? resp.error : halo_error_last()->message);
	} else {
		halo_eval_answer ans = { resp.content ? resp.content : "", resp.tool_calls, resp.truncated };
		if (b->ops->score(b->state, it->task, &ans, &score)) {
			score.outcome = HALO_OUTCOME_INFRA;
			free(score.detail_json);
			score.detail_json = error_detail("error", halo_error_last()->message);
		} else if (resp.truncated && score.outcome != HALO_OUTCOME_PASS) {
			/* the answer was cut off: say so rather than "wrong" */
			score.outcome = HALO_OUTCOME_TRUNCATED;
		}
	}
	resp_json = dump_response(&resp);
store:;
	halo_sample_row row = {
		.benchmark = b->ops->name,
		.task_id = task_id,
		.sample = it->sample,
		.category = b->ops->category ? b->ops->category(b->state, it->task) : NULL,
		.config_hash = b->config_hash,
		.outcome = score.outcome,
		.detail_json = score.detail_json,
		.request_json = req_json,
		.response_json = resp_json,
		.prompt_tokens = resp.prompt_tokens,
		.completion_tokens = resp.completion_tokens,
		.reasoning_tokens = resp.reasoning_tokens,
		.ttft_s = resp.ttft_s,
		.total_s = resp.total_s,
		.attempts = resp.attempts,
	};
	rc = halo_results_sample_put(ctx->db, ctx->run_id, &row);

	pthread_mutex_lock(&ctx->lock);
	if (!rc)
		progress_step(&ctx->prog, ctx->opts, ctx->t0, b->ops->name, task_id, score.outcome,
			      resp.completion_tokens);
	pthread_mutex_unlock(&ctx->lock);
out:
	halo_chat_response_free(&resp);
	free(messages);
	free(tools);
	free(req_json);
	free(resp_json);
	free(score.detail_json);
	return rc;
}

static void *worker(void *arg)
{
	struct run_ctx *ctx = arg;
	for (;;) {
		pthread_mutex_lock(&ctx->lock);
		if (ctx->error || cancelled(ctx) || ctx->next >= ctx->n_items) {
			pthread_mutex_unlock(&ctx->lock);
			return NULL;
		}
		struct item it = ctx->items[ctx->next++];
		pthread_mutex_unlock(&ctx->lock);
		if (do_item(ctx, &it)) {
			pthread_mutex_lock(&ctx->lock);
			if (!ctx->error) {
				ctx->error = halo_error_last()->code ? halo_error_last()->code : HALO_ERROR;
				snprintf(ctx->error_msg, sizeof(ctx->error_msg), "%s", halo_error_last()->message);
			}
			pthread_mutex_unlock(&ctx->lock);
			return NULL;
		}
	}
}

static void close_benches(struct bench *benches, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (benches[i].state)
			benches[i].ops->close(benches[i].state);
		free(benches[i].tasks);
		free(benches[i].extra_json);
		free(benches[i].sampling_desc);
	}
}

/* Opens every benchmark of the suite and selects its tasks. */
static int open_benches(const halo_eval_opts *o, struct bench *benches, size_t *n_out)
{
	const halo_benchmark_ops *ops[MAX_BENCH];
	size_t n = 0;
	int rc = halo_suite_expand(o->suite, ops, &n);
	if (rc)
		return rc;
	*n_out = 0;
	for (size_t i = 0; i < n; i++) {
		struct bench *b = &benches[i];
		memset(b, 0, sizeof(*b));
		b->ops = ops[i];
		*n_out = i + 1;
		if ((rc = ops[i]->open(&o->env, &b->state))) {
			b->state = NULL;
			return halo_error_prefix("%s", ops[i]->name);
		}
		if ((rc = select_tasks(b, o)))
			return rc;
	}
	return 0;
}

static int resolve_sampling(struct bench *b, const halo_eval_opts *o, const halo_model *cm, const char **preset_used)
{
	memset(&b->sampling, 0, sizeof(b->sampling));
	const char *name = o->preset ? o->preset : o->no_think ? "instruct" : b->ops->preset;
	const halo_preset *p = cm ? halo_model_find_preset(cm, name) : NULL;
	if (!p && cm && !o->preset && !o->no_think)
		p = halo_model_find_preset(cm, "thinking"); /* a model without a coding preset */
	if (!p && o->preset && cm)
		return halo_error_set(HALO_ENOTFOUND, "model '%s' has no preset '%s'", cm->id, o->preset);
	*preset_used = p ? p->name : NULL;
	if (p)
		apply_preset(&b->sampling, p);
	apply_overrides(&b->sampling, &o->overrides);
	if (o->no_think && !(b->extra_json = strdup("{\"chat_template_kwargs\":{\"enable_thinking\":false}}")))
		return halo_error_set(HALO_ENOMEM, "out of memory");
	return 0;
}

int halo_eval_run(halo_results *db, halo_chat_client *client, const halo_catalog *cat, const halo_eval_opts *opts,
		  int64_t resume_run, int64_t *run_id)
{
	struct bench benches[MAX_BENCH];
	size_t n_benches = 0;
	halo_chat_server_info info = { 0 };
	json_t *config = NULL;
	halo_run stored = { 0 };
	halo_eval_opts o;
	struct done_set done = { 0 };
	struct run_ctx ctx;
	pthread_t threads[MAX_CONCURRENCY];
	unsigned n_threads = 0;
	json_t *eff = NULL;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	pthread_mutex_init(&ctx.lock, NULL);
	*run_id = 0;
	if (resume_run > 0) {
		if ((rc = halo_results_run_get(db, resume_run, &stored)))
			return rc;
		if (!strncmp(stored.suite, "score:", 6)) {
			rc = halo_error_set(HALO_EUSAGE, "run %lld scored a file; there is nothing to resume",
					    (long long)resume_run);
			goto out;
		}
		config = stored.config_json ? json_loads(stored.config_json, 0, NULL) : NULL;
		if (!config) {
			rc = halo_error_set(HALO_EFORMAT, "run %lld: stored configuration is unreadable",
					    (long long)resume_run);
			goto out;
		}
		if ((rc = config_from_json(config, opts, &o)))
			goto out;
		*run_id = resume_run;
	} else {
		o = *opts;
		if (!o.suite) {
			rc = halo_error_set(HALO_EUSAGE, "no suite given");
			goto out;
		}
		if (o.shard_count && (o.shard_index < 1 || o.shard_index > o.shard_count)) {
			rc = halo_error_set(HALO_EUSAGE, "shard %u/%u: the index must be between 1 and %u", o.shard_index,
					    o.shard_count, o.shard_count);
			goto out;
		}
	}

	if ((rc = halo_chat_server_info_for(client, o.model, &info)))
		goto out;
	if (resume_run > 0 && stored.fingerprint && strcmp(stored.fingerprint, info.fingerprint)) {
		rc = halo_error_set(HALO_EUSAGE, "run %lld was made with '%s' but the server now serves '%s'",
				    (long long)resume_run, stored.fingerprint, info.fingerprint);
		goto out;
	}
	const char *model = o.model ? o.model : info.model;
	const halo_model *cm = NULL;
	if (o.catalog_model) {
		if (!(cm = halo_catalog_find(cat, o.catalog_model))) {
			rc = HALO_ENOTFOUND;
			goto out;
		}
	} else {
		const char *names[3] = { info.model_path, info.model, model };
		for (int i = 0; i < 3 && !cm; i++)
			cm = names[i] ? halo_catalog_match_served(cat, names[i]) : NULL;
	}

	if ((rc = open_benches(&o, benches, &n_benches)))
		goto out;
	eff = json_object();
	for (size_t i = 0; i < n_benches; i++) {
		const char *preset_used = NULL;
		if ((rc = resolve_sampling(&benches[i], &o, cm, &preset_used)) ||
		    (rc = config_hash(&benches[i], info.fingerprint, model, o.env.bfcl_prompt_mode, preset_used)))
			goto out;
		json_t *e = json_object();
		set_str(e, "preset", preset_used);
		json_object_set_new(e, "sampling", sampling_to_json(&benches[i].sampling));
		json_object_set_new(e, "config_hash", json_string(benches[i].config_hash));
		json_object_set_new(e, "tasks", json_integer((json_int_t)benches[i].n_tasks));
		set_str(e, "dataset_sha256", benches[i].ops->dataset_sha(benches[i].state));
		json_object_set_new(eff, benches[i].ops->name, e);
	}

	if (resume_run > 0) {
		done.benches = benches;
		done.n_benches = n_benches;
		if ((rc = halo_results_sample_each(db, resume_run, collect_done, &done)))
			goto out;
		qsort(done.keys, done.n, sizeof(*done.keys), cmp_str);
		if ((rc = halo_results_run_set_status(db, resume_run, "running")))
			goto out;
	} else {
		config = config_to_json(&o);
		set_str(config, "catalog_model_matched", cm ? cm->id : NULL);
		json_object_set(config, "effective", eff);
		char *text = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
		if (!text) {
			rc = halo_error_set(HALO_ENOMEM, "out of memory");
			goto out;
		}
		rc = halo_results_run_create(db, o.suite, halo_chat_client_base_url(client), model, info.fingerprint,
					     text, run_id);
		free(text);
		if (rc)
			goto out;
	}

	/* the work list: every selected (task, sample) not already finished */
	unsigned k = o.samples ? o.samples : 1;
	size_t total = 0;
	for (size_t i = 0; i < n_benches; i++)
		total += benches[i].n_tasks * k;
	ctx.items = calloc(total ? total : 1, sizeof(*ctx.items));
	if (!ctx.items) {
		rc = halo_error_set(HALO_ENOMEM, "out of memory");
		goto out;
	}
	for (unsigned s = 0; s < k; s++)
		for (size_t i = 0; i < n_benches; i++)
			for (size_t t = 0; t < benches[i].n_tasks; t++) {
				size_t task = benches[i].tasks[t];
				if (is_done(&done, benches[i].ops->name, benches[i].ops->task_id(benches[i].state, task),
					    (int)s)) {
					ctx.prog.resumed++;
					continue;
				}
				ctx.items[ctx.n_items++] = (struct item){ (unsigned)i, task, (int)s };
			}
	ctx.db = db;
	ctx.client = client;
	ctx.opts = &o;
	ctx.run_id = *run_id;
	ctx.model = o.model; /* only sent when the user named it */
	ctx.benches = benches;
	ctx.prog.total = total;
	ctx.prog.done = ctx.prog.resumed;
	ctx.t0 = halo_mono_s();

	unsigned conc = o.concurrency ? o.concurrency : info.n_slots > 0 ? (unsigned)info.n_slots : 4;
	if (conc > MAX_CONCURRENCY)
		conc = MAX_CONCURRENCY;
	if (conc > ctx.n_items)
		conc = ctx.n_items ? (unsigned)ctx.n_items : 1;
	for (unsigned i = 0; i < conc && ctx.n_items; i++) {
		if ((errno = pthread_create(&threads[i], NULL, worker, &ctx))) {
			rc = halo_error_set(HALO_ERROR, "cannot start worker thread: %s", strerror(errno));
			break;
		}
		n_threads++;
	}
	if (n_threads == 0 && ctx.n_items)
		goto out;
	for (unsigned i = 0; i < n_threads; i++)
		pthread_join(threads[i], NULL);
	rc = 0;
	if (ctx.error) {
		rc = halo_error_set(ctx.error, "%s", ctx.error_msg);
		halo_results_run_set_status(db, *run_id, "interrupted");
	} else if (cancelled(&ctx) && ctx.next < ctx.n_items) {
		rc = 1;
		halo_results_run_set_status(db, *run_id, "interrupted");
	} else if (cancelled(&ctx)) {
		/* stopped with everything taken: in-flight samples may be missing */
		size_t n = 0;
		halo_results_sample_count(db, *run_id, &n);
		rc = n >= total ? 0 : 1;
		halo_results_run_set_status(db, *run_id, rc ? "interrupted" : "done");
	} else {
		rc = halo_results_run_set_status(db, *run_id, "done");
	}
out:
	pthread_mutex_destroy(&ctx.lock);
	json_decref(eff);
	for (size_t i = 0; i < done.n; i++)
		free(done.keys[i]);
	free(done.keys);
	free(ctx.items);
	close_benches(benches, n_benches);
	halo_chat_server_info_free(&info);
	json_decref(config);
	halo_run_free(&stored);
	return rc;
}

/* ---- offline scoring of answers produced by other tools ---- */

struct offline_item {
	size_t task;
	char *content, *tool_calls;
	size_t line;
};

struct offline_ctx {
	halo_results *db;
	int64_t run_id;
	struct bench *b;
	struct offline_item *items;
	size_t n, next;
	pthread_mutex_t lock;
	halo_eval_progress prog;
	const halo_eval_opts *opts;
	double t0;
	int error;
	char error_msg[512];
	/* samples per task so far, so repeated task ids become samples 0, 1, ... */
	int *sample_of;
};

static void *offline_worker(void *arg)
{
	struct offline_ctx *ctx = arg;
	for (;;) {
		pthread_mutex_lock(&ctx->lock);
		if (ctx->error || ctx->next >= ctx->n || (ctx->opts->cancel && *ctx->opts->cancel)) {
			pthread_mutex_unlock(&ctx->lock);
			return NULL;
		}
		size_t idx = ctx->next++;
		pthread_mutex_unlock(&ctx->lock);
		struct offline_item *it = &ctx->items[idx];
		struct bench *b = ctx->b;
		halo_eval_answer ans = { it->content ? it->content : "", it->tool_calls, false };
		halo_eval_score score = { HALO_OUTCOME_INFRA, NULL };
		if (b->ops->score(b->state, it->task, &ans, &score)) {
			score.outcome = HALO_OUTCOME_INFRA;
			free(score.detail_json);
			score.detail_json = error_detail("error", halo_error_last()->message);
		}
		json_t *r = json_object();
		set_str(r, "content", it->content);
		if (it->tool_calls) {
			json_t *tc = json_loads(it->tool_calls, JSON_DECODE_ANY, NULL);
			json_object_set_new(r, "tool_calls", tc ? tc : json_string(it->tool_calls));
		}
		json_object_set_new(r, "line", json_integer((json_int_t)it->line));
		char *resp = json_dumps(r, JSON_COMPACT);
		json_decref(r);
		const char *task_id = b->ops->task_id(b->state, it->task);
		halo_sample_row row = {
			.benchmark = b->ops->name,
			.task_id = task_id,
			.sample = ctx->sample_of[idx],
			.category = b->ops->category ? b->ops->category(b->state, it->task) : NULL,
			.config_hash = b->config_hash,
			.outcome = score.outcome,
			.detail_json = score.detail_json,
			.response_json = resp,
			.prompt_tokens = -1, .completion_tokens = -1, .reasoning_tokens = -1,
			.ttft_s = -1, .total_s = -1,
		};
		int rc = halo_results_sample_put(ctx->db, ctx->run_id, &row);
		free(resp);
		pthread_mutex_lock(&ctx->lock);
		if (rc && !ctx->error) {
			ctx->error = rc;
			snprintf(ctx->error_msg, sizeof(ctx->error_msg), "%s", halo_error_last()->message);
		} else if (!rc) {
			progress_step(&ctx->prog, ctx->opts, ctx->t0, b->ops->name, task_id, score.outcome, -1);
		}
		pthread_mutex_unlock(&ctx->lock);
		free(score.detail_json);
	}
}

int halo_eval_score_file(halo_results *db, const char *benchmark, const char *path, const halo_eval_opts *opts,
			 int64_t *run_id)
{
	struct bench b;
	struct offline_ctx ctx;
	halo_jsonl *in = NULL;
	json_t *config = NULL;
	char suite[64], file_sha[65];
	size_t cap = 0;
	int rc;

	memset(&b, 0, sizeof(b));
	memset(&ctx, 0, sizeof(ctx));
	pthread_mutex_init(&ctx.lock, NULL);
	*run_id = 0;
	if (!(b.ops = halo_benchmark_find(benchmark))) {
		rc = halo_error_set(HALO_EUSAGE, "'%s' is not a benchmark (humaneval, mbpp, ifeval, bfcl)", benchmark);
		goto out;
	}
	if (!b.ops->offline_record) {
		rc = halo_error_set(HALO_EUNSUPPORTED, "%s cannot score files", benchmark);
		goto out;
	}
	if ((rc = halo_sha256_file(path, file_sha)))
		goto out;
	if ((rc = b.ops->open(&opts->env, &b.state))) {
		b.state = NULL;
		rc = halo_error_prefix("%s", benchmark);
		goto out;
	}
	if ((rc = config_hash(&b, file_sha, NULL, opts->env.bfcl_prompt_mode, NULL)))
		goto out;
	if ((rc = halo_jsonl_open(&in, path, 0)))
		goto out;
	const char *line;
	size_t len;
	while ((rc = halo_jsonl_next(in, &line, &len)) == 1) {
		size_t task = 0;
		char *content = NULL, *tool_calls = NULL;
		int r = b.ops->offline_record(b.state, line, len, &task, &content, &tool_calls);
		if (r < 0) {
			rc = halo_error_prefix("'%s':%zu", path, halo_jsonl_lineno(in));
			goto out;
		}
		if (r > 0)
			continue;
		if (ctx.n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct offline_item *ni = realloc(ctx.items, ncap * sizeof(*ni));
			if (!ni) {
				free(content);
				free(tool_calls);
				rc = halo_error_set(HALO_ENOMEM, "out of memory");
				goto out;
			}
			ctx.items = ni;
			cap = ncap;
		}
		ctx.items[ctx.n++] = (struct offline_item){ task, content, tool_calls, halo_jsonl_lineno(in) };
	}
	if (rc < 0)
		goto out;
	if (ctx.n == 0) {
		rc = halo_error_set(HALO_EFORMAT, "'%s': no %s answers in it", path, benchmark);
		goto out;
	}
	/* repeated task ids are further samples of that task (pass@k) */
	ctx.sample_of = calloc(ctx.n, sizeof(*ctx.sample_of));
	size_t n_tasks = b.ops->n_tasks(b.state);
	int *seen = calloc(n_tasks ? n_tasks : 1, sizeof(*seen));
	if (!ctx.sample_of || !seen) {
		free(seen);
		rc = halo_error_set(HALO_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ctx.n; i++)
		ctx.sample_of[i] = ctx.items[i].task < n_tasks ? seen[ctx.items[i].task]++ : 0;
	free(seen);

	config = json_object();
	set_str(config, "benchmark", benchmark);
	set_str(config, "file", path);
	set_str(config, "file_sha256", file_sha);
	set_str(config, "bfcl_mode", opts->env.bfcl_prompt_mode ? "prompt" : "native");
	set_str(config, "dataset_sha256", b.ops->dataset_sha(b.state));
	char *text = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(suite, sizeof(suite), "score:%s", benchmark);
	rc = text ? halo_results_run_create(db, suite, path, NULL, file_sha, text, run_id)
		  : halo_error_set(HALO_ENOMEM, "out of memory");
	free(text);
	if (rc)
		goto out;

	ctx.db = db;
	ctx.run_id = *run_id;
	ctx.b = &b;
	ctx.opts = opts;
	ctx.prog.total = ctx.n;
	ctx.t0 = halo_mono_s();
	unsigned conc = opts->concurrency ? opts->concurrency : 2;
	if (conc > MAX_CONCURRENCY)
		conc = MAX_CONCURRENCY;
	pthread_t threads[MAX_CONCURRENCY];
	unsigned started = 0;
	for (unsigned i = 0; i < conc && i < ctx.n; i++)
		if (!pthread_create(&threads[i], NULL, offline_worker, &ctx))
			started++;
	if (!started)
		offline_worker(&ctx);
	for (unsigned i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	if (ctx.error)
		rc = halo_error_set(ctx.error, "%s", ctx.error_msg);
	else if (opts->cancel && *opts->cancel && ctx.next < ctx.n)
		rc = 1;
	halo_results_run_set_status(db, *run_id, rc ? "interrupted" : "done");
out:
	for (size_t i = 0; i < ctx.n; i++) {
		free(ctx.items[i].content);
		free(ctx.items[i].tool_calls);
	}
	free(ctx.items);
	free(ctx.sample_of);
	pthread_mutex_destroy(&ctx.lock);
	halo_jsonl_close(in);
	json_decref(config);
	close_benches(&b, b.ops ? 1 : 0);
	return rc;
}
