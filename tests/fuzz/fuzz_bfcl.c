/*
 * Fuzz target for BFCL decoding and checking (src/lib/eval/bfcl.c): the
 * input is split at its first NUL byte into an answer and a ground truth.
 * The answer is decoded as prompt text (Python, Java, JavaScript), as native
 * tool_calls JSON and as an offline result line; each decoding is checked
 * against a fixed function set with the fuzzed ground truth (and a fixed
 * one) in every category. Nothing may crash and every verdict is one of
 * PASS/WRONG/PARSE.
 */
#include "error.h"
#include "eval/bfcl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char FUNCS[] =
	"[{\"name\": \"a.f\", \"description\": \"\", \"parameters\": {\"type\": \"dict\", \"properties\": {"
	"\"n\": {\"type\": \"integer\"}, \"x\": {\"type\": \"float\"}, \"s\": {\"type\": \"string\"},"
	"\"l\": {\"type\": \"array\", \"items\": {\"type\": \"dict\"}}, \"t\": {\"type\": \"tuple\", \"items\": {\"type\": \"string\"}},"
	"\"d\": {\"type\": \"dict\"}, \"b\": {\"type\": \"boolean\"}, \"y\": {\"type\": \"any\"},"
	"\"al\": {\"type\": \"ArrayList\", \"items\": {\"type\": \"String\"}}, \"ar\": {\"type\": \"Array\", \"items\": {\"type\": \"long\"}},"
	"\"hm\": {\"type\": \"HashMap\"}, \"js\": {\"type\": \"array\", \"items\": {\"type\": \"float\"}},"
	"\"jd\": {\"type\": \"dict\"}, \"lg\": {\"type\": \"long\"}, \"bi\": {\"type\": \"Bigint\"}},"
	"\"required\": [\"n\"]}}, {\"name\": \"g\", \"description\": \"\", \"parameters\": {\"type\": \"dict\","
	"\"properties\": {\"s\": {\"type\": \"string\"}}, \"required\": []}}]";
static const char TRUTH[] =
	"[{\"a.f\": {\"n\": [1], \"x\": [1.5, \"\"], \"s\": [\"A b\", \"\"], \"l\": [[{\"k\": [1, \"\"]}], \"\"],"
	" \"t\": [[\"a\"], \"\"], \"d\": [{\"k\": [\"v\"]}, \"\"], \"b\": [true, \"\"], \"y\": [\"z\", \"\"],"
	" \"al\": [[\"p\"], \"\"], \"ar\": [[1], \"\"], \"hm\": [{\"k\": [1]}, \"\"], \"js\": [[1.0], \"\"],"
	" \"jd\": [{\"k\": [\"v\"]}, \"\"], \"lg\": [3, \"\"], \"bi\": [4, \"\"]}}, {\"g\": {\"s\": [\"q\"]}}]";

static void check_all(const halo_bfcl_decoded *d, const char *truth, halo_bfcl_mode mode)
{
	for (int c = 0; c < HALO_BFCL_N_CATEGORIES; c++) {
		halo_bfcl_verdict v;
		int rc = halo_bfcl_check((halo_bfcl_category)c, mode, FUNCS, truth, d, &v);
		if (rc == 0 && v.outcome != HALO_OUTCOME_PASS && v.outcome != HALO_OUTCOME_WRONG &&
		    v.outcome != HALO_OUTCOME_PARSE)
			abort();
		if (rc != 0 && !halo_error_last()->message[0])
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul = memchr(data, '\0', size);
	size_t alen = nul ? (size_t)(nul - (const char *)data) : size;
	char *answer = malloc(alen + 1);
	char *truth = NULL;
	if (!answer)
		return 0;
	memcpy(answer, data, alen);
	answer[alen] = '\0';
	if (nul) {
		size_t tlen = size - alen - 1;
		truth = malloc(tlen + 1);
		if (!truth) {
			free(answer);
			return 0;
		}
		memcpy(truth, nul + 1, tlen);
		truth[tlen] = '\0';
	}
	for (int lang = 0; lang < 3; lang++) {
		halo_bfcl_decoded d;
		if (halo_bfcl_decode_prompt((halo_bfcl_lang)lang, answer, alen, &d) == 0) {
			check_all(&d, TRUTH, HALO_BFCL_PROMPT);
			if (truth)
				check_all(&d, truth, HALO_BFCL_PROMPT);
		}
		halo_bfcl_decoded_free(&d);
	}
	halo_bfcl_decoded d;
	if (halo_bfcl_decode_native(answer, answer, &d) == 0) {
		check_all(&d, TRUTH, HALO_BFCL_NATIVE);
		if (truth)
			check_all(&d, truth, HALO_BFCL_NATIVE);
	}
	halo_bfcl_decoded_free(&d);
	char *id = NULL;
	if (halo_bfcl_decode_result_line(answer, alen, HALO_BFCL_PYTHON, HALO_BFCL_NATIVE, &id, &d) == 0) {
		if (!id)
			abort();
		check_all(&d, TRUTH, HALO_BFCL_NATIVE);
	}
	free(id);
	halo_bfcl_decoded_free(&d);
	/* the answer as a function list: the oracle renderer and requests */
	char *out = NULL;
	if (truth && halo_bfcl_render_answer(HALO_BFCL_PARALLEL, HALO_BFCL_PROMPT, answer, truth, &out) == 0)
		free(out);
	if (halo_bfcl_system_prompt(HALO_BFCL_SIMPLE_JAVASCRIPT, answer, &out) == 0)
		free(out);
	free(answer);
	free(truth);
	return 0;
}
