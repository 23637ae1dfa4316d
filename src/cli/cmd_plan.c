/*
 * halo plan [MODEL[:QUANT] | FILE | URL]: which quant fits this machine (or
 * one described with --mem/--gpu-mem), with how much context, and the exact
 * llama-server command line. Everything comes from the catalog or the GGUF
 * header: nothing is downloaded.
 */
#include "cli.h"
#include "options.h"

#include "buf.h"
#include "catalog.h"
#include "error.h"
#include "ggml_type.h"
#include "gguf.h"
#include "hparams.h"
#include "http.h"
#include "hw.h"
#include "llama_log.h"
#include "llama_run.h"
#include "plan.h"
#include "plan_setup.h"
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define GiB (1024.0 * 1024 * 1024)

static const char *const usage[] = {
	"halo plan [options] [<model>[:<quant>] | <file.gguf> | <url>]",
	NULL,
};
static const struct command_help help = {
	usage,
	"Computes what llama.cpp will allocate (weights, KV cache on the attention layers only,\n"
	"recurrent state, compute and output buffers, llama-server's checkpoints and prompt\n"
	"cache) and solves the largest context that fits. For a catalog model: every quant,\n"
	"then the recommendation tiers with their llama-server command lines. For a file or\n"
	"URL: that file (remote headers only). With no argument: this machine and the\n"
	"catalog's top pick. Sizes: 64G = 64e9 bytes, 64GiB = 64 x 2^30.",
	0, 1,
};

struct plan_args {
	struct plan_settings s;
	const char *target, *mode, *models_dir, *catalog, *llama_bin, *verify_log;
	bool json, verify;
};

enum { TIER_QUALITY, TIER_BALANCE, TIER_CONTEXT, TIER_SPEED, TIER_COUNT };
static const char *const tier_names[TIER_COUNT] = { "maximum_quality", "best_balance", "maximum_context", "speed_test" };
static const char *const tier_titles[TIER_COUNT] = { "maximum quality", "best balance", "maximum context", "speed test" };

/*
 * The research's four tiers, among quants that fit:
 * - maximum quality: the largest file that still gets min(32768, native) tokens;
 * - best balance: the largest file that gets the full context;
 * - maximum context: the most tokens, then the larger file;
 * - speed test: the smallest file (decode speed is bound by bytes read per token).
 */
static void pick_tiers(const struct plan_row *rows, size_t n, uint64_t full_ctx, int tiers[TIER_COUNT])
{
	uint64_t want = full_ctx < 32768 ? full_ctx : 32768;
	for (int t = 0; t < TIER_COUNT; t++)
		tiers[t] = -1;
	for (size_t i = 0; i < n; i++) {
		const struct plan_row *r = &rows[i];
		if (!plan_row_fits(r))
			continue;
		int k = (int)i;
		if (r->n_ctx >= want && (tiers[TIER_QUALITY] < 0 || r->size > rows[tiers[TIER_QUALITY]].size))
			tiers[TIER_QUALITY] = k;
		if (r->n_ctx >= full_ctx && (tiers[TIER_BALANCE] < 0 || r->size > rows[tiers[TIER_BALANCE]].size))
			tiers[TIER_BALANCE] = k;
		if (tiers[TIER_CONTEXT] < 0 || r->n_ctx > rows[tiers[TIER_CONTEXT]].n_ctx ||
		    (r->n_ctx == rows[tiers[TIER_CONTEXT]].n_ctx && r->size > rows[tiers[TIER_CONTEXT]].size))
			tiers[TIER_CONTEXT] = k;
		if (tiers[TIER_SPEED] < 0 || r->size < rows[tiers[TIER_SPEED]].size)
			tiers[TIER_SPEED] = k;
	}
}

static void print_header(const struct plan_machine_info *mi, const char *title, const halo_hparams *hp,
			 const halo_memplan_opts *o)
{
	uint32_t n_attn, n_rec, n_swa;
	uint64_t full = 0, swa = 0;
	char tk[16], tv[16];
	halo_hparams_layer_counts(hp, &n_attn, &n_rec, &n_swa);
	halo_hparams_kv_bytes_per_token(hp, o->type_k, o->type_v, &full, &swa);
	snprintf(tk, sizeof(tk), "%s", halo_ggml_type_get(o->type_k)->name);
	snprintf(tv, sizeof(tv), "%s", halo_ggml_type_get(o->type_v)->name);
	printf("machine   %s; headroom %.1f GiB\n", mi->what, mi->m.headroom / GiB);
	printf("model     %s: %s, %u attention + %u recurrent + %u sliding-window layers\n", title, hp->arch, n_attn,
	       n_rec, n_swa);
	printf("settings  %u slots (%s KV), KV %s/%s = %.1f KiB per token, flash attention %s, ubatch %u\n", o->n_seq,
	       o->kv_unified ? "unified" : "per-slot", tk, tv, full / 1024.0, o->flash_attn ? "on" : "off", o->n_ubatch);
	if (n_rec) {
		halo_recurrent_plan r;
		halo_memplan_opts one = *o;
		one.n_seq = 1;
		halo_memplan_recurrent(hp, &one, &r);
		printf("          recurrent state %.1f MiB per slot (no KV on recurrent layers)\n", r.total / 1048576.0);
	}
	putchar('\n');
}

static void print_rows(const struct plan_row *rows, size_t n)
{
	char b[64];
	printf("%-14s %-10s %9s  %-4s %11s %10s %10s  %s\n", "QUANT", "PROVIDER", "SIZE", "FITS", "MAX CONTEXT", "GPU GiB",
	       "RAM GiB", "LIMIT");
	for (size_t i = 0; i < n; i++) {
		const struct plan_row *r = &rows[i];
		char size[32];
		printf("%-14s %-10s %9s  %-4s %11" PRIu64 " %10.1f %10.1f  %s\n", r->q ? r->q->name : "(file)",
		       r->q && r->q->provider ? r->q->provider : "", fmt_gb(size, sizeof(size), r->size),
		       plan_row_fits(r) ? "yes" : "no", plan_row_fits(r) ? r->n_ctx : 0, r->r.gpu_total / GiB, r->r.ram_total / GiB,
		       plan_binding_text(r, b, sizeof(b)));
	}
}

static int plan_catalog(const struct plan_args *a, const halo_catalog *cat, const halo_model *m, const char *quant,
			const struct plan_machine_info *mi)
{
	halo_memplan_opts o;
	halo_server_opts srv;
	int rc = plan_opts_build(&a->s, mi, &o, &srv);
	if (rc)
		return rc;
	(void)cat;
	char dir[4096];
	halo_store *store = NULL;
	if ((rc = halo_models_dir(dir, sizeof(dir), a->models_dir)) || (rc = halo_store_open(&store, dir, NULL)))
		return cli_fail(rc);
	uint64_t cap = m->hp.n_ctx_train;
	struct plan_row *rows = calloc(m->n_quants ? m->n_quants : 1, sizeof(*rows));
	size_t n = 0;
	if (!rows) {
		halo_store_free(store);
		return cli_error(EXIT_LIMIT, "out of memory");
	}
	for (size_t i = 0; i < m->n_quants; i++) {
		const halo_quant *q = &m->quants[i];
		if (quant && strcasecmp(quant, q->name))
			continue;
		struct plan_row *r = &rows[n++];
		halo_weights_plan w;
		r->q = q;
		r->size = q->size_bytes;
		halo_plan_weights_estimate(&m->hp, m->params_total, q->size_bytes, &o, &w);
		if ((rc = plan_row_solve(&m->hp, &w, &o, &srv, mi, cap, r))) {
			free(rows);
			halo_store_free(store);
			return cli_fail(rc);
		}
		plan_model_path(store, dir, m, q, r->path, sizeof(r->path));
	}
	halo_store_free(store);
	if (!n) {
		free(rows);
		return cli_error(EXIT_NOTFOUND, "model '%s' has no quant '%s'; 'halo models %s' lists them", m->id, quant,
				 m->id);
	}
	const halo_preset *preset = plan_mode_preset(m, a->mode);
	int tiers[TIER_COUNT];
	pick_tiers(rows, n, o.n_ctx ? o.n_ctx : cap, tiers);

	if (a->json) {
		json_t *root = json_object(), *jq = json_array(), *jt = json_object();
		json_object_set_new(root, "machine", plan_machine_json(mi));
		json_object_set_new(root, "model", json_string(m->id));
		json_object_set_new(root, "native_context", json_integer((json_int_t)cap));
		for (size_t i = 0; i < n; i++)
			json_array_append_new(jq, plan_row_json(&rows[i], rows[i].q->name, rows[i].q->provider, preset, mi));
		json_object_set_new(root, "quants", jq);
		for (int t = 0; t < TIER_COUNT; t++) {
			json_t *v = json_null();
			if (tiers[t] >= 0) {
				const struct plan_row *r = &rows[tiers[t]];
				halo_buf cmd = HALO_BUF_INIT;
				v = json_object();
				json_object_set_new(v, "quant", json_string(r->q->name));
				json_object_set_new(v, "provider", json_string(r->q->provider ? r->q->provider : ""));
				json_object_set_new(v, "context", json_integer((json_int_t)r->n_ctx));
				if (!halo_plan_command(&cmd, r->path, &r->o, &r->srv, preset))
					json_object_set_new(v, "command", json_string(cmd.ptr));
				halo_buf_free(&cmd);
			}
			json_object_set_new(jt, tier_names[t], v);
		}
		json_object_set_new(root, "recommendations", jt);
		free(rows);
		return cli_print_json(root);
	}

	char title[256];
	snprintf(title, sizeof(title), "%s (%s)", m->name ? m->name : m->id, m->id);
	print_header(mi, title, &m->hp, &o);
	print_rows(rows, n);
	printf("\nrecommendations (preset '%s')\n", preset ? preset->name : "none");
	for (int t = 0; t < TIER_COUNT; t++) {
		if (tiers[t] < 0) {
			printf("  %-16s nothing fits\n", tier_titles[t]);
			continue;
		}
		const struct plan_row *r = &rows[tiers[t]];
		char size[32];
		halo_buf cmd = HALO_BUF_INIT;
		halo_plan_command(&cmd, r->path, &r->o, &r->srv, preset);
		printf("  %-16s %s %s (%s), %" PRIu64 " tokens\n    %s\n", tier_titles[t], r->q->name,
		       r->q->provider ? r->q->provider : "", fmt_gb(size, sizeof(size), r->size), r->n_ctx,
		       cmd.ptr ? cmd.ptr : "");
		halo_buf_free(&cmd);
	}
	bool any_unfit = false;
	for (size_t i = 0; i < n; i++) {
		halo_buf adv = HALO_BUF_INIT;
		plan_advice(&rows[i], mi, &adv);
		if (adv.len) {
			if (!any_unfit)
				printf("\nwhat does not fit\n");
			any_unfit = true;
			printf("  %-14s %s\n", rows[i].q->name, adv.ptr);
		}
		halo_buf_free(&adv);
	}
	free(rows);
	return EXIT_OK;
}


/* One component of --verify: predicted bytes against llama.cpp's printed centi-MiB. */
struct check {
	const char *name;
	uint64_t predicted;   /* bytes */
	uint64_t pred_centi;  /* as llama.cpp would print it */
	uint64_t measured;    /* centi-MiB */
	double tolerance;     /* relative; 0 = equal at printed precision */
	bool ok;
};

static void check_set(struct check *c, const char *name, uint64_t predicted, uint64_t pred_centi, uint64_t measured,
		      double tolerance)
{
	c->name = name;
	c->predicted = predicted;
	c->pred_centi = pred_centi;
	c->measured = measured;
	c->tolerance = tolerance;
	if (tolerance == 0)
		c->ok = pred_centi == measured;
	else
		c->ok = measured ? fabs((double)pred_centi - (double)measured) <= tolerance * (double)measured
				 : pred_centi == 0;
}

static double diff_pct(const struct check *c)
{
	return c->measured ? 100.0 * ((double)c->pred_centi - (double)c->measured) / (double)c->measured : 0.0;
}

/*
 * Runs the local llama-server on the file with the planned settings, reads
 * what it allocated from its log, and compares each component.
 */
static int verify_file(const struct plan_args *a, const char *target, const halo_hparams *hp, const struct plan_row *row)
{
	char bin[4096], sockdir[] = "/tmp/halo-verify.XXXXXX", sock[4200];
	char **argv = NULL;
	int rc = halo_llama_find(bin, sizeof(bin), a->llama_bin, "llama-server");
	if (rc)
		return cli_fail(rc);
	if (!mkdtemp(sockdir))
		return cli_error(EXIT_IO, "cannot create a temporary directory: %s", strerror(errno));
	snprintf(sock, sizeof(sock), "%s/llama.sock", sockdir);
	if ((rc = halo_plan_argv(&argv, bin, target, &row->o, &row->srv, NULL))) {
		rmdir(sockdir);
		return cli_fail(rc);
	}
	/* listen on a private unix socket: no port to find, nothing reachable */
	size_t n = 0;
	while (argv[n])
		n++;
	char **full = calloc(n + 6, sizeof(*full));
	if (!full) {
		halo_plan_argv_free(argv);
		rmdir(sockdir);
		return cli_error(EXIT_LIMIT, "out of memory");
	}
	memcpy(full, argv, n * sizeof(*full));
	full[n] = "--host";
	full[n + 1] = sock;
	full[n + 2] = "--no-warmup";
	full[n + 3] = "-v";
	halo_buf log = HALO_BUF_INIT;
	halo_llama_run_opts ro = HALO_LLAMA_RUN_OPTS_INIT;
	int status = 0;
	ro.until = "model loaded";
	rc = halo_llama_run(full, &ro, &log, &status);
	free(full);
	halo_plan_argv_free(argv);
	unlink(sock);
	rmdir(sockdir);
	if (a->verify_log) {
		FILE *f = fopen(a->verify_log, "w");
		if (!f || (log.len && fwrite(log.ptr, 1, log.len, f) != log.len) || fclose(f)) {
			halo_buf_free(&log);
			return cli_error(EXIT_IO, "cannot write the llama-server log to '%s'", a->verify_log);
		}
	}
	halo_llama_measure m;
	halo_llama_log_parse(log.ptr ? log.ptr : "", log.len, &m);
	if (rc || !m.have_context) {
		fprintf(stderr, "%s", log.ptr ? log.ptr : "");
		halo_buf_free(&log);
		if (rc)
			return cli_fail(rc);
		return cli_error(EXIT_FAILURE_, "llama-server did not create a context (exit %d)%s%s", status,
				 m.error[0] ? ": " : "", m.error);
	}
	halo_buf_free(&log);

	const halo_plan_result *r = &row->r;
	uint64_t weights = r->weights.gpu + r->weights.cpu + r->weights.cpu_mapped;
	uint64_t kv_full = r->kv.k_bytes + r->kv.v_bytes, kv_swa = r->kv.swa_k_bytes + r->kv.swa_v_bytes;
	/* llama.cpp prints one line per cache: round each as it does */
	uint64_t kv_centi = (kv_full || !kv_swa ? halo_llama_centi_mib(kv_full) : 0) +
			    (kv_swa ? halo_llama_centi_mib(kv_swa) : 0);
	uint64_t compute = r->compute.cpu + r->compute.gpu;
	struct check c[6];
	check_set(&c[0], "kv_cache", r->kv.total, kv_centi, m.kv, 0);
	check_set(&c[1], "recurrent_state", r->recurrent.total, halo_llama_centi_mib(r->recurrent.total), m.recurrent, 0);
	check_set(&c[2], "weights", weights, halo_llama_centi_mib(weights), m.model_host + m.model_device, 0.005);
	check_set(&c[3], "output", r->output, halo_llama_centi_mib(r->output), m.output, 0);
	check_set(&c[4], "compute", compute, halo_llama_centi_mib(compute), m.compute_host + m.compute_device, 0.15);
	uint64_t total = weights + r->kv.total + r->recurrent.total + compute + r->output;
	check_set(&c[5], "total", total, halo_llama_centi_mib(total),
		  m.model_host + m.model_device + m.kv + m.recurrent + m.output + m.compute_host + m.compute_device, 0.03);
	bool ok = true;
	for (int i = 0; i < 6; i++)
		ok &= c[i].ok;
	(void)hp;

	if (a->json) {
		json_t *root = json_object(), *jc = json_array();
		json_object_set_new(root, "file", json_string(target));
		json_object_set_new(root, "n_ctx", json_integer(m.n_ctx));
		json_object_set_new(root, "predicted_n_ctx", json_integer(r->kv.n_ctx));
		json_object_set_new(root, "n_seq", json_integer(m.n_seq_max));
		for (int i = 0; i < 6; i++) {
			json_t *o = json_object();
			json_object_set_new(o, "component", json_string(c[i].name));
			json_object_set_new(o, "predicted_bytes", json_integer((json_int_t)c[i].predicted));
			json_object_set_new(o, "predicted_mib", json_real(c[i].pred_centi / 100.0));
			json_object_set_new(o, "measured_mib", json_real(c[i].measured / 100.0));
			json_object_set_new(o, "diff_percent", json_real(diff_pct(&c[i])));
			json_object_set_new(o, "tolerance_percent", json_real(c[i].tolerance * 100));
			json_object_set_new(o, "ok", json_boolean(c[i].ok));
			json_array_append_new(jc, o);
		}
		json_object_set_new(root, "components", jc);
		json_object_set_new(root, "ok", json_boolean(ok));
		rc = cli_print_json(root);
		return rc ? rc : ok ? EXIT_OK : EXIT_FAILURE_;
	}
	printf("verify    %s with the local llama-server: n_ctx %u (predicted %u), %u sequences\n\n", target, m.n_ctx,
	       r->kv.n_ctx, m.n_seq_max);
	printf("%-16s %14s %14s %9s  %s\n", "COMPONENT", "PREDICTED MiB", "MEASURED MiB", "DIFF", "");
	for (int i = 0; i < 6; i++)
		printf("%-16s %14.2f %14.2f %8.2f%%  %s (%s)\n", c[i].name, c[i].pred_centi / 100.0, c[i].measured / 100.0,
		       diff_pct(&c[i]), c[i].ok ? "ok" : "OFF",
		       c[i].tolerance == 0 ? "exact" : c[i].tolerance == 0.005 ? "0.5%" : c[i].tolerance == 0.15 ? "15%" : "3%");
	return ok ? EXIT_OK : EXIT_FAILURE_;
}

static int plan_file(const struct plan_args *a, const halo_catalog *cat, const char *target,
		     const struct plan_machine_info *mi)
{
	halo_memplan_opts o;
	halo_server_opts srv;
	halo_gguf *g;
	halo_hparams hp;
	halo_weights_plan w;
	struct plan_row row;
	int rc = plan_opts_build(&a->s, mi, &o, &srv);
	if (rc)
		return rc;
	halo_gguf_open_opts gopts = HALO_GGUF_OPEN_OPTS_INIT;
	gopts.allow_truncated_data = true;
	if ((rc = halo_gguf_open(&g, target, &gopts)))
		return cli_fail(rc);
	if ((rc = halo_hparams_from_gguf(&hp, g)) || (rc = halo_memplan_weights(g, &hp, &o, &w))) {
		halo_gguf_free(g);
		return cli_fail(rc);
	}
	memset(&row, 0, sizeof(row));
	row.size = g->file_size;
	snprintf(row.path, sizeof(row.path), "%s", target);
	if ((rc = plan_row_solve(&hp, &w, &o, &srv, mi, hp.n_ctx_train, &row))) {
		halo_gguf_free(g);
		return cli_fail(rc);
	}
	/* The catalog's preset when the file is one of its models (same architecture facts). */
	const halo_model *m = plan_catalog_match(cat, &hp);
	const halo_preset *preset = plan_mode_preset(m, a->mode);
	const char *name = NULL;
	halo_gguf_get_str(g, "general.name", &name);
	if (a->verify) {
		rc = verify_file(a, target, &hp, &row);
		halo_gguf_free(g);
		return rc;
	}
	if (a->json) {
		json_t *root = json_object();
		json_object_set_new(root, "machine", plan_machine_json(mi));
		json_object_set_new(root, "file", json_string(target));
		json_object_set_new(root, "catalog_model", m ? json_string(m->id) : json_null());
		json_object_set_new(root, "native_context", json_integer((json_int_t)hp.n_ctx_train));
		json_object_set_new(root, "plan", plan_row_json(&row, NULL, NULL, preset, mi));
		halo_gguf_free(g);
		return cli_print_json(root);
	}
	char title[512];
	snprintf(title, sizeof(title), "%s (%s)", name ? name : "unnamed", target);
	print_header(mi, title, &hp, &o);
	print_rows(&row, 1);
	if (plan_row_fits(&row)) {
		halo_buf cmd = HALO_BUF_INIT;
		halo_plan_command(&cmd, row.path, &row.o, &row.srv, preset);
		printf("\n  %s\n", cmd.ptr ? cmd.ptr : "");
		halo_buf_free(&cmd);
	} else {
		halo_buf adv = HALO_BUF_INIT;
		plan_advice(&row, mi, &adv);
		printf("\n  does not fit: %s\n", adv.ptr ? adv.ptr : "");
		halo_buf_free(&adv);
	}
	halo_gguf_free(g);
	return EXIT_OK;
}

int cmd_plan(int argc, const char **argv)
{
	struct plan_args a = { .s = PLAN_SETTINGS_INIT };
	const struct option opts[] = {
		PLAN_MACHINE_OPTIONS(&a.s),
		OPT_GROUP("llama-server settings"),
		OPT_INT(0, "ctx", &a.s.ctx, "n", "context to check (default: the largest that fits)"),
		PLAN_SERVER_OPTIONS(&a.s),
		OPT_STRING(0, "mode", &a.mode, "mode", "sampling preset: thinking, coding, instruct (default thinking)"),
		OPT_GROUP("proof against llama.cpp"),
		OPT_BOOL(0, "verify", &a.verify, "run the local llama-server on FILE and compare each component"),
		OPT_STRING(0, "llama-bin", &a.llama_bin, "dir", "where llama-server is (default $HALO_LLAMA_BIN, PATH)"),
		OPT_STRING(0, "verify-log", &a.verify_log, "file", "keep llama-server's log of the --verify run"),
		OPT_GROUP("other"),
		OPT_STRING(0, "models-dir", &a.models_dir, "dir", "where models are (for the paths in commands)"),
		OPT_STRING(0, "catalog", &a.catalog, "file", "extra catalog file"),
		OPT_JSON(&a.json),
		OPT_END(),
	};
	int exit_code;
	int n = parse_options(argc, argv, opts, &help, &exit_code);
	if (n < 0)
		return exit_code;
	a.target = n ? argv[0] : NULL;

	struct plan_machine_info mi;
	if ((exit_code = plan_machine_describe(&a.s, &mi)))
		return exit_code;
	halo_catalog cat = HALO_CATALOG_INIT;
	int rc = halo_catalog_load_default(&cat, a.catalog);
	if (rc)
		return cli_fail(rc);

	if (a.verify && (!a.target || halo_http_is_url(a.target))) {
		halo_catalog_free(&cat);
		return cli_error(EXIT_USAGE, "--verify needs a local GGUF file");
	}
	if (!a.target) {
		const halo_model *top = halo_catalog_top_pick(&cat);
		exit_code = top ? plan_catalog(&a, &cat, top, NULL, &mi) : cli_fail(HALO_ENOTFOUND);
	} else if (halo_http_is_url(a.target) || strstr(a.target, ".gguf") || strchr(a.target, '/')) {
		exit_code = plan_file(&a, &cat, a.target, &mi);
	} else {
		char id[256];
		snprintf(id, sizeof(id), "%s", a.target);
		char *colon = strchr(id, ':');
		if (colon)
			*colon++ = '\0';
		const halo_model *m = halo_catalog_find(&cat, id);
		exit_code = m ? plan_catalog(&a, &cat, m, colon, &mi)
			      : cli_error(EXIT_NOTFOUND, "no model '%s' in the catalog; 'halo models' lists them", id);
	}
	halo_catalog_free(&cat);
	return exit_code;
}
