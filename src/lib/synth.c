/*
 * Random-weight GGUF twins. The tensor sets below follow the pinned
 * llama.cpp's load_arch_tensors() for each architecture (src/models/<arch>.cpp)
 * and the tensor types its converter writes (conversion/base.py: 1-D tensors,
 * norms, MoE routers and the DeltaNet conv in F32); the extra metadata keys
 * are the ones its load_arch_hparams() requires that halo_hparams does not
 * carry. docs/synth.md explains the choices.
 */
#include "synth.h"

#include "catalog.h"

#include "error.h"
#include "ggml_type.h"
#include "gguf.h"
#include "gguf_write.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- architectures ---- */

typedef struct plan plan;

typedef struct arch_info {
	const char *arch;
	const char *model;      /* the real model --arch twins */
	const char *vocab;      /* llama.cpp models/ file with that family's tokenizer */
	float rms_eps;          /* attention.layer_norm_rms_epsilon: required by every loader here */
	float rope_base;        /* rope.freq_base of the real model (llama.cpp's default is 10000) */
	float rope_base_swa;    /* rope.freq_base_swa, 0 when not written */
	uint32_t rot_div;       /* rope.dimension_count = head_dim / rot_div (Qwen3.5 rotates a quarter) */
	bool imrope;            /* needs rope.dimension_sections (interleaved multimodal RoPE) */
	bool hybrid;            /* Gated DeltaNet layers every full_attention_interval */
	bool moe;
	bool swa;               /* may have sliding-window layers (period llama.cpp fixes) */
	uint32_t swa_period;    /* the period llama.cpp's loader assumes */
	uint32_t tied_max_embd; /* models up to this hidden size reuse token_embd as output */
	void (*defaults)(halo_hparams *hp); /* NULL: `model` from the built-in catalog */
	void (*tensors)(plan *p);
} arch_info;




/* Gemma-3-4B: 5 sliding-window layers (1024 tokens) then 1 global, repeated. */
static void defaults_gemma3(halo_hparams *hp)
{
	strcpy(hp->arch, "gemma3");
	hp->n_layer = 34;
	hp->n_embd = 2560;
	hp->n_vocab = 262144;
	hp->n_ctx_train = 131072;
	halo_hparams_set_heads(hp, 8, 4);
	hp->head_dim_k = hp->head_dim_v = 256;
	hp->n_ff = 10240;
	hp->n_swa = 1024;
	for (uint32_t i = 0; i < hp->n_layer; i++)
		hp->layer_kind[i] = i % 6 < 5 ? HALO_LAYER_SWA : HALO_LAYER_ATTENTION;
}

/* Llama-3.1-8B. */
static void defaults_llama(halo_hparams *hp)
{
	strcpy(hp->arch, "llama");
	hp->n_layer = 32;
	hp->n_embd = 4096;
	hp->n_vocab = 128256;
	hp->n_ctx_train = 131072;
	halo_hparams_set_heads(hp, 32, 8);
	hp->head_dim_k = hp->head_dim_v = 128;
	hp->n_ff = 14336;
}

static void tensors_qwen35(plan *p);
static void tensors_qwen3moe(plan *p);
static void tensors_gemma3(plan *p);
static void tensors_llama(plan *p);

static const arch_info archs[] = {
	{ "qwen35moe", "Qwen3.5-35B-A3B", "ggml-vocab-qwen35.gguf", 1e-6f, 1e7f, 0, 4, true, true, true, false, 0, 0,
	  NULL, tensors_qwen35 },
	/* Qwen3.5-0.8B, 2B and 4B (hidden 2560) tie their embeddings; 9B and 27B do not */
	{ "qwen35", "Qwen3.5-27B", "ggml-vocab-qwen35.gguf", 1e-6f, 1e7f, 0, 4, true, true, false, false, 0, 2560,
	  NULL, tensors_qwen35 },
	{ "qwen3moe", "Qwen3-Coder-30B-A3B-Instruct", "ggml-vocab-qwen2.gguf", 1e-6f, 1e7f, 0, 1, false, false, true,
	  false, 0, 0, NULL, tensors_qwen3moe },
	/* Gemma 3's own tokenizer is not among llama.cpp's vocab files; Gemma 4's
	 * has the same 262144 tokens, so the embedding is the real size. */
	{ "gemma3", "Gemma-3-4B", "ggml-vocab-gemma-4.gguf", 1e-6f, 1e6f, 1e4f, 1, false, false, false, true, 6, UINT32_MAX,
	  defaults_gemma3, tensors_gemma3 },
	{ "llama", "Llama-3.1-8B", "ggml-vocab-llama-bpe.gguf", 1e-5f, 5e5f, 0, 1, false, false, false, false, 0, 0,
	  defaults_llama, tensors_llama },
};

#define N_ARCHS (sizeof(archs) / sizeof(archs[0]))

static const arch_info *find_arch(const char *arch)
{
	for (size_t i = 0; i < N_ARCHS; i++)
		if (arch && !strcmp(archs[i].arch, arch))
			return &archs[i];
	return NULL;
}

const char *const *halo_synth_archs(void)
{
	static const char *const names[] = { "qwen35moe", "qwen35", "qwen3moe", "gemma3", "llama", NULL };
	return names;
}

bool halo_synth_arch_supported(const char *arch)
{
	return find_arch(arch) != NULL;
}

static int unsupported_arch(const char *arch)
{
	return halo_error_set(HALO_EUNSUPPORTED,
			      "architecture '%s' cannot be synthesized (supported: qwen35moe, qwen35, qwen3moe, gemma3, llama)",
			      arch ? arch : "");
}

int halo_synth_arch_defaults(const char *arch, halo_hparams *hp, const char **model)
{
	const arch_info *ai = find_arch(arch);
	if (!ai)
		return unsupported_arch(arch);
	memset(hp, 0, sizeof(*hp));
	if (ai->defaults) {
		ai->defaults(hp);
	} else {
		/* catalog models: one source of truth (configs/models.conf, built in) */
		halo_catalog cat = HALO_CATALOG_INIT;
		int rc = halo_catalog_load_builtin(&cat);
		const halo_model *m = rc ? NULL : halo_catalog_find(&cat, ai->model);
		if (m)
			*hp = m->hp;
		halo_catalog_free(&cat);
		if (!m)
			return rc ? rc : halo_error_set(HALO_ENOTFOUND, "the built-in catalog lacks '%s'", ai->model);
	}
	if (model)
		*model = ai->model;
	return 0;
}

bool halo_synth_tied_default(const halo_hparams *hp)
{
	const arch_info *ai = find_arch(hp->arch);
	return ai && hp->n_embd <= ai->tied_max_embd;
}

const char *halo_synth_default_vocab(const char *arch)
{
	const arch_info *ai = find_arch(arch);
	return ai ? ai->vocab : NULL;
}

/* ---- layer patterns ---- */


int halo_synth_scale_hparams(halo_hparams *io, const halo_synth_scale *s)
{
	halo_hparams hp = *io;
	uint32_t n_rec, n_swa;
	halo_hparams_layer_counts(&hp, NULL, &n_rec, &n_swa);

	if (s->n_layer) {
		uint32_t interval = 0, period = 0;
		if (s->n_layer > HALO_MAX_LAYERS)
			return halo_error_set(HALO_EUSAGE, "%u layers exceed halo's limit of %d", s->n_layer, HALO_MAX_LAYERS);
		if (n_rec) {
			interval = halo_hparams_attention_interval(&hp);
			if (!interval)
				return halo_error_set(HALO_EUNSUPPORTED,
						      "the layer map of '%s' is not one attention layer every n layers, so it "
						      "cannot be scaled", hp.arch);
			if (s->n_layer < interval)
				return halo_error_set(HALO_EUSAGE,
						      "%u layers hold no attention layer ('%s' has one every %u): use at "
						      "least %u", s->n_layer, hp.arch, interval, interval);
		}
		if (n_swa && n_swa < hp.n_layer && !(period = halo_hparams_swa_period(&hp)))
			return halo_error_set(HALO_EUNSUPPORTED,
					      "the sliding-window layers of '%s' do not repeat with a fixed period, so "
					      "they cannot be scaled", hp.arch);
		uint32_t a = halo_hparams_first_attention_layer(&hp);
		uint32_t h = hp.n_head[a], hkv = hp.n_head_kv[a];
		hp.n_layer = s->n_layer;
		halo_hparams_set_heads(&hp, h, hkv);
		for (uint32_t i = 0; i < HALO_MAX_LAYERS; i++)
			hp.layer_kind[i] = HALO_LAYER_ATTENTION;
		if (n_rec)
			halo_hparams_set_full_attention_interval(&hp, interval);
		for (uint32_t i = 0; n_swa && i < hp.n_layer; i++)
			if (hp.layer_kind[i] == HALO_LAYER_ATTENTION && (period == 0 || i % period < period - 1))
				hp.layer_kind[i] = HALO_LAYER_SWA;
	}

	if (s->n_head || s->n_head_kv) {
		uint32_t a = halo_hparams_first_attention_layer(&hp);
		uint32_t h = s->n_head ? s->n_head : hp.n_head[a];
		uint32_t hkv = s->n_head_kv ? s->n_head_kv : hp.n_head_kv[a];
		if (!s->n_head_kv && hkv > h)
			hkv = h; /* fewer query heads than the model's kv heads: plain multi-head */
		if (hkv == 0 || h % hkv != 0)
			return halo_error_set(HALO_EUSAGE, "query heads (%u) must be a multiple of kv heads (%u)", h, hkv);
		halo_hparams_set_heads(&hp, h, hkv);
	}
	if (s->head_dim)
		hp.head_dim_k = hp.head_dim_v = s->head_dim;
	if (s->n_embd)
		hp.n_embd = s->n_embd;
	if (s->n_ff)
		hp.n_ff = s->n_ff;

	if ((s->n_expert || s->n_expert_used || s->n_ff_exp) && !hp.n_expert)
		return halo_error_set(HALO_EUSAGE, "'%s' has no experts to scale", hp.arch);
	if (s->n_expert) {
		hp.n_expert = s->n_expert;
		if (!s->n_expert_used && hp.n_expert_used > hp.n_expert)
			hp.n_expert_used = hp.n_expert;
	}
	if (s->n_expert_used)
		hp.n_expert_used = s->n_expert_used;
	if (hp.n_expert && hp.n_expert_used > hp.n_expert)
		return halo_error_set(HALO_EUSAGE, "experts used (%u) exceed the experts (%u)", hp.n_expert_used,
				      hp.n_expert);
	if (s->n_ff_exp) {
		hp.n_ff_exp = s->n_ff_exp;
		if (hp.n_ff_shexp)
			hp.n_ff_shexp = s->n_ff_exp;
	}

	if (s->ssm_k_heads || s->ssm_v_heads || s->ssm_head_dim) {
		if (!hp.ssm_d_inner)
			return halo_error_set(HALO_EUSAGE, "'%s' has no linear-attention (recurrent) layers to scale",
					      hp.arch);
		if (hp.ssm_d_inner != (uint64_t)hp.ssm_d_state * hp.ssm_dt_rank)
			return halo_error_set(HALO_EUNSUPPORTED,
					      "'%s': linear-attention value heads are not the key head size, so they "
					      "cannot be scaled", hp.arch);
		if (s->ssm_k_heads)
			hp.ssm_n_group = s->ssm_k_heads;
		if (s->ssm_v_heads)
			hp.ssm_dt_rank = s->ssm_v_heads;
		if (s->ssm_head_dim)
			hp.ssm_d_state = s->ssm_head_dim;
		if (hp.ssm_n_group == 0 || hp.ssm_dt_rank % hp.ssm_n_group != 0)
			return halo_error_set(HALO_EUSAGE,
					      "linear-attention value heads (%u) must be a multiple of key heads (%u)",
					      hp.ssm_dt_rank, hp.ssm_n_group);
		if ((uint64_t)hp.ssm_d_state * hp.ssm_dt_rank > UINT32_MAX)
			return halo_error_set(HALO_EUSAGE, "linear-attention size %u x %u overflows", hp.ssm_d_state,
					      hp.ssm_dt_rank);
		hp.ssm_d_inner = hp.ssm_d_state * hp.ssm_dt_rank;
	}
	if (s->n_ctx)
		hp.n_ctx_train = s->n_ctx;
	*io = hp;
	return 0;
}

/* ---- checks: what llama.cpp's loader for the architecture accepts ---- */

static int check_hparams(const arch_info *ai, const halo_hparams *hp)
{
	const char *a = hp->arch;
	if (hp->n_layer == 0 || hp->n_layer > HALO_MAX_LAYERS)
		return halo_error_set(HALO_EUSAGE, "'%s': %u layers (1 to %d)", a, hp->n_layer, HALO_MAX_LAYERS);
	if (hp->n_layer_nextn)
		return halo_error_set(HALO_EUNSUPPORTED, "'%s': mtp (nextn) layers are not synthesized", a);
	if (hp->n_embd == 0)
		return halo_error_set(HALO_EUSAGE, "'%s': hidden size is 0", a);
	if (hp->n_ctx_train == 0 || hp->n_ctx_train > UINT32_MAX)
		return halo_error_set(HALO_EUSAGE, "'%s': context length %" PRIu64 " (1 to %u)", a, hp->n_ctx_train,
				      UINT32_MAX);
	/* Every loader here sizes attention tensors from layer 0's head counts. */
	for (uint32_t i = 1; i < hp->n_layer; i++)
		if (hp->n_head[i] != hp->n_head[0] || hp->n_head_kv[i] != hp->n_head_kv[0])
			return halo_error_set(HALO_EUNSUPPORTED, "'%s': head counts differ between layers 0 and %u", a, i);
	if (hp->n_head[0] == 0 || hp->n_head_kv[0] == 0 || hp->n_head[0] % hp->n_head_kv[0] != 0)
		return halo_error_set(HALO_EUSAGE, "'%s': %u query heads are not a multiple of %u kv heads", a,
				      hp->n_head[0], hp->n_head_kv[0]);
	if (hp->head_dim_k != hp->head_dim_v)
		return halo_error_set(HALO_EUNSUPPORTED, "'%s': key head size %u differs from value head size %u", a,
				      hp->head_dim_k, hp->head_dim_v);
	/* RoPE rotates pairs; Qwen3.5 rotates a quarter of each head in three
	 * interleaved sections, which needs n_rot / 2 to split 3 ways sensibly. */
	uint32_t mult = ai->imrope ? 16 : 2;
	if (hp->head_dim_k == 0 || hp->head_dim_k % mult != 0)
		return halo_error_set(HALO_EUSAGE, "'%s': head size %u must be a positive multiple of %u", a,
				      hp->head_dim_k, mult);
	if ((uint64_t)hp->head_dim_k * hp->n_head[0] * 2 > UINT32_MAX)
		return halo_error_set(HALO_EUSAGE, "'%s': attention size overflows", a);

	if (ai->moe) {
		if (hp->n_expert == 0 || hp->n_expert_used == 0 || hp->n_expert_used > hp->n_expert)
			return halo_error_set(HALO_EUSAGE, "'%s': needs experts (%u) and 1 to %u experts used (%u)", a,
					      hp->n_expert, hp->n_expert, hp->n_expert_used);
		if (hp->n_expert > 1024) /* LLAMA_MAX_EXPERTS */
			return halo_error_set(HALO_EUSAGE, "'%s': %u experts exceed llama.cpp's 1024", a, hp->n_expert);
		if (hp->n_ff_exp == 0)
			return halo_error_set(HALO_EUSAGE, "'%s': expert feed-forward size is 0", a);
		if (ai->hybrid && hp->n_ff_shexp == 0 && hp->n_ff == 0)
			return halo_error_set(HALO_EUSAGE, "'%s': shared-expert feed-forward size is 0", a);
	} else {
		if (hp->n_expert)
			return halo_error_set(HALO_EUNSUPPORTED, "'%s' twins have no experts (%u given)", a, hp->n_expert);
		if (hp->n_ff == 0)
			return halo_error_set(HALO_EUSAGE, "'%s': feed-forward size is 0", a);
	}

	uint32_t n_rec, n_swa;
	halo_hparams_layer_counts(hp, NULL, &n_rec, &n_swa);
	if (ai->hybrid) {
		if (!hp->ssm_d_conv || !hp->ssm_d_state || !hp->ssm_n_group || !hp->ssm_dt_rank)
			return halo_error_set(HALO_EUSAGE, "'%s': linear-attention (ssm.*) sizes must not be 0", a);
		if (hp->ssm_dt_rank % hp->ssm_n_group != 0)
			return halo_error_set(HALO_EUSAGE,
					      "'%s': linear-attention value heads (%u) are not a multiple of key heads (%u)",
					      a, hp->ssm_dt_rank, hp->ssm_n_group);
		/* llama.cpp sizes the value heads with ssm.state_size and slices them with inner_size / heads */
		if (hp->ssm_d_inner != (uint64_t)hp->ssm_d_state * hp->ssm_dt_rank)
			return halo_error_set(HALO_EUNSUPPORTED, "'%s': ssm inner size %u is not state size %u x %u heads",
					      a, hp->ssm_d_inner, hp->ssm_d_state, hp->ssm_dt_rank);
		/* Written as full_attention_interval: a bool recurrent_layers array
		 * would be rejected by llama.cpp's array reader. */
		if (halo_hparams_attention_interval(hp) == 0 || n_rec == hp->n_layer)
			return halo_error_set(HALO_EUNSUPPORTED,
					      "'%s': the layer map must be one attention layer every n layers", a);
	} else if (n_rec) {
		return halo_error_set(HALO_EUNSUPPORTED, "'%s' has no recurrent layers (%u given)", a, n_rec);
	}
	if (n_swa || hp->n_swa) {
		if (!ai->swa)
			return halo_error_set(HALO_EUNSUPPORTED, "'%s' twins have no sliding-window layers", a);
		if (!hp->n_swa || !n_swa)
			return halo_error_set(HALO_EUSAGE, "'%s': sliding window of %u tokens on %u layers", a, hp->n_swa,
					      n_swa);
		/* llama.cpp's gemma3 loader reads the period as a number and ignores
		 * a per-layer array, so the map must be the one its period gives. */
		for (uint32_t i = 0; i < hp->n_layer; i++)
			if ((hp->layer_kind[i] == HALO_LAYER_SWA) != (i % ai->swa_period < ai->swa_period - 1))
				return halo_error_set(HALO_EUNSUPPORTED,
						      "'%s': layer %u breaks the sliding-window period of %u that "
						      "llama.cpp assumes", a, i, ai->swa_period);
	}
	return 0;
}

/* ---- tensor plan ---- */

enum init {
	INIT_NORMAL,  /* pseudo-random, about N(0, SIGMA) */
	INIT_CONST,   /* every element `value` (F32 only) */
};

/* Weight scale: small enough that activations stay finite through every
 * layer (RMS norms re-scale them), large enough that outputs are not zero. */
#define SIGMA 0.02f

typedef struct tspec {
	uint32_t type;
	uint8_t init;
	float value;
	uint64_t key;   /* PRNG stream of this tensor: seed and name */
} tspec;

struct plan {
	const halo_hparams *hp;
	const arch_info *ai;
	halo_gguf_writer *w;
	uint32_t type;   /* of weight matrices */
	bool tied;
	uint64_t seed;
	tspec *t;
	uint64_t n, cap;
	uint64_t n_params, data_size;
	int err;
};

static uint64_t mix64(uint64_t z)
{
	/* splitmix64's finalizer: a bijection that spreads every input bit */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Random 64 bits number `c` of stream `key`: counter-based, so any part of
 * a tensor can be produced without producing what comes before it. */
static inline uint64_t rnd(uint64_t key, uint64_t c)
{
	return mix64(key + (c + 1) * 0x9e3779b97f4a7c15ull);
}

static uint64_t name_key(uint64_t seed, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		h = (h ^ *c) * 0x100000001b3ull;
	return mix64(mix64(seed) ^ h);
}

static void add(plan *p, const char *name, uint32_t n_dims, uint64_t ne0, uint64_t ne1, uint64_t ne2, uint32_t type,
		enum init init, float value)
{
	if (p->err)
		return;
	uint64_t ne[3] = { ne0, ne1, ne2 };
	const halo_ggml_type_info *ti = halo_ggml_type_get(type);
	/* llama-quantize's fallback: rows that are not whole blocks stay F16 */
	if (ti && ne0 % ti->block_size != 0)
		type = HALO_GGML_F16;
	for (uint32_t d = 0; d < n_dims; d++)
		if (ne[d] == 0) {
			p->err = halo_error_set(HALO_EUSAGE, "'%s': tensor '%s' would have a zero dimension", p->hp->arch,
						name);
			return;
		}
	if (p->n == p->cap) {
		uint64_t cap = p->cap ? p->cap * 2 : 256;
		tspec *t = realloc(p->t, cap * sizeof(*t));
		if (!t) {
			p->err = halo_error_set(HALO_ENOMEM, "out of memory planning %" PRIu64 " tensors", cap);
			return;
		}
		p->t = t;
		p->cap = cap;
	}
	uint64_t index, offset, size;
	int rc = halo_gguf_writer_add_tensor(p->w, name, n_dims, ne, type, &index);
	if (!rc)
		rc = halo_gguf_writer_tensor(p->w, index, &offset, &size);
	if (rc) {
		p->err = halo_error_prefix("'%s' twin", p->hp->arch);
		return;
	}
	tspec *t = &p->t[p->n++];
	t->type = type;
	t->init = (uint8_t)init;
	t->value = value;
	t->key = name_key(p->seed, name);
	p->n_params += ne0 * (n_dims > 1 ? ne1 : 1) * (n_dims > 2 ? ne2 : 1);
	p->data_size += size;
}

static const char *bname(char *buf, size_t n, uint32_t il, const char *suffix)
{
	snprintf(buf, n, "blk.%u.%s", il, suffix);
	return buf;
}

/* A weight matrix in the chosen type. */
static void mat(plan *p, uint32_t il, const char *suffix, uint64_t ne0, uint64_t ne1)
{
	char n[80];
	add(p, bname(n, sizeof(n), il, suffix), 2, ne0, ne1, 1, p->type, INIT_NORMAL, 0);
}

/* A stack of expert matrices in the chosen type. */
static void mat3(plan *p, uint32_t il, const char *suffix, uint64_t ne0, uint64_t ne1, uint64_t ne2)
{
	char n[80];
	add(p, bname(n, sizeof(n), il, suffix), 3, ne0, ne1, ne2, p->type, INIT_NORMAL, 0);
}

/* A norm weight: F32 ones, so norms normalize and nothing else. */
static void norm(plan *p, uint32_t il, const char *suffix, uint64_t ne0)
{
	char n[80];
	add(p, bname(n, sizeof(n), il, suffix), 1, ne0, 1, 1, HALO_GGML_F32, INIT_CONST, 1.0f);
}

/* An F32 tensor with random values (router, conv, biases). */
static void f32(plan *p, uint32_t il, const char *suffix, uint32_t n_dims, uint64_t ne0, uint64_t ne1)
{
	char n[80];
	add(p, bname(n, sizeof(n), il, suffix), n_dims, ne0, ne1, 1, HALO_GGML_F32, INIT_NORMAL, 0);
}

static void embeddings(plan *p)
{
	add(p, "token_embd.weight", 2, p->hp->n_embd, p->hp->n_vocab, 1, p->type, INIT_NORMAL, 0);
}

static void output(plan *p)
{
	add(p, "output_norm.weight", 1, p->hp->n_embd, 1, 1, HALO_GGML_F32, INIT_CONST, 1.0f);
	if (!p->tied)
		add(p, "output.weight", 2, p->hp->n_embd, p->hp->n_vocab, 1, p->type, INIT_NORMAL, 0);
}

/* Separate q, k, v and output projections (create_tensor_qkv without a fused qkv). */
static void attention(plan *p, uint32_t il, uint64_t q_mult)
{
	const halo_hparams *hp = p->hp;
	uint64_t e = hp->n_embd, hd = hp->head_dim_k, h = hp->n_head[0], hkv = hp->n_head_kv[0];
	mat(p, il, "attn_q.weight", e, hd * h * q_mult);
	mat(p, il, "attn_k.weight", e, hd * hkv);
	mat(p, il, "attn_v.weight", e, hp->head_dim_v * hkv);
	mat(p, il, "attn_output.weight", hd * h, e);
}

/* llama.cpp: src/models/qwen35.cpp and qwen35moe.cpp, load_arch_tensors. */
static void tensors_qwen35(plan *p)
{
	const halo_hparams *hp = p->hp;
	uint64_t e = hp->n_embd;
	uint64_t key_dim = (uint64_t)hp->ssm_d_state * hp->ssm_n_group;
	uint64_t value_dim = (uint64_t)hp->ssm_d_state * hp->ssm_dt_rank;
	uint64_t n_ff_shexp = hp->n_ff_shexp ? hp->n_ff_shexp : hp->n_ff;

	embeddings(p);
	for (uint32_t il = 0; il < hp->n_layer; il++) {
		norm(p, il, "attn_norm.weight", e);
		norm(p, il, "post_attention_norm.weight", e);
		if (hp->layer_kind[il] != HALO_LAYER_RECURRENT) {
			/* gated attention: the query projection also yields the output gate */
			attention(p, il, 2);
			norm(p, il, "attn_q_norm.weight", hp->head_dim_k);
			norm(p, il, "attn_k_norm.weight", hp->head_dim_k);
		} else {
			/* Gated DeltaNet. The loader marks attn_qkv/attn_gate optional but
			 * the graph multiplies by them, so a twin must have them. */
			mat(p, il, "attn_qkv.weight", e, key_dim * 2 + value_dim);
			mat(p, il, "attn_gate.weight", e, value_dim);
			/* ggml_ssm_conv works on F32 kernels */
			f32(p, il, "ssm_conv1d.weight", 2, hp->ssm_d_conv, key_dim * 2 + value_dim);
			f32(p, il, "ssm_dt.bias", 1, hp->ssm_dt_rank, 1);
			/* ssm_a is -exp(A_log): negative, so the state decays */
			{
				char n[80];
				add(p, bname(n, sizeof(n), il, "ssm_a"), 1, hp->ssm_dt_rank, 1, 1, HALO_GGML_F32, INIT_CONST,
				    -1.0f);
			}
			mat(p, il, "ssm_beta.weight", e, hp->ssm_dt_rank);
			mat(p, il, "ssm_alpha.weight", e, hp->ssm_dt_rank);
			norm(p, il, "ssm_norm.weight", hp->ssm_d_state);
			mat(p, il, "ssm_out.weight", value_dim, e);
		}
		if (p->ai->moe) {
			f32(p, il, "ffn_gate_inp.weight", 2, e, hp->n_expert);
			mat3(p, il, "ffn_down_exps.weight", hp->n_ff_exp, e, hp->n_expert);
			mat3(p, il, "ffn_gate_exps.weight", e, hp->n_ff_exp, hp->n_expert);
			mat3(p, il, "ffn_up_exps.weight", e, hp->n_ff_exp, hp->n_expert);
			f32(p, il, "ffn_gate_inp_shexp.weight", 1, e, 1);
			mat(p, il, "ffn_gate_shexp.weight", e, n_ff_shexp);
			mat(p, il, "ffn_up_shexp.weight", e, n_ff_shexp);
			mat(p, il, "ffn_down_shexp.weight", n_ff_shexp, e);
		} else {
			mat(p, il, "ffn_gate.weight", e, hp->n_ff);
			mat(p, il, "ffn_down.weight", hp->n_ff, e);
			mat(p, il, "ffn_up.weight", e, hp->n_ff);
		}
	}
	output(p);
}

/* llama.cpp: src/models/qwen3moe.cpp. */
static void tensors_qwen3moe(plan *p)
{
	const halo_hparams *hp = p->hp;
	uint64_t e = hp->n_embd;
	embeddings(p);
	for (uint32_t il = 0; il < hp->n_layer; il++) {
		norm(p, il, "attn_norm.weight", e);
		attention(p, il, 1);
		norm(p, il, "attn_k_norm.weight", hp->head_dim_k);
		norm(p, il, "attn_q_norm.weight", hp->head_dim_k);
		norm(p, il, "ffn_norm.weight", e);
		f32(p, il, "ffn_gate_inp.weight", 2, e, hp->n_expert);
		mat3(p, il, "ffn_gate_exps.weight", e, hp->n_ff_exp, hp->n_expert);
		mat3(p, il, "ffn_down_exps.weight", hp->n_ff_exp, e, hp->n_expert);
		mat3(p, il, "ffn_up_exps.weight", e, hp->n_ff_exp, hp->n_expert);
	}
	output(p);
}

/* llama.cpp: src/models/gemma3.cpp. */
static void tensors_gemma3(plan *p)
{
	const halo_hparams *hp = p->hp;
	uint64_t e = hp->n_embd;
	embeddings(p);
	for (uint32_t il = 0; il < hp->n_layer; il++) {
		norm(p, il, "attn_norm.weight", e);
		attention(p, il, 1);
		norm(p, il, "post_attention_norm.weight", e);
		norm(p, il, "attn_k_norm.weight", hp->head_dim_k);
		norm(p, il, "attn_q_norm.weight", hp->head_dim_k);
		norm(p, il, "ffn_norm.weight", e);
		mat(p, il, "ffn_gate.weight", e, hp->n_ff);
		mat(p, il, "ffn_up.weight", e, hp->n_ff);
		mat(p, il, "ffn_down.weight", hp->n_ff, e);
		norm(p, il, "post_ffw_norm.weight", e);
	}
	output(p);
}

/* llama.cpp: src/models/llama.cpp (dense: no experts). */
static void tensors_llama(plan *p)
{
	const halo_hparams *hp = p->hp;
	uint64_t e = hp->n_embd;
	embeddings(p);
	for (uint32_t il = 0; il < hp->n_layer; il++) {
		norm(p, il, "attn_norm.weight", e);
		attention(p, il, 1);
		norm(p, il, "ffn_norm.weight", e);
		mat(p, il, "ffn_gate.weight", e, hp->n_ff);
		mat(p, il, "ffn_down.weight", hp->n_ff, e);
		mat(p, il, "ffn_up.weight", e, hp->n_ff);
	}
	output(p);
}

/* ---- metadata ---- */

/* llama_ftype of a file whose matrices are all `type` (general.file_type). */
static uint32_t file_type(uint32_t type)
{
	switch (type) {
	case HALO_GGML_F32: return 0;
	case HALO_GGML_F16: return 1;
	case HALO_GGML_Q4_0: return 2;
	case HALO_GGML_Q8_0: return 7;
	default: return 32; /* BF16 */
	}
}

static bool is_quantized(uint32_t type)
{
	return type == HALO_GGML_Q8_0 || type == HALO_GGML_Q4_0;
}

/* The keys llama.cpp's loader reads for the architecture that halo_hparams
 * does not describe. */
static int arch_keys(const arch_info *ai, const halo_hparams *hp, halo_gguf_writer *w)
{
	char k[128];
	int rc;
#define KEY(suffix) (snprintf(k, sizeof(k), "%s.%s", hp->arch, suffix), k)
	uint32_t n_rot = hp->head_dim_k / ai->rot_div;
	if ((rc = halo_gguf_writer_add_f32(w, KEY("attention.layer_norm_rms_epsilon"), ai->rms_eps)) ||
	    (rc = halo_gguf_writer_add_f32(w, KEY("rope.freq_base"), ai->rope_base)) ||
	    (rc = halo_gguf_writer_add_u32(w, KEY("rope.dimension_count"), n_rot)))
		return rc;
	if (ai->rope_base_swa > 0 && hp->n_swa &&
	    (rc = halo_gguf_writer_add_f32(w, KEY("rope.freq_base_swa"), ai->rope_base_swa)))
		return rc;
	if (ai->imrope) {
		/* Qwen3.5's [11, 11, 10, 0] for 32 rotated pairs, scaled to n_rot / 2 */
		int32_t half = (int32_t)(n_rot / 2), s0 = (half + 2) / 3;
		int32_t sections[4] = { s0, s0, half - 2 * s0, 0 };
		if ((rc = halo_gguf_writer_add_array(w, KEY("rope.dimension_sections"), HALO_GGUF_INT32, sections, 4)))
			return rc;
	}
#undef KEY
	return 0;
}

static bool is_tokenizer_key(const char *key)
{
	return !strncmp(key, "tokenizer.", 10);
}

/* Opens the vocabulary file with its tokenizer arrays decoded whole;
 * *n_vocab = its token count. */
static int open_vocab(const char *path, halo_gguf **out, uint32_t *n_vocab)
{
	halo_gguf_open_opts o = HALO_GGUF_OPEN_OPTS_INIT;
	o.decode_array_max = o.max_array; /* scores and token types are copied, not skipped */
	int rc = halo_gguf_open(out, path, &o);
	if (rc)
		return rc;
	const halo_gguf_value *tok = halo_gguf_get(*out, "tokenizer.ggml.tokens");
	if (!tok || tok->type != HALO_GGUF_ARRAY || tok->arr.type != HALO_GGUF_STRING || tok->arr.n == 0 ||
	    tok->arr.n > INT32_MAX) {
		halo_gguf_free(*out);
		*out = NULL;
		return halo_error_set(HALO_EFORMAT, "'%s': no tokenizer (tokenizer.ggml.tokens) to copy", path);
	}
	*n_vocab = (uint32_t)tok->arr.n;
	return 0;
}

/* llama.cpp's token types (llama_token_type): padding tokens are UNUSED. */
#define TOKEN_TYPE_UNUSED 5

/*
 * Token list, scores and types grown to n tokens, as converters pad a
 * vocabulary to a model's embedding size: "[PAD<id>]" tokens of type unused
 * (score -1000 where there are scores). Other tokenizer keys are copied as is.
 */
static int add_padded(halo_gguf_writer *w, const halo_gguf *g, const halo_gguf_kv *kv, uint32_t n)
{
	const halo_gguf_value *v = &kv->value;
	uint64_t have = v->arr.n;
	int rc = 0;
	if (v->arr.type == HALO_GGUF_STRING) {
		halo_gguf_str *strs = calloc(n, sizeof(*strs));
		char *names = calloc(n - have, 24);
		if (!strs || !names) {
			free(strs);
			free(names);
			return halo_error_set(HALO_ENOMEM, "out of memory padding '%s' to %u tokens", kv->key, n);
		}
		memcpy(strs, v->arr.strs, have * sizeof(*strs));
		for (uint64_t i = have; i < n; i++) {
			char *p = names + (i - have) * 24;
			strs[i].len = (uint64_t)snprintf(p, 24, "[PAD%" PRIu64 "]", i);
			strs[i].ptr = p;
		}
		halo_gguf_value nv = *v;
		nv.arr.n = n;
		nv.arr.strs = strs;
		rc = halo_gguf_writer_add_value(w, kv->key, &nv);
		free(strs);
		free(names);
		return rc;
	}
	if ((v->arr.type != HALO_GGUF_INT32 && v->arr.type != HALO_GGUF_FLOAT32) || !v->arr.values)
		return halo_error_set(HALO_EFORMAT, "'%s': cannot pad '%s' (an array of %s)", g->source, kv->key,
				      halo_gguf_type_name(v->arr.type));
	bool ints = v->arr.type == HALO_GGUF_INT32;
	void *data = malloc((size_t)n * 4);
	if (!data)
		return halo_error_set(HALO_ENOMEM, "out of memory padding '%s' to %u tokens", kv->key, n);
	for (uint64_t i = 0; i < n; i++) {
		if (ints)
			((int32_t *)data)[i] = i < have ? (int32_t)v->arr.values[i].i64 : TOKEN_TYPE_UNUSED;
		else
			((float *)data)[i] = i < have ? (float)v->arr.values[i].f64 : -1000.0f;
	}
	rc = halo_gguf_writer_add_array(w, kv->key, v->arr.type, data, n);
	free(data);
	return rc;
}

/* Copies every tokenizer.* key, in the file's order, padding the per-token
 * arrays to n_vocab tokens where that is more than the file has. */
static int copy_tokenizer(const halo_gguf *g, halo_gguf_writer *w, uint32_t n_vocab)
{
	const halo_gguf_value *tok = halo_gguf_get(g, "tokenizer.ggml.tokens");
	int rc = 0;
	for (uint64_t i = 0; i < g->n_kv && !rc; i++) {
		const halo_gguf_kv *kv = &g->kv[i];
		if (!is_tokenizer_key(kv->key))
			continue;
		bool per_token = kv->value.type == HALO_GGUF_ARRAY && kv->value.arr.n == tok->arr.n &&
				 (!strcmp(kv->key, "tokenizer.ggml.tokens") || !strcmp(kv->key, "tokenizer.ggml.scores") ||
				  !strcmp(kv->key, "tokenizer.ggml.token_type"));
		if (per_token && n_vocab > tok->arr.n)
			rc = add_padded(w, g, kv, n_vocab);
		else
			rc = halo_gguf_writer_add_value(w, kv->key, &kv->value);
		if (rc)
			halo_error_prefix("'%s': copying '%s'", g->source, kv->key);
	}
	return rc;
}

/* ---- building ---- */

typedef struct synth {
	plan p;
	halo_hparams hp;
	const arch_info *ai;
} synth;

static void synth_free(synth *s)
{
	halo_gguf_writer_free(s->p.w);
	free(s->p.t);
}

static int build(synth *s, const halo_hparams *hp_in, const halo_synth_opts *o)
{
	int rc;
	memset(s, 0, sizeof(*s));
	if (!o || o->version != HALO_SYNTH_OPTS_VERSION)
		return halo_error_set(HALO_EUSAGE, "synth options version %u, expected %u", o ? o->version : 0,
				      HALO_SYNTH_OPTS_VERSION);
	if (o->type != HALO_GGML_F16 && o->type != HALO_GGML_BF16 && o->type != HALO_GGML_F32 &&
	    o->type != HALO_GGML_Q8_0 && o->type != HALO_GGML_Q4_0) {
		const halo_ggml_type_info *ti = halo_ggml_type_get(o->type);
		return halo_error_set(HALO_EUNSUPPORTED,
				      "weight type '%s' cannot be synthesized (f16, bf16, f32, q8_0, q4_0)", ti ? ti->name : "?");
	}
	if (o->output < HALO_SYNTH_OUTPUT_AUTO || o->output > HALO_SYNTH_OUTPUT_TIED)
		return halo_error_set(HALO_EUSAGE, "invalid output choice %d", o->output);
	if (!o->vocab_path || !*o->vocab_path)
		return halo_error_set(HALO_EUSAGE, "a vocabulary file is needed for the tokenizer");
	if (!(s->ai = find_arch(hp_in->arch)))
		return unsupported_arch(hp_in->arch);

	s->hp = *hp_in;
	halo_gguf *vocab = NULL;
	uint32_t n_vocab = 0;
	if ((rc = open_vocab(o->vocab_path, &vocab, &n_vocab)))
		return rc;
	/* padded to the model's embedding size when asked and larger */
	if (o->pad_vocab && hp_in->n_vocab > n_vocab)
		n_vocab = hp_in->n_vocab;
	s->hp.n_vocab = n_vocab;
	if ((rc = check_hparams(s->ai, &s->hp)) || (rc = halo_gguf_writer_new(&s->p.w, 3))) {
		halo_gguf_free(vocab);
		return rc;
	}
	halo_gguf_writer *w = s->p.w;
	char name[128];
	if (o->name)
		snprintf(name, sizeof(name), "%s", o->name);
	else
		snprintf(name, sizeof(name), "%s synth twin", s->hp.arch);
	/* the architecture's keys first, the tokenizer's last, as converters order them */
	if ((rc = halo_hparams_to_gguf(&s->hp, w)) || (rc = halo_gguf_writer_add_str(w, "general.name", name)) ||
	    (rc = halo_gguf_writer_add_u32(w, "general.file_type", file_type(o->type))) ||
	    (is_quantized(o->type) && (rc = halo_gguf_writer_add_u32(w, "general.quantization_version", 2))) ||
	    (rc = arch_keys(s->ai, &s->hp, w)) ||
	    /* marks the file as a twin (llama.cpp ignores keys it does not know) */
	    (rc = halo_gguf_writer_add_u64(w, "halo.synth.seed", o->seed)) || (rc = copy_tokenizer(vocab, w, n_vocab))) {
		halo_gguf_free(vocab);
		return rc;
	}
	halo_gguf_free(vocab);

	s->p.hp = &s->hp;
	s->p.ai = s->ai;
	s->p.type = o->type;
	s->p.seed = o->seed;
	s->p.tied = o->output == HALO_SYNTH_OUTPUT_TIED ||
		    (o->output == HALO_SYNTH_OUTPUT_AUTO && halo_synth_tied_default(&s->hp));
	s->ai->tensors(&s->p);
	return s->p.err;
}

static int fill_info(const synth *s, const halo_synth_opts *o, halo_synth_info *info)
{
	if (!info)
		return 0;
	memset(info, 0, sizeof(*info));
	info->hp = s->hp;
	info->type = o->type;
	info->tied = s->p.tied;
	info->n_kv = halo_gguf_writer_n_kv(s->p.w);
	info->n_tensors = s->p.n;
	info->n_params = s->p.n_params;
	info->data_size = s->p.data_size;
	return halo_gguf_writer_layout(s->p.w, &info->data_offset, &info->file_size);
}

int halo_synth_describe(const halo_hparams *hp, const halo_synth_opts *opts, halo_synth_info *info)
{
	synth s;
	int rc = build(&s, hp, opts);
	if (!rc)
		rc = fill_info(&s, opts, info);
	synth_free(&s);
	return rc;
}

/* ---- random data ---- */

/* F32 <-> half precision, round to nearest even (no dependence on compiler _Float16). */
static uint16_t f32_to_f16(float f)
{
	uint32_t x;
	memcpy(&x, &f, 4);
	uint32_t sign = (x >> 16) & 0x8000u, a = x & 0x7fffffffu;
	if (a >= 0x7f800000u) /* inf, nan */
		return (uint16_t)(sign | 0x7c00u | (a > 0x7f800000u ? 0x200u : 0));
	if (a >= 0x477ff000u) /* 65520 and up round past the largest half */
		return (uint16_t)(sign | 0x7c00u);
	if (a < 0x38800000u) { /* below 2^-14: a subnormal half, in units of 2^-24 */
		float v;
		memcpy(&v, &a, 4);
		return (uint16_t)(sign | (uint32_t)lrintf(v * 16777216.0f));
	}
	uint32_t h = (((a >> 23) - 112) << 10) | ((a >> 13) & 0x3ffu), rem = a & 0x1fffu;
	if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
		h++;
	return (uint16_t)(sign | h);
}

static uint16_t f32_to_bf16(float f)
{
	uint32_t x;
	memcpy(&x, &f, 4);
	if ((x & 0x7fffffffu) > 0x7f800000u)
		return (uint16_t)((x >> 16) | 0x40u);
	x += 0x7fffu + ((x >> 16) & 1);
	return (uint16_t)(x >> 16);
}

/* The standard normal quantile of p, by bisection of erfc: exact to float
 * precision, and only run to build the tables. */
static double normal_quantile(double p)
{
	double lo = -10, hi = 10;
	for (int i = 0; i < 64; i++) {
		double mid = 0.5 * (lo + hi);
		if (0.5 * erfc(-mid / sqrt(2.0)) < p)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

/* 16 random bits -> one of 65536 equally likely quantiles of N(0, SIGMA);
 * 8 random bits -> a quantized value. */
typedef struct tables {
	float f32[65536];
	uint16_t f16[65536];
	uint16_t bf16[65536];
	int8_t q8[256];      /* N(0, 32) in int8: with scale SIGMA / 32 */
	uint8_t q4[256];     /* 8 + N(0, 2.5) in 1..15: with scale SIGMA / 2.5 */
	uint16_t q8_d, q4_d; /* the block scales as halves */
} tables;

static void tables_init(tables *t)
{
	for (uint32_t i = 0; i < 32768; i++) {
		float z = (float)normal_quantile((i + 0.5) / 65536.0) * SIGMA;
		t->f32[i] = z;
		t->f32[65535 - i] = -z; /* symmetric: the mean is exactly 0 */
	}
	for (uint32_t i = 0; i < 65536; i++) {
		t->f16[i] = f32_to_f16(t->f32[i]);
		t->bf16[i] = f32_to_bf16(t->f32[i]);
	}
	for (uint32_t b = 0; b < 256; b++) {
		double z = normal_quantile((b + 0.5) / 256.0);
		long q8 = lrint(z * 32), q4 = lrint(z * 2.5) + 8;
		t->q8[b] = (int8_t)(q8 < -127 ? -127 : q8 > 127 ? 127 : q8);
		t->q4[b] = (uint8_t)(q4 < 1 ? 1 : q4 > 15 ? 15 : q4);
	}
	t->q8_d = f32_to_f16(SIGMA / 32);
	t->q4_d = f32_to_f16(SIGMA / 2.5f);
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/*
 * Data is made in units: 4 elements of F32/F16/BF16 (one random u64 of four
 * 16-bit draws), or one quantized block of 32 elements (four random u64 of
 * bytes). Unit u of a tensor depends only on its key and u.
 */
static unsigned unit_bytes(uint32_t type)
{
	switch (type) {
	case HALO_GGML_F32: return 16;
	case HALO_GGML_Q8_0: return 34;
	case HALO_GGML_Q4_0: return 18;
	default: return 8; /* F16, BF16 */
	}
}

static inline void gen_unit(const tables *tb, const tspec *t, uint64_t u, unsigned char *out)
{
	if (t->init == INIT_CONST) { /* F32 only */
		uint32_t bits;
		memcpy(&bits, &t->value, 4);
		for (int i = 0; i < 4; i++)
			put32(out + 4 * i, bits);
		return;
	}
	switch (t->type) {
	case HALO_GGML_F32: {
		uint64_t r = rnd(t->key, u);
		for (int i = 0; i < 4; i++) {
			uint32_t bits;
			memcpy(&bits, &tb->f32[(r >> (16 * i)) & 0xffff], 4);
			put32(out + 4 * i, bits);
		}
		return;
	}
	case HALO_GGML_F16:
	case HALO_GGML_BF16: {
		const uint16_t *tab = t->type == HALO_GGML_F16 ? tb->f16 : tb->bf16;
		uint64_t r = rnd(t->key, u);
		for (int i = 0; i < 4; i++)
			put16(out + 2 * i, tab[(r >> (16 * i)) & 0xffff]);
		return;
	}
	case HALO_GGML_Q8_0: /* block_q8_0: half d, int8 qs[32] */
		put16(out, tb->q8_d);
		for (int k = 0; k < 4; k++) {
			uint64_t r = rnd(t->key, 4 * u + k);
			for (int i = 0; i < 8; i++)
				out[2 + 8 * k + i] = (unsigned char)tb->q8[(r >> (8 * i)) & 0xff];
		}
		return;
	case HALO_GGML_Q4_0: /* block_q4_0: half d, 16 bytes of two 4-bit values */
		put16(out, tb->q4_d);
		for (int k = 0; k < 4; k++) {
			uint64_t r = rnd(t->key, 4 * u + k);
			for (int i = 0; i < 4; i++) {
				unsigned lo = tb->q4[(r >> (16 * i)) & 0xff], hi = tb->q4[(r >> (16 * i + 8)) & 0xff];
				out[2 + 4 * k + i] = (unsigned char)(lo | hi << 4);
			}
		}
		return;
	}
}

typedef struct fill_ctx {
	const synth *s;
	const tables *tb;
	const halo_synth_opts *o;
	uint64_t done;
} fill_ctx;

static int fill(void *userdata, uint64_t tensor, uint64_t offset, void *buf, size_t len)
{
	fill_ctx *c = userdata;
	const tspec *t = &c->s->p.t[tensor];
	unsigned ub = unit_bytes(t->init == INIT_CONST ? HALO_GGML_F32 : t->type);
	unsigned char *out = buf, tmp[64];
	uint64_t u = offset / ub;
	size_t skip = (size_t)(offset % ub), left = len;

	/* whole units straight into the buffer; a unit cut by the chunk's
	 * start or end is made aside and the needed part copied */
	while (left) {
		if (skip == 0 && left >= ub) {
			gen_unit(c->tb, t, u++, out);
			out += ub;
			left -= ub;
			continue;
		}
		gen_unit(c->tb, t, u++, tmp);
		size_t n = ub - skip < left ? ub - skip : left;
		memcpy(out, tmp + skip, n);
		out += n;
		left -= n;
		skip = 0;
	}
	c->done += len;
	if (c->o->progress)
		c->o->progress(c->o->progress_userdata, c->done, c->s->p.data_size);
	return 0;
}

int halo_synth_write(const halo_hparams *hp, const char *path, const halo_synth_opts *opts, halo_synth_info *info)
{
	synth s;
	tables *tb = NULL;
	int rc = build(&s, hp, opts);
	if (!rc)
		rc = fill_info(&s, opts, info);
	if (!rc && !(tb = malloc(sizeof(*tb))))
		rc = halo_error_set(HALO_ENOMEM, "out of memory for the random tables");
	if (!rc) {
		tables_init(tb);
		fill_ctx c = { &s, tb, opts, 0 };
		halo_gguf_write_opts wo = HALO_GGUF_WRITE_OPTS_INIT;
		wo.fill = fill;
		wo.userdata = &c;
		wo.chunk_size = opts->chunk_size;
		rc = halo_gguf_writer_write_path(s.p.w, path, &wo);
	}
	free(tb);
	synth_free(&s);
	return rc;
}
