/*
 * Reading what llama.cpp says it allocated, from its log: the lines the
 * pinned release prints while loading a model and creating a context
 * ("llama_kv_cache: size = ...", "... model buffer size = ...", ...). Used
 * to prove halo's memory model against real runs (halo plan --verify).
 *
 * The log is untrusted text: lines are bounded, numbers parsed exactly (as
 * hundredths of a MiB, the printed precision), unknown lines ignored.
 */
#ifndef HALO_LLAMA_LOG_H
#define HALO_LLAMA_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sizes in hundredths of a MiB (centi-MiB), as llama.cpp prints them with %.2f. */
typedef struct halo_llama_measure {
	uint64_t kv;              /* sum of "llama_kv_cache: size =" (one line per cache; iswa prints two) */
	uint32_t n_kv_caches;
	uint64_t recurrent;       /* "llama_memory_recurrent: size =" */
	bool have_recurrent;
	uint64_t model_host;      /* "<buf> model buffer size =", CPU* buffers */
	uint64_t model_device;    /* the same, other (GPU) buffers */
	uint64_t compute_host;    /* "<buf> compute buffer size =" */
	uint64_t compute_device;
	uint64_t output;          /* "<buf> output buffer size =" */
	uint32_t n_ctx, n_ctx_seq, n_seq_max;
	bool have_context;        /* a context was created */
	bool model_loaded;        /* llama-server said "model loaded" */
	char error[256];          /* the first line llama.cpp logged as an error ("E " or "error:"), "" if none */
} halo_llama_measure;

/* Parses a whole log. Only the last model load counts (an earlier no-alloc
 * fitting pass prints the same lines). Never fails on odd input. */
void halo_llama_log_parse(const char *text, size_t len, halo_llama_measure *out);

/* Formats bytes as llama.cpp prints a buffer size, "%.2f" of (float)bytes / MiB,
 * and returns it as centi-MiB, so predictions compare at the printed precision. */
uint64_t halo_llama_centi_mib(uint64_t bytes);

#endif
