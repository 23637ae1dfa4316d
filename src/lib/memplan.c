/*
 * memplan: see memplan.h. Each function follows one allocation of the pinned
 * llama.cpp; the comments name the code they mirror.
 */
#include "memplan.h"

#include "error.h"
#include "ggml_type.h"
#include "gguf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAD(x, n) (((x) + (n) - 1) / (n) * (n))

/* llama_context: n_batch = min(n_ctx, n_batch) for causal models, n_ubatch = min(n_batch, n_ubatch). */
static uint32_t effective_ubatch(const halo_memplan_opts *o, uint32_t n_ctx)
{
	uint32_t b = o->n_batch < n_ctx ? o->n_batch : n_ctx;
	return o->n_ubatch < b ? o->n_ubatch : b;
}

int halo_memplan_kv(const halo_hparams *hp, const halo_memplan_opts *o, halo_kv_plan *out)
{
	memset(out, 0, sizeof(*out));
	if (o->n_seq == 0 || o->n_ubatch == 0 || o->n_batch == 0)
		return halo_error_set(HALO_EUSAGE, "sequences, batch and ubatch must be at least 1");
	uint64_t n_ctx = o->n_ctx ? o->n_ctx : hp->n_ctx_train;
	if (n_ctx == 0)
		return halo_error_set(HALO_EUSAGE, "no context size given and the model has no native context");
	/* llama_context: n_ctx padded to 256; per-sequence context padded again when not unified */
	n_ctx = PAD(n_ctx, 256);
	uint64_t n_ctx_seq = n_ctx;
	if (!o->kv_unified) {
		n_ctx_seq = PAD(n_ctx / o->n_seq, 256);
		if (n_ctx_seq == 0)
			return halo_error_set(HALO_EUSAGE, "context %llu is too small for %u sequences",
					      (unsigned long long)n_ctx, o->n_seq);
		n_ctx = n_ctx_seq * o->n_seq;
	}
	if (n_ctx > UINT32_MAX)
		return halo_error_set(HALO_EUSAGE, "context %llu exceeds llama.cpp's 32-bit limit", (unsigned long long)n_ctx);
	out->n_ctx = (uint32_t)n_ctx;
	out->n_ctx_seq = (uint32_t)n_ctx_seq;
	out->n_stream = o->kv_unified ? 1 : o->n_seq;
	out->cells = (uint32_t)n_ctx_seq;

	/* llama_kv_cache_iswa: the SWA cache holds the window of every sequence plus a ubatch, padded to 256 */
	uint64_t swa = (uint64_t)hp->n_swa * (o->kv_unified ? o->n_seq : 1) + effective_ubatch(o, out->n_ctx);
	swa = swa < n_ctx_seq ? swa : n_ctx_seq;
	out->swa_cells = o->swa_full ? out->cells : (uint32_t)PAD(swa, 256);

	/* Without flash attention V is stored transposed, every layer at the widest V row. */
	uint64_t v_max = 0;
	for (uint32_t i = 0; i < hp->n_layer + hp->n_layer_nextn && i < HALO_MAX_LAYERS; i++) {
		uint64_t v = (uint64_t)hp->n_head_kv[i] * hp->head_dim_v;
		v_max = v > v_max ? v : v_max;
	}

	for (uint32_t i = 0; i < hp->n_layer && i < HALO_MAX_LAYERS; i++) {
		uint64_t k_row, v_row;
		if (hp->layer_kind[i] == HALO_LAYER_RECURRENT)
			continue;
		uint64_t v_elems = o->flash_attn ? (uint64_t)hp->n_head_kv[i] * hp->head_dim_v : v_max;
		if (halo_ggml_row_size(o->type_k, (uint64_t)hp->n_head_kv[i] * hp->head_dim_k, &k_row) ||
		    halo_ggml_row_size(o->type_v, v_elems, &v_row))
			return halo_error_prefix("layer %u: the KV cache type does not fit its rows", i);
		bool is_swa = hp->layer_kind[i] == HALO_LAYER_SWA;
		uint64_t cells = (uint64_t)(is_swa ? out->swa_cells : out->cells) * out->n_stream;
		if (is_swa) {
			out->n_swa_layers++;
			out->swa_k_bytes += k_row * cells;
			out->swa_v_bytes += v_row * cells;
		} else {
			out->n_layers++;
			out->k_bytes += k_row * cells;
			out->v_bytes += v_row * cells;
		}
	}
	if (!out->n_swa_layers)
		out->swa_cells = 0;
	out->total = out->k_bytes + out->v_bytes + out->swa_k_bytes + out->swa_v_bytes;
	return 0;
}

void halo_memplan_recurrent(const halo_hparams *hp, const halo_memplan_opts *o, halo_recurrent_plan *out)
{
	uint32_t n_rec;
	memset(out, 0, sizeof(*out));
	halo_hparams_layer_counts(hp, NULL, &n_rec, NULL);
	if (!n_rec)
		return;
	/* llama_memory_recurrent: mem_size = max(1, n_seq_max) rows, times (1 + n_rs_seq) */
	out->rows = (o->n_seq > 1 ? o->n_seq : 1) * (1 + o->n_rs_seq);
	out->n_layers = n_rec;
	out->r_bytes = (uint64_t)n_rec * halo_hparams_n_embd_r(hp) * 4 * out->rows;
	out->s_bytes = (uint64_t)n_rec * halo_hparams_n_embd_s(hp) * 4 * out->rows;
	out->total = out->r_bytes + out->s_bytes;
}

uint64_t halo_memplan_output(const halo_hparams *hp, const halo_memplan_opts *o)
{
	/* llama_context::output_reserve(n_seq_max): logits of one output per sequence */
	return (uint64_t)hp->n_vocab * (o->n_seq > 1 ? o->n_seq : 1) * sizeof(float);
}

/* "blk.12.ffn_up_exps.weight" -> 12; -1 for tensors outside the repeating layers. */
static int tensor_layer(const char *name)
{
	if (strncmp(name, "blk.", 4))
		return -1;
	char *end;
	long il = strtol(name + 4, &end, 10);
	return end != name + 4 && *end == '.' && il >= 0 && il < 100000 ? (int)il : -1;
}

static bool is_output(const char *name)
{
	return !strncmp(name, "output.", 7) || !strncmp(name, "output_norm.", 12);
}

/* The routed-expert matrices --cpu-moe keeps on the CPU (common/arg.cpp's pattern). */
static bool is_expert(const char *name)
{
	const char *p = strstr(name, ".ffn_");
	return p && (!strncmp(p, ".ffn_up_exps", 12) || !strncmp(p, ".ffn_down_exps", 14) ||
		     !strncmp(p, ".ffn_gate_exps", 14) || !strncmp(p, ".ffn_gate_up_exps", 17));
}

int halo_memplan_weights(const halo_gguf *g, const halo_hparams *hp, const halo_memplan_opts *o,
			 halo_weights_plan *out)
{
	memset(out, 0, sizeof(*out));
	int n_layer_all = (int)(hp->n_layer + hp->n_layer_nextn);
	/* llama_model::load_tensors: layers [i_gpu_start, n_layer_all] (n_layer_all = output) on the GPU */
	int ngl = o->n_gpu_layers < 0 ? n_layer_all + 1 : o->n_gpu_layers;
	int i_gpu_start = n_layer_all + 1 - ngl > 0 ? n_layer_all + 1 - ngl : 0;
	bool output_on_gpu = o->has_gpu && n_layer_all >= i_gpu_start;
	const halo_gguf_tensor *embd = NULL;
	bool have_output = false;

	for (int il = 0; il < (int)hp->n_layer; il++)
		out->gpu_layers += o->has_gpu && il >= i_gpu_start;
	for (uint64_t i = 0; i < g->n_tensors; i++) {
		const halo_gguf_tensor *t = &g->tensors[i];
		int il = tensor_layer(t->name);
		bool gpu;
		if (!strcmp(t->name, "token_embd.weight"))
			embd = t;
		if (!strcmp(t->name, "output.weight"))
			have_output = true;
		if (il >= (int)hp->n_layer && il < n_layer_all) {
			out->skipped += t->size; /* MTP layers are loaded only for MTP drafting */
			continue;
		}
		if (il >= 0)
			gpu = o->has_gpu && il >= i_gpu_start &&
			      !(is_expert(t->name) && (o->n_cpu_moe < 0 || il < o->n_cpu_moe));
		else if (is_output(t->name))
			gpu = output_on_gpu;
		else
			gpu = false; /* the input layer stays on the CPU */
		if (gpu)
			out->gpu += t->size;
		else if (o->mmap)
			out->cpu_mapped += t->size;
		else
			out->cpu += t->size;
	}
	/* Tied embeddings: the output layer gets its own copy of token_embd (TENSOR_DUPLICATED). */
	if (!have_output && embd && output_on_gpu) {
		out->duplicated = embd->size;
		out->gpu += embd->size;
	}
	return 0;
}

/* Attention with an output gate (Qwen3-Next, Qwen3.5): the Q projection is twice as wide. */
static bool gated_attention(const halo_hparams *hp)
{
	static const char *const gated[] = { "qwen35", "qwen35moe", "qwen3next", "qwen4exp", NULL };
	for (const char *const *a = gated; *a; a++)
		if (!strcmp(hp->arch, *a))
			return true;
	return false;
}

/*
 * The compute buffer is the peak of ggml's graph allocator over the graph of
 * one ubatch, reserved as llama_context::sched_reserve does. Memory is reused
 * between layers, so the peak is the widest step plus what lives through the
 * whole graph (the KQ masks: f16 with flash attention, f32 without, one per
 * cache). The widest step is one of:
 *   - the output head: logits of min(n_ubatch, n_outputs_max) outputs and the
 *     last hidden state;
 *   - an attention layer: Q (twice as wide when gated), K, V, the attention
 *     output, a hidden-size temporary, and without flash attention the f32 KQ
 *     matrix over the cached cells;
 *   - a Gated DeltaNet layer: about 2.75 times its conv input (x, B, C) per
 *     token, and about 2.43 times the delta state per sequence;
 *   - a feed-forward layer: gate, up and down of the active experts (or the
 *     dense FFN) and three hidden-size temporaries.
 * The DeltaNet factors were fitted on llama.cpp's reported buffers for twins of
 * qwen35moe and qwen35; tests/e2e/test_proof.sh checks all four architectures.
 */
void halo_memplan_compute(const halo_hparams *hp, const halo_memplan_opts *o, const halo_kv_plan *kv,
			  halo_compute_plan *out)
{
	memset(out, 0, sizeof(*out));
	uint64_t u = effective_ubatch(o, kv->n_ctx ? kv->n_ctx : 1);
	uint64_t n_head = 0, n_head_kv = 0;
	uint32_t n_attn, n_rec, n_swa;
	halo_hparams_layer_counts(hp, &n_attn, &n_rec, &n_swa);
	for (uint32_t i = 0; i < hp->n_layer && i < HALO_MAX_LAYERS; i++) {
		if (hp->layer_kind[i] == HALO_LAYER_RECURRENT)
			continue;
		n_head = hp->n_head[i] > n_head ? hp->n_head[i] : n_head;
		n_head_kv = hp->n_head_kv[i] > n_head_kv ? hp->n_head_kv[i] : n_head_kv;
	}
	uint64_t outputs = o->n_outputs_max ? o->n_outputs_max : o->n_batch;
	outputs = outputs < u ? outputs : u;
	out->logits = (uint64_t)hp->n_vocab * outputs * 4;

	uint64_t mask_elem = o->flash_attn ? 2 : 4;
	uint64_t full_cells = (uint64_t)kv->cells * kv->n_stream, swa_cells = (uint64_t)kv->swa_cells * kv->n_stream;
	if (kv->n_layers)
		out->mask += full_cells * PAD(u, 64) * mask_elem;
	if (kv->n_swa_layers)
		out->mask += swa_cells * PAD(u, 64) * mask_elem;

	uint64_t attn = 0;
	if (n_attn + n_swa) {
		uint64_t q = (gated_attention(hp) ? 2 : 1) * n_head * hp->head_dim_k;
		uint64_t width = q + n_head_kv * (hp->head_dim_k + hp->head_dim_v) + n_head * hp->head_dim_v + hp->n_embd;
		uint64_t cells = kv->n_layers ? full_cells : swa_cells;
		out->attention = o->flash_attn ? 0 : n_head * cells * u * 4;
		attn = out->attention + u * 4 * width;
	}
	uint64_t gdn = 0;
	if (n_rec) {
		/* per token: ~2.75 x the conv input (x, B, C, their repeats to the value heads, the
		 * output); per sequence of the ubatch: ~2.43 x its delta state (read and written) */
		uint64_t conv = (uint64_t)hp->ssm_d_inner + 2ull * hp->ssm_n_group * hp->ssm_d_state;
		uint64_t seqs = o->n_seq ? o->n_seq : 1;
		gdn = u * 4 * conv * 11 / 4 + seqs * halo_hparams_n_embd_s(hp) * 4 * 243 / 100;
	}
	/* MoE layers compute only the routed and shared experts; a dense FFN size in a MoE
	 * model's metadata belongs to no layer of these architectures. */
	uint64_t ff = hp->n_expert ? (uint64_t)hp->n_expert_used * hp->n_ff_exp + hp->n_ff_shexp : hp->n_ff;
	out->ffn = u * 4 * (3 * ff + 3ull * hp->n_embd);

	/* the output head runs after the last layer's buffers are free */
	uint64_t hidden = (uint64_t)hp->n_embd * u * 4;
	uint64_t head = out->logits + hidden;
	uint64_t peak = attn > gdn ? attn : gdn;
	peak = out->ffn > peak ? out->ffn : peak;
	peak = head > peak ? head : peak;
	uint64_t total = out->mask + peak;
	if (o->has_gpu && o->n_gpu_layers != 0) {
		out->gpu = total;
		out->cpu = 2 * hidden + out->mask; /* inputs and the host side of the split graph */
	} else {
		out->cpu = total;
	}
}
