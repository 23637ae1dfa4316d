/*
 * halo serve MODEL[:QUANT] | FILE.gguf: plans the configuration for this
 * machine as `halo plan` does, refuses one that does not fit, starts
 * llama-server with that command line, the catalog's sampling preset and
 * the backend's flags and environment, waits until it is healthy and keeps
 * it in the foreground until Ctrl-C/SIGTERM (docs/serve.md).
 */
#include "cli.h"
#include "options.h"
#include "plan_setup.h"

#include "backends.h"
#include "catalog.h"
#include "error.h"
#include "gguf.h"
#include "hparams.h"
#include "http.h"
#include "plan.h"
#include "serve.h"
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GiB (1024.0 * 1024 * 1024)
#define STOP_GRACE_S 15.0
#define TAIL_LINES 25

static const char *const usage[] = {
	"halo serve [options] <model>[:<quant>] | <file.gguf>",
	NULL,
};
static const struct command_help help = {
	usage,
	"Plans llama-server for this machine as 'halo plan' does (the largest context that\n"
	"fits, or --ctx N), refuses a configuration that does not fit (exit 8), then starts\n"
	"llama-server with that command line, the catalog's sampling preset for --mode and\n"
	"the backend's flags and environment. Waits until GET /health answers, prints the URL\n"
	"and stays in the foreground; Ctrl-C or SIGTERM stops the server. A model without\n"
	":QUANT uses the largest downloaded quant that fits.",
	1, 1,
};

struct serve_args {
	struct plan_settings s;
	const char *target, *ctx, *mode, *backend, *backends_file, *host, *log, *models_dir, *catalog;
	long port;
	double ready_timeout;
	bool dry_run, json;
};

/* What is being served, once resolved and planned. */
struct served {
	struct plan_row row;
	const halo_model *model;    /* catalog model, or NULL for an unknown file */
	const halo_preset *preset;
	char name[256];             /* for messages and the log name: "qwen3.5-0.8b:Q8_0" or the file's name */
	uint64_t native_ctx;
};

static volatile int stop_requested;
static volatile pid_t server_group;

static void on_signal(int sig)
{
	(void)sig;
	if (stop_requested && server_group > 0) {
		/* a second signal: no more waiting */
		kill(-server_group, SIGKILL);
		_exit(130);
	}
	stop_requested = 1;
}

static void catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Prints why a planned configuration does not fit; returns EXIT_LIMIT. */
static int refuse(const struct served *sv, const struct plan_machine_info *mi)
{
	const struct plan_row *r = &sv->row;
	char b[64];
	halo_buf adv = HALO_BUF_INIT;
	plan_advice(r, mi, &adv);
	if (r->n_ctx == 0)
		fprintf(stderr, "halo: %s does not fit this machine, not even with 256 tokens of context: %s\n", sv->name,
			plan_binding_text(r, b, sizeof(b)));
	else
		fprintf(stderr, "halo: %s with %" PRIu64 " tokens of context does not fit this machine: %s\n", sv->name,
			r->n_ctx, plan_binding_text(r, b, sizeof(b)));
	fprintf(stderr, "  machine  %s; headroom %.1f GiB\n", mi->what, mi->m.headroom / GiB);
	fprintf(stderr, "  needs    %.1f GiB in GPU buffers, %.1f GiB of RAM (weights %.1f GiB, KV cache %.1f GiB)\n",
		r->r.gpu_total / GiB, r->r.ram_total / GiB,
		(r->r.weights.gpu + r->r.weights.cpu + r->r.weights.cpu_mapped) / GiB, r->r.kv.total / GiB);
	fprintf(stderr, "  advice   %s\n", adv.ptr ? adv.ptr : "");
	if (r->o.n_ctx && r->n_ctx > 256)
		fprintf(stderr, "  (--ctx max, the default, serves the largest context that fits)\n");
	halo_buf_free(&adv);
	return EXIT_LIMIT;
}

static int resolve_file(const struct serve_args *a, const halo_catalog *cat, const struct plan_machine_info *mi,
			const halo_memplan_opts *o, const halo_server_opts *srv, struct served *sv)
{
	halo_gguf *g;
	halo_hparams hp;
	halo_weights_plan w;
	if (halo_http_is_url(a->target))
		return cli_error(EXIT_USAGE, "'%s': serve runs local files; 'halo pull' downloads it first", a->target);
	halo_gguf_open_opts gopts = HALO_GGUF_OPEN_OPTS_INIT;
	int rc = halo_gguf_open(&g, a->target, &gopts);
	if (rc)
		return cli_fail(rc);
	if ((rc = halo_hparams_from_gguf(&hp, g)) || (rc = halo_memplan_weights(g, &hp, o, &w))) {
		halo_gguf_free(g);
		return cli_fail(rc);
	}
	memset(&sv->row, 0, sizeof(sv->row));
	sv->row.size = g->file_size;
	snprintf(sv->row.path, sizeof(sv->row.path), "%s", a->target);
	rc = plan_row_solve(&hp, &w, o, srv, mi, hp.n_ctx_train, &sv->row);
	halo_gguf_free(g);
	if (rc)
		return cli_fail(rc);
	sv->native_ctx = hp.n_ctx_train;
	sv->model = plan_catalog_match(cat, &hp);
	sv->preset = plan_mode_preset(sv->model, a->mode);
	const char *base = strrchr(a->target, '/');
	snprintf(sv->name, sizeof(sv->name), "%s", base ? base + 1 : a->target);
	char *dot = strstr(sv->name, ".gguf");
	if (dot && dot != sv->name)
		*dot = '\0';
	return 0;
}

static bool downloaded(halo_file_status st)
{
	return st == HALO_FILE_COMPLETE || st == HALO_FILE_VERIFIED;
}

/*
 * Re-plans a downloaded quant from its file's header (split parts included),
 * keeping row->q and row->path. Returns 0 when the row was replaced, -1 when
 * the header could not be used (the row is left as it was).
 */
static int plan_exact(const halo_memplan_opts *o, const halo_server_opts *srv, const struct plan_machine_info *mi,
		      struct plan_row *row)
{
	halo_gguf *g;
	halo_hparams hp;
	halo_weights_plan w;
	halo_gguf_open_opts gopts = HALO_GGUF_OPEN_OPTS_INIT;
	if (halo_gguf_open(&g, row->path, &gopts)) {
		halo_error_clear();
		return -1;
	}
	int rc = halo_hparams_from_gguf(&hp, g) || halo_memplan_weights(g, &hp, o, &w) ? -1 : 0;
	uint64_t size = g->file_size;
	halo_gguf_free(g);
	struct plan_row exact = *row;
	if (rc || plan_row_solve(&hp, &w, o, srv, mi, hp.n_ctx_train, &exact)) {
		halo_error_clear();
		return -1;
	}
	exact.size = size;
	*row = exact;
	return 0;
}

static int resolve_catalog(const struct serve_args *a, const halo_catalog *cat, const struct plan_machine_info *mi,
			   const halo_memplan_opts *o, const halo_server_opts *srv, struct served *sv)
{
	char id[256], dir[4096];
	snprintf(id, sizeof(id), "%s", a->target);
	char *quant = strchr(id, ':');
	if (quant)
		*quant++ = '\0';
	const halo_model *m = halo_catalog_find(cat, id);
	if (!m)
		return cli_error(EXIT_NOTFOUND, "no model '%s' in the catalog; 'halo models' lists them", id);
	halo_error_clear();
	halo_store *store = NULL;
	int rc;
	if ((rc = halo_models_dir(dir, sizeof(dir), a->models_dir)) || (rc = halo_store_open(&store, dir, NULL)))
		return cli_fail(rc);
	sv->model = m;
	sv->native_ctx = m->hp.n_ctx_train;
	sv->preset = plan_mode_preset(m, a->mode);
	/* plan every quant: the downloaded ones to choose from, the others for the advice */
	int best = -1, best_any = -1, largest_dl = -1;
	size_t n_dl = 0, n_match = 0;
	struct plan_row *rows = calloc(m->n_quants ? m->n_quants : 1, sizeof(*rows));
	bool *have = calloc(m->n_quants ? m->n_quants : 1, sizeof(*have));
	if (!rows || !have) {
		free(rows);
		free(have);
		halo_store_free(store);
		return cli_error(EXIT_LIMIT, "out of memory");
	}
	for (size_t i = 0; i < m->n_quants; i++) {
		const halo_quant *q = &m->quants[i];
		if (quant && strcasecmp(quant, q->name))
			continue;
		n_match++;
		struct plan_row *r = &rows[i];
		halo_weights_plan w;
		halo_quant_status st;
		r->q = q;
		r->size = q->size_bytes;
		halo_plan_weights_estimate(&m->hp, m->params_total, q->size_bytes, o, &w);
		if ((rc = plan_row_solve(&m->hp, &w, o, srv, mi, m->hp.n_ctx_train, r)) ||
		    (rc = halo_store_quant_status(store, m, q, false, &st))) {
			free(rows);
			free(have);
			halo_store_free(store);
			return cli_fail(rc);
		}
		have[i] = downloaded(st.status) && st.path[0];
		if (have[i]) {
			snprintf(r->path, sizeof(r->path), "%s", st.path);
			n_dl++;
			if (largest_dl < 0 || r->size > rows[largest_dl].size)
				largest_dl = (int)i;
			if (plan_row_fits(r) && (best < 0 || r->size > rows[best].size))
				best = (int)i;
		}
		if (plan_row_fits(r) && (best_any < 0 || r->size > rows[best_any].size))
			best_any = (int)i;
	}
	halo_store_free(store);
	if (!n_match) {
		free(rows);
		free(have);
		return cli_error(EXIT_NOTFOUND, "model '%s' has no quant '%s'; 'halo models %s' lists them", m->id, quant,
				 m->id);
	}
	if (!n_dl) {
		const char *suggest = best_any >= 0 ? m->quants[best_any].name : quant ? quant : m->quants[0].name;
		if (quant)
			fprintf(stderr, "halo: %s:%s is not downloaded in %s\n", m->id, quant, dir);
		else
			fprintf(stderr, "halo: no quant of %s is downloaded in %s\n", m->id, dir);
		fprintf(stderr, "  'halo pull %s:%s' downloads it%s; 'halo plan %s' shows which quants fit\n", m->id,
			suggest, best_any >= 0 && !quant ? " (the largest that fits)" : "", m->id);
		if (best_any < 0)
			fprintf(stderr, "  (no quant of it fits this machine with these settings)\n");
		free(rows);
		free(have);
		return EXIT_NOTFOUND;
	}
	/* nothing downloaded fits: refuse with the largest downloaded one's reason */
	int pick = best >= 0 ? best : largest_dl;
	sv->row = rows[pick];
	/* The file is here: plan it again from its own header (exact tensor sizes rather than the
	 * catalog's estimate), as 'halo plan FILE' would. Should the header not read, the estimate stands. */
	if ((rc = plan_exact(o, srv, mi, &sv->row)) == 0 && !plan_row_fits(&sv->row) &&
	    best >= 0 && !quant) {
		/* the estimate was optimistic: choose again among the downloaded quants, exactly */
		int next = -1;
		for (size_t i = 0; i < m->n_quants; i++) {
			if (!have[i] || (int)i == pick)
				continue;
			if (plan_exact(o, srv, mi, &rows[i]) == 0 && plan_row_fits(&rows[i]) &&
			    (next < 0 || rows[i].size > rows[next].size))
				next = (int)i;
		}
		if (next >= 0) {
			pick = next;
			sv->row = rows[pick];
		}
	}
	snprintf(sv->name, sizeof(sv->name), "%s:%s", m->id, m->quants[pick].name);
	if (!quant && !a->json) {
		if (n_dl > 1 && best >= 0)
			fprintf(stderr, "halo: using %s, the largest of the %zu downloaded quants that fits\n",
				m->quants[pick].name, n_dl);
		else if (best >= 0)
			fprintf(stderr, "halo: using %s, the downloaded quant\n", m->quants[pick].name);
	}
	free(rows);
	free(have);
	return 0;
}

/* The KEY=VALUE entries the backend adds, for the printed command. */
static json_t *env_json(const halo_backend *b)
{
	json_t *o = json_object();
	for (size_t i = 0; i < b->n_env; i++) {
		const char *eq = strchr(b->env[i], '=');
		if (!eq)
			continue;
		char key[256];
		snprintf(key, sizeof(key), "%.*s", (int)(eq - b->env[i]) < 255 ? (int)(eq - b->env[i]) : 255, b->env[i]);
		json_object_set_new(o, key, json_string(eq + 1));
	}
	return o;
}

static json_t *argv_json(char *const argv[])
{
	json_t *a = json_array();
	for (size_t i = 0; argv[i]; i++)
		json_array_append_new(a, json_string(argv[i]));
	return a;
}

struct progress_state {
	double last;
	bool tty;
};

static void on_progress(void *ud, double elapsed, long status)
{
	struct progress_state *p = ud;
	if (elapsed - p->last < 5.0)
		return;
	p->last = elapsed;
	fprintf(stderr, "halo: %s... %.0f s\n", status == 503 ? "loading the model" : "waiting for llama-server",
		elapsed);
}

/* Prints the log's last lines and the likely cause. */
static void print_tail(const char *log_path)
{
	halo_buf tail = HALO_BUF_INIT;
	if (!halo_serve_log_tail(log_path, TAIL_LINES, &tail) && tail.len) {
		fprintf(stderr, "--- last lines of %s ---\n%s\n---\n", log_path, tail.ptr);
		const char *cause = halo_serve_diagnose(tail.ptr, tail.len);
		if (cause)
			fprintf(stderr, "halo: likely cause: %s\n", cause);
	}
	halo_error_clear();
	halo_buf_free(&tail);
}

/* Stops the server after a signal: 0 when it ended on its own terms. */
static int stop_server(halo_server *srv)
{
	bool killed = false;
	char st[128];
	fprintf(stderr, "halo: stopping llama-server (pid %d)\n", (int)srv->pid);
	halo_serve_stop(srv, STOP_GRACE_S, &killed);
	server_group = 0;
	if (killed)
		return cli_error(EXIT_FAILURE_, "llama-server did not stop within %.0f s and was killed", STOP_GRACE_S);
	bool clean = (WIFEXITED(srv->status) && WEXITSTATUS(srv->status) == 0) ||
		     (WIFSIGNALED(srv->status) && WTERMSIG(srv->status) == SIGTERM);
	if (!clean)
		return cli_error(EXIT_FAILURE_, "llama-server stopped with %s",
				 halo_serve_status_text(srv->status, st, sizeof(st)));
	fprintf(stderr, "halo: stopped\n");
	return EXIT_OK;
}

static int run_server(const struct serve_args *a, const struct served *sv, char **argv, char **env,
		      const char *log_path, const char *backend_name)
{
	char base[256], st[128];
	int rc;
	if ((rc = halo_serve_base_url(a->host, (int)a->port, base, sizeof(base))))
		return cli_fail(rc);
	if ((rc = halo_serve_check_port(a->host, (int)a->port)))
		return cli_fail(rc);
	struct progress_state ps = { 0, false };
	halo_serve_opts so = HALO_SERVE_OPTS_INIT;
	so.log_path = log_path;
	so.env = env;
	so.ready_timeout_s = a->ready_timeout;
	so.progress = on_progress;
	so.progress_ud = &ps;
	so.cancel = &stop_requested;
	catch_signals();
	fprintf(stderr, "halo: starting %s with backend '%s', %" PRIu64 " tokens of context, preset '%s'\n", sv->name,
		backend_name, sv->row.n_ctx, sv->preset ? sv->preset->name : "none");
	fprintf(stderr, "halo: log %s\n", log_path);
	halo_server srv;
	if ((rc = halo_serve_start(&srv, argv, a->host, (int)a->port, &so)))
		return cli_fail(rc);
	server_group = srv.pid;
	if ((rc = halo_serve_wait_ready(&srv, &so))) {
		if (stop_requested)
			return stop_server(&srv);
		int code = cli_fail(rc);
		if (srv.pid) /* timed out: it is still loading */
			halo_serve_stop(&srv, STOP_GRACE_S, NULL);
		server_group = 0;
		print_tail(log_path);
		return code;
	}
	if (a->json) {
		json_t *o = json_object();
		char v1[300];
		snprintf(v1, sizeof(v1), "%s/v1", base);
		json_object_set_new(o, "url", json_string(base));
		json_object_set_new(o, "openai_base_url", json_string(v1));
		json_object_set_new(o, "log", json_string(log_path));
		json_object_set_new(o, "pid", json_integer(srv.pid));
		json_object_set_new(o, "model", json_string(sv->name));
		json_object_set_new(o, "context", json_integer((json_int_t)sv->row.n_ctx));
		cli_print_json(o);
	} else {
		printf("ready     %s\nopenai    %s/v1\nlog       %s\n", base, base, log_path);
	}
	fflush(stdout);
	fprintf(stderr, "halo: serving; Ctrl-C stops it\n");
	while (!stop_requested) {
		if (!halo_serve_running(&srv)) {
			server_group = 0;
			cli_error(EXIT_FAILURE_, "llama-server ended on its own with %s",
				  halo_serve_status_text(srv.status, st, sizeof(st)));
			print_tail(log_path);
			return EXIT_FAILURE_;
		}
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return stop_server(&srv);
}

int cmd_serve(int argc, const char **argv)
{
	struct serve_args a = { .s = PLAN_SETTINGS_INIT, .host = "127.0.0.1", .port = 8080, .ready_timeout = 600 };
	const struct option opts[] = {
		OPT_GROUP("server"),
		OPT_STRING(0, "mode", &a.mode, "mode", "sampling preset: thinking, coding, instruct (default thinking)"),
		OPT_STRING(0, "backend", &a.backend, "name", "llama.cpp build to run (default: the first in backends.conf, "
							       "else llama-server from $HALO_LLAMA_BIN or PATH)"),
		OPT_STRING(0, "backends-file", &a.backends_file, "file", "backends.conf to read (default ~/.config/halo/)"),
		OPT_STRING(0, "host", &a.host, "addr", "address to listen on (default 127.0.0.1)"),
		OPT_INT(0, "port", &a.port, "n", "port to listen on (default 8080)"),
		OPT_STRING(0, "log", &a.log, "file", "llama-server's output (default ~/.local/state/halo/logs/)"),
		OPT_DOUBLE(0, "ready-timeout", &a.ready_timeout, "s", "seconds to wait for the model to load (default 600)"),
		OPT_BOOL(0, "dry-run", &a.dry_run, "print the command and start nothing"),
		PLAN_MACHINE_OPTIONS(&a.s),
		OPT_GROUP("llama-server settings"),
		OPT_STRING(0, "ctx", &a.ctx, "n|max", "context (default max: the largest that fits, up to the native one)"),
		PLAN_SERVER_OPTIONS(&a.s),
		OPT_GROUP("other"),
		OPT_STRING(0, "models-dir", &a.models_dir, "dir", "where downloaded models are"),
		OPT_STRING(0, "catalog", &a.catalog, "file", "extra catalog file"),
		OPT_BOOL(0, "json", &a.json, "with --dry-run: the command, argv, env and plan as JSON; "
					     "else one JSON line once ready"),
		OPT_END(),
	};
	int exit_code;
	int n = parse_options(argc, argv, opts, &help, &exit_code);
	if (n < 0)
		return exit_code;
	a.target = argv[0];
	if (a.ctx && strcmp(a.ctx, "max")) {
		char *end;
		errno = 0;
		long v = strtol(a.ctx, &end, 10);
		if (errno || *end || end == a.ctx || v < 1 || v > (1L << 30))
			return cli_error(EXIT_USAGE, "--ctx takes a positive number of tokens or 'max'");
		a.s.ctx = v;
	}
	if (a.port < 1 || a.port > 65535)
		return cli_error(EXIT_USAGE, "--port must be 1 to 65535");
	if (!(a.ready_timeout > 0))
		return cli_error(EXIT_USAGE, "--ready-timeout must be positive");
	if (a.mode && strcmp(a.mode, "thinking") && strcmp(a.mode, "coding") && strcmp(a.mode, "instruct"))
		return cli_error(EXIT_USAGE, "--mode takes thinking, coding or instruct");

	struct plan_machine_info mi;
	if ((exit_code = plan_machine_describe(&a.s, &mi)))
		return exit_code;
	halo_memplan_opts o;
	halo_server_opts sopts;
	if ((exit_code = plan_opts_build(&a.s, &mi, &o, &sopts)))
		return exit_code;
	halo_catalog cat = HALO_CATALOG_INIT;
	int rc = halo_catalog_load_default(&cat, a.catalog);
	if (rc)
		return cli_fail(rc);

	struct served sv;
	memset(&sv, 0, sizeof(sv));
	bool is_file = halo_http_is_url(a.target) || strstr(a.target, ".gguf") || strchr(a.target, '/');
	exit_code = is_file ? resolve_file(&a, &cat, &mi, &o, &sopts, &sv) : resolve_catalog(&a, &cat, &mi, &o, &sopts, &sv);
	if (exit_code)
		goto out_cat;
	if (!plan_row_fits(&sv.row)) {
		exit_code = refuse(&sv, &mi);
		goto out_cat;
	}

	halo_backends backends = HALO_BACKENDS_INIT;
	const halo_backend *b = NULL;
	char **pargv = NULL, **full = NULL, **env = NULL;
	if ((rc = halo_backends_load(&backends, a.backends_file, true))) {
		exit_code = cli_fail(rc);
		goto out_cat;
	}
	if (a.backend)
		b = halo_backends_find(&backends, a.backend);
	else if (backends.n)
		b = &backends.items[0];
	else
		halo_error_set(HALO_ENOTFOUND, "no llama.cpp backend: set HALO_LLAMA_BIN, put llama-server in PATH, or "
					       "register a build in backends.conf (docs/backends.md)");
	if (!b) {
		exit_code = cli_fail(halo_error_last()->code);
		goto out;
	}
	char port[16];
	snprintf(port, sizeof(port), "%ld", a.port);
	if ((rc = halo_plan_argv(&pargv, "llama-server", sv.row.path, &sv.row.o, &sv.row.srv, sv.preset))) {
		exit_code = cli_fail(rc);
		goto out;
	}
	{
		/* halo's arguments, then --host/--port, then the backend's server_flags (later ones win) */
		size_t np = 0;
		while (pargv[np])
			np++;
		char **args = calloc(np + 4, sizeof(*args));
		if (!args) {
			exit_code = cli_error(EXIT_LIMIT, "out of memory");
			goto out;
		}
		memcpy(args, pargv + 1, (np - 1) * sizeof(*args));
		args[np - 1] = "--host";
		args[np] = (char *)a.host;
		args[np + 1] = "--port";
		args[np + 2] = port;
		rc = halo_backend_argv(b, "llama-server", args, &full);
		free(args);
		if (rc) {
			exit_code = cli_fail(rc);
			goto out;
		}
	}

	if (a.dry_run) {
		halo_buf cmd = HALO_BUF_INIT;
		if ((rc = halo_serve_shell_command(&cmd, b->env, b->n_env, full))) {
			halo_buf_free(&cmd);
			exit_code = cli_fail(rc);
			goto out;
		}
		if (a.json) {
			json_t *root = json_object();
			json_object_set_new(root, "command", json_string(cmd.ptr));
			json_object_set_new(root, "argv", argv_json(full));
			json_object_set_new(root, "env", env_json(b));
			json_object_set_new(root, "backend", json_string(b->name));
			json_object_set_new(root, "model", json_string(sv.name));
			json_object_set_new(root, "catalog_model", sv.model ? json_string(sv.model->id) : json_null());
			json_object_set_new(root, "preset", sv.preset ? json_string(sv.preset->name) : json_null());
			json_object_set_new(root, "native_context", json_integer((json_int_t)sv.native_ctx));
			json_object_set_new(root, "machine", plan_machine_json(&mi));
			json_object_set_new(root, "plan",
					    plan_row_json(&sv.row, sv.row.q ? sv.row.q->name : NULL,
							  sv.row.q ? sv.row.q->provider : NULL, sv.preset, &mi));
			exit_code = cli_print_json(root);
		} else {
			printf("%s\n", cmd.ptr);
			exit_code = EXIT_OK;
		}
		halo_buf_free(&cmd);
		goto out;
	}

	char log_path[4096];
	if (a.log)
		snprintf(log_path, sizeof(log_path), "%s", a.log);
	else if ((rc = halo_serve_default_log(log_path, sizeof(log_path), sv.name, (int)a.port))) {
		exit_code = cli_fail(rc);
		goto out;
	}
	if (!(env = halo_backend_env(b, NULL))) {
		exit_code = cli_error(EXIT_LIMIT, "out of memory");
		goto out;
	}
	exit_code = run_server(&a, &sv, full, env, log_path, b->name);

out:
	halo_backend_env_free(env);
	halo_plan_argv_free(full);
	halo_plan_argv_free(pargv);
	halo_backends_free(&backends);
out_cat:
	halo_catalog_free(&cat);
	return exit_code;
}
