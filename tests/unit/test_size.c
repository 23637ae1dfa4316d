/* Exact size parsing shared by the catalog and the command line. */
#include "testutil.h"

#include "error.h"
#include "size.h"

#include <string.h>

static void test_sizes(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		uint64_t bytes, tolerance;
		bool unit;
	} ok[] = {
		{ "123", 123, 0, false },
		{ "22.2GB", 22200000000ull, 50000000ull, true },
		{ "22.2 GB", 22200000000ull, 50000000ull, true },
		{ "64G", 64000000000ull, 500000000ull, true },
		{ "64g", 64000000000ull, 500000000ull, true },
		{ "64GiB", 68719476736ull, 536870912ull, true },
		{ "0.5MiB", 524288, 52428, true },
		{ "8.57GB", 8570000000ull, 5000000ull, true },
		{ "1.5T", 1500000000000ull, 50000000000ull, true },
		{ "512mib", 536870912ull, 524288, true },
		{ "7B", 7, 0, true },
		{ "0.0015KB", 2, 0, true }, /* 1.5 bytes rounds half up */
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t b = 0, t = 1;
		bool u = !ok[i].unit;
		if (halo_size_parse(ok[i].text, &b, &t, &u))
			fail_msg("'%s': %s", ok[i].text, halo_error_last()->message);
		assert_int_equal(b, ok[i].bytes);
		assert_int_equal(t, ok[i].tolerance);
		assert_int_equal(u, ok[i].unit);
	}
	static const char *const bad[] = { "", "GB", "1.5B", "1.5", "12XB", "1..2G", "18446744073709551616",
					   "20000000000TB", "1.", "-1G", "1.2345678901234G" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t b;
		if (halo_size_parse(bad[i], &b, NULL, NULL) != HALO_EUSAGE)
			fail_msg("'%s' parsed as %llu", bad[i], (unsigned long long)b);
		assert_non_null(strstr(halo_error_last()->message, bad[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_sizes) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
