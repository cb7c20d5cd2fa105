/*
 * linktype.h - one captured packet of a USB link type decoded into
 * cap_events: what pcap.c and pcapng.c share, and the readers' common
 * start and end (internal to sim/capture).
 *
 *     struct cap_packet k = {.p = data, .caplen = n, .origlen = orig,
 *                            .t_ns = t, .off = file_offset_of_data,
 *                            .rec = file_offset_of_record, .big = be,
 *                            .linktype = 189, .what = "pcap record"};
 *     if (cap_packet_decode(&k, out, err) != IOSIM_OK) ... err filled ...
 *
 * Link types (reference usb-stack.md 6.2, 6.3):
 *   189 LINKTYPE_USB_LINUX          usbmon binary, the 48-byte header
 *   220 LINKTYPE_USB_LINUX_MMAPPED  the 64-byte header, then for an
 *                                   isochronous record ndesc descriptors
 *                                   of 16 bytes, then the data
 *   249 LINKTYPE_USBPCAP            USBPcap's packed little-endian header
 * The data kept is what the record holds after its header: the captured
 * length decides, never the header's own len_cap (QEMU's writer puts the
 * header size there). Borrowed: p for the call only. Errors name the byte
 * offset in the file of the field at fault.
 */
#ifndef IOSIM_SIM_CAPTURE_LINKTYPE_H
#define IOSIM_SIM_CAPTURE_LINKTYPE_H

#include "sim/capture/capture.h"

#define CAP_LINKTYPE_USB_LINUX 189u
#define CAP_LINKTYPE_USB_LINUX_MMAPPED 220u
#define CAP_LINKTYPE_USBPCAP 249u

/* First words of the binary files (cap_detect, the readers). */
#define CAP_PCAP_MAGIC_US 0xa1b2c3d4u
#define CAP_PCAP_MAGIC_NS 0xa1b23c4du
#define CAP_PCAP_MAGIC_US_SWAPPED 0xd4c3b2a1u
#define CAP_PCAP_MAGIC_NS_SWAPPED 0x4d3cb2a1u
#define CAP_PCAPNG_SHB 0x0a0d0d0au   /* the same either byte order */

/* A reader starts: out and err (if any) emptied. */
void cap_begin(struct cap_capture *out, struct cap_error *err);

/* A reader ends with r: on an error out is emptied (nothing partial),
 * else it is named `format`. Returns r. */
enum iosim_err cap_end(struct cap_capture *out, enum iosim_err r, const char *format);

/* Room for `more` elements of `size` bytes in *p (capacity *cap, n used),
 * doubling; false when out of memory (nothing changed). */
bool cap_grow(void **p, size_t *cap, size_t n, size_t more, size_t size);

struct cap_packet {
    const uint8_t *p;            /* borrowed: the captured bytes */
    uint32_t caplen, origlen;    /* bytes present, bytes on the wire */
    uint64_t t_ns;               /* the record's time */
    uint64_t off;                /* file offset of p[0] */
    uint64_t rec;                /* file offset of the record (cap_event.where) */
    bool big;                    /* the file's (section's) byte order */
    uint32_t linktype;
    const char *what;            /* "pcap record", "pcapng block": for messages */
};

/* A link type's name for messages ("Ethernet"), or NULL when unknown. */
const char *cap_linktype_name(uint32_t linktype);

/* True for 189, 220 and 249. */
bool cap_linktype_usb(uint32_t linktype);

/* Fills err (if not NULL) with offset and a formatted message; EPARSE. */
enum iosim_err cap_fail_at(struct cap_error *err, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends the packet's event(s) to out; EPARSE with err, ENOMEM. */
enum iosim_err cap_packet_decode(const struct cap_packet *k, struct cap_capture *out,
                                 struct cap_error *err);

/* Byte-order readers: the caller has checked that the bytes are there. */
static inline uint16_t cap_rd16(const uint8_t *p, bool big)
{
    return big ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static inline uint32_t cap_rd32(const uint8_t *p, bool big)
{
    return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
               : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static inline uint64_t cap_rd64(const uint8_t *p, bool big)
{
    uint64_t a = cap_rd32(p, big), b = cap_rd32(p + 4, big);
    return big ? a << 32 | b : b << 32 | a;
}

#endif /* IOSIM_SIM_CAPTURE_LINKTYPE_H */
