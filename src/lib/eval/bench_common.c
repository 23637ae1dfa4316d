#include "eval/bench_common.h"

#include "error.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct load_ctx {
	bench_lines *bl;
	halo_dataset_kind kind;
};

int bench_lines_load(bench_lines *bl, const halo_eval_env *env, const char *name, halo_dataset_kind kind,
		     char sha_out[65])
{
	const halo_dataset_file *f = halo_dataset_find(name);
	char path[4096];
	halo_jsonl *in = NULL;
	int rc;

	if (!f)
		return halo_error_set(HALO_ENOTFOUND, "dataset '%s' is not pinned", name);
	if ((rc = halo_dataset_resolve(f, &env->datasets, path, sizeof(path))))
		return rc;
	if (sha_out)
		memcpy(sha_out, f->sha256, 65);
	if ((rc = halo_jsonl_open(&in, path, 0)))
		return rc;
	const char *line;
	size_t len;
	while ((rc = halo_jsonl_next(in, &line, &len)) == 1) {
		halo_dataset_record rec;
		if ((rc = halo_dataset_parse_line(kind, line, len, &rec))) {
			halo_error_prefix("'%s':%zu", path, halo_jsonl_lineno(in));
			break;
		}
		if (bl->n == bl->cap) {
			size_t ncap = bl->cap ? bl->cap * 2 : 256;
			char **nl = realloc(bl->lines, ncap * sizeof(*nl));
			if (nl)
				bl->lines = nl;
			size_t *nn = realloc(bl->lens, ncap * sizeof(*nn));
			if (nn)
				bl->lens = nn;
			char **ni = realloc(bl->ids, ncap * sizeof(*ni));
			if (ni)
				bl->ids = ni;
			if (!nl || !nn || !ni) {
				halo_dataset_record_free(&rec);
				rc = halo_error_set(HALO_ENOMEM, "out of memory");
				break;
			}
			bl->cap = ncap;
		}
		char *copy = malloc(len + 1);
		char *id = strdup(rec.id ? rec.id : "");
		halo_dataset_record_free(&rec);
		if (!copy || !id) {
			free(copy);
			free(id);
			rc = halo_error_set(HALO_ENOMEM, "out of memory");
			break;
		}
		memcpy(copy, line, len);
		copy[len] = 0;
		bl->lines[bl->n] = copy;
		bl->lens[bl->n] = len;
		bl->ids[bl->n] = id;
		bl->n++;
	}
	halo_jsonl_close(in);
	return rc < 0 ? rc : 0;
}

int bench_lines_record(const bench_lines *bl, size_t i, halo_dataset_kind kind, halo_dataset_record *rec)
{
	if (i >= bl->n)
		return halo_error_set(HALO_EUSAGE, "task %zu out of range", i);
	return halo_dataset_parse_line(kind, bl->lines[i], bl->lens[i], rec);
}

long bench_lines_find(const bench_lines *bl, const char *id)
{
	for (size_t i = 0; i < bl->n; i++)
		if (!strcmp(bl->ids[i], id))
			return (long)i;
	return -1;
}

void bench_lines_free(bench_lines *bl)
{
	for (size_t i = 0; i < bl->n; i++) {
		free(bl->lines[i]);
		free(bl->ids[i]);
	}
	free(bl->lines);
	free(bl->lens);
	free(bl->ids);
	memset(bl, 0, sizeof(*bl));
}

char *bench_json_pack(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *o = json_vpack_ex(NULL, 0, fmt, ap);
	va_end(ap);
	if (!o)
		return NULL;
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

char *bench_user_messages(const char *text)
{
	json_t *m = json_pack("[{s:s, s:s}]", "role", "user", "content", text ? text : "");
	if (!m)
		return NULL;
	char *s = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	return s;
}
