/*
 * plan: see plan.h.
 */
#include "plan.h"

#include "error.h"

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

	/* Checkpoints hold one sequence's recurrent state and sliding-window cache. */
	halo_memplan_opts one = *o;
	halo_recurrent_plan r1;
	one.n_seq = 1;
	one.n_rs_seq = 0;
	halo_memplan_recurrent(hp, &one, &r1);
	uint64_t swa_per_seq = (out->kv.swa_k_bytes + out->kv.swa_v_bytes) / (o->n_seq ? o->n_seq : 1);
	out->checkpoints = (uint64_t)srv->ctx_checkpoints * o->n_seq * (r1.total + swa_per_seq);
	out->prompt_cache = srv->cache_ram;

	/* KV, recurrent state and compute sit with the layers: on the GPU when offloaded. */
	bool offload = o->has_gpu && m->gpu_limit && o->n_gpu_layers != 0;
	uint64_t cache = out->kv.total + out->recurrent.total;
	out->gpu_total = weights->gpu + (offload ? cache : 0) + out->compute.gpu;
	out->host_total = weights->cpu + weights->cpu_mapped + (offload ? 0 : cache) + out->compute.cpu + out->output +
			  out->checkpoints + out->prompt_cache;
	out->ram_total = out->host_total + (m->unified ? out->gpu_total : 0);

	uint64_t ram_budget = m->ram_total > m->headroom ? m->ram_total - m->headroom : 0;
	out->fits = true;
	if (offload && out->gpu_total > m->gpu_limit) {
		out->fits = false;
		out->binding = HALO_LIMIT_GPU;
		out->over_by = out->gpu_total - m->gpu_limit;
	}
	if (out->ram_total > ram_budget && (out->fits || out->ram_total - ram_budget > out->over_by)) {
		out->fits = false;
		out->binding = HALO_LIMIT_RAM;
		out->over_by = out->ram_total - ram_budget;
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
