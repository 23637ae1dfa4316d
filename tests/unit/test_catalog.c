#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog.h"
#include "error.h"
#include "ggml_type.h"
#include "hparams.h"

/* A complete, minimal model the error cases build on. */
#define TINY                                                                                                     \
	"[model tiny]\n"                                                                                         \
	"kind = dense\n"                                                                                         \
	"arch = llama\n"                                                                                         \
	"layers = 4\n"                                                                                           \
	"hidden = 64\n"                                                                                          \
	"vocab = 100\n"                                                                                          \
	"context = 1024\n"                                                                                       \
	"heads = 4\n"                                                                                            \
	"kv_heads = 2\n"                                                                                         \
	"head_dim = 16\n"                                                                                        \
	"ffn = 128\n"                                                                                            \
	"params = 1M\n"                                                                                          \
	"provider = me\n"                                                                                        \
	"repo = me/tiny-GGUF\n"                                                                                  \
	"file = tiny-{quant}.gguf\n"
/* TINY is 15 lines; the next line of a test text is line 16. */

static const char *const all_ids[] = {
	"qwen3.5-35b-a3b", "qwen3.5-27b", "qwen3.5-122b-a10b", "qwen3.5-9b",
	"qwen3.5-4b", "qwen3.5-2b", "qwen3.5-0.8b", "qwen3-coder-30b-a3b",
};

/* Points XDG_CONFIG_HOME at an empty directory so the tests never read the
 * real user's catalog. */
static const char *isolate_user_config(void)
{
	const char *dir = test_tmpdir("catalog-xdg");
	setenv("XDG_CONFIG_HOME", dir, 1);
	return dir;
}

static void load_default(halo_catalog *cat)
{
	isolate_user_config();
	halo_catalog_init(cat);
	int rc = halo_catalog_load_default(cat, NULL);
	if (rc)
		fail_msg("default catalog: %s", halo_error_last()->message);
}

static const halo_model *must_find(const halo_catalog *cat, const char *id)
{
	const halo_model *m = halo_catalog_find(cat, id);
	if (!m)
		fail_msg("model %s: %s", id, halo_error_last()->message);
	return m;
}

static uint64_t kv_f16(const halo_model *m)
{
	uint64_t full = 0, swa = 0;
	assert_int_equal(halo_hparams_kv_bytes_per_token(&m->hp, HALO_GGML_F16, HALO_GGML_F16, &full, &swa), 0);
	assert_int_equal(swa, 0);
	return full;
}

static void layer_counts(const halo_model *m, uint32_t *attn, uint32_t *rec)
{
	uint32_t swa;
	halo_hparams_layer_counts(&m->hp, attn, rec, &swa);
	assert_int_equal(swa, 0);
}

static void test_default_loads(void **state)
{
	(void)state;
	halo_catalog cat;
	load_default(&cat);
	assert_int_equal(cat.n_models, 8);
	for (size_t i = 0; i < sizeof(all_ids) / sizeof(all_ids[0]); i++) {
		const halo_model *m = must_find(&cat, all_ids[i]);
		assert_string_equal(m->id, all_ids[i]);
		assert_non_null(m->name);
		assert_non_null(m->family);
		/* every model cites the config.json its numbers come from */
		assert_non_null(m->source);
		assert_non_null(strstr(m->source, "huggingface.co/Qwen/"));
		assert_non_null(strstr(m->source, "config.json"));
		assert_string_equal(m->file, HALO_CATALOG_DEFAULT_NAME);
		assert_true(m->params_total > 0 && m->params_active <= m->params_total);
		assert_true(m->n_quants > 0);
		assert_true(m->n_presets > 0);
		for (size_t q = 0; q < m->n_quants; q++) {
			const halo_quant *qu = &m->quants[q];
			assert_non_null(qu->provider);
			assert_non_null(qu->repo);
			assert_true(qu->n_files >= 1);
			assert_true(qu->size_bytes > 0);
			for (size_t f = 0; f < qu->n_files; f++)
				assert_non_null(strstr(qu->files[f], ".gguf"));
			/* Hugging Face splits files over 50 GB */
			if (!qu->size_estimated && qu->size_bytes > 50000000000ull)
				assert_true(qu->n_files > 1);
		}
	}
	halo_catalog_free(&cat);
}

static void test_35b_hparams(void **state)
{
	(void)state;
	halo_catalog cat;
	load_default(&cat);
	const halo_model *m = must_find(&cat, "qwen3.5-35b-a3b");
	const halo_hparams *hp = &m->hp;
	uint32_t attn, rec;

	assert_true(m->moe);
	assert_true(m->hybrid);
	assert_string_equal(hp->arch, "qwen35moe");
	assert_int_equal(hp->n_layer, 40);
	assert_int_equal(hp->n_layer_nextn, 0);
	assert_int_equal(hp->n_embd, 2048);
	assert_int_equal(hp->n_vocab, 248320);
	assert_int_equal(hp->n_ctx_train, 262144);
	assert_int_equal(hp->n_ctx_yarn, 1010000);
	layer_counts(m, &attn, &rec);
	assert_int_equal(attn, 10);
	assert_int_equal(rec, 30);
	assert_int_equal(hp->layer_kind[0], HALO_LAYER_RECURRENT);
	assert_int_equal(hp->layer_kind[3], HALO_LAYER_ATTENTION);
	assert_int_equal(hp->layer_kind[39], HALO_LAYER_ATTENTION);
	assert_int_equal(hp->n_head[3], 16);
	assert_int_equal(hp->n_head_kv[3], 2);
	assert_int_equal(hp->head_dim_k, 256);
	assert_int_equal(hp->head_dim_v, 256);
	/* 10 attention layers * (K + V) * 2 kv heads * 256 * 2 bytes */
	assert_int_equal(kv_f16(m), 10 * 2 * (2 * 256) * 2);
	assert_int_equal(kv_f16(m), 20480);
	/* llama.cpp's qwen35 mapping of the Gated DeltaNet sizes */
	assert_int_equal(hp->ssm_d_conv, 4);
	assert_int_equal(hp->ssm_d_inner, 32 * 128);
	assert_int_equal(hp->ssm_d_state, 128);
	assert_int_equal(hp->ssm_n_group, 16);
	assert_int_equal(hp->ssm_dt_rank, 32);
	assert_int_equal(hp->n_expert, 256);
	assert_int_equal(hp->n_expert_used, 8);
	assert_int_equal(hp->n_expert_shared, 1);
	assert_int_equal(hp->n_ff_exp, 512);
	assert_int_equal(hp->n_ff_shexp, 512);
	assert_int_equal(hp->n_ff, 0);
	assert_true(m->params_total == 35e9 && m->params_active == 3e9);
	halo_catalog_free(&cat);
}

static void test_other_hparams(void **state)
{
	(void)state;
	halo_catalog cat;
	load_default(&cat);
	const halo_model *m;
	uint32_t attn, rec;

	m = must_find(&cat, "qwen3.5-27b");
	assert_false(m->moe);
	assert_true(m->hybrid);
	assert_string_equal(m->hp.arch, "qwen35");
	assert_int_equal(m->hp.n_layer, 64);
	layer_counts(m, &attn, &rec);
	assert_int_equal(attn, 16);
	assert_int_equal(m->hp.n_head_kv[63], 4);
	assert_int_equal(m->hp.n_embd, 5120);
	assert_int_equal(m->hp.n_ff, 17408);
	assert_int_equal(m->hp.ssm_dt_rank, 48);
	assert_int_equal(m->hp.ssm_d_inner, 6144);
	assert_int_equal(m->hp.n_expert, 0);
	assert_int_equal(kv_f16(m), 16 * 2 * (4 * 256) * 2);

	m = must_find(&cat, "qwen3.5-122b-a10b");
	assert_true(m->moe && m->hybrid);
	assert_int_equal(m->hp.n_layer, 48);
	layer_counts(m, &attn, &rec);
	assert_int_equal(attn, 12);
	assert_int_equal(m->hp.n_embd, 3072);
	assert_int_equal(m->hp.n_head[3], 32);
	assert_int_equal(m->hp.n_head_kv[3], 2);
	assert_int_equal(m->hp.ssm_dt_rank, 64);
	assert_int_equal(m->hp.ssm_d_inner, 8192);
	assert_int_equal(m->hp.n_ff_exp, 1024);
	assert_true(halo_model_has_role(m, "stretch"));

	m = must_find(&cat, "qwen3.5-9b");
	assert_int_equal(m->hp.n_layer, 32);
	assert_int_equal(m->hp.n_embd, 4096);
	assert_int_equal(m->hp.n_ff, 12288);
	assert_int_equal(m->hp.ssm_dt_rank, 32);
	assert_true(halo_model_has_role(m, "draft") && halo_model_has_role(m, "small"));
	assert_int_equal(kv_f16(m), 8 * 2 * (4 * 256) * 2);

	m = must_find(&cat, "qwen3.5-4b");
	assert_int_equal(m->hp.n_embd, 2560);
	assert_int_equal(m->hp.n_ff, 9216);
	assert_int_equal(m->hp.ssm_d_inner, 4096);

	m = must_find(&cat, "qwen3.5-2b");
	assert_int_equal(m->hp.n_layer, 24);
	assert_int_equal(m->hp.n_embd, 2048);
	assert_int_equal(m->hp.ssm_dt_rank, 16);
	layer_counts(m, &attn, &rec);
	assert_int_equal(attn, 6);

	m = must_find(&cat, "qwen3.5-0.8b");
	assert_int_equal(m->hp.n_embd, 1024);
	assert_int_equal(m->hp.n_ff, 3584);
	assert_int_equal(m->hp.n_head[0], 8);

	m = must_find(&cat, "qwen3-coder-30b-a3b");
	assert_true(m->moe);
	assert_false(m->hybrid);
	assert_string_equal(m->hp.arch, "qwen3moe");
	assert_int_equal(m->hp.n_layer, 48);
	layer_counts(m, &attn, &rec);
	assert_int_equal(attn, 48);
	assert_int_equal(rec, 0);
	assert_int_equal(m->hp.n_vocab, 151936);
	assert_int_equal(m->hp.head_dim_k, 128);
	assert_int_equal(m->hp.n_expert, 128);
	assert_int_equal(m->hp.n_expert_used, 8);
	assert_int_equal(m->hp.n_ff_exp, 768);
	assert_int_equal(m->hp.ssm_d_inner, 0);
	assert_int_equal(kv_f16(m), 48 * 2 * (4 * 128) * 2);
	assert_true(halo_model_has_role(m, "coding"));
	halo_catalog_free(&cat);
}

static void check_preset(const halo_preset *p, double t, double top_p, int top_k, double min_p, double presence,
			 double repeat, int max_tokens)
{
	assert_non_null(p);
	assert_true(p->temperature == t);
	assert_true(p->top_p == top_p);
	assert_int_equal(p->top_k, top_k);
	assert_true(p->min_p == min_p);
	assert_true(p->presence_penalty == presence);
	assert_true(p->repeat_penalty == repeat);
	assert_int_equal(p->max_tokens, max_tokens);
}

static void test_presets_and_top_pick(void **state)
{
	(void)state;
	halo_catalog cat;
	load_default(&cat);
	const halo_model *top = halo_catalog_top_pick(&cat);
	assert_non_null(top);
	assert_string_equal(top->id, "qwen3.5-35b-a3b");

	for (size_t i = 0; i < 7; i++) {
		const halo_model *m = must_find(&cat, all_ids[i]);
		check_preset(halo_model_find_preset(m, "thinking"), 1.0, 0.95, 20, 0.0, 1.5, 1.0, 32768);
		check_preset(halo_model_find_preset(m, "thinking-coding"), 0.6, 0.95, 20, 0.0, 0.0, 1.0, 32768);
		check_preset(halo_model_find_preset(m, "thinking-long"), 1.0, 0.95, 20, 0.0, 1.5, 1.0, 81920);
		check_preset(halo_model_find_preset(m, "instruct"), 0.7, 0.8, 20, 0.0, 1.5, 1.0, 32768);
	}
	const halo_model *coder = must_find(&cat, "qwen3-coder-30b-a3b");
	check_preset(halo_model_find_preset(coder, "coder"), 0.7, 0.8, 20, 0.0, 0.0, 1.05, 65536);
	assert_null(halo_model_find_preset(coder, "thinking"));
	assert_int_equal(halo_error_last()->code, HALO_ENOTFOUND);
	halo_catalog_free(&cat);
}

static void test_quants(void **state)
{
	(void)state;
	halo_catalog cat;
	load_default(&cat);
	const halo_model *m = must_find(&cat, "qwen3.5-35b-a3b");
	const halo_quant *q;

	q = halo_catalog_find_quant(m, "UD-Q4_K_XL");
	assert_non_null(q);
	assert_string_equal(q->provider, "unsloth");
	assert_string_equal(q->repo, "unsloth/Qwen3.5-35B-A3B-GGUF");
	assert_int_equal(q->n_files, 1);
	assert_string_equal(q->files[0], "Qwen3.5-35B-A3B-UD-Q4_K_XL.gguf");
	assert_int_equal(q->size_bytes, 22200000000ull);
	assert_int_equal(q->size_tolerance, 50000000ull);
	assert_false(q->size_estimated);

	q = halo_catalog_find_quant(m, "BF16");
	assert_non_null(q);
	assert_int_equal(q->n_files, 2);
	assert_string_equal(q->files[0], "BF16/Qwen3.5-35B-A3B-BF16-00001-of-00002.gguf");
	assert_string_equal(q->files[1], "BF16/Qwen3.5-35B-A3B-BF16-00002-of-00002.gguf");
	assert_false(q->parts_estimated);

	/* the same quant name from two providers: plain name gives the first */
	q = halo_catalog_find_quant(m, "Q4_K_M");
	assert_string_equal(q->provider, "unsloth");
	assert_int_equal(q->size_bytes, 22000000000ull);
	q = halo_catalog_find_quant(m, "Q4_K_M@bartowski");
	assert_non_null(q);
	assert_string_equal(q->repo, "bartowski/Qwen_Qwen3.5-35B-A3B-GGUF");
	assert_string_equal(q->files[0], "Qwen_Qwen3.5-35B-A3B-Q4_K_M.gguf");
	assert_int_equal(q->size_bytes, 22290000000ull);
	assert_int_equal(q->size_tolerance, 5000000ull);

	m = must_find(&cat, "qwen3.5-27b");
	q = halo_catalog_find_quant(m, "UD-IQ2_XXS");
	assert_int_equal(q->size_bytes, 8570000000ull);
	assert_int_equal(q->size_tolerance, 5000000ull);
	q = halo_catalog_find_quant(m, "Q4_K_M@bartowski");
	assert_true(q->size_estimated);
	assert_int_equal(q->size_bytes, (uint64_t)(27e9 * 4.85 / 8 + 0.5));
	assert_int_equal(q->size_tolerance, q->size_bytes / 10);

	m = must_find(&cat, "qwen3.5-122b-a10b");
	q = halo_catalog_find_quant(m, "Q4_K_M");
	assert_int_equal(q->n_files, 3);
	assert_string_equal(q->files[2], "Q4_K_M/Qwen3.5-122B-A10B-Q4_K_M-00003-of-00003.gguf");
	assert_int_equal(q->size_bytes, 76500000000ull);
	q = halo_catalog_find_quant(m, "BF16");
	assert_int_equal(q->n_files, 5);
	assert_int_equal(q->size_tolerance, 500000000ull);
	q = halo_catalog_find_quant(m, "q4_k_m@BARTOWSKI");
	assert_int_equal(q->n_files, 2);

	assert_null(halo_catalog_find_quant(m, "Q4_K_M@nobody"));
	assert_null(halo_catalog_find_quant(m, "Q9_K"));
	assert_int_equal(halo_error_last()->code, HALO_ENOTFOUND);
	halo_catalog_free(&cat);
}

static void test_lookups_ignore_case(void **state)
{
	(void)state;
	halo_catalog cat;
	load_default(&cat);
	const halo_model *a = must_find(&cat, "QWEN3.5-35B-A3B");
	assert_string_equal(a->id, "qwen3.5-35b-a3b");
	/* the display name works too */
	assert_ptr_equal(must_find(&cat, "qwen3-coder-30b-a3b-instruct"), must_find(&cat, "qwen3-coder-30b-a3b"));
	assert_ptr_equal(must_find(&cat, "Qwen3.5-27B"), must_find(&cat, "qwen3.5-27b"));
	assert_non_null(halo_catalog_find_quant(a, "ud-q4_k_xl"));
	assert_non_null(halo_model_find_preset(a, "THINKING"));
	assert_true(halo_model_has_role(a, "Top-Pick"));
	assert_false(halo_model_has_role(a, "coding"));
	assert_null(halo_catalog_find(&cat, "qwen3.5-36b"));
	assert_int_equal(halo_error_last()->code, HALO_ENOTFOUND);
	assert_non_null(strstr(halo_error_last()->message, "'qwen3.5-36b'"));
	halo_catalog_free(&cat);
}

/* A file of tests/fixtures/catalog, read whole. */
static char *read_fixture(const char *name, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/fixtures/catalog/%s", test_source_dir(), name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open fixture %s", path);
	char *buf = malloc(1 << 16);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	return buf;
}

static void check_user_file(const halo_catalog *cat, const char *path)
{
	const halo_model *m;
	const halo_quant *q;

	assert_int_equal(cat->n_models, 9);
	m = must_find(cat, "qwen3.5-9b");
	assert_string_equal(m->name, "My 9B");
	assert_string_equal(m->hp.arch, "qwen3");
	assert_int_equal(m->hp.n_layer, 36);
	assert_false(m->hybrid);
	assert_int_equal(m->n_quants, 1);
	assert_int_equal(m->n_presets, 0);
	assert_int_equal(m->n_roles, 0);
	assert_null(m->source);
	assert_string_equal(m->file, path);
	assert_int_equal(m->line, 6);

	m = must_find(cat, "qwen3.5-35b-a3b");
	assert_int_equal(m->hp.n_layer, 40); /* untouched by the extension */
	assert_false(halo_model_has_role(m, "top-pick"));
	assert_true(halo_model_has_role(m, "general"));
	q = halo_catalog_find_quant(m, "Q4_K_M@me");
	assert_non_null(q);
	assert_int_equal(q->size_bytes, 21000000000ull);
	/* restated quant replaced in place, keeping the model's defaults */
	q = halo_catalog_find_quant(m, "UD-Q4_K_XL");
	assert_int_equal(q->size_bytes, 22250000000ull);
	assert_string_equal(q->files[0], "Qwen3.5-35B-A3B-UD-Q4_K_XL.gguf");
	assert_string_equal(q->provider, "unsloth");
	assert_ptr_equal(q, &m->quants[13]);
	check_preset(halo_model_find_preset(m, "thinking"), 0.9, 0.9, 10, 0.0, 0.0, 1.0, 0);
	assert_non_null(halo_model_find_preset(m, "mine"));
	assert_non_null(halo_model_find_preset(m, "instruct"));
	assert_int_equal(m->n_presets, 6);

	m = must_find(cat, "my-model");
	assert_true(m->moe && m->hybrid);
	assert_int_equal(m->hp.layer_kind[0], HALO_LAYER_RECURRENT);
	assert_int_equal(m->hp.layer_kind[1], HALO_LAYER_ATTENTION);
	assert_int_equal(m->hp.layer_kind[4], HALO_LAYER_RECURRENT);
	assert_int_equal(m->hp.layer_kind[5], HALO_LAYER_ATTENTION);
	assert_int_equal(m->hp.layer_kind[7], HALO_LAYER_ATTENTION);
	assert_int_equal(m->hp.ssm_d_inner, 64);
	assert_true(m->params_active == 30e6);
	/* the user's pick, defined last, wins */
	assert_ptr_equal(halo_catalog_top_pick(cat), m);
	/* models stay listed in the order they first appeared */
	for (size_t i = 0; i < 8; i++)
		assert_string_equal(cat->models[i].id, all_ids[i]);
	assert_string_equal(cat->models[8].id, "my-model");
}

static void test_user_override(void **state)
{
	(void)state;
	char path[4096];
	halo_catalog cat;
	size_t len;
	char *user_file = read_fixture("override.conf", &len);

	/* an explicit user file */
	snprintf(path, sizeof(path), "%s/override.conf", test_tmpdir("catalog-user"));
	test_write_file(path, user_file, len);
	isolate_user_config();
	halo_catalog_init(&cat);
	if (halo_catalog_load_default(&cat, path))
		fail_msg("%s", halo_error_last()->message);
	check_user_file(&cat, path);
	halo_catalog_free(&cat);

	/* the same file found through $XDG_CONFIG_HOME/halo/models.conf */
	const char *xdg = isolate_user_config();
	snprintf(path, sizeof(path), "%s/halo", xdg);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/halo/models.conf", xdg);
	test_write_file(path, user_file, len);
	free(user_file);
	char found[4096];
	assert_int_equal(halo_catalog_user_path(found, sizeof(found)), 0);
	assert_string_equal(found, path);
	halo_catalog_init(&cat);
	if (halo_catalog_load_default(&cat, NULL))
		fail_msg("%s", halo_error_last()->message);
	check_user_file(&cat, path);
	halo_catalog_free(&cat);

	/* a relative XDG_CONFIG_HOME is ignored in favour of ~/.config */
	setenv("XDG_CONFIG_HOME", "relative/dir", 1);
	setenv("HOME", "/nonexistent-home", 1);
	assert_int_equal(halo_catalog_user_path(found, sizeof(found)), 0);
	assert_string_equal(found, "/nonexistent-home/.config/halo/models.conf");
	halo_catalog_init(&cat);
	assert_int_equal(halo_catalog_load_default(&cat, NULL), 0); /* missing: fine */
	assert_int_equal(cat.n_models, 8);
	halo_catalog_free(&cat);
}

static void test_missing_files(void **state)
{
	(void)state;
	halo_catalog cat;
	load_default(&cat);
	size_t n = cat.n_models;
	/* an explicit user file must exist; the catalog stays as it was */
	assert_int_equal(halo_catalog_load_default(&cat, "/nonexistent/models.conf"), HALO_ENOTFOUND);
	assert_non_null(strstr(halo_error_last()->message, "/nonexistent/models.conf"));
	assert_int_equal(cat.n_models, n);
	assert_int_equal(halo_catalog_load_file(&cat, "/nonexistent/x.conf"), HALO_ENOTFOUND);
	assert_int_equal(halo_catalog_load_file(&cat, "/"), HALO_EIO);
	assert_int_equal(cat.n_models, n);
	halo_catalog_free(&cat);
}

static void test_sizes(void **state)
{
	(void)state;
	static const char text[] = TINY
		"quant A = 30.25GiB\n"
		"quant B = ~6GB\n"
		"quant C = 22016023168 B\n"
		"quant D = estimate bpw=4.5\n"
		"quant Q8_0 = estimate\n"
		"quant E = 1.5 kib parts=~4\n"
		"split_file = {quant}/tiny-{quant}-{part}-of-{parts}.gguf\n";
	halo_catalog cat = HALO_CATALOG_INIT;
	if (halo_catalog_load_buffer(&cat, text, sizeof(text) - 1, "sizes.conf"))
		fail_msg("%s", halo_error_last()->message);
	const halo_model *m = must_find(&cat, "tiny");
	const halo_quant *q = halo_catalog_find_quant(m, "A");
	assert_int_equal(q->size_bytes, 32480690176ull);
	assert_int_equal(q->size_tolerance, (1ull << 30) / 100 / 2);
	q = halo_catalog_find_quant(m, "B");
	assert_true(q->size_estimated);
	assert_int_equal(q->size_bytes, 6000000000ull);
	assert_int_equal(q->size_tolerance, 600000000ull);
	q = halo_catalog_find_quant(m, "C");
	assert_int_equal(q->size_bytes, 22016023168ull);
	assert_int_equal(q->size_tolerance, 0);
	assert_false(q->size_estimated);
	q = halo_catalog_find_quant(m, "D");
	assert_int_equal(q->size_bytes, 562500);
	assert_true(q->size_estimated);
	q = halo_catalog_find_quant(m, "Q8_0");
	assert_int_equal(q->size_bytes, 1062500);
	q = halo_catalog_find_quant(m, "E");
	assert_int_equal(q->size_bytes, 1536);
	assert_true(q->parts_estimated);
	assert_int_equal(q->n_files, 4);
	assert_string_equal(q->files[3], "E/tiny-E-00004-of-00004.gguf");
	assert_string_equal(m->file, "sizes.conf");
	halo_catalog_free(&cat);
}

static const struct bad_case {
	const char *text;
	const char *message; /* the whole message, file and line included */
} bad_cases[] = {
	{ TINY "lyers = 3\n", "bad.conf:16: unknown key 'lyers' in [model tiny]" },
	{ "[model tiny]\nlayers = 4o\n", "bad.conf:2: bad number '4o' for 'layers'" },
	{ "[model tiny]\nhidden = -1\n", "bad.conf:2: bad number '-1' for 'hidden'" },
	{ "[model tiny]\nhidden = 99999999999999999999999\n",
	  "bad.conf:2: value 99999999999999999999999 for 'hidden' is out of range (1..4294967295)" },
	{ "[model tiny]\nhidden = 4294967296\n",
	  "bad.conf:2: value 4294967296 for 'hidden' is out of range (1..4294967295)" },
	{ "[model tiny]\nlayers = 513\n", "bad.conf:2: value 513 for 'layers' is out of range (1..512)" },
	{ "\n# no section yet\nlayers = 40\n", "bad.conf:3: key 'layers' outside of a [model ...] section" },
	{ TINY "quant Q4_K_M = 1GB\nquant Q4_K_M = 2GB\n",
	  "bad.conf:17: duplicate quant 'Q4_K_M' from me in [model tiny] (first at line 16)" },
	{ TINY "quant Q4_K_M = big\n",
	  "bad.conf:16: bad size 'big' for quant 'Q4_K_M' (e.g. 22.2GB, ~6GB, estimate)" },
	{ TINY "quant = 3GB\n", "bad.conf:16: expected 'quant NAME = ...'" },
	{ TINY "quant Q8_0 = 3\n",
	  "bad.conf:16: size '3' of quant 'Q8_0' needs a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)" },
	{ TINY "quant Q8_0 = 3GB colour=red\n",
	  "bad.conf:16: unknown option 'colour' for quant 'Q8_0' (provider, repo, file, parts, bpw)" },
	{ TINY "quant Q8_0 = 3GB parts=x\n", "bad.conf:16: bad parts 'x' for quant 'Q8_0' (1..1000, '~' prefix if unsure)" },
	{ TINY "quant Q8_0 = 3GB parts=2\n", "bad.conf:16: quant 'Q8_0' has no file (add file= or a 'split_file' key)" },
	{ TINY "quant Q8_0 = 1.5B\n", "bad.conf:16: size '1.5B' of quant 'Q8_0' has a fraction of a byte" },
	{ TINY "quant Q8_0 = 3GB file=../x.gguf\n",
	  "bad.conf:16: bad file '../x.gguf' for quant 'Q8_0' (a relative path without spaces, '.' or '..')" },
	{ TINY "quant UD-Q4_K_XL = estimate\n", "bad.conf:16: no bits-per-weight figure for quant 'UD-Q4_K_XL': add bpw=" },
	{ TINY "quant Q8_0 = 3GB bpw=4\n", "bad.conf:16: 'bpw' only applies to an 'estimate' size (quant 'Q8_0')" },
	{ "[model tiny]\nname = Tiny\n", "bad.conf:1: [model tiny] is missing 'kind'" },
	{ TINY "layers = 5\n", "bad.conf:16: duplicate key 'layers' in [model tiny] (first at line 4)" },
	{ TINY TINY, "bad.conf:16: duplicate model 'tiny' (first defined at line 1)" },
	{ "[extend nosuch]\n", "bad.conf:1: [extend nosuch]: no such model (define it with [model nosuch])" },
	{ TINY "[extend tiny]\nlayers = 8\n",
	  "bad.conf:17: 'layers' cannot be changed in [extend tiny]; redefine it with [model tiny]" },
	{ "[modle tiny]\n", "bad.conf:1: unknown section type 'modle' (model, extend)" },
	{ "[model tiny\n", "bad.conf:1: section header without closing ']'" },
	{ "[model ../x]\n", "bad.conf:1: bad model id '../x' (letters, digits, '.', '_', '-'; at most 64)" },
	{ TINY "just words\n", "bad.conf:16: expected 'key = value'" },
	{ TINY "name =\n", "bad.conf:16: empty value for 'name'" },
	{ "[model tiny]\nkind = dense moe\n", "bad.conf:2: a model is either dense or moe, not both" },
	{ "[model tiny]\nkind = sparse\n", "bad.conf:2: unknown kind 'sparse' (dense, moe, hybrid)" },
	{ TINY "full_attention_interval = 4\n", "bad.conf:16: a layer pattern needs kind hybrid" },
	{ TINY "experts = 8\n", "bad.conf:16: 'experts' needs kind moe" },
	{ "[model tiny]\nattention_layers = 3, 1\n",
	  "bad.conf:2: 'attention_layers' must be increasing (1 after 3)" },
	{ TINY "preset p = top_p=0.9 top_k=20\n", "bad.conf:16: preset 'p' needs temperature, top_p and top_k" },
	{ TINY "preset p = temperature=1 top_p=1.5 top_k=20\n", "bad.conf:16: 'top_p' = 1.5 is out of range in preset 'p'" },
	{ TINY "preset p = temperature=1,0 top_p=1 top_k=20\n",
	  "bad.conf:16: bad number '1,0' for 'temperature' in preset 'p'" },
	{ TINY "preset p = temperature=1 top_p=1 top_k=20\npreset P = temperature=1 top_p=1 top_k=20\n",
	  "bad.conf:17: duplicate preset 'P' in [model tiny] (first at line 16)" },
	{ TINY "source = ftp://x\n", "bad.conf:16: 'source' must be an http(s) URL" },
	{ TINY "roles = Top-Pick\n", "bad.conf:16: bad role 'Top-Pick' (lowercase letters, digits and '-')" },
	{ TINY "file = x-{qaunt}.gguf\n",
	  "bad.conf:16: duplicate key 'file' in [model tiny] (first at line 15)" },
	{ "[model tiny]\nfile = x-{qaunt}.gguf\n",
	  "bad.conf:2: bad 'file' pattern 'x-{qaunt}.gguf': unknown placeholder (use {quant}, {part}, {parts})" },
	{ "[model tiny]\nparams = lots\n", "bad.conf:2: bad parameter count 'lots' for 'params' (e.g. 35B, 752M)" },
	{ "[model tiny]\nkind = moe\narch = x\nlayers = 4\nhidden = 8\nvocab = 8\ncontext = 8\nheads = 2\n"
	  "kv_heads = 2\nhead_dim = 8\nparams = 1M\nactive_params = 1M\nexperts = 4\nexperts_used = 8\nexpert_ffn = 8\n",
	  "bad.conf:14: experts_used (8) is more than experts (4)" },
	{ "[model tiny]\nkind = hybrid\narch = x\nlayers = 4\nhidden = 8\nvocab = 8\ncontext = 8\nheads = 2\n"
	  "kv_heads = 2\nhead_dim = 8\nparams = 1M\nffn = 8\nfull_attention_interval = 2\n",
	  "bad.conf:1: [model tiny] is hybrid but has no 'linear_conv_kernel'" },
};

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	halo_catalog cat;
	load_default(&cat);
	size_t n = cat.n_models;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		int rc = halo_catalog_load_buffer(&cat, c->text, strlen(c->text), "bad.conf");
		if (rc != HALO_EFORMAT || strcmp(halo_error_last()->message, c->message))
			fail_msg("case %zu: rc %d, message\n  got:  %s\n  want: %s", i, rc,
				 halo_error_last()->message, c->message);
		/* a failed load adds nothing, not even the models before the error */
		assert_int_equal(cat.n_models, n);
		assert_null(halo_catalog_find(&cat, "tiny"));
	}

	/* a NUL byte cannot hide the rest of a line */
	static const char nul[] = TINY "name = a\0b\n";
	assert_int_equal(halo_catalog_load_buffer(&cat, nul, sizeof(nul) - 1, "bad.conf"), HALO_EFORMAT);
	assert_string_equal(halo_error_last()->message, "bad.conf:16: NUL byte in catalog text");

	/* a broken user file leaves a loaded catalog as it was */
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/fixtures/catalog/bad-key.conf", test_source_dir());
	assert_int_equal(halo_catalog_load_default(&cat, path), HALO_EFORMAT);
	assert_non_null(strstr(halo_error_last()->message,
			       "bad-key.conf:5: unknown key 'lyers' in [model my-small]"));
	assert_int_equal(cat.n_models, n);
	halo_catalog_free(&cat);
}

static void test_comments_and_whitespace(void **state)
{
	(void)state;
	static const char text[] =
		"  # leading comment\r\n"
		"[ model  tiny ]\r\n"
		"\tkind=dense   # trailing comment\r\n"
		"arch = llama\n"
		"layers = 4\n"
		"hidden = 64\n"
		"vocab = 100\n"
		"context = 1024\n"
		"heads = 4\n"
		"kv_heads = 2\n"
		"head_dim_k = 16\n"
		"head_dim_v = 32\n"
		"ffn = 128\n"
		"params = 1M\n"
		"source = https://example.com/config.json#L1\n"
		"roles = a, b,b\n";
	halo_catalog cat = HALO_CATALOG_INIT;
	if (halo_catalog_load_buffer(&cat, text, sizeof(text) - 1, "ws.conf"))
		fail_msg("%s", halo_error_last()->message);
	const halo_model *m = must_find(&cat, "TINY");
	assert_string_equal(m->name, "tiny");
	assert_int_equal(m->hp.head_dim_k, 16);
	assert_int_equal(m->hp.head_dim_v, 32);
	assert_string_equal(m->source, "https://example.com/config.json#L1");
	assert_int_equal(m->n_roles, 2);
	assert_int_equal(m->n_quants, 0);
	assert_int_equal(m->line, 2);
	assert_null(halo_catalog_top_pick(&cat));
	halo_catalog_free(&cat);
	/* an empty catalog is valid and adds nothing */
	assert_int_equal(halo_catalog_load_buffer(&cat, "", 0, "empty.conf"), 0);
	assert_int_equal(cat.n_models, 0);
	halo_catalog_free(&cat);
}

static void test_extend_then_redefine(void **state)
{
	(void)state;
	static const char ext[] = "[extend tiny]\nroles = a\n" TINY "roles = b\n";
	static const char twice[] = "[extend tiny]\nname = One\n[extend tiny]\nname = Two\n";
	halo_catalog cat = HALO_CATALOG_INIT;

	assert_int_equal(halo_catalog_load_buffer(&cat, TINY, strlen(TINY), "a.conf"), 0);
	/* a [model] after an [extend] of the same id in one file replaces it */
	if (halo_catalog_load_buffer(&cat, ext, sizeof(ext) - 1, "b.conf"))
		fail_msg("%s", halo_error_last()->message);
	const halo_model *m = must_find(&cat, "tiny");
	assert_int_equal(m->n_roles, 1);
	assert_string_equal(m->roles[0], "b");
	assert_string_equal(m->file, "b.conf");
	assert_int_equal(m->line, 3);
	/* two extensions in one file stack up; the model keeps its origin */
	assert_int_equal(halo_catalog_load_buffer(&cat, twice, sizeof(twice) - 1, "c.conf"), 0);
	m = must_find(&cat, "tiny");
	assert_string_equal(m->name, "Two");
	assert_string_equal(m->file, "b.conf");
	assert_int_equal(cat.n_models, 1);
	halo_catalog_free(&cat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_loads),
		cmocka_unit_test(test_35b_hparams),
		cmocka_unit_test(test_other_hparams),
		cmocka_unit_test(test_presets_and_top_pick),
		cmocka_unit_test(test_quants),
		cmocka_unit_test(test_lookups_ignore_case),
		cmocka_unit_test(test_user_override),
		cmocka_unit_test(test_missing_files),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_comments_and_whitespace),
		cmocka_unit_test(test_extend_then_redefine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
