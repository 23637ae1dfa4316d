/*
 * A parser for the Python-call subset that BFCL prompt-mode models answer in,
 * `[func(a=1, b="x"), mod.g(c=[1, 2])]`, and the Python value model that the
 * BFCL checker compares with Python semantics (1 == 1.0 == True, a tuple is
 * never equal to a list, dicts compare without order).
 *
 * What the reference (gorilla bfcl_eval model_handler/utils.py ast_parse +
 * resolve_ast_by_type, through Python's own `ast`) accepts, and what we do:
 *   constants      ints of any size (int64, else exact decimal text), floats,
 *                  strings in every quote style and prefix r/u (escapes decoded
 *                  as Python does; adjacent literals concatenated), True,
 *                  False, None, `...` (becomes the string "...")
 *   unary op       `-c`, `+c`, `~c`, `not c` on a constant all give -c, exactly
 *                  as the reference computes `-operand.value`
 *   containers     lists, tuples, dicts (keys hashed as Python does: 1, 1.0
 *                  and True are one key)
 *   a bare name    becomes its identifier as a string (`x` -> "x")
 *   a nested call  with keywords becomes {name: {kw: value}}; without keywords
 *                  its unparsed text, e.g. "foo(1, 'a')"
 *   arithmetic     + - * / // % ** on numbers, evaluated with Python's rules
 *                  (the reference eval()s them); ints stay within 64 bits
 *   complex        `1j` is kept as an opaque value (HALO_PY_OTHER)
 *   positional     arguments of a call with keywords are ignored, whatever
 *                  they are, as in the reference
 * and errors (never a crash) on everything else the reference also rejects
 * (sets, attributes, f-strings, lambdas, `**kw`) or that we do not evaluate:
 * subscripts, bytes literals, string arithmetic, \N{...} escapes
 * (docs/bfcl.md lists these deviations).
 *
 * Ownership: every halo_pyval and halo_pycall_list returned here is owned by
 * the caller and released with halo_pyval_free() / halo_pycall_list_free().
 * Nothing here keeps global state, so every function is thread-safe.
 */
#ifndef HALO_EVAL_PYCALL_H
#define HALO_EVAL_PYCALL_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>

typedef enum halo_pyval_kind {
	HALO_PY_NONE = 0,
	HALO_PY_BOOL,   /* i is 0 or 1 */
	HALO_PY_INT,    /* i */
	HALO_PY_BIGINT, /* an int outside int64: s is its decimal text ("-123...") */
	HALO_PY_FLOAT,  /* f */
	HALO_PY_STR,    /* s[0..len) UTF-8, NUL-terminated, may hold NUL bytes */
	HALO_PY_LIST,   /* items[0..n) */
	HALO_PY_TUPLE,  /* items[0..n) */
	HALO_PY_DICT,   /* n pairs: key items[2k], value items[2k+1]; keys unique, in insertion order */
	HALO_PY_OTHER,  /* a value the checker never accepts (a complex number): s is its repr */
} halo_pyval_kind;

typedef struct halo_pyval {
	halo_pyval_kind kind;
	int64_t i;
	double f;
	char *s;
	size_t len;
	size_t n;
	struct halo_pyval **items;
} halo_pyval;

/* One call: name ("a.b.c") and its keyword arguments in source order. */
typedef struct halo_pycall {
	char *name;
	size_t n_args;
	char **arg_names;
	halo_pyval **arg_values;
} halo_pycall;

typedef struct halo_pycall_list {
	size_t n;
	halo_pycall *calls;
} halo_pycall_list;

/* Caps for untrusted text: input bytes, nesting depth and values created. */
typedef struct halo_pycall_opts {
	int version;      /* HALO_PYCALL_OPTS_VERSION */
	size_t max_len;   /* 0 = HALO_PYCALL_DEFAULT_MAX_LEN */
	unsigned max_depth; /* 0 = HALO_PYCALL_DEFAULT_MAX_DEPTH */
	size_t max_nodes; /* 0 = HALO_PYCALL_DEFAULT_MAX_NODES */
} halo_pycall_opts;
#define HALO_PYCALL_OPTS_VERSION 1
#define HALO_PYCALL_OPTS_INIT { HALO_PYCALL_OPTS_VERSION, 0, 0, 0 }
#define HALO_PYCALL_DEFAULT_MAX_LEN ((size_t)4 << 20)
#define HALO_PYCALL_DEFAULT_MAX_DEPTH 100 /* CPython's parser stops near 200 */
#define HALO_PYCALL_DEFAULT_MAX_NODES ((size_t)1 << 20)

/*
 * Parses text[0..len) as the reference's ast_parse(language=PYTHON): the text
 * is stripped of whitespace and then of single quotes at both ends; the
 * expression must be one call or a list/tuple whose elements are all calls.
 * Returns 0 and *out (an empty list for `[]`), or HALO_EFORMAT with
 * "column N: ..." (or HALO_ENOMEM when a cap is hit). opts may be NULL.
 */
int halo_pycall_parse(const char *text, size_t len, const halo_pycall_opts *opts,
		      halo_pycall_list **out);

/* Parses one value expression (the same subset). */
int halo_pyval_parse(const char *text, size_t len, const halo_pycall_opts *opts, halo_pyval **out);

void halo_pycall_list_free(halo_pycall_list *l); /* NULL is fine */
void halo_pyval_free(halo_pyval *v);             /* NULL is fine */

/* Constructors (NULL on allocation failure, with the error set). */
halo_pyval *halo_pyval_new(halo_pyval_kind kind);
halo_pyval *halo_pyval_str(const char *s, size_t len);
halo_pyval *halo_pyval_int(int64_t i);
halo_pyval *halo_pyval_float(double f);
halo_pyval *halo_pyval_copy(const halo_pyval *v);
/* Appends to a LIST/TUPLE (takes item); returns 0 or HALO_ENOMEM (item freed). */
int halo_pyval_append(halo_pyval *seq, halo_pyval *item);
/* Sets key -> value in a DICT with Python key equality (takes both; an equal
 * key keeps its first spelling and gets the new value). HALO_EFORMAT for an
 * unhashable key (list, dict). */
int halo_pyval_dict_set(halo_pyval *dict, halo_pyval *key, halo_pyval *value);
/* The value of key in dict (Python key equality), or NULL. */
const halo_pyval *halo_pyval_dict_get(const halo_pyval *dict, const halo_pyval *key);
const halo_pyval *halo_pyval_dict_gets(const halo_pyval *dict, const char *key);

/* Python `a == b`. */
int halo_pyval_eq(const halo_pyval *a, const halo_pyval *b);
/* Python `x in seq` for a LIST/TUPLE (0 for any other kind). */
int halo_pyval_in(const halo_pyval *x, const halo_pyval *seq);
/* Python len() of a str (code points), list, tuple or dict; 0 otherwise. */
size_t halo_pyval_pylen(const halo_pyval *v);
/* Python's type name: "NoneType", "bool", "int", "float", "str", ... */
const char *halo_pyval_type_name(const halo_pyval *v);

/* Appends Python's repr(v) (float repr is the shortest round-trip form). */
int halo_pyval_repr(const halo_pyval *v, halo_buf *out);
/* Appends Python's repr of a double: "1.0", "0.1", "1e-05", "inf". */
int halo_py_float_repr(double f, halo_buf *out);

/*
 * JSON <-> Python values (jansson json_t). From JSON: object -> dict, array ->
 * list, integer -> int, real -> float. To JSON: tuples become arrays; fails
 * with HALO_EFORMAT for big ints and dicts with non-string keys.
 */
struct json_t;
int halo_pyval_from_json(const struct json_t *j, halo_pyval **out);
int halo_pyval_to_json(const halo_pyval *v, struct json_t **out);

#endif
