/*
 * Fuzz target for the IFEval checkers (src/lib/eval/ifeval*.c): arbitrary
 * response text through every one of the 25 checkers (strict and all eight
 * loose variants), with the dataset's kind of kwargs and with kwargs taken
 * from the input. Nothing may crash; a verdict is 0 or 1, and loose is never
 * below strict.
 *
 * Input: byte 0 picks the id (and whether kwargs come from the input); with
 * input kwargs, the text up to the first NUL is the kwargs JSON and the rest
 * is the response.
 */
#include "error.h"
#include "eval/ifeval.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Valid kwargs for each id, in the registry's order. */
static const char *const fixed_kwargs[HALO_IFEVAL_N_IDS] = {
	"{\"keywords\": [\"cat\", \"a b\"]}",
	"{\"keyword\": \"ab\", \"frequency\": 2, \"relation\": \"at least\"}",
	"{\"forbidden_words\": [\"dog\", \"x\"]}",
	"{\"letter\": \"e\", \"let_frequency\": 3, \"let_relation\": \"less than\"}",
	"{\"language\": \"en\"}",
	"{\"num_sentences\": 3, \"relation\": \"at least\"}",
	"{\"num_paragraphs\": 2}",
	"{\"num_words\": 5, \"relation\": \"less than\"}",
	"{\"num_paragraphs\": 2, \"nth_paragraph\": 2, \"first_word\": \"it\"}",
	"{\"num_placeholders\": 2}",
	"{\"postscript_marker\": \"P.P.S\"}",
	"{\"num_bullets\": 2}",
	NULL,
	"{\"num_highlights\": 2}",
	"{\"section_spliter\": \"Section\", \"num_sections\": 2}",
	NULL,
	NULL,
	NULL,
	"{\"prompt_to_repeat\": \"Say hi.\"}",
	"{\"end_phrase\": \"Bye.\"}",
	"{\"capital_frequency\": 2, \"capital_relation\": \"at least\"}",
	NULL,
	NULL,
	NULL,
	NULL,
};

static void one(const char *id, const char *kwargs, const char *resp, size_t len)
{
	int s = -1, l = -1;
	if (halo_ifeval_check_one(id, kwargs, resp, len, &s, &l) != 0) {
		if (halo_error_last()->code == HALO_OK)
			abort(); /* an error must say why */
		return;
	}
	if ((s != 0 && s != 1) || (l != 0 && l != 1) || l < s)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1u << 16))
		return 0;
	int pick = data[0] % HALO_IFEVAL_N_IDS;
	const char *id = halo_ifeval_id_name(pick);
	const uint8_t *rest = data + 1;
	size_t n = size - 1;
	if (data[0] & 0x80) {
		const uint8_t *nul = memchr(rest, 0, n);
		if (!nul)
			return 0;
		char *kw = strndup((const char *)rest, (size_t)(nul - rest));
		if (!kw)
			return 0;
		one(id, kw, (const char *)nul + 1, n - (size_t)(nul - rest) - 1);
		free(kw);
		return 0;
	}
	/* the response through every checker, language ones only for short inputs
	 * (they share one serialised classifier) */
	for (int i = 0; i < HALO_IFEVAL_N_IDS; i++) {
		if ((i == 4 || i == 21 || i == 22) && n > 4096)
			continue;
		one(halo_ifeval_id_name(i), fixed_kwargs[i], (const char *)rest, n);
	}
	return 0;
}
