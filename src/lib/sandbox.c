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
#include "error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
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

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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
} plan;

static void plan_free(plan *p)
{
	free(p->exe);
	free(p->cwd);
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

/* ---- the child ----------------------------------------------------------- */

enum child_stage { STAGE_SETUP = 1, STAGE_EXEC = 2 };

/* Reports a failure before exec to the parent and exits. Async-signal-safe. */
static void child_fail(int stage) __attribute__((noreturn));
static void child_fail(int stage)
{
	int msg[2] = { stage, errno };
	ssize_t w = write(3, msg, sizeof(msg));
	(void)w;
	_exit(127);
}

/* Puts in/out/err on 0/1/2 and the report pipe on 3 (close-on-exec), and
 * closes every other descriptor: a long-lived child must not keep another
 * thread's pipes open. */
static int child_fds(int in_fd, int out_fd, int err_fd, int report_fd)
{
	int fds[4] = { in_fd, out_fd, err_fd, report_fd };
	for (int i = 0; i < 4; i++) /* out of the way of 0..3 first */
		if ((fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10)) < 0)
			return -1;
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) != i)
			return -1;
	if (dup3(fds[3], 3, O_CLOEXEC) != 3)
		return -1;
	if (syscall(SYS_close_range, 4u, ~0u, 0u) != 0) {
		struct rlimit nofile;
		int max = getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < 65536 ? (int)nofile.rlim_cur
											: 65536;
		for (int fd = 4; fd < max; fd++)
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

static void child_main(const plan *p, const halo_sandbox_opts *o, int in_fd, int out_fd, int err_fd, int report_fd,
		       pid_t parent)
{
	/* Die with the calling thread rather than outlive it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	setpgid(0, 0);
	if (child_fds(in_fd, out_fd, err_fd, report_fd) != 0)
		_exit(127);
	reset_signals();
	if (chdir(p->cwd) != 0)
		child_fail(STAGE_SETUP);
	for (int i = 0; i < p->n_limits; i++) {
		struct rlimit rl = { p->limits[i].value, p->limits[i].value };
		if (setrlimit(p->limits[i].resource, &rl) != 0)
			child_fail(STAGE_SETUP);
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	execve(p->exe, (char *const *)(uintptr_t)o->argv, p->env);
	child_fail(STAGE_EXEC);
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
	p.cwd = xasprintf("%s/halo-sandbox-XXXXXX", parent_dir);
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
	if (build_env(&p, opts) != 0) {
		remove_tree(p.cwd);
		plan_free(&p);
		return halo_error_set(HALO_ENOMEM, "sandbox: out of memory");
	}
	add_limit(&p, RLIMIT_CORE, 0);
	if (opts->mem_bytes)
		add_limit(&p, RLIMIT_AS, opts->mem_bytes);
	if (opts->cpu_s)
		add_limit(&p, RLIMIT_CPU, opts->cpu_s);
	if (opts->max_procs)
		add_limit(&p, RLIMIT_NPROC, opts->max_procs);
	if (opts->max_file_bytes)
		add_limit(&p, RLIMIT_FSIZE, opts->max_file_bytes);
	if (opts->max_open_files)
		add_limit(&p, RLIMIT_NOFILE, opts->max_open_files);

	size_t out_cap = opts->stdout_cap ? opts->stdout_cap : DEFAULT_STDOUT_CAP;
	size_t err_cap = opts->stderr_cap ? opts->stderr_cap : DEFAULT_STDERR_CAP;
	halo_buf out, err;
	halo_buf_init(&out, out_cap);
	halo_buf_init(&err, err_cap);

	/* [0,1]: stdin (a socket pair, so writing after the child is gone is
	 * EPIPE without SIGPIPE), [2,3]: stdout, [4,5]: stderr, [6,7]: report. */
	int fds[8] = { -1, -1, -1, -1, -1, -1, -1, -1 };
	int rc = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, &fds[0]) != 0 || pipe2(&fds[2], O_CLOEXEC) != 0 ||
	    pipe2(&fds[4], O_CLOEXEC) != 0 || pipe2(&fds[6], O_CLOEXEC) != 0) {
		rc = halo_error_set(HALO_EIO, "sandbox: pipe: %s", strerror(errno));
		goto out;
	}
	/* The child only reads its end of the pair; ours only writes. */
	shutdown(fds[0], SHUT_RD);
	shutdown(fds[1], SHUT_WR);

	double t0 = now_s();
	pid_t self = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		rc = halo_error_set(HALO_ERROR, "sandbox: fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_main(&p, opts, fds[1], fds[3], fds[5], fds[7], self);
	setpgid(pid, pid); /* both sides, so no kill can race the child's own call */
	close_fd(&fds[1]);
	close_fd(&fds[3]);
	close_fd(&fds[5]);
	close_fd(&fds[7]);

	/* Until exec, or a failure before it. */
	int msg[2];
	ssize_t got;
	do
		got = read(fds[6], msg, sizeof(msg));
	while (got < 0 && errno == EINTR);
	close_fd(&fds[6]);
	if (got == (ssize_t)sizeof(msg)) {
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (msg[0] == STAGE_EXEC && (msg[1] == ENOENT || msg[1] == EACCES || msg[1] == ENOEXEC))
			rc = halo_error_set(HALO_ENOTFOUND, "sandbox: cannot run '%s': %s", p.exe, strerror(msg[1]));
		else
			rc = halo_error_set(HALO_ERROR, "sandbox: %s '%s': %s",
					    msg[0] == STAGE_EXEC ? "cannot run" : "cannot set up a sandbox for", p.exe,
					    strerror(msg[1]));
		goto out;
	}

	set_nonblock(fds[0]);
	set_nonblock(fds[2]);
	set_nonblock(fds[4]);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
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
		double left = deadline ? deadline - now_s() : 1e9;
		if (left <= 0) {
			res->timed_out = 1;
			break;
		}
		struct pollfd pf[4];
		int n = 0, i_in = -1, i_out = -1, i_err = -1, i_pid = -1;
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
		if (pidfd >= 0) {
			pf[n] = (struct pollfd){ pidfd, POLLIN, 0 };
			i_pid = n++;
		}
		int wait_ms = left > 3600 ? 3600000 : (int)(left * 1000) + 1;
		if (pidfd < 0 && wait_ms > 50)
			wait_ms = 50; /* no pidfd: look for the exit now and then */
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
		(void)i_pid; /* its readiness is seen by waitid at the top */
	}
	/* Whatever still runs in the group goes: on a timeout or overflow the
	 * sample itself, after a normal exit anything it left behind. The group
	 * id stays reserved until the leader is reaped below, so this cannot hit
	 * an unrelated process. */
	kill(-pid, SIGKILL);
	if (!exited)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	res->wall_s = now_s() - t0;
	if (!res->out_truncated)
		drain_now(&fds[2], &out, out_cap, &res->out_truncated);
	drain_now(&fds[4], &err, err_cap, &err_over);
	if (pidfd >= 0)
		close(pidfd);
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signaled = 1;
		res->term_signal = WTERMSIG(status);
	}
out:
	cleanup_fds(fds, 8);
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

unsigned halo_sandbox_available_isolation(void)
{
	return 0;
}
