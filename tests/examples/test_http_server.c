/* http_server as a child process, over loopback sockets. */
#include "proc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WAIT_MS 10000

static server_t srv;

static void http_setup(void)
{
    srv = server_start("http_server", NULL);
}

static void http_teardown(void)
{
    server_stop(&srv);
}

/* One HTTP response read from a stream that may hold more after it. */
typedef struct resp {
    int status;
    char head[8192];
    char *body;
    size_t body_len;
} resp_t;

/* Value of a header in a response head (case-insensitive name), or NULL. */
static const char *head_value(const resp_t *p, const char *name)
{
    size_t nl = strlen(name);
    for (const char *l = strstr(p->head, "\r\n"); l != NULL; l = strstr(l + 2, "\r\n"))
        if (strncasecmp(l + 2, name, nl) == 0 && l[2 + nl] == ':')
            return l + 2 + nl + 2;
    return NULL;
}

/* Reads one response (with a body of Content-Length bytes, none for HEAD).
 * Fails the test if it does not arrive whole. */
static void read_resp(reader_t *r, resp_t *p, bool head_only)
{
    char *end;
    for (;;) {
        r->buf[r->len] = 0;
        if ((end = strstr(r->buf, "\r\n\r\n")) != NULL)
            break;
        ck_assert_msg(r->len + 1 < sizeof r->buf && reader_fill(r, r->len + 1), "no response head");
    }
    size_t hl = (size_t)(end - r->buf) + 4;
    ck_assert(hl < sizeof p->head);
    memcpy(p->head, r->buf, hl);
    p->head[hl] = 0;
    reader_consume(r, hl);
    ck_assert_msg(sscanf(p->head, "HTTP/1.1 %d ", &p->status) == 1, "status line: %s", p->head);
    const char *cl = head_value(p, "Content-Length");
    p->body_len = cl != NULL && !head_only ? strtoul(cl, NULL, 10) : 0;
    p->body = malloc(p->body_len + 1);
    ck_assert_msg(reader_bytes(r, p->body, p->body_len), "body of %zu bytes cut", p->body_len);
    p->body[p->body_len] = 0;
}

static void resp_free(resp_t *p)
{
    free(p->body);
    p->body = NULL;
}

/* Sends req on a fresh connection and reads one response. */
static int one_request(const char *req, resp_t *p)
{
    int fd = cli_connect(srv.port);
    reader_t *r = reader_new(fd);
    cli_send_str(fd, req);
    read_resp(r, p, strncmp(req, "HEAD", 4) == 0);
    free(r);
    return fd;
}

START_TEST(test_plaintext_json)
{
    resp_t p;
    int fd = one_request("GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n", &p);
    ck_assert_int_eq(p.status, 200);
    ck_assert_str_eq(p.body, "Hello, World!");
    ck_assert_ptr_nonnull(head_value(&p, "Date"));
    ck_assert(strncmp(head_value(&p, "Content-Type"), "text/plain", 10) == 0);
    ck_assert_ptr_null(head_value(&p, "Connection"));
    resp_free(&p);
    close(fd);
    fd = one_request("GET /json HTTP/1.1\r\n\r\n", &p);
    ck_assert_int_eq(p.status, 200);
    ck_assert_str_eq(p.body, "{\"message\":\"Hello, World!\"}");
    resp_free(&p);
    close(fd);
    fd = one_request("HEAD /plaintext HTTP/1.1\r\n\r\n", &p);
    ck_assert_int_eq(p.status, 200);
    ck_assert(strncmp(head_value(&p, "Content-Length"), "13\r\n", 4) == 0);
    ck_assert(cli_quiet(fd, 50)); /* no body follows a HEAD answer */
    resp_free(&p);
    close(fd);
}
END_TEST

START_TEST(test_not_found_and_method)
{
    resp_t p;
    int fd = one_request("GET /nope HTTP/1.1\r\n\r\n", &p);
    ck_assert_int_eq(p.status, 404);
    resp_free(&p);
    close(fd);
    fd = one_request("POST /plaintext HTTP/1.1\r\nContent-Length: 2\r\n\r\nab", &p);
    ck_assert_int_eq(p.status, 405);
    resp_free(&p);
    close(fd);
    fd = one_request("GET /static HTTP/1.1\r\n\r\n", &p); /* no file given */
    ck_assert_int_eq(p.status, 404);
    resp_free(&p);
    close(fd);
}
END_TEST

START_TEST(test_keepalive_sequential)
{
    int fd = cli_connect(srv.port);
    reader_t *r = reader_new(fd);
    for (int i = 0; i < 50; i++) {
        cli_send_str(fd, i % 2 ? "GET /json HTTP/1.1\r\n\r\n" : "GET /plaintext HTTP/1.1\r\n\r\n");
        resp_t p;
        read_resp(r, &p, false);
        ck_assert_int_eq(p.status, 200);
        ck_assert_int_eq((int)p.body_len, i % 2 ? 27 : 13);
        resp_free(&p);
    }
    free(r);
    close(fd);
}
END_TEST

/* Many requests in one send, answered in order. */
START_TEST(test_pipelined)
{
    int fd = cli_connect(srv.port);
    reader_t *r = reader_new(fd);
    enum { N = 2000 };
    static char all[N * 64];
    size_t n = 0;
    for (int i = 0; i < N; i++)
        n += (size_t)sprintf(all + n,
                             i % 3 == 2 ? "POST /echo HTTP/1.1\r\nContent-Length: %d\r\n\r\n%04d"
                                        : "GET /plaintext?%d HTTP/1.1\r\n\r\n",
                             i % 3 == 2 ? 4 : i, i);
    cli_send(fd, all, n);
    for (int i = 0; i < N; i++) {
        resp_t p;
        read_resp(r, &p, false);
        ck_assert_int_eq(p.status, 200);
        if (i % 3 == 2) {
            char want[8];
            sprintf(want, "%04d", i);
            ck_assert_str_eq(p.body, want);
        } else {
            ck_assert_str_eq(p.body, "Hello, World!");
        }
        resp_free(&p);
    }
    ck_assert(cli_quiet(fd, 20));
    free(r);
    close(fd);
}
END_TEST

/* A request cut at every byte: nothing is answered before it is whole. */
START_TEST(test_split_every_byte)
{
    const char *req = "POST /echo?q HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabcdef";
    size_t len = strlen(req);
    int fd = cli_connect(srv.port);
    reader_t *r = reader_new(fd);
    for (size_t cut = 1; cut < len; cut++) {
        cli_send(fd, req, cut);
        ck_assert_msg(cli_quiet(fd, 2), "answered a request cut at %zu", cut);
        cli_send(fd, req + cut, len - cut);
        resp_t p;
        read_resp(r, &p, false);
        ck_assert_int_eq(p.status, 200);
        ck_assert_str_eq(p.body, "abcdef");
        resp_free(&p);
    }
    free(r);
    close(fd);
}
END_TEST

/* A body larger than one read, sent in pieces, comes back whole. */
START_TEST(test_large_echo)
{
    enum { BODY = 900 * 1000 };
    char *body = malloc(BODY);
    uint64_t st = 42;
    for (size_t i = 0; i < BODY; i++)
        body[i] = (char)('a' + gn_test_rand(&st) % 26);
    int fd = cli_connect(srv.port);
    reader_t *r = reader_new(fd);
    char head[128];
    sprintf(head, "POST /echo HTTP/1.1\r\nContent-Length: %d\r\n\r\n", BODY);
    cli_send_str(fd, head);
    for (size_t off = 0; off < BODY; off += 100000)
        cli_send(fd, body + off, BODY - off < 100000 ? BODY - off : 100000);
    cli_send_str(fd, "GET /plaintext HTTP/1.1\r\n\r\n");
    resp_t p;
    read_resp(r, &p, false);
    ck_assert_int_eq(p.status, 200);
    ck_assert_int_eq((int)p.body_len, BODY);
    ck_assert(memcmp(p.body, body, BODY) == 0);
    resp_free(&p);
    read_resp(r, &p, false);
    ck_assert_str_eq(p.body, "Hello, World!");
    resp_free(&p);
    free(body);
    free(r);
    close(fd);
}
END_TEST

START_TEST(test_expect_continue)
{
    int fd = cli_connect(srv.port);
    reader_t *r = reader_new(fd);
    cli_send_str(fd, "PUT /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    resp_t p;
    read_resp(r, &p, true);
    ck_assert_int_eq(p.status, 100);
    resp_free(&p);
    cli_send_str(fd, "x");
    ck_assert(cli_quiet(fd, 20)); /* no second 100 Continue */
    cli_send_str(fd, "yz");
    read_resp(r, &p, false);
    ck_assert_int_eq(p.status, 200);
    ck_assert_str_eq(p.body, "xyz");
    resp_free(&p);
    free(r);
    close(fd);
}
END_TEST

/* Connection: close: the answer, then EOF; a request pipelined after it is
 * not answered. */
START_TEST(test_connection_close)
{
    int fd = cli_connect(srv.port);
    reader_t *r = reader_new(fd);
    cli_send_str(fd, "GET /plaintext HTTP/1.1\r\n\r\n"
                     "GET /json HTTP/1.1\r\nConnection: close\r\n\r\n"
                     "GET /plaintext HTTP/1.1\r\n\r\n");
    resp_t p;
    read_resp(r, &p, false);
    ck_assert_str_eq(p.body, "Hello, World!");
    resp_free(&p);
    read_resp(r, &p, false);
    ck_assert_str_eq(p.body, "{\"message\":\"Hello, World!\"}");
    ck_assert(strncasecmp(head_value(&p, "Connection"), "close", 5) == 0);
    resp_free(&p);
    ck_assert_int_eq((int)r->len, 0);
    ck_assert(cli_wait_eof(fd, WAIT_MS));
    free(r);
    close(fd);
    /* HTTP/1.0 closes unless asked to keep the connection. */
    fd = one_request("GET /plaintext HTTP/1.0\r\n\r\n", &p);
    resp_free(&p);
    ck_assert(cli_wait_eof(fd, WAIT_MS));
    close(fd);
    fd = one_request("GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &p);
    ck_assert(strncasecmp(head_value(&p, "Connection"), "keep-alive", 10) == 0);
    resp_free(&p);
    ck_assert(cli_quiet(fd, 20));
    close(fd);
}
END_TEST

/* A whole 2 MB answer is delivered before the close. */
START_TEST(test_close_after_large_answer)
{
    enum { BODY = 1000 * 1000 };
    char *req = malloc(BODY + 128);
    int n = sprintf(req, "POST /echo HTTP/1.1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n",
                    BODY);
    memset(req + n, 'q', BODY);
    int fd = cli_connect(srv.port);
    reader_t *r = reader_new(fd);
    cli_send(fd, req, (size_t)n + BODY);
    resp_t p;
    read_resp(r, &p, false);
    ck_assert_int_eq((int)p.body_len, BODY);
    ck_assert(memcmp(p.body, req + n, BODY) == 0);
    resp_free(&p);
    ck_assert(cli_wait_eof(fd, WAIT_MS));
    free(req);
    free(r);
    close(fd);
}
END_TEST

/* Each bad request: its status, "Connection: close", then EOF. */
static void expect_error(const char *req, size_t len, int status)
{
    int fd = cli_connect(srv.port);
    reader_t *r = reader_new(fd);
    cli_send(fd, req, len);
    resp_t p;
    read_resp(r, &p, false);
    ck_assert_msg(p.status == status, "got %d, want %d", p.status, status);
    ck_assert(strncasecmp(head_value(&p, "Connection"), "close", 5) == 0);
    resp_free(&p);
    ck_assert(cli_wait_eof(fd, WAIT_MS));
    free(r);
    close(fd);
}

START_TEST(test_errors)
{
    static const char *const bad[] = {
        "GET  / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error(bad[i], strlen(bad[i]), 400);
    /* A TLS client hello is refused without waiting for a line end. */
    expect_error("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11, 400);
    const char *chunked = "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    expect_error(chunked, strlen(chunked), 501);
    expect_error("GET / HTTP/2.0\r\n\r\n", 18, 505);
    /* The body limit is refused from the header alone. */
    const char *big = "POST /echo HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n";
    expect_error(big, strlen(big), 413);
}
END_TEST

/* Oversized header sections are refused as soon as the limit is crossed,
 * without waiting for their end. */
START_TEST(test_oversized_headers)
{
    static char buf[12000];
    size_t n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nX-Long: ");
    memset(buf + n, 'v', sizeof buf - n);
    expect_error(buf, sizeof buf, 431);
    memcpy(buf, "GET /", 5);
    memset(buf + 5, 'p', sizeof buf - 5);
    expect_error(buf, sizeof buf, 414);
    n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < 70; i++)
        n += (size_t)sprintf(buf + n, "H%d: v\r\n", i);
    n += (size_t)sprintf(buf + n, "\r\n");
    expect_error(buf, n, 431);
}
END_TEST

/* The answers of many connections at once stay separate. */
START_TEST(test_many_connections)
{
    enum { C = 64 };
    int fds[C];
    reader_t *rs[C];
    for (int i = 0; i < C; i++) {
        fds[i] = cli_connect(srv.port);
        rs[i] = reader_new(fds[i]);
    }
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < C; i++) {
            char req[128];
            sprintf(req, "POST /echo HTTP/1.1\r\nContent-Length: 6\r\n\r\nc%02dr%02d", i, round);
            cli_send_str(fds[i], req);
        }
        for (int i = 0; i < C; i++) {
            resp_t p;
            char want[8];
            sprintf(want, "c%02dr%02d", i, round);
            read_resp(rs[i], &p, false);
            ck_assert_str_eq(p.body, want);
            resp_free(&p);
        }
    }
    for (int i = 0; i < C; i++) {
        free(rs[i]);
        close(fds[i]);
    }
}
END_TEST

/* /static serves the file given with -f. */
START_TEST(test_static_file)
{
    char path[] = "/tmp/gn_http_static_XXXXXX";
    int tfd = mkstemp(path);
    ck_assert_int_ge(tfd, 0);
    static char data[300000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)('0' + i % 10);
    ck_assert_int_eq(write(tfd, data, sizeof data), (ssize_t)sizeof data);
    close(tfd);
    const char *const extra[] = {"-f", path, "-t", "2", NULL};
    server_t s2 = server_start("http_server", extra);
    unlink(path);
    int fd = cli_connect(s2.port);
    reader_t *r = reader_new(fd);
    cli_send_str(fd, "GET /static HTTP/1.1\r\n\r\nGET /static HTTP/1.1\r\n\r\n");
    for (int i = 0; i < 2; i++) {
        resp_t p;
        read_resp(r, &p, false);
        ck_assert_int_eq(p.status, 200);
        ck_assert_int_eq((int)p.body_len, (int)sizeof data);
        ck_assert(memcmp(p.body, data, sizeof data) == 0);
        resp_free(&p);
    }
    free(r);
    close(fd);
    server_stop(&s2);
}
END_TEST

void add_http_server_tests(Suite *s)
{
    TCase *tc = tcase_create("http_server");
    tcase_add_checked_fixture(tc, http_setup, http_teardown);
    tcase_add_test(tc, test_plaintext_json);
    tcase_add_test(tc, test_not_found_and_method);
    tcase_add_test(tc, test_keepalive_sequential);
    tcase_add_test(tc, test_pipelined);
    tcase_add_test(tc, test_split_every_byte);
    tcase_add_test(tc, test_large_echo);
    tcase_add_test(tc, test_expect_continue);
    tcase_add_test(tc, test_connection_close);
    tcase_add_test(tc, test_close_after_large_answer);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_oversized_headers);
    tcase_add_test(tc, test_many_connections);
    tcase_add_test(tc, test_static_file);
    suite_add_tcase(s, tc);
}
