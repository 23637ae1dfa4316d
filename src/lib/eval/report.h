/*
 * A run's report, computed from the results database alone (so `halo eval
 * show` works for any stored run, finished or not): scores per benchmark
 * with their own metrics (evalplus base/plus pass@k, IFEval's four
 * accuracies and per-instruction breakdown, BFCL per category), the failure
 * taxonomy, and token and time totals.
 *
 * The JSON layout is documented in docs/eval.md. Ownership: *out is a new
 * reference the caller releases with json_decref().
 */
#ifndef HALO_EVAL_REPORT_H
#define HALO_EVAL_REPORT_H

#include <jansson.h>
#include <stdint.h>

#include "eval/results.h"

int halo_eval_report(halo_results *db, int64_t run_id, json_t **out);

#endif
