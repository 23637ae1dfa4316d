/*
 * Fuzz target for the GGUF header reader: parses the input as a whole file
 * image, then
 *  - walks everything the result exposes (every string to its NUL, every
 *    decoded array element), so ASan sees any pointer that is off;
 *  - checks the invariants gguf.h promises (sizes, aligned sequential
 *    offsets, unique keys, element counts) and aborts when one fails;
 *  - runs the typed getters and the hparams extraction on it;
 *  - writes the parsed header back out with the GGUF writer and parses that
 *    again: the two must agree (a differential check of reader and writer).
 * Built with libFuzzer (tests/fuzz/CMakeLists.txt) and, with a plain driver,
 * replayed over the corpus by ctest (fuzz-replay.fuzz_gguf).
 */
#include "buf.h"
#include "error.h"
#include "ggml_type.h"
#include "gguf.h"
#include "gguf_write.h"
#include "hparams.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                                          \
	do {                                                                              \
		if (!(c)) {                                                               \
			fprintf(stderr, "fuzz_gguf: invariant failed: %s (%s:%d): %s\n", #c, \
				__FILE__, __LINE__, halo_error_last()->message);          \
			abort();                                                          \
		}                                                                         \
	} while (0)

/* Small caps keep each input fast and the memory bounded. */
static halo_gguf_open_opts fuzz_opts(bool allow_truncated)
{
	halo_gguf_open_opts o = HALO_GGUF_OPEN_OPTS_INIT;
	o.max_header_bytes = (uint64_t)1 << 24;
	o.max_kv = 1u << 16;
	o.max_tensors = 1u << 16;
	o.max_string = (uint64_t)1 << 20;
	o.max_array = (uint64_t)1 << 20;
	o.allow_truncated_data = allow_truncated;
	return o;
}

static volatile size_t sink; /* keeps the walks from being optimised away */

static void walk_str(const halo_gguf_str *s)
{
	CHECK(s->ptr != NULL);
	CHECK(s->ptr[s->len] == '\0');
	size_t n = 0;
	for (uint64_t i = 0; i < s->len; i++)
		n += (unsigned char)s->ptr[i];
	sink += n;
}

/* Touches every byte of a value; returns false when an array was left undecoded. */
static bool walk_value(const halo_gguf_value *v, unsigned depth)
{
	bool full = true;
	CHECK(v->type < HALO_GGUF_TYPE_COUNT);
	CHECK(depth <= 64);
	if (v->type == HALO_GGUF_STRING) {
		walk_str(&v->str);
	} else if (v->type == HALO_GGUF_ARRAY) {
		CHECK(v->arr.type < HALO_GGUF_TYPE_COUNT);
		if (v->arr.type == HALO_GGUF_STRING) {
			CHECK(v->arr.n == 0 || v->arr.strs != NULL);
			for (uint64_t i = 0; i < v->arr.n; i++)
				walk_str(&v->arr.strs[i]);
		} else if (!v->arr.values) {
			/* only long scalar arrays may stay undecoded */
			CHECK(v->arr.type != HALO_GGUF_ARRAY);
			CHECK(v->arr.n > HALO_GGUF_ARRAY_DECODE_MAX);
			full = false;
		} else {
			for (uint64_t i = 0; i < v->arr.n; i++) {
				CHECK(v->arr.values[i].type == v->arr.type);
				full &= walk_value(&v->arr.values[i], depth + 1);
			}
		}
		uint64_t u;
		int rc = halo_gguf_array_u64(v, 0, &u);
		CHECK(rc == 0 || rc == HALO_EFORMAT);
		rc = halo_gguf_array_u64(v, v->arr.n, &u);
		CHECK(rc == HALO_EFORMAT);
	}
	return full;
}


static void check_invariants(const halo_gguf *g, size_t size)
{
	CHECK(g->version == 2 || g->version == 3);
	CHECK(g->alignment && !(g->alignment & (g->alignment - 1)));
	CHECK(g->data_offset % g->alignment == 0);
	CHECK(g->n_splits == 1);
	CHECK(g->file_size == size);
	CHECK(g->n_kv == 0 || g->kv != NULL);
	CHECK(g->n_tensors == 0 || g->tensors != NULL);

	for (uint64_t i = 0; i < g->n_kv; i++) {
		const halo_gguf_kv *kv = &g->kv[i];
		CHECK(kv->key != NULL);
		/* keys are unique, so lookup finds this very entry */
		CHECK(halo_gguf_get(g, kv->key) == &kv->value);
		walk_value(&kv->value, 0);
		uint64_t u;
		uint32_t u32;
		double d;
		const char *s;
		int rc = halo_gguf_get_u64(g, kv->key, &u);
		CHECK(rc == 0 || rc == HALO_EFORMAT);
		rc = halo_gguf_get_u32(g, kv->key, &u32);
		CHECK(rc == 0 || rc == HALO_EFORMAT);
		rc = halo_gguf_get_f64(g, kv->key, &d);
		CHECK(rc == 0 || rc == HALO_EFORMAT);
		rc = halo_gguf_get_str(g, kv->key, &s);
		CHECK(rc == 0 || rc == HALO_EFORMAT);
		CHECK((rc == 0) == (kv->value.type == HALO_GGUF_STRING));
		if (rc == 0) {
			uint32_t k, n;
			char *name = NULL;
			if (halo_gguf_split_parse(s, &k, &n)) {
				CHECK(k >= 1 && k <= n);
				if (halo_gguf_split_name(&name, s, k, n) == 0) {
					CHECK(strlen(name) == strlen(s));
					free(name);
				}
			}
		}
	}
	if (g->n_kv == 0) {
		uint64_t u;
		CHECK(halo_gguf_get_u64(g, "general.alignment", &u) == HALO_ENOTFOUND);
	}

	uint64_t expect = 0, n_el = 0;
	for (uint64_t i = 0; i < g->n_tensors; i++) {
		const halo_gguf_tensor *t = &g->tensors[i];
		const halo_ggml_type_info *ti = halo_ggml_type_get(t->type);
		uint64_t row, bytes, nel;
		CHECK(t->name != NULL && strlen(t->name) < 64);
		CHECK(t->n_dims >= 1 && t->n_dims <= HALO_GGUF_MAX_DIMS);
		for (uint32_t j = t->n_dims; j < HALO_GGUF_MAX_DIMS; j++)
			CHECK(t->ne[j] == 1);
		CHECK(ti != NULL);
		CHECK(t->ne[0] % ti->block_size == 0);
		if (!t->ne[0] || !t->ne[1] || !t->ne[2] || !t->ne[3]) {
			/* no elements: no bytes, whatever the other dimensions (as ggml_nbytes) */
			bytes = nel = 0;
		} else {
			CHECK(halo_ggml_row_size(t->type, t->ne[0], &row) == 0);
			CHECK(!__builtin_mul_overflow(row, t->ne[1], &bytes));
			CHECK(!__builtin_mul_overflow(bytes, t->ne[2], &bytes));
			CHECK(!__builtin_mul_overflow(bytes, t->ne[3], &bytes));
			CHECK(!__builtin_mul_overflow(t->ne[0], t->ne[1], &nel));
			CHECK(!__builtin_mul_overflow(nel, t->ne[2], &nel));
			CHECK(!__builtin_mul_overflow(nel, t->ne[3], &nel));
		}
		CHECK(bytes == t->size);
		n_el += nel;
		CHECK(t->split == 0);
		CHECK(t->offset == expect); /* in order, each at the previous padded end */
		CHECK(t->offset % g->alignment == 0);
		expect = t->offset + (t->size + g->alignment - 1) / g->alignment * g->alignment;
		for (uint64_t j = 0; j < i && j < 8; j++)
			CHECK(strcmp(g->tensors[j].name, t->name) != 0);
	}
	CHECK(g->n_elements == n_el);
	if (g->n_tensors)
		CHECK(halo_gguf_data_complete(g));
}

/* Exercises the hparams extraction; any result is fine, a crash or UB is not. */
static void hparams(const halo_gguf *g)
{
	halo_hparams *hp = calloc(1, sizeof(*hp));
	if (!hp)
		return;
	if (halo_hparams_from_gguf(hp, g) == 0) {
		uint32_t a, r, s;
		uint64_t full, swa;
		CHECK(hp->n_layer <= HALO_MAX_LAYERS);
		halo_hparams_layer_counts(hp, &a, &r, &s);
		CHECK((uint64_t)a + r + s == hp->n_layer);
		(void)halo_hparams_kv_bytes_per_token(hp, HALO_GGML_F16, HALO_GGML_Q8_0, &full, &swa);
		sink += halo_hparams_n_embd_r(hp) + halo_hparams_n_embd_s(hp) +
			halo_hparams_recurrent_bytes_per_seq(hp) + halo_hparams_is_recurrent(hp);
	}
	free(hp);
}

/*
 * Writes g's header back out and parses it again: same values, same tensors.
 * Skipped when g holds something the writer refuses by design (an empty key or
 * tensor name, an array the reader did not decode, a shape llama.cpp's own
 * check rejects) or when the header is padded past 16 MiB.
 */
static void rewrite(const halo_gguf *g, bool all_decoded)
{
	halo_gguf_writer *w;
	/* a huge general.alignment pads the header to gigabytes: fine, but not here */
	if (!all_decoded || g->data_offset > ((uint64_t)1 << 24) || halo_gguf_writer_new(&w, g->version))
		return;
	for (uint64_t i = 0; i < g->n_kv; i++) {
		int rc = halo_gguf_writer_add_value(w, g->kv[i].key, &g->kv[i].value);
		if (rc) {
			CHECK(rc == HALO_EUSAGE && (!g->kv[i].key[0]));
			halo_gguf_writer_free(w);
			return;
		}
	}
	CHECK(halo_gguf_writer_alignment(w) == g->alignment);
	for (uint64_t i = 0; i < g->n_tensors; i++) {
		const halo_gguf_tensor *t = &g->tensors[i];
		int rc = halo_gguf_writer_add_tensor(w, t->name, t->n_dims, t->ne, t->type, NULL);
		if (rc) {
			CHECK(rc == HALO_EUSAGE);
			halo_gguf_writer_free(w);
			return;
		}
		uint64_t off, size;
		CHECK(halo_gguf_writer_tensor(w, i, &off, &size) == 0);
		CHECK(off == t->offset && size == t->size);
	}

	halo_gguf_write_opts wo = HALO_GGUF_WRITE_OPTS_INIT;
	halo_buf out;
	halo_gguf *g2 = NULL;
	uint64_t data_offset;
	halo_buf_init(&out, (size_t)1 << 25);
	wo.big_endian = g->byteswapped;
	wo.header_only = true;
	CHECK(halo_gguf_writer_layout(w, &data_offset, NULL) == 0);
	CHECK(data_offset == g->data_offset);
	CHECK(halo_gguf_writer_write_buf(w, &out, &wo) == 0);
	CHECK(out.len == data_offset);
	halo_gguf_open_opts o = fuzz_opts(true);
	CHECK(halo_gguf_parse_buffer(&g2, out.ptr, out.len, "rewrite", &o) == 0);
	CHECK(g2->version == g->version && g2->byteswapped == g->byteswapped);
	CHECK(g2->alignment == g->alignment && g2->data_offset == g->data_offset);
	CHECK(g2->n_kv == g->n_kv && g2->n_tensors == g->n_tensors);
	for (uint64_t i = 0; i < g->n_kv; i++) {
		CHECK(!strcmp(g2->kv[i].key, g->kv[i].key));
		CHECK(halo_gguf_value_equal(&g2->kv[i].value, &g->kv[i].value));
	}
	for (uint64_t i = 0; i < g->n_tensors; i++) {
		const halo_gguf_tensor *a = &g->tensors[i], *b = &g2->tensors[i];
		CHECK(!strcmp(a->name, b->name) && a->n_dims == b->n_dims && a->type == b->type);
		CHECK(!memcmp(a->ne, b->ne, sizeof(a->ne)) && a->offset == b->offset && a->size == b->size);
	}
	halo_gguf_free(g2);
	halo_buf_free(&out);
	halo_gguf_writer_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	halo_gguf *g = NULL, *gt = NULL;
	halo_gguf_open_opts strict = fuzz_opts(false), lax = fuzz_opts(true);

	int rc = halo_gguf_parse_buffer(&g, data, size, "fuzz", &strict);
	if (rc) {
		CHECK(g == NULL);
		CHECK(rc == HALO_EFORMAT || rc == HALO_ENOMEM);
		CHECK(halo_error_last()->code == rc && halo_error_last()->message[0]);
	}
	int rct = halo_gguf_parse_buffer(&gt, data, size, "fuzz", &lax);
	/* allowing missing data can only turn a failure into a success */
	CHECK(rc != 0 || rct == 0);
	if (gt) {
		CHECK(gt->file_size == size);
		if (g) {
			CHECK(gt->n_kv == g->n_kv && gt->n_tensors == g->n_tensors);
			CHECK(gt->data_offset == g->data_offset);
		}
		halo_gguf_free(gt);
	}
	if (!g)
		return 0;

	check_invariants(g, size);
	bool all_decoded = true;
	for (uint64_t i = 0; i < g->n_kv; i++)
		all_decoded &= walk_value(&g->kv[i].value, 0);
	hparams(g);
	rewrite(g, all_decoded);
	halo_gguf_free(g);
	return 0;
}
