/*
 * Pinned evaluation datasets: registry, SHA-256 verification (OpenSSL
 * libcrypto), a capped streaming JSON Lines reader over zlib, and record
 * parsers that keep number-heavy fields as raw text (dataset.h).
 */
#include "eval/dataset.h"

#include "buf.h"
#include "error.h"
#include "http.h"
#include "paths.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* The gorilla commit the test copies come from (shared/datasets/README.md). */
#define BFCL_URL(f) "https://raw.githubusercontent.com/ShishirPatil/gorilla/6ea5797/berkeley-function-call-leaderboard/bfcl_eval/data/" f

static const halo_dataset_file registry[] = {
	{ "humaneval-plus", "humaneval-plus/HumanEvalPlus-v0.1.10.jsonl.gz",
	  "https://github.com/evalplus/humanevalplus_release/releases/download/v0.1.10/HumanEvalPlus.jsonl.gz",
	  "272720b90ac375502c8ed23cd791c2a93dfb22a911641a494da74a426c09f101", HALO_DATASET_HUMANEVAL },
	{ "mbpp-plus", "mbpp-plus/MbppPlus-v0.2.0.jsonl.gz",
	  "https://github.com/evalplus/mbppplus_release/releases/download/v0.2.0/MbppPlus.jsonl.gz",
	  "af43697e8791c4c149bdfd6b489d8b5412507551ac20e28a439f650b8225db63", HALO_DATASET_MBPP },
	{ "ifeval", "ifeval/input_data.jsonl",
	  "https://raw.githubusercontent.com/google-research/google-research/master/instruction_following_eval/data/input_data.jsonl",
	  "67ffeee0fcb87c317c5b08a2de85557b4a7e96ada6178aa645b4954fe4b53d49", HALO_DATASET_IFEVAL },
	{ "bfcl/irrelevance", "bfcl/BFCL_v4_irrelevance.json", BFCL_URL("BFCL_v4_irrelevance.json"), "2b6ed4c2e992cdcf5f1678a701851f944bef7550ee026ed1ddb89efed5be01a6", HALO_DATASET_BFCL },
	{ "bfcl/live_irrelevance", "bfcl/BFCL_v4_live_irrelevance.json", BFCL_URL("BFCL_v4_live_irrelevance.json"), "6559fda2beaceb609a2cd2e504c65b4a56cb448e1ef88fddfd199e163d163349", HALO_DATASET_BFCL },
	{ "bfcl/live_multiple", "bfcl/BFCL_v4_live_multiple.json", BFCL_URL("BFCL_v4_live_multiple.json"), "fd8ccfad4d911420d0e3341dbe2fff77d1d341da934248b9bb2bda24ab3a10c8", HALO_DATASET_BFCL },
	{ "bfcl/live_parallel", "bfcl/BFCL_v4_live_parallel.json", BFCL_URL("BFCL_v4_live_parallel.json"), "6c26e9fdc3350cf596e6d1ea9c179cbff834761bccf562f4141ed29a839ca421", HALO_DATASET_BFCL },
	{ "bfcl/live_parallel_multiple", "bfcl/BFCL_v4_live_parallel_multiple.json", BFCL_URL("BFCL_v4_live_parallel_multiple.json"), "21d4b9319c1faac431e22757b367ea28917fe467364c3a4b17f16ec06d4f6e79", HALO_DATASET_BFCL },
	{ "bfcl/live_relevance", "bfcl/BFCL_v4_live_relevance.json", BFCL_URL("BFCL_v4_live_relevance.json"), "e03f9e241657a137cba48a89ee12f47bf3fcb7e4f6274263e9c699a0c974203a", HALO_DATASET_BFCL },
	{ "bfcl/live_simple", "bfcl/BFCL_v4_live_simple.json", BFCL_URL("BFCL_v4_live_simple.json"), "1af2ac87dca47556db7b7e37e51e28b459a38b594e3c7b3c792b4903598ca0c4", HALO_DATASET_BFCL },
	{ "bfcl/multiple", "bfcl/BFCL_v4_multiple.json", BFCL_URL("BFCL_v4_multiple.json"), "aef168155ebd74b7ac2401198b201343bc7d16d7a3d7e0d4e6d8ee82c6969b2a", HALO_DATASET_BFCL },
	{ "bfcl/parallel", "bfcl/BFCL_v4_parallel.json", BFCL_URL("BFCL_v4_parallel.json"), "19f51a82eff42e5d62541aa500115a056eb78f437c2ba1f10415fd7c8e5dda84", HALO_DATASET_BFCL },
	{ "bfcl/parallel_multiple", "bfcl/BFCL_v4_parallel_multiple.json", BFCL_URL("BFCL_v4_parallel_multiple.json"), "8863ea8433239f55c5f016154cf0830853c89f693c6ea270396a2fa121960579", HALO_DATASET_BFCL },
	{ "bfcl/simple_java", "bfcl/BFCL_v4_simple_java.json", BFCL_URL("BFCL_v4_simple_java.json"), "13d2303a125b08754f0e41995b9273b5005fa8ed8ebfaa24ef53b4d83c4b5c6e", HALO_DATASET_BFCL },
	{ "bfcl/simple_javascript", "bfcl/BFCL_v4_simple_javascript.json", BFCL_URL("BFCL_v4_simple_javascript.json"), "329e67fedf79a6243d93dbda4b388d12bd2d31f1f2163d92cb6ef676d1764f44", HALO_DATASET_BFCL },
	{ "bfcl/simple_python", "bfcl/BFCL_v4_simple_python.json", BFCL_URL("BFCL_v4_simple_python.json"), "82dd63ba502eb2520c6b5d1d9a5c4b590e03ff261565175561f6228a367d1991", HALO_DATASET_BFCL },
	{ "bfcl-answer/live_multiple", "bfcl/possible_answer/BFCL_v4_live_multiple.json", BFCL_URL("possible_answer/BFCL_v4_live_multiple.json"), "97e90d59c5bd76c55a2920ce93e5566e9046307d3f558578f085f9d3a56c3084", HALO_DATASET_BFCL_ANSWER },
	{ "bfcl-answer/live_parallel", "bfcl/possible_answer/BFCL_v4_live_parallel.json", BFCL_URL("possible_answer/BFCL_v4_live_parallel.json"), "8a9f189ff0e832ebbbbdade1fd95a7dbcc67406e9177df3f0aad76f59ab00350", HALO_DATASET_BFCL_ANSWER },
	{ "bfcl-answer/live_parallel_multiple", "bfcl/possible_answer/BFCL_v4_live_parallel_multiple.json", BFCL_URL("possible_answer/BFCL_v4_live_parallel_multiple.json"), "f5b5f360556c5feb51db46fb9f56ee4b304f4b45b161599bbb14161c98a2873f", HALO_DATASET_BFCL_ANSWER },
	{ "bfcl-answer/live_simple", "bfcl/possible_answer/BFCL_v4_live_simple.json", BFCL_URL("possible_answer/BFCL_v4_live_simple.json"), "fec9cfa9744a936f9126981e85a2023da1e63e273eafebc81923a1162fad70ce", HALO_DATASET_BFCL_ANSWER },
	{ "bfcl-answer/multiple", "bfcl/possible_answer/BFCL_v4_multiple.json", BFCL_URL("possible_answer/BFCL_v4_multiple.json"), "244e00ce9395df948bcafc7bee64e8f9c87ef70887587d83cae45b13699f3047", HALO_DATASET_BFCL_ANSWER },
	{ "bfcl-answer/parallel", "bfcl/possible_answer/BFCL_v4_parallel.json", BFCL_URL("possible_answer/BFCL_v4_parallel.json"), "8a6aa19c1adddc6a5a2f7e40f9dbf30cc7e95815e7b830c90589ab318229e0f0", HALO_DATASET_BFCL_ANSWER },
	{ "bfcl-answer/parallel_multiple", "bfcl/possible_answer/BFCL_v4_parallel_multiple.json", BFCL_URL("possible_answer/BFCL_v4_parallel_multiple.json"), "5ebf24f458c1f16300c05505d83d6f0a1b68b79be273a033febd0d4f840507e3", HALO_DATASET_BFCL_ANSWER },
	{ "bfcl-answer/simple_java", "bfcl/possible_answer/BFCL_v4_simple_java.json", BFCL_URL("possible_answer/BFCL_v4_simple_java.json"), "78f25616084044fa05bbfcee68e03f6ececb222bdd5cb3b7783a675fb3366e35", HALO_DATASET_BFCL_ANSWER },
	{ "bfcl-answer/simple_javascript", "bfcl/possible_answer/BFCL_v4_simple_javascript.json", BFCL_URL("possible_answer/BFCL_v4_simple_javascript.json"), "e2f9f2e51d88e0c8056ffbf1a3dd3d02eb032532d2b5d98c9cc9003385bdd56b", HALO_DATASET_BFCL_ANSWER },
	{ "bfcl-answer/simple_python", "bfcl/possible_answer/BFCL_v4_simple_python.json", BFCL_URL("possible_answer/BFCL_v4_simple_python.json"), "90cd5bc653690ee8e459b5b3f3fc9458606f7f3fcbf795bb51b7dc581f8c86dc", HALO_DATASET_BFCL_ANSWER },
};

static const char *const kind_names[HALO_DATASET_N_KINDS] = {
	"humaneval", "mbpp", "ifeval", "bfcl", "bfcl-answer",
};

const char *halo_dataset_kind_name(halo_dataset_kind kind)
{
	if ((unsigned)kind >= HALO_DATASET_N_KINDS)
		return "unknown";
	return kind_names[kind];
}

const halo_dataset_file *halo_dataset_files(size_t *n)
{
	if (n)
		*n = sizeof(registry) / sizeof(registry[0]);
	return registry;
}

const halo_dataset_file *halo_dataset_find(const char *name_or_path)
{
	if (!name_or_path)
		return NULL;
	for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]); i++)
		if (strcmp(registry[i].name, name_or_path) == 0 || strcmp(registry[i].path, name_or_path) == 0)
			return &registry[i];
	return NULL;
}

/* ---- SHA-256 ---- */

static void digest_hex(const unsigned char md[32], char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	for (unsigned i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

int halo_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	hex[0] = '\0';
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return halo_error_set(HALO_ERROR, "sha256 failed");
	digest_hex(md, hex);
	return 0;
}

int halo_sha256_file(const char *path, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned char *chunk;
	EVP_MD_CTX *ctx;
	FILE *f;
	int rc = 0;

	hex[0] = '\0';
	f = fopen(path, "rb");
	if (!f)
		return halo_error_set(errno == ENOENT ? HALO_ENOTFOUND : HALO_EIO, "'%s': %s", path,
				      strerror(errno));
	chunk = malloc(1 << 16);
	ctx = EVP_MD_CTX_new();
	if (!chunk || !ctx) {
		rc = halo_error_set(HALO_ENOMEM, "'%s': out of memory hashing", path);
		goto out;
	}
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		rc = halo_error_set(HALO_ERROR, "'%s': sha256 init failed", path);
		goto out;
	}
	for (;;) {
		size_t got = fread(chunk, 1, 1 << 16, f);
		if (got > 0 && EVP_DigestUpdate(ctx, chunk, got) != 1) {
			rc = halo_error_set(HALO_ERROR, "'%s': sha256 update failed", path);
			goto out;
		}
		if (got < (1 << 16)) {
			if (ferror(f)) {
				rc = halo_error_set(HALO_EIO, "'%s': read error", path);
				goto out;
			}
			break;
		}
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
		rc = halo_error_set(HALO_ERROR, "'%s': sha256 final failed", path);
		goto out;
	}
	digest_hex(md, hex);
out:
	EVP_MD_CTX_free(ctx);
	free(chunk);
	fclose(f);
	return rc;
}

int halo_dataset_verify(const halo_dataset_file *f, const char *path)
{
	char hex[65];
	int rc;

	if (!f || !path)
		return halo_error_set(HALO_EUSAGE, "dataset verify: no file given");
	rc = halo_sha256_file(path, hex);
	if (rc)
		return rc;
	if (strcmp(hex, f->sha256) != 0)
		return halo_error_set(HALO_EFORMAT, "'%s': sha256 mismatch for %s: expected %s, got %s", path,
				      f->name, f->sha256, hex);
	return 0;
}

/* ---- raw-field scanner ---- */

static size_t skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* s[i] is '"'; returns the index just past the closing quote, or 0 on error. */
static size_t scan_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"')
			return i + 1;
		if (c < 0x20)
			return 0; /* raw control bytes are not valid inside JSON strings */
		if (c == '\\') {
			if (++i >= len)
				return 0;
		}
	}
	return 0;
}

static int bare_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '+' ||
	       c == '-' || c == '.';
}

/*
 * Scans one value starting at s[*i]; sets *i past it. Bare tokens (numbers,
 * true, Infinity...) are taken as runs of [A-Za-z0-9+-.] and not interpreted:
 * the point is to keep them verbatim, jansson checks everything else.
 */
static int scan_value(const char *s, size_t len, size_t *i)
{
	char stack[HALO_JSON_MAX_DEPTH];
	size_t depth = 0, p = *i;

	if (p >= len)
		return halo_error_set(HALO_EFORMAT, "column %zu: value expected", p + 1);
	do {
		char c = s[p];
		if (c == '"') {
			size_t e = scan_string(s, len, p);
			if (!e)
				return halo_error_set(HALO_EFORMAT, "column %zu: unterminated or invalid string", p + 1);
			p = e;
		} else if (c == '[' || c == '{') {
			if (depth == sizeof(stack))
				return halo_error_set(HALO_EFORMAT, "column %zu: nested deeper than %d", p + 1,
						      HALO_JSON_MAX_DEPTH);
			stack[depth++] = c == '[' ? ']' : '}';
			p++;
		} else if (c == ']' || c == '}') {
			if (depth == 0 || stack[depth - 1] != c)
				return halo_error_set(HALO_EFORMAT, "column %zu: unbalanced '%c'", p + 1, c);
			depth--;
			p++;
		} else if (depth > 0 && (c == ',' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
			p++;
		} else if (bare_char(c)) {
			while (p < len && bare_char(s[p]))
				p++;
		} else {
			return halo_error_set(HALO_EFORMAT, "column %zu: unexpected byte 0x%02x", p + 1,
					      (unsigned char)c);
		}
		if (depth > 0 && p >= len)
			return halo_error_set(HALO_EFORMAT, "column %zu: unterminated array or object", p + 1);
	} while (depth > 0);
	*i = p;
	return 0;
}

int halo_json_scan_fields(const char *s, size_t len, const char *const *keys, size_t n,
			  halo_json_span *spans)
{
	size_t i;
	int rc;

	for (size_t k = 0; k < n; k++)
		spans[k].off = spans[k].len = 0;
	i = skip_ws(s, len, 0);
	if (i >= len || s[i] != '{')
		return halo_error_set(HALO_EFORMAT, "column %zu: expected a json object", i + 1);
	i = skip_ws(s, len, i + 1);
	if (i < len && s[i] == '}')
		goto end;
	for (;;) {
		size_t kstart, kend, vstart;
		if (i >= len || s[i] != '"')
			return halo_error_set(HALO_EFORMAT, "column %zu: expected a member name", i + 1);
		kstart = i + 1;
		kend = scan_string(s, len, i);
		if (!kend)
			return halo_error_set(HALO_EFORMAT, "column %zu: unterminated member name", i + 1);
		i = skip_ws(s, len, kend);
		kend--; /* at the closing quote */
		if (i >= len || s[i] != ':')
			return halo_error_set(HALO_EFORMAT, "column %zu: expected ':'", i + 1);
		i = skip_ws(s, len, i + 1);
		vstart = i;
		rc = scan_value(s, len, &i);
		if (rc)
			return rc;
		for (size_t k = 0; k < n; k++) {
			size_t kl = strlen(keys[k]);
			if (kl != kend - kstart || memcmp(s + kstart, keys[k], kl) != 0)
				continue;
			if (spans[k].len)
				return halo_error_set(HALO_EFORMAT, "column %zu: duplicate field '%s'", kstart, keys[k]);
			spans[k].off = vstart;
			spans[k].len = i - vstart;
		}
		i = skip_ws(s, len, i);
		if (i < len && s[i] == ',') {
			i = skip_ws(s, len, i + 1);
			continue;
		}
		if (i < len && s[i] == '}')
			break;
		return halo_error_set(HALO_EFORMAT, "column %zu: expected ',' or '}'", i + 1);
	}
end:
	i = skip_ws(s, len, i + 1);
	if (i != len)
		return halo_error_set(HALO_EFORMAT, "column %zu: trailing bytes after the object", i + 1);
	return 0;
}

/* ---- record parsers ---- */

void halo_dataset_record_free(halo_dataset_record *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->prompt);
	free(r->entry_point);
	free(r->canonical_solution);
	free(r->base_input_raw);
	free(r->plus_input_raw);
	free(r->atol_raw);
	free(r->assertion);
	for (size_t i = 0; i < r->n_instructions; i++) {
		if (r->instruction_ids)
			free(r->instruction_ids[i]);
		if (r->kwargs_json)
			free(r->kwargs_json[i]);
	}
	free(r->instruction_ids);
	free(r->kwargs_json);
	free(r->question_json);
	free(r->function_json);
	free(r->ground_truth_json);
	memset(r, 0, sizeof(*r));
}

static int dup_span(char **out, const char *s, halo_json_span sp)
{
	*out = malloc(sp.len + 1);
	if (!*out)
		return halo_error_set(HALO_ENOMEM, "out of memory copying a %zu-byte field", sp.len);
	memcpy(*out, s + sp.off, sp.len);
	(*out)[sp.len] = '\0';
	return 0;
}

static int get_string(json_t *root, const char *key, char **out)
{
	json_t *v = json_object_get(root, key);
	if (!v)
		return halo_error_set(HALO_EFORMAT, "missing field '%s'", key);
	if (!json_is_string(v))
		return halo_error_set(HALO_EFORMAT, "field '%s' is not a string", key);
	*out = strdup(json_string_value(v));
	if (!*out)
		return halo_error_set(HALO_ENOMEM, "out of memory copying field '%s'", key);
	return 0;
}

/* Which raw fields each kind keeps, and the type their first byte must show. */
typedef struct raw_field {
	const char *key;
	char first; /* '[' array, 'c' array or object, 'n' a bare number token */
	size_t field; /* offsetof the char * in the record */
} raw_field;

#define RF(k, f, m) { k, f, offsetof(halo_dataset_record, m) }
static const raw_field evalplus_raw[] = {
	/* MBPP+ v0.2.0 has one task (Mbpp/793) whose plus_input is {} */
	RF("base_input", 'c', base_input_raw), RF("plus_input", 'c', plus_input_raw), RF("atol", 'n', atol_raw),
};
static const raw_field bfcl_raw[] = {
	RF("question", '[', question_json), RF("function", '[', function_json),
};
static const raw_field answer_raw[] = {
	RF("ground_truth", '[', ground_truth_json),
};

static int parse_ifeval(json_t *root, halo_dataset_record *r)
{
	json_t *key = json_object_get(root, "key"), *ids, *kw;
	char num[32];
	int rc;

	if (!key)
		return halo_error_set(HALO_EFORMAT, "missing field 'key'");
	if (!json_is_integer(key))
		return halo_error_set(HALO_EFORMAT, "field 'key' is not an integer");
	snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(key));
	r->id = strdup(num);
	if (!r->id)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	if ((rc = get_string(root, "prompt", &r->prompt)))
		return rc;
	ids = json_object_get(root, "instruction_id_list");
	kw = json_object_get(root, "kwargs");
	if (!ids)
		return halo_error_set(HALO_EFORMAT, "missing field 'instruction_id_list'");
	if (!json_is_array(ids))
		return halo_error_set(HALO_EFORMAT, "field 'instruction_id_list' is not an array");
	if (!kw)
		return halo_error_set(HALO_EFORMAT, "missing field 'kwargs'");
	if (!json_is_array(kw))
		return halo_error_set(HALO_EFORMAT, "field 'kwargs' is not an array");
	if (json_array_size(kw) != json_array_size(ids))
		return halo_error_set(HALO_EFORMAT, "'kwargs' has %zu entries but 'instruction_id_list' has %zu",
				      json_array_size(kw), json_array_size(ids));
	size_t n = json_array_size(ids);
	r->instruction_ids = calloc(n ? n : 1, sizeof(char *));
	r->kwargs_json = calloc(n ? n : 1, sizeof(char *));
	if (!r->instruction_ids || !r->kwargs_json)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	r->n_instructions = n;
	for (size_t i = 0; i < n; i++) {
		json_t *id = json_array_get(ids, i), *k = json_array_get(kw, i);
		if (!json_is_string(id))
			return halo_error_set(HALO_EFORMAT, "'instruction_id_list'[%zu] is not a string", i);
		if (!json_is_object(k))
			return halo_error_set(HALO_EFORMAT, "'kwargs'[%zu] is not an object", i);
		r->instruction_ids[i] = strdup(json_string_value(id));
		r->kwargs_json[i] = json_dumps(k, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!r->instruction_ids[i] || !r->kwargs_json[i])
			return halo_error_set(HALO_ENOMEM, "out of memory");
	}
	return 0;
}

int halo_dataset_parse_line(halo_dataset_kind kind, const char *line, size_t len,
			    halo_dataset_record *out)
{
	const raw_field *raw = NULL;
	size_t n_raw = 0;
	halo_json_span spans[3];
	const char *keys[3];
	halo_dataset_record r;
	json_error_t jerr;
	json_t *root = NULL;
	char *copy = NULL;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	memset(out, 0, sizeof(*out));
	if ((unsigned)kind >= HALO_DATASET_N_KINDS || (!line && len))
		return halo_error_set(HALO_EUSAGE, "dataset parse: bad arguments");
	r.kind = kind;
	/* A NUL would let C-string consumers see a different record than jansson. */
	const char *nul = len ? memchr(line, '\0', len) : NULL;
	if (nul)
		return halo_error_set(HALO_EFORMAT, "column %zu: nul byte", (size_t)(nul - line) + 1);
	switch (kind) {
	case HALO_DATASET_HUMANEVAL:
	case HALO_DATASET_MBPP:
		raw = evalplus_raw;
		n_raw = 3;
		break;
	case HALO_DATASET_BFCL:
		raw = bfcl_raw;
		n_raw = 2;
		break;
	case HALO_DATASET_BFCL_ANSWER:
		raw = answer_raw;
		n_raw = 1;
		break;
	default:
		break;
	}
	if (n_raw) {
		for (size_t k = 0; k < n_raw; k++)
			keys[k] = raw[k].key;
		if ((rc = halo_json_scan_fields(line, len, keys, n_raw, spans)))
			goto out;
		copy = malloc(len + 1);
		if (!copy) {
			rc = halo_error_set(HALO_ENOMEM, "out of memory copying a %zu-byte line", len);
			goto out;
		}
		memcpy(copy, line, len);
		copy[len] = '\0';
		for (size_t k = 0; k < n_raw; k++) {
			char first;
			if (!spans[k].len) {
				rc = halo_error_set(HALO_EFORMAT, "missing field '%s'", raw[k].key);
				goto out;
			}
			first = line[spans[k].off];
			int bad;
			if (raw[k].first == 'n')
				bad = !(first == '-' || first == '+' || first == '.' || (first >= '0' && first <= '9') ||
					first == 'I' || first == 'N');
			else if (raw[k].first == 'c')
				bad = first != '[' && first != '{';
			else
				bad = first != raw[k].first;
			if (bad) {
				rc = halo_error_set(HALO_EFORMAT, "field '%s' is not %s", raw[k].key,
						    raw[k].first == '[' ? "an array" :
						    raw[k].first == 'c' ? "an array or object" : "a number");
				goto out;
			}
			if ((rc = dup_span((char **)((char *)&r + raw[k].field), line, spans[k])))
				goto out;
			/* Blank the value (spaces, then a 0) so jansson sees valid JSON
			 * for the rest of the record without the huge/odd numbers. */
			memset(copy + spans[k].off, ' ', spans[k].len);
			copy[spans[k].off] = '0';
		}
	}
	root = json_loadb(copy ? copy : line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		rc = halo_error_set(HALO_EFORMAT, "column %d: invalid json: %s", jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		rc = halo_error_set(HALO_EFORMAT, "record is not a json object");
		goto out;
	}
	switch (kind) {
	case HALO_DATASET_HUMANEVAL:
	case HALO_DATASET_MBPP:
		if ((rc = get_string(root, "task_id", &r.id)) || (rc = get_string(root, "prompt", &r.prompt)) ||
		    (rc = get_string(root, "entry_point", &r.entry_point)) ||
		    (rc = get_string(root, "canonical_solution", &r.canonical_solution)))
			goto out;
		if (kind == HALO_DATASET_MBPP && (rc = get_string(root, "assertion", &r.assertion)))
			goto out;
		break;
	case HALO_DATASET_IFEVAL:
		if ((rc = parse_ifeval(root, &r)))
			goto out;
		break;
	case HALO_DATASET_BFCL:
	case HALO_DATASET_BFCL_ANSWER:
		if ((rc = get_string(root, "id", &r.id)))
			goto out;
		break;
	default:
		break;
	}
out:
	json_decref(root);
	free(copy);
	if (rc)
		halo_dataset_record_free(&r);
	else
		*out = r;
	return rc;
}

/* ---- JSON Lines reader ---- */

struct halo_jsonl {
	gzFile gz;
	char *path;
	halo_buf line;
	size_t cap;
	size_t lineno;
	unsigned char *chunk;
	size_t chunk_len, chunk_pos;
	int eof;
};

#define JSONL_CHUNK (1 << 16)

int halo_jsonl_open(halo_jsonl **out, const char *path, size_t line_cap)
{
	halo_jsonl *r;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	r->cap = line_cap ? line_cap : HALO_JSONL_DEFAULT_LINE_CAP;
	r->path = strdup(path);
	r->chunk = malloc(JSONL_CHUNK);
	/* +1: the cap check below is ours, so the buffer never trips its own */
	halo_buf_init(&r->line, r->cap + 1);
	if (!r->path || !r->chunk) {
		halo_jsonl_close(r);
		return halo_error_set(HALO_ENOMEM, "out of memory");
	}
	errno = 0;
	/* gzopen reads plain files as they are, so .jsonl and .jsonl.gz share a path */
	r->gz = gzopen(path, "rb");
	if (!r->gz) {
		int e = errno;
		halo_jsonl_close(r);
		return halo_error_set(e == ENOENT ? HALO_ENOTFOUND : HALO_EIO, "'%s': %s", path,
				      e ? strerror(e) : "cannot open");
	}
	*out = r;
	return 0;
}

size_t halo_jsonl_lineno(const halo_jsonl *r)
{
	return r ? r->lineno : 0;
}

void halo_jsonl_close(halo_jsonl *r)
{
	if (!r)
		return;
	if (r->gz)
		gzclose(r->gz);
	halo_buf_free(&r->line);
	free(r->chunk);
	free(r->path);
	free(r);
}

/* zlib's gzerror() text starts with the path it was opened with: drop that,
 * since our messages already begin with "path:line". */
static const char *zmsg(const halo_jsonl *r, const char *msg)
{
	size_t n = strlen(r->path);
	if (!msg || !*msg)
		return "truncated or corrupt input";
	if (strncmp(msg, r->path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		return msg + n + 2;
	return msg;
}

static int fill(halo_jsonl *r)
{
	int got = gzread(r->gz, r->chunk, JSONL_CHUNK);
	if (got < 0) {
		int zerr;
		const char *msg = gzerror(r->gz, &zerr);
		return halo_error_set(HALO_EFORMAT, "%s:%zu: read error: %s", r->path, r->lineno + 1,
				      zmsg(r, msg));
	}
	if (got == 0) {
		int zerr;
		const char *msg = gzerror(r->gz, &zerr);
		/* zlib reports a truncated gzip stream only here, as Z_BUF_ERROR */
		if (zerr != Z_OK && zerr != Z_STREAM_END)
			return halo_error_set(HALO_EFORMAT, "%s:%zu: read error: %s", r->path, r->lineno + 1,
					      zmsg(r, msg));
		r->eof = 1;
	}
	r->chunk_len = (size_t)got;
	r->chunk_pos = 0;
	return 0;
}

static int is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

int halo_jsonl_next(halo_jsonl *r, const char **line, size_t *len)
{
	int rc;

	for (;;) {
		int have_line = 0;
		halo_buf_reset(&r->line);
		for (;;) {
			if (r->chunk_pos == r->chunk_len) {
				if (r->eof)
					break;
				if ((rc = fill(r)))
					return rc;
				continue;
			}
			unsigned char *start = r->chunk + r->chunk_pos;
			size_t avail = r->chunk_len - r->chunk_pos;
			unsigned char *nl = memchr(start, '\n', avail);
			size_t take = nl ? (size_t)(nl - start) : avail;
			if (take > r->cap - r->line.len)
				return halo_error_set(HALO_ENOMEM, "%s:%zu: line longer than %zu bytes", r->path,
						      r->lineno + 1, r->cap);
			if ((rc = halo_buf_add(&r->line, start, take)))
				return halo_error_prefix("%s:%zu", r->path, r->lineno + 1);
			r->chunk_pos += take + (nl ? 1 : 0);
			have_line = 1;
			if (nl)
				break;
		}
		if (!have_line)
			return 0;
		r->lineno++;
		if (is_blank(r->line.ptr ? r->line.ptr : "", r->line.len))
			continue;
		/* tolerate CRLF files */
		if (r->line.ptr[r->line.len - 1] == '\r')
			r->line.ptr[--r->line.len] = '\0';
		*line = r->line.ptr;
		*len = r->line.len;
		return 1;
	}
}

int halo_dataset_load(const char *path, halo_dataset_kind kind, const halo_dataset_opts *opts,
		      halo_dataset_record_fn fn, void *ud, size_t *n_records)
{
	halo_dataset_opts def = HALO_DATASET_OPTS_INIT;
	halo_jsonl *r = NULL;
	const char *line;
	size_t len, count = 0;
	int rc;

	if (n_records)
		*n_records = 0;
	if (!opts)
		opts = &def;
	if (opts->version != HALO_DATASET_OPTS_VERSION)
		return halo_error_set(HALO_EUSAGE, "dataset options: unknown version %d", opts->version);
	if (!path || !fn || (unsigned)kind >= HALO_DATASET_N_KINDS)
		return halo_error_set(HALO_EUSAGE, "dataset load: bad arguments");
	if ((rc = halo_jsonl_open(&r, path, opts->line_cap)))
		return rc;
	while ((rc = halo_jsonl_next(r, &line, &len)) == 1) {
		halo_dataset_record rec;
		if ((rc = halo_dataset_parse_line(kind, line, len, &rec))) {
			halo_error_prefix("%s:%zu", path, halo_jsonl_lineno(r));
			break;
		}
		rc = fn(&rec, ud);
		halo_dataset_record_free(&rec);
		if (rc) {
			/* the callback's own stop value, error or not, goes back as is */
			halo_jsonl_close(r);
			if (n_records)
				*n_records = count;
			return rc;
		}
		count++;
	}
	halo_jsonl_close(r);
	if (n_records)
		*n_records = count;
	return rc; /* 0 at the end, or the reader's/parser's error */
}

int halo_dataset_resolve(const halo_dataset_file *f, const halo_dataset_source *src, char *path, size_t n)
{
	halo_dataset_source defaults = HALO_DATASET_SOURCE_INIT;
	char dir[4096];
	int rc;

	if (!src)
		src = &defaults;
	if (src->data_dir && *src->data_dir) {
		if ((size_t)snprintf(path, n, "%s/%s", src->data_dir, f->path) >= n)
			return halo_error_set(HALO_ENOMEM, "dataset path for %s is too long", f->name);
		if (access(path, R_OK))
			return halo_error_set(HALO_ENOTFOUND, "'%s': dataset %s is missing from --data-dir: %s", path,
					      f->name, strerror(errno));
		return halo_dataset_verify(f, path);
	}
	if (src->cache_dir && *src->cache_dir)
		snprintf(dir, sizeof(dir), "%s", src->cache_dir);
	else if ((rc = halo_user_path(HALO_DIR_CACHE, "datasets", dir, sizeof(dir))))
		return rc;
	if ((size_t)snprintf(path, n, "%s/%s", dir, f->path) >= n)
		return halo_error_set(HALO_ENOMEM, "dataset path for %s is too long", f->name);
	if (access(path, R_OK) == 0)
		return halo_dataset_verify(f, path);
	if (src->offline)
		return halo_error_set(HALO_ENOTFOUND, "'%s': dataset %s is not downloaded (offline)", path, f->name);
	if ((rc = halo_mkdir_parents(path, 0755)))
		return rc;
	char part[4200];
	snprintf(part, sizeof(part), "%s.part", path);
	char url[4200];
	if (src->mirror && *src->mirror)
		snprintf(url, sizeof(url), "%s%s%s", src->mirror,
			 src->mirror[strlen(src->mirror) - 1] == '/' ? "" : "/", f->path);
	else
		snprintf(url, sizeof(url), "%s", f->url);
	rc = halo_http_download(url, part, HALO_DATASET_MAX_DOWNLOAD, NULL);
	if (!rc)
		rc = halo_dataset_verify(f, part);
	if (!rc && rename(part, path))
		rc = halo_error_set(HALO_EIO, "'%s': cannot rename into place: %s", part, strerror(errno));
	if (rc) {
		/* keep the message; never leave a wrong file where a later run would find it */
		unlink(part);
		return halo_error_prefix("downloading dataset %s from %s", f->name, url);
	}
	return 0;
}
