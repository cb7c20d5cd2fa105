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
    /* the USB side */
    struct xhci *x;                      /* back, for the device's ready hook */
    uint32_t no;                         /* 1-based */
    struct usb_dev *dev;                 /* borrowed; NULL: nothing plugged in */
    uint32_t dev_speed;                  /* XHCI_SPEED_* of dev */
    struct sim_event_id connect_ev;      /* plugged in, not yet seen */
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
    struct sim_event_id irq_out;         /* an interrupt on its way out (profile irq_ps) */
    sim_time_ps imod_until_ps;           /* when IMODC reaches 0 */
};

/* Slot states as the model keeps them: the spec's four plus Enabled,
 * which shares the value 0 with Disabled in the slot context [6.2.2]. */
enum xhci_slot_state {
    XS_DISABLED, XS_ENABLED, XS_DEFAULT, XS_ADDRESSED, XS_CONFIGURED
};

/* A TRB of a transfer ring, as the transfer engine walks it. */
struct xhci_xfer_pos {
    uint64_t addr;                       /* where it is */
    struct xhci_trb trb;
};

/* The TD in progress on an endpoint, as its usb_xfer trace row will show
 * it (xhci_trace.h). */
#define XHCI_TD_DATA_BYTES 32u
struct xhci_td_trace {
    bool started;
    bool has_setup;
    uint8_t setup[8];
    sim_time_ps submit_ps;
    uint32_t requested, actual, data_len;
    uint8_t data[XHCI_TD_DATA_BYTES];    /* the first bytes moved */
};

/* One endpoint of a slot (DCI 1..31). ctx holds the endpoint context's
 * eight dwords as last evaluated; the state and dequeue pointer live in
 * the fields below and are written back into the output context when the
 * spec has the controller do so. */
struct xhci_ep {
    uint32_t ctx[8];
    uint32_t state;                      /* XHCI_EP_STATE_* */
    uint64_t deq;                        /* the TR dequeue pointer */
    bool dcs;                            /* its cycle state */
    /* the transfer engine (xhci_xfer.c) */
    struct sim_event_id work;            /* the next step of this endpoint */
    bool td_open;                        /* inside a TD (a TRB of it has run) */
    bool trb_started;                    /* cur (Normal) has begun and not ended: it moved
                                            bytes, NAKed or waits to be tried again */
    bool step_busy;                      /* cur's step is scheduled: its device result waits
                                            in cur_result / cur_moved (work may also be a
                                            doorbell's delay, a retry or an interval) */
    bool td_short;                       /* the TD ended short: skip to its end */
    bool nak_wait;                       /* the device NAKed: wait for its ready hook */
    bool device_ready;                   /* the hook came while we were not waiting */
    uint32_t edtla;                      /* Event Data Transfer Length Accumulator */
    uint32_t trb_done;                   /* bytes of the current TRB moved so far */
    uint32_t halt_done;                  /* trb_done when it halted: a Reset Endpoint with
                                            TSP (a soft retry) goes on from there [4.6.8.1] */
    uint32_t errors;                     /* consecutive transaction errors (vs CErr) */
    struct xhci_xfer_pos cur;            /* the TRB in flight (or NAKed, or stopped on) */
    uint32_t cur_result;                 /* enum usb_result of its device transaction */
    uint32_t cur_moved;                  /* bytes that transaction moved */
    struct xhci_td_trace td;
    sim_time_ps next_service_ps;         /* interrupt: its next service opportunity */
};

/* A control transfer's TD: Setup, the data stage's TRBs, Status. */
#define XHCI_CTL_TD_TRBS 34u
struct xhci_ctl_td {
    struct xhci_xfer_pos trbs[XHCI_CTL_TD_TRBS];
    uint32_t n;
    uint64_t next_deq;                   /* past the Status TRB */
    bool next_dcs;
};

/* Scratch for one TRB's or one control data stage's bytes. */
#define XHCI_XFER_BUF_BYTES 0x10000u

struct xhci_slot {
    enum xhci_slot_state state;
    uint32_t ctx[8];                     /* the slot context as last evaluated */
    uint64_t out_ctx;                    /* the output device context (DCBAA entry) */
    uint32_t port;                       /* root hub port, 1-based; 0: none yet */
    uint8_t address;                     /* the USB address given, 0 before */
    struct xhci_ep ep[XHCI_DCI_MAX + 1]; /* [1..31]; [0] unused */
    struct xhci_ctl_td ctl;              /* EP0's TD in flight */
};

struct xhci {
    char name[XHCI_NAME_MAX];
    const struct xhci_profile *p;
    uint32_t nports;                     /* xhci_profile_ports(p), counted at create */
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
    uint32_t cr_burst;                   /* commands run since the ring was last empty */
    uint32_t hang_command, hang_nth;     /* xhci_config's fault */
    uint32_t hang_seen;                  /* commands of that type fetched so far */
    struct sim_event_id cr_work;
    /* run/halt/reset in progress */
    struct sim_event_id state_change;
    struct sim_event_id wrap_ev;         /* the next MFINDEX Wrap event (EWE) */
    sim_time_ps mfindex_start_ps;        /* MFINDEX 0, while running */
    uint32_t mfindex_frozen;             /* MFINDEX while halted */
    struct xhci_port *ports;             /* profile ports, 0-based */
    struct xhci_intr *intr;              /* profile interrupters */
    struct xhci_slot *slots;             /* 1..max_slots at [1..] */
    uint8_t *xfer_buf;                   /* XHCI_XFER_BUF_BYTES */
    uint64_t urbs;                       /* usb_xfer rows so far */
    sim_time_ps cr_issued_ps;            /* when the command in progress was fetched */
    bool noted_bad_access;
    bool destroying;                     /* xhci_destroy: the run's trace is closed */
};

/* ---- xhci.c ----------------------------------------------------------------------------- */

bool xhci_running(const struct xhci *x);
/* A note in the trace's log (hostile or odd driver behaviour). */
void xhci_note(struct xhci *x, const char *what);
/* Host System Error: what the spec has hardware do when its own memory
 * access fails (USBSTS.HSE, an interrupt if HSEE, the controller halts). */
void xhci_host_system_error(struct xhci *x, const char *why);
/* Host Controller Error: an inconsistency the controller cannot work
 * around (an event ring it cannot use) [5.4.2 HCE]: USBSTS.HCE, halted,
 * R/S refused until HCRST. */
void xhci_host_controller_error(struct xhci *x, const char *why);
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
/* The USB device's hook: endpoint ep_addr of the device on port pt can
 * make progress after a NAK (xhci_xfer.c retries it). */
void xhci_xfer_device_ready(struct xhci *x, uint32_t port, uint8_t ep_addr);

/* ---- xhci_event.c ------------------------------------------------------------------------ */

void xhci_intrs_reset(struct xhci *x);
uint32_t xhci_intr_read(struct xhci *x, uint32_t i, uint32_t reg);
void xhci_intr_write(struct xhci *x, uint32_t i, uint32_t reg, uint32_t value);
/* Writes an event TRB (its cycle bit is the ring's) to interrupter i's
 * ring; false when it could not be (no ring, ring full, DMA failed). */
bool xhci_event(struct xhci *x, uint32_t i, const struct xhci_trb *ev);
/* The same, but with `interrupt` false (a TRB's BEI) IP is not set: the
 * event waits in the ring for the next one that interrupts [4.17.5]. */
bool xhci_event_bei(struct xhci *x, uint32_t i, const struct xhci_trb *ev, bool interrupt);
/* Events of the run: a command completion, a port status change. */
void xhci_event_command(struct xhci *x, uint64_t trb_addr, uint32_t cc, uint32_t slot);
void xhci_event_port(struct xhci *x, uint32_t port);

/* ---- xhci_slot.c: device slots, contexts and the commands on them ------------------------- */

/* Bytes per context: 32, or 64 with HCCPARAMS1.CSZ. */
uint32_t xhci_ctx_bytes(const struct xhci *x);
/* Every slot back to Disabled, transfers cancelled (HCRST, destroy). */
void xhci_slots_reset(struct xhci *x);
/* Runs a command on a device slot (Address Device ... Reset Device,
 * Disable Slot); returns its completion code. */
uint32_t xhci_slot_command(struct xhci *x, const struct xhci_trb *t, uint32_t slot);
/* Writes the slot context / endpoint dci's context to the output device
 * context (DMA; a failure is a Host System Error). */
void xhci_ctx_write_slot(struct xhci *x, uint32_t slot);
void xhci_ctx_write_ep(struct xhci *x, uint32_t slot, uint32_t dci);

/* ---- xhci_xfer.c: transfer rings --------------------------------------------------------- */

/* Doorbell n (a slot) rang with target dci and a stream ID. */
void xhci_xfer_doorbell(struct xhci *x, uint32_t slot, uint32_t dci, uint32_t stream);
/* Endpoint dci of slot stops now (Stop Endpoint, Reset Device, Disable
 * Slot, a deconfigure): the TRB in flight ends; with `report` it gets a
 * Transfer Event (Stopped) as Stop Endpoint asks. */
void xhci_xfer_stop(struct xhci *x, uint32_t slot, uint32_t dci, bool report);
/* Set TR Dequeue Pointer moved past the TD in progress: it is cancelled
 * (its usb_xfer row). */
void xhci_xfer_td_cancel(struct xhci *x, uint32_t slot, uint32_t dci);
/* The device on port_no is gone: transfers to it end in errors. */
void xhci_xfer_port_gone(struct xhci *x, uint32_t port_no);
/* The endpoint address (bEndpointAddress) of DCI dci; 0 for EP0. */
uint8_t xhci_dci_ep_addr(uint32_t dci);

/* ---- xhci_cmd.c -------------------------------------------------------------------------- */

void xhci_cmd_reset(struct xhci *x);
void xhci_crcr_write(struct xhci *x, uint64_t value, bool high_half_only);
uint64_t xhci_crcr_read(const struct xhci *x);
void xhci_cmd_doorbell(struct xhci *x);
/* The controller halted: the command ring stops where it is. */
void xhci_cmd_halt(struct xhci *x);

#endif /* IOSIM_MODELS_XHCI_INTERNAL_H */
