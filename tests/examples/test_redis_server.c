/* redis_server as a child process, over loopback sockets. */
#include "proc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WAIT_MS 10000

static server_t srv;
static int fd;
static reader_t *rd;

static void redis_setup(void)
{
    srv = server_start("redis_server", NULL);
    fd = cli_connect(srv.port);
    rd = reader_new(fd);
}

static void redis_teardown(void)
{
    free(rd);
    close(fd);
    server_stop(&srv);
}

/* Reads a CRLF-terminated line (without it) into out. */
static void read_line(reader_t *r, char *out, size_t cap)
{
    char *nl;
    for (;;) {
        r->buf[r->len] = 0;
        if ((nl = memchr(r->buf, '\n', r->len)) != NULL)
            break;
        ck_assert_msg(reader_fill(r, r->len + 1), "no reply line");
    }
    size_t n = (size_t)(nl - r->buf);
    ck_assert(n >= 1 && nl[-1] == '\r' && n < cap);
    memcpy(out, r->buf, n - 1);
    out[n - 1] = 0;
    reader_consume(r, n + 1);
}

/* One reply rendered as text: "+OK", "-ERR x", ":3", "$value", "$nil",
 * arrays as "[a,b]" of their rendered elements. */
static void read_reply(reader_t *r, char *out, size_t cap)
{
    char line[4096];
    read_line(r, line, sizeof line);
    long n = strtol(line + 1, NULL, 10);
    if (line[0] == '$' && n >= 0) {
        ck_assert((size_t)n + 2 < cap);
        out[0] = '$';
        ck_assert(reader_bytes(r, out + 1, (size_t)n + 2));
        ck_assert(out[n + 1] == '\r' && out[n + 2] == '\n');
        out[n + 1] = 0;
    } else if (line[0] == '$') {
        snprintf(out, cap, "$nil");
    } else if (line[0] == '*') {
        size_t k = (size_t)snprintf(out, cap, "[");
        for (long i = 0; i < n; i++) {
            read_reply(r, out + k, cap - k);
            k += strlen(out + k);
            if (i + 1 < n)
                k += (size_t)snprintf(out + k, cap - k, ",");
        }
        snprintf(out + k, cap - k, "]");
    } else {
        snprintf(out, cap, "%s", line);
    }
}

/* Sends s and checks the next reply. */
static void expect(const char *s, const char *want)
{
    char got[8192];
    cli_send_str(fd, s);
    read_reply(rd, got, sizeof got);
    ck_assert_msg(strcmp(got, want) == 0, "%s: got '%s', want '%s'", s, got, want);
}

/* A multibulk command from NULL-terminated words. */
static void cmd(const char *want, ...)
{
    char buf[4096];
    size_t n = 0, argc = 0;
    const char *words[64];
    va_list ap;
    va_start(ap, want);
    for (const char *w; (w = va_arg(ap, const char *)) != NULL;)
        words[argc++] = w;
    va_end(ap);
    n += (size_t)snprintf(buf + n, sizeof buf - n, "*%zu\r\n", argc);
    for (size_t i = 0; i < argc; i++)
        n +=
            (size_t)snprintf(buf + n, sizeof buf - n, "$%zu\r\n%s\r\n", strlen(words[i]), words[i]);
    expect(buf, want);
}

START_TEST(test_basic_commands)
{
    cmd("+PONG", "PING", NULL);
    cmd("$hi", "ping", "hi", NULL);
    cmd("$hello world", "ECHO", "hello world", NULL);
    cmd("$nil", "GET", "k", NULL);
    cmd("+OK", "SET", "k", "v1", NULL);
    cmd("$v1", "GET", "k", NULL);
    cmd("+OK", "set", "k", "v2", NULL);
    cmd("$v2", "get", "k", NULL);
    cmd("$nil", "SET", "k", "v3", "NX", NULL);
    cmd("+OK", "SET", "k2", "x", "nx", NULL);
    cmd("$nil", "SET", "k3", "x", "XX", NULL);
    cmd("+OK", "SET", "k3", "", NULL);
    cmd("$", "GET", "k3", NULL);
    cmd(":2", "EXISTS", "k", "k2", "nope", NULL);
    cmd(":2", "DEL", "k", "k2", "k", NULL);
    cmd(":0", "EXISTS", "k", NULL);
    cmd(":1", "INCR", "n", NULL);
    cmd(":2", "INCR", "n", NULL);
    cmd("+OK", "SET", "n", "-10", NULL);
    cmd(":-9", "INCR", "n", NULL);
    cmd("+OK", "SET", "big", "9223372036854775807", NULL);
    cmd("-ERR value is not an integer or out of range", "INCR", "big", NULL);
    cmd("-ERR value is not an integer or out of range", "INCR", "k3", NULL);
    cmd("+OK", "MSET", "a", "1", "b", "2", NULL);
    cmd("[$1,$nil,$2]", "MGET", "a", "c", "b", NULL);
    cmd("[]", "COMMAND", "DOCS", NULL);
    cmd("[$save,$,$appendonly,$no]", "CONFIG", "GET", "save", "appendonly", NULL);
}
END_TEST

START_TEST(test_error_replies)
{
    cmd("-ERR unknown command 'NOPE', with args beginning with: 'a' 'b' ", "NOPE", "a", "b", NULL);
    cmd("-ERR unknown command 'x', with args beginning with: ", "x", NULL);
    cmd("-ERR wrong number of arguments for 'get' command", "GET", NULL);
    cmd("-ERR wrong number of arguments for 'get' command", "GET", "a", "b", NULL);
    cmd("-ERR wrong number of arguments for 'mset' command", "MSET", "a", "1", "b", NULL);
    cmd("-ERR syntax error", "SET", "a", "1", "EX", NULL);
    cmd("-ERR syntax error", "SET", "a", "1", "NX", "XX", NULL);
    cmd("-ERR invalid expire time in 'set' command", "SET", "a", "1", "EX", "0", NULL);
    cmd("-ERR invalid expire time in 'set' command", "SET", "a", "1", "PX", "-5", NULL);
    cmd("+PONG", "PING", NULL); /* the connection survives command errors */
}
END_TEST

START_TEST(test_inline_commands)
{
    expect("PING\r\n", "+PONG");
    expect("set greeting \"hello world\"\r\n", "+OK");
    expect("GET greeting\n", "$hello world");
    expect("\r\nPING\r\n", "+PONG"); /* empty lines are skipped */
    expect("nope 1\r\n", "-ERR unknown command 'nope', with args beginning with: '1' ");
}
END_TEST

/* An expired key is gone when read, and the sweep frees it without a read. */
START_TEST(test_expiry)
{
    cmd("+OK", "SET", "t", "v", "PX", "50", NULL);
    cmd("+OK", "SET", "u", "v", "EX", "100", NULL);
    cmd("$v", "GET", "u", NULL);
    struct timespec ts = {0, 60 * 1000 * 1000};
    nanosleep(&ts, NULL); /* the expiry time itself is under test */
    for (int i = 0; i < 200; i++) {
        char got[64];
        cli_send_str(fd, "*2\r\n$6\r\nEXISTS\r\n$1\r\nt\r\n");
        read_reply(rd, got, sizeof got);
        if (strcmp(got, ":0") == 0)
            break;
        nanosleep(&ts, NULL);
    }
    cmd("$nil", "GET", "t", NULL);
    cmd("$v", "GET", "u", NULL);
}
END_TEST

/* Many commands in one send, answered in order. */
START_TEST(test_pipelined)
{
    enum { N = 3000 };
    static char all[N * 64];
    size_t n = 0;
    for (int i = 0; i < N; i++)
        n += (size_t)sprintf(all + n,
                             "*3\r\n$3\r\nSET\r\n$5\r\nk%04d\r\n$4\r\n%04d\r\n"
                             "*2\r\n$3\r\nGET\r\n$5\r\nk%04d\r\n",
                             i, i, i);
    cli_send(fd, all, n);
    for (int i = 0; i < N; i++) {
        char got[64], want[16];
        read_reply(rd, got, sizeof got);
        ck_assert_str_eq(got, "+OK");
        read_reply(rd, got, sizeof got);
        sprintf(want, "$%04d", i);
        ck_assert_str_eq(got, want);
    }
    ck_assert(cli_quiet(fd, 20));
}
END_TEST

/* A command cut at every byte: no reply before it is whole. */
START_TEST(test_split_every_byte)
{
    const char *c = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
    size_t len = strlen(c);
    for (size_t cut = 1; cut < len; cut++) {
        cli_send(fd, c, cut);
        ck_assert_msg(cli_quiet(fd, 2), "answered a command cut at %zu", cut);
        expect(c + cut, "+OK");
    }
    cmd("$value", "GET", "key", NULL);
}
END_TEST

/* A value larger than any read, sent in pieces, is stored and read back. */
START_TEST(test_large_value)
{
    enum { V = 8 << 20 };
    char *v = malloc(V);
    uint64_t st = 7;
    for (size_t i = 0; i < V; i++)
        v[i] = (char)gn_test_rand(&st);
    char head[64];
    int hn = sprintf(head, "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n", V);
    cli_send(fd, head, (size_t)hn);
    for (size_t off = 0; off < V; off += 300000)
        cli_send(fd, v + off, V - off < 300000 ? V - off : 300000);
    expect("\r\n", "+OK");
    cli_send_str(fd, "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n");
    char line[64];
    read_line(rd, line, sizeof line);
    ck_assert_int_eq(atoi(line + 1), V);
    char *back = malloc(V + 2);
    ck_assert(reader_bytes(rd, back, V + 2));
    ck_assert(memcmp(back, v, V) == 0);
    free(back);
    free(v);
    cmd("+PONG", "PING", NULL);
}
END_TEST

/* Framing errors: Redis's error text, then the connection closes. */
static void expect_protocol_error(const char *in, const char *want)
{
    int c = cli_connect(srv.port);
    reader_t *r = reader_new(c);
    char got[256];
    cli_send_str(c, in);
    read_reply(r, got, sizeof got);
    ck_assert_msg(strcmp(got, want) == 0, "got '%s', want '%s'", got, want);
    ck_assert(cli_wait_eof(c, WAIT_MS));
    free(r);
    close(c);
}

START_TEST(test_protocol_errors)
{
    expect_protocol_error("*x\r\n", "-ERR Protocol error: invalid multibulk length");
    expect_protocol_error("*1\r\n+PING\r\n", "-ERR Protocol error: expected '$', got '+'");
    expect_protocol_error("*1\r\n$-3\r\n", "-ERR Protocol error: invalid bulk length");
    expect_protocol_error("*1\r\n$100000000\r\n", "-ERR Protocol error: invalid bulk length");
    expect_protocol_error("GET \"a\r\n", "-ERR Protocol error: unbalanced quotes in request");
    /* an inline line that never ends is cut off at the limit */
    static char big[70000];
    memset(big, 'a', sizeof big - 1);
    expect_protocol_error(big, "-ERR Protocol error: too big inline request");
}
END_TEST

START_TEST(test_quit)
{
    cmd("+OK", "SET", "q", "1", NULL);
    cli_send_str(fd, "*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n");
    char got[64];
    read_reply(rd, got, sizeof got);
    ck_assert_str_eq(got, "+OK");
    ck_assert_int_eq((int)rd->len, 0);
    ck_assert(cli_wait_eof(fd, WAIT_MS));
    /* the keyspace is shared by connections */
    int c = cli_connect(srv.port);
    reader_t *r = reader_new(c);
    cli_send_str(c, "GET q\r\n");
    read_reply(r, got, sizeof got);
    ck_assert_str_eq(got, "$1");
    free(r);
    close(c);
}
END_TEST

void add_redis_server_tests(Suite *s)
{
    TCase *tc = tcase_create("redis_server");
    tcase_add_checked_fixture(tc, redis_setup, redis_teardown);
    tcase_add_test(tc, test_basic_commands);
    tcase_add_test(tc, test_error_replies);
    tcase_add_test(tc, test_inline_commands);
    tcase_add_test(tc, test_expiry);
    tcase_add_test(tc, test_pipelined);
    tcase_add_test(tc, test_split_every_byte);
    tcase_add_test(tc, test_large_value);
    tcase_add_test(tc, test_protocol_errors);
    tcase_add_test(tc, test_quit);
    suite_add_tcase(s, tc);
}
