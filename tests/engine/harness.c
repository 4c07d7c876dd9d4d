/* Harness implementation: see harness.h. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

srv_t S;

void msleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int err_slot(int err)
{
    switch (err) {
    case 0:
        return 0;
    case GN_EEOF:
        return 1;
    case GN_ESHUTDOWN:
        return 2;
    case -ECONNRESET:
        return 3;
    case -EPIPE:
        return 4;
    case GN_EINBOUND_LIMIT:
        return 5;
    case GN_EOUTBOUND_LIMIT:
        return 6;
    case GN_ELINGER:
        return 7;
    default:
        return 15;
    }
}

static gn_action_t h_boot(gn_engine_t *eng)
{
    atomic_store(&S.eng, eng);
    atomic_fetch_add(&S.boots, 1);
    return GN_NONE;
}

static void h_shutdown(gn_engine_t *eng)
{
    (void)eng;
    atomic_fetch_add(&S.shutdowns, 1);
}

static gn_action_t h_open(gn_conn_t *c)
{
    unsigned loop = (unsigned)(gn_conn_id(c) >> 56);
    ck_assert_uint_lt(loop, (unsigned)gn_engine_num_loops(gn_conn_engine(c)));
    if (loop < 8)
        atomic_fetch_add(&S.loop_opens[loop], 1);
    atomic_fetch_add(&S.opens, 1);
    return GN_NONE;
}

static gn_action_t h_close(gn_conn_t *c, int err)
{
    (void)c;
    atomic_fetch_add(&S.close_errs[err_slot(err)], 1);
    atomic_fetch_add(&S.closes, 1);
    return GN_NONE;
}

typedef struct job {
    gn_engine_t *eng;
    gn_conn_id_t id;
    size_t n;
    bool vec;
    unsigned char data[];
} job_t;

static void async_done(gn_conn_t *c, int err, void *udata)
{
    (void)c;
    (void)udata;
    if (err < 0 && err != GN_ECLOSED && err != GN_ESHUTDOWN)
        atomic_fetch_add(&S.async_errs, 1);
}

static void job_run(void *arg)
{
    job_t *j = arg;
    int rc;
    if (j->vec) {
        size_t h = j->n / 2;
        struct iovec iov[2] = {{j->data, h}, {j->data + h, j->n - h}};
        rc = gn_conn_async_writev(j->eng, j->id, iov, 2, async_done, NULL);
    } else {
        rc = gn_conn_async_write(j->eng, j->id, j->data, j->n, async_done, NULL);
    }
    if (rc < 0)
        atomic_fetch_add(&S.async_errs, 1);
    free(j);
}

gn_action_t echo_traffic(gn_conn_t *c)
{
    size_t n;
    const unsigned char *p = gn_conn_next(c, SIZE_MAX, &n);
    ck_assert_ptr_nonnull(p);
    if (n == 0)
        return GN_NONE;
    if (S.mode == M_WRITE) {
        ck_assert_int_eq(gn_conn_write(c, p, n), (ssize_t)n);
    } else if (S.mode == M_WRITEV) {
        size_t a = n / 3, b = n / 3;
        struct iovec iov[3] = {
            {(void *)p, a}, {(void *)(p + a), b}, {(void *)(p + a + b), n - a - b}};
        ck_assert_int_eq(gn_conn_writev(c, iov, 3), (ssize_t)n);
    } else {
        job_t *j = malloc(sizeof *j + n);
        ck_assert_ptr_nonnull(j);
        j->eng = gn_conn_engine(c);
        j->id = gn_conn_id(c);
        j->n = n;
        j->vec = S.mode == M_ASYNCV;
        memcpy(j->data, p, n);
        ck_assert_int_eq(gn_pool_submit(S.pool, job_run, j), 0);
    }
    return GN_NONE;
}

void srv_init(const char *net, int mode)
{
    memset(&S, 0, sizeof S);
    snprintf(S.net, sizeof S.net, "%s", net);
    S.mode = mode;
    S.h = (gn_handler_t){.on_boot = h_boot,
                         .on_shutdown = h_shutdown,
                         .on_open = h_open,
                         .on_close = h_close,
                         .on_traffic = echo_traffic};
    if (strcmp(net, "unix") == 0) {
        snprintf(S.dir, sizeof S.dir, "/tmp/gnet-engine-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(S.dir));
        snprintf(S.path, sizeof S.path, "%s/s.sock", S.dir);
        snprintf(S.addr, sizeof S.addr, "unix://%s", S.path);
    } else if (strcmp(net, "tcp6") == 0) {
        snprintf(S.addr, sizeof S.addr, "tcp6://[::1]:0");
    } else {
        snprintf(S.addr, sizeof S.addr, "%s://127.0.0.1:0", net);
    }
    if (mode == M_ASYNC || mode == M_ASYNCV) {
        /* One worker: jobs (and so async writes) keep their order. */
        gn_pool_options_t po = {.capacity = 1, .queue_size = 4096};
        ck_assert_int_eq(gn_pool_new(&S.pool, &po), 0);
    }
}

static void *run_thread(void *arg)
{
    (void)arg;
    S.rc = gn_run(&S.h, S.addr, &S.o);
    atomic_store(&S.done, 1);
    return NULL;
}

static void read_port(void)
{
    int fd = gn_engine_dup(atomic_load(&S.eng));
    ck_assert_int_ge(fd, 0);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    if (ss.ss_family == AF_INET)
        S.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    else if (ss.ss_family == AF_INET6)
        S.port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    close(fd);
}

void srv_start(void)
{
    ck_assert_int_eq(pthread_create(&S.thr, NULL, run_thread, NULL), 0);
    for (int i = 0; i < 10000 && atomic_load(&S.eng) == NULL && !atomic_load(&S.done); i++)
        msleep(1);
    if (atomic_load(&S.done))
        ck_abort_msg("gn_run(%s) failed: %d %s", S.addr, S.rc, gn_strerror(S.rc));
    ck_assert_ptr_nonnull(atomic_load(&S.eng));
    read_port();
}

int srv_run_sync(void)
{
    ck_assert_int_eq(pthread_create(&S.thr, NULL, run_thread, NULL), 0);
    pthread_join(S.thr, NULL);
    return S.rc;
}

void srv_join(void)
{
    for (int i = 0; i < 20000 && !atomic_load(&S.done); i++)
        msleep(1);
    ck_assert_msg(atomic_load(&S.done), "gn_run did not return");
    pthread_join(S.thr, NULL);
    ck_assert_int_eq(S.rc, 0);
    if (S.pool != NULL) {
        gn_pool_free(S.pool);
        S.pool = NULL;
    }
    if (S.dir[0] != '\0') {
        unlink(S.path);
        rmdir(S.dir);
    }
}

void srv_stop(void)
{
    if (S.pool != NULL)
        ck_assert_int_eq(gn_pool_release(S.pool, 10000), 0);
    ck_assert_int_eq(gn_engine_stop(atomic_load(&S.eng)), 0);
    srv_join();
    ck_assert_int_eq(atomic_load(&S.shutdowns), 1);
}

bool wait_atomic(atomic_int *v, int want, int ms)
{
    for (int i = 0; i < ms && atomic_load(v) < want; i++)
        msleep(1);
    return atomic_load(v) >= want;
}

bool wait_count(size_t want, int ms)
{
    for (int i = 0; i < ms && gn_engine_count_connections(atomic_load(&S.eng)) != want; i++)
        msleep(1);
    return gn_engine_count_connections(atomic_load(&S.eng)) == want;
}

int cli_connect(void)
{
    int fd;
    int rc;
    if (strcmp(S.net, "unix") == 0) {
        struct sockaddr_un un = {.sun_family = AF_UNIX};
        snprintf(un.sun_path, sizeof un.sun_path, "%s", S.path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        rc = connect(fd, (struct sockaddr *)&un, sizeof un);
    } else if (strcmp(S.net, "tcp6") == 0) {
        struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)S.port)};
        in6.sin6_addr = in6addr_loopback;
        fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
        rc = connect(fd, (struct sockaddr *)&in6, sizeof in6);
    } else {
        struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)S.port)};
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        rc = connect(fd, (struct sockaddr *)&in, sizeof in);
    }
    ck_assert_msg(fd >= 0 && rc == 0, "connect: %s", strerror(errno));
    return fd;
}

size_t cli_read_full(int fd, void *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 10000) <= 0)
            break;
        ssize_t r = read(fd, (char *)p + got, n - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

bool cli_wait_eof(int fd, int ms)
{
    char buf[4096];
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, ms) <= 0)
            return false;
        ssize_t r = read(fd, buf, sizeof buf);
        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
            return true;
    }
}

typedef struct echo_cli {
    pthread_t thr;
    size_t total;
    uint64_t seed;
    size_t verified;
    const char *fail;
} echo_cli_t;

/* Writes and reads concurrently (poll), so large payloads never deadlock on
 * full socket buffers; compares every echoed byte. */
static void *echo_cli_main(void *arg)
{
    echo_cli_t *e = arg;
    unsigned char *buf = malloc(e->total), *tmp = malloc(65536);
    uint64_t st = e->seed | 1;
    for (size_t i = 0; i < e->total; i++)
        buf[i] = (unsigned char)(gn_test_rand(&st) >> 56);
    int fd = cli_connect();
    fcntl(fd, F_SETFL, O_NONBLOCK);
    size_t woff = 0, roff = 0, chunk_left = 0;
    while (roff < e->total && e->fail == NULL) {
        struct pollfd pfd = {.fd = fd, .events = (short)(POLLIN | (woff < e->total ? POLLOUT : 0))};
        if (poll(&pfd, 1, 10000) <= 0) {
            e->fail = "timeout";
            break;
        }
        if ((pfd.revents & POLLOUT) && woff < e->total) {
            if (chunk_left == 0)
                chunk_left = 1 + (size_t)(gn_test_rand(&st) % (1u << 20));
            size_t k = e->total - woff < chunk_left ? e->total - woff : chunk_left;
            ssize_t w = send(fd, buf + woff, k, MSG_NOSIGNAL);
            if (w > 0) {
                woff += (size_t)w;
                chunk_left -= (size_t)w;
            } else if (w < 0 && errno != EAGAIN) {
                e->fail = "send";
            }
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = read(fd, tmp, 65536);
            if (r == 0 || (r < 0 && errno != EAGAIN)) {
                e->fail = "eof/error before all echoed";
            } else if (r > 0) {
                if (roff + (size_t)r > e->total || memcmp(tmp, buf + roff, (size_t)r) != 0)
                    e->fail = "echoed bytes differ";
                roff += (size_t)r;
            }
        }
    }
    e->verified = e->fail == NULL ? roff : 0;
    close(fd);
    free(buf);
    free(tmp);
    return NULL;
}

size_t echo_clients(int nclients, size_t total, uint64_t seed)
{
    echo_cli_t *cl = calloc((size_t)nclients, sizeof *cl);
    uint64_t st = seed;
    for (int i = 0; i < nclients; i++) {
        cl[i].total = total / 2 + (size_t)(gn_test_rand(&st) % (total / 2 + 1));
        cl[i].seed = gn_test_rand(&st);
        ck_assert_int_eq(pthread_create(&cl[i].thr, NULL, echo_cli_main, &cl[i]), 0);
    }
    size_t sum = 0;
    const char *fail = NULL;
    for (int i = 0; i < nclients; i++) {
        pthread_join(cl[i].thr, NULL);
        if (cl[i].fail != NULL)
            fail = cl[i].fail;
        sum += cl[i].verified;
    }
    free(cl);
    ck_assert_msg(fail == NULL, "echo client: %s", fail);
    return sum;
}
