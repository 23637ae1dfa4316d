/*
 * halo_hparams: the architecture facts memory planning needs, whether they
 * come from a GGUF header (halo_hparams_from_gguf) or from the catalog
 * (configs/models.conf). Plain data: no pointers, copy by assignment.
 *
 * Layer indices follow llama.cpp: layers [0, n_layer) are the main stack,
 * [n_layer, n_layer + n_layer_nextn) are MTP (nextn) layers, which have no
 * place in the main KV cache or recurrent state.
 */
#ifndef HALO_HPARAMS_H
#define HALO_HPARAMS_H

#include <stdbool.h>
#include <stdint.h>

#define HALO_MAX_LAYERS 512

struct halo_gguf;
struct halo_gguf_writer;

typedef enum halo_layer_kind {
	HALO_LAYER_ATTENTION = 0,  /* full attention: KV for every context token */
	HALO_LAYER_RECURRENT = 1,  /* Gated DeltaNet / Mamba: fixed recurrent state */
	HALO_LAYER_SWA = 2,        /* sliding-window attention: KV for n_swa tokens */
} halo_layer_kind;

typedef struct halo_hparams {
	char arch[32];              /* llama.cpp architecture, e.g. "qwen35moe" */
	uint32_t n_layer;           /* main layers (block_count - nextn_predict_layers) */
	uint32_t n_layer_nextn;     /* MTP layers */
	uint32_t n_embd;            /* hidden size */
	uint32_t n_vocab;
	uint64_t n_ctx_train;       /* native context */
	uint64_t n_ctx_yarn;        /* YaRN limit, 0 when none is published */

	/* attention, per layer (0 heads on recurrent layers is allowed) */
	uint32_t n_head[HALO_MAX_LAYERS];
	uint32_t n_head_kv[HALO_MAX_LAYERS];
	uint8_t layer_kind[HALO_MAX_LAYERS]; /* halo_layer_kind */
	uint32_t head_dim_k;        /* attention.key_length */
	uint32_t head_dim_v;        /* attention.value_length */
	uint32_t n_swa;             /* sliding window in tokens; 0 when none */

	/* recurrent layers (ssm.* keys; Gated DeltaNet reuses them) */
	uint32_t ssm_d_conv;        /* conv kernel */
	uint32_t ssm_d_inner;       /* value heads * head dim */
	uint32_t ssm_d_state;       /* state size (head dim for DeltaNet) */
	uint32_t ssm_n_group;       /* key heads (groups) */
	uint32_t ssm_dt_rank;       /* value heads for DeltaNet */

	/* feed-forward / experts */
	uint32_t n_ff;              /* dense FFN size (0 for all-MoE) */
	uint32_t n_expert;
	uint32_t n_expert_used;
	uint32_t n_expert_shared;
	uint32_t n_ff_exp;          /* per-expert FFN size */
	uint32_t n_ff_shexp;        /* shared-expert FFN size */
} halo_hparams;

/*
 * Reads the hyperparameters from a GGUF header as the pinned llama.cpp's
 * loader for the architecture does: per-layer head arrays, the recurrent
 * layer map (attention.recurrent_layers, full_attention_interval, or layers
 * without KV heads, by architecture) and sliding-window patterns with each
 * architecture's defaults. HALO_EFORMAT names the key that is missing or bad.
 */
int halo_hparams_from_gguf(halo_hparams *hp, const struct halo_gguf *g);

/*
 * Adds the metadata keys that describe `hp` to a GGUF writer, as llama.cpp's
 * converter names them (general.architecture, <arch>.block_count, heads,
 * ssm.*, full_attention_interval or attention.recurrent_layers, sliding
 * window...), so that halo_hparams_from_gguf() of the result gives `hp` back.
 * No tokenizer or tensors are added.
 */
int halo_hparams_to_gguf(const halo_hparams *hp, struct halo_gguf_writer *w);

/* True when the architecture keeps a recurrent state on some layers. */
bool halo_hparams_is_recurrent(const halo_hparams *hp);

/* Counts of each halo_layer_kind among the main layers. */
void halo_hparams_layer_counts(const halo_hparams *hp, uint32_t *attn, uint32_t *recurrent, uint32_t *swa);

/* n such that layer i is attention iff (i + 1) % n == 0 (full_attention_interval), or 0. */
uint32_t halo_hparams_attention_interval(const halo_hparams *hp);

/* p >= 2 such that layer i slides iff i % p < p - 1 (llama.cpp's set_swa_pattern), or 0. */
uint32_t halo_hparams_swa_period(const halo_hparams *hp);

/* The first layer that is not recurrent: its heads stand for the attention layers. */
uint32_t halo_hparams_first_attention_layer(const halo_hparams *hp);

/* Marks layer i recurrent unless (i + 1) % interval == 0, as llama.cpp does
 * for qwen35/qwen3next without attention.recurrent_layers. */
void halo_hparams_set_full_attention_interval(halo_hparams *hp, uint32_t interval);

/* Sets every layer's head counts. */
void halo_hparams_set_heads(halo_hparams *hp, uint32_t n_head, uint32_t n_head_kv);

/*
 * KV-cache bytes for one token of context, K of type `type_k` and V of type
 * `type_v` (halo_ggml_type), split into full-attention layers and sliding-
 * window layers (whose cache stops growing at n_swa tokens). Recurrent layers
 * hold none. Returns 0, or HALO_EFORMAT when a row is not a whole number of
 * blocks of the type (as llama.cpp, which refuses such a cache type).
 */
int halo_hparams_kv_bytes_per_token(const halo_hparams *hp, uint32_t type_k, uint32_t type_v,
				    uint64_t *full_layers, uint64_t *swa_layers);

/* Elements per sequence of the conv (r) and delta/ssm (s) state of one
 * recurrent layer, as llama_hparams::n_embd_r()/n_embd_s(). */
uint64_t halo_hparams_n_embd_r(const halo_hparams *hp);
uint64_t halo_hparams_n_embd_s(const halo_hparams *hp);

/* Recurrent-state bytes for one sequence (f32 r and s over recurrent layers). */
uint64_t halo_hparams_recurrent_bytes_per_seq(const halo_hparams *hp);

/*
 * Compares the planning-relevant fields of `file` (from a GGUF) with `want`
 * (from the catalog). Returns 0 when they agree, else HALO_EFORMAT with a
 * message naming the first field that differs ("n_layer: file 40, catalog 48").
 */
int halo_hparams_match(const halo_hparams *file, const halo_hparams *want);

#endif
