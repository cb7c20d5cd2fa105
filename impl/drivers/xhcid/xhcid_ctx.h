/*
 * xhcid_ctx.h - the input and output contexts of one device [xHCI 6.2], as
 * xhcid_dev.c fills them for Address Device, Evaluate Context and
 * Configure Endpoint. Internal to xhcid.
 */
#ifndef IOSIM_XHCID_CTX_H
#define IOSIM_XHCID_CTX_H

#include "impl/drivers/xhcid/xhcid.h"

/* Zeroes the input context, then sets the drop and add flags. */
void xhcid_ctx_clear(struct xhcid *h, struct xhcid_dev *d, uint32_t drop, uint32_t add);
/* The input slot context: speed, root port, last valid DCI. */
void xhcid_ctx_slot(struct xhcid *h, struct xhcid_dev *d, uint32_t last_dci);
/* The input endpoint context of `dci` from d->ep[dci]. */
void xhcid_ctx_ep(struct xhcid *h, struct xhcid_dev *d, uint32_t dci);
/* The endpoint state the output context shows (XHCI_EP_STATE_*). */
uint32_t xhcid_ctx_ep_state(struct xhcid *h, const struct xhcid_dev *d, uint32_t dci);
/* EP0's max packet size before the device descriptor says it. */
uint32_t xhcid_ep0_mps(uint32_t speed);
/* Endpoint parameters from a parsed descriptor and its DCI (bulk,
 * interrupt, control); false for a kind the driver refuses (isochronous). */
bool xhcid_ctx_from_desc(const struct xhcid_dev *d, const struct usb_endpoint_info *in,
                         struct xhcid_ep *out, uint32_t *dci);

#endif /* IOSIM_XHCID_CTX_H */
