/*
 * xhcid.h - the xHCI driver's state, shared by its modules (not an API for
 * other programs: class drivers reach xhcid through the usb: scheme).
 *
 * The driver is one process and event-driven: everything it waits for -
 * command completions, transfer events, port changes, timers - arrives in
 * its main loop (xhcid.c), which sleeps on the controller's interrupt and
 * its own wake word at once (port_irq_wait_word) and never polls when idle.
 * Every step that waits (a command, a control transfer, a port reset)
 * records what it waits for and returns; the completion drives the next
 * step:
 *
 *   xhcid.c        bring-up, the main loop, teardown
 *   xhcid_ring.c   TRBs, producer rings (command, transfer), the command
 *                  queue with its timeouts, the event ring and its dispatch
 *   xhcid_port.c   root ports: protocols from the extended capabilities,
 *                  power, debounce, reset and warm reset, connect and
 *                  disconnect at any time
 *   xhcid_dev.c    a device from Enable Slot to configured: Address Device,
 *                  descriptors (usb_parse.h checks every byte), strings,
 *                  Configure Endpoint, SET_CONFIGURATION; and its removal
 *
 * Memory: the whole struct xhcid is DMA memory of the process (port_dma),
 * as are its rings and contexts; release frees them all.
 */
#ifndef IOSIM_XHCID_H
#define IOSIM_XHCID_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/drivers/xhcid/usb_parse.h"
#include "impl/drivers/xhcid/usb_scheme.h"
#include "impl/port/port.h"
#include "impl/port/spec/usb_ch9.h"
#include "impl/port/spec/xhci_regs.h"
#include "impl/uring/uring.h"

#define XHCID_PORTS_MAX 32u
#define XHCID_SLOTS_MAX 32u            /* MaxSlotsEn is at most this */
#define XHCID_CMDS_MAX 32u             /* commands in flight */
#define XHCID_RING_TRBS 256u           /* one 4 KiB page, the last a Link TRB */
#define XHCID_CTL_BUF_BYTES 4096u      /* EP0 data stages: descriptors */
#define XHCID_STRING_MAX 64u
#define XHCID_PAGE_BYTES 4096u

#define XHCID_MS 1000000ull            /* ns */
#define XHCID_CMD_TIMEOUT_NS (500 * XHCID_MS)
#define XHCID_ABORT_TIMEOUT_NS (100 * XHCID_MS) /* for Command Aborted after CRCR.CA */
#define XHCID_CTL_TIMEOUT_NS (500 * XHCID_MS)
#define XHCID_DEBOUNCE_NS (100 * XHCID_MS) /* TATTDB [USB2 7.1.7.3] */
#define XHCID_RESET_TIMEOUT_NS (500 * XHCID_MS)
#define XHCID_NO_DEADLINE UINT64_MAX
#define XHCID_RESETS_MAX 3u            /* controller errors survived before giving up */
/* While anything is in flight the event ring is looked at at least this
 * often, interrupt or not: a lost interrupt costs this much, not a hang. */
#define XHCID_WATCHDOG_NS (100 * XHCID_MS)

struct xhcid;

/* A producer ring (command or transfer): TRBs in one page, the last a Link
 * TRB with Toggle Cycle back to the first [4.9.2]. */
struct xhcid_ring {
    struct port_dma mem;
    uint32_t idx;                      /* next TRB to write */
    bool pcs;                          /* producer cycle state */
    uint32_t busy;                     /* TRBs written and not yet given back (xhcid_ring_room) */
};

/* What a command in flight is for: its completion goes to `done`. */
typedef void (*xhcid_cmd_fn)(struct xhcid *h, uint32_t dev, uint32_t cc, uint32_t slot);
struct xhcid_cmd {
    bool used;
    uint64_t trb;                      /* its address: the completion's parameter */
    uint32_t type;                     /* XHCI_TRB_TYPE_* */
    uint32_t dev;                      /* index into devs, or UINT32_MAX */
    uint64_t deadline_ns;
    xhcid_cmd_fn done;
};

enum xhcid_port_state {
    XP_EMPTY,                          /* nothing connected (or not yet seen) */
    XP_DEBOUNCE,                       /* connected; waiting TATTDB before the reset */
    XP_RESET,                          /* PR (or WPR) written, waiting for PRC */
    XP_ENABLED,                        /* a device is on it (devs[dev]) */
    XP_FAILED,                         /* gave up until the next connect change */
};

struct xhcid_port {
    enum xhcid_port_state state;
    bool usb3;                         /* from the supported protocol capability */
    bool known;                        /* some protocol capability names it */
    uint8_t slot_type;
    bool warm;                         /* the reset in progress is a warm one */
    uint32_t resets;                   /* resets tried since the connect */
    uint64_t deadline_ns;
    uint32_t dev;                      /* UINT32_MAX: none */
};

enum xhcid_dev_state {
    XD_FREE,
    XD_ENABLE_SLOT,                    /* each: what the device waits for */
    XD_ADDRESS,
    XD_DEV8,
    XD_EVALUATE,
    XD_DEV18,
    XD_CFG9,
    XD_CFG,
    XD_LANGID,
    XD_STR_MANUFACTURER,
    XD_STR_PRODUCT,
    XD_STR_SERIAL,
    XD_CONFIGURE_EP,
    XD_SET_CONFIG,
    XD_CONFIGURED,
    XD_RESET_EP0,                      /* EP0 halted: Reset Endpoint, */
    XD_SET_DEQ0,                       /* then Set TR Dequeue Pointer, then `resume` */
    XD_DISABLING,                      /* Disable Slot in flight; freed when it completes */
};

enum xhcid_ep_fix {                    /* an endpoint's way back from a halt or a stop */
    XE_NONE,
    XE_RESET,                          /* Reset Endpoint in flight */
    XE_STOP,                           /* Stop Endpoint in flight */
    XE_SET_DEQ,                        /* Set TR Dequeue Pointer in flight */
    XE_CLEAR_HALT,                     /* CLEAR_FEATURE(ENDPOINT_HALT) on EP0 in flight */
    XE_RECONFIG,                       /* a client's reset: Configure Endpoint drop + add */
};

struct xhcid_ep {
    struct xhcid_ring ring;
    uint8_t type;                      /* XHCI_EP_TYPE_*, 0: not configured */
    uint8_t interval, burst, mult;
    uint16_t mps;
    enum xhcid_ep_fix fix;
    bool stalled;                      /* the device's halt needs clearing after the fix */
    bool retry;                        /* the failed TD runs again after the fix */
    bool reset_waiting;                /* a client's reset (reset_client, reset_ud) waits
                                          for xhcid's own fix in flight */
    uint32_t reset_client;             /* XE_RECONFIG: whose request, answered at the end */
    uint64_t reset_ud;
};

struct xhcid_dev {
    enum xhcid_dev_state state;
    uint32_t port, slot, speed;        /* speed: PORTSC's protocol speed ID */
    bool gone;                         /* the port lost it while a command was in flight */
    bool cmd_pending;                  /* a command of this device is in flight */
    enum xhcid_dev_state resume;       /* the step after EP0's recovery */
    struct port_dma in_ctx, out_ctx, buf;
    struct xhcid_ep ep[XHCI_DCI_MAX + 1];
    /* the control transfer in flight on EP0 */
    uint64_t ctl_data_trb, ctl_status_trb;
    uint32_t ctl_len, ctl_got;
    uint64_t ctl_deadline_ns;
    struct usb_device_info info;
    struct usb_config_info cfg;
    uint8_t dev_raw[USB_DT_DEVICE_BYTES];  /* as the device gave them, for usb: */
    uint8_t cfg_raw[XHCID_CTL_BUF_BYTES];
    uint16_t cfg_total, langid;
    char manufacturer[XHCID_STRING_MAX], product[XHCID_STRING_MAX], serial[XHCID_STRING_MAX];
};

#define XHCID_TDS_MAX 256u
#define XHCID_TD_TRBS_MAX 20u          /* 1 MiB in 64 KiB pieces, a boundary split, setup/status */
#define XHCID_CLIENTS_MAX 16u
#define XHCID_HANDLES_MAX 8u

/* A transfer descriptor on a transfer ring: one request of a client. */
struct xhcid_td {
    bool used;
    bool control;                      /* setup / data / status on EP0 */
    bool stopping;                     /* it ends when its endpoint stops, with stop_status */
    int64_t stop_status;               /* ECANCELED (its client went), ETIMEDOUT */
    uint64_t deadline_ns;              /* USB_SCHEME_TIMEOUT_NS after it was queued */
    uint32_t dev, dci, client;
    uint64_t seq;                      /* TDs of an endpoint end in this order */
    uint64_t user_data;                /* the client's request */
    uint32_t ntrbs;
    uint64_t trb[XHCID_TD_TRBS_MAX];   /* bus addresses */
    uint32_t len[XHCID_TD_TRBS_MAX];
    uint32_t total, data_trb;          /* bytes asked; control: the data stage's index */
    uint32_t moved;                    /* control: the data stage's bytes, once short */
    uint32_t retries;                  /* transaction errors so far */
};

/* A class driver xhcid started, and its ring. */
struct xhcid_client {
    bool used, ring, gone;
    int64_t pid;
    uint32_t port, iface;              /* what it was started for */
    struct port_dma window;            /* its DMA window (FMAP), freed once nothing uses it */
    uint32_t inflight;                 /* its TDs on the controller */
    bool answered;                     /* answers to wake it for */
    struct { bool used; uint32_t dev, iface; } handle[XHCID_HANDLES_MAX];
    bool detach_wait;                  /* a READ of USB_SCHEME_DETACH waits */
    uint64_t detach_ud;
    uint32_t detach_dev;
    struct iou io;                     /* the ring, once `ring` */
};

#define XHCID_RULES_MAX 8u
#define XHCID_DRIVER_NAME_MAX 24u
#define XHCID_CLASS_ARGS_MAX 160u
#define XHCID_DEFAULT_DRIVERS "0525:a4a0=usbzero,08.06.50=usbscsid"

/* A class-driver rule: by vendor:product, or by interface class, subclass
 * and protocol (-1: any). */
struct xhcid_rule {
    bool by_id;
    uint16_t vendor, product;
    int16_t cls, subclass, protocol;
    char driver[XHCID_DRIVER_NAME_MAX];
};

/* "0525:a4a0=usbzero,08.06.50=usbscsid" (hex; '*' for any of the three):
 * IOSIM_OK, or EPARSE with *col (1-based) and msg saying what is wrong. */
enum iosim_err xhcid_rules_parse(const char *text, struct xhcid_rule *rules, uint32_t *n,
                                 uint32_t *col, char *msg, size_t msg_cap);

struct xhcid {
    struct port_bar *regs;
    uint32_t op, rt, db;               /* register block offsets in BAR 0 */
    uint32_t max_slots, ctx_bytes, nports;
    bool ppc;                          /* ports need PP set by software */
    struct port_dma dcbaa, sp_array, sp_pages, erst, ev;
    struct xhcid_ring cmd;
    uint32_t ev_segs, ev_trbs;
    uint32_t ev_idx;                   /* event ring dequeue index, over all segments */
    uint32_t erdp_hi;                  /* ERDP's high dword as last written */
    bool ev_ccs;
    struct port_irq *irq;
    bool intx;
    bool dead;                         /* HSE or HCE: the controller stopped */
    bool noop_done;                    /* the bring-up's No Op came back */
    bool aborting;                     /* CRCR.CA written; Command Ring Stopped not yet seen */
    uint64_t abort_deadline_ns;
    uint32_t resets;                   /* controller resets after HSE / HCE */
    uint32_t want_segs, want_trbs, imod; /* the event ring and IMOD asked for */
    port_atomic_u32 wake;              /* the main loop sleeps on it with the interrupt */
    struct xhcid_cmd cmds[XHCID_CMDS_MAX];
    struct xhcid_port ports[XHCID_PORTS_MAX + 1]; /* 1-based, as PORTSC numbers them */
    struct xhcid_dev devs[XHCID_SLOTS_MAX];
    uint32_t configured;               /* devices that reached XD_CONFIGURED, ever */
    struct xhcid_td tds[XHCID_TDS_MAX];
    uint64_t td_seq;
    struct xhcid_client clients[XHCID_CLIENTS_MAX];
    struct xhcid_rule rules[XHCID_RULES_MAX];   /* the class-driver table */
    uint32_t nrules;
    char class_args[XHCID_CLASS_ARGS_MAX];      /* given to every class driver */
    struct iou main;                   /* the usb: scheme's kernel ring */
    int64_t sock;                      /* the scheme's socket, -1 when none */
    bool serving;
};

/* ---- registers and TRBs (xhcid_ring.c) ---- */
uint32_t xhcid_op_rd(struct xhcid *h, uint32_t reg);
void xhcid_op_wr(struct xhcid *h, uint32_t reg, uint32_t v);
uint32_t xhcid_portsc(struct xhcid *h, uint32_t port);
void xhcid_portsc_wr(struct xhcid *h, uint32_t port, uint32_t v);
void xhcid_put64(void *shared, uint64_t v);
void xhcid_put32(void *shared, uint32_t v);
uint32_t xhcid_get32(const void *shared);

enum iosim_err xhcid_ring_init(struct xhcid_ring *r);
void xhcid_ring_free(struct xhcid_ring *r);
/* Writes one TRB (C from the ring's cycle state); returns its bus address. */
uint64_t xhcid_ring_put(struct xhcid_ring *r, uint64_t param, uint32_t status, uint32_t control);
/* The dequeue pointer a context takes: the enqueue position with DCS. */
uint64_t xhcid_ring_deq(const struct xhcid_ring *r);
/* TRBs that may still be written without overrunning what the controller
 * has not consumed; callers give TRBs back (busy -= n) when their TD ends.
 * A Link TRB may be needed on the way: one spare is kept. */
uint32_t xhcid_ring_room(const struct xhcid_ring *r);

/* Queues a command; `done` gets its completion code (or XHCI_CC_INVALID on
 * timeout or when the controller dies). IOSIM_ENOSPC: too many in flight. */
enum iosim_err xhcid_command(struct xhcid *h, uint64_t param, uint32_t status, uint32_t control,
                             uint32_t dev, xhcid_cmd_fn done);
/* Takes every event the controller wrote and acts on it. */
void xhcid_events(struct xhcid *h);
/* Reads USBSTS: HSE or HCE mark the controller dead. Done for an interrupt
 * that brought no event (HSE interrupts, HCE stops the events) and when a
 * command times out, not for every interrupt. */
void xhcid_check_status(struct xhcid *h);
/* Commands past their deadline complete with XHCI_CC_INVALID. */
void xhcid_cmd_timeouts(struct xhcid *h, uint64_t now);
uint64_t xhcid_cmd_next_deadline(const struct xhcid *h);
void xhcid_doorbell(struct xhcid *h, uint32_t slot, uint32_t target);

/* ---- ports (xhcid_port.c) ---- */
void xhcid_ports_init(struct xhcid *h);
void xhcid_port_change(struct xhcid *h, uint32_t port);
void xhcid_port_timers(struct xhcid *h, uint64_t now);
uint64_t xhcid_port_next_deadline(const struct xhcid *h);
/* The device on `port` is done with (refused or gone): the port forgets it. */
void xhcid_port_release(struct xhcid *h, uint32_t port);

/* ---- devices (xhcid_dev.c) ---- */
/* A device on an enabled port: Enable Slot and the rest follow. */
void xhcid_dev_attach(struct xhcid *h, uint32_t port, uint32_t speed, uint8_t slot_type);
/* The port lost its device: everything of it is undone. */
void xhcid_dev_detach(struct xhcid *h, uint32_t dev);
/* A Transfer Event for (slot, dci). */
void xhcid_dev_transfer(struct xhcid *h, uint32_t slot, uint32_t dci, uint64_t trb, uint32_t cc,
                        uint32_t residue);
void xhcid_dev_timers(struct xhcid *h, uint64_t now);
uint64_t xhcid_dev_next_deadline(const struct xhcid *h);
void xhcid_dev_free_all(struct xhcid *h);
/* The controller is reset: every device is gone at once, no command. */
void xhcid_dev_drop_all(struct xhcid *h);

/* ---- transfers (xhcid_xfer.c) ---- */
/* A bulk or interrupt TD of `len` bytes at bus address `bus` on (dev, dci)
 * for a client's request: IOSIM_OK (the answer comes when it ends),
 * EBUSY (the ring is full, or too many TDs), EINVAL. */
enum iosim_err xhcid_xfer_normal(struct xhcid *h, uint32_t dev, uint32_t dci, uint64_t bus,
                                 uint32_t len, uint32_t client, uint64_t user_data);
/* A control TD on EP0: setup packet, then `len` data bytes at `bus`. */
enum iosim_err xhcid_xfer_control(struct xhcid *h, uint32_t dev, uint64_t setup, uint64_t bus,
                                  uint32_t len, uint32_t client, uint64_t user_data);
/* A client's endpoint reset: the host's toggle with Configure Endpoint
 * (drop and add), then CLEAR_FEATURE(ENDPOINT_HALT) to the device, whose
 * end answers the client. EBUSY while the endpoint has TDs or a fix. */
enum iosim_err xhcid_xfer_reset(struct xhcid *h, uint32_t dev, uint32_t dci, uint32_t client,
                                uint64_t user_data);
/* A Transfer Event for a configured device's endpoint. */
void xhcid_xfer_event(struct xhcid *h, uint32_t dev, uint32_t dci, uint64_t trb, uint32_t cc,
                      uint32_t residue);
/* Every TD of `dev` ends with `status` (the device is gone). */
void xhcid_xfer_fail_dev(struct xhcid *h, uint32_t dev, int64_t status);
/* A client went: its TDs' endpoints are stopped and the TDs dropped. */
void xhcid_xfer_drop_client(struct xhcid *h, uint32_t client);
/* TDs past their deadline are stopped and end ETIMEDOUT. */
void xhcid_xfer_timeouts(struct xhcid *h, uint64_t now);
uint64_t xhcid_xfer_next_deadline(const struct xhcid *h);

/* ---- the usb: scheme (xhcid_serve.c) ---- */
enum iosim_err xhcid_serve_open(struct xhcid *h);
void xhcid_serve_close(struct xhcid *h);
/* Takes every request waiting on the scheme's rings. */
void xhcid_serve(struct xhcid *h);
/* Answers a client's request (its ring is woken by xhcid_serve_flush). */
void xhcid_serve_answer(struct xhcid *h, uint32_t client, uint64_t user_data, int64_t status);
void xhcid_serve_flush(struct xhcid *h);
/* The word the main loop sleeps on besides the interrupt. */
port_atomic_u32 *xhcid_serve_word(struct xhcid *h);
/* A device was configured: class drivers for its interfaces start. */
void xhcid_serve_device_ready(struct xhcid *h, uint32_t dev);
/* A device is gone: requests waiting for detach are answered. */
void xhcid_serve_device_gone(struct xhcid *h, uint32_t dev);
bool xhcid_serve_clients_done(const struct xhcid *h);
uint32_t xhcid_serve_started(const struct xhcid *h);

/* ---- trace ---- */
void xhcid_trace_dev(struct xhcid *h, const struct xhcid_dev *d, const char *event,
                     const char *detail);
/* A row about a port (or, port 0, the controller) with no device to it. */
void xhcid_trace_port(struct xhcid *h, uint32_t port, uint32_t speed, const char *event,
                      const char *detail);
const char *xhcid_speed_name(uint32_t speed);

#endif /* IOSIM_XHCID_H */
