/*
 * An OpenAI-compatible chat client (POST /v1/chat/completions) over libcurl,
 * for llama-server and Ollama's OpenAI endpoint.
 *
 * One halo_chat_client serves many threads: halo_chat_complete() and
 * halo_chat_server_info() may be called concurrently on the same client. Each
 * call borrows a curl easy handle from a small pool kept by the client (so
 * keep-alive connections are reused) and returns it afterwards.
 *
 * Timeouts are kept apart because long local generations are normal:
 *   connect_timeout_s  establishing the TCP connection;
 *   idle_timeout_s     no byte received for that long (streaming: every SSE
 *                      chunk resets it; non-streaming servers send nothing
 *                      until the answer is complete, so there it bounds the
 *                      whole generation);
 *   total_timeout_s    the whole request, 0 = none.
 *
 * Retries (docs/eval-client.md): only when no request reached the server
 * (connection refused, DNS failure, connect timeout) or on HTTP 429/503, with
 * exponential backoff (jittered, capped, Retry-After honoured). Anything that
 * may still be generating on the server (a timeout after sending, a dropped
 * connection, a 500) is final: resending would run the generation twice on a
 * server that has only a few slots.
 *
 * Ownership: the client copies every string of its options. A request's
 * strings are borrowed for the duration of the call. A response owns its
 * strings; release them with halo_chat_response_free().
 */
#ifndef HALO_EVAL_CHAT_H
#define HALO_EVAL_CHAT_H

#include <stdbool.h>
#include <stddef.h>

#include "eval/verdict.h"

typedef struct halo_chat_opts {
	unsigned version;
	const char *base_url;       /* http://h:p, http://h:p/v1, trailing slash ok */
	const char *api_key;        /* NULL: no Authorization header */
	double connect_timeout_s;   /* default 10 */
	double idle_timeout_s;      /* default 600; 0 = none */
	double total_timeout_s;     /* default 0 = none */
	int max_retries;            /* default 5 (attempts = 1 + retries at most) */
	double backoff_initial_s;   /* default 0.5, doubled each retry, +-25% jitter */
	double backoff_max_s;       /* default 30: cap on one wait, Retry-After included */
	int stream;                 /* default 1: server-sent events */
	size_t max_response_bytes;  /* default 64 MiB: cap on a body or a whole stream */
	size_t max_event_bytes;     /* default 16 MiB: cap on one SSE event */
	/* When non-NULL and it becomes non-zero, calls in progress stop (within
	 * about a second) and fail with an infra outcome; backoff waits end. */
	const volatile int *cancel;
} halo_chat_opts;

#define HALO_CHAT_OPTS_VERSION 1
#define HALO_CHAT_OPTS_INIT                                                                     \
	{ HALO_CHAT_OPTS_VERSION, NULL, NULL, 10.0, 600.0, 0.0, 5, 0.5, 30.0, 1, (size_t)64 << 20, \
	  (size_t)16 << 20, NULL }

/* An optional sampling parameter: sent only when `set` is non-zero. */
typedef struct halo_chat_optf {
	int set;
	double v;
} halo_chat_optf;
typedef struct halo_chat_opti {
	int set;
	long long v;
} halo_chat_opti;

/* All unset when zero-initialised. top_k, min_p and repeat_penalty are
 * llama-server (and Ollama) extensions and go into the body under those names. */
typedef struct halo_chat_sampling {
	halo_chat_optf temperature, top_p, min_p, presence_penalty, repeat_penalty;
	halo_chat_opti top_k, max_tokens, seed;
} halo_chat_sampling;

#define HALO_CHAT_SAMPLING_INIT                                                             \
	{ { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 } }

typedef struct halo_chat_request {
	unsigned version;
	const char *model;          /* NULL: not sent (llama-server serves one model) */
	const char *messages_json;  /* required: a JSON array of messages */
	const char *tools_json;     /* NULL, or a JSON array of OpenAI tools (tool_choice auto) */
	halo_chat_sampling sampling;
	const char *extra_json;     /* NULL, or a JSON object merged into the body last
				       (e.g. {"chat_template_kwargs":{"enable_thinking":false}}) */
	int stream;                 /* -1: the client's default; 0 or 1 */
} halo_chat_request;

#define HALO_CHAT_REQUEST_VERSION 1
#define HALO_CHAT_REQUEST_INIT \
	{ HALO_CHAT_REQUEST_VERSION, NULL, NULL, NULL, HALO_CHAT_SAMPLING_INIT, NULL, -1 }

/* What one call produced. Token counts and times are -1 when unknown. */
typedef struct halo_chat_response {
	long http_status;        /* last HTTP status, 0 if none was received */
	char *content;           /* the answer, thinking removed ("" when none) */
	char *reasoning;         /* reasoning_content / reasoning / <think> text ("" when none) */
	bool think_unterminated; /* a <think> never closed */
	bool truncated;          /* finish_reason "length", or think_unterminated */
	char *tool_calls;        /* NULL, or [{"name":..., "arguments": "<string as sent>"}] */
	char *finish_reason;     /* NULL when the server gave none */
	char *model;             /* the model the server said answered, or NULL */
	long long prompt_tokens, completion_tokens, reasoning_tokens;
	double ttft_s;           /* streaming: first content/reasoning/tool delta; else -1 */
	double total_s;          /* the last attempt, request to end of answer */
	char *timings;           /* llama-server `timings` object as JSON text, or NULL */
	int attempts;            /* requests sent or tried (1 + retries) */
	/* HALO_OUTCOME_PASS when a complete answer came back (whatever it says);
	 * HALO_OUTCOME_INFRA or HALO_OUTCOME_TIMEOUT when the call failed. */
	halo_outcome outcome;
	char error[512];         /* one line when the call failed, else "" */
} halo_chat_response;

typedef struct halo_chat_client halo_chat_client;

/* Copies `opts` (NULL: defaults, but base_url is required). Returns 0 and
 * *out, or HALO_EUSAGE for a bad URL / option, HALO_ENOMEM. */
int halo_chat_client_new(const halo_chat_opts *opts, halo_chat_client **out);
/* NULL is fine. No call may be in progress. */
void halo_chat_client_free(halo_chat_client *c);

/* The normalised base ("http://h:p/v1", no trailing slash); owned by the client. */
const char *halo_chat_client_base_url(const halo_chat_client *c);

/*
 * Sends one chat completion, retrying as described above, and fills `resp`
 * (which the call initialises; free it with halo_chat_response_free() whatever
 * the result). Returns 0 when a complete answer was received (resp->outcome
 * PASS; check resp->truncated), else a negative code (HALO_ENET for transport,
 * HTTP and timeout failures, HALO_EFORMAT for a reply that is not the API's
 * JSON, HALO_EUSAGE for a bad request, HALO_ENOMEM) with resp->outcome and
 * resp->error set and the message also recorded with halo_error_set().
 */
int halo_chat_complete(halo_chat_client *c, const halo_chat_request *req, halo_chat_response *resp);

void halo_chat_response_init(halo_chat_response *r);
void halo_chat_response_free(halo_chat_response *r);

/* What the server says about itself. Strings are malloc'd; free with
 * halo_chat_server_info_free(). */
typedef struct halo_chat_server_info {
	int n_slots;         /* llama-server total_slots or /slots count; 0 = unknown (use 4) */
	char *model;         /* the model asked for, else the first id of /v1/models, or NULL */
	char *model_path;    /* /props model_path, or NULL */
	char *build;         /* /props build_info, or NULL */
	long long n_ctx;     /* /props default_generation_settings.n_ctx, 0 = unknown */
	char *digest;        /* Ollama /api/tags digest of `model`, or NULL */
	/* Stable text naming what serves the model, for configuration hashes:
	 * "llama-server|model_path|build|n_ctx", "ollama|model|digest", or
	 * "openai|model" when nothing more is known. Never NULL after success. */
	char *fingerprint;
} halo_chat_server_info;

/* Queries /v1/models, then /props (else /slots), else Ollama's /api/tags.
 * Only /v1/models is required: the others are optional and their failures
 * ignored. `model` (NULL: the first listed) is the model the caller will ask
 * for: an Ollama server lists every local model, and the fingerprint must
 * name the one in use. Returns 0, or a negative code with a message
 * (connection failure, /v1/models unusable). */
int halo_chat_server_info_for(halo_chat_client *c, const char *model, halo_chat_server_info *out);
/* halo_chat_server_info_for(c, NULL, out) */
int halo_chat_server_info_get(halo_chat_client *c, halo_chat_server_info *out);
void halo_chat_server_info_free(halo_chat_server_info *info);

/* --- Pure parsers (no network), exposed for the unit tests and fuzzing ---- */

/* Parses a non-streaming reply body into `resp` (content, reasoning, tool
 * calls, finish_reason, usage, timings, model). `resp` must have been
 * initialised; on failure it may hold partial data and the error is recorded.
 * Returns 0, HALO_EFORMAT (not JSON, no choices, an error object), HALO_ENOMEM. */
int halo_chat_parse_completion(const char *body, size_t len, halo_chat_response *resp);

/* Incremental parser of an SSE stream of chat.completion.chunk events. */
typedef struct halo_chat_stream halo_chat_stream;

/* Caps: 0 = the defaults of HALO_CHAT_OPTS_INIT. */
int halo_chat_stream_new(size_t max_total_bytes, size_t max_event_bytes, halo_chat_stream **out);
void halo_chat_stream_free(halo_chat_stream *s);
/* Feeds bytes as they arrive (any split). Returns 0, or a negative code once
 * the stream is bad (malformed chunk, error event, cap exceeded); after that
 * every call returns the same code. */
int halo_chat_stream_feed(halo_chat_stream *s, const char *data, size_t len);
/* True once a content, reasoning or tool-call delta has been seen. */
bool halo_chat_stream_started(const halo_chat_stream *s);
/* True once `data: [DONE]` arrived. */
bool halo_chat_stream_done(const halo_chat_stream *s);
/* Ends the stream (a final event without a trailing blank line is
 * dispatched) and moves the assembled answer into `resp` (initialised).
 * Fails with HALO_EFORMAT when no chunk carried a choice. */
int halo_chat_stream_finish(halo_chat_stream *s, halo_chat_response *resp);

/* Raw mode, for other SSE APIs (llama-server's native /completion): once set
 * (before the first feed), each complete event's data (data fields joined by
 * LF, without the last LF) goes to fn instead of the chat-chunk parser; the
 * line handling and caps stay the same. fn returns 0, or a negative code with
 * the error recorded, which fails the stream. halo_chat_stream_flush()
 * dispatches an event the server did not terminate; halo_chat_stream_finish()
 * is for chat chunks only. */
typedef int (*halo_chat_sse_event_fn)(void *ud, const char *data, size_t len);
void halo_chat_stream_set_event_fn(halo_chat_stream *s, halo_chat_sse_event_fn fn, void *ud);
int halo_chat_stream_flush(halo_chat_stream *s);

#endif
