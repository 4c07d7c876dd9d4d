/* buffer_demo: the three gnet-buffer types at work over a socketpair.
 *
 *  1. Outbound: about 1 MiB of newline-terminated records is queued in a
 *     gn_mixbuf_t (the first 64 KiB in its ring, the rest in list blocks), plus a
 *     last record handed to a gn_listbuf_t without copying; both are flushed with
 *     write_fd into a non-blocking socket with a small kernel buffer, so writes
 *     are partial and hit EAGAIN, as on a slow connection.
 *  2. Inbound: the other end reads with gn_ringbuf_read_fd and parses records
 *     straight out of the ring with peek (a record may wrap around the end of
 *     the ring), verifying every byte.
 *
 * Prints what happened; exits 0 when every byte arrived intact, 1 otherwise.
 * Run it with: make demo   (or build/examples/buffer_demo after make)
 */
#include <gnet/listbuf.h>
#include <gnet/mixbuf.h>
#include <gnet/ringbuf.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RECORDS 4000

/* Record i: "rec <i> " then (i % 500) letters, then '\n'. */
static size_t make_record(char *out, unsigned i)
{
    int n = sprintf(out, "rec %u ", i);
    size_t len = (size_t)n;
    for (unsigned k = 0; k < i % 500; k++)
        out[len++] = (char)('a' + (i + k) % 26);
    out[len++] = '\n';
    return len;
}

/* Finds '\n' in the ring without copying; returns the record length including
 * it, or 0 when no complete record is buffered yet. */
static size_t find_record(const gn_ringbuf_t *rb)
{
    struct iovec iov[2];
    int cnt = gn_ringbuf_peek(rb, SIZE_MAX, iov);
    size_t off = 0;
    for (int i = 0; i < cnt; i++) {
        const char *nl = memchr(iov[i].iov_base, '\n', iov[i].iov_len);
        if (nl != NULL)
            return off + (size_t)(nl - (const char *)iov[i].iov_base) + 1;
        off += iov[i].iov_len;
    }
    return 0;
}

typedef struct {
    gn_ringbuf_t in;
    unsigned next;  /* index of the next expected record */
    size_t max_cap; /* largest ring capacity seen */
    int wrapped;    /* records that straddled the end of the ring */
    int bad;        /* records that did not match */
} reader;

/* Reads what the socket holds and consumes every complete record. */
static int reader_drain(reader *r, int fd)
{
    char want[600], got[600];
    for (;;) {
        ssize_t n = gn_ringbuf_read_fd(&r->in, fd, SIZE_MAX);
        if (n == -EAGAIN || n == 0)
            return 0;
        if (n < 0)
            return (int)n;
        if (gn_ringbuf_cap(&r->in) > r->max_cap)
            r->max_cap = gn_ringbuf_cap(&r->in);
        size_t len;
        while ((len = find_record(&r->in)) > 0) {
            struct iovec iov[2];
            r->wrapped += gn_ringbuf_peek(&r->in, len, iov) == 2;
            size_t wlen = make_record(want, r->next++);
            gn_ringbuf_read(&r->in, got, len);
            r->bad += len != wlen || memcmp(got, want, len) != 0;
        }
    }
}

/* Queues records 0..RECORDS-2 in the mixed buffer and the last one, without
 * copying, in the list buffer (it is flushed after the mixed buffer). */
static int queue_all(gn_mixbuf_t *out, gn_listbuf_t *zc, size_t *total)
{
    static char last[600]; /* must outlive the list buffer's reference */
    char rec[600];
    for (unsigned i = 0; i + 1 < RECORDS; i++) {
        size_t len = make_record(rec, i);
        int rc = gn_mixbuf_write(out, rec, len);
        if (rc != 0)
            return rc;
        *total += len;
    }
    size_t len = make_record(last, RECORDS - 1);
    *total += len;
    return gn_listbuf_append_ref(zc, last, len, NULL, NULL);
}

/* One write_fd of whichever buffer is first in line; *before is what it held. */
static ssize_t flush_once(gn_mixbuf_t *out, gn_listbuf_t *zc, int fd, size_t *before)
{
    if (!gn_mixbuf_empty(out)) {
        *before = gn_mixbuf_buffered(out);
        return gn_mixbuf_write_fd(out, fd);
    }
    *before = gn_listbuf_buffered(zc);
    return gn_listbuf_write_fd(zc, fd);
}

int main(void)
{
    int sv[2], small = 16384;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return perror("socketpair"), 1;
    for (int i = 0; i < 2; i++) {
        setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
        fcntl(sv[i], F_SETFL, fcntl(sv[i], F_GETFL) | O_NONBLOCK);
    }

    gn_mixbuf_t out;
    gn_listbuf_t zc = GN_LISTBUF_INIT;
    gn_mixbuf_init(&out, 64 * 1024);
    size_t total = 0;
    int rc = queue_all(&out, &zc, &total);
    if (rc != 0)
        return fprintf(stderr, "queueing failed: %s\n", strerror(-rc)), 1;
    printf("outbound: %zu bytes queued: mixbuf ring %zu B (max_static 64 KiB) + list %zu B "
           "in %zu blocks, then a zero-copy block of %zu B\n",
           total, gn_ringbuf_buffered(&out.ring), gn_listbuf_buffered(&out.list),
           gn_listbuf_nodes(&out.list), gn_listbuf_buffered(&zc));

    reader r = {GN_RINGBUF_INIT, 0, 0, 0, 0};
    size_t sent = 0;
    int calls = 0, partial = 0, eagain = 0;
    while (rc == 0 && (!gn_mixbuf_empty(&out) || !gn_listbuf_empty(&zc))) {
        size_t before;
        ssize_t n = flush_once(&out, &zc, sv[0], &before);
        if (n == -EAGAIN) { /* socket full: let the peer read */
            eagain++;
            rc = reader_drain(&r, sv[1]);
            continue;
        }
        if (n < 0)
            rc = (int)n;
        else {
            calls++;
            partial += (size_t)n < before;
            sent += (size_t)n;
        }
    }
    if (rc == 0)
        rc = reader_drain(&r, sv[1]);
    if (rc != 0)
        return fprintf(stderr, "I/O failed: %s\n", strerror(-rc)), 1;
    printf("flush:    %zu bytes in %d write_fd calls (%d partial, %d EAGAIN)\n", sent, calls,
           partial, eagain);
    printf("inbound:  %u records parsed from the ring (%d wrapped around its end), ring "
           "grew to %zu B, %zu B left over\n",
           r.next, r.wrapped, r.max_cap, gn_ringbuf_buffered(&r.in));

    int ok = sent == total && r.next == RECORDS && r.bad == 0 && gn_ringbuf_empty(&r.in);
    printf("%s: %zu bytes verified, %d bad records\n", ok ? "OK" : "FAILED", ok ? total : 0, r.bad);
    gn_mixbuf_release(&out);
    gn_listbuf_release(&zc);
    gn_ringbuf_release(&r.in);
    close(sv[0]);
    close(sv[1]);
    return ok ? 0 : 1;
}
