/* Shared helpers of the gnet-buffer Check suite. */
#ifndef GN_BUFTEST_H
#define GN_BUFTEST_H

#include "gn_test.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Test cases, one builder per source file. */
TCase *gn_tc_ringbuf(void);
TCase *gn_tc_ringbuf_fd(void);
TCase *gn_tc_listbuf(void);
TCase *gn_tc_mixbuf(void);
TCase *gn_tc_badinput(void);
TCase *gn_tc_nomem(void);
TCase *gn_tc_model(void);

/* Allocation failure injection: installs counting allocator wrappers. After
 * `after` more successful allocations (malloc or realloc), every further one
 * fails until bt_alloc_fail_after(-1). */
void bt_alloc_install(void);
void bt_alloc_fail_after(long after);
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
