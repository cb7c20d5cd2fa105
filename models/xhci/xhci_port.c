/* The root-hub ports: PORTSC with its access types [xHCI 5.4.8], resets
 * with their durations, link state writes, change bits and Port Status
 * Change events; PORTPMSC / PORTLI / PORTHLPMC as storage. */
#include <string.h>

#include "impl/port/check.h"
#include "models/usb/usb_dev.h"
#include "models/xhci/xhci_internal.h"
#include "models/xhci/xhci_trace.h"

#define SC_SPEED(s) ((uint32_t)(s) << XHCI_PORTSC_SPEED_SHIFT)

static uint32_t pls_of(uint32_t sc)
{
    return (sc & XHCI_PORTSC_PLS_MASK) >> XHCI_PORTSC_PLS_SHIFT;
}

static void set_pls(struct xhci_port *pt, uint32_t pls)
{
    pt->portsc = (pt->portsc & ~XHCI_PORTSC_PLS_MASK) | pls << XHCI_PORTSC_PLS_SHIFT;
}

static bool powered_always(const struct xhci *x)
{
    return !(x->p->hccparams1_flags & XHCI_HCCPARAMS1_PPC);
}

/* Disconnected, powered: the link looks for a device [4.19.1, figure 4-25]. */
static void port_disconnected(struct xhci_port *pt)
{
    pt->portsc = XHCI_PORTSC_PP;
    set_pls(pt, XHCI_PLS_RX_DETECT);
}

static void device_seen(void *ctx, uint64_t port);

void xhci_ports_reset(struct xhci *x)
{
    for (uint32_t i = 0; i < x->nports; i++) {
        struct xhci_port *pt = &x->ports[i];
        sim_dev_cancel(x->m, pt->reset_done);
        sim_dev_cancel(x->m, pt->connect_ev);
        *pt = (struct xhci_port){.usb3 = xhci_profile_port_usb3(x->p, i + 1),
                                 .reset_done = SIM_EVENT_NONE, .x = x, .no = i + 1,
                                 .dev = pt->dev, .dev_speed = pt->dev_speed,
                                 .connect_ev = SIM_EVENT_NONE};
        port_disconnected(pt);
        if (x->p->quirks & XHCI_QUIRK_CSC_AT_RESET)
            pt->portsc |= XHCI_PORTSC_CSC; /* QEMU reports every port as changed */
        if (pt->dev != NULL) /* a device still plugged in is seen again */
            xhci_after(x, x->p->connect_ps, device_seen, i, &pt->connect_ev);
    }
}

void xhci_port_change(struct xhci *x, uint32_t port, uint32_t bits)
{
    ASSERT(port < x->nports && (bits & ~XHCI_PORTSC_CHANGE) == 0);
    struct xhci_port *pt = &x->ports[port];
    uint32_t fresh = bits & ~pt->portsc;
    pt->portsc |= bits;
    if (fresh == 0)
        return;
    xhci_trace_port(x, port + 1, "change", fresh);
    x->usbsts |= XHCI_USBSTS_PCD;
    xhci_event_port(x, port);
}

/* The end of a port reset (or warm reset): enabled in U0 when a device is
 * there [4.19.1.2]. */
static void reset_done(void *ctx, uint64_t arg)
{
    struct xhci *x = ctx;
    uint32_t port = (uint32_t)(arg & 0xffff);
    bool warm = (arg >> 16) != 0;
    struct xhci_port *pt = &x->ports[port];
    pt->reset_done = SIM_EVENT_NONE;
    pt->portsc &= ~(XHCI_PORTSC_PR | XHCI_PORTSC_WPR);
    if (pt->portsc & XHCI_PORTSC_CCS) {
        pt->portsc |= XHCI_PORTSC_PED;
        set_pls(pt, XHCI_PLS_U0);
        if (pt->dev != NULL)
            (void)usb_dev_bus_reset(pt->dev); /* attached: cannot fail */
    } else {
        set_pls(pt, XHCI_PLS_RX_DETECT);
    }
    xhci_port_change(x, port, XHCI_PORTSC_PRC | (warm ? XHCI_PORTSC_WRC : 0));
}

static void start_reset(struct xhci *x, uint32_t port, bool warm)
{
    struct xhci_port *pt = &x->ports[port];
    if (!(pt->portsc & XHCI_PORTSC_PP) || pt->reset_done.slot != SIM_EVENT_NONE.slot)
        return; /* unpowered, or already resetting */
    pt->portsc &= ~XHCI_PORTSC_PED;
    pt->portsc |= warm ? XHCI_PORTSC_WPR | XHCI_PORTSC_PR : XHCI_PORTSC_PR;
    if (!pt->usb3)
        set_pls(pt, XHCI_PLS_U0); /* USB2 reset signalling: PLS is not meaningful */
    const struct xhci_profile *p = x->p;
    sim_time_ps t = warm ? p->warm_reset_ps : pt->usb3 ? p->usb3_port_reset_ps
                                                       : p->usb2_port_reset_ps;
    xhci_after(x, t, reset_done, port | (uint64_t)warm << 16, &pt->reset_done);
}

/* A Link State write (LWS=1) [5.4.8, PLS]: U0 <-> U3 on an enabled port;
 * Disabled -> RxDetect on a USB3 port; the rest are not software's. */
static void link_state_write(struct xhci *x, uint32_t port, uint32_t pls)
{
    struct xhci_port *pt = &x->ports[port];
    uint32_t now = pls_of(pt->portsc);
    if ((pt->portsc & XHCI_PORTSC_PED) && pls == XHCI_PLS_U3 && now <= XHCI_PLS_U2) {
        set_pls(pt, XHCI_PLS_U3);
    } else if ((pt->portsc & XHCI_PORTSC_PED) && pls == XHCI_PLS_U0 && now == XHCI_PLS_U3) {
        set_pls(pt, XHCI_PLS_U0);
        xhci_port_change(x, port, XHCI_PORTSC_PLC);
    } else if (pt->usb3 && pls == XHCI_PLS_RX_DETECT && now == XHCI_PLS_DISABLED) {
        set_pls(pt, XHCI_PLS_RX_DETECT);
    } else {
        xhci_note(x, "a PORTSC link state write the port's state does not allow: ignored");
    }
}

static void power_write(struct xhci *x, struct xhci_port *pt, bool on)
{
    if (powered_always(x) || on == ((pt->portsc & XHCI_PORTSC_PP) != 0))
        return;
    sim_dev_cancel(x->m, pt->reset_done);
    pt->reset_done = SIM_EVENT_NONE;
    sim_dev_cancel(x->m, pt->connect_ev);
    pt->connect_ev = SIM_EVENT_NONE;
    if (on) {
        port_disconnected(pt);
        if (pt->dev != NULL)
            xhci_after(x, x->p->connect_ps, device_seen, pt->no - 1, &pt->connect_ev);
    } else {
        pt->portsc = 0; /* powered off: nothing connected, link off */
        if (pt->dev != NULL)
            xhci_xfer_port_gone(x, pt->no); /* transfers to it fail */
    }
}

static void portsc_write(struct xhci *x, uint32_t port, uint32_t v)
{
    struct xhci_port *pt = &x->ports[port];
    pt->portsc &= ~(v & XHCI_PORTSC_CHANGE); /* RW1CS change bits */
    uint32_t rws = XHCI_PORTSC_WCE | XHCI_PORTSC_WDE | XHCI_PORTSC_WOE;
    if (x->p->hccparams1_flags & XHCI_HCCPARAMS1_PIND)
        rws |= XHCI_PORTSC_PIC_MASK;
    pt->portsc = (pt->portsc & ~rws) | (v & rws);
    power_write(x, pt, (v & XHCI_PORTSC_PP) != 0);
    if (!(pt->portsc & XHCI_PORTSC_PP))
        return;
    if ((v & XHCI_PORTSC_PED) && (pt->portsc & XHCI_PORTSC_PED)) { /* software disables */
        pt->portsc &= ~XHCI_PORTSC_PED;
        set_pls(pt, XHCI_PLS_DISABLED);
    }
    if ((v & XHCI_PORTSC_WPR) && pt->usb3)
        start_reset(x, port, true);
    else if (v & XHCI_PORTSC_PR)
        start_reset(x, port, false);
    else if (v & XHCI_PORTSC_LWS)
        link_state_write(x, port, (v & XHCI_PORTSC_PLS_MASK) >> XHCI_PORTSC_PLS_SHIFT);
}

uint32_t xhci_port_read(struct xhci *x, uint32_t port, uint32_t reg)
{
    if (port >= x->nports)
        return 0;
    const struct xhci_port *pt = &x->ports[port];
    switch (reg) {
    case XHCI_PORT_SC: return pt->portsc;
    case XHCI_PORT_PMSC: return pt->portpmsc;
    case XHCI_PORT_LI: return pt->portli;
    case XHCI_PORT_HLPMC: return pt->porthlpmc;
    default: return 0;
    }
}

void xhci_port_write(struct xhci *x, uint32_t port, uint32_t reg, uint32_t value)
{
    if (port >= x->nports)
        return;
    struct xhci_port *pt = &x->ports[port];
    switch (reg) {
    case XHCI_PORT_SC: portsc_write(x, port, value); return;
    case XHCI_PORT_PMSC:
        pt->portpmsc = pt->usb3 ? value & (XHCI_PORTPMSC3_U1_TIMEOUT_MASK |
                                           XHCI_PORTPMSC3_U2_TIMEOUT_MASK)
                                : value & ~XHCI_PORTPMSC2_L1S_MASK; /* L1S is the port's */
        return;
    case XHCI_PORT_HLPMC:
        if (!pt->usb3)
            pt->porthlpmc = value & (XHCI_PORTHLPMC_HIRDM_MASK | XHCI_PORTHLPMC_L1_TIMEOUT_MASK |
                                     XHCI_PORTHLPMC_BESLD_MASK);
        return;
    default: return; /* PORTLI is read-only */
    }
}

/* ---- a device arrives or leaves (the USB side of the port) ------------------------------------ */

enum iosim_err xhci_port_connect(struct xhci *x, uint32_t port_no, uint32_t speed)
{
    if (port_no == 0 || port_no > x->nports)
        return IOSIM_EINVAL;
    struct xhci_port *pt = &x->ports[port_no - 1];
    bool usb3_speed = speed == XHCI_SPEED_SUPER || speed == XHCI_SPEED_SUPER_PLUS;
    if (usb3_speed != pt->usb3 || speed == XHCI_SPEED_UNDEFINED)
        return IOSIM_EINVAL;
    if ((pt->portsc & XHCI_PORTSC_CCS) || !(pt->portsc & XHCI_PORTSC_PP))
        return IOSIM_EBUSY;
    pt->portsc = (pt->portsc & ~XHCI_PORTSC_SPEED_MASK) | XHCI_PORTSC_CCS | SC_SPEED(speed);
    if (pt->usb3) { /* link training ends enabled in U0 [4.19.1.2.1] */
        pt->portsc |= XHCI_PORTSC_PED;
        set_pls(pt, XHCI_PLS_U0);
    } else {
        set_pls(pt, XHCI_PLS_POLLING); /* waits for a port reset */
    }
    xhci_port_change(x, port_no - 1, XHCI_PORTSC_CSC);
    return IOSIM_OK;
}

enum iosim_err xhci_port_disconnect(struct xhci *x, uint32_t port_no)
{
    if (port_no == 0 || port_no > x->nports)
        return IOSIM_EINVAL;
    struct xhci_port *pt = &x->ports[port_no - 1];
    if (!(pt->portsc & XHCI_PORTSC_CCS))
        return IOSIM_ENOENT;
    sim_dev_cancel(x->m, pt->reset_done);
    pt->reset_done = SIM_EVENT_NONE;
    uint32_t keep = pt->portsc & (XHCI_PORTSC_CHANGE | XHCI_PORTSC_WCE | XHCI_PORTSC_WDE |
                                  XHCI_PORTSC_WOE | XHCI_PORTSC_PIC_MASK);
    port_disconnected(pt);
    pt->portsc |= keep;
    xhci_port_change(x, port_no - 1, XHCI_PORTSC_CSC); /* PEC is for errors, not removal */
    return IOSIM_OK;
}

/* ---- a USB device plugged into a port ----------------------------------------------------------- */

static uint32_t xhci_speed_of(enum usb_speed s)
{
    switch (s) {
    case USB_SPEED_LOW: return XHCI_SPEED_LOW;
    case USB_SPEED_FULL: return XHCI_SPEED_FULL;
    case USB_SPEED_HIGH: return XHCI_SPEED_HIGH;
    case USB_SPEED_SUPER: return XHCI_SPEED_SUPER;
    case USB_SPEED_SUPER_PLUS: return XHCI_SPEED_SUPER_PLUS;
    case USB_SPEED_COUNT: break;
    }
    return XHCI_SPEED_UNDEFINED;
}

static void device_ready(void *host_ctx, uint8_t ep_addr)
{
    struct xhci_port *pt = host_ctx;
    xhci_xfer_device_ready(pt->x, pt->no - 1, ep_addr);
}

static const struct usb_host_ops port_host_ops = {.ready = device_ready};

/* The connection is seen: CCS and CSC; a USB 3 link trained, which resets
 * the device (usb_dev.h). An unpowered port sees it when powered. */
static void device_seen(void *ctx, uint64_t port)
{
    struct xhci *x = ctx;
    struct xhci_port *pt = &x->ports[port];
    pt->connect_ev = SIM_EVENT_NONE;
    if (pt->dev == NULL || xhci_port_connect(x, pt->no, pt->dev_speed) != IOSIM_OK)
        return;
    if (pt->usb3)
        (void)usb_dev_bus_reset(pt->dev);
}

enum iosim_err xhci_usb_attach(struct xhci *x, uint32_t port_no, struct usb_dev *d)
{
    ASSERT(d != NULL);
    if (port_no == 0 || port_no > x->nports)
        return IOSIM_EINVAL;
    struct xhci_port *pt = &x->ports[port_no - 1];
    uint32_t speed = xhci_speed_of(usb_dev_speed(d));
    bool usb3_speed = speed == XHCI_SPEED_SUPER || speed == XHCI_SPEED_SUPER_PLUS;
    if (speed == XHCI_SPEED_UNDEFINED || usb3_speed != pt->usb3)
        return IOSIM_EINVAL;
    if (pt->dev != NULL || (pt->portsc & XHCI_PORTSC_CCS))
        return IOSIM_EBUSY;
    enum iosim_err e = usb_dev_attach(d, &port_host_ops, pt);
    if (e != IOSIM_OK)
        return e;
    pt->dev = d;
    pt->dev_speed = speed;
    xhci_trace_port(x, port_no, "plug", 0);
    xhci_after(x, x->p->connect_ps, device_seen, port_no - 1, &pt->connect_ev);
    return IOSIM_OK;
}

enum iosim_err xhci_usb_detach(struct xhci *x, uint32_t port_no)
{
    if (port_no == 0 || port_no > x->nports)
        return IOSIM_EINVAL;
    struct xhci_port *pt = &x->ports[port_no - 1];
    if (pt->dev == NULL)
        return IOSIM_ENOENT;
    sim_dev_cancel(x->m, pt->connect_ev);
    pt->connect_ev = SIM_EVENT_NONE;
    struct usb_dev *d = pt->dev;
    pt->dev = NULL;
    xhci_trace_port(x, port_no, "unplug", 0);
    xhci_xfer_port_gone(x, port_no);
    usb_dev_detach(d);
    if (pt->portsc & XHCI_PORTSC_CCS)
        (void)xhci_port_disconnect(x, port_no);
    return IOSIM_OK;
}

struct usb_dev *xhci_usb_device(const struct xhci *x, uint32_t port_no)
{
    if (port_no == 0 || port_no > x->nports)
        return NULL;
    return x->ports[port_no - 1].dev;
}
