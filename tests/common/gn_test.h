/* Helpers shared by the Check suites. Header-only so each suite stays one binary
 * and a library's tests can be lifted out with its folder plus this file. */
#ifndef GN_TEST_H
#define GN_TEST_H

#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

/* True when the suite runs under a sanitizer (make test SAN=...): stress tests use
 * gn_test_scale() so the sanitized CI runs stay within their time budget. */
static inline int gn_test_sanitized(void)
{
    const char *s = getenv("GN_TEST_SAN");
    return s != NULL && s[0] == '1';
}

/* n in a normal run, n / div (at least 1) in a sanitized one. */
static inline long gn_test_scale(long n, long div)
{
    if (!gn_test_sanitized())
        return n;
    return n / div > 0 ? n / div : 1;
}

/* Seed for randomized tests: GN_TEST_SEED if set, otherwise `fallback`. Printed
 * so that a failure can be replayed with GN_TEST_SEED=<seed>. */
static inline uint64_t gn_test_seed(const char *what, uint64_t fallback)
{
    const char *s = getenv("GN_TEST_SEED");
    uint64_t seed = s != NULL ? strtoull(s, NULL, 0) : fallback;
    fprintf(stderr, "%s: seed %" PRIu64 " (replay with GN_TEST_SEED=%" PRIu64 ")\n", what, seed,
            seed);
    return seed;
}

/* xorshift64*: small, fast and good enough for test input. */
static inline uint64_t gn_test_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Caps the process's address space (RLIMIT_AS) at what it uses now (the first
 * field of /proc/self/statm) plus headroom bytes, so that allocations beyond
 * that fail: the way to test -ENOMEM paths. Fails the test if it cannot. Not
 * for sanitized builds (their shadow memory is terabytes of address space). */
static inline void gn_test_limit_address_space(size_t headroom)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = -1;
    if (f != NULL) {
        if (fscanf(f, "%ld", &pages) != 1)
            pages = -1;
        fclose(f);
    }
    ck_assert_int_gt(pages, 0);
    struct rlimit lim = {.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + headroom,
                         .rlim_max = RLIM_INFINITY};
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &lim), 0);
}

/* Runs a suite (forked tests, Check's default) and returns the process exit code. */
static inline int gn_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
