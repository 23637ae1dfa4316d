/*
 * halo synth MODEL|--arch ARCH -o FILE: writes a random-weight GGUF twin of a
 * catalog model or of an architecture's representative model, optionally
 * scaled down, that llama.cpp loads and runs like the real one (docs/synth.md).
 */
#include "cli.h"
#include "options.h"

#include "catalog.h"
#include "error.h"
#include "ggml_type.h"
#include "hparams.h"
#include "synth.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const usage[] = {
	"halo synth [options] <model> -o <file.gguf>",
	"halo synth [options] --arch <arch> -o <file.gguf>",
	NULL,
};
static const struct command_help help = {
	usage,
	"Writes a GGUF \"twin\" of a catalog model (or, with --arch, of that architecture's\n"
	"usual model: qwen35moe, qwen35, qwen3moe, gemma3, llama): the real architecture,\n"
	"tensor shapes and a real tokenizer, with random weights. llama.cpp loads and runs\n"
	"it with the real model's memory use and speed; its output is noise. The scaling\n"
	"options shrink it for tests (the layer pattern is kept). The tokenizer comes from\n"
	"--vocab, else the family's models/ggml-vocab-*.gguf under $HALO_LLAMA_DIR.",
	0, 1,
};

/* Integer options start at -1: "not given". */
static int opt_u32(const char *name, long v, uint32_t *out)
{
	if (v == -1)
		return 0;
	if (v <= 0 || (unsigned long)v > UINT32_MAX)
		return cli_error(EXIT_USAGE, "option '--%s' expects a positive integer below 2^32", name);
	*out = (uint32_t)v;
	return 0;
}

struct progress {
	bool tty;
	int last_pct;
	struct timespec last;
};

static double since(const struct timespec *a)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - a->tv_sec) + (now.tv_nsec - a->tv_nsec) / 1e9;
}

static void on_progress(void *userdata, uint64_t done, uint64_t total)
{
	struct progress *p = userdata;
	char a[32], b[32];
	int pct = total ? (int)(done * 100 / total) : 100;
	if (p->tty) {
		/* redraw at most 5 times a second, and at the end */
		if (done < total && since(&p->last) < 0.2)
			return;
		clock_gettime(CLOCK_MONOTONIC, &p->last);
		fprintf(stderr, "\rhalo synth: %s of %s (%d%%)  ", fmt_gb(a, sizeof(a), done), fmt_gb(b, sizeof(b), total),
			pct);
		if (done == total)
			fputc('\n', stderr);
	} else {
		/* a log gets a line every 10% */
		if (pct / 10 == p->last_pct / 10 && done < total)
			return;
		p->last_pct = pct;
		fprintf(stderr, "halo synth: %s of %s (%d%%)\n", fmt_gb(a, sizeof(a), done), fmt_gb(b, sizeof(b), total),
			pct);
	}
	fflush(stderr);
}

static char layer_char(const halo_hparams *hp, uint32_t i)
{
	switch (hp->layer_kind[i]) {
	case HALO_LAYER_RECURRENT: return 'R';
	case HALO_LAYER_SWA: return 'S';
	default: return 'A';
	}
}

static void layer_map(const halo_hparams *hp, char *map)
{
	uint32_t i;
	for (i = 0; i < hp->n_layer && i < HALO_MAX_LAYERS; i++)
		map[i] = layer_char(hp, i);
	map[i] = '\0';
}

/* <dir>/models/<file> when it exists; the Qwen3.5 tokenizer is the fallback. */
static int default_vocab(const char *arch, char *buf, size_t n)
{
	const char *dir = getenv("HALO_LLAMA_DIR");
	const char *files[] = { halo_synth_default_vocab(arch), "ggml-vocab-qwen35.gguf" };
	if (!dir || !*dir)
		return cli_error(EXIT_USAGE, "no vocabulary: give --vocab <file.gguf> (e.g. a llama.cpp "
					     "models/ggml-vocab-*.gguf) or set HALO_LLAMA_DIR to a llama.cpp checkout");
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!files[i])
			continue;
		snprintf(buf, n, "%s/models/%s", dir, files[i]);
		if (access(buf, R_OK) == 0)
			return 0;
	}
	return cli_error(EXIT_NOTFOUND, "no vocabulary file '%s' under '%s/models': give --vocab <file.gguf>",
			 files[0] ? files[0] : files[1], dir);
}

static json_t *summary_json(const char *path, const halo_synth_info *in, const char *name, const char *vocab,
			    uint64_t seed, bool dry_run)
{
	char map[HALO_MAX_LAYERS + 1];
	const halo_hparams *hp = &in->hp;
	uint32_t attn, rec, swa;
	halo_hparams_layer_counts(hp, &attn, &rec, &swa);
	layer_map(hp, map);
	json_t *o = json_object();
	json_object_set_new(o, "path", path ? json_string(path) : json_null());
	json_object_set_new(o, "written", json_boolean(!dry_run));
	json_object_set_new(o, "architecture", json_string(hp->arch));
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "type", json_string(halo_ggml_type_get(in->type)->name));
	json_object_set_new(o, "bytes", json_integer((json_int_t)in->file_size));
	json_object_set_new(o, "tensor_data_bytes", json_integer((json_int_t)in->data_size));
	json_object_set_new(o, "tensors", json_integer((json_int_t)in->n_tensors));
	json_object_set_new(o, "parameters", json_integer((json_int_t)in->n_params));
	json_object_set_new(o, "metadata_keys", json_integer((json_int_t)in->n_kv));
	json_object_set_new(o, "vocab_file", json_string(vocab));
	json_object_set_new(o, "vocab_size", json_integer(hp->n_vocab));
	json_object_set_new(o, "tied_embeddings", json_boolean(in->tied));
	json_object_set_new(o, "seed", json_integer((json_int_t)seed));
	json_object_set_new(o, "context_length", json_integer((json_int_t)hp->n_ctx_train));
	json_object_set_new(o, "embedding_length", json_integer(hp->n_embd));
	json_t *l = json_object();
	json_object_set_new(l, "count", json_integer(hp->n_layer));
	json_object_set_new(l, "attention", json_integer(attn));
	json_object_set_new(l, "recurrent", json_integer(rec));
	json_object_set_new(l, "sliding_window", json_integer(swa));
	json_object_set_new(l, "map", json_string(map));
	json_object_set_new(o, "layers", l);
	json_object_set_new(o, "head_count", json_integer(hp->n_head[0]));
	json_object_set_new(o, "head_count_kv", json_integer(hp->n_head_kv[0]));
	json_object_set_new(o, "head_dim", json_integer(hp->head_dim_k));
	json_object_set_new(o, "experts", json_integer(hp->n_expert));
	json_object_set_new(o, "experts_used", json_integer(hp->n_expert_used));
	return o;
}

int cmd_synth(int argc, const char **argv)
{
	bool json = false, dry_run = false, quiet = false, exact_vocab = false;
	const char *arch = NULL, *out = NULL, *type_name = "f16", *vocab = NULL, *seed_s = NULL, *name = NULL,
		   *embeddings = NULL, *catalog_file = NULL;
	long layers = -1, experts = -1, experts_used = -1, hidden = -1, ff = -1, expert_ff = -1, heads = -1,
	     kv_heads = -1, head_dim = -1, lin_k = -1, lin_v = -1, lin_dim = -1, ctx = -1;
	const struct option opts[] = {
		OPT_STRING(0, "arch", &arch, "arch", "twin this architecture's usual model instead of a catalog model"),
		OPT_STRING('o', "output", &out, "file", "where to write the GGUF"),
		OPT_STRING(0, "type", &type_name, "type", "weight type: f16 (default), bf16, f32, q8_0, q4_0"),
		OPT_STRING(0, "vocab", &vocab, "file", "GGUF whose tokenizer to copy (default: $HALO_LLAMA_DIR/models)"),
		OPT_BOOL(0, "exact-vocab", &exact_vocab,
			 "keep the tokenizer's token count (default: pad it to the model's vocabulary)"),
		OPT_STRING(0, "seed", &seed_s, "n", "random seed (default 0): same seed, same bytes"),
		OPT_STRING(0, "name", &name, "text", "general.name (default: '<model> synth twin')"),
		OPT_STRING(0, "embeddings", &embeddings, "how",
			   "'tied' (no output.weight) or 'separate' (default: as the model)"),
		OPT_STRING(0, "catalog", &catalog_file, "file", "extra catalog file loaded over the built-in one"),
		OPT_GROUP("scaling (default: the model's own sizes)"),
		OPT_INT(0, "layers", &layers, "n", "layers (the attention / sliding-window pattern is kept)"),
		OPT_INT(0, "hidden", &hidden, "n", "hidden size"),
		OPT_INT(0, "heads", &heads, "n", "attention query heads"),
		OPT_INT(0, "kv-heads", &kv_heads, "n", "attention key/value heads"),
		OPT_INT(0, "head-dim", &head_dim, "n", "attention head size"),
		OPT_INT(0, "ff", &ff, "n", "dense feed-forward size"),
		OPT_INT(0, "experts", &experts, "n", "experts"),
		OPT_INT(0, "experts-used", &experts_used, "n", "experts used per token"),
		OPT_INT(0, "expert-ff", &expert_ff, "n", "feed-forward size of each expert (and the shared one)"),
		OPT_INT(0, "linear-key-heads", &lin_k, "n", "Gated DeltaNet key heads"),
		OPT_INT(0, "linear-value-heads", &lin_v, "n", "Gated DeltaNet value heads"),
		OPT_INT(0, "linear-head-dim", &lin_dim, "n", "Gated DeltaNet head size"),
		OPT_INT(0, "ctx", &ctx, "n", "trained context length written in the file"),
		OPT_GROUP("output"),
		OPT_BOOL(0, "dry-run", &dry_run, "describe the twin without writing it"),
		OPT_BOOL('q', "quiet", &quiet, "no progress on stderr"),
		OPT_JSON(&json),
		OPT_END(),
	};
	int exit_code;
	int n = parse_options(argc, argv, opts, &help, &exit_code);
	if (n < 0)
		return exit_code;
	if ((n == 1) == (arch != NULL))
		return cli_error(EXIT_USAGE, "give a catalog model or --arch, not %s; see 'halo synth --help'",
				 n ? "both" : "neither");
	if (!out && !dry_run)
		return cli_error(EXIT_USAGE, "no output file: give -o <file.gguf> (or --dry-run)");

	halo_synth_opts so = HALO_SYNTH_OPTS_INIT;
	int t = halo_ggml_type_from_name(type_name);
	if (t != HALO_GGML_F16 && t != HALO_GGML_BF16 && t != HALO_GGML_F32 && t != HALO_GGML_Q8_0 && t != HALO_GGML_Q4_0)
		return cli_error(EXIT_USAGE, "unknown weight type '%s' (f16, bf16, f32, q8_0, q4_0)", type_name);
	so.type = (uint32_t)t;
	if (seed_s) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(seed_s, &end, 10);
		if (errno || end == seed_s || *end || seed_s[0] == '-')
			return cli_error(EXIT_USAGE, "option '--seed' expects a non-negative integer, not '%s'", seed_s);
		so.seed = v;
	}
	if (embeddings && !strcmp(embeddings, "tied"))
		so.output = HALO_SYNTH_OUTPUT_TIED;
	else if (embeddings && !strcmp(embeddings, "separate"))
		so.output = HALO_SYNTH_OUTPUT_SEPARATE;
	else if (embeddings)
		return cli_error(EXIT_USAGE, "option '--embeddings' expects 'tied' or 'separate', not '%s'", embeddings);

	halo_synth_scale sc = HALO_SYNTH_SCALE_INIT;
	uint32_t ctx32 = 0;
	if ((exit_code = opt_u32("layers", layers, &sc.n_layer)) || (exit_code = opt_u32("hidden", hidden, &sc.n_embd)) ||
	    (exit_code = opt_u32("heads", heads, &sc.n_head)) || (exit_code = opt_u32("kv-heads", kv_heads, &sc.n_head_kv)) ||
	    (exit_code = opt_u32("head-dim", head_dim, &sc.head_dim)) || (exit_code = opt_u32("ff", ff, &sc.n_ff)) ||
	    (exit_code = opt_u32("experts", experts, &sc.n_expert)) ||
	    (exit_code = opt_u32("experts-used", experts_used, &sc.n_expert_used)) ||
	    (exit_code = opt_u32("expert-ff", expert_ff, &sc.n_ff_exp)) ||
	    (exit_code = opt_u32("linear-key-heads", lin_k, &sc.ssm_k_heads)) ||
	    (exit_code = opt_u32("linear-value-heads", lin_v, &sc.ssm_v_heads)) ||
	    (exit_code = opt_u32("linear-head-dim", lin_dim, &sc.ssm_head_dim)) ||
	    (exit_code = opt_u32("ctx", ctx, &ctx32)))
		return exit_code;
	sc.n_ctx = ctx32;

	/* The model: its hyperparameters and a display name. */
	halo_hparams hp;
	char model_name[128];
	int rc;
	if (arch) {
		const char *model;
		if ((rc = halo_synth_arch_defaults(arch, &hp, &model)))
			return cli_fail(rc);
		snprintf(model_name, sizeof(model_name), "%s", model);
	} else {
		halo_catalog cat = HALO_CATALOG_INIT;
		if ((rc = halo_catalog_load_default(&cat, catalog_file)))
			return cli_fail(rc);
		const halo_model *m = halo_catalog_find(&cat, argv[0]);
		if (!m) {
			halo_catalog_free(&cat);
			return cli_error(EXIT_NOTFOUND, "no model '%s' in the catalog; 'halo models' lists them", argv[0]);
		}
		hp = m->hp;
		snprintf(model_name, sizeof(model_name), "%s", m->name ? m->name : m->id);
		halo_catalog_free(&cat);
		if (!halo_synth_arch_supported(hp.arch))
			return cli_error(EXIT_UNSUPPORTED, "'%s' is a '%s' model, which cannot be synthesized yet", argv[0],
					 hp.arch);
	}
	/* tied or not as the real model, decided before scaling changes its size */
	if (so.output == HALO_SYNTH_OUTPUT_AUTO)
		so.output = halo_synth_tied_default(&hp) ? HALO_SYNTH_OUTPUT_TIED : HALO_SYNTH_OUTPUT_SEPARATE;
	if ((rc = halo_synth_scale_hparams(&hp, &sc)))
		return cli_fail(rc);

	char vocab_buf[4096];
	if (!vocab) {
		if ((exit_code = default_vocab(hp.arch, vocab_buf, sizeof(vocab_buf))))
			return exit_code;
		vocab = vocab_buf;
	}
	char twin_name[192];
	if (!name) {
		snprintf(twin_name, sizeof(twin_name), "%s synth twin", model_name);
		name = twin_name;
	}
	so.vocab_path = vocab;
	/* padded, the embedding and output matrices have the real model's size */
	so.pad_vocab = !exact_vocab;
	so.name = name;

	halo_synth_info info;
	struct progress pr = { isatty(STDERR_FILENO) != 0, 0, { 0, 0 } };
	if (dry_run) {
		rc = halo_synth_describe(&hp, &so, &info);
	} else {
		/* a first pass lays the file out, so small twins skip the progress line */
		if (!(rc = halo_synth_describe(&hp, &so, &info)) && !quiet && info.data_size >= ((uint64_t)256 << 20)) {
			so.progress = on_progress;
			so.progress_userdata = &pr;
		}
		if (!rc)
			rc = halo_synth_write(&hp, out, &so, &info);
		if (rc && pr.tty && so.progress)
			fputc('\n', stderr);
	}
	if (rc)
		return cli_fail(rc);

	if (json)
		return cli_print_json(summary_json(out, &info, name, vocab, so.seed, dry_run));
	char size[32], map[HALO_MAX_LAYERS + 1];
	layer_map(&info.hp, map);
	printf("%s %s: %s (%s), %.3f B parameters, %" PRIu64 " tensors, %s, %s\n", dry_run ? "would write" : "wrote",
	       out ? out : "(dry run)", name, info.hp.arch, info.n_params / 1e9, info.n_tensors,
	       halo_ggml_type_get(info.type)->name, fmt_gb(size, sizeof(size), info.file_size));
	printf("  layers %u: %s; heads %u q / %u kv x %u; vocabulary %u tokens%s\n", info.hp.n_layer, map,
	       info.hp.n_head[0], info.hp.n_head_kv[0], info.hp.head_dim_k, info.hp.n_vocab,
	       info.tied ? " (tied output)" : "");
	return EXIT_OK;
}
