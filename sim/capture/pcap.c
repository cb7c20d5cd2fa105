/*
 * pcap.c - the classic pcap file (usb-stack.md 6.4): a 24-byte file header
 * (magic a1b2c3d4 microseconds or a1b23c4d nanoseconds, read in either
 * byte order, which sets the file's; version 2.4; snap length; link type
 * in the low 16 bits), then records of a 16-byte header (seconds,
 * fraction, captured length, original length) and the captured bytes,
 * decoded by linktype.c.
 */
#include <stdio.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/capture/linktype.h"

#define PCAP_FILE_HDR 24u
#define PCAP_REC_HDR 16u

static enum iosim_err pcap_header(const uint8_t *buf, size_t len, bool *big, bool *ns,
                                  uint32_t *snaplen, uint32_t *linktype, struct cap_error *err)
{
    if (len < 4)
        return cap_fail_at(err, 0, "pcap file header: truncated (%zu of 24 bytes)", len);
    uint32_t m = cap_rd32(buf, false);
    if (m != CAP_PCAP_MAGIC_US && m != CAP_PCAP_MAGIC_NS && m != CAP_PCAP_MAGIC_US_SWAPPED &&
        m != CAP_PCAP_MAGIC_NS_SWAPPED)
        return cap_fail_at(err, 0, "pcap magic 0x%08x: want a1b2c3d4 or a1b23c4d, either byte order", m);
    *big = m == CAP_PCAP_MAGIC_US_SWAPPED || m == CAP_PCAP_MAGIC_NS_SWAPPED;
    *ns = m == CAP_PCAP_MAGIC_NS || m == CAP_PCAP_MAGIC_NS_SWAPPED;
    if (len < PCAP_FILE_HDR)
        return cap_fail_at(err, len, "pcap file header: truncated (%zu of 24 bytes)", len);
    uint16_t major = cap_rd16(buf + 4, *big), minor = cap_rd16(buf + 6, *big);
    if (major != 2 || minor != 4)
        return cap_fail_at(err, 4, "pcap version %u.%u: want 2.4", major, minor);
    *snaplen = cap_rd32(buf + 16, *big);
    *linktype = cap_rd32(buf + 20, *big) & 0xffffu; /* 31:28 FCS, 27:26 reserved */
    if (!cap_linktype_usb(*linktype)) {
        const char *name = cap_linktype_name(*linktype);
        return cap_fail_at(err, 20, "link type %u%s%s%s is not a USB capture (want 189, 220 or 249)",
                           *linktype, name ? " (" : "", name ? name : "", name ? ")" : "");
    }
    return IOSIM_OK;
}

static enum iosim_err pcap_records(const uint8_t *buf, size_t len, bool big, bool ns,
                                   uint32_t snaplen, uint32_t linktype, struct cap_capture *out,
                                   struct cap_error *err)
{
    enum iosim_err r = IOSIM_OK;
    for (size_t at = PCAP_FILE_HDR; at < len && r == IOSIM_OK;) {
        const unsigned long long a = (unsigned long long)at;
        if (len - at < PCAP_REC_HDR)
            return cap_fail_at(err, at, "pcap record at byte %llu: truncated header (%zu of 16 bytes)",
                               a, len - at);
        const uint8_t *h = buf + at;
        uint32_t sec = cap_rd32(h, big), frac = cap_rd32(h + 4, big);
        uint32_t caplen = cap_rd32(h + 8, big), origlen = cap_rd32(h + 12, big);
        if (frac >= (ns ? 1000000000u : 1000000u))
            return cap_fail_at(err, at + 4, "pcap record at byte %llu: %u %s is not under a second",
                               a, frac, ns ? "nanoseconds" : "microseconds");
        if (snaplen != 0 && caplen > snaplen)
            return cap_fail_at(err, at + 8, "pcap record at byte %llu: captured length %u exceeds the snap length %u",
                               a, caplen, snaplen);
        if (caplen > origlen)
            return cap_fail_at(err, at + 8, "pcap record at byte %llu: captured length %u exceeds the original length %u",
                               a, caplen, origlen);
        if (caplen > len - at - PCAP_REC_HDR)
            return cap_fail_at(err, at + 8, "pcap record at byte %llu: captured length %u runs past the end of the file (%zu bytes left)",
                               a, caplen, len - at - PCAP_REC_HDR);
        struct cap_packet k = {.p = h + PCAP_REC_HDR, .caplen = caplen, .origlen = origlen,
                               .t_ns = (uint64_t)sec * 1000000000u + (ns ? frac : frac * 1000ull),
                               .off = at + PCAP_REC_HDR, .rec = at, .big = big,
                               .linktype = linktype, .what = "pcap record"};
        r = cap_packet_decode(&k, out, err);
        at += PCAP_REC_HDR + caplen;
    }
    return r;
}

enum iosim_err cap_parse_pcap(const uint8_t *buf, size_t len, struct cap_capture *out,
                              struct cap_error *err)
{
    ASSERT(buf != NULL || len == 0);
    cap_begin(out, err);
    bool big = false, ns = false;
    uint32_t snaplen = 0, linktype = 0;
    enum iosim_err r = pcap_header(buf, len, &big, &ns, &snaplen, &linktype, err);
    if (r == IOSIM_OK)
        r = pcap_records(buf, len, big, ns, snaplen, linktype, out, err);
    char format[sizeof out->format];
    snprintf(format, sizeof format, "pcap-%u%s", linktype, ns ? "-ns" : "");
    return cap_end(out, r, format);
}
