/*
 * Resumable, verified downloads of model files (halo pull).
 *
 * A file is written to "<dest>.part" (what `halo models` shows as partial),
 * resumed with a Range request from the size already there, checked (size,
 * SHA-256 when known, GGUF header) and only then renamed to <dest>. A server
 * that ignores Range is refused up front: a download it serves could never be
 * resumed, and a multi-GB transfer is exactly what gets interrupted.
 *
 * SHA-256 sources: the caller's (e.g. --sha256), else Hugging Face's
 * X-Linked-Etag header of the LFS object (64 hex digits) seen while
 * following redirects.
 *
 * Ownership: everything passed in is borrowed for the call.
 */
#ifndef HALO_PULL_H
#define HALO_PULL_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"

typedef struct halo_pull_progress {
	const char *name;      /* file being downloaded */
	uint64_t done, total;  /* bytes of this file present (resumed ones included); total 0 = unknown */
	uint64_t resumed_from; /* bytes that were already there */
	double elapsed_s;      /* this transfer */
} halo_pull_progress;

typedef struct halo_pull_opts {
	unsigned version;          /* HALO_PULL_OPTS_VERSION */
	halo_http_opts http;       /* timeouts, token (HF_TOKEN for huggingface.co by default) */
	const char *sha256;        /* expected hash (64 hex), or NULL */
	bool check_gguf;           /* parse the GGUF header of the result (default on) */
	void (*progress)(const halo_pull_progress *p, void *ud); /* at most ~4 times a second, and at the end */
	void *progress_ud;
	const volatile int *cancel; /* non-zero: stop (the .part file stays for a resume) */
} halo_pull_opts;
#define HALO_PULL_OPTS_VERSION 1
#define HALO_PULL_OPTS_INIT { HALO_PULL_OPTS_VERSION, { HALO_HTTP_OPTS_VERSION, 20, 0, NULL }, NULL, true, NULL, NULL, NULL }

typedef struct halo_pull_result {
	uint64_t bytes;          /* final size */
	uint64_t transferred;    /* bytes received this time */
	uint64_t resumed_from;   /* bytes that were already there */
	bool already_complete;   /* <dest> existed: nothing downloaded */
	bool sha256_checked;
	char sha256[65];         /* of the file, when computed */
	char sha256_source[32];  /* "option", "x-linked-etag" or "" */
} halo_pull_result;

/*
 * Downloads url to dest as described above. Returns 0, or: HALO_ENOTFOUND
 * (404/410), HALO_EUNSUPPORTED (server ignores Range), HALO_EFORMAT (hash
 * mismatch or not a GGUF file: the .part file is removed, a restart begins
 * from zero), HALO_ENET, HALO_EIO; 1 when cancelled (the .part file is kept).
 */
int halo_pull_file(const char *url, const char *dest, const halo_pull_opts *opts, halo_pull_result *res);

#endif
