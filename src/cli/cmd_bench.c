/*
 * halo bench MODEL...: llama-bench for every model x backend x depth, stored
 * in halo.db (src/lib/bench/), shown as a table, JSON or an SVG chart;
 * halo bench list | show RUN | compare A B over stored runs; halo bench
 * endpoint (cmd_bench_endpoint.c) for a running server. See docs/bench.md.
 */
#include "cli.h"
#include "options.h"
#include "bench_endpoint_print.h"

#include "backends.h"
#include "bench/bench_report.h"
#include "bench/bench_store.h"
#include "bench/llama_bench.h"
#include "catalog.h"
#include "error.h"
#include "eval/results.h"
#include "store.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static const char *const usage[] = {
	"halo bench [options] <model>...",
	"halo bench --resume <run> [--retry-failed] [--force] [--db <file>] [--json] [--svg <file>]",
	"halo bench list [--db <file>] [--json]",
	"halo bench show <run> [--db <file>] [--json] [--svg <file>]",
	"halo bench show endpoint:<n> [--db <file>] [--json]",
	"halo bench compare <run-a> <run-b> [--db <file>] [--json]   (matrix runs)",
	"halo bench endpoint --server <url> ...   (a running server; see 'halo bench endpoint --help')",
	NULL,
};
static const struct command_help help = {
	usage,
	"Runs llama-bench for every model x backend x depth (-p prompt tokens, -n generated\n"
	"tokens, -d depth of context already in the KV cache, -r repetitions), with each\n"
	"backend's environment and bench_flags (halo backends). A model is a GGUF path or a\n"
	"downloaded catalog MODEL[:QUANT]. A cell that crashes, runs out of memory, times out\n"
	"or fails is recorded with its status and log tail, and the matrix goes on. Results go\n"
	"to halo.db; the table shows t/s (mean ± sd over the repetitions) per backend and depth.\n"
	"compare matches cells by (model file, backend, pp/tg, depth) and says whether each\n"
	"change exceeds the run-to-run noise. list shows the 'halo bench endpoint' runs too\n"
	"(kind endpoint), and show endpoint:N prints one as it was measured. --resume RUN runs the cells\n"
	"a killed or interrupted run lacks (with --retry-failed also those that did not end ok), with\n"
	"the run's own parameters; it refuses when a backend's version or a model file changed since,\n"
	"unless --force. Exit status 1 when a cell did not end ok, 130 when interrupted (the finished\n"
	"cells are kept), 6 when --resume refuses a changed backend or model. See docs/bench.md.",
	0, -1,
};

static volatile int interrupted;

static int open_db(const char *opt, halo_bench_db **db, char *path, size_t n)
{
	if (opt)
		snprintf(path, n, "%s", opt);
	else if (halo_results_default_path(path, n))
		return cli_fail(halo_error_last()->code);
	if (halo_bench_db_open(db, path))
		return cli_fail(halo_error_last()->code);
	return 0;
}

#define ENDPOINT_PREFIX "endpoint:"

static int parse_run_id(const char *s, int64_t *id)
{
	if (!strncmp(s, ENDPOINT_PREFIX, strlen(ENDPOINT_PREFIX)))
		return cli_error(EXIT_USAGE, "'%s' is an endpoint run: compare works on matrix runs only ('halo bench show %s' shows it)",
				 s, s);
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || v <= 0 || errno)
		return cli_error(EXIT_USAGE, "'%s' is not a run number", s);
	*id = v;
	return 0;
}

/* "0,4096,16384" -> sorted-as-given list of non-negative ints. */
static int parse_depths(const char *s, int **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	size_t cap = 1;
	for (const char *p = s; *p; p++)
		cap += *p == ',';
	int *v = calloc(cap, sizeof(*v));
	if (!v)
		return cli_error(EXIT_LIMIT, "out of memory");
	const char *p = s;
	while (*p) {
		char *end;
		errno = 0;
		long d = strtol(p, &end, 10);
		if (end == p || (*end && *end != ',') || d < 0 || d > 100000000 || errno) {
			free(v);
			return cli_error(EXIT_USAGE, "--depth '%s': expected comma-separated token counts", s);
		}
		v[(*n)++] = (int)d;
		p = *end ? end + 1 : end;
	}
	if (!*n) {
		free(v);
		return cli_error(EXIT_USAGE, "--depth '%s': expected comma-separated token counts", s);
	}
	*out = v;
	return 0;
}

/* A GGUF path, or a downloaded catalog MODEL[:QUANT], into out (absolute when it can be). */
static int resolve_model(const char *arg, char *out, size_t n)
{
	struct stat st;
	if (stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
		if (!realpath(arg, out))
			snprintf(out, n, "%s", arg);
		return 0;
	}
	if (strchr(arg, '/') || strstr(arg, ".gguf"))
		return cli_error(EXIT_NOTFOUND, "model '%s': no such file", arg);
	halo_catalog cat = HALO_CATALOG_INIT;
	if (halo_catalog_load_default(&cat, NULL))
		return cli_fail(halo_error_last()->code);
	char name[256];
	snprintf(name, sizeof(name), "%s", arg);
	char *colon = strchr(name, ':');
	if (colon)
		*colon++ = 0;
	const halo_model *m = halo_catalog_find(&cat, name);
	const halo_quant *q = m ? (colon ? halo_catalog_find_quant(m, colon) : m->n_quants ? &m->quants[0] : NULL) : NULL;
	int rc = 0;
	if (!m || !q) {
		rc = m ? cli_error(EXIT_NOTFOUND, "model '%s' has no quant '%s'; 'halo models %s' lists them", name,
				   colon ? colon : "", name)
		       : cli_error(EXIT_NOTFOUND, "model '%s': no such file or catalog model", arg);
		halo_catalog_free(&cat);
		return rc;
	}
	char dir[4096];
	halo_store *store = NULL;
	halo_quant_status qs;
	if (halo_models_dir(dir, sizeof(dir), NULL) || halo_store_open(&store, dir, NULL) ||
	    halo_store_quant_status(store, m, q, false, &qs)) {
		rc = cli_fail(halo_error_last()->code);
	} else if (!qs.path[0] || (qs.status != HALO_FILE_COMPLETE && qs.status != HALO_FILE_VERIFIED)) {
		rc = cli_error(EXIT_NOTFOUND, "model '%s:%s' is not downloaded in '%s'; run 'halo pull %s:%s'", m->id,
			       q->name, dir, m->id, q->name);
	} else {
		snprintf(out, n, "%s", qs.path);
	}
	halo_store_free(store);
	halo_catalog_free(&cat);
	return rc;
}

static json_t *strings_json(char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* Provenance of a backend: what it is and how it is run. */
static char *backend_json(const halo_backend *b, const halo_backend_info *info)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(b->name));
	json_object_set_new(o, "bin_dir", json_string(b->bin_dir));
	json_object_set_new(o, "env", strings_json(b->env, b->n_env));
	json_object_set_new(o, "bench_flags", strings_json(b->bench_flags, b->n_bench_flags));
	json_object_set_new(o, "discovered", json_boolean(b->discovered));
	json_object_set_new(o, "file", b->file ? json_string(b->file) : json_null());
	json_object_set_new(o, "version", json_string(info->version));
	json_object_set_new(o, "build", info->build >= 0 ? json_integer(info->build) : json_null());
	json_object_set_new(o, "commit", json_string(info->commit));
	json_object_set_new(o, "built_with", json_string(info->built_with));
	json_object_set_new(o, "devices", strings_json(info->devices, info->n_devices));
	json_object_set_new(o, "probe_error", info->error[0] ? json_string(info->error) : json_null());
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static int write_file(const char *path, const halo_buf *b)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return cli_error(EXIT_IO, "'%s': %s", path, strerror(errno));
	size_t n = b->len ? fwrite(b->ptr, 1, b->len, f) : 0;
	if (fclose(f) != 0 || n != b->len)
		return cli_error(EXIT_IO, "'%s': cannot write", path);
	return 0;
}

/* Table (or JSON) and the SVG of a stored run. */
static int present(halo_bench_db *db, int64_t id, bool json, const char *svg)
{
	halo_bench_run run;
	if (halo_bench_run_load(db, id, &run))
		return cli_fail(halo_error_last()->code);
	int rc = 0;
	if (svg) {
		halo_buf b = HALO_BUF_INIT;
		if (halo_bench_svg(&run, &b))
			rc = cli_fail(halo_error_last()->code);
		else if (!(rc = write_file(svg, &b)) && !json)
			fprintf(stderr, "halo bench: chart written to %s\n", svg);
		halo_buf_free(&b);
	}
	if (!rc && json) {
		json_t *j = halo_bench_run_json(&run);
		rc = j ? cli_print_json(j) : cli_error(EXIT_LIMIT, "out of memory");
	} else if (!rc) {
		halo_buf b = HALO_BUF_INIT;
		char when[64];
		time_t t = (time_t)run.created;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&t));
		printf("bench run %lld (%s, %s): %zu of %zu cells ok\n\n", (long long)run.id, when, run.status, run.n_ok,
		       run.n_cells);
		if (halo_bench_table(&run, &b))
			rc = cli_fail(halo_error_last()->code);
		else
			fputs(b.ptr ? b.ptr : "", stdout);
		for (size_t i = 0; !rc && i < run.n_cells; i++) {
			const halo_bench_cell_rec *c = &run.cells[i];
			if (c->cell.status != HALO_BENCH_OK)
				printf("%s %s d%ld: %s: %s\n", c->model_name, c->backend, c->depth,
				       halo_bench_status_name(c->cell.status), c->cell.error ? c->cell.error : "");
		}
		halo_buf_free(&b);
	}
	halo_bench_run_free(&run);
	return rc;
}

/* A stored `halo bench endpoint` run: the table (or JSON) it printed live. */
static int present_endpoint(halo_bench_db *db, int64_t id, bool json)
{
	halo_bench_endpoint_run r;
	if (halo_bench_endpoint_load(db, id, &r))
		return cli_fail(halo_error_last()->code);
	int rc = 0;
	json_t *doc = r.report_json ? json_loads(r.report_json, 0, NULL) : NULL;
	if (r.report_json && !json_is_object(doc)) {
		rc = cli_error(EXIT_BADINPUT, "endpoint run %lld: the stored report is not a JSON object", (long long)id);
	} else if (json) {
		if (!doc) /* not finished (running, or failed before measuring): what the row says */
			doc = json_pack("{s:s, s:s?, s:o}", "server_url", r.server_url, "vs_url", r.vs_url, "error",
					r.error ? json_string(r.error) : json_null());
		if (!doc) {
			rc = cli_error(EXIT_LIMIT, "out of memory");
		} else {
			json_object_set_new(doc, "id", json_integer((json_int_t)r.id));
			json_object_set_new(doc, "status", json_string(r.status));
			rc = cli_print_json(doc);
			doc = NULL;
		}
	} else {
		char when[64];
		time_t t = (time_t)r.created;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&t));
		if (!strcmp(r.status, "running"))
			/* the levels stored after each one finished: the process is still
			   measuring, or was killed */
			printf("endpoint run %lld (%s, running: %s; still measuring, or killed)\n\n", (long long)r.id,
			       when, doc ? "the levels finished so far" : "no level finished yet");
		else
			printf("endpoint run %lld (%s, %s)\n\n", (long long)r.id, when, r.status);
		if (doc)
			bench_endpoint_print_table(doc);
		else
			printf("%s%s%s: no report%s%s\n", r.server_url, r.vs_url ? " --vs " : "", r.vs_url ? r.vs_url : "",
			       r.error ? ": " : "", r.error ? r.error : "");
	}
	json_decref(doc);
	halo_bench_endpoint_run_free(&r);
	return rc;
}

/* "p=128,512 c=1,2 n=128" from an endpoint run's parameters. */
static void endpoint_summary(const json_t *params, char *out, size_t n)
{
	size_t used = 0;
	const char *keys[2] = { "prompt_tokens", "concurrency" }, *tags[2] = { "p=", " c=" };
	out[0] = 0;
	for (int k = 0; k < 2; k++) {
		const json_t *a = json_object_get(params, keys[k]);
		used += (size_t)snprintf(out + used, used < n ? n - used : 0, "%s", tags[k]);
		for (size_t i = 0; used < n && i < json_array_size(a); i++)
			used += (size_t)snprintf(out + used, n - used, "%s%lld", i ? "," : "",
						 (long long)json_integer_value(json_array_get(a, i)));
	}
	if (used < n && json_is_integer(json_object_get(params, "n_predict")))
		snprintf(out + used, n - used, " n=%lld", (long long)json_integer_value(json_object_get(params, "n_predict")));
}

static void print_list_row(const char *run, const char *kind, double created, const char *status, const char *ok)
{
	char when[64];
	time_t t = (time_t)created;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&t));
	printf("%-12s %-8s %-16s %-12s %-9s ", run, kind, when, status ? status : "", ok);
}

/* Matrix runs and endpoint runs, newest first. JSON: {"runs": [matrix runs,
 * as before], "endpoint_runs": [...]}. */
static int cmd_list(halo_bench_db *db, bool json)
{
	halo_bench_run *runs = NULL;
	halo_bench_endpoint_run *eps = NULL;
	size_t n = 0, ne = 0;
	if (halo_bench_run_list(db, &runs, &n))
		return cli_fail(halo_error_last()->code);
	if (halo_bench_endpoint_list(db, &eps, &ne)) {
		halo_bench_run_list_free(runs, n);
		return cli_fail(halo_error_last()->code);
	}
	if (json) {
		json_t *arr = json_array(), *earr = json_array();
		for (size_t i = 0; i < n; i++) {
			const halo_bench_run *r = &runs[i];
			json_t *params = r->params_json ? json_loads(r->params_json, 0, NULL) : NULL;
			json_t *o = json_object();
			json_object_set_new(o, "id", json_integer((json_int_t)r->id));
			json_object_set_new(o, "kind", json_string("matrix"));
			json_object_set_new(o, "status", json_string(r->status ? r->status : ""));
			json_object_set_new(o, "created", json_real(r->created));
			json_object_set_new(o, "n_cells", json_integer((json_int_t)r->n_cells));
			json_object_set_new(o, "n_ok", json_integer((json_int_t)r->n_ok));
			json_object_set_new(o, "params", params ? params : json_null());
			json_array_append_new(arr, o);
		}
		for (size_t i = 0; i < ne; i++) {
			const halo_bench_endpoint_run *r = &eps[i];
			json_t *params = r->params_json ? json_loads(r->params_json, 0, NULL) : NULL;
			char show[64];
			snprintf(show, sizeof(show), ENDPOINT_PREFIX "%lld", (long long)r->id);
			json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:f, s:f, s:s, s:o, s:o, s:o}", "id", (json_int_t)r->id,
					      "kind", "endpoint", "show", show, "status", r->status, "created", r->created,
					      "updated", r->updated, "server_url", r->server_url, "vs_url",
					      r->vs_url ? json_string(r->vs_url) : json_null(), "error",
					      r->error ? json_string(r->error) : json_null(), "params",
					      params ? params : json_null());
			json_array_append_new(earr, o);
		}
		halo_bench_run_list_free(runs, n);
		halo_bench_endpoint_list_free(eps, ne);
		return cli_print_json(json_pack("{s:o, s:o}", "runs", arr, "endpoint_runs", earr));
	}
	if (n || ne)
		printf("%-12s %-8s %-16s %-12s %-9s %s\n", "RUN", "KIND", "CREATED", "STATUS", "CELLS OK",
		       "MODELS / BACKENDS, OR SERVER");
	for (size_t i = 0, k = 0; i < n || k < ne;) {
		/* newest first across both tables */
		if (k >= ne || (i < n && runs[i].created >= eps[k].created)) {
			const halo_bench_run *r = &runs[i++];
			json_t *params = r->params_json ? json_loads(r->params_json, 0, NULL) : NULL;
			char id[32], ok[32];
			snprintf(id, sizeof(id), "%lld", (long long)r->id);
			snprintf(ok, sizeof(ok), "%zu/%zu", r->n_ok, r->n_cells);
			print_list_row(id, "matrix", r->created, r->status, ok);
			json_t *ms = json_object_get(params, "model_names"), *bs = json_object_get(params, "backends");
			for (size_t j = 0; j < json_array_size(ms); j++)
				printf("%s%s", j ? "," : "", json_string_value(json_array_get(ms, j)));
			printf(" / ");
			for (size_t j = 0; j < json_array_size(bs); j++)
				printf("%s%s", j ? "," : "", json_string_value(json_array_get(bs, j)));
			putchar('\n');
			json_decref(params);
		} else {
			const halo_bench_endpoint_run *r = &eps[k++];
			json_t *params = r->params_json ? json_loads(r->params_json, 0, NULL) : NULL;
			char id[48], sum[256];
			snprintf(id, sizeof(id), ENDPOINT_PREFIX "%lld", (long long)r->id);
			endpoint_summary(params, sum, sizeof(sum));
			print_list_row(id, "endpoint", r->created, r->status, "-");
			printf("%s%s%s %s\n", r->server_url, r->vs_url ? " --vs " : "", r->vs_url ? r->vs_url : "", sum);
			json_decref(params);
		}
	}
	halo_bench_run_list_free(runs, n);
	halo_bench_endpoint_list_free(eps, ne);
	if (!n && !ne)
		printf("no bench runs yet\n");
	return 0;
}

static int cmd_compare(halo_bench_db *db, int64_t ida, int64_t idb, bool json)
{
	halo_bench_run a, b;
	if (halo_bench_run_load(db, ida, &a))
		return cli_fail(halo_error_last()->code);
	if (halo_bench_run_load(db, idb, &b)) {
		halo_bench_run_free(&a);
		return cli_fail(halo_error_last()->code);
	}
	halo_bench_cmp_row *rows = NULL;
	size_t n = 0;
	int rc = 0;
	if (halo_bench_compare(&a, &b, &rows, &n)) {
		rc = cli_fail(halo_error_last()->code);
	} else if (json) {
		json_t *j = halo_bench_compare_json(&a, &b, rows, n);
		rc = j ? cli_print_json(j) : cli_error(EXIT_LIMIT, "out of memory");
	} else {
		halo_buf t = HALO_BUF_INIT;
		if (halo_bench_compare_table(rows, n, &t)) {
			rc = cli_fail(halo_error_last()->code);
		} else {
			printf("A = run %lld, B = run %lld; change = (B - A) / A; noise = 2 * sqrt(sdA^2/nA + sdB^2/nB)\n\n",
			       (long long)ida, (long long)idb);
			fputs(t.ptr ? t.ptr : "", stdout);
		}
		halo_buf_free(&t);
	}
	free(rows);
	halo_bench_run_free(&a);
	halo_bench_run_free(&b);
	return rc;
}

static const char *basename_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

struct matrix {
	char **models;         /* resolved paths */
	size_t n_models;
	const halo_backend **backends;
	size_t n_backends;
	int *depths;
	size_t n_depths;
	long n_prompt, n_gen, reps, timeout;
};

/* What a model file was when the run began, to tell on --resume whether it changed. */
static json_t *model_file_json(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return json_pack("{s:s, s:n, s:n}", "path", path, "size", "mtime_ns");
	return json_pack("{s:s, s:I, s:I}", "path", path, "size", (json_int_t)st.st_size, "mtime_ns",
			 (json_int_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec);
}

static char *params_json(const struct matrix *mx, const char *const *args, size_t n_args)
{
	json_t *o = json_object(), *m = json_array(), *mn = json_array(), *b = json_array(), *d = json_array(),
	       *a = json_array(), *mf = json_array();
	for (size_t i = 0; i < mx->n_models; i++) {
		json_array_append_new(m, json_string(mx->models[i]));
		json_array_append_new(mn, json_string(basename_of(mx->models[i])));
		json_array_append_new(mf, model_file_json(mx->models[i]));
	}
	for (size_t i = 0; i < mx->n_backends; i++)
		json_array_append_new(b, json_string(mx->backends[i]->name));
	for (size_t i = 0; i < mx->n_depths; i++)
		json_array_append_new(d, json_integer(mx->depths[i]));
	for (size_t i = 0; i < n_args; i++)
		json_array_append_new(a, json_string(args[i]));
	json_object_set_new(o, "models", m);
	json_object_set_new(o, "model_names", mn);
	json_object_set_new(o, "model_files", mf);
	json_object_set_new(o, "backends", b);
	json_object_set_new(o, "n_prompt", json_integer(mx->n_prompt));
	json_object_set_new(o, "n_gen", json_integer(mx->n_gen));
	json_object_set_new(o, "depths", d);
	json_object_set_new(o, "repetitions", json_integer(mx->reps));
	json_object_set_new(o, "timeout_s", json_integer(mx->timeout));
	json_object_set_new(o, "halo_args", a);
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* One progress line per cell (on a terminal, a "running" line first that the result overwrites). */
static void progress(bool tty, size_t i, size_t n, const char *model, const char *backend, int depth,
		     const halo_bench_cell *c)
{
	if (!c) {
		if (tty) {
			fprintf(stderr, "\r\033[Khalo bench: [%zu/%zu] %s %s d%d: running", i, n, model, backend, depth);
			fflush(stderr);
		}
		return;
	}
	if (tty)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "halo bench: [%zu/%zu] %s %s d%d: %s", i, n, model, backend, depth,
		halo_bench_status_name(c->status));
	for (size_t k = 0; k < c->results.n; k++) {
		char t[64];
		fprintf(stderr, ", %s %.2f t/s", halo_bench_result_test(&c->results.items[k], t, sizeof(t)),
			c->results.items[k].avg_ts);
	}
	if (c->error)
		fprintf(stderr, " (%s)", c->error);
	fprintf(stderr, " in %.1f s\n", c->finished - c->started);
}

/* Provenance of each backend of the matrix (NULL entries stay NULL); extra,
 * when not NULL, is merged into each (what a resume adds). */
static char **probe_backends(const struct matrix *mx, json_t *extra)
{
	char **bjson = calloc(mx->n_backends ? mx->n_backends : 1, sizeof(*bjson));
	for (size_t i = 0; bjson && i < mx->n_backends; i++) {
		if (!mx->backends[i])
			continue;
		halo_backend_info info;
		memset(&info, 0, sizeof(info));
		halo_backend_probe(mx->backends[i], &info);
		bjson[i] = backend_json(mx->backends[i], &info);
		halo_backend_info_free(&info);
		if (extra && bjson[i]) {
			json_t *o = json_loads(bjson[i], 0, NULL);
			json_object_update(o, extra);
			free(bjson[i]);
			bjson[i] = json_dumps(o, JSON_COMPACT);
			json_decref(o);
		}
	}
	return bjson;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* Runs the cells in todo for run id (owned by this process), storing each as it
 * ends; replace: its earlier records go (--retry-failed). *done counts them. */
static int run_cells(halo_bench_db *db, int64_t id, const struct matrix *mx, char **bjson, const halo_bench_todo *todo,
		     size_t n_todo, bool replace, size_t *done)
{
	bool tty = isatty(STDERR_FILENO) != 0;
	int rc = 0;
	for (size_t i = 0; i < n_todo && !interrupted && !rc; i++) {
		const halo_backend *be = mx->backends[todo[i].backend];
		const char *model = mx->models[todo[i].model], *mname = basename_of(model);
		halo_llama_bench_params p = HALO_LLAMA_BENCH_PARAMS_INIT;
		p.model = model;
		p.n_prompt = (int)mx->n_prompt;
		p.n_gen = (int)mx->n_gen;
		p.depth = mx->depths[todo[i].depth];
		p.reps = (int)mx->reps;
		p.timeout_s = (int)mx->timeout;
		progress(tty, *done + 1, n_todo, mname, be->name, p.depth, NULL);
		halo_bench_cell_rec rec;
		memset(&rec, 0, sizeof(rec));
		if (halo_llama_bench_run(be, &p, &rec.cell))
			return cli_fail(halo_error_last()->code);
		(*done)++;
		progress(tty, *done, n_todo, mname, be->name, p.depth, &rec.cell);
		rec.model = (char *)model;
		rec.model_name = (char *)mname;
		rec.backend = be->name;
		rec.backend_json = bjson[todo[i].backend];
		rec.depth = p.depth;
		if (replace ? halo_bench_cell_replace(db, id, &rec) : halo_bench_cell_put(db, id, &rec))
			rc = cli_fail(halo_error_last()->code);
		halo_bench_cell_free(&rec.cell);
	}
	return rc;
}

/* After the cells: the status, the table, the exit status (over every cell of the run). */
static int finish_run(halo_bench_db *db, int64_t id, int rc, size_t done, size_t n_todo, bool json, const char *svg)
{
	const char *status = interrupted ? "interrupted" : rc ? "failed" : "done";
	if (halo_bench_run_set_status(db, id, status) && !rc)
		rc = cli_fail(halo_error_last()->code);
	if (rc)
		return rc;
	if (!json)
		putchar('\n');
	if ((rc = present(db, id, json, svg)))
		return rc;
	if (interrupted) {
		fprintf(stderr, "halo: interrupted after %zu of %zu cells; run %lld keeps them ('halo bench --resume %lld' "
				"runs the rest)\n",
			done, n_todo, (long long)id, (long long)id);
		return 130;
	}
	halo_bench_run run;
	if (halo_bench_run_load(db, id, &run))
		return cli_fail(halo_error_last()->code);
	size_t bad = run.n_cells - run.n_ok, total = run.n_cells;
	halo_bench_run_free(&run);
	if (bad)
		return cli_error(EXIT_FAILURE_, "%zu of %zu cells did not end ok (run %lld)", bad, total, (long long)id);
	return 0;
}

static int run_matrix(halo_bench_db *db, const char *db_path, struct matrix *mx, const char *const *args,
		      size_t n_args, bool json, const char *svg)
{
	struct utsname u;
	char kernel[600] = "";
	if (uname(&u) == 0)
		snprintf(kernel, sizeof(kernel), "%s %s %s %s", u.sysname, u.release, u.version, u.machine);
	size_t total = mx->n_models * mx->n_backends * mx->n_depths, done = 0, k = 0;
	char **bjson = probe_backends(mx, NULL);
	halo_bench_todo *todo = calloc(total ? total : 1, sizeof(*todo));
	char *pj = params_json(mx, args, n_args);
	int64_t id = 0;
	int rc = 0;
	if (!bjson || !todo || !pj) {
		rc = cli_error(EXIT_LIMIT, "out of memory");
		goto out;
	}
	for (size_t m = 0; m < mx->n_models; m++)
		for (size_t b = 0; b < mx->n_backends; b++)
			for (size_t d = 0; d < mx->n_depths; d++)
				todo[k++] = (halo_bench_todo){ m, b, d };
	if (halo_bench_run_create(db, pj, kernel, HALO_VERSION, &id)) {
		rc = cli_fail(halo_error_last()->code);
		goto out;
	}
	fprintf(stderr, "halo bench: run %lld in %s\n", (long long)id, db_path);
	cli_catch_interrupts(&interrupted);
	rc = run_cells(db, id, mx, bjson, todo, total, false, &done);
	rc = finish_run(db, id, rc, done, total, json, svg);
out:
	free_strings(bjson, mx->n_backends);
	free(todo);
	free(pj);
	return rc;
}

/* --- --resume ------------------------------------------------------------ */

static bool json_int_in(json_t *v, long lo, long hi, long *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return false;
	*out = (long)json_integer_value(v);
	return true;
}

/* The matrix a stored run was made with (models, backend names, -p -n -d -r --timeout). */
static int matrix_from_params(int64_t id, json_t *params, struct matrix *mx, const char ***bnames, long **depths)
{
	json_t *models = json_object_get(params, "models"), *backends = json_object_get(params, "backends"),
	       *ds = json_object_get(params, "depths");
	const char *what = !json_is_object(params)                                              ? "parameters"
			   : !json_array_size(models)                                           ? "models"
			   : !json_array_size(backends)                                         ? "backends"
			   : !json_array_size(ds)                                               ? "depths"
			   : !json_int_in(json_object_get(params, "n_prompt"), 0, 1000000, &mx->n_prompt) ? "-p"
			   : !json_int_in(json_object_get(params, "n_gen"), 0, 1000000, &mx->n_gen)       ? "-n"
			   : !json_int_in(json_object_get(params, "repetitions"), 1, 1000, &mx->reps)     ? "-r"
			   : !json_int_in(json_object_get(params, "timeout_s"), 1, 7 * 86400, &mx->timeout) ? "--timeout"
														: NULL;
	size_t nm = json_array_size(models), nb = json_array_size(backends), nd = json_array_size(ds);
	if (!what && (nm > 4096 || nb > 4096 || nd > 4096))
		what = "matrix within limits";
	if (what)
		return cli_error(EXIT_BADINPUT, "run %lld does not store its %s (made by an older halo?); it cannot be resumed",
				 (long long)id, what);
	mx->models = calloc(nm, sizeof(*mx->models));
	mx->backends = calloc(nb, sizeof(*mx->backends));
	mx->depths = calloc(nd, sizeof(*mx->depths));
	*bnames = calloc(nb, sizeof(**bnames));
	*depths = calloc(nd, sizeof(**depths));
	if (!mx->models || !mx->backends || !mx->depths || !*bnames || !*depths)
		return cli_error(EXIT_LIMIT, "out of memory");
	mx->n_backends = nb;
	for (size_t i = 0; i < nm; i++) {
		const char *m = json_string_value(json_array_get(models, i));
		if (!m || !(mx->models[mx->n_models++] = strdup(m)))
			return cli_error(EXIT_BADINPUT, "run %lld: its stored models are not all paths", (long long)id);
	}
	for (size_t i = 0; i < nb; i++)
		if (!((*bnames)[i] = json_string_value(json_array_get(backends, i))))
			return cli_error(EXIT_BADINPUT, "run %lld: its stored backends are not all names", (long long)id);
	for (size_t i = 0; i < nd; i++) {
		long v;
		if (!json_int_in(json_array_get(ds, i), 0, 100000000, &v))
			return cli_error(EXIT_BADINPUT, "run %lld: its stored depths are not all token counts", (long long)id);
		mx->depths[mx->n_depths++] = (int)v;
		(*depths)[i] = v;
	}
	return 0;
}

static void add_diff(json_t *diffs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_diff(json_t *diffs, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_array_append_new(diffs, json_string(line));
}

/* A model file against what params_json's model_files stored when the run began. */
static void model_diffs(json_t *params, size_t i, const char *path, const struct stat *st, json_t *diffs)
{
	json_t *mf = json_array_get(json_object_get(params, "model_files"), i);
	if (!json_is_object(mf)) {
		add_diff(diffs, "model '%s': the run stored no size or mtime to check it against", path);
		return;
	}
	json_t *size = json_object_get(mf, "size"), *mt = json_object_get(mf, "mtime_ns");
	long long mtime = (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
	if (!json_is_integer(size) || json_integer_value(size) != (json_int_t)st->st_size)
		add_diff(diffs, "model '%s': %lld bytes when the run began, %lld now", path,
			 json_is_integer(size) ? (long long)json_integer_value(size) : -1LL, (long long)st->st_size);
	else if (!json_is_integer(mt) || json_integer_value(mt) != (json_int_t)mtime)
		add_diff(diffs, "model '%s': modified since the run began (mtime changed)", path);
}

/* What a backend is now against what the run's earlier cells recorded of it. */
static void backend_diffs(const halo_bench_run *run, const char *name, const char *now_json, json_t *diffs)
{
	static const char *const keys[] = { "version", "commit", "build", "bench_flags", "env" };
	json_t *now = json_loads(now_json ? now_json : "{}", 0, NULL);
	bool seen[sizeof(keys) / sizeof(keys[0])] = { false };
	for (size_t i = 0; i < run->n_cells; i++) {
		const halo_bench_cell_rec *c = &run->cells[i];
		if (strcmp(c->backend, name) || !c->backend_json)
			continue;
		json_t *then = json_loads(c->backend_json, 0, NULL);
		for (size_t k = 0; json_is_object(then) && k < sizeof(keys) / sizeof(keys[0]); k++) {
			json_t *a = json_object_get(then, keys[k]), *b = json_object_get(now, keys[k]);
			if (seen[k] || json_equal(a, b) || (!a && !b))
				continue;
			seen[k] = true;
			char *sa = a ? json_dumps(a, JSON_ENCODE_ANY | JSON_COMPACT) : NULL,
			     *sb = b ? json_dumps(b, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
			add_diff(diffs, "backend '%s': %s %s in earlier cells, %s now", name, keys[k], sa ? sa : "none",
				 sb ? sb : "none");
			free(sa);
			free(sb);
		}
		json_decref(then);
	}
	json_decref(now);
}

static int resume_run(halo_bench_db *db, const char *db_path, int64_t id, const char *backends_file, bool retry,
		      bool force, bool json, const char *svg)
{
	halo_bench_run run;
	if (halo_bench_run_load(db, id, &run))
		return cli_fail(halo_error_last()->code);
	struct matrix mx;
	memset(&mx, 0, sizeof(mx));
	halo_backends bl = HALO_BACKENDS_INIT;
	json_t *params = run.params_json ? json_loads(run.params_json, 0, NULL) : NULL, *diffs = json_array(),
	       *extra = NULL;
	const char **bnames = NULL;
	long *depths = NULL;
	halo_bench_todo *todo = NULL;
	size_t n_todo = 0, done = 0;
	char **bjson = NULL;
	bool *need_m = NULL, *need_b = NULL;
	int rc = matrix_from_params(id, params, &mx, &bnames, &depths);
	if (rc)
		goto out;
	if (halo_bench_missing_cells(&run, (const char *const *)mx.models, mx.n_models, bnames, mx.n_backends, depths,
				     mx.n_depths, retry, &todo, &n_todo)) {
		rc = cli_fail(halo_error_last()->code);
		goto out;
	}
	size_t total = mx.n_models * mx.n_backends * mx.n_depths;
	if (!n_todo) {
		/* a run killed after its last cell was stored still says "running" */
		if (strcmp(run.status, "done") &&
		    (halo_bench_run_claim(db, id, (long)getpid(), NULL) || halo_bench_run_set_status(db, id, "done"))) {
			rc = cli_fail(halo_error_last()->code);
			goto out;
		}
		size_t bad = run.n_cells - run.n_ok;
		fprintf(stderr, "halo bench: run %lld is done: all %zu cells have a record, nothing to resume", (long long)id,
			total);
		if (bad && !retry)
			fprintf(stderr, " (%zu did not end ok; --retry-failed runs them again)", bad);
		fputc('\n', stderr);
		goto out;
	}
	/* only what is still to run must exist now: a backend whose cells are all done may be gone */
	need_m = calloc(mx.n_models, sizeof(*need_m));
	need_b = calloc(mx.n_backends, sizeof(*need_b));
	if (!need_m || !need_b) {
		rc = cli_error(EXIT_LIMIT, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n_todo; i++)
		need_m[todo[i].model] = need_b[todo[i].backend] = true;
	for (size_t i = 0; i < mx.n_models; i++) {
		struct stat st;
		if (!need_m[i])
			continue;
		if (stat(mx.models[i], &st) != 0) {
			rc = cli_error(EXIT_NOTFOUND, "run %lld: model '%s': %s", (long long)id, mx.models[i], strerror(errno));
			goto out;
		}
		model_diffs(params, i, mx.models[i], &st, diffs);
	}
	if (halo_backends_load(&bl, backends_file, true)) {
		rc = cli_fail(halo_error_last()->code);
		goto out;
	}
	for (size_t i = 0; i < mx.n_backends; i++) {
		if (need_b[i] && !(mx.backends[i] = halo_backends_find(&bl, bnames[i]))) {
			rc = cli_error(EXIT_NOTFOUND,
				       "run %lld used backend '%s', which is no longer in backends.conf; its cells cannot "
				       "be resumed ('halo backends' lists those there are)",
				       (long long)id, bnames[i]);
			goto out;
		}
	}
	if (!(bjson = probe_backends(&mx, NULL))) {
		rc = cli_error(EXIT_LIMIT, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < mx.n_backends; i++)
		if (need_b[i])
			backend_diffs(&run, bnames[i], bjson[i], diffs);
	if (json_array_size(diffs) && !force) {
		for (size_t i = 0; i < json_array_size(diffs); i++)
			fprintf(stderr, "halo bench: %s\n", json_string_value(json_array_get(diffs, i)));
		rc = cli_error(EXIT_UNSUPPORTED,
			       "run %lld: %zu difference(s) from when its earlier cells ran; the new cells would not be "
			       "comparable (--force resumes anyway and records them in each new cell)",
			       (long long)id, json_array_size(diffs));
		goto out;
	}
	/* every resumed cell says so; a forced one also says what differed */
	extra = json_pack("{s:b, s:O}", "resumed", 1, "resume_forced", diffs);
	free_strings(bjson, mx.n_backends);
	if (!(bjson = probe_backends(&mx, extra))) {
		rc = cli_error(EXIT_LIMIT, "out of memory");
		goto out;
	}
	long holder = 0;
	if (halo_bench_run_claim(db, id, (long)getpid(), &holder)) {
		rc = cli_fail(halo_error_last()->code);
		goto out;
	}
	fprintf(stderr, "halo bench: resuming run %lld in %s: %zu of %zu cells to run%s\n", (long long)id, db_path, n_todo,
		total, json_array_size(diffs) ? " (forced past the differences above)" : "");
	for (size_t i = 0; i < json_array_size(diffs); i++)
		fprintf(stderr, "halo bench: forced: %s\n", json_string_value(json_array_get(diffs, i)));
	cli_catch_interrupts(&interrupted);
	rc = run_cells(db, id, &mx, bjson, todo, n_todo, retry, &done);
	rc = finish_run(db, id, rc, done, n_todo, json, svg);
out:
	free_strings(bjson, mx.n_backends);
	free_strings(mx.models, mx.n_models);
	free(mx.backends);
	free(mx.depths);
	free(bnames);
	free(depths);
	free(todo);
	free(need_m);
	free(need_b);
	json_decref(extra);
	json_decref(diffs);
	json_decref(params);
	halo_backends_free(&bl);
	halo_bench_run_free(&run);
	return rc;
}

#define NOT_GIVEN LONG_MIN

/* --resume RUN [--retry-failed] [--force]: the run's own matrix, so no matrix option may come with it. */
static int cmd_resume(int n, const char **argv, const char *run, const char *backends_opt, const char *depth_opt,
		      long n_prompt, long n_gen, long reps, long timeout, const char *db_opt, const char *backends_file,
		      bool retry, bool force, bool json, const char *svg)
{
	const char *given = n > 0			? argv[0]
			    : backends_opt		? "--backends"
			    : depth_opt			? "--depth"
			    : n_prompt != NOT_GIVEN	? "-p"
			    : n_gen != NOT_GIVEN	? "-n"
			    : reps != NOT_GIVEN		? "-r"
			    : timeout != NOT_GIVEN	? "--timeout"
							: NULL;
	if (given)
		return cli_error(EXIT_USAGE,
				 "--resume runs the run's own models, backends, -p, -n, --depth, -r and --timeout; '%s' "
				 "cannot be given with it (start a new run instead)",
				 given);
	int64_t id = 0;
	int rc = parse_run_id(run, &id);
	if (rc)
		return rc;
	halo_bench_db *db = NULL;
	char db_path[4096];
	if ((rc = open_db(db_opt, &db, db_path, sizeof(db_path))))
		return rc;
	rc = resume_run(db, db_path, id, backends_file, retry, force, json, svg);
	halo_bench_db_close(db);
	return rc;
}

int cmd_bench(int argc, const char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "endpoint")) {
		argv[1] = "bench endpoint"; /* how its messages name it */
		return cmd_bench_endpoint(argc - 1, argv + 1);
	}
	/* matrix options start unset (NULL, NOT_GIVEN) so that --resume can refuse them; defaults come after */
	const char *backends_opt = NULL, *depth_opt = NULL, *db_opt = NULL, *backends_file = NULL, *svg = NULL,
		   *resume_opt = NULL;
	long n_prompt = NOT_GIVEN, n_gen = NOT_GIVEN, reps = NOT_GIVEN, timeout = NOT_GIVEN;
	bool json = false, retry_failed = false, force = false;
	const struct option opts[] = {
		OPT_STRING(0, "backends", &backends_opt, "a,b", "backends to run (default: every one listed)"),
		OPT_INT('p', "n-prompt", &n_prompt, "n", "prompt tokens of the pp test (default 512; 0: none)"),
		OPT_INT('n', "n-gen", &n_gen, "n", "generated tokens of the tg test (default 128; 0: none)"),
		OPT_STRING('d', "depth", &depth_opt, "list", "context depths (default 0,4096,16384,32768,65536,131072)"),
		OPT_INT('r', "repetitions", &reps, "n", "repetitions of each test (default 5)"),
		OPT_INT(0, "timeout", &timeout, "s", "seconds per cell before it is killed (default 3600)"),
		OPT_STRING(0, "resume", &resume_opt, "run", "run the cells a killed or interrupted run lacks, with its own parameters"),
		OPT_BOOL(0, "retry-failed", &retry_failed, "with --resume: also run again the cells that crashed, ran out of memory, timed out or failed"),
		OPT_BOOL(0, "force", &force, "with --resume: go on although a backend's version or a model file changed (recorded in each new cell)"),
		OPT_STRING(0, "backends-file", &backends_file, "file", "backends.conf to read (default: the user's)"),
		OPT_STRING(0, "db", &db_opt, "file", "results database (default: halo.db in the data folder)"),
		OPT_STRING(0, "svg", &svg, "file", "write an SVG chart of t/s against depth there"),
		OPT_JSON(&json),
		OPT_END(),
	};
	const char **args = argv + 1;
	size_t n_args = argc > 1 ? (size_t)argc - 1 : 0;
	/* the raw arguments, for the run's record, before parse_options reorders them */
	const char **saved = calloc(n_args ? n_args : 1, sizeof(*saved));
	if (!saved)
		return cli_error(EXIT_LIMIT, "out of memory");
	memcpy(saved, args, n_args * sizeof(*saved));
	int exit_code = 0;
	int n = parse_options(argc, argv, opts, &help, &exit_code);
	if (n < 0) {
		free(saved);
		return exit_code;
	}
	if (resume_opt) {
		free(saved);
		return cmd_resume(n, argv, resume_opt, backends_opt, depth_opt, n_prompt, n_gen, reps, timeout, db_opt,
				  backends_file, retry_failed, force, json, svg);
	}
	halo_bench_db *db = NULL;
	char db_path[4096];
	const char *sub = n > 0 ? argv[0] : NULL;
	if (sub && (!strcmp(sub, "list") || !strcmp(sub, "show") || !strcmp(sub, "compare"))) {
		free(saved);
		int64_t a = 0, b = 0;
		if (!strcmp(sub, "list") && n != 1)
			return cli_error(EXIT_USAGE, "usage: halo bench list [--json]");
		bool endpoint = !strcmp(sub, "show") && n == 2 && !strncmp(argv[1], ENDPOINT_PREFIX, strlen(ENDPOINT_PREFIX));
		if (endpoint) {
			char *end;
			const char *num = argv[1] + strlen(ENDPOINT_PREFIX);
			errno = 0;
			long long v = strtoll(num, &end, 10);
			if (end == num || *end || v <= 0 || errno)
				return cli_error(EXIT_USAGE, "'%s' is not an endpoint run (endpoint:N)", argv[1]);
			if (svg)
				return cli_error(EXIT_USAGE, "--svg charts matrix runs; endpoint runs have none");
			a = v;
		} else if (!strcmp(sub, "show") && (n != 2 || (exit_code = parse_run_id(argv[1], &a))))
			return exit_code ? exit_code : cli_error(EXIT_USAGE, "usage: halo bench show <run>|endpoint:<n> [--json] [--svg <file>]");
		if (!strcmp(sub, "compare") &&
		    (n != 3 || (exit_code = parse_run_id(argv[1], &a)) || (exit_code = parse_run_id(argv[2], &b))))
			return exit_code ? exit_code : cli_error(EXIT_USAGE, "usage: halo bench compare <run-a> <run-b> [--json]");
		if ((exit_code = open_db(db_opt, &db, db_path, sizeof(db_path))))
			return exit_code;
		exit_code = !strcmp(sub, "list")   ? cmd_list(db, json)
			    : endpoint             ? present_endpoint(db, a, json)
			    : !strcmp(sub, "show") ? present(db, a, json, svg)
						   : cmd_compare(db, a, b, json);
		halo_bench_db_close(db);
		return exit_code;
	}
	if (retry_failed || force) {
		free(saved);
		return cli_error(EXIT_USAGE, "%s goes with --resume RUN", retry_failed ? "--retry-failed" : "--force");
	}
	if (n < 1) {
		free(saved);
		print_command_help(stderr, opts, &help);
		return EXIT_USAGE;
	}
	if (!depth_opt)
		depth_opt = "0,4096,16384,32768,65536,131072";
	n_prompt = n_prompt == NOT_GIVEN ? 512 : n_prompt;
	n_gen = n_gen == NOT_GIVEN ? 128 : n_gen;
	reps = reps == NOT_GIVEN ? 5 : reps;
	timeout = timeout == NOT_GIVEN ? 3600 : timeout;
	if (n_prompt < 0 || n_gen < 0 || (n_prompt == 0 && n_gen == 0) || n_prompt > 1000000 || n_gen > 1000000 ||
	    reps < 1 || reps > 1000 || timeout < 1 || timeout > 7 * 86400) {
		free(saved);
		return cli_error(EXIT_USAGE, "-p/-n (0..1000000, not both 0), -r (1..1000) or --timeout is out of range");
	}
	struct matrix mx;
	memset(&mx, 0, sizeof(mx));
	mx.n_prompt = n_prompt;
	mx.n_gen = n_gen;
	mx.reps = reps;
	mx.timeout = timeout;
	halo_backends bl = HALO_BACKENDS_INIT;
	if ((exit_code = parse_depths(depth_opt, &mx.depths, &mx.n_depths)))
		goto out;
	mx.models = calloc((size_t)n, sizeof(*mx.models));
	if (!mx.models) {
		exit_code = cli_error(EXIT_LIMIT, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		if ((exit_code = resolve_model(argv[i], path, sizeof(path))))
			goto out;
		mx.models[mx.n_models++] = strdup(path);
	}
	if (halo_backends_load(&bl, backends_file, true)) {
		exit_code = cli_fail(halo_error_last()->code);
		goto out;
	}
	mx.backends = calloc(bl.n + 1, sizeof(*mx.backends));
	if (!mx.backends) {
		exit_code = cli_error(EXIT_LIMIT, "out of memory");
		goto out;
	}
	if (backends_opt) {
		char *list = strdup(backends_opt), *save = NULL;
		for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			const halo_backend *be = halo_backends_find(&bl, t);
			if (!be) {
				exit_code = cli_fail(halo_error_last()->code);
				break;
			}
			bool dup = false;
			for (size_t k = 0; k < mx.n_backends; k++)
				dup |= mx.backends[k] == be;
			if (!dup && mx.n_backends < bl.n)
				mx.backends[mx.n_backends++] = be;
		}
		free(list);
		if (exit_code)
			goto out;
	} else {
		for (size_t i = 0; i < bl.n; i++)
			mx.backends[mx.n_backends++] = &bl.items[i];
	}
	if (!mx.n_backends) {
		exit_code = cli_error(EXIT_NOTFOUND, "no llama.cpp backend: add one to backends.conf or set HALO_LLAMA_BIN "
						     "('halo backends' shows them)");
		goto out;
	}
	if ((exit_code = open_db(db_opt, &db, db_path, sizeof(db_path))))
		goto out;
	exit_code = run_matrix(db, db_path, &mx, saved, n_args, json, svg);
out:
	halo_bench_db_close(db);
	for (size_t i = 0; i < mx.n_models; i++)
		free(mx.models[i]);
	free(mx.models);
	free(mx.backends);
	free(mx.depths);
	halo_backends_free(&bl);
	free(saved);
	return exit_code;
}
