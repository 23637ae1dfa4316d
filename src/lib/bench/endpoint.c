/* halo bench endpoint: see endpoint.h and docs/bench-endpoint.md. */
#include "bench/endpoint.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "error.h"
#include "eval/chat.h"
#include "http.h"
#include "text.h"

/* ------------------------------------------------------------------------ */
/* timings and /tokenize                                                     */

static int num_field(const json_t *o, const char *k, double *out)
{
	const json_t *v = json_object_get(o, k);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return halo_error_set(HALO_EFORMAT, "timings: '%s' is not a number", k);
	double d = json_number_value(v);
	if (!isfinite(d) || d < 0)
		return halo_error_set(HALO_EFORMAT, "timings: '%s' is negative or not finite", k);
	*out = d;
	return 0;
}

static int int_field(const json_t *o, const char *k, long long *out)
{
	const json_t *v = json_object_get(o, k);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return halo_error_set(HALO_EFORMAT, "timings: '%s' is not a non-negative integer", k);
	*out = (long long)json_integer_value(v);
	return 0;
}

static int timings_of(const json_t *o, halo_endpoint_timings *t)
{
	*t = (halo_endpoint_timings){ -1, -1, -1, -1, -1, -1.0, -1.0, -1.0, -1.0 };
	if (!json_is_object(o))
		return halo_error_set(HALO_EFORMAT, "timings: not a JSON object");
	int rc;
	if ((rc = int_field(o, "cache_n", &t->cache_n)) || (rc = int_field(o, "prompt_n", &t->prompt_n)) ||
	    (rc = int_field(o, "predicted_n", &t->predicted_n)) || (rc = int_field(o, "draft_n", &t->draft_n)) ||
	    (rc = int_field(o, "draft_n_accepted", &t->draft_n_accepted)) ||
	    (rc = num_field(o, "prompt_ms", &t->prompt_ms)) ||
	    (rc = num_field(o, "prompt_per_second", &t->prompt_per_second)) ||
	    (rc = num_field(o, "predicted_ms", &t->predicted_ms)) ||
	    (rc = num_field(o, "predicted_per_second", &t->predicted_per_second)))
		return rc;
	if (t->draft_n >= 0 && t->draft_n_accepted > t->draft_n)
		return halo_error_set(HALO_EFORMAT, "timings: draft_n_accepted %lld exceeds draft_n %lld",
				      t->draft_n_accepted, t->draft_n);
	return 0;
}

int halo_endpoint_parse_timings(const char *json, size_t len, halo_endpoint_timings *out)
{
	json_error_t jerr;
	json_t *o = json_loadb(json, len, 0, &jerr);
	if (!o) {
		*out = (halo_endpoint_timings){ -1, -1, -1, -1, -1, -1.0, -1.0, -1.0, -1.0 };
		return halo_error_set(HALO_EFORMAT, "timings: not JSON (%s)", jerr.text);
	}
	int rc = timings_of(o, out);
	json_decref(o);
	return rc;
}

int halo_endpoint_parse_tokens(const char *body, size_t len, size_t max_tokens, int32_t **ids, size_t *n)
{
	json_error_t jerr;
	char head[81];
	*ids = NULL;
	*n = 0;
	if (!max_tokens)
		max_tokens = HALO_ENDPOINT_MAX_TOKENS;
	json_t *o = json_loadb(body, len, 0, &jerr);
	if (!o) {
		halo_text_oneline(head, sizeof(head), body, len < 80 ? len : 80, ' ');
		return halo_error_set(HALO_EFORMAT, "/tokenize reply is not JSON (%s): '%s'", jerr.text, head);
	}
	int rc = 0;
	const json_t *a = json_object_get(o, "tokens");
	if (!json_is_array(a)) {
		rc = halo_error_set(HALO_EFORMAT, "/tokenize reply has no 'tokens' array");
		goto out;
	}
	size_t count = json_array_size(a);
	if (count > max_tokens) {
		rc = halo_error_set(HALO_ENOMEM, "/tokenize reply: %zu tokens exceed the cap of %zu", count,
				    max_tokens);
		goto out;
	}
	if (!count)
		goto out;
	int32_t *v = malloc(count * sizeof(*v));
	if (!v) {
		rc = halo_error_set(HALO_ENOMEM, "/tokenize reply: out of memory");
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		const json_t *e = json_array_get(a, i);
		if (json_is_object(e)) /* with_pieces: {"id": .., "piece": ..} */
			e = json_object_get(e, "id");
		if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) > INT32_MAX) {
			free(v);
			rc = halo_error_set(HALO_EFORMAT, "/tokenize reply: token #%zu is not a valid id", i);
			goto out;
		}
		v[i] = (int32_t)json_integer_value(e);
	}
	*ids = v;
	*n = count;
out:
	json_decref(o);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* the /completion stream, over the chat client's SSE line parser            */

struct halo_endpoint_stream {
	halo_chat_stream *sse;
	long long token_events;
	halo_endpoint_stream_result r;
};

static int on_event(void *ud, const char *data, size_t len)
{
	halo_endpoint_stream *s = ud;
	json_error_t jerr;
	char head[81];
	int rc = 0;

	if (s->r.stopped || (len == 6 && !memcmp(data, "[DONE]", 6)))
		return 0; /* nothing after the final event counts */
	json_t *o = json_loadb(data, len, 0, &jerr);
	if (!o) {
		halo_text_oneline(head, sizeof(head), data, len < 80 ? len : 80, ' ');
		return halo_error_set(HALO_EFORMAT, "completion stream: malformed event (%s): '%s'", jerr.text, head);
	}
	if (!json_is_object(o)) {
		rc = halo_error_set(HALO_EFORMAT, "completion stream: an event is not a JSON object");
		goto out;
	}
	s->r.events++;
	const json_t *err = json_object_get(o, "error");
	if (err && !json_is_null(err)) {
		const json_t *m = json_is_object(err) ? json_object_get(err, "message") : err;
		const char *txt = json_is_string(m) ? json_string_value(m) : "(no message)";
		halo_text_oneline(head, sizeof(head), txt, strlen(txt) < 80 ? strlen(txt) : 80, ' ');
		rc = halo_error_set(HALO_ENET, "server error in stream: %s", head);
		goto out;
	}
	const json_t *c = json_object_get(o, "content"), *tk = json_object_get(o, "tokens");
	if ((json_is_string(c) && json_string_length(c)) || (json_is_array(tk) && json_array_size(tk)))
		s->token_events++;
	const json_t *t = json_object_get(o, "timings");
	if (t && !json_is_null(t)) {
		if ((rc = timings_of(t, &s->r.timings)))
			goto out;
		s->r.have_timings = true;
	}
	if (json_is_true(json_object_get(o, "stop"))) {
		s->r.stopped = true;
		const json_t *p = json_object_get(o, "tokens_predicted"), *e = json_object_get(o, "tokens_evaluated");
		if (json_is_integer(p) && json_integer_value(p) >= 0)
			s->r.tokens_predicted = (long long)json_integer_value(p);
		if (json_is_integer(e) && json_integer_value(e) >= 0)
			s->r.tokens_evaluated = (long long)json_integer_value(e);
	}
out:
	json_decref(o);
	return rc;
}

int halo_endpoint_stream_new(size_t max_total, size_t max_event, halo_endpoint_stream **out)
{
	halo_endpoint_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return halo_error_set(HALO_ENOMEM, "completion stream: out of memory");
	int rc = halo_chat_stream_new(max_total ? max_total : HALO_ENDPOINT_MAX_REPLY,
				      max_event ? max_event : HALO_ENDPOINT_MAX_EVENT, &s->sse);
	if (rc) {
		free(s);
		return rc;
	}
	halo_chat_stream_set_event_fn(s->sse, on_event, s);
	s->r.tokens_predicted = s->r.tokens_evaluated = -1;
	s->r.timings = (halo_endpoint_timings){ -1, -1, -1, -1, -1, -1.0, -1.0, -1.0, -1.0 };
	*out = s;
	return 0;
}

void halo_endpoint_stream_free(halo_endpoint_stream *s)
{
	if (!s)
		return;
	halo_chat_stream_free(s->sse);
	free(s);
}

int halo_endpoint_stream_feed(halo_endpoint_stream *s, const char *data, size_t len)
{
	return halo_chat_stream_feed(s->sse, data, len);
}

long long halo_endpoint_stream_token_events(const halo_endpoint_stream *s)
{
	return s->token_events;
}

int halo_endpoint_stream_finish(halo_endpoint_stream *s, halo_endpoint_stream_result *out)
{
	int rc = halo_chat_stream_flush(s->sse);
	*out = s->r;
	if (rc)
		return rc;
	if (!s->r.stopped)
		return halo_error_set(HALO_EFORMAT, "completion stream ended before its final event (%lld events)",
				      s->r.events);
	if (!s->r.have_timings)
		return halo_error_set(HALO_EFORMAT, "completion stream: the final event has no timings");
	return 0;
}

/* ------------------------------------------------------------------------ */
/* prompts and statistics                                                    */

uint64_t halo_endpoint_rand(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

int halo_endpoint_build_prompt(const int32_t *pool, size_t npool, size_t len, size_t nprefix, uint64_t *rng,
			       int32_t *out)
{
	if (!npool)
		return halo_error_set(HALO_EUSAGE, "prompt: no tokens to build it from");
	if (!*rng)
		*rng = 0x9E3779B97F4A7C15ULL;
	size_t k = nprefix < len ? nprefix : len;
	for (size_t i = 0; i < k; i++)
		out[i] = pool[halo_endpoint_rand(rng) % npool];
	for (size_t i = k; i < len; i++)
		out[i] = pool[(i - k) % npool];
	return 0;
}

double halo_endpoint_percentile(const double *sorted, size_t n, double p)
{
	if (!n)
		return NAN;
	if (p <= 0)
		return sorted[0];
	if (p >= 100)
		return sorted[n - 1];
	double h = (double)(n - 1) * p / 100.0;
	size_t lo = (size_t)floor(h);
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void halo_endpoint_stat_of(double *v, size_t n, halo_endpoint_stat *out)
{
	out->n = n;
	if (!n) {
		out->p50 = out->p90 = out->p99 = out->mean = out->min = out->max = NAN;
		return;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	out->mean = sum / (double)n;
	out->min = v[0];
	out->max = v[n - 1];
	out->p50 = halo_endpoint_percentile(v, n, 50);
	out->p90 = halo_endpoint_percentile(v, n, 90);
	out->p99 = halo_endpoint_percentile(v, n, 99);
}

/* ------------------------------------------------------------------------ */
/* the fingerprint: /props and /slots                                        */

/* o[k] as a new printable string (cut at HALO_ENDPOINT_MAX_PROP_STRING);
 * *dst stays NULL when absent or null. */
static int prop_string(const json_t *o, const char *k, char **dst)
{
	const json_t *v = json_object_get(o, k);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return halo_error_set(HALO_EFORMAT, "/props: '%s' is not a string", k);
	size_t n = json_string_length(v);
	if (n > HALO_ENDPOINT_MAX_PROP_STRING)
		n = HALO_ENDPOINT_MAX_PROP_STRING;
	if (!(*dst = malloc(n + 1)))
		return halo_error_set(HALO_ENOMEM, "out of memory");
	/* NUL bytes (json allows \u0000) become spaces too, so the cut text is whole */
	halo_text_oneline(*dst, n + 1, json_string_value(v), n, ' ');
	return 0;
}

static int prop_count(const json_t *o, const char *k, long long *dst)
{
	const json_t *v = json_object_get(o, k);
	*dst = -1;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return halo_error_set(HALO_EFORMAT, "/props: '%s' is not a non-negative integer", k);
	*dst = (long long)json_integer_value(v);
	return 0;
}

static void props_clear(halo_endpoint_props *p)
{
	free(p->model_path);
	free(p->model_alias);
	free(p->build_info);
	memset(p, 0, sizeof(*p));
}

void halo_endpoint_props_free(halo_endpoint_props *p)
{
	if (!p)
		return;
	props_clear(p);
	free(p);
}

int halo_endpoint_parse_props(const char *body, size_t len, halo_endpoint_props *out)
{
	memset(out, 0, sizeof(*out));
	out->n_ctx = out->total_slots = -1;
	out->speculative = -1;
	if (len > HALO_ENDPOINT_MAX_PROPS)
		return halo_error_set(HALO_EFORMAT, "/props: reply exceeds %zu bytes", HALO_ENDPOINT_MAX_PROPS);
	json_t *o = json_loadb(body, len, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return halo_error_set(HALO_EFORMAT, "/props: not a JSON object");
	}
	const json_t *gen = json_object_get(o, "default_generation_settings");
	int rc = 0;
	if (gen && !json_is_null(gen) && !json_is_object(gen))
		rc = halo_error_set(HALO_EFORMAT, "/props: 'default_generation_settings' is not an object");
	if (!rc)
		rc = prop_string(o, "model_path", &out->model_path);
	if (!rc)
		rc = prop_string(o, "model_alias", &out->model_alias);
	if (!rc)
		rc = prop_string(o, "build_info", &out->build_info);
	if (!rc)
		rc = prop_count(o, "total_slots", &out->total_slots);
	if (!rc && json_is_object(gen))
		rc = prop_count(gen, "n_ctx", &out->n_ctx);
	json_decref(o);
	if (rc) {
		props_clear(out);
		out->n_ctx = out->total_slots = -1;
		out->speculative = -1;
	}
	return rc;
}

int halo_endpoint_parse_slots(const char *body, size_t len, int *speculative)
{
	*speculative = -1;
	if (len > HALO_ENDPOINT_MAX_PROPS)
		return halo_error_set(HALO_EFORMAT, "/slots: reply exceeds %zu bytes", HALO_ENDPOINT_MAX_PROPS);
	json_t *a = json_loadb(body, len, 0, NULL);
	const json_t *v = json_object_get(json_array_get(a, 0), "speculative");
	int rc = 0;
	if (!json_is_boolean(v))
		rc = halo_error_set(HALO_EFORMAT, "/slots: no slot with a boolean 'speculative'");
	else
		*speculative = json_is_true(v);
	json_decref(a);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* HTTP                                                                      */

/* What one worker keeps across its requests: the handle (keep-alive). */
typedef struct conn {
	CURL *h;
	struct curl_slist *headers;
	halo_buf errbody;  /* the reply; of a stream only its first 2 KiB (HTTP errors) */
	halo_endpoint_stream *stream;
	double t0, t_first;
	size_t received;
	CURLcode last; /* of the last transfer */
} conn;

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	conn *c = ud;
	size_t n = size * nmemb;
	c->received += n;
	if (c->stream && c->errbody.len < 2048)
		halo_buf_add(&c->errbody, ptr, n < 2048 - c->errbody.len ? n : 2048 - c->errbody.len);
	if (!c->stream && halo_buf_add(&c->errbody, ptr, n))
		return 0; /* over the cap */
	if (c->stream) {
		/* A bad stream is reported at the end; the transfer stops now. */
		if (halo_endpoint_stream_feed(c->stream, ptr, n))
			return 0;
		if (c->t_first < 0 && halo_endpoint_stream_token_events(c->stream) > 0)
			c->t_first = halo_mono_s();
	}
	return n;
}

static int conn_open(conn *c, const char *url, const halo_endpoint_opts *o)
{
	halo_http_opts ho = HALO_HTTP_OPTS_INIT;
	ho.connect_timeout_s = (long)ceil(o->connect_timeout_s);
	ho.total_timeout_s = (long)ceil(o->timeout_s);
	ho.bearer_token = o->api_key;
	memset(c, 0, sizeof(*c));
	halo_buf_init(&c->errbody, HALO_ENDPOINT_MAX_REPLY);
	if (!(c->h = halo_http_easy_new(url, &ho, &c->headers)))
		return halo_error_last()->code;
	struct curl_slist *h = curl_slist_append(c->headers, "Content-Type: application/json");
	if (!h)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	c->headers = h;
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
	return 0;
}

static void conn_close(conn *c)
{
	if (c->h)
		curl_easy_cleanup(c->h);
	curl_slist_free_all(c->headers);
	halo_buf_free(&c->errbody);
	halo_endpoint_stream_free(c->stream);
	memset(c, 0, sizeof(*c));
}

/* The error message of a non-2xx reply (its first bytes are kept), into dst. */
static void http_error(const conn *c, const char *url, long status, char *dst, size_t cap)
{
	char msg[160] = "";
	json_t *o = c->errbody.ptr ? json_loadb(c->errbody.ptr, c->errbody.len, 0, NULL) : NULL;
	const json_t *e = json_object_get(o, "error");
	const json_t *m = json_is_object(e) ? json_object_get(e, "message") : e;
	if (json_is_string(m))
		halo_text_oneline(msg, sizeof(msg), json_string_value(m),
				  strlen(json_string_value(m)) < 150 ? strlen(json_string_value(m)) : 150, ' ');
	else if (c->errbody.len)
		halo_text_oneline(msg, sizeof(msg), c->errbody.ptr, c->errbody.len < 150 ? c->errbody.len : 150, ' ');
	json_decref(o);
	snprintf(dst, cap, "'%s': HTTP %ld%s%s", url, status, *msg ? ": " : "", msg);
}

/* POSTs body; a 2xx status leaves the reply in c->errbody (capped) or the
 * stream. 0, or HALO_ENET with `err` filled. */
static int conn_post(conn *c, const char *url, const char *body, char *err, size_t cap)
{
	halo_buf_reset(&c->errbody);
	c->received = 0;
	c->t_first = -1;
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
	c->t0 = halo_mono_s();
	CURLcode cc = curl_easy_perform(c->h);
	c->last = cc;
	long status = 0;
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	if (status && status / 100 != 2) {
		http_error(c, url, status, err, cap);
		return HALO_ENET;
	}
	if (cc == CURLE_WRITE_ERROR && c->stream)
		return 0; /* the stream parser stopped it: reported by its finish */
	if (cc == CURLE_WRITE_ERROR && !c->stream) {
		snprintf(err, cap, "'%s': reply exceeds %zu bytes", url, HALO_ENDPOINT_MAX_REPLY);
		return HALO_ENOMEM;
	}
	if (cc != CURLE_OK) {
		snprintf(err, cap, "cannot reach '%s': %s", url, curl_easy_strerror(cc));
		return HALO_ENET;
	}
	return 0;
}

/* GET base + path into c->errbody (at most HALO_ENDPOINT_MAX_PROPS bytes),
 * within a short limit: a fingerprint is not worth a long wait. 0 when the
 * reply was 2xx and whole. */
static int get_small(conn *c, const halo_endpoint_opts *o, const char *base, const char *path)
{
	char url[4200];
	snprintf(url, sizeof(url), "%s%s", base, path);
	if (conn_open(c, url, o))
		return -1;
	halo_buf_free(&c->errbody);
	halo_buf_init(&c->errbody, HALO_ENDPOINT_MAX_PROPS);
	curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT, (long)ceil(o->timeout_s < 30 ? o->timeout_s : 30));
	CURLcode cc = curl_easy_perform(c->h);
	long status = 0;
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	return cc == CURLE_OK && status / 100 == 2 ? 0 : -1;
}

/* The server's fingerprint, or NULL when it has no usable /props (Ollama,
 * older builds, a proxy): never an error, the measurement goes on. */
static halo_endpoint_props *fetch_props(const halo_endpoint_opts *o, const char *base)
{
	conn c;
	halo_endpoint_props *p = malloc(sizeof(*p));
	if (!p)
		return NULL;
	if (get_small(&c, o, base, "/props") ||
	    halo_endpoint_parse_props(c.errbody.ptr ? c.errbody.ptr : "", c.errbody.len, p)) {
		conn_close(&c);
		free(p);
		return NULL;
	}
	conn_close(&c);
	int spec;
	if (!get_small(&c, o, base, "/slots") &&
	    !halo_endpoint_parse_slots(c.errbody.ptr ? c.errbody.ptr : "", c.errbody.len, &spec))
		p->speculative = spec;
	conn_close(&c);
	return p;
}

/* ------------------------------------------------------------------------ */
/* the benchmark                                                             */

/* Enough varied English to tokenize into a few hundred distinct ids; longer
 * prompts repeat it. */
static const char filler_text[] =
	"The committee met on a cold Tuesday morning to discuss the harbour, the bridge and the new library. "
	"Several members argued that repairs to the old stone wall should come first, because winter storms "
	"had already washed away part of the road near the lighthouse. Others preferred to spend the money on "
	"books, computers, music rooms and a small garden where children could read in summer. After two hours, "
	"the chairwoman proposed a compromise: fix the wall before December, open the library in spring, and "
	"ask the county for 48,500 pounds to plant seventeen oak trees along the river. Everyone agreed, "
	"although the baker, who had brought fresh bread, jam, cheese and apples, complained that nobody had "
	"mentioned parking. Quantum physics, jazz guitar, volcanic islands, medieval poetry and the chemistry of "
	"yeast were discussed over lunch; the meeting closed at 3:15 pm.";

typedef struct level_run {
	const halo_endpoint_opts *o;
	const char *url; /* .../completion */
	const int32_t *pool;
	size_t npool;
	halo_endpoint_level *lv;
	pthread_mutex_t mu;
	size_t next, done;
	uint64_t seed;
} level_run;

static void sample_fail(halo_endpoint_sample *s, const char *msg)
{
	s->ok = false;
	snprintf(s->error, sizeof(s->error), "%s", msg);
}

static void one_request(level_run *L, conn *c, size_t idx, int32_t *prompt, halo_endpoint_sample *s)
{
	size_t len = L->lv->prompt_tokens;
	uint64_t rng = L->seed ^ ((uint64_t)(idx + 1) * 0x9E3779B97F4A7C15ULL);
	char err[200];
	memset(s, 0, sizeof(*s));
	s->ttft_ms = -1;
	s->t = (halo_endpoint_timings){ -1, -1, -1, -1, -1, -1.0, -1.0, -1.0, -1.0 };

	halo_endpoint_build_prompt(L->pool, L->npool, len, HALO_ENDPOINT_PREFIX_TOKENS, &rng, prompt);
	json_t *ids = json_array();
	for (size_t i = 0; ids && i < len; i++)
		if (json_array_append_new(ids, json_integer(prompt[i]))) {
			json_decref(ids);
			ids = NULL;
		}
	json_t *body = ids ? json_pack("{s:o, s:i, s:b, s:b, s:b}", "prompt", ids, "n_predict", L->o->n_predict,
				       "ignore_eos", 1, "cache_prompt", 0, "stream", 1)
			   : NULL;
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text) {
		sample_fail(s, "out of memory building the request");
		return;
	}
	halo_endpoint_stream_free(c->stream);
	c->stream = NULL;
	if (halo_endpoint_stream_new(0, 0, &c->stream)) {
		free(text);
		sample_fail(s, halo_error_last()->message);
		return;
	}
	int rc = conn_post(c, L->url, text, err, sizeof(err));
	if (rc == HALO_ENET && !c->received && (c->last == CURLE_SEND_ERROR || c->last == CURLE_GOT_NOTHING)) {
		/* The server closed the kept-alive connection as it was reused
		 * (seen with llama-server after many requests on one): nothing was
		 * sent, so the request is sent again, once, on a new connection. */
		curl_easy_setopt(c->h, CURLOPT_FRESH_CONNECT, 1L);
		rc = conn_post(c, L->url, text, err, sizeof(err));
		curl_easy_setopt(c->h, CURLOPT_FRESH_CONNECT, 0L);
	}
	double t_end = halo_mono_s();
	free(text);
	s->total_ms = (t_end - c->t0) * 1000.0;
	if (rc) {
		sample_fail(s, err);
		return;
	}
	halo_endpoint_stream_result r;
	if (halo_endpoint_stream_finish(c->stream, &r)) {
		sample_fail(s, halo_error_last()->message);
		return;
	}
	s->ok = true;
	s->t = r.timings;
	if (c->t_first >= 0)
		s->ttft_ms = (c->t_first - c->t0) * 1000.0;
	long long cached = s->t.cache_n > 0 ? s->t.cache_n : 0;
	s->prompt_mismatch = s->t.prompt_n < 0 || s->t.prompt_n + cached != (long long)len;
}

static void *worker(void *arg)
{
	level_run *L = arg;
	conn c;
	int32_t *prompt = malloc(L->lv->prompt_tokens * sizeof(*prompt));
	int orc = conn_open(&c, L->url, L->o);
	for (;;) {
		pthread_mutex_lock(&L->mu);
		size_t idx = L->next;
		bool stop = idx >= L->lv->requests || (L->o->cancel && *L->o->cancel);
		if (!stop)
			L->next++;
		pthread_mutex_unlock(&L->mu);
		if (stop)
			break;
		halo_endpoint_sample *s = &L->lv->samples[idx];
		if (!prompt || orc) {
			memset(s, 0, sizeof(*s));
			s->ttft_ms = -1;
			sample_fail(s, prompt ? halo_error_last()->message : "out of memory");
		} else {
			one_request(L, &c, idx, prompt, s);
		}
		pthread_mutex_lock(&L->mu);
		L->done++;
		if (L->o->progress)
			L->o->progress(L->o->progress_ud, L->lv, L->done, s);
		pthread_mutex_unlock(&L->mu);
	}
	conn_close(&c);
	free(prompt);
	return NULL;
}

static void summarise(halo_endpoint_level *lv)
{
	size_t n = lv->requests;
	double *a = calloc(n ? n : 1, sizeof(double)), *b = calloc(n ? n : 1, sizeof(double)),
	       *c = calloc(n ? n : 1, sizeof(double));
	size_t na = 0, nb = 0, nc = 0;
	lv->failures = lv->prompt_mismatches = 0;
	lv->generated = 0;
	lv->prompt_n_min = lv->prompt_n_max = -1;
	lv->draft_n = lv->draft_n_accepted = -1;
	for (size_t i = 0; i < n; i++) {
		const halo_endpoint_sample *s = &lv->samples[i];
		if (!s->ok) {
			lv->failures++;
			continue;
		}
		if (s->prompt_mismatch)
			lv->prompt_mismatches++;
		if (s->ttft_ms >= 0 && a)
			a[na++] = s->ttft_ms;
		if (s->t.prompt_per_second >= 0 && b)
			b[nb++] = s->t.prompt_per_second;
		if (s->t.predicted_per_second >= 0 && c)
			c[nc++] = s->t.predicted_per_second;
		if (s->t.predicted_n > 0)
			lv->generated += s->t.predicted_n;
		if (s->t.prompt_n >= 0) {
			if (lv->prompt_n_min < 0 || s->t.prompt_n < lv->prompt_n_min)
				lv->prompt_n_min = s->t.prompt_n;
			if (s->t.prompt_n > lv->prompt_n_max)
				lv->prompt_n_max = s->t.prompt_n;
		}
		if (s->t.draft_n >= 0) {
			lv->draft_n = (lv->draft_n < 0 ? 0 : lv->draft_n) + s->t.draft_n;
			lv->draft_n_accepted = (lv->draft_n_accepted < 0 ? 0 : lv->draft_n_accepted) +
					       (s->t.draft_n_accepted > 0 ? s->t.draft_n_accepted : 0);
		}
	}
	halo_endpoint_stat_of(a, a ? na : 0, &lv->ttft_ms);
	halo_endpoint_stat_of(b, b ? nb : 0, &lv->pp_tps);
	halo_endpoint_stat_of(c, c ? nc : 0, &lv->tg_tps);
	lv->aggregate_tps = lv->wall_s > 0 ? (double)lv->generated / lv->wall_s : 0;
	free(a);
	free(b);
	free(c);
}

static int run_level(const halo_endpoint_opts *o, const char *url, const int32_t *pool, size_t npool,
		     uint64_t seed, halo_endpoint_level *lv)
{
	level_run L = { .o = o, .url = url, .pool = pool, .npool = npool, .lv = lv, .seed = seed };
	pthread_t th[HALO_ENDPOINT_MAX_CONCURRENCY];
	int started = 0;
	if (!(lv->samples = calloc(lv->requests, sizeof(*lv->samples))))
		return halo_error_set(HALO_ENOMEM, "out of memory for %zu samples", lv->requests);
	pthread_mutex_init(&L.mu, NULL);
	double t0 = halo_mono_s();
	for (int i = 0; i < lv->concurrency; i++) {
		if (pthread_create(&th[i], NULL, worker, &L))
			break;
		started++;
	}
	if (!started) /* no thread: run the level here, one request at a time */
		worker(&L);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	lv->wall_s = halo_mono_s() - t0;
	pthread_mutex_destroy(&L.mu);
	/* Requests never sent (cancelled) are not part of the level. */
	lv->requests = L.next;
	summarise(lv);
	return 0;
}

void halo_endpoint_report_free(halo_endpoint_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_levels; i++)
		free(r->levels[i].samples);
	free(r->levels);
	free(r->url);
	halo_endpoint_props_free(r->props);
	free(r);
}

int halo_endpoint_run(const halo_endpoint_opts *o, halo_endpoint_report **out)
{
	*out = NULL;
	if (!o || (o->version != 1 && o->version != HALO_ENDPOINT_OPTS_VERSION))
		return halo_error_set(HALO_EUSAGE, "bench endpoint: options of an unknown version");
	/* A version 1 struct ends before level_done: read no further. */
	halo_endpoint_opts ov;
	memset(&ov, 0, sizeof(ov));
	memcpy(&ov, o, o->version == 1 ? offsetof(halo_endpoint_opts, level_done) : sizeof(ov));
	o = &ov;
	if (!o->url || (strncmp(o->url, "http://", 7) && strncmp(o->url, "https://", 8)))
		return halo_error_set(HALO_EUSAGE, "bench endpoint: '%s' is not an http(s) URL",
				      o->url ? o->url : "(none)");
	if (!o->n_prompt_tokens || !o->n_concurrency || !o->prompt_tokens || !o->concurrency)
		return halo_error_set(HALO_EUSAGE, "bench endpoint: no prompt length or concurrency");
	if (o->n_prompt_tokens * o->n_concurrency > HALO_ENDPOINT_MAX_LEVELS)
		return halo_error_set(HALO_EUSAGE, "bench endpoint: more than %d levels", HALO_ENDPOINT_MAX_LEVELS);
	for (size_t i = 0; i < o->n_prompt_tokens; i++)
		if (o->prompt_tokens[i] < 1 || o->prompt_tokens[i] > HALO_ENDPOINT_MAX_PROMPT)
			return halo_error_set(HALO_EUSAGE, "bench endpoint: prompt length %zu outside [1, %d]",
					      o->prompt_tokens[i], HALO_ENDPOINT_MAX_PROMPT);
	for (size_t i = 0; i < o->n_concurrency; i++)
		if (o->concurrency[i] < 1 || o->concurrency[i] > HALO_ENDPOINT_MAX_CONCURRENCY)
			return halo_error_set(HALO_EUSAGE, "bench endpoint: concurrency %d outside [1, %d]",
					      o->concurrency[i], HALO_ENDPOINT_MAX_CONCURRENCY);
	if (o->n_predict < 1 || o->n_predict > 1000000)
		return halo_error_set(HALO_EUSAGE, "bench endpoint: -n %d outside [1, 1000000]", o->n_predict);
	if (o->requests > HALO_ENDPOINT_MAX_REQUESTS)
		return halo_error_set(HALO_EUSAGE, "bench endpoint: more than %d requests a level",
				      HALO_ENDPOINT_MAX_REQUESTS);
	if (!(o->timeout_s > 0) || !(o->connect_timeout_s > 0))
		return halo_error_set(HALO_EUSAGE, "bench endpoint: timeouts must be positive");

	halo_endpoint_report *r = calloc(1, sizeof(*r));
	char tok_url[4200], cmp_url[4200], err[300];
	int rc = 0;
	if (!r)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	size_t ul = strlen(o->url);
	while (ul && o->url[ul - 1] == '/')
		ul--;
	if (ul > 4000) {
		free(r);
		return halo_error_set(HALO_EUSAGE, "bench endpoint: URL too long");
	}
	if (!(r->url = strndup(o->url, ul))) {
		free(r);
		return halo_error_set(HALO_ENOMEM, "out of memory");
	}
	r->props = fetch_props(o, r->url);
	snprintf(tok_url, sizeof(tok_url), "%s/tokenize", r->url);
	snprintf(cmp_url, sizeof(cmp_url), "%s/completion", r->url);

	/* The filler's tokens: the pool prompts are cut from. */
	conn c;
	int32_t *pool = NULL;
	size_t npool = 0;
	json_t *tb = json_pack("{s:s, s:b}", "content", filler_text, "add_special", 0);
	char *tbody = tb ? json_dumps(tb, JSON_COMPACT) : NULL;
	json_decref(tb);
	if (!tbody) {
		rc = halo_error_set(HALO_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = conn_open(&c, tok_url, o)) == 0) {
		if ((rc = conn_post(&c, tok_url, tbody, err, sizeof(err))))
			halo_error_set(rc, "%s", err);
		else
			rc = halo_endpoint_parse_tokens(c.errbody.ptr ? c.errbody.ptr : "", c.errbody.len, 0, &pool,
							&npool);
	}
	free(tbody);
	conn_close(&c);
	if (rc) {
		if (rc == HALO_EFORMAT)
			halo_error_prefix("'%s'", tok_url);
		goto fail;
	}
	if (npool < 16) {
		rc = halo_error_set(HALO_EFORMAT, "'%s': the filler text became only %zu tokens", tok_url, npool);
		goto fail;
	}
	r->pool_tokens = npool;

	uint64_t seed = o->seed ? o->seed : (uint64_t)time(NULL) ^ ((uint64_t)clock() << 20) ^ 0x5DEECE66DULL;
	size_t nl = o->n_prompt_tokens * o->n_concurrency;
	if (!(r->levels = calloc(nl, sizeof(*r->levels)))) {
		rc = halo_error_set(HALO_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < o->n_prompt_tokens; i++) {
		for (size_t j = 0; j < o->n_concurrency; j++) {
			halo_endpoint_level *lv = &r->levels[r->n_levels++];
			lv->prompt_tokens = o->prompt_tokens[i];
			lv->concurrency = o->concurrency[j];
			lv->requests = o->requests ? o->requests
						   : (size_t)(2 * lv->concurrency < 4 ? 4 : 2 * lv->concurrency);
			if (o->cancel && *o->cancel) {
				lv->requests = 0;
				summarise(lv);
				continue;
			}
			if ((rc = run_level(o, cmp_url, pool, npool, seed + r->n_levels * 0x10001ULL, lv)))
				goto fail;
			if (o->level_done)
				o->level_done(o->level_done_ud, r, lv);
		}
	}
	free(pool);
	*out = r;
	return 0;
fail:
	free(pool);
	halo_endpoint_report_free(r);
	return rc;
}
