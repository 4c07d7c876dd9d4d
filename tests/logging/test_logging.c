/* Check suite for gnet-logging. Every test runs in its own forked process
 * (Check's default), so tests that touch the environment, stderr or the
 * process default logger cannot leak into each other. */
#include <gnet/logging.h>

#include "gn_test.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------- */

/* A fresh directory per test; files are removed by dir_cleanup. */
static char g_dir[64];

static void dir_setup(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/gn-logging-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(g_dir));
}

static void dir_cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void path_in_dir(char *dst, size_t cap, const char *name)
{
    snprintf(dst, cap, "%s/%s", g_dir, name);
}

/* Whole file into a NUL-terminated heap string (NULL if it does not exist). */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len != NULL)
        *len = (size_t)n;
    return buf;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static off_t file_size(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_size;
}

/* Matches one console line (without its newline) and captures level, file,
 * line and message. */
static regex_t g_line_re;

static void line_re_init(void)
{
    const char *re =
        "^\\[gnet\\] [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z "
        "(DEBUG|INFO|WARN|ERROR|FATAL) ([^ :]+):([0-9]+) (.*)$";
    ck_assert_int_eq(regcomp(&g_line_re, re, REG_EXTENDED), 0);
}

/* Checks that `line` is a well-formed console line; returns its message. */
static const char *parse_line(const char *line, char *level, size_t level_cap)
{
    regmatch_t m[5];
    if (regexec(&g_line_re, line, 5, m, 0) != 0)
        ck_abort_msg("malformed line: '%.200s'", line);
    int n = (int)(m[1].rm_eo - m[1].rm_so);
    snprintf(level, level_cap, "%.*s", n, line + m[1].rm_so);
    return line + m[4].rm_so;
}

/* Sends this process's stderr to a file so tests can read what went there. */
static void capture_stderr(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    close(fd);
}

static int count_substr(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* A user sink that records what it received. */
typedef struct rec {
    int calls;
    int flushes;
    int per_level[5];
    gn_log_level_t level;
    char file[256];
    int line;
    char msg[256];
    size_t len;
} rec_t;

static void rec_sink(gn_log_level_t level, const char *file, int line, const char *msg, size_t len,
                     void *udata)
{
    rec_t *r = udata;
    r->calls++;
    r->per_level[level - GN_LOG_DEBUG]++;
    r->level = level;
    snprintf(r->file, sizeof r->file, "%s", file != NULL ? file : "(null)");
    r->line = line;
    snprintf(r->msg, sizeof r->msg, "%s", msg);
    r->len = len;
    ck_assert_int_eq(msg[len], '\0');
}

static void rec_flush(void *udata)
{
    ((rec_t *)udata)->flushes++;
}

static gn_logger_t *rec_logger(rec_t *r, gn_log_level_t level)
{
    memset(r, 0, sizeof *r);
    gn_logger_opts_t o = {
        .level = level, .sink = GN_LOG_SINK_FUNC, .fn = rec_sink, .flush = rec_flush, .udata = r};
    gn_logger_t *l = NULL;
    ck_assert_int_eq(gn_logger_new(&l, &o), 0);
    ck_assert_ptr_nonnull(l);
    return l;
}

static gn_logger_t *file_logger(const char *path, size_t max_size, int max_backups)
{
    gn_logger_opts_t o = {
        .sink = GN_LOG_SINK_FILE, .path = path, .max_size = max_size, .max_backups = max_backups};
    gn_logger_t *l = NULL;
    ck_assert_int_eq(gn_logger_new(&l, &o), 0);
    return l;
}

/* Private (logging_int.h): how often a file sink compares its path with its
 * open file; 0 makes it check before every line, so tests need not wait for
 * the one-second default. */
void gn__file_set_check_ns(gn_logger_t *logger, int64_t ns);

/* ---- levels -------------------------------------------------------------- */

static int g_evals;
static int bump(void)
{
    return ++g_evals;
}

START_TEST(test_level_filtering)
{
    rec_t r;
    gn_logger_t *l = rec_logger(&r, GN_LOG_INFO);
    ck_assert_int_eq(gn_logger_get_level(l), GN_LOG_INFO);
    GN_LOG_DEBUGF(l, "d");
    GN_LOG_INFOF(l, "i");
    GN_LOG_WARNF(l, "w");
    GN_LOG_ERRORF(l, "e");
    ck_assert_int_eq(gn_logf(l, GN_LOG_FATAL, __FILE__, __LINE__, "f"), 0); /* no abort here */
    ck_assert_int_eq(r.calls, 4);
    ck_assert_int_eq(r.per_level[0], 0);
    ck_assert_int_eq(r.per_level[1] + r.per_level[2] + r.per_level[3] + r.per_level[4], 4);

    ck_assert_int_eq(gn_logger_set_level(l, GN_LOG_ERROR), 0);
    ck_assert_int_eq(gn_logger_get_level(l), GN_LOG_ERROR);
    ck_assert(!gn_logger_enabled(l, GN_LOG_WARN));
    ck_assert(gn_logger_enabled(l, GN_LOG_ERROR));
    GN_LOG_INFOF(l, "i");
    GN_LOG_WARNF(l, "w");
    ck_assert_int_eq(gn_logf(l, GN_LOG_WARN, __FILE__, __LINE__, "w"), 0);
    ck_assert_int_eq(r.calls, 4);
    GN_LOG_ERRORF(l, "e");
    ck_assert_int_eq(r.calls, 5);

    ck_assert_int_eq(gn_logger_set_level(l, GN_LOG_DEBUG), 0);
    GN_LOG_DEBUGF(l, "d");
    ck_assert_int_eq(r.per_level[0], 1);
    gn_logger_free(l);
}
END_TEST

START_TEST(test_disabled_args_not_evaluated)
{
    rec_t r;
    gn_logger_t *l = rec_logger(&r, GN_LOG_INFO);
    g_evals = 0;
    GN_LOG_DEBUGF(l, "%d", bump());
    ck_assert_int_eq(g_evals, 0);
    ck_assert_int_eq(r.calls, 0);
    GN_LOG_INFOF(l, "%d", bump());
    ck_assert_int_eq(g_evals, 1);
    ck_assert_str_eq(r.msg, "1");

    ck_assert_int_eq(gn_logger_set_level(l, GN_LOG_FATAL), 0);
    GN_LOG_ERRORF(l, "%d %d", bump(), bump());
    ck_assert_int_eq(g_evals, 1);
    ck_assert_int_eq(gn_logger_set_level(l, GN_LOG_DEBUG), 0);
    GN_LOG_DEBUGF(l, "%d", bump());
    ck_assert_int_eq(g_evals, 2);
    ck_assert_int_eq(r.calls, 2);

    /* The logger expression itself is evaluated exactly once. */
    int picks = 0;
    GN_LOG_INFOF((picks++, l), "x");
    ck_assert_int_eq(picks, 1);
    gn_logger_free(l);
}
END_TEST

/* ---- sinks --------------------------------------------------------------- */

START_TEST(test_user_sink_fields)
{
    rec_t r;
    gn_logger_t *l = rec_logger(&r, GN_LOG_DEBUG);
    int line = __LINE__ + 1;
    GN_LOG_WARNF(l, "hello %s %d", "world", 7);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(r.level, GN_LOG_WARN);
    ck_assert_str_eq(r.file, __FILE__);
    ck_assert_int_eq(r.line, line);
    ck_assert_str_eq(r.msg, "hello world 7");
    ck_assert_uint_eq(r.len, strlen("hello world 7"));

    /* Trailing newlines are the logger's business: dropped. */
    GN_LOG_ERRORF(l, "bye\n\n");
    ck_assert_str_eq(r.msg, "bye");
    ck_assert_uint_eq(r.len, 3);
    ck_assert_int_eq(r.level, GN_LOG_ERROR);

    ck_assert_int_eq(gn_logf(l, GN_LOG_INFO, NULL, 0, "nofile"), 0);
    ck_assert_str_eq(r.file, "(null)");

    ck_assert_int_eq(gn_logger_flush(l), 0);
    ck_assert_int_eq(r.flushes, 1);
    gn_logger_free(l);
}
END_TEST

/* A sink that logs back into its own logger must get an error, not hang. */
typedef struct reenter {
    gn_logger_t *self;
    int inner_rc;
    int flush_rc;
    int calls;
} reenter_t;

static void reenter_sink(gn_log_level_t level, const char *file, int line, const char *msg,
                         size_t len, void *udata)
{
    reenter_t *r = udata;
    r->calls++;
    r->inner_rc = gn_logf(r->self, GN_LOG_ERROR, __FILE__, __LINE__, "inner");
    r->flush_rc = gn_logger_flush(r->self);
}

START_TEST(test_sink_reentry)
{
    reenter_t r = {0};
    gn_logger_opts_t o = {.sink = GN_LOG_SINK_FUNC, .fn = reenter_sink, .udata = &r};
    ck_assert_int_eq(gn_logger_new(&r.self, &o), 0);
    GN_LOG_INFOF(r.self, "outer");
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(r.inner_rc, -EDEADLK);
    ck_assert_int_eq(r.flush_rc, -EDEADLK);
    /* Outside the sink, logging works again. */
    ck_assert_int_eq(gn_logf(r.self, GN_LOG_INFO, __FILE__, __LINE__, "again"), 0);
    ck_assert_int_eq(r.calls, 2);
    gn_logger_free(r.self);
}
END_TEST

START_TEST(test_console_format)
{
    dir_setup();
    line_re_init();
    char path[128];
    path_in_dir(path, sizeof path, "fd.log");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    gn_logger_opts_t o = {.level = GN_LOG_DEBUG, .sink = GN_LOG_SINK_FD, .fd = fd};
    gn_logger_t *l = NULL;
    ck_assert_int_eq(gn_logger_new(&l, &o), 0);
    time_t before = time(NULL);
    int line = __LINE__ + 1;
    GN_LOG_INFOF(l, "port %d ready", 9000);
    GN_LOG_DEBUGF(l, "d");
    GN_LOG_WARNF(l, "w");
    GN_LOG_ERRORF(l, "e\n");
    gn_logger_free(l);
    /* The fd belongs to the caller: still open after free. */
    ck_assert_int_ge(fcntl(fd, F_GETFD), 0);
    close(fd);

    char *text = slurp(path, NULL);
    char want[160];
    snprintf(want, sizeof want, " INFO test_logging.c:%d port 9000 ready\n", line);
    ck_assert_ptr_nonnull(strstr(text, want));
    const char *levels[] = {"INFO", "DEBUG", "WARN", "ERROR"};
    const char *msgs[] = {"port 9000 ready", "d", "w", "e"};
    char *save = NULL;
    int i = 0;
    for (char *ln = strtok_r(text, "\n", &save); ln != NULL; ln = strtok_r(NULL, "\n", &save)) {
        char level[8];
        ck_assert_int_lt(i, 4);
        ck_assert_str_eq(parse_line(ln, level, sizeof level), msgs[i]);
        ck_assert_str_eq(level, levels[i]);
        i++;
    }
    ck_assert_int_eq(i, 4);

    /* The timestamp is now, in UTC. */
    struct tm tm = {0};
    ck_assert_ptr_nonnull(strptime(text + strlen("[gnet] "), "%Y-%m-%dT%H:%M:%S", &tm));
    time_t stamp = timegm(&tm);
    ck_assert_int_le(before - 1, stamp);
    ck_assert_int_le(stamp, time(NULL) + 1);
    free(text);
    regfree(&g_line_re);
    dir_cleanup();
}
END_TEST

/* The console prefix: "[gnet]" by default, the caller's text, or none. */
static char *log_one_with_prefix(const char *prefix)
{
    char path[128];
    path_in_dir(path, sizeof path, "prefix.log");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    gn_logger_opts_t o = {.sink = GN_LOG_SINK_FD, .fd = fd, .prefix = prefix};
    gn_logger_t *l = NULL;
    ck_assert_int_eq(gn_logger_new(&l, &o), 0);
    GN_LOG_INFOF(l, "hello");
    gn_logger_free(l);
    close(fd);
    return slurp(path, NULL);
}

START_TEST(test_console_prefix)
{
    dir_setup();
    char *text = log_one_with_prefix(NULL);
    ck_assert_int_eq(strncmp(text, "[gnet] 2", 8), 0);
    free(text);
    text = log_one_with_prefix("echo:");
    ck_assert_int_eq(strncmp(text, "echo: 2", 7), 0);
    ck_assert_ptr_nonnull(strstr(text, " INFO test_logging.c:"));
    free(text);
    text = log_one_with_prefix("");
    ck_assert_int_eq(text[0], '2'); /* the year: nothing before the time stamp */
    ck_assert_ptr_nonnull(strstr(text, "Z INFO "));
    free(text);
    char longest[GN_LOG_PREFIX_MAX + 2];
    memset(longest, 'p', GN_LOG_PREFIX_MAX);
    longest[GN_LOG_PREFIX_MAX] = '\0';
    text = log_one_with_prefix(longest);
    ck_assert_int_eq(strncmp(text, longest, GN_LOG_PREFIX_MAX), 0);
    ck_assert_int_eq(text[GN_LOG_PREFIX_MAX], ' ');
    free(text);

    /* Too long, or with a control character: -EINVAL, *out NULL. */
    longest[GN_LOG_PREFIX_MAX] = 'p';
    longest[GN_LOG_PREFIX_MAX + 1] = '\0';
    const char *bad[] = {longest, "two\nlines", "tab\there", "\x1b[31mred"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gn_logger_opts_t o = {.prefix = bad[i]};
        gn_logger_t *l = (gn_logger_t *)&o;
        ck_assert_int_eq(gn_logger_new(&l, &o), -EINVAL);
        ck_assert_ptr_null(l);
    }
    dir_cleanup();
}
END_TEST

START_TEST(test_stderr_sink)
{
    dir_setup();
    char path[128];
    path_in_dir(path, sizeof path, "stderr.txt");
    capture_stderr(path);
    gn_logger_t *l = NULL;
    ck_assert_int_eq(gn_logger_new(&l, NULL), 0); /* NULL opts: info, stderr */
    GN_LOG_DEBUGF(l, "not shown");
    GN_LOG_INFOF(l, "to stderr");
    gn_logger_free(l);
    char *text = slurp(path, NULL);
    ck_assert_int_eq(count_substr(text, "\n"), 1);
    ck_assert_ptr_nonnull(strstr(text, " INFO test_logging.c:"));
    ck_assert_ptr_nonnull(strstr(text, " to stderr\n"));
    free(text);
    dir_cleanup();
}
END_TEST

START_TEST(test_write_error)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    gn_logger_opts_t o = {.sink = GN_LOG_SINK_FD, .fd = p[1]};
    gn_logger_t *l = NULL;
    ck_assert_int_eq(gn_logger_new(&l, &o), 0);
    close(p[1]);
    close(p[0]);
    ck_assert_int_eq(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "lost"), -EBADF);
    gn_logger_stats_t st = {0};
    ck_assert_int_eq(gn_logger_get_stats(l, &st), 0);
    ck_assert_uint_eq(st.dropped, 1);
    ck_assert_uint_eq(st.partial, 0);
    ck_assert_int_eq(gn_logger_get_stats(l, NULL), -EINVAL);
    gn_logger_free(l);

    /* A full disk: the line is dropped, counted, and the error returned. */
    gn_logger_t *full = file_logger("/dev/full", 0, 0);
    ck_assert_int_eq(gn_logf(full, GN_LOG_INFO, __FILE__, __LINE__, "no room"), -ENOSPC);
    ck_assert_int_eq(gn_logf(full, GN_LOG_INFO, __FILE__, __LINE__, "no room"), -ENOSPC);
    ck_assert_int_eq(gn_logger_get_stats(full, &st), 0);
    ck_assert_uint_eq(st.dropped, 2);
    ck_assert_uint_eq(st.partial, 0);
    gn_logger_free(full);
}
END_TEST

#define CHILD_SKIP 77 /* fn's result when the platform cannot run the check */

/* Runs fn in a forked child with a 10 s alarm, so that a logger that spins
 * fails the test at once instead of hanging until Check's timeout, and a
 * seccomp filter or a resource limit stays in the child. fn returns 0 on
 * success or a line number to report. */
static void run_in_child(int (*fn)(void *), void *arg)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* Check's runner catches SIGALRM to kill the whole test; the child
         * inherits that handler, so restore the default (die by SIGALRM). */
        signal(SIGALRM, SIG_DFL);
        alarm(10);
        int rc = fn(arg);
        _exit(rc == 0 ? 0 : rc == CHILD_SKIP ? CHILD_SKIP : 1);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        ck_abort_msg("child killed by signal %d (%s)", WTERMSIG(status),
                     WTERMSIG(status) == SIGALRM ? "the logger hung" : "crash");
    ck_assert_msg(WIFEXITED(status) &&
                      (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == CHILD_SKIP),
                  "child failed (status %d)", status);
}

#define CHILD_CHECK(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: child check failed: %s\n", __FILE__, __LINE__, #cond);         \
            return __LINE__;                                                                       \
        }                                                                                          \
    } while (0)

#if defined(__x86_64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef TEST_AUDIT_ARCH
/* Makes write(2) and writev(2) on `fd` return 0 without writing, as a broken
 * driver or FUSE file system might: a seccomp filter that answers "errno 0".
 * Irrevocable, so only in a child. */
static int zero_writes_on(int fd)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 0, 6),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_write, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_writev, 0, 3),
        /* The low half of args[0] (little-endian): the fd. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)fd, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = (unsigned short)(sizeof f / sizeof f[0]), .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0 ? -errno : 0;
}

static int zero_write_child(void *arg)
{
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    CHILD_CHECK(fd >= 0);
    int rc = zero_writes_on(fd);
    if (rc == -EINVAL || rc == -ENOSYS || rc == -EPERM || rc == -EACCES) {
        /* No seccomp filters here (kernel option, a sandbox that forbids them). */
        fprintf(stderr, "test_write_returns_zero: seccomp filter unavailable (%s), skipped\n",
                strerror(-rc));
        return CHILD_SKIP;
    }
    CHILD_CHECK(rc == 0);
    CHILD_CHECK(write(fd, "x", 1) == 0); /* the filter works */
    gn_logger_opts_t o = {.sink = GN_LOG_SINK_FD, .fd = fd};
    gn_logger_t *l = NULL;
    CHILD_CHECK(gn_logger_new(&l, &o) == 0);
    CHILD_CHECK(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "into the void") == -EIO);
    CHILD_CHECK(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "again") == -EIO);
    gn_logger_stats_t st = {0};
    CHILD_CHECK(gn_logger_get_stats(l, &st) == 0 && st.dropped == 2 && st.partial == 0);
    gn_logger_free(l);
    return 0;
}
#endif

/* write(2) returning 0 (no progress, no error) must fail the line with -EIO,
 * not be retried forever. */
START_TEST(test_write_returns_zero)
{
#ifdef TEST_AUDIT_ARCH
    run_in_child(zero_write_child, NULL);
#endif
}
END_TEST

/* Fills a pipe through its non-blocking write end until it takes no more. */
static void fill_pipe(int wfd)
{
    char chunk[4096];
    memset(chunk, 'x', sizeof chunk);
    while (write(wfd, chunk, sizeof chunk) > 0)
        ;
    ck_assert_int_eq(errno, EAGAIN);
}

/* Reads what the pipe holds (its read end is non-blocking) into a heap string. */
static char *drain_pipe(int rfd, size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap + 1);
    ck_assert_ptr_nonnull(buf);
    ssize_t r;
    while ((r = read(rfd, buf + n, cap - n)) > 0)
        n += (size_t)r;
    ck_assert_int_eq(errno, EAGAIN);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* A full non-blocking pipe: the logger does not wait (-EAGAIN at once, the
 * line counted as dropped). A long line that fits only in part leaves a
 * fragment; the next line written then starts with '\n', so it is not glued
 * to the fragment. */
START_TEST(test_write_eagain_partial)
{
    line_re_init();
    int p[2];
    ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    gn_logger_opts_t o = {.sink = GN_LOG_SINK_FD, .fd = p[1]};
    gn_logger_t *l = NULL;
    ck_assert_int_eq(gn_logger_new(&l, &o), 0);
    fill_pipe(p[1]);
    ck_assert_int_eq(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "full"), -EAGAIN);

    /* Room for one page: a 10000-byte line (beyond PIPE_BUF, so not atomic)
     * goes out in part. */
    char page[4096];
    ck_assert_int_eq(read(p[0], page, sizeof page), (ssize_t)sizeof page);
    char big[10001];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "%s", big), -EAGAIN);
    /* Still full: neither the newline nor this line goes out. */
    ck_assert_int_eq(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "full"), -EAGAIN);
    size_t len = 0;
    char *text = drain_pipe(p[0], &len);
    ck_assert_int_eq(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "after"), 0);
    gn_logger_stats_t st = {0};
    ck_assert_int_eq(gn_logger_get_stats(l, &st), 0);
    ck_assert_uint_eq(st.dropped, 3);
    ck_assert_uint_eq(st.partial, 1);
    size_t len2 = 0;
    char *tail = drain_pipe(p[0], &len2);

    /* The filler, then a fragment of the long line, with no newline yet. */
    char *frag = text + strspn(text, "x");
    ck_assert_str_eq(strchr(frag, '\n') == NULL ? "no newline" : "newline", "no newline");
    ck_assert_int_eq(strncmp(frag, "[gnet] ", 7), 0);
    ck_assert_uint_gt(strlen(frag), 7);
    /* The next write ends the fragment, then the line follows whole. */
    ck_assert_int_eq(tail[0], '\n');
    ck_assert_int_eq(tail[len2 - 1], '\n');
    tail[len2 - 1] = '\0';
    char level[8];
    ck_assert_str_eq(parse_line(tail + 1, level, sizeof level), "after");
    free(text);
    free(tail);
    gn_logger_free(l);
    close(p[0]);
    close(p[1]);
    regfree(&g_line_re);
}
END_TEST

/* RLIMIT_FSIZE lets the file take part of a line (a short write), then
 * write(2) fails with EFBIG, as a disk that fills up half-way would. */
static int short_write_child(void *arg)
{
    const char *path = arg;
    CHILD_CHECK(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
    gn_logger_opts_t o = {.sink = GN_LOG_SINK_FILE, .path = path};
    gn_logger_t *l = NULL;
    CHILD_CHECK(gn_logger_new(&l, &o) == 0);
    CHILD_CHECK(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "first") == 0);
    struct stat sb;
    CHILD_CHECK(stat(path, &sb) == 0);
    struct rlimit old, lim;
    CHILD_CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
    lim = (struct rlimit){.rlim_cur = (rlim_t)sb.st_size + 40, .rlim_max = old.rlim_max};
    CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    CHILD_CHECK(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "second %0100d", 2) == -EFBIG);
    CHILD_CHECK(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "lost") == -EFBIG);
    CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
    CHILD_CHECK(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "third") == 0);
    CHILD_CHECK(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "fourth") == 0);
    gn_logger_stats_t st = {0};
    CHILD_CHECK(gn_logger_get_stats(l, &st) == 0 && st.dropped == 2 && st.partial == 1);
    gn_logger_free(l);
    return 0;
}

START_TEST(test_short_write_line_boundary)
{
    dir_setup();
    line_re_init();
    char path[128];
    path_in_dir(path, sizeof path, "short.log");
    run_in_child(short_write_child, path);
    char *text = slurp(path, NULL);
    ck_assert_ptr_nonnull(text);
    const char *want[] = {"first", NULL, "third", "fourth"};
    int i = 0;
    char *save = NULL;
    for (char *ln = strtok_r(text, "\n", &save); ln != NULL; ln = strtok_r(NULL, "\n", &save)) {
        ck_assert_int_lt(i, 4);
        char level[8];
        if (want[i] == NULL) /* the 40 bytes the limit let through */
            ck_assert_uint_eq(strlen(ln), 40);
        else
            ck_assert_str_eq(parse_line(ln, level, sizeof level), want[i]);
        i++;
    }
    ck_assert_int_eq(i, 4);
    free(text);
    regfree(&g_line_re);
    dir_cleanup();
}
END_TEST

/* ---- file sink and rotation ---------------------------------------------- */

/* Reads path.<backups> ... path.1, path (oldest first) and checks that the
 * lines "seq N" in them are consecutive; returns the first N (or -1 when
 * there is no line) and stores the count. */
static long check_sequence(const char *path, int backups, size_t max_size, long *count)
{
    long first = -1, next = -1;
    *count = 0;
    for (int i = backups; i >= 0; i--) {
        char name[160];
        if (i == 0)
            snprintf(name, sizeof name, "%s", path);
        else
            snprintf(name, sizeof name, "%s.%d", path, i);
        char *text = slurp(name, NULL);
        if (text == NULL)
            continue;
        if (max_size > 0)
            ck_assert_int_le(file_size(name), (off_t)max_size);
        char *save = NULL;
        for (char *ln = strtok_r(text, "\n", &save); ln != NULL; ln = strtok_r(NULL, "\n", &save)) {
            char level[8];
            long n = -1;
            ck_assert_int_eq(sscanf(parse_line(ln, level, sizeof level), "seq %ld", &n), 1);
            if (first < 0)
                first = next = n;
            ck_assert_int_eq(n, next);
            next++;
            (*count)++;
        }
        free(text);
    }
    return first;
}

/* Pads each line to ~100 bytes so that a 1000-byte file holds 9 of them. */
static void log_seq(gn_logger_t *l, long from, long to)
{
    for (long i = from; i < to; i++)
        ck_assert_int_eq(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "seq %ld %040d", i, 0), 0);
}

START_TEST(test_rotation_backups)
{
    dir_setup();
    line_re_init();
    char path[128], name[160];
    path_in_dir(path, sizeof path, "app.log");
    gn_logger_t *l = file_logger(path, 1000, 3);
    log_seq(l, 0, 200);
    gn_logger_free(l);
    for (int i = 1; i <= 3; i++) {
        snprintf(name, sizeof name, "%s.%d", path, i);
        ck_assert_msg(exists(name), "%s missing", name);
        /* A backup is full: another line would not have fitted. */
        ck_assert_int_gt(file_size(name), 1000 - 120);
    }
    snprintf(name, sizeof name, "%s.4", path);
    ck_assert(!exists(name));
    long count = 0;
    long first = check_sequence(path, 3, 1000, &count);
    /* The newest lines survive, in order, through to the very last one. */
    ck_assert_int_gt(first, 0);
    ck_assert_int_eq(first + count, 200);
    ck_assert_int_ge(count, 3 * 8 + 1);
    regfree(&g_line_re);
    dir_cleanup();
}
END_TEST

START_TEST(test_rotation_complete)
{
    dir_setup();
    line_re_init();
    char path[128];
    path_in_dir(path, sizeof path, "all.log");
    gn_logger_t *l = file_logger(path, 1000, 100);
    log_seq(l, 0, 300);
    gn_logger_free(l);
    long count = 0;
    ck_assert_int_eq(check_sequence(path, 100, 1000, &count), 0);
    ck_assert_int_eq(count, 300);

    /* Reopening appends to the existing file and keeps rotating from there. */
    l = file_logger(path, 1000, 100);
    log_seq(l, 300, 400);
    gn_logger_free(l);
    ck_assert_int_eq(check_sequence(path, 100, 1000, &count), 0);
    ck_assert_int_eq(count, 400);
    regfree(&g_line_re);
    dir_cleanup();
}
END_TEST

/* The cost of a rotation follows the backups that exist, not max_backups. */
START_TEST(test_rotation_huge_backups)
{
    dir_setup();
    line_re_init();
    char path[128], name[160];
    path_in_dir(path, sizeof path, "huge.log");
    gn_logger_t *l = file_logger(path, 1000, INT_MAX);
    log_seq(l, 0, 300);
    gn_logger_free(l);
    long count = 0;
    ck_assert_int_eq(check_sequence(path, 40, 1000, &count), 0);
    ck_assert_int_eq(count, 300);
    snprintf(name, sizeof name, "%s.41", path);
    ck_assert(!exists(name));
    regfree(&g_line_re);
    dir_cleanup();
}
END_TEST

START_TEST(test_rotation_no_backup)
{
    dir_setup();
    line_re_init();
    char path[128], name[160];
    path_in_dir(path, sizeof path, "one.log");
    gn_logger_t *l = file_logger(path, 1000, 0);
    log_seq(l, 0, 100);
    gn_logger_free(l);
    snprintf(name, sizeof name, "%s.1", path);
    ck_assert(!exists(name));
    long count = 0;
    long first = check_sequence(path, 0, 1000, &count);
    ck_assert_int_gt(first, 0);
    ck_assert_int_eq(first + count, 100);
    regfree(&g_line_re);
    dir_cleanup();
}
END_TEST

/* A rotation that cannot open the new file (here: out of descriptors) keeps
 * writing to the current file under its own name, loses no backup, and the
 * next rotation after the cause is gone starts a fresh file again. */
START_TEST(test_rotation_open_failure)
{
    dir_setup();
    line_re_init();
    char path[128];
    path_in_dir(path, sizeof path, "nofd.log");
    gn_logger_t *l = file_logger(path, 1000, 100);
    log_seq(l, 0, 30);
    struct rlimit rl = {64, 64};
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    int fillers[64], nfill = 0;
    while (nfill < 64 && (fillers[nfill] = dup(0)) >= 0)
        nfill++;
    ck_assert_int_lt(nfill, 64);
    for (long i = 30; i < 60; i++)
        (void)gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "seq %ld %040d", i, 0);
    while (nfill > 0)
        close(fillers[--nfill]);
    log_seq(l, 60, 100);
    gn_logger_free(l);
    /* Rotation works again: the current file is a fresh one, within bounds. */
    ck_assert_msg(exists(path), "%s missing after recovery", path);
    ck_assert_int_le(file_size(path), 1000);
    long count = 0;
    ck_assert_int_eq(check_sequence(path, 100, 0, &count), 0);
    ck_assert_int_eq(count, 100);
    regfree(&g_line_re);
    dir_cleanup();
}
END_TEST

/* A log file removed by someone else (an operator, a cleanup script) must not
 * stop rotation: the next rotation starts a new file at path instead of
 * failing on the missing name forever and writing to the unlinked file. */
START_TEST(test_rotation_file_removed)
{
    dir_setup();
    line_re_init();
    char path[128];
    path_in_dir(path, sizeof path, "gone.log");
    gn_logger_t *l = file_logger(path, 1000, 3);
    log_seq(l, 0, 5);
    ck_assert_int_eq(unlink(path), 0);
    log_seq(l, 5, 40);
    gn_logger_free(l);
    ck_assert_msg(exists(path), "%s missing after rotation", path);
    long count = 0;
    long first = check_sequence(path, 3, 1000, &count);
    ck_assert_int_gt(first, 5);
    ck_assert_int_eq(first + count, 40);

    /* The same without backups (where rotation truncates in place). */
    path_in_dir(path, sizeof path, "gone0.log");
    l = file_logger(path, 1000, 0);
    log_seq(l, 0, 5);
    ck_assert_int_eq(unlink(path), 0);
    log_seq(l, 5, 40);
    gn_logger_free(l);
    ck_assert_msg(exists(path), "%s missing after rotation", path);
    first = check_sequence(path, 0, 1000, &count);
    ck_assert_int_gt(first, 5);
    ck_assert_int_eq(first + count, 40);
    regfree(&g_line_re);
    dir_cleanup();
}
END_TEST

/* Whether the file at path holds a line whose message is exactly msg. */
static bool has_msg(const char *path, const char *msg)
{
    char *text = slurp(path, NULL);
    if (text == NULL)
        return false;
    bool found = false;
    char *save = NULL;
    for (char *ln = strtok_r(text, "\n", &save); ln != NULL && !found;
         ln = strtok_r(NULL, "\n", &save)) {
        char level[8];
        found = strcmp(parse_line(ln, level, sizeof level), msg) == 0;
    }
    free(text);
    return found;
}

/* logrotate without copytruncate renames the file and creates a new one at
 * the same path (or leaves none); an operator may remove it. The logger must
 * notice that path names another file (device and inode differ from its open
 * file) and reopen it, not keep writing to the old inode. */
START_TEST(test_file_renamed_reopened)
{
    dir_setup();
    line_re_init();
    char path[128], old1[160], old2[160];
    path_in_dir(path, sizeof path, "moved.log");
    snprintf(old1, sizeof old1, "%s.old1", path);
    snprintf(old2, sizeof old2, "%s.old2", path);
    gn_logger_t *l = file_logger(path, 0, 0);
    gn__file_set_check_ns(l, 0);
    ck_assert_int_eq(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "a"), 0);

    /* Renamed, and a new (empty) file created at path: "create" mode. */
    ck_assert_int_eq(rename(path, old1), 0);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "b"), 0);
    ck_assert(has_msg(old1, "a"));
    ck_assert_msg(!has_msg(old1, "b"), "line went to the renamed file");
    ck_assert_msg(has_msg(path, "b"), "line missing from the new file at path");

    /* Renamed and nothing created: the logger creates path. */
    ck_assert_int_eq(rename(path, old2), 0);
    ck_assert_int_eq(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "c"), 0);
    ck_assert(!has_msg(old2, "c"));
    ck_assert(has_msg(path, "c"));

    /* Removed. */
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "d"), 0);
    ck_assert(has_msg(path, "d"));
    ck_assert(!has_msg(path, "c"));

    /* Unchanged: lines keep going to the same file. */
    ck_assert_int_eq(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "e"), 0);
    ck_assert(has_msg(path, "d") && has_msg(path, "e"));
    gn_logger_free(l);

    /* With rotation: a file renamed away is never renamed again by the
     * logger's rotation (path.1 ... are its own files only). */
    path_in_dir(path, sizeof path, "moved-rot.log");
    snprintf(old1, sizeof old1, "%s.old", path);
    l = file_logger(path, 1000, 3);
    gn__file_set_check_ns(l, 0);
    log_seq(l, 0, 3);
    ck_assert_int_eq(rename(path, old1), 0);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    ck_assert_int_ge(fd, 0);
    close(fd);
    log_seq(l, 3, 40);
    gn_logger_free(l);
    long count = 0;
    ck_assert_int_eq(check_sequence(old1, 0, 1000, &count), 0);
    ck_assert_int_eq(count, 3);
    long first = check_sequence(path, 3, 1000, &count);
    ck_assert_int_gt(first, 3);
    ck_assert_int_eq(first + count, 40);
    regfree(&g_line_re);
    dir_cleanup();
}
END_TEST

/* A relative path names the file in the working directory of gn_logger_new:
 * a chdir afterwards (a daemon going to "/") must not make the path check
 * think the file was removed and start another one in the new directory. */
static int chdir_child(void *arg)
{
    const char *dir = arg;
    char elsewhere[160];
    snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", dir);
    CHILD_CHECK(mkdir(elsewhere, 0755) == 0);
    CHILD_CHECK(chdir(dir) == 0);
    gn_logger_opts_t o = {
        .sink = GN_LOG_SINK_FILE, .path = "rel.log", .max_size = 1000, .max_backups = 1};
    gn_logger_t *l = NULL;
    CHILD_CHECK(gn_logger_new(&l, &o) == 0);
    gn__file_set_check_ns(l, 0);
    CHILD_CHECK(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "before") == 0);
    CHILD_CHECK(chdir(elsewhere) == 0);
    CHILD_CHECK(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "after") == 0);
    CHILD_CHECK(access("rel.log", F_OK) != 0);
    gn_logger_free(l);
    return 0;
}

START_TEST(test_file_relative_path_chdir)
{
    dir_setup();
    line_re_init();
    run_in_child(chdir_child, g_dir);
    char path[128];
    path_in_dir(path, sizeof path, "rel.log");
    ck_assert(has_msg(path, "before"));
    ck_assert_msg(has_msg(path, "after"), "line went to a file in the new working directory");
    regfree(&g_line_re);
    dir_cleanup();
}
END_TEST

START_TEST(test_rotation_oversized_line)
{
    dir_setup();
    char path[128], name[160];
    path_in_dir(path, sizeof path, "big.log");
    /* A file already bigger than max_size at open rotates on the first line. */
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(fprintf(f, "%0300d\n", 0), 0);
    fclose(f);
    gn_logger_t *l = file_logger(path, 200, 2);
    GN_LOG_INFOF(l, "small");
    snprintf(name, sizeof name, "%s.1", path);
    ck_assert_int_eq(file_size(name), 301);
    /* A line longer than max_size is written whole, alone in a fresh file. */
    GN_LOG_INFOF(l, "%0500d", 1);
    GN_LOG_INFOF(l, "after");
    gn_logger_free(l);
    char *cur = slurp(path, NULL);
    ck_assert_int_eq(count_substr(cur, "\n"), 1);
    ck_assert_ptr_nonnull(strstr(cur, " after\n"));
    free(cur);
    char *b1 = slurp(name, NULL);
    ck_assert_int_eq(count_substr(b1, "\n"), 1);
    ck_assert_uint_gt(strlen(b1), 500);
    free(b1);
    snprintf(name, sizeof name, "%s.2", path);
    char *b2 = slurp(name, NULL);
    ck_assert_ptr_nonnull(strstr(b2, " small\n"));
    free(b2);
    dir_cleanup();
}
END_TEST

START_TEST(test_file_not_regular)
{
    /* /dev/null is never rotated (no renaming of device files). */
    gn_logger_t *l = file_logger("/dev/null", 10, 2);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "line %d", i), 0);
    ck_assert_int_eq(gn_logger_flush(l), 0);
    gn_logger_free(l);
    ck_assert(!exists("/dev/null.1"));
}
END_TEST

/* ---- threads ------------------------------------------------------------- */

#define NTHREADS 8

typedef struct worker {
    gn_logger_t *l;
    int id;
    long lines;
} worker_t;

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    for (long i = 0; i < w->lines; i++)
        GN_LOG_INFOF(w->l, "t%d n%ld %s", w->id, i, "payload-payload-payload");
    return NULL;
}

static void run_workers(gn_logger_t *l, long per_thread)
{
    pthread_t th[NTHREADS];
    worker_t w[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (worker_t){.l = l, .id = i, .lines = per_thread};
        ck_assert_int_eq(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
}

/* Parses every line of the files (oldest first); each must be whole and each
 * thread's lines must appear in its own order. Returns the line count. */
static long check_thread_lines(const char *path, int backups, long per_thread)
{
    long next[NTHREADS] = {0};
    long total = 0;
    for (int i = backups; i >= 0; i--) {
        char name[160];
        if (i == 0)
            snprintf(name, sizeof name, "%s", path);
        else
            snprintf(name, sizeof name, "%s.%d", path, i);
        size_t len = 0;
        char *text = slurp(name, &len);
        if (text == NULL)
            continue;
        ck_assert(len == 0 || text[len - 1] == '\n');
        char *save = NULL;
        for (char *ln = strtok_r(text, "\n", &save); ln != NULL; ln = strtok_r(NULL, "\n", &save)) {
            char level[8];
            int t = -1, used = 0;
            long n = -1;
            const char *msg = parse_line(ln, level, sizeof level);
            ck_assert_int_eq(sscanf(msg, "t%d n%ld payload-payload-payload%n", &t, &n, &used), 2);
            ck_assert_int_eq(msg[used], '\0');
            ck_assert(t >= 0 && t < NTHREADS);
            ck_assert_int_eq(n, next[t]);
            next[t]++;
            total++;
        }
        free(text);
    }
    for (int t = 0; t < NTHREADS; t++)
        ck_assert_int_eq(next[t], per_thread);
    return total;
}

START_TEST(test_threads_whole_lines)
{
    dir_setup();
    line_re_init();
    char path[128];
    path_in_dir(path, sizeof path, "mt.log");
    /* Fast enough under every sanitizer (a few seconds): never scaled. */
    long per_thread = 10000;
    gn_logger_t *l = file_logger(path, 0, 0);
    run_workers(l, per_thread);
    gn_logger_free(l);
    ck_assert_int_eq(check_thread_lines(path, 0, per_thread), NTHREADS * per_thread);
    regfree(&g_line_re);
    dir_cleanup();
}
END_TEST

START_TEST(test_threads_rotation)
{
    dir_setup();
    line_re_init();
    char path[128];
    path_in_dir(path, sizeof path, "mtrot.log");
    long per_thread = gn_test_scale(10000, 2);
    /* ~90 bytes a line: about 40 files, all kept. */
    size_t max_size = (size_t)per_thread * NTHREADS * 90 / 40;
    gn_logger_t *l = file_logger(path, max_size, 200);
    run_workers(l, per_thread);
    gn_logger_free(l);
    char name[160];
    snprintf(name, sizeof name, "%s.20", path);
    ck_assert(exists(name));
    ck_assert_int_eq(check_thread_lines(path, 200, per_thread), NTHREADS * per_thread);
    regfree(&g_line_re);
    dir_cleanup();
}
END_TEST

/* 8 threads race to build the default logger from the environment
 * (pthread_once) and log through it: still every line, whole. */
START_TEST(test_threads_default_env)
{
    dir_setup();
    line_re_init();
    char path[128];
    path_in_dir(path, sizeof path, "default.log");
    ck_assert_int_eq(setenv("GNET_LOGGING_FILE", path, 1), 0);
    ck_assert_int_eq(setenv("GNET_LOGGING_LEVEL", "info", 1), 0);
    long per_thread = gn_test_scale(2000, 2);
    run_workers(NULL, per_thread);
    ck_assert_int_eq(check_thread_lines(path, 0, per_thread), NTHREADS * per_thread);
    regfree(&g_line_re);
    dir_cleanup();
}
END_TEST

/* A user sink under 8 threads: calls must be serialized (never two at once). */
typedef struct serial {
    int inside; /* touched with atomics: detects overlapping calls */
    long calls; /* plain: TSan reports a race if calls are not serialized */
} serial_t;

static void serial_sink(gn_log_level_t level, const char *file, int line, const char *msg,
                        size_t len, void *udata)
{
    serial_t *s = udata;
    ck_assert_int_eq(__atomic_fetch_add(&s->inside, 1, __ATOMIC_ACQ_REL), 0);
    s->calls++;
    __atomic_fetch_sub(&s->inside, 1, __ATOMIC_ACQ_REL);
}

START_TEST(test_threads_user_sink)
{
    serial_t s = {0};
    gn_logger_opts_t o = {.sink = GN_LOG_SINK_FUNC, .fn = serial_sink, .udata = &s};
    gn_logger_t *l = NULL;
    ck_assert_int_eq(gn_logger_new(&l, &o), 0);
    long per_thread = gn_test_scale(10000, 2);
    run_workers(l, per_thread);
    gn_logger_free(l);
    ck_assert_int_eq(s.calls, NTHREADS * per_thread);
}
END_TEST

/* Level changes while other threads log: an atomic, so TSan stays quiet. */
static void *level_flipper(void *arg)
{
    gn_logger_t *l = arg;
    for (int i = 0; i < 2000; i++)
        ck_assert_int_eq(gn_logger_set_level(l, i % 2 ? GN_LOG_DEBUG : GN_LOG_ERROR), 0);
    return NULL;
}

START_TEST(test_threads_set_level)
{
    serial_t s = {0};
    gn_logger_opts_t o = {.sink = GN_LOG_SINK_FUNC, .fn = serial_sink, .udata = &s};
    gn_logger_t *l = NULL;
    ck_assert_int_eq(gn_logger_new(&l, &o), 0);
    pthread_t flip;
    ck_assert_int_eq(pthread_create(&flip, NULL, level_flipper, l), 0);
    run_workers(l, gn_test_scale(2000, 10));
    ck_assert_int_eq(pthread_join(flip, NULL), 0);
    gn_logger_free(l);
    ck_assert_int_le(s.calls, NTHREADS * gn_test_scale(2000, 10));
}
END_TEST

/* ---- long lines ---------------------------------------------------------- */

START_TEST(test_long_lines)
{
    dir_setup();
    char path[128];
    path_in_dir(path, sizeof path, "long.log");
    gn_logger_t *l = file_logger(path, 0, 0);
    /* Every size around the stack buffer (1 KiB), then 1 MiB. */
    size_t sizes[260];
    size_t n = 0;
    for (size_t s = 900; s < 1150; s++)
        sizes[n++] = s;
    sizes[n++] = 1 << 20;
    char *big = malloc((1 << 20) + 1);
    ck_assert_ptr_nonnull(big);
    for (size_t i = 0; i < n; i++) {
        memset(big, 'a' + (int)(i % 26), sizes[i]);
        big[sizes[i]] = '\0';
        ck_assert_int_eq(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "<%s>", big), 0);
    }
    gn_logger_free(l);

    char *text = slurp(path, NULL);
    char *save = NULL;
    size_t i = 0;
    for (char *ln = strtok_r(text, "\n", &save); ln != NULL; ln = strtok_r(NULL, "\n", &save)) {
        ck_assert_uint_lt(i, n);
        char *open = strchr(ln, '<');
        ck_assert_ptr_nonnull(open);
        ck_assert_uint_eq(strlen(open), sizes[i] + 2);
        ck_assert_int_eq(open[1], 'a' + (int)(i % 26));
        ck_assert_int_eq(open[sizes[i]], 'a' + (int)(i % 26));
        ck_assert_int_eq(open[sizes[i] + 1], '>');
        i++;
    }
    ck_assert_uint_eq(i, n);
    free(text);

    /* A user sink gets the whole long message too. */
    rec_t r;
    gn_logger_t *u = rec_logger(&r, GN_LOG_INFO);
    memset(big, 'z', 5000);
    big[5000] = '\0';
    GN_LOG_INFOF(u, "%s", big);
    ck_assert_uint_eq(r.len, 5000);
    gn_logger_free(u);
    free(big);
    dir_cleanup();
}
END_TEST

/* When even the heap cannot hold a line, it is cut and visibly marked. The
 * address-space limit makes the 256 MiB allocation fail; sanitizers reserve
 * terabytes of shadow memory, so this test only runs unsanitized. */
START_TEST(test_truncation_marked)
{
    if (gn_test_sanitized())
        return;
    dir_setup();
    char path[128];
    path_in_dir(path, sizeof path, "cut.log");
    gn_logger_t *l = file_logger(path, 0, 0);
    struct rlimit lim = {.rlim_cur = 128u << 20, .rlim_max = RLIM_INFINITY};
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &lim), 0);
    ck_assert_int_eq(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "%*d", 256 << 20, 7), 0);
    gn_logger_free(l);
    size_t len = 0;
    char *text = slurp(path, &len);
    ck_assert_uint_gt(len, 900);
    ck_assert_uint_lt(len, 1024);
    ck_assert_str_eq(text + len - 4, "\xE2\x80\xA6\n");
    ck_assert_int_eq(text[len - 5], ' '); /* the padding of %*d */
    free(text);
    dir_cleanup();
}
END_TEST

/* A cut line whose kept part ends in newlines is still one line: the
 * newlines go, the mark stays last. Without that, the entry would span the
 * newlines with the mark alone on the last line. */
START_TEST(test_truncation_drops_newlines)
{
    if (gn_test_sanitized())
        return;
    dir_setup();
    char path[128];
    path_in_dir(path, sizeof path, "cutnl.log");
    gn_logger_t *l = file_logger(path, 0, 0);
    rec_t r;
    gn_logger_t *u = rec_logger(&r, GN_LOG_INFO);
    static char nl[2048];
    memset(nl, '\n', sizeof nl - 1);
    struct rlimit lim = {.rlim_cur = 128u << 20, .rlim_max = RLIM_INFINITY};
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &lim), 0);
    ck_assert_int_eq(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, "abc%s%*d", nl, 256 << 20, 7), 0);
    ck_assert_int_eq(gn_logf(u, GN_LOG_INFO, __FILE__, __LINE__, "abc%s%*d", nl, 256 << 20, 7), 0);
    gn_logger_free(l);
    ck_assert_str_eq(r.msg, "abc\xE2\x80\xA6");
    ck_assert_uint_eq(r.len, 6);
    gn_logger_free(u);
    size_t len = 0;
    char *text = slurp(path, &len);
    ck_assert_int_eq(count_substr(text, "\n"), 1);
    ck_assert_uint_gt(len, 7);
    ck_assert_str_eq(text + len - 7, "abc\xE2\x80\xA6\n");
    free(text);
    dir_cleanup();
}
END_TEST

/* ---- default logger and environment -------------------------------------- */

START_TEST(test_env_level)
{
    dir_setup();
    char err[128];
    path_in_dir(err, sizeof err, "stderr.txt");
    capture_stderr(err);
    ck_assert_int_eq(setenv("GNET_LOGGING_LEVEL", "WaRnInG", 1), 0);
    unsetenv("GNET_LOGGING_FILE");
    ck_assert_int_eq(gn_logger_get_level(gn_log_default()), GN_LOG_WARN);
    ck_assert_int_eq(gn_logger_get_level(NULL), GN_LOG_WARN);
    GN_LOG_INFOF(NULL, "hidden");
    GN_LOG_WARNF(NULL, "shown");
    char *text = slurp(err, NULL);
    ck_assert_int_eq(count_substr(text, "\n"), 1);
    ck_assert_ptr_nonnull(strstr(text, " WARN test_logging.c:"));
    free(text);
    dir_cleanup();
}
END_TEST

START_TEST(test_env_bad_level)
{
    dir_setup();
    char err[128];
    path_in_dir(err, sizeof err, "stderr.txt");
    capture_stderr(err);
    ck_assert_int_eq(setenv("GNET_LOGGING_LEVEL", "loud", 1), 0);
    unsetenv("GNET_LOGGING_FILE");
    ck_assert_ptr_nonnull(gn_log_default());
    ck_assert_ptr_eq(gn_log_default(), gn_log_default());
    ck_assert_int_eq(gn_logger_get_level(NULL), GN_LOG_INFO);
    GN_LOG_INFOF(NULL, "still logging");
    char *text = slurp(err, NULL);
    ck_assert_int_eq(count_substr(text, "GNET_LOGGING_LEVEL=\"loud\""), 1);
    ck_assert_ptr_nonnull(strstr(text, " still logging\n"));
    free(text);
    dir_cleanup();
}
END_TEST

START_TEST(test_env_file)
{
    dir_setup();
    char path[128], err[128];
    path_in_dir(path, sizeof path, "env.log");
    path_in_dir(err, sizeof err, "stderr.txt");
    capture_stderr(err);
    ck_assert_int_eq(setenv("GNET_LOGGING_FILE", path, 1), 0);
    ck_assert_int_eq(setenv("GNET_LOGGING_LEVEL", "debug", 1), 0);
    GN_LOG_DEBUGF(NULL, "to the file %d", 1);
    ck_assert_int_eq(gn_logger_flush(NULL), 0);
    char *text = slurp(path, NULL);
    ck_assert_ptr_nonnull(strstr(text, " DEBUG test_logging.c:"));
    ck_assert_ptr_nonnull(strstr(text, " to the file 1\n"));
    free(text);
    text = slurp(err, NULL);
    ck_assert_str_eq(text, "");
    free(text);
    /* The built-in default is not the caller's to free. */
    gn_logger_free(gn_log_default());
    GN_LOG_INFOF(NULL, "after free");
    dir_cleanup();
}
END_TEST

START_TEST(test_env_bad_file)
{
    dir_setup();
    char err[128];
    path_in_dir(err, sizeof err, "stderr.txt");
    capture_stderr(err);
    ck_assert_int_eq(setenv("GNET_LOGGING_FILE", "/nonexistent-gnet-dir/x.log", 1), 0);
    ck_assert_int_eq(setenv("GNET_LOGGING_LEVEL", "", 1), 0); /* empty: unset */
    GN_LOG_INFOF(NULL, "fallback");
    GN_LOG_INFOF(NULL, "fallback");
    char *text = slurp(err, NULL);
    ck_assert_int_eq(count_substr(text, "GNET_LOGGING_FILE"), 1);
    ck_assert_int_eq(count_substr(text, " fallback\n"), 2);
    ck_assert_int_eq(count_substr(text, "GNET_LOGGING_LEVEL"), 0);
    free(text);
    dir_cleanup();
}
END_TEST

START_TEST(test_set_default)
{
    rec_t r;
    gn_logger_t *l = rec_logger(&r, GN_LOG_DEBUG);
    gn_logger_t *builtin = gn_log_default();
    ck_assert_ptr_null(gn_log_set_default(l));
    ck_assert_ptr_eq(gn_log_default(), l);
    GN_LOG_DEBUGF(NULL, "via default");
    ck_assert_int_eq(r.calls, 1);
    ck_assert_str_eq(r.msg, "via default");
    ck_assert_int_eq(gn_logger_set_level(NULL, GN_LOG_ERROR), 0);
    ck_assert_int_eq(gn_logger_get_level(l), GN_LOG_ERROR);
    ck_assert_ptr_eq(gn_log_set_default(NULL), l);
    ck_assert_ptr_eq(gn_log_default(), builtin);
    /* Installing the built-in one explicitly is the same as NULL. */
    ck_assert_ptr_null(gn_log_set_default(builtin));
    ck_assert_ptr_null(gn_log_set_default(NULL));
    gn_logger_free(l);
}
END_TEST

/* ---- fatal ---------------------------------------------------------------- */

START_TEST(test_fatal_aborts)
{
    dir_setup();
    char path[128];
    path_in_dir(path, sizeof path, "fatal.log");
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        gn_logger_opts_t o = {.level = GN_LOG_FATAL, .sink = GN_LOG_SINK_FILE, .path = path};
        gn_logger_t *l = NULL;
        if (gn_logger_new(&l, &o) == 0)
            GN_LOG_FATALF(l, "boom %d", 42);
        _exit(3); /* only reached if the logger could not be made */
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status));
    ck_assert_int_eq(WTERMSIG(status), SIGABRT);
    char *text = slurp(path, NULL);
    ck_assert_ptr_nonnull(text);
    /* The line was written (and synced) before the abort. */
    const char *at = strstr(text, " FATAL test_logging.c:");
    ck_assert_ptr_nonnull(at);
    int line = 0, used = 0;
    ck_assert_int_eq(sscanf(at, " FATAL test_logging.c:%d boom 42%n", &line, &used), 1);
    ck_assert_int_gt(line, 0);
    ck_assert_str_eq(at + used, "\n");
    free(text);
    dir_cleanup();
}
END_TEST

/* ---- bad input ------------------------------------------------------------ */

START_TEST(test_bad_input)
{
    gn_logger_opts_t o = {0};
    ck_assert_int_eq(gn_logger_new(NULL, &o), -EINVAL);
    gn_logger_t *l = (gn_logger_t *)&o; /* must be reset to NULL on failure */
    o.level = (gn_log_level_t)7;
    ck_assert_int_eq(gn_logger_new(&l, &o), -EINVAL);
    ck_assert_ptr_null(l);
    o = (gn_logger_opts_t){.level = (gn_log_level_t)-2};
    ck_assert_int_eq(gn_logger_new(&l, &o), -EINVAL);
    o = (gn_logger_opts_t){.sink = (gn_log_sink_kind_t)42};
    ck_assert_int_eq(gn_logger_new(&l, &o), -EINVAL);
    o = (gn_logger_opts_t){.sink = GN_LOG_SINK_FD, .fd = -1};
    ck_assert_int_eq(gn_logger_new(&l, &o), -EINVAL);
    o = (gn_logger_opts_t){.sink = GN_LOG_SINK_FILE};
    ck_assert_int_eq(gn_logger_new(&l, &o), -EINVAL);
    o.path = "";
    ck_assert_int_eq(gn_logger_new(&l, &o), -EINVAL);
    o.path = "/tmp/x.log";
    o.max_backups = -1;
    ck_assert_int_eq(gn_logger_new(&l, &o), -EINVAL);
    o = (gn_logger_opts_t){.sink = GN_LOG_SINK_FILE, .path = "/nonexistent-gnet-dir/x.log"};
    ck_assert_int_eq(gn_logger_new(&l, &o), -ENOENT);
    o = (gn_logger_opts_t){.sink = GN_LOG_SINK_FUNC};
    ck_assert_int_eq(gn_logger_new(&l, &o), -EINVAL);
    ck_assert_ptr_null(l);

    rec_t r;
    l = rec_logger(&r, GN_LOG_DEBUG);
    /* An argument after the NULL format keeps clang's -Wformat-security quiet. */
    const char *no_fmt = NULL;
    ck_assert_int_eq(gn_logf(l, GN_LOG_INFO, __FILE__, __LINE__, no_fmt, 0), -EINVAL);
    ck_assert_int_eq(gn_logf(l, (gn_log_level_t)9, __FILE__, __LINE__, "x"), -EINVAL);
    ck_assert_int_eq(gn_logf(l, (gn_log_level_t)-5, __FILE__, __LINE__, "x"), -EINVAL);
    ck_assert_int_eq(gn_logger_set_level(l, (gn_log_level_t)9), -EINVAL);
    ck_assert_int_eq(gn_logger_get_level(l), GN_LOG_DEBUG);
    ck_assert_int_eq(r.calls, 0);
    gn_logger_free(l);
    gn_logger_free(NULL);

    gn_log_level_t lv = GN_LOG_INFO;
    ck_assert_int_eq(gn_log_level_parse(NULL, &lv), -EINVAL);
    ck_assert_int_eq(gn_log_level_parse("info", NULL), -EINVAL);
    ck_assert_int_eq(gn_log_level_parse("nope", &lv), -EINVAL);
    ck_assert_int_eq(gn_log_level_parse("", &lv), -EINVAL);
    ck_assert_int_eq(lv, GN_LOG_INFO);
    ck_assert_int_eq(gn_log_level_parse("FATAL", &lv), 0);
    ck_assert_int_eq(lv, GN_LOG_FATAL);
    ck_assert_int_eq(gn_log_level_parse("Debug", &lv), 0);
    ck_assert_int_eq(lv, GN_LOG_DEBUG);
    ck_assert_str_eq(gn_log_level_string(GN_LOG_ERROR), "ERROR");
    ck_assert_str_eq(gn_log_level_string((gn_log_level_t)42), "?");
}
END_TEST

static Suite *logging_suite(void)
{
    Suite *s = suite_create("logging");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_level_filtering);
    tcase_add_test(tc, test_disabled_args_not_evaluated);
    tcase_add_test(tc, test_user_sink_fields);
    tcase_add_test(tc, test_sink_reentry);
    tcase_add_test(tc, test_console_format);
    tcase_add_test(tc, test_console_prefix);
    tcase_add_test(tc, test_stderr_sink);
    tcase_add_test(tc, test_write_error);
    tcase_add_test(tc, test_write_returns_zero);
    tcase_add_test(tc, test_write_eagain_partial);
    tcase_add_test(tc, test_short_write_line_boundary);
    tcase_add_test(tc, test_rotation_backups);
    tcase_add_test(tc, test_rotation_complete);
    tcase_add_test(tc, test_rotation_huge_backups);
    tcase_add_test(tc, test_rotation_no_backup);
    tcase_add_test(tc, test_rotation_oversized_line);
    tcase_add_test(tc, test_rotation_open_failure);
    tcase_add_test(tc, test_rotation_file_removed);
    tcase_add_test(tc, test_file_renamed_reopened);
    tcase_add_test(tc, test_file_relative_path_chdir);
    tcase_add_test(tc, test_file_not_regular);
    tcase_add_test(tc, test_long_lines);
    tcase_add_test(tc, test_truncation_marked);
    tcase_add_test(tc, test_truncation_drops_newlines);
    tcase_add_test(tc, test_env_level);
    tcase_add_test(tc, test_env_bad_level);
    tcase_add_test(tc, test_env_file);
    tcase_add_test(tc, test_env_bad_file);
    tcase_add_test(tc, test_set_default);
    tcase_add_test(tc, test_fatal_aborts);
    tcase_add_test(tc, test_bad_input);
    suite_add_tcase(s, tc);

    TCase *mt = tcase_create("threads");
    tcase_add_test(mt, test_threads_whole_lines);
    tcase_add_test(mt, test_threads_rotation);
    tcase_add_test(mt, test_threads_default_env);
    tcase_add_test(mt, test_threads_user_sink);
    tcase_add_test(mt, test_threads_set_level);
    suite_add_tcase(s, mt);
    return s;
}

int main(void)
{
    return gn_test_run(logging_suite());
}
