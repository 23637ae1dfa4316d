/*
 * Running untrusted programs (model-written Python) contained.
 *
 * halo_sandbox_run() forks a child that, before exec:
 *   - becomes leader of its own process group (and, where the kernel allows
 *     unprivileged user namespaces, enters new user + PID + network
 *     namespaces: no network, and killing the namespace's init kills every
 *     descendant, even ones that called setsid());
 *   - gets rlimits on address space, CPU time, processes, file size, open
 *     files, and core dumps off;
 *   - runs with a fresh private temporary directory as cwd (created under
 *     opts.tmp_parent, removed recursively afterwards), a minimal environment
 *     and stdin/stdout/stderr on pipes.
 * The parent feeds stdin, collects stdout/stderr up to their caps, and on the
 * wall-clock timeout (or when stdout exceeds its cap) kills the whole group.
 * What is done where a kernel lacks namespaces is described in docs/sandbox.md
 * and reported in halo_sandbox_result.isolation.
 *
 * Thread-safe: many sandboxes may run at once from different threads (the
 * child only makes async-signal-safe calls between fork and exec).
 *
 * Ownership: opts and everything it points to stay owned by the caller and
 * are only read during the call. The result's out/err buffers are malloc'd
 * and owned by the caller, released with halo_sandbox_result_free().
 */
#ifndef HALO_SANDBOX_H
#define HALO_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

typedef struct halo_sandbox_opts {
	int version;                /* HALO_SANDBOX_OPTS_VERSION */
	const char *const *argv;    /* argv[0] is looked up in PATH when it has no '/' */
	const char *const *env;     /* "K=V" list, NULL-terminated; NULL = the caller's PATH and LANG=C.UTF-8;
	                               HOME and TMPDIR are set to the private cwd unless the list has them */
	const void *stdin_data;     /* written to the child's stdin, then closed */
	size_t stdin_len;
	size_t stdout_cap;          /* bytes kept; more kills the group (out_truncated=1); 0 = 16 MiB */
	size_t stderr_cap;          /* bytes kept; the rest is drained and dropped; 0 = 64 KiB */
	double timeout_s;           /* wall clock; <= 0 means no limit */
	uint64_t mem_bytes;         /* RLIMIT_AS; 0 = no limit */
	unsigned cpu_s;             /* RLIMIT_CPU; 0 = no limit */
	unsigned max_procs;         /* RLIMIT_NPROC (and PID namespace); 0 = no limit */
	uint64_t max_file_bytes;    /* RLIMIT_FSIZE; 0 = no limit */
	unsigned max_open_files;    /* RLIMIT_NOFILE; 0 = no limit */
	int isolate_network;        /* 1 = new network namespace when the kernel allows it */
	const char *tmp_parent;     /* parent of the private cwd; NULL = $TMPDIR or /tmp */
	int no_namespaces;          /* 1 = use the fallbacks even where namespaces are allowed
	                               (tests; docs/sandbox.md) */
} halo_sandbox_opts;
#define HALO_SANDBOX_OPTS_VERSION 1
#define HALO_SANDBOX_OPTS_INIT { HALO_SANDBOX_OPTS_VERSION, NULL, NULL, NULL, 0, 0, 0, 0.0, 0, 0, 0, 0, 0, 1, NULL, 0 }

/* Bits of halo_sandbox_result.isolation: what was actually applied. */
#define HALO_SANDBOX_ISO_NET 0x1 /* private network namespace */
#define HALO_SANDBOX_ISO_PID 0x2 /* private PID namespace */
#define HALO_SANDBOX_ISO_USER 0x4 /* private user namespace */
#define HALO_SANDBOX_ISO_MNT 0x8  /* mount namespace: everything read-only but the private
				     directory; private tmpfs on /tmp and /dev/shm; own /proc */
#define HALO_SANDBOX_ISO_LANDLOCK_FS 0x10  /* no namespaces: Landlock allows writes only in
					      the private directory (and to files under /dev) */
#define HALO_SANDBOX_ISO_LANDLOCK_NET 0x20 /* no namespaces: Landlock denies TCP bind/connect */
#define HALO_SANDBOX_ISO_PIDS_CGROUP 0x40  /* root: a pids cgroup caps the process count
					      (RLIMIT_NPROC does not bind host root) */
#define HALO_SANDBOX_ISO_NOBODY 0x80 /* root without namespaces: the sample ran as nobody */
#define HALO_SANDBOX_ISO_NO_UNIX 0x100 /* seccomp: no AF_UNIX sockets (x86_64, aarch64) */

typedef struct halo_sandbox_result {
	int exited;        /* 1: exited normally with exit_code */
	int exit_code;
	int signaled;      /* 1: killed by term_signal (includes our kill on timeout) */
	int term_signal;
	int timed_out;     /* 1: the wall-clock limit was hit and the group killed */
	int out_truncated; /* 1: stdout passed stdout_cap and the group was killed */
	char *out;         /* stdout, NUL-terminated (out_len excludes the NUL) */
	size_t out_len;
	char *err;         /* stderr (capped), NUL-terminated */
	size_t err_len;
	double wall_s;
	unsigned isolation; /* HALO_SANDBOX_ISO_* */
} halo_sandbox_result;

/*
 * Runs opts->argv contained. Returns 0 when the child was started and reaped,
 * whatever it did (look at *res), or a negative code when it could not be
 * started (fork/pipe/tmpdir failure, argv[0] not found: HALO_ENOTFOUND).
 * *res is always initialised; free it with halo_sandbox_result_free().
 */
int halo_sandbox_run(const halo_sandbox_opts *opts, halo_sandbox_result *res);
void halo_sandbox_result_free(halo_sandbox_result *res);

/* Which HALO_SANDBOX_ISO_* bits this kernel grants (probed once, cached). */
unsigned halo_sandbox_available_isolation(void);

#endif
