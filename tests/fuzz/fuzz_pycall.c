/*
 * Fuzz target for the Python-call subset parser (src/lib/eval/pycall.c):
 * arbitrary bytes as a call list and as a value. Nothing may crash; a parsed
 * value's repr must parse back to an equal value, and errors carry a message.
 */
#include "error.h"
#include "eval/pycall.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	halo_pycall_opts opts = HALO_PYCALL_OPTS_INIT;
	opts.max_nodes = 20000; /* keeps each run fast; the cap path is exercised too */
	halo_pycall_list *l = NULL;
	if (halo_pycall_parse((const char *)data, size, &opts, &l) == 0) {
		for (size_t c = 0; c < l->n; c++)
			if (!l->calls[c].name)
				abort();
		halo_pycall_list_free(l);
	} else if (l || !halo_error_last()->message[0]) {
		abort();
	}
	halo_pyval *v = NULL;
	if (halo_pyval_parse((const char *)data, size, &opts, &v) == 0) {
		halo_buf b = HALO_BUF_INIT;
		if (halo_pyval_repr(v, &b) == 0) {
			halo_pyval *again = NULL;
			/* a repr too long for the caps may not parse back; inf (from
			 * 1e999) has no literal; otherwise it must match */
			if (!strstr(b.ptr, "inf") && halo_pyval_parse(b.ptr, b.len, &opts, &again) == 0) {
				if (!halo_pyval_eq(v, again))
					abort();
				halo_pyval_free(again);
			}
		}
		halo_buf_free(&b);
		halo_pyval *copy = halo_pyval_copy(v);
		if (copy && !halo_pyval_eq(v, copy))
			abort();
		halo_pyval_free(copy);
		halo_pyval_free(v);
	} else if (v) {
		abort();
	}
	return 0;
}
