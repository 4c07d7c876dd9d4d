/* The examples' Check suite: their parsers in-process, their servers as child
 * processes over loopback sockets. */
#include "proc.h"

int main(void)
{
    Suite *s = suite_create("examples");
    add_http_parser_tests(s);
    add_http_server_tests(s);
    add_resp_parser_tests(s);
    add_redis_server_tests(s);
    return gn_test_run(s);
}
