/*
 * Separating a thinking model's reasoning from its answer.
 *
 * Servers hand reasoning back in one of three ways, and the scorers must see
 * the answer alone:
 *   - a separate field (llama-server `reasoning_content`, Ollama `reasoning`),
 *     content being the answer;
 *   - `<think>…</think>` at the start of the content (leading whitespace
 *     allowed), when the server does not parse reasoning;
 *   - only the closing `</think>`, when the chat template already emitted the
 *     opening tag in the prompt (llama.cpp with Qwen3-style templates):
 *     everything before it is reasoning.
 * An opening tag that never closes means the model was cut off while thinking:
 * the whole rest is reasoning, the answer is empty, and `unterminated` is set
 * (the caller counts the sample as truncated).
 *
 * Pure functions: no I/O, no global state, safe from any thread.
 */
#ifndef HALO_EVAL_THINK_H
#define HALO_EVAL_THINK_H

#include <stdbool.h>
#include <stddef.h>

typedef struct halo_think_split {
	char *answer;      /* malloc'd, NUL-terminated, never NULL after success */
	char *reasoning;   /* malloc'd, NUL-terminated, never NULL after success ("" when none) */
	bool unterminated; /* a <think> opened and never closed */
} halo_think_split;

#define HALO_THINK_SPLIT_INIT { NULL, NULL, false }

/*
 * Splits `content` (`len` bytes; need not be NUL-terminated; NULL = empty)
 * into answer and reasoning. `reasoning_field` (NULL or "" = none) is the
 * reasoning the server returned separately; it comes first in `reasoning`,
 * followed by the text of any stray think block found in the content
 * (separated by a newline). The answer loses the whitespace that follows a
 * closing tag; otherwise it is the content byte for byte.
 *
 * Returns 0, or HALO_ENOMEM (out untouched). The caller frees the result
 * with halo_think_split_free().
 */
int halo_think_split_content(const char *content, size_t len, const char *reasoning_field,
			     halo_think_split *out);

void halo_think_split_free(halo_think_split *s);

#endif
