/* Private to gnet-logging: the logger object and the helpers shared by its
 * source files. */
#ifndef GNET_LOGGING_INT_H
#define GNET_LOGGING_INT_H

#include <gnet/logging.h>

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct gn_logger {
    /* Must stay the first member: gn_logger_enabled() reads the level through
     * it without knowing the rest of the struct. */
    struct gn__logger_head head;
    gn_log_sink_kind_t sink;
    /* Serializes the sink: one whole line (and any rotation) at a time. */
    pthread_mutex_t mu;
    int fd;       /* console, fd and file sinks */
    bool owns_fd; /* file sink: closed by gn_logger_free */
    /* Console, fd and file sinks: a failed write left part of a line on fd,
     * so the next line is preceded by '\n' (see gn__line_write). */
    bool mid_line;
    bool rotate;  /* file sink: max_size > 0 and the file is a regular file */
    char *path;   /* file sink: owned copy of opts.path */
    char *name_a; /* file sink: scratch for "path.N", so rotation never allocates */
    char *name_b;
    size_t max_size;
    size_t size; /* bytes in the current file, counted from fstat at open */
    int max_backups;
    dev_t dev;          /* file sink: identity of the open file, to notice that */
    ino_t ino;          /* path was renamed or replaced under the logger */
    int64_t check_ns;   /* file sink: at most one stat(path) per check_ns */
    int64_t checked_ns; /* CLOCK_MONOTONIC_COARSE time of the last check */
    /* gn_logger_get_stats; written under mu, read with relaxed atomics. */
    uint64_t dropped;
    uint64_t partial;
    gn_log_sink_fn fn;
    void (*flush)(void *udata);
    void *udata;
    /* Console, fd and file sinks: opts.prefix and a space ("" for none), when
     * has_prefix; otherwise (the zeroed built-in default too) GN__PREFIX. */
    bool has_prefix;
    char prefix[GN_LOG_PREFIX_MAX + 2];
};

/* The line prefix when none was chosen. */
#define GN__PREFIX "[gnet] "

/* The prefix l's lines start with. */
static inline const char *gn__logger_prefix(const struct gn_logger *l)
{
    return l->has_prefix ? l->prefix : GN__PREFIX;
}

/* Stack buffer for one rendered line; longer lines go to the heap. */
#define GN__LINE_STACK 1024

/* A rendered line: p points at the caller's stack buffer or at the heap. */
typedef struct gn__line {
    char *p;
    size_t len;
    bool heap;
} gn__line_t;

/* Renders one line into `stack` (cap bytes) or, when it does not fit, onto the
 * heap. With `console`, the line carries the "<prefix>time LEVEL file:line "
 * header (prefix: see gn__logger_prefix) and ends with '\n'; without, it is the
 * bare message, NUL-terminated. Returns 0 or -EINVAL (vsnprintf failed). */
int gn__line_render(gn__line_t *out, char *stack, size_t cap, bool console, const char *prefix,
                    gn_log_level_t level, const char *file, int line, const char *fmt, va_list ap);

/* Frees a heap-rendered line. */
void gn__line_release(gn__line_t *ln);

/* write(2) until done: retries EINTR and short writes. Returns 0, -EIO when
 * write(2) returns 0 (no progress, no error: retrying could spin forever),
 * -EAGAIN at once when a non-blocking fd is full (the logger never waits on a
 * descriptor its owner made non-blocking), or another -errno. *done (if not
 * NULL) gets the number of bytes written, also on failure. */
int gn__write_all(int fd, const char *p, size_t len, size_t *done);

/* Writes one console line to l->fd with gn__write_all, first ending the
 * fragment a failed write left behind ('\n' in the same writev), so that every
 * line starts on a line of its own; counts dropped and partial lines. Called
 * with l->mu held. *done gets the bytes written (newline included). */
int gn__line_write(struct gn_logger *l, const char *p, size_t len, size_t *done);

/* Fills a logger (without allocating the struct itself). Returns 0 or -errno;
 * on failure nothing is left to release. */
int gn__logger_init(struct gn_logger *l, const gn_logger_opts_t *opts);

/* Releases what gn__logger_init acquired. */
void gn__logger_release(struct gn_logger *l);

/* File sink: opens opts->path into l. Returns 0 or -errno. */
int gn__file_open(struct gn_logger *l, const gn_logger_opts_t *opts);

/* File sink: appends one line, first reopening path when it no longer names
 * the open file (checked at most once per check_ns, and before a rotation),
 * then rotating when the line would pass max_size. Called with l->mu held.
 * Returns 0 or -errno. */
int gn__file_write(struct gn_logger *l, const char *p, size_t len);

/* Tests only: sets how often the file sink compares path with its open file
 * (0: before every line). Not thread-safe. */
void gn__file_set_check_ns(gn_logger_t *logger, int64_t ns);

/* File sink: closes the file and frees the names. */
void gn__file_close(struct gn_logger *l);

/* The built-in default logger's storage (initialized or not). */
struct gn_logger *gn__log_builtin(void);

static inline bool gn__level_valid(int level)
{
    return level >= GN_LOG_DEBUG && level <= GN_LOG_FATAL;
}

#endif
