/* The logger object: creation, level, dispatch of a line to its sink. */
#include "logging_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* The logger whose user sink this thread is running, so that a sink logging
 * back into its own logger gets -EDEADLK instead of deadlocking on l->mu. */
static _Thread_local struct gn_logger *gn__in_sink;

/* A prefix fits GN_LOG_PREFIX_MAX and keeps a line one line (no control
 * characters: no newline, no terminal escape). */
static bool gn__prefix_valid(const char *p)
{
    if (p == NULL)
        return true;
    size_t n = 0;
    for (; p[n] != '\0'; n++)
        if ((unsigned char)p[n] < 0x20 || p[n] == 0x7f || n >= GN_LOG_PREFIX_MAX)
            return false;
    return true;
}

static int gn__check_opts(const gn_logger_opts_t *o)
{
    if (!gn__level_valid(o->level) || !gn__prefix_valid(o->prefix))
        return -EINVAL;
    switch (o->sink) {
    case GN_LOG_SINK_STDERR:
        return 0;
    case GN_LOG_SINK_FD:
        return o->fd >= 0 ? 0 : -EINVAL;
    case GN_LOG_SINK_FILE:
        return o->path != NULL && o->path[0] != '\0' && o->max_backups >= 0 ? 0 : -EINVAL;
    case GN_LOG_SINK_FUNC:
        return o->fn != NULL ? 0 : -EINVAL;
    }
    return -EINVAL;
}

int gn__logger_init(struct gn_logger *l, const gn_logger_opts_t *opts)
{
    static const gn_logger_opts_t defaults = {.level = GN_LOG_INFO, .sink = GN_LOG_SINK_STDERR};
    const gn_logger_opts_t *o = opts != NULL ? opts : &defaults;
    int rc = gn__check_opts(o);
    if (rc < 0)
        return rc;
    memset(l, 0, sizeof *l);
    l->head.level = (int)o->level;
    l->sink = o->sink;
    l->fd = o->sink == GN_LOG_SINK_FD ? o->fd : STDERR_FILENO;
    l->fn = o->fn;
    l->flush = o->flush;
    l->udata = o->udata;
    if (o->prefix != NULL) {
        l->has_prefix = true;
        if (o->prefix[0] != '\0')
            snprintf(l->prefix, sizeof l->prefix, "%s ", o->prefix);
    }
    if (o->sink == GN_LOG_SINK_FILE && (rc = gn__file_open(l, o)) < 0)
        return rc;
    rc = pthread_mutex_init(&l->mu, NULL);
    if (rc != 0) {
        gn__file_close(l);
        return -rc;
    }
    return 0;
}

void gn__logger_release(struct gn_logger *l)
{
    gn__file_close(l);
    pthread_mutex_destroy(&l->mu);
}

int gn_logger_new(gn_logger_t **out, const gn_logger_opts_t *opts)
{
    if (out == NULL)
        return -EINVAL;
    *out = NULL;
    struct gn_logger *l = malloc(sizeof *l);
    if (l == NULL)
        return -ENOMEM;
    int rc = gn__logger_init(l, opts);
    if (rc < 0) {
        free(l);
        return rc;
    }
    *out = l;
    return 0;
}

void gn_logger_free(gn_logger_t *logger)
{
    /* The built-in default is static and lives as long as the process. */
    if (logger == NULL || logger == gn__log_builtin())
        return;
    gn__logger_release(logger);
    free(logger);
}

int gn_logger_set_level(gn_logger_t *logger, gn_log_level_t level)
{
    if (!gn__level_valid(level))
        return -EINVAL;
    if (logger == NULL)
        logger = gn_log_default();
    __atomic_store_n(&logger->head.level, (int)level, __ATOMIC_RELAXED);
    return 0;
}

gn_log_level_t gn_logger_get_level(const gn_logger_t *logger)
{
    if (logger == NULL)
        logger = gn_log_default();
    return (gn_log_level_t)__atomic_load_n(&logger->head.level, __ATOMIC_RELAXED);
}

/* Runs the user's callback with the re-entry guard set. Called with l->mu. */
static void gn__call_sink(struct gn_logger *l, gn_log_level_t level, const char *file, int line,
                          const gn__line_t *ln)
{
    struct gn_logger *saved = gn__in_sink;
    gn__in_sink = l;
    if (ln != NULL)
        l->fn(level, file, line, ln->p, ln->len, l->udata);
    else if (l->flush != NULL)
        l->flush(l->udata);
    gn__in_sink = saved;
}

/* Hands one rendered line to the sink, under the logger's lock so that lines
 * (and rotations) never interleave. */
static int gn__emit(struct gn_logger *l, gn_log_level_t level, const char *file, int line,
                    const gn__line_t *ln)
{
    int rc = 0;
    pthread_mutex_lock(&l->mu);
    switch (l->sink) {
    case GN_LOG_SINK_STDERR:
    case GN_LOG_SINK_FD: {
        size_t done = 0;
        rc = gn__line_write(l, ln->p, ln->len, &done);
        break;
    }
    case GN_LOG_SINK_FILE:
        rc = gn__file_write(l, ln->p, ln->len);
        break;
    case GN_LOG_SINK_FUNC:
        gn__call_sink(l, level, file, line, ln);
        break;
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int gn_vlogf(gn_logger_t *logger, gn_log_level_t level, const char *file, int line, const char *fmt,
             va_list ap)
{
    if (fmt == NULL || !gn__level_valid(level))
        return -EINVAL;
    if (logger == NULL)
        logger = gn_log_default();
    if ((int)level < __atomic_load_n(&logger->head.level, __ATOMIC_RELAXED))
        return 0;
    if (gn__in_sink == logger)
        return -EDEADLK;
    char stack[GN__LINE_STACK];
    gn__line_t ln;
    bool console = logger->sink != GN_LOG_SINK_FUNC;
    int rc = gn__line_render(&ln, stack, sizeof stack, console, gn__logger_prefix(logger), level,
                             file, line, fmt, ap);
    if (rc < 0)
        return rc;
    rc = gn__emit(logger, level, file, line, &ln);
    gn__line_release(&ln);
    return rc;
}

int gn_logf(gn_logger_t *logger, gn_log_level_t level, const char *file, int line, const char *fmt,
            ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = gn_vlogf(logger, level, file, line, fmt, ap);
    va_end(ap);
    return rc;
}

int gn_logger_flush(gn_logger_t *logger)
{
    if (logger == NULL)
        logger = gn_log_default();
    if (gn__in_sink == logger)
        return -EDEADLK;
    int rc = 0;
    pthread_mutex_lock(&logger->mu);
    if (logger->sink == GN_LOG_SINK_FILE && fsync(logger->fd) < 0 && errno != EINVAL)
        rc = -errno; /* EINVAL: a file that cannot be synced, such as /dev/null */
    else if (logger->sink == GN_LOG_SINK_FUNC)
        gn__call_sink(logger, GN_LOG_INFO, NULL, 0, NULL);
    pthread_mutex_unlock(&logger->mu);
    return rc;
}

void gn_log_fatalf(gn_logger_t *logger, const char *file, int line, const char *fmt, ...)
{
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        (void)gn_vlogf(logger, GN_LOG_FATAL, file, line, fmt, ap);
        va_end(ap);
    }
    (void)gn_logger_flush(logger);
    abort();
}

/* Drops the first `n` bytes of the vector (they were written). */
static void gn__iov_advance(struct iovec **iov, int *cnt, size_t n)
{
    while (*cnt > 0 && n >= (*iov)->iov_len) {
        n -= (*iov)->iov_len;
        (*iov)++;
        (*cnt)--;
    }
    if (*cnt > 0) {
        (*iov)->iov_base = (char *)(*iov)->iov_base + n;
        (*iov)->iov_len -= n;
    }
}

/* writev(2) until done; see gn__write_all for the errors. */
static int gn__writev_all(int fd, struct iovec *iov, int cnt, size_t *done)
{
    *done = 0;
    gn__iov_advance(&iov, &cnt, 0); /* skips empty entries: writev would return 0 */
    while (cnt > 0) {
        ssize_t n = writev(fd, iov, cnt);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        /* Nothing written and no error: the same call would do the same again. */
        if (n == 0)
            return -EIO;
        *done += (size_t)n;
        gn__iov_advance(&iov, &cnt, (size_t)n);
    }
    return 0;
}

int gn__write_all(int fd, const char *p, size_t len, size_t *done)
{
    struct iovec iov = {.iov_base = (void *)p, .iov_len = len};
    size_t n = 0;
    int rc = gn__writev_all(fd, &iov, 1, &n);
    if (done != NULL)
        *done = n;
    return rc;
}

int gn__line_write(struct gn_logger *l, const char *p, size_t len, size_t *done)
{
    static const char nl = '\n';
    struct iovec iov[2] = {{.iov_base = (void *)&nl, .iov_len = 1},
                           {.iov_base = (void *)p, .iov_len = len}};
    /* One writev, so that the newline and the line stay one O_APPEND write. */
    size_t pre = l->mid_line ? 1 : 0;
    int rc = gn__writev_all(l->fd, iov + 1 - pre, (int)(1 + pre), done);
    if (*done >= pre)
        l->mid_line = false; /* the fragment is ended */
    if (rc < 0) {
        __atomic_store_n(&l->dropped, l->dropped + 1, __ATOMIC_RELAXED);
        if (*done > pre) {
            /* Part of this line is out: the next one must start on a new line. */
            __atomic_store_n(&l->partial, l->partial + 1, __ATOMIC_RELAXED);
            l->mid_line = true;
        }
    }
    return rc;
}

int gn_logger_get_stats(const gn_logger_t *logger, gn_logger_stats_t *out)
{
    if (out == NULL)
        return -EINVAL;
    if (logger == NULL)
        logger = gn_log_default();
    out->dropped = __atomic_load_n(&logger->dropped, __ATOMIC_RELAXED);
    out->partial = __atomic_load_n(&logger->partial, __ATOMIC_RELAXED);
    return 0;
}
