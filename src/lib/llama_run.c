/*
 * llama.cpp process runner. See llama_run.h.
 */
#include "llama_run.h"

#include "clock.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static bool executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int halo_llama_find(char *out, size_t size, const char *dir, const char *name)
{
	const char *env = getenv("HALO_LLAMA_BIN");
	if (!dir && env && *env)
		dir = env;
	if (dir) {
		if ((size_t)snprintf(out, size, "%s/%s", dir, name) >= size)
			return halo_error_set(HALO_EUSAGE, "path of '%s' is too long", name);
		if (!executable(out))
			return halo_error_set(HALO_ENOTFOUND, "no executable '%s' in '%s'", name, dir);
		return 0;
	}
	const char *path = getenv("PATH");
	while (path && *path) {
		size_t n = strcspn(path, ":");
		if (n && (size_t)snprintf(out, size, "%.*s/%s", (int)n, path, name) < size && executable(out))
			return 0;
		path += n + (path[n] == ':');
	}
	return halo_error_set(HALO_ENOTFOUND, "'%s' not found in PATH (set HALO_LLAMA_BIN or --llama-bin)", name);
}

/* Waits for pid up to `seconds`; true when it ended. */
static bool wait_for(pid_t pid, double seconds, int *status)
{
	double end = halo_mono_s() + seconds;
	do {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			return true;
		usleep(20000);
	} while (halo_mono_s() < end);
	return false;
}

/* Appends what fd has to `b` (up to its cap, the rest is dropped); false at end of file. */
static bool drain_some(int fd, halo_buf *b, char *chunk, size_t size)
{
	ssize_t got = read(fd, chunk, size);
	if (got <= 0)
		return got < 0 && (errno == EINTR || errno == EAGAIN);
	if (b->len + (size_t)got <= b->cap)
		halo_buf_add(b, chunk, (size_t)got);
	return true;
}

/* What is left in a pipe once the program ended; non-blocking, so a
 * descendant that still holds the pipe open cannot hang us. Closes fd. */
static void drain_rest(int fd, halo_buf *b, char *chunk, size_t size)
{
	ssize_t got;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while ((got = read(fd, chunk, size)) > 0)
		if (b->len + (size_t)got <= b->cap)
			halo_buf_add(b, chunk, (size_t)got);
	close(fd);
}

int halo_llama_run(char *const argv[], const halo_llama_run_opts *opts, halo_buf *log, int *exit_status)
{
	halo_llama_run_opts defaults = HALO_LLAMA_RUN_OPTS_INIT;
	int fds[2], ofds[2] = { -1, -1 }, status = 0, rc = 0;
	if (!opts)
		opts = &defaults;
	halo_buf *out = opts->version >= 2 ? opts->out : NULL;
	int timeout = opts->timeout_s > 0 ? opts->timeout_s : 300;
	*exit_status = 0;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return halo_error_set(HALO_EIO, "pipe: %s", strerror(errno));
	if (out && pipe2(ofds, O_CLOEXEC) != 0) {
		close(fds[0]);
		close(fds[1]);
		return halo_error_set(HALO_EIO, "pipe: %s", strerror(errno));
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		if (out) {
			close(ofds[0]);
			close(ofds[1]);
		}
		return halo_error_set(HALO_ERROR, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		setpgid(0, 0); /* its own group, so a timeout can stop all of it */
		dup2(out ? ofds[1] : fds[1], 1);
		dup2(fds[1], 2);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		if (opts->env)
			execvpe(argv[0], argv, opts->env);
		else
			execvp(argv[0], argv);
		dprintf(2, "halo: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(fds[1]);
	if (out)
		close(ofds[1]);

	double end = halo_mono_s() + timeout;
	bool stopped = false, timed_out = false, log_open = true, out_open = out != NULL;
	char chunk[65536];
	size_t scan_from = 0;
	while (log_open || out_open) {
		struct pollfd p[2] = { { log_open ? fds[0] : -1, POLLIN, 0 }, { out_open ? ofds[0] : -1, POLLIN, 0 } };
		int left = (int)((end - halo_mono_s()) * 1000);
		if (left <= 0) {
			timed_out = true;
			break;
		}
		int n = poll(p, 2, left < 500 ? left : 500);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (out_open && p[1].revents)
			out_open = drain_some(ofds[0], out, chunk, sizeof(chunk));
		if (!log_open || !p[0].revents)
			continue;
		log_open = drain_some(fds[0], log, chunk, sizeof(chunk)); /* closed: the program is exiting */
		if (opts->until && log->ptr && strstr(log->ptr + scan_from, opts->until)) {
			stopped = true;
			break;
		}
		size_t keep = strlen(opts->until ? opts->until : "");
		scan_from = log->len > keep ? log->len - keep : 0;
	}
	if (stopped || timed_out) {
		kill(-pid, SIGTERM);
		if (!wait_for(pid, 10, &status)) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
	} else {
		waitpid(pid, &status, 0);
	}
	/* drain what is left for the log (and the output) */
	drain_rest(fds[0], log, chunk, sizeof(chunk));
	if (out)
		drain_rest(ofds[0], out, chunk, sizeof(chunk));

	if (stopped)
		*exit_status = -1;
	else if (WIFEXITED(status))
		*exit_status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		*exit_status = 128 + WTERMSIG(status);
	if (timed_out)
		rc = halo_error_set(HALO_ERROR, "'%s' did not finish within %d s", argv[0], timeout);
	else if (*exit_status == 127 && log->ptr && strstr(log->ptr, "halo: cannot run"))
		rc = halo_error_set(HALO_ENOTFOUND, "cannot run '%s'", argv[0]);
	return rc;
}
