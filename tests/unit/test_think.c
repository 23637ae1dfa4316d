/* Thinking separation (src/lib/eval/think.c): every shape servers produce. */
#include "testutil.h"

#include "error.h"
#include "eval/think.h"

#include <string.h>

static void split(const char *content, const char *field, const char *answer, const char *reasoning,
		  bool unterminated)
{
	halo_think_split s = HALO_THINK_SPLIT_INIT;
	assert_int_equal(halo_think_split_content(content, content ? strlen(content) : 0, field, &s), 0);
	assert_string_equal(s.answer, answer);
	assert_string_equal(s.reasoning, reasoning);
	assert_int_equal(s.unterminated, unterminated);
	halo_think_split_free(&s);
}

static void test_plain(void **state)
{
	(void)state;
	split("Just the answer.", NULL, "Just the answer.", "", false);
	/* No tags: the content is left byte for byte, whitespace included. */
	split("  \n answer \n", NULL, "  \n answer \n", "", false);
	split("", NULL, "", "", false);
	split(NULL, NULL, "", "", false);
}

static void test_block_at_start(void **state)
{
	(void)state;
	split("<think>step 1\nstep 2</think>\n\nThe answer", NULL, "The answer", "step 1\nstep 2", false);
	/* Leading whitespace before the tag (some templates emit a newline). */
	split("\n  <think>r</think>a", NULL, "a", "r", false);
	/* An empty block (thinking disabled in a Qwen3 template). */
	split("<think>\n\n</think>\n\nanswer", NULL, "answer", "\n\n", false);
	/* Two leading blocks. */
	split("<think>a</think><think>b</think> x", NULL, "x", "a\nb", false);
	/* A block later in the text is part of the answer. */
	split("Use <think> tags like <think>x</think>.", NULL, "Use <think> tags like <think>x</think>.", "",
	      false);
}

static void test_open_in_template(void **state)
{
	(void)state;
	/* llama.cpp/Qwen3: the template opened the block, only the close is generated. */
	split("Let me think.\n</think>\n\nFinal.", NULL, "Final.", "Let me think.\n", false);
	/* A close that follows an open further in is not this case. */
	split("a <think> b </think> c", NULL, "a <think> b </think> c", "", false);
}

static void test_unterminated(void **state)
{
	(void)state;
	split("<think>I was cut off while", NULL, "", "I was cut off while", true);
	split("  <think>", NULL, "", "", true);
	split("<think>a</think>\n<think>second never ends", NULL, "", "a\nsecond never ends", true);
}

static void test_reasoning_field(void **state)
{
	(void)state;
	/* Separate reasoning: content is the answer. */
	split("The answer", "thought", "The answer", "thought", false);
	split("\n\nThe answer", "thought", "\n\nThe answer", "thought", false);
	/* A stray block in the content is still removed and kept as reasoning. */
	split("<think>more</think>\nanswer", "thought", "answer", "thought\nmore", false);
	split("leftover</think>answer", "thought", "answer", "thought\nleftover", false);
	split("", "only thinking", "", "only thinking", false);
	split("<think>never closed", "r", "", "r\nnever closed", true);
	split("x", "", "x", "", false);
}

static void test_not_nul_terminated(void **state)
{
	(void)state;
	const char buf[] = "<think>r</think>answerGARBAGE";
	halo_think_split s = HALO_THINK_SPLIT_INIT;
	assert_int_equal(halo_think_split_content(buf, strlen(buf) - 7, NULL, &s), 0);
	assert_string_equal(s.answer, "answer");
	assert_string_equal(s.reasoning, "r");
	halo_think_split_free(&s);
	halo_think_split_free(&s); /* idempotent */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_block_at_start),
		cmocka_unit_test(test_open_in_template),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_reasoning_field),
		cmocka_unit_test(test_not_nul_terminated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
