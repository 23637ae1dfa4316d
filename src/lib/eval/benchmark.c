#include "eval/benchmark.h"

#include "error.h"

#include <string.h>

extern const halo_benchmark_ops halo_bench_humaneval;
extern const halo_benchmark_ops halo_bench_mbpp;
extern const halo_benchmark_ops halo_bench_ifeval;
extern const halo_benchmark_ops halo_bench_bfcl;

static const halo_benchmark_ops *const all[] = {
	&halo_bench_humaneval,
	&halo_bench_mbpp,
	&halo_bench_ifeval,
	&halo_bench_bfcl,
};

const halo_benchmark_ops *halo_benchmark_find(const char *name)
{
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (name && !strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}

int halo_suite_expand(const char *suite, const halo_benchmark_ops **out, size_t *n)
{
	static const struct {
		const char *name;
		const char *members[4];
	} suites[] = {
		{ "quick", { "humaneval", "ifeval" } },
		{ "code", { "humaneval", "mbpp" } },
		{ "tooluse", { "bfcl" } },
		{ "full", { "humaneval", "mbpp", "ifeval", "bfcl" } },
	};
	*n = 0;
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		if (!suite || strcmp(suites[i].name, suite))
			continue;
		for (size_t k = 0; k < 4 && suites[i].members[k]; k++)
			out[(*n)++] = halo_benchmark_find(suites[i].members[k]);
		return 0;
	}
	const halo_benchmark_ops *b = halo_benchmark_find(suite);
	if (!b)
		return halo_error_set(HALO_EUSAGE,
				      "'%s' is not a suite (quick, code, tooluse, full) or a benchmark (humaneval, mbpp, ifeval, bfcl)",
				      suite ? suite : "");
	out[(*n)++] = b;
	return 0;
}

int halo_list_has(const char *list, const char *item)
{
	size_t len = strlen(item);
	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *q = p;
		while (n && *q == ' ') {
			q++;
			n--;
		}
		while (n && q[n - 1] == ' ')
			n--;
		if (n == len && !memcmp(q, item, len))
			return 1;
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}
