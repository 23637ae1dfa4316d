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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oneline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
