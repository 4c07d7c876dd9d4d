/* The logger object: creation, level, dispatch of a line to its sink. */
#include "logging_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The logger whose user sink this thread is running, so that a sink logging
 * back into its own logger gets -EDEADLK instead of deadlocking on l->mu. */
static _Thread_local struct gn_logger *gn__in_sink;

static int gn__check_opts(const gn_logger_opts_t *o)
{
    if (!gn__level_valid(o->level))
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
    case GN_LOG_SINK_FD:
        rc = gn__write_all(l->fd, ln->p, ln->len);
        break;
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
    int rc = gn__line_render(&ln, stack, sizeof stack, console, level, file, line, fmt, ap);
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

int gn__write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
