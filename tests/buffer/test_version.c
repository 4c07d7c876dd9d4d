/* <gnet/version.h>: the macros and the functions every library carries agree. */
#include "buftest.h"

#include <gnet/version.h>

#include <stdio.h>
#include <string.h>

START_TEST(version_functions_match_macros)
{
    char expect[32];
    ck_assert_uint_eq(gn_version(), (unsigned)GN_VERSION_HEX);
    ck_assert_uint_eq(gn_version() >> 16, (unsigned)GN_VERSION_MAJOR);
    ck_assert_uint_eq((gn_version() >> 8) & 0xff, (unsigned)GN_VERSION_MINOR);
    ck_assert_uint_eq(gn_version() & 0xff, (unsigned)GN_VERSION_PATCH);
    snprintf(expect, sizeof expect, "%d.%d.%d", GN_VERSION_MAJOR, GN_VERSION_MINOR,
             GN_VERSION_PATCH);
    ck_assert_str_eq(gn_version_string(), expect);
    ck_assert_str_eq(GN_VERSION_STRING, expect);
    /* A static string: the same pointer every time. */
    ck_assert_ptr_eq(gn_version_string(), gn_version_string());
}
END_TEST

TCase *gn_tc_version(void)
{
    TCase *tc = tcase_create("version");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, version_functions_match_macros);
    return tc;
}
