#include "serve.h"

#include "clock.h"
#include "error.h"
#include "http.h"
#include "paths.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define TAIL_BYTES (64 * 1024)

static void sleep_s(double s)
{
	if (s <= 0)
		return;
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	/* a signal cuts it short, which is what a cancel wants */
	nanosleep(&ts, NULL);
}

/* The address a client on this machine uses for a listening host. */
static const char *connect_host(const char *host)
{
	if (!host || !*host || !strcmp(host, "0.0.0.0"))
		return "127.0.0.1";
	if (!strcmp(host, "::") || !strcmp(host, "[::]"))
		return "::1";
	return host;
}

int halo_serve_base_url(const char *host, int port, char *buf, size_t n)
{
	if (port < 1 || port > 65535)
		return halo_error_set(HALO_EUSAGE, "port %d: not 1 to 65535", port);
	const char *h = connect_host(host);
	bool v6 = strchr(h, ':') && h[0] != '[';
	int len = snprintf(buf, n, "http://%s%s%s:%d", v6 ? "[" : "", h, v6 ? "]" : "", port);
	if (len < 0 || (size_t)len >= n)
		return halo_error_set(HALO_ENOMEM, "host '%s': too long", host);
	return 0;
}

int halo_serve_check_port(const char *host, int port)
{
	if (port < 1 || port > 65535)
		return halo_error_set(HALO_EUSAGE, "port %d: not 1 to 65535", port);
	char h[256], service[16];
	snprintf(h, sizeof(h), "%s", connect_host(host));
	size_t hl = strlen(h);
	if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') { /* [::1] */
		memmove(h, h + 1, hl - 2);
		h[hl - 2] = '\0';
	}
	snprintf(service, sizeof(service), "%d", port);
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	int gr = getaddrinfo(h, service, &hints, &res);
	if (gr)
		return halo_error_set(HALO_ENOTFOUND, "host '%s': %s", host, gai_strerror(gr));
	int busy = 0;
	for (struct addrinfo *ai = res; ai && !busy; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		/* blocking connect: to a local address it is answered at once */
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			busy = 1;
		close(fd);
	}
	freeaddrinfo(res);
	if (busy)
		return halo_error_set(HALO_EIO, "%s:%d: port in use (something already accepts connections there); "
				      "choose another with --port", host, port);
	return 0;
}

/* Writes all of msg to fd from the child, where stdio is not safe. */
static void child_write(int fd, const char *msg)
{
	size_t len = strlen(msg);
	while (len) {
		ssize_t w = write(fd, msg, len);
		if (w <= 0)
			return;
		msg += w;
		len -= (size_t)w;
	}
}

int halo_serve_start(halo_server *s, char *const argv[], const char *host, int port, const halo_serve_opts *o)
{
	if (!s || !argv || !argv[0] || !o || !o->log_path)
		return halo_error_set(HALO_EUSAGE, "serve: a program and a log file are needed");
	*s = (halo_server)HALO_SERVER_INIT;
	char base[256];
	int rc = halo_serve_base_url(host, port, base, sizeof(base));
	if (rc)
		return rc;
	snprintf(s->health_url, sizeof(s->health_url), "%s/health", base);
	if ((rc = halo_mkdir_parents(o->log_path, 0755)))
		return rc;
	int log = open(o->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (log < 0)
		return halo_error_set(HALO_EIO, "'%s': cannot open the log: %s", o->log_path, strerror(errno));
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int status_pipe[2];
	if (null < 0 || pipe2(status_pipe, O_CLOEXEC)) {
		int e = errno;
		close(log);
		if (null >= 0)
			close(null);
		return halo_error_set(HALO_EIO, "cannot set up '%s': %s", argv[0], strerror(e));
	}
	pid_t parent = getpid();
	char *const *env = o->env ? o->env : environ;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(log);
		close(null);
		close(status_pipe[0]);
		close(status_pipe[1]);
		return halo_error_set(HALO_EIO, "cannot start '%s': %s", argv[0], strerror(e));
	}
	if (pid == 0) {
		/* the child: only async-signal-safe calls until exec */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127); /* the parent died before prctl */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
			_exit(127);
		execve(argv[0], argv, env);
		int e = errno;
		if (write(status_pipe[1], &e, sizeof(e)) < 0) {
			/* nothing more to tell */
		}
		child_write(2, "halo: cannot execute the server\n");
		_exit(127);
	}
	/* both sides set the group, so it exists before any signal is sent to it */
	setpgid(pid, pid);
	close(log);
	close(null);
	close(status_pipe[1]);
	int child_errno = 0;
	ssize_t r;
	do
		r = read(status_pipe[0], &child_errno, sizeof(child_errno));
	while (r < 0 && errno == EINTR);
	close(status_pipe[0]);
	s->pid = pid;
	s->started = halo_mono_s();
	if (r == (ssize_t)sizeof(child_errno)) {
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		s->pid = 0;
		s->exited = true;
		s->status = st;
		return halo_error_set(child_errno == ENOENT ? HALO_ENOTFOUND : HALO_EIO, "'%s': cannot execute: %s",
				      argv[0], strerror(child_errno));
	}
	return 0;
}

bool halo_serve_running(halo_server *s)
{
	if (!s->pid)
		return false;
	int st;
	pid_t w = waitpid(s->pid, &st, WNOHANG);
	if (w == s->pid) {
		s->pid = 0;
		s->exited = true;
		s->status = st;
		return false;
	}
	if (w < 0 && errno == ECHILD) { /* reaped elsewhere: status unknown */
		s->pid = 0;
		s->exited = true;
		return false;
	}
	return true;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
	(void)ptr;
	(void)ud;
	return size * nmemb;
}

/* The /health status: 0 when nothing answers. */
static long health(const char *url)
{
	halo_http_opts ho = HALO_HTTP_OPTS_INIT;
	ho.connect_timeout_s = 2;
	ho.total_timeout_s = 5;
	struct curl_slist *headers = NULL;
	CURL *c = halo_http_easy_new(url, &ho, &headers);
	if (!c)
		return 0;
	long code = 0;
	/* a local server: never through a proxy from the environment */
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	return code;
}

int halo_serve_wait_ready(halo_server *s, const halo_serve_opts *o)
{
	double timeout = o->ready_timeout_s > 0 ? o->ready_timeout_s : 600.0;
	double interval = o->poll_interval_s > 0 ? o->poll_interval_s : 0.25;
	char st[128];
	for (;;) {
		if (o->cancel && *o->cancel)
			return halo_error_set(HALO_ERROR, "interrupted while the server was starting");
		if (!halo_serve_running(s))
			return halo_error_set(HALO_ERROR, "the server ended with %s before it was ready",
					      halo_serve_status_text(s->status, st, sizeof(st)));
		long code = health(s->health_url);
		if (code == 200)
			return 0;
		double elapsed = halo_mono_s() - s->started;
		if (o->progress)
			o->progress(o->progress_ud, elapsed, code);
		if (elapsed >= timeout) {
			/* it may have died during the last request: say so rather than time out */
			if (!halo_serve_running(s))
				continue;
			return halo_error_set(HALO_ERROR, "%s: not ready after %.0f s (last answer: %s)", s->health_url,
					      timeout, code == 503 ? "503, still loading" : code ? "an error" : "none");
		}
		sleep_s(interval);
	}
}

int halo_serve_stop(halo_server *s, double grace_s, bool *killed)
{
	if (killed)
		*killed = false;
	if (!s->pid)
		return 0;
	if (!halo_serve_running(s))
		return 0;
	kill(-s->pid, SIGTERM);
	double end = halo_mono_s() + (grace_s > 0 ? grace_s : 0);
	while (halo_serve_running(s) && halo_mono_s() < end)
		sleep_s(0.05);
	if (s->pid) {
		if (killed)
			*killed = true;
		kill(-s->pid, SIGKILL);
		int st;
		pid_t w;
		while ((w = waitpid(s->pid, &st, 0)) < 0 && errno == EINTR)
			;
		s->exited = true;
		s->status = w == s->pid ? st : 0;
		s->pid = 0;
	}
	return 0;
}

const char *halo_serve_status_text(int status, char *buf, size_t n)
{
	if (WIFEXITED(status))
		snprintf(buf, n, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, n, "status %d", status);
	return buf;
}

int halo_serve_log_tail(const char *path, size_t lines, halo_buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return halo_error_set(HALO_EIO, "'%s': %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb)) {
		close(fd);
		return halo_error_set(HALO_EIO, "'%s': %s", path, strerror(errno));
	}
	off_t start = sb.st_size > TAIL_BYTES ? sb.st_size - TAIL_BYTES : 0;
	char *text = malloc(TAIL_BYTES + 1);
	if (!text) {
		close(fd);
		return halo_error_set(HALO_ENOMEM, "'%s': out of memory", path);
	}
	ssize_t got = pread(fd, text, TAIL_BYTES, start);
	close(fd);
	if (got < 0) {
		free(text);
		return halo_error_set(HALO_EIO, "'%s': %s", path, strerror(errno));
	}
	size_t len = (size_t)got;
	size_t from = halo_text_tail(text, &len, lines, (size_t)got);
	int rc = 0;
	if (len > from)
		rc = halo_buf_add(out, text + from, len - from);
	free(text);
	return rc;
}

static bool has(const char *log, size_t len, const char *needle)
{
	return memmem(log, len, needle, strlen(needle)) != NULL;
}

const char *halo_serve_diagnose(const char *log, size_t len)
{
	if (!log)
		return NULL;
	/* llama.cpp's messages (tools/server, src/llama*.cpp, ggml backends) */
	if (has(log, len, "couldn't bind HTTP server socket"))
		return "the port is in use, or the host is not an address of this machine";
	if (has(log, len, "ErrorOutOfDeviceMemory") || has(log, len, "out of memory") ||
	    has(log, len, "failed to allocate") || has(log, len, "unable to allocate") ||
	    has(log, len, "cudaMalloc failed") || has(log, len, "hipMalloc failed"))
		return "out of memory: use a smaller context (--ctx), KV type (--kv q8_0) or quant, or fewer slots "
		       "(--parallel 1); 'halo plan' shows what fits";
	if (has(log, len, "error: invalid argument") || has(log, len, "unknown argument") ||
	    has(log, len, "error while handling argument"))
		return "llama-server rejected an argument: the backend's llama.cpp may be older than halo expects";
	if (has(log, len, "failed to load model") || has(log, len, "error loading model"))
		return "the model could not be loaded: an incomplete or corrupt file, or an architecture this "
		       "llama.cpp build does not know";
	return NULL;
}

static bool needs_quotes(const char *s)
{
	if (!*s)
		return true;
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=,+@%", *p))
			return true;
	return false;
}

static int add_quoted(halo_buf *out, const char *s)
{
	if (!needs_quotes(s))
		return halo_buf_adds(out, s);
	int rc = halo_buf_adds(out, "'");
	for (const char *p = s; !rc && *p; p++)
		rc = *p == '\'' ? halo_buf_adds(out, "'\\''") : halo_buf_add(out, p, 1);
	return rc ? rc : halo_buf_adds(out, "'");
}

int halo_serve_shell_command(halo_buf *out, char *const env[], size_t n_env, char *const argv[])
{
	int rc = 0;
	bool first = true;
	for (size_t i = 0; i < n_env && !rc; i++) {
		const char *eq = strchr(env[i], '=');
		if (!eq || eq == env[i])
			return halo_error_set(HALO_EUSAGE, "environment entry '%s': not KEY=VALUE", env[i]);
		/* KEY stays bare so the shell reads an assignment; only the value is quoted */
		if (!first)
			rc = halo_buf_adds(out, " ");
		if (!rc)
			rc = halo_buf_add(out, env[i], (size_t)(eq - env[i]) + 1);
		if (!rc)
			rc = add_quoted(out, eq + 1);
		first = false;
	}
	for (size_t i = 0; argv && argv[i] && !rc; i++) {
		if (!first)
			rc = halo_buf_adds(out, " ");
		if (!rc)
			rc = add_quoted(out, argv[i]);
		first = false;
	}
	return rc;
}

int halo_serve_default_log(char *buf, size_t n, const char *name, int port)
{
	char clean[128], rel[200];
	size_t j = 0;
	for (const char *p = name ? name : "model"; *p && j + 1 < sizeof(clean); p++)
		clean[j++] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p) ? *p : '_';
	clean[j] = '\0';
	snprintf(rel, sizeof(rel), "logs/serve-%s-%d.log", j ? clean : "model", port);
	return halo_user_path(HALO_DIR_STATE, rel, buf, n);
}
