/*
 * halo synth: scaled twins of every supported architecture, read back with
 * halo's own GGUF reader. The header must give back the hyperparameters it
 * was made from (layer map, heads, experts, recurrent sizes), carry the keys
 * and exactly the tensors llama.cpp's loader for the architecture asks for,
 * with the shapes and types it needs; the data must be what a seed says it
 * is whatever the chunk size; the size on disk must be the writer's layout.
 * (That llama.cpp really loads and runs the twins is tests/e2e/test_synth.sh.)
 */
#include "testutil.h"

#include "error.h"
#include "ggml_type.h"
#include "gguf.h"
#include "hparams.h"
#include "synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char vocab[4096];   /* the 32000-token SPM vocabulary: small twins */
static char vocab_q35[4096];
static const char *tmp;

static void check_ok(int rc)
{
	if (rc)
		fail_msg("unexpected error %d: %s", rc, halo_error_last()->message);
}

static int setup(void **state)
{
	(void)state;
	const char *d = test_llama_dir();
	if (d) {
		snprintf(vocab, sizeof(vocab), "%s/models/ggml-vocab-llama-spm.gguf", d);
		snprintf(vocab_q35, sizeof(vocab_q35), "%s/models/ggml-vocab-qwen35.gguf", d);
	}
	tmp = strdup(test_tmpdir("synth"));
	return 0;
}

static void need_vocab(void)
{
	if (!test_llama_dir())
		skip();
}

static const char *path(const char *name)
{
	static char buf[8][4096];
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", tmp, name);
	return buf[k];
}

static unsigned char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static uint64_t file_size(const char *p)
{
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	return (uint64_t)st.st_size;
}

static const halo_gguf_tensor *tensor(const halo_gguf *g, const char *name)
{
	for (uint64_t i = 0; i < g->n_tensors; i++)
		if (!strcmp(g->tensors[i].name, name))
			return &g->tensors[i];
	return NULL;
}

static void expect_tensor(const halo_gguf *g, const char *name, uint32_t type, uint64_t ne0, uint64_t ne1, uint64_t ne2)
{
	const halo_gguf_tensor *t = tensor(g, name);
	if (!t)
		fail_msg("no tensor '%s'", name);
	if (t->type != type || t->ne[0] != ne0 || t->ne[1] != ne1 || t->ne[2] != ne2)
		fail_msg("tensor '%s': type %u [%llu, %llu, %llu], expected type %u [%llu, %llu, %llu]", name, t->type,
			 (unsigned long long)t->ne[0], (unsigned long long)t->ne[1], (unsigned long long)t->ne[2], type,
			 (unsigned long long)ne0, (unsigned long long)ne1, (unsigned long long)ne2);
}

static void expect_no_tensor(const halo_gguf *g, const char *name)
{
	if (tensor(g, name))
		fail_msg("unexpected tensor '%s'", name);
}

static const char *map_of(const halo_hparams *hp)
{
	static char map[HALO_MAX_LAYERS + 1];
	uint32_t i;
	for (i = 0; i < hp->n_layer; i++)
		map[i] = "ARS"[hp->layer_kind[i]];
	map[i] = '\0';
	return map;
}

/* Every arch at the same small size: 128 wide, 4 heads of 32 (2 kv). */
static halo_hparams small(const char *arch, uint32_t layers)
{
	halo_hparams hp;
	check_ok(halo_synth_arch_defaults(arch, &hp, NULL));
	halo_synth_scale s = HALO_SYNTH_SCALE_INIT;
	s.n_layer = layers;
	s.n_embd = 128;
	s.n_head = 4;
	s.n_head_kv = 2;
	s.head_dim = 32;
	s.n_ctx = 4096;
	if (hp.n_ff)
		s.n_ff = 256;
	if (hp.n_expert) {
		s.n_expert = 4;
		s.n_expert_used = 2;
		s.n_ff_exp = 64;
	}
	if (hp.ssm_d_inner) {
		s.ssm_k_heads = 2;
		s.ssm_v_heads = 4;
		s.ssm_head_dim = 32;
	}
	check_ok(halo_synth_scale_hparams(&hp, &s));
	return hp;
}

static halo_gguf *open_twin(const char *p)
{
	halo_gguf *g;
	halo_gguf_open_opts o = HALO_GGUF_OPEN_OPTS_INIT;
	o.decode_array_max = o.max_array;
	check_ok(halo_gguf_open(&g, p, &o));
	return g;
}

/* Writes hp's twin to `name`, checks the file against the info and the
 * hparams read back against hp (with the tokenizer's vocabulary). */
static halo_gguf *write_twin(const halo_hparams *hp, const char *name, uint32_t type, halo_synth_info *info)
{
	halo_synth_opts o = HALO_SYNTH_OPTS_INIT;
	halo_synth_info described;
	o.type = type;
	o.vocab_path = vocab;
	o.seed = 42;
	check_ok(halo_synth_describe(hp, &o, &described));
	check_ok(halo_synth_write(hp, path(name), &o, info));
	assert_memory_equal(&described, info, sizeof(*info));

	assert_int_equal(file_size(path(name)), info->file_size);
	halo_gguf *g = open_twin(path(name));
	assert_int_equal(g->file_size, info->file_size);
	assert_int_equal(g->expected_size, info->file_size);
	assert_true(halo_gguf_data_complete(g));
	assert_int_equal(g->n_tensors, info->n_tensors);
	assert_int_equal(g->n_kv, info->n_kv);
	assert_int_equal(g->n_elements, info->n_params);
	assert_int_equal(g->data_offset, info->data_offset);

	halo_hparams back, want = *hp;
	want.n_vocab = 32000;
	check_ok(halo_hparams_from_gguf(&back, g));
	check_ok(halo_hparams_match(&back, &want));
	assert_string_equal(map_of(&back), map_of(hp));
	assert_int_equal(back.n_swa, hp->n_swa);
	assert_int_equal(back.n_head[0], hp->n_head[0]);
	assert_int_equal(back.n_head_kv[hp->n_layer - 1], hp->n_head_kv[hp->n_layer - 1]);
	assert_int_equal(back.n_ff, hp->n_ff);
	assert_int_equal(back.n_ff_exp, hp->n_ff_exp);
	assert_int_equal(back.ssm_dt_rank, hp->ssm_dt_rank);
	assert_int_equal(back.ssm_d_conv, hp->ssm_d_conv);
	assert_int_equal(back.n_ctx_train, hp->n_ctx_train);
	assert_memory_equal(&info->hp.layer_kind, &hp->layer_kind, sizeof(hp->layer_kind));

	/* the tokenizer is copied whole */
	const char *model = NULL;
	const halo_gguf_value *tok = halo_gguf_get(g, "tokenizer.ggml.tokens");
	assert_non_null(tok);
	assert_int_equal(tok->arr.n, 32000);
	check_ok(halo_gguf_get_str(g, "tokenizer.ggml.model", &model));
	assert_string_equal(model, "llama");
	const halo_gguf_value *scores = halo_gguf_get(g, "tokenizer.ggml.scores");
	assert_non_null(scores);
	assert_non_null(scores->arr.values);
	assert_int_equal(scores->arr.n, 32000);
	return g;
}

static uint64_t get_u64(const halo_gguf *g, const char *key)
{
	uint64_t v;
	check_ok(halo_gguf_get_u64(g, key, &v));
	return v;
}

static double get_f64(const halo_gguf *g, const char *key)
{
	double v;
	check_ok(halo_gguf_get_f64(g, key, &v));
	return v;
}

/* The bytes of a tensor in the file image. */
static const unsigned char *data_of(const halo_gguf *g, const unsigned char *file, const char *name)
{
	const halo_gguf_tensor *t = tensor(g, name);
	assert_non_null(t);
	return file + g->data_offset + t->offset;
}

static float f32_at(const unsigned char *p, uint64_t i)
{
	float f;
	memcpy(&f, p + 4 * i, 4);
	return f;
}

static float f16_at(const unsigned char *p, uint64_t i)
{
	unsigned h = p[2 * i] | (unsigned)p[2 * i + 1] << 8;
	int e = (h >> 10) & 0x1f;
	float m = (float)(h & 0x3ff);
	float v = e == 0 ? ldexpf(m, -24) : e == 31 ? INFINITY : ldexpf(1024 + m, e - 25);
	return h & 0x8000 ? -v : v;
}

/* ------------------------------------------------------------------ */

static void test_scale_keeps_patterns(void **state)
{
	(void)state;
	halo_hparams hp;
	halo_synth_scale s = HALO_SYNTH_SCALE_INIT;

	check_ok(halo_synth_arch_defaults("qwen35moe", &hp, NULL));
	assert_string_equal(map_of(&hp), "RRRARRRARRRARRRARRRARRRARRRARRRARRRARRRA");
	s.n_layer = 12;
	check_ok(halo_synth_scale_hparams(&hp, &s));
	assert_string_equal(map_of(&hp), "RRRARRRARRRA");
	assert_int_equal(hp.n_head[11], 16);
	assert_int_equal(hp.n_head_kv[11], 2);

	check_ok(halo_synth_arch_defaults("gemma3", &hp, NULL));
	s.n_layer = 14;
	check_ok(halo_synth_scale_hparams(&hp, &s));
	assert_string_equal(map_of(&hp), "SSSSSASSSSSASS");
	assert_int_equal(hp.n_swa, 1024);

	/* heads: kv heads follow query heads down; they must divide them */
	s = (halo_synth_scale)HALO_SYNTH_SCALE_INIT;
	check_ok(halo_synth_arch_defaults("llama", &hp, NULL));
	s.n_head = 4;
	check_ok(halo_synth_scale_hparams(&hp, &s));
	assert_int_equal(hp.n_head[0], 4);
	assert_int_equal(hp.n_head_kv[0], 4);
	s.n_head = 6;
	s.n_head_kv = 4;
	assert_int_equal(halo_synth_scale_hparams(&hp, &s), HALO_EUSAGE);
	assert_non_null(strstr(halo_error_last()->message, "multiple of kv heads"));
	assert_int_equal(hp.n_head[0], 4); /* unchanged on error */

	/* experts: used ones follow the count down unless given */
	s = (halo_synth_scale)HALO_SYNTH_SCALE_INIT;
	check_ok(halo_synth_arch_defaults("qwen3moe", &hp, NULL));
	s.n_expert = 4;
	check_ok(halo_synth_scale_hparams(&hp, &s));
	assert_int_equal(hp.n_expert_used, 4);
	s.n_expert_used = 5;
	assert_int_equal(halo_synth_scale_hparams(&hp, &s), HALO_EUSAGE);
	s = (halo_synth_scale)HALO_SYNTH_SCALE_INIT;
	s.ssm_v_heads = 4;
	assert_int_equal(halo_synth_scale_hparams(&hp, &s), HALO_EUSAGE);
	assert_non_null(strstr(halo_error_last()->message, "no linear-attention"));

	/* Gated DeltaNet sizes: inner size follows heads x head size */
	check_ok(halo_synth_arch_defaults("qwen35", &hp, NULL));
	s = (halo_synth_scale)HALO_SYNTH_SCALE_INIT;
	s.ssm_k_heads = 2;
	s.ssm_v_heads = 6;
	s.ssm_head_dim = 64;
	check_ok(halo_synth_scale_hparams(&hp, &s));
	assert_int_equal(hp.ssm_d_inner, 6 * 64);
	s.ssm_v_heads = 5;
	assert_int_equal(halo_synth_scale_hparams(&hp, &s), HALO_EUSAGE);

	/* fewer layers than the attention interval leaves no attention layer */
	s = (halo_synth_scale)HALO_SYNTH_SCALE_INIT;
	s.n_layer = 3;
	assert_int_equal(halo_synth_scale_hparams(&hp, &s), HALO_EUSAGE);
	assert_non_null(strstr(halo_error_last()->message, "use at least 4"));
	s.n_layer = HALO_MAX_LAYERS + 1;
	assert_int_equal(halo_synth_scale_hparams(&hp, &s), HALO_EUSAGE);
}

static void test_defaults_and_arch_table(void **state)
{
	(void)state;
	halo_hparams hp;
	const char *model;
	for (const char *const *a = halo_synth_archs(); *a; a++) {
		check_ok(halo_synth_arch_defaults(*a, &hp, &model));
		assert_string_equal(hp.arch, *a);
		assert_true(halo_synth_arch_supported(*a));
		assert_non_null(halo_synth_default_vocab(*a));
		assert_non_null(model);
	}
	assert_int_equal(halo_synth_arch_defaults("mamba", &hp, NULL), HALO_EUNSUPPORTED);
	assert_non_null(strstr(halo_error_last()->message, "'mamba'"));
	assert_false(halo_synth_arch_supported("qwen3next"));
	assert_null(halo_synth_default_vocab("bert"));
	assert_string_equal(halo_synth_default_vocab("qwen35moe"), "ggml-vocab-qwen35.gguf");

	/* tied embeddings as the real models: Gemma 3, Qwen3.5 up to 4B */
	check_ok(halo_synth_arch_defaults("gemma3", &hp, NULL));
	assert_true(halo_synth_tied_default(&hp));
	check_ok(halo_synth_arch_defaults("qwen35", &hp, NULL));
	assert_false(halo_synth_tied_default(&hp));
	hp.n_embd = 2560;
	assert_true(halo_synth_tied_default(&hp));
	check_ok(halo_synth_arch_defaults("qwen35moe", &hp, NULL));
	assert_false(halo_synth_tied_default(&hp));
}

static void test_qwen35moe(void **state)
{
	(void)state;
	need_vocab();
	halo_hparams hp = small("qwen35moe", 8);
	halo_synth_info info;
	assert_string_equal(map_of(&hp), "RRRARRRA");
	halo_gguf *g = write_twin(&hp, "qwen35moe.gguf", HALO_GGML_F16, &info);
	assert_false(info.tied);

	/* keys llama.cpp's qwen35moe loader requires beyond the hparams */
	assert_int_equal(get_u64(g, "qwen35moe.full_attention_interval"), 4);
	assert_int_equal(get_u64(g, "qwen35moe.rope.dimension_count"), 8); /* a quarter of 32 */
	assert_true(fabs(get_f64(g, "qwen35moe.attention.layer_norm_rms_epsilon") - 1e-6) < 1e-9);
	assert_true(get_f64(g, "qwen35moe.rope.freq_base") == 1e7);
	assert_int_equal(get_u64(g, "qwen35moe.ssm.time_step_rank"), 4);
	assert_int_equal(get_u64(g, "qwen35moe.ssm.inner_size"), 128);
	const halo_gguf_value *sec = halo_gguf_get(g, "qwen35moe.rope.dimension_sections");
	assert_non_null(sec);
	assert_int_equal(sec->arr.type, HALO_GGUF_INT32);
	assert_int_equal(sec->arr.n, 4);
	int64_t want_sec[4] = { 2, 2, 0, 0 }; /* n_rot / 2 = 4 pairs in 3 interleaved sections */
	for (int i = 0; i < 4; i++)
		assert_int_equal(sec->arr.values[i].i64, want_sec[i]);
	assert_int_equal(get_u64(g, "general.file_type"), 1);

	/* 3 global + 8 layers: recurrent 19 tensors, attention 16 */
	assert_int_equal(g->n_tensors, 3 + 6 * 19 + 2 * 16);
	expect_tensor(g, "token_embd.weight", HALO_GGML_F16, 128, 32000, 1);
	expect_tensor(g, "output.weight", HALO_GGML_F16, 128, 32000, 1);
	expect_tensor(g, "output_norm.weight", HALO_GGML_F32, 128, 1, 1);
	/* Gated DeltaNet: q and k of 2 x 32, v of 4 x 32 */
	expect_tensor(g, "blk.0.attn_qkv.weight", HALO_GGML_F16, 128, 2 * 64 + 128, 1);
	expect_tensor(g, "blk.0.attn_gate.weight", HALO_GGML_F16, 128, 128, 1);
	expect_tensor(g, "blk.0.ssm_conv1d.weight", HALO_GGML_F32, 4, 256, 1);
	expect_tensor(g, "blk.0.ssm_a", HALO_GGML_F32, 4, 1, 1);
	expect_tensor(g, "blk.0.ssm_dt.bias", HALO_GGML_F32, 4, 1, 1);
	expect_tensor(g, "blk.0.ssm_beta.weight", HALO_GGML_F16, 128, 4, 1);
	expect_tensor(g, "blk.0.ssm_alpha.weight", HALO_GGML_F16, 128, 4, 1);
	expect_tensor(g, "blk.0.ssm_norm.weight", HALO_GGML_F32, 32, 1, 1);
	expect_tensor(g, "blk.0.ssm_out.weight", HALO_GGML_F16, 128, 128, 1);
	expect_no_tensor(g, "blk.0.attn_q.weight");
	/* gated attention: q doubled for the gate */
	expect_tensor(g, "blk.3.attn_q.weight", HALO_GGML_F16, 128, 32 * 4 * 2, 1);
	expect_tensor(g, "blk.3.attn_k.weight", HALO_GGML_F16, 128, 64, 1);
	expect_tensor(g, "blk.3.attn_output.weight", HALO_GGML_F16, 128, 128, 1);
	expect_tensor(g, "blk.3.attn_q_norm.weight", HALO_GGML_F32, 32, 1, 1);
	expect_no_tensor(g, "blk.3.attn_qkv.weight");
	/* experts and the shared expert */
	expect_tensor(g, "blk.7.ffn_gate_inp.weight", HALO_GGML_F32, 128, 4, 1);
	expect_tensor(g, "blk.7.ffn_down_exps.weight", HALO_GGML_F16, 64, 128, 4);
	expect_tensor(g, "blk.7.ffn_up_exps.weight", HALO_GGML_F16, 128, 64, 4);
	expect_tensor(g, "blk.7.ffn_gate_inp_shexp.weight", HALO_GGML_F32, 128, 1, 1);
	expect_tensor(g, "blk.7.ffn_down_shexp.weight", HALO_GGML_F16, 64, 128, 1);
	expect_tensor(g, "blk.7.post_attention_norm.weight", HALO_GGML_F32, 128, 1, 1);
	expect_no_tensor(g, "blk.8.attn_norm.weight");

	/* the data: norms are ones, ssm_a negative, weights small and centred */
	size_t len;
	unsigned char *file = slurp(path("qwen35moe.gguf"), &len);
	const unsigned char *norm = data_of(g, file, "blk.5.attn_norm.weight");
	for (int i = 0; i < 128; i++)
		assert_true(f32_at(norm, i) == 1.0f);
	assert_true(f32_at(data_of(g, file, "blk.0.ssm_a"), 3) == -1.0f);
	const unsigned char *emb = data_of(g, file, "token_embd.weight");
	double sum = 0, sq = 0, mx = 0;
	uint64_t n = 128 * 32000;
	for (uint64_t i = 0; i < n; i++) {
		double v = f16_at(emb, i);
		sum += v;
		sq += v * v;
		mx = fabs(v) > mx ? fabs(v) : mx;
	}
	double mean = sum / n, sd = sqrt(sq / n - mean * mean);
	assert_true(fabs(mean) < 1e-4);
	assert_true(sd > 0.018 && sd < 0.022);
	assert_true(mx < 0.2);
	free(file);
	halo_gguf_free(g);
}

static void test_qwen35_dense(void **state)
{
	(void)state;
	need_vocab();
	halo_hparams hp = small("qwen35", 4);
	halo_synth_info info;
	halo_gguf *g = write_twin(&hp, "qwen35.gguf", HALO_GGML_Q8_0, &info);
	assert_int_equal(get_u64(g, "general.file_type"), 7);
	assert_int_equal(get_u64(g, "general.quantization_version"), 2);
	expect_tensor(g, "blk.0.ffn_gate.weight", HALO_GGML_Q8_0, 128, 256, 1);
	expect_tensor(g, "blk.0.ffn_down.weight", HALO_GGML_Q8_0, 256, 128, 1);
	expect_tensor(g, "blk.0.attn_qkv.weight", HALO_GGML_Q8_0, 128, 256, 1);
	expect_tensor(g, "blk.0.ssm_conv1d.weight", HALO_GGML_F32, 4, 256, 1);
	expect_tensor(g, "blk.3.attn_q.weight", HALO_GGML_Q8_0, 128, 256, 1);
	expect_no_tensor(g, "blk.0.ffn_gate_inp.weight");
	/* 128 wide is as small as Qwen3.5-0.8B, whose output is the embedding */
	assert_true(info.tied);
	expect_no_tensor(g, "output.weight");
	assert_int_equal(g->n_tensors, 2 + 3 * 14 + 11);

	/* Q8_0 blocks: the scale 0.02 / 32 as a half, then 32 int8 */
	size_t len;
	unsigned char *file = slurp(path("qwen35.gguf"), &len);
	const unsigned char *b = data_of(g, file, "blk.1.ffn_up.weight");
	float d = f16_at(b, 0);
	assert_true(fabsf(d - 0.02f / 32) < 1e-6f);
	int nonzero = 0;
	for (int blk = 0; blk < 16; blk++) {
		assert_true(f16_at(b + 34 * blk, 0) == d);
		for (int i = 0; i < 32; i++)
			nonzero += b[34 * blk + 2 + i] != 0;
	}
	assert_true(nonzero > 16 * 32 / 2);
	free(file);
	halo_gguf_free(g);
}

static void test_qwen3moe(void **state)
{
	(void)state;
	need_vocab();
	halo_hparams hp = small("qwen3moe", 3);
	halo_synth_info info;
	halo_gguf *g = write_twin(&hp, "qwen3moe.gguf", HALO_GGML_Q4_0, &info);
	assert_int_equal(get_u64(g, "qwen3moe.rope.dimension_count"), 32);
	assert_null(halo_gguf_get(g, "qwen3moe.rope.dimension_sections"));
	expect_tensor(g, "blk.2.attn_q.weight", HALO_GGML_Q4_0, 128, 128, 1);
	expect_tensor(g, "blk.2.attn_k_norm.weight", HALO_GGML_F32, 32, 1, 1);
	expect_tensor(g, "blk.2.ffn_norm.weight", HALO_GGML_F32, 128, 1, 1);
	expect_tensor(g, "blk.2.ffn_gate_inp.weight", HALO_GGML_F32, 128, 4, 1);
	expect_tensor(g, "blk.2.ffn_gate_exps.weight", HALO_GGML_Q4_0, 128, 64, 4);
	expect_tensor(g, "blk.2.ffn_down_exps.weight", HALO_GGML_Q4_0, 64, 128, 4);
	expect_tensor(g, "token_embd.weight", HALO_GGML_Q4_0, 128, 32000, 1);
	assert_int_equal(g->n_tensors, 3 + 3 * 12);
	assert_int_equal(get_u64(g, "general.file_type"), 2);
	halo_gguf_free(g);

	/* rows that are not whole blocks fall back to F16, as llama-quantize */
	halo_synth_scale s = HALO_SYNTH_SCALE_INIT;
	s.n_ff_exp = 48;
	check_ok(halo_synth_scale_hparams(&hp, &s));
	g = write_twin(&hp, "qwen3moe-48.gguf", HALO_GGML_Q4_0, &info);
	expect_tensor(g, "blk.0.ffn_down_exps.weight", HALO_GGML_F16, 48, 128, 4);
	expect_tensor(g, "blk.0.ffn_up_exps.weight", HALO_GGML_Q4_0, 128, 48, 4);
	halo_gguf_free(g);
}

static void test_gemma3(void **state)
{
	(void)state;
	need_vocab();
	halo_hparams hp = small("gemma3", 8);
	halo_synth_info info;
	assert_string_equal(map_of(&hp), "SSSSSASS");
	halo_gguf *g = write_twin(&hp, "gemma3.gguf", HALO_GGML_BF16, &info);
	assert_true(info.tied);
	assert_int_equal(get_u64(g, "gemma3.attention.sliding_window"), 1024);
	assert_true(get_f64(g, "gemma3.rope.freq_base_swa") == 1e4);
	assert_true(get_f64(g, "gemma3.rope.freq_base") == 1e6);
	expect_no_tensor(g, "output.weight");
	expect_tensor(g, "token_embd.weight", HALO_GGML_BF16, 128, 32000, 1);
	expect_tensor(g, "blk.5.post_ffw_norm.weight", HALO_GGML_F32, 128, 1, 1);
	expect_tensor(g, "blk.5.post_attention_norm.weight", HALO_GGML_F32, 128, 1, 1);
	expect_tensor(g, "blk.5.ffn_down.weight", HALO_GGML_BF16, 256, 128, 1);
	assert_int_equal(g->n_tensors, 2 + 8 * 13);
	assert_int_equal(get_u64(g, "general.file_type"), 32);
	halo_gguf_free(g);

	/* a window without SWA layers, or a pattern llama.cpp would not derive */
	halo_synth_opts o = HALO_SYNTH_OPTS_INIT;
	o.vocab_path = vocab;
	hp.layer_kind[1] = HALO_LAYER_ATTENTION;
	assert_int_equal(halo_synth_describe(&hp, &o, &info), HALO_EUNSUPPORTED);
	assert_non_null(strstr(halo_error_last()->message, "period of 6"));
}

static void test_llama_f32_and_tied(void **state)
{
	(void)state;
	need_vocab();
	halo_hparams hp = small("llama", 2);
	halo_synth_info info;
	halo_gguf *g = write_twin(&hp, "llama.gguf", HALO_GGML_F32, &info);
	assert_int_equal(g->n_tensors, 3 + 2 * 9);
	expect_tensor(g, "blk.1.ffn_up.weight", HALO_GGML_F32, 128, 256, 1);
	assert_int_equal(get_u64(g, "llama.rope.dimension_count"), 32);
	assert_true(get_f64(g, "llama.rope.freq_base") == 5e5);
	halo_gguf_free(g);

	halo_synth_opts o = HALO_SYNTH_OPTS_INIT;
	o.vocab_path = vocab;
	o.output = HALO_SYNTH_OUTPUT_TIED;
	check_ok(halo_synth_describe(&hp, &o, &info));
	assert_true(info.tied);
	assert_int_equal(info.n_tensors, 2 + 2 * 9);
}

/* Same seed, same bytes, whatever the chunks; another seed, other bytes. */
static void test_deterministic(void **state)
{
	(void)state;
	need_vocab();
	const uint32_t types[] = { HALO_GGML_F16, HALO_GGML_Q8_0, HALO_GGML_Q4_0, HALO_GGML_BF16 };
	halo_hparams hp = small("qwen35moe", 4);
	for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		halo_synth_opts o = HALO_SYNTH_OPTS_INIT;
		halo_synth_info i1, i2, i3;
		o.type = types[k];
		o.vocab_path = vocab;
		o.seed = 7;
		o.chunk_size = 4097; /* odd: cuts through elements and blocks */
		check_ok(halo_synth_write(&hp, path("a.gguf"), &o, &i1));
		o.chunk_size = 0;
		check_ok(halo_synth_write(&hp, path("b.gguf"), &o, &i2));
		o.seed = 8;
		check_ok(halo_synth_write(&hp, path("c.gguf"), &o, &i3));
		size_t la, lb, lc;
		unsigned char *a = slurp(path("a.gguf"), &la), *b = slurp(path("b.gguf"), &lb),
			      *c = slurp(path("c.gguf"), &lc);
		assert_int_equal(la, i1.file_size);
		assert_int_equal(la, lb);
		assert_true(memcmp(a, b, la) == 0);
		assert_int_equal(la, lc);
		/* headers differ only in halo.synth.seed; the weights everywhere */
		size_t diff = 0;
		for (size_t i = i1.data_offset; i < la; i++)
			diff += a[i] != c[i];
		assert_true(diff > (la - i1.data_offset) / 4);
		free(a);
		free(b);
		free(c);
	}
}

static void test_pad_vocab(void **state)
{
	(void)state;
	need_vocab();
	halo_hparams hp = small("qwen35", 4);
	hp.n_vocab = 32100;
	halo_synth_opts o = HALO_SYNTH_OPTS_INIT;
	halo_synth_info info;
	o.vocab_path = vocab;
	o.pad_vocab = true;
	check_ok(halo_synth_write(&hp, path("pad.gguf"), &o, &info));
	assert_int_equal(info.hp.n_vocab, 32100);
	halo_gguf *g = open_twin(path("pad.gguf"));
	const halo_gguf_value *tok = halo_gguf_get(g, "tokenizer.ggml.tokens");
	const halo_gguf_value *type = halo_gguf_get(g, "tokenizer.ggml.token_type");
	const halo_gguf_value *scores = halo_gguf_get(g, "tokenizer.ggml.scores");
	assert_int_equal(tok->arr.n, 32100);
	assert_string_equal(tok->arr.strs[31999].ptr, "\xe7\xbb\x99"); /* the last real token */
	assert_string_equal(tok->arr.strs[32000].ptr, "[PAD32000]");
	assert_string_equal(tok->arr.strs[32099].ptr, "[PAD32099]");
	assert_int_equal(type->arr.n, 32100);
	assert_int_equal(type->arr.values[32050].i64, 5); /* unused */
	assert_int_equal(type->arr.values[0].i64, 2);     /* <unk> kept */
	assert_true(scores->arr.values[32099].f64 == -1000.0);
	expect_tensor(g, "token_embd.weight", HALO_GGML_F16, 128, 32100, 1);
	halo_hparams back;
	check_ok(halo_hparams_from_gguf(&back, g));
	assert_int_equal(back.n_vocab, 32100);
	halo_gguf_free(g);

	/* padding never shrinks: a smaller model vocabulary keeps the tokenizer's */
	hp.n_vocab = 1000;
	check_ok(halo_synth_describe(&hp, &o, &info));
	assert_int_equal(info.hp.n_vocab, 32000);
}

/* Full-size layouts: the real files' sizes, with the Qwen3.5 tokenizer
 * padded to the published 248320 rows (no data is written). */
static void test_full_size_layout(void **state)
{
	(void)state;
	need_vocab();
	halo_hparams hp;
	halo_synth_opts o = HALO_SYNTH_OPTS_INIT;
	halo_synth_info info;
	o.vocab_path = vocab_q35;
	o.pad_vocab = true;
	o.type = HALO_GGML_BF16;
	check_ok(halo_synth_arch_defaults("qwen35moe", &hp, NULL));
	check_ok(halo_synth_describe(&hp, &o, &info));
	/* Qwen3.5-35B-A3B: 34.66 B parameters, BF16 file 69.4 GB on Hugging Face */
	assert_int_equal(info.n_params, 34660610688ull);
	assert_true(info.file_size > 69350000000ull && info.file_size < 69450000000ull);
	assert_int_equal(info.n_tensors, 733);
}

static void test_errors(void **state)
{
	(void)state;
	need_vocab();
	halo_hparams hp = small("qwen35moe", 4);
	halo_synth_opts o = HALO_SYNTH_OPTS_INIT;
	halo_synth_info info;

	o.vocab_path = path("missing-vocab.gguf");
	assert_int_equal(halo_synth_write(&hp, path("none.gguf"), &o, &info), HALO_ENOTFOUND);
	assert_int_not_equal(access(path("none.gguf"), F_OK), 0);
	o.vocab_path = NULL;
	assert_int_equal(halo_synth_describe(&hp, &o, &info), HALO_EUSAGE);
	o.vocab_path = vocab;
	o.type = HALO_GGML_Q4_K;
	assert_int_equal(halo_synth_describe(&hp, &o, &info), HALO_EUNSUPPORTED);
	assert_non_null(strstr(halo_error_last()->message, "'Q4_K'"));
	o.type = HALO_GGML_F16;
	o.version = 99;
	assert_int_equal(halo_synth_describe(&hp, &o, &info), HALO_EUSAGE);
	o.version = HALO_SYNTH_OPTS_VERSION;

	halo_hparams bad = hp;
	strcpy(bad.arch, "mamba");
	assert_int_equal(halo_synth_describe(&bad, &o, &info), HALO_EUNSUPPORTED);
	bad = hp;
	bad.n_layer_nextn = 1;
	assert_int_equal(halo_synth_describe(&bad, &o, &info), HALO_EUNSUPPORTED);
	assert_non_null(strstr(halo_error_last()->message, "mtp"));
	bad = hp;
	bad.n_expert_used = 5;
	assert_int_equal(halo_synth_describe(&bad, &o, &info), HALO_EUSAGE);
	bad = hp;
	bad.layer_kind[0] = HALO_LAYER_ATTENTION; /* not one attention layer every n */
	assert_int_equal(halo_synth_describe(&bad, &o, &info), HALO_EUNSUPPORTED);
	bad = hp;
	bad.head_dim_k = bad.head_dim_v = 24; /* a quarter is 6: no 3 rope sections */
	assert_int_equal(halo_synth_describe(&bad, &o, &info), HALO_EUSAGE);
	bad = hp;
	bad.ssm_d_inner = 100;
	assert_int_equal(halo_synth_describe(&bad, &o, &info), HALO_EUNSUPPORTED);
	bad = hp;
	bad.n_ctx_train = 0;
	assert_int_equal(halo_synth_describe(&bad, &o, &info), HALO_EUSAGE);
	bad = hp;
	bad.n_head_kv[2] = 1;
	assert_int_equal(halo_synth_describe(&bad, &o, &info), HALO_EUNSUPPORTED);

	halo_hparams dense = small("llama", 2);
	dense.n_expert = 4;
	assert_int_equal(halo_synth_describe(&dense, &o, &info), HALO_EUNSUPPORTED);
	dense = small("llama", 2);
	dense.layer_kind[0] = HALO_LAYER_SWA;
	dense.n_swa = 128;
	assert_int_equal(halo_synth_describe(&dense, &o, &info), HALO_EUNSUPPORTED);

	/* a file that is not a tokenizer */
	o.vocab_path = path("qwen35moe.gguf");
	test_write_file(path("empty.gguf"), "GGUF\3\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24);
	o.vocab_path = path("empty.gguf");
	assert_int_equal(halo_synth_describe(&hp, &o, &info), HALO_EFORMAT);
	assert_non_null(strstr(halo_error_last()->message, "no tokenizer"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scale_keeps_patterns),
		cmocka_unit_test(test_defaults_and_arch_table),
		cmocka_unit_test(test_qwen35moe),
		cmocka_unit_test(test_qwen35_dense),
		cmocka_unit_test(test_qwen3moe),
		cmocka_unit_test(test_gemma3),
		cmocka_unit_test(test_llama_f32_and_tied),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_pad_vocab),
		cmocka_unit_test(test_full_size_layout),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
