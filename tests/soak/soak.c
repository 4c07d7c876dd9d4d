/* Soak: one engine under a mixed, bounded, loopback-only load for a given
 * time, sampling RSS, descriptors and the engine's connection count every
 * second into a CSV. Fails if a client sees a wrong byte, or if RSS or the
 * descriptor count grows after warm-up (the median of the last third of the
 * samples against the median of the first third after warm-up, thresholds
 * below), or (run under a sanitizer) if it reports anything.
 *
 * Load, each kind on its own client thread, all the time:
 *   churn     connect, send 1..8 KiB, verify the echo, close
 *   trickle   one connection writing 1 byte at a time, verified
 *   reset     send 64 KiB, close with SO_LINGER 0 (RST) without reading
 *   halfclose send, shutdown(SHUT_WR), verify the echo up to EOF
 *   slow      ask for a flood and read it slowly: max_outbound closes it
 *   async     echo through gn_conn_async_write from a worker pool, with
 *             gn_conn_async_close racing it
 * plus a ticker on the engine and a second engine started and stopped
 * every two seconds.
 *
 *   soak <seconds> <csv path> [rss growth KiB] [fd growth]   */
#include <gnet/gnet.h>
#include <gnet/pool.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FLOOD (256 * 1024)

static atomic_int stop_load, errors, port;
static atomic_long verified, ticks, restarts;
static gn_pool_t *pool;
static gn_engine_t *engine;
static unsigned char flood[FLOOD];

static void fail(const char *what)
{
    fprintf(stderr, "soak: %s\n", what);
    atomic_fetch_add(&errors, 1);
}

/* ---- server ---- */

typedef struct job {
    gn_engine_t *eng;
    gn_conn_id_t id;
    size_t n;
    unsigned char data[];
} job_t;

static void async_job(void *arg)
{
    job_t *j = arg;
    (void)gn_conn_async_write(j->eng, j->id, j->data, j->n, NULL, NULL);
    if (j->n % 7 == 0) /* now and then a close races the write */
        (void)gn_conn_async_close(j->eng, j->id, NULL, NULL);
    free(j);
}

/* The first byte a client sends picks the behaviour: 'E' echo, 'F' flood,
 * 'A' echo through the pool. */
static gn_action_t on_traffic(gn_conn_t *c)
{
    size_t n;
    const unsigned char *p = gn_conn_peek(c, SIZE_MAX, &n);
    if (p == NULL || n == 0)
        return p == NULL ? GN_CLOSE : GN_NONE;
    intptr_t mode = (intptr_t)gn_conn_context(c);
    if (mode == 0) {
        mode = p[0];
        gn_conn_set_context(c, (void *)mode);
        (void)gn_conn_discard(c, 1);
        p = gn_conn_peek(c, SIZE_MAX, &n);
        if (p == NULL)
            return GN_CLOSE;
    }
    if (mode == 'F') {
        (void)gn_conn_discard(c, n);
        for (size_t i = 0; i < n; i++)
            if (gn_conn_write(c, flood, FLOOD) < 0)
                return GN_CLOSE;
        return GN_NONE;
    }
    if (mode == 'A' && n > 0) {
        job_t *j = malloc(sizeof *j + n);
        if (j == NULL)
            return GN_CLOSE;
        *j = (job_t){.eng = gn_conn_engine(c), .id = gn_conn_id(c), .n = n};
        memcpy(j->data, p, n);
        (void)gn_conn_discard(c, n);
        if (gn_pool_submit(pool, async_job, j) != 0) {
            free(j);
            return GN_CLOSE;
        }
        return GN_NONE;
    }
    ssize_t w = gn_conn_write(c, p, n);
    (void)gn_conn_discard(c, n);
    return w < 0 ? GN_CLOSE : GN_NONE;
}

static gn_action_t on_tick(gn_engine_t *eng, int64_t *delay)
{
    (void)eng;
    atomic_fetch_add(&ticks, 1);
    *delay = 50 * GN_MILLISECOND;
    return GN_NONE;
}

static int start_engine(gn_engine_t **out, int loops, bool ticker)
{
    gn_handler_t h = {.on_traffic = on_traffic, .on_tick = ticker ? on_tick : NULL};
    gn_options_t o = {.num_event_loop = loops, .ticker = ticker, .max_outbound = 1 << 20};
    int rc = gn_engine_new(out, &h, &o);
    if (rc == 0)
        rc = gn_engine_listen(*out, "tcp://127.0.0.1:0");
    if (rc == 0)
        rc = gn_engine_start(*out);
    return rc;
}

/* ---- clients ---- */

static int cli_connect(void)
{
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&in, sizeof in) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Reads exactly n bytes within 10 s; false on EOF, error or timeout. */
static bool read_full(int fd, unsigned char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 10000) != 1)
            return false;
        ssize_t r = read(fd, p + got, n - got);
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 13 + (i >> 9));
}

/* Sends mode + n bytes and verifies the echo; async mode may be cut by its
 * racing close (then only the prefix received is checked). */
static void echo_once(char mode, size_t n, unsigned seed)
{
    static _Thread_local unsigned char out[8192], in[8192];
    int fd = cli_connect();
    if (fd < 0) {
        fail("connect");
        return;
    }
    fill(out, n, seed);
    if (send(fd, &mode, 1, MSG_NOSIGNAL) != 1 || send(fd, out, n, MSG_NOSIGNAL) != (ssize_t)n) {
        close(fd);
        if (mode != 'A')
            fail("send");
        return;
    }
    size_t got = 0;
    while (got < n) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 10000) != 1) {
            fail("echo timeout");
            break;
        }
        ssize_t r = read(fd, in + got, n - got);
        if (r <= 0) {
            if (mode != 'A')
                fail("echo cut");
            break;
        }
        got += (size_t)r;
    }
    if (memcmp(in, out, got) != 0)
        fail("wrong byte in echo");
    atomic_fetch_add(&verified, (long)got);
    close(fd);
}

static void *churn(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    while (!atomic_load(&stop_load)) {
        seed = seed * 1103515245u + 12345u;
        echo_once((char)(uintptr_t)arg, 1 + seed % 8192, seed);
    }
    return NULL;
}

static void *trickle(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_load)) {
        int fd = cli_connect();
        if (fd < 0 || send(fd, "E", 1, MSG_NOSIGNAL) != 1) {
            fail("trickle connect");
            if (fd >= 0)
                close(fd);
            continue;
        }
        for (int i = 0; i < 200 && !atomic_load(&stop_load); i++) {
            unsigned char b = (unsigned char)i, r;
            if (send(fd, &b, 1, MSG_NOSIGNAL) != 1 || !read_full(fd, &r, 1) || r != b) {
                fail("trickle byte");
                break;
            }
            atomic_fetch_add(&verified, 1);
        }
        close(fd);
    }
    return NULL;
}

static void *resets(void *arg)
{
    (void)arg;
    static unsigned char buf[65536];
    while (!atomic_load(&stop_load)) {
        int fd = cli_connect();
        if (fd < 0) {
            fail("reset connect");
            continue;
        }
        (void)!send(fd, "E", 1, MSG_NOSIGNAL);
        (void)!send(fd, buf, sizeof buf, MSG_NOSIGNAL | MSG_DONTWAIT);
        struct linger lg = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(fd);
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void *halfclose(void *arg)
{
    (void)arg;
    unsigned char out[4096], in[4096];
    while (!atomic_load(&stop_load)) {
        int fd = cli_connect();
        if (fd < 0) {
            fail("halfclose connect");
            continue;
        }
        fill(out, sizeof out, 7);
        if (send(fd, "E", 1, MSG_NOSIGNAL) != 1 ||
            send(fd, out, sizeof out, MSG_NOSIGNAL) != (ssize_t)sizeof out ||
            shutdown(fd, SHUT_WR) != 0 || !read_full(fd, in, sizeof in) ||
            memcmp(in, out, sizeof in) != 0)
            fail("halfclose echo");
        else
            atomic_fetch_add(&verified, (long)sizeof in);
        close(fd);
    }
    return NULL;
}

/* Asks for floods and reads them slowly: the server's outbound cap (1 MiB)
 * closes the connection; every byte read is checked. */
static void *slow(void *arg)
{
    (void)arg;
    unsigned char in[1024];
    while (!atomic_load(&stop_load)) {
        int fd = cli_connect();
        if (fd < 0) {
            fail("slow connect");
            continue;
        }
        int rcv = 4096;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
        (void)!send(fd, "Fxxxxxxxx", 9, MSG_NOSIGNAL);
        size_t off = 0;
        for (int i = 0; i < 400 && !atomic_load(&stop_load); i++) {
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            if (poll(&pfd, 1, 10000) != 1) {
                fail("slow reader timeout");
                break;
            }
            ssize_t r = read(fd, in, sizeof in);
            if (r <= 0)
                break; /* closed by the cap */
            for (ssize_t k = 0; k < r; k++)
                if (in[k] != flood[(off + (size_t)k) % FLOOD]) {
                    fail("wrong byte in flood");
                    break;
                }
            off += (size_t)r;
            atomic_fetch_add(&verified, (long)r);
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        close(fd);
    }
    return NULL;
}

static void *restarter(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_load)) {
        gn_engine_t *e = NULL;
        if (start_engine(&e, 1, false) != 0)
            fail("second engine start");
        struct timespec ts = {0, 200000000};
        nanosleep(&ts, NULL);
        (void)gn_engine_stop(e);
        if (gn_engine_wait(e, 10000) != 0)
            fail("second engine stop");
        gn_engine_free(e);
        atomic_fetch_add(&restarts, 1);
        ts.tv_sec = 1;
        ts.tv_nsec = 800000000;
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* ---- sampling ---- */

static long rss_kb(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f != NULL) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static long fd_count(void)
{
    long n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n - 3; /* ., .. and the DIR's own fd */
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static long median(const long *v, int n)
{
    long *t = malloc((size_t)n * sizeof *t);
    if (t == NULL)
        return 0;
    memcpy(t, v, (size_t)n * sizeof *t);
    qsort(t, (size_t)n, sizeof *t, cmp_long);
    long m = t[n / 2];
    free(t);
    return m;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: soak <seconds> <csv> [rss growth KiB] [fd growth]\n");
        return 2;
    }
    int secs = atoi(argv[1]);
    long rss_max = argc > 3 ? atol(argv[3]) : 1024, fd_max = argc > 4 ? atol(argv[4]) : 16;
    FILE *csv = fopen(argv[2], "w");
    if (secs < 10 || csv == NULL)
        return 2;
    for (size_t i = 0; i < FLOOD; i++)
        flood[i] = (unsigned char)(i * 7 + (i >> 11));
    gn_pool_options_t po = {.capacity = 2};
    if (gn_pool_new(&pool, &po) != 0 || start_engine(&engine, 2, true) != 0)
        return 3;
    gn_addr_t a;
    if (gn_engine_listener_addr(engine, 0, &a) != 0)
        return 3;
    port = ntohs(((struct sockaddr_in *)&a.ss)->sin_port);
    pthread_t t[8];
    void *(*fn[8])(void *) = {churn, churn, trickle, resets, halfclose, slow, churn, restarter};
    void *args[8] = {(void *)'E', (void *)'E', 0, 0, 0, 0, (void *)'A', 0};
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, fn[i], args[i]);
    long *rss = calloc((size_t)secs, sizeof *rss), *fds = calloc((size_t)secs, sizeof *fds);
    fprintf(csv, "second,rss_kb,fds,connections,bytes_verified,ticks,restarts,errors\n");
    for (int s = 0; s < secs; s++) {
        sleep(1);
        rss[s] = rss_kb();
        fds[s] = fd_count();
        fprintf(csv, "%d,%ld,%ld,%zu,%ld,%ld,%ld,%d\n", s + 1, rss[s], fds[s],
                gn_engine_count_connections(engine), atomic_load(&verified), atomic_load(&ticks),
                atomic_load(&restarts), atomic_load(&errors));
        fflush(csv);
    }
    atomic_store(&stop_load, 1);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    (void)gn_engine_stop(engine);
    if (gn_engine_wait(engine, 10000) != 0)
        fail("engine stop");
    gn_engine_free(engine);
    gn_pool_free(pool);
    fclose(csv);
    /* Warm-up: the first quarter (at least 5 s). Then the first and last
     * thirds of what remains are compared by their medians. */
    int w = secs / 4 > 5 ? secs / 4 : 5, rest = secs - w, third = rest / 3;
    long r0 = median(rss + w, third), r1 = median(rss + secs - third, third);
    long f0 = median(fds + w, third), f1 = median(fds + secs - third, third);
    printf("soak: %d s, %ld bytes verified, %ld ticks, %ld restarts, %d errors\n", secs,
           atomic_load(&verified), atomic_load(&ticks), atomic_load(&restarts),
           atomic_load(&errors));
    printf("soak: rss %ld -> %ld KiB (growth limit %ld), fds %ld -> %ld (limit %ld)\n", r0, r1,
           rss_max, f0, f1, fd_max);
    free(rss);
    free(fds);
    bool ok = atomic_load(&errors) == 0 && r1 - r0 <= rss_max && f1 - f0 <= fd_max &&
              atomic_load(&verified) > 0 && atomic_load(&ticks) > 0;
    printf("soak: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
