/*
 * Architecture facts from GGUF metadata, following the pinned llama.cpp's
 * per-architecture loaders (src/models/<arch>.cpp) for the parts that affect
 * memory: which layers keep a KV cache, which a recurrent state, and which
 * attend over a sliding window.
 */
#include "hparams.h"

#include "error.h"
#include "ggml_type.h"
#include "gguf.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void halo_hparams_layer_counts(const halo_hparams *hp, uint32_t *attn, uint32_t *recurrent, uint32_t *swa)
{
	uint32_t a = 0, r = 0, s = 0;
	for (uint32_t i = 0; i < hp->n_layer && i < HALO_MAX_LAYERS; i++) {
		switch (hp->layer_kind[i]) {
		case HALO_LAYER_RECURRENT: r++; break;
		case HALO_LAYER_SWA: s++; break;
		default: a++; break;
		}
	}
	if (attn)
		*attn = a;
	if (recurrent)
		*recurrent = r;
	if (swa)
		*swa = s;
}

bool halo_hparams_is_recurrent(const halo_hparams *hp)
{
	uint32_t r;
	halo_hparams_layer_counts(hp, NULL, &r, NULL);
	return r > 0;
}

uint32_t halo_hparams_attention_interval(const halo_hparams *hp)
{
	for (uint32_t n = 1; n <= hp->n_layer; n++) {
		bool ok = true;
		for (uint32_t i = 0; i < hp->n_layer && ok; i++)
			ok = (hp->layer_kind[i] == HALO_LAYER_RECURRENT) == ((i + 1) % n != 0);
		if (ok)
			return n;
	}
	return 0;
}

uint32_t halo_hparams_swa_period(const halo_hparams *hp)
{
	for (uint32_t p = 2; p <= hp->n_layer + 1; p++) {
		bool ok = true;
		for (uint32_t i = 0; i < hp->n_layer && ok; i++)
			ok = (hp->layer_kind[i] == HALO_LAYER_SWA) == (i % p < p - 1);
		if (ok)
			return p;
	}
	return 0;
}

uint32_t halo_hparams_first_attention_layer(const halo_hparams *hp)
{
	for (uint32_t i = 0; i < hp->n_layer && i < HALO_MAX_LAYERS; i++)
		if (hp->layer_kind[i] != HALO_LAYER_RECURRENT)
			return i;
	return 0;
}

void halo_hparams_set_full_attention_interval(halo_hparams *hp, uint32_t interval)
{
	for (uint32_t i = 0; i < hp->n_layer && i < HALO_MAX_LAYERS; i++)
		hp->layer_kind[i] = interval && (i + 1) % interval != 0 ? HALO_LAYER_RECURRENT : HALO_LAYER_ATTENTION;
}

void halo_hparams_set_heads(halo_hparams *hp, uint32_t n_head, uint32_t n_head_kv)
{
	for (uint32_t i = 0; i < HALO_MAX_LAYERS; i++) {
		hp->n_head[i] = n_head;
		hp->n_head_kv[i] = n_head_kv;
	}
}

int halo_hparams_kv_bytes_per_token(const halo_hparams *hp, uint32_t type_k, uint32_t type_v,
				    uint64_t *full_layers, uint64_t *swa_layers)
{
	uint64_t full = 0, swa = 0;
	for (uint32_t i = 0; i < hp->n_layer && i < HALO_MAX_LAYERS; i++) {
		uint64_t k, v;
		if (hp->layer_kind[i] == HALO_LAYER_RECURRENT)
			continue;
		int rc = halo_ggml_row_size(type_k, (uint64_t)hp->n_head_kv[i] * hp->head_dim_k, &k);
		if (!rc)
			rc = halo_ggml_row_size(type_v, (uint64_t)hp->n_head_kv[i] * hp->head_dim_v, &v);
		if (rc)
			return halo_error_prefix("layer %u kv cache", i);
		if (hp->layer_kind[i] == HALO_LAYER_SWA)
			swa += k + v;
		else
			full += k + v;
	}
	if (full_layers)
		*full_layers = full;
	if (swa_layers)
		*swa_layers = swa;
	return 0;
}

uint64_t halo_hparams_n_embd_r(const halo_hparams *hp)
{
	/* The conv state keeps d_conv - 1 columns of the conv input (x, B, C). */
	uint64_t conv = hp->ssm_d_conv ? hp->ssm_d_conv - 1 : 0;
	return conv * ((uint64_t)hp->ssm_d_inner + 2ull * hp->ssm_n_group * hp->ssm_d_state);
}

uint64_t halo_hparams_n_embd_s(const halo_hparams *hp)
{
	return (uint64_t)hp->ssm_d_state * hp->ssm_d_inner;
}

uint64_t halo_hparams_recurrent_bytes_per_seq(const halo_hparams *hp)
{
	uint32_t r;
	halo_hparams_layer_counts(hp, NULL, &r, NULL);
	return (uint64_t)r * (halo_hparams_n_embd_r(hp) + halo_hparams_n_embd_s(hp)) * 4;
}

/* ---- from GGUF ---- */

static bool arch_in(const char *arch, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(arch, *list))
			return true;
	return false;
}

/* Hybrids whose attention layers come every full_attention_interval (default 4). */
static const char *const interval_hybrids[] = { "qwen35", "qwen35moe", "qwen3next", "qwen4exp", "minimax-01", NULL };
/* Hybrids whose recurrent layers are those without KV heads. */
static const char *const kv0_hybrids[] = { "jamba", "granitehybrid", "plamo2", "nemotron_h", "nemotron_h_moe",
					  "kimi-linear", "kimi-k3", "lfm2", "lfm2moe", NULL };
/* Every layer recurrent. */
static const char *const all_recurrent[] = { "mamba", "mamba2", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7", NULL };

/* Sliding-window period defaults (llama_hparams::set_swa_pattern, not dense-first). */
static const struct {
	const char *arch;
	uint32_t period;
	uint32_t default_window; /* used when the file has no attention.sliding_window */
	bool needs_window_key;   /* SWA only when the file sets a window (gemma3) */
} swa_defaults[] = {
	{ "gemma2", 2, 4096, false },
	{ "gemma3", 6, 0, true },
	{ "gemma3n", 5, 0, false },
	{ "cohere2", 4, 0, false },
	{ "exaone4", 4, 4096, true },
	{ "gpt-oss", 2, 0, false },
};

struct reader {
	const halo_gguf *g;
	const char *arch;
};

static const char *key(const struct reader *r, const char *suffix, char *buf, size_t n)
{
	snprintf(buf, n, "%s.%s", r->arch, suffix);
	return buf;
}

/* Optional u32 key; `out` unchanged when absent. */
static int opt_u32(const struct reader *r, const char *suffix, uint32_t *out)
{
	char k[128];
	int rc = halo_gguf_get_u32(r->g, key(r, suffix, k, sizeof(k)), out);
	return rc == HALO_ENOTFOUND ? 0 : rc;
}

static int req_u32(const struct reader *r, const char *suffix, uint32_t *out)
{
	char k[128];
	int rc = halo_gguf_get_u32(r->g, key(r, suffix, k, sizeof(k)), out);
	if (rc == HALO_ENOTFOUND)
		return halo_error_set(HALO_EFORMAT, "'%s': missing key '%s'", r->g->source, k);
	return rc;
}

/* A key that is one integer for all layers or an array with one per layer. */
static int per_layer_u32(const struct reader *r, const char *suffix, uint32_t *out, uint32_t n_layer, bool *found)
{
	char k[128];
	const halo_gguf_value *v = halo_gguf_get(r->g, key(r, suffix, k, sizeof(k)));
	*found = v != NULL;
	if (!v)
		return 0;
	if (v->type != HALO_GGUF_ARRAY) {
		uint32_t x;
		int rc = halo_gguf_get_u32(r->g, k, &x);
		if (rc)
			return rc;
		for (uint32_t i = 0; i < HALO_MAX_LAYERS; i++)
			out[i] = x;
		return 0;
	}
	if (v->arr.n < n_layer)
		return halo_error_set(HALO_EFORMAT, "'%s': key '%s' has %" PRIu64 " entries for %u layers", r->g->source,
				      k, v->arr.n, n_layer);
	for (uint32_t i = 0; i < n_layer; i++) {
		uint64_t x;
		if (halo_gguf_array_u64(v, i, &x) || x > UINT32_MAX)
			return halo_error_set(HALO_EFORMAT, "'%s': key '%s' entry %u is not a valid count", r->g->source, k,
					      i);
		out[i] = (uint32_t)x;
	}
	return 0;
}

int halo_hparams_from_gguf(halo_hparams *hp, const halo_gguf *g)
{
	struct reader r = { .g = g };
	uint32_t block_count = 0, x;
	uint64_t u;
	bool found;
	char k[128];
	int rc;

	memset(hp, 0, sizeof(*hp));
	rc = halo_gguf_get_str(g, "general.architecture", &r.arch);
	if (rc == HALO_ENOTFOUND)
		return halo_error_set(HALO_EFORMAT, "'%s': missing key 'general.architecture'", g->source);
	if (rc)
		return rc;
	if (strlen(r.arch) >= sizeof(hp->arch))
		return halo_error_set(HALO_EFORMAT, "'%s': architecture name '%.40s...' is too long", g->source, r.arch);
	strcpy(hp->arch, r.arch);

	if ((rc = req_u32(&r, "block_count", &block_count)) || (rc = opt_u32(&r, "nextn_predict_layers", &hp->n_layer_nextn)))
		return rc;
	if (block_count > HALO_MAX_LAYERS)
		return halo_error_set(HALO_EFORMAT, "'%s': %u layers exceed halo's limit of %d", g->source, block_count,
				      HALO_MAX_LAYERS);
	if (hp->n_layer_nextn > block_count)
		return halo_error_set(HALO_EFORMAT, "'%s': %u nextn layers but only %u blocks", g->source,
				      hp->n_layer_nextn, block_count);
	hp->n_layer = block_count - hp->n_layer_nextn;

	if ((rc = opt_u32(&r, "embedding_length", &hp->n_embd)))
		return rc;
	if ((rc = halo_gguf_get_u64(g, key(&r, "context_length", k, sizeof(k)), &hp->n_ctx_train)) && rc != HALO_ENOTFOUND)
		return rc;
	/* YaRN: the trained context times the rope scaling factor. */
	double factor = 0;
	if (!halo_gguf_get_f64(g, key(&r, "rope.scaling.factor", k, sizeof(k)), &factor) && factor > 1 &&
	    factor < 1e6 && hp->n_ctx_train) {
		uint64_t orig = hp->n_ctx_train;
		halo_gguf_get_u64(g, key(&r, "rope.scaling.original_context_length", k, sizeof(k)), &orig);
		hp->n_ctx_yarn = (uint64_t)(orig * factor);
	}

	/* Vocabulary: arch.vocab_size, else the tokenizer's token list, else the embedding rows. */
	if ((rc = opt_u32(&r, "vocab_size", &hp->n_vocab)))
		return rc;
	if (!hp->n_vocab) {
		const halo_gguf_value *tok = halo_gguf_get(g, "tokenizer.ggml.tokens");
		if (tok && tok->type == HALO_GGUF_ARRAY && tok->arr.n <= UINT32_MAX)
			hp->n_vocab = (uint32_t)tok->arr.n;
	}
	if (!hp->n_vocab)
		for (uint64_t i = 0; i < g->n_tensors; i++)
			if (!strcmp(g->tensors[i].name, "token_embd.weight") && g->tensors[i].ne[1] <= UINT32_MAX)
				hp->n_vocab = (uint32_t)g->tensors[i].ne[1];

	if ((rc = per_layer_u32(&r, "attention.head_count", hp->n_head, block_count, &found)))
		return rc;
	bool have_heads = found;
	if ((rc = per_layer_u32(&r, "attention.head_count_kv", hp->n_head_kv, block_count, &found)))
		return rc;
	if (!found)
		memcpy(hp->n_head_kv, hp->n_head, sizeof(hp->n_head));
	/* Default head dims as llama.cpp: n_embd / n_head of layer 0. */
	uint32_t def_dim = have_heads && hp->n_head[0] ? hp->n_embd / hp->n_head[0] : 0;
	hp->head_dim_k = def_dim;
	if ((rc = opt_u32(&r, "attention.key_length", &hp->head_dim_k)))
		return rc;
	hp->head_dim_v = def_dim;
	if ((rc = opt_u32(&r, "attention.value_length", &hp->head_dim_v)))
		return rc;

	if ((rc = opt_u32(&r, "ssm.conv_kernel", &hp->ssm_d_conv)) || (rc = opt_u32(&r, "ssm.inner_size", &hp->ssm_d_inner)) ||
	    (rc = opt_u32(&r, "ssm.state_size", &hp->ssm_d_state)) || (rc = opt_u32(&r, "ssm.group_count", &hp->ssm_n_group)) ||
	    (rc = opt_u32(&r, "ssm.time_step_rank", &hp->ssm_dt_rank)))
		return rc;

	if ((rc = opt_u32(&r, "feed_forward_length", &hp->n_ff)) || (rc = opt_u32(&r, "expert_count", &hp->n_expert)) ||
	    (rc = opt_u32(&r, "expert_used_count", &hp->n_expert_used)) ||
	    (rc = opt_u32(&r, "expert_shared_count", &hp->n_expert_shared)) ||
	    (rc = opt_u32(&r, "expert_feed_forward_length", &hp->n_ff_exp)) ||
	    (rc = opt_u32(&r, "expert_shared_feed_forward_length", &hp->n_ff_shexp)))
		return rc;
	if (hp->n_ff == 0) {
		/* feed_forward_length may be a per-layer array (first layer stands for all) */
		uint32_t ff[HALO_MAX_LAYERS] = { 0 };
		if (!per_layer_u32(&r, "feed_forward_length", ff, block_count, &found) && found)
			hp->n_ff = ff[0];
	}

	/* Layer map. */
	const halo_gguf_value *rl = halo_gguf_get(g, key(&r, "attention.recurrent_layers", k, sizeof(k)));
	if (rl && (rl->type != HALO_GGUF_ARRAY || rl->arr.n < hp->n_layer))
		return halo_error_set(HALO_EFORMAT, "'%s': key '%s' must be an array of %u flags", g->source, k,
				      hp->n_layer);
	if (rl) {
		for (uint32_t i = 0; i < hp->n_layer; i++) {
			if (halo_gguf_array_u64(rl, i, &u))
				return halo_error_prefix("'%s': key '%s'", g->source, k);
			hp->layer_kind[i] = u ? HALO_LAYER_RECURRENT : HALO_LAYER_ATTENTION;
		}
	} else if (arch_in(hp->arch, interval_hybrids)) {
		x = 4;
		if ((rc = opt_u32(&r, "full_attention_interval", &x)))
			return rc;
		halo_hparams_set_full_attention_interval(hp, x);
	} else if (arch_in(hp->arch, kv0_hybrids)) {
		for (uint32_t i = 0; i < hp->n_layer; i++)
			hp->layer_kind[i] = hp->n_head_kv[i] == 0 ? HALO_LAYER_RECURRENT : HALO_LAYER_ATTENTION;
	} else if (arch_in(hp->arch, all_recurrent)) {
		for (uint32_t i = 0; i < hp->n_layer; i++)
			hp->layer_kind[i] = HALO_LAYER_RECURRENT;
	}

	/* Sliding window. */
	uint32_t window = 0;
	if ((rc = opt_u32(&r, "attention.sliding_window", &window)))
		return rc;
	const halo_gguf_value *pat = halo_gguf_get(g, key(&r, "attention.sliding_window_pattern", k, sizeof(k)));
	uint32_t period = 0;
	bool known = false;
	for (size_t i = 0; i < sizeof(swa_defaults) / sizeof(swa_defaults[0]); i++) {
		if (strcmp(hp->arch, swa_defaults[i].arch))
			continue;
		known = !(swa_defaults[i].needs_window_key && window == 0);
		period = swa_defaults[i].period;
		if (!window)
			window = swa_defaults[i].default_window;
	}
	if (pat && pat->type == HALO_GGUF_ARRAY && window) {
		/* one flag per layer: true = sliding window */
		for (uint32_t i = 0; i < hp->n_layer && i < pat->arr.n; i++) {
			if (halo_gguf_array_u64(pat, i, &u))
				return halo_error_prefix("'%s': key '%s'", g->source, k);
			if (u && hp->layer_kind[i] == HALO_LAYER_ATTENTION)
				hp->layer_kind[i] = HALO_LAYER_SWA;
		}
		hp->n_swa = window;
	} else if ((known || pat) && window) {
		if (pat && (rc = halo_gguf_get_u32(g, k, &period)))
			return rc;
		for (uint32_t i = 0; i < hp->n_layer; i++)
			if ((period == 0 || i % period < period - 1) && hp->layer_kind[i] == HALO_LAYER_ATTENTION)
				hp->layer_kind[i] = HALO_LAYER_SWA;
		hp->n_swa = window;
	}
	return 0;
}

int halo_hparams_match(const halo_hparams *f, const halo_hparams *w)
{
#define CHECK(field)                                                                                             \
	if ((uint64_t)f->field != (uint64_t)w->field)                                                            \
	return halo_error_set(HALO_EFORMAT, #field ": file %" PRIu64 ", catalog %" PRIu64, (uint64_t)f->field, \
			      (uint64_t)w->field)
	if (strcmp(f->arch, w->arch))
		return halo_error_set(HALO_EFORMAT, "architecture: file '%s', catalog '%s'", f->arch, w->arch);
	CHECK(n_layer);
	CHECK(n_embd);
	CHECK(n_vocab);
	CHECK(head_dim_k);
	CHECK(head_dim_v);
	CHECK(n_expert);
	CHECK(n_expert_used);
	CHECK(ssm_d_inner);
	CHECK(ssm_d_state);
	CHECK(ssm_n_group);
	for (uint32_t i = 0; i < f->n_layer && i < HALO_MAX_LAYERS; i++) {
		if (f->layer_kind[i] != w->layer_kind[i])
			return halo_error_set(HALO_EFORMAT, "layer %u kind: file %s, catalog %s", i,
					      f->layer_kind[i] == HALO_LAYER_RECURRENT ? "recurrent" : "attention",
					      w->layer_kind[i] == HALO_LAYER_RECURRENT ? "recurrent" : "attention");
		if (f->layer_kind[i] != HALO_LAYER_RECURRENT && f->n_head_kv[i] != w->n_head_kv[i])
			return halo_error_set(HALO_EFORMAT, "layer %u kv heads: file %u, catalog %u", i, f->n_head_kv[i],
					      w->n_head_kv[i]);
	}
#undef CHECK
	return 0;
}

/* ---- to GGUF ---- */

#include "gguf_write.h"

static bool uniform(const uint32_t *v, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++)
		if (v[i] != v[0])
			return false;
	return true;
}

int halo_hparams_to_gguf(const halo_hparams *hp, halo_gguf_writer *w)
{
	char k[128];
	uint32_t total = hp->n_layer + hp->n_layer_nextn;
	int rc = 0;
#define KEY(suffix) (snprintf(k, sizeof(k), "%s.%s", hp->arch, suffix), k)
#define TRY(call)                  \
	do {                       \
		if ((rc = (call))) \
			return rc; \
	} while (0)

	if (!hp->arch[0] || total == 0 || total > HALO_MAX_LAYERS)
		return halo_error_set(HALO_EUSAGE, "hparams need an architecture and 1 to %d layers", HALO_MAX_LAYERS);
	TRY(halo_gguf_writer_add_str(w, "general.architecture", hp->arch));
	TRY(halo_gguf_writer_add_u32(w, KEY("block_count"), total));
	if (hp->n_layer_nextn)
		TRY(halo_gguf_writer_add_u32(w, KEY("nextn_predict_layers"), hp->n_layer_nextn));
	if (hp->n_ctx_train)
		TRY(halo_gguf_writer_add_u32(w, KEY("context_length"), (uint32_t)hp->n_ctx_train));
	TRY(halo_gguf_writer_add_u32(w, KEY("embedding_length"), hp->n_embd));
	if (hp->n_vocab)
		TRY(halo_gguf_writer_add_u32(w, KEY("vocab_size"), hp->n_vocab));
	if (hp->n_ff)
		TRY(halo_gguf_writer_add_u32(w, KEY("feed_forward_length"), hp->n_ff));
	if (hp->n_expert) {
		TRY(halo_gguf_writer_add_u32(w, KEY("expert_count"), hp->n_expert));
		TRY(halo_gguf_writer_add_u32(w, KEY("expert_used_count"), hp->n_expert_used));
	}
	if (hp->n_expert_shared)
		TRY(halo_gguf_writer_add_u32(w, KEY("expert_shared_count"), hp->n_expert_shared));
	if (hp->n_ff_exp)
		TRY(halo_gguf_writer_add_u32(w, KEY("expert_feed_forward_length"), hp->n_ff_exp));
	if (hp->n_ff_shexp)
		TRY(halo_gguf_writer_add_u32(w, KEY("expert_shared_feed_forward_length"), hp->n_ff_shexp));

	if (uniform(hp->n_head, total))
		TRY(halo_gguf_writer_add_u32(w, KEY("attention.head_count"), hp->n_head[0]));
	else
		TRY(halo_gguf_writer_add_array(w, KEY("attention.head_count"), HALO_GGUF_UINT32, hp->n_head, total));
	if (uniform(hp->n_head_kv, total))
		TRY(halo_gguf_writer_add_u32(w, KEY("attention.head_count_kv"), hp->n_head_kv[0]));
	else
		TRY(halo_gguf_writer_add_array(w, KEY("attention.head_count_kv"), HALO_GGUF_UINT32, hp->n_head_kv, total));
	TRY(halo_gguf_writer_add_u32(w, KEY("attention.key_length"), hp->head_dim_k));
	TRY(halo_gguf_writer_add_u32(w, KEY("attention.value_length"), hp->head_dim_v));

	if (hp->ssm_d_inner) {
		TRY(halo_gguf_writer_add_u32(w, KEY("ssm.conv_kernel"), hp->ssm_d_conv));
		TRY(halo_gguf_writer_add_u32(w, KEY("ssm.inner_size"), hp->ssm_d_inner));
		TRY(halo_gguf_writer_add_u32(w, KEY("ssm.state_size"), hp->ssm_d_state));
		TRY(halo_gguf_writer_add_u32(w, KEY("ssm.group_count"), hp->ssm_n_group));
		TRY(halo_gguf_writer_add_u32(w, KEY("ssm.time_step_rank"), hp->ssm_dt_rank));
	}

	uint32_t n_rec, n_swa;
	halo_hparams_layer_counts(hp, NULL, &n_rec, &n_swa);
	if (n_rec) {
		uint32_t interval = arch_in(hp->arch, interval_hybrids) ? halo_hparams_attention_interval(hp) : 0;
		if (interval) {
			TRY(halo_gguf_writer_add_u32(w, KEY("full_attention_interval"), interval));
		} else {
			bool flags[HALO_MAX_LAYERS] = { false };
			for (uint32_t i = 0; i < hp->n_layer; i++)
				flags[i] = hp->layer_kind[i] == HALO_LAYER_RECURRENT;
			TRY(halo_gguf_writer_add_array(w, KEY("attention.recurrent_layers"), HALO_GGUF_BOOL, flags, total));
		}
	}
	if (n_swa) {
		TRY(halo_gguf_writer_add_u32(w, KEY("attention.sliding_window"), hp->n_swa));
		/* A period when there is one: llama.cpp's gemma2/gemma3 loaders read only a scalar. */
		uint32_t period = halo_hparams_swa_period(hp);
		if (period) {
			TRY(halo_gguf_writer_add_u32(w, KEY("attention.sliding_window_pattern"), period));
		} else {
			bool flags[HALO_MAX_LAYERS] = { false };
			for (uint32_t i = 0; i < hp->n_layer; i++)
				flags[i] = hp->layer_kind[i] == HALO_LAYER_SWA;
			TRY(halo_gguf_writer_add_array(w, KEY("attention.sliding_window_pattern"), HALO_GGUF_BOOL, flags,
						       hp->n_layer));
		}
	}
#undef KEY
#undef TRY
	return 0;
}
