/*
 * Fuzz target for the backends.conf parser: any text either loads or fails
 * with a "file:line" message and leaves what was loaded before untouched;
 * what loads is consistent (names unique, bin absolute, env NAME=VALUE,
 * every flag a string) and assembles into argv and an environment.
 */
#include "backends.h"
#include "error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	halo_backends b = HALO_BACKENDS_INIT;
	static const char keep[] = "[backend keep]\nbin = /k\n";
	if (halo_backends_parse(&b, "fuzz.conf", keep, sizeof(keep) - 1))
		abort();
	if (halo_backends_parse(&b, "fuzz.conf", (const char *)data, size) != 0) {
		if (b.n != 1 || strcmp(b.items[0].name, "keep"))
			abort(); /* a failed load must change nothing */
		if (strncmp(halo_error_last()->message, "fuzz.conf:", 10) != 0)
			abort(); /* errors name the file and line */
		halo_backends_free(&b);
		return 0;
	}
	for (size_t i = 0; i < b.n; i++) {
		const halo_backend *x = &b.items[i];
		if (!x->bin_dir || x->bin_dir[0] != '/' || halo_backends_find(&b, x->name) != x)
			abort();
		for (size_t k = 0; k < x->n_env; k++)
			if (!strchr(x->env[k], '=') || x->env[k][0] == '=')
				abort();
		char *base[] = { "PATH=/bin", NULL };
		char **env = halo_backend_env(x, base);
		if (!env)
			abort();
		halo_backend_env_free(env);
	}
	halo_backends_free(&b);
	return 0;
}
