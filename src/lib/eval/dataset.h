/*
 * Pinned evaluation datasets (HumanEval+, MBPP+, IFEval, BFCL v4): a registry
 * with upstream URLs and SHA-256 hashes, hash verification, a streaming JSON
 * Lines reader (plain or gzip) and per-dataset record parsers.
 *
 * Every byte of these files is untrusted: lines are capped, errors name
 * "file:line", and nothing here prints or exits (error.h).
 *
 * HumanEval+/MBPP+ inputs hold integers >= 2^63 and bare Infinity tokens that
 * jansson rejects or rounds, so base_input, plus_input and atol are kept as
 * their raw JSON text, byte for byte, for the Python harness to evaluate.
 */
#ifndef HALO_EVAL_DATASET_H
#define HALO_EVAL_DATASET_H

#include <stddef.h>
#include <stdint.h>

typedef enum halo_dataset_kind {
	HALO_DATASET_HUMANEVAL = 0, /* HumanEval+ task */
	HALO_DATASET_MBPP,          /* MBPP+ task */
	HALO_DATASET_IFEVAL,        /* IFEval prompt */
	HALO_DATASET_BFCL,          /* BFCL v4 question */
	HALO_DATASET_BFCL_ANSWER,   /* BFCL v4 possible_answer */
	HALO_DATASET_N_KINDS
} halo_dataset_kind;

/* "humaneval", "mbpp", "ifeval", "bfcl", "bfcl-answer" */
const char *halo_dataset_kind_name(halo_dataset_kind kind);

/* One pinned file. Static storage owned by the library. */
typedef struct halo_dataset_file {
	const char *name;   /* stable id: "humaneval-plus", "bfcl/simple_python", "bfcl-answer/simple_python" */
	const char *path;   /* relative to the datasets folder, as in shared/datasets/SHA256SUMS */
	const char *url;    /* upstream download URL (best known; the hash is what pins it) */
	const char *sha256; /* 64 lowercase hex digits */
	halo_dataset_kind kind;
} halo_dataset_file;

/* The whole registry; *n receives its length. */
const halo_dataset_file *halo_dataset_files(size_t *n);
/* Looks up by name or by relative path; NULL if not pinned. */
const halo_dataset_file *halo_dataset_find(const char *name_or_path);

/* SHA-256 of a buffer as 64 lowercase hex digits plus NUL. */
int halo_sha256_hex(const void *data, size_t len, char hex[65]);
/* SHA-256 of a file as 64 lowercase hex digits plus NUL. */
int halo_sha256_file(const char *path, char hex[65]);
/*
 * Checks that the file at `path` hashes to f->sha256. On a mismatch returns
 * HALO_EFORMAT with "'path': sha256 mismatch for NAME: expected X, got Y".
 */
int halo_dataset_verify(const halo_dataset_file *f, const char *path);

/*
 * One record. Every string is owned by the record (malloc'd, NUL-terminated)
 * and released by halo_dataset_record_free(); fields a kind lacks are NULL.
 */
typedef struct halo_dataset_record {
	halo_dataset_kind kind;
	char *id; /* task_id (humaneval/mbpp), key in decimal (ifeval), id (bfcl) */
	char *prompt;             /* humaneval, mbpp, ifeval */
	/* humaneval, mbpp */
	char *entry_point;
	char *canonical_solution;
	char *base_input_raw;     /* raw JSON text of base_input, verbatim */
	char *plus_input_raw;     /* raw JSON text of plus_input, verbatim */
	char *atol_raw;           /* raw JSON text of atol, verbatim */
	char *assertion;          /* mbpp only */
	/* ifeval: n_instructions ids, each with its kwargs object as compact JSON
	 * (re-serialized by jansson: IFEval kwargs hold only small numbers) */
	size_t n_instructions;
	char **instruction_ids;
	char **kwargs_json;
	/* bfcl: raw JSON text, verbatim */
	char *question_json;
	char *function_json;
	/* bfcl-answer: raw JSON text, verbatim */
	char *ground_truth_json;
} halo_dataset_record;

/* Frees every field and zeroes the record; safe on a zeroed record. */
void halo_dataset_record_free(halo_dataset_record *r);

/*
 * Parses one JSON Lines record of `kind` from line[0..len) (no NUL needed).
 * On success fills *out (caller frees with halo_dataset_record_free). On
 * failure *out is left zeroed and the error names the field or column but
 * not the file (halo_dataset_load adds "file:line: ").
 */
int halo_dataset_parse_line(halo_dataset_kind kind, const char *line, size_t len,
			    halo_dataset_record *out);

/*
 * Raw-field scanner: finds the top-level members `keys[0..n)` of the JSON
 * object in s[0..len) without parsing numbers, and stores the byte span of
 * each value (offset, length; length 0 = absent). String-aware, checks bracket
 * nesting (at most HALO_JSON_MAX_DEPTH deep), no recursion. Keys are compared
 * as raw bytes between the quotes. A key present twice is an error.
 */
#define HALO_JSON_MAX_DEPTH 256
typedef struct halo_json_span {
	size_t off, len;
} halo_json_span;
int halo_json_scan_fields(const char *s, size_t len, const char *const *keys, size_t n,
			  halo_json_span *spans);

/* Streaming JSON Lines reader; gzip is detected and inflated transparently. */
typedef struct halo_jsonl halo_jsonl;
#define HALO_JSONL_DEFAULT_LINE_CAP ((size_t)64 << 20)
/* Opens `path`; line_cap 0 means HALO_JSONL_DEFAULT_LINE_CAP. */
int halo_jsonl_open(halo_jsonl **out, const char *path, size_t line_cap);
/*
 * Next non-blank line (without its newline): returns 1 and sets *line and *len
 * (valid until the next call; NUL-terminated), 0 at the end, or a negative
 * code with "file:line: ..." for an over-long line or a read/gzip error.
 */
int halo_jsonl_next(halo_jsonl *r, const char **line, size_t *len);
size_t halo_jsonl_lineno(const halo_jsonl *r); /* 1-based number of the last line read */
void halo_jsonl_close(halo_jsonl *r);         /* NULL is fine */

typedef struct halo_dataset_opts {
	int version;     /* HALO_DATASET_OPTS_VERSION */
	size_t line_cap; /* longest line accepted; 0 = HALO_JSONL_DEFAULT_LINE_CAP */
} halo_dataset_opts;
#define HALO_DATASET_OPTS_VERSION 1
#define HALO_DATASET_OPTS_INIT { HALO_DATASET_OPTS_VERSION, 0 }

/*
 * Called once per record; the record is owned by the loader and freed after
 * the call returns (copy what you keep). A nonzero return stops the load and
 * is returned by halo_dataset_load (return a negative halo_error_code after
 * halo_error_set, or a positive value to stop early without an error).
 */
typedef int (*halo_dataset_record_fn)(const halo_dataset_record *r, void *ud);

/*
 * Streams every record of `path` (of `kind`) to fn. opts may be NULL.
 * *n_records (may be NULL) receives how many records were delivered.
 */
int halo_dataset_load(const char *path, halo_dataset_kind kind, const halo_dataset_opts *opts,
		      halo_dataset_record_fn fn, void *ud, size_t *n_records);

/*
 * Where pinned files come from. With data_dir set, files are read from that
 * local copy (laid out as shared/datasets) and never downloaded. Otherwise
 * they live in cache_dir (NULL = ~/.cache/halo/datasets) and are fetched from
 * their upstream URL on first use. Either way every file is verified against
 * its pinned SHA-256 before use: a wrong hash is an error, never used.
 */
typedef struct halo_dataset_source {
	int version;           /* HALO_DATASET_SOURCE_VERSION */
	const char *data_dir;
	const char *cache_dir;
	int offline;           /* 1: never download (a missing file is HALO_ENOTFOUND) */
	const char *mirror;    /* base URL used instead of upstream: "<mirror>/<path>" */
} halo_dataset_source;
#define HALO_DATASET_SOURCE_VERSION 1
#define HALO_DATASET_SOURCE_INIT { HALO_DATASET_SOURCE_VERSION, NULL, NULL, 0, NULL }

/* Largest dataset file halo downloads. */
#define HALO_DATASET_MAX_DOWNLOAD ((uint64_t)512 << 20)

/*
 * Makes the verified file `f` available and writes its path into path[0..n).
 * Downloads go to "<file>.part" and are renamed only once the hash matches.
 */
int halo_dataset_resolve(const halo_dataset_file *f, const halo_dataset_source *src, char *path, size_t n);

#endif
