/*
 * scsi_lu.h - a SCSI logical unit (a direct-access block device) on top of
 * scsi_media: it decodes a CDB, says what data the command intends to move
 * (so the transport can hold it against what the host expects - the
 * thirteen cases of Bulk-Only Transport), executes it, and keeps the sense
 * data the next REQUEST SENSE returns.
 *
 *     struct scsi_lu *lu;
 *     scsi_lu_create(&cfg, &lu);
 *     struct scsi_intent it;
 *     scsi_lu_decode(lu, cdb, cdb_len, &it);            direction and bytes
 *     uint32_t moved;
 *     uint8_t status = scsi_lu_execute(lu, cdb, cdb_len, buf, it.bytes, &moved);
 *     ... CHECK CONDITION: the sense is ready for REQUEST SENSE ...
 *
 * Commands: TEST UNIT READY, REQUEST SENSE (fixed format), INQUIRY
 * (standard data; VPD 00h, 80h, 83h), READ CAPACITY (10) and (16), MODE
 * SENSE (6)/(10) (caching page, all pages), READ/WRITE (10)/(16) with FUA,
 * SYNCHRONIZE CACHE (10)/(16), START STOP UNIT, PREVENT ALLOW MEDIUM
 * REMOVAL; anything else is ILLEGAL REQUEST / INVALID COMMAND OPERATION
 * CODE. After creation and each reset the first command but INQUIRY and
 * REQUEST SENSE gets UNIT ATTENTION / POWER ON, RESET. A medium can be
 * taken out and put back (scsi_lu_set_medium). REPORT LUNS belongs
 * to the target (the transport), which knows every LUN.
 *
 * Ownership: create allocates the unit and its medium; destroy frees both.
 */
#ifndef IOSIM_SCSI_LU_H
#define IOSIM_SCSI_LU_H

#include <stdbool.h>
#include <stdint.h>

#include "models/scsi/scsi_media.h"

enum scsi_dir { SCSI_DIR_NONE, SCSI_DIR_IN, SCSI_DIR_OUT };

struct scsi_lu_config {
    struct scsi_media_config media;
    bool removable, write_protect;
    const char *vendor, *product, *revision, *serial; /* ASCII; cut to their fields */
};

/* What a command does to the medium, for a transport that times it. */
enum scsi_access { SCSI_ACCESS_NONE, SCSI_ACCESS_READ, SCSI_ACCESS_WRITE, SCSI_ACCESS_FLUSH };

/* What a command wants to move before it has moved anything. */
struct scsi_intent {
    enum scsi_dir dir;
    uint32_t bytes;                     /* 0 with SCSI_DIR_NONE */
    enum scsi_access access;            /* READ / WRITE: lba and blocks say where */
    uint64_t lba;
    uint32_t blocks;
};

struct scsi_lu;

enum iosim_err scsi_lu_create(const struct scsi_lu_config *c, struct scsi_lu **out);
void scsi_lu_destroy(struct scsi_lu *lu);
struct scsi_media *scsi_lu_media(struct scsi_lu *lu);

/* The command's intent. A CDB that cannot run (a bad opcode or field, an
 * LBA past the end, a pending unit attention) intends no data: it will
 * end CHECK CONDITION. */
void scsi_lu_decode(struct scsi_lu *lu, const uint8_t *cdb, uint32_t cdb_len,
                    struct scsi_intent *out);

/* Runs the command. IN: up to `len` bytes land in buf; OUT: `len` bytes
 * are taken from buf (fewer than the intent when the host sent fewer).
 * *moved: bytes of data the command used. Returns the SCSI status. */
uint8_t scsi_lu_execute(struct scsi_lu *lu, const uint8_t *cdb, uint32_t cdb_len, uint8_t *buf,
                        uint32_t len, uint32_t *moved);

/* The sense data for the last CHECK CONDITION (NO SENSE when none). */
void scsi_lu_sense(const struct scsi_lu *lu, uint8_t *key, uint16_t *asc_ascq, uint64_t *info);

/* A reset (bus reset, Bulk-Only Mass Storage Reset): unit attention next. */
void scsi_lu_reset(struct scsi_lu *lu);

/* The medium taken out (present = false) or put back. While it is out,
 * every command that needs it ends NOT READY / MEDIUM NOT PRESENT; once
 * it is back the next command but INQUIRY and REQUEST SENSE gets UNIT
 * ATTENTION / NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED (unless
 * a power-on attention is due: that one says as much and goes first).
 * PREVENT ALLOW MEDIUM REMOVAL does not stop it: this is a person pulling
 * a card, not an eject the unit could refuse. Putting back what is there
 * changes nothing. */
void scsi_lu_set_medium(struct scsi_lu *lu, bool present);
bool scsi_lu_medium_present(const struct scsi_lu *lu);

#endif /* IOSIM_SCSI_LU_H */
