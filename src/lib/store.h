/*
 * The models directory: where downloaded GGUF files live, and the download
 * status of each catalog quantization in it.
 *
 * Files are matched by file name anywhere below the directory (subfolders
 * too, as the Strix Halo toolboxes and Hugging Face's snapshots lay them
 * out), including every part of split models. A download in progress or
 * interrupted is NAME.part (what `halo pull` writes before the rename).
 */
#ifndef HALO_STORE_H
#define HALO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"

typedef enum halo_file_status {
	HALO_FILE_MISSING = 0,  /* no file or part of it */
	HALO_FILE_PARTIAL,      /* some bytes or parts are there */
	HALO_FILE_COMPLETE,     /* size matches the catalog (header not read) */
	HALO_FILE_VERIFIED,     /* header parses, data present, architecture matches the catalog */
	HALO_FILE_CORRUPT,      /* header does not parse or does not match */
} halo_file_status;

const char *halo_file_status_name(halo_file_status s);

typedef struct halo_quant_status {
	halo_file_status status;
	uint64_t have_bytes;     /* bytes on disk (final files and .part files) */
	uint64_t want_bytes;     /* expected: from the header when read, else the catalog */
	uint32_t parts_found;    /* final files present */
	uint32_t parts_total;
	char path[4096];         /* first part's path (final or .part), "" when missing */
	char detail[512];        /* why partial/corrupt, "" otherwise */
} halo_quant_status;

typedef struct halo_store halo_store;

typedef struct halo_store_opts {
	unsigned version;
	unsigned max_depth;      /* subfolder levels searched */
	size_t max_files;        /* files indexed before giving up with HALO_ENOMEM */
} halo_store_opts;

#define HALO_STORE_OPTS_VERSION 1
#define HALO_STORE_OPTS_INIT { HALO_STORE_OPTS_VERSION, 8, 200000 }

/*
 * Indexes the *.gguf and *.gguf.part files under `dir`. A directory that
 * does not exist is an empty store, not an error. The caller frees the
 * store with halo_store_free().
 */
int halo_store_open(halo_store **out, const char *dir, const halo_store_opts *opts);
void halo_store_free(halo_store *s);
const char *halo_store_dir(const halo_store *s);

/*
 * Status of one quantization. With `verify` the GGUF header is read (a few
 * MB at most) to tell verified from corrupt; without it only sizes are
 * compared (complete/partial). Fills `st`; returns 0 or an I/O error.
 */
int halo_store_quant_status(const halo_store *s, const halo_model *m, const halo_quant *q, bool verify,
			    halo_quant_status *st);

/*
 * The models directory: `option` when given, else $HALO_MODELS_DIR, else
 * `models_dir = PATH` in $XDG_CONFIG_HOME/halo/config (~/.config/halo/config),
 * else ~/models. A leading "~/" is expanded. Written into buf.
 */
int halo_models_dir(char *buf, size_t size, const char *option);

#endif
