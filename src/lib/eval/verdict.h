/*
 * The failure taxonomy shared by every scorer and report.
 *
 * A sample ends in exactly one outcome. PASS and WRONG are judgements of the
 * model's answer; the others say why it could not be judged correct:
 *   INFRA     the harness or server failed (connection, HTTP 5xx, sandbox could not start)
 *   TIMEOUT   the request or the sandboxed program ran out of time
 *   TRUNCATED finish_reason=length, or a thinking block that never closed
 *   PARSE     no usable answer could be extracted (no code, malformed call)
 * Order matters for reports only; values are stored in the results database,
 * so never renumber.
 */
#ifndef HALO_EVAL_VERDICT_H
#define HALO_EVAL_VERDICT_H

typedef enum halo_outcome {
	HALO_OUTCOME_PASS = 0,
	HALO_OUTCOME_WRONG = 1,
	HALO_OUTCOME_PARSE = 2,
	HALO_OUTCOME_TRUNCATED = 3,
	HALO_OUTCOME_TIMEOUT = 4,
	HALO_OUTCOME_INFRA = 5,
	HALO_OUTCOME_N
} halo_outcome;

/* "pass", "wrong", "parse_error", "truncated", "timeout", "infra_error" */
const char *halo_outcome_name(halo_outcome o);
/* The inverse; returns -1 for an unknown name. */
int halo_outcome_from_name(const char *name);

#endif
