/*
 * GGUF writer: builds the metadata and tensor layout of a GGUF v2/v3 file in
 * memory and streams it out, with the tensor data produced chunk by chunk by
 * a callback, so a multi-GB file (a `halo synth` random-weight twin) never has
 * to be held in memory. Tests use it to make files for the reader.
 *
 * The layout matches llama.cpp's own writers (ggml/src/gguf.cpp and
 * gguf-py): header, key/values in the order added, tensor infos in the order
 * added, zero padding to the alignment, then each tensor's data at its offset
 * followed by zero padding to the alignment. Offsets are relative to the
 * data section and each is the previous one plus the previous size rounded up
 * to the alignment, which is what llama.cpp checks when it loads a file.
 *
 * Ownership: halo_gguf_writer_new() returns a writer owned by the caller and
 * freed with halo_gguf_writer_free(). Every setter copies what it is given
 * (keys, names, strings, arrays), so the caller's buffers may be freed or
 * reused as soon as the call returns. Nothing is written until
 * halo_gguf_writer_write_*(); a writer can be written any number of times.
 *
 * Errors follow error.h: 0 or a negative halo_error_code with a message.
 * A caller's mistake (duplicate key or tensor name, invalid value or ggml
 * type, bad dimensions, sizes that overflow) is HALO_EUSAGE and leaves the
 * writer as it was; allocation failure is HALO_ENOMEM; a failed write is
 * HALO_EIO; an error returned by the fill callback is passed on.
 */
#ifndef HALO_GGUF_WRITE_H
#define HALO_GGUF_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "gguf.h"

typedef struct halo_gguf_writer halo_gguf_writer;

/* GGUF_DEFAULT_ALIGNMENT of llama.cpp, used while general.alignment is unset. */
#define HALO_GGUF_WRITER_DEFAULT_ALIGNMENT 32u
/* GGML_MAX_NAME of llama.cpp: tensor names must be shorter than this. */
#define HALO_GGUF_WRITER_MAX_NAME 64u

/* version is the GGUF version written in the header: 2 or 3. */
int halo_gguf_writer_new(halo_gguf_writer **out, uint32_t version);
void halo_gguf_writer_free(halo_gguf_writer *w);

/*
 * Scalar key/values. Keys are non-empty and unique; adding a key twice is
 * HALO_EUSAGE. Key/values are written in the order they are added.
 * "general.alignment" may only be added as u32 and must be a power of two;
 * it then sets the alignment like halo_gguf_writer_set_alignment().
 */
int halo_gguf_writer_add_u8(halo_gguf_writer *w, const char *key, uint8_t v);
int halo_gguf_writer_add_i8(halo_gguf_writer *w, const char *key, int8_t v);
int halo_gguf_writer_add_u16(halo_gguf_writer *w, const char *key, uint16_t v);
int halo_gguf_writer_add_i16(halo_gguf_writer *w, const char *key, int16_t v);
int halo_gguf_writer_add_u32(halo_gguf_writer *w, const char *key, uint32_t v);
int halo_gguf_writer_add_i32(halo_gguf_writer *w, const char *key, int32_t v);
int halo_gguf_writer_add_f32(halo_gguf_writer *w, const char *key, float v);
int halo_gguf_writer_add_bool(halo_gguf_writer *w, const char *key, bool v);
int halo_gguf_writer_add_u64(halo_gguf_writer *w, const char *key, uint64_t v);
int halo_gguf_writer_add_i64(halo_gguf_writer *w, const char *key, int64_t v);
int halo_gguf_writer_add_f64(halo_gguf_writer *w, const char *key, double v);
/* A NUL-terminated string, or `len` bytes that may contain NULs. */
int halo_gguf_writer_add_str(halo_gguf_writer *w, const char *key, const char *s);
int halo_gguf_writer_add_strn(halo_gguf_writer *w, const char *key, const char *s, size_t len);

/*
 * An array of n scalars of `elem_type` (any halo_gguf_type but STRING and
 * ARRAY). `data` points to n packed host values of the matching C type:
 * uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool,
 * uint64_t, int64_t, double. n may be 0 (then data may be NULL).
 */
int halo_gguf_writer_add_array(halo_gguf_writer *w, const char *key, uint32_t elem_type,
			       const void *data, uint64_t n);
/* An array of n NUL-terminated strings. */
int halo_gguf_writer_add_str_array(halo_gguf_writer *w, const char *key, const char *const *strs,
				   uint64_t n);

/*
 * Any value in the reader's representation (gguf.h), deep-copied: scalars,
 * strings (halo_gguf_str: len bytes at ptr), arrays of scalars (arr.values),
 * of strings (arr.strs) and arrays of arrays to any depth (arr.values whose
 * elements are ARRAY values). Integer values must fit their type. This also
 * copies a key/value straight out of a file opened with halo_gguf_open(),
 * except scalar arrays the reader left undecoded (arr.values NULL with
 * arr.n > 0), which are HALO_EUSAGE.
 */
int halo_gguf_writer_add_value(halo_gguf_writer *w, const char *key, const halo_gguf_value *v);

/*
 * Sets the alignment of the data section and of every tensor offset (a power
 * of two), recomputing the offsets of tensors already added, and writes it as
 * the u32 key "general.alignment" (added now, or updated where it already is).
 */
int halo_gguf_writer_set_alignment(halo_gguf_writer *w, uint32_t alignment);

/*
 * Adds a tensor info: `name` shorter than HALO_GGUF_WRITER_MAX_NAME bytes and
 * unique, 1 <= n_dims <= 4, ne[0..n_dims) the dimensions (innermost first,
 * each <= INT64_MAX, ne[0] a multiple of the type's block size), `type` a
 * halo_ggml_type. Its size comes from halo_ggml_row_size() and its offset
 * follows the previous tensor's padded end. On success *index (when not NULL)
 * is the tensor's index, the one the fill callback receives.
 */
int halo_gguf_writer_add_tensor(halo_gguf_writer *w, const char *name, uint32_t n_dims,
				const uint64_t *ne, uint32_t type, uint64_t *index);

uint64_t halo_gguf_writer_n_kv(const halo_gguf_writer *w);
uint64_t halo_gguf_writer_n_tensors(const halo_gguf_writer *w);
uint32_t halo_gguf_writer_alignment(const halo_gguf_writer *w);
/* Offset (relative to the data section) and size in bytes of tensor i. */
int halo_gguf_writer_tensor(const halo_gguf_writer *w, uint64_t i, uint64_t *offset, uint64_t *size);
/*
 * Where the data section starts (the header's size, padded) and the size of
 * the whole file, as halo_gguf_writer_write_*() would write it now.
 */
int halo_gguf_writer_layout(const halo_gguf_writer *w, uint64_t *data_offset, uint64_t *file_size);

/*
 * Produces bytes [offset, offset + len) of tensor `tensor`'s data into buf.
 * Called in order, tensor by tensor, chunk by chunk, never with len 0.
 * Returns 0, or a negative halo_error_code (recorded with halo_error_set),
 * which aborts the write and is returned by it.
 */
typedef int (*halo_gguf_fill_fn)(void *userdata, uint64_t tensor, uint64_t offset, void *buf, size_t len);

typedef struct halo_gguf_write_opts {
	unsigned version;           /* HALO_GGUF_WRITE_OPTS_VERSION */
	halo_gguf_fill_fn fill;     /* NULL: tensor data is zeros */
	void *userdata;             /* passed to fill */
	size_t chunk_size;          /* most bytes per fill call; 0 = 1 MiB */
	/*
	 * Write every header integer, length, type id and scalar value
	 * big-endian, as gguf-py does with endianess=BIG (the magic stays
	 * "GGUF"). Tensor data is written as fill produces it, unswapped.
	 */
	bool big_endian;
	bool header_only;           /* stop after the padded header, as llama.cpp's only_meta */
} halo_gguf_write_opts;

#define HALO_GGUF_WRITE_OPTS_VERSION 1
#define HALO_GGUF_WRITE_OPTS_INIT { HALO_GGUF_WRITE_OPTS_VERSION, NULL, NULL, 0, false, false }

/*
 * Writes the file. opts may be NULL for the defaults.
 * _path writes a temporary file next to `path` and renames it into place on
 * success, so a failed or interrupted write never leaves a partial file under
 * the final name. _file writes at the stream's current position and leaves
 * it open. _buf appends to `out` (bounded by its cap: HALO_ENOMEM past it).
 */
int halo_gguf_writer_write_path(const halo_gguf_writer *w, const char *path,
				const halo_gguf_write_opts *opts);
int halo_gguf_writer_write_file(const halo_gguf_writer *w, FILE *f, const halo_gguf_write_opts *opts);
int halo_gguf_writer_write_buf(const halo_gguf_writer *w, halo_buf *out, const halo_gguf_write_opts *opts);

#endif
