/*
 * HumanEval+ / MBPP+ with evalplus semantics (evalplus.h, docs/evalplus.md).
 *
 * The C side owns everything that needs no Python: prompts, picking the code
 * block out of an answer, the ground-truth cache, time limits, the sandbox and
 * the verdict. Executing and comparing is done by the embedded worker
 * (evalplus_worker.py) so values keep Python's exact semantics.
 */
#include "eval/evalplus.h"

#include "buf.h"
#include "error.h"
#include "paths.h"
#include "sandbox.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* cmake/embed.cmake: src/lib/eval/evalplus_worker.py */
extern const char halo_evalplus_worker_py[];
extern const size_t halo_evalplus_worker_py_len;

#define MARKER "HALO-EVALPLUS-REPLY"
#define REPLY_CAP ((size_t)64 << 20)       /* a reply line, truth included */
#define CACHE_FILE_CAP ((long long)1 << 31) /* a ground-truth cache file */
#define SAMPLE_LINE_CAP ((size_t)64 << 20)
#define STARTUP_MARGIN_S 15.0 /* interpreter start, request parsing, sanitizing (5 s budget) */
#define TRUTH_TIMEOUT_S 900.0
#define PHASE_SLACK_S 2.0 /* evalplus: min(cap, sum) + 1, then joined with another + 1 */

static const char INSTRUCTION[] =
	"Please provide a self-contained Python script that solves the following problem in a markdown code block:";

typedef struct ep_task {
	char *id, *prompt, *entry_point, *canonical;
	char *base_raw, *plus_raw, *atol_raw;
	size_t n_base, n_plus;
	char *base_expected, *plus_expected; /* the worker's tagged JSON, as text */
	double *base_time, *plus_time;
} ep_task;

struct halo_evalplus {
	halo_dataset_kind kind;
	char *python;
	char *tmp_parent;
	double min_limit, factor, phase_cap;
	uint64_t mem_bytes;
	char sha256[65];
	ep_task *tasks;
	size_t n_tasks, alloc_tasks;
};

/* ---- small helpers ------------------------------------------------------ */

static char *xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

static char *xstrdup0(const char *s)
{
	return s ? xstrndup(s, strlen(s)) : NULL;
}

/* JSON string literal of s[0..n): escapes quotes, backslashes and control
 * bytes, passes other bytes through (the worker decodes invalid UTF-8 with
 * replacement characters, as Python would refuse to run it anyway). */
static int add_json_str(halo_buf *b, const char *s, size_t n)
{
	int rc = halo_buf_add(b, "\"", 1);
	size_t run = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		rc = halo_buf_add(b, s + run, i - run);
		if (rc == 0)
			rc = halo_buf_addf(b, "\\u%04x", c);
		run = i + 1;
	}
	if (rc == 0)
		rc = halo_buf_add(b, s + run, n - run);
	if (rc == 0)
		rc = halo_buf_add(b, "\"", 1);
	return rc;
}

/* Number of elements of the JSON array in raw (string-aware), or -1 when raw
 * is not one array (or an empty object). The text was already bracket-checked by dataset.c. */
static long count_array(const char *raw)
{
	const char *p = raw;
	long depth = 0, n = 0;
	int any = 0, in_str = 0;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p == '{') { /* Mbpp/793's plus_input is {}: iterated, it is no input at all */
		p++;
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p++ != '}')
			return -1;
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		return *p ? -1 : 0;
	}
	if (*p != '[')
		return -1;
	for (; *p; p++) {
		char c = *p;
		if (in_str) {
			if (c == '\\' && p[1])
				p++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		if (c == '[' || c == '{') {
			if (depth == 1)
				any = 1;
			if (++depth > HALO_JSON_MAX_DEPTH)
				return -1;
			continue;
		}
		if (c == ']' || c == '}') {
			if (--depth == 0) {
				p++;
				break;
			}
			continue;
		}
		if (depth == 1 && c == ',')
			n++;
		else if (depth == 1 && c != ' ' && c != '\t' && c != '\n' && c != '\r')
			any = 1;
	}
	if (depth != 0)
		return -1;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p)
		return -1;
	return any ? n + 1 : 0;
}

static void set_detail(halo_evalplus_verdict *v, const char *s, size_t n)
{
	size_t cap = sizeof(v->detail) - 1;
	if (n > cap) {
		n = cap;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--; /* do not cut a UTF-8 sequence */
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		v->detail[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	v->detail[n] = 0;
}

static void set_detailf(halo_evalplus_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_detailf(halo_evalplus_verdict *v, const char *fmt, ...)
{
	char tmp[sizeof(v->detail)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	set_detail(v, tmp, strlen(tmp));
}

static void verdict_init(halo_evalplus_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->outcome = HALO_OUTCOME_INFRA;
	v->fail_index = -1;
}

void halo_evalplus_verdict_free(halo_evalplus_verdict *v)
{
	if (!v)
		return;
	free(v->code);
	v->code = NULL;
}

/* ---- pass@k ------------------------------------------------------------- */

double halo_pass_at_k(unsigned n, unsigned c, unsigned k)
{
	double prod = 1.0;
	if (k == 0 || k > n || c > n)
		return NAN;
	if (n - c < k)
		return 1.0;
	/* 1 - C(n-c,k)/C(n,k) = 1 - prod_{i=n-c+1}^{n} (1 - k/i): no huge binomials */
	for (unsigned i = n - c + 1; i <= n; i++)
		prod *= 1.0 - (double)k / (double)i;
	return 1.0 - prod;
}

/* ---- prompt ------------------------------------------------------------- */

static int py_space(unsigned char c)
{
	/* str.strip()'s ASCII whitespace (Python also strips Unicode spaces) */
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

int halo_evalplus_prompt_messages(const char *prompt, char **messages_json)
{
	halo_buf b = HALO_BUF_INIT;
	const char *s, *e;
	json_t *arr, *msg, *content;
	char *out;

	*messages_json = NULL;
	if (!prompt)
		return halo_error_set(HALO_EUSAGE, "evalplus: no prompt");
	s = prompt;
	e = prompt + strlen(prompt);
	while (s < e && py_space((unsigned char)*s))
		s++;
	while (e > s && py_space((unsigned char)e[-1]))
		e--;
	/* evalplus OpenAIChatDecoder: instruction_prefix + "\n```python\n" + prompt.strip() + "\n```" */
	if (halo_buf_adds(&b, INSTRUCTION) || halo_buf_adds(&b, "\n```python\n") ||
	    halo_buf_add(&b, s, (size_t)(e - s)) || halo_buf_adds(&b, "\n```")) {
		halo_buf_free(&b);
		return halo_error_set(HALO_ENOMEM, "evalplus: prompt too large");
	}
	content = json_stringn(b.ptr, b.len);
	halo_buf_free(&b);
	if (!content)
		return halo_error_set(HALO_EFORMAT, "evalplus: prompt is not valid UTF-8");
	arr = json_array();
	msg = json_object();
	if (!arr || !msg || json_object_set_new(msg, "role", json_string("user")) ||
	    json_object_set_new(msg, "content", content) || json_array_append_new(arr, msg)) {
		json_decref(arr);
		return halo_error_set(HALO_ENOMEM, "evalplus: out of memory building messages");
	}
	out = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (!out)
		return halo_error_set(HALO_ENOMEM, "evalplus: out of memory building messages");
	*messages_json = out;
	return 0;
}

int halo_evalplus_build_messages(const halo_dataset_record *record, char **messages_json)
{
	if (messages_json)
		*messages_json = NULL;
	if (!record || !messages_json || !record->prompt ||
	    (record->kind != HALO_DATASET_HUMANEVAL && record->kind != HALO_DATASET_MBPP))
		return halo_error_set(HALO_EUSAGE, "evalplus: not a HumanEval+/MBPP+ record");
	return halo_evalplus_prompt_messages(record->prompt, messages_json);
}

/* ---- extraction --------------------------------------------------------- */

static int ident_char(unsigned char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *word(const char *p, const char *e, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(e - p) < n || memcmp(p, w, n) != 0)
		return NULL;
	return p + n;
}

/* Does this line (column 0) define `ep` at module level: def, async def,
 * class, or a plain or annotated assignment? */
static int defines_ep(const char *p, const char *e, const char *ep, size_t ep_len)
{
	const char *q;
	if ((q = word(p, e, "async")) && q < e && (*q == ' ' || *q == '\t'))
		p = skip_ws(q, e);
	if (((q = word(p, e, "def")) || (q = word(p, e, "class"))) && q < e && (*q == ' ' || *q == '\t')) {
		int is_def = p[0] == 'd';
		q = skip_ws(q, e);
		if ((size_t)(e - q) < ep_len || memcmp(q, ep, ep_len) != 0)
			return 0;
		q += ep_len;
		if (q < e && ident_char((unsigned char)*q))
			return 0;
		q = skip_ws(q, e);
		return q < e && (*q == '(' || (!is_def && *q == ':'));
	}
	if ((size_t)(e - p) < ep_len || memcmp(p, ep, ep_len) != 0)
		return 0;
	q = p + ep_len;
	if (q < e && ident_char((unsigned char)*q))
		return 0;
	q = skip_ws(q, e);
	return q < e && ((*q == '=' && (q + 1 == e || q[1] != '=')) || *q == ':');
}

typedef struct fence_block {
	halo_buf text;
	size_t nonblank;
	int defines;
} fence_block;

/* Opening fence: indentation, >= 3 backticks or tildes, an info string (no
 * backtick in it for backtick fences, as CommonMark). */
static int fence_open(const char *p, const char *e, char *ch, size_t *flen, size_t *indent, int *python)
{
	const char *q = skip_ws(p, e), *info, *ie;
	size_t n = 0;
	if (q >= e || (*q != '`' && *q != '~'))
		return 0;
	*ch = *q;
	while (q + n < e && q[n] == *ch)
		n++;
	if (n < 3)
		return 0;
	info = skip_ws(q + n, e);
	ie = e;
	while (ie > info && (ie[-1] == ' ' || ie[-1] == '\t'))
		ie--;
	if (*ch == '`' && memchr(info, '`', (size_t)(ie - info)))
		return 0;
	*flen = n;
	*indent = (size_t)(q - p);
	/* untagged, or python / py / python3 / pycon ...; the first word counts */
	*python = info == ie || ((ie - info) >= 2 && (info[0] == 'p' || info[0] == 'P') &&
				 (info[1] == 'y' || info[1] == 'Y'));
	return 1;
}

static int fence_close(const char *p, const char *e, char ch, size_t flen)
{
	const char *q = skip_ws(p, e);
	size_t n = 0;
	while (q + n < e && q[n] == ch)
		n++;
	if (n < flen)
		return 0;
	return skip_ws(q + n, e) == e;
}

/* Keeps `cand` in *best when it defines the entry point and has more
 * non-blank lines (the first of equal ones wins). */
static void keep_best(fence_block *best, fence_block *cand)
{
	if (!cand->defines || (best->text.ptr && cand->nonblank <= best->nonblank))
		return;
	halo_buf_free(&best->text);
	*best = *cand;
	halo_buf_init(&cand->text, HALO_BUF_DEFAULT_CAP);
}

int halo_evalplus_extract(const char *answer, size_t len, const char *entry_point, char **code)
{
	fence_block best_py = { HALO_BUF_INIT, 0, 0 }, best_any = { HALO_BUF_INIT, 0, 0 };
	fence_block cur = { HALO_BUF_INIT, 0, 0 };
	const char *p = answer, *end = answer + len;
	size_t ep_len, flen = 0, indent = 0;
	int in_block = 0, cur_python = 0, raw_defines = 0, rc = 0;
	char ch = 0;

	if (code)
		*code = NULL;
	if (!answer || !entry_point || !code)
		return halo_error_set(HALO_EUSAGE, "evalplus: extract: missing argument");
	ep_len = strlen(entry_point);
	if (ep_len == 0 || ep_len > 256)
		return halo_error_set(HALO_EUSAGE, "evalplus: extract: bad entry point");
	for (size_t i = 0; i < ep_len; i++)
		if (!ident_char((unsigned char)entry_point[i]))
			return halo_error_set(HALO_EUSAGE, "evalplus: extract: bad entry point '%s'", entry_point);

	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *next = nl ? nl + 1 : end;
		if (le > p && le[-1] == '\r')
			le--;
		if (!in_block) {
			int py;
			if (defines_ep(p, le, entry_point, ep_len))
				raw_defines = 1;
			if (fence_open(p, le, &ch, &flen, &indent, &py)) {
				in_block = 1;
				cur_python = py;
				halo_buf_reset(&cur.text);
				cur.nonblank = 0;
				cur.defines = 0;
			}
		} else if (fence_close(p, le, ch, flen)) {
			in_block = 0;
			keep_best(cur_python ? &best_py : &best_any, &cur);
		} else {
			const char *q = p;
			/* CommonMark: content loses up to the fence's indentation */
			for (size_t k = 0; k < indent && q < le && (*q == ' ' || *q == '\t'); k++)
				q++;
			if (skip_ws(q, le) < le)
				cur.nonblank++;
			if (defines_ep(q, le, entry_point, ep_len))
				cur.defines = 1;
			if (halo_buf_add(&cur.text, q, (size_t)(le - q)) || halo_buf_add(&cur.text, "\n", 1))
				rc = halo_error_set(HALO_ENOMEM, "evalplus: answer too large");
		}
		p = next;
	}
	if (in_block && rc == 0) /* unclosed fence: the block runs to the end */
		keep_best(cur_python ? &best_py : &best_any, &cur);
	halo_buf_free(&cur.text);
	if (rc == 0) {
		fence_block *b = best_py.text.ptr ? &best_py : best_any.text.ptr ? &best_any : NULL;
		if (b) {
			*code = halo_buf_detach(&b->text);
		} else if (raw_defines) {
			*code = xstrndup(answer, len);
			if (!*code)
				rc = halo_error_set(HALO_ENOMEM, "evalplus: out of memory");
		} else {
			rc = 1;
		}
	}
	halo_buf_free(&best_py.text);
	halo_buf_free(&best_any.text);
	return rc;
}

/* ---- the worker's reply ------------------------------------------------- */

/* The single line "MARKER nonce {json}" in out; NULL (with an error) when
 * there is none or more than one. */
static json_t *find_reply(const char *out, size_t len, const char *nonce)
{
	const char *p = out, *end = out + len, *found = NULL, *found_end = NULL;
	size_t mlen = strlen(MARKER), nlen = strlen(nonce), count = 0;
	json_error_t jerr;
	json_t *j;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if ((size_t)(le - p) > mlen + nlen + 2 && memcmp(p, MARKER, mlen) == 0 && p[mlen] == ' ' &&
		    memcmp(p + mlen + 1, nonce, nlen) == 0 && p[mlen + 1 + nlen] == ' ') {
			count++;
			found = p + mlen + nlen + 2;
			found_end = le;
		}
		p = nl ? nl + 1 : end;
	}
	if (count == 0) {
		halo_error_set(HALO_EFORMAT, "evalplus: worker: no reply");
		return NULL;
	}
	if (count > 1) {
		halo_error_set(HALO_EFORMAT, "evalplus: worker: %zu replies (verdict channel tampered with)", count);
		return NULL;
	}
	if ((size_t)(found_end - found) > REPLY_CAP) {
		halo_error_set(HALO_EFORMAT, "evalplus: worker: reply over %zu bytes", REPLY_CAP);
		return NULL;
	}
	j = json_loadb(found, (size_t)(found_end - found), JSON_REJECT_DUPLICATES, &jerr);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		halo_error_set(HALO_EFORMAT, "evalplus: worker: malformed reply: %s", j ? "not an object" : jerr.text);
		return NULL;
	}
	return j;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static halo_outcome phase_outcome(const char *status)
{
	if (!strcmp(status, "timeout"))
		return HALO_OUTCOME_TIMEOUT;
	if (!strcmp(status, "parse"))
		return HALO_OUTCOME_PARSE;
	return HALO_OUTCOME_WRONG;
}

static int read_phase(json_t *ph, const char **status, long *fail, const char **detail)
{
	json_t *f;
	if (!json_is_object(ph) || !(*status = jstr(ph, "status")))
		return -1;
	if (strcmp(*status, "pass") && strcmp(*status, "fail") && strcmp(*status, "timeout") &&
	    strcmp(*status, "parse"))
		return -1;
	f = json_object_get(ph, "fail");
	*fail = json_is_integer(f) && json_integer_value(f) >= -1 && json_integer_value(f) < (1LL << 40)
			? (long)json_integer_value(f)
			: -1;
	*detail = jstr(ph, "detail");
	if (!*detail)
		*detail = "";
	return 0;
}

int halo_evalplus_parse_reply(const char *out, size_t len, const char *nonce, halo_evalplus_verdict *v)
{
	json_t *j;
	const char *status, *code, *detail;
	int rc = 0;

	verdict_init(v);
	if (!out || !nonce || !*nonce)
		return halo_error_set(HALO_EUSAGE, "evalplus: parse_reply: missing argument");
	if (!(j = find_reply(out, len, nonce)))
		return halo_error_last()->code;
	status = jstr(j, "status");
	detail = jstr(j, "detail");
	if ((code = jstr(j, "code")) && !(v->code = xstrdup0(code))) {
		json_decref(j);
		return halo_error_set(HALO_ENOMEM, "evalplus: out of memory");
	}
	if (detail)
		set_detail(v, detail, strlen(detail));
	if (!status) {
		rc = halo_error_set(HALO_EFORMAT, "evalplus: worker: reply without status");
	} else if (!strcmp(status, "error")) {
		v->outcome = HALO_OUTCOME_INFRA;
	} else if (!strcmp(status, "parse")) {
		v->outcome = HALO_OUTCOME_PARSE;
	} else if (!strcmp(status, "ok")) {
		const char *bs, *ps, *bd, *pd;
		long bf, pf;
		if (read_phase(json_object_get(j, "base"), &bs, &bf, &bd)) {
			rc = halo_error_set(HALO_EFORMAT, "evalplus: worker: reply without a valid base result");
		} else if (strcmp(bs, "pass")) {
			v->outcome = phase_outcome(bs);
			v->fail_phase = 1;
			v->fail_index = bf;
			set_detail(v, bd, strlen(bd));
		} else if (read_phase(json_object_get(j, "plus"), &ps, &pf, &pd)) {
			rc = halo_error_set(HALO_EFORMAT, "evalplus: worker: reply without a valid plus result");
		} else {
			v->base_pass = 1;
			if (!strcmp(ps, "pass")) {
				v->plus_pass = 1;
				v->outcome = HALO_OUTCOME_PASS;
				v->detail[0] = 0;
			} else {
				v->outcome = phase_outcome(ps);
				v->fail_phase = 2;
				v->fail_index = pf;
				set_detail(v, pd, strlen(pd));
			}
		}
	} else {
		rc = halo_error_set(HALO_EFORMAT, "evalplus: worker: unknown status");
	}
	json_decref(j);
	if (rc) {
		halo_evalplus_verdict_free(v);
		verdict_init(v);
	}
	return rc;
}

/* ---- running the worker ------------------------------------------------- */

static int make_nonce(char hex[33])
{
	unsigned char r[16];
	size_t got = 0;
	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return halo_error_set(HALO_EIO, "evalplus: getrandom: %s", strerror(errno));
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	return 0;
}

static void sandbox_base(const halo_evalplus *h, halo_sandbox_opts *so, const char *const *argv)
{
	halo_sandbox_opts init = HALO_SANDBOX_OPTS_INIT;
	*so = init;
	so->argv = argv;
	so->mem_bytes = h->mem_bytes;
	so->max_procs = 32;
	so->max_file_bytes = (uint64_t)64 << 20;
	so->max_open_files = 64;
	so->isolate_network = 1;
	so->tmp_parent = h->tmp_parent;
}

static const char *kind_word(halo_dataset_kind k)
{
	return k == HALO_DATASET_MBPP ? "mbpp" : "humaneval";
}

/* The request's fields shared by both operations. */
static int add_common(halo_buf *b, const halo_evalplus *h, const ep_task *t, const char *nonce, const char *op)
{
	return halo_buf_addf(b, "{\"v\":1,\"nonce\":\"%s\",\"op\":\"%s\",\"dataset\":\"%s\",\"task_id\":", nonce,
			     op, kind_word(h->kind)) ||
	       add_json_str(b, t->id, strlen(t->id)) || halo_buf_adds(b, ",\"entry_point\":") ||
	       add_json_str(b, t->entry_point, strlen(t->entry_point)) || halo_buf_adds(b, ",\"base_input\":") ||
	       halo_buf_adds(b, t->base_raw) || halo_buf_adds(b, ",\"plus_input\":") || halo_buf_adds(b, t->plus_raw);
}

static double limit_of(const halo_evalplus *h, double gt)
{
	double l = h->factor * gt;
	return l > h->min_limit ? l : h->min_limit;
}

static int add_limits(halo_buf *b, const halo_evalplus *h, const double *times, size_t n, double *phase)
{
	double sum = 0;
	int rc = halo_buf_add(b, "[", 1);
	for (size_t i = 0; i < n && rc == 0; i++) {
		double l = limit_of(h, times[i]);
		sum += l;
		rc = halo_buf_addf(b, "%s%.17g", i ? "," : "", l);
	}
	*phase = (sum < h->phase_cap ? sum : h->phase_cap) + PHASE_SLACK_S;
	return rc ? rc : halo_buf_add(b, "]", 1);
}

static int run_check(const halo_evalplus *h, const ep_task *t, const char *code, int sanitize,
		     halo_evalplus_verdict *v)
{
	halo_buf req = HALO_BUF_INIT;
	halo_sandbox_opts so;
	halo_sandbox_result res;
	const char *argv[] = { h->python, "-I", "-c", halo_evalplus_worker_py, NULL };
	char nonce[33];
	double base_s = 0, plus_s = 0, wall;
	size_t code_len = strlen(code);
	int rc;

	halo_buf_init(&req, (size_t)1 << 30);
	if ((rc = make_nonce(nonce)))
		return rc;
	if (add_common(&req, h, t, nonce, "check") || halo_buf_adds(&req, ",\"code\":") ||
	    add_json_str(&req, code, code_len) ||
	    halo_buf_addf(&req, ",\"sanitize\":%s,\"phase_cap\":%.17g,\"mem_bytes\":%llu,\"atol\":",
			  sanitize ? "true" : "false", h->phase_cap, (unsigned long long)h->mem_bytes) ||
	    halo_buf_adds(&req, t->atol_raw) || halo_buf_adds(&req, ",\"base_expected\":") ||
	    add_json_str(&req, t->base_expected, strlen(t->base_expected)) ||
	    halo_buf_adds(&req, ",\"plus_expected\":") ||
	    add_json_str(&req, t->plus_expected, strlen(t->plus_expected)) ||
	    halo_buf_adds(&req, ",\"base_limits\":") || add_limits(&req, h, t->base_time, t->n_base, &base_s) ||
	    halo_buf_adds(&req, ",\"plus_limits\":") || add_limits(&req, h, t->plus_time, t->n_plus, &plus_s) ||
	    halo_buf_adds(&req, "}")) {
		halo_buf_free(&req);
		return halo_error_set(HALO_ENOMEM, "evalplus: %s: request too large", t->id);
	}
	wall = base_s + plus_s + STARTUP_MARGIN_S;
	sandbox_base(h, &so, argv);
	so.stdin_data = req.ptr;
	so.stdin_len = req.len;
	so.stdout_cap = code_len * 2 + ((size_t)4 << 20); /* the reply echoes the sanitized code */
	so.timeout_s = wall;
	so.cpu_s = (unsigned)wall + 5;

	rc = halo_sandbox_run(&so, &res);
	halo_buf_free(&req);
	if (rc < 0) {
		verdict_init(v);
		set_detailf(v, "sandbox: %s", halo_error_last()->message);
		halo_sandbox_result_free(&res);
		return 0;
	}
	if (halo_evalplus_parse_reply(res.out, res.out_len, nonce, v) != 0) {
		verdict_init(v);
		if (res.timed_out) {
			v->outcome = HALO_OUTCOME_TIMEOUT;
			set_detailf(v, "killed after the %.0f s wall-clock limit", wall);
		} else if (res.out_truncated) {
			v->outcome = HALO_OUTCOME_WRONG;
			set_detail(v, "killed for writing too much output", 34);
		} else if (res.signaled && res.term_signal == SIGXCPU) {
			v->outcome = HALO_OUTCOME_TIMEOUT;
			set_detail(v, "killed at the CPU-time limit", 28);
		} else if (res.signaled) {
			v->outcome = HALO_OUTCOME_WRONG;
			set_detailf(v, "crashed (signal %d) before a verdict", res.term_signal);
		} else {
			v->outcome = HALO_OUTCOME_WRONG;
			set_detailf(v, "exited with status %d without a verdict (%s)", res.exit_code,
				    halo_error_last()->message);
		}
	}
	v->wall_s = res.wall_s;
	halo_sandbox_result_free(&res);
	return 0;
}

static const ep_task *find_task(const halo_evalplus *h, const char *task_id)
{
	long i = halo_evalplus_task_index(h, task_id);
	return i < 0 ? NULL : &h->tasks[i];
}

int halo_evalplus_check(const halo_evalplus *h, const char *task_id, const char *answer,
			halo_evalplus_verdict *v)
{
	const ep_task *t;
	char *code = NULL;
	int rc;

	if (!v)
		return halo_error_set(HALO_EUSAGE, "evalplus: check: no verdict");
	verdict_init(v);
	if (!h || !task_id || !answer)
		return halo_error_set(HALO_EUSAGE, "evalplus: check: missing argument");
	if (!(t = find_task(h, task_id)))
		return halo_error_set(HALO_ENOTFOUND, "evalplus: no task '%s'", task_id);
	rc = halo_evalplus_extract(answer, strlen(answer), t->entry_point, &code);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		v->outcome = HALO_OUTCOME_PARSE;
		set_detailf(v, "no code defining %s in the answer", t->entry_point);
		return 0;
	}
	rc = run_check(h, t, code, 1, v);
	free(code);
	return rc;
}

int halo_evalplus_check_solution(const halo_evalplus *h, const char *task_id, const char *code,
				 halo_evalplus_verdict *v)
{
	const ep_task *t;
	if (!v)
		return halo_error_set(HALO_EUSAGE, "evalplus: check: no verdict");
	verdict_init(v);
	if (!h || !task_id || !code)
		return halo_error_set(HALO_EUSAGE, "evalplus: check: missing argument");
	if (!(t = find_task(h, task_id)))
		return halo_error_set(HALO_ENOTFOUND, "evalplus: no task '%s'", task_id);
	return run_check(h, t, code, 0, v);
}

int halo_evalplus_sample_code(const halo_evalplus *h, const char *line, size_t len, char **task_id,
			      char **code)
{
	json_error_t jerr;
	json_t *j, *tid, *sol, *comp;
	const ep_task *t;
	int rc = 0;

	if (task_id)
		*task_id = NULL;
	if (code)
		*code = NULL;
	if (!h || !line || !task_id || !code)
		return halo_error_set(HALO_EUSAGE, "evalplus: sample: missing argument");
	if (len > SAMPLE_LINE_CAP)
		return halo_error_set(HALO_EFORMAT, "evalplus: sample: line over %zu bytes", SAMPLE_LINE_CAP);
	j = json_loadb(line, len, 0, &jerr);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return halo_error_set(HALO_EFORMAT, "evalplus: sample: %s", j ? "not a JSON object" : jerr.text);
	}
	tid = json_object_get(j, "task_id");
	sol = json_object_get(j, "solution");
	comp = json_object_get(j, "completion");
	if (!json_is_string(tid) || strlen(json_string_value(tid)) != json_string_length(tid)) {
		rc = halo_error_set(HALO_EFORMAT, "evalplus: sample: no string task_id");
	} else if (!(t = find_task(h, json_string_value(tid)))) {
		rc = halo_error_set(HALO_ENOTFOUND, "evalplus: sample: no task '%s' in the dataset",
				    json_string_value(tid));
	} else if (json_is_string(sol) || json_is_string(comp)) {
		json_t *s = json_is_string(sol) ? sol : comp;
		size_t n = json_string_length(s), plen = s == sol ? 0 : strlen(t->prompt);
		if (memchr(json_string_value(s), 0, n)) {
			rc = halo_error_set(HALO_EFORMAT, "evalplus: sample for %s: code holds a NUL byte", t->id);
		} else if (!(*code = malloc(plen + n + 1)) || !(*task_id = xstrdup0(t->id))) {
			rc = halo_error_set(HALO_ENOMEM, "evalplus: out of memory");
		} else {
			/* evalplus evaluate.py: prompt + completion, nothing between */
			memcpy(*code, t->prompt, plen);
			memcpy(*code + plen, json_string_value(s), n + 1);
		}
	} else {
		rc = halo_error_set(HALO_EFORMAT, "evalplus: sample for %s: neither solution nor completion",
				    json_string_value(tid));
	}
	json_decref(j);
	if (rc) {
		free(*code);
		free(*task_id);
		*code = *task_id = NULL;
	}
	return rc;
}

/* ---- tasks -------------------------------------------------------------- */

size_t halo_evalplus_task_count(const halo_evalplus *h)
{
	return h ? h->n_tasks : 0;
}

const char *halo_evalplus_task_id(const halo_evalplus *h, size_t i)
{
	return h && i < h->n_tasks ? h->tasks[i].id : NULL;
}

const char *halo_evalplus_task_prompt(const halo_evalplus *h, size_t i)
{
	return h && i < h->n_tasks ? h->tasks[i].prompt : NULL;
}

const char *halo_evalplus_task_entry_point(const halo_evalplus *h, size_t i)
{
	return h && i < h->n_tasks ? h->tasks[i].entry_point : NULL;
}

const char *halo_evalplus_dataset_sha256(const halo_evalplus *h)
{
	return h ? h->sha256 : NULL;
}

long halo_evalplus_task_index(const halo_evalplus *h, const char *task_id)
{
	if (!h || !task_id)
		return -1;
	for (size_t i = 0; i < h->n_tasks; i++)
		if (!strcmp(h->tasks[i].id, task_id))
			return (long)i;
	return -1;
}

static void task_free(ep_task *t)
{
	free(t->id);
	free(t->prompt);
	free(t->entry_point);
	free(t->canonical);
	free(t->base_raw);
	free(t->plus_raw);
	free(t->atol_raw);
	free(t->base_expected);
	free(t->plus_expected);
	free(t->base_time);
	free(t->plus_time);
	memset(t, 0, sizeof(*t));
}

static void truth_free(ep_task *t)
{
	free(t->base_expected);
	free(t->plus_expected);
	free(t->base_time);
	free(t->plus_time);
	t->base_expected = t->plus_expected = NULL;
	t->base_time = t->plus_time = NULL;
}

void halo_evalplus_close(halo_evalplus *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_tasks; i++)
		task_free(&h->tasks[i]);
	free(h->tasks);
	free(h->python);
	free(h->tmp_parent);
	free(h);
}

static int on_record(const halo_dataset_record *r, void *ud)
{
	halo_evalplus *h = ud;
	ep_task *t;
	long nb, np;
	if (!r->id || !r->prompt || !r->entry_point || !r->canonical_solution || !r->base_input_raw ||
	    !r->plus_input_raw || !r->atol_raw)
		return halo_error_set(HALO_EFORMAT, "record %s: missing field", r->id ? r->id : "?");
	for (const char *p = r->entry_point; *p; p++)
		if (!ident_char((unsigned char)*p))
			return halo_error_set(HALO_EFORMAT, "%s: entry point is not an identifier", r->id);
	if (!*r->entry_point || strlen(r->entry_point) > 256)
		return halo_error_set(HALO_EFORMAT, "%s: bad entry point", r->id);
	if ((nb = count_array(r->base_input_raw)) < 0 || (np = count_array(r->plus_input_raw)) < 0)
		return halo_error_set(HALO_EFORMAT, "%s: base_input or plus_input is not an array", r->id);
	if (halo_evalplus_task_index(h, r->id) >= 0)
		return halo_error_set(HALO_EFORMAT, "%s: task id appears twice", r->id);
	if (h->n_tasks == h->alloc_tasks) {
		size_t n = h->alloc_tasks ? h->alloc_tasks * 2 : 256;
		ep_task *nt = n < ((size_t)1 << 20) ? realloc(h->tasks, n * sizeof(*nt)) : NULL;
		if (!nt)
			return halo_error_set(HALO_ENOMEM, "evalplus: too many tasks");
		h->tasks = nt;
		h->alloc_tasks = n;
	}
	t = &h->tasks[h->n_tasks];
	memset(t, 0, sizeof(*t));
	t->id = xstrdup0(r->id);
	t->prompt = xstrdup0(r->prompt);
	t->entry_point = xstrdup0(r->entry_point);
	t->canonical = xstrdup0(r->canonical_solution);
	t->base_raw = xstrdup0(r->base_input_raw);
	t->plus_raw = xstrdup0(r->plus_input_raw);
	t->atol_raw = xstrdup0(r->atol_raw);
	t->n_base = (size_t)nb;
	t->n_plus = (size_t)np;
	h->n_tasks++;
	if (!t->id || !t->prompt || !t->entry_point || !t->canonical || !t->base_raw || !t->plus_raw || !t->atol_raw)
		return halo_error_set(HALO_ENOMEM, "evalplus: out of memory");
	return 0;
}

/* ---- ground truth ------------------------------------------------------- */

/* Fills t's truth from a parsed {base, base_time, plus, plus_time} object. */
static int take_truth(ep_task *t, json_t *o)
{
	const char *b = jstr(o, "base"), *p = jstr(o, "plus");
	json_t *bt = json_object_get(o, "base_time"), *pt = json_object_get(o, "plus_time");
	if (!b || !p || !json_is_array(bt) || !json_is_array(pt) || json_array_size(bt) != t->n_base ||
	    json_array_size(pt) != t->n_plus)
		return halo_error_set(HALO_EFORMAT, "%s: ground truth does not match the inputs", t->id);
	truth_free(t);
	t->base_expected = xstrdup0(b);
	t->plus_expected = xstrdup0(p);
	t->base_time = calloc(t->n_base ? t->n_base : 1, sizeof(double));
	t->plus_time = calloc(t->n_plus ? t->n_plus : 1, sizeof(double));
	if (!t->base_expected || !t->plus_expected || !t->base_time || !t->plus_time)
		return halo_error_set(HALO_ENOMEM, "evalplus: out of memory");
	for (int ph = 0; ph < 2; ph++) {
		json_t *arr = ph ? pt : bt;
		double *dst = ph ? t->plus_time : t->base_time;
		for (size_t i = 0; i < json_array_size(arr); i++) {
			json_t *x = json_array_get(arr, i);
			double d = json_number_value(x);
			if (!json_is_number(x) || !isfinite(d) || d < 0 || d > 1e6)
				return halo_error_set(HALO_EFORMAT, "%s: bad ground-truth time", t->id);
			dst[i] = d;
		}
	}
	return 0;
}

/* Runs prompt + canonical solution on every input in the sandbox (evalplus
 * get_groundtruth); the reply's tagged outputs and times go into t. */
static int compute_one(const halo_evalplus *h, ep_task *t)
{
	halo_buf req = HALO_BUF_INIT;
	halo_sandbox_opts so;
	halo_sandbox_result res;
	const char *argv[] = { h->python, "-I", "-c", halo_evalplus_worker_py, NULL };
	char nonce[33];
	size_t lp = strlen(t->prompt), lc = strlen(t->canonical);
	char *code;
	json_t *j;
	int rc;

	halo_buf_init(&req, (size_t)1 << 30);
	if ((rc = make_nonce(nonce)))
		return rc;
	if (!(code = malloc(lp + lc + 1)))
		return halo_error_set(HALO_ENOMEM, "evalplus: out of memory");
	memcpy(code, t->prompt, lp);
	memcpy(code + lp, t->canonical, lc + 1);
	rc = add_common(&req, h, t, nonce, "truth") || halo_buf_adds(&req, ",\"code\":") ||
	     add_json_str(&req, code, lp + lc) || halo_buf_adds(&req, ",\"atol\":") ||
	     halo_buf_adds(&req, t->atol_raw) || halo_buf_adds(&req, "}");
	free(code);
	if (rc) {
		halo_buf_free(&req);
		return halo_error_set(HALO_ENOMEM, "evalplus: %s: request too large", t->id);
	}
	sandbox_base(h, &so, argv);
	so.stdin_data = req.ptr;
	so.stdin_len = req.len;
	so.stdout_cap = REPLY_CAP + 4096;
	so.timeout_s = TRUTH_TIMEOUT_S;
	so.cpu_s = (unsigned)TRUTH_TIMEOUT_S + 5;
	rc = halo_sandbox_run(&so, &res);
	halo_buf_free(&req);
	if (rc < 0) {
		halo_sandbox_result_free(&res);
		return halo_error_prefix("evalplus: %s: ground truth", t->id);
	}
	j = find_reply(res.out, res.out_len, nonce);
	if (!j) {
		if (res.timed_out)
			rc = halo_error_set(HALO_ERROR, "evalplus: %s: ground truth took over %.0f s", t->id,
					    TRUTH_TIMEOUT_S);
		else
			rc = halo_error_set(HALO_ERROR, "evalplus: %s: ground truth: worker gave no reply (%s%d): %.200s",
					    t->id, res.signaled ? "signal " : "exit status ",
					    res.signaled ? res.term_signal : res.exit_code, res.err ? res.err : "");
	} else if (!jstr(j, "status") || strcmp(jstr(j, "status"), "ok")) {
		const char *d = jstr(j, "detail");
		rc = halo_error_set(HALO_ERROR, "evalplus: %s: the canonical solution failed: %s", t->id,
				    d ? d : "?");
	} else {
		rc = take_truth(t, j);
	}
	json_decref(j);
	halo_sandbox_result_free(&res);
	return rc;
}

typedef struct truth_pool {
	halo_evalplus *h;
	const halo_evalplus_opts *opts;
	pthread_mutex_t mu;
	size_t next, done;
	int rc;
	halo_error err;
} truth_pool;

static void *truth_thread(void *arg)
{
	truth_pool *p = arg;
	for (;;) {
		size_t i;
		int rc;
		pthread_mutex_lock(&p->mu);
		if (p->rc || p->next >= p->h->n_tasks) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		i = p->next++;
		pthread_mutex_unlock(&p->mu);
		rc = compute_one(p->h, &p->h->tasks[i]);
		pthread_mutex_lock(&p->mu);
		if (rc && !p->rc) {
			p->rc = rc;
			p->err = *halo_error_last(); /* the error is thread-local */
		}
		if (!rc) {
			p->done++;
			if (p->opts->progress)
				p->opts->progress(p->done, p->h->n_tasks, p->h->tasks[i].id, p->opts->progress_ud);
		}
		pthread_mutex_unlock(&p->mu);
	}
}

static int compute_truth(halo_evalplus *h, const halo_evalplus_opts *opts)
{
	truth_pool pool;
	pthread_t th[64];
	unsigned jobs = opts->jobs;
	unsigned started = 0;
	if (!jobs) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = n > 0 ? (unsigned)n : 1;
	}
	if (jobs > 64)
		jobs = 64;
	memset(&pool, 0, sizeof(pool));
	pool.h = h;
	pool.opts = opts;
	pthread_mutex_init(&pool.mu, NULL);
	for (unsigned i = 0; i < jobs; i++) {
		if (pthread_create(&th[i], NULL, truth_thread, &pool) != 0)
			break;
		started++;
	}
	if (started == 0)
		truth_thread(&pool);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&pool.mu);
	if (pool.rc)
		return halo_error_set(pool.rc, "%s", pool.err.message);
	return 0;
}

static void worker_sha256(char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	hex[0] = 0;
	if (EVP_Digest(halo_evalplus_worker_py, halo_evalplus_worker_py_len, md, &mdlen, EVP_sha256(), NULL) != 1)
		return;
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

#define CACHE_FORMAT "halo-evalplus-truth"

/* Loads a cache file written by save_cache. Returns 0, or nonzero when it is
 * missing or does not validate (then the truth is recomputed). */
static int load_cache(halo_evalplus *h, const char *path, const char *wsha)
{
	struct stat st;
	json_error_t jerr;
	json_t *j, *tasks;
	const char *fmt, *ds, *ws;
	int rc = 0;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > CACHE_FILE_CAP)
		return -1;
	if (!(j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)))
		return -1;
	fmt = jstr(j, "format");
	ds = jstr(j, "dataset_sha256");
	ws = jstr(j, "worker_sha256");
	tasks = json_object_get(j, "tasks");
	if (!fmt || strcmp(fmt, CACHE_FORMAT) || !ds || strcmp(ds, h->sha256) || !ws || strcmp(ws, wsha) ||
	    !json_is_array(tasks) || json_array_size(tasks) != h->n_tasks)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < h->n_tasks; i++) {
		json_t *o = json_array_get(tasks, i);
		const char *id = jstr(o, "task_id");
		if (!id || strcmp(id, h->tasks[i].id) || take_truth(&h->tasks[i], o))
			rc = -1;
	}
	json_decref(j);
	if (rc)
		for (size_t i = 0; i < h->n_tasks; i++)
			truth_free(&h->tasks[i]);
	halo_error_clear();
	return rc;
}

static json_t *times_json(const double *t, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_real(t[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int save_cache(const halo_evalplus *h, const char *path, const char *wsha)
{
	json_t *j = json_object(), *tasks = json_array();
	char tmp[4200], rnd[33];
	int rc = 0;

	if (!j || !tasks || json_object_set_new(j, "format", json_string(CACHE_FORMAT)) ||
	    json_object_set_new(j, "kind", json_string(kind_word(h->kind))) ||
	    json_object_set_new(j, "dataset_sha256", json_string(h->sha256)) ||
	    json_object_set_new(j, "worker_sha256", json_string(wsha)) ||
	    json_object_set(j, "tasks", tasks))
		rc = -1;
	for (size_t i = 0; rc == 0 && i < h->n_tasks; i++) {
		const ep_task *t = &h->tasks[i];
		json_t *o = json_object();
		if (!o || json_array_append_new(tasks, o) || json_object_set_new(o, "task_id", json_string(t->id)) ||
		    json_object_set_new(o, "base", json_string(t->base_expected)) ||
		    json_object_set_new(o, "base_time", times_json(t->base_time, t->n_base)) ||
		    json_object_set_new(o, "plus", json_string(t->plus_expected)) ||
		    json_object_set_new(o, "plus_time", times_json(t->plus_time, t->n_plus)))
			rc = -1;
	}
	json_decref(tasks);
	if (rc) {
		json_decref(j);
		return halo_error_set(HALO_ENOMEM, "evalplus: out of memory writing the ground-truth cache");
	}
	/* a unique temporary name, renamed into place: concurrent writers are safe */
	if (make_nonce(rnd)) {
		json_decref(j);
		return halo_error_last()->code;
	}
	snprintf(tmp, sizeof(tmp), "%s.%s.tmp", path, rnd);
	if (json_dump_file(j, tmp, JSON_COMPACT) != 0) {
		unlink(tmp);
		json_decref(j);
		return halo_error_set(HALO_EIO, "'%s': cannot write the ground-truth cache", tmp);
	}
	json_decref(j);
	if (rename(tmp, path) != 0) {
		rc = halo_error_set(HALO_EIO, "'%s': %s", path, strerror(errno));
		unlink(tmp);
	}
	return rc;
}

/* Runs the interpreter once in the sandbox: it must start there, be Python
 * >= 3.8 (ast end positions), and its real path (pyenv shims are scripts)
 * is what every later sample runs. */
static int probe_python(halo_evalplus *h)
{
	static const char probe[] =
		"import sys\nprint(sys.executable)\nprint(sys.version_info[0] * 100 + sys.version_info[1])\n";
	const char *argv[] = { h->python, "-I", "-c", probe, NULL };
	halo_sandbox_opts so;
	halo_sandbox_result res;
	int rc, ver = 0;
	char *nl;

	sandbox_base(h, &so, argv);
	so.timeout_s = 60;
	so.stdout_cap = 1 << 16;
	if ((rc = halo_sandbox_run(&so, &res)) < 0) {
		halo_sandbox_result_free(&res);
		return halo_error_prefix("evalplus: python '%s'", h->python);
	}
	nl = res.out ? strchr(res.out, '\n') : NULL;
	if (!res.exited || res.exit_code != 0 || !nl || sscanf(nl + 1, "%d", &ver) != 1) {
		rc = halo_error_set(HALO_ENOTFOUND, "evalplus: python '%s' does not run (%s %d): %.200s", h->python,
				    res.exited ? "exit status" : "signal", res.exited ? res.exit_code : res.term_signal,
				    res.err ? res.err : "");
	} else if (ver < 308) {
		rc = halo_error_set(HALO_EUNSUPPORTED, "evalplus: python '%s' is %d.%d; 3.8 or newer is needed",
				    h->python, ver / 100, ver % 100);
	} else if (nl > res.out && res.out[0] == '/') {
		char *real = xstrndup(res.out, (size_t)(nl - res.out));
		if (!real) {
			rc = halo_error_set(HALO_ENOMEM, "evalplus: out of memory");
		} else {
			free(h->python);
			h->python = real;
		}
	}
	halo_sandbox_result_free(&res);
	return rc;
}

int halo_evalplus_open(halo_evalplus **out, halo_dataset_kind kind, const char *dataset_path,
		       const halo_evalplus_opts *opts)
{
	halo_evalplus_opts defaults = HALO_EVALPLUS_OPTS_INIT;
	halo_evalplus *h;
	char wsha[65], path[4096];
	int rc;

	if (out)
		*out = NULL;
	if (!opts)
		opts = &defaults;
	if (!out || !dataset_path || opts->version != HALO_EVALPLUS_OPTS_VERSION)
		return halo_error_set(HALO_EUSAGE, "evalplus: open: bad arguments");
	if (kind != HALO_DATASET_HUMANEVAL && kind != HALO_DATASET_MBPP)
		return halo_error_set(HALO_EUSAGE, "evalplus: dataset kind must be humaneval or mbpp");
	if (opts->min_time_limit_s < 0 || opts->gt_time_factor < 0 || opts->phase_cap_s < 0 ||
	    !isfinite(opts->min_time_limit_s) || !isfinite(opts->gt_time_factor) || !isfinite(opts->phase_cap_s) ||
	    opts->min_time_limit_s > 86400 || opts->gt_time_factor > 1000 || opts->phase_cap_s > 86400)
		return halo_error_set(HALO_EUSAGE, "evalplus: time limit options out of range");
	if (halo_evalplus_worker_py_len > 100000) /* -c argument under MAX_ARG_STRLEN (128 KiB) */
		return halo_error_set(HALO_ERROR, "evalplus: embedded worker too large");
	if (!(h = calloc(1, sizeof(*h))))
		return halo_error_set(HALO_ENOMEM, "evalplus: out of memory");
	h->kind = kind;
	h->min_limit = opts->min_time_limit_s > 0 ? opts->min_time_limit_s : 4.0;
	h->factor = opts->gt_time_factor > 0 ? opts->gt_time_factor : 4.0;
	h->phase_cap = opts->phase_cap_s > 0 ? opts->phase_cap_s : 60.0;
	h->mem_bytes = opts->mem_bytes ? opts->mem_bytes : (uint64_t)4 << 30;
	h->python = xstrdup0(opts->python ? opts->python : "python3");
	h->tmp_parent = opts->tmp_parent ? xstrdup0(opts->tmp_parent) : NULL;
	if (!h->python || (opts->tmp_parent && !h->tmp_parent)) {
		halo_evalplus_close(h);
		return halo_error_set(HALO_ENOMEM, "evalplus: out of memory");
	}
	if ((rc = halo_sha256_file(dataset_path, h->sha256)) ||
	    (rc = halo_dataset_load(dataset_path, kind, NULL, on_record, h, NULL)) || (rc = probe_python(h))) {
		halo_evalplus_close(h);
		return rc;
	}
	if (h->n_tasks == 0) {
		halo_evalplus_close(h);
		return halo_error_set(HALO_EFORMAT, "'%s': no tasks", dataset_path);
	}
	worker_sha256(wsha);
	path[0] = 0;
	if (opts->cache_dir) {
		if ((rc = halo_mkdir_p(opts->cache_dir, 0755))) {
			halo_evalplus_close(h);
			return rc;
		}
		snprintf(path, sizeof(path), "%s/%s-%.16s-w%.12s.json", opts->cache_dir, kind_word(kind), h->sha256,
			 wsha);
	}
	if (!path[0] || load_cache(h, path, wsha) != 0) {
		if ((rc = compute_truth(h, opts)) || (path[0] && (rc = save_cache(h, path, wsha)))) {
			halo_evalplus_close(h);
			return rc;
		}
	}
	*out = h;
	return 0;
}
