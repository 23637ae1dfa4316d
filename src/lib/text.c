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

size_t halo_text_tail(const char *text, size_t *len, size_t max_lines, size_t max_bytes)
{
	size_t n = text ? *len : 0, start, lines = 0;
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		n--;
	for (start = n; start > 0 && n - start < max_bytes; start--)
		if (text[start - 1] == '\n' && ++lines >= max_lines)
			break;
	*len = n;
	return start;
}
