/*
 * scsi.h - facts of the SCSI command sets (SPC-4, SBC-3) as Linux usb-storage
 * and sd use them over the Bulk-Only Transport, one per line, each with the
 * source it comes from: the commands, their CDB fields, status, sense data and
 * the data the device returns, for the SCSI disk model and usbscsid.
 *
 *   [ref 5] usb-stack.md section 5, the steering repository's USB reference
 *           (shared/reference/); its rows name their public source by key:
 *           LX-PROTO (Linux include/scsi/scsi_proto.h), LX-SD (drivers/scsi/sd.c),
 *           LX-STOR / LX-GLUE (drivers/usb/storage), Q-SCSIU / Q-SDISK / Q-SBUS
 *           (QEMU scsi/utils.c, hw/scsi/scsi-disk.c, scsi-bus.c), RDX-S (Redox
 *           usbscsid), APPLE-RC, LIBISCSI
 *   [LX-PROTO] the same Linux scsi_proto.h read directly, for the opcodes, status
 *           codes and sense keys the reference does not list
 *   [LX-SC]  Linux drivers/scsi/sense_codes.h, the T10 ASC/ASCQ list
 *   [LX-COM] Linux drivers/scsi/scsi_common.c scsi_normalize_sense() and
 *           scsi_sense_desc_find(): response code = byte 0 bits 6:0, 72h and up
 *           descriptor format, the descriptor header 8 bytes
 *   [LX-SCAN] Linux drivers/scsi/scsi_scan.c and include/scsi/scsi.h: response
 *           data format = byte 3 bits 3:0; SCSI_SPC_4 = 7 is INQUIRY version + 1
 *   [Q-SDISK] QEMU scsi-disk.c read directly: service action = byte 1 bits 4:0
 *
 * Sections of SPC-4 and SBC-3 themselves are not cited: no copy of either
 * standard was read, so every row names the public text that confirmed it.
 * Left out as unconfirmed: names for sense keys 0Ch and 0Fh (none in LX-PROTO;
 * not a key the model reports), the width of PREVENT ALLOW MEDIUM REMOVAL's
 * PREVENT field (only its values 1 and 0 are confirmed), the READ(12)/WRITE(12)
 * LBA field, the standard INQUIRY byte 3 HiSup bit and byte 7 flags.
 *
 * Offsets are in bytes from the start of the CDB or of the returned data;
 * multi-byte fields are big-endian; a field's size in bytes is its _BYTES
 * (one byte when it has none). Masks are of the byte that holds them; field
 * values are unshifted (use the field's _SHIFT). Additional sense codes are
 * 16-bit ASC << 8 | ASCQ, as T10 lists them: SCSI_ASC_OF()/SCSI_ASCQ_OF() split one.
 *
 * Like the other headers of impl/port/spec: constants only, freestanding,
 * included by device models and drivers alike; tests/impl/spec checks the
 * values and the relations between them.
 */
#ifndef IOSIM_SCSI_H
#define IOSIM_SCSI_H

/* ---- operation codes [ref 5: LX-PROTO], [LX-PROTO] ---------------------------------------- */

#define SCSI_OP_TEST_UNIT_READY 0x00u
#define SCSI_OP_REQUEST_SENSE 0x03u
#define SCSI_OP_INQUIRY 0x12u
#define SCSI_OP_MODE_SELECT_6 0x15u      /* [LX-PROTO] */
#define SCSI_OP_MODE_SENSE_6 0x1au
#define SCSI_OP_START_STOP_UNIT 0x1bu
#define SCSI_OP_SEND_DIAGNOSTIC 0x1du    /* [LX-PROTO] */
#define SCSI_OP_PREVENT_ALLOW 0x1eu      /* PREVENT ALLOW MEDIUM REMOVAL */
#define SCSI_OP_READ_CAPACITY_10 0x25u
#define SCSI_OP_READ_10 0x28u
#define SCSI_OP_WRITE_10 0x2au
#define SCSI_OP_VERIFY_10 0x2fu          /* [LX-PROTO] */
#define SCSI_OP_SYNC_CACHE_10 0x35u      /* SYNCHRONIZE CACHE(10) */
#define SCSI_OP_MODE_SENSE_10 0x5au
#define SCSI_OP_READ_16 0x88u
#define SCSI_OP_WRITE_16 0x8au
#define SCSI_OP_SYNC_CACHE_16 0x91u      /* [LX-PROTO] */
#define SCSI_OP_SERVICE_ACTION_IN_16 0x9eu
#define SCSI_OP_REPORT_LUNS 0xa0u
#define SCSI_OP_READ_12 0xa8u            /* [LX-PROTO] */
#define SCSI_OP_WRITE_12 0xaau           /* [LX-PROTO] */
#define SCSI_SAI_READ_CAPACITY_16 0x10u  /* SERVICE ACTION IN(16) service action */

/* ---- CDB length by group code [ref 5: Q-SCSIU] -------------------------------------------- */

#define SCSI_CDB_OPCODE 0u               /* every CDB */
#define SCSI_OP_GROUP_MASK 0xe0u         /* opcode 7:5 */
#define SCSI_OP_GROUP_SHIFT 5u
#define SCSI_GROUP_CDB6 0u               /* groups 3, 6, 7: no length here [ref 5] */
#define SCSI_GROUP_CDB10 1u
#define SCSI_GROUP_CDB10_2 2u
#define SCSI_GROUP_CDB16 4u
#define SCSI_GROUP_CDB12 5u
#define SCSI_CDB6_BYTES 6u
#define SCSI_CDB10_BYTES 10u
#define SCSI_CDB12_BYTES 12u
#define SCSI_CDB16_BYTES 16u
#define SCSI_CDB_MAX_BYTES 16u           /* the longest fixed-length CDB, the size of CBWCB */
/* transfer or allocation length by CDB size: 6 at 4 (1 byte), 10 at 7 (2), 12 at 6 (4),
 * 16 at 10 (4) [ref 5: Q-SCSIU] */
#define SCSI_CDB6_LENGTH 4u
#define SCSI_CDB10_LENGTH 7u
#define SCSI_CDB10_LENGTH_BYTES 2u
#define SCSI_CDB12_LENGTH 6u
#define SCSI_CDB12_LENGTH_BYTES 4u
#define SCSI_CDB16_LENGTH 10u
#define SCSI_CDB16_LENGTH_BYTES 4u

/* ---- CDB fields [ref 5] ----------------------------------------------------------------- */

/* READ(10) / WRITE(10) [ref 5: LX-SD sd_setup_rw10_cmnd] */
#define SCSI_RW10_FLAGS 1u
#define SCSI_RW_FUA 0x08u                /* byte 1 bit 3, force unit access */
#define SCSI_RW10_LBA 2u
#define SCSI_RW10_LBA_BYTES 4u
#define SCSI_RW10_GROUP 6u
#define SCSI_RW10_BLOCKS 7u              /* transfer length in blocks */
#define SCSI_RW10_BLOCKS_BYTES 2u
#define SCSI_RW10_CONTROL 9u

/* READ(16) / WRITE(16) [ref 5: LX-SD, RDX-S]; byte 1 carries the same flags as (10) */
#define SCSI_RW16_FLAGS 1u
#define SCSI_RW16_LBA 2u
#define SCSI_RW16_LBA_BYTES 8u
#define SCSI_RW16_BLOCKS 10u
#define SCSI_RW16_BLOCKS_BYTES 4u
#define SCSI_RW16_GROUP 14u
#define SCSI_RW16_CONTROL 15u

/* INQUIRY [ref 5: RDX-S, Q-SDISK] */
#define SCSI_INQUIRY_FLAGS 1u
#define SCSI_INQUIRY_EVPD 0x01u          /* byte 1 bit 0: return the VPD page of byte 2 */
#define SCSI_INQUIRY_PAGE_CODE 2u
#define SCSI_INQUIRY_ALLOC_LENGTH 3u
#define SCSI_INQUIRY_ALLOC_LENGTH_BYTES 2u
#define SCSI_INQUIRY_CONTROL 5u

/* REQUEST SENSE [ref 5: LX-STOR, RDX-S] */
#define SCSI_REQUEST_SENSE_FLAGS 1u
#define SCSI_REQUEST_SENSE_DESC 0x01u    /* byte 1 bit 0: descriptor format wanted */
#define SCSI_REQUEST_SENSE_ALLOC_LENGTH 4u /* Linux asks 18 */

/* MODE SENSE(6) and (10) [ref 5: RDX-S, Q-SDISK] */
#define SCSI_MODE_SENSE_FLAGS 1u
#define SCSI_MODE_SENSE_DBD 0x08u        /* byte 1 bit 3: no block descriptors */
#define SCSI_MODE_SENSE_LLBAA 0x10u      /* byte 1 bit 4, (10) only */
#define SCSI_MODE_SENSE_PAGE 2u
#define SCSI_MODE_SENSE_PC_MASK 0xc0u    /* byte 2 7:6 page control */
#define SCSI_MODE_SENSE_PC_SHIFT 6u
#define SCSI_MODE_SENSE_PAGE_MASK 0x3fu  /* byte 2 5:0 page code */
#define SCSI_MODE_SENSE_SUBPAGE 3u
#define SCSI_MODE_SENSE6_ALLOC_LENGTH 4u
#define SCSI_MODE_SENSE10_ALLOC_LENGTH 7u
#define SCSI_MODE_SENSE10_ALLOC_LENGTH_BYTES 2u

/* READ CAPACITY(16): SERVICE ACTION IN(16) [ref 5: LX-PROTO, Q-SCSIU], [Q-SDISK] */
#define SCSI_SAI_SERVICE_ACTION 1u
#define SCSI_SAI_SERVICE_ACTION_MASK 0x1fu /* byte 1 4:0 [Q-SDISK] */
#define SCSI_READ_CAPACITY_16_ALLOC_LENGTH 10u
#define SCSI_READ_CAPACITY_16_ALLOC_LENGTH_BYTES 4u

/* SYNCHRONIZE CACHE(10) [ref 5: LIBISCSI] */
#define SCSI_SYNC_CACHE_FLAGS 1u
#define SCSI_SYNC_CACHE_IMMED 0x02u      /* byte 1 bit 1: status before the flush ends */
#define SCSI_SYNC_CACHE_SYNC_NV 0x04u    /* byte 1 bit 2 */
#define SCSI_SYNC_CACHE_10_LBA 2u
#define SCSI_SYNC_CACHE_10_LBA_BYTES 4u
#define SCSI_SYNC_CACHE_10_BLOCKS 7u     /* number of blocks */
#define SCSI_SYNC_CACHE_10_BLOCKS_BYTES 2u

/* START STOP UNIT [ref 5: Q-SDISK] */
#define SCSI_START_STOP_FLAGS 4u
#define SCSI_START_STOP_START 0x01u      /* byte 4 bit 0: 1 start, 0 stop */
#define SCSI_START_STOP_LOEJ 0x02u       /* byte 4 bit 1: load (START=1) or eject (START=0) */
#define SCSI_START_STOP_POWER_MASK 0xf0u /* byte 4 7:4 power condition */
#define SCSI_START_STOP_POWER_SHIFT 4u

/* PREVENT ALLOW MEDIUM REMOVAL [ref 5: LX-SD scsi_set_medium_removal] */
#define SCSI_PREVENT_ALLOW_FIELD 4u      /* the PREVENT field's byte */
#define SCSI_PREVENT_ALLOW_PREVENT 1u    /* removal prevented */
#define SCSI_PREVENT_ALLOW_ALLOW 0u      /* removal allowed */

/* REPORT LUNS [ref 5: Q-SBUS, Q-SCSIU] */
#define SCSI_REPORT_LUNS_SELECT 2u       /* select report, 0..2 */
#define SCSI_REPORT_LUNS_SELECT_MAX 2u
#define SCSI_REPORT_LUNS_ALLOC_LENGTH 6u
#define SCSI_REPORT_LUNS_ALLOC_LENGTH_BYTES 4u
#define SCSI_REPORT_LUNS_ALLOC_MIN 16u   /* the header and one LUN */

/* ---- status codes [LX-PROTO enum sam_status] ----------------------------------------------- */

#define SCSI_STATUS_GOOD 0x00u
#define SCSI_STATUS_CHECK_CONDITION 0x02u /* sense data is waiting */
#define SCSI_STATUS_BUSY 0x08u
#define SCSI_STATUS_RESERVATION_CONFLICT 0x18u
#define SCSI_STATUS_TASK_SET_FULL 0x28u

/* ---- sense data [ref 5: Q-SCSIU, RDX-S, LX-GLUE], [LX-COM] -------------------------------- */

#define SCSI_SENSE_RESPONSE 0u           /* byte 0: VALID and response code, both formats */
#define SCSI_SENSE_VALID 0x80u           /* byte 0 bit 7 (fixed), apart from the code [LX-COM] */
#define SCSI_SENSE_RESPONSE_MASK 0x7fu   /* byte 0 6:0 [LX-COM] */
#define SCSI_SENSE_FIXED_CURRENT 0x70u   /* fixed format, current error */
#define SCSI_SENSE_FIXED_DEFERRED 0x71u
#define SCSI_SENSE_DESC_CURRENT 0x72u    /* descriptor format [ref 5: Q-SCSIU] */
#define SCSI_SENSE_DESC_DEFERRED 0x73u   /* 72h and up are descriptor format [LX-COM] */
#define SCSI_SENSE_KEY_MASK 0x0fu        /* of the byte holding the sense key */

/* fixed format, 18 bytes */
#define SCSI_SENSE_FIXED_BYTES 18u
#define SCSI_SENSE_FIXED_KEY 2u          /* 3:0 */
#define SCSI_SENSE_FIXED_INFO 3u         /* INFORMATION, e.g. the failing LBA */
#define SCSI_SENSE_FIXED_INFO_BYTES 4u
#define SCSI_SENSE_FIXED_ADD_LENGTH 7u   /* bytes after this one: 10 for 18 bytes */
#define SCSI_SENSE_FIXED_ADD_LENGTH_18 10u
#define SCSI_SENSE_FIXED_CMD_INFO 8u     /* command-specific information */
#define SCSI_SENSE_FIXED_CMD_INFO_BYTES 4u
#define SCSI_SENSE_FIXED_ASC 12u
#define SCSI_SENSE_FIXED_ASCQ 13u
#define SCSI_SENSE_FIXED_FRU 14u         /* field replaceable unit code */
#define SCSI_SENSE_FIXED_SKS 15u         /* sense-key specific */
#define SCSI_SENSE_FIXED_SKS_BYTES 3u

/* descriptor format: an 8-byte header, then descriptors [ref 5: Q-SCSIU], [LX-COM] */
#define SCSI_SENSE_DESC_KEY 1u           /* 3:0 */
#define SCSI_SENSE_DESC_ASC 2u
#define SCSI_SENSE_DESC_ASCQ 3u
#define SCSI_SENSE_DESC_ADD_LENGTH 7u    /* bytes of descriptors after the header */
#define SCSI_SENSE_DESC_HEADER_BYTES 8u

/* ---- sense keys [ref 5: LX-PROTO], [LX-PROTO]; 0Ch and 0Fh name no key here --------------- */

#define SCSI_SENSE_KEY_NO_SENSE 0x0u
#define SCSI_SENSE_KEY_RECOVERED_ERROR 0x1u
#define SCSI_SENSE_KEY_NOT_READY 0x2u
#define SCSI_SENSE_KEY_MEDIUM_ERROR 0x3u
#define SCSI_SENSE_KEY_HARDWARE_ERROR 0x4u
#define SCSI_SENSE_KEY_ILLEGAL_REQUEST 0x5u
#define SCSI_SENSE_KEY_UNIT_ATTENTION 0x6u
#define SCSI_SENSE_KEY_DATA_PROTECT 0x7u
#define SCSI_SENSE_KEY_BLANK_CHECK 0x8u  /* [LX-PROTO] */
#define SCSI_SENSE_KEY_VENDOR_SPECIFIC 0x9u /* [LX-PROTO] */
#define SCSI_SENSE_KEY_COPY_ABORTED 0xau /* [LX-PROTO] */
#define SCSI_SENSE_KEY_ABORTED_COMMAND 0xbu
#define SCSI_SENSE_KEY_VOLUME_OVERFLOW 0xdu /* [LX-PROTO] */
#define SCSI_SENSE_KEY_MISCOMPARE 0xeu   /* [LX-PROTO] */

/* ---- additional sense codes, ASC << 8 | ASCQ [ref 5: Q-SCSIU], [LX-SC] -------------------- *
 * with the sense key [ref 5] pairs them with; none given for the two from [LX-SC] */
#define SCSI_ASC_SHIFT 8u
#define SCSI_ASCQ_MASK 0x00ffu
#define SCSI_ASC_OF(code) (((code) >> SCSI_ASC_SHIFT) & 0xffu)
#define SCSI_ASCQ_OF(code) ((code) & SCSI_ASCQ_MASK)
#define SCSI_ASC_NOT_READY 0x0400u       /* 2: logical unit not ready, cause not reportable */
#define SCSI_ASC_BECOMING_READY 0x0401u  /* in process of becoming ready [LX-SC] */
#define SCSI_ASC_WRITE_ERROR 0x0c00u     /* write error [LX-SC] */
#define SCSI_ASC_UNRECOVERED_READ 0x1100u /* 3: unrecovered read error */
#define SCSI_ASC_PARAM_LIST_LENGTH 0x1a00u /* 5: parameter list length error */
#define SCSI_ASC_INVALID_OPCODE 0x2000u  /* 5: invalid command operation code */
#define SCSI_ASC_LBA_OUT_OF_RANGE 0x2100u /* 5: logical block address out of range */
#define SCSI_ASC_INVALID_FIELD_IN_CDB 0x2400u /* 5 */
#define SCSI_ASC_LUN_NOT_SUPPORTED 0x2500u /* 5: logical unit not supported */
#define SCSI_ASC_WRITE_PROTECTED 0x2700u /* 7 */
#define SCSI_ASC_MEDIUM_CHANGED 0x2800u  /* 6: not ready to ready change, medium may have changed */
#define SCSI_ASC_POWER_ON_RESET 0x2900u  /* 6: power on, reset or bus device reset occurred */
#define SCSI_ASC_DEVICE_INTERNAL_RESET 0x2904u /* 6 */
#define SCSI_ASC_CAPACITY_CHANGED 0x2a09u /* 6: capacity data has changed */
#define SCSI_ASC_MEDIUM_NOT_PRESENT 0x3a00u /* 2 */
#define SCSI_ASC_REPORTED_LUNS_CHANGED 0x3f0eu /* 6: reported LUNs data has changed [Q-SCSIU] */
#define SCSI_ASC_INTERNAL_TARGET_FAILURE 0x4400u /* 4 */

/* ---- standard INQUIRY data [ref 5: Q-SDISK, RDX-S, LX-GLUE] -------------------------------- */

#define SCSI_INQ_STD_BYTES 36u           /* the least a device returns; Linux asks 36 */
#define SCSI_INQ_PERIPHERAL 0u
#define SCSI_INQ_QUALIFIER_MASK 0xe0u    /* byte 0 7:5 peripheral qualifier */
#define SCSI_INQ_QUALIFIER_SHIFT 5u
#define SCSI_INQ_QUALIFIER_CONNECTED 0u  /* [LX-SCAN] SCSI_INQ_PQ_CON */
#define SCSI_INQ_QUALIFIER_NOT_CAPABLE 3u /* no logical unit here [LX-SCAN] SCSI_INQ_PQ_NOT_CAP */
#define SCSI_INQ_TYPE_MASK 0x1fu         /* byte 0 4:0 peripheral device type */
#define SCSI_INQ_TYPE_DISK 0x00u         /* direct access block device */
#define SCSI_INQ_TYPE_UNKNOWN 0x1fu      /* with qualifier 3: 7Fh, no LUN [LX-PROTO TYPE_NO_LUN] */
#define SCSI_INQ_RMB_BYTE 1u
#define SCSI_INQ_RMB 0x80u               /* byte 1 bit 7: removable medium */
#define SCSI_INQ_VERSION 2u
#define SCSI_INQ_VERSION_SPC4 0x06u      /* [LX-SCAN] */
#define SCSI_INQ_FORMAT 3u
#define SCSI_INQ_FORMAT_MASK 0x0fu       /* byte 3 3:0 response data format [LX-SCAN] */
#define SCSI_INQ_FORMAT_2 2u             /* [ref 5]; lower ones obsolete (SPC, quoted on linux-scsi) */
#define SCSI_INQ_ADD_LENGTH 4u           /* bytes after this one: n - 5 */
#define SCSI_INQ_VENDOR 8u               /* T10 vendor id, ASCII, space padded */
#define SCSI_INQ_VENDOR_BYTES 8u
#define SCSI_INQ_PRODUCT 16u
#define SCSI_INQ_PRODUCT_BYTES 16u
#define SCSI_INQ_REVISION 32u
#define SCSI_INQ_REVISION_BYTES 4u

/* VPD pages (EVPD = 1) [ref 5: Q-SDISK] */
#define SCSI_VPD_PAGE_CODE 1u            /* byte 0 as in standard data */
#define SCSI_VPD_PAGE_LENGTH 2u          /* bytes after the header */
#define SCSI_VPD_PAGE_LENGTH_BYTES 2u
#define SCSI_VPD_HEADER_BYTES 4u
#define SCSI_VPD_SUPPORTED_PAGES 0x00u   /* the list of page codes */
#define SCSI_VPD_UNIT_SERIAL 0x80u       /* unit serial number, ASCII */
#define SCSI_VPD_DEVICE_ID 0x83u         /* designation descriptors */
#define SCSI_VPD_DESIGNATOR_LENGTH 3u    /* in each descriptor's header */
#define SCSI_VPD_DESIGNATOR_HEADER_BYTES 4u

/* ---- READ CAPACITY data [ref 5: APPLE-RC, RDX-S, LX-PROTO] --------------------------------- */

#define SCSI_RC10_DATA_BYTES 8u
#define SCSI_RC10_LAST_LBA 0u            /* returned logical block address: the last one */
#define SCSI_RC10_LAST_LBA_BYTES 4u
#define SCSI_RC10_BLOCK_LENGTH 4u        /* bytes */
#define SCSI_RC10_BLOCK_LENGTH_BYTES 4u
#define SCSI_RC10_LBA_USE_16 0xffffffffu /* last LBA does not fit: ask READ CAPACITY(16) */
#define SCSI_RC16_DATA_BYTES 32u
#define SCSI_RC16_LAST_LBA 0u
#define SCSI_RC16_LAST_LBA_BYTES 8u
#define SCSI_RC16_BLOCK_LENGTH 8u
#define SCSI_RC16_BLOCK_LENGTH_BYTES 4u

/* ---- mode parameters [ref 5: Q-SDISK, RDX-S, LX-SD] ---------------------------------------- */

#define SCSI_MODE6_HEADER_BYTES 4u
#define SCSI_MODE6_DATA_LENGTH 0u        /* bytes after this one */
#define SCSI_MODE6_MEDIUM_TYPE 1u
#define SCSI_MODE6_DEVICE_SPECIFIC 2u
#define SCSI_MODE6_BD_LENGTH 3u          /* block descriptor length */
#define SCSI_MODE10_HEADER_BYTES 8u
#define SCSI_MODE10_DATA_LENGTH 0u
#define SCSI_MODE10_DATA_LENGTH_BYTES 2u
#define SCSI_MODE10_MEDIUM_TYPE 2u
#define SCSI_MODE10_DEVICE_SPECIFIC 3u
#define SCSI_MODE10_LONGLBA 4u
#define SCSI_MODE10_BD_LENGTH 6u
#define SCSI_MODE10_BD_LENGTH_BYTES 2u
#define SCSI_MODE_WP 0x80u               /* device-specific bit 7: write protected [LX-SD] */
#define SCSI_MODE_DPOFUA 0x10u           /* device-specific bit 4: DPO and FUA honoured [LX-SD] */
#define SCSI_MODE_BD_BYTES 8u            /* short block descriptor */
#define SCSI_MODE_BD_DENSITY 0u
#define SCSI_MODE_BD_BLOCKS 1u
#define SCSI_MODE_BD_BLOCKS_BYTES 3u
#define SCSI_MODE_BD_BLOCK_LENGTH 5u
#define SCSI_MODE_BD_BLOCK_LENGTH_BYTES 3u
#define SCSI_MODE_PAGE_CACHING 0x08u     /* [LX-SD] */
#define SCSI_MODE_PAGE_ALL 0x3fu         /* return all pages */
#define SCSI_CACHING_FLAGS 2u            /* byte 2 of the caching page [LX-SD] */
#define SCSI_CACHING_WCE 0x04u           /* bit 2: write cache enabled */
#define SCSI_CACHING_RCD 0x01u           /* bit 0: read cache disabled */

/* ---- REPORT LUNS data [ref 5: Q-SBUS, Q-SCSIU] ------------------------------------------- */

#define SCSI_REPORT_LUNS_LIST_LENGTH 0u  /* bytes of LUN entries: 8 per LUN */
#define SCSI_REPORT_LUNS_LIST_LENGTH_BYTES 4u
#define SCSI_REPORT_LUNS_HEADER_BYTES 8u /* the list length and 4 reserved */
#define SCSI_REPORT_LUNS_ENTRY_BYTES 8u
#define SCSI_REPORT_LUNS_ENTRY_LUN 1u    /* LUN < 256, single-level: byte 1 of the entry */

/* The lowercase name of an operation code, as traces print it (the
 * `scsi_cmd` table's `op`); "unknown" for one not named here. */
static inline const char *scsi_op_name(unsigned op)
{
    switch (op) {
    case SCSI_OP_TEST_UNIT_READY: return "test_unit_ready";
    case SCSI_OP_REQUEST_SENSE: return "request_sense";
    case SCSI_OP_INQUIRY: return "inquiry";
    case SCSI_OP_MODE_SENSE_6: return "mode_sense_6";
    case SCSI_OP_MODE_SENSE_10: return "mode_sense_10";
    case SCSI_OP_START_STOP_UNIT: return "start_stop_unit";
    case SCSI_OP_PREVENT_ALLOW: return "prevent_allow_medium_removal";
    case SCSI_OP_READ_CAPACITY_10: return "read_capacity_10";
    case SCSI_OP_SERVICE_ACTION_IN_16: return "read_capacity_16";
    case SCSI_OP_READ_10: return "read_10";
    case SCSI_OP_WRITE_10: return "write_10";
    case SCSI_OP_READ_16: return "read_16";
    case SCSI_OP_WRITE_16: return "write_16";
    case SCSI_OP_SYNC_CACHE_10: return "synchronize_cache_10";
    case SCSI_OP_SYNC_CACHE_16: return "synchronize_cache_16";
    case SCSI_OP_REPORT_LUNS: return "report_luns";
    case SCSI_OP_MODE_SELECT_6: return "mode_select_6";
    case SCSI_OP_SEND_DIAGNOSTIC: return "send_diagnostic";
    case SCSI_OP_VERIFY_10: return "verify_10";
    case SCSI_OP_READ_12: return "read_12";
    case SCSI_OP_WRITE_12: return "write_12";
    default: return "unknown";
    }
}

#endif /* IOSIM_SCSI_H */
