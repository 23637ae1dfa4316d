/*
 * Fuzz target for the chat client's parsers (src/lib/eval/chat.c): arbitrary
 * bytes as a non-streaming reply body and as a server-sent-event stream, and
 * the thinking split over them. Nothing may crash; a failure must leave a
 * message; a success must give content and reasoning strings and, when there
 * are tool calls, a JSON array of {name, arguments}. The stream is fed twice,
 * whole and in pieces whose size the first byte picks: the result may not
 * depend on how the bytes were split.
 */
#include "error.h"
#include "eval/chat.h"
#include "eval/think.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_ok(const halo_chat_response *r)
{
	if (!r->content || !r->reasoning)
		abort();
	if (r->think_unterminated && !r->truncated)
		abort();
	if (r->tool_calls) {
		json_t *a = json_loads(r->tool_calls, 0, NULL);
		size_t i;
		json_t *c;
		if (!json_is_array(a))
			abort();
		json_array_foreach(a, i, c)
		{
			if (!json_is_string(json_object_get(c, "name")) ||
			    !json_is_string(json_object_get(c, "arguments")))
				abort();
		}
		json_decref(a);
	}
}

static int run_stream(const uint8_t *data, size_t size, size_t step, halo_chat_response *r)
{
	halo_chat_stream *s;
	int rc = 0;
	if (halo_chat_stream_new(1 << 20, 4096, &s))
		return -100;
	for (size_t i = 0; i < size && !rc; i += step)
		rc = halo_chat_stream_feed(s, (const char *)data + i, size - i < step ? size - i : step);
	if (!rc)
		rc = halo_chat_stream_finish(s, r);
	halo_chat_stream_free(s);
	if (rc && !halo_error_last()->message[0])
		abort();
	return rc;
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	halo_chat_response r, r2;

	halo_chat_response_init(&r);
	if (halo_chat_parse_completion((const char *)data, size, &r) == 0)
		check_ok(&r);
	else if (!halo_error_last()->message[0])
		abort();
	halo_chat_response_free(&r);

	halo_chat_response_init(&r);
	halo_chat_response_init(&r2);
	int rc1 = run_stream(data, size, size ? size : 1, &r);
	int rc2 = run_stream(data, size, size ? 1 + data[0] % 17 : 1, &r2);
	if (rc1 != rc2)
		abort();
	if (rc1 == 0) {
		check_ok(&r);
		if (!same(r.content, r2.content) || !same(r.reasoning, r2.reasoning) ||
		    !same(r.tool_calls, r2.tool_calls) || !same(r.finish_reason, r2.finish_reason) ||
		    !same(r.timings, r2.timings) || r.truncated != r2.truncated ||
		    r.prompt_tokens != r2.prompt_tokens || r.completion_tokens != r2.completion_tokens)
			abort();
	}
	halo_chat_response_free(&r);
	halo_chat_response_free(&r2);

	/* The thinking split on raw model output. */
	halo_think_split t = HALO_THINK_SPLIT_INIT;
	if (halo_think_split_content((const char *)data, size, NULL, &t) == 0) {
		if (strlen(t.answer) > size || strlen(t.reasoning) > size)
			abort();
		halo_think_split_free(&t);
	}
	return 0;
}
