/*
 * Fuzz target for the dataset readers (src/lib/eval/dataset.c): arbitrary
 * bytes as one record of every kind, as a field scan, and as a whole JSON
 * Lines file (plain or gzip, through a memfd). Nothing may crash, raw fields
 * must be verbatim substrings of the input, and file errors must name the file.
 */
#include "error.h"
#include "eval/dataset.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void check_raw(const uint8_t *data, size_t size, const char *raw)
{
	size_t n;
	if (!raw)
		return;
	n = strlen(raw);
	if (n == 0 || n > size || !memmem(data, size, raw, n))
		abort(); /* raw text must be copied, never rewritten */
}

static int on_record(const halo_dataset_record *r, void *ud)
{
	(void)ud;
	if (!r->id)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "base_input", "plus_input", "atol", "question", "ground_truth" };
	halo_json_span spans[5];

	if (halo_json_scan_fields((const char *)data, size, keys, 5, spans) == 0)
		for (size_t k = 0; k < 5; k++)
			if (spans[k].off > size || spans[k].len > size - spans[k].off)
				abort();

	for (int kind = 0; kind < HALO_DATASET_N_KINDS; kind++) {
		halo_dataset_record r;
		if (halo_dataset_parse_line((halo_dataset_kind)kind, (const char *)data, size, &r) == 0) {
			if (!r.id)
				abort();
			check_raw(data, size, r.base_input_raw);
			check_raw(data, size, r.plus_input_raw);
			check_raw(data, size, r.atol_raw);
			check_raw(data, size, r.question_json);
			check_raw(data, size, r.function_json);
			check_raw(data, size, r.ground_truth_json);
			for (size_t i = 0; i < r.n_instructions; i++)
				if (!r.instruction_ids[i] || !r.kwargs_json[i])
					abort();
			halo_dataset_record_free(&r);
		} else if (!halo_error_last()->message[0]) {
			abort();
		}
	}

	/* As a file: a small line cap so long inputs also hit that path. */
	int fd = memfd_create("fuzz_dataset", 0);
	if (fd < 0)
		return 0;
	if (size == 0 || write(fd, data, size) == (ssize_t)size) {
		char path[64];
		halo_dataset_opts opts = HALO_DATASET_OPTS_INIT;
		opts.line_cap = 4096;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		for (int kind = 0; kind < HALO_DATASET_N_KINDS; kind++) {
			if (halo_dataset_load(path, (halo_dataset_kind)kind, &opts, on_record, NULL, NULL) != 0 &&
			    strncmp(halo_error_last()->message, path, strlen(path)) != 0)
				abort();
		}
	}
	close(fd);
	return 0;
}
