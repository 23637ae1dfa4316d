/*
 * GGUF header reader. See gguf.h for the contract.
 *
 * The header is read through a growing prefix window of the file (local
 * reads or HTTP Range requests), never past the start of the tensor data.
 * Every length and count read from the file is checked against the bytes
 * that remain and against the caps in halo_gguf_open_opts before anything is
 * allocated, so memory use is bounded by a small multiple of the header size.
 * Validation follows the pinned llama.cpp (ggml/src/gguf.cpp), so a file
 * halo accepts is one llama.cpp would load.
 */
#include "gguf.h"

#include "buf.h"
#include "error.h"
#include "ggml_type.h"
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GGUF_DEFAULT_ALIGNMENT 32
#define GGML_MAX_NAME 64
#define WINDOW_MIN ((uint64_t)256 << 10)

/* ---- arena: all strings and arrays of one halo_gguf ---- */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct arena {
	struct arena_chunk *head;
	uint64_t total, cap;
};

static void *arena_alloc(struct arena *a, uint64_t n)
{
	n = (n + 15) & ~(uint64_t)15;
	if (n == 0)
		n = 16;
	if (n > a->cap || a->total > a->cap - n) {
		halo_error_set(HALO_ENOMEM, "header needs more than the %" PRIu64 "-byte memory cap", a->cap);
		return NULL;
	}
	struct arena_chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		size_t size = n > (1u << 20) ? (size_t)n : (1u << 20);
		c = malloc(sizeof(*c) + size);
		if (!c) {
			halo_error_set(HALO_ENOMEM, "out of memory (%zu bytes)", size);
			return NULL;
		}
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	a->total += n;
	memset(p, 0, n);
	return p;
}

static void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
}

/* ---- sources: a growing prefix of the file ---- */

enum source_kind { SRC_MEM, SRC_FILE, SRC_HTTP };

struct source {
	enum source_kind kind;
	const char *name;
	const uint8_t *data; /* prefix [0, avail) */
	uint64_t avail;
	uint64_t total;      /* file size */
	uint64_t bytes_read;
	int fd;
	halo_buf buf;
	const halo_gguf_open_opts *opts;
	char *fetch_url;     /* where ranges are fetched: the URL after redirects */
};

static int source_open(struct source *s, const char *name, const halo_gguf_open_opts *opts)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->opts = opts;
	s->fd = -1;
	halo_buf_init(&s->buf, opts->max_header_bytes);
	if (halo_http_is_url(name)) {
		halo_http_opts hopts = HALO_HTTP_OPTS_INIT;
		halo_http_range_info info;
		hopts.total_timeout_s = opts->http_timeout_s;
		s->kind = SRC_HTTP;
		int rc = halo_http_get_range(name, 0, WINDOW_MIN, &s->buf, &info, &hopts);
		s->bytes_read += info.bytes_received;
		if (rc)
			return rc;
		s->total = info.total_size ? info.total_size : s->buf.len;
		if (info.effective_url[0] && !(s->fetch_url = strdup(info.effective_url)))
			return halo_error_set(HALO_ENOMEM, "out of memory");
	} else {
		struct stat st;
		s->kind = SRC_FILE;
		s->fd = open(name, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0)
			return halo_error_set(errno == ENOENT ? HALO_ENOTFOUND : HALO_EIO, "cannot open '%s': %s",
					      name, strerror(errno));
		if (fstat(s->fd, &st) != 0 || !S_ISREG(st.st_mode))
			return halo_error_set(HALO_EIO, "'%s' is not a regular file", name);
		s->total = (uint64_t)st.st_size;
	}
	s->data = (const uint8_t *)s->buf.ptr;
	s->avail = s->buf.len;
	return 0;
}

static void source_close(struct source *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->fetch_url);
	halo_buf_free(&s->buf);
}

/* Makes bytes [0, end) available; end <= s->total has been checked. */
static int source_fill(struct source *s, uint64_t end)
{
	uint64_t want = s->avail * 2;

	if (s->kind == SRC_MEM)
		return 0;
	if (want < end)
		want = end;
	if (want < WINDOW_MIN)
		want = WINDOW_MIN;
	if (want > s->total)
		want = s->total;
	if (want > s->opts->max_header_bytes)
		want = end; /* near the cap, read only what is needed */
	if (want > s->opts->max_header_bytes)
		return halo_error_set(HALO_ENOMEM, "'%s': header is larger than the %" PRIu64 "-byte cap",
				      s->name, s->opts->max_header_bytes);
	uint64_t need = want - s->avail;
	if (s->kind == SRC_FILE) {
		uint64_t at = s->avail;
		while (need) {
			char chunk[1 << 16];
			size_t n = need < sizeof(chunk) ? (size_t)need : sizeof(chunk);
			ssize_t got = pread(s->fd, chunk, n, (off_t)at);
			if (got < 0) {
				if (errno == EINTR)
					continue;
				return halo_error_set(HALO_EIO, "'%s': read error at offset %" PRIu64 ": %s", s->name,
						      at, strerror(errno));
			}
			if (got == 0)
				return halo_error_set(HALO_EFORMAT, "'%s': file shrank while reading at offset %" PRIu64,
						      s->name, at);
			int rc = halo_buf_add(&s->buf, chunk, (size_t)got);
			if (rc)
				return rc;
			at += (uint64_t)got;
			need -= (uint64_t)got;
			s->bytes_read += (uint64_t)got;
		}
	} else {
		halo_http_opts hopts = HALO_HTTP_OPTS_INIT;
		halo_http_range_info info;
		hopts.total_timeout_s = s->opts->http_timeout_s;
		size_t before = s->buf.len;
		int rc = halo_http_get_range(s->fetch_url ? s->fetch_url : s->name, s->avail, need, &s->buf, &info, &hopts);
		s->bytes_read += info.bytes_received;
		if (rc)
			return rc;
		if (s->buf.len - before < need)
			return halo_error_set(HALO_ENET, "'%s': server sent %zu of %" PRIu64 " bytes at offset %" PRIu64,
					      s->name, s->buf.len - before, need, s->avail);
	}
	s->data = (const uint8_t *)s->buf.ptr;
	s->avail = s->buf.len;
	return 0;
}

/* ---- parser ---- */

struct parser {
	struct source *src;
	const halo_gguf_open_opts *opts;
	struct arena *arena;
	uint64_t pos;
	bool swap;
	char field[160]; /* what is being read, for error messages */
};

static int perr(struct parser *p, int code, uint64_t at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int perr(struct parser *p, int code, uint64_t at, const char *fmt, ...)
{
	char msg[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return halo_error_set(code, "'%s': offset %" PRIu64 ": %s: %s", p->src->name, at, p->field, msg);
}

/* Ensures n more bytes at p->pos. */
static int need(struct parser *p, uint64_t n)
{
	uint64_t end;
	if (__builtin_add_overflow(p->pos, n, &end) || end > p->src->total)
		return perr(p, HALO_EFORMAT, p->pos, "truncated: needs %" PRIu64 " bytes, file has %" PRIu64 " left", n,
			    p->src->total - (p->pos < p->src->total ? p->pos : p->src->total));
	if (end > p->src->opts->max_header_bytes)
		return perr(p, HALO_ENOMEM, p->pos, "header is larger than the %" PRIu64 "-byte cap",
			    p->src->opts->max_header_bytes);
	if (end > p->src->avail)
		return source_fill(p->src, end);
	return 0;
}

static uint64_t remaining(const struct parser *p)
{
	return p->src->total > p->pos ? p->src->total - p->pos : 0;
}

static uint64_t load(struct parser *p, unsigned size)
{
	const uint8_t *b = p->src->data + p->pos;
	uint64_t v = 0;
	p->pos += size;
	if (p->swap) {
		for (unsigned i = 0; i < size; i++)
			v = (v << 8) | b[i];
	} else {
		for (unsigned i = size; i-- > 0;)
			v = (v << 8) | b[i];
	}
	return v;
}

static int rd_u32(struct parser *p, uint32_t *out)
{
	int rc = need(p, 4);
	if (!rc)
		*out = (uint32_t)load(p, 4);
	return rc;
}

static int rd_u64(struct parser *p, uint64_t *out)
{
	int rc = need(p, 8);
	if (!rc)
		*out = load(p, 8);
	return rc;
}

static int rd_str(struct parser *p, halo_gguf_str *out)
{
	uint64_t at = p->pos, len;
	int rc = rd_u64(p, &len);
	if (rc)
		return rc;
	if (len > p->opts->max_string)
		return perr(p, HALO_EFORMAT, at, "string length %" PRIu64 " exceeds the %" PRIu64 "-byte cap", len,
			    p->opts->max_string);
	if (len > remaining(p))
		return perr(p, HALO_EFORMAT, at, "string length %" PRIu64 " runs past the end of the file", len);
	if ((rc = need(p, len)))
		return rc;
	char *s = arena_alloc(p->arena, len + 1);
	if (!s)
		return perr(p, HALO_ENOMEM, at, "%s", halo_error_last()->message);
	memcpy(s, p->src->data + p->pos, len);
	s[len] = '\0';
	p->pos += len;
	out->len = len;
	out->ptr = s;
	return 0;
}

unsigned halo_gguf_type_size(uint32_t type)
{
	switch (type) {
	case HALO_GGUF_UINT8: case HALO_GGUF_INT8: case HALO_GGUF_BOOL: return 1;
	case HALO_GGUF_UINT16: case HALO_GGUF_INT16: return 2;
	case HALO_GGUF_UINT32: case HALO_GGUF_INT32: case HALO_GGUF_FLOAT32: return 4;
	case HALO_GGUF_UINT64: case HALO_GGUF_INT64: case HALO_GGUF_FLOAT64: return 8;
	default: return 0;
	}
}

/* Smallest encoding of one element, to bound counts by the bytes left. */
static unsigned min_encoded_size(uint32_t type)
{
	if (type == HALO_GGUF_STRING)
		return 8;
	if (type == HALO_GGUF_ARRAY)
		return 12;
	return halo_gguf_type_size(type);
}

static void decode_scalar(struct parser *p, uint32_t type, halo_gguf_value *v)
{
	unsigned size = halo_gguf_type_size(type);
	uint64_t raw = load(p, size);
	v->type = type;
	switch (type) {
	case HALO_GGUF_INT8: v->i64 = (int8_t)raw; break;
	case HALO_GGUF_INT16: v->i64 = (int16_t)raw; break;
	case HALO_GGUF_INT32: v->i64 = (int32_t)raw; break;
	case HALO_GGUF_INT64: v->i64 = (int64_t)raw; break;
	case HALO_GGUF_FLOAT32: {
		uint32_t u = (uint32_t)raw;
		float f;
		memcpy(&f, &u, 4);
		v->f64 = f;
		break;
	}
	case HALO_GGUF_FLOAT64: memcpy(&v->f64, &raw, 8); break;
	case HALO_GGUF_BOOL: v->b = raw != 0; break;
	default: v->u64 = raw; break;
	}
}

static int rd_value(struct parser *p, uint32_t type, halo_gguf_value *v, uint32_t depth);

static int rd_array(struct parser *p, halo_gguf_value *v, uint32_t depth)
{
	uint64_t at = p->pos, n;
	uint32_t etype;
	int rc;

	if (depth >= p->opts->max_depth)
		return perr(p, HALO_EFORMAT, at, "arrays nested deeper than %u", p->opts->max_depth);
	if ((rc = rd_u32(p, &etype)) || (rc = rd_u64(p, &n)))
		return rc;
	if (etype >= HALO_GGUF_TYPE_COUNT)
		return perr(p, HALO_EFORMAT, at, "unknown array element type %u", etype);
	if (n > p->opts->max_array)
		return perr(p, HALO_EFORMAT, at + 4, "array length %" PRIu64 " exceeds the cap of %" PRIu64, n,
			    p->opts->max_array);
	if (n > remaining(p) / min_encoded_size(etype))
		return perr(p, HALO_EFORMAT, at + 4, "array of %" PRIu64 " %s values runs past the end of the file", n,
			    halo_gguf_type_name(etype));
	v->type = HALO_GGUF_ARRAY;
	v->arr.type = etype;
	v->arr.n = n;

	if (etype == HALO_GGUF_STRING) {
		halo_gguf_str *strs = arena_alloc(p->arena, n * sizeof(*strs));
		if (!strs)
			return perr(p, HALO_ENOMEM, at, "%s", halo_error_last()->message);
		for (uint64_t i = 0; i < n; i++)
			if ((rc = rd_str(p, &strs[i])))
				return rc;
		v->arr.strs = strs;
		return 0;
	}
	if (etype == HALO_GGUF_ARRAY || n <= p->opts->decode_array_max) {
		halo_gguf_value *vals = arena_alloc(p->arena, n * sizeof(*vals));
		if (!vals)
			return perr(p, HALO_ENOMEM, at, "%s", halo_error_last()->message);
		for (uint64_t i = 0; i < n; i++)
			if ((rc = rd_value(p, etype, &vals[i], depth + 1)))
				return rc;
		v->arr.values = vals;
		return 0;
	}
	/* Large numeric arrays (token scores/types) are skipped, not decoded. */
	uint64_t bytes = n * halo_gguf_type_size(etype);
	if ((rc = need(p, bytes)))
		return rc;
	p->pos += bytes;
	return 0;
}

static int rd_value(struct parser *p, uint32_t type, halo_gguf_value *v, uint32_t depth)
{
	int rc;
	if (type == HALO_GGUF_STRING) {
		v->type = type;
		return rd_str(p, &v->str);
	}
	if (type == HALO_GGUF_ARRAY)
		return rd_array(p, v, depth);
	unsigned size = halo_gguf_type_size(type);
	if (!size)
		return perr(p, HALO_EFORMAT, p->pos, "unknown value type %u", type);
	if ((rc = need(p, size)))
		return rc;
	decode_scalar(p, type, v);
	return 0;
}

/* Open-addressing set of strings, to reject duplicate keys and tensor names. */
struct strset {
	const char **slots;
	uint64_t mask;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

static int strset_init(struct strset *set, struct arena *a, uint64_t n)
{
	uint64_t size = 16;
	while (size < n * 2)
		size <<= 1;
	set->slots = arena_alloc(a, size * sizeof(*set->slots));
	set->mask = size - 1;
	return set->slots ? 0 : HALO_ENOMEM;
}

/* Returns false when `s` was already present. */
static bool strset_add(struct strset *set, const char *s)
{
	for (uint64_t i = hash_str(s) & set->mask;; i = (i + 1) & set->mask) {
		if (!set->slots[i]) {
			set->slots[i] = s;
			return true;
		}
		if (!strcmp(set->slots[i], s))
			return false;
	}
}

struct part {
	halo_gguf_kv *kv;
	uint64_t n_kv;
	halo_gguf_tensor *tensors;
	uint64_t n_tensors;
	uint32_t version, alignment;
	bool swap;
	uint64_t data_offset, data_end, expected_size, file_size, bytes_read;
};

static int parse_part(struct source *src, struct arena *arena, const halo_gguf_open_opts *opts, uint32_t split,
		      struct part *out)
{
	struct parser p = { .src = src, .opts = opts, .arena = arena };
	uint32_t magic_raw, version;
	uint64_t n_tensors, n_kv;
	int rc;

	memset(out, 0, sizeof(*out));
	out->file_size = src->total;
	snprintf(p.field, sizeof(p.field), "magic");
	if ((rc = need(&p, 4)))
		return rc;
	if (memcmp(src->data, "GGUF", 4))
		return perr(&p, HALO_EFORMAT, 0, "not a gguf file (magic %02x %02x %02x %02x)", src->data[0],
			    src->data[1], src->data[2], src->data[3]);
	p.pos = 4;
	snprintf(p.field, sizeof(p.field), "version");
	if ((rc = rd_u32(&p, &magic_raw)))
		return rc;
	version = magic_raw;
	if ((version & 0xffff) == 0 && version) {
		/* A big-endian file read on a little-endian host (or the reverse). */
		version = __builtin_bswap32(version);
		p.swap = true;
	}
	if (version == 1)
		return perr(&p, HALO_EFORMAT, 4, "gguf version 1 is not supported (only 2 and 3)");
	if (version != 2 && version != 3)
		return perr(&p, HALO_EFORMAT, 4, "unknown gguf version %u%s", version, p.swap ? " (big-endian)" : "");
	out->version = version;
	out->swap = p.swap;

	snprintf(p.field, sizeof(p.field), "tensor count");
	uint64_t at = p.pos;
	if ((rc = rd_u64(&p, &n_tensors)))
		return rc;
	if (n_tensors > opts->max_tensors)
		return perr(&p, HALO_EFORMAT, at, "%" PRIu64 " tensors exceed the cap of %" PRIu64, n_tensors,
			    opts->max_tensors);
	snprintf(p.field, sizeof(p.field), "metadata count");
	uint64_t counts_at = at;
	at = p.pos;
	if ((rc = rd_u64(&p, &n_kv)))
		return rc;
	if (n_kv > opts->max_kv)
		return perr(&p, HALO_EFORMAT, at, "%" PRIu64 " metadata entries exceed the cap of %" PRIu64, n_kv,
			    opts->max_kv);
	/* key (8) + type (4) + smallest value (1) per entry; name (8) + dims (4) + one ne (8) + type (4) + offset (8) per tensor */
	if (n_kv > remaining(&p) / 13 || n_tensors > remaining(&p) / 32 ||
	    n_kv * 13 + n_tensors * 32 > remaining(&p))
		return perr(&p, HALO_EFORMAT, counts_at, "%" PRIu64 " metadata entries and %" PRIu64
			    " tensors cannot fit in the %" PRIu64 " bytes left", n_kv, n_tensors, remaining(&p));

	struct strset keys, names;
	if (strset_init(&keys, arena, n_kv) || strset_init(&names, arena, n_tensors))
		return perr(&p, HALO_ENOMEM, at, "%s", halo_error_last()->message);
	out->kv = arena_alloc(arena, (n_kv ? n_kv : 1) * sizeof(*out->kv));
	out->tensors = arena_alloc(arena, (n_tensors ? n_tensors : 1) * sizeof(*out->tensors));
	if (!out->kv || !out->tensors)
		return perr(&p, HALO_ENOMEM, at, "%s", halo_error_last()->message);

	out->alignment = GGUF_DEFAULT_ALIGNMENT;
	for (uint64_t i = 0; i < n_kv; i++) {
		halo_gguf_kv *kv = &out->kv[i];
		halo_gguf_str key;
		uint32_t type;

		snprintf(p.field, sizeof(p.field), "key #%" PRIu64, i);
		if ((rc = rd_str(&p, &key)))
			return rc;
		if (strlen(key.ptr) != key.len)
			return perr(&p, HALO_EFORMAT, p.pos - key.len, "key contains a nul byte");
		if (key.len == 0)
			return perr(&p, HALO_EFORMAT, p.pos - 8, "key is empty");
		kv->key = key.ptr;
		snprintf(p.field, sizeof(p.field), "key #%" PRIu64 " '%.100s'", i, key.ptr);
		if (!strset_add(&keys, key.ptr))
			return perr(&p, HALO_EFORMAT, p.pos - key.len - 8, "duplicate key");
		at = p.pos;
		if ((rc = rd_u32(&p, &type)))
			return rc;
		if (type >= HALO_GGUF_TYPE_COUNT)
			return perr(&p, HALO_EFORMAT, at, "unknown value type %u", type);
		if ((rc = rd_value(&p, type, &kv->value, 0)))
			return rc;
		out->n_kv = i + 1;
		if (!strcmp(key.ptr, "general.alignment")) {
			if (type != HALO_GGUF_UINT32)
				return perr(&p, HALO_EFORMAT, at, "must be uint32, is %s", halo_gguf_type_name(type));
			uint64_t a = kv->value.u64;
			if (a == 0 || (a & (a - 1)))
				return perr(&p, HALO_EFORMAT, at + 4, "alignment %" PRIu64 " is not a power of two", a);
			out->alignment = (uint32_t)a;
		}
	}

	for (uint64_t i = 0; i < n_tensors; i++) {
		halo_gguf_tensor *t = &out->tensors[i];
		halo_gguf_str name;
		uint32_t n_dims, type;

		snprintf(p.field, sizeof(p.field), "tensor #%" PRIu64 " name", i);
		if ((rc = rd_str(&p, &name)))
			return rc;
		if (name.len >= GGML_MAX_NAME)
			return perr(&p, HALO_EFORMAT, p.pos - name.len, "name is %" PRIu64 " bytes, at most %d allowed",
				    name.len, GGML_MAX_NAME - 1);
		if (strlen(name.ptr) != name.len)
			return perr(&p, HALO_EFORMAT, p.pos - name.len, "name contains a nul byte");
		t->name = name.ptr;
		t->split = split;
		snprintf(p.field, sizeof(p.field), "tensor '%s'", name.ptr);
		if (!strset_add(&names, name.ptr))
			return perr(&p, HALO_EFORMAT, p.pos - name.len - 8, "duplicate tensor name");
		at = p.pos;
		if ((rc = rd_u32(&p, &n_dims)))
			return rc;
		if (n_dims == 0 || n_dims > HALO_GGUF_MAX_DIMS)
			return perr(&p, HALO_EFORMAT, at, "%u dimensions (1 to %d allowed)", n_dims, HALO_GGUF_MAX_DIMS);
		t->n_dims = n_dims;
		bool empty = false;
		for (uint32_t d = 0; d < HALO_GGUF_MAX_DIMS; d++) {
			uint64_t ne = 1;
			at = p.pos;
			if (d < n_dims && (rc = rd_u64(&p, &ne)))
				return rc;
			if (ne > INT64_MAX)
				return perr(&p, HALO_EFORMAT, at, "dimension %u is negative", d);
			t->ne[d] = ne;
			empty |= ne == 0;
		}
		/* As llama.cpp: a tensor without elements is valid whatever its other dimensions. */
		uint64_t nel = 1;
		for (uint32_t d = 0; d < HALO_GGUF_MAX_DIMS && !empty; d++)
			if (__builtin_mul_overflow(nel, t->ne[d], &nel) || nel >= INT64_MAX)
				return perr(&p, HALO_EFORMAT, at, "element count overflows (dimension %u = %" PRIu64 ")",
					    d, t->ne[d]);
		at = p.pos;
		if ((rc = rd_u32(&p, &type)))
			return rc;
		const halo_ggml_type_info *ti = halo_ggml_type_get(type);
		if (!ti)
			return perr(&p, HALO_EFORMAT, at, "unknown ggml type %u", type);
		t->type = type;
		if (t->ne[0] % ti->block_size)
			return perr(&p, HALO_EFORMAT, at, "first dimension %" PRIu64 " is not a multiple of the %s block size %u",
				    t->ne[0], ti->name, ti->block_size);
		uint64_t row, rows;
		if (empty)
			t->size = 0;
		else if (halo_ggml_row_size(type, t->ne[0], &row) ||
			 __builtin_mul_overflow(t->ne[1], t->ne[2], &rows) ||
			 __builtin_mul_overflow(rows, t->ne[3], &rows) ||
			 __builtin_mul_overflow(row, rows, &t->size))
			return perr(&p, HALO_EFORMAT, at, "byte size overflows");
		at = p.pos;
		if ((rc = rd_u64(&p, &t->offset)))
			return rc;
		out->n_tensors = i + 1;
	}

	/* Tensor data is packed in order, each padded to the alignment, as llama.cpp requires. */
	snprintf(p.field, sizeof(p.field), "tensor data");
	uint64_t expect = 0;
	for (uint64_t i = 0; i < n_tensors; i++) {
		halo_gguf_tensor *t = &out->tensors[i];
		uint64_t padded;
		if (t->offset != expect)
			return perr(&p, HALO_EFORMAT, p.pos, "tensor '%s' has offset %" PRIu64 ", expected %" PRIu64, t->name,
				    t->offset, expect);
		if (__builtin_add_overflow(t->size, (uint64_t)out->alignment - 1, &padded) ||
		    __builtin_add_overflow(expect, padded / out->alignment * out->alignment, &expect))
			return perr(&p, HALO_EFORMAT, p.pos, "tensor '%s' data size overflows", t->name);
		if (__builtin_add_overflow(t->offset, t->size, &out->data_end))
			return perr(&p, HALO_EFORMAT, p.pos, "tensor '%s' data size overflows", t->name);
	}
	out->data_offset = (p.pos + out->alignment - 1) / out->alignment * out->alignment;
	/* A file without tensors may end right after its header, unpadded. */
	out->expected_size = n_tensors ? out->data_offset + out->data_end : p.pos;
	if (n_tensors && !opts->allow_truncated_data &&
	    (out->data_end > UINT64_MAX - out->data_offset || out->data_offset + out->data_end > src->total)) {
		const halo_gguf_tensor *last = &out->tensors[n_tensors - 1];
		return perr(&p, HALO_EFORMAT, p.pos,
			    "tensor '%s' data ends at byte %" PRIu64 ", past the end of the file (%" PRIu64 " bytes)",
			    last->name, out->data_offset + out->data_end, src->total);
	}
	out->bytes_read = src->bytes_read;
	return 0;
}

/* ---- public API ---- */

struct gguf_priv {
	struct arena arena;
};

static int finish(halo_gguf **out, struct gguf_priv *priv, const char *name, struct part *parts, uint32_t n_parts)
{
	halo_gguf *g = arena_alloc(&priv->arena, sizeof(*g));
	if (!g)
		return HALO_ENOMEM;
	char *source = arena_alloc(&priv->arena, strlen(name) + 1);
	if (!source)
		return HALO_ENOMEM;
	strcpy(source, name);
	g->source = source;
	g->version = parts[0].version;
	g->byteswapped = parts[0].swap;
	g->kv = parts[0].kv;
	g->n_kv = parts[0].n_kv;
	g->alignment = parts[0].alignment;
	g->data_offset = parts[0].data_offset;
	g->n_splits = n_parts;
	uint64_t n_tensors = 0;
	for (uint32_t i = 0; i < n_parts; i++) {
		n_tensors += parts[i].n_tensors;
		g->file_size += parts[i].file_size;
		g->data_size += parts[i].data_end;
		g->expected_size += parts[i].expected_size;
		g->bytes_read += parts[i].bytes_read;
	}
	if (n_parts == 1) {
		g->tensors = parts[0].tensors;
	} else {
		halo_gguf_tensor *all = arena_alloc(&priv->arena, (n_tensors ? n_tensors : 1) * sizeof(*all));
		if (!all)
			return HALO_ENOMEM;
		struct strset names;
		if (strset_init(&names, &priv->arena, n_tensors))
			return HALO_ENOMEM;
		uint64_t k = 0;
		for (uint32_t i = 0; i < n_parts; i++) {
			for (uint64_t j = 0; j < parts[i].n_tensors; j++) {
				if (!strset_add(&names, parts[i].tensors[j].name))
					return halo_error_set(HALO_EFORMAT, "'%s': tensor '%s' appears in more than one part",
							      name, parts[i].tensors[j].name);
				all[k++] = parts[i].tensors[j];
			}
		}
		g->tensors = all;
	}
	g->n_tensors = n_tensors;
	for (uint64_t i = 0; i < n_tensors; i++) {
		const halo_gguf_tensor *t = &g->tensors[i];
		if (__builtin_add_overflow(g->n_elements, t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3], &g->n_elements))
			return halo_error_set(HALO_EFORMAT, "'%s': total parameter count overflows", name);
	}
	g->priv = priv;
	*out = g;
	return 0;
}

int halo_gguf_parse_buffer(halo_gguf **out, const void *data, size_t len, const char *name,
			   const halo_gguf_open_opts *opts)
{
	halo_gguf_open_opts defaults = HALO_GGUF_OPEN_OPTS_INIT;
	struct source src = { .kind = SRC_MEM, .name = name, .data = data, .avail = len, .total = len, .fd = -1 };
	struct part part;
	int rc;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	src.opts = opts;
	src.bytes_read = len;
	struct gguf_priv *priv = calloc(1, sizeof(*priv));
	if (!priv)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	priv->arena.cap = opts->max_header_bytes * 2 + (1u << 20);
	if ((rc = parse_part(&src, &priv->arena, opts, 0, &part)) || (rc = finish(out, priv, name, &part, 1))) {
		arena_free(&priv->arena);
		free(priv);
		return rc;
	}
	return 0;
}

static int open_part(const char *name, struct arena *arena, const halo_gguf_open_opts *opts, uint32_t split,
		     struct part *part)
{
	struct source src;
	int rc = source_open(&src, name, opts);
	if (!rc)
		rc = parse_part(&src, arena, opts, split, part);
	source_close(&src);
	return rc;
}

/* Reads split.no / split.count of a part; both absent means "not split". */
static int part_split_keys(const struct part *pt, const char *name, uint64_t *no, uint64_t *count)
{
	*no = 0;
	*count = 0;
	for (uint64_t i = 0; i < pt->n_kv; i++) {
		const halo_gguf_kv *kv = &pt->kv[i];
		uint64_t *dst = !strcmp(kv->key, "split.no") ? no : !strcmp(kv->key, "split.count") ? count : NULL;
		if (!dst)
			continue;
		if (kv->value.type != HALO_GGUF_UINT16) /* llama.cpp reads them as u16 */
			return halo_error_set(HALO_EFORMAT, "'%s': key '%s' has type %s, expected uint16", name,
					      kv->key, halo_gguf_type_name(kv->value.type));
		*dst = kv->value.u64;
	}
	return 0;
}

int halo_gguf_open(halo_gguf **out, const char *path, const halo_gguf_open_opts *opts)
{
	halo_gguf_open_opts defaults = HALO_GGUF_OPEN_OPTS_INIT;
	struct part *parts = NULL;
	uint32_t k = 0, n = 1;
	char *first = NULL;
	int rc;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	struct gguf_priv *priv = calloc(1, sizeof(*priv));
	if (!priv)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	priv->arena.cap = opts->max_header_bytes * 2 + (1u << 20);

	bool split = !opts->no_splits && halo_gguf_split_parse(path, &k, &n) && n > 1;
	if (!split)
		n = 1;
	parts = calloc(n, sizeof(*parts));
	if (!parts) {
		rc = halo_error_set(HALO_ENOMEM, "out of memory");
		goto fail;
	}
	if (split) {
		if ((rc = halo_gguf_split_name(&first, path, 1, n)))
			goto fail;
	} else if (!(first = strdup(path))) {
		rc = halo_error_set(HALO_ENOMEM, "out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i < n; i++) {
		char *name = NULL;
		uint64_t no, count;
		rc = 0;
		if (split)
			rc = halo_gguf_split_name(&name, path, i + 1, n);
		else if (!(name = strdup(path)))
			rc = halo_error_set(HALO_ENOMEM, "out of memory");
		if (rc) {
			free(name);
			goto fail;
		}
		rc = open_part(name, &priv->arena, opts, i, &parts[i]);
		if (!rc && split && !(rc = part_split_keys(&parts[i], name, &no, &count)) && (no != i || count != n))
			rc = halo_error_set(HALO_EFORMAT,
					    "'%s': split.no %" PRIu64 " of split.count %" PRIu64 " does not match part %u of %u",
					    name, no, count, i + 1, n);
		free(name);
		if (rc)
			goto fail;
	}
	if ((rc = finish(out, priv, first, parts, n)))
		goto fail;
	if (split) {
		/* llama.cpp requires the total and refuses a model that lacks tensors. */
		uint64_t want;
		rc = halo_gguf_get_u64(*out, "split.tensors.count", &want);
		if (rc == HALO_ENOTFOUND)
			rc = halo_error_set(HALO_EFORMAT, "'%s': split model without key 'split.tensors.count'", first);
		else if (!rc && want != (*out)->n_tensors)
			rc = halo_error_set(HALO_EFORMAT, "'%s': split.tensors.count is %" PRIu64 " but the %u parts hold %" PRIu64
					    " tensors", first, want, n, (*out)->n_tensors);
		if (rc) {
			halo_gguf_free(*out);
			*out = NULL;
			free(first);
			free(parts);
			return rc;
		}
	}
	free(first);
	free(parts);
	return 0;
fail:
	free(first);
	free(parts);
	arena_free(&priv->arena);
	free(priv);
	return rc;
}

void halo_gguf_free(halo_gguf *g)
{
	if (!g)
		return;
	struct gguf_priv *priv = g->priv;
	arena_free(&priv->arena); /* g itself lives in the arena */
	free(priv);
}

const halo_gguf_value *halo_gguf_get(const halo_gguf *g, const char *key)
{
	for (uint64_t i = 0; i < g->n_kv; i++)
		if (!strcmp(g->kv[i].key, key))
			return &g->kv[i].value;
	return NULL;
}

static bool is_unsigned(uint32_t t)
{
	return t == HALO_GGUF_UINT8 || t == HALO_GGUF_UINT16 || t == HALO_GGUF_UINT32 || t == HALO_GGUF_UINT64;
}

static bool is_signed(uint32_t t)
{
	return t == HALO_GGUF_INT8 || t == HALO_GGUF_INT16 || t == HALO_GGUF_INT32 || t == HALO_GGUF_INT64;
}

static int value_u64(const halo_gguf_value *v, const char *what, uint64_t *out)
{
	if (is_unsigned(v->type)) {
		*out = v->u64;
		return 0;
	}
	if (is_signed(v->type)) {
		if (v->i64 < 0)
			return halo_error_set(HALO_EFORMAT, "%s is negative (%" PRId64 ")", what, v->i64);
		*out = (uint64_t)v->i64;
		return 0;
	}
	if (v->type == HALO_GGUF_BOOL) {
		*out = v->b;
		return 0;
	}
	return halo_error_set(HALO_EFORMAT, "%s has type %s, expected an integer", what, halo_gguf_type_name(v->type));
}

int halo_gguf_get_u64(const halo_gguf *g, const char *key, uint64_t *out)
{
	const halo_gguf_value *v = halo_gguf_get(g, key);
	if (!v)
		return HALO_ENOTFOUND;
	char what[160];
	snprintf(what, sizeof(what), "'%s': key '%s'", g->source, key);
	return value_u64(v, what, out);
}

int halo_gguf_get_u32(const halo_gguf *g, const char *key, uint32_t *out)
{
	uint64_t v;
	int rc = halo_gguf_get_u64(g, key, &v);
	if (rc)
		return rc;
	if (v > UINT32_MAX)
		return halo_error_set(HALO_EFORMAT, "'%s': key '%s' is out of range (%" PRIu64 ")", g->source, key, v);
	*out = (uint32_t)v;
	return 0;
}

int halo_gguf_get_f64(const halo_gguf *g, const char *key, double *out)
{
	const halo_gguf_value *v = halo_gguf_get(g, key);
	if (!v)
		return HALO_ENOTFOUND;
	if (v->type == HALO_GGUF_FLOAT32 || v->type == HALO_GGUF_FLOAT64)
		*out = v->f64;
	else if (is_unsigned(v->type))
		*out = (double)v->u64;
	else if (is_signed(v->type))
		*out = (double)v->i64;
	else
		return halo_error_set(HALO_EFORMAT, "'%s': key '%s' has type %s, expected a number", g->source, key,
				      halo_gguf_type_name(v->type));
	return 0;
}

int halo_gguf_get_str(const halo_gguf *g, const char *key, const char **out)
{
	const halo_gguf_value *v = halo_gguf_get(g, key);
	if (!v)
		return HALO_ENOTFOUND;
	if (v->type != HALO_GGUF_STRING)
		return halo_error_set(HALO_EFORMAT, "'%s': key '%s' has type %s, expected a string", g->source, key,
				      halo_gguf_type_name(v->type));
	*out = v->str.ptr;
	return 0;
}

int halo_gguf_array_u64(const halo_gguf_value *v, uint64_t i, uint64_t *out)
{
	if (v->type != HALO_GGUF_ARRAY)
		return halo_error_set(HALO_EFORMAT, "value is %s, not an array", halo_gguf_type_name(v->type));
	if (i >= v->arr.n)
		return halo_error_set(HALO_EFORMAT, "array index %" PRIu64 " out of range (%" PRIu64 " elements)", i,
				      v->arr.n);
	if (!v->arr.values)
		return halo_error_set(HALO_EFORMAT, "array of %" PRIu64 " %s elements was not decoded", v->arr.n,
				      halo_gguf_type_name(v->arr.type));
	return value_u64(&v->arr.values[i], "array element", out);
}

bool halo_gguf_value_equal(const halo_gguf_value *a, const halo_gguf_value *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case HALO_GGUF_FLOAT32:
	case HALO_GGUF_FLOAT64:
		return !memcmp(&a->f64, &b->f64, sizeof(a->f64));
	case HALO_GGUF_BOOL:
		return a->b == b->b;
	case HALO_GGUF_STRING:
		return a->str.len == b->str.len && !memcmp(a->str.ptr, b->str.ptr, a->str.len);
	case HALO_GGUF_ARRAY:
		if (a->arr.type != b->arr.type || a->arr.n != b->arr.n)
			return false;
		if (a->arr.type == HALO_GGUF_STRING) {
			for (uint64_t i = 0; i < a->arr.n; i++)
				if (a->arr.strs[i].len != b->arr.strs[i].len ||
				    memcmp(a->arr.strs[i].ptr, b->arr.strs[i].ptr, a->arr.strs[i].len))
					return false;
			return true;
		}
		if (!a->arr.values || !b->arr.values)
			return !a->arr.values == !b->arr.values;
		for (uint64_t i = 0; i < a->arr.n; i++)
			if (!halo_gguf_value_equal(&a->arr.values[i], &b->arr.values[i]))
				return false;
		return true;
	default:
		return a->u64 == b->u64; /* the integer members share storage */
	}
}

const char *halo_gguf_type_name(uint32_t type)
{
	static const char *names[HALO_GGUF_TYPE_COUNT] = {
		"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
		"bool", "string", "array", "uint64", "int64", "float64",
	};
	return type < HALO_GGUF_TYPE_COUNT ? names[type] : "unknown";
}

bool halo_gguf_data_complete(const halo_gguf *g)
{
	return g->file_size >= g->expected_size;
}

/* "-00001-of-00003.gguf" at the end of the name (5 digits each, as gguf-split writes). */
bool halo_gguf_split_parse(const char *path, uint32_t *k, uint32_t *n)
{
	static const char tail[] = "-00000-of-00000.gguf";
	size_t len = strlen(path), tl = sizeof(tail) - 1;
	if (len < tl)
		return false;
	const char *s = path + len - tl;
	unsigned a, b;
	char dot[6];
	if (s[0] != '-' || strncmp(s + 6, "-of-", 4) || strcmp(s + 15, ".gguf"))
		return false;
	for (int i = 1; i <= 5; i++)
		if (s[i] < '0' || s[i] > '9' || s[i + 9] < '0' || s[i + 9] > '9')
			return false;
	if (sscanf(s, "-%5u-of-%5u%5s", &a, &b, dot) != 3 || a == 0 || b == 0 || a > b)
		return false;
	*k = a;
	*n = b;
	return true;
}

int halo_gguf_split_name(char **out, const char *path, uint32_t k, uint32_t n)
{
	uint32_t k0, n0;
	size_t len = strlen(path);
	*out = NULL;
	if (!halo_gguf_split_parse(path, &k0, &n0) || k == 0 || k > n || n > 99999)
		return halo_error_set(HALO_EUSAGE, "'%s' is not a split gguf part name", path);
	char *s = malloc(len + 1);
	if (!s)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	size_t stem = len - strlen("-00000-of-00000.gguf");
	memcpy(s, path, stem);
	snprintf(s + stem, len + 1 - stem, "-%05u-of-%05u.gguf", k, n);
	*out = s;
	return 0;
}
