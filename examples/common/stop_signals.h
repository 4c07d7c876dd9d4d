/* SIGINT/SIGTERM stop a gnet engine cleanly (gn_run returns, the process can
 * exit 0), for the example servers. The signals are blocked in every thread
 * and taken by one thread with sigwait, which then calls gn_engine_stop on an
 * ordinary thread: nothing runs inside a signal handler. */
#ifndef GN_EXAMPLES_STOP_SIGNALS_H
#define GN_EXAMPLES_STOP_SIGNALS_H

#include <gnet/gnet.h>

/* Call in main before gn_run (and before any other thread starts, so that
 * all inherit the blocked mask). Also ignores SIGPIPE. Returns 0 or -errno. */
int stop_signals_install(void);

/* Call from on_boot: records the engine and returns GN_SHUTDOWN when a signal
 * already arrived, GN_NONE otherwise. */
gn_action_t stop_signals_booted(gn_engine_t *eng);

#endif
