/*
 * A device from an enabled port to configured [xHCI 4.3.2 - 4.3.5, USB2
 * 9.1]: Enable Slot, Address Device, the device descriptor (at full speed
 * its first 8 bytes first, to learn EP0's packet size, given to the
 * controller with Evaluate Context), the configuration (its 9-byte header,
 * then wTotalLength of it), the strings, Configure Endpoint for every
 * bulk and interrupt endpoint of each interface's alternate setting 0, and
 * SET_CONFIGURATION. Each step waits for its command completion or EP0
 * transfer event and returns; the completion runs the next.
 *
 * Nothing a device says is trusted: descriptors go through usb_parse.h,
 * and a device that answers wrongly is refused (its slot disabled, a
 * `refused` row saying why), never followed. A string the device will not
 * give is not a reason to refuse it: EP0 is recovered (Reset Endpoint, Set
 * TR Dequeue Pointer) and enumeration goes on without it. A device that
 * goes away at any step is torn down as soon as no command of it is in
 * flight.
 */
#include <string.h>

#include "impl/drivers/xhcid/xhcid_ctx.h"
#include "impl/util/strbuf.h"

/* `dev` comes from the driver's own command records, never from the
 * controller. */
static struct xhcid_dev *dev_at(struct xhcid *h, uint32_t dev)
{
    ASSERT(dev < XHCID_SLOTS_MAX);
    return &h->devs[dev];
}

static uint32_t dev_index(const struct xhcid *h, const struct xhcid_dev *d)
{
    ASSERT(d >= h->devs);
    ASSERT(d < h->devs + XHCID_SLOTS_MAX);
    return (uint32_t)(d - h->devs);
}

static enum usb_parse_speed parse_speed(uint32_t speed)
{
    ASSERT(speed >= XHCI_SPEED_FULL); /* enabled() took only known speeds */
    ASSERT(speed <= XHCI_SPEED_SUPER_PLUS);
    switch (speed) {
    case XHCI_SPEED_LOW: return USB_PARSE_LOW;
    case XHCI_SPEED_FULL: return USB_PARSE_FULL;
    case XHCI_SPEED_HIGH: return USB_PARSE_HIGH;
    default: return USB_PARSE_SUPER;
    }
}

/* ---- lifetime ------------------------------------------------------------------------------- */

static void dev_free(struct xhcid *h, struct xhcid_dev *d)
{
    /* the controller is done with it (slot disabled, or reset): its
     * requests end now, and their buffers are the clients' again */
    ASSERT(d->state != XD_FREE); /* freed once */
    ASSERT(d->slot <= h->max_slots);
    xhcid_xfer_fail_dev(h, dev_index(h, d), -(int64_t)iosim_err_errno(IOSIM_ENODEV));
    if (d->slot != 0 && d->slot <= h->max_slots)
        xhcid_put64((uint8_t *)h->dcbaa.host + 8u * d->slot, 0);
    for (uint32_t dci = 0; dci <= XHCI_DCI_MAX; dci++)
        xhcid_ring_free(&d->ep[dci].ring);
    struct port_dma *bufs[] = {&d->in_ctx, &d->out_ctx, &d->buf};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i]->host != NULL)
            port_dma_free(bufs[i]);
    xhcid_port_release(h, d->port);
    memset(d, 0, sizeof *d);
    ASSERT(d->state == XD_FREE && !d->cmd_pending);
}

static void on_disabled(struct xhcid *h, uint32_t dev, uint32_t cc, uint32_t slot)
{
    (void)cc, (void)slot;
    struct xhcid_dev *d = dev_at(h, dev);
    ASSERT(d->state == XD_DISABLING); /* nothing else happens to a device being disabled */
    ASSERT(d->cmd_pending);
    d->cmd_pending = false;
    dev_free(h, d); /* whatever the code: the slot is of no more use to us */
}

/* Disable Slot (the controller drops the rings with it), then free. */
static void teardown(struct xhcid *h, struct xhcid_dev *d)
{
    ASSERT(d->state != XD_FREE && d->state != XD_DISABLING);
    ASSERT(!d->cmd_pending); /* torn down between its commands, never during one */
    d->state = XD_DISABLING;
    d->ctl_deadline_ns = XHCID_NO_DEADLINE;
    if (d->slot == 0 || h->dead ||
        xhcid_command(h, 0, 0, XHCI_TRB_TYPE_DISABLE_SLOT << XHCI_TRB_TYPE_SHIFT |
                                   d->slot << XHCI_TRB_SLOT_ID_SHIFT,
                      dev_index(h, d), on_disabled) != IOSIM_OK) {
        dev_free(h, d);
        return;
    }
    d->cmd_pending = true;
    ASSERT(d->state == XD_DISABLING);
}

static void refuse(struct xhcid *h, struct xhcid_dev *d, const char *what)
{
    ASSERT(what != NULL);
    ASSERT(d->state != XD_FREE);
    xhcid_trace_dev(h, d, "refused", what);
    teardown(h, d);
}

static void refuse_cc(struct xhcid *h, struct xhcid_dev *d, const char *step, uint32_t cc)
{
    char what[96];
    struct strbuf sb;
    ASSERT(step != NULL);
    strbuf_init(&sb, what, sizeof what);
    strbuf_put(&sb, step);
    strbuf_put(&sb, ": completion code ");
    strbuf_dec(&sb, cc);
    refuse(h, d, what);
}

/* Runs a device command; the completion goes to `done` unless the device
 * went away meanwhile (then it is torn down). */
static bool dev_command(struct xhcid *h, struct xhcid_dev *d, uint32_t type, uint64_t param,
                        uint32_t flags, xhcid_cmd_fn done)
{
    ASSERT(d->slot != 0); /* every command of a device after Enable Slot names its slot */
    ASSERT(!d->cmd_pending); /* one command of a device at a time */
    uint32_t control = type << XHCI_TRB_TYPE_SHIFT | d->slot << XHCI_TRB_SLOT_ID_SHIFT | flags;
    if (xhcid_command(h, param, 0, control, dev_index(h, d), done) != IOSIM_OK) {
        refuse(h, d, "no room for a command");
        return false;
    }
    d->cmd_pending = true;
    return true;
}

/* The common head of every completion: false when the device is no more. */
static struct xhcid_dev *completed(struct xhcid *h, uint32_t dev)
{
    struct xhcid_dev *d = dev_at(h, dev);
    ASSERT(d->cmd_pending); /* its command is the one that completed */
    ASSERT(d->state != XD_FREE && d->state != XD_DISABLING);
    d->cmd_pending = false;
    if (d->gone) {
        teardown(h, d);
        return NULL;
    }
    return d;
}

/* ---- EP0 control transfers ------------------------------------------------------------------ */

static void control(struct xhcid *h, struct xhcid_dev *d, enum xhcid_dev_state next, uint8_t rt,
                    uint8_t req, uint16_t value, uint16_t index, uint16_t length)
{
    struct xhcid_ring *r = &d->ep[XHCI_DCI_EP0].ring;
    bool in = (rt & USB_RT_DIR_IN) != 0;
    uint64_t setup = (uint64_t)rt | (uint64_t)req << 8 | (uint64_t)value << 16 |
                     (uint64_t)index << 32 | (uint64_t)length << 48;
    uint32_t trt = length == 0 ? XHCI_TRT_NO_DATA : in ? XHCI_TRT_IN_DATA : XHCI_TRT_OUT_DATA;
    ASSERT(d->slot != 0);
    ASSERT(length <= XHCID_CTL_BUF_BYTES); /* the data stage lands in d->buf */
    ASSERT(d->buf.host != NULL);
    d->state = next;
    d->ctl_len = length;
    d->ctl_got = length;
    d->ctl_deadline_ns = port_clock_ns() + XHCID_CTL_TIMEOUT_NS;
    (void)xhcid_ring_put(r, setup, XHCI_SETUP_TRB_LENGTH,
                         XHCI_TRB_TYPE_SETUP_STAGE << XHCI_TRB_TYPE_SHIFT | XHCI_TRB_IDT |
                             trt << XHCI_TRB_TRT_SHIFT);
    d->ctl_data_trb = 0;
    if (length != 0)
        d->ctl_data_trb = xhcid_ring_put(r, d->buf.bus_addr, length,
                                         XHCI_TRB_TYPE_DATA_STAGE << XHCI_TRB_TYPE_SHIFT |
                                             XHCI_TRB_ISP | (in ? XHCI_TRB_DIR_IN : 0));
    bool status_in = length == 0 || !in; /* the status stage goes the other way [4.11.2.2] */
    d->ctl_status_trb = xhcid_ring_put(r, 0, 0, XHCI_TRB_TYPE_STATUS_STAGE << XHCI_TRB_TYPE_SHIFT |
                                                   XHCI_TRB_IOC |
                                                   (status_in ? XHCI_TRB_DIR_IN : 0));
    ASSERT(d->ctl_status_trb != 0);
    ASSERT(length == 0 || d->ctl_data_trb != 0);
    xhcid_doorbell(h, d->slot, XHCI_DCI_EP0);
}

static void get_descriptor(struct xhcid *h, struct xhcid_dev *d, enum xhcid_dev_state next,
                           uint8_t type, uint8_t index, uint16_t langid, uint16_t length)
{
    ASSERT(length > 0 && length <= XHCID_CTL_BUF_BYTES);
    ASSERT(next >= XD_DEV8 && next <= XD_STR_SERIAL); /* a state that waits on EP0 */
    control(h, d, next, USB_RT_DIR_IN, USB_REQ_GET_DESCRIPTOR,
            (uint16_t)(type << USB_DESC_TYPE_SHIFT | index), langid, length);
}

static void control_done(struct xhcid *h, struct xhcid_dev *d, uint32_t cc);

/* ---- the steps ------------------------------------------------------------------------------ */

static void address(struct xhcid *h, struct xhcid_dev *d);
static void describe(struct xhcid *h, struct xhcid_dev *d);
static void strings(struct xhcid *h, struct xhcid_dev *d);
static void configure(struct xhcid *h, struct xhcid_dev *d);

static bool slot_taken(const struct xhcid *h, const struct xhcid_dev *d, uint32_t slot)
{
    ASSERT(slot >= 1);
    ASSERT(slot <= h->max_slots);
    for (uint32_t i = 0; i < XHCID_SLOTS_MAX; i++)
        if (&h->devs[i] != d && h->devs[i].state != XD_FREE && h->devs[i].slot == slot)
            return true;
    return false;
}

static void on_enable_slot(struct xhcid *h, uint32_t dev, uint32_t cc, uint32_t slot)
{
    struct xhcid_dev *d = dev_at(h, dev);
    ASSERT(d->state == XD_ENABLE_SLOT);
    ASSERT(d->slot == 0); /* a slot is given once */
    d->cmd_pending = false;
    if (cc == XHCI_CC_SUCCESS && slot >= 1 && slot <= h->max_slots && !slot_taken(h, d, slot))
        d->slot = slot; /* ours now: a teardown disables it */
    ASSERT(d->slot <= h->max_slots);
    if (d->gone) {
        teardown(h, d);
        return;
    }
    if (d->slot == 0) {
        refuse_cc(h, d, "Enable Slot", cc);
        return;
    }
    xhcid_put64((uint8_t *)h->dcbaa.host + 8u * d->slot, d->out_ctx.bus_addr);
    address(h, d);
}

static void on_address(struct xhcid *h, uint32_t dev, uint32_t cc, uint32_t slot)
{
    (void)slot;
    struct xhcid_dev *d = completed(h, dev);
    if (d == NULL)
        return;
    if (cc != XHCI_CC_SUCCESS) {
        refuse_cc(h, d, "Address Device", cc);
        return;
    }
    ASSERT(d->state == XD_ADDRESS);
    xhcid_trace_dev(h, d, "addressed", NULL);
    if (d->speed == XHCI_SPEED_FULL) /* EP0's packet size is the descriptor's byte 7 */
        get_descriptor(h, d, XD_DEV8, USB_DT_DEVICE, 0, 0, 8);
    else
        get_descriptor(h, d, XD_DEV18, USB_DT_DEVICE, 0, 0, USB_DT_DEVICE_BYTES);
}

static void address(struct xhcid *h, struct xhcid_dev *d)
{
    ASSERT(d->state == XD_ENABLE_SLOT);
    ASSERT(d->slot != 0);
    d->state = XD_ADDRESS;
    d->ep[XHCI_DCI_EP0].type = XHCI_EP_TYPE_CONTROL;
    d->ep[XHCI_DCI_EP0].mps = (uint16_t)xhcid_ep0_mps(d->speed);
    xhcid_ctx_clear(h, d, 0, 0x3u);
    xhcid_ctx_slot(h, d, 1);
    xhcid_ctx_ep(h, d, XHCI_DCI_EP0);
    (void)dev_command(h, d, XHCI_TRB_TYPE_ADDRESS_DEVICE, d->in_ctx.bus_addr, 0, on_address);
}

static void on_evaluate(struct xhcid *h, uint32_t dev, uint32_t cc, uint32_t slot)
{
    (void)slot;
    struct xhcid_dev *d = completed(h, dev);
    if (d == NULL)
        return;
    if (cc != XHCI_CC_SUCCESS) {
        refuse_cc(h, d, "Evaluate Context", cc);
        return;
    }
    ASSERT(d->state == XD_EVALUATE);
    ASSERT(d->speed == XHCI_SPEED_FULL); /* only full speed guesses EP0's size */
    get_descriptor(h, d, XD_DEV18, USB_DT_DEVICE, 0, 0, USB_DT_DEVICE_BYTES);
}

/* The first 8 bytes at full speed: EP0's packet size, checked, told. */
static void dev8(struct xhcid *h, struct xhcid_dev *d)
{
    uint8_t b[8];
    ASSERT(d->state == XD_DEV8);
    ASSERT(d->ctl_got <= d->ctl_len);
    port_shm_read(b, d->buf.host, sizeof b);
    uint8_t mps = b[USB_DEV_MAX_PACKET0];
    if (d->ctl_got < 8 || b[USB_DESC_TYPE] != USB_DT_DEVICE ||
        (mps != 8 && mps != 16 && mps != 32 && mps != 64)) {
        refuse(h, d, "device descriptor: a bad first 8 bytes");
        return;
    }
    if (mps == d->ep[XHCI_DCI_EP0].mps) {
        get_descriptor(h, d, XD_DEV18, USB_DT_DEVICE, 0, 0, USB_DT_DEVICE_BYTES);
        return;
    }
    d->state = XD_EVALUATE;
    d->ep[XHCI_DCI_EP0].mps = mps;
    xhcid_ctx_clear(h, d, 0, 0x2u);
    xhcid_ctx_ep(h, d, XHCI_DCI_EP0);
    (void)dev_command(h, d, XHCI_TRB_TYPE_EVALUATE_CTX, d->in_ctx.bus_addr, 0, on_evaluate);
}

/* Copies what the last data stage brought out of the shared buffer. */
static uint32_t got(const struct xhcid_dev *d, uint8_t *out, uint32_t cap)
{
    uint32_t n = d->ctl_got < cap ? d->ctl_got : cap;
    ASSERT(d->ctl_got <= d->ctl_len); /* the device's residue was bounded */
    ASSERT(d->ctl_len <= XHCID_CTL_BUF_BYTES);
    ASSERT(n <= cap);
    port_shm_read(out, d->buf.host, n);
    return n;
}

static void refuse_parse(struct xhcid *h, struct xhcid_dev *d, const char *what,
                         const struct usb_parse_problem *p)
{
    char msg[160];
    struct strbuf sb;
    ASSERT(what != NULL);
    ASSERT(p->what[0] != '\0'); /* the parser says why */
    strbuf_init(&sb, msg, sizeof msg);
    strbuf_put(&sb, what);
    strbuf_put(&sb, " at byte ");
    strbuf_dec(&sb, p->offset);
    strbuf_put(&sb, ": ");
    strbuf_put(&sb, p->what);
    refuse(h, d, msg);
}

static void dev18(struct xhcid *h, struct xhcid_dev *d)
{
    uint8_t b[USB_DT_DEVICE_BYTES];
    ASSERT(d->state == XD_DEV18);
    uint32_t n = got(d, b, sizeof b);
    ASSERT(n <= sizeof b);
    struct usb_parse_problem p = {0};
    if (usb_parse_device(b, n, parse_speed(d->speed), &d->info, &p) != IOSIM_OK) {
        refuse_parse(h, d, "device descriptor", &p);
        return;
    }
    memcpy(d->dev_raw, b, sizeof d->dev_raw);
    get_descriptor(h, d, XD_CFG9, USB_DT_CONFIG, 0, 0, USB_DT_CONFIG_BYTES);
}

static void cfg9(struct xhcid *h, struct xhcid_dev *d)
{
    uint8_t b[USB_DT_CONFIG_BYTES];
    ASSERT(d->state == XD_CFG9);
    uint32_t n = got(d, b, sizeof b);
    ASSERT(n <= sizeof b);
    struct usb_parse_problem p = {0};
    if (usb_parse_config_total(b, n, &d->cfg_total, &p) != IOSIM_OK) {
        refuse_parse(h, d, "configuration header", &p);
        return;
    }
    if (d->cfg_total > XHCID_CTL_BUF_BYTES) {
        refuse(h, d, "configuration: wTotalLength larger than the driver takes");
        return;
    }
    ASSERT(d->cfg_total > 0 && d->cfg_total <= XHCID_CTL_BUF_BYTES);
    get_descriptor(h, d, XD_CFG, USB_DT_CONFIG, 0, 0, d->cfg_total);
}

static void cfg(struct xhcid *h, struct xhcid_dev *d)
{
    uint8_t *b = d->cfg_raw; /* parsed where it is kept */
    ASSERT(d->state == XD_CFG);
    ASSERT(d->cfg_total <= XHCID_CTL_BUF_BYTES); /* cfg9 refused larger */
    uint32_t n = got(d, b, XHCID_CTL_BUF_BYTES);
    struct usb_parse_problem p = {0};
    if (n != d->cfg_total) {
        refuse(h, d, "configuration: fewer bytes than wTotalLength");
        return;
    }
    if (usb_parse_config(b, n, parse_speed(d->speed), &d->cfg, &p) != IOSIM_OK) {
        refuse_parse(h, d, "configuration", &p);
        return;
    }
    ASSERT(d->cfg.iface_count >= 1 && d->cfg.iface_count <= USB_PARSE_IFACES_MAX);

    strings(h, d);
}

static void describe(struct xhcid *h, struct xhcid_dev *d)
{
    ASSERT(d->state == XD_DEV8 || d->state == XD_DEV18 || d->state == XD_CFG9 ||
           d->state == XD_CFG);
    ASSERT(!d->gone);
    if (d->state == XD_DEV8)
        dev8(h, d);
    else if (d->state == XD_DEV18)
        dev18(h, d);
    else if (d->state == XD_CFG9)
        cfg9(h, d);
    else if (d->state == XD_CFG)
        cfg(h, d);
}

/* ---- strings: wanted, not required ---------------------------------------------------------- */

static uint8_t string_index(const struct xhcid_dev *d, enum xhcid_dev_state s)
{
    ASSERT(s >= XD_STR_MANUFACTURER && s <= XD_STR_SERIAL);
    return s == XD_STR_MANUFACTURER ? d->info.i_manufacturer
           : s == XD_STR_PRODUCT    ? d->info.i_product
           : s == XD_STR_SERIAL     ? d->info.i_serial
                                    : 0;
}

static char *string_field(struct xhcid_dev *d, enum xhcid_dev_state s)
{
    ASSERT(s >= XD_STR_MANUFACTURER && s <= XD_STR_SERIAL);
    return s == XD_STR_MANUFACTURER ? d->manufacturer : s == XD_STR_PRODUCT ? d->product
                                                                             : d->serial;
}

/* Asks for the next string after state `from` that the device has. */
static void next_string(struct xhcid *h, struct xhcid_dev *d, enum xhcid_dev_state from)
{
    ASSERT(from >= XD_LANGID && from <= XD_STR_SERIAL); /* after a string or the LANGIDs */
    ASSERT(d->state == from);
    for (enum xhcid_dev_state s = from + 1; s <= XD_STR_SERIAL; s++) {
        uint8_t index = string_index(d, s);
        if (index != 0 && d->langid != 0) {
            get_descriptor(h, d, s, USB_DT_STRING, index, d->langid, USB_STRING_MAX_BYTES);
            return;
        }
    }
    configure(h, d);
}

static void strings(struct xhcid *h, struct xhcid_dev *d)
{
    ASSERT(d->state == XD_CFG);
    ASSERT(d->langid == 0); /* asked for below, once */
    if (d->info.i_manufacturer == 0 && d->info.i_product == 0 && d->info.i_serial == 0) {
        configure(h, d);
        return;
    }
    get_descriptor(h, d, XD_LANGID, USB_DT_STRING, 0, 0, USB_STRING_MAX_BYTES);
}

static void string_got(struct xhcid *h, struct xhcid_dev *d, bool ok)
{
    uint8_t b[USB_STRING_MAX_BYTES];
    uint32_t n = ok ? got(d, b, sizeof b) : 0;
    ASSERT(d->state == XD_LANGID || (d->state >= XD_STR_MANUFACTURER && d->state <= XD_STR_SERIAL));
    ASSERT(n <= sizeof b);
    if (d->state == XD_LANGID) {
        if (!ok || usb_parse_langid(b, n, &d->langid, NULL) != IOSIM_OK)
            d->langid = 0; /* no strings, then */
    } else if (ok) {
        char *field = string_field(d, d->state);
        if (usb_parse_string(b, n, field, XHCID_STRING_MAX, NULL) != IOSIM_OK)
            field[0] = '\0';
    }
    next_string(h, d, d->state);
}

/* ---- EP0 recovery: Reset Endpoint, Set TR Dequeue Pointer [4.6.8, 4.6.10] ------------------- */

static void on_set_deq0(struct xhcid *h, uint32_t dev, uint32_t cc, uint32_t slot)
{
    (void)slot;
    struct xhcid_dev *d = completed(h, dev);
    if (d == NULL)
        return;
    if (cc != XHCI_CC_SUCCESS) {
        refuse_cc(h, d, "Set TR Dequeue Pointer (EP0)", cc);
        return;
    }
    ASSERT(d->state == XD_SET_DEQ0);
    ASSERT(d->resume == XD_LANGID || (d->resume >= XD_STR_MANUFACTURER && d->resume <= XD_STR_SERIAL));
    d->state = d->resume;
    string_got(h, d, false);
}

static void on_reset_ep0(struct xhcid *h, uint32_t dev, uint32_t cc, uint32_t slot)
{
    (void)slot;
    struct xhcid_dev *d = completed(h, dev);
    if (d == NULL)
        return;
    if (cc != XHCI_CC_SUCCESS) {
        refuse_cc(h, d, "Reset Endpoint (EP0)", cc);
        return;
    }
    ASSERT(d->state == XD_RESET_EP0);
    d->state = XD_SET_DEQ0;
    (void)dev_command(h, d, XHCI_TRB_TYPE_SET_TR_DEQUEUE,
                      xhcid_ring_deq(&d->ep[XHCI_DCI_EP0].ring),
                      XHCI_DCI_EP0 << XHCI_TRB_EP_ID_SHIFT, on_set_deq0);
}

/* A string request failed: when EP0 halted it is recovered first, then
 * enumeration goes on past that string. */
static void string_failed(struct xhcid *h, struct xhcid_dev *d)
{
    if (xhcid_ctx_ep_state(h, d, XHCI_DCI_EP0) != XHCI_EP_STATE_HALTED) {
        string_got(h, d, false);
        return;
    }
    ASSERT(d->state == XD_LANGID || (d->state >= XD_STR_MANUFACTURER && d->state <= XD_STR_SERIAL));
    ASSERT(!d->cmd_pending);
    d->resume = d->state;
    d->state = XD_RESET_EP0;
    (void)dev_command(h, d, XHCI_TRB_TYPE_RESET_EP, 0, XHCI_DCI_EP0 << XHCI_TRB_EP_ID_SHIFT,
                      on_reset_ep0);
}

/* ---- configuration -------------------------------------------------------------------------- */

static void on_configure(struct xhcid *h, uint32_t dev, uint32_t cc, uint32_t slot)
{
    (void)slot;
    struct xhcid_dev *d = completed(h, dev);
    if (d == NULL)
        return;
    if (cc != XHCI_CC_SUCCESS) {
        refuse_cc(h, d, "Configure Endpoint", cc);
        return;
    }
    ASSERT(d->state == XD_CONFIGURE_EP);
    control(h, d, XD_SET_CONFIG, 0, USB_REQ_SET_CONFIGURATION, d->cfg.value, 0, 0);
}

/* Every bulk and interrupt endpoint of alternate setting 0, each on a new
 * ring; the slot context says the last DCI. */
static void configure(struct xhcid *h, struct xhcid_dev *d)
{
    uint32_t add = 1u, last = XHCI_DCI_EP0;
    ASSERT(d->cfg.iface_count <= USB_PARSE_IFACES_MAX);
    ASSERT(d->state >= XD_CFG && d->state <= XD_STR_SERIAL); /* after the strings */
    d->state = XD_CONFIGURE_EP;
    xhcid_ctx_clear(h, d, 0, 0);
    for (uint32_t i = 0; i < d->cfg.iface_count; i++) {
        const struct usb_interface_info *in = &d->cfg.iface[i];
        for (uint32_t k = 0; k < in->num_eps; k++) {
            struct xhcid_ep e = {0};
            uint32_t dci;
            if (!xhcid_ctx_from_desc(d, &in->ep[k], &e, &dci) || (add & 1u << dci))
                continue;
            ASSERT(dci > XHCI_DCI_EP0 && dci <= XHCI_DCI_MAX);
            ASSERT(k < USB_PARSE_EPS_MAX);
            d->ep[dci] = e;
            if (xhcid_ring_init(&d->ep[dci].ring) != IOSIM_OK) {
                refuse(h, d, "no memory for a transfer ring");
                return;
            }
            xhcid_ctx_ep(h, d, dci);
            add |= 1u << dci;
            last = dci > last ? dci : last;
        }
    }
    ASSERT(add & 1u); /* the slot context is always added */
    ASSERT(last <= XHCI_DCI_MAX);
    xhcid_put32((uint8_t *)d->in_ctx.host + 4u * XHCI_ICC_DW_ADD, add);
    xhcid_ctx_slot(h, d, last);
    (void)dev_command(h, d, XHCI_TRB_TYPE_CONFIGURE_EP, d->in_ctx.bus_addr, 0, on_configure);
}

static void configured(struct xhcid *h, struct xhcid_dev *d)
{
    char what[3 * XHCID_STRING_MAX + 16];
    ASSERT(d->state == XD_SET_CONFIG);
    ASSERT(!d->gone && !d->cmd_pending);
    d->state = XD_CONFIGURED;
    h->configured++;
    struct strbuf sb;
    strbuf_init(&sb, what, sizeof what);
    strbuf_put(&sb, d->manufacturer);
    strbuf_put(&sb, " / ");
    strbuf_put(&sb, d->product);
    strbuf_put(&sb, " / ");
    strbuf_put(&sb, d->serial);
    xhcid_trace_dev(h, d, "configured", what);
    xhcid_serve_device_ready(h, dev_index(h, d));
}

/* ---- completions of EP0 transfers ----------------------------------------------------------- */

static bool is_string_state(enum xhcid_dev_state s)
{
    return s == XD_LANGID || (s >= XD_STR_MANUFACTURER && s <= XD_STR_SERIAL);
}

static bool waits_on_ep0(enum xhcid_dev_state s);

static void control_done(struct xhcid *h, struct xhcid_dev *d, uint32_t cc)
{
    ASSERT(waits_on_ep0(d->state)); /* only a device that asked has an answer */
    ASSERT(!d->cmd_pending); /* no command runs beside a control transfer */
    d->ctl_deadline_ns = XHCID_NO_DEADLINE;
    if (d->gone) {
        teardown(h, d);
        return;
    }
    if (cc != XHCI_CC_SUCCESS && !(xhcid_portsc(h, d->port) & XHCI_PORTSC_CCS)) {
        xhcid_port_change(h, d->port); /* it failed because the device left */
        return;
    }
    if (is_string_state(d->state)) {
        if (cc == XHCI_CC_SUCCESS)
            string_got(h, d, true);
        else
            string_failed(h, d);
        return;
    }
    if (cc != XHCI_CC_SUCCESS) {
        refuse_cc(h, d, d->state == XD_SET_CONFIG ? "SET_CONFIGURATION" : "GET_DESCRIPTOR", cc);
        return;
    }
    if (d->state == XD_SET_CONFIG)
        configured(h, d);
    else
        describe(h, d);
}

static bool waits_on_ep0(enum xhcid_dev_state s)
{
    ASSERT(s <= XD_DISABLING);
    return s == XD_DEV8 || s == XD_DEV18 || s == XD_CFG9 || s == XD_CFG || s == XD_SET_CONFIG ||
           is_string_state(s);
}

static struct xhcid_dev *dev_of_slot(struct xhcid *h, uint32_t slot)
{
    ASSERT(h->max_slots <= XHCID_SLOTS_MAX);
    for (uint32_t i = 0; i < XHCID_SLOTS_MAX; i++)
        if (h->devs[i].state != XD_FREE && h->devs[i].slot == slot && slot != 0)
            return &h->devs[i];
    return NULL;
}

void xhcid_dev_transfer(struct xhcid *h, uint32_t slot, uint32_t dci, uint64_t trb, uint32_t cc,
                        uint32_t residue)
{
    struct xhcid_dev *d = dev_of_slot(h, slot);
    if (d != NULL && d->state == XD_CONFIGURED && dci >= XHCI_DCI_EP0 && dci <= XHCI_DCI_MAX) {
        xhcid_xfer_event(h, dev_index(h, d), dci, trb, cc, residue);
        return;
    }
    if (d == NULL || dci != XHCI_DCI_EP0 || !waits_on_ep0(d->state))
        return; /* not ours, or nothing waits for it */
    ASSERT(d->ctl_got <= d->ctl_len);
    if (trb == d->ctl_data_trb && trb != 0 && cc == XHCI_CC_SHORT_PACKET) {
        d->ctl_got = residue <= d->ctl_len ? d->ctl_len - residue : 0;
        ASSERT(d->ctl_got <= d->ctl_len);
        return; /* the status stage's event follows */
    }
    if (trb == d->ctl_status_trb || (trb == d->ctl_data_trb && trb != 0))
        control_done(h, d, cc);
}

/* ---- attach, detach, timers ----------------------------------------------------------------- */

/* For assertions: every device record is free. */
static bool no_device(const struct xhcid *h)
{
    for (uint32_t i = 0; i < XHCID_SLOTS_MAX; i++)
        if (h->devs[i].state != XD_FREE)
            return false;
    return true;
}

static bool dev_alloc(struct xhcid *h, struct xhcid_dev *d)
{
    size_t in = (size_t)XHCI_INPUT_CTX_ENTRIES * h->ctx_bytes;
    size_t out = (size_t)XHCI_DEVICE_CTX_ENTRIES * h->ctx_bytes;
    ASSERT(h->ctx_bytes == XHCI_CTX_BYTES || h->ctx_bytes == XHCI_CTX_BYTES_CSZ);
    ASSERT(d->in_ctx.host == NULL && d->out_ctx.host == NULL); /* a fresh device */
    return port_dma_alloc(in, XHCI_INPUT_CTX_ALIGN_BYTES, &d->in_ctx) == IOSIM_OK &&
           port_dma_alloc(out, XHCI_DEVICE_CTX_ALIGN_BYTES, &d->out_ctx) == IOSIM_OK &&
           port_dma_alloc(XHCID_CTL_BUF_BYTES, 64, &d->buf) == IOSIM_OK &&
           xhcid_ring_init(&d->ep[XHCI_DCI_EP0].ring) == IOSIM_OK;
}

void xhcid_dev_attach(struct xhcid *h, uint32_t port, uint32_t speed, uint8_t slot_type)
{
    struct xhcid_dev *d = NULL;
    ASSERT(port >= 1 && port <= h->nports);
    ASSERT(h->ports[port].state == XP_ENABLED);
    for (uint32_t i = 0; i < XHCID_SLOTS_MAX && d == NULL; i++)
        if (h->devs[i].state == XD_FREE)
            d = &h->devs[i];
    if (d == NULL) {
        xhcid_trace_port(h, port, speed, "refused", "no device slots left in the driver");
        return;
    }
    memset(d, 0, sizeof *d);
    d->port = port;
    d->speed = speed;
    d->state = XD_ENABLE_SLOT;
    d->ctl_deadline_ns = XHCID_NO_DEADLINE;
    h->ports[port].dev = dev_index(h, d);
    ASSERT(h->ports[port].dev < XHCID_SLOTS_MAX);
    if (!dev_alloc(h, d)) {
        refuse(h, d, "no memory for the device's contexts");
        return;
    }
    if (xhcid_command(h, 0, 0, XHCI_TRB_TYPE_ENABLE_SLOT << XHCI_TRB_TYPE_SHIFT |
                                   (uint32_t)slot_type << XHCI_TRB_SLOT_TYPE_SHIFT,
                      dev_index(h, d), on_enable_slot) != IOSIM_OK) {
        refuse(h, d, "no room for a command");
        return;
    }
    d->cmd_pending = true;
}

void xhcid_dev_detach(struct xhcid *h, uint32_t dev)
{
    struct xhcid_dev *d = dev_at(h, dev);
    if (d->state == XD_FREE || d->gone)
        return;
    ASSERT(d->port >= 1 && d->port <= XHCID_PORTS_MAX);
    xhcid_trace_dev(h, d, "gone", NULL);
    if (d->state == XD_CONFIGURED)
        xhcid_serve_device_gone(h, dev);
    d->gone = true;
    if (!d->cmd_pending && d->state != XD_DISABLING)
        teardown(h, d);
    ASSERT(d->state == XD_DISABLING || d->state == XD_FREE || d->cmd_pending);
}

void xhcid_dev_timers(struct xhcid *h, uint64_t now)
{
    ASSERT(h != NULL);
    for (uint32_t i = 0; i < XHCID_SLOTS_MAX; i++) {
        struct xhcid_dev *d = &h->devs[i];
        if (d->state != XD_FREE && waits_on_ep0(d->state) && now >= d->ctl_deadline_ns)
            control_done(h, d, XHCI_CC_INVALID); /* Disable Slot drops what is queued */
    }
}

uint64_t xhcid_dev_next_deadline(const struct xhcid *h)
{
    uint64_t next = XHCID_NO_DEADLINE;
    ASSERT(h != NULL);
    for (uint32_t i = 0; i < XHCID_SLOTS_MAX; i++) {
        const struct xhcid_dev *d = &h->devs[i];
        if (d->state != XD_FREE && waits_on_ep0(d->state) && d->ctl_deadline_ns < next)
            next = d->ctl_deadline_ns;
    }
    return next;
}

void xhcid_dev_drop_all(struct xhcid *h)
{
    for (uint32_t i = 0; i < XHCID_SLOTS_MAX; i++) {
        struct xhcid_dev *d = &h->devs[i];
        if (d->state == XD_FREE)
            continue;
        xhcid_trace_dev(h, d, "gone", "controller reset");
        if (d->state == XD_CONFIGURED)
            xhcid_serve_device_gone(h, i);
        dev_free(h, d);
    }
    ASSERT(no_device(h));
}

void xhcid_dev_free_all(struct xhcid *h)
{
    for (uint32_t i = 0; i < XHCID_SLOTS_MAX; i++)
        if (h->devs[i].state != XD_FREE)
            dev_free(h, &h->devs[i]);
    ASSERT(no_device(h));
}
