/*
 * IFEval: the 25 instruction checkers, strict and loose scoring, statistics.
 *
 * Each checker reproduces one class of the reference's instructions.py. The
 * reference's regular expressions are rewritten as scanners over code points
 * (rather than POSIX regcomp, which has no \b, no lazy quantifiers and no
 * Unicode \w/\s/\d, and would backtrack badly on hostile text): each scanner
 * says which expression it reproduces, including Python's findall/split
 * rules (non-overlapping, leftmost, greedy or lazy) and Unicode classes.
 * Every scanner is linear or O(n * pattern length).
 */
#include "eval/ifeval.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "eval/ifeval_internal.h"

/* The reference registry's ids, in its order. */
enum {
	K_EXISTENCE, K_FREQUENCY, K_FORBIDDEN, K_LETTER, L_LANGUAGE, N_SENTENCES, N_PARAGRAPHS,
	N_WORDS, N_FIRST_WORD, C_PLACEHOLDERS, C_POSTSCRIPT, F_BULLETS, F_CONSTRAINED, F_HIGHLIGHTS,
	F_SECTIONS, F_JSON, F_TITLE, X_TWO, X_REPEAT, E_END, CASE_CAPWORDS, CASE_UPPER, CASE_LOWER,
	P_NO_COMMA, E_QUOTATION,
};

static const char *const ids[HALO_IFEVAL_N_IDS] = {
	"keywords:existence",
	"keywords:frequency",
	"keywords:forbidden_words",
	"keywords:letter_frequency",
	"language:response_language",
	"length_constraints:number_sentences",
	"length_constraints:number_paragraphs",
	"length_constraints:number_words",
	"length_constraints:nth_paragraph_first_word",
	"detectable_content:number_placeholders",
	"detectable_content:postscript",
	"detectable_format:number_bullet_lists",
	"detectable_format:constrained_response",
	"detectable_format:number_highlighted_sections",
	"detectable_format:multiple_sections",
	"detectable_format:json_format",
	"detectable_format:title",
	"combination:two_responses",
	"combination:repeat_prompt",
	"startend:end_checker",
	"change_case:capital_word_frequency",
	"change_case:english_capital",
	"change_case:english_lowercase",
	"punctuation:no_comma",
	"startend:quotation",
};

const char *halo_ifeval_id_name(int index)
{
	return index >= 0 && index < HALO_IFEVAL_N_IDS ? ids[index] : NULL;
}

int halo_ifeval_id_index(const char *id)
{
	if (!id)
		return -1;
	for (int i = 0; i < HALO_IFEVAL_N_IDS; i++)
		if (strcmp(ids[i], id) == 0)
			return i;
	return -1;
}

/* ---- arguments -------------------------------------------------------------- */

#define MAX_WORDS 64

typedef struct ifv_args {
	int id;
	long long num, num2; /* the threshold; nth_paragraph for first_word */
	int at_least;         /* relation: 1 "at least", 0 "less than" */
	ifv_text str;         /* keyword, marker, splitter, phrase, first word, letter, prompt */
	int ps_kind;          /* postscript: 1 "P.P.S", 2 "P.S.", 0 other */
	char lang[8];
	size_t n_words;
	ifv_text words[MAX_WORDS];
} ifv_args;

static void args_free(ifv_args *a)
{
	free(a->str.c);
	for (size_t i = 0; i < a->n_words; i++)
		free(a->words[i].c);
	memset(a, 0, sizeof *a);
}

/* Python's str.strip(): whitespace off both ends, in place on a view. */
static void strip_view(const uint32_t **c, size_t *n)
{
	while (*n > 0 && ifv_isspace((*c)[0])) {
		(*c)++;
		(*n)--;
	}
	while (*n > 0 && ifv_isspace((*c)[*n - 1]))
		(*n)--;
}

static int kw_text(json_t *v, const char *key, ifv_text *out, int strip)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (!s)
		return halo_error_set(HALO_EFORMAT, "ifeval: kwarg '%s' is not a string", key);
	int rc = ifv_decode(s, len, out);
	if (rc != 0)
		return rc;
	if (strip) {
		const uint32_t *c = out->c;
		size_t n = out->n;
		strip_view(&c, &n);
		memmove(out->c, c, n * sizeof *c);
		out->n = n;
	}
	return 0;
}

static json_t *kw_get(json_t *kw, const char *key)
{
	json_t *v = kw ? json_object_get(kw, key) : NULL;
	return json_is_null(v) ? NULL : v;
}

static int kw_int(json_t *kw, const char *key, long long *out, int allow_negative)
{
	json_t *v = kw_get(kw, key);
	if (!v)
		return halo_error_set(HALO_EFORMAT, "ifeval: kwarg '%s' is missing (the reference would draw it at random)", key);
	if (json_is_integer(v))
		*out = (long long)json_integer_value(v);
	else if (json_is_real(v) && json_real_value(v) == (double)(long long)json_real_value(v))
		*out = (long long)json_real_value(v);
	else
		return halo_error_set(HALO_EFORMAT, "ifeval: kwarg '%s' is not an integer", key);
	if (*out < 0 && !allow_negative)
		return halo_error_set(HALO_EFORMAT, "ifeval: kwarg '%s' is negative (the reference would draw it at random)", key);
	return 0;
}

static int kw_relation(json_t *kw, const char *key, int *at_least)
{
	json_t *v = kw_get(kw, key);
	const char *s = json_string_value(v);
	if (!v)
		return halo_error_set(HALO_EFORMAT, "ifeval: kwarg '%s' is missing (the reference would draw it at random)", key);
	if (s && strcmp(s, "less than") == 0)
		*at_least = 0;
	else if (s && strcmp(s, "at least") == 0)
		*at_least = 1;
	else
		return halo_error_set(HALO_EFORMAT, "ifeval: kwarg '%s' must be \"less than\" or \"at least\"", key);
	return 0;
}

static int kw_required_text(json_t *kw, const char *key, ifv_text *out, int strip)
{
	json_t *v = kw_get(kw, key);
	if (!v)
		return halo_error_set(HALO_EFORMAT, "ifeval: kwarg '%s' is missing (the reference would draw it at random)", key);
	return kw_text(v, key, out, strip);
}

static int kw_list(json_t *kw, const char *key, ifv_args *a)
{
	json_t *v = kw_get(kw, key);
	if (!json_is_array(v) || json_array_size(v) == 0)
		return halo_error_set(HALO_EFORMAT, "ifeval: kwarg '%s' must be a non-empty list (the reference would draw it at random)", key);
	if (json_array_size(v) > MAX_WORDS)
		return halo_error_set(HALO_EFORMAT, "ifeval: kwarg '%s' has more than %d words", key, MAX_WORDS);
	for (size_t i = 0; i < json_array_size(v); i++) {
		int rc = kw_text(json_array_get(v, i), key, &a->words[a->n_words], 0);
		if (rc != 0)
			return rc;
		a->n_words++;
	}
	return 0;
}

static int args_parse(int id, json_t *kw, ifv_args *a)
{
	int rc = 0;
	memset(a, 0, sizeof *a);
	a->id = id;
	switch (id) {
	case K_EXISTENCE:
		rc = kw_list(kw, "keywords", a);
		break;
	case K_FORBIDDEN:
		rc = kw_list(kw, "forbidden_words", a);
		break;
	case K_FREQUENCY:
		rc = kw_required_text(kw, "keyword", &a->str, 1);
		if (rc == 0 && a->str.n == 0 && json_string_length(kw_get(kw, "keyword")) == 0)
			rc = halo_error_set(HALO_EFORMAT, "ifeval: kwarg 'keyword' is empty (the reference would draw it at random)");
		if (rc == 0)
			rc = kw_int(kw, "frequency", &a->num, 0);
		if (rc == 0)
			rc = kw_relation(kw, "relation", &a->at_least);
		break;
	case K_LETTER: {
		json_t *v = kw_get(kw, "letter");
		rc = kw_required_text(kw, "letter", &a->str, 0);
		if (rc == 0 && (a->str.n != 1 || json_string_length(v) == 0))
			rc = halo_error_set(HALO_EFORMAT, "ifeval: kwarg 'letter' must be one character (the reference would draw it at random)");
		if (rc == 0) {
			/* .strip().lower() */
			if (ifv_isspace(a->str.c[0]))
				a->str.n = 0;
			else
				a->str.c[0] = ifv_tolower(a->str.c[0]);
			rc = kw_int(kw, "let_frequency", &a->num, 0);
		}
		if (rc == 0)
			rc = kw_relation(kw, "let_relation", &a->at_least);
		break;
	}
	case L_LANGUAGE: {
		const char *s = json_string_value(kw_get(kw, "language"));
		if (!s || strlen(s) >= sizeof a->lang)
			return halo_error_set(HALO_EFORMAT, "ifeval: kwarg 'language' is missing or too long");
		strcpy(a->lang, s);
		break;
	}
	case N_SENTENCES:
		rc = kw_int(kw, "num_sentences", &a->num, 0);
		if (rc == 0)
			rc = kw_relation(kw, "relation", &a->at_least);
		break;
	case N_WORDS:
		rc = kw_int(kw, "num_words", &a->num, 0);
		if (rc == 0)
			rc = kw_relation(kw, "relation", &a->at_least);
		break;
	case N_PARAGRAPHS:
		rc = kw_int(kw, "num_paragraphs", &a->num, 0);
		break;
	case N_FIRST_WORD:
		rc = kw_int(kw, "num_paragraphs", &a->num, 0);
		if (rc == 0)
			rc = kw_int(kw, "nth_paragraph", &a->num2, 0);
		if (rc == 0 && (a->num2 <= 0 || a->num2 > a->num))
			rc = halo_error_set(HALO_EFORMAT, "ifeval: kwarg 'nth_paragraph' is out of range (the reference would draw it at random)");
		if (rc == 0)
			rc = kw_required_text(kw, "first_word", &a->str, 0);
		if (rc == 0) /* .lower() */
			for (size_t i = 0; i < a->str.n; i++)
				a->str.c[i] = ifv_tolower(a->str.c[i]);
		break;
	case C_PLACEHOLDERS:
		rc = kw_int(kw, "num_placeholders", &a->num, 0);
		break;
	case C_POSTSCRIPT: {
		const char *s = json_string_value(kw_get(kw, "postscript_marker"));
		rc = kw_required_text(kw, "postscript_marker", &a->str, 1);
		if (rc == 0) {
			a->ps_kind = strcmp(s, "P.P.S") == 0 ? 1 : strcmp(s, "P.S.") == 0 ? 2 : 0;
			for (size_t i = 0; i < a->str.n; i++)
				a->str.c[i] = ifv_tolower(a->str.c[i]);
		}
		break;
	}
	case F_BULLETS:
		rc = kw_int(kw, "num_bullets", &a->num, 0);
		break;
	case F_HIGHLIGHTS:
		rc = kw_int(kw, "num_highlights", &a->num, 0);
		break;
	case F_SECTIONS:
		rc = kw_required_text(kw, "section_spliter", &a->str, 1);
		if (rc == 0)
			rc = kw_int(kw, "num_sections", &a->num, 0);
		break;
	case X_REPEAT:
		rc = kw_required_text(kw, "prompt_to_repeat", &a->str, 0);
		if (rc == 0 && a->str.n == 0)
			rc = halo_error_set(HALO_EFORMAT, "ifeval: kwarg 'prompt_to_repeat' must be set");
		break;
	case E_END:
		rc = kw_required_text(kw, "end_phrase", &a->str, 1);
		break;
	case CASE_CAPWORDS:
		rc = kw_int(kw, "capital_frequency", &a->num, 1);
		if (rc == 0)
			rc = kw_relation(kw, "capital_relation", &a->at_least);
		break;
	default: /* no arguments */
		break;
	}
	if (rc != 0)
		args_free(a);
	return rc;
}

/* ---- matching helpers --------------------------------------------------------- */

/* Python re.IGNORECASE for one character of a pattern against one of the text. */
static int ci_eq(uint32_t text, uint32_t pat)
{
	uint32_t lp = ifv_tolower(pat), lt = ifv_tolower(text);
	if (lp == lt)
		return 1;
	/* sre's extra case equivalences for ASCII letters */
	if (lp == 'i')
		return text == 0x130 || text == 0x131;
	if (lp == 's')
		return text == 0x17F;
	return 0;
}

static int ci_match_at(const uint32_t *t, size_t n, size_t i, const ifv_text *p)
{
	if (p->n > n - i)
		return 0;
	for (size_t k = 0; k < p->n; k++)
		if (!ci_eq(t[i + k], p->c[k]))
			return 0;
	return 1;
}

static int eq_at(const uint32_t *t, size_t n, size_t i, const uint32_t *p, size_t pn)
{
	if (pn > n - i)
		return 0;
	return memcmp(t + i, p, pn * sizeof *p) == 0;
}

static int eq_ascii_at(const uint32_t *t, size_t n, size_t i, const char *s)
{
	size_t k = strlen(s);
	if (k > n - i)
		return 0;
	for (size_t j = 0; j < k; j++)
		if (t[i + j] != (unsigned char)s[j])
			return 0;
	return 1;
}

/* Python's \b at position i. */
static int word_boundary(const uint32_t *t, size_t n, size_t i)
{
	int before = i > 0 && ifv_isword(t[i - 1]);
	int after = i < n && ifv_isword(t[i]);
	return before != after;
}

/* str.lower() with the one multi-character mapping (U+0130 -> "i\u0307"). */
static int lower_full(const uint32_t *c, size_t n, ifv_text *out)
{
	size_t extra = 0;
	for (size_t i = 0; i < n; i++)
		extra += c[i] == 0x130;
	out->c = malloc((n + extra + 1) * sizeof *out->c);
	if (!out->c)
		return halo_error_set(HALO_ENOMEM, "ifeval: out of memory");
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (c[i] == 0x130) {
			out->c[m++] = 'i';
			out->c[m++] = 0x307;
		} else {
			out->c[m++] = ifv_tolower(c[i]);
		}
	}
	out->n = m;
	return 0;
}

/* ---- the checkers ------------------------------------------------------------- */

static int compare(int at_least, long long actual, long long threshold)
{
	return at_least ? actual >= threshold : actual < threshold;
}

/* re.findall(r"\[.*?\]", value) */
static long long count_placeholders(const uint32_t *t, size_t n)
{
	long long count = 0;
	size_t i = 0;
	while (i < n) {
		if (t[i] != '[') {
			i++;
			continue;
		}
		size_t j = i + 1;
		while (j < n && t[j] != ']' && t[j] != '\n')
			j++;
		if (j < n && t[j] == ']') {
			count++;
			i = j + 1;
		} else {
			i = j; /* every '[' up to the newline fails the same way */
		}
	}
	return count;
}

/* re.findall(r"^\s*\*[^\*].*$", M) + re.findall(r"^\s*-.*$", M); \s crosses lines. */
static long long count_bullets(const uint32_t *t, size_t n, int star)
{
	long long count = 0;
	size_t pos = 0;
	while (pos < n) {
		if (pos > 0 && t[pos - 1] != '\n') {
			pos++;
			continue;
		}
		size_t q = pos;
		while (q < n && ifv_isspace(t[q]))
			q++;
		size_t e = 0;
		if (star && q + 1 < n && t[q] == '*' && t[q + 1] != '*')
			e = q + 2;
		else if (!star && q < n && t[q] == '-')
			e = q + 1;
		if (!e) {
			pos = q + 1; /* line starts up to q reach the same q */
			continue;
		}
		while (e < n && t[e] != '\n')
			e++;
		count++;
		pos = e > pos ? e : pos + 1;
	}
	return count;
}

/* re.findall(r"\*[^\n\*]*\*") with non-blank content, plus the same for "**...**". */
static long long count_highlights(const uint32_t *t, size_t n)
{
	long long count = 0;
	for (int dbl = 0; dbl < 2; dbl++) {
		size_t w = dbl ? 2 : 1, i = 0;
		while (i < n) {
			if (!(t[i] == '*' && (!dbl || (i + 1 < n && t[i + 1] == '*')))) {
				i++;
				continue;
			}
			size_t j = i + w;
			while (j < n && t[j] != '\n' && t[j] != '*')
				j++;
			if (j + w <= n && t[j] == '*' && (!dbl || t[j + 1] == '*')) {
				const uint32_t *c = t + i + w;
				size_t cn = j - i - w;
				strip_view(&c, &cn);
				if (cn > 0)
					count++;
				i = j + w;
			} else {
				i++;
			}
		}
	}
	return count;
}

/* len(re.split(r"\s?" + spliter + r"\s?\d+\s?", value)) - 1 */
static long long count_sections(const uint32_t *t, size_t n, const ifv_text *sp)
{
	long long count = 0;
	size_t i = 0;
	while (i < n) {
		size_t k = 0;
		int found = 0;
		for (int ws = 1; ws >= 0 && !found; ws--) {
			size_t s = i;
			if (ws) {
				if (!ifv_isspace(t[i]))
					continue;
				s++;
			}
			if (!eq_at(t, n, s, sp->c, sp->n))
				continue;
			k = s + sp->n;
			if (k + 1 < n && ifv_isspace(t[k]) && ifv_isdecimal(t[k + 1]))
				k++;
			if (k < n && ifv_isdecimal(t[k])) {
				while (k < n && ifv_isdecimal(t[k]))
					k++;
				if (k < n && ifv_isspace(t[k]))
					k++;
				found = 1;
			}
		}
		if (found) {
			count++;
			i = k > i ? k : i + 1;
		} else {
			i++;
		}
	}
	return count;
}

/* ParagraphChecker: re.split(r"\s?\*\*\*\s?", value), blank ends dropped, blank middles fail. */
static int check_paragraphs(const uint32_t *t, size_t n, long long want)
{
	long long parts = 0;
	size_t start = 0, i = 0;
	int bad = 0;
	while (i <= n) {
		size_t ms = i, me = 0;
		int match = 0;
		if (i < n && ifv_isspace(t[i]) && eq_ascii_at(t, n, i + 1, "***")) {
			match = 1;
			me = i + 4;
		} else if (i < n && eq_ascii_at(t, n, i, "***")) {
			match = 1;
			me = i + 3;
		}
		if (i == n || match) {
			if (match && me < n && ifv_isspace(t[me]))
				me++;
			const uint32_t *c = t + start;
			size_t cn = (i == n ? n : ms) - start;
			strip_view(&c, &cn);
			int first = parts == 0, last = i == n;
			parts++;
			if (cn == 0) {
				if (first || last)
					parts--;
				else
					bad = 1;
			}
			if (i == n)
				break;
			start = i = me;
			continue;
		}
		i++;
	}
	/* a blank first part is both first and, when alone, last: counted once */
	return !bad && parts == want;
}

/* ParagraphFirstWordCheck */
static int check_first_word(const uint32_t *t, size_t n, const ifv_args *a)
{
	/* re.split(r"\n\n"): non-overlapping from the left */
	long long total = 0, blank = 0;
	const uint32_t *nth = NULL;
	size_t nth_n = 0;
	size_t start = 0;
	for (size_t i = 0;; i++) {
		int at_end = i >= n;
		if (!at_end && !(t[i] == '\n' && i + 1 < n && t[i + 1] == '\n'))
			continue;
		size_t e = at_end ? n : i;
		total++;
		const uint32_t *c = t + start;
		size_t cn = e - start;
		strip_view(&c, &cn);
		if (cn == 0)
			blank++;
		if (total == a->num2) {
			nth = c;
			nth_n = cn;
		}
		if (at_end)
			break;
		start = i + 2;
		i++;
	}
	long long num = total - blank;
	if (a->num2 > num || !nth || nth_n == 0)
		return 0;
	/* paragraph.split()[0], lstrip("'"), lstrip('"') */
	size_t w = 0;
	while (w < nth_n && !ifv_isspace(nth[w]))
		w++;
	size_t s = 0;
	while (s < w && nth[s] == '\'')
		s++;
	while (s < w && nth[s] == '"')
		s++;
	ifv_text word = { NULL, 0 }, low;
	size_t k = s;
	while (k < w && !(nth[k] < 0x80 && strchr(".,?!'\"", (int)nth[k])))
		k++;
	if (lower_full(nth + s, k - s, &low) != 0)
		return -1;
	word = low;
	int ok = num == a->num && word.n == a->str.n && memcmp(word.c, a->str.c, word.n * sizeof *word.c) == 0;
	free(low.c);
	return ok;
}

/* PostscriptChecker: re.findall(marker pattern, value.lower(), M) is non-empty. */
static int check_postscript(const uint32_t *t, size_t n, const ifv_args *a)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = i;
		if (a->ps_kind == 1 || a->ps_kind == 2) {
			/* p\.\s?p\.\s?s   or   p\.\s?s\. */
			if (!(k + 1 < n && t[k] == 'p' && t[k + 1] == '.'))
				continue;
			k += 2;
			if (k < n && ifv_isspace(t[k]) && !(t[k] == 'p' || t[k] == 's'))
				k++;
			if (a->ps_kind == 1) {
				if (!(k + 1 < n && t[k] == 'p' && t[k + 1] == '.'))
					continue;
				k += 2;
				if (k < n && ifv_isspace(t[k]))
					k++;
				if (k < n && t[k] == 's')
					return 1;
			} else if (k + 1 < n && t[k] == 's' && t[k + 1] == '.') {
				return 1;
			}
		} else if (eq_at(t, n, i, a->str.c, a->str.n)) {
			/* other markers are used as regexes by the reference; matched literally here */
			return 1;
		}
	}
	return a->ps_kind == 0 && a->str.n == 0;
}

/* TitleChecker: re.findall(r"<<[^\n]+>>") and a title non-blank after stripping '<' '>' */
static int check_title(const uint32_t *t, size_t n)
{
	size_t i = 0;
	size_t line_last = 0, line_end = (size_t)-1; /* last ">>" start on the current line */
	while (i + 1 < n) {
		if (!(t[i] == '<' && t[i + 1] == '<')) {
			i++;
			continue;
		}
		if (line_end == (size_t)-1 || i >= line_end) {
			size_t e = i;
			while (e < n && t[e] != '\n')
				e++;
			line_end = e;
			line_last = (size_t)-1;
			for (size_t k = e; k >= i + 2; k--) {
				if (t[k - 1] == '>' && t[k - 2] == '>') {
					line_last = k - 2;
					break;
				}
			}
		}
		if (line_last == (size_t)-1 || line_last < i + 3) {
			i++;
			continue;
		}
		/* the match is t[i .. line_last+2): greedy, up to the last ">>" */
		size_t s = i, e = line_last + 2;
		while (s < e && t[s] == '<')
			s++;
		while (e > s && t[e - 1] == '>')
			e--;
		const uint32_t *c = t + s;
		size_t cn = e - s;
		strip_view(&c, &cn);
		if (cn > 0)
			return 1;
		i = line_last + 2;
	}
	return 0;
}

/* TwoResponsesChecker: value.split("******") */
static int check_two_responses(const uint32_t *t, size_t n)
{
	const uint32_t *valid[2] = { NULL, NULL };
	size_t valid_n[2] = { 0, 0 }, n_valid = 0, index = 0, start = 0;
	for (size_t i = 0;; i++) {
		int at_end = i >= n;
		if (!at_end && !eq_ascii_at(t, n, i, "******"))
			continue;
		size_t e = at_end ? n : i;
		const uint32_t *c = t + start;
		size_t cn = e - start;
		strip_view(&c, &cn);
		if (cn == 0) {
			if (index != 0 && !at_end)
				return 0;
		} else {
			if (n_valid < 2) {
				valid[n_valid] = c;
				valid_n[n_valid] = cn;
			}
			n_valid++;
		}
		index++;
		if (at_end)
			break;
		start = i + 6;
		i += 5;
	}
	return n_valid == 2 && !(valid_n[0] == valid_n[1] &&
				 memcmp(valid[0], valid[1], valid_n[0] * sizeof *valid[0]) == 0);
}

static int check_json(const uint32_t *t, size_t n)
{
	const uint32_t *c = t;
	size_t cn = n;
	strip_view(&c, &cn);
	static const char *const prefixes[] = { "```json", "```Json", "```JSON", "```" };
	for (size_t i = 0; i < 4; i++)
		if (eq_ascii_at(c, cn, 0, prefixes[i])) {
			c += strlen(prefixes[i]);
			cn -= strlen(prefixes[i]);
		}
	if (cn >= 3 && eq_ascii_at(c, cn, cn - 3, "```"))
		cn -= 3;
	strip_view(&c, &cn);
	size_t len;
	char *utf8 = ifv_encode(c, cn, &len);
	if (!utf8)
		return halo_error_set(HALO_ENOMEM, "ifeval: out of memory");
	json_error_t err;
	json_t *j = json_loadb(utf8, len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &err);
	free(utf8);
	json_decref(j);
	return j != NULL;
}

static int check_language(const uint32_t *t, size_t n, const char *want)
{
	const char *code;
	int rc = ifv_detect_language(t, n, &code);
	if (rc != 0)
		return rc;
	return code == NULL || strcmp(code, want) == 0; /* no letters: the reference passes it */
}

/* One instruction against one text: 1 followed, 0 not, negative on error. */
static int check(const ifv_args *a, const uint32_t *t, size_t n)
{
	switch (a->id) {
	case K_EXISTENCE:
		for (size_t w = 0; w < a->n_words; w++) {
			int found = 0;
			for (size_t i = 0; i <= n && !found; i++)
				found = ci_match_at(t, n, i, &a->words[w]);
			if (!found)
				return 0;
		}
		return 1;
	case K_FREQUENCY: {
		long long count = 0;
		if (a->str.n == 0) {
			count = (long long)n + 1;
		} else {
			for (size_t i = 0; i + a->str.n <= n;) {
				if (ci_match_at(t, n, i, &a->str)) {
					count++;
					i += a->str.n;
				} else {
					i++;
				}
			}
		}
		return compare(a->at_least, count, a->num);
	}
	case K_FORBIDDEN:
		for (size_t w = 0; w < a->n_words; w++)
			for (size_t i = 0; i <= n; i++)
				if (word_boundary(t, n, i) && ci_match_at(t, n, i, &a->words[w]) &&
				    word_boundary(t, n, i + a->words[w].n))
					return 0;
		return 1;
	case K_LETTER: {
		long long count = 0;
		if (a->str.n == 1 && a->str.c[0] != 0x130) {
			uint32_t l = a->str.c[0];
			for (size_t i = 0; i < n; i++)
				count += t[i] == 0x130 ? l == 'i' : ifv_tolower(t[i]) == l;
		}
		return compare(a->at_least, count, a->num);
	}
	case L_LANGUAGE:
		return check_language(t, n, a->lang);
	case N_SENTENCES:
		return compare(a->at_least, (long long)ifv_count_sentences(t, n), a->num);
	case N_PARAGRAPHS:
		return check_paragraphs(t, n, a->num);
	case N_WORDS:
		return compare(a->at_least, (long long)ifv_count_words(t, n), a->num);
	case N_FIRST_WORD:
		return check_first_word(t, n, a);
	case C_PLACEHOLDERS:
		return count_placeholders(t, n) >= a->num;
	case C_POSTSCRIPT: {
		ifv_text low;
		if (lower_full(t, n, &low) != 0)
			return HALO_ENOMEM;
		int ok = check_postscript(low.c, low.n, a);
		free(low.c);
		return ok;
	}
	case F_BULLETS:
		return count_bullets(t, n, 1) + count_bullets(t, n, 0) == a->num;
	case F_CONSTRAINED: {
		static const char *const opts[] = { "My answer is yes.", "My answer is no.", "My answer is maybe." };
		for (size_t o = 0; o < 3; o++)
			for (size_t i = 0; i < n; i++)
				if (eq_ascii_at(t, n, i, opts[o]))
					return 1;
		return 0;
	}
	case F_HIGHLIGHTS:
		return count_highlights(t, n) >= a->num;
	case F_SECTIONS:
		return count_sections(t, n, &a->str) >= a->num;
	case F_JSON:
		return check_json(t, n);
	case F_TITLE:
		return check_title(t, n);
	case X_TWO:
		return check_two_responses(t, n);
	case X_REPEAT: {
		const uint32_t *c = t, *p = a->str.c;
		size_t cn = n, pn = a->str.n;
		strip_view(&c, &cn);
		strip_view(&p, &pn);
		ifv_text lc, lp;
		if (lower_full(c, cn, &lc) != 0)
			return HALO_ENOMEM;
		if (lower_full(p, pn, &lp) != 0) {
			free(lc.c);
			return HALO_ENOMEM;
		}
		int ok = lp.n <= lc.n && memcmp(lc.c, lp.c, lp.n * sizeof *lp.c) == 0;
		free(lc.c);
		free(lp.c);
		return ok;
	}
	case E_END: {
		const uint32_t *c = t;
		size_t cn = n;
		strip_view(&c, &cn);
		while (cn > 0 && c[0] == '"') { /* .strip('"') */
			c++;
			cn--;
		}
		while (cn > 0 && c[cn - 1] == '"')
			cn--;
		ifv_text lc, lp;
		if (lower_full(c, cn, &lc) != 0)
			return HALO_ENOMEM;
		if (lower_full(a->str.c, a->str.n, &lp) != 0) {
			free(lc.c);
			return HALO_ENOMEM;
		}
		int ok = lp.n <= lc.n && memcmp(lc.c + lc.n - lp.n, lp.c, lp.n * sizeof *lp.c) == 0;
		free(lc.c);
		free(lp.c);
		return ok;
	}
	case CASE_CAPWORDS:
		return compare(a->at_least, (long long)ifv_count_upper_tokens(t, n), a->num);
	case CASE_UPPER:
		if (!ifv_str_isupper(t, n))
			return 0;
		return check_language(t, n, "en");
	case CASE_LOWER:
		if (!ifv_str_islower(t, n))
			return 0;
		return check_language(t, n, "en");
	case P_NO_COMMA:
		for (size_t i = 0; i < n; i++)
			if (t[i] == ',')
				return 0;
		return 1;
	case E_QUOTATION: {
		const uint32_t *c = t;
		size_t cn = n;
		strip_view(&c, &cn);
		return cn > 1 && c[0] == '"' && c[cn - 1] == '"';
	}
	}
	return halo_error_set(HALO_EFORMAT, "ifeval: instruction %d has no checker", a->id);
}

/* evaluation_lib: `response.strip() and check(response)` */
static int check_nonblank(const ifv_args *a, const uint32_t *t, size_t n)
{
	const uint32_t *c = t;
	size_t cn = n;
	strip_view(&c, &cn);
	if (cn == 0)
		return 0;
	return check(a, t, n);
}

/* ---- loose variants ------------------------------------------------------------ */

typedef struct ifv_variants {
	ifv_text v[8];
} ifv_variants;

static void variants_free(ifv_variants *v)
{
	for (int i = 0; i < 8; i++)
		free(v->v[i].c);
}

static int copy_text(const uint32_t *c, size_t n, int strip, int drop_stars, ifv_text *out)
{
	if (strip)
		strip_view(&c, &n);
	out->c = malloc((n + 1) * sizeof *out->c);
	if (!out->c)
		return halo_error_set(HALO_ENOMEM, "ifeval: out of memory");
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!drop_stars || c[i] != '*')
			out->c[m++] = c[i];
	out->n = m;
	return 0;
}

/*
 * The reference's order: response, response without '*', without the first
 * line, without the last line, without both, and those three without '*'.
 * Lines are split on '\n' only; the removals are stripped.
 */
static int make_variants(const ifv_text *r, ifv_variants *v)
{
	memset(v, 0, sizeof *v);
	size_t first_nl = r->n, last_nl = r->n;
	for (size_t i = 0; i < r->n; i++)
		if (r->c[i] == '\n') {
			if (first_nl == r->n)
				first_nl = i;
			last_nl = i;
		}
	/* "\n".join(r[1:]) is everything after the first '\n' ("" with no newline);
	 * "\n".join(r[:-1]) everything before the last; r[1:-1] between them. */
	size_t f_s = first_nl < r->n ? first_nl + 1 : r->n;
	size_t l_e = last_nl < r->n ? last_nl : 0;
	size_t b_s = f_s, b_e = first_nl < last_nl ? last_nl : b_s;
	int rc = 0;
	rc = rc ? rc : copy_text(r->c, r->n, 0, 0, &v->v[0]);
	rc = rc ? rc : copy_text(r->c, r->n, 0, 1, &v->v[1]);
	rc = rc ? rc : copy_text(r->c + f_s, r->n - f_s, 1, 0, &v->v[2]);
	rc = rc ? rc : copy_text(r->c, l_e, 1, 0, &v->v[3]);
	rc = rc ? rc : copy_text(r->c + b_s, b_e - b_s, 1, 0, &v->v[4]);
	rc = rc ? rc : copy_text(v->v[2].c, v->v[2].n, 0, 1, &v->v[5]);
	rc = rc ? rc : copy_text(v->v[3].c, v->v[3].n, 0, 1, &v->v[6]);
	rc = rc ? rc : copy_text(v->v[4].c, v->v[4].n, 0, 1, &v->v[7]);
	if (rc != 0)
		variants_free(v);
	return rc;
}

static int judge(const ifv_args *a, const ifv_text *resp, const ifv_variants *v, int *strict, int *loose)
{
	int s = check_nonblank(a, resp->c, resp->n);
	if (s < 0)
		return s;
	*strict = s;
	*loose = s; /* variant 0 is the response itself */
	for (int i = 1; i < 8 && !*loose; i++) {
		int l = check_nonblank(a, v->v[i].c, v->v[i].n);
		if (l < 0)
			return l;
		*loose = l;
	}
	return 0;
}

static int prepare(const char *response, size_t len, ifv_text *resp, ifv_variants *v)
{
	if (!response && len)
		return halo_error_set(HALO_EUSAGE, "ifeval: no response");
	if (len > HALO_IFEVAL_MAX_RESPONSE)
		return halo_error_set(HALO_ENOMEM, "ifeval: response of %zu bytes exceeds the %zu-byte cap",
				      len, HALO_IFEVAL_MAX_RESPONSE);
	int rc = ifv_decode(response ? response : "", len, resp);
	if (rc != 0)
		return rc;
	rc = make_variants(resp, v);
	if (rc != 0) {
		free(resp->c);
		resp->c = NULL;
	}
	return rc;
}

static int parse_kwargs(int id, const char *kwargs_json, ifv_args *a)
{
	json_t *kw = NULL;
	if (kwargs_json && *kwargs_json) {
		json_error_t err;
		kw = json_loads(kwargs_json, 0, &err);
		if (!json_is_object(kw)) {
			json_decref(kw);
			return halo_error_set(HALO_EFORMAT, "ifeval: %s: kwargs are not a JSON object", ids[id]);
		}
	}
	int rc = args_parse(id, kw, a);
	json_decref(kw);
	if (rc != 0)
		halo_error_prefix("%s", ids[id]);
	return rc;
}

int halo_ifeval_check_one(const char *id, const char *kwargs_json, const char *response,
			  size_t response_len, int *strict, int *loose)
{
	int index = halo_ifeval_id_index(id);
	if (index < 0)
		return halo_error_set(HALO_EFORMAT, "ifeval: unknown instruction id '%s'", id ? id : "(null)");
	ifv_args a;
	int rc = parse_kwargs(index, kwargs_json, &a);
	if (rc != 0)
		return rc;
	ifv_text resp;
	ifv_variants v;
	rc = prepare(response, response_len, &resp, &v);
	if (rc == 0) {
		rc = judge(&a, &resp, &v, strict, loose);
		variants_free(&v);
		free(resp.c);
	}
	args_free(&a);
	return rc;
}

void halo_ifeval_result_free(halo_ifeval_result *r)
{
	if (!r)
		return;
	free(r->items);
	memset(r, 0, sizeof *r);
}

int halo_ifeval_check(const halo_dataset_record *rec, const char *response, size_t response_len,
		      halo_ifeval_result *out)
{
	memset(out, 0, sizeof *out);
	if (!rec || rec->kind != HALO_DATASET_IFEVAL)
		return halo_error_set(HALO_EUSAGE, "ifeval: not an IFEval record");
	if (rec->n_instructions == 0)
		return halo_error_set(HALO_EFORMAT, "ifeval: record %s has no instructions",
				      rec->id ? rec->id : "?");
	halo_ifeval_instruction *items = calloc(rec->n_instructions, sizeof *items);
	if (!items)
		return halo_error_set(HALO_ENOMEM, "ifeval: out of memory");
	ifv_text resp;
	ifv_variants v;
	int rc = prepare(response, response_len, &resp, &v);
	if (rc != 0) {
		free(items);
		return rc;
	}
	int all_s = 1, all_l = 1;
	for (size_t i = 0; i < rec->n_instructions && rc == 0; i++) {
		int index = halo_ifeval_id_index(rec->instruction_ids[i]);
		if (index < 0) {
			rc = halo_error_set(HALO_EFORMAT, "ifeval: record %s: unknown instruction id '%s'",
					    rec->id ? rec->id : "?", rec->instruction_ids[i]);
			break;
		}
		ifv_args a;
		rc = parse_kwargs(index, rec->kwargs_json ? rec->kwargs_json[i] : NULL, &a);
		if (rc == 0) {
			items[i].index = index;
			rc = judge(&a, &resp, &v, &items[i].strict, &items[i].loose);
			args_free(&a);
		}
		if (rc != 0)
			halo_error_prefix("record %s", rec->id ? rec->id : "?");
		all_s &= items[i].strict;
		all_l &= items[i].loose;
	}
	variants_free(&v);
	free(resp.c);
	if (rc != 0) {
		free(items);
		return rc;
	}
	out->n = rec->n_instructions;
	out->items = items;
	out->prompt_strict = all_s;
	out->prompt_loose = all_l;
	return 0;
}

/* ---- statistics ---------------------------------------------------------------- */

void halo_ifeval_stats_add(halo_ifeval_stats *s, const halo_ifeval_result *r)
{
	s->prompts++;
	s->prompts_strict += (size_t)(r->prompt_strict != 0);
	s->prompts_loose += (size_t)(r->prompt_loose != 0);
	for (size_t i = 0; i < r->n; i++) {
		const halo_ifeval_instruction *it = &r->items[i];
		s->instructions++;
		s->instructions_strict += (size_t)(it->strict != 0);
		s->instructions_loose += (size_t)(it->loose != 0);
		if (it->index >= 0 && it->index < HALO_IFEVAL_N_IDS) {
			s->id_total[it->index]++;
			s->id_strict[it->index] += (size_t)(it->strict != 0);
			s->id_loose[it->index] += (size_t)(it->loose != 0);
		}
	}
}

void halo_ifeval_stats_merge(halo_ifeval_stats *dst, const halo_ifeval_stats *src)
{
	dst->prompts += src->prompts;
	dst->prompts_strict += src->prompts_strict;
	dst->prompts_loose += src->prompts_loose;
	dst->instructions += src->instructions;
	dst->instructions_strict += src->instructions_strict;
	dst->instructions_loose += src->instructions_loose;
	for (int i = 0; i < HALO_IFEVAL_N_IDS; i++) {
		dst->id_total[i] += src->id_total[i];
		dst->id_strict[i] += src->id_strict[i];
		dst->id_loose[i] += src->id_loose[i];
	}
}

static double ratio(size_t a, size_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

halo_ifeval_scores halo_ifeval_stats_scores(const halo_ifeval_stats *s)
{
	halo_ifeval_scores r;
	r.prompt_strict = ratio(s->prompts_strict, s->prompts);
	r.prompt_loose = ratio(s->prompts_loose, s->prompts);
	r.instruction_strict = ratio(s->instructions_strict, s->instructions);
	r.instruction_loose = ratio(s->instructions_loose, s->instructions);
	return r;
}
