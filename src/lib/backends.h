/*
 * llama.cpp backends: the builds a user runs models with (a Vulkan RADV
 * build, a ROCm build, ...), each a bin directory holding llama-server and
 * llama-bench, the environment it needs (AMD_VULKAN_ICD=RADV,
 * ROCBLAS_USE_HIPBLASLT=1) and default flags.
 *
 * They come from $XDG_CONFIG_HOME/halo/backends.conf (else
 * ~/.config/halo/backends.conf; format in docs/backends.md):
 *
 *   [backend radv]
 *   bin = /opt/llama.cpp/build-vulkan/bin
 *   env = AMD_VULKAN_ICD=RADV
 *   server_flags = -fa on
 *   bench_flags = -fa 1
 *
 * and, when no backend of the file points at it, the llama-server found in
 * $HALO_LLAMA_BIN or PATH is added as backend "path" (discovered = true).
 *
 * Ownership: a halo_backends owns every backend and string in it; pointers
 * from halo_backends_find() stay valid until halo_backends_free(). A load
 * succeeds whole or leaves the list empty; errors name the file and line.
 */
#ifndef HALO_BACKENDS_H
#define HALO_BACKENDS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define HALO_BACKENDS_MAX_FILE ((size_t)1 << 20)

typedef struct halo_backend {
	char *name;          /* [a-zA-Z0-9._-]+, unique */
	char *bin_dir;       /* absolute directory with llama-server / llama-bench */
	char **env;          /* "KEY=VALUE", added to the programs' environment */
	size_t n_env;
	char **server_flags; /* extra arguments for llama-server, split like a shell would */
	size_t n_server_flags;
	char **bench_flags;  /* extra arguments for llama-bench */
	size_t n_bench_flags;
	bool discovered;     /* found in $HALO_LLAMA_BIN / PATH, not in the file */
	const char *file;    /* where it was defined (points into the list; NULL when discovered) */
	int line;
} halo_backend;

typedef struct halo_backends {
	halo_backend *items;
	size_t n;
	char *file;          /* the file read, or NULL */
} halo_backends;

#define HALO_BACKENDS_INIT { NULL, 0, NULL }

/* The user's backends.conf path (whether or not it exists). */
int halo_backends_default_path(char *buf, size_t n);

/*
 * Loads `path` (NULL: the default path; a missing default file is no error,
 * a missing named file is HALO_ENOTFOUND) and, with `discover`, adds the
 * llama-server of $HALO_LLAMA_BIN / PATH as "path" unless a listed backend
 * already has that bin directory.
 */
int halo_backends_load(halo_backends *out, const char *path, bool discover);
/* Parses backends.conf text (`name` for messages). */
int halo_backends_parse(halo_backends *out, const char *name, const char *text, size_t len);
void halo_backends_free(halo_backends *b);

/* NULL (and an error naming the known ones) when there is none. */
const halo_backend *halo_backends_find(const halo_backends *b, const char *name);

/* "<bin_dir>/<program>" when it is executable there; HALO_ENOTFOUND otherwise. */
int halo_backend_program(const halo_backend *b, const char *program, char *out, size_t n);

/*
 * What a backend is: its version from `llama-server --version` (e.g.
 * "0.4.0 (build 1, commit 80fb11a)", build 1, commit "80fb11a", compiler
 * line) and its devices from `llama-bench --list-devices` ("Vulkan0: Radeon
 * 8060S Graphics (65536 MiB, 60000 MiB free)"), both run with the backend's
 * environment. A program that is missing or fails leaves its fields empty
 * and its message in `error`; the call itself fails only on bad arguments.
 */
typedef struct halo_backend_info {
	char version[256];
	long build;          /* -1 when unknown */
	char commit[64];
	char built_with[256];
	char **devices;      /* one line each, without the leading spaces */
	size_t n_devices;
	char error[512];
} halo_backend_info;

int halo_backend_probe(const halo_backend *b, halo_backend_info *out);
void halo_backend_info_free(halo_backend_info *info);

/*
 * A NULL-terminated argv: `program` of the backend, then `args` (NULL
 * terminated), then its server_flags or bench_flags (whichever matches the
 * program: llama-server or llama-bench). Later flags win in llama.cpp, so a
 * backend's defaults come after halo's. Freed with halo_plan_argv_free().
 */
int halo_backend_argv(const halo_backend *b, const char *program, char *const args[], char ***out);

/* The environment for a backend's programs: `base` (NULL: environ) with its
 * env entries set over it. Freed with halo_backend_env_free(). */
char **halo_backend_env(const halo_backend *b, char **base);
void halo_backend_env_free(char **env);

#endif
