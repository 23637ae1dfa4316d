/*
 * Writes answer scripts for the oracle server (tests/tools/oracle_server.py)
 * from the pinned datasets: what a perfect model would answer.
 *
 *   mkanswers DATA_DIR humaneval|mbpp [wrong]
 *       each task's canonical solution in a fenced python block, matched by
 *       the task's prompt; with `wrong` (HumanEval+ only), the function
 *       body starts with `return None`, so every task must fail.
 *   mkanswers DATA_DIR bfcl native|prompt [CATEGORY,...]
 *       each question's ground truth rendered as tool calls (native) or as
 *       `[f(a=1)]` text (prompt), matched by the question's user turn;
 *       irrelevance questions get a plain sentence, live_relevance a call to
 *       the first function. Entries carry the function names as "context",
 *       so questions sharing a user text but offered other functions get
 *       their own answer. Each entry lists the question ids it answers
 *       ("ids"); questions with the same text and functions share an entry
 *       when their answers agree, and when they differ (the oracle could not
 *       tell them apart) they are reported on stderr and left out, counted
 *       as "skipped N" on the last line of stderr.
 *
 * One JSON object per line on stdout.
 */
#include "error.h"
#include "eval/benchmark.h"
#include "eval/bfcl.h"
#include "eval/dataset.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *data_dir;

static void die(const char *what)
{
	fprintf(stderr, "mkanswers: %s: %s\n", what, halo_error_last()->message);
	exit(1);
}

static void emit(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	puts(s);
	free(s);
	json_decref(o);
}

struct code_ctx {
	int wrong;
	int mbpp;
};

static int code_record(const halo_dataset_record *r, void *ud)
{
	struct code_ctx *c = ud;
	size_t n = strlen(r->canonical_solution) + strlen(r->prompt) + 64;
	char *code = malloc(n);
	if (c->mbpp)
		snprintf(code, n, "%s", r->canonical_solution);
	else /* wrong: the body returns None first, the canonical lines become dead code */
		snprintf(code, n, "%s%s%s", r->prompt, c->wrong ? "    return None\n" : "", r->canonical_solution);
	size_t m = strlen(code) + 32;
	char *content = malloc(m);
	snprintf(content, m, "```python\n%s\n```", code);
	/* evalplus sends the prompt stripped of surrounding whitespace */
	const char *p = r->prompt;
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	size_t plen = strlen(p);
	while (plen && (p[plen - 1] == ' ' || p[plen - 1] == '\n' || p[plen - 1] == '\t' || p[plen - 1] == '\r'))
		plen--;
	json_t *e = json_pack("{s:s%, s:s, s:s}", "match", p, plen, "content", content, "id", r->id);
	emit(e);
	free(code);
	free(content);
	return 0;
}

struct bfcl_q {
	char *id, *user, *functions;
	char *names; /* the function names, sorted, one per line: with user, what tells questions apart */
	halo_bfcl_category cat;
};

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char *function_names(const char *function_json)
{
	json_t *fns = json_loads(function_json, 0, NULL);
	size_t n = json_array_size(fns), len = 1;
	const char **names = calloc(n ? n : 1, sizeof(*names));
	for (size_t i = 0; i < n; i++) {
		names[i] = json_string_value(json_object_get(json_array_get(fns, i), "name"));
		if (!names[i])
			names[i] = "";
		len += strlen(names[i]) + 1;
	}
	qsort(names, n, sizeof(*names), cmp_cstr);
	char *out = calloc(1, len);
	for (size_t i = 0; i < n; i++) {
		strcat(out, names[i]);
		strcat(out, "\n");
	}
	free(names);
	json_decref(fns);
	return out;
}

struct bfcl_ctx {
	struct bfcl_q *qs;
	size_t n, cap;
	halo_bfcl_category cat;
};

static char *first_user_text(const char *question_json)
{
	json_t *q = json_loads(question_json, 0, NULL);
	json_t *turn = json_array_get(q, 0);
	char *text = NULL;
	size_t i;
	json_t *m;
	json_array_foreach(turn, i, m) {
		const char *role = json_string_value(json_object_get(m, "role"));
		const char *c = json_string_value(json_object_get(m, "content"));
		if (role && c && !strcmp(role, "user")) {
			free(text);
			text = strdup(c); /* the oracle joins user turns; the last is the most specific */
		}
	}
	json_decref(q);
	return text;
}

static int bfcl_record(const halo_dataset_record *r, void *ud)
{
	struct bfcl_ctx *c = ud;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->qs = realloc(c->qs, c->cap * sizeof(*c->qs));
	}
	char *user = first_user_text(r->question_json);
	c->qs[c->n++] = (struct bfcl_q){ strdup(r->id), user ? user : strdup(""), strdup(r->function_json),
					 function_names(r->function_json), c->cat };
	return 0;
}

struct gt_ctx {
	const char *id;
	char *gt;
};

static int find_gt(const halo_dataset_record *r, void *ud)
{
	struct gt_ctx *g = ud;
	if (!strcmp(r->id, g->id)) {
		g->gt = strdup(r->ground_truth_json);
		return 1;
	}
	return 0;
}

static int do_bfcl(halo_bfcl_mode mode, const char *cats)
{
	struct bfcl_ctx c = { 0 };
	char path[4096];
	for (int k = 0; k < HALO_BFCL_N_CATEGORIES; k++) {
		if (cats && !halo_list_has(cats, halo_bfcl_category_name((halo_bfcl_category)k)))
			continue;
		c.cat = (halo_bfcl_category)k;
		snprintf(path, sizeof(path), "%s/%s", data_dir, halo_bfcl_question_file(c.cat));
		if (halo_dataset_load(path, HALO_DATASET_BFCL, NULL, bfcl_record, &c, NULL))
			die(path);
	}
	/* every question's answer entry first (without "match"), then one entry
	 * per distinct user text: duplicates that would get the same answer share
	 * it, those that would not are left out */
	json_t **entries = calloc(c.n ? c.n : 1, sizeof(*entries));
	for (size_t i = 0; i < c.n; i++) {
		struct bfcl_q *q = &c.qs[i];
		json_t *o = json_object();
		halo_bfcl_scoring sc = halo_bfcl_category_scoring(q->cat);
		if (sc == HALO_BFCL_SCORE_IRRELEVANCE) {
			json_object_set_new(o, "content", json_string("None of the given functions can answer that."));
		} else {
			char *gt = NULL;
			if (sc == HALO_BFCL_SCORE_RELEVANCE) {
				/* any call is relevant: call the first function with no arguments */
				json_t *fns = json_loads(q->functions, 0, NULL);
				const char *name = json_string_value(json_object_get(json_array_get(fns, 0), "name"));
				json_t *g = json_pack("[{s:{}}]", name ? name : "f");
				gt = json_dumps(g, JSON_COMPACT);
				json_decref(g);
				json_decref(fns);
			} else {
				struct gt_ctx g = { q->id, NULL };
				snprintf(path, sizeof(path), "%s/%s", data_dir, halo_bfcl_answer_file(q->cat));
				if (halo_dataset_load(path, HALO_DATASET_BFCL_ANSWER, NULL, find_gt, &g, NULL) < 0 || !g.gt)
					die(q->id);
				gt = g.gt;
			}
			char *ans = NULL;
			if (halo_bfcl_render_answer(q->cat, mode, q->functions, gt, &ans))
				die(q->id);
			if (mode == HALO_BFCL_NATIVE) {
				/* render gives OpenAI tool_calls; the oracle takes [{name, arguments}] */
				json_t *tc = json_loads(ans, 0, NULL), *out = json_array();
				size_t k;
				json_t *v;
				json_array_foreach(tc, k, v) {
					json_t *fn = json_object_get(v, "function");
					if (!fn)
						fn = v;
					json_array_append_new(out, json_pack("{s:O, s:O}", "name", json_object_get(fn, "name"),
									     "arguments", json_object_get(fn, "arguments")));
				}
				json_object_set_new(o, "tool_calls", out);
				json_decref(tc);
			} else {
				json_object_set_new(o, "content", json_string(ans));
			}
			free(ans);
			free(gt);
		}
		entries[i] = o;
	}
	size_t skipped = 0;
	for (size_t i = 0; i < c.n; i++) {
		int first = 1, same = 1;
		for (size_t j = 0; j < c.n; j++) {
			if (j == i || strcmp(c.qs[j].user, c.qs[i].user) || strcmp(c.qs[j].names, c.qs[i].names))
				continue;
			if (j < i)
				first = 0;
			if (!json_equal(entries[j], entries[i]))
				same = 0;
		}
		if (!same) {
			fprintf(stderr, "mkanswers: same question text, different answers: %s\n", c.qs[i].id);
			skipped++;
			continue;
		}
		if (!first)
			continue;
		json_t *ids = json_array();
		for (size_t j = 0; j < c.n; j++)
			if (!strcmp(c.qs[j].user, c.qs[i].user) && !strcmp(c.qs[j].names, c.qs[i].names))
				json_array_append_new(ids, json_string(c.qs[j].id));
		json_t *e = json_deep_copy(entries[i]); /* entries[] stay as compared */
		json_object_set_new(e, "match", json_string(c.qs[i].user));
		/* the function names tell apart questions that share their text */
		json_t *ctx = json_array();
		for (char *p = c.qs[i].names, *nl; (nl = strchr(p, '\n')); p = nl + 1)
			json_array_append_new(ctx, json_stringn(p, (size_t)(nl - p)));
		json_object_set_new(e, "context", ctx);
		json_object_set_new(e, "ids", ids);
		emit(e);
	}
	for (size_t i = 0; i < c.n; i++)
		json_decref(entries[i]);
	free(entries);
	fprintf(stderr, "skipped %zu\n", skipped);
	for (size_t i = 0; i < c.n; i++) {
		free(c.qs[i].id);
		free(c.qs[i].user);
		free(c.qs[i].functions);
		free(c.qs[i].names);
	}
	free(c.qs);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: mkanswers DATA_DIR humaneval|mbpp [wrong] | bfcl native|prompt [CATS]\n");
		return 2;
	}
	data_dir = argv[1];
	char path[4096];
	if (!strcmp(argv[2], "humaneval") || !strcmp(argv[2], "mbpp")) {
		struct code_ctx c = { argc > 3 && !strcmp(argv[3], "wrong"), !strcmp(argv[2], "mbpp") };
		const halo_dataset_file *f = halo_dataset_find(c.mbpp ? "mbpp-plus" : "humaneval-plus");
		snprintf(path, sizeof(path), "%s/%s", data_dir, f->path);
		if (halo_dataset_load(path, c.mbpp ? HALO_DATASET_MBPP : HALO_DATASET_HUMANEVAL, NULL, code_record, &c,
				      NULL))
			die(path);
		return 0;
	}
	if (!strcmp(argv[2], "bfcl") && argc >= 4)
		return do_bfcl(!strcmp(argv[3], "native") ? HALO_BFCL_NATIVE : HALO_BFCL_PROMPT, argc > 4 ? argv[4] : NULL);
	fprintf(stderr, "mkanswers: unknown benchmark '%s'\n", argv[2]);
	return 2;
}
