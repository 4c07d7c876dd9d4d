/* Cross-thread operations. The caller's thread only copies the data and
 * queues a task on the owning loop; the task resolves the handle there, so a
 * connection closed in between is detected by its generation and reported,
 * never touched. */
#include "engine_int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef enum { A_WRITE, A_WAKE, A_CLOSE, A_PAUSE, A_RESUME, A_BUFFERED } async_kind_t;

typedef struct gn__async {
    gn_engine_t *eng;
    gn_conn_id_t id;
    gn_async_cb cb;
    void *udata;
    size_t n;
    async_kind_t kind;
    void *owned;                /* handed-over buffer (write_owned) or NULL */
    void (*owned_free)(void *); /* its free function, may be NULL */
    unsigned char data[];
} gn__async_t;

/* Gives a handed-over buffer back to its owner's free function, once. */
static void release_owned(gn__async_t *t)
{
    if (t->owned != NULL && t->owned_free != NULL)
        t->owned_free(t->owned);
    t->owned = NULL;
}

static int run_op(gn__async_t *t, gn_conn_t **cp)
{
    gn_conn_t *c = *cp;
    switch (t->kind) {
    case A_WRITE: {
        ssize_t r = gn_conn_write(c, t->owned != NULL ? t->owned : t->data, t->n);
        return r < 0 ? (int)r : 0;
    }
    case A_WAKE:
        gn__conn_traffic(c, 0);
        return 0;
    case A_CLOSE:
        gn__conn_mark_close(c, 0);
        gn__loop_run_closes(c->loop);
        *cp = NULL;
        return 0;
    case A_PAUSE:
        return gn_conn_pause_read(c);
    case A_RESUME:
        return gn_conn_resume_read(c);
    case A_BUFFERED: /* still wanted: not paused again, bytes still there */
        if (!gn_conn_read_paused(c) && gn_ringbuf_buffered(&c->in) > 0)
            gn__conn_traffic(c, 0);
        return 0;
    }
    return 0;
}

static int async_task(void *arg)
{
    gn__async_t *t = arg;
    gn__loop_t *l = &t->eng->loops[gn__id_loop(t->id)];
    gn_conn_t *c = gn__conn_lookup(l, t->id);
    int err = c == NULL ? GN_ECLOSED : run_op(t, &c);
    release_owned(t);
    if (t->cb != NULL) {
        t->cb(c, err, t->udata);
    }
    free(t);
    gn__loop_run_closes(l);
    return l->stopped ? GN_POLL_STOP : 0;
}

bool gn__is_async_task(gn_task_fn fn)
{
    return fn == async_task;
}

void gn__async_drop(gn_task_t *task)
{
    gn__async_t *t = task->arg;
    release_owned(t);
    if (t->cb != NULL)
        t->cb(NULL, GN_ESHUTDOWN, t->udata);
    free(t);
}

typedef struct owned_arg {
    void *p;
    void (*free_fn)(void *);
} owned_arg_t;

static int submit(gn_engine_t *eng, gn_conn_id_t id, async_kind_t kind, const struct iovec *iov,
                  int iovcnt, const owned_arg_t *own, gn_async_cb cb, void *udata)
{
    if (eng == NULL || id == GN_CONN_ID_NONE || iovcnt < 0 || (iov == NULL && iovcnt > 0))
        return -EINVAL;
    size_t n = 0, copy;
    for (int i = 0; i < iovcnt; i++) {
        if ((iov[i].iov_base == NULL && iov[i].iov_len > 0) || iov[i].iov_len > SIZE_MAX / 2 - n)
            return -EINVAL;
        n += iov[i].iov_len;
    }
    if (!gn__engine_enter(eng))
        return GN_ESHUTDOWN;
    if (gn__id_loop(id) >= (unsigned)eng->nloops) {
        gn__engine_leave(eng);
        return GN_ECLOSED;
    }
    copy = own != NULL ? 0 : n; /* a handed-over buffer is not copied */
    gn__async_t *t = malloc(sizeof *t + copy);
    if (t == NULL) {
        gn__engine_leave(eng);
        return -ENOMEM;
    }
    *t = (gn__async_t){.eng = eng, .id = id, .cb = cb, .udata = udata, .n = n, .kind = kind};
    if (own != NULL) {
        t->owned = own->p;
        t->owned_free = own->free_fn;
        iovcnt = 0;
    }
    size_t off = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > 0)
            memcpy(t->data + off, iov[i].iov_base, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    /* One priority for every kind, so a close queued after writes from the
     * same thread runs after them. */
    int rc = gn_poller_trigger(eng->loops[gn__id_loop(id)].poller, GN_PRIO_LOW, async_task, t);
    gn__engine_leave(eng);
    if (rc < 0)
        free(t); /* not release_owned: on failure the caller keeps its buffer */
    return rc;
}

int gn_conn_async_write(gn_engine_t *eng, gn_conn_id_t id, const void *p, size_t n, gn_async_cb cb,
                        void *udata)
{
    if (p == NULL && n > 0)
        return -EINVAL;
    struct iovec iov = {.iov_base = (void *)(uintptr_t)p, .iov_len = n};
    return submit(eng, id, A_WRITE, &iov, 1, NULL, cb, udata);
}

int gn_conn_async_writev(gn_engine_t *eng, gn_conn_id_t id, const struct iovec *iov, int iovcnt,
                         gn_async_cb cb, void *udata)
{
    if (iovcnt > IOV_MAX)
        return -EINVAL;
    return submit(eng, id, A_WRITE, iov, iovcnt, NULL, cb, udata);
}

int gn_conn_async_wake(gn_engine_t *eng, gn_conn_id_t id, gn_async_cb cb, void *udata)
{
    return submit(eng, id, A_WAKE, NULL, 0, NULL, cb, udata);
}

int gn_conn_async_close(gn_engine_t *eng, gn_conn_id_t id, gn_async_cb cb, void *udata)
{
    return submit(eng, id, A_CLOSE, NULL, 0, NULL, cb, udata);
}

int gn_conn_async_pause_read(gn_engine_t *eng, gn_conn_id_t id, gn_async_cb cb, void *udata)
{
    return submit(eng, id, A_PAUSE, NULL, 0, NULL, cb, udata);
}

int gn_conn_async_resume_read(gn_engine_t *eng, gn_conn_id_t id, gn_async_cb cb, void *udata)
{
    return submit(eng, id, A_RESUME, NULL, 0, NULL, cb, udata);
}

/* On the loop thread: an on_traffic for the bytes c's inbound buffer holds,
 * from a task, so that it never runs inside the caller's callback. */
int gn__async_wake_buffered(gn_conn_t *c)
{
    return submit(c->loop->eng, gn_conn_id(c), A_BUFFERED, NULL, 0, NULL, NULL, NULL);
}

int gn_conn_async_write_owned(gn_engine_t *eng, gn_conn_id_t id, void *p, size_t n,
                              void (*free_fn)(void *p), gn_async_cb cb, void *udata)
{
    if (p == NULL && n > 0)
        return -EINVAL;
    struct iovec iov = {.iov_base = p, .iov_len = n};
    owned_arg_t own = {.p = p, .free_fn = free_fn};
    return submit(eng, id, A_WRITE, &iov, 1, p != NULL ? &own : NULL, cb, udata);
}
