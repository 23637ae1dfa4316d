/*
 * GGUF header reader: metadata key/values and tensor infos of a GGUF v2/v3
 * file, from a local path or an http(s) URL (HTTP Range requests, header
 * bytes only), including split models (NAME-00001-of-0000N.gguf).
 *
 * The input is untrusted: every count, length and offset is checked, sizes
 * are computed with overflow checks, and allocations are capped by
 * halo_gguf_open_opts. A bad file yields HALO_EFORMAT and a message naming the
 * file, the byte offset and the field.
 *
 * Ownership: halo_gguf_open() returns a halo_gguf owned by the caller, freed
 * with halo_gguf_free(). Every string and array it exposes lives as long as it.
 */
#ifndef HALO_GGUF_H
#define HALO_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum halo_gguf_type {
	HALO_GGUF_UINT8 = 0, HALO_GGUF_INT8 = 1, HALO_GGUF_UINT16 = 2, HALO_GGUF_INT16 = 3,
	HALO_GGUF_UINT32 = 4, HALO_GGUF_INT32 = 5, HALO_GGUF_FLOAT32 = 6, HALO_GGUF_BOOL = 7,
	HALO_GGUF_STRING = 8, HALO_GGUF_ARRAY = 9, HALO_GGUF_UINT64 = 10, HALO_GGUF_INT64 = 11,
	HALO_GGUF_FLOAT64 = 12, HALO_GGUF_TYPE_COUNT = 13
} halo_gguf_type;

typedef struct halo_gguf_str {
	uint64_t len;
	const char *ptr; /* NUL-terminated copy (may contain NULs before len) */
} halo_gguf_str;

typedef struct halo_gguf_value halo_gguf_value;
struct halo_gguf_value {
	uint32_t type; /* halo_gguf_type */
	union {
		uint64_t u64;   /* UINT8..UINT64 */
		int64_t i64;    /* INT8..INT64 */
		double f64;     /* FLOAT32, FLOAT64 */
		bool b;         /* BOOL */
		halo_gguf_str str;
		struct {
			uint32_t type; /* element type */
			uint64_t n;
			/* Elements by type: integer/float/bool arrays -> halo_gguf_value[]
			 * is wasteful for vocabularies, so scalars are decoded into
			 * `values` only for arrays of at most opts.decode_array_max
			 * (default HALO_GGUF_ARRAY_DECODE_MAX)
			 * elements; strings always into `strs`; nested arrays into `values`. */
			const halo_gguf_value *values; /* NULL when not decoded */
			const halo_gguf_str *strs;     /* STRING arrays */
		} arr;
	};
};

#define HALO_GGUF_ARRAY_DECODE_MAX 65536

typedef struct halo_gguf_kv {
	const char *key;
	halo_gguf_value value;
} halo_gguf_kv;

#define HALO_GGUF_MAX_DIMS 4

typedef struct halo_gguf_tensor {
	const char *name;
	uint32_t n_dims;
	uint64_t ne[HALO_GGUF_MAX_DIMS]; /* unused dims are 1 */
	uint32_t type;                   /* halo_ggml_type */
	uint64_t offset;                 /* relative to the part's data section */
	uint64_t size;                   /* bytes, from the type's block geometry */
	uint32_t split;                  /* which part (0-based) holds the data */
} halo_gguf_tensor;

typedef struct halo_gguf {
	const char *source;      /* path or URL of the first part */
	uint32_t version;        /* 2 or 3 */
	bool byteswapped;        /* file is big-endian (opposite of host) */
	uint64_t n_kv;
	const halo_gguf_kv *kv;
	uint64_t n_tensors;      /* over all parts */
	const halo_gguf_tensor *tensors;
	uint32_t alignment;      /* general.alignment, default 32 */
	uint64_t data_offset;    /* of the first part */
	uint32_t n_splits;       /* 1 for a single file */
	uint64_t file_size;      /* bytes over all parts (remote: Content-Range total) */
	uint64_t data_size;      /* bytes of tensor data over all parts (padded as stored) */
	uint64_t expected_size;  /* file size the headers imply, over all parts */
	uint64_t bytes_read;     /* bytes actually read or transferred for the headers */
	uint64_t n_elements;     /* parameters: sum of tensor elements */
	void *priv;              /* internal: the arena */
} halo_gguf;

typedef struct halo_gguf_open_opts {
	unsigned version;            /* HALO_GGUF_OPEN_OPTS_VERSION */
	uint64_t max_header_bytes;   /* stop and fail past this many header bytes */
	uint64_t max_kv;             /* metadata entries */
	uint64_t max_tensors;        /* tensor infos per part */
	uint64_t max_string;         /* bytes of one string */
	uint64_t max_array;          /* elements of one array */
	uint32_t max_depth;          /* array nesting */
	bool no_splits;              /* read only the named part */
	/* By default tensor data past the end of the file is an error. A partial
	 * download still parses when this is set: compare data_offset+data_size
	 * with file_size (halo_gguf_data_complete). */
	bool allow_truncated_data;
	long http_timeout_s;         /* total time per HTTP request */
	/* Scalar arrays longer than this are skipped, not decoded (values NULL).
	 * Raise it to copy a tokenizer's scores and token types (halo synth). */
	uint64_t decode_array_max;
} halo_gguf_open_opts;

#define HALO_GGUF_OPEN_OPTS_VERSION 1
#define HALO_GGUF_OPEN_OPTS_INIT { HALO_GGUF_OPEN_OPTS_VERSION, (uint64_t)1 << 28, 1u << 20, 1u << 20, \
				   (uint64_t)1 << 24, (uint64_t)1 << 26, 8, false, false, 120, \
				   HALO_GGUF_ARRAY_DECODE_MAX }

/* Opens a path or http(s):// URL. opts may be NULL for the defaults. */
int halo_gguf_open(halo_gguf **out, const char *path_or_url, const halo_gguf_open_opts *opts);

/* Parses an in-memory image (the first `len` bytes of a file); `name` labels errors. */
int halo_gguf_parse_buffer(halo_gguf **out, const void *data, size_t len, const char *name,
			   const halo_gguf_open_opts *opts);

void halo_gguf_free(halo_gguf *g);

/* Metadata lookup; NULL when absent. */
const halo_gguf_value *halo_gguf_get(const halo_gguf *g, const char *key);

/*
 * Typed getters: 0 on success, HALO_ENOTFOUND when absent (nothing recorded
 * as an error), HALO_EFORMAT when the value has another type or is out of range.
 * Any integer type converts to u64 when non-negative.
 */
int halo_gguf_get_u64(const halo_gguf *g, const char *key, uint64_t *out);
int halo_gguf_get_u32(const halo_gguf *g, const char *key, uint32_t *out);
int halo_gguf_get_f64(const halo_gguf *g, const char *key, double *out);
int halo_gguf_get_str(const halo_gguf *g, const char *key, const char **out);
/* Element i of an integer/bool array value as u64 (for per-layer arrays). */
int halo_gguf_array_u64(const halo_gguf_value *v, uint64_t i, uint64_t *out);

const char *halo_gguf_type_name(uint32_t type);

/* Bytes of one scalar of `type` as stored; 0 for STRING, ARRAY and invalid types. */
unsigned halo_gguf_type_size(uint32_t type);

/* Deep equality of two values: same type, same contents (floats compared by
 * bit pattern, so NaNs equal themselves; undecoded arrays equal only by shape). */
bool halo_gguf_value_equal(const halo_gguf_value *a, const halo_gguf_value *b);

/* True when every part holds all of its tensor data. */
bool halo_gguf_data_complete(const halo_gguf *g);

/* Split naming: if `path` names part k of n ("-0000k-of-0000n.gguf"), sets them and returns true. */
bool halo_gguf_split_parse(const char *path, uint32_t *k, uint32_t *n);
/* Writes the name of part k (1-based) of `path` into out (malloc'd, caller frees). */
int halo_gguf_split_name(char **out, const char *path, uint32_t k, uint32_t n);

#endif
