/*
 * Model catalog parser and lookups. The format is documented in
 * docs/catalog.md; the comments here explain the choices behind the code.
 */
#include "catalog.h"
#include "size.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "error.h"
#include "paths.h"

/* configs/models.conf, compiled in by cmake/embed.cmake. */
extern const char halo_catalog_default[];
extern const size_t halo_catalog_default_len;

/*
 * Caps against hostile or runaway files: every one is far above what a real
 * catalog needs, and keeps the quadratic duplicate checks cheap.
 */
#define MAX_MODELS 4096
#define MAX_QUANTS 1024
#define MAX_PRESETS 256
#define MAX_ROLES 64
#define MAX_PARTS 1000
#define MAX_ID 64
#define MAX_TEXT 256
#define MAX_PATH_LEN 512

/* ---------------------------------------------------------------- strings */

/* ASCII only, so results never depend on the process locale. */
static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool eq_nocase(const char *a, const char *b)
{
	while (*a && lower((unsigned char)*a) == lower((unsigned char)*b))
		a++, b++;
	return lower((unsigned char)*a) == lower((unsigned char)*b);
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static char *dup_s(const char *s)
{
	return s ? dup_n(s, strlen(s)) : NULL;
}

static int oom(void)
{
	return halo_error_set(HALO_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------ model memory */

static void quant_free(halo_quant *q)
{
	free(q->name);
	free(q->provider);
	free(q->repo);
	for (size_t i = 0; i < q->n_files; i++)
		free(q->files[i]);
	free(q->files);
	memset(q, 0, sizeof(*q));
}

static void model_free(halo_model *m)
{
	free(m->id);
	free(m->name);
	free(m->family);
	free(m->source);
	for (size_t i = 0; i < m->n_roles; i++)
		free(m->roles[i]);
	free(m->roles);
	for (size_t i = 0; i < m->n_presets; i++)
		free(m->presets[i].name);
	free(m->presets);
	for (size_t i = 0; i < m->n_quants; i++)
		quant_free(&m->quants[i]);
	free(m->quants);
	free(m->default_provider);
	free(m->default_repo);
	free(m->file_pattern);
	free(m->split_pattern);
	free(m->file);
	memset(m, 0, sizeof(*m));
}

/* Copies an optional string; false only when the allocation failed. */
static bool copy_opt(char **dst, const char *src)
{
	*dst = dup_s(src);
	return !src || *dst;
}

/* Deep copy, so an [extend] can edit a model without touching the catalog
 * it came from until the whole file has parsed. */
static int model_copy(halo_model *dst, const halo_model *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->moe = src->moe;
	dst->hybrid = src->hybrid;
	dst->params_total = src->params_total;
	dst->params_active = src->params_active;
	dst->hp = src->hp;
	dst->line = src->line;
	dst->seq = src->seq;
	if (!copy_opt(&dst->id, src->id) || !copy_opt(&dst->name, src->name) ||
	    !copy_opt(&dst->family, src->family) || !copy_opt(&dst->source, src->source) ||
	    !copy_opt(&dst->default_provider, src->default_provider) ||
	    !copy_opt(&dst->default_repo, src->default_repo) ||
	    !copy_opt(&dst->file_pattern, src->file_pattern) ||
	    !copy_opt(&dst->split_pattern, src->split_pattern) || !copy_opt(&dst->file, src->file))
		goto fail;
	if (src->n_roles) {
		if (!(dst->roles = calloc(src->n_roles, sizeof(char *))))
			goto fail;
		for (; dst->n_roles < src->n_roles; dst->n_roles++)
			if (!(dst->roles[dst->n_roles] = dup_s(src->roles[dst->n_roles])))
				goto fail;
	}
	if (src->n_presets) {
		if (!(dst->presets = calloc(src->n_presets, sizeof(halo_preset))))
			goto fail;
		for (; dst->n_presets < src->n_presets; dst->n_presets++) {
			halo_preset *p = &dst->presets[dst->n_presets];
			*p = src->presets[dst->n_presets];
			if (!(p->name = dup_s(p->name)))
				goto fail;
		}
	}
	if (src->n_quants) {
		if (!(dst->quants = calloc(src->n_quants, sizeof(halo_quant))))
			goto fail;
		for (; dst->n_quants < src->n_quants; dst->n_quants++) {
			const halo_quant *s = &src->quants[dst->n_quants];
			halo_quant *q = &dst->quants[dst->n_quants];
			*q = *s;
			q->name = q->provider = q->repo = NULL;
			q->files = NULL;
			q->n_files = 0;
			if (!copy_opt(&q->name, s->name) || !copy_opt(&q->provider, s->provider) ||
			    !copy_opt(&q->repo, s->repo)) {
				dst->n_quants++;
				goto fail;
			}
			if (s->n_files && !(q->files = calloc(s->n_files, sizeof(char *)))) {
				dst->n_quants++;
				goto fail;
			}
			for (; q->n_files < s->n_files; q->n_files++)
				if (!(q->files[q->n_files] = dup_s(s->files[q->n_files]))) {
					dst->n_quants++;
					goto fail;
				}
		}
	}
	return 0;
fail:
	model_free(dst);
	return oom();
}

void halo_catalog_init(halo_catalog *cat)
{
	memset(cat, 0, sizeof(*cat));
}

void halo_catalog_free(halo_catalog *cat)
{
	if (!cat)
		return;
	for (size_t i = 0; i < cat->n_models; i++)
		model_free(&cat->models[i]);
	free(cat->models);
	halo_catalog_init(cat);
}

static int catalog_reserve(halo_catalog *cat, size_t want)
{
	if (want <= cat->cap)
		return 0;
	size_t cap = cat->cap ? cat->cap : 16;
	while (cap < want)
		cap *= 2;
	halo_model *m = realloc(cat->models, cap * sizeof(*m));
	if (!m)
		return oom();
	cat->models = m;
	cat->cap = cap;
	return 0;
}

static ptrdiff_t catalog_index(const halo_catalog *cat, const char *id)
{
	for (size_t i = 0; i < cat->n_models; i++)
		if (eq_nocase(cat->models[i].id, id))
			return (ptrdiff_t)i;
	return -1;
}

/* ---------------------------------------------------------------- numbers */

/* Decimal digits only: no sign, no spaces, no hex, overflow-checked. */
static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!is_digit((unsigned char)*s))
		return false;
	for (; *s; s++) {
		if (!is_digit((unsigned char)*s))
			return false;
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return false;
	}
	*out = v;
	return true;
}


/* A plain decimal such as 0.95 or -1.5, parsed without strtod() so the
 * process locale cannot turn "0.95" into 0. */
static bool parse_real(const char *s, double *out)
{
	bool neg = false;
	uint64_t mant;
	unsigned fd;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	const char *end = halo_decimal_parse(s, &mant, &fd);
	if (!end || *end)
		return false;
	*out = (neg ? -1.0 : 1.0) * (double)mant / (double)halo_pow10(fd);
	return true;
}

/* "34.7B", "752M", "8953803264": a parameter count. */
static bool parse_params(const char *s, double *out)
{
	uint64_t mant;
	unsigned fd;
	double mult = 1;
	const char *end = halo_decimal_parse(s, &mant, &fd);

	if (!end)
		return false;
	if (*end) {
		switch (*end) {
		case 'K': case 'k': mult = 1e3; break;
		case 'M': case 'm': mult = 1e6; break;
		case 'B': case 'b': case 'G': case 'g': mult = 1e9; break;
		case 'T': case 't': mult = 1e12; break;
		default: return false;
		}
		if (end[1])
			return false;
	}
	*out = (double)mant / (double)halo_pow10(fd) * mult;
	return *out > 0;
}


/* ----------------------------------------------------------- validation */

static bool valid_id(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > MAX_ID || !is_alnum((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!is_alnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-')
			return false;
	return true;
}

/* Roles and providers: lowercase words joined by '-', '_' or '.'. */
static bool valid_tag(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > MAX_ID || !is_alnum((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if ((*s >= 'A' && *s <= 'Z') ||
		    (!is_alnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.'))
			return false;
	return true;
}

static bool valid_repo(const char *s)
{
	const char *slash = strchr(s, '/');
	if (!slash || slash == s || !slash[1] || strchr(slash + 1, '/') || strlen(s) > 200)
		return false;
	for (const char *c = s; *c; c++)
		if (c != slash && !is_alnum((unsigned char)*c) && *c != '.' && *c != '_' && *c != '-')
			return false;
	return s[0] != '.' && slash[1] != '.';
}

/* A path inside a repository: relative, no "." or ".." components, nothing
 * a shell or a download directory could misread. */
static bool valid_repo_path(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > MAX_PATH_LEN || s[0] == '/' || s[n - 1] == '/')
		return false;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == '\\' || *c == 0x7f || *c == '"' || *c == '\'')
			return false;
	for (const char *c = s; *c;) {
		size_t len = strcspn(c, "/");
		if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += len;
		if (*c == '/')
			c++;
	}
	return true;
}

/* Checks a file pattern's placeholders; returns NULL or what is wrong. */
static const char *check_pattern(const char *s, bool split)
{
	bool part = false, parts = false;
	for (const char *c = s; *c; c++) {
		if (*c == '}')
			return "stray '}'";
		if (*c != '{')
			continue;
		const char *end = strchr(c, '}');
		if (!end)
			return "unterminated '{'";
		size_t n = (size_t)(end - c - 1);
		bool is_quant = n == 5 && !strncmp(c + 1, "quant", 5);
		bool is_part = n == 4 && !strncmp(c + 1, "part", 4);
		bool is_parts = n == 5 && !strncmp(c + 1, "parts", 5);
		if (!is_quant && !is_part && !is_parts)
			return "unknown placeholder (use {quant}, {part}, {parts})";
		part |= is_part;
		parts |= is_parts;
		c = end;
	}
	if (split && !part)
		return "a split pattern needs {part}";
	if (!split && (part || parts))
		return "{part} and {parts} belong in split_file";
	return NULL;
}

/* Expands {quant}, {part} and {parts} (5 digits, as gguf-split names parts). */
static char *expand_pattern(const char *pat, const char *quant, unsigned part, unsigned parts)
{
	size_t cap = strlen(pat) + 1, len = 0;
	size_t qlen = strlen(quant);
	for (const char *c = strchr(pat, '{'); c; c = strchr(c + 1, '{'))
		cap += qlen + 5;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	for (const char *c = pat; *c;) {
		if (!strncmp(c, "{quant}", 7)) {
			memcpy(out + len, quant, qlen);
			len += qlen;
			c += 7;
		} else if (!strncmp(c, "{parts}", 7)) {
			len += (size_t)snprintf(out + len, cap - len, "%05u", parts);
			c += 7;
		} else if (!strncmp(c, "{part}", 6)) {
			len += (size_t)snprintf(out + len, cap - len, "%05u", part);
			c += 6;
		} else {
			out[len++] = *c++;
		}
	}
	out[len] = '\0';
	return out;
}

/* ----------------------------------------------------------------- parser */

enum key_type {
	T_TEXT,   /* free text (the rest of the line) */
	T_URL,
	T_TAG,    /* provider */
	T_REPO,
	T_PATTERN,
	T_SPLIT_PATTERN,
	T_ARCH,
	T_KIND,
	T_ROLES,
	T_PARAMS,
	T_UINT,
	T_LIST,   /* attention_layers */
};

enum key_id {
	K_NAME, K_FAMILY, K_SOURCE, K_KIND, K_ROLES, K_PARAMS, K_ACTIVE_PARAMS,
	K_ARCH, K_LAYERS, K_NEXTN, K_HIDDEN, K_VOCAB, K_CONTEXT, K_CONTEXT_YARN,
	K_INTERVAL, K_ATTN_LAYERS, K_HEADS, K_KV_HEADS, K_HEAD_DIM, K_HEAD_DIM_K, K_HEAD_DIM_V,
	K_LIN_CONV, K_LIN_KHEADS, K_LIN_VHEADS, K_LIN_KDIM, K_LIN_VDIM,
	K_EXPERTS, K_EXPERTS_USED, K_EXPERTS_SHARED, K_EXPERT_FFN, K_SHEXP_FFN, K_FFN,
	K_PROVIDER, K_REPO, K_FILE, K_SPLIT_FILE,
	K_COUNT
};

static const struct key_def {
	const char *name;
	enum key_type type;
	bool extend_ok;     /* may appear in [extend] (descriptive, not architecture) */
	uint64_t min, max;  /* T_UINT range */
} key_defs[K_COUNT] = {
	[K_NAME] = { "name", T_TEXT, true, 0, 0 },
	[K_FAMILY] = { "family", T_TAG, true, 0, 0 },
	[K_SOURCE] = { "source", T_URL, true, 0, 0 },
	[K_KIND] = { "kind", T_KIND, false, 0, 0 },
	[K_ROLES] = { "roles", T_ROLES, true, 0, 0 },
	[K_PARAMS] = { "params", T_PARAMS, false, 0, 0 },
	[K_ACTIVE_PARAMS] = { "active_params", T_PARAMS, false, 0, 0 },
	[K_ARCH] = { "arch", T_ARCH, false, 0, 0 },
	[K_LAYERS] = { "layers", T_UINT, false, 1, HALO_MAX_LAYERS },
	[K_NEXTN] = { "nextn_layers", T_UINT, false, 0, HALO_MAX_LAYERS },
	[K_HIDDEN] = { "hidden", T_UINT, false, 1, UINT32_MAX },
	[K_VOCAB] = { "vocab", T_UINT, false, 1, UINT32_MAX },
	[K_CONTEXT] = { "context", T_UINT, false, 1, 1ull << 40 },
	[K_CONTEXT_YARN] = { "context_yarn", T_UINT, false, 0, 1ull << 40 },
	[K_INTERVAL] = { "full_attention_interval", T_UINT, false, 1, HALO_MAX_LAYERS },
	[K_ATTN_LAYERS] = { "attention_layers", T_LIST, false, 0, 0 },
	[K_HEADS] = { "heads", T_UINT, false, 1, UINT32_MAX },
	[K_KV_HEADS] = { "kv_heads", T_UINT, false, 1, UINT32_MAX },
	[K_HEAD_DIM] = { "head_dim", T_UINT, false, 1, UINT32_MAX },
	[K_HEAD_DIM_K] = { "head_dim_k", T_UINT, false, 1, UINT32_MAX },
	[K_HEAD_DIM_V] = { "head_dim_v", T_UINT, false, 1, UINT32_MAX },
	[K_LIN_CONV] = { "linear_conv_kernel", T_UINT, false, 1, UINT32_MAX },
	[K_LIN_KHEADS] = { "linear_key_heads", T_UINT, false, 1, UINT32_MAX },
	[K_LIN_VHEADS] = { "linear_value_heads", T_UINT, false, 1, UINT32_MAX },
	[K_LIN_KDIM] = { "linear_key_head_dim", T_UINT, false, 1, UINT32_MAX },
	[K_LIN_VDIM] = { "linear_value_head_dim", T_UINT, false, 1, UINT32_MAX },
	[K_EXPERTS] = { "experts", T_UINT, false, 1, UINT32_MAX },
	[K_EXPERTS_USED] = { "experts_used", T_UINT, false, 1, UINT32_MAX },
	[K_EXPERTS_SHARED] = { "experts_shared", T_UINT, false, 0, UINT32_MAX },
	[K_EXPERT_FFN] = { "expert_ffn", T_UINT, false, 1, UINT32_MAX },
	[K_SHEXP_FFN] = { "shared_expert_ffn", T_UINT, false, 1, UINT32_MAX },
	[K_FFN] = { "ffn", T_UINT, false, 0, UINT32_MAX },
	[K_PROVIDER] = { "provider", T_TAG, true, 0, 0 },
	[K_REPO] = { "repo", T_REPO, true, 0, 0 },
	[K_FILE] = { "file", T_PATTERN, true, 0, 0 },
	[K_SPLIT_FILE] = { "split_file", T_SPLIT_PATTERN, true, 0, 0 },
};

/* What a quant line said beyond the halo_quant fields; resolved at the end
 * of its section, when the section's defaults and parameters are known. */
typedef struct quant_extra {
	unsigned parts;         /* 0 = not given */
	bool estimate;          /* "estimate": size from params * bpw */
	bool guessed;           /* "~SIZE" */
	double bpw;             /* 0 = from halo_catalog_quant_bpw() */
} quant_extra;

enum { SEC_NONE, SEC_MODEL, SEC_EXTEND };

typedef struct parser {
	const char *filename;
	const halo_catalog *base;  /* the catalog being loaded into (read only) */
	halo_catalog tmp;          /* what this file defines, merged on success */
	bool copied[MAX_MODELS];   /* tmp model is an [extend]ed copy from base */

	/* the open section */
	int sec;
	int sec_line;
	size_t mi;                 /* index in tmp.models */
	size_t quant_base;         /* quants before this index predate the section */
	size_t preset_base;
	int seen[K_COUNT];         /* line where each key was given, 0 = not */
	uint64_t num[K_COUNT];
	double params, active;
	bool kind_moe, kind_dense, kind_hybrid;
	uint32_t *attn;
	size_t n_attn;
	quant_extra *qx;           /* parallel to quants[quant_base..] */
	size_t n_qx;
} parser;

static int perr(const parser *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(const parser *p, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return halo_error_set(HALO_EFORMAT, "%s:%d: %s", p->filename, line, msg);
}

static halo_model *cur(parser *p)
{
	return &p->tmp.models[p->mi];
}

static const char *sec_kind(const parser *p)
{
	return p->sec == SEC_EXTEND ? "extend" : "model";
}

/* Splits `s` in place at whitespace (and commas when `commas`), at most
 * `max` tokens. Returns the count, or max + 1 when there were more. */
static size_t tokenize(char *s, char **tok, size_t max, bool commas)
{
	size_t n = 0;
	for (;;) {
		while (is_space((unsigned char)*s) || (commas && *s == ','))
			s++;
		if (!*s)
			return n;
		if (n == max)
			return max + 1;
		tok[n++] = s;
		while (*s && !is_space((unsigned char)*s) && !(commas && *s == ','))
			s++;
		if (*s)
			*s++ = '\0';
	}
}

static int set_string(parser *p, int line, char **dst, const char *value, size_t max, const char *key)
{
	if (strlen(value) > max)
		return perr(p, line, "value of '%s' is longer than %zu characters", key, max);
	char *d = dup_s(value);
	if (!d)
		return oom();
	free(*dst);
	*dst = d;
	return 0;
}

static int parse_roles(parser *p, int line, char *value)
{
	char *tok[MAX_ROLES + 1];
	size_t n = tokenize(value, tok, MAX_ROLES, true);
	halo_model *m = cur(p);

	if (n > MAX_ROLES)
		return perr(p, line, "more than %d roles", MAX_ROLES);
	if (!n)
		return perr(p, line, "empty value for 'roles'");
	for (size_t i = 0; i < n; i++)
		if (!valid_tag(tok[i]))
			return perr(p, line, "bad role '%s' (lowercase letters, digits and '-')", tok[i]);
	/* roles replace the list: an [extend] restates the roles it wants */
	for (size_t i = 0; i < m->n_roles; i++)
		free(m->roles[i]);
	free(m->roles);
	m->roles = NULL;
	m->n_roles = 0;
	if (!(m->roles = calloc(n, sizeof(char *))))
		return oom();
	for (size_t i = 0; i < n; i++) {
		bool dup = false;
		for (size_t j = 0; j < m->n_roles; j++)
			dup |= !strcmp(m->roles[j], tok[i]);
		if (dup)
			continue;
		if (!(m->roles[m->n_roles] = dup_s(tok[i])))
			return oom();
		m->n_roles++;
	}
	return 0;
}

static int parse_kind(parser *p, int line, char *value)
{
	char *tok[4];
	size_t n = tokenize(value, tok, 3, true);

	if (!n || n > 3)
		return perr(p, line, "kind takes one or two of 'dense', 'moe', 'hybrid'");
	for (size_t i = 0; i < n; i++) {
		bool *flag = !strcmp(tok[i], "dense") ? &p->kind_dense :
			     !strcmp(tok[i], "moe") ? &p->kind_moe :
			     !strcmp(tok[i], "hybrid") ? &p->kind_hybrid : NULL;
		if (!flag)
			return perr(p, line, "unknown kind '%s' (dense, moe, hybrid)", tok[i]);
		if (*flag)
			return perr(p, line, "kind '%s' given twice", tok[i]);
		*flag = true;
	}
	if (p->kind_dense && p->kind_moe)
		return perr(p, line, "a model is either dense or moe, not both");
	return 0;
}

static int parse_attn_list(parser *p, int line, char *value)
{
	char *tok[HALO_MAX_LAYERS + 1];
	size_t n = tokenize(value, tok, HALO_MAX_LAYERS, true);

	if (n > HALO_MAX_LAYERS)
		return perr(p, line, "more than %d attention layers", HALO_MAX_LAYERS);
	if (!n)
		return perr(p, line, "empty value for 'attention_layers'");
	if (!(p->attn = malloc(n * sizeof(uint32_t))))
		return oom();
	for (size_t i = 0; i < n; i++) {
		uint64_t v;
		if (!parse_u64(tok[i], &v))
			return perr(p, line, "bad number '%s' in 'attention_layers'", tok[i]);
		if (v >= HALO_MAX_LAYERS)
			return perr(p, line, "layer %s in 'attention_layers' is out of range (0..%d)",
				    tok[i], HALO_MAX_LAYERS - 1);
		if (i && v <= p->attn[i - 1])
			return perr(p, line, "'attention_layers' must be increasing (%s after %u)",
				    tok[i], p->attn[i - 1]);
		p->attn[i] = (uint32_t)v;
	}
	p->n_attn = n;
	return 0;
}

static int parse_key(parser *p, int line, enum key_id k, char *value)
{
	const struct key_def *d = &key_defs[k];
	halo_model *m = cur(p);
	const char *why;

	switch (d->type) {
	case T_TEXT:
		return set_string(p, line, &m->name, value, MAX_TEXT, d->name);
	case T_URL:
		if (strncmp(value, "https://", 8) && strncmp(value, "http://", 7))
			return perr(p, line, "'%s' must be an http(s) URL", d->name);
		for (const char *c = value; *c; c++)
			if ((unsigned char)*c <= ' ')
				return perr(p, line, "'%s' must be one URL without spaces", d->name);
		return set_string(p, line, &m->source, value, 1024, d->name);
	case T_TAG:
		if (!valid_tag(value))
			return perr(p, line, "bad %s '%s' (lowercase letters, digits, '-', '_', '.')", d->name, value);
		return set_string(p, line, k == K_FAMILY ? &m->family : &m->default_provider, value, MAX_ID, d->name);
	case T_REPO:
		if (!valid_repo(value))
			return perr(p, line, "bad repository '%s' (expected owner/name)", value);
		return set_string(p, line, &m->default_repo, value, 200, d->name);
	case T_PATTERN:
	case T_SPLIT_PATTERN:
		if ((why = check_pattern(value, d->type == T_SPLIT_PATTERN)))
			return perr(p, line, "bad '%s' pattern '%s': %s", d->name, value, why);
		if (!valid_repo_path(value))
			return perr(p, line, "bad '%s' pattern '%s' (a relative path without spaces, '.' or '..')",
				    d->name, value);
		return set_string(p, line, d->type == T_PATTERN ? &m->file_pattern : &m->split_pattern,
				  value, MAX_PATH_LEN, d->name);
	case T_ARCH:
		if (strlen(value) >= sizeof(m->hp.arch))
			return perr(p, line, "arch '%s' is too long", value);
		for (const char *c = value; *c; c++)
			if (!is_alnum((unsigned char)*c) && *c != '_' && *c != '-')
				return perr(p, line, "bad arch '%s'", value);
		memset(m->hp.arch, 0, sizeof(m->hp.arch));
		memcpy(m->hp.arch, value, strlen(value));
		return 0;
	case T_KIND:
		return parse_kind(p, line, value);
	case T_ROLES:
		return parse_roles(p, line, value);
	case T_PARAMS:
		if (!parse_params(value, k == K_PARAMS ? &p->params : &p->active))
			return perr(p, line, "bad parameter count '%s' for '%s' (e.g. 35B, 752M)", value, d->name);
		return 0;
	case T_LIST:
		return parse_attn_list(p, line, value);
	case T_UINT: {
		uint64_t v;
		if (!parse_u64(value, &v)) {
			/* tell overflow apart from typos: both are common in hand edits */
			bool digits = true;
			for (const char *c = value; *c; c++)
				digits &= is_digit((unsigned char)*c);
			if (digits)
				return perr(p, line, "value %s for '%s' is out of range (%llu..%llu)", value,
					    d->name, (unsigned long long)d->min, (unsigned long long)d->max);
			return perr(p, line, "bad number '%s' for '%s'", value, d->name);
		}
		if (v < d->min || v > d->max)
			return perr(p, line, "value %s for '%s' is out of range (%llu..%llu)", value, d->name,
				    (unsigned long long)d->min, (unsigned long long)d->max);
		p->num[k] = v;
		return 0;
	}
	}
	return 0;
}

static int parse_preset(parser *p, int line, const char *name, char *value)
{
	halo_model *m = cur(p);
	char *tok[16];
	size_t n = tokenize(value, tok, 15, false);
	halo_preset ps = { .repeat_penalty = 1.0 };
	bool have_t = false, have_p = false, have_k = false;
	unsigned seen = 0;

	if (!valid_id(name))
		return perr(p, line, "bad preset name '%s'", name);
	if (n > 15)
		return perr(p, line, "too many settings in preset '%s'", name);
	for (size_t i = p->preset_base; i < m->n_presets; i++)
		if (eq_nocase(m->presets[i].name, name))
			return perr(p, line, "duplicate preset '%s' in [%s %s] (first at line %d)", name,
				    sec_kind(p), m->id, m->presets[i].line);
	for (size_t i = 0; i < n; i++) {
		static const char *const names[] = { "temperature", "top_p", "top_k", "min_p",
						     "presence_penalty", "repeat_penalty", "max_tokens" };
		char *eq = strchr(tok[i], '=');
		size_t which;
		double v;

		if (!eq)
			return perr(p, line, "expected key=value in preset '%s', got '%s'", name, tok[i]);
		*eq = '\0';
		for (which = 0; which < sizeof(names) / sizeof(names[0]); which++)
			if (!strcmp(tok[i], names[which]))
				break;
		if (which == sizeof(names) / sizeof(names[0]))
			return perr(p, line, "unknown preset setting '%s' in preset '%s'", tok[i], name);
		if (seen & (1u << which))
			return perr(p, line, "'%s' given twice in preset '%s'", tok[i], name);
		seen |= 1u << which;
		if (!parse_real(eq + 1, &v))
			return perr(p, line, "bad number '%s' for '%s' in preset '%s'", eq + 1, tok[i], name);
		bool ok;
		switch (which) {
		case 0: ps.temperature = v; have_t = true; ok = v >= 0 && v <= 10; break;
		case 1: ps.top_p = v; have_p = true; ok = v > 0 && v <= 1; break;
		case 2: ps.top_k = (int)v; have_k = true; ok = v >= 0 && v <= 1e6 && v == (int)v; break;
		case 3: ps.min_p = v; ok = v >= 0 && v <= 1; break;
		case 4: ps.presence_penalty = v; ok = v >= -2 && v <= 2; break;
		case 5: ps.repeat_penalty = v; ok = v > 0 && v <= 10; break;
		default: ps.max_tokens = (int)v; ok = v >= 0 && v <= 1e8 && v == (int)v; break;
		}
		if (!ok)
			return perr(p, line, "'%s' = %s is out of range in preset '%s'", tok[i], eq + 1, name);
	}
	if (!have_t || !have_p || !have_k)
		return perr(p, line, "preset '%s' needs temperature, top_p and top_k", name);
	if (m->n_presets >= MAX_PRESETS)
		return perr(p, line, "more than %d presets", MAX_PRESETS);

	/* an [extend] may restate a preset the model already has: replace it */
	size_t at = m->n_presets;
	for (size_t i = 0; i < p->preset_base; i++)
		if (eq_nocase(m->presets[i].name, name))
			at = i;
	if (!(ps.name = dup_s(name)))
		return oom();
	ps.line = line;
	if (at < m->n_presets) {
		free(m->presets[at].name);
		m->presets[at] = ps;
		return 0;
	}
	halo_preset *np = realloc(m->presets, (m->n_presets + 1) * sizeof(*np));
	if (!np) {
		free(ps.name);
		return oom();
	}
	m->presets = np;
	m->presets[m->n_presets++] = ps;
	return 0;
}

/* Size tokens: "22.2GB", "22.2 GB", "~6.5GB", "estimate". */
static int parse_quant_size(parser *p, int line, const char *qname, char **tok, size_t n, size_t *used,
			    halo_quant *q, quant_extra *x)
{
	const char *s = tok[0], *end;
	uint64_t mant;
	unsigned fd;

	*used = 1;
	if (!strcmp(s, "estimate")) {
		x->estimate = true;
		return 0;
	}
	if (*s == '~') {
		x->guessed = true;
		s++;
	}
	if (!(end = halo_decimal_parse(s, &mant, &fd)))
		return perr(p, line, "bad size '%s' for quant '%s' (e.g. 22.2GB, ~6GB, estimate)", tok[0], qname);
	/* "22.2 GB" arrives as two tokens */
	char joined[64];
	if (!*end && n > 1 && tok[1][0] && halo_size_unit(tok[1])) {
		snprintf(joined, sizeof(joined), "%s%s", s, tok[1]);
		end = joined + (end - s);
		s = joined;
		*used = 2;
	}
	uint64_t unit = *end ? halo_size_unit(end) : 0;
	if (!unit)
		return perr(p, line, "size '%s' of quant '%s' needs a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)",
			    tok[0], qname);
	if (unit == 1 && fd)
		return perr(p, line, "size '%s' of quant '%s' has a fraction of a byte", tok[0], qname);
	if (halo_size_parse(s, &q->size_bytes, &q->size_tolerance, NULL))
		return perr(p, line, "size '%s' of quant '%s' is out of range", tok[0], qname);
	if (!q->size_bytes)
		return perr(p, line, "size of quant '%s' must not be 0", qname);
	if (x->guessed) {
		q->size_estimated = true;
		if (q->size_tolerance < q->size_bytes / 10)
			q->size_tolerance = q->size_bytes / 10;
	}
	return 0;
}

static int add_file(halo_quant *q, char *file)
{
	char **f = realloc(q->files, (q->n_files + 1) * sizeof(*f));
	if (!f) {
		free(file);
		return oom();
	}
	q->files = f;
	q->files[q->n_files++] = file;
	return 0;
}

static int parse_quant(parser *p, int line, const char *name, char *value)
{
	halo_model *m = cur(p);
	char *tok[MAX_PARTS + 16];
	size_t n = tokenize(value, tok, MAX_PARTS + 15, false), used;
	halo_quant q = { .line = line };
	quant_extra x = { 0 };
	int rc;

	if (!valid_id(name))
		return perr(p, line, "bad quant name '%s' (letters, digits, '.', '_', '-')", name);
	if (n > MAX_PARTS + 15)
		return perr(p, line, "too many options for quant '%s'", name);
	if (!n)
		return perr(p, line, "quant '%s' needs a size", name);
	if (m->n_quants >= MAX_QUANTS)
		return perr(p, line, "more than %d quants", MAX_QUANTS);
	if (!(q.name = dup_s(name)))
		return oom();
	if ((rc = parse_quant_size(p, line, name, tok, n, &used, &q, &x)))
		goto fail;
	for (size_t i = used; i < n; i++) {
		char *opt = tok[i], *eq = strchr(opt, '=');
		if (!eq || eq == opt || !eq[1]) {
			rc = perr(p, line, "expected option=value for quant '%s', got '%s'", name, opt);
			goto fail;
		}
		*eq++ = '\0';
		if (!strcmp(opt, "provider") || !strcmp(opt, "repo")) {
			bool prov = opt[0] == 'p';
			char **dst = prov ? &q.provider : &q.repo;
			if (*dst) {
				rc = perr(p, line, "'%s' given twice for quant '%s'", opt, name);
				goto fail;
			}
			if (prov ? !valid_tag(eq) : !valid_repo(eq)) {
				rc = perr(p, line, "bad %s '%s' for quant '%s'", opt, eq, name);
				goto fail;
			}
			if (!(*dst = dup_s(eq))) {
				rc = oom();
				goto fail;
			}
		} else if (!strcmp(opt, "file")) {
			if (!valid_repo_path(eq)) {
				rc = perr(p, line, "bad file '%s' for quant '%s' (a relative path without spaces, '.' or '..')",
					  eq, name);
				goto fail;
			}
			if (q.n_files >= MAX_PARTS) {
				rc = perr(p, line, "more than %d files for quant '%s'", MAX_PARTS, name);
				goto fail;
			}
			char *f = dup_s(eq);
			if (!f || (rc = add_file(&q, f))) {
				rc = f ? rc : oom();
				goto fail;
			}
		} else if (!strcmp(opt, "parts")) {
			uint64_t v;
			bool est = *eq == '~';
			if (x.parts) {
				rc = perr(p, line, "'parts' given twice for quant '%s'", name);
				goto fail;
			}
			if (!parse_u64(eq + est, &v) || v < 1 || v > MAX_PARTS) {
				rc = perr(p, line, "bad parts '%s' for quant '%s' (1..%d, '~' prefix if unsure)", eq, name,
					  MAX_PARTS);
				goto fail;
			}
			x.parts = (unsigned)v;
			q.parts_estimated = est;
		} else if (!strcmp(opt, "bpw")) {
			if (!x.estimate) {
				rc = perr(p, line, "'bpw' only applies to an 'estimate' size (quant '%s')", name);
				goto fail;
			}
			if (!parse_real(eq, &x.bpw) || x.bpw <= 0 || x.bpw > 64) {
				rc = perr(p, line, "bad bpw '%s' for quant '%s'", eq, name);
				goto fail;
			}
		} else {
			rc = perr(p, line, "unknown option '%s' for quant '%s' (provider, repo, file, parts, bpw)", opt,
				  name);
			goto fail;
		}
	}
	if (q.n_files && x.parts) {
		rc = perr(p, line, "quant '%s': give file= or parts=, not both", name);
		goto fail;
	}

	halo_quant *nq = realloc(m->quants, (m->n_quants + 1) * sizeof(*nq));
	if (!nq)
		goto nomem;
	m->quants = nq;
	quant_extra *nx = realloc(p->qx, (p->n_qx + 1) * sizeof(*nx));
	if (!nx)
		goto nomem;
	p->qx = nx;
	m->quants[m->n_quants++] = q;
	p->qx[p->n_qx++] = x;
	return 0;
nomem:
	rc = oom();
fail:
	quant_free(&q);
	return rc;
}

/* ------------------------------------------------------ finishing sections */

/* Fills in each new quant's provider, repo, files and size from the
 * section's defaults, then checks for duplicates. */
static int finish_quants(parser *p)
{
	halo_model *m = cur(p);

	for (size_t i = p->quant_base; i < m->n_quants; i++) {
		halo_quant *q = &m->quants[i];
		quant_extra *x = &p->qx[i - p->quant_base];

		if (!q->provider && (!m->default_provider || !(q->provider = dup_s(m->default_provider))))
			return m->default_provider ? oom() :
				perr(p, q->line, "quant '%s' has no provider (add provider= or a 'provider' key)", q->name);
		if (!q->repo && (!m->default_repo || !(q->repo = dup_s(m->default_repo))))
			return m->default_repo ? oom() :
				perr(p, q->line, "quant '%s' has no repository (add repo= or a 'repo' key)", q->name);
		if (!q->n_files) {
			unsigned parts = x->parts ? x->parts : 1;
			const char *pat = parts > 1 ? m->split_pattern : m->file_pattern;
			if (!pat)
				return perr(p, q->line, "quant '%s' has no file (add file= or a '%s' key)", q->name,
					    parts > 1 ? "split_file" : "file");
			for (unsigned part = 1; part <= parts; part++) {
				char *f = expand_pattern(pat, q->name, part, parts);
				int rc;
				if (!f)
					return oom();
				if (!valid_repo_path(f)) {
					rc = perr(p, q->line, "file name '%s' of quant '%s' is not a valid path", f, q->name);
					free(f);
					return rc;
				}
				if ((rc = add_file(q, f)))
					return rc;
			}
		}
		if (x->estimate) {
			double bpw = x->bpw ? x->bpw : halo_catalog_quant_bpw(q->name);
			double params = p->sec == SEC_MODEL ? p->params : m->params_total;
			if (!bpw)
				return perr(p, q->line, "no bits-per-weight figure for quant '%s': add bpw=", q->name);
			if (!(params > 0))
				return perr(p, q->line, "quant '%s': 'estimate' needs 'params'", q->name);
			double bytes = params * bpw / 8.0;
			if (!(bytes >= 1 && bytes < 1e18))
				return perr(p, q->line, "estimated size of quant '%s' is out of range", q->name);
			q->size_bytes = (uint64_t)(bytes + 0.5);
			q->size_tolerance = q->size_bytes / 10;
			q->size_estimated = true;
		}
	}

	/* (name, provider) is the key: the same quant may come from two providers */
	for (size_t i = p->quant_base; i < m->n_quants; i++)
		for (size_t j = p->quant_base; j < i; j++)
			if (eq_nocase(m->quants[i].name, m->quants[j].name) &&
			    !strcmp(m->quants[i].provider, m->quants[j].provider))
				return perr(p, m->quants[i].line,
					    "duplicate quant '%s' from %s in [%s %s] (first at line %d)",
					    m->quants[i].name, m->quants[i].provider, sec_kind(p), m->id,
					    m->quants[j].line);

	/* in an [extend], a quant the model already had is replaced in place */
	for (size_t i = p->quant_base; i < m->n_quants;) {
		size_t old = SIZE_MAX;
		for (size_t j = 0; j < p->quant_base; j++)
			if (eq_nocase(m->quants[i].name, m->quants[j].name) &&
			    !strcmp(m->quants[i].provider, m->quants[j].provider))
				old = j;
		if (old == SIZE_MAX) {
			i++;
			continue;
		}
		quant_free(&m->quants[old]);
		m->quants[old] = m->quants[i];
		memmove(&m->quants[i], &m->quants[i + 1], (m->n_quants - i - 1) * sizeof(halo_quant));
		m->n_quants--;
	}
	return 0;
}

static uint32_t num32(const parser *p, enum key_id k)
{
	return (uint32_t)p->num[k];
}

/* Cross-checks a [model] section and builds its halo_hparams. */
static int finish_model(parser *p)
{
	static const enum key_id required[] = { K_KIND, K_ARCH, K_LAYERS, K_HIDDEN, K_VOCAB, K_CONTEXT, K_HEADS,
						 K_KV_HEADS, K_PARAMS };
	static const enum key_id moe_keys[] = { K_EXPERTS, K_EXPERTS_USED, K_EXPERTS_SHARED, K_EXPERT_FFN,
						 K_SHEXP_FFN, K_ACTIVE_PARAMS };
	static const enum key_id hybrid_keys[] = { K_LIN_CONV, K_LIN_KHEADS, K_LIN_VHEADS, K_LIN_KDIM, K_LIN_VDIM };
	halo_model *m = cur(p);
	halo_hparams *hp = &m->hp;
	const char *id = m->id;
	int line = p->sec_line;

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!p->seen[required[i]])
			return perr(p, line, "[model %s] is missing '%s'", id, key_defs[required[i]].name);
	if (!p->seen[K_HEAD_DIM] && !(p->seen[K_HEAD_DIM_K] && p->seen[K_HEAD_DIM_V]))
		return perr(p, line, "[model %s] is missing 'head_dim' (or head_dim_k and head_dim_v)", id);
	if (p->seen[K_HEAD_DIM] && (p->seen[K_HEAD_DIM_K] || p->seen[K_HEAD_DIM_V]))
		return perr(p, p->seen[K_HEAD_DIM], "give 'head_dim' or head_dim_k/head_dim_v, not both");

	if (p->kind_moe) {
		static const enum key_id moe_required[] = { K_EXPERTS, K_EXPERTS_USED, K_EXPERT_FFN, K_ACTIVE_PARAMS };
		for (size_t i = 0; i < sizeof(moe_required) / sizeof(moe_required[0]); i++) {
			enum key_id k = moe_required[i];
			if (!p->seen[k])
				return perr(p, line, "[model %s] is kind moe but has no '%s'", id, key_defs[k].name);
		}
		if (p->num[K_EXPERTS_USED] > p->num[K_EXPERTS])
			return perr(p, p->seen[K_EXPERTS_USED], "experts_used (%llu) is more than experts (%llu)",
				    (unsigned long long)p->num[K_EXPERTS_USED], (unsigned long long)p->num[K_EXPERTS]);
		if (p->num[K_EXPERTS_SHARED] && !p->seen[K_SHEXP_FFN])
			return perr(p, line, "[model %s] has shared experts but no 'shared_expert_ffn'", id);
		if (!p->num[K_EXPERTS_SHARED] && p->seen[K_SHEXP_FFN])
			return perr(p, p->seen[K_SHEXP_FFN], "'shared_expert_ffn' needs experts_shared > 0");
	} else {
		for (size_t i = 0; i < sizeof(moe_keys) / sizeof(moe_keys[0]); i++)
			if (p->seen[moe_keys[i]])
				return perr(p, p->seen[moe_keys[i]], "'%s' needs kind moe", key_defs[moe_keys[i]].name);
		if (!p->seen[K_FFN])
			return perr(p, line, "[model %s] is dense but has no 'ffn'", id);
	}

	if (p->kind_hybrid) {
		if (!p->seen[K_INTERVAL] == !p->seen[K_ATTN_LAYERS])
			return perr(p, line, "[model %s] is hybrid: give full_attention_interval or attention_layers (one)",
				    id);
		for (size_t i = 0; i < sizeof(hybrid_keys) / sizeof(hybrid_keys[0]); i++)
			if (!p->seen[hybrid_keys[i]])
				return perr(p, line, "[model %s] is hybrid but has no '%s'", id,
					    key_defs[hybrid_keys[i]].name);
		if (p->num[K_LIN_VHEADS] % p->num[K_LIN_KHEADS])
			return perr(p, p->seen[K_LIN_VHEADS], "linear_value_heads (%llu) is not a multiple of "
				    "linear_key_heads (%llu)", (unsigned long long)p->num[K_LIN_VHEADS],
				    (unsigned long long)p->num[K_LIN_KHEADS]);
		if (p->num[K_LIN_VHEADS] * p->num[K_LIN_VDIM] > UINT32_MAX)
			return perr(p, p->seen[K_LIN_VDIM], "linear_value_heads * linear_value_head_dim overflows");
	} else {
		if (p->seen[K_INTERVAL] || p->seen[K_ATTN_LAYERS])
			return perr(p, p->seen[K_INTERVAL] ? p->seen[K_INTERVAL] : p->seen[K_ATTN_LAYERS],
				    "a layer pattern needs kind hybrid");
		for (size_t i = 0; i < sizeof(hybrid_keys) / sizeof(hybrid_keys[0]); i++)
			if (p->seen[hybrid_keys[i]])
				return perr(p, p->seen[hybrid_keys[i]], "'%s' needs kind hybrid",
					    key_defs[hybrid_keys[i]].name);
	}

	uint64_t layers = p->num[K_LAYERS];
	if (layers + p->num[K_NEXTN] > HALO_MAX_LAYERS)
		return perr(p, p->seen[K_NEXTN], "layers + nextn_layers is more than %d", HALO_MAX_LAYERS);
	if (p->seen[K_INTERVAL] && p->num[K_INTERVAL] > layers)
		return perr(p, p->seen[K_INTERVAL], "full_attention_interval (%llu) is more than layers (%llu)",
			    (unsigned long long)p->num[K_INTERVAL], (unsigned long long)layers);
	if (p->n_attn && p->attn[p->n_attn - 1] >= layers)
		return perr(p, p->seen[K_ATTN_LAYERS], "attention layer %u is not below layers (%llu)",
			    p->attn[p->n_attn - 1], (unsigned long long)layers);
	if (p->num[K_HEADS] % p->num[K_KV_HEADS])
		return perr(p, p->seen[K_KV_HEADS], "heads (%llu) is not a multiple of kv_heads (%llu)",
			    (unsigned long long)p->num[K_HEADS], (unsigned long long)p->num[K_KV_HEADS]);
	if (p->num[K_CONTEXT_YARN] && p->num[K_CONTEXT_YARN] < p->num[K_CONTEXT])
		return perr(p, p->seen[K_CONTEXT_YARN], "context_yarn is below context");
	if (!p->seen[K_ACTIVE_PARAMS])
		p->active = p->params;
	if (p->active > p->params)
		return perr(p, p->seen[K_ACTIVE_PARAMS], "active_params is more than params");

	m->moe = p->kind_moe;
	m->hybrid = p->kind_hybrid;
	m->params_total = p->params;
	m->params_active = p->active;
	if (!m->name && !(m->name = dup_s(m->id)))
		return oom();

	char arch[sizeof(hp->arch)];
	memcpy(arch, hp->arch, sizeof(arch));
	memset(hp, 0, sizeof(*hp));
	memcpy(hp->arch, arch, sizeof(arch));
	hp->n_layer = (uint32_t)layers;
	hp->n_layer_nextn = num32(p, K_NEXTN);
	hp->n_embd = num32(p, K_HIDDEN);
	hp->n_vocab = num32(p, K_VOCAB);
	hp->n_ctx_train = p->num[K_CONTEXT];
	hp->n_ctx_yarn = p->num[K_CONTEXT_YARN];
	hp->head_dim_k = num32(p, p->seen[K_HEAD_DIM] ? K_HEAD_DIM : K_HEAD_DIM_K);
	hp->head_dim_v = num32(p, p->seen[K_HEAD_DIM] ? K_HEAD_DIM : K_HEAD_DIM_V);
	halo_hparams_set_heads(hp, num32(p, K_HEADS), num32(p, K_KV_HEADS));
	if (p->seen[K_INTERVAL]) {
		halo_hparams_set_full_attention_interval(hp, num32(p, K_INTERVAL));
	} else if (p->n_attn) {
		for (uint32_t i = 0; i < hp->n_layer; i++)
			hp->layer_kind[i] = HALO_LAYER_RECURRENT;
		for (size_t i = 0; i < p->n_attn; i++)
			hp->layer_kind[p->attn[i]] = HALO_LAYER_ATTENTION;
	}
	if (p->kind_hybrid) {
		/* the same mapping llama.cpp's converter uses for Gated DeltaNet */
		hp->ssm_d_conv = num32(p, K_LIN_CONV);
		hp->ssm_d_inner = (uint32_t)(p->num[K_LIN_VHEADS] * p->num[K_LIN_VDIM]);
		hp->ssm_d_state = num32(p, K_LIN_KDIM);
		hp->ssm_n_group = num32(p, K_LIN_KHEADS);
		hp->ssm_dt_rank = num32(p, K_LIN_VHEADS);
	}
	hp->n_ff = num32(p, K_FFN);
	hp->n_expert = num32(p, K_EXPERTS);
	hp->n_expert_used = num32(p, K_EXPERTS_USED);
	hp->n_expert_shared = num32(p, K_EXPERTS_SHARED);
	hp->n_ff_exp = num32(p, K_EXPERT_FFN);
	hp->n_ff_shexp = num32(p, K_SHEXP_FFN);
	return 0;
}

static void reset_section(parser *p)
{
	free(p->attn);
	free(p->qx);
	p->attn = NULL;
	p->qx = NULL;
	p->n_attn = p->n_qx = 0;
	memset(p->seen, 0, sizeof(p->seen));
	memset(p->num, 0, sizeof(p->num));
	p->params = p->active = 0;
	p->kind_moe = p->kind_dense = p->kind_hybrid = false;
	p->sec = SEC_NONE;
}

static int finish_section(parser *p)
{
	int rc = 0;
	if (p->sec == SEC_MODEL)
		rc = finish_model(p);
	if (!rc && p->sec != SEC_NONE)
		rc = finish_quants(p);
	reset_section(p);
	return rc;
}

static int open_section(parser *p, int line, char *text)
{
	char *tok[3];
	size_t n = tokenize(text, tok, 2, false);
	int rc;

	if ((rc = finish_section(p)))
		return rc;
	if (n != 2)
		return perr(p, line, "bad section header (expected [model ID] or [extend ID])");
	if (strcmp(tok[0], "model") && strcmp(tok[0], "extend"))
		return perr(p, line, "unknown section type '%s' (model, extend)", tok[0]);
	if (!valid_id(tok[1]))
		return perr(p, line, "bad model id '%s' (letters, digits, '.', '_', '-'; at most %d)", tok[1], MAX_ID);

	ptrdiff_t in_tmp = catalog_index(&p->tmp, tok[1]);
	p->sec = tok[0][0] == 'm' ? SEC_MODEL : SEC_EXTEND;
	p->sec_line = line;

	if (p->sec == SEC_MODEL) {
		if (in_tmp >= 0 && !p->copied[in_tmp])
			return perr(p, line, "duplicate model '%s' (first defined at line %d)", tok[1],
				    p->tmp.models[in_tmp].line);
		/* a [model] after an [extend] of the same id replaces the extended copy */
		size_t at = in_tmp >= 0 ? (size_t)in_tmp : p->tmp.n_models;
		if (in_tmp < 0 && p->tmp.n_models >= MAX_MODELS)
			return perr(p, line, "more than %d models", MAX_MODELS);
		if ((rc = catalog_reserve(&p->tmp, p->tmp.n_models + 1)))
			return rc;
		halo_model *m = &p->tmp.models[at];
		if (in_tmp >= 0)
			model_free(m);
		else
			p->tmp.n_models++;
		memset(m, 0, sizeof(*m));
		p->copied[at] = false;
		p->mi = at;
		if (!(m->id = dup_s(tok[1])) || !(m->file = dup_s(p->filename)))
			return oom();
		m->line = line;
	} else if (in_tmp >= 0) {
		p->mi = (size_t)in_tmp;
	} else {
		ptrdiff_t in_base = p->base ? catalog_index(p->base, tok[1]) : -1;
		if (in_base < 0)
			return perr(p, line, "[extend %s]: no such model (define it with [model %s])", tok[1], tok[1]);
		if (p->tmp.n_models >= MAX_MODELS)
			return perr(p, line, "more than %d models", MAX_MODELS);
		if ((rc = catalog_reserve(&p->tmp, p->tmp.n_models + 1)) ||
		    (rc = model_copy(&p->tmp.models[p->tmp.n_models], &p->base->models[in_base])))
			return rc;
		p->copied[p->tmp.n_models] = true;
		p->mi = p->tmp.n_models++;
	}
	cur(p)->seq = ++p->tmp.seq;
	p->quant_base = cur(p)->n_quants;
	p->preset_base = cur(p)->n_presets;
	return 0;
}

static int parse_line(parser *p, int line, char *s)
{
	/* comments: a line starting with '#', or ' #' after a value */
	while (is_space((unsigned char)*s))
		s++;
	if (!*s || *s == '#')
		return 0;
	for (char *c = s + 1; *c; c++)
		if (*c == '#' && is_space((unsigned char)c[-1])) {
			*c = '\0';
			break;
		}
	size_t len = strlen(s);
	while (len && is_space((unsigned char)s[len - 1]))
		s[--len] = '\0';

	if (*s == '[') {
		if (s[len - 1] != ']')
			return perr(p, line, "section header without closing ']'");
		s[len - 1] = '\0';
		return open_section(p, line, s + 1);
	}

	char *eq = strchr(s, '=');
	if (!eq)
		return perr(p, line, "expected 'key = value'");
	*eq = '\0';
	char *value = eq + 1;
	while (is_space((unsigned char)*value))
		value++;
	char *tok[3];
	size_t n = tokenize(s, tok, 2, false);
	if (!n)
		return perr(p, line, "missing key before '='");
	if (p->sec == SEC_NONE)
		return perr(p, line, "key '%s' outside of a [model ...] section", tok[0]);
	if (!*value)
		return perr(p, line, "empty value for '%s'", tok[0]);

	halo_model *m = cur(p);
	if (!strcmp(tok[0], "quant") || !strcmp(tok[0], "preset")) {
		if (n != 2)
			return perr(p, line, "expected '%s NAME = ...'", tok[0]);
		return tok[0][0] == 'q' ? parse_quant(p, line, tok[1], value) : parse_preset(p, line, tok[1], value);
	}
	if (n != 1)
		return perr(p, line, "unknown key '%s %s' in [%s %s]", tok[0], tok[1], sec_kind(p), m->id);
	for (int k = 0; k < K_COUNT; k++) {
		if (strcmp(tok[0], key_defs[k].name))
			continue;
		if (p->sec == SEC_EXTEND && !key_defs[k].extend_ok)
			return perr(p, line, "'%s' cannot be changed in [extend %s]; redefine it with [model %s]",
				    tok[0], m->id, m->id);
		if (p->seen[k])
			return perr(p, line, "duplicate key '%s' in [%s %s] (first at line %d)", tok[0], sec_kind(p),
				    m->id, p->seen[k]);
		p->seen[k] = line;
		return parse_key(p, line, (enum key_id)k, value);
	}
	return perr(p, line, "unknown key '%s' in [%s %s]", tok[0], sec_kind(p), m->id);
}

static int by_seq(const void *a, const void *b)
{
	const halo_model *x = *(const halo_model *const *)a, *y = *(const halo_model *const *)b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Moves every model of `src` into `cat`: an existing id is replaced in its
 * slot, a new one appended. All allocation happens before the first move,
 * so this either does everything or nothing.
 */
static int merge(halo_catalog *cat, halo_catalog *src)
{
	halo_model **order;
	int rc;

	if (!src->n_models)
		return 0;
	if ((rc = catalog_reserve(cat, cat->n_models + src->n_models)))
		return rc;
	if (!(order = malloc(src->n_models * sizeof(*order))))
		return oom();
	for (size_t i = 0; i < src->n_models; i++)
		order[i] = &src->models[i];
	/* definition order decides which top-pick wins; array order (the order
	 * models are listed in) stays the order they first appeared in */
	qsort(order, src->n_models, sizeof(*order), by_seq);
	for (size_t i = 0; i < src->n_models; i++)
		order[i]->seq = ++cat->seq;
	free(order);
	for (size_t i = 0; i < src->n_models; i++) {
		halo_model *m = &src->models[i];
		ptrdiff_t at = catalog_index(cat, m->id);
		if (at >= 0) {
			model_free(&cat->models[at]);
			cat->models[at] = *m;
		} else {
			cat->models[cat->n_models++] = *m;
		}
		memset(m, 0, sizeof(*m));
	}
	src->n_models = 0;
	return 0;
}

/* Parses into a scratch catalog whose extends start from `base`. */
static int parse_into(halo_catalog *tmp, const halo_catalog *base, const char *text, size_t len,
		      const char *filename)
{
	parser p = { .filename = filename ? filename : "(catalog)", .base = base };
	int rc = 0, line = 1;

	if (!text && len)
		return halo_error_set(HALO_EUSAGE, "catalog text is NULL");
	if (len > HALO_CATALOG_MAX_FILE)
		return halo_error_set(HALO_ENOMEM, "%s: catalog is larger than %zu bytes", p.filename,
				      HALO_CATALOG_MAX_FILE);
	halo_catalog_init(&p.tmp);
	p.tmp.seq = tmp->seq;

	char *buf = dup_n(text ? text : "", len);
	if (!buf)
		return oom();
	const char *nul = memchr(buf, '\0', len);
	if (nul) {
		/* a NUL would silently cut the line short: refuse, naming its line */
		for (const char *c = buf; c < nul; c++)
			line += *c == '\n';
		rc = perr(&p, line, "NUL byte in catalog text");
		goto out;
	}
	for (char *s = buf; *s || s == buf;) {
		char *nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		if ((rc = parse_line(&p, line, s)))
			goto out;
		if (!nl)
			break;
		s = nl + 1;
		line++;
	}
	if ((rc = finish_section(&p)))
		goto out;
	rc = merge(tmp, &p.tmp);
out:
	reset_section(&p);
	free(buf);
	halo_catalog_free(&p.tmp);
	return rc;
}

int halo_catalog_load_buffer(halo_catalog *cat, const char *text, size_t len, const char *filename)
{
	if (!cat)
		return halo_error_set(HALO_EUSAGE, "catalog is NULL");
	return parse_into(cat, cat, text, len, filename);
}

/* ----------------------------------------------------------------- files */

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	halo_buf b = HALO_BUF_INIT;
	char chunk[16384];
	size_t n;
	int rc;

	if (!f)
		return halo_error_set(errno == ENOENT ? HALO_ENOTFOUND : HALO_EIO, "cannot open '%s': %s", path,
				      strerror(errno));
	halo_buf_init(&b, HALO_CATALOG_MAX_FILE);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((rc = halo_buf_add(&b, chunk, n))) {
			fclose(f);
			halo_buf_free(&b);
			return halo_error_set(rc, "'%s' is larger than %zu bytes", path, HALO_CATALOG_MAX_FILE);
		}
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		halo_buf_free(&b);
		return halo_error_set(HALO_EIO, "cannot read '%s': %s", path, strerror(e));
	}
	fclose(f);
	*len = b.len;
	*out = halo_buf_detach(&b);
	return 0;
}

static int load_file_into(halo_catalog *tmp, const halo_catalog *base, const char *path)
{
	char *text;
	size_t len;
	int rc = read_file(path, &text, &len);
	if (rc)
		return rc;
	rc = parse_into(tmp, base, text, len, path);
	free(text);
	return rc;
}

int halo_catalog_load_file(halo_catalog *cat, const char *path)
{
	if (!cat || !path)
		return halo_error_set(HALO_EUSAGE, "catalog or path is NULL");
	return load_file_into(cat, cat, path);
}

int halo_catalog_user_path(char *buf, size_t size)
{
	return halo_user_path(HALO_DIR_CONFIG, "models.conf", buf, size);
}

int halo_catalog_load_builtin(halo_catalog *cat)
{
	return halo_catalog_load_buffer(cat, halo_catalog_default, halo_catalog_default_len, HALO_CATALOG_DEFAULT_NAME);
}

int halo_catalog_load_default(halo_catalog *cat, const char *user_path)
{
	halo_catalog tmp;
	char path[4096];
	int rc;

	if (!cat)
		return halo_error_set(HALO_EUSAGE, "catalog is NULL");
	/* load both into a scratch catalog so a bad user file changes nothing */
	halo_catalog_init(&tmp);
	tmp.seq = cat->seq;
	if ((rc = parse_into(&tmp, &tmp, halo_catalog_default, halo_catalog_default_len,
			     HALO_CATALOG_DEFAULT_NAME)))
		goto out;
	if (user_path) {
		rc = load_file_into(&tmp, &tmp, user_path);
	} else if (halo_catalog_user_path(path, sizeof(path)) == 0) {
		rc = load_file_into(&tmp, &tmp, path);
		if (rc == HALO_ENOTFOUND)
			rc = 0;
	}
	if (!rc)
		rc = merge(cat, &tmp);
out:
	halo_catalog_free(&tmp);
	if (!rc)
		halo_error_clear();
	return rc;
}

/* --------------------------------------------------------------- lookups */

const halo_model *halo_catalog_find(const halo_catalog *cat, const char *name)
{
	if (!cat || !name) {
		halo_error_set(HALO_EUSAGE, "catalog or model name is NULL");
		return NULL;
	}
	/* ids first: a display name must not shadow another model's id */
	ptrdiff_t i = catalog_index(cat, name);
	if (i >= 0)
		return &cat->models[i];
	for (size_t j = 0; j < cat->n_models; j++)
		if (cat->models[j].name && eq_nocase(cat->models[j].name, name))
			return &cat->models[j];
	halo_error_set(HALO_ENOTFOUND, "unknown model '%s'", name);
	return NULL;
}

const halo_model *halo_catalog_match_served(const halo_catalog *cat, const char *text)
{
	const halo_model *best = NULL;
	size_t best_len = 0;
	if (!cat || !text)
		return NULL;
	for (size_t i = 0; i < cat->n_models; i++) {
		const char *names[2] = { cat->models[i].id, cat->models[i].name };
		for (int k = 0; k < 2; k++) {
			size_t len = names[k] ? strlen(names[k]) : 0;
			if (len > best_len && strcasestr(text, names[k])) {
				best = &cat->models[i];
				best_len = len;
			}
		}
	}
	return best;
}

const halo_quant *halo_catalog_find_quant(const halo_model *model, const char *name)
{
	if (!model || !name) {
		halo_error_set(HALO_EUSAGE, "model or quant name is NULL");
		return NULL;
	}
	const char *at = strchr(name, '@');
	size_t nlen = at ? (size_t)(at - name) : strlen(name);
	for (size_t i = 0; i < model->n_quants; i++) {
		const halo_quant *q = &model->quants[i];
		if (strlen(q->name) != nlen)
			continue;
		bool same = true;
		for (size_t c = 0; c < nlen && same; c++)
			same = lower((unsigned char)q->name[c]) == lower((unsigned char)name[c]);
		if (same && (!at || eq_nocase(q->provider, at + 1)))
			return q;
	}
	halo_error_set(HALO_ENOTFOUND, "model '%s' has no quant '%s'", model->id, name);
	return NULL;
}

const halo_model *halo_catalog_top_pick(const halo_catalog *cat)
{
	const halo_model *best = NULL;
	for (size_t i = 0; cat && i < cat->n_models; i++)
		if (halo_model_has_role(&cat->models[i], "top-pick") && (!best || cat->models[i].seq > best->seq))
			best = &cat->models[i];
	if (!best)
		halo_error_set(HALO_ENOTFOUND, "no model in the catalog has the role 'top-pick'");
	return best;
}

bool halo_model_has_role(const halo_model *model, const char *role)
{
	for (size_t i = 0; model && role && i < model->n_roles; i++)
		if (eq_nocase(model->roles[i], role))
			return true;
	return false;
}

const halo_preset *halo_model_find_preset(const halo_model *model, const char *name)
{
	for (size_t i = 0; model && name && i < model->n_presets; i++)
		if (eq_nocase(model->presets[i].name, name))
			return &model->presets[i];
	halo_error_set(HALO_ENOTFOUND, "model '%s' has no preset '%s'", model ? model->id : "(null)",
		       name ? name : "(null)");
	return NULL;
}

double halo_catalog_quant_bpw(const char *quant)
{
	/*
	 * Whole-file averages of llama.cpp's quantization mixes as commonly
	 * quoted for Llama-class models (embeddings and output kept at higher
	 * precision). Models with very large vocabularies come out a few percent
	 * larger, which the 10% tolerance of an estimate absorbs.
	 */
	static const struct {
		const char *name;
		double bpw;
	} table[] = {
		{ "Q3_K_S", 3.50 }, { "Q3_K_M", 3.91 }, { "Q3_K_L", 4.27 },
		{ "IQ4_XS", 4.25 }, { "IQ4_NL", 4.50 }, { "Q4_0", 4.55 },
		{ "Q4_K_S", 4.58 }, { "Q4_K_M", 4.85 }, { "Q5_K_S", 5.54 },
		{ "Q5_K_M", 5.69 }, { "Q6_K", 6.56 }, { "Q8_0", 8.50 },
		{ "F16", 16.0 }, { "BF16", 16.0 }, { "F32", 32.0 },
	};
	for (size_t i = 0; quant && i < sizeof(table) / sizeof(table[0]); i++)
		if (eq_nocase(table[i].name, quant))
			return table[i].bpw;
	return 0;
}
