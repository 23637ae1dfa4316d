/*
 * halo models [MODEL]: the catalog with the download status of every file.
 */
#include "cli.h"
#include "options.h"

#include "catalog.h"
#include "error.h"
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const usage[] = { "halo models [--json] [--quick] [--models-dir <dir>] [--catalog <file>] [<model>]",
				      NULL };
static const struct command_help help = {
	usage,
	"Lists the catalog (built in, plus ~/.config/halo/models.conf) with each quantization's\n"
	"size and download status in the models directory (--models-dir, $HALO_MODELS_DIR,\n"
	"'models_dir = ...' in ~/.config/halo/config, else ~/models; subfolders are searched):\n"
	"  missing    no file\n"
	"  partial    some bytes or parts are there (x of y bytes)\n"
	"  complete   size matches the catalog (with --quick: headers not read)\n"
	"  verified   the GGUF header parses, the data is all there, the architecture matches\n"
	"  corrupt    the header does not parse or does not match the catalog",
	0, 1,
};

static const char *kind_text(const halo_model *m, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s", m->moe ? "moe" : "dense", m->hybrid ? " hybrid" : "");
	return buf;
}

static json_t *quant_json(const halo_quant *q, const halo_quant_status *st)
{
	json_t *o = json_object(), *files = json_array();
	json_object_set_new(o, "quant", json_string(q->name));
	json_object_set_new(o, "provider", json_string(q->provider ? q->provider : ""));
	json_object_set_new(o, "repo", json_string(q->repo ? q->repo : ""));
	for (size_t i = 0; i < q->n_files; i++)
		json_array_append_new(files, json_string(q->files[i]));
	json_object_set_new(o, "files", files);
	json_object_set_new(o, "size_bytes", json_integer((json_int_t)q->size_bytes));
	json_object_set_new(o, "size_tolerance", json_integer((json_int_t)q->size_tolerance));
	json_object_set_new(o, "size_estimated", json_boolean(q->size_estimated));
	json_object_set_new(o, "status", json_string(halo_file_status_name(st->status)));
	json_object_set_new(o, "have_bytes", json_integer((json_int_t)st->have_bytes));
	json_object_set_new(o, "want_bytes", json_integer((json_int_t)st->want_bytes));
	json_object_set_new(o, "parts_found", json_integer(st->parts_found));
	json_object_set_new(o, "parts_total", json_integer(st->parts_total));
	json_object_set_new(o, "path", st->path[0] ? json_string(st->path) : json_null());
	json_object_set_new(o, "detail", st->detail[0] ? json_string(st->detail) : json_null());
	return o;
}

static void print_status(const halo_quant_status *st)
{
	char b1[32], b2[32];
	switch (st->status) {
	case HALO_FILE_PARTIAL:
		printf("partial (%s of %s)", fmt_gb(b1, sizeof(b1), st->have_bytes), fmt_gb(b2, sizeof(b2), st->want_bytes));
		break;
	default:
		printf("%s", halo_file_status_name(st->status));
	}
}

static int show_model(const halo_store *store, const halo_model *m, bool quick, json_t *jmodels)
{
	char kind[32], size[32];
	json_t *jm = NULL, *jq = NULL;

	if (jmodels) {
		json_t *roles = json_array();
		jm = json_object();
		jq = json_array();
		json_object_set_new(jm, "id", json_string(m->id));
		json_object_set_new(jm, "name", json_string(m->name ? m->name : m->id));
		json_object_set_new(jm, "family", json_string(m->family ? m->family : ""));
		json_object_set_new(jm, "kind", json_string(kind_text(m, kind, sizeof(kind))));
		json_object_set_new(jm, "architecture", json_string(m->hp.arch));
		json_object_set_new(jm, "params_total", json_integer((json_int_t)m->params_total));
		json_object_set_new(jm, "params_active", json_integer((json_int_t)m->params_active));
		for (size_t i = 0; i < m->n_roles; i++)
			json_array_append_new(roles, json_string(m->roles[i]));
		json_object_set_new(jm, "roles", roles);
		json_object_set_new(jm, "quants", jq);
		json_array_append_new(jmodels, jm);
	} else {
		printf("%s  (%s; %s; %.1fB total, %.1fB active", m->name ? m->name : m->id, m->id,
		       kind_text(m, kind, sizeof(kind)), m->params_total / 1e9, m->params_active / 1e9);
		for (size_t i = 0; i < m->n_roles; i++)
			printf("%s%s", i ? ", " : "; ", m->roles[i]);
		printf(")\n");
	}
	for (size_t i = 0; i < m->n_quants; i++) {
		const halo_quant *q = &m->quants[i];
		halo_quant_status st;
		int rc = halo_store_quant_status(store, m, q, !quick, &st);
		if (rc)
			return rc;
		if (jq) {
			json_array_append_new(jq, quant_json(q, &st));
			continue;
		}
		printf("  %-14s %-10s %9s%s  ", q->name, q->provider ? q->provider : "", fmt_gb(size, sizeof(size), q->size_bytes),
		       q->size_estimated ? "~" : " ");
		print_status(&st);
		if (st.detail[0] && st.status == HALO_FILE_CORRUPT)
			printf(": %s", st.detail);
		putchar('\n');
	}
	return 0;
}

int cmd_models(int argc, const char **argv)
{
	bool json = false, quick = false;
	const char *models_dir = NULL, *catalog_file = NULL;
	const struct option opts[] = {
		OPT_STRING(0, "models-dir", &models_dir, "dir", "where downloaded models are (default ~/models)"),
		OPT_STRING(0, "catalog", &catalog_file, "file", "extra catalog file loaded over the built-in one"),
		OPT_BOOL(0, "quick", &quick, "compare sizes only; do not read GGUF headers"),
		OPT_JSON(&json),
		OPT_END(),
	};
	int exit_code;
	int n = parse_options(argc, argv, opts, &help, &exit_code);
	if (n < 0)
		return exit_code;

	char dir[4096];
	halo_catalog cat = HALO_CATALOG_INIT;
	halo_store *store = NULL;
	json_t *root = NULL, *jmodels = NULL;
	int rc = halo_catalog_load_default(&cat, catalog_file);
	if (!rc)
		rc = halo_models_dir(dir, sizeof(dir), models_dir);
	if (!rc)
		rc = halo_store_open(&store, dir, NULL);
	if (rc) {
		exit_code = cli_fail(rc);
		goto out;
	}
	const halo_model *only = NULL;
	if (n == 1 && !(only = halo_catalog_find(&cat, argv[0]))) {
		exit_code = cli_error(EXIT_NOTFOUND, "no model '%s' in the catalog; 'halo models' lists them", argv[0]);
		goto out;
	}
	if (json) {
		root = json_object();
		jmodels = json_array();
		json_object_set_new(root, "models_dir", json_string(dir));
		json_object_set_new(root, "models", jmodels);
	} else {
		printf("models directory: %s\n\n", dir);
	}
	for (size_t i = 0; i < cat.n_models; i++) {
		const halo_model *m = &cat.models[i];
		if (only && m != only)
			continue;
		if ((rc = show_model(store, m, quick, jmodels))) {
			exit_code = cli_fail(rc);
			goto out;
		}
		if (!json && !only && i + 1 < cat.n_models)
			putchar('\n');
	}
	if (json) {
		exit_code = cli_print_json(root);
		root = NULL;
	}
out:
	json_decref(root);
	halo_store_free(store);
	halo_catalog_free(&cat);
	return exit_code;
}
