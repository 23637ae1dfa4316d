/*
 * Internal to the benchmark adapters (bench_*.c): a dataset file held as its
 * raw JSON Lines, with each record's id, so tasks can be parsed again when
 * needed rather than deep-copied (records are a few KB; parsing is cheap next
 * to a model's answer). Not part of the public API.
 */
#ifndef HALO_EVAL_BENCH_COMMON_H
#define HALO_EVAL_BENCH_COMMON_H

#include <stddef.h>

#include "eval/benchmark.h"
#include "eval/dataset.h"

typedef struct bench_lines {
	char **lines;
	size_t *lens;
	char **ids;
	size_t n, cap;
} bench_lines;

/*
 * Resolves the pinned file `name` through env->datasets (download, verify),
 * then appends its records of `kind` (ids parsed once, lines kept). sha_out
 * (65 bytes, may be NULL) receives the file's pinned SHA-256.
 */
int bench_lines_load(bench_lines *bl, const halo_eval_env *env, const char *name, halo_dataset_kind kind,
		     char sha_out[65]);
/* Parses line i again into *rec (caller frees with halo_dataset_record_free). */
int bench_lines_record(const bench_lines *bl, size_t i, halo_dataset_kind kind, halo_dataset_record *rec);
/* Index of the record with this id, or -1. Linear: a few thousand records. */
long bench_lines_find(const bench_lines *bl, const char *id);
void bench_lines_free(bench_lines *bl);

/* A JSON object text built with jansson's pack format, malloc'd (NULL on failure). */
char *bench_json_pack(const char *fmt, ...);

/* The messages array for one user turn: [{"role":"user","content":text}]. */
char *bench_user_messages(const char *text);

#endif
