/*
 * llama.cpp backends. See backends.h.
 */
#include "backends.h"

#include "error.h"
#include "llama_run.h"
#include "paths.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

/* Limits on what one file may declare: generous for people, small for a hostile file. */
#define MAX_BACKENDS 64
#define MAX_LIST 64      /* env entries or flags per backend */
#define MAX_VALUE 4096

int halo_backends_default_path(char *buf, size_t n)
{
	return halo_user_path(HALO_DIR_CONFIG, "backends.conf", buf, n);
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void backend_free(halo_backend *b)
{
	free(b->name);
	free(b->bin_dir);
	free_list(b->env, b->n_env);
	free_list(b->server_flags, b->n_server_flags);
	free_list(b->bench_flags, b->n_bench_flags);
	memset(b, 0, sizeof(*b));
}

void halo_backends_free(halo_backends *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		backend_free(&b->items[i]);
	free(b->items);
	free(b->file);
	*b = (halo_backends)HALO_BACKENDS_INIT;
}

static int list_push(char ***v, size_t *n, const char *s, size_t len)
{
	if (*n >= MAX_LIST)
		return -1;
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -1;
	*v = nv;
	if (!(nv[*n] = strndup(s, len)))
		return -1;
	(*n)++;
	return 0;
}

/*
 * Splits flags as a POSIX shell would for words: whitespace separates,
 * single quotes are literal, double quotes allow \" and \\, a backslash
 * outside quotes escapes the next character. No expansion of any kind:
 * the flags go to execve, not to a shell.
 */
static int split_words(const char *s, char ***v, size_t *n, const char **why)
{
	char word[MAX_VALUE + 1];
	size_t w = 0;
	bool in_word = false;
	for (const char *p = s;; p++) {
		char c = *p;
		if (!c || c == ' ' || c == '\t') {
			if (in_word && list_push(v, n, word, w)) {
				*why = "too many flags";
				return -1;
			}
			in_word = false;
			w = 0;
			if (!c)
				return 0;
			continue;
		}
		in_word = true;
		if (c == '\'') {
			const char *end = strchr(p + 1, '\'');
			if (!end) {
				*why = "unterminated single quote";
				return -1;
			}
			for (p++; p < end; p++)
				word[w++] = *p;
		} else if (c == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				word[w++] = *p;
			}
			if (!*p) {
				*why = "unterminated double quote";
				return -1;
			}
		} else if (c == '\\' && p[1]) {
			word[w++] = *++p;
		} else {
			word[w++] = c;
		}
	}
}

static bool valid_name(const char *s, size_t len)
{
	if (!len || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static bool valid_env(const char *s)
{
	const char *eq = strchr(s, '=');
	if (!eq || eq == s)
		return false;
	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return false;
	for (const char *p = s; p < eq; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return false;
	return true;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

int halo_backends_parse(halo_backends *out, const char *name, const char *text, size_t len)
{
	halo_backends b = HALO_BACKENDS_INIT;
	halo_backend *cur = NULL;
	int rc = 0, lineno = 0;
	char line[MAX_VALUE + 64];
	if (!(b.file = strdup(name ? name : "backends.conf")))
		return halo_error_set(HALO_ENOMEM, "out of memory");
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		lineno++;
		if (n >= sizeof(line)) {
			rc = halo_error_set(HALO_EFORMAT, "%s:%d: line too long", b.file, lineno);
			goto fail;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		if (memchr(line, '\0', n)) {
			rc = halo_error_set(HALO_EFORMAT, "%s:%d: NUL byte", b.file, lineno);
			goto fail;
		}
		char *s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');
			if (!end || end[1] || strncmp(s, "[backend ", 9)) {
				rc = halo_error_set(HALO_EFORMAT, "%s:%d: expected '[backend NAME]'", b.file, lineno);
				goto fail;
			}
			*end = '\0';
			char *nm = trim(s + 9);
			if (!valid_name(nm, strlen(nm))) {
				rc = halo_error_set(HALO_EFORMAT, "%s:%d: backend name '%s' must be letters, digits, '.', '_' or '-'",
						    b.file, lineno, nm);
				goto fail;
			}
			for (size_t i = 0; i < b.n; i++)
				if (!strcmp(b.items[i].name, nm)) {
					rc = halo_error_set(HALO_EFORMAT, "%s:%d: backend '%s' is already defined on line %d",
							    b.file, lineno, nm, b.items[i].line);
					goto fail;
				}
			if (b.n >= MAX_BACKENDS) {
				rc = halo_error_set(HALO_ENOMEM, "%s:%d: more than %d backends", b.file, lineno, MAX_BACKENDS);
				goto fail;
			}
			halo_backend *nb = realloc(b.items, (b.n + 1) * sizeof(*nb));
			if (!nb) {
				rc = halo_error_set(HALO_ENOMEM, "out of memory");
				goto fail;
			}
			b.items = nb;
			cur = &b.items[b.n++];
			memset(cur, 0, sizeof(*cur));
			cur->line = lineno;
			if (!(cur->name = strdup(nm))) {
				rc = halo_error_set(HALO_ENOMEM, "out of memory");
				goto fail;
			}
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			rc = halo_error_set(HALO_EFORMAT, "%s:%d: expected 'key = value'", b.file, lineno);
			goto fail;
		}
		*eq = '\0';
		char *key = trim(s), *val = trim(eq + 1);
		if (!cur) {
			rc = halo_error_set(HALO_EFORMAT, "%s:%d: '%s' outside a [backend NAME] section", b.file, lineno, key);
			goto fail;
		}
		const char *why = NULL;
		if (!strcmp(key, "bin")) {
			if (val[0] != '/') {
				rc = halo_error_set(HALO_EFORMAT, "%s:%d: bin '%s' must be an absolute directory", b.file,
						    lineno, val);
				goto fail;
			}
			free(cur->bin_dir);
			if (!(cur->bin_dir = strdup(val))) {
				rc = halo_error_set(HALO_ENOMEM, "out of memory");
				goto fail;
			}
		} else if (!strcmp(key, "env")) {
			if (!valid_env(val)) {
				rc = halo_error_set(HALO_EFORMAT, "%s:%d: env '%s' is not NAME=VALUE", b.file, lineno, val);
				goto fail;
			}
			if (list_push(&cur->env, &cur->n_env, val, strlen(val))) {
				rc = halo_error_set(HALO_ENOMEM, "%s:%d: too many env entries", b.file, lineno);
				goto fail;
			}
		} else if (!strcmp(key, "server_flags") || !strcmp(key, "bench_flags")) {
			bool server = key[0] == 's';
			if (split_words(val, server ? &cur->server_flags : &cur->bench_flags,
					server ? &cur->n_server_flags : &cur->n_bench_flags, &why)) {
				rc = halo_error_set(HALO_EFORMAT, "%s:%d: %s: %s", b.file, lineno, key, why);
				goto fail;
			}
		} else {
			rc = halo_error_set(HALO_EFORMAT, "%s:%d: unknown key '%s' in [backend %s] (bin, env, server_flags, bench_flags)",
					    b.file, lineno, key, cur->name);
			goto fail;
		}
	}
	for (size_t i = 0; i < b.n; i++) {
		if (!b.items[i].bin_dir) {
			rc = halo_error_set(HALO_EFORMAT, "%s:%d: backend '%s' has no 'bin = DIR'", b.file, b.items[i].line,
					    b.items[i].name);
			goto fail;
		}
		b.items[i].file = b.file;
	}
	halo_backends_free(out);
	*out = b;
	return 0;
fail:
	halo_backends_free(&b);
	return rc;
}

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return halo_error_set(errno == ENOENT ? HALO_ENOTFOUND : HALO_EIO, "cannot open '%s': %s", path,
				      strerror(errno));
	halo_buf b = HALO_BUF_INIT;
	halo_buf_init(&b, HALO_BACKENDS_MAX_FILE);
	char chunk[8192];
	size_t got;
	int rc = 0;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (halo_buf_add(&b, chunk, got)) {
			rc = halo_error_set(HALO_ENOMEM, "'%s' is larger than %zu bytes", path, HALO_BACKENDS_MAX_FILE);
			break;
		}
	if (!rc && ferror(f))
		rc = halo_error_set(HALO_EIO, "cannot read '%s'", path);
	fclose(f);
	if (rc) {
		halo_buf_free(&b);
		return rc;
	}
	*len = b.len;
	*out = halo_buf_detach(&b);
	return 0;
}

static bool same_dir(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];
	if (realpath(a, ra) && realpath(b, rb))
		return !strcmp(ra, rb);
	return !strcmp(a, b);
}

int halo_backends_load(halo_backends *out, const char *path, bool discover)
{
	char def[4096];
	halo_backends b = HALO_BACKENDS_INIT;
	int rc;
	if (!path) {
		if ((rc = halo_backends_default_path(def, sizeof(def))) && rc != HALO_ENOTFOUND)
			return rc;
		halo_error_clear();
		path = rc ? NULL : def;
	}
	if (path) {
		char *text = NULL;
		size_t len = 0;
		rc = read_file(path, &text, &len);
		if (rc == HALO_ENOTFOUND && path == def) {
			halo_error_clear();
		} else if (rc) {
			return rc;
		} else {
			rc = halo_backends_parse(&b, path, text, len);
			free(text);
			if (rc)
				return rc;
		}
	}
	if (discover) {
		char server[4096];
		if (!halo_llama_find(server, sizeof(server), NULL, "llama-server")) {
			char *slash = strrchr(server, '/');
			if (slash)
				*slash = '\0';
			bool listed = false;
			for (size_t i = 0; i < b.n && !listed; i++)
				listed = same_dir(b.items[i].bin_dir, server);
			for (size_t i = 0; i < b.n && !listed; i++)
				listed = !strcmp(b.items[i].name, "path");
			if (!listed) {
				halo_backend *nb = realloc(b.items, (b.n + 1) * sizeof(*nb));
				if (!nb) {
					halo_backends_free(&b);
					return halo_error_set(HALO_ENOMEM, "out of memory");
				}
				b.items = nb;
				halo_backend *d = &b.items[b.n];
				memset(d, 0, sizeof(*d));
				d->discovered = true;
				d->name = strdup("path");
				d->bin_dir = strdup(server[0] ? server : "/");
				if (!d->name || !d->bin_dir) {
					backend_free(d);
					halo_backends_free(&b);
					return halo_error_set(HALO_ENOMEM, "out of memory");
				}
				b.n++;
			}
		}
		halo_error_clear();
	}
	halo_backends_free(out);
	*out = b;
	return 0;
}

const halo_backend *halo_backends_find(const halo_backends *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->items[i].name, name))
			return &b->items[i];
	char known[512] = "";
	size_t k = 0;
	for (size_t i = 0; i < b->n && k < sizeof(known); i++)
		k += (size_t)snprintf(known + k, sizeof(known) - k, "%s'%s'", i ? ", " : "", b->items[i].name);
	if (b->n)
		halo_error_set(HALO_ENOTFOUND, "no backend '%s' (known: %s); 'halo backends' lists them", name, known);
	else
		halo_error_set(HALO_ENOTFOUND, "no backend '%s': no backends.conf and no llama-server in PATH", name);
	return NULL;
}

int halo_backend_program(const halo_backend *b, const char *program, char *out, size_t n)
{
	if ((size_t)snprintf(out, n, "%s/%s", b->bin_dir, program) >= n)
		return halo_error_set(HALO_ENOMEM, "path of '%s' in '%s' is too long", program, b->bin_dir);
	struct stat st;
	if (stat(out, &st) || !S_ISREG(st.st_mode) || access(out, X_OK))
		return halo_error_set(HALO_ENOTFOUND, "backend '%s' has no executable '%s' in '%s'", b->name, program,
				      b->bin_dir);
	return 0;
}

int halo_backend_argv(const halo_backend *b, const char *program, char *const args[], char ***out)
{
	char path[4096];
	*out = NULL;
	int rc = halo_backend_program(b, program, path, sizeof(path));
	if (rc)
		return rc;
	bool server = !strcmp(program, "llama-server");
	bool bench = !strcmp(program, "llama-bench");
	char *const *extra = server ? b->server_flags : bench ? b->bench_flags : NULL;
	size_t n_extra = server ? b->n_server_flags : bench ? b->n_bench_flags : 0, n_args = 0;
	while (args && args[n_args])
		n_args++;
	char **v = calloc(1 + n_args + n_extra + 1, sizeof(*v));
	if (!v)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	size_t k = 0;
	bool ok = (v[k++] = strdup(path)) != NULL;
	for (size_t i = 0; ok && i < n_args; i++)
		ok = (v[k++] = strdup(args[i])) != NULL;
	for (size_t i = 0; ok && i < n_extra; i++)
		ok = (v[k++] = strdup(extra[i])) != NULL;
	if (!ok) {
		for (size_t i = 0; i < k; i++)
			free(v[i]);
		free(v);
		return halo_error_set(HALO_ENOMEM, "out of memory");
	}
	*out = v;
	return 0;
}

char **halo_backend_env(const halo_backend *b, char **base)
{
	if (!base)
		base = environ;
	size_t n = 0;
	while (base && base[n])
		n++;
	char **v = calloc(n + b->n_env + 1, sizeof(*v));
	if (!v)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		/* drop a base entry the backend sets */
		const char *eq = strchr(base[i], '=');
		size_t klen = eq ? (size_t)(eq - base[i]) : strlen(base[i]);
		bool overridden = false;
		for (size_t j = 0; j < b->n_env && !overridden; j++)
			overridden = !strncmp(b->env[j], base[i], klen) && b->env[j][klen] == '=';
		if (!overridden && !(v[k++] = strdup(base[i])))
			goto oom;
	}
	for (size_t j = 0; j < b->n_env; j++)
		if (!(v[k++] = strdup(b->env[j])))
			goto oom;
	return v;
oom:
	halo_backend_env_free(v);
	return NULL;
}

void halo_backend_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

void halo_backend_info_free(halo_backend_info *info)
{
	if (!info)
		return;
	free_list(info->devices, info->n_devices);
	info->devices = NULL;
	info->n_devices = 0;
}

static void free_argv(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* Runs `program arg` of the backend, with its environment but not its default
 * flags (those are for real runs); the output goes into log. */
static int run_backend(const halo_backend *b, const char *program, const char *arg, halo_buf *log, int *status)
{
	char *const args[] = { (char *)arg, NULL };
	char **argv = NULL, **env = NULL;
	halo_backend bare = *b;
	bare.n_server_flags = bare.n_bench_flags = 0;
	int rc = halo_backend_argv(&bare, program, args, &argv);
	if (rc)
		return rc;
	if (!(env = halo_backend_env(b, NULL))) {
		free_argv(argv);
		return halo_error_set(HALO_ENOMEM, "out of memory");
	}
	halo_llama_run_opts o = HALO_LLAMA_RUN_OPTS_INIT;
	o.timeout_s = 60;
	o.env = env;
	rc = halo_llama_run(argv, &o, log, status);
	halo_backend_env_free(env);
	free_argv(argv);
	return rc;
}

/* The text after `key` on its line, trimmed, into out. */
static bool line_after(const char *text, const char *key, char *out, size_t n)
{
	const char *p = text ? strstr(text, key) : NULL;
	if (!p)
		return false;
	p += strlen(key);
	while (*p == ' ')
		p++;
	size_t len = strcspn(p, "\r\n");
	snprintf(out, n, "%.*s", (int)len, p);
	return true;
}

/*
 * llama.cpp prints "version: 0.4.0 (build 1, commit 80fb11a)" (newer:
 * "version: 6543 (abcdef0)") and "built with ... for ...".
 */
static void parse_version(const char *text, halo_backend_info *out)
{
	if (!line_after(text, "version:", out->version, sizeof(out->version)))
		return;
	line_after(text, "built with", out->built_with, sizeof(out->built_with));
	const char *v = out->version, *p;
	if ((p = strstr(v, "build ")))
		out->build = strtol(p + 6, NULL, 10);
	else if (isdigit((unsigned char)v[0]) && !strchr(v, '.'))
		out->build = strtol(v, NULL, 10);
	if ((p = strstr(v, "commit ")))
		p += 7;
	else if ((p = strchr(v, '(')))
		p++;
	if (p) {
		size_t k = 0;
		while (k + 1 < sizeof(out->commit) && isxdigit((unsigned char)p[k]))
			k++;
		if (k >= 7)
			snprintf(out->commit, sizeof(out->commit), "%.*s", (int)k, p);
	}
}

/* The indented lines after "Available devices:"; "(none)" is no device. */
static int parse_devices(const char *text, halo_backend_info *out)
{
	const char *p = text ? strstr(text, "Available devices:") : NULL;
	if (!p)
		return 0;
	p = strchr(p, '\n');
	while (p && *p) {
		p++;
		size_t len = strcspn(p, "\n");
		if (!len || (*p != ' ' && *p != '\t'))
			break;
		const char *s = p;
		size_t l = len;
		while (l && (*s == ' ' || *s == '\t'))
			s++, l--;
		while (l && (s[l - 1] == '\r' || s[l - 1] == ' '))
			l--;
		if (l && strncmp(s, "(none)", l) && list_push(&out->devices, &out->n_devices, s, l > 512 ? 512 : l))
			return halo_error_set(HALO_ENOMEM, "too many devices");
		p += len;
	}
	return 0;
}

int halo_backend_probe(const halo_backend *b, halo_backend_info *out)
{
	memset(out, 0, sizeof(*out));
	out->build = -1;
	halo_buf log;
	int status = 0, rc;
	halo_buf_init(&log, (size_t)1 << 20);
	rc = run_backend(b, "llama-server", "--version", &log, &status);
	if (!rc)
		parse_version(log.ptr, out);
	if (rc || !out->version[0])
		snprintf(out->error, sizeof(out->error), "llama-server --version: %s",
			 rc ? halo_error_last()->message : status ? "failed" : "no version line");
	halo_buf_reset(&log);
	rc = run_backend(b, "llama-bench", "--list-devices", &log, &status);
	if (!rc && (rc = parse_devices(log.ptr, out))) {
		halo_buf_free(&log);
		return rc;
	}
	if ((rc || status) && !out->error[0])
		snprintf(out->error, sizeof(out->error), "llama-bench --list-devices: %s",
			 rc ? halo_error_last()->message : "failed");
	halo_buf_free(&log);
	halo_error_clear();
	return 0;
}
