/* Shared between the IFEval sources (ifeval*.c); not a public API. */
#ifndef HALO_EVAL_IFEVAL_INTERNAL_H
#define HALO_EVAL_IFEVAL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Text as Python sees it: code points. Invalid UTF-8 bytes become
 * U+DC80..U+DCFF (Python's surrogateescape), so encoding back is exact. */
typedef struct ifv_text {
	uint32_t *c;
	size_t n;
} ifv_text;

/* Character classes of Python's str / re (ifeval_unicode.c, generated). */
int ifv_isspace(uint32_t c);
int ifv_isword(uint32_t c);
int ifv_isdecimal(uint32_t c);
int ifv_isupper(uint32_t c);
int ifv_islower(uint32_t c);
int ifv_istitle(uint32_t c);
uint32_t ifv_tolower(uint32_t c);

/* ifeval_text.c */
int ifv_decode(const char *s, size_t len, ifv_text *out);     /* malloc'd; 0 or HALO_ENOMEM */
char *ifv_encode(const uint32_t *c, size_t n, size_t *len);  /* malloc'd UTF-8, NULL on OOM */
size_t ifv_count_words(const uint32_t *c, size_t n);          /* nltk RegexpTokenizer(r"\w+") */
size_t ifv_count_sentences(const uint32_t *c, size_t n);      /* punkt, approximated */
size_t ifv_count_upper_tokens(const uint32_t *c, size_t n);   /* word_tokenize + isupper */
int ifv_str_isupper(const uint32_t *c, size_t n);             /* str.isupper() */
int ifv_str_islower(const uint32_t *c, size_t n);             /* str.islower() */

/* ifeval_lang.c: see halo_ifeval_detect_language; *code as there. */
int ifv_detect_language(const uint32_t *c, size_t n, const char **code);

#endif
