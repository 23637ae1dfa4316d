/*
 * plan: adding up a configuration against a machine's limits and solving
 * the largest context that fits.
 */
#include "testutil.h"

#include "catalog.h"
#include "error.h"
#include "ggml_type.h"
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#define GiB (1024ull * 1024 * 1024)


/* llama-server's defaults: 4 slots sharing one unified cache. */
static halo_memplan_opts server_opts(void)
{
	halo_memplan_opts o = HALO_MEMPLAN_OPTS_INIT;
	o.n_seq = 4;
	o.kv_unified = true;
	o.mmap = false;
	return o;
}

static const halo_plan_machine strix64 = { 64 * GiB, 32 * GiB, true, 4 * GiB };

static void test_weights_estimate(void **state)
{
	(void)state;
	const halo_model *m = halo_catalog_find(&test_catalog, "qwen3.5-35b-a3b");
	const halo_quant *q = halo_catalog_find_quant(m, "UD-Q4_K_XL");
	halo_memplan_opts o = server_opts();
	halo_weights_plan w;
	halo_plan_weights_estimate(&m->hp, m->params_total, q->size_bytes, &o, &w);
	/* all of it somewhere, the embedding (248320 x 2048 of 35e9 parameters) on the CPU */
	assert_int_equal(w.gpu + w.cpu + w.cpu_mapped, q->size_bytes);
	uint64_t embd = (uint64_t)(q->size_bytes * (248320.0 * 2048 / m->params_total));
	assert_true(w.cpu >= embd && w.cpu <= embd + 40); /* + rounding of the per-layer split */
	assert_int_equal(w.gpu_layers, 40);
	/* --cpu-moe moves most of the layer weight to the CPU */
	o.n_cpu_moe = -1;
	halo_weights_plan moe;
	halo_plan_weights_estimate(&m->hp, m->params_total, q->size_bytes, &o, &moe);
	assert_true(moe.gpu < w.gpu / 4);
	assert_int_equal(moe.gpu + moe.cpu, q->size_bytes);
	/* no GPU: the whole file, mapped */
	o.has_gpu = false;
	o.mmap = true;
	halo_plan_weights_estimate(&m->hp, m->params_total, q->size_bytes, &o, &w);
	assert_int_equal(w.cpu_mapped, q->size_bytes);
}

static void test_top_pick_on_64gb(void **state)
{
	(void)state;
	const halo_model *m = halo_catalog_find(&test_catalog, "qwen3.5-35b-a3b");
	halo_memplan_opts o = server_opts();
	halo_server_opts srv = HALO_SERVER_OPTS_INIT;
	halo_weights_plan w;
	halo_plan_result r;
	uint64_t n_ctx;

	/* UD-Q4_K_XL: the whole native context fits in a 32 GiB GTT pool */
	const halo_quant *q = halo_catalog_find_quant(m, "UD-Q4_K_XL");
	halo_plan_weights_estimate(&m->hp, m->params_total, q->size_bytes, &o, &w);
	assert_int_equal(halo_plan_max_context(&m->hp, &w, &o, &srv, &strix64, 0, &n_ctx, &r), 0);
	assert_int_equal(n_ctx, 262144);
	assert_true(r.fits);
	assert_int_equal(r.binding, HALO_LIMIT_CONTEXT);
	assert_int_equal(r.kv.total, 5 * GiB);
	assert_int_equal(r.recurrent.rows, 4);
	/* on an APU the GPU buffers are RAM too */
	assert_int_equal(r.ram_total, r.host_total + r.gpu_total);
	/* 32 checkpoints x 4 slots x one sequence's recurrent state, and the 8 GiB prompt cache */
	assert_int_equal(r.checkpoints, 32ull * 4 * 30 * (24576 + 524288) * 4);
	assert_int_equal(r.ctx_checkpoints, 32);
	assert_int_equal(r.prompt_cache, 8 * GiB);
	/* a hybrid model on a tight machine: fewer checkpoints rather than no plan */
	halo_plan_machine tight = strix64;
	tight.ram_total = r.ram_total - r.checkpoints - r.prompt_cache + tight.headroom + 3 * GiB;
	assert_int_equal(halo_plan_evaluate(&m->hp, &w, &o, &srv, &tight, &r), 0);
	const uint64_t per_checkpoint = 4ull * 30 * (24576 + 524288) * 4; /* one in every slot */
	assert_true(r.fits);
	assert_int_equal(r.ctx_checkpoints, (3 * GiB) / per_checkpoint);
	/* the prompt cache gets the rest, in whole MiB */
	assert_int_equal(r.prompt_cache, (3 * GiB - r.ctx_checkpoints * per_checkpoint) >> 20 << 20);

	/* Q8_0 (36.9 GB) is larger than the pool: nothing fits, the GPU pool binds */
	q = halo_catalog_find_quant(m, "Q8_0");
	halo_plan_weights_estimate(&m->hp, m->params_total, q->size_bytes, &o, &w);
	assert_int_equal(halo_plan_max_context(&m->hp, &w, &o, &srv, &strix64, 0, &n_ctx, &r), 0);
	assert_int_equal(n_ctx, 0);
	assert_false(r.fits);
	assert_int_equal(r.binding, HALO_LIMIT_GPU);
	assert_true(r.over_by > 0);
	/* ...unless the pool is raised (ttm.pages_limit): then RAM is the limit */
	halo_plan_machine raised = strix64;
	raised.gpu_limit = 60 * GiB;
	assert_int_equal(halo_plan_max_context(&m->hp, &w, &o, &srv, &raised, 0, &n_ctx, &r), 0);
	assert_true(n_ctx > 0);
}

static void test_solve_is_tight(void **state)
{
	(void)state;
	const halo_model *m = halo_catalog_find(&test_catalog, "qwen3-coder-30b-a3b");
	halo_memplan_opts o = server_opts();
	halo_server_opts srv = HALO_SERVER_OPTS_INIT;
	halo_weights_plan w;
	halo_plan_result r, next;
	uint64_t n_ctx;
	halo_plan_weights_estimate(&m->hp, m->params_total, 18560000000ull, &o, &w);
	/* a pool 3 GiB over the weights: plain attention at 96 KiB/token f16 limits the context */
	halo_plan_machine tight = { 128 * GiB, w.gpu + 3 * GiB, true, 4 * GiB };
	assert_int_equal(halo_plan_max_context(&m->hp, &w, &o, &srv, &tight, 0, &n_ctx, &r), 0);
	assert_true(n_ctx > 0 && n_ctx < 262144);
	assert_int_equal(n_ctx % 256, 0);
	assert_true(r.fits);
	assert_int_equal(r.binding, HALO_LIMIT_GPU);
	halo_memplan_opts more = o;
	more.n_ctx = n_ctx + 256;
	assert_int_equal(halo_plan_evaluate(&m->hp, &w, &more, &srv, &tight, &next), 0);
	assert_false(next.fits);
	assert_int_equal(next.binding, HALO_LIMIT_GPU);
	/* q8_0 cache: about twice the context */
	halo_memplan_opts q8 = o;
	uint64_t n_ctx_q8;
	q8.type_k = q8.type_v = HALO_GGML_Q8_0;
	assert_int_equal(halo_plan_max_context(&m->hp, &w, &q8, &srv, &tight, 0, &n_ctx_q8, &r), 0);
	assert_true(n_ctx_q8 > n_ctx * 17 / 10);
	/* RAM binds when the pool is large but RAM small */
	halo_plan_machine small = { w.gpu + 6 * GiB, 128 * GiB, true, 0 };
	srv.cache_ram = 0;
	assert_int_equal(halo_plan_max_context(&m->hp, &w, &o, &srv, &small, 0, &n_ctx, &r), 0);
	assert_int_equal(r.binding, HALO_LIMIT_RAM);
	/* checkpoints and the prompt cache are limits: they get what RAM is left, and
	 * only a 2 GiB reserve of them is required */
	halo_server_opts dflt = HALO_SERVER_OPTS_INIT;
	halo_plan_machine snug = { 0, 0, false, 0 };
	halo_memplan_opts cpu = o;
	cpu.has_gpu = false;
	cpu.n_ctx = 4096;
	assert_int_equal(halo_plan_evaluate(&m->hp, &w, &cpu, &dflt, &snug, &r), 0);
	snug.ram_total = r.ram_total - r.checkpoints - r.prompt_cache + (3ull << 30); /* 3 GiB left */
	assert_int_equal(halo_plan_evaluate(&m->hp, &w, &cpu, &dflt, &snug, &r), 0);
	assert_true(r.fits);
	assert_int_equal(r.ctx_checkpoints, 32); /* no recurrent state: checkpoints cost nothing here */
	assert_int_equal(r.prompt_cache, 3ull << 30);
	snug.ram_total -= 2ull << 30; /* 1 GiB left: under the reserve */
	assert_int_equal(halo_plan_evaluate(&m->hp, &w, &cpu, &dflt, &snug, &r), 0);
	assert_false(r.fits);
	assert_int_equal(r.binding, HALO_LIMIT_RAM);
	/* a cap below what fits */
	assert_int_equal(halo_plan_max_context(&m->hp, &w, &o, &srv, &tight, 4096, &n_ctx, &r), 0);
	assert_int_equal(n_ctx, 4096);
	assert_int_equal(r.binding, HALO_LIMIT_CONTEXT);
}

static void test_discrete_gpu(void **state)
{
	(void)state;
	const halo_model *m = halo_catalog_find(&test_catalog, "qwen3.5-9b");
	halo_memplan_opts o = server_opts();
	halo_server_opts srv = HALO_SERVER_OPTS_INIT;
	halo_weights_plan w;
	halo_plan_result r;
	halo_plan_weights_estimate(&m->hp, m->params_total, 6000000000ull, &o, &w);
	/* a 24 GiB card in a 32 GiB desktop: VRAM is not RAM */
	halo_plan_machine desk = { 32 * GiB, 24 * GiB, false, 4 * GiB };
	o.n_ctx = 32768;
	assert_int_equal(halo_plan_evaluate(&m->hp, &w, &o, &srv, &desk, &r), 0);
	assert_int_equal(r.ram_total, r.host_total);
	assert_true(r.fits);
	assert_true(r.gpu_total > w.gpu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weights_estimate),
		cmocka_unit_test(test_top_pick_on_64gb),
		cmocka_unit_test(test_solve_is_tight),
		cmocka_unit_test(test_discrete_gpu),
	};
	return cmocka_run_group_tests(tests, test_catalog_setup, test_catalog_teardown);
}
