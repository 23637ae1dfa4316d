/*
 * plan: does a model fit a machine, with how much context? Adds up the
 * memplan components for one llama-server configuration, checks them
 * against the machine's limits (total RAM, the GPU's memory pool, a
 * headroom for everything else), and solves the largest context that fits.
 *
 * On a unified-memory APU the GPU's buffers live in system RAM (GTT), so
 * they count against both the GPU pool and RAM; on a discrete GPU they count
 * against VRAM only.
 *
 * Pure functions; results go into caller-owned structs.
 */
#ifndef HALO_PLAN_H
#define HALO_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "catalog.h"
#include "hparams.h"
#include "memplan.h"

/* The machine being planned for (detected, or given with --mem/--gpu-mem). */
typedef struct halo_plan_machine {
	uint64_t ram_total;       /* bytes of system RAM */
	uint64_t gpu_limit;       /* bytes the GPU backend may allocate; 0 = no GPU */
	bool unified;             /* GPU memory is system RAM (APU, GTT) */
	uint64_t headroom;        /* RAM kept free for the OS, desktop and page cache */
} halo_plan_machine;

/* llama-server's own extras, with its defaults. */
typedef struct halo_server_opts {
	uint32_t ctx_checkpoints; /* --ctx-checkpoints per slot (default 32) */
	uint64_t cache_ram;       /* --cache-ram prompt cache limit (default 8192 MiB) */
} halo_server_opts;

#define HALO_SERVER_OPTS_INIT { 32, 8192ull << 20 }

typedef enum halo_plan_limit {
	HALO_LIMIT_NONE = 0,
	HALO_LIMIT_GPU,           /* the GPU pool (GTT on an APU, VRAM otherwise) */
	HALO_LIMIT_RAM,           /* total RAM minus headroom */
	HALO_LIMIT_CONTEXT,       /* the model's native (or YaRN) context */
} halo_plan_limit;

const char *halo_plan_limit_name(halo_plan_limit l);

typedef struct halo_plan_result {
	halo_kv_plan kv;
	halo_recurrent_plan recurrent;
	halo_compute_plan compute;
	halo_weights_plan weights;
	uint64_t output;          /* logits buffer (host) */
	uint64_t checkpoints;     /* context checkpoints, all slots, at the limit below (host) */
	uint32_t ctx_checkpoints; /* --ctx-checkpoints that fits (the requested one, or fewer) */
	uint64_t prompt_cache;    /* --cache-ram that fits (the requested one, or less; host) */
	uint64_t gpu_total;       /* everything in GPU buffers */
	uint64_t host_total;      /* everything in CPU buffers (mapped weights included) */
	uint64_t ram_total;       /* RAM used: host + (GPU when unified) */
	bool fits;
	halo_plan_limit binding;  /* what stops it (when it does not fit, or caps the context) */
	uint64_t over_by;         /* bytes over the binding limit (0 when it fits) */
} halo_plan_result;

/*
 * Weights of a catalog quant whose tensor list is not known: its file size,
 * with the input embedding (n_vocab x n_embd at the file's average bits per
 * weight) on the CPU and the rest split by layer as llama.cpp would.
 */
void halo_plan_weights_estimate(const halo_hparams *hp, double params_total, uint64_t file_bytes,
				const halo_memplan_opts *o, halo_weights_plan *out);

/* Evaluates one configuration; `weights` comes from halo_memplan_weights or the estimate. */
int halo_plan_evaluate(const halo_hparams *hp, const halo_weights_plan *weights, const halo_memplan_opts *o,
		       const halo_server_opts *srv, const halo_plan_machine *m, halo_plan_result *out);

/*
 * The largest context (a multiple of 256, as llama.cpp pads it) that fits,
 * at most `cap` (0: the native context). Sets o->n_ctx in a copy, returns it
 * in *n_ctx with its plan in *out. When even 256 tokens do not fit, *n_ctx
 * is 0 and *out is the plan at 256 tokens (with what binds).
 */
int halo_plan_max_context(const halo_hparams *hp, const halo_weights_plan *weights, const halo_memplan_opts *o,
			  const halo_server_opts *srv, const halo_plan_machine *m, uint64_t cap, uint64_t *n_ctx,
			  halo_plan_result *out);

/*
 * Appends the llama-server command line for this configuration, with the
 * pinned llama.cpp's current flag names: -m, -c, -np, --kv-unified, -ngl,
 * --n-cpu-moe, -fa, -ctk/-ctv, -ub, --load-mode, --fit off (halo already
 * sized it), --jinja, --ctx-checkpoints, --cache-ram and the sampling preset
 * (NULL: none). Arguments that need it are single-quoted for a POSIX shell.
 */
int halo_plan_command(halo_buf *out, const char *model_path, const halo_memplan_opts *o, const halo_server_opts *srv,
		      const halo_preset *preset);

/* The same as a NULL-terminated argv starting with `program`; the caller
 * frees it with halo_plan_argv_free(). */
int halo_plan_argv(char ***out, const char *program, const char *model_path, const halo_memplan_opts *o,
		   const halo_server_opts *srv, const halo_preset *preset);
void halo_plan_argv_free(char **argv);

#endif
