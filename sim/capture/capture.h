/*
 * capture.h - a USB capture in memory: the URB events a host recorded
 * (Linux usbmon text or binary, Wireshark's pcap/pcapng, USBPcap on
 * Windows), in one form whatever the file was, for `iosim import` to turn
 * into a run's `usb_xfer` and `scsi_cmd` rows.
 *
 * An event is what usbmon calls one: a submission ('S') of a URB by a
 * driver, its completion callback ('C'), or a submission error ('E'), on
 * one endpoint of one device of one bus, with the bytes of data the
 * capture kept (usbmon text keeps at most 32; a binary capture up to its
 * snap length). S and C of one URB share its `urb` tag; tags are reused
 * once a URB completed, so a reader pairs an S with the next C of the same
 * tag.
 *
 *     struct cap_capture c;
 *     struct cap_error err;
 *     cap_init(&c);
 *     if (cap_parse_usbmon_text(text, len, &c, &err) != IOSIM_OK)
 *         report "%s:%llu:%llu: %s", file, err.line, err.col, err.msg
 *     for (size_t i = 0; i < c.n; i++) ... c.ev[i], cap_data(&c, &c.ev[i]) ...
 *     cap_free(&c);
 *
 * Parsers read exactly len bytes (no NUL needed) and trust nothing in
 * them: every field is bounds-checked, malformed input is an error naming
 * its position (line and column in text, byte offset in binary), and on
 * an error the capture is left empty - nothing half-parsed counts.
 * Ownership: caller storage; the capture owns its arrays until cap_free.
 * Not thread-safe. Reads only its input: no clock, no files.
 */
#ifndef IOSIM_SIM_CAPTURE_H
#define IOSIM_SIM_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impl/port/err.h"

/* usbmon's transfer types, in its binary encoding (LX-MONDOC). */
enum cap_xfer_type { CAP_XFER_ISO = 0, CAP_XFER_INTR = 1, CAP_XFER_CTRL = 2, CAP_XFER_BULK = 3 };

#define CAP_EP_IN 0x80u          /* in cap_event.ep: the direction bit */
#define CAP_TEXT_DATA_MAX 32u    /* usbmon text prints at most this many data bytes */

struct cap_event {
    uint64_t urb;                /* URB tag: S and C of one URB share it */
    uint64_t t_ns;               /* capture time, from the capture's own clock */
    char kind;                   /* 'S' submission, 'C' callback, 'E' submission error */
    uint8_t xfer;                /* enum cap_xfer_type */
    uint8_t ep;                  /* endpoint number, | CAP_EP_IN for IN */
    uint8_t dev;                 /* device address */
    uint16_t bus;                /* 0 when the format has none (usbmon "t") */
    int32_t status;              /* 0, or a negative Linux errno (-115 on a submission) */
    bool has_setup;              /* setup[] holds a control submission's 8 setup bytes */
    uint8_t setup[8];
    uint32_t length;             /* requested (S) or actual (C) length */
    uint32_t data_len;           /* bytes of data the capture kept */
    uint64_t data_off;           /* where they are in the capture's data */
    uint64_t where;              /* its position in the source: line, or byte offset */
};

struct cap_capture {
    struct cap_event *ev;
    size_t n, cap;
    uint8_t *data;               /* every event's kept bytes, back to back */
    size_t data_len, data_cap;
    char format[24];             /* "usbmon-u", "usbmon-t", ... */
};

/* What was wrong and where: line and col (1-based) for text, offset (the
 * byte) for binary formats; the ones that do not apply are 0. */
struct cap_error {
    uint64_t line, col;
    uint64_t offset;
    char msg[160];
};

void cap_init(struct cap_capture *c);
void cap_free(struct cap_capture *c);

/* The bytes an event kept (data_len of them). */
const uint8_t *cap_data(const struct cap_capture *c, const struct cap_event *e);

/* Appends an event and its data (the parsers' one way in); ENOMEM. */
enum iosim_err cap_push(struct cap_capture *c, const struct cap_event *e, const uint8_t *data);

/* Linux usbmon text, the "u" format (`Tt:B:DDD:E`, interval, isochronous
 * descriptors) and the older "t" format (`Tt:DDD:EE`, no bus), told apart
 * by the first event's address word; a file mixing them is an error.
 * Timestamps are microseconds that usbmon keeps modulo 4096 s: a step back
 * of more than half that is taken as a wrap. Blank lines are skipped.
 * EPARSE with *err filled (err may be NULL), ENOMEM. */
enum iosim_err cap_parse_usbmon_text(const char *text, size_t len, struct cap_capture *out,
                                     struct cap_error *err);

/* Classic pcap (magic a1b2c3d4 microseconds, a1b23c4d nanoseconds, either
 * byte order; version 2.4) of link type 189 (usbmon, 48-byte header), 220
 * (usbmon mmapped: 64-byte header, then an isochronous record's ndesc
 * descriptors of 16 bytes) or 249 (USBPcap). Times come from the records
 * (the usbmon header's own ts_sec/ts_usec are the same clock, coarser).
 * The data kept is what a record holds after its header - the captured
 * length decides, never usbmon's len_cap. USBPcap maps onto the event as:
 * irpId -> urb, info bit 0 (PDO->FDO) 'C' else 'S', USBD_STATUS 0 -> 0,
 * STALL_PID (0xC0000004) -> -32 (EPIPE), any other -> -71 (EPROTO), a
 * submission's status -115 as usbmon's; a control SETUP stage (0) is a
 * submission whose first 8 data bytes are the setup packet (has_setup,
 * length = wLength, bytes after them its OUT data); an OUT DATA stage (1)
 * on the submission path joins the SETUP record just before it (else an
 * error); a DATA stage on the completion path is the completion with its
 * IN data; a STATUS stage (2) right after that completion only sets its
 * status, otherwise it is the completion (no data). where = the record's
 * byte offset. An empty capture (header only) is a capture of no events.
 * EPARSE with err->offset the byte of the field at fault, ENOMEM. */
enum iosim_err cap_parse_pcap(const uint8_t *buf, size_t len, struct cap_capture *out,
                              struct cap_error *err);

/* pcapng: sections (each SHB's byte-order magic sets its byte order),
 * interfaces numbered per section (link type, snap length, if_tsresol,
 * if_tsoffset), Enhanced and Simple Packet Blocks (an SPB has no time: it
 * takes the packet before it's) decoded by their interface's link type as
 * cap_parse_pcap does (another link type is an error naming it); other
 * block types skipped. Block lengths must be multiples of 4, at least 12,
 * inside the file and equal at both ends. where = the block's offset. */
enum iosim_err cap_parse_pcapng(const uint8_t *buf, size_t len, struct cap_capture *out,
                                struct cap_error *err);

/* A capture's format from its content, never its name: pcap (either byte
 * order, either time resolution) and pcapng by their first word, anything
 * else is taken for usbmon text. */
enum cap_format { CAP_FORMAT_USBMON_TEXT, CAP_FORMAT_PCAP, CAP_FORMAT_PCAPNG };
enum cap_format cap_detect(const void *buf, size_t len);

/* Reads buf with the reader of its cap_detect format; errors as that
 * reader's (line and col for text, offset for the binary formats). */
enum iosim_err cap_parse(const void *buf, size_t len, struct cap_capture *out,
                         struct cap_error *err);

#endif /* IOSIM_SIM_CAPTURE_H */
