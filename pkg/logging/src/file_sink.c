/* The file sink: O_APPEND writes, one per line, and size-based rotation
 * path -> path.1 -> ... -> path.<max_backups>. */
#include "logging_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int gn__file_open(struct gn_logger *l, const gn_logger_opts_t *opts)
{
    size_t cap = gn__name_cap(opts->path);
    l->path = strdup(opts->path);
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
    struct stat st;
    /* Only a regular file has a size to count; /dev/null or a FIFO never rotate. */
    bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    l->fd = fd;
    l->owns_fd = true;
    l->size = regular ? (size_t)st.st_size : 0;
    l->max_size = opts->max_size;
    l->max_backups = opts->max_backups;
    l->rotate = regular && opts->max_size > 0;
    return 0;
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
 * Called with l->mu held. */
static int gn__rotate(struct gn_logger *l)
{
    /* The current file may have been removed by someone else (an operator, a
     * cleanup script): there is nothing to keep then, and renaming the missing
     * path would fail on every line while they went to the unlinked file. */
    bool present = access(l->path, F_OK) == 0;
    if (present && l->max_backups == 0) {
        /* No backup to keep: start the same file over (O_APPEND writes then
         * land at offset 0). */
        if (ftruncate(l->fd, 0) < 0)
            return -errno;
        l->size = 0;
        l->mid_line = false; /* an unfinished line went with the rest */
        return 0;
    }
    int rc = present ? gn__shift_backups(l) : 0;
    if (rc < 0)
        return rc;
    int fd = gn__open_append(l->path);
    if (fd < 0) {
        if (present)
            (void)rename(l->name_a, l->path); /* name_a is still "path.1" */
        return fd;
    }
    close(l->fd);
    l->fd = fd;
    l->size = 0;
    l->mid_line = false; /* a fresh file needs no newline to end a fragment */
    return 0;
}

int gn__file_write(struct gn_logger *l, const char *p, size_t len)
{
    int rotate_rc = 0;
    /* size > max_size: the file was already too big when it was opened. The
     * newline that ends a fragment left by a failed write counts too. */
    size_t need = len + (l->mid_line ? 1 : 0);
    bool full = l->size > l->max_size || need > l->max_size - l->size;
    if (l->rotate && l->size > 0 && full)
        rotate_rc = gn__rotate(l);
    size_t done = 0;
    int rc = gn__line_write(l, p, len, &done);
    l->size += done; /* a partial write still takes room in the file */
    return rc < 0 ? rc : rotate_rc;
}
