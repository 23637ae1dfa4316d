/*
 * Running a llama.cpp program and capturing its log, for halo plan --verify
 * (and later serve and bench): output is collected with a size cap, the run
 * ends when a marker line appears (then the program is asked to stop), when
 * it exits, or at a timeout (then its whole process group is killed).
 */
#ifndef HALO_LLAMA_RUN_H
#define HALO_LLAMA_RUN_H

#include <stdbool.h>

#include "buf.h"

typedef struct halo_llama_run_opts {
	unsigned version;
	const char *until;   /* stop once the output contains this text; NULL: wait for exit */
	int timeout_s;       /* whole run; 0: 300 */
	char *const *env;    /* the program's whole environment (NULL: halo's own) */
	/* version 2: when set, stdout is collected here (bounded by out->cap)
	 * and only stderr goes to the log (llama-bench's results vs its log) */
	struct halo_buf *out;
} halo_llama_run_opts;

#define HALO_LLAMA_RUN_OPTS_VERSION 2
#define HALO_LLAMA_RUN_OPTS_INIT { HALO_LLAMA_RUN_OPTS_VERSION, NULL, 300, NULL, NULL }

/*
 * Runs argv[0] (a path, or a name looked up in PATH) with argv, stdout and
 * stderr both appended to `log` (bounded by log->cap; the rest is dropped).
 * *exit_status is the exit code, 128+signal when killed by a signal, or -1
 * when halo stopped it after `until` appeared. HALO_ENOTFOUND when the
 * program cannot be started, HALO_ERROR on timeout (the log is kept).
 */
int halo_llama_run(char *const argv[], const halo_llama_run_opts *opts, halo_buf *log, int *exit_status);

/*
 * Finds a llama.cpp program: `dir`/name when dir is given, else
 * $HALO_LLAMA_BIN/name, else `name` in PATH. Writes the path into out.
 */
int halo_llama_find(char *out, size_t size, const char *dir, const char *name);

#endif
