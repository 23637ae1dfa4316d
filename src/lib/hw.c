/*
 * Machine detection (hw.h). docs/hw.md documents the sources and the rules;
 * the comments here explain the choices behind the code.
 */
#include "hw.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "text.h"

/*
 * Read caps. A sysfs attribute is at most one page by construction, and the
 * numbers we want are a few bytes, so 4 KiB is plenty. meminfo is ~1.5 KiB
 * on current kernels. cpuinfo grows with the CPU count (~1.5-2.5 KiB per
 * logical CPU on x86), so a 1024-thread server needs a few MiB: it gets a
 * far larger cap than the rest, still bounded.
 */
#define HW_MAX_ATTR 4096
#define HW_MAX_MEMINFO ((size_t)64 << 10)
#define HW_MAX_CPUINFO ((size_t)16 << 20)
#define HW_MAX_PATH 4096
/* Card entries remembered while scanning class/drm: far more than real machines have. */
#define HW_MAX_CARDS 64

/* ---------------------------------------------------------------- text */

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(int c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Trims ASCII whitespace from both ends of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
	while (*n && is_space((unsigned char)**s))
		(*s)++, (*n)--;
	while (*n && is_space((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/*
 * An excerpt of untrusted text fit to quote in a one-line message: at most
 * 40 bytes, anything but printable ASCII (newlines, NULs, UTF-8) shown as '?'.
 */
static const char *excerpt(char out[48], const char *s, size_t n)
{
	size_t k = 0;
	for (; k < n && k < 40; k++)
		out[k] = s[k] >= 0x20 && s[k] < 0x7f ? s[k] : '?';
	if (k < n)
		out[k++] = '.', out[k++] = '.', out[k++] = '.';
	out[k] = '\0';
	return out;
}

/*
 * Parses the whole of [s, s + n) (surrounding whitespace allowed) as an
 * unsigned number: decimal, or hexadecimal with an optional 0x when base is
 * 16. -1 when it is anything else or overflows 64 bits.
 */
static int parse_u64(const char *s, size_t n, int base, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	trim(&s, &n);
	if (base == 16 && n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		i = 2;
	if (i == n)
		return -1;
	for (; i < n; i++) {
		int d = base == 16 ? hex_value((unsigned char)s[i]) : is_digit((unsigned char)s[i]) ? s[i] - '0' : -1;
		if (d < 0 || __builtin_mul_overflow(v, (uint64_t)base, &v) || __builtin_add_overflow(v, (uint64_t)d, &v))
			return -1;
	}
	*out = v;
	return 0;
}

/* Like parse_u64 (decimal) with an optional leading '-', within int64_t. */
static int parse_i64(const char *s, size_t n, int64_t *out)
{
	bool neg = false;
	uint64_t v;

	trim(&s, &n);
	if (n && s[0] == '-')
		neg = true, s++, n--;
	if (!n || !is_digit((unsigned char)s[0]) || parse_u64(s, n, 10, &v))
		return -1;
	if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
		return -1;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* ---------------------------------------------------------------- files */

/* snprintf into a path buffer; HALO_EUSAGE when the roots make it too long. */
__attribute__((format(printf, 2, 3))) static int mkpath(char out[HW_MAX_PATH], const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, HW_MAX_PATH, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= HW_MAX_PATH)
		return halo_error_set(HALO_EUSAGE, "path '%.64s...' is longer than %d bytes", out, HW_MAX_PATH - 1);
	return 0;
}

/*
 * Reads a whole file into b (NUL-terminated), at most `cap` bytes. Returns 0
 * or an errno value, EFBIG when the file is longer than the cap. Plain
 * read(2), not stdio: /proc and sysfs files report size 0 and are produced
 * on each read, so we read until EOF.
 */
static int read_file(const char *path, halo_buf *b, size_t cap)
{
	char chunk[16384];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	halo_buf_init(b, cap);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			halo_buf_free(b);
			return e;
		}
		if (n == 0)
			break;
		if ((size_t)n > cap - b->len) {
			close(fd);
			halo_buf_free(b);
			return EFBIG;
		}
		if (halo_buf_add(b, chunk, (size_t)n)) {
			close(fd);
			halo_buf_free(b);
			return ENOMEM;
		}
	}
	close(fd);
	if (!b->ptr && halo_buf_add(b, "", 0))
		return ENOMEM;
	return 0;
}

/* A small attribute into a caller's buffer of HW_MAX_ATTR + 1 bytes; 0 or an errno value. */
static int read_attr(const char *path, char *buf, size_t *len)
{
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	for (;;) {
		/* One byte past the cap tells a long file from a full one. */
		ssize_t n = read(fd, buf + got, HW_MAX_ATTR + 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return e;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > HW_MAX_ATTR) {
			close(fd);
			return EFBIG;
		}
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return 0;
}

/*
 * An optional numeric sysfs file. Any failure to open or read it means
 * "absent" (*present = false): the file may not exist on this driver or
 * kernel, be root-only (amdgpu's gttsize is 0600), or fail while a device is
 * in reset, and none of that should stop detection. Text that is there but is
 * not a number is HALO_EFORMAT, naming the file.
 */
static int read_num(const char *path, int base, uint64_t *out, bool *present)
{
	char buf[HW_MAX_ATTR + 1], ex[48];
	size_t len;
	int e = read_attr(path, buf, &len);

	*present = false;
	if (e == EFBIG)
		return halo_error_set(HALO_EFORMAT, "'%s' is longer than %d bytes", path, HW_MAX_ATTR);
	if (e)
		return 0;
	if (parse_u64(buf, len, base, out))
		return halo_error_set(HALO_EFORMAT, "'%s': expected a %s number, got '%s'", path,
				      base == 16 ? "hexadecimal" : "decimal", excerpt(ex, buf, len));
	*present = true;
	return 0;
}

/* ---------------------------------------------------------------- /proc */

/* The meminfo fields we keep, in bytes; `seen` catches duplicates. */
typedef struct meminfo_field {
	const char *key;
	uint64_t *dst;
	bool seen;
} meminfo_field;

/*
 * Every line of meminfo is "Name:   value[ kB]". All must have a name and a
 * colon, so a truncated or foreign file is noticed; the values are checked
 * only for the fields we use, so a new or oddly formatted field in a future
 * kernel does not break detection.
 */
static int parse_meminfo(const char *path, const char *text, size_t len, halo_machine *m)
{
	uint64_t swap_total = 0, swap_free = 0, avail = 0;
	meminfo_field fields[] = {
		{ "MemTotal", &m->mem_total, false },
		{ "MemAvailable", &avail, false },
		{ "SwapTotal", &swap_total, false },
		{ "SwapFree", &swap_free, false },
	};
	const size_t n_fields = sizeof(fields) / sizeof(fields[0]);
	const char *p = text, *end = text + len;
	unsigned line_no = 0;
	char ex[48];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line = p, *line_end = nl ? nl : end;
		p = nl ? nl + 1 : end;
		line_no++;
		if (line == line_end)
			continue; /* a blank line carries nothing */

		const char *colon = memchr(line, ':', (size_t)(line_end - line));
		if (!colon || colon == line)
			return halo_error_set(HALO_EFORMAT, "'%s': line %u: expected 'Name: value', got '%s'", path,
					      line_no, excerpt(ex, line, (size_t)(line_end - line)));
		for (const char *k = line; k < colon; k++)
			if (*k <= 0x20 || *k >= 0x7f)
				return halo_error_set(HALO_EFORMAT, "'%s': line %u: bad field name '%s'", path, line_no,
						      excerpt(ex, line, (size_t)(colon - line)));

		size_t klen = (size_t)(colon - line);
		meminfo_field *f = NULL;
		for (size_t i = 0; i < n_fields; i++)
			if (strlen(fields[i].key) == klen && !memcmp(fields[i].key, line, klen))
				f = &fields[i];
		if (!f)
			continue;
		if (f->seen)
			return halo_error_set(HALO_EFORMAT, "'%s': line %u: duplicate '%s'", path, line_no, f->key);
		f->seen = true;

		/* The value: digits, then the unit "kB" (KiB, despite the spelling). */
		const char *v = colon + 1;
		size_t vlen = (size_t)(line_end - v);
		trim(&v, &vlen);
		uint64_t kib;
		if (vlen < 3 || memcmp(v + vlen - 2, "kB", 2) || !is_digit((unsigned char)v[0]) ||
		    parse_u64(v, vlen - 2, 10, &kib)) {
			const char *why = "is not a number of kB";
			/* Tell an overflowing number apart from garbage: it is all digits. */
			size_t d = 0;
			while (d < vlen && is_digit((unsigned char)v[d]))
				d++;
			if (d > 19 && vlen >= 2 && !memcmp(v + vlen - 2, "kB", 2))
				why = "is out of range";
			return halo_error_set(HALO_EFORMAT, "'%s': line %u: '%s' value '%s' %s", path, line_no, f->key,
					      excerpt(ex, v, vlen), why);
		}
		if (__builtin_mul_overflow(kib, (uint64_t)1024, f->dst))
			return halo_error_set(HALO_EFORMAT, "'%s': line %u: '%s' value %llu kB overflows 64-bit bytes",
					      path, line_no, f->key, (unsigned long long)kib);
	}
	if (!fields[0].seen)
		return halo_error_set(HALO_EFORMAT, "'%s': no MemTotal line", path);
	if (!m->mem_total)
		return halo_error_set(HALO_EFORMAT, "'%s': MemTotal is 0", path);
	if (fields[1].seen) {
		m->mem_available = avail;
		m->have |= HALO_HW_HAVE_MEM_AVAILABLE;
	}
	if (fields[2].seen && fields[3].seen) {
		m->swap_total = swap_total;
		m->swap_free = swap_free;
		m->have |= HALO_HW_HAVE_SWAP;
	}
	return 0;
}

static int detect_meminfo(const char *proc, halo_machine *m)
{
	char path[HW_MAX_PATH];
	halo_buf b;
	int rc, e;

	if ((rc = mkpath(path, "%s/meminfo", proc)))
		return rc;
	e = read_file(path, &b, HW_MAX_MEMINFO);
	if (e == ENOENT)
		return halo_error_set(HALO_ENOTFOUND, "'%s' does not exist", path);
	if (e == EFBIG)
		return halo_error_set(HALO_ENOMEM, "'%s' is larger than %zu bytes", path, HW_MAX_MEMINFO);
	if (e)
		return halo_error_set(HALO_EIO, "cannot read '%s': %s", path, strerror(e));
	rc = parse_meminfo(path, b.ptr, b.len, m);
	halo_buf_free(&b);
	return rc;
}

/*
 * cpuinfo's layout differs between architectures, so it is read leniently:
 * "processor" entries are counted (one per online CPU everywhere Linux runs)
 * and the first "model name" is kept (x86; other architectures may have none,
 * which leaves cpu_model empty). A missing file is not an error.
 */
static int detect_cpuinfo(const char *proc, halo_machine *m)
{
	char path[HW_MAX_PATH];
	halo_buf b;
	int rc, e;

	if ((rc = mkpath(path, "%s/cpuinfo", proc)))
		return rc;
	e = read_file(path, &b, HW_MAX_CPUINFO);
	if (e == EFBIG)
		return halo_error_set(HALO_ENOMEM, "'%s' is larger than %zu bytes", path, HW_MAX_CPUINFO);
	if (e)
		return 0;
	for (const char *p = b.ptr, *end = b.ptr + b.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line = p, *line_end = nl ? nl : end;
		p = nl ? nl + 1 : end;
		const char *colon = memchr(line, ':', (size_t)(line_end - line));
		if (!colon)
			continue;
		const char *k = line, *v = colon + 1;
		size_t klen = (size_t)(colon - line), vlen = (size_t)(line_end - v);
		trim(&k, &klen);
		trim(&v, &vlen);
		if (klen == 9 && !memcmp(k, "processor", 9)) {
			if (m->n_cpus == INT_MAX) {
				halo_buf_free(&b);
				return halo_error_set(HALO_EFORMAT, "'%s': too many processor entries", path);
			}
			m->n_cpus++;
		} else if (klen == 10 && !memcmp(k, "model name", 10) && !m->cpu_model[0]) {
			halo_text_oneline(m->cpu_model, sizeof(m->cpu_model), v, vlen, '?');
		}
	}
	halo_buf_free(&b);
	return 0;
}

static int detect_kernel(const char *proc, halo_machine *m)
{
	char path[HW_MAX_PATH], buf[HW_MAX_ATTR + 1];
	size_t len;
	int rc;

	if ((rc = mkpath(path, "%s/sys/kernel/osrelease", proc)))
		return rc;
	if (read_attr(path, buf, &len))
		return 0; /* optional: the release is only shown to the user */
	const char *s = buf, *nl = memchr(buf, '\n', len);
	if (nl)
		len = (size_t)(nl - buf);
	trim(&s, &len);
	halo_text_oneline(m->kernel, sizeof(m->kernel), s, len, '?');
	return 0;
}

/* ---------------------------------------------------------------- sysfs */

static int detect_modules(const char *sys, halo_machine *m)
{
	char path[HW_MAX_PATH], buf[HW_MAX_ATTR + 1], ex[48];
	size_t len;
	uint64_t v;
	bool present;
	int rc;

	if ((rc = mkpath(path, "%s/module/ttm/parameters/pages_limit", sys)) ||
	    (rc = read_num(path, 10, &v, &present)))
		return rc;
	if (present) {
		m->ttm_pages_limit = v;
		m->have |= HALO_HW_HAVE_TTM_PAGES_LIMIT;
	}
	if ((rc = mkpath(path, "%s/module/ttm/parameters/page_pool_size", sys)) ||
	    (rc = read_num(path, 10, &v, &present)))
		return rc;
	if (present) {
		m->ttm_page_pool_size = v;
		m->have |= HALO_HW_HAVE_TTM_PAGE_POOL_SIZE;
	}
	/* gttsize is signed (-1 = auto) and root-only: unreadable reads as the default. */
	if ((rc = mkpath(path, "%s/module/amdgpu/parameters/gttsize", sys)))
		return rc;
	int e = read_attr(path, buf, &len);
	if (e == EFBIG)
		return halo_error_set(HALO_EFORMAT, "'%s' is longer than %d bytes", path, HW_MAX_ATTR);
	if (!e) {
		if (parse_i64(buf, len, &m->amdgpu_gttsize_mib))
			return halo_error_set(HALO_EFORMAT, "'%s': expected a decimal number, got '%s'", path,
					      excerpt(ex, buf, len));
		m->have |= HALO_HW_HAVE_GTTSIZE;
	}
	return 0;
}

/*
 * AMD PCI device ids we know, with the LLVM processor name and whether the
 * device is an APU. Ids and product names: libdrm's data/amdgpu.ids; product
 * to processor: LLVM's AMDGPUUsage processor table (docs/hw.md lists both).
 * Only ids whose processor is unambiguous are named; an unknown id still gets
 * the carve-out heuristic for is_apu.
 */
static const struct amd_id {
	uint16_t device;
	bool apu;
	const char *gfx;
} amd_ids[] = {
	/* APUs */
	{ 0x1586, true, "gfx1151" }, /* Strix Halo: Radeon 8060S / 8050S / 8040S */
	{ 0x150e, true, "gfx1150" }, /* Strix Point: Radeon 890M / 880M */
	{ 0x1114, true, "gfx1152" }, /* Krackan Point: Radeon 860M / 840M */
	{ 0x15bf, true, "gfx1103" }, /* Phoenix: Radeon 780M / 760M / 740M */
	{ 0x15c8, true, "gfx1103" }, /* Phoenix 2: Radeon 740M */
	{ 0x1900, true, "gfx1103" }, /* Hawk Point: Radeon 780M / 760M */
	{ 0x1901, true, "gfx1103" }, /* Hawk Point 2: Radeon 740M */
	{ 0x1681, true, "gfx1035" }, /* Rembrandt: Radeon 680M / 660M */
	{ 0x164e, true, "gfx1036" }, /* Raphael (Ryzen 7000 desktop iGPU) */
	{ 0x1506, true, "gfx1037" }, /* Mendocino: Radeon 610M */
	{ 0x163f, true, "gfx1033" }, /* Van Gogh (Steam Deck) */
	{ 0x1636, true, "gfx90c" },  /* Renoir */
	{ 0x1638, true, "gfx90c" },  /* Cezanne */
	{ 0x164c, true, "gfx90c" },  /* Lucienne */
	{ 0x15e7, true, "gfx90c" },  /* Barcelo */
	{ 0x15dd, true, "gfx902" },  /* Raven */
	{ 0x15d8, true, "" },        /* Picasso / Raven 2: gfx902 or gfx909 by revision */
	/* discrete */
	{ 0x744c, false, "gfx1100" }, /* Navi 31: RX 7900 XTX / XT / GRE */
	{ 0x7448, false, "gfx1100" }, /* Navi 31: Radeon Pro W7900 */
	{ 0x747e, false, "gfx1101" }, /* Navi 32: RX 7800 XT / 7700 XT */
	{ 0x7480, false, "gfx1102" }, /* Navi 33: RX 7600 / 7600 XT */
	{ 0x7550, false, "gfx1201" }, /* Navi 48: RX 9070 / 9070 XT */
	{ 0x7551, false, "gfx1201" }, /* Navi 48: Radeon AI PRO R9700 */
	{ 0x73bf, false, "gfx1030" }, /* Navi 21: RX 6800 / 6800 XT / 6900 XT */
	{ 0x73df, false, "gfx1031" }, /* Navi 22: RX 6700 XT / 6750 XT */
	{ 0x73ff, false, "gfx1032" }, /* Navi 23: RX 6600 / 6600 XT */
};

static const struct amd_id *amd_lookup(uint32_t device)
{
	for (size_t i = 0; i < sizeof(amd_ids) / sizeof(amd_ids[0]); i++)
		if (amd_ids[i].device == device)
			return &amd_ids[i];
	return NULL;
}

/* basename of a symlink's target into dst; false when `path` is not a readable link. */
static bool link_basename(const char *path, char *dst, size_t size)
{
	char target[HW_MAX_PATH];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	while (n > 1 && target[n - 1] == '/')
		target[--n] = '\0';
	const char *base = strrchr(target, '/');
	base = base ? base + 1 : target;
	halo_text_oneline(dst, size, base, strlen(base), '?');
	return dst[0] != '\0';
}

/* PCI_SLOT_NAME= and DRIVER= from device/uevent, for what the links did not give. */
static void read_uevent(const char *path, halo_gpu *g)
{
	char buf[HW_MAX_ATTR + 1];
	size_t len;

	if (read_attr(path, buf, &len))
		return;
	for (const char *p = buf, *end = buf + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line = p, *line_end = nl ? nl : end;
		p = nl ? nl + 1 : end;
		size_t n = (size_t)(line_end - line);
		if (n > 14 && !memcmp(line, "PCI_SLOT_NAME=", 14) && !g->pci_slot[0])
			halo_text_oneline(g->pci_slot, sizeof(g->pci_slot), line + 14, n - 14, '?');
		else if (n > 7 && !memcmp(line, "DRIVER=", 7) && !g->driver[0])
			halo_text_oneline(g->driver, sizeof(g->driver), line + 7, n - 7, '?');
	}
}

/*
 * Fills *g from <drm>/<card>/device. *is_pci is false for cards without a PCI
 * vendor file (simpledrm, vkms, other platform devices): not GPUs we can plan for.
 */
static int probe_card(const char *drm, const char *card, halo_gpu *g, bool *is_pci)
{
	static const struct {
		const char *file;
		unsigned bit;
		size_t offset;
	} mem[] = {
		{ "mem_info_vram_total", HALO_GPU_HAVE_VRAM_TOTAL, offsetof(halo_gpu, vram_total) },
		{ "mem_info_vram_used", HALO_GPU_HAVE_VRAM_USED, offsetof(halo_gpu, vram_used) },
		{ "mem_info_vis_vram_total", HALO_GPU_HAVE_VIS_VRAM_TOTAL, offsetof(halo_gpu, vis_vram_total) },
		{ "mem_info_gtt_total", HALO_GPU_HAVE_GTT_TOTAL, offsetof(halo_gpu, gtt_total) },
		{ "mem_info_gtt_used", HALO_GPU_HAVE_GTT_USED, offsetof(halo_gpu, gtt_used) },
	};
	char dev[HW_MAX_PATH], path[HW_MAX_PATH];
	uint64_t v;
	bool present;
	int rc;

	memset(g, 0, sizeof(*g));
	*is_pci = false;
	halo_text_oneline(g->card, sizeof(g->card), card, strlen(card), '?');
	if ((rc = mkpath(dev, "%s/%s/device", drm, card)))
		return rc;

	if ((rc = mkpath(path, "%s/vendor", dev)) || (rc = read_num(path, 16, &v, &present)))
		return rc;
	if (!present)
		return 0;
	if (v > 0xffff)
		return halo_error_set(HALO_EFORMAT, "'%s': 0x%llx is not a PCI vendor id", path, (unsigned long long)v);
	g->vendor = (uint32_t)v;
	*is_pci = true;
	if ((rc = mkpath(path, "%s/device", dev)) || (rc = read_num(path, 16, &v, &present)))
		return rc;
	if (present && v > 0xffff)
		return halo_error_set(HALO_EFORMAT, "'%s': 0x%llx is not a PCI device id", path, (unsigned long long)v);
	g->device = present ? (uint32_t)v : 0;
	if ((rc = mkpath(path, "%s/revision", dev)) || (rc = read_num(path, 16, &v, &present)))
		return rc;
	if (present && v > 0xff)
		return halo_error_set(HALO_EFORMAT, "'%s': 0x%llx is not a PCI revision", path, (unsigned long long)v);
	g->revision = present ? (uint32_t)v : 0;

	/* The driver link names the bound driver even when uevent is stale or absent. */
	if ((rc = mkpath(path, "%s/driver", dev)))
		return rc;
	link_basename(path, g->driver, sizeof(g->driver));
	if ((rc = mkpath(path, "%s/uevent", dev)))
		return rc;
	read_uevent(path, g);
	/* On a live system `device` is itself a link ending in the PCI address. */
	if (!g->pci_slot[0])
		link_basename(dev, g->pci_slot, sizeof(g->pci_slot));

	for (size_t i = 0; i < sizeof(mem) / sizeof(mem[0]); i++) {
		if ((rc = mkpath(path, "%s/%s", dev, mem[i].file)) || (rc = read_num(path, 10, &v, &present)))
			return rc;
		if (present) {
			memcpy((char *)g + mem[i].offset, &v, sizeof(v));
			g->have |= mem[i].bit;
		}
	}

	if (g->vendor == HALO_PCI_VENDOR_AMD) {
		const struct amd_id *id = amd_lookup(g->device);
		if (id) {
			g->is_apu = id->apu;
			halo_text_oneline(g->gfx_target, sizeof(g->gfx_target), id->gfx, strlen(id->gfx), '?');
		} else {
			/*
			 * An id we do not know: an APU's "VRAM" is a BIOS carve-out of
			 * system RAM, small (512 MiB to 2 GiB by default), entirely
			 * CPU-visible, and much smaller than the GTT pool (half of RAM).
			 * A discrete card's VRAM is rarely that small nowadays, and a
			 * small old one without resizable BAR shows only 256 MiB visible.
			 */
			const unsigned need = HALO_GPU_HAVE_VRAM_TOTAL | HALO_GPU_HAVE_VIS_VRAM_TOTAL |
					      HALO_GPU_HAVE_GTT_TOTAL;
			g->is_apu = (g->have & need) == need && g->vram_total <= ((uint64_t)2 << 30) &&
				    g->vis_vram_total == g->vram_total && g->vram_total <= g->gtt_total / 4;
		}
	}
	return 0;
}

typedef struct card_entry {
	unsigned long num;
	char name[16];
} card_entry;

static int card_cmp(const void *a, const void *b)
{
	unsigned long x = ((const card_entry *)a)->num, y = ((const card_entry *)b)->num;
	return x < y ? -1 : x > y;
}

/* "card" and a number without leading zeros: connector entries like card1-eDP-1 are not cards. */
static bool card_number(const char *name, unsigned long *num)
{
	const char *d = name + 4;
	size_t n = 0;

	if (strncmp(name, "card", 4))
		return false;
	while (is_digit((unsigned char)d[n]))
		n++;
	if (!n || d[n] || n > 9 || (n > 1 && d[0] == '0'))
		return false;
	*num = strtoul(d, NULL, 10);
	return true;
}

static int detect_gpus(const char *sys, halo_machine *m)
{
	char drm[HW_MAX_PATH];
	card_entry cards[HW_MAX_CARDS];
	size_t n = 0;
	bool dropped = false;
	DIR *d;
	struct dirent *de;
	int rc;

	if ((rc = mkpath(drm, "%s/class/drm", sys)))
		return rc;
	if (!(d = opendir(drm))) {
		/* No DRM at all (a VM), or a container that hides it: no GPU to plan for. */
		if (errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == EPERM)
			return 0;
		return halo_error_set(HALO_EIO, "cannot read '%s': %s", drm, strerror(errno));
	}
	/*
	 * readdir order is arbitrary; keep the lowest-numbered cards (replacing
	 * the highest when full) and sort them, so the result never depends on it.
	 */
	while ((de = readdir(d))) {
		card_entry c;
		if (!card_number(de->d_name, &c.num))
			continue;
		snprintf(c.name, sizeof(c.name), "%s", de->d_name);
		if (n < HW_MAX_CARDS) {
			cards[n++] = c;
			continue;
		}
		dropped = true;
		size_t hi = 0;
		for (size_t i = 1; i < n; i++)
			if (cards[i].num > cards[hi].num)
				hi = i;
		if (c.num < cards[hi].num)
			cards[hi] = c;
	}
	closedir(d);
	qsort(cards, n, sizeof(cards[0]), card_cmp);

	for (size_t i = 0; i < n; i++) {
		halo_gpu g;
		bool is_pci;
		if ((rc = probe_card(drm, cards[i].name, &g, &is_pci)))
			return rc;
		if (!is_pci)
			continue;
		if (m->n_gpus == HALO_MAX_GPUS) {
			dropped = true;
			break;
		}
		m->gpus[m->n_gpus++] = g;
	}
	if (dropped)
		m->have |= HALO_HW_GPUS_TRUNCATED;
	return 0;
}

/* ---------------------------------------------------------------- detect */

static int check_root(const char *what, const char *root)
{
	struct stat st;

	if (stat(root, &st))
		return halo_error_set(errno == ENOENT ? HALO_ENOTFOUND : HALO_EIO, "%s root '%s': %s", what, root,
				      strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return halo_error_set(HALO_ENOTFOUND, "%s root '%s' is not a directory", what, root);
	return 0;
}

int halo_hw_detect(halo_machine *out, const halo_hw_opts *opts)
{
	static const halo_hw_opts defaults = HALO_HW_OPTS_INIT;
	const char *sys, *proc;
	bool live;
	int rc;

	if (!out)
		return halo_error_set(HALO_EUSAGE, "halo_hw_detect: no output");
	memset(out, 0, sizeof(*out));
	out->amdgpu_gttsize_mib = -1;
	if (!opts)
		opts = &defaults;
	if (opts->version != HALO_HW_OPTS_VERSION)
		return halo_error_set(HALO_EUSAGE, "halo_hw_opts version %u is not %d", opts->version,
				      HALO_HW_OPTS_VERSION);
	sys = opts->sysfs_root ? opts->sysfs_root : "/sys";
	proc = opts->proc_root ? opts->proc_root : "/proc";
	live = !strcmp(sys, "/sys") && !strcmp(proc, "/proc");

	/*
	 * A root the caller names must exist: a typo must not read as "no GPU".
	 * The live /sys may be missing in a minimal container, which only means
	 * no GPU and no TTM information.
	 */
	struct stat st;
	bool have_sys = opts->sysfs_root || stat(sys, &st) == 0;
	if ((rc = check_root("proc", proc)) || (opts->sysfs_root && (rc = check_root("sysfs", sys))))
		return rc;
	if ((rc = detect_meminfo(proc, out)) || (rc = detect_cpuinfo(proc, out)) || (rc = detect_kernel(proc, out)) ||
	    (have_sys && ((rc = detect_modules(sys, out)) || (rc = detect_gpus(sys, out))))) {
		int keep = rc;
		memset(out, 0, sizeof(*out));
		out->amdgpu_gttsize_mib = -1;
		return keep;
	}

	/* TTM counts in kernel pages; a recorded tree says nothing about its page size. */
	out->page_size = opts->page_size;
	if (!out->page_size) {
		long ps = live ? sysconf(_SC_PAGESIZE) : -1;
		out->page_size = ps > 0 ? (uint64_t)ps : 4096;
	}
	if (live && out->n_cpus == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		out->n_cpus = n > 0 && n <= INT_MAX ? (int)n : 0;
	}
	return 0;
}

/* ---------------------------------------------------------------- limits */

bool halo_hw_apu_prefers_gtt(const halo_gpu *g)
{
	const unsigned need = HALO_GPU_HAVE_VRAM_TOTAL | HALO_GPU_HAVE_GTT_TOTAL;
	return g && g->is_apu && (g->have & need) == need && g->vram_total < g->gtt_total;
}

uint64_t halo_hw_gpu_memory_limit_for(const halo_machine *m, const halo_gpu *g, halo_hw_backend backend)
{
	uint64_t gtt, vram, sum;

	if (!g)
		return 0;
	vram = g->have & HALO_GPU_HAVE_VRAM_TOTAL ? g->vram_total : 0;
	if (!g->is_apu)
		return vram;
	if (!(g->have & HALO_GPU_HAVE_GTT_TOTAL))
		return 0;
	/* GTT pages are ordinary system RAM: a pages_limit above MemTotal cannot be filled. */
	gtt = g->gtt_total;
	if (m && m->mem_total && gtt > m->mem_total)
		gtt = m->mem_total;
	if (backend == HALO_HW_BACKEND_ROCM)
		return halo_hw_apu_prefers_gtt(g) ? gtt : vram;
	return __builtin_add_overflow(gtt, vram, &sum) ? UINT64_MAX : sum;
}

uint64_t halo_hw_gpu_memory_limit(const halo_machine *m, const halo_gpu *g)
{
	return halo_hw_gpu_memory_limit_for(m, g, HALO_HW_BACKEND_VULKAN);
}

uint64_t halo_hw_ttm_pages_for(uint64_t gtt_bytes, uint64_t page_size)
{
	if (!page_size)
		page_size = 4096;
	return gtt_bytes / page_size + (gtt_bytes % page_size != 0);
}

uint64_t halo_hw_ttm_default_pages(uint64_t mem_total, uint64_t page_size)
{
	if (!page_size)
		page_size = 4096;
	return mem_total / page_size / 2;
}

const char *halo_hw_vendor_name(uint32_t vendor)
{
	switch (vendor) {
	case HALO_PCI_VENDOR_AMD: return "amd";
	case HALO_PCI_VENDOR_NVIDIA: return "nvidia";
	case HALO_PCI_VENDOR_INTEL: return "intel";
	default: return NULL;
	}
}
