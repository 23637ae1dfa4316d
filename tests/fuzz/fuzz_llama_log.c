/*
 * Fuzz target for the llama.cpp log reader (halo plan --verify, later serve
 * and bench read the same logs): any bytes parse without a crash, and the
 * sizes it reports are sums of what the lines said.
 */
#include "llama_log.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	halo_llama_measure m;
	halo_llama_log_parse((const char *)data, size, &m);
	if (m.n_kv_caches == 0 && m.kv != 0)
		abort();
	if (!m.have_recurrent && m.recurrent != 0)
		abort();
	if (m.error[sizeof(m.error) - 1] != '\0')
		abort();
	halo_llama_centi_mib(size);
	return 0;
}
