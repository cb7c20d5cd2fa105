/*
 * pcap_write.h - a capture written as a classic pcap file: the inverse of
 * cap_parse_pcap for what `iosim export --format pcap` writes, so that
 * Wireshark (or `iosim import`) reads a simulated run's USB transfers.
 *
 *     struct cap_buf b;
 *     cap_buf_init(&b);
 *     if (cap_write_pcap(&capture, &b) == IOSIM_OK)
 *         fwrite(b.p, 1, b.n, file);     // the caller owns the file
 *     cap_buf_free(&b);
 *
 * The file: nanosecond magic (a1b23c4d), little-endian, version 2.4, link
 * type 220 (LINKTYPE_USB_LINUX_MMAPPED: usbmon's 64-byte header, then the
 * event's kept bytes; no isochronous descriptors, ndesc 0). Each event is
 * one record at its t_ns (the header's ts_sec/ts_usec the same clock in
 * microseconds), with its fields as Linux's mon_bin.c fills them: flag_setup
 * 0 when a control submission carries its setup packet, else '-';
 * flag_data 0 when the record holds data, else '<' (IN) or '>' (OUT);
 * urb_len the event's length, data_len (len_cap) the bytes kept. A
 * record's original length is, as libpcap gives it, the header plus
 * urb_len when the event is the one that carries data (an OUT submission,
 * an IN completion) and it kept fewer bytes than that; else the captured
 * length - so Wireshark sees a descriptor cut at 32 bytes as data the
 * capture did not keep, not as a malformed packet. The snap length is
 * 262144, or the largest record when one is larger.
 *
 * What cap_parse_pcap gives back is the capture itself, field for field,
 * except `where` (the record's offset in this file) and has_setup, which
 * only a control submission can carry (elsewhere the header's setup bytes
 * mean something else: they are written as zeros).
 *
 * Ownership: the buffer is the caller's storage; the writer appends to it
 * (growing it with realloc) and leaves what was there before. On an error
 * the buffer is as it was. Not thread-safe; no files, no clock.
 */
#ifndef IOSIM_SIM_CAPTURE_PCAP_WRITE_H
#define IOSIM_SIM_CAPTURE_PCAP_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "impl/port/err.h"
#include "sim/capture/capture.h"

/* A growable byte buffer: p[0..n) written, cap allocated. */
struct cap_buf {
    uint8_t *p;
    size_t n, cap;
};

void cap_buf_init(struct cap_buf *b);
void cap_buf_free(struct cap_buf *b);

/* Appends c as a pcap file to out. ERANGE when an event's time is past
 * what pcap's 32-bit seconds hold (year 2106) or a record would exceed
 * 4 GiB, ENOMEM; out unchanged on an error. */
enum iosim_err cap_write_pcap(const struct cap_capture *c, struct cap_buf *out);

#endif /* IOSIM_SIM_CAPTURE_PCAP_WRITE_H */
