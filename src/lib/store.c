/*
 * Models directory index and download status. See store.h.
 */
#include "store.h"

#include "error.h"
#include "gguf.h"
#include "hparams.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PART_SUFFIX ".part"

struct entry {
	char *name; /* base name */
	char *path;
	uint64_t size;
};

struct halo_store {
	char *dir;
	struct entry *entries;
	size_t n, cap;
	const halo_store_opts *opts;
	halo_store_opts opts_copy;
};

const char *halo_file_status_name(halo_file_status s)
{
	switch (s) {
	case HALO_FILE_MISSING: return "missing";
	case HALO_FILE_PARTIAL: return "partial";
	case HALO_FILE_COMPLETE: return "complete";
	case HALO_FILE_VERIFIED: return "verified";
	case HALO_FILE_CORRUPT: return "corrupt";
	}
	return "?";
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

static int add_entry(halo_store *s, const char *name, const char *path, uint64_t size)
{
	if (s->n >= s->opts->max_files)
		return halo_error_set(HALO_ENOMEM, "'%s' holds more than %zu model files", s->dir, s->opts->max_files);
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct entry *e = realloc(s->entries, cap * sizeof(*e));
		if (!e)
			return halo_error_set(HALO_ENOMEM, "out of memory indexing '%s'", s->dir);
		s->entries = e;
		s->cap = cap;
	}
	struct entry *e = &s->entries[s->n];
	e->name = strdup(name);
	e->path = strdup(path);
	e->size = size;
	if (!e->name || !e->path) {
		free(e->name);
		free(e->path);
		return halo_error_set(HALO_ENOMEM, "out of memory indexing '%s'", s->dir);
	}
	s->n++;
	return 0;
}

static int scan(halo_store *s, const char *dir, unsigned depth)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT || errno == EACCES || errno == ENOTDIR
			       ? 0
			       : halo_error_set(HALO_EIO, "cannot read '%s': %s", dir, strerror(errno));
	struct dirent *de;
	int rc = 0;
	while (!rc && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue; /* also skips Hugging Face's .cache */
		char path[4096];
		struct stat st;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		if (stat(path, &st) != 0)
			continue; /* dangling link */
		if (S_ISDIR(st.st_mode)) {
			if (depth < s->opts->max_depth)
				rc = scan(s, path, depth + 1);
		} else if (S_ISREG(st.st_mode) &&
			   (ends_with(de->d_name, ".gguf") || ends_with(de->d_name, ".gguf" PART_SUFFIX))) {
			rc = add_entry(s, de->d_name, path, (uint64_t)st.st_size);
		}
	}
	closedir(d);
	return rc;
}

int halo_store_open(halo_store **out, const char *dir, const halo_store_opts *opts)
{
	halo_store_opts defaults = HALO_STORE_OPTS_INIT;
	halo_store *s = calloc(1, sizeof(*s));
	*out = NULL;
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		return halo_error_set(HALO_ENOMEM, "out of memory");
	}
	s->opts_copy = opts ? *opts : defaults;
	s->opts = &s->opts_copy;
	int rc = scan(s, dir, 0);
	if (rc) {
		halo_store_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void halo_store_free(halo_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->entries[i].name);
		free(s->entries[i].path);
	}
	free(s->entries);
	free(s->dir);
	free(s);
}

const char *halo_store_dir(const halo_store *s)
{
	return s->dir;
}

static const struct entry *find(const halo_store *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->entries[i].name, name))
			return &s->entries[i];
	return NULL;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static bool within(uint64_t have, uint64_t want, uint64_t tol)
{
	return have + tol >= want && have <= want + tol;
}

int halo_store_quant_status(const halo_store *s, const halo_model *m, const halo_quant *q, bool verify,
			    halo_quant_status *st)
{
	const struct entry *first = NULL;
	bool any_part_file = false;

	memset(st, 0, sizeof(*st));
	st->parts_total = (uint32_t)q->n_files;
	st->want_bytes = q->size_bytes;
	for (size_t i = 0; i < q->n_files; i++) {
		const char *name = base_name(q->files[i]);
		char part[1024];
		const struct entry *e = find(s, name);
		if (e) {
			st->parts_found++;
		} else {
			snprintf(part, sizeof(part), "%s" PART_SUFFIX, name);
			e = find(s, part);
			any_part_file |= e != NULL;
		}
		if (!e)
			continue;
		st->have_bytes += e->size;
		if (!first)
			first = e;
	}
	if (!first) {
		st->status = HALO_FILE_MISSING;
		return 0;
	}
	snprintf(st->path, sizeof(st->path), "%s", first->path);
	if (any_part_file || st->parts_found < st->parts_total) {
		st->status = HALO_FILE_PARTIAL;
		snprintf(st->detail, sizeof(st->detail), "%u of %u files%s", st->parts_found, st->parts_total,
			 any_part_file ? ", download unfinished" : "");
		return 0;
	}

	if (!verify) {
		if (within(st->have_bytes, q->size_bytes, q->size_tolerance)) {
			st->status = HALO_FILE_COMPLETE;
		} else if (st->have_bytes < q->size_bytes) {
			st->status = HALO_FILE_PARTIAL;
		} else {
			st->status = HALO_FILE_CORRUPT;
			snprintf(st->detail, sizeof(st->detail), "%" PRIu64 " bytes, catalog says %" PRIu64 " +- %" PRIu64,
				 st->have_bytes, q->size_bytes, q->size_tolerance);
		}
		return 0;
	}

	/* Read the header: the first part (split parts are combined by the reader). */
	halo_gguf *g = NULL;
	halo_gguf_open_opts gopts = HALO_GGUF_OPEN_OPTS_INIT;
	gopts.allow_truncated_data = true;
	int rc = halo_gguf_open(&g, first->path, &gopts);
	if (rc) {
		const halo_error *e = halo_error_last();
		/* A file cut short inside its header is an unfinished download, not corruption. */
		bool short_file = st->have_bytes + q->size_tolerance < q->size_bytes;
		st->status = short_file && rc == HALO_EFORMAT ? HALO_FILE_PARTIAL : HALO_FILE_CORRUPT;
		if (rc != HALO_EFORMAT && rc != HALO_ENOMEM && rc != HALO_ENOTFOUND) {
			return rc; /* an I/O error says nothing about the file */
		}
		snprintf(st->detail, sizeof(st->detail), "%s", e->message);
		halo_error_clear();
		return 0;
	}
	st->want_bytes = g->expected_size;
	if (!halo_gguf_data_complete(g)) {
		st->status = HALO_FILE_PARTIAL;
		snprintf(st->detail, sizeof(st->detail), "tensor data ends at byte %" PRIu64 ", file has %" PRIu64,
			 g->expected_size, g->file_size);
		halo_gguf_free(g);
		return 0;
	}
	halo_hparams hp;
	rc = halo_hparams_from_gguf(&hp, g);
	if (!rc)
		rc = halo_hparams_match(&hp, &m->hp);
	if (rc) {
		st->status = HALO_FILE_CORRUPT;
		snprintf(st->detail, sizeof(st->detail), "does not match the catalog's %s: %s", m->id,
			 halo_error_last()->message);
		halo_error_clear();
	} else {
		st->status = HALO_FILE_VERIFIED;
	}
	halo_gguf_free(g);
	return 0;
}

static int expand_home(char *buf, size_t size, const char *path)
{
	const char *home = getenv("HOME");
	int n;
	if (!strncmp(path, "~/", 2) || !strcmp(path, "~")) {
		if (!home || !*home)
			return halo_error_set(HALO_ENOTFOUND, "cannot expand '%s': HOME is not set", path);
		n = snprintf(buf, size, "%s%s", home, path + 1);
	} else {
		n = snprintf(buf, size, "%s", path);
	}
	if (n < 0 || (size_t)n >= size)
		return halo_error_set(HALO_ENOMEM, "path '%.64s...' is too long", path);
	return 0;
}

/* `models_dir = PATH` from the user's config file, if any. */
static int config_models_dir(char *buf, size_t size, bool *found)
{
	char path[4096];
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	*found = false;
	if (xdg && xdg[0] == '/')
		snprintf(path, sizeof(path), "%s/halo/config", xdg);
	else if (home && *home)
		snprintf(path, sizeof(path), "%s/.config/halo/config", home);
	else
		return 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[4096];
	int lineno = 0, rc = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *p = line, *end;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "models_dir", 10))
			continue;
		p += 10;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p++ != '=') {
			rc = halo_error_set(HALO_EFORMAT, "%s:%d: expected 'models_dir = PATH'", path, lineno);
			break;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strlen(p);
		while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (!*p) {
			rc = halo_error_set(HALO_EFORMAT, "%s:%d: models_dir is empty", path, lineno);
			break;
		}
		rc = expand_home(buf, size, p);
		*found = rc == 0;
	}
	fclose(f);
	return rc;
}

int halo_models_dir(char *buf, size_t size, const char *option)
{
	const char *env = getenv("HALO_MODELS_DIR");
	bool found;
	int rc;
	if (option && *option)
		return expand_home(buf, size, option);
	if (env && *env)
		return expand_home(buf, size, env);
	if ((rc = config_models_dir(buf, size, &found)) || found)
		return rc;
	return expand_home(buf, size, "~/models");
}
