/* The gnet-codec Check suite: one binary built from every file here. */
#include "codectest.h"

int main(void)
{
    Suite *s = suite_create("gnet-codec");
    suite_add_tcase(s, ct_tc_basic());
    suite_add_tcase(s, ct_tc_netty());
    suite_add_tcase(s, ct_tc_encode());
    suite_add_tcase(s, ct_tc_split());
    suite_add_tcase(s, ct_tc_badinput());
    return gn_test_run(s);
}
