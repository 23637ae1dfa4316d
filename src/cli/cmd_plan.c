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
	const char *target;
	uint64_t mem, gpu_mem, headroom, cache_ram;
	long ctx, parallel, ubatch, batch, ngl, n_cpu_moe, checkpoints;
	const char *kv, *ctk, *ctv, *fa, *mode, *load_mode, *models_dir, *catalog, *sysfs_root, *proc_root;
	const char *llama_bin, *verify_log;
	bool discrete, cpu_only, cpu_moe, no_unified, json, verify;
};


struct machine_info {
	halo_plan_machine m;
	char what[256];     /* one-line description */
	uint64_t page_size; /* for ttm advice */
	bool detected;
};

static int cache_type(const char *name, uint32_t *out)
{
	static const char *const allowed[] = { "f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "iq4_nl" };
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (!strcasecmp(name, allowed[i])) {
			*out = (uint32_t)halo_ggml_type_from_name(name);
			return 0;
		}
	return cli_error(EXIT_USAGE, "unknown cache type '%s' (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, iq4_nl)", name);
}

static int build_opts(const struct plan_args *a, halo_memplan_opts *o, halo_server_opts *srv,
		      const struct machine_info *mi)
{
	bool unified = mi->m.unified;
	int rc;
	*o = (halo_memplan_opts)HALO_MEMPLAN_OPTS_INIT;
	*srv = (halo_server_opts)HALO_SERVER_OPTS_INIT;
	o->n_seq = 4; /* llama-server's automatic slot count, with a unified cache */
	o->kv_unified = !a->no_unified;
	if (a->parallel) {
		if (a->parallel < 1 || a->parallel > 256)
			return cli_error(EXIT_USAGE, "--parallel must be 1 to 256");
		o->n_seq = (uint32_t)a->parallel;
	}
	o->n_outputs_max = o->n_seq; /* llama-server: one sampled token per slot */
	if (a->ctx < 0 || a->ubatch < 0 || a->batch < 0 || a->checkpoints < 0)
		return cli_error(EXIT_USAGE, "--ctx, --ubatch, --batch and --checkpoints cannot be negative");
	o->n_ctx = (uint64_t)a->ctx;
	if (a->ubatch)
		o->n_ubatch = (uint32_t)a->ubatch;
	if (a->batch)
		o->n_batch = (uint32_t)a->batch;
	const char *tk = a->ctk ? a->ctk : a->kv ? a->kv : "f16";
	const char *tv = a->ctv ? a->ctv : a->kv ? a->kv : "f16";
	if ((rc = cache_type(tk, &o->type_k)) || (rc = cache_type(tv, &o->type_v)))
		return rc;
	if (a->fa && strcmp(a->fa, "on") && strcmp(a->fa, "off"))
		return cli_error(EXIT_USAGE, "--fa takes 'on' or 'off'");
	o->flash_attn = !a->fa || !strcmp(a->fa, "on");
	/* llama.cpp cannot quantize a transposed V: quantized V needs flash attention */
	if (!o->flash_attn && o->type_v != HALO_GGML_F16 && o->type_v != HALO_GGML_F32 && o->type_v != HALO_GGML_BF16)
		return cli_error(EXIT_USAGE, "a quantized V cache (-ctv %s) needs flash attention (--fa on)", tv);
	o->n_gpu_layers = a->ngl == -2 ? -1 : (int32_t)a->ngl;
	o->n_cpu_moe = a->cpu_moe ? -1 : (int32_t)a->n_cpu_moe;
	o->has_gpu = !a->cpu_only && mi->m.gpu_limit > 0;
	if (!o->has_gpu)
		o->n_gpu_layers = 0;
	/* On an APU mapped weights would sit in RAM twice (page cache and GTT): load them once. */
	o->mmap = !unified;
	if (a->load_mode) {
		if (strcmp(a->load_mode, "mmap") && strcmp(a->load_mode, "none"))
			return cli_error(EXIT_USAGE, "--load-mode takes 'mmap' or 'none'");
		o->mmap = !strcmp(a->load_mode, "mmap");
	}
	srv->ctx_checkpoints = (uint32_t)a->checkpoints;
	if (a->cache_ram != UINT64_MAX)
		srv->cache_ram = a->cache_ram;
	return 0;
}

static int describe_machine(const struct plan_args *a, struct machine_info *mi)
{
	memset(mi, 0, sizeof(*mi));
	mi->page_size = 4096;
	mi->m.headroom = a->headroom != UINT64_MAX ? a->headroom : (uint64_t)4 << 30;
	if (a->mem) {
		/* A machine described on the command line: by default a unified-memory APU whose GTT
		 * pool is the kernel's default, half of RAM. */
		mi->m.ram_total = a->mem;
		mi->m.unified = !a->discrete;
		mi->m.gpu_limit = a->cpu_only ? 0 : a->gpu_mem ? a->gpu_mem
					: a->discrete ? 0 : halo_hw_ttm_default_pages(a->mem, 4096) * 4096;
		if (a->discrete && !a->gpu_mem && !a->cpu_only)
			return cli_error(EXIT_USAGE, "--discrete needs --gpu-mem (the card's VRAM)");
		snprintf(mi->what, sizeof(mi->what), "%.1f GiB RAM (given), %s %.1f GiB", a->mem / GiB,
			 a->cpu_only ? "no GPU" : a->discrete ? "discrete GPU with" : "unified-memory GPU pool",
			 mi->m.gpu_limit / GiB);
		return 0;
	}
	halo_machine hw;
	halo_hw_opts ho = HALO_HW_OPTS_INIT;
	ho.sysfs_root = a->sysfs_root;
	ho.proc_root = a->proc_root;
	int rc = halo_hw_detect(&hw, &ho);
	if (rc)
		return cli_fail(rc);
	mi->detected = true;
	mi->page_size = hw.page_size ? hw.page_size : 4096;
	mi->m.ram_total = hw.mem_total;
	/* The GPU llama.cpp would use: like ggml-vulkan, a discrete card over an integrated one
	 * when both are there, then the one that can hold the most. */
	const halo_gpu *g = NULL;
	for (size_t i = 0; i < hw.n_gpus && !a->cpu_only; i++) {
		const halo_gpu *c = &hw.gpus[i];
		if (!halo_hw_gpu_memory_limit(&hw, c))
			continue;
		if (!g || (g->is_apu && !c->is_apu) ||
		    (g->is_apu == c->is_apu && halo_hw_gpu_memory_limit(&hw, c) > halo_hw_gpu_memory_limit(&hw, g)))
			g = c;
	}
	if (g) {
		mi->m.gpu_limit = a->gpu_mem ? a->gpu_mem : halo_hw_gpu_memory_limit(&hw, g);
		mi->m.unified = g->is_apu;
		snprintf(mi->what, sizeof(mi->what), "%.1f GiB RAM, %s %s%s%s: GPU memory %.1f GiB%s", hw.mem_total / GiB,
			 halo_hw_vendor_name(g->vendor) ? halo_hw_vendor_name(g->vendor) : "gpu", g->gfx_target,
			 g->gfx_target[0] ? " " : "", g->is_apu ? "APU (GTT pool + carve-out)" : "discrete",
			 mi->m.gpu_limit / GiB, a->gpu_mem ? " (given)" : "");
	} else if (a->gpu_mem && !a->cpu_only) {
		mi->m.gpu_limit = a->gpu_mem;
		mi->m.unified = !a->discrete;
		snprintf(mi->what, sizeof(mi->what), "%.1f GiB RAM, GPU memory %.1f GiB (given)", hw.mem_total / GiB,
			 a->gpu_mem / GiB);
	} else if (hw.n_gpus && !a->cpu_only) {
		const halo_gpu *u = &hw.gpus[0];
		for (size_t i = 0; i < hw.n_gpus; i++)
			if (hw.gpus[i].vendor != HALO_PCI_VENDOR_INTEL)
				u = &hw.gpus[i]; /* a discrete card rather than the integrated one */
		const char *v = halo_hw_vendor_name(u->vendor);
		snprintf(mi->what, sizeof(mi->what),
			 "%.1f GiB RAM, %s GPU of unknown memory (give --gpu-mem to plan for it): CPU only",
			 hw.mem_total / GiB, v ? v : "a");
	} else {
		snprintf(mi->what, sizeof(mi->what), "%.1f GiB RAM, no GPU: CPU only", hw.mem_total / GiB);
	}
	return 0;
}

static json_t *machine_json(const struct machine_info *mi)
{
	json_t *jm = json_object();
	json_object_set_new(jm, "description", json_string(mi->what));
	json_object_set_new(jm, "ram_bytes", json_integer((json_int_t)mi->m.ram_total));
	json_object_set_new(jm, "gpu_memory_bytes", json_integer((json_int_t)mi->m.gpu_limit));
	json_object_set_new(jm, "unified_memory", json_boolean(mi->m.unified));
	json_object_set_new(jm, "headroom_bytes", json_integer((json_int_t)mi->m.headroom));
	json_object_set_new(jm, "detected", json_boolean(mi->detected));
	return jm;
}

/* One evaluated quant or file. */
struct row {
	const halo_quant *q;
	uint64_t size;
	uint64_t n_ctx;            /* max context, or the requested one */
	halo_plan_result r;
	halo_memplan_opts o;
	halo_server_opts srv;      /* with the checkpoint and prompt-cache limits that fit */
	char path[4096];
};

static int plan_row(const halo_hparams *hp, const halo_weights_plan *w, const halo_memplan_opts *o,
		    const halo_server_opts *srv, const struct machine_info *mi, uint64_t cap, struct row *row)
{
	int rc;
	row->o = *o;
	if (o->n_ctx) {
		row->n_ctx = o->n_ctx;
		rc = halo_plan_evaluate(hp, w, o, srv, &mi->m, &row->r);
	} else {
		rc = halo_plan_max_context(hp, w, o, srv, &mi->m, cap, &row->n_ctx, &row->r);
		row->o.n_ctx = row->n_ctx;
	}
	row->srv = *srv;
	row->srv.ctx_checkpoints = row->r.ctx_checkpoints;
	row->srv.cache_ram = row->r.prompt_cache;
	return rc;
}

static bool row_fits(const struct row *r)
{
	return r->r.fits && r->n_ctx > 0;
}

static const char *binding_text(const struct row *r, char *buf, size_t n)
{
	if (row_fits(r) && r->r.binding == HALO_LIMIT_CONTEXT)
		snprintf(buf, n, "full context");
	else if (row_fits(r))
		snprintf(buf, n, "%s", r->r.binding == HALO_LIMIT_GPU ? "gpu pool" : "ram");
	else
		snprintf(buf, n, "over %s by %.1f GiB", r->r.binding == HALO_LIMIT_GPU ? "gpu pool" : "ram",
			 r->r.over_by / GiB);
	return buf;
}

/* What would change a configuration that does not fit. */
static void advice(const struct row *r, const struct machine_info *mi, halo_buf *out)
{
	if (row_fits(r))
		return;
	if (r->r.binding == HALO_LIMIT_GPU && mi->m.unified) {
		uint64_t want = mi->m.ram_total > mi->m.headroom ? mi->m.ram_total - mi->m.headroom : mi->m.ram_total;
		halo_buf_addf(out, "the GPU pool (%.1f GiB) binds; raise it with the kernel parameter ttm.pages_limit=%" PRIu64
			      " (%.1f GiB), or use a smaller quant or KV type", mi->m.gpu_limit / GiB,
			      halo_hw_ttm_pages_for(want, mi->page_size), want / GiB);
	} else if (r->r.binding == HALO_LIMIT_GPU) {
		halo_buf_addf(out, "the GPU's %.1f GiB bind; offload fewer layers (-ngl), keep experts on the CPU "
			      "(--cpu-moe), or use a smaller quant or KV type", mi->m.gpu_limit / GiB);
	} else {
		halo_buf_addf(out, "RAM binds (%.1f GiB less %.1f GiB headroom); use fewer slots (-np 1), a smaller "
			      "prompt cache (--cache-ram), a smaller KV type, or a smaller quant",
			      mi->m.ram_total / GiB, mi->m.headroom / GiB);
	}
}

static json_t *row_json(const struct row *r, const char *name, const char *provider, const halo_preset *preset,
			const struct machine_info *mi)
{
	json_t *o = json_object();
	char b[64];
	json_object_set_new(o, "quant", name ? json_string(name) : json_null());
	json_object_set_new(o, "provider", provider ? json_string(provider) : json_null());
	json_object_set_new(o, "size_bytes", json_integer((json_int_t)r->size));
	json_object_set_new(o, "fits", json_boolean(row_fits(r)));
	json_object_set_new(o, "max_context", json_integer((json_int_t)(row_fits(r) ? r->n_ctx : 0)));
	json_object_set_new(o, "limit", json_string(binding_text(r, b, sizeof(b))));
	json_object_set_new(o, "binding", json_string(halo_plan_limit_name(r->r.binding)));
	json_object_set_new(o, "over_by_bytes", json_integer((json_int_t)r->r.over_by));
	json_t *mem = json_object();
	json_object_set_new(mem, "weights_gpu", json_integer((json_int_t)r->r.weights.gpu));
	json_object_set_new(mem, "weights_cpu", json_integer((json_int_t)(r->r.weights.cpu + r->r.weights.cpu_mapped)));
	json_object_set_new(mem, "kv_cache", json_integer((json_int_t)r->r.kv.total));
	json_object_set_new(mem, "recurrent_state", json_integer((json_int_t)r->r.recurrent.total));
	json_object_set_new(mem, "compute_gpu", json_integer((json_int_t)r->r.compute.gpu));
	json_object_set_new(mem, "compute_cpu", json_integer((json_int_t)r->r.compute.cpu));
	json_object_set_new(mem, "output", json_integer((json_int_t)r->r.output));
	json_object_set_new(mem, "checkpoints", json_integer((json_int_t)r->r.checkpoints));
	json_object_set_new(mem, "prompt_cache", json_integer((json_int_t)r->r.prompt_cache));
	json_object_set_new(mem, "gpu_total", json_integer((json_int_t)r->r.gpu_total));
	json_object_set_new(mem, "ram_total", json_integer((json_int_t)r->r.ram_total));
	json_object_set_new(o, "memory", mem);
	if (row_fits(r)) {
		halo_buf cmd = HALO_BUF_INIT;
		if (!halo_plan_command(&cmd, r->path, &r->o, &r->srv, preset))
			json_object_set_new(o, "command", json_string(cmd.ptr));
		halo_buf_free(&cmd);
	} else {
		halo_buf adv = HALO_BUF_INIT;
		advice(r, mi, &adv);
		json_object_set_new(o, "advice", json_string(adv.ptr ? adv.ptr : ""));
		halo_buf_free(&adv);
	}
	return o;
}

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
static void pick_tiers(const struct row *rows, size_t n, uint64_t full_ctx, int tiers[TIER_COUNT])
{
	uint64_t want = full_ctx < 32768 ? full_ctx : 32768;
	for (int t = 0; t < TIER_COUNT; t++)
		tiers[t] = -1;
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		if (!row_fits(r))
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

static const halo_preset *mode_preset(const halo_model *m, const char *mode)
{
	const char *want = mode ? mode : "thinking";
	if (!strcmp(want, "coding"))
		want = "thinking-coding";
	const halo_preset *p = m ? halo_model_find_preset(m, want) : NULL;
	if (!p && m && m->n_presets)
		p = &m->presets[0]; /* e.g. Qwen3-Coder has one instruct preset */
	halo_error_clear();
	return p;
}

/* Where the file is, or would be once pulled. */
static void model_path(const halo_store *store, const char *dir, const halo_model *m, const halo_quant *q,
		       char *out, size_t n)
{
	halo_quant_status st;
	if (store && !halo_store_quant_status(store, m, q, false, &st) && st.path[0] && st.status != HALO_FILE_PARTIAL) {
		snprintf(out, n, "%s", st.path);
		return;
	}
	const char *base = strrchr(q->files[0], '/');
	snprintf(out, n, "%s/%s", dir, base ? base + 1 : q->files[0]);
}

static void print_header(const struct machine_info *mi, const char *title, const halo_hparams *hp,
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

static void print_rows(const struct row *rows, size_t n)
{
	char b[64];
	printf("%-14s %-10s %9s  %-4s %11s %10s %10s  %s\n", "QUANT", "PROVIDER", "SIZE", "FITS", "MAX CONTEXT", "GPU GiB",
	       "RAM GiB", "LIMIT");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		char size[32];
		printf("%-14s %-10s %9s  %-4s %11" PRIu64 " %10.1f %10.1f  %s\n", r->q ? r->q->name : "(file)",
		       r->q && r->q->provider ? r->q->provider : "", fmt_gb(size, sizeof(size), r->size),
		       row_fits(r) ? "yes" : "no", row_fits(r) ? r->n_ctx : 0, r->r.gpu_total / GiB, r->r.ram_total / GiB,
		       binding_text(r, b, sizeof(b)));
	}
}

static int plan_catalog(const struct plan_args *a, const halo_catalog *cat, const halo_model *m, const char *quant,
			const struct machine_info *mi)
{
	halo_memplan_opts o;
	halo_server_opts srv;
	int rc = build_opts(a, &o, &srv, mi);
	if (rc)
		return rc;
	(void)cat;
	char dir[4096];
	halo_store *store = NULL;
	if ((rc = halo_models_dir(dir, sizeof(dir), a->models_dir)) || (rc = halo_store_open(&store, dir, NULL)))
		return cli_fail(rc);
	uint64_t cap = m->hp.n_ctx_train;
	struct row *rows = calloc(m->n_quants ? m->n_quants : 1, sizeof(*rows));
	size_t n = 0;
	if (!rows) {
		halo_store_free(store);
		return cli_error(EXIT_LIMIT, "out of memory");
	}
	for (size_t i = 0; i < m->n_quants; i++) {
		const halo_quant *q = &m->quants[i];
		if (quant && strcasecmp(quant, q->name))
			continue;
		struct row *r = &rows[n++];
		halo_weights_plan w;
		r->q = q;
		r->size = q->size_bytes;
		halo_plan_weights_estimate(&m->hp, m->params_total, q->size_bytes, &o, &w);
		if ((rc = plan_row(&m->hp, &w, &o, &srv, mi, cap, r))) {
			free(rows);
			halo_store_free(store);
			return cli_fail(rc);
		}
		model_path(store, dir, m, q, r->path, sizeof(r->path));
	}
	halo_store_free(store);
	if (!n) {
		free(rows);
		return cli_error(EXIT_NOTFOUND, "model '%s' has no quant '%s'; 'halo models %s' lists them", m->id, quant,
				 m->id);
	}
	const halo_preset *preset = mode_preset(m, a->mode);
	int tiers[TIER_COUNT];
	pick_tiers(rows, n, o.n_ctx ? o.n_ctx : cap, tiers);

	if (a->json) {
		json_t *root = json_object(), *jq = json_array(), *jt = json_object();
		json_object_set_new(root, "machine", machine_json(mi));
		json_object_set_new(root, "model", json_string(m->id));
		json_object_set_new(root, "native_context", json_integer((json_int_t)cap));
		for (size_t i = 0; i < n; i++)
			json_array_append_new(jq, row_json(&rows[i], rows[i].q->name, rows[i].q->provider, preset, mi));
		json_object_set_new(root, "quants", jq);
		for (int t = 0; t < TIER_COUNT; t++) {
			json_t *v = json_null();
			if (tiers[t] >= 0) {
				const struct row *r = &rows[tiers[t]];
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
		const struct row *r = &rows[tiers[t]];
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
		advice(&rows[i], mi, &adv);
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
static int verify_file(const struct plan_args *a, const char *target, const halo_hparams *hp, const struct row *row)
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
		     const struct machine_info *mi)
{
	halo_memplan_opts o;
	halo_server_opts srv;
	halo_gguf *g;
	halo_hparams hp;
	halo_weights_plan w;
	struct row row;
	int rc = build_opts(a, &o, &srv, mi);
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
	if ((rc = plan_row(&hp, &w, &o, &srv, mi, hp.n_ctx_train, &row))) {
		halo_gguf_free(g);
		return cli_fail(rc);
	}
	/* The catalog's preset when the file is one of its models (same architecture facts). */
	const halo_model *m = NULL;
	for (size_t i = 0; i < cat->n_models && !m; i++)
		if (!halo_hparams_match(&hp, &cat->models[i].hp))
			m = &cat->models[i];
	halo_error_clear();
	const halo_preset *preset = mode_preset(m, a->mode);
	const char *name = NULL;
	halo_gguf_get_str(g, "general.name", &name);
	if (a->verify) {
		rc = verify_file(a, target, &hp, &row);
		halo_gguf_free(g);
		return rc;
	}
	if (a->json) {
		json_t *root = json_object();
		json_object_set_new(root, "machine", machine_json(mi));
		json_object_set_new(root, "file", json_string(target));
		json_object_set_new(root, "catalog_model", m ? json_string(m->id) : json_null());
		json_object_set_new(root, "native_context", json_integer((json_int_t)hp.n_ctx_train));
		json_object_set_new(root, "plan", row_json(&row, NULL, NULL, preset, mi));
		halo_gguf_free(g);
		return cli_print_json(root);
	}
	char title[512];
	snprintf(title, sizeof(title), "%s (%s)", name ? name : "unnamed", target);
	print_header(mi, title, &hp, &o);
	print_rows(&row, 1);
	if (row_fits(&row)) {
		halo_buf cmd = HALO_BUF_INIT;
		halo_plan_command(&cmd, row.path, &row.o, &row.srv, preset);
		printf("\n  %s\n", cmd.ptr ? cmd.ptr : "");
		halo_buf_free(&cmd);
	} else {
		halo_buf adv = HALO_BUF_INIT;
		advice(&row, mi, &adv);
		printf("\n  does not fit: %s\n", adv.ptr ? adv.ptr : "");
		halo_buf_free(&adv);
	}
	halo_gguf_free(g);
	return EXIT_OK;
}

int cmd_plan(int argc, const char **argv)
{
	struct plan_args a = { .headroom = UINT64_MAX, .cache_ram = UINT64_MAX, .ngl = -2, .checkpoints = 32 };
	const struct option opts[] = {
		OPT_GROUP("machine"),
		OPT_SIZE(0, "mem", &a.mem, "size", "plan for a machine with this much RAM (default: this machine)"),
		OPT_SIZE(0, "gpu-mem", &a.gpu_mem, "size", "GPU memory pool (default: detected; with --mem, half of it: GTT)"),
		OPT_BOOL(0, "discrete", &a.discrete, "with --mem: the GPU has its own VRAM (--gpu-mem), not shared RAM"),
		OPT_BOOL(0, "cpu-only", &a.cpu_only, "plan without a GPU"),
		OPT_SIZE(0, "headroom", &a.headroom, "size", "RAM left for the OS and other programs (default 4GiB)"),
		OPT_STRING(0, "sysfs-root", &a.sysfs_root, "dir", "read a recorded /sys tree"),
		OPT_STRING(0, "proc-root", &a.proc_root, "dir", "read a recorded /proc tree"),
		OPT_GROUP("llama-server settings"),
		OPT_INT(0, "ctx", &a.ctx, "n", "context to check (default: the largest that fits)"),
		OPT_STRING(0, "kv", &a.kv, "type", "KV cache type for K and V (f16, q8_0, q4_0, ...; default f16)"),
		OPT_STRING(0, "ctk", &a.ctk, "type", "K cache type"),
		OPT_STRING(0, "ctv", &a.ctv, "type", "V cache type"),
		OPT_INT(0, "parallel", &a.parallel, "n", "slots (-np; default 4, llama-server's automatic choice)"),
		OPT_BOOL(0, "no-kv-unified", &a.no_unified, "one KV stream per slot instead of a shared one"),
		OPT_INT(0, "ubatch", &a.ubatch, "n", "physical batch (-ub; default 512)"),
		OPT_INT(0, "batch", &a.batch, "n", "logical batch (-b; default 2048)"),
		OPT_STRING(0, "fa", &a.fa, "on|off", "flash attention (default on)"),
		OPT_INT(0, "ngl", &a.ngl, "n", "layers on the GPU (default all)"),
		OPT_BOOL(0, "cpu-moe", &a.cpu_moe, "keep all expert weights on the CPU"),
		OPT_INT(0, "n-cpu-moe", &a.n_cpu_moe, "n", "keep the experts of the first n layers on the CPU"),
		OPT_STRING(0, "load-mode", &a.load_mode, "mmap|none", "weights mapped or read (default: none on an APU)"),
		OPT_INT(0, "checkpoints", &a.checkpoints, "n", "context checkpoints per slot (default 32)"),
		OPT_SIZE(0, "cache-ram", &a.cache_ram, "size", "prompt cache limit (default 8192MiB)"),
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

	struct machine_info mi;
	if ((exit_code = describe_machine(&a, &mi)))
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
