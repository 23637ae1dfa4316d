/*
 * Exact parsing of decimal numbers and byte sizes ("22.2GB", "64G",
 * "512MiB", "123"), shared by the catalog and the command line. Integer
 * arithmetic only: no strtod(), so neither the locale nor binary rounding
 * can change a size.
 */
#ifndef HALO_SIZE_H
#define HALO_SIZE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Reads digits with at most one '.' and at most 12 fraction digits from s:
 * "22.25" gives mant 2225, frac 2. Returns the first character after the
 * number, or NULL when there is none or it overflows 64 bits.
 */
const char *halo_decimal_parse(const char *s, uint64_t *mant, unsigned *frac);

/* 10^n for n <= 19. */
uint64_t halo_pow10(unsigned n);

/*
 * Bytes in one `unit`, case-insensitive: B; K, KB, M, MB, G, GB, T, TB
 * (powers of 1000); Ki, KiB, Mi, MiB, Gi, GiB, Ti, TiB (powers of 1024).
 * 0 when `unit` is none of these; "" is 1.
 */
uint64_t halo_size_unit(const char *unit);

/*
 * Parses a size: a decimal number and an optional unit, with or without a
 * space between. *bytes is rounded to the nearest byte; *tolerance (may be
 * NULL) is half a unit of the last digit written, the precision the text
 * carries ("22.2GB": 0.05 GB; "123": 0); *has_unit (may be NULL) says whether
 * a unit was written. HALO_EUSAGE (message names the text) when it is not a
 * size, has a fraction of a byte, or overflows.
 */
int halo_size_parse(const char *s, uint64_t *bytes, uint64_t *tolerance, bool *has_unit);

#endif
