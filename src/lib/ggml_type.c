#include "ggml_type.h"
#include "error.h"

#include <stddef.h>
#include <strings.h>

#define QK_K 256

/* Block geometry as in ggml's type traits (ggml/src/ggml.c) of the pinned release. */
static const halo_ggml_type_info types[HALO_GGML_TYPE_COUNT] = {
	[HALO_GGML_F32] = { "F32", 1, 4 },
	[HALO_GGML_F16] = { "F16", 1, 2 },
	[HALO_GGML_Q4_0] = { "Q4_0", 32, 2 + 16 },
	[HALO_GGML_Q4_1] = { "Q4_1", 32, 2 + 2 + 16 },
	[HALO_GGML_Q5_0] = { "Q5_0", 32, 2 + 4 + 16 },
	[HALO_GGML_Q5_1] = { "Q5_1", 32, 2 + 2 + 4 + 16 },
	[HALO_GGML_Q8_0] = { "Q8_0", 32, 2 + 32 },
	[HALO_GGML_Q8_1] = { "Q8_1", 32, 4 + 4 + 32 },
	[HALO_GGML_Q2_K] = { "Q2_K", QK_K, 2 + 2 + QK_K / 16 + QK_K / 4 },
	[HALO_GGML_Q3_K] = { "Q3_K", QK_K, 2 + QK_K / 4 + QK_K / 8 + 12 },
	[HALO_GGML_Q4_K] = { "Q4_K", QK_K, 2 + 2 + QK_K / 2 + 12 },
	[HALO_GGML_Q5_K] = { "Q5_K", QK_K, 2 + 2 + QK_K / 2 + QK_K / 8 + 12 },
	[HALO_GGML_Q6_K] = { "Q6_K", QK_K, 2 + QK_K / 2 + QK_K / 4 + QK_K / 16 },
	[HALO_GGML_Q8_K] = { "Q8_K", QK_K, 4 + QK_K + QK_K / 8 },
	[HALO_GGML_IQ2_XXS] = { "IQ2_XXS", QK_K, 2 + QK_K / 4 },
	[HALO_GGML_IQ2_XS] = { "IQ2_XS", QK_K, 2 + QK_K / 4 + QK_K / 32 },
	[HALO_GGML_IQ3_XXS] = { "IQ3_XXS", QK_K, 2 + QK_K / 4 + QK_K / 8 },
	[HALO_GGML_IQ1_S] = { "IQ1_S", QK_K, 2 + QK_K / 8 + QK_K / 16 },
	[HALO_GGML_IQ4_NL] = { "IQ4_NL", 32, 2 + 16 },
	[HALO_GGML_IQ3_S] = { "IQ3_S", QK_K, 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4 },
	[HALO_GGML_IQ2_S] = { "IQ2_S", QK_K, 2 + QK_K / 4 + QK_K / 16 },
	[HALO_GGML_IQ4_XS] = { "IQ4_XS", QK_K, 2 + 2 + QK_K / 2 + QK_K / 64 },
	[HALO_GGML_I8] = { "I8", 1, 1 },
	[HALO_GGML_I16] = { "I16", 1, 2 },
	[HALO_GGML_I32] = { "I32", 1, 4 },
	[HALO_GGML_I64] = { "I64", 1, 8 },
	[HALO_GGML_F64] = { "F64", 1, 8 },
	[HALO_GGML_IQ1_M] = { "IQ1_M", QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32 },
	[HALO_GGML_BF16] = { "BF16", 1, 2 },
	[HALO_GGML_TQ1_0] = { "TQ1_0", QK_K, 2 + 4 * 13 },
	[HALO_GGML_TQ2_0] = { "TQ2_0", QK_K, 2 + 64 },
	[HALO_GGML_MXFP4] = { "MXFP4", 32, 1 + 16 },
	[HALO_GGML_NVFP4] = { "NVFP4", 64, 4 + 32 },
	[HALO_GGML_Q1_0] = { "Q1_0", 128, 2 + 16 },
	[HALO_GGML_Q2_0] = { "Q2_0", 64, 2 + 16 },
};

const halo_ggml_type_info *halo_ggml_type_get(uint32_t type)
{
	if (type >= HALO_GGML_TYPE_COUNT || !types[type].name)
		return NULL;
	return &types[type];
}

int halo_ggml_type_from_name(const char *name)
{
	for (int i = 0; i < HALO_GGML_TYPE_COUNT; i++)
		if (types[i].name && !strcasecmp(types[i].name, name))
			return i;
	return -1;
}

int halo_ggml_row_size(uint32_t type, uint64_t n, uint64_t *out)
{
	const halo_ggml_type_info *t = halo_ggml_type_get(type);
	if (!t)
		return halo_error_set(HALO_EFORMAT, "invalid ggml type %u", type);
	if (n % t->block_size)
		return halo_error_set(HALO_EFORMAT, "%llu elements are not a whole number of %s blocks of %u",
				      (unsigned long long)n, t->name, t->block_size);
	if (__builtin_mul_overflow(n / t->block_size, (uint64_t)t->type_size, out))
		return halo_error_set(HALO_EFORMAT, "row of %llu %s elements overflows 64 bits",
				      (unsigned long long)n, t->name);
	return 0;
}

double halo_ggml_type_bpw(uint32_t type)
{
	const halo_ggml_type_info *t = halo_ggml_type_get(type);
	return t ? 8.0 * t->type_size / t->block_size : 0.0;
}
