/* gnet-logging benchmark: lines/s at info level to a file, to /dev/null and to
 * a no-op user sink (formatting cost alone), the same with 4 threads, and the
 * cost of a disabled debug call. Each case runs for about 1.5 s. */
#include <gnet/logging.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define CASE_SECONDS 1.5

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Logs typical info lines until CASE_SECONDS have passed; returns lines/s. */
static double run_lines(gn_logger_t *l)
{
    double start = now(), elapsed = 0;
    long n = 0;
    while (elapsed < CASE_SECONDS) {
        for (int i = 0; i < 1024; i++, n++)
            GN_LOG_INFOF(l, "accepted connection fd=%d from %s:%d (n=%ld)", 17, "127.0.0.1", 40000,
                         n);
        elapsed = now() - start;
    }
    return (double)n / elapsed;
}

static void *thread_main(void *arg)
{
    double *rate = arg;
    *rate = run_lines(gn_log_default());
    return NULL;
}

/* Four threads share the default logger (set to the given one). */
static double run_threads(gn_logger_t *l)
{
    enum { T = 4 };
    pthread_t th[T];
    double rate[T], sum = 0;
    gn_log_set_default(l);
    for (int i = 0; i < T; i++)
        pthread_create(&th[i], NULL, thread_main, &rate[i]);
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        sum += rate[i];
    }
    gn_log_set_default(NULL);
    return sum;
}

static void noop_sink(gn_log_level_t level, const char *file, int line, const char *msg, size_t len,
                      void *udata)
{
    *(size_t *)udata += len;
}

static gn_logger_t *make(const gn_logger_opts_t *o)
{
    gn_logger_t *l = NULL;
    int rc = gn_logger_new(&l, o);
    if (rc < 0) {
        fprintf(stderr, "bench-logging: gn_logger_new: %d\n", rc);
        exit(1);
    }
    return l;
}

static void bench_disabled(gn_logger_t *l)
{
    const long n = 200 * 1000 * 1000;
    volatile long sink = 0;
    double start = now();
    for (long i = 0; i < n; i++)
        GN_LOG_DEBUGF(l, "debug %ld %ld", i, (long)(sink += i)); /* args never evaluated */
    double ns = (now() - start) * 1e9 / (double)n;
    printf("%-34s %10.2f ns/call (sink=%ld)\n", "disabled debug call", ns, (long)sink);
}

int main(void)
{
    char path[] = "/tmp/gn-bench-logging-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        return 1;
    }
    close(fd);
    size_t bytes = 0;
    gn_logger_opts_t file = {.sink = GN_LOG_SINK_FILE, .path = path};
    gn_logger_opts_t devnull = {.sink = GN_LOG_SINK_FILE, .path = "/dev/null"};
    gn_logger_opts_t user = {.sink = GN_LOG_SINK_FUNC, .fn = noop_sink, .udata = &bytes};
    struct {
        const char *name;
        gn_logger_opts_t *o;
        int threads;
    } cases[] = {
        {"info -> file", &file, 0},
        {"info -> /dev/null", &devnull, 0},
        {"info -> no-op user sink", &user, 0},
        {"info -> file, 4 threads", &file, 1},
        {"info -> /dev/null, 4 threads", &devnull, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gn_logger_t *l = make(cases[i].o);
        double rate = cases[i].threads ? run_threads(l) : run_lines(l);
        printf("%-34s %10.0f lines/s (%6.0f ns/line)\n", cases[i].name, rate, 1e9 / rate);
        gn_logger_free(l);
        if (truncate(path, 0) < 0)
            perror("truncate");
    }
    gn_logger_t *l = make(&devnull);
    bench_disabled(l);
    gn_logger_free(l);
    unlink(path);
    return 0;
}
