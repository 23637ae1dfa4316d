/*
 * What `halo plan` and `halo serve` share: the machine to plan for (this
 * one, or one described with --mem/--gpu-mem), the llama-server settings
 * from the command line, one planned configuration (a "row") with what
 * binds and what to change, and the catalog preset for a mode.
 *
 * CLI code: functions that return an exit code print their own message
 * (cli_error/cli_fail); the others print nothing. Nothing here allocates
 * except the JSON builders (new references, owned by the caller).
 */
#ifndef HALO_CLI_PLAN_SETUP_H
#define HALO_CLI_PLAN_SETUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "catalog.h"
#include "hparams.h"
#include "memplan.h"
#include "plan.h"
#include "store.h"

/* The machine and llama-server settings flags; strings point into argv. */
struct plan_settings {
	uint64_t mem, gpu_mem, headroom, cache_ram;  /* headroom, cache_ram: UINT64_MAX = default */
	long ctx;                                    /* 0: the largest that fits */
	long parallel, ubatch, batch, ngl, n_cpu_moe, checkpoints;  /* ngl -2: all */
	const char *kv, *ctk, *ctv, *fa, *load_mode, *sysfs_root, *proc_root;
	bool discrete, cpu_only, cpu_moe, no_unified;
};

#define PLAN_SETTINGS_INIT { .headroom = UINT64_MAX, .cache_ram = UINT64_MAX, .ngl = -2, .checkpoints = 32 }

/*
 * Option-table entries (options.h) for struct plan_settings *s, shared so
 * both commands parse and document the flags the same way. --ctx and
 * --mode are left to each command (plan takes a number, serve also "max").
 */
#define PLAN_MACHINE_OPTIONS(s)                                                                                      \
	OPT_GROUP("machine"),                                                                                         \
	OPT_SIZE(0, "mem", &(s)->mem, "size", "plan for a machine with this much RAM (default: this machine)"),       \
	OPT_SIZE(0, "gpu-mem", &(s)->gpu_mem, "size", "GPU memory pool (default: detected; with --mem, half of it: GTT)"), \
	OPT_BOOL(0, "discrete", &(s)->discrete, "with --mem: the GPU has its own VRAM (--gpu-mem), not shared RAM"),  \
	OPT_BOOL(0, "cpu-only", &(s)->cpu_only, "plan without a GPU"),                                                \
	OPT_SIZE(0, "headroom", &(s)->headroom, "size", "RAM left for the OS and other programs (default 4GiB)"),     \
	OPT_STRING(0, "sysfs-root", &(s)->sysfs_root, "dir", "read a recorded /sys tree"),                            \
	OPT_STRING(0, "proc-root", &(s)->proc_root, "dir", "read a recorded /proc tree")

#define PLAN_SERVER_OPTIONS(s)                                                                                       \
	OPT_STRING(0, "kv", &(s)->kv, "type", "KV cache type for K and V (f16, q8_0, q4_0, ...; default f16)"),       \
	OPT_STRING(0, "ctk", &(s)->ctk, "type", "K cache type"),                                                      \
	OPT_STRING(0, "ctv", &(s)->ctv, "type", "V cache type"),                                                      \
	OPT_INT(0, "parallel", &(s)->parallel, "n", "slots (-np; default 4, llama-server's automatic choice)"),      \
	OPT_BOOL(0, "no-kv-unified", &(s)->no_unified, "one KV stream per slot instead of a shared one"),            \
	OPT_INT(0, "ubatch", &(s)->ubatch, "n", "physical batch (-ub; default 512)"),                                 \
	OPT_INT(0, "batch", &(s)->batch, "n", "logical batch (-b; default 2048)"),                                    \
	OPT_STRING(0, "fa", &(s)->fa, "on|off", "flash attention (default on)"),                                      \
	OPT_INT(0, "ngl", &(s)->ngl, "n", "layers on the GPU (default all)"),                                        \
	OPT_BOOL(0, "cpu-moe", &(s)->cpu_moe, "keep all expert weights on the CPU"),                                  \
	OPT_INT(0, "n-cpu-moe", &(s)->n_cpu_moe, "n", "keep the experts of the first n layers on the CPU"),          \
	OPT_STRING(0, "load-mode", &(s)->load_mode, "mmap|none", "weights mapped or read (default: none on an APU)"), \
	OPT_INT(0, "checkpoints", &(s)->checkpoints, "n", "context checkpoints per slot (default 32)"),               \
	OPT_SIZE(0, "cache-ram", &(s)->cache_ram, "size", "prompt cache limit (default 8192MiB)")

struct plan_machine_info {
	halo_plan_machine m;
	char what[256];     /* one-line description */
	uint64_t page_size; /* for ttm advice */
	bool detected;
};

/* One evaluated quant or file. */
struct plan_row {
	const halo_quant *q;       /* NULL for a file */
	uint64_t size;
	uint64_t n_ctx;            /* max context, or the requested one */
	halo_plan_result r;
	halo_memplan_opts o;       /* with n_ctx set */
	halo_server_opts srv;      /* with the checkpoint and prompt-cache limits that fit */
	char path[4096];
};

/* Fills *mi from the flags or by detecting this machine. Exit code (0: done). */
int plan_machine_describe(const struct plan_settings *s, struct plan_machine_info *mi);
json_t *plan_machine_json(const struct plan_machine_info *mi);

/* memplan and llama-server options from the flags (s->ctx becomes o->n_ctx). Exit code. */
int plan_opts_build(const struct plan_settings *s, const struct plan_machine_info *mi, halo_memplan_opts *o,
		    halo_server_opts *srv);

/*
 * Plans one configuration into *row (its q, size and path are left as
 * they are): o->n_ctx when set, else the largest context up to `cap`.
 * Returns 0 or a halo_error_code.
 */
int plan_row_solve(const halo_hparams *hp, const halo_weights_plan *w, const halo_memplan_opts *o,
		   const halo_server_opts *srv, const struct plan_machine_info *mi, uint64_t cap, struct plan_row *row);
bool plan_row_fits(const struct plan_row *r);
/* "full context", "gpu pool", "ram" or "over ram by 3.2 GiB"; returns buf. */
const char *plan_binding_text(const struct plan_row *r, char *buf, size_t n);
/* What would make a configuration that does not fit fit (appends nothing when it fits). */
void plan_advice(const struct plan_row *r, const struct plan_machine_info *mi, halo_buf *out);
/* The row as `halo plan --json` prints it (quant and provider may be NULL). */
json_t *plan_row_json(const struct plan_row *r, const char *name, const char *provider, const halo_preset *preset,
		      const struct plan_machine_info *mi);

/* The model's sampling preset for a mode (thinking, coding = thinking-coding, instruct;
 * NULL: thinking), else its first one; NULL without a model or presets. */
const halo_preset *plan_mode_preset(const halo_model *m, const char *mode);
/* The catalog model whose architecture facts the file's header matches, or NULL. */
const halo_model *plan_catalog_match(const halo_catalog *cat, const halo_hparams *hp);
/* Where a quant's file is (complete or verified in the store), or would be once pulled. */
void plan_model_path(const halo_store *store, const char *dir, const halo_model *m, const halo_quant *q, char *out,
		     size_t n);

#endif
