/*
 * Aggregating stored samples into a report (report.h). Details are read back
 * from each sample's detail_json, written by the benchmark adapters
 * (benchmark.h); a sample whose detail is missing or unreadable counts as
 * failed in every metric rather than being skipped.
 */
#include "eval/report.h"

#include "error.h"
#include "eval/evalplus.h"
#include "eval/verdict.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Per task counters, for pass@k: keyed by "benchmark\ttask". */
struct task_count {
	char *key;
	unsigned n, base, plus;
};

struct agg {
	json_t *benches;   /* name -> object of counters, finalised at the end */
	struct task_count *tasks;
	size_t n_tasks, cap_tasks;
	long long prompt_tokens, completion_tokens, reasoning_tokens;
	double request_s;
	size_t samples;
	size_t outcomes[HALO_OUTCOME_N];
	int error;
};

static json_t *obj_child(json_t *o, const char *k)
{
	json_t *c = json_object_get(o, k);
	if (!c) {
		c = json_object();
		json_object_set_new(o, k, c);
	}
	return c;
}

static void inc(json_t *o, const char *k, long long by)
{
	json_t *v = json_object_get(o, k);
	json_object_set_new(o, k, json_integer((v ? json_integer_value(v) : 0) + by));
}

static struct task_count *task_slot(struct agg *a, const char *bench, const char *task)
{
	char key[1024];
	snprintf(key, sizeof(key), "%s\t%s", bench, task ? task : "");
	/* runs are at most a few thousand tasks: a linear probe from the end is
	 * fast because samples of one task are stored close together */
	for (size_t i = a->n_tasks; i-- > 0;)
		if (!strcmp(a->tasks[i].key, key))
			return &a->tasks[i];
	if (a->n_tasks == a->cap_tasks) {
		size_t ncap = a->cap_tasks ? a->cap_tasks * 2 : 256;
		struct task_count *nt = realloc(a->tasks, ncap * sizeof(*nt));
		if (!nt)
			return NULL;
		a->tasks = nt;
		a->cap_tasks = ncap;
	}
	struct task_count *t = &a->tasks[a->n_tasks];
	memset(t, 0, sizeof(*t));
	if (!(t->key = strdup(key)))
		return NULL;
	a->n_tasks++;
	return t;
}

static int add_row(const halo_sample_row *row, void *ud)
{
	struct agg *a = ud;
	const char *bench = row->benchmark ? row->benchmark : "?";
	json_t *b = obj_child(a->benches, bench);
	json_t *detail = row->detail_json ? json_loads(row->detail_json, 0, NULL) : NULL;
	int outcome = row->outcome >= 0 && row->outcome < HALO_OUTCOME_N ? row->outcome : HALO_OUTCOME_INFRA;

	a->samples++;
	a->outcomes[outcome]++;
	if (row->prompt_tokens > 0)
		a->prompt_tokens += row->prompt_tokens;
	if (row->completion_tokens > 0)
		a->completion_tokens += row->completion_tokens;
	if (row->reasoning_tokens > 0)
		a->reasoning_tokens += row->reasoning_tokens;
	if (row->total_s > 0)
		a->request_s += row->total_s;
	inc(b, "samples", 1);
	inc(obj_child(b, "outcomes"), halo_outcome_name((halo_outcome)outcome), 1);
	if (row->completion_tokens > 0)
		inc(b, "completion_tokens", row->completion_tokens);

	if (!strcmp(bench, "humaneval") || !strcmp(bench, "mbpp")) {
		struct task_count *t = task_slot(a, bench, row->task_id);
		if (!t) {
			json_decref(detail);
			return a->error = halo_error_set(HALO_ENOMEM, "out of memory");
		}
		t->n++;
		t->base += json_is_true(json_object_get(detail, "base"));
		t->plus += json_is_true(json_object_get(detail, "plus"));
	} else if (!strcmp(bench, "ifeval")) {
		int strict = json_is_true(json_object_get(detail, "strict"));
		int loose = json_is_true(json_object_get(detail, "loose"));
		inc(b, "prompt_strict_pass", strict);
		inc(b, "prompt_loose_pass", loose);
		json_t *per = obj_child(b, "instructions");
		json_t *ins = json_object_get(detail, "instructions");
		size_t i;
		json_t *v;
		json_array_foreach(ins, i, v) {
			const char *id = json_string_value(json_object_get(v, "id"));
			if (!id)
				continue;
			json_t *c = obj_child(per, id);
			inc(c, "n", 1);
			inc(c, "strict", json_is_true(json_object_get(v, "strict")));
			inc(c, "loose", json_is_true(json_object_get(v, "loose")));
			inc(b, "instructions_n", 1);
			inc(b, "instructions_strict_pass", json_is_true(json_object_get(v, "strict")));
			inc(b, "instructions_loose_pass", json_is_true(json_object_get(v, "loose")));
		}
	} else if (!strcmp(bench, "bfcl")) {
		const char *cat = row->category ? row->category : "?";
		json_t *c = obj_child(obj_child(b, "categories"), cat);
		inc(c, "n", 1);
		inc(c, "pass", outcome == HALO_OUTCOME_PASS);
		/* strict: a malformed call attempt fails irrelevance too */
		json_t *strict = json_object_get(detail, "strict");
		inc(c, "strict_pass", strict ? json_is_true(strict) : outcome == HALO_OUTCOME_PASS);
	}
	json_decref(detail);
	return 0;
}

static double ratio(long long a, long long b)
{
	return b > 0 ? (double)a / (double)b : 0.0;
}

static void finish_evalplus(struct agg *a, const char *name, json_t *b)
{
	unsigned min_n = 0, max_n = 0;
	size_t tasks = 0;
	for (size_t i = 0; i < a->n_tasks; i++) {
		size_t len = strlen(name);
		if (strncmp(a->tasks[i].key, name, len) || a->tasks[i].key[len] != '\t')
			continue;
		unsigned n = a->tasks[i].n;
		if (!tasks || n < min_n)
			min_n = n;
		if (n > max_n)
			max_n = n;
		tasks++;
	}
	json_object_set_new(b, "tasks", json_integer((json_int_t)tasks));
	static const unsigned ks[] = { 1, 5, 10, 100 };
	json_t *base = json_object(), *plus = json_object();
	for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
		unsigned k = ks[ki];
		/* as evalplus: pass@k is reported only when every task has >= k samples */
		if (!tasks || min_n < k)
			continue;
		double sb = 0, sp = 0;
		for (size_t i = 0; i < a->n_tasks; i++) {
			size_t len = strlen(name);
			if (strncmp(a->tasks[i].key, name, len) || a->tasks[i].key[len] != '\t')
				continue;
			sb += halo_pass_at_k(a->tasks[i].n, a->tasks[i].base, k);
			sp += halo_pass_at_k(a->tasks[i].n, a->tasks[i].plus, k);
		}
		char key[16];
		snprintf(key, sizeof(key), "pass@%u", k);
		json_object_set_new(base, key, json_real(sb / (double)tasks));
		json_object_set_new(plus, key, json_real(sp / (double)tasks));
	}
	json_object_set_new(b, "base", base);
	json_object_set_new(b, "plus", plus);
	json_object_set_new(b, "samples_per_task", json_integer(max_n));
}

static void finish_ifeval(json_t *b)
{
	long long n = json_integer_value(json_object_get(b, "samples"));
	long long ni = json_integer_value(json_object_get(b, "instructions_n"));
	json_object_set_new(b, "prompt_strict", json_real(ratio(json_integer_value(json_object_get(b, "prompt_strict_pass")), n)));
	json_object_set_new(b, "prompt_loose", json_real(ratio(json_integer_value(json_object_get(b, "prompt_loose_pass")), n)));
	json_object_set_new(b, "instruction_strict",
			    json_real(ratio(json_integer_value(json_object_get(b, "instructions_strict_pass")), ni)));
	json_object_set_new(b, "instruction_loose",
			    json_real(ratio(json_integer_value(json_object_get(b, "instructions_loose_pass")), ni)));
	const char *id;
	json_t *c;
	json_object_foreach(json_object_get(b, "instructions"), id, c) {
		long long cn = json_integer_value(json_object_get(c, "n"));
		json_object_set_new(c, "strict_accuracy", json_real(ratio(json_integer_value(json_object_get(c, "strict")), cn)));
		json_object_set_new(c, "loose_accuracy", json_real(ratio(json_integer_value(json_object_get(c, "loose")), cn)));
	}
}

static void finish_bfcl(json_t *b)
{
	const char *cat;
	json_t *c;
	double sum = 0, sum_strict = 0;
	size_t n = 0;
	json_object_foreach(json_object_get(b, "categories"), cat, c) {
		long long cn = json_integer_value(json_object_get(c, "n"));
		double acc = ratio(json_integer_value(json_object_get(c, "pass")), cn);
		double sacc = ratio(json_integer_value(json_object_get(c, "strict_pass")), cn);
		json_object_set_new(c, "accuracy", json_real(acc));
		json_object_set_new(c, "strict_accuracy", json_real(sacc));
		sum += acc;
		sum_strict += sacc;
		n++;
	}
	/* unweighted mean over the categories asked, as BFCL summarises groups */
	json_object_set_new(b, "accuracy", json_real(n ? sum / (double)n : 0));
	json_object_set_new(b, "strict_accuracy", json_real(n ? sum_strict / (double)n : 0));
}

int halo_eval_report(halo_results *db, int64_t run_id, json_t **out)
{
	halo_run run;
	struct agg a;
	int rc;

	*out = NULL;
	memset(&a, 0, sizeof(a));
	if ((rc = halo_results_run_get(db, run_id, &run)))
		return rc;
	a.benches = json_object();
	rc = halo_results_sample_each(db, run_id, add_row, &a);
	if (!rc && a.error)
		rc = a.error;
	if (rc)
		goto out;

	const char *name;
	json_t *b;
	json_object_foreach(a.benches, name, b) {
		long long n = json_integer_value(json_object_get(b, "samples"));
		long long pass = json_integer_value(json_object_get(json_object_get(b, "outcomes"), "pass"));
		json_object_set_new(b, "pass_rate", json_real(ratio(pass, n)));
		if (!strcmp(name, "humaneval") || !strcmp(name, "mbpp"))
			finish_evalplus(&a, name, b);
		else if (!strcmp(name, "ifeval"))
			finish_ifeval(b);
		else if (!strcmp(name, "bfcl"))
			finish_bfcl(b);
	}

	json_t *r = json_object();
	json_t *ri = json_object();
	json_object_set_new(ri, "id", json_integer(run.id));
	json_object_set_new(ri, "suite", json_string(run.suite ? run.suite : ""));
	json_object_set_new(ri, "server", run.server ? json_string(run.server) : json_null());
	json_object_set_new(ri, "model", run.model ? json_string(run.model) : json_null());
	json_object_set_new(ri, "fingerprint", run.fingerprint ? json_string(run.fingerprint) : json_null());
	json_object_set_new(ri, "status", json_string(run.status ? run.status : ""));
	json_object_set_new(ri, "created", json_real(run.created));
	json_object_set_new(ri, "updated", json_real(run.updated));
	json_object_set_new(ri, "halo_version", run.halo_version ? json_string(run.halo_version) : json_null());
	json_t *cfg = run.config_json ? json_loads(run.config_json, 0, NULL) : NULL;
	json_object_set_new(ri, "config", cfg ? cfg : json_null());
	json_object_set_new(r, "run", ri);
	json_object_set(r, "benchmarks", a.benches);
	json_t *f = json_object();
	for (int i = 0; i < HALO_OUTCOME_N; i++)
		json_object_set_new(f, halo_outcome_name((halo_outcome)i), json_integer((json_int_t)a.outcomes[i]));
	json_object_set_new(r, "outcomes", f);
	json_t *t = json_object();
	json_object_set_new(t, "samples", json_integer((json_int_t)a.samples));
	json_object_set_new(t, "prompt_tokens", json_integer(a.prompt_tokens));
	json_object_set_new(t, "completion_tokens", json_integer(a.completion_tokens));
	json_object_set_new(t, "reasoning_tokens", json_integer(a.reasoning_tokens));
	json_object_set_new(t, "request_seconds", json_real(a.request_s));
	json_object_set_new(r, "totals", t);
	*out = r;
out:
	for (size_t i = 0; i < a.n_tasks; i++)
		free(a.tasks[i].key);
	free(a.tasks);
	json_decref(a.benches);
	halo_run_free(&run);
	return rc;
}
