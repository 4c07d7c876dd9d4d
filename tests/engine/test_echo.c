/* Echo over every stream network, 1 and N loops, each write style; the load
 * balancers; the reuse_port topology. Every byte is verified. */
#include "harness.h"

#include <string.h>
#include <unistd.h>

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

static int loops_used(void)
{
    int used = 0;
    for (int i = 0; i < 8; i++)
        used += atomic_load(&S.loop_opens[i]) > 0;
    return used;
}

START_TEST(test_echo_reuse_port)
{
    srv_init("tcp", _i == 0 ? M_WRITE : M_ASYNC);
    S.o.num_event_loop = 4;
    S.o.reuse_port = true;
    run_echo(12, (size_t)gn_test_scale(256 << 10, 4));
    /* the kernel spreads 12 connections over the 4 listeners (all on one:
     * probability 4^-11) */
    ck_assert_int_ge(loops_used(), 2);
}
END_TEST

/* Round-robin and least-connections place connections predictably: six
 * sequential connections over three loops give two per loop; after two
 * closes on loop 0, least-connections sends the next two there. */
START_TEST(test_lb_placement)
{
    srv_init("tcp", M_WRITE);
    S.o.num_event_loop = 3;
    S.o.lb = _i == 0 ? GN_LB_ROUND_ROBIN : GN_LB_LEAST_CONNECTIONS;
    srv_start();
    int fds[8];
    for (int i = 0; i < 6; i++) {
        fds[i] = cli_connect();
        ck_assert(wait_atomic(&S.opens, i + 1, 5000));
    }
    for (int l = 0; l < 3; l++)
        ck_assert_int_eq(atomic_load(&S.loop_opens[l]), 2);
    if (_i == 1) {
        /* with equal counts it picks the lowest loop: 0 and 3 went to loop 0 */
        close(fds[0]);
        close(fds[3]);
        ck_assert(wait_atomic(&S.closes, 2, 5000));
        for (int i = 6; i < 8; i++) {
            fds[i] = cli_connect();
            ck_assert(wait_atomic(&S.opens, i + 1, 5000));
        }
        ck_assert_int_eq(atomic_load(&S.loop_opens[0]), 4);
        fds[0] = fds[3] = -1;
    }
    for (int i = 0; i < (_i == 1 ? 8 : 6); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    srv_stop();
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
    tcase_add_loop_test(tc, test_lb_placement, 0, 2);
    tcase_add_test(tc, test_echo_multicore_small_buffers);
    suite_add_tcase(s, tc);
}
