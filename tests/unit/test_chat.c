/*
 * The chat client (src/lib/eval/chat.c): pure parsers on crafted input, then
 * the real client against the real oracle server (tests/tools/oracle_server.py)
 * for every behaviour it scripts. Retry counts are read from the oracle's
 * request log, so "retried" and "not retried" are facts, not guesses.
 */
#include "testutil.h"

#include "buf.h"
#include "error.h"
#include "eval/chat.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------------ */
/* Pure parsers                                                              */

static void test_parse_completion(void **state)
{
	(void)state;
	const char *body =
		"{\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"message\":{\"role\":\"assistant\","
		"\"content\":\"<think>hmm</think>\\n\\nfour\"}}],\"model\":\"m\",\"usage\":{\"prompt_tokens\":7,"
		"\"completion_tokens\":9,\"completion_tokens_details\":{\"reasoning_tokens\":3}},"
		"\"timings\":{\"predicted_n\":9}}";
	halo_chat_response r;
	halo_chat_response_init(&r);
	assert_int_equal(halo_chat_parse_completion(body, strlen(body), &r), 0);
	assert_string_equal(r.content, "four");
	assert_string_equal(r.reasoning, "hmm");
	assert_string_equal(r.finish_reason, "stop");
	assert_string_equal(r.model, "m");
	assert_false(r.truncated);
	assert_int_equal(r.prompt_tokens, 7);
	assert_int_equal(r.completion_tokens, 9);
	assert_int_equal(r.reasoning_tokens, 3);
	assert_string_equal(r.timings, "{\"predicted_n\":9}");
	assert_null(r.tool_calls);
	halo_chat_response_free(&r);

	/* Ollama's field name, tool calls with string and object arguments. */
	body = "{\"choices\":[{\"finish_reason\":\"tool_calls\",\"message\":{\"content\":null,"
	       "\"reasoning\":\"r\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\": 1}\"}},"
	       "{\"function\":{\"name\":\"g\",\"arguments\":{\"b\":2}}}]}}]}";
	halo_chat_response_init(&r);
	assert_int_equal(halo_chat_parse_completion(body, strlen(body), &r), 0);
	assert_string_equal(r.content, "");
	assert_string_equal(r.reasoning, "r");
	assert_string_equal(r.tool_calls,
			    "[{\"name\":\"f\",\"arguments\":\"{\\\"a\\\": 1}\"},{\"name\":\"g\",\"arguments\":\"{\\\"b\\\":2}\"}]");
	assert_int_equal(r.prompt_tokens, -1);
	halo_chat_response_free(&r);

	/* length */
	body = "{\"choices\":[{\"finish_reason\":\"length\",\"message\":{\"content\":\"abc\"}}]}";
	halo_chat_response_init(&r);
	assert_int_equal(halo_chat_parse_completion(body, strlen(body), &r), 0);
	assert_true(r.truncated);
	assert_false(r.think_unterminated);
	halo_chat_response_free(&r);

	/* Not JSON, no choices, error object: clear errors. */
	static const char *const bad[] = { "<html>502 Bad Gateway</html>", "{\"choices\":[]}", "[1,2]", "",
					   "{\"error\":{\"message\":\"context exceeded\"}}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		halo_chat_response_init(&r);
		assert_true(halo_chat_parse_completion(bad[i], strlen(bad[i]), &r) < 0);
		assert_true(halo_error_last()->message[0] != '\0');
		halo_chat_response_free(&r);
	}
	halo_chat_response_init(&r);
	assert_int_equal(halo_chat_parse_completion(bad[4], strlen(bad[4]), &r), HALO_ENET);
	assert_non_null(strstr(halo_error_last()->message, "context exceeded"));
	halo_chat_response_free(&r);
}

/* Feeds `s` in pieces of `step` bytes; returns the finish result. */
static int feed_stream(const char *s, size_t step, halo_chat_response *r)
{
	halo_chat_stream *st;
	int rc = 0;
	assert_int_equal(halo_chat_stream_new(0, 0, &st), 0);
	size_t n = strlen(s);
	for (size_t i = 0; i < n && !rc; i += step)
		rc = halo_chat_stream_feed(st, s + i, n - i < step ? n - i : step);
	if (!rc)
		rc = halo_chat_stream_finish(st, r);
	halo_chat_stream_free(st);
	return rc;
}

static void test_parse_sse(void **state)
{
	(void)state;
	/* CRLF, CR and LF line ends, a comment, a multi-line data field, an id
	 * field, tool calls in pieces, usage after the finish chunk. */
	const char *s =
		": keep-alive\r\n\r\n"
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}]}\r\n\r\n"
		"id: 1\n"
		"data: {\"choices\":[{\"index\":0,\n"
		"data: \"delta\":{\"reasoning_content\":\"think \"}}]}\n\n"
		"data:{\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"more\"}}]}\r\r"
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n"
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"b\",\"function\":"
		"{\"name\":\"second\",\"arguments\":\"\"}}]}}]}\n\n"
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"function\":"
		"{\"name\":\"first\",\"arguments\":\"{\\\"x\\\"\"}}]}}]}\n\n"
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
		"{\"arguments\":\": 1}\"}}]}}]}\n\n"
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":"
		"{\"arguments\":\"{}\"}}]}}]}\n\n"
		"data: {\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"delta\":{}}],\"timings\":{\"a\":1}}\n\n"
		"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6}}\n\n"
		"data: [DONE]\n\n"
		"data: {\"ignored after done\n\n";
	static const size_t steps[] = { 1, 2, 3, 7, 64, 100000 };
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		halo_chat_response r;
		halo_chat_response_init(&r);
		assert_int_equal(feed_stream(s, steps[k], &r), 0);
		assert_string_equal(r.content, "Hello");
		assert_string_equal(r.reasoning, "think more");
		assert_string_equal(r.finish_reason, "stop");
		assert_string_equal(r.tool_calls, "[{\"name\":\"first\",\"arguments\":\"{\\\"x\\\": 1}\"},"
						  "{\"name\":\"second\",\"arguments\":\"{}\"}]");
		assert_string_equal(r.timings, "{\"a\":1}");
		assert_int_equal(r.prompt_tokens, 5);
		assert_int_equal(r.completion_tokens, 6);
		halo_chat_response_free(&r);
	}

	/* Tool calls without an index (older Ollama): each named call is a new one. */
	halo_chat_response ro;
	halo_chat_response_init(&ro);
	assert_int_equal(feed_stream("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"name\":\"f\","
				     "\"arguments\":\"{}\"}}]}}]}\n\n"
				     "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"name\":\"g\","
				     "\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\n"
				     "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":"
				     "\": 1}\"}}]}}]}\n\n"
				     "data: {\"choices\":[{\"finish_reason\":\"tool_calls\",\"delta\":{}}]}\n\n",
				     3, &ro),
			 0);
	assert_string_equal(ro.tool_calls,
			    "[{\"name\":\"f\",\"arguments\":\"{}\"},{\"name\":\"g\",\"arguments\":\"{\\\"a\\\": 1}\"}]");
	halo_chat_response_free(&ro);

	/* A last event without the blank line, no [DONE]: finish_reason suffices. */
	halo_chat_response r;
	halo_chat_response_init(&r);
	assert_int_equal(feed_stream("data: {\"choices\":[{\"finish_reason\":\"length\",\"delta\":{\"content\":"
				     "\"<think>cut\"}}]}",
				     5, &r),
			 0);
	assert_true(r.truncated);
	assert_true(r.think_unterminated);
	assert_string_equal(r.reasoning, "cut");
	halo_chat_response_free(&r);

	/* Failures: malformed chunk, error event, no chunk at all, cut short. */
	static const struct {
		const char *s;
		int code;
		const char *msg;
	} bad[] = {
		{ "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}\n\n", HALO_EFORMAT, "malformed chunk" },
		{ "data: {\"error\":{\"code\":500,\"message\":\"slot died\"}}\n\n", HALO_ENET, "slot died" },
		{ "{\"error\":\"not sse\"}\n", HALO_EFORMAT, "no chat.completion.chunk" },
		{ "", HALO_EFORMAT, "empty" },
		{ "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n", HALO_EFORMAT, "without finish_reason" },
		{ "data: [42]\n\n", HALO_EFORMAT, "not a JSON object" },
		{ "data: 42\n\n", HALO_EFORMAT, "malformed chunk" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		halo_chat_response_init(&r);
		assert_int_equal(feed_stream(bad[i].s, 4, &r), bad[i].code);
		if (!strstr(halo_error_last()->message, bad[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, halo_error_last()->message, bad[i].msg);
		halo_chat_response_free(&r);
	}

	/* Caps: one event, and the whole stream. */
	halo_chat_stream *st;
	char big[300];
	memset(big, 'a', sizeof(big));
	assert_int_equal(halo_chat_stream_new(1000, 100, &st), 0);
	assert_int_equal(halo_chat_stream_feed(st, "data: ", 6), 0);
	assert_int_equal(halo_chat_stream_feed(st, big, sizeof(big)), HALO_ENOMEM);
	assert_int_equal(halo_chat_stream_feed(st, "\n\n", 2), HALO_ENOMEM); /* sticky */
	halo_chat_stream_free(st);
	assert_int_equal(halo_chat_stream_new(1000, 100, &st), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(halo_chat_stream_feed(st, ": comment line\n", 15), 0);
	for (int i = 0; i < 4; i++)
		(void)halo_chat_stream_feed(st, big, sizeof(big));
	assert_int_equal(halo_chat_stream_feed(st, "\n", 1), HALO_ENOMEM);
	assert_non_null(strstr(halo_error_last()->message, "cap"));
	halo_chat_stream_free(st);
}

/* ------------------------------------------------------------------------ */
/* Against the oracle                                                        */

#define LONG_TEXT "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"

static const char *const answers[] = {
	"{\"match\": \"\", \"content\": \"default answer\"}",
	"{\"match\": \"plain question\", \"content\": \"" LONG_TEXT "\"}",
	"{\"match\": \"reasoning question\", \"content\": \"The answer is 4.\", \"reasoning_content\": "
	"\"2 plus 2 is 4\"}",
	"{\"match\": \"inline question\", \"content\": \"Inline answer.\", \"reasoning_content\": \"inline "
	"thoughts\", \"behavior\": \"think_inline\"}",
	"{\"match\": \"unterminated question\", \"content\": \"partial\", \"reasoning_content\": \"I keep "
	"thinking\", \"behavior\": \"think_unterminated\"}",
	"{\"match\": \"length question\", \"content\": \"cut he\", \"behavior\": \"length\"}",
	"{\"match\": \"tool question\", \"tool_calls\": [{\"name\": \"get_weather\", \"arguments\": {\"city\": "
	"\"Paris\", \"unit\": \"celsius\"}}, {\"name\": \"get_time\", \"arguments\": \"{\\\"tz\\\":  \\\"CET\\\" ,}\"}]}",
	"{\"match\": \"busy 503\", \"content\": \"ok after 503\", \"behavior\": \"status:503:2\"}",
	"{\"match\": \"busy 429\", \"content\": \"ok after 429\", \"behavior\": \"status:429:1\", \"retry_after\": 1}",
	"{\"match\": \"always 503\", \"content\": \"never\", \"behavior\": \"status:503:1000\"}",
	"{\"match\": \"error 500\", \"content\": \"never\", \"behavior\": \"status:500:1000\"}",
	"{\"match\": \"bad request 400\", \"content\": \"never\", \"behavior\": \"status:400:1000\"}",
	"{\"match\": \"drop question\", \"content\": \"never\", \"behavior\": \"drop\"}",
	"{\"match\": \"drop_mid question\", \"content\": \"" LONG_TEXT "\", \"behavior\": \"drop_mid\"}",
	"{\"match\": \"malformed question\", \"content\": \"" LONG_TEXT "\", \"behavior\": \"malformed\"}",
	"{\"match\": \"hang question\", \"content\": \"never\", \"behavior\": \"hang\"}",
	"{\"match\": \"slow question\", \"content\": \"" LONG_TEXT " " LONG_TEXT "\", \"behavior\": \"slow:2\"}",
};

static test_oracle oracle;
static char answers_path[4200];

static int oracle_setup(void **state)
{
	(void)state;
	const char *dir = test_tmpdir("chat");
	halo_buf b = HALO_BUF_INIT;
	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
		halo_buf_addf(&b, "%s\n", answers[i]);
	/* Eight distinct answers for the concurrency test. */
	for (int i = 0; i < 8; i++)
		halo_buf_addf(&b, "{\"match\": \"worker %d asks\", \"content\": \"worker %d answer " LONG_TEXT "\"}\n",
			      i, i);
	snprintf(answers_path, sizeof(answers_path), "%s/answers.jsonl", dir);
	test_write_file(answers_path, b.ptr, b.len);
	halo_buf_free(&b);
	static const char *const extra[] = { "--slots", "3", "--model", "oracle-test", "--chunk-chars", "8", NULL };
	test_oracle_start(&oracle, answers_path, extra);
	return 0;
}

static int oracle_teardown(void **state)
{
	(void)state;
	test_oracle_stop(&oracle);
	return 0;
}

/* The chat requests in the log whose first user message is `prompt`. */
static int log_count(const char *prompt, json_t **last_body)
{
	FILE *f = fopen(oracle.log, "r");
	char *line = NULL;
	size_t cap = 0;
	int n = 0;
	if (last_body)
		*last_body = NULL;
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		json_t *rec = json_loads(line, 0, NULL);
		json_t *body = json_object_get(rec, "body");
		json_t *msg = json_array_get(json_object_get(body, "messages"), 0);
		const char *c = json_string_value(json_object_get(msg, "content"));
		if (c && !strcmp(c, prompt)) {
			n++;
			if (last_body) {
				json_decref(*last_body);
				*last_body = json_incref(rec);
			}
		}
		json_decref(rec);
	}
	free(line);
	fclose(f);
	return n;
}

static char *messages_for(const char *prompt)
{
	json_t *m = json_pack("[{s:s,s:s}]", "role", "user", "content", prompt);
	char *s = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	return s;
}

static halo_chat_client *client_with(double idle, int retries, double backoff)
{
	halo_chat_opts o = HALO_CHAT_OPTS_INIT;
	halo_chat_client *c;
	o.base_url = oracle.url;
	o.idle_timeout_s = idle;
	o.max_retries = retries;
	o.backoff_initial_s = backoff;
	assert_int_equal(halo_chat_client_new(&o, &c), 0);
	return c;
}

/* One call with `prompt`; returns halo_chat_complete's result. */
static int ask(halo_chat_client *c, const char *prompt, int stream, halo_chat_response *r)
{
	char *m = messages_for(prompt);
	halo_chat_request q = HALO_CHAT_REQUEST_INIT;
	q.messages_json = m;
	q.stream = stream;
	int rc = halo_chat_complete(c, &q, r);
	free(m);
	return rc;
}

static void test_plain_answers(void **state)
{
	(void)state;
	halo_chat_client *c = client_with(30, 0, 0.01);
	for (int stream = 0; stream <= 1; stream++) {
		halo_chat_response r;
		assert_int_equal(ask(c, "plain question", stream, &r), 0);
		assert_int_equal(r.outcome, HALO_OUTCOME_PASS);
		assert_int_equal(r.http_status, 200);
		assert_string_equal(r.content, LONG_TEXT);
		assert_string_equal(r.reasoning, "");
		assert_string_equal(r.finish_reason, "stop");
		assert_string_equal(r.model, "oracle-test");
		assert_false(r.truncated);
		assert_null(r.tool_calls);
		assert_int_equal(r.attempts, 1);
		assert_true(r.prompt_tokens > 0);
		assert_int_equal(r.completion_tokens, (long long)(strlen(LONG_TEXT) + 3) / 4);
		assert_int_equal(r.reasoning_tokens, -1);
		assert_non_null(r.timings);
		assert_non_null(strstr(r.timings, "\"predicted_per_second\""));
		assert_true(r.total_s > 0);
		if (stream) {
			assert_true(r.ttft_s >= 0);
			assert_true(r.ttft_s <= r.total_s);
		} else {
			assert_true(r.ttft_s < 0);
		}
		assert_string_equal(r.error, "");
		halo_chat_response_free(&r);
	}
	assert_int_equal(log_count("plain question", NULL), 2);
	halo_chat_client_free(c);
}

static void test_thinking(void **state)
{
	(void)state;
	halo_chat_client *c = client_with(30, 0, 0.01);
	for (int stream = 0; stream <= 1; stream++) {
		halo_chat_response r;
		assert_int_equal(ask(c, "reasoning question", stream, &r), 0);
		assert_string_equal(r.content, "The answer is 4.");
		assert_string_equal(r.reasoning, "2 plus 2 is 4");
		assert_int_equal(r.reasoning_tokens, 4);
		assert_false(r.truncated);
		halo_chat_response_free(&r);

		assert_int_equal(ask(c, "inline question", stream, &r), 0);
		assert_string_equal(r.content, "Inline answer.");
		assert_string_equal(r.reasoning, "inline thoughts");
		assert_false(r.truncated);
		halo_chat_response_free(&r);

		assert_int_equal(ask(c, "unterminated question", stream, &r), 0);
		assert_string_equal(r.content, "");
		assert_string_equal(r.reasoning, "I keep thinkingpartial");
		assert_true(r.think_unterminated);
		assert_true(r.truncated);
		assert_string_equal(r.finish_reason, "stop");
		halo_chat_response_free(&r);

		assert_int_equal(ask(c, "length question", stream, &r), 0);
		assert_string_equal(r.content, "cut he");
		assert_string_equal(r.finish_reason, "length");
		assert_true(r.truncated);
		assert_false(r.think_unterminated);
		halo_chat_response_free(&r);
	}
	halo_chat_client_free(c);
}

static void test_tool_calls(void **state)
{
	(void)state;
	halo_chat_client *c = client_with(30, 0, 0.01);
	for (int stream = 0; stream <= 1; stream++) {
		halo_chat_response r;
		assert_int_equal(ask(c, "tool question", stream, &r), 0);
		assert_string_equal(r.finish_reason, "tool_calls");
		assert_non_null(r.tool_calls);
		json_t *calls = json_loads(r.tool_calls, 0, NULL);
		assert_int_equal(json_array_size(calls), 2);
		json_t *c0 = json_array_get(calls, 0), *c1 = json_array_get(calls, 1);
		assert_string_equal(json_string_value(json_object_get(c0, "name")), "get_weather");
		/* Python's json.dumps spacing, kept exactly. */
		assert_string_equal(json_string_value(json_object_get(c0, "arguments")),
				    "{\"city\": \"Paris\", \"unit\": \"celsius\"}");
		assert_string_equal(json_string_value(json_object_get(c1, "name")), "get_time");
		/* Invalid JSON arguments come back verbatim for the scorer to judge. */
		assert_string_equal(json_string_value(json_object_get(c1, "arguments")), "{\"tz\":  \"CET\" ,}");
		json_decref(calls);
		assert_string_equal(r.content, "");
		halo_chat_response_free(&r);
	}
	halo_chat_client_free(c);
}

static void test_request_body(void **state)
{
	(void)state;
	halo_chat_opts o = HALO_CHAT_OPTS_INIT;
	halo_chat_client *c;
	o.base_url = oracle.url;
	o.api_key = "sekrit";
	assert_int_equal(halo_chat_client_new(&o, &c), 0);

	char *m = messages_for("body question");
	halo_chat_request q = HALO_CHAT_REQUEST_INIT;
	halo_chat_response r;
	q.model = "some-model";
	q.messages_json = m;
	q.tools_json = "[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{}}}]";
	q.sampling.temperature = (halo_chat_optf){ 1, 0.6 };
	q.sampling.top_p = (halo_chat_optf){ 1, 0.95 };
	q.sampling.top_k = (halo_chat_opti){ 1, 20 };
	q.sampling.min_p = (halo_chat_optf){ 1, 0.0 };
	q.sampling.max_tokens = (halo_chat_opti){ 1, 32768 };
	q.sampling.seed = (halo_chat_opti){ 1, 42 };
	q.extra_json = "{\"chat_template_kwargs\":{\"enable_thinking\":false}}";
	assert_int_equal(halo_chat_complete(c, &q, &r), 0);
	assert_string_equal(r.content, "default answer");
	halo_chat_response_free(&r);

	json_t *rec;
	assert_int_equal(log_count("body question", &rec), 1);
	json_t *b = json_object_get(rec, "body");
	assert_string_equal(json_string_value(json_object_get(rec, "auth")), "Bearer sekrit");
	assert_string_equal(json_string_value(json_object_get(b, "model")), "some-model");
	assert_true(json_real_value(json_object_get(b, "temperature")) == 0.6);
	assert_true(json_real_value(json_object_get(b, "top_p")) == 0.95);
	assert_true(json_is_real(json_object_get(b, "min_p")));
	assert_int_equal(json_integer_value(json_object_get(b, "top_k")), 20);
	assert_int_equal(json_integer_value(json_object_get(b, "max_tokens")), 32768);
	assert_int_equal(json_integer_value(json_object_get(b, "seed")), 42);
	/* Unset parameters are not sent: the server's defaults apply. */
	assert_null(json_object_get(b, "presence_penalty"));
	assert_null(json_object_get(b, "repeat_penalty"));
	assert_true(json_is_true(json_object_get(b, "stream")));
	assert_true(json_is_true(json_object_get(json_object_get(b, "stream_options"), "include_usage")));
	assert_string_equal(json_string_value(json_object_get(b, "tool_choice")), "auto");
	assert_int_equal(json_array_size(json_object_get(b, "tools")), 1);
	assert_true(json_is_false(json_object_get(json_object_get(b, "chat_template_kwargs"), "enable_thinking")));
	json_decref(rec);

	/* Bad caller input is a usage error before anything is sent. */
	q.messages_json = "{\"not\":\"an array\"}";
	assert_int_equal(halo_chat_complete(c, &q, &r), HALO_EUSAGE);
	assert_int_equal(r.attempts, 0);
	halo_chat_response_free(&r);
	q.messages_json = m;
	q.extra_json = "[1]";
	assert_int_equal(halo_chat_complete(c, &q, &r), HALO_EUSAGE);
	halo_chat_response_free(&r);
	free(m);
	halo_chat_client_free(c);
}

static void test_retry_busy(void **state)
{
	(void)state;
	halo_chat_client *c = client_with(30, 5, 0.01);
	halo_chat_response r;

	/* 503 twice (llama-server loading), then an answer: 3 requests. */
	assert_int_equal(ask(c, "busy 503", 1, &r), 0);
	assert_string_equal(r.content, "ok after 503");
	assert_int_equal(r.attempts, 3);
	assert_int_equal(log_count("busy 503", NULL), 3);
	halo_chat_response_free(&r);

	/* 429 once with Retry-After: 1: the wait honours it although the backoff is 10 ms. */
	double t0 = mono();
	assert_int_equal(ask(c, "busy 429", 0, &r), 0);
	assert_true(mono() - t0 >= 0.9);
	assert_string_equal(r.content, "ok after 429");
	assert_int_equal(r.attempts, 2);
	assert_int_equal(log_count("busy 429", NULL), 2);
	halo_chat_response_free(&r);
	halo_chat_client_free(c);

	/* Busy forever: max_retries + 1 requests, then an infra error. */
	c = client_with(30, 2, 0.01);
	assert_int_equal(ask(c, "always 503", 1, &r), HALO_ENET);
	assert_int_equal(r.outcome, HALO_OUTCOME_INFRA);
	assert_int_equal(r.http_status, 503);
	assert_int_equal(r.attempts, 3);
	assert_non_null(strstr(r.error, "503"));
	assert_non_null(strstr(r.error, "Loading model"));
	assert_int_equal(log_count("always 503", NULL), 3);
	halo_chat_response_free(&r);
	halo_chat_client_free(c);
}

static void test_no_retry(void **state)
{
	(void)state;
	/* Each of these may be generating on the server: one request only. */
	static const struct {
		const char *prompt;
		int stream;
		int code;
		const char *msg;
	} cases[] = {
		{ "error 500", 1, HALO_ENET, "http 500" },
		{ "drop question", 1, HALO_ENET, "not retried" },
		{ "drop question", 0, HALO_ENET, "not retried" },
		{ "drop_mid question", 1, HALO_ENET, "not retried" },
		{ "drop_mid question", 0, HALO_ENET, "not retried" },
		{ "malformed question", 1, HALO_EFORMAT, "malformed chunk" },
		{ "malformed question", 0, HALO_EFORMAT, "not JSON" },
		{ "bad request 400", 0, HALO_ENET, "http 400: oracle status 400" },
	};
	halo_chat_client *c = client_with(30, 5, 0.01);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		halo_chat_response r;
		int before = log_count(cases[i].prompt, NULL);
		int rc = ask(c, cases[i].prompt, cases[i].stream, &r);
		if (rc != cases[i].code || !strstr(r.error, cases[i].msg))
			fail_msg("case %zu (%s): rc %d, error '%s'", i, cases[i].prompt, rc, r.error);
		assert_int_equal(r.outcome, HALO_OUTCOME_INFRA);
		assert_int_equal(r.attempts, 1);
		assert_string_equal(halo_error_last()->message, r.error);
		assert_int_equal(log_count(cases[i].prompt, NULL) - before, 1);
		halo_chat_response_free(&r);
	}
	halo_chat_client_free(c);
}

static void test_timeouts(void **state)
{
	(void)state;
	halo_chat_response r;
	halo_chat_client *c = client_with(1, 5, 0.01);

	/* A server that never answers: the idle timeout fires, no resend. */
	for (int stream = 0; stream <= 1; stream++) {
		int before = log_count("hang question", NULL);
		double t0 = mono();
		assert_int_equal(ask(c, "hang question", stream, &r), HALO_ENET);
		assert_true(mono() - t0 < 20);
		assert_int_equal(r.outcome, HALO_OUTCOME_TIMEOUT);
		assert_int_equal(r.attempts, 1);
		assert_non_null(strstr(r.error, "idle timeout"));
		assert_int_equal(log_count("hang question", NULL) - before, 1);
		halo_chat_response_free(&r);
	}

	/* 2 s spread over the chunks: each chunk resets the 1 s idle clock. */
	assert_int_equal(ask(c, "slow question", 1, &r), 0);
	assert_string_equal(r.content, LONG_TEXT " " LONG_TEXT);
	assert_true(r.ttft_s <= r.total_s);
	halo_chat_response_free(&r);
	/* Not streaming, the server is silent for 2 s: timeout. */
	assert_int_equal(ask(c, "slow question", 0, &r), HALO_ENET);
	assert_int_equal(r.outcome, HALO_OUTCOME_TIMEOUT);
	halo_chat_response_free(&r);
	halo_chat_client_free(c);

	/* The total timeout, idle clock off. */
	halo_chat_opts o = HALO_CHAT_OPTS_INIT;
	o.base_url = oracle.url;
	o.idle_timeout_s = 0;
	o.total_timeout_s = 1;
	assert_int_equal(halo_chat_client_new(&o, &c), 0);
	double t0 = mono();
	assert_int_equal(ask(c, "hang question", 1, &r), HALO_ENET);
	assert_true(mono() - t0 < 20);
	assert_int_equal(r.outcome, HALO_OUTCOME_TIMEOUT);
	assert_int_equal(r.attempts, 1);
	assert_non_null(strstr(r.error, "total timeout"));
	halo_chat_response_free(&r);
	halo_chat_client_free(c);

	/* Cancellation ends a hanging call. */
	static volatile int cancel = 1;
	o.total_timeout_s = 0;
	o.cancel = &cancel;
	assert_int_equal(halo_chat_client_new(&o, &c), 0);
	t0 = mono();
	assert_int_equal(ask(c, "hang question", 1, &r), HALO_ENET);
	assert_true(mono() - t0 < 20);
	assert_int_equal(r.outcome, HALO_OUTCOME_INFRA);
	assert_non_null(strstr(r.error, "cancelled"));
	halo_chat_response_free(&r);
	halo_chat_client_free(c);
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd); /* nothing listens there now */
	return ntohs(a.sin_port);
}

static void test_connection_refused(void **state)
{
	(void)state;
	char url[64];
	halo_chat_opts o = HALO_CHAT_OPTS_INIT;
	halo_chat_client *c;
	halo_chat_response r;
	halo_chat_server_info info;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/", free_port());
	o.base_url = url;
	o.max_retries = 3;
	o.backoff_initial_s = 0.01;
	assert_int_equal(halo_chat_client_new(&o, &c), 0);
	assert_int_equal(ask(c, "anything", 1, &r), HALO_ENET);
	assert_int_equal(r.outcome, HALO_OUTCOME_INFRA);
	assert_int_equal(r.attempts, 4);
	assert_int_equal(r.http_status, 0);
	assert_non_null(strstr(r.error, "cannot connect"));
	assert_non_null(strstr(r.error, "4 attempts"));
	halo_chat_response_free(&r);
	assert_int_equal(halo_chat_server_info_get(c, &info), HALO_ENET);
	halo_chat_client_free(c);
}

struct worker {
	halo_chat_client *c;
	int id;
	int ok;
};

static void *worker_main(void *ud)
{
	struct worker *w = ud;
	char prompt[64], want[256];
	snprintf(prompt, sizeof(prompt), "worker %d asks", w->id);
	snprintf(want, sizeof(want), "worker %d answer " LONG_TEXT, w->id);
	for (int i = 0; i < 10; i++) {
		halo_chat_response r;
		char *m = messages_for(prompt);
		halo_chat_request q = HALO_CHAT_REQUEST_INIT;
		q.messages_json = m;
		q.stream = (i + w->id) % 2;
		if (halo_chat_complete(w->c, &q, &r) == 0 && !strcmp(r.content, want) && r.attempts == 1)
			w->ok++;
		halo_chat_response_free(&r);
		free(m);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	(void)state;
	halo_chat_client *c = client_with(30, 0, 0.01);
	pthread_t t[8];
	struct worker w[8];
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){ c, i, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].ok, 10);
	}
	halo_chat_client_free(c);
}

static void test_server_info(void **state)
{
	(void)state;
	halo_chat_server_info info;
	halo_chat_client *c = client_with(30, 0, 0.01);
	assert_int_equal(halo_chat_server_info_get(c, &info), 0);
	assert_int_equal(info.n_slots, 3);
	assert_string_equal(info.model, "oracle-test");
	assert_string_equal(info.model_path, "/models/oracle-test.gguf");
	assert_string_equal(info.build, "b0000-oracle");
	assert_int_equal(info.n_ctx, 8192);
	assert_null(info.digest);
	assert_string_equal(info.fingerprint, "llama-server|/models/oracle-test.gguf|b0000-oracle|8192");
	halo_chat_server_info_free(&info);
	halo_chat_client_free(c);

	/* Ollama-like: no /props, no /slots; the digest from /api/tags. */
	test_oracle ol;
	static const char *const extra[] = { "--no-props", "--model", "qwen3:8b", NULL };
	test_oracle_start(&ol, answers_path, extra);
	halo_chat_opts o = HALO_CHAT_OPTS_INIT;
	char url[128];
	snprintf(url, sizeof(url), "%s/", ol.url);
	o.base_url = url;
	assert_int_equal(halo_chat_client_new(&o, &c), 0);
	assert_int_equal(halo_chat_server_info_get(c, &info), 0);
	assert_int_equal(info.n_slots, 0);
	assert_string_equal(info.model, "qwen3:8b");
	assert_null(info.model_path);
	assert_string_equal(info.digest, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_string_equal(info.fingerprint,
			    "ollama|qwen3:8b|0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	halo_chat_server_info_free(&info);
	/* The model asked for names the weights; one the server lacks has no digest. */
	assert_int_equal(halo_chat_server_info_for(c, "qwen3:8b", &info), 0);
	assert_string_equal(info.digest, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	halo_chat_server_info_free(&info);
	assert_int_equal(halo_chat_server_info_for(c, "missing:1b", &info), 0);
	assert_string_equal(info.model, "missing:1b");
	assert_null(info.digest);
	assert_string_equal(info.fingerprint, "openai|missing:1b");
	halo_chat_server_info_free(&info);
	/* Chat works the same there. */
	halo_chat_response r;
	assert_int_equal(ask(c, "plain question", 1, &r), 0);
	assert_string_equal(r.content, LONG_TEXT);
	halo_chat_response_free(&r);
	halo_chat_client_free(c);
	test_oracle_stop(&ol);
}

static void test_urls(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "http://h:8080", "http://h:8080/v1" },
		{ "http://h:8080/", "http://h:8080/v1" },
		{ "http://h:8080/v1", "http://h:8080/v1" },
		{ "http://h:8080/v1/", "http://h:8080/v1" },
		{ "https://example.com/api/v1//", "https://example.com/api/v1" },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		halo_chat_opts o = HALO_CHAT_OPTS_INIT;
		halo_chat_client *c;
		o.base_url = ok[i].in;
		assert_int_equal(halo_chat_client_new(&o, &c), 0);
		assert_string_equal(halo_chat_client_base_url(c), ok[i].out);
		halo_chat_client_free(c);
	}
	static const char *const bad[] = { "", "ftp://h/", "h:8080", NULL };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		halo_chat_opts o = HALO_CHAT_OPTS_INIT;
		halo_chat_client *c = (halo_chat_client *)1;
		o.base_url = bad[i];
		assert_int_equal(halo_chat_client_new(&o, &c), HALO_EUSAGE);
		assert_null(c);
	}
	halo_chat_opts o = HALO_CHAT_OPTS_INIT;
	halo_chat_client *c;
	o.base_url = "http://h";
	o.connect_timeout_s = -1;
	assert_int_equal(halo_chat_client_new(&o, &c), HALO_EUSAGE);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_parse_completion),
		cmocka_unit_test(test_parse_sse),
		cmocka_unit_test(test_urls),
	};
	const struct CMUnitTest live[] = {
		cmocka_unit_test(test_plain_answers),
		cmocka_unit_test(test_thinking),
		cmocka_unit_test(test_tool_calls),
		cmocka_unit_test(test_request_body),
		cmocka_unit_test(test_retry_busy),
		cmocka_unit_test(test_no_retry),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_server_info),
	};
	int rc = cmocka_run_group_tests_name("chat_parsers", pure, NULL, NULL);
	return rc | cmocka_run_group_tests_name("chat_oracle", live, oracle_setup, oracle_teardown);
}
