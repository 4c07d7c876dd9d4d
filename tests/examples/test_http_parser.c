/* The HTTP request parser of the examples, in-process. */
#include "http/http_parser.h"
#include "proc.h"

#include <string.h>

static const http_limits_t LIM = {8192, 1 << 20};

static ssize_t parse(const char *s, http_request_t *req)
{
    return http_parse_request(s, strlen(s), &LIM, req);
}

START_TEST(test_simple_get)
{
    http_request_t req;
    const char *s = "GET /plaintext?x=1 HTTP/1.1\r\nHost: a\r\nAccept:  */*  \r\n\r\n";
    ck_assert_int_eq(parse(s, &req), (ssize_t)strlen(s));
    ck_assert_int_eq((int)req.method_len, 3);
    ck_assert(memcmp(req.method, "GET", 3) == 0);
    ck_assert_int_eq((int)req.target_len, 14);
    ck_assert(memcmp(req.target, "/plaintext?x=1", 14) == 0);
    ck_assert_int_eq(req.minor_version, 1);
    ck_assert(req.keep_alive);
    ck_assert_int_eq((int)req.num_headers, 2);
    size_t n;
    const char *v = http_find_header(&req, "accept", &n);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq((int)n, 3);
    ck_assert(memcmp(v, "*/*", 3) == 0);
    ck_assert_ptr_null(http_find_header(&req, "cookie", &n));
}
END_TEST

START_TEST(test_body_and_bare_lf)
{
    http_request_t req;
    const char *s = "POST /echo HTTP/1.1\nContent-Length: 5\n\nhelloGET";
    ck_assert_int_eq(parse(s, &req), (ssize_t)strlen(s) - 3);
    ck_assert_int_eq((int)req.content_length, 5);
    ck_assert(memcmp(req.body, "hello", 5) == 0);
}
END_TEST

START_TEST(test_connection_semantics)
{
    http_request_t req;
    ck_assert_int_gt(parse("GET / HTTP/1.0\r\n\r\n", &req), 0);
    ck_assert(!req.keep_alive);
    ck_assert_int_gt(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req), 0);
    ck_assert(req.keep_alive);
    ck_assert_int_gt(parse("GET / HTTP/1.1\r\nConnection: upgrade, CLOSE\r\n\r\n", &req), 0);
    ck_assert(!req.keep_alive);
    ck_assert_int_gt(parse("GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n", &req), 0);
    ck_assert(!req.keep_alive);
    ck_assert_int_gt(parse("GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", &req), 0);
    ck_assert(req.expect_continue);
}
END_TEST

/* Every proper prefix of a valid request is incomplete, never an error and
 * never a shorter request. */
START_TEST(test_every_prefix_incomplete)
{
    static const char *const reqs[] = {
        "GET /plaintext HTTP/1.1\r\nHost: localhost\r\nUser-Agent: x\r\n\r\n",
        "POST /echo HTTP/1.1\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world",
        "HEAD / HTTP/1.0\n\n",
    };
    for (size_t k = 0; k < sizeof reqs / sizeof reqs[0]; k++) {
        size_t len = strlen(reqs[k]);
        http_request_t req;
        for (size_t i = 0; i < len; i++)
            ck_assert_msg(http_parse_request(reqs[k], i, &LIM, &req) == HTTP_INCOMPLETE,
                          "request %zu prefix %zu", k, i);
        ck_assert_int_eq(http_parse_request(reqs[k], len, &LIM, &req), (ssize_t)len);
    }
}
END_TEST

START_TEST(test_header_done_body_pending)
{
    http_request_t req;
    const char *s = "PUT /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc";
    ck_assert_int_eq(parse(s, &req), HTTP_INCOMPLETE);
    ck_assert_int_eq((int)req.header_bytes, (int)strlen(s) - 3);
    ck_assert_int_eq((int)req.content_length, 100);
    ck_assert_int_eq(parse("PUT /echo HTTP/1.1\r\nContent-", &req), HTTP_INCOMPLETE);
    ck_assert_int_eq((int)req.header_bytes, 0);
}
END_TEST

START_TEST(test_malformed)
{
    static const struct {
        const char *in;
        ssize_t want;
    } cases[] = {
        {"GET  / HTTP/1.1\r\n\r\n", HTTP_EBAD_REQUEST},
        {"GET / HTTP/1.1 \r\n\r\n", HTTP_EBAD_REQUEST},
        {"GET /\r\n\r\n", HTTP_EBAD_REQUEST},
        {"\r\nGET / HTTP/1.1\r\n\r\n", HTTP_EBAD_REQUEST},
        {"G(T / HTTP/1.1\r\n\r\n", HTTP_EBAD_REQUEST},
        {"GET / HTTX/1.1\r\n\r\n", HTTP_EBAD_REQUEST},
        {"GET / HTTP/1.x\r\n\r\n", HTTP_EBAD_REQUEST},
        {"GET /a\x01 HTTP/1.1\r\n\r\n", HTTP_EBAD_REQUEST},
        {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", HTTP_EBAD_REQUEST},
        {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", HTTP_EBAD_REQUEST},
        {"GET / HTTP/1.1\r\n: empty\r\n\r\n", HTTP_EBAD_REQUEST},
        {"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", HTTP_EBAD_REQUEST},
        {"GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n", HTTP_EBAD_REQUEST},
        {"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", HTTP_EBAD_REQUEST},
        {"GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", HTTP_EBAD_REQUEST},
        {"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", HTTP_EBAD_REQUEST},
        {"GET / HTTP/1.1\r\nContent-Length:\r\n\r\n", HTTP_EBAD_REQUEST},
        {"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", HTTP_EBAD_REQUEST},
        {"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", HTTP_EBAD_REQUEST},
        {"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_ENOT_IMPLEMENTED},
        {"GET / HTTP/2.0\r\n\r\n", HTTP_EVERSION},
        {"GET / HTTP/1.2\r\n\r\n", HTTP_EVERSION},
        {"GET / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n", HTTP_EBODY_TOO_LARGE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_request_t req;
        ck_assert_msg(parse(cases[i].in, &req) == cases[i].want, "case %zu: got %zd", i,
                      parse(cases[i].in, &req));
    }
    /* Same content length twice is fine. */
    http_request_t req;
    ck_assert_int_gt(
        parse("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", &req), 0);
}
END_TEST

/* Limits hold for incomplete input too: a peer cannot make a server buffer
 * more than max_header_bytes of header section. */
START_TEST(test_limits)
{
    static char buf[20000];
    http_request_t req;
    memset(buf, 'a', sizeof buf);
    memcpy(buf, "GET /", 5);
    ck_assert_int_eq(http_parse_request(buf, 8192, &LIM, &req), HTTP_INCOMPLETE);
    ck_assert_int_eq(http_parse_request(buf, 8193, &LIM, &req), HTTP_EURI_TOO_LONG);
    const char *line = "GET / HTTP/1.1\r\nX: ";
    memcpy(buf, line, strlen(line));
    ck_assert_int_eq(http_parse_request(buf, 8193, &LIM, &req), HTTP_EHEADERS_TOO_LARGE);
    memcpy(buf + 9000, "\r\n\r\n", 4);
    ck_assert_int_eq(http_parse_request(buf, 9004, &LIM, &req), HTTP_EHEADERS_TOO_LARGE);
    /* 65 header fields */
    size_t n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < 65; i++)
        n += (size_t)sprintf(buf + n, "H%d: v\r\n", i);
    n += (size_t)sprintf(buf + n, "\r\n");
    ck_assert_int_eq(http_parse_request(buf, n, &LIM, &req), HTTP_EHEADERS_TOO_LARGE);
    ck_assert_int_eq(http_parse_request(NULL, 0, &LIM, &req), HTTP_INCOMPLETE);
    /* A method longer than any real one, or a byte no method has, is refused
     * before the line ends. */
    memset(buf, 'A', 40);
    ck_assert_int_eq(http_parse_request(buf, 40, &LIM, &req), HTTP_EBAD_REQUEST);
    ck_assert_int_eq(http_parse_request("\x16\x03", 2, &LIM, &req), HTTP_EBAD_REQUEST);
    ck_assert_int_eq(http_parse_request("GE", 2, &LIM, &req), HTTP_INCOMPLETE);
    ck_assert_int_eq(http_parse_request("GET /", 5, &LIM, &req), HTTP_INCOMPLETE);
}
END_TEST

/* Random bytes never crash the parser, and a result is within the input. */
START_TEST(test_random_bytes)
{
    uint64_t st = gn_test_seed("http random", 0x1234567);
    static const char alphabet[] = "GET /HTP1.0\r\n: Content-Length9ab\x01\x7f\x80";
    char buf[256];
    for (long it = 0; it < gn_test_scale(200000, 10); it++) {
        size_t n = gn_test_rand(&st) % sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = alphabet[gn_test_rand(&st) % (sizeof alphabet - 1)];
        http_request_t req;
        ssize_t r = http_parse_request(buf, n, &LIM, &req);
        ck_assert(r <= (ssize_t)n);
        if (r > 0)
            ck_assert(req.body + req.content_length == buf + r);
    }
}
END_TEST

void add_http_parser_tests(Suite *s)
{
    TCase *tc = tcase_create("http_parser");
    tcase_add_test(tc, test_simple_get);
    tcase_add_test(tc, test_body_and_bare_lf);
    tcase_add_test(tc, test_connection_semantics);
    tcase_add_test(tc, test_every_prefix_incomplete);
    tcase_add_test(tc, test_header_done_body_pending);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_random_bytes);
    suite_add_tcase(s, tc);
}
