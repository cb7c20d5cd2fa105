/*
 * pcap_write.c - a capture as a pcap file of link type 220 (see
 * pcap_write.h; the layout is the one linktype.c and pcap.c read,
 * usb-stack.md 6.2 and 6.4).
 */
#include "sim/capture/pcap_write.h"

#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/capture/linktype.h"

#define PCAP_FILE_HDR 24u
#define PCAP_REC_HDR 16u
#define USBMON_MMAP_HDR 64u
#define PCAP_SNAPLEN 262144u
#define NS_PER_S 1000000000ull
#define PCAP_SEC_MAX 0xffffffffull

void cap_buf_init(struct cap_buf *b)
{
    memset(b, 0, sizeof *b);
}

void cap_buf_free(struct cap_buf *b)
{
    free(b->p);
    cap_buf_init(b);
}

static void le(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

/* The bytes of one record, checked before anything is written: the
 * record's length, or 0 when the event cannot be written (ERANGE). */
static uint64_t record_len(const struct cap_event *e)
{
    if (e->t_ns / NS_PER_S > PCAP_SEC_MAX)
        return 0;
    uint64_t n = (uint64_t)PCAP_REC_HDR + USBMON_MMAP_HDR + e->data_len;
    return n - PCAP_REC_HDR > UINT32_MAX ? 0 : n;
}

/* usbmon's 64-byte mmapped header of e (mon_bin.c's struct mon_bin_hdr). */
static void usbmon_header(uint8_t *h, const struct cap_event *e)
{
    /* the setup packet only where the reader (and Linux) gives it meaning */
    bool setup = e->has_setup && e->kind == 'S' && e->xfer == CAP_XFER_CTRL;
    memset(h, 0, USBMON_MMAP_HDR);
    le(h, e->urb, 8);
    h[8] = (uint8_t)e->kind;
    h[9] = e->xfer;
    h[10] = e->ep;
    h[11] = e->dev;
    le(h + 12, e->bus, 2);
    h[14] = setup ? 0 : '-';
    /* 0 = data present (mon_bin.c); otherwise the direction it would flow */
    h[15] = e->data_len > 0 ? 0 : (e->ep & CAP_EP_IN) ? '<' : '>';
    le(h + 16, e->t_ns / NS_PER_S, 8);
    le(h + 24, e->t_ns / 1000u % 1000000u, 4);
    le(h + 28, (uint32_t)e->status, 4);
    le(h + 32, e->length, 4);
    le(h + 36, e->data_len, 4);
    if (setup)
        memcpy(h + 40, e->setup, 8);
    /* interval, start_frame, xfer_flags, ndesc: 0 - a simulated URB has
     * no isochronous descriptors to carry */
}

static void file_header(uint8_t *h, uint32_t snaplen)
{
    le(h, CAP_PCAP_MAGIC_NS, 4);
    le(h + 4, 2, 2);
    le(h + 6, 4, 2);
    le(h + 8, 0, 8);  /* thiszone, sigfigs */
    le(h + 16, snaplen, 4);
    le(h + 20, CAP_LINKTYPE_USB_LINUX_MMAPPED, 4);
}

/* The record's length on the wire: what libpcap gives a usbmon record
 * (header + urb_len) when the event is the one that carries the data - an
 * OUT submission, an IN completion - and the capture kept less of it;
 * else the captured length. Wireshark then sees data cut by the snap
 * length (as it was) rather than a descriptor that runs past its packet
 * (malformed). */
static uint32_t orig_len(const struct cap_event *e)
{
    uint32_t caplen = USBMON_MMAP_HDR + e->data_len;
    bool in = (e->ep & CAP_EP_IN) != 0;
    bool carries = (e->kind == 'S' && !in) || (e->kind == 'C' && in);
    if (!carries || e->length <= e->data_len)
        return caplen;
    uint64_t n = (uint64_t)caplen + (e->length - e->data_len);
    return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static void record(uint8_t *p, const struct cap_capture *c, const struct cap_event *e)
{
    uint32_t caplen = USBMON_MMAP_HDR + e->data_len;
    le(p, e->t_ns / NS_PER_S, 4);
    le(p + 4, e->t_ns % NS_PER_S, 4);
    le(p + 8, caplen, 4);
    le(p + 12, orig_len(e), 4);
    usbmon_header(p + PCAP_REC_HDR, e);
    if (e->data_len > 0)
        memcpy(p + PCAP_REC_HDR + USBMON_MMAP_HDR, cap_data(c, e), e->data_len);
}

/* Room for more bytes past out->n; false when out of memory or past
 * SIZE_MAX (nothing changed). */
static bool reserve(struct cap_buf *out, uint64_t more)
{
    if (more > SIZE_MAX - out->n)
        return false;
    size_t want = out->n + (size_t)more;
    if (want <= out->cap)
        return true;
    size_t cap = out->cap > 0 ? out->cap : 4096;
    while (cap < want)
        cap = cap > SIZE_MAX / 2 ? want : cap * 2;
    uint8_t *p = realloc(out->p, cap);
    if (p == NULL)
        return false;
    out->p = p;
    out->cap = cap;
    return true;
}

enum iosim_err cap_write_pcap(const struct cap_capture *c, struct cap_buf *out)
{
    ASSERT(c != NULL && out != NULL);
    ASSERT(out->n <= out->cap);
    uint64_t total = PCAP_FILE_HDR, caplen_max = 0;
    for (size_t i = 0; i < c->n; i++) {
        uint64_t n = record_len(&c->ev[i]);
        if (n == 0)
            return IOSIM_ERANGE;
        total += n;
        caplen_max = n - PCAP_REC_HDR > caplen_max ? n - PCAP_REC_HDR : caplen_max;
    }
    if (!reserve(out, total))
        return IOSIM_ENOMEM;
    uint8_t *p = out->p + out->n;
    file_header(p, caplen_max > PCAP_SNAPLEN ? (uint32_t)caplen_max : PCAP_SNAPLEN);
    p += PCAP_FILE_HDR;
    for (size_t i = 0; i < c->n; i++) {
        record(p, c, &c->ev[i]);
        p += PCAP_REC_HDR + USBMON_MMAP_HDR + c->ev[i].data_len;
    }
    ASSERT((uint64_t)(p - (out->p + out->n)) == total);
    out->n += (size_t)total;
    return IOSIM_OK;
}
