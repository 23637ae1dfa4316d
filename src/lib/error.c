#include "error.h"

#include <stdio.h>
#include <string.h>

static _Thread_local halo_error last_error;

int halo_error_setv(int code, const char *fmt, va_list ap)
{
	last_error.code = code;
	vsnprintf(last_error.message, sizeof(last_error.message), fmt, ap);
	return code;
}

int halo_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	halo_error_setv(code, fmt, ap);
	va_end(ap);
	return code;
}

int halo_error_prefix(const char *fmt, ...)
{
	char old[sizeof(last_error.message)];
	va_list ap;
	int n;

	memcpy(old, last_error.message, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(last_error.message, sizeof(last_error.message), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(last_error.message) - 2) {
		/* the old message, cut to what fits after "<prefix>: " */
		size_t room = sizeof(last_error.message) - (size_t)n - 3;
		size_t len = strnlen(old, room);
		memcpy(last_error.message + n, ": ", 2);
		memcpy(last_error.message + n + 2, old, len);
		last_error.message[n + 2 + len] = '\0';
	}
	return last_error.code;
}

const halo_error *halo_error_last(void)
{
	return &last_error;
}

void halo_error_clear(void)
{
	last_error.code = HALO_OK;
	last_error.message[0] = '\0';
}

const char *halo_error_name(int code)
{
	switch (code) {
	case HALO_OK: return "ok";
	case HALO_EUSAGE: return "usage";
	case HALO_ENOTFOUND: return "not-found";
	case HALO_EFORMAT: return "format";
	case HALO_ENET: return "network";
	case HALO_EUNSUPPORTED: return "unsupported";
	case HALO_EIO: return "io";
	case HALO_ENOMEM: return "memory";
	default: return "error";
	}
}
