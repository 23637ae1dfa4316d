/*
 * halo inspect FILE|URL: what a GGUF model is and what it costs in memory per
 * token and per sequence, from its header alone (remote files are read with
 * HTTP Range requests, never downloaded).
 */
#include "cli.h"
#include "options.h"

#include "error.h"
#include "ggml_type.h"
#include "gguf.h"
#include "hparams.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = { "halo inspect [--json] <file.gguf | url>", NULL };
static const struct command_help help = {
	usage,
	"Reads the GGUF header of a local file or an http(s) URL (only the header bytes are\n"
	"transferred) and prints the architecture, size, tensor type mix, layer map, heads,\n"
	"experts, and the KV-cache and recurrent-state cost. For split models give any part.",
	1, 1,
};

struct type_mix {
	uint32_t type;
	uint64_t bytes, elements;
};

static int cmp_mix(const void *a, const void *b)
{
	const struct type_mix *x = a, *y = b;
	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : (int)x->type - (int)y->type;
}

/* Bytes per ggml type, largest first; returns the number of types used. */
static size_t type_mix(const halo_gguf *g, struct type_mix mix[HALO_GGML_TYPE_COUNT])
{
	size_t n = 0;
	memset(mix, 0, sizeof(struct type_mix) * HALO_GGML_TYPE_COUNT);
	for (uint32_t t = 0; t < HALO_GGML_TYPE_COUNT; t++)
		mix[t].type = t;
	for (uint64_t i = 0; i < g->n_tensors; i++) {
		const halo_gguf_tensor *t = &g->tensors[i];
		mix[t->type].bytes += t->size;
		mix[t->type].elements += t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
	}
	qsort(mix, HALO_GGML_TYPE_COUNT, sizeof(mix[0]), cmp_mix);
	while (n < HALO_GGML_TYPE_COUNT && mix[n].elements)
		n++;
	return n;
}

static char layer_char(const halo_hparams *hp, uint32_t i)
{
	if (i >= hp->n_layer)
		return 'M';
	switch (hp->layer_kind[i]) {
	case HALO_LAYER_RECURRENT: return 'R';
	case HALO_LAYER_SWA: return 'S';
	default: return 'A';
	}
}


static bool heads_vary(const halo_hparams *hp)
{
	uint32_t a = halo_hparams_first_attention_layer(hp);
	for (uint32_t i = 0; i < hp->n_layer; i++)
		if (hp->layer_kind[i] != HALO_LAYER_RECURRENT &&
		    (hp->n_head[i] != hp->n_head[a] || hp->n_head_kv[i] != hp->n_head_kv[a]))
			return true;
	return false;
}

static const uint32_t kv_types[] = { HALO_GGML_F16, HALO_GGML_Q8_0, HALO_GGML_Q4_0 };

static json_t *to_json(const halo_gguf *g, const halo_hparams *hp, const char *name)
{
	struct type_mix mix[HALO_GGML_TYPE_COUNT];
	size_t n_mix = type_mix(g, mix);
	uint32_t n_attn, n_rec, n_swa;
	halo_hparams_layer_counts(hp, &n_attn, &n_rec, &n_swa);
	uint32_t a = halo_hparams_first_attention_layer(hp);

	json_t *o = json_object();
	json_object_set_new(o, "source", json_string(g->source));
	json_object_set_new(o, "architecture", json_string(hp->arch));
	json_object_set_new(o, "name", name ? json_string(name) : json_null());
	json_object_set_new(o, "gguf_version", json_integer(g->version));
	json_object_set_new(o, "big_endian", json_boolean(g->byteswapped));
	json_object_set_new(o, "splits", json_integer(g->n_splits));
	json_object_set_new(o, "parameters", json_integer((json_int_t)g->n_elements));
	json_object_set_new(o, "file_size", json_integer((json_int_t)g->file_size));
	json_object_set_new(o, "tensor_data_size", json_integer((json_int_t)g->data_size));
	json_object_set_new(o, "data_complete", json_boolean(halo_gguf_data_complete(g)));
	json_object_set_new(o, "header_bytes_read", json_integer((json_int_t)g->bytes_read));
	json_object_set_new(o, "bits_per_weight",
			    json_real(g->n_elements ? g->data_size * 8.0 / (double)g->n_elements : 0));
	json_object_set_new(o, "tensors", json_integer((json_int_t)g->n_tensors));

	json_t *types = json_array();
	for (size_t i = 0; i < n_mix; i++) {
		const halo_ggml_type_info *ti = halo_ggml_type_get(mix[i].type);
		json_t *t = json_object();
		json_object_set_new(t, "type", json_string(ti ? ti->name : "?"));
		json_object_set_new(t, "bytes", json_integer((json_int_t)mix[i].bytes));
		json_object_set_new(t, "elements", json_integer((json_int_t)mix[i].elements));
		json_array_append_new(types, t);
	}
	json_object_set_new(o, "type_mix", types);

	json_object_set_new(o, "context_length", json_integer((json_int_t)hp->n_ctx_train));
	json_object_set_new(o, "yarn_context_length", hp->n_ctx_yarn ? json_integer((json_int_t)hp->n_ctx_yarn) : json_null());
	json_object_set_new(o, "embedding_length", json_integer(hp->n_embd));
	json_object_set_new(o, "vocab_size", json_integer(hp->n_vocab));

	json_t *layers = json_object();
	char map[HALO_MAX_LAYERS + 1];
	uint32_t total = hp->n_layer + hp->n_layer_nextn;
	for (uint32_t i = 0; i < total && i < HALO_MAX_LAYERS; i++)
		map[i] = layer_char(hp, i);
	map[total < HALO_MAX_LAYERS ? total : HALO_MAX_LAYERS] = '\0';
	json_object_set_new(layers, "count", json_integer(hp->n_layer));
	json_object_set_new(layers, "attention", json_integer(n_attn));
	json_object_set_new(layers, "recurrent", json_integer(n_rec));
	json_object_set_new(layers, "sliding_window", json_integer(n_swa));
	json_object_set_new(layers, "nextn", json_integer(hp->n_layer_nextn));
	json_object_set_new(layers, "map", json_string(map));
	json_object_set_new(layers, "sliding_window_tokens", json_integer(hp->n_swa));
	json_object_set_new(o, "layers", layers);

	json_t *att = json_object();
	json_object_set_new(att, "head_count", json_integer(hp->n_head[a]));
	json_object_set_new(att, "head_count_kv", json_integer(hp->n_head_kv[a]));
	json_object_set_new(att, "head_dim_k", json_integer(hp->head_dim_k));
	json_object_set_new(att, "head_dim_v", json_integer(hp->head_dim_v));
	json_object_set_new(att, "heads_vary_by_layer", json_boolean(heads_vary(hp)));
	if (heads_vary(hp)) {
		json_t *h = json_array(), *hk = json_array();
		for (uint32_t i = 0; i < hp->n_layer; i++) {
			json_array_append_new(h, json_integer(hp->n_head[i]));
			json_array_append_new(hk, json_integer(hp->n_head_kv[i]));
		}
		json_object_set_new(att, "head_count_per_layer", h);
		json_object_set_new(att, "head_count_kv_per_layer", hk);
	}
	json_object_set_new(o, "attention", att);

	json_t *ex = json_object();
	json_object_set_new(ex, "count", json_integer(hp->n_expert));
	json_object_set_new(ex, "used", json_integer(hp->n_expert_used));
	json_object_set_new(ex, "shared", json_integer(hp->n_expert_shared));
	json_object_set_new(ex, "feed_forward_length", json_integer(hp->n_ff_exp));
	json_object_set_new(o, "experts", ex);

	json_t *kv = json_object();
	for (size_t i = 0; i < sizeof(kv_types) / sizeof(kv_types[0]); i++) {
		uint64_t full = 0, swa = 0;
		json_t *e = json_object();
		if (halo_hparams_kv_bytes_per_token(hp, kv_types[i], kv_types[i], &full, &swa)) {
			json_object_set_new(e, "error", json_string(halo_error_last()->message));
		} else {
			json_object_set_new(e, "full_attention_bytes_per_token", json_integer((json_int_t)full));
			json_object_set_new(e, "sliding_window_bytes_per_token", json_integer((json_int_t)swa));
		}
		char lower[16];
		snprintf(lower, sizeof(lower), "%s", halo_ggml_type_get(kv_types[i])->name);
		for (char *c = lower; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		json_object_set_new(kv, lower, e);
	}
	json_object_set_new(o, "kv_cache", kv);

	json_t *rec = json_object();
	json_object_set_new(rec, "bytes_per_sequence", json_integer((json_int_t)halo_hparams_recurrent_bytes_per_seq(hp)));
	json_object_set_new(rec, "conv_elements_per_layer", json_integer((json_int_t)halo_hparams_n_embd_r(hp)));
	json_object_set_new(rec, "state_elements_per_layer", json_integer((json_int_t)halo_hparams_n_embd_s(hp)));
	json_object_set_new(rec, "conv_kernel", json_integer(hp->ssm_d_conv));
	json_object_set_new(rec, "inner_size", json_integer(hp->ssm_d_inner));
	json_object_set_new(rec, "state_size", json_integer(hp->ssm_d_state));
	json_object_set_new(rec, "group_count", json_integer(hp->ssm_n_group));
	json_object_set_new(rec, "value_heads", json_integer(hp->ssm_dt_rank));
	json_object_set_new(o, "recurrent", rec);
	return o;
}

static void print_text(const halo_gguf *g, const halo_hparams *hp, const char *name)
{
	char b1[32], b2[32];
	struct type_mix mix[HALO_GGML_TYPE_COUNT];
	size_t n_mix = type_mix(g, mix);
	uint32_t n_attn, n_rec, n_swa;
	halo_hparams_layer_counts(hp, &n_attn, &n_rec, &n_swa);
	uint32_t a = halo_hparams_first_attention_layer(hp);

	printf("%-13s%s\n", "model", name ? name : "(no general.name)");
	printf("%-13s%s", "source", g->source);
	if (g->n_splits > 1)
		printf(" (%u parts)", g->n_splits);
	printf("\n%-13s%s, gguf v%u%s\n", "architecture", hp->arch, g->version, g->byteswapped ? ", big-endian" : "");
	printf("%-13s%.2f B (%" PRIu64 ")\n", "parameters", g->n_elements / 1e9, g->n_elements);
	printf("%-13s%s (%s), %.2f bits per weight%s\n", "size", fmt_gb(b1, sizeof(b1), g->file_size),
	       fmt_bin(b2, sizeof(b2), g->file_size), g->n_elements ? g->data_size * 8.0 / (double)g->n_elements : 0.0,
	       halo_gguf_data_complete(g) ? "" : "  [tensor data incomplete]");
	printf("%-13s", "tensor types");
	for (size_t i = 0; i < n_mix; i++)
		printf("%s%s %s (%.1f%%)", i ? ", " : "", halo_ggml_type_get(mix[i].type)->name,
		       fmt_gb(b1, sizeof(b1), mix[i].bytes), g->data_size ? 100.0 * mix[i].bytes / g->data_size : 0.0);
	printf("\n%-13s%" PRIu64 " native", "context", hp->n_ctx_train);
	if (hp->n_ctx_yarn)
		printf(", %" PRIu64 " with YaRN", hp->n_ctx_yarn);
	printf("\n%-13s%u: %u attention", "layers", hp->n_layer, n_attn);
	if (n_rec)
		printf(", %u recurrent", n_rec);
	if (n_swa)
		printf(", %u sliding-window (%u tokens)", n_swa, hp->n_swa);
	if (hp->n_layer_nextn)
		printf(", +%u MTP", hp->n_layer_nextn);
	printf("\n%-13s", "layer map");
	for (uint32_t i = 0; i < hp->n_layer + hp->n_layer_nextn && i < HALO_MAX_LAYERS; i++)
		putchar(layer_char(hp, i));
	printf("  (A attention, R recurrent, S sliding window, M MTP)\n");
	printf("%-13s%u q / %u kv, head dim %u (k) / %u (v)%s\n", "heads", hp->n_head[a], hp->n_head_kv[a],
	       hp->head_dim_k, hp->head_dim_v, heads_vary(hp) ? ", varies by layer (see --json)" : "");
	if (hp->n_expert)
		printf("%-13s%u total, %u used, %u shared; expert ffn %u\n", "experts", hp->n_expert, hp->n_expert_used,
		       hp->n_expert_shared, hp->n_ff_exp);
	printf("%-13s%u\n", "vocabulary", hp->n_vocab);
	printf("%-13s", "kv cache");
	for (size_t i = 0; i < sizeof(kv_types) / sizeof(kv_types[0]); i++) {
		uint64_t full, swa;
		const char *tn = halo_ggml_type_get(kv_types[i])->name;
		if (halo_hparams_kv_bytes_per_token(hp, kv_types[i], kv_types[i], &full, &swa)) {
			printf("%s%s n/a", i ? ", " : "", tn);
			continue;
		}
		printf("%s%s %s/token", i ? ", " : "", tn, fmt_bin(b1, sizeof(b1), full));
		if (swa)
			printf(" (+%s/token up to %u tokens)", fmt_bin(b2, sizeof(b2), swa), hp->n_swa);
	}
	putchar('\n');
	if (n_rec)
		printf("%-13s%s per sequence (f32 conv %" PRIu64 " + state %" PRIu64 " values x %u layers)\n",
		       "recurrent", fmt_bin(b1, sizeof(b1), halo_hparams_recurrent_bytes_per_seq(hp)),
		       halo_hparams_n_embd_r(hp), halo_hparams_n_embd_s(hp), n_rec);
}

int cmd_inspect(int argc, const char **argv)
{
	bool json = false;
	const struct option opts[] = {
		OPT_JSON(&json),
		OPT_END(),
	};
	int exit_code;
	int n = parse_options(argc, argv, opts, &help, &exit_code);
	if (n < 0)
		return exit_code;

	halo_gguf *g;
	halo_hparams hp;
	halo_gguf_open_opts gopts = HALO_GGUF_OPEN_OPTS_INIT;
	gopts.allow_truncated_data = true; /* inspecting a partial download is useful */
	int rc = halo_gguf_open(&g, argv[0], &gopts);
	if (rc)
		return cli_fail(rc);
	if ((rc = halo_hparams_from_gguf(&hp, g))) {
		halo_gguf_free(g);
		return cli_fail(rc);
	}
	const char *name = NULL;
	halo_gguf_get_str(g, "general.name", &name);
	if (json)
		exit_code = cli_print_json(to_json(g, &hp, name));
	else
		print_text(g, &hp, name);
	halo_gguf_free(g);
	return json ? exit_code : EXIT_OK;
}
