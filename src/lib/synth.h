/*
 * halo synth: random-weight GGUF "twins" of real architectures.
 *
 * A twin has the architecture metadata, tensor names, shapes and types that
 * the pinned llama.cpp's loader expects for the architecture, and a real
 * tokenizer copied from one of llama.cpp's models/ggml-vocab-*.gguf files, so
 * llama.cpp loads it, allocates exactly the memory the real model would
 * (weights, KV cache, recurrent state, compute buffers) and runs at the real
 * model's speed. Only the weights are fake: small pseudo-random values, so
 * what it generates is noise. Tests and users without downloads use twins to
 * measure llama.cpp; docs/synth.md says what is real and what is not.
 *
 * Twins are written as a stream (halo_gguf_writer's fill callback): a
 * full-size twin is tens of GB and no tensor is ever held whole in memory.
 * Every byte is a function of (seed, tensor name, position), so the file is
 * the same for a seed whatever the chunk size it is written with.
 *
 * Errors follow error.h. Unsupported architectures and hyperparameters that
 * llama.cpp could not load (e.g. a Qwen3.5 layer map that is not one
 * attention layer every N) are HALO_EUNSUPPORTED; bad values from the caller
 * (zero heads, more experts used than exist) are HALO_EUSAGE.
 */
#ifndef HALO_SYNTH_H
#define HALO_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hparams.h"

/* The llama.cpp architectures halo can synthesize, NULL-terminated (static). */
const char *const *halo_synth_archs(void);
bool halo_synth_arch_supported(const char *arch);

/*
 * Hyperparameters of a representative real model of `arch` (Qwen3.5-35B-A3B
 * for qwen35moe, Qwen3.5-27B for qwen35, Qwen3-Coder-30B-A3B for qwen3moe,
 * Gemma-3-4B for gemma3, Llama-3.1-8B for llama), for `halo synth --arch`.
 * *model (may be NULL) gets that model's name (static). HALO_EUNSUPPORTED
 * for other architectures.
 */
int halo_synth_arch_defaults(const char *arch, halo_hparams *hp, const char **model);

/*
 * File name (no directory) of the llama.cpp vocabulary whose tokenizer the
 * architecture's models use, looked for under <llama.cpp>/models/:
 * "ggml-vocab-qwen35.gguf" for the Qwen3.5 family. NULL when unsupported.
 */
const char *halo_synth_default_vocab(const char *arch);

/*
 * Scaling a model down (or up): every field that is 0 keeps the model's
 * value. The layer pattern is kept: Qwen3.5's one attention layer every
 * full_attention_interval, Gemma 3's sliding-window period.
 */
typedef struct halo_synth_scale {
	uint32_t n_layer;        /* main layers */
	uint32_t n_embd;         /* hidden size */
	uint32_t n_head;         /* attention query heads (every layer) */
	uint32_t n_head_kv;      /* attention KV heads (every layer) */
	uint32_t head_dim;       /* key and value head size */
	uint32_t n_ff;           /* dense feed-forward size */
	uint32_t n_expert;       /* experts; experts used is lowered to fit unless given */
	uint32_t n_expert_used;
	uint32_t n_ff_exp;       /* per-expert FFN, and the shared expert's when there is one */
	uint32_t ssm_k_heads;    /* Gated DeltaNet key heads (ssm.group_count) */
	uint32_t ssm_v_heads;    /* Gated DeltaNet value heads (ssm.time_step_rank) */
	uint32_t ssm_head_dim;   /* Gated DeltaNet key = value head size (ssm.state_size) */
	uint64_t n_ctx;          /* trained context (context_length) */
} halo_synth_scale;

#define HALO_SYNTH_SCALE_INIT { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/* Applies `s` to `hp` in place; on error `hp` is unchanged. */
int halo_synth_scale_hparams(halo_hparams *hp, const halo_synth_scale *s);

/*
 * Whether the real models of this shape reuse token_embd as the output
 * matrix (no output.weight): Gemma 3 always, Qwen3.5 up to the 4B's hidden
 * size of 2560. Ask before scaling: a scaled-down 27B is still untied.
 */
bool halo_synth_tied_default(const halo_hparams *hp);

/* Whether output.weight is written or the token embedding is reused (tied). */
typedef enum halo_synth_output {
	HALO_SYNTH_OUTPUT_AUTO = 0,     /* halo_synth_tied_default() of the hparams given */
	HALO_SYNTH_OUTPUT_SEPARATE = 1,
	HALO_SYNTH_OUTPUT_TIED = 2,
} halo_synth_output;

typedef struct halo_synth_opts {
	unsigned version;        /* HALO_SYNTH_OPTS_VERSION */
	/* Type of the weight matrices: HALO_GGML_F16, BF16, F32, Q8_0 or Q4_0.
	 * Norms, biases, the MoE router, ssm_a/ssm_dt and the DeltaNet conv are
	 * F32 as llama.cpp's converter writes them; a matrix whose rows are not
	 * whole blocks of a quantized type falls back to F16, as llama-quantize. */
	uint32_t type;
	const char *vocab_path;  /* a GGUF with a tokenizer (required) */
	/* When the model's vocabulary (hp->n_vocab) is larger than the
	 * tokenizer's, pad the tokenizer with unused "[PAD<id>]" tokens up to it,
	 * as converters do for padded embeddings, so token_embd and output have
	 * the real model's size. Otherwise the tokenizer's count is used. */
	bool pad_vocab;
	uint64_t seed;
	const char *name;        /* general.name; NULL: "<arch> synth twin" */
	int output;              /* halo_synth_output */
	size_t chunk_size;       /* bytes per fill call; 0 = the writer's default */
	/* Called after every chunk with the tensor bytes written so far and
	 * their total (may be NULL). */
	void (*progress)(void *userdata, uint64_t done, uint64_t total);
	void *progress_userdata;
} halo_synth_opts;

#define HALO_SYNTH_OPTS_VERSION 1
#define HALO_SYNTH_OPTS_INIT { HALO_SYNTH_OPTS_VERSION, 1 /* HALO_GGML_F16 */, NULL, false, 0, NULL, \
			       HALO_SYNTH_OUTPUT_AUTO, 0, NULL, NULL }

/* What a twin is (or would be). */
typedef struct halo_synth_info {
	halo_hparams hp;         /* as written: n_vocab is the tokenizer's token count */
	uint32_t type;           /* opts.type */
	bool tied;               /* no output.weight */
	uint64_t n_kv;           /* metadata entries */
	uint64_t n_tensors;
	uint64_t n_params;       /* elements of all tensors */
	uint64_t data_offset;    /* where tensor data starts */
	uint64_t data_size;      /* tensor bytes, without padding */
	uint64_t file_size;      /* bytes of the whole file */
} halo_synth_info;

/*
 * Writes the twin of `hp` to `path` (a temporary file renamed into place, so
 * a failed write leaves nothing under `path`). `info` (may be NULL) is filled
 * in. The tokenizer comes from opts->vocab_path; its token count becomes the
 * vocabulary size (token_embd and output rows) unless opts->pad_vocab.
 */
int halo_synth_write(const halo_hparams *hp, const char *path, const halo_synth_opts *opts, halo_synth_info *info);

/* As halo_synth_write, but only lays the file out and fills `info`: nothing is written. */
int halo_synth_describe(const halo_hparams *hp, const halo_synth_opts *opts, halo_synth_info *info);

#endif
