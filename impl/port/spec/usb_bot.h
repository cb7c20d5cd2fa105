/*
 * usb_bot.h - facts of the USB Mass Storage Class Bulk-Only Transport that
 * the mass storage device model and the usb-storage side of the drivers rely
 * on, one per line, each with the section it comes from.
 *
 *   [BOT]   USB Mass Storage Class Bulk-Only Transport, Revision 1.0
 *   [ref]   usb-stack.md, the steering repository's USB reference (shared/reference/);
 *           [ref 4] rows name their public source by key: LX-STORH (Linux
 *           usb/storage/transport.h), CSDN-BOT (quotes [BOT 3.1, 3.2]), AXEL
 *           (J. Axelson, "USB Mass Storage"), PIC13 (a PIC18 firmware's case table)
 *   [LX-MSC] Linux include/linux/usb/storage.h, the codes of the USB-IF's Mass
 *           Storage Class Specification Overview (the reference quotes only 06h, 50h, 62h)
 *   [AXEL-3-6] J. Axelson, "USB Mass Storage", table 3-6 (what-when-how.com p.74):
 *           the reserved bits of bCBWLUN and bCBWCBLength
 *
 * Offsets are in bytes from the start of the wrapper; multi-byte fields are
 * little-endian (the signature's first byte on the wire is 55h, 'U'). Masks
 * are of the byte that holds them. The USB-IF class codes repeat those of
 * usb_ch9.h under this header's prefix (tests/impl/spec checks they agree).
 *
 * Left out as unconfirmed [ref 8]: the byte-level list of what makes a CBW
 * "meaningful"; the device side of cases 10 and 13 rests on a weak source (PIC13).
 *
 * Like the other headers of impl/port/spec: constants only, freestanding,
 * included by device models and drivers alike; tests/impl/spec checks the
 * values and the relations between them.
 */
#ifndef IOSIM_USB_BOT_H
#define IOSIM_USB_BOT_H

/* ---- interface codes (USB-IF MSC overview) [ref 3], [LX-MSC] ------------------------------ */

#define USB_BOT_CLASS 0x08u              /* bInterfaceClass: mass storage [ref 3] */
#define USB_BOT_SUBCLASS_RBC 0x01u       /* reduced block commands [LX-MSC] */
#define USB_BOT_SUBCLASS_MMC 0x02u       /* SFF-8020i / MMC, CD and DVD [LX-MSC] */
#define USB_BOT_SUBCLASS_QIC157 0x03u    /* tapes [LX-MSC] */
#define USB_BOT_SUBCLASS_UFI 0x04u       /* floppies [LX-MSC] */
#define USB_BOT_SUBCLASS_SFF8070I 0x05u  /* removable media [LX-MSC] */
#define USB_BOT_SUBCLASS_SCSI 0x06u      /* SCSI transparent command set [ref 3] */
#define USB_BOT_SUBCLASS_LOCKABLE 0x07u  /* password-protected [LX-MSC] */
#define USB_BOT_PROTOCOL_CBI 0x00u       /* control/bulk/interrupt, with the interrupt [LX-MSC] */
#define USB_BOT_PROTOCOL_CB 0x01u        /* control/bulk, no interrupt [LX-MSC] */
#define USB_BOT_PROTOCOL_BOT 0x50u       /* bulk-only transport [ref 3] */
#define USB_BOT_PROTOCOL_UAS 0x62u       /* USB attached SCSI [ref 3] */

/* ---- class-specific requests [BOT 3.1, 3.2]; [ref 4: CSDN-BOT, LX-STOR] ------------------ */

/* Bulk-Only Mass Storage Reset: class, interface, OUT; wValue 0, wIndex = interface,
 * wLength 0. The device NAKs the status stage until the reset is done [BOT 3.1] */
#define USB_BOT_REQ_RESET 0xffu
#define USB_BOT_REQ_RESET_TYPE 0x21u     /* bmRequestType */
/* Get Max LUN: class, interface, IN; wValue 0, wIndex = interface, wLength 1; the answer
 * is the highest LUN; a single-LUN device may STALL instead [BOT 3.2] */
#define USB_BOT_REQ_GET_MAX_LUN 0xfeu
#define USB_BOT_REQ_GET_MAX_LUN_TYPE 0xa1u /* bmRequestType */
#define USB_BOT_GET_MAX_LUN_BYTES 1u     /* wLength and data stage */
#define USB_BOT_MAX_LUN 15u              /* highest LUN a device may report [BOT 3.2] */

/* ---- Command Block Wrapper [BOT 5.1]; [ref 4: LX-STORH, RDX-S, Q-MSD] -------------------- */

#define USB_BOT_CBW_BYTES 31u            /* exactly, one short packet */
#define USB_BOT_CBW_SIGNATURE_VALUE 0x43425355u /* "USBC" read little-endian */
#define USB_BOT_CBW_SIGNATURE 0u         /* 32 dCBWSignature */
#define USB_BOT_CBW_TAG 4u               /* 32 dCBWTag, echoed in dCSWTag */
#define USB_BOT_CBW_DATA_LENGTH 8u       /* 32 dCBWDataTransferLength: bytes the host expects */
#define USB_BOT_CBW_FLAGS 12u            /* bmCBWFlags */
#define USB_BOT_CBW_LUN 13u              /* bCBWLUN */
#define USB_BOT_CBW_CB_LENGTH 14u        /* bCBWCBLength */
#define USB_BOT_CBW_CB 15u               /* CBWCB: the command block, zero padded */
#define USB_BOT_CBW_CB_BYTES 16u
#define USB_BOT_CBW_FLAGS_DATA_IN 0x80u  /* bit 7: 1 = data in; ignored when no data */
#define USB_BOT_CBW_FLAGS_RESERVED_MASK 0x7fu /* 6:0 zero [ref 4] */
#define USB_BOT_CBW_LUN_MASK 0x0fu       /* 3:0; 7:4 reserved [ref 4], [AXEL-3-6] */
#define USB_BOT_CBW_CB_LENGTH_MASK 0x1fu /* 4:0; 7:5 reserved [AXEL-3-6] */
#define USB_BOT_CBW_CB_LENGTH_MIN 1u     /* [ref 4], [AXEL-3-6] */
#define USB_BOT_CBW_CB_LENGTH_MAX 16u

/* ---- Command Status Wrapper [BOT 5.2]; [ref 4: LX-STORH, RDX-S] --------------------------- */

#define USB_BOT_CSW_BYTES 13u
#define USB_BOT_CSW_SIGNATURE_VALUE 0x53425355u /* "USBS" read little-endian */
#define USB_BOT_CSW_SIGNATURE 0u         /* 32 dCSWSignature */
#define USB_BOT_CSW_TAG 4u               /* 32 dCSWTag = dCBWTag */
#define USB_BOT_CSW_DATA_RESIDUE 8u      /* 32 dCSWDataResidue: expected - processed */
#define USB_BOT_CSW_STATUS 12u           /* bCSWStatus */
#define USB_BOT_CSW_STATUS_PASSED 0x00u  /* command passed */
#define USB_BOT_CSW_STATUS_FAILED 0x01u  /* command failed: the host asks REQUEST SENSE */
#define USB_BOT_CSW_STATUS_PHASE_ERROR 0x02u /* the host does Reset Recovery */

/* ---- the thirteen cases [BOT 6.7]; [ref 4: AXEL, PIC13] ---------------------------------- *
 * What the host expects (Hn none, Hi data in, Ho data out, from bmCBWFlags and
 * dCBWDataTransferLength) against what the device intends (Dn, Di, Do). "Status 00/01"
 * means passed or failed as the command went; the residue is the CSW's. */
#define USB_BOT_CASES 13u
#define USB_BOT_CASE_1 1u   /* Hn = Dn: status 00/01, residue 0 */
#define USB_BOT_CASE_2 2u   /* Hn < Di: status 02 (phase error), may STALL Bulk-In */
#define USB_BOT_CASE_3 3u   /* Hn < Do: status 02, may STALL Bulk-In */
#define USB_BOT_CASE_4 4u   /* Hi > Dn: pad or send nothing, STALL Bulk-In if short; status
                             * 00/01, residue = expected - sent (padding not counted) */
#define USB_BOT_CASE_5 5u   /* Hi > Di: as case 4 */
#define USB_BOT_CASE_6 6u   /* Hi = Di: status 00/01, residue 0 */
#define USB_BOT_CASE_7 7u   /* Hi < Di: send the expected length at most, STALL Bulk-In if
                             * short (may STALL after the full length too); status 02 */
#define USB_BOT_CASE_8 8u   /* Hi <> Do: as case 7 */
#define USB_BOT_CASE_9 9u   /* Ho > Dn: accept all the data (recommended) or STALL Bulk-Out;
                             * status 00/01, residue = expected - processed */
#define USB_BOT_CASE_10 10u /* Ho <> Di: STALL Bulk-Out, status 02 (PIC13 only) */
#define USB_BOT_CASE_11 11u /* Ho > Do: as case 9 */
#define USB_BOT_CASE_12 12u /* Ho = Do: status 00/01, residue 0 */
#define USB_BOT_CASE_13 13u /* Ho < Do: STALL Bulk-Out, status 02 (PIC13 only) */

#endif /* IOSIM_USB_BOT_H */
