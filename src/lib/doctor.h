/*
 * halo doctor: system checks for running llama.cpp on an AMD GPU, above all a
 * unified-memory APU such as Strix Halo. Each check becomes one finding with
 * what it read (evidence) and, when something should change, the exact fix.
 * docs/doctor.md lists the checks, their rules and their sources.
 *
 * Machine facts come from halo_hw_detect() (hw.h); the doctor only adds what
 * the planner does not need (IOMMU, power profile, groups, device nodes,
 * Vulkan ICDs, llama.cpp binaries in PATH). Every path is taken under the
 * given roots, so a recorded tree gives the same findings on any machine.
 *
 * Ownership: halo_doctor_report is a plain value with fixed-size strings;
 * halo_doctor_run() fills caller-provided storage and allocates nothing that
 * outlives the call, so there is nothing to free. Strings in the options are
 * only read during the call.
 */
#ifndef HALO_DOCTOR_H
#define HALO_DOCTOR_H

#include <stddef.h>
#include <stdint.h>

typedef enum halo_doctor_status {
	HALO_DOCTOR_OK = 0,
	HALO_DOCTOR_INFO = 1, /* nothing to fix, or not applicable on this machine */
	HALO_DOCTOR_WARN = 2, /* works, but slower or smaller than it could be */
	HALO_DOCTOR_FAIL = 3, /* llama.cpp cannot use the GPU until this is fixed */
} halo_doctor_status;

#define HALO_DOCTOR_MAX_FINDINGS 24

typedef struct halo_doctor_finding {
	char id[16];        /* stable key: "gpu", "vram", "gtt", "ttm", "iommu", "kernel", "swap",
			       "power", "groups", "devices", "backends", "vulkan" */
	halo_doctor_status status;
	char title[128];    /* one line: what was found */
	char evidence[768]; /* what was read, from which file: "file: value; ..." */
	char fix[768];      /* the exact command or parameter; "" when nothing to do */
} halo_doctor_finding;

typedef struct halo_doctor_report {
	halo_doctor_finding items[HALO_DOCTOR_MAX_FINDINGS];
	size_t n;
} halo_doctor_report;

typedef struct halo_doctor_opts {
	unsigned version;       /* HALO_DOCTOR_OPTS_VERSION */
	const char *sysfs_root; /* NULL: "/sys" */
	const char *proc_root;  /* NULL: "/proc" */
	/* Prefix for /etc (group, passwd, tuned), /dev and /usr/share/vulkan; NULL: "" (the live
	 * system). With a root set, the process's own groups are not consulted. */
	const char *root;
	const char *user;       /* NULL: the effective user's name (getpwuid) */
	const char *path;       /* search path for llama.cpp binaries; NULL: $PATH */
	uint64_t headroom;      /* RAM left to the OS when sizing GTT; 0: 4 GiB */
	/* Registered llama.cpp builds (backends.h); NULL: the user's backends.conf on the live
	 * system, none when a root is given (a recorded tree has no user config). */
	const char *backends_file;
} halo_doctor_opts;

#define HALO_DOCTOR_OPTS_VERSION 1
#define HALO_DOCTOR_OPTS_INIT { HALO_DOCTOR_OPTS_VERSION, NULL, NULL, NULL, NULL, NULL, 0, NULL }

/*
 * Runs every check into *out, in priority order. A check whose files are
 * absent reports that (INFO or WARN), it does not fail the run. Errors:
 * HALO_EUSAGE (bad opts, a root too long), and halo_hw_detect()'s errors
 * (HALO_ENOTFOUND when a root or proc/meminfo does not exist, HALO_EFORMAT
 * for a malformed meminfo, ...). On error *out is left empty.
 */
int halo_doctor_run(halo_doctor_report *out, const halo_doctor_opts *opts);

/* "ok", "info", "warn", "fail". */
const char *halo_doctor_status_name(halo_doctor_status s);

/* The finding with this id, or NULL. */
const halo_doctor_finding *halo_doctor_find(const halo_doctor_report *r, const char *id);

#endif
