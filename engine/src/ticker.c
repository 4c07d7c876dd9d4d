/* The ticker: a timerfd on loop 0's poller, so on_tick runs on a loop thread
 * like every other callback (no extra thread, no surprise concurrency). */
#include "engine_int.h"

#include <errno.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <unistd.h>

static int arm(gn__loop_t *l, int64_t ns)
{
    if (ns <= 0)
        ns = 1; /* a zero it_value would disarm the timer */
    struct itimerspec its = {0};
    its.it_value.tv_sec = (time_t)(ns / GN_SECOND);
    its.it_value.tv_nsec = (long)(ns % GN_SECOND);
    return timerfd_settime(l->tick_pa.fd, 0, &its, NULL) < 0 ? -errno : 0;
}

static int tick_io(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    (void)ev;
    (void)flags;
    gn__loop_t *l = udata;
    gn_engine_t *eng = l->eng;
    uint64_t expirations;
    if (read(fd, &expirations, sizeof expirations) < 0)
        return 0; /* spurious: EAGAIN */
    gn_action_t a = eng->h.on_tick(eng, &l->tick_delay);
    if (a == GN_SHUTDOWN)
        gn__engine_request_stop(eng);
    else if (l->tick_delay >= 0 && arm(l, l->tick_delay) < 0)
        GN__LOG(eng, GN_LOG_ERROR, "gnet: ticker: timerfd_settime failed");
    gn__loop_run_closes(l);
    return l->stopped ? GN_POLL_STOP : 0;
}

/* Called before the loop thread starts (the opening thread owns the poller). */
int gn__ticker_start(gn__loop_t *l)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    l->tick_pa = (gn_poll_attachment_t){.fd = fd, .callback = tick_io, .udata = l};
    l->tick_delay = GN_SECOND;
    int rc = arm(l, 1);
    if (rc == 0)
        rc = gn_poller_add_read(l->poller, &l->tick_pa, false);
    if (rc < 0) {
        close(fd);
        l->tick_pa.fd = -1;
    }
    return rc;
}

void gn__ticker_stop(gn__loop_t *l)
{
    if (l->tick_pa.fd < 0)
        return;
    (void)gn_poller_delete(l->poller, &l->tick_pa);
    close(l->tick_pa.fd);
    l->tick_pa.fd = -1;
}
