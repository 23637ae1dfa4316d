#include "eval/think.h"
#include "buf.h"
#include "error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define OPEN_TAG "<think>"
#define CLOSE_TAG "</think>"
#define OPEN_LEN (sizeof(OPEN_TAG) - 1)
#define CLOSE_LEN (sizeof(CLOSE_TAG) - 1)

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Appends a reasoning piece, a newline between pieces. */
static int add_reasoning(halo_buf *r, const char *p, size_t n)
{
	if (r->len && n && halo_buf_add(r, "\n", 1))
		return -1;
	return n ? halo_buf_add(r, p, n) : 0;
}

int halo_think_split_content(const char *content, size_t len, const char *reasoning_field,
			     halo_think_split *out)
{
	/* The pieces are substrings of the inputs, so no cap beyond their size. */
	halo_buf r = HALO_BUF_INIT;
	const char *p = content ? content : "", *end = p + (content ? len : 0);
	bool unterminated = false, any_block = false;

	r.cap = SIZE_MAX - 1;
	if (reasoning_field && *reasoning_field && halo_buf_adds(&r, reasoning_field))
		goto oom;

	/* Leading <think>…</think> blocks (a model may open more than one). */
	for (;;) {
		const char *q = skip_space(p, end);
		if ((size_t)(end - q) < OPEN_LEN || memcmp(q, OPEN_TAG, OPEN_LEN) != 0)
			break;
		q += OPEN_LEN;
		const char *close = memmem(q, (size_t)(end - q), CLOSE_TAG, CLOSE_LEN);
		any_block = true;
		if (!close) {
			if (add_reasoning(&r, q, (size_t)(end - q)))
				goto oom;
			unterminated = true;
			p = end;
			break;
		}
		if (add_reasoning(&r, q, (size_t)(close - q)))
			goto oom;
		p = skip_space(close + CLOSE_LEN, end);
	}

	/* The template opened the block in the prompt: a close with no open before it. */
	if (!any_block) {
		const char *close = memmem(p, (size_t)(end - p), CLOSE_TAG, CLOSE_LEN);
		if (close) {
			const char *open = memmem(p, (size_t)(close - p), OPEN_TAG, OPEN_LEN);
			if (!open) {
				if (add_reasoning(&r, p, (size_t)(close - p)))
					goto oom;
				p = skip_space(close + CLOSE_LEN, end);
			}
		}
	}

	char *answer = malloc((size_t)(end - p) + 1);
	if (!answer)
		goto oom;
	memcpy(answer, p, (size_t)(end - p));
	answer[end - p] = '\0';
	char *reasoning = halo_buf_detach(&r);
	if (!reasoning) {
		free(answer);
		goto oom;
	}
	out->answer = answer;
	out->reasoning = reasoning;
	out->unterminated = unterminated;
	return 0;
oom:
	halo_buf_free(&r);
	return halo_error_set(HALO_ENOMEM, "thinking split: out of memory");
}

void halo_think_split_free(halo_think_split *s)
{
	if (!s)
		return;
	free(s->answer);
	free(s->reasoning);
	s->answer = s->reasoning = NULL;
	s->unterminated = false;
}
