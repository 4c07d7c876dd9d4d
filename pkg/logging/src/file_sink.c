/* The file sink: O_APPEND writes, one per line, and size-based rotation
 * path -> path.1 -> ... -> path.<max_backups>. */
#include "logging_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int gn__open_append(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    return fd >= 0 ? fd : -errno;
}

/* Room for "path.<int>" and a NUL. */
static size_t gn__name_cap(const char *path)
{
    return strlen(path) + 16;
}

/* How often the file sink asks whether path still names its open file: one
 * stat(2) a second is nothing next to a write(2) per line, and logrotate or an
 * operator renaming the file is noticed within about a second. */
#define GN__CHECK_NS ((int64_t)1000000000)

/* COARSE: read from the vDSO without a system call; ms precision is plenty.
 * Linux only (macOS has none): elsewhere the plain monotonic clock. */
#ifdef CLOCK_MONOTONIC_COARSE
#define GN__CHECK_CLOCK CLOCK_MONOTONIC_COARSE
#else
#define GN__CHECK_CLOCK CLOCK_MONOTONIC
#endif

static int64_t gn__now_ns(void)
{
    struct timespec ts;
    clock_gettime(GN__CHECK_CLOCK, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Makes fd the current file (closing the previous one): its identity, its
 * size and whether it can rotate. Only a regular file has a size to count;
 * /dev/null or a FIFO never rotate. */
static void gn__adopt(struct gn_logger *l, int fd)
{
    struct stat st;
    bool known = fstat(fd, &st) == 0;
    bool regular = known && S_ISREG(st.st_mode);
    if (l->owns_fd)
        close(l->fd);
    l->fd = fd;
    l->owns_fd = true;
    l->dev = known ? st.st_dev : 0;
    l->ino = known ? st.st_ino : 0;
    l->size = regular ? (size_t)st.st_size : 0;
    l->rotate = regular && l->max_size > 0;
    l->mid_line = false; /* a fragment left in the old file ended there */
}

/* path made absolute against the working directory of now: the path check
 * and rotation run later, and a relative path looked up after a chdir (a
 * daemon going to "/") would name another file, so the logger would start a
 * new one there. If the working directory cannot be had, path as given. */
static char *gn__abs_path(const char *path)
{
    char *cwd = path[0] == '/' ? NULL : getcwd(NULL, 0);
    if (cwd == NULL)
        return strdup(path);
    size_t n = strlen(cwd) + strlen(path) + 2;
    char *abs = malloc(n);
    if (abs != NULL)
        snprintf(abs, n, "%s/%s", cwd, path);
    free(cwd);
    return abs;
}

int gn__file_open(struct gn_logger *l, const gn_logger_opts_t *opts)
{
    l->path = gn__abs_path(opts->path);
    size_t cap = l->path != NULL ? gn__name_cap(l->path) : 0;
    l->name_a = malloc(cap);
    l->name_b = malloc(cap);
    if (l->path == NULL || l->name_a == NULL || l->name_b == NULL) {
        gn__file_close(l);
        return -ENOMEM;
    }
    int fd = gn__open_append(l->path);
    if (fd < 0) {
        gn__file_close(l);
        return fd;
    }
    l->max_size = opts->max_size;
    l->max_backups = opts->max_backups;
    gn__adopt(l, fd);
    l->check_ns = GN__CHECK_NS;
    l->checked_ns = gn__now_ns();
    return 0;
}

void gn__file_set_check_ns(gn_logger_t *logger, int64_t ns)
{
    logger->check_ns = ns;
}

void gn__file_close(struct gn_logger *l)
{
    if (l->owns_fd)
        close(l->fd);
    l->owns_fd = false;
    free(l->path);
    free(l->name_a);
    free(l->name_b);
    l->path = l->name_a = l->name_b = NULL;
}

static void gn__backup_name(const struct gn_logger *l, char *dst, int n)
{
    snprintf(dst, gn__name_cap(l->path), "%s.%d", l->path, n);
}

/* Shifts path.i to path.i+1 for i = top-1 .. 1, then path to path.1. top is
 * the first missing backup, at most max_backups: renaming onto path.<top>
 * replaces (drops) the oldest kept file, and the number of renames is the
 * number of backups that exist, not max_backups (which may be huge). */
static int gn__shift_backups(struct gn_logger *l)
{
    int top = 1;
    while (top < l->max_backups) {
        gn__backup_name(l, l->name_a, top);
        if (access(l->name_a, F_OK) < 0)
            break;
        top++;
    }
    for (int i = top - 1; i >= 1; i--) {
        gn__backup_name(l, l->name_a, i);
        gn__backup_name(l, l->name_b, i + 1);
        if (rename(l->name_a, l->name_b) < 0)
            return -errno;
    }
    gn__backup_name(l, l->name_a, 1);
    return rename(l->path, l->name_a) < 0 ? -errno : 0;
}

/* Starts a new file. The old descriptor stays open until the new file is, so
 * that when anything fails the next lines still land somewhere rather than
 * being lost. When the new file cannot be opened (EMFILE, ENOSPC), the current
 * file goes back to its own name: left as path.1 with no path, every later
 * rotation would fail on the missing path and the file would grow without
 * bound. The gap left at path.1 stops the next shift, so no backup is lost.
 * gn__follow_path ran just before: path names the open file. Called with
 * l->mu held. */
static int gn__rotate(struct gn_logger *l)
{
    if (l->max_backups == 0) {
        /* No backup to keep: start the same file over (O_APPEND writes then
         * land at offset 0). */
        if (ftruncate(l->fd, 0) < 0)
            return -errno;
        l->size = 0;
        l->mid_line = false; /* an unfinished line went with the rest */
        return 0;
    }
    int rc = gn__shift_backups(l);
    if (rc < 0)
        return rc;
    int fd = gn__open_append(l->path);
    if (fd < 0) {
        (void)rename(l->name_a, l->path); /* name_a is still "path.1" */
        return fd;
    }
    gn__adopt(l, fd);
    return 0;
}

/* Makes sure path names the open file. When it was renamed away (logrotate)
 * or removed (an operator, a cleanup script), and maybe replaced by another
 * file, lines written to the old descriptor would go to a file nobody looks
 * at, and a rotation would rename a file that is not ours: reopen path
 * (creating it when missing) instead. If stat(2) fails otherwise (EACCES),
 * nothing can be told: keep the current file. Called with l->mu held. */
static int gn__follow_path(struct gn_logger *l)
{
    struct stat st;
    if (stat(l->path, &st) == 0) {
        if (st.st_dev == l->dev && st.st_ino == l->ino)
            return 0;
    } else if (errno != ENOENT) {
        return 0;
    }
    int fd = gn__open_append(l->path);
    if (fd < 0)
        return fd; /* keep writing to the old file; retried at the next check */
    gn__adopt(l, fd);
    return 0;
}

/* True once every check_ns (and always when check_ns is 0). */
static bool gn__check_due(struct gn_logger *l)
{
    int64_t now = gn__now_ns();
    if (now - l->checked_ns < l->check_ns)
        return false;
    l->checked_ns = now;
    return true;
}

/* Whether a line of len bytes would take the file past max_size. size >
 * max_size: the file was already too big when it was opened. The newline
 * that ends a fragment left by a failed write counts too. */
static bool gn__full(const struct gn_logger *l, size_t len)
{
    size_t need = len + (l->mid_line ? 1 : 0);
    return l->rotate && l->size > 0 && (l->size > l->max_size || need > l->max_size - l->size);
}

int gn__file_write(struct gn_logger *l, const char *p, size_t len)
{
    int pre_rc = 0;
    /* Also before every rotation (one more stat per rotation), so that a
     * rotation never renames a file that is not ours. */
    if (gn__check_due(l) || gn__full(l, len))
        pre_rc = gn__follow_path(l);
    if (pre_rc == 0 && gn__full(l, len))
        pre_rc = gn__rotate(l);
    size_t done = 0;
    int rc = gn__line_write(l, p, len, &done);
    l->size += done; /* a partial write still takes room in the file */
    return rc < 0 ? rc : pre_rc;
}
