/* The logging formatter: any message bytes, any length around the 1 KiB
 * stack buffer and beyond, with the heap allocation for a long line failing
 * or not. Each call must produce exactly one entry: the console form (fd
 * sink, into a memfd) is one line ending in a single '\n'; the user-sink
 * form is NUL-terminated with the length it reports; a line cut by a failed
 * allocation ends with the mark "…" and is never longer than the stack
 * buffer. */
#include "support/fuzz.h"

#include <gnet/logging.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static const char mark[] = "\xE2\x80\xA6";
static gn_logger_t *fd_log, *fn_log;
static int memfd = -1;
static char got[1 << 16];
static size_t got_len;
static int got_calls;

static void sink(gn_log_level_t level, const char *file, int line, const char *msg, size_t len,
                 void *udata)
{
    (void)level;
    (void)file;
    (void)line;
    (void)udata;
    CHECK(msg[len] == '\0' && len < sizeof got);
    memcpy(got, msg, len);
    got_len = len;
    got_calls++;
}

static void setup(void)
{
    if (fd_log != NULL)
        return;
    memfd = memfd_create("fuzz-log", MFD_CLOEXEC);
    CHECK(memfd >= 0);
    gn_logger_opts_t o = {.level = GN_LOG_DEBUG, .sink = GN_LOG_SINK_FD, .fd = memfd};
    CHECK(gn_logger_new(&fd_log, &o) == 0);
    gn_logger_opts_t f = {.level = GN_LOG_DEBUG, .sink = GN_LOG_SINK_FUNC, .fn = sink};
    CHECK(gn_logger_new(&fn_log, &f) == 0);
}

/* The message the fuzzer chose: its bytes (NUL ends it), repeated `times`
 * to reach lengths past the stack buffer, plus `nl` trailing newlines. */
static char *build(const uint8_t *p, size_t n, size_t times, size_t nl, size_t *len)
{
    size_t cut = strnlen((const char *)p, n);
    char *m = malloc(cut * times + nl + 1);
    CHECK(m != NULL);
    for (size_t i = 0; i < times; i++)
        memcpy(m + i * cut, p, cut);
    memset(m + cut * times, '\n', nl);
    *len = cut * times + nl;
    m[*len] = '\0';
    return m;
}

/* Reads back what the fd sink wrote for one call. */
static size_t read_line(char *dst, size_t cap)
{
    off_t end = lseek(memfd, 0, SEEK_CUR);
    CHECK(end >= 0 && (size_t)end < cap);
    CHECK(pread(memfd, dst, (size_t)end, 0) == end);
    CHECK(ftruncate(memfd, 0) == 0 && lseek(memfd, 0, SEEK_SET) == 0);
    return (size_t)end;
}

static void check_console(const char *line, size_t n, bool failed)
{
    CHECK(n >= 2 && line[n - 1] == '\n' && line[n - 2] != '\n');
    CHECK(memcmp(line, "[gnet] ", 7) == 0);
    if (failed) {
        CHECK(n <= 1024);
        CHECK(n >= 4 && memcmp(line + n - 4, mark, 3) == 0);
    }
}

static void check_user(bool failed, size_t want_max)
{
    CHECK(got_calls == 1);
    CHECK(got_len == 0 || got[got_len - 1] != '\n');
    CHECK(got_len <= want_max);
    if (failed)
        CHECK(got_len >= 3 && memcmp(got + got_len - 3, mark, 3) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > 2048)
        return 0;
    setup();
    size_t times = 1 + data[0] % 64, nl = data[1] % 5;
    bool inject = data[2] & 1;
    size_t len;
    char *msg = build(data + 3, size - 3, times, nl, &len);
    static char line[1 << 18];

    if (inject)
        fuzz_alloc_fail_at(1, true);
    CHECK(gn_logf(fd_log, GN_LOG_INFO, "f.c", 1, "%s", msg) == 0);
    bool failed = fuzz_alloc_disarm();
    check_console(line, read_line(line, sizeof line), failed);

    got_calls = 0;
    if (inject)
        fuzz_alloc_fail_at(1, true);
    CHECK(gn_logf(fn_log, GN_LOG_INFO, "f.c", 1, "%s", msg) == 0);
    failed = fuzz_alloc_disarm();
    check_user(failed, len);
    if (!failed) {
        size_t keep = len; /* the message minus its trailing newlines */
        while (keep > 0 && msg[keep - 1] == '\n')
            keep--;
        CHECK(got_len == keep && memcmp(got, msg, keep) == 0);
    }
    free(msg);
    return 0;
}
