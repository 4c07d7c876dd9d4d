/* The RESP parser of the examples, in-process. */
#include "proc.h"
#include "resp/resp_parser.h"

#include <string.h>

static resp_cmd_t cmd;

static ssize_t parse(const char *s)
{
    return resp_parse(s, strlen(s), 1 << 20, &cmd);
}

static bool arg_eq(size_t i, const char *want)
{
    return cmd.argv[i].len == strlen(want) && memcmp(cmd.argv[i].p, want, cmd.argv[i].len) == 0;
}

START_TEST(test_multibulk)
{
    const char *s = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n*1\r\n";
    ck_assert_int_eq(parse(s), (ssize_t)strlen(s) - 4);
    ck_assert_int_eq((int)cmd.argc, 3);
    ck_assert(arg_eq(0, "SET") && arg_eq(1, "k") && arg_eq(2, ""));
    /* binary-safe: CR, LF and NUL inside a bulk string */
    static const char bin[] = "*1\r\n$5\r\na\r\n\0b\r\n";
    ck_assert_int_eq(resp_parse(bin, sizeof bin - 1, 100, &cmd), (ssize_t)sizeof bin - 1);
    ck_assert_int_eq((int)cmd.argv[0].len, 5);
    ck_assert(memcmp(cmd.argv[0].p, "a\r\n\0b", 5) == 0);
    /* an empty or negative count is an empty command, skipped */
    ck_assert_int_eq(parse("*0\r\n"), 4);
    ck_assert_int_eq((int)cmd.argc, 0);
    ck_assert_int_eq(parse("*-1\r\n"), 5);
    ck_assert_int_eq((int)cmd.argc, 0);
}
END_TEST

START_TEST(test_inline)
{
    ck_assert_int_eq(parse("PING\r\n"), 6);
    ck_assert_int_eq((int)cmd.argc, 1);
    ck_assert(arg_eq(0, "PING"));
    ck_assert_int_eq(parse("  set  a\t\"b c\" 'd'\nGET"), 19);
    ck_assert_int_eq((int)cmd.argc, 4);
    ck_assert(arg_eq(0, "set") && arg_eq(1, "a") && arg_eq(2, "b c") && arg_eq(3, "d"));
    ck_assert_int_eq(parse("\r\n"), 2);
    ck_assert_int_eq((int)cmd.argc, 0);
    ck_assert_int_eq(parse("GET \"a\r\n"), RESP_EQUOTES);
    ck_assert_int_eq(parse("GET \"a\"b\r\n"), RESP_EQUOTES);
}
END_TEST

START_TEST(test_every_prefix_incomplete)
{
    static const char *const cmds[] = {
        "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\n0123456789\r\n",
        "*1\r\n$4\r\nPING\r\n",
        "ECHO hello\r\n",
    };
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
        size_t len = strlen(cmds[k]);
        for (size_t i = 0; i < len; i++)
            ck_assert_msg(resp_parse(cmds[k], i, 100, &cmd) == RESP_INCOMPLETE,
                          "command %zu prefix %zu", k, i);
        ck_assert_int_eq(resp_parse(cmds[k], len, 100, &cmd), (ssize_t)len);
    }
}
END_TEST

/* Once a bulk header is in, the parser says how long the command will be. */
START_TEST(test_need)
{
    ck_assert_int_eq(parse("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\nabc"), RESP_INCOMPLETE);
    ck_assert_int_eq((int)cmd.need, 29 + 100000 + 2);
    ck_assert_int_eq(parse("*3\r\n$3\r\nSET\r\n$1"), RESP_INCOMPLETE);
    ck_assert_int_eq((int)cmd.need, 0);
}
END_TEST

START_TEST(test_errors)
{
    char msg[96];
    ck_assert_int_eq(parse("*x\r\n"), RESP_EMULTIBULK_LEN);
    ck_assert_int_eq(parse("*5000\r\n"), RESP_EMULTIBULK_LEN);
    ck_assert_str_eq(resp_strerror(RESP_EMULTIBULK_LEN, &cmd, msg, sizeof msg),
                     "ERR Protocol error: invalid multibulk length");
    ck_assert_int_eq(parse("*1\r\n+PING\r\n"), RESP_EEXPECTED_DOLLAR);
    ck_assert_str_eq(resp_strerror(RESP_EEXPECTED_DOLLAR, &cmd, msg, sizeof msg),
                     "ERR Protocol error: expected '$', got '+'");
    ck_assert_int_eq(parse("*1\r\n$-1\r\n"), RESP_EBULK_LEN);
    ck_assert_int_eq(parse("*1\r\n$1x\r\n"), RESP_EBULK_LEN);
    ck_assert_int_eq(parse("*1\r\n$2000000\r\n"), RESP_EBULK_LEN);
    ck_assert_str_eq(resp_strerror(RESP_EBULK_LEN, &cmd, msg, sizeof msg),
                     "ERR Protocol error: invalid bulk length");
    ck_assert_int_eq(parse("*1\r\n$99999999999999999999\r\n"), RESP_EBULK_LEN);
    static char big[RESP_MAX_INLINE + 10];
    memset(big, 'a', sizeof big);
    ck_assert_int_eq(resp_parse(big, sizeof big, 100, &cmd), RESP_EINLINE_TOO_BIG);
    ck_assert_int_eq(resp_parse(big, RESP_MAX_INLINE - 1, 100, &cmd), RESP_INCOMPLETE);
    big[0] = '*';
    ck_assert_int_eq(resp_parse(big, 100, 100, &cmd), RESP_ECOUNT_TOO_BIG);
    ck_assert_int_eq(resp_parse(NULL, 0, 100, &cmd), RESP_INCOMPLETE);
}
END_TEST

START_TEST(test_random_bytes)
{
    uint64_t st = gn_test_seed("resp random", 0x7654321);
    static const char alphabet[] = "*$\r\n0123-9 \"'PING";
    char buf[256];
    for (long it = 0; it < gn_test_scale(200000, 10); it++) {
        size_t n = gn_test_rand(&st) % sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = alphabet[gn_test_rand(&st) % (sizeof alphabet - 1)];
        ssize_t r = resp_parse(buf, n, 64, &cmd);
        ck_assert(r <= (ssize_t)n);
        for (size_t i = 0; r > 0 && i < cmd.argc; i++)
            ck_assert(cmd.argv[i].p >= buf && cmd.argv[i].p + cmd.argv[i].len <= buf + r);
    }
}
END_TEST

void add_resp_parser_tests(Suite *s)
{
    TCase *tc = tcase_create("resp_parser");
    tcase_add_test(tc, test_multibulk);
    tcase_add_test(tc, test_inline);
    tcase_add_test(tc, test_every_prefix_incomplete);
    tcase_add_test(tc, test_need);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_random_bytes);
    suite_add_tcase(s, tc);
}
