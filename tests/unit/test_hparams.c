/*
 * hparams: the layer map, heads and memory costs read from GGUF metadata the
 * way the pinned llama.cpp's per-architecture loaders read them, and the
 * round trip catalog -> GGUF keys -> hparams.
 */
#include "testutil.h"

#include "catalog.h"
#include "error.h"
#include "ggml_type.h"
#include "gguf.h"
#include "gguf_write.h"
#include "hparams.h"

#include <stdlib.h>
#include <string.h>

/* Parses what `w` would write. */
static halo_gguf *parse(halo_gguf_writer *w)
{
	halo_buf b = HALO_BUF_INIT;
	halo_gguf *g = NULL;
	assert_int_equal(halo_gguf_writer_write_buf(w, &b, NULL), 0);
	assert_int_equal(halo_gguf_parse_buffer(&g, b.ptr, b.len, "t.gguf", NULL), 0);
	halo_buf_free(&b);
	halo_gguf_writer_free(w);
	return g;
}

static halo_gguf_writer *base(const char *arch, uint32_t layers, uint32_t heads, uint32_t kv, uint32_t dim)
{
	halo_gguf_writer *w;
	char k[96];
	assert_int_equal(halo_gguf_writer_new(&w, 3), 0);
	assert_int_equal(halo_gguf_writer_add_str(w, "general.architecture", arch), 0);
	snprintf(k, sizeof(k), "%s.block_count", arch);
	assert_int_equal(halo_gguf_writer_add_u32(w, k, layers), 0);
	snprintf(k, sizeof(k), "%s.embedding_length", arch);
	assert_int_equal(halo_gguf_writer_add_u32(w, k, heads * dim), 0);
	snprintf(k, sizeof(k), "%s.attention.head_count", arch);
	assert_int_equal(halo_gguf_writer_add_u32(w, k, heads), 0);
	if (kv) {
		snprintf(k, sizeof(k), "%s.attention.head_count_kv", arch);
		assert_int_equal(halo_gguf_writer_add_u32(w, k, kv), 0);
	}
	return w;
}

static void add_u32(halo_gguf_writer *w, const char *arch, const char *suffix, uint32_t v)
{
	char k[96];
	snprintf(k, sizeof(k), "%s.%s", arch, suffix);
	assert_int_equal(halo_gguf_writer_add_u32(w, k, v), 0);
}

static const char *layer_map(const halo_hparams *hp)
{
	static char map[HALO_MAX_LAYERS + 1];
	for (uint32_t i = 0; i < hp->n_layer; i++)
		map[i] = "ARS"[hp->layer_kind[i]];
	map[hp->n_layer] = '\0';
	return map;
}

static void test_catalog_round_trip(void **state)
{
	(void)state;
	halo_catalog cat = HALO_CATALOG_INIT;
	assert_int_equal(halo_catalog_load_default(&cat, "/nonexistent/but/explicit.conf") != 0, 1);
	halo_catalog_init(&cat);
	assert_int_equal(halo_catalog_load_builtin(&cat), 0);
	for (size_t i = 0; i < cat.n_models; i++) {
		const halo_model *m = &cat.models[i];
		halo_gguf_writer *w;
		halo_hparams back;
		assert_int_equal(halo_gguf_writer_new(&w, 3), 0);
		assert_int_equal(halo_hparams_to_gguf(&m->hp, w), 0);
		halo_gguf *g = parse(w);
		assert_int_equal(halo_hparams_from_gguf(&back, g), 0);
		if (halo_hparams_match(&back, &m->hp))
			fail_msg("%s: %s", m->id, halo_error_last()->message);
		assert_string_equal(layer_map(&back), layer_map(&m->hp));
		assert_int_equal(halo_hparams_recurrent_bytes_per_seq(&back), halo_hparams_recurrent_bytes_per_seq(&m->hp));
		uint64_t f1, s1, f2, s2;
		assert_int_equal(halo_hparams_kv_bytes_per_token(&back, HALO_GGML_F16, HALO_GGML_Q8_0, &f1, &s1), 0);
		assert_int_equal(halo_hparams_kv_bytes_per_token(&m->hp, HALO_GGML_F16, HALO_GGML_Q8_0, &f2, &s2), 0);
		assert_int_equal(f1, f2);
		halo_gguf_free(g);
	}
	/* The numbers behind the planner's headline: Qwen3.5-35B-A3B. */
	const halo_model *m = halo_catalog_find(&cat, "qwen3.5-35b-a3b");
	assert_non_null(m);
	uint64_t full, swa;
	assert_int_equal(halo_hparams_kv_bytes_per_token(&m->hp, HALO_GGML_F16, HALO_GGML_F16, &full, &swa), 0);
	assert_int_equal(full, 10 * 2 * (2 * 256) * 2);
	assert_int_equal(swa, 0);
	/* 262144 tokens of f16 KV: 5 GiB exactly */
	assert_int_equal(full * 262144, 5ull << 30);
	assert_int_equal(halo_hparams_n_embd_r(&m->hp), 3 * (4096 + 2 * 16 * 128));
	assert_int_equal(halo_hparams_n_embd_s(&m->hp), 128 * 4096);
	assert_int_equal(halo_hparams_recurrent_bytes_per_seq(&m->hp), 30ull * 4 * (24576 + 524288));
	halo_catalog_free(&cat);
}

static void test_qwen35_interval_and_explicit_layers(void **state)
{
	(void)state;
	halo_hparams hp;
	/* default interval 4 when the key is absent */
	halo_gguf_writer *w = base("qwen35", 8, 8, 2, 128);
	halo_gguf *g = parse(w);
	assert_int_equal(halo_hparams_from_gguf(&hp, g), 0);
	assert_string_equal(layer_map(&hp), "RRRARRRA");
	halo_gguf_free(g);
	/* an explicit interval */
	w = base("qwen3next", 6, 8, 2, 128);
	add_u32(w, "qwen3next", "full_attention_interval", 3);
	g = parse(w);
	assert_int_equal(halo_hparams_from_gguf(&hp, g), 0);
	assert_string_equal(layer_map(&hp), "RRARRA");
	halo_gguf_free(g);
	/* attention.recurrent_layers wins over the interval */
	w = base("qwen35moe", 4, 8, 2, 128);
	bool flags[4] = { true, false, false, true };
	assert_int_equal(halo_gguf_writer_add_array(w, "qwen35moe.attention.recurrent_layers", HALO_GGUF_BOOL, flags, 4), 0);
	g = parse(w);
	assert_int_equal(halo_hparams_from_gguf(&hp, g), 0);
	assert_string_equal(layer_map(&hp), "RAAR");
	halo_gguf_free(g);
	/* MTP layers are outside the main stack */
	w = base("qwen35", 9, 8, 2, 128);
	add_u32(w, "qwen35", "nextn_predict_layers", 1);
	g = parse(w);
	assert_int_equal(halo_hparams_from_gguf(&hp, g), 0);
	assert_int_equal(hp.n_layer, 8);
	assert_int_equal(hp.n_layer_nextn, 1);
	assert_string_equal(layer_map(&hp), "RRRARRRA");
	halo_gguf_free(g);
}

static void test_sliding_window(void **state)
{
	(void)state;
	halo_hparams hp;
	uint64_t full, swa;
	/* gemma3: SWA only when the file sets a window; period 6 by default */
	halo_gguf_writer *w = base("gemma3", 12, 8, 4, 256);
	add_u32(w, "gemma3", "attention.sliding_window", 1024);
	halo_gguf *g = parse(w);
	assert_int_equal(halo_hparams_from_gguf(&hp, g), 0);
	assert_string_equal(layer_map(&hp), "SSSSSASSSSSA");
	assert_int_equal(hp.n_swa, 1024);
	assert_int_equal(halo_hparams_kv_bytes_per_token(&hp, HALO_GGML_F16, HALO_GGML_F16, &full, &swa), 0);
	assert_int_equal(full, 2 * 2 * (4 * 256) * 2);
	assert_int_equal(swa, 10 * 2 * (4 * 256) * 2);
	halo_gguf_free(g);
	w = base("gemma3", 12, 8, 4, 256);
	g = parse(w);
	assert_int_equal(halo_hparams_from_gguf(&hp, g), 0);
	assert_string_equal(layer_map(&hp), "AAAAAAAAAAAA");
	halo_gguf_free(g);
	/* gemma2: period 2, window 4096 when the key is absent */
	w = base("gemma2", 4, 8, 4, 256);
	g = parse(w);
	assert_int_equal(halo_hparams_from_gguf(&hp, g), 0);
	assert_string_equal(layer_map(&hp), "SASA");
	assert_int_equal(hp.n_swa, 4096);
	halo_gguf_free(g);
	/* an explicit period, and a per-layer pattern */
	w = base("cohere2", 6, 8, 4, 128);
	add_u32(w, "cohere2", "attention.sliding_window", 512);
	add_u32(w, "cohere2", "attention.sliding_window_pattern", 3);
	g = parse(w);
	assert_int_equal(halo_hparams_from_gguf(&hp, g), 0);
	assert_string_equal(layer_map(&hp), "SSASSA");
	halo_gguf_free(g);
	w = base("gemma4", 4, 8, 4, 128);
	add_u32(w, "gemma4", "attention.sliding_window", 512);
	bool pat[4] = { true, false, true, true };
	assert_int_equal(halo_gguf_writer_add_array(w, "gemma4.attention.sliding_window_pattern", HALO_GGUF_BOOL, pat, 4), 0);
	g = parse(w);
	assert_int_equal(halo_hparams_from_gguf(&hp, g), 0);
	assert_string_equal(layer_map(&hp), "SASS");
	halo_gguf_free(g);
	/* an architecture without SWA ignores nothing it does not know */
	w = base("llama", 4, 8, 8, 128);
	g = parse(w);
	assert_int_equal(halo_hparams_from_gguf(&hp, g), 0);
	assert_string_equal(layer_map(&hp), "AAAA");
	assert_int_equal(hp.n_swa, 0);
	halo_gguf_free(g);
}

static void test_recurrent_families(void **state)
{
	(void)state;
	halo_hparams hp;
	/* jamba: layers without KV heads are recurrent */
	halo_gguf_writer *w = base("jamba", 4, 8, 0, 128);
	uint32_t kv[4] = { 0, 0, 8, 0 };
	assert_int_equal(halo_gguf_writer_add_array(w, "jamba.attention.head_count_kv", HALO_GGUF_UINT32, kv, 4), 0);
	add_u32(w, "jamba", "ssm.conv_kernel", 4);
	add_u32(w, "jamba", "ssm.inner_size", 2048);
	add_u32(w, "jamba", "ssm.state_size", 16);
	halo_gguf *g = parse(w);
	assert_int_equal(halo_hparams_from_gguf(&hp, g), 0);
	assert_string_equal(layer_map(&hp), "RRAR");
	assert_int_equal(hp.n_head_kv[2], 8);
	/* mamba conv state (d_conv - 1) x (inner + 2 x groups x state), here groups 0 */
	assert_int_equal(halo_hparams_n_embd_r(&hp), 3 * 2048);
	assert_int_equal(halo_hparams_n_embd_s(&hp), 16 * 2048);
	assert_int_equal(halo_hparams_recurrent_bytes_per_seq(&hp), 3ull * 4 * (3 * 2048 + 16 * 2048));
	halo_gguf_free(g);
	/* mamba: every layer */
	w = base("mamba", 3, 1, 0, 128);
	g = parse(w);
	assert_int_equal(halo_hparams_from_gguf(&hp, g), 0);
	assert_string_equal(layer_map(&hp), "RRR");
	uint64_t full, swa;
	assert_int_equal(halo_hparams_kv_bytes_per_token(&hp, HALO_GGML_F16, HALO_GGML_F16, &full, &swa), 0);
	assert_int_equal(full + swa, 0);
	halo_gguf_free(g);
}

static void test_errors(void **state)
{
	(void)state;
	halo_hparams hp;
	halo_gguf_writer *w;
	assert_int_equal(halo_gguf_writer_new(&w, 3), 0);
	assert_int_equal(halo_gguf_writer_add_str(w, "general.architecture", "llama"), 0);
	halo_gguf *g = parse(w);
	assert_int_equal(halo_hparams_from_gguf(&hp, g), HALO_EFORMAT);
	assert_non_null(strstr(halo_error_last()->message, "missing key 'llama.block_count'"));
	halo_gguf_free(g);

	assert_int_equal(halo_gguf_writer_new(&w, 3), 0);
	assert_int_equal(halo_gguf_writer_add_u32(w, "general.architecture", 7), 0);
	g = parse(w);
	assert_int_equal(halo_hparams_from_gguf(&hp, g), HALO_EFORMAT);
	assert_non_null(strstr(halo_error_last()->message, "'general.architecture' has type uint32"));
	halo_gguf_free(g);

	w = base("llama", 600, 8, 8, 128);
	g = parse(w);
	assert_int_equal(halo_hparams_from_gguf(&hp, g), HALO_EFORMAT);
	assert_non_null(strstr(halo_error_last()->message, "600 layers"));
	halo_gguf_free(g);

	/* a per-layer array shorter than the stack */
	w = base("qwen35", 4, 8, 0, 128);
	uint32_t kv[2] = { 2, 2 };
	assert_int_equal(halo_gguf_writer_add_array(w, "qwen35.attention.head_count_kv", HALO_GGUF_UINT32, kv, 2), 0);
	g = parse(w);
	assert_int_equal(halo_hparams_from_gguf(&hp, g), HALO_EFORMAT);
	assert_non_null(strstr(halo_error_last()->message, "2 entries for 4 layers"));
	halo_gguf_free(g);

	/* q4_0 needs rows in whole blocks of 32: head dim 80 x 1 head does not divide */
	w = base("llama", 2, 1, 1, 80);
	g = parse(w);
	assert_int_equal(halo_hparams_from_gguf(&hp, g), 0);
	uint64_t full, swa;
	assert_int_equal(halo_hparams_kv_bytes_per_token(&hp, HALO_GGML_Q4_0, HALO_GGML_Q4_0, &full, &swa), HALO_EFORMAT);
	assert_int_equal(halo_hparams_kv_bytes_per_token(&hp, HALO_GGML_F16, HALO_GGML_F16, &full, &swa), 0);
	assert_int_equal(full, 2 * 2 * 80 * 2);
	halo_gguf_free(g);
}

static void test_match(void **state)
{
	(void)state;
	halo_hparams a, b;
	memset(&a, 0, sizeof(a));
	strcpy(a.arch, "qwen35");
	a.n_layer = 8;
	a.n_embd = 1024;
	halo_hparams_set_heads(&a, 8, 2);
	halo_hparams_set_full_attention_interval(&a, 4);
	b = a;
	assert_int_equal(halo_hparams_match(&a, &b), 0);
	b.n_embd = 2048;
	assert_int_equal(halo_hparams_match(&a, &b), HALO_EFORMAT);
	assert_string_equal(halo_error_last()->message, "n_embd: file 1024, catalog 2048");
	b = a;
	halo_hparams_set_full_attention_interval(&b, 2);
	assert_int_equal(halo_hparams_match(&a, &b), HALO_EFORMAT);
	assert_string_equal(halo_error_last()->message, "layer 1 kind: file recurrent, catalog attention");
	b = a;
	strcpy(b.arch, "qwen35moe");
	assert_int_equal(halo_hparams_match(&a, &b), HALO_EFORMAT);
	assert_string_equal(halo_error_last()->message, "architecture: file 'qwen35', catalog 'qwen35moe'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog_round_trip),
		cmocka_unit_test(test_qwen35_interval_and_explicit_layers),
		cmocka_unit_test(test_sliding_window),
		cmocka_unit_test(test_recurrent_families),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
