/* The linger deadline of draining connections: a FIFO of (slot, generation,
 * deadline) per loop and one timerfd armed for its oldest entry. Every drain
 * lasts close_linger_ms from its start on a monotonic clock, so the FIFO is in
 * deadline order and a drain that begins never moves the timer. A drain that
 * ends early leaves a stale entry, recognised by its generation (or the
 * connection no longer draining) and skipped when it reaches the head; the
 * FIFO is compacted when stale entries outnumber live ones, so its size stays
 * proportional to the drains in progress. The timerfd is created on the
 * loop's first drain: loops that never drain pay nothing. Loop thread only. */
#include "engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * GN_SECOND + ts.tv_nsec;
}

void gn__drainq_init(gn__drainq_t *q)
{
    *q = (gn__drainq_t){.pa = {.fd = -1}};
}

static gn__drain_entry_t *at(const gn__drainq_t *q, uint32_t i)
{
    return &q->v[(q->head + i) & (q->cap - 1)];
}

/* The connection an entry names, if it is still draining. */
static gn_conn_t *entry_conn(gn__loop_t *l, const gn__drain_entry_t *e)
{
    gn_conn_t *c = gn__conn_at(l, e->slot, e->gen);
    return c != NULL && (c->flags & GN__C_DRAINING) != 0 ? c : NULL;
}

/* Arms the timer for the oldest live entry (dropping stale ones before it),
 * or disarms it when none is left. */
static void rearm(gn__loop_t *l)
{
    gn__drainq_t *q = &l->drains;
    while (q->len > 0 && entry_conn(l, at(q, 0)) == NULL) {
        q->head = (q->head + 1) & (q->cap - 1);
        q->len--;
    }
    struct itimerspec its = {0};
    if (q->len > 0) {
        int64_t d = at(q, 0)->deadline_ns;
        its.it_value.tv_sec = (time_t)(d / GN_SECOND);
        its.it_value.tv_nsec = (long)(d % GN_SECOND);
        if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
            its.it_value.tv_nsec = 1; /* zero would disarm */
    }
    if (timerfd_settime(q->pa.fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
        GN__LOG(l->eng, GN_LOG_ERROR, "gnet: linger timer: timerfd_settime failed");
}

/* Deadline passed: drop what each expired drain still holds. */
static int drain_timer_io(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    (void)ev;
    (void)flags;
    gn__loop_t *l = udata;
    gn__drainq_t *q = &l->drains;
    uint64_t expirations;
    if (read(fd, &expirations, sizeof expirations) < 0)
        return 0; /* spurious: EAGAIN */
    int64_t now = now_ns();
    while (q->len > 0 && at(q, 0)->deadline_ns <= now) {
        gn_conn_t *c = entry_conn(l, at(q, 0));
        q->head = (q->head + 1) & (q->cap - 1);
        q->len--;
        if (c != NULL) {
            GN__LOG(l->eng, GN_LOG_DEBUG, "gnet: fd %d: linger deadline passed, %zu bytes dropped",
                    c->pa.fd, gn_conn_outbound_buffered(c));
            gn__conn_finish(c, GN_ELINGER);
        }
    }
    rearm(l);
    gn__loop_run_closes(l);
    return l->stopped ? GN_POLL_STOP : 0;
}

static int timer_open(gn__loop_t *l)
{
    gn__drainq_t *q = &l->drains;
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    q->pa = (gn_poll_attachment_t){.fd = fd, .callback = drain_timer_io, .udata = l};
    int rc = gn_poller_add_read(l->poller, &q->pa, false);
    if (rc < 0) {
        close(fd);
        q->pa.fd = -1;
    }
    return rc;
}

/* Keeps the live entries, in order, in the first slots of the ring. */
static void compact(gn__loop_t *l)
{
    gn__drainq_t *q = &l->drains;
    gn__drain_entry_t *v = malloc((size_t)q->cap * sizeof *v);
    if (v == NULL)
        return; /* the caller grows instead */
    uint32_t n = 0;
    for (uint32_t i = 0; i < q->len; i++)
        if (entry_conn(l, at(q, i)) != NULL)
            v[n++] = *at(q, i);
    free(q->v);
    q->v = v;
    q->head = 0;
    q->len = n;
}

static int grow(gn__drainq_t *q)
{
    uint32_t cap = q->cap == 0 ? 16 : q->cap * 2;
    if (cap == 0)
        return -ENOMEM;
    gn__drain_entry_t *v = malloc((size_t)cap * sizeof *v);
    if (v == NULL)
        return -ENOMEM;
    for (uint32_t i = 0; i < q->len; i++)
        v[i] = *at(q, i);
    free(q->v);
    q->v = v;
    q->cap = cap;
    q->head = 0;
    return 0;
}

/* Appends c with its deadline and marks it draining. Returns 0, -ENOMEM or
 * the timerfd's -errno (c unchanged). */
int gn__drainq_add(gn__loop_t *l, gn_conn_t *c)
{
    gn__drainq_t *q = &l->drains;
    int rc = q->pa.fd < 0 ? timer_open(l) : 0;
    if (rc == 0 && q->len == q->cap && q->live < q->len / 2)
        compact(l);
    if (rc == 0 && q->len == q->cap)
        rc = grow(q);
    if (rc < 0)
        return rc;
    int64_t linger = (int64_t)l->eng->o.close_linger_ms * GN_MILLISECOND;
    *at(q, q->len) =
        (gn__drain_entry_t){.slot = c->slot, .gen = c->gen, .deadline_ns = now_ns() + linger};
    q->len++;
    q->live++;
    c->flags |= GN__C_DRAINING;
    if (q->len == 1)
        rearm(l);
    return 0;
}

/* Loop teardown (the poller is still open). */
void gn__drainq_release(gn__loop_t *l)
{
    gn__drainq_t *q = &l->drains;
    if (q->pa.fd >= 0) {
        (void)gn_poller_delete(l->poller, &q->pa);
        close(q->pa.fd);
    }
    free(q->v);
    gn__drainq_init(q);
}
