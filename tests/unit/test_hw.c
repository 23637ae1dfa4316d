/*
 * Machine detection: the recorded trees in tests/fixtures/hw (values and
 * their sources in tests/fixtures/hw/README.md), the GPU memory limits,
 * the TTM arithmetic, hostile meminfo and sysfs files, and the live machine.
 */
#include "testutil.h"

#include "error.h"
#include "hw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)

/* ---------------------------------------------------------------- helpers */

static int detect_fixture(const char *name, halo_machine *m)
{
	static char sys[4096], proc[4096];
	halo_hw_opts opts = HALO_HW_OPTS_INIT;

	snprintf(sys, sizeof(sys), "%s/tests/fixtures/hw/%s/sys", test_source_dir(), name);
	snprintf(proc, sizeof(proc), "%s/tests/fixtures/hw/%s/proc", test_source_dir(), name);
	opts.sysfs_root = sys;
	opts.proc_root = proc;
	return halo_hw_detect(m, &opts);
}

static void detect_ok(const char *name, halo_machine *m)
{
	if (detect_fixture(name, m))
		fail_msg("%s: %s", name, halo_error_last()->message);
}

/* mkdir -p for the parent directories of `path`. */
static void mkparents(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", tmp, strerror(errno));
		*p = '/';
	}
}

/* Writes root/rel (creating directories) with `len` bytes of `text`. */
static void put_n(const char *root, const char *rel, const char *text, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkparents(path);
	test_write_file(path, text, len);
}

static void put(const char *root, const char *rel, const char *text)
{
	put_n(root, rel, text, strlen(text));
}

/* A fresh tree with proc/ and sys/; the roots go into opts. */
typedef struct tree {
	char root[4096], sys[4096], proc[4096];
	halo_hw_opts opts;
} tree;

static void tree_init(tree *t, const char *tag)
{
	snprintf(t->root, sizeof(t->root), "%s", test_tmpdir(tag));
	snprintf(t->sys, sizeof(t->sys), "%s/sys", t->root);
	snprintf(t->proc, sizeof(t->proc), "%s/proc", t->root);
	mkdir(t->sys, 0755);
	mkdir(t->proc, 0755);
	halo_hw_opts o = HALO_HW_OPTS_INIT;
	t->opts = o;
	t->opts.sysfs_root = t->sys;
	t->opts.proc_root = t->proc;
}

static const char good_meminfo[] = "MemTotal:       16000000 kB\n"
				   "MemFree:        12000000 kB\n"
				   "MemAvailable:   14000000 kB\n"
				   "SwapTotal:             0 kB\n"
				   "SwapFree:              0 kB\n"
				   "HugePages_Total:       0\n";

/* An amdgpu card under t->sys/class/drm/<card>. */
static void put_amd_card(const tree *t, const char *card, const char *device, uint64_t vram, uint64_t vis,
			 uint64_t gtt)
{
	char rel[256], num[32];
	snprintf(rel, sizeof(rel), "class/drm/%s/device/vendor", card);
	put(t->sys, rel, "0x1002\n");
	snprintf(rel, sizeof(rel), "class/drm/%s/device/device", card);
	put(t->sys, rel, device);
	snprintf(rel, sizeof(rel), "class/drm/%s/device/uevent", card);
	put(t->sys, rel, "DRIVER=amdgpu\nPCI_SLOT_NAME=0000:0a:00.0\n");
	snprintf(rel, sizeof(rel), "class/drm/%s/device/mem_info_vram_total", card);
	snprintf(num, sizeof(num), "%llu\n", (unsigned long long)vram);
	put(t->sys, rel, num);
	snprintf(rel, sizeof(rel), "class/drm/%s/device/mem_info_vis_vram_total", card);
	snprintf(num, sizeof(num), "%llu\n", (unsigned long long)vis);
	put(t->sys, rel, num);
	snprintf(rel, sizeof(rel), "class/drm/%s/device/mem_info_gtt_total", card);
	snprintf(num, sizeof(num), "%llu\n", (unsigned long long)gtt);
	put(t->sys, rel, num);
}

static const unsigned all_mem = HALO_GPU_HAVE_VRAM_TOTAL | HALO_GPU_HAVE_VRAM_USED | HALO_GPU_HAVE_VIS_VRAM_TOTAL |
				HALO_GPU_HAVE_GTT_TOTAL | HALO_GPU_HAVE_GTT_USED;

/* ---------------------------------------------------------------- fixtures */

static void test_strix_halo_64(void **state)
{
	(void)state;
	halo_machine m;
	detect_ok("strix-halo-64", &m);

	assert_int_equal(m.mem_total, 65584560 * KIB);
	assert_int_equal(m.mem_available, 61873512 * KIB);
	assert_int_equal(m.swap_total, 8388604 * KIB);
	assert_int_equal(m.swap_free, 8388604 * KIB);
	assert_int_equal(m.page_size, 4096);
	assert_int_equal(m.ttm_pages_limit, 8198070);
	assert_int_equal(m.ttm_page_pool_size, 8198070);
	assert_int_equal(m.amdgpu_gttsize_mib, -1);
	assert_int_equal(m.have, HALO_HW_HAVE_MEM_AVAILABLE | HALO_HW_HAVE_SWAP | HALO_HW_HAVE_TTM_PAGES_LIMIT |
					 HALO_HW_HAVE_TTM_PAGE_POOL_SIZE | HALO_HW_HAVE_GTTSIZE);
	assert_string_equal(m.cpu_model, "AMD RYZEN AI MAX+ 395 w/ Radeon 8060S");
	assert_int_equal(m.n_cpus, 4); /* the recorded cpuinfo is trimmed to 4 of 32 */
	assert_string_equal(m.kernel, "6.14.0-1014-oem");
	assert_int_equal(m.n_gpus, 1);

	const halo_gpu *g = &m.gpus[0];
	assert_string_equal(g->card, "card1");
	assert_int_equal(g->vendor, 0x1002);
	assert_int_equal(g->device, 0x1586);
	assert_int_equal(g->revision, 0xc1);
	assert_string_equal(g->driver, "amdgpu");
	assert_string_equal(g->pci_slot, "0000:c5:00.0");
	assert_true(g->is_apu);
	assert_string_equal(g->gfx_target, "gfx1151");
	assert_int_equal(g->vram_total, 512 * MIB);
	assert_int_equal(g->vram_used, 127262720);
	assert_int_equal(g->vis_vram_total, 512 * MIB);
	assert_int_equal(g->gtt_total, 33579294720ull);
	assert_int_equal(g->gtt_used, 48418816);
	assert_int_equal(g->have, all_mem);

	/* Stock kernel: GTT = ttm.pages_limit pages = half of MemTotal's pages. */
	assert_int_equal(g->gtt_total, m.ttm_pages_limit * m.page_size);
	assert_int_equal(halo_hw_ttm_default_pages(m.mem_total, m.page_size), m.ttm_pages_limit);

	assert_true(halo_hw_apu_prefers_gtt(g));
	assert_int_equal(halo_hw_gpu_memory_limit(&m, g), 33579294720ull + 512 * MIB);
	assert_int_equal(halo_hw_gpu_memory_limit_for(&m, g, HALO_HW_BACKEND_VULKAN), 34116165632ull);
	assert_int_equal(halo_hw_gpu_memory_limit_for(&m, g, HALO_HW_BACKEND_ROCM), 33579294720ull);
}

static void test_strix_halo_128(void **state)
{
	(void)state;
	halo_machine m;
	detect_ok("strix-halo-128", &m);

	assert_int_equal(m.mem_total, 131752268 * KIB);
	assert_int_equal(m.mem_available, 126998708 * KIB);
	assert_int_equal(m.swap_total, 8388604 * KIB);
	assert_int_equal(m.page_size, 4096);
	/* kyuz0's parameters: ttm.pages_limit=32505856 amdgpu.gttsize=126976 (124 GiB). */
	assert_int_equal(m.ttm_pages_limit, 32505856);
	assert_int_equal(m.ttm_page_pool_size, 16469033); /* left at the default */
	assert_int_equal(m.ttm_page_pool_size, halo_hw_ttm_default_pages(m.mem_total, 4096));
	assert_int_equal(m.amdgpu_gttsize_mib, 126976);
	assert_string_equal(m.kernel, "6.18.5-200.fc43.x86_64");
	assert_string_equal(m.cpu_model, "AMD RYZEN AI MAX+ 395 w/ Radeon 8060S");
	assert_int_equal(m.n_cpus, 4);
	assert_int_equal(m.n_gpus, 1);

	const halo_gpu *g = &m.gpus[0];
	assert_string_equal(g->card, "card1");
	assert_int_equal(g->device, 0x1586);
	assert_string_equal(g->pci_slot, "0000:c6:00.0");
	assert_string_equal(g->gfx_target, "gfx1151");
	assert_true(g->is_apu);
	assert_int_equal(g->vram_total, 536870912);
	assert_int_equal(g->vram_used, 158679040);
	assert_int_equal(g->gtt_total, 133143986176ull);
	assert_int_equal(g->gtt_total, 124 * GIB);
	assert_int_equal(g->gtt_total, (uint64_t)m.amdgpu_gttsize_mib * MIB);
	assert_int_equal(g->gtt_total, m.ttm_pages_limit * 4096);
	assert_int_equal(g->gtt_used, 63275008);
	assert_int_equal(g->have, all_mem);

	/* 124 GiB of GTT is below MemTotal (125.6 GiB), so nothing is capped. */
	assert_int_equal(halo_hw_gpu_memory_limit(&m, g), 133143986176ull + 536870912ull);
	assert_int_equal(halo_hw_gpu_memory_limit_for(&m, g, HALO_HW_BACKEND_ROCM), 133143986176ull);
}

static void test_no_gpu(void **state)
{
	(void)state;
	halo_machine m;
	detect_ok("no-gpu", &m);

	assert_int_equal(m.mem_total, 8138152 * KIB);
	assert_int_equal(m.mem_available, 7583320 * KIB);
	assert_int_equal(m.swap_total, 0);
	assert_int_equal(m.swap_free, 0);
	assert_int_equal(m.have, HALO_HW_HAVE_MEM_AVAILABLE | HALO_HW_HAVE_SWAP);
	assert_int_equal(m.ttm_pages_limit, 0);
	assert_int_equal(m.ttm_page_pool_size, 0);
	assert_int_equal(m.amdgpu_gttsize_mib, -1);
	assert_string_equal(m.cpu_model, "Intel Xeon Processor (Icelake)");
	assert_int_equal(m.n_cpus, 4);
	assert_string_equal(m.kernel, "6.1.0-37-cloud-amd64");
	assert_int_equal(m.n_gpus, 0);
	assert_int_equal(halo_hw_gpu_memory_limit(&m, NULL), 0);
}

static void test_desktop_dgpu(void **state)
{
	(void)state;
	halo_machine m;
	detect_ok("desktop-dgpu", &m);

	assert_int_equal(m.mem_total, 64947200 * KIB);
	assert_int_equal(m.swap_total, 2097148 * KIB);
	assert_int_equal(m.ttm_pages_limit, 8118400);
	assert_string_equal(m.cpu_model, "AMD Ryzen 9 7950X 16-Core Processor");
	assert_string_equal(m.kernel, "6.11.0-29-generic");
	assert_int_equal(m.n_gpus, 2);

	/* card1: RX 7900 XTX, discrete: its VRAM is the limit, whatever the GTT. */
	const halo_gpu *d = &m.gpus[0];
	assert_string_equal(d->card, "card1");
	assert_int_equal(d->vendor, 0x1002);
	assert_int_equal(d->device, 0x744c);
	assert_int_equal(d->revision, 0xc8);
	assert_string_equal(d->driver, "amdgpu");
	assert_string_equal(d->pci_slot, "0000:03:00.0");
	assert_false(d->is_apu);
	assert_string_equal(d->gfx_target, "gfx1100");
	assert_int_equal(d->vram_total, 25753026560ull);
	assert_int_equal(d->vram_used, 1218387968);
	assert_int_equal(d->vis_vram_total, 25753026560ull);
	assert_int_equal(d->gtt_total, 33252966400ull);
	assert_int_equal(d->gtt_used, 21409792);
	assert_int_equal(d->have, all_mem);
	assert_false(halo_hw_apu_prefers_gtt(d));
	assert_int_equal(halo_hw_gpu_memory_limit(&m, d), 25753026560ull);
	assert_int_equal(halo_hw_gpu_memory_limit_for(&m, d, HALO_HW_BACKEND_ROCM), 25753026560ull);

	/* card2: the Ryzen 7000 iGPU, an APU by its id; its GTT is the same TTM pool. */
	const halo_gpu *i = &m.gpus[1];
	assert_string_equal(i->card, "card2");
	assert_int_equal(i->device, 0x164e);
	assert_string_equal(i->pci_slot, "0000:13:00.0");
	assert_true(i->is_apu);
	assert_string_equal(i->gfx_target, "gfx1036");
	assert_int_equal(i->vram_total, 536870912);
	assert_int_equal(i->gtt_total, 33252966400ull);
	assert_int_equal(halo_hw_gpu_memory_limit(&m, i), 33252966400ull + 536870912ull);
	assert_int_equal(halo_hw_gpu_memory_limit_for(&m, i, HALO_HW_BACKEND_ROCM), 33252966400ull);
}

static void test_desktop_nvidia(void **state)
{
	(void)state;
	halo_machine m;
	detect_ok("desktop-nvidia", &m);

	assert_int_equal(m.mem_total, 65650188 * KIB);
	assert_int_equal(m.ttm_pages_limit, 8206273);
	assert_string_equal(m.cpu_model, "13th Gen Intel(R) Core(TM) i9-13900K");
	assert_int_equal(m.n_gpus, 2);

	const halo_gpu *i = &m.gpus[0];
	assert_string_equal(i->card, "card0");
	assert_int_equal(i->vendor, HALO_PCI_VENDOR_INTEL);
	assert_int_equal(i->device, 0xa780);
	assert_string_equal(i->driver, "i915");
	assert_string_equal(i->pci_slot, "0000:00:02.0");
	assert_string_equal(halo_hw_vendor_name(i->vendor), "intel");
	assert_false(i->is_apu);
	assert_string_equal(i->gfx_target, "");
	assert_int_equal(i->have, 0);
	assert_int_equal(halo_hw_gpu_memory_limit(&m, i), 0);

	const halo_gpu *n = &m.gpus[1];
	assert_string_equal(n->card, "card1");
	assert_int_equal(n->vendor, HALO_PCI_VENDOR_NVIDIA);
	assert_int_equal(n->device, 0x2684);
	assert_int_equal(n->revision, 0xa1);
	assert_string_equal(n->driver, "nvidia");
	assert_string_equal(n->pci_slot, "0000:01:00.0");
	assert_string_equal(halo_hw_vendor_name(n->vendor), "nvidia");
	assert_int_equal(n->have, 0); /* no mem_info files: memory unknown, --gpu-mem needed */
	assert_int_equal(n->vram_total, 0);
	assert_int_equal(halo_hw_gpu_memory_limit(&m, n), 0);
	assert_int_equal(halo_hw_gpu_memory_limit_for(&m, n, HALO_HW_BACKEND_ROCM), 0);
	assert_null(halo_hw_vendor_name(0x1af4));
	assert_string_equal(halo_hw_vendor_name(0x1002), "amd");
}

/* ---------------------------------------------------------------- arithmetic */

static void test_ttm_pages(void **state)
{
	(void)state;
	/* The values the Strix Halo guides give for ttm.pages_limit. */
	assert_int_equal(halo_hw_ttm_pages_for(124 * GIB, 4096), 32505856);
	assert_int_equal(halo_hw_ttm_pages_for(126976 * MIB, 4096), 32505856);
	assert_int_equal(halo_hw_ttm_pages_for(96 * GIB, 4096), 25165824);
	assert_int_equal(halo_hw_ttm_pages_for(120 * GIB, 4096), 31457280);
	assert_int_equal(halo_hw_ttm_pages_for(128 * GIB, 0), 33554432); /* 0 means 4 KiB pages */
	/* Rounded up, so the pool is never smaller than asked. */
	assert_int_equal(halo_hw_ttm_pages_for(0, 4096), 0);
	assert_int_equal(halo_hw_ttm_pages_for(1, 4096), 1);
	assert_int_equal(halo_hw_ttm_pages_for(4097, 4096), 2);
	assert_int_equal(halo_hw_ttm_pages_for(UINT64_MAX, 4096), (UINT64_MAX >> 12) + 1);
	/* 64 KiB pages (some arm64 kernels). */
	assert_int_equal(halo_hw_ttm_pages_for(124 * GIB, 65536), 2031616);

	/* The kernel's default: half of MemTotal's pages, rounded down (amd-ttm's
	 * reading of 16469033 pages on a 125.65 GiB machine). */
	assert_int_equal(halo_hw_ttm_default_pages(131752268 * KIB, 4096), 16469033);
	assert_int_equal(halo_hw_ttm_default_pages(131752264 * KIB, 4096), 16469033);
	assert_int_equal(halo_hw_ttm_default_pages(8191, 4096), 0);
	assert_int_equal(halo_hw_ttm_default_pages(64 * GIB, 0), 8388608);
}

static void test_limit_rules(void **state)
{
	(void)state;
	halo_machine m;
	memset(&m, 0, sizeof(m));
	m.mem_total = 60 * GIB;

	/* GTT set above MemTotal (e.g. pages_limit for 128 GiB on a 125 GiB
	 * machine): the pool cannot hold more than the RAM behind it. */
	halo_gpu g;
	memset(&g, 0, sizeof(g));
	g.vendor = 0x1002;
	g.is_apu = true;
	g.vram_total = 512 * MIB;
	g.gtt_total = 64 * GIB;
	g.have = HALO_GPU_HAVE_VRAM_TOTAL | HALO_GPU_HAVE_GTT_TOTAL;
	assert_int_equal(halo_hw_gpu_memory_limit(&m, &g), 60 * GIB + 512 * MIB);
	assert_int_equal(halo_hw_gpu_memory_limit_for(&m, &g, HALO_HW_BACKEND_ROCM), 60 * GIB);
	assert_int_equal(halo_hw_gpu_memory_limit(NULL, &g), 64 * GIB + 512 * MIB);

	/* A large carve-out (96 GiB of 128): VRAM >= GTT, so amdgpu stops
	 * preferring GTT and ROCm allocates from the carve-out only. */
	m.mem_total = 30 * GIB;
	g.vram_total = 96 * GIB;
	g.gtt_total = 15 * GIB;
	assert_false(halo_hw_apu_prefers_gtt(&g));
	assert_int_equal(halo_hw_gpu_memory_limit_for(&m, &g, HALO_HW_BACKEND_ROCM), 96 * GIB);
	assert_int_equal(halo_hw_gpu_memory_limit_for(&m, &g, HALO_HW_BACKEND_VULKAN), 111 * GIB);

	/* An APU without GTT information: unknown, not guessed. */
	g.have = HALO_GPU_HAVE_VRAM_TOTAL;
	assert_int_equal(halo_hw_gpu_memory_limit(&m, &g), 0);
	assert_false(halo_hw_apu_prefers_gtt(&g));

	/* Saturating, never wrapping. */
	g.have = HALO_GPU_HAVE_VRAM_TOTAL | HALO_GPU_HAVE_GTT_TOTAL;
	g.vram_total = UINT64_MAX - 1;
	g.gtt_total = 10;
	assert_int_equal(halo_hw_gpu_memory_limit(NULL, &g), UINT64_MAX);
	assert_int_equal(halo_hw_gpu_memory_limit(NULL, NULL), 0);
}

/* ---------------------------------------------------------------- hostile input */

/* Detection over a tree whose meminfo is `text` fails with `code`, naming the file (and `want`). */
static void expect_meminfo_error(const char *text, size_t len, int code, const char *want)
{
	tree t;
	halo_machine m;
	char path[4200];

	tree_init(&t, "hw-meminfo");
	put_n(t.proc, "meminfo", text, len);
	snprintf(path, sizeof(path), "'%s/meminfo'", t.proc);
	int rc = halo_hw_detect(&m, &t.opts);
	if (rc != code)
		fail_msg("meminfo %.40s...: got %d (%s), want %d", text, rc, halo_error_last()->message, code);
	const char *msg = halo_error_last()->message;
	if (!strstr(msg, path) || (want && !strstr(msg, want)))
		fail_msg("message '%s' lacks %s or '%s'", msg, path, want ? want : "");
	assert_int_equal(m.mem_total, 0); /* nothing half-filled is left behind */
}

static void test_meminfo_malformed(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "MemFree:        12000000 kB\nMemAvailable:   14000000 kB\n", "no MemTotal line" },
		{ "", "no MemTotal line" },
		{ "MemTotal:       abc kB\n", "line 1: 'MemTotal' value 'abc kB' is not a number of kB" },
		{ "MemTotal:       16000000 kB\nMemAvailable:   12x4 kB\n", "line 2: 'MemAvailable'" },
		{ "MemTotal:       -16000000 kB\n", "line 1" },
		{ "MemTotal:       16000000\n", "line 1: 'MemTotal' value '16000000' is not a number of kB" },
		{ "MemTotal:       16000000 MB\n", "line 1" },
		{ "MemTotal:       kB\n", "line 1" },
		{ "MemTotal:\n", "line 1" },
		/* 2^54 kB is 2^64 bytes: one past what the result can hold. */
		{ "MemTotal:       18014398509481984 kB\n", "line 1: 'MemTotal' value 18014398509481984 kB overflows" },
		{ "MemTotal:       18014398509481983 kB\nSwapTotal:      99999999999999999999999 kB\n",
		  "line 2: 'SwapTotal' value '99999999999999999999999 kB' is out of range" },
		{ "MemTotal:       16000000 kB\ngarbage line\n", "line 2: expected 'Name: value', got 'garbage line'" },
		{ "MemTotal:       16000000 kB\n: 12 kB\n", "line 2: expected 'Name: value'" },
		{ "MemTotal:       16000000 kB\nMem Free: 12 kB\n", "line 2: bad field name 'Mem Free'" },
		{ "MemTotal:       16000000 kB\nMemTotal:       16000000 kB\n", "line 2: duplicate 'MemTotal'" },
		{ "MemTotal:              0 kB\n", "MemTotal is 0" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_meminfo_error(cases[i].text, strlen(cases[i].text), HALO_EFORMAT, cases[i].want);

	/* NUL bytes and binary junk: an error, not a crash or a silent misread. */
	static const char nul[] = "MemTotal:       16\0" "000000 kB\n";
	expect_meminfo_error(nul, sizeof(nul) - 1, HALO_EFORMAT, "line 1: 'MemTotal' value '16?000000 kB'");
	static const char bin[] = "\x7f"
				  "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0\x01\0\0\0";
	expect_meminfo_error(bin, sizeof(bin) - 1, HALO_EFORMAT, "line 1");

	/* A runaway file hits the 64 KiB cap. */
	size_t big = 70 * 1024;
	char *text = malloc(big + 1);
	assert_non_null(text);
	size_t n = (size_t)snprintf(text, big, "MemTotal:       16000000 kB\n");
	while (n + 24 < big)
		n += (size_t)snprintf(text + n, big - n, "Padding%06zu:   1 kB\n", n);
	expect_meminfo_error(text, n, HALO_ENOMEM, "larger than");
	free(text);

	/* A good meminfo without the optional lines: no MemAvailable, no swap. */
	tree t;
	halo_machine m;
	tree_init(&t, "hw-meminfo-min");
	put(t.proc, "meminfo", "MemTotal:       16000000 kB\r\n\nHugePages_Total:       0\n");
	if (halo_hw_detect(&m, &t.opts))
		fail_msg("%s", halo_error_last()->message);
	assert_int_equal(m.mem_total, 16000000 * KIB);
	assert_int_equal(m.have, 0);
	assert_int_equal(m.n_cpus, 0); /* no cpuinfo in a recorded tree: unknown, not an error */
	assert_string_equal(m.cpu_model, "");
	assert_string_equal(m.kernel, "");
}

static void test_missing_roots(void **state)
{
	(void)state;
	halo_machine m;
	halo_hw_opts opts = HALO_HW_OPTS_INIT;
	tree t;

	tree_init(&t, "hw-roots");
	opts.sysfs_root = t.sys;
	opts.proc_root = "/nonexistent/halo-test/proc";
	assert_int_equal(halo_hw_detect(&m, &opts), HALO_ENOTFOUND);
	assert_non_null(strstr(halo_error_last()->message, "proc root '/nonexistent/halo-test/proc'"));

	opts.proc_root = t.proc;
	opts.sysfs_root = "/nonexistent/halo-test/sys";
	put(t.proc, "meminfo", good_meminfo);
	assert_int_equal(halo_hw_detect(&m, &opts), HALO_ENOTFOUND);
	assert_non_null(strstr(halo_error_last()->message, "sysfs root '/nonexistent/halo-test/sys'"));

	/* The root is a file. */
	char file[4200];
	snprintf(file, sizeof(file), "%s/meminfo", t.proc);
	opts.sysfs_root = t.sys;
	opts.proc_root = file;
	assert_int_equal(halo_hw_detect(&m, &opts), HALO_ENOTFOUND);
	assert_non_null(strstr(halo_error_last()->message, "is not a directory"));

	/* The root exists but has no meminfo. */
	tree_init(&t, "hw-roots-empty");
	assert_int_equal(halo_hw_detect(&m, &t.opts), HALO_ENOTFOUND);
	snprintf(file, sizeof(file), "'%s/meminfo' does not exist", t.proc);
	assert_string_equal(halo_error_last()->message, file);

	/* Options from a future version are refused rather than misread. */
	opts.version = 99;
	assert_int_equal(halo_hw_detect(&m, &opts), HALO_EUSAGE);
	assert_int_equal(halo_hw_detect(NULL, NULL), HALO_EUSAGE);
}

static void test_card_order(void **state)
{
	(void)state;
	tree t;
	halo_machine m;

	tree_init(&t, "hw-order");
	put(t.proc, "meminfo", good_meminfo);
	put(t.sys, "class/drm/version", "drm 1.1.0 20060810\n");
	put_amd_card(&t, "card10", "0x744c\n", 24 * GIB, 24 * GIB, 8 * GIB);
	put_amd_card(&t, "card2", "0x7480\n", 8 * GIB, 256 * MIB, 8 * GIB);
	put(t.sys, "class/drm/card2-DP-1/status", "connected\n");
	put(t.sys, "class/drm/card2-eDP-1/status", "connected\n");
	put(t.sys, "class/drm/card02/device/vendor", "0x1002\n"); /* not a card name */
	put(t.sys, "class/drm/renderD128/dev", "226:128\n");
	put(t.sys, "class/drm/controlD64/dev", "226:64\n");
	put(t.sys, "class/drm/card3/dev", "226:3\n"); /* simpledrm-like: no PCI device */
	put(t.sys, "class/drm/card0/device/modalias", "platform:simple-framebuffer\n");
	if (halo_hw_detect(&m, &t.opts))
		fail_msg("%s", halo_error_last()->message);
	assert_int_equal(m.n_gpus, 2);
	assert_string_equal(m.gpus[0].card, "card2");
	assert_string_equal(m.gpus[0].gfx_target, "gfx1102");
	assert_string_equal(m.gpus[0].driver, "amdgpu"); /* from uevent: no driver link here */
	assert_string_equal(m.gpus[0].pci_slot, "0000:0a:00.0");
	assert_string_equal(m.gpus[1].card, "card10");
	assert_int_equal(m.gpus[1].vram_total, 24 * GIB);
	assert_int_equal(m.have & HALO_HW_GPUS_TRUNCATED, 0);
	assert_int_equal(m.page_size, 4096);

	/* More cards than HALO_MAX_GPUS: the lowest numbers are kept, in order, and flagged. */
	tree_init(&t, "hw-many");
	put(t.proc, "meminfo", good_meminfo);
	for (int i = 20; i >= 0; i--) {
		char card[16];
		snprintf(card, sizeof(card), "card%d", i);
		put_amd_card(&t, card, "0x744c\n", 24 * GIB, 24 * GIB, 8 * GIB);
	}
	t.opts.page_size = 65536;
	if (halo_hw_detect(&m, &t.opts))
		fail_msg("%s", halo_error_last()->message);
	assert_int_equal(m.n_gpus, HALO_MAX_GPUS);
	for (size_t i = 0; i < HALO_MAX_GPUS; i++) {
		char card[16];
		snprintf(card, sizeof(card), "card%zu", i);
		assert_string_equal(m.gpus[i].card, card);
	}
	assert_true(m.have & HALO_HW_GPUS_TRUNCATED);
	assert_int_equal(m.page_size, 65536);
}

static void test_apu_heuristic(void **state)
{
	(void)state;
	tree t;
	halo_machine m;

	tree_init(&t, "hw-apu");
	put(t.proc, "meminfo", good_meminfo);
	/* Unknown ids. A 1 GiB fully visible carve-out beside a 16 GiB GTT: an APU. */
	put_amd_card(&t, "card0", "0x9f01\n", 1 * GIB, 1 * GIB, 16 * GIB);
	/* An 8 GiB card: discrete, even though the GTT is bigger. */
	put_amd_card(&t, "card1", "0x9f02\n", 8 * GIB, 8 * GIB, 32 * GIB);
	/* 2 GiB with the classic 256 MiB BAR: an old discrete card. */
	put_amd_card(&t, "card2", "0x9f03\n", 2 * GIB, 256 * MIB, 16 * GIB);
	/* Carve-out not small next to GTT (4 GiB of 8): not enough evidence. */
	put_amd_card(&t, "card3", "0x9f04\n", 2 * GIB, 2 * GIB, 6 * GIB);
	/* A known APU id with a large carve-out is an APU by the table. */
	put_amd_card(&t, "card4", "0x1586\n", 96 * GIB, 96 * GIB, 15 * GIB);
	if (halo_hw_detect(&m, &t.opts))
		fail_msg("%s", halo_error_last()->message);
	assert_int_equal(m.n_gpus, 5);
	assert_true(m.gpus[0].is_apu);
	assert_string_equal(m.gpus[0].gfx_target, "");
	assert_false(m.gpus[1].is_apu);
	assert_false(m.gpus[2].is_apu);
	assert_false(m.gpus[3].is_apu);
	assert_true(m.gpus[4].is_apu);
	assert_false(halo_hw_apu_prefers_gtt(&m.gpus[4]));
	/* ROCm on a large carve-out: the carve-out only; Vulkan: both pools (GTT capped by MemTotal). */
	assert_int_equal(halo_hw_gpu_memory_limit_for(&m, &m.gpus[4], HALO_HW_BACKEND_ROCM), 96 * GIB);
	assert_int_equal(halo_hw_gpu_memory_limit(&m, &m.gpus[4]), 96 * GIB + 15 * GIB);
}

static void test_sysfs_malformed(void **state)
{
	(void)state;
	static const struct {
		const char *rel, *text, *want;
	} cases[] = {
		{ "class/drm/card0/device/vendor", "zzz\n", "card0/device/vendor': expected a hexadecimal number, got 'zzz?'" },
		{ "class/drm/card0/device/vendor", "0x1002a\n", "is not a PCI vendor id" },
		{ "class/drm/card0/device/mem_info_vram_total", "12 GB\n", "mem_info_vram_total': expected a decimal" },
		{ "class/drm/card0/device/mem_info_gtt_total", "99999999999999999999\n", "mem_info_gtt_total'" },
		{ "class/drm/card0/device/mem_info_gtt_total", "", "mem_info_gtt_total'" },
		{ "module/ttm/parameters/pages_limit", "-5\n", "pages_limit': expected a decimal number" },
		{ "module/amdgpu/parameters/gttsize", "auto\n", "gttsize': expected a decimal number" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tree t;
		halo_machine m;
		tree_init(&t, "hw-sysfs");
		put(t.proc, "meminfo", good_meminfo);
		put_amd_card(&t, "card0", "0x1586\n", 512 * MIB, 512 * MIB, 8 * GIB);
		put(t.sys, cases[i].rel, cases[i].text);
		int rc = halo_hw_detect(&m, &t.opts);
		if (rc != HALO_EFORMAT || !strstr(halo_error_last()->message, cases[i].want))
			fail_msg("%s = '%s': got %d '%s'", cases[i].rel, cases[i].text, rc, halo_error_last()->message);
	}

	/* An oversized attribute is refused, not read without bound. */
	tree t;
	halo_machine m;
	char big[8192];
	tree_init(&t, "hw-sysfs-big");
	put(t.proc, "meminfo", good_meminfo);
	memset(big, '1', sizeof(big));
	put_n(t.sys, "module/ttm/parameters/pages_limit", big, sizeof(big));
	assert_int_equal(halo_hw_detect(&m, &t.opts), HALO_EFORMAT);
	assert_non_null(strstr(halo_error_last()->message, "is longer than 4096 bytes"));

	/* Accepted forms: surrounding whitespace, upper-case hex, a negative gttsize. */
	tree_init(&t, "hw-sysfs-ok");
	put(t.proc, "meminfo", good_meminfo);
	put(t.sys, "class/drm/card0/device/vendor", " 0X10DE \n");
	put(t.sys, "class/drm/card0/device/device", "0x2B85");
	put(t.sys, "module/amdgpu/parameters/gttsize", "-1");
	put(t.sys, "module/ttm/parameters/pages_limit", "\t4194304\n");
	if (halo_hw_detect(&m, &t.opts))
		fail_msg("%s", halo_error_last()->message);
	assert_int_equal(m.gpus[0].vendor, 0x10de);
	assert_int_equal(m.gpus[0].device, 0x2b85);
	assert_string_equal(m.gpus[0].driver, "");
	assert_string_equal(m.gpus[0].pci_slot, "");
	assert_int_equal(m.amdgpu_gttsize_mib, -1);
	assert_true(m.have & HALO_HW_HAVE_GTTSIZE);
	assert_int_equal(m.ttm_pages_limit, 4194304);
}

static void test_cpuinfo_forms(void **state)
{
	(void)state;
	tree t;
	halo_machine m;

	/* arm64 cpuinfo has no "model name"; the count still comes out. */
	tree_init(&t, "hw-cpuinfo");
	put(t.proc, "meminfo", good_meminfo);
	put(t.proc, "cpuinfo",
	    "processor\t: 0\nBogoMIPS\t: 2000.00\nCPU implementer\t: 0x41\n\n"
	    "processor\t: 1\nBogoMIPS\t: 2000.00\nCPU implementer\t: 0x41\n\n"
	    "Hardware\t: something\n");
	put(t.proc, "sys/kernel/osrelease", "  6.12.0-rpi \n");
	if (halo_hw_detect(&m, &t.opts))
		fail_msg("%s", halo_error_last()->message);
	assert_int_equal(m.n_cpus, 2);
	assert_string_equal(m.cpu_model, "");
	assert_string_equal(m.kernel, "6.12.0-rpi");

	/* A model name longer than the field is cut, control bytes are masked. */
	char long_name[400];
	memset(long_name, 'x', sizeof(long_name));
	memcpy(long_name, "processor : 0\nmodel name : A\tB", 30);
	long_name[sizeof(long_name) - 1] = '\n';
	put_n(t.proc, "cpuinfo", long_name, sizeof(long_name));
	if (halo_hw_detect(&m, &t.opts))
		fail_msg("%s", halo_error_last()->message);
	assert_int_equal(strlen(m.cpu_model), sizeof(m.cpu_model) - 1);
	assert_memory_equal(m.cpu_model, "A?B", 3);
}

/* ---------------------------------------------------------------- live */

static void test_live_machine(void **state)
{
	(void)state;
	halo_machine m;
	if (halo_hw_detect(&m, NULL))
		fail_msg("live: %s", halo_error_last()->message);
	long ps = sysconf(_SC_PAGESIZE);
	long pages = sysconf(_SC_PHYS_PAGES);
	assert_true(m.mem_total > 0);
	assert_int_equal(m.page_size, (uint64_t)ps);
	/* glibc's _SC_PHYS_PAGES and MemTotal both come from the kernel's totalram. */
	if (pages > 0) {
		uint64_t phys = (uint64_t)pages * (uint64_t)ps;
		uint64_t diff = phys > m.mem_total ? phys - m.mem_total : m.mem_total - phys;
		if (diff > 64 * MIB)
			fail_msg("MemTotal %llu vs _SC_PHYS_PAGES %llu", (unsigned long long)m.mem_total,
				 (unsigned long long)phys);
	}
	assert_true(m.n_cpus > 0);
	assert_true(m.mem_available <= m.mem_total || !(m.have & HALO_HW_HAVE_MEM_AVAILABLE));
	assert_true(m.kernel[0] != '\0');
	for (size_t i = 0; i < m.n_gpus; i++)
		assert_true(m.gpus[i].card[0] != '\0');
	print_message("live: %s, %d cpus, %llu MiB, %zu gpu(s), kernel %s\n", m.cpu_model, m.n_cpus,
		      (unsigned long long)(m.mem_total / MIB), m.n_gpus, m.kernel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strix_halo_64),
		cmocka_unit_test(test_strix_halo_128),
		cmocka_unit_test(test_no_gpu),
		cmocka_unit_test(test_desktop_dgpu),
		cmocka_unit_test(test_desktop_nvidia),
		cmocka_unit_test(test_ttm_pages),
		cmocka_unit_test(test_limit_rules),
		cmocka_unit_test(test_meminfo_malformed),
		cmocka_unit_test(test_missing_roots),
		cmocka_unit_test(test_card_order),
		cmocka_unit_test(test_apu_heuristic),
		cmocka_unit_test(test_sysfs_malformed),
		cmocka_unit_test(test_cpuinfo_forms),
		cmocka_unit_test(test_live_machine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
