/*
 * The table of a `halo bench endpoint` document (its --json object:
 * "server", and "vs" when compared), printed on stdout. Shared by the live
 * command (cmd_bench_endpoint.c) and `halo bench show endpoint:N`
 * (cmd_bench.c), so a stored run reads exactly as it did when measured.
 * The document is borrowed; missing or null values print as "-".
 */
#ifndef HALO_CLI_BENCH_ENDPOINT_PRINT_H
#define HALO_CLI_BENCH_ENDPOINT_PRINT_H

#include <jansson.h>

void bench_endpoint_print_table(const json_t *doc);

#endif
