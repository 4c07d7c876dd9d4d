/* Helpers shared by the libFuzzer targets in tests/fuzz/ (linked into each).
 *
 * Allocation failure: the targets are linked with -Wl,--wrap for malloc,
 * calloc and realloc, so every allocation the libraries make goes through
 * the wrappers in support.c. fuzz_alloc_fail_at(n) makes the n-th allocation
 * from now on the calling thread fail (n = 1: the next one), once or, with
 * sticky, with every allocation after it too. Other threads (libFuzzer's
 * own) are never failed.
 *
 * Name resolution: getaddrinfo is wrapped to resolve numeric hosts only, so
 * no input ever waits on DNS. */
#ifndef GN_FUZZ_H
#define GN_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void fuzz_alloc_fail_at(long n, bool sticky);
/* Ends injection; returns true if an allocation was failed since arming. */
bool fuzz_alloc_disarm(void);
/* Allocations made on this thread since the process started. */
long fuzz_alloc_count(void);

/* A cursor over the fuzzer's input: reads bytes, 0 once exhausted. */
typedef struct fuzz_in {
    const uint8_t *p;
    size_t n;
} fuzz_in_t;

static inline uint8_t fuzz_u8(fuzz_in_t *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

static inline uint16_t fuzz_u16(fuzz_in_t *in)
{
    uint16_t hi = fuzz_u8(in);
    return (uint16_t)(hi << 8 | fuzz_u8(in));
}

#endif
