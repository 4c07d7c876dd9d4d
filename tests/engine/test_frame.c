/* gn_conn_next_frame: a length field echo (the handler of examples/frame_echo.c)
 * driven with random frames in random pieces, one byte at a time, over one
 * and several loops; a too-long frame closes the connection before its
 * payload is buffered; gn_strerror knows the codec codes. */
#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PAYLOAD 70000

static atomic_int g_frames, g_toolong;

static gn_action_t frame_open(gn_conn_t *c)
{
    gn_codec_t *codec = malloc(sizeof(*codec));
    ck_assert_ptr_nonnull(codec);
    gn_codec_length_field_t o = {
        .max_frame_length = 4 + MAX_PAYLOAD, .length_field_size = 4, .initial_bytes_to_strip = 4};
    ck_assert_int_eq(gn_codec_init_length_field(codec, &o), 0);
    gn_conn_set_context(c, codec);
    atomic_fetch_add(&S.opens, 1);
    return GN_NONE;
}

static gn_action_t frame_close(gn_conn_t *c, int err)
{
    gn_codec_t *codec = gn_conn_context(c);
    gn_codec_release(codec);
    free(codec);
    atomic_fetch_add(&S.close_errs[err_slot(err)], 1);
    atomic_fetch_add(&S.closes, 1);
    return GN_NONE;
}

static gn_action_t frame_traffic(gn_conn_t *c)
{
    gn_codec_t *codec = gn_conn_context(c);
    gn_codec_frame_t f;
    int rc;
    while ((rc = gn_conn_next_frame(c, codec, &f)) == 1) {
        unsigned char hdr[GN_CODEC_HEADER_MAX];
        struct iovec iov[2];
        int cnt = gn_codec_encode(codec, f.data, f.len, hdr, sizeof(hdr), iov);
        ck_assert_int_ge(cnt, 1);
        atomic_fetch_add(&g_frames, 1); /* before the client can see the echo */
        ck_assert_int_eq(gn_conn_writev(c, iov, cnt), (ssize_t)(4 + f.len));
    }
    if (rc == GN_ECODEC_TOOLONG) {
        atomic_fetch_add(&g_toolong, 1);
        return GN_CLOSE;
    }
    ck_assert_int_eq(rc, 0);
    return GN_NONE;
}

static void frame_srv(int loops)
{
    srv_init("tcp", M_WRITE);
    S.h.on_open = frame_open;
    S.h.on_close = frame_close;
    S.h.on_traffic = frame_traffic;
    S.o.num_event_loop = loops;
    S.o.max_inbound = 4 + MAX_PAYLOAD;
    atomic_store(&g_frames, 0);
    atomic_store(&g_toolong, 0);
}

/* A stream of nframes random frames; sizes mostly small, some large. */
static unsigned char *make_stream(uint64_t *seed, int nframes, size_t *len)
{
    unsigned char *p = malloc((size_t)nframes * (4 + MAX_PAYLOAD));
    ck_assert_ptr_nonnull(p);
    size_t n = 0;
    for (int i = 0; i < nframes; i++) {
        uint64_t r = gn_test_rand(seed);
        size_t plen = r % 8 == 0 ? (size_t)(r >> 8) % MAX_PAYLOAD : (size_t)(r >> 8) % 200;
        p[n++] = (unsigned char)(plen >> 24);
        p[n++] = (unsigned char)(plen >> 16);
        p[n++] = (unsigned char)(plen >> 8);
        p[n++] = (unsigned char)plen;
        for (size_t k = 0; k < plen; k++)
            p[n++] = (unsigned char)gn_test_rand(seed);
    }
    *len = n;
    return p;
}

typedef struct sender {
    int fd;
    const unsigned char *p;
    size_t n;
    uint64_t seed;
    size_t max_piece;
} sender_t;

static void *send_main(void *arg)
{
    sender_t *s = arg;
    for (size_t at = 0; at < s->n;) {
        size_t k = 1 + (size_t)(gn_test_rand(&s->seed) % s->max_piece);
        if (k > s->n - at)
            k = s->n - at;
        ssize_t w = write(s->fd, s->p + at, k);
        if (w <= 0)
            break;
        at += (size_t)w;
    }
    return NULL;
}

/* Sends the stream in random pieces of up to max_piece bytes from a thread
 * and expects it echoed byte for byte. */
static void echo_stream(const unsigned char *p, size_t n, size_t max_piece, uint64_t seed)
{
    int fd = cli_connect();
    sender_t s = {.fd = fd, .p = p, .n = n, .seed = seed, .max_piece = max_piece};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, send_main, &s), 0);
    unsigned char *back = malloc(n + 1);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(cli_read_full(fd, back, n), n);
    pthread_join(t, NULL);
    ck_assert(memcmp(back, p, n) == 0);
    free(back);
    close(fd);
}

START_TEST(test_frame_echo)
{
    frame_srv(_i == 0 ? 1 : 3);
    srv_start();
    uint64_t seed = gn_test_seed("frame echo", 0xf4a3e0 + (uint64_t)_i);
    int nframes = (int)gn_test_scale(400, 8);
    size_t n;
    unsigned char *p = make_stream(&seed, nframes, &n);
    for (int c = 0; c < 3; c++)
        echo_stream(p, n, c == 0 ? 7 : 9000, seed + (uint64_t)c);
    ck_assert_int_eq(atomic_load(&g_frames), 3 * nframes);
    free(p);
    ck_assert(wait_count(0, 10000));
    srv_stop();
    ck_assert_int_eq(atomic_load(&g_toolong), 0);
}
END_TEST

/* Every frame arrives one byte per write: headers and payloads split at every
 * possible place between reads. */
START_TEST(test_frame_bytewise)
{
    frame_srv(1);
    srv_start();
    uint64_t seed = gn_test_seed("frame bytewise", 0xb17e);
    unsigned char stream[4 * 40 + 40 * 30];
    size_t n = 0;
    for (int i = 0; i < 40; i++) {
        size_t plen = (size_t)i % 30;
        unsigned char h[4] = {0, 0, 0, (unsigned char)plen};
        memcpy(stream + n, h, 4);
        n += 4;
        for (size_t k = 0; k < plen; k++)
            stream[n++] = (unsigned char)gn_test_rand(&seed);
    }
    echo_stream(stream, n, 1, seed);
    ck_assert_int_eq(atomic_load(&g_frames), 40);
    srv_stop();
}
END_TEST

/* A header announcing more than the maximum: the frames before it are echoed,
 * then the connection closes without the payload ever being sent. */
START_TEST(test_frame_toolong)
{
    frame_srv(1);
    srv_start();
    int fd = cli_connect();
    static const unsigned char msg[] = {0, 0, 0, 2, 'h', 'i', 0, 0x7f, 0xff, 0xff};
    ck_assert_int_eq(write(fd, msg, sizeof(msg)), (ssize_t)sizeof(msg));
    unsigned char back[6];
    ck_assert_uint_eq(cli_read_full(fd, back, 6), 6);
    ck_assert(memcmp(back, msg, 6) == 0);
    ck_assert(cli_wait_eof(fd, 10000));
    close(fd);
    ck_assert(wait_count(0, 10000));
    srv_stop();
    ck_assert_int_eq(atomic_load(&g_toolong), 1);
    ck_assert_int_eq(atomic_load(&g_frames), 1);
}
END_TEST

START_TEST(test_frame_errors)
{
    gn_codec_t codec;
    gn_codec_frame_t f;
    ck_assert_int_eq(gn_codec_init_fixed(&codec, 4), 0);
    ck_assert_int_eq(gn_conn_next_frame(NULL, &codec, &f), -EINVAL);
    ck_assert_uint_eq(f.consumed, 0);
    ck_assert_str_eq(gn_strerror(GN_ECODEC_TOOLONG), gn_codec_strerror(GN_ECODEC_TOOLONG));
    ck_assert_str_eq(gn_strerror(GN_ECODEC_CORRUPT), gn_codec_strerror(GN_ECODEC_CORRUPT));
    ck_assert_str_eq(gn_strerror(GN_ECODEC_PAYLOAD), gn_codec_strerror(GN_ECODEC_PAYLOAD));
    ck_assert_str_eq(gn_strerror(-4299), gn_codec_strerror(-4299));
}
END_TEST

void add_frame_tests(Suite *s);
void add_frame_tests(Suite *s)
{
    TCase *tc = tcase_create("frame");
    tcase_set_timeout(tc, gn_test_sanitized() ? 240 : 60);
    tcase_add_loop_test(tc, test_frame_echo, 0, 2);
    tcase_add_test(tc, test_frame_bytewise);
    tcase_add_test(tc, test_frame_toolong);
    tcase_add_test(tc, test_frame_errors);
    suite_add_tcase(s, tc);
}
