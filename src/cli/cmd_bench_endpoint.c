/*
 * halo bench endpoint --server URL [--vs URL]: time to first token, prompt and
 * decode speed of a running llama-server at several prompt lengths and
 * concurrencies, and the speed-up of a second server (e.g. with a draft
 * model) on the same workload (src/lib/bench/endpoint.h,
 * docs/bench-endpoint.md).
 */
#include "cli.h"
#include "options.h"
#include "bench_endpoint_print.h"

#include "bench/bench_store.h"
#include "bench/endpoint.h"
#include "error.h"
#include "eval/results.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const usage[] = {
	"halo bench endpoint --server <url> [--vs <url>] [--prompt-tokens 128,512,2048] [-n 128] "
	"[--concurrency 1,2,4] [--requests <n>] [--api-key <key>] [--timeout <s>] [--db <file>] [--json]",
	NULL
};
static const struct command_help help = {
	usage,
	"Measures a running llama-server through its native API: prompts of an exact token\n"
	"length (built with /tokenize, sent as token ids to /completion with a random prefix of\n"
	"their own and cache_prompt off), n generated tokens each (ignore_eos), streamed, so the\n"
	"time to first token (TTFT) is measured here; prompt and decode speeds are the server's\n"
	"own timings. At each concurrency c, c requests run at once. Reports p50/p90/p99 per\n"
	"prompt length and concurrency, the aggregate decode rate (generated tokens / wall time)\n"
	"and, with --vs, the speed-up of the second server and its draft acceptance rate.\n"
	"Each run is stored in halo.db ('halo bench list', 'halo bench show endpoint:N');\n"
	"exit status 130 when interrupted (what was measured is kept). See docs/bench-endpoint.md.",
	0, 0,
};

static volatile int cancel_flag;

/* "128,512,2048" into v[0..*n); each in [lo, hi]. */
static int parse_list(const char *what, const char *s, long lo, long hi, long *v, size_t cap, size_t *n)
{
	*n = 0;
	const char *p = s;
	while (*p) {
		char *end;
		errno = 0;
		long x = strtol(p, &end, 10);
		if (end == p || errno || x < lo || x > hi || (*end && *end != ','))
			return cli_error(EXIT_USAGE, "--%s: '%s' is not a list of integers in [%ld, %ld]", what, s,
					 lo, hi);
		if (*n == cap)
			return cli_error(EXIT_USAGE, "--%s: more than %zu values", what, cap);
		v[(*n)++] = x;
		p = *end ? end + 1 : end;
	}
	if (!*n)
		return cli_error(EXIT_USAGE, "--%s: empty list", what);
	return 0;
}

struct progress {
	const char *url;
	int tty;
};

static void on_progress(void *ud, const halo_endpoint_level *lv, size_t done, const halo_endpoint_sample *last)
{
	const struct progress *p = ud;
	if (!last->ok)
		fprintf(stderr, "%shalo bench endpoint: %s p=%zu c=%d: request failed: %s\n", p->tty ? "\r\033[K" : "",
			p->url, lv->prompt_tokens, lv->concurrency, last->error);
	if (p->tty) {
		fprintf(stderr, "\r\033[K%s  prompt %zu  concurrency %d  %zu/%zu", p->url, lv->prompt_tokens,
			lv->concurrency, done, lv->requests);
		if (done == lv->requests)
			fputc('\n', stderr);
		fflush(stderr);
	} else if (done == lv->requests) {
		fprintf(stderr, "halo bench endpoint: %s prompt %zu concurrency %d: %zu requests done\n", p->url,
			lv->prompt_tokens, lv->concurrency, done);
	}
}

static double acceptance(const halo_endpoint_level *lv)
{
	return lv->draft_n > 0 ? (double)lv->draft_n_accepted / (double)lv->draft_n : NAN;
}

/* ---- JSON ---- */

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *stat_json(const halo_endpoint_stat *s)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "n", (json_int_t)s->n, "p50", num(s->p50), "p90",
			 num(s->p90), "p99", num(s->p99), "mean", num(s->mean), "min", num(s->min), "max",
			 num(s->max));
}

static json_t *ll_or_null(long long v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static json_t *sample_json(const halo_endpoint_sample *s)
{
	json_t *o = json_pack("{s:b, s:o, s:o}", "ok", s->ok, "ttft_ms", num(s->ttft_ms >= 0 ? s->ttft_ms : NAN),
			      "total_ms", num(s->total_ms));
	if (!s->ok) {
		json_object_set_new(o, "error", json_string(s->error));
		return o;
	}
	json_object_set_new(o, "prompt_mismatch", json_boolean(s->prompt_mismatch));
	json_object_set_new(o, "cache_n", ll_or_null(s->t.cache_n));
	json_object_set_new(o, "prompt_n", ll_or_null(s->t.prompt_n));
	json_object_set_new(o, "prompt_ms", num(s->t.prompt_ms >= 0 ? s->t.prompt_ms : NAN));
	json_object_set_new(o, "prompt_per_second", num(s->t.prompt_per_second >= 0 ? s->t.prompt_per_second : NAN));
	json_object_set_new(o, "predicted_n", ll_or_null(s->t.predicted_n));
	json_object_set_new(o, "predicted_ms", num(s->t.predicted_ms >= 0 ? s->t.predicted_ms : NAN));
	json_object_set_new(o, "predicted_per_second",
			    num(s->t.predicted_per_second >= 0 ? s->t.predicted_per_second : NAN));
	json_object_set_new(o, "draft_n", ll_or_null(s->t.draft_n));
	json_object_set_new(o, "draft_n_accepted", ll_or_null(s->t.draft_n_accepted));
	return o;
}

/* The server's fingerprint (GET /props, /slots), or null when it had none. */
static json_t *props_json(const halo_endpoint_report *r)
{
	const halo_endpoint_props *p = r->props;
	if (!p)
		return json_null();
	return json_pack("{s:s, s:s?, s:s?, s:o, s:o, s:s?, s:o}", "url", r->url, "model_path", p->model_path,
			 "model_alias", p->model_alias, "n_ctx", ll_or_null(p->n_ctx), "total_slots",
			 ll_or_null(p->total_slots), "build_info", p->build_info, "speculative",
			 p->speculative < 0 ? json_null() : json_boolean(p->speculative));
}

static json_t *report_json(const halo_endpoint_report *r)
{
	json_t *levels = json_array();
	for (size_t i = 0; i < r->n_levels; i++) {
		const halo_endpoint_level *lv = &r->levels[i];
		json_t *samples = json_array();
		for (size_t k = 0; k < lv->requests; k++)
			json_array_append_new(samples, sample_json(&lv->samples[k]));
		json_t *o = json_pack("{s:I, s:i, s:I, s:I, s:I, s:o, s:o, s:f, s:I, s:f}", "prompt_tokens",
				      (json_int_t)lv->prompt_tokens, "concurrency", lv->concurrency, "requests",
				      (json_int_t)lv->requests, "failures", (json_int_t)lv->failures,
				      "prompt_mismatches", (json_int_t)lv->prompt_mismatches, "prompt_n_min",
				      ll_or_null(lv->prompt_n_min), "prompt_n_max", ll_or_null(lv->prompt_n_max),
				      "wall_s", lv->wall_s, "generated", (json_int_t)lv->generated, "aggregate_tps",
				      lv->aggregate_tps);
		json_object_set_new(o, "ttft_ms", stat_json(&lv->ttft_ms));
		json_object_set_new(o, "pp_tps", stat_json(&lv->pp_tps));
		json_object_set_new(o, "tg_tps", stat_json(&lv->tg_tps));
		json_object_set_new(o, "draft_n", ll_or_null(lv->draft_n));
		json_object_set_new(o, "draft_n_accepted", ll_or_null(lv->draft_n_accepted));
		json_object_set_new(o, "acceptance", num(acceptance(lv)));
		json_object_set_new(o, "samples", samples);
		json_array_append_new(levels, o);
	}
	return json_pack("{s:s, s:I, s:o}", "url", r->url, "pool_tokens", (json_int_t)r->pool_tokens, "levels",
			 levels);
}

/* vs / base for rates; base / vs for times: above 1, --vs is faster. */
static double ratio(double a, double b)
{
	return isfinite(a) && isfinite(b) && b > 0 ? a / b : NAN;
}

static json_t *compare_json(const halo_endpoint_report *a, const halo_endpoint_report *b)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < a->n_levels && i < b->n_levels; i++) {
		const halo_endpoint_level *x = &a->levels[i], *y = &b->levels[i];
		json_array_append_new(
			arr, json_pack("{s:I, s:i, s:o, s:o, s:o, s:o, s:o, s:o}", "prompt_tokens",
				       (json_int_t)x->prompt_tokens, "concurrency", x->concurrency, "tg_speedup_p50",
				       num(ratio(y->tg_tps.p50, x->tg_tps.p50)), "aggregate_speedup",
				       num(ratio(y->aggregate_tps, x->aggregate_tps)), "ttft_speedup_p50",
				       num(ratio(x->ttft_ms.p50, y->ttft_ms.p50)), "pp_speedup_p50",
				       num(ratio(y->pp_tps.p50, x->pp_tps.p50)), "server_acceptance",
				       num(acceptance(x)), "vs_acceptance", num(acceptance(y))));
	}
	return arr;
}

/* ---- table (from the JSON document, so a stored run prints the same) ---- */

/* o[key] as a number; NAN when missing or null. */
static double jnum(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static double jstat(const json_t *lv, const char *stat, const char *key)
{
	return jnum(json_object_get(lv, stat), key);
}

/* v with `prec` decimals and a suffix, or "-" when unknown. */
static const char *fx(char *buf, size_t n, double v, int prec, const char *suffix)
{
	if (isfinite(v))
		snprintf(buf, n, "%.*f%s", prec, v, suffix);
	else
		snprintf(buf, n, "-");
	return buf;
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static void print_report(const json_t *r)
{
	char a[32], b[32], c[32], d[32], e[32], g[32], h[32], k[32];
	const json_t *levels = json_object_get(r, "levels");
	printf("%s\n", jstr(r, "url"));
	printf("%7s %4s %9s  %26s  %9s  %26s  %9s  %6s\n", "prompt", "conc", "ok/reqs", "TTFT ms p50/p90/p99",
	       "pp t/s", "tg t/s p50/p90/p99", "agg t/s", "accept");
	for (size_t i = 0; i < json_array_size(levels); i++) {
		const json_t *lv = json_array_get(levels, i);
		char okr[64], ttft[80], tg[80];
		snprintf(okr, sizeof(okr), "%.0f/%.0f", jnum(lv, "requests") - jnum(lv, "failures"),
			 jnum(lv, "requests"));
		snprintf(ttft, sizeof(ttft), "%s/%s/%s", fx(a, sizeof(a), jstat(lv, "ttft_ms", "p50"), 1, ""),
			 fx(b, sizeof(b), jstat(lv, "ttft_ms", "p90"), 1, ""),
			 fx(c, sizeof(c), jstat(lv, "ttft_ms", "p99"), 1, ""));
		snprintf(tg, sizeof(tg), "%s/%s/%s", fx(d, sizeof(d), jstat(lv, "tg_tps", "p50"), 1, ""),
			 fx(e, sizeof(e), jstat(lv, "tg_tps", "p90"), 1, ""),
			 fx(g, sizeof(g), jstat(lv, "tg_tps", "p99"), 1, ""));
		printf("%7.0f %4.0f %9s  %26s  %9s  %26s  %9s  %6s\n", jnum(lv, "prompt_tokens"),
		       jnum(lv, "concurrency"), okr, ttft, fx(h, sizeof(h), jstat(lv, "pp_tps", "p50"), 1, ""), tg,
		       fx(k, sizeof(k), jnum(lv, "aggregate_tps"), 1, ""),
		       fx(a, sizeof(a), jnum(lv, "acceptance"), 3, "")); /* a: free again, ttft is printed */
	}
}

static void print_compare(const json_t *x, const json_t *y)
{
	/* one buffer per value: all are arguments of one printf */
	char a[32], b[32], c[32], d[32], e[32], g[32], h[32], k[32], m[32];
	const json_t *xl = json_object_get(x, "levels"), *yl = json_object_get(y, "levels");
	printf("\n--vs %s against %s (above 1: --vs is faster)\n", jstr(y, "url"), jstr(x, "url"));
	printf("%7s %4s  %11s %11s %8s  %11s %11s %8s  %8s  %7s %7s\n", "prompt", "conc", "tg p50", "vs tg p50",
	       "speedup", "TTFT p50", "vs TTFT p50", "speedup", "agg x", "accept", "vs acc");
	for (size_t i = 0; i < json_array_size(xl) && i < json_array_size(yl); i++) {
		const json_t *p = json_array_get(xl, i), *q = json_array_get(yl, i);
		double ptg = jstat(p, "tg_tps", "p50"), qtg = jstat(q, "tg_tps", "p50");
		double ptt = jstat(p, "ttft_ms", "p50"), qtt = jstat(q, "ttft_ms", "p50");
		printf("%7.0f %4.0f  %11s %11s %8s  %11s %11s %8s  %8s  %7s %7s\n", jnum(p, "prompt_tokens"),
		       jnum(p, "concurrency"), fx(a, sizeof(a), ptg, 1, ""), fx(b, sizeof(b), qtg, 1, ""),
		       fx(c, sizeof(c), ratio(qtg, ptg), 2, "x"), fx(d, sizeof(d), ptt, 1, ""),
		       fx(e, sizeof(e), qtt, 1, ""), fx(g, sizeof(g), ratio(ptt, qtt), 2, "x"),
		       fx(h, sizeof(h), ratio(jnum(q, "aggregate_tps"), jnum(p, "aggregate_tps")), 2, "x"),
		       fx(k, sizeof(k), jnum(p, "acceptance"), 3, ""), fx(m, sizeof(m), jnum(q, "acceptance"), 3, ""));
	}
}

/* "server  URL  model twin.gguf, n_ctx 512, 2 slots, build b1-80fb11a": what
 * was measured. Runs stored before fingerprints print no such line. */
static void print_fingerprint(const char *label, const json_t *report, const json_t *fp)
{
	if (!json_is_object(fp)) {
		printf("%-6s  %s  (no /props: model and settings unknown)\n", label, jstr(report, "url"));
		return;
	}
	const char *model = jstr(fp, "model_path"), *slash = strrchr(model, '/');
	if (!*model)
		model = jstr(fp, "model_alias");
	else if (slash && slash[1])
		model = slash + 1;
	char ctx[48] = "", slots[48] = "";
	if (json_is_integer(json_object_get(fp, "n_ctx")))
		snprintf(ctx, sizeof(ctx), ", n_ctx %.0f", jnum(fp, "n_ctx"));
	if (json_is_integer(json_object_get(fp, "total_slots")))
		snprintf(slots, sizeof(slots), ", %.0f slot%s", jnum(fp, "total_slots"),
			 jnum(fp, "total_slots") == 1 ? "" : "s");
	const json_t *spec = json_object_get(fp, "speculative");
	printf("%-6s  %s  model %s%s%s, build %s%s\n", label, jstr(report, "url"), *model ? model : "?", ctx, slots,
	       *jstr(fp, "build_info") ? jstr(fp, "build_info") : "?",
	       json_is_true(spec) ? ", speculative (draft)" : "");
}

void bench_endpoint_print_table(const json_t *doc)
{
	const json_t *srv = json_object_get(doc, "server"), *vs = json_object_get(doc, "vs");
	const json_t *fps = json_object_get(doc, "servers");
	if (json_is_object(fps)) {
		print_fingerprint("server", srv, json_object_get(fps, "server"));
		if (json_object_get(fps, "vs"))
			print_fingerprint("vs", vs ? vs : json_object_get(fps, "vs"), json_object_get(fps, "vs"));
		printf("\n");
	}
	print_report(srv);
	if (json_is_object(vs)) {
		printf("\n");
		print_report(vs);
		print_compare(srv, vs);
	}
}

/* Failures and prompt-length mismatches, on stderr. Returns the number of
 * successful requests. */
static size_t warn_report(const halo_endpoint_report *r)
{
	size_t ok = 0;
	for (size_t i = 0; i < r->n_levels; i++) {
		const halo_endpoint_level *lv = &r->levels[i];
		ok += lv->requests - lv->failures;
		if (lv->failures)
			fprintf(stderr, "halo bench endpoint: %s prompt %zu concurrency %d: %zu of %zu requests failed\n",
				r->url, lv->prompt_tokens, lv->concurrency, lv->failures, lv->requests);
		if (lv->prompt_mismatches)
			fprintf(stderr,
				"halo bench endpoint: %s prompt %zu concurrency %d: %zu requests evaluated a prompt of "
				"another length (prompt_n %lld..%lld, sent %zu)\n",
				r->url, lv->prompt_tokens, lv->concurrency, lv->prompt_mismatches, lv->prompt_n_min,
				lv->prompt_n_max, lv->prompt_tokens);
	}
	return ok;
}

/* The run's parameters, for its record (never the API key). */
static char *params_json(const size_t *plens, size_t np, const int *concs, size_t nc, long n_predict, long requests,
			 double timeout, bool api_key, uint64_t seed)
{
	json_t *p = json_array(), *c = json_array();
	for (size_t i = 0; i < np; i++)
		json_array_append_new(p, json_integer((json_int_t)plens[i]));
	for (size_t i = 0; i < nc; i++)
		json_array_append_new(c, json_integer(concs[i]));
	json_t *o = json_pack("{s:o, s:o, s:I, s:I, s:f, s:b, s:I}", "prompt_tokens", p, "concurrency", c, "n_predict",
			      (json_int_t)n_predict, "requests", (json_int_t)requests, "timeout_s", timeout, "api_key",
			      api_key, "seed", (json_int_t)(seed & 0x7fffffffffffffffULL));
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

/* The run's document (its --json object) from the reports measured so far:
 * b (--vs) may be NULL. */
static json_t *build_doc(const halo_endpoint_report *a, const halo_endpoint_report *b, long n_predict,
			 bool interrupted, uint64_t seed)
{
	json_t *servers = json_pack("{s:o}", "server", props_json(a));
	if (servers && b)
		json_object_set_new(servers, "vs", props_json(b));
	json_t *doc = json_pack("{s:o, s:i, s:o, s:I, s:o}", "server", report_json(a), "n_predict", (int)n_predict,
				"interrupted", json_boolean(interrupted), "seed",
				(json_int_t)(seed & 0x7fffffffffffffffULL), "servers", servers);
	if (doc && b) {
		json_object_set_new(doc, "vs", report_json(b));
		json_object_set_new(doc, "comparison", compare_json(a, b));
	}
	return doc;
}

/* Stores the report so far after each level, so a killed run keeps it. */
struct store_ctx {
	halo_bench_db *db;
	int64_t id;
	const halo_endpoint_report *first; /* the --server report, once measuring --vs */
	long n_predict;
	uint64_t seed;
	bool warned;
};

static void on_level_done(void *ud, const halo_endpoint_report *partial, const halo_endpoint_level *level)
{
	struct store_ctx *sc = ud;
	(void)level;
	json_t *doc = sc->first ? build_doc(sc->first, partial, sc->n_predict, false, sc->seed)
				: build_doc(partial, NULL, sc->n_predict, false, sc->seed);
	if (doc)
		json_object_set_new(doc, "partial", json_true());
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	/* Not fatal: the whole report is stored at the end all the same. */
	if ((!text || halo_bench_endpoint_update(sc->db, sc->id, text)) && !sc->warned) {
		fprintf(stderr, "halo bench endpoint: warning: cannot store the levels so far: %s\n",
			text ? halo_error_last()->message : "out of memory");
		sc->warned = true;
	}
	free(text);
}

int cmd_bench_endpoint(int argc, const char **argv)
{
	const char *server = NULL, *vs = NULL, *ptok = "128,512,2048", *conc = "1,2,4", *api_key = NULL,
		   *db_opt = NULL;
	long n_predict = 128, requests = 0;
	double timeout = 600;
	bool json = false;
	const struct option opts[] = {
		OPT_STRING(0, "server", &server, "url", "the llama-server to measure (http://host:port)"),
		OPT_STRING(0, "vs", &vs, "url", "a second server to compare on the same workload"),
		OPT_STRING(0, "prompt-tokens", &ptok, "list", "prompt lengths in tokens (default 128,512,2048)"),
		OPT_INT('n', "n-predict", &n_predict, "n", "tokens generated per request (default 128)"),
		OPT_STRING(0, "concurrency", &conc, "list", "requests at once (default 1,2,4)"),
		OPT_INT(0, "requests", &requests, "n", "requests per level (default 2 x concurrency, at least 4)"),
		OPT_STRING(0, "api-key", &api_key, "key", "sent as a bearer token (llama-server --api-key)"),
		OPT_DOUBLE(0, "timeout", &timeout, "s", "limit on one request (default 600)"),
		OPT_STRING(0, "db", &db_opt, "file", "results database (default: halo.db in the data folder)"),
		OPT_JSON(&json),
		OPT_END(),
	};
	int exit_code = 0;
	if (parse_options(argc, argv, opts, &help, &exit_code) < 0)
		return exit_code;
	if (!server)
		return cli_error(EXIT_USAGE, "bench endpoint: --server <url> is required");
	if (n_predict < 1 || n_predict > 1000000)
		return cli_error(EXIT_USAGE, "-n must be between 1 and 1000000");
	if (requests < 0 || requests > HALO_ENDPOINT_MAX_REQUESTS)
		return cli_error(EXIT_USAGE, "--requests must be between 1 and %d (0: the default)", HALO_ENDPOINT_MAX_REQUESTS);
	if (!(timeout > 0))
		return cli_error(EXIT_USAGE, "--timeout must be positive");

	long pv[HALO_ENDPOINT_MAX_LEVELS], cv[HALO_ENDPOINT_MAX_LEVELS];
	size_t np, nc;
	if ((exit_code = parse_list("prompt-tokens", ptok, 1, HALO_ENDPOINT_MAX_PROMPT, pv, HALO_ENDPOINT_MAX_LEVELS,
				    &np)) ||
	    (exit_code = parse_list("concurrency", conc, 1, HALO_ENDPOINT_MAX_CONCURRENCY, cv,
				    HALO_ENDPOINT_MAX_LEVELS, &nc)))
		return exit_code;
	if (np * nc > HALO_ENDPOINT_MAX_LEVELS)
		return cli_error(EXIT_USAGE, "at most %d prompt-length x concurrency levels", HALO_ENDPOINT_MAX_LEVELS);
	size_t plens[HALO_ENDPOINT_MAX_LEVELS];
	int concs[HALO_ENDPOINT_MAX_LEVELS];
	for (size_t i = 0; i < np; i++)
		plens[i] = (size_t)pv[i];
	for (size_t i = 0; i < nc; i++)
		concs[i] = (int)cv[i];

	/* One seed for both servers: the same prompts, prefixes included. */
	uint64_t seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ 0x9E3779B97F4A7C15ULL;

	/* The run is recorded "running" before the first request, so a run
	 * killed midway is visible as such. */
	char db_path[4096];
	halo_bench_db *db = NULL;
	int64_t run_id = 0;
	if (db_opt)
		snprintf(db_path, sizeof(db_path), "%s", db_opt);
	else if (halo_results_default_path(db_path, sizeof(db_path)))
		return cli_fail(halo_error_last()->code);
	char *pj = params_json(plens, np, concs, nc, n_predict, requests, timeout, api_key != NULL, seed);
	if (!pj) {
		return cli_error(EXIT_LIMIT, "out of memory");
	}
	if (halo_bench_db_open(&db, db_path) || halo_bench_endpoint_create(db, server, vs, pj, HALO_VERSION, &run_id)) {
		free(pj);
		halo_bench_db_close(db);
		return cli_fail(halo_error_last()->code);
	}
	free(pj);

	cli_catch_interrupts(&cancel_flag);
	const char *urls[2] = { server, vs };
	halo_endpoint_report *rep[2] = { NULL, NULL };
	struct store_ctx sc = { db, run_id, NULL, n_predict, seed, false };
	for (int i = 0; i < 2 && urls[i]; i++) {
		sc.first = i ? rep[0] : NULL;
		struct progress pr = { urls[i], isatty(2) };
		halo_endpoint_opts o = HALO_ENDPOINT_OPTS_INIT;
		o.url = urls[i];
		o.api_key = api_key;
		o.prompt_tokens = plens;
		o.n_prompt_tokens = np;
		o.concurrency = concs;
		o.n_concurrency = nc;
		o.n_predict = (int)n_predict;
		o.requests = (size_t)requests;
		o.timeout_s = timeout;
		o.seed = seed;
		o.progress = on_progress;
		o.progress_ud = &pr;
		o.cancel = &cancel_flag;
		o.level_done = on_level_done;
		o.level_done_ud = &sc;
		if (halo_endpoint_run(&o, &rep[i])) {
			const halo_error *e = halo_error_last();
			exit_code = cli_fail(e->code);
			/* nothing is left "running": the row says why it failed */
			if (halo_bench_endpoint_finish(db, run_id, "failed", NULL, e->message))
				cli_fail(halo_error_last()->code);
			else
				fprintf(stderr, "halo bench endpoint: stored as endpoint run %lld (failed)\n",
					(long long)run_id);
			halo_endpoint_report_free(rep[0]);
			halo_bench_db_close(db);
			return exit_code;
		}
		if (cancel_flag)
			break;
	}

	size_t ok = warn_report(rep[0]) + (rep[1] ? warn_report(rep[1]) : 0);
	bool stopped = cancel_flag != 0;
	json_t *doc = build_doc(rep[0], rep[1], n_predict, stopped, seed);
	halo_endpoint_report_free(rep[0]);
	halo_endpoint_report_free(rep[1]);
	char *stored = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	if (!stored) {
		json_decref(doc);
		halo_bench_endpoint_finish(db, run_id, "failed", NULL, "out of memory");
		halo_bench_db_close(db);
		return cli_error(EXIT_LIMIT, "out of memory");
	}
	int src = halo_bench_endpoint_finish(db, run_id, stopped ? "interrupted" : "done", stored, NULL);
	free(stored);
	halo_bench_db_close(db);
	if (src) {
		json_decref(doc);
		return cli_fail(halo_error_last()->code);
	}
	fprintf(stderr, "halo bench endpoint: stored as endpoint run %lld in %s%s\n", (long long)run_id, db_path,
		stopped ? " (interrupted)" : "");
	if (json) {
		json_object_set_new(doc, "id", json_integer((json_int_t)run_id));
		exit_code = cli_print_json(doc);
	} else {
		bench_endpoint_print_table(doc);
		json_decref(doc);
		exit_code = EXIT_OK;
	}
	if (stopped) {
		fprintf(stderr, "halo: interrupted; endpoint run %lld keeps what was measured\n", (long long)run_id);
		return 130;
	}
	if (!exit_code && !ok)
		return cli_error(EXIT_NETWORK, "bench endpoint: every request failed");
	return exit_code;
}
