/*
 * halo_buf: a growable byte buffer with a hard size cap (after curl's dynbuf).
 *
 * Every buffer that grows with untrusted input has a cap, so a hostile file or
 * server can make an operation fail with HALO_ENOMEM but never make halo
 * allocate without bound. The data is always NUL-terminated, so text can be
 * used as a C string. The buffer owns `ptr`; release it with halo_buf_free()
 * or take it with halo_buf_detach() (then the caller frees it with free()).
 */
#ifndef HALO_BUF_H
#define HALO_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct halo_buf {
	char *ptr;    /* NULL until the first append */
	size_t len;   /* bytes used, not counting the trailing NUL */
	size_t alloc; /* bytes allocated */
	size_t cap;   /* largest len allowed */
} halo_buf;

#define HALO_BUF_DEFAULT_CAP ((size_t)64 << 20)
#define HALO_BUF_INIT { NULL, 0, 0, HALO_BUF_DEFAULT_CAP }

void halo_buf_init(halo_buf *b, size_t cap);
void halo_buf_free(halo_buf *b);
void halo_buf_reset(halo_buf *b); /* empties, keeps the allocation */

int halo_buf_add(halo_buf *b, const void *data, size_t len);
int halo_buf_adds(halo_buf *b, const char *s);
int halo_buf_addf(halo_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int halo_buf_vaddf(halo_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Returns the data (never NULL; "" when empty) and leaves the buffer empty. */
char *halo_buf_detach(halo_buf *b);

/* Overflow-checked size arithmetic; return 0 on success, -1 on overflow. */
static inline int halo_size_add(size_t *out, size_t a, size_t b)
{
	return __builtin_add_overflow(a, b, out) ? -1 : 0;
}
static inline int halo_size_mul(size_t *out, size_t a, size_t b)
{
	return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}
static inline int halo_u64_add(unsigned long long *out, unsigned long long a, unsigned long long b)
{
	return __builtin_add_overflow(a, b, out) ? -1 : 0;
}
static inline int halo_u64_mul(unsigned long long *out, unsigned long long a, unsigned long long b)
{
	return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

#endif
