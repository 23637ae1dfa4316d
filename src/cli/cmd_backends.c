/*
 * halo backends: the llama.cpp builds halo can run (backends.conf, plus the
 * llama-server found in $HALO_LLAMA_BIN or PATH), each with the version its
 * llama-server reports and the devices its llama-bench sees, both run with
 * the backend's environment so that what is listed is what serve and bench
 * will get.
 */
#include "cli.h"
#include "options.h"

#include "backends.h"
#include "error.h"

#include <stdio.h>
#include <string.h>

static const char *const usage[] = {
	"halo backends [--backends-file <file>] [--no-probe] [--json] [<name>...]",
	NULL,
};
static const struct command_help help = {
	usage,
	"Lists the llama.cpp backends from ~/.config/halo/backends.conf ($XDG_CONFIG_HOME) and the\n"
	"llama-server in $HALO_LLAMA_BIN or PATH (as 'path'), with each one's bin directory,\n"
	"environment and default flags, the version its llama-server reports (build number and\n"
	"commit) and the devices 'llama-bench --list-devices' sees. docs/backends.md describes\n"
	"the file. Exits 1 when a listed backend cannot run.",
	0, -1,
};

static json_t *str_array(char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static void print_list(const char *label, char *const *v, size_t n)
{
	if (!n)
		return;
	printf("  %-9s", label);
	for (size_t i = 0; i < n; i++)
		printf(" %s", v[i]);
	putchar('\n');
}

int cmd_backends(int argc, const char **argv)
{
	const char *file = NULL;
	bool json = false, no_probe = false;
	const struct option opts[] = {
		OPT_STRING(0, "backends-file", &file, "file", "read this backends.conf instead of the user's"),
		OPT_BOOL(0, "no-probe", &no_probe, "do not run the programs (no version or devices)"),
		OPT_JSON(&json),
		OPT_END(),
	};
	int exit_code;
	int n = parse_options(argc, argv, opts, &help, &exit_code);
	if (n < 0)
		return exit_code;
	halo_backends bs = HALO_BACKENDS_INIT;
	int rc = halo_backends_load(&bs, file, true);
	if (rc)
		return cli_fail(rc);
	for (int i = 0; i < n; i++)
		if (!halo_backends_find(&bs, argv[i])) {
			halo_backends_free(&bs);
			return cli_fail(HALO_ENOTFOUND);
		}
	if (!bs.n && !json) {
		char path[4096] = "";
		halo_backends_default_path(path, sizeof(path));
		printf("no backends: no %s and no llama-server in $HALO_LLAMA_BIN or PATH (docs/backends.md)\n",
		       path[0] ? path : "backends.conf");
	}

	json_t *arr = json_array();
	bool broken = false;
	for (size_t i = 0; i < bs.n; i++) {
		const halo_backend *b = &bs.items[i];
		bool wanted = !n;
		for (int k = 0; k < n && !wanted; k++)
			wanted = !strcmp(argv[k], b->name);
		if (!wanted)
			continue;
		halo_backend_info info;
		memset(&info, 0, sizeof(info));
		info.build = -1;
		if (!no_probe)
			halo_backend_probe(b, &info);
		broken |= !no_probe && !info.version[0];
		if (json) {
			json_t *o = json_object();
			json_object_set_new(o, "name", json_string(b->name));
			json_object_set_new(o, "bin", json_string(b->bin_dir));
			json_object_set_new(o, "source", b->discovered ? json_string("discovered")
								       : json_sprintf("%s:%d", b->file, b->line));
			json_object_set_new(o, "env", str_array(b->env, b->n_env));
			json_object_set_new(o, "server_flags", str_array(b->server_flags, b->n_server_flags));
			json_object_set_new(o, "bench_flags", str_array(b->bench_flags, b->n_bench_flags));
			if (!no_probe) {
				json_object_set_new(o, "version", info.version[0] ? json_string(info.version) : json_null());
				json_object_set_new(o, "build", info.build >= 0 ? json_integer(info.build) : json_null());
				json_object_set_new(o, "commit", info.commit[0] ? json_string(info.commit) : json_null());
				json_object_set_new(o, "built_with", info.built_with[0] ? json_string(info.built_with)
											: json_null());
				json_object_set_new(o, "devices", str_array(info.devices, info.n_devices));
				json_object_set_new(o, "error", info.error[0] ? json_string(info.error) : json_null());
			}
			json_array_append_new(arr, o);
		} else {
			printf("%s%s  %s%s\n", i ? "\n" : "", b->name, b->bin_dir,
			       b->discovered ? "  (found in $HALO_LLAMA_BIN / PATH)" : "");
			print_list("env", b->env, b->n_env);
			print_list("server", b->server_flags, b->n_server_flags);
			print_list("bench", b->bench_flags, b->n_bench_flags);
			if (!no_probe) {
				printf("  %-9s %s\n", "version", info.version[0] ? info.version : "unknown");
				if (info.built_with[0])
					printf("  %-9s built with %s\n", "", info.built_with);
				if (!info.n_devices && !info.error[0])
					printf("  %-9s none (CPU only)\n", "devices");
				for (size_t d = 0; d < info.n_devices; d++)
					printf("  %-9s %s\n", d ? "" : "devices", info.devices[d]);
				if (info.error[0])
					printf("  %-9s %s\n", "error", info.error);
			}
		}
		halo_backend_info_free(&info);
	}
	halo_backends_free(&bs);
	if (json) {
		json_t *top = json_object();
		json_object_set_new(top, "backends", arr);
		rc = cli_print_json(top);
		return rc ? rc : broken ? EXIT_FAILURE_ : EXIT_OK;
	}
	json_decref(arr);
	if (fflush(stdout))
		return EXIT_IO;
	return broken ? EXIT_FAILURE_ : EXIT_OK;
}
