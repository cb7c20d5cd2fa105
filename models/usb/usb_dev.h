/*
 * usb_dev.h - a USB device as its upstream port sees it: the chapter 9
 * device framework (states, addressing, configurations, endpoint halt and
 * the standard requests) around one *function* (gadget zero, mass storage,
 * ...) that supplies the descriptors and moves the data.
 *
 * A host-controller model (models/xhci) drives the device with whole
 * transfers and the device answers at once. Timing - packets, microframes,
 * NAK retry intervals, bursts - is the controller's job; the device only
 * says what happens: ACK (with the bytes moved), NAK (nothing more now; it
 * calls the host's `ready` hook when that changes), STALL, or an error.
 * There is no simulated machine in here and no time: every call is a pure
 * state transition, so the controller decides when things happen. No hubs:
 * a device hangs off a root-hub port.
 *
 *     static const struct usb_fn_ops my_ops = {.control = ..., .in = ..., .out = ...};
 *     struct usb_dev_config cfg = {
 *         .name = "zero0", .speed = USB_SPEED_HIGH,
 *         .device = {dev_desc, sizeof dev_desc},
 *         .configs = cfgs, .configs_count = 1,          GET_DESCRIPTOR(CONFIG, i)
 *         .strings = strs, .strings_count = 4,          string 0: the LANGIDs
 *         .ops = &my_ops, .ctx = me,
 *     };
 *     struct usb_dev *d;
 *     usb_dev_create(&cfg, &d);                         detached
 *     usb_dev_attach(d, &host_ops, port);               powered: answers nothing yet
 *     usb_dev_bus_reset(d);                             default state, address 0
 *     uint8_t setup[8] = {0x80, USB_REQ_GET_DESCRIPTOR, 0, USB_DT_DEVICE, 0, 0, 18, 0};
 *     uint8_t buf[18]; uint32_t len = sizeof buf;
 *     usb_dev_control(d, setup, buf, &len);             USB_ACK, len == 18
 *     ... SET_ADDRESS, SET_CONFIGURATION ...
 *     usb_dev_in(d, 0x81, buf, sizeof buf, &len);       ACK / NAK / STALL / ...
 *     usb_dev_destroy(d);
 *
 * What is served raw. Descriptors are the bytes the configuration gives,
 * returned as given: GET_DESCRIPTOR answers min(wLength, blob length)
 * bytes, whatever they contain, so a test can hand a host a device whose
 * bLength, wTotalLength or bNumInterfaces lie. The framework parses only
 * what it must - a configuration's interfaces and endpoints on
 * SET_CONFIGURATION / SET_INTERFACE, bMaxPacketSize0 - and does so
 * defensively (usb_desc.h's walk):
 *   - it walks min(blob length, wTotalLength) bytes, descriptor by
 *     descriptor; a bLength below 2 or a descriptor running past that
 *     limit ends the walk (what came before still counts);
 *   - the first descriptor is taken as the header whatever its type;
 *     bConfigurationValue is byte 5 of a blob of at least 9 bytes (shorter
 *     blobs, and value 0, cannot be selected; of two blobs with one value
 *     the first is selected);
 *   - an interface descriptor shorter than 9 bytes, and every endpoint after
 *     it until the next good interface, are ignored; so are the settings
 *     past USB_DEV_ALTS_MAX;
 *   - an endpoint descriptor is used if it is at least 7 bytes long, follows
 *     a good interface, has number 1..15 with address bits 6:4 clear, is not
 *     a control endpoint, and has a non-zero maximum packet size; of two
 *     endpoints with one address in the active settings the first wins;
 *   - a SuperSpeed companion (at least 6 bytes) applies to the endpoint
 *     right before it, at SuperSpeed (and Plus) only; bMaxBurst above 15
 *     reads as 15;
 *   - SET_CONFIGURATION selects alternate setting 0 of every interface,
 *     even one the blob has no setting 0 for (none of its endpoints is then
 *     enabled until SET_INTERFACE picks a setting it has);
 *   - bNumInterfaces, bNumEndpoints and bNumConfigurations are never used.
 *
 * States [USB2 9.1.1]: detached -> (attach) powered -> (bus reset) default
 * -> (SET_ADDRESS n) address -> (SET_CONFIGURATION v) configured. Powered
 * devices and detached ones do not answer (USB_XACT_ERR), as a device must
 * not respond before its first reset. A SuperSpeed device is in default
 * state after link training: the controller calls usb_dev_bus_reset then
 * too. Suspend is not modelled.
 *
 * Standard requests the framework answers [USB2 9.4], [USB32 9.4]; each
 * answers STALL (a Request Error) when its bmRequestType, wValue, wIndex or
 * wLength is not the one chapter 9 gives, in a state where chapter 9 calls
 * it an error or leaves it unspecified, or for an interface, endpoint,
 * configuration or descriptor the device does not have:
 *   GET_STATUS        address (device, endpoint 0), configured: device
 *                     (self-powered, remote wakeup, U1/U2), interface (0),
 *                     endpoint (halt)
 *   CLEAR_FEATURE     address (device), configured: DEVICE_REMOTE_WAKEUP,
 *                     U1/U2_ENABLE (SuperSpeed, configured), ENDPOINT_HALT
 *                     (clears halt and resets the data toggle even when not
 *                     halted); TEST_MODE cannot be cleared
 *   SET_FEATURE       as CLEAR_FEATURE, plus TEST_MODE (selectors 1..5, in
 *                     default, address and configured state, at high speed
 *                     only); in test mode the device answers nothing until
 *                     it is detached (power-cycled)
 *   SET_ADDRESS       default, address: 0..127; 0 returns to default state;
 *                     the new address holds once the transfer returns
 *   GET_DESCRIPTOR    default, address, configured: device, configuration i,
 *                     string i (any LANGID), BOS, device qualifier, other
 *                     speed configuration (index 0) - where the
 *                     configuration has them
 *   GET_CONFIGURATION address (0), configured
 *   SET_CONFIGURATION address, configured: 0 -> address state; a value of a
 *                     configuration -> configured, alternate setting 0 of
 *                     each interface, its endpoints enabled, halts and
 *                     toggles reset (also when the value is the current one)
 *   GET_INTERFACE     configured
 *   SET_INTERFACE     configured: that interface's endpoints replaced by the
 *                     setting's, halts and toggles of them reset
 *   SET_SEL           SuperSpeed, address and configured (6 bytes, kept)
 *   SET_ISOCH_DELAY   SuperSpeed, default, address and configured (kept)
 *   SET_DESCRIPTOR, SYNCH_FRAME: STALL (not supported).
 * Class and vendor requests, standard requests with a bRequest the
 * framework does not know, and GET_DESCRIPTOR or any other request to a
 * recipient it does not handle (an interface's class descriptors, "other")
 * go to the function's `control` op; none -> STALL. Reserved request types
 * and reserved recipients STALL.
 *
 * The controller contract:
 *   - Control transfers are whole (setup, data, status): usb_dev_control.
 *     An OUT data stage must be exactly wLength bytes [USB2 9.3.5];
 *     otherwise the device STALLs.
 *   - Bulk and interrupt transfers: usb_dev_in / usb_dev_out with the
 *     endpoint address (USB_EP_ADDR_DIR_IN set for IN). An address that is
 *     not an endpoint of the active configuration in that direction, or a
 *     halted endpoint, answers STALL; a halted endpoint stays halted until
 *     CLEAR_FEATURE(ENDPOINT_HALT), SET_CONFIGURATION or SET_INTERFACE.
 *   - ACK: the transfer is done. IN: *got bytes (<= max); fewer than max
 *     means the device ended it with a short (or zero-length) packet. OUT:
 *     every byte taken.
 *   - NAK: the device moved what it reports (whole packets, maybe none) and
 *     has nothing more now. It will call the host's `ready` hook for that
 *     endpoint once retrying can make progress; the controller retries then
 *     (a controller may also retry on its own schedule: a NAK is harmless).
 *   - `ready` may be called from inside any usb_dev_* call, including the
 *     one that is about to answer NAK. The hook must not call back into the
 *     device: it notes the endpoint and schedules a retry.
 *   - The data toggle (USB 2) or sequence number (SuperSpeed) the device
 *     expects next is in usb_ep_info.seq, advanced by every packet the
 *     device moved: a controller compares it with its own to model what a
 *     toggle mismatch does (the device resets it on CLEAR_FEATURE(HALT)).
 *   - Addresses are the controller's business: the device answers whatever
 *     reaches it, and reports the address it has (usb_dev_address).
 *
 * Ownership and lifetimes: usb_dev_create copies the configuration struct
 * but BORROWS everything it points to - name, descriptor bytes, the blob
 * arrays, ops, ctx - which must stay unchanged until usb_dev_destroy. The
 * host ops and context passed to usb_dev_attach are borrowed until
 * usb_dev_detach. The device owns nothing else but its own storage.
 * Single-threaded: call from the simulation's events or set-up code. The
 * function's ops run inside usb_dev_* calls and may call usb_dev_ready,
 * usb_dev_halt and the queries, never usb_dev_control/in/out/bus_reset/
 * attach/detach (asserted).
 *
 * Deterministic: no clock, no randomness, endpoints and settings visited in
 * index order.
 */
#ifndef IOSIM_MODELS_USB_DEV_H
#define IOSIM_MODELS_USB_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/spec/usb_ch9.h"
#include "sim/machine/dev.h" /* enum iosim_err, as models see it */

/* Bounds: interface settings (interface, alternate) of one configuration
 * the framework knows; the largest control data stage it buffers for a
 * function (wLength's range). */
#define USB_DEV_ALTS_MAX 64u
#define USB_DEV_CTRL_BYTES_MAX 65535u
/* Endpoint slots: number 0..15 x direction, indexed number | 16 for IN. */
#define USB_DEV_EP_SLOTS 32u

/* The speed the device runs at on its port. */
enum usb_speed {
    USB_SPEED_LOW,               /* 1.5 Mb/s */
    USB_SPEED_FULL,              /* 12 Mb/s */
    USB_SPEED_HIGH,              /* 480 Mb/s */
    USB_SPEED_SUPER,             /* 5 Gb/s, Gen 1 */
    USB_SPEED_SUPER_PLUS,        /* 10 Gb/s and up, Gen 2 */
    USB_SPEED_COUNT
};

/* SuperSpeed or SuperSpeed Plus: companions, BOS, sequence numbers. */
static inline bool usb_speed_is_super(enum usb_speed s)
{
    return s == USB_SPEED_SUPER || s == USB_SPEED_SUPER_PLUS;
}

/* Visible device states [USB2 9.1.1, figure 9-1] (suspended not modelled). */
enum usb_dev_state {
    USB_DEV_DETACHED,            /* no port: answers nothing */
    USB_DEV_POWERED,             /* attached and powered, not yet reset: answers nothing */
    USB_DEV_DEFAULT,             /* after a bus reset: address 0 */
    USB_DEV_ADDRESS,             /* SET_ADDRESS gave it an address */
    USB_DEV_CONFIGURED,          /* SET_CONFIGURATION chose a configuration */
    USB_DEV_STATE_COUNT
};

/* What a transaction came to, as the host's side of the bus sees it. */
enum usb_result {
    USB_ACK,                     /* done: the data (if any) moved and was acknowledged */
    USB_NAK,                     /* not now: nothing more moved; `ready` follows */
    USB_STALL,                   /* request error (control) or endpoint halted (bulk/interrupt) */
    USB_XACT_ERR,                /* no answer at all: no device, not reset, test mode,
                                    or a fault the function injects */
    USB_BABBLE,                  /* the device sent more than the host had room for */
    USB_RESULT_COUNT
};

/* A setup packet, decoded [USB2 9.3]. */
struct usb_setup {
    uint8_t request_type;        /* bmRequestType */
    uint8_t request;             /* bRequest */
    uint16_t value, index, length;
};

void usb_setup_decode(const uint8_t raw[USB_SETUP_BYTES], struct usb_setup *out);
void usb_setup_encode(const struct usb_setup *s, uint8_t raw[USB_SETUP_BYTES]);

/* bmRequestType's fields: data stage direction, USB_RT_TYPE_*, USB_RT_RECIPIENT_*. */
static inline bool usb_setup_in(const struct usb_setup *s)
{
    return (s->request_type & USB_RT_DIR_IN) != 0;
}

static inline uint8_t usb_setup_type(const struct usb_setup *s)
{
    return (uint8_t)((s->request_type & USB_RT_TYPE_MASK) >> USB_RT_TYPE_SHIFT);
}

static inline uint8_t usb_setup_recipient(const struct usb_setup *s)
{
    return s->request_type & USB_RT_RECIPIENT_MASK;
}

/* A descriptor blob: borrowed bytes; len 0 means absent. */
struct usb_blob {
    const uint8_t *bytes;
    uint32_t len_bytes;
};

/* The function behind the framework. Every member may be NULL. ctx is the
 * usb_dev_config's. */
struct usb_fn_ops {
    /* A control request the framework leaves to the function. OUT: data
     * holds the wLength bytes of the data stage. IN: write up to
     * s->length bytes to data (a buffer of s->length bytes) and set *len to
     * how many; the framework hands the controller what fits. Answer ACK
     * or STALL (or, to inject faults, XACT_ERR or BABBLE), never NAK: the
     * framework buffers the data stage, so a function answers at once. */
    enum usb_result (*control)(void *ctx, const struct usb_setup *s, uint8_t *data,
                               uint32_t *len_bytes);
    /* Bulk/interrupt IN on an enabled, unhalted endpoint: write at most
     * max_bytes to buf, set *got. ACK: the transfer ends (short if
     * *got < max_bytes). NAK: *got is whole packets (maybe 0) and the
     * function calls usb_dev_ready(ep) when there is more. STALL: the
     * framework halts the endpoint. */
    enum usb_result (*in)(void *ctx, uint8_t ep_addr, uint8_t *buf, uint32_t max_bytes,
                          uint32_t *got_bytes);
    /* Bulk/interrupt OUT: take a prefix of buf, set *taken. ACK: all of it
     * (*taken == len_bytes). NAK: *taken < len_bytes (0 for a zero-length
     * OUT), whole packets; ready follows. STALL: as for IN. */
    enum usb_result (*out)(void *ctx, uint8_t ep_addr, const uint8_t *buf, uint32_t len_bytes,
                           uint32_t *taken_bytes);
    /* SET_CONFIGURATION succeeded (0: deconfigured); endpoints are set. */
    void (*set_config)(void *ctx, uint8_t value);
    /* SET_INTERFACE succeeded; that interface's endpoints are set. */
    void (*set_alt)(void *ctx, uint8_t interface, uint8_t alternate);
    /* The host cleared ENDPOINT_HALT on ep (halted or not). */
    void (*halt_cleared)(void *ctx, uint8_t ep_addr);
    /* Bus reset, or detach: every configuration and endpoint is gone. */
    void (*reset)(void *ctx);
};

/* What the controller tells the device. Every member may be NULL. */
struct usb_host_ops {
    /* Endpoint ep_addr can make progress again after a NAK. Must not call
     * back into the device (see the contract above). */
    void (*ready)(void *host_ctx, uint8_t ep_addr);
};

struct usb_dev_config {
    const char *name;                /* borrowed */
    enum usb_speed speed;
    struct usb_blob device;          /* GET_DESCRIPTOR(DEVICE) */
    const struct usb_blob *configs;  /* GET_DESCRIPTOR(CONFIG, i): whole blobs */
    uint32_t configs_count;
    const struct usb_blob *strings;  /* GET_DESCRIPTOR(STRING, i); [0] the LANGIDs */
    uint32_t strings_count;
    struct usb_blob bos;             /* optional */
    struct usb_blob qualifier;       /* optional: high-speed capable devices below SS */
    struct usb_blob other_speed;     /* optional: OTHER_SPEED_CONFIG index 0 */
    bool self_powered;               /* GET_STATUS(device) bit 0 */
    bool remote_wakeup;              /* DEVICE_REMOTE_WAKEUP can be set */
    const struct usb_fn_ops *ops;    /* borrowed; NULL: a device with no function */
    void *ctx;
};

/* One endpoint of the active configuration, as the controller needs it
 * (an xHCI endpoint context). */
struct usb_ep_info {
    bool present;                /* enabled in the active configuration */
    bool halted;
    uint8_t addr;                /* bEndpointAddress */
    uint8_t xfer;                /* USB_EP_XFER_* */
    uint16_t max_packet_bytes;   /* wMaxPacketSize 10:0 */
    uint8_t mult;                /* high speed periodic: extra transactions per microframe */
    uint8_t interval;            /* bInterval as given */
    uint8_t max_burst;           /* SuperSpeed companion: packets per burst - 1 (0 without) */
    uint8_t ss_attributes;       /* companion bmAttributes (bulk: max streams exponent) */
    uint16_t bytes_per_interval; /* companion wBytesPerInterval */
    uint8_t interface, alternate;
    uint32_t seq;                /* data toggle (0/1) below SuperSpeed, sequence number
                                    (0..31) at SuperSpeed, of the device's next packet */
};

struct usb_dev;

/* EINVAL: no name, a speed out of range, a blob with bytes == NULL and a
 * length, configs/strings NULL with a count; ENOMEM. cfg is copied, what it
 * points to borrowed. The device starts detached. */
enum iosim_err usb_dev_create(const struct usb_dev_config *cfg, struct usb_dev **out);
void usb_dev_destroy(struct usb_dev *d);

/* Puts a wrapper (`ops` with `ctx`) between the framework and the
 * function the device was created with, and gives the wrapper that
 * function's ops and ctx through *inner_ops / *inner_ctx (either may be
 * NULL: a device with no function), so it can forward to them: fault
 * injection (usb_fault.h) is done this way, without the function knowing.
 * Only while detached (EBUSY otherwise): the function never changes under
 * a host. Wrappers nest (the latest is outermost). ops and ctx are borrowed
 * until usb_dev_destroy. */
enum iosim_err usb_dev_wrap_fn(struct usb_dev *d, const struct usb_fn_ops *ops, void *ctx,
                               const struct usb_fn_ops **inner_ops, void **inner_ctx);

/* Plugs the device into a port: powered state. EBUSY if attached. */
enum iosim_err usb_dev_attach(struct usb_dev *d, const struct usb_host_ops *host, void *host_ctx);
/* Unplugs it: detached, everything forgotten (test mode too), the
 * function's reset op called. No-op when detached. */
void usb_dev_detach(struct usb_dev *d);
/* Bus reset: default state, address 0, unconfigured, every halt and
 * feature cleared, the function's reset op called. ENODEV when detached;
 * ignored (OK) in test mode, which only a power cycle ends. */
enum iosim_err usb_dev_bus_reset(struct usb_dev *d);

/* One control transfer. setup: the 8 setup bytes. data / *len_bytes: OUT,
 * the data stage the host sends (must equal wLength); IN, the room the
 * host has. On return *len_bytes is what the data stage moved (0 unless
 * ACK or BABBLE). BABBLE: the device's answer (at most wLength) was longer
 * than the room; *len_bytes = the room, filled. */
enum usb_result usb_dev_control(struct usb_dev *d, const uint8_t setup[USB_SETUP_BYTES],
                                uint8_t *data, uint32_t *len_bytes);

/* Bulk/interrupt transfers; see the contract above. */
enum usb_result usb_dev_in(struct usb_dev *d, uint8_t ep_addr, uint8_t *buf, uint32_t max_bytes,
                           uint32_t *got_bytes);
enum usb_result usb_dev_out(struct usb_dev *d, uint8_t ep_addr, const uint8_t *buf,
                            uint32_t len_bytes, uint32_t *taken_bytes);

/* For the function: ep_addr can make progress; tells the host (its ready
 * hook). False (nothing told) when the device is not configured, ep_addr is
 * not an endpoint of the active configuration, or the host has no hook. */
bool usb_dev_ready(struct usb_dev *d, uint8_t ep_addr);
/* For the function: halts ep_addr (as a STALL from its in/out op would; bulk-only
 * mass storage does this on errors). ENOENT: not an endpoint of the active
 * configuration; ENODEV: detached. */
enum iosim_err usb_dev_halt(struct usb_dev *d, uint8_t ep_addr);

/* ---- queries ------------------------------------------------------------------------------- */

const char *usb_dev_name(const struct usb_dev *d);
enum usb_dev_state usb_dev_state(const struct usb_dev *d);
uint8_t usb_dev_address(const struct usb_dev *d);
enum usb_speed usb_dev_speed(const struct usb_dev *d);
/* bConfigurationValue of the active configuration; 0 when not configured. */
uint8_t usb_dev_config_value(const struct usb_dev *d);
/* The active alternate setting of an interface; false if it has none. */
bool usb_dev_alt(const struct usb_dev *d, uint8_t interface, uint8_t *alternate);
/* Fills *info (present = false and the rest 0 when ep_addr is not an
 * endpoint of the active configuration) and returns info->present.
 * Endpoint 0 is not reported here: see usb_dev_ep0_max_packet. */
bool usb_dev_ep_info(const struct usb_dev *d, uint8_t ep_addr, struct usb_ep_info *info);
/* Endpoint 0's maximum packet size in bytes: the device descriptor's
 * bMaxPacketSize0 when it is legal for the speed (8 at low speed; 8, 16, 32
 * or 64 at full; 64 at high; exponent 9 = 512 at SuperSpeed), otherwise -
 * no descriptor, too short, or a lie - the speed's default (8, 64, 64,
 * 512, 512). */
uint16_t usb_dev_ep0_max_packet(const struct usb_dev *d);
bool usb_dev_remote_wakeup_enabled(const struct usb_dev *d);
/* The test mode selector SET_FEATURE(TEST_MODE) entered, 0 for none. */
uint8_t usb_dev_test_mode(const struct usb_dev *d);

/* Names for traces and messages ("ACK", "default", "high"). */
const char *usb_result_name(enum usb_result r);
const char *usb_dev_state_name(enum usb_dev_state s);
const char *usb_speed_name(enum usb_speed s);

#endif /* IOSIM_MODELS_USB_DEV_H */
