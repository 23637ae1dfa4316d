/*
 * halo error reporting (library side).
 *
 * Library functions never print and never exit. They return 0 on success or
 * a negative halo_error_code, and record a one-line, lowercase message that
 * names the subject (file, offset, field). The CLI reads it back with
 * halo_error_last() and maps the code to an exit status (docs/cli.md).
 *
 * The last error is thread-local and owned by the library: callers must not
 * free it, and it stays valid until the next halo_error_set() on the thread.
 */
#ifndef HALO_ERROR_H
#define HALO_ERROR_H

#include <stdarg.h>

typedef enum halo_error_code {
	HALO_OK = 0,
	HALO_ERROR = -1,           /* generic failure */
	HALO_EUSAGE = -2,          /* caller passed an invalid argument/option */
	HALO_ENOTFOUND = -3,       /* file, model or key does not exist */
	HALO_EFORMAT = -4,         /* untrusted input is malformed or hostile */
	HALO_ENET = -5,            /* network / HTTP failure */
	HALO_EUNSUPPORTED = -6,    /* valid but unsupported (e.g. no Range) */
	HALO_EIO = -7,             /* local I/O error */
	HALO_ENOMEM = -8,          /* allocation failed or a size cap was hit */
} halo_error_code;

typedef struct halo_error {
	int code;
	char message[512];
} halo_error;

/* Records an error and returns `code`, so callers can `return halo_error_set(...)`. */
int halo_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int halo_error_setv(int code, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Prefixes the current message with "<prefix>: " (keeps the code). Returns the code. */
int halo_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last error recorded on this thread; code is HALO_OK when none. */
const halo_error *halo_error_last(void);
void halo_error_clear(void);

/* A short stable name for a code ("format", "network", ...). */
const char *halo_error_name(int code);

#endif
