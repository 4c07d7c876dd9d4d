/* Idle timeouts: one gnet-netpoll timer per connection with a timeout. A
 * read stores the poller's clock (gn__idle_touch, read once per round); the
 * timer fires at the deadline computed from the last activity it knew of
 * and, when bytes arrived since, re-arms for what is left. So an active
 * connection costs one timer operation per timeout period, not per read. */
#include "engine_int.h"

#include <errno.h>

/* ms in clock units (2^20 ns), rounded up. */
static uint32_t units(uint32_t ms)
{
    return (uint32_t)(((uint64_t)ms * 1000000u + (1u << 20) - 1) >> 20);
}

static int idle_fire(gn_poller_t *p, gn_timer_id_t id, void *udata);

static int arm_in(gn_conn_t *c, uint32_t after_units)
{
    return gn_poller_timer_add(c->loop->poller, (uint64_t)after_units << 20, 0, idle_fire, c,
                               &c->idle_id);
}

/* The timer is cancelled when the connection closes, so c is alive here. */
static int idle_fire(gn_poller_t *p, gn_timer_id_t id, void *udata)
{
    gn_conn_t *c = udata;
    gn__loop_t *l = c->loop;
    uint32_t limit = units(c->idle_ms);
    uint32_t idle = gn__idle_clock(l) - c->last_rx; /* modulo 2^32 units */
    if (idle >= limit) {
        c->idle_ms = 0;
        gn__conn_mark_close(c, GN_EIDLE_TIMEOUT);
    } else if (arm_in(c, limit - idle) < 0) {
        c->idle_ms = 0; /* out of memory: the timeout is off */
    }
    gn__loop_run_closes(l);
    return l->stopped ? GN_POLL_STOP : 0;
}

static void disarm(gn_conn_t *c)
{
    if (c->idle_ms != 0)
        (void)gn_poller_timer_cancel(c->loop->poller, c->idle_id);
    c->idle_ms = 0;
}

static int set_timeout(gn_conn_t *c, uint32_t ms)
{
    disarm(c);
    if (ms == 0)
        return 0;
    c->last_rx = gn__idle_clock(c->loop);
    int rc = arm_in(c, units(ms));
    if (rc == 0)
        c->idle_ms = ms;
    return rc;
}

void gn__idle_open(gn_conn_t *c)
{
    int ms = c->loop->eng->o.idle_timeout_ms;
    if (ms > 0 && set_timeout(c, (uint32_t)ms) < 0)
        GN__LOG(c->loop->eng, GN_LOG_WARN, "gnet: fd %d: no idle timeout (out of memory)",
                c->pa.fd);
}

void gn__idle_close(gn_conn_t *c)
{
    disarm(c);
}

int gn_conn_set_idle_timeout(gn_conn_t *c, int ms)
{
    if (c == NULL || ms < 0)
        return -EINVAL;
    if ((c->flags & (GN__C_CLOSING | GN__C_CLOSED)) != 0)
        return GN_ECLOSED;
    return set_timeout(c, (uint32_t)ms);
}
