/*
 * xhci_internal.h - the controller's state, shared by the files of the
 * model: xhci.c (life, reset, run/halt, the MMIO dispatch), xhci_port.c,
 * xhci_event.c (interrupters and event rings) and xhci_cmd.c (the command
 * ring). Internal to models/xhci.
 *
 * Invariants: every index into ports[], intr[] and slots[] is checked
 * against the profile's counts before use; every guest address is reached
 * through xhci_dma_read/write only (never a host pointer into guest
 * memory), so a hostile driver can at worst make a DMA fail.
 */
#ifndef IOSIM_MODELS_XHCI_INTERNAL_H
#define IOSIM_MODELS_XHCI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/spec/xhci_regs.h"
#include "models/xhci/xhci.h"
#include "sim/machine/dev.h"

#define XHCI_NAME_MAX 48u

/* A TRB as it sits in memory, fields host-endian. */
struct xhci_trb {
    uint64_t parameter;
    uint32_t status, control;
};

struct xhci_port {
    uint32_t portsc, portpmsc, portli, porthlpmc;
    bool usb3;
    struct sim_event_id reset_done;      /* a port reset in progress */
};

/* One interrupter and the event ring it produces into. */
struct xhci_intr {
    uint32_t iman, imodi, erstsz;
    uint64_t erstba, erdp;
    /* the event ring, as the controller walks it */
    bool ring_valid;                     /* ERSTBA written with a usable table */
    uint32_t seg;                        /* current ERST entry */
    uint64_t seg_base;
    uint32_t seg_trbs, idx;              /* enqueue position in the segment */
    bool pcs;                            /* producer cycle state */
    bool full;                           /* only the Event Ring Full event fits */
    /* moderation: IMODC counts down from imodi after IP is cleared */
    struct sim_event_id imod_timer;
    sim_time_ps imod_until_ps;           /* when IMODC reaches 0 */
};

struct xhci_slot {
    bool enabled;
};

struct xhci {
    char name[XHCI_NAME_MAX];
    const struct xhci_profile *p;
    struct pci_fn *fn;
    struct sim_machine *m;
    struct xhci_stats stats;
    /* operational registers */
    uint32_t usbcmd, usbsts, dnctrl, config;
    uint64_t dcbaap;
    uint32_t crcr_lo_written;            /* the low half, until the high half lands */
    /* command ring */
    uint64_t cr_dequeue;
    bool cr_ccs, cr_running, cr_stop, cr_abort;
    bool cr_busy;                        /* a command is being executed */
    struct sim_event_id cr_work;
    /* run/halt/reset in progress */
    struct sim_event_id state_change;
    sim_time_ps mfindex_start_ps;        /* MFINDEX 0, while running */
    uint32_t mfindex_frozen;             /* MFINDEX while halted */
    struct xhci_port *ports;             /* profile ports, 0-based */
    struct xhci_intr *intr;              /* profile interrupters */
    struct xhci_slot *slots;             /* 1..max_slots at [1..] */
    bool noted_bad_access;
};

/* ---- xhci.c ----------------------------------------------------------------------------- */

bool xhci_running(const struct xhci *x);
/* A note in the trace's log (hostile or odd driver behaviour). */
void xhci_note(struct xhci *x, const char *what);
/* Host System Error: what the spec has hardware do when its own memory
 * access fails (USBSTS.HSE, an interrupt if HSEE, the controller halts). */
void xhci_host_system_error(struct xhci *x, const char *why);
enum iosim_err xhci_dma_read(struct xhci *x, uint64_t addr, void *dst, uint32_t len);
enum iosim_err xhci_dma_write(struct xhci *x, uint64_t addr, const void *src, uint32_t len);
bool xhci_trb_read(struct xhci *x, uint64_t addr, struct xhci_trb *t);
void xhci_after(struct xhci *x, sim_time_ps delay_ps, sim_event_fn fn, uint64_t arg,
                struct sim_event_id *id);

/* ---- xhci_port.c ------------------------------------------------------------------------- */

void xhci_ports_reset(struct xhci *x);
uint32_t xhci_port_read(struct xhci *x, uint32_t port, uint32_t reg);
void xhci_port_write(struct xhci *x, uint32_t port, uint32_t reg, uint32_t value);
/* Sets change bits (a mask of XHCI_PORTSC_CHANGE) and reports the port
 * when one of them went from 0 to 1. */
void xhci_port_change(struct xhci *x, uint32_t port, uint32_t bits);

/* ---- xhci_event.c ------------------------------------------------------------------------ */

void xhci_intrs_reset(struct xhci *x);
uint32_t xhci_intr_read(struct xhci *x, uint32_t i, uint32_t reg);
void xhci_intr_write(struct xhci *x, uint32_t i, uint32_t reg, uint32_t value);
/* Writes an event TRB (its cycle bit is the ring's) to interrupter i's
 * ring; false when it could not be (no ring, ring full, DMA failed). */
bool xhci_event(struct xhci *x, uint32_t i, const struct xhci_trb *ev);
/* Events of the run: a command completion, a port status change. */
void xhci_event_command(struct xhci *x, uint64_t trb_addr, uint32_t cc, uint32_t slot);
void xhci_event_port(struct xhci *x, uint32_t port);

/* ---- xhci_cmd.c -------------------------------------------------------------------------- */

void xhci_cmd_reset(struct xhci *x);
void xhci_crcr_write(struct xhci *x, uint64_t value, bool high_half_only);
uint64_t xhci_crcr_read(const struct xhci *x);
void xhci_cmd_doorbell(struct xhci *x);
/* The controller halted: the command ring stops where it is. */
void xhci_cmd_halt(struct xhci *x);

#endif /* IOSIM_MODELS_XHCI_INTERNAL_H */
