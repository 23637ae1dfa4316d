/*
 * Fuzz target for the catalog parser (configs/models.conf and users'
 * ~/.config/halo/models.conf): any text either loads or fails with a
 * file:line message, and a failed load leaves the catalog as it was.
 */
#include "catalog.h"
#include "error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	halo_catalog cat = HALO_CATALOG_INIT;
	size_t before;

	/* Load once on top of the built-in catalog (overrides, extends)... */
	if (halo_catalog_load_default(&cat, NULL) == 0) {
		before = cat.n_models;
		if (halo_catalog_load_buffer(&cat, (const char *)data, size, "fuzz.conf") != 0) {
			if (cat.n_models != before)
				abort(); /* a failed load must change nothing */
			if (strncmp(halo_error_last()->message, "fuzz.conf", 9) != 0)
				abort(); /* errors name the file */
		}
		for (size_t i = 0; i < cat.n_models; i++) {
			const halo_model *m = &cat.models[i];
			if (halo_catalog_find(&cat, m->id) == NULL)
				abort();
			for (size_t j = 0; j < m->n_quants; j++)
				halo_catalog_find_quant(m, m->quants[j].name);
		}
		halo_catalog_top_pick(&cat);
	}
	halo_catalog_free(&cat);

	/* ...and alone. */
	halo_catalog_init(&cat);
	halo_catalog_load_buffer(&cat, (const char *)data, size, "fuzz.conf");
	halo_catalog_free(&cat);
	return 0;
}
