/*
 * halo: the command table and dispatch. Each command lives in cmd_<name>.c
 * and describes its options declaratively (options.h), so `halo CMD --help`,
 * `halo help CMD` and this list stay in step with what the code accepts.
 */
#include "cli.h"
#include "options.h"

#include <stdio.h>
#include <string.h>

static const struct command commands[] = {
	{ "models", cmd_models, "show the model catalog and what is downloaded" },
	{ "inspect", cmd_inspect, "read a GGUF header (file or URL) and describe the model" },
	{ "plan", cmd_plan, "which model and quant fit, with how much context, and the llama-server command" },
	{ "eval", cmd_eval, "evaluate a model through its server: HumanEval+, MBPP+, IFEval, BFCL" },
	{ "pull", cmd_pull, "download a model (resumable, verified) into the models directory" },
	{ "serve", cmd_serve, "start llama-server with the planned flags and the mode's sampling preset" },
	{ "bench", cmd_bench, "benchmark backends with llama-bench, or a running server; stored and compared" },
	{ "backends", cmd_backends, "the llama.cpp builds halo can use: versions and devices" },
	{ "doctor", cmd_doctor, "check the GPU, memory pools, kernel, groups and drivers, with the exact fixes" },
	{ "synth", cmd_synth, "write a random-weight GGUF twin of a model for llama.cpp" },
	{ NULL, NULL, NULL },
};

static const struct command *find_command(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void print_main_help(FILE *out)
{
	fprintf(out, "usage: halo [--version] [--help] <command> [<args>]\n\n"
		     "halo runs local LLMs with llama.cpp on unified-memory machines.\n\ncommands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(out, "    %-12s%s\n", c->name, c->summary);
	fprintf(out, "    %-12s%s\n", "help", "show help for a command");
	fprintf(out, "\n'halo help <command>' or 'halo <command> --help' shows a command's options.\n"
		     "exit codes are listed in docs/cli.md.\n");
}

int main(int argc, const char **argv)
{
	if (argc < 2) {
		print_main_help(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("halo %s\n", HALO_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
		print_main_help(stdout);
		return EXIT_OK;
	}
	if (!strcmp(name, "help")) {
		if (argc < 3) {
			print_main_help(stdout);
			return EXIT_OK;
		}
		const struct command *c = find_command(argv[2]);
		if (!c)
			return cli_error(EXIT_USAGE, "'%s' is not a halo command; see 'halo --help'", argv[2]);
		const char *args[] = { c->name, "--help", NULL };
		return c->fn(2, args);
	}
	const struct command *c = find_command(name);
	if (!c)
		return cli_error(EXIT_USAGE, "'%s' is not a halo command; see 'halo --help'", name);
	return c->fn(argc - 1, argv + 1);
}
