/* Randomized tests against the reference model: random settings, random
 * streams (valid frames, too-long frames, partial delimiters, garbage); each
 * stream is fed to every decode variant cut at every byte boundary, and in
 * random pieces, and must give exactly the model's events. The seed is
 * printed; replay a failure with GN_TEST_SEED=<seed>. */
#include "codectest.h"

#include <stdlib.h>
#include <string.h>

static uint64_t rnd(uint64_t *s, uint64_t n)
{
    return gn_test_rand(s) % n;
}

static void random_cfg(uint64_t *s, ct_cfg_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->kind = (int)rnd(s, 4);
    switch (cfg->kind) {
    case CT_LINE:
        cfg->max = 1 + rnd(s, 12);
        cfg->flags = (unsigned)rnd(s, 4); /* KEEP_DELIM, CRLF */
        break;
    case CT_DELIM: {
        static const char *const delims[] = {"|", "ab", "aab", "\r\n", "aaaa", "abcab"};
        const char *d = delims[rnd(s, 6)];
        cfg->dlen = strlen(d);
        memcpy(cfg->delim, d, cfg->dlen);
        cfg->max = 1 + rnd(s, 12);
        cfg->flags = (unsigned)rnd(s, 2);
        break;
    }
    case CT_FIXED:
        cfg->max = 1 + rnd(s, 9);
        break;
    default: {
        static const unsigned sizes[] = {1, 2, 3, 4, 8};
        gn_codec_length_field_t *o = &cfg->lf;
        o->length_field_size = sizes[rnd(s, 5)];
        o->length_field_offset = rnd(s, 3);
        o->length_adjustment = (int64_t)rnd(s, 7) - 3;
        o->length_includes_header = rnd(s, 2) != 0;
        o->little_endian = rnd(s, 2) != 0;
        size_t hdr = o->length_field_offset + o->length_field_size;
        o->initial_bytes_to_strip = rnd(s, hdr + 2);
        o->max_frame_length = hdr + rnd(s, 24);
        break;
    }
    }
}

/* Appends one random frame (or noise) for cfg to buf. */
static size_t random_piece(uint64_t *s, const ct_cfg_t *cfg, unsigned char *buf)
{
    size_t n = 0;
    if (cfg->kind == CT_LENGTH) {
        gn_codec_t c;
        ct_cfg_init(cfg, &c);
        unsigned char payload[64], hdr[GN_CODEC_HEADER_MAX];
        size_t len = rnd(s, 30);
        for (size_t i = 0; i < len; i++)
            payload[i] = (unsigned char)rnd(s, 256);
        struct iovec iov[2];
        int cnt = gn_codec_encode(&c, payload, len, hdr, sizeof(hdr), iov);
        gn_codec_release(&c);
        if (cnt >= 0 && rnd(s, 8) != 0) {
            for (int i = 0; i < cnt; i++) {
                memcpy(buf + n, iov[i].iov_base, iov[i].iov_len);
                n += iov[i].iov_len;
            }
            return n;
        }
        /* A header with a random length (too long, corrupt...) and a body. */
        size_t h = cfg->lf.length_field_offset + cfg->lf.length_field_size;
        for (size_t i = 0; i < h; i++)
            buf[n++] = rnd(s, 3) == 0 ? (unsigned char)rnd(s, 256) : 0;
        for (size_t i = 0; i < len; i++)
            buf[n++] = payload[i];
        return n;
    }
    /* Bytes from a small alphabet that makes delimiters and near-misses. */
    static const char alpha[] = "ab|\r\nc";
    size_t len = rnd(s, 3) == 0 ? rnd(s, 40) : rnd(s, 10);
    for (size_t i = 0; i < len; i++)
        buf[n++] = (unsigned char)alpha[rnd(s, sizeof(alpha) - 1)];
    return n;
}

/* Runs one stream through every variant at every single cut, and in random
 * pieces, comparing with the model. */
static void check_stream(uint64_t *s, const ct_cfg_t *cfg, const unsigned char *p, size_t n)
{
    ct_log_t want;
    ct_log_init(&want);
    ct_model_decode(cfg, p, n, &want);
    for (int v = 0; v < CT_NVARIANTS; v++) {
        for (size_t k = 0; k <= n; k++) {
            ct_log_t got;
            ct_log_init(&got);
            ct_drive(cfg, v, p, n, &k, 1, &got);
            char what[64];
            snprintf(what, sizeof(what), "%s cut at %zu of %zu", ct_variant_names[v], k, n);
            ct_log_expect_eq(&got, &want, what);
            ct_log_free(&got);
        }
        size_t cuts[64], nc = 0, at = 0;
        while (nc < 64 && at < n) {
            at += 1 + rnd(s, 8);
            if (at < n)
                cuts[nc++] = at;
        }
        ct_log_t got;
        ct_log_init(&got);
        ct_drive(cfg, v, p, n, cuts, nc, &got);
        ct_log_expect_eq(&got, &want, ct_variant_names[v]);
        ct_log_free(&got);
    }
    ct_log_free(&want);
}

START_TEST(test_split_model)
{
    uint64_t s = gn_test_seed("codec split model", 0x5eed0c0dec);
    long rounds = gn_test_scale(1500, 10);
    unsigned char buf[4096];
    for (long r = 0; r < rounds; r++) {
        ct_cfg_t cfg;
        random_cfg(&s, &cfg);
        size_t n = 0;
        size_t pieces = 1 + rnd(&s, 12);
        for (size_t i = 0; i < pieces && n < sizeof(buf) - 200; i++)
            n += random_piece(&s, &cfg, buf + n);
        check_stream(&s, &cfg, buf, n);
    }
}
END_TEST

/* Every framing's encoder output, cut at every byte, decodes to the payloads. */
START_TEST(test_split_encoded)
{
    uint64_t s = gn_test_seed("codec split encoded", 0xe1c0de);
    long rounds = gn_test_scale(300, 10);
    for (long r = 0; r < rounds; r++) {
        ct_cfg_t cfg;
        random_cfg(&s, &cfg);
        gn_codec_t c;
        ct_cfg_init(&cfg, &c);
        unsigned char wire[4096], payload[64], hdr[GN_CODEC_HEADER_MAX];
        size_t n = 0;
        int frames = 0;
        for (int i = 0; i < 20; i++) {
            size_t len = cfg.kind == CT_FIXED ? cfg.max : rnd(&s, 20);
            for (size_t j = 0; j < len; j++)
                payload[j] = (unsigned char)"xyab|\r"[rnd(&s, 6)];
            struct iovec iov[2];
            int cnt = gn_codec_encode(&c, payload, len, hdr, sizeof(hdr), iov);
            if (cnt < 0)
                continue;
            for (int k = 0; k < cnt; k++) {
                memcpy(wire + n, iov[k].iov_base, iov[k].iov_len);
                n += iov[k].iov_len;
            }
            frames++;
        }
        gn_codec_release(&c);
        ct_log_t want;
        ct_log_init(&want);
        ct_model_decode(&cfg, wire, n, &want);
        ck_assert_uint_eq(want.n, (size_t)frames);
        for (size_t i = 0; i < want.n; i++)
            ck_assert_int_eq(want.ev[i].rc, 1);
        ct_log_free(&want);
        check_stream(&s, &cfg, wire, n);
    }
}
END_TEST

TCase *ct_tc_split(void)
{
    TCase *tc = tcase_create("split");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_split_model);
    tcase_add_test(tc, test_split_encoded);
    return tc;
}
