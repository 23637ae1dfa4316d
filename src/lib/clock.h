/*
 * Seconds as doubles: a monotonic clock for durations and timeouts (never
 * jumps with the wall clock), and the wall clock for timestamps stored or
 * shown to people. Header-only; nothing to free.
 */
#ifndef HALO_CLOCK_H
#define HALO_CLOCK_H

#include <time.h>

static inline double halo_mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Unix time. */
static inline double halo_wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
