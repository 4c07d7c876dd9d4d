/* The engine's Check suite. */
#include "gn_test.h"

void add_echo_tests(Suite *s);
void add_conn_tests(Suite *s);
void add_async_tests(Suite *s);
void add_limit_tests(Suite *s);
void add_close_tests(Suite *s);
void add_large_tests(Suite *s);
void add_backpressure_tests(Suite *s);
void add_lifecycle_tests(Suite *s);
void add_loop_tests(Suite *s);
void add_idle_tests(Suite *s);

int main(void)
{
    Suite *s = suite_create("engine");
    add_echo_tests(s);
    add_conn_tests(s);
    add_async_tests(s);
    add_limit_tests(s);
    add_close_tests(s);
    add_large_tests(s);
    add_backpressure_tests(s);
    add_lifecycle_tests(s);
    add_loop_tests(s);
    add_idle_tests(s);
    return gn_test_run(s);
}
