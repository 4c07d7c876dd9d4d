/* cpu: /proc and clock samples, see cpu.h. */
#include "cpu.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static cpu_set_t watched;

uint64_t cpu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t self_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int cpu_watch(pid_t srv)
{
    cpu_set_t other;
    CPU_ZERO(&watched);
    if (sched_getaffinity(0, sizeof watched, &watched) < 0)
        return -errno;
    if (srv > 0) {
        if (sched_getaffinity(srv, sizeof other, &other) < 0)
            return -errno;
        CPU_OR(&watched, &watched, &other);
    }
    return 0;
}

/* utime+stime of a process, in ticks. The command name in field 2 may hold spaces
 * and parentheses, so fields are counted from the last ')'. */
static int proc_ticks(pid_t pid, uint64_t *out)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -errno;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (p == NULL)
        return -EIO;
    unsigned long long ut, st;
    /* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
     */
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -EIO;
    *out = ut + st;
    return 0;
}

static uint64_t cpu_line_busy(const char *rest)
{
    unsigned long long v[8] = {0}; /* user nice system idle iowait irq softirq steal */
    if (sscanf(rest, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &v[6], &v[7]) < 4)
        return 0;
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
}

static int stat_busy(uint64_t *out)
{
    FILE *f = fopen("/proc/stat", "r");
    if (f == NULL)
        return -errno;
    char line[512];
    uint64_t busy = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        int cpu, off = 0;
        if (strncmp(line, "cpu", 3) != 0 || sscanf(line, "cpu%d %n", &cpu, &off) != 1 || off == 0)
            continue;
        if (cpu >= 0 && cpu < CPU_SETSIZE && CPU_ISSET((size_t)cpu, &watched))
            busy += cpu_line_busy(line + off);
    }
    fclose(f);
    *out = busy;
    return 0;
}

int cpu_sample(pid_t srv, cpu_sample_t *out)
{
    memset(out, 0, sizeof *out);
    out->wall_ns = cpu_now_ns();
    out->self_ns = self_cpu_ns();
    int rc = srv > 0 ? proc_ticks(srv, &out->srv_ticks) : 0;
    if (rc == 0)
        rc = stat_busy(&out->busy_ticks);
    return rc;
}

void cpu_usage(const cpu_sample_t *a, const cpu_sample_t *b, int have_srv, cpu_usage_t *out)
{
    double hz = (double)sysconf(_SC_CLK_TCK);
    double secs = (double)(b->wall_ns - a->wall_ns) / 1e9;
    if (secs <= 0)
        secs = 1e-9;
    double self_s = (double)(b->self_ns - a->self_ns) / 1e9;
    double srv_s = (double)(b->srv_ticks - a->srv_ticks) / hz;
    double busy_s = (double)(b->busy_ticks - a->busy_ticks) / hz;
    out->secs = secs;
    out->self = self_s / secs;
    out->srv = have_srv ? srv_s / secs : -1;
    out->other = (busy_s - self_s - (have_srv ? srv_s : 0)) / secs;
    out->srv_ns = have_srv ? (uint64_t)(srv_s * 1e9) : 0;
}
