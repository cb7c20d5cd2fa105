/*
 * usb_ch9.h - facts of the USB device framework (chapter 9) and the packet
 * size rules of chapter 5 that the USB device models and the USB drivers
 * rely on, one per line, each with the section or table it comes from.
 *
 *   [USB2]  Universal Serial Bus Specification, Revision 2.0
 *   [USB32] Universal Serial Bus 3.2 Specification
 *   [ref]   usb-stack.md, the steering repository's USB reference (shared/reference/);
 *           [ref 3] rows name their public source (mostly Linux ch9.h and
 *           usb/core/config.c)
 *
 * Offsets are in bytes from the start of the setup packet or descriptor;
 * multi-byte fields are little-endian. Masks are of the byte or word that
 * holds them; field values are unshifted (use the field's _SHIFT). Class,
 * subclass and protocol codes are the USB-IF's, as the reference gives them.
 *
 * Like the other headers of impl/port/spec: constants only, freestanding,
 * included by device models and drivers alike; tests/impl/spec checks the
 * values against the spec's tables and the relations between them.
 */
#ifndef IOSIM_USB_CH9_H
#define IOSIM_USB_CH9_H

/* ---- setup packet [USB2 9.3, table 9-2] ---------------------------------------------------- */

#define USB_SETUP_BYTES 8u
#define USB_SETUP_REQUEST_TYPE 0u        /* bmRequestType */
#define USB_SETUP_REQUEST 1u             /* bRequest */
#define USB_SETUP_VALUE 2u               /* wValue */
#define USB_SETUP_INDEX 4u               /* wIndex */
#define USB_SETUP_LENGTH 6u              /* wLength: bytes in the data stage */

/* bmRequestType [USB2 9.3.1, table 9-2] */
#define USB_RT_DIR_IN 0x80u              /* bit 7: device to host */
#define USB_RT_TYPE_MASK 0x60u           /* 6:5 */
#define USB_RT_TYPE_SHIFT 5u
#define USB_RT_RECIPIENT_MASK 0x1fu      /* 4:0 */
#define USB_RT_TYPE_STANDARD 0u
#define USB_RT_TYPE_CLASS 1u
#define USB_RT_TYPE_VENDOR 2u            /* 3 reserved */
#define USB_RT_RECIPIENT_DEVICE 0u
#define USB_RT_RECIPIENT_INTERFACE 1u
#define USB_RT_RECIPIENT_ENDPOINT 2u
#define USB_RT_RECIPIENT_OTHER 3u        /* 4..31 reserved */

/* ---- standard requests [USB2 9.4, table 9-4], [USB32 9.4] --------------------------------- */

#define USB_REQ_GET_STATUS 0x00u
#define USB_REQ_CLEAR_FEATURE 0x01u
#define USB_REQ_SET_FEATURE 0x03u
#define USB_REQ_SET_ADDRESS 0x05u
#define USB_REQ_GET_DESCRIPTOR 0x06u     /* wValue = type << 8 | index; wIndex = LANGID */
#define USB_REQ_SET_DESCRIPTOR 0x07u
#define USB_REQ_GET_CONFIGURATION 0x08u
#define USB_REQ_SET_CONFIGURATION 0x09u
#define USB_REQ_GET_INTERFACE 0x0au
#define USB_REQ_SET_INTERFACE 0x0bu
#define USB_REQ_SYNCH_FRAME 0x0cu
#define USB_REQ_SET_SEL 0x30u            /* [USB32 9.4] */
#define USB_REQ_SET_ISOCH_DELAY 0x31u    /* [USB32 9.4] */
#define USB_DESC_TYPE_SHIFT 8u           /* GET_DESCRIPTOR: type in wValue's high byte */
#define USB_ADDRESS_MAX 127u             /* [USB2 9.4.6] SET_ADDRESS; 0 is the default */

/* GET_STATUS data [USB2 9.4.5], [USB32 9.4.5]; [ref 3: LX-CH9] */
#define USB_STATUS_SELF_POWERED 0x0001u  /* device */
#define USB_STATUS_REMOTE_WAKEUP 0x0002u /* device */
#define USB_STATUS_U1_ENABLED 0x0004u    /* device, SuperSpeed */
#define USB_STATUS_U2_ENABLED 0x0008u    /* device, SuperSpeed */
#define USB_STATUS_LTM_ENABLED 0x0010u   /* device, SuperSpeed */
#define USB_STATUS_HALT 0x0001u          /* endpoint */

/* ---- feature selectors [USB2 9.4, table 9-6], [USB32 9.4] --------------------------------- */

#define USB_FEATURE_ENDPOINT_HALT 0u     /* recipient endpoint */
#define USB_FEATURE_FUNCTION_SUSPEND 0u  /* recipient interface [USB32] */
#define USB_FEATURE_REMOTE_WAKEUP 1u     /* DEVICE_REMOTE_WAKEUP, recipient device */
#define USB_FEATURE_TEST_MODE 2u         /* recipient device, high speed */
#define USB_FEATURE_U1_ENABLE 48u        /* recipient device [USB32] */
#define USB_FEATURE_U2_ENABLE 49u
#define USB_FEATURE_LTM_ENABLE 50u

/* Test mode selectors, wIndex high byte of SET_FEATURE(TEST_MODE) [USB2 9.4.9, table 9-7] */
#define USB_TEST_J 1u
#define USB_TEST_K 2u
#define USB_TEST_SE0_NAK 3u
#define USB_TEST_PACKET 4u
#define USB_TEST_FORCE_ENABLE 5u

/* ---- descriptor types [USB2 9.4, table 9-5], [USB32 9.4] ---------------------------------- */

#define USB_DT_DEVICE 0x01u
#define USB_DT_CONFIG 0x02u
#define USB_DT_STRING 0x03u
#define USB_DT_INTERFACE 0x04u
#define USB_DT_ENDPOINT 0x05u
#define USB_DT_DEVICE_QUALIFIER 0x06u    /* high-speed capable devices */
#define USB_DT_OTHER_SPEED_CONFIG 0x07u
#define USB_DT_INTERFACE_POWER 0x08u
#define USB_DT_OTG 0x09u                 /* OTG supplement */
#define USB_DT_DEBUG 0x0au               /* debug device */
#define USB_DT_INTERFACE_ASSOCIATION 0x0bu /* IAD ECN */
#define USB_DT_BOS 0x0fu                 /* [USB32 9.6.2] binary object store */
#define USB_DT_DEVICE_CAPABILITY 0x10u   /* inside a BOS */
#define USB_DT_SS_EP_COMPANION 0x30u     /* [USB32] SuperSpeed endpoint companion */
#define USB_DT_SSP_ISOCH_EP_COMPANION 0x31u /* [USB32] SuperSpeedPlus isoch companion */

/* Descriptor lengths, bLength [USB2 9.6], [USB32 9.6]; [ref 3] */
#define USB_DESC_HEADER_BYTES 2u         /* bLength, bDescriptorType: every descriptor */
#define USB_DT_DEVICE_BYTES 18u
#define USB_DT_CONFIG_BYTES 9u           /* other-speed configuration too */
#define USB_DT_INTERFACE_BYTES 9u
#define USB_DT_ENDPOINT_BYTES 7u
#define USB_DT_DEVICE_QUALIFIER_BYTES 10u
#define USB_DT_INTERFACE_ASSOCIATION_BYTES 8u
#define USB_DT_BOS_BYTES 5u
#define USB_DT_SS_EP_COMPANION_BYTES 6u
#define USB_DT_SSP_ISOCH_EP_COMPANION_BYTES 8u
#define USB_STRING_MAX_BYTES 254u        /* header + 126 UTF-16LE code units [ref 3: LX-CH9] */

/* Descriptor field offsets common to all */
#define USB_DESC_LENGTH 0u               /* bLength */
#define USB_DESC_TYPE 1u                 /* bDescriptorType */

/* Device descriptor [USB2 9.6.1, table 9-8] */
#define USB_DEV_BCD_USB 2u               /* 16 */
#define USB_DEV_CLASS 4u
#define USB_DEV_SUBCLASS 5u
#define USB_DEV_PROTOCOL 6u
#define USB_DEV_MAX_PACKET0 7u           /* bytes; at SuperSpeed an exponent: 9 = 512 */
#define USB_DEV_VENDOR 8u                /* 16 idVendor */
#define USB_DEV_PRODUCT 10u              /* 16 idProduct */
#define USB_DEV_BCD_DEVICE 12u           /* 16 */
#define USB_DEV_MANUFACTURER 14u         /* string index */
#define USB_DEV_PRODUCT_STRING 15u       /* iProduct */
#define USB_DEV_SERIAL 16u               /* iSerialNumber */
#define USB_DEV_NUM_CONFIGS 17u

/* Configuration descriptor [USB2 9.6.3, table 9-10] */
#define USB_CFG_TOTAL_LENGTH 2u          /* 16: this and all that follows it */
#define USB_CFG_NUM_INTERFACES 4u
#define USB_CFG_VALUE 5u                 /* bConfigurationValue, for SET_CONFIGURATION */
#define USB_CFG_STRING 6u                /* iConfiguration */
#define USB_CFG_ATTRIBUTES 7u
#define USB_CFG_MAX_POWER 8u
#define USB_CFG_ATTR_ONE 0x80u           /* reserved, always set */
#define USB_CFG_ATTR_SELF_POWERED 0x40u
#define USB_CFG_ATTR_REMOTE_WAKEUP 0x20u /* 4:0 reserved, zero */
#define USB_CFG_MAX_POWER_UNIT_MA 2u     /* bMaxPower below SuperSpeed */
#define USB_CFG_MAX_POWER_UNIT_SS_MA 8u  /* at SuperSpeed [USB32 9.6.3] */

/* Interface descriptor [USB2 9.6.5, table 9-12] */
#define USB_IF_NUMBER 2u
#define USB_IF_ALTERNATE 3u
#define USB_IF_NUM_ENDPOINTS 4u          /* not counting EP0 */
#define USB_IF_CLASS 5u
#define USB_IF_SUBCLASS 6u
#define USB_IF_PROTOCOL 7u
#define USB_IF_STRING 8u                 /* iInterface */

/* Endpoint descriptor [USB2 9.6.6, table 9-13] */
#define USB_EP_ADDRESS 2u
#define USB_EP_ATTRIBUTES 3u
#define USB_EP_MAX_PACKET 4u             /* 16 */
#define USB_EP_INTERVAL 6u
#define USB_EP_ADDR_NUMBER_MASK 0x0fu    /* 3:0 */
#define USB_EP_ADDR_RESERVED_MASK 0x70u  /* 6:4 reserved, zero [USB2 9.6.6, table 9-13] */
#define USB_EP_ADDR_DIR_IN 0x80u         /* bit 7; ignored for control endpoints */
#define USB_EP_NUMBER_MAX 15u
#define USB_EP_XFER_MASK 0x03u           /* bmAttributes 1:0 transfer type */
#define USB_EP_XFER_CONTROL 0u
#define USB_EP_XFER_ISOCH 1u
#define USB_EP_XFER_BULK 2u
#define USB_EP_XFER_INTERRUPT 3u
#define USB_EP_SYNC_MASK 0x0cu           /* bmAttributes 3:2, isochronous only */
#define USB_EP_SYNC_SHIFT 2u
#define USB_EP_SYNC_NONE 0u
#define USB_EP_SYNC_ASYNC 1u
#define USB_EP_SYNC_ADAPTIVE 2u
#define USB_EP_SYNC_SYNC 3u
#define USB_EP_USAGE_MASK 0x30u          /* bmAttributes 5:4, isochronous only */
#define USB_EP_USAGE_SHIFT 4u
#define USB_EP_USAGE_DATA 0u
#define USB_EP_USAGE_FEEDBACK 1u
#define USB_EP_USAGE_IMPLICIT_FEEDBACK 2u
#define USB_EP_MPS_SIZE_MASK 0x07ffu     /* wMaxPacketSize 10:0 bytes */
#define USB_EP_MPS_MULT_MASK 0x1800u     /* 12:11 extra transactions per microframe (HS) */
#define USB_EP_MPS_MULT_SHIFT 11u
#define USB_EP_MPS_MULT_MAX 2u           /* 3 is reserved [USB2 9.6.6, table 9-13] */
#define USB_EP_MPS_RESERVED_MASK 0xe000u /* 15:13 reserved, zero [USB2 9.6.6, table 9-13] */
/* bInterval [USB2 9.6.6, table 9-13], [USB32 9.6.6]: full-speed isochronous and
 * high-speed or SuperSpeed periodic endpoints poll every 2^(bInterval-1) (micro)frames,
 * bInterval 1..16; full- and low-speed interrupt endpoints every bInterval frames, 1..255 */
#define USB_EP_INTERVAL_EXP_MIN 1u
#define USB_EP_INTERVAL_EXP_MAX 16u
#define USB_EP_INTERVAL_FRAMES_MIN 1u
#define USB_EP_INTERVAL_FRAMES_MAX 255u

/* SuperSpeed endpoint companion [USB32 9.6.7]; [ref 3] */
#define USB_SSC_MAX_BURST 2u             /* packets per burst - 1, 0..15 */
#define USB_SSC_ATTRIBUTES 3u
#define USB_SSC_BYTES_PER_INTERVAL 4u    /* 16, periodic endpoints */
#define USB_SSC_MAX_BURST_MAX 15u
#define USB_SSC_BULK_MAX_STREAMS_MASK 0x1fu /* bulk: 2^n streams */
#define USB_SSC_BULK_MAX_STREAMS_MAX 16u /* 2^16 streams; 17..31 reserved [USB32 9.6.7] */
#define USB_SSC_ISOCH_MULT_MASK 0x03u    /* isochronous: bursts per interval - 1 */
#define USB_SSC_ISOCH_MULT_MAX 2u        /* 3 bursts an interval; 3 reserved [USB32 9.6.7] */
#define USB_SSC_SSP_ISOCH_COMPANION 0x80u /* isochronous: an SSP companion follows */

/* BOS and device capabilities [USB32 9.6.2]; [ref 3] */
#define USB_BOS_TOTAL_LENGTH 2u          /* 16 */
#define USB_BOS_NUM_CAPS 4u
#define USB_DEVCAP_TYPE 2u               /* bDevCapabilityType, after the header */
#define USB_DEVCAP_USB2_EXT 0x02u        /* 7 bytes; bmAttributes bit 1 = LPM */
#define USB_DEVCAP_SUPERSPEED 0x03u      /* 10 bytes */
#define USB_DEVCAP_CONTAINER_ID 0x04u    /* 20 bytes */
#define USB_DEVCAP_USB2_EXT_BYTES 7u
#define USB_DEVCAP_SUPERSPEED_BYTES 10u
#define USB_DEVCAP_CONTAINER_ID_BYTES 20u
#define USB_DEVCAP_USB2_EXT_LPM 0x00000002u

/* String descriptors [USB2 9.6.7]: string 0 lists LANGIDs, the rest are UTF-16LE */
#define USB_STRING_LANGIDS 0u
#define USB_STRING_CODE_UNIT_BYTES 2u    /* a UTF-16LE code unit, or a LANGID in string 0 */

/* ---- speeds, timing and packet sizes [USB2 5.5.3, 5.6.3, 5.7.3, 5.8.3], [USB32 9.6.6] ---- */

#define USB_LS_KBPS 1500u                /* low speed, 1.5 Mb/s */
#define USB_FS_KBPS 12000u
#define USB_HS_KBPS 480000u
#define USB_SS_KBPS 5000000u             /* SuperSpeed Gen 1 */
#define USB_FRAME_US 1000u               /* LS/FS frame */
#define USB_MICROFRAME_US 125u           /* HS microframe; SuperSpeed bus interval */

/* Maximum packet sizes per speed and transfer type, in bytes [ref 3: LX-CFG] */
#define USB_LS_CONTROL_MPS 8u
#define USB_LS_INTERRUPT_MPS_MAX 8u      /* low speed has no bulk or isochronous */
#define USB_FS_CONTROL_MPS_MAX 64u       /* 8, 16, 32 or 64 */
#define USB_FS_BULK_MPS_MAX 64u          /* 8, 16, 32 or 64 */
#define USB_FS_BULK_MPS_MIN 8u           /* [USB2 5.8.3] */
#define USB_FS_INTERRUPT_MPS_MAX 64u
#define USB_FS_ISOCH_MPS_MAX 1023u
#define USB_HS_CONTROL_MPS 64u
#define USB_HS_BULK_MPS 512u
#define USB_HS_INTERRUPT_MPS_MAX 1024u
#define USB_HS_ISOCH_MPS_MAX 1024u
#define USB_SS_CONTROL_MPS 512u
#define USB_SS_BULK_MPS 1024u
#define USB_SS_INTERRUPT_MPS_MAX 1024u
#define USB_SS_ISOCH_MPS_MAX 1024u
#define USB_FS_CONTROL_MPS_MIN 8u        /* the smallest of 8, 16, 32, 64 */
/* bMaxPacketSize0 at SuperSpeed is an exponent [USB32 9.6.1]: the reference leaves it
 * unconfirmed; Microsoft's USBView and coreboot's libpayload both require 9 */
#define USB_SS_MAX_PACKET0_EXP 9u        /* 2^9 = 512 */

/* ---- class codes (USB-IF); [ref 3] -------------------------------------------------------- */

#define USB_CLASS_PER_INTERFACE 0x00u    /* device class 0: each interface names its own */
#define USB_CLASS_MASS_STORAGE 0x08u
#define USB_CLASS_VENDOR 0xffu
#define USB_MSC_SUBCLASS_SCSI 0x06u      /* SCSI transparent command set */
#define USB_MSC_PROTOCOL_BOT 0x50u       /* bulk-only transport */
#define USB_MSC_PROTOCOL_UAS 0x62u       /* USB attached SCSI */

#endif /* IOSIM_USB_CH9_H */
