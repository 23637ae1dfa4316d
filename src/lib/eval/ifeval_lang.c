/*
 * Language identification for IFEval (the reference calls langdetect).
 *
 * libexttextcat (the distro's n-gram text categoriser, as used by
 * LibreOffice) with its fingerprints restricted to the 55 languages langdetect
 * knows, so that both choose among the same answers. Scripts that belong to a
 * single one of those languages (Telugu, for which libexttextcat has no
 * fingerprint, Tamil, Thai, Hangul, ...) are decided by script before the
 * n-gram step, which is what langdetect's profiles amount to for them. The
 * text is lower-cased first (libexttextcat's fingerprints are case-sensitive
 * and upper-case English scores as German), and, like langdetect's
 * cleaning, Latin letters are dropped when other scripts dominate.
 *
 * The handle is loaded once (pthread_once) from a configuration written to a
 * memfd; libexttextcat's classifier reuses buffers in the handle, so calls
 * are serialised by a mutex.
 */
#include "eval/ifeval_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <textcat.h>

#include "error.h"
#include "eval/ifeval.h"

#ifndef HALO_TEXTCAT_DATADIR
#define HALO_TEXTCAT_DATADIR "/usr/share/libexttextcat"
#endif

/* langdetect's languages and their libexttextcat fingerprint files. */
static const struct {
	const char *code, *file;
} lang_map[] = {
	{ "af", "af" }, { "ar", "ar" }, { "bg", "bg" }, { "bn", "bn" }, { "ca", "ca" }, { "cs", "cs" },
	{ "cy", "cy" }, { "da", "da" }, { "de", "de" }, { "el", "el" }, { "en", "en" }, { "es", "es" },
	{ "et", "et" }, { "fa", "fa" }, { "fi", "fi" }, { "fr", "fr" }, { "gu", "gu" }, { "he", "he" },
	{ "hi", "hi" }, { "hr", "hr" }, { "hu", "hu" }, { "id", "id" }, { "it", "it" }, { "ja", "ja" },
	{ "kn", "kn" }, { "ko", "ko" }, { "lt", "lt" }, { "lv", "lv" }, { "mk", "mk" }, { "ml", "ml" },
	{ "mr", "mr" }, { "ne", "ne" }, { "nl", "nl" }, { "no", "nb" }, { "pa", "pa" }, { "pl", "pl" },
	{ "pt", "pt" }, { "ro", "ro" }, { "ru", "ru" }, { "sk", "sk" }, { "sl", "sl" }, { "so", "so" },
	{ "sq", "sq" }, { "sv", "sv" }, { "sw", "sw" }, { "ta", "ta" }, { "th", "th" }, { "tl", "tl" },
	{ "tr", "tr" }, { "uk", "uk" }, { "ur", "ur" }, { "vi", "vi" }, { "zh-cn", "zh-Hans" },
	{ "zh-tw", "zh-Hant" },
};
#define N_LANGS (sizeof(lang_map) / sizeof(lang_map[0]))

static pthread_once_t tc_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t tc_lock = PTHREAD_MUTEX_INITIALIZER;
static void *tc_handle;
static char tc_error[256];

static void tc_init(void)
{
	const char *dir = getenv("HALO_TEXTCAT_DIR");
	if (!dir || !*dir)
		dir = HALO_TEXTCAT_DATADIR;
	int fd = memfd_create("halo-textcat", MFD_CLOEXEC);
	if (fd < 0) {
		snprintf(tc_error, sizeof tc_error, "libexttextcat: memfd_create failed");
		return;
	}
	char line[512], path[600];
	int ok = 1;
	for (size_t i = 0; i < N_LANGS && ok; i++) {
		/* libexttextcat prints to stderr on a missing file: check first */
		snprintf(path, sizeof path, "%s/%s.lm", dir, lang_map[i].file);
		if (access(path, R_OK) != 0) {
			snprintf(tc_error, sizeof tc_error, "'%s': libexttextcat fingerprint not readable", path);
			ok = 0;
			break;
		}
		int len = snprintf(line, sizeof line, "%s.lm %s\n", lang_map[i].file, lang_map[i].code);
		if (len < 0 || write(fd, line, (size_t)len) != len)
			ok = 0;
	}
	if (ok) {
		char conf[64], prefix[520];
		snprintf(conf, sizeof conf, "/proc/self/fd/%d", fd);
		snprintf(prefix, sizeof prefix, "%s/", dir);
		tc_handle = special_textcat_Init(conf, prefix);
		if (!tc_handle)
			snprintf(tc_error, sizeof tc_error, "'%s': libexttextcat could not load its fingerprints", dir);
	} else if (!tc_error[0]) {
		snprintf(tc_error, sizeof tc_error, "libexttextcat: could not write its configuration");
	}
	close(fd);
}

/* Scripts that only one of langdetect's languages is written in. */
static const char *script_language(uint32_t c)
{
	static const struct {
		uint32_t lo, hi;
		const char *code;
	} s[] = {
		{ 0x0370, 0x03FF, "el" }, { 0x0590, 0x05FF, "he" }, { 0x0980, 0x09FF, "bn" },
		{ 0x0A00, 0x0A7F, "pa" }, { 0x0A80, 0x0AFF, "gu" }, { 0x0B80, 0x0BFF, "ta" },
		{ 0x0C00, 0x0C7F, "te" }, { 0x0C80, 0x0CFF, "kn" }, { 0x0D00, 0x0D7F, "ml" },
		{ 0x0E00, 0x0E7F, "th" }, { 0x1100, 0x11FF, "ko" }, { 0x3040, 0x30FF, "ja" },
		{ 0x3130, 0x318F, "ko" }, { 0xAC00, 0xD7AF, "ko" },
	};
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
		if (c >= s[i].lo && c <= s[i].hi)
			return s[i].code;
	return NULL;
}

int ifv_detect_language(const uint32_t *c, size_t n, const char **code)
{
	size_t latin = 0, other = 0, letters = 0;
	size_t script_n[16] = { 0 };
	const char *script_code[16] = { 0 };
	size_t n_scripts = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t v = c[i];
		if (!ifv_isword(v) || ifv_isdecimal(v) || v == '_')
			continue;
		letters++;
		if ((v | 0x20) >= 'a' && (v | 0x20) <= 'z')
			latin++;
		else if (v >= 0x300)
			other++;
		const char *sc = script_language(v);
		if (sc) {
			size_t k;
			for (k = 0; k < n_scripts && script_code[k] != sc; k++)
				;
			if (k == n_scripts && n_scripts < 16)
				script_code[n_scripts++] = sc;
			if (k < n_scripts)
				script_n[k]++;
		}
	}
	if (letters == 0) {
		*code = NULL; /* langdetect: "no features in text" */
		return 0;
	}
	/* A script of its own that makes up most of the letters decides. */
	for (size_t k = 0; k < n_scripts; k++)
		if (script_n[k] * 2 > letters) {
			*code = script_code[k];
			return 0;
		}
	int drop_latin = latin * 2 < other; /* langdetect's cleaning_text */
	uint32_t *low = malloc((n + 1) * sizeof *low);
	if (!low)
		return halo_error_set(HALO_ENOMEM, "ifeval: out of memory identifying the language");
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t v = c[i];
		if (drop_latin && (v | 0x20) >= 'a' && (v | 0x20) <= 'z')
			continue;
		low[m++] = ifv_tolower(v);
	}
	size_t blen;
	char *utf8 = ifv_encode(low, m, &blen);
	free(low);
	if (!utf8)
		return halo_error_set(HALO_ENOMEM, "ifeval: out of memory identifying the language");
	pthread_once(&tc_once, tc_init);
	if (!tc_handle) {
		free(utf8);
		return halo_error_set(HALO_ENOTFOUND, "ifeval: %s", tc_error);
	}
	*code = "";
	pthread_mutex_lock(&tc_lock);
	candidate_t *cand = textcat_GetClassifyFullOutput(tc_handle);
	if (cand) {
		int k = textcat_ClassifyFull(tc_handle, utf8, blen, cand);
		if (k > 0 && cand[0].name) {
			for (size_t i = 0; i < N_LANGS; i++)
				if (strcmp(cand[0].name, lang_map[i].code) == 0) {
					*code = lang_map[i].code; /* static storage */
					break;
				}
		}
		textcat_ReleaseClassifyFullOutput(tc_handle, cand);
	}
	pthread_mutex_unlock(&tc_lock);
	free(utf8);
	return 0;
}

const char *halo_ifeval_detect_language(const char *text, size_t len)
{
	ifv_text t;
	const char *code = "";
	if (ifv_decode(text, len, &t) != 0)
		return "";
	if (ifv_detect_language(t.c, t.n, &code) != 0)
		code = "";
	free(t.c);
	return code;
}
