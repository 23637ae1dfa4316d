/*
 * Minimal HTTP(S) access over libcurl for what halo needs from model hosts:
 * byte ranges of large files (GGUF headers), without ever downloading a whole
 * multi-gigabyte file by accident.
 */
#ifndef HALO_HTTP_H
#define HALO_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "buf.h"

typedef struct halo_http_opts {
	unsigned version;
	long connect_timeout_s;
	long total_timeout_s;
	const char *bearer_token; /* NULL: $HF_TOKEN when the host is huggingface.co */
} halo_http_opts;

#define HALO_HTTP_OPTS_VERSION 1
#define HALO_HTTP_OPTS_INIT { HALO_HTTP_OPTS_VERSION, 20, 120, NULL }

typedef struct halo_http_range_info {
	uint64_t total_size;     /* from Content-Range (or Content-Length of a 200) */
	uint64_t bytes_received; /* body bytes that crossed the wire */
	long status;             /* final HTTP status */
	/* URL that answered after redirects (model hosts redirect to a CDN);
	 * later ranges of the same file can go there directly. "" if too long. */
	char effective_url[4096];
} halo_http_range_info;

/* True for http:// and https:// URLs. */
bool halo_http_is_url(const char *s);

/*
 * Appends bytes [start, start+len) of `url` to `out` (fewer at the end of
 * the file). Fails with HALO_EUNSUPPORTED, having read at most `len` bytes,
 * when the server ignores Range and starts sending the whole file; with
 * HALO_ENOTFOUND on 404; HALO_ENET on other failures.
 */
int halo_http_get_range(const char *url, uint64_t start, uint64_t len, halo_buf *out,
			halo_http_range_info *info, const halo_http_opts *opts);

/*
 * Downloads `url` (following redirects) into the file `dest`, created or
 * truncated, refusing bodies over max_bytes (0 = no cap). The caller verifies
 * and renames; a failed download leaves a partial file it should remove.
 * HALO_ENOTFOUND on 404/410, HALO_ENOMEM over the cap, HALO_ENET otherwise.
 * (Small pinned files such as datasets; models go through `halo pull`.)
 */
int halo_http_download(const char *url, const char *dest, uint64_t max_bytes, const halo_http_opts *opts);

/*
 * A curl easy handle set up as every halo transfer is: the URL, redirects
 * (model hosts use CDNs), timeouts from opts, no signals (threads), http(s)
 * only, and the bearer token (opts->bearer_token, else $HF_TOKEN for
 * huggingface.co). *headers receives the header list to free with
 * curl_slist_free_all() after the transfer (NULL when none). NULL on
 * allocation failure (error recorded).
 */
CURL *halo_http_easy_new(const char *url, const halo_http_opts *opts, struct curl_slist **headers);

#endif
