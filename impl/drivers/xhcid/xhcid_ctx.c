/*
 * Device contexts [xHCI 6.2]: the input context a command hands the
 * controller (slot, EP0, the configured endpoints) and the endpoint
 * parameters a parsed endpoint descriptor gives [4.8.2, 6.2.3]. Contexts
 * respect HCCPARAMS1.CSZ: 32 or 64 bytes each.
 */
#include <string.h>

#include "impl/drivers/xhcid/xhcid_ctx.h"

static uint8_t *in_at(struct xhcid *h, struct xhcid_dev *d, uint32_t index)
{
    ASSERT(index < XHCI_INPUT_CTX_ENTRIES);
    ASSERT(d->in_ctx.host != NULL);
    ASSERT(h->ctx_bytes == XHCI_CTX_BYTES || h->ctx_bytes == XHCI_CTX_BYTES_CSZ);
    return (uint8_t *)d->in_ctx.host + (size_t)index * h->ctx_bytes;
}

void xhcid_ctx_clear(struct xhcid *h, struct xhcid_dev *d, uint32_t drop, uint32_t add)
{
    uint8_t zero[64] = {0};
    ASSERT(h->ctx_bytes <= sizeof zero);
    ASSERT((drop & 0x3u) == 0); /* the slot and EP0 are never dropped [6.2.5.1] */
    for (uint32_t i = 0; i < XHCI_INPUT_CTX_ENTRIES; i++)
        port_shm_write(in_at(h, d, i), zero, h->ctx_bytes);
    xhcid_put32(in_at(h, d, 0) + 4u * XHCI_ICC_DW_DROP, drop);
    xhcid_put32(in_at(h, d, 0) + 4u * XHCI_ICC_DW_ADD, add);
}

void xhcid_ctx_slot(struct xhcid *h, struct xhcid_dev *d, uint32_t last_dci)
{
    uint8_t *s = in_at(h, d, 1);
    ASSERT(last_dci >= XHCI_DCI_EP0 && last_dci <= XHCI_DCI_MAX);
    ASSERT(d->port >= 1 && d->port <= XHCID_PORTS_MAX);
    xhcid_put32(s, d->speed << XHCI_SLOT_DW0_SPEED_SHIFT |
                       last_dci << XHCI_SLOT_DW0_CTX_ENTRIES_SHIFT);
    xhcid_put32(s + 4, d->port << XHCI_SLOT_DW1_ROOT_PORT_SHIFT);
}

static bool periodic(uint8_t type)
{
    return type == XHCI_EP_TYPE_INTERRUPT_IN || type == XHCI_EP_TYPE_INTERRUPT_OUT ||
           type == XHCI_EP_TYPE_ISOCH_IN || type == XHCI_EP_TYPE_ISOCH_OUT;
}

/* Endpoint context for `dci` from d->ep[dci], dequeuing where its ring is
 * now [6.2.3]. Average TRB lengths as [4.14.1.1] suggests. */
void xhcid_ctx_ep(struct xhcid *h, struct xhcid_dev *d, uint32_t dci)
{
    ASSERT(dci >= XHCI_DCI_EP0 && dci <= XHCI_DCI_MAX);
    const struct xhcid_ep *e = &d->ep[dci];
    ASSERT(e->type != 0); /* only a configured endpoint gets a context */
    ASSERT(e->mps != 0);
    uint8_t *c = in_at(h, d, dci + 1);
    uint32_t esit = periodic(e->type) ? (uint32_t)e->mps * (e->burst + 1u) * (e->mult + 1u) : 0;
    uint32_t avg = e->type == XHCI_EP_TYPE_CONTROL ? 8u : periodic(e->type) ? 1024u : 3072u;
    xhcid_put32(c, (uint32_t)e->mult << XHCI_EP_DW0_MULT_SHIFT |
                       (uint32_t)e->interval << XHCI_EP_DW0_INTERVAL_SHIFT |
                       (esit >> 16) << XHCI_EP_DW0_MAX_ESIT_HI_SHIFT);
    xhcid_put32(c + 4, 3u << XHCI_EP_DW1_CERR_SHIFT | (uint32_t)e->type << XHCI_EP_DW1_TYPE_SHIFT |
                           (uint32_t)e->burst << XHCI_EP_DW1_MAX_BURST_SHIFT |
                           (uint32_t)e->mps << XHCI_EP_DW1_MAX_PACKET_SHIFT);
    xhcid_put64(c + 8, xhcid_ring_deq(&e->ring));
    xhcid_put32(c + 16, avg | (esit & 0xffffu) << XHCI_EP_DW4_MAX_ESIT_LO_SHIFT);
}

uint32_t xhcid_ctx_ep_state(struct xhcid *h, const struct xhcid_dev *d, uint32_t dci)
{
    ASSERT(dci >= XHCI_DCI_EP0 && dci <= XHCI_DCI_MAX);
    ASSERT(d->out_ctx.host != NULL);
    const uint8_t *c = (const uint8_t *)d->out_ctx.host + (size_t)dci * h->ctx_bytes;
    return xhcid_get32(c) & XHCI_EP_DW0_STATE_MASK;
}

uint32_t xhcid_ep0_mps(uint32_t speed)
{
    switch (speed) {
    case XHCI_SPEED_LOW:
    case XHCI_SPEED_FULL: return 8;
    case XHCI_SPEED_HIGH: return 64;
    default: return 512;
    }
}

/* The context Interval for bInterval [6.2.3.6]: an exponent of 125 us.
 * Full- and low-speed interrupt intervals are in frames (rounded down to
 * a power of two); the others are already exponents, plus one. */
static uint8_t interval(uint32_t speed, uint8_t xfer, uint8_t b)
{
    bool slow = speed == XHCI_SPEED_FULL || speed == XHCI_SPEED_LOW;
    ASSERT(speed >= XHCI_SPEED_FULL && speed <= XHCI_SPEED_SUPER_PLUS);
    if (xfer == USB_EP_XFER_INTERRUPT && slow) {
        uint32_t e = 3; /* 1 frame = 8 microframes = 2^3 */
        while (e < 10 && (1u << (e + 1)) <= 8u * b)
            e++;
        ASSERT(e >= 3 && e <= 10); /* 1 to 128 frames */
        return (uint8_t)e;
    }
    if (xfer == USB_EP_XFER_INTERRUPT || xfer == USB_EP_XFER_ISOCH)
        return (uint8_t)(b - 1u + (slow ? 3u : 0u));
    return 0;
}

bool xhcid_ctx_from_desc(const struct xhcid_dev *d, const struct usb_endpoint_info *in,
                         struct xhcid_ep *out, uint32_t *dci)
{
    ASSERT(in != NULL && out != NULL && dci != NULL);
    ASSERT((in->address & USB_EP_ADDR_NUMBER_MASK) != 0); /* usb_parse refuses endpoint 0 */
    bool dir_in = (in->address & USB_EP_ADDR_DIR_IN) != 0;
    *dci = 2u * (in->address & USB_EP_ADDR_NUMBER_MASK) + (dir_in ? 1u : 0u);
    switch (in->xfer) {
    case USB_EP_XFER_CONTROL: /* both directions in one context: DCI 2n + 1 [4.5.1] */
        *dci = 2u * (in->address & USB_EP_ADDR_NUMBER_MASK) + 1u;
        out->type = XHCI_EP_TYPE_CONTROL;
        break;
    case USB_EP_XFER_BULK:
        out->type = dir_in ? XHCI_EP_TYPE_BULK_IN : XHCI_EP_TYPE_BULK_OUT;
        break;
    case USB_EP_XFER_INTERRUPT:
        out->type = dir_in ? XHCI_EP_TYPE_INTERRUPT_IN : XHCI_EP_TYPE_INTERRUPT_OUT;
        break;
    default: /* isochronous endpoints are refused (docs/architecture.md) */
        return false;
    }
    out->mps = in->max_packet;
    out->burst = in->max_burst;
    out->mult = 0; /* only SuperSpeed isochronous has one, and isochronous is refused */
    if (d->speed == XHCI_SPEED_HIGH && in->xfer == USB_EP_XFER_INTERRUPT)
        out->burst = in->mult; /* HS high-bandwidth: extra transactions count as burst [6.2.3.4] */
    out->interval = interval(d->speed, in->xfer, in->interval);
    ASSERT(*dci > XHCI_DCI_EP0 && *dci <= XHCI_DCI_MAX);
    ASSERT(out->mps != 0); /* usb_parse refuses wMaxPacketSize 0 */
    return true;
}
