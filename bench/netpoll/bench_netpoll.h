/* Shared by the files of the netpoll benchmark. */
#ifndef BENCH_NETPOLL_H
#define BENCH_NETPOLL_H

/* The timer benchmark (bench_timers.c), and its add+cancel loop alone (for
 * callgrind's instruction counts). */
void bench_timers(void);
void bench_timers_callgrind(long pairs);

#endif
