/*
 * Hostile GGUF headers, assembled byte by byte (independently of the writer):
 * each must be refused with HALO_EFORMAT (HALO_ENOMEM for the memory caps),
 * a message that names the file, the offset and the field, and neither a
 * crash nor a leak under ASan. Every image is parsed from a buffer of exactly
 * its size, so ASan also catches a read past the end.
 *
 * With HALO_GEN_CORPUS=DIR set, each case is also written to DIR as a fuzz
 * seed (tests/fuzz/corpus/gguf is generated that way).
 */
#include "testutil.h"

#include "buf.h"
#include "error.h"
#include "ggml_type.h"
#include "gguf.h"
#include "gguf_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* byte builder */

typedef struct img {
	halo_buf b;
	bool big;
} img;

static img img_new(bool big)
{
	img m = { HALO_BUF_INIT, big };
	return m;
}

static void raw(img *m, const void *p, size_t n)
{
	if (halo_buf_add(&m->b, p, n))
		fail_msg("builder: %s", halo_error_last()->message);
}

static void un(img *m, uint64_t v, unsigned width)
{
	uint8_t b[8];
	for (unsigned k = 0; k < width; k++)
		b[m->big ? width - 1 - k : k] = (uint8_t)(v >> (8 * k));
	raw(m, b, width);
}

static void u32(img *m, uint32_t v)
{
	un(m, v, 4);
}

static void u64(img *m, uint64_t v)
{
	un(m, v, 8);
}

static void strn(img *m, const char *s, size_t n)
{
	u64(m, n);
	raw(m, s, n);
}

static void str(img *m, const char *s)
{
	strn(m, s, strlen(s));
}

static void header(img *m, uint32_t version, uint64_t n_tensors, uint64_t n_kv)
{
	raw(m, "GGUF", 4);
	u32(m, version);
	u64(m, n_tensors);
	u64(m, n_kv);
}

static void kv_u32(img *m, const char *key, uint32_t v)
{
	str(m, key);
	u32(m, HALO_GGUF_UINT32);
	u32(m, v);
}

static void kv_str(img *m, const char *key, const char *v)
{
	str(m, key);
	u32(m, HALO_GGUF_STRING);
	str(m, v);
}

/* A tensor info with n_dims dimensions from ne. */
static void tinfo(img *m, const char *name, uint32_t n_dims, const uint64_t *ne, uint32_t type, uint64_t offset)
{
	str(m, name);
	u32(m, n_dims);
	for (uint32_t i = 0; i < n_dims; i++)
		u64(m, ne[i]);
	u32(m, type);
	u64(m, offset);
}

static void pad(img *m, size_t a)
{
	static const uint8_t zero[4096];
	raw(m, zero, (a - m->b.len % a) % a);
}

static void zeros(img *m, size_t n)
{
	static const uint8_t zero[4096];
	while (n) {
		size_t k = n < sizeof(zero) ? n : sizeof(zero);
		raw(m, zero, k);
		n -= k;
	}
}

/* ------------------------------------------------------------------ */
/* expectations */

static void corpus_seed(const char *name, const void *data, size_t len)
{
	const char *dir = getenv("HALO_GEN_CORPUS");
	char path[4096];
	if (!dir || !*dir)
		return;
	assert_true(len < 64 * 1024);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	test_write_file(path, data, len);
}

/* Parses exactly `len` bytes copied into their own allocation. */
static int parse_exact(halo_gguf **g, const void *data, size_t len, const char *name, const halo_gguf_open_opts *o)
{
	void *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, data, len);
	*g = (halo_gguf *)(uintptr_t)1; /* must be reset to NULL on failure */
	halo_error_clear();
	int rc = halo_gguf_parse_buffer(g, len ? copy : NULL, len, name, o);
	free(copy);
	return rc;
}

static void check_message(const char *name, int code, const char *needle, bool offset)
{
	const halo_error *e = halo_error_last();
	if (getenv("HALO_TEST_VERBOSE"))
		printf("%-28s %s\n", name, e->message);
	if (e->code != code)
		fail_msg("%s: recorded code %d (%s), expected %d", name, e->code, e->message, code);
	if (!strstr(e->message, name))
		fail_msg("%s: message does not name the file: %s", name, e->message);
	if (offset && !strstr(e->message, "offset "))
		fail_msg("%s: message has no offset: %s", name, e->message);
	if (needle && !strstr(e->message, needle))
		fail_msg("%s: message lacks '%s': %s", name, needle, e->message);
	if (strchr(e->message, '\n'))
		fail_msg("%s: message is not one line: %s", name, e->message);
}

/*
 * The image `m` must fail with `code` and a message holding `needle`, from a
 * buffer and from a file; it becomes corpus seed hostile-NAME.gguf.
 */
static void expect_bad_opts(const char *name, img *m, const halo_gguf_open_opts *o, int code, const char *needle)
{
	halo_gguf *g;
	char path[4096], seed[256];
	snprintf(seed, sizeof(seed), "hostile-%s.gguf", name);
	corpus_seed(seed, m->b.ptr, m->b.len);

	int rc = parse_exact(&g, m->b.ptr, m->b.len, name, o);
	if (rc != code) {
		/* clean up first, so a failure is not also reported as a leak */
		if (rc == 0)
			halo_gguf_free(g);
		halo_buf_free(&m->b);
		fail_msg("%s: parse returned %d (%s), expected %d", name, rc, rc ? halo_error_last()->message : "parsed",
			 code);
	}
	assert_null(g);
	check_message(name, code, needle, true);

	snprintf(path, sizeof(path), "%s/%s.gguf", test_tmpdir("gguf_hostile"), name);
	test_write_file(path, m->b.ptr, m->b.len);
	g = (halo_gguf *)(uintptr_t)1;
	rc = halo_gguf_open(&g, path, o);
	if (rc != code) {
		if (rc == 0)
			halo_gguf_free(g);
		halo_buf_free(&m->b);
		fail_msg("%s: open returned %d (%s), expected %d", name, rc, rc ? halo_error_last()->message : "opened",
			 code);
	}
	assert_null(g);
	check_message(name, code, needle, true);
	halo_buf_free(&m->b);
}

static void expect_bad(const char *name, img *m, const char *needle)
{
	expect_bad_opts(name, m, NULL, HALO_EFORMAT, needle);
}

static void expect_ok(const char *name, img *m, const halo_gguf_open_opts *o)
{
	halo_gguf *g;
	int rc = parse_exact(&g, m->b.ptr, m->b.len, name, o);
	if (rc)
		fail_msg("%s: unexpected error %d: %s", name, rc, halo_error_last()->message);
	halo_gguf_free(g);
}

/* ------------------------------------------------------------------ */
/* magic and version */

static void test_magic_version(void **state)
{
	(void)state;
	img m = img_new(false);
	expect_bad("empty", &m, "magic");

	m = img_new(false);
	raw(&m, "GGU", 3);
	expect_bad("magic-short", &m, "magic");

	m = img_new(false);
	raw(&m, "GGUX", 4);
	u32(&m, 3);
	u64(&m, 0);
	u64(&m, 0);
	expect_bad("bad-magic", &m, "magic");

	m = img_new(false);
	raw(&m, "FUGG", 4); /* a byte-reversed magic is not a big-endian file */
	u32(&m, 3);
	u64(&m, 0);
	u64(&m, 0);
	expect_bad("magic-reversed", &m, "magic");

	static const struct { const char *name; uint32_t version; bool big; } vs[] = {
		{ "version-0", 0, false },
		{ "version-1", 1, false },
		{ "version-4", 4, false },
		{ "version-be-1", 1, true },
		{ "version-be-4", 4, true },
		{ "version-65536", 65536, false },
		{ "version-ffffffff", UINT32_MAX, false },
	};
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		m = img_new(vs[i].big);
		header(&m, vs[i].version, 0, 0);
		expect_bad(vs[i].name, &m, "version");
	}
	m = img_new(false);
	raw(&m, "GGUF", 4);
	u32(&m, 3);
	expect_bad("header-short", &m, "tensor count");
}

/* ------------------------------------------------------------------ */
/* every prefix of a small valid file */

/* A small valid file from the writer: several value kinds and two tensors. */
static halo_buf small_valid(bool big, uint64_t *infos_end, uint64_t *data_end)
{
	halo_gguf_writer *w;
	halo_gguf_write_opts o = HALO_GGUF_WRITE_OPTS_INIT;
	halo_buf out = HALO_BUF_INIT;
	const char *strs[] = { "ab", "", "c" };
	int16_t arr[3] = { -1, 2, -3 };
	uint64_t ne0[1] = { 4 }, ne1[2] = { 32, 1 }, data_offset, off, size;
	halo_gguf_value inner, outer, e;
	memset(&e, 0, sizeof(e));
	e.type = HALO_GGUF_UINT8;
	e.u64 = 9;
	memset(&inner, 0, sizeof(inner));
	inner.type = HALO_GGUF_ARRAY;
	inner.arr.type = HALO_GGUF_UINT8;
	inner.arr.n = 1;
	inner.arr.values = &e;
	memset(&outer, 0, sizeof(outer));
	outer.type = HALO_GGUF_ARRAY;
	outer.arr.type = HALO_GGUF_ARRAY;
	outer.arr.n = 1;
	outer.arr.values = &inner;

	o.big_endian = big;
	assert_int_equal(halo_gguf_writer_new(&w, 3), 0);
	assert_int_equal(halo_gguf_writer_add_str(w, "general.architecture", "llama"), 0);
	assert_int_equal(halo_gguf_writer_add_u32(w, "u", 7), 0);
	assert_int_equal(halo_gguf_writer_add_f64(w, "f", 0.5), 0);
	assert_int_equal(halo_gguf_writer_add_bool(w, "b", true), 0);
	assert_int_equal(halo_gguf_writer_add_array(w, "a", HALO_GGUF_INT16, arr, 3), 0);
	assert_int_equal(halo_gguf_writer_add_str_array(w, "s", strs, 3), 0);
	assert_int_equal(halo_gguf_writer_add_value(w, "n", &outer), 0);
	assert_int_equal(halo_gguf_writer_add_tensor(w, "t0", 1, ne0, HALO_GGML_F32, NULL), 0);
	assert_int_equal(halo_gguf_writer_add_tensor(w, "t1", 2, ne1, HALO_GGML_Q8_0, NULL), 0);
	assert_int_equal(halo_gguf_writer_write_buf(w, &out, &o), 0);
	assert_int_equal(halo_gguf_writer_layout(w, &data_offset, NULL), 0);
	assert_int_equal(halo_gguf_writer_tensor(w, 1, &off, &size), 0);
	*data_end = data_offset + off + size;
	halo_gguf_writer_free(w);

	/* where the tensor infos end: the header without its padding */
	halo_gguf *g;
	halo_gguf_open_opts oo = HALO_GGUF_OPEN_OPTS_INIT;
	oo.allow_truncated_data = true;
	assert_int_equal(halo_gguf_parse_buffer(&g, out.ptr, out.len, "small", &oo), 0);
	assert_int_equal(g->data_offset, data_offset);
	halo_gguf_free(g);
	/* 24 + kv (8+20+4+8+5) (8+1+4+4) (8+1+4+8) (8+1+4+1) (8+1+4+4+8+6)
	 * (8+1+4+4+8+3*8+3) (8+1+4+4+8+4+8+1) + tensors (8+2+4+8+4+8) (8+2+4+16+4+8) */
	*infos_end = 24 + 45 + 17 + 21 + 14 + 31 + 52 + 38 + 34 + 42;
	assert_true(*infos_end <= data_offset && data_offset - *infos_end < 32);
	return out;
}

static void truncations(bool big)
{
	uint64_t infos_end, data_end;
	halo_buf full = small_valid(big, &infos_end, &data_end);
	const char *dir = test_tmpdir("gguf_trunc");
	halo_gguf_open_opts allow = HALO_GGUF_OPEN_OPTS_INIT;
	allow.allow_truncated_data = true;
	char name[64], path[4096];

	for (size_t len = 0; len <= full.len; len++) {
		halo_gguf *g;
		snprintf(name, sizeof(name), "prefix-%s%zu", big ? "be-" : "", len);
		int rc = parse_exact(&g, full.ptr, len, name, NULL);
		if (len < data_end) {
			/* header cut short, or tensor data missing: both refused by default */
			if (rc != HALO_EFORMAT)
				fail_msg("%s: returned %d, expected HALO_EFORMAT", name, rc);
			assert_null(g);
			check_message(name, HALO_EFORMAT, NULL, true);
		} else {
			if (rc)
				fail_msg("%s: %s", name, halo_error_last()->message);
			assert_true(halo_gguf_data_complete(g));
			halo_gguf_free(g);
		}

		/* a partial download: the header alone is enough when allowed */
		rc = parse_exact(&g, full.ptr, len, name, &allow);
		if (len < infos_end) {
			if (rc != HALO_EFORMAT)
				fail_msg("%s: returned %d with allow_truncated_data, expected HALO_EFORMAT", name, rc);
			check_message(name, HALO_EFORMAT, NULL, true);
		} else {
			if (rc)
				fail_msg("%s (allow_truncated_data): %s", name, halo_error_last()->message);
			assert_int_equal(g->n_tensors, 2);
			assert_int_equal(halo_gguf_data_complete(g), len >= data_end);
			halo_gguf_free(g);
		}

		/* and as a local file */
		if (!big) {
			snprintf(path, sizeof(path), "%s/%s.gguf", dir, name);
			test_write_file(path, full.ptr, len);
			g = (halo_gguf *)(uintptr_t)1;
			rc = halo_gguf_open(&g, path, NULL);
			if (len < data_end) {
				if (rc != HALO_EFORMAT)
					fail_msg("%s: open returned %d, expected HALO_EFORMAT", path, rc);
				assert_null(g);
				check_message(name, HALO_EFORMAT, NULL, true);
			} else {
				if (rc)
					fail_msg("%s: %s", path, halo_error_last()->message);
				halo_gguf_free(g);
			}
			remove(path);
		}
	}
	if (!big) {
		corpus_seed("valid-small.gguf", full.ptr, full.len);
		corpus_seed("hostile-truncated-header.gguf", full.ptr, (size_t)infos_end - 5);
		corpus_seed("hostile-truncated-data.gguf", full.ptr, (size_t)data_end - 1);
	}
	halo_buf_free(&full);
}

static void test_truncated_everywhere(void **state)
{
	(void)state;
	truncations(false);
	truncations(true);
}

/* ------------------------------------------------------------------ */
/* lengths and counts */

static void test_huge_lengths(void **state)
{
	(void)state;
	halo_gguf_open_opts nocap = HALO_GGUF_OPEN_OPTS_INIT;
	nocap.max_string = UINT64_MAX;
	nocap.max_array = UINT64_MAX;
	nocap.max_kv = UINT64_MAX;
	nocap.max_tensors = UINT64_MAX;
	static const uint64_t lens[] = { 1ull << 63, UINT64_MAX, 1ull << 32, 1000 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char name[64];
		for (int capped = 0; capped <= 1; capped++) {
			/* a key's length */
			img m = img_new(false);
			header(&m, 3, 0, 1);
			u64(&m, lens[i]);
			raw(&m, "general.architecture", 20);
			u32(&m, HALO_GGUF_UINT8);
			raw(&m, "\x01", 1);
			snprintf(name, sizeof(name), "key-len-%llx%s", (unsigned long long)lens[i], capped ? "" : "-nocap");
			expect_bad_opts(name, &m, capped ? NULL : &nocap, HALO_EFORMAT, "key #0");

			/* a string value's length */
			m = img_new(false);
			header(&m, 3, 0, 1);
			str(&m, "general.name");
			u32(&m, HALO_GGUF_STRING);
			u64(&m, lens[i]);
			raw(&m, "abc", 3);
			snprintf(name, sizeof(name), "str-len-%llx%s", (unsigned long long)lens[i], capped ? "" : "-nocap");
			expect_bad_opts(name, &m, capped ? NULL : &nocap, HALO_EFORMAT, "general.name");

			/* a tensor name's length */
			m = img_new(false);
			header(&m, 3, 1, 0);
			u64(&m, lens[i]);
			raw(&m, "blk.0", 5);
			zeros(&m, 40);
			snprintf(name, sizeof(name), "tname-len-%llx%s", (unsigned long long)lens[i], capped ? "" : "-nocap");
			expect_bad_opts(name, &m, capped ? NULL : &nocap, HALO_EFORMAT, "tensor #0");
		}
	}

	/* counts: over the caps, and (caps lifted) more than the file can hold */
	for (int capped = 0; capped <= 1; capped++) {
		char name[64];
		img m = img_new(false);
		header(&m, 3, 0, 1ull << 62);
		kv_u32(&m, "a", 1);
		snprintf(name, sizeof(name), "n-kv-2e62%s", capped ? "" : "-nocap");
		expect_bad_opts(name, &m, capped ? NULL : &nocap, HALO_EFORMAT, "metadata count");

		m = img_new(false);
		header(&m, 3, 1ull << 40, 0);
		zeros(&m, 64);
		snprintf(name, sizeof(name), "n-tensors-2e40%s", capped ? "" : "-nocap");
		expect_bad_opts(name, &m, capped ? NULL : &nocap, HALO_EFORMAT, "tensors");

		m = img_new(false);
		header(&m, 3, UINT64_MAX, UINT64_MAX);
		snprintf(name, sizeof(name), "n-both-max%s", capped ? "" : "-nocap");
		expect_bad_opts(name, &m, capped ? NULL : &nocap, HALO_EFORMAT, "count");

		static const uint32_t etypes[] = { HALO_GGUF_UINT8, HALO_GGUF_FLOAT64, HALO_GGUF_STRING, HALO_GGUF_ARRAY };
		for (size_t k = 0; k < sizeof(etypes) / sizeof(etypes[0]); k++) {
			m = img_new(false);
			header(&m, 3, 0, 1);
			str(&m, "arr");
			u32(&m, HALO_GGUF_ARRAY);
			u32(&m, etypes[k]);
			u64(&m, 1ull << 62);
			zeros(&m, 64);
			snprintf(name, sizeof(name), "array-len-2e62-%s%s", halo_gguf_type_name(etypes[k]),
				 capped ? "" : "-nocap");
			expect_bad_opts(name, &m, capped ? NULL : &nocap, HALO_EFORMAT, "'arr'");
		}
	}

	/* a count the file is just too short for */
	img m = img_new(false);
	header(&m, 3, 0, 1000);
	kv_u32(&m, "a", 1);
	expect_bad("n-kv-1000", &m, "count");

	m = img_new(false);
	header(&m, 3, 0, 2);
	kv_u32(&m, "a", 1);
	zeros(&m, 9); /* enough for the count check, not for a second entry */
	expect_bad("n-kv-one-short", &m, "key #1");

	m = img_new(false);
	header(&m, 3, 0, 1);
	str(&m, "arr");
	u32(&m, HALO_GGUF_ARRAY);
	u32(&m, HALO_GGUF_UINT32);
	u64(&m, 5);
	zeros(&m, 16); /* 4 of 5 elements */
	expect_bad("array-one-short", &m, "'arr'");

	/* a count cap below the real count: refused too */
	halo_gguf_open_opts small = HALO_GGUF_OPEN_OPTS_INIT;
	small.max_array = 2;
	m = img_new(false);
	header(&m, 3, 0, 1);
	str(&m, "arr");
	u32(&m, HALO_GGUF_ARRAY);
	u32(&m, HALO_GGUF_UINT8);
	u64(&m, 3);
	raw(&m, "abc", 3);
	expect_bad_opts("array-over-max-array", &m, &small, HALO_EFORMAT, "cap");
}

/* ------------------------------------------------------------------ */
/* nested arrays */

/* A key whose value is `levels` nested arrays around one u8. */
static img nested(unsigned levels)
{
	img m = img_new(false);
	header(&m, 3, 0, 1);
	str(&m, "nest");
	u32(&m, HALO_GGUF_ARRAY);
	for (unsigned i = 1; i < levels; i++) {
		u32(&m, HALO_GGUF_ARRAY);
		u64(&m, 1);
	}
	u32(&m, HALO_GGUF_UINT8);
	u64(&m, 1);
	raw(&m, "\x07", 1);
	return m;
}

static void test_nesting(void **state)
{
	(void)state;
	halo_gguf_open_opts o = HALO_GGUF_OPEN_OPTS_INIT;
	img m = nested(o.max_depth);
	expect_ok("nest-max", &m, NULL); /* exactly max_depth levels are fine */
	halo_buf_free(&m.b);

	m = nested(o.max_depth + 1);
	expect_bad("nest-max-plus-1", &m, "nested");
	m = nested(5000); /* deep enough to hurt a reader that recursed freely; a small seed */
	expect_bad("nest-5000", &m, "nested");

	o.max_depth = 2;
	m = nested(2);
	expect_ok("nest-2", &m, &o);
	halo_buf_free(&m.b);
	m = nested(3);
	expect_bad_opts("nest-3-of-2", &m, &o, HALO_EFORMAT, "nested");

	/* many empty nested arrays: bounded by the bytes they take */
	m = img_new(false);
	header(&m, 3, 0, 1);
	str(&m, "wide");
	u32(&m, HALO_GGUF_ARRAY);
	u32(&m, HALO_GGUF_ARRAY);
	u64(&m, 3000);
	for (int i = 0; i < 2999; i++) {
		u32(&m, HALO_GGUF_UINT8);
		u64(&m, 0);
	}
	expect_bad("nest-wide-short", &m, "'wide'");
}

/* ------------------------------------------------------------------ */
/* types */

static void test_types(void **state)
{
	(void)state;
	static const uint32_t bad_vtypes[] = { 13, 255, 0x80000000u, UINT32_MAX };
	char name[64];
	for (size_t i = 0; i < sizeof(bad_vtypes) / sizeof(bad_vtypes[0]); i++) {
		img m = img_new(false);
		header(&m, 3, 0, 1);
		str(&m, "k");
		u32(&m, bad_vtypes[i]);
		zeros(&m, 16);
		snprintf(name, sizeof(name), "value-type-%x", bad_vtypes[i]);
		expect_bad(name, &m, "type");

		m = img_new(false);
		header(&m, 3, 0, 1);
		str(&m, "k");
		u32(&m, HALO_GGUF_ARRAY);
		u32(&m, bad_vtypes[i]);
		u64(&m, 1);
		zeros(&m, 16);
		snprintf(name, sizeof(name), "array-type-%x", bad_vtypes[i]);
		expect_bad(name, &m, "type");
	}

	/* ggml types that do not exist (4, 5: removed Q4_2/Q4_3; 31-33: removed Q4_0_4_4..) */
	static const uint32_t bad_ggml[] = { 4, 5, 31, 32, 33, HALO_GGML_TYPE_COUNT, 1000, UINT32_MAX };
	for (size_t i = 0; i < sizeof(bad_ggml) / sizeof(bad_ggml[0]); i++) {
		uint64_t ne[1] = { 256 };
		img m = img_new(false);
		header(&m, 3, 1, 0);
		tinfo(&m, "t", 1, ne, bad_ggml[i], 0);
		pad(&m, 32);
		zeros(&m, 1024);
		snprintf(name, sizeof(name), "ggml-type-%u", bad_ggml[i]);
		expect_bad(name, &m, "ggml type");
	}

	/* general.alignment must be a u32 */
	static const uint32_t atypes[] = { HALO_GGUF_UINT64, HALO_GGUF_INT32, HALO_GGUF_UINT16, HALO_GGUF_STRING };
	for (size_t i = 0; i < sizeof(atypes) / sizeof(atypes[0]); i++) {
		img m = img_new(false);
		header(&m, 3, 0, 1);
		str(&m, "general.alignment");
		u32(&m, atypes[i]);
		if (atypes[i] == HALO_GGUF_STRING)
			str(&m, "32");
		else if (atypes[i] == HALO_GGUF_UINT16)
			un(&m, 32, 2);
		else if (atypes[i] == HALO_GGUF_INT32)
			u32(&m, 32);
		else
			u64(&m, 32);
		snprintf(name, sizeof(name), "alignment-type-%s", halo_gguf_type_name(atypes[i]));
		expect_bad(name, &m, "general.alignment");
	}
	static const uint32_t aligns[] = { 0, 3, 48, 0x80000001u, UINT32_MAX };
	for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		img m = img_new(false);
		header(&m, 3, 0, 1);
		kv_u32(&m, "general.alignment", aligns[i]);
		snprintf(name, sizeof(name), "alignment-%x", aligns[i]);
		expect_bad(name, &m, "power of two");
	}
}

/* ------------------------------------------------------------------ */
/* tensor infos */

/* One tensor info (and enough zero data) as the only content. */
static void bad_tensor(const char *name, uint32_t n_dims, const uint64_t *ne, uint32_t type, uint64_t offset,
		       const char *needle)
{
	img m = img_new(false);
	header(&m, 3, 1, 0);
	str(&m, "blk.0.weight");
	u32(&m, n_dims);
	for (uint32_t i = 0; i < n_dims && i < 5; i++) /* no more than a bad count needs */
		u64(&m, ne[i]);
	u32(&m, type);
	u64(&m, offset);
	pad(&m, 32);
	zeros(&m, 256);
	expect_bad(name, &m, needle);
}

static void test_tensor_infos(void **state)
{
	(void)state;
	uint64_t ne[5] = { 32, 2, 2, 2, 2 };
	bad_tensor("n-dims-0", 0, ne, HALO_GGML_F32, 0, "dimensions");
	bad_tensor("n-dims-5", 5, ne, HALO_GGML_F32, 0, "dimensions");
	bad_tensor("n-dims-ffffffff", UINT32_MAX, ne, HALO_GGML_F32, 0, "dimensions");

	uint64_t neg[2] = { 4, 1ull << 63 };
	bad_tensor("ne-negative", 2, neg, HALO_GGML_F32, 0, "negative");
	uint64_t prod64[2] = { 1ull << 32, 1ull << 32 };
	bad_tensor("ne-product-2e64", 2, prod64, HALO_GGML_I8, 0, "overflow");
	uint64_t prod63[3] = { 1ull << 31, 1ull << 31, 2 };
	bad_tensor("ne-product-2e63", 3, prod63, HALO_GGML_I8, 0, "overflow");
	uint64_t prod4[4] = { 1ull << 16, 1ull << 16, 1ull << 16, 1ull << 16 };
	bad_tensor("ne-product-4d", 4, prod4, HALO_GGML_I8, 0, "overflow");
	uint64_t row[1] = { 1ull << 62 };
	bad_tensor("bytes-row-overflow", 1, row, HALO_GGML_F32, 0, "overflow");
	uint64_t rows[2] = { 1ull << 31, 1ull << 31 };
	bad_tensor("bytes-rows-overflow", 2, rows, HALO_GGML_F32, 0, "overflow");
	uint64_t f64[2] = { 1ull << 61, 2 };
	bad_tensor("bytes-f64-overflow", 2, f64, HALO_GGML_F64, 0, "overflow");
	uint64_t odd[1] = { 33 };
	bad_tensor("ne0-not-block-multiple", 1, odd, HALO_GGML_Q4_0, 0, "block size");
	uint64_t k[1] = { 128 };
	bad_tensor("ne0-not-qk-multiple", 1, k, HALO_GGML_Q4_K, 0, "block size");

	/* offsets: llama.cpp wants each exactly at the previous padded end */
	uint64_t f8[1] = { 8 };
	bad_tensor("offset-unaligned", 1, f8, HALO_GGML_F32, 1, "expected 0");
	bad_tensor("offset-gap", 1, f8, HALO_GGML_F32, 32, "expected 0");
	bad_tensor("offset-2e63", 1, f8, HALO_GGML_F32, 1ull << 63, "expected 0");
	bad_tensor("offset-max", 1, f8, HALO_GGML_F32, UINT64_MAX, "expected 0");

	img m = img_new(false);
	header(&m, 3, 2, 0);
	tinfo(&m, "a", 1, f8, HALO_GGML_F32, 0);
	tinfo(&m, "b", 1, f8, HALO_GGML_F32, 0); /* on top of a */
	pad(&m, 32);
	zeros(&m, 64);
	expect_bad("offset-overlap", &m, "expected 32");

	m = img_new(false);
	header(&m, 3, 2, 0);
	tinfo(&m, "a", 1, f8, HALO_GGML_F32, 0);
	tinfo(&m, "b", 1, f8, HALO_GGML_F32, 40); /* inside the padding, unaligned */
	pad(&m, 32);
	zeros(&m, 128);
	expect_bad("offset-second-unaligned", &m, "expected 32");

	m = img_new(false);
	header(&m, 3, 2, 0);
	tinfo(&m, "a", 1, f8, HALO_GGML_F32, 32); /* swapped order */
	tinfo(&m, "b", 1, f8, HALO_GGML_F32, 0);
	pad(&m, 32);
	zeros(&m, 64);
	expect_bad("offset-swapped", &m, "expected 0");

	/* data past the end of the file */
	uint64_t big[2] = { 1024, 1024 };
	m = img_new(false);
	header(&m, 3, 1, 0);
	tinfo(&m, "a", 2, big, HALO_GGML_F32, 0);
	pad(&m, 32);
	zeros(&m, 100);
	expect_bad("data-past-end", &m, "past the end");

	m = img_new(false);
	header(&m, 3, 2, 0);
	tinfo(&m, "a", 1, f8, HALO_GGML_F32, 0);
	tinfo(&m, "b", 1, f8, HALO_GGML_F32, 32);
	pad(&m, 32);
	zeros(&m, 32 + 31); /* b's last byte missing */
	expect_bad("data-one-short", &m, "past the end");

	/* a large alignment pushing the data start past the end */
	m = img_new(false);
	header(&m, 3, 1, 1);
	kv_u32(&m, "general.alignment", 1u << 31);
	tinfo(&m, "a", 1, f8, HALO_GGML_F32, 0);
	zeros(&m, 64);
	expect_bad("data-align-2e31", &m, "past the end");

	/* names */
	m = img_new(false);
	header(&m, 3, 2, 0);
	tinfo(&m, "same", 1, f8, HALO_GGML_F32, 0);
	tinfo(&m, "same", 1, f8, HALO_GGML_F32, 32);
	pad(&m, 32);
	zeros(&m, 64);
	expect_bad("dup-tensor", &m, "duplicate tensor name");

	char n64[65];
	memset(n64, 'x', 64);
	n64[64] = '\0';
	m = img_new(false);
	header(&m, 3, 1, 0);
	tinfo(&m, n64, 1, f8, HALO_GGML_F32, 0);
	pad(&m, 32);
	zeros(&m, 32);
	expect_bad("tensor-name-64", &m, "63");

	m = img_new(false);
	header(&m, 3, 1, 0);
	strn(&m, "a\0b", 3);
	u32(&m, 1);
	u64(&m, 8);
	u32(&m, HALO_GGML_F32);
	u64(&m, 0);
	pad(&m, 32);
	zeros(&m, 32);
	expect_bad("tensor-name-nul", &m, "nul");
}

/* ------------------------------------------------------------------ */
/* keys */

static void test_keys(void **state)
{
	(void)state;
	img m = img_new(false);
	header(&m, 3, 0, 3);
	kv_str(&m, "general.architecture", "llama");
	kv_u32(&m, "llama.block_count", 1);
	kv_u32(&m, "general.architecture", 2);
	expect_bad("dup-key", &m, "duplicate key");

	/* the same key with another type, and in big-endian */
	m = img_new(true);
	header(&m, 3, 0, 2);
	kv_u32(&m, "k", 1);
	kv_str(&m, "k", "v");
	expect_bad("dup-key-be", &m, "duplicate key");

	m = img_new(false);
	header(&m, 3, 0, 1);
	strn(&m, "gen\0eral", 8);
	u32(&m, HALO_GGUF_UINT8);
	raw(&m, "\x01", 1);
	expect_bad("key-nul", &m, "nul");
}

/* llama.cpp refuses an empty key ("key %d is empty" in gguf_init_from_reader). */
static void test_empty_key(void **state)
{
	(void)state;
	img m = img_new(false);
	header(&m, 3, 0, 1);
	str(&m, "");
	u32(&m, HALO_GGUF_UINT8);
	raw(&m, "\x01", 1);
	expect_bad("key-empty", &m, "key #0");
}

/* ------------------------------------------------------------------ */
/* memory caps */

/* A header over max_header_bytes is refused with HALO_ENOMEM, from a file or a buffer. */
static void test_header_cap(void **state)
{
	(void)state;
	halo_gguf_open_opts o = HALO_GGUF_OPEN_OPTS_INIT;
	o.max_header_bytes = 4096;
	img m = img_new(false);
	header(&m, 3, 0, 1);
	str(&m, "big");
	u32(&m, HALO_GGUF_STRING);
	u64(&m, 50000);
	zeros(&m, 50000);

	char path[4096];
	halo_gguf *g = NULL;
	snprintf(path, sizeof(path), "%s/header-cap.gguf", test_tmpdir("gguf_cap"));
	test_write_file(path, m.b.ptr, m.b.len);
	int rc = halo_gguf_open(&g, path, &o);
	if (rc != HALO_ENOMEM)
		fail_msg("open: %d (%s), expected HALO_ENOMEM", rc, halo_error_last()->message);
	assert_null(g);
	check_message("header-cap", HALO_ENOMEM, "cap", false);

	corpus_seed("hostile-header-50k-string.gguf", m.b.ptr, m.b.len);
	rc = parse_exact(&g, m.b.ptr, m.b.len, "header-cap", &o);
	halo_buf_free(&m.b);
	if (rc == 0)
		halo_gguf_free(g);
	if (rc != HALO_ENOMEM)
		fail_msg("parse_buffer: %d (%s), expected HALO_ENOMEM: max_header_bytes is not applied to buffers", rc,
			 rc ? halo_error_last()->message : "parsed");
	check_message("header-cap", HALO_ENOMEM, "cap", false);
}

/* ------------------------------------------------------------------ */
/* split parts that disagree */

static void write_part(const char *dir, const char *file, img *m)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	test_write_file(path, m->b.ptr, m->b.len);
	halo_buf_free(&m->b);
}

/* Part `no` of a split model, with split.tensors.count `n_total` (-1: key absent). */
static img split_part_n(uint64_t no, uint32_t no_type, uint16_t count, int32_t n_total)
{
	uint64_t ne[1] = { 8 };
	img m = img_new(false);
	header(&m, 3, 1, n_total >= 0 ? 3 : 2);
	str(&m, "split.no");
	u32(&m, no_type);
	if (no_type == HALO_GGUF_STRING)
		str(&m, "0");
	else
		un(&m, no, no_type == HALO_GGUF_UINT16 ? 2 : 4);
	str(&m, "split.count");
	u32(&m, HALO_GGUF_UINT16);
	un(&m, count, 2);
	if (n_total >= 0) {
		str(&m, "split.tensors.count");
		u32(&m, HALO_GGUF_INT32);
		u32(&m, (uint32_t)n_total);
	}
	tinfo(&m, no_type == HALO_GGUF_STRING ? "t" : (no ? "t1" : "t0"), 1, ne, HALO_GGML_F32, 0);
	pad(&m, 32);
	zeros(&m, 32);
	return m;
}

/* As gguf-split writes it: split.tensors.count over all parts (here 2). */
static img split_part(uint64_t no, uint32_t no_type, uint16_t count)
{
	return split_part_n(no, no_type, count, 2);
}

static void test_split_mismatch(void **state)
{
	(void)state;
	halo_gguf *g;
	char path[4096];
	const char *dir = test_tmpdir("gguf_split_bad");
	img m = split_part(0, HALO_GGUF_UINT16, 2);
	write_part(dir, "m-00001-of-00002.gguf", &m);
	m = split_part(5, HALO_GGUF_UINT16, 2); /* claims to be part 6 */
	write_part(dir, "m-00002-of-00002.gguf", &m);
	snprintf(path, sizeof(path), "%s/m-00001-of-00002.gguf", dir);
	assert_int_equal(halo_gguf_open(&g, path, NULL), HALO_EFORMAT);
	check_message("m-00002-of-00002.gguf", HALO_EFORMAT, "split.no", false);

	m = split_part(1, HALO_GGUF_UINT16, 3); /* count disagrees with the name */
	write_part(dir, "m-00002-of-00002.gguf", &m);
	assert_int_equal(halo_gguf_open(&g, path, NULL), HALO_EFORMAT);
	check_message("m-00002-of-00002.gguf", HALO_EFORMAT, "split.count", false);

	m = split_part(1, HALO_GGUF_STRING, 2);
	write_part(dir, "m-00002-of-00002.gguf", &m);
	assert_int_equal(halo_gguf_open(&g, path, NULL), HALO_EFORMAT);
	check_message("m-00002-of-00002.gguf", HALO_EFORMAT, "split.no", false);

	m = split_part(1, HALO_GGUF_UINT16, 2);
	write_part(dir, "m-00002-of-00002.gguf", &m);
	assert_int_equal(halo_gguf_open(&g, path, NULL), 0);
	assert_int_equal(g->n_splits, 2);
	assert_int_equal(g->n_tensors, 2);
	assert_int_equal(g->tensors[1].split, 1);
	halo_gguf_free(g);
}

/* llama.cpp refuses a tensor name found in two parts ("tensor '%s' is duplicated"). */
static void test_split_duplicate_tensor(void **state)
{
	(void)state;
	halo_gguf *g;
	char path[4096];
	const char *dir = test_tmpdir("gguf_split_dup");
	img m = split_part(0, HALO_GGUF_UINT16, 2);
	write_part(dir, "d-00001-of-00002.gguf", &m);
	uint64_t ne[1] = { 8 };
	m = img_new(false);
	header(&m, 3, 1, 3);
	str(&m, "split.no");
	u32(&m, HALO_GGUF_UINT16);
	un(&m, 1, 2);
	str(&m, "split.count");
	u32(&m, HALO_GGUF_UINT16);
	un(&m, 2, 2);
	str(&m, "split.tensors.count");
	u32(&m, HALO_GGUF_INT32);
	u32(&m, 2);
	tinfo(&m, "t0", 1, ne, HALO_GGML_F32, 0); /* also in part 1 */
	pad(&m, 32);
	zeros(&m, 32);
	write_part(dir, "d-00002-of-00002.gguf", &m);
	snprintf(path, sizeof(path), "%s/d-00001-of-00002.gguf", dir);
	g = NULL;
	int rc = halo_gguf_open(&g, path, NULL);
	if (rc == 0)
		halo_gguf_free(g);
	if (rc != HALO_EFORMAT)
		fail_msg("tensor 't0' in both parts: open returned %d, expected HALO_EFORMAT", rc);
	check_message("d-0000", HALO_EFORMAT, "t0", false);
}

/*
 * llama.cpp's loader requires split.tensors.count in a split model and
 * refuses one whose parts hold another number of tensors ("corrupted model:
 * %d tensors expected but %d found", llama_model_loader).
 */
static void test_split_tensors_count(void **state)
{
	(void)state;
	static const int32_t counts[] = { 5, 1, -1 };
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		halo_gguf *g = NULL;
		char path[4096];
		const char *dir = test_tmpdir("gguf_split_count");
		img m = split_part_n(0, HALO_GGUF_UINT16, 2, counts[i]);
		write_part(dir, "c-00001-of-00002.gguf", &m);
		m = split_part_n(1, HALO_GGUF_UINT16, 2, counts[i]);
		write_part(dir, "c-00002-of-00002.gguf", &m);
		snprintf(path, sizeof(path), "%s/c-00001-of-00002.gguf", dir);
		int rc = halo_gguf_open(&g, path, NULL);
		if (rc == 0)
			halo_gguf_free(g);
		if (rc != HALO_EFORMAT)
			fail_msg("split.tensors.count %d for 2 tensors: open returned %d, expected HALO_EFORMAT", counts[i],
				 rc);
		check_message("c-0000", HALO_EFORMAT, "split.tensors.count", false);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_magic_version),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_huge_lengths),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_tensor_infos),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_empty_key),
		cmocka_unit_test(test_header_cap),
		cmocka_unit_test(test_split_mismatch),
		cmocka_unit_test(test_split_duplicate_tensor),
		cmocka_unit_test(test_split_tensors_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
