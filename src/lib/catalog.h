/*
 * The model catalog: which models halo knows, their architecture facts (for
 * memory planning before anything is downloaded), role tags, sampling
 * presets and the GGUF quantizations that can be fetched for each.
 *
 * The catalog is text (format: docs/catalog.md). The default one is
 * configs/models.conf, compiled into the binary; a user file
 * ($XDG_CONFIG_HOME/halo/models.conf) is loaded on top of it. Later files
 * win: a [model ID] section whose id already exists replaces that model
 * whole, and an [extend ID] section adds or replaces quants and presets (and
 * a few descriptive keys) of an existing model.
 *
 * Ownership: a halo_catalog owns every model, string, array and preset in
 * it. Pointers returned by the lookups below point into the catalog and stay
 * valid until the next halo_catalog_load_*() on that catalog (which may move
 * models) or halo_catalog_free(). Callers never free them.
 *
 * A load either succeeds whole or leaves the catalog exactly as it was: a
 * file with one bad line adds nothing. Errors name the file and line:
 * "models.conf:42: unknown key 'lyers' in [model qwen3.5-9b]".
 */
#ifndef HALO_CATALOG_H
#define HALO_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hparams.h"

/* Biggest catalog file read (the default one is a few tens of KiB). */
#define HALO_CATALOG_MAX_FILE ((size_t)4 << 20)

/* Name the compiled-in catalog has in error messages and halo_model.file. */
#define HALO_CATALOG_DEFAULT_NAME "built-in models.conf"

typedef struct halo_quant {
	char *name;             /* "UD-Q4_K_XL", "Q4_K_M": unique per (name, provider) */
	char *provider;         /* "unsloth", "bartowski" */
	char *repo;             /* Hugging Face repository, "unsloth/Qwen3.5-35B-A3B-GGUF" */
	char **files;           /* paths inside repo; split models list every part in order */
	size_t n_files;
	/*
	 * Size of all files together. Published sizes are rounded (Hugging Face
	 * shows "22.2 GB"), so size_tolerance says how far the true size may be
	 * from size_bytes: half a unit of the last digit written ("22.2 GB" ->
	 * +-0.05 GB), 0 when the size was given in bytes, 10% for estimates.
	 */
	uint64_t size_bytes;
	uint64_t size_tolerance;
	bool size_estimated;    /* not observed: derived from parameters * bpw, or a guess */
	bool parts_estimated;   /* the split count (n_files) is a guess, not confirmed */
	int line;               /* where defined */
} halo_quant;

/* Sampling settings, as llama.cpp's server names them. */
typedef struct halo_preset {
	char *name;             /* "thinking", "instruct", ... */
	double temperature;
	double top_p;
	double min_p;           /* 0 when the preset does not give it */
	double presence_penalty; /* 0 when not given */
	double repeat_penalty;  /* 1 (off) when not given */
	int top_k;              /* 0 = disabled */
	int max_tokens;         /* recommended output budget; 0 when not given */
	int line;
} halo_preset;

typedef struct halo_model {
	char *id;               /* "qwen3.5-35b-a3b": lookups ignore case */
	char *name;             /* display name, "Qwen3.5-35B-A3B" */
	char *family;           /* "qwen3.5" */
	char *source;           /* URL of the config.json the facts come from */
	bool moe;               /* mixture of experts (else dense) */
	bool hybrid;            /* has recurrent (Gated DeltaNet) layers */
	double params_total;    /* parameters, counted (3.47e10), not billions */
	double params_active;   /* per token; == params_total for dense models */
	halo_hparams hp;
	char **roles;           /* lowercase tags: "top-pick", "coding", "draft", ... */
	size_t n_roles;
	halo_preset *presets;
	size_t n_presets;
	halo_quant *quants;     /* in catalog order: the first is the preferred one */
	size_t n_quants;
	/* Defaults quant lines take when they do not say (see docs/catalog.md). */
	char *default_provider;
	char *default_repo;
	char *file_pattern;     /* "Qwen3.5-35B-A3B-{quant}.gguf" */
	char *split_pattern;    /* "{quant}/Qwen3.5-35B-A3B-{quant}-{part}-of-{parts}.gguf" */
	char *file;             /* file that (last) defined the model */
	int line;               /* line of its [model] header there */
	unsigned long seq;      /* internal: order of definition, later wins top-pick */
} halo_model;

typedef struct halo_catalog {
	halo_model *models;
	size_t n_models;
	size_t cap;             /* internal */
	unsigned long seq;      /* internal */
} halo_catalog;

#define HALO_CATALOG_INIT { NULL, 0, 0, 0 }

void halo_catalog_init(halo_catalog *cat);
/* Frees everything the catalog owns and leaves it empty (reusable). */
void halo_catalog_free(halo_catalog *cat);

/*
 * Parses `len` bytes of catalog text and merges it into `cat`. `filename`
 * is used in messages and recorded in halo_model.file. 0, or HALO_EFORMAT
 * (with "file:line: ..." message), HALO_ENOMEM.
 */
int halo_catalog_load_buffer(halo_catalog *cat, const char *text, size_t len, const char *filename);

/* Reads and merges a catalog file. HALO_ENOTFOUND when it does not exist,
 * HALO_EIO when it cannot be read, else as halo_catalog_load_buffer. */
int halo_catalog_load_file(halo_catalog *cat, const char *path);

/*
 * Loads the compiled-in catalog, then the user's file on top of it:
 * `user_path` when given (it must exist), else
 * $XDG_CONFIG_HOME/halo/models.conf, or ~/.config/halo/models.conf when
 * XDG_CONFIG_HOME is unset or not absolute; a missing default user file is
 * fine. On error `cat` is left as it was before the call.
 */
int halo_catalog_load_default(halo_catalog *cat, const char *user_path);

/* Loads only the compiled-in catalog (no user file): for facts that must not
 * depend on the user's configuration, such as halo synth's --arch defaults. */
int halo_catalog_load_builtin(halo_catalog *cat);

/*
 * The user catalog path halo_catalog_load_default() reads when given NULL,
 * written into `buf`. 0, or HALO_ENOTFOUND when neither XDG_CONFIG_HOME nor
 * HOME is usable, HALO_ENOMEM when it does not fit.
 */
int halo_catalog_user_path(char *buf, size_t size);

/* The model whose id or display name is `name` (ignoring case), or NULL
 * with HALO_ENOTFOUND recorded. */
const halo_model *halo_catalog_find(const halo_catalog *cat, const char *name);

/*
 * A quant of `model` by name, ignoring case: "Q4_K_M" gives the first one
 * listed with that name; "Q4_K_M@bartowski" picks the provider. NULL (with
 * HALO_ENOTFOUND) when there is none.
 */
/*
 * The model a server is serving, from what it calls it (a GGUF file name such
 * as "Qwen3.5-35B-A3B-UD-Q4_K_XL.gguf", an Ollama tag): the model whose id or
 * display name occurs in `text` ignoring case, the longest such name winning
 * ("Qwen3.5-27B" over "Qwen3.5-2B"). NULL when none does; no error recorded.
 */
const halo_model *halo_catalog_match_served(const halo_catalog *cat, const char *text);

const halo_quant *halo_catalog_find_quant(const halo_model *model, const char *name);

/* The model tagged "top-pick" that was defined last (so a user file's pick
 * wins), or NULL with HALO_ENOTFOUND. */
const halo_model *halo_catalog_top_pick(const halo_catalog *cat);

/* Whether `model` carries `role` (ignoring case). */
bool halo_model_has_role(const halo_model *model, const char *role);

/* A preset of `model` by name (ignoring case), or NULL with HALO_ENOTFOUND. */
const halo_preset *halo_model_find_preset(const halo_model *model, const char *name);

/*
 * Approximate bits per weight of a whole GGUF file quantized with one of
 * llama.cpp's presets ("Q4_K_M", "Q8_0", "BF16"), used for "estimate" sizes;
 * 0 when halo has no figure (e.g. unsloth's "UD-" dynamic mixes).
 */
double halo_catalog_quant_bpw(const char *quant);

#endif
