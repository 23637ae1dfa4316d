#include "http.h"
#include "error.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

bool halo_http_is_url(const char *s)
{
	return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
}

struct range_req {
	halo_buf *out;
	uint64_t start, len;
	uint64_t received;
	long status;          /* status of the response being received */
	bool have_range;      /* Content-Range seen on the current response */
	uint64_t range_start;
	uint64_t total;       /* from Content-Range or Content-Length */
	bool ignored_range;   /* server answered 200 to a partial request */
};

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
	struct range_req *r = ud;
	size_t len = size * n;
	char tmp[256];
	size_t k = len < sizeof(tmp) - 1 ? len : sizeof(tmp) - 1;

	memcpy(tmp, line, k);
	tmp[k] = '\0';
	if (!strncmp(tmp, "HTTP/", 5)) {
		/* a new response (after a redirect or 100-continue) resets what we know */
		const char *sp = strchr(tmp, ' ');
		r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		r->have_range = false;
		r->total = 0;
	} else if (!strncasecmp(tmp, "content-range:", 14)) {
		unsigned long long a, b, t;
		if (sscanf(tmp + 14, " bytes %llu-%llu/%llu", &a, &b, &t) == 3) {
			r->have_range = true;
			r->range_start = a;
			r->total = t;
		}
	} else if (!strncasecmp(tmp, "content-length:", 15) && !r->have_range) {
		unsigned long long t;
		if (sscanf(tmp + 15, " %llu", &t) == 1)
			r->total = t;
	}
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct range_req *r = ud;
	size_t len = size * n;

	if (r->status >= 300 && r->status < 400)
		return len; /* body of a redirect */
	if (r->status == 200 && !r->have_range &&
	    (r->start > 0 || r->total > r->len || r->received + len > r->len)) {
		/* Range ignored: stop now rather than stream the whole model. */
		r->ignored_range = true;
		return 0;
	}
	if (r->status != 200 && r->status != 206) {
		r->received += len;
		return len; /* error page, discarded */
	}
	uint64_t room = r->len > r->received ? r->len - r->received : 0;
	size_t keep = len < room ? len : (size_t)room;
	r->received += len;
	if (keep && halo_buf_add(r->out, data, keep))
		return 0;
	return len;
}

/* What every request here does: redirects (model hosts use CDNs), timeouts,
 * no signals (threads), and only http(s), also after a redirect. */
static void set_common(CURL *c, const char *url, const halo_http_opts *opts)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "halo/" HALO_VERSION);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, opts->connect_timeout_s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, opts->total_timeout_s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
}

CURL *halo_http_easy_new(const char *url, const halo_http_opts *opts, struct curl_slist **headers)
{
	halo_http_opts defaults = HALO_HTTP_OPTS_INIT;
	char auth[1100];
	*headers = NULL;
	if (!opts)
		opts = &defaults;
	pthread_once(&curl_once, curl_init_once);
	CURL *c = curl_easy_init();
	if (!c) {
		halo_error_set(HALO_ENOMEM, "cannot create a curl handle");
		return NULL;
	}
	set_common(c, url, opts);
	const char *token = opts->bearer_token;
	if (!token && strstr(url, "huggingface.co"))
		token = getenv("HF_TOKEN");
	if (token && *token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		*headers = curl_slist_append(NULL, auth);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, *headers);
	}
	return c;
}

int halo_http_get_range(const char *url, uint64_t start, uint64_t len, halo_buf *out,
			halo_http_range_info *info, const halo_http_opts *opts)
{
	halo_http_opts defaults = HALO_HTTP_OPTS_INIT;
	struct range_req r = { .out = out, .start = start, .len = len };
	struct curl_slist *headers = NULL;
	char range[64];
	CURLcode cc;
	int rc = 0;

	if (!opts)
		opts = &defaults;
	if (len == 0)
		return halo_error_set(HALO_EUSAGE, "empty range requested from '%s'", url);
	CURL *c = halo_http_easy_new(url, opts, &headers);
	if (!c)
		return halo_error_last()->code;
	snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, start, start + len - 1);
	curl_easy_setopt(c, CURLOPT_RANGE, range);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);

	cc = curl_easy_perform(c);
	if (r.ignored_range) {
		rc = halo_error_set(HALO_EUNSUPPORTED,
				    "'%s': server ignored the range request (status 200); refusing to download the whole file",
				    url);
	} else if (cc != CURLE_OK) {
		rc = halo_error_set(HALO_ENET, "'%s': %s", url, curl_easy_strerror(cc));
	} else if (r.status == 404 || r.status == 410) {
		rc = halo_error_set(HALO_ENOTFOUND, "'%s': not found (HTTP %ld)", url, r.status);
	} else if (r.status == 416) {
		rc = halo_error_set(HALO_EFORMAT, "'%s': range %s lies past the end of the file", url, range);
	} else if (r.status != 200 && r.status != 206) {
		rc = halo_error_set(HALO_ENET, "'%s': HTTP status %ld", url, r.status);
	} else if (r.status == 206 && r.have_range && r.range_start != start) {
		rc = halo_error_set(HALO_ENET, "'%s': server sent bytes from %" PRIu64 ", asked for %" PRIu64,
				    url, r.range_start, start);
	}
	if (info) {
		char *eff = NULL;
		info->effective_url[0] = '\0';
		if (curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff &&
		    strlen(eff) < sizeof(info->effective_url))
			strcpy(info->effective_url, eff);
		info->total_size = r.total;
		info->bytes_received = r.received;
		info->status = r.status;
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	return rc;
}

struct file_req {
	FILE *f;
	uint64_t received, cap;
	bool over_cap, write_failed;
};

static size_t on_file_body(char *data, size_t size, size_t n, void *ud)
{
	struct file_req *r = ud;
	size_t len = size * n;
	if (r->cap && (len > r->cap || r->received > r->cap - len)) {
		r->over_cap = true;
		return 0;
	}
	if (fwrite(data, 1, len, r->f) != len) {
		r->write_failed = true;
		return 0;
	}
	r->received += len;
	return len;
}

int halo_http_download(const char *url, const char *dest, uint64_t max_bytes, const halo_http_opts *opts)
{
	struct file_req r = { .cap = max_bytes };
	struct curl_slist *headers = NULL;
	long status = 0;
	int rc = 0;

	r.f = fopen(dest, "wb");
	if (!r.f)
		return halo_error_set(HALO_EIO, "'%s': cannot create: %s", dest, strerror(errno));
	CURL *c = halo_http_easy_new(url, opts, &headers);
	if (!c) {
		fclose(r.f);
		return halo_error_last()->code;
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_file_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (r.over_cap)
		rc = halo_error_set(HALO_ENOMEM, "'%s': larger than the %" PRIu64 " bytes expected", url, max_bytes);
	else if (r.write_failed)
		rc = halo_error_set(HALO_EIO, "'%s': write failed: %s", dest, strerror(errno));
	else if (cc != CURLE_OK)
		rc = halo_error_set(HALO_ENET, "'%s': %s", url, curl_easy_strerror(cc));
	else if (status == 404 || status == 410)
		rc = halo_error_set(HALO_ENOTFOUND, "'%s': not found (HTTP %ld)", url, status);
	else if (status != 200)
		rc = halo_error_set(HALO_ENET, "'%s': HTTP status %ld", url, status);
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	if (fclose(r.f) && !rc)
		rc = halo_error_set(HALO_EIO, "'%s': write failed: %s", dest, strerror(errno));
	return rc;
}
