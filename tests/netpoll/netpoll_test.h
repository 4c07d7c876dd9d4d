/* Shared by the files of the netpoll suite: each file adds its test case. */
#ifndef NETPOLL_TEST_H
#define NETPOLL_TEST_H

#include <check.h>

/* The timer tests (test_timers.c). */
TCase *gn_netpoll_timer_tcase(void);

#endif
