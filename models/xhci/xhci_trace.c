/* The xHCI model's trace tables (xhci_trace.h, docs/trace-schema.md). */
#include "models/xhci/xhci_trace.h"

#include <stdio.h>

#include "impl/port/spec/usb_ch9.h"

SIM_TRACE_TABLE_DEF(xhci_trb, (SYM, device), (SYM, ring), (INT, slot), (INT, ep), (INT, addr),
                    (SYM, type), (INT, parameter), (INT, status), (INT, control), (INT, cycle),
                    (SYM, op));
SIM_TRACE_TABLE_DEF(xhci_cmd, (SYM, device), (INT, addr), (SYM, command), (INT, slot), (INT, cc),
                    (SYM, cc_name), (INT, issued_ps));
SIM_TRACE_TABLE_DEF(xhci_event, (SYM, device), (INT, intr), (SYM, type), (INT, cc), (SYM, cc_name),
                    (INT, slot), (INT, ep), (INT, parameter), (INT, length), (SYM, fate));
SIM_TRACE_TABLE_DEF(xhci_doorbell, (SYM, device), (INT, db), (INT, target), (INT, stream));
SIM_TRACE_TABLE_DEF(usb_port, (SYM, device), (INT, port), (SYM, what), (INT, change),
                    (INT, portsc), (SYM, speed));
SIM_TRACE_TABLE_DEF(usb_xfer, (SYM, device), (INT, urb), (INT, bus), (INT, devnum), (INT, ep),
                    (SYM, dir), (SYM, xfer), (TEXT, setup), (INT, requested), (INT, actual),
                    (INT, status), (INT, submit_ps), (TEXT, data));

static const char *const trb_names[64] = {
    [XHCI_TRB_TYPE_NORMAL] = "normal", [XHCI_TRB_TYPE_SETUP_STAGE] = "setup",
    [XHCI_TRB_TYPE_DATA_STAGE] = "data", [XHCI_TRB_TYPE_STATUS_STAGE] = "status",
    [XHCI_TRB_TYPE_ISOCH] = "isoch", [XHCI_TRB_TYPE_LINK] = "link",
    [XHCI_TRB_TYPE_EVENT_DATA] = "event_data", [XHCI_TRB_TYPE_NOOP] = "noop",
    [XHCI_TRB_TYPE_ENABLE_SLOT] = "enable_slot", [XHCI_TRB_TYPE_DISABLE_SLOT] = "disable_slot",
    [XHCI_TRB_TYPE_ADDRESS_DEVICE] = "address_device",
    [XHCI_TRB_TYPE_CONFIGURE_EP] = "configure_ep", [XHCI_TRB_TYPE_EVALUATE_CTX] = "evaluate_ctx",
    [XHCI_TRB_TYPE_RESET_EP] = "reset_ep", [XHCI_TRB_TYPE_STOP_EP] = "stop_ep",
    [XHCI_TRB_TYPE_SET_TR_DEQUEUE] = "set_tr_dequeue",
    [XHCI_TRB_TYPE_RESET_DEVICE] = "reset_device", [XHCI_TRB_TYPE_FORCE_EVENT] = "force_event",
    [XHCI_TRB_TYPE_NEGOTIATE_BW] = "negotiate_bw", [XHCI_TRB_TYPE_SET_LT] = "set_lt",
    [XHCI_TRB_TYPE_GET_PORT_BW] = "get_port_bw", [XHCI_TRB_TYPE_FORCE_HEADER] = "force_header",
    [XHCI_TRB_TYPE_NOOP_CMD] = "noop_cmd", [XHCI_TRB_TYPE_GET_EXT_PROPERTY] = "get_ext_property",
    [XHCI_TRB_TYPE_SET_EXT_PROPERTY] = "set_ext_property",
    [XHCI_TRB_TYPE_TRANSFER_EVENT] = "transfer_event",
    [XHCI_TRB_TYPE_CMD_COMPLETION] = "command_completion",
    [XHCI_TRB_TYPE_PORT_STATUS_CHANGE] = "port_status_change",
    [XHCI_TRB_TYPE_BW_REQUEST] = "bandwidth_request",
    [XHCI_TRB_TYPE_DOORBELL_EVENT] = "doorbell_event", [XHCI_TRB_TYPE_HC_EVENT] = "host_controller",
    [XHCI_TRB_TYPE_DEVICE_NOTIFICATION] = "device_notification",
    [XHCI_TRB_TYPE_MFINDEX_WRAP] = "mfindex_wrap",
};

static const char *const cc_names[XHCI_CC_SPLIT_TRANSACTION + 1] = {
    "invalid", "success", "data_buffer_error", "babble_detected", "usb_transaction_error",
    "trb_error", "stall_error", "resource_error", "bandwidth_error", "no_slots_available",
    "invalid_stream_type", "slot_not_enabled", "ep_not_enabled", "short_packet", "ring_underrun",
    "ring_overrun", "vf_event_ring_full", "parameter_error", "bandwidth_overrun",
    "context_state_error", "no_ping_response", "event_ring_full", "incompatible_device",
    "missed_service", "command_ring_stopped", "command_aborted", "stopped",
    "stopped_length_invalid", "stopped_short_packet", "max_exit_latency_too_large", "reserved",
    "isoch_buffer_overrun", "event_lost", "undefined_error", "invalid_stream_id",
    "secondary_bandwidth_error", "split_transaction_error",
};

const char *xhci_trb_type_name(uint32_t type)
{
    const char *n = type < 64 ? trb_names[type] : NULL;
    return n != NULL ? n : "reserved";
}

static const char *trb_name(uint32_t control)
{
    return xhci_trb_type_name((control & XHCI_TRB_TYPE_MASK) >> XHCI_TRB_TYPE_SHIFT);
}

static const char *cc_name(uint32_t cc)
{
    if (cc <= XHCI_CC_SPLIT_TRANSACTION)
        return cc_names[cc];
    return cc >= XHCI_CC_VENDOR_INFO_FIRST ? "vendor_info" : cc >= XHCI_CC_VENDOR_ERROR_FIRST
                                                               ? "vendor_error" : "reserved";
}

static const char *const speed_names[] = {"none", "full", "low", "high", "super", "super_plus"};

static const char *speed_name(uint32_t portsc)
{
    uint32_t s = (portsc & XHCI_PORTSC_SPEED_MASK) >> XHCI_PORTSC_SPEED_SHIFT;
    return s < sizeof speed_names / sizeof speed_names[0] ? speed_names[s] : "other";
}

/* The run's trace; none while the controller is torn down, which happens
 * after the run has finished its trace. */
static struct sim_trace *trace_of(struct xhci *x)
{
    return x->destroying ? NULL : sim_dev_trace(x->m);
}

void xhci_trace_fault(struct xhci *x, const char *kind, const char *detail)
{
    struct sim_trace *t = trace_of(x);
    if (t != NULL)
        sim_trace_fault(t, sim_dev_now(x->m), kind, x->name, detail);
}

void xhci_trace_trb(struct xhci *x, enum xhci_ring_kind ring, uint32_t slot, uint32_t dci,
                    uint64_t addr, const struct xhci_trb *t, bool written)
{
    static const char *const rings[] = {"command", "event", "transfer"};
    struct sim_trace *tr = trace_of(x);
    if (tr == NULL)
        return;
    sim_trace_xhci_trb(tr, sim_dev_now(x->m), x->name, rings[ring], slot, dci, (int64_t)addr,
                       trb_name(t->control), (int64_t)t->parameter, t->status, t->control,
                       t->control & XHCI_TRB_C, written ? "written" : "fetched");
}

void xhci_trace_cmd(struct xhci *x, uint64_t addr, const struct xhci_trb *cmd, uint32_t slot,
                    uint32_t cc, sim_time_ps issued_ps)
{
    struct sim_trace *tr = trace_of(x);
    if (tr == NULL)
        return;
    sim_trace_xhci_cmd(tr, sim_dev_now(x->m), x->name, (int64_t)addr, trb_name(cmd->control), slot,
                       cc, cc_name(cc), (int64_t)issued_ps);
}

void xhci_trace_event(struct xhci *x, uint32_t intr, const struct xhci_trb *ev, const char *fate)
{
    struct sim_trace *tr = trace_of(x);
    if (tr == NULL)
        return;
    uint32_t cc = (ev->status & XHCI_EVT_CC_MASK) >> XHCI_EVT_CC_SHIFT;
    sim_trace_xhci_event(tr, sim_dev_now(x->m), x->name, intr, trb_name(ev->control), cc,
                         cc_name(cc), (ev->control & XHCI_TRB_SLOT_ID_MASK) >> XHCI_TRB_SLOT_ID_SHIFT,
                         (ev->control & XHCI_TRB_EP_ID_MASK) >> XHCI_TRB_EP_ID_SHIFT,
                         (int64_t)ev->parameter, ev->status & XHCI_EVT_LENGTH_MASK, fate);
}

void xhci_trace_doorbell(struct xhci *x, uint32_t db, uint32_t value)
{
    struct sim_trace *tr = trace_of(x);
    if (tr == NULL)
        return;
    sim_trace_xhci_doorbell(tr, sim_dev_now(x->m), x->name, db, value & XHCI_DB_TARGET_MASK,
                            (value & XHCI_DB_STREAM_ID_MASK) >> XHCI_DB_STREAM_ID_SHIFT);
}

void xhci_trace_port(struct xhci *x, uint32_t port_no, const char *what, uint32_t change)
{
    struct sim_trace *tr = trace_of(x);
    if (tr == NULL || port_no == 0 || port_no > x->nports)
        return;
    uint32_t sc = x->ports[port_no - 1].portsc;
    sim_trace_usb_port(tr, sim_dev_now(x->m), x->name, port_no, what, change, sc, speed_name(sc));
}

void xhci_trace_xfer(struct xhci *x, const struct xhci_urb *u)
{
    static const char *const xfers[] = {"control", "isoch", "bulk", "interrupt"};
    struct sim_trace *tr = trace_of(x);
    if (tr == NULL)
        return;
    char setup[3 * 8 + 1], data[3 * 32 + 1];
    sim_trace_hex(setup, sizeof setup, u->setup, 8);
    sim_trace_hex(data, sizeof data, u->data,
                  u->data != NULL ? (u->data_len < 32 ? u->data_len : 32) : 0);
    bool in = (u->ep_addr & USB_EP_ADDR_DIR_IN) != 0;
    sim_trace_usb_xfer(tr, sim_dev_now(x->m), x->name, (int64_t)u->id, 1, u->devnum,
                       u->ep_addr & USB_EP_ADDR_NUMBER_MASK, in ? "in" : "out", xfers[u->xfer & 3u],
                       u->has_setup ? setup : NULL, u->requested, u->actual, u->status,
                       (int64_t)u->submit_ps, u->data != NULL ? data : NULL);
}

int32_t xhci_urb_status(uint32_t cc)
{
    switch (cc) {
    case XHCI_CC_SUCCESS:
    case XHCI_CC_SHORT_PACKET: return 0;
    case XHCI_CC_STALL_ERROR: return -32;           /* EPIPE */
    case XHCI_CC_BABBLE_DETECTED: return -75;       /* EOVERFLOW */
    case XHCI_CC_USB_TRANSACTION_ERROR: return -71; /* EPROTO */
    case XHCI_CC_STOPPED:
    case XHCI_CC_STOPPED_LENGTH_INVALID:
    case XHCI_CC_STOPPED_SHORT_PACKET: return -2;   /* ENOENT: cancelled */
    default: return -22;                            /* EINVAL: the driver's TRBs were bad */
    }
}
