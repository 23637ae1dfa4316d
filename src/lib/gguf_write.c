/*
 * GGUF writer (see gguf_write.h for the API and the layout it produces).
 *
 * Values are kept in a small tree of their own (not the reader's structs) so
 * that every setter can copy its input once and the byte order is chosen only
 * when the file is written. Scalar array elements are stored as little-endian
 * bytes: writing a little-endian file is then one copy per array, and no code
 * depends on the host's byte order, because every integer is encoded by
 * shifting rather than by reinterpreting memory.
 */
#include "gguf_write.h"
#include "error.h"
#include "ggml_type.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ALIGNMENT_KEY "general.alignment"
#define DEFAULT_CHUNK ((size_t)1 << 20)
/* Nesting of caller-built values in add_value: far beyond any real file, and
 * it keeps the recursion of a mistaken (cyclic) tree bounded. */
#define MAX_VALUE_DEPTH 64

typedef struct wstr {
	char *ptr;     /* malloc'd, NUL-terminated for convenience */
	uint64_t len;
} wstr;

typedef struct wval wval;
struct wval {
	uint32_t type; /* halo_gguf_type */
	union {
		uint64_t bits; /* scalars: the value's bit pattern, zero- or sign-extended */
		wstr str;
		struct {
			uint32_t etype;
			uint64_t n;
			/* scalars: n little-endian elements of halo_gguf_type_size(etype) bytes;
			 * STRING: wstr[n]; ARRAY: wval[n] (each of type ARRAY) */
			void *data;
		} arr;
	};
};

typedef struct wkv {
	wstr key;
	wval v;
} wkv;

typedef struct wtensor {
	wstr name;
	uint32_t n_dims;
	uint64_t ne[HALO_GGUF_MAX_DIMS];
	uint32_t type;
	uint64_t size;
	uint64_t offset;
} wtensor;

/* Open-addressing set of names, so duplicate checks stay O(1) for models with
 * thousands of tensors. Slots point at strings the writer owns; those are
 * allocated one by one, so they do not move when the arrays above grow. */
typedef struct nslot {
	const char *s;
	uint64_t len;
} nslot;

typedef struct ntab {
	nslot *slot;
	size_t cap; /* power of two, or 0 */
	size_t n;
} ntab;

struct halo_gguf_writer {
	uint32_t version;
	uint32_t alignment;
	wkv *kv;
	uint64_t n_kv, kv_alloc;
	wtensor *t;
	uint64_t n_t, t_alloc;
	ntab keys, names;
};

/* ------------------------------------------------------------------ */
/* small helpers */


static bool is_pow2(uint64_t a)
{
	return a && !(a & (a - 1));
}

/* GGML_PAD: x rounded up to a multiple of the power of two a. */
static int pad_up(uint64_t x, uint64_t a, uint64_t *out)
{
	if (__builtin_add_overflow(x, a - 1, out))
		return -1;
	*out &= ~(a - 1);
	return 0;
}

static int oom(const char *what)
{
	return halo_error_set(HALO_ENOMEM, "out of memory adding %s to a gguf", what);
}

static int str_copy(wstr *dst, const char *s, uint64_t len)
{
	if (len > SIZE_MAX - 1)
		return halo_error_set(HALO_EUSAGE, "gguf string of %llu bytes is too long",
				      (unsigned long long)len);
	dst->ptr = malloc((size_t)len + 1);
	if (!dst->ptr)
		return oom("a string");
	if (len)
		memcpy(dst->ptr, s, (size_t)len);
	dst->ptr[len] = '\0';
	dst->len = len;
	return 0;
}

static void val_free(wval *v)
{
	if (v->type == HALO_GGUF_STRING) {
		free(v->str.ptr);
	} else if (v->type == HALO_GGUF_ARRAY) {
		if (v->arr.etype == HALO_GGUF_STRING) {
			wstr *s = v->arr.data;
			for (uint64_t i = 0; s && i < v->arr.n; i++)
				free(s[i].ptr);
		} else if (v->arr.etype == HALO_GGUF_ARRAY) {
			wval *e = v->arr.data;
			for (uint64_t i = 0; e && i < v->arr.n; i++)
				val_free(&e[i]);
		}
		free(v->arr.data);
	}
	memset(v, 0, sizeof(*v));
}

/* Stores the low `width` bytes of bits little-endian at p. */
static void store_le(unsigned char *p, uint64_t bits, size_t width)
{
	for (size_t k = 0; k < width; k++)
		p[k] = (unsigned char)(bits >> (8 * k));
}

/* ------------------------------------------------------------------ */
/* name sets */

static uint64_t name_hash(const char *s, uint64_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (uint64_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static bool ntab_has(const ntab *t, const char *s, uint64_t len)
{
	if (!t->cap)
		return false;
	for (size_t i = name_hash(s, len) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		if (!t->slot[i].s)
			return false;
		if (t->slot[i].len == len && !memcmp(t->slot[i].s, s, (size_t)len))
			return true;
	}
}

static void ntab_put_slot(nslot *slot, size_t cap, const char *s, uint64_t len)
{
	size_t i = name_hash(s, len) & (cap - 1);
	while (slot[i].s)
		i = (i + 1) & (cap - 1);
	slot[i].s = s;
	slot[i].len = len;
}

/* Makes room for one more name, so the insert after a successful check cannot fail. */
static int ntab_reserve(ntab *t)
{
	if ((t->n + 1) * 2 <= t->cap)
		return 0;
	size_t cap = t->cap ? t->cap * 2 : 64;
	if (cap < t->cap || cap > SIZE_MAX / sizeof(nslot))
		return oom("a name table");
	nslot *slot = calloc(cap, sizeof(nslot));
	if (!slot)
		return oom("a name table");
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i].s)
			ntab_put_slot(slot, cap, t->slot[i].s, t->slot[i].len);
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	return 0;
}

static void ntab_put(ntab *t, const char *s, uint64_t len)
{
	ntab_put_slot(t->slot, t->cap, s, len);
	t->n++;
}

/* Grows a vector of `size`-byte items to hold n + 1. */
static int vec_reserve(void **p, uint64_t *alloc, uint64_t n, size_t size, const char *what)
{
	if (n < *alloc)
		return 0;
	uint64_t na = *alloc ? *alloc * 2 : 16;
	if (na > SIZE_MAX / size)
		return oom(what);
	void *q = realloc(*p, (size_t)na * size);
	if (!q)
		return oom(what);
	*p = q;
	*alloc = na;
	return 0;
}

/* ------------------------------------------------------------------ */
/* writer lifetime */

int halo_gguf_writer_new(halo_gguf_writer **out, uint32_t version)
{
	*out = NULL;
	if (version != 2 && version != 3)
		return halo_error_set(HALO_EUSAGE, "gguf version %u cannot be written (2 or 3)", version);
	halo_gguf_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return oom("a writer");
	w->version = version;
	w->alignment = HALO_GGUF_WRITER_DEFAULT_ALIGNMENT;
	*out = w;
	return 0;
}

void halo_gguf_writer_free(halo_gguf_writer *w)
{
	if (!w)
		return;
	for (uint64_t i = 0; i < w->n_kv; i++) {
		free(w->kv[i].key.ptr);
		val_free(&w->kv[i].v);
	}
	for (uint64_t i = 0; i < w->n_t; i++)
		free(w->t[i].name.ptr);
	free(w->kv);
	free(w->t);
	free(w->keys.slot);
	free(w->names.slot);
	free(w);
}

uint64_t halo_gguf_writer_n_kv(const halo_gguf_writer *w)
{
	return w->n_kv;
}

uint64_t halo_gguf_writer_n_tensors(const halo_gguf_writer *w)
{
	return w->n_t;
}

uint32_t halo_gguf_writer_alignment(const halo_gguf_writer *w)
{
	return w->alignment;
}

/* ------------------------------------------------------------------ */
/* tensor offsets */

/*
 * Checks that the tensors laid out under `alignment` (each after the previous
 * one's size padded to the alignment) end within 64 bits, and sets *end to
 * that end. Only checks, so a change that would overflow leaves the writer
 * untouched; apply_offsets() then stores the offsets.
 */
static int compute_offsets(const halo_gguf_writer *w, uint32_t alignment, uint64_t *end)
{
	uint64_t off = 0, padded;
	for (uint64_t i = 0; i < w->n_t; i++) {
		if (pad_up(w->t[i].size, alignment, &padded) ||
		    __builtin_add_overflow(off, padded, &off))
			return halo_error_set(HALO_EUSAGE, "gguf tensor '%s': data offset overflows 64 bits",
					      w->t[i].name.ptr);
	}
	*end = off;
	return 0;
}

static void apply_offsets(halo_gguf_writer *w)
{
	uint64_t off = 0, padded;
	for (uint64_t i = 0; i < w->n_t; i++) {
		w->t[i].offset = off;
		pad_up(w->t[i].size, w->alignment, &padded); /* checked by compute_offsets */
		off += padded;
	}
}

static int set_alignment_only(halo_gguf_writer *w, uint64_t alignment)
{
	uint64_t end;
	if (!is_pow2(alignment) || alignment > UINT32_MAX)
		return halo_error_set(HALO_EUSAGE, "gguf %s %llu is not a power of two", ALIGNMENT_KEY,
				      (unsigned long long)alignment);
	int rc = compute_offsets(w, (uint32_t)alignment, &end);
	if (rc)
		return rc;
	w->alignment = (uint32_t)alignment;
	apply_offsets(w);
	return 0;
}

/* ------------------------------------------------------------------ */
/* key/values */

/* Takes ownership of *v (freed on failure too). */
static int add_kv(halo_gguf_writer *w, const char *key, wval *v)
{
	int rc;
	wstr k = { NULL, 0 };

	if (!key || !*key) {
		rc = halo_error_set(HALO_EUSAGE, "gguf key is empty");
		goto fail;
	}
	size_t klen = strlen(key);
	if (ntab_has(&w->keys, key, klen)) {
		rc = halo_error_set(HALO_EUSAGE, "gguf key '%s' is already set", key);
		goto fail;
	}
	bool is_align = !strcmp(key, ALIGNMENT_KEY);
	if (is_align && v->type != HALO_GGUF_UINT32) {
		rc = halo_error_set(HALO_EUSAGE, "gguf key '%s' must be u32, not %s", key,
				    halo_gguf_type_name(v->type));
		goto fail;
	}
	if ((rc = ntab_reserve(&w->keys)) ||
	    (rc = vec_reserve((void **)&w->kv, &w->kv_alloc, w->n_kv, sizeof(wkv), "a key")) ||
	    (rc = str_copy(&k, key, klen)))
		goto fail;
	if (is_align && (rc = set_alignment_only(w, v->bits)))
		goto fail;
	w->kv[w->n_kv].key = k;
	w->kv[w->n_kv].v = *v;
	w->n_kv++;
	ntab_put(&w->keys, k.ptr, k.len);
	return 0;
fail:
	free(k.ptr);
	val_free(v);
	return rc;
}

static int add_scalar(halo_gguf_writer *w, const char *key, uint32_t type, uint64_t bits)
{
	wval v = { .type = type };
	v.bits = bits;
	return add_kv(w, key, &v);
}

int halo_gguf_writer_add_u8(halo_gguf_writer *w, const char *key, uint8_t v)
{
	return add_scalar(w, key, HALO_GGUF_UINT8, v);
}

int halo_gguf_writer_add_i8(halo_gguf_writer *w, const char *key, int8_t v)
{
	return add_scalar(w, key, HALO_GGUF_INT8, (uint64_t)(int64_t)v);
}

int halo_gguf_writer_add_u16(halo_gguf_writer *w, const char *key, uint16_t v)
{
	return add_scalar(w, key, HALO_GGUF_UINT16, v);
}

int halo_gguf_writer_add_i16(halo_gguf_writer *w, const char *key, int16_t v)
{
	return add_scalar(w, key, HALO_GGUF_INT16, (uint64_t)(int64_t)v);
}

int halo_gguf_writer_add_u32(halo_gguf_writer *w, const char *key, uint32_t v)
{
	return add_scalar(w, key, HALO_GGUF_UINT32, v);
}

int halo_gguf_writer_add_i32(halo_gguf_writer *w, const char *key, int32_t v)
{
	return add_scalar(w, key, HALO_GGUF_INT32, (uint64_t)(int64_t)v);
}

static uint64_t f32_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof(u));
	return u;
}

static uint64_t f64_bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	return u;
}

int halo_gguf_writer_add_f32(halo_gguf_writer *w, const char *key, float v)
{
	return add_scalar(w, key, HALO_GGUF_FLOAT32, f32_bits(v));
}

int halo_gguf_writer_add_bool(halo_gguf_writer *w, const char *key, bool v)
{
	return add_scalar(w, key, HALO_GGUF_BOOL, v ? 1 : 0);
}

int halo_gguf_writer_add_u64(halo_gguf_writer *w, const char *key, uint64_t v)
{
	return add_scalar(w, key, HALO_GGUF_UINT64, v);
}

int halo_gguf_writer_add_i64(halo_gguf_writer *w, const char *key, int64_t v)
{
	return add_scalar(w, key, HALO_GGUF_INT64, (uint64_t)v);
}

int halo_gguf_writer_add_f64(halo_gguf_writer *w, const char *key, double v)
{
	return add_scalar(w, key, HALO_GGUF_FLOAT64, f64_bits(v));
}

int halo_gguf_writer_add_strn(halo_gguf_writer *w, const char *key, const char *s, size_t len)
{
	wval v = { .type = HALO_GGUF_STRING };
	if (!s && len)
		return halo_error_set(HALO_EUSAGE, "gguf key '%s': NULL string", key ? key : "");
	int rc = str_copy(&v.str, s, len);
	if (rc)
		return rc;
	return add_kv(w, key, &v);
}

int halo_gguf_writer_add_str(halo_gguf_writer *w, const char *key, const char *s)
{
	if (!s)
		return halo_error_set(HALO_EUSAGE, "gguf key '%s': NULL string", key ? key : "");
	return halo_gguf_writer_add_strn(w, key, s, strlen(s));
}

/* Allocates the element storage of an array value of n elements of `size` bytes. */
static int arr_alloc(wval *v, uint32_t etype, uint64_t n, size_t size, const char *key)
{
	v->type = HALO_GGUF_ARRAY;
	v->arr.etype = etype;
	v->arr.n = 0; /* counts initialised elements, so val_free is safe midway */
	v->arr.data = NULL;
	if (n > SIZE_MAX / size)
		return halo_error_set(HALO_EUSAGE, "gguf key '%s': array of %llu elements is too large",
				      key ? key : "", (unsigned long long)n);
	if (n) {
		v->arr.data = calloc((size_t)n, size);
		if (!v->arr.data)
			return oom("an array");
	}
	return 0;
}

/* Bit pattern of element i of a packed host array of `type`. */
static uint64_t host_elem_bits(const void *data, uint32_t type, uint64_t i)
{
	const unsigned char *p = data;
	switch (type) {
	case HALO_GGUF_UINT8: { uint8_t x; memcpy(&x, p + i * sizeof(x), sizeof(x)); return x; }
	case HALO_GGUF_INT8: { int8_t x; memcpy(&x, p + i * sizeof(x), sizeof(x)); return (uint64_t)(int64_t)x; }
	case HALO_GGUF_UINT16: { uint16_t x; memcpy(&x, p + i * sizeof(x), sizeof(x)); return x; }
	case HALO_GGUF_INT16: { int16_t x; memcpy(&x, p + i * sizeof(x), sizeof(x)); return (uint64_t)(int64_t)x; }
	case HALO_GGUF_UINT32: { uint32_t x; memcpy(&x, p + i * sizeof(x), sizeof(x)); return x; }
	case HALO_GGUF_INT32: { int32_t x; memcpy(&x, p + i * sizeof(x), sizeof(x)); return (uint64_t)(int64_t)x; }
	case HALO_GGUF_FLOAT32: { float x; memcpy(&x, p + i * sizeof(x), sizeof(x)); return f32_bits(x); }
	case HALO_GGUF_BOOL: { bool x; memcpy(&x, p + i * sizeof(x), sizeof(x)); return x ? 1 : 0; }
	case HALO_GGUF_UINT64: { uint64_t x; memcpy(&x, p + i * sizeof(x), sizeof(x)); return x; }
	case HALO_GGUF_INT64: { int64_t x; memcpy(&x, p + i * sizeof(x), sizeof(x)); return (uint64_t)x; }
	default: { double x; memcpy(&x, p + i * sizeof(x), sizeof(x)); return f64_bits(x); }
	}
}

/* sizeof the C type that add_array reads for `type`. */
static size_t host_width(uint32_t type)
{
	return type == HALO_GGUF_BOOL ? sizeof(bool) : halo_gguf_type_size(type);
}

int halo_gguf_writer_add_array(halo_gguf_writer *w, const char *key, uint32_t elem_type,
			       const void *data, uint64_t n)
{
	wval v = { 0 };
	size_t width = halo_gguf_type_size(elem_type);
	if (!width)
		return halo_error_set(HALO_EUSAGE, "gguf key '%s': %s is not a scalar array element type",
				      key ? key : "", halo_gguf_type_name(elem_type));
	if (!data && n)
		return halo_error_set(HALO_EUSAGE, "gguf key '%s': NULL array data", key ? key : "");
	if (n > SIZE_MAX / host_width(elem_type))
		return halo_error_set(HALO_EUSAGE, "gguf key '%s': array of %llu elements is too large",
				      key ? key : "", (unsigned long long)n);
	int rc = arr_alloc(&v, elem_type, n, width, key);
	if (rc)
		return rc;
	unsigned char *dst = v.arr.data;
	for (uint64_t i = 0; i < n; i++)
		store_le(dst + i * width, host_elem_bits(data, elem_type, i), width);
	v.arr.n = n;
	return add_kv(w, key, &v);
}

int halo_gguf_writer_add_str_array(halo_gguf_writer *w, const char *key, const char *const *strs,
				   uint64_t n)
{
	wval v = { 0 };
	if (!strs && n)
		return halo_error_set(HALO_EUSAGE, "gguf key '%s': NULL string array", key ? key : "");
	int rc = arr_alloc(&v, HALO_GGUF_STRING, n, sizeof(wstr), key);
	if (rc)
		return rc;
	wstr *dst = v.arr.data;
	for (uint64_t i = 0; i < n; i++) {
		if (!strs[i]) {
			rc = halo_error_set(HALO_EUSAGE, "gguf key '%s': string %llu is NULL", key ? key : "",
					    (unsigned long long)i);
			break;
		}
		if ((rc = str_copy(&dst[i], strs[i], strlen(strs[i]))))
			break;
		v.arr.n = i + 1;
	}
	if (rc) {
		val_free(&v);
		return rc;
	}
	v.arr.n = n;
	return add_kv(w, key, &v);
}

/* Bit pattern of a reader-style scalar of `type`, checking it fits. */
static int value_bits(const halo_gguf_value *src, uint32_t type, const char *key, uint64_t *bits)
{
	size_t width = halo_gguf_type_size(type);
	switch (type) {
	case HALO_GGUF_UINT8: case HALO_GGUF_UINT16: case HALO_GGUF_UINT32: case HALO_GGUF_UINT64:
		if (width < 8 && src->u64 >> (8 * width))
			break;
		*bits = src->u64;
		return 0;
	case HALO_GGUF_INT8: case HALO_GGUF_INT16: case HALO_GGUF_INT32: case HALO_GGUF_INT64:
		if (width < 8 && (src->i64 < -((int64_t)1 << (8 * width - 1)) ||
				  src->i64 >= ((int64_t)1 << (8 * width - 1))))
			break;
		*bits = (uint64_t)src->i64;
		return 0;
	case HALO_GGUF_FLOAT32:
		*bits = f32_bits((float)src->f64);
		return 0;
	case HALO_GGUF_FLOAT64:
		*bits = f64_bits(src->f64);
		return 0;
	case HALO_GGUF_BOOL:
		*bits = src->b ? 1 : 0;
		return 0;
	default:
		return halo_error_set(HALO_EUSAGE, "gguf key '%s': invalid value type %u", key, type);
	}
	return halo_error_set(HALO_EUSAGE, "gguf key '%s': value does not fit %s", key,
			      halo_gguf_type_name(type));
}

/* Deep-copies src into dst (zeroed by the caller; freed by the caller on failure). */
static int value_copy(wval *dst, const halo_gguf_value *src, const char *key, unsigned depth)
{
	int rc;
	if (depth > MAX_VALUE_DEPTH)
		return halo_error_set(HALO_EUSAGE, "gguf key '%s': arrays nested deeper than %d", key,
				      MAX_VALUE_DEPTH);
	if (src->type == HALO_GGUF_STRING) {
		if (!src->str.ptr && src->str.len)
			return halo_error_set(HALO_EUSAGE, "gguf key '%s': NULL string", key);
		dst->type = HALO_GGUF_STRING;
		return str_copy(&dst->str, src->str.ptr, src->str.len);
	}
	if (src->type != HALO_GGUF_ARRAY) {
		dst->type = src->type;
		return value_bits(src, src->type, key, &dst->bits);
	}

	uint32_t et = src->arr.type;
	uint64_t n = src->arr.n;
	if (et == HALO_GGUF_STRING) {
		if (n && !src->arr.strs)
			return halo_error_set(HALO_EUSAGE, "gguf key '%s': string array without strings", key);
		if ((rc = arr_alloc(dst, et, n, sizeof(wstr), key)))
			return rc;
		wstr *d = dst->arr.data;
		for (uint64_t i = 0; i < n; i++) {
			const halo_gguf_str *s = &src->arr.strs[i];
			if (!s->ptr && s->len)
				return halo_error_set(HALO_EUSAGE, "gguf key '%s': string %llu is NULL", key,
						      (unsigned long long)i);
			if ((rc = str_copy(&d[i], s->ptr, s->len)))
				return rc;
			dst->arr.n = i + 1;
		}
		return 0;
	}
	if (n && !src->arr.values)
		return halo_error_set(HALO_EUSAGE, "gguf key '%s': array of %llu %s without decoded values", key,
				      (unsigned long long)n, halo_gguf_type_name(et));
	if (et == HALO_GGUF_ARRAY) {
		if ((rc = arr_alloc(dst, et, n, sizeof(wval), key)))
			return rc;
		wval *d = dst->arr.data;
		for (uint64_t i = 0; i < n; i++) {
			if (src->arr.values[i].type != HALO_GGUF_ARRAY)
				return halo_error_set(HALO_EUSAGE, "gguf key '%s': element %llu of an array of arrays is %s",
						      key, (unsigned long long)i,
						      halo_gguf_type_name(src->arr.values[i].type));
			/* counted before the copy, so a partial element is freed too */
			dst->arr.n = i + 1;
			if ((rc = value_copy(&d[i], &src->arr.values[i], key, depth + 1)))
				return rc;
		}
		return 0;
	}
	size_t width = halo_gguf_type_size(et);
	if (!width)
		return halo_error_set(HALO_EUSAGE, "gguf key '%s': invalid array element type %u", key, et);
	if ((rc = arr_alloc(dst, et, n, width, key)))
		return rc;
	unsigned char *d = dst->arr.data;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t bits;
		if ((rc = value_bits(&src->arr.values[i], et, key, &bits)))
			return rc;
		store_le(d + i * width, bits, width);
	}
	dst->arr.n = n;
	return 0;
}

int halo_gguf_writer_add_value(halo_gguf_writer *w, const char *key, const halo_gguf_value *v)
{
	wval c = { 0 };
	if (!v)
		return halo_error_set(HALO_EUSAGE, "gguf key '%s': NULL value", key ? key : "");
	int rc = value_copy(&c, v, key ? key : "", 0);
	if (rc) {
		val_free(&c);
		return rc;
	}
	return add_kv(w, key, &c);
}

int halo_gguf_writer_set_alignment(halo_gguf_writer *w, uint32_t alignment)
{
	for (uint64_t i = 0; i < w->n_kv; i++) {
		if (strcmp(w->kv[i].key.ptr, ALIGNMENT_KEY))
			continue;
		/* add_kv let it in only as u32 */
		int rc = set_alignment_only(w, alignment);
		if (!rc)
			w->kv[i].v.bits = alignment;
		return rc;
	}
	if (!is_pow2(alignment))
		return halo_error_set(HALO_EUSAGE, "gguf %s %u is not a power of two", ALIGNMENT_KEY, alignment);
	return halo_gguf_writer_add_u32(w, ALIGNMENT_KEY, alignment);
}

/* ------------------------------------------------------------------ */
/* tensors */

int halo_gguf_writer_add_tensor(halo_gguf_writer *w, const char *name, uint32_t n_dims,
				const uint64_t *ne, uint32_t type, uint64_t *index)
{
	int rc;
	wtensor t = { .n_dims = n_dims, .type = type };

	if (!name || !*name)
		return halo_error_set(HALO_EUSAGE, "gguf tensor name is empty");
	size_t len = strlen(name);
	if (len >= HALO_GGUF_WRITER_MAX_NAME)
		return halo_error_set(HALO_EUSAGE, "gguf tensor '%s': name is %zu bytes, llama.cpp allows %u",
				      name, len, HALO_GGUF_WRITER_MAX_NAME - 1);
	if (ntab_has(&w->names, name, len))
		return halo_error_set(HALO_EUSAGE, "gguf tensor '%s' is already added", name);
	if (n_dims < 1 || n_dims > HALO_GGUF_MAX_DIMS || !ne)
		return halo_error_set(HALO_EUSAGE, "gguf tensor '%s': %u dimensions (1 to %d)", name, n_dims,
				      HALO_GGUF_MAX_DIMS);
	const halo_ggml_type_info *ti = halo_ggml_type_get(type);
	if (!ti)
		return halo_error_set(HALO_EUSAGE, "gguf tensor '%s': invalid ggml type %u", name, type);

	for (uint32_t j = 0; j < HALO_GGUF_MAX_DIMS; j++) {
		t.ne[j] = j < n_dims ? ne[j] : 1;
		/* llama.cpp reads dimensions as int64_t and rejects negative ones */
		if (t.ne[j] > (uint64_t)INT64_MAX)
			return halo_error_set(HALO_EUSAGE, "gguf tensor '%s': dimension %u is %llu, past INT64_MAX",
					      name, j, (unsigned long long)t.ne[j]);
	}
	/* The element count must stay below INT64_MAX in the form llama.cpp
	 * checks it (gguf_init_from_reader), or llama.cpp would refuse the file. */
	const uint64_t *d = t.ne, m = (uint64_t)INT64_MAX;
	/* (each product is only formed once the test before it showed it fits) */
	if (d[0] && d[1] && d[2] && d[3] &&
	    (m / d[1] <= d[0] || m / d[2] <= d[0] * d[1] || m / d[3] <= d[0] * d[1] * d[2]))
		return halo_error_set(HALO_EUSAGE, "gguf tensor '%s': %llu x %llu x %llu x %llu elements overflow",
				      name, (unsigned long long)d[0], (unsigned long long)d[1],
				      (unsigned long long)d[2], (unsigned long long)d[3]);

	uint64_t row, size, end;
	if (t.ne[0] % ti->block_size)
		return halo_error_set(HALO_EUSAGE, "gguf tensor '%s': %llu elements per row are not a whole number of "
				      "%s blocks of %u", name, (unsigned long long)t.ne[0], ti->name, ti->block_size);
	if (!d[0] || !d[1] || !d[2] || !d[3]) {
		/* no elements, no bytes, however large the other dimensions (as ggml_nbytes) */
		row = 0;
	} else if (halo_ggml_row_size(type, t.ne[0], &row)) {
		char why[sizeof(halo_error_last()->message)]; /* set() overwrites the message it would read */
		snprintf(why, sizeof(why), "%s", halo_error_last()->message);
		return halo_error_set(HALO_EUSAGE, "gguf tensor '%s': %s", name, why);
	}
	if (__builtin_mul_overflow(row, t.ne[1], &size) ||
	    __builtin_mul_overflow(size, t.ne[2], &size) ||
	    __builtin_mul_overflow(size, t.ne[3], &size))
		return halo_error_set(HALO_EUSAGE, "gguf tensor '%s': byte size overflows 64 bits", name);
	t.size = size;

	/* Where it goes: after the previous tensor's padded data; the padded end must fit too. */
	uint64_t prev_end = 0, padded;
	if (w->n_t) {
		const wtensor *p = &w->t[w->n_t - 1];
		pad_up(p->size, w->alignment, &padded); /* checked when p was added */
		prev_end = p->offset + padded;
	}
	if (pad_up(size, w->alignment, &padded) || __builtin_add_overflow(prev_end, padded, &end))
		return halo_error_set(HALO_EUSAGE, "gguf tensor '%s': data offset overflows 64 bits", name);
	t.offset = prev_end;

	if ((rc = ntab_reserve(&w->names)) ||
	    (rc = vec_reserve((void **)&w->t, &w->t_alloc, w->n_t, sizeof(wtensor), "a tensor")) ||
	    (rc = str_copy(&t.name, name, len)))
		return rc;
	w->t[w->n_t] = t;
	ntab_put(&w->names, t.name.ptr, t.name.len);
	if (index)
		*index = w->n_t;
	w->n_t++;
	return 0;
}

int halo_gguf_writer_tensor(const halo_gguf_writer *w, uint64_t i, uint64_t *offset, uint64_t *size)
{
	if (i >= w->n_t)
		return halo_error_set(HALO_EUSAGE, "gguf tensor index %llu out of range (%llu tensors)",
				      (unsigned long long)i, (unsigned long long)w->n_t);
	if (offset)
		*offset = w->t[i].offset;
	if (size)
		*size = w->t[i].size;
	return 0;
}

/* ------------------------------------------------------------------ */
/* output */

/*
 * Where encoded bytes go: a FILE, a halo_buf, or nowhere (only counted, to
 * size the header). Small writes are gathered in `stage` to keep stdio and
 * halo_buf calls few; the first failure sticks and later writes are no-ops.
 */
typedef struct sink {
	FILE *f;
	halo_buf *b;
	bool big;           /* encode integers big-endian */
	int err;
	uint64_t count;     /* bytes emitted so far */
	size_t used;
	unsigned char stage[16384];
} sink;

static void sink_flush(sink *s)
{
	if (!s->used || s->err)
		return;
	if (s->f) {
		if (fwrite(s->stage, 1, s->used, s->f) != s->used)
			s->err = halo_error_set(HALO_EIO, "writing gguf: %s", strerror(errno));
	} else if (s->b) {
		s->err = halo_buf_add(s->b, s->stage, s->used);
	}
	s->used = 0;
}

static void put(sink *s, const void *p, size_t n)
{
	if (s->err || !n) /* empty arrays have no storage: p may be NULL */
		return;
	if (__builtin_add_overflow(s->count, n, &s->count)) {
		s->err = halo_error_set(HALO_EUSAGE, "gguf file size overflows 64 bits");
		return;
	}
	if (!s->f && !s->b)
		return;
	if (n >= sizeof(s->stage)) {
		/* large blocks (tensor chunks, arrays) go straight through */
		sink_flush(s);
		if (s->err)
			return;
		if (s->f) {
			if (fwrite(p, 1, n, s->f) != n)
				s->err = halo_error_set(HALO_EIO, "writing gguf: %s", strerror(errno));
		} else {
			s->err = halo_buf_add(s->b, p, n);
		}
		return;
	}
	if (s->used + n > sizeof(s->stage))
		sink_flush(s);
	memcpy(s->stage + s->used, p, n);
	s->used += n;
}

static void put_uint(sink *s, uint64_t v, size_t width)
{
	unsigned char b[8];
	for (size_t k = 0; k < width; k++)
		b[s->big ? width - 1 - k : k] = (unsigned char)(v >> (8 * k));
	put(s, b, width);
}

static void put_zeros(sink *s, uint64_t n)
{
	static const unsigned char zeros[4096];
	while (n && !s->err) {
		size_t k = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);
		put(s, zeros, k);
		n -= k;
	}
}

static void put_str(sink *s, const wstr *str)
{
	put_uint(s, str->len, 8);
	put(s, str->ptr, (size_t)str->len);
}

/* A value without its type id (the array element form). */
static void put_payload(sink *s, const wval *v)
{
	if (v->type == HALO_GGUF_STRING) {
		put_str(s, &v->str);
		return;
	}
	if (v->type != HALO_GGUF_ARRAY) {
		put_uint(s, v->bits, halo_gguf_type_size(v->type));
		return;
	}
	put_uint(s, v->arr.etype, 4);
	put_uint(s, v->arr.n, 8);
	if (v->arr.etype == HALO_GGUF_STRING) {
		const wstr *e = v->arr.data;
		for (uint64_t i = 0; i < v->arr.n && !s->err; i++)
			put_str(s, &e[i]);
	} else if (v->arr.etype == HALO_GGUF_ARRAY) {
		const wval *e = v->arr.data;
		for (uint64_t i = 0; i < v->arr.n && !s->err; i++)
			put_payload(s, &e[i]);
	} else {
		size_t width = halo_gguf_type_size(v->arr.etype);
		const unsigned char *e = v->arr.data;
		if (!s->big || width == 1) {
			put(s, e, (size_t)(v->arr.n * width)); /* stored little-endian already */
			return;
		}
		for (uint64_t i = 0; i < v->arr.n && !s->err; i++) {
			unsigned char b[8];
			for (size_t k = 0; k < width; k++)
				b[k] = e[i * width + width - 1 - k];
			put(s, b, width);
		}
	}
}

static void put_header(const halo_gguf_writer *w, sink *s)
{
	put(s, "GGUF", 4); /* the magic is the same bytes in either byte order */
	put_uint(s, w->version, 4);
	put_uint(s, w->n_t, 8);
	put_uint(s, w->n_kv, 8);
	for (uint64_t i = 0; i < w->n_kv && !s->err; i++) {
		put_str(s, &w->kv[i].key);
		put_uint(s, w->kv[i].v.type, 4);
		put_payload(s, &w->kv[i].v);
	}
	for (uint64_t i = 0; i < w->n_t && !s->err; i++) {
		const wtensor *t = &w->t[i];
		put_str(s, &t->name);
		put_uint(s, t->n_dims, 4);
		for (uint32_t j = 0; j < t->n_dims; j++)
			put_uint(s, t->ne[j], 8);
		put_uint(s, t->type, 4);
		put_uint(s, t->offset, 8);
	}
}

int halo_gguf_writer_layout(const halo_gguf_writer *w, uint64_t *data_offset, uint64_t *file_size)
{
	sink s;
	uint64_t off, data = 0, total;
	s.f = NULL;
	s.b = NULL;
	s.big = false;
	s.err = 0;
	s.count = 0;
	s.used = 0;
	put_header(w, &s);
	if (s.err)
		return s.err;
	if (pad_up(s.count, w->alignment, &off))
		return halo_error_set(HALO_EUSAGE, "gguf header size overflows 64 bits");
	int rc = compute_offsets(w, w->alignment, &data);
	if (rc)
		return rc;
	if (__builtin_add_overflow(off, data, &total))
		return halo_error_set(HALO_EUSAGE, "gguf file size overflows 64 bits");
	if (data_offset)
		*data_offset = off;
	if (file_size)
		*file_size = total;
	return 0;
}

static int write_sink(const halo_gguf_writer *w, sink *s, const halo_gguf_write_opts *opts)
{
	halo_gguf_write_opts defaults = HALO_GGUF_WRITE_OPTS_INIT;
	if (!opts)
		opts = &defaults;
	if (opts->version != HALO_GGUF_WRITE_OPTS_VERSION)
		return halo_error_set(HALO_EUSAGE, "gguf write options version %u, expected %u", opts->version,
				      HALO_GGUF_WRITE_OPTS_VERSION);
	uint64_t data_offset, file_size;
	int rc = halo_gguf_writer_layout(w, &data_offset, &file_size);
	if (rc)
		return rc;

	s->big = opts->big_endian;
	uint64_t start = s->count;
	put_header(w, s);
	put_zeros(s, data_offset - (s->count - start));
	if (opts->header_only || s->err) {
		sink_flush(s);
		return s->err;
	}

	size_t chunk = opts->chunk_size ? opts->chunk_size : DEFAULT_CHUNK;
	unsigned char *buf = NULL;
	if (w->n_t) {
		/* zeroed: with no fill callback the data is this buffer as is */
		buf = calloc(1, chunk);
		if (!buf)
			return halo_error_set(HALO_ENOMEM, "out of memory for a %zu-byte gguf write buffer", chunk);
	}
	for (uint64_t i = 0; i < w->n_t && !s->err; i++) {
		const wtensor *t = &w->t[i];
		for (uint64_t off = 0; off < t->size && !s->err;) {
			size_t n = t->size - off < chunk ? (size_t)(t->size - off) : chunk;
			if (opts->fill) {
				rc = opts->fill(opts->userdata, i, off, buf, n);
				if (rc) {
					if (rc > 0)
						rc = halo_error_set(HALO_ERROR, "fill callback returned %d", rc);
					halo_error_prefix("gguf tensor '%s' at byte %llu", t->name.ptr,
							  (unsigned long long)off);
					s->err = rc; /* the callback's code, even if it recorded none */
					break;
				}
			}
			put(s, buf, n);
			off += n;
		}
		uint64_t padded;
		pad_up(t->size, w->alignment, &padded);
		put_zeros(s, padded - t->size);
	}
	free(buf);
	sink_flush(s);
	return s->err;
}

int halo_gguf_writer_write_file(const halo_gguf_writer *w, FILE *f, const halo_gguf_write_opts *opts)
{
	sink *s = calloc(1, sizeof(*s));
	if (!s)
		return halo_error_set(HALO_ENOMEM, "out of memory writing a gguf");
	s->f = f;
	int rc = write_sink(w, s, opts);
	free(s);
	if (!rc && fflush(f))
		rc = halo_error_set(HALO_EIO, "writing gguf: %s", strerror(errno));
	return rc;
}

int halo_gguf_writer_write_buf(const halo_gguf_writer *w, halo_buf *out, const halo_gguf_write_opts *opts)
{
	sink *s = calloc(1, sizeof(*s));
	if (!s)
		return halo_error_set(HALO_ENOMEM, "out of memory writing a gguf");
	s->b = out;
	int rc = write_sink(w, s, opts);
	free(s);
	return rc;
}

int halo_gguf_writer_write_path(const halo_gguf_writer *w, const char *path, const halo_gguf_write_opts *opts)
{
	size_t len = strlen(path);
	char *tmp = malloc(len + sizeof(".XXXXXX"));
	if (!tmp)
		return halo_error_set(HALO_ENOMEM, "out of memory writing %s", path);
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".XXXXXX", sizeof(".XXXXXX"));

	int rc, fd = mkstemp(tmp);
	if (fd < 0) {
		rc = halo_error_set(HALO_EIO, "%s: cannot create a temporary file: %s", path, strerror(errno));
		free(tmp);
		return rc;
	}
	/* mkstemp makes 0600; a model file is as readable as any other output */
	fchmod(fd, 0644);
	FILE *f = fdopen(fd, "wb");
	if (!f) {
		rc = halo_error_set(HALO_EIO, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return rc;
	}
	rc = halo_gguf_writer_write_file(w, f, opts);
	if (fclose(f) && !rc)
		rc = halo_error_set(HALO_EIO, "writing gguf: %s", strerror(errno));
	if (rc)
		halo_error_prefix("%s", path);
	else if (rename(tmp, path))
		rc = halo_error_set(HALO_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}
