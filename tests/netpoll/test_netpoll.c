/* Check suite for gnet-netpoll: events on socketpairs and TCP loopback, level
 * and edge triggering, mod/delete, peer close, the task trigger (ordering,
 * priorities, the low-priority cap, stops), close with queued tasks, stale
 * events inside a batch, event array growth and bad input; the timers are in
 * test_timers.c. */
#include "gn_test.h"
#include "netpoll_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnet/netpoll.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- helpers -------------------------------------------------------------- */

static gn_poller_t *open_poller(void)
{
    gn_poller_t *p = NULL;
    ck_assert_int_eq(gn_poller_open(&p), 0);
    ck_assert_ptr_nonnull(p);
    return p;
}

static void make_pair(int sv[2])
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
}

static void put(int fd, const char *s)
{
    ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* A TCP listener on 127.0.0.1, port chosen by the kernel. */
static int tcp_listen(struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ck_assert_int_ge(fd, 0);
    *addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)addr, sizeof(*addr)), 0);
    socklen_t len = sizeof(*addr);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)addr, &len), 0);
    ck_assert_int_eq(listen(fd, 16), 0);
    return fd;
}

/* A connected loopback TCP pair: c[0] the client side, c[1] the accepted one. */
static void tcp_pair(int c[2])
{
    struct sockaddr_in addr;
    int l = tcp_listen(&addr);
    c[0] = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(c[0], 0);
    ck_assert_int_eq(connect(c[0], (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(fcntl(c[0], F_SETFL, O_NONBLOCK), 0);
    c[1] = accept4(l, NULL, NULL, SOCK_NONBLOCK);
    ck_assert_int_ge(c[1], 0);
    close(l);
}

/* Records what a callback saw. */
typedef struct rec {
    gn_poller_t *p;
    int calls;
    gn_io_event_t last;
    uint64_t rounds[64];
    int stop_at; /* return GN_POLL_STOP on this call (1-based); 0: never */
    int consume; /* bytes to read per call */
} rec_t;

static int record_cb(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    rec_t *r = udata;
    (void)flags;
    if (r->calls < 64)
        r->rounds[r->calls] = gn_poller_round(r->p);
    r->calls++;
    r->last = ev;
    if (r->consume > 0) {
        char buf[64];
        ck_assert_int_ge(read(fd, buf, (size_t)r->consume), 0);
    }
    return r->stop_at == r->calls ? GN_POLL_STOP : 0;
}

/* A high-priority task that re-triggers itself `left` times, one round each,
 * then stops polling: lets a test observe a fixed number of extra rounds. */
typedef struct rounds {
    gn_poller_t *p;
    int left;
    void (*each)(struct rounds *);
    void *ctx;
} rounds_t;

static int rounds_task(void *arg)
{
    rounds_t *r = arg;
    if (r->each != NULL)
        r->each(r);
    if (r->left-- <= 0)
        return GN_POLL_STOP;
    ck_assert_int_eq(gn_poller_trigger(r->p, GN_PRIO_HIGH, rounds_task, r), 0);
    return 0;
}

static void poll_rounds(gn_poller_t *p, int n)
{
    rounds_t r = {.p = p, .left = n};
    ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_HIGH, rounds_task, &r), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(r.left, -1);
}

/* ---- events --------------------------------------------------------------- */

START_TEST(read_event_socketpair)
{
    gn_poller_t *p = open_poller();
    int sv[2];
    make_pair(sv);
    rec_t r = {.p = p, .stop_at = 1, .consume = 8};
    gn_poll_attachment_t pa = {.fd = sv[0], .callback = record_cb, .udata = &r};
    ck_assert_int_eq(gn_poller_add_read(p, &pa, false), 0);
    put(sv[1], "ping");
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(r.calls, 1);
    ck_assert(gn_is_read_event(r.last));
    ck_assert(!gn_is_write_event(r.last));
    ck_assert(!gn_is_error_event(r.last, 0));
    ck_assert_uint_eq(r.rounds[0], 1);
    ck_assert_int_eq(gn_poller_delete(p, &pa), 0);
    ck_assert_int_eq(gn_poller_close(p), 0);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(write_event_socketpair)
{
    gn_poller_t *p = open_poller();
    int sv[2];
    make_pair(sv);
    rec_t r = {.p = p, .stop_at = 1};
    gn_poll_attachment_t pa = {.fd = sv[0], .callback = record_cb, .udata = &r};
    ck_assert_int_eq(gn_poller_add_write(p, &pa, false), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(r.calls, 1);
    ck_assert(gn_is_write_event(r.last));
    ck_assert(!gn_is_read_event(r.last));
    ck_assert_int_eq(gn_poller_close(p), 0);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(read_write_event)
{
    gn_poller_t *p = open_poller();
    int sv[2];
    make_pair(sv);
    put(sv[1], "x");
    rec_t r = {.p = p, .stop_at = 1, .consume = 1};
    gn_poll_attachment_t pa = {.fd = sv[0], .callback = record_cb, .udata = &r};
    ck_assert_int_eq(gn_poller_add_read_write(p, &pa, false), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert(gn_is_read_event(r.last) && gn_is_write_event(r.last));
    ck_assert_int_eq(gn_poller_close(p), 0);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* Level-triggered: unread data is reported again in every round. */
START_TEST(level_triggered_rereports)
{
    gn_poller_t *p = open_poller();
    int sv[2];
    make_pair(sv);
    rec_t r = {.p = p};
    gn_poll_attachment_t pa = {.fd = sv[0], .callback = record_cb, .udata = &r};
    ck_assert_int_eq(gn_poller_add_read(p, &pa, false), 0);
    put(sv[1], "unread");
    poll_rounds(p, 5);
    ck_assert_int_ge(r.calls, 5);
    for (int i = 1; i < r.calls; i++)
        ck_assert_uint_eq(r.rounds[i], r.rounds[i - 1] + 1);
    ck_assert_int_eq(gn_poller_close(p), 0);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

static void write_more(rounds_t *r)
{
    if (r->left == 2)
        put(*(int *)r->ctx, "more");
}

/* Edge-triggered: unread data is reported once; new data is a new edge. */
START_TEST(edge_triggered_reports_once)
{
    gn_poller_t *p = open_poller();
    int sv[2];
    make_pair(sv);
    rec_t r = {.p = p};
    gn_poll_attachment_t pa = {.fd = sv[0], .callback = record_cb, .udata = &r};
    ck_assert_int_eq(gn_poller_add_read(p, &pa, true), 0);
    put(sv[1], "unread");
    poll_rounds(p, 5);
    ck_assert_int_eq(r.calls, 1);
    rounds_t rr = {.p = p, .left = 5, .each = write_more, .ctx = &sv[1]};
    ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_HIGH, rounds_task, &rr), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(r.calls, 2);
    ck_assert_int_eq(gn_poller_close(p), 0);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(mod_changes_interest)
{
    gn_poller_t *p = open_poller();
    int sv[2];
    make_pair(sv);
    rec_t r = {.p = p};
    gn_poll_attachment_t pa = {.fd = sv[0], .callback = record_cb, .udata = &r};
    ck_assert_int_eq(gn_poller_add_read(p, &pa, false), 0);
    poll_rounds(p, 3); /* writable but not asked for, nothing to read */
    ck_assert_int_eq(r.calls, 0);
    ck_assert_int_eq(gn_poller_mod_read_write(p, &pa, false), 0);
    r.stop_at = 1;
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert(gn_is_write_event(r.last) && !gn_is_read_event(r.last));
    ck_assert_int_eq(gn_poller_mod_read(p, &pa, false), 0);
    r = (rec_t){.p = p};
    poll_rounds(p, 3);
    ck_assert_int_eq(r.calls, 0);
    put(sv[1], "x");
    ck_assert_int_eq(gn_poller_mod_write(p, &pa, false), 0);
    r.stop_at = 1;
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert(gn_is_write_event(r.last) && !gn_is_read_event(r.last));
    ck_assert_int_eq(gn_poller_mod_read(p, &pa, true), 0);
    r = (rec_t){.p = p, .stop_at = 1};
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert(gn_is_read_event(r.last) && !gn_is_write_event(r.last));
    ck_assert_int_eq(gn_poller_close(p), 0);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(delete_stops_events)
{
    gn_poller_t *p = open_poller();
    int sv[2];
    make_pair(sv);
    rec_t r = {.p = p};
    gn_poll_attachment_t pa = {.fd = sv[0], .callback = record_cb, .udata = &r};
    ck_assert_int_eq(gn_poller_add_read_write(p, &pa, false), 0);
    put(sv[1], "x");
    ck_assert_int_eq(gn_poller_delete(p, &pa), 0);
    poll_rounds(p, 3);
    ck_assert_int_eq(r.calls, 0);
    ck_assert_int_eq(gn_poller_delete(p, &pa), -ENOENT);
    ck_assert_int_eq(gn_poller_mod_read(p, &pa, false), -ENOENT);
    /* Registered again after a delete, it works as new. */
    ck_assert_int_eq(gn_poller_add_read(p, &pa, false), 0);
    r.stop_at = 1;
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(gn_poller_close(p), 0);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* Peer close on a socketpair: a read event whose read returns 0. */
START_TEST(peer_close_socketpair)
{
    gn_poller_t *p = open_poller();
    int sv[2];
    make_pair(sv);
    rec_t r = {.p = p, .stop_at = 1};
    gn_poll_attachment_t pa = {.fd = sv[0], .callback = record_cb, .udata = &r};
    ck_assert_int_eq(gn_poller_add_read(p, &pa, true), 0);
    close(sv[1]);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert(gn_is_read_event(r.last));
    ck_assert(r.last & GN_IO_RDHUP);
    char c;
    ck_assert_int_eq(read(sv[0], &c, 1), 0);
    ck_assert_int_eq(gn_poller_close(p), 0);
    close(sv[0]);
}
END_TEST

/* TCP loopback: an orderly close gives read-0; a reset gives an error event. */
START_TEST(peer_close_tcp)
{
    gn_poller_t *p = open_poller();
    int c[2];
    tcp_pair(c);
    rec_t r = {.p = p, .stop_at = 1};
    gn_poll_attachment_t pa = {.fd = c[0], .callback = record_cb, .udata = &r};
    ck_assert_int_eq(gn_poller_add_read(p, &pa, false), 0);
    close(c[1]);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert(gn_is_read_event(r.last));
    char b;
    ck_assert_int_eq(read(c[0], &b, 1), 0);
    ck_assert_int_eq(gn_poller_delete(p, &pa), 0);
    close(c[0]);

    tcp_pair(c);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    ck_assert_int_eq(setsockopt(c[1], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
    r = (rec_t){.p = p, .stop_at = 1};
    pa.fd = c[0];
    ck_assert_int_eq(gn_poller_add_read(p, &pa, true), 0);
    close(c[1]); /* RST */
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert(gn_is_error_event(r.last, 0));
    ck_assert_int_eq(read(c[0], &b, 1), -1);
    ck_assert_int_eq(errno, ECONNRESET);
    ck_assert_int_eq(gn_poller_close(p), 0);
    close(c[0]);
}
END_TEST

/* A small echo exchange over TCP loopback driven entirely by the poller:
 * accept on a listener attachment, echo on the accepted one, check on the
 * client one. */
typedef struct echo {
    gn_poller_t *p;
    gn_poll_attachment_t lis, srv, cli;
    char got[16];
    size_t got_len;
} echo_t;

static int echo_srv_cb(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    char buf[64];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0)
        ck_assert_int_eq(write(fd, buf, (size_t)n), n);
    return 0;
}

static int echo_lis_cb(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    echo_t *e = udata;
    ck_assert(gn_is_read_event(ev));
    int s = accept4(fd, NULL, NULL, SOCK_NONBLOCK);
    ck_assert_int_ge(s, 0);
    e->srv = (gn_poll_attachment_t){.fd = s, .callback = echo_srv_cb, .udata = e};
    ck_assert_int_eq(gn_poller_add_read(e->p, &e->srv, false), 0);
    return 0;
}

static int echo_cli_cb(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    echo_t *e = udata;
    if (gn_is_write_event(ev)) {
        put(fd, "hello");
        ck_assert_int_eq(gn_poller_mod_read(e->p, &e->cli, false), 0);
        return 0;
    }
    ssize_t n = read(fd, e->got + e->got_len, sizeof(e->got) - 1 - e->got_len);
    ck_assert_int_gt(n, 0);
    e->got_len += (size_t)n;
    return e->got_len == 5 ? GN_POLL_STOP : 0;
}

START_TEST(tcp_echo_loopback)
{
    echo_t e = {.p = open_poller()};
    struct sockaddr_in addr;
    e.lis = (gn_poll_attachment_t){.fd = tcp_listen(&addr), .callback = echo_lis_cb, .udata = &e};
    ck_assert_int_eq(gn_poller_add_read(e.p, &e.lis, false), 0);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int rc = connect(c, (struct sockaddr *)&addr, sizeof(addr));
    ck_assert(rc == 0 || errno == EINPROGRESS);
    e.cli = (gn_poll_attachment_t){.fd = c, .callback = echo_cli_cb, .udata = &e};
    ck_assert_int_eq(gn_poller_add_read_write(e.p, &e.cli, false), 0);
    ck_assert_int_eq(gn_poller_polling(e.p), 0);
    ck_assert_str_eq(e.got, "hello");
    ck_assert_int_eq(gn_poller_close(e.p), 0);
    close(c);
    close(e.srv.fd);
    close(e.lis.fd);
}
END_TEST

/* A callback's negative return ends polling with that value. */
static int fail_cb(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    return -EPROTO;
}

START_TEST(callback_error_ends_polling)
{
    gn_poller_t *p = open_poller();
    int sv[2];
    make_pair(sv);
    gn_poll_attachment_t pa = {.fd = sv[0], .callback = fail_cb};
    ck_assert_int_eq(gn_poller_add_write(p, &pa, false), 0);
    ck_assert_int_eq(gn_poller_polling(p), -EPROTO);
    ck_assert_int_eq(gn_poller_close(p), 0);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* ---- stale events inside a batch ------------------------------------------ */

#define STALE_N 16

typedef struct stale {
    gn_poller_t *p;
    gn_poll_attachment_t *pa[STALE_N];
    int peer[STALE_N];
    int calls;
    gn_poll_attachment_t *reborn; /* re-added after the purge, maybe at a freed address */
    int reborn_calls;
    int reborn_pair[2];
} stale_t;

static int reborn_cb(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    stale_t *s = udata;
    s->reborn_calls++;
    return 0;
}

/* The first callback of the batch deletes, closes and frees every other
 * attachment (all have pending events), then registers a new attachment
 * (malloc is likely to reuse a freed address) on an fd with no data. */
static int purge_cb(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    stale_t *s = udata;
    s->calls++;
    for (int i = 0; i < STALE_N; i++) {
        if (s->pa[i] == NULL || s->pa[i]->fd == fd)
            continue;
        ck_assert_int_eq(gn_poller_delete(s->p, s->pa[i]), 0);
        close(s->pa[i]->fd);
        close(s->peer[i]);
        free(s->pa[i]);
        s->pa[i] = NULL;
    }
    make_pair(s->reborn_pair);
    s->reborn = malloc(sizeof(*s->reborn));
    ck_assert_ptr_nonnull(s->reborn);
    *s->reborn = (gn_poll_attachment_t){.fd = s->reborn_pair[0], .callback = reborn_cb, .udata = s};
    ck_assert_int_eq(gn_poller_add_read(s->p, s->reborn, false), 0);
    return GN_POLL_STOP;
}

START_TEST(stale_event_in_batch)
{
    stale_t s = {.p = open_poller()};
    for (int i = 0; i < STALE_N; i++) {
        int sv[2];
        make_pair(sv);
        s.pa[i] = malloc(sizeof(*s.pa[i]));
        ck_assert_ptr_nonnull(s.pa[i]);
        *s.pa[i] = (gn_poll_attachment_t){.fd = sv[0], .callback = purge_cb, .udata = &s};
        s.peer[i] = sv[1];
        ck_assert_int_eq(gn_poller_add_read(s.p, s.pa[i], true), 0);
        put(sv[1], "x");
    }
    /* The stop leaves the rest of the batch pending: resuming dispatches it
     * and must skip every invalidated event (ASan catches a stale one). */
    ck_assert_int_eq(gn_poller_polling(s.p), 0);
    ck_assert_int_eq(s.calls, 1);
    poll_rounds(s.p, 2);
    ck_assert_int_eq(s.calls, 1);
    ck_assert_int_eq(s.reborn_calls, 0);
    for (int i = 0; i < STALE_N; i++) {
        if (s.pa[i] != NULL) {
            ck_assert_int_eq(gn_poller_delete(s.p, s.pa[i]), 0);
            close(s.pa[i]->fd);
            close(s.peer[i]);
            free(s.pa[i]);
        }
    }
    ck_assert_int_eq(gn_poller_delete(s.p, s.reborn), 0);
    close(s.reborn_pair[0]);
    close(s.reborn_pair[1]);
    free(s.reborn);
    ck_assert_int_eq(gn_poller_close(s.p), 0);
}
END_TEST

/* A callback deletes and frees its own attachment, and one whose fd it shares
 * the batch with, without stopping: the rest of the batch runs normally. */
typedef struct pairdel {
    gn_poller_t *p;
    gn_poll_attachment_t *a, *b;
    int calls;
} pairdel_t;

static int pairdel_cb(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    pairdel_t *d = udata;
    d->calls++;
    gn_poll_attachment_t *both[2] = {d->a, d->b};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(gn_poller_delete(d->p, both[i]), 0);
        close(both[i]->fd);
        free(both[i]);
    }
    return 0;
}

START_TEST(stale_event_self_and_peer)
{
    pairdel_t d = {.p = open_poller()};
    int sa[2], sb[2];
    make_pair(sa);
    make_pair(sb);
    d.a = malloc(sizeof(*d.a));
    d.b = malloc(sizeof(*d.b));
    *d.a = (gn_poll_attachment_t){.fd = sa[0], .callback = pairdel_cb, .udata = &d};
    *d.b = (gn_poll_attachment_t){.fd = sb[0], .callback = pairdel_cb, .udata = &d};
    ck_assert_int_eq(gn_poller_add_read_write(d.p, d.a, false), 0);
    ck_assert_int_eq(gn_poller_add_read_write(d.p, d.b, false), 0);
    poll_rounds(d.p, 2);
    ck_assert_int_eq(d.calls, 1);
    ck_assert_int_eq(gn_poller_close(d.p), 0);
    close(sa[1]);
    close(sb[1]);
}
END_TEST

/* ---- event array ------------------------------------------------------------ */

#define GROW_PAIRS 600

typedef struct grow {
    gn_poller_t *p;
    int per_round[32];
    gn_poll_attachment_t *pa;
    int n;
    uint64_t reenabled;
} grow_t;

static int grow_cb(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    grow_t *g = udata;
    uint64_t round = gn_poller_round(g->p);
    ck_assert_uint_lt(round, 32);
    g->per_round[round]++;
    return 0;
}

static int stop_at_round5(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    grow_t *g = udata;
    if (gn_poller_round(g->p) == 5)
        return GN_POLL_STOP;
    return 0;
}

/* Turns write interest back on for every fd, one round before the end. */
static void reenable_writes(rounds_t *r)
{
    grow_t *g = r->ctx;
    if (r->left != 1)
        return;
    for (int i = 0; i < g->n; i++)
        ck_assert_int_eq(gn_poller_mod_write(g->p, &g->pa[i], false), 0);
    g->reenabled = gn_poller_round(g->p);
}

/* The array starts at 128 events and doubles after each full wait, up to
 * 1024: with 600 fds always ready, the rounds see 128, 256, 512, 600. Then
 * with almost nothing ready it halves after each sparse wait, down to 32: when
 * all 600 are ready again, one round sees at most 32. */
START_TEST(event_array_grows)
{
    struct rlimit rl;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < 2 * GROW_PAIRS + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < 2 * GROW_PAIRS + 64) {
        fprintf(stderr, "event_array_grows: skipped, RLIMIT_NOFILE too low\n");
        return;
    }
    grow_t g = {.p = open_poller()};
    static gn_poll_attachment_t pa[GROW_PAIRS + 1];
    int peers[GROW_PAIRS];
    for (int i = 0; i < GROW_PAIRS; i++) {
        int sv[2];
        make_pair(sv);
        peers[i] = sv[1];
        pa[i] = (gn_poll_attachment_t){.fd = sv[0], .callback = grow_cb, .udata = &g};
        ck_assert_int_eq(gn_poller_add_write(g.p, &pa[i], false), 0);
    }
    int sv[2];
    make_pair(sv);
    pa[GROW_PAIRS] = (gn_poll_attachment_t){.fd = sv[0], .callback = stop_at_round5, .udata = &g};
    ck_assert_int_eq(gn_poller_add_write(g.p, &pa[GROW_PAIRS], false), 0);
    ck_assert_int_eq(gn_poller_polling(g.p), 0);
    /* Round 5 stopped at an unknown point of its batch: check rounds 1-4. The
     * stopping attachment may take one slot of a round, hence the ranges. */
    static const int full[5] = {0, 128, 256, 512, GROW_PAIRS + 1};
    for (int rd = 1; rd <= 4; rd++) {
        ck_assert_int_ge(g.per_round[rd], full[rd] - 1);
        ck_assert_int_le(g.per_round[rd], full[rd]);
    }

    g.pa = pa;
    g.n = GROW_PAIRS;
    for (int i = 0; i < GROW_PAIRS; i++)
        ck_assert_int_eq(gn_poller_mod_read(g.p, &pa[i], false), 0); /* nothing to read */
    rounds_t rr = {.p = g.p, .left = 8, .each = reenable_writes, .ctx = &g};
    ck_assert_int_eq(gn_poller_trigger(g.p, GN_PRIO_HIGH, rounds_task, &rr), 0);
    ck_assert_int_eq(gn_poller_polling(g.p), 0);
    uint64_t next = g.reenabled + 1;
    ck_assert_uint_lt(next, 32);
    /* 32 slots shared by the 600 fds, the stopping attachment and the wake-up. */
    ck_assert_int_ge(g.per_round[next], 30);
    ck_assert_int_le(g.per_round[next], 32);
    ck_assert_int_eq(gn_poller_close(g.p), 0);
    for (int i = 0; i <= GROW_PAIRS; i++)
        close(pa[i].fd);
    for (int i = 0; i < GROW_PAIRS; i++)
        close(peers[i]);
    close(sv[1]);
}
END_TEST

/* ---- tasks -------------------------------------------------------------------- */

typedef struct order {
    gn_poller_t *p;
    char log[32];
    int n;
    uint64_t round[32];
} order_t;

static void order_note(order_t *o, char c)
{
    ck_assert_int_lt(o->n, 31);
    o->round[o->n] = gn_poller_round(o->p);
    o->log[o->n++] = c;
}

static int order_io_cb(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    order_note(udata, 'i');
    return 0;
}

static int order_high(void *arg)
{
    order_note(arg, 'h');
    return 0;
}

static int order_low_stop(void *arg)
{
    order_note(arg, 'l');
    return GN_POLL_STOP;
}

/* I/O callbacks of a batch run before that round's tasks, high before low. */
START_TEST(io_before_tasks)
{
    order_t o = {.p = open_poller()};
    int sv[2];
    make_pair(sv);
    gn_poll_attachment_t pa = {.fd = sv[0], .callback = order_io_cb, .udata = &o};
    ck_assert_int_eq(gn_poller_trigger(o.p, GN_PRIO_LOW, order_low_stop, &o), 0);
    ck_assert_int_eq(gn_poller_trigger(o.p, GN_PRIO_HIGH, order_high, &o), 0);
    ck_assert_int_eq(gn_poller_add_write(o.p, &pa, false), 0);
    ck_assert_int_eq(gn_poller_polling(o.p), 0);
    ck_assert_str_eq(o.log, "ihl");
    ck_assert_uint_eq(o.round[0], 1);
    ck_assert_uint_eq(o.round[2], 1);
    ck_assert_int_eq(gn_poller_close(o.p), 0);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

typedef struct cap {
    gn_poller_t *p;
    int runs;
    int total;
    uint64_t first_round;
    int per_round[16];
} cap_t;

static int cap_task(void *arg)
{
    cap_t *c = arg;
    if (c->runs == 0)
        c->first_round = gn_poller_round(c->p);
    uint64_t r = gn_poller_round(c->p) - c->first_round;
    ck_assert_uint_lt(r, 16);
    c->per_round[r]++;
    return ++c->runs == c->total ? GN_POLL_STOP : 0;
}

/* 1000 queued low-priority tasks run 256 per round; 1000 high ones all at once. */
START_TEST(low_priority_cap)
{
    cap_t c = {.p = open_poller(), .total = 1000};
    for (int i = 0; i < c.total; i++)
        ck_assert_int_eq(gn_poller_trigger(c.p, GN_PRIO_LOW, cap_task, &c), 0);
    ck_assert_int_eq(gn_poller_polling(c.p), 0);
    ck_assert_int_eq(c.per_round[0], 256);
    ck_assert_int_eq(c.per_round[1], 256);
    ck_assert_int_eq(c.per_round[2], 256);
    ck_assert_int_eq(c.per_round[3], 232);

    cap_t h = {.p = c.p, .total = 1000};
    for (int i = 0; i < h.total; i++)
        ck_assert_int_eq(gn_poller_trigger(h.p, GN_PRIO_HIGH, cap_task, &h), 0);
    ck_assert_int_eq(gn_poller_polling(h.p), 0);
    ck_assert_int_eq(h.per_round[0], 1000);
    ck_assert_int_eq(gn_poller_close(c.p), 0);
}
END_TEST

typedef struct chain {
    gn_poller_t *p;
    uint64_t round_high, round_low, round_child_high, round_child_low;
} chain_t;

static int child_high(void *arg)
{
    chain_t *c = arg;
    c->round_child_high = gn_poller_round(c->p);
    return c->round_child_low != 0 ? GN_POLL_STOP : 0;
}

static int child_low(void *arg)
{
    chain_t *c = arg;
    c->round_child_low = gn_poller_round(c->p);
    return c->round_child_high != 0 ? GN_POLL_STOP : 0;
}

static int parent_high(void *arg)
{
    chain_t *c = arg;
    c->round_high = gn_poller_round(c->p);
    ck_assert_int_eq(gn_poller_trigger(c->p, GN_PRIO_HIGH, child_high, c), 0);
    ck_assert_int_eq(gn_poller_trigger(c->p, GN_PRIO_LOW, child_low, c), 0);
    return 0;
}

/* A task may trigger tasks: a high-priority one runs in the next round (so a
 * self-triggering task cannot starve I/O), a low-priority one may run in this
 * round's low phase. */
START_TEST(trigger_from_task)
{
    chain_t c = {.p = open_poller()};
    ck_assert_int_eq(gn_poller_trigger(c.p, GN_PRIO_HIGH, parent_high, &c), 0);
    ck_assert_int_eq(gn_poller_polling(c.p), 0);
    ck_assert_uint_eq(c.round_high, 1);
    ck_assert_uint_eq(c.round_child_high, 2);
    ck_assert_uint_ge(c.round_child_low, 1);
    ck_assert_int_eq(gn_poller_close(c.p), 0);
}
END_TEST

static int count_task(void *arg)
{
    (*(int *)arg)++;
    return 0;
}

static int count_stop_task(void *arg)
{
    (*(int *)arg)++;
    return GN_POLL_STOP;
}

/* A task's stop returns 0 from polling; the tasks after it run when polling
 * resumes. */
START_TEST(stop_from_task)
{
    gn_poller_t *p = open_poller();
    int n = 0;
    ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_LOW, count_task, &n), 0);
    ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_LOW, count_stop_task, &n), 0);
    ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_LOW, count_task, &n), 0);
    ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_LOW, count_stop_task, &n), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(gn_poller_close(p), 0);
}
END_TEST

/* Whether the poller's fd is readable right now (what a loop that nests the
 * poller waits for before it calls gn_poller_polling again). */
static bool poller_fd_readable(gn_poller_t *p)
{
    struct pollfd pf = {.fd = gn_poller_fd(p), .events = POLLIN};
    int n = poll(&pf, 1, 0);
    ck_assert_int_ge(n, 0);
    return n == 1 && (pf.revents & POLLIN) != 0;
}

typedef struct two {
    gn_poller_t *p;
    int total;
} two_t;

static int two_cb(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    two_t *t = udata;
    (void)ev;
    t->total++;
    return GN_POLL_STOP;
}

/* A callback's stop returns 0 from polling; the rest of the batch is kept and
 * dispatched when polling resumes (edge-triggered: a new wait would not
 * report it again). */
START_TEST(stop_from_callback)
{
    two_t t = {.p = open_poller()};
    int a[2], b[2];
    make_pair(a);
    make_pair(b);
    gn_poll_attachment_t pa = {.fd = a[0], .callback = two_cb, .udata = &t};
    gn_poll_attachment_t pb = {.fd = b[0], .callback = two_cb, .udata = &t};
    ck_assert_int_eq(gn_poller_add_write(t.p, &pa, true), 0);
    ck_assert_int_eq(gn_poller_add_write(t.p, &pb, true), 0);
    ck_assert_int_eq(gn_poller_polling(t.p), 0);
    ck_assert_int_eq(t.total, 1);
    /* The rest of the batch keeps the fd readable for a nesting loop. */
    ck_assert(poller_fd_readable(t.p));
    ck_assert_int_eq(gn_poller_polling(t.p), 0);
    ck_assert_int_eq(t.total, 2);
    ck_assert_int_eq(gn_poller_close(t.p), 0);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}
END_TEST

/* A callback that stops polling before the round's task phase leaves tasks
 * queued and the wake-up in flight (producers skip the eventfd). The poller's
 * fd must still be readable, or a loop nesting the poller would wait forever
 * for tasks no later trigger can announce. Two ways to get there: the round
 * scheduled by the poller itself when the low cap left tasks (no eventfd write
 * at all), and a wake-up fetched in the same batch, before or after the
 * stopping event (the eventfd is edge-triggered: it is not reported again). */
START_TEST(stop_from_callback_keeps_fd_readable)
{
    /* 1: the poller-scheduled round. Level-triggered writable: the callback
     * runs in round 1 (then the task phase leaves 600 - 256 tasks) and stops
     * in round 2, the non-blocking one. */
    gn_poller_t *p = open_poller();
    int a[2];
    make_pair(a);
    rec_t r = {.p = p, .stop_at = 2};
    gn_poll_attachment_t pa = {.fd = a[0], .callback = record_cb, .udata = &r};
    int n = 0;
    for (int i = 0; i < 600; i++)
        ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_LOW, count_task, &n), 0);
    ck_assert_int_eq(gn_poller_add_write(p, &pa, false), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(r.calls, 2);
    ck_assert_uint_eq(r.rounds[1], r.rounds[0] + 1);
    ck_assert_int_eq(n, 256);
    ck_assert_int_eq(gn_poller_delete(p, &pa), 0);
    ck_assert(poller_fd_readable(p));
    /* Resuming runs the rest without any new wake-up from a producer. */
    ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_LOW, count_stop_task, &n), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(n, 601);
    ck_assert_int_eq(gn_poller_close(p), 0);

    /* 2: the wake-up comes first in the batch (the eventfd became ready before
     * the socket was added), the callback after it stops. */
    p = open_poller();
    r = (rec_t){.p = p, .stop_at = 1};
    n = 0;
    ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_HIGH, count_task, &n), 0);
    ck_assert_int_eq(gn_poller_add_write(p, &pa, false), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(gn_poller_delete(p, &pa), 0);
    ck_assert(poller_fd_readable(p));
    ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_HIGH, count_stop_task, &n), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(gn_poller_close(p), 0);

    /* 3: the wake-up comes after the stopping callback in the batch (the
     * socket was ready first), so it is fetched but not dispatched. */
    p = open_poller();
    r = (rec_t){.p = p, .stop_at = 1};
    n = 0;
    ck_assert_int_eq(gn_poller_add_write(p, &pa, false), 0);
    ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_HIGH, count_task, &n), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(gn_poller_delete(p, &pa), 0);
    ck_assert(poller_fd_readable(p));
    ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_HIGH, count_stop_task, &n), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(gn_poller_close(p), 0);

    /* 4: a task's stop (the task phase hands the wake-up back and wakes again). */
    p = open_poller();
    n = 0;
    ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_LOW, count_stop_task, &n), 0);
    ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_LOW, count_stop_task, &n), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(n, 1);
    ck_assert(poller_fd_readable(p));
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(gn_poller_close(p), 0);
    close(a[0]);
    close(a[1]);
}
END_TEST

static void drop_free(gn_task_t *task, void *udata)
{
    free(task->arg);
    (*(int *)udata)++;
}

static int never_task(void *arg)
{
    ck_abort_msg("a task ran after close");
    return 0;
}

/* Closing with queued tasks runs none of them, calls the drop hook for each
 * (which frees the args: ASan reports a leak otherwise) and frees the nodes. */
START_TEST(close_with_queued_tasks)
{
    gn_poller_t *p = open_poller();
    int dropped = 0;
    ck_assert_int_eq(gn_poller_set_task_drop(p, drop_free, &dropped), 0);
    for (int i = 0; i < 1000; i++) {
        void *arg = malloc(32);
        ck_assert_ptr_nonnull(arg);
        ck_assert_int_eq(gn_poller_trigger(p, i % 2 ? GN_PRIO_LOW : GN_PRIO_HIGH, never_task, arg),
                         0);
    }
    ck_assert_int_eq(gn_poller_close(p), 0);
    ck_assert_int_eq(dropped, 1000);

    /* Without a hook the args are left alone (they are not heap memory here). */
    p = open_poller();
    static int plain[10];
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_LOW, never_task, &plain[i]), 0);
    ck_assert_int_eq(gn_poller_close(p), 0);
}
END_TEST

/* ---- many producers ------------------------------------------------------------- */

#define PRODUCERS 16

typedef struct stress {
    gn_poller_t *p;
    long per_thread;
    long expect[PRODUCERS];
    long done;
    long total;
    long errors;
    uint64_t low_round;
    int low_in_round;
    int low_max;
} stress_t;

static stress_t stress;

static int stress_task(void *arg)
{
    uintptr_t v = (uintptr_t)arg;
    int t = (int)(v >> 40);
    long seq = (long)(v & ((1ull << 40) - 1));
    if (seq != stress.expect[t])
        stress.errors++;
    stress.expect[t] = seq + 1;
    if (t % 2 == 1) { /* odd producers use the low priority */
        uint64_t r = gn_poller_round(stress.p);
        if (r != stress.low_round) {
            stress.low_round = r;
            stress.low_in_round = 0;
        }
        if (++stress.low_in_round > stress.low_max)
            stress.low_max = stress.low_in_round;
    }
    return ++stress.done == stress.total ? GN_POLL_STOP : 0;
}

static void *producer(void *arg)
{
    uintptr_t t = (uintptr_t)arg;
    gn_priority_t prio = t % 2 ? GN_PRIO_LOW : GN_PRIO_HIGH;
    for (long i = 0; i < stress.per_thread; i++) {
        void *v = (void *)((t << 40) | (uintptr_t)i);
        if (gn_poller_trigger(stress.p, prio, stress_task, v) != 0)
            return (void *)1;
    }
    return NULL;
}

/* 16 threads trigger 100,000 tasks each (half of them low priority): every
 * task runs exactly once, in FIFO order per producer, and no round runs more
 * than 256 low-priority tasks. */
START_TEST(many_producers)
{
    stress = (stress_t){.p = open_poller(), .per_thread = gn_test_scale(100000, 2)};
    stress.total = stress.per_thread * PRODUCERS;
    pthread_t th[PRODUCERS];
    for (uintptr_t t = 0; t < PRODUCERS; t++)
        ck_assert_int_eq(pthread_create(&th[t], NULL, producer, (void *)t), 0);
    ck_assert_int_eq(gn_poller_polling(stress.p), 0);
    for (int t = 0; t < PRODUCERS; t++) {
        void *ret;
        ck_assert_int_eq(pthread_join(th[t], &ret), 0);
        ck_assert_ptr_null(ret);
    }
    ck_assert_int_eq(stress.errors, 0);
    ck_assert_int_eq(stress.done, stress.total);
    for (int t = 0; t < PRODUCERS; t++)
        ck_assert_int_eq(stress.expect[t], stress.per_thread);
    ck_assert_int_le(stress.low_max, GN_POLL_LOW_TASKS_PER_ROUND);
    ck_assert_int_ge(stress.low_max, 1);
    fprintf(stderr, "many_producers: %ld tasks, busiest low round %d\n", stress.total,
            stress.low_max);
    ck_assert_int_eq(gn_poller_close(stress.p), 0);
}
END_TEST

/* ---- producer threads that exit, allocation failure ------------------------------- */

#define EXITERS    8
#define EXIT_TASKS 1000

typedef struct exiters {
    gn_poller_t *p;
    long next[2][EXITERS]; /* per priority, per thread: the next sequence expected */
    long ran, total;
    int errors;
    int dropped;
} exiters_t;

static exiters_t ex;

static int exit_task(void *arg)
{
    uintptr_t v = (uintptr_t)arg;
    int prio = (int)(v >> 48), t = (int)((v >> 40) & 0xff);
    long seq = (long)(v & ((1ull << 40) - 1));
    if (seq != ex.next[prio][t])
        ex.errors++;
    ex.next[prio][t] = seq + 1;
    return ++ex.ran == ex.total ? GN_POLL_STOP : 0;
}

static void *exiter(void *arg)
{
    uintptr_t t = (uintptr_t)arg;
    for (uintptr_t i = 0; i < EXIT_TASKS; i++)
        for (uintptr_t prio = 0; prio < 2; prio++)
            if (gn_poller_trigger(ex.p, (gn_priority_t)prio, exit_task,
                                  (void *)(prio << 48 | t << 40 | i)) != 0)
                return (void *)1;
    return NULL;
}

static void *exiter_malloc(void *arg)
{
    for (int i = 0; i < EXIT_TASKS; i++) {
        void *a = malloc(16);
        if (a == NULL ||
            gn_poller_trigger(ex.p, i % 2 ? GN_PRIO_LOW : GN_PRIO_HIGH, never_task, a) != 0)
            return (void *)1;
    }
    return arg;
}

static void run_exiters(void *(*fn)(void *))
{
    pthread_t th[EXITERS];
    for (uintptr_t t = 0; t < EXITERS; t++)
        ck_assert_int_eq(pthread_create(&th[t], NULL, fn, (void *)t), 0);
    for (int t = 0; t < EXITERS; t++) {
        void *ret;
        ck_assert_int_eq(pthread_join(th[t], &ret), 0);
        ck_assert_ptr_eq(ret, fn == exiter ? NULL : (void *)(uintptr_t)t);
    }
}

/* Threads trigger tasks and exit before the poller runs any: every task still
 * runs, once, in FIFO order per thread and priority. Tasks of threads that
 * exited are dropped (and their args freed: ASan's leak check) at close. */
START_TEST(producers_exit_before_polling)
{
    ex = (exiters_t){.p = open_poller(), .total = 2L * EXITERS * EXIT_TASKS};
    run_exiters(exiter);
    ck_assert_int_eq(gn_poller_polling(ex.p), 0);
    ck_assert_int_eq(ex.errors, 0);
    ck_assert_int_eq(ex.ran, ex.total);
    for (int t = 0; t < EXITERS; t++) {
        ck_assert_int_eq(ex.next[0][t], EXIT_TASKS);
        ck_assert_int_eq(ex.next[1][t], EXIT_TASKS);
    }
    ck_assert_int_eq(gn_poller_set_task_drop(ex.p, drop_free, &ex.dropped), 0);
    run_exiters(exiter_malloc);
    run_exiters(exiter_malloc); /* the next threads continue the lanes of the first */
    ck_assert_int_eq(gn_poller_close(ex.p), 0);
    ck_assert_int_eq(ex.dropped, 2 * EXITERS * EXIT_TASKS);
}
END_TEST

typedef struct seq_run {
    long next;
    long total;
    int errors;
} seq_run_t;

static seq_run_t sr;

static int seq_task(void *arg)
{
    if ((long)(uintptr_t)arg != sr.next)
        sr.errors++;
    sr.next++;
    return sr.next == sr.total ? GN_POLL_STOP : 0;
}

/* Under an address-space limit triggers end with -ENOMEM and queue nothing;
 * the tasks accepted before all run, once and in order. Sanitizers reserve
 * terabytes of shadow memory, so this test only runs unsanitized. */
START_TEST(trigger_enomem)
{
    if (gn_test_sanitized())
        return;
    gn_poller_t *p = open_poller();
    ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_LOW, seq_task, (void *)0), 0);
    gn_test_limit_address_space(16u << 20);
    long n = 1;
    int rc;
    while ((rc = gn_poller_trigger(p, GN_PRIO_LOW, seq_task, (void *)(uintptr_t)n)) == 0)
        n++;
    ck_assert_int_eq(rc, -ENOMEM);
    ck_assert_int_gt(n, 1000);
    sr = (seq_run_t){.total = n};
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(sr.errors, 0);
    ck_assert_int_eq(sr.next, n);
    ck_assert_int_eq(gn_poller_close(p), 0);
}
END_TEST

/* ---- bad input and misuse ---------------------------------------------------------- */

static int busy_cb(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    gn_poller_t *p = udata;
    ck_assert_int_eq(gn_poller_polling(p), -EBUSY);
    ck_assert_int_eq(gn_poller_close(p), -EBUSY);
    return GN_POLL_STOP;
}

static int busy_task(void *arg)
{
    gn_poller_t *p = arg;
    ck_assert_int_eq(gn_poller_polling(p), -EBUSY);
    ck_assert_int_eq(gn_poller_close(p), -EBUSY);
    return GN_POLL_STOP;
}

START_TEST(bad_input)
{
    ck_assert_int_eq(gn_poller_open(NULL), -EINVAL);
    ck_assert_int_eq(gn_poller_close(NULL), -EINVAL);
    ck_assert_int_eq(gn_poller_polling(NULL), -EINVAL);
    ck_assert_int_eq(gn_poller_fd(NULL), -EINVAL);
    ck_assert_uint_eq(gn_poller_round(NULL), 0);
    ck_assert_int_eq(gn_poller_set_task_drop(NULL, NULL, NULL), -EINVAL);

    gn_poller_t *p = open_poller();
    ck_assert_int_ge(gn_poller_fd(p), 0);
    int sv[2];
    make_pair(sv);
    gn_poll_attachment_t ok = {.fd = sv[0], .callback = record_cb};
    gn_poll_attachment_t badfd = {.fd = -1, .callback = record_cb};
    gn_poll_attachment_t nocb = {.fd = sv[0]};
    int (*adds[])(gn_poller_t *, gn_poll_attachment_t *,
                  bool) = {gn_poller_add_read, gn_poller_add_write,      gn_poller_add_read_write,
                           gn_poller_mod_read, gn_poller_mod_read_write, gn_poller_mod_write};
    for (size_t i = 0; i < sizeof(adds) / sizeof(adds[0]); i++) {
        ck_assert_int_eq(adds[i](NULL, &ok, false), -EINVAL);
        ck_assert_int_eq(adds[i](p, NULL, false), -EINVAL);
        ck_assert_int_eq(adds[i](p, &badfd, false), -EINVAL);
        ck_assert_int_eq(adds[i](p, &nocb, true), -EINVAL);
    }
    ck_assert_int_eq(gn_poller_delete(NULL, &ok), -EINVAL);
    ck_assert_int_eq(gn_poller_delete(p, NULL), -EINVAL);
    ck_assert_int_eq(gn_poller_delete(p, &badfd), -EINVAL);
    ck_assert_int_eq(gn_poller_trigger(NULL, GN_PRIO_HIGH, count_task, NULL), -EINVAL);
    ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_HIGH, NULL, NULL), -EINVAL);
    ck_assert_int_eq(gn_poller_trigger(p, (gn_priority_t)7, count_task, NULL), -EINVAL);

    /* Kernel errors come back as negative errno. */
    ck_assert_int_eq(gn_poller_mod_read(p, &ok, false), -ENOENT);
    ck_assert_int_eq(gn_poller_add_read(p, &ok, false), 0);
    ck_assert_int_eq(gn_poller_add_read(p, &ok, false), -EEXIST);
    ck_assert_int_eq(gn_poller_delete(p, &ok), 0);
    gn_poll_attachment_t closed = {.fd = 1000, .callback = record_cb};
    ck_assert_int_eq(gn_poller_add_read(p, &closed, false), -EBADF);
    char path[] = "/tmp/gn-netpoll-XXXXXX";
    int file = mkstemp(path);
    ck_assert_int_ge(file, 0);
    unlink(path);
    gn_poll_attachment_t regular = {.fd = file, .callback = record_cb};
    ck_assert_int_eq(gn_poller_add_read(p, &regular, false), -EPERM);
    close(file);

    /* Re-entrant polling and close from a callback or a task are refused. */
    gn_poll_attachment_t busy = {.fd = sv[0], .callback = busy_cb, .udata = p};
    ck_assert_int_eq(gn_poller_add_write(p, &busy, false), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(gn_poller_delete(p, &busy), 0);
    ck_assert_int_eq(gn_poller_trigger(p, GN_PRIO_LOW, busy_task, p), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(gn_poller_close(p), 0);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

static Suite *netpoll_suite(void)
{
    Suite *s = suite_create("netpoll");
    TCase *ev = tcase_create("events");
    tcase_add_test(ev, read_event_socketpair);
    tcase_add_test(ev, write_event_socketpair);
    tcase_add_test(ev, read_write_event);
    tcase_add_test(ev, level_triggered_rereports);
    tcase_add_test(ev, edge_triggered_reports_once);
    tcase_add_test(ev, mod_changes_interest);
    tcase_add_test(ev, delete_stops_events);
    tcase_add_test(ev, peer_close_socketpair);
    tcase_add_test(ev, peer_close_tcp);
    tcase_add_test(ev, tcp_echo_loopback);
    tcase_add_test(ev, callback_error_ends_polling);
    tcase_add_test(ev, stale_event_in_batch);
    tcase_add_test(ev, stale_event_self_and_peer);
    tcase_add_test(ev, event_array_grows);
    suite_add_tcase(s, ev);
    TCase *tk = tcase_create("tasks");
    tcase_add_test(tk, io_before_tasks);
    tcase_add_test(tk, low_priority_cap);
    tcase_add_test(tk, trigger_from_task);
    tcase_add_test(tk, stop_from_task);
    tcase_add_test(tk, stop_from_callback);
    tcase_add_test(tk, stop_from_callback_keeps_fd_readable);
    tcase_add_test(tk, close_with_queued_tasks);
    tcase_add_test(tk, many_producers);
    tcase_add_test(tk, producers_exit_before_polling);
    tcase_add_test(tk, trigger_enomem);
    suite_add_tcase(s, tk);
    TCase *bad = tcase_create("bad_input");
    tcase_add_test(bad, bad_input);
    suite_add_tcase(s, bad);
    suite_add_tcase(s, gn_netpoll_timer_tcase());
    return s;
}

int main(void)
{
    return gn_test_run(netpoll_suite());
}
