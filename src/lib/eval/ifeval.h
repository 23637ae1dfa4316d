/*
 * IFEval scoring (google-research instruction_following_eval semantics).
 *
 * The 25 instruction checkers of the reference's instructions_registry, each
 * judged strictly (the response as given) and loosely (the reference's eight
 * variants: with the first, last or both lines removed, and each of those
 * with every '*' removed; the instruction passes if any variant passes). A
 * prompt passes when all its instructions pass. docs/ifeval.md lists every
 * known deviation from the reference (sentence splitting approximates nltk's
 * punkt, word_tokenize approximates nltk's Treebank tokenizer, and language
 * identification uses libexttextcat instead of langdetect).
 *
 * Thread-safe: the checkers keep no mutable global state; the language
 * identifier is loaded once (pthread_once) and shared under a mutex.
 * Responses and kwargs are untrusted: malformed input never crashes, and
 * responses over HALO_IFEVAL_MAX_RESPONSE bytes are refused (HALO_ENOMEM).
 */
#ifndef HALO_EVAL_IFEVAL_H
#define HALO_EVAL_IFEVAL_H

#include <stddef.h>

#include "eval/dataset.h"

#define HALO_IFEVAL_N_IDS 25
#define HALO_IFEVAL_MAX_RESPONSE ((size_t)8 << 20)

/* "keywords:existence", ... in the reference registry's order; NULL if out of range. */
const char *halo_ifeval_id_name(int index);
/* The index of an instruction id, or -1 if it is not one of the 25. */
int halo_ifeval_id_index(const char *id);

typedef struct halo_ifeval_instruction {
	int index;  /* into halo_ifeval_id_name() */
	int strict; /* 1 if followed by the response as given */
	int loose;  /* 1 if followed by any of the eight loose variants */
} halo_ifeval_instruction;

/* The verdicts for one prompt. Owns `items`; release with halo_ifeval_result_free(). */
typedef struct halo_ifeval_result {
	size_t n;                        /* instructions in the prompt */
	halo_ifeval_instruction *items;  /* n entries, in the record's order */
	int prompt_strict;               /* all items strict */
	int prompt_loose;                /* all items loose */
} halo_ifeval_result;

void halo_ifeval_result_free(halo_ifeval_result *r); /* safe on a zeroed result */

/*
 * Scores `response` (response_len bytes of UTF-8; NULs allowed) against an
 * IFEval record (kind HALO_DATASET_IFEVAL). On success fills *out (zeroed
 * first; caller frees). Fails with HALO_EFORMAT for an unknown instruction
 * id or kwargs the reference would reject (missing, negative or of the wrong
 * type: the reference draws random values there, which cannot be scored),
 * HALO_ENOMEM for an over-long response, HALO_ENOTFOUND if a language check
 * is needed and libexttextcat's fingerprints cannot be loaded.
 */
int halo_ifeval_check(const halo_dataset_record *rec, const char *response, size_t response_len,
		      halo_ifeval_result *out);

/*
 * One instruction: id and its kwargs as a JSON object text ("{}" or NULL
 * for none). Sets *strict and *loose to 0 or 1. Errors as halo_ifeval_check.
 */
int halo_ifeval_check_one(const char *id, const char *kwargs_json, const char *response,
			  size_t response_len, int *strict, int *loose);

/* Accumulated scores. Plain counters: zero-initialise (HALO_IFEVAL_STATS_INIT). */
typedef struct halo_ifeval_stats {
	size_t prompts, prompts_strict, prompts_loose;
	size_t instructions, instructions_strict, instructions_loose;
	size_t id_total[HALO_IFEVAL_N_IDS], id_strict[HALO_IFEVAL_N_IDS], id_loose[HALO_IFEVAL_N_IDS];
} halo_ifeval_stats;
#define HALO_IFEVAL_STATS_INIT { 0 }

/* Adds one prompt's verdicts. Not locked: one stats per thread, then merge. */
void halo_ifeval_stats_add(halo_ifeval_stats *s, const halo_ifeval_result *r);
void halo_ifeval_stats_merge(halo_ifeval_stats *dst, const halo_ifeval_stats *src);

typedef struct halo_ifeval_scores {
	double prompt_strict, prompt_loose;           /* prompt-level accuracy, 0..1 */
	double instruction_strict, instruction_loose; /* instruction-level accuracy */
} halo_ifeval_scores;
/* Accuracies (0 where nothing was counted). */
halo_ifeval_scores halo_ifeval_stats_scores(const halo_ifeval_stats *s);

/* The language identifier behind response_language / english_* (for tests and
 * docs): ISO 639-1 code as langdetect would spell it ("en", "zh-cn"), "" when
 * no language could be told apart, NULL when the text has no letters (the
 * reference then counts the instruction as followed). Static storage. */
const char *halo_ifeval_detect_language(const char *text, size_t len);

#endif
