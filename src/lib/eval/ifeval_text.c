/*
 * Text helpers for the IFEval checkers: UTF-8 <-> code points, and the three
 * nltk pieces the reference leans on, rewritten for C:
 *   count_words      nltk RegexpTokenizer(r"\w+")           exact
 *   count_sentences  nltk punkt (english.pickle)             approximated
 *   upper tokens     nltk word_tokenize (Treebank) + isupper approximated
 * punkt's English model (abbreviations, collocations, orthographic statistics
 * learnt from a corpus) is not available to C; the decisions below follow the
 * punkt algorithm with a built-in abbreviation list and a sentence-starter
 * list in place of the learnt statistics. docs/ifeval.md lists the cases
 * where this can differ.
 */
#include "eval/ifeval_internal.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"

int ifv_decode(const char *s, size_t len, ifv_text *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t bytes;
	out->c = NULL;
	out->n = 0;
	if (halo_size_mul(&bytes, len + 1, sizeof(uint32_t)) != 0)
		return halo_error_set(HALO_ENOMEM, "ifeval: response of %zu bytes is too long", len);
	uint32_t *c = malloc(bytes);
	if (!c)
		return halo_error_set(HALO_ENOMEM, "ifeval: out of memory decoding %zu bytes", len);
	size_t n = 0, i = 0;
	while (i < len) {
		unsigned b = p[i];
		uint32_t cp;
		size_t k;
		if (b < 0x80) {
			c[n++] = b;
			i++;
			continue;
		} else if (b >= 0xC2 && b <= 0xDF) {
			cp = b & 0x1F;
			k = 1;
		} else if (b >= 0xE0 && b <= 0xEF) {
			cp = b & 0x0F;
			k = 2;
		} else if (b >= 0xF0 && b <= 0xF4) {
			cp = b & 0x07;
			k = 3;
		} else {
			c[n++] = 0xDC00 | b; /* surrogateescape */
			i++;
			continue;
		}
		size_t j;
		for (j = 1; j <= k; j++) {
			if (i + j >= len || (p[i + j] & 0xC0) != 0x80)
				break;
			cp = (cp << 6) | (p[i + j] & 0x3F);
		}
		if (j <= k || (k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF)) {
			c[n++] = 0xDC00 | b;
			i++;
			continue;
		}
		c[n++] = cp;
		i += k + 1;
	}
	out->c = c;
	out->n = n;
	return 0;
}

char *ifv_encode(const uint32_t *c, size_t n, size_t *len)
{
	size_t cap;
	if (halo_size_mul(&cap, n, 4) != 0 || halo_size_add(&cap, cap, 1) != 0)
		return NULL;
	unsigned char *o = malloc(cap), *q = o;
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		uint32_t v = c[i];
		if (v < 0x80) {
			*q++ = (unsigned char)v;
		} else if (v >= 0xDC80 && v <= 0xDCFF) {
			*q++ = (unsigned char)(v & 0xFF); /* an invalid byte, given back */
		} else if (v < 0x800) {
			*q++ = (unsigned char)(0xC0 | (v >> 6));
			*q++ = (unsigned char)(0x80 | (v & 0x3F));
		} else if (v < 0x10000) {
			*q++ = (unsigned char)(0xE0 | (v >> 12));
			*q++ = (unsigned char)(0x80 | ((v >> 6) & 0x3F));
			*q++ = (unsigned char)(0x80 | (v & 0x3F));
		} else {
			*q++ = (unsigned char)(0xF0 | (v >> 18));
			*q++ = (unsigned char)(0x80 | ((v >> 12) & 0x3F));
			*q++ = (unsigned char)(0x80 | ((v >> 6) & 0x3F));
			*q++ = (unsigned char)(0x80 | (v & 0x3F));
		}
	}
	*q = 0;
	if (len)
		*len = (size_t)(q - o);
	return (char *)o;
}

size_t ifv_count_words(const uint32_t *c, size_t n)
{
	size_t words = 0;
	for (size_t i = 0; i < n; i++)
		if (ifv_isword(c[i]) && (i == 0 || !ifv_isword(c[i - 1])))
			words++;
	return words;
}

int ifv_str_isupper(const uint32_t *c, size_t n)
{
	int cased = 0;
	for (size_t i = 0; i < n; i++) {
		if (ifv_islower(c[i]) || ifv_istitle(c[i]))
			return 0;
		if (ifv_isupper(c[i]))
			cased = 1;
	}
	return cased;
}

int ifv_str_islower(const uint32_t *c, size_t n)
{
	int cased = 0;
	for (size_t i = 0; i < n; i++) {
		if (ifv_isupper(c[i]) || ifv_istitle(c[i]))
			return 0;
		if (ifv_islower(c[i]))
			cased = 1;
	}
	return cased;
}

/* ---- punkt ---------------------------------------------------------------- */

/* punkt's _re_non_word_chars: punctuation that ends a word token. */
static int pk_nonword(uint32_t c)
{
	return c && c < 0x80 && strchr(")\";}]*:@'({[!?", (int)c) != NULL;
}
/* Characters punkt's word tokenizer never starts a word with (single-character tokens). */
static int pk_not_word_start(uint32_t c)
{
	return c && c < 0x80 && strchr("(\"`{[:;&#*@)}]-,", (int)c) != NULL;
}

/*
 * Abbreviations treated like punkt's English abbrev_types: a period after
 * them does not end a sentence unless a sentence starter follows. The learnt
 * list is not available; this is the common core of it.
 */
static const char *const pk_abbrevs[] = {
	"a.m", "p.m", "e.g", "i.e", "u.s", "u.k", "u.n", "u.s.a", "mr", "mrs", "ms", "dr", "prof",
	"sr", "jr", "st", "mt", "ft", "vs", "etc", "inc", "corp", "co", "ltd", "no", "jan", "feb",
	"mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "gen", "gov", "sen",
	"rep", "col", "lt", "capt", "sgt", "rev", "fig", "approx", "dept", "est", "al", "ph.d",
	"calif", "n.y", "d.c", "cf", "op", "vol", "pp", "ed", "jr", "messrs",
};
/* Stand-in for punkt's orthographic statistics: words that, capitalised after
 * an abbreviation, initial or ellipsis, start a new sentence. */
static const char *const pk_starters[] = {
	"the", "this", "that", "these", "those", "it", "its", "he", "she", "they", "we", "i", "you",
	"there", "but", "and", "however", "in", "on", "at", "for", "if", "when", "while", "as", "a",
	"an", "my", "our", "their", "his", "her", "so", "then", "also", "what", "how", "why", "where",
	"who", "after", "before", "although", "because", "since", "some", "many", "most", "each",
	"every", "all", "one", "to", "with", "by", "from", "here", "now", "let", "please", "yes",
	"thanks", "thank", "finally", "first", "second", "next", "overall", "meanwhile", "moreover",
};

static int word_in(const uint32_t *c, size_t n, const char *const *list, size_t nlist)
{
	char w[32];
	if (n == 0 || n >= sizeof w)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t v = ifv_tolower(c[i]);
		if (v >= 0x80)
			return 0;
		w[i] = (char)v;
	}
	w[n] = 0;
	for (size_t i = 0; i < nlist; i++)
		if (strcmp(w, list[i]) == 0)
			return 1;
	return 0;
}
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* punkt's number type: ^-?[\.,]?\d[\d,\.-]*\.?$ */
static int pk_is_number(const uint32_t *c, size_t n)
{
	size_t i = 0;
	if (i < n && c[i] == '-')
		i++;
	if (i < n && (c[i] == '.' || c[i] == ','))
		i++;
	if (i >= n || !ifv_isdecimal(c[i]))
		return 0;
	for (i++; i < n; i++)
		if (!ifv_isdecimal(c[i]) && c[i] != ',' && c[i] != '.' && c[i] != '-')
			return 0;
	return 1;
}

/* The token after a candidate break: first character, and the word (for the starter list). */
typedef struct pk_next {
	uint32_t first;
	const uint32_t *w;
	size_t wn;
} pk_next;

static pk_next pk_next_token(const uint32_t *c, size_t n, size_t r)
{
	pk_next t = { 0, NULL, 0 };
	if (r >= n)
		return t;
	t.first = c[r];
	if (pk_nonword(c[r]) || pk_not_word_start(c[r]))
		return t; /* a one-character punctuation token */
	size_t e = r;
	while (e < n && !ifv_isspace(c[e]) && !pk_nonword(c[e]))
		e++;
	if (e > r && c[e - 1] == '.')
		e--;
	t.w = c + r;
	t.wn = e - r;
	return t;
}

static int pk_starter(const pk_next *t)
{
	return ifv_isupper(t->first) && word_in(t->w, t->wn, pk_starters, N_OF(pk_starters));
}

/* Does the period at p (its token ends there) end a sentence, given the next token? */
static int pk_period_breaks(const uint32_t *c, size_t p, const pk_next *next)
{
	if (p > 0 && c[p - 1] == '.')
		return ifv_isupper(next->first); /* ellipsis: a capital starts a sentence */
	size_t s = p;
	while (s > 0 && !ifv_isspace(c[s - 1]) && !pk_nonword(c[s - 1]))
		s--;
	while (s < p && pk_not_word_start(c[s]))
		s++;
	const uint32_t *tok = c + s;
	size_t tn = p - s; /* without the period */
	if (tn == 0)
		return 1;
	size_t dash = tn;
	while (dash > 0 && tok[dash - 1] != '-')
		dash--;
	if (word_in(tok, tn, pk_abbrevs, N_OF(pk_abbrevs)) ||
	    (dash > 0 && word_in(tok + dash, tn - dash, pk_abbrevs, N_OF(pk_abbrevs))))
		return pk_starter(next);
	int initial = tn == 1 && ifv_isword(tok[0]) && !ifv_isdecimal(tok[0]);
	int number = pk_is_number(tok, tn);
	if (initial || number) {
		/* punkt's orthographic heuristic says "no sentence starts here" for
		 * punctuation and lower-case words */
		if (next->first && next->first < 0x80 && strchr(";:,.!?", (int)next->first))
			return 0;
		if (ifv_islower(next->first))
			return 0;
		if (initial && ifv_isupper(next->first))
			return pk_starter(next);
	}
	return 1;
}

/* A slice that punkt's boundary realignment empties: only closing quotes/brackets and spaces. */
static int pk_realigned_away(const uint32_t *c, size_t s, size_t e)
{
	size_t i = s;
	while (i < e && c[i] < 0x80 && strchr("\"')]}", (int)c[i]) && c[i])
		i++;
	if (i == s)
		return 0;
	while (i < e && ifv_isspace(c[i]))
		i++;
	return i == e;
}

size_t ifv_count_sentences(const uint32_t *c, size_t n)
{
	size_t end = n;
	while (end > 0 && ifv_isspace(c[end - 1]))
		end--;
	if (end == 0)
		return 0;
	size_t count = 0, last_break = 0;
	/* candidate: an end character followed by punctuation or by spaces and a token */
	size_t prev = (size_t)-1, prev_next = 0;
	pk_next prev_tok = { 0, NULL, 0 };
	for (size_t p = 0; p <= n; p++) {
		int cand = 0;
		size_t next_start = 0;
		pk_next tok = { 0, NULL, 0 };
		if (p < n && (c[p] == '.' || c[p] == '?' || c[p] == '!')) {
			if (p + 1 < n && pk_nonword(c[p + 1])) {
				cand = 1;
				next_start = p + 1;
			} else if (p + 1 < n && ifv_isspace(c[p + 1])) {
				size_t r = p + 1;
				while (r < n && ifv_isspace(c[r]))
					r++;
				if (r < n) {
					cand = 1;
					next_start = r;
				}
			}
			if (cand)
				tok = pk_next_token(c, n, next_start);
		}
		if (!cand && p < n)
			continue;
		/* punkt drops a candidate when the next one follows with no space between */
		if (prev != (size_t)-1) {
			int spaced = 1;
			if (p < n) {
				spaced = 0;
				for (size_t i = prev + 1; i < p; i++)
					if (ifv_isspace(c[i])) {
						spaced = 1;
						break;
					}
			}
			if (spaced) {
				int brk = c[prev] != '.' || pk_period_breaks(c, prev, &prev_tok);
				if (brk) {
					if (count == 0 || !pk_realigned_away(c, last_break, prev + 1))
						count++;
					last_break = prev_next;
				}
			}
		}
		if (p == n)
			break;
		prev = p;
		prev_next = next_start;
		prev_tok = tok;
	}
	if (last_break < end && !(count > 0 && pk_realigned_away(c, last_break, end)))
		count++;
	return count;
}

/* ---- word_tokenize + isupper ------------------------------------------------ */

/* Characters the Treebank tokenizer always splits off. */
static int tb_split(uint32_t c)
{
	switch (c) {
	case 0xAB: case 0xBB: case 0x201C: case 0x201D: case 0x2018: case 0x2019: case 0x201E:
		return 1;
	default:
		return c && c < 0x80 && strchr("`\"()[]{}<>;@#$%&?!*", (int)c) != NULL;
	}
}

static int ci_suffix(const uint32_t *c, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	if (n <= k)
		return 0; /* the contraction needs a character before it */
	for (size_t i = 0; i < k; i++)
		if (c[n - k + i] != (unsigned char)suf[i])
			return 0;
	return c[n - k - 1] != '\'';
}

/* One piece (no spaces, no split characters): contractions split, then isupper counted. */
static size_t tb_piece(const uint32_t *c, size_t n)
{
	static const char *const sufs[] = { "'s", "'S", "'m", "'M", "'d", "'D", "'ll", "'LL",
					    "'re", "'RE", "'ve", "'VE", "n't", "N'T", "'" };
	static const char *const two[][2] = { { "can", "not" }, { "gim", "me" }, { "gon", "na" },
					      { "got", "ta" }, { "lem", "me" }, { "wan", "na" } };
	if (n == 0)
		return 0;
	for (size_t i = 0; i < N_OF(sufs); i++)
		if (ci_suffix(c, n, sufs[i])) {
			size_t k = strlen(sufs[i]);
			return tb_piece(c, n - k) + (size_t)ifv_str_isupper(c + n - k, k);
		}
	for (size_t i = 0; i < N_OF(two); i++) {
		size_t a = strlen(two[i][0]), b = strlen(two[i][1]);
		if (n != a + b)
			continue;
		size_t j;
		for (j = 0; j < n; j++) {
			char want = j < a ? two[i][0][j] : two[i][1][j - a];
			if (ifv_tolower(c[j]) != (unsigned char)want)
				break;
		}
		if (j == n)
			return (size_t)ifv_str_isupper(c, a) + (size_t)ifv_str_isupper(c + a, b);
	}
	return (size_t)ifv_str_isupper(c, n);
}

size_t ifv_count_upper_tokens(const uint32_t *c, size_t n)
{
	size_t count = 0, s = 0;
	for (size_t i = 0; i <= n; i++) {
		int cut = 0;
		size_t skip = 1;
		if (i == n || ifv_isspace(c[i]) || tb_split(c[i])) {
			cut = 1;
		} else if ((c[i] == ',' || c[i] == ':') && (i + 1 >= n || !ifv_isdecimal(c[i + 1]))) {
			cut = 1;
		} else if (c[i] == '-' && i + 1 < n && c[i + 1] == '-') {
			cut = 1;
			skip = 2;
		} else if (c[i] == '.' && i + 1 < n && c[i + 1] == '.') {
			cut = 1;
			while (i + skip < n && c[i + skip] == '.')
				skip++;
		}
		if (!cut)
			continue;
		count += tb_piece(c + s, i - s);
		i += skip - 1;
		s = i + 1;
	}
	return count;
}
