/*
 * Writes GGUF fixtures for the end-to-end tests.
 *
 *   mkfixture model OUT MODEL_ID [SIZE [CUT]]
 *       header of the catalog model MODEL_ID (its hyperparameters), one
 *       embedding tensor and a filler tensor so that the whole file is SIZE
 *       bytes (default: the catalog's size of the model's first quant); the
 *       data is a sparse hole. With CUT the file is truncated to CUT bytes.
 *   mkfixture split OUT-00001-of-0000N.gguf MODEL_ID PART_BYTES
 *       the catalog model split like gguf-split does into N parts (split.no,
 *       split.count, split.tensors.count in each; the model's metadata in
 *       the first); parts 2..N hold a sparse tensor of PART_BYTES each.
 *   mkfixture vocab OUT VOCAB.gguf DATA_BYTES [sparse]
 *       the metadata of a llama.cpp vocabulary file (its tokenizer) plus a
 *       tensor of DATA_BYTES bytes of pseudo-random data (or a sparse hole):
 *       a file whose header is realistic and whose weights dwarf it.
 */
#include "catalog.h"
#include "error.h"
#include "ggml_type.h"
#include "gguf.h"
#include "gguf_write.h"
#include "hparams.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "mkfixture: %s: %s\n", what, halo_error_last()->message);
	return 1;
}

/* Adds token_embd and a filler so the file is `size` bytes (when it can be). */
static int add_filler(halo_gguf_writer *w, const halo_hparams *hp, uint64_t size)
{
	uint64_t ne[2] = { hp->n_embd, hp->n_vocab }, data_offset, file_size;
	int rc = halo_gguf_writer_add_tensor(w, "token_embd.weight", 2, ne, HALO_GGML_F16, NULL);
	if (rc || (rc = halo_gguf_writer_layout(w, &data_offset, &file_size)))
		return rc;
	if (size > file_size + 4096) {
		/* I8 rows of 4096, rounded down: the file ends up within 4 KiB of size */
		uint64_t rows = (size - file_size - 512) / 4096;
		uint64_t fne[2] = { 4096, rows };
		rc = halo_gguf_writer_add_tensor(w, "blk.0.filler.weight", 2, fne, HALO_GGML_I8, NULL);
	}
	return rc;
}

static int cmd_model(int argc, char **argv)
{
	if (argc < 4)
		return fprintf(stderr, "usage: mkfixture model OUT MODEL_ID [SIZE [CUT]]\n"), 2;
	halo_catalog cat = HALO_CATALOG_INIT;
	halo_gguf_writer *w;
	if (halo_catalog_load_default(&cat, NULL))
		return die("catalog");
	const halo_model *m = halo_catalog_find(&cat, argv[3]);
	if (!m)
		return die(argv[3]);
	uint64_t size = argc > 4 ? strtoull(argv[4], NULL, 10) : m->quants[0].size_bytes;
	if (halo_gguf_writer_new(&w, 3) || halo_hparams_to_gguf(&m->hp, w) ||
	    halo_gguf_writer_add_str(w, "general.name", m->name) || add_filler(w, &m->hp, size))
		return die("building the header");
	halo_gguf_write_opts o = HALO_GGUF_WRITE_OPTS_INIT;
	o.header_only = true;
	uint64_t data_offset, file_size;
	if (halo_gguf_writer_write_path(w, argv[2], &o) || halo_gguf_writer_layout(w, &data_offset, &file_size))
		return die(argv[2]);
	if (argc > 5)
		file_size = strtoull(argv[5], NULL, 10);
	if (truncate(argv[2], (off_t)file_size) != 0)
		return perror("truncate"), 1;
	halo_gguf_writer_free(w);
	halo_catalog_free(&cat);
	return 0;
}

static int cmd_split(int argc, char **argv)
{
	uint32_t k, n;
	if (argc < 5 || !halo_gguf_split_parse(argv[2], &k, &n) || k != 1)
		return fprintf(stderr, "usage: mkfixture split OUT-00001-of-0000N.gguf MODEL_ID PART_BYTES\n"), 2;
	halo_catalog cat = HALO_CATALOG_INIT;
	if (halo_catalog_load_default(&cat, NULL))
		return die("catalog");
	const halo_model *m = halo_catalog_find(&cat, argv[3]);
	if (!m)
		return die(argv[3]);
	uint64_t part_bytes = strtoull(argv[4], NULL, 10);
	for (uint32_t i = 0; i < n; i++) {
		halo_gguf_writer *w;
		char *name, tname[64];
		uint64_t data_offset, file_size, ne[2] = { 4096, part_bytes / 4096 };
		if (halo_gguf_split_name(&name, argv[2], i + 1, n) || halo_gguf_writer_new(&w, 3))
			return die("split name");
		if (i == 0 && (halo_hparams_to_gguf(&m->hp, w) || halo_gguf_writer_add_str(w, "general.name", m->name)))
			return die("header");
		snprintf(tname, sizeof(tname), "blk.%u.filler.weight", i);
		if (halo_gguf_writer_add_u16(w, "split.no", (uint16_t)i) ||
		    halo_gguf_writer_add_u16(w, "split.count", (uint16_t)n) ||
		    halo_gguf_writer_add_i32(w, "split.tensors.count", (int32_t)n) ||
		    halo_gguf_writer_add_tensor(w, tname, 2, ne, HALO_GGML_I8, NULL))
			return die("split keys");
		halo_gguf_write_opts o = HALO_GGUF_WRITE_OPTS_INIT;
		o.header_only = true;
		if (halo_gguf_writer_write_path(w, name, &o) || halo_gguf_writer_layout(w, &data_offset, &file_size))
			return die(name);
		if (truncate(name, (off_t)file_size) != 0)
			return perror("truncate"), 1;
		halo_gguf_writer_free(w);
		free(name);
	}
	halo_catalog_free(&cat);
	return 0;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static int fill_random(void *ud, uint64_t tensor, uint64_t offset, void *buf, size_t len)
{
	(void)ud;
	(void)tensor;
	(void)offset;
	uint8_t *p = buf;
	for (size_t i = 0; i < len; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		p[i] = (uint8_t)rng;
	}
	return 0;
}

static int cmd_vocab(int argc, char **argv)
{
	if (argc < 5)
		return fprintf(stderr, "usage: mkfixture vocab OUT VOCAB.gguf DATA_BYTES [sparse]\n"), 2;
	halo_gguf *g;
	halo_gguf_writer *w;
	if (halo_gguf_open(&g, argv[3], NULL))
		return die(argv[3]);
	if (halo_gguf_writer_new(&w, 3))
		return die("writer");
	for (uint64_t i = 0; i < g->n_kv; i++) {
		const halo_gguf_value *v = &g->kv[i].value;
		if (v->type == HALO_GGUF_ARRAY && v->arr.n && !v->arr.values && !v->arr.strs)
			continue; /* large numeric arrays are not kept by the reader */
		if (halo_gguf_writer_add_value(w, g->kv[i].key, v))
			return die(g->kv[i].key);
	}
	uint64_t ne[2] = { 4096, strtoull(argv[4], NULL, 10) / 4096 };
	if (halo_gguf_writer_add_tensor(w, "blk.0.ffn_down.weight", 2, ne, HALO_GGML_I8, NULL))
		return die("tensor");
	halo_gguf_write_opts o = HALO_GGUF_WRITE_OPTS_INIT;
	bool sparse = argc > 5 && !strcmp(argv[5], "sparse");
	uint64_t data_offset, file_size;
	o.fill = fill_random;
	o.header_only = sparse;
	if (halo_gguf_writer_write_path(w, argv[2], &o) || halo_gguf_writer_layout(w, &data_offset, &file_size))
		return die(argv[2]);
	if (sparse && truncate(argv[2], (off_t)file_size) != 0)
		return perror("truncate"), 1;
	halo_gguf_writer_free(w);
	halo_gguf_free(g);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "model"))
		return cmd_model(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "split"))
		return cmd_split(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "vocab"))
		return cmd_vocab(argc, argv);
	fprintf(stderr, "usage: mkfixture model|split|vocab ...\n");
	return 2;
}
