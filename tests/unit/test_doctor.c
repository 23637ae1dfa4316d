/*
 * halo doctor on the recorded trees in tests/fixtures/hw (what each tree
 * holds: tests/fixtures/hw/README.md and docs/doctor.md): the status of every
 * check and the key values in its evidence and fix; then edge cases built in
 * a private root (llama.cpp in PATH, malformed ICD manifests, group names that
 * are prefixes of the user's).
 */
#include "testutil.h"

#include "doctor.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static halo_doctor_report report;

/* Runs the doctor on fixture `name` (sys, proc and root all from it) with an empty PATH. */
static void run_fixture(const char *name, const char *root_override, const char *path)
{
	static char sys[4096], proc[4096], root[4096];
	snprintf(sys, sizeof(sys), "%s/tests/fixtures/hw/%s/sys", test_source_dir(), name);
	snprintf(proc, sizeof(proc), "%s/tests/fixtures/hw/%s/proc", test_source_dir(), name);
	snprintf(root, sizeof(root), "%s/tests/fixtures/hw/%s", test_source_dir(), name);
	halo_doctor_opts o = HALO_DOCTOR_OPTS_INIT;
	o.sysfs_root = sys;
	o.proc_root = proc;
	o.root = root_override ? root_override : root;
	o.user = "halo";
	o.path = path ? path : "/nonexistent-halo-test";
	if (halo_doctor_run(&report, &o))
		fail_msg("%s: %s", name, halo_error_last()->message);
}

/* Asserts the finding's status, and that its evidence (and fix, when given) contain the strings. */
static const halo_doctor_finding *expect(const char *id, halo_doctor_status st, const char *evidence, const char *fix)
{
	const halo_doctor_finding *f = halo_doctor_find(&report, id);
	if (!f)
		fail_msg("no finding '%s'", id);
	if (f->status != st)
		fail_msg("%s: status %s, expected %s (%s)", id, halo_doctor_status_name(f->status),
			 halo_doctor_status_name(st), f->title);
	if (evidence && !strstr(f->evidence, evidence))
		fail_msg("%s: evidence lacks '%s': %s", id, evidence, f->evidence);
	if (fix && !strstr(f->fix, fix))
		fail_msg("%s: fix lacks '%s': %s", id, fix, f->fix);
	if (!fix && st != HALO_DOCTOR_WARN && st != HALO_DOCTOR_FAIL && f->fix[0] && strcmp(id, "iommu") &&
	    strcmp(id, "ttm"))
		fail_msg("%s: unexpected fix '%s'", id, f->fix);
	if ((st == HALO_DOCTOR_WARN || st == HALO_DOCTOR_FAIL) && !f->fix[0])
		fail_msg("%s: a %s without a fix", id, halo_doctor_status_name(st));
	return f;
}

static void test_strix_halo_64(void **state)
{
	(void)state;
	run_fixture("strix-halo-64", NULL, NULL);
	expect("gpu", HALO_DOCTOR_OK, "card1: 1002:1586 (amd) driver amdgpu, gfx1151, APU", NULL);
	assert_non_null(strstr(halo_doctor_find(&report, "gpu")->title, "gfx1151"));
	expect("vram", HALO_DOCTOR_OK, "mem_info_vram_total: 536870912", NULL);
	expect("gtt", HALO_DOCTOR_WARN, "mem_info_gtt_total: 33579294720", "ttm.pages_limit");
	/* MemTotal 65584560 kB - 4 GiB = 62867376 KiB = 15716844 pages... in bytes / 4096, rounded up. */
	uint64_t want = (65584560ull * 1024 - (4ull << 30) + 4095) / 4096;
	char num[64];
	snprintf(num, sizeof(num), "ttm.pages_limit=%llu", (unsigned long long)want);
	expect("ttm", HALO_DOCTOR_WARN, "pages_limit: 8198070", num);
	snprintf(num, sizeof(num), "options ttm pages_limit=%llu", (unsigned long long)want);
	expect("ttm", HALO_DOCTOR_WARN, "kernel default 8198070", num);
	assert_int_equal(want, 15347564);
	expect("iommu", HALO_DOCTOR_INFO, "1 unit (ivhd0)", "iommu=pt");
	assert_non_null(strstr(halo_doctor_find(&report, "iommu")->fix, "NPU"));
	expect("kernel", HALO_DOCTOR_OK, "6.14.0-1014-oem", NULL);
	expect("swap", HALO_DOCTOR_OK, "/swap.img (file)", NULL);
	expect("power", HALO_DOCTOR_WARN, "platform_profile: balanced", "echo performance | sudo tee");
	expect("groups", HALO_DOCTOR_WARN, "group render (gid 992): not a member", "sudo usermod -aG render halo");
	expect("groups", HALO_DOCTOR_WARN, "group video (gid 44): member", NULL);
	expect("devices", HALO_DOCTOR_WARN, "dev/kfd: absent", "--device /dev/kfd");
	expect("devices", HALO_DOCTOR_WARN, "dev/dri/renderD128: read-write", NULL);
	expect("backends", HALO_DOCTOR_WARN, "llama-server: not in PATH", "-DAMDGPU_TARGETS=gfx1151");
	expect("vulkan", HALO_DOCTOR_WARN, "amd_icd64.json -> AMDVLK", "AMD_VULKAN_ICD=RADV");
	expect("vulkan", HALO_DOCTOR_WARN, "radeon_icd.x86_64.json -> RADV", NULL);
	assert_int_equal(report.n, 12);
}

static void test_strix_halo_128(void **state)
{
	(void)state;
	run_fixture("strix-halo-128", NULL, NULL);
	expect("gpu", HALO_DOCTOR_OK, "gfx1151, APU", NULL);
	expect("vram", HALO_DOCTOR_OK, "536870912", NULL);
	expect("gtt", HALO_DOCTOR_OK, "mem_info_gtt_total: 133143986176 (124.00 GiB)", NULL);
	/* pages_limit is above RAM minus headroom: fine, but gttsize is deprecated. */
	expect("ttm", HALO_DOCTOR_INFO, "pages_limit: 32505856", "remove amdgpu.gttsize=126976");
	expect("ttm", HALO_DOCTOR_INFO, "gttsize: 126976", NULL);
	expect("iommu", HALO_DOCTOR_INFO, "amd_iommu=off", "replace amd_iommu=off with iommu=pt");
	assert_non_null(strstr(halo_doctor_find(&report, "iommu")->fix, "amdxdna"));
	expect("kernel", HALO_DOCTOR_OK, "6.18.5-200.fc43.x86_64", NULL);
	expect("swap", HALO_DOCTOR_OK, "/dev/zram0 (partition)", NULL);
	expect("power", HALO_DOCTOR_OK, "platform_profile: performance", NULL);
	expect("groups", HALO_DOCTOR_OK, "group render (gid 105): member", NULL);
	expect("devices", HALO_DOCTOR_OK, "dev/kfd: read-write", NULL);
	expect("vulkan", HALO_DOCTOR_OK, "-> RADV", NULL);
}

static void test_desktop_dgpu(void **state)
{
	(void)state;
	run_fixture("desktop-dgpu", NULL, NULL);
	/* The RX 7900 XTX, not the Raphael iGPU beside it. */
	const halo_doctor_finding *f = expect("gpu", HALO_DOCTOR_OK, "card2: 1002:164e (amd) driver amdgpu, gfx1036, APU", NULL);
	assert_non_null(strstr(f->title, "card1: gfx1100 (discrete)"));
	expect("vram", HALO_DOCTOR_OK, "mem_info_vram_total: 25753026560", NULL);
	expect("gtt", HALO_DOCTOR_INFO, NULL, NULL);
	expect("ttm", HALO_DOCTOR_INFO, NULL, NULL);
	assert_string_equal(halo_doctor_find(&report, "ttm")->fix, "");
	expect("iommu", HALO_DOCTOR_OK, "iommu=pt", NULL);
	expect("kernel", HALO_DOCTOR_OK, "6.11.0-29-generic", NULL);
	expect("power", HALO_DOCTOR_INFO, "platform_profile: absent", NULL);
	expect("groups", HALO_DOCTOR_INFO, NULL, NULL);
	expect("devices", HALO_DOCTOR_OK, "renderD129: read-write", NULL);
	expect("vulkan", HALO_DOCTOR_WARN, "no ICD manifest", "mesa-vulkan-drivers");
}

static void test_no_gpu_and_nvidia(void **state)
{
	(void)state;
	run_fixture("no-gpu", NULL, NULL);
	const halo_doctor_finding *f = expect("gpu", HALO_DOCTOR_INFO, "no PCI display device", NULL);
	assert_non_null(strstr(f->title, "no GPU"));
	assert_null(halo_doctor_find(&report, "gtt"));
	assert_null(halo_doctor_find(&report, "ttm"));
	expect("iommu", HALO_DOCTOR_INFO, "0 units", NULL);
	expect("kernel", HALO_DOCTOR_OK, "6.1.0-37-cloud-amd64", NULL);
	expect("swap", HALO_DOCTOR_WARN, "SwapTotal: 0.00 GiB", "sudo mkswap /swapfile");
	expect("devices", HALO_DOCTOR_INFO, NULL, NULL);
	expect("vulkan", HALO_DOCTOR_INFO, NULL, NULL);
	expect("backends", HALO_DOCTOR_WARN, NULL, "cmake -B build");

	run_fixture("desktop-nvidia", NULL, NULL);
	f = expect("gpu", HALO_DOCTOR_INFO, "card1: 10de:2684 (nvidia) driver nvidia", NULL);
	assert_non_null(strstr(f->title, "no AMD GPU"));
	expect("swap", HALO_DOCTOR_OK, "SwapTotal: 2.00 GiB", NULL);
	for (size_t i = 0; i < report.n; i++)
		assert_int_not_equal(report.items[i].status, HALO_DOCTOR_FAIL);
}

static void mkdirs(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	mkdir(tmp, 0755);
}

static void put(const char *dir, const char *rel, const char *text)
{
	char path[4096], parent[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	snprintf(parent, sizeof(parent), "%s", path);
	*strrchr(parent, '/') = '\0';
	mkdirs(parent);
	test_write_file(path, text, strlen(text));
}

/* A private root: llama.cpp in PATH, hostile ICD manifests, a prefix-named user, tuned. */
static void test_private_root(void **state)
{
	(void)state;
	const char *root = test_tmpdir("doctor-root");
	char bin[4096], path[4096];
	snprintf(bin, sizeof(bin), "%s/bin", root);
	put(root, "bin/llama-server", "#!/bin/sh\n");
	put(root, "bin/llama-bench", "#!/bin/sh\n");
	put(root, "bin/llama-cli", "not executable\n");
	snprintf(path, sizeof(path), "%s/bin/llama-server", root);
	chmod(path, 0755);
	snprintf(path, sizeof(path), "%s/bin/llama-bench", root);
	chmod(path, 0755);
	put(root, "usr/share/vulkan/icd.d/broken.json", "{\"ICD\": {\"library_path\": ");
	put(root, "usr/share/vulkan/icd.d/nolib.json", "{\"ICD\": {\"api_version\": 1}}");
	put(root, "usr/share/vulkan/icd.d/lvp_icd.x86_64.json", "{\"ICD\": {\"library_path\": \"libvulkan_lvp.so\"}}");
	put(root, "usr/share/vulkan/icd.d/dup.json", "{\"ICD\": {\"library_path\": \"a\"}, \"ICD\": {}}");
	/* "hal" is a prefix of "halo": halo's membership must not count for hal, and a
	 * line without a member list is no membership at all. */
	put(root, "etc/group", "video:x:44:halo,other\nrender:x:992\n");
	put(root, "etc/passwd", "hal:x:1001:44:hal:/home/hal:/bin/sh\n");
	put(root, "etc/tuned/active_profile", "balanced\n");
	put(root, "dev/dri/renderD128", "");
	put(root, "dev/kfd", "");

	char spath[8192];
	snprintf(spath, sizeof(spath), "/nonexistent::%s", bin);
	static char sys[4096], proc[4096];
	snprintf(sys, sizeof(sys), "%s/tests/fixtures/hw/strix-halo-128/sys", test_source_dir());
	snprintf(proc, sizeof(proc), "%s/tests/fixtures/hw/strix-halo-128/proc", test_source_dir());
	halo_doctor_opts o = HALO_DOCTOR_OPTS_INIT;
	o.sysfs_root = sys;
	o.proc_root = proc;
	o.root = root;
	o.user = "hal";
	o.path = spath;
	assert_int_equal(halo_doctor_run(&report, &o), 0);

	const halo_doctor_finding *f = expect("backends", HALO_DOCTOR_OK, "llama-server: ", NULL);
	assert_non_null(strstr(f->evidence, "/bin/llama-bench"));
	assert_non_null(strstr(f->evidence, "llama-cli: not in PATH"));
	f = expect("vulkan", HALO_DOCTOR_WARN, "broken.json -> unreadable", "mesa-vulkan-drivers");
	assert_non_null(strstr(f->evidence, "nolib.json -> unreadable"));
	assert_non_null(strstr(f->evidence, "dup.json -> unreadable"));
	assert_non_null(strstr(f->evidence, "lvp_icd.x86_64.json -> libvulkan_lvp.so"));
	/* hal's primary gid is video's: a member of video, not of render. */
	expect("groups", HALO_DOCTOR_WARN, "group video (gid 44): member", "sudo usermod -aG render hal");
	expect("groups", HALO_DOCTOR_WARN, "group render (gid 992): not a member", NULL);
	/* platform_profile (performance) wins over tuned. */
	expect("power", HALO_DOCTOR_OK, "active_profile: balanced", NULL);

	/* Registered backends count, and say which cannot run; a broken file is a failure. */
	char conf[4200], cbody[8500];
	snprintf(conf, sizeof(conf), "%s/backends.conf", root);
	snprintf(cbody, sizeof(cbody), "[backend radv]\nbin = %s\nenv = AMD_VULKAN_ICD=RADV\n[backend rocm]\nbin = /nonexistent-rocm\n", bin);
	test_write_file(conf, cbody, strlen(cbody));
	o.backends_file = conf;
	o.path = "/nonexistent";
	assert_int_equal(halo_doctor_run(&report, &o), 0);
	f = expect("backends", HALO_DOCTOR_OK, "backend 'radv': ", NULL);
	assert_string_equal(f->title, "1 registered llama.cpp backend");
	assert_non_null(strstr(f->evidence, "backend 'rocm': /nonexistent-rocm (no llama-server there)"));
	assert_non_null(strstr(f->evidence, "llama-server: not in PATH"));
	test_write_file(conf, "[backend\n", 9);
	assert_int_equal(halo_doctor_run(&report, &o), 0);
	expect("backends", HALO_DOCTOR_FAIL, "backends.conf:1: expected '[backend NAME]'", "docs/backends.md");
	o.backends_file = NULL;
	o.path = spath;

	/* A larger headroom lowers the recommendation below the 124 GiB in force. */
	o.headroom = (uint64_t)8 << 30;
	assert_int_equal(halo_doctor_run(&report, &o), 0);
	expect("ttm", HALO_DOCTOR_INFO, "recommended (MemTotal - 8.0 GiB) 30840915", NULL);
}

static void test_bad_opts(void **state)
{
	(void)state;
	halo_doctor_opts o = HALO_DOCTOR_OPTS_INIT;
	o.version = 99;
	assert_int_equal(halo_doctor_run(&report, &o), HALO_EUSAGE);
	assert_int_equal(report.n, 0);
	o.version = HALO_DOCTOR_OPTS_VERSION;
	o.proc_root = "/nonexistent-halo-proc";
	o.sysfs_root = "/nonexistent-halo-sys";
	assert_int_equal(halo_doctor_run(&report, &o), HALO_ENOTFOUND);
	assert_int_equal(report.n, 0);
	assert_string_equal(halo_doctor_status_name(HALO_DOCTOR_FAIL), "fail");
}

/* The live machine: whatever it is, every check reports and none crashes. */
static void test_live(void **state)
{
	(void)state;
	assert_int_equal(halo_doctor_run(&report, NULL), 0);
	assert_non_null(halo_doctor_find(&report, "gpu"));
	assert_non_null(halo_doctor_find(&report, "kernel"));
	assert_non_null(halo_doctor_find(&report, "vulkan"));
	assert_true(report.n >= 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strix_halo_64),
		cmocka_unit_test(test_strix_halo_128),
		cmocka_unit_test(test_desktop_dgpu),
		cmocka_unit_test(test_no_gpu_and_nvidia),
		cmocka_unit_test(test_private_root),
		cmocka_unit_test(test_bad_opts),
		cmocka_unit_test(test_live),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
