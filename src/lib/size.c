#include "size.h"

#include "error.h"

#include <stddef.h>
#include <strings.h>

const char *halo_decimal_parse(const char *s, uint64_t *mant, unsigned *frac)
{
	uint64_t v = 0;
	unsigned digits = 0, fd = 0;
	bool dot = false;

	for (;; s++) {
		if (*s == '.' && !dot) {
			dot = true;
			continue;
		}
		if (*s < '0' || *s > '9')
			break;
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return NULL;
		digits++;
		if (dot)
			fd++;
	}
	if (!digits || fd > 12 || (dot && !fd))
		return NULL;
	*mant = v;
	*frac = fd;
	return s;
}

uint64_t halo_pow10(unsigned n)
{
	uint64_t p = 1;
	while (n-- && p <= UINT64_MAX / 10)
		p *= 10;
	return p;
}

uint64_t halo_size_unit(const char *unit)
{
	static const struct {
		const char *name;
		uint64_t bytes;
	} units[] = {
		{ "", 1 }, { "B", 1 },
		{ "K", 1000ull }, { "KB", 1000ull }, { "M", 1000000ull }, { "MB", 1000000ull },
		{ "G", 1000000000ull }, { "GB", 1000000000ull }, { "T", 1000000000000ull }, { "TB", 1000000000000ull },
		{ "Ki", 1ull << 10 }, { "KiB", 1ull << 10 }, { "Mi", 1ull << 20 }, { "MiB", 1ull << 20 },
		{ "Gi", 1ull << 30 }, { "GiB", 1ull << 30 }, { "Ti", 1ull << 40 }, { "TiB", 1ull << 40 },
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcasecmp(units[i].name, unit))
			return units[i].bytes;
	return 0;
}

int halo_size_parse(const char *s, uint64_t *bytes, uint64_t *tolerance, bool *has_unit)
{
	uint64_t mant, scaled;
	unsigned fd;
	const char *end = halo_decimal_parse(s, &mant, &fd);

	if (!end)
		return halo_error_set(HALO_EUSAGE, "'%s' is not a size (e.g. 64G, 22.2GB, 512MiB)", s);
	const char *unit = *end == ' ' ? end + 1 : end;
	uint64_t mult = halo_size_unit(unit);
	if (!mult)
		return halo_error_set(HALO_EUSAGE, "'%s' has an unknown unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)", s);
	if (mult == 1 && fd)
		return halo_error_set(HALO_EUSAGE, "'%s' has a fraction of a byte", s);
	if (__builtin_mul_overflow(mant, mult, &scaled))
		return halo_error_set(HALO_EUSAGE, "size '%s' is out of range", s);
	uint64_t div = halo_pow10(fd);
	*bytes = scaled / div + (scaled % div >= div - div / 2 ? 1 : 0);
	if (tolerance)
		*tolerance = mult / div / 2;
	if (has_unit)
		*has_unit = *unit != '\0';
	return 0;
}
