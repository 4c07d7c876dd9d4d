/* The ticker: a gnet-netpoll timer on loop 0's poller, so on_tick runs on a
 * loop thread like every other callback (no extra thread, no timerfd, no
 * surprise concurrency). */
#include "engine_int.h"

static int tick_fire(gn_poller_t *p, gn_timer_id_t id, void *udata);

static int arm(gn__loop_t *l, int64_t ns)
{
    int rc =
        gn_poller_timer_add(l->poller, ns > 0 ? (uint64_t)ns : 0, 0, tick_fire, l, &l->tick_id);
    l->tick_armed = rc == 0;
    return rc;
}

static int tick_fire(gn_poller_t *p, gn_timer_id_t id, void *udata)
{
    gn__loop_t *l = udata;
    gn_engine_t *eng = l->eng;
    l->tick_armed = false;
    gn_action_t a = eng->h.on_tick(eng, &l->tick_delay);
    if (a == GN_SHUTDOWN)
        gn__engine_request_stop(eng);
    else if (l->tick_delay >= 0 && arm(l, l->tick_delay) < 0)
        GN__LOG(eng, GN_LOG_ERROR, "gnet: ticker: cannot re-arm (out of memory)");
    gn__loop_run_closes(l);
    return l->stopped ? GN_POLL_STOP : 0;
}

/* Called before the loop thread starts (the opening thread owns the poller):
 * the first tick is due at once, so it runs right after the loop starts. */
int gn__ticker_start(gn__loop_t *l)
{
    l->tick_delay = GN_SECOND;
    return arm(l, 0);
}

void gn__ticker_stop(gn__loop_t *l)
{
    if (l->tick_armed)
        (void)gn_poller_timer_cancel(l->poller, l->tick_id);
    l->tick_armed = false;
}
