/*
 * usb_zero.h - gadget zero: a USB test function on the device framework
 * (usb_dev.h), so that a host controller and its driver can move bulk,
 * interrupt and control data before a real function (mass storage) exists.
 * It behaves like Linux's g_zero (source/sink and loopback, the 0x5b/0x5c
 * control loopback), written from its documented behaviour, with an
 * interrupt-IN endpoint and knobs to make the host's error paths run.
 *
 *     struct usb_zero_config zc;
 *     usb_zero_config_default(&zc);                 high speed, source/sink, endless
 *     zc.name = "zero0";
 *     zc.in_nak_first = 3;                           the first 3 bulk INs NAK
 *     struct usb_zero *z;
 *     usb_zero_create(&zc, &z);
 *     struct usb_dev *d = usb_zero_dev(z);           what the controller drives
 *     usb_dev_attach(d, &host_ops, port);  usb_dev_bus_reset(d);  ... enumerate ...
 *     usb_dev_in(d, USB_ZERO_EP_BULK_IN, buf, 4096, &got);   the pattern stream
 *     usb_zero_destroy(z);                           destroys d too
 *
 * The device (descriptors built for cfg.speed; full, high, SuperSpeed or
 * SuperSpeed Plus - low speed has no bulk endpoints): vendor-specific class,
 * IDs 0x0525:0xa4a0 (NetChip's "Linux-USB Gadget Zero", as Linux's
 * zero.c defines them), strings 1 "iosim", 2 "Gadget Zero", 3 the device's
 * name as serial number, LANGID 0x0409. One configuration (value 1,
 * self-powered), one interface (0) with two alternate settings of the same
 * three endpoints:
 *     0x81 bulk IN, 0x01 bulk OUT   64 bytes at full speed, 512 at high, 1024
 *                                   at SuperSpeed with a companion giving
 *                                   cfg.ss_max_burst
 *     0x82 interrupt IN             8 bytes, every 1 ms
 * Alternate setting 0 runs cfg.mode, setting 1 the other mode, so a host
 * switches with SET_INTERFACE and a scenario can start in either. Below
 * SuperSpeed the device is high-speed capable: it has a device qualifier
 * and an other-speed configuration; at SuperSpeed it has a BOS (USB 2.0
 * extension with LPM, SuperSpeed capability) and no qualifier.
 *
 * Modes:
 *   source/sink  bulk IN sends the pattern stream: byte i of the stream is
 *                i % 63, counted across transfers from the start of the
 *                stream. (Linux's f_sourcesink and usbtest restart their
 *                "mod63" pattern at every packet, (i % maxpacket) % 63, so
 *                Linux's usbtest would count mismatches here.) With
 *                in_stream_bytes = L the stream ends after L bytes: the
 *                transfer that reaches the end is short (a zero-length
 *                packet if it ends on a transfer boundary) and later INs
 *                NAK for good. Bulk OUT takes everything and checks it
 *                against the same pattern (its own stream position),
 *                counting bytes that differ (g_zero halts the endpoint
 *                instead; here the host reads the count, vendor 0x5d).
 *   loopback     bulk OUT data is queued (loop_queue_bytes at most) and
 *                comes back on bulk IN in order. IN with the queue empty
 *                NAKs; OUT with too little room takes the whole packets
 *                that fit and NAKs. Each calls usb_dev_ready once the other
 *                side made room or data. An IN returns what is queued, up
 *                to max: fewer bytes end the transfer (modelled as a short
 *                or zero-length packet).
 *   interrupt    0x82 answers every IN with a 32-bit little-endian count of
 *                the interrupt INs before it; a host buffer under 4 bytes
 *                gets BABBLE.
 * Streams, queue and the NAK-first count restart on SET_CONFIGURATION,
 * SET_INTERFACE and bus reset; the counters never do.
 *
 * Knobs: in_nak_first makes the first N bulk IN attempts (after each
 * restart) NAK, each followed at once by usb_dev_ready (the host retries on
 * its own schedule); usb_zero_halt and the HALT vendor request halt an
 * endpoint as the function's own decision, for stall recovery.
 *
 * Vendor requests (bmRequestType vendor, recipient device; anything else,
 * or wValue/wIndex not as listed, STALLs):
 *   0x5b OUT  wLength <= 4096 bytes into the control buffer (wValue = wIndex = 0)
 *   0x5c IN   wLength <= 4096 bytes back from it (what was never written reads 0)
 *   0x5d IN   the counters: USB_ZERO_COUNTERS_BYTES, five little-endian
 *             64-bit words at the USB_ZERO_CNT_* offsets (truncated to wLength)
 *   0x5e OUT  no data: halt the endpoint wIndex names (STALL if it is not one)
 *
 * Ownership: usb_zero_create copies the config (the name too); the gadget
 * owns its usb_dev, its descriptors and its queue; usb_zero_dev's pointer
 * lives until usb_zero_destroy, which must not run while the device is
 * inside a call. Single-threaded, deterministic, no simulated machine.
 */
#ifndef IOSIM_MODELS_USB_ZERO_H
#define IOSIM_MODELS_USB_ZERO_H

#include <stdint.h>

#include "models/usb/usb_dev.h"

#define USB_ZERO_VENDOR_ID 0x0525u       /* NetChip, as Linux's zero.c */
#define USB_ZERO_PRODUCT_ID 0xa4a0u      /* "Linux-USB Gadget Zero" */
#define USB_ZERO_CONFIG_VALUE 1u
#define USB_ZERO_INTERFACE 0u
#define USB_ZERO_EP_BULK_IN 0x81u
#define USB_ZERO_EP_BULK_OUT 0x01u
#define USB_ZERO_EP_INTR_IN 0x82u
#define USB_ZERO_INTR_MAX_PACKET 8u
#define USB_ZERO_PATTERN_MOD 63u
#define USB_ZERO_CTRL_BUF_BYTES 4096u
#define USB_ZERO_LOOP_QUEUE_MAX_BYTES (1u << 24)

/* Vendor requests. */
#define USB_ZERO_REQ_CTRL_WRITE 0x5bu
#define USB_ZERO_REQ_CTRL_READ 0x5cu
#define USB_ZERO_REQ_COUNTERS 0x5du
#define USB_ZERO_REQ_HALT 0x5eu

/* The counters' wire layout (USB_ZERO_REQ_COUNTERS), byte offsets. */
#define USB_ZERO_CNT_IN_BYTES 0u         /* bulk IN bytes sent */
#define USB_ZERO_CNT_OUT_BYTES 8u        /* bulk OUT bytes taken */
#define USB_ZERO_CNT_MISMATCHES 16u      /* sink bytes that broke the pattern */
#define USB_ZERO_CNT_INTR_IN 24u         /* interrupt INs answered */
#define USB_ZERO_CNT_IN_NAKS 32u         /* bulk IN attempts NAKed */
#define USB_ZERO_COUNTERS_BYTES 40u

enum usb_zero_mode {
    USB_ZERO_SOURCE_SINK,
    USB_ZERO_LOOPBACK,
    USB_ZERO_MODE_COUNT
};

struct usb_zero_config {
    const char *name;            /* copied; also the serial number string */
    enum usb_speed speed;        /* full, high, super or super_plus */
    enum usb_zero_mode mode;     /* alternate setting 0; setting 1 runs the other */
    uint64_t in_stream_bytes;    /* source: the stream's length; 0 = endless */
    uint32_t in_nak_first;       /* bulk IN attempts NAKed after each restart */
    uint32_t loop_queue_bytes;   /* loopback queue, >= the bulk max packet size */
    uint8_t ss_max_burst;        /* SuperSpeed bulk bMaxBurst, 0..15 */
};

struct usb_zero_counters {
    uint64_t in_bytes, out_bytes, mismatches, intr_in, in_naks;
};

struct usb_zero;

/* Defaults: name "zero", high speed, source/sink, endless stream, no NAKs,
 * a 16 KiB loopback queue, max burst 15 (QEMU's mass-storage figure, so
 * SuperSpeed bursts get exercised). */
void usb_zero_config_default(struct usb_zero_config *cfg);

/* EINVAL: no name, low speed or a speed out of range, a mode out of range,
 * a queue outside [bulk max packet, USB_ZERO_LOOP_QUEUE_MAX_BYTES], a
 * burst above 15; ENOMEM. The device starts detached. */
enum iosim_err usb_zero_create(const struct usb_zero_config *cfg, struct usb_zero **out);
void usb_zero_destroy(struct usb_zero *z);

/* The device the controller drives; owned by z. */
struct usb_dev *usb_zero_dev(struct usb_zero *z);

/* The mode the active alternate setting runs (cfg.mode when unconfigured). */
enum usb_zero_mode usb_zero_mode(const struct usb_zero *z);
void usb_zero_counters(const struct usb_zero *z, struct usb_zero_counters *out);
/* Halts an endpoint of the active configuration (usb_dev_halt's errors). */
enum iosim_err usb_zero_halt(struct usb_zero *z, uint8_t ep_addr);

/* Byte i of the pattern stream. */
static inline uint8_t usb_zero_pattern(uint64_t i)
{
    return (uint8_t)(i % USB_ZERO_PATTERN_MOD);
}

#endif /* IOSIM_MODELS_USB_ZERO_H */
