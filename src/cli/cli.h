/*
 * Shared pieces of the halo command-line tool: the command table, exit codes
 * and output helpers. Only the CLI prints; the library records errors.
 */
#ifndef HALO_CLI_H
#define HALO_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes (docs/cli.md). */
enum {
	EXIT_OK = 0,
	EXIT_FAILURE_ = 1,    /* generic failure */
	EXIT_USAGE = 2,       /* bad command line */
	EXIT_NOTFOUND = 3,    /* file, URL or model not found */
	EXIT_BADINPUT = 4,    /* malformed or hostile input (file, server reply, catalog) */
	EXIT_NETWORK = 5,     /* network or HTTP failure */
	EXIT_UNSUPPORTED = 6, /* valid but unsupported (e.g. server without Range) */
	EXIT_IO = 7,          /* local I/O error */
	EXIT_LIMIT = 8,       /* a size cap was hit or memory ran out */
};

struct command {
	const char *name;
	int (*fn)(int argc, const char **argv);
	const char *summary;
};

int cmd_backends(int argc, const char **argv);
int cmd_bench(int argc, const char **argv);
int cmd_bench_endpoint(int argc, const char **argv); /* `halo bench endpoint`, called by cmd_bench */
int cmd_doctor(int argc, const char **argv);
int cmd_eval(int argc, const char **argv);
int cmd_inspect(int argc, const char **argv);
int cmd_models(int argc, const char **argv);
int cmd_plan(int argc, const char **argv);
int cmd_pull(int argc, const char **argv);
int cmd_serve(int argc, const char **argv);
int cmd_synth(int argc, const char **argv);

/* Prints "halo: <message>" for the library's last error; returns its exit code. */
int cli_fail(int code);
/* Prints "halo: <formatted message>" and returns `exit_code`. */
int cli_error(int exit_code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Maps a halo_error_code to an exit code. */
int cli_exit_code(int halo_code);

/* SIGINT/SIGTERM set *flag (long work stops cleanly and can be resumed);
 * a second one ends the process at once. */
void cli_catch_interrupts(volatile int *flag);

/* Prints a JSON value (steals the reference) with a trailing newline; returns EXIT_OK or EXIT_IO. */
int cli_print_json(json_t *v);

/* "22.20 GB" (decimal, like model hosts) into buf; returns buf. */
const char *fmt_gb(char *buf, size_t n, uint64_t bytes);
/* "5.00 GiB" / "512.0 MiB" / "20.0 KiB" (binary, like memory); returns buf. */
const char *fmt_bin(char *buf, size_t n, uint64_t bytes);

#endif
