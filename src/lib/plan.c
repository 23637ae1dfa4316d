/*
 * plan: see plan.h.
 */
#include "plan.h"

#include "error.h"
#include "ggml_type.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

const char *halo_plan_limit_name(halo_plan_limit l)
{
	switch (l) {
	case HALO_LIMIT_GPU: return "gpu-memory";
	case HALO_LIMIT_RAM: return "ram";
	case HALO_LIMIT_CONTEXT: return "context";
	default: return "none";
	}
}

void halo_plan_weights_estimate(const halo_hparams *hp, double params_total, uint64_t file_bytes,
				const halo_memplan_opts *o, halo_weights_plan *out)
{
	memset(out, 0, sizeof(*out));
	double embd_params = (double)hp->n_vocab * hp->n_embd;
	uint64_t embd = params_total > embd_params ? (uint64_t)(file_bytes * (embd_params / params_total)) : 0;
	uint64_t layers = file_bytes - embd;
	uint32_t n_layer_all = hp->n_layer + hp->n_layer_nextn;
	uint32_t ngl = o->n_gpu_layers < 0 ? n_layer_all + 1 : (uint32_t)o->n_gpu_layers;
	uint32_t i_gpu_start = n_layer_all + 1 > ngl ? n_layer_all + 1 - ngl : 0;

	if (!o->has_gpu || !hp->n_layer) {
		*(o->mmap ? &out->cpu_mapped : &out->cpu) = file_bytes;
		return;
	}
	/* The output matrix (about one embedding's worth) goes with the output layer. */
	uint64_t output = embd < layers ? embd : 0;
	uint64_t per_layer = (layers - output) / hp->n_layer;
	uint64_t gpu = 0;
	for (uint32_t il = 0; il < hp->n_layer; il++)
		if (il >= i_gpu_start) {
			gpu += per_layer;
			out->gpu_layers++;
		}
	if (n_layer_all >= i_gpu_start)
		gpu += output;
	/* --cpu-moe / --n-cpu-moe: for MoE models nearly all layer weight is experts */
	uint64_t moved = 0;
	if (hp->n_expert && o->n_cpu_moe != 0) {
		uint32_t n = o->n_cpu_moe < 0 ? hp->n_layer : (uint32_t)o->n_cpu_moe;
		double exp_share = (double)hp->n_expert * hp->n_ff_exp * 3 /
				   ((double)hp->n_expert * hp->n_ff_exp * 3 + (double)hp->n_ff_shexp * 3 + 4.0 * hp->n_embd);
		for (uint32_t il = 0; il < hp->n_layer && il < n; il++)
			if (il >= i_gpu_start)
				moved += (uint64_t)(per_layer * exp_share);
	}
	out->gpu = gpu - moved;
	*(o->mmap ? &out->cpu_mapped : &out->cpu) = file_bytes - gpu + moved;
}

int halo_plan_evaluate(const halo_hparams *hp, const halo_weights_plan *weights, const halo_memplan_opts *o,
		       const halo_server_opts *srv, const halo_plan_machine *m, halo_plan_result *out)
{
	int rc;
	memset(out, 0, sizeof(*out));
	out->weights = *weights;
	if ((rc = halo_memplan_kv(hp, o, &out->kv)))
		return rc;
	halo_memplan_recurrent(hp, o, &out->recurrent);
	halo_memplan_compute(hp, o, &out->kv, &out->compute);
	out->output = halo_memplan_output(hp, o);

	/* KV, recurrent state and compute sit with the layers: on the GPU when offloaded. */
	bool offload = o->has_gpu && m->gpu_limit && o->n_gpu_layers != 0;
	uint64_t cache = out->kv.total + out->recurrent.total;
	/* Without a GPU to offload to, whatever was meant for it lands in CPU buffers. */
	uint64_t gpu_weights = offload ? weights->gpu : 0;
	out->gpu_total = gpu_weights + (offload ? cache + out->compute.gpu : 0);
	uint64_t hard_host = weights->cpu + weights->cpu_mapped + (weights->gpu - gpu_weights) + (offload ? 0 : cache) +
			     out->compute.cpu + (offload ? 0 : out->compute.gpu) + out->output;
	uint64_t hard_ram = hard_host + (m->unified ? out->gpu_total : 0);

	/*
	 * llama-server's checkpoints and prompt cache are caps, not allocations made
	 * at start: they grow with use up to their limits. So they take what RAM is
	 * left, up to the requested limits, and the command is given limits that fit;
	 * only a reserve (at most 2 GiB of them) is required for a plan to fit, so
	 * that solving for the largest context does not leave them nothing.
	 */
	halo_memplan_opts one = *o;
	halo_recurrent_plan r1;
	one.n_seq = 1;
	one.n_rs_seq = 0;
	halo_memplan_recurrent(hp, &one, &r1);
	uint64_t swa_per_seq = (out->kv.swa_k_bytes + out->kv.swa_v_bytes) / (o->n_seq ? o->n_seq : 1);
	uint64_t per_checkpoint = (uint64_t)o->n_seq * (r1.total + swa_per_seq); /* one checkpoint in every slot */
	uint64_t want = srv->ctx_checkpoints * per_checkpoint + srv->cache_ram;
	uint64_t reserve = want < (2ull << 30) ? want : (2ull << 30);
	uint64_t ram_budget = m->ram_total > m->headroom ? m->ram_total - m->headroom : 0;
	uint64_t left = ram_budget > hard_ram ? ram_budget - hard_ram : 0;
	out->ctx_checkpoints = srv->ctx_checkpoints;
	if (per_checkpoint && out->ctx_checkpoints * per_checkpoint > left)
		out->ctx_checkpoints = (uint32_t)(left / per_checkpoint);
	out->checkpoints = out->ctx_checkpoints * per_checkpoint;
	left -= out->checkpoints;
	out->prompt_cache = srv->cache_ram < left ? srv->cache_ram : left / (1u << 20) * (1u << 20);

	out->host_total = hard_host + out->checkpoints + out->prompt_cache;
	out->ram_total = out->host_total + (m->unified ? out->gpu_total : 0);

	out->fits = true;
	if (offload && out->gpu_total > m->gpu_limit) {
		out->fits = false;
		out->binding = HALO_LIMIT_GPU;
		out->over_by = out->gpu_total - m->gpu_limit;
	}
	uint64_t need = hard_ram + reserve;
	if (need > ram_budget && (out->fits || need - ram_budget > out->over_by)) {
		out->fits = false;
		out->binding = HALO_LIMIT_RAM;
		out->over_by = need - ram_budget;
	}
	return 0;
}

int halo_plan_max_context(const halo_hparams *hp, const halo_weights_plan *weights, const halo_memplan_opts *o,
			  const halo_server_opts *srv, const halo_plan_machine *m, uint64_t cap, uint64_t *n_ctx,
			  halo_plan_result *out)
{
	halo_memplan_opts t = *o;
	int rc;
	if (!cap)
		cap = hp->n_ctx_train;
	if (!cap)
		return halo_error_set(HALO_EUSAGE, "the model has no native context: give a context limit");
	/* Memory only grows with the context, so bisect over llama.cpp's 256-token steps. */
	uint64_t lo = 0, hi = cap / 256;
	*n_ctx = 0;
	t.n_ctx = 256;
	if ((rc = halo_plan_evaluate(hp, weights, &t, srv, m, out)))
		return rc;
	if (!out->fits)
		return 0;
	lo = 1;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2;
		halo_plan_result r;
		t.n_ctx = mid * 256;
		if ((rc = halo_plan_evaluate(hp, weights, &t, srv, m, &r)))
			return rc;
		if (r.fits)
			lo = mid;
		else
			hi = mid - 1;
	}
	t.n_ctx = lo * 256;
	if ((rc = halo_plan_evaluate(hp, weights, &t, srv, m, out)))
		return rc;
	*n_ctx = t.n_ctx;
	if (t.n_ctx >= cap / 256 * 256) {
		out->binding = HALO_LIMIT_CONTEXT;
	} else {
		/* what stops one more step */
		halo_plan_result next;
		t.n_ctx = (lo + 1) * 256;
		if (!halo_plan_evaluate(hp, weights, &t, srv, m, &next))
			out->binding = next.binding;
	}
	return 0;
}

/* Shell-quotes `s` when it holds anything but safe characters. */
static int add_quoted(halo_buf *out, const char *s)
{
	bool plain = *s != '\0';
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_./:=+,@%", *p))
			plain = false;
	if (plain)
		return halo_buf_adds(out, s);
	int rc = halo_buf_adds(out, "'");
	for (const char *p = s; *p && !rc; p++)
		rc = *p == '\'' ? halo_buf_adds(out, "'\\''") : halo_buf_add(out, p, 1);
	return rc ? rc : halo_buf_adds(out, "'");
}

static const char *cache_type_name(uint32_t type, char buf[16])
{
	const halo_ggml_type_info *t = halo_ggml_type_get(type);
	size_t i = 0;
	for (const char *p = t ? t->name : "f16"; *p && i < 15; p++)
		buf[i++] = (char)tolower((unsigned char)*p);
	buf[i] = '\0';
	return buf;
}

struct argv_builder {
	char **v;
	size_t n, cap;
	int rc;
};

static void push(struct argv_builder *b, const char *s)
{
	if (b->rc)
		return;
	if (b->n + 2 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		char **v = realloc(b->v, cap * sizeof(*v));
		if (!v) {
			b->rc = halo_error_set(HALO_ENOMEM, "out of memory");
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	if (!(b->v[b->n] = strdup(s))) {
		b->rc = halo_error_set(HALO_ENOMEM, "out of memory");
		return;
	}
	b->v[++b->n] = NULL;
}

void halo_plan_argv_free(char **argv)
{
	for (char **p = argv; p && *p; p++)
		free(*p);
	free(argv);
}

int halo_plan_argv(char ***out, const char *program, const char *model_path, const halo_memplan_opts *o,
		   const halo_server_opts *srv, const halo_preset *preset)
{
	struct argv_builder b = { 0 };
	char num[64], tk[16], tv[16];
#define NUM(fmt, v) (snprintf(num, sizeof(num), fmt, v), num)
	push(&b, program);
	push(&b, "-m");
	push(&b, model_path);
	push(&b, "-c");
	push(&b, NUM("%llu", (unsigned long long)o->n_ctx));
	push(&b, "-np");
	push(&b, NUM("%u", o->n_seq));
	push(&b, o->kv_unified ? "--kv-unified" : "--no-kv-unified");
	push(&b, "-ngl");
	push(&b, o->n_gpu_layers < 0 ? "999" : NUM("%d", o->n_gpu_layers));
	if (o->n_cpu_moe < 0) {
		push(&b, "--cpu-moe");
	} else if (o->n_cpu_moe > 0) {
		push(&b, "--n-cpu-moe");
		push(&b, NUM("%d", o->n_cpu_moe));
	}
	push(&b, "-fa");
	push(&b, o->flash_attn ? "on" : "off");
	push(&b, "-ctk");
	push(&b, cache_type_name(o->type_k, tk));
	push(&b, "-ctv");
	push(&b, cache_type_name(o->type_v, tv));
	push(&b, "-b");
	push(&b, NUM("%u", o->n_batch));
	push(&b, "-ub");
	push(&b, NUM("%u", o->n_ubatch));
	if (o->swa_full)
		push(&b, "--swa-full");
	push(&b, "--load-mode");
	push(&b, o->mmap ? "mmap" : "none");
	push(&b, "--fit");
	push(&b, "off");
	push(&b, "--jinja");
	push(&b, "--ctx-checkpoints");
	push(&b, NUM("%u", srv->ctx_checkpoints));
	push(&b, "--cache-ram");
	push(&b, NUM("%llu", (unsigned long long)(srv->cache_ram >> 20)));
	if (preset) {
		push(&b, "--temp");
		push(&b, NUM("%g", preset->temperature));
		push(&b, "--top-p");
		push(&b, NUM("%g", preset->top_p));
		push(&b, "--top-k");
		push(&b, NUM("%d", preset->top_k));
		push(&b, "--min-p");
		push(&b, NUM("%g", preset->min_p));
		push(&b, "--presence-penalty");
		push(&b, NUM("%g", preset->presence_penalty));
		push(&b, "--repeat-penalty");
		push(&b, NUM("%g", preset->repeat_penalty));
		if (preset->max_tokens > 0) {
			push(&b, "-n");
			push(&b, NUM("%d", preset->max_tokens));
		}
	}
#undef NUM
	if (b.rc) {
		halo_plan_argv_free(b.v);
		return b.rc;
	}
	*out = b.v;
	return 0;
}

int halo_plan_command(halo_buf *out, const char *model_path, const halo_memplan_opts *o, const halo_server_opts *srv,
		      const halo_preset *preset)
{
	char **argv;
	int rc = halo_plan_argv(&argv, "llama-server", model_path, o, srv, preset);
	for (char **p = argv; !rc && *p; p++) {
		if (p != argv)
			rc = halo_buf_adds(out, " ");
		if (!rc)
			rc = add_quoted(out, *p);
	}
	if (argv)
		halo_plan_argv_free(argv);
	return rc;
}
