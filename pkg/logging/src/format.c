/* Rendering one log line: timestamp, prefix, message, heap fallback. */
#include "logging_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The visible mark of a message cut short: "…" (U+2026) in UTF-8. */
static const char gn__ellipsis[] = "\xE2\x80\xA6";

/* The time of the line, split so that the date part is computed once a second
 * per thread: gmtime_r + strftime cost more than the rest of the prefix. */
typedef struct gn__stamp {
    char date[32]; /* 2026-11-22T05:50:00 */
    long usec;
} gn__stamp_t;

static void gn__stamp_now(gn__stamp_t *st)
{
    static _Thread_local time_t cached_sec = (time_t)-1;
    static _Thread_local char cached[32];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
        cached_sec = ts.tv_sec;
    }
    memcpy(st->date, cached, sizeof st->date);
    st->usec = ts.tv_nsec / 1000;
}

/* The last path component, so lines show "conn.c:12" whatever the build's
 * source paths are. */
static const char *gn__base(const char *file)
{
    if (file == NULL)
        return "?";
    const char *slash = strrchr(file, '/');
    return slash != NULL ? slash + 1 : file;
}

/* Everything the renderer needs besides the message, fixed before the first
 * attempt so that a heap retry renders the same line. */
typedef struct gn__hdr {
    bool console;
    const char *prefix;
    gn__stamp_t stamp;
    const char *level;
    const char *file;
    int line;
} gn__hdr_t;

/* Renders into dst (cap bytes, may be 0) like snprintf: returns the length the
 * prefix + message need, not counting the newline and NUL, or -1. */
static int gn__render(char *dst, size_t cap, const gn__hdr_t *h, const char *fmt, va_list ap)
{
    int n1 = 0;
    if (h->console) {
        n1 = snprintf(dst, cap, "%s%s.%06ldZ %s %s:%d ", h->prefix, h->stamp.date, h->stamp.usec,
                      h->level, h->file, h->line);
        if (n1 < 0)
            return -1;
    }
    size_t off = (size_t)n1 < cap ? (size_t)n1 : cap;
    int n2 = vsnprintf(dst + off, cap - off, fmt, ap);
    if (n2 < 0 || n1 > INT_MAX - 2 - n2)
        return -1;
    return n1 + n2;
}

/* The heap allocation failed: keep what fitted in the stack buffer and end it
 * with "…" so the cut is visible, never silent. Backs up to a UTF-8 character
 * boundary so the mark does not split a character, then drops the newlines
 * the kept part ends with: the mark goes last, so gn__finish's strip would
 * not see them and the entry would span several lines. */
static size_t gn__mark_truncated(char *p, size_t cap)
{
    size_t room = sizeof gn__ellipsis - 1 + 2; /* mark + newline + NUL */
    size_t len = cap - room;
    while (len > 0 && ((unsigned char)p[len] & 0xC0) == 0x80)
        len--;
    while (len > 0 && p[len - 1] == '\n')
        len--;
    memcpy(p + len, gn__ellipsis, sizeof gn__ellipsis - 1);
    return len + sizeof gn__ellipsis - 1;
}

/* Drops the message's trailing newlines (the logger adds its own; the
 * prefix ends with a space, so it is never eaten), then ends the line: '\n'
 * for the console, NUL for a user sink. The buffer always has two bytes past
 * len (see gn__line_render). */
static void gn__finish(gn__line_t *out, bool console)
{
    while (out->len > 0 && out->p[out->len - 1] == '\n')
        out->len--;
    if (console)
        out->p[out->len++] = '\n';
    out->p[out->len] = '\0';
}

int gn__line_render(gn__line_t *out, char *stack, size_t cap, bool console, const char *prefix,
                    gn_log_level_t level, const char *file, int line, const char *fmt, va_list ap)
{
    gn__hdr_t h = {.console = console,
                   .prefix = prefix != NULL ? prefix : GN__PREFIX,
                   .level = gn_log_level_string(level),
                   .file = gn__base(file),
                   .line = line};
    if (console)
        gn__stamp_now(&h.stamp);
    va_list ap2;
    va_copy(ap2, ap);
    int n = gn__render(stack, cap, &h, fmt, ap);
    size_t need = (size_t)n + 2; /* room for '\n' and NUL */
    *out = (gn__line_t){.p = stack, .len = (size_t)n, .heap = false};
    if (n >= 0 && need > cap) {
        char *big = malloc(need);
        if (big != NULL) {
            /* The arguments are the same, so is the length; the min only
             * guards against a string changed meanwhile by another thread. */
            int n2 = gn__render(big, need, &h, fmt, ap2);
            size_t len = n2 >= 0 && n2 < n ? (size_t)n2 : (size_t)n;
            *out = (gn__line_t){.p = big, .len = len, .heap = true};
        } else {
            out->len = gn__mark_truncated(stack, cap);
        }
    }
    va_end(ap2);
    if (n < 0)
        return -EINVAL;
    gn__finish(out, console);
    return 0;
}

void gn__line_release(gn__line_t *ln)
{
    if (ln->heap)
        free(ln->p);
    ln->heap = false;
}
