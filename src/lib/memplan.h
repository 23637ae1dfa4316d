/*
 * memplan: what the pinned llama.cpp allocates for a model, computed before
 * the model is downloaded. Pure functions over halo_hparams (from a GGUF
 * header or the catalog) and, where tensors matter, a GGUF tensor list.
 *
 * Sources in the pinned tree: src/llama-context.cpp (context padding,
 * per-sequence context, output buffer), src/llama-model.cpp (create_memory:
 * which cache each architecture gets; layer-to-device assignment),
 * src/llama-kv-cache.cpp and llama-kv-cache-iswa.cpp (K/V tensors, the SWA
 * cache size), src/llama-memory-recurrent.cpp (conv and delta state rows).
 *
 * No allocation, no I/O: every result is written into caller-owned structs.
 */
#ifndef HALO_MEMPLAN_H
#define HALO_MEMPLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "hparams.h"

struct halo_gguf;

/* The llama.cpp context parameters that change memory use. */
typedef struct halo_memplan_opts {
	unsigned version;
	uint64_t n_ctx;           /* requested context (-c); 0 = the model's native context */
	uint32_t n_seq;           /* sequences / server slots (-np) */
	bool kv_unified;          /* one KV stream shared by all sequences (--kv-unified) */
	uint32_t type_k, type_v;  /* halo_ggml_type of the cache (-ctk / -ctv) */
	bool flash_attn;          /* -fa on: V is not transposed, no KQ matrix in the graph */
	bool swa_full;            /* --swa-full: sliding-window layers keep the whole context */
	uint32_t n_batch;         /* -b */
	uint32_t n_ubatch;        /* -ub */
	int32_t n_gpu_layers;     /* -ngl; -1 = all */
	int32_t n_cpu_moe;        /* --n-cpu-moe N: experts of the first N layers on the CPU; -1 = all (--cpu-moe) */
	bool mmap;                /* weights on the CPU are mapped from the file (default) */
	bool has_gpu;             /* a GPU backend exists; false = everything on the CPU */
	uint32_t n_rs_seq;        /* extra recurrent rows per sequence for MTP drafting (draft length) */
	uint32_t n_outputs_max;   /* logits rows a ubatch may produce; 0 = n_batch (library default);
				     llama-server sets its slot count */
} halo_memplan_opts;

#define HALO_MEMPLAN_OPTS_VERSION 1
/* llama.cpp's own defaults (common.h / llama_context_default_params), one GPU. */
#define HALO_MEMPLAN_OPTS_INIT { HALO_MEMPLAN_OPTS_VERSION, 0, 1, false, 1 /* F16 */, 1, true, false, \
				 2048, 512, -1, 0, true, true, 0, 0 }

/* The KV cache, as llama_kv_cache / llama_kv_cache_iswa size it. */
typedef struct halo_kv_plan {
	uint32_t n_ctx;           /* context after llama.cpp's padding to 256 (and to n_seq streams) */
	uint32_t n_ctx_seq;       /* context of one sequence */
	uint32_t n_stream;        /* 1 when unified, else n_seq */
	uint32_t cells;           /* cells per stream of full-attention layers (= n_ctx_seq) */
	uint32_t swa_cells;       /* cells per stream of sliding-window layers */
	uint32_t n_layers;        /* full-attention layers with a cache */
	uint32_t n_swa_layers;    /* sliding-window layers with a cache */
	uint64_t k_bytes, v_bytes;         /* full-attention layers */
	uint64_t swa_k_bytes, swa_v_bytes; /* sliding-window layers */
	uint64_t total;
} halo_kv_plan;

/*
 * Context padding and the KV cache. HALO_EUSAGE for impossible options
 * (n_seq 0, n_ubatch 0); HALO_EFORMAT when a cache row is not a whole number
 * of blocks of the cache type (llama.cpp refuses such a type too).
 */
int halo_memplan_kv(const halo_hparams *hp, const halo_memplan_opts *o, halo_kv_plan *out);

/* Recurrent state: f32 conv (r) and delta/ssm (s) rows of every recurrent
 * layer, max(1, n_seq) x (1 + n_rs_seq) rows. */
typedef struct halo_recurrent_plan {
	uint32_t rows;
	uint32_t n_layers;
	uint64_t r_bytes, s_bytes, total;
} halo_recurrent_plan;

void halo_memplan_recurrent(const halo_hparams *hp, const halo_memplan_opts *o, halo_recurrent_plan *out);

/* Host buffer for logits at context creation: n_vocab floats per sequence. */
uint64_t halo_memplan_output(const halo_hparams *hp, const halo_memplan_opts *o);

/* Model weights by where llama.cpp puts them. */
typedef struct halo_weights_plan {
	uint64_t gpu;             /* device buffers (VRAM, or GTT on an APU) */
	uint64_t cpu;             /* CPU buffers: anonymous memory (no mmap) */
	uint64_t cpu_mapped;      /* CPU buffers mapped from the file (page cache) */
	uint64_t skipped;         /* tensors llama.cpp does not load (MTP layers) */
	uint64_t duplicated;      /* the tied output matrix copied to the output layer's device */
	uint32_t gpu_layers;      /* repeating layers on the GPU */
} halo_weights_plan;

/*
 * Splits a GGUF's tensors between CPU and GPU as llama.cpp assigns them:
 * the input layer (token_embd) always on the CPU, the last n_gpu_layers of
 * the layers + output on the GPU, expert tensors of the first n_cpu_moe
 * layers on the CPU, MTP layers skipped, a missing output.weight replaced
 * by a copy of token_embd on the output layer's device.
 */
int halo_memplan_weights(const struct halo_gguf *g, const halo_hparams *hp, const halo_memplan_opts *o,
			 halo_weights_plan *out);

/*
 * Compute buffers: llama.cpp reserves the worst-case graph of one ubatch.
 * Modelled term by term (see memplan.c): logits for n_ubatch outputs, the
 * hidden state and FFN/expert intermediates per token, the KQ mask, and
 * without flash attention the KQ matrix over the whole context.
 */
typedef struct halo_compute_plan {
	uint64_t gpu, cpu;
	uint64_t logits, ffn, attention, mask;  /* the terms, for explanations */
} halo_compute_plan;

void halo_memplan_compute(const halo_hparams *hp, const halo_memplan_opts *o, const halo_kv_plan *kv,
			  halo_compute_plan *out);

#endif
