/*
 * Declarative command-line options (after git's parse-options): each command
 * describes its options in a table, which both parses argv and generates
 * the command's --help text, so the two cannot drift apart.
 */
#ifndef HALO_CLI_OPTIONS_H
#define HALO_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum option_type {
	OPTION_END,
	OPTION_GROUP,   /* a heading in --help */
	OPTION_BOOL,    /* bool *, no argument */
	OPTION_STRING,  /* const char **, points into argv */
	OPTION_INT,     /* long * */
	OPTION_DOUBLE,  /* double * (finite) */
	OPTION_SIZE,    /* uint64_t *: memory sizes; K/M/G/T and KiB.. binary, KB/MB/GB/TB decimal */
};

struct option {
	enum option_type type;
	char short_name;
	const char *long_name;
	void *value;
	const char *argh;  /* argument name in --help */
	const char *help;
};

#define OPT_END() { OPTION_END, 0, NULL, NULL, NULL, NULL }
#define OPT_GROUP(h) { OPTION_GROUP, 0, NULL, NULL, NULL, (h) }
#define OPT_BOOL(s, l, v, h) { OPTION_BOOL, (s), (l), (v), NULL, (h) }
#define OPT_STRING(s, l, v, a, h) { OPTION_STRING, (s), (l), (v), (a), (h) }
#define OPT_INT(s, l, v, a, h) { OPTION_INT, (s), (l), (v), (a), (h) }
#define OPT_DOUBLE(s, l, v, a, h) { OPTION_DOUBLE, (s), (l), (v), (a), (h) }
#define OPT_SIZE(s, l, v, a, h) { OPTION_SIZE, (s), (l), (v), (a), (h) }
#define OPT_JSON(v) OPT_BOOL(0, "json", (v), "print the result as one JSON object")

/* What a command prints in its help: "halo models [MODEL]" lines, then a description. */
struct command_help {
	const char *const *usage;  /* NULL-terminated */
	const char *description;   /* paragraph after the usage lines, may be NULL */
	int min_args, max_args;    /* positional arguments accepted; max -1: any number */
};

/*
 * Parses argv[1..] (argv[0] is the command name). Options may come before or
 * after positional arguments; "--" ends options. On success returns the
 * number of positional arguments, which are moved to argv[0..n); a count
 * outside [min_args, max_args] is a usage error.
 * "--help"/"-h" prints the generated help to stdout and returns -1 with
 * *exit_code = 0; an unknown or malformed option prints a one-line error and
 * the usage to stderr and returns -1 with *exit_code = 2.
 */
int parse_options(int argc, const char **argv, const struct option *opts, const struct command_help *help,
		  int *exit_code);

void print_command_help(FILE *out, const struct option *opts, const struct command_help *help);

/* "64G" (64 GiB), "64GB" (64e9), "512MiB", "123" -> bytes. Returns 0 or -1. */
int parse_size(const char *s, uint64_t *out);

#endif
