/*
 * Untrusted text made safe to print on one line (server error bodies, model
 * output excerpts, sysfs strings): the caller owns both buffers.
 */
#ifndef HALO_TEXT_H
#define HALO_TEXT_H

#include <stddef.h>

/*
 * Copies at most n bytes of src into dst (cap bytes, always NUL-terminated
 * when cap > 0), each control byte (below 0x20, and DEL) replaced by
 * `replacement`, so that what follows cannot break a line or a terminal.
 * Returns dst.
 */
char *halo_text_oneline(char *dst, size_t cap, const char *src, size_t n, char replacement);

/*
 * The last lines of a log: drops the newlines (and carriage returns) that
 * end text[0, *len), stores that shorter length in *len, and returns where
 * the last `max_lines` lines begin, going back at most `max_bytes` bytes.
 */
size_t halo_text_tail(const char *text, size_t *len, size_t max_lines, size_t max_bytes);

#endif
