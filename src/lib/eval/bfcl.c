/*
 * BFCL v4 single-turn scoring (bfcl.h). The checker follows the reference's
 * ast_checker.py rule by rule, including its quirks, on Python values with
 * Python equality (pycall.h); docs/bfcl.md lists what differs.
 */
#include "eval/bfcl.h"

#include "buf.h"
#include "error.h"

#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#define CAP_TEXT ((size_t)16 << 20) /* largest answer or JSON document accepted */

/* ------------------------------------------------------------ categories */

static const struct {
	const char *name;
	halo_bfcl_scoring scoring;
	halo_bfcl_lang lang;
} categories[HALO_BFCL_N_CATEGORIES] = {
	{ "simple_python", HALO_BFCL_SCORE_AST, HALO_BFCL_PYTHON },
	{ "simple_java", HALO_BFCL_SCORE_AST, HALO_BFCL_JAVA },
	{ "simple_javascript", HALO_BFCL_SCORE_AST, HALO_BFCL_JAVASCRIPT },
	{ "multiple", HALO_BFCL_SCORE_AST, HALO_BFCL_PYTHON },
	{ "parallel", HALO_BFCL_SCORE_AST, HALO_BFCL_PYTHON },
	{ "parallel_multiple", HALO_BFCL_SCORE_AST, HALO_BFCL_PYTHON },
	{ "irrelevance", HALO_BFCL_SCORE_IRRELEVANCE, HALO_BFCL_PYTHON },
	{ "live_simple", HALO_BFCL_SCORE_AST, HALO_BFCL_PYTHON },
	{ "live_multiple", HALO_BFCL_SCORE_AST, HALO_BFCL_PYTHON },
	{ "live_parallel", HALO_BFCL_SCORE_AST, HALO_BFCL_PYTHON },
	{ "live_parallel_multiple", HALO_BFCL_SCORE_AST, HALO_BFCL_PYTHON },
	{ "live_irrelevance", HALO_BFCL_SCORE_IRRELEVANCE, HALO_BFCL_PYTHON },
	{ "live_relevance", HALO_BFCL_SCORE_RELEVANCE, HALO_BFCL_PYTHON },
};

static const char *const question_files[HALO_BFCL_N_CATEGORIES] = {
	"bfcl/BFCL_v4_simple_python.json", "bfcl/BFCL_v4_simple_java.json",
	"bfcl/BFCL_v4_simple_javascript.json", "bfcl/BFCL_v4_multiple.json",
	"bfcl/BFCL_v4_parallel.json", "bfcl/BFCL_v4_parallel_multiple.json",
	"bfcl/BFCL_v4_irrelevance.json", "bfcl/BFCL_v4_live_simple.json",
	"bfcl/BFCL_v4_live_multiple.json", "bfcl/BFCL_v4_live_parallel.json",
	"bfcl/BFCL_v4_live_parallel_multiple.json", "bfcl/BFCL_v4_live_irrelevance.json",
	"bfcl/BFCL_v4_live_relevance.json",
};

static const char *const answer_files[HALO_BFCL_N_CATEGORIES] = {
	"bfcl/possible_answer/BFCL_v4_simple_python.json", "bfcl/possible_answer/BFCL_v4_simple_java.json",
	"bfcl/possible_answer/BFCL_v4_simple_javascript.json", "bfcl/possible_answer/BFCL_v4_multiple.json",
	"bfcl/possible_answer/BFCL_v4_parallel.json", "bfcl/possible_answer/BFCL_v4_parallel_multiple.json",
	NULL, "bfcl/possible_answer/BFCL_v4_live_simple.json",
	"bfcl/possible_answer/BFCL_v4_live_multiple.json", "bfcl/possible_answer/BFCL_v4_live_parallel.json",
	"bfcl/possible_answer/BFCL_v4_live_parallel_multiple.json", NULL, NULL,
};

const char *halo_bfcl_category_name(halo_bfcl_category c)
{
	return (unsigned)c < HALO_BFCL_N_CATEGORIES ? categories[c].name : NULL;
}

int halo_bfcl_category_from_name(const char *name)
{
	for (int c = 0; name && c < HALO_BFCL_N_CATEGORIES; c++)
		if (strcmp(name, categories[c].name) == 0)
			return c;
	return -1;
}

int halo_bfcl_category_from_id(const char *id)
{
	const char *us = id ? strrchr(id, '_') : NULL;
	if (!us)
		return -1;
	size_t n = (size_t)(us - id);
	for (int c = 0; c < HALO_BFCL_N_CATEGORIES; c++)
		if (strlen(categories[c].name) == n && memcmp(id, categories[c].name, n) == 0)
			return c;
	return -1;
}

halo_bfcl_scoring halo_bfcl_category_scoring(halo_bfcl_category c)
{
	return (unsigned)c < HALO_BFCL_N_CATEGORIES ? categories[c].scoring : HALO_BFCL_SCORE_AST;
}

halo_bfcl_lang halo_bfcl_category_lang(halo_bfcl_category c)
{
	return (unsigned)c < HALO_BFCL_N_CATEGORIES ? categories[c].lang : HALO_BFCL_PYTHON;
}

const char *halo_bfcl_question_file(halo_bfcl_category c)
{
	return (unsigned)c < HALO_BFCL_N_CATEGORIES ? question_files[c] : NULL;
}

const char *halo_bfcl_answer_file(halo_bfcl_category c)
{
	return (unsigned)c < HALO_BFCL_N_CATEGORIES ? answer_files[c] : NULL;
}

/* --------------------------------------------------- Python's json.dumps */

static int dump_py_string(const char *s, size_t len, halo_buf *b)
{
	int rc = halo_buf_adds(b, "\"");
	for (size_t k = 0; k < len && rc == 0;) {
		unsigned char c = (unsigned char)s[k];
		unsigned long cp = c;
		size_t n = 1;
		if (c >= 0x80) {
			/* jansson guarantees valid UTF-8 */
			n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
			if (k + n > len)
				n = len - k;
			cp = c & (n == 4 ? 0x07 : n == 3 ? 0x0F : 0x1F);
			for (size_t j = 1; j < n; j++)
				cp = (cp << 6) | ((unsigned char)s[k + j] & 0x3F);
		}
		k += n;
		switch (cp) {
		case '"': rc = halo_buf_adds(b, "\\\""); break;
		case '\\': rc = halo_buf_adds(b, "\\\\"); break;
		case '\n': rc = halo_buf_adds(b, "\\n"); break;
		case '\r': rc = halo_buf_adds(b, "\\r"); break;
		case '\t': rc = halo_buf_adds(b, "\\t"); break;
		case '\b': rc = halo_buf_adds(b, "\\b"); break;
		case '\f': rc = halo_buf_adds(b, "\\f"); break;
		default:
			if (cp < 0x20 || (cp >= 0x7f && cp < 0x10000 && cp != 0x7f))
				rc = halo_buf_addf(b, "\\u%04lx", cp);
			else if (cp == 0x7f)
				rc = halo_buf_add(b, "\x7f", 1);
			else if (cp >= 0x10000) {
				unsigned long v = cp - 0x10000;
				rc = halo_buf_addf(b, "\\u%04lx\\u%04lx", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
			} else {
				char ch = (char)cp;
				rc = halo_buf_add(b, &ch, 1);
			}
		}
	}
	return rc ? rc : halo_buf_adds(b, "\"");
}

static int dump_py(const json_t *j, int indent, int level, halo_buf *b)
{
	int rc = 0;
	switch (json_typeof(j)) {
	case JSON_NULL: return halo_buf_adds(b, "null");
	case JSON_TRUE: return halo_buf_adds(b, "true");
	case JSON_FALSE: return halo_buf_adds(b, "false");
	case JSON_INTEGER: return halo_buf_addf(b, "%lld", (long long)json_integer_value(j));
	case JSON_REAL: {
		double f = json_real_value(j);
		if (isinf(f))
			return halo_buf_adds(b, f < 0 ? "-Infinity" : "Infinity");
		return halo_py_float_repr(f, b);
	}
	case JSON_STRING: return dump_py_string(json_string_value(j), json_string_length(j), b);
	case JSON_ARRAY:
	case JSON_OBJECT: {
		int arr = json_is_array(j);
		size_t n = arr ? json_array_size(j) : json_object_size(j);
		if (n == 0)
			return halo_buf_adds(b, arr ? "[]" : "{}");
		rc = halo_buf_adds(b, arr ? "[" : "{");
		size_t k = 0;
		const char *key;
		size_t klen;
		json_t *v;
		void *it = arr ? NULL : json_object_iter((json_t *)j);
		for (k = 0; k < n && rc == 0; k++) {
			if (k)
				rc |= halo_buf_adds(b, indent >= 0 ? "," : ", ");
			if (indent >= 0)
				rc |= halo_buf_addf(b, "\n%*s", indent * (level + 1), "");
			if (arr) {
				v = json_array_get(j, k);
			} else {
				key = json_object_iter_key(it);
				klen = json_object_iter_key_len(it);
				v = json_object_iter_value(it);
				it = json_object_iter_next((json_t *)j, it);
				rc |= dump_py_string(key, klen, b);
				rc |= halo_buf_adds(b, ": ");
			}
			if (rc == 0)
				rc = dump_py(v, indent, level + 1, b);
		}
		if (rc == 0 && indent >= 0)
			rc = halo_buf_addf(b, "\n%*s", indent * level, "");
		return rc ? rc : halo_buf_adds(b, arr ? "]" : "}");
	}
	}
	return 0;
}

int halo_bfcl_py_json_dumps(const json_t *j, int indent, char **out)
{
	halo_buf b;
	halo_buf_init(&b, CAP_TEXT);
	*out = NULL;
	int rc = dump_py(j, indent, 0, &b);
	if (rc != 0) {
		halo_buf_free(&b);
		return rc;
	}
	*out = halo_buf_detach(&b);
	return 0;
}

/* ------------------------------------------------------ function docs */

static json_t *load_json(const char *text, const char *what)
{
	json_error_t err;
	if (!text) {
		halo_error_set(HALO_EUSAGE, "%s: missing", what);
		return NULL;
	}
	json_t *j = json_loadb(text, strlen(text), JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (!j)
		halo_error_set(HALO_EFORMAT, "%s: invalid JSON at column %d: %s", what, err.column, err.text);
	return j;
}

/* description += suffix (a missing description counts as "") */
static int append_desc(json_t *obj, const char *suffix)
{
	const char *d = json_string_value(json_object_get(obj, "description"));
	halo_buf b;
	halo_buf_init(&b, CAP_TEXT);
	if (halo_buf_adds(&b, d ? d : "") != 0 || halo_buf_adds(&b, suffix) != 0) {
		halo_buf_free(&b);
		return HALO_ENOMEM;
	}
	int rc = json_object_set_new(obj, "description", json_stringn(b.ptr, b.len)) == 0 ? 0 : HALO_ENOMEM;
	halo_buf_free(&b);
	return rc;
}

static const char *type_of(const json_t *prop)
{
	const char *t = json_string_value(json_object_get(prop, "type"));
	return t ? t : "";
}

/* The reference's _func_doc_language_specific_pre_processing. */
static int add_language_hints(json_t *funcs, halo_bfcl_lang lang)
{
	size_t k;
	json_t *f;
	const char *hint = lang == HALO_BFCL_JAVA ? " Note that the provided function is in Java 8 SDK syntax."
			   : lang == HALO_BFCL_JAVASCRIPT ? " Note that the provided function is in JavaScript syntax."
							  : " Note that the provided function is in Python 3 syntax.";
	const char *lname = lang == HALO_BFCL_JAVA ? "Java" : "JavaScript";
	json_array_foreach(funcs, k, f) {
		if (!json_is_object(f))
			return halo_error_set(HALO_EFORMAT, "function #%zu is not an object", k);
		if (append_desc(f, hint) != 0)
			return HALO_ENOMEM;
		if (lang == HALO_BFCL_PYTHON)
			continue;
		json_t *props = json_object_get(json_object_get(f, "parameters"), "properties");
		const char *key;
		json_t *p;
		char tmp[512];
		json_object_foreach(props, key, p) {
			const char *t = type_of(p);
			if (strcmp(t, "any") == 0)
				snprintf(tmp, sizeof(tmp), " This parameter can be of any type of %s object in string representation.", lname);
			else
				snprintf(tmp, sizeof(tmp), " This is %s %s type parameter in string representation.", lname, t);
			if (append_desc(p, tmp) != 0)
				return HALO_ENOMEM;
			int is_list = lang == HALO_BFCL_JAVA ? (strcmp(t, "ArrayList") == 0 || strcmp(t, "Array") == 0)
							     : strcmp(t, "array") == 0;
			if (is_list) {
				snprintf(tmp, sizeof(tmp), " The list elements are of type %s; they are not in string representation.",
					 type_of(json_object_get(p, "items")));
				if (append_desc(p, tmp) != 0)
					return HALO_ENOMEM;
				json_object_del(p, "items");
			}
			if (lang == HALO_BFCL_JAVASCRIPT && strcmp(t, "dict") == 0 && json_object_get(p, "properties")) {
				char *schema = NULL;
				if (halo_bfcl_py_json_dumps(json_object_get(p, "properties"), -1, &schema) != 0)
					return HALO_ENOMEM;
				halo_buf b;
				halo_buf_init(&b, CAP_TEXT);
				int rc = halo_buf_adds(&b, " The dictionary entries have the following schema; they are not in string representation. ");
				rc |= halo_buf_adds(&b, schema);
				free(schema);
				if (rc == 0)
					rc = append_desc(p, b.ptr);
				halo_buf_free(&b);
				if (rc != 0)
					return HALO_ENOMEM;
				json_object_del(p, "properties");
			}
			json_object_set_new(p, "type", json_string("string"));
		}
	}
	return 0;
}

static const char *const gorilla_to_openapi[][2] = {
	{ "integer", "integer" }, { "number", "number" }, { "float", "number" }, { "string", "string" },
	{ "boolean", "boolean" }, { "bool", "boolean" }, { "array", "array" }, { "list", "array" },
	{ "dict", "object" }, { "object", "object" }, { "tuple", "array" }, { "any", "string" },
	{ "byte", "integer" }, { "short", "integer" }, { "long", "integer" }, { "double", "number" },
	{ "char", "string" }, { "ArrayList", "array" }, { "Array", "array" }, { "HashMap", "object" },
	{ "Hashtable", "object" }, { "Queue", "array" }, { "Stack", "array" }, { "Any", "string" },
	{ "String", "string" }, { "Bigint", "integer" },
};

static const char *openapi_type(const char *t)
{
	for (size_t k = 0; k < sizeof(gorilla_to_openapi) / sizeof(gorilla_to_openapi[0]); k++)
		if (strcmp(t, gorilla_to_openapi[k][0]) == 0)
			return gorilla_to_openapi[k][1];
	return NULL;
}

static void map_item_type(json_t *items)
{
	const char *m = openapi_type(type_of(items));
	/* the reference indexes the mapping directly (KeyError); we keep unknown types */
	if (m)
		json_object_set_new(items, "type", json_string(m));
}

/* The reference's _cast_to_openai_type with GORILLA_TO_OPENAPI. */
static int cast_to_openai(json_t *props, unsigned depth)
{
	const char *key;
	json_t *p;
	if (depth > 64)
		return halo_error_set(HALO_EFORMAT, "function parameters nested too deeply");
	json_object_foreach(props, key, p) {
		if (!json_is_object(p))
			continue;
		if (!json_object_get(p, "type")) {
			json_object_set_new(p, "type", json_string("string"));
		} else {
			const char *t = type_of(p);
			if (strcmp(t, "float") == 0) {
				json_object_set_new(p, "format", json_string("float"));
				if (append_desc(p, " This is a float type value.") != 0)
					return HALO_ENOMEM;
			}
			const char *m = openapi_type(t);
			json_object_set_new(p, "type", json_string(m ? m : "string"));
		}
		const char *t = type_of(p);
		if (strcmp(t, "array") == 0 || strcmp(t, "object") == 0) {
			json_t *items = json_object_get(p, "items");
			if (json_is_object(json_object_get(p, "properties"))) {
				int rc = cast_to_openai(json_object_get(p, "properties"), depth + 1);
				if (rc != 0)
					return rc;
			} else if (json_is_object(items)) {
				map_item_type(items);
				const char *it = type_of(items);
				if (strcmp(it, "array") == 0 && json_is_object(json_object_get(items, "items"))) {
					map_item_type(json_object_get(items, "items"));
				} else if (strcmp(it, "object") == 0 &&
					   json_is_object(json_object_get(items, "properties"))) {
					int rc = cast_to_openai(json_object_get(items, "properties"), depth + 1);
					if (rc != 0)
						return rc;
				}
			}
		}
	}
	return 0;
}

/* '.' is not allowed in OpenAI tool names: the reference uses '_' */
static char *underscore_name(const char *name)
{
	char *r = strdup(name);
	if (!r) {
		halo_error_set(HALO_ENOMEM, "out of memory");
		return NULL;
	}
	for (char *c = r; *c; c++)
		if (*c == '.')
			*c = '_';
	return r;
}

static json_t *build_tools(json_t *funcs)
{
	json_t *tools = json_array();
	size_t k;
	json_t *f;
	if (!tools)
		return NULL;
	json_array_foreach(funcs, k, f) {
		json_t *item = json_deep_copy(f);
		const char *name = json_string_value(json_object_get(item, "name"));
		json_t *params = json_object_get(item, "parameters");
		if (!item || !name || !json_is_object(params)) {
			json_decref(item);
			json_decref(tools);
			halo_error_set(HALO_EFORMAT, "function #%zu lacks a name or parameters", k);
			return NULL;
		}
		char *un = underscore_name(name);
		if (!un) {
			json_decref(item);
			json_decref(tools);
			return NULL;
		}
		json_object_set_new(item, "name", json_string(un));
		free(un);
		json_object_set_new(params, "type", json_string("object"));
		json_t *props = json_object_get(params, "properties");
		if (json_is_object(props) && cast_to_openai(props, 0) != 0) {
			json_decref(item);
			json_decref(tools);
			return NULL;
		}
		json_array_append_new(tools, json_pack("{s:s, s:o}", "type", "function", "function", item));
	}
	return tools;
}

static const char system_prompt_head[] =
	"You are an expert in composing functions."
	"You are given a question and a set of possible functions. Based on the question, you will need to make one or more function/tool calls to achieve the purpose. If none of the functions can be used, point it out. If the given question lacks the parameters required by the function, also point it out."
	"\n\n"
	"You should only return the function calls in your response.\n\n"
	"If you decide to invoke any of the function(s), you MUST put it in the format of "
	"[func_name1(params_name1=params_value1, params_name2=params_value2...), func_name2(params)]. "
	" You SHOULD NOT include any other text in the response."
	"\n\n"
	"At each turn, you should try your best to complete the tasks requested by the user within the current turn. Continue to output functions to call until you have fulfilled the user's request to the best of your ability. Once you have no more functions to call, the system will consider the current turn complete and proceed to the next turn or task."
	"\n\n"
	"Here is a list of functions in json format that you can invoke.\n";

static int system_prompt_for(json_t *funcs, char **out)
{
	char *doc = NULL;
	int rc = halo_bfcl_py_json_dumps(funcs, 4, &doc);
	if (rc != 0)
		return rc;
	halo_buf b;
	halo_buf_init(&b, CAP_TEXT);
	rc = halo_buf_adds(&b, system_prompt_head);
	rc |= halo_buf_adds(&b, doc);
	rc |= halo_buf_adds(&b, "\n");
	free(doc);
	if (rc != 0) {
		halo_buf_free(&b);
		return HALO_ENOMEM;
	}
	*out = halo_buf_detach(&b);
	return 0;
}

static json_t *hinted_functions(const char *function_json, halo_bfcl_lang lang)
{
	json_t *funcs = load_json(function_json, "function");
	if (!funcs)
		return NULL;
	if (!json_is_array(funcs)) {
		json_decref(funcs);
		halo_error_set(HALO_EFORMAT, "function: not an array");
		return NULL;
	}
	if (add_language_hints(funcs, lang) != 0) {
		json_decref(funcs);
		return NULL;
	}
	return funcs;
}

int halo_bfcl_system_prompt(halo_bfcl_category c, const char *function_json, char **out)
{
	*out = NULL;
	json_t *funcs = hinted_functions(function_json, halo_bfcl_category_lang(c));
	if (!funcs)
		return halo_error_last()->code;
	int rc = system_prompt_for(funcs, out);
	json_decref(funcs);
	return rc;
}

static char *dump_compact(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		halo_error_set(HALO_ENOMEM, "out of memory");
	return s;
}

int halo_bfcl_build_request(const halo_dataset_record *record, halo_bfcl_mode mode, char **messages_json,
			    char **tools_json)
{
	*messages_json = NULL;
	if (tools_json)
		*tools_json = NULL;
	if (!record || !record->id || (mode == HALO_BFCL_NATIVE && !tools_json))
		return halo_error_set(HALO_EUSAGE, "bfcl request: missing record or output");
	int cat = halo_bfcl_category_from_id(record->id);
	if (cat < 0)
		return halo_error_set(HALO_EUSAGE, "bfcl record '%s': unknown category", record->id);
	json_t *q = load_json(record->question_json, record->id);
	if (!q)
		return halo_error_last()->code;
	json_t *turn = json_array_get(q, 0);
	if (!json_is_array(turn)) {
		json_decref(q);
		return halo_error_set(HALO_EFORMAT, "bfcl record '%s': question has no first turn", record->id);
	}
	json_t *msgs = json_deep_copy(turn);
	json_decref(q);
	json_t *funcs = hinted_functions(record->function_json, halo_bfcl_category_lang((halo_bfcl_category)cat));
	int rc = 0;
	if (!msgs || !funcs) {
		rc = msgs ? halo_error_prefix("bfcl record '%s'", record->id) : halo_error_set(HALO_ENOMEM, "out of memory");
		goto done;
	}
	if (mode == HALO_BFCL_PROMPT) {
		char *sys = NULL;
		rc = system_prompt_for(funcs, &sys);
		if (rc != 0)
			goto done;
		json_t *first = json_array_get(msgs, 0);
		const char *role = json_string_value(json_object_get(first, "role"));
		if (role && strcmp(role, "system") == 0) {
			const char *content = json_string_value(json_object_get(first, "content"));
			halo_buf b;
			halo_buf_init(&b, CAP_TEXT);
			rc = halo_buf_adds(&b, sys);
			rc |= halo_buf_adds(&b, "\n\n");
			rc |= halo_buf_adds(&b, content ? content : "");
			if (rc == 0)
				json_object_set_new(first, "content", json_stringn(b.ptr, b.len));
			halo_buf_free(&b);
		} else {
			json_array_insert_new(msgs, 0, json_pack("{s:s, s:s}", "role", "system", "content", sys));
		}
		free(sys);
		if (rc != 0)
			goto done;
	} else {
		json_t *tools = build_tools(funcs);
		if (!tools) {
			rc = halo_error_prefix("bfcl record '%s'", record->id);
			goto done;
		}
		*tools_json = dump_compact(tools);
		json_decref(tools);
		if (!*tools_json) {
			rc = HALO_ENOMEM;
			goto done;
		}
	}
	*messages_json = dump_compact(msgs);
	if (!*messages_json)
		rc = HALO_ENOMEM;
done:
	if (rc != 0 && tools_json) {
		free(*tools_json);
		*tools_json = NULL;
	}
	json_decref(msgs);
	json_decref(funcs);
	return rc;
}

/* -------------------------------------------------------------- decoding */

void halo_bfcl_decoded_free(halo_bfcl_decoded *d)
{
	if (!d)
		return;
	halo_pycall_list_free(d->calls);
	memset(d, 0, sizeof(*d));
}

static void decode_fail(halo_bfcl_decoded *d, const char *what)
{
	d->ok = 0;
	halo_pycall_list_free(d->calls);
	d->calls = NULL;
	snprintf(d->error, sizeof(d->error), "%s: %s", what, halo_error_last()->message);
}

static int is_space_c(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A malformed answer counts as a call attempt when it starts like one:
 * optional '[', then name(.name)* and '(' (strict irrelevance). */
static int looks_like_call(const char *s, size_t len)
{
	size_t k = 0;
	while (k < len && (is_space_c((unsigned char)s[k]) || s[k] == '`'))
		k++;
	if (k < len && s[k] == '[')
		k++;
	while (k < len && is_space_c((unsigned char)s[k]))
		k++;
	size_t start = k;
	while (k < len && (s[k] == '_' || s[k] == '.' || (s[k] >= 'a' && s[k] <= 'z') ||
			   (s[k] >= 'A' && s[k] <= 'Z') || (s[k] >= '0' && s[k] <= '9') ||
			   (unsigned char)s[k] >= 0x80))
		k++;
	if (k == start)
		return 0;
	while (k < len && is_space_c((unsigned char)s[k]))
		k++;
	return k < len && s[k] == '(';
}

/* default_decode_ast_prompting: strip "`\n " and wrap in [ ]. */
static int wrap_brackets(const char *text, size_t len, halo_buf *b)
{
	size_t a = 0, e = len;
	while (a < e && (text[a] == '`' || text[a] == '\n' || text[a] == ' '))
		a++;
	while (e > a && (text[e - 1] == '`' || text[e - 1] == '\n' || text[e - 1] == ' '))
		e--;
	int rc = 0;
	if (a == e || text[a] != '[')
		rc |= halo_buf_adds(b, "[");
	rc |= halo_buf_add(b, text + a, e - a);
	if (a == e || text[e - 1] != ']')
		rc |= halo_buf_adds(b, "]");
	return rc ? HALO_ENOMEM : 0;
}

static int add_call(halo_pycall_list *l, const char *name, size_t name_len)
{
	halo_pycall *c = realloc(l->calls, (l->n + 1) * sizeof(*c));
	if (!c)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	l->calls = c;
	memset(&c[l->n], 0, sizeof(*c));
	c[l->n].name = strndup(name, name_len);
	l->n++;
	if (!c[l->n - 1].name)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	return 0;
}

/* Adds an argument; a repeated name fails as the reference's parsers do. */
static int add_arg(halo_pycall *c, const char *name, size_t name_len, halo_pyval *v)
{
	for (size_t k = 0; k < c->n_args; k++)
		if (strlen(c->arg_names[k]) == name_len && memcmp(c->arg_names[k], name, name_len) == 0) {
			halo_pyval_free(v);
			return halo_error_set(HALO_EFORMAT, "multiple arguments with the same name are not supported");
		}
	char **n = realloc(c->arg_names, (c->n_args + 1) * sizeof(*n));
	if (n)
		c->arg_names = n;
	halo_pyval **vals = n ? realloc(c->arg_values, (c->n_args + 1) * sizeof(*vals)) : NULL;
	if (vals)
		c->arg_values = vals;
	char *nm = vals ? strndup(name, name_len) : NULL;
	if (!nm) {
		halo_pyval_free(v);
		return halo_error_set(HALO_ENOMEM, "out of memory");
	}
	c->arg_names[c->n_args] = nm;
	c->arg_values[c->n_args] = v;
	c->n_args++;
	return 0;
}

static int is_ident_c(int c)
{
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c >= 0x80;
}

/* A Java/JS expression's extent: up to a top-level ',' or ')' (string,
 * char and template literals and bracket nesting respected). */
static int scan_expr(const char *s, size_t len, size_t *pos, unsigned max_depth)
{
	char stack[256];
	unsigned depth = 0;
	size_t k = *pos;
	if (max_depth > sizeof(stack))
		max_depth = sizeof(stack);
	while (k < len) {
		char c = s[k];
		if (c == '"' || c == '\'' || c == '`') {
			size_t j = k + 1;
			while (j < len && s[j] != c) {
				if (s[j] == '\\')
					j++;
				if (c != '`' && j < len && s[j] == '\n')
					return halo_error_set(HALO_EFORMAT, "column %zu: unterminated literal", k + 1);
				j++;
			}
			if (j >= len)
				return halo_error_set(HALO_EFORMAT, "column %zu: unterminated literal", k + 1);
			k = j + 1;
			continue;
		}
		if (c == '<' && k > *pos && is_ident_c((unsigned char)s[k - 1])) {
			/* generic type arguments (`HashMap<String, Object>`): their
			 * commas do not separate call arguments */
			size_t j = k + 1;
			int nest = 1;
			while (j < len && nest > 0) {
				char g = s[j];
				if (g == '<')
					nest++;
				else if (g == '>')
					nest--;
				else if (!(is_ident_c((unsigned char)g) || g == ',' || g == '.' || g == '?' ||
					   g == '[' || g == ']' || is_space_c((unsigned char)g)))
					break;
				j++;
			}
			if (nest == 0) {
				k = j;
				continue;
			}
		}
		if (c == '(' || c == '[' || c == '{') {
			if (depth >= max_depth)
				return halo_error_set(HALO_EFORMAT, "column %zu: nesting too deep", k + 1);
			stack[depth++] = c == '(' ? ')' : c == '[' ? ']' : '}';
		} else if (c == ')' || c == ']' || c == '}') {
			if (depth == 0) {
				if (c == ')')
					break;
				return halo_error_set(HALO_EFORMAT, "column %zu: unbalanced '%c'", k + 1, c);
			}
			if (stack[depth - 1] != c)
				return halo_error_set(HALO_EFORMAT, "column %zu: unbalanced '%c'", k + 1, c);
			depth--;
		} else if (c == ',' && depth == 0) {
			break;
		}
		k++;
	}
	if (k >= len)
		return halo_error_set(HALO_EFORMAT, "unterminated call");
	*pos = k;
	return 0;
}


/* Java value text as the reference's tree-sitter traversal gives it: a string
 * or char literal loses its quotes (escapes are kept as written), an array
 * creation loses the whitespace in its initializer, an object creation loses
 * its class body; anything else is its source text. */
static halo_pyval *java_value_text(const char *s, size_t len)
{
	if (len >= 2 && ((s[0] == '"' && s[len - 1] == '"') || (s[0] == '\'' && s[len - 1] == '\''))) {
		/* only when the literal spans the whole value */
		size_t j = 1;
		while (j < len - 1 && s[j] != s[0]) {
			if (s[j] == '\\')
				j++;
			j++;
		}
		if (j == len - 1)
			return halo_pyval_str(s + 1, len - 2);
	}
	if (len > 4 && memcmp(s, "new", 3) == 0 && is_space_c((unsigned char)s[3])) {
		const char *br = memchr(s, '[', len);
		const char *pa = memchr(s, '(', len);
		if (br && (!pa || br < pa)) {
			/* "new " + type + "[]" + initializer without whitespace */
			halo_buf b;
			halo_buf_init(&b, len + 8);
			int rc = 0;
			size_t k = 3;
			while (k < len && is_space_c((unsigned char)s[k]))
				k++;
			rc |= halo_buf_adds(&b, "new ");
			for (; k < len; k++) {
				char c = s[k];
				if (c == '"' || c == '\'') {
					size_t j = k + 1;
					while (j < len && s[j] != c) {
						if (s[j] == '\\')
							j++;
						j++;
					}
					if (j >= len)
						j = len - 1;
					rc |= halo_buf_add(&b, s + k, j - k + 1);
					k = j;
				} else if (!is_space_c((unsigned char)c)) {
					rc |= halo_buf_add(&b, &c, 1);
				}
			}
			halo_pyval *v = rc ? NULL : halo_pyval_str(b.ptr, b.len);
			halo_buf_free(&b);
			return v;
		}
		if (pa) {
			/* drop a class body after the constructor arguments */
			size_t k = (size_t)(pa - s) + 1;
			if (scan_expr(s, len, &k, 200) == 0 && k < len && s[k] == ')') {
				size_t e = k + 1;
				return halo_pyval_str(s, e);
			}
		}
	}
	return halo_pyval_str(s, len);
}

static void trim(const char *s, size_t *a, size_t *e)
{
	while (*a < *e && is_space_c((unsigned char)s[*a]))
		(*a)++;
	while (*e > *a && is_space_c((unsigned char)s[*e - 1]))
		(*e)--;
}

/* The reference's Java/JavaScript call parsers (tree-sitter there): one call
 * `name(.name)*(arg=value, ...)`; values stay source text (see above). */
static int parse_lang_call(halo_bfcl_lang lang, const char *s, size_t len, halo_bfcl_decoded *d)
{
	size_t k = 0;
	halo_pycall_list *l = calloc(1, sizeof(*l));
	if (!l)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	d->calls = l;
	while (k < len && is_space_c((unsigned char)s[k]))
		k++;
	if (k == len) {
		d->wrong_format = 1; /* no call: the reference returns {} / None */
		return HALO_EFORMAT;
	}
	size_t ns = k;
	while (k < len && (is_ident_c((unsigned char)s[k]) || s[k] == '.'))
		k++;
	size_t ne = k;
	while (k < len && is_space_c((unsigned char)s[k]))
		k++;
	if (ne == ns || k >= len || s[k] != '(')
		return halo_error_set(HALO_EFORMAT, "column %zu: expected a %s method call", k + 1,
				      lang == HALO_BFCL_JAVA ? "Java" : "JavaScript");
	int rc = add_call(l, s + ns, ne - ns);
	if (rc != 0)
		return rc;
	halo_pycall *call = &l->calls[0];
	k++;
	for (;;) {
		while (k < len && is_space_c((unsigned char)s[k]))
			k++;
		if (k < len && s[k] == ')') {
			k++;
			break;
		}
		size_t as = k;
		rc = scan_expr(s, len, &k, 200);
		if (rc != 0)
			return rc;
		size_t ae = k;
		trim(s, &as, &ae);
		if (as == ae)
			return halo_error_set(HALO_EFORMAT, "column %zu: empty argument", as + 1);
		/* name = value (an assignment expression) */
		size_t j = as;
		while (j < ae && is_ident_c((unsigned char)s[j]))
			j++;
		size_t id_end = j;
		while (j < ae && is_space_c((unsigned char)s[j]))
			j++;
		if (id_end > as && j < ae && s[j] == '=' && (j + 1 >= ae || s[j + 1] != '=')) {
			size_t vs = j + 1, ve = ae;
			trim(s, &vs, &ve);
			if (vs == ve)
				return halo_error_set(HALO_EFORMAT, "column %zu: missing value", vs + 1);
			halo_pyval *v;
			if (lang == HALO_BFCL_JAVA) {
				v = java_value_text(s + vs, ve - vs);
			} else if (ve - vs >= 2 && ((s[vs] == '"' && s[ve - 1] == '"') || (s[vs] == '\'' && s[ve - 1] == '\''))) {
				v = halo_pyval_str(s + vs + 1, ve - vs - 2);
			} else {
				v = halo_pyval_str(s + vs, ve - vs);
			}
			if (!v)
				return HALO_ENOMEM;
			rc = add_arg(call, s + as, id_end - as, v);
			if (rc != 0)
				return rc;
		} else if (id_end == ae || (lang == HALO_BFCL_JAVASCRIPT && ae - as == 4 && memcmp(s + as, "true", 4) == 0)) {
			/* a bare identifier: the reference files it under the key None,
			 * which no parameter matches; "" plays that role here */
			halo_pyval *v = halo_pyval_str(s + as, ae - as);
			if (!v)
				return HALO_ENOMEM;
			rc = add_arg(call, "", 0, v);
			if (rc != 0)
				return rc;
		}
		/* other positional arguments are ignored, as in the reference */
		if (k < len && s[k] == ',') {
			k++;
			continue;
		}
		k++; /* ')' */
		break;
	}
	while (k < len && (is_space_c((unsigned char)s[k]) || s[k] == ';'))
		k++;
	if (k != len)
		return halo_error_set(HALO_EFORMAT, "column %zu: unexpected text after the call", k + 1);
	return 0;
}

int halo_bfcl_decode_prompt(halo_bfcl_lang lang, const char *text, size_t len, halo_bfcl_decoded *d)
{
	memset(d, 0, sizeof(*d));
	if (!text && len)
		return halo_error_set(HALO_EUSAGE, "bfcl decode: no text");
	if (len > CAP_TEXT) {
		d->attempted = 1;
		snprintf(d->error, sizeof(d->error), "answer of %zu bytes exceeds the cap", len);
		return 0;
	}
	halo_buf b;
	halo_buf_init(&b, CAP_TEXT + 2);
	if (wrap_brackets(text ? text : "", len, &b) != 0) {
		halo_buf_free(&b);
		return halo_error_set(HALO_ENOMEM, "out of memory");
	}
	int rc;
	if (lang == HALO_BFCL_PYTHON) {
		rc = halo_pycall_parse(b.ptr, b.len, NULL, &d->calls);
	} else {
		/* the reference drops the first and last character ("legacy") */
		rc = parse_lang_call(lang, b.ptr + 1, b.len - 2, d);
	}
	halo_buf_free(&b);
	if (rc == HALO_ENOMEM && halo_error_last()->message[0] == 'o')
		return rc; /* out of memory, not a capped input */
	if (rc != 0) {
		decode_fail(d, "invalid syntax");
		d->attempted = d->wrong_format ? 0 : looks_like_call(text ? text : "", len);
		return 0;
	}
	d->ok = 1;
	return 0;
}

/* {name: json.loads(arguments)} for each call, as the reference's FC decode. */
static int decode_fc_pairs(json_t *calls, int openai_shape, halo_bfcl_decoded *d)
{
	halo_pycall_list *l = calloc(1, sizeof(*l));
	if (!l)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	d->calls = l;
	size_t k;
	json_t *c;
	json_array_foreach(calls, k, c) {
		const char *name = NULL;
		size_t name_len = 0;
		json_t *args;
		if (openai_shape) {
			json_t *fn = json_object_get(c, "function");
			name = json_string_value(json_object_get(fn, "name"));
			name_len = name ? json_string_length(json_object_get(fn, "name")) : 0;
			args = json_object_get(fn, "arguments");
		} else {
			/* {func_name: "<arguments json>"}: the first key */
			void *it = json_object_iter(c);
			if (!it)
				return halo_error_set(HALO_EFORMAT, "call #%zu is not a {name: arguments} object", k);
			name = json_object_iter_key(it);
			name_len = json_object_iter_key_len(it);
			args = json_object_iter_value(it);
		}
		if (!name)
			return halo_error_set(HALO_EFORMAT, "call #%zu has no function name", k);
		json_t *parsed;
		if (json_is_string(args)) {
			json_error_t err;
			parsed = json_loadb(json_string_value(args), json_string_length(args), JSON_DECODE_ANY, &err);
			if (!parsed)
				return halo_error_set(HALO_EFORMAT, "call #%zu '%s': arguments are not JSON: %s", k, name,
						      err.text);
		} else if (json_is_object(args) && openai_shape) {
			/* some servers send the object itself */
			parsed = json_incref(args);
		} else {
			return halo_error_set(HALO_EFORMAT, "call #%zu '%s': arguments are not a JSON string", k, name);
		}
		int rc = add_call(l, name, name_len);
		if (rc == 0 && !json_is_object(parsed)) {
			d->wrong_format = 1; /* decodes, but not [{name: {args}}] */
			rc = halo_error_set(HALO_EFORMAT, "call #%zu '%s': arguments are not an object", k, name);
		}
		if (rc == 0) {
			const char *key;
			size_t klen;
			json_t *v;
			void *tmp;
			json_object_keylen_foreach_safe(parsed, tmp, key, klen, v) {
				halo_pyval *pv;
				rc = halo_pyval_from_json(v, &pv);
				if (rc == 0)
					rc = add_arg(&l->calls[l->n - 1], key, klen, pv);
				if (rc != 0)
					break;
			}
		}
		json_decref(parsed);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int decode_fc_value(json_t *result, int openai_shape, halo_bfcl_decoded *d)
{
	int rc;
	if (json_is_array(result)) {
		rc = decode_fc_pairs(result, openai_shape, d);
		d->attempted = 1;
	} else if (json_is_string(result) && json_string_length(result) == 0) {
		/* iterating an empty string decodes to no calls */
		d->calls = calloc(1, sizeof(*d->calls));
		rc = d->calls ? 0 : halo_error_set(HALO_ENOMEM, "out of memory");
	} else {
		rc = halo_error_set(HALO_EFORMAT, "no tool calls in the answer");
	}
	if (rc == HALO_ENOMEM)
		return rc;
	if (rc != 0) {
		decode_fail(d, "tool calls");
		return 0;
	}
	d->ok = 1;
	return 0;
}

int halo_bfcl_decode_native(const char *tool_calls_json, const char *content, halo_bfcl_decoded *d)
{
	memset(d, 0, sizeof(*d));
	if (tool_calls_json && strcmp(tool_calls_json, "null") != 0) {
		json_error_t err;
		json_t *tc = json_loadb(tool_calls_json, strlen(tool_calls_json), JSON_DECODE_ANY, &err);
		if (!tc || !json_is_array(tc)) {
			json_decref(tc);
			d->attempted = 1;
			snprintf(d->error, sizeof(d->error), "tool_calls: not a JSON array");
			return 0;
		}
		int rc = decode_fc_value(tc, 1, d);
		json_decref(tc);
		return rc;
	}
	json_t *s = json_string(content ? content : "");
	if (!s) {
		snprintf(d->error, sizeof(d->error), "content is not valid UTF-8");
		return 0;
	}
	int rc = decode_fc_value(s, 1, d);
	json_decref(s);
	return rc;
}

int halo_bfcl_decode_result_line(const char *line, size_t len, halo_bfcl_lang lang, halo_bfcl_mode mode,
				 char **id, halo_bfcl_decoded *d)
{
	json_error_t err;
	memset(d, 0, sizeof(*d));
	*id = NULL;
	if (len > CAP_TEXT)
		return halo_error_set(HALO_ENOMEM, "result line of %zu bytes exceeds the cap", len);
	json_t *j = json_loadb(line, len, 0, &err);
	if (!j)
		return halo_error_set(HALO_EFORMAT, "result line: invalid JSON at column %d: %s", err.column, err.text);
	json_t *jid = json_object_get(j, "id");
	json_t *res = json_object_get(j, "result");
	if (!json_is_string(jid) || !res) {
		json_decref(j);
		return halo_error_set(HALO_EFORMAT, "result line: needs a string \"id\" and a \"result\"");
	}
	*id = strdup(json_string_value(jid));
	if (!*id) {
		json_decref(j);
		return halo_error_set(HALO_ENOMEM, "out of memory");
	}
	int rc;
	if (mode == HALO_BFCL_PROMPT) {
		if (json_is_string(res)) {
			rc = halo_bfcl_decode_prompt(lang, json_string_value(res), json_string_length(res), d);
		} else {
			/* the reference would str.strip() a non-string and fail */
			snprintf(d->error, sizeof(d->error), "result is not a string");
			rc = 0;
		}
	} else {
		rc = decode_fc_value(res, 0, d);
	}
	json_decref(j);
	if (rc != 0) {
		free(*id);
		*id = NULL;
	}
	return rc;
}

/* ----------------------------------------------- small regex emulations */

/* Python's `^-?\d+$` (with `$` also before one final newline). */
static int match_int_text(const char *s, size_t len, size_t suffix_chars, const char *suffixes)
{
	size_t k = 0;
	if (len && s[len - 1] == '\n' && !suffix_chars)
		len--;
	if (k < len && s[k] == '-')
		k++;
	size_t d = k;
	while (k < len && s[k] >= '0' && s[k] <= '9')
		k++;
	if (k == d)
		return 0;
	if (suffix_chars) {
		if (len && s[len - 1] == '\n')
			len--;
		return k + 1 == len && strchr(suffixes, s[k]) != NULL;
	}
	return k == len;
}

/* `^-?\d+(\.\d+)?([eE][+-]?\d+)?` + optional suffix, whole text */
static int match_float_text(const char *s, size_t len, int allow_exp, const char *suffixes)
{
	size_t k = 0;
	if (len && s[len - 1] == '\n')
		len--;
	if (k < len && s[k] == '-')
		k++;
	size_t d = k;
	while (k < len && s[k] >= '0' && s[k] <= '9')
		k++;
	if (k == d)
		return 0;
	if (k < len && s[k] == '.' && k + 1 < len && s[k + 1] >= '0' && s[k + 1] <= '9') {
		k++;
		while (k < len && s[k] >= '0' && s[k] <= '9')
			k++;
	}
	if (allow_exp && k < len && (s[k] == 'e' || s[k] == 'E')) {
		size_t j = k + 1;
		if (j < len && (s[j] == '+' || s[j] == '-'))
			j++;
		size_t ds = j;
		while (j < len && s[j] >= '0' && s[j] <= '9')
			j++;
		if (j > ds)
			k = j;
	}
	if (suffixes) {
		if (k < len && strchr(suffixes, s[k]) && s[k])
			k++;
		else
			return 0;
	}
	return k == len;
}

static halo_pyval *int_from_digits(const char *s, size_t len)
{
	/* s is -?\d+ possibly followed by junk the caller cut off */
	char buf[512];
	if (len >= sizeof(buf))
		return halo_pyval_str(s, len);
	memcpy(buf, s, len);
	buf[len] = '\0';
	halo_pyval *v = NULL;
	if (halo_pyval_parse(buf[0] == '-' ? buf + 1 : buf, buf[0] == '-' ? len - 1 : len, NULL, &v) != 0) {
		/* leading zeros ("007"): int() accepts them */
		size_t k = buf[0] == '-' ? 1 : 0;
		while (buf[k] == '0' && buf[k + 1])
			memmove(buf + k, buf + k + 1, strlen(buf + k));
		if (halo_pyval_parse(buf[0] == '-' ? buf + 1 : buf, strlen(buf) - (buf[0] == '-'), NULL, &v) != 0)
			return NULL;
	}
	if (buf[0] == '-') {
		halo_pyval *neg = NULL;
		char tmp[520];
		snprintf(tmp, sizeof(tmp), "-%s", buf + 1);
		halo_pyval_free(v);
		if (halo_pyval_parse(tmp, strlen(tmp), NULL, &neg) != 0)
			return NULL;
		return neg;
	}
	return v;
}

/* Python's int(s) for text (whitespace, sign, digits, single underscores). */
static halo_pyval *py_int(const char *s, size_t len)
{
	size_t a = 0, e = len;
	trim(s, &a, &e);
	char buf[512];
	size_t n = 0;
	size_t k = a;
	if (k < e && (s[k] == '-' || s[k] == '+')) {
		if (s[k] == '-')
			buf[n++] = '-';
		k++;
	}
	size_t ds = k;
	for (; k < e; k++) {
		if (s[k] >= '0' && s[k] <= '9') {
			if (n + 1 >= sizeof(buf))
				return NULL;
			buf[n++] = s[k];
		} else if (s[k] == '_' && k > ds && k + 1 < e && s[k + 1] >= '0' && s[k + 1] <= '9' && s[k - 1] != '_') {
			continue;
		} else {
			return NULL;
		}
	}
	if (k == ds || n == 0 || (n == 1 && buf[0] == '-'))
		return NULL;
	return int_from_digits(buf, n);
}

/* Python's float(s): decimal, exponent, inf/nan; no hex. */
static halo_pyval *py_float(const char *s, size_t len)
{
	size_t a = 0, e = len;
	trim(s, &a, &e);
	if (a == e || e - a > 400)
		return NULL;
	char buf[420];
	size_t n = 0;
	for (size_t k = a; k < e; k++) {
		char c = s[k];
		if (c == 'x' || c == 'X' || c == 'p' || c == 'P')
			return NULL;
		if (c == '_') {
			if (k == a || k + 1 >= e || !(s[k - 1] >= '0' && s[k - 1] <= '9') || !(s[k + 1] >= '0' && s[k + 1] <= '9'))
				return NULL;
			continue;
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	char *end;
	double f = strtod(buf, &end);
	if (end == buf || *end)
		return NULL;
	return halo_pyval_float(f);
}

static int is_quoted(const char *s, size_t len, char q)
{
	return len >= 1 && s[0] == q && s[len - 1] == q;
}

/* ------------------------------------------------------ Java converters */

static halo_pyval *java_convert(const halo_pyval *v, const char *type, const char *nested);

/* parse_java_value: a value whose type is unknown */
static halo_pyval *java_value(const char *s, size_t len)
{
	if (len == 4 && memcmp(s, "true", 4) == 0) {
		halo_pyval *b = halo_pyval_new(HALO_PY_BOOL);
		if (b)
			b->i = 1;
		return b;
	}
	if (len == 5 && memcmp(s, "false", 5) == 0)
		return halo_pyval_new(HALO_PY_BOOL);
	if (is_quoted(s, len, '"'))
		return halo_pyval_str(s + 1, len >= 2 ? len - 2 : 0);
	if (match_int_text(s, len, 1, "lL")) {
		halo_pyval *r = py_int(s, len - 1 - (s[len - 1] == '\n'));
		if (r)
			return r;
	}
	if (match_float_text(s, len, 1, "fF")) {
		char tmp[420];
		size_t n = len < sizeof(tmp) ? len : sizeof(tmp) - 1;
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		char *f = strpbrk(tmp, "fF");
		if (f)
			*f = '\0';
		halo_pyval *r = py_float(tmp, strlen(tmp));
		if (r)
			return r;
	}
	halo_pyval *r = py_int(s, len);
	if (!r)
		r = py_float(s, len);
	return r ? r : halo_pyval_str(s, len);
}

/* Skips `new\s+` at s[k]; returns the index after it or 0. */
static size_t skip_new(const char *s, size_t len, size_t k)
{
	if (k + 3 >= len || memcmp(s + k, "new", 3) != 0 || !is_space_c((unsigned char)s[k + 3]))
		return 0;
	k += 3;
	while (k < len && is_space_c((unsigned char)s[k]))
		k++;
	return k;
}

static size_t skip_ws_at(const char *s, size_t len, size_t k)
{
	while (k < len && is_space_c((unsigned char)s[k]))
		k++;
	return k;
}

static int starts_with(const char *s, size_t len, size_t k, const char *lit)
{
	size_t n = strlen(lit);
	return k + n <= len && memcmp(s + k, lit, n) == 0;
}

/* First `close` at or after k, not crossing a newline when !dotall. */
static size_t find_lazy(const char *s, size_t len, size_t k, const char *close, int dotall)
{
	size_t n = strlen(close);
	for (; k + n <= len; k++) {
		if (memcmp(s + k, close, n) == 0)
			return k;
		if (!dotall && s[k] == '\n')
			return (size_t)-1;
	}
	return (size_t)-1;
}

static halo_pyval *new_list(void)
{
	return halo_pyval_new(HALO_PY_LIST);
}

/* Splits s[a..e) on ',' and converts each element with fn. */
static halo_pyval *split_elements(const char *s, size_t a, size_t e, int skip_empty, const char *nested,
				  int strip_quotes)
{
	halo_pyval *l = new_list();
	if (!l)
		return NULL;
	size_t k = a;
	for (;;) {
		size_t c = k;
		while (c < e && s[c] != ',')
			c++;
		size_t xa = k, xe = c;
		trim(s, &xa, &xe);
		if (!(skip_empty && xa == xe)) {
			halo_pyval *v;
			if (strip_quotes) {
				v = halo_pyval_str(s + xa + (xe > xa), xe - xa >= 2 ? xe - xa - 2 : 0);
			} else if (nested) {
				halo_pyval *raw = halo_pyval_str(s + xa, xe - xa);
				v = raw ? java_convert(raw, nested, NULL) : NULL;
				halo_pyval_free(raw);
			} else {
				v = java_value(s + xa, xe - xa);
			}
			if (!v || halo_pyval_append(l, v) != 0) {
				halo_pyval_free(l);
				return NULL;
			}
		}
		if (c >= e)
			break;
		k = c + 1;
	}
	return l;
}

static halo_pyval *java_arraylist(const halo_pyval *v, const char *nested)
{
	const char *s = v->s;
	size_t len = v->len;
	int strip = nested && (strcmp(nested, "char") == 0 || strcmp(nested, "String") == 0);
	/* new\s+ArrayList<\w*>\(Arrays\.asList\((.+?)\)\) */
	for (int pass = 0; pass < 3; pass++) {
		for (size_t k = 0; k < len; k++) {
			size_t j = skip_new(s, len, k);
			if (!j || !starts_with(s, len, j, "ArrayList<"))
				continue;
			j += 10;
			while (j < len && is_ident_c((unsigned char)s[j]) && s[j] != '$')
				j++;
			if (!starts_with(s, len, j, ">("))
				continue;
			j += 2;
			if (pass == 0) {
				if (!starts_with(s, len, j, "Arrays.asList("))
					continue;
				j += 14;
				if (j >= len || s[j] == '\n')
					continue;
				size_t q = find_lazy(s, len, j + 1, "))", 0);
				if (q == (size_t)-1)
					continue;
				return split_elements(s, j, q, 0, strip ? NULL : nested, strip);
			}
			if (!starts_with(s, len, j, ")"))
				continue;
			j++;
			if (pass == 2)
				return new_list();
			/* \(\)\s*\{\{\s*(.+?)\s*\}\} with DOTALL, then add\((.+?)\) */
			j = skip_ws_at(s, len, j);
			if (!starts_with(s, len, j, "{{"))
				continue;
			j = skip_ws_at(s, len, j + 2);
			size_t q = find_lazy(s, len, j + 1, "}}", 1);
			if (q == (size_t)-1)
				continue;
			size_t ge = q;
			while (ge > j + 1 && is_space_c((unsigned char)s[ge - 1]))
				ge--;
			halo_pyval *l = new_list();
			size_t p = j;
			while (l && p < ge) {
				size_t a = find_lazy(s, ge, p, "add(", 1);
				if (a == (size_t)-1)
					break;
				size_t vs = a + 4;
				if (vs >= ge || s[vs] == '\n') {
					p = a + 1;
					continue;
				}
				size_t ve = find_lazy(s, ge, vs + 1, ")", 0);
				if (ve == (size_t)-1) {
					p = a + 1;
					continue;
				}
				size_t xa = vs, xe = ve;
				trim(s, &xa, &xe);
				halo_pyval *e;
				if (strip) {
					e = halo_pyval_str(s + xa + (xe > xa), xe - xa >= 2 ? xe - xa - 2 : 0);
				} else if (nested) {
					halo_pyval *raw = halo_pyval_str(s + xa, xe - xa);
					e = raw ? java_convert(raw, nested, NULL) : NULL;
					halo_pyval_free(raw);
				} else {
					e = java_value(s + xa, xe - xa);
				}
				if (!e || halo_pyval_append(l, e) != 0) {
					halo_pyval_free(l);
					return NULL;
				}
				p = ve + 1;
			}
			return l;
		}
	}
	return halo_pyval_copy(v);
}

static halo_pyval *java_array(const halo_pyval *v, const char *nested)
{
	const char *s = v->s;
	size_t len = v->len;
	/* new\s+\w+\[\]\s*\{(.*?)\} */
	for (size_t k = 0; k < len; k++) {
		size_t j = skip_new(s, len, k);
		if (!j)
			continue;
		size_t w = j;
		while (j < len && is_ident_c((unsigned char)s[j]) && s[j] != '$')
			j++;
		if (j == w || !starts_with(s, len, j, "[]"))
			continue;
		j = skip_ws_at(s, len, j + 2);
		if (j >= len || s[j] != '{')
			continue;
		size_t q = find_lazy(s, len, j + 1, "}", 0);
		if (q == (size_t)-1)
			continue;
		return split_elements(s, j + 1, q, 1, nested, 0);
	}
	return halo_pyval_copy(v);
}

static halo_pyval *java_hashmap(const halo_pyval *v)
{
	const char *s = v->s;
	size_t len = v->len;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < len; k++) {
			size_t j = skip_new(s, len, k);
			if (!j || !starts_with(s, len, j, "HashMap<"))
				continue;
			j += 8;
			/* <.*?> lazily: the first '>' after which the rest matches */
			for (size_t g = j; g < len; g++) {
				if (s[g] == '\n' && pass == 1)
					break;
				if (s[g] != '>')
					continue;
				size_t r = skip_ws_at(s, len, g + 1);
				if (!starts_with(s, len, r, "()"))
					continue;
				r += 2;
				if (pass == 1)
					return halo_pyval_new(HALO_PY_DICT);
				r = skip_ws_at(s, len, r);
				if (r >= len || s[r] != '{')
					continue;
				r = skip_ws_at(s, len, r + 1);
				if (r < len && s[r] == '{')
					r = skip_ws_at(s, len, r + 1);
				size_t q = find_lazy(s, len, r, "}", 1);
				if (q == (size_t)-1)
					continue;
				size_t ge = q;
				while (ge > r && is_space_c((unsigned char)s[ge - 1]))
					ge--;
				halo_pyval *d = halo_pyval_new(HALO_PY_DICT);
				/* put\(\"(.*?)\",\s*(.*?)\) */
				size_t p = r;
				while (d && p < ge) {
					size_t a = find_lazy(s, ge, p, "put(\"", 1);
					if (a == (size_t)-1)
						break;
					size_t ks = a + 5;
					size_t ke = find_lazy(s, ge, ks, "\",", 0);
					if (ke == (size_t)-1) {
						p = a + 1;
						continue;
					}
					size_t vs = skip_ws_at(s, ge, ke + 2);
					size_t ve = find_lazy(s, ge, vs, ")", 0);
					if (ve == (size_t)-1) {
						p = a + 1;
						continue;
					}
					size_t xa = vs, xe = ve;
					trim(s, &xa, &xe);
					halo_pyval *key = halo_pyval_str(s + ks, ke - ks);
					halo_pyval *val = java_value(s + xa, xe - xa);
					if (!key || !val || halo_pyval_dict_set(d, key, val) != 0) {
						if (!key || !val) {
							halo_pyval_free(key);
							halo_pyval_free(val);
						}
						halo_pyval_free(d);
						return NULL;
					}
					p = ve + 1;
				}
				return d;
			}
		}
	}
	return halo_pyval_copy(v);
}

/* java_type_converter for a string value (the checker ensures it is one). */
static halo_pyval *java_convert(const halo_pyval *v, const char *type, const char *nested)
{
	const char *s = v->s;
	size_t len = v->len;
	if (!strcmp(type, "byte") || !strcmp(type, "short") || !strcmp(type, "integer")) {
		if (match_int_text(s, len, 0, NULL))
			return py_int(s, len);
	} else if (!strcmp(type, "float")) {
		if (match_float_text(s, len, 1, "fF"))
			return java_value(s, len);
	} else if (!strcmp(type, "double")) {
		if (match_float_text(s, len, 1, NULL))
			return py_float(s, len);
	} else if (!strcmp(type, "long")) {
		if (match_int_text(s, len, 1, "lL"))
			return py_int(s, len - 1 - (s[len - 1] == '\n'));
	} else if (!strcmp(type, "boolean")) {
		if ((len == 4 && !memcmp(s, "true", 4)) || (len == 5 && !memcmp(s, "false", 5))) {
			halo_pyval *b = halo_pyval_new(HALO_PY_BOOL);
			if (b)
				b->i = len == 4;
			return b;
		}
	} else if (!strcmp(type, "Array")) {
		return java_array(v, nested);
	} else if (!strcmp(type, "ArrayList")) {
		return java_arraylist(v, nested);
	} else if (!strcmp(type, "HashMap")) {
		return java_hashmap(v);
	}
	/* char (its regex never matches), String, any, and every fallback */
	return halo_pyval_copy(v);
}

/* ------------------------------------------------ JavaScript converters */

static halo_pyval *js_convert(const halo_pyval *v, const char *type, const char *nested, int *bad);

static halo_pyval *js_value(const char *s, size_t len)
{
	size_t a = 0, e = len;
	trim(s, &a, &e);
	s += a;
	len = e - a;
	if (len == 4 && !memcmp(s, "true", 4)) {
		halo_pyval *b = halo_pyval_new(HALO_PY_BOOL);
		if (b)
			b->i = 1;
		return b;
	}
	if (len == 5 && !memcmp(s, "false", 5))
		return halo_pyval_new(HALO_PY_BOOL);
	if (is_quoted(s, len, '"') || is_quoted(s, len, '\''))
		return halo_pyval_str(s + 1, len >= 2 ? len - 2 : 0);
	halo_pyval *r = py_int(s, len);
	if (!r)
		r = py_float(s, len);
	return r ? r : halo_pyval_str(s, len);
}

static halo_pyval *js_elements(const char *s, size_t a, size_t e, const char *nested, int *bad)
{
	halo_pyval *l = new_list();
	trim(s, &a, &e);
	if (!l || a == e)
		return l;
	size_t k = a;
	for (;;) {
		size_t c = k;
		while (c < e && s[c] != ',')
			c++;
		size_t xa = k, xe = c;
		trim(s, &xa, &xe);
		halo_pyval *v;
		if (nested) {
			halo_pyval *raw = halo_pyval_str(s + xa, xe - xa);
			v = raw ? js_convert(raw, nested, NULL, bad) : NULL;
			halo_pyval_free(raw);
		} else {
			v = js_value(s + xa, xe - xa);
		}
		if (!v || halo_pyval_append(l, v) != 0) {
			halo_pyval_free(l);
			return NULL;
		}
		if (c >= e)
			break;
		k = c + 1;
	}
	return l;
}

/* \[\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\] at s[k] (or inside new Array(...)) */
static size_t match_2d(const char *s, size_t len, size_t k, char open, char close)
{
	if (k >= len || s[k] != open)
		return 0;
	k = skip_ws_at(s, len, k + 1);
	for (int first = 1;; first = 0) {
		if (!first) {
			if (k >= len || s[k] != ',')
				break;
			k = skip_ws_at(s, len, k + 1);
		}
		if (k >= len || s[k] != '[')
			return 0;
		size_t q = find_lazy(s, len, k + 1, "]", 0);
		if (q == (size_t)-1)
			return 0;
		k = skip_ws_at(s, len, q + 1);
	}
	return k < len && s[k] == close ? k + 1 : 0;
}

static halo_pyval *js_array(const halo_pyval *v, const char *nested, int *bad)
{
	size_t a = 0, e = v->len;
	const char *s = v->s;
	trim(s, &a, &e);
	size_t len = e;
	size_t m = match_2d(s, len, a, '[', ']');
	size_t nw = skip_new(s, len, a);
	if (!m && nw && starts_with(s, len, nw, "Array("))
		m = match_2d(s, len, nw + 5, '(', ')');
	if (m) {
		/* findall \[(.*?)\] over the match; the first one keeps a '[' */
		halo_pyval *outer = new_list();
		size_t p = a;
		int idx = 0;
		while (outer && p < m) {
			size_t o = p;
			while (o < m && s[o] != '[')
				o++;
			if (o >= m)
				break;
			size_t q = find_lazy(s, m, o + 1, "]", 0);
			if (q == (size_t)-1)
				break;
			size_t ia = o + 1, ie = q;
			trim(s, &ia, &ie);
			if (idx++ == 0 && ia < ie && s[ia] == '[')
				ia++;
			halo_pyval *inner = new_list();
			size_t k = ia;
			for (; inner;) {
				size_t c = k;
				while (c < ie && s[c] != ',')
					c++;
				halo_pyval *x = js_value(s + k, c - k);
				if (!x || halo_pyval_append(inner, x) != 0) {
					halo_pyval_free(inner);
					inner = NULL;
					break;
				}
				if (c >= ie)
					break;
				k = c + 1;
			}
			if (!inner || halo_pyval_append(outer, inner) != 0) {
				halo_pyval_free(outer);
				return NULL;
			}
			p = q + 1;
		}
		return outer;
	}
	if (a < len && s[a] == '[') {
		size_t q = find_lazy(s, len, a + 1, "]", 0);
		if (q != (size_t)-1)
			return js_elements(s, a + 1, q, nested, bad);
	}
	if (nw && starts_with(s, len, nw, "Array(")) {
		size_t q = find_lazy(s, len, nw + 6, ")", 0);
		if (q != (size_t)-1)
			return js_elements(s, nw + 6, q, nested, bad);
	}
	return halo_pyval_str(s + a, e - a);
}

static halo_pyval *js_dict(const halo_pyval *v, int *bad)
{
	size_t a = 0, e = v->len;
	const char *s = v->s;
	trim(s, &a, &e);
	if (e - a == 2 && s[a] == '{' && s[a + 1] == '}')
		return halo_pyval_new(HALO_PY_DICT);
	if (a >= e || s[a] != '{')
		return halo_pyval_str(s + a, e - a);
	size_t q = find_lazy(s, e, a + 1, "}", 0);
	if (q == (size_t)-1)
		return halo_pyval_str(s + a, e - a);
	/* findall ([^:]+):\s*(.*?)(?:,\s*(?=[^,]+:)|$) over the content */
	size_t cs = a + 1, ce = q;
	halo_pyval *d = halo_pyval_new(HALO_PY_DICT);
	size_t p = cs;
	while (d && p < ce) {
		size_t colon = p;
		while (colon < ce && s[colon] != ':')
			colon++;
		if (colon >= ce)
			break;
		if (colon == p) {
			p++;
			continue;
		}
		size_t vs = skip_ws_at(s, ce, colon + 1);
		size_t ve = ce, next = ce;
		if (ce > vs && s[ce - 1] == '\n')
			ve = ce - 1; /* `$` before a final newline */
		for (size_t c = vs; c < ce; c++) {
			if (s[c] != ',')
				continue;
			size_t la = skip_ws_at(s, ce, c + 1);
			size_t t = la;
			while (t < ce && s[t] != ',' && s[t] != ':')
				t++;
			if (t < ce && s[t] == ':' && t > la) {
				ve = c;
				next = la;
				break;
			}
		}
		size_t ka = p, ke = colon;
		trim(s, &ka, &ke);
		while (ka < ke && (s[ka] == '\'' || s[ka] == '"'))
			ka++;
		while (ke > ka && (s[ke - 1] == '\'' || s[ke - 1] == '"'))
			ke--;
		size_t xa = vs, xe = ve;
		trim(s, &xa, &xe);
		halo_pyval *val, *raw = halo_pyval_str(s + xa, xe - xa);
		if (!raw) {
			halo_pyval_free(d);
			return NULL;
		}
		if (xe > xa && s[xa] == '[' && s[xe - 1] == ']') {
			val = js_array(raw, NULL, bad);
		} else if (xe > xa && s[xa] == '{' && s[xe - 1] == '}') {
			val = js_dict(raw, bad);
		} else {
			while (xa < xe && (s[xa] == '\'' || s[xa] == '"'))
				xa++;
			while (xe > xa && (s[xe - 1] == '\'' || s[xe - 1] == '"'))
				xe--;
			val = js_value(s + xa, xe - xa);
		}
		halo_pyval_free(raw);
		halo_pyval *key = halo_pyval_str(s + ka, ke - ka);
		if (!key || !val || halo_pyval_dict_set(d, key, val) != 0) {
			if (!key || !val) {
				halo_pyval_free(key);
				halo_pyval_free(val);
			}
			halo_pyval_free(d);
			return NULL;
		}
		if (next >= ce)
			break;
		p = next;
	}
	return d;
}

static int js_known_type(const char *t)
{
	static const char *const known[] = { "String", "integer", "float", "Bigint", "Boolean", "dict", "array", "any" };
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (!strcmp(t, known[k]))
			return 1;
	return 0;
}

/* js_type_converter; *bad is set when the reference would raise inside a
 * collection (it then returns the text unchanged). */
static halo_pyval *js_convert(const halo_pyval *v, const char *type, const char *nested, int *bad)
{
	const char *s = v->s;
	size_t len = v->len;
	if (!js_known_type(type)) {
		*bad = 1;
		return halo_pyval_copy(v);
	}
	if (!strcmp(type, "String")) {
		if (len >= 1 && (is_quoted(s, len, '"') || is_quoted(s, len, '\'')))
			return halo_pyval_str(s + 1, len >= 2 ? len - 2 : 0);
	} else if (!strcmp(type, "integer")) {
		if (match_int_text(s, len, 0, NULL))
			return py_int(s, len);
	} else if (!strcmp(type, "float")) {
		if (match_float_text(s, len, 0, NULL))
			return py_float(s, len);
	} else if (!strcmp(type, "Bigint")) {
		if (match_int_text(s, len, 1, "n"))
			return py_int(s, len - 1 - (s[len - 1] == '\n'));
	} else if (!strcmp(type, "Boolean")) {
		if ((len == 4 && !memcmp(s, "true", 4)) || (len == 5 && !memcmp(s, "false", 5))) {
			halo_pyval *b = halo_pyval_new(HALO_PY_BOOL);
			if (b)
				b->i = len == 4;
			return b;
		}
	} else if (!strcmp(type, "dict")) {
		return js_dict(v, bad);
	} else if (!strcmp(type, "array")) {
		int inner_bad = 0;
		halo_pyval *r = js_array(v, nested, &inner_bad);
		if (inner_bad) {
			/* the reference's try/except returns the stripped code */
			size_t a = 0, e = len;
			halo_pyval_free(r);
			trim(s, &a, &e);
			return halo_pyval_str(s + a, e - a);
		}
		return r;
	}
	return halo_pyval_copy(v);
}

/* ---------------------------------------------------------------- checker */

typedef struct result {
	int valid;
	int is_variable;
	const char *error_type;
	char detail[256];
} result;

static void set_err(result *r, const char *type, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(result *r, const char *type, const char *fmt, ...)
{
	va_list ap;
	r->valid = 0;
	r->error_type = type;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

/* The Python type a schema type converts to. */
typedef enum pytype {
	PT_NONE = -1,
	PT_INT = HALO_PY_INT,
	PT_FLOAT = HALO_PY_FLOAT,
	PT_BOOL = HALO_PY_BOOL,
	PT_STR = HALO_PY_STR,
	PT_LIST = HALO_PY_LIST,
	PT_DICT = HALO_PY_DICT,
	PT_SET = 100, /* Java Set: no value ever has it */
	PT_UNKNOWN = 101,
} pytype;

static pytype value_type(const halo_pyval *v)
{
	switch (v->kind) {
	case HALO_PY_BIGINT:
	case HALO_PY_INT: return PT_INT;
	case HALO_PY_NONE: return PT_NONE;
	default: return (pytype)v->kind;
	}
}

static pytype lookup_type(halo_bfcl_lang lang, const char *t)
{
	static const struct {
		const char *name;
		pytype py;
	} python[] = {
		{ "string", PT_STR }, { "integer", PT_INT }, { "float", PT_FLOAT }, { "boolean", PT_BOOL },
		{ "array", PT_LIST }, { "tuple", PT_LIST }, { "dict", PT_DICT }, { "any", PT_STR },
	}, java[] = {
		{ "byte", PT_INT }, { "short", PT_INT }, { "integer", PT_INT }, { "float", PT_FLOAT },
		{ "double", PT_FLOAT }, { "long", PT_INT }, { "boolean", PT_BOOL }, { "char", PT_STR },
		{ "Array", PT_LIST }, { "ArrayList", PT_LIST }, { "Set", PT_SET }, { "HashMap", PT_DICT },
		{ "Hashtable", PT_DICT }, { "Queue", PT_LIST }, { "Stack", PT_LIST }, { "String", PT_STR },
		{ "any", PT_STR },
	}, js[] = {
		{ "String", PT_STR }, { "integer", PT_INT }, { "float", PT_FLOAT }, { "Bigint", PT_INT },
		{ "Boolean", PT_BOOL }, { "dict", PT_DICT }, { "array", PT_LIST }, { "any", PT_STR },
	};
	size_t n = lang == HALO_BFCL_PYTHON ? sizeof(python) / sizeof(python[0])
		   : lang == HALO_BFCL_JAVA ? sizeof(java) / sizeof(java[0])
					    : sizeof(js) / sizeof(js[0]);
	for (size_t k = 0; t && k < n; k++) {
		const char *name = lang == HALO_BFCL_PYTHON ? python[k].name : lang == HALO_BFCL_JAVA ? java[k].name : js[k].name;
		if (!strcmp(t, name))
			return lang == HALO_BFCL_PYTHON ? python[k].py : lang == HALO_BFCL_JAVA ? java[k].py : js[k].py;
	}
	return PT_UNKNOWN;
}

static int is_empty_str(const halo_pyval *v)
{
	return v->kind == HALO_PY_STR && v->len == 0;
}

/* get_possible_answer_type: the type of the first non-"" answer. */
static int possible_answer_type(const halo_pyval *answers, pytype *t)
{
	if (answers->kind != HALO_PY_LIST)
		return 0;
	for (size_t k = 0; k < answers->n; k++)
		if (!(answers->items[k]->kind == HALO_PY_STR && answers->items[k]->len == 0)) {
			*t = value_type(answers->items[k]);
			return 1;
		}
	return 0;
}

static void type_checker(const char *param, const halo_pyval *value, const halo_pyval *answers,
			 const char *expected_desc, pytype expected, pytype nested, result *r)
{
	pytype pat = PT_UNKNOWN;
	int have_pat = possible_answer_type(answers, &pat);
	r->valid = 1;
	r->is_variable = have_pat && pat != expected;
	r->error_type = "type_error:simple";
	r->detail[0] = '\0';
	if (value_type(value) == expected) {
		if (nested == PT_UNKNOWN)
			return;
		for (size_t k = 0; answers->kind == HALO_PY_LIST && k < answers->n; k++) {
			const halo_pyval *item = answers->items[k];
			int flag = 1;
			if (item->kind == HALO_PY_LIST) {
				for (size_t j = 0; j < value->n; j++) {
					result sub;
					type_checker(param, value->items[j], item, "", nested, PT_UNKNOWN, &sub);
					if (!sub.valid) {
						flag = 0;
						break;
					}
				}
			}
			if (flag)
				return;
		}
		set_err(r, "type_error:nested", "nested type checking failed for parameter '%s' (expected %s)",
			param, expected_desc);
	}
	if (have_pat && value_type(value) == pat) {
		r->is_variable = 1;
		return; /* keeps the nested failure, if any, as the reference does */
	}
	set_err(r, "type_error:simple", "incorrect type for parameter '%s': expected %s, got %s", param,
		expected_desc, halo_pyval_type_name(value));
}

/* Unicode lowercasing through glibc's C.UTF-8 tables (towlower_l), created
 * once; without that locale only ASCII is lowered. */
static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_locale_init(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* standardize_string: drop " ,./-_*^", lowercase (Python's str.lower), and
 * turn ' into ". */
static halo_pyval *standardize(const halo_pyval *v)
{
	halo_buf b;
	halo_buf_init(&b, 2 * v->len + 1);
	const unsigned char *s = (const unsigned char *)v->s;
	int rc = 0;
	pthread_once(&utf8_once, utf8_locale_init);
	for (size_t k = 0; k < v->len && rc == 0;) {
		unsigned char c = s[k];
		if (c < 0x80) {
			k++;
			if (c && strchr(" ,./-_*^", c))
				continue;
			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c + 32);
			if (c == '\'')
				c = '"';
			rc = halo_buf_add(&b, &c, 1);
			continue;
		}
		size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
		if (k + n > v->len)
			n = v->len - k;
		unsigned long cp = n == 1 ? c : (unsigned long)(c & (n == 4 ? 0x07 : n == 3 ? 0x0F : 0x1F));
		for (size_t j = 1; j < n; j++)
			cp = (cp << 6) | (s[k + j] & 0x3F);
		if (n == 1 || cp < 0x80) {
			/* not UTF-8: keep the bytes */
			rc = halo_buf_add(&b, s + k, n);
		} else if (cp == 0x130) {
			rc = halo_buf_adds(&b, "i\xcc\x87"); /* Python: "i" + combining dot */
		} else {
			unsigned long lo = utf8_locale ? (unsigned long)towlower_l((wint_t)cp, utf8_locale) : cp;
			char u[4];
			size_t m;
			if (lo < 0x800) {
				u[0] = (char)(0xC0 | (lo >> 6));
				u[1] = (char)(0x80 | (lo & 0x3F));
				m = 2;
			} else if (lo < 0x10000) {
				u[0] = (char)(0xE0 | (lo >> 12));
				u[1] = (char)(0x80 | ((lo >> 6) & 0x3F));
				u[2] = (char)(0x80 | (lo & 0x3F));
				m = 3;
			} else {
				u[0] = (char)(0xF0 | (lo >> 18));
				u[1] = (char)(0x80 | ((lo >> 12) & 0x3F));
				u[2] = (char)(0x80 | ((lo >> 6) & 0x3F));
				u[3] = (char)(0x80 | (lo & 0x3F));
				m = 4;
			}
			rc = halo_buf_add(&b, u, m);
		}
		k += n;
	}
	halo_pyval *r = rc ? NULL : halo_pyval_str(b.ptr ? b.ptr : "", b.len);
	halo_buf_free(&b);
	return r;
}

/* Python's `for i in range(len(x)): x[i]` over a list or a str (chars). */
static halo_pyval *as_sequence(const halo_pyval *x, int *ok)
{
	*ok = 1;
	if (x->kind == HALO_PY_LIST || x->kind == HALO_PY_TUPLE)
		return halo_pyval_copy(x);
	halo_pyval *l = new_list();
	if (x->kind == HALO_PY_STR) {
		for (size_t k = 0; l && k < x->len;) {
			size_t n = 1;
			while (k + n < x->len && ((unsigned char)x->s[k + n] & 0xC0) == 0x80)
				n++;
			halo_pyval *c = halo_pyval_str(x->s + k, n);
			if (!c || halo_pyval_append(l, c) != 0) {
				halo_pyval_free(l);
				return NULL;
			}
			k += n;
		}
		return l;
	}
	*ok = 0; /* the reference raises TypeError here */
	return l;
}

/* A copy of a list with its top-level strings standardized. */
static halo_pyval *standardize_items(const halo_pyval *seq)
{
	halo_pyval *r = new_list();
	for (size_t k = 0; r && k < seq->n; k++) {
		const halo_pyval *x = seq->items[k];
		halo_pyval *c = x->kind == HALO_PY_STR ? standardize(x) : halo_pyval_copy(x);
		if (!c || halo_pyval_append(r, c) != 0) {
			halo_pyval_free(r);
			return NULL;
		}
	}
	return r;
}

#define OOM_CHECK(p)                                                                         \
	do {                                                                                 \
		if (!(p))                                                                    \
			return halo_error_set(HALO_ENOMEM, "out of memory");                  \
	} while (0)

static int string_checker(const char *param, const halo_pyval *value, const halo_pyval *answers, result *r)
{
	halo_pyval *sv = standardize(value);
	OOM_CHECK(sv);
	int found = 0;
	for (size_t k = 0; answers->kind == HALO_PY_LIST && k < answers->n && !found; k++) {
		if (answers->items[k]->kind != HALO_PY_STR)
			continue;
		halo_pyval *sa = standardize(answers->items[k]);
		if (!sa) {
			halo_pyval_free(sv);
			return HALO_ENOMEM;
		}
		found = halo_pyval_eq(sv, sa);
		halo_pyval_free(sa);
	}
	halo_pyval_free(sv);
	r->valid = 1;
	if (!found)
		set_err(r, "value_error:string", "invalid value for parameter '%s': '%.120s'", param, value->s);
	return 0;
}

static int list_checker(const char *param, const halo_pyval *value, const halo_pyval *answers, result *r)
{
	halo_pyval *sv = standardize_items(value);
	OOM_CHECK(sv);
	sv->kind = HALO_PY_LIST; /* list(model_output) */
	int found = 0;
	for (size_t k = 0; answers->kind == HALO_PY_LIST && k < answers->n && !found; k++) {
		int ok;
		halo_pyval *seq = as_sequence(answers->items[k], &ok);
		halo_pyval *sa = seq ? standardize_items(seq) : NULL;
		halo_pyval_free(seq);
		if (!sa) {
			halo_pyval_free(sv);
			return HALO_ENOMEM;
		}
		found = ok && halo_pyval_eq(sv, sa);
		halo_pyval_free(sa);
	}
	halo_pyval_free(sv);
	r->valid = 1;
	if (!found)
		set_err(r, "value_error:list/tuple", "invalid value for parameter '%s'", param);
	return 0;
}

static int dict_checker(const char *param, const halo_pyval *value, const halo_pyval *answers, result *r)
{
	set_err(r, "dict_checker:unclear", "dict parameter '%s' matches no answer", param);
	for (size_t i = 0; answers->kind == HALO_PY_LIST && i < answers->n; i++) {
		const halo_pyval *pa = answers->items[i];
		if (is_empty_str(pa))
			continue;
		set_err(r, "dict_checker:unclear", "dict parameter '%s' matches no answer", param);
		int flag = 1;
		if (value->kind != HALO_PY_DICT) {
			set_err(r, "dict_checker:unclear", "parameter '%s' is not a dict", param);
			flag = 0;
		}
		for (size_t k = 0; flag && k < value->n; k++) {
			const halo_pyval *key = value->items[2 * k], *val = value->items[2 * k + 1];
			const halo_pyval *pav = pa->kind == HALO_PY_DICT ? halo_pyval_dict_get(pa, key) : NULL;
			if (!pav) {
				set_err(r, "value_error:dict_key", "unexpected dict key in parameter '%s'", param);
				flag = 0;
				break;
			}
			halo_pyval *sv = val->kind == HALO_PY_STR ? standardize(val) : halo_pyval_copy(val);
			int ok;
			halo_pyval *seq = sv ? as_sequence(pav, &ok) : NULL;
			halo_pyval *sa = seq ? standardize_items(seq) : NULL;
			int found = sa && ok && halo_pyval_in(sv, sa);
			int oom = !sa;
			halo_pyval_free(sv);
			halo_pyval_free(seq);
			halo_pyval_free(sa);
			if (oom)
				return halo_error_set(HALO_ENOMEM, "out of memory");
			if (!found) {
				set_err(r, "value_error:dict_value", "invalid value for dict key in parameter '%s'", param);
				flag = 0;
				break;
			}
		}
		for (size_t k = 0; pa->kind == HALO_PY_DICT && k < pa->n; k++) {
			const halo_pyval *key = pa->items[2 * k], *want = pa->items[2 * k + 1];
			int present = value->kind == HALO_PY_DICT && halo_pyval_dict_get(value, key);
			/* `"" not in value`: a str always contains "" */
			halo_pyval empty = { .kind = HALO_PY_STR, .s = (char *)"", .len = 0 };
			int optional = want->kind == HALO_PY_STR || halo_pyval_in(&empty, want);
			if (!present && !optional) {
				set_err(r, "value_error:dict_key", "missing dict key in parameter '%s'", param);
				flag = 0;
				break;
			}
		}
		if (flag) {
			r->valid = 1;
			r->error_type = NULL;
			return 0;
		}
	}
	return 0;
}

static int list_dict_checker(const char *param, const halo_pyval *value, const halo_pyval *answers, result *r)
{
	set_err(r, "list_dict_checker:unclear", "list of dicts '%s' matches no answer", param);
	for (size_t i = 0; answers->kind == HALO_PY_LIST && i < answers->n; i++) {
		const halo_pyval *pa = answers->items[i];
		int flag = 1;
		if (halo_pyval_pylen(value) != halo_pyval_pylen(pa) ||
		    (pa->kind != HALO_PY_LIST && pa->kind != HALO_PY_STR)) {
			set_err(r, "value_error:list_dict_count", "wrong number of dictionaries in '%s'", param);
			continue;
		}
		for (size_t k = 0; k < value->n; k++) {
			halo_pyval *one = new_list();
			OOM_CHECK(one);
			halo_pyval *item = pa->kind == HALO_PY_LIST ? halo_pyval_copy(pa->items[k])
								    : halo_pyval_str(pa->s + k, 1);
			if (!item || halo_pyval_append(one, item) != 0) {
				halo_pyval_free(one);
				return halo_error_set(HALO_ENOMEM, "out of memory");
			}
			int rc = dict_checker(param, value->items[k], one, r);
			halo_pyval_free(one);
			if (rc != 0)
				return rc;
			if (!r->valid) {
				flag = 0;
				break;
			}
		}
		if (flag) {
			r->valid = 1;
			r->error_type = NULL;
			return 0;
		}
	}
	return 0;
}

typedef struct ctx {
	halo_bfcl_lang lang;
	halo_bfcl_mode mode;
} ctx;

static const halo_pyval *call_arg(const halo_pycall *call, const char *name)
{
	for (size_t k = 0; k < call->n_args; k++)
		if (!strcmp(call->arg_names[k], name))
			return call->arg_values[k];
	return NULL;
}

/* simple_function_checker: func (a description), one model call, and the
 * answer {name: {param: [acceptable...]}}. */
static int simple_checker(const ctx *cx, const json_t *func, const halo_pycall *call, const halo_pyval *answer,
			  result *r)
{
	r->valid = 1;
	r->error_type = NULL;
	r->detail[0] = '\0';
	const halo_pyval *pa = answer->kind == HALO_PY_DICT && answer->n ? answer->items[1] : NULL;
	const char *fname = json_string_value(json_object_get(func, "name"));
	json_t *params = json_object_get(func, "parameters");
	json_t *props = json_object_get(params, "properties");
	json_t *required = json_object_get(params, "required");
	if (!fname || !pa || pa->kind != HALO_PY_DICT || !json_is_object(props))
		return halo_error_set(HALO_EFORMAT, "function description or answer is malformed");
	char *want = cx->mode == HALO_BFCL_NATIVE ? underscore_name(fname) : strdup(fname);
	OOM_CHECK(want);
	int same = !strcmp(want, call->name);
	if (!same) {
		set_err(r, "simple_function_checker:wrong_func_name", "function name '%s' not found in model output", want);
		free(want);
		return 0;
	}
	free(want);
	size_t k;
	json_t *req;
	json_array_foreach(required, k, req) {
		const char *rn = json_string_value(req);
		if (rn && !call_arg(call, rn)) {
			set_err(r, "simple_function_checker:missing_required", "missing required parameter '%s'", rn);
			return 0;
		}
	}
	for (size_t a = 0; a < call->n_args; a++) {
		const char *param = call->arg_names[a];
		json_t *details = json_object_get(props, param);
		const halo_pyval *answers = halo_pyval_dict_gets(pa, param);
		if (!details || !answers) {
			set_err(r, "simple_function_checker:unexpected_param", "unexpected parameter '%s'", param);
			return 0;
		}
		const char *desc = type_of(details);
		const char *nested_desc = type_of(json_object_get(details, "items"));
		pytype expected = lookup_type(cx->lang, desc), nested = PT_UNKNOWN;
		if (expected == PT_UNKNOWN) {
			set_err(r, "type_error:simple", "unsupported type '%s' for parameter '%s'", desc, param);
			return 0;
		}
		halo_pyval *value;
		if (cx->lang == HALO_BFCL_PYTHON) {
			if (!strcmp(desc, "array") || !strcmp(desc, "tuple")) {
				nested = lookup_type(cx->lang, nested_desc);
				if (nested == PT_UNKNOWN) {
					set_err(r, "type_error:simple", "unsupported item type for parameter '%s'", param);
					return 0;
				}
			}
			value = halo_pyval_copy(call->arg_values[a]);
		} else {
			const halo_pyval *raw = call->arg_values[a];
			int is_nested = !strcmp(desc, "Array") || !strcmp(desc, "ArrayList") || !strcmp(desc, "array");
			if (raw->kind != HALO_PY_STR) {
				set_err(r, cx->lang == HALO_BFCL_JAVA ? "type_error:java" : "type_error:js",
					"incorrect type for parameter '%s': expected String, got %s", param,
					halo_pyval_type_name(raw));
				return 0;
			}
			if (is_nested) {
				nested = lookup_type(cx->lang, nested_desc);
				if (nested == PT_UNKNOWN) {
					set_err(r, "type_error:simple", "unsupported item type for parameter '%s'", param);
					return 0;
				}
			}
			int bad = 0;
			value = cx->lang == HALO_BFCL_JAVA ? java_convert(raw, desc, is_nested ? nested_desc : NULL)
							   : js_convert(raw, desc, is_nested ? nested_desc : NULL, &bad);
		}
		OOM_CHECK(value);
		if (!strcmp(desc, "tuple") && value->kind == HALO_PY_TUPLE)
			value->kind = HALO_PY_LIST;
		if (cx->lang == HALO_BFCL_PYTHON && !strcmp(desc, "float") &&
		    (value->kind == HALO_PY_INT || value->kind == HALO_PY_BIGINT)) {
			double f = value->kind == HALO_PY_INT ? (double)value->i : strtod(value->s, NULL);
			free(value->s);
			value->s = NULL;
			value->len = 0;
			value->kind = HALO_PY_FLOAT;
			value->f = f;
		}
		type_checker(param, value, answers, desc, expected, nested, r);
		int rc = 0;
		if (r->valid && !r->is_variable) {
			int handled = 1;
			if (expected == PT_DICT)
				rc = dict_checker(param, value, answers, r);
			else if (expected == PT_LIST && nested == PT_DICT)
				rc = list_dict_checker(param, value, answers, r);
			else if (expected == PT_STR)
				rc = string_checker(param, value, answers, r);
			else if (expected == PT_LIST)
				rc = list_checker(param, value, answers, r);
			else
				handled = 0;
			if (handled || rc != 0) {
				halo_pyval_free(value);
				if (rc != 0 || !r->valid)
					return rc;
				continue;
			}
		}
		if (!r->valid) {
			halo_pyval_free(value);
			return 0;
		}
		if (!halo_pyval_in(value, answers)) {
			halo_buf b = HALO_BUF_INIT;
			halo_buf_init(&b, 100);
			halo_pyval_repr(value, &b);
			set_err(r, "value_error:others", "invalid value for parameter '%s': %.100s", param,
				b.ptr ? b.ptr : "");
			halo_buf_free(&b);
			halo_pyval_free(value);
			return 0;
		}
		halo_pyval_free(value);
	}
	halo_pyval empty = { .kind = HALO_PY_STR, .s = (char *)"", .len = 0 };
	for (size_t p = 0; p < pa->n; p++) {
		const halo_pyval *key = pa->items[2 * p];
		if (key->kind == HALO_PY_STR && !call_arg(call, key->s) && !halo_pyval_in(&empty, pa->items[2 * p + 1])) {
			set_err(r, "simple_function_checker:missing_optional",
				"optional parameter '%s' not provided and not marked as optional", key->s);
			return 0;
		}
	}
	r->valid = 1;
	r->error_type = NULL;
	return 0;
}

static const json_t *find_description(const json_t *funcs, const char *name)
{
	if (!json_is_array(funcs))
		return funcs;
	size_t k;
	json_t *f;
	json_array_foreach(funcs, k, f) {
		const char *n = json_string_value(json_object_get(f, "name"));
		if (n && !strcmp(n, name))
			return f;
	}
	return NULL;
}

static const char *answer_name(const halo_pyval *answer)
{
	return answer->kind == HALO_PY_DICT && answer->n && answer->items[0]->kind == HALO_PY_STR ? answer->items[0]->s
												   : "";
}

static int ast_checker(halo_bfcl_category cat, const ctx *cx, const json_t *funcs, const halo_pycall_list *calls,
		       const halo_pyval *answers, result *r)
{
	const char *name = categories[cat].name;
	if (answers->kind != HALO_PY_LIST)
		return halo_error_set(HALO_EFORMAT, "ground truth is not a list");
	if (strstr(name, "parallel")) {
		if (calls->n != answers->n) {
			set_err(r, "parallel_function_checker_no_order:wrong_count", "wrong number of functions: %zu, expected %zu",
				calls->n, answers->n);
			return 0;
		}
		/* greedy: each answer takes the first unmatched call that passes */
		unsigned char *matched = calloc(calls->n + 1, 1);
		OOM_CHECK(matched);
		for (size_t i = 0; i < answers->n; i++) {
			const json_t *f = find_description(funcs, answer_name(answers->items[i]));
			result sub = { 0 };
			int found = 0;
			if (!f) {
				free(matched);
				set_err(r, "parallel_function_checker_no_order:cannot_find_match",
					"no description for function '%s'", answer_name(answers->items[i]));
				return 0;
			}
			for (size_t m = 0; m < calls->n; m++) {
				if (matched[m])
					continue;
				int rc = simple_checker(cx, f, &calls->calls[m], answers->items[i], &sub);
				if (rc != 0) {
					free(matched);
					return rc;
				}
				if (sub.valid) {
					matched[m] = 1;
					found = 1;
					break;
				}
			}
			if (!found) {
				free(matched);
				set_err(r, "parallel_function_checker_no_order:cannot_find_match",
					"no call matches expected call #%zu '%s' (last: %s: %s)", i,
					answer_name(answers->items[i]), sub.error_type ? sub.error_type : "",
					sub.detail);
				return 0;
			}
		}
		free(matched);
		r->valid = 1;
		r->error_type = NULL;
		return 0;
	}
	if (strstr(name, "multiple")) {
		if (calls->n != answers->n) {
			set_err(r, "multiple_function_checker:wrong_count", "wrong number of functions: %zu, expected %zu",
				calls->n, answers->n);
			return 0;
		}
		const json_t *f = find_description(funcs, answer_name(answers->items[0]));
		if (!f) {
			set_err(r, "multiple_function_checker:wrong_count", "no description for function '%s'",
				answer_name(answers->items[0]));
			return 0;
		}
		return simple_checker(cx, f, &calls->calls[0], answers->items[0], r);
	}
	if (calls->n != 1) {
		set_err(r, "simple_function_checker:wrong_count", "wrong number of functions: %zu, expected 1", calls->n);
		return 0;
	}
	if (answers->n < 1 || json_array_size(funcs) < 1)
		return halo_error_set(HALO_EFORMAT, "empty ground truth or function list");
	return simple_checker(cx, json_array_get(funcs, 0), &calls->calls[0], answers->items[0], r);
}

static void verdict_set(halo_bfcl_verdict *v, halo_outcome o, const char *type, const char *detail)
{
	v->outcome = o;
	v->strict_outcome = o;
	snprintf(v->error_type, sizeof(v->error_type), "%s", type ? type : "");
	snprintf(v->detail, sizeof(v->detail), "%s", detail ? detail : "");
}

int halo_bfcl_check(halo_bfcl_category c, halo_bfcl_mode mode, const char *function_json,
		    const char *ground_truth_json, const halo_bfcl_decoded *d, halo_bfcl_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if ((unsigned)c >= HALO_BFCL_N_CATEGORIES || !d)
		return halo_error_set(HALO_EUSAGE, "bfcl check: bad category or no answer");
	halo_bfcl_scoring scoring = categories[c].scoring;
	int decoded = d->ok && d->calls && !d->wrong_format;
	if (scoring != HALO_BFCL_SCORE_AST) {
		/* is_empty_output: only an empty list has no call */
		int has_call = decoded && d->calls->n > 0;
		if (scoring == HALO_BFCL_SCORE_IRRELEVANCE) {
			if (has_call)
				verdict_set(v, HALO_OUTCOME_WRONG, "irrelevance_error:decoder_success",
					    "valid syntax: a call was decoded when none should be");
			else
				verdict_set(v, HALO_OUTCOME_PASS, NULL, decoded ? "" : d->error);
			if (!has_call && !decoded && d->attempted) {
				v->strict_outcome = HALO_OUTCOME_PARSE;
				snprintf(v->detail, sizeof(v->detail), "strict: malformed call attempt: %s", d->error);
			}
		} else {
			if (has_call)
				verdict_set(v, HALO_OUTCOME_PASS, NULL, NULL);
			else
				verdict_set(v, decoded ? HALO_OUTCOME_WRONG : HALO_OUTCOME_PARSE,
					    "relevance_error:decoder_failed", decoded ? "no call decoded" : d->error);
		}
		return 0;
	}
	if (!d->ok || !d->calls) {
		verdict_set(v, HALO_OUTCOME_PARSE, d->wrong_format ? "ast_decoder:decoder_wrong_output_format"
								   : "ast_decoder:decoder_failed",
			    d->error);
		return 0;
	}
	if (d->wrong_format) {
		verdict_set(v, HALO_OUTCOME_PARSE, "ast_decoder:decoder_wrong_output_format", d->error);
		return 0;
	}
	json_t *funcs = load_json(function_json, "function");
	json_t *gt = funcs ? load_json(ground_truth_json, "ground_truth") : NULL;
	halo_pyval *answers = NULL;
	int rc = gt ? halo_pyval_from_json(gt, &answers) : halo_error_last()->code;
	if (rc == 0) {
		ctx cx = { categories[c].lang, mode };
		result r = { 0 };
		rc = ast_checker(c, &cx, funcs, d->calls, answers, &r);
		if (rc == 0) {
			if (r.valid)
				verdict_set(v, HALO_OUTCOME_PASS, NULL, NULL);
			else
				verdict_set(v, HALO_OUTCOME_WRONG, r.error_type, r.detail);
		}
	}
	halo_pyval_free(answers);
	json_decref(gt);
	json_decref(funcs);
	return rc;
}

/* ------------------------------------------------------------- rendering */

static int render_java(const halo_pyval *v, const char *type, const char *nested, halo_buf *b);

static int render_java_scalar(const halo_pyval *v, const char *type, halo_buf *b)
{
	switch (v->kind) {
	case HALO_PY_BOOL: return halo_buf_adds(b, v->i ? "true" : "false");
	case HALO_PY_INT: return halo_buf_addf(b, "%lld%s", (long long)v->i, type && !strcmp(type, "long") ? "L" : "");
	case HALO_PY_FLOAT: {
		int rc = halo_py_float_repr(v->f, b);
		return rc ? rc : halo_buf_adds(b, type && !strcmp(type, "float") ? "f" : "");
	}
	case HALO_PY_STR: return halo_buf_add(b, v->s, v->len);
	default: return halo_pyval_repr(v, b);
	}
}

static const char *java_elem_type(const char *t)
{
	if (!t)
		return "Object";
	if (!strcmp(t, "integer"))
		return "int";
	if (!strcmp(t, "long"))
		return "long";
	if (!strcmp(t, "boolean"))
		return "boolean";
	if (!strcmp(t, "double"))
		return "double";
	if (!strcmp(t, "float"))
		return "float";
	if (!strcmp(t, "char"))
		return "char";
	if (!strcmp(t, "String"))
		return "String";
	return "Object";
}

/* A literal parse_java_value reads back as v. */
static int render_java_literal(const halo_pyval *v, halo_buf *b)
{
	if (v->kind == HALO_PY_STR) {
		int rc = halo_buf_adds(b, "\"");
		rc |= halo_buf_add(b, v->s, v->len);
		return rc | halo_buf_adds(b, "\"");
	}
	return render_java_scalar(v, NULL, b);
}

static int render_java(const halo_pyval *v, const char *type, const char *nested, halo_buf *b)
{
	int rc = 0;
	if (v->kind == HALO_PY_LIST && type && !strcmp(type, "Array")) {
		rc |= halo_buf_addf(b, "new %s[]{", java_elem_type(nested));
		for (size_t k = 0; k < v->n; k++) {
			if (k)
				rc |= halo_buf_adds(b, ", ");
			rc |= render_java_scalar(v->items[k], nested, b);
		}
		return rc | halo_buf_adds(b, "}");
	}
	if (v->kind == HALO_PY_LIST && type && !strcmp(type, "ArrayList")) {
		rc |= halo_buf_adds(b, "new ArrayList<>(Arrays.asList(");
		for (size_t k = 0; k < v->n; k++) {
			if (k)
				rc |= halo_buf_adds(b, ", ");
			if (nested && (!strcmp(nested, "String") || !strcmp(nested, "char") || !strcmp(nested, "any")))
				rc |= v->items[k]->kind == HALO_PY_STR && strcmp(nested, "any")
					      ? render_java_literal(v->items[k], b)
					      : render_java_literal(v->items[k], b);
			else
				rc |= render_java_scalar(v->items[k], nested, b);
		}
		return rc | halo_buf_adds(b, "))");
	}
	if (v->kind == HALO_PY_DICT) {
		rc |= halo_buf_adds(b, "new HashMap<String, Object>() {{ ");
		for (size_t k = 0; k < v->n; k++) {
			const halo_pyval *key = v->items[2 * k], *first = v->items[2 * k + 1];
			rc |= halo_buf_adds(b, "put(");
			rc |= render_java_literal(key, b);
			rc |= halo_buf_adds(b, ", ");
			rc |= render_java_literal(first, b);
			rc |= halo_buf_adds(b, "); ");
		}
		return rc | halo_buf_adds(b, "}}");
	}
	return render_java_scalar(v, type, b);
}

static int render_js(const halo_pyval *v, halo_buf *b, int quote_strings)
{
	int rc = 0;
	switch (v->kind) {
	case HALO_PY_BOOL: return halo_buf_adds(b, v->i ? "true" : "false");
	case HALO_PY_STR:
		if (!quote_strings)
			return halo_buf_add(b, v->s, v->len);
		rc |= halo_buf_adds(b, "'");
		rc |= halo_buf_add(b, v->s, v->len);
		return rc | halo_buf_adds(b, "'");
	case HALO_PY_LIST:
		rc |= halo_buf_adds(b, "[");
		for (size_t k = 0; k < v->n; k++) {
			if (k)
				rc |= halo_buf_adds(b, ", ");
			rc |= render_js(v->items[k], b, 1);
		}
		return rc | halo_buf_adds(b, "]");
	case HALO_PY_DICT:
		rc |= halo_buf_adds(b, "{");
		for (size_t k = 0, w = 0; k < v->n; k++) {
			const halo_pyval *first = v->items[2 * k + 1];
			if (w++)
				rc |= halo_buf_adds(b, ", ");
			rc |= halo_buf_addf(b, "'%s': ", v->items[2 * k]->s ? v->items[2 * k]->s : "");
			rc |= render_js(first, b, 1);
		}
		return rc | halo_buf_adds(b, "}");
	default: return render_java_scalar(v, NULL, b);
	}
}

/* An answer value from a possible-answer entry: a dict there maps each key to
 * its acceptable values, so it becomes a dict of the first ones (keys that
 * accept "" are left out); lists of such dicts likewise. */
static halo_pyval *answer_value(const halo_pyval *v)
{
	halo_pyval empty = { .kind = HALO_PY_STR, .s = (char *)"", .len = 0 };
	if (v->kind == HALO_PY_DICT) {
		halo_pyval *d = halo_pyval_new(HALO_PY_DICT);
		for (size_t k = 0; d && k < v->n; k++) {
			const halo_pyval *acc = v->items[2 * k + 1];
			if (acc->kind == HALO_PY_LIST && (!acc->n || halo_pyval_in(&empty, acc)))
				continue;
			halo_pyval *key = halo_pyval_copy(v->items[2 * k]);
			halo_pyval *val = halo_pyval_copy(acc->kind == HALO_PY_LIST ? acc->items[0] : acc);
			if (!key || !val || halo_pyval_dict_set(d, key, val) != 0) {
				if (!key || !val) {
					halo_pyval_free(key);
					halo_pyval_free(val);
				}
				halo_pyval_free(d);
				return NULL;
			}
		}
		return d;
	}
	if (v->kind == HALO_PY_LIST) {
		halo_pyval *l = new_list();
		for (size_t k = 0; l && k < v->n; k++) {
			halo_pyval *x = v->items[k]->kind == HALO_PY_DICT ? answer_value(v->items[k])
									   : halo_pyval_copy(v->items[k]);
			if (!x || halo_pyval_append(l, x) != 0) {
				halo_pyval_free(l);
				return NULL;
			}
		}
		return l;
	}
	return halo_pyval_copy(v);
}

static int is_required(const json_t *func, const char *param)
{
	size_t k;
	json_t *r;
	json_array_foreach(json_object_get(json_object_get(func, "parameters"), "required"), k, r)
		if (json_string_value(r) && !strcmp(json_string_value(r), param))
			return 1;
	return 0;
}

int halo_bfcl_render_answer(halo_bfcl_category c, halo_bfcl_mode mode, const char *function_json,
			    const char *ground_truth_json, char **out)
{
	*out = NULL;
	if ((unsigned)c >= HALO_BFCL_N_CATEGORIES)
		return halo_error_set(HALO_EUSAGE, "bfcl render: bad category");
	halo_bfcl_lang lang = categories[c].lang;
	json_t *funcs = load_json(function_json, "function");
	json_t *gt = funcs ? load_json(ground_truth_json, "ground_truth") : NULL;
	halo_pyval *answers = NULL;
	int rc = gt ? halo_pyval_from_json(gt, &answers) : halo_error_last()->code;
	halo_buf b;
	halo_buf_init(&b, CAP_TEXT);
	json_t *tool_calls = json_array();
	halo_pyval empty = { .kind = HALO_PY_STR, .s = (char *)"", .len = 0 };
	if (rc == 0 && answers->kind != HALO_PY_LIST)
		rc = halo_error_set(HALO_EFORMAT, "ground truth is not a list");
	if (rc == 0 && mode == HALO_BFCL_PROMPT)
		rc = halo_buf_adds(&b, "[");
	for (size_t i = 0; rc == 0 && i < answers->n; i++) {
		const halo_pyval *call = answers->items[i];
		if (call->kind != HALO_PY_DICT || !call->n || call->items[1]->kind != HALO_PY_DICT) {
			rc = halo_error_set(HALO_EFORMAT, "ground truth call #%zu is malformed", i);
			break;
		}
		const char *name = call->items[0]->s;
		const halo_pyval *params = call->items[1];
		const json_t *f = find_description(funcs, name);
		json_t *props = json_object_get(json_object_get(f, "parameters"), "properties");
		char *shown = mode == HALO_BFCL_NATIVE ? underscore_name(name) : strdup(name);
		json_t *args = json_object();
		if (!shown || !args) {
			free(shown);
			json_decref(args);
			rc = HALO_ENOMEM;
			break;
		}
		if (mode == HALO_BFCL_PROMPT)
			rc |= halo_buf_addf(&b, "%s%s(", i ? ", " : "", shown);
		for (size_t p = 0, w = 0; rc == 0 && p < params->n; p++) {
			const halo_pyval *pname = params->items[2 * p], *acc = params->items[2 * p + 1];
			if (acc->kind != HALO_PY_LIST || !acc->n)
				continue;
			/* optional ("" accepted) parameters are left out unless the
			 * function requires them; then the first real value is used */
			size_t first = 0;
			while (first < acc->n && is_empty_str(acc->items[first]))
				first++;
			if (first == acc->n || (halo_pyval_in(&empty, acc) && !is_required(f, pname->s)))
				continue;
			halo_pyval *val = answer_value(acc->items[first]);
			if (!val) {
				rc = HALO_ENOMEM;
				break;
			}
			json_t *details = json_object_get(props, pname->s);
			const char *type = json_string_value(json_object_get(details, "type"));
			const char *nested = json_string_value(json_object_get(json_object_get(details, "items"), "type"));
			halo_buf vb;
			halo_buf_init(&vb, CAP_TEXT);
			int is_text = 0; /* a value that needs quotes in prompt mode */
			if (lang == HALO_BFCL_PYTHON) {
				rc = halo_pyval_repr(val, &vb);
			} else if (lang == HALO_BFCL_JAVA) {
				rc = render_java(val, type, nested, &vb);
				/* a string holding '"' is a Java expression (`new X("a")`): raw */
				is_text = val->kind == HALO_PY_STR && !memchr(val->s, '"', val->len);
			} else {
				rc = render_js(val, &vb, 0);
				is_text = val->kind == HALO_PY_STR;
			}
			if (rc == 0 && mode == HALO_BFCL_PROMPT) {
				rc = halo_buf_addf(&b, "%s%s=", w++ ? ", " : "", pname->s);
				if (is_text)
					rc |= halo_buf_adds(&b, "\"");
				rc |= halo_buf_add(&b, vb.ptr ? vb.ptr : "", vb.len);
				if (is_text)
					rc |= halo_buf_adds(&b, "\"");
			} else if (rc == 0) {
				json_t *jv = NULL;
				if (lang == HALO_BFCL_PYTHON)
					rc = halo_pyval_to_json(val, &jv);
				else
					jv = json_stringn(vb.ptr ? vb.ptr : "", vb.len);
				if (rc == 0 && jv)
					json_object_setn_new(args, pname->s, pname->len, jv);
				else if (rc == 0)
					rc = halo_error_set(HALO_EFORMAT, "value of '%s' is not valid UTF-8", pname->s);
			}
			halo_buf_free(&vb);
			halo_pyval_free(val);
		}
		if (rc == 0 && mode == HALO_BFCL_PROMPT)
			rc = halo_buf_adds(&b, ")");
		if (rc == 0 && mode == HALO_BFCL_NATIVE) {
			char *a = json_dumps(args, JSON_COMPACT);
			json_t *tc = a ? json_pack("{s:s, s:s, s:{s:s, s:s}}", "id", "call", "type", "function", "function",
						   "name", shown, "arguments", a)
				       : NULL;
			free(a);
			if (!tc || json_array_append_new(tool_calls, tc) != 0)
				rc = halo_error_set(HALO_ENOMEM, "out of memory");
		}
		free(shown);
		json_decref(args);
	}
	if (rc == 0 && mode == HALO_BFCL_PROMPT)
		rc = halo_buf_adds(&b, "]");
	if (rc == 0) {
		if (mode == HALO_BFCL_PROMPT) {
			*out = halo_buf_detach(&b);
		} else {
			*out = json_dumps(tool_calls, JSON_COMPACT);
			if (!*out)
				rc = halo_error_set(HALO_ENOMEM, "out of memory");
		}
	}
	halo_buf_free(&b);
	json_decref(tool_calls);
	halo_pyval_free(answers);
	json_decref(gt);
	json_decref(funcs);
	return rc;
}
