/*
 * app_xhcid: the xHCI driver, started by pcid for class 0C0330 (xhcid.h
 * says how its modules share the work). This file is the controller's
 * bring-up in the spec's order [xHCI 4.2] - map BAR 0, take interrupts
 * over the pci: ring (MSI-X, then MSI, then INTx under "auto"), halt,
 * HCRST, wait for CNR to clear, MaxSlotsEn, the DCBAA with scratchpad
 * buffers when HCSPARAMS2 asks for them, a command ring closed by a
 * toggling Link TRB, an event ring of several segments (as many as ERST
 * Max allows, up to `segs`), interrupter 0 with IMOD, run, a No Op
 * answered - then the ports, and the main loop that sleeps on the
 * interrupt and its wake word at once until a deadline (a debounce, a
 * port reset, a command or a control transfer that must not wait
 * forever) is due.
 *
 * Arguments: pci (the function, given by pcid), irq ("auto", "msix",
 * "msi", "intx"; auto), segs (event ring segments, 2), event_trbs (TRBs a
 * segment, 256), imod (IMODI in 250 ns units, 160 = 40 us as Linux has it),
 * until_configured (exit 0 once this many devices were configured and
 * nothing else is under way; 0, the default: after the No Op, for a
 * bring-up check).
 * Exit status: 0 when that was reached, 1 when the controller failed, 2
 * when pcid could not be reached.
 */
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/drivers/pcid/pci_client.h"
#include "impl/drivers/xhcid/xhcid.h"
#include "impl/util/strbuf.h"

#define WAIT_STEP_NS 10000u            /* register polls during reset: 10 us apart */
#define RESET_TIMEOUT_NS 100000000u    /* 100 ms for halt, HCRST and CNR */
#define IRQ_TIMEOUT_NS 100000000u

static uint32_t ir_reg(struct xhcid *h, uint32_t reg) { return h->rt + XHCI_RT_IR0 + reg; }

/* Polls an operational register until (value & mask) == want: only while
 * the controller resets, before it can interrupt. */
static bool wait_op(struct xhcid *h, uint32_t reg, uint32_t mask, uint32_t want)
{
    ASSERT(mask != 0);
    ASSERT((want & ~mask) == 0); /* a value the mask can show */
    for (uint64_t waited = 0; waited <= RESET_TIMEOUT_NS; waited += WAIT_STEP_NS) {
        if ((xhcid_op_rd(h, reg) & mask) == want)
            return true;
        port_sleep_ns(WAIT_STEP_NS);
    }
    return false;
}

/* ---- bring-up ------------------------------------------------------------------------------- */

static bool read_caps(struct xhcid *h)
{
    h->op = port_mmio_read8(h->regs, XHCI_CAP_CAPLENGTH);
    h->rt = port_mmio_read32(h->regs, XHCI_CAP_RTSOFF) & ~0x1fu;
    h->db = port_mmio_read32(h->regs, XHCI_CAP_DBOFF) & ~0x3u;
    h->max_slots = port_mmio_read32(h->regs, XHCI_CAP_HCSPARAMS1) & XHCI_HCSPARAMS1_MAX_SLOTS_MASK;
    if (h->max_slots > XHCID_SLOTS_MAX)
        h->max_slots = XHCID_SLOTS_MAX; /* MaxSlotsEn: the devices the driver keeps */
    bool csz = (port_mmio_read32(h->regs, XHCI_CAP_HCCPARAMS1) & XHCI_HCCPARAMS1_CSZ) != 0;
    h->ctx_bytes = csz ? XHCI_CTX_BYTES_CSZ : XHCI_CTX_BYTES;
    ASSERT(h->max_slots <= XHCID_SLOTS_MAX); /* clamped: the devices the driver keeps */
    return h->op >= XHCI_CAP_NAMED_BYTES && h->max_slots != 0 && h->rt != 0 && h->db != 0;
}

/* Halt, then reset: CNR and HCRST read 0 once the controller is ready [4.2]. */
static bool reset(struct xhcid *h)
{
    ASSERT(h->regs != NULL);
    ASSERT(h->op >= XHCI_CAP_NAMED_BYTES); /* read_caps checked CAPLENGTH */
    xhcid_op_wr(h, XHCI_OP_USBCMD, xhcid_op_rd(h, XHCI_OP_USBCMD) & ~XHCI_USBCMD_RS);
    if (!wait_op(h, XHCI_OP_USBSTS, XHCI_USBSTS_HCH, XHCI_USBSTS_HCH) ||
        !wait_op(h, XHCI_OP_USBSTS, XHCI_USBSTS_CNR, 0))
        return false;
    xhcid_op_wr(h, XHCI_OP_USBCMD, XHCI_USBCMD_HCRST);
    return wait_op(h, XHCI_OP_USBCMD, XHCI_USBCMD_HCRST, 0) &&
           wait_op(h, XHCI_OP_USBSTS, XHCI_USBSTS_CNR, 0);
}

/* Memory of the controller's: allocated at the first bring-up, zeroed
 * again at a reset after a controller error. */
static bool dma_fresh(struct port_dma *d, size_t len, size_t align)
{
    ASSERT(d != NULL);
    ASSERT(len > 0);
    if (d->host == NULL)
        return port_dma_alloc(len, align, d) == IOSIM_OK; /* zeroed */
    /* the controller may say other sizes after its reset: memory of the
     * first bring-up that is now too small is not used past its end */
    if (d->len_bytes < len)
        return false;
    static const uint8_t zero[64];
    for (size_t at = 0; at < d->len_bytes; at += sizeof zero)
        port_shm_write((uint8_t *)d->host + at, zero,
                       d->len_bytes - at < sizeof zero ? d->len_bytes - at : sizeof zero);
    return true;
}

/* The DCBAA, and the scratchpad buffer array in its entry 0 [4.20]. */
static bool device_contexts(struct xhcid *h)
{
    ASSERT(h->max_slots >= 1 && h->max_slots <= XHCID_SLOTS_MAX);
    uint32_t p2 = port_mmio_read32(h->regs, XHCI_CAP_HCSPARAMS2);
    uint32_t sp = ((p2 & XHCI_HCSPARAMS2_SPB_HI_MASK) >> XHCI_HCSPARAMS2_SPB_HI_SHIFT) << 5 |
                  (p2 & XHCI_HCSPARAMS2_SPB_LO_MASK) >> 27;
    if (!dma_fresh(&h->dcbaa, 8u * (h->max_slots + 1u), XHCI_DCBAA_ALIGN_BYTES))
        return false;
    if (sp != 0) {
        if (!dma_fresh(&h->sp_array, 8u * sp, 64) ||
            !dma_fresh(&h->sp_pages, (size_t)XHCID_PAGE_BYTES * sp, XHCID_PAGE_BYTES))
            return false;
        for (uint32_t i = 0; i < sp; i++)
            xhcid_put64((uint8_t *)h->sp_array.host + 8u * i, h->sp_pages.bus_addr + (uint64_t)XHCID_PAGE_BYTES * i);
        xhcid_put64(h->dcbaa.host, h->sp_array.bus_addr);
    }
    xhcid_op_wr(h, XHCI_OP_CONFIG, h->max_slots);
    port_mmio_write32(h->regs, h->op + XHCI_OP_DCBAAP, (uint32_t)h->dcbaa.bus_addr);
    port_mmio_write32(h->regs, h->op + XHCI_OP_DCBAAP + 4, (uint32_t)(h->dcbaa.bus_addr >> 32));
    return true;
}

static bool command_ring(struct xhcid *h)
{
    if (!dma_fresh(&h->cmd.mem, XHCI_TRB_BYTES * XHCID_RING_TRBS, XHCID_PAGE_BYTES))
        return false;
    h->cmd.idx = h->cmd.busy = 0;
    h->cmd.pcs = true;
    ASSERT((h->cmd.mem.bus_addr & (XHCID_PAGE_BYTES - 1)) == 0); /* RCS shares its low bits */
    uint64_t crcr = h->cmd.mem.bus_addr | XHCI_CRCR_RCS;
    port_mmio_write32(h->regs, h->op + XHCI_OP_CRCR, (uint32_t)crcr);
    port_mmio_write32(h->regs, h->op + XHCI_OP_CRCR + 4, (uint32_t)(crcr >> 32));
    return true;
}

/* ERSTSZ segments of ev_trbs TRBs in one allocation; ERSTBA last, as the
 * spec has it (writing it starts the ring) [4.9.4]. */
static bool event_ring(struct xhcid *h, uint32_t segs, uint32_t trbs, uint32_t imod)
{
    uint32_t p2 = port_mmio_read32(h->regs, XHCI_CAP_HCSPARAMS2);
    uint32_t erst_max = 1u << ((p2 & XHCI_HCSPARAMS2_ERST_MAX_MASK) >> XHCI_HCSPARAMS2_ERST_MAX_SHIFT);
    h->ev_segs = segs < 1 ? 1 : segs > erst_max ? erst_max : segs;
    h->ev_trbs = trbs < XHCI_ERST_SEG_TRBS_MIN ? XHCI_ERST_SEG_TRBS_MIN
                 : trbs > XHCI_ERST_SEG_TRBS_MAX ? XHCI_ERST_SEG_TRBS_MAX : trbs;
    if (!dma_fresh(&h->erst, (size_t)XHCI_ERST_ENTRY_BYTES * h->ev_segs, XHCI_ERST_ALIGN_BYTES) ||
        !dma_fresh(&h->ev, (size_t)XHCI_TRB_BYTES * h->ev_trbs * h->ev_segs,
                   XHCI_EVENT_RING_ALIGN_BYTES))
        return false;
    for (uint32_t s = 0; s < h->ev_segs; s++) {
        uint8_t *e = (uint8_t *)h->erst.host + XHCI_ERST_ENTRY_BYTES * s;
        xhcid_put64(e + XHCI_ERST_SEG_BASE, h->ev.bus_addr + (uint64_t)XHCI_TRB_BYTES * h->ev_trbs * s);
        uint8_t size[8] = {(uint8_t)h->ev_trbs, (uint8_t)(h->ev_trbs >> 8)};
        port_shm_write(e + XHCI_ERST_SEG_SIZE, size, sizeof size);
    }
    h->ev_idx = 0;
    h->ev_ccs = true;
    ASSERT(h->ev_segs >= 1 && h->ev_segs <= erst_max);
    ASSERT(h->ev_trbs >= XHCI_ERST_SEG_TRBS_MIN && h->ev_trbs <= XHCI_ERST_SEG_TRBS_MAX);
    port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_ERSTSZ), h->ev_segs);
    port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_ERDP), (uint32_t)h->ev.bus_addr);
    h->erdp_hi = (uint32_t)(h->ev.bus_addr >> 32);
    port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_ERDP + 4), h->erdp_hi);
    port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_IMOD), imod & XHCI_IMOD_IMODI_MASK);
    port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_ERSTBA), (uint32_t)h->erst.bus_addr);
    port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_ERSTBA + 4), (uint32_t)(h->erst.bus_addr >> 32));
    port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_IMAN), XHCI_IMAN_IE);
    return true;
}

static bool run(struct xhcid *h)
{
    ASSERT(h->cmd.mem.host != NULL); /* the rings are in place before the controller runs */
    ASSERT(h->ev.host != NULL);
    xhcid_op_wr(h, XHCI_OP_USBCMD, XHCI_USBCMD_RS | XHCI_USBCMD_INTE | XHCI_USBCMD_HSEE);
    return wait_op(h, XHCI_OP_USBSTS, XHCI_USBSTS_HCH, 0);
}

/* ---- the No Op and the main loop ------------------------------------------------------------ */

static void on_noop(struct xhcid *h, uint32_t dev, uint32_t cc, uint32_t slot)
{
    (void)dev, (void)slot;
    ASSERT(dev == UINT32_MAX); /* the No Op is the controller's, no device's */
    ASSERT(!h->noop_done); /* one No Op a bring-up */
    if (cc != XHCI_CC_SUCCESS)
        h->dead = true;
    else
        h->noop_done = true;
}

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t m = a < b ? a : b;
    ASSERT(m <= a && m <= b);
    return m < c ? m : c;
}

/* Sleeps on the interrupt and the scheme's ring at once until the next
 * deadline. */
static bool wait_for_work(struct xhcid *h, port_atomic_u32 *word, uint32_t seen)
{
    uint64_t now = port_clock_ns();
    uint64_t next = min3(xhcid_cmd_next_deadline(h), xhcid_port_next_deadline(h),
                         xhcid_dev_next_deadline(h));
    uint64_t xfer = xhcid_xfer_next_deadline(h);
    next = next < xfer ? next : xfer;
    /* anything under way - a command, a transfer, a port reset, a device's
     * control transfer - waits on an event the controller will write, and
     * with nothing under way a Port Status Change may come (a device
     * plugged in): a lost interrupt costs at most the watchdog, never the
     * (longer) deadline of what waits or a hang */
    if (next > now + XHCID_WATCHDOG_NS)
        next = now + XHCID_WATCHDOG_NS;
    ASSERT(next <= now + XHCID_WATCHDOG_NS); /* a lost interrupt costs at most this */
    ASSERT(word != NULL);
    uint64_t timeout = next == XHCID_NO_DEADLINE ? PORT_IRQ_NO_TIMEOUT : next > now ? next - now : 0;
    enum iosim_err e = port_irq_wait_word(h->irq, word, seen, timeout);
    if (e == IOSIM_OK || e == IOSIM_ETIMEDOUT) /* a deadline: a lost interrupt is found too */
        xhcid_events(h);
    return e == IOSIM_OK || e == IOSIM_ETIMEDOUT || e == IOSIM_EAGAIN;
}

/* Nothing under way: no port between connect and enabled, no device
 * between Enable Slot and configured, no command in flight. */
static bool settled(const struct xhcid *h)
{
    ASSERT(h != NULL);
    if (xhcid_cmd_next_deadline(h) != XHCID_NO_DEADLINE ||
        xhcid_port_next_deadline(h) != XHCID_NO_DEADLINE)
        return false;
    for (uint32_t i = 0; i < XHCID_SLOTS_MAX; i++)
        if (h->devs[i].state != XD_FREE && h->devs[i].state != XD_CONFIGURED)
            return false;
    return true;
}

struct until {
    uint32_t configured;               /* devices configured (0: only the No Op) */
    bool drivers_exit;                 /* and the class drivers started have all ended */
};

static bool done(const struct xhcid *h, const struct until *u)
{
    ASSERT(u != NULL);
    if (u->configured == 0 && !u->drivers_exit)
        return h->noop_done;
    if (h->configured < u->configured || !settled(h))
        return false;
    return !u->drivers_exit || (xhcid_serve_started(h) > 0 && xhcid_serve_clients_done(h));
}

static bool recover(struct xhcid *h);

static int32_t main_loop(struct xhcid *h, const struct until *u)
{
    ASSERT(u != NULL);
    ASSERT(h->irq != NULL); /* start() opened it */
    for (;;) {
        port_atomic_u32 *word = xhcid_serve_word(h);
        uint32_t seen = port_load_u32(word, PORT_ACQUIRE);
        uint64_t now = port_clock_ns();
        xhcid_cmd_timeouts(h, now);
        xhcid_port_timers(h, now);
        xhcid_dev_timers(h, now);
        xhcid_xfer_timeouts(h, now);
        xhcid_serve(h);
        xhcid_serve_flush(h);
        if (h->dead && !recover(h))
            return 1;
        ASSERT(!h->dead); /* recovered, or gone above */
        if (done(h, u))
            return 0;
        if (!wait_for_work(h, word, seen))
            return 1;
    }
}

/* ---- the driver ----------------------------------------------------------------------------- */

static uint32_t irq_mode(const char *s)
{
    ASSERT(s != NULL);
    if (strcmp(s, "msix") == 0)
        return PCI_SCHEME_IRQ_MSIX;
    if (strcmp(s, "msi") == 0)
        return PCI_SCHEME_IRQ_MSI;
    if (strcmp(s, "intx") == 0)
        return PCI_SCHEME_IRQ_INTX;
    return PCI_SCHEME_IRQ_AUTO;
}

static bool bring_up(struct xhcid *h)
{
    ASSERT(h->regs != NULL);
    ASSERT(!h->dead);
    return read_caps(h) && reset(h) && device_contexts(h) && command_ring(h) &&
           event_ring(h, h->want_segs, h->want_trbs, h->imod) && run(h);
}

/* The controller answers before anything depends on it. */
static bool start(struct xhcid *h)
{
    if (!bring_up(h) ||
        xhcid_command(h, 0, 0, XHCI_TRB_TYPE_NOOP_CMD << XHCI_TRB_TYPE_SHIFT, UINT32_MAX,
                      on_noop) != IOSIM_OK)
        return false;
    ASSERT(h->ev_trbs != 0 && h->ev_segs != 0);
    xhcid_ports_init(h);
    ASSERT(h->nports <= XHCID_PORTS_MAX);
    xhcid_events(h);
    return true;
}

/* HSE or HCE [4.10.2.6, 4.24.1]: every device is gone for its class
 * drivers (their requests end ENODEV), the controller is reset and
 * brought up again, and what is plugged in is enumerated anew. */
static bool recover(struct xhcid *h)
{
    uint32_t sts = xhcid_op_rd(h, XHCI_OP_USBSTS);
    xhcid_trace_port(h, 0, XHCI_SPEED_UNDEFINED, "controller_error",
                     sts & XHCI_USBSTS_HCE ? "HCE: reset" : "HSE: reset");
    ASSERT(h->dead);
    if (++h->resets > XHCID_RESETS_MAX)
        return false;
    for (uint32_t i = 0; i < XHCID_CMDS_MAX; i++)
        h->cmds[i].used = false; /* the reset drops them: nobody waits for them any more */
    xhcid_dev_drop_all(h);
    for (uint32_t p = 1; p <= h->nports; p++)
        h->ports[p] = (struct xhcid_port){.state = XP_EMPTY, .dev = UINT32_MAX};
    h->dead = h->noop_done = false;
    ASSERT(h->nports <= XHCID_PORTS_MAX);
    return start(h);
}

/* The class-driver table and what every class driver is given. */
static bool class_drivers(struct xhcid *h, void *args)
{
    uint32_t col;
    char msg[96];
    const char *extra = app_arg_str(args, "class_args", "");
    if (strlen(extra) >= sizeof h->class_args)
        return false;
    ASSERT(h->class_args[sizeof h->class_args - 1] == '\0');
    for (size_t i = 0; extra[i] != '\0'; i++) /* one token on pcid's line: ',' for ' ' */
        h->class_args[i] = extra[i] == ',' ? ' ' : extra[i];
    return xhcid_rules_parse(app_arg_str(args, "drivers", XHCID_DEFAULT_DRIVERS), h->rules,
                             &h->nrules, &col, msg, sizeof msg) == IOSIM_OK;
}

static int32_t drive(struct pci_client *pc, struct xhcid *h, void *args)
{
    ASSERT(pc != NULL);
    ASSERT(h->sock == -1); /* the scheme is opened here */
    if (!class_drivers(h, args) || xhcid_serve_open(h) != IOSIM_OK)
        return 2;
    ASSERT(h->nrules <= XHCID_RULES_MAX);
    if (pci_client_map_bar(pc, 0, &h->regs) != IOSIM_OK)
        return 1;
    struct pci_client_irq irq;
    if (pci_client_irq(pc, irq_mode(app_arg_str(args, "irq", "auto")), 1, &irq) != IOSIM_OK ||
        port_irq_open(irq.first, &h->irq) != IOSIM_OK)
        return 1;
    h->intx = irq.mode == PCI_SCHEME_IRQ_INTX;
    h->want_segs = (uint32_t)app_arg_int(args, "segs", 2);
    h->want_trbs = (uint32_t)app_arg_int(args, "event_trbs", 256);
    h->imod = (uint32_t)app_arg_int(args, "imod", 160);
    if (!start(h))
        return 1;
    struct until u = {.configured = (uint32_t)app_arg_int(args, "until_configured", 0),
                      .drivers_exit = app_arg_int(args, "until_drivers_exit", 0) != 0};
    return main_loop(h, &u);
}

static void release(struct xhcid *h)
{
    ASSERT(h != NULL);
    if (h->regs != NULL) { /* halted before its memory goes */
        port_mmio_write32(h->regs, h->op + XHCI_OP_USBCMD, 0);
        (void)wait_op(h, XHCI_OP_USBSTS, XHCI_USBSTS_HCH, XHCI_USBSTS_HCH);
    }
    if (h->irq != NULL)
        port_irq_close(h->irq);
    xhcid_serve_close(h); /* the controller no longer touches their windows */
    ASSERT(h->sock == -1 && !h->serving);
    xhcid_dev_free_all(h);
    xhcid_ring_free(&h->cmd);
    struct port_dma *bufs[] = {&h->ev, &h->erst, &h->sp_pages, &h->sp_array, &h->dcbaa};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i]->host != NULL)
            port_dma_free(bufs[i]);
    if (h->regs != NULL)
        port_bar_unmap(h->regs);
}

const char *xhcid_speed_name(uint32_t speed)
{
    static const char *const names[] = {"none", "full", "low", "high", "super", "super_plus"};
    ASSERT(sizeof names / sizeof names[0] == XHCI_SPEED_SUPER_PLUS + 1u);
    return speed < sizeof names / sizeof names[0] ? names[speed] : "unknown";
}

void xhcid_trace_dev(struct xhcid *h, const struct xhcid_dev *d, const char *event,
                     const char *detail)
{
    (void)h;
    ASSERT(d != NULL && event != NULL);
    ASSERT(d->state != XD_FREE); /* rows are about devices the driver holds */
    struct port_trace_usb_dev row = {
        .port = d->port, .slot = d->slot, .speed = xhcid_speed_name(d->speed), .event = event,
        .vendor = d->info.vendor, .product = d->info.product,
        .interfaces = d->cfg.iface_count, .detail = detail};
    port_trace_xhcid_dev(&row);
}

void xhcid_trace_port(struct xhcid *h, uint32_t port, uint32_t speed, const char *event,
                      const char *detail)
{
    (void)h;
    ASSERT(event != NULL);
    ASSERT(port <= XHCID_PORTS_MAX);
    struct port_trace_usb_dev row = {.port = port, .speed = xhcid_speed_name(speed),
                                     .event = event, .detail = detail};
    port_trace_xhcid_dev(&row);
}

int32_t app_xhcid(void *args)
{
    const char *bdf = app_arg_str(args, "pci", NULL);
    struct pci_client pc;
    if (bdf == NULL || strlen(bdf) != 7 || pci_client_open(&pc, bdf) != IOSIM_OK)
        return 2;
    struct port_dma mem;
    if (port_dma_alloc(sizeof(struct xhcid), 0, &mem) != IOSIM_OK) {
        pci_client_close(&pc);
        return 2;
    }
    struct xhcid *h = mem.host; /* zeroed */
    h->sock = -1;
    ASSERT(!h->serving && h->regs == NULL);
    int32_t st = drive(&pc, h, args);
    release(h);
    port_dma_free(&mem);
    pci_client_close(&pc);
    return st;
}

bool app_xhcid_check(const struct app_args *a, struct app_arg_problem *p)
{
    ASSERT(a != NULL && p != NULL);
    for (uint32_t i = 0; i < a->count; i++) {
        bool table = strcmp(a->key[i], "drivers") == 0;
        if (!table && strcmp(a->key[i], "class_args") != 0)
            continue;
        const char *msg = NULL;
        uint32_t col = 0;
        char why[96];
        struct xhcid_rule rules[XHCID_RULES_MAX];
        uint32_t n;
        if (a->str[i] == NULL)
            msg = "text expected";
        else if (!table && strlen(a->str[i]) >= XHCID_CLASS_ARGS_MAX)
            msg = "longer than 159 characters";
        else if (table && xhcid_rules_parse(a->str[i], rules, &n, &col, why, sizeof why) != IOSIM_OK)
            msg = why;
        if (msg != NULL) {
            *p = (struct app_arg_problem){.arg = i, .line = col != 0, .col = col};
            struct strbuf sb;
            strbuf_init(&sb, p->msg, sizeof p->msg);
            strbuf_put(&sb, msg);
            return false;
        }
    }
    return true;
}
