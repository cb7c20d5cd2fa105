/*
 * xfers.h - a capture's URBs as transfers, and its Bulk-Only Transport
 * conversations as SCSI commands: the rows `iosim import` writes into
 * `usb_xfer` and `scsi_cmd`, the tables the simulator writes for its own
 * runs (docs/trace-schema.md), so that a real capture and a simulated run
 * compare column for column.
 *
 *     struct cap_xfers x;   struct cap_scsi s;
 *     cap_xfers_build(&capture, &x);           S/C pairs -> transfers
 *     cap_scsi_build(&capture, &x, &s);        CBW/data/CSW -> commands
 *     ... x.t[i], s.c[k] ...
 *     cap_scsi_free(&s);  cap_xfers_free(&x);
 *
 * Pairing: a submission is completed by the next callback with the same
 * URB tag, bus, device and endpoint; a submission error ('E') is a
 * transfer that ended as it started. A callback whose submission is not in
 * the capture (it started before the capture did) and a submission never
 * completed (the capture stopped first) make no transfer: they are counted
 * (unmatched, unfinished). Transfers are in completion order. The data a
 * transfer kept is the OUT data of its submission or the IN data of its
 * callback.
 *
 * SCSI: per device (bus, address), a bulk OUT transfer of 31 bytes whose
 * kept bytes begin "USBC" is a CBW; the bulk transfers of that device after
 * it are its data stage, until a bulk IN of 13 bytes beginning "USBS": the
 * CSW. Its tag must be the CBW's (else status `bad_csw`); its status byte
 * gives good / check_condition / phase_error; a data stage that stalled
 * makes `stall` (a halt after the data stage ended - it moved the CBW's
 * length or came up short - is the first try at the CSW, cleared and
 * retried: the CSW decides). A REQUEST SENSE that follows a CHECK CONDITION gives that
 * command its sense key, ASC and ASCQ. A CBW whose CSW never came (a new
 * CBW, a reset, the end of the capture) ends as `reset`; one whose own
 * transfer failed ends at once, `timeout` when the host unlinked it
 * (ECONNRESET, usb-storage's timeout), `gone` for ENODEV/ESHUTDOWN, else
 * `error`. Decoding reads
 * only kept bytes, bounds-checked: a hostile capture makes odd rows, never
 * an out-of-bounds read.
 *
 * Ownership: caller storage; each owns its array until its free. Pure.
 */
#ifndef IOSIM_SIM_CAPTURE_XFERS_H
#define IOSIM_SIM_CAPTURE_XFERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/capture/capture.h"

struct cap_xfer {
    uint64_t urb;
    uint16_t bus;
    uint8_t dev, ep, xfer;       /* ep with CAP_EP_IN; xfer: enum cap_xfer_type */
    bool has_setup;
    uint8_t setup[8];
    uint32_t requested, actual;
    int32_t status;              /* the callback's (or the error's) */
    uint64_t submit_ns, end_ns;
    uint32_t data_len;           /* kept bytes: OUT from the submission, IN from the callback */
    uint64_t data_off;           /* in the capture's data */
    uint64_t where;              /* the callback's position in the source */
};

struct cap_xfers {
    struct cap_xfer *t;
    size_t n, cap;
    size_t unmatched;            /* callbacks without their submission */
    size_t unfinished;           /* submissions without their callback */
};

struct cap_scsi_cmd {
    uint16_t bus;
    uint8_t dev, lun;
    uint32_t tag;
    uint8_t opcode;
    uint64_t lba;
    uint32_t blocks;
    const char *dir;             /* "in", "out", "none" */
    uint32_t len, residue;
    const char *status;          /* as the scsi_cmd table's status column */
    uint8_t sense_key, asc, ascq;
    uint64_t start_ns, end_ns;
    uint8_t service_action;      /* SERVICE ACTION IN(16)'s: READ CAPACITY(16) is 0x10 */
    /* READ CAPACITY (10) or (16) that brought back its data: the unit's
     * blocks (last LBA + 1) and block size; 0 otherwise */
    uint64_t capacity_blocks;
    uint32_t capacity_block_bytes;
};

struct cap_scsi {
    struct cap_scsi_cmd *c;
    size_t n, cap;
};

enum iosim_err cap_xfers_build(const struct cap_capture *c, struct cap_xfers *out);
void cap_xfers_free(struct cap_xfers *x);

/* The bytes a transfer kept. */
const uint8_t *cap_xfer_data(const struct cap_capture *c, const struct cap_xfer *t);

enum iosim_err cap_scsi_build(const struct cap_capture *c, const struct cap_xfers *x,
                              struct cap_scsi *out);
void cap_scsi_free(struct cap_scsi *s);

#endif /* IOSIM_SIM_CAPTURE_XFERS_H */
