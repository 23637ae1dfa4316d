/*
 * halo pull MODEL[:QUANT] | URL: download a catalog quantization (every part
 * of a split model) or a GGUF URL into the models directory, resumable and
 * verified (src/lib/pull.h).
 */
#include "cli.h"
#include "options.h"

#include "catalog.h"
#include "error.h"
#include "http.h"
#include "pull.h"
#include "store.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const usage[] = { "halo pull [--models-dir <dir>] [--sha256 <hex>] [--json] <model>[:<quant>] | <url>",
				      NULL };
static const struct command_help help = {
	usage,
	"Downloads a catalog model's quantization (the first listed when none is named; every\n"
	"part of a split model) from Hugging Face ($HF_ENDPOINT, default https://huggingface.co;\n"
	"$HF_TOKEN for gated repositories), or a GGUF file by URL, into the models directory.\n"
	"Files are written as <name>.part, resumed with Range requests after any interruption\n"
	"(run the same command again), checked (size, SHA-256 from --sha256 or Hugging Face's\n"
	"X-Linked-Etag, the GGUF header) and renamed when verified. See docs/pull.md.",
	1, 1,
};

static volatile int cancel_flag;


static void fmt_rate(char *buf, size_t n, double bytes_per_s)
{
	if (bytes_per_s >= 1e6)
		snprintf(buf, n, "%.1f MB/s", bytes_per_s / 1e6);
	else
		snprintf(buf, n, "%.0f kB/s", bytes_per_s / 1e3);
}

/* One per file; files of a split model download in parallel, so printing
 * goes through one lock. */
struct progress_state {
	int tty;
	int last_decile;
	pthread_mutex_t *lock;
};

static void on_progress_locked(const halo_pull_progress *p, struct progress_state *ps);

static void on_progress(const halo_pull_progress *p, void *ud)
{
	struct progress_state *ps = ud;
	pthread_mutex_lock(ps->lock);
	on_progress_locked(p, ps);
	pthread_mutex_unlock(ps->lock);
}

static void on_progress_locked(const halo_pull_progress *p, struct progress_state *ps)
{
	double rate = p->elapsed_s > 0 ? (double)(p->done - p->resumed_from) / p->elapsed_s : 0;
	char r[32], d[32], t[32];
	fmt_rate(r, sizeof(r), rate);
	fmt_gb(d, sizeof(d), p->done);
	fmt_gb(t, sizeof(t), p->total);
	const char *base = strrchr(p->name, '/') ? strrchr(p->name, '/') + 1 : p->name;
	int pct = p->total ? (int)(100.0 * (double)p->done / (double)p->total) : -1;
	double eta = rate > 0 && p->total > p->done ? (double)(p->total - p->done) / rate : 0;
	if (ps->tty) {
		fprintf(stderr, "\r\033[K%s  %s / %s  %d%%  %s  ETA %.0fs", base, d, t, pct, r, eta);
		fflush(stderr);
		return;
	}
	int decile = pct >= 0 ? pct / 10 : 0;
	if (decile == ps->last_decile && p->done != p->total)
		return;
	ps->last_decile = decile;
	fprintf(stderr, "halo pull: %s %s / %s (%d%%) %s\n", base, d, t, pct, r);
}

static const char *url_basename(const char *url, char *buf, size_t n)
{
	const char *end = url + strcspn(url, "?#");
	const char *s = end;
	while (s > url && s[-1] != '/')
		s--;
	snprintf(buf, n, "%.*s", (int)(end - s), s);
	return buf;
}

struct job {
	const char *url, *dest, *sha256;
	struct progress_state ps;
	halo_pull_result res;
	int rc;
	char error[512];
	int error_code;
};

static void *pull_job(void *arg)
{
	struct job *j = arg;
	halo_pull_opts po = HALO_PULL_OPTS_INIT;
	po.sha256 = j->sha256;
	po.progress = on_progress;
	po.progress_ud = &j->ps;
	po.cancel = &cancel_flag;
	j->rc = halo_pull_file(j->url, j->dest, &po, &j->res);
	if (j->rc < 0) {
		/* the error is thread-local: keep it for the main thread */
		snprintf(j->error, sizeof(j->error), "%s", halo_error_last()->message);
		j->error_code = halo_error_last()->code;
		cancel_flag = 1; /* one part failed: stop the others (their .part files stay) */
	}
	return NULL;
}

int cmd_pull(int argc, const char **argv)
{
	const char *models_dir_opt = NULL, *sha256 = NULL;
	long max_jobs = 4;
	bool json = false;
	const struct option opts[] = {
		OPT_STRING(0, "models-dir", &models_dir_opt, "dir", "where models live (default: as halo models)"),
		OPT_STRING(0, "sha256", &sha256, "hex", "expected SHA-256 (a single file)"),
		OPT_INT('j', "jobs", &max_jobs, "n", "parts of a split model downloaded at once (default 4)"),
		OPT_JSON(&json),
		OPT_END(),
	};
	int exit_code = 0;
	int n = parse_options(argc, argv, opts, &help, &exit_code);
	if (n < 0)
		return exit_code;
	const char *target = argv[0];
	if (sha256 && strlen(sha256) != 64)
		return cli_error(EXIT_USAGE, "--sha256 expects 64 hex digits");
	if (max_jobs < 1 || max_jobs > 16)
		return cli_error(EXIT_USAGE, "--jobs must be between 1 and 16");

	char dir[4096];
	if (halo_models_dir(dir, sizeof(dir), models_dir_opt))
		return cli_fail(halo_error_last()->code);

	/* the URLs and where each goes */
	char **urls = NULL, **dests = NULL;
	size_t n_files = 0;
	halo_catalog cat = HALO_CATALOG_INIT;
	if (halo_http_is_url(target)) {
		char base[1024], dest[4400];
		url_basename(target, base, sizeof(base));
		if (!*base) {
			return cli_error(EXIT_USAGE, "'%s': no file name in the URL", target);
		}
		snprintf(dest, sizeof(dest), "%s/%s", dir, base);
		urls = calloc(1, sizeof(*urls));
		dests = calloc(1, sizeof(*dests));
		urls[0] = strdup(target);
		dests[0] = strdup(dest);
		n_files = 1;
	} else {
		if (halo_catalog_load_default(&cat, NULL))
			return cli_fail(halo_error_last()->code);
		char name[256];
		snprintf(name, sizeof(name), "%s", target);
		char *colon = strchr(name, ':');
		if (colon)
			*colon++ = 0;
		const halo_model *m = halo_catalog_find(&cat, name);
		const halo_quant *q = NULL;
		if (m)
			q = colon ? halo_catalog_find_quant(m, colon) : m->n_quants ? &m->quants[0] : NULL;
		if (!m || !q) {
			exit_code = m && !colon ? cli_error(EXIT_NOTFOUND, "'%s' has no quantizations", name)
						: cli_fail(halo_error_last()->code);
			halo_catalog_free(&cat);
			return exit_code;
		}
		if (sha256 && q->n_files != 1) {
			halo_catalog_free(&cat);
			return cli_error(EXIT_USAGE, "--sha256 names one file; %s:%s has %zu", m->id, q->name, q->n_files);
		}
		const char *hub = getenv("HF_ENDPOINT");
		if (!hub || !*hub)
			hub = "https://huggingface.co";
		urls = calloc(q->n_files ? q->n_files : 1, sizeof(*urls));
		dests = calloc(q->n_files ? q->n_files : 1, sizeof(*dests));
		for (size_t i = 0; i < q->n_files; i++) {
			char url[4400], dest[4400], base[1024];
			snprintf(url, sizeof(url), "%s/%s/resolve/main/%s", hub, q->repo, q->files[i]);
			snprintf(dest, sizeof(dest), "%s/%s", dir, url_basename(q->files[i], base, sizeof(base)));
			urls[i] = strdup(url);
			dests[i] = strdup(dest);
		}
		n_files = q->n_files;
	}

	cli_catch_interrupts(&cancel_flag);
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int tty = isatty(STDERR_FILENO) != 0 && n_files == 1; /* one live line; plain lines for parts */
	struct job *jobs = calloc(n_files ? n_files : 1, sizeof(*jobs));
	pthread_t *threads = calloc(n_files ? n_files : 1, sizeof(*threads));
	json_t *files = json_array();
	int rc = 0;
	/* parts in parallel, `jobs` at a time: a CDN serves each connection at a
	 * capped rate, so parallel parts fill the link */
	size_t next = 0;
	while (next < n_files) {
		size_t batch = n_files - next < (size_t)max_jobs ? n_files - next : (size_t)max_jobs;
		size_t started = 0;
		for (size_t k = 0; k < batch; k++) {
			struct job *j = &jobs[next + k];
			j->url = urls[next + k];
			j->dest = dests[next + k];
			j->sha256 = sha256;
			j->ps = (struct progress_state){ tty, -1, &lock };
			if (pthread_create(&threads[next + k], NULL, pull_job, j))
				pull_job(j); /* could not start a thread: do it here */
			else
				started |= (size_t)1 << k;
		}
		for (size_t k = 0; k < batch; k++)
			if (started & ((size_t)1 << k))
				pthread_join(threads[next + k], NULL);
		next += batch;
		if (cancel_flag)
			break;
	}
	if (tty)
		fputc('\n', stderr);
	/* a part's error wins over the others' cancellation it caused */
	for (size_t i = 0; i < next && rc == 0; i++)
		if (jobs[i].rc < 0)
			rc = halo_error_set(jobs[i].error_code, "%s", jobs[i].error);
	for (size_t i = 0; i < n_files && rc == 0; i++)
		if (i >= next || jobs[i].rc == 1)
			rc = 1;
	for (size_t i = 0; i < next; i++) {
		struct job *j = &jobs[i];
		if (j->rc != 0)
			continue;
		halo_pull_result *res = &j->res;
		json_t *o = json_object();
		json_object_set_new(o, "url", json_string(urls[i]));
		json_object_set_new(o, "path", json_string(dests[i]));
		json_object_set_new(o, "bytes", json_integer((json_int_t)res->bytes));
		json_object_set_new(o, "transferred", json_integer((json_int_t)res->transferred));
		json_object_set_new(o, "resumed_from", json_integer((json_int_t)res->resumed_from));
		json_object_set_new(o, "already_complete", json_boolean(res->already_complete));
		json_object_set_new(o, "sha256", res->sha256_checked ? json_string(res->sha256) : json_null());
		json_object_set_new(o, "sha256_source", res->sha256_checked ? json_string(res->sha256_source) : json_null());
		json_array_append_new(files, o);
		if (!json)
			printf("%s %s (%" PRIu64 " bytes%s%s)\n", res->already_complete ? "present" : "verified", dests[i],
			       res->bytes, res->sha256_checked ? ", sha256 " : "", res->sha256_checked ? res->sha256_source : "");
	}
	free(jobs);
	free(threads);
	if (rc == 1) {
		fprintf(stderr, "halo: interrupted; run the same command again to resume\n");
		exit_code = 130;
	} else if (rc < 0) {
		exit_code = cli_fail(halo_error_last()->code);
	} else if (json) {
		json_t *root = json_object();
		json_object_set_new(root, "target", json_string(target));
		json_object_set_new(root, "models_dir", json_string(dir));
		json_object_set(root, "files", files);
		exit_code = cli_print_json(root);
	}
	json_decref(files);
	for (size_t i = 0; i < n_files; i++) {
		free(urls[i]);
		free(dests[i]);
	}
	free(urls);
	free(dests);
	halo_catalog_free(&cat);
	return exit_code;
}
