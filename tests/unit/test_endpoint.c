/*
 * halo bench endpoint's library (src/lib/bench/endpoint.c): percentiles,
 * llama-server's timings, /tokenize replies and /completion streams (captured
 * from the pinned llama-server: tests/fuzz/corpus/endpoint/, and hostile
 * variants), /props and /slots (the server's fingerprint), exact-length
 * prompts, option checks (a version 1 options struct included), an
 * unreachable server, and the partial report stored after each level.
 */
#include "testutil.h"

#include "bench/bench_store.h"
#include "bench/endpoint.h"
#include "error.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char *read_fixture(const char *name, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/endpoint/%s", test_source_dir(), name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static char buf[1 << 16];
	*len = fread(buf, 1, sizeof(buf) - 1, f);
	buf[*len] = 0;
	fclose(f);
	char *copy = malloc(*len + 1);
	memcpy(copy, buf, *len + 1);
	return copy;
}

/* ------------------------------------------------------------------------ */

static void test_percentile(void **state)
{
	(void)state;
	/* numpy.percentile([1, 2, 3, 4], [50, 90, 99]) = 2.5, 3.7, 3.97 */
	const double v[] = { 1, 2, 3, 4 };
	assert_float_equal(halo_endpoint_percentile(v, 4, 50), 2.5, 1e-12);
	assert_float_equal(halo_endpoint_percentile(v, 4, 90), 3.7, 1e-12);
	assert_float_equal(halo_endpoint_percentile(v, 4, 99), 3.97, 1e-12);
	assert_float_equal(halo_endpoint_percentile(v, 4, 0), 1, 0);
	assert_float_equal(halo_endpoint_percentile(v, 4, 100), 4, 0);
	assert_float_equal(halo_endpoint_percentile(v, 1, 99), 1, 0);
	assert_true(isnan(halo_endpoint_percentile(v, 0, 50)));
	/* numpy.percentile(range(10, 110, 10), 90) = 91 */
	double w[10];
	for (int i = 0; i < 10; i++)
		w[i] = 10.0 * (i + 1);
	assert_float_equal(halo_endpoint_percentile(w, 10, 90), 91, 1e-9);

	/* stat_of sorts, and the percentiles come out ordered */
	double u[] = { 9, 1, 5, 3, 7, 2, 8 };
	halo_endpoint_stat s;
	halo_endpoint_stat_of(u, 7, &s);
	assert_int_equal(s.n, 7);
	assert_float_equal(s.min, 1, 0);
	assert_float_equal(s.max, 9, 0);
	assert_float_equal(s.p50, 5, 1e-12);
	assert_float_equal(s.mean, 5, 1e-12);
	assert_true(s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max);
	assert_float_equal(s.p90, 8.4, 1e-12);
	halo_endpoint_stat_of(u, 0, &s);
	assert_int_equal(s.n, 0);
	assert_true(isnan(s.p50) && isnan(s.mean));
}

static void test_timings(void **state)
{
	(void)state;
	halo_endpoint_timings t;
	const char *real = "{\"cache_n\":0,\"prompt_n\":8,\"prompt_ms\":4.225,\"prompt_per_token_ms\":0.528125,"
			   "\"prompt_per_second\":1893.4911242603553,\"predicted_n\":3,\"predicted_ms\":10.037,"
			   "\"predicted_per_token_ms\":5.0185,\"predicted_per_second\":199.26272790674503,"
			   "\"draft_n\":1,\"draft_n_accepted\":0}";
	assert_int_equal(halo_endpoint_parse_timings(real, strlen(real), &t), 0);
	assert_int_equal(t.cache_n, 0);
	assert_int_equal(t.prompt_n, 8);
	assert_int_equal(t.predicted_n, 3);
	assert_int_equal(t.draft_n, 1);
	assert_int_equal(t.draft_n_accepted, 0);
	assert_float_equal(t.prompt_ms, 4.225, 1e-12);
	assert_float_equal(t.predicted_per_second, 199.26272790674503, 1e-9);

	/* no speculative decoding: the draft fields are absent */
	const char *plain = "{\"prompt_n\":32,\"predicted_n\":16,\"predicted_per_second\":1.5}";
	assert_int_equal(halo_endpoint_parse_timings(plain, strlen(plain), &t), 0);
	assert_int_equal(t.draft_n, -1);
	assert_int_equal(t.draft_n_accepted, -1);
	assert_int_equal(t.cache_n, -1);
	assert_true(t.prompt_ms < 0);

	const char *bad[] = {
		"[1,2]",
		"{\"prompt_n\":\"8\"}",
		"{\"prompt_n\":-1}",
		"{\"prompt_n\":1.5}",
		"{\"prompt_ms\":-3}",
		"{\"predicted_per_second\":\"fast\"}",
		"{\"draft_n\":2,\"draft_n_accepted\":3}",
		"{\"prompt_n\":8",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(halo_endpoint_parse_timings(bad[i], strlen(bad[i]), &t), HALO_EFORMAT);
		assert_non_null(strstr(halo_error_last()->message, "timings"));
	}
}

static void test_tokens(void **state)
{
	(void)state;
	int32_t *ids;
	size_t n, len;
	char *body = read_fixture("tokenize.json", &len);
	assert_int_equal(halo_endpoint_parse_tokens(body, len, 0, &ids, &n), 0);
	assert_int_equal(n, 7);
	assert_int_equal(ids[0], 1996);
	assert_int_equal(ids[6], 2154);
	free(ids);
	free(body);
	body = read_fixture("tokenize_pieces.json", &len);
	assert_int_equal(halo_endpoint_parse_tokens(body, len, 0, &ids, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ids[1], 2837);
	free(ids);
	free(body);

	const char *empty = "{\"tokens\":[]}";
	assert_int_equal(halo_endpoint_parse_tokens(empty, strlen(empty), 0, &ids, &n), 0);
	assert_int_equal(n, 0);
	assert_null(ids);

	const char *bad[] = { "{\"tokens\":[1,-2]}", "{\"tokens\":[1,2147483648]}", "{\"tokens\":[1,\"x\"]}",
			      "{\"tokens\":[{\"piece\":\"a\"}]}", "{\"tokens\":{}}", "{}", "[1,2]", "not json",
			      "{\"tokens\":[1.5]}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(halo_endpoint_parse_tokens(bad[i], strlen(bad[i]), 0, &ids, &n), HALO_EFORMAT);
		assert_null(ids);
		assert_non_null(strstr(halo_error_last()->message, "/tokenize"));
	}
	const char *many = "{\"tokens\":[1,2,3,4]}";
	assert_int_equal(halo_endpoint_parse_tokens(many, strlen(many), 3, &ids, &n), HALO_ENOMEM);
	assert_null(ids);
	assert_int_equal(halo_endpoint_parse_tokens(many, strlen(many), 4, &ids, &n), 0);
	free(ids);
}

/* Feeds `data` in pieces of `step` bytes (0: whole). */
static int run_stream(const char *data, size_t len, size_t step, size_t max_total, halo_endpoint_stream_result *r,
		      long long *token_events)
{
	halo_endpoint_stream *s;
	assert_int_equal(halo_endpoint_stream_new(max_total, 0, &s), 0);
	int rc = 0;
	if (!step)
		step = len ? len : 1;
	for (size_t i = 0; i < len && !rc; i += step)
		rc = halo_endpoint_stream_feed(s, data + i, len - i < step ? len - i : step);
	if (!rc)
		rc = halo_endpoint_stream_finish(s, r);
	*token_events = halo_endpoint_stream_token_events(s);
	halo_endpoint_stream_free(s);
	return rc;
}

static void test_stream_real(void **state)
{
	(void)state;
	size_t len;
	char *data = read_fixture("real_stream_draft.sse", &len);
	const size_t steps[] = { 0, 1, 7, 100 };
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		halo_endpoint_stream_result r;
		long long te;
		assert_int_equal(run_stream(data, len, steps[k], 0, &r, &te), 0);
		assert_true(r.stopped);
		assert_true(r.have_timings);
		assert_int_equal(te, 3); /* three tokens, then the final event */
		assert_int_equal(r.events, 4);
		assert_int_equal(r.tokens_predicted, 3);
		assert_int_equal(r.tokens_evaluated, 8);
		assert_int_equal(r.timings.prompt_n, 8);
		assert_int_equal(r.timings.cache_n, 0);
		assert_int_equal(r.timings.predicted_n, 3);
		assert_int_equal(r.timings.draft_n, 1);
		assert_int_equal(r.timings.draft_n_accepted, 0);
	}
	/* the same with CRLF line ends */
	char *crlf = malloc(2 * len + 1);
	size_t m = 0;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n')
			crlf[m++] = '\r';
		crlf[m++] = data[i];
	}
	halo_endpoint_stream_result r;
	long long te;
	assert_int_equal(run_stream(crlf, m, 3, 0, &r, &te), 0);
	assert_int_equal(r.timings.prompt_n, 8);
	/* the stream cut before its final event */
	const char *cut = strstr(data, "data: {\"index\":0,\"content\":\"\"");
	assert_non_null(cut);
	assert_int_equal(run_stream(data, (size_t)(cut - data), 0, 0, &r, &te), HALO_EFORMAT);
	assert_non_null(strstr(halo_error_last()->message, "before its final event"));
	assert_int_equal(te, 3);
	/* the whole stream over a cap */
	assert_int_equal(run_stream(data, len, 64, 500, &r, &te), HALO_ENOMEM);
	/* the final event without its blank line still counts */
	assert_int_equal(run_stream(data, len - 2, 0, 0, &r, &te), 0);
	assert_true(r.stopped);
	free(crlf);
	free(data);
}

static void test_stream_hostile(void **state)
{
	(void)state;
	halo_endpoint_stream_result r;
	long long te;
	struct {
		const char *text;
		int rc;
		const char *msg;
	} cases[] = {
		{ "data: {\"error\":{\"code\":500,\"message\":\"The model produced output that does not match\"}}\n\n",
		  HALO_ENET, "does not match" },
		{ "data: {\"error\":\"plain\"}\n\n", HALO_ENET, "plain" },
		{ "data: {\"content\":\"a\",\"stop\":false}\n\ndata: {not json\n\n", HALO_EFORMAT, "malformed event" },
		{ "data: [1,2]\n\n", HALO_EFORMAT, "not a JSON object" },
		{ "data: {\"stop\":true}\n\n", HALO_EFORMAT, "no timings" },
		{ "data: {\"stop\":true,\"timings\":{\"prompt_n\":-5}}\n\n", HALO_EFORMAT, "prompt_n" },
		{ "data: {\"stop\":true,\"timings\":[]}\n\n", HALO_EFORMAT, "timings" },
		{ "", HALO_EFORMAT, "before its final event" },
		{ "<html>502 Bad Gateway</html>", HALO_EFORMAT, "before its final event" },
		{ ": keep-alive\n\nevent: x\nid: 3\n\n", HALO_EFORMAT, "0 events" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(run_stream(cases[i].text, strlen(cases[i].text), 0, 0, &r, &te), cases[i].rc);
		if (!strstr(halo_error_last()->message, cases[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, halo_error_last()->message, cases[i].msg);
	}
	/* events after the final one, and [DONE], are ignored; data fields join */
	const char *ok = "data: {\"content\":\"\",\"tokens\":[5]}\n\n"
			 "data: {\"stop\":true,\n"
			 "data: \"timings\":{\"prompt_n\":4,\"predicted_n\":1}}\n\n"
			 "data: {\"error\":\"late\"}\n\ndata: [DONE]\n\n";
	assert_int_equal(run_stream(ok, strlen(ok), 5, 0, &r, &te), 0);
	assert_int_equal(te, 1);
	assert_int_equal(r.timings.prompt_n, 4);
	assert_int_equal(r.timings.draft_n, -1);
	assert_int_equal(r.tokens_predicted, -1);
	/* one event over the event cap */
	halo_endpoint_stream *s;
	assert_int_equal(halo_endpoint_stream_new(0, 64, &s), 0);
	char big[200];
	memset(big, 'x', sizeof(big));
	assert_int_equal(halo_endpoint_stream_feed(s, "data: ", 6), 0);
	assert_int_equal(halo_endpoint_stream_feed(s, big, sizeof(big)), HALO_ENOMEM);
	assert_int_equal(halo_endpoint_stream_feed(s, "\n\n", 2), HALO_ENOMEM); /* sticky */
	halo_endpoint_stream_free(s);
}

static void test_prompt(void **state)
{
	(void)state;
	const int32_t pool[] = { 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21 };
	const size_t np = sizeof(pool) / sizeof(pool[0]);
	const size_t lens[] = { 1, 5, 8, 9, 12, 100, 2048 };
	int32_t *a = malloc(2048 * sizeof(*a)), *b = malloc(2048 * sizeof(*b));
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t len = lens[k];
		uint64_t r1 = 1 + k, r2 = 1000 + k;
		/* a sentinel after the end: exactly len ids are written */
		a[len < 2048 ? len : 0] = -7;
		assert_int_equal(halo_endpoint_build_prompt(pool, np, len, HALO_ENDPOINT_PREFIX_TOKENS, &r1, a), 0);
		if (len < 2048)
			assert_int_equal(a[len], -7);
		assert_int_equal(halo_endpoint_build_prompt(pool, np, len, HALO_ENDPOINT_PREFIX_TOKENS, &r2, b), 0);
		size_t pre = len < HALO_ENDPOINT_PREFIX_TOKENS ? len : HALO_ENDPOINT_PREFIX_TOKENS;
		for (size_t i = 0; i < len; i++) {
			assert_true(a[i] >= 10 && a[i] <= 21);
			if (i >= pre) /* the filler, in order, repeated */
				assert_int_equal(a[i], pool[(i - pre) % np]);
		}
		/* different random states, different prefixes */
		if (pre == HALO_ENDPOINT_PREFIX_TOKENS)
			assert_memory_not_equal(a, b, pre * sizeof(*a));
	}
	/* the same state, the same prompt (both servers of --vs get one workload) */
	uint64_t r1 = 42, r2 = 42;
	halo_endpoint_build_prompt(pool, np, 64, 8, &r1, a);
	halo_endpoint_build_prompt(pool, np, 64, 8, &r2, b);
	assert_memory_equal(a, b, 64 * sizeof(*a));
	assert_int_equal(halo_endpoint_build_prompt(pool, 0, 4, 8, &r1, a), HALO_EUSAGE);
	free(a);
	free(b);
}

static void test_run_errors(void **state)
{
	(void)state;
	/* a port nobody listens on */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ntohs(sa.sin_port));

	const size_t plen[] = { 32 };
	const int conc[] = { 1 };
	halo_endpoint_report *r = (halo_endpoint_report *)1;
	halo_endpoint_opts o = HALO_ENDPOINT_OPTS_INIT;
	o.url = url;
	o.prompt_tokens = plen;
	o.n_prompt_tokens = 1;
	o.concurrency = conc;
	o.n_concurrency = 1;
	o.connect_timeout_s = 2;
	assert_int_equal(halo_endpoint_run(&o, &r), HALO_ENET);
	assert_null(r);
	url[strlen(url) - 1] = 0; /* the message names the URL, without the slash */
	assert_non_null(strstr(halo_error_last()->message, url));

	halo_endpoint_opts bad = o;
	bad.url = "ftp://x";
	assert_int_equal(halo_endpoint_run(&bad, &r), HALO_EUSAGE);
	bad = o;
	bad.n_predict = 0;
	assert_int_equal(halo_endpoint_run(&bad, &r), HALO_EUSAGE);
	const int zero[] = { 0 };
	bad = o;
	bad.concurrency = zero;
	assert_int_equal(halo_endpoint_run(&bad, &r), HALO_EUSAGE);
	const size_t huge[] = { (size_t)HALO_ENDPOINT_MAX_PROMPT + 1 };
	bad = o;
	bad.prompt_tokens = huge;
	assert_int_equal(halo_endpoint_run(&bad, &r), HALO_EUSAGE);
	bad = o;
	bad.version = 99;
	assert_int_equal(halo_endpoint_run(&bad, &r), HALO_EUSAGE);

	/* A version 1 caller's struct ends at `cancel`: accepted, and (under
	 * ASan) never read past. */
	size_t v1 = offsetof(halo_endpoint_opts, level_done);
	halo_endpoint_opts one = o;
	one.version = 1;
	void *old = malloc(v1);
	assert_non_null(old);
	memcpy(old, &one, v1);
	assert_int_equal(halo_endpoint_run((const halo_endpoint_opts *)old, &r), HALO_ENET);
	assert_null(r);
	free(old);
}


/* A captured /props reply of the pinned llama-server, and hostile ones. */
static void test_props(void **state)
{
	(void)state;
	size_t len;
	char *body = read_fixture("props_plain.json", &len);
	halo_endpoint_props p;
	assert_int_equal(halo_endpoint_parse_props(body, len, &p), 0);
	assert_string_equal(p.model_path, "main.gguf");
	assert_string_equal(p.model_alias, "main.gguf");
	assert_string_equal(p.build_info, "b1-80fb11a");
	assert_int_equal(p.total_slots, 2);
	assert_int_equal(p.n_ctx, 512);
	assert_int_equal(p.speculative, -1); /* /slots says, not /props */
	free(p.model_path);
	free(p.model_alias);
	free(p.build_info);
	/* cut short: not JSON */
	assert_int_equal(halo_endpoint_parse_props(body, len / 2, &p), HALO_EFORMAT);
	assert_null(p.model_path);
	assert_non_null(strstr(halo_error_last()->message, "/props"));
	free(body);

	/* an empty object (another server): nothing known, no failure */
	assert_int_equal(halo_endpoint_parse_props("{}", 2, &p), 0);
	assert_null(p.model_path);
	assert_null(p.build_info);
	assert_int_equal(p.total_slots, -1);
	assert_int_equal(p.n_ctx, -1);
	static const char *const bad[] = {
		"[]",
		"null",
		"",
		"{\"total_slots\": -1}",
		"{\"total_slots\": \"2\"}",
		"{\"total_slots\": 2.5}",
		"{\"model_path\": 5}",
		"{\"model_path\": \"m\", \"build_info\": [1]}", /* a string already kept is freed */
		"{\"default_generation_settings\": 3}",
		"{\"model_path\": \"m\", \"default_generation_settings\": {\"n_ctx\": -4}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		p.model_path = (char *)1;
		assert_int_equal(halo_endpoint_parse_props(bad[i], strlen(bad[i]), &p), HALO_EFORMAT);
		assert_null(p.model_path);
		assert_int_equal(p.total_slots, -1);
	}
	/* a NUL inside a string: jansson refuses the reply */
	assert_int_equal(halo_endpoint_parse_props("{\"model_path\": \"a\\u0000b\"}", 26, &p), HALO_EFORMAT);
	/* a huge path is cut; control characters become spaces */
	size_t big = 3 * HALO_ENDPOINT_MAX_PROP_STRING;
	char *j = malloc(big + 64);
	int k = snprintf(j, 64, "{\"model_path\": \"");
	memset(j + k, 'a', big);
	snprintf(j + k + big, 64, "\", \"build_info\": \"b\\u0001\\n\\u001bx\"}");
	assert_int_equal(halo_endpoint_parse_props(j, strlen(j), &p), 0);
	assert_int_equal(strlen(p.model_path), HALO_ENDPOINT_MAX_PROP_STRING);
	assert_string_equal(p.build_info, "b   x");
	free(p.model_path);
	free(p.build_info);
	free(j);
	/* over the cap: refused before parsing */
	assert_int_equal(halo_endpoint_parse_props("{}", HALO_ENDPOINT_MAX_PROPS + 1, &p), HALO_EFORMAT);
	halo_endpoint_props_free(NULL);
}

static void test_slots(void **state)
{
	(void)state;
	size_t len;
	char *body = read_fixture("slots_draft.json", &len);
	int spec = 7;
	assert_int_equal(halo_endpoint_parse_slots(body, len, &spec), 0);
	assert_int_equal(spec, 1);
	free(body);
	assert_int_equal(halo_endpoint_parse_slots("[{\"id\":0,\"speculative\":false}]", 30, &spec), 0);
	assert_int_equal(spec, 0);
	static const char *const bad[] = { "[]", "{}", "[{\"speculative\":1}]", "[1]", "x", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(halo_endpoint_parse_slots(bad[i], strlen(bad[i]), &spec), HALO_EFORMAT);
		assert_int_equal(spec, -1);
	}
}

/* The partial report stored after each level: status stays running, and a
 * finished run takes no more. */
static void test_store_update(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof(path), "%s/halo.db", test_tmpdir("endpoint_update"));
	halo_bench_db *db = NULL;
	assert_int_equal(halo_bench_db_open(&db, path), 0);
	int64_t id = 0;
	assert_int_equal(halo_bench_endpoint_create(db, "http://h:1", NULL, NULL, NULL, &id), 0);
	assert_int_equal(halo_bench_endpoint_update(db, id, "{\"partial\":true,\"n\":1}"), 0);
	assert_int_equal(halo_bench_endpoint_update(db, id, "{\"partial\":true,\"n\":2}"), 0);
	halo_bench_endpoint_run r;
	assert_int_equal(halo_bench_endpoint_load(db, id, &r), 0);
	assert_string_equal(r.status, "running");
	assert_string_equal(r.report_json, "{\"partial\":true,\"n\":2}");
	halo_bench_endpoint_run_free(&r);
	assert_int_equal(halo_bench_endpoint_update(db, id, NULL), HALO_EUSAGE);
	assert_int_equal(halo_bench_endpoint_update(db, id + 1, "{}"), HALO_ENOTFOUND);
	assert_int_equal(halo_bench_endpoint_finish(db, id, "done", "{\"n\":3}", NULL), 0);
	assert_int_equal(halo_bench_endpoint_update(db, id, "{\"n\":4}"), HALO_ENOTFOUND);
	assert_int_equal(halo_bench_endpoint_load(db, id, &r), 0);
	assert_string_equal(r.status, "done");
	assert_string_equal(r.report_json, "{\"n\":3}");
	halo_bench_endpoint_run_free(&r);
	halo_bench_db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentile), cmocka_unit_test(test_timings),
		cmocka_unit_test(test_tokens),     cmocka_unit_test(test_stream_real),
		cmocka_unit_test(test_stream_hostile), cmocka_unit_test(test_prompt),
		cmocka_unit_test(test_run_errors), cmocka_unit_test(test_props),
		cmocka_unit_test(test_slots),      cmocka_unit_test(test_store_update),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
