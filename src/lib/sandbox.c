/*
 * Running untrusted programs contained (see sandbox.h, docs/sandbox.md).
 *
 * Everything the child needs (paths, environment, rlimit values) is prepared
 * before fork: the caller may be multithreaded, so between fork and exec the
 * child makes only async-signal-safe calls (raw syscalls, no malloc, no stdio).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sandbox.h"

#include "buf.h"
#include "clock.h"
#include "error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <grp.h>
#include <sys/mount.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_STDOUT_CAP ((size_t)16 << 20)
#define DEFAULT_STDERR_CAP ((size_t)64 << 10)

/* ---- before fork: strings the child will use ---------------------------- */

static const char *env_get(const char *const *env, const char *key)
{
	size_t n = strlen(key);
	for (; env && *env; env++)
		if (!strncmp(*env, key, n) && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

/* argv[0] as execve wants it: a path as given, else the first executable
 * regular file of that name in `path` (the PATH the child will see). */
static char *find_program(const char *name, const char *path)
{
	if (strchr(name, '/'))
		return strdup(name);
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	size_t nlen = strlen(name);
	for (const char *p = path;; ) {
		const char *colon = strchr(p, ':');
		size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
		size_t size = dlen + nlen + 2;
		char *full = malloc(size);
		if (!full)
			return NULL;
		if (dlen)
			snprintf(full, size, "%.*s/%s", (int)dlen, p, name);
		else
			snprintf(full, size, "%s", name); /* empty entry: the current directory */
		struct stat st;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
			return full;
		free(full);
		if (!colon)
			break;
		p = colon + 1;
	}
	errno = ENOENT;
	return NULL;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* Everything prepared for the child, freed by plan_free(). */
typedef struct plan {
	char *exe;
	char *cwd;
	char **env;     /* NULL-terminated, owned entries */
	size_t env_n;
	struct rlimit_set {
		int resource;
		rlim_t value;
	} limits[8];
	int n_limits;
	unsigned flags;        /* the isolation applied: HALO_SANDBOX_ISO_* */
	unsigned long clone_flags; /* namespaces to create (0: a plain fork) */
	char uid_map[64], gid_map[64];
	char *tmp_dirs[2];     /* where a private tmpfs goes: /tmp, /dev/shm */
	int landlock_abi;      /* > 0: restrict writes and TCP with Landlock */
	int drop_to_nobody;    /* root without a user namespace */
	int wait_go;           /* the parent moves the child into a cgroup first */
} plan;

static void plan_free(plan *p)
{
	free(p->exe);
	free(p->cwd);
	free(p->tmp_dirs[0]);
	free(p->tmp_dirs[1]);
	if (p->env)
		for (size_t i = 0; i < p->env_n; i++)
			free(p->env[i]);
	free(p->env);
}

static int env_push(plan *p, char *s)
{
	if (!s)
		return -1;
	p->env[p->env_n++] = s;
	p->env[p->env_n] = NULL;
	return 0;
}

static int build_env(plan *p, const halo_sandbox_opts *o)
{
	size_t n = 0;
	for (const char *const *e = o->env; e && *e; e++)
		n++;
	p->env = calloc(n + 5, sizeof(*p->env));
	if (!p->env)
		return -1;
	if (!o->env) {
		const char *path = getenv("PATH");
		if (env_push(p, xasprintf("PATH=%s", path && *path ? path : "/usr/local/bin:/usr/bin:/bin")) ||
		    env_push(p, strdup("LANG=C.UTF-8")))
			return -1;
	} else {
		for (size_t i = 0; i < n; i++)
			if (env_push(p, strdup(o->env[i])))
				return -1;
	}
	/* The caller cannot know the private directory's name in advance. */
	if (!env_get((const char *const *)p->env, "HOME") && env_push(p, xasprintf("HOME=%s", p->cwd)))
		return -1;
	if (!env_get((const char *const *)p->env, "TMPDIR") && env_push(p, xasprintf("TMPDIR=%s", p->cwd)))
		return -1;
	return 0;
}

static void add_limit(plan *p, int resource, uint64_t value)
{
	p->limits[p->n_limits].resource = resource;
	p->limits[p->n_limits].value = value > (uint64_t)RLIM_INFINITY ? RLIM_INFINITY : (rlim_t)value;
	p->n_limits++;
}

/* ---- removing the private directory -------------------------------------- */

/*
 * Removes everything below the directory open as `top` without recursion (a
 * sample may build a tree deeper than any stack or fd limit) and without
 * following symlinks: it descends with openat(O_NOFOLLOW), climbs back with
 * "..", and recognises the emptied child by its inode. Gives up at the first
 * error (which also rules out looping on an entry that cannot be removed).
 */
static int remove_tree_fd(int top)
{
	int fd = top, depth = 0, err = 0, have_child = 0;
	struct stat child_st = { 0 };
	for (;;) {
		int dup_fd = dup(fd);
		DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
		if (!d) {
			if (dup_fd >= 0)
				close(dup_fd);
			err = 1;
			break;
		}
		rewinddir(d);
		int sub = -1;
		struct dirent *e;
		while (!err && (e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			struct stat st;
			if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
				continue;
			if (have_child && st.st_ino == child_st.st_ino && st.st_dev == child_st.st_dev) {
				have_child = 0;
				err = unlinkat(fd, e->d_name, AT_REMOVEDIR) != 0;
				continue;
			}
			if (!S_ISDIR(st.st_mode)) {
				err = unlinkat(fd, e->d_name, 0) != 0;
				continue;
			}
			/* A directory the sample made unreadable or unwritable. */
			if ((st.st_mode & 0700) != 0700)
				fchmodat(fd, e->d_name, 0700, 0);
			sub = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			err = sub < 0;
			break;
		}
		closedir(d);
		if (err)
			break;
		/* Not yet removed when a sibling comes first: the emptied directory
		 * is then found again later as an empty one. */
		have_child = 0;
		if (sub >= 0) {
			if (fd != top)
				close(fd);
			fd = sub;
			depth++;
			continue;
		}
		if (depth == 0)
			break;
		/* This directory is empty now: go up and remove it. */
		int up = fstat(fd, &child_st) == 0 ? openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (fd != top)
			close(fd);
		fd = top;
		if (up < 0) {
			err = 1;
			break;
		}
		have_child = 1;
		if (--depth == 0)
			close(up);
		else
			fd = up;
	}
	if (fd != top)
		close(fd);
	return err ? -1 : 0;
}

static int remove_tree(const char *path)
{
	chmod(path, 0700);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	int rc = remove_tree_fd(fd);
	close(fd);
	if (rmdir(path) != 0)
		rc = -1;
	return rc;
}

/* ---- the child -----------------------------------------------------------
 *
 * Between fork and exec only async-signal-safe calls: raw syscalls on data the
 * parent prepared. Descriptors in the child: 0/1/2 the sample's stdio, 3 the
 * report pipe to the parent (close-on-exec), 4 the "go" pipe when used.
 * Reports are pairs of ints: {STAGE_*, errno} on failure, and in namespace
 * mode {MSG_STARTED, 0} once the sample runs and {MSG_STATUS, wait status}
 * when it ends (the namespace's init cannot die by the sample's signal).
 */

enum { STAGE_SETUP = 1, STAGE_NS = 2, STAGE_EXEC = 3, MSG_STARTED = 10, MSG_STATUS = 11 };

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

/* Our own copies of the kernel ABI, so older headers still build. */
struct sbx_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#define SBX_MOUNT_ATTR_RDONLY 0x1ull
#define SBX_MOUNT_ATTR_NOSUID 0x2ull
#define SBX_AT_RECURSIVE 0x8000
#define SBX_NR_MOUNT_SETATTR 442
#define SBX_NR_LANDLOCK_CREATE 444
#define SBX_NR_LANDLOCK_ADD_RULE 445
#define SBX_NR_LANDLOCK_RESTRICT 446
#define SBX_NR_PIDFD_OPEN 434
#define SBX_NR_CLOSE_RANGE 436

struct sbx_landlock_ruleset_attr {
	uint64_t handled_access_fs, handled_access_net, scoped;
};
struct sbx_landlock_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));
#define LL_FS_WRITE_FILE (1ull << 1)
#define LL_FS_REMOVE_DIR (1ull << 4)
#define LL_FS_REMOVE_FILE (1ull << 5)
#define LL_FS_MAKE_ALL (0x7full << 6) /* char, dir, reg, sock, fifo, block, sym */
#define LL_FS_REFER (1ull << 13)        /* ABI 2 */
#define LL_FS_TRUNCATE (1ull << 14)     /* ABI 3 */
#define LL_NET_BIND_TCP (1ull << 0)     /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ull << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ull << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ull << 1)

/* clone() without glibc's wrapper: a fork-like copy on the same stack. Raw,
 * so that neither glibc's nor a sanitizer's fork handlers run in a child
 * whose locks may have been copied while held by another thread. */
static pid_t raw_clone(unsigned long flags)
{
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

static void report(int a, int b)
{
	int msg[2] = { a, b };
	ssize_t w = write(3, msg, sizeof(msg));
	(void)w;
}

/* Reports a failure before exec to the parent and exits. */
static void child_fail(int stage) __attribute__((noreturn));
static void child_fail(int stage)
{
	report(stage, errno);
	_exit(127);
}

static size_t cstrlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* Moves the sample's stdio onto 0/1/2, the report pipe onto 3 and the go pipe
 * onto 4, and closes every other descriptor: a long-lived child (the
 * namespace's init) must not keep another thread's pipes open. */
static int child_fds(int in_fd, int out_fd, int err_fd, int report_fd, int go_fd)
{
	int fds[5] = { in_fd, out_fd, err_fd, report_fd, go_fd };
	int n = go_fd >= 0 ? 5 : 4;
	for (int i = 0; i < n; i++) /* out of the way of 0..4 first */
		if ((fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10)) < 0)
			return -1;
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) != i)
			return -1;
	for (int i = 3; i < n; i++)
		if (dup3(fds[i], i, O_CLOEXEC) != i)
			return -1;
	if (syscall(SBX_NR_CLOSE_RANGE, (unsigned)n, ~0u, 0u) != 0) {
		struct rlimit nofile;
		int max = getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < 65536 ? (int)nofile.rlim_cur
											: 65536;
		for (int fd = n; fd < max; fd++)
			close(fd);
	}
	return 0;
}

static void reset_signals(void)
{
	/* The caller's signal mask and ignored signals would survive exec. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++) {
		if (s == SIGKILL || s == SIGSTOP)
			continue;
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(s, &sa, NULL);
	}
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = cstrlen(text);
	ssize_t w = write(fd, text, n);
	int e = errno;
	close(fd);
	errno = e;
	return w == (ssize_t)n ? 0 : -1;
}

/* A private tmpfs on `dir`; when the sample's directory lay below it, the
 * same path is made again inside and the directory bound there (the process
 * still holds it as its cwd). */
static int private_tmpfs(const char *dir, const char *cwd)
{
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,nr_inodes=16k,mode=1777") != 0)
		return -1;
	size_t n = cstrlen(dir);
	if (strncmp(cwd, dir, n) != 0 || cwd[n] != '/')
		return 0;
	char path[PATH_MAX];
	size_t len = cstrlen(cwd);
	if (len >= sizeof(path))
		return -1;
	memcpy(path, cwd, len + 1);
	for (size_t i = n + 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char c = path[i];
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -1;
		path[i] = c;
	}
	return mount(".", cwd, NULL, MS_BIND, NULL);
}

/* In the new namespaces, as their root: the id maps, then a read-only view of
 * every mount except the sample's directory, private /tmp and /dev/shm, and a
 * /proc of the new PID namespace. */
static int ns_setup(const plan *p)
{
	if (write_text("/proc/self/setgroups", "deny") != 0 && errno != ENOENT)
		return -1;
	if (write_text("/proc/self/uid_map", p->uid_map) != 0 || write_text("/proc/self/gid_map", p->gid_map) != 0)
		return -1;
	if (!(p->clone_flags & CLONE_NEWNS))
		return 0;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return -1;
	if (mount(p->cwd, p->cwd, NULL, MS_BIND, NULL) != 0 || chdir(p->cwd) != 0)
		return -1;
	struct sbx_mount_attr ro = { SBX_MOUNT_ATTR_RDONLY | SBX_MOUNT_ATTR_NOSUID, 0, 0, 0 };
	if (syscall(SBX_NR_MOUNT_SETATTR, AT_FDCWD, "/", SBX_AT_RECURSIVE, &ro, sizeof(ro)) != 0)
		return -1;
	struct sbx_mount_attr rw = { 0, SBX_MOUNT_ATTR_RDONLY, 0, 0 };
	if (syscall(SBX_NR_MOUNT_SETATTR, AT_FDCWD, p->cwd, 0, &rw, sizeof(rw)) != 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (p->tmp_dirs[i] && private_tmpfs(p->tmp_dirs[i], p->cwd) != 0)
			return -1;
	/* Best effort: without it the sample sees the host's processes (it still
	 * cannot signal them from its PID namespace). */
	mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
	return chdir(p->cwd);
}

/* Root of the user namespace keeps no capability across exec: an empty
 * bounding set (exec then grants root nothing), no inheritable or ambient
 * ones, and securebits that keep it so. */
static void drop_caps(void)
{
	prctl(PR_SET_SECUREBITS, 0x2f /* NOROOT, NO_SETUID_FIXUP, KEEP_CAPS_LOCKED, all locked */, 0, 0, 0);
	for (int c = 0; c < 64; c++)
		prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	struct {
		uint32_t version;
		int pid;
	} hdr = { 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0 };
	struct {
		uint32_t effective, permitted, inheritable;
	} data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
	syscall(SYS_capset, &hdr, data);
}

/* Without a mount namespace: writes only below the sample's directory (and to
 * existing files under /dev, for /dev/null), no TCP, and from ABI 6 no
 * signals or abstract sockets outside the sandbox. */
static int landlock(const plan *p)
{
	uint64_t fs = LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_ALL;
	if (p->landlock_abi >= 2)
		fs |= LL_FS_REFER;
	if (p->landlock_abi >= 3)
		fs |= LL_FS_TRUNCATE;
	struct sbx_landlock_ruleset_attr attr = { fs, 0, 0 };
	size_t size = 8;
	if (p->landlock_abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = 16;
	}
	if (p->landlock_abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		size = 24;
	}
	int rs = (int)syscall(SBX_NR_LANDLOCK_CREATE, &attr, size, 0);
	if (rs < 0)
		return -1;
	struct sbx_landlock_path_beneath rule = { fs, -1 };
	rule.parent_fd = open(p->cwd, O_PATH | O_CLOEXEC);
	int rc = rule.parent_fd >= 0 ? (int)syscall(SBX_NR_LANDLOCK_ADD_RULE, rs, 1, &rule, 0) : -1;
	if (rule.parent_fd >= 0)
		close(rule.parent_fd);
	rule.allowed_access = LL_FS_WRITE_FILE | (p->landlock_abi >= 3 ? LL_FS_TRUNCATE : 0);
	rule.parent_fd = open("/dev", O_PATH | O_CLOEXEC);
	if (rc == 0 && rule.parent_fd >= 0)
		syscall(SBX_NR_LANDLOCK_ADD_RULE, rs, 1, &rule, 0);
	if (rule.parent_fd >= 0)
		close(rule.parent_fd);
	if (rc == 0)
		rc = (int)syscall(SBX_NR_LANDLOCK_RESTRICT, rs, 0);
	close(rs);
	return rc;
}

/*
 * seccomp: no AF_UNIX sockets of its own (socketpair() stays). A socket file
 * such as a session bus, an agent or a container daemon can be connected to
 * through a read-only mount and neither a network namespace nor Landlock
 * stops that. Foreign syscall ABIs (x32, i386 with its socketcall()) are
 * refused outright, so the filter cannot be bypassed through them.
 */
#if defined(__x86_64__)
#define SBX_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SBX_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef SBX_AUDIT_ARCH
static const struct sock_filter seccomp_code[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SBX_AUDIT_ARCH, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000 /* x32 */, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
#endif
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 3),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};
#endif

static int seccomp_filter(void)
{
#ifdef SBX_AUDIT_ARCH
	struct sock_fprog prog = { (unsigned short)(sizeof(seccomp_code) / sizeof(seccomp_code[0])),
				   (struct sock_filter *)(uintptr_t)seccomp_code };
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
#else
	return 0;
#endif
}

static unsigned seccomp_iso(void)
{
#ifdef SBX_AUDIT_ARCH
	return HALO_SANDBOX_ISO_NO_UNIX;
#else
	return 0;
#endif
}

/* The last steps before the sample: limits, privileges, exec. */
static void sample_exec(const plan *p, const halo_sandbox_opts *o) __attribute__((noreturn));
static void sample_exec(const plan *p, const halo_sandbox_opts *o)
{
	if (chdir(p->cwd) != 0)
		child_fail(STAGE_SETUP);
	if (p->drop_to_nobody) {
		gid_t g = 65534;
		if (setgroups(1, &g) != 0 || setresgid(g, g, g) != 0 || setresuid(65534, 65534, 65534) != 0)
			child_fail(STAGE_SETUP);
	}
	for (int i = 0; i < p->n_limits; i++) {
		struct rlimit rl = { p->limits[i].value, p->limits[i].value };
		if (setrlimit(p->limits[i].resource, &rl) != 0)
			child_fail(STAGE_SETUP);
	}
	if (p->clone_flags & CLONE_NEWUSER)
		drop_caps();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		child_fail(STAGE_SETUP);
	if (p->landlock_abi > 0 && landlock(p) != 0)
		child_fail(STAGE_SETUP);
	if ((p->flags & HALO_SANDBOX_ISO_NO_UNIX) && seccomp_filter() != 0)
		child_fail(STAGE_SETUP);
	execve(p->exe, (char *const *)(uintptr_t)o->argv, p->env);
	child_fail(STAGE_EXEC);
}

/* Kills every process left below this one. As a child subreaper it inherits
 * each orphan whose parent dies, so killing its children round after round
 * until none is left reaches descendants that left the process group with
 * setsid(). Needs /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN);
 * without it only the sample's group is killed. */
static void sweep(pid_t group)
{
	char path[64] = "/proc/self/task/", digits[16];
	size_t n = cstrlen(path), k = 0;
	for (unsigned v = (unsigned)getpid(); v || !k; v /= 10)
		digits[k++] = (char)('0' + v % 10);
	while (k)
		path[n++] = digits[--k];
	memcpy(path + n, "/children", 10);
	kill(-group, SIGKILL);
	for (int rounds = 0; rounds < 100000; rounds++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		char buf[4096];
		ssize_t got = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
		if (fd >= 0)
			close(fd);
		int killed = 0;
		pid_t pid = 0;
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				pid = pid * 10 + (buf[i] - '0');
			} else if (pid) {
				kill(pid, SIGKILL);
				killed = 1;
				pid = 0;
			}
		}
		int st;
		pid_t r;
		while ((r = waitpid(-1, &st, killed ? 0 : WNOHANG)) > 0)
			killed = 0;
		if (r < 0 && errno == ECHILD)
			return;
		if (got < 0 && r == 0)
			return; /* no children list: the group kill is all we can do */
		if (r == 0 && !killed)
			usleep(1000);
	}
}

/* The parent of the sample inside the sandbox. With namespaces it is PID 1:
 * it sets them up, reaps orphans, and its exit takes every process left in
 * the namespace with it. Without, it is a child subreaper that sweeps up
 * after the sample. Either way it reports the sample's status (as PID 1 it
 * could not die by the sample's signal to pass it on). */
static void sandbox_init(const plan *p, const halo_sandbox_opts *o) __attribute__((noreturn));
static void sandbox_init(const plan *p, const halo_sandbox_opts *o)
{
	if (p->clone_flags && ns_setup(p) != 0)
		child_fail(STAGE_NS);
	if (!p->clone_flags)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	int e[2];
	if (pipe2(e, O_CLOEXEC) != 0)
		child_fail(STAGE_SETUP);
	pid_t g = raw_clone(0);
	if (g < 0)
		child_fail(STAGE_SETUP);
	if (g == 0) {
		if (dup3(e[1], 3, O_CLOEXEC) != 3)
			_exit(127);
		close(e[0]);
		close(e[1]);
		if (!p->clone_flags) {
			/* Its own group, which the caller kills on a timeout while
			 * this init lives on to sweep. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			setpgid(0, 0);
		}
		sample_exec(p, o);
	}
	if (!p->clone_flags)
		setpgid(g, g);
	close(e[1]);
	close(0);
	close(1);
	close(2);
	int msg[2];
	ssize_t got;
	do
		got = read(e[0], msg, sizeof(msg));
	while (got < 0 && errno == EINTR);
	if (got == (ssize_t)sizeof(msg)) {
		report(msg[0], msg[1]);
		if (!p->clone_flags)
			sweep(g);
		_exit(127);
	}
	close(e[0]);
	report(MSG_STARTED, (int)g);
	for (;;) {
		int st;
		pid_t r = waitpid(-1, &st, 0);
		if (r == g) {
			if (!p->clone_flags)
				sweep(g);
			report(MSG_STATUS, st);
			_exit(0);
		}
		if (r < 0 && errno != EINTR)
			_exit(127);
	}
}

static void child_main(const plan *p, const halo_sandbox_opts *o, const int fds[8], int go_fd) __attribute__((noreturn));
static void child_main(const plan *p, const halo_sandbox_opts *o, const int fds[8], int go_fd)
{
	/* Die with the calling thread rather than outlive it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setpgid(0, 0);
	if (child_fds(fds[1], fds[3], fds[5], fds[7], go_fd) != 0)
		_exit(127);
	reset_signals();
	if (p->wait_go) {
		char c;
		if (read(4, &c, 1) != 1)
			_exit(127);
		close(4);
	}
	sandbox_init(p, o);
}

/* ---- the parent ---------------------------------------------------------- */

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Reads what `fd` has now into b, keeping at most `cap` bytes. Returns the
 * bytes read (0 at EOF, which closes fd), -1 when nothing was ready, and sets
 * *over when data past the cap was seen. */
static ssize_t drain_once(int *fd, halo_buf *b, size_t cap, int *over)
{
	char chunk[65536];
	ssize_t n = read(*fd, chunk, sizeof(chunk));
	if (n < 0)
		return (errno == EAGAIN || errno == EINTR) ? -1 : (close_fd(fd), 0);
	if (n == 0) {
		close_fd(fd);
		return 0;
	}
	size_t room = cap - b->len, take = (size_t)n < room ? (size_t)n : room;
	if (take && halo_buf_add(b, chunk, take) != 0)
		take = 0;
	if (take < (size_t)n)
		*over = 1;
	return n;
}

static void drain_now(int *fd, halo_buf *b, size_t cap, int *over)
{
	while (*fd >= 0 && drain_once(fd, b, cap, over) > 0)
		;
}

static void cleanup_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close_fd(&fds[i]);
}

/* ---- what this kernel allows, probed once ---------------------------------- */

#define NS_FLAGS (CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC)

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static unsigned probe_iso;
static int probe_landlock_abi;

static void id_maps(plan *p)
{
	snprintf(p->uid_map, sizeof(p->uid_map), "0 %u 1\n", (unsigned)geteuid());
	snprintf(p->gid_map, sizeof(p->gid_map), "0 %u 1\n", (unsigned)getegid());
}

/* The probe does in a throwaway child what a run's init does first: enter the
 * namespaces, write the id maps, make the mounts private and read-only. */
static void probe(void)
{
	long abi = syscall(SBX_NR_LANDLOCK_CREATE, NULL, 0, 1u /* LANDLOCK_CREATE_RULESET_VERSION */);
	probe_landlock_abi = abi > 0 ? (int)abi : 0;

	plan p;
	memset(&p, 0, sizeof(p));
	id_maps(&p);
	pid_t pid = raw_clone(NS_FLAGS | CLONE_NEWNET);
	if (pid == 0) {
		if (write_text("/proc/self/setgroups", "deny") != 0 && errno != ENOENT)
			_exit(1);
		if (write_text("/proc/self/uid_map", p.uid_map) != 0 || write_text("/proc/self/gid_map", p.gid_map) != 0)
			_exit(2);
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
			_exit(3);
		struct sbx_mount_attr ro = { SBX_MOUNT_ATTR_RDONLY | SBX_MOUNT_ATTR_NOSUID, 0, 0, 0 };
		if (syscall(SBX_NR_MOUNT_SETATTR, AT_FDCWD, "/", SBX_AT_RECURSIVE, &ro, sizeof(ro)) != 0)
			_exit(4);
		_exit(0);
	}
	int status = 0;
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			probe_iso = HALO_SANDBOX_ISO_USER | HALO_SANDBOX_ISO_PID | HALO_SANDBOX_ISO_NET |
				    HALO_SANDBOX_ISO_MNT;
	}
}

unsigned halo_sandbox_available_isolation(void)
{
	pthread_once(&probe_once, probe);
	unsigned iso = probe_iso | seccomp_iso();
	if (!(iso & HALO_SANDBOX_ISO_USER) && probe_landlock_abi > 0)
		iso |= HALO_SANDBOX_ISO_LANDLOCK_FS | (probe_landlock_abi >= 4 ? HALO_SANDBOX_ISO_LANDLOCK_NET : 0);
	return iso;
}

/* ---- a pids cgroup, for root ----------------------------------------------
 *
 * RLIMIT_NPROC does not bind a process whose real uid is host root, which is
 * what the sandbox's user is when root calls (the namespace maps uid 0 to the
 * caller). A pids cgroup per run caps the process count instead. */

static char *cgroup_create(unsigned max_procs)
{
	static unsigned counter;
	unsigned n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	char base[PATH_MAX] = "/sys/fs/cgroup/pids"; /* cgroup v1 */
	struct stat st;
	if (stat("/sys/fs/cgroup/pids/cgroup.procs", &st) != 0) {
		/* cgroup v2: below our own cgroup, when pids is delegated there */
		FILE *f = fopen("/proc/self/cgroup", "re");
		char line[PATH_MAX];
		base[0] = '\0';
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "0::", 3)) {
				line[strcspn(line, "\n")] = '\0';
				snprintf(base, sizeof(base), "/sys/fs/cgroup%s", line + 3);
			}
		if (f)
			fclose(f);
		if (!base[0])
			return NULL;
	}
	char *dir = xasprintf("%s/halo-sandbox-%d-%u", base, (int)getpid(), n);
	char *max = xasprintf("%s/pids.max", dir ? dir : "");
	char value[32];
	snprintf(value, sizeof(value), "%u\n", max_procs + 1); /* + the namespace's init */
	if (!dir || !max || mkdir(dir, 0755) != 0) {
		free(dir);
		free(max);
		return NULL;
	}
	if (write_text(max, value) != 0) {
		rmdir(dir);
		free(dir);
		dir = NULL;
	}
	free(max);
	return dir;
}

static int cgroup_enter(const char *dir, pid_t pid)
{
	char *procs = xasprintf("%s/cgroup.procs", dir), value[32];
	snprintf(value, sizeof(value), "%d\n", (int)pid);
	int rc = procs ? write_text(procs, value) : -1;
	free(procs);
	return rc;
}

static void cgroup_remove(char *dir)
{
	/* The last tasks leave the cgroup shortly after they are reaped. */
	for (int i = 0; i < 200 && rmdir(dir) != 0 && errno == EBUSY; i++)
		usleep(5000);
	free(dir);
}

/* ---- the run ------------------------------------------------------------- */

int halo_sandbox_run(const halo_sandbox_opts *opts, halo_sandbox_result *res)
{
	if (!res)
		return halo_error_set(HALO_EUSAGE, "sandbox: no result");
	memset(res, 0, sizeof(*res));
	if (!opts || opts->version != HALO_SANDBOX_OPTS_VERSION)
		return halo_error_set(HALO_EUSAGE, "sandbox: unsupported options version");
	if (!opts->argv || !opts->argv[0] || !opts->argv[0][0])
		return halo_error_set(HALO_EUSAGE, "sandbox: no program");
	if (opts->stdin_len && !opts->stdin_data)
		return halo_error_set(HALO_EUSAGE, "sandbox: stdin_len without stdin_data");
	unsigned avail = halo_sandbox_available_isolation();

	plan p;
	memset(&p, 0, sizeof(p));
	const char *path = opts->env ? env_get(opts->env, "PATH") : getenv("PATH");
	p.exe = find_program(opts->argv[0], path);
	if (!p.exe)
		return errno == ENOMEM ? halo_error_set(HALO_ENOMEM, "sandbox: out of memory")
				       : halo_error_set(HALO_ENOTFOUND, "sandbox: '%s': no such program in PATH",
							opts->argv[0]);
	const char *parent_dir = opts->tmp_parent;
	if (!parent_dir || !*parent_dir)
		parent_dir = getenv("TMPDIR");
	if (!parent_dir || !*parent_dir)
		parent_dir = "/tmp";
	/* The real path: the namespace setup compares it with /tmp and /dev/shm. */
	char *real_parent = realpath(parent_dir, NULL);
	if (!real_parent) {
		int e = errno;
		plan_free(&p);
		return halo_error_set(e == ENOMEM ? HALO_ENOMEM : HALO_EIO, "sandbox: '%s': %s", parent_dir,
				      strerror(e));
	}
	p.cwd = xasprintf("%s/halo-sandbox-XXXXXX", real_parent);
	free(real_parent);
	if (!p.cwd) {
		plan_free(&p);
		return halo_error_set(HALO_ENOMEM, "sandbox: out of memory");
	}
	if (!mkdtemp(p.cwd)) {
		int e = errno;
		int rc = halo_error_set(HALO_EIO, "sandbox: cannot create a directory in '%s': %s", parent_dir,
					strerror(e));
		plan_free(&p);
		return rc;
	}
	int rc = 0;
	char *cgroup = NULL;
	if (build_env(&p, opts) != 0) {
		rc = halo_error_set(HALO_ENOMEM, "sandbox: out of memory");
		goto early_out;
	}

	if ((avail & HALO_SANDBOX_ISO_USER) && !opts->no_namespaces) {
		p.clone_flags = NS_FLAGS | (opts->isolate_network ? CLONE_NEWNET : 0);
		p.flags = HALO_SANDBOX_ISO_USER | HALO_SANDBOX_ISO_PID | HALO_SANDBOX_ISO_MNT |
			  (opts->isolate_network ? HALO_SANDBOX_ISO_NET : 0);
		id_maps(&p);
		p.tmp_dirs[0] = strdup("/tmp");
		p.tmp_dirs[1] = strdup("/dev/shm");
		if (!p.tmp_dirs[0] || !p.tmp_dirs[1]) {
			rc = halo_error_set(HALO_ENOMEM, "sandbox: out of memory");
			goto early_out;
		}
	} else {
		p.landlock_abi = probe_landlock_abi;
		if (p.landlock_abi > 0)
			p.flags |= HALO_SANDBOX_ISO_LANDLOCK_FS | (p.landlock_abi >= 4 ? HALO_SANDBOX_ISO_LANDLOCK_NET : 0);
		if (geteuid() == 0) {
			/* Root without namespaces runs the sample as nobody, which also
			 * makes RLIMIT_NPROC count. */
			p.drop_to_nobody = 1;
			p.flags |= HALO_SANDBOX_ISO_NOBODY;
			if (chown(p.cwd, 65534, 65534) != 0) {
				rc = halo_error_set(HALO_EIO, "sandbox: chown '%s': %s", p.cwd, strerror(errno));
				goto early_out;
			}
		}
	}
	p.flags |= seccomp_iso();
	add_limit(&p, RLIMIT_CORE, 0);
	if (opts->mem_bytes)
		add_limit(&p, RLIMIT_AS, opts->mem_bytes);
	if (opts->cpu_s)
		add_limit(&p, RLIMIT_CPU, opts->cpu_s);
	if (opts->max_procs) /* in a user namespace the count includes its init */
		add_limit(&p, RLIMIT_NPROC, (uint64_t)opts->max_procs + (p.clone_flags ? 1 : 0));
	if (opts->max_file_bytes)
		add_limit(&p, RLIMIT_FSIZE, opts->max_file_bytes);
	if (opts->max_open_files)
		add_limit(&p, RLIMIT_NOFILE, opts->max_open_files);
	if (opts->max_procs && geteuid() == 0 && p.clone_flags && (cgroup = cgroup_create(opts->max_procs))) {
		p.wait_go = 1;
		p.flags |= HALO_SANDBOX_ISO_PIDS_CGROUP;
	}

early_out:;
	size_t out_cap = opts->stdout_cap ? opts->stdout_cap : DEFAULT_STDOUT_CAP;
	size_t err_cap = opts->stderr_cap ? opts->stderr_cap : DEFAULT_STDERR_CAP;
	halo_buf out, err;
	halo_buf_init(&out, out_cap);
	halo_buf_init(&err, err_cap);
	/* [0,1]: stdin (a socket pair, so writing after the child is gone is
	 * EPIPE without SIGPIPE), [2,3]: stdout, [4,5]: stderr, [6,7]: report,
	 * [8,9]: go. */
	int fds[10] = { -1, -1, -1, -1, -1, -1, -1, -1, -1, -1 };
	int pidfd = -1;
	if (rc)
		goto out;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, &fds[0]) != 0 || pipe2(&fds[2], O_CLOEXEC) != 0 ||
	    pipe2(&fds[4], O_CLOEXEC) != 0 || pipe2(&fds[6], O_CLOEXEC) != 0 ||
	    (p.wait_go && pipe2(&fds[8], O_CLOEXEC) != 0)) {
		rc = halo_error_set(HALO_EIO, "sandbox: pipe: %s", strerror(errno));
		goto out;
	}
	/* The child only reads its end of the pair; ours only writes. */
	shutdown(fds[0], SHUT_RD);
	shutdown(fds[1], SHUT_WR);

	double t0 = halo_mono_s();
	/* A plain fork() where no namespace is made: it runs the atfork
	 * handlers (and a sanitizer's) that keep the child's copies of locks
	 * sane; the namespace child never calls anything that takes them. */
	pid_t pid = p.clone_flags ? raw_clone(p.clone_flags) : fork();
	if (pid < 0) {
		rc = halo_error_set(HALO_ERROR, "sandbox: %s: %s", p.clone_flags ? "clone" : "fork", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_main(&p, opts, fds, fds[8]);
	setpgid(pid, pid); /* both sides, so no kill can race the child's own call */
	close_fd(&fds[1]);
	close_fd(&fds[3]);
	close_fd(&fds[5]);
	close_fd(&fds[7]);
	close_fd(&fds[8]);
	if (p.wait_go) {
		if (cgroup_enter(cgroup, pid) != 0)
			p.flags &= ~(unsigned)HALO_SANDBOX_ISO_PIDS_CGROUP;
		ssize_t w = write(fds[9], "g", 1);
		(void)w;
		close_fd(&fds[9]);
	}

	/* Until the sandbox's init says the sample runs, or a failure before. */
	int msg[2];
	ssize_t got;
	do
		got = read(fds[6], msg, sizeof(msg));
	while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof(msg) || msg[0] != MSG_STARTED) {
		int status;
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (got != (ssize_t)sizeof(msg))
			rc = halo_error_set(HALO_ERROR, "sandbox: the sandbox died before starting '%s'", p.exe);
		else if (msg[0] == STAGE_EXEC && (msg[1] == ENOENT || msg[1] == EACCES || msg[1] == ENOEXEC))
			rc = halo_error_set(HALO_ENOTFOUND, "sandbox: cannot run '%s': %s", p.exe, strerror(msg[1]));
		else
			rc = halo_error_set(HALO_ERROR, "sandbox: %s '%s': %s",
					    msg[0] == STAGE_EXEC ? "cannot run"
					    : msg[0] == STAGE_NS ? "cannot set up namespaces for"
								 : "cannot set up a sandbox for",
					    p.exe, strerror(msg[1]));
		goto out;
	}
	set_nonblock(fds[6]);
	pid_t sample_pid = msg[1]; /* meaningful without a PID namespace */

	set_nonblock(fds[0]);
	set_nonblock(fds[2]);
	set_nonblock(fds[4]);
	pidfd = (int)syscall(SBX_NR_PIDFD_OPEN, pid, 0);
	const unsigned char *in_data = opts->stdin_data;
	size_t in_left = opts->stdin_len;
	if (!in_left)
		close_fd(&fds[0]);
	double deadline = opts->timeout_s > 0 ? t0 + opts->timeout_s : 0;
	int status = 0, exited = 0, err_over = 0;
	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) {
			exited = 1;
			break;
		}
		double left = deadline ? deadline - halo_mono_s() : 1e9;
		if (left <= 0) {
			res->timed_out = 1;
			break;
		}
		struct pollfd pf[4];
		int n = 0, i_in = -1, i_out = -1, i_err = -1;
		if (fds[0] >= 0) {
			pf[n] = (struct pollfd){ fds[0], POLLOUT, 0 };
			i_in = n++;
		}
		if (fds[2] >= 0) {
			pf[n] = (struct pollfd){ fds[2], POLLIN, 0 };
			i_out = n++;
		}
		if (fds[4] >= 0) {
			pf[n] = (struct pollfd){ fds[4], POLLIN, 0 };
			i_err = n++;
		}
		if (pidfd >= 0) /* readable at the exit, which waitid above then sees */
			pf[n++] = (struct pollfd){ pidfd, POLLIN, 0 };
		int wait_ms = left > 3600 ? 3600000 : (int)(left * 1000) + 1;
		if (pidfd < 0 && wait_ms > 20)
			wait_ms = 20; /* no pidfd (before Linux 5.3): look for the exit now and then */
		int r = poll(pf, (nfds_t)n, wait_ms);
		if (r < 0 && errno != EINTR) {
			rc = halo_error_set(HALO_ERROR, "sandbox: poll: %s", strerror(errno));
			break;
		}
		if (r <= 0)
			continue;
		if (i_in >= 0 && pf[i_in].revents) {
			ssize_t w = send(fds[0], in_data, in_left, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w > 0) {
				in_data += w;
				in_left -= (size_t)w;
			}
			if (in_left == 0 || (w < 0 && errno != EAGAIN && errno != EINTR))
				close_fd(&fds[0]); /* all given, or the child stopped reading */
		}
		if (i_out >= 0 && pf[i_out].revents) {
			drain_once(&fds[2], &out, out_cap, &res->out_truncated);
			if (res->out_truncated)
				break;
		}
		if (i_err >= 0 && pf[i_err].revents)
			drain_once(&fds[4], &err, err_cap, &err_over);
	}
	/* Whatever still runs goes: on a timeout or overflow the sample itself,
	 * after a normal exit anything it left behind. With a PID namespace,
	 * killing its init takes everything. Without, the sample's group is
	 * killed and the init (a subreaper) sweeps up the rest and exits; it is
	 * killed too if it takes long. Group ids stay reserved until their
	 * leaders are reaped, so no kill here can hit an unrelated process. */
	if (!p.clone_flags && !exited) {
		kill(-sample_pid, SIGKILL);
		double grace = halo_mono_s() + 5;
		while (halo_mono_s() < grace) {
			siginfo_t si;
			memset(&si, 0, sizeof(si));
			if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) {
				exited = 1;
				break;
			}
			struct pollfd pf = { pidfd, POLLIN, 0 };
			if (pidfd < 0 || poll(&pf, 1, 100) < 0)
				usleep(5000);
		}
	}
	kill(-pid, SIGKILL);
	if (!exited)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	res->wall_s = halo_mono_s() - t0;
	/* The sample's own status, when its init lived to see it. */
	if (read(fds[6], msg, sizeof(msg)) == (ssize_t)sizeof(msg) && msg[0] == MSG_STATUS)
		status = msg[1];
	if (!res->out_truncated)
		drain_now(&fds[2], &out, out_cap, &res->out_truncated);
	drain_now(&fds[4], &err, err_cap, &err_over);
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signaled = 1;
		res->term_signal = WTERMSIG(status);
	}
	res->isolation = p.flags;
out:
	if (pidfd >= 0)
		close(pidfd);
	cleanup_fds(fds, 10);
	if (rc == 0) {
		res->out_len = out.len;
		res->out = halo_buf_detach(&out);
		res->err_len = err.len;
		res->err = halo_buf_detach(&err);
		if (!res->out || !res->err) {
			halo_sandbox_result_free(res);
			rc = halo_error_set(HALO_ENOMEM, "sandbox: out of memory");
		}
	}
	halo_buf_free(&out);
	halo_buf_free(&err);
	if (cgroup)
		cgroup_remove(cgroup);
	remove_tree(p.cwd);
	plan_free(&p);
	return rc;
}

void halo_sandbox_result_free(halo_sandbox_result *res)
{
	if (!res)
		return;
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
	res->out_len = res->err_len = 0;
}

