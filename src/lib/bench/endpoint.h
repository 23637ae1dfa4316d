/*
 * halo bench endpoint: measuring a running llama-server through its native
 * API (docs/bench-endpoint.md).
 *
 * Prompts of an exact token length: a filler text is tokenized once with
 * POST /tokenize, and each request sends a token array ("prompt": [ids]) to
 * POST /completion, so the server evaluates exactly those tokens (llama-server
 * adds no BOS to a prompt of token ids). Each prompt starts with a random
 * prefix of its own and is sent with cache_prompt false, so the prompt cache
 * never serves it. Generation is forced to n tokens (n_predict, ignore_eos)
 * and streamed, so the time to the first token is measured on the client;
 * the final event carries llama-server's `timings`.
 *
 * A level is one (prompt length, concurrency c): c worker threads issue the
 * level's requests, each worker one at a time, all starting together.
 *
 * Ownership: options' strings are borrowed for the duration of a call.
 * halo_endpoint_run() returns a report the caller frees with
 * halo_endpoint_report_free(). Server replies are untrusted: every parser
 * below is bounded and never crashes (tests/fuzz/fuzz_endpoint.c).
 */
#ifndef HALO_BENCH_ENDPOINT_H
#define HALO_BENCH_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Caps on what a server may send. */
#define HALO_ENDPOINT_MAX_REPLY ((size_t)16 << 20)   /* one /tokenize body or one whole stream */
#define HALO_ENDPOINT_MAX_EVENT ((size_t)1 << 20)    /* one SSE event */
#define HALO_ENDPOINT_MAX_TOKENS ((size_t)1 << 20)   /* token ids in a /tokenize reply */
#define HALO_ENDPOINT_MAX_LEVELS 64                  /* prompt lengths x concurrencies */
#define HALO_ENDPOINT_MAX_PROMPT 1048576             /* tokens in one prompt */
#define HALO_ENDPOINT_MAX_CONCURRENCY 256
#define HALO_ENDPOINT_MAX_REQUESTS 100000            /* per level */
#define HALO_ENDPOINT_PREFIX_TOKENS 8                /* random cache-busting prefix */
#define HALO_ENDPOINT_MAX_PROPS ((size_t)1 << 20)    /* one /props or /slots body */
#define HALO_ENDPOINT_MAX_PROP_STRING 4096           /* a fingerprint string kept (longer: cut) */

/* llama-server's `timings` object (server_slot_stats). -1 (or -1.0) when a
 * field is missing; draft_n and draft_n_accepted are -1 when the server did
 * no speculative decoding (it omits them then). */
typedef struct halo_endpoint_timings {
	long long cache_n, prompt_n, predicted_n, draft_n, draft_n_accepted;
	double prompt_ms, prompt_per_second, predicted_ms, predicted_per_second;
} halo_endpoint_timings;

/* Parses a `timings` JSON object (text). Returns 0, or HALO_EFORMAT when it
 * is not an object or a present field has the wrong type or a negative or
 * non-finite value. */
int halo_endpoint_parse_timings(const char *json, size_t len, halo_endpoint_timings *out);

/* Parses a /tokenize reply ({"tokens": [ids]}, or [{"id":..,"piece":..}]
 * with_pieces) into a malloc'd array (*ids, caller frees; NULL when empty).
 * Ids must lie in [0, 2^31); at most max_tokens (0: HALO_ENDPOINT_MAX_TOKENS).
 * HALO_EFORMAT, HALO_ENOMEM. */
int halo_endpoint_parse_tokens(const char *body, size_t len, size_t max_tokens, int32_t **ids, size_t *n);

/* --- The server's fingerprint: GET /props (and GET /slots) ------------ */

/*
 * What was measured. llama-server's /props (server_context get_res_props):
 * model_path, model_alias, build_info, total_slots and
 * default_generation_settings.n_ctx (the context of one slot). Whether the
 * server drafts comes from GET /slots ("speculative" of the first slot):
 * /props' default_generation_settings.params["speculative.types"] is built
 * from default task parameters and says "none" even on a server started
 * with a draft model, so it is not used. Strings are malloc'd (NULL when
 * absent), freed by halo_endpoint_props_free().
 */
typedef struct halo_endpoint_props {
	char *model_path;
	char *model_alias;
	char *build_info;
	long long n_ctx;       /* per slot; -1 when absent */
	long long total_slots; /* -1 when absent */
	int speculative;       /* 1 drafts, 0 does not, -1 unknown (no /slots) */
} halo_endpoint_props;

/* Parses a /props reply into *out (zeroed first; absent fields stay
 * NULL/-1; strings longer than HALO_ENDPOINT_MAX_PROP_STRING are cut, control
 * characters become spaces). HALO_EFORMAT when it is not a JSON object or a
 * present field has the wrong type or a negative count; HALO_ENOMEM. On
 * failure *out holds nothing to free. */
int halo_endpoint_parse_props(const char *body, size_t len, halo_endpoint_props *out);
/* Parses a /slots reply (an array of slot objects): *speculative = the first
 * slot's "speculative" (1/0). HALO_EFORMAT otherwise. */
int halo_endpoint_parse_slots(const char *body, size_t len, int *speculative);
void halo_endpoint_props_free(halo_endpoint_props *p); /* frees the strings and p; NULL is fine */

/* --- The /completion event stream (native, not OpenAI) ----------------- */

typedef struct halo_endpoint_stream halo_endpoint_stream;

/* What a stream said. */
typedef struct halo_endpoint_stream_result {
	bool stopped;                  /* the final event (stop: true) arrived */
	long long events;              /* data events parsed */
	long long tokens_predicted;    /* final event's tokens_predicted, -1 if absent */
	long long tokens_evaluated;    /* final event's tokens_evaluated, -1 if absent */
	bool have_timings;
	halo_endpoint_timings timings; /* the final event's (else the last seen) */
} halo_endpoint_stream_result;

/* Caps: 0 = HALO_ENDPOINT_MAX_REPLY / HALO_ENDPOINT_MAX_EVENT. */
int halo_endpoint_stream_new(size_t max_total, size_t max_event, halo_endpoint_stream **out);
void halo_endpoint_stream_free(halo_endpoint_stream *s);
/* Feeds bytes as they arrive, in any split. 0, or a negative code once the
 * stream is bad (malformed event, an error event: HALO_ENET, a cap:
 * HALO_ENOMEM); sticky. */
int halo_endpoint_stream_feed(halo_endpoint_stream *s, const char *data, size_t len);
/* The number of generated-token events seen so far (an event whose content
 * is non-empty or whose `tokens` array is non-empty): the caller stamps the
 * time to first token when this first becomes non-zero. */
long long halo_endpoint_stream_token_events(const halo_endpoint_stream *s);
/* Ends the stream (an unterminated last event is parsed) and fills *out.
 * HALO_EFORMAT when no final event with timings arrived. */
int halo_endpoint_stream_finish(halo_endpoint_stream *s, halo_endpoint_stream_result *out);

/* --- Prompts and statistics (pure) ------------------------------------- */

/* A xorshift64* step; *state must be non-zero. */
uint64_t halo_endpoint_rand(uint64_t *state);

/*
 * Writes a prompt of exactly `len` tokens into out[0..len): min(nprefix, len)
 * ids drawn at random from pool[0..npool) (the cache-busting prefix), then
 * the filler pool[0], pool[1], ... repeated as often as needed. HALO_EUSAGE
 * when npool is 0.
 */
int halo_endpoint_build_prompt(const int32_t *pool, size_t npool, size_t len, size_t nprefix, uint64_t *rng,
			       int32_t *out);

/* The p-th percentile (0..100) of sorted[0..n), linear interpolation between
 * closest ranks (rank h = (n-1)p/100; numpy's default "linear", Hyndman-Fan
 * type 7). NaN when n is 0. */
double halo_endpoint_percentile(const double *sorted, size_t n, double p);

typedef struct halo_endpoint_stat {
	size_t n;
	double p50, p90, p99, mean, min, max; /* NaN when n is 0 */
} halo_endpoint_stat;

/* Sorts v in place and summarises it. */
void halo_endpoint_stat_of(double *v, size_t n, halo_endpoint_stat *out);

/* --- Running the benchmark --------------------------------------------- */

typedef struct halo_endpoint_sample {
	bool ok;
	double ttft_ms;      /* client: request sent to first generated token; -1 if none */
	double total_ms;     /* client: whole request */
	halo_endpoint_timings t;
	bool prompt_mismatch; /* ok, but prompt_n + cache_n != the prompt length, or cache_n > 0 */
	char error[200];     /* one line when !ok */
} halo_endpoint_sample;

typedef struct halo_endpoint_level {
	size_t prompt_tokens;
	int concurrency;
	size_t requests, failures, prompt_mismatches;
	double wall_s;               /* first request sent to last one finished */
	long long generated;         /* sum of predicted_n over successful requests */
	double aggregate_tps;        /* generated / wall_s */
	halo_endpoint_stat ttft_ms, pp_tps, tg_tps; /* over successful requests */
	long long prompt_n_min, prompt_n_max;       /* over successful requests; -1 when none */
	long long draft_n, draft_n_accepted;        /* sums; -1 when no request reported them */
	halo_endpoint_sample *samples;              /* [requests], in order of issue */
} halo_endpoint_level;

typedef struct halo_endpoint_report {
	char *url;            /* normalised base URL */
	size_t pool_tokens;   /* filler tokens obtained from /tokenize */
	size_t n_levels;
	halo_endpoint_level *levels; /* prompt lengths outer, concurrencies inner */
	halo_endpoint_props *props;  /* from GET /props before measuring; NULL when the server has
					none (Ollama, older builds) or its reply was unusable */
} halo_endpoint_report;

/* Progress, called from worker threads (serialised by the library). */
typedef void (*halo_endpoint_progress_fn)(void *ud, const halo_endpoint_level *level, size_t done,
					  const halo_endpoint_sample *last);

/*
 * Level finished (options version 2), called from the calling thread after
 * each level that ran (one cut short by `cancel` included), once its figures
 * are computed: `level` is partial->levels[partial->n_levels - 1], and
 * partial holds every level finished so far (url, pool_tokens and props
 * set). Both are borrowed for the call: a caller keeps a level by copying or
 * serialising it (e.g. storing the partial report, so a run killed later
 * keeps its finished levels).
 */
typedef void (*halo_endpoint_level_fn)(void *ud, const halo_endpoint_report *partial,
				       const halo_endpoint_level *level);

typedef struct halo_endpoint_opts {
	unsigned version;
	const char *url;              /* required: http://host:port (a trailing / is fine) */
	const char *api_key;          /* NULL: none */
	const size_t *prompt_tokens;  /* required, n_prompt_tokens > 0, each in [1, MAX_PROMPT] */
	size_t n_prompt_tokens;
	const int *concurrency;       /* required, each in [1, MAX_CONCURRENCY] */
	size_t n_concurrency;
	int n_predict;                /* default 128 */
	size_t requests;              /* per level; 0: 2 * c, at least 4 */
	double timeout_s;             /* one request, whole; default 600 */
	double connect_timeout_s;     /* default 10 */
	uint64_t seed;                /* prefixes; 0: from the clock */
	halo_endpoint_progress_fn progress;
	void *progress_ud;
	const volatile int *cancel;   /* non-zero: remaining requests are not sent */
	/* version 2 */
	halo_endpoint_level_fn level_done; /* NULL: none */
	void *level_done_ud;
} halo_endpoint_opts;

/* Version 1 callers (a struct ending at `cancel`) are still accepted. */
#define HALO_ENDPOINT_OPTS_VERSION 2
#define HALO_ENDPOINT_OPTS_INIT \
	{ HALO_ENDPOINT_OPTS_VERSION, NULL, NULL, NULL, 0, NULL, 0, 128, 0, 600.0, 10.0, 0, NULL, NULL, NULL, NULL, NULL }

/*
 * Runs every level against opts->url, after asking GET /props and GET /slots
 * for the server's fingerprint (report->props; a server without them is
 * measured all the same). Failures of single requests are
 * recorded in the report, not returned. Returns 0 and *out, or: HALO_EUSAGE
 * (options), HALO_ENET naming the URL when /tokenize cannot be reached or
 * fails (connection refused, HTTP error), HALO_EFORMAT for an unusable
 * /tokenize reply, HALO_ENOMEM.
 */
int halo_endpoint_run(const halo_endpoint_opts *opts, halo_endpoint_report **out);
void halo_endpoint_report_free(halo_endpoint_report *r);

#endif
