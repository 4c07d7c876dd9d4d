/* gnet-logging: a leveled logger (zap-like) with three sinks: the console
 * (stderr or any fd), a file with size-based rotation (lumberjack-like) and a
 * user function, plus a process default logger configured from the environment.
 *
 * Thread rule: every function here is thread-safe unless marked otherwise.
 * Many threads may log through one logger at once; each line reaches the sink
 * whole and lines never interleave. A logger serializes its sink: one mutex per
 * logger is held around the write(2) of a line (and a rotation) or around the
 * call of a user sink, so a user sink sees whole lines one at a time, in the
 * order the logger accepted them. Formatting happens before the lock is taken.
 *
 * Console and file line format (one write(2) per line, UTC, microseconds):
 *
 *     [gnet] 2026-11-22T05:50:00.123456Z INFO file.c:12 message\n
 *
 * The "[gnet]" prefix is the default; gn_logger_opts_t.prefix replaces it with
 * the program's own text or removes it.
 *
 * `file` is the last path component of the caller's __FILE__. Trailing
 * newlines of the message are dropped (the logger adds exactly one).
 *
 * Failed writes: a line that write(2) cannot take whole is dropped and counted
 * (gn_logger_get_stats); gn_logf returns the error. write(2) is retried after
 * EINTR and after a short write; a write that returns 0 gives -EIO; a full
 * non-blocking fd gives -EAGAIN at once (the logger never waits on a descriptor
 * its owner made non-blocking). When a failure left part of a line on the fd
 * (ENOSPC or EFBIG half-way, a pipe that took only part of a long line), the
 * next line that is written starts with '\n', so the fragment ends its own
 * line and every later line starts on a line of its own.
 *
 * Logger arguments: a NULL logger names the process default logger
 * (gn_log_default()) in every function that takes one, except gn_logger_free.
 *
 * Errors: functions that can fail return 0 or a negative errno.
 */
#ifndef GNET_LOGGING_H
#define GNET_LOGGING_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef GN_EXPORT
#define GN_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Levels, lowest first. GN_LOG_INFO is 0 so that a zeroed options struct asks
 * for the info level, as zap's default does. */
typedef enum gn_log_level {
    GN_LOG_DEBUG = -1,
    GN_LOG_INFO = 0,
    GN_LOG_WARN = 1,
    GN_LOG_ERROR = 2,
    GN_LOG_FATAL = 3,
} gn_log_level_t;

/* Where a logger's lines go. */
typedef enum gn_log_sink_kind {
    GN_LOG_SINK_STDERR = 0, /* console format on stderr (the default) */
    GN_LOG_SINK_FD,         /* console format on opts.fd (not owned, not closed) */
    GN_LOG_SINK_FILE,       /* console format appended to opts.path, rotated by size */
    GN_LOG_SINK_FUNC,       /* opts.fn is called with the formatted message */
} gn_log_sink_kind_t;

/* A user sink. Called once per accepted line, with the logger's mutex held,
 * so calls are serialized and ordered. `file` and `line` are the caller's
 * __FILE__ (unshortened; NULL if gn_logf was given NULL) and __LINE__. `msg` is
 * the formatted message without prefix or trailing newline, NUL-terminated,
 * `len` bytes long (not counting the NUL), valid only until the call returns.
 * The sink must not log through the same logger (such a call returns -EDEADLK
 * instead of deadlocking) and should not block for long: other threads logging
 * to this logger wait for it. */
typedef void (*gn_log_sink_fn)(gn_log_level_t level, const char *file, int line, const char *msg,
                               size_t len, void *udata);

/* Options for gn_logger_new. Zero-initialized means: info level, stderr. */
typedef struct gn_logger_opts {
    gn_log_level_t level;    /* lowest level that is logged */
    gn_log_sink_kind_t sink; /* which of the fields below are used */
    int fd;                  /* GN_LOG_SINK_FD: the descriptor to write to */
    /* GN_LOG_SINK_FILE: the file (copied; created 0644). A relative path is
     * taken against the working directory of gn_logger_new, so a later chdir
     * changes nothing. */
    const char *path;
    /* GN_LOG_SINK_FILE: when a line would grow the file past max_size bytes, the
     * file is first renamed path.1 (path.1 becomes path.2, ... up to
     * path.<max_backups>; the oldest beyond that is dropped) and a new file is
     * started. 0 disables rotation. A line longer than max_size still gets
     * written, alone, in a fresh file. Only regular files are rotated.
     * Whatever max_size, when path is renamed or removed under the logger
     * (logrotate, an operator), the logger reopens path (creating it if
     * needed) within about a second: at most once a second, and before each
     * rotation, it compares the device and inode of path (stat) with those of
     * its open file. */
    size_t max_size;
    int max_backups;            /* GN_LOG_SINK_FILE: 0 means keep no backup */
    gn_log_sink_fn fn;          /* GN_LOG_SINK_FUNC: required */
    void (*flush)(void *udata); /* GN_LOG_SINK_FUNC: optional, run by gn_logger_flush */
    void *udata;                /* GN_LOG_SINK_FUNC: passed to fn and flush */
    /* Console, fd and file sinks: the text each line starts with, before the
     * time stamp and a space. NULL means "[gnet]", "" no prefix at all. Copied;
     * at most GN_LOG_PREFIX_MAX bytes, no control characters (else -EINVAL). */
    const char *prefix;
} gn_logger_opts_t;

/* Longest gn_logger_opts_t.prefix, in bytes. */
#define GN_LOG_PREFIX_MAX 32

/* Counters of gn_logger_get_stats, since the logger was created. */
typedef struct gn_logger_stats {
    /* Lines that did not reach the console, fd or file whole because write(2)
     * failed (partial ones included). */
    uint64_t dropped;
    /* Of those, lines of which a first part was written: that fragment is
     * ended by a '\n' put before the next line written. */
    uint64_t partial;
} gn_logger_stats_t;

/* Opaque. Heap-allocated by gn_logger_new. */
typedef struct gn_logger gn_logger_t;

/* Private: the first member of every logger, so that the level check in the
 * macros is an inline load and a compare. Do not use directly. */
struct gn__logger_head {
    int level;
};

/* Creates a logger in *out from opts (NULL opts: info level, stderr). For a
 * file sink the file is opened (O_APPEND) now. Returns 0, -EINVAL (out NULL,
 * level out of range, unknown sink, fd < 0, path or fn NULL, max_backups < 0,
 * prefix too long or with a control character),
 * -ENOMEM, or the -errno of open(2). The caller owns *out and frees it with
 * gn_logger_free. */
GN_EXPORT int gn_logger_new(gn_logger_t **out, const gn_logger_opts_t *opts);

/* Closes the file sink's file (lines already went out through write(2), so
 * nothing is lost) and frees the logger. NULL and the built-in default logger
 * are no-ops.
 * Not thread-safe: no other thread may use the logger during or after the call,
 * and it must not be the current default (see gn_log_set_default). */
GN_EXPORT void gn_logger_free(gn_logger_t *logger);

/* Sets the lowest level that is logged. Takes effect at once for every thread
 * (an atomic store). Returns 0 or -EINVAL (level out of range). */
GN_EXPORT int gn_logger_set_level(gn_logger_t *logger, gn_log_level_t level);

/* Returns the logger's current level (an atomic load). */
GN_EXPORT gn_log_level_t gn_logger_get_level(const gn_logger_t *logger);

/* Copies the logger's counters into *out. Reads each counter atomically (the
 * two may be from slightly different moments while other threads log). A user
 * sink's counters stay 0: its errors are its own. Returns 0 or -EINVAL (out
 * NULL). */
GN_EXPORT int gn_logger_get_stats(const gn_logger_t *logger, gn_logger_stats_t *out);

/* Makes lines already written durable: fsync(2) for a file sink, the user's
 * flush callback for a function sink, nothing for the console (write(2) is not
 * buffered). Returns 0, the -errno of fsync, or -EDEADLK (called from this
 * logger's own user sink). */
GN_EXPORT int gn_logger_flush(gn_logger_t *logger);

/* Formats and logs one line if `level` is enabled. `file` and `line` name the
 * caller (the macros below pass __FILE__ and __LINE__; file may be NULL). A
 * message longer than the internal stack buffer is formatted on the heap; only
 * if that allocation fails is it cut short, and then it ends with "…" (U+2026)
 * so the cut is visible. GN_LOG_FATAL lines are logged like any other here: it
 * is GN_LOG_FATALF / gn_log_fatalf that abort. Returns 0 (also when the level
 * is disabled), -EINVAL (fmt NULL, level out of range, or a format that
 * vsnprintf rejects), -EDEADLK (called from this logger's own user sink), the
 * -errno of write(2) (-EIO when it returned 0, -EAGAIN for a full non-blocking
 * fd; the line was dropped and counted, see "Failed writes" above), or the
 * -errno of a failed rotation or reopen of a file sink (the line was then
 * still appended to the current file; a rotation is retried on the next line,
 * a reopen at the next check). */
GN_EXPORT int gn_logf(gn_logger_t *logger, gn_log_level_t level, const char *file, int line,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* As gn_logf, with a va_list. */
GN_EXPORT int gn_vlogf(gn_logger_t *logger, gn_log_level_t level, const char *file, int line,
                       const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/* Logs a GN_LOG_FATAL line (always enabled), flushes the logger, then calls
 * abort(). Never returns. */
GN_EXPORT void gn_log_fatalf(gn_logger_t *logger, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5), noreturn));

/* The process default logger. Unless gn_log_set_default installed another one,
 * it is built once, on first use (pthread_once), from the environment:
 *   GNET_LOGGING_LEVEL  debug, info, warn (or warning), error, fatal; any case;
 *                       default info.
 *   GNET_LOGGING_FILE   a file sink at that path, rotated at 100 MiB with 2
 *                       backups; default stderr.
 * An invalid value is reported once on stderr and ignored (the default is used;
 * a file that cannot be opened falls back to stderr). Never fails, never NULL.
 * The built-in default is owned by the library and never freed. */
GN_EXPORT gn_logger_t *gn_log_default(void);

/* Makes `logger` the process default (NULL restores the built-in one) and
 * returns the previous default installed this way (NULL if it was the built-in
 * one). The caller keeps ownership of both: it may free the previous default
 * only once no thread can still be logging through it. */
GN_EXPORT gn_logger_t *gn_log_set_default(gn_logger_t *logger);

/* Parses a level name (debug, info, warn, warning, error, fatal; any case) into
 * *out. Returns 0 or -EINVAL (NULL argument or unknown name). */
GN_EXPORT int gn_log_level_parse(const char *name, gn_log_level_t *out);

/* The upper-case name of a level ("INFO"), or "?" when out of range. The string
 * is static. */
GN_EXPORT const char *gn_log_level_string(gn_log_level_t level);

/* True when `level` would be logged by `logger` (NULL: the default). Inline:
 * one relaxed atomic load and a compare, so the macros below cost one
 * predictable branch when the level is off. A NULL logger adds a call to
 * gn_log_default() (an atomic load and pthread_once); code that logs on a hot
 * path should keep the logger pointer instead. */
static inline bool gn_logger_enabled(gn_logger_t *logger, gn_log_level_t level)
{
    if (logger == NULL)
        logger = gn_log_default();
    const struct gn__logger_head *h = (const struct gn__logger_head *)(const void *)logger;
    return (int)level >= __atomic_load_n(&h->level, __ATOMIC_RELAXED);
}

/* Logs at `level` with the caller's file and line. The format arguments are
 * evaluated only when the level is enabled; `logger` and `level` are evaluated
 * once. */
#define GN_LOGF(logger, level, ...)                                                                \
    do {                                                                                           \
        gn_logger_t *gn_log_l_ = (logger);                                                         \
        gn_log_level_t gn_log_lv_ = (level);                                                       \
        if (gn_logger_enabled(gn_log_l_, gn_log_lv_))                                              \
            (void)gn_logf(gn_log_l_, gn_log_lv_, __FILE__, __LINE__, __VA_ARGS__);                 \
    } while (0)

/* GN_LOGF at a fixed level: GN_LOG_INFOF(log, "listening on %s", url). */
#define GN_LOG_DEBUGF(logger, ...) GN_LOGF(logger, GN_LOG_DEBUG, __VA_ARGS__)
#define GN_LOG_INFOF(logger, ...)  GN_LOGF(logger, GN_LOG_INFO, __VA_ARGS__)
#define GN_LOG_WARNF(logger, ...)  GN_LOGF(logger, GN_LOG_WARN, __VA_ARGS__)
#define GN_LOG_ERRORF(logger, ...) GN_LOGF(logger, GN_LOG_ERROR, __VA_ARGS__)
/* Logs at GN_LOG_FATAL, flushes, then aborts the process (gnet's Fatal exits). */
#define GN_LOG_FATALF(logger, ...) gn_log_fatalf((logger), __FILE__, __LINE__, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
