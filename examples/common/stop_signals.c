/* See stop_signals.h. The engine pointer and the "signal seen" flag are both
 * sequentially consistent atomics: whichever of on_boot and the signal thread
 * comes second sees the other's store, so a signal is never lost. */
#include "stop_signals.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>

static _Atomic(gn_engine_t *) engine;
static atomic_bool signalled;
static sigset_t stop_set;

static void *signal_thread(void *arg)
{
    (void)arg;
    int sig;
    while (sigwait(&stop_set, &sig) != 0) {
    }
    atomic_store(&signalled, true);
    gn_engine_t *eng = atomic_load(&engine);
    if (eng != NULL)
        (void)gn_engine_stop(eng);
    return NULL;
}

int stop_signals_install(void)
{
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    int rc = pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    pthread_t t;
    if (rc == 0)
        rc = pthread_create(&t, NULL, signal_thread, NULL);
    if (rc == 0)
        rc = pthread_detach(t);
    return -rc;
}

gn_action_t stop_signals_booted(gn_engine_t *eng)
{
    atomic_store(&engine, eng);
    return atomic_load(&signalled) ? GN_SHUTDOWN : GN_NONE;
}
