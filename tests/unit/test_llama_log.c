/* Reading llama.cpp's allocation log lines (real lines of the pinned release). */
#include "testutil.h"

#include "llama_log.h"

#include <string.h>

static const char sample[] =
	"0.00.148.073 I llama_model_loader: loaded meta data with 37 key-value pairs\n"
	"0.00.900.152 I load_tensors: loading model tensors, this can take a while... (load_mode = none)\n"
	"0.00.900.160 I load_tensors:   CPU_Mapped model buffer size =   999.00 MiB\n" /* a fitting pass: dropped */
	"0.01.000.152 I load_tensors: loading model tensors, this can take a while... (load_mode = mmap)\n"
	"0.01.795.493 I load_tensors:   CPU_Mapped model buffer size =   432.10 MiB\n"
	"0.01.795.500 I load_tensors:   CPU_REPACK model buffer size =    10.05 MiB\n"
	"0.01.795.501 I load_tensors:      Vulkan0 model buffer size =  2000.50 MiB\n"
	"0.01.804.244 I llama_context: n_seq_max             = 4\n"
	"0.01.804.251 I llama_context: n_ctx                 = 4096\n"
	"0.01.804.258 I llama_context: n_ctx_seq             = 1024\n"
	"0.01.804.453 I llama_context:        CPU  output buffer size =     0.95 MiB\n"
	"0.01.816.192 I llama_kv_cache: size =   16.00 MiB (  4096 cells,   2 layers,  1/1 seqs), K (f16):    8.00 MiB, V (f16):    8.00 MiB\n"
	"0.01.816.193 I llama_kv_cache: size =    3.00 MiB (  1536 cells,  10 layers,  1/1 seqs), K (f16):    1.50 MiB, V (f16):    1.50 MiB\n"
	"0.01.826.772 I llama_memory_recurrent: size =   12.56 MiB (     1 cells,   8 layers,  1 seqs  0 rs_seq), R (f32):    0.56 MiB\n"
	"0.01.841.731 I sched_reserve:        CPU compute buffer size =   488.00 MiB\n"
	"0.01.841.732 I sched_reserve:    Vulkan0 compute buffer size =   100.25 MiB\n"
	"srv    load_model: model loaded\n";

static void test_parse(void **state)
{
	(void)state;
	halo_llama_measure m;
	halo_llama_log_parse(sample, strlen(sample), &m);
	assert_int_equal(m.model_host, 43210 + 1005);
	assert_int_equal(m.model_device, 200050);
	assert_int_equal(m.kv, 1600 + 300);
	assert_int_equal(m.n_kv_caches, 2);
	assert_true(m.have_recurrent);
	assert_int_equal(m.recurrent, 1256);
	assert_int_equal(m.output, 95);
	assert_int_equal(m.compute_host, 48800);
	assert_int_equal(m.compute_device, 10025);
	assert_int_equal(m.n_ctx, 4096);
	assert_int_equal(m.n_ctx_seq, 1024);
	assert_int_equal(m.n_seq_max, 4);
	assert_true(m.have_context);
	assert_true(m.model_loaded);
	assert_string_equal(m.error, "");
}

static void test_odd_input(void **state)
{
	(void)state;
	halo_llama_measure m;
	static const char odd[] = "llama_kv_cache: size = 12.3 MiB\nllama_kv_cache: size = abc\n"
				  "E failed to load model 'x.gguf'\n\0\0model buffer size = = 1.00 MiB\n";
	halo_llama_log_parse(odd, sizeof(odd) - 1, &m);
	assert_int_equal(m.kv, 0); /* one decimal is not what llama.cpp prints */
	assert_int_equal(m.n_kv_caches, 0);
	assert_non_null(strstr(m.error, "failed to load model"));
	halo_llama_log_parse("", 0, &m);
	assert_false(m.have_context);
}

static void test_centi_mib(void **state)
{
	(void)state;
	assert_int_equal(halo_llama_centi_mib(16ull << 20), 1600);
	assert_int_equal(halo_llama_centi_mib(30ull * 24576 * 4 * 0 + 13172736), 1256); /* 12.5625 MiB prints 12.56 */
	assert_int_equal(halo_llama_centi_mib(993280), 95);                            /* 248320 floats */
	assert_int_equal(halo_llama_centi_mib(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_odd_input),
		cmocka_unit_test(test_centi_mib),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
