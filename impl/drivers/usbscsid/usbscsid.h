/*
 * usbscsid.h - the state of the USB mass-storage class driver, shared by
 * its parts:
 *
 *   usbscsid.c        the app: bring-up of the device and its units, the
 *                     main loop (one sleep on both its rings)
 *   usbscsid_bot.c    Bulk-Only Transport, host side: CBW, data, CSW, the
 *                     checks of BOT 6.3 and reset recovery (BOT 5.3.4)
 *   usbscsid_scsi.c   SCSI commands over it: CDBs, sense, retries, the
 *                     scsi_cmd trace rows
 *   usbscsid_serve.c  the disk: scheme (impl/disk/disk_scheme.h)
 *
 * One command at a time, as Bulk-Only Transport allows: a disk: request is
 * taken from its ring, run to its end (split at the device's transfer
 * limit) and answered before the next. Requests wait in the clients' rings
 * meanwhile; nothing is lost by not taking them sooner, since the device
 * could not start them anyway.
 *
 * Memory: struct uscsi lives in the process's DMA memory (no malloc in
 * impl/). All data the device moves lies in xhcid's usb: window: the
 * driver's own small buffers and a bounce buffer at its start, the
 * clients' disk: windows carved out of the rest by a buffer pool.
 */
#ifndef IOSIM_USBSCSID_H
#define IOSIM_USBSCSID_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/bufpool/bufpool.h"
#include "impl/disk/disk_scheme.h"
#include "impl/drivers/xhcid/usb_client.h"
#include "impl/uring/uring.h"

#define USCSI_LUNS_MAX 16u
#define USCSI_CLIENTS_MAX 8u
#define USCSI_RETRIES 3u                  /* tries of a command after transport or UA trouble */
#define USCSI_NOT_READY_TRIES 30u         /* TEST UNIT READY while it says becoming ready */
#define USCSI_NOT_READY_WAIT_NS 100000000ull /* 100 ms between them, as Linux's sd */
#define USCSI_CLIENT_AREA (4ull << 20)    /* the clients' windows, unless told */
#define USCSI_SCRATCH_BYTES 0x10000u      /* control, CBW, CSW, sense, small data */
#define USCSI_XFER_HS (120u << 10)        /* Linux usb-storage's max_sectors 240 */
#define USCSI_XFER_SS (1u << 20)          /* ... and 2048 at SuperSpeed */

/* The scratch area at the window's start (offsets). */
#define USCSI_CTL_OFF 0x0000u             /* struct usb_scheme_control + its data */
#define USCSI_CBW_OFF 0x1000u
#define USCSI_CSW_OFF 0x1040u
#define USCSI_DATA_OFF 0x2000u            /* small command data: 4 KiB */
#define USCSI_DATA_BYTES 0x1000u
#define USCSI_SENSE_OFF 0x3000u
#define USCSI_SENSE_BYTES 96u

enum uscsi_dir { USCSI_NONE, USCSI_IN, USCSI_OUT };

/* One SCSI command and what became of it. */
struct uscsi_cmd {
    uint32_t lun;
    uint8_t cdb[16];
    uint8_t cdb_len;
    enum uscsi_dir dir;
    void *buf;                            /* in the usb: window */
    uint32_t len;
    /* results */
    uint32_t tag;
    uint32_t moved;                       /* the data stage's bytes, as the controller counted */
    uint32_t residue;                     /* the CSW's */
    uint8_t csw_status;                   /* USB_BOT_CSW_STATUS_* */
    bool data_stalled;
    const char *outcome;                  /* the scsi_cmd row's status */
    uint8_t sense_key, asc, ascq;
    uint64_t start_ns;
};

struct uscsi_unit {
    bool ok;                              /* INQUIRY says a disk, READ CAPACITY answered */
    bool use16;                           /* past READ(10)'s reach */
    struct disk_scheme_info info;
};

struct uscsi_client {
    bool used, ring, gone;
    int64_t pid;
    struct iou io;
    uint32_t open;                        /* bit per LUN opened (its handle: the LUN) */
    bool has_window;
    struct bufpool_slice window;
};

struct uscsi {
    struct usb_client usb;
    struct usb_scheme_info uinfo;
    uint8_t *win;                         /* the usb: window */
    uint64_t win_len;                     /* scratch + bounce + the clients' area */
    uint8_t ep_in, ep_out;
    uint32_t tag;
    uint32_t luns;
    struct uscsi_unit unit[USCSI_LUNS_MAX];
    uint32_t max_xfer;                    /* bytes of one command's data */
    uint8_t *bounce;                      /* max_xfer bytes, after the scratch */
    struct bufpool cpool;                 /* the clients' windows */
    bool cpool_up;
    uint64_t detach_tag;
    bool gone;                            /* the device went away */
    bool dead;                            /* it stopped answering; given up */
    uint64_t resets;                      /* reset recoveries done */
    /* disk: */
    char scheme[DISK_SCHEME_NAME_BYTES];
    int64_t sock;
    struct iou main;
    bool serving;
    struct uscsi_client clients[USCSI_CLIENTS_MAX];
    uint32_t until_clients, clients_done;
};

/* ---- usbscsid_bot.c ---- */

/* Runs one command: IOSIM_OK with c->csw_status PASSED or FAILED (the
 * caller asks for the sense); EPROTO when the transport went wrong and
 * reset recovery put it right (try again); ENODEV when the device is
 * gone; EIO when it stopped answering even a reset (s->dead). */
enum iosim_err uscsi_bot_run(struct uscsi *s, struct uscsi_cmd *c);
/* Bulk-Only Mass Storage Reset, then both bulk endpoints' halts cleared. */
enum iosim_err uscsi_bot_reset(struct uscsi *s);
/* Get Max LUN: the units (1 when the device stalls it, as BOT 3.2 allows). */
uint32_t uscsi_bot_max_lun(struct uscsi *s);
/* BOT 6.3 on the `got` bytes of a CSW answering c: NULL when it is valid
 * (13 bytes, signature, c's tag) and meaningful (status 0 or 1, residue
 * within the CBW's length), else the scsi_cmd status that says why:
 * "bad_csw" or "phase_error". */
const char *uscsi_csw_problem(const struct uscsi_cmd *c, const uint8_t *b, uint32_t got);
/* One transfer through usb:, waited for: IOSIM_OK and *moved, or the error. */
enum iosim_err uscsi_xfer(struct uscsi *s, uint8_t opcode, uint8_t ep, void *buf, uint32_t len,
                          uint32_t *moved);

/* ---- usbscsid_scsi.c ---- */

/* A command with retries: transport trouble (EPROTO) and unit attention are
 * tried again, up to USCSI_RETRIES; a command whose every try broke the
 * transport gives the device up (s->dead: it answers, but not by the
 * protocol, whatever the resets); a CHECK CONDITION's sense is read and
 * decoded. IOSIM_OK when it passed (c->residue may still say it was
 * short), else the error its sense means: EIO (medium, hardware, aborted,
 * or nothing more to try), EACCES (write protected), EINVAL (illegal
 * request), ENODEV (gone or medium not present). */
enum iosim_err uscsi_command(struct uscsi *s, struct uscsi_cmd *c);
/* What c's sense (key, ASC) means for the request: OK for none or a
 * recovered error, EACCES (data protect), EINVAL (illegal request),
 * ENODEV (medium not present), EIO for the rest. */
enum iosim_err uscsi_sense_error(const struct uscsi_cmd *c);
/* Worth another try: a unit attention (a reset or a medium change was
 * reported; the command did not run) or an aborted command. */
bool uscsi_sense_retry(const struct uscsi_cmd *c);
/* Builds c's CDB and data stage for a READ/WRITE of `blocks` at `lba`. */
void uscsi_cdb_rw(struct uscsi_cmd *c, bool write, bool use16, uint64_t lba, uint32_t blocks);
/* Brings LUN `lun` up: INQUIRY, TEST UNIT READY (until ready), READ
 * CAPACITY (10, then 16), MODE SENSE for write protect and the cache, the
 * serial from VPD page 80h. */
enum iosim_err uscsi_unit_up(struct uscsi *s, uint32_t lun);
/* SYNCHRONIZE CACHE(10) of the whole unit. */
enum iosim_err uscsi_sync(struct uscsi *s, uint32_t lun);
/* The command's name for traces: "read_10", "inquiry", ...; "unknown". */
const char *uscsi_op_name(uint8_t opcode);

/* ---- usbscsid_serve.c ---- */

enum iosim_err uscsi_serve_open(struct uscsi *s, const char *name);
/* Serves what waits on every ring; false when the scheme's ring went down. */
bool uscsi_serve(struct uscsi *s);
/* The device went (or was given up): what the clients have asked already
 * - at most DISK_SCHEME_INFLIGHT_MAX each - is answered (ENODEV, EIO), and
 * no more; closing the scheme then tells them the rest. */
void uscsi_serve_drain(struct uscsi *s);
port_atomic_u32 *uscsi_serve_word(struct uscsi *s);
/* The device went: every open client's rings are closed. */
void uscsi_serve_close(struct uscsi *s);

#endif /* IOSIM_USBSCSID_H */
