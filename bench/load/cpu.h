/* cpu: CPU time samples that the echo load generator takes at the edges of its
 * measurement window, so that CPU per message covers exactly the counted messages.
 *
 * - its own CPU time: CLOCK_PROCESS_CPUTIME_ID (ns);
 * - the server's: utime+stime of /proc/PID/stat (clock ticks, all threads);
 * - the machine's: busy ticks (user, nice, system, irq, softirq, steal) of the CPUs in
 *   /proc/stat that either process may run on, so that what neither of them used
 *   ("other") shows when someone else took our CPUs.
 * Not thread-safe. Functions return 0 or a negative errno. */
#ifndef ECHO_LOAD_CPU_H
#define ECHO_LOAD_CPU_H

#include <stdint.h>
#include <sys/types.h>

typedef struct {
    uint64_t wall_ns;    /* CLOCK_MONOTONIC */
    uint64_t self_ns;    /* this process's CPU time */
    uint64_t srv_ticks;  /* server utime+stime; 0 without a server PID */
    uint64_t busy_ticks; /* busy ticks of the watched CPUs */
} cpu_sample_t;

typedef struct {
    double secs;     /* window length */
    double self;     /* this process's CPUs' worth (1.0 = one CPU busy all the time) */
    double srv;      /* the server's, or -1 when not sampled */
    double other;    /* CPUs' worth of busy time on the watched CPUs used by neither */
    uint64_t srv_ns; /* server CPU time in the window (ns), for CPU per message */
} cpu_usage_t;

/* Chooses the CPUs to watch: those this process and server pid (0: none) may run
 * on. Returns -errno when the server's affinity cannot be read (it is gone). */
int cpu_watch(pid_t srv);

/* Takes one sample; srv as given to cpu_watch. -errno when /proc cannot be read. */
int cpu_sample(pid_t srv, cpu_sample_t *out);

/* What happened between two samples. */
void cpu_usage(const cpu_sample_t *a, const cpu_sample_t *b, int have_srv, cpu_usage_t *out);

uint64_t cpu_now_ns(void);

#endif
