/*
 * The Python-call subset parser and value model (pycall.h). A recursive
 * descent over the raw bytes: depth, input length and node count are capped,
 * so hostile model output can fail but not exhaust the stack or memory.
 */
#include "eval/pycall.h"

#include "error.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- values */

halo_pyval *halo_pyval_new(halo_pyval_kind kind)
{
	halo_pyval *v = calloc(1, sizeof(*v));
	if (!v) {
		halo_error_set(HALO_ENOMEM, "out of memory");
		return NULL;
	}
	v->kind = kind;
	return v;
}

halo_pyval *halo_pyval_str(const char *s, size_t len)
{
	halo_pyval *v = halo_pyval_new(HALO_PY_STR);
	if (!v)
		return NULL;
	v->s = malloc(len + 1);
	if (!v->s) {
		free(v);
		halo_error_set(HALO_ENOMEM, "out of memory");
		return NULL;
	}
	if (len)
		memcpy(v->s, s, len);
	v->s[len] = '\0';
	v->len = len;
	return v;
}

halo_pyval *halo_pyval_int(int64_t i)
{
	halo_pyval *v = halo_pyval_new(HALO_PY_INT);
	if (v)
		v->i = i;
	return v;
}

halo_pyval *halo_pyval_float(double f)
{
	halo_pyval *v = halo_pyval_new(HALO_PY_FLOAT);
	if (v)
		v->f = f;
	return v;
}

void halo_pyval_free(halo_pyval *v)
{
	if (!v)
		return;
	size_t n = v->kind == HALO_PY_DICT ? 2 * v->n : v->n;
	for (size_t k = 0; k < n; k++)
		halo_pyval_free(v->items[k]);
	free(v->items);
	free(v->s);
	free(v);
}

void halo_pycall_list_free(halo_pycall_list *l)
{
	if (!l)
		return;
	for (size_t c = 0; c < l->n; c++) {
		halo_pycall *call = &l->calls[c];
		free(call->name);
		for (size_t a = 0; a < call->n_args; a++) {
			free(call->arg_names[a]);
			halo_pyval_free(call->arg_values[a]);
		}
		free(call->arg_names);
		free(call->arg_values);
	}
	free(l->calls);
	free(l);
}

/* The allocation of items is always slots_for(count): no capacity field. */
static size_t slots_for(size_t count)
{
	size_t cap = 4;
	while (cap < count)
		cap *= 2;
	return cap;
}

static int grow_items(halo_pyval *v, size_t need)
{
	size_t have = v->kind == HALO_PY_DICT ? 2 * v->n : v->n;
	if (v->items && have + need <= slots_for(have))
		return 0;
	if (have + need > ((size_t)1 << 40))
		return halo_error_set(HALO_ENOMEM, "container too large");
	size_t cap = slots_for(have + need);
	halo_pyval **p = realloc(v->items, cap * sizeof(*p));
	if (!p)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	v->items = p;
	return 0;
}

int halo_pyval_append(halo_pyval *seq, halo_pyval *item)
{
	if (grow_items(seq, 1) != 0) {
		halo_pyval_free(item);
		return HALO_ENOMEM;
	}
	seq->items[seq->n++] = item;
	return 0;
}

static int is_hashable(const halo_pyval *v)
{
	if (v->kind == HALO_PY_LIST || v->kind == HALO_PY_DICT)
		return 0;
	if (v->kind == HALO_PY_TUPLE)
		for (size_t k = 0; k < v->n; k++)
			if (!is_hashable(v->items[k]))
				return 0;
	return 1;
}

int halo_pyval_dict_set(halo_pyval *dict, halo_pyval *key, halo_pyval *value)
{
	if (!is_hashable(key)) {
		int rc = halo_error_set(HALO_EFORMAT, "unhashable dict key of type %s",
					halo_pyval_type_name(key));
		halo_pyval_free(key);
		halo_pyval_free(value);
		return rc;
	}
	for (size_t k = 0; k < dict->n; k++) {
		if (halo_pyval_eq(dict->items[2 * k], key)) {
			halo_pyval_free(dict->items[2 * k + 1]);
			dict->items[2 * k + 1] = value;
			halo_pyval_free(key);
			return 0;
		}
	}
	if (grow_items(dict, 2) != 0) {
		halo_pyval_free(key);
		halo_pyval_free(value);
		return HALO_ENOMEM;
	}
	dict->items[2 * dict->n] = key;
	dict->items[2 * dict->n + 1] = value;
	dict->n++;
	return 0;
}

const halo_pyval *halo_pyval_dict_get(const halo_pyval *dict, const halo_pyval *key)
{
	if (!dict || dict->kind != HALO_PY_DICT)
		return NULL;
	for (size_t k = 0; k < dict->n; k++)
		if (halo_pyval_eq(dict->items[2 * k], key))
			return dict->items[2 * k + 1];
	return NULL;
}

const halo_pyval *halo_pyval_dict_gets(const halo_pyval *dict, const char *key)
{
	if (!dict || dict->kind != HALO_PY_DICT)
		return NULL;
	size_t len = strlen(key);
	for (size_t k = 0; k < dict->n; k++) {
		const halo_pyval *kv = dict->items[2 * k];
		if (kv->kind == HALO_PY_STR && kv->len == len && memcmp(kv->s, key, len) == 0)
			return dict->items[2 * k + 1];
	}
	return NULL;
}

halo_pyval *halo_pyval_copy(const halo_pyval *v)
{
	halo_pyval *c = halo_pyval_new(v->kind);
	if (!c)
		return NULL;
	c->i = v->i;
	c->f = v->f;
	if (v->s) {
		c->s = malloc(v->len + 1);
		if (!c->s)
			goto oom;
		memcpy(c->s, v->s, v->len + 1);
		c->len = v->len;
	}
	size_t n = v->kind == HALO_PY_DICT ? 2 * v->n : v->n;
	if (n) {
		c->items = calloc(n, sizeof(*c->items));
		if (!c->items)
			goto oom;
		for (size_t k = 0; k < n; k++) {
			c->items[k] = halo_pyval_copy(v->items[k]);
			if (!c->items[k]) {
				c->n = v->kind == HALO_PY_DICT ? (k + 1) / 2 : k;
				/* free the partial copy: null slots are skipped by free */
				for (size_t j = 0; j < k; j++)
					halo_pyval_free(c->items[j]);
				free(c->items);
				c->items = NULL;
				c->n = 0;
				halo_pyval_free(c);
				return NULL;
			}
		}
		c->n = v->n;
	}
	return c;
oom:
	halo_pyval_free(c);
	halo_error_set(HALO_ENOMEM, "out of memory");
	return NULL;
}

const char *halo_pyval_type_name(const halo_pyval *v)
{
	switch (v->kind) {
	case HALO_PY_NONE: return "NoneType";
	case HALO_PY_BOOL: return "bool";
	case HALO_PY_INT:
	case HALO_PY_BIGINT: return "int";
	case HALO_PY_FLOAT: return "float";
	case HALO_PY_STR: return "str";
	case HALO_PY_LIST: return "list";
	case HALO_PY_TUPLE: return "tuple";
	case HALO_PY_DICT: return "dict";
	case HALO_PY_OTHER: return "complex";
	}
	return "object";
}

size_t halo_pyval_pylen(const halo_pyval *v)
{
	switch (v->kind) {
	case HALO_PY_STR: {
		size_t n = 0;
		for (size_t k = 0; k < v->len; k++)
			if (((unsigned char)v->s[k] & 0xC0) != 0x80)
				n++;
		return n;
	}
	case HALO_PY_LIST:
	case HALO_PY_TUPLE:
	case HALO_PY_DICT: return v->n;
	default: return 0;
	}
}

static int is_number(const halo_pyval *v)
{
	return v->kind == HALO_PY_BOOL || v->kind == HALO_PY_INT || v->kind == HALO_PY_BIGINT ||
	       v->kind == HALO_PY_FLOAT;
}

/* Exact int == float, as Python compares them (no rounding of the int). */
static int int_eq_float(int64_t i, double f)
{
	if (!isfinite(f) || f != trunc(f) || f < -9223372036854775808.0 || f >= 9223372036854775808.0)
		return 0;
	return (int64_t)f == i;
}

static int bigint_eq_float(const char *s, double f)
{
	char tmp[400];
	if (!isfinite(f) || f != trunc(f))
		return 0;
	snprintf(tmp, sizeof(tmp), "%.0f", f); /* exact for an integral double */
	return strcmp(tmp, s) == 0;
}

static int num_eq(const halo_pyval *a, const halo_pyval *b)
{
	if (a->kind == HALO_PY_FLOAT && b->kind == HALO_PY_FLOAT)
		return a->f == b->f;
	if (a->kind == HALO_PY_BIGINT || b->kind == HALO_PY_BIGINT) {
		if (a->kind == HALO_PY_BIGINT && b->kind == HALO_PY_BIGINT)
			return strcmp(a->s, b->s) == 0;
		const halo_pyval *big = a->kind == HALO_PY_BIGINT ? a : b;
		const halo_pyval *o = big == a ? b : a;
		return o->kind == HALO_PY_FLOAT && bigint_eq_float(big->s, o->f);
	}
	if (a->kind == HALO_PY_FLOAT)
		return int_eq_float(b->i, a->f);
	if (b->kind == HALO_PY_FLOAT)
		return int_eq_float(a->i, b->f);
	return a->i == b->i;
}

int halo_pyval_eq(const halo_pyval *a, const halo_pyval *b)
{
	if (a == b)
		return 1;
	if (is_number(a) && is_number(b))
		return num_eq(a, b);
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case HALO_PY_NONE: return 1;
	case HALO_PY_OTHER:
	case HALO_PY_STR: return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
	case HALO_PY_LIST:
	case HALO_PY_TUPLE:
		if (a->n != b->n)
			return 0;
		for (size_t k = 0; k < a->n; k++)
			if (!halo_pyval_eq(a->items[k], b->items[k]))
				return 0;
		return 1;
	case HALO_PY_DICT:
		if (a->n != b->n)
			return 0;
		for (size_t k = 0; k < a->n; k++) {
			const halo_pyval *bv = halo_pyval_dict_get(b, a->items[2 * k]);
			if (!bv || !halo_pyval_eq(a->items[2 * k + 1], bv))
				return 0;
		}
		return 1;
	default: return 0;
	}
}

int halo_pyval_in(const halo_pyval *x, const halo_pyval *seq)
{
	if (seq->kind != HALO_PY_LIST && seq->kind != HALO_PY_TUPLE)
		return 0;
	for (size_t k = 0; k < seq->n; k++)
		if (halo_pyval_eq(x, seq->items[k]))
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ repr */

int halo_py_float_repr(double f, halo_buf *out)
{
	char tmp[64];
	if (isnan(f))
		return halo_buf_adds(out, "nan");
	if (isinf(f))
		return halo_buf_adds(out, f < 0 ? "-inf" : "inf");
	/* shortest round-trip digits, then Python's layout ('r' format) */
	int prec;
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, f);
		if (strtod(tmp, NULL) == f)
			break;
	}
	/* tmp = [-]d.ddde[+-]XX : split digits and exponent */
	char digits[32];
	size_t nd = 0;
	int neg = tmp[0] == '-';
	const char *p = tmp + neg;
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	digits[nd] = '\0';
	int exp = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	halo_buf b = HALO_BUF_INIT;
	int rc = 0;
	if (neg)
		rc |= halo_buf_adds(&b, "-");
	if (exp < -4 || exp >= 16) {
		rc |= halo_buf_add(&b, digits, 1);
		if (nd > 1) {
			rc |= halo_buf_adds(&b, ".");
			rc |= halo_buf_add(&b, digits + 1, nd - 1);
		}
		rc |= halo_buf_addf(&b, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	} else if (exp < 0) {
		rc |= halo_buf_adds(&b, "0.");
		for (int k = 0; k < -exp - 1; k++)
			rc |= halo_buf_adds(&b, "0");
		rc |= halo_buf_add(&b, digits, nd);
	} else {
		size_t intlen = (size_t)exp + 1;
		for (size_t k = 0; k < intlen; k++)
			rc |= halo_buf_add(&b, k < nd ? &digits[k] : "0", 1);
		rc |= halo_buf_adds(&b, ".");
		if (nd > intlen)
			rc |= halo_buf_add(&b, digits + intlen, nd - intlen);
		else
			rc |= halo_buf_adds(&b, "0");
	}
	if (rc == 0)
		rc = halo_buf_add(out, b.ptr, b.len);
	halo_buf_free(&b);
	return rc ? HALO_ENOMEM : 0;
}

static int repr_str(const char *s, size_t len, halo_buf *out)
{
	int has_sq = memchr(s, '\'', len) != NULL, has_dq = memchr(s, '"', len) != NULL;
	char q = has_sq && !has_dq ? '"' : '\'';
	int rc = halo_buf_add(out, &q, 1);
	for (size_t k = 0; k < len && rc == 0; k++) {
		unsigned char c = (unsigned char)s[k];
		if (c == '\\')
			rc = halo_buf_adds(out, "\\\\");
		else if (c == (unsigned char)q)
			rc = halo_buf_addf(out, "\\%c", q);
		else if (c == '\n')
			rc = halo_buf_adds(out, "\\n");
		else if (c == '\r')
			rc = halo_buf_adds(out, "\\r");
		else if (c == '\t')
			rc = halo_buf_adds(out, "\\t");
		else if (c < 0x20 || c == 0x7f)
			rc = halo_buf_addf(out, "\\x%02x", c);
		else if (c == 0xC2 && k + 1 < len && (unsigned char)s[k + 1] >= 0x80 && (unsigned char)s[k + 1] <= 0xA0) {
			/* C1 controls and U+00A0 are not printable to Python */
			rc = halo_buf_addf(out, "\\x%02x", (unsigned char)s[k + 1]);
			k++;
		}
		else
			rc = halo_buf_add(out, &s[k], 1);
	}
	return rc ? rc : halo_buf_add(out, &q, 1);
}

int halo_pyval_repr(const halo_pyval *v, halo_buf *out)
{
	int rc = 0;
	switch (v->kind) {
	case HALO_PY_NONE: return halo_buf_adds(out, "None");
	case HALO_PY_BOOL: return halo_buf_adds(out, v->i ? "True" : "False");
	case HALO_PY_INT: return halo_buf_addf(out, "%lld", (long long)v->i);
	case HALO_PY_BIGINT:
	case HALO_PY_OTHER: return halo_buf_adds(out, v->s);
	case HALO_PY_FLOAT: return halo_py_float_repr(v->f, out);
	case HALO_PY_STR: return repr_str(v->s, v->len, out);
	case HALO_PY_LIST:
	case HALO_PY_TUPLE:
		rc = halo_buf_adds(out, v->kind == HALO_PY_LIST ? "[" : "(");
		for (size_t k = 0; k < v->n && rc == 0; k++) {
			if (k)
				rc = halo_buf_adds(out, ", ");
			if (rc == 0)
				rc = halo_pyval_repr(v->items[k], out);
		}
		if (rc == 0 && v->kind == HALO_PY_TUPLE && v->n == 1)
			rc = halo_buf_adds(out, ",");
		return rc ? rc : halo_buf_adds(out, v->kind == HALO_PY_LIST ? "]" : ")");
	case HALO_PY_DICT:
		rc = halo_buf_adds(out, "{");
		for (size_t k = 0; k < v->n && rc == 0; k++) {
			if (k)
				rc = halo_buf_adds(out, ", ");
			if (rc == 0)
				rc = halo_pyval_repr(v->items[2 * k], out);
			if (rc == 0)
				rc = halo_buf_adds(out, ": ");
			if (rc == 0)
				rc = halo_pyval_repr(v->items[2 * k + 1], out);
		}
		return rc ? rc : halo_buf_adds(out, "}");
	}
	return 0;
}

/* ------------------------------------------------------------------ JSON */

int halo_pyval_from_json(const json_t *j, halo_pyval **out)
{
	halo_pyval *v = NULL;
	*out = NULL;
	switch (json_typeof(j)) {
	case JSON_NULL: v = halo_pyval_new(HALO_PY_NONE); break;
	case JSON_TRUE:
	case JSON_FALSE:
		v = halo_pyval_new(HALO_PY_BOOL);
		if (v)
			v->i = json_is_true(j);
		break;
	case JSON_INTEGER: v = halo_pyval_int((int64_t)json_integer_value(j)); break;
	case JSON_REAL: v = halo_pyval_float(json_real_value(j)); break;
	case JSON_STRING: v = halo_pyval_str(json_string_value(j), json_string_length(j)); break;
	case JSON_ARRAY: {
		v = halo_pyval_new(HALO_PY_LIST);
		if (!v)
			break;
		size_t k;
		json_t *e;
		json_array_foreach(j, k, e) {
			halo_pyval *c;
			int rc = halo_pyval_from_json(e, &c);
			if (rc == 0)
				rc = halo_pyval_append(v, c);
			if (rc != 0) {
				halo_pyval_free(v);
				return rc;
			}
		}
		break;
	}
	case JSON_OBJECT: {
		v = halo_pyval_new(HALO_PY_DICT);
		if (!v)
			break;
		const char *key;
		size_t klen;
		json_t *e;
		void *tmp;
		json_object_keylen_foreach_safe((json_t *)j, tmp, key, klen, e) {
			halo_pyval *kv = halo_pyval_str(key, klen), *c = NULL;
			int rc = kv ? halo_pyval_from_json(e, &c) : HALO_ENOMEM;
			if (rc == 0)
				rc = halo_pyval_dict_set(v, kv, c);
			else
				halo_pyval_free(kv);
			if (rc != 0) {
				halo_pyval_free(v);
				return rc;
			}
		}
		break;
	}
	}
	if (!v)
		return HALO_ENOMEM;
	*out = v;
	return 0;
}

int halo_pyval_to_json(const halo_pyval *v, json_t **out)
{
	json_t *j = NULL;
	*out = NULL;
	switch (v->kind) {
	case HALO_PY_NONE: j = json_null(); break;
	case HALO_PY_BOOL: j = json_boolean(v->i); break;
	case HALO_PY_INT: j = json_integer((json_int_t)v->i); break;
	case HALO_PY_BIGINT:
	case HALO_PY_OTHER:
		return halo_error_set(HALO_EFORMAT, "%s %.40s does not fit in JSON", halo_pyval_type_name(v), v->s);
	case HALO_PY_FLOAT:
		if (!isfinite(v->f))
			return halo_error_set(HALO_EFORMAT, "float %g does not fit in JSON", v->f);
		j = json_real(v->f);
		break;
	case HALO_PY_STR: j = json_stringn(v->s, v->len); break;
	case HALO_PY_LIST:
	case HALO_PY_TUPLE:
		j = json_array();
		for (size_t k = 0; j && k < v->n; k++) {
			json_t *c;
			int rc = halo_pyval_to_json(v->items[k], &c);
			if (rc != 0) {
				json_decref(j);
				return rc;
			}
			json_array_append_new(j, c);
		}
		break;
	case HALO_PY_DICT:
		j = json_object();
		for (size_t k = 0; j && k < v->n; k++) {
			const halo_pyval *key = v->items[2 * k];
			json_t *c;
			if (key->kind != HALO_PY_STR) {
				json_decref(j);
				return halo_error_set(HALO_EFORMAT, "dict key of type %s does not fit in JSON",
						      halo_pyval_type_name(key));
			}
			int rc = halo_pyval_to_json(v->items[2 * k + 1], &c);
			if (rc != 0) {
				json_decref(j);
				return rc;
			}
			json_object_setn_new(j, key->s, key->len, c);
		}
		break;
	}
	if (!j)
		return halo_error_set(HALO_EFORMAT, "value cannot be written as JSON (invalid UTF-8?)");
	*out = j;
	return 0;
}

/* ---------------------------------------------------------------- parser */

typedef struct parser {
	const char *s;
	size_t len, pos;
	unsigned depth, max_depth;
	size_t nodes, max_nodes;
} parser;

static int perr(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(parser *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return halo_error_set(HALO_EFORMAT, "column %zu: %s", p->pos + 1, msg);
}

static int at(parser *p, size_t off)
{
	return p->pos + off < p->len ? (unsigned char)p->s[p->pos + off] : -1;
}

/* Whitespace, comments and backslash continuations: inside brackets Python
 * joins lines implicitly, and at top level eval() accepts surrounding space. */
static void skip_ws(parser *p)
{
	for (;;) {
		int c = at(p, 0);
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			p->pos++;
		} else if (c == '#') {
			while (at(p, 0) != -1 && at(p, 0) != '\n' && at(p, 0) != '\r')
				p->pos++;
		} else if (c == '\\' && (at(p, 1) == '\n' || (at(p, 1) == '\r'))) {
			p->pos += 2;
		} else {
			return;
		}
	}
}

static int is_id_start(int c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static int is_id_char(int c)
{
	return is_id_start(c) || (c >= '0' && c <= '9');
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static halo_pyval *node(parser *p, halo_pyval_kind kind)
{
	if (++p->nodes > p->max_nodes) {
		halo_error_set(HALO_ENOMEM, "more than %zu values", p->max_nodes);
		return NULL;
	}
	return halo_pyval_new(kind);
}

/* Identifier at pos (does not consume); returns its length or 0. */
static size_t ident_len(parser *p)
{
	if (!is_id_start(at(p, 0)))
		return 0;
	size_t n = 1;
	while (is_id_char(at(p, n)))
		n++;
	return n;
}

static int word_is(parser *p, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(p->s + p->pos, w, n) == 0;
}

static const char *const py_keywords[] = {
	"and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
	"else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
	"lambda", "nonlocal", "or", "pass", "raise", "return", "try", "while", "with", "yield",
};

static int is_keyword(parser *p, size_t n)
{
	for (size_t k = 0; k < sizeof(py_keywords) / sizeof(py_keywords[0]); k++)
		if (word_is(p, n, py_keywords[k]))
			return 1;
	return 0;
}

static int put_utf8(halo_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return halo_buf_add(b, u, n);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* String prefix at pos: returns its length (0 if none) and flags. */
static size_t string_prefix(parser *p, int *raw, int *bytes, int *fstr)
{
	size_t n = 0;
	*raw = *bytes = *fstr = 0;
	while (n < 2) {
		int c = at(p, n);
		if (c == 'r' || c == 'R')
			*raw = 1;
		else if (c == 'b' || c == 'B')
			*bytes = 1;
		else if (c == 'f' || c == 'F')
			*fstr = 1;
		else if (c == 'u' || c == 'U') {
			if (n > 0)
				return (size_t)-1; /* "bu", "ru": an identifier */
			n++;
			break;
		} else
			break;
		n++;
	}
	int q = at(p, n);
	if (q != '\'' && q != '"')
		return (size_t)-1;
	return n;
}

/* One string literal (prefix included) appended to b. */
static int parse_one_string(parser *p, halo_buf *b)
{
	int raw, bytes, fstr;
	size_t pre = string_prefix(p, &raw, &bytes, &fstr);
	if (pre == (size_t)-1)
		return perr(p, "expected a string");
	if (bytes)
		return perr(p, "bytes literals are not supported");
	if (fstr)
		return perr(p, "f-strings are not supported");
	p->pos += pre;
	char q = (char)at(p, 0);
	int triple = at(p, 1) == q && at(p, 2) == q;
	size_t start = p->pos;
	p->pos += triple ? 3 : 1;
	for (;;) {
		int c = at(p, 0);
		if (c == -1) {
			p->pos = start;
			return perr(p, "unterminated string literal");
		}
		if (c == q && (!triple || (at(p, 1) == q && at(p, 2) == q))) {
			p->pos += triple ? 3 : 1;
			return 0;
		}
		if (!triple && (c == '\n' || c == '\r'))
			return perr(p, "unterminated string literal");
		if (c != '\\') {
			if (halo_buf_add(b, &p->s[p->pos], 1) != 0)
				return HALO_ENOMEM;
			p->pos++;
			continue;
		}
		int e = at(p, 1);
		if (e == -1) {
			p->pos = start;
			return perr(p, "unterminated string literal");
		}
		if (raw) {
			/* a raw string keeps the backslash; it still escapes the quote */
			if (halo_buf_add(b, &p->s[p->pos], 2) != 0)
				return HALO_ENOMEM;
			p->pos += 2;
			continue;
		}
		int rc = 0;
		size_t adv = 2;
		switch (e) {
		case '\n': break;
		case '\r': adv = at(p, 2) == '\n' ? 3 : 2; break;
		case '\\': rc = halo_buf_adds(b, "\\"); break;
		case '\'': rc = halo_buf_adds(b, "'"); break;
		case '"': rc = halo_buf_adds(b, "\""); break;
		case 'a': rc = halo_buf_adds(b, "\a"); break;
		case 'b': rc = halo_buf_adds(b, "\b"); break;
		case 'f': rc = halo_buf_adds(b, "\f"); break;
		case 'n': rc = halo_buf_adds(b, "\n"); break;
		case 'r': rc = halo_buf_adds(b, "\r"); break;
		case 't': rc = halo_buf_adds(b, "\t"); break;
		case 'v': rc = halo_buf_adds(b, "\v"); break;
		case 'x':
		case 'u':
		case 'U': {
			int nd = e == 'x' ? 2 : e == 'u' ? 4 : 8;
			unsigned long cp = 0;
			for (int k = 0; k < nd; k++) {
				int h = hexval(at(p, 2 + (size_t)k));
				if (h < 0)
					return perr(p, "truncated \\%c escape", e);
				cp = cp * 16 + (unsigned long)h;
			}
			if (cp > 0x10FFFF)
				return perr(p, "illegal Unicode character");
			if (cp >= 0xD800 && cp <= 0xDFFF)
				return perr(p, "surrogate escapes are not supported");
			adv = 2 + (size_t)nd;
			rc = put_utf8(b, cp);
			break;
		}
		case 'N': return perr(p, "\\N{...} escapes are not supported");
		default:
			if (e >= '0' && e <= '7') {
				unsigned long cp = 0;
				size_t k = 1;
				while (k <= 3 && at(p, k) >= '0' && at(p, k) <= '7')
					cp = cp * 8 + (unsigned long)(at(p, k++) - '0');
				adv = k;
				rc = put_utf8(b, cp);
			} else {
				/* unknown escapes stay as written */
				rc = halo_buf_add(b, &p->s[p->pos], 2);
			}
		}
		if (rc != 0)
			return HALO_ENOMEM;
		p->pos += adv;
	}
}

static int starts_string(parser *p)
{
	int raw, bytes, fstr;
	return string_prefix(p, &raw, &bytes, &fstr) != (size_t)-1;
}

static int parse_strings(parser *p, halo_pyval **out)
{
	halo_buf b;
	halo_buf_init(&b, p->len + 1);
	int rc;
	do {
		rc = parse_one_string(p, &b);
		if (rc != 0) {
			halo_buf_free(&b);
			return rc;
		}
		skip_ws(p);
	} while (starts_string(p));
	halo_pyval *v = node(p, HALO_PY_STR);
	if (!v) {
		halo_buf_free(&b);
		return HALO_ENOMEM;
	}
	v->len = b.len;
	v->s = halo_buf_detach(&b);
	*out = v;
	return 0;
}

/* Digits with single underscores between them; appends digits to dst. */
static int digit_run(parser *p, int base, char *dst, size_t cap, size_t *n)
{
	size_t start = p->pos;
	for (;;) {
		int c = at(p, 0);
		int d = hexval(c);
		if (c != -1 && d >= 0 && d < base && !(base <= 10 && !is_digit(c))) {
			if (*n + 1 >= cap)
				return perr(p, "numeric literal too long");
			dst[(*n)++] = (char)c;
			p->pos++;
		} else if (c == '_' && p->pos > start && hexval(at(p, 1)) >= 0 && hexval(at(p, 1)) < base) {
			p->pos++;
		} else {
			break;
		}
	}
	dst[*n] = '\0';
	return p->pos > start ? 0 : -1;
}

static int parse_number(parser *p, halo_pyval **out)
{
	char buf[512];
	size_t n = 0;
	size_t start = p->pos;
	int is_float = 0;
	int base = 10;
	if (at(p, 0) == '0' && (at(p, 1) == 'x' || at(p, 1) == 'X' || at(p, 1) == 'o' ||
				at(p, 1) == 'O' || at(p, 1) == 'b' || at(p, 1) == 'B')) {
		int c = at(p, 1) | 0x20;
		base = c == 'x' ? 16 : c == 'o' ? 8 : 2;
		p->pos += 2;
		if (at(p, 0) == '_')
			p->pos++;
		if (digit_run(p, base, buf, sizeof(buf), &n) != 0)
			return n ? HALO_EFORMAT : perr(p, "invalid %s literal", base == 16 ? "hexadecimal" : base == 8 ? "octal" : "binary");
	} else {
		if (is_digit(at(p, 0))) {
			int rc = digit_run(p, 10, buf, sizeof(buf), &n);
			if (rc > 0 || rc < -1)
				return rc;
		}
		if (n + 4 >= sizeof(buf))
			return perr(p, "numeric literal too long");
		if (at(p, 0) == '.') {
			is_float = 1;
			buf[n++] = '.';
			p->pos++;
			if (is_digit(at(p, 0))) {
				int rc = digit_run(p, 10, buf, sizeof(buf), &n);
				if (rc != 0)
					return rc;
			}
		}
		if ((at(p, 0) == 'e' || at(p, 0) == 'E') &&
		    (is_digit(at(p, 1)) || ((at(p, 1) == '+' || at(p, 1) == '-') && is_digit(at(p, 2))))) {
			is_float = 1;
			if (n + 4 >= sizeof(buf))
				return perr(p, "numeric literal too long");
			buf[n++] = 'e';
			p->pos++;
			if (at(p, 0) == '+' || at(p, 0) == '-') {
				buf[n++] = (char)at(p, 0);
				p->pos++;
			}
			int rc = digit_run(p, 10, buf, sizeof(buf), &n);
			if (rc != 0)
				return rc;
		}
	}
	buf[n] = '\0'; /* "1." ends without a digit run to terminate it */
	halo_pyval *v;
	if (at(p, 0) == 'j' || at(p, 0) == 'J') {
		/* complex: kept as an opaque value (never equal to an answer) */
		p->pos++;
		if (is_id_char(at(p, 0)))
			return perr(p, "invalid imaginary literal");
		halo_buf b = HALO_BUF_INIT;
		double f = base == 10 ? strtod(buf, NULL) : (double)strtoull(buf, NULL, base);
		int rc = f == trunc(f) && fabs(f) < 1e16 ? halo_buf_addf(&b, "%.0f", f) : halo_py_float_repr(f, &b);
		rc |= halo_buf_adds(&b, "j");
		v = rc ? NULL : node(p, HALO_PY_OTHER);
		if (!v) {
			halo_buf_free(&b);
			return HALO_ENOMEM;
		}
		v->len = b.len;
		v->s = halo_buf_detach(&b);
		*out = v;
		return 0;
	}
	if (is_id_char(at(p, 0)))
		return perr(p, "invalid decimal literal");
	if (is_float) {
		v = node(p, HALO_PY_FLOAT);
		if (!v)
			return HALO_ENOMEM;
		v->f = strtod(buf, NULL);
	} else {
		if (base == 10 && n > 1 && buf[0] == '0') {
			for (size_t k = 0; k < n; k++)
				if (buf[k] != '0') {
					p->pos = start;
					return perr(p, "leading zeros in decimal integer literals are not permitted");
				}
			n = 1;
			buf[1] = '\0';
		}
		errno = 0;
		char *end;
		unsigned long long u = strtoull(buf, &end, base);
		if (errno == 0 && u <= (unsigned long long)INT64_MAX) {
			v = node(p, HALO_PY_INT);
			if (!v)
				return HALO_ENOMEM;
			v->i = (int64_t)u;
		} else if (base == 10) {
			v = node(p, HALO_PY_BIGINT);
			if (!v)
				return HALO_ENOMEM;
			v->s = strdup(buf);
			if (!v->s) {
				halo_pyval_free(v);
				return halo_error_set(HALO_ENOMEM, "out of memory");
			}
			v->len = n;
		} else {
			p->pos = start;
			return perr(p, "non-decimal integers beyond 64 bits are not supported");
		}
	}
	*out = v;
	return 0;
}

static int parse_expr(parser *p, halo_pyval **out);

/* Negates a number as the reference's `-operand.value` does. */
static int negate(parser *p, halo_pyval *v)
{
	switch (v->kind) {
	case HALO_PY_BOOL:
		v->kind = HALO_PY_INT;
		v->i = -v->i;
		return 0;
	case HALO_PY_INT:
		if (v->i == INT64_MIN)
			return perr(p, "integer out of range");
		v->i = -v->i;
		return 0;
	case HALO_PY_BIGINT: {
		if (v->s[0] == '-') {
			memmove(v->s, v->s + 1, v->len);
			v->len--;
			return 0;
		}
		if (strcmp(v->s, "9223372036854775808") == 0) {
			free(v->s);
			v->s = NULL;
			v->len = 0;
			v->kind = HALO_PY_INT;
			v->i = INT64_MIN;
			return 0;
		}
		char *s = malloc(v->len + 2);
		if (!s)
			return halo_error_set(HALO_ENOMEM, "out of memory");
		s[0] = '-';
		memcpy(s + 1, v->s, v->len + 1);
		free(v->s);
		v->s = s;
		v->len++;
		return 0;
	}
	case HALO_PY_FLOAT: v->f = -v->f; return 0;
	case HALO_PY_OTHER: {
		char *s = malloc(v->len + 2);
		if (!s)
			return halo_error_set(HALO_ENOMEM, "out of memory");
		s[0] = '-';
		memcpy(s + 1, v->s, v->len + 1);
		free(v->s);
		v->s = s;
		v->len++;
		return 0;
	}
	default: return perr(p, "bad operand type for unary -: '%s'", halo_pyval_type_name(v));
	}
}

/* Skips one expression up to a top-level ',' or ')' (strings and brackets
 * respected); fails on unbalanced text, as Python's parser would. */
static int skip_balanced(parser *p)
{
	char stack[256];
	size_t depth = 0;
	while (p->pos < p->len) {
		int c = at(p, 0);
		if (starts_string(p)) {
			halo_buf scratch;
			halo_buf_init(&scratch, p->len + 1);
			int rc = parse_one_string(p, &scratch);
			halo_buf_free(&scratch);
			if (rc != 0)
				return rc;
			continue;
		}
		if (c == '#' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\\') {
			size_t before = p->pos;
			skip_ws(p);
			if (p->pos == before)
				p->pos++;
			continue;
		}
		if (c == '(' || c == '[' || c == '{') {
			if (depth >= sizeof(stack) || depth >= p->max_depth)
				return halo_error_set(HALO_ENOMEM, "column %zu: nesting deeper than %u", p->pos + 1, p->max_depth);
			stack[depth++] = c == '(' ? ')' : c == '[' ? ']' : '}';
		} else if (c == ')' || c == ']' || c == '}') {
			if (depth == 0) {
				if (c == ')')
					return 0;
				return perr(p, "unmatched '%c'", c);
			}
			if (stack[depth - 1] != c)
				return perr(p, "closing '%c' does not match", c);
			depth--;
		} else if (c == ',' && depth == 0) {
			return 0;
		}
		p->pos++;
	}
	return perr(p, "unexpected end of input");
}

/* A skipped positional argument must still be an expression to Python.
 * A token-level check (operands and operators alternate, brackets nest,
 * `name.attr`, calls, subscripts, keyword arguments inside nested calls);
 * not the full grammar: comprehensions and lambdas are refused. */
static int plausible_expression(parser *p, size_t a, size_t e)
{
	char stack[256];
	size_t depth = 0;
	int want_operand = 1, after_open = 0, after_comma = 0;
	parser q = *p;
	q.len = e;
	q.pos = a;
	for (;;) {
		skip_ws(&q);
		if (q.pos >= e)
			break;
		int c = at(&q, 0);
		size_t n = ident_len(&q);
		int was_open = after_open, was_comma = after_comma;
		after_open = after_comma = 0;
		if (starts_string(&q)) {
			if (!want_operand)
				goto bad;
			halo_buf scratch;
			halo_buf_init(&scratch, q.len + 1);
			int rc;
			do {
				rc = parse_one_string(&q, &scratch);
				skip_ws(&q);
			} while (rc == 0 && q.pos < e && starts_string(&q));
			halo_buf_free(&scratch);
			if (rc != 0)
				return rc;
			want_operand = 0;
			continue;
		}
		if (n) {
			int op_word = word_is(&q, n, "and") || word_is(&q, n, "or") || word_is(&q, n, "in") ||
				      word_is(&q, n, "is") || word_is(&q, n, "if") || word_is(&q, n, "else");
			if (word_is(&q, n, "not")) {
				q.pos += n;
				want_operand = 1; /* unary not, or the second half of `not in` */
				continue;
			}
			if (op_word) {
				if (want_operand)
					goto bad;
				q.pos += n;
				want_operand = 1;
				continue;
			}
			if (!want_operand || is_keyword(&q, n))
				goto bad;
			q.pos += n;
			want_operand = 0;
			continue;
		}
		if (is_digit(c) || (c == '.' && is_digit(at(&q, 1)))) {
			if (!want_operand)
				goto bad;
			halo_pyval *num = NULL;
			int rc = parse_number(&q, &num);
			halo_pyval_free(num);
			if (rc != 0)
				return rc;
			want_operand = 0;
			continue;
		}
		if (c == '.' && at(&q, 1) == '.' && at(&q, 2) == '.') {
			if (!want_operand)
				goto bad;
			q.pos += 3;
			want_operand = 0;
			continue;
		}
		if (c == '(' || c == '[' || c == '{') {
			/* a group or display, or (after an operand) a call or subscript */
			if ((!want_operand && c == '{') || depth >= sizeof(stack))
				goto bad;
			stack[depth++] = c == '(' ? ')' : c == '[' ? ']' : '}';
			q.pos++;
			want_operand = 1;
			after_open = 1;
			continue;
		}
		if (c == ')' || c == ']' || c == '}') {
			if (!depth || stack[depth - 1] != c || (want_operand && !was_open && !was_comma))
				goto bad;
			depth--;
			q.pos++;
			want_operand = 0;
			continue;
		}
		if (c == ',' || c == ':' || (c == '=' && at(&q, 1) != '=')) {
			/* separators only inside brackets (and `:=` anywhere) */
			int walrus = c == ':' && at(&q, 1) == '=';
			if (want_operand || (!depth && !walrus))
				goto bad;
			q.pos += walrus ? 2 : 1;
			want_operand = 1;
			after_comma = c == ',';
			continue;
		}
		if (c == '.') {
			if (want_operand)
				goto bad;
			q.pos++;
			skip_ws(&q);
			if (!ident_len(&q))
				goto bad;
			q.pos += ident_len(&q);
			continue;
		}
		/* operators; '-', '+', '~', '*' and '**' may also be unary/unpacking */
		static const char *const ops[] = { "**", "//", "<<", ">>", "<=", ">=", "==", "!=",
						   "+", "-", "*", "/", "%", "@", "&", "|", "^", "<", ">", "~", NULL };
		size_t m = 0;
		for (size_t k = 0; ops[k]; k++)
			if (q.pos + strlen(ops[k]) <= e && !memcmp(p->s + q.pos, ops[k], strlen(ops[k]))) {
				m = strlen(ops[k]);
				break;
			}
		if (!m)
			goto bad;
		int unary_ok = c == '-' || c == '+' || c == '~' || c == '*';
		if (want_operand && !unary_ok)
			goto bad;
		if (!want_operand && c == '~')
			goto bad;
		q.pos += m;
		want_operand = 1;
	}
	if (want_operand || depth)
		goto bad;
	return 0;
bad:
	p->pos = q.pos < e ? q.pos : e;
	return perr(p, "invalid syntax in a positional argument");
}

/* Arguments of a call after its '(' up to ')'. With kwargs, keywords go
 * to *kw (a dict: name -> value); positional ones are parsed and kept in
 * *pos (the reference ignores them in calls with keywords). */
static int parse_args(parser *p, halo_pyval **pos, halo_pyval **kw)
{
	*pos = node(p, HALO_PY_TUPLE);
	*kw = node(p, HALO_PY_DICT);
	if (!*pos || !*kw)
		return HALO_ENOMEM;
	for (;;) {
		skip_ws(p);
		if (at(p, 0) == ')') {
			p->pos++;
			return 0;
		}
		if (at(p, 0) == '*') {
			if (at(p, 1) == '*')
				return perr(p, "**kwargs arguments are not supported");
			p->pos++;
			skip_ws(p);
		}
		size_t id = ident_len(p);
		size_t save = p->pos;
		int is_kw = 0;
		if (id) {
			p->pos += id;
			skip_ws(p);
			if (at(p, 0) == '=' && at(p, 1) != '=')
				is_kw = 1;
			else
				p->pos = save;
		}
		if (is_kw) {
			size_t eq = p->pos;
			p->pos = save;
			if (is_keyword(p, id) || word_is(p, id, "True") || word_is(p, id, "False") ||
			    word_is(p, id, "None"))
				return perr(p, "expression cannot contain assignment");
			p->pos = eq;
			halo_pyval *name = halo_pyval_str(p->s + save, id);
			if (!name)
				return HALO_ENOMEM;
			/* a repeated keyword is accepted by ast.parse (the compiler
			 * rejects it later): the last value wins, in the first's place */
			p->pos++; /* '=' */
			halo_pyval *v;
			int rc = parse_expr(p, &v);
			if (rc != 0) {
				halo_pyval_free(name);
				return rc;
			}
			rc = halo_pyval_dict_set(*kw, name, v);
			if (rc != 0)
				return rc;
		} else {
			if ((*kw)->n)
				return perr(p, "positional argument follows keyword argument");
			halo_pyval *v;
			size_t arg_start = p->pos;
			int rc = parse_expr(p, &v);
			if (rc == HALO_EFORMAT) {
				/* the reference ignores positional arguments of calls with
				 * keywords, whatever they are (x == 1, a := 2, y + 1): skip
				 * a balanced expression and remember it cannot be unparsed */
				p->pos = arg_start;
				rc = skip_balanced(p);
				if (rc != 0)
					return rc;
				rc = plausible_expression(p, arg_start, p->pos);
				if (rc != 0)
					return rc;
				(*pos)->i = 1;
				goto next;
			}
			if (rc != 0)
				return rc;
			skip_ws(p);
			if (at(p, 0) != ',' && at(p, 0) != ')') {
				/* more follows (`a := 1`, `x if y else z`): skip it all */
				halo_pyval_free(v);
				p->pos = arg_start;
				rc = skip_balanced(p);
				if (rc == 0)
					rc = plausible_expression(p, arg_start, p->pos);
				if (rc != 0)
					return rc;
				(*pos)->i = 1;
				goto next;
			}
			rc = halo_pyval_append(*pos, v);
			if (rc != 0)
				return rc;
		}
	next:
		skip_ws(p);
		if (at(p, 0) == ',') {
			p->pos++;
			continue;
		}
		if (at(p, 0) == ')') {
			p->pos++;
			return 0;
		}
		return perr(p, "expected ',' or ')' in call arguments");
	}
}

/* A call: name already read as [name_start, name_end) with dots; at '('. */
static int parse_call_value(parser *p, const char *name, size_t name_len, halo_pyval **out)
{
	halo_pyval *pos = NULL, *kw = NULL;
	p->pos++; /* '(' */
	int rc = parse_args(p, &pos, &kw);
	if (rc != 0)
		goto done;
	if (kw->n) {
		/* {name: {kw: value}}: how the reference resolves a nested call */
		halo_pyval *d = node(p, HALO_PY_DICT);
		halo_pyval *k = halo_pyval_str(name, name_len);
		if (!d || !k) {
			halo_pyval_free(d);
			halo_pyval_free(k);
			rc = HALO_ENOMEM;
			goto done;
		}
		rc = halo_pyval_dict_set(d, k, kw);
		kw = NULL;
		if (rc != 0) {
			halo_pyval_free(d);
			goto done;
		}
		*out = d;
	} else if (pos->i) {
		rc = perr(p, "call argument cannot be represented");
	} else {
		/* ast.unparse(): "name(arg, arg)" with each argument's repr */
		halo_buf b;
		halo_buf_init(&b, p->len * 4 + 64);
		rc = halo_buf_add(&b, name, name_len);
		rc |= halo_buf_adds(&b, "(");
		for (size_t k = 0; k < pos->n && rc == 0; k++) {
			if (k)
				rc = halo_buf_adds(&b, ", ");
			if (rc == 0)
				rc = halo_pyval_repr(pos->items[k], &b);
		}
		rc |= halo_buf_adds(&b, ")");
		if (rc != 0) {
			halo_buf_free(&b);
			rc = HALO_ENOMEM;
			goto done;
		}
		halo_pyval *v = node(p, HALO_PY_STR);
		if (!v) {
			halo_buf_free(&b);
			rc = HALO_ENOMEM;
			goto done;
		}
		v->len = b.len;
		v->s = halo_buf_detach(&b);
		*out = v;
	}
done:
	halo_pyval_free(pos);
	halo_pyval_free(kw);
	return rc;
}

/* Reads name(.name)* at pos; returns 0 and the span, or an error. */
static int dotted_name(parser *p, size_t *start, size_t *end)
{
	size_t n = ident_len(p);
	if (!n)
		return perr(p, "expected a name");
	*start = p->pos;
	p->pos += n;
	for (;;) {
		size_t save = p->pos;
		skip_ws(p);
		if (at(p, 0) != '.') {
			p->pos = save;
			break;
		}
		p->pos++;
		skip_ws(p);
		size_t m = ident_len(p);
		if (!m || is_keyword(p, m))
			return perr(p, "expected a name after '.'");
		p->pos += m;
	}
	*end = p->pos;
	return 0;
}

/* Copies a dotted name without the whitespace Python allows around dots. */
static char *compact_name(const char *s, size_t len, size_t *out_len)
{
	char *r = malloc(len + 1);
	size_t n = 0;
	if (!r) {
		halo_error_set(HALO_ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t k = 0; k < len; k++) {
		char c = s[k];
		if (c == '#') {
			while (k + 1 < len && s[k + 1] != '\n' && s[k + 1] != '\r')
				k++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '\\')
			continue;
		r[n++] = c;
	}
	r[n] = '\0';
	*out_len = n;
	return r;
}

static int parse_sequence(parser *p, char close, halo_pyval *seq)
{
	for (;;) {
		skip_ws(p);
		if (at(p, 0) == close) {
			p->pos++;
			return 0;
		}
		halo_pyval *v;
		int rc = parse_expr(p, &v);
		if (rc != 0)
			return rc;
		rc = halo_pyval_append(seq, v);
		if (rc != 0)
			return rc;
		skip_ws(p);
		if (at(p, 0) == ',') {
			p->pos++;
			continue;
		}
		if (at(p, 0) == close) {
			p->pos++;
			return 0;
		}
		return perr(p, "expected ',' or '%c'", close);
	}
}

static int parse_atom(parser *p, halo_pyval **out)
{
	int c = at(p, 0);
	int rc;
	if (c == -1)
		return perr(p, "unexpected end of input");
	if (c == '[') {
		p->pos++;
		halo_pyval *v = node(p, HALO_PY_LIST);
		if (!v)
			return HALO_ENOMEM;
		rc = parse_sequence(p, ']', v);
		if (rc != 0) {
			halo_pyval_free(v);
			return rc;
		}
		*out = v;
		return 0;
	}
	if (c == '(') {
		p->pos++;
		skip_ws(p);
		halo_pyval *t = node(p, HALO_PY_TUPLE);
		if (!t)
			return HALO_ENOMEM;
		if (at(p, 0) == ')') {
			p->pos++;
			*out = t;
			return 0;
		}
		halo_pyval *first;
		rc = parse_expr(p, &first);
		if (rc != 0) {
			halo_pyval_free(t);
			return rc;
		}
		skip_ws(p);
		if (at(p, 0) == ')') {
			p->pos++;
			halo_pyval_free(t);
			*out = first; /* a parenthesized expression */
			return 0;
		}
		rc = halo_pyval_append(t, first);
		if (rc == 0 && at(p, 0) != ',')
			rc = perr(p, "expected ',' or ')'");
		if (rc == 0) {
			p->pos++;
			rc = parse_sequence(p, ')', t);
		}
		if (rc != 0) {
			halo_pyval_free(t);
			return rc;
		}
		*out = t;
		return 0;
	}
	if (c == '{') {
		p->pos++;
		halo_pyval *d = node(p, HALO_PY_DICT);
		if (!d)
			return HALO_ENOMEM;
		for (;;) {
			skip_ws(p);
			if (at(p, 0) == '}') {
				p->pos++;
				break;
			}
			if (at(p, 0) == '*') {
				halo_pyval_free(d);
				return perr(p, "dict unpacking is not supported");
			}
			halo_pyval *k, *v;
			rc = parse_expr(p, &k);
			if (rc != 0) {
				halo_pyval_free(d);
				return rc;
			}
			skip_ws(p);
			if (at(p, 0) != ':') {
				halo_pyval_free(k);
				halo_pyval_free(d);
				return perr(p, "sets are not supported (expected ':')");
			}
			p->pos++;
			rc = parse_expr(p, &v);
			if (rc != 0) {
				halo_pyval_free(k);
				halo_pyval_free(d);
				return rc;
			}
			rc = halo_pyval_dict_set(d, k, v);
			if (rc != 0) {
				halo_pyval_free(d);
				return rc;
			}
			skip_ws(p);
			if (at(p, 0) == ',') {
				p->pos++;
				continue;
			}
			if (at(p, 0) == '}') {
				p->pos++;
				break;
			}
			halo_pyval_free(d);
			return perr(p, "expected ',' or '}'");
		}
		*out = d;
		return 0;
	}
	if (starts_string(p))
		return parse_strings(p, out);
	if (is_digit(c) || (c == '.' && is_digit(at(p, 1))))
		return parse_number(p, out);
	if (c == '.' && at(p, 1) == '.' && at(p, 2) == '.') {
		p->pos += 3;
		halo_pyval *v = node(p, HALO_PY_STR);
		if (!v)
			return HALO_ENOMEM;
		v->s = strdup("...");
		v->len = 3;
		if (!v->s) {
			halo_pyval_free(v);
			return halo_error_set(HALO_ENOMEM, "out of memory");
		}
		*out = v;
		return 0;
	}
	size_t n = ident_len(p);
	if (n) {
		if (word_is(p, n, "True") || word_is(p, n, "False")) {
			halo_pyval *v = node(p, HALO_PY_BOOL);
			if (!v)
				return HALO_ENOMEM;
			v->i = word_is(p, n, "True");
			p->pos += n;
			*out = v;
			return 0;
		}
		if (word_is(p, n, "None")) {
			p->pos += n;
			*out = node(p, HALO_PY_NONE);
			return *out ? 0 : HALO_ENOMEM;
		}
		if (word_is(p, n, "lambda"))
			return perr(p, "lambdas are not supported");
		if (is_keyword(p, n))
			return perr(p, "invalid syntax");
		size_t s, e;
		rc = dotted_name(p, &s, &e);
		if (rc != 0)
			return rc;
		size_t nlen;
		char *name = compact_name(p->s + s, e - s, &nlen);
		if (!name)
			return HALO_ENOMEM;
		skip_ws(p);
		if (at(p, 0) == '(') {
			rc = parse_call_value(p, name, nlen, out);
			free(name);
			return rc;
		}
		if (at(p, 0) == '[') {
			/* name[key]: the reference keeps its text, "name['key']"
			 * ("name[(1, 2)]" for name[1, 2]) */
			halo_pyval *key = NULL;
			p->pos++;
			rc = parse_expr(p, &key);
			skip_ws(p);
			if (rc == 0 && at(p, 0) == ',') {
				halo_pyval *t = node(p, HALO_PY_TUPLE);
				rc = t ? halo_pyval_append(t, key) : HALO_ENOMEM;
				key = t;
				if (rc == 0) {
					p->pos++;
					rc = parse_sequence(p, ']', key);
					p->pos--;
				}
			}
			if (rc == 0 && at(p, 0) != ']')
				rc = perr(p, "only name[value] subscripts are supported");
			halo_buf b;
			halo_buf_init(&b, p->len * 4 + 16);
			if (rc == 0) {
				p->pos++;
				rc = halo_buf_add(&b, name, nlen);
				rc |= halo_buf_adds(&b, "[");
				rc |= halo_pyval_repr(key, &b);
				rc |= halo_buf_adds(&b, "]");
				if (rc != 0)
					rc = HALO_ENOMEM;
			}
			halo_pyval_free(key);
			free(name);
			halo_pyval *v = rc == 0 ? node(p, HALO_PY_STR) : NULL;
			if (!v) {
				halo_buf_free(&b);
				return rc ? rc : HALO_ENOMEM;
			}
			v->len = b.len;
			v->s = halo_buf_detach(&b);
			*out = v;
			return 0;
		}
		if (memchr(name, '.', nlen)) {
			free(name);
			p->pos = s;
			return perr(p, "attribute values are not supported");
		}
		halo_pyval *v = node(p, HALO_PY_STR);
		if (!v) {
			free(name);
			return HALO_ENOMEM;
		}
		v->s = name;
		v->len = nlen;
		*out = v;
		return 0;
	}
	return perr(p, "invalid syntax");
}

/* Characters that would continue an expression we do not evaluate. */
static int is_operator_start(parser *p)
{
	int c = at(p, 0);
	if (c == -1)
		return 0;
	if (strchr("+-*/%@&|^<>=!.[(", c))
		return !(c == '=' && at(p, 1) != '=');
	size_t n = ident_len(p);
	return n && (word_is(p, n, "if") || word_is(p, n, "and") || word_is(p, n, "or") ||
		     word_is(p, n, "in") || word_is(p, n, "is") || word_is(p, n, "not") ||
		     word_is(p, n, "for"));
}

/* ------------------------------------------------------------ arithmetic */

/* The reference eval()s a binary operation; numbers are evaluated here with
 * Python's rules (int overflow beyond 64 bits is an error instead). */
typedef enum topkind { TOP_ATOM, TOP_UNARY, TOP_BINOP } topkind;

static size_t peek_arith(parser *p, const char *const *ops)
{
	skip_ws(p);
	for (size_t k = 0; ops[k]; k++) {
		size_t n = strlen(ops[k]);
		if (p->pos + n <= p->len && memcmp(p->s + p->pos, ops[k], n) == 0) {
			int next = at(p, n);
			/* "**" is not "*", "//" is not "/", and "+=" / "==" are not operators */
			if (next == '=' || (n == 1 && next == ops[k][0] && (next == '*' || next == '/')))
				continue;
			return n;
		}
	}
	return 0;
}

static int is_arith_num(const halo_pyval *v)
{
	return v->kind == HALO_PY_BOOL || v->kind == HALO_PY_INT || v->kind == HALO_PY_FLOAT;
}

static int arith_apply(parser *p, const char *op, size_t oplen, halo_pyval *a, halo_pyval *b, halo_pyval **out)
{
	int rc = 0;
	*out = NULL;
	if (!is_arith_num(a) || !is_arith_num(b)) {
		rc = perr(p, "operators are evaluated only on numbers here");
		goto done;
	}
	char o = op[0];
	int pow_op = oplen == 2 && o == '*', floordiv = oplen == 2 && o == '/';
	if (a->kind == HALO_PY_FLOAT || b->kind == HALO_PY_FLOAT || (o == '/' && !floordiv) ||
	    (pow_op && b->i < 0)) {
		double x = a->kind == HALO_PY_FLOAT ? a->f : (double)a->i;
		double y = b->kind == HALO_PY_FLOAT ? b->f : (double)b->i;
		double r;
		if ((o == '/' || o == '%') && y == 0) {
			rc = perr(p, "division by zero");
			goto done;
		}
		if (pow_op) {
			if (x == 0 && y < 0) {
				rc = perr(p, "zero to a negative power");
				goto done;
			}
			if (x < 0 && y != floor(y)) {
				rc = perr(p, "complex results are not supported");
				goto done;
			}
			r = pow(x, y);
		} else if (floordiv) {
			r = floor(x / y);
		} else if (o == '%') {
			r = fmod(x, y);
			if (r != 0 && ((r < 0) != (y < 0)))
				r += y;
		} else {
			r = o == '+' ? x + y : o == '-' ? x - y : o == '*' ? x * y : x / y;
		}
		*out = node(p, HALO_PY_FLOAT);
		if (!*out) {
			rc = HALO_ENOMEM;
			goto done;
		}
		(*out)->f = r;
		goto done;
	}
	int64_t x = a->i, y = b->i, r = 0;
	int ovf = 0;
	if (pow_op) {
		r = 1;
		for (int64_t k = 0; k < y && !ovf; k++) {
			ovf = __builtin_mul_overflow(r, x, &r);
			if (r == 0 || r == 1)
				break;
		}
	} else if (o == '+') {
		ovf = __builtin_add_overflow(x, y, &r);
	} else if (o == '-') {
		ovf = __builtin_sub_overflow(x, y, &r);
	} else if (o == '*') {
		ovf = __builtin_mul_overflow(x, y, &r);
	} else {
		if (y == 0) {
			rc = perr(p, "division by zero");
			goto done;
		}
		if (x == INT64_MIN && y == -1) {
			ovf = 1;
		} else {
			int64_t q = x / y, m = x % y;
			if (m != 0 && ((m < 0) != (y < 0))) {
				q--;
				m += y;
			}
			r = floordiv ? q : m;
		}
	}
	if (ovf) {
		rc = perr(p, "integer arithmetic beyond 64 bits is not supported");
		goto done;
	}
	*out = node(p, HALO_PY_INT);
	if (!*out)
		rc = HALO_ENOMEM;
	else
		(*out)->i = r;
done:
	halo_pyval_free(a);
	halo_pyval_free(b);
	return rc;
}

static int arith_unary(parser *p, halo_pyval **out, topkind *k);

static int arith_power(parser *p, halo_pyval **out, topkind *k)
{
	static const char *const ops[] = { "**", NULL };
	int rc = parse_atom(p, out);
	*k = TOP_ATOM;
	if (rc != 0)
		return rc;
	size_t n = peek_arith(p, ops);
	if (n) {
		p->pos += n;
		halo_pyval *rhs = NULL;
		topkind rk;
		rc = arith_unary(p, &rhs, &rk);
		if (rc != 0) {
			halo_pyval_free(*out);
			*out = NULL;
			return rc;
		}
		rc = arith_apply(p, "**", 2, *out, rhs, out);
		*k = TOP_BINOP;
	}
	return rc;
}

static int arith_unary(parser *p, halo_pyval **out, topkind *k)
{
	*out = NULL;
	skip_ws(p);
	int c = at(p, 0);
	if (c != '-' && c != '+')
		return arith_power(p, out, k);
	if (++p->depth > p->max_depth) {
		p->depth--;
		return halo_error_set(HALO_ENOMEM, "column %zu: nesting deeper than %u", p->pos + 1, p->max_depth);
	}
	p->pos++;
	topkind inner;
	int rc = arith_unary(p, out, &inner);
	p->depth--;
	if (rc != 0)
		return rc;
	if (!is_arith_num(*out)) {
		halo_pyval_free(*out);
		*out = NULL;
		return perr(p, "bad operand type for unary %c", c);
	}
	if ((*out)->kind == HALO_PY_BOOL)
		(*out)->kind = HALO_PY_INT;
	if (c == '-') {
		rc = negate(p, *out);
		if (rc != 0) {
			halo_pyval_free(*out);
			*out = NULL;
			return rc;
		}
	}
	*k = TOP_UNARY;
	return 0;
}

static int arith_level(parser *p, halo_pyval **out, topkind *k, int level)
{
	static const char *const mul_ops[] = { "//", "*", "/", "%", NULL };
	static const char *const add_ops[] = { "+", "-", NULL };
	int rc = level == 0 ? arith_level(p, out, k, 1) : arith_unary(p, out, k);
	if (rc != 0)
		return rc;
	for (;;) {
		size_t n = peek_arith(p, level == 0 ? add_ops : mul_ops);
		if (!n)
			return 0;
		char op[3] = { 0 };
		memcpy(op, p->s + p->pos, n);
		p->pos += n;
		halo_pyval *rhs = NULL;
		topkind rk;
		rc = level == 0 ? arith_level(p, &rhs, &rk, 1) : arith_unary(p, &rhs, &rk);
		if (rc == 0)
			rc = arith_apply(p, op, n, *out, rhs, out);
		if (rc != 0) {
			if (!rhs) {
				halo_pyval_free(*out);
				*out = NULL;
			}
			return rc;
		}
		*k = TOP_BINOP;
	}
}

static int is_arith_op(parser *p)
{
	static const char *const ops[] = { "**", "//", "*", "/", "%", "+", "-", NULL };
	size_t save = p->pos;
	size_t n = peek_arith(p, ops);
	p->pos = save;
	return n != 0;
}

static int parse_expr(parser *p, halo_pyval **out)
{
	int rc;
	*out = NULL;
	if (++p->depth > p->max_depth) {
		p->depth--;
		return halo_error_set(HALO_ENOMEM, "column %zu: nesting deeper than %u", p->pos + 1,
				      p->max_depth);
	}
	skip_ws(p);
	int c = at(p, 0);
	size_t n = ident_len(p);
	size_t start = p->pos;
	int done = 0;
	if (c == '-' || c == '+' || c == '~' || (n == 3 && word_is(p, n, "not"))) {
		/* A unary operation that is the whole value: the reference computes
		 * `-operand.value`, so -c, +c, ~c and `not c` all give -c, and an
		 * operand that is not a constant has no value. */
		p->pos += c == '-' || c == '+' || c == '~' ? 1 : 3;
		skip_ws(p);
		int oc = at(p, 0);
		size_t on = ident_len(p);
		int constant = starts_string(p) || is_digit(oc) || (oc == '.' && is_digit(at(p, 1))) ||
			       (on && (word_is(p, on, "True") || word_is(p, on, "False") ||
				       word_is(p, on, "None")));
		halo_pyval *v = NULL;
		if (constant) {
			rc = parse_atom(p, &v);
			if (rc == 0 && !is_arith_op(p)) {
				rc = negate(p, v);
				if (rc != 0) {
					halo_pyval_free(v);
					p->depth--;
					return rc;
				}
				*out = v;
				done = 1;
			} else {
				halo_pyval_free(v);
				if (rc != 0) {
					p->depth--;
					return rc;
				}
			}
		}
		if (!done) {
			if (c != '-' && c != '+') {
				p->depth--;
				return perr(p, "unary operators apply only to constants here");
			}
			p->pos = start;
		}
	}
	if (!done) {
		topkind k;
		rc = arith_level(p, out, &k, 0);
		if (rc == 0 && k == TOP_UNARY) {
			halo_pyval_free(*out);
			*out = NULL;
			p->pos = start;
			rc = perr(p, "unary operators apply only to constants here");
		}
		if (rc != 0) {
			p->depth--;
			return rc;
		}
	}
	skip_ws(p);
	if (is_operator_start(p)) {
		halo_pyval_free(*out);
		*out = NULL;
		p->depth--;
		return perr(p, "operators and subscripts are not evaluated");
	}
	p->depth--;
	return 0;
}

static void init_parser(parser *p, const char *text, size_t len, const halo_pycall_opts *opts)
{
	memset(p, 0, sizeof(*p));
	p->s = text;
	p->len = len;
	p->max_depth = opts && opts->max_depth ? opts->max_depth : HALO_PYCALL_DEFAULT_MAX_DEPTH;
	p->max_nodes = opts && opts->max_nodes ? opts->max_nodes : HALO_PYCALL_DEFAULT_MAX_NODES;
}

static int check_input(const char *text, size_t len, const halo_pycall_opts *opts)
{
	size_t max_len = opts && opts->max_len ? opts->max_len : HALO_PYCALL_DEFAULT_MAX_LEN;
	if (opts && opts->version != HALO_PYCALL_OPTS_VERSION)
		return halo_error_set(HALO_EUSAGE, "pycall options: unknown version %d", opts->version);
	if (len > max_len)
		return halo_error_set(HALO_ENOMEM, "call text of %zu bytes exceeds the %zu-byte cap", len,
				      max_len);
	if (!text && len)
		return halo_error_set(HALO_EUSAGE, "no text");
	if (len && memchr(text, '\0', len))
		return halo_error_set(HALO_EFORMAT, "source code cannot contain null bytes");
	return 0;
}

int halo_pyval_parse(const char *text, size_t len, const halo_pycall_opts *opts, halo_pyval **out)
{
	parser p;
	*out = NULL;
	int rc = check_input(text, len, opts);
	if (rc != 0)
		return rc;
	init_parser(&p, text, len, opts);
	rc = parse_expr(&p, out);
	if (rc == 0) {
		skip_ws(&p);
		if (p.pos != p.len) {
			halo_pyval_free(*out);
			*out = NULL;
			rc = perr(&p, "unexpected text after the value");
		}
	}
	return rc;
}

static int is_py_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
	       (c >= 0x1c && c <= 0x1f);
}

/* One top-level call at pos into call (name + keyword args). */
static int parse_top_call(parser *p, halo_pycall *call)
{
	size_t s, e;
	skip_ws(p);
	if (++p->depth > p->max_depth)
		return halo_error_set(HALO_ENOMEM, "nesting deeper than %u", p->max_depth);
	if (at(p, 0) == '(') {
		/* a call in parentheses is still a call */
		p->pos++;
		int rc = parse_top_call(p, call);
		skip_ws(p);
		if (rc == 0 && at(p, 0) != ')')
			rc = perr(p, "expected ')'");
		if (rc == 0)
			p->pos++;
		p->depth--;
		return rc;
	}
	if (!ident_len(p) || starts_string(p))
		return perr(p, "expected a function call");
	size_t n = ident_len(p);
	if (is_keyword(p, n) || word_is(p, n, "True") || word_is(p, n, "False") || word_is(p, n, "None"))
		return perr(p, "expected a function call");
	int rc = dotted_name(p, &s, &e);
	if (rc != 0)
		return rc;
	skip_ws(p);
	if (at(p, 0) != '(')
		return perr(p, "expected a function call");
	size_t nlen;
	call->name = compact_name(p->s + s, e - s, &nlen);
	if (!call->name)
		return HALO_ENOMEM;
	halo_pyval *pos = NULL, *kw = NULL;
	p->pos++;
	rc = parse_args(p, &pos, &kw);
	if (rc == 0 && kw->n) {
		call->arg_names = calloc(kw->n, sizeof(char *));
		call->arg_values = calloc(kw->n, sizeof(halo_pyval *));
		if (!call->arg_names || !call->arg_values) {
			rc = halo_error_set(HALO_ENOMEM, "out of memory");
		} else {
			for (size_t k = 0; k < kw->n; k++) {
				call->arg_names[k] = kw->items[2 * k]->s;
				kw->items[2 * k]->s = NULL;
				call->arg_values[k] = kw->items[2 * k + 1];
				kw->items[2 * k + 1] = NULL;
				call->n_args++;
			}
		}
	}
	halo_pyval_free(pos);
	halo_pyval_free(kw);
	if (rc == 0) {
		skip_ws(p);
		if (is_operator_start(p))
			rc = perr(p, "expected a function call");
	}
	p->depth--;
	return rc;
}

static int list_add(halo_pycall_list *l, size_t *cap)
{
	if (l->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		halo_pycall *c = realloc(l->calls, nc * sizeof(*c));
		if (!c)
			return halo_error_set(HALO_ENOMEM, "out of memory");
		l->calls = c;
		*cap = nc;
	}
	memset(&l->calls[l->n], 0, sizeof(l->calls[0]));
	l->n++;
	return 0;
}

int halo_pycall_parse(const char *text, size_t len, const halo_pycall_opts *opts, halo_pycall_list **out)
{
	*out = NULL;
	int rc = check_input(text, len, opts);
	if (rc != 0)
		return rc;
	/* input_str.strip().strip("'") */
	size_t a = 0, b = len;
	while (a < b && is_py_space(text[a]))
		a++;
	while (b > a && is_py_space(text[b - 1]))
		b--;
	while (a < b && text[a] == '\'')
		a++;
	while (b > a && text[b - 1] == '\'')
		b--;
	parser p;
	init_parser(&p, text, b, opts);
	p.pos = a;
	halo_pycall_list *l = calloc(1, sizeof(*l));
	if (!l)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	size_t cap = 0;
	skip_ws(&p);
	int c = at(&p, 0);
	if (c == '[' || c == '(') {
		char close = c == '[' ? ']' : ')';
		p.pos++;
		for (;;) {
			skip_ws(&p);
			if (at(&p, 0) == close) {
				p.pos++;
				break;
			}
			/* `(f(a=1))` is one call in parentheses, not a tuple */
			rc = list_add(l, &cap);
			if (rc == 0)
				rc = parse_top_call(&p, &l->calls[l->n - 1]);
			if (rc != 0)
				goto fail;
			skip_ws(&p);
			if (at(&p, 0) == ',') {
				p.pos++;
				continue;
			}
			if (at(&p, 0) == close) {
				p.pos++;
				break;
			}
			rc = perr(&p, "expected ',' or '%c' between calls", close);
			goto fail;
		}
	} else {
		/* one call, or a bare tuple of calls `f(a=1), g(b=2)` */
		for (;;) {
			rc = list_add(l, &cap);
			if (rc == 0)
				rc = parse_top_call(&p, &l->calls[l->n - 1]);
			if (rc != 0)
				goto fail;
			skip_ws(&p);
			if (at(&p, 0) != ',')
				break;
			p.pos++;
			skip_ws(&p);
			if (p.pos == p.len)
				break;
		}
	}
	skip_ws(&p);
	if (p.pos != p.len) {
		rc = perr(&p, "unexpected text after the calls");
		goto fail;
	}
	*out = l;
	return 0;
fail:
	halo_pycall_list_free(l);
	return rc;
}
