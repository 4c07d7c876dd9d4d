/* netpoll_client: the C version of gnet v2.7's netpoll example. It dials a TCP
 * server with plain sockets, registers the connection with a read/write
 * attachment, writes its messages and reads the replies in the callback, and
 * stops on error. Only gnet-netpoll is used: this is how a custom event loop
 * starts.
 *
 *     netpoll_client HOST PORT [COUNT]      (COUNT messages, 10 by default)
 *
 * Try it with an echo server, or with `nc -l 9000` in another terminal (type
 * replies if you like, then end nc: the client exits when every message was
 * sent and either all of it came back or the server closed the connection).
 * Exits 0 on success, 1 on a connection error, 2 on bad arguments. */
#include "common/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <gnet/netpoll.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct client {
    gn_poller_t *poller;
    gn_poll_attachment_t pa;
    long count;   /* messages to send */
    long sent;    /* messages fully written */
    char out[64]; /* the message being written */
    size_t out_len;
    size_t out_off;
    size_t sent_bytes; /* bytes written so far */
    size_t recv_bytes; /* bytes read back so far */
} client_t;

/* Blocking connect (as the Go example's net.Dial), then non-blocking I/O. */
static int dial(const char *host, const char *port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "netpoll_client: %s:%s: %s\n", host, port, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
        fprintf(stderr, "netpoll_client: connect %s:%s: %s\n", host, port, strerror(errno));
        return -1;
    }
    return fd;
}

/* True once the exchange is over: everything sent, and everything echoed. */
static bool finished(const client_t *c)
{
    return c->sent == c->count && c->recv_bytes >= c->sent_bytes;
}

static int on_readable(client_t *c)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(c->pa.fd, buf, sizeof(buf));
        if (n > 0) {
            fwrite(buf, 1, (size_t)n, stdout);
            c->recv_bytes += (size_t)n;
            continue;
        }
        if (n == 0) /* the server closed: fine once everything was sent */
            return c->sent == c->count ? GN_POLL_STOP : -ECONNRESET;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return finished(c) ? GN_POLL_STOP : 0;
        if (errno != EINTR)
            return -errno;
    }
}

/* Writes the current message (one per write event), then asks for read
 * interest only once all are out, so the poller stops reporting writability. */
static int on_writable(client_t *c)
{
    if (c->out_off == c->out_len) {
        int len = snprintf(c->out, sizeof(c->out), "hello from gnet-netpoll #%ld\n", c->sent + 1);
        c->out_len = (size_t)len;
        c->out_off = 0;
    }
    ssize_t n = write(c->pa.fd, c->out + c->out_off, c->out_len - c->out_off);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
    c->out_off += (size_t)n;
    c->sent_bytes += (size_t)n;
    if (c->out_off == c->out_len && ++c->sent == c->count)
        return gn_poller_mod_read(c->poller, &c->pa, false);
    return 0;
}

static int on_event(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    client_t *c = udata;
    if (gn_is_error_event(ev, flags)) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        /* A hang-up without an error after everything was sent is the server
         * closing: the read below reports it. */
        if (err != 0)
            return -err;
    }
    if (gn_is_read_event(ev) || gn_is_error_event(ev, flags)) {
        int rc = on_readable(c);
        if (rc != 0)
            return rc;
    }
    if (gn_is_write_event(ev) && c->sent < c->count)
        return on_writable(c);
    return 0;
}

/* COUNT: decimal digits only (no sign, no spaces, no trailing characters such
 * as "10x"), from 1 to LONG_MAX. Returns it, or 0 when s is not such a number. */
static long parse_count(const char *s)
{
    if (*s < '0' || *s > '9')
        return 0;
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    return errno == 0 && *end == '\0' && n > 0 ? n : 0;
}

int main(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: %s HOST PORT [COUNT]\n"
               "Dials HOST:PORT (TCP), sends COUNT messages (default 10) from a gnet-netpoll\n"
               "event loop and reads the replies. Exits 0 when all were sent, 1 on a\n"
               "connection error, 2 on bad arguments.\n",
               argv[0]);
        return 0;
    }
    long port;
    if (argc >= 3 && cli_long("netpoll_client", "port", argv[2], 1, 65535, &port) < 0)
        return CLI_EXIT_USAGE;
    long count = argc == 4 ? parse_count(argv[3]) : 10;
    if (argc < 3 || argc > 4 || count == 0) {
        if (argc == 4 && count == 0)
            fprintf(stderr, "netpoll_client: COUNT must be a positive decimal number, not '%s'\n",
                    argv[3]);
        fprintf(stderr, "usage: %s HOST PORT [COUNT]\n", argv[0]);
        return 2;
    }
    client_t c = {.count = count};
    int fd = dial(argv[1], argv[2]);
    if (fd < 0)
        return 1;
    int rc = gn_poller_open(&c.poller);
    if (rc == 0) {
        c.pa = (gn_poll_attachment_t){.fd = fd, .callback = on_event, .udata = &c};
        rc = gn_poller_add_read_write(c.poller, &c.pa, false);
    }
    if (rc == 0)
        rc = gn_poller_polling(c.poller);
    if (rc != 0)
        fprintf(stderr, "netpoll_client: %s\n", strerror(-rc));
    else
        fprintf(stderr, "netpoll_client: %ld messages sent, %zu of %zu bytes came back\n", c.sent,
                c.recv_bytes, c.sent_bytes);
    if (c.poller != NULL) {
        gn_poller_delete(c.poller, &c.pa);
        gn_poller_close(c.poller);
    }
    close(fd);
    return rc == 0 ? 0 : 1;
}
