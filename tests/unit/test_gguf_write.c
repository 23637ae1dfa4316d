/*
 * The GGUF writer, checked three ways: against hand-assembled bytes (the
 * format itself), by round trips through the reader (every value type, both
 * versions, both byte orders, alignments, tensor layouts, split models), and
 * the reader against the real vocabulary files of the pinned llama.cpp.
 *
 * With HALO_GEN_CORPUS=DIR set, the valid files made here are also written to
 * DIR as fuzz seeds (tests/fuzz/corpus/gguf is generated that way).
 */
#include "testutil.h"

#include "buf.h"
#include "error.h"
#include "ggml_type.h"
#include "gguf.h"
#include "gguf_write.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* helpers */

static void corpus_seed(const char *name, const void *data, size_t len)
{
	const char *dir = getenv("HALO_GEN_CORPUS");
	char path[4096];
	if (!dir || !*dir)
		return;
	assert_true(len < 64 * 1024); /* seeds stay small */
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	test_write_file(path, data, len);
}

static void check_ok(int rc)
{
	if (rc)
		fail_msg("unexpected error %d: %s", rc, halo_error_last()->message);
}

static uint64_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

static halo_buf read_file(const char *path)
{
	halo_buf b = HALO_BUF_INIT;
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		check_ok(halo_buf_add(&b, chunk, n));
	fclose(f);
	return b;
}

/* The byte tensor `t` holds at `off` in the files written here. */
static uint8_t pattern(uint64_t t, uint64_t off)
{
	return (uint8_t)(t * 37 + off * 7 + 1 + (off >> 9));
}

typedef struct fill_log {
	uint64_t calls;
	uint64_t next_tensor, next_off; /* where the next call must start */
	size_t max_len;
	int fail_at_tensor;             /* -1: never */
} fill_log;

static int fill_pattern(void *ud, uint64_t tensor, uint64_t off, void *buf, size_t len)
{
	fill_log *log = ud;
	uint8_t *b = buf;
	if (log) {
		/* chunks arrive in order: tensor by tensor, each from offset 0 on */
		if (tensor != log->next_tensor) {
			assert_true(tensor > log->next_tensor);
			assert_int_equal(off, 0);
		} else {
			assert_int_equal(off, log->next_off);
		}
		assert_true(len > 0);
		if (log->max_len)
			assert_true(len <= log->max_len);
		log->calls++;
		log->next_tensor = tensor;
		log->next_off = off + len;
		if (log->fail_at_tensor >= 0 && tensor == (uint64_t)log->fail_at_tensor)
			return halo_error_set(HALO_EIO, "disk on fire");
	}
	for (size_t k = 0; k < len; k++)
		b[k] = pattern(tensor, off + k);
	return 0;
}

static halo_gguf *parse(const halo_buf *b, const char *name)
{
	halo_gguf *g = NULL;
	check_ok(halo_gguf_parse_buffer(&g, b->ptr, b->len, name, NULL));
	assert_non_null(g);
	return g;
}

static const halo_gguf_value *getv(const halo_gguf *g, const char *key, uint32_t type)
{
	const halo_gguf_value *v = halo_gguf_get(g, key);
	if (!v)
		fail_msg("key %s missing", key);
	assert_int_equal(v->type, type);
	return v;
}

static const halo_gguf_value *geta(const halo_gguf *g, const char *key, uint32_t etype, uint64_t n)
{
	const halo_gguf_value *v = getv(g, key, HALO_GGUF_ARRAY);
	assert_int_equal(v->arr.type, etype);
	assert_int_equal(v->arr.n, n);
	return v;
}

static bool f64_same(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}


/* ------------------------------------------------------------------ */
/* the reference content: every value type, and tensors of several types */

static const uint8_t A_U8[] = { 0, 1, 255 };
static const int8_t A_I8[] = { -128, 0, 127 };
static const uint16_t A_U16[] = { 0, 0x1234, 65535 };
static const int16_t A_I16[] = { -32768, -1, 32767 };
static const uint32_t A_U32[] = { 0, 0x89abcdefu, UINT32_MAX };
static const int32_t A_I32[] = { INT32_MIN, -2, INT32_MAX };
static const float A_F32[] = { 0.0f, -1.5f, 3.4028235e38f, 1e-45f, 0.1f };
static const bool A_BOOL[] = { true, false, true };
static const uint64_t A_U64[] = { 0, 0x0123456789abcdefull, UINT64_MAX };
static const int64_t A_I64[] = { INT64_MIN, -3, INT64_MAX };
static const double A_F64[] = { 0.0, -2.25, 1e308, 5e-324, 0.1 };
static const char *const A_STR[] = { "", "a", "h\xc3\xa9llo", "tab\tnew\nline", "" };
#define BIG_N 70000u /* past HALO_GGUF_ARRAY_DECODE_MAX: the reader skips it */

typedef struct tdesc {
	const char *name;
	uint32_t n_dims;
	uint64_t ne[4];
	uint32_t type;
	uint64_t size;   /* bytes, worked out by hand from ggml's block sizes */
	uint64_t offset; /* under the default alignment of 32, by hand */
} tdesc;

static const tdesc TENSORS[] = {
	{ "token_embd.weight", 2, { 8, 4 }, HALO_GGML_F32, 128, 0 },
	{ "blk.0.attn_q.weight", 1, { 64 }, HALO_GGML_F16, 128, 128 },
	{ "blk.0.q4_0", 2, { 32, 3 }, HALO_GGML_Q4_0, 3 * 18, 256 },
	{ "blk.0.q4_k", 3, { 256, 2, 2 }, HALO_GGML_Q4_K, 4 * 144, 320 },
	{ "blk.0.q8_0", 4, { 64, 1, 1, 3 }, HALO_GGML_Q8_0, 6 * 34, 896 },
	{ "blk.0.i32", 1, { 5 }, HALO_GGML_I32, 20, 1120 },
	{ "blk.0.empty", 2, { 0, 7 }, HALO_GGML_F32, 0, 1152 },
	{ "blk.0.q6_k", 1, { 256 }, HALO_GGML_Q6_K, 210, 1152 },
	{ "blk.0.bf16", 2, { 3, 3 }, HALO_GGML_BF16, 18, 1376 },
	{ "output.mxfp4", 1, { 64 }, HALO_GGML_MXFP4, 2 * 17, 1408 },
};
#define TENSORS_END 1472 /* 1408 + 34 padded to 32 */

static halo_gguf_value scalar_u32(uint32_t x)
{
	halo_gguf_value v;
	memset(&v, 0, sizeof(v));
	v.type = HALO_GGUF_UINT32;
	v.u64 = x;
	return v;
}

static void add_all_values(halo_gguf_writer *w)
{
	check_ok(halo_gguf_writer_add_str(w, "general.architecture", "llama"));
	check_ok(halo_gguf_writer_add_u8(w, "t.u8", 200));
	check_ok(halo_gguf_writer_add_i8(w, "t.i8", -100));
	check_ok(halo_gguf_writer_add_u16(w, "t.u16", 60000));
	check_ok(halo_gguf_writer_add_i16(w, "t.i16", -30000));
	check_ok(halo_gguf_writer_add_u32(w, "t.u32", 4000000000u));
	check_ok(halo_gguf_writer_add_i32(w, "t.i32", -2000000000));
	check_ok(halo_gguf_writer_add_f32(w, "t.f32", 0.1f));
	check_ok(halo_gguf_writer_add_bool(w, "t.bool", true));
	check_ok(halo_gguf_writer_add_bool(w, "t.bool0", false));
	check_ok(halo_gguf_writer_add_str(w, "t.str", "hello gguf"));
	check_ok(halo_gguf_writer_add_str(w, "t.str.empty", ""));
	check_ok(halo_gguf_writer_add_strn(w, "t.str.nul", "a\0b", 3));
	check_ok(halo_gguf_writer_add_u64(w, "t.u64", 0xfedcba9876543210ull));
	check_ok(halo_gguf_writer_add_i64(w, "t.i64", INT64_MIN + 1));
	check_ok(halo_gguf_writer_add_f64(w, "t.f64", -1e300));

	check_ok(halo_gguf_writer_add_array(w, "a.u8", HALO_GGUF_UINT8, A_U8, ARRAY_LEN(A_U8)));
	check_ok(halo_gguf_writer_add_array(w, "a.i8", HALO_GGUF_INT8, A_I8, ARRAY_LEN(A_I8)));
	check_ok(halo_gguf_writer_add_array(w, "a.u16", HALO_GGUF_UINT16, A_U16, ARRAY_LEN(A_U16)));
	check_ok(halo_gguf_writer_add_array(w, "a.i16", HALO_GGUF_INT16, A_I16, ARRAY_LEN(A_I16)));
	check_ok(halo_gguf_writer_add_array(w, "a.u32", HALO_GGUF_UINT32, A_U32, ARRAY_LEN(A_U32)));
	check_ok(halo_gguf_writer_add_array(w, "a.i32", HALO_GGUF_INT32, A_I32, ARRAY_LEN(A_I32)));
	check_ok(halo_gguf_writer_add_array(w, "a.f32", HALO_GGUF_FLOAT32, A_F32, ARRAY_LEN(A_F32)));
	check_ok(halo_gguf_writer_add_array(w, "a.bool", HALO_GGUF_BOOL, A_BOOL, ARRAY_LEN(A_BOOL)));
	check_ok(halo_gguf_writer_add_array(w, "a.u64", HALO_GGUF_UINT64, A_U64, ARRAY_LEN(A_U64)));
	check_ok(halo_gguf_writer_add_array(w, "a.i64", HALO_GGUF_INT64, A_I64, ARRAY_LEN(A_I64)));
	check_ok(halo_gguf_writer_add_array(w, "a.f64", HALO_GGUF_FLOAT64, A_F64, ARRAY_LEN(A_F64)));
	check_ok(halo_gguf_writer_add_str_array(w, "a.str", A_STR, ARRAY_LEN(A_STR)));
	check_ok(halo_gguf_writer_add_array(w, "a.empty.u8", HALO_GGUF_UINT8, NULL, 0));
	check_ok(halo_gguf_writer_add_array(w, "a.empty.f64", HALO_GGUF_FLOAT64, NULL, 0));
	check_ok(halo_gguf_writer_add_str_array(w, "a.empty.str", NULL, 0));

	/* nested arrays, built in the reader's representation */
	halo_gguf_value e[4], inner[3], top;
	memset(e, 0, sizeof(e));
	memset(inner, 0, sizeof(inner));
	e[0] = scalar_u32(1);
	e[1] = scalar_u32(2);
	e[2] = scalar_u32(3);
	e[3] = scalar_u32(4);
	inner[0].type = HALO_GGUF_ARRAY;
	inner[0].arr.type = HALO_GGUF_UINT32;
	inner[0].arr.n = 3;
	inner[0].arr.values = &e[0];
	inner[1].type = HALO_GGUF_ARRAY; /* empty */
	inner[1].arr.type = HALO_GGUF_UINT32;
	inner[2].type = HALO_GGUF_ARRAY;
	inner[2].arr.type = HALO_GGUF_UINT32;
	inner[2].arr.n = 1;
	inner[2].arr.values = &e[3];
	memset(&top, 0, sizeof(top));
	top.type = HALO_GGUF_ARRAY;
	top.arr.type = HALO_GGUF_ARRAY;
	top.arr.n = 3;
	top.arr.values = inner;
	check_ok(halo_gguf_writer_add_value(w, "n.u32", &top));

	/* inner arrays of different element types: strings, then an i16 three levels down */
	halo_gguf_str s2[2] = { { 1, "x" }, { 0, "" } };
	halo_gguf_value i16v, deep[2], kids[2];
	memset(&i16v, 0, sizeof(i16v));
	memset(deep, 0, sizeof(deep));
	memset(kids, 0, sizeof(kids));
	i16v.type = HALO_GGUF_INT16;
	i16v.i64 = -7;
	deep[0].type = HALO_GGUF_ARRAY;
	deep[0].arr.type = HALO_GGUF_INT16;
	deep[0].arr.n = 1;
	deep[0].arr.values = &i16v;
	kids[0].type = HALO_GGUF_ARRAY;
	kids[0].arr.type = HALO_GGUF_STRING;
	kids[0].arr.n = 2;
	kids[0].arr.strs = s2;
	kids[1].type = HALO_GGUF_ARRAY;
	kids[1].arr.type = HALO_GGUF_ARRAY;
	kids[1].arr.n = 1;
	kids[1].arr.values = deep;
	top.arr.n = 2;
	top.arr.values = kids;
	check_ok(halo_gguf_writer_add_value(w, "n.mixed", &top));
	top.arr.n = 0;
	top.arr.values = NULL;
	check_ok(halo_gguf_writer_add_value(w, "n.empty", &top));

	/* an array the reader does not decode, then a key after it */
	uint16_t *big = malloc(BIG_N * sizeof(*big));
	assert_non_null(big);
	for (uint32_t i = 0; i < BIG_N; i++)
		big[i] = (uint16_t)(i * 3);
	check_ok(halo_gguf_writer_add_array(w, "a.big", HALO_GGUF_UINT16, big, BIG_N));
	free(big);
	check_ok(halo_gguf_writer_add_u32(w, "after.big", 42));
}

static void add_all_tensors(halo_gguf_writer *w)
{
	for (size_t i = 0; i < ARRAY_LEN(TENSORS); i++) {
		uint64_t index = 99;
		check_ok(halo_gguf_writer_add_tensor(w, TENSORS[i].name, TENSORS[i].n_dims, TENSORS[i].ne,
						     TENSORS[i].type, &index));
		assert_int_equal(index, i);
	}
}

#define N_KV_ALL 36

static void check_all_values(const halo_gguf *g)
{
	const halo_gguf_value *v;
	const char *s;

	assert_int_equal(g->n_kv, N_KV_ALL);
	check_ok(halo_gguf_get_str(g, "general.architecture", &s));
	assert_string_equal(s, "llama");
	assert_int_equal(getv(g, "t.u8", HALO_GGUF_UINT8)->u64, 200);
	assert_int_equal(getv(g, "t.i8", HALO_GGUF_INT8)->i64, -100);
	assert_int_equal(getv(g, "t.u16", HALO_GGUF_UINT16)->u64, 60000);
	assert_int_equal(getv(g, "t.i16", HALO_GGUF_INT16)->i64, -30000);
	assert_int_equal(getv(g, "t.u32", HALO_GGUF_UINT32)->u64, 4000000000u);
	assert_int_equal(getv(g, "t.i32", HALO_GGUF_INT32)->i64, -2000000000);
	assert_true(f64_same(getv(g, "t.f32", HALO_GGUF_FLOAT32)->f64, (double)0.1f));
	assert_true(getv(g, "t.bool", HALO_GGUF_BOOL)->b);
	assert_false(getv(g, "t.bool0", HALO_GGUF_BOOL)->b);
	v = getv(g, "t.str", HALO_GGUF_STRING);
	assert_int_equal(v->str.len, 10);
	assert_string_equal(v->str.ptr, "hello gguf");
	v = getv(g, "t.str.empty", HALO_GGUF_STRING);
	assert_int_equal(v->str.len, 0);
	assert_string_equal(v->str.ptr, "");
	v = getv(g, "t.str.nul", HALO_GGUF_STRING);
	assert_int_equal(v->str.len, 3);
	assert_memory_equal(v->str.ptr, "a\0b", 4);
	assert_true(getv(g, "t.u64", HALO_GGUF_UINT64)->u64 == 0xfedcba9876543210ull);
	assert_true(getv(g, "t.i64", HALO_GGUF_INT64)->i64 == INT64_MIN + 1);
	assert_true(f64_same(getv(g, "t.f64", HALO_GGUF_FLOAT64)->f64, -1e300));

	/* the typed getters convert as documented */
	uint64_t u;
	uint32_t u32;
	double d;
	check_ok(halo_gguf_get_u64(g, "t.u64", &u));
	assert_true(u == 0xfedcba9876543210ull);
	check_ok(halo_gguf_get_u32(g, "t.u16", &u32));
	assert_int_equal(u32, 60000);
	assert_int_equal(halo_gguf_get_u32(g, "t.u64", &u32), HALO_EFORMAT);
	assert_int_equal(halo_gguf_get_u64(g, "t.i8", &u), HALO_EFORMAT);
	assert_int_equal(halo_gguf_get_u64(g, "no.such.key", &u), HALO_ENOTFOUND);
	assert_int_equal(halo_gguf_get_str(g, "t.u8", &s), HALO_EFORMAT);
	check_ok(halo_gguf_get_f64(g, "t.f64", &d));
	assert_true(f64_same(d, -1e300));

	v = geta(g, "a.u8", HALO_GGUF_UINT8, ARRAY_LEN(A_U8));
	for (size_t i = 0; i < ARRAY_LEN(A_U8); i++) {
		assert_int_equal(v->arr.values[i].type, HALO_GGUF_UINT8);
		assert_int_equal(v->arr.values[i].u64, A_U8[i]);
	}
	v = geta(g, "a.i8", HALO_GGUF_INT8, ARRAY_LEN(A_I8));
	for (size_t i = 0; i < ARRAY_LEN(A_I8); i++)
		assert_int_equal(v->arr.values[i].i64, A_I8[i]);
	v = geta(g, "a.u16", HALO_GGUF_UINT16, ARRAY_LEN(A_U16));
	for (size_t i = 0; i < ARRAY_LEN(A_U16); i++)
		assert_int_equal(v->arr.values[i].u64, A_U16[i]);
	v = geta(g, "a.i16", HALO_GGUF_INT16, ARRAY_LEN(A_I16));
	for (size_t i = 0; i < ARRAY_LEN(A_I16); i++)
		assert_int_equal(v->arr.values[i].i64, A_I16[i]);
	v = geta(g, "a.u32", HALO_GGUF_UINT32, ARRAY_LEN(A_U32));
	for (size_t i = 0; i < ARRAY_LEN(A_U32); i++)
		assert_int_equal(v->arr.values[i].u64, A_U32[i]);
	v = geta(g, "a.i32", HALO_GGUF_INT32, ARRAY_LEN(A_I32));
	for (size_t i = 0; i < ARRAY_LEN(A_I32); i++)
		assert_int_equal(v->arr.values[i].i64, A_I32[i]);
	v = geta(g, "a.f32", HALO_GGUF_FLOAT32, ARRAY_LEN(A_F32));
	for (size_t i = 0; i < ARRAY_LEN(A_F32); i++)
		assert_true(f64_same(v->arr.values[i].f64, (double)A_F32[i]));
	v = geta(g, "a.bool", HALO_GGUF_BOOL, ARRAY_LEN(A_BOOL));
	for (size_t i = 0; i < ARRAY_LEN(A_BOOL); i++)
		assert_int_equal(v->arr.values[i].b, A_BOOL[i]);
	v = geta(g, "a.u64", HALO_GGUF_UINT64, ARRAY_LEN(A_U64));
	for (size_t i = 0; i < ARRAY_LEN(A_U64); i++)
		assert_true(v->arr.values[i].u64 == A_U64[i]);
	v = geta(g, "a.i64", HALO_GGUF_INT64, ARRAY_LEN(A_I64));
	for (size_t i = 0; i < ARRAY_LEN(A_I64); i++)
		assert_true(v->arr.values[i].i64 == A_I64[i]);
	v = geta(g, "a.f64", HALO_GGUF_FLOAT64, ARRAY_LEN(A_F64));
	for (size_t i = 0; i < ARRAY_LEN(A_F64); i++)
		assert_true(f64_same(v->arr.values[i].f64, A_F64[i]));
	v = geta(g, "a.str", HALO_GGUF_STRING, ARRAY_LEN(A_STR));
	for (size_t i = 0; i < ARRAY_LEN(A_STR); i++) {
		assert_int_equal(v->arr.strs[i].len, strlen(A_STR[i]));
		assert_string_equal(v->arr.strs[i].ptr, A_STR[i]);
	}
	geta(g, "a.empty.u8", HALO_GGUF_UINT8, 0);
	geta(g, "a.empty.f64", HALO_GGUF_FLOAT64, 0);
	geta(g, "a.empty.str", HALO_GGUF_STRING, 0);

	/* per-layer style access */
	check_ok(halo_gguf_array_u64(geta(g, "a.u32", HALO_GGUF_UINT32, 3), 1, &u));
	assert_int_equal(u, 0x89abcdefu);
	assert_int_equal(halo_gguf_array_u64(geta(g, "a.u32", HALO_GGUF_UINT32, 3), 3, &u), HALO_EFORMAT);
	assert_int_equal(halo_gguf_array_u64(geta(g, "a.i8", HALO_GGUF_INT8, 3), 0, &u), HALO_EFORMAT);

	v = geta(g, "n.u32", HALO_GGUF_ARRAY, 3);
	assert_int_equal(v->arr.values[0].type, HALO_GGUF_ARRAY);
	assert_int_equal(v->arr.values[0].arr.type, HALO_GGUF_UINT32);
	assert_int_equal(v->arr.values[0].arr.n, 3);
	for (uint64_t i = 0; i < 3; i++) {
		check_ok(halo_gguf_array_u64(&v->arr.values[0], i, &u));
		assert_int_equal(u, i + 1);
	}
	assert_int_equal(v->arr.values[1].arr.type, HALO_GGUF_UINT32);
	assert_int_equal(v->arr.values[1].arr.n, 0);
	assert_int_equal(v->arr.values[2].arr.n, 1);
	assert_int_equal(v->arr.values[2].arr.values[0].u64, 4);

	v = geta(g, "n.mixed", HALO_GGUF_ARRAY, 2);
	const halo_gguf_value *k0 = &v->arr.values[0], *k1 = &v->arr.values[1];
	assert_int_equal(k0->arr.type, HALO_GGUF_STRING);
	assert_int_equal(k0->arr.n, 2);
	assert_string_equal(k0->arr.strs[0].ptr, "x");
	assert_int_equal(k0->arr.strs[1].len, 0);
	assert_int_equal(k1->arr.type, HALO_GGUF_ARRAY);
	assert_int_equal(k1->arr.n, 1);
	assert_int_equal(k1->arr.values[0].arr.type, HALO_GGUF_INT16);
	assert_int_equal(k1->arr.values[0].arr.n, 1);
	assert_int_equal(k1->arr.values[0].arr.values[0].i64, -7);
	geta(g, "n.empty", HALO_GGUF_ARRAY, 0);

	v = geta(g, "a.big", HALO_GGUF_UINT16, BIG_N);
	assert_null(v->arr.values); /* documented: too long to decode */
	assert_int_equal(getv(g, "after.big", HALO_GGUF_UINT32)->u64, 42);
}

/* Tensor infos as listed in TENSORS, under `alignment`; offsets by hand for 32. */
static void check_all_tensors(const halo_gguf *g, const halo_gguf_writer *w, uint32_t alignment)
{
	uint64_t expect = 0, n_el = 0;
	assert_int_equal(g->n_tensors, ARRAY_LEN(TENSORS));
	assert_int_equal(g->alignment, alignment);
	assert_int_equal(g->data_offset % alignment, 0);
	for (size_t i = 0; i < ARRAY_LEN(TENSORS); i++) {
		const halo_gguf_tensor *t = &g->tensors[i];
		const tdesc *d = &TENSORS[i];
		uint64_t woff, wsize;
		assert_string_equal(t->name, d->name);
		assert_int_equal(t->n_dims, d->n_dims);
		for (uint32_t j = 0; j < 4; j++)
			assert_int_equal(t->ne[j], j < d->n_dims ? d->ne[j] : 1);
		assert_int_equal(t->type, d->type);
		assert_int_equal(t->size, d->size);
		assert_int_equal(t->split, 0);
		assert_int_equal(t->offset % alignment, 0);
		assert_int_equal(t->offset, expect);
		if (alignment == 32)
			assert_int_equal(t->offset, d->offset);
		if (w) {
			check_ok(halo_gguf_writer_tensor(w, i, &woff, &wsize));
			assert_int_equal(woff, t->offset);
			assert_int_equal(wsize, t->size);
		}
		expect += (d->size + alignment - 1) / alignment * alignment;
		n_el += d->ne[0] * (d->n_dims > 1 ? d->ne[1] : 1) * (d->n_dims > 2 ? d->ne[2] : 1) *
			(d->n_dims > 3 ? d->ne[3] : 1);
	}
	assert_int_equal(g->n_elements, n_el);
}

/* The data section of an image: pattern bytes in each tensor, zeros between. */
static void check_data(const halo_gguf *g, const uint8_t *img, uint64_t len, bool zeros)
{
	uint64_t pos = g->data_offset;
	for (uint64_t i = 0; i < g->n_tensors; i++) {
		const halo_gguf_tensor *t = &g->tensors[i];
		uint64_t at = g->data_offset + t->offset;
		for (; pos < at; pos++)
			assert_int_equal(img[pos], 0); /* padding */
		for (uint64_t k = 0; k < t->size; k++, pos++) {
			assert_true(pos < len);
			assert_int_equal(img[pos], zeros ? 0 : pattern(i, k));
		}
	}
	for (; pos < len; pos++)
		assert_int_equal(img[pos], 0);
}

static halo_gguf_writer *make_all(uint32_t version)
{
	halo_gguf_writer *w = NULL;
	check_ok(halo_gguf_writer_new(&w, version));
	add_all_values(w);
	add_all_tensors(w);
	assert_int_equal(halo_gguf_writer_n_kv(w), N_KV_ALL);
	assert_int_equal(halo_gguf_writer_n_tensors(w), ARRAY_LEN(TENSORS));
	return w;
}

/* ------------------------------------------------------------------ */
/* hand-assembled bytes */

typedef struct golden {
	uint8_t d[256];
	size_t n;
	bool big;
} golden;

static void put_n(golden *b, uint64_t v, unsigned width)
{
	for (unsigned k = 0; k < width; k++)
		b->d[b->n + (b->big ? width - 1 - k : k)] = (uint8_t)(v >> (8 * k));
	b->n += width;
}

static void put_s(golden *b, const char *s)
{
	put_n(b, strlen(s), 8);
	memcpy(b->d + b->n, s, strlen(s));
	b->n += strlen(s);
}

static void pad_to(golden *b, size_t a)
{
	while (b->n % a)
		b->d[b->n++] = 0;
}

/* The writer's bytes match the format as specified, in both byte orders. */
static void test_golden_bytes(void **state)
{
	(void)state;
	for (int big = 0; big <= 1; big++) {
		golden e = { .n = 0, .big = big };
		memcpy(e.d, "GGUF", 4);
		e.n = 4;
		put_n(&e, 3, 4);           /* version */
		put_n(&e, 1, 8);           /* tensors */
		put_n(&e, 3, 8);           /* key/values */
		put_s(&e, "k");
		put_n(&e, HALO_GGUF_UINT32, 4);
		put_n(&e, 0x01020304, 4);
		put_s(&e, "s");
		put_n(&e, HALO_GGUF_STRING, 4);
		put_s(&e, "hi");
		put_s(&e, "a");
		put_n(&e, HALO_GGUF_ARRAY, 4);
		put_n(&e, HALO_GGUF_INT16, 4);
		put_n(&e, 2, 8);
		put_n(&e, (uint16_t)-2, 2);
		put_n(&e, 0x0102, 2);
		put_s(&e, "t");
		put_n(&e, 2, 4);           /* n_dims */
		put_n(&e, 2, 8);
		put_n(&e, 1, 8);
		put_n(&e, HALO_GGML_F32, 4);
		put_n(&e, 0, 8);           /* offset */
		pad_to(&e, 32);
		size_t data_at = e.n;
		for (unsigned k = 0; k < 8; k++)
			e.d[e.n++] = pattern(0, k);
		pad_to(&e, 32);

		halo_gguf_writer *w;
		halo_buf out = HALO_BUF_INIT;
		halo_gguf_write_opts o = HALO_GGUF_WRITE_OPTS_INIT;
		int16_t a[2] = { -2, 0x0102 };
		uint64_t ne[2] = { 2, 1 }, data_offset, size;
		o.fill = fill_pattern;
		o.big_endian = big;
		check_ok(halo_gguf_writer_new(&w, 3));
		check_ok(halo_gguf_writer_add_u32(w, "k", 0x01020304));
		check_ok(halo_gguf_writer_add_str(w, "s", "hi"));
		check_ok(halo_gguf_writer_add_array(w, "a", HALO_GGUF_INT16, a, 2));
		check_ok(halo_gguf_writer_add_tensor(w, "t", 2, ne, HALO_GGML_F32, NULL));
		check_ok(halo_gguf_writer_layout(w, &data_offset, &size));
		assert_int_equal(data_offset, data_at);
		assert_int_equal(size, e.n);
		check_ok(halo_gguf_writer_write_buf(w, &out, &o));
		assert_int_equal(out.len, e.n);
		assert_memory_equal(out.ptr, e.d, e.n);
		corpus_seed(big ? "valid-golden-be.gguf" : "valid-golden.gguf", out.ptr, out.len);
		halo_buf_free(&out);
		halo_gguf_writer_free(w);
	}
}

/* ------------------------------------------------------------------ */
/* round trips */

static void roundtrip(uint32_t version, bool big)
{
	halo_gguf_writer *w = make_all(version);
	halo_gguf_write_opts o = HALO_GGUF_WRITE_OPTS_INIT;
	fill_log log = { .fail_at_tensor = -1, .max_len = 7 };
	halo_buf out = HALO_BUF_INIT;
	uint64_t data_offset, size;

	o.fill = fill_pattern;
	o.userdata = &log;
	o.chunk_size = 7; /* many small chunks: exercises the chunking */
	o.big_endian = big;
	check_ok(halo_gguf_writer_layout(w, &data_offset, &size));
	check_ok(halo_gguf_writer_write_buf(w, &out, &o));
	assert_int_equal(out.len, size);
	assert_int_equal(size, data_offset + TENSORS_END);
	assert_int_equal(data_offset % 32, 0);
	/* the version field shows the byte order */
	const uint8_t *p = (const uint8_t *)out.ptr;
	assert_memory_equal(p, "GGUF", 4);
	if (big)
		assert_true(p[4] == 0 && p[5] == 0 && p[6] == 0 && p[7] == version);
	else
		assert_true(p[4] == version && p[5] == 0 && p[6] == 0 && p[7] == 0);

	halo_gguf *g = parse(&out, "mem");
	assert_int_equal(g->version, version);
	assert_int_equal(g->byteswapped, big); /* tests run on little-endian hosts */
	assert_int_equal(g->data_offset, data_offset);
	assert_int_equal(g->file_size, out.len);
	assert_true(halo_gguf_data_complete(g));
	check_all_values(g);
	check_all_tensors(g, w, 32);
	check_data(g, p, out.len, false);
	halo_gguf_free(g);

	/* the same through a file */
	char path[4096];
	snprintf(path, sizeof(path), "%s/all.gguf", test_tmpdir("gguf_write"));
	log = (fill_log){ .fail_at_tensor = -1 };
	o.chunk_size = 0;
	check_ok(halo_gguf_writer_write_path(w, path, &o));
	assert_int_equal(file_size(path), size);
	halo_buf disk = read_file(path);
	assert_memory_equal(disk.ptr, out.ptr, out.len);
	check_ok(halo_gguf_open(&g, path, NULL));
	assert_int_equal(g->byteswapped, big);
	assert_int_equal(g->file_size, size);
	assert_int_equal(g->n_splits, 1);
	check_all_values(g);
	check_all_tensors(g, w, 32);
	halo_gguf_free(g);
	halo_buf_free(&disk);
	halo_buf_free(&out);
	halo_gguf_writer_free(w);
}

static void test_roundtrip_v3(void **state)
{
	(void)state;
	roundtrip(3, false);
}

static void test_roundtrip_v2(void **state)
{
	(void)state;
	roundtrip(2, false);
}

static void test_roundtrip_big_endian_v3(void **state)
{
	(void)state;
	roundtrip(3, true);
}

static void test_roundtrip_big_endian_v2(void **state)
{
	(void)state;
	roundtrip(2, true);
}

/* Without a fill callback the data is zeros; header_only stops at the data. */
static void test_zeros_and_header_only(void **state)
{
	(void)state;
	halo_gguf_writer *w = make_all(3);
	halo_gguf_write_opts o = HALO_GGUF_WRITE_OPTS_INIT;
	halo_buf out = HALO_BUF_INIT;
	uint64_t data_offset, size;
	check_ok(halo_gguf_writer_layout(w, &data_offset, &size));
	check_ok(halo_gguf_writer_write_buf(w, &out, NULL));
	assert_int_equal(out.len, size);
	halo_gguf *g = parse(&out, "zeros");
	check_data(g, (const uint8_t *)out.ptr, out.len, true);
	halo_gguf_free(g);

	halo_buf_reset(&out);
	o.header_only = true;
	check_ok(halo_gguf_writer_write_buf(w, &out, &o));
	assert_int_equal(out.len, data_offset);
	/* the data is missing: an error by default, parsed when allowed */
	assert_int_equal(halo_gguf_parse_buffer(&g, out.ptr, out.len, "header", NULL), HALO_EFORMAT);
	halo_gguf_open_opts oo = HALO_GGUF_OPEN_OPTS_INIT;
	oo.allow_truncated_data = true;
	check_ok(halo_gguf_parse_buffer(&g, out.ptr, out.len, "header", &oo));
	check_all_tensors(g, w, 32);
	assert_false(halo_gguf_data_complete(g));
	halo_gguf_free(g);
	halo_buf_free(&out);
	halo_gguf_writer_free(w);
}

/* general.alignment: set before or after the tensors, any power of two. */
static void test_alignment(void **state)
{
	(void)state;
	static const uint32_t aligns[] = { 1, 8, 64, 4096, 32 };
	for (size_t a = 0; a < ARRAY_LEN(aligns); a++) {
		for (int after = 0; after <= 1; after++) {
			halo_gguf_writer *w;
			halo_buf out = HALO_BUF_INIT;
			halo_gguf_write_opts o = HALO_GGUF_WRITE_OPTS_INIT;
			uint64_t data_offset, size;
			o.fill = fill_pattern;
			check_ok(halo_gguf_writer_new(&w, 3));
			check_ok(halo_gguf_writer_add_str(w, "general.architecture", "llama"));
			if (!after)
				check_ok(halo_gguf_writer_set_alignment(w, 16)); /* then changed below */
			add_all_tensors(w);
			check_ok(halo_gguf_writer_set_alignment(w, aligns[a]));
			assert_int_equal(halo_gguf_writer_alignment(w), aligns[a]);
			check_ok(halo_gguf_writer_layout(w, &data_offset, &size));
			check_ok(halo_gguf_writer_write_buf(w, &out, &o));
			assert_int_equal(out.len, size);
			halo_gguf *g = parse(&out, "aligned");
			assert_int_equal(g->alignment, aligns[a]);
			assert_int_equal(g->data_offset, data_offset);
			assert_int_equal(g->data_offset % aligns[a], 0);
			assert_int_equal(g->n_kv, 2);
			assert_int_equal(getv(g, "general.alignment", HALO_GGUF_UINT32)->u64, aligns[a]);
			check_all_tensors(g, w, aligns[a]);
			check_data(g, (const uint8_t *)out.ptr, out.len, false);
			if (aligns[a] == 64 && after)
				corpus_seed("valid-align64.gguf", out.ptr, out.len);
			halo_gguf_free(g);
			halo_buf_free(&out);
			halo_gguf_writer_free(w);
		}
	}

	/* also when given as a plain key */
	halo_gguf_writer *w;
	check_ok(halo_gguf_writer_new(&w, 3));
	check_ok(halo_gguf_writer_add_u32(w, "general.alignment", 128));
	assert_int_equal(halo_gguf_writer_alignment(w), 128);
	add_all_tensors(w);
	uint64_t off;
	check_ok(halo_gguf_writer_tensor(w, 1, &off, NULL));
	assert_int_equal(off, 128);
	check_ok(halo_gguf_writer_tensor(w, 2, &off, NULL));
	assert_int_equal(off, 256);
	check_ok(halo_gguf_writer_tensor(w, 3, &off, NULL));
	assert_int_equal(off, 384);
	halo_gguf_writer_free(w);
}

/* A multi-megabyte tensor streams through the callback in bounded chunks. */
static void test_streaming(void **state)
{
	(void)state;
	halo_gguf_writer *w;
	halo_gguf_write_opts o = HALO_GGUF_WRITE_OPTS_INIT;
	fill_log log = { .fail_at_tensor = -1, .max_len = 1 << 20 };
	uint64_t ne[2] = { 1024 * 1024 + 8, 4 }, ne2[1] = { 3 }, data_offset, size, off, tsize;
	char path[4096];

	check_ok(halo_gguf_writer_new(&w, 3));
	check_ok(halo_gguf_writer_add_str(w, "general.architecture", "llama"));
	check_ok(halo_gguf_writer_add_tensor(w, "big", 2, ne, HALO_GGML_F32, NULL));
	check_ok(halo_gguf_writer_add_tensor(w, "tail", 1, ne2, HALO_GGML_I8, NULL));
	check_ok(halo_gguf_writer_layout(w, &data_offset, &size));
	o.fill = fill_pattern;
	o.userdata = &log;
	snprintf(path, sizeof(path), "%s/big.gguf", test_tmpdir("gguf_stream"));
	check_ok(halo_gguf_writer_write_path(w, path, &o));
	assert_int_equal(file_size(path), size);
	/* 16 MiB + 128 bytes in 1 MiB chunks, then the small one */
	assert_int_equal(log.calls, 17 + 1);

	halo_gguf *g;
	check_ok(halo_gguf_open(&g, path, NULL));
	assert_int_equal(g->n_tensors, 2);
	check_ok(halo_gguf_writer_tensor(w, 1, &off, &tsize));
	assert_int_equal(g->tensors[1].offset, off);
	assert_int_equal(off, 16 * 1024 * 1024 + 128);
	assert_int_equal(g->file_size, size);
	assert_true(halo_gguf_data_complete(g));
	halo_buf disk = read_file(path);
	check_data(g, (const uint8_t *)disk.ptr, disk.len, false);
	halo_buf_free(&disk);
	halo_gguf_free(g);
	halo_gguf_writer_free(w);
}

/* A failing callback aborts the write; no file (nor temporary) is left. */
static void test_fill_error(void **state)
{
	(void)state;
	halo_gguf_writer *w = make_all(3);
	halo_gguf_write_opts o = HALO_GGUF_WRITE_OPTS_INIT;
	fill_log log = { .fail_at_tensor = 3 };
	const char *dir = test_tmpdir("gguf_fail");
	char path[4096];

	o.fill = fill_pattern;
	o.userdata = &log;
	snprintf(path, sizeof(path), "%s/x.gguf", dir);
	assert_int_equal(halo_gguf_writer_write_path(w, path, &o), HALO_EIO);
	assert_int_equal(halo_error_last()->code, HALO_EIO);
	assert_non_null(strstr(halo_error_last()->message, "blk.0.q4_k"));
	assert_non_null(strstr(halo_error_last()->message, "disk on fire"));
	DIR *d = opendir(dir);
	struct dirent *e;
	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			fail_msg("left behind: %s", e->d_name);
	closedir(d);

	/* a bounded buffer: HALO_ENOMEM, not an overrun */
	halo_buf small;
	halo_buf_init(&small, 100);
	assert_int_equal(halo_gguf_writer_write_buf(w, &small, NULL), HALO_ENOMEM);
	assert_true(small.len <= 100);
	halo_buf_free(&small);

	/* an unwritable path */
	assert_int_equal(halo_gguf_writer_write_path(w, "/nonexistent-dir/x.gguf", NULL), HALO_EIO);
	assert_non_null(strstr(halo_error_last()->message, "/nonexistent-dir/x.gguf"));

	halo_gguf_write_opts bad = HALO_GGUF_WRITE_OPTS_INIT;
	halo_buf out = HALO_BUF_INIT;
	bad.version = 99;
	assert_int_equal(halo_gguf_writer_write_buf(w, &out, &bad), HALO_EUSAGE);
	halo_buf_free(&out);
	halo_gguf_writer_free(w);
}

/* Caller mistakes are refused with HALO_EUSAGE and leave the writer unchanged. */
static void test_writer_errors(void **state)
{
	(void)state;
	halo_gguf_writer *w;
	uint64_t ne[4] = { 32, 2, 1, 1 };

	assert_int_equal(halo_gguf_writer_new(&w, 1), HALO_EUSAGE);
	assert_null(w);
	assert_int_equal(halo_gguf_writer_new(&w, 4), HALO_EUSAGE);
	check_ok(halo_gguf_writer_new(&w, 3));

	check_ok(halo_gguf_writer_add_u32(w, "k", 1));
	assert_int_equal(halo_gguf_writer_add_str(w, "k", "again"), HALO_EUSAGE);
	assert_non_null(strstr(halo_error_last()->message, "'k'"));
	assert_int_equal(halo_gguf_writer_add_u8(w, "", 1), HALO_EUSAGE);
	assert_int_equal(halo_gguf_writer_add_str(w, "s", NULL), HALO_EUSAGE);
	assert_int_equal(halo_gguf_writer_add_array(w, "a", HALO_GGUF_STRING, "x", 1), HALO_EUSAGE);
	assert_int_equal(halo_gguf_writer_add_array(w, "a", HALO_GGUF_ARRAY, "x", 1), HALO_EUSAGE);
	assert_int_equal(halo_gguf_writer_add_array(w, "a", HALO_GGUF_TYPE_COUNT, "x", 1), HALO_EUSAGE);
	assert_int_equal(halo_gguf_writer_add_array(w, "a", HALO_GGUF_UINT8, NULL, 1), HALO_EUSAGE);
	const char *strs[] = { "a", NULL };
	assert_int_equal(halo_gguf_writer_add_str_array(w, "a", strs, 2), HALO_EUSAGE);
	/* general.alignment: u32 and a power of two only */
	assert_int_equal(halo_gguf_writer_add_u64(w, "general.alignment", 32), HALO_EUSAGE);
	assert_int_equal(halo_gguf_writer_add_str(w, "general.alignment", "32"), HALO_EUSAGE);
	assert_int_equal(halo_gguf_writer_add_u32(w, "general.alignment", 0), HALO_EUSAGE);
	assert_int_equal(halo_gguf_writer_add_u32(w, "general.alignment", 48), HALO_EUSAGE);
	assert_int_equal(halo_gguf_writer_set_alignment(w, 0), HALO_EUSAGE);
	assert_int_equal(halo_gguf_writer_set_alignment(w, 3), HALO_EUSAGE);
	assert_int_equal(halo_gguf_writer_alignment(w), 32);

	/* add_value: out-of-range integers, bad types, undecoded arrays */
	halo_gguf_value v;
	memset(&v, 0, sizeof(v));
	v.type = HALO_GGUF_UINT8;
	v.u64 = 256;
	assert_int_equal(halo_gguf_writer_add_value(w, "v", &v), HALO_EUSAGE);
	v.type = HALO_GGUF_INT8;
	v.i64 = -129;
	assert_int_equal(halo_gguf_writer_add_value(w, "v", &v), HALO_EUSAGE);
	v.type = HALO_GGUF_INT32;
	v.i64 = (int64_t)INT32_MAX + 1;
	assert_int_equal(halo_gguf_writer_add_value(w, "v", &v), HALO_EUSAGE);
	v.type = 13;
	assert_int_equal(halo_gguf_writer_add_value(w, "v", &v), HALO_EUSAGE);
	v.type = HALO_GGUF_ARRAY;
	v.arr.type = HALO_GGUF_FLOAT32;
	v.arr.n = 100000;
	v.arr.values = NULL;
	assert_int_equal(halo_gguf_writer_add_value(w, "v", &v), HALO_EUSAGE);
	halo_gguf_value not_arr[1];
	memset(not_arr, 0, sizeof(not_arr));
	not_arr[0].type = HALO_GGUF_UINT8;
	v.arr.type = HALO_GGUF_ARRAY;
	v.arr.n = 1;
	v.arr.values = not_arr;
	assert_int_equal(halo_gguf_writer_add_value(w, "v", &v), HALO_EUSAGE);
	/* a partly built nested copy is freed on failure (ASan checks) */
	halo_gguf_value inner[2], bad_elem;
	memset(inner, 0, sizeof(inner));
	memset(&bad_elem, 0, sizeof(bad_elem));
	bad_elem.type = HALO_GGUF_UINT8;
	bad_elem.u64 = 1000;
	inner[0].type = HALO_GGUF_ARRAY;
	inner[0].arr.type = HALO_GGUF_STRING;
	inner[0].arr.n = 1;
	inner[0].arr.strs = (const halo_gguf_str[]){ { 3, "abc" } };
	inner[1].type = HALO_GGUF_ARRAY;
	inner[1].arr.type = HALO_GGUF_UINT8;
	inner[1].arr.n = 1;
	inner[1].arr.values = &bad_elem;
	v.arr.n = 2;
	v.arr.values = inner;
	assert_int_equal(halo_gguf_writer_add_value(w, "v", &v), HALO_EUSAGE);
	assert_int_equal(halo_gguf_writer_n_kv(w), 1);

	/* tensors */
	check_ok(halo_gguf_writer_add_tensor(w, "t", 2, ne, HALO_GGML_Q8_0, NULL));
	assert_int_equal(halo_gguf_writer_add_tensor(w, "t", 2, ne, HALO_GGML_F32, NULL), HALO_EUSAGE);
	assert_non_null(strstr(halo_error_last()->message, "'t'"));
	assert_int_equal(halo_gguf_writer_add_tensor(w, "", 2, ne, HALO_GGML_F32, NULL), HALO_EUSAGE);
	assert_int_equal(halo_gguf_writer_add_tensor(w, "u", 2, ne, 4, NULL), HALO_EUSAGE); /* Q4_2: removed */
	assert_int_equal(halo_gguf_writer_add_tensor(w, "u", 2, ne, HALO_GGML_TYPE_COUNT, NULL), HALO_EUSAGE);
	assert_int_equal(halo_gguf_writer_add_tensor(w, "u", 0, ne, HALO_GGML_F32, NULL), HALO_EUSAGE);
	assert_int_equal(halo_gguf_writer_add_tensor(w, "u", 5, ne, HALO_GGML_F32, NULL), HALO_EUSAGE);
	uint64_t odd[1] = { 33 };
	assert_int_equal(halo_gguf_writer_add_tensor(w, "u", 1, odd, HALO_GGML_Q4_0, NULL), HALO_EUSAGE);
	assert_non_null(strstr(halo_error_last()->message, "'u'"));
	uint64_t neg[1] = { (uint64_t)INT64_MAX + 1 };
	assert_int_equal(halo_gguf_writer_add_tensor(w, "u", 1, neg, HALO_GGML_I8, NULL), HALO_EUSAGE);
	uint64_t prod[2] = { 1ull << 32, 1ull << 32 };
	assert_int_equal(halo_gguf_writer_add_tensor(w, "u", 2, prod, HALO_GGML_I8, NULL), HALO_EUSAGE);
	uint64_t bytes[1] = { 1ull << 62 };
	assert_int_equal(halo_gguf_writer_add_tensor(w, "u", 1, bytes, HALO_GGML_F32, NULL), HALO_EUSAGE);
	/* no elements: no bytes, however large the other dimensions (ggml_nbytes) */
	uint64_t zero_big[3] = { 1ull << 40, 1ull << 40, 0 }, zsize;
	check_ok(halo_gguf_writer_add_tensor(w, "zero", 3, zero_big, HALO_GGML_F32, NULL));
	check_ok(halo_gguf_writer_tensor(w, 1, NULL, &zsize));
	assert_int_equal(zsize, 0);
	char name[HALO_GGUF_WRITER_MAX_NAME + 1];
	memset(name, 'n', sizeof(name));
	name[HALO_GGUF_WRITER_MAX_NAME] = '\0';
	assert_int_equal(halo_gguf_writer_add_tensor(w, name, 2, ne, HALO_GGML_F32, NULL), HALO_EUSAGE);
	name[HALO_GGUF_WRITER_MAX_NAME - 1] = '\0'; /* 63 bytes: the longest llama.cpp takes */
	check_ok(halo_gguf_writer_add_tensor(w, name, 2, ne, HALO_GGML_F32, NULL));
	/* offsets past 2^64: four 2^62-byte tensors end exactly at 2^64 */
	uint64_t quarter[1] = { 1ull << 62 };
	halo_gguf_writer *w2;
	check_ok(halo_gguf_writer_new(&w2, 3));
	for (int i = 0; i < 3; i++) {
		char n[8];
		snprintf(n, sizeof(n), "q%d", i);
		check_ok(halo_gguf_writer_add_tensor(w2, n, 1, quarter, HALO_GGML_I8, NULL));
	}
	assert_int_equal(halo_gguf_writer_add_tensor(w2, "q3", 1, quarter, HALO_GGML_I8, NULL), HALO_EUSAGE);
	assert_int_equal(halo_gguf_writer_n_tensors(w2), 3);
	/* and a larger alignment that would push the existing ones past it */
	uint64_t almost[1] = { (1ull << 62) - 64 };
	check_ok(halo_gguf_writer_add_tensor(w2, "q3", 1, almost, HALO_GGML_I8, NULL));
	assert_int_equal(halo_gguf_writer_set_alignment(w2, 1u << 20), HALO_EUSAGE);
	assert_int_equal(halo_gguf_writer_alignment(w2), 32);
	halo_gguf_writer_free(w2);

	assert_int_equal(halo_gguf_writer_n_tensors(w), 3);
	assert_int_equal(halo_gguf_writer_tensor(w, 3, NULL, NULL), HALO_EUSAGE);
	halo_gguf_writer_free(w);
	halo_gguf_writer_free(NULL);
}

/* add_value copies key/values straight out of a parsed file. */
static void test_copy_from_reader(void **state)
{
	(void)state;
	halo_gguf_writer *w = make_all(3), *c;
	halo_buf out = HALO_BUF_INIT, out2 = HALO_BUF_INIT;
	check_ok(halo_gguf_writer_write_buf(w, &out, NULL));
	halo_gguf *g = parse(&out, "orig");

	check_ok(halo_gguf_writer_new(&c, g->version));
	for (uint64_t i = 0; i < g->n_kv; i++) {
		int rc = halo_gguf_writer_add_value(c, g->kv[i].key, &g->kv[i].value);
		if (!strcmp(g->kv[i].key, "a.big"))
			assert_int_equal(rc, HALO_EUSAGE); /* not decoded by the reader */
		else
			check_ok(rc);
	}
	for (uint64_t i = 0; i < g->n_tensors; i++)
		check_ok(halo_gguf_writer_add_tensor(c, g->tensors[i].name, g->tensors[i].n_dims, g->tensors[i].ne,
						     g->tensors[i].type, NULL));
	check_ok(halo_gguf_writer_write_buf(c, &out2, NULL));
	halo_gguf *g2 = parse(&out2, "copy");
	assert_int_equal(g2->n_kv, g->n_kv - 1);
	for (uint64_t i = 0, j = 0; i < g->n_kv; i++) {
		if (!strcmp(g->kv[i].key, "a.big"))
			continue;
		assert_string_equal(g2->kv[j].key, g->kv[i].key);
		assert_true(halo_gguf_value_equal(&g2->kv[j].value, &g->kv[i].value));
		j++;
	}
	check_all_tensors(g2, c, 32);
	halo_gguf_free(g);
	halo_gguf_free(g2);
	halo_buf_free(&out);
	halo_buf_free(&out2);
	halo_gguf_writer_free(c);
	halo_gguf_writer_free(w);
}

/* ------------------------------------------------------------------ */
/* split models */

static const char *const SPLIT_TENSORS[3][3] = {
	{ "token_embd.weight", "blk.0.attn_q.weight", NULL },
	{ "blk.0.q4_0", "blk.0.q4_k", "blk.0.q8_0" },
	{ "output.mxfp4", NULL, NULL },
};

static const tdesc *find_tensor(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(TENSORS); i++)
		if (!strcmp(TENSORS[i].name, name))
			return &TENSORS[i];
	fail_msg("no tensor %s", name);
	return NULL;
}

/*
 * Writes a 3-part model the way llama.cpp's gguf-split does: the metadata in
 * part 1 only, split.no (u16, 0-based), split.count (u16) and
 * split.tensors.count (i32, over all parts) in every part.
 */
static void write_split(const char *dir, bool big, uint64_t *total_size)
{
	*total_size = 0;
	for (int part = 0; part < 3; part++) {
		halo_gguf_writer *w;
		halo_gguf_write_opts o = HALO_GGUF_WRITE_OPTS_INIT;
		char path[4096];
		o.fill = fill_pattern;
		o.big_endian = big;
		check_ok(halo_gguf_writer_new(&w, 3));
		if (part == 0) {
			check_ok(halo_gguf_writer_add_str(w, "general.architecture", "llama"));
			check_ok(halo_gguf_writer_add_u32(w, "llama.block_count", 1));
		}
		check_ok(halo_gguf_writer_add_u16(w, "split.no", (uint16_t)part));
		check_ok(halo_gguf_writer_add_u16(w, "split.count", 3));
		check_ok(halo_gguf_writer_add_i32(w, "split.tensors.count", 6));
		for (int i = 0; i < 3 && SPLIT_TENSORS[part][i]; i++) {
			const tdesc *d = find_tensor(SPLIT_TENSORS[part][i]);
			check_ok(halo_gguf_writer_add_tensor(w, d->name, d->n_dims, d->ne, d->type, NULL));
		}
		snprintf(path, sizeof(path), "%s/model-%05d-of-00003.gguf", dir, part + 1);
		check_ok(halo_gguf_writer_write_path(w, path, &o));
		*total_size += file_size(path);
		if (!big && part == 1) {
			halo_buf b = read_file(path);
			corpus_seed("valid-split-part2.gguf", b.ptr, b.len);
			halo_buf_free(&b);
		}
		halo_gguf_writer_free(w);
	}
}

static void check_split(const halo_gguf *g, uint64_t total_size, bool big)
{
	const char *s;
	uint64_t u;
	assert_int_equal(g->n_splits, 3);
	assert_int_equal(g->byteswapped, big);
	assert_int_equal(g->n_tensors, 6);
	assert_int_equal(g->file_size, total_size);
	assert_true(halo_gguf_data_complete(g));
	assert_int_equal(g->n_kv, 5);
	check_ok(halo_gguf_get_str(g, "general.architecture", &s));
	assert_string_equal(s, "llama");
	assert_int_equal(getv(g, "split.no", HALO_GGUF_UINT16)->u64, 0);
	assert_int_equal(getv(g, "split.count", HALO_GGUF_UINT16)->u64, 3);
	assert_int_equal(getv(g, "split.tensors.count", HALO_GGUF_INT32)->i64, 6);
	check_ok(halo_gguf_get_u64(g, "split.tensors.count", &u));
	assert_int_equal(u, 6);
	assert_true(strstr(g->source, "model-00001-of-00003.gguf") != NULL);
	uint64_t k = 0, n_el = 0;
	for (uint32_t part = 0; part < 3; part++) {
		uint64_t off = 0;
		for (int i = 0; i < 3 && SPLIT_TENSORS[part][i]; i++, k++) {
			const halo_gguf_tensor *t = &g->tensors[k];
			const tdesc *d = find_tensor(SPLIT_TENSORS[part][i]);
			assert_string_equal(t->name, d->name);
			assert_int_equal(t->split, part);
			assert_int_equal(t->size, d->size);
			assert_int_equal(t->offset, off); /* relative to its own part */
			off += (d->size + 31) / 32 * 32;
			n_el += t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
		}
	}
	assert_int_equal(k, 6);
	assert_int_equal(g->n_elements, n_el);
}

static void test_split(void **state)
{
	(void)state;
	for (int big = 0; big <= 1; big++) {
		const char *dir = test_tmpdir("gguf_split");
		char path[4096];
		uint64_t total;
		halo_gguf *g;
		write_split(dir, big, &total);

		snprintf(path, sizeof(path), "%s/model-00001-of-00003.gguf", dir);
		check_ok(halo_gguf_open(&g, path, NULL));
		check_split(g, total, big);
		halo_gguf_free(g);

		/* naming a later part opens the whole model from part 1 */
		snprintf(path, sizeof(path), "%s/model-00002-of-00003.gguf", dir);
		check_ok(halo_gguf_open(&g, path, NULL));
		check_split(g, total, big);
		halo_gguf_free(g);

		/* no_splits reads only the named part */
		halo_gguf_open_opts oo = HALO_GGUF_OPEN_OPTS_INIT;
		oo.no_splits = true;
		check_ok(halo_gguf_open(&g, path, &oo));
		assert_int_equal(g->n_splits, 1);
		assert_int_equal(g->n_tensors, 3);
		assert_int_equal(getv(g, "split.no", HALO_GGUF_UINT16)->u64, 1);
		halo_gguf_free(g);

		/* a missing part is an error naming it */
		snprintf(path, sizeof(path), "%s/model-00003-of-00003.gguf", dir);
		assert_int_equal(remove(path), 0);
		snprintf(path, sizeof(path), "%s/model-00001-of-00003.gguf", dir);
		assert_int_equal(halo_gguf_open(&g, path, NULL), HALO_ENOTFOUND);
		assert_non_null(strstr(halo_error_last()->message, "model-00003-of-00003.gguf"));
	}
}

/* ------------------------------------------------------------------ */
/* the pinned llama.cpp's vocabulary files */

#define NO_BOS UINT64_MAX

/*
 * Expected values obtained independently of halo's reader: with a 30-line
 * Python GGUF parser (struct.unpack over the spec; gguf-py needs numpy, which
 * is not installed here) run over /tmp/nlc/llama.cpp/models/ggml-vocab-*.gguf
 * of the pinned llama.cpp tree: version, number of key/values,
 * general.architecture, tokenizer.ggml.model, tokenizer.ggml.pre (NULL:
 * absent), len(tokenizer.ggml.tokens), first and last token,
 * len(tokenizer.ggml.merges) (0: absent), tokenizer.ggml.bos_token_id and
 * the file size. None of them has tensors. (ggml-vocab-qwen35.gguf really is
 * stored with general.architecture "qwen2"; only tokenizer.ggml.pre differs.)
 */
static const struct vocab {
	const char *file;
	uint32_t version;
	uint64_t n_kv;
	const char *arch, *model, *pre;
	uint64_t n_tokens;
	const char *first, *last;
	uint64_t n_merges, bos;
	uint64_t size;
} VOCABS[] = {
	{ "ggml-vocab-qwen35.gguf", 3, 20, "qwen2", "gpt2", "qwen35", 151936, "!", "[PAD151935]", 151387, 151643, 5928682ull },
	{ "ggml-vocab-llama-bpe.gguf", 3, 20, "llama", "gpt2", "llama-bpe", 128256, "!", "<|reserved_special_token_250|>", 280147, 128000, 7818140ull },
	{ "ggml-vocab-llama-spm.gguf", 3, 22, "llama", "llama", "default", 32000, "<unk>", "\xe7\xbb\x99", 0, 1, 723869ull },
	{ "ggml-vocab-gpt-2.gguf", 3, 16, "gpt2", "gpt2", "gpt-2", 50257, "!", "<|endoftext|>", 50000, 50256, 1766807ull },
	{ "ggml-vocab-bert-bge.gguf", 3, 20, "bert", "bert", "bert-bge", 30522, "[PAD]", "\xef\xbd\x9e", 0, NO_BOS, 627549ull },
	{ "ggml-vocab-qwen2.gguf", 3, 20, "qwen2", "gpt2", "qwen2", 151936, "!", "[PAD151935]", 151387, 151643, 5928681ull },
	{ "ggml-vocab-aquila.gguf", 2, 18, "llama", "gpt2", NULL, 100008, "<|endoftext|>", "</s>", 99743, 0, 4825676ull },
};

static void test_llama_vocab_files(void **state)
{
	(void)state;
	const char *dir = test_llama_dir();
	if (!dir)
		skip();
	for (size_t i = 0; i < ARRAY_LEN(VOCABS); i++) {
		const struct vocab *e = &VOCABS[i];
		char path[4096];
		halo_gguf *g;
		const char *s;
		uint64_t u;
		snprintf(path, sizeof(path), "%s/models/%s", dir, e->file);
		int rc = halo_gguf_open(&g, path, NULL);
		if (rc)
			fail_msg("%s: %s", e->file, halo_error_last()->message);
		assert_int_equal(g->version, e->version);
		assert_false(g->byteswapped);
		assert_int_equal(g->n_kv, e->n_kv);
		assert_int_equal(g->n_tensors, 0);
		assert_int_equal(g->n_splits, 1);
		assert_int_equal(g->file_size, e->size);
		assert_int_equal(g->alignment, 32);
		check_ok(halo_gguf_get_str(g, "general.architecture", &s));
		assert_string_equal(s, e->arch);
		check_ok(halo_gguf_get_str(g, "tokenizer.ggml.model", &s));
		assert_string_equal(s, e->model);
		if (e->pre) {
			check_ok(halo_gguf_get_str(g, "tokenizer.ggml.pre", &s));
			assert_string_equal(s, e->pre);
		} else {
			assert_int_equal(halo_gguf_get_str(g, "tokenizer.ggml.pre", &s), HALO_ENOTFOUND);
		}
		const halo_gguf_value *v = geta(g, "tokenizer.ggml.tokens", HALO_GGUF_STRING, e->n_tokens);
		assert_string_equal(v->arr.strs[0].ptr, e->first);
		assert_string_equal(v->arr.strs[e->n_tokens - 1].ptr, e->last);
		if (e->n_merges)
			geta(g, "tokenizer.ggml.merges", HALO_GGUF_STRING, e->n_merges);
		else
			assert_null(halo_gguf_get(g, "tokenizer.ggml.merges"));
		if (e->bos != NO_BOS) {
			check_ok(halo_gguf_get_u64(g, "tokenizer.ggml.bos_token_id", &u));
			assert_int_equal(u, e->bos);
		} else {
			assert_int_equal(halo_gguf_get_u64(g, "tokenizer.ggml.bos_token_id", &u), HALO_ENOTFOUND);
		}
		halo_gguf_free(g);
	}
}

/*
 * A file without tensors holds all of its (no) tensor data, however its
 * header ends: llama.cpp only pads to the data section when there are
 * tensors (gguf_init_from_reader), and the vocab files above end unpadded.
 */
static void test_no_tensors_data_complete(void **state)
{
	(void)state;
	halo_gguf_writer *w;
	halo_buf out = HALO_BUF_INIT;
	halo_gguf *g;
	char why[256];
	check_ok(halo_gguf_writer_new(&w, 3));
	check_ok(halo_gguf_writer_add_str(w, "general.architecture", "llama"));
	check_ok(halo_gguf_writer_add_str(w, "x", "abc"));
	check_ok(halo_gguf_writer_write_buf(w, &out, NULL));
	halo_gguf_writer_free(w);
	/* 24 fixed + (8+20+4+8+5) + (8+1+4+8+3) = 93 bytes, padded to 96 */
	assert_int_equal(out.len, 96);
	check_ok(halo_gguf_parse_buffer(&g, out.ptr, out.len, "padded", NULL));
	assert_true(halo_gguf_data_complete(g));
	halo_gguf_free(g);
	check_ok(halo_gguf_parse_buffer(&g, out.ptr, 93, "unpadded", NULL));
	halo_buf_free(&out);
	assert_int_equal(g->n_tensors, 0);
	bool complete = halo_gguf_data_complete(g);
	snprintf(why, sizeof(why), "file_size %llu, expected_size %llu, data_offset %llu",
		 (unsigned long long)g->file_size, (unsigned long long)g->expected_size,
		 (unsigned long long)g->data_offset);
	halo_gguf_free(g); /* before failing, so a failure does not also show as a leak */
	if (!complete)
		fail_msg("halo_gguf_data_complete() is false for a file without tensors (%s)", why);

	const char *dir = test_llama_dir();
	if (!dir)
		return;
	char path[4096];
	snprintf(path, sizeof(path), "%s/models/ggml-vocab-gpt-2.gguf", dir);
	check_ok(halo_gguf_open(&g, path, NULL));
	complete = halo_gguf_data_complete(g);
	snprintf(why, sizeof(why), "file_size %llu, expected_size %llu", (unsigned long long)g->file_size,
		 (unsigned long long)g->expected_size);
	halo_gguf_free(g);
	if (!complete)
		fail_msg("%s: halo_gguf_data_complete() is false for a file without tensors (%s)", path, why);
}

/* Whole-file oracle over a real vocabulary: copy every decoded key/value into
 * a new file with the writer, read it back, compare. */
static void test_llama_vocab_rewrite(void **state)
{
	(void)state;
	const char *dir = test_llama_dir();
	if (!dir)
		skip();
	char path[4096];
	halo_gguf *g, *g2;
	halo_gguf_writer *w;
	halo_buf out = HALO_BUF_INIT;
	snprintf(path, sizeof(path), "%s/models/ggml-vocab-llama-spm.gguf", dir);
	check_ok(halo_gguf_open(&g, path, NULL));
	check_ok(halo_gguf_writer_new(&w, g->version));
	for (uint64_t i = 0; i < g->n_kv; i++)
		check_ok(halo_gguf_writer_add_value(w, g->kv[i].key, &g->kv[i].value));
	check_ok(halo_gguf_writer_write_buf(w, &out, NULL));
	/* the original has no trailing padding; the writer pads like ggml */
	assert_int_equal(out.len, (VOCABS[2].size + 31) / 32 * 32);
	g2 = parse(&out, "rewrite");
	assert_int_equal(g2->n_kv, g->n_kv);
	for (uint64_t i = 0; i < g->n_kv; i++) {
		assert_string_equal(g2->kv[i].key, g->kv[i].key);
		assert_true(halo_gguf_value_equal(&g2->kv[i].value, &g->kv[i].value));
	}
	/* byte-identical to the original up to its end */
	halo_buf orig = read_file(path);
	assert_memory_equal(out.ptr, orig.ptr, orig.len);
	halo_buf_free(&orig);
	halo_gguf_free(g);
	halo_gguf_free(g2);
	halo_buf_free(&out);
	halo_gguf_writer_free(w);
}

/* The small valid seeds of the fuzz corpus (only with HALO_GEN_CORPUS). */
static void test_corpus_seeds(void **state)
{
	(void)state;
	if (!getenv("HALO_GEN_CORPUS"))
		skip();
	for (uint32_t version = 2; version <= 3; version++) {
		for (int big = 0; big <= 1; big++) {
			halo_gguf_writer *w;
			halo_buf out = HALO_BUF_INIT;
			halo_gguf_write_opts o = HALO_GGUF_WRITE_OPTS_INIT;
			char name[64];
			uint64_t ne[2] = { 8, 2 }, ne1[1] = { 32 };
			uint32_t heads[3] = { 4, 0, 4 };
			const char *toks[4] = { "<s>", "a", "b", "" };
			o.fill = fill_pattern;
			o.big_endian = big;
			check_ok(halo_gguf_writer_new(&w, version));
			check_ok(halo_gguf_writer_add_str(w, "general.architecture", "llama"));
			check_ok(halo_gguf_writer_add_u32(w, "llama.block_count", 3));
			check_ok(halo_gguf_writer_add_u32(w, "llama.context_length", 4096));
			check_ok(halo_gguf_writer_add_u32(w, "llama.embedding_length", 8));
			check_ok(halo_gguf_writer_add_u32(w, "llama.feed_forward_length", 16));
			check_ok(halo_gguf_writer_add_array(w, "llama.attention.head_count", HALO_GGUF_UINT32, heads, 3));
			check_ok(halo_gguf_writer_add_u32(w, "llama.attention.head_count_kv", 2));
			check_ok(halo_gguf_writer_add_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f));
			check_ok(halo_gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", toks, 4));
			check_ok(halo_gguf_writer_add_bool(w, "tokenizer.ggml.add_bos_token", true));
			check_ok(halo_gguf_writer_add_tensor(w, "token_embd.weight", 2, ne, HALO_GGML_F16, NULL));
			check_ok(halo_gguf_writer_add_tensor(w, "output_norm.weight", 1, ne1, HALO_GGML_Q8_0, NULL));
			check_ok(halo_gguf_writer_write_buf(w, &out, &o));
			snprintf(name, sizeof(name), "valid-v%u%s.gguf", version, big ? "-be" : "");
			corpus_seed(name, out.ptr, out.len);
			halo_buf_free(&out);
			halo_gguf_writer_free(w);
		}
	}
	/* every value type, without the big array (seeds stay small) */
	halo_gguf_writer *w = make_all(3);
	halo_buf out = HALO_BUF_INIT;
	check_ok(halo_gguf_writer_write_buf(w, &out, NULL));
	halo_gguf *g = parse(&out, "all");
	halo_gguf_writer *c;
	check_ok(halo_gguf_writer_new(&c, 3));
	for (uint64_t i = 0; i < g->n_kv; i++)
		if (strcmp(g->kv[i].key, "a.big"))
			check_ok(halo_gguf_writer_add_value(c, g->kv[i].key, &g->kv[i].value));
	add_all_tensors(c);
	halo_buf_reset(&out);
	check_ok(halo_gguf_writer_write_buf(c, &out, NULL));
	corpus_seed("valid-all-types.gguf", out.ptr, out.len);
	halo_gguf_free(g);
	halo_buf_free(&out);
	halo_gguf_writer_free(c);
	halo_gguf_writer_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_bytes),
		cmocka_unit_test(test_roundtrip_v3),
		cmocka_unit_test(test_roundtrip_v2),
		cmocka_unit_test(test_roundtrip_big_endian_v3),
		cmocka_unit_test(test_roundtrip_big_endian_v2),
		cmocka_unit_test(test_zeros_and_header_only),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_fill_error),
		cmocka_unit_test(test_writer_errors),
		cmocka_unit_test(test_copy_from_reader),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_llama_vocab_files),
		cmocka_unit_test(test_llama_vocab_rewrite),
		cmocka_unit_test(test_no_tensors_data_complete),
		cmocka_unit_test(test_corpus_seeds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
