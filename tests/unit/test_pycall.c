/* The Python-call subset parser: every literal form, Python equality, repr,
 * and hostile input (errors, caps, never a crash). */
#include "testutil.h"

#include "error.h"
#include "eval/pycall.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static halo_pyval *val(const char *text)
{
	halo_pyval *v = NULL;
	if (halo_pyval_parse(text, strlen(text), NULL, &v) != 0)
		fail_msg("%s: %s", text, halo_error_last()->message);
	return v;
}

static char *repr(const halo_pyval *v)
{
	halo_buf b = HALO_BUF_INIT;
	assert_int_equal(halo_pyval_repr(v, &b), 0);
	return halo_buf_detach(&b);
}

/* text parses, and its repr is want */
static void expect_repr(const char *text, const char *want)
{
	halo_pyval *v = val(text);
	char *r = repr(v);
	if (strcmp(r, want) != 0)
		fail_msg("%s: repr %s, want %s", text, r, want);
	free(r);
	halo_pyval_free(v);
}

static void expect_error(const char *text)
{
	halo_pyval *v = NULL;
	int rc = halo_pyval_parse(text, strlen(text), NULL, &v);
	if (rc == 0)
		fail_msg("%s: parsed, expected an error", text);
	assert_null(v);
	assert_true(halo_error_last()->message[0] != '\0');
}

static void test_literals(void **state)
{
	(void)state;
	expect_repr("42", "42");
	expect_repr("-42", "-42");
	expect_repr("+5", "-5"); /* the reference computes -operand for any unary op */
	expect_repr("0", "0");
	expect_repr("000", "0");
	expect_repr("1_000_000", "1000000");
	expect_repr("0x1F", "31");
	expect_repr("0o17", "15");
	expect_repr("0b101", "5");
	expect_repr("9223372036854775807", "9223372036854775807");
	expect_repr("9223372036854775808", "9223372036854775808");
	expect_repr("-9223372036854775808", "-9223372036854775808");
	expect_repr("123456789012345678901234567890", "123456789012345678901234567890");
	expect_repr("-123456789012345678901234567890", "-123456789012345678901234567890");
	expect_repr("1.5", "1.5");
	expect_repr("1.", "1.0");
	expect_repr(".5", "0.5");
	expect_repr("1e5", "100000.0");
	expect_repr("1e16", "1e+16");
	expect_repr("1.5E-5", "1.5e-05");
	expect_repr("0.1", "0.1");
	expect_repr("-2.50", "-2.5");
	expect_repr("1e999", "inf");
	expect_repr("True", "True");
	expect_repr("False", "False");
	expect_repr("-True", "-1");
	expect_repr("None", "None");
	expect_repr("...", "'...'");
	expect_repr("'a'", "'a'");
	expect_repr("\"it's\"", "\"it's\"");
	expect_repr("'say \"hi\"'", "'say \"hi\"'");
	expect_repr("'a' \"b\" '''c'''", "'abc'");
	expect_repr("'''multi\nline'''", "'multi\\nline'");
	expect_repr("\"\"\"q\"q\"\"\"", "'q\"q'");
	expect_repr("'\\n\\t\\\\\\'\\x41\\101\\u00e9\\U0001F600'", "\"\\n\\t\\\\'AAé😀\"");
	expect_repr("'\\d'", "'\\\\d'"); /* unknown escapes keep the backslash */
	expect_repr("r'\\d\\n'", "'\\\\d\\\\n'");
	expect_repr("R\"a\\\"b\"", "'a\\\\\"b'");
	expect_repr("u'x'", "'x'");
	expect_repr("'line\\\ncontinued'", "'linecontinued'");
	expect_repr("'é ü 東京'", "'é ü 東京'");
	expect_repr("[1, 'a', [True, None], ()]", "[1, 'a', [True, None], ()]");
	expect_repr("[1, 2,]", "[1, 2]");
	expect_repr("(1,)", "(1,)");
	expect_repr("(1)", "1");
	expect_repr("(1, 2)", "(1, 2)");
	expect_repr("{'a': 1, 'b': [2]}", "{'a': 1, 'b': [2]}");
	expect_repr("{1: 'x', True: 'y', 1.0: 'z'}", "{1: 'z'}"); /* one key, as in Python */
	expect_repr("{(1, 2): 3}", "{(1, 2): 3}");
	expect_repr("name", "'name'");                          /* a variable becomes its name */
	expect_repr("Counter()", "'Counter()'");                /* a call without keywords: its text */
	expect_repr("foo(1, \"a\")", "\"foo(1, 'a')\"");
	expect_repr("mod.g(x=1, y='z')", "{'mod.g': {'x': 1, 'y': 'z'}}"); /* with keywords: a dict */
	expect_repr("g(x=1, y=2, x=3)", "{'g': {'x': 3, 'y': 2}}");        /* ast.parse keeps repeats */
	expect_repr("j[\"k\"]", "\"j['k']\"");                              /* a subscript: its text */
	expect_repr("  [ 1 ,\n  2 ]  # comment", "[1, 2]");
	/* arithmetic is evaluated (the reference eval()s a BinOp) */
	expect_repr("1 + 2", "3");
	expect_repr("2 * 3 - 4", "2");
	expect_repr("1 - 2 - 3", "-4");
	expect_repr("2 ** 3 ** 2", "512");
	expect_repr("7 // 2", "3");
	expect_repr("-7 // 2", "-4");
	expect_repr("-7 % 3", "2");
	expect_repr("7 / 2", "3.5");
	expect_repr("1 / 4 + 0.5", "0.75");
	expect_repr("2 ** -1", "0.5");
	expect_repr("-5 + 1", "-4");
	expect_repr("+5 + 1", "6");   /* eval: unary plus is identity inside a BinOp */
	expect_repr("(1 + 2) * 3", "9");
	expect_repr("[1e3 * 2, True + 1]", "[2000.0, 2]");
	expect_repr("1j", "1j");     /* complex: opaque */
	expect_repr("2.5j", "2.5j");
}

static void test_bad_literals(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "[", "]", "[1,,2]", "(1", "{1: 2", "{1, 2}", "{**d}", "'abc", "'''abc''", "\"a\nb\"",
		"012", "1__0", "1_", "0x", "1abc", "1jx", "b'x'", "f'x'", "'\\x4'", "'\\u12'", "'\\N{DASH}'",
		"'\\ud800'", "x.y", "1 / 0", "2 ** 64", "'a' + 'b'", "x + 1", "-(1 + 2)", "-2 ** 2", "~1 + 2", "a[0:1]", "lambda: 1", "-x", "-'a'", "-None", "--1", "not", "if",
		"f(**kw)", "f(a=1, 2)", "f(True=1)", "{[1]: 2}", "{{}: 1}", "1 2", "x == 1",
		"f(1)(2)", "[1] [0]",
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		expect_error(bad[k]);
	halo_pyval *v = NULL;
	assert_int_equal(halo_pyval_parse("'a\0b'", 6, NULL, &v), HALO_EFORMAT); /* as CPython */
	assert_null(v);
}

static halo_pycall_list *calls(const char *text)
{
	halo_pycall_list *l = NULL;
	if (halo_pycall_parse(text, strlen(text), NULL, &l) != 0)
		fail_msg("%s: %s", text, halo_error_last()->message);
	return l;
}

static void test_calls(void **state)
{
	(void)state;
	halo_pycall_list *l = calls("[f(a=1, b=\"x\"), mod.sub.g(c=[1, 2]), h()]");
	assert_int_equal(l->n, 3);
	assert_string_equal(l->calls[0].name, "f");
	assert_int_equal(l->calls[0].n_args, 2);
	assert_string_equal(l->calls[0].arg_names[0], "a");
	assert_int_equal(l->calls[0].arg_values[0]->kind, HALO_PY_INT);
	assert_string_equal(l->calls[0].arg_names[1], "b");
	assert_string_equal(l->calls[0].arg_values[1]->s, "x");
	assert_string_equal(l->calls[1].name, "mod.sub.g");
	assert_int_equal(l->calls[1].arg_values[0]->kind, HALO_PY_LIST);
	assert_string_equal(l->calls[2].name, "h");
	assert_int_equal(l->calls[2].n_args, 0);
	halo_pycall_list_free(l);

	l = calls("f(x=1)"); /* a bare call */
	assert_int_equal(l->n, 1);
	halo_pycall_list_free(l);
	l = calls("f(x=1), g(y=2)"); /* a bare tuple */
	assert_int_equal(l->n, 2);
	halo_pycall_list_free(l);
	l = calls("'[f(x=1)]'"); /* wrapping single quotes are stripped */
	assert_int_equal(l->n, 1);
	halo_pycall_list_free(l);
	l = calls("[]");
	assert_int_equal(l->n, 0);
	halo_pycall_list_free(l);
	l = calls("[f(1, 2, x=3)]"); /* positional arguments are ignored */
	assert_int_equal(l->calls[0].n_args, 1);
	assert_string_equal(l->calls[0].arg_names[0], "x");
	halo_pycall_list_free(l);
	l = calls("[f(when=g(day=1), what=h(2))]");
	char *r = repr(l->calls[0].arg_values[0]);
	assert_string_equal(r, "{'g': {'day': 1}}");
	free(r);
	r = repr(l->calls[0].arg_values[1]);
	assert_string_equal(r, "'h(2)'");
	free(r);
	halo_pycall_list_free(l);

	static const char *const bad[] = {
		"[f(x=1), 3]", "[[f(x=1)]]", "{f(x=1)}", "f", "[f]", "[f(x=1)", "[f(x=1)] extra", "[1 + f(x=1)]",
		"[f(x=1).y]", "'abc'", "[True(x=1)]", "[if(x=1)]",
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		l = NULL;
		if (halo_pycall_parse(bad[k], strlen(bad[k]), NULL, &l) == 0)
			fail_msg("%s: parsed", bad[k]);
		assert_null(l);
	}
}

static void test_equality(void **state)
{
	(void)state;
	static const struct {
		const char *a, *b;
		int eq;
	} cases[] = {
		{ "1", "1.0", 1 }, { "1", "True", 1 }, { "0", "False", 1 }, { "2", "2.5", 0 },
		{ "'a'", "'a'", 1 }, { "'a'", "'A'", 0 }, { "[1, 2]", "[1.0, 2]", 1 }, { "[1, 2]", "(1, 2)", 0 },
		{ "[1, 2]", "[2, 1]", 0 }, { "{'a': 1, 'b': 2}", "{'b': 2, 'a': 1.0}", 1 }, { "{'a': 1}", "{'a': 2}", 0 },
		{ "None", "None", 1 }, { "None", "0", 0 }, { "9007199254740993", "9007199254740992.0", 0 },
		{ "123456789012345678901234567890", "123456789012345678901234567890", 1 },
		{ "100000000000000000000", "1e20", 1 }, { "'1'", "1", 0 },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		halo_pyval *a = val(cases[k].a), *b = val(cases[k].b);
		if (halo_pyval_eq(a, b) != cases[k].eq || halo_pyval_eq(b, a) != cases[k].eq)
			fail_msg("%s == %s should be %d", cases[k].a, cases[k].b, cases[k].eq);
		halo_pyval_free(a);
		halo_pyval_free(b);
	}
	halo_pyval *l = val("[1, 'x', [2]]"), *x = val("1.0"), *y = val("[2.0]"), *z = val("'y'");
	assert_true(halo_pyval_in(x, l));
	assert_true(halo_pyval_in(y, l));
	assert_false(halo_pyval_in(z, l));
	halo_pyval *e = val("'é'");
	assert_int_equal(halo_pyval_pylen(e), 1);
	halo_pyval_free(e);
	halo_pyval_free(l);
	halo_pyval_free(x);
	halo_pyval_free(y);
	halo_pyval_free(z);
}

/* Every double's repr reads back as the same double. */
static void test_float_repr_roundtrip(void **state)
{
	(void)state;
	static const double values[] = { 0.1, 0.2 + 0.1, 1e-7, 123456789.123, 1e22, 5e-324, 1.7976931348623157e308,
					 -0.0, 100.0, 1234567890123456.0, 12345678901234567.0 };
	for (size_t k = 0; k < sizeof(values) / sizeof(values[0]); k++) {
		halo_buf b = HALO_BUF_INIT;
		assert_int_equal(halo_py_float_repr(values[k], &b), 0);
		halo_pyval *v = val(b.ptr[0] == '-' ? b.ptr + 1 : b.ptr);
		double back = b.ptr[0] == '-' ? -v->f : v->f;
		if (back != values[k])
			fail_msg("%.17g -> %s -> %.17g", values[k], b.ptr, back);
		halo_pyval_free(v);
		halo_buf_free(&b);
	}
	halo_buf b = HALO_BUF_INIT;
	halo_py_float_repr(1e16, &b);
	halo_py_float_repr(0.0001, &b);
	halo_py_float_repr(0.00001, &b);
	assert_string_equal(b.ptr, "1e+160.00011e-05");
	halo_buf_free(&b);
}

static void test_json_bridge(void **state)
{
	(void)state;
	halo_pyval *v = val("{'a': [1, 2.5, True, None, 'x'], 'b': (1,)}");
	struct json_t *j;
	assert_int_equal(halo_pyval_to_json(v, &j), 0);
	halo_pyval *back;
	assert_int_equal(halo_pyval_from_json(j, &back), 0);
	char *r = repr(back);
	assert_string_equal(r, "{'a': [1, 2.5, True, None, 'x'], 'b': [1]}");
	free(r);
	halo_pyval_free(back);
	halo_pyval_free(v);
	json_decref(j);
	halo_pyval *big = val("123456789012345678901234567890");
	assert_int_equal(halo_pyval_to_json(big, &j), HALO_EFORMAT);
	halo_pyval_free(big);
	halo_pyval *k = val("{1: 2}");
	assert_int_equal(halo_pyval_to_json(k, &j), HALO_EFORMAT);
	halo_pyval_free(k);
}

/* Hostile input: deep nesting, huge inputs, many values, binary bytes. */
static void test_caps(void **state)
{
	(void)state;
	size_t n = 100000;
	char *deep = malloc(2 * n + 1);
	for (size_t k = 0; k < n; k++) {
		deep[k] = '[';
		deep[n + k] = ']';
	}
	deep[2 * n] = '\0';
	halo_pyval *v = NULL;
	assert_int_equal(halo_pyval_parse(deep, 2 * n, NULL, &v), HALO_ENOMEM);
	assert_non_null(strstr(halo_error_last()->message, "nesting deeper than"));
	halo_pycall_list *l = NULL;
	memcpy(deep, "[f(x=", 5);
	assert_true(halo_pycall_parse(deep, 2 * n, NULL, &l) < 0);
	free(deep);

	halo_pycall_opts opts = HALO_PYCALL_OPTS_INIT;
	opts.max_len = 16;
	assert_int_equal(halo_pycall_parse("[f(x=1234567890123)]", 20, &opts, &l), HALO_ENOMEM);
	opts.max_len = 0;
	opts.max_nodes = 10;
	assert_int_equal(halo_pyval_parse("[1,2,3,4,5,6,7,8,9,10,11]", 25, &opts, &v), HALO_ENOMEM);
	opts.max_nodes = 0;
	opts.max_depth = 3;
	assert_int_equal(halo_pyval_parse("[[[[1]]]]", 9, &opts, &v), HALO_ENOMEM);
	assert_int_equal(halo_pyval_parse("[[1]]", 5, &opts, &v), 0);
	halo_pyval_free(v);
	opts.version = 99;
	assert_int_equal(halo_pyval_parse("1", 1, &opts, &v), HALO_EUSAGE);

	/* random bytes never crash */
	unsigned seed = 12345;
	char buf[64];
	for (int it = 0; it < 20000; it++) {
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof(buf));
		for (size_t k = 0; k < len; k++) {
			static const char alphabet[] = "[](){}'\",:=.-+_ax1e0\\\n #rbfTN";
			buf[k] = rand_r(&seed) % 8 == 0 ? (char)(rand_r(&seed) & 0xff)
							: alphabet[rand_r(&seed) % (int)(sizeof(alphabet) - 1)];
		}
		halo_pycall_list *cl = NULL;
		if (halo_pycall_parse(buf, len, NULL, &cl) == 0)
			halo_pycall_list_free(cl);
		halo_pyval *pv = NULL;
		if (halo_pyval_parse(buf, len, NULL, &pv) == 0) {
			char *r = repr(pv);
			halo_pyval *again = NULL;
			/* repr output parses back to an equal value (when it is a literal) */
			if (!strstr(r, "inf") && halo_pyval_parse(r, strlen(r), NULL, &again) == 0) {
				if (!halo_pyval_eq(pv, again))
					fail_msg("%.*s -> %s does not round-trip", (int)len, buf, r);
				halo_pyval_free(again);
			}
			free(r);
			halo_pyval_free(pv);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_bad_literals),
		cmocka_unit_test(test_calls),
		cmocka_unit_test(test_equality),
		cmocka_unit_test(test_float_repr_roundtrip),
		cmocka_unit_test(test_json_bridge),
		cmocka_unit_test(test_caps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
