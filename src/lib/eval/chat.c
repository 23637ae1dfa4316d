#include "eval/chat.h"
#include "buf.h"
#include "clock.h"
#include "error.h"
#include "eval/think.h"
#include "text.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Caps on what a server can make us hold besides the body itself. */
#define MAX_TOOL_CALLS 1024
#define POOL_MAX 64          /* idle easy handles kept for reuse */
#define ERRBODY_CAP (1 << 16) /* error replies: enough for a message */
#define INFO_BODY_CAP ((size_t)4 << 20)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ------------------------------------------------------------------------ */
/* Response record                                                           */

void halo_chat_response_init(halo_chat_response *r)
{
	memset(r, 0, sizeof(*r));
	r->prompt_tokens = r->completion_tokens = r->reasoning_tokens = -1;
	r->ttft_s = r->total_s = -1;
	r->outcome = HALO_OUTCOME_INFRA;
}

void halo_chat_response_free(halo_chat_response *r)
{
	if (!r)
		return;
	free(r->content);
	free(r->reasoning);
	free(r->tool_calls);
	free(r->finish_reason);
	free(r->model);
	free(r->timings);
	r->content = r->reasoning = r->tool_calls = r->finish_reason = r->model = r->timings = NULL;
}

/* Replaces *dst with a copy of s. */
static int set_str(char **dst, const char *s)
{
	char *p = xstrdup(s);
	if (s && !p)
		return halo_error_set(HALO_ENOMEM, "chat reply: out of memory");
	free(*dst);
	*dst = p;
	return 0;
}

static long long json_ll(const json_t *v)
{
	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d >= 0 && d < 9e18)
			return (long long)d;
	}
	return -1;
}

static void take_usage(const json_t *usage, halo_chat_response *r)
{
	long long v;
	if (!json_is_object(usage))
		return;
	if ((v = json_ll(json_object_get(usage, "prompt_tokens"))) >= 0)
		r->prompt_tokens = v;
	if ((v = json_ll(json_object_get(usage, "completion_tokens"))) >= 0)
		r->completion_tokens = v;
	json_t *d = json_object_get(usage, "completion_tokens_details");
	if (json_is_object(d) && (v = json_ll(json_object_get(d, "reasoning_tokens"))) >= 0)
		r->reasoning_tokens = v;
}

static int take_timings(const json_t *t, halo_chat_response *r)
{
	if (!json_is_object(t))
		return 0;
	char *s = json_dumps(t, JSON_COMPACT);
	if (!s)
		return halo_error_set(HALO_ENOMEM, "chat reply: out of memory");
	free(r->timings);
	r->timings = s;
	return 0;
}

/* The message of an {"error": ...} object (OpenAI: {"error":{"message":...}},
 * some servers: {"error":"text"}), as one line. */
static void error_message(const json_t *err, char *dst, size_t cap)
{
	const json_t *m = json_is_object(err) ? json_object_get(err, "message") : err;
	if (json_is_string(m))
		halo_text_oneline(dst, cap, json_string_value(m), json_string_length(m), ' ');
	else
		snprintf(dst, cap, "(no message)");
}

/* Splits content/reasoning into the record and sets the truncation flags. */
static int finish_text(halo_chat_response *r, const char *content, size_t clen, const char *reasoning)
{
	halo_think_split s = HALO_THINK_SPLIT_INIT;
	if (halo_think_split_content(content, clen, reasoning, &s))
		return halo_error_set(HALO_ENOMEM, "chat reply: out of memory");
	free(r->content);
	free(r->reasoning);
	r->content = s.answer;
	r->reasoning = s.reasoning;
	r->think_unterminated = s.unterminated;
	r->truncated = s.unterminated || (r->finish_reason && !strcmp(r->finish_reason, "length"));
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Tool calls                                                                */

typedef struct tool_acc {
	halo_buf name, args;
	bool used;
} tool_acc;

typedef struct tool_set {
	tool_acc *v;
	size_t n; /* slots allocated (highest index + 1) */
	size_t cap_bytes;
} tool_set;

static void tools_free(tool_set *t)
{
	for (size_t i = 0; i < t->n; i++) {
		halo_buf_free(&t->v[i].name);
		halo_buf_free(&t->v[i].args);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static tool_acc *tools_at(tool_set *t, long long idx)
{
	if (idx < 0 || idx >= MAX_TOOL_CALLS) {
		halo_error_set(HALO_EFORMAT, "chat reply: tool call index %lld out of range", idx);
		return NULL;
	}
	if ((size_t)idx >= t->n) {
		size_t n = (size_t)idx + 1;
		tool_acc *v = realloc(t->v, n * sizeof(*v));
		if (!v) {
			halo_error_set(HALO_ENOMEM, "chat reply: out of memory");
			return NULL;
		}
		for (size_t i = t->n; i < n; i++) {
			halo_buf_init(&v[i].name, t->cap_bytes);
			halo_buf_init(&v[i].args, t->cap_bytes);
			v[i].used = false;
		}
		t->v = v;
		t->n = n;
	}
	t->v[idx].used = true;
	return &t->v[idx];
}

/* Adds one OpenAI tool call object (or a streamed piece of one). `append`:
 * the arguments string is a piece to append (streaming), else the whole. */
static int tools_add(tool_set *t, const json_t *call, long long idx)
{
	const json_t *fn = json_object_get(call, "function");
	const json_t *name, *args;
	tool_acc *a;

	if (!json_is_object(call))
		return halo_error_set(HALO_EFORMAT, "chat reply: a tool call is not an object");
	if (!(a = tools_at(t, idx)))
		return halo_error_last()->code;
	if (!json_is_object(fn))
		return 0; /* e.g. a delta carrying only the id */
	name = json_object_get(fn, "name");
	args = json_object_get(fn, "arguments");
	/* The name comes whole in the first delta; servers that repeat it must
	 * not make it grow. */
	if (json_is_string(name) && json_string_length(name) && !a->name.len &&
	    halo_buf_add(&a->name, json_string_value(name), json_string_length(name)))
		return halo_error_prefix("chat reply: tool call name");
	if (json_is_string(args)) {
		if (halo_buf_add(&a->args, json_string_value(args), json_string_length(args)))
			return halo_error_prefix("chat reply: tool call arguments");
	} else if (json_is_object(args) || json_is_array(args)) {
		/* Not OpenAI's format (Ollama's native API sends objects): keep its text. */
		char *s = json_dumps(args, JSON_COMPACT);
		if (!s)
			return halo_error_set(HALO_ENOMEM, "chat reply: out of memory");
		halo_buf_reset(&a->args);
		int rc = halo_buf_adds(&a->args, s);
		free(s);
		if (rc)
			return halo_error_prefix("chat reply: tool call arguments");
	}
	return 0;
}

/* The normalised array [{"name":..., "arguments": "..."}], or NULL when none. */
static int tools_emit(const tool_set *t, char **out)
{
	json_t *arr;
	*out = NULL;
	if (!t->n)
		return 0;
	if (!(arr = json_array()))
		return halo_error_set(HALO_ENOMEM, "chat reply: out of memory");
	for (size_t i = 0; i < t->n; i++) {
		const tool_acc *a = &t->v[i];
		json_t *o;
		if (!a->used)
			continue;
		o = json_pack("{s:s%,s:s%}", "name", a->name.ptr ? a->name.ptr : "", a->name.len,
			      "arguments", a->args.ptr ? a->args.ptr : "", a->args.len);
		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			return halo_error_set(HALO_EFORMAT, "chat reply: tool call %zu is not valid UTF-8", i);
		}
	}
	*out = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (!*out)
		return halo_error_set(HALO_ENOMEM, "chat reply: out of memory");
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Non-streaming body                                                        */

static const char *reasoning_of(const json_t *msg, size_t *len)
{
	const json_t *r = json_object_get(msg, "reasoning_content");
	if (!json_is_string(r) || !json_string_length(r))
		r = json_object_get(msg, "reasoning"); /* Ollama's name */
	if (!json_is_string(r)) {
		*len = 0;
		return NULL;
	}
	*len = json_string_length(r);
	return json_string_value(r);
}

int halo_chat_parse_completion(const char *body, size_t len, halo_chat_response *resp)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_ALLOW_NUL, &jerr);
	int rc = 0;

	if (!root) {
		char head[81];
		halo_text_oneline(head, sizeof(head), body, len < 80 ? len : 80, ' ');
		return halo_error_set(HALO_EFORMAT, "chat reply is not JSON (%s at byte %d): '%s'", jerr.text,
				      jerr.position, head);
	}
	if (!json_is_object(root)) {
		rc = halo_error_set(HALO_EFORMAT, "chat reply is not a JSON object");
		goto out;
	}
	const json_t *err = json_object_get(root, "error");
	if (err && !json_is_null(err)) {
		char m[300];
		error_message(err, m, sizeof(m));
		rc = halo_error_set(HALO_ENET, "server error: %s", m);
		goto out;
	}
	const json_t *choices = json_object_get(root, "choices");
	const json_t *ch = json_array_get(choices, 0);
	const json_t *msg = json_object_get(ch, "message");
	if (!json_is_object(msg)) {
		rc = halo_error_set(HALO_EFORMAT, "chat reply has no choices[0].message");
		goto out;
	}
	const json_t *m = json_object_get(root, "model");
	if (json_is_string(m) && (rc = set_str(&resp->model, json_string_value(m))))
		goto out;
	const json_t *fr = json_object_get(ch, "finish_reason");
	if (json_is_string(fr) && (rc = set_str(&resp->finish_reason, json_string_value(fr))))
		goto out;
	take_usage(json_object_get(root, "usage"), resp);
	if ((rc = take_timings(json_object_get(root, "timings"), resp)))
		goto out;

	const json_t *calls = json_object_get(msg, "tool_calls");
	if (json_is_array(calls) && json_array_size(calls)) {
		tool_set ts = { NULL, 0, len };
		size_t i;
		const json_t *call;
		json_array_foreach(calls, i, call)
		{
			if ((rc = tools_add(&ts, call, (long long)i)))
				break;
		}
		char *out = NULL;
		if (!rc && !(rc = tools_emit(&ts, &out))) {
			free(resp->tool_calls);
			resp->tool_calls = out;
		}
		tools_free(&ts);
		if (rc)
			goto out;
	}

	const json_t *c = json_object_get(msg, "content");
	size_t rlen;
	const char *reasoning = reasoning_of(msg, &rlen);
	rc = finish_text(resp, json_is_string(c) ? json_string_value(c) : "",
			 json_is_string(c) ? json_string_length(c) : 0, reasoning);
out:
	json_decref(root);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Server-sent events                                                        */

struct halo_chat_stream {
	size_t max_total, max_event, total;
	halo_buf line;      /* the line being received */
	halo_buf data;      /* data fields of the event being received */
	bool have_data;
	bool after_cr;      /* a CR ended the last line: skip an LF that follows */
	int err;            /* sticky failure */
	char errmsg[512];
	bool done, started, any_choice;
	char head[81];      /* the stream's first bytes, for messages */
	halo_buf content, reasoning;
	tool_set tools;
	halo_chat_response meta; /* finish_reason, model, usage, timings */
	halo_chat_sse_event_fn event_fn; /* raw mode: events go here instead */
	void *event_ud;
};

int halo_chat_stream_new(size_t max_total_bytes, size_t max_event_bytes, halo_chat_stream **out)
{
	halo_chat_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return halo_error_set(HALO_ENOMEM, "chat stream: out of memory");
	s->max_total = max_total_bytes ? max_total_bytes : (size_t)64 << 20;
	s->max_event = max_event_bytes ? max_event_bytes : (size_t)16 << 20;
	halo_buf_init(&s->line, s->max_event);
	halo_buf_init(&s->data, s->max_event);
	halo_buf_init(&s->content, s->max_total);
	halo_buf_init(&s->reasoning, s->max_total);
	s->tools.cap_bytes = s->max_total;
	halo_chat_response_init(&s->meta);
	*out = s;
	return 0;
}

void halo_chat_stream_free(halo_chat_stream *s)
{
	if (!s)
		return;
	halo_buf_free(&s->line);
	halo_buf_free(&s->data);
	halo_buf_free(&s->content);
	halo_buf_free(&s->reasoning);
	tools_free(&s->tools);
	halo_chat_response_free(&s->meta);
	free(s);
}

bool halo_chat_stream_started(const halo_chat_stream *s)
{
	return s->started;
}

bool halo_chat_stream_done(const halo_chat_stream *s)
{
	return s->done;
}

static int stream_fail(halo_chat_stream *s, int code)
{
	s->err = code;
	snprintf(s->errmsg, sizeof(s->errmsg), "%s", halo_error_last()->message);
	return code;
}

static int append_piece(halo_buf *b, const json_t *v, bool *started, const char *what)
{
	if (!json_is_string(v) || !json_string_length(v))
		return 0;
	*started = true;
	if (halo_buf_add(b, json_string_value(v), json_string_length(v)))
		return halo_error_prefix("chat stream: %s", what);
	return 0;
}

/* One complete event's data: a chat.completion.chunk, an error, or [DONE]. */
static int stream_event(halo_chat_stream *s, const char *data, size_t len)
{
	json_error_t jerr;
	json_t *root;
	int rc = 0;

	if (s->done)
		return 0; /* nothing after [DONE] counts */
	if (len == 6 && !memcmp(data, "[DONE]", 6)) {
		s->done = true;
		return 0;
	}
	if (!(root = json_loadb(data, len, JSON_ALLOW_NUL, &jerr))) {
		char head[81];
		halo_text_oneline(head, sizeof(head), data, len < 80 ? len : 80, ' ');
		return halo_error_set(HALO_EFORMAT, "chat stream: malformed chunk (%s at byte %d): '%s'",
				      jerr.text, jerr.position, head);
	}
	if (!json_is_object(root)) {
		rc = halo_error_set(HALO_EFORMAT, "chat stream: a chunk is not a JSON object");
		goto out;
	}
	const json_t *err = json_object_get(root, "error");
	if (err && !json_is_null(err)) {
		char m[300];
		error_message(err, m, sizeof(m));
		rc = halo_error_set(HALO_ENET, "server error in stream: %s", m);
		goto out;
	}
	const json_t *m = json_object_get(root, "model");
	if (json_is_string(m) && !s->meta.model && (rc = set_str(&s->meta.model, json_string_value(m))))
		goto out;
	take_usage(json_object_get(root, "usage"), &s->meta);
	if ((rc = take_timings(json_object_get(root, "timings"), &s->meta)))
		goto out;

	const json_t *choices = json_object_get(root, "choices");
	size_t i;
	const json_t *ch;
	json_array_foreach(choices, i, ch)
	{
		const json_t *idx = json_object_get(ch, "index");
		if (json_is_integer(idx) && json_integer_value(idx) != 0)
			continue; /* we ask for one choice */
		s->any_choice = true;
		const json_t *fr = json_object_get(ch, "finish_reason");
		if (json_is_string(fr) && (rc = set_str(&s->meta.finish_reason, json_string_value(fr))))
			goto out;
		const json_t *d = json_object_get(ch, "delta");
		if (!json_is_object(d))
			continue;
		/* Servers that send both names (vLLM) send the same text twice. */
		const json_t *rs = json_object_get(d, "reasoning_content");
		if (!json_is_string(rs) || !json_string_length(rs))
			rs = json_object_get(d, "reasoning");
		if ((rc = append_piece(&s->content, json_object_get(d, "content"), &s->started, "content")) ||
		    (rc = append_piece(&s->reasoning, rs, &s->started, "reasoning")))
			goto out;
		const json_t *calls = json_object_get(d, "tool_calls");
		size_t k;
		const json_t *call;
		json_array_foreach(calls, k, call)
		{
			const json_t *ti = json_object_get(call, "index");
			long long at;
			if (json_is_integer(ti)) {
				at = (long long)json_integer_value(ti);
			} else {
				/* Older Ollama sends whole calls without an index: a
				 * name starts a new call, a piece without one continues
				 * the last. */
				const json_t *nm = json_object_get(json_object_get(call, "function"), "name");
				bool named = json_is_string(nm) && json_string_length(nm);
				at = named || !s->tools.n ? (long long)s->tools.n : (long long)s->tools.n - 1;
			}
			s->started = true;
			if ((rc = tools_add(&s->tools, call, at)))
				goto out;
		}
	}
out:
	json_decref(root);
	return rc;
}

static int stream_dispatch(halo_chat_stream *s)
{
	int rc = 0;
	if (s->have_data) {
		/* The data buffer holds each field followed by LF: drop the last. */
		size_t n = s->data.len ? s->data.len - 1 : 0;
		const char *d = s->data.ptr ? s->data.ptr : "";
		rc = s->event_fn ? s->event_fn(s->event_ud, d, n) : stream_event(s, d, n);
	}
	halo_buf_reset(&s->data);
	s->have_data = false;
	return rc;
}

/* One line without its terminator (SSE field parsing). */
static int stream_line(halo_chat_stream *s, const char *p, size_t n)
{
	if (n == 0)
		return stream_dispatch(s);
	if (p[0] == ':')
		return 0; /* comment (keep-alive) */
	const char *colon = memchr(p, ':', n);
	size_t flen = colon ? (size_t)(colon - p) : n;
	const char *v = colon ? colon + 1 : p + n;
	size_t vlen = (size_t)(p + n - v);
	if (vlen && *v == ' ') {
		v++;
		vlen--;
	}
	if (flen == 4 && !memcmp(p, "data", 4)) {
		s->have_data = true;
		if (halo_buf_add(&s->data, v, vlen) || halo_buf_add(&s->data, "\n", 1))
			return halo_error_prefix("chat stream: one event");
	}
	/* event, id, retry and unknown fields carry nothing we use. */
	return 0;
}

int halo_chat_stream_feed(halo_chat_stream *s, const char *data, size_t len)
{
	size_t total;
	int rc;

	if (s->err) {
		halo_error_set(s->err, "%s", s->errmsg);
		return s->err;
	}
	if (s->total == 0 && len)
		halo_text_oneline(s->head, sizeof(s->head), data, len < 80 ? len : 80, ' ');
	if (halo_size_add(&total, s->total, len) || total > s->max_total) {
		halo_error_set(HALO_ENOMEM, "chat stream exceeds its %zu-byte cap", s->max_total);
		return stream_fail(s, HALO_ENOMEM);
	}
	s->total = total;

	for (size_t i = 0; i < len;) {
		if (s->after_cr && data[i] == '\n') {
			s->after_cr = false;
			i++;
			continue;
		}
		s->after_cr = false;
		/* The rest of this line, up to CR or LF. */
		size_t j = i;
		while (j < len && data[j] != '\n' && data[j] != '\r')
			j++;
		if (j == len) {
			if (halo_buf_add(&s->line, data + i, j - i)) {
				halo_error_prefix("chat stream: one line");
				return stream_fail(s, HALO_ENOMEM);
			}
			break;
		}
		if (s->line.len) {
			if (halo_buf_add(&s->line, data + i, j - i)) {
				halo_error_prefix("chat stream: one line");
				return stream_fail(s, HALO_ENOMEM);
			}
			rc = stream_line(s, s->line.ptr, s->line.len);
			halo_buf_reset(&s->line);
		} else if (j - i > s->max_event) {
			/* The same cap as a line that arrives in pieces. */
			halo_error_set(HALO_ENOMEM, "chat stream: one line exceeds its %zu-byte cap", s->max_event);
			return stream_fail(s, HALO_ENOMEM);
		} else {
			rc = stream_line(s, data + i, j - i);
		}
		if (rc)
			return stream_fail(s, rc);
		s->after_cr = data[j] == '\r';
		i = j + 1;
	}
	return 0;
}

void halo_chat_stream_set_event_fn(halo_chat_stream *s, halo_chat_sse_event_fn fn, void *ud)
{
	s->event_fn = fn;
	s->event_ud = ud;
}

int halo_chat_stream_flush(halo_chat_stream *s)
{
	int rc;

	if (s->err) {
		halo_error_set(s->err, "%s", s->errmsg);
		return s->err;
	}
	/* A last line and event the server did not terminate. */
	if (s->line.len) {
		rc = stream_line(s, s->line.ptr, s->line.len);
		halo_buf_reset(&s->line);
		if (rc)
			return stream_fail(s, rc);
	}
	if ((rc = stream_dispatch(s)))
		return stream_fail(s, rc);
	return 0;
}

int halo_chat_stream_finish(halo_chat_stream *s, halo_chat_response *resp)
{
	int rc;

	if ((rc = halo_chat_stream_flush(s)))
		return rc;
	if (!s->any_choice) {
		if (s->total == 0)
			halo_error_set(HALO_EFORMAT, "chat stream is empty");
		else
			halo_error_set(HALO_EFORMAT, "chat stream carried no chat.completion.chunk: '%s'",
				       s->head);
		return stream_fail(s, HALO_EFORMAT);
	}
	if (!s->done && !s->meta.finish_reason) {
		halo_error_set(HALO_EFORMAT, "chat stream ended without finish_reason or [DONE]");
		return stream_fail(s, HALO_EFORMAT);
	}

	char *calls = NULL;
	if ((rc = tools_emit(&s->tools, &calls)))
		return stream_fail(s, rc);
	free(resp->tool_calls);
	resp->tool_calls = calls;
	/* Move the metadata. */
	free(resp->finish_reason);
	free(resp->model);
	free(resp->timings);
	resp->finish_reason = s->meta.finish_reason;
	resp->model = s->meta.model;
	resp->timings = s->meta.timings;
	s->meta.finish_reason = s->meta.model = s->meta.timings = NULL;
	resp->prompt_tokens = s->meta.prompt_tokens;
	resp->completion_tokens = s->meta.completion_tokens;
	resp->reasoning_tokens = s->meta.reasoning_tokens;
	if ((rc = finish_text(resp, s->content.ptr ? s->content.ptr : "", s->content.len,
			      s->reasoning.ptr)))
		return stream_fail(s, rc);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Client                                                                    */

struct halo_chat_client {
	halo_chat_opts o;
	char *base;     /* http://h:p/v1 */
	char *root;     /* http://h:p (for /props, /slots, /api/tags) */
	char *auth;     /* "Authorization: Bearer ..." or NULL */
	pthread_mutex_t lock;
	CURL *pool[POOL_MAX];
	int n_pool;
};

static int bad_opt(const char *what)
{
	return halo_error_set(HALO_EUSAGE, "chat client: %s", what);
}

int halo_chat_client_new(const halo_chat_opts *opts, halo_chat_client **out)
{
	static const halo_chat_opts defaults = HALO_CHAT_OPTS_INIT;
	halo_chat_client *c;
	const char *u;
	size_t n;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (opts->version != HALO_CHAT_OPTS_VERSION)
		return bad_opt("unsupported options version");
	u = opts->base_url;
	if (!u || !*u)
		return bad_opt("no server url");
	if (strncasecmp(u, "http://", 7) && strncasecmp(u, "https://", 8))
		return halo_error_set(HALO_EUSAGE, "chat client: '%s' is not an http(s) url", u);
	if (!(opts->connect_timeout_s > 0) || !(opts->idle_timeout_s >= 0) || !(opts->total_timeout_s >= 0) ||
	    opts->max_retries < 0 || opts->max_retries > 100 || !(opts->backoff_initial_s >= 0) ||
	    !(opts->backoff_max_s >= 0) || opts->connect_timeout_s > 1e6 || opts->idle_timeout_s > 1e7 ||
	    opts->total_timeout_s > 1e7 || opts->backoff_max_s > 1e5)
		return bad_opt("timeouts must be positive and retries 0..100");
	if (opts->api_key && strpbrk(opts->api_key, "\r\n"))
		return bad_opt("api key contains a line break");

	pthread_once(&curl_once, curl_init_once);
	if (!(c = calloc(1, sizeof(*c))))
		return halo_error_set(HALO_ENOMEM, "chat client: out of memory");
	c->o = *opts;
	c->o.base_url = c->o.api_key = NULL;
	if (!c->o.max_response_bytes)
		c->o.max_response_bytes = (size_t)64 << 20;
	if (!c->o.max_event_bytes)
		c->o.max_event_bytes = (size_t)16 << 20;

	/* Normalise: strip trailing slashes, then a trailing /v1, then re-add it. */
	n = strlen(u);
	while (n > 8 && u[n - 1] == '/')
		n--;
	if (n >= 3 && !strncmp(u + n - 3, "/v1", 3))
		n -= 3;
	while (n > 8 && u[n - 1] == '/')
		n--;
	c->root = strndup(u, n);
	if (c->root && (c->base = malloc(n + 4)))
		snprintf(c->base, n + 4, "%s/v1", c->root);
	if (opts->api_key && *opts->api_key) {
		size_t an = strlen(opts->api_key) + 32;
		if ((c->auth = malloc(an)))
			snprintf(c->auth, an, "Authorization: Bearer %s", opts->api_key);
	}
	if (!c->root || !c->base || (opts->api_key && *opts->api_key && !c->auth) ||
	    pthread_mutex_init(&c->lock, NULL)) {
		free(c->root);
		free(c->base);
		free(c->auth);
		free(c);
		return halo_error_set(HALO_ENOMEM, "chat client: out of memory");
	}
	*out = c;
	return 0;
}

void halo_chat_client_free(halo_chat_client *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n_pool; i++)
		curl_easy_cleanup(c->pool[i]);
	pthread_mutex_destroy(&c->lock);
	if (c->auth)
		memset(c->auth, 0, strlen(c->auth));
	free(c->auth);
	free(c->root);
	free(c->base);
	free(c);
}

const char *halo_chat_client_base_url(const halo_chat_client *c)
{
	return c->base;
}

static CURL *pool_get(halo_chat_client *c)
{
	CURL *h = NULL;
	pthread_mutex_lock(&c->lock);
	if (c->n_pool)
		h = c->pool[--c->n_pool];
	pthread_mutex_unlock(&c->lock);
	if (h) {
		/* Keeps live connections, drops every option. */
		curl_easy_reset(h);
		return h;
	}
	return curl_easy_init();
}

static void pool_put(halo_chat_client *c, CURL *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->n_pool < POOL_MAX) {
		c->pool[c->n_pool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	if (h)
		curl_easy_cleanup(h);
}

/* ------------------------------------------------------------------------ */
/* One HTTP exchange                                                         */

typedef struct xfer {
	const halo_chat_client *c;
	bool want_stream;
	halo_chat_stream *st; /* created on the first 200 text/event-stream byte */
	halo_buf body;        /* anything else (JSON reply, error body) */
	bool decided, sse;
	long status;
	double t0, last_rx, ttft;
	bool sent;            /* the request started going out */
	bool idle_fired, cancelled;
	int write_err;        /* a code recorded by the write callback */
	char write_msg[512];
} xfer;

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	xfer *x = ud;
	size_t n = size * nmemb;
	double t = halo_mono_s();

	x->last_rx = t;
	x->sent = true;
	if (!x->decided) {
		/* The first body bytes: status and content type are known. A
		 * server may answer a stream request with one JSON body, or an
		 * error in JSON: only a 2xx event stream goes to the SSE parser. */
		x->decided = true;
		x->sse = x->sse && x->status >= 200 && x->status < 300;
		if (x->sse && !x->st &&
		    halo_chat_stream_new(x->c->o.max_response_bytes, x->c->o.max_event_bytes, &x->st)) {
			x->write_err = HALO_ENOMEM;
			snprintf(x->write_msg, sizeof(x->write_msg), "out of memory");
			return 0;
		}
	}
	if (x->sse) {
		int rc = halo_chat_stream_feed(x->st, ptr, n);
		if (rc) {
			x->write_err = rc;
			snprintf(x->write_msg, sizeof(x->write_msg), "%s", halo_error_last()->message);
			return 0;
		}
		if (x->ttft < 0 && halo_chat_stream_started(x->st))
			x->ttft = t - x->t0;
		return n;
	}
	if (halo_buf_add(&x->body, ptr, n)) {
		x->write_err = HALO_ENOMEM;
		snprintf(x->write_msg, sizeof(x->write_msg), "reply exceeds its %zu-byte cap", x->body.cap);
		return 0;
	}
	return n;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	xfer *x = ud;
	double t = halo_mono_s();
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	if (x->c->o.cancel && *x->c->o.cancel) {
		x->cancelled = true;
		return 1;
	}
	/* The idle clock starts when the request starts going out (before
	 * that, the connect timeout governs). */
	if (!x->sent) {
		if (ulnow > 0) {
			x->sent = true;
			x->last_rx = t;
		}
		return 0;
	}
	if (x->c->o.idle_timeout_s > 0 && t - x->last_rx > x->c->o.idle_timeout_s) {
		x->idle_fired = true;
		return 1;
	}
	return 0;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	xfer *x = ud;
	size_t n = size * nmemb;
	x->last_rx = halo_mono_s();
	x->sent = true;
	if (n >= 5 && !strncmp(ptr, "HTTP/", 5)) {
		/* A new response (after a 100 Continue, a redirect): start over. */
		const char *sp = memchr(ptr, ' ', n);
		x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		x->sse = false;
		x->decided = false;
	} else if (n > 13 && !strncasecmp(ptr, "content-type:", 13)) {
		size_t i = 13;
		while (i < n && (ptr[i] == ' ' || ptr[i] == '\t'))
			i++;
		x->sse = n - i >= 17 && !strncasecmp(ptr + i, "text/event-stream", 17);
	}
	return n;
}

/* How an attempt ended, for the retry decision and the outcome. */
typedef enum attempt_end {
	END_OK,        /* a complete reply (status may be any) */
	END_RETRY,     /* retryable: no request reached the server */
	END_FINAL,     /* failed, do not resend */
} attempt_end;

typedef struct attempt {
	attempt_end end;
	int code;
	halo_outcome outcome;
	char msg[512];
	long status;
	double retry_after;
	double ttft, total;
} attempt;

static void perform(halo_chat_client *c, const char *url, const char *post, bool want_stream, size_t body_cap,
		    xfer *x, attempt *a)
{
	CURL *h = pool_get(c);
	struct curl_slist *hdr = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode cc;

	memset(a, 0, sizeof(*a));
	a->ttft = -1;
	if (!h) {
		a->end = END_FINAL;
		a->code = HALO_ENOMEM;
		a->outcome = HALO_OUTCOME_INFRA;
		snprintf(a->msg, sizeof(a->msg), "%s: curl_easy_init failed", url);
		return;
	}
	x->c = c;
	x->want_stream = want_stream;
	x->t0 = x->last_rx = halo_mono_s();
	x->ttft = -1;
	halo_buf_init(&x->body, body_cap);

	if (post) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		hdr = curl_slist_append(hdr, "Expect:");
	}
	hdr = curl_slist_append(hdr, want_stream ? "Accept: text/event-stream" : "Accept: application/json");
	if (c->auth)
		hdr = curl_slist_append(hdr, c->auth);

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "halo/" HALO_VERSION);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->o.connect_timeout_s * 1000));
	if (c->o.total_timeout_s > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(c->o.total_timeout_s * 1000));
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	/* A fresh connection per request: on a reused keep-alive connection
	 * that dies before any reply, curl silently sends the request again,
	 * which would start a second generation of something that may still
	 * be running (and hide a server crash as a refused reconnect, which we
	 * would retry). A local connect costs far less than a generation. */
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	if (post) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, post);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(post));
	}

	cc = curl_easy_perform(h);
	a->total = halo_mono_s() - x->t0;
	a->ttft = x->ttft;
	long st = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
	a->status = st ? st : x->status;
	curl_off_t ra = -1;
	if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
		a->retry_after = (double)ra;
	curl_off_t pre = 0;
	curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pre);

	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdr);
	pool_put(c, h);

	a->outcome = HALO_OUTCOME_INFRA;
	a->code = HALO_ENET;
	switch (cc) {
	case CURLE_OK:
		a->end = END_OK;
		a->outcome = HALO_OUTCOME_PASS;
		a->code = 0;
		return;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		a->end = END_RETRY;
		snprintf(a->msg, sizeof(a->msg), "%s: cannot connect: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return;
	case CURLE_OPERATION_TIMEDOUT:
		if (!x->sent && pre == 0) {
			/* The connection was never made: nothing was sent. */
			a->end = END_RETRY;
			snprintf(a->msg, sizeof(a->msg), "%s: cannot connect: %s", url, errbuf);
			return;
		}
		a->end = END_FINAL;
		a->outcome = HALO_OUTCOME_TIMEOUT;
		snprintf(a->msg, sizeof(a->msg), "%s: total timeout (%g s) after %.1f s", url, c->o.total_timeout_s,
			 a->total);
		return;
	case CURLE_ABORTED_BY_CALLBACK:
		a->end = END_FINAL;
		if (x->idle_fired) {
			a->outcome = HALO_OUTCOME_TIMEOUT;
			snprintf(a->msg, sizeof(a->msg), "%s: idle timeout: nothing received for %g s", url,
				 c->o.idle_timeout_s);
		} else {
			snprintf(a->msg, sizeof(a->msg), "%s: cancelled", url);
		}
		return;
	case CURLE_WRITE_ERROR:
		if (x->write_err) {
			a->end = END_FINAL;
			a->code = x->write_err;
			snprintf(a->msg, sizeof(a->msg), "%s: %s", url, x->write_msg);
			return;
		}
		/* fall through */
	default:
		a->end = END_FINAL;
		if (!errbuf[0])
			snprintf(errbuf, sizeof(errbuf), "%s", curl_easy_strerror(cc));
		snprintf(a->msg, sizeof(a->msg), "%s: %s%s", url, errbuf,
			 x->sent ? " (after the request was sent; not retried)" : "");
		return;
	}
}

/* Backoff before retry `k` (1-based): initial * 2^(k-1), +-25% jitter, at
 * least Retry-After, at most backoff_max_s. */
static double backoff_delay(const halo_chat_client *c, int k, double retry_after, unsigned *rng)
{
	double d = c->o.backoff_initial_s * ldexp(1.0, k - 1 < 30 ? k - 1 : 30);
	*rng = *rng * 1103515245u + 12345u;
	d *= 0.75 + 0.5 * (double)((*rng >> 8) & 0xffff) / 65535.0;
	if (retry_after > d)
		d = retry_after;
	if (d > c->o.backoff_max_s)
		d = c->o.backoff_max_s;
	return d;
}

static void sleep_cancellable(const halo_chat_client *c, double s)
{
	while (s > 0 && !(c->o.cancel && *c->o.cancel)) {
		double step = s < 0.1 ? s : 0.1;
		struct timespec ts = { (time_t)step, (long)((step - (double)(time_t)step) * 1e9) };
		nanosleep(&ts, NULL);
		s -= step;
	}
}

/* The message of a non-2xx reply body, as one line. */
static void http_error_text(const halo_buf *b, char *dst, size_t cap)
{
	json_t *root = b->len ? json_loadb(b->ptr, b->len, 0, NULL) : NULL;
	if (root && json_is_object(root) && json_object_get(root, "error")) {
		error_message(json_object_get(root, "error"), dst, cap);
	} else if (b->len) {
		halo_text_oneline(dst, cap, b->ptr, b->len < 200 ? b->len : 200, ' ');
	} else {
		snprintf(dst, cap, "(empty body)");
	}
	json_decref(root);
}

/*
 * Sends GET (post NULL) or POST with the retry policy. On END_OK with a 2xx
 * the xfer holds the reply (stream or body) for the caller to parse; the
 * caller frees x->body and x->st. Returns 0 or a negative code with `a` set.
 */
static int exchange(halo_chat_client *c, const char *url, const char *post, bool want_stream, size_t body_cap,
		    xfer *x, attempt *a, int *attempts)
{
	unsigned rng = (unsigned)((uint64_t)(halo_mono_s() * 1e6) ^ (uint64_t)(uintptr_t)x);
	*attempts = 0;
	for (int k = 0;; k++) {
		halo_chat_stream_free(x->st);
		halo_buf_free(&x->body);
		memset(x, 0, sizeof(*x));
		(*attempts)++;
		perform(c, url, post, want_stream, body_cap, x, a);
		if (a->end == END_OK) {
			if (a->status >= 200 && a->status < 300)
				return 0;
			char m[300];
			http_error_text(&x->body, m, sizeof(m));
			bool retryable = a->status == 429 || a->status == 503;
			snprintf(a->msg, sizeof(a->msg), "%s: http %ld: %s", url, a->status, m);
			a->code = a->status == 404 ? HALO_ENOTFOUND : HALO_ENET;
			a->outcome = HALO_OUTCOME_INFRA;
			a->end = retryable ? END_RETRY : END_FINAL;
		}
		if (a->end == END_FINAL || k >= c->o.max_retries || (c->o.cancel && *c->o.cancel)) {
			if (a->end == END_RETRY && k > 0) {
				size_t l = strlen(a->msg);
				snprintf(a->msg + l, sizeof(a->msg) - l, " (%d attempts)", *attempts);
			}
			return a->code;
		}
		sleep_cancellable(c, backoff_delay(c, k + 1, a->retry_after, &rng));
	}
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                  */

static int put_f(json_t *body, const char *k, const halo_chat_optf *v)
{
	if (!v->set)
		return 0;
	if (!isfinite(v->v))
		return halo_error_set(HALO_EUSAGE, "chat request: %s is not a finite number", k);
	return json_object_set_new(body, k, json_real(v->v)) ? -1 : 0;
}

static int put_i(json_t *body, const char *k, const halo_chat_opti *v)
{
	return v->set && json_object_set_new(body, k, json_integer((json_int_t)v->v)) ? -1 : 0;
}

static int parse_arg(const char *what, const char *text, json_t **out, int want_array)
{
	json_error_t e;
	*out = json_loads(text, 0, &e);
	if (!*out)
		return halo_error_set(HALO_EUSAGE, "chat request: %s is not JSON: %s", what, e.text);
	if (want_array ? !json_is_array(*out) : !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return halo_error_set(HALO_EUSAGE, "chat request: %s is not a JSON %s", what,
				      want_array ? "array" : "object");
	}
	return 0;
}

static int build_body(const halo_chat_request *req, bool stream, char **out)
{
	json_t *body = json_object(), *v = NULL;
	const halo_chat_sampling *s = &req->sampling;
	int rc = 0;

	*out = NULL;
	if (!body)
		return halo_error_set(HALO_ENOMEM, "chat request: out of memory");
	if (req->model && json_object_set_new(body, "model", json_string(req->model)))
		rc = halo_error_set(HALO_EUSAGE, "chat request: model name is not UTF-8");
	if (!rc && !(rc = parse_arg("messages", req->messages_json, &v, 1)))
		json_object_set_new(body, "messages", v);
	if (!rc && req->tools_json && !(rc = parse_arg("tools", req->tools_json, &v, 1))) {
		json_object_set_new(body, "tools", v);
		json_object_set_new(body, "tool_choice", json_string("auto"));
	}
	if (!rc && (put_f(body, "temperature", &s->temperature) || put_f(body, "top_p", &s->top_p) ||
		    put_f(body, "min_p", &s->min_p) || put_f(body, "presence_penalty", &s->presence_penalty) ||
		    put_f(body, "repeat_penalty", &s->repeat_penalty) || put_i(body, "top_k", &s->top_k) ||
		    put_i(body, "max_tokens", &s->max_tokens) || put_i(body, "seed", &s->seed)))
		rc = halo_error_last()->code ? halo_error_last()->code
					     : halo_error_set(HALO_ENOMEM, "chat request: out of memory");
	if (!rc) {
		json_object_set_new(body, "stream", json_boolean(stream));
		if (stream)
			json_object_set_new(body, "stream_options", json_pack("{s:b}", "include_usage", 1));
	}
	if (!rc && req->extra_json && !(rc = parse_arg("extra body", req->extra_json, &v, 0))) {
		json_object_update(body, v);
		json_decref(v);
	}
	if (!rc && !(*out = json_dumps(body, JSON_COMPACT)))
		rc = halo_error_set(HALO_ENOMEM, "chat request: out of memory");
	json_decref(body);
	return rc;
}

static int fail_resp(halo_chat_response *resp, int code, halo_outcome outcome, const char *msg)
{
	resp->outcome = outcome;
	snprintf(resp->error, sizeof(resp->error), "%s", msg);
	return halo_error_set(code, "%s", msg);
}

int halo_chat_complete(halo_chat_client *c, const halo_chat_request *req, halo_chat_response *resp)
{
	char *body = NULL, *url = NULL;
	xfer x;
	attempt a;
	int rc;
	bool stream;

	halo_chat_response_init(resp);
	if (!req || req->version != HALO_CHAT_REQUEST_VERSION || !req->messages_json)
		return fail_resp(resp, HALO_EUSAGE, HALO_OUTCOME_INFRA, "chat request: no messages");
	stream = req->stream < 0 ? c->o.stream != 0 : req->stream != 0;
	if ((rc = build_body(req, stream, &body)))
		return fail_resp(resp, rc, HALO_OUTCOME_INFRA, halo_error_last()->message);
	size_t ul = strlen(c->base) + sizeof("/chat/completions");
	if (!(url = malloc(ul))) {
		free(body);
		return fail_resp(resp, HALO_ENOMEM, HALO_OUTCOME_INFRA, "chat request: out of memory");
	}
	snprintf(url, ul, "%s/chat/completions", c->base);

	memset(&x, 0, sizeof(x));
	rc = exchange(c, url, body, stream, c->o.max_response_bytes, &x, &a, &resp->attempts);
	resp->http_status = a.status;
	resp->total_s = a.total;
	if (rc) {
		fail_resp(resp, rc, a.outcome, a.msg);
	} else {
		/* A server may ignore stream:true and answer with one JSON body. */
		if (x.sse)
			rc = halo_chat_stream_finish(x.st, resp);
		else
			rc = halo_chat_parse_completion(x.body.ptr ? x.body.ptr : "", x.body.len, resp);
		if (rc) {
			char m[512];
			snprintf(m, sizeof(m), "%s: %s", url, halo_error_last()->message);
			fail_resp(resp, rc, HALO_OUTCOME_INFRA, m);
		} else {
			resp->outcome = HALO_OUTCOME_PASS;
			resp->ttft_s = x.sse ? a.ttft : -1;
		}
	}
	halo_chat_stream_free(x.st);
	halo_buf_free(&x.body);
	free(url);
	free(body);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Server information                                                        */

/* GET root+path; returns the parsed JSON (2xx only) or NULL. */
static json_t *get_json(halo_chat_client *c, const char *base, const char *path, int *rc_out, char *msg,
			size_t msgcap)
{
	char url[4096];
	xfer x;
	attempt a;
	int attempts;
	json_t *j = NULL;

	snprintf(url, sizeof(url), "%s%s", base, path);
	memset(&x, 0, sizeof(x));
	*rc_out = exchange(c, url, NULL, false, INFO_BODY_CAP, &x, &a, &attempts);
	if (!*rc_out) {
		j = json_loadb(x.body.ptr ? x.body.ptr : "", x.body.len, 0, NULL);
		if (!j) {
			*rc_out = HALO_EFORMAT;
			snprintf(msg, msgcap, "%s: reply is not JSON", url);
		}
	} else {
		snprintf(msg, msgcap, "%s", a.msg);
	}
	halo_chat_stream_free(x.st);
	halo_buf_free(&x.body);
	return j;
}

static char *str_field(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

void halo_chat_server_info_free(halo_chat_server_info *info)
{
	if (!info)
		return;
	free(info->model);
	free(info->model_path);
	free(info->build);
	free(info->digest);
	free(info->fingerprint);
	memset(info, 0, sizeof(*info));
}

int halo_chat_server_info_get(halo_chat_client *c, halo_chat_server_info *out)
{
	return halo_chat_server_info_for(c, NULL, out);
}

int halo_chat_server_info_for(halo_chat_client *c, const char *want, halo_chat_server_info *out)
{
	char msg[512];
	int rc;
	json_t *j;
	halo_buf fp = HALO_BUF_INIT;

	memset(out, 0, sizeof(*out));
	if (!(j = get_json(c, c->base, "/models", &rc, msg, sizeof(msg))))
		return halo_error_set(rc, "%s", msg);
	const json_t *data = json_object_get(j, "data");
	const json_t *m0 = json_array_get(data, 0);
	if (!json_is_array(data)) {
		json_decref(j);
		return halo_error_set(HALO_EFORMAT, "%s/models: no 'data' array", c->base);
	}
	out->model = want ? strdup(want) : str_field(m0, "id");
	json_decref(j);
	if (want && !out->model)
		return halo_error_set(HALO_ENOMEM, "server info: out of memory");

	/* llama-server; failures only mean "not llama-server". */
	if ((j = get_json(c, c->root, "/props", &rc, msg, sizeof(msg))) && json_is_object(j)) {
		long long v = json_ll(json_object_get(j, "total_slots"));
		out->n_slots = v > 0 && v < 1 << 20 ? (int)v : 0;
		out->model_path = str_field(j, "model_path");
		out->build = str_field(j, "build_info");
		v = json_ll(json_object_get(json_object_get(j, "default_generation_settings"), "n_ctx"));
		out->n_ctx = v > 0 ? v : 0;
	}
	bool have_props = j != NULL;
	json_decref(j);
	if (!out->n_slots && (j = get_json(c, c->root, "/slots", &rc, msg, sizeof(msg)))) {
		if (json_is_array(j) && json_array_size(j) < 1 << 20)
			out->n_slots = (int)json_array_size(j);
		json_decref(j);
	}
	/* Ollama: the digest of the served model identifies its weights. */
	if (!have_props && out->model && (j = get_json(c, c->root, "/api/tags", &rc, msg, sizeof(msg)))) {
		size_t i;
		const json_t *m;
		json_array_foreach(json_object_get(j, "models"), i, m)
		{
			const json_t *name = json_object_get(m, "name"), *model = json_object_get(m, "model");
			if ((json_is_string(name) && !strcmp(json_string_value(name), out->model)) ||
			    (json_is_string(model) && !strcmp(json_string_value(model), out->model))) {
				out->digest = str_field(m, "digest");
				break;
			}
		}
		json_decref(j);
	}

	const char *model = out->model ? out->model : "";
	if (have_props)
		rc = halo_buf_addf(&fp, "llama-server|%s|%s|%lld", out->model_path ? out->model_path : model,
				   out->build ? out->build : "", out->n_ctx);
	else if (out->digest)
		rc = halo_buf_addf(&fp, "ollama|%s|%s", model, out->digest);
	else
		rc = halo_buf_addf(&fp, "openai|%s", model);
	if (rc || !(out->fingerprint = halo_buf_detach(&fp))) {
		halo_buf_free(&fp);
		halo_chat_server_info_free(out);
		return halo_error_set(HALO_ENOMEM, "server info: out of memory");
	}
	return 0;
}
