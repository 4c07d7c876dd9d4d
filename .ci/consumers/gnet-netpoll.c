/* Install smoke test: a task triggered before polling runs and stops the poller. */
#include <gnet/netpoll.h>
#include <stdio.h>

static int ran;

static int stop(void *arg)
{
    (void)arg;
    ran++;
    return GN_POLL_STOP;
}

int main(void)
{
    gn_poller_t *p;
    if (gn_poller_open(&p) != 0 || gn_poller_trigger(p, GN_PRIO_HIGH, stop, NULL) != 0)
        return 1;
    if (gn_poller_polling(p) != 0 || ran != 1 || gn_poller_close(p) != 0)
        return 1;
    puts("gnet-netpoll: ok");
    return 0;
}
