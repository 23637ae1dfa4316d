/*
 * What `halo plan` and `halo serve` share (plan_setup.h): moved out of
 * cmd_plan.c unchanged, so both commands plan the same way.
 */
#include "plan_setup.h"

#include "cli.h"
#include "error.h"
#include "ggml_type.h"
#include "hw.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define GiB (1024.0 * 1024 * 1024)

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

int plan_opts_build(const struct plan_settings *a, const struct plan_machine_info *mi, halo_memplan_opts *o,
		    halo_server_opts *srv)
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

int plan_machine_describe(const struct plan_settings *a, struct plan_machine_info *mi)
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

json_t *plan_machine_json(const struct plan_machine_info *mi)
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

int plan_row_solve(const halo_hparams *hp, const halo_weights_plan *w, const halo_memplan_opts *o,
		   const halo_server_opts *srv, const struct plan_machine_info *mi, uint64_t cap, struct plan_row *row)
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

bool plan_row_fits(const struct plan_row *r)
{
	return r->r.fits && r->n_ctx > 0;
}

const char *plan_binding_text(const struct plan_row *r, char *buf, size_t n)
{
	if (plan_row_fits(r) && r->r.binding == HALO_LIMIT_CONTEXT)
		snprintf(buf, n, "full context");
	else if (plan_row_fits(r))
		snprintf(buf, n, "%s", r->r.binding == HALO_LIMIT_GPU ? "gpu pool" : "ram");
	else
		snprintf(buf, n, "over %s by %.1f GiB", r->r.binding == HALO_LIMIT_GPU ? "gpu pool" : "ram",
			 r->r.over_by / GiB);
	return buf;
}

/* What would change a configuration that does not fit. */
void plan_advice(const struct plan_row *r, const struct plan_machine_info *mi, halo_buf *out)
{
	if (plan_row_fits(r))
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

json_t *plan_row_json(const struct plan_row *r, const char *name, const char *provider, const halo_preset *preset,
		      const struct plan_machine_info *mi)
{
	json_t *o = json_object();
	char b[64];
	json_object_set_new(o, "quant", name ? json_string(name) : json_null());
	json_object_set_new(o, "provider", provider ? json_string(provider) : json_null());
	json_object_set_new(o, "size_bytes", json_integer((json_int_t)r->size));
	json_object_set_new(o, "fits", json_boolean(plan_row_fits(r)));
	json_object_set_new(o, "max_context", json_integer((json_int_t)(plan_row_fits(r) ? r->n_ctx : 0)));
	json_object_set_new(o, "limit", json_string(plan_binding_text(r, b, sizeof(b))));
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
	if (plan_row_fits(r)) {
		halo_buf cmd = HALO_BUF_INIT;
		if (!halo_plan_command(&cmd, r->path, &r->o, &r->srv, preset))
			json_object_set_new(o, "command", json_string(cmd.ptr));
		halo_buf_free(&cmd);
	} else {
		halo_buf adv = HALO_BUF_INIT;
		plan_advice(r, mi, &adv);
		json_object_set_new(o, "advice", json_string(adv.ptr ? adv.ptr : ""));
		halo_buf_free(&adv);
	}
	return o;
}

const halo_preset *plan_mode_preset(const halo_model *m, const char *mode)
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
void plan_model_path(const halo_store *store, const char *dir, const halo_model *m, const halo_quant *q, char *out,
		     size_t n)
{
	halo_quant_status st;
	if (store && !halo_store_quant_status(store, m, q, false, &st) && st.path[0] && st.status != HALO_FILE_PARTIAL) {
		snprintf(out, n, "%s", st.path);
		return;
	}
	const char *base = strrchr(q->files[0], '/');
	snprintf(out, n, "%s/%s", dir, base ? base + 1 : q->files[0]);
}

const halo_model *plan_catalog_match(const halo_catalog *cat, const halo_hparams *hp)
{
	const halo_model *m = NULL;
	for (size_t i = 0; i < cat->n_models && !m; i++)
		if (!halo_hparams_match(hp, &cat->models[i].hp))
			m = &cat->models[i];
	halo_error_clear();
	return m;
}
