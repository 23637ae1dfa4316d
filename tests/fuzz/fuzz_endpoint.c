/*
 * Fuzz target for halo bench endpoint's parsers of llama-server replies
 * (src/lib/bench/endpoint.c): arbitrary bytes as a `timings` object, as a
 * /tokenize reply, as a /props and a /slots reply (the fingerprint) and as a
 * /completion event stream. Nothing may crash; a
 * failure must leave a message; a parsed stream must have its final event and
 * sane timings. The stream is fed whole and in pieces whose size the input's
 * length picks: the outcome may not depend on the split.
 */
#include "bench/endpoint.h"
#include "error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int stream(const char *d, size_t n, size_t step, halo_endpoint_stream_result *r, long long *te)
{
	halo_endpoint_stream *s;
	if (halo_endpoint_stream_new(1 << 16, 1 << 12, &s))
		abort();
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i += step)
		rc = halo_endpoint_stream_feed(s, d + i, n - i < step ? n - i : step);
	if (!rc)
		rc = halo_endpoint_stream_finish(s, r);
	*te = halo_endpoint_stream_token_events(s);
	halo_endpoint_stream_free(s);
	if (rc && !halo_error_last()->message[0])
		abort();
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	halo_endpoint_timings t;
	if (halo_endpoint_parse_timings(d, size, &t) == 0) {
		if (t.draft_n >= 0 && t.draft_n_accepted > t.draft_n)
			abort();
		if (t.prompt_ms < -1 || t.predicted_per_second < -1)
			abort();
	} else if (!halo_error_last()->message[0]) {
		abort();
	}

	int32_t *ids = NULL;
	size_t n = 0;
	if (halo_endpoint_parse_tokens(d, size, 4096, &ids, &n) == 0) {
		if (n > 4096 || (n && !ids))
			abort();
		for (size_t i = 0; i < n; i++)
			if (ids[i] < 0)
				abort();
	} else if (ids || !halo_error_last()->message[0]) {
		abort();
	}
	free(ids);

	halo_endpoint_props p;
	if (halo_endpoint_parse_props(d, size, &p) == 0) {
		const char *strs[] = { p.model_path, p.model_alias, p.build_info };
		for (size_t i = 0; i < 3; i++) {
			if (strs[i] && strlen(strs[i]) > HALO_ENDPOINT_MAX_PROP_STRING)
				abort();
			for (const char *c = strs[i]; c && *c; c++)
				if ((unsigned char)*c < 0x20)
					abort();
		}
		if (p.n_ctx < -1 || p.total_slots < -1 || p.speculative != -1)
			abort();
		free(p.model_path);
		free(p.model_alias);
		free(p.build_info);
	} else if (p.model_path || p.model_alias || p.build_info || !halo_error_last()->message[0]) {
		abort();
	}
	int spec;
	if (halo_endpoint_parse_slots(d, size, &spec) == 0 ? spec != 0 && spec != 1 : spec != -1)
		abort();

	halo_endpoint_stream_result a, b;
	long long ta, tb;
	int ra = stream(d, size, size ? size : 1, &a, &ta);
	int rb = stream(d, size, size % 13 + 1, &b, &tb);
	if (ra != rb || ta != tb)
		abort();
	if (ra == 0) {
		if (!a.stopped || !a.have_timings || a.events != b.events)
			abort();
		if (a.timings.prompt_n != b.timings.prompt_n || a.timings.draft_n != b.timings.draft_n)
			abort();
	}
	return 0;
}
