/* BFCL scoring: ground-truth answers in both modes, wrong answers caught,
 * the checker's rules one by one, request building, offline result lines. */
#include "testutil.h"

#include "error.h"
#include "eval/bfcl.h"
#include "eval/dataset.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct records {
	size_t n, cap;
	char **id, **question, **function, **truth;
} records;

static int collect(const halo_dataset_record *r, void *ud)
{
	records *rs = ud;
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 256;
		rs->id = realloc(rs->id, rs->cap * sizeof(char *));
		rs->question = realloc(rs->question, rs->cap * sizeof(char *));
		rs->function = realloc(rs->function, rs->cap * sizeof(char *));
		rs->truth = realloc(rs->truth, rs->cap * sizeof(char *));
	}
	rs->id[rs->n] = strdup(r->id);
	rs->question[rs->n] = r->question_json ? strdup(r->question_json) : NULL;
	rs->function[rs->n] = r->function_json ? strdup(r->function_json) : NULL;
	rs->truth[rs->n] = r->ground_truth_json ? strdup(r->ground_truth_json) : NULL;
	rs->n++;
	return 0;
}

static void records_free(records *rs)
{
	for (size_t k = 0; k < rs->n; k++) {
		free(rs->id[k]);
		free(rs->question[k]);
		free(rs->function[k]);
		free(rs->truth[k]);
	}
	free(rs->id);
	free(rs->question);
	free(rs->function);
	free(rs->truth);
	memset(rs, 0, sizeof(*rs));
}

static void load(const char *rel, halo_dataset_kind kind, records *rs)
{
	memset(rs, 0, sizeof(*rs));
	if (halo_dataset_load(test_dataset_path(rel), kind, NULL, collect, rs, NULL) != 0)
		fail_msg("%s", halo_error_last()->message);
}

/* Scores the rendered ground truth of every record; returns the passes. */
static size_t score_truth(halo_bfcl_category c, halo_bfcl_mode mode, size_t *total, int verbose)
{
	records q, a;
	load(halo_bfcl_question_file(c), HALO_DATASET_BFCL, &q);
	load(halo_bfcl_answer_file(c), HALO_DATASET_BFCL_ANSWER, &a);
	assert_int_equal(q.n, a.n);
	size_t pass = 0;
	for (size_t k = 0; k < q.n; k++) {
		char *answer = NULL;
		if (halo_bfcl_render_answer(c, mode, q.function[k], a.truth[k], &answer) != 0)
			fail_msg("%s: %s", q.id[k], halo_error_last()->message);
		halo_bfcl_decoded d;
		if (mode == HALO_BFCL_PROMPT)
			assert_int_equal(halo_bfcl_decode_prompt(halo_bfcl_category_lang(c), answer, strlen(answer), &d), 0);
		else
			assert_int_equal(halo_bfcl_decode_native(answer, NULL, &d), 0);
		halo_bfcl_verdict v;
		if (halo_bfcl_check(c, mode, q.function[k], a.truth[k], &d, &v) != 0)
			fail_msg("%s: %s", q.id[k], halo_error_last()->message);
		if (v.outcome == HALO_OUTCOME_PASS)
			pass++;
		else if (verbose)
			printf("  %s %s: %s %s | %s\n    %s\n", mode == HALO_BFCL_PROMPT ? "prompt" : "native", q.id[k],
			       v.error_type, v.detail, d.ok ? "" : d.error, answer);
		halo_bfcl_decoded_free(&d);
		free(answer);
	}
	*total = q.n;
	records_free(&q);
	records_free(&a);
	return pass;
}

/* Every AST category, both modes: the expected pass counts. Every miss is
 * an item the reference cannot pass either (docs/bfcl.md lists them): five
 * live items whose ground truth lacks a required parameter or names one the
 * function does not have; Java lists of `any` with non-string values and a
 * HashMap answer whose values are not lists (both modes), and, in prompt
 * mode only, Java HashMaps with entries, whose class body the reference's
 * tree-sitter traversal drops. */
static void test_ground_truth_all_categories(void **state)
{
	(void)state;
	static const struct {
		halo_bfcl_category c;
		size_t total, prompt, native;
	} want[] = {
		{ HALO_BFCL_SIMPLE_PYTHON, 400, 400, 400 },
		{ HALO_BFCL_SIMPLE_JAVA, 100, 95, 97 },
		{ HALO_BFCL_SIMPLE_JAVASCRIPT, 50, 50, 50 },
		{ HALO_BFCL_MULTIPLE, 200, 200, 200 },
		{ HALO_BFCL_PARALLEL, 200, 200, 200 },
		{ HALO_BFCL_PARALLEL_MULTIPLE, 200, 200, 200 },
		{ HALO_BFCL_LIVE_SIMPLE, 258, 256, 256 },
		{ HALO_BFCL_LIVE_MULTIPLE, 1053, 1050, 1050 },
		{ HALO_BFCL_LIVE_PARALLEL, 16, 16, 16 },
		{ HALO_BFCL_LIVE_PARALLEL_MULTIPLE, 24, 24, 24 },
	};
	int verbose = getenv("BFCL_VERBOSE") != NULL;
	int bad = 0;
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		size_t total, np, nn;
		np = score_truth(want[k].c, HALO_BFCL_PROMPT, &total, verbose);
		nn = score_truth(want[k].c, HALO_BFCL_NATIVE, &total, verbose);
		printf("%-24s %4zu records: prompt %4zu, native %4zu\n", halo_bfcl_category_name(want[k].c), total, np, nn);
		if (total != want[k].total || np != want[k].prompt || nn != want[k].native)
			bad = 1;
	}
	assert_false(bad);
}


/* One Python function: f(n: integer req, x: float, s: string req, l: array of
 * integer, d: dict, opt: string optional). */
static const char FUNCS[] =
	"[{\"name\": \"math.f\", \"description\": \"d\", \"parameters\": {\"type\": \"dict\", \"properties\": {"
	"\"n\": {\"type\": \"integer\", \"description\": \"n\"},"
	"\"x\": {\"type\": \"float\", \"description\": \"x\"},"
	"\"s\": {\"type\": \"string\", \"description\": \"s\"},"
	"\"l\": {\"type\": \"array\", \"items\": {\"type\": \"integer\"}, \"description\": \"l\"},"
	"\"t\": {\"type\": \"tuple\", \"items\": {\"type\": \"string\"}, \"description\": \"t\"},"
	"\"d\": {\"type\": \"dict\", \"description\": \"d\", \"properties\": {\"a\": {\"type\": \"string\"}}},"
	"\"opt\": {\"type\": \"string\", \"description\": \"o\"}},"
	"\"required\": [\"n\", \"s\"]}},"
	"{\"name\": \"g\", \"description\": \"g\", \"parameters\": {\"type\": \"dict\", \"properties\": {"
	"\"city\": {\"type\": \"string\", \"description\": \"c\"}}, \"required\": [\"city\"]}}]";
static const char TRUTH[] =
	"[{\"math.f\": {\"n\": [3], \"x\": [2.0, \"\"], \"s\": [\"New York, NY\"], \"l\": [[1, 2], \"\"],"
	" \"t\": [[\"a\", \"b\"], \"\"], \"d\": [{\"a\": [\"x\", \"\"], \"b\": [1]}, \"\"], \"opt\": [\"\", \"yes\"]}}]";

/* Scores one prompt-mode answer of the simple_python category. */
static halo_bfcl_verdict check_prompt(halo_bfcl_category c, const char *funcs, const char *truth, const char *answer)
{
	halo_bfcl_decoded d;
	halo_bfcl_verdict v;
	assert_int_equal(halo_bfcl_decode_prompt(halo_bfcl_category_lang(c), answer, strlen(answer), &d), 0);
	if (halo_bfcl_check(c, HALO_BFCL_PROMPT, funcs, truth, &d, &v) != 0)
		fail_msg("%s", halo_error_last()->message);
	halo_bfcl_decoded_free(&d);
	return v;
}

#define EXPECT(answer, want_o, type)                                                               \
	do {                                                                                       \
		halo_bfcl_verdict v_ = check_prompt(HALO_BFCL_SIMPLE_PYTHON, FUNCS, TRUTH, answer); \
		if (v_.outcome != (want_o) || strcmp(v_.error_type, type) != 0)                   \
			fail_msg("%s: got %s %s (%s), want %s %s", answer, halo_outcome_name(v_.outcome), \
				 v_.error_type, v_.detail, halo_outcome_name(want_o), type);       \
	} while (0)

static void test_checker_rules(void **state)
{
	(void)state;
	const halo_outcome P = HALO_OUTCOME_PASS, W = HALO_OUTCOME_WRONG, X = HALO_OUTCOME_PARSE;
	EXPECT("[math.f(n=3, s='New York, NY')]", P, "");
	EXPECT("math.f(n=3, s=\"new york ny\")", P, ""); /* bare call; case, spaces, ',' */
	EXPECT("```\n[math.f(n=3, s='NEW-YORK_NY.')]\n```", P, "");
	EXPECT("[math.f(n=3, s='New York NJ')]", W, "value_error:string");
	/* int -> float promotion, but never float for int */
	EXPECT("[math.f(n=3, s='New York, NY', x=2)]", P, "");
	EXPECT("[math.f(n=3, s='New York, NY', x=2.0)]", P, "");
	EXPECT("[math.f(n=3.0, s='New York, NY')]", W, "type_error:simple");
	EXPECT("[math.f(n='3', s='New York, NY')]", W, "type_error:simple");
	EXPECT("[math.f(n=True, s='New York, NY')]", W, "type_error:simple");
	EXPECT("[math.f(n=4, s='New York, NY')]", W, "value_error:others");
	/* lists: int where a list is expected; element types; order matters */
	EXPECT("[math.f(n=3, s='New York, NY', l=1)]", W, "type_error:simple");
	EXPECT("[math.f(n=3, s='New York, NY', l=[1, 2])]", P, "");
	EXPECT("[math.f(n=3, s='New York, NY', l=[2, 1])]", W, "value_error:list/tuple");
	/* the reference's nested type check accepts anything once the answer
	 * list holds the "" marker; the value check then fails */
	EXPECT("[math.f(n=3, s='New York, NY', l=[1, '2'])]", W, "value_error:list/tuple");
	EXPECT("[math.f(n=3, s='New York, NY', l=(1, 2))]", W, "type_error:simple");
	EXPECT("[math.f(n=3, s='New York, NY', t=('A', 'b'))]", P, ""); /* tuple -> list, strings normalised */
	/* dicts: optional keys, unknown keys, values */
	EXPECT("[math.f(n=3, s='New York, NY', d={'b': 1})]", P, "");
	EXPECT("[math.f(n=3, s='New York, NY', d={'a': 'X', 'b': 1.0})]", P, "");
	EXPECT("[math.f(n=3, s='New York, NY', d={'a': 'y', 'b': 1})]", W, "value_error:dict_value");
	EXPECT("[math.f(n=3, s='New York, NY', d={'a': 'x'})]", W, "value_error:dict_key");
	EXPECT("[math.f(n=3, s='New York, NY', d={'b': 1, 'c': 2})]", W, "value_error:dict_key");
	/* parameters */
	EXPECT("[math.f(s='New York, NY')]", W, "simple_function_checker:missing_required");
	EXPECT("[math.f(n=3, s='New York, NY', zzz=1)]", W, "simple_function_checker:unexpected_param");
	EXPECT("[math.f(n=3, s='New York, NY', opt='yes')]", P, "");
	EXPECT("[math.f(n=3, s='New York, NY', opt='no')]", W, "value_error:string");
	/* names and counts */
	EXPECT("[math_f(n=3, s='New York, NY')]", W, "simple_function_checker:wrong_func_name");
	EXPECT("[g(city='x')]", W, "simple_function_checker:wrong_func_name");
	EXPECT("[math.f(n=3, s='New York, NY'), math.f(n=3, s='New York, NY')]", W,
	       "simple_function_checker:wrong_count");
	EXPECT("[]", W, "simple_function_checker:wrong_count");
	/* undecodable */
	EXPECT("I would call math.f with n=3", X, "ast_decoder:decoder_failed");
	EXPECT("[math.f(n=3, s='New York, NY'", X, "ast_decoder:decoder_failed");
	EXPECT("[math.f(n=1+2, s='New York, NY')]", P, ""); /* evaluated, as the reference's eval() */
	EXPECT("[math.f(n=x[0], s='New York, NY')]", W, "type_error:simple"); /* the text "x[0]" */
	EXPECT("[math.f(n=x[0:1], s='New York, NY')]", X, "ast_decoder:decoder_failed");
	EXPECT("[math.f(n=3j, s='New York, NY')]", W, "type_error:simple");
	{
		static const char f2[] = "[{\"name\": \"f\", \"description\": \"\", \"parameters\": {\"type\": \"dict\", \"properties\": "
					 "{\"l\": {\"type\": \"array\", \"items\": {\"type\": \"integer\"}, \"description\": \"\"}}, \"required\": []}}]";
		halo_bfcl_verdict v = check_prompt(HALO_BFCL_SIMPLE_PYTHON, f2, "[{\"f\": {\"l\": [[1, 2]]}}]", "[f(l=[1, '2'])]");
		assert_string_equal(v.error_type, "type_error:nested");
	}
	/* a variable (bare name) is a string: the answer's type decides */
	EXPECT("[math.f(n=3, s=NewYorkNY)]", P, "");
}

/* Native mode: names with '.' are expected with '_', arguments are JSON. */
static void test_native_names_and_json(void **state)
{
	(void)state;
	struct {
		const char *tool_calls, *type;
		halo_outcome o;
	} cases[] = {
		{ "[{\"function\": {\"name\": \"math_f\", \"arguments\": \"{\\\"n\\\": 3, \\\"s\\\": \\\"New York, NY\\\"}\"}}]", "", HALO_OUTCOME_PASS },
		{ "[{\"function\": {\"name\": \"math.f\", \"arguments\": \"{\\\"n\\\": 3, \\\"s\\\": \\\"New York, NY\\\"}\"}}]", "simple_function_checker:wrong_func_name", HALO_OUTCOME_WRONG },
		{ "[{\"function\": {\"name\": \"math_f\", \"arguments\": \"{\\\"n\\\": 3.0, \\\"s\\\": \\\"New York, NY\\\"}\"}}]", "type_error:simple", HALO_OUTCOME_WRONG },
		{ "[{\"function\": {\"name\": \"math_f\", \"arguments\": \"{\\\"n\\\": 3, \\\"s\\\": \\\"New York, NY\\\", \\\"x\\\": 2}\"}}]", "", HALO_OUTCOME_PASS },
		{ "[{\"function\": {\"name\": \"math_f\", \"arguments\": \"{\\\"n\\\": 3\"}}]", "ast_decoder:decoder_failed", HALO_OUTCOME_PARSE },
		{ "[{\"function\": {\"name\": \"math_f\", \"arguments\": \"[1]\"}}]", "ast_decoder:decoder_wrong_output_format", HALO_OUTCOME_PARSE },
		{ "[]", "simple_function_checker:wrong_count", HALO_OUTCOME_WRONG },
		{ NULL, "simple_function_checker:wrong_count", HALO_OUTCOME_WRONG }, /* no tool calls, empty content */
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		halo_bfcl_decoded d;
		halo_bfcl_verdict v;
		assert_int_equal(halo_bfcl_decode_native(cases[k].tool_calls, "", &d), 0);
		assert_int_equal(halo_bfcl_check(HALO_BFCL_SIMPLE_PYTHON, HALO_BFCL_NATIVE, FUNCS, TRUTH, &d, &v), 0);
		if (v.outcome != cases[k].o || strcmp(v.error_type, cases[k].type))
			fail_msg("case %zu: %s %s %s", k, halo_outcome_name(v.outcome), v.error_type, v.detail);
		halo_bfcl_decoded_free(&d);
	}
	/* content without tool calls does not decode */
	halo_bfcl_decoded d;
	assert_int_equal(halo_bfcl_decode_native(NULL, "The weather is nice.", &d), 0);
	assert_false(d.ok);
	halo_bfcl_decoded_free(&d);
}

/* Parallel calls match in any order; each expected call takes one call. */
static void test_parallel_order_free(void **state)
{
	(void)state;
	static const char funcs[] = "[{\"name\": \"w\", \"description\": \"\", \"parameters\": {\"type\": \"dict\", "
				    "\"properties\": {\"city\": {\"type\": \"string\", \"description\": \"\"}}, \"required\": [\"city\"]}}]";
	static const char truth[] = "[{\"w\": {\"city\": [\"Paris\"]}}, {\"w\": {\"city\": [\"Rome\"]}}]";
	halo_bfcl_verdict v = check_prompt(HALO_BFCL_PARALLEL, funcs, truth, "[w(city='Rome'), w(city='Paris')]");
	assert_int_equal(v.outcome, HALO_OUTCOME_PASS);
	v = check_prompt(HALO_BFCL_PARALLEL, funcs, truth, "[w(city='Paris'), w(city='Paris')]");
	assert_int_equal(v.outcome, HALO_OUTCOME_WRONG);
	assert_string_equal(v.error_type, "parallel_function_checker_no_order:cannot_find_match");
	v = check_prompt(HALO_BFCL_PARALLEL, funcs, truth, "[w(city='Paris')]");
	assert_string_equal(v.error_type, "parallel_function_checker_no_order:wrong_count");
	v = check_prompt(HALO_BFCL_MULTIPLE, funcs, "[{\"w\": {\"city\": [\"Rome\"]}}]", "[w(city='rome')]");
	assert_int_equal(v.outcome, HALO_OUTCOME_PASS);
}

/* Irrelevance: no call passes, a call fails; a malformed attempt passes the
 * reference-compatible score and fails the strict one. Relevance: any call. */
static void test_relevance(void **state)
{
	(void)state;
	struct {
		halo_bfcl_category c;
		const char *answer;
		halo_outcome o, strict;
	} cases[] = {
		{ HALO_BFCL_IRRELEVANCE, "None of the functions can answer this.", HALO_OUTCOME_PASS, HALO_OUTCOME_PASS },
		{ HALO_BFCL_IRRELEVANCE, "[]", HALO_OUTCOME_PASS, HALO_OUTCOME_PASS },
		{ HALO_BFCL_IRRELEVANCE, "[get_weather(city='Paris')]", HALO_OUTCOME_WRONG, HALO_OUTCOME_WRONG },
		{ HALO_BFCL_IRRELEVANCE, "[get_weather()]", HALO_OUTCOME_WRONG, HALO_OUTCOME_WRONG },
		{ HALO_BFCL_IRRELEVANCE, "[get_weather(city='Paris'", HALO_OUTCOME_PASS, HALO_OUTCOME_PARSE },
		{ HALO_BFCL_LIVE_IRRELEVANCE, "get_weather(city=Paris, France)", HALO_OUTCOME_PASS, HALO_OUTCOME_PARSE },
		{ HALO_BFCL_LIVE_IRRELEVANCE, "I cannot do that (no tool fits).", HALO_OUTCOME_PASS, HALO_OUTCOME_PASS },
		{ HALO_BFCL_LIVE_RELEVANCE, "[anything(x=1)]", HALO_OUTCOME_PASS, HALO_OUTCOME_PASS },
		{ HALO_BFCL_LIVE_RELEVANCE, "[]", HALO_OUTCOME_WRONG, HALO_OUTCOME_WRONG },
		{ HALO_BFCL_LIVE_RELEVANCE, "Sorry.", HALO_OUTCOME_PARSE, HALO_OUTCOME_PARSE },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		halo_bfcl_verdict v = check_prompt(cases[k].c, "[]", NULL, cases[k].answer);
		if (v.outcome != cases[k].o || v.strict_outcome != cases[k].strict)
			fail_msg("case %zu (%s): %s/%s", k, cases[k].answer, halo_outcome_name(v.outcome),
				 halo_outcome_name(v.strict_outcome));
	}
	/* native: a tool call is a call; plain content is none */
	halo_bfcl_decoded d;
	halo_bfcl_verdict v;
	assert_int_equal(halo_bfcl_decode_native("[{\"function\": {\"name\": \"f\", \"arguments\": \"{}\"}}]", NULL, &d), 0);
	assert_int_equal(halo_bfcl_check(HALO_BFCL_IRRELEVANCE, HALO_BFCL_NATIVE, "[]", NULL, &d, &v), 0);
	assert_int_equal(v.outcome, HALO_OUTCOME_WRONG);
	assert_string_equal(v.error_type, "irrelevance_error:decoder_success");
	halo_bfcl_decoded_free(&d);
	assert_int_equal(halo_bfcl_decode_native(NULL, "No.", &d), 0);
	assert_int_equal(halo_bfcl_check(HALO_BFCL_IRRELEVANCE, HALO_BFCL_NATIVE, "[]", NULL, &d, &v), 0);
	assert_int_equal(v.outcome, HALO_OUTCOME_PASS);
	assert_int_equal(v.strict_outcome, HALO_OUTCOME_PASS);
	halo_bfcl_decoded_free(&d);
	/* the whole irrelevance files load and a no-call answer passes them all */
	static const halo_bfcl_category rel[] = { HALO_BFCL_IRRELEVANCE, HALO_BFCL_LIVE_IRRELEVANCE, HALO_BFCL_LIVE_RELEVANCE };
	static const size_t counts[] = { 240, 884, 16 };
	for (size_t c = 0; c < 3; c++) {
		records q;
		load(halo_bfcl_question_file(rel[c]), HALO_DATASET_BFCL, &q);
		assert_int_equal(q.n, counts[c]);
		assert_null(halo_bfcl_answer_file(rel[c]));
		size_t pass_none = 0, pass_call = 0;
		for (size_t k = 0; k < q.n; k++) {
			assert_int_equal(halo_bfcl_category_from_id(q.id[k]), (int)rel[c]);
			halo_bfcl_verdict a = check_prompt(rel[c], q.function[k], NULL, "I cannot help with that.");
			halo_bfcl_verdict b = check_prompt(rel[c], q.function[k], NULL, "[some_function(a=1)]");
			pass_none += a.outcome == HALO_OUTCOME_PASS;
			pass_call += b.outcome == HALO_OUTCOME_PASS;
		}
		assert_int_equal(pass_none, rel[c] == HALO_BFCL_LIVE_RELEVANCE ? 0 : q.n);
		assert_int_equal(pass_call, rel[c] == HALO_BFCL_LIVE_RELEVANCE ? q.n : 0);
		records_free(&q);
	}
}

/* Java and JavaScript values are strings in the language's syntax. */
static void test_java_js(void **state)
{
	(void)state;
	static const char jf[] = "[{\"name\": \"A.m\", \"description\": \"\", \"parameters\": {\"type\": \"dict\", \"properties\": {"
				 "\"n\": {\"type\": \"integer\", \"description\": \"\"}, \"l\": {\"type\": \"long\", \"description\": \"\"},"
				 "\"b\": {\"type\": \"boolean\", \"description\": \"\"}, \"a\": {\"type\": \"Array\", \"items\": {\"type\": \"integer\"}, \"description\": \"\"},"
				 "\"al\": {\"type\": \"ArrayList\", \"items\": {\"type\": \"String\"}, \"description\": \"\"}},"
				 "\"required\": [\"n\"]}}]";
	static const char jt[] = "[{\"A.m\": {\"n\": [5], \"l\": [7, \"\"], \"b\": [true, \"\"], \"a\": [[1, 2], \"\"], \"al\": [[\"x\", \"y\"], \"\"]}}]";
	assert_int_equal(check_prompt(HALO_BFCL_SIMPLE_JAVA, jf, jt, "[A.m(n=5, l=7L, b=true, a=new int[]{1, 2}, al=new ArrayList<>(Arrays.asList(\"x\", \"y\")))]").outcome,
			 HALO_OUTCOME_PASS);
	assert_int_equal(check_prompt(HALO_BFCL_SIMPLE_JAVA, jf, jt, "[A.m(n=\"5\")]").outcome, HALO_OUTCOME_PASS);
	halo_bfcl_verdict v = check_prompt(HALO_BFCL_SIMPLE_JAVA, jf, jt, "[A.m(n=5, l=7)]"); /* long needs L */
	assert_string_equal(v.error_type, "type_error:simple");
	v = check_prompt(HALO_BFCL_SIMPLE_JAVA, jf, jt, "[A.m(n=five)]");
	assert_string_equal(v.error_type, "type_error:simple");
	v = check_prompt(HALO_BFCL_SIMPLE_JAVA, jf, jt, "[A.m(l=7L)]");
	assert_string_equal(v.error_type, "simple_function_checker:missing_required");
	/* native: a JSON number where Java text is expected */
	halo_bfcl_decoded d;
	assert_int_equal(halo_bfcl_decode_native("[{\"function\": {\"name\": \"A_m\", \"arguments\": \"{\\\"n\\\": 5}\"}}]", NULL, &d), 0);
	assert_int_equal(halo_bfcl_check(HALO_BFCL_SIMPLE_JAVA, HALO_BFCL_NATIVE, jf, jt, &d, &v), 0);
	assert_string_equal(v.error_type, "type_error:java");
	halo_bfcl_decoded_free(&d);

	static const char sf[] = "[{\"name\": \"go\", \"description\": \"\", \"parameters\": {\"type\": \"dict\", \"properties\": {"
				 "\"s\": {\"type\": \"String\", \"description\": \"\"}, \"f\": {\"type\": \"float\", \"description\": \"\"},"
				 "\"arr\": {\"type\": \"array\", \"items\": {\"type\": \"String\"}, \"description\": \"\"},"
				 "\"d\": {\"type\": \"dict\", \"description\": \"\"}}, \"required\": [\"s\"]}}]";
	static const char st[] = "[{\"go\": {\"s\": [\"hello\"], \"f\": [1.5, \"\"], \"arr\": [[\"a\", \"b\"], \"\"], \"d\": [{\"k\": [\"v\"], \"n\": [2]}, \"\"]}}]";
	assert_int_equal(check_prompt(HALO_BFCL_SIMPLE_JAVASCRIPT, sf, st, "[go(s='hello', f=1.5, arr=['a', \"b\"], d={k: 'v', n: 2})]").outcome,
			 HALO_OUTCOME_PASS);
	v = check_prompt(HALO_BFCL_SIMPLE_JAVASCRIPT, sf, st, "[go(s='hello', f=1.6)]");
	assert_string_equal(v.error_type, "value_error:others");
	v = check_prompt(HALO_BFCL_SIMPLE_JAVASCRIPT, sf, st, "[go(s='hello', d={k: 'w', n: 2})]");
	assert_string_equal(v.error_type, "value_error:dict_value");
	v = check_prompt(HALO_BFCL_SIMPLE_JAVASCRIPT, sf, st, "[go(s='hello'");
	assert_int_equal(v.outcome, HALO_OUTCOME_PARSE);
}

/* Requests: the prompt-mode system prompt and the native tools. */
static void test_build_request(void **state)
{
	(void)state;
	halo_dataset_record r = { 0 };
	r.kind = HALO_DATASET_BFCL;
	r.id = (char *)"simple_python_0";
	r.question_json = (char *)"[[{\"role\": \"user\", \"content\": \"Area of a triangle?\"}]]";
	r.function_json = (char *)"[{\"name\": \"calc.area\", \"description\": \"Area.\", \"parameters\": {\"type\": \"dict\", "
				   "\"properties\": {\"base\": {\"type\": \"float\", \"description\": \"The base.\"}, "
				   "\"tags\": {\"type\": \"tuple\", \"items\": {\"type\": \"string\"}, \"description\": \"T \\u00e9\"}}, \"required\": [\"base\"]}}]";
	char *msgs, *tools;
	assert_int_equal(halo_bfcl_build_request(&r, HALO_BFCL_PROMPT, &msgs, &tools), 0);
	assert_null(tools);
	json_t *m = json_loads(msgs, 0, NULL);
	assert_int_equal(json_array_size(m), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "role")), "system");
	const char *sys = json_string_value(json_object_get(json_array_get(m, 0), "content"));
	assert_non_null(strstr(sys, "You are an expert in composing functions.You are given a question"));
	assert_non_null(strstr(sys, "func_name2(params)].  You SHOULD NOT include any other text"));
	assert_non_null(strstr(sys, "Here is a list of functions in json format that you can invoke.\n[\n    {\n        \"name\": \"calc.area\",\n"));
	assert_non_null(strstr(sys, "\"description\": \"Area. Note that the provided function is in Python 3 syntax.\""));
	assert_non_null(strstr(sys, "\"description\": \"T \\u00e9\""));
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 1), "content")), "Area of a triangle?");
	json_decref(m);
	free(msgs);

	assert_int_equal(halo_bfcl_build_request(&r, HALO_BFCL_NATIVE, &msgs, &tools), 0);
	json_t *t = json_loads(tools, 0, NULL);
	json_t *fn = json_object_get(json_array_get(t, 0), "function");
	assert_string_equal(json_string_value(json_object_get(json_array_get(t, 0), "type")), "function");
	assert_string_equal(json_string_value(json_object_get(fn, "name")), "calc_area");
	json_t *params = json_object_get(fn, "parameters");
	assert_string_equal(json_string_value(json_object_get(params, "type")), "object");
	json_t *base = json_object_get(json_object_get(params, "properties"), "base");
	assert_string_equal(json_string_value(json_object_get(base, "type")), "number");
	assert_string_equal(json_string_value(json_object_get(base, "format")), "float");
	assert_string_equal(json_string_value(json_object_get(base, "description")), "The base. This is a float type value.");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(params, "properties"), "tags"), "type")), "array");
	json_decref(t);
	free(tools);
	m = json_loads(msgs, 0, NULL);
	assert_int_equal(json_array_size(m), 1);
	json_decref(m);
	free(msgs);

	/* Java: parameter types become strings with a hint */
	r.id = (char *)"simple_java_3";
	r.function_json = (char *)"[{\"name\": \"A.b\", \"description\": \"D.\", \"parameters\": {\"type\": \"dict\", \"properties\": {"
				   "\"xs\": {\"type\": \"ArrayList\", \"items\": {\"type\": \"long\"}, \"description\": \"Xs.\"}}, \"required\": [\"xs\"]}}]";
	assert_int_equal(halo_bfcl_build_request(&r, HALO_BFCL_NATIVE, &msgs, &tools), 0);
	assert_non_null(strstr(tools, "\"type\":\"string\""));
	assert_non_null(strstr(tools, "Xs. This is Java ArrayList type parameter in string representation. The list elements are of type long; they are not in string representation."));
	assert_null(strstr(tools, "\"items\""));
	free(msgs);
	free(tools);
	r.id = (char *)"nonsense";
	assert_int_equal(halo_bfcl_build_request(&r, HALO_BFCL_PROMPT, &msgs, &tools), HALO_EUSAGE);
	assert_null(msgs);
}

/* Offline result files: prompt-mode text and function-calling lists. */
static void test_result_lines(void **state)
{
	(void)state;
	char *id;
	halo_bfcl_decoded d;
	const char *l1 = "{\"id\": \"simple_python_0\", \"result\": \"[math.f(n=3, s='New York, NY')]\"}";
	assert_int_equal(halo_bfcl_decode_result_line(l1, strlen(l1), HALO_BFCL_PYTHON, HALO_BFCL_PROMPT, &id, &d), 0);
	assert_string_equal(id, "simple_python_0");
	assert_true(d.ok);
	assert_int_equal(d.calls->n, 1);
	halo_bfcl_verdict v;
	assert_int_equal(halo_bfcl_check(HALO_BFCL_SIMPLE_PYTHON, HALO_BFCL_PROMPT, FUNCS, TRUTH, &d, &v), 0);
	assert_int_equal(v.outcome, HALO_OUTCOME_PASS);
	free(id);
	halo_bfcl_decoded_free(&d);
	const char *l2 = "{\"id\": \"parallel_3\", \"result\": [{\"math_f\": \"{\\\"n\\\": 3, \\\"s\\\": \\\"New York, NY\\\"}\"}]}";
	assert_int_equal(halo_bfcl_decode_result_line(l2, strlen(l2), HALO_BFCL_PYTHON, HALO_BFCL_NATIVE, &id, &d), 0);
	assert_true(d.ok);
	assert_string_equal(d.calls->calls[0].name, "math_f");
	assert_int_equal(halo_bfcl_check(HALO_BFCL_SIMPLE_PYTHON, HALO_BFCL_NATIVE, FUNCS, TRUTH, &d, &v), 0);
	assert_int_equal(v.outcome, HALO_OUTCOME_PASS);
	free(id);
	halo_bfcl_decoded_free(&d);
	const char *bad[] = { "{", "{\"id\": 3, \"result\": \"x\"}", "{\"result\": \"x\"}", "[]" };
	for (size_t k = 0; k < 4; k++) {
		assert_int_equal(halo_bfcl_decode_result_line(bad[k], strlen(bad[k]), HALO_BFCL_PYTHON, HALO_BFCL_PROMPT, &id, &d),
				 HALO_EFORMAT);
		assert_null(id);
	}
	/* a function-calling model that answered in text: no decodable call */
	const char *l3 = "{\"id\": \"irrelevance_1\", \"result\": \"I cannot.\"}";
	assert_int_equal(halo_bfcl_decode_result_line(l3, strlen(l3), HALO_BFCL_PYTHON, HALO_BFCL_NATIVE, &id, &d), 0);
	assert_false(d.ok);
	free(id);
	halo_bfcl_decoded_free(&d);
}

static void test_categories(void **state)
{
	(void)state;
	assert_int_equal(HALO_BFCL_N_CATEGORIES, 13);
	for (int c = 0; c < HALO_BFCL_N_CATEGORIES; c++)
		assert_int_equal(halo_bfcl_category_from_name(halo_bfcl_category_name((halo_bfcl_category)c)), c);
	assert_int_equal(halo_bfcl_category_from_id("live_parallel_multiple_3-2-1"), HALO_BFCL_LIVE_PARALLEL_MULTIPLE);
	assert_int_equal(halo_bfcl_category_from_id("simple_javascript_9"), HALO_BFCL_SIMPLE_JAVASCRIPT);
	assert_int_equal(halo_bfcl_category_from_id("multi_turn_base_1"), -1);
	assert_int_equal(halo_bfcl_category_scoring(HALO_BFCL_LIVE_RELEVANCE), HALO_BFCL_SCORE_RELEVANCE);
	assert_int_equal(halo_bfcl_category_scoring(HALO_BFCL_LIVE_IRRELEVANCE), HALO_BFCL_SCORE_IRRELEVANCE);
	assert_int_equal(halo_bfcl_category_lang(HALO_BFCL_SIMPLE_JAVA), HALO_BFCL_JAVA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_checker_rules),
		cmocka_unit_test(test_native_names_and_json),
		cmocka_unit_test(test_parallel_order_free),
		cmocka_unit_test(test_relevance),
		cmocka_unit_test(test_java_js),
		cmocka_unit_test(test_build_request),
		cmocka_unit_test(test_result_lines),
		cmocka_unit_test(test_ground_truth_all_categories),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
