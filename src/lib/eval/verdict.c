#include "eval/verdict.h"

#include <string.h>

static const char *const outcome_names[HALO_OUTCOME_N] = {
	"pass", "wrong", "parse_error", "truncated", "timeout", "infra_error",
};

const char *halo_outcome_name(halo_outcome o)
{
	return (unsigned)o < HALO_OUTCOME_N ? outcome_names[o] : "unknown";
}

int halo_outcome_from_name(const char *name)
{
	for (int i = 0; i < HALO_OUTCOME_N; i++)
		if (name && strcmp(name, outcome_names[i]) == 0)
			return i;
	return -1;
}
