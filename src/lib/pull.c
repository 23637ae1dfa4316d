/*
 * halo pull's transfer (pull.h): Range-resumed download into "<dest>.part",
 * verification, rename.
 */
#include "pull.h"

#include "clock.h"
#include "error.h"
#include "eval/dataset.h" /* halo_sha256_file */
#include "gguf.h"
#include "paths.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct xfer {
	FILE *f;
	const halo_pull_opts *opts;
	const char *name;
	uint64_t start, received, total;
	long status;           /* of the last response (after redirects) */
	bool ranged;           /* the final response was 206 */
	bool ignored_range;    /* 200 to a Range request: stop at once */
	bool write_failed, cancelled;
	char etag[65];         /* X-Linked-Etag seen on any response */
	double t0, last_report;
};

static void report(struct xfer *x, bool last)
{
	double now = halo_mono_s();
	if (!x->opts->progress || (!last && now - x->last_report < 0.25))
		return;
	x->last_report = now;
	halo_pull_progress p = { x->name, x->start + x->received, x->total, x->start, now - x->t0 };
	x->opts->progress(&p, x->opts->progress_ud);
}

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;
	if (len >= 5 && !strncmp(line, "HTTP/", 5)) {
		/* a new response (redirects): only the final one's status counts */
		const char *sp = memchr(line, ' ', len);
		x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		x->ranged = x->status == 206;
		return len;
	}
	static const char etag[] = "x-linked-etag:";
	if (len > sizeof(etag) && !strncasecmp(line, etag, sizeof(etag) - 1)) {
		const char *v = line + sizeof(etag) - 1, *end = line + len;
		while (v < end && (*v == ' ' || *v == '"'))
			v++;
		size_t k = 0;
		while (v + k < end && isxdigit((unsigned char)v[k]))
			k++;
		if (k == 64) {
			for (size_t i = 0; i < 64; i++)
				x->etag[i] = (char)tolower((unsigned char)v[i]);
			x->etag[64] = 0;
		}
	}
	static const char cr[] = "content-range:";
	if (len > sizeof(cr) && !strncasecmp(line, cr, sizeof(cr) - 1)) {
		const char *slash = memchr(line, '/', len);
		if (slash && slash[1] != '*')
			x->total = strtoull(slash + 1, NULL, 10);
	}
	static const char cl[] = "content-length:";
	if (len > sizeof(cl) && !strncasecmp(line, cl, sizeof(cl) - 1) && x->status == 206 && !x->total)
		x->total = x->start + strtoull(line + sizeof(cl) - 1, NULL, 10);
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;
	if (x->status >= 300) /* an error page, not the file */
		return len;
	if (!x->ranged) {
		x->ignored_range = true;
		return 0;
	}
	if (x->opts->cancel && *x->opts->cancel) {
		x->cancelled = true;
		return 0;
	}
	if (fwrite(data, 1, len, x->f) != len) {
		x->write_failed = true;
		return 0;
	}
	x->received += len;
	report(x, false);
	return len;
}

/* Everything that makes the finished .part file acceptable. */
static int verify(const char *part, const char *url, const halo_pull_opts *o, struct xfer *x, halo_pull_result *res)
{
	struct stat st;
	if (stat(part, &st))
		return halo_error_set(HALO_EIO, "'%s': %s", part, strerror(errno));
	res->bytes = (uint64_t)st.st_size;
	if (x->total && res->bytes != x->total)
		return halo_error_set(HALO_ENET, "'%s': got %" PRIu64 " of %" PRIu64 " bytes; run again to resume", url,
				      res->bytes, x->total);
	const char *want = o->sha256 && *o->sha256 ? o->sha256 : x->etag[0] ? x->etag : NULL;
	snprintf(res->sha256_source, sizeof(res->sha256_source), "%s",
		 o->sha256 && *o->sha256 ? "option" : x->etag[0] ? "x-linked-etag" : "");
	if (want) {
		int rc = halo_sha256_file(part, res->sha256);
		if (rc)
			return rc;
		if (strcasecmp(want, res->sha256)) {
			unlink(part); /* a corrupt file is not worth resuming */
			return halo_error_set(HALO_EFORMAT, "'%s': sha256 mismatch: expected %s (%s), got %s; removed", url,
					      want, res->sha256_source, res->sha256);
		}
		res->sha256_checked = true;
	}
	if (o->check_gguf) {
		halo_gguf *g = NULL;
		halo_gguf_open_opts go = HALO_GGUF_OPEN_OPTS_INIT;
		go.no_splits = true; /* each part of a split model is checked on its own */
		if (halo_gguf_open(&g, part, &go)) {
			halo_error_prefix("'%s': not a valid GGUF file", url);
			int rc = halo_error_last()->code;
			unlink(part);
			return rc;
		}
		halo_gguf_free(g);
	}
	return 0;
}

int halo_pull_file(const char *url, const char *dest, const halo_pull_opts *opts, halo_pull_result *res)
{
	halo_pull_opts defaults = HALO_PULL_OPTS_INIT;
	char part[4200], range[64];
	struct curl_slist *headers = NULL;
	struct stat st;
	int rc = 0;

	if (!opts)
		opts = &defaults;
	memset(res, 0, sizeof(*res));
	if (stat(dest, &st) == 0) {
		res->already_complete = true;
		res->bytes = (uint64_t)st.st_size;
		return 0;
	}
	if ((rc = halo_mkdir_parents(dest, 0755)))
		return rc;
	snprintf(part, sizeof(part), "%s.part", dest);
	struct xfer x = { .opts = opts, .name = dest, .t0 = halo_mono_s() };
	if (stat(part, &st) == 0)
		x.start = (uint64_t)st.st_size;
	res->resumed_from = x.start;
	x.f = fopen(part, "ab");
	if (!x.f)
		return halo_error_set(HALO_EIO, "'%s': cannot write: %s", part, strerror(errno));

	CURL *c = halo_http_easy_new(url, &opts->http, &headers);
	if (!c) {
		fclose(x.f);
		return halo_error_last()->code;
	}
	snprintf(range, sizeof(range), "%" PRIu64 "-", x.start);
	curl_easy_setopt(c, CURLOPT_RANGE, range);
	/* a stalled transfer (under 1 KB/s for a minute) fails; run again to resume */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	CURLcode cc = curl_easy_perform(c);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	if (fclose(x.f) && !x.write_failed)
		x.write_failed = true;
	res->transferred = x.received;
	report(&x, true);

	if (x.cancelled)
		return 1;
	if (x.status == 416 && x.start > 0) {
		/* asked past the end: the .part file is already whole */
		x.total = x.start;
	} else if (x.ignored_range) {
		return halo_error_set(HALO_EUNSUPPORTED,
				      "'%s': the server ignores Range requests, so a download could never be resumed; "
				      "refusing (download it another way and place it in the models directory)",
				      url);
	} else if (x.write_failed) {
		return halo_error_set(HALO_EIO, "'%s': write failed: %s", part, strerror(errno));
	} else if (x.status == 404 || x.status == 410) {
		return halo_error_set(HALO_ENOTFOUND, "'%s': not found (HTTP %ld)", url, x.status);
	} else if (x.status == 401 || x.status == 403) {
		return halo_error_set(HALO_ENET, "'%s': HTTP %ld: access denied (gated repository? set HF_TOKEN)", url,
				      x.status);
	} else if (cc != CURLE_OK) {
		return halo_error_set(HALO_ENET, "'%s': %s after %" PRIu64 " bytes; run again to resume", url,
				      curl_easy_strerror(cc), x.start + x.received);
	} else if (x.status != 206) {
		return halo_error_set(HALO_ENET, "'%s': HTTP status %ld", url, x.status);
	}
	if ((rc = verify(part, url, opts, &x, res)))
		return rc;
	if (rename(part, dest))
		return halo_error_set(HALO_EIO, "'%s': cannot rename into place: %s", part, strerror(errno));
	return 0;
}
