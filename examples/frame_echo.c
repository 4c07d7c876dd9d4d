/* frame_echo: an echo server for length-prefixed frames, on the engine and
 * gnet-codec.
 *
 *   frame_echo [-p PORT | -a ADDR] [-t LOOPS] [-l MAX_PAYLOAD]
 *
 * A frame is a 4-byte big-endian payload length and the payload; each frame
 * received is sent back as a frame (re-encoded, the payload not copied). A
 * frame with a payload over MAX_PAYLOAD bytes (default 1 MiB) closes the
 * connection: the codec reports it from the header alone, before the payload
 * is buffered. Every connection has its own codec, kept in its context. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* getopt when built without the Makefile */
#endif
#include <gnet/gnet.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static size_t g_max_payload = 1 << 20;

static gn_action_t on_open(gn_conn_t *c)
{
    gn_codec_t *codec = malloc(sizeof(*codec));
    gn_codec_length_field_t o = {
        .max_frame_length = 4 + g_max_payload, .length_field_size = 4, .initial_bytes_to_strip = 4};
    if (codec == NULL || gn_codec_init_length_field(codec, &o) != 0) {
        free(codec);
        return GN_CLOSE;
    }
    gn_conn_set_context(c, codec);
    return GN_NONE;
}

static gn_action_t on_close(gn_conn_t *c, int err)
{
    gn_codec_t *codec = gn_conn_context(c);
    if (codec != NULL) {
        gn_codec_release(codec);
        free(codec);
    }
    return GN_NONE;
}

static gn_action_t on_traffic(gn_conn_t *c)
{
    gn_codec_t *codec = gn_conn_context(c);
    gn_codec_frame_t f;
    int rc;
    while ((rc = gn_conn_next_frame(c, codec, &f)) == 1) {
        unsigned char hdr[GN_CODEC_HEADER_MAX];
        struct iovec iov[2];
        int cnt = gn_codec_encode(codec, f.data, f.len, hdr, sizeof(hdr), iov);
        if (cnt < 0 || gn_conn_writev(c, iov, cnt) < 0)
            return GN_CLOSE;
    }
    if (rc < 0) { /* too long, or out of memory: this peer is done */
        fprintf(stderr, "frame_echo: closing connection %d: %s\n", gn_conn_fd(c), gn_strerror(rc));
        return GN_CLOSE;
    }
    return GN_NONE;
}

static int usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [-p PORT | -a ADDR] [-t LOOPS] [-l MAX_PAYLOAD]\n", argv0);
    return 2;
}

int main(int argc, char **argv)
{
    char addr[512] = "tcp://127.0.0.1:9000";
    gn_options_t o = {0};
    int opt;
    while ((opt = getopt(argc, argv, "a:p:t:l:")) != -1) {
        switch (opt) {
        case 'a':
            snprintf(addr, sizeof addr, "%s", optarg);
            break;
        case 'p':
            snprintf(addr, sizeof addr, "tcp://127.0.0.1:%s", optarg);
            break;
        case 't':
            o.num_event_loop = atoi(optarg);
            break;
        case 'l':
            g_max_payload = strtoul(optarg, NULL, 0);
            break;
        default:
            return usage(argv[0]);
        }
    }
    if (g_max_payload == 0 || g_max_payload > (1u << 30))
        return usage(argv[0]);
    /* Unconsumed bytes of one frame may wait in the inbound ring. */
    o.max_inbound = 4 + g_max_payload;
    gn_handler_t h = {.on_open = on_open, .on_close = on_close, .on_traffic = on_traffic};
    int rc = gn_run(&h, addr, &o);
    if (rc < 0) {
        fprintf(stderr, "frame_echo: %s: %s\n", addr, gn_strerror(rc));
        return 1;
    }
    return 0;
}
