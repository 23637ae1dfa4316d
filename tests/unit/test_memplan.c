/*
 * memplan: the KV cache, recurrent state, output buffer and weight split,
 * against figures worked out by hand from the pinned llama.cpp's code.
 * (The comparison with llama.cpp's own log lines on real runs lives in the
 * end-to-end proof tests.)
 */
#include "testutil.h"

#include "catalog.h"
#include "error.h"
#include "ggml_type.h"
#include "gguf.h"
#include "gguf_write.h"
#include "memplan.h"

#include <stdlib.h>
#include <string.h>

#define MiB (1024ull * 1024)


static const halo_hparams *model(const char *id)
{
	const halo_model *m = halo_catalog_find(&test_catalog, id);
	assert_non_null(m);
	return &m->hp;
}

static void test_kv_qwen35_hybrid(void **state)
{
	(void)state;
	const halo_hparams *hp = model("qwen3.5-35b-a3b");
	halo_memplan_opts o = HALO_MEMPLAN_OPTS_INIT;
	halo_kv_plan kv;

	/* native context, f16: 10 attention layers x 2 x (2 heads x 256) x 2 bytes x 262144 = 5 GiB */
	assert_int_equal(halo_memplan_kv(hp, &o, &kv), 0);
	assert_int_equal(kv.n_ctx, 262144);
	assert_int_equal(kv.cells, 262144);
	assert_int_equal(kv.n_layers, 10);
	assert_int_equal(kv.k_bytes, 10ull * 512 * 2 * 262144);
	assert_int_equal(kv.total, 5ull << 30);

	/* q8_0: 512 elements = 16 blocks of 34 bytes */
	o.type_k = o.type_v = HALO_GGML_Q8_0;
	o.n_ctx = 100000; /* padded to 100096 */
	assert_int_equal(halo_memplan_kv(hp, &o, &kv), 0);
	assert_int_equal(kv.n_ctx, 100096);
	assert_int_equal(kv.total, 2ull * 10 * 16 * 34 * 100096);

	/* q4_0 K with f16 V */
	o.type_k = HALO_GGML_Q4_0;
	o.type_v = HALO_GGML_F16;
	assert_int_equal(halo_memplan_kv(hp, &o, &kv), 0);
	assert_int_equal(kv.k_bytes, 10ull * 16 * 18 * 100096);
	assert_int_equal(kv.v_bytes, 10ull * 512 * 2 * 100096);
}

static void test_kv_sequences(void **state)
{
	(void)state;
	const halo_hparams *hp = model("qwen3-coder-30b-a3b");
	halo_memplan_opts o = HALO_MEMPLAN_OPTS_INIT;
	halo_kv_plan kv;
	uint64_t row = 4 * 128 * 2; /* 4 kv heads x 128 dims, f16 */

	/* 4 streams: 10000 -> 10240, 2560 cells per sequence */
	o.n_ctx = 10000;
	o.n_seq = 4;
	assert_int_equal(halo_memplan_kv(hp, &o, &kv), 0);
	assert_int_equal(kv.n_ctx, 10240);
	assert_int_equal(kv.n_ctx_seq, 2560);
	assert_int_equal(kv.n_stream, 4);
	assert_int_equal(kv.total, 48ull * 2 * row * 2560 * 4);
	/* 3 streams: 10240 / 3 = 3413 -> 3584 per sequence, 10752 in all */
	o.n_seq = 3;
	assert_int_equal(halo_memplan_kv(hp, &o, &kv), 0);
	assert_int_equal(kv.n_ctx_seq, 3584);
	assert_int_equal(kv.n_ctx, 10752);
	assert_int_equal(kv.total, 48ull * 2 * row * 3584 * 3);
	/* unified: one stream of the whole context (llama-server's default) */
	o.kv_unified = true;
	o.n_seq = 4;
	assert_int_equal(halo_memplan_kv(hp, &o, &kv), 0);
	assert_int_equal(kv.n_stream, 1);
	assert_int_equal(kv.cells, 10240);
	assert_int_equal(kv.total, 48ull * 2 * row * 10240);
	/* errors */
	o.n_seq = 0;
	assert_int_equal(halo_memplan_kv(hp, &o, &kv), HALO_EUSAGE);
	o.n_seq = 1;
	o.n_ctx = 5000000000ull;
	assert_int_equal(halo_memplan_kv(hp, &o, &kv), HALO_EUSAGE);
}

static halo_hparams swa_model(void)
{
	halo_hparams hp;
	memset(&hp, 0, sizeof(hp));
	strcpy(hp.arch, "gemma3");
	hp.n_layer = 12;
	hp.n_embd = 1024;
	hp.n_vocab = 262144;
	hp.n_ctx_train = 32768;
	hp.head_dim_k = hp.head_dim_v = 256;
	hp.n_swa = 1024;
	halo_hparams_set_heads(&hp, 8, 4);
	for (uint32_t i = 0; i < 12; i++)
		hp.layer_kind[i] = i % 6 < 5 ? HALO_LAYER_SWA : HALO_LAYER_ATTENTION;
	return hp;
}

static void test_kv_sliding_window(void **state)
{
	(void)state;
	halo_hparams hp = swa_model();
	halo_memplan_opts o = HALO_MEMPLAN_OPTS_INIT;
	halo_kv_plan kv;
	uint64_t row = 4 * 256 * 2;

	o.n_ctx = 8192;
	assert_int_equal(halo_memplan_kv(&hp, &o, &kv), 0);
	/* SWA cells: min(8192, 1024 + 512) padded to 256 = 1536 */
	assert_int_equal(kv.swa_cells, 1536);
	assert_int_equal(kv.n_swa_layers, 10);
	assert_int_equal(kv.n_layers, 2);
	assert_int_equal(kv.k_bytes, 2 * row * 8192);
	assert_int_equal(kv.swa_k_bytes, 10 * row * 1536);
	/* unified with 4 sequences: the window of each, 4 x 1024 + 512 = 4608 */
	o.kv_unified = true;
	o.n_seq = 4;
	assert_int_equal(halo_memplan_kv(&hp, &o, &kv), 0);
	assert_int_equal(kv.swa_cells, 4608);
	/* a small ubatch and batch shrink it: 4 x 1024 + 100 -> 4352 */
	o.n_ubatch = 100;
	assert_int_equal(halo_memplan_kv(&hp, &o, &kv), 0);
	assert_int_equal(kv.swa_cells, 4352);
	/* never more than the context; --swa-full keeps it all */
	o.n_ctx = 2048;
	assert_int_equal(halo_memplan_kv(&hp, &o, &kv), 0);
	assert_int_equal(kv.swa_cells, 2048);
	o.swa_full = true;
	o.n_ctx = 8192;
	assert_int_equal(halo_memplan_kv(&hp, &o, &kv), 0);
	assert_int_equal(kv.swa_cells, 8192);
}

static void test_kv_without_flash_attention(void **state)
{
	(void)state;
	halo_hparams hp = swa_model();
	halo_memplan_opts o = HALO_MEMPLAN_OPTS_INIT;
	halo_kv_plan kv;
	/* layers of different widths: transposed V is sized at the widest row */
	hp.n_head_kv[11] = 8;
	o.n_ctx = 4096;
	o.flash_attn = true;
	assert_int_equal(halo_memplan_kv(&hp, &o, &kv), 0);
	assert_int_equal(kv.v_bytes, (4ull * 256 * 2 + 8ull * 256 * 2) * 4096);
	o.flash_attn = false;
	assert_int_equal(halo_memplan_kv(&hp, &o, &kv), 0);
	assert_int_equal(kv.v_bytes, 2 * (8ull * 256 * 2) * 4096);
	/* a head dim that is not whole q4_0 blocks is refused, as llama.cpp does */
	hp.head_dim_k = 80;
	hp.n_head_kv[11] = 1;
	halo_hparams_set_heads(&hp, 1, 1);
	o.type_k = HALO_GGML_Q4_0;
	assert_int_equal(halo_memplan_kv(&hp, &o, &kv), HALO_EFORMAT);
}

static void test_recurrent_and_output(void **state)
{
	(void)state;
	const halo_hparams *hp = model("qwen3.5-35b-a3b");
	halo_memplan_opts o = HALO_MEMPLAN_OPTS_INIT;
	halo_recurrent_plan r;
	halo_memplan_recurrent(hp, &o, &r);
	/* 30 layers x f32 x (conv 3 x 8192 + state 128 x 4096): 62.81 MiB, as llama.cpp prints */
	assert_int_equal(r.rows, 1);
	assert_int_equal(r.r_bytes, 30ull * 24576 * 4);
	assert_int_equal(r.s_bytes, 30ull * 524288 * 4);
	assert_int_equal((r.total * 100 + MiB / 2) / MiB, 6281);
	o.n_seq = 4;
	o.n_rs_seq = 3;
	halo_memplan_recurrent(hp, &o, &r);
	assert_int_equal(r.rows, 16);
	assert_int_equal(r.total, 16ull * 30 * (24576 + 524288) * 4);
	halo_memplan_recurrent(model("qwen3-coder-30b-a3b"), &o, &r);
	assert_int_equal(r.total, 0);
	assert_int_equal(halo_memplan_output(hp, &o), 248320ull * 4 * 4);
}

/* A tiny model's tensors, written and read back, to check the weight split. */
static halo_gguf *tiny_model(bool tied)
{
	halo_gguf_writer *w;
	halo_buf b = HALO_BUF_INIT;
	halo_gguf *g;
	uint64_t ne[2] = { 256, 1000 };
	assert_int_equal(halo_gguf_writer_new(&w, 3), 0);
	assert_int_equal(halo_gguf_writer_add_tensor(w, "token_embd.weight", 2, ne, HALO_GGML_Q8_0, NULL), 0);
	if (!tied)
		assert_int_equal(halo_gguf_writer_add_tensor(w, "output.weight", 2, ne, HALO_GGML_Q8_0, NULL), 0);
	uint64_t nn[1] = { 256 };
	assert_int_equal(halo_gguf_writer_add_tensor(w, "output_norm.weight", 1, nn, HALO_GGML_F32, NULL), 0);
	for (int il = 0; il < 5; il++) { /* 4 layers + 1 MTP layer */
		char name[64];
		uint64_t e[3] = { 256, 64, 8 };
		snprintf(name, sizeof(name), "blk.%d.attn_norm.weight", il);
		assert_int_equal(halo_gguf_writer_add_tensor(w, name, 1, nn, HALO_GGML_F32, NULL), 0);
		snprintf(name, sizeof(name), "blk.%d.ffn_up_exps.weight", il);
		assert_int_equal(halo_gguf_writer_add_tensor(w, name, 3, e, HALO_GGML_Q4_0, NULL), 0);
	}
	assert_int_equal(halo_gguf_writer_write_buf(w, &b, NULL), 0);
	assert_int_equal(halo_gguf_parse_buffer(&g, b.ptr, b.len, "tiny.gguf", NULL), 0);
	halo_gguf_writer_free(w);
	halo_buf_free(&b);
	return g;
}

static void test_weights(void **state)
{
	(void)state;
	halo_hparams hp;
	memset(&hp, 0, sizeof(hp));
	hp.n_layer = 4;
	hp.n_layer_nextn = 1;
	const uint64_t embd = 1000 * 8 * 34, norm = 256 * 4, exps = 64 * 8 * 8 * 18;
	halo_memplan_opts o = HALO_MEMPLAN_OPTS_INIT;
	halo_weights_plan w;

	halo_gguf *g = tiny_model(false);
	/* everything offloaded: only the input layer is on the CPU, MTP layer skipped */
	assert_int_equal(halo_memplan_weights(g, &hp, &o, &w), 0);
	assert_int_equal(w.cpu_mapped, embd);
	assert_int_equal(w.gpu, embd + norm + 4 * (norm + exps));
	assert_int_equal(w.skipped, norm + exps);
	assert_int_equal(w.gpu_layers, 4);
	/* -ngl 3 of 6 slots (4 layers, MTP, output): the output, the MTP slot and layer 3 */
	o.n_gpu_layers = 3;
	assert_int_equal(halo_memplan_weights(g, &hp, &o, &w), 0);
	assert_int_equal(w.gpu_layers, 1);
	assert_int_equal(w.gpu, embd + norm + (norm + exps));
	/* --cpu-moe with no mmap: experts in anonymous CPU memory */
	o.n_gpu_layers = -1;
	o.n_cpu_moe = -1;
	o.mmap = false;
	assert_int_equal(halo_memplan_weights(g, &hp, &o, &w), 0);
	assert_int_equal(w.cpu, embd + 4 * exps);
	assert_int_equal(w.gpu, embd + norm + 4 * norm);
	/* --n-cpu-moe 1: only layer 0's experts */
	o.n_cpu_moe = 1;
	assert_int_equal(halo_memplan_weights(g, &hp, &o, &w), 0);
	assert_int_equal(w.cpu, embd + exps);
	/* no GPU at all */
	o.has_gpu = false;
	o.mmap = true;
	assert_int_equal(halo_memplan_weights(g, &hp, &o, &w), 0);
	assert_int_equal(w.gpu, 0);
	assert_int_equal(w.cpu_mapped, embd * 2 + norm + 4 * (norm + exps));
	halo_gguf_free(g);

	/* tied embeddings: the output layer on the GPU gets a copy */
	g = tiny_model(true);
	o = (halo_memplan_opts)HALO_MEMPLAN_OPTS_INIT;
	assert_int_equal(halo_memplan_weights(g, &hp, &o, &w), 0);
	assert_int_equal(w.duplicated, embd);
	assert_int_equal(w.gpu, embd + norm + 4 * (norm + exps));
	halo_gguf_free(g);
}

static void test_compute_terms(void **state)
{
	(void)state;
	const halo_hparams *hp = model("qwen3.5-35b-a3b");
	halo_memplan_opts o = HALO_MEMPLAN_OPTS_INIT;
	halo_kv_plan kv;
	halo_compute_plan c;
	o.n_ctx = 65536;
	assert_int_equal(halo_memplan_kv(hp, &o, &kv), 0);
	halo_memplan_compute(hp, &o, &kv, &c);
	assert_int_equal(c.logits, 248320ull * 512 * 4);
	assert_true(c.gpu >= c.logits);
	/* without flash attention the KQ matrix over the context dominates and grows with it */
	o.flash_attn = false;
	halo_memplan_compute(hp, &o, &kv, &c);
	assert_int_equal(c.attention, 16ull * 65536 * 512 * 4);
	assert_true(c.gpu > c.attention);
	o.has_gpu = false;
	halo_memplan_compute(hp, &o, &kv, &c);
	assert_int_equal(c.gpu, 0);
	assert_true(c.cpu > c.attention);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kv_qwen35_hybrid),
		cmocka_unit_test(test_kv_sequences),
		cmocka_unit_test(test_kv_sliding_window),
		cmocka_unit_test(test_kv_without_flash_attention),
		cmocka_unit_test(test_recurrent_and_output),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_compute_terms),
	};
	return cmocka_run_group_tests(tests, test_catalog_setup, test_catalog_teardown);
}
