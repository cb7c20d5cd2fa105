/*
 * linktype.c - one packet of a USB link type into cap_events: Linux
 * usbmon's binary header (189, 220) and USBPcap's (249). See linktype.h.
 */
#include "sim/capture/linktype.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "impl/port/check.h"

#define USBMON_HDR 48u
#define USBMON_MMAP_HDR 64u
#define USBMON_ISO_DESC 16u
#define USBPCAP_HDR 27u
#define USBPCAP_CTRL_HDR 28u
#define USBD_STATUS_STALL_PID 0xC0000004u
#define EINPROGRESS_NEG (-115)
#define EPIPE_NEG (-32)
#define EPROTO_NEG (-71)

const char *cap_linktype_name(uint32_t linktype)
{
    switch (linktype) {
    case 0: return "BSD loopback";
    case 1: return "Ethernet";
    case 101: return "raw IP";
    case 105: return "802.11";
    case 113: return "Linux cooked";
    case 127: return "802.11 radiotap";
    case 186: return "USB with a non-Linux header";
    case CAP_LINKTYPE_USB_LINUX: return "Linux usbmon";
    case CAP_LINKTYPE_USB_LINUX_MMAPPED: return "Linux usbmon mmapped";
    case CAP_LINKTYPE_USBPCAP: return "USBPcap";
    case 276: return "Linux cooked v2";
    default: return NULL;
    }
}

bool cap_linktype_usb(uint32_t linktype)
{
    return linktype == CAP_LINKTYPE_USB_LINUX || linktype == CAP_LINKTYPE_USB_LINUX_MMAPPED ||
           linktype == CAP_LINKTYPE_USBPCAP;
}

enum iosim_err cap_fail_at(struct cap_error *err, uint64_t offset, const char *fmt, ...)
{
    if (err != NULL) {
        err->line = 0;
        err->col = 0;
        err->offset = offset;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return IOSIM_EPARSE;
}

/* usbmon's binary header (usb-stack.md 6.2), in the file's byte order. */
static enum iosim_err usbmon(const struct cap_packet *k, struct cap_capture *out,
                             struct cap_error *err)
{
    const bool mm = k->linktype == CAP_LINKTYPE_USB_LINUX_MMAPPED;
    const uint32_t hdr = mm ? USBMON_MMAP_HDR : USBMON_HDR;
    const uint8_t *p = k->p;
    const unsigned long long rec = (unsigned long long)k->rec;
    if (k->caplen < hdr)
        return cap_fail_at(err, k->off, "%s at byte %llu: %u captured bytes, fewer than the %u-byte usbmon header",
                           k->what, rec, k->caplen, hdr);
    struct cap_event e = {.where = k->rec, .t_ns = k->t_ns};
    e.urb = cap_rd64(p, k->big);
    if (p[8] != 'S' && p[8] != 'C' && p[8] != 'E')
        return cap_fail_at(err, k->off + 8, "%s at byte %llu: usbmon event type 0x%02x: want 'S', 'C' or 'E'",
                           k->what, rec, p[8]);
    e.kind = (char)p[8];
    if (p[9] > CAP_XFER_BULK)
        return cap_fail_at(err, k->off + 9, "%s at byte %llu: usbmon transfer type %u: want 0 to 3",
                           k->what, rec, p[9]);
    e.xfer = p[9];
    if ((p[10] & 0x7fu) > 15)
        return cap_fail_at(err, k->off + 10, "%s at byte %llu: endpoint %u: want 0 to 15 (bit 7 = IN)",
                           k->what, rec, p[10] & 0x7fu);
    e.ep = p[10];
    if (p[11] > 127)
        return cap_fail_at(err, k->off + 11, "%s at byte %llu: device address %u: want 0 to 127",
                           k->what, rec, p[11]);
    e.dev = p[11];
    e.bus = cap_rd16(p + 12, k->big);
    /* flag_setup 0 = the setup packet is there; it means something on a
     * control submission only (elsewhere offset 40 is the isochronous
     * error count and descriptor count) */
    e.has_setup = p[14] == 0 && e.kind == 'S' && e.xfer == CAP_XFER_CTRL;
    if (e.has_setup)
        memcpy(e.setup, p + 40, 8);
    e.status = (int32_t)cap_rd32(p + 28, k->big);
    e.length = cap_rd32(p + 32, k->big);
    uint32_t at = hdr;
    if (mm && e.xfer == CAP_XFER_ISO) {
        uint32_t ndesc = cap_rd32(p + 60, k->big);
        if (ndesc > (k->caplen - hdr) / USBMON_ISO_DESC)
            return cap_fail_at(err, k->off + 60, "%s at byte %llu: %u isochronous descriptors of 16 bytes do not fit the %u bytes after the header",
                               k->what, rec, ndesc, k->caplen - hdr);
        at += ndesc * USBMON_ISO_DESC;
    }
    e.data_len = k->caplen - at; /* the record's length decides, not len_cap */
    ASSERT(at <= k->caplen);
    return cap_push(out, &e, p + at);
}

/* USBD_STATUS to the negative errno the usbmon side would show: 0 stays
 * 0, STALL_PID is -EPIPE (-32), every other failure -EPROTO (-71). */
static int32_t usbd_status(uint32_t s)
{
    return s == 0 ? 0 : s == USBD_STATUS_STALL_PID ? EPIPE_NEG : EPROTO_NEG;
}

/* A control record's stage (0 setup, 1 data, 2 status) onto e, which holds
 * the record's common fields; *done when it was merged into the event
 * before it instead (an OUT data stage after its setup, a status stage
 * after its data). */
static enum iosim_err usbpcap_ctrl(const struct cap_packet *k, uint32_t hlen, struct cap_event *e,
                                   const uint8_t **data, struct cap_capture *out,
                                   struct cap_error *err, bool *done)
{
    const unsigned long long rec = (unsigned long long)k->rec;
    struct cap_event *last = out->n > 0 ? &out->ev[out->n - 1] : NULL;
    bool same = last != NULL && last->urb == e->urb && last->kind == e->kind &&
                last->bus == e->bus && last->dev == e->dev;
    *done = false;
    ASSERT(hlen >= USBPCAP_CTRL_HDR);
    uint8_t stage = k->p[27];
    if (stage > 2)
        return cap_fail_at(err, k->off + 27, "%s at byte %llu: control stage %u: want 0 (setup), 1 (data) or 2 (status)",
                           k->what, rec, stage);
    if (stage == 0) {
        if (e->kind != 'S')
            return cap_fail_at(err, k->off + 16, "%s at byte %llu: a SETUP stage on the completion path",
                               k->what, rec);
        if (e->data_len < 8)
            return cap_fail_at(err, k->off + 23, "%s at byte %llu: a SETUP stage with %u bytes: the setup packet has 8",
                               k->what, rec, e->data_len);
        e->has_setup = true;
        memcpy(e->setup, *data, 8);
        e->length = (uint32_t)(e->setup[6] | e->setup[7] << 8); /* wLength, as usbmon */
        e->data_len -= 8;
        *data += 8;
        return IOSIM_OK;
    }
    if (stage == 2 && e->kind != 'C')
        return cap_fail_at(err, k->off + 16, "%s at byte %llu: a STATUS stage on the submission path",
                           k->what, rec);
    if (stage == 1 && e->kind == 'S') {
        /* OUT data after its SETUP record: one submission with its data */
        if (!same || !last->has_setup || last->data_len != 0)
            return cap_fail_at(err, k->off + 27, "%s at byte %llu: an OUT DATA stage not right after its SETUP stage",
                               k->what, rec);
        struct cap_event merged = *last;
        merged.data_len = e->data_len;
        out->n--; /* its data_len is 0: nothing to take back from out->data */
        *done = true;
        return cap_push(out, &merged, *data);
    }
    if (stage == 2 && same) {
        last->status = e->status; /* the data stage's completion, now ended */
        *done = true;
    }
    return IOSIM_OK;
}

/* USBPcap's packed little-endian header (usb-stack.md 6.3). */
static enum iosim_err usbpcap(const struct cap_packet *k, struct cap_capture *out,
                              struct cap_error *err)
{
    const uint8_t *p = k->p;
    const unsigned long long rec = (unsigned long long)k->rec;
    if (k->caplen < USBPCAP_HDR)
        return cap_fail_at(err, k->off, "%s at byte %llu: %u captured bytes, fewer than USBPcap's 27-byte header",
                           k->what, rec, k->caplen);
    uint32_t hlen = cap_rd16(p, false);
    if (hlen < USBPCAP_HDR || hlen > k->caplen)
        return cap_fail_at(err, k->off, "%s at byte %llu: USBPcap header length %u: want 27 to the %u captured bytes",
                           k->what, rec, hlen, k->caplen);
    if (p[22] > CAP_XFER_BULK)
        return cap_fail_at(err, k->off + 22, "%s at byte %llu: USBPcap transfer type %u: want 0 to 3",
                           k->what, rec, p[22]);
    if (p[22] == CAP_XFER_CTRL && hlen < USBPCAP_CTRL_HDR)
        return cap_fail_at(err, k->off, "%s at byte %llu: USBPcap control header length %u: want at least 28 (the stage byte)",
                           k->what, rec, hlen);
    uint32_t dev = cap_rd16(p + 19, false);
    if (dev > 127)
        return cap_fail_at(err, k->off + 19, "%s at byte %llu: device address %u: want 0 to 127",
                           k->what, rec, dev);
    if ((p[21] & 0x7fu) > 15)
        return cap_fail_at(err, k->off + 21, "%s at byte %llu: endpoint %u: want 0 to 15 (bit 7 = IN)",
                           k->what, rec, p[21] & 0x7fu);
    uint32_t dlen = cap_rd32(p + 23, false), avail = k->caplen - hlen;
    if (dlen < avail || (dlen > avail && k->caplen == k->origlen))
        return cap_fail_at(err, k->off + 23, "%s at byte %llu: USBPcap data length %u, but %u bytes follow the header",
                           k->what, rec, dlen, avail);
    struct cap_event e = {.where = k->rec, .t_ns = k->t_ns, .urb = cap_rd64(p + 2, false),
                          .kind = p[16] & 1u ? 'C' : 'S', .xfer = p[22], .ep = p[21],
                          .dev = (uint8_t)dev, .bus = cap_rd16(p + 17, false),
                          .length = dlen, .data_len = avail};
    /* a submission's status is not valid yet: usbmon's -EINPROGRESS */
    e.status = e.kind == 'C' ? usbd_status(cap_rd32(p + 10, false)) : EINPROGRESS_NEG;
    const uint8_t *data = p + hlen;
    if (e.xfer == CAP_XFER_CTRL) {
        bool done;
        enum iosim_err r = usbpcap_ctrl(k, hlen, &e, &data, out, err, &done);
        if (r != IOSIM_OK || done)
            return r;
    }
    return cap_push(out, &e, data);
}

enum iosim_err cap_packet_decode(const struct cap_packet *k, struct cap_capture *out,
                                 struct cap_error *err)
{
    ASSERT(k->p != NULL || k->caplen == 0);
    ASSERT(out != NULL && k->what != NULL);
    if (k->linktype == CAP_LINKTYPE_USB_LINUX || k->linktype == CAP_LINKTYPE_USB_LINUX_MMAPPED)
        return usbmon(k, out, err);
    if (k->linktype == CAP_LINKTYPE_USBPCAP)
        return usbpcap(k, out, err);
    const char *name = cap_linktype_name(k->linktype);
    return cap_fail_at(err, k->off, "%s at byte %llu: link type %u%s%s%s is not a USB capture",
                       k->what, (unsigned long long)k->rec, k->linktype, name ? " (" : "",
                       name ? name : "", name ? ")" : "");
}
