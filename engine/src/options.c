/* Options: validation and defaults. Every bad value is logged with its name
 * and turned into GN_EOPTION, so gn_run fails before anything starts. */
#include "engine_int.h"

#include <unistd.h>

static int bad(gn_logger_t *log, const char *name, long long v)
{
    GN_LOG_ERRORF(log, "gnet: invalid option %s = %lld", name, v);
    return GN_EOPTION;
}

static size_t pow2_at_least(size_t v)
{
    size_t p = 1;
    while (p < v)
        p <<= 1;
    return p;
}

/* 0 -> default; otherwise GN__MIN_BUFCAP..GN__MAX_BUFCAP, rounded up to 2^k. */
static int resolve_cap(gn_logger_t *log, const char *name, int *cap)
{
    if (*cap == 0) {
        *cap = GN__DEFAULT_BUFCAP;
        return 0;
    }
    if (*cap < GN__MIN_BUFCAP || *cap > GN__MAX_BUFCAP)
        return bad(log, name, *cap);
    *cap = (int)pow2_at_least((size_t)*cap);
    return 0;
}

static int resolve_loops(gn_logger_t *log, gn_options_t *o)
{
    if (o->num_event_loop < 0)
        return bad(log, "num_event_loop", o->num_event_loop);
    if (o->num_event_loop == 0) {
        long ncpu = o->multicore ? sysconf(_SC_NPROCESSORS_ONLN) : 1;
        o->num_event_loop = ncpu < 1 ? 1 : (int)ncpu;
    }
    if (o->num_event_loop > GN__MAX_LOOPS)
        o->num_event_loop = GN__MAX_LOOPS;
    return 0;
}

static int resolve_sockets(gn_logger_t *log, const gn_options_t *o)
{
    if (o->tcp_keepalive_s < 0 || o->tcp_keepalive_s > 32767)
        return bad(log, "tcp_keepalive_s", o->tcp_keepalive_s);
    if (o->tcp_keepalive_intvl_s < 0 || o->tcp_keepalive_intvl_s > 32767)
        return bad(log, "tcp_keepalive_intvl_s", o->tcp_keepalive_intvl_s);
    if (o->tcp_keepalive_cnt < 0 || o->tcp_keepalive_cnt > 127)
        return bad(log, "tcp_keepalive_cnt", o->tcp_keepalive_cnt);
    if ((unsigned)o->tcp_nodelay > GN_NODELAY_OFF)
        return bad(log, "tcp_nodelay", o->tcp_nodelay);
    if (o->socket_recv_buffer < 0)
        return bad(log, "socket_recv_buffer", o->socket_recv_buffer);
    if (o->socket_send_buffer < 0)
        return bad(log, "socket_send_buffer", o->socket_send_buffer);
    return 0;
}

int gn__options_resolve(const gn_options_t *in, gn_options_t *out, gn_logger_t *log)
{
    gn_options_t zero = {0};
    *out = in != NULL ? *in : zero;
    if ((unsigned)out->lb > GN_LB_SOURCE_ADDR_HASH)
        return bad(log, "lb", out->lb);
    if (out->log_level < GN_LOG_DEBUG || out->log_level > GN_LOG_FATAL)
        return bad(log, "log_level", out->log_level);
    if (out->idle_timeout_ms < 0)
        return bad(log, "idle_timeout_ms", out->idle_timeout_ms);
    if (out->close_linger_ms < GN_CLOSE_LINGER_NONE)
        return bad(log, "close_linger_ms", out->close_linger_ms);
    if (out->close_linger_ms == 0)
        out->close_linger_ms = GN__DEFAULT_LINGER_MS;
    int rc = resolve_loops(log, out);
    if (rc == 0)
        rc = resolve_cap(log, "read_buffer_cap", &out->read_buffer_cap);
    if (rc == 0)
        rc = resolve_cap(log, "write_buffer_cap", &out->write_buffer_cap);
    if (rc == 0)
        rc = resolve_sockets(log, out);
    return rc;
}
