/* gnet-codec: frame codecs over a byte stream, as netty's and gnet v1's.
 *
 * Four framings, each a decoder and an encoder:
 *   line          frames end with "\n" (optionally "\r\n"); a maximum length
 *   delimiter     frames end with any byte string (1..GN_CODEC_DELIM_MAX bytes)
 *   fixed length  every frame has the same size
 *   length field  a length field in a header says how long the frame is, with
 *                 netty's LengthFieldBasedFrameDecoder options (byte order,
 *                 field offset, size 1/2/3/4/8, adjustment, bytes to strip,
 *                 whether the length counts the header, maximum frame length)
 *
 * Decoding. A gn_codec_t holds one stream's decoding state. Each decode call
 * is given the stream's unconsumed bytes from their start (what earlier calls
 * left, followed by new bytes), either as plain memory (gn_codec_decode,
 * gn_codec_decode_iov) or as a gnet-buffer (gn_codec_decode_ringbuf, _listbuf,
 * _mixbuf), and returns
 *   1                  a frame: f->data / f->len
 *   0                  no frame yet: more bytes are needed
 *   GN_ECODEC_TOOLONG  the next frame is longer than the maximum; it is dropped
 *                      (its bytes are skipped, now and by later calls, without
 *                      ever being buffered whole) and decoding resumes after it
 *   GN_ECODEC_CORRUPT  a length field holds an impossible value; the stream
 *                      cannot be resynchronised and should be closed
 *   -EINVAL            bad arguments (f->consumed is 0)
 *   -ENOMEM            no memory to copy a frame that is not contiguous; call
 *                      again later (f->consumed counts only skipped bytes)
 * and in every case sets f->consumed: the number of bytes the caller must
 * discard from the front of its input after using the frame (the frame itself,
 * plus any bytes of a too-long frame skipped before it). Do it even when the
 * call returned 0 or GN_ECODEC_TOOLONG, or the stream loses its place.
 *
 *     gn_codec_frame_t f;
 *     int rc;
 *     while ((rc = gn_codec_decode_ringbuf(&codec, &ring, &f)) >= 0) {
 *         if (rc == 1)
 *             handle(f.data, f.len);
 *         gn_ringbuf_discard(&ring, f.consumed);
 *         if (rc == 0)
 *             break;
 *     }
 *     if (rc == GN_ECODEC_TOOLONG) { discard f.consumed and decode on, or close }
 *
 * A frame is a zero-copy view into the input when its bytes are contiguous
 * there; otherwise (a ring that wraps, list blocks) it is copied into memory
 * the codec owns, at most the maximum frame length. f->data stays valid until
 * the next call on this codec and no longer than the input stays unchanged.
 * The buffer variants never consume the frame's bytes themselves (the view
 * points into them), but may discard bytes of a too-long frame they skip.
 *
 * Memory never grows with a too-long frame: decoding looks at no more than the
 * maximum frame length (plus the delimiter) at a time, and what a codec
 * allocates (the copy above, an iovec array for list blocks) is bounded by it.
 *
 * Encoding. gn_codec_encode writes the framing (a header for the length field,
 * nothing for the others) into caller memory and returns iovecs ready for
 * writev: the header, the payload (never copied) and the delimiter. A frame
 * it encodes decodes back to the same payload with the same codec settings.
 *
 * Thread rule: a codec is a single-threaded object (it holds one stream's
 * state); use one per stream. gn_codec_encode and gn_codec_header_len only
 * read the settings and may run on any thread while no init, release or
 * decode call runs on the same codec.
 *
 * Errors: 0 (or a non-negative count) on success, otherwise a negative errno
 * (-EINVAL, -ENOMEM, -ENOBUFS) or a GN_ECODEC_* code (-4200..-4299);
 * gn_codec_strerror() describes both. Bad input never crashes: NULL pointers,
 * out-of-range settings and payloads that cannot be framed are errors.
 */
#ifndef GNET_CODEC_H
#define GNET_CODEC_H

#include <gnet/listbuf.h>
#include <gnet/mixbuf.h>
#include <gnet/ringbuf.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- error codes (range -4200..-4299) ------------------------------------ */
/* clang-format off */
#define GN_ECODEC_TOOLONG (-4200) /* frame longer than the codec's maximum */
#define GN_ECODEC_CORRUPT (-4201) /* length field value impossible for the framing */
#define GN_ECODEC_PAYLOAD (-4202) /* encode: payload cannot be framed (see gn_codec_encode) */
/* clang-format on */

/* Text for a GN_ECODEC_* code or a negative errno (strerror's text); a generic
 * text for anything else. The string is constant. */
GN_EXPORT const char *gn_codec_strerror(int err);

/* ---- settings ------------------------------------------------------------ */

/* Longest delimiter gn_codec_init_delimiter accepts. */
#define GN_CODEC_DELIM_MAX 32
/* Largest header gn_codec_encode writes (length field offset + size). */
#define GN_CODEC_HEADER_MAX 64

/* Flags for the line and delimiter codecs. */
/* Frames keep their delimiter (by default it is stripped). The maximum length
 * still counts the bytes before the delimiter only, as in netty. */
#define GN_CODEC_KEEP_DELIM 0x1u
/* Line codec: a "\r" just before the "\n" belongs to the delimiter (stripped
 * with it), and the encoder ends lines with "\r\n". */
#define GN_CODEC_CRLF 0x2u

/* The length field codec's settings (netty's LengthFieldBasedFrameDecoder).
 * A frame is: length_field_offset bytes, the length field, then the rest; the
 * frame's total size is
 *     length_field_offset + length_field_size + value + length_adjustment
 *     (- length_field_offset - length_field_size when length_includes_header)
 * and the decoded frame is that minus its first initial_bytes_to_strip bytes. */
typedef struct gn_codec_length_field {
    size_t max_frame_length;       /* most bytes a whole frame may have (header included); > 0 */
    size_t length_field_offset;    /* bytes before the length field */
    unsigned length_field_size;    /* 1, 2, 3, 4 or 8 bytes (unsigned; 8-byte values above
                                      INT64_MAX are corrupt, as netty's signed long) */
    int64_t length_adjustment;     /* added to the value to get the bytes after the field */
    size_t initial_bytes_to_strip; /* bytes dropped from the front of each decoded frame */
    bool length_includes_header;   /* the value also counts offset + field bytes */
    bool little_endian;            /* byte order of the field (default: big endian) */
} gn_codec_length_field_t;

/* Public so it can be embedded (one per connection, no extra allocation);
 * every field is private: use the functions. */
typedef struct gn_codec {
    unsigned kind;                           /* private: GN__CODEC_LINE... */
    unsigned flags;                          /* private: GN_CODEC_* flags */
    size_t max;                              /* private: max content / fixed frame length */
    gn_codec_length_field_t lf;              /* private: length field settings */
    int64_t adj;                             /* private: adjustment, header included or not */
    size_t hdr;                              /* private: length_field_offset + length_field_size */
    unsigned char delim[GN_CODEC_DELIM_MAX]; /* private: the delimiter */
    size_t dlen;                             /* private: its length */
    size_t skip;                             /* private: bytes of a too-long frame still to drop
                                                (SIZE_MAX: up to the next delimiter) */
    size_t scanned;                          /* private: bytes known to hold no delimiter */
    unsigned char *copy;                     /* private: frames that are not contiguous */
    size_t copy_cap;                         /* private */
    struct iovec *iov;                       /* private: iovecs over list blocks */
    size_t iov_cap;                          /* private */
} gn_codec_t;

/* Each init overwrites the whole struct with the settings and an empty stream
 * state, allocating nothing; a codec that decoded frames may hold memory, so
 * gn_codec_release it before initialising it again. All return 0, or -EINVAL
 * for c NULL and settings out of range (c is then left unchanged). */

/* Line codec: frames end with "\n" (and "\r\n" with GN_CODEC_CRLF); at most
 * max_len bytes before the delimiter (> 0). flags: GN_CODEC_KEEP_DELIM,
 * GN_CODEC_CRLF. */
GN_EXPORT int gn_codec_init_line(gn_codec_t *c, size_t max_len, unsigned flags);

/* Delimiter codec: frames end with the dlen bytes at delim (1..GN_CODEC_DELIM_MAX,
 * copied); at most max_len bytes before the delimiter (> 0). flags:
 * GN_CODEC_KEEP_DELIM. */
GN_EXPORT int gn_codec_init_delimiter(gn_codec_t *c, const void *delim, size_t dlen, size_t max_len,
                                      unsigned flags);

/* Fixed-length codec: every frame is frame_len bytes (> 0). */
GN_EXPORT int gn_codec_init_fixed(gn_codec_t *c, size_t frame_len);

/* Length field codec with the settings in *o (copied). -EINVAL when o is NULL,
 * the field size is not 1, 2, 3, 4 or 8, max_frame_length is 0 or smaller than
 * length_field_offset + length_field_size, or that sum overflows. */
GN_EXPORT int gn_codec_init_length_field(gn_codec_t *c, const gn_codec_length_field_t *o);

/* Forgets the stream state (a frame being skipped, scan progress) so the codec
 * decodes a new stream; keeps settings and memory. NULL is a no-op. */
GN_EXPORT void gn_codec_reset(gn_codec_t *c);

/* Frees the memory the codec holds and resets the stream state; the settings
 * stay, so the codec remains usable. Call it before discarding the struct.
 * NULL is a no-op. */
GN_EXPORT void gn_codec_release(gn_codec_t *c);

/* ---- decoding -------------------------------------------------------------- */

/* What a decode call produced: the frame (when it returned 1) and, always,
 * the bytes to discard from the input. */
typedef struct gn_codec_frame {
    const void *data; /* the frame's bytes (delimiter stripped or kept, header stripped) */
    size_t len;       /* their count */
    size_t consumed;  /* bytes to discard from the input after this call */
} gn_codec_frame_t;

/* Decodes the next frame from the n bytes at p (the stream's unconsumed bytes,
 * from their start). Returns 1, 0, GN_ECODEC_TOOLONG or GN_ECODEC_CORRUPT as
 * described at the top, always setting *f; -EINVAL when c or f is NULL, p NULL
 * with n > 0, or c never initialised. A frame here is always zero-copy. */
GN_EXPORT int gn_codec_decode(gn_codec_t *c, const void *p, size_t n, gn_codec_frame_t *f);

/* As gn_codec_decode, over the bytes of iov[0..iovcnt) taken in order as one
 * input (a ring's peek followed by newer bytes elsewhere, say); empty entries
 * are fine. The frame is zero-copy when it lies inside one entry, otherwise
 * copied into codec memory (-ENOMEM when that fails). -EINVAL when c or f is
 * NULL, iovcnt < 0, iov NULL with iovcnt > 0, an iov_base NULL with iov_len > 0,
 * or lengths that overflow. */
GN_EXPORT int gn_codec_decode_iov(gn_codec_t *c, const struct iovec *iov, int iovcnt,
                                  gn_codec_frame_t *f);

/* As gn_codec_decode, over the bytes buffered in rb, which stays unchanged
 * except for bytes of a too-long frame being skipped. The frame is zero-copy
 * unless it wraps around the ring's end; -ENOMEM when the copy of a wrapped
 * frame cannot be allocated. */
GN_EXPORT int gn_codec_decode_ringbuf(gn_codec_t *c, gn_ringbuf_t *rb, gn_codec_frame_t *f);

/* As gn_codec_decode_ringbuf, over a list buffer; zero-copy when the frame is
 * inside one block. */
GN_EXPORT int gn_codec_decode_listbuf(gn_codec_t *c, gn_listbuf_t *lb, gn_codec_frame_t *f);

/* As gn_codec_decode_ringbuf, over a mixed buffer; zero-copy when the frame is
 * inside the ring's first segment or one list block. */
GN_EXPORT int gn_codec_decode_mixbuf(gn_codec_t *c, gn_mixbuf_t *mb, gn_codec_frame_t *f);

/* ---- encoding -------------------------------------------------------------- */

/* Bytes of header gn_codec_encode writes for this codec: length_field_offset +
 * length_field_size for the length field codec, 0 for the others (0 for NULL). */
GN_EXPORT size_t gn_codec_header_len(const gn_codec_t *c);

/* Frames the len bytes at payload: writes the header (gn_codec_header_len bytes)
 * into hdr and points iov at header, payload and delimiter in wire order,
 * skipping empty parts. Returns the number of iovecs filled (0..2; unused ones
 * are {NULL, 0}); writev(fd, iov, rc) then sends the frame. Nothing is copied
 * but the header; iov points at hdr, payload and the codec's delimiter, valid
 * while they are.
 *
 * Length field: the bytes before the length field are written as zeroes (set
 * them in hdr after the call if the format gives them a meaning); payload is
 * everything after the length field, so a decoder with the same settings
 * returns (header + payload) minus its first initial_bytes_to_strip bytes.
 *
 * Errors: -EINVAL (c, iov NULL, payload NULL with len > 0, hdr NULL when a
 * header is needed), -ENOBUFS (hdr_cap smaller than gn_codec_header_len),
 * GN_ECODEC_TOOLONG (the frame is longer than the maximum, or its length does
 * not fit the length field), GN_ECODEC_PAYLOAD (the payload contains the
 * delimiter, so it would decode as several frames; a fixed-length payload of
 * another length; a length field value that the adjustment makes negative). */
GN_EXPORT int gn_codec_encode(const gn_codec_t *c, const void *payload, size_t len, void *hdr,
                              size_t hdr_cap, struct iovec iov[2]);

#ifdef __cplusplus
}
#endif
#endif
