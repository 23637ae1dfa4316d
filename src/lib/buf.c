#include "buf.h"
#include "error.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void halo_buf_init(halo_buf *b, size_t cap)
{
	b->ptr = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void halo_buf_free(halo_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = 0;
	b->alloc = 0;
}

void halo_buf_reset(halo_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

static int grow(halo_buf *b, size_t extra)
{
	size_t need, alloc;

	if (halo_size_add(&need, b->len, extra) || need > b->cap)
		return halo_error_set(HALO_ENOMEM, "buffer would exceed its %zu-byte cap", b->cap);
	need += 1; /* NUL */
	if (need <= b->alloc)
		return 0;
	alloc = b->alloc ? b->alloc : 64;
	while (alloc < need)
		alloc = alloc > SIZE_MAX / 2 ? need : alloc * 2;
	char *p = realloc(b->ptr, alloc);
	if (!p)
		return halo_error_set(HALO_ENOMEM, "out of memory growing a buffer to %zu bytes", alloc);
	b->ptr = p;
	b->alloc = alloc;
	return 0;
}

int halo_buf_add(halo_buf *b, const void *data, size_t len)
{
	int rc = grow(b, len);
	if (rc)
		return rc;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int halo_buf_adds(halo_buf *b, const char *s)
{
	return halo_buf_add(b, s, strlen(s));
}

int halo_buf_vaddf(halo_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return halo_error_set(HALO_ERROR, "bad format string");
	int rc = grow(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int halo_buf_addf(halo_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = halo_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *halo_buf_detach(halo_buf *b)
{
	char *p = b->ptr;
	if (!p) {
		p = calloc(1, 1);
	}
	b->ptr = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}
