/*
 * halo doctor: the checks (rules and sources in docs/doctor.md). Every file
 * read here is optional and bounded: a missing or unreadable file becomes
 * evidence ("absent"), never an error, because the doctor must work on any
 * Linux, including containers and VMs without /sys/class/drm.
 */
#include "doctor.h"

#include "backends.h"

#include "error.h"
#include "hw.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <jansson.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define DOC_MAX_PATH 4096
#define DOC_MAX_NAMES 64               /* directory entries looked at per directory */
#define DOC_MAX_TEXT ((size_t)64 << 10) /* /etc/group, /proc/cmdline, an ICD json */
#define GIB (1024.0 * 1024 * 1024)

struct ctx {
	const char *sys, *proc, *root, *user, *path, *backends_file;
	bool live;    /* no root given: the live environment (AMD_VULKAN_ICD) counts */
	bool session; /* live and no user given: this process's own groups and uid count */
	uint64_t headroom;
	halo_machine m;
	const halo_gpu *amd; /* the AMD GPU the checks are about; NULL when none */
	halo_doctor_report *r;
};

/* ---------------------------------------------------------------- helpers */

static void catf(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void catf(char *dst, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(dst, size);
	if (len + 1 >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst + len, size - len, fmt, ap); /* evidence may be cut short, never overflow */
	va_end(ap);
}

static int mkpath(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int mkpath(char *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, DOC_MAX_PATH, fmt, ap);
	va_end(ap);
	return n < 0 || n >= DOC_MAX_PATH ? -1 : 0;
}

/*
 * Reads at most cap-1 bytes of a small text file into buf (NUL-terminated,
 * trailing whitespace removed). Returns the length, or -1 when absent or
 * unreadable. A longer file is cut: the callers only need its start.
 */
static long read_text(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0;
	while (len + 1 < cap) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	return (long)len;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of `dir` (no dot files), at most DOC_MAX_NAMES; caller frees each and the array. */
static size_t list_dir(const char *dir, char ***out)
{
	*out = NULL;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	char **names = calloc(DOC_MAX_NAMES, sizeof(*names));
	size_t n = 0;
	struct dirent *e;
	while (names && n < DOC_MAX_NAMES && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (!(names[n] = strdup(e->d_name)))
			break;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	*out = names;
	return n;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static halo_doctor_finding *add(struct ctx *c, const char *id, halo_doctor_status st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static halo_doctor_finding *add(struct ctx *c, const char *id, halo_doctor_status st, const char *fmt, ...)
{
	static halo_doctor_finding overflow; /* not reachable with the fixed set of checks */
	halo_doctor_finding *f = c->r->n < HALO_DOCTOR_MAX_FINDINGS ? &c->r->items[c->r->n++] : &overflow;
	memset(f, 0, sizeof(*f));
	snprintf(f->id, sizeof(f->id), "%s", id);
	f->status = st;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->title, sizeof(f->title), fmt, ap);
	va_end(ap);
	return f;
}

/* Whether the space-separated /proc/cmdline has `tok` ("amd_iommu=off"), or a key with `tok=`. */
static bool cmdline_has(const char *cmdline, const char *tok)
{
	size_t n = strlen(tok);
	for (const char *p = cmdline; *p;) {
		while (*p == ' ')
			p++;
		const char *end = p + strcspn(p, " ");
		if ((size_t)(end - p) == n && !memcmp(p, tok, n))
			return true;
		p = end;
	}
	return false;
}

/* ---------------------------------------------------------------- checks */

static void gpu_line(char *dst, size_t size, const halo_gpu *g)
{
	const char *vendor = halo_hw_vendor_name(g->vendor);
	catf(dst, size, "%s: %04" PRIx32 ":%04" PRIx32 " (%s) driver %s%s%s%s; ", g->card, g->vendor, g->device,
	     vendor ? vendor : "other", g->driver[0] ? g->driver : "none", g->gfx_target[0] ? ", " : "", g->gfx_target,
	     g->vendor == HALO_PCI_VENDOR_AMD ? (g->is_apu ? ", APU" : ", discrete") : "");
}

static void check_gpu(struct ctx *c)
{
	char ev[768] = "";
	/* The GPU the checks are about: a discrete AMD card when there is one (a desktop's
	 * iGPU is not what llama.cpp should run on), else the AMD device with the most
	 * memory it can allocate. */
	uint64_t best = 0;
	for (size_t i = 0; i < c->m.n_gpus; i++) {
		const halo_gpu *g = &c->m.gpus[i];
		gpu_line(ev, sizeof(ev), g);
		if (g->vendor != HALO_PCI_VENDOR_AMD)
			continue;
		uint64_t lim = halo_hw_gpu_memory_limit(&c->m, g);
		bool better = !c->amd || (c->amd->is_apu && !g->is_apu) ||
			      (c->amd->is_apu == g->is_apu && lim > best);
		if (better) {
			c->amd = g;
			best = lim;
		}
	}
	if (!c->m.n_gpus)
		catf(ev, sizeof(ev), "%s/class/drm: no PCI display device", c->sys);
	halo_doctor_finding *f;
	if (!c->amd) {
		f = add(c, "gpu", HALO_DOCTOR_INFO, c->m.n_gpus ? "no AMD GPU: the AMD checks do not apply"
							      : "no GPU: llama.cpp will run on the CPU");
		snprintf(f->evidence, sizeof(f->evidence), "%s", ev);
		return;
	}
	const halo_gpu *g = c->amd;
	if (strcmp(g->driver, "amdgpu")) {
		f = add(c, "gpu", HALO_DOCTOR_FAIL, "AMD GPU %s is not driven by amdgpu", g->card);
		snprintf(f->evidence, sizeof(f->evidence), "%s", ev);
		snprintf(f->fix, sizeof(f->fix),
			 "sudo modprobe amdgpu, and check 'sudo dmesg | grep -i amdgpu' for firmware errors "
			 "(install linux-firmware; remove nomodeset from the kernel command line)");
		return;
	}
	f = add(c, "gpu", HALO_DOCTOR_OK, "AMD GPU %s: %s%s", g->card, g->gfx_target[0] ? g->gfx_target : "unknown gfx target",
		g->is_apu ? " (APU, unified memory)" : " (discrete)");
	snprintf(f->evidence, sizeof(f->evidence), "%s", ev);
	if (!g->gfx_target[0])
		catf(f->evidence, sizeof(f->evidence), "device id %04" PRIx32 " not in halo's table: gfx target unknown",
		     g->device);
}

static void check_vram(struct ctx *c)
{
	const halo_gpu *g = c->amd;
	if (!(g->have & HALO_GPU_HAVE_VRAM_TOTAL)) {
		add(c, "vram", HALO_DOCTOR_INFO, "VRAM size unknown (no mem_info_vram_total)");
		return;
	}
	halo_doctor_finding *f;
	double v = (double)g->vram_total / GIB;
	if (!g->is_apu) {
		f = add(c, "vram", HALO_DOCTOR_OK, "VRAM %.1f GiB (discrete)", v);
	} else if (g->vram_total > ((uint64_t)2 << 30)) {
		/* The carve-out is taken from RAM at boot whether the GPU uses it or not, and
		 * ROCm uses either it or GTT, not both (hw.h): a large one only shrinks RAM. */
		f = add(c, "vram", HALO_DOCTOR_WARN, "VRAM carve-out %.1f GiB is taken from RAM", v);
		snprintf(f->fix, sizeof(f->fix),
			 "in the firmware setup set the UMA frame buffer / iGPU memory to its minimum (512 MiB) "
			 "and size the GPU pool with ttm.pages_limit instead (see 'ttm')");
	} else {
		f = add(c, "vram", HALO_DOCTOR_OK, "VRAM carve-out %.1f GiB (small: the GPU works from GTT)", v);
	}
	snprintf(f->evidence, sizeof(f->evidence), "%s/class/drm/%s/device/mem_info_vram_total: %" PRIu64 " (%.2f GiB)",
		 c->sys, g->card, g->vram_total, v);
}

/* The GTT pool halo recommends on an APU: MemTotal minus the headroom. */
static uint64_t gtt_target(const struct ctx *c)
{
	return c->m.mem_total > c->headroom ? c->m.mem_total - c->headroom : c->m.mem_total;
}

static void check_gtt(struct ctx *c)
{
	const halo_gpu *g = c->amd;
	halo_doctor_finding *f;
	if (!(g->have & HALO_GPU_HAVE_GTT_TOTAL)) {
		add(c, "gtt", HALO_DOCTOR_INFO, "GTT size unknown (no mem_info_gtt_total)");
		return;
	}
	double gtt = (double)g->gtt_total / GIB, ram = (double)c->m.mem_total / GIB;
	uint64_t target = gtt_target(c);
	if (!g->is_apu)
		f = add(c, "gtt", HALO_DOCTOR_INFO, "GTT %.1f GiB (discrete GPU: only for spills out of VRAM)", gtt);
	else if (g->gtt_total > c->m.mem_total)
		f = add(c, "gtt", HALO_DOCTOR_WARN, "GTT %.1f GiB is larger than RAM (%.1f GiB): allocations can fail late",
			gtt, ram);
	else if (g->gtt_total < target)
		f = add(c, "gtt", HALO_DOCTOR_WARN, "GTT %.1f GiB is %.0f%% of RAM: the GPU can use only that much", gtt,
			100.0 * gtt / ram);
	else
		f = add(c, "gtt", HALO_DOCTOR_OK, "GTT %.1f GiB of %.1f GiB RAM", gtt, ram);
	snprintf(f->evidence, sizeof(f->evidence),
		 "%s/class/drm/%s/device/mem_info_gtt_total: %" PRIu64 " (%.2f GiB); %s/meminfo MemTotal: %.2f GiB; "
		 "kernel default (half of RAM): %.2f GiB; RAM minus %.1f GiB headroom: %.2f GiB",
		 c->sys, g->card, g->gtt_total, gtt, c->proc, ram,
		 (double)(halo_hw_ttm_default_pages(c->m.mem_total, c->m.page_size) * c->m.page_size) / GIB,
		 (double)c->headroom / GIB, (double)target / GIB);
	if (f->status == HALO_DOCTOR_WARN)
		snprintf(f->fix, sizeof(f->fix), "set ttm.pages_limit as the 'ttm' finding says, then reboot");
}

static void check_ttm(struct ctx *c)
{
	const halo_gpu *g = c->amd;
	halo_doctor_finding *f;
	if (!g->is_apu) {
		add(c, "ttm", HALO_DOCTOR_INFO, "TTM limit does not size a discrete GPU's VRAM: nothing to do");
		return;
	}
	if (!(c->m.have & HALO_HW_HAVE_TTM_PAGES_LIMIT)) {
		f = add(c, "ttm", HALO_DOCTOR_INFO, "ttm module parameters absent");
		snprintf(f->evidence, sizeof(f->evidence), "%s/module/ttm/parameters/pages_limit: absent", c->sys);
		return;
	}
	uint64_t ps = c->m.page_size, want = halo_hw_ttm_pages_for(gtt_target(c), ps);
	uint64_t cur = c->m.ttm_pages_limit;
	bool gttsize = (c->m.have & HALO_HW_HAVE_GTTSIZE) && c->m.amdgpu_gttsize_mib != -1;
	if (cur < want)
		f = add(c, "ttm", HALO_DOCTOR_WARN, "ttm.pages_limit %" PRIu64 " (%.1f GiB): recommended %" PRIu64 " (%.1f GiB)",
			cur, (double)cur * (double)ps / GIB, want, (double)want * (double)ps / GIB);
	else
		f = add(c, "ttm", gttsize ? HALO_DOCTOR_INFO : HALO_DOCTOR_OK,
			"ttm.pages_limit %" PRIu64 " (%.1f GiB)%s", cur, (double)cur * (double)ps / GIB,
			gttsize ? ", and the deprecated amdgpu.gttsize is set" : "");
	snprintf(f->evidence, sizeof(f->evidence),
		 "%s/module/ttm/parameters/pages_limit: %" PRIu64 "; page_pool_size: %" PRIu64 "; page size %" PRIu64
		 "; kernel default %" PRIu64 "; recommended (MemTotal - %.1f GiB) %" PRIu64,
		 c->sys, cur, c->m.ttm_page_pool_size, ps, halo_hw_ttm_default_pages(c->m.mem_total, ps),
		 (double)c->headroom / GIB, want);
	if (c->m.have & HALO_HW_HAVE_GTTSIZE)
		catf(f->evidence, sizeof(f->evidence), "; %s/module/amdgpu/parameters/gttsize: %" PRId64, c->sys,
		     c->m.amdgpu_gttsize_mib);
	if (cur < want)
		snprintf(f->fix, sizeof(f->fix),
			 "add ttm.pages_limit=%" PRIu64 " to the kernel command line (GRUB_CMDLINE_LINUX_DEFAULT in "
			 "/etc/default/grub, then 'sudo update-grub' or 'sudo grub2-mkconfig -o /boot/grub2/grub.cfg'; "
			 "or 'sudo grubby --update-kernel=ALL --args=ttm.pages_limit=%" PRIu64 "'), or run "
			 "\"echo 'options ttm pages_limit=%" PRIu64 "' | sudo tee /etc/modprobe.d/ttm.conf\" and rebuild "
			 "the initramfs ('sudo update-initramfs -u' or 'sudo dracut -f'); then reboot%s",
			 want, want, want, gttsize ? "; also remove amdgpu.gttsize (deprecated: it overrides the TTM limit)" : "");
	else if (gttsize)
		snprintf(f->fix, sizeof(f->fix),
			 "remove amdgpu.gttsize=%" PRId64 " from the kernel command line: deprecated, and "
			 "ttm.pages_limit alone sizes GTT",
			 c->m.amdgpu_gttsize_mib);
}

static void check_iommu(struct ctx *c)
{
	char dir[DOC_MAX_PATH], path[DOC_MAX_PATH], cmdline[4096] = "";
	char **names = NULL;
	size_t n = 0;
	if (!mkpath(dir, "%s/class/iommu", c->sys))
		n = list_dir(dir, &names);
	bool have_cmdline = !mkpath(path, "%s/cmdline", c->proc) && read_text(path, cmdline, sizeof(cmdline)) >= 0;
	bool pt = cmdline_has(cmdline, "iommu=pt") || cmdline_has(cmdline, "amd_iommu=pt");
	bool off = cmdline_has(cmdline, "amd_iommu=off") || cmdline_has(cmdline, "iommu=off");
	bool apu = c->amd && c->amd->is_apu;
	halo_doctor_finding *f;
	if (n && pt)
		f = add(c, "iommu", HALO_DOCTOR_OK, "IOMMU on, passthrough for devices (iommu=pt)");
	else if (n)
		f = add(c, "iommu", HALO_DOCTOR_INFO, "IOMMU on, translating DMA");
	else
		f = add(c, "iommu", HALO_DOCTOR_INFO, "IOMMU off%s", off ? " (disabled on the kernel command line)" : "");
	snprintf(f->evidence, sizeof(f->evidence), "%s: %zu unit%s", dir, n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		catf(f->evidence, sizeof(f->evidence), "%s%s", i ? ", " : " (", names[i]);
	catf(f->evidence, sizeof(f->evidence), "%s; %s: %s", n ? ")" : "", path,
	     have_cmdline ? (cmdline[0] ? cmdline : "(empty)") : "absent");
	if (apu && n && !pt)
		snprintf(f->fix, sizeof(f->fix),
			 "optional: iommu=pt on the kernel command line skips translation for the GPU and keeps the NPU "
			 "working; amd_iommu=off does too but disables the NPU (the amdxdna driver needs the IOMMU)");
	else if (apu && !n)
		snprintf(f->fix, sizeof(f->fix),
			 "the NPU (amdxdna driver) needs the IOMMU: to use it, replace %s with iommu=pt on the kernel "
			 "command line and reboot",
			 off ? "amd_iommu=off" : "the setting that disables it (or enable IOMMU/AMD-Vi in the firmware setup)");
	free_names(names, n);
}

static void check_kernel(struct ctx *c)
{
	halo_doctor_finding *f;
	unsigned major = 0, minor = 0;
	if (!c->m.kernel[0] || sscanf(c->m.kernel, "%u.%u", &major, &minor) != 2) {
		f = add(c, "kernel", HALO_DOCTOR_INFO, "kernel version unknown");
		snprintf(f->evidence, sizeof(f->evidence), "%s/sys/kernel/osrelease: %s", c->proc,
			 c->m.kernel[0] ? c->m.kernel : "absent");
		return;
	}
	/* gfx1151 (Strix Halo) support in amdgpu matured over 6.1x; AMD's ROCm support for Ryzen AI
	 * Max starts with Ubuntu's 6.14 OEM kernel (docs/doctor.md). */
	bool halo = c->amd && !strcmp(c->amd->gfx_target, "gfx1151");
	if (halo && (major < 6 || (major == 6 && minor < 14))) {
		f = add(c, "kernel", HALO_DOCTOR_WARN, "kernel %u.%u is older than 6.14, the first with full gfx1151 support",
			major, minor);
		snprintf(f->fix, sizeof(f->fix),
			 "install a 6.14 or newer kernel (Ubuntu 24.04: the OEM or HWE kernel; Fedora: current) and reboot");
	} else {
		f = add(c, "kernel", HALO_DOCTOR_OK, "kernel %u.%u", major, minor);
	}
	snprintf(f->evidence, sizeof(f->evidence), "%s/sys/kernel/osrelease: %s", c->proc, c->m.kernel);
}

static void check_swap(struct ctx *c)
{
	char path[DOC_MAX_PATH], swaps[2048] = "";
	halo_doctor_finding *f;
	if (!(c->m.have & HALO_HW_HAVE_SWAP)) {
		f = add(c, "swap", HALO_DOCTOR_INFO, "swap unknown (no SwapTotal in meminfo)");
		return;
	}
	if (c->m.swap_total == 0) {
		f = add(c, "swap", HALO_DOCTOR_WARN, "no swap: a load that overshoots RAM is killed instead of slowed");
		snprintf(f->fix, sizeof(f->fix),
			 "sudo fallocate -l 8G /swapfile && sudo chmod 600 /swapfile && sudo mkswap /swapfile && "
			 "sudo swapon /swapfile, and add '/swapfile none swap defaults 0 0' to /etc/fstab "
			 "(or enable zram: systemd-zram-generator)");
	} else {
		f = add(c, "swap", HALO_DOCTOR_OK, "swap %.1f GiB", (double)c->m.swap_total / GIB);
	}
	snprintf(f->evidence, sizeof(f->evidence), "%s/meminfo SwapTotal: %.2f GiB, SwapFree: %.2f GiB", c->proc,
		 (double)c->m.swap_total / GIB, (double)c->m.swap_free / GIB);
	if (!mkpath(path, "%s/swaps", c->proc) && read_text(path, swaps, sizeof(swaps)) >= 0) {
		/* /proc/swaps: a header line, then "Filename Type Size Used Priority" rows. */
		char *save = NULL, *line = strtok_r(swaps, "\n", &save);
		size_t rows = 0;
		catf(f->evidence, sizeof(f->evidence), "; %s:", path);
		while ((line = strtok_r(NULL, "\n", &save))) {
			char name[256], type[32];
			if (sscanf(line, "%255s %31s", name, type) == 2) {
				catf(f->evidence, sizeof(f->evidence), " %s (%s)", name, type);
				rows++;
			}
		}
		if (!rows)
			catf(f->evidence, sizeof(f->evidence), " none");
	}
}

static void check_power(struct ctx *c)
{
	char p1[DOC_MAX_PATH], p2[DOC_MAX_PATH], p3[DOC_MAX_PATH];
	char prof[64] = "", choices[256] = "", tuned[128] = "";
	bool have_prof = !mkpath(p1, "%s/firmware/acpi/platform_profile", c->sys) && read_text(p1, prof, sizeof(prof)) > 0;
	bool have_choices = !mkpath(p2, "%s/firmware/acpi/platform_profile_choices", c->sys) &&
			    read_text(p2, choices, sizeof(choices)) > 0;
	bool have_tuned = !mkpath(p3, "%s/etc/tuned/active_profile", c->root) && read_text(p3, tuned, sizeof(tuned)) > 0;
	halo_doctor_finding *f;
	bool perf_choice = have_choices && cmdline_has(choices, "performance");
	if (have_prof && !strcmp(prof, "performance"))
		f = add(c, "power", HALO_DOCTOR_OK, "platform profile: performance");
	else if (have_prof)
		f = add(c, "power", HALO_DOCTOR_WARN, "platform profile '%s': the GPU and memory clocks are held back", prof);
	else if (have_tuned && strstr(tuned, "performance"))
		f = add(c, "power", HALO_DOCTOR_OK, "tuned profile: %s", tuned);
	else if (have_tuned)
		f = add(c, "power", HALO_DOCTOR_WARN, "tuned profile '%s' is not a performance profile", tuned);
	else
		f = add(c, "power", HALO_DOCTOR_INFO, "no power profile to set (no ACPI platform_profile, no tuned)");
	snprintf(f->evidence, sizeof(f->evidence), "%s: %s", p1, have_prof ? prof : "absent");
	if (have_choices)
		catf(f->evidence, sizeof(f->evidence), "; %s: %s", p2, choices);
	catf(f->evidence, sizeof(f->evidence), "; %s: %s", p3, have_tuned ? tuned : "absent");
	if (f->status != HALO_DOCTOR_WARN)
		return;
	if (have_prof && (perf_choice || !have_choices))
		snprintf(f->fix, sizeof(f->fix),
			 "echo performance | sudo tee /sys/firmware/acpi/platform_profile (lasts until reboot; to keep it: "
			 "'powerprofilesctl set performance', or with tuned 'sudo tuned-adm profile accelerator-performance')");
	else if (have_prof)
		snprintf(f->fix, sizeof(f->fix), "choose the fastest of '%s': echo <profile> | sudo tee "
			 "/sys/firmware/acpi/platform_profile", choices);
	else
		snprintf(f->fix, sizeof(f->fix), "sudo tuned-adm profile accelerator-performance");
}

/* Reads `name`'s gid and whether `user` is a listed member, from an /etc/group text. */
static bool group_lookup(const char *text, const char *name, const char *user, unsigned long *gid, bool *member)
{
	size_t nl = strlen(name);
	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, name, nl) || line[nl] != ':')
			continue;
		/* name:password:gid:user,user */
		const char *p = strchr(line + nl + 1, ':');
		if (!p)
			return false;
		char *end;
		*gid = strtoul(p + 1, &end, 10);
		*member = false;
		if (*end != ':')
			return true;
		const char *m = end + 1, *eol = m + strcspn(m, "\n");
		size_t ul = strlen(user);
		while (m < eol) {
			const char *sep = m + strcspn(m, ",\n");
			if ((size_t)(sep - m) == ul && !memcmp(m, user, ul))
				*member = true;
			m = *sep == ',' ? sep + 1 : eol;
		}
		return true;
	}
	return false;
}

/* The user's primary gid from an /etc/passwd text; -1 when not listed. */
static long passwd_gid(const char *text, const char *user)
{
	size_t ul = strlen(user);
	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, user, ul) || line[ul] != ':')
			continue;
		const char *p = strchr(line + ul + 1, ':'); /* after the password field */
		if (!p || !(p = strchr(p + 1, ':')))       /* after the uid */
			return -1;
		return strtol(p + 1, NULL, 10);
	}
	return -1;
}

static bool process_has_gid(unsigned long gid)
{
	gid_t groups[256];
	int n = getgroups(256, groups);
	if (getegid() == (gid_t)gid)
		return true;
	for (int i = 0; i < n; i++)
		if (groups[i] == (gid_t)gid)
			return true;
	return false;
}

static void check_groups(struct ctx *c)
{
	static const char *const want[] = { "video", "render" };
	char path[DOC_MAX_PATH], ppath[DOC_MAX_PATH];
	halo_doctor_finding *f;
	if (c->session && geteuid() == 0) {
		f = add(c, "groups", c->amd ? HALO_DOCTOR_OK : HALO_DOCTOR_INFO, "running as root: device access is not limited by groups");
		return;
	}
	char *text = malloc(DOC_MAX_TEXT), *pw = malloc(DOC_MAX_TEXT);
	if (!text || !pw || mkpath(path, "%s/etc/group", c->root) || read_text(path, text, DOC_MAX_TEXT) < 0) {
		f = add(c, "groups", HALO_DOCTOR_INFO, "group membership unknown (cannot read %s/etc/group)", c->root);
		free(text);
		free(pw);
		return;
	}
	long pgid = -1;
	if (!mkpath(ppath, "%s/etc/passwd", c->root) && read_text(ppath, pw, DOC_MAX_TEXT) >= 0)
		pgid = passwd_gid(pw, c->user);
	char ev[768] = "", missing[64] = "", relog[64] = "";
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		unsigned long gid = 0;
		bool member = false;
		if (!group_lookup(text, want[i], c->user, &gid, &member)) {
			catf(ev, sizeof(ev), "group %s: absent; ", want[i]);
			continue;
		}
		member = member || (pgid >= 0 && (unsigned long)pgid == gid);
		bool has = c->session ? process_has_gid(gid) : member;
		catf(ev, sizeof(ev), "group %s (gid %lu): %s%s; ", want[i], gid, member ? "member" : "not a member",
		     c->session ? (has ? ", in this session" : ", not in this session") : "");
		if (!member && !has)
			catf(missing, sizeof(missing), "%s%s", missing[0] ? "," : "", want[i]);
		else if (!has)
			catf(relog, sizeof(relog), "%s%s", relog[0] ? "," : "", want[i]);
	}
	halo_doctor_status st = !c->amd ? HALO_DOCTOR_INFO : missing[0] || relog[0] ? HALO_DOCTOR_WARN : HALO_DOCTOR_OK;
	if (missing[0])
		f = add(c, "groups", st, "user %s is not in %s", c->user, missing);
	else if (relog[0])
		f = add(c, "groups", st, "user %s joined %s, but this session predates it", c->user, relog);
	else
		f = add(c, "groups", st, "user %s is in the video and render groups (where they exist)", c->user);
	snprintf(f->evidence, sizeof(f->evidence), "%s; user %s", path, c->user);
	if (pgid >= 0)
		catf(f->evidence, sizeof(f->evidence), " (primary gid %ld in %s)", pgid, ppath);
	catf(f->evidence, sizeof(f->evidence), "; %s", ev);
	if (missing[0])
		snprintf(f->fix, sizeof(f->fix), "sudo usermod -aG %s %s, then log out and back in", missing, c->user);
	else if (relog[0])
		snprintf(f->fix, sizeof(f->fix), "log out and back in (or run 'newgrp %s' in this shell)", relog);
	free(text);
	free(pw);
}

static void check_devices(struct ctx *c)
{
	char kfd[DOC_MAX_PATH], dri[DOC_MAX_PATH], path[DOC_MAX_PATH], ev[768] = "";
	char **names = NULL;
	size_t n = 0, nodes = 0, denied = 0;
	bool have_kfd = !mkpath(kfd, "%s/dev/kfd", c->root) && access(kfd, F_OK) == 0;
	bool kfd_rw = have_kfd && access(kfd, R_OK | W_OK) == 0;
	catf(ev, sizeof(ev), "%s: %s", kfd, have_kfd ? (kfd_rw ? "read-write" : "no access") : "absent");
	if (!mkpath(dri, "%s/dev/dri", c->root))
		n = list_dir(dri, &names);
	for (size_t i = 0; i < n; i++) {
		if (strncmp(names[i], "renderD", 7) || mkpath(path, "%s/%s", dri, names[i]))
			continue;
		bool rw = access(path, R_OK | W_OK) == 0;
		catf(ev, sizeof(ev), "; %s: %s", path, rw ? "read-write" : "no access");
		nodes++;
		denied += !rw;
	}
	free_names(names, n);
	if (!nodes)
		catf(ev, sizeof(ev), "; %s: no renderD* node", dri);
	halo_doctor_finding *f;
	if (!c->amd) {
		f = add(c, "devices", HALO_DOCTOR_INFO, "no AMD GPU: %zu render node%s, %s", nodes, nodes == 1 ? "" : "s",
			have_kfd ? "/dev/kfd present" : "no /dev/kfd");
	} else if (!nodes || denied == nodes) {
		f = add(c, "devices", HALO_DOCTOR_FAIL, nodes ? "no access to the GPU's render nodes" : "no GPU render node");
		snprintf(f->fix, sizeof(f->fix), nodes ? "sudo usermod -aG video,render %s, then log out and back in"
						       : "load amdgpu (sudo modprobe amdgpu); in a container pass --device /dev/dri%s",
			 nodes ? c->user : "");
	} else if (!have_kfd || !kfd_rw) {
		f = add(c, "devices", HALO_DOCTOR_WARN, "%s: the ROCm (HIP) backend cannot run; Vulkan can",
			have_kfd ? "no access to /dev/kfd" : "no /dev/kfd");
		snprintf(f->fix, sizeof(f->fix), have_kfd ? "sudo usermod -aG render %s, then log out and back in"
							  : "amdgpu exposes /dev/kfd when built with HSA_AMD (all distribution kernels); "
							    "in a container pass --device /dev/kfd%s",
			 have_kfd ? c->user : "");
	} else {
		f = add(c, "devices", HALO_DOCTOR_OK, "/dev/kfd and %zu render node%s are accessible", nodes, nodes == 1 ? "" : "s");
	}
	snprintf(f->evidence, sizeof(f->evidence), "%s", ev);
}

static bool find_in_path(const char *search, const char *name, char *out)
{
	for (const char *p = search; p && *p;) {
		size_t len = strcspn(p, ":");
		struct stat st;
		if (len && len < DOC_MAX_PATH - 256 && !mkpath(out, "%.*s/%s", (int)len, p, name) && !stat(out, &st) &&
		    S_ISREG(st.st_mode) && !access(out, X_OK))
			return true;
		p += len + (p[len] == ':');
	}
	return false;
}

/*
 * The backends of backends.conf that can run (their llama-server is there),
 * into ev; returns how many. A file that does not parse is a finding of its own.
 */
static size_t registered_backends(struct ctx *c, char *ev, size_t size, bool *bad_file)
{
	halo_backends bs = HALO_BACKENDS_INIT;
	size_t ok = 0;
	*bad_file = false;
	if (!c->backends_file && !c->live)
		return 0;
	if (halo_backends_load(&bs, c->backends_file, false)) {
		*bad_file = true;
		catf(ev, size, "%s", halo_error_last()->message);
		halo_error_clear();
		return 0;
	}
	for (size_t i = 0; i < bs.n; i++) {
		char p[DOC_MAX_PATH];
		bool runs = !halo_backend_program(&bs.items[i], "llama-server", p, sizeof(p));
		ok += runs;
		catf(ev, size, "%sbackend '%s': %s%s", ev[0] ? "; " : "", bs.items[i].name, bs.items[i].bin_dir,
		     runs ? "" : " (no llama-server there)");
	}
	halo_error_clear();
	halo_backends_free(&bs);
	return ok;
}

static void check_backends(struct ctx *c)
{
	static const char *const bins[] = { "llama-server", "llama-bench", "llama-cli" };
	char path[DOC_MAX_PATH], ev[768] = "", reg[768] = "";
	bool found[3] = { false, false, false }, bad_file;
	for (size_t i = 0; i < 3; i++) {
		found[i] = find_in_path(c->path, bins[i], path);
		catf(ev, sizeof(ev), "%s%s: %s", i ? "; " : "", bins[i], found[i] ? path : "not in PATH");
	}
	size_t n_reg = registered_backends(c, reg, sizeof(reg), &bad_file);
	halo_doctor_finding *f;
	if (bad_file)
		f = add(c, "backends", HALO_DOCTOR_FAIL, "backends.conf cannot be read");
	else if (n_reg)
		f = add(c, "backends", HALO_DOCTOR_OK, "%zu registered llama.cpp backend%s%s", n_reg, n_reg == 1 ? "" : "s",
			found[0] ? ", and llama.cpp in PATH" : "");
	else if (found[0])
		f = add(c, "backends", HALO_DOCTOR_OK, "llama.cpp found in PATH%s", found[1] ? "" : " (no llama-bench)");
	else
		f = add(c, "backends", HALO_DOCTOR_WARN, "llama-server is not in PATH");
	snprintf(f->evidence, sizeof(f->evidence), "%s%s%s", reg, reg[0] ? "; " : "", ev);
	if (bad_file)
		snprintf(f->fix, sizeof(f->fix), "correct the file (format: docs/backends.md)");
	else if (!found[0] && !n_reg) {
		const char *gfx = c->amd && c->amd->gfx_target[0] ? c->amd->gfx_target : "<gfx target>";
		if (c->amd)
			snprintf(f->fix, sizeof(f->fix),
				 "build llama.cpp: 'cmake -B build -DGGML_VULKAN=ON && cmake --build build -j' (ROCm: "
				 "-DGGML_HIP=ON -DAMDGPU_TARGETS=%s), then add build/bin to PATH or register it in "
				 "~/.config/halo/backends.conf",
				 gfx);
		else
			snprintf(f->fix, sizeof(f->fix),
				 "build llama.cpp ('cmake -B build && cmake --build build -j') and add build/bin to PATH "
				 "or register it in ~/.config/halo/backends.conf");
	}
}

enum icd_kind { ICD_OTHER, ICD_RADV, ICD_AMDVLK };

/* Which driver an ICD manifest loads, from ICD.library_path; -1 when unreadable or malformed. */
static int icd_kind(const char *path, char *lib, size_t size)
{
	struct stat st;
	if (stat(path, &st) || !S_ISREG(st.st_mode) || st.st_size > (off_t)DOC_MAX_TEXT)
		return -1;
	json_error_t err;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	const char *lp = json_string_value(json_object_get(json_object_get(j, "ICD"), "library_path"));
	if (!lp) {
		json_decref(j);
		return -1;
	}
	const char *base = strrchr(lp, '/') ? strrchr(lp, '/') + 1 : lp;
	snprintf(lib, size, "%s", base);
	json_decref(j); /* base pointed into j: use the copy from here on */
	/* Mesa's RADV is libvulkan_radeon.so; AMD's AMDVLK is amdvlk64.so / amdvlk32.so. */
	if (strstr(lib, "vulkan_radeon"))
		return ICD_RADV;
	if (strstr(lib, "amdvlk"))
		return ICD_AMDVLK;
	return ICD_OTHER;
}

static void check_vulkan(struct ctx *c)
{
	static const char *const dirs[] = { "/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d" };
	char dir[DOC_MAX_PATH], path[DOC_MAX_PATH], lib[128], ev[768] = "";
	bool radv = false, amdvlk = false;
	size_t total = 0;
	for (size_t d = 0; d < 2; d++) {
		char **names = NULL;
		size_t n = 0;
		if (!mkpath(dir, "%s%s", c->root, dirs[d]))
			n = list_dir(dir, &names);
		for (size_t i = 0; i < n; i++) {
			size_t nl = strlen(names[i]);
			if (nl < 6 || strcmp(names[i] + nl - 5, ".json") || mkpath(path, "%s/%s", dir, names[i]))
				continue;
			int k = icd_kind(path, lib, sizeof(lib));
			catf(ev, sizeof(ev), "%s%s -> %s", total ? "; " : "", path,
			     k < 0 ? "unreadable" : k == ICD_RADV ? "RADV" : k == ICD_AMDVLK ? "AMDVLK" : lib);
			radv |= k == ICD_RADV;
			amdvlk |= k == ICD_AMDVLK;
			total++;
		}
		free_names(names, n);
	}
	if (!total)
		catf(ev, sizeof(ev), "no ICD manifest in %s%s or %s%s", c->root, dirs[0], c->root, dirs[1]);
	const char *env = c->live ? getenv("AMD_VULKAN_ICD") : NULL;
	if (env)
		catf(ev, sizeof(ev), "; AMD_VULKAN_ICD=%s", env);
	halo_doctor_finding *f;
	if (!c->amd) {
		f = add(c, "vulkan", HALO_DOCTOR_INFO, "no AMD GPU; %zu Vulkan ICD%s installed", total, total == 1 ? "" : "s");
	} else if (radv && amdvlk && !(env && !strcasecmp(env, "RADV"))) {
		f = add(c, "vulkan", HALO_DOCTOR_WARN, "RADV and AMDVLK are both installed: AMDVLK may be picked");
		snprintf(f->fix, sizeof(f->fix),
			 "export AMD_VULKAN_ICD=RADV before running llama.cpp (or remove the amdvlk package): RADV is "
			 "the faster and maintained driver (AMDVLK was discontinued in 2025)");
	} else if (radv) {
		f = add(c, "vulkan", HALO_DOCTOR_OK, "Vulkan driver: RADV (Mesa)");
	} else {
		f = add(c, "vulkan", HALO_DOCTOR_WARN, amdvlk ? "Vulkan driver: AMDVLK only (discontinued)" : "no AMD Vulkan driver");
		snprintf(f->fix, sizeof(f->fix),
			 "install Mesa's RADV: 'sudo apt install mesa-vulkan-drivers' (Debian/Ubuntu), 'sudo dnf install "
			 "mesa-vulkan-drivers' (Fedora) or 'sudo pacman -S vulkan-radeon' (Arch)");
	}
	snprintf(f->evidence, sizeof(f->evidence), "%s", ev);
}

/* ---------------------------------------------------------------- API */

int halo_doctor_run(halo_doctor_report *out, const halo_doctor_opts *opts)
{
	if (!out)
		return halo_error_set(HALO_EUSAGE, "doctor: no report storage");
	out->n = 0;
	if (opts && opts->version != HALO_DOCTOR_OPTS_VERSION)
		return halo_error_set(HALO_EUSAGE, "doctor: options version %u, expected %u", opts->version,
				      HALO_DOCTOR_OPTS_VERSION);
	struct ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return halo_error_set(HALO_ENOMEM, "doctor: out of memory");
	c->sys = opts && opts->sysfs_root ? opts->sysfs_root : "/sys";
	c->proc = opts && opts->proc_root ? opts->proc_root : "/proc";
	c->root = opts && opts->root ? opts->root : "";
	c->live = !(opts && opts->root);
	c->path = opts && opts->path ? opts->path : getenv("PATH");
	c->backends_file = opts ? opts->backends_file : NULL;
	c->headroom = opts && opts->headroom ? opts->headroom : (uint64_t)4 << 30;
	const char *user = opts ? opts->user : NULL;
	c->session = c->live && !user;
	struct passwd *pw = user ? NULL : getpwuid(geteuid());
	c->user = user ? user : pw && pw->pw_name ? pw->pw_name : "unknown";
	if (strlen(c->sys) > 1024 || strlen(c->proc) > 1024 || strlen(c->root) > 1024 || strlen(c->user) > 64) {
		free(c);
		return halo_error_set(HALO_EUSAGE, "doctor: a root or user name is too long");
	}
	halo_hw_opts ho = HALO_HW_OPTS_INIT;
	ho.sysfs_root = opts ? opts->sysfs_root : NULL;
	ho.proc_root = opts ? opts->proc_root : NULL;
	int rc = halo_hw_detect(&c->m, &ho);
	if (rc) {
		free(c);
		return rc;
	}
	c->r = out;
	check_gpu(c);
	if (c->amd) {
		check_vram(c);
		check_gtt(c);
		check_ttm(c);
	}
	check_iommu(c);
	check_kernel(c);
	check_swap(c);
	check_power(c);
	check_groups(c);
	check_devices(c);
	check_backends(c);
	check_vulkan(c);
	free(c);
	return 0;
}

const char *halo_doctor_status_name(halo_doctor_status s)
{
	switch (s) {
	case HALO_DOCTOR_OK: return "ok";
	case HALO_DOCTOR_INFO: return "info";
	case HALO_DOCTOR_WARN: return "warn";
	case HALO_DOCTOR_FAIL: return "fail";
	}
	return "unknown";
}

const halo_doctor_finding *halo_doctor_find(const halo_doctor_report *r, const char *id)
{
	for (size_t i = 0; r && i < r->n; i++)
		if (!strcmp(r->items[i].id, id))
			return &r->items[i];
	return NULL;
}
