/* Shared helpers of the gnet-codec Check suite: an event log (what a decoder
 * produced from a stream), the drivers that feed a stream to each decode
 * variant in pieces, and a reference model of every framing. */
#ifndef GN_CODECTEST_H
#define GN_CODECTEST_H

#include "gn_test.h"

#include <gnet/codec.h>

#include <errno.h>

#include <stddef.h>
#include <stdint.h>

/* Assertions for hot loops (Check's ck_assert_* writes a checkpoint per call). */
#define CT_CHECK(c)                                                                                \
    do {                                                                                           \
        if (!(c))                                                                                  \
            ck_abort_msg("%s:%d: check failed: %s", __FILE__, __LINE__, #c);                       \
    } while (0)

/* One decoder outcome: a frame (its bytes) or an error code. */
typedef struct ct_event {
    int rc;          /* 1 for a frame, else GN_ECODEC_TOOLONG / GN_ECODEC_CORRUPT */
    size_t off, len; /* the frame's bytes in the log's byte store */
} ct_event_t;

typedef struct ct_log {
    ct_event_t *ev;
    size_t n, cap;
    unsigned char *bytes;
    size_t nbytes, bytes_cap;
    int corrupt; /* a CORRUPT ended the stream */
} ct_log_t;

void ct_log_init(ct_log_t *l);
void ct_log_free(ct_log_t *l);
void ct_log_add(ct_log_t *l, int rc, const void *p, size_t len);
/* Fails the test (with what) when the two logs differ. */
void ct_log_expect_eq(const ct_log_t *got, const ct_log_t *want, const char *what);

/* A codec's settings as the tests know them (the codec's fields are private). */
enum { CT_LINE, CT_DELIM, CT_FIXED, CT_LENGTH };
typedef struct ct_cfg {
    int kind;
    size_t max; /* max content length, or the fixed frame length */
    unsigned flags;
    unsigned char delim[GN_CODEC_DELIM_MAX];
    size_t dlen;
    gn_codec_length_field_t lf;
} ct_cfg_t;

/* Initialises c from cfg; fails the test if the init fails. */
void ct_cfg_init(const ct_cfg_t *cfg, gn_codec_t *c);

/* Reference model: the events a decoder with these settings must produce from
 * the whole stream, written independently of the library. */
void ct_model_decode(const ct_cfg_t *cfg, const unsigned char *p, size_t n, ct_log_t *out);

/* How a driver feeds a stream. */
enum { CT_FLAT, CT_RING, CT_LIST, CT_MIX, CT_IOV, CT_NVARIANTS };
extern const char *const ct_variant_names[CT_NVARIANTS];

/* Feeds p[0..n) to a fresh codec made from cfg through the variant, in pieces whose
 * ends are cuts[0..ncuts) (increasing offsets, n implied last), decoding all it
 * can after each piece; records the events in out. */
void ct_drive(const ct_cfg_t *cfg, int variant, const unsigned char *p, size_t n,
              const size_t *cuts, size_t ncuts, ct_log_t *out);

TCase *ct_tc_basic(void);
TCase *ct_tc_netty(void);
TCase *ct_tc_encode(void);
TCase *ct_tc_split(void);
TCase *ct_tc_badinput(void);

#endif
