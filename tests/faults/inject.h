/* Allocation-failure injection for the fault suite (SQLite's discipline: the
 * n-th allocation fails, for every n). The suite is linked with -Wl,--wrap
 * for malloc, calloc, realloc, aligned_alloc and strdup, so every allocation
 * the libraries and the engine make goes through inject.c, on any thread.
 * Allocations inside libc itself are not seen. */
#ifndef GN_FAULTS_INJECT_H
#define GN_FAULTS_INJECT_H

#include <stdbool.h>

/* The n-th allocation from now (n >= 1), on any thread but the calling one
 * (whose allocations, Check's included, are never counted), fails; only
 * that one. Threads other than the caller must not use Check's asserts
 * while armed: they allocate. */
void inj_arm(long n);
/* Stops injecting; true if the armed allocation was reached (and failed). */
bool inj_disarm(void);

#endif
