/*
 * IFEval checkers: for each of the 25 instruction ids, responses that pass
 * and fail under the reference's semantics (google-research
 * instruction_following_eval), loose-only passes, and whole records from the
 * pinned input_data.jsonl.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "eval/dataset.h"
#include "eval/ifeval.h"

/* expect: strict and loose verdicts */
static void chk_line(int line, const char *id, const char *kwargs, const char *resp, int strict, int loose)
{
	int s = -1, l = -1;
	int rc = halo_ifeval_check_one(id, kwargs, resp, strlen(resp), &s, &l);
	if (rc != 0)
		fail_msg("line %d: %s: %s", line, id, halo_error_last()->message);
	if (s != strict || l != loose)
		fail_msg("line %d: %s %s on \"%s\": strict %d loose %d, expected %d %d", line, id,
			 kwargs ? kwargs : "", resp, s, l, strict, loose);
}
#define CHK(id, kw, resp, s, l) chk_line(__LINE__, id, kw, resp, s, l)
#define PASS(id, kw, resp) CHK(id, kw, resp, 1, 1)
#define FAIL(id, kw, resp) CHK(id, kw, resp, 0, 0)
#define LOOSE(id, kw, resp) CHK(id, kw, resp, 0, 1)

static void test_ids(void **state)
{
	(void)state;
	for (int i = 0; i < HALO_IFEVAL_N_IDS; i++)
		assert_int_equal(halo_ifeval_id_index(halo_ifeval_id_name(i)), i);
	assert_int_equal(halo_ifeval_id_index("keywords:key_sentences"), -1); /* disabled upstream */
	assert_null(halo_ifeval_id_name(25));
	int s, l;
	assert_int_equal(halo_ifeval_check_one("nope:nope", "{}", "x", 1, &s, &l), HALO_EFORMAT);
	/* missing / invalid kwargs: the reference would pick random values */
	assert_int_equal(halo_ifeval_check_one("length_constraints:number_words", "{}", "x", 1, &s, &l), HALO_EFORMAT);
	assert_int_equal(halo_ifeval_check_one("length_constraints:number_words",
					       "{\"num_words\": 3, \"relation\": \"at most\"}", "x", 1, &s, &l),
			 HALO_EFORMAT);
	assert_int_equal(halo_ifeval_check_one("keywords:letter_frequency",
					       "{\"letter\": \"ab\", \"let_frequency\": 1, \"let_relation\": \"at least\"}",
					       "x", 1, &s, &l),
			 HALO_EFORMAT);
	assert_int_equal(halo_ifeval_check_one("punctuation:no_comma", "[1]", "x", 1, &s, &l), HALO_EFORMAT);
}

static void test_keywords(void **state)
{
	(void)state;
	const char *kw = "{\"keywords\": [\"Banana\", \"sky\"]}";
	PASS("keywords:existence", kw, "The BANANA flew into the skyline.");   /* substring, any case */
	FAIL("keywords:existence", kw, "The banana stayed home.");
	const char *f2 = "{\"keyword\": \"cat\", \"frequency\": 2, \"relation\": \"at least\"}";
	PASS("keywords:frequency", f2, "Cat and category."); /* no word boundaries in the reference */
	FAIL("keywords:frequency", f2, "one cat only");
	const char *f3 = "{\"keyword\": \"aa\", \"frequency\": 2, \"relation\": \"less than\"}";
	PASS("keywords:frequency", f3, "aaa"); /* non-overlapping: 1 */
	FAIL("keywords:frequency", f3, "aaaa"); /* 2 */
	const char *fb = "{\"forbidden_words\": [\"cat\", \"dog\"]}";
	PASS("keywords:forbidden_words", fb, "Concatenate hotdogs."); /* \b around the word */
	FAIL("keywords:forbidden_words", fb, "My CAT.");
	FAIL("keywords:forbidden_words", fb, "hot-dog");
	PASS("keywords:forbidden_words", fb, "dog_house"); /* '_' is a word character */
	/* loose: the first line dropped removes the forbidden word */
	LOOSE("keywords:forbidden_words", fb, "Sure, no cat here:\nJust birds.");
	const char *lf = "{\"letter\": \"e\", \"let_frequency\": 3, \"let_relation\": \"at least\"}";
	PASS("keywords:letter_frequency", lf, "EeE");
	FAIL("keywords:letter_frequency", lf, "eel");
	const char *ll = "{\"letter\": \"#\", \"let_frequency\": 2, \"let_relation\": \"less than\"}";
	PASS("keywords:letter_frequency", ll, "# one");
	FAIL("keywords:letter_frequency", ll, "## two");
	/* U+0130 lowers to "i" + combining dot: counts as an 'i' */
	PASS("keywords:letter_frequency", "{\"letter\": \"i\", \"let_frequency\": 2, \"let_relation\": \"at least\"}",
	     "\xC4\xB0i");
}

static void test_language(void **state)
{
	(void)state;
	const char *de = "{\"language\": \"de\"}";
	PASS("language:response_language", de,
	     "Das Wetter in Berlin ist heute sehr schön, und wir gehen am Nachmittag in den Park spazieren.");
	FAIL("language:response_language", de,
	     "The weather in Berlin is very nice today, and we are going for a walk in the park this afternoon.");
	PASS("language:response_language", "{\"language\": \"te\"}", "ఈ రోజు వాతావరణం చాలా బాగుంది.");
	PASS("language:response_language", "{\"language\": \"ru\"}",
	     "Сегодня в Москве очень хорошая погода, и мы пойдём гулять в парк.");
	FAIL("language:response_language", "{\"language\": \"ru\"}",
	     "Сьогодні в Києві дуже гарна погода, і ми підемо гуляти в парк з друзями.");
	/* no letters at all: langdetect raises, and the reference counts it as followed */
	PASS("language:response_language", de, "12345 !!!");
	assert_string_equal(halo_ifeval_detect_language("Ceci est un texte écrit en français, pour tester.", 49), "fr");
}

static void test_length(void **state)
{
	(void)state;
	const char *s3 = "{\"num_sentences\": 3, \"relation\": \"at least\"}";
	PASS("length_constraints:number_sentences", s3, "One. Two! Three?");
	FAIL("length_constraints:number_sentences", s3, "One. Two");
	FAIL("length_constraints:number_sentences", s3, "Mr. Smith met Dr. Jones. Bye");  /* abbreviations */
	FAIL("length_constraints:number_sentences", s3, "It is 3.14 today. The\nnext line has no period");
	const char *s2 = "{\"num_sentences\": 2, \"relation\": \"less than\"}";
	PASS("length_constraints:number_sentences", s2, "Just one sentence here.");
	FAIL("length_constraints:number_sentences", s2, "First. Second.");
	PASS("length_constraints:number_sentences", s2, "He said \"stop.\"");
	const char *p3 = "{\"num_paragraphs\": 3}";
	PASS("length_constraints:number_paragraphs", p3, "a\n***\nb\n***\nc");
	PASS("length_constraints:number_paragraphs", p3, "***\na\n***\nb\n***\nc\n***"); /* blank ends */
	FAIL("length_constraints:number_paragraphs", p3, "a\n***\n***\nb\n***\nc");       /* blank middle */
	FAIL("length_constraints:number_paragraphs", p3, "a\n***\nb");
	const char *w5 = "{\"num_words\": 5, \"relation\": \"less than\"}";
	FAIL("length_constraints:number_words", w5, "don't stop-me now"); /* \w+: don t stop me now */
	PASS("length_constraints:number_words", w5, "don't stop now");
	const char *w4 = "{\"num_words\": 4, \"relation\": \"at least\"}";
	PASS("length_constraints:number_words", w4, "don't stop now");
	FAIL("length_constraints:number_words", w4, "stop now, ok");
	PASS("length_constraints:number_words", w4, "héllo wörld 日本 x_y");
	const char *fw = "{\"num_paragraphs\": 2, \"nth_paragraph\": 2, \"first_word\": \"Weekend\"}";
	PASS("length_constraints:nth_paragraph_first_word", fw, "Intro.\n\n\"Weekend,\" he said.");
	FAIL("length_constraints:nth_paragraph_first_word", fw, "Intro.\n\nWeekends are fun.");
	LOOSE("length_constraints:nth_paragraph_first_word", fw, "Intro.\n\nWeekend\n\nthird"); /* last line dropped */
	FAIL("length_constraints:nth_paragraph_first_word", fw, "Intro.\n\nWeekend\n\nthird\n\nfourth\n\nfifth");
	/* loose: a heading line then the two paragraphs */
	LOOSE("length_constraints:nth_paragraph_first_word", fw, "Sure, here:\n\nIntro.\n\nweekend fun");
}

static void test_content(void **state)
{
	(void)state;
	const char *ph = "{\"num_placeholders\": 2}";
	PASS("detectable_content:number_placeholders", ph, "Dear [name], at [address].");
	FAIL("detectable_content:number_placeholders", ph, "Dear [name\n], at [address].");
	PASS("detectable_content:number_placeholders", ph, "[] and []"); /* lazy .*? may be empty */
	const char *pps = "{\"postscript_marker\": \"P.P.S\"}";
	PASS("detectable_content:postscript", pps, "Hello.\n\np. p. s. see you");
	FAIL("detectable_content:postscript", pps, "Hello.\n\nP.S. see you");
	const char *ps = "{\"postscript_marker\": \"P.S.\"}";
	PASS("detectable_content:postscript", ps, "Hello.\nP.S. see you");
	FAIL("detectable_content:postscript", ps, "Hello.\nPS see you");
}

static void test_format(void **state)
{
	(void)state;
	const char *b2 = "{\"num_bullets\": 2}";
	PASS("detectable_format:number_bullet_lists", b2, "Intro\n* one\n- two\n**bold** line");
	LOOSE("detectable_format:number_bullet_lists", b2, "* one\n* two\n* three"); /* first line dropped */
	FAIL("detectable_format:number_bullet_lists", b2, "* one\n* two\n* three\n* four\n* five");
	FAIL("detectable_format:number_bullet_lists", b2, "* one");
	/* loose: '*' removed turns "* a" bullets into plain lines, "- " ones stay */
	LOOSE("detectable_format:number_bullet_lists", b2, "* x\n- a\n- b");
	const char *cr = NULL;
	PASS("detectable_format:constrained_response", cr, "Well... My answer is maybe.");
	FAIL("detectable_format:constrained_response", cr, "My answer is Yes.");
	const char *h2 = "{\"num_highlights\": 2}";
	PASS("detectable_format:number_highlighted_sections", h2, "*one* and **two**");
	FAIL("detectable_format:number_highlighted_sections", h2, "*one* and * *");
	FAIL("detectable_format:number_highlighted_sections", h2, "*one\ntwo*");
	const char *sec = "{\"section_spliter\": \"Section\", \"num_sections\": 2}";
	PASS("detectable_format:multiple_sections", sec, "Section 1\nfoo\nSection 2\nbar");
	FAIL("detectable_format:multiple_sections", sec, "SECTION 1\nfoo\nSECTION 2\nbar"); /* case */
	FAIL("detectable_format:multiple_sections", sec, "Section one\nSection 2");
	PASS("detectable_format:json_format", NULL, "```json\n{\"a\": [1, 2.5, null]}\n```");
	PASS("detectable_format:json_format", NULL, "\"just a string\""); /* json.loads takes scalars */
	FAIL("detectable_format:json_format", NULL, "Here is the JSON: {\"a\": 1}");
	FAIL("detectable_format:json_format", NULL, "{\"a\": 1,}");
	/* loose: an intro line before the fence */
	LOOSE("detectable_format:json_format", NULL, "Sure, here it is:\n{\"a\": 1}");
	PASS("detectable_format:title", NULL, "<<Poem of Joy>>\nRoses.");
	FAIL("detectable_format:title", NULL, "<< >> and <<\nx>>");
	PASS("detectable_format:title", NULL, "<<<>>> <<x>>"); /* greedy: one match, "> <<x" */
}

static void test_combination(void **state)
{
	(void)state;
	PASS("combination:two_responses", NULL, "First answer.\n******\nSecond answer.");
	FAIL("combination:two_responses", NULL, "Same.\n******\nSame.");
	FAIL("combination:two_responses", NULL, "A\n******\n\n******\nB");
	LOOSE("combination:two_responses", NULL, "A\n******\nB\n******\nC"); /* last line dropped */
	FAIL("combination:two_responses", NULL, "A\nA\n******\nB\n******\nC\nD");
	PASS("combination:two_responses", NULL, "******\nA\n******\nB\n******");
	const char *rp = "{\"prompt_to_repeat\": \"Write a poem about Cats.\"}";
	PASS("combination:repeat_prompt", rp, "  write a POEM about cats. Cats are great.");
	FAIL("combination:repeat_prompt", rp, "Sure! Write a poem about cats.");
	/* loose: the intro line dropped */
	LOOSE("combination:repeat_prompt", rp, "Sure!\nWrite a poem about cats.\nMeow.");
	const char *ep = "{\"end_phrase\": \"Is there anything else I can help with?\"}";
	PASS("startend:end_checker", ep, "Done. is there anything else I can help with?\"  ");
	FAIL("startend:end_checker", ep, "Is there anything else I can help with? Bye.");
	LOOSE("startend:end_checker", ep, "Text. Is there anything else I can help with?\n(word count: 9)");
	LOOSE("startend:end_checker", ep, "Text. **Is there anything else I can help with?**");
	PASS("startend:quotation", NULL, "  \"Hello, world.\"\n");
	FAIL("startend:quotation", NULL, "\"");
	FAIL("startend:quotation", NULL, "\"Hello\" world");
	LOOSE("startend:quotation", NULL, "Here you go:\n\"Hello\"");
}

static void test_case(void **state)
{
	(void)state;
	const char *c3 = "{\"capital_frequency\": 3, \"capital_relation\": \"at least\"}";
	PASS("change_case:capital_word_frequency", c3, "I LOVE NYC");
	PASS("change_case:capital_word_frequency", c3, "DON'T GO"); /* Treebank: DO N'T GO */
	FAIL("change_case:capital_word_frequency", c3, "DON'T go");
	PASS("change_case:capital_word_frequency", c3, "I love NYC,OK?"); /* I NYC , OK ? */
	FAIL("change_case:capital_word_frequency", c3, "I love NYC.");
	const char *c2 = "{\"capital_frequency\": 2, \"capital_relation\": \"less than\"}";
	PASS("change_case:capital_word_frequency", c2, "Only ONE here.");
	FAIL("change_case:capital_word_frequency", c2, "WELL-KNOWN AND LOUD");
	PASS("change_case:english_capital", NULL,
	     "THE WEATHER IS VERY NICE TODAY AND WE ARE GOING FOR A WALK IN THE PARK THIS AFTERNOON.");
	FAIL("change_case:english_capital", NULL,
	     "THE WEATHER IS VERY NICE TODAY AND WE ARE GOING FOR a WALK IN THE PARK THIS AFTERNOON.");
	FAIL("change_case:english_capital", NULL,
	     "DAS WETTER IN BERLIN IST HEUTE SEHR SCHÖN, UND WIR GEHEN AM NACHMITTAG IN DEN PARK.");
	PASS("change_case:english_lowercase", NULL,
	     "the weather is very nice today and we are going for a walk in the park this afternoon.");
	FAIL("change_case:english_lowercase", NULL,
	     "The weather is very nice today and we are going for a walk in the park this afternoon.");
	LOOSE("change_case:english_lowercase", NULL,
	      "Sure!\nthe weather is very nice today and we are going for a walk in the park this afternoon.");
	PASS("punctuation:no_comma", NULL, "No commas here; none.");
	FAIL("punctuation:no_comma", NULL, "One, two.");
	PASS("punctuation:no_comma", NULL, "Full-width \xEF\xBC\x8C is not U+002C.");
	LOOSE("punctuation:no_comma", NULL, "Sure, here it is:\nNo commas at all.");
}

static void test_blank_response(void **state)
{
	(void)state;
	/* the reference fails every instruction on a blank response, even ones a blank text satisfies */
	FAIL("punctuation:no_comma", NULL, "  \n ");
	FAIL("keywords:forbidden_words", "{\"forbidden_words\": [\"x\"]}", "");
	/* every loose variant of a one-line response is blank except the response itself */
	CHK("punctuation:no_comma", NULL, "a, b", 0, 0);
}

/* ---- whole records ------------------------------------------------------------ */

typedef struct rec_case {
	const char *key;
	const char *response;
	int strict_all, loose_all;
	int n_checked;
} rec_case;

static rec_case rec_cases[] = {
	/* key 1000: 300+ words, >= 3 highlights, no commas */
	{ "1000", NULL, 1, 1, 0 },
	/* key 1001: "lowercase letters only, no capital letters" */
	{ "1001", "i am writing you this note because we must talk about the plan for the week. "
		  "it is a good plan and i think you will like it a lot.",
	  -1, -1, 0 },
};

static char *make_1000(void)
{
	/* 320 words, three *highlighted* sections, no commas */
	size_t cap = 8192, len = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	len += (size_t)snprintf(s + len, cap - len, "*Part one* *Part two* *Part three*\n");
	for (int i = 0; i < 320; i++)
		len += (size_t)snprintf(s + len, cap - len, "word%s", i % 10 == 9 ? ".\n" : " ");
	return s;
}

static int rec_fn(const halo_dataset_record *r, void *ud)
{
	size_t *seen = ud;
	for (size_t i = 0; i < sizeof rec_cases / sizeof rec_cases[0]; i++) {
		if (strcmp(r->id, rec_cases[i].key) != 0)
			continue;
		char *owned = NULL;
		const char *resp = rec_cases[i].response;
		if (!resp)
			resp = owned = make_1000();
		halo_ifeval_result res;
		int rc = halo_ifeval_check(r, resp, strlen(resp), &res);
		if (rc != 0)
			fail_msg("%s: %s", r->id, halo_error_last()->message);
		assert_int_equal(res.n, r->n_instructions);
		if (rec_cases[i].strict_all >= 0) {
			assert_int_equal(res.prompt_strict, rec_cases[i].strict_all);
			assert_int_equal(res.prompt_loose, rec_cases[i].loose_all);
		}
		for (size_t k = 0; k < res.n; k++)
			assert_string_equal(halo_ifeval_id_name(res.items[k].index), r->instruction_ids[k]);
		rec_cases[i].n_checked++;
		halo_ifeval_result_free(&res);
		free(owned);
	}
	/* every record is scorable: its own prompt as the response */
	halo_ifeval_result res;
	int rc = halo_ifeval_check(r, r->prompt, strlen(r->prompt), &res);
	if (rc != 0)
		fail_msg("%s: %s", r->id, halo_error_last()->message);
	halo_ifeval_result_free(&res);
	(*seen)++;
	return 0;
}

static void test_records(void **state)
{
	(void)state;
	const char *path = test_dataset_path("ifeval/input_data.jsonl");
	size_t seen = 0, n = 0;
	int rc = halo_dataset_load(path, HALO_DATASET_IFEVAL, NULL, rec_fn, &seen, &n);
	if (rc != 0)
		fail_msg("%s", halo_error_last()->message);
	assert_int_equal(seen, 541);
	for (size_t i = 0; i < sizeof rec_cases / sizeof rec_cases[0]; i++)
		assert_int_equal(rec_cases[i].n_checked, 1);
}

/* ---- statistics and threads ---------------------------------------------------- */

static void test_stats(void **state)
{
	(void)state;
	halo_ifeval_instruction a[2] = { { 0, 1, 1 }, { 23, 0, 1 } };
	halo_ifeval_instruction b[1] = { { 23, 1, 1 } };
	halo_ifeval_result r1 = { 2, a, 0, 1 }, r2 = { 1, b, 1, 1 };
	halo_ifeval_stats s = HALO_IFEVAL_STATS_INIT, t = HALO_IFEVAL_STATS_INIT;
	halo_ifeval_stats_add(&s, &r1);
	halo_ifeval_stats_add(&t, &r2);
	halo_ifeval_stats_merge(&s, &t);
	halo_ifeval_scores sc = halo_ifeval_stats_scores(&s);
	assert_true(sc.prompt_strict == 0.5);
	assert_true(sc.prompt_loose == 1.0);
	assert_true(sc.instruction_strict == 2.0 / 3.0);
	assert_true(sc.instruction_loose == 1.0);
	assert_int_equal(s.id_total[23], 2);
	assert_int_equal(s.id_strict[23], 1);
	assert_int_equal(s.id_loose[23], 2);
	halo_ifeval_stats z = HALO_IFEVAL_STATS_INIT;
	assert_true(halo_ifeval_stats_scores(&z).prompt_strict == 0.0);
}

static void *thread_fn(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20; i++) {
		int s = -1, l = -1;
		const char *t = i % 2 ? "Das ist ein deutscher Satz über den schönen Sommer in der Stadt."
				      : "This is an English sentence about the nice summer in the city.";
		if (halo_ifeval_check_one("language:response_language", "{\"language\": \"de\"}", t, strlen(t), &s, &l) != 0)
			return (void *)1;
		if (s != (i % 2))
			return (void *)2;
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, thread_fn, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		assert_null(ret);
	}
}

static void test_caps(void **state)
{
	(void)state;
	int s, l;
	size_t big = HALO_IFEVAL_MAX_RESPONSE + 1;
	char *p = calloc(big, 1);
	assert_non_null(p);
	assert_int_equal(halo_ifeval_check_one("punctuation:no_comma", NULL, p, big, &s, &l), HALO_ENOMEM);
	free(p);
	/* invalid UTF-8 is scored, not rejected */
	assert_int_equal(halo_ifeval_check_one("punctuation:no_comma", NULL, "\xff\xfe ok", 5, &s, &l), 0);
	assert_int_equal(s, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),         cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_language),    cmocka_unit_test(test_length),
		cmocka_unit_test(test_content),     cmocka_unit_test(test_format),
		cmocka_unit_test(test_combination), cmocka_unit_test(test_case),
		cmocka_unit_test(test_blank_response), cmocka_unit_test(test_records),
		cmocka_unit_test(test_stats),       cmocka_unit_test(test_threads),
		cmocka_unit_test(test_caps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
