/* The gnet-buffer Check suite: one binary built from every file here. */
#include "buftest.h"

int main(void)
{
    Suite *s = suite_create("gnet-buffer");
    suite_add_tcase(s, gn_tc_ringbuf());
    suite_add_tcase(s, gn_tc_ringbuf_fd());
    suite_add_tcase(s, gn_tc_listbuf());
    suite_add_tcase(s, gn_tc_mixbuf());
    suite_add_tcase(s, gn_tc_badinput());
    suite_add_tcase(s, gn_tc_nomem());
    suite_add_tcase(s, gn_tc_model());
    suite_add_tcase(s, gn_tc_version());
    return gn_test_run(s);
}
