/*
 * serve: running llama-server in the background for `halo serve`. Starts
 * it in its own process group (a terminal's Ctrl-C reaches halo, which
 * stops the server itself) with stdout and stderr in a log file, waits
 * until GET /health answers 200, tells an early exit from a slow load, and
 * stops it: SIGTERM to the group, SIGKILL after a grace period.
 *
 * The server is a child of the calling process: one thread should drive a
 * halo_server. The child gets SIGTERM should the caller die (prctl
 * PR_SET_PDEATHSIG), so no server outlives a killed halo.
 *
 * Never prints; progress goes through a callback. Strings passed in are
 * copied or only read during the call.
 */
#ifndef HALO_SERVE_H
#define HALO_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

/* Called about once a poll while waiting: seconds since the start, and the
 * last /health status (0: nothing listens yet; 503: loading the model). */
typedef void (*halo_serve_progress_fn)(void *ud, double elapsed_s, long http_status);

typedef struct halo_serve_opts {
	unsigned version;
	const char *log_path;          /* required: created (0644) or truncated; the server's stdout and stderr */
	char *const *env;              /* the server's environment; NULL: this process's */
	double ready_timeout_s;        /* how long halo_serve_wait_ready waits (big models load slowly) */
	double poll_interval_s;        /* between /health requests */
	halo_serve_progress_fn progress; /* may be NULL */
	void *progress_ud;
	volatile int *cancel;          /* when it becomes non-zero (a signal handler), waiting stops */
} halo_serve_opts;

#define HALO_SERVE_OPTS_VERSION 1
#define HALO_SERVE_OPTS_INIT { HALO_SERVE_OPTS_VERSION, NULL, NULL, 600.0, 0.25, NULL, NULL, NULL }

typedef struct halo_server {
	pid_t pid;             /* also its process group; 0 once reaped */
	bool exited;           /* it has ended (status below) */
	int status;            /* waitpid() status once exited */
	double started;        /* CLOCK_MONOTONIC seconds at the start */
	char health_url[320];  /* http://HOST:PORT/health, HOST reachable from here */
} halo_server;

#define HALO_SERVER_INIT { 0, false, 0, 0.0, "" }

/*
 * The address to reach a server listening on `host` from this machine:
 * 0.0.0.0 → 127.0.0.1, :: → ::1, IPv6 literals in brackets. Writes
 * "http://ADDR:PORT" (no slash at the end). HALO_EUSAGE on a bad port.
 */
int halo_serve_base_url(const char *host, int port, char *buf, size_t n);

/*
 * Fails (HALO_EIO, "127.0.0.1:8080: port in use ...") when something
 * accepts connections on host:port; 0 when nothing answers. HALO_ENOTFOUND
 * when the host name does not resolve.
 */
int halo_serve_check_port(const char *host, int port);

/*
 * Starts argv (argv[0] an executable path; NULL-terminated) with
 * o->env, stdin from /dev/null, stdout and stderr into o->log_path, in a
 * new process group. Fails when the log cannot be opened or the program
 * cannot be executed (the exec error is reported back, not just logged).
 * On success *s is filled; stop it with halo_serve_stop().
 */
int halo_serve_start(halo_server *s, char *const argv[], const char *host, int port, const halo_serve_opts *o);

/*
 * Polls s->health_url until it answers 200: 0 when ready. HALO_ERROR
 * ("... exited with status 1 before it was ready") when the server ends
 * first (s->exited, s->status set), HALO_ERROR ("not ready after N s") on
 * the timeout (the server keeps running: the caller stops it), HALO_ERROR
 * ("interrupted") when *o->cancel becomes non-zero.
 */
int halo_serve_wait_ready(halo_server *s, const halo_serve_opts *o);

/* Reaps the server if it has ended (without blocking): true while it runs. */
bool halo_serve_running(halo_server *s);

/*
 * Stops it: SIGTERM to its process group, up to grace_s seconds for it to
 * end, then SIGKILL. 0 with s->status set; true in *killed when SIGKILL was
 * needed. A server that has already ended is only reaped.
 */
int halo_serve_stop(halo_server *s, double grace_s, bool *killed);

/* "exit status 1", "killed by signal 9 (Killed)" for a waitpid() status; returns buf. */
const char *halo_serve_status_text(int status, char *buf, size_t n);

/* Appends the last `lines` lines of the file (at most its last 64 KiB). */
int halo_serve_log_tail(const char *path, size_t lines, halo_buf *out);

/*
 * The likely cause of a failed start from llama-server's log (text may be
 * anything): port in use, out of memory, unreadable model, unknown
 * argument. A static string, or NULL when nothing is recognised.
 */
const char *halo_serve_diagnose(const char *log, size_t len);

/*
 * Appends a command line a POSIX shell runs as given: the env assignments
 * ("KEY=VALUE") in front, then argv, each single-quoted when it needs to be.
 */
int halo_serve_shell_command(halo_buf *out, char *const env[], size_t n_env, char *const argv[]);

/* $XDG_STATE_HOME/halo/logs/serve-<name>-<port>.log (else ~/.local/state/...),
 * with characters other than [A-Za-z0-9._-] in `name` replaced by '_'. */
int halo_serve_default_log(char *buf, size_t n, const char *name, int port);

#endif
