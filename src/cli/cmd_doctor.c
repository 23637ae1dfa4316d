/*
 * halo doctor: checks this machine (or a recorded tree) for what holds
 * llama.cpp back on an AMD GPU, printing each finding with the evidence it
 * read and the exact fix. Exits 0 whatever it finds: the findings are the
 * result; only a failure to read the machine at all is an error.
 */
#include "cli.h"
#include "options.h"

#include "doctor.h"
#include "error.h"

#include <stdio.h>
#include <string.h>

static const char *const usage[] = {
	"halo doctor [--json] [--sysfs-root <dir>] [--proc-root <dir>] [--root <dir>] [--user <name>]",
	NULL,
};
static const struct command_help help = {
	usage,
	"Checks the GPU (PCI vendor 0x1002, gfx target), the VRAM carve-out, the GTT pool against\n"
	"RAM, ttm.pages_limit, the IOMMU, the kernel, swap, the power profile, the video/render\n"
	"groups and access to /dev/kfd and /dev/dri, llama.cpp (backends.conf and PATH), the Vulkan driver\n"
	"(RADV or AMDVLK). Each finding is ok, info, warn or fail, with what was read and the\n"
	"exact fix. --sysfs-root/--proc-root/--root read a recorded tree instead of /sys,\n"
	"/proc and / (for /etc, /dev, /usr/share/vulkan). Exits 0 even when it warns.",
	0, 0,
};

int cmd_doctor(int argc, const char **argv)
{
	bool json = false;
	const char *sysfs_root = NULL, *proc_root = NULL, *root = NULL, *user = NULL, *backends_file = NULL;
	uint64_t headroom = 0;
	const struct option opts[] = {
		OPT_STRING(0, "sysfs-root", &sysfs_root, "dir", "read sysfs from <dir> instead of /sys"),
		OPT_STRING(0, "proc-root", &proc_root, "dir", "read procfs from <dir> instead of /proc"),
		OPT_STRING(0, "root", &root, "dir", "read /etc, /dev and /usr/share/vulkan under <dir>"),
		OPT_STRING(0, "user", &user, "name", "check this user's groups (default: you)"),
		OPT_STRING(0, "backends-file", &backends_file, "file", "registered llama.cpp builds (default: the user's backends.conf)"),
		OPT_SIZE(0, "headroom", &headroom, "size", "RAM left to the OS when sizing GTT (default 4GiB)"),
		OPT_JSON(&json),
		OPT_END(),
	};
	int exit_code;
	if (parse_options(argc, argv, opts, &help, &exit_code) < 0)
		return exit_code;

	static halo_doctor_report r; /* ~40 KiB: not on the stack */
	halo_doctor_opts o = HALO_DOCTOR_OPTS_INIT;
	o.sysfs_root = sysfs_root;
	o.proc_root = proc_root;
	o.root = root;
	o.user = user;
	o.headroom = headroom;
	o.backends_file = backends_file;
	int rc = halo_doctor_run(&r, &o);
	if (rc)
		return cli_fail(rc);

	size_t counts[4] = { 0, 0, 0, 0 };
	for (size_t i = 0; i < r.n; i++)
		counts[r.items[i].status]++;
	if (json) {
		json_t *top = json_object(), *arr = json_array(), *jc = json_object();
		for (size_t i = 0; i < r.n; i++) {
			const halo_doctor_finding *f = &r.items[i];
			json_t *jf = json_object();
			json_object_set_new(jf, "id", json_string(f->id));
			json_object_set_new(jf, "status", json_string(halo_doctor_status_name(f->status)));
			json_object_set_new(jf, "title", json_string(f->title));
			json_object_set_new(jf, "evidence", json_string(f->evidence));
			json_object_set_new(jf, "fix", f->fix[0] ? json_string(f->fix) : json_null());
			json_array_append_new(arr, jf);
		}
		for (int s = 0; s < 4; s++)
			json_object_set_new(jc, halo_doctor_status_name((halo_doctor_status)s), json_integer((json_int_t)counts[s]));
		json_object_set_new(top, "findings", arr);
		json_object_set_new(top, "counts", jc);
		return cli_print_json(top);
	}
	for (size_t i = 0; i < r.n; i++) {
		const halo_doctor_finding *f = &r.items[i];
		printf("[%-4s] %-8s %s\n", halo_doctor_status_name(f->status), f->id, f->title);
		printf("       read: %s\n", f->evidence[0] ? f->evidence : "-");
		if (f->fix[0])
			printf("       fix:  %s\n", f->fix);
	}
	printf("\n%zu ok, %zu info, %zu warn, %zu fail\n", counts[HALO_DOCTOR_OK], counts[HALO_DOCTOR_INFO],
	       counts[HALO_DOCTOR_WARN], counts[HALO_DOCTOR_FAIL]);
	return fflush(stdout) ? EXIT_IO : EXIT_OK;
}
