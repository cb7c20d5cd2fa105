/*
 * Root ports [xHCI 4.3, 4.19, 5.4.8]. Which protocol a port speaks comes
 * from the supported protocol capabilities (a USB 3 port is enabled by
 * link training, a USB 2 one by a port reset); a connect waits TATTDB,
 * then resets the port (a USB 3 port whose link did not train gets a warm
 * reset), and an enabled port hands its device to xhcid_dev.c. A
 * disconnect can come at any moment, in any state, and undoes whatever the
 * device had reached.
 */
#include "impl/drivers/xhcid/xhcid.h"

#define XCAP_WALK_MAX 64u              /* capabilities followed before calling it a loop */
#define XCAP_END_DWORDS 0x4000u        /* 64 KiB: no capability lies past this */
#define PORT_RESETS_MAX 3u

/* A PORTSC write that changes nothing but `bits`: RWS bits written back as
 * read, RW1C / RW1S ones 0 (writing PED 1 would disable the port). */
static void portsc_set(struct xhcid *h, uint32_t port, uint32_t sc, uint32_t bits)
{
    uint32_t keep = XHCI_PORTSC_PP | XHCI_PORTSC_PIC_MASK | XHCI_PORTSC_WCE | XHCI_PORTSC_WDE |
                    XHCI_PORTSC_WOE;
    ASSERT(bits != 0); /* a write that changes nothing is not made */
    ASSERT((bits & XHCI_PORTSC_PED) == 0); /* writing PED 1 would disable the port */
    xhcid_portsc_wr(h, port, (sc & keep) | bits);
}

static void protocol(struct xhcid *h, uint32_t at)
{
    ASSERT(at != 0 && at % 4u == 0);
    ASSERT(h->nports <= XHCID_PORTS_MAX);
    uint32_t dw0 = port_mmio_read32(h->regs, at);
    uint32_t dw2 = port_mmio_read32(h->regs, at + XHCI_PROTO_PORTS);
    uint32_t dw3 = port_mmio_read32(h->regs, at + XHCI_PROTO_SLOT);
    uint32_t major = (dw0 & XHCI_PROTO_MAJOR_MASK) >> XHCI_PROTO_MAJOR_SHIFT;
    uint32_t first = dw2 & XHCI_PROTO_PORT_OFFSET_MASK;
    uint32_t count = (dw2 & XHCI_PROTO_PORT_COUNT_MASK) >> XHCI_PROTO_PORT_COUNT_SHIFT;
    if (major != XHCI_PROTO_MAJOR_USB2 && major != XHCI_PROTO_MAJOR_USB3)
        return;
    for (uint32_t p = first; p < first + count && p <= h->nports; p++) {
        if (p == 0 || h->ports[p].known)
            continue; /* a port two capabilities claim keeps the first */
        h->ports[p].known = true;
        h->ports[p].usb3 = major == XHCI_PROTO_MAJOR_USB3;
        h->ports[p].slot_type = (uint8_t)(dw3 & XHCI_PROTO_SLOT_TYPE_MASK);
    }
}

/* Walks the extended capabilities, each offset checked, the walk bounded:
 * a next pointer that loops ends it. */
static void protocols(struct xhcid *h)
{
    ASSERT(h->regs != NULL);
    ASSERT(h->nports <= XHCID_PORTS_MAX);
    uint32_t p1 = port_mmio_read32(h->regs, XHCI_CAP_HCCPARAMS1);
    uint32_t dw = (p1 & XHCI_HCCPARAMS1_XECP_MASK) >> XHCI_HCCPARAMS1_XECP_SHIFT;
    for (uint32_t n = 0; dw != 0 && dw < XCAP_END_DWORDS && n < XCAP_WALK_MAX; n++) {
        uint32_t head = port_mmio_read32(h->regs, dw * 4u);
        if (head == UINT32_MAX)
            break; /* past the BAR */
        if ((head & XHCI_XCAP_ID_MASK) == XHCI_XCAP_PROTOCOL)
            protocol(h, dw * 4u);
        uint32_t next = (head & XHCI_XCAP_NEXT_MASK) >> XHCI_XCAP_NEXT_SHIFT;
        dw = next == 0 ? 0 : dw + next;
    }
}

void xhcid_ports_init(struct xhcid *h)
{
    uint32_t p1 = port_mmio_read32(h->regs, XHCI_CAP_HCSPARAMS1);
    h->nports = (p1 & XHCI_HCSPARAMS1_MAX_PORTS_MASK) >> XHCI_HCSPARAMS1_MAX_PORTS_SHIFT;
    if (h->nports > XHCID_PORTS_MAX)
        h->nports = XHCID_PORTS_MAX;
    ASSERT(h->nports <= XHCID_PORTS_MAX);
    h->ppc = (port_mmio_read32(h->regs, XHCI_CAP_HCCPARAMS1) & XHCI_HCCPARAMS1_PPC) != 0;
    for (uint32_t p = 1; p <= h->nports; p++)
        h->ports[p] = (struct xhcid_port){.state = XP_EMPTY, .dev = UINT32_MAX};
    protocols(h);
    bool powered = false;
    for (uint32_t p = 1; p <= h->nports; p++) {
        uint32_t sc = xhcid_portsc(h, p);
        if (h->ppc && !(sc & XHCI_PORTSC_PP)) {
            portsc_set(h, p, sc, XHCI_PORTSC_PP);
            powered = true;
        }
    }
    if (powered)
        port_sleep_ns(XHCI_PORT_POWER_STABLE_MS * XHCID_MS);
    /* what is already connected counts as a connect now */
    for (uint32_t p = 1; p <= h->nports; p++)
        xhcid_port_change(h, p);
}

static void start_reset(struct xhcid *h, uint32_t port, uint32_t sc, bool warm)
{
    struct xhcid_port *pt = &h->ports[port];
    ASSERT(port >= 1 && port <= h->nports);
    ASSERT(pt->state == XP_DEBOUNCE || pt->state == XP_RESET); /* after TATTDB, or a retry */
    pt->state = XP_RESET;
    pt->warm = warm;
    pt->resets++;
    ASSERT(pt->resets >= 1 && pt->resets <= PORT_RESETS_MAX);
    pt->deadline_ns = port_clock_ns() + XHCID_RESET_TIMEOUT_NS;
    xhcid_trace_port(h, port, 0, warm ? "warm_reset" : "reset", NULL);
    portsc_set(h, port, sc, warm ? XHCI_PORTSC_WPR : XHCI_PORTSC_PR);
}

static void enabled(struct xhcid *h, uint32_t port, uint32_t sc)
{
    struct xhcid_port *pt = &h->ports[port];
    uint32_t speed = (sc & XHCI_PORTSC_SPEED_MASK) >> XHCI_PORTSC_SPEED_SHIFT;
    ASSERT(pt->state == XP_RESET || pt->state == XP_DEBOUNCE); /* a port is enabled once */
    ASSERT(pt->dev == UINT32_MAX); /* no device of an earlier connect left on it */
    if (speed < XHCI_SPEED_FULL || speed > XHCI_SPEED_SUPER_PLUS) {
        pt->state = XP_FAILED;
        xhcid_trace_port(h, port, speed, "port_failed", "enabled with an unknown speed");
        return;
    }
    pt->state = XP_ENABLED;
    xhcid_trace_port(h, port, speed, "enabled", NULL);
    xhcid_dev_attach(h, port, speed, pt->slot_type);
}

static void disconnected(struct xhcid *h, uint32_t port)
{
    struct xhcid_port *pt = &h->ports[port];
    ASSERT(port >= 1 && port <= h->nports);
    if (pt->state == XP_EMPTY)
        return;
    if (pt->dev != UINT32_MAX)
        xhcid_dev_detach(h, pt->dev);
    pt->dev = UINT32_MAX;
    pt->state = XP_EMPTY;
    ASSERT(pt->dev == UINT32_MAX);
    xhcid_trace_port(h, port, 0, "disconnect", NULL);
}

/* A Port Status Change event (or the first look at a port): the change
 * bits are acknowledged, then the port's state decides. */
void xhcid_port_change(struct xhcid *h, uint32_t port)
{
    struct xhcid_port *pt = &h->ports[port];
    ASSERT(port >= 1 && port <= h->nports);
    ASSERT(pt->state <= XP_FAILED);
    uint32_t sc = xhcid_portsc(h, port);
    if (sc == UINT32_MAX)
        return; /* the controller is gone */
    if (sc & XHCI_PORTSC_CHANGE)
        portsc_set(h, port, sc, sc & XHCI_PORTSC_CHANGE);
    if (!(sc & XHCI_PORTSC_CCS)) {
        disconnected(h, port);
        return;
    }
    if ((sc & XHCI_PORTSC_CSC) && pt->state != XP_EMPTY && pt->state != XP_DEBOUNCE)
        disconnected(h, port); /* unplugged and plugged again between two looks */
    if (pt->state == XP_EMPTY) {
        pt->state = XP_DEBOUNCE;
        pt->resets = 0;
        ASSERT(pt->dev == UINT32_MAX); /* disconnected() let go of the last device */
        pt->deadline_ns = port_clock_ns() + XHCID_DEBOUNCE_NS;
        xhcid_trace_port(h, port, 0, "connect", pt->usb3 ? "usb3" : "usb2");
        return;
    }
    if (pt->state == XP_RESET && (sc & (XHCI_PORTSC_PRC | XHCI_PORTSC_WRC)) &&
        !(sc & (XHCI_PORTSC_PR | XHCI_PORTSC_WPR)) && (sc & XHCI_PORTSC_PED))
        enabled(h, port, sc);
}

static void debounced(struct xhcid *h, uint32_t port)
{
    ASSERT(h->ports[port].state == XP_DEBOUNCE);
    ASSERT(h->ports[port].resets == 0); /* the connect cleared them */
    uint32_t sc = xhcid_portsc(h, port);
    if (!(sc & XHCI_PORTSC_CCS)) {
        disconnected(h, port);
        return;
    }
    if (sc & XHCI_PORTSC_PED) { /* a USB 3 link trained by itself */
        enabled(h, port, sc);
        return;
    }
    uint32_t pls = (sc & XHCI_PORTSC_PLS_MASK) >> XHCI_PORTSC_PLS_SHIFT;
    bool stuck = pls == XHCI_PLS_INACTIVE || pls == XHCI_PLS_COMPLIANCE;
    start_reset(h, port, sc, h->ports[port].usb3 && stuck);
}

static void reset_timeout(struct xhcid *h, uint32_t port)
{
    struct xhcid_port *pt = &h->ports[port];
    ASSERT(pt->state == XP_RESET);
    ASSERT(pt->resets >= 1 && pt->resets <= PORT_RESETS_MAX);
    uint32_t sc = xhcid_portsc(h, port);
    if (sc & XHCI_PORTSC_PED) { /* the change event went missing; the port is up */
        enabled(h, port, sc);
        return;
    }
    if (pt->resets >= PORT_RESETS_MAX || !(sc & XHCI_PORTSC_CCS)) {
        pt->state = XP_FAILED;
        xhcid_trace_port(h, port, 0, "port_failed", "no reset completed");
        return;
    }
    start_reset(h, port, sc, pt->usb3); /* a USB 3 port's second try is a warm reset */
}

void xhcid_port_timers(struct xhcid *h, uint64_t now)
{
    ASSERT(h != NULL);
    ASSERT(h->nports <= XHCID_PORTS_MAX);
    for (uint32_t p = 1; p <= h->nports; p++) {
        struct xhcid_port *pt = &h->ports[p];
        if (now < pt->deadline_ns)
            continue;
        if (pt->state == XP_DEBOUNCE)
            debounced(h, p);
        else if (pt->state == XP_RESET)
            reset_timeout(h, p);
    }
}

uint64_t xhcid_port_next_deadline(const struct xhcid *h)
{
    uint64_t next = XHCID_NO_DEADLINE;
    ASSERT(h->nports <= XHCID_PORTS_MAX);
    for (uint32_t p = 1; p <= h->nports; p++) {
        const struct xhcid_port *pt = &h->ports[p];
        if ((pt->state == XP_DEBOUNCE || pt->state == XP_RESET) && pt->deadline_ns < next)
            next = pt->deadline_ns;
    }
    return next;
}

void xhcid_port_release(struct xhcid *h, uint32_t port)
{
    ASSERT(port >= 1); /* a device's port: it was enabled on one */
    ASSERT(port <= XHCID_PORTS_MAX);
    if (port >= 1 && port <= h->nports)
        h->ports[port].dev = UINT32_MAX;
}
