/*
 * bench_gguf: how long halo takes to read a GGUF header, against the time
 * to merely read the same header bytes from the page cache (the floor any
 * reader pays), measured in the same run.
 *
 *   build/bench/bench_gguf FILE.gguf... [-n ITER]
 *
 * Prints per file: header bytes, parse time, read-only time and their ratio.
 */
#include "error.h"
#include "gguf.h"
#include "hparams.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads the first `n` bytes of `path` into a fresh buffer, as a reader must. */
static int read_prefix(const char *path, size_t n)
{
	int fd = open(path, O_RDONLY);
	char *buf = malloc(n ? n : 1);
	size_t got = 0;
	if (fd < 0 || !buf)
		return -1;
	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, (off_t)got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	volatile char sink = buf[n ? n - 1 : 0];
	(void)sink;
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int iters = 50;
	printf("%-40s %12s %12s %12s %8s\n", "file", "header B", "parse ms", "read ms", "ratio");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			iters = atoi(argv[++i]);
			continue;
		}
		halo_gguf *g;
		halo_hparams hp;
		if (halo_gguf_open(&g, argv[i], NULL)) {
			fprintf(stderr, "bench_gguf: %s\n", halo_error_last()->message);
			return 1;
		}
		size_t header = (size_t)(g->n_tensors ? g->data_offset : g->expected_size);
		halo_gguf_free(g);

		double t0 = now();
		for (int k = 0; k < iters; k++) {
			if (halo_gguf_open(&g, argv[i], NULL))
				return 1;
			halo_hparams_from_gguf(&hp, g);
			halo_gguf_free(g);
		}
		double parse = (now() - t0) / iters;
		t0 = now();
		for (int k = 0; k < iters; k++)
			read_prefix(argv[i], header);
		double rd = (now() - t0) / iters;
		const char *base = strrchr(argv[i], '/');
		printf("%-40s %12zu %12.3f %12.3f %8.2f\n", base ? base + 1 : argv[i], header, parse * 1e3, rd * 1e3,
		       rd > 0 ? parse / rd : 0.0);
	}
	return 0;
}
