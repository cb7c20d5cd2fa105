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
 * So far functional only: a command's data is ready at once (the timing
 * profiles of scsi_profile.h come with the controller-facing step).
 * Ownership: create allocates the units; destroy frees them.
 */
#ifndef IOSIM_MSC_BOT_H
#define IOSIM_MSC_BOT_H

#include <stdint.h>

#include "models/scsi/scsi_lu.h"
#include "models/usb/usb_dev.h"

#define MSC_BOT_LUNS_MAX 16u
#define MSC_BOT_XFER_MAX (4u << 20)    /* the largest data phase a command may have */
#define MSC_BOT_EP_IN 0x81u
#define MSC_BOT_EP_OUT 0x02u

struct msc_bot_config {
    uint32_t luns;                      /* 1..MSC_BOT_LUNS_MAX */
    struct scsi_lu_config lu[MSC_BOT_LUNS_MAX];
};

struct msc_bot_stats {
    uint64_t commands, csw_failed, phase_errors, invalid_cbws, resets;
    uint32_t last_case;                 /* USB_BOT_CASE_* of the last command */
};

struct msc_bot;

enum iosim_err msc_bot_create(const struct msc_bot_config *c, struct msc_bot **out);
void msc_bot_destroy(struct msc_bot *m);
const struct usb_fn_ops *msc_bot_ops(void);
/* The device the function serves (NULL: none, in unit tests). */
void msc_bot_bind(struct msc_bot *m, struct usb_dev *d);
struct scsi_lu *msc_bot_lu(struct msc_bot *m, uint32_t lun);
void msc_bot_stats_get(const struct msc_bot *m, struct msc_bot_stats *out);

#endif /* IOSIM_MSC_BOT_H */
