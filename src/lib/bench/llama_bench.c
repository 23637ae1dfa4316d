/*
 * llama-bench cells: argv, running, jsonl parsing. See llama_bench.h.
 *
 * Field names and types follow the pinned llama.cpp's
 * tools/llama-bench/llama-bench.cpp (test::get_fields, get_field_type and
 * jsonl_printer). Every value is taken by key and converted from whatever
 * JSON type it has (integer, real, boolean, numeric string), since other
 * versions print e.g. flash_attn as a bool, or lack n_depth.
 */
#include "bench/llama_bench.h"

#include "clock.h"
#include "error.h"
#include "llama_run.h"
#include "plan.h"
#include "text.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void halo_bench_result_free(halo_bench_result *r)
{
	if (!r)
		return;
	free(r->build_commit);
	free(r->cpu_info);
	free(r->gpu_info);
	free(r->backends);
	free(r->model_filename);
	free(r->model_type);
	free(r->type_k);
	free(r->type_v);
	free(r->test_time);
	free(r->samples_ts);
	free(r->samples_ns);
	free(r->json);
	memset(r, 0, sizeof(*r));
}

const char *halo_bench_result_kind(const halo_bench_result *r)
{
	if (r->n_prompt > 0 && r->n_gen > 0)
		return "pg";
	return r->n_gen > 0 ? "tg" : "pp";
}

const char *halo_bench_result_test(const halo_bench_result *r, char *buf, size_t n)
{
	if (r->n_prompt > 0 && r->n_gen > 0)
		snprintf(buf, n, "pp%lld+tg%lld", r->n_prompt, r->n_gen);
	else if (r->n_gen > 0)
		snprintf(buf, n, "tg%lld", r->n_gen);
	else
		snprintf(buf, n, "pp%lld", r->n_prompt);
	return buf;
}

/* A number from any JSON type; false when there is none. */
static bool get_num(json_t *o, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		*out = (double)json_integer_value(v);
	else if (json_is_real(v))
		*out = json_real_value(v);
	else if (json_is_boolean(v))
		*out = json_is_true(v) ? 1 : 0;
	else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		if (!*s)
			return false;
		*out = strtod(s, &end);
		if (*end)
			return false;
	} else
		return false;
	return isfinite(*out);
}

static long long get_ll(json_t *o, const char *key, long long dflt)
{
	double d;
	if (!get_num(o, key, &d) || d < -9e18 || d > 9e18)
		return dflt;
	return (long long)d;
}

static double get_d(json_t *o, const char *key)
{
	double d;
	return get_num(o, key, &d) ? d : -1;
}

/* A string from a string, or a number/boolean printed; NULL when absent. */
static char *get_str(json_t *o, const char *key, bool *oom)
{
	json_t *v = json_object_get(o, key);
	char buf[64];
	const char *s = NULL;
	if (json_is_string(v))
		s = json_string_value(v);
	else if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		s = buf;
	} else if (json_is_real(v)) {
		snprintf(buf, sizeof(buf), "%g", json_real_value(v));
		s = buf;
	} else if (json_is_boolean(v))
		s = json_is_true(v) ? "true" : "false";
	if (!s)
		return NULL;
	char *r = strdup(s);
	if (!r)
		*oom = true;
	return r;
}

/* An array of numbers (non-numbers skipped); NULL with *n = 0 when absent. */
static double *get_samples(json_t *o, const char *key, size_t *n, bool *oom)
{
	json_t *a = json_object_get(o, key);
	*n = 0;
	if (!json_is_array(a) || !json_array_size(a))
		return NULL;
	size_t cap = json_array_size(a);
	if (cap > HALO_LLAMA_BENCH_MAX_SAMPLES)
		cap = HALO_LLAMA_BENCH_MAX_SAMPLES;
	double *v = malloc(cap * sizeof(*v));
	if (!v) {
		*oom = true;
		return NULL;
	}
	for (size_t i = 0; i < cap; i++) {
		json_t *x = json_array_get(a, i);
		double d;
		if (json_is_number(x) && isfinite(d = json_number_value(x)))
			v[(*n)++] = d;
	}
	if (!*n) {
		free(v);
		return NULL;
	}
	return v;
}

int halo_llama_bench_parse_line(const char *line, size_t len, halo_bench_result *out)
{
	if (len > HALO_LLAMA_BENCH_MAX_LINE)
		return halo_error_set(HALO_EFORMAT, "llama-bench line of %zu bytes is over the %zu-byte limit", len,
				      HALO_LLAMA_BENCH_MAX_LINE);
	json_error_t jerr;
	json_t *o = json_loadb(line, len, 0, &jerr);
	if (!json_is_object(o)) {
		json_decref(o);
		return halo_error_set(HALO_EFORMAT, "llama-bench line is not a JSON object%s%s", o ? "" : ": ",
				      o ? "" : jerr.text);
	}
	halo_bench_result r;
	memset(&r, 0, sizeof(r));
	double np, ng, ts;
	if (!get_num(o, "n_prompt", &np) || !get_num(o, "n_gen", &ng) || !get_num(o, "avg_ts", &ts) || np < 0 ||
	    ng < 0 || np > 1e12 || ng > 1e12 || ts < 0) {
		json_decref(o);
		return halo_error_set(HALO_EFORMAT, "llama-bench line lacks n_prompt, n_gen or avg_ts");
	}
	bool oom = false;
	r.n_prompt = (long long)np;
	r.n_gen = (long long)ng;
	r.avg_ts = ts;
	r.build_commit = get_str(o, "build_commit", &oom);
	r.build_number = get_ll(o, "build_number", -1);
	r.cpu_info = get_str(o, "cpu_info", &oom);
	r.gpu_info = get_str(o, "gpu_info", &oom);
	r.backends = get_str(o, "backends", &oom);
	r.model_filename = get_str(o, "model_filename", &oom);
	r.model_type = get_str(o, "model_type", &oom);
	r.model_size = get_ll(o, "model_size", -1);
	r.model_n_params = get_ll(o, "model_n_params", -1);
	r.n_batch = get_ll(o, "n_batch", -1);
	r.n_ubatch = get_ll(o, "n_ubatch", -1);
	r.n_threads = get_ll(o, "n_threads", -1);
	r.type_k = get_str(o, "type_k", &oom);
	r.type_v = get_str(o, "type_v", &oom);
	r.n_gpu_layers = get_ll(o, "n_gpu_layers", -1);
	r.flash_attn = get_ll(o, "flash_attn", -1);
	r.n_depth = get_ll(o, "n_depth", 0);
	if (r.n_depth < 0)
		r.n_depth = 0;
	r.test_time = get_str(o, "test_time", &oom);
	r.avg_ns = get_d(o, "avg_ns");
	r.stddev_ns = get_d(o, "stddev_ns");
	r.stddev_ts = get_d(o, "stddev_ts");
	r.samples_ts = get_samples(o, "samples_ts", &r.n_samples_ts, &oom);
	r.samples_ns = get_samples(o, "samples_ns", &r.n_samples_ns, &oom);
	r.json = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (oom || !r.json) {
		halo_bench_result_free(&r);
		return halo_error_set(HALO_ENOMEM, "out of memory");
	}
	*out = r;
	return 0;
}

int halo_llama_bench_parse(const char *text, size_t len, halo_bench_results *out)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		const char *s = p;
		p = nl ? nl + 1 : end;
		while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
			s++;
		if (s == e)
			continue;
		/* only lines that look like an object are tried: log lines are not errors */
		if (*s != '{' || out->n >= HALO_LLAMA_BENCH_MAX_RESULTS) {
			out->skipped++;
			continue;
		}
		halo_bench_result r;
		int rc = halo_llama_bench_parse_line(s, (size_t)(e - s), &r);
		if (rc == HALO_ENOMEM)
			return rc;
		if (rc) {
			out->skipped++;
			continue;
		}
		halo_bench_result *items = realloc(out->items, (out->n + 1) * sizeof(*items));
		if (!items) {
			halo_bench_result_free(&r);
			return halo_error_set(HALO_ENOMEM, "out of memory");
		}
		out->items = items;
		out->items[out->n++] = r;
	}
	halo_error_clear();
	return 0;
}

void halo_bench_results_free(halo_bench_results *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		halo_bench_result_free(&r->items[i]);
	free(r->items);
	memset(r, 0, sizeof(*r));
}

const char *halo_bench_status_name(halo_bench_status s)
{
	switch (s) {
	case HALO_BENCH_OK:
		return "ok";
	case HALO_BENCH_FAILED:
		return "failed";
	case HALO_BENCH_CRASHED:
		return "crashed";
	case HALO_BENCH_OOM:
		return "oom";
	case HALO_BENCH_TIMEOUT:
		return "timeout";
	case HALO_BENCH_MISSING:
		return "missing";
	}
	return "?";
}

int halo_llama_bench_argv(const halo_backend *b, const halo_llama_bench_params *p, char ***argv)
{
	*argv = NULL;
	if (!b || !p || !p->model || p->n_prompt < 0 || p->n_gen < 0 || p->depth < 0 || p->reps < 1)
		return halo_error_set(HALO_EUSAGE, "llama-bench: invalid parameters");
	char np[16], ng[16], d[16], r[16];
	snprintf(np, sizeof(np), "%d", p->n_prompt);
	snprintf(ng, sizeof(ng), "%d", p->n_gen);
	snprintf(d, sizeof(d), "%d", p->depth);
	snprintf(r, sizeof(r), "%d", p->reps);
	char *const args[] = { "-m", (char *)p->model, "-p", np, "-n", ng, "-d", d, "-r", r, "-o", "jsonl", NULL };
	return halo_backend_argv(b, "llama-bench", args, argv);
}

void halo_bench_cell_free(halo_bench_cell *c)
{
	if (!c)
		return;
	halo_plan_argv_free(c->argv);
	free(c->log_tail);
	free(c->error);
	halo_bench_results_free(&c->results);
	memset(c, 0, sizeof(*c));
}

char *halo_bench_log_tail(const char *text, size_t len, int max_lines, size_t max_bytes)
{
	size_t start = halo_text_tail(text, &len, max_lines > 0 ? (size_t)max_lines : 0, max_bytes);
	size_t n = len - start;
	char *s = malloc(n + 1);
	if (!s)
		return NULL;
	if (n)
		memcpy(s, text + start, n);
	s[n] = 0;
	/* a NUL in a log would cut the text where it is stored or printed */
	for (size_t i = 0; i < n; i++)
		if (!s[i])
			s[i] = '?';
	return s;
}

/* Log lines llama.cpp and its backends print when an allocation fails. */
static const char *const oom_markers[] = {
	"out of memory", "failed to allocate", "ErrorOutOfDeviceMemory", "ErrorOutOfHostMemory",
	"std::bad_alloc", "cudaMalloc failed", "hipMalloc failed", "unable to allocate", NULL,
};

halo_bench_status halo_bench_classify(bool timed_out, int exit_status, const char *log, size_t n_results)
{
	if (timed_out)
		return HALO_BENCH_TIMEOUT;
	if (exit_status == 0)
		return n_results ? HALO_BENCH_OK : HALO_BENCH_FAILED;
	for (int i = 0; log && oom_markers[i]; i++)
		if (strcasestr(log, oom_markers[i]))
			return HALO_BENCH_OOM;
	if (exit_status == 128 + 9)
		return HALO_BENCH_OOM; /* halo did not send it: the kernel's OOM killer */
	if (exit_status > 128)
		return HALO_BENCH_CRASHED;
	return HALO_BENCH_FAILED;
}

int halo_llama_bench_run(const halo_backend *b, const halo_llama_bench_params *p, halo_bench_cell *cell)
{
	memset(cell, 0, sizeof(*cell));
	cell->started = cell->finished = halo_wall_s();
	int rc = halo_llama_bench_argv(b, p, &cell->argv);
	if (rc == HALO_ENOTFOUND) {
		cell->status = HALO_BENCH_MISSING;
		cell->error = strdup(halo_error_last()->message);
		cell->log_tail = strdup("");
		halo_error_clear();
		return cell->error && cell->log_tail ? 0 : halo_error_set(HALO_ENOMEM, "out of memory");
	}
	if (rc)
		return rc;
	char **env = halo_backend_env(b, NULL);
	if (!env)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	halo_buf log, out;
	halo_buf_init(&log, (size_t)4 << 20);
	halo_buf_init(&out, (size_t)16 << 20);
	halo_llama_run_opts ro = HALO_LLAMA_RUN_OPTS_INIT;
	ro.timeout_s = p->timeout_s > 0 ? p->timeout_s : 3600;
	ro.env = env;
	ro.out = &out;
	int exit_status = 0;
	rc = halo_llama_run(cell->argv, &ro, &log, &exit_status);
	bool timed_out = rc == HALO_ERROR;
	cell->finished = halo_wall_s();
	cell->exit_status = exit_status;
	char what[600] = "";
	if (rc)
		snprintf(what, sizeof(what), "%s", halo_error_last()->message);
	halo_backend_env_free(env);
	if (rc && rc != HALO_ERROR && rc != HALO_ENOTFOUND) {
		halo_buf_free(&log);
		halo_buf_free(&out);
		return rc;
	}
	int prc = halo_llama_bench_parse(out.ptr ? out.ptr : "", out.len, &cell->results);
	if (!prc) {
		cell->status = rc == HALO_ENOTFOUND ? HALO_BENCH_MISSING
						    : halo_bench_classify(timed_out, exit_status, log.ptr, cell->results.n);
		cell->log_tail = halo_bench_log_tail(log.ptr, log.len, 20, 4096);
		if (!cell->log_tail)
			prc = halo_error_set(HALO_ENOMEM, "out of memory");
	}
	halo_buf_free(&log);
	halo_buf_free(&out);
	if (prc)
		return prc;
	if (cell->status != HALO_BENCH_OK) {
		if (!*what) {
			if (exit_status > 128)
				snprintf(what, sizeof(what), "llama-bench was killed by signal %d", exit_status - 128);
			else if (exit_status)
				snprintf(what, sizeof(what), "llama-bench exited with status %d", exit_status);
			else
				snprintf(what, sizeof(what), "llama-bench printed no result");
		}
		cell->error = strdup(what);
		if (!cell->error)
			return halo_error_set(HALO_ENOMEM, "out of memory");
	}
	halo_error_clear();
	return 0;
}
