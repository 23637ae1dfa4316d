/* halo_text_oneline: control bytes replaced, cut to the buffer, always terminated. */
#include "testutil.h"

#include "text.h"

#include <string.h>

static void test_oneline(void **state)
{
	(void)state;
	char out[8];
	assert_string_equal(halo_text_oneline(out, sizeof(out), "a\nb\tc\x7f", 6, ' '), "a b c ");
	assert_string_equal(halo_text_oneline(out, sizeof(out), "x\r\ny", 4, '?'), "x??y");
	/* cut to cap - 1 bytes, and never past n (an embedded NUL is a control byte too) */
	assert_string_equal(halo_text_oneline(out, sizeof(out), "0123456789", 10, ' '), "0123456");
	assert_string_equal(halo_text_oneline(out, sizeof(out), "ab\0cd", 5, '.'), "ab.cd");
	assert_string_equal(halo_text_oneline(out, sizeof(out), "abc", 0, ' '), "");
	/* UTF-8 bytes pass through */
	assert_string_equal(halo_text_oneline(out, sizeof(out), "\xc3\xa9t\xc3\xa9", 5, ' '), "\xc3\xa9t\xc3\xa9");
	out[0] = 'z';
	halo_text_oneline(out, 0, "abc", 3, ' ');
	assert_int_equal(out[0], 'z');
}

static void test_tail(void **state)
{
	(void)state;
	const char *t = "one\ntwo\nthree\r\n\n";
	size_t len = strlen(t);
	size_t start = halo_text_tail(t, &len, 2, 1000);
	assert_int_equal(len, 13); /* the ending newlines and \r dropped */
	assert_memory_equal(t + start, "two\nthree", len - start);
	len = strlen(t);
	assert_int_equal(halo_text_tail(t, &len, 10, 1000), 0); /* fewer lines than asked: all */
	len = strlen(t);
	start = halo_text_tail(t, &len, 10, 4); /* a byte cap inside a line */
	assert_int_equal(len - start, 4);
	assert_memory_equal(t + start, "hree", 4);
	len = 5;
	assert_int_equal(halo_text_tail(NULL, &len, 3, 10), 0);
	assert_int_equal(len, 0);
	len = 3;
	assert_int_equal(halo_text_tail("\n\n\n", &len, 3, 10), 0);
	assert_int_equal(len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oneline),
		cmocka_unit_test(test_tail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
