/*
 * Untrusted text helpers. See text.h.
 */
#include "text.h"

char *halo_text_oneline(char *dst, size_t cap, const char *src, size_t n, char replacement)
{
	if (!cap)
		return dst;
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[o++] = c < 0x20 || c == 0x7f ? replacement : (char)c;
	}
	dst[o] = '\0';
	return dst;
}
