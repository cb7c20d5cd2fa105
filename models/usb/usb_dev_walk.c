/* The USB device framework: the active configuration, learnt by walking
 * its blob defensively; see usb_dev.h ("What is served raw"). */
#include <string.h>

#include "impl/port/check.h"
#include "models/usb/usb_desc.h"
#include "models/usb/usb_dev_internal.h"

static uint32_t ep_slot(uint8_t addr)
{
    uint32_t in = addr & USB_EP_ADDR_DIR_IN ? USB_DEV_EP_SLOT_IN : 0u;
    return (addr & USB_EP_ADDR_NUMBER_MASK) | in;
}

/* The slot of the enabled endpoint at addr, or USB_DEV_EP_SLOTS (endpoint
 * 0 is never one). */
uint32_t usb_dev_active_slot(const struct usb_dev *d, uint8_t addr)
{
    if ((addr & USB_DEV_EP_ADDR_RESERVED) != 0 || (addr & USB_EP_ADDR_NUMBER_MASK) == 0)
        return USB_DEV_EP_SLOTS;
    uint32_t s = ep_slot(addr);
    ASSERT(!d->eps[s].present || d->eps[s].addr == addr);
    return d->eps[s].present ? s : USB_DEV_EP_SLOTS;
}

struct usb_ep_info *usb_dev_active_ep(struct usb_dev *d, uint8_t addr)
{
    uint32_t s = usb_dev_active_slot(d, addr);
    return s < USB_DEV_EP_SLOTS ? &d->eps[s] : NULL;
}

bool usb_dev_iface_exists(const struct usb_dev *d, uint32_t iface)
{
    for (uint32_t i = 0; i < d->alts_count; i++)
        if (d->alts[i].interface == iface)
            return true;
    return false;
}

bool usb_dev_alt_exists(const struct usb_dev *d, uint32_t iface, uint32_t alt)
{
    for (uint32_t i = 0; i < d->alts_count; i++)
        if (d->alts[i].interface == iface && d->alts[i].alternate == alt)
            return true;
    return false;
}

/* ---- walking the active configuration ------------------------------------------------------ */

/* Adds (iface, alt) to the settings the configuration has; false when the
 * table is full (that setting is then ignored, see usb_dev.h). */
static bool note_alt(struct usb_dev *d, uint8_t iface, uint8_t alt)
{
    if (usb_dev_alt_exists(d, iface, alt))
        return true;
    if (d->alts_count == USB_DEV_ALTS_MAX)
        return false;
    d->alts[d->alts_count++] = (struct usb_alt){iface, alt};
    return true;
}

/* An endpoint descriptor the framework will enable (usb_dev.h's rules). */
static bool ep_usable(const uint8_t *p, uint8_t len)
{
    if (len < USB_DT_ENDPOINT_BYTES)
        return false;
    uint8_t addr = p[USB_EP_ADDRESS];
    uint8_t xfer = p[USB_EP_ATTRIBUTES] & USB_EP_XFER_MASK;
    uint16_t mps = usb_le16(&p[USB_EP_MAX_PACKET]) & USB_EP_MPS_SIZE_MASK;
    return (addr & USB_DEV_EP_ADDR_RESERVED) == 0 && (addr & USB_EP_ADDR_NUMBER_MASK) != 0 &&
           xfer != USB_EP_XFER_CONTROL && mps != 0;
}

static struct usb_ep_info ep_from_desc(const struct usb_dev *d, const uint8_t *p,
                                       struct usb_alt at)
{
    uint16_t word = usb_le16(&p[USB_EP_MAX_PACKET]);
    uint8_t xfer = p[USB_EP_ATTRIBUTES] & USB_EP_XFER_MASK;
    bool periodic = xfer == USB_EP_XFER_ISOCH || xfer == USB_EP_XFER_INTERRUPT;
    return (struct usb_ep_info){
        .present = true,
        .addr = p[USB_EP_ADDRESS],
        .xfer = xfer,
        .max_packet_bytes = word & USB_EP_MPS_SIZE_MASK,
        .mult = d->cfg.speed == USB_SPEED_HIGH && periodic
                    ? (uint8_t)((word & USB_EP_MPS_MULT_MASK) >> USB_EP_MPS_MULT_SHIFT) : 0,
        .interval = p[USB_EP_INTERVAL],
        .interface = at.interface,
        .alternate = at.alternate,
    };
}

static void apply_companion(struct usb_ep_info *e, const uint8_t *p)
{
    uint8_t burst = p[USB_SSC_MAX_BURST];
    e->max_burst = burst > USB_SSC_MAX_BURST_MAX ? (uint8_t)USB_SSC_MAX_BURST_MAX : burst;
    e->ss_attributes = p[USB_SSC_ATTRIBUTES];
    e->bytes_per_interval = usb_le16(&p[USB_SSC_BYTES_PER_INTERVAL]);
}

/* Where the walk is: the interface setting the descriptors belong to, and
 * the endpoint the previous descriptor enabled (for its companion). */
struct walk_pos {
    bool in_setting, selected;
    struct usb_alt at;
    struct usb_ep_info *last_ep;
};

static void walk_one(struct usb_dev *d, const uint8_t *p, struct usb_desc_ref r,
                     struct walk_pos *w, struct usb_ep_info *eps)
{
    struct usb_ep_info *prev = w->last_ep;
    w->last_ep = NULL;
    if (r.type == USB_DT_INTERFACE) {
        w->in_setting = r.len >= USB_DT_INTERFACE_BYTES &&
                        note_alt(d, p[USB_IF_NUMBER], p[USB_IF_ALTERNATE]);
        if (w->in_setting) {
            w->at = (struct usb_alt){p[USB_IF_NUMBER], p[USB_IF_ALTERNATE]};
            w->selected = d->cur_alt[w->at.interface] == w->at.alternate;
        }
    } else if (r.type == USB_DT_ENDPOINT) {
        if (!w->in_setting || !w->selected || !ep_usable(p, r.len))
            return;
        struct usb_ep_info *e = &eps[ep_slot(p[USB_EP_ADDRESS])];
        if (e->present)
            return; /* first wins */
        *e = ep_from_desc(d, p, w->at);
        w->last_ep = e;
    } else if (r.type == USB_DT_SS_EP_COMPANION) {
        bool fits = r.len >= USB_DT_SS_EP_COMPANION_BYTES;
        if (prev != NULL && fits && usb_speed_is_super(d->cfg.speed))
            apply_companion(prev, p);
    }
}

/* One pass over the active blob: lists its interface settings in d->alts and
 * fills eps (cleared first) with the endpoints of the settings cur_alt
 * selects. Bounded: usb_desc_iter advances >= 2 bytes a step. */
static void walk_config(struct usb_dev *d, struct usb_ep_info eps[USB_DEV_EP_SLOTS])
{
    ASSERT(d->cfg_index < d->cfg.configs_count);
    const struct usb_blob *b = &d->cfg.configs[d->cfg_index];
    memset(eps, 0, USB_DEV_EP_SLOTS * sizeof eps[0]);
    d->alts_count = 0;
    struct usb_desc_iter it;
    usb_desc_iter_init(&it, b->bytes, usb_desc_config_limit(b->bytes, b->len_bytes));
    struct usb_desc_ref r;
    struct walk_pos w = {0};
    bool header = true;
    while (usb_desc_iter_next(&it, &r)) {
        if (!header)
            walk_one(d, &b->bytes[r.off], r, &w, eps);
        header = false;
    }
    ASSERT(d->alts_count <= USB_DEV_ALTS_MAX);
}

/* ---- state changes ------------------------------------------------------------------------- */

void usb_dev_forget_config(struct usb_dev *d)
{
    d->cfg_index = USB_DEV_NO_CONFIG;
    d->config_value = 0;
    d->alts_count = 0;
    memset(d->cur_alt, 0, sizeof d->cur_alt);
    memset(d->eps, 0, sizeof d->eps);
    d->u1_on = d->u2_on = false;
}

uint32_t usb_dev_find_config(const struct usb_dev *d, uint8_t value)
{
    for (uint32_t i = 0; i < d->cfg.configs_count; i++) {
        const struct usb_blob *b = &d->cfg.configs[i];
        if (b->bytes != NULL && b->len_bytes >= USB_DT_CONFIG_BYTES &&
            b->bytes[USB_CFG_VALUE] == value)
            return i;
    }
    return USB_DEV_NO_CONFIG;
}

void usb_dev_configure(struct usb_dev *d, uint32_t index, uint8_t value)
{
    usb_dev_forget_config(d);
    if (index != USB_DEV_NO_CONFIG) {
        d->cfg_index = index;
        d->config_value = value;
        walk_config(d, d->eps); /* fresh: no halts, toggles at 0 */
        d->state = USB_DEV_CONFIGURED;
    } else {
        d->state = USB_DEV_ADDRESS;
    }
    if (d->cfg.ops != NULL && d->cfg.ops->set_config != NULL) {
        d->depth++;
        d->cfg.ops->set_config(d->cfg.ctx, value);
        d->depth--;
    }
}

/* SET_INTERFACE: the interface's endpoints are replaced; the others keep
 * their halt and toggle state. */
void usb_dev_select_alt(struct usb_dev *d, uint8_t iface, uint8_t alt)
{
    struct usb_ep_info fresh[USB_DEV_EP_SLOTS];
    d->cur_alt[iface] = alt;
    walk_config(d, fresh);
    for (uint32_t s = 0; s < USB_DEV_EP_SLOTS; s++) {
        const struct usb_ep_info *old = &d->eps[s];
        struct usb_ep_info *e = &fresh[s];
        if (e->present && e->interface != iface && old->present &&
            old->interface == e->interface && old->alternate == e->alternate) {
            e->halted = old->halted;
            e->seq = old->seq;
        }
    }
    memcpy(d->eps, fresh, sizeof d->eps);
    if (d->cfg.ops != NULL && d->cfg.ops->set_alt != NULL) {
        d->depth++;
        d->cfg.ops->set_alt(d->cfg.ctx, iface, alt);
        d->depth--;
    }
}
