/* Pinned evaluation datasets: hashes, counts, raw fields, hostile input. */
#include "testutil.h"

#include "error.h"
#include "eval/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>


static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return data;
}

static void test_registry_verifies(void **state)
{
	(void)state;
	size_t n;
	const halo_dataset_file *files = halo_dataset_files(&n);
	assert_int_equal(n, 26); /* every line of shared/datasets/SHA256SUMS */
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(strlen(files[i].sha256), 64);
		assert_ptr_equal(halo_dataset_find(files[i].name), &files[i]);
		assert_ptr_equal(halo_dataset_find(files[i].path), &files[i]);
		if (halo_dataset_verify(&files[i], test_dataset_path(files[i].path)) != 0)
			fail_msg("%s", halo_error_last()->message);
	}
	assert_null(halo_dataset_find("nope"));
	assert_string_equal(halo_dataset_find("humaneval-plus")->url,
			    "https://github.com/evalplus/humanevalplus_release/releases/download/v0.1.10/HumanEvalPlus.jsonl.gz");
}

static void test_tampered_copy_fails(void **state)
{
	(void)state;
	const halo_dataset_file *f = halo_dataset_find("ifeval");
	size_t len;
	char *data = read_all(test_dataset_path(f->path), &len);
	char path[4200];
	snprintf(path, sizeof(path), "%s/input_data.jsonl", test_tmpdir("dataset-tamper"));
	data[len / 2] ^= 0x01;
	test_write_file(path, data, len);
	free(data);
	assert_int_equal(halo_dataset_verify(f, path), HALO_EFORMAT);
	const char *msg = halo_error_last()->message;
	assert_non_null(strstr(msg, path));
	assert_non_null(strstr(msg, "sha256 mismatch"));
	assert_non_null(strstr(msg, f->sha256));
	assert_int_equal(halo_dataset_verify(f, "/nonexistent/input_data.jsonl"), HALO_ENOTFOUND);
}

typedef struct collect {
	const char *want_id; /* keep a copy of this record's fields */
	char *base, *plus, *atol, *assertion;
	size_t instructions;
	char ids[64][64];
	size_t n_ids;
	int ok;
} collect;

static int on_record(const halo_dataset_record *r, void *ud)
{
	collect *c = ud;
	assert_non_null(r->id);
	switch (r->kind) {
	case HALO_DATASET_HUMANEVAL:
	case HALO_DATASET_MBPP:
		assert_non_null(r->prompt);
		assert_non_null(r->entry_point);
		assert_non_null(r->canonical_solution);
		assert_true(r->base_input_raw[0] == '[' || r->base_input_raw[0] == '{');
		assert_true(r->plus_input_raw[0] == '[' || r->plus_input_raw[0] == '{');
		assert_non_null(r->atol_raw);
		if (r->kind == HALO_DATASET_MBPP)
			assert_non_null(r->assertion);
		if (c->want_id && strcmp(r->id, c->want_id) == 0) {
			c->base = strdup(r->base_input_raw);
			c->plus = strdup(r->plus_input_raw);
			c->atol = strdup(r->atol_raw);
		}
		break;
	case HALO_DATASET_IFEVAL:
		c->instructions += r->n_instructions;
		for (size_t i = 0; i < r->n_instructions; i++) {
			size_t j;
			assert_int_equal(r->kwargs_json[i][0], '{');
			for (j = 0; j < c->n_ids; j++)
				if (strcmp(c->ids[j], r->instruction_ids[i]) == 0)
					break;
			if (j == c->n_ids) {
				assert_true(c->n_ids < 64 && strlen(r->instruction_ids[i]) < 64);
				strcpy(c->ids[c->n_ids++], r->instruction_ids[i]);
			}
		}
		break;
	case HALO_DATASET_BFCL:
		assert_int_equal(r->question_json[0], '[');
		assert_int_equal(r->function_json[0], '[');
		break;
	case HALO_DATASET_BFCL_ANSWER:
		assert_int_equal(r->ground_truth_json[0], '[');
		break;
	default:
		fail();
	}
	return 0;
}

static size_t load_count(const char *rel, halo_dataset_kind kind, collect *c)
{
	size_t n = 0;
	if (halo_dataset_load(test_dataset_path(rel), kind, NULL, on_record, c, &n) != 0)
		fail_msg("%s", halo_error_last()->message);
	return n;
}

/* The raw span must appear in the file's line verbatim: find it there. */
static int line_contains(const char *gz_rel, const char *needle)
{
	halo_jsonl *r;
	const char *line;
	size_t len;
	int found = 0;
	assert_int_equal(halo_jsonl_open(&r, test_dataset_path(gz_rel), 0), 0);
	while (!found && halo_jsonl_next(r, &line, &len) == 1)
		found = strstr(line, needle) != NULL;
	halo_jsonl_close(r);
	return found;
}

static void test_counts_and_raw(void **state)
{
	(void)state;
	collect c = { 0 };
	c.want_id = "HumanEval/79";
	assert_int_equal(load_count("humaneval-plus/HumanEvalPlus-v0.1.10.jsonl.gz", HALO_DATASET_HUMANEVAL, &c), 164);
	assert_non_null(c.plus);
	/* 2^63 does not fit jansson's json_int_t: the raw text keeps it */
	assert_non_null(strstr(c.base, "9223372036854775808") ? c.base : strstr(c.plus, "[9223372036854775808]"));
	assert_true(line_contains("humaneval-plus/HumanEvalPlus-v0.1.10.jsonl.gz", c.plus));
	assert_true(line_contains("humaneval-plus/HumanEvalPlus-v0.1.10.jsonl.gz", c.base));
	free(c.base), free(c.plus), free(c.atol);

	memset(&c, 0, sizeof(c));
	c.want_id = "Mbpp/404";
	assert_int_equal(load_count("mbpp-plus/MbppPlus-v0.2.0.jsonl.gz", HALO_DATASET_MBPP, &c), 378);
	assert_non_null(c.plus);
	assert_non_null(strstr(c.plus, "[-Infinity, Infinity]"));
	assert_true(line_contains("mbpp-plus/MbppPlus-v0.2.0.jsonl.gz", c.plus));
	free(c.base), free(c.plus), free(c.atol);

	memset(&c, 0, sizeof(c));
	assert_int_equal(load_count("ifeval/input_data.jsonl", HALO_DATASET_IFEVAL, &c), 541);
	assert_int_equal(c.instructions, 834);
	assert_int_equal(c.n_ids, 25);

	memset(&c, 0, sizeof(c));
	assert_int_equal(load_count("bfcl/BFCL_v4_simple_python.json", HALO_DATASET_BFCL, &c), 400);
	assert_int_equal(load_count("bfcl/possible_answer/BFCL_v4_simple_python.json", HALO_DATASET_BFCL_ANSWER, &c),
			 400);

	/* every other pinned BFCL file parses too */
	size_t n;
	const halo_dataset_file *files = halo_dataset_files(&n);
	for (size_t i = 0; i < n; i++)
		if (files[i].kind == HALO_DATASET_BFCL || files[i].kind == HALO_DATASET_BFCL_ANSWER)
			assert_true(load_count(files[i].path, files[i].kind, &c) > 0);
}

static int nop_record(const halo_dataset_record *r, void *ud)
{
	(void)r, (void)ud;
	return 0;
}

/* Loads `data` from a temp file; expects `code` and "path:line:" in the message. */
static void expect_fail(const char *name, const void *data, size_t len, halo_dataset_kind kind, size_t cap,
			int code, int line, const char *fragment)
{
	char path[4200], prefix[4300];
	halo_dataset_opts opts = HALO_DATASET_OPTS_INIT;
	snprintf(path, sizeof(path), "%s/%s", test_tmpdir("dataset-hostile"), name);
	test_write_file(path, data, len);
	opts.line_cap = cap;
	int rc = halo_dataset_load(path, kind, &opts, nop_record, NULL, NULL);
	const char *msg = halo_error_last()->message;
	if (rc != code)
		fail_msg("%s: got %d (%s), want %d", name, rc, msg, code);
	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	else /* where a cut gzip stream ends depends on zlib's buffering */
		snprintf(prefix, sizeof(prefix), "%s:", path);
	if (strncmp(msg, prefix, strlen(prefix)) != 0 || (fragment && !strstr(msg, fragment)))
		fail_msg("%s: message '%s' lacks '%s' / '%s'", name, msg, prefix, fragment ? fragment : "");
}

#define HE_OK "{\"task_id\": \"T/0\", \"prompt\": \"p\", \"entry_point\": \"f\", \"canonical_solution\": \"s\", " \
	      "\"base_input\": [[1]], \"plus_input\": [[18446744073709551616], [Infinity]], \"atol\": 0}\n"

static void test_hostile(void **state)
{
	(void)state;
	static const char malformed[] = HE_OK HE_OK "{\"task_id\": \"T/1\", \"prompt\": \n";
	expect_fail("malformed.jsonl", malformed, sizeof(malformed) - 1, HALO_DATASET_HUMANEVAL, 0, HALO_EFORMAT, 3,
		    NULL);
	static const char missing[] = HE_OK "{\"task_id\": \"T/1\", \"prompt\": \"p\", \"base_input\": [], "
				      "\"plus_input\": [], \"atol\": 0}\n";
	expect_fail("missing.jsonl", missing, sizeof(missing) - 1, HALO_DATASET_HUMANEVAL, 0, HALO_EFORMAT, 2,
		    "missing field 'entry_point'");
	static const char noraw[] = "{\"task_id\": \"T/1\"}\n";
	expect_fail("noraw.jsonl", noraw, sizeof(noraw) - 1, HALO_DATASET_MBPP, 0, HALO_EFORMAT, 1,
		    "missing field 'base_input'");
	static const char wrongtype[] = "{\"task_id\": 5, \"prompt\": \"p\", \"entry_point\": \"f\", "
					"\"canonical_solution\": \"s\", \"base_input\": [], \"plus_input\": [], \"atol\": 0}";
	expect_fail("wrongtype.jsonl", wrongtype, sizeof(wrongtype) - 1, HALO_DATASET_HUMANEVAL, 0, HALO_EFORMAT, 1,
		    "field 'task_id' is not a string");
	static const char rawtype[] = "{\"base_input\": \"x\", \"plus_input\": [], \"atol\": 0}";
	expect_fail("rawtype.jsonl", rawtype, sizeof(rawtype) - 1, HALO_DATASET_HUMANEVAL, 0, HALO_EFORMAT, 1,
		    "field 'base_input' is not an array or object");
	static const char ifeval[] = "{\"key\": 1, \"prompt\": \"p\", \"instruction_id_list\": [\"a\"], \"kwargs\": []}";
	expect_fail("ifeval.jsonl", ifeval, sizeof(ifeval) - 1, HALO_DATASET_IFEVAL, 0, HALO_EFORMAT, 1, "'kwargs'");
	static const char ifkey[] = "{\"key\": \"1\", \"prompt\": \"p\", \"instruction_id_list\": [], \"kwargs\": []}";
	expect_fail("ifkey.jsonl", ifkey, sizeof(ifkey) - 1, HALO_DATASET_IFEVAL, 0, HALO_EFORMAT, 1,
		    "field 'key' is not an integer");
	static const char bfcl[] = "{\"id\": \"x\", \"question\": {}, \"function\": []}";
	expect_fail("bfcl.json", bfcl, sizeof(bfcl) - 1, HALO_DATASET_BFCL, 0, HALO_EFORMAT, 1,
		    "field 'question' is not an array");
	static const char unbalanced[] = "{\"id\": \"x\", \"ground_truth\": [{]}";
	expect_fail("unbalanced.json", unbalanced, sizeof(unbalanced) - 1, HALO_DATASET_BFCL_ANSWER, 0, HALO_EFORMAT,
		    1, "unbalanced");
	static const char dup[] = "{\"id\": \"x\", \"ground_truth\": [], \"ground_truth\": []}";
	expect_fail("dup.json", dup, sizeof(dup) - 1, HALO_DATASET_BFCL_ANSWER, 0, HALO_EFORMAT, 1,
		    "duplicate field 'ground_truth'");
	static const char nul[] = "\n{\"id\": \"x\\u0041\", \"ground_truth\": []}\n{\"id\": \"a\0b\", \"ground_truth\": []}\n";
	expect_fail("nul.json", nul, sizeof(nul) - 1, HALO_DATASET_BFCL_ANSWER, 0, HALO_EFORMAT, 3, "nul byte");
	static const char blankid[] = "{\"id\": \"x\", \"ground_truth\": [], \"more\": Infinity}";
	expect_fail("bare.json", blankid, sizeof(blankid) - 1, HALO_DATASET_BFCL_ANSWER, 0, HALO_EFORMAT, 1,
		    "invalid json");

	/* a line over the cap: the reader stops before buffering it */
	char big[300];
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	expect_fail("long.jsonl", big, sizeof(big), HALO_DATASET_IFEVAL, 100, HALO_ENOMEM, 1,
		    "line longer than 100 bytes");

	/* a truncated gzip copy of HumanEval+ */
	size_t len;
	char *gz = read_all(test_dataset_path("humaneval-plus/HumanEvalPlus-v0.1.10.jsonl.gz"), &len);
	expect_fail("trunc.jsonl.gz", gz, len / 2, HALO_DATASET_HUMANEVAL, 0, HALO_EFORMAT, 0, "unexpected end of file");
	free(gz);
}

/* The truncated-gzip line number depends on where the cut falls: check just file. */
static void test_truncated_gzip_names_file(void **state)
{
	(void)state;
	size_t len;
	char path[4200];
	char *gz = read_all(test_dataset_path("mbpp-plus/MbppPlus-v0.2.0.jsonl.gz"), &len);
	snprintf(path, sizeof(path), "%s/cut.jsonl.gz", test_tmpdir("dataset-gz"));
	test_write_file(path, gz, len - 10);
	free(gz);
	int rc = halo_dataset_load(path, HALO_DATASET_MBPP, NULL, nop_record, NULL, NULL);
	assert_true(rc < 0);
	assert_int_equal(strncmp(halo_error_last()->message, path, strlen(path)), 0);
	assert_int_equal(halo_error_last()->message[strlen(path)], ':');
}

static void test_parse_line_raw_exact(void **state)
{
	(void)state;
	halo_dataset_record r;
	static const char line[] = HE_OK;
	assert_int_equal(halo_dataset_parse_line(HALO_DATASET_HUMANEVAL, line, sizeof(line) - 2, &r), 0);
	assert_string_equal(r.id, "T/0");
	assert_string_equal(r.base_input_raw, "[[1]]");
	assert_string_equal(r.plus_input_raw, "[[18446744073709551616], [Infinity]]");
	assert_string_equal(r.atol_raw, "0");
	halo_dataset_record_free(&r);
	halo_dataset_record_free(&r); /* zeroed: safe twice */

	/* strings holding brackets, quotes and escapes do not confuse the scanner */
	static const char tricky[] = "{\"id\": \"a]}\\\"[\", \"question\": [[\"]\\\\\", {\"k\": \"}\"}]], "
				     "\"function\": [ ], \"x\": {\"ground_truth\": 1}}";
	assert_int_equal(halo_dataset_parse_line(HALO_DATASET_BFCL, tricky, sizeof(tricky) - 1, &r), 0);
	assert_string_equal(r.id, "a]}\"[");
	assert_string_equal(r.question_json, "[[\"]\\\\\", {\"k\": \"}\"}]]");
	assert_string_equal(r.function_json, "[ ]");
	halo_dataset_record_free(&r);

	/* deep nesting is refused, not recursed into */
	char deep[2 * HALO_JSON_MAX_DEPTH + 64];
	size_t n = (size_t)snprintf(deep, sizeof(deep), "{\"id\": \"x\", \"ground_truth\": ");
	for (int i = 0; i <= HALO_JSON_MAX_DEPTH; i++)
		deep[n++] = '[';
	deep[n++] = '}';
	assert_int_equal(halo_dataset_parse_line(HALO_DATASET_BFCL_ANSWER, deep, n, &r), HALO_EFORMAT);
	assert_non_null(strstr(halo_error_last()->message, "nested deeper"));
}

/* --data-dir copies are verified; the cache is offline-capable; nothing wrong is used. */
static void test_resolve(void **state)
{
	(void)state;
	const halo_dataset_file *f = halo_dataset_find("ifeval");
	assert_non_null(f);
	char path[4200];
	halo_dataset_source src = HALO_DATASET_SOURCE_INIT;
	src.data_dir = test_datasets_dir();
	assert_int_equal(halo_dataset_resolve(f, &src, path, sizeof(path)), 0);
	assert_non_null(strstr(path, "ifeval/input_data.jsonl"));

	/* a cache holding a tampered copy: refused, not used */
	char cache[4200], bad[4300];
	snprintf(cache, sizeof(cache), "%s", test_tmpdir("resolve"));
	snprintf(bad, sizeof(bad), "%s/ifeval", cache);
	mkdir(bad, 0755);
	snprintf(bad, sizeof(bad), "%s/ifeval/input_data.jsonl", cache);
	test_write_file(bad, "{}\n", 3);
	halo_dataset_source c = HALO_DATASET_SOURCE_INIT;
	c.cache_dir = cache;
	c.offline = 1;
	assert_int_equal(halo_dataset_resolve(f, &c, path, sizeof(path)), HALO_EFORMAT);
	assert_non_null(strstr(halo_error_last()->message, "sha256 mismatch"));
	/* missing and offline: not found, with the path */
	unlink(bad);
	assert_int_equal(halo_dataset_resolve(f, &c, path, sizeof(path)), HALO_ENOTFOUND);
	assert_non_null(strstr(halo_error_last()->message, "input_data.jsonl"));
	/* a download from an unreachable mirror fails cleanly and leaves no file */
	c.offline = 0;
	c.mirror = "http://127.0.0.1:1";
	assert_int_equal(halo_dataset_resolve(f, &c, path, sizeof(path)), HALO_ENET);
	assert_non_null(strstr(halo_error_last()->message, "downloading dataset ifeval from http://127.0.0.1:1/ifeval"));
	assert_int_equal(access(bad, F_OK), -1);
	char part[4400];
	snprintf(part, sizeof(part), "%s.part", bad);
	assert_int_equal(access(part, F_OK), -1);
	/* a --data-dir without the file */
	src.data_dir = cache;
	assert_int_equal(halo_dataset_resolve(f, &src, path, sizeof(path)), HALO_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_verifies),
		cmocka_unit_test(test_tampered_copy_fails),
		cmocka_unit_test(test_counts_and_raw),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_truncated_gzip_names_file),
		cmocka_unit_test(test_parse_line_raw_exact),
		cmocka_unit_test(test_resolve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
