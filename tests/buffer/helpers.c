/* Helpers shared by the gnet-buffer tests (see buftest.h). */
#include "buftest.h"

#include <gnet/buffer.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static long g_fail_after = -1;
static long g_live;
static long g_calls;

static int should_fail(void)
{
    g_calls++;
    if (g_fail_after < 0)
        return 0;
    if (g_fail_after == 0)
        return 1;
    g_fail_after--;
    return 0;
}

static void *bt_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    void *p = malloc(n);
    if (p != NULL)
        g_live++;
    return p;
}

static void *bt_realloc(void *old, size_t n)
{
    if (should_fail())
        return NULL;
    void *p = realloc(old, n);
    if (p != NULL && old == NULL)
        g_live++;
    return p;
}

static void bt_free(void *p)
{
    if (p != NULL)
        g_live--;
    free(p);
}

void bt_alloc_install(void)
{
    g_fail_after = -1;
    g_calls = 0;
    g_live = 0;
    ck_assert_int_eq(gn_buffer_set_allocator(bt_malloc, bt_realloc, bt_free), 0);
}

void bt_alloc_fail_after(long after)
{
    g_fail_after = after;
}

long bt_alloc_calls(void)
{
    return g_calls;
}

long bt_alloc_live(void)
{
    return g_live;
}

static unsigned char pattern_byte(uint64_t off)
{
    return (unsigned char)((off * 2654435761u) >> 13 ^ off);
}

void bt_pattern(unsigned char *p, size_t n, uint64_t off)
{
    for (size_t i = 0; i < n; i++)
        p[i] = pattern_byte(off + i);
}

int bt_pattern_ok(const unsigned char *p, size_t n, uint64_t off)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != pattern_byte(off + i))
            return 0;
    }
    return 1;
}

size_t bt_iov_flatten(const struct iovec *iov, int cnt, unsigned char *out)
{
    size_t n = 0;
    for (int i = 0; i < cnt; i++) {
        memcpy(out + n, iov[i].iov_base, iov[i].iov_len);
        n += iov[i].iov_len;
    }
    return n;
}

void bt_socketpair(int sv[2], int sndbuf)
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
        ck_assert_int_eq(setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf)), 0);
        int fl = fcntl(sv[i], F_GETFL);
        ck_assert_int_eq(fcntl(sv[i], F_SETFL, fl | O_NONBLOCK), 0);
    }
}
