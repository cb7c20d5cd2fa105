/*
 * xhci_trace.h - what the xHCI model writes into a run's trace
 * (docs/trace-schema.md, "xHCI and USB"): every TRB the controller fetches
 * or writes (xhci_trb), each command with its issue and completion time
 * (xhci_cmd), each event and what became of it (xhci_event), doorbell
 * writes (xhci_doorbell), port changes (usb_port), and one row per USB
 * transfer with the fields Linux's usbmon shows (usb_xfer), so a run can be
 * exported to pcap without the model.
 *
 * The tables are registered by the xhci family (xhci_family.c); each
 * function here writes nothing when the machine has no trace. Internal to
 * models/xhci.
 */
#ifndef IOSIM_MODELS_XHCI_TRACE_H
#define IOSIM_MODELS_XHCI_TRACE_H

#include <stdint.h>

#include "models/xhci/xhci_internal.h"
#include "sim/trace/trace.h"

extern struct sim_trace_table_def xhci_trb_table, xhci_cmd_table, xhci_event_table,
    xhci_doorbell_table, usb_port_table, usb_xfer_table;

/* Which ring a TRB row is about. */
enum xhci_ring_kind { XHCI_RING_COMMAND, XHCI_RING_EVENT, XHCI_RING_TRANSFER };

/* A TRB fetched (written = false) or written (true) at addr. slot and dci
 * are 0 for the command ring; for the event ring slot is the interrupter. */
void xhci_trace_trb(struct xhci *x, enum xhci_ring_kind ring, uint32_t slot, uint32_t dci,
                    uint64_t addr, const struct xhci_trb *t, bool written);
/* A command completed (at now) that was fetched at issued_ps. */
void xhci_trace_cmd(struct xhci *x, uint64_t addr, const struct xhci_trb *cmd, uint32_t slot,
                    uint32_t cc, sim_time_ps issued_ps);
/* An event for interrupter intr: "written", "dropped" (no room) or
 * "ring_full" (an Event Ring Full event written in its place). */
void xhci_trace_event(struct xhci *x, uint32_t intr, const struct xhci_trb *ev, const char *fate);
void xhci_trace_doorbell(struct xhci *x, uint32_t db, uint32_t value);
/* A port's PORTSC change bits went up (`change`, XHCI_PORTSC_CHANGE bits),
 * or a device was plugged in / out (what = "plug" / "unplug"). */
void xhci_trace_port(struct xhci *x, uint32_t port_no, const char *what, uint32_t change);

/* One USB transfer as usbmon shows it. */
struct xhci_urb {
    uint64_t id;                 /* per controller, from 1 */
    uint32_t devnum;             /* USB address */
    uint8_t ep_addr;             /* with USB_EP_ADDR_DIR_IN for IN (EP0: by the setup) */
    uint8_t xfer;                /* USB_EP_XFER_* */
    bool has_setup;
    uint8_t setup[8];
    uint32_t requested, actual;
    int32_t status;              /* 0, or a negative errno as usbmon prints it */
    sim_time_ps submit_ps;
    const uint8_t *data;         /* the first data bytes (up to 32), or NULL */
    uint32_t data_len;
};
void xhci_trace_xfer(struct xhci *x, const struct xhci_urb *u);

/* usbmon's status for a completion code (0 for success and short packets). */
int32_t xhci_urb_status(uint32_t cc);

/* A row of the core fault table: an injected fault of the controller's. */
void xhci_trace_fault(struct xhci *x, const char *kind, const char *detail);

/* A TRB type's trace name ("address_device"), "reserved" for none. */
const char *xhci_trb_type_name(uint32_t type);

#endif /* IOSIM_MODELS_XHCI_TRACE_H */
