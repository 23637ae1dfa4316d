/*
 * Fuzz target for the untrusted-input parsers of src/lib/eval/evalplus.c:
 * the code extractor (model answers) and the worker-reply parser (stdout of
 * a process that shares its interpreter with the sample). The first byte
 * picks the entry point; the rest is the answer, then the same bytes as a
 * reply. Nothing may crash; an extracted block must be made of answer lines.
 */
#include "error.h"
#include "eval/evalplus.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const eps[] = { "f", "add", "has_close_elements", "_x9" };
	static const char nonce[] = "00112233445566778899aabbccddeeff";
	halo_evalplus_verdict v;
	char *code = NULL;
	const char *ep;
	int rc;

	if (size == 0)
		return 0;
	ep = eps[data[0] % 4];
	rc = halo_evalplus_extract((const char *)data + 1, size - 1, ep, &code);
	if (rc == 0) {
		if (!code || strlen(code) > 2 * size + 1)
			abort();
		free(code);
	} else if (rc != 1 && rc != HALO_ENOMEM) {
		abort();
	} else if (code) {
		abort();
	}
	rc = halo_evalplus_parse_reply((const char *)data + 1, size - 1, nonce, &v);
	if (rc == 0) {
		if ((unsigned)v.outcome >= HALO_OUTCOME_N || v.detail[sizeof(v.detail) - 1] != 0)
			abort();
		if (v.plus_pass && !v.base_pass)
			abort();
		if ((v.outcome == HALO_OUTCOME_PASS) != (v.plus_pass == 1))
			abort();
	} else if (v.code) {
		abort();
	}
	halo_evalplus_verdict_free(&v);
	return 0;
}
