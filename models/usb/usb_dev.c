/* The USB device framework: transfers, life cycle and queries; see usb_dev.h. */
#include "models/usb/usb_dev.h"

#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "models/usb/usb_desc.h"
#include "models/usb/usb_dev_internal.h"

#define SEQ_MOD_USB2 2u              /* DATA0 / DATA1 */
#define SEQ_MOD_SS 32u               /* SuperSpeed sequence numbers are 5 bits [USB32 ch. 8] */

void usb_setup_decode(const uint8_t raw[USB_SETUP_BYTES], struct usb_setup *out)
{
    ASSERT(raw != NULL);
    ASSERT(out != NULL);
    *out = (struct usb_setup){
        .request_type = raw[USB_SETUP_REQUEST_TYPE],
        .request = raw[USB_SETUP_REQUEST],
        .value = usb_le16(&raw[USB_SETUP_VALUE]),
        .index = usb_le16(&raw[USB_SETUP_INDEX]),
        .length = usb_le16(&raw[USB_SETUP_LENGTH]),
    };
}

void usb_setup_encode(const struct usb_setup *s, uint8_t raw[USB_SETUP_BYTES])
{
    ASSERT(s != NULL);
    ASSERT(raw != NULL);
    raw[USB_SETUP_REQUEST_TYPE] = s->request_type;
    raw[USB_SETUP_REQUEST] = s->request;
    usb_put_le16(&raw[USB_SETUP_VALUE], s->value);
    usb_put_le16(&raw[USB_SETUP_INDEX], s->index);
    usb_put_le16(&raw[USB_SETUP_LENGTH], s->length);
}

/* Back to what a bus reset leaves (the state itself is the caller's). */
static void forget_all(struct usb_dev *d)
{
    usb_dev_forget_config(d);
    d->address = 0;
    d->remote_wakeup_on = false;
    memset(d->sel, 0, sizeof d->sel);
    d->isoch_delay_ns = 0;
}

static void fn_reset(struct usb_dev *d)
{
    if (d->cfg.ops == NULL || d->cfg.ops->reset == NULL)
        return;
    d->depth++;
    d->cfg.ops->reset(d->cfg.ctx);
    d->depth--;
}

/* ---- the function's requests --------------------------------------------------------------- */

static enum usb_result function_request(struct usb_dev *d, const struct usb_setup *s,
                                        const uint8_t *data, struct usb_reply *r)
{
    const struct usb_fn_ops *ops = d->cfg.ops;
    if (ops == NULL || ops->control == NULL)
        return USB_STALL;
    uint32_t n = 0;
    if (!usb_setup_in(s)) { /* the function sees a copy: the controller's buffer stays its own */
        memcpy(d->ctrl, data, s->length);
        n = s->length;
    }
    d->depth++;
    enum usb_result res = ops->control(d->cfg.ctx, s, d->ctrl, &n);
    d->depth--;
    ASSERT((unsigned)res < USB_RESULT_COUNT);
    ASSERT(res != USB_NAK); /* a function answers control requests at once */
    ASSERT(n <= s->length);
    r->bytes = d->ctrl;
    r->len_bytes = n <= s->length ? n : s->length;
    return res;
}

static enum usb_result dispatch(struct usb_dev *d, const struct usb_setup *s, const uint8_t *data,
                                struct usb_reply *r)
{
    if (usb_setup_recipient(s) > USB_RT_RECIPIENT_OTHER)
        return USB_STALL; /* reserved */
    uint8_t type = usb_setup_type(s);
    if (type == USB_RT_TYPE_STANDARD) {
        enum usb_result res = usb_dev_standard_request(d, s, data, r);
        if (res != USB_DEV_FORWARD)
            return res;
    } else if (type != USB_RT_TYPE_CLASS && type != USB_RT_TYPE_VENDOR) {
        return USB_STALL; /* reserved */
    }
    return function_request(d, s, data, r);
}

/* ---- the controller's calls ---------------------------------------------------------------- */

enum usb_result usb_dev_control(struct usb_dev *d, const uint8_t setup[USB_SETUP_BYTES],
                                uint8_t *data, uint32_t *len_bytes)
{
    ASSERT(d != NULL);
    ASSERT(setup != NULL);
    ASSERT(len_bytes != NULL);
    ASSERT(data != NULL || *len_bytes == 0);
    ASSERT(d->depth == 0);
    uint32_t room = *len_bytes;
    *len_bytes = 0;
    if (!usb_dev_answering(d))
        return USB_XACT_ERR;
    struct usb_setup s;
    usb_setup_decode(setup, &s);
    /* an OUT data stage is exactly wLength bytes [USB2 9.3.5] */
    if (!usb_setup_in(&s) && room != s.length)
        return USB_STALL;
    struct usb_reply r = {0};
    enum usb_result res = dispatch(d, &s, data, &r);
    if (res != USB_ACK && res != USB_BABBLE)
        return res;
    if (!usb_setup_in(&s)) {
        *len_bytes = res == USB_ACK ? s.length : 0;
        return res;
    }
    /* the device never sends past wLength [USB2 9.3.5]; past the room it babbles */
    uint32_t n = r.len_bytes < s.length ? r.len_bytes : s.length;
    if (n > room) {
        n = room;
        res = USB_BABBLE;
    }
    if (n > 0)
        memcpy(data, r.bytes, n);
    *len_bytes = n;
    return res;
}

static uint32_t seq_mod(const struct usb_dev *d)
{
    return usb_speed_is_super(d->cfg.speed) ? SEQ_MOD_SS : SEQ_MOD_USB2;
}

/* Packets a transfer of n bytes moved. An ACKed IN that stopped short of
 * max ended with a short packet, or a zero-length one when n is a whole
 * number of packets; an ACKed OUT of 0 bytes was one zero-length packet.
 * Anything else moved whole packets only. */
static uint32_t packets(const struct usb_ep_info *e, enum usb_result res, bool in, uint32_t n,
                        uint32_t max)
{
    uint32_t mps = e->max_packet_bytes;
    ASSERT(mps > 0);
    if (res != USB_ACK)
        return n / mps;
    uint32_t p = n / mps + (n % mps != 0);
    if (in ? n < max && n % mps == 0 : n == 0)
        p++;
    return p;
}

static void advance(struct usb_dev *d, struct usb_ep_info *e, enum usb_result res, bool in,
                    uint32_t n, uint32_t max)
{
    uint32_t mod = seq_mod(d);
    e->seq = (e->seq + packets(e, res, in, n, max) % mod) % mod;
    if (res == USB_STALL)
        e->halted = true;
}

/* The endpoint an IN or OUT reaches, or NULL and *why: no answer, or STALL
 * (not an endpoint of the configuration in that direction, halted, or no
 * function op to answer). */
static struct usb_ep_info *io_target(struct usb_dev *d, uint8_t ep_addr, bool in,
                                     enum usb_result *why)
{
    ASSERT(d->depth == 0);
    *why = USB_STALL;
    if (!usb_dev_answering(d)) {
        *why = USB_XACT_ERR;
        return NULL;
    }
    const struct usb_fn_ops *ops = d->cfg.ops;
    struct usb_ep_info *e = usb_dev_active_ep(d, ep_addr);
    if (e == NULL || ((ep_addr & USB_EP_ADDR_DIR_IN) != 0) != in || e->halted || ops == NULL ||
        (in ? ops->in == NULL : ops->out == NULL))
        return NULL;
    return e;
}

/* One bulk/interrupt transfer through the function: in_buf for IN, out_buf
 * for OUT, len the room or the data; *moved what went. */
static enum usb_result transfer(struct usb_dev *d, uint8_t ep_addr, bool in, uint8_t *in_buf,
                                const uint8_t *out_buf, uint32_t len, uint32_t *moved)
{
    *moved = 0;
    enum usb_result res;
    struct usb_ep_info *e = io_target(d, ep_addr, in, &res);
    if (e == NULL)
        return res;
    const struct usb_fn_ops *ops = d->cfg.ops;
    uint32_t n = 0;
    d->depth++;
    res = in ? ops->in(d->cfg.ctx, ep_addr, in_buf, len, &n)
             : ops->out(d->cfg.ctx, ep_addr, out_buf, len, &n);
    d->depth--;
    /* the function's side of the contract (usb_dev.h, struct usb_fn_ops) */
    ASSERT((unsigned)res < USB_RESULT_COUNT);
    ASSERT(n <= len);
    ASSERT(res != USB_NAK || n % e->max_packet_bytes == 0);
    ASSERT(in || res != USB_ACK || n == len);
    ASSERT(in || res != USB_NAK || n < len || len == 0);
    if (n > len)
        n = len;
    advance(d, e, res, in, n, len);
    *moved = n;
    return res;
}

enum usb_result usb_dev_in(struct usb_dev *d, uint8_t ep_addr, uint8_t *buf, uint32_t max_bytes,
                           uint32_t *got_bytes)
{
    ASSERT(d != NULL);
    ASSERT(got_bytes != NULL);
    ASSERT(buf != NULL || max_bytes == 0);
    return transfer(d, ep_addr, true, buf, NULL, max_bytes, got_bytes);
}

enum usb_result usb_dev_out(struct usb_dev *d, uint8_t ep_addr, const uint8_t *buf,
                            uint32_t len_bytes, uint32_t *taken_bytes)
{
    ASSERT(d != NULL);
    ASSERT(taken_bytes != NULL);
    ASSERT(buf != NULL || len_bytes == 0);
    return transfer(d, ep_addr, false, NULL, buf, len_bytes, taken_bytes);
}

bool usb_dev_ready(struct usb_dev *d, uint8_t ep_addr)
{
    ASSERT(d != NULL);
    if (d->state != USB_DEV_CONFIGURED || usb_dev_active_ep(d, ep_addr) == NULL ||
        d->host == NULL || d->host->ready == NULL)
        return false;
    d->host->ready(d->host_ctx, ep_addr);
    return true;
}

enum iosim_err usb_dev_halt(struct usb_dev *d, uint8_t ep_addr)
{
    ASSERT(d != NULL);
    if (d->state == USB_DEV_DETACHED)
        return IOSIM_ENODEV;
    struct usb_ep_info *e = usb_dev_active_ep(d, ep_addr);
    if (e == NULL)
        return IOSIM_ENOENT;
    e->halted = true;
    return IOSIM_OK;
}

static bool blob_ok(const struct usb_blob *b)
{
    return b->bytes != NULL || b->len_bytes == 0;
}

/* ---- life cycle ---------------------------------------------------------------------------- */

static bool config_ok(const struct usb_dev_config *c)
{
    if (c->name == NULL || (unsigned)c->speed >= USB_SPEED_COUNT)
        return false;
    if (c->configs == NULL && c->configs_count > 0)
        return false;
    if (c->strings == NULL && c->strings_count > 0)
        return false;
    if (!blob_ok(&c->device) || !blob_ok(&c->bos) || !blob_ok(&c->qualifier) ||
        !blob_ok(&c->other_speed))
        return false;
    for (uint32_t i = 0; i < c->configs_count; i++)
        if (!blob_ok(&c->configs[i]))
            return false;
    for (uint32_t i = 0; i < c->strings_count; i++)
        if (!blob_ok(&c->strings[i]))
            return false;
    return true;
}

enum iosim_err usb_dev_create(const struct usb_dev_config *cfg, struct usb_dev **out)
{
    ASSERT(cfg != NULL);
    ASSERT(out != NULL);
    if (!config_ok(cfg))
        return IOSIM_EINVAL;
    struct usb_dev *d = calloc(1, sizeof *d);
    if (d == NULL)
        return IOSIM_ENOMEM;
    d->cfg = *cfg;
    d->state = USB_DEV_DETACHED;
    forget_all(d);
    *out = d;
    return IOSIM_OK;
}

void usb_dev_destroy(struct usb_dev *d)
{
    if (d == NULL)
        return;
    ASSERT(d->depth == 0);
    free(d);
}

enum iosim_err usb_dev_wrap_fn(struct usb_dev *d, const struct usb_fn_ops *ops, void *ctx,
                               const struct usb_fn_ops **inner_ops, void **inner_ctx)
{
    ASSERT(d != NULL);
    ASSERT(ops != NULL);
    ASSERT(inner_ops != NULL);
    ASSERT(inner_ctx != NULL);
    ASSERT(d->depth == 0);
    if (d->state != USB_DEV_DETACHED)
        return IOSIM_EBUSY;
    *inner_ops = d->cfg.ops;
    *inner_ctx = d->cfg.ctx;
    d->cfg.ops = ops;
    d->cfg.ctx = ctx;
    return IOSIM_OK;
}

enum iosim_err usb_dev_attach(struct usb_dev *d, const struct usb_host_ops *host, void *host_ctx)
{
    ASSERT(d != NULL);
    ASSERT(host != NULL);
    ASSERT(d->depth == 0);
    if (d->state != USB_DEV_DETACHED)
        return IOSIM_EBUSY;
    d->host = host;
    d->host_ctx = host_ctx;
    d->state = USB_DEV_POWERED;
    return IOSIM_OK;
}

void usb_dev_detach(struct usb_dev *d)
{
    ASSERT(d != NULL);
    ASSERT(d->depth == 0);
    if (d->state == USB_DEV_DETACHED)
        return;
    forget_all(d);
    d->test_mode = 0;
    d->host = NULL;
    d->host_ctx = NULL;
    d->state = USB_DEV_DETACHED;
    fn_reset(d);
}

enum iosim_err usb_dev_bus_reset(struct usb_dev *d)
{
    ASSERT(d != NULL);
    ASSERT(d->depth == 0);
    if (d->state == USB_DEV_DETACHED)
        return IOSIM_ENODEV;
    if (d->test_mode != 0)
        return IOSIM_OK; /* only a power cycle leaves test mode [USB2 7.1.20] */
    forget_all(d);
    d->state = USB_DEV_DEFAULT;
    fn_reset(d);
    return IOSIM_OK;
}

/* ---- queries ------------------------------------------------------------------------------- */

const char *usb_dev_name(const struct usb_dev *d)
{
    ASSERT(d != NULL);
    return d->cfg.name;
}

enum usb_dev_state usb_dev_state(const struct usb_dev *d)
{
    ASSERT(d != NULL);
    return d->state;
}

uint8_t usb_dev_address(const struct usb_dev *d)
{
    ASSERT(d != NULL);
    return d->address;
}

enum usb_speed usb_dev_speed(const struct usb_dev *d)
{
    ASSERT(d != NULL);
    return d->cfg.speed;
}

uint8_t usb_dev_config_value(const struct usb_dev *d)
{
    ASSERT(d != NULL);
    return d->config_value;
}

bool usb_dev_alt(const struct usb_dev *d, uint8_t interface, uint8_t *alternate)
{
    ASSERT(d != NULL);
    ASSERT(alternate != NULL);
    if (d->state != USB_DEV_CONFIGURED || !usb_dev_iface_exists(d, interface))
        return false;
    *alternate = d->cur_alt[interface];
    return true;
}

bool usb_dev_ep_info(const struct usb_dev *d, uint8_t ep_addr, struct usb_ep_info *info)
{
    ASSERT(d != NULL);
    ASSERT(info != NULL);
    uint32_t s = usb_dev_active_slot(d, ep_addr);
    *info = s < USB_DEV_EP_SLOTS ? d->eps[s] : (struct usb_ep_info){0};
    return info->present;
}

uint16_t usb_dev_ep0_max_packet(const struct usb_dev *d)
{
    ASSERT(d != NULL);
    const struct usb_blob *b = &d->cfg.device;
    bool has = usb_blob_present(b) && b->len_bytes > USB_DEV_MAX_PACKET0;
    int v = has ? b->bytes[USB_DEV_MAX_PACKET0] : -1;
    switch (d->cfg.speed) {
    case USB_SPEED_LOW: return USB_LS_CONTROL_MPS;
    case USB_SPEED_FULL:
        return v == 8 || v == 16 || v == 32 || v == 64 ? (uint16_t)v : USB_FS_CONTROL_MPS_MAX;
    case USB_SPEED_HIGH: return USB_HS_CONTROL_MPS;
    case USB_SPEED_SUPER:
    case USB_SPEED_SUPER_PLUS: return USB_SS_CONTROL_MPS;
    case USB_SPEED_COUNT: break;
    }
    ASSERT(false);
    return USB_FS_CONTROL_MPS_MIN;
}

bool usb_dev_remote_wakeup_enabled(const struct usb_dev *d)
{
    ASSERT(d != NULL);
    return d->remote_wakeup_on;
}

uint8_t usb_dev_test_mode(const struct usb_dev *d)
{
    ASSERT(d != NULL);
    return d->test_mode;
}

const char *usb_result_name(enum usb_result r)
{
    static const char *const names[USB_RESULT_COUNT] = {"ACK", "NAK", "STALL", "XACT_ERR",
                                                        "BABBLE"};
    return (unsigned)r < USB_RESULT_COUNT ? names[r] : "?";
}

const char *usb_dev_state_name(enum usb_dev_state s)
{
    static const char *const names[USB_DEV_STATE_COUNT] = {"detached", "powered", "default",
                                                           "address", "configured"};
    return (unsigned)s < USB_DEV_STATE_COUNT ? names[s] : "?";
}

const char *usb_speed_name(enum usb_speed s)
{
    static const char *const names[USB_SPEED_COUNT] = {"low", "full", "high", "super",
                                                       "super_plus"};
    return (unsigned)s < USB_SPEED_COUNT ? names[s] : "?";
}
