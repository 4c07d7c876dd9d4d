/* Echo over every stream network, 1 and N loops, each write style; the load
 * balancers; the reuse_port topology. Every byte is verified. */
#include "harness.h"

#include <string.h>

static const char *nets[] = {"tcp", "tcp4", "tcp6", "unix"};

static void run_echo(int nclients, size_t per_client)
{
    srv_start();
    uint64_t seed = gn_test_seed("echo", (uint64_t)(0x5eed0000 + S.mode));
    size_t got = echo_clients(nclients, per_client, seed);
    ck_assert_uint_gt(got, 0);
    ck_assert_msg(wait_count(0, 5000), "connections left: %zu",
                  gn_engine_count_connections(atomic_load(&S.eng)));
    srv_stop();
    ck_assert_int_eq(atomic_load(&S.opens), nclients);
    ck_assert_int_eq(atomic_load(&S.closes), nclients);
    ck_assert_int_eq(atomic_load(&S.close_errs[err_slot(GN_EEOF)]), nclients);
    ck_assert_int_eq(atomic_load(&S.async_errs), 0);
}

/* _i: network (4) x loops (1, 4) x write mode (4). */
START_TEST(test_echo_matrix)
{
    int net = _i / 8, loops = (_i / 4) % 2 ? 4 : 1, mode = _i % 4;
    srv_init(nets[net], mode);
    S.o.num_event_loop = loops;
    run_echo(12, (size_t)gn_test_scale(3 << 20, 12));
}
END_TEST

START_TEST(test_echo_lb)
{
    srv_init(_i == 2 ? "unix" : "tcp", M_WRITE);
    S.o.num_event_loop = 3;
    S.o.lb = (gn_lb_t)_i;
    run_echo(12, (size_t)gn_test_scale(256 << 10, 4));
}
END_TEST

START_TEST(test_echo_reuse_port)
{
    srv_init("tcp", _i == 0 ? M_WRITE : M_ASYNC);
    S.o.num_event_loop = 4;
    S.o.reuse_port = true;
    run_echo(12, (size_t)gn_test_scale(256 << 10, 4));
}
END_TEST

START_TEST(test_echo_multicore_small_buffers)
{
    srv_init("tcp", M_WRITE);
    S.o.multicore = true;
    S.o.read_buffer_cap = 1500; /* rounded to 2 KiB */
    S.o.write_buffer_cap = 1024;
    run_echo(10, (size_t)gn_test_scale(256 << 10, 4));
}
END_TEST

void add_echo_tests(Suite *s);
void add_echo_tests(Suite *s)
{
    TCase *tc = tcase_create("echo");
    tcase_set_timeout(tc, gn_test_sanitized() ? 240 : 60);
    tcase_add_loop_test(tc, test_echo_matrix, 0, 32);
    tcase_add_loop_test(tc, test_echo_lb, 0, 3);
    tcase_add_loop_test(tc, test_echo_reuse_port, 0, 2);
    tcase_add_test(tc, test_echo_multicore_small_buffers);
    suite_add_tcase(s, tc);
}
