/*
 * halo eval: evaluate a model through its OpenAI-compatible server.
 *
 *   halo eval SUITE [options]          run (quick, code, tooluse, full, or one benchmark)
 *   halo eval --resume RUN [options]   continue an interrupted run
 *   halo eval score BENCHMARK FILE     score answers produced by another tool
 *   halo eval list                     stored runs
 *   halo eval show RUN                 a run's report
 */
#include "cli.h"
#include "options.h"

#include "catalog.h"
#include "clock.h"
#include "error.h"
#include "eval/chat.h"
#include "eval/report.h"
#include "eval/results.h"
#include "eval/runner.h"
#include "paths.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const usage[] = {
	"halo eval <suite> [--server <url>] [--limit <n>] [--ids <list>] [--shard <i/n>] [--samples <k>] [--json]",
	"halo eval --resume <run> [--server <url>]",
	"halo eval score <benchmark> <file> [--json]",
	"halo eval list [--json]",
	"halo eval show <run> [--per-sample] [--json]",
	NULL,
};
static const struct command_help help = {
	usage,
	"Asks the model behind an OpenAI-compatible server (llama-server, Ollama) every task of\n"
	"a suite and scores the answers natively:\n"
	"  quick    HumanEval+ and IFEval        code     HumanEval+ and MBPP+\n"
	"  tooluse  BFCL (single turn)           full     all four\n"
	"  or one benchmark: humaneval, mbpp, ifeval, bfcl.\n"
	"Sampling defaults to the catalog preset of the served model (thinking-coding for code,\n"
	"thinking otherwise). Every request, answer and verdict is stored in the results\n"
	"database (~/.local/share/halo/halo.db), one sample at a time: an interrupted run\n"
	"continues with --resume. Datasets are downloaded on first use into ~/.cache/halo/datasets\n"
	"and verified by their pinned SHA-256. See docs/eval.md.",
	0, 3,
};

static volatile int cancel_flag;


struct progress_state {
	int tty;
	double last_print;
	size_t last_done;
};

static void fmt_eta(char *buf, size_t n, double s)
{
	if (!isfinite(s) || s < 0)
		snprintf(buf, n, "?");
	else if (s >= 3600)
		snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
	else if (s >= 60)
		snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
	else
		snprintf(buf, n, "%ds", (int)s);
}

static void on_progress(const halo_eval_progress *p, void *ud)
{
	struct progress_state *ps = ud;
	double now = halo_mono_s();
	size_t fresh = p->done - p->resumed;
	double rate = p->elapsed_s > 0 ? (double)fresh / p->elapsed_s : 0;
	double eta = rate > 0 ? (double)(p->total - p->done) / rate : NAN;
	double tps = p->elapsed_s > 0 ? (double)p->completion_tokens / p->elapsed_s : 0;
	char etab[32];
	fmt_eta(etab, sizeof(etab), eta);
	double pass = p->done ? 100.0 * (double)p->passed / (double)(p->done - p->resumed ? p->done - p->resumed : 1) : 0;
	if (ps->tty) {
		fprintf(stderr, "\r\033[K%zu/%zu  pass %.1f%%  %.0f tok/s  ETA %s  [%s %s: %s]", p->done, p->total,
			pass, tps, etab, p->benchmark, p->task_id, halo_outcome_name(p->outcome));
		if (p->done == p->total)
			fputc('\n', stderr);
		fflush(stderr);
		return;
	}
	/* plain lines: every 10% or 30 s, and the last one */
	size_t step = p->total >= 10 ? p->total / 10 : 1;
	if (p->done != p->total && p->done - ps->last_done < step && now - ps->last_print < 30)
		return;
	ps->last_done = p->done;
	ps->last_print = now;
	fprintf(stderr, "halo eval: %zu/%zu done, pass %.1f%%, %.0f tok/s, ETA %s\n", p->done, p->total, pass, tps,
		etab);
}

static void on_note(const char *line, void *ud)
{
	(void)ud;
	fprintf(stderr, "halo eval: %s\n", line);
}

static int open_db(const char *opt, halo_results **db)
{
	char path[4096];
	if (opt)
		snprintf(path, sizeof(path), "%s", opt);
	else if (halo_results_default_path(path, sizeof(path)))
		return cli_fail(halo_error_last()->code);
	if (halo_results_open(db, path))
		return cli_fail(halo_error_last()->code);
	return 0;
}

static double jnum(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void print_report(const json_t *r)
{
	const json_t *run = json_object_get(r, "run");
	const char *model = json_string_value(json_object_get(run, "model"));
	const char *server = json_string_value(json_object_get(run, "server"));
	time_t created = (time_t)jnum(run, "created");
	char when[64];
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&created));
	printf("run %lld  %s  %s  %s\n", (long long)json_integer_value(json_object_get(run, "id")),
	       json_string_value(json_object_get(run, "suite")), json_string_value(json_object_get(run, "status")), when);
	printf("  model %s  server %s\n", model ? model : "?", server ? server : "?");
	const char *name;
	json_t *b;
	json_object_foreach(json_object_get(r, "benchmarks"), name, b) {
		long long n = json_integer_value(json_object_get(b, "samples"));
		printf("\n%s: %lld samples, pass %.1f%%\n", name, n, 100 * jnum(b, "pass_rate"));
		if (!strcmp(name, "humaneval") || !strcmp(name, "mbpp")) {
			const char *k;
			json_t *v;
			json_object_foreach(json_object_get(b, "plus"), k, v)
				printf("  %-8s base %5.1f%%  plus %5.1f%%\n", k,
				       100 * jnum(json_object_get(b, "base"), k), 100 * json_number_value(v));
		} else if (!strcmp(name, "ifeval")) {
			printf("  prompt-level       strict %5.1f%%  loose %5.1f%%\n", 100 * jnum(b, "prompt_strict"),
			       100 * jnum(b, "prompt_loose"));
			printf("  instruction-level  strict %5.1f%%  loose %5.1f%%\n", 100 * jnum(b, "instruction_strict"),
			       100 * jnum(b, "instruction_loose"));
			const char *id;
			json_t *c;
			json_object_foreach(json_object_get(b, "instructions"), id, c)
				printf("    %-44s %4lld  strict %5.1f%%  loose %5.1f%%\n", id,
				       (long long)json_integer_value(json_object_get(c, "n")),
				       100 * jnum(c, "strict_accuracy"), 100 * jnum(c, "loose_accuracy"));
		} else if (!strcmp(name, "bfcl")) {
			const char *cat;
			json_t *c;
			json_object_foreach(json_object_get(b, "categories"), cat, c)
				printf("  %-24s %4lld  %5.1f%%  (strict %5.1f%%)\n", cat,
				       (long long)json_integer_value(json_object_get(c, "n")), 100 * jnum(c, "accuracy"),
				       100 * jnum(c, "strict_accuracy"));
			printf("  %-24s       %5.1f%%  (strict %5.1f%%)\n", "mean over categories", 100 * jnum(b, "accuracy"),
			       100 * jnum(b, "strict_accuracy"));
		}
	}
	const json_t *o = json_object_get(r, "outcomes");
	printf("\noutcomes: pass %lld, wrong %lld, parse_error %lld, truncated %lld, timeout %lld, infra_error %lld\n",
	       (long long)json_integer_value(json_object_get(o, "pass")),
	       (long long)json_integer_value(json_object_get(o, "wrong")),
	       (long long)json_integer_value(json_object_get(o, "parse_error")),
	       (long long)json_integer_value(json_object_get(o, "truncated")),
	       (long long)json_integer_value(json_object_get(o, "timeout")),
	       (long long)json_integer_value(json_object_get(o, "infra_error")));
	const json_t *t = json_object_get(r, "totals");
	printf("tokens: prompt %lld, completion %lld, reasoning %lld; request time %.1f s\n",
	       (long long)json_integer_value(json_object_get(t, "prompt_tokens")),
	       (long long)json_integer_value(json_object_get(t, "completion_tokens")),
	       (long long)json_integer_value(json_object_get(t, "reasoning_tokens")), jnum(t, "request_seconds"));
}

static json_t *parsed_or_null(const char *text)
{
	json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	return v ? v : json_null();
}

struct samples_ctx {
	json_t *arr; /* NULL: print lines */
};

static int sample_one(const halo_sample_row *row, void *ud)
{
	struct samples_ctx *sc = ud;
	const char *outcome = halo_outcome_name((halo_outcome)row->outcome);
	if (!sc->arr) {
		/* one line: the scorer's short reason, not its whole detail */
		json_t *d = parsed_or_null(row->detail_json);
		const char *why = json_string_value(json_object_get(d, "error"));
		const char *more = json_string_value(json_object_get(d, "detail"));
		printf("%-10s %-32s %3d  %-12s %s%s%s\n", row->benchmark, row->task_id, row->sample, outcome,
		       why ? why : "", why && *why && more && *more ? ": " : "", more ? more : "");
		json_decref(d);
		return 0;
	}
	json_t *o = json_object();
	json_object_set_new(o, "benchmark", json_string(row->benchmark ? row->benchmark : ""));
	json_object_set_new(o, "task_id", json_string(row->task_id ? row->task_id : ""));
	json_object_set_new(o, "sample", json_integer(row->sample));
	json_object_set_new(o, "category", row->category ? json_string(row->category) : json_null());
	json_object_set_new(o, "outcome", json_string(outcome));
	json_object_set_new(o, "detail", parsed_or_null(row->detail_json));
	json_object_set_new(o, "request", parsed_or_null(row->request_json));
	json_object_set_new(o, "response", parsed_or_null(row->response_json));
	json_object_set_new(o, "prompt_tokens", row->prompt_tokens >= 0 ? json_integer(row->prompt_tokens) : json_null());
	json_object_set_new(o, "completion_tokens",
			    row->completion_tokens >= 0 ? json_integer(row->completion_tokens) : json_null());
	json_object_set_new(o, "reasoning_tokens",
			    row->reasoning_tokens >= 0 ? json_integer(row->reasoning_tokens) : json_null());
	json_object_set_new(o, "ttft_s", row->ttft_s >= 0 ? json_real(row->ttft_s) : json_null());
	json_object_set_new(o, "total_s", row->total_s >= 0 ? json_real(row->total_s) : json_null());
	json_object_set_new(o, "attempts", json_integer(row->attempts));
	json_array_append_new(sc->arr, o);
	return 0;
}

static int show_run(halo_results *db, int64_t id, bool json, bool samples)
{
	json_t *r = NULL;
	if (halo_eval_report(db, id, &r))
		return cli_fail(halo_error_last()->code);
	struct samples_ctx sc = { json ? json_array() : NULL };
	if (json) {
		if (samples && halo_results_sample_each(db, id, sample_one, &sc)) {
			json_decref(sc.arr);
			json_decref(r);
			return cli_fail(halo_error_last()->code);
		}
		if (samples)
			json_object_set_new(r, "samples", sc.arr);
		else
			json_decref(sc.arr);
		return cli_print_json(r);
	}
	print_report(r);
	json_decref(r);
	if (samples) {
		printf("\n");
		if (halo_results_sample_each(db, id, sample_one, &sc))
			return cli_fail(halo_error_last()->code);
	}
	return EXIT_OK;
}

struct list_ctx {
	halo_results *db;
	json_t *arr;
	bool json;
	int rc;
};

static int list_one(const halo_run *run, void *ud)
{
	struct list_ctx *l = ud;
	json_t *r = NULL;
	if (halo_eval_report(l->db, run->id, &r))
		return l->rc = cli_fail(halo_error_last()->code);
	const json_t *t = json_object_get(r, "totals");
	long long n = json_integer_value(json_object_get(t, "samples"));
	long long pass = json_integer_value(json_object_get(json_object_get(r, "outcomes"), "pass"));
	if (l->json) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(run->id));
		json_object_set_new(o, "suite", json_string(run->suite));
		json_object_set_new(o, "status", json_string(run->status));
		json_object_set_new(o, "model", run->model ? json_string(run->model) : json_null());
		json_object_set_new(o, "server", run->server ? json_string(run->server) : json_null());
		json_object_set_new(o, "created", json_real(run->created));
		json_object_set_new(o, "samples", json_integer(n));
		json_object_set_new(o, "passed", json_integer(pass));
		json_array_append_new(l->arr, o);
	} else {
		time_t created = (time_t)run->created;
		char when[64];
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&created));
		printf("%5lld  %s  %-16s %-12s %6lld samples  pass %5.1f%%  %s\n", (long long)run->id, when, run->suite,
		       run->status, n, n ? 100.0 * (double)pass / (double)n : 0.0, run->model ? run->model : "");
	}
	json_decref(r);
	return 0;
}

static int parse_run_id(const char *s, int64_t *id)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || v <= 0)
		return cli_error(EXIT_USAGE, "'%s' is not a run number", s);
	*id = v;
	return 0;
}

static int parse_shard(const char *s, unsigned *i, unsigned *n)
{
	unsigned a, b;
	char tail;
	if (sscanf(s, "%u/%u%c", &a, &b, &tail) != 2 || b == 0 || a < 1 || a > b)
		return cli_error(EXIT_USAGE, "--shard '%s': expected i/n with 1 <= i <= n", s);
	*i = a;
	*n = b;
	return 0;
}

static void set_f(halo_chat_optf *f, double v)
{
	if (!isnan(v))
		*f = (halo_chat_optf){ 1, v };
}

static void set_i(halo_chat_opti *f, long v)
{
	if (v != LONG_MIN)
		*f = (halo_chat_opti){ 1, v };
}

int cmd_eval(int argc, const char **argv)
{
	const char *server = NULL, *model = NULL, *api_key = NULL, *ids = NULL, *shard = NULL, *db_path = NULL;
	const char *data_dir = NULL, *mirror = NULL, *python = NULL, *preset = NULL, *catalog_model = NULL;
	const char *bfcl_mode = NULL, *bfcl_categories = NULL, *resume = NULL, *cache_dir = NULL;
	long limit = 0, samples = 1, concurrency = 0, top_k = LONG_MIN, max_tokens = LONG_MIN, seed = LONG_MIN;
	double temperature = NAN, top_p = NAN, min_p = NAN, presence = NAN, repeat = NAN;
	double connect_to = 10, idle_to = 600, total_to = 0;
	bool json = false, no_think = false, no_stream = false, offline = false, show_samples = false;
	const struct option opts[] = {
		OPT_GROUP("server"),
		OPT_STRING(0, "server", &server, "url", "OpenAI-compatible server (default $HALO_SERVER or http://127.0.0.1:8080)"),
		OPT_STRING(0, "model", &model, "name", "model name to send (default: the server's)"),
		OPT_STRING(0, "api-key", &api_key, "key", "bearer token (default $HALO_API_KEY, $OPENAI_API_KEY)"),
		OPT_INT(0, "concurrency", &concurrency, "n", "requests in flight (default: the server's slots, else 4)"),
		OPT_DOUBLE(0, "connect-timeout", &connect_to, "s", "seconds to connect (default 10)"),
		OPT_DOUBLE(0, "idle-timeout", &idle_to, "s", "seconds without a byte from the server (default 600)"),
		OPT_DOUBLE(0, "timeout", &total_to, "s", "seconds for a whole request (default: none)"),
		OPT_BOOL(0, "no-stream", &no_stream, "ask for whole answers instead of streaming"),
		OPT_GROUP("selection"),
		OPT_INT(0, "limit", &limit, "n", "the first n tasks of each benchmark (BFCL: of each category)"),
		OPT_STRING(0, "ids", &ids, "list", "comma-separated task ids"),
		OPT_STRING(0, "shard", &shard, "i/n", "the i-th of n interleaved shards (deterministic)"),
		OPT_INT(0, "samples", &samples, "k", "answers per task, for pass@k (default 1)"),
		OPT_STRING(0, "bfcl-mode", &bfcl_mode, "mode", "native (OpenAI tools, default) or prompt ([f(a=1)] text)"),
		OPT_STRING(0, "bfcl-categories", &bfcl_categories, "list", "BFCL categories (default: all 13)"),
		OPT_GROUP("sampling (default: the served model's catalog preset)"),
		OPT_STRING(0, "preset", &preset, "name", "catalog preset for every benchmark (thinking, instruct, ...)"),
		OPT_STRING(0, "catalog-model", &catalog_model, "id", "catalog model whose presets apply (default: matched)"),
		OPT_BOOL(0, "no-think", &no_think, "disable thinking (instruct preset, enable_thinking=false)"),
		OPT_DOUBLE(0, "temperature", &temperature, "t", NULL),
		OPT_DOUBLE(0, "top-p", &top_p, "p", NULL),
		OPT_INT(0, "top-k", &top_k, "k", NULL),
		OPT_DOUBLE(0, "min-p", &min_p, "p", NULL),
		OPT_DOUBLE(0, "presence-penalty", &presence, "x", NULL),
		OPT_DOUBLE(0, "repeat-penalty", &repeat, "x", NULL),
		OPT_INT(0, "max-tokens", &max_tokens, "n", "answer budget, thinking included"),
		OPT_INT(0, "seed", &seed, "n", "sampling seed (sample i uses seed + i)"),
		OPT_GROUP("data and results"),
		OPT_STRING(0, "data-dir", &data_dir, "dir", "local dataset copy (as shared/datasets); never downloads"),
		OPT_STRING(0, "dataset-mirror", &mirror, "url", "download datasets from here instead of upstream"),
		OPT_BOOL(0, "offline", &offline, "never download datasets"),
		OPT_STRING(0, "cache-dir", &cache_dir, "dir", "halo's cache (default ~/.cache/halo)"),
		OPT_STRING(0, "python", &python, "path", "python3 that runs model-written code (default python3)"),
		OPT_STRING(0, "db", &db_path, "file", "results database (default ~/.local/share/halo/halo.db)"),
		OPT_STRING(0, "resume", &resume, "run", "continue an interrupted run"),
		OPT_BOOL(0, "per-sample", &show_samples, "with show: every sample's outcome (with --json: requests and answers)"),
		OPT_JSON(&json),
		OPT_END(),
	};
	int exit_code = 0;
	int n = parse_options(argc, argv, opts, &help, &exit_code);
	if (n < 0)
		return exit_code;

	halo_results *db = NULL;
	const char *sub = n > 0 ? argv[0] : NULL;
	if (sub && !strcmp(sub, "list")) {
		if (n != 1)
			return cli_error(EXIT_USAGE, "usage: halo eval list [--json]");
		if ((exit_code = open_db(db_path, &db)))
			return exit_code;
		struct list_ctx l = { db, json_array(), json, 0 };
		if (halo_results_run_each(db, list_one, &l) && !l.rc)
			l.rc = cli_fail(halo_error_last()->code);
		halo_results_close(db);
		if (l.rc) {
			json_decref(l.arr);
			return l.rc;
		}
		if (json)
			return cli_print_json(l.arr);
		json_decref(l.arr);
		return EXIT_OK;
	}
	if (sub && !strcmp(sub, "show")) {
		int64_t id;
		if (n != 2)
			return cli_error(EXIT_USAGE, "usage: halo eval show <run> [--json]");
		if ((exit_code = parse_run_id(argv[1], &id)) || (exit_code = open_db(db_path, &db)))
			return exit_code;
		exit_code = show_run(db, id, json, show_samples);
		halo_results_close(db);
		return exit_code;
	}

	halo_eval_opts eo = HALO_EVAL_OPTS_INIT;
	char cache[4096], ds_cache[4200];
	if (cache_dir)
		snprintf(cache, sizeof(cache), "%s", cache_dir);
	else if (halo_user_path(HALO_DIR_CACHE, NULL, cache, sizeof(cache)))
		return cli_fail(halo_error_last()->code);
	snprintf(ds_cache, sizeof(ds_cache), "%s/datasets", cache);
	eo.env.datasets.data_dir = data_dir;
	eo.env.datasets.cache_dir = ds_cache;
	eo.env.datasets.mirror = mirror;
	eo.env.datasets.offline = offline;
	eo.env.cache_dir = cache;
	eo.env.python = python ? python : "python3";
	eo.env.note = on_note;
	if (bfcl_mode && strcmp(bfcl_mode, "native") && strcmp(bfcl_mode, "prompt"))
		return cli_error(EXIT_USAGE, "--bfcl-mode '%s': expected native or prompt", bfcl_mode);
	eo.env.bfcl_prompt_mode = bfcl_mode && !strcmp(bfcl_mode, "prompt");
	eo.env.bfcl_categories = bfcl_categories;
	if (limit < 0 || samples < 1 || samples > 1000 || concurrency < 0 || concurrency > 256)
		return cli_error(EXIT_USAGE, "--limit, --samples (1..1000) and --concurrency (0..256) are out of range");
	eo.limit = (size_t)limit;
	eo.samples = (unsigned)samples;
	eo.concurrency = (unsigned)concurrency;
	eo.ids = ids;
	if (shard && (exit_code = parse_shard(shard, &eo.shard_index, &eo.shard_count)))
		return exit_code;
	eo.model = model;
	eo.preset = preset;
	eo.catalog_model = catalog_model;
	eo.no_think = no_think;
	set_f(&eo.overrides.temperature, temperature);
	set_f(&eo.overrides.top_p, top_p);
	set_f(&eo.overrides.min_p, min_p);
	set_f(&eo.overrides.presence_penalty, presence);
	set_f(&eo.overrides.repeat_penalty, repeat);
	set_i(&eo.overrides.top_k, top_k);
	set_i(&eo.overrides.max_tokens, max_tokens);
	set_i(&eo.overrides.seed, seed);
	struct progress_state ps = { isatty(STDERR_FILENO) != 0, 0, 0 };
	eo.progress = on_progress;
	eo.progress_ud = &ps;
	eo.cancel = &cancel_flag;
	eo.env.note_ud = NULL;

	cli_catch_interrupts(&cancel_flag);

	int64_t run_id = 0;
	int rc;
	if (sub && !strcmp(sub, "score")) {
		if (n != 3)
			return cli_error(EXIT_USAGE, "usage: halo eval score <benchmark> <file>");
		if ((exit_code = open_db(db_path, &db)))
			return exit_code;
		rc = halo_eval_score_file(db, argv[1], argv[2], &eo, &run_id);
	} else {
		int64_t resume_id = 0;
		if (resume && (exit_code = parse_run_id(resume, &resume_id)))
			return exit_code;
		if (!resume && n != 1)
			return cli_error(EXIT_USAGE, "which suite? quick, code, tooluse, full, humaneval, mbpp, ifeval or bfcl");
		if (resume && n > 1)
			return cli_error(EXIT_USAGE, "--resume takes no other arguments than the suite");
		eo.suite = n ? argv[0] : NULL;
		if (!server)
			server = getenv("HALO_SERVER");
		if (!api_key)
			api_key = getenv("HALO_API_KEY");
		if (!api_key)
			api_key = getenv("OPENAI_API_KEY");
		halo_chat_opts co = HALO_CHAT_OPTS_INIT;
		co.base_url = server && *server ? server : "http://127.0.0.1:8080";
		co.api_key = api_key && *api_key ? api_key : NULL;
		co.connect_timeout_s = connect_to;
		co.idle_timeout_s = idle_to;
		co.total_timeout_s = total_to;
		co.stream = !no_stream;
		co.cancel = &cancel_flag;
		halo_chat_client *client = NULL;
		if (halo_chat_client_new(&co, &client))
			return cli_fail(halo_error_last()->code);
		if ((exit_code = open_db(db_path, &db))) {
			halo_chat_client_free(client);
			return exit_code;
		}
		halo_catalog cat = HALO_CATALOG_INIT;
		if (halo_catalog_load_default(&cat, NULL)) {
			exit_code = cli_fail(halo_error_last()->code);
			halo_catalog_free(&cat);
			halo_chat_client_free(client);
			halo_results_close(db);
			return exit_code;
		}
		if (resume_id && eo.suite) {
			halo_run stored;
			if (!halo_results_run_get(db, resume_id, &stored)) {
				int same = !strcmp(stored.suite, eo.suite);
				halo_run_free(&stored);
				if (!same) {
					halo_catalog_free(&cat);
					halo_chat_client_free(client);
					halo_results_close(db);
					return cli_error(EXIT_USAGE, "run %lld is not a '%s' run", (long long)resume_id,
							 eo.suite);
				}
			}
		}
		rc = halo_eval_run(db, client, &cat, &eo, resume_id, &run_id);
		halo_catalog_free(&cat);
		halo_chat_client_free(client);
	}
	if (rc < 0) {
		exit_code = cli_fail(halo_error_last()->code);
		if (run_id)
			fprintf(stderr, "halo: run %lld is kept; continue it with 'halo eval --resume %lld'\n",
				(long long)run_id, (long long)run_id);
		halo_results_close(db);
		return exit_code;
	}
	if (rc == 1) {
		fprintf(stderr, "\nhalo: interrupted; run %lld is kept: continue it with 'halo eval --resume %lld'\n",
			(long long)run_id, (long long)run_id);
		halo_results_close(db);
		return 130;
	}
	exit_code = show_run(db, run_id, json, show_samples);
	halo_results_close(db);
	return exit_code;
}
