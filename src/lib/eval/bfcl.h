/*
 * BFCL v4 single-turn scoring (gorilla bfcl_eval at commit 6ea5797): request
 * building for both modes, decoding of the model's answer, the AST checker
 * and the relevance/irrelevance rules. docs/bfcl.md lists every known
 * deviation from the reference.
 *
 * Modes:
 *   HALO_BFCL_PROMPT  BFCL's default system prompt lists the functions as JSON;
 *                     the model answers `[func(a=1, b="x")]` (pycall.h parses it)
 *   HALO_BFCL_NATIVE  the functions go to OpenAI `tools` (names with '.' become
 *                     '_', types mapped to JSON Schema); the answer is the
 *                     message's tool_calls
 *
 * Everything here is reentrant (no global state): the eval runner may call it
 * from several threads. Strings returned through char ** are malloc'd and
 * owned by the caller (free()); halo_bfcl_decoded is released with
 * halo_bfcl_decoded_free().
 */
#ifndef HALO_EVAL_BFCL_H
#define HALO_EVAL_BFCL_H

#include "eval/dataset.h"
#include "eval/pycall.h"
#include "eval/verdict.h"

#include <stddef.h>

typedef enum halo_bfcl_category {
	HALO_BFCL_SIMPLE_PYTHON = 0,
	HALO_BFCL_SIMPLE_JAVA,
	HALO_BFCL_SIMPLE_JAVASCRIPT,
	HALO_BFCL_MULTIPLE,
	HALO_BFCL_PARALLEL,
	HALO_BFCL_PARALLEL_MULTIPLE,
	HALO_BFCL_IRRELEVANCE,
	HALO_BFCL_LIVE_SIMPLE,
	HALO_BFCL_LIVE_MULTIPLE,
	HALO_BFCL_LIVE_PARALLEL,
	HALO_BFCL_LIVE_PARALLEL_MULTIPLE,
	HALO_BFCL_LIVE_IRRELEVANCE,
	HALO_BFCL_LIVE_RELEVANCE,
	HALO_BFCL_N_CATEGORIES
} halo_bfcl_category;

typedef enum halo_bfcl_scoring {
	HALO_BFCL_SCORE_AST = 0,     /* checked against possible_answer */
	HALO_BFCL_SCORE_IRRELEVANCE, /* pass = no call decoded */
	HALO_BFCL_SCORE_RELEVANCE,   /* pass = at least one call decoded */
} halo_bfcl_scoring;

typedef enum halo_bfcl_lang {
	HALO_BFCL_PYTHON = 0,
	HALO_BFCL_JAVA,
	HALO_BFCL_JAVASCRIPT,
} halo_bfcl_lang;

typedef enum halo_bfcl_mode {
	HALO_BFCL_PROMPT = 0,
	HALO_BFCL_NATIVE,
} halo_bfcl_mode;

/* "simple_python", ..., "live_relevance"; NULL when out of range. */
const char *halo_bfcl_category_name(halo_bfcl_category c);
/* From a name ("live_simple") or a record id ("live_simple_12-3-0", as the
 * reference: everything before the last '_'); -1 if unknown. */
int halo_bfcl_category_from_name(const char *name);
int halo_bfcl_category_from_id(const char *id);
halo_bfcl_scoring halo_bfcl_category_scoring(halo_bfcl_category c);
halo_bfcl_lang halo_bfcl_category_lang(halo_bfcl_category c);
/* Dataset file names relative to the datasets folder:
 * "bfcl/BFCL_v4_<name>.json" and "bfcl/possible_answer/BFCL_v4_<name>.json"
 * (NULL for the irrelevance/relevance categories, which have none). */
const char *halo_bfcl_question_file(halo_bfcl_category c);
const char *halo_bfcl_answer_file(halo_bfcl_category c);

/*
 * The request for one BFCL question record (question_json, function_json and
 * id of a HALO_DATASET_BFCL record). *messages_json receives the first turn's
 * messages as a JSON array: in PROMPT mode with BFCL's system prompt (merged
 * into an existing system message, as the reference does); in NATIVE mode as
 * they are, with *tools_json the OpenAI tools array. In PROMPT mode
 * *tools_json is NULL. The function docs get the reference's
 * language-specific hints first (Java/JS parameter types become "string").
 */
int halo_bfcl_build_request(const halo_dataset_record *record, halo_bfcl_mode mode,
			    char **messages_json, char **tools_json);

/* The system prompt alone (PROMPT mode) for a function_json array. */
int halo_bfcl_system_prompt(halo_bfcl_category c, const char *function_json, char **out);

/* A decoded answer. */
typedef struct halo_bfcl_decoded {
	int ok;             /* 1: calls holds what the reference's decoder returns */
	int wrong_format;   /* decoded but not [{name: {args}}] (ast_decoder:decoder_wrong_output_format) */
	int attempted;      /* the answer looks like a call attempt (strict irrelevance) */
	halo_pycall_list *calls; /* when ok (possibly empty) */
	char error[256];    /* why decoding failed */
} halo_bfcl_decoded;

void halo_bfcl_decoded_free(halo_bfcl_decoded *d); /* zeroes; safe on a zeroed one */

/*
 * Decodes a prompt-mode answer (the assistant content, reasoning removed) as
 * the reference's default_decode_ast_prompting for `lang`. Never fails on bad
 * text (that is d->ok = 0 with d->error); returns HALO_ENOMEM/HALO_EUSAGE only.
 */
int halo_bfcl_decode_prompt(halo_bfcl_lang lang, const char *text, size_t len, halo_bfcl_decoded *d);

/*
 * Decodes a native answer: tool_calls_json is the message's "tool_calls"
 * array (OpenAI: [{"function": {"name": ..., "arguments": "<json>"}}]) or
 * NULL when the message had none; then, as the reference, the content is
 * what was returned and only an empty content decodes (to no calls).
 */
int halo_bfcl_decode_native(const char *tool_calls_json, const char *content, halo_bfcl_decoded *d);

/*
 * Offline: one line of a BFCL result file, {"id": "...", "result": ...}.
 * *id receives the id; the result is decoded as the reference does for a
 * prompting model (a string) or a function-calling model (a list of
 * {name: "<arguments json>"} objects). mode says which kind of model wrote
 * the file (a string result from a NATIVE model is its text content).
 */
int halo_bfcl_decode_result_line(const char *line, size_t len, halo_bfcl_lang lang, halo_bfcl_mode mode,
				 char **id, halo_bfcl_decoded *d);

typedef struct halo_bfcl_verdict {
	halo_outcome outcome;        /* reference-compatible: PASS, WRONG or PARSE */
	halo_outcome strict_outcome; /* irrelevance: a malformed call attempt fails (PARSE); else = outcome */
	char error_type[64];         /* BFCL's name, e.g. "type_error:simple"; "" on PASS */
	char detail[256];            /* a short human-readable reason */
} halo_bfcl_verdict;

/*
 * Scores a decoded answer for a record of category c. function_json is the
 * record's function array, ground_truth_json the possible_answer record's
 * ground_truth (NULL for irrelevance/relevance). mode matters for names: in
 * NATIVE mode the expected names have '.' replaced by '_' as the reference
 * does for OpenAI-style models. Returns 0 (the verdict is filled) or a
 * negative code for malformed dataset JSON / out of memory.
 */
int halo_bfcl_check(halo_bfcl_category c, halo_bfcl_mode mode, const char *function_json,
		    const char *ground_truth_json, const halo_bfcl_decoded *d, halo_bfcl_verdict *v);

/*
 * Test/oracle helpers: render an answer from a ground_truth JSON (the first
 * acceptable value of every parameter; parameters whose list holds "" are
 * omitted), as prompt-mode text or as an OpenAI tool_calls array. For Java
 * and JavaScript, values are written in that language's syntax (as strings
 * in NATIVE mode). Caller frees *out.
 */
int halo_bfcl_render_answer(halo_bfcl_category c, halo_bfcl_mode mode, const char *function_json,
			    const char *ground_truth_json, char **out);

/* Python's json.dumps(value, indent=indent) (indent < 0: no indent) with
 * ensure_ascii, as the reference writes function docs into the prompt. */
int halo_bfcl_py_json_dumps(const struct json_t *j, int indent, char **out);

#endif
