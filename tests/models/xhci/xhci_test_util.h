/*
 * A machine with a PCI root and one xHCI controller at 00:04.0 whose BAR 0
 * is mapped at XT_BAR with memory decoding and bus mastering on, reached
 * straight on the bus as the CPU's MMIO would reach it; guest memory for
 * rings at XT_MEM. A test includes this once and uses .init = xt_setup /
 * .fini = xt_teardown (or xt_setup_profile from its own init).
 */
#ifndef IOSIM_TESTS_XHCI_TEST_UTIL_H
#define IOSIM_TESTS_XHCI_TEST_UTIL_H

#include <criterion/criterion.h>
#include <string.h>

#include "impl/port/spec/pci_regs.h"
#include "impl/port/spec/xhci_regs.h"
#include "models/xhci/xhci.h"
#include "sim/engine/rng.h"
#include "sim/machine/machine.h"

#define XT_ECAM 0xe0000000ull
#define XT_BAR 0xf0000000ull
#define XT_MEM 0x00100000ull /* rings and tables the tests build */

static struct sim_machine *xt_m;
static struct pci_root *xt_root;
static struct xhci *xt_x;
static struct xhci_profile xt_profile; /* a copy the test may change before xt_setup_profile */
static struct sim_trace *xt_trace;    /* the machine's trace (NULL: none); the benchmark sets it */

static inline uint64_t xt_bus_rd(uint64_t addr, unsigned size)
{
    struct sim_mmio_region *r = sim_bus_find(&xt_m->bus, addr, size);
    cr_assert_not_null(r, "nothing decodes 0x%llx", (unsigned long long)addr);
    return r->ops->read(r->ctx, addr - r->base, size);
}

static inline void xt_bus_wr(uint64_t addr, unsigned size, uint64_t v)
{
    struct sim_mmio_region *r = sim_bus_find(&xt_m->bus, addr, size);
    cr_assert_not_null(r, "nothing decodes 0x%llx", (unsigned long long)addr);
    r->ops->write(r->ctx, addr - r->base, size, v);
}

static inline void xt_cfg_wr(uint32_t reg, unsigned size, uint32_t v)
{
    xt_bus_wr(XT_ECAM + (4u << 15) + reg, size, v);
}

/* Runs the machine's events up to `ps` from now; time reaches `until` even
 * when nothing is scheduled (the engine alone only moves to events). */
static inline void xt_run_for(sim_time_ps ps)
{
    sim_time_ps until = xt_m->eng.now_ps + ps;
    while (sim_engine_step(&xt_m->eng, until)) {
    }
    if (xt_m->eng.now_ps < until)
        xt_m->eng.now_ps = until;
}

static inline uint32_t xt_rd(uint64_t off) { return (uint32_t)xt_bus_rd(XT_BAR + off, 4); }
static inline void xt_wr(uint64_t off, uint32_t v) { xt_bus_wr(XT_BAR + off, 4, v); }
static inline uint32_t xt_op(uint32_t reg) { return xt_rd(xt_profile.caplength + reg); }
static inline void xt_op_wr(uint32_t reg, uint32_t v) { xt_wr(xt_profile.caplength + reg, v); }
static inline uint32_t xt_portsc(uint32_t port_no)
{
    return xt_op(XHCI_OP_PORT_REGS + XHCI_PORT_REGS_STRIDE * (port_no - 1) + XHCI_PORT_SC);
}
static inline void xt_portsc_wr(uint32_t port_no, uint32_t v)
{
    xt_op_wr(XHCI_OP_PORT_REGS + XHCI_PORT_REGS_STRIDE * (port_no - 1) + XHCI_PORT_SC, v);
}
static inline uint32_t xt_ir(uint32_t i, uint32_t reg)
{
    return xt_rd(xt_profile.rtsoff + XHCI_RT_IR0 + XHCI_RT_IR_STRIDE * i + reg);
}
static inline void xt_ir_wr(uint32_t i, uint32_t reg, uint32_t v)
{
    xt_wr(xt_profile.rtsoff + XHCI_RT_IR0 + XHCI_RT_IR_STRIDE * i + reg, v);
}
static inline void *xt_host(uint64_t pa, size_t len) { return sim_mem_host(&xt_m->mem, pa, len); }

/* The machine, its root and the controller, created but not yet mapped. */
static inline void xt_create(void)
{
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    cfg.mem_bytes = 16u << 20;
    cr_assert_eq(sim_machine_create(&cfg, xt_trace, &xt_m), IOSIM_OK);
    struct pci_root_config rc;
    pci_root_config_default(&rc);
    rc.ecam_base = XT_ECAM;
    rc.buses = 4;
    cr_assert_eq(pci_root_create(xt_m, &rc, &xt_root), IOSIM_OK);
    struct xhci_config c = {.name = "xhci0", .profile = &xt_profile, .dev = 4, .intx_line = 20};
    const char *why = NULL;
    cr_assert_eq(xhci_create(xt_root, &c, &xt_x, &why), IOSIM_OK, "%s", why);
    xt_cfg_wr(PCI_BAR0, 4, (uint32_t)XT_BAR);
    xt_cfg_wr(PCI_BAR0 + 4, 4, (uint32_t)(XT_BAR >> 32));
    xt_cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

static inline void xt_setup_profile(void)
{
    xt_create();
    xt_run_for(1 * SIM_S); /* power-on is over */
}

/* qemu's profile without its quirks: the register values qemu-xhci shows,
 * with the spec's behaviour (the quirks have tests of their own). */
static inline void xt_setup(void)
{
    xt_profile = *xhci_profile_find("qemu");
    xt_profile.quirks = 0;
    xt_setup_profile();
}

static inline void xt_teardown(void)
{
    xhci_destroy(xt_x);
    pci_root_destroy(xt_root);
    sim_machine_destroy(xt_m);
}

/* ---- a minimal driver's pieces: rings in XT_MEM ---------------------------------------------- */

#define XT_CMD_RING (XT_MEM + 0x0000)   /* 64 TRBs */
#define XT_ERST (XT_MEM + 0x1000)       /* up to 16 entries */
#define XT_EV_SEG(n) (XT_MEM + 0x2000 + 0x1000ull * (n))

static inline void xt_put_trb(uint64_t pa, uint64_t param, uint32_t status, uint32_t control)
{
    uint8_t *b = xt_host(pa, XHCI_TRB_BYTES);
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(param >> (8 * i));
    for (int i = 0; i < 4; i++) {
        b[8 + i] = (uint8_t)(status >> (8 * i));
        b[12 + i] = (uint8_t)(control >> (8 * i));
    }
}

static inline uint32_t xt_trb_dw(uint64_t pa, unsigned dw)
{
    const uint8_t *b = xt_host(pa + 4u * dw, 4);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Interrupter i's event ring: `segs` segments of `trbs` TRBs each. */
static inline void xt_event_ring(uint32_t i, uint32_t segs, uint32_t trbs)
{
    memset(xt_host(XT_EV_SEG(0), 0x1000ull * segs), 0, 0x1000ull * segs);
    for (uint32_t s = 0; s < segs; s++) {
        uint8_t *e = xt_host(XT_ERST + 16ull * s, 16);
        memset(e, 0, 16);
        uint64_t base = XT_EV_SEG(s);
        for (int b = 0; b < 8; b++)
            e[b] = (uint8_t)(base >> (8 * b));
        e[8] = (uint8_t)trbs;
        e[9] = (uint8_t)(trbs >> 8);
    }
    xt_ir_wr(i, XHCI_IR_ERSTSZ, segs);
    xt_ir_wr(i, XHCI_IR_ERDP, (uint32_t)XT_EV_SEG(0));
    xt_ir_wr(i, XHCI_IR_ERDP + 4, 0);
    xt_ir_wr(i, XHCI_IR_ERSTBA, (uint32_t)XT_ERST);
    xt_ir_wr(i, XHCI_IR_ERSTBA + 4, 0);
}

static inline void xt_start(void)
{
    xt_op_wr(XHCI_OP_CONFIG, xt_profile.max_slots);
    memset(xt_host(XT_CMD_RING, 64 * XHCI_TRB_BYTES), 0, 64 * XHCI_TRB_BYTES);
    xt_op_wr(XHCI_OP_CRCR, (uint32_t)XT_CMD_RING | XHCI_CRCR_RCS);
    xt_op_wr(XHCI_OP_CRCR + 4, 0);
    xt_event_ring(0, 1, 64);
    xt_op_wr(XHCI_OP_USBCMD, XHCI_USBCMD_RS | XHCI_USBCMD_INTE);
    xt_run_for(1 * SIM_MS);
}

static inline void xt_ring_doorbell(uint32_t slot, uint32_t target)
{
    xt_wr(xt_profile.dboff + XHCI_DB_BYTES * slot, target);
}

static inline uint32_t xt_trb_type(uint32_t control)
{
    return (control & XHCI_TRB_TYPE_MASK) >> XHCI_TRB_TYPE_SHIFT;
}

static inline uint32_t xt_cc(uint32_t status)
{
    return (status & XHCI_EVT_CC_MASK) >> XHCI_EVT_CC_SHIFT;
}

#endif /* IOSIM_TESTS_XHCI_TEST_UTIL_H */
