/* The USB device framework: the chapter 9 standard requests [USB2 9.4],
 * [USB32 9.4]; see usb_dev.h for which it answers and how. */
#include <string.h>

#include "impl/port/check.h"
#include "models/usb/usb_desc.h"
#include "models/usb/usb_dev_internal.h"

#define TEST_SELECTOR_SHIFT 8u       /* SET_FEATURE(TEST_MODE): selector in wIndex 15:8 */

static enum usb_result reply_u16(struct usb_reply *r, uint16_t v)
{
    usb_put_le16(r->small, v);
    r->bytes = r->small;
    r->len_bytes = 2;
    return USB_ACK;
}

static enum usb_result reply_u8(struct usb_reply *r, uint8_t v)
{
    r->small[0] = v;
    r->bytes = r->small;
    r->len_bytes = 1;
    return USB_ACK;
}

/* wIndex naming an endpoint: low byte the address, high byte zero [USB2 9.3.4]. */
static bool ep_index_ok(uint16_t index)
{
    return (index & 0xff00u) == 0 && (index & USB_DEV_EP_ADDR_RESERVED) == 0;
}

static uint16_t device_status(const struct usb_dev *d)
{
    uint16_t st = 0;
    if (d->cfg.self_powered)
        st |= USB_STATUS_SELF_POWERED;
    if (d->remote_wakeup_on)
        st |= USB_STATUS_REMOTE_WAKEUP;
    if (d->u1_on)
        st |= USB_STATUS_U1_ENABLED;
    if (d->u2_on)
        st |= USB_STATUS_U2_ENABLED;
    return st;
}

static enum usb_result get_status(struct usb_dev *d, const struct usb_setup *s,
                                  struct usb_reply *r)
{
    uint8_t rcp = usb_setup_recipient(s);
    if (rcp > USB_RT_RECIPIENT_ENDPOINT)
        return USB_DEV_FORWARD;
    if (!usb_setup_in(s) || s->value != 0 || s->length != 2 || d->state == USB_DEV_DEFAULT)
        return USB_STALL;
    if (rcp == USB_RT_RECIPIENT_DEVICE)
        return s->index == 0 ? reply_u16(r, device_status(d)) : USB_STALL;
    bool configured = d->state == USB_DEV_CONFIGURED;
    if (rcp == USB_RT_RECIPIENT_INTERFACE) {
        bool known = configured && s->index <= UINT8_MAX && usb_dev_iface_exists(d, s->index);
        return known ? reply_u16(r, 0) : USB_STALL;
    }
    if (!ep_index_ok(s->index))
        return USB_STALL;
    if ((s->index & USB_EP_ADDR_NUMBER_MASK) == 0)
        return reply_u16(r, 0); /* endpoint 0 has no halt feature */
    const struct usb_ep_info *e = configured ? usb_dev_active_ep(d, (uint8_t)s->index) : NULL;
    return e != NULL ? reply_u16(r, e->halted ? USB_STATUS_HALT : 0) : USB_STALL;
}

static enum usb_result test_mode(struct usb_dev *d, const struct usb_setup *s)
{
    uint8_t selector = (uint8_t)(s->index >> TEST_SELECTOR_SHIFT);
    /* high speed only [USB2 7.1.20]; the low byte of wIndex is zero [USB2 9.4.9] */
    if (d->cfg.speed != USB_SPEED_HIGH || (s->index & 0xffu) != 0 || selector < USB_TEST_J ||
        selector > USB_TEST_FORCE_ENABLE)
        return USB_STALL;
    d->test_mode = selector; /* after this transfer's status stage: nothing answers */
    return USB_ACK;
}

/* The device feature a selector names, where this device has it now:
 * TEST_MODE cannot be cleared and is not a flag; LTM and the rest are not
 * features of ours. */
static bool *device_flag(struct usb_dev *d, uint16_t selector)
{
    bool u1u2 = usb_speed_is_super(d->cfg.speed) && d->state == USB_DEV_CONFIGURED;
    switch (selector) {
    case USB_FEATURE_REMOTE_WAKEUP: return d->cfg.remote_wakeup ? &d->remote_wakeup_on : NULL;
    case USB_FEATURE_U1_ENABLE: return u1u2 ? &d->u1_on : NULL;
    case USB_FEATURE_U2_ENABLE: return u1u2 ? &d->u2_on : NULL;
    default: return NULL;
    }
}

static enum usb_result device_feature(struct usb_dev *d, const struct usb_setup *s, bool set)
{
    if (set && s->value == USB_FEATURE_TEST_MODE)
        return test_mode(d, s);
    if (d->state == USB_DEV_DEFAULT || s->index != 0)
        return USB_STALL;
    bool *flag = device_flag(d, s->value);
    if (flag == NULL)
        return USB_STALL;
    *flag = set;
    return USB_ACK;
}

static enum usb_result endpoint_feature(struct usb_dev *d, const struct usb_setup *s, bool set)
{
    if (s->value != USB_FEATURE_ENDPOINT_HALT || d->state != USB_DEV_CONFIGURED ||
        !ep_index_ok(s->index))
        return USB_STALL; /* in address state only endpoint 0 exists, which has no halt */
    struct usb_ep_info *e = usb_dev_active_ep(d, (uint8_t)s->index);
    if (e == NULL)
        return USB_STALL;
    if (set) {
        e->halted = true;
        return USB_ACK;
    }
    e->halted = false;
    e->seq = 0; /* even when not halted [USB2 9.4.5] */
    if (d->cfg.ops != NULL && d->cfg.ops->halt_cleared != NULL) {
        d->depth++;
        d->cfg.ops->halt_cleared(d->cfg.ctx, e->addr);
        d->depth--;
    }
    return USB_ACK;
}

static enum usb_result feature(struct usb_dev *d, const struct usb_setup *s, bool set)
{
    uint8_t rcp = usb_setup_recipient(s);
    if (rcp > USB_RT_RECIPIENT_ENDPOINT)
        return USB_DEV_FORWARD;
    if (usb_setup_in(s) || s->length != 0)
        return USB_STALL;
    if (rcp == USB_RT_RECIPIENT_DEVICE)
        return device_feature(d, s, set);
    if (rcp == USB_RT_RECIPIENT_ENDPOINT)
        return endpoint_feature(d, s, set);
    return USB_STALL; /* no interface features (FUNCTION_SUSPEND is not modelled) */
}

static enum usb_result set_address(struct usb_dev *d, const struct usb_setup *s)
{
    if (usb_setup_in(s) || s->index != 0 || s->length != 0 || s->value > USB_ADDRESS_MAX ||
        d->state == USB_DEV_CONFIGURED)
        return USB_STALL;
    d->address = (uint8_t)s->value;
    d->state = s->value == 0 ? USB_DEV_DEFAULT : USB_DEV_ADDRESS;
    return USB_ACK;
}

static const struct usb_blob *descriptor(const struct usb_dev *d, const struct usb_setup *s)
{
    uint8_t type = (uint8_t)(s->value >> USB_DESC_TYPE_SHIFT);
    uint8_t index = (uint8_t)s->value;
    if (type == USB_DT_STRING) /* wIndex is the LANGID: one language, any id */
        return index < d->cfg.strings_count ? &d->cfg.strings[index] : NULL;
    if (s->index != 0)
        return NULL;
    if (type == USB_DT_CONFIG)
        return index < d->cfg.configs_count ? &d->cfg.configs[index] : NULL;
    if (index != 0)
        return NULL;
    switch (type) {
    case USB_DT_DEVICE: return &d->cfg.device;
    case USB_DT_BOS: return &d->cfg.bos;
    case USB_DT_DEVICE_QUALIFIER: return &d->cfg.qualifier;
    case USB_DT_OTHER_SPEED_CONFIG: return &d->cfg.other_speed;
    default: return NULL; /* interface and endpoint descriptors are not served alone */
    }
}

static enum usb_result get_descriptor(struct usb_dev *d, const struct usb_setup *s,
                                      struct usb_reply *r)
{
    if (!usb_setup_in(s))
        return USB_STALL;
    const struct usb_blob *b = descriptor(d, s);
    if (b == NULL || !usb_blob_present(b))
        return USB_STALL;
    r->bytes = b->bytes;
    r->len_bytes = b->len_bytes;
    return USB_ACK;
}

static enum usb_result get_configuration(struct usb_dev *d, const struct usb_setup *s,
                                         struct usb_reply *r)
{
    if (!usb_setup_in(s) || s->value != 0 || s->index != 0 || s->length != 1 ||
        d->state == USB_DEV_DEFAULT)
        return USB_STALL;
    return reply_u8(r, d->config_value);
}

static enum usb_result set_configuration(struct usb_dev *d, const struct usb_setup *s)
{
    if (usb_setup_in(s) || s->index != 0 || s->length != 0 || s->value > UINT8_MAX ||
        d->state == USB_DEV_DEFAULT)
        return USB_STALL;
    uint8_t value = (uint8_t)s->value;
    uint32_t index = value == 0 ? USB_DEV_NO_CONFIG : usb_dev_find_config(d, value);
    if (value != 0 && index == USB_DEV_NO_CONFIG)
        return USB_STALL;
    usb_dev_configure(d, index, value);
    return USB_ACK;
}

static enum usb_result get_interface(struct usb_dev *d, const struct usb_setup *s,
                                     struct usb_reply *r)
{
    if (!usb_setup_in(s) || s->value != 0 || s->length != 1 || s->index > UINT8_MAX ||
        d->state != USB_DEV_CONFIGURED || !usb_dev_iface_exists(d, s->index))
        return USB_STALL;
    return reply_u8(r, d->cur_alt[s->index]);
}

static enum usb_result set_interface(struct usb_dev *d, const struct usb_setup *s)
{
    if (usb_setup_in(s) || s->length != 0 || s->index > UINT8_MAX || s->value > UINT8_MAX ||
        d->state != USB_DEV_CONFIGURED || !usb_dev_alt_exists(d, s->index, s->value))
        return USB_STALL;
    usb_dev_select_alt(d, (uint8_t)s->index, (uint8_t)s->value);
    return USB_ACK;
}

static enum usb_result set_sel(struct usb_dev *d, const struct usb_setup *s, const uint8_t *data)
{
    if (usb_setup_in(s) || s->value != 0 || s->index != 0 || s->length != USB_DEV_SEL_BYTES ||
        !usb_speed_is_super(d->cfg.speed) || d->state == USB_DEV_DEFAULT)
        return USB_STALL;
    memcpy(d->sel, data, USB_DEV_SEL_BYTES);
    return USB_ACK;
}

static enum usb_result set_isoch_delay(struct usb_dev *d, const struct usb_setup *s)
{
    if (usb_setup_in(s) || s->index != 0 || s->length != 0 || !usb_speed_is_super(d->cfg.speed))
        return USB_STALL;
    d->isoch_delay_ns = s->value;
    return USB_ACK;
}

/* The requests whose only recipient is the device. */
static enum usb_result device_request(struct usb_dev *d, const struct usb_setup *s,
                                      const uint8_t *data, struct usb_reply *r)
{
    switch (s->request) {
    case USB_REQ_SET_ADDRESS: return set_address(d, s);
    case USB_REQ_GET_DESCRIPTOR: return get_descriptor(d, s, r);
    case USB_REQ_GET_CONFIGURATION: return get_configuration(d, s, r);
    case USB_REQ_SET_CONFIGURATION: return set_configuration(d, s);
    case USB_REQ_SET_SEL: return set_sel(d, s, data);
    case USB_REQ_SET_ISOCH_DELAY: return set_isoch_delay(d, s);
    case USB_REQ_SET_DESCRIPTOR: return USB_STALL; /* optional; not supported */
    default: return USB_DEV_FORWARD;
    }
}

enum usb_result usb_dev_standard_request(struct usb_dev *d, const struct usb_setup *s,
                                        const uint8_t *data, struct usb_reply *r)
{
    uint8_t rcp = usb_setup_recipient(s);
    switch (s->request) {
    case USB_REQ_GET_STATUS: return get_status(d, s, r);
    case USB_REQ_CLEAR_FEATURE: return feature(d, s, false);
    case USB_REQ_SET_FEATURE: return feature(d, s, true);
    case USB_REQ_SYNCH_FRAME: return USB_STALL; /* no isochronous support */
    case USB_REQ_GET_INTERFACE:
        return rcp == USB_RT_RECIPIENT_INTERFACE ? get_interface(d, s, r) : USB_DEV_FORWARD;
    case USB_REQ_SET_INTERFACE:
        return rcp == USB_RT_RECIPIENT_INTERFACE ? set_interface(d, s) : USB_DEV_FORWARD;
    default:
        return rcp == USB_RT_RECIPIENT_DEVICE ? device_request(d, s, data, r) : USB_DEV_FORWARD;
    }
}
