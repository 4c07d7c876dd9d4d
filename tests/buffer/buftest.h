/* Shared helpers of the gnet-buffer Check suite. */
#ifndef GN_BUFTEST_H
#define GN_BUFTEST_H

#include "gn_test.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Assertions for hot loops: Check's ck_assert_* records a checkpoint (a write
 * to its message channel) on every call, which would dominate a loop of
 * millions of steps; these call into Check only when they fail. */
#define BT_CHECK(c)                                                                                \
    do {                                                                                           \
        if (!(c))                                                                                  \
            ck_abort_msg("%s:%d: check failed: %s", __FILE__, __LINE__, #c);                       \
    } while (0)
#define BT_CMP(a, op, b)                                                                           \
    do {                                                                                           \
        intmax_t bt_a_ = (intmax_t)(a), bt_b_ = (intmax_t)(b);                                     \
        if (!(bt_a_ op bt_b_))                                                                     \
            ck_abort_msg("%s:%d: check failed: %s %s %s (%jd vs %jd)", __FILE__, __LINE__, #a,     \
                         #op, #b, bt_a_, bt_b_);                                                   \
    } while (0)

#define BT_EQ(a, b) BT_CMP(a, ==, b)
#define BT_LE(a, b) BT_CMP(a, <=, b)
#define BT_LT(a, b) BT_CMP(a, <, b)
#define BT_GE(a, b) BT_CMP(a, >=, b)
#define BT_GT(a, b) BT_CMP(a, >, b)

/* Test cases, one builder per source file. */
TCase *gn_tc_ringbuf(void);
TCase *gn_tc_ringbuf_fd(void);
TCase *gn_tc_listbuf(void);
TCase *gn_tc_mixbuf(void);
TCase *gn_tc_badinput(void);
TCase *gn_tc_nomem(void);
TCase *gn_tc_model(void);
TCase *gn_tc_version(void);

/* Allocation failure injection: installs counting allocator wrappers (and zeroes
 * their counters; call it before the test allocates anything). After
 * `after` more successful allocations (malloc or realloc), every further one
 * fails until bt_alloc_fail_after(-1). */
void bt_alloc_install(void);
void bt_alloc_fail_after(long after);
/* Number of malloc and realloc calls made through the wrappers so far. */
long bt_alloc_calls(void);
/* Number of blocks currently allocated through the wrappers. */
long bt_alloc_live(void);

/* Fills p with a pattern that depends on the absolute stream offset `off`, so
 * that a byte out of place is detected. */
void bt_pattern(unsigned char *p, size_t n, uint64_t off);
/* True when p holds the pattern for stream offsets [off, off + n). */
int bt_pattern_ok(const unsigned char *p, size_t n, uint64_t off);
/* Concatenates cnt iovecs into out (which holds at least their total). */
size_t bt_iov_flatten(const struct iovec *iov, int cnt, unsigned char *out);
/* Makes a non-blocking AF_UNIX stream socketpair with small kernel buffers, so
 * that large writes are partial. */
void bt_socketpair(int sv[2], int sndbuf);

#endif
