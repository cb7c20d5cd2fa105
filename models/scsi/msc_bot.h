/*
 * msc_bot.h - the device side of USB Mass Storage Bulk-Only Transport: a
 * function (usb_fn_ops) for the USB device framework that takes a CBW on
 * bulk OUT, runs its command on one of its logical units (scsi_lu), moves
 * the data, and answers a CSW on bulk IN - holding the command's intent
 * against the host's expectation as the thirteen cases of BOT 6.7 say
 * (residues, STALLs, phase errors), refusing an invalid CBW by stalling
 * both pipes until a Bulk-Only Mass Storage Reset, and answering Get Max
 * LUN. REPORT LUNS is answered here: the target knows every LUN.
 *
 *     struct msc_bot *m;
 *     msc_bot_create(&cfg, &m);
 *     cfg.ops = msc_bot_ops(); cfg.ctx = m;  ... usb_dev_create ...
 *     msc_bot_bind(m, dev);                 so it can halt its endpoints
 *
 * Timing. With a profile (scsi_profile.h) in the config and a clock
 * (msc_bot_set_clock) the device takes the time the profile says; without
 * either, a command's data and CSW are ready at once. A command costs,
 * from the moment its CBW is taken:
 *   READ / WRITE          read_cmd_ps / write_cmd_ps, plus for a disk with
 *                         a head the seek and rotation from where the last
 *                         access of that unit ended (scsi_profile_access_ps
 *                         with no bytes; unknown after power-on and power
 *                         loss); then the data streams at the medium's rate
 *   SYNCHRONIZE CACHE     flush_ps plus writing the cache's dirty blocks
 *                         back at the write rate
 *   anything else, and    MSC_BOT_CMD_PS (the model's choice: firmware
 *   any command refused   answering from its RAM); data, if any, at once
 *   (sense, a fault)
 * A READ's bytes become available progressively, one every ps_per_kib /
 * 1024 after its fixed cost: bot_in sends what is there and, when that is
 * less than the host asked, answers NAK with the whole packets it could
 * send and calls usb_dev_ready once what the medium makes in
 * MSC_BOT_POLL_PS (a microframe; at least a packet) more is there - as a
 * host polling the NAKing pipe every microframe would find it - so the
 * bus streams as the medium fills it. (Waking only every 64 KiB left up
 * to 64 KiB to cross the bus after the medium was done, and idle bus time
 * meanwhile: a USB 2 stick read a fifth slower than its medium.)
 * A WRITE takes OUT data into a buffer of MSC_BOT_WRITE_BUF_BYTES that its
 * medium drains at the write rate from the end of the fixed cost (no
 * faster than the data comes): a full buffer NAKs (whole packets taken)
 * and is ready again once MSC_BOT_CHUNK_BYTES (or what is left) fit. The
 * CSW - and a STALL that ends a short data phase - NAKs until the
 * command's time is over: the last byte read out of or written to the
 * medium. The clock holds at most one pending wake-up: every wake_after
 * replaces the one before.
 *
 * Power loss (msc_bot_power_loss, a USB unplug): every unit's volatile
 * cache is lost, every unit resets (UNIT ATTENTION next), the transport
 * forgets its command; the media keep what was durable.
 *
 * Faults (msc_fault.h): a rule makes a command of the device's life act
 * as if its intent were another, so that a chosen case of BOT 6.7 arises
 * (see msc_fault_force; a forced transfer in the direction the command
 * does not go moves zeros and does not run it; a READ sending less still
 * sends its own blocks' data), or sends a wrong CSW, or none (NAK until a
 * Bulk-Only Mass Storage Reset, a bus reset or an unplug). Each firing
 * calls the fault hook.
 *
 * Ownership: create allocates the units; destroy frees them. The profile,
 * the clock's context and the hook's context are borrowed.
 */
#ifndef IOSIM_MSC_BOT_H
#define IOSIM_MSC_BOT_H

#include <stdint.h>

#include "models/scsi/msc_fault.h"
#include "models/scsi/scsi_lu.h"
#include "models/scsi/scsi_profile.h"
#include "models/usb/usb_dev.h"

#define MSC_BOT_LUNS_MAX 16u
#define MSC_BOT_XFER_MAX (4u << 20)    /* the largest data phase a command may have */
#define MSC_BOT_EP_IN 0x81u
#define MSC_BOT_EP_OUT 0x02u
#define MSC_BOT_CMD_PS (20 * SIM_US)   /* a command that leaves the medium alone */
#define MSC_BOT_CHUNK_BYTES (64u << 10) /* OUT: room a wake-up waits for, at most */
#define MSC_BOT_POLL_PS (125 * SIM_US) /* IN: a microframe, a NAKed pipe's next poll */
#define MSC_BOT_WRITE_BUF_BYTES (128u << 10) /* OUT data held ahead of the medium */

struct msc_bot_config {
    uint32_t luns;                      /* 1..MSC_BOT_LUNS_MAX */
    struct scsi_lu_config lu[MSC_BOT_LUNS_MAX];
    const struct scsi_profile *profile; /* borrowed; NULL: no timing */
    uint32_t fault_count;
    struct msc_fault_rule faults[MSC_FAULT_RULES_MAX]; /* each passes msc_fault_rule_problem */
};

/* Simulated time for the device. wake_after calls fn(arg) after delay_ps
 * and replaces the wake-up pending, if any: at most one is ever pending.
 * An error (the event list full) is counted in wake_errors. */
struct msc_bot_clock {
    sim_time_ps (*now)(void *ctx);
    enum iosim_err (*wake_after)(void *ctx, sim_time_ps delay_ps, void (*fn)(void *arg),
                                 void *arg);
    void *ctx;
};

/* A fault rule fired on command `command` (as its rule counts); kind is
 * msc_fault_kind's. */
struct msc_bot_fault_hook {
    void (*fired)(void *ctx, uint32_t rule, uint64_t command, uint8_t opcode, const char *kind);
    void *ctx;
};

struct msc_bot_stats {
    uint64_t commands, csw_failed, phase_errors, invalid_cbws, resets;
    uint32_t last_case;                 /* USB_BOT_CASE_* of the last command */
    uint64_t faults_fired;              /* case_faults + csw_faults */
    uint64_t case_faults, csw_faults;   /* commands a case rule, a csw rule fired on */
    uint64_t naks_in, naks_out;         /* answers of a device not ready yet */
    uint64_t wakeups, wake_errors;      /* usb_dev_ready calls after a NAK; failed schedules */
    uint64_t power_losses;
};

struct msc_bot;

enum iosim_err msc_bot_create(const struct msc_bot_config *c, struct msc_bot **out);
void msc_bot_destroy(struct msc_bot *m);
const struct usb_fn_ops *msc_bot_ops(void);
/* The device the function serves (NULL: none, in unit tests). */
void msc_bot_bind(struct msc_bot *m, struct usb_dev *d);
struct scsi_lu *msc_bot_lu(struct msc_bot *m, uint32_t lun);
void msc_bot_stats_get(const struct msc_bot *m, struct msc_bot_stats *out);
/* Timing on (with a profile) or off (NULL); the struct is copied. */
void msc_bot_set_clock(struct msc_bot *m, const struct msc_bot_clock *c);
void msc_bot_set_fault_hook(struct msc_bot *m, const struct msc_bot_fault_hook *h);
/* The power goes (see above). */
void msc_bot_power_loss(struct msc_bot *m);

#endif /* IOSIM_MSC_BOT_H */
