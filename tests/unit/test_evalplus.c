/*
 * HumanEval+/MBPP+ (src/lib/eval/evalplus.c): the pure parts (pass@k, prompt,
 * extraction, reply parsing) and real python3 through the real sandbox: every
 * canonical solution passes base and plus, wrong / base-only / sleeping /
 * forging / entry-point-less samples are caught.
 *
 * The ground truth is cached where the e2e tests and halo itself keep it
 * ($HALO_EVAL_CACHE/evalplus, else ~/.cache/halo/evalplus; keyed by dataset
 * SHA-256 and worker version), so one computation serves both build trees,
 * the e2e tests and later runs.
 */
#include "testutil.h"

#include "error.h"
#include "paths.h"
#include "eval/evalplus.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void test_pass_at_k(void **state)
{
	(void)state;
	assert_true(fabs(halo_pass_at_k(10, 3, 1) - 0.3) < 1e-12);
	/* 1 - C(7,5)/C(10,5) = 1 - 21/252 */
	assert_true(fabs(halo_pass_at_k(10, 3, 5) - (1.0 - 21.0 / 252.0)) < 1e-12);
	assert_true(halo_pass_at_k(10, 3, 10) == 1.0);
	assert_true(halo_pass_at_k(10, 0, 1) == 0.0);
	assert_true(halo_pass_at_k(10, 10, 1) == 1.0);
	assert_true(fabs(halo_pass_at_k(1, 1, 1) - 1.0) < 1e-12);
	/* 1 - C(190,10)/C(200,10) via lgamma */
	double ref = 1.0 - exp(lgamma(191) - lgamma(11) - lgamma(181) - (lgamma(201) - lgamma(11) - lgamma(191)));
	assert_true(fabs(halo_pass_at_k(200, 10, 10) - ref) < 1e-9);
	assert_true(isnan(halo_pass_at_k(10, 3, 0)));
	assert_true(isnan(halo_pass_at_k(10, 3, 11)));
	assert_true(isnan(halo_pass_at_k(10, 11, 1)));
}

static void test_messages(void **state)
{
	char *json = NULL;
	(void)state;
	assert_int_equal(halo_evalplus_prompt_messages("\n\ndef f(x):\n    \"\"\"doc\"\"\"\n\n", &json), 0);
	assert_string_equal(json,
			    "[{\"role\":\"user\",\"content\":\"Please provide a self-contained Python script that "
			    "solves the following problem in a markdown code block:\\n```python\\ndef f(x):\\n    "
			    "\\\"\\\"\\\"doc\\\"\\\"\\\"\\n```\"}]");
	free(json);
}

static char *ex(const char *answer, const char *ep, int want_rc)
{
	char *code = NULL;
	int rc = halo_evalplus_extract(answer, strlen(answer), ep, &code);
	assert_int_equal(rc, want_rc);
	if (want_rc != 0)
		assert_null(code);
	return code;
}

static void test_extract(void **state)
{
	char *c;
	(void)state;
	/* prose around one python fence */
	c = ex("Sure! Here it is:\n```python\ndef add(a, b):\n    return a + b\n```\nHope it helps.", "add", 0);
	assert_string_equal(c, "def add(a, b):\n    return a + b\n");
	free(c);
	/* ```py and a usage block after: the block defining the entry point wins */
	c = ex("```py\nimport math\ndef f(x):\n    return math.sqrt(x)\n```\nUsage:\n```python\nprint(f(4))\nprint(f(9))\nprint(f(16))\nprint(1)\n```\n",
	       "f", 0);
	assert_string_equal(c, "import math\ndef f(x):\n    return math.sqrt(x)\n");
	free(c);
	/* bare fence; a longer second definition wins over the first */
	c = ex("First try:\n```\ndef g():\n    return 1\n```\nBetter:\n```\ndef g():\n    x = 2\n    return x\n```\n", "g", 0);
	assert_string_equal(c, "def g():\n    x = 2\n    return x\n");
	free(c);
	/* a bash block defining nothing, tilde fence, CRLF line ends */
	c = ex("```bash\npip install x\n```\r\n~~~python\r\nclass Solver:\r\n    pass\r\ndef solve(n):\r\n    return n\r\n~~~\r\n", "solve", 0);
	assert_string_equal(c, "class Solver:\n    pass\ndef solve(n):\n    return n\n");
	free(c);
	/* fence indented inside a list: content de-indented as CommonMark does */
	c = ex("1. Code:\n   ```python\n   def h(x):\n       return x\n   ```\n", "h", 0);
	assert_string_equal(c, "def h(x):\n    return x\n");
	free(c);
	/* no fence at all: the whole answer goes to the worker (longest parsable run) */
	c = ex("The function:\ndef k(n):\n    return n * 2\nThat is all.", "k", 0);
	assert_string_equal(c, "The function:\ndef k(n):\n    return n * 2\nThat is all.");
	free(c);
	/* unclosed fence (answer cut short) runs to the end */
	c = ex("```python\ndef u():\n    return 3\n", "u", 0);
	assert_string_equal(c, "def u():\n    return 3\n");
	free(c);
	/* the entry point only as a method, a call or a prefix of another name: nothing to run */
	ex("```python\nclass A:\n    def m(self):\n        return 1\n```\n", "m", 1);
	ex("```python\nprint(add(1, 2))\n```\n", "add", 1);
	ex("```python\ndef add_two(a):\n    return a\n```\n", "add", 1);
	ex("no code here", "add", 1);
	/* assignment and async definitions count */
	c = ex("```python\nsq = lambda x: x * x\n```", "sq", 0);
	free(c);
	c = ex("```python\nasync def co():\n    return 1\n```", "co", 0);
	free(c);
	/* the thinking was removed upstream; a fake fence in prose is not a block */
	c = ex("Use ``` fences. ```python def no(): pass```\n```python\ndef yes():\n    return 1\n```", "yes", 0);
	assert_string_equal(c, "def yes():\n    return 1\n");
	free(c);
}

static void test_parse_reply(void **state)
{
	halo_evalplus_verdict v;
	const char *nonce = "00112233445566778899aabbccddeeff";
	char buf[1024];
	(void)state;

	snprintf(buf, sizeof(buf),
		 "HALO-EVALPLUS-REPLY fake {\"status\":\"ok\",\"base\":{\"status\":\"pass\"},\"plus\":{\"status\":\"pass\"}}\n"
		 "HALO-EVALPLUS-REPLY %s {\"status\":\"ok\",\"base\":{\"status\":\"pass\",\"n\":3,\"fail\":-1},"
		 "\"plus\":{\"status\":\"fail\",\"n\":9,\"fail\":4,\"detail\":\"input 4: output differs\"}}\n",
		 nonce);
	assert_int_equal(halo_evalplus_parse_reply(buf, strlen(buf), nonce, &v), 0);
	assert_int_equal(v.outcome, HALO_OUTCOME_WRONG);
	assert_int_equal(v.base_pass, 1);
	assert_int_equal(v.plus_pass, 0);
	assert_int_equal(v.fail_phase, 2);
	assert_int_equal(v.fail_index, 4);
	assert_string_equal(v.detail, "input 4: output differs");
	halo_evalplus_verdict_free(&v);

	/* two replies with the nonce: tampered, no verdict */
	snprintf(buf, sizeof(buf), "HALO-EVALPLUS-REPLY %s {\"status\":\"parse\"}\nHALO-EVALPLUS-REPLY %s {\"status\":\"parse\"}\n",
		 nonce, nonce);
	assert_int_equal(halo_evalplus_parse_reply(buf, strlen(buf), nonce, &v), HALO_EFORMAT);
	/* only a wrong nonce */
	snprintf(buf, sizeof(buf), "HALO-EVALPLUS-REPLY 0011 {\"status\":\"ok\",\"base\":{\"status\":\"pass\"},\"plus\":{\"status\":\"pass\"}}\n");
	assert_int_equal(halo_evalplus_parse_reply(buf, strlen(buf), nonce, &v), HALO_EFORMAT);
	/* malformed JSON, unknown status, missing plus */
	snprintf(buf, sizeof(buf), "HALO-EVALPLUS-REPLY %s {\"status\":\n", nonce);
	assert_int_equal(halo_evalplus_parse_reply(buf, strlen(buf), nonce, &v), HALO_EFORMAT);
	snprintf(buf, sizeof(buf), "HALO-EVALPLUS-REPLY %s {\"status\":\"great\"}\n", nonce);
	assert_int_equal(halo_evalplus_parse_reply(buf, strlen(buf), nonce, &v), HALO_EFORMAT);
	snprintf(buf, sizeof(buf), "HALO-EVALPLUS-REPLY %s {\"status\":\"ok\",\"base\":{\"status\":\"pass\"}}\n", nonce);
	assert_int_equal(halo_evalplus_parse_reply(buf, strlen(buf), nonce, &v), HALO_EFORMAT);
	/* timeout in base, with the sanitized code */
	snprintf(buf, sizeof(buf), "noise\nHALO-EVALPLUS-REPLY %s {\"status\":\"ok\",\"code\":\"def f(): pass\",\"base\":{\"status\":\"timeout\",\"fail\":0,\"detail\":\"slow\\n\"}}",
		 nonce);
	assert_int_equal(halo_evalplus_parse_reply(buf, strlen(buf), nonce, &v), 0);
	assert_int_equal(v.outcome, HALO_OUTCOME_TIMEOUT);
	assert_int_equal(v.fail_phase, 1);
	assert_string_equal(v.code, "def f(): pass");
	assert_string_equal(v.detail, "slow ");
	halo_evalplus_verdict_free(&v);
}

/* ---- real python3 through the sandbox ----------------------------------- */

static const char *cache_dir(void)
{
	static char dir[4096];
	const char *base = getenv("HALO_EVAL_CACHE");
	if (base && *base)
		snprintf(dir, sizeof(dir), "%s/evalplus", base);
	else
		assert_int_equal(halo_user_path(HALO_DIR_CACHE, "evalplus", dir, sizeof(dir)), 0);
	return dir;
}

static halo_evalplus *open_ds(halo_dataset_kind kind, const char *rel)
{
	halo_evalplus_opts o = HALO_EVALPLUS_OPTS_INIT;
	halo_evalplus *h = NULL;
	o.cache_dir = cache_dir();
	o.tmp_parent = test_tmpdir("evalplus");
	if (halo_evalplus_open(&h, kind, test_dataset_path(rel), &o) != 0)
		fail_msg("open %s: %s", rel, halo_error_last()->message);
	return h;
}

/* prompt + canonical solution of every task, from the dataset itself */
typedef struct canon {
	size_t n;
	char *id[512];
	char *code[512];
} canon;

static int on_rec(const halo_dataset_record *r, void *ud)
{
	canon *c = ud;
	size_t lp = strlen(r->prompt), lc = strlen(r->canonical_solution);
	if (c->n >= 512)
		return -1;
	c->id[c->n] = strdup(r->id);
	c->code[c->n] = malloc(lp + lc + 1);
	memcpy(c->code[c->n], r->prompt, lp);
	memcpy(c->code[c->n] + lp, r->canonical_solution, lc + 1);
	c->n++;
	return 0;
}

static void canon_load(canon *c, halo_dataset_kind kind, const char *rel)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(halo_dataset_load(test_dataset_path(rel), kind, NULL, on_rec, c, NULL), 0);
}

static void canon_free(canon *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->id[i]);
		free(c->code[i]);
	}
}

typedef struct all_ctx {
	const halo_evalplus *h;
	const canon *c;
	int as_answer; /* 1: fenced in a chat answer (extraction + sanitizer); 0: as is */
	pthread_mutex_t mu;
	size_t next, base, plus;
	char failures[4096];
} all_ctx;

static void *all_thread(void *arg)
{
	all_ctx *x = arg;
	for (;;) {
		halo_evalplus_verdict v;
		size_t i;
		int rc;
		pthread_mutex_lock(&x->mu);
		i = x->next++;
		pthread_mutex_unlock(&x->mu);
		if (i >= x->c->n)
			return NULL;
		if (x->as_answer) {
			size_t n = strlen(x->c->code[i]) + 64;
			char *ans = malloc(n);
			snprintf(ans, n, "Here you go:\n```python\n%s\n```\n", x->c->code[i]);
			rc = halo_evalplus_check(x->h, x->c->id[i], ans, &v);
			free(ans);
		} else {
			rc = halo_evalplus_check_solution(x->h, x->c->id[i], x->c->code[i], &v);
		}
		pthread_mutex_lock(&x->mu);
		if (rc == 0) {
			x->base += v.base_pass;
			x->plus += v.plus_pass;
		}
		if (rc != 0 || v.outcome != HALO_OUTCOME_PASS) {
			size_t l = strlen(x->failures);
			snprintf(x->failures + l, sizeof(x->failures) - l, "%s: %s %s; ", x->c->id[i],
				 halo_outcome_name(v.outcome), rc ? halo_error_last()->message : v.detail);
		}
		pthread_mutex_unlock(&x->mu);
		halo_evalplus_verdict_free(&v);
	}
}

static void run_all(const halo_evalplus *h, const canon *c, int as_answer, size_t *base, size_t *plus,
		    char *failures, size_t cap)
{
	all_ctx x;
	pthread_t th[2];
	memset(&x, 0, sizeof(x));
	x.h = h;
	x.c = c;
	x.as_answer = as_answer;
	pthread_mutex_init(&x.mu, NULL);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, all_thread, &x), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&x.mu);
	*base = x.base;
	*plus = x.plus;
	snprintf(failures, cap, "%s", x.failures);
}

static halo_evalplus *he;
static canon he_canon;

static int he_setup(void **state)
{
	(void)state;
	he = open_ds(HALO_DATASET_HUMANEVAL, "humaneval-plus/HumanEvalPlus-v0.1.10.jsonl.gz");
	canon_load(&he_canon, HALO_DATASET_HUMANEVAL, "humaneval-plus/HumanEvalPlus-v0.1.10.jsonl.gz");
	return 0;
}

static int he_teardown(void **state)
{
	(void)state;
	halo_evalplus_close(he);
	canon_free(&he_canon);
	return 0;
}

static void test_humaneval_all_canonical(void **state)
{
	size_t base, plus;
	char failures[4096];
	(void)state;
	assert_int_equal(halo_evalplus_task_count(he), 164);
	/* as a chat model's answer: fence extraction and the sanitizer on the way */
	run_all(he, &he_canon, 1, &base, &plus, failures, sizeof(failures));
	if (base != 164 || plus != 164)
		fail_msg("base %zu plus %zu of 164: %s", base, plus, failures);
}

static void check_code(const char *task, const char *code, int answer, halo_outcome want,
		       int want_base, int want_plus, halo_evalplus_verdict *v)
{
	int rc = answer ? halo_evalplus_check(he, task, code, v) : halo_evalplus_check_solution(he, task, code, v);
	assert_int_equal(rc, 0);
	if ((int)v->outcome != (int)want || v->base_pass != want_base || v->plus_pass != want_plus)
		fail_msg("%s: got %s base %d plus %d (%s), want %s base %d plus %d", task, halo_outcome_name(v->outcome),
			 v->base_pass, v->plus_pass, v->detail, halo_outcome_name(want), want_base, want_plus);
}

static void test_humaneval_wrong(void **state)
{
	halo_evalplus_verdict v;
	(void)state;
	/* HumanEval/0 has_close_elements with <= instead of <: off by one at the threshold */
	check_code("HumanEval/0",
		   "```python\ndef has_close_elements(numbers, threshold):\n"
		   "    for i in range(len(numbers)):\n"
		   "        for j in range(i + 1, len(numbers)):\n"
		   "            if abs(numbers[i] - numbers[j]) <= threshold:\n"
		   "                return True\n"
		   "    return False\n```\n",
		   1, HALO_OUTCOME_WRONG, 1, 0, &v); /* the base tests miss it, the plus tests catch it */
	assert_int_equal(v.fail_phase, 2);
	halo_evalplus_verdict_free(&v);
	/* HumanEval/55 fib, off by one in the index: fails base */
	check_code("HumanEval/55",
		   "```python\ndef fib(n):\n    a, b = 0, 1\n    for _ in range(n + 1):\n        a, b = b, a + b\n    return a\n```\n",
		   1, HALO_OUTCOME_WRONG, 0, 0, &v);
	assert_int_equal(v.fail_phase, 1);
	assert_int_equal(v.fail_index, 0);
	halo_evalplus_verdict_free(&v);
}

static void test_humaneval_base_only(void **state)
{
	halo_evalplus_verdict v;
	(void)state;
	/* HumanEval/53 add(x, y): base inputs are small; a table of them passes base, fails plus */
	check_code("HumanEval/53",
		   "def add(x, y):\n    if abs(x) < 1000 and abs(y) < 1000:\n        return x + y\n    return 0\n",
		   0, HALO_OUTCOME_WRONG, 1, 0, &v);
	assert_int_equal(v.fail_phase, 2);
	assert_true(v.fail_index >= 0);
	halo_evalplus_verdict_free(&v);
}

static void test_humaneval_sleep_forever(void **state)
{
	halo_evalplus_verdict v;
	halo_evalplus_opts o = HALO_EVALPLUS_OPTS_INIT;
	halo_evalplus *h = NULL;
	(void)state;
	/* short limits keep the test fast: 0.5 s per input, 1 s per phase */
	o.cache_dir = cache_dir();
	o.tmp_parent = test_tmpdir("evalplus");
	o.min_time_limit_s = 0.5;
	o.phase_cap_s = 1.0;
	if (halo_evalplus_open(&h, HALO_DATASET_HUMANEVAL,
			       test_dataset_path("humaneval-plus/HumanEvalPlus-v0.1.10.jsonl.gz"), &o) != 0)
		fail_msg("%s", halo_error_last()->message);
	assert_int_equal(halo_evalplus_check_solution(h, "HumanEval/53",
						      "import time\ndef add(x, y):\n    time.sleep(1e9)\n", &v), 0);
	assert_int_equal(v.outcome, HALO_OUTCOME_TIMEOUT);
	assert_int_equal(v.base_pass, 0);
	halo_evalplus_verdict_free(&v);
	/* ignoring the alarm signal does not help: the sandbox's wall clock kills it */
	assert_int_equal(halo_evalplus_check_solution(h, "HumanEval/53",
						      "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
						      "def add(x, y):\n    while True:\n        pass\n", &v), 0);
	assert_int_equal(v.outcome, HALO_OUTCOME_TIMEOUT);
	halo_evalplus_verdict_free(&v);
	/* the run goes on */
	assert_int_equal(halo_evalplus_check_solution(h, "HumanEval/53", "def add(x, y):\n    return x + y\n", &v), 0);
	assert_int_equal(v.outcome, HALO_OUTCOME_PASS);
	halo_evalplus_verdict_free(&v);
	halo_evalplus_close(h);
}

static void test_humaneval_forgery(void **state)
{
	halo_evalplus_verdict v;
	(void)state;
	/* prints fake verdicts (any nonce) at import and per call, through
	 * sys.stdout, fd 1 and sys.__stdout__, then returns a wrong answer */
	check_code("HumanEval/53",
		   "import os, sys\n"
		   "FAKE = 'HALO-EVALPLUS-REPLY %s {\"status\":\"ok\",\"base\":{\"status\":\"pass\"},\"plus\":{\"status\":\"pass\"}}\\n'\n"
		   "for n in ('0' * 32, 'x'):\n"
		   "    print(FAKE % n)\n"
		   "    os.write(1, (FAKE % n).encode())\n"
		   "    sys.__stdout__.write(FAKE % n)\n"
		   "    sys.__stdout__.flush()\n"
		   "def add(x, y):\n"
		   "    os.write(1, (FAKE % 'y').encode())\n"
		   "    return x - y\n",
		   0, HALO_OUTCOME_WRONG, 0, 0, &v);
	halo_evalplus_verdict_free(&v);
	/* exits early with status 0 after printing a fake verdict */
	check_code("HumanEval/53",
		   "import os\n"
		   "def add(x, y):\n"
		   "    os.write(1, b'HALO-EVALPLUS-REPLY abc {\"status\":\"ok\"}\\n')\n"
		   "    os._exit(0)\n",
		   0, HALO_OUTCOME_WRONG, 0, 0, &v);
	halo_evalplus_verdict_free(&v);
}

static void test_humaneval_parse(void **state)
{
	halo_evalplus_verdict v;
	(void)state;
	/* no entry point: decided in C, no sandbox */
	check_code("HumanEval/53", "```python\ndef plus(x, y):\n    return x + y\n```", 1, HALO_OUTCOME_PARSE, 0, 0, &v);
	halo_evalplus_verdict_free(&v);
	/* defined but never returns (the sanitizer drops it, as evalplus's) */
	check_code("HumanEval/53", "```python\ndef add(x, y):\n    print(x + y)\n```", 1, HALO_OUTCOME_PARSE, 0, 0, &v);
	halo_evalplus_verdict_free(&v);
	/* a syntax error inside the only definition */
	check_code("HumanEval/53", "```python\ndef add(x, y):\n    return x +* y\n```", 1, HALO_OUTCOME_PARSE, 0, 0, &v);
	halo_evalplus_verdict_free(&v);
	/* as-is code without the entry point */
	check_code("HumanEval/53", "def plus(x, y):\n    return x + y\n", 0, HALO_OUTCOME_PARSE, 0, 0, &v);
	halo_evalplus_verdict_free(&v);
	/* the sanitizer drops test code at top level that would fail */
	check_code("HumanEval/53",
		   "```python\ndef add(x, y):\n    return x + y\n\nassert add(1, 1) == 3\nprint(add(2, 3))\n```", 1,
		   HALO_OUTCOME_PASS, 1, 1, &v);
	assert_non_null(v.code);
	assert_string_equal(v.code, "def add(x, y):\n    return x + y");
	halo_evalplus_verdict_free(&v);
	/* no fence: the longest parsable run of lines */
	check_code("HumanEval/53", "Here is my answer.\ndef add(x, y):\n    return x + y\nIt adds x and y.", 1,
		   HALO_OUTCOME_PASS, 1, 1, &v);
	halo_evalplus_verdict_free(&v);
}

static void test_samples_jsonl(void **state)
{
	char *tid = NULL, *code = NULL;
	const char *l1 = "{\"task_id\": \"HumanEval/53\", \"completion\": \"    return x + y\\n\"}";
	const char *l2 = "{\"task_id\": \"HumanEval/53\", \"solution\": \"def add(x, y):\\n    return y + x\\n\"}";
	halo_evalplus_verdict v;
	(void)state;
	assert_int_equal(halo_evalplus_sample_code(he, l1, strlen(l1), &tid, &code), 0);
	assert_string_equal(tid, "HumanEval/53");
	assert_non_null(strstr(code, "def add(x: int, y: int):"));
	assert_non_null(strstr(code, "\"\"\"\n    return x + y\n"));
	assert_int_equal(halo_evalplus_check_solution(he, tid, code, &v), 0);
	assert_int_equal(v.outcome, HALO_OUTCOME_PASS);
	halo_evalplus_verdict_free(&v);
	free(tid);
	free(code);
	assert_int_equal(halo_evalplus_sample_code(he, l2, strlen(l2), &tid, &code), 0);
	assert_string_equal(code, "def add(x, y):\n    return y + x\n");
	free(tid);
	free(code);
	assert_int_equal(halo_evalplus_sample_code(he, "{\"task_id\":\"HumanEval/999\",\"solution\":\"\"}", 41, &tid, &code),
			 HALO_ENOTFOUND);
	assert_int_equal(halo_evalplus_sample_code(he, "{\"task_id\":\"HumanEval/1\"}", 25, &tid, &code), HALO_EFORMAT);
	assert_int_equal(halo_evalplus_sample_code(he, "[1]", 3, &tid, &code), HALO_EFORMAT);
	assert_null(tid);
	assert_null(code);
}

static void test_mbpp_all_canonical(void **state)
{
	halo_evalplus *h;
	canon c;
	size_t base, plus;
	char failures[4096];
	(void)state;
	h = open_ds(HALO_DATASET_MBPP, "mbpp-plus/MbppPlus-v0.2.0.jsonl.gz");
	canon_load(&c, HALO_DATASET_MBPP, "mbpp-plus/MbppPlus-v0.2.0.jsonl.gz");
	assert_int_equal(halo_evalplus_task_count(h), 378);
	/* as is (evalplus's ground truth runs prompt + canonical_solution unsanitized) */
	run_all(h, &c, 0, &base, &plus, failures, sizeof(failures));
	if (base != 378 || plus != 378)
		fail_msg("base %zu plus %zu of 378: %s", base, plus, failures);
	canon_free(&c);
	halo_evalplus_close(h);
}

static const struct CMUnitTest pure[] = {
	cmocka_unit_test(test_pass_at_k),
	cmocka_unit_test(test_messages),
	cmocka_unit_test(test_extract),
	cmocka_unit_test(test_parse_reply),
};

static const struct CMUnitTest humaneval[] = {
	cmocka_unit_test(test_humaneval_wrong),
	cmocka_unit_test(test_humaneval_base_only),
	cmocka_unit_test(test_humaneval_forgery),
	cmocka_unit_test(test_humaneval_parse),
	cmocka_unit_test(test_samples_jsonl),
	cmocka_unit_test(test_humaneval_sleep_forever),
	cmocka_unit_test(test_humaneval_all_canonical),
};

static const struct CMUnitTest mbpp[] = {
	cmocka_unit_test(test_mbpp_all_canonical),
};

int main(void)
{
	int rc = cmocka_run_group_tests(pure, NULL, NULL);
	rc += cmocka_run_group_tests(humaneval, he_setup, he_teardown);
	rc += cmocka_run_group_tests(mbpp, NULL, NULL);
	return rc;
}
