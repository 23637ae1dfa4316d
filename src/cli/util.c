#include "cli.h"

#include "error.h"

#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

int cli_exit_code(int code)
{
	switch (code) {
	case HALO_OK: return EXIT_OK;
	case HALO_EUSAGE: return EXIT_USAGE;
	case HALO_ENOTFOUND: return EXIT_NOTFOUND;
	case HALO_EFORMAT: return EXIT_BADINPUT;
	case HALO_ENET: return EXIT_NETWORK;
	case HALO_EUNSUPPORTED: return EXIT_UNSUPPORTED;
	case HALO_EIO: return EXIT_IO;
	case HALO_ENOMEM: return EXIT_LIMIT;
	default: return EXIT_FAILURE_;
	}
}

int cli_fail(int code)
{
	const halo_error *e = halo_error_last();
	fprintf(stderr, "halo: %s\n", e->code != HALO_OK && e->message[0] ? e->message : "unknown error");
	return cli_exit_code(code);
}

int cli_error(int exit_code, const char *fmt, ...)
{
	va_list ap;
	fputs("halo: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return exit_code;
}

int cli_print_json(json_t *v)
{
	int rc = json_dumpf(v, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	json_decref(v);
	if (rc || fputc('\n', stdout) == EOF || fflush(stdout))
		return cli_error(EXIT_IO, "cannot write the output");
	return EXIT_OK;
}

const char *fmt_gb(char *buf, size_t n, uint64_t bytes)
{
	snprintf(buf, n, "%.2f GB", bytes / 1e9);
	return buf;
}

const char *fmt_bin(char *buf, size_t n, uint64_t bytes)
{
	if (bytes >= (1ull << 30))
		snprintf(buf, n, "%.2f GiB", bytes / 1073741824.0);
	else if (bytes >= (1ull << 20))
		snprintf(buf, n, "%.1f MiB", bytes / 1048576.0);
	else if (bytes >= 1024)
		snprintf(buf, n, "%.1f KiB", bytes / 1024.0);
	else
		snprintf(buf, n, "%llu B", (unsigned long long)bytes);
	return buf;
}

static volatile int *interrupt_flag;

static void on_interrupt(int sig)
{
	(void)sig;
	*interrupt_flag = 1;
	/* a second ^C ends at once */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

void cli_catch_interrupts(volatile int *flag)
{
	struct sigaction sa;
	interrupt_flag = flag;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
