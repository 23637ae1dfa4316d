/*
 * llama.cpp log reader. See llama_log.h.
 */
#include "llama_log.h"

#include <stdio.h>
#include <string.h>

#define MAX_LINE 4096

/* "  432.10 MiB" -> 43210; false unless digits, a dot, two digits, " MiB". */
static bool parse_centi_mib(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0;
	while (*s == ' ')
		s++;
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (digits >= 15)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (!digits || s[0] != '.' || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9')
		return false;
	v = v * 100 + (uint64_t)(s[1] - '0') * 10 + (uint64_t)(s[2] - '0');
	if (strncmp(s + 3, " MiB", 4))
		return false;
	*out = v;
	return true;
}

static bool parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	int digits = 0;
	while (*s == ' ')
		s++;
	for (; *s >= '0' && *s <= '9' && digits < 10; s++, digits++)
		v = v * 10 + (uint64_t)(*s - '0');
	if (!digits || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* The buffer name before "model/compute/output buffer size": "CPU_Mapped", "Vulkan0". */
static bool is_host_buffer(const char *line, const char *what)
{
	const char *end = strstr(line, what);
	const char *p = end;
	while (p > line && p[-1] == ' ')
		p--;
	const char *start = p;
	while (start > line && start[-1] != ' ' && start[-1] != ':')
		start--;
	return p - start >= 3 && !strncmp(start, "CPU", 3);
}

/* Adds the size after `what` ("model buffer size =") to host or device. */
static void add_buffer(const char *line, const char *what, uint64_t *host, uint64_t *device)
{
	const char *p = strstr(line, what);
	uint64_t v;
	if (!p)
		return;
	p += strlen(what);
	if (*p != ' ' && *p != '=')
		return;
	while (*p == ' ')
		p++;
	if (*p++ != '=' || !parse_centi_mib(p, &v))
		return;
	*(is_host_buffer(line, what) ? host : device) += v;
}

static void parse_line(const char *line, halo_llama_measure *m)
{
	const char *p;
	uint64_t v;

	if (strstr(line, "load_tensors: loading model tensors")) {
		/* A new load: what came before was a fitting pass or another model. */
		char err[sizeof(m->error)];
		memcpy(err, m->error, sizeof(err));
		memset(m, 0, sizeof(*m));
		memcpy(m->error, err, sizeof(err));
		return;
	}
	if ((p = strstr(line, "llama_kv_cache: size =")) && parse_centi_mib(p + 22, &v)) {
		m->kv += v;
		m->n_kv_caches++;
	} else if ((p = strstr(line, "llama_memory_recurrent: size =")) && parse_centi_mib(p + 30, &v)) {
		m->recurrent += v;
		m->have_recurrent = true;
	} else if (strstr(line, "model buffer size")) {
		add_buffer(line, "model buffer size", &m->model_host, &m->model_device);
	} else if (strstr(line, "compute buffer size")) {
		add_buffer(line, "compute buffer size", &m->compute_host, &m->compute_device);
	} else if (strstr(line, "output buffer size")) {
		uint64_t dev = 0;
		add_buffer(line, "output buffer size", &m->output, &dev);
		m->output += dev;
	} else if ((p = strstr(line, "llama_context: n_ctx_seq ")) && (p = strchr(p, '='))) {
		parse_u32(p + 1, &m->n_ctx_seq);
	} else if ((p = strstr(line, "llama_context: n_ctx ")) && (p = strchr(p, '='))) {
		m->have_context = parse_u32(p + 1, &m->n_ctx);
	} else if ((p = strstr(line, "llama_context: n_seq_max ")) && (p = strchr(p, '='))) {
		parse_u32(p + 1, &m->n_seq_max);
	} else if (strstr(line, "model loaded")) {
		m->model_loaded = true;
	}
	if (!m->error[0] && (strstr(line, " E ") == line + strcspn(line, " ") || strstr(line, "error:") ||
			     strstr(line, "failed to"))) {
		snprintf(m->error, sizeof(m->error), "%s", line);
	}
}

void halo_llama_log_parse(const char *text, size_t len, halo_llama_measure *out)
{
	char line[MAX_LINE];
	size_t i = 0;
	memset(out, 0, sizeof(*out));
	while (i < len) {
		size_t n = 0;
		while (i < len && text[i] != '\n') {
			if (n < sizeof(line) - 1)
				line[n++] = text[i] ? text[i] : ' ';
			i++;
		}
		i++; /* the newline */
		line[n] = '\0';
		parse_line(line, out);
	}
}

uint64_t halo_llama_centi_mib(uint64_t bytes)
{
	char buf[64];
	uint64_t v = 0;
	/* the same arithmetic as llama.cpp's log lines: a float divided by a float */
	snprintf(buf, sizeof(buf), "%.2f MiB", (float)bytes / (1024.0f * 1024.0f));
	parse_centi_mib(buf, &v);
	return v;
}
