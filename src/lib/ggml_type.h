/*
 * The ggml tensor types a GGUF file can store, with their block geometry, so
 * halo can size tensors and caches exactly as ggml_row_size() does.
 * Values are the on-disk enum of the pinned llama.cpp (ggml/include/ggml.h).
 */
#ifndef HALO_GGML_TYPE_H
#define HALO_GGML_TYPE_H

#include <stdbool.h>
#include <stdint.h>

typedef enum halo_ggml_type {
	HALO_GGML_F32 = 0, HALO_GGML_F16 = 1, HALO_GGML_Q4_0 = 2, HALO_GGML_Q4_1 = 3,
	HALO_GGML_Q5_0 = 6, HALO_GGML_Q5_1 = 7, HALO_GGML_Q8_0 = 8, HALO_GGML_Q8_1 = 9,
	HALO_GGML_Q2_K = 10, HALO_GGML_Q3_K = 11, HALO_GGML_Q4_K = 12, HALO_GGML_Q5_K = 13,
	HALO_GGML_Q6_K = 14, HALO_GGML_Q8_K = 15, HALO_GGML_IQ2_XXS = 16, HALO_GGML_IQ2_XS = 17,
	HALO_GGML_IQ3_XXS = 18, HALO_GGML_IQ1_S = 19, HALO_GGML_IQ4_NL = 20, HALO_GGML_IQ3_S = 21,
	HALO_GGML_IQ2_S = 22, HALO_GGML_IQ4_XS = 23, HALO_GGML_I8 = 24, HALO_GGML_I16 = 25,
	HALO_GGML_I32 = 26, HALO_GGML_I64 = 27, HALO_GGML_F64 = 28, HALO_GGML_IQ1_M = 29,
	HALO_GGML_BF16 = 30, HALO_GGML_TQ1_0 = 34, HALO_GGML_TQ2_0 = 35, HALO_GGML_MXFP4 = 39,
	HALO_GGML_NVFP4 = 40, HALO_GGML_Q1_0 = 41, HALO_GGML_Q2_0 = 42,
	HALO_GGML_TYPE_COUNT = 43
} halo_ggml_type;

typedef struct halo_ggml_type_info {
	const char *name;       /* "Q4_K"; NULL for ids that are not (or no longer) valid */
	uint32_t block_size;    /* elements per block */
	uint32_t type_size;     /* bytes per block */
} halo_ggml_type_info;

/* NULL when `type` is not a type a GGUF file may store. Static storage. */
const halo_ggml_type_info *halo_ggml_type_get(uint32_t type);

/* Case-insensitive lookup by name ("q8_0", "F16"); -1 when unknown. */
int halo_ggml_type_from_name(const char *name);

/*
 * Bytes of a row of `n` elements, as ggml_row_size(). Returns 0 on success;
 * HALO_EFORMAT when n is not a multiple of the block size, overflow or type invalid.
 */
int halo_ggml_row_size(uint32_t type, uint64_t n, uint64_t *out);

/* Bits per weight of the type (type_size*8/block_size). 0 for invalid types. */
double halo_ggml_type_bpw(uint32_t type);

#endif
