/*
 * xhci_regs.h - facts of the xHCI specification the xHCI model and xhcid rely
 * on, one per line, each with the section, table or figure it comes from.
 *
 *   [xHCI] eXtensible Host Controller Interface for Universal Serial Bus,
 *          Revision 1.2 (Intel document 625472)
 *   [ref]  usb-stack.md, the steering repository's USB reference (shared/reference/); a
 *          row is cited as [ref 1.3] where the spec's own number is not
 *          certain to us, and the reference names the public source
 *
 * Offsets are in bytes from the base of their block (capability base,
 * operational base = capability base + CAPLENGTH, runtime base = capability
 * base + RTSOFF, a port's or an interrupter's register set, a TRB, a
 * context); masks are of the 32-bit register or dword that holds them
 * (64-bit pointer masks carry ull). Field values are unshifted: put them in
 * place with the field's _SHIFT. Access types follow [xHCI 5.1]: RO, RW,
 * RW1C (write 1 to clear), RW1S (write 1 to set), RW1CS and RWS (RW1C and RW
 * kept across resets, in the aux power well), RsvdZ (write 0).
 *
 * Where the reference leaves something unconfirmed it is left out, or, if
 * another public text confirmed it, kept with a note saying which. Left out:
 * the PORTLI link error count (unconfirmed); USBCMD bits 13 and 15 up, the
 * USB3 PORTPMSC bit 16 and HCCPARAMS2 bit 11 (no second source, or only
 * newer than 1.2); Doorbell target values above 31.
 *
 * Like pci_regs.h this is a spec, not hardware and not a driver: constants
 * only, freestanding, included by the xHCI model (models/xhci) and the
 * driver (impl/drivers/xhcid) alike. tests/impl/spec checks the values
 * against the tables of the spec and the relations between them.
 */
#ifndef IOSIM_XHCI_REGS_H
#define IOSIM_XHCI_REGS_H

/* ---- capability registers [xHCI 5.3, table 5-9]; all RO ---------------------------------- */

#define XHCI_CAP_CAPLENGTH 0x00u         /* 8: operational base - capability base [5.3.1] */
#define XHCI_CAP_HCIVERSION 0x02u        /* 16, BCD [5.3.2] */
#define XHCI_CAP_HCSPARAMS1 0x04u        /* [5.3.3] */
#define XHCI_CAP_HCSPARAMS2 0x08u        /* [5.3.4] */
#define XHCI_CAP_HCSPARAMS3 0x0cu        /* [5.3.5] */
#define XHCI_CAP_HCCPARAMS1 0x10u        /* [5.3.6] */
#define XHCI_CAP_DBOFF 0x14u             /* [5.3.7] */
#define XHCI_CAP_RTSOFF 0x18u            /* [5.3.8] */
#define XHCI_CAP_HCCPARAMS2 0x1cu        /* [5.3.9] */
#define XHCI_CAP_NAMED_BYTES 0x20u       /* the registers above; CAPLENGTH may be larger */

#define XHCI_HCIVERSION_1_0 0x0100u      /* [5.3.2] BCD; [ref 1.1] */
#define XHCI_HCIVERSION_1_1 0x0110u      /* BCD, as Linux xhci-pci.c compares it */
#define XHCI_HCIVERSION_1_2 0x0120u      /* BCD, as Linux xhci-pci.c compares it */

/* HCSPARAMS1 [xHCI 5.3.3, table 5-10] */
#define XHCI_HCSPARAMS1_MAX_SLOTS_MASK 0x000000ffu /* 7:0, 1..255 */
#define XHCI_HCSPARAMS1_MAX_INTRS_MASK 0x0007ff00u /* 18:8, 1..1024 */
#define XHCI_HCSPARAMS1_MAX_INTRS_SHIFT 8u
#define XHCI_HCSPARAMS1_MAX_PORTS_MASK 0xff000000u /* 31:24, 1..255 */
#define XHCI_HCSPARAMS1_MAX_PORTS_SHIFT 24u
#define XHCI_MAX_SLOTS 255u              /* [5.3.3] MaxSlots range */
#define XHCI_MAX_INTRS 1024u             /* [5.3.3] MaxIntrs range 1h..400h */
#define XHCI_MAX_PORTS 255u              /* [5.3.3] MaxPorts range 1h..FFh */

/* HCSPARAMS2 [xHCI 5.3.4, table 5-11]. The reference leaves the IST bit 3
 * and ERST Max encodings unconfirmed; table 5-11's text, quoted in a public
 * driver header, gives them as below. */
#define XHCI_HCSPARAMS2_IST_MASK 0x0000000fu       /* 3:0 isochronous scheduling threshold */
#define XHCI_HCSPARAMS2_IST_FRAMES 0x00000008u     /* bit 3: IST 2:0 in frames, else microframes */
#define XHCI_HCSPARAMS2_ERST_MAX_MASK 0x000000f0u  /* 7:4: ERST entries <= 2^ERST Max */
#define XHCI_HCSPARAMS2_ERST_MAX_SHIFT 4u
#define XHCI_HCSPARAMS2_SPB_HI_MASK 0x03e00000u    /* 25:21 Max Scratchpad Bufs Hi */
#define XHCI_HCSPARAMS2_SPB_HI_SHIFT 21u
#define XHCI_HCSPARAMS2_SPR 0x04000000u            /* 26 scratchpad restore */
#define XHCI_HCSPARAMS2_SPB_LO_MASK 0xf8000000u    /* 31:27 Max Scratchpad Bufs Lo */
#define XHCI_HCSPARAMS2_SPB_LO_SHIFT 27u
#define XHCI_SPB_HI_POS 5u               /* scratchpad count = Hi << 5 | Lo [5.3.4] */
#define XHCI_MAX_SCRATCHPADS 1023u       /* [5.3.4] valid counts 0..1023 */

/* HCSPARAMS3 [xHCI 5.3.5, table 5-12] */
#define XHCI_HCSPARAMS3_U1_LATENCY_MASK 0x000000ffu /* 7:0 U1 device exit latency, us */
#define XHCI_HCSPARAMS3_U2_LATENCY_MASK 0xffff0000u /* 31:16 U2 device exit latency, us */
#define XHCI_HCSPARAMS3_U2_LATENCY_SHIFT 16u

/* HCCPARAMS1 [xHCI 5.3.6, table 5-13]. Bits 8 and 10 are unconfirmed in the
 * reference; table 5-13's text, quoted in a public driver header, names
 * them PAE and SEC. */
#define XHCI_HCCPARAMS1_AC64 0x00000001u /* 64-bit addressing */
#define XHCI_HCCPARAMS1_BNC 0x00000002u  /* bandwidth negotiation */
#define XHCI_HCCPARAMS1_CSZ 0x00000004u  /* 64-byte contexts */
#define XHCI_HCCPARAMS1_PPC 0x00000008u  /* port power control */
#define XHCI_HCCPARAMS1_PIND 0x00000010u /* port indicators */
#define XHCI_HCCPARAMS1_LHRC 0x00000020u /* light HC reset */
#define XHCI_HCCPARAMS1_LTC 0x00000040u  /* latency tolerance messaging */
#define XHCI_HCCPARAMS1_NSS 0x00000080u  /* no secondary stream IDs */
#define XHCI_HCCPARAMS1_PAE 0x00000100u  /* parse all event data */
#define XHCI_HCCPARAMS1_SPC 0x00000200u  /* Stopped - Short Packet capability */
#define XHCI_HCCPARAMS1_SEC 0x00000400u  /* stopped EDTLA capability */
#define XHCI_HCCPARAMS1_CFC 0x00000800u  /* contiguous frame ID */
#define XHCI_HCCPARAMS1_MAX_PSA_MASK 0x0000f000u /* 15:12: primary stream array 2^(n+1) */
#define XHCI_HCCPARAMS1_MAX_PSA_SHIFT 12u
#define XHCI_HCCPARAMS1_XECP_MASK 0xffff0000u    /* 31:16: first extended cap, dwords from base */
#define XHCI_HCCPARAMS1_XECP_SHIFT 16u

/* DBOFF, RTSOFF [xHCI 5.3.7, 5.3.8] */
#define XHCI_DBOFF_MASK 0xfffffffcu      /* 31:2: doorbell array, dword aligned */
#define XHCI_RTSOFF_MASK 0xffffffe0u     /* 31:5: runtime registers, 32-byte aligned */

/* HCCPARAMS2 [xHCI 5.3.9, table 5-16] */
#define XHCI_HCCPARAMS2_U3C 0x00000001u  /* U3 entry */
#define XHCI_HCCPARAMS2_CMC 0x00000002u  /* Configure EP may fail Max Exit Latency Too Large */
#define XHCI_HCCPARAMS2_FSC 0x00000004u  /* force save context */
#define XHCI_HCCPARAMS2_CTC 0x00000008u  /* compliance transition */
#define XHCI_HCCPARAMS2_LEC 0x00000010u  /* large ESIT payload (> 48 KiB) */
#define XHCI_HCCPARAMS2_CIC 0x00000020u  /* configuration information */
#define XHCI_HCCPARAMS2_ETC 0x00000040u  /* extended TBC */
#define XHCI_HCCPARAMS2_ETC_TSC 0x00000080u /* extended TBC TRB status */
#define XHCI_HCCPARAMS2_GSC 0x00000100u  /* Get/Set Extended Property commands */
#define XHCI_HCCPARAMS2_VTC 0x00000200u  /* virtualization-based trusted I/O */

/* ---- operational registers [xHCI 5.4, table 5-18], from the operational base ----------- */

#define XHCI_OP_USBCMD 0x00u             /* [5.4.1] */
#define XHCI_OP_USBSTS 0x04u             /* [5.4.2] */
#define XHCI_OP_PAGESIZE 0x08u           /* [5.4.3], RO */
#define XHCI_OP_DNCTRL 0x14u             /* [5.4.4] */
#define XHCI_OP_CRCR 0x18u               /* 64 [5.4.5] */
#define XHCI_OP_DCBAAP 0x30u             /* 64 [5.4.6] */
#define XHCI_OP_CONFIG 0x38u             /* [5.4.7] */
#define XHCI_OP_PORT_REGS 0x400u         /* port n's set at 0x400 + 0x10 * (n - 1) [5.4.8] */

/* USBCMD [xHCI 5.4.1, table 5-20]; all RW */
#define XHCI_USBCMD_RS 0x00000001u       /* run/stop; HCH follows within 16 ms */
#define XHCI_USBCMD_HCRST 0x00000002u    /* reads 1 until the reset is done */
#define XHCI_USBCMD_INTE 0x00000004u     /* interrupter enable */
#define XHCI_USBCMD_HSEE 0x00000008u     /* host system error enable */
#define XHCI_USBCMD_LHCRST 0x00000080u   /* light HC reset (if LHRC) */
#define XHCI_USBCMD_CSS 0x00000100u      /* controller save state; reads 0 */
#define XHCI_USBCMD_CRS 0x00000200u      /* controller restore state; reads 0 */
#define XHCI_USBCMD_EWE 0x00000400u      /* MFINDEX Wrap events */
#define XHCI_USBCMD_EU3S 0x00000800u     /* may stop MFINDEX when all ports are in U3 [ref 1.2] */
#define XHCI_USBCMD_ETE 0x00004000u      /* extended TBC enable [ref 1.2: newer Linux] */
#define XHCI_HALT_MAX_US 16000u          /* [5.4.1] HCH within 16 ms of clearing R/S */

/* USBSTS [xHCI 5.4.2, table 5-21] */
#define XHCI_USBSTS_HCH 0x00000001u      /* RO, HC halted; 1 after reset */
#define XHCI_USBSTS_HSE 0x00000004u      /* RW1C, host system error */
#define XHCI_USBSTS_EINT 0x00000008u     /* RW1C, event interrupt: clear before IMAN.IP */
#define XHCI_USBSTS_PCD 0x00000010u      /* RW1C, port change detect */
#define XHCI_USBSTS_SSS 0x00000100u      /* RO, save state status */
#define XHCI_USBSTS_RSS 0x00000200u      /* RO, restore state status */
#define XHCI_USBSTS_SRE 0x00000400u      /* RW1C, save/restore error */
#define XHCI_USBSTS_CNR 0x00000800u      /* RO, controller not ready; 1 after chip reset */
#define XHCI_USBSTS_HCE 0x00001000u      /* RO, host controller error */
#define XHCI_USBSTS_RW1C 0x0000041cu     /* HSE | EINT | PCD | SRE */
#define XHCI_USBSTS_RO 0x00001b01u       /* HCH | SSS | RSS | CNR | HCE */

/* PAGESIZE [xHCI 5.4.3]: bit n set means pages of 2^(n + 12) bytes work */
#define XHCI_PAGESIZE_MASK 0x0000ffffu   /* 15:0 */
#define XHCI_PAGESIZE_SHIFT_BASE 12u     /* bit 0 = 4 KiB, the minimum */

/* DNCTRL [xHCI 5.4.4] */
#define XHCI_DNCTRL_MASK 0x0000ffffu     /* 15:0 RW: one enable per notification type */
#define XHCI_DNCTRL_FUNCTION_WAKE 0x00000002u /* type 1 [ref 1.2] */

/* CRCR [xHCI 5.4.5, table 5-24], 64-bit */
#define XHCI_CRCR_RCS 0x1u               /* RW: ring cycle state; reads 0 */
#define XHCI_CRCR_CS 0x2u                /* RW1S: stop after the current command; reads 0 */
#define XHCI_CRCR_CA 0x4u                /* RW1S: abort the current command; reads 0 */
#define XHCI_CRCR_CRR 0x8u               /* RO: command ring running */
#define XHCI_CRCR_PTR_MASK 0xffffffffffffffc0ull /* 63:6, 64-byte aligned */

/* DCBAAP [xHCI 5.4.6] and the array it points to [xHCI 6.1] */
#define XHCI_DCBAAP_PTR_MASK 0xffffffffffffffc0ull /* 63:6, 64-byte aligned */
#define XHCI_DCBAA_ENTRY_BYTES 8u        /* 64-bit pointer per slot */
#define XHCI_DCBAA_ENTRIES_MAX 256u      /* entry 0 + MaxSlots; [6.1] limit */
#define XHCI_DCBAA_SCRATCHPAD 0u         /* entry 0: the Scratchpad Buffer Array [ref 1.2] */

/* CONFIG [xHCI 5.4.7, table 5-26]; all RW */
#define XHCI_CONFIG_MAX_SLOTS_EN_MASK 0x000000ffu /* 7:0; change only while halted */
#define XHCI_CONFIG_U3E 0x00000100u      /* PLC on entry to U3 */
#define XHCI_CONFIG_CIE 0x00000200u      /* configuration information enable */

/* ---- port register set [xHCI 5.4.8-5.4.11], one per port, ports 1..MaxPorts ------------- */

#define XHCI_PORT_REGS_STRIDE 0x10u
#define XHCI_PORT_SC 0x0u                /* PORTSC [5.4.8] */
#define XHCI_PORT_PMSC 0x4u              /* PORTPMSC [5.4.9] */
#define XHCI_PORT_LI 0x8u                /* PORTLI [5.4.10] */
#define XHCI_PORT_HLPMC 0xcu             /* PORTHLPMC [5.4.11] */
#define XHCI_PORT_POWER_STABLE_MS 20u    /* [5.4.8] power good within 20 ms of PP 0 -> 1 */

/* PORTSC [xHCI 5.4.8, table 5-27]; access types as Linux xhci-hub.c groups them [ref 1.3].
 * A write that changes nothing writes back only the RO and RWS bits of the last read. */
#define XHCI_PORTSC_CCS 0x00000001u      /* RO current connect status */
#define XHCI_PORTSC_PED 0x00000002u      /* RW1CS port enabled; writing 1 disables */
#define XHCI_PORTSC_OCA 0x00000008u      /* RO over-current active */
#define XHCI_PORTSC_PR 0x00000010u       /* RW1S port reset */
#define XHCI_PORTSC_PLS_MASK 0x000001e0u /* 8:5 RWS link state; written only with LWS */
#define XHCI_PORTSC_PLS_SHIFT 5u
#define XHCI_PORTSC_PP 0x00000200u       /* RWS port power */
#define XHCI_PORTSC_SPEED_MASK 0x00003c00u /* 13:10 RO protocol speed ID */
#define XHCI_PORTSC_SPEED_SHIFT 10u
#define XHCI_PORTSC_PIC_MASK 0x0000c000u /* 15:14 RWS port indicator */
#define XHCI_PORTSC_PIC_SHIFT 14u
#define XHCI_PORTSC_LWS 0x00010000u      /* RW link state write strobe; reads 0 */
#define XHCI_PORTSC_CSC 0x00020000u      /* RW1CS connect status change */
#define XHCI_PORTSC_PEC 0x00040000u      /* RW1CS port enabled/disabled change */
#define XHCI_PORTSC_WRC 0x00080000u      /* RW1CS warm port reset change (USB3) */
#define XHCI_PORTSC_OCC 0x00100000u      /* RW1CS over-current change */
#define XHCI_PORTSC_PRC 0x00200000u      /* RW1CS port reset change */
#define XHCI_PORTSC_PLC 0x00400000u      /* RW1CS port link state change */
#define XHCI_PORTSC_CEC 0x00800000u      /* RW1CS port config error change (USB3) */
#define XHCI_PORTSC_CAS 0x01000000u      /* RO cold attach status (Linux writes it as 0) */
#define XHCI_PORTSC_WCE 0x02000000u      /* RWS wake on connect enable */
#define XHCI_PORTSC_WDE 0x04000000u      /* RWS wake on disconnect enable */
#define XHCI_PORTSC_WOE 0x08000000u      /* RWS wake on over-current enable */
#define XHCI_PORTSC_DR 0x40000000u       /* RO device removable (1: not removable) */
#define XHCI_PORTSC_WPR 0x80000000u      /* RW1S warm port reset (USB3); done when WRC */
#define XHCI_PORTSC_CHANGE 0x00fe0000u   /* CSC..CEC: any one raises a Port Status Change */
#define XHCI_PORTSC_RO 0x41003c09u       /* CCS OCA SPEED CAS DR */
#define XHCI_PORTSC_RWS 0x0e00c3e0u      /* PLS PP PIC WCE WDE WOE */
#define XHCI_PORTSC_RW1S 0x80000010u     /* PR WPR */
#define XHCI_PORTSC_RW1CS 0x00fe0002u    /* PED and the change bits */
#define XHCI_PORTSC_RW 0x00010000u       /* LWS */
#define XHCI_PORTSC_RSVDZ 0x30000004u    /* bits 2, 29:28 */

/* Port link states, PORTSC.PLS [xHCI 5.4.8]; [ref 1.3] */
#define XHCI_PLS_U0 0u
#define XHCI_PLS_U1 1u
#define XHCI_PLS_U2 2u
#define XHCI_PLS_U3 3u                   /* suspended */
#define XHCI_PLS_DISABLED 4u
#define XHCI_PLS_RX_DETECT 5u
#define XHCI_PLS_INACTIVE 6u
#define XHCI_PLS_POLLING 7u
#define XHCI_PLS_RECOVERY 8u
#define XHCI_PLS_HOT_RESET 9u
#define XHCI_PLS_COMPLIANCE 10u
#define XHCI_PLS_TEST_MODE 11u
#define XHCI_PLS_RESUME 15u              /* 12..14 reserved */

/* Port speed IDs, PORTSC.Speed: the default protocol speed IDs [xHCI 7.2.1]; [ref 1.3] */
#define XHCI_SPEED_UNDEFINED 0u          /* no device, or not reset yet */
#define XHCI_SPEED_FULL 1u
#define XHCI_SPEED_LOW 2u
#define XHCI_SPEED_HIGH 3u
#define XHCI_SPEED_SUPER 4u              /* Gen1 x1, 5 Gb/s */
#define XHCI_SPEED_SUPER_PLUS 5u         /* Gen2 x1, 10 Gb/s */

/* Port indicator, PORTSC.PIC [xHCI 5.4.8]; [ref 1.3: LX-H] */
#define XHCI_PIC_OFF 0u
#define XHCI_PIC_AMBER 1u
#define XHCI_PIC_GREEN 2u

/* PORTPMSC [xHCI 5.4.9]; the layout depends on the port's protocol [ref 1.3] */
#define XHCI_PORTPMSC3_U1_TIMEOUT_MASK 0x000000ffu /* USB3 7:0 us; 0xff: never */
#define XHCI_PORTPMSC3_U2_TIMEOUT_MASK 0x0000ff00u /* USB3 15:8 */
#define XHCI_PORTPMSC3_U2_TIMEOUT_SHIFT 8u
#define XHCI_PORTPMSC2_L1S_MASK 0x00000007u        /* USB2 2:0 L1 status */
#define XHCI_PORTPMSC2_RWE 0x00000008u             /* USB2 remote wake enable */
#define XHCI_PORTPMSC2_HIRD_MASK 0x000000f0u       /* USB2 7:4 */
#define XHCI_PORTPMSC2_HIRD_SHIFT 4u
#define XHCI_PORTPMSC2_L1_SLOT_MASK 0x0000ff00u    /* USB2 15:8 L1 device slot */
#define XHCI_PORTPMSC2_L1_SLOT_SHIFT 8u
#define XHCI_PORTPMSC2_HLE 0x00010000u             /* USB2 hardware LPM enable */
#define XHCI_PORTPMSC2_TEST_MASK 0xf0000000u       /* USB2 31:28 port test control */
#define XHCI_PORTPMSC2_TEST_SHIFT 28u

/* PORTLI [xHCI 5.4.10], USB3 ports; the link error count (15:0) is unconfirmed: left out */
#define XHCI_PORTLI_RX_LANES_MASK 0x000f0000u      /* 19:16 */
#define XHCI_PORTLI_RX_LANES_SHIFT 16u
#define XHCI_PORTLI_TX_LANES_MASK 0x00f00000u      /* 23:20 */
#define XHCI_PORTLI_TX_LANES_SHIFT 20u

/* PORTHLPMC [xHCI 5.4.11], USB2 ports [ref 1.3] */
#define XHCI_PORTHLPMC_HIRDM_MASK 0x00000003u      /* 1:0 */
#define XHCI_PORTHLPMC_L1_TIMEOUT_MASK 0x000003fcu /* 9:2 */
#define XHCI_PORTHLPMC_L1_TIMEOUT_SHIFT 2u
#define XHCI_PORTHLPMC_BESLD_MASK 0x00003c00u      /* 13:10 */
#define XHCI_PORTHLPMC_BESLD_SHIFT 10u

/* ---- runtime registers [xHCI 5.5, table 5-35], from the runtime base --------------------- */

#define XHCI_RT_MFINDEX 0x00u            /* [5.5.1] RO */
#define XHCI_RT_IR0 0x20u                /* interrupter i's set at 0x20 + 0x20 * i [5.5.2] */
#define XHCI_RT_IR_STRIDE 0x20u
#define XHCI_MFINDEX_MASK 0x00003fffu    /* 13:0, microframes; wraps after 3FFFh [5.4.1 EWE] */
#define XHCI_MFINDEX_TICK_NS 125000u     /* one microframe [ref 1.4] */
#define XHCI_HS_BULK_PER_UFRAME_MAX 13u  /* 512-byte bulk packets in a microframe [USB2 5.8.4, ref 3] */

/* One interrupter register set [xHCI 5.5.2] */
#define XHCI_IR_IMAN 0x00u               /* [5.5.2.1] */
#define XHCI_IR_IMOD 0x04u               /* [5.5.2.2] */
#define XHCI_IR_ERSTSZ 0x08u             /* [5.5.2.3.1] */
#define XHCI_IR_ERSTBA 0x10u             /* 64 [5.5.2.3.2] */
#define XHCI_IR_ERDP 0x18u               /* 64 [5.5.2.3.3] */

#define XHCI_IMAN_IP 0x00000001u         /* RW1C interrupt pending [table 5-38] */
#define XHCI_IMAN_IE 0x00000002u         /* RW interrupt enable */
#define XHCI_IMOD_IMODI_MASK 0x0000ffffu /* 15:0 RW minimum interval [5.5.2.2] */
#define XHCI_IMOD_IMODC_MASK 0xffff0000u /* 31:16 RW down-counter, reloaded from IMODI */
#define XHCI_IMOD_IMODC_SHIFT 16u
#define XHCI_IMOD_UNIT_NS 250u           /* both fields count 250 ns [5.5.2.2] */
#define XHCI_IMOD_IMODI_DEFAULT 4000u    /* reset value: 1 ms [ref 1.4] */
#define XHCI_ERSTSZ_MASK 0x0000ffffu     /* 15:0 RW entries in the ERST */
#define XHCI_ERSTBA_PTR_MASK 0xffffffffffffffc0ull /* 63:6, 64-byte aligned */
#define XHCI_ERDP_DESI_MASK 0x7u         /* 2:0 RW dequeue ERST segment index */
#define XHCI_ERDP_EHB 0x8u               /* RW1C event handler busy */
#define XHCI_ERDP_PTR_MASK 0xfffffffffffffff0ull /* 63:4, 16-byte aligned */

/* ---- doorbells [xHCI 5.6, figure 5-29], at capability base + DBOFF ---------------------- */

#define XHCI_DB_BYTES 4u                 /* one 32-bit doorbell per slot */
#define XHCI_DB_COUNT 256u               /* DB[0] the host controller, DB[n] slot n */
#define XHCI_DB_TARGET_MASK 0x000000ffu  /* 7:0 */
#define XHCI_DB_STREAM_ID_MASK 0xffff0000u /* 31:16; 15:8 RsvdZ */
#define XHCI_DB_STREAM_ID_SHIFT 16u
#define XHCI_DB_TARGET_COMMAND 0u        /* DB[0] target: the command ring [ref 1.5] */

/* Device Context Index [xHCI 6.2.1]: EP0 = 1, EP n OUT = 2n, EP n IN = 2n + 1 [ref 1.5]; a
 * device doorbell's target and a command's endpoint ID are DCIs */
#define XHCI_DCI_SLOT 0u                 /* the slot context */
#define XHCI_DCI_EP0 1u                  /* default control endpoint, both directions */
#define XHCI_DCI_MAX 31u                 /* EP 15 IN */

/* ---- TRBs [xHCI 4.11 figure 4-13, 6.4]: 64-bit parameter, 32-bit status, 32-bit control - */

#define XHCI_TRB_BYTES 16u
#define XHCI_TRB_PARAMETER 0x0u          /* 64 */
#define XHCI_TRB_STATUS 0x8u
#define XHCI_TRB_CONTROL 0xcu

/* Control word. One bit carries different flags in different TRB types [6.4]; [ref 1.6] */
#define XHCI_TRB_C 0x00000001u           /* cycle */
#define XHCI_TRB_ENT 0x00000002u         /* transfer TRBs: evaluate next TRB */
#define XHCI_TRB_TC 0x00000002u          /* Link: toggle cycle */
#define XHCI_TRB_ISP 0x00000004u         /* transfer TRBs: interrupt on short packet */
#define XHCI_TRB_ED 0x00000004u          /* Transfer Event: parameter is Event Data */
#define XHCI_TRB_NS 0x00000008u          /* no snoop */
#define XHCI_TRB_CH 0x00000010u          /* chain: the TD goes on in the next TRB */
#define XHCI_TRB_IOC 0x00000020u         /* interrupt on completion */
#define XHCI_TRB_IDT 0x00000040u         /* immediate data in the parameter */
#define XHCI_TRB_TBC_MASK 0x00000180u    /* 8:7 Isoch: transfer burst count */
#define XHCI_TRB_TBC_SHIFT 7u
#define XHCI_TRB_BEI 0x00000200u         /* transfer TRBs: block event interrupt */
#define XHCI_TRB_BSR 0x00000200u         /* Address Device: block SET_ADDRESS request */
#define XHCI_TRB_DC 0x00000200u          /* Configure Endpoint: deconfigure */
#define XHCI_TRB_TSP 0x00000200u         /* Reset Endpoint: transfer state preserve */
#define XHCI_TRB_TYPE_MASK 0x0000fc00u   /* 15:10 */
#define XHCI_TRB_TYPE_SHIFT 10u
#define XHCI_TRB_DIR_IN 0x00010000u      /* Data and Status Stage: 1 = IN */
#define XHCI_TRB_TRT_MASK 0x00030000u    /* 17:16 Setup Stage: transfer type */
#define XHCI_TRB_TRT_SHIFT 16u
#define XHCI_TRB_TLBPC_MASK 0x000f0000u  /* 19:16 Isoch: last burst packet count */
#define XHCI_TRB_TLBPC_SHIFT 16u
#define XHCI_TRB_FRAME_ID_MASK 0x7ff00000u /* 30:20 Isoch */
#define XHCI_TRB_FRAME_ID_SHIFT 20u
#define XHCI_TRB_SIA 0x80000000u         /* Isoch: start isoch ASAP */
#define XHCI_TRB_EP_ID_MASK 0x001f0000u  /* 20:16 commands and events: endpoint DCI */
#define XHCI_TRB_EP_ID_SHIFT 16u
#define XHCI_TRB_SLOT_TYPE_MASK 0x001f0000u /* 20:16 Enable Slot: protocol slot type */
#define XHCI_TRB_SLOT_TYPE_SHIFT 16u
#define XHCI_TRB_SP 0x00800000u          /* Stop Endpoint: suspend */
#define XHCI_TRB_SLOT_ID_MASK 0xff000000u /* 31:24 commands and events */
#define XHCI_TRB_SLOT_ID_SHIFT 24u

/* Setup Stage transfer types, TRT [xHCI 6.4.1.2.1] */
#define XHCI_TRT_NO_DATA 0u
#define XHCI_TRT_OUT_DATA 2u             /* 1 reserved */
#define XHCI_TRT_IN_DATA 3u

/* Status word of transfer TRBs [xHCI 6.4.1]; [ref 1.6] */
#define XHCI_TRB_LENGTH_MASK 0x0001ffffu /* 16:0 TRB transfer length, up to 64 KiB */
#define XHCI_TRB_TD_SIZE_MASK 0x003e0000u /* 21:17 packets left in the TD */
#define XHCI_TRB_TD_SIZE_SHIFT 17u
#define XHCI_TRB_TD_SIZE_MAX 31u         /* larger counts are written as 31 */
#define XHCI_TRB_INTR_TARGET_MASK 0xffc00000u /* 31:22 interrupter for its events */
#define XHCI_TRB_INTR_TARGET_SHIFT 22u

/* Event TRBs [xHCI 6.4.2]: status and parameter fields [ref 1.6] */
#define XHCI_EVT_LENGTH_MASK 0x00ffffffu /* 23:0 Transfer Event: bytes not transferred */
#define XHCI_EVT_CC_MASK 0xff000000u     /* 31:24 completion code */
#define XHCI_EVT_CC_SHIFT 24u
#define XHCI_EVT_PORT_ID_MASK 0xff000000u /* Port Status Change Event: parameter 31:24 */
#define XHCI_EVT_PORT_ID_SHIFT 24u

/* Link TRB [xHCI 6.4.4.1]: parameter = next ring segment; status 31:22 interrupter target;
 * control C, TC (flip the cycle state on following it), CH (the TD goes on across it), IOC */
#define XHCI_LINK_PTR_MASK 0xfffffffffffffff0ull /* 63:4 */

/* Set TR Dequeue Pointer Command TRB [xHCI 6.4.3]; [ref 1.6] */
#define XHCI_SET_DEQ_DCS 0x1u            /* parameter bit 0: dequeue cycle state */
#define XHCI_SET_DEQ_SCT_MASK 0xeu       /* parameter 3:1 stream context type */
#define XHCI_SET_DEQ_SCT_SHIFT 1u
#define XHCI_SET_DEQ_PTR_MASK 0xfffffffffffffff0ull /* parameter 63:4 */
#define XHCI_SET_DEQ_STREAM_MASK 0xffff0000u /* status 31:16 stream ID */
#define XHCI_SET_DEQ_STREAM_SHIFT 16u

/* Transfer limits [ref 1.6, 1.10] */
#define XHCI_TRB_BOUNDARY_BYTES 0x10000u /* a TRB's buffer never spans a 64 KiB boundary */
#define XHCI_TRB_LENGTH_MAX 0x10000u     /* [6.4.1.2.2] valid lengths 1..64K */
#define XHCI_TRB_IDT_MAX_BYTES 8u        /* immediate data: the 8-byte parameter, OUT only */
#define XHCI_SETUP_TRB_LENGTH 8u         /* Setup Stage: length 8 and IDT set [6.4.1.2.1] */

/* TRB types [xHCI 6.4.6, table 6-91]. The reference's Linux source lists 24 and 25 as
 * reserved; table 6-91 of 1.2, as public driver sources quote it, and HCCPARAMS2.GSC give
 * them as the Get and Set Extended Property commands. */
#define XHCI_TRB_TYPE_NORMAL 1u          /* transfer ring */
#define XHCI_TRB_TYPE_SETUP_STAGE 2u
#define XHCI_TRB_TYPE_DATA_STAGE 3u
#define XHCI_TRB_TYPE_STATUS_STAGE 4u
#define XHCI_TRB_TYPE_ISOCH 5u
#define XHCI_TRB_TYPE_LINK 6u            /* transfer and command rings */
#define XHCI_TRB_TYPE_EVENT_DATA 7u
#define XHCI_TRB_TYPE_NOOP 8u            /* transfer ring No Op */
#define XHCI_TRB_TYPE_ENABLE_SLOT 9u     /* command ring */
#define XHCI_TRB_TYPE_DISABLE_SLOT 10u
#define XHCI_TRB_TYPE_ADDRESS_DEVICE 11u
#define XHCI_TRB_TYPE_CONFIGURE_EP 12u
#define XHCI_TRB_TYPE_EVALUATE_CTX 13u
#define XHCI_TRB_TYPE_RESET_EP 14u
#define XHCI_TRB_TYPE_STOP_EP 15u
#define XHCI_TRB_TYPE_SET_TR_DEQUEUE 16u
#define XHCI_TRB_TYPE_RESET_DEVICE 17u
#define XHCI_TRB_TYPE_FORCE_EVENT 18u    /* optional, virtualization */
#define XHCI_TRB_TYPE_NEGOTIATE_BW 19u   /* optional */
#define XHCI_TRB_TYPE_SET_LT 20u         /* optional: set latency tolerance value */
#define XHCI_TRB_TYPE_GET_PORT_BW 21u
#define XHCI_TRB_TYPE_FORCE_HEADER 22u
#define XHCI_TRB_TYPE_NOOP_CMD 23u       /* command ring No Op */
#define XHCI_TRB_TYPE_GET_EXT_PROPERTY 24u /* optional (GSC) */
#define XHCI_TRB_TYPE_SET_EXT_PROPERTY 25u /* optional (GSC); 26..31 reserved */
#define XHCI_TRB_TYPE_TRANSFER_EVENT 32u /* event ring */
#define XHCI_TRB_TYPE_CMD_COMPLETION 33u
#define XHCI_TRB_TYPE_PORT_STATUS_CHANGE 34u
#define XHCI_TRB_TYPE_BW_REQUEST 35u     /* optional */
#define XHCI_TRB_TYPE_DOORBELL_EVENT 36u /* optional, virtualization */
#define XHCI_TRB_TYPE_HC_EVENT 37u
#define XHCI_TRB_TYPE_DEVICE_NOTIFICATION 38u
#define XHCI_TRB_TYPE_MFINDEX_WRAP 39u   /* 40..47 reserved */
#define XHCI_TRB_TYPE_VENDOR_FIRST 48u   /* 48..63 vendor defined */
#define XHCI_TRB_TYPE_VENDOR_LAST 63u

/* Completion codes [xHCI 6.4.5, table 6-90]; 30 is not defined */
#define XHCI_CC_INVALID 0u
#define XHCI_CC_SUCCESS 1u
#define XHCI_CC_DATA_BUFFER_ERROR 2u
#define XHCI_CC_BABBLE_DETECTED 3u
#define XHCI_CC_USB_TRANSACTION_ERROR 4u
#define XHCI_CC_TRB_ERROR 5u
#define XHCI_CC_STALL_ERROR 6u
#define XHCI_CC_RESOURCE_ERROR 7u
#define XHCI_CC_BANDWIDTH_ERROR 8u
#define XHCI_CC_NO_SLOTS_AVAILABLE 9u
#define XHCI_CC_INVALID_STREAM_TYPE 10u
#define XHCI_CC_SLOT_NOT_ENABLED 11u
#define XHCI_CC_EP_NOT_ENABLED 12u
#define XHCI_CC_SHORT_PACKET 13u
#define XHCI_CC_RING_UNDERRUN 14u
#define XHCI_CC_RING_OVERRUN 15u
#define XHCI_CC_VF_EVENT_RING_FULL 16u
#define XHCI_CC_PARAMETER_ERROR 17u
#define XHCI_CC_BANDWIDTH_OVERRUN 18u
#define XHCI_CC_CONTEXT_STATE_ERROR 19u
#define XHCI_CC_NO_PING_RESPONSE 20u
#define XHCI_CC_EVENT_RING_FULL 21u
#define XHCI_CC_INCOMPATIBLE_DEVICE 22u
#define XHCI_CC_MISSED_SERVICE 23u
#define XHCI_CC_CMD_RING_STOPPED 24u
#define XHCI_CC_CMD_ABORTED 25u
#define XHCI_CC_STOPPED 26u
#define XHCI_CC_STOPPED_LENGTH_INVALID 27u
#define XHCI_CC_STOPPED_SHORT_PACKET 28u /* older Linux trees give 28 another (1.0) name */
#define XHCI_CC_MAX_EXIT_LATENCY 29u
#define XHCI_CC_ISOCH_BUFFER_OVERRUN 31u
#define XHCI_CC_EVENT_LOST 32u
#define XHCI_CC_UNDEFINED_ERROR 33u
#define XHCI_CC_INVALID_STREAM_ID 34u
#define XHCI_CC_SECONDARY_BANDWIDTH 35u
#define XHCI_CC_SPLIT_TRANSACTION 36u    /* 37..191 reserved */
#define XHCI_CC_VENDOR_ERROR_FIRST 192u  /* 192..223 vendor defined errors */
#define XHCI_CC_VENDOR_ERROR_LAST 223u
#define XHCI_CC_VENDOR_INFO_FIRST 224u   /* 224..255 vendor defined information: success */
#define XHCI_CC_VENDOR_INFO_LAST 255u

/* ---- contexts [xHCI 6.2] ----------------------------------------------------------------- */

#define XHCI_CTX_BYTES 32u               /* HCCPARAMS1.CSZ = 0 */
#define XHCI_CTX_BYTES_CSZ 64u           /* CSZ = 1: each context doubled, the rest RsvdO */
#define XHCI_DEVICE_CTX_ENTRIES 32u      /* slot + DCI 1..31 [6.2.1] */
#define XHCI_INPUT_CTX_ENTRIES 33u       /* input control + a device context [6.2.5] */

/* Slot states, slot context dword 3 [xHCI 6.2.2]; [ref 1.8] */
#define XHCI_SLOT_STATE_DISABLED 0u      /* also Enabled: the two share 0 */
#define XHCI_SLOT_STATE_DEFAULT 1u
#define XHCI_SLOT_STATE_ADDRESSED 2u
#define XHCI_SLOT_STATE_CONFIGURED 3u

/* Endpoint states, endpoint context dword 0 [xHCI 6.2.3]; [ref 1.8] */
#define XHCI_EP_STATE_DISABLED 0u
#define XHCI_EP_STATE_RUNNING 1u
#define XHCI_EP_STATE_HALTED 2u
#define XHCI_EP_STATE_STOPPED 3u
#define XHCI_EP_STATE_ERROR 4u

/* Endpoint types, endpoint context dword 1 [xHCI 6.2.3, table 6-9] */
#define XHCI_EP_TYPE_NOT_VALID 0u
#define XHCI_EP_TYPE_ISOCH_OUT 1u
#define XHCI_EP_TYPE_BULK_OUT 2u
#define XHCI_EP_TYPE_INTERRUPT_OUT 3u
#define XHCI_EP_TYPE_CONTROL 4u
#define XHCI_EP_TYPE_ISOCH_IN 5u
#define XHCI_EP_TYPE_BULK_IN 6u
#define XHCI_EP_TYPE_INTERRUPT_IN 7u

/* Input control context [xHCI 6.2.5.1, figure 6-6]: dword indices and fields. Bit i of the
 * drop and add flags is DCI i; bit 0 of the add flags is the slot context. */
#define XHCI_ICC_DW_DROP 0u
#define XHCI_ICC_DW_ADD 1u
#define XHCI_ICC_DW_CONFIG 7u            /* used only with CIC and CIE */
#define XHCI_ICC_DROP_RSVD 0x00000003u   /* D0, D1 reserved: slot and EP0 cannot be dropped */
#define XHCI_ICC_CONFIG_VALUE_MASK 0x000000ffu /* 7:0 bConfigurationValue */
#define XHCI_ICC_INTERFACE_MASK 0x0000ff00u    /* 15:8 bInterfaceNumber */
#define XHCI_ICC_INTERFACE_SHIFT 8u
#define XHCI_ICC_ALTERNATE_MASK 0x00ff0000u    /* 23:16 bAlternateSetting */
#define XHCI_ICC_ALTERNATE_SHIFT 16u

/* Slot context [xHCI 6.2.2, figure 6-2]; dwords 4..7 are the xHC's own [ref 1.9] */
#define XHCI_SLOT_DW0_ROUTE_MASK 0x000fffffu       /* 19:0 route string */
#define XHCI_SLOT_DW0_SPEED_MASK 0x00f00000u       /* 23:20 speed ID (deprecated in 1.2) */
#define XHCI_SLOT_DW0_SPEED_SHIFT 20u
#define XHCI_SLOT_DW0_MTT 0x02000000u              /* multi-TT */
#define XHCI_SLOT_DW0_HUB 0x04000000u
#define XHCI_SLOT_DW0_CTX_ENTRIES_MASK 0xf8000000u /* 31:27 last valid DCI, 1..31 */
#define XHCI_SLOT_DW0_CTX_ENTRIES_SHIFT 27u
#define XHCI_SLOT_DW1_MAX_EXIT_LAT_MASK 0x0000ffffu /* 15:0, us */
#define XHCI_SLOT_DW1_ROOT_PORT_MASK 0x00ff0000u   /* 23:16 root hub port number, 1.. */
#define XHCI_SLOT_DW1_ROOT_PORT_SHIFT 16u
#define XHCI_SLOT_DW1_NUM_PORTS_MASK 0xff000000u   /* 31:24 ports of a hub */
#define XHCI_SLOT_DW1_NUM_PORTS_SHIFT 24u
#define XHCI_SLOT_DW2_TT_HUB_SLOT_MASK 0x000000ffu /* 7:0 parent hub slot ID */
#define XHCI_SLOT_DW2_TT_PORT_MASK 0x0000ff00u     /* 15:8 parent port number */
#define XHCI_SLOT_DW2_TT_PORT_SHIFT 8u
#define XHCI_SLOT_DW2_TTT_MASK 0x00030000u         /* 17:16 TT think time */
#define XHCI_SLOT_DW2_TTT_SHIFT 16u
#define XHCI_SLOT_DW2_INTR_TARGET_MASK 0xffc00000u /* 31:22 */
#define XHCI_SLOT_DW2_INTR_TARGET_SHIFT 22u
#define XHCI_SLOT_DW3_ADDRESS_MASK 0x000000ffu     /* 7:0 USB device address */
#define XHCI_SLOT_DW3_STATE_MASK 0xf8000000u       /* 31:27 slot state */
#define XHCI_SLOT_DW3_STATE_SHIFT 27u

/* Endpoint context [xHCI 6.2.3, figure 6-3]; dwords 5..7 are the xHC's own [ref 1.9] */
#define XHCI_EP_DW0_STATE_MASK 0x00000007u         /* 2:0 */
#define XHCI_EP_DW0_MULT_MASK 0x00000300u          /* 9:8 bursts per interval - 1 */
#define XHCI_EP_DW0_MULT_SHIFT 8u
#define XHCI_EP_DW0_MAX_PSTREAMS_MASK 0x00007c00u  /* 14:10 */
#define XHCI_EP_DW0_MAX_PSTREAMS_SHIFT 10u
#define XHCI_EP_DW0_LSA 0x00008000u                /* linear stream array */
#define XHCI_EP_DW0_INTERVAL_MASK 0x00ff0000u      /* 23:16: period 125 us << Interval */
#define XHCI_EP_DW0_INTERVAL_SHIFT 16u
#define XHCI_EP_DW0_MAX_ESIT_HI_MASK 0xff000000u   /* 31:24 (LEC) */
#define XHCI_EP_DW0_MAX_ESIT_HI_SHIFT 24u
#define XHCI_EP_DW1_CERR_MASK 0x00000006u          /* 2:1 error count, 0..3 */
#define XHCI_EP_DW1_CERR_SHIFT 1u
#define XHCI_EP_DW1_TYPE_MASK 0x00000038u          /* 5:3 */
#define XHCI_EP_DW1_TYPE_SHIFT 3u
#define XHCI_EP_DW1_HID 0x00000080u                /* host initiate disable */
#define XHCI_EP_DW1_MAX_BURST_MASK 0x0000ff00u     /* 15:8 packets per burst - 1 */
#define XHCI_EP_DW1_MAX_BURST_SHIFT 8u
#define XHCI_EP_DW1_MAX_PACKET_MASK 0xffff0000u    /* 31:16 */
#define XHCI_EP_DW1_MAX_PACKET_SHIFT 16u
#define XHCI_EP_DW2_DCS 0x00000001u                /* dequeue cycle state */
#define XHCI_EP_DEQ_PTR_MASK 0xfffffffffffffff0ull /* dwords 2-3 as one qword, 63:4 */
#define XHCI_EP_DW4_AVG_TRB_LEN_MASK 0x0000ffffu   /* 15:0 */
#define XHCI_EP_DW4_MAX_ESIT_LO_MASK 0xffff0000u   /* 31:16 */
#define XHCI_EP_DW4_MAX_ESIT_LO_SHIFT 16u
#define XHCI_EP_INTERVAL_UNIT_US 125u

/* Stream context [xHCI 6.2.4]; [ref 1.9] */
#define XHCI_STREAM_CTX_BYTES 16u
#define XHCI_STREAM_CTX_DCS 0x1u
#define XHCI_STREAM_CTX_SCT_MASK 0xeu    /* 3:1 stream context type */
#define XHCI_STREAM_CTX_SCT_SHIFT 1u
#define XHCI_STREAM_CTX_PTR_MASK 0xfffffffffffffff0ull

/* ---- event ring segment table [xHCI 6.5, figure 6-40] ------------------------------------ */

#define XHCI_ERST_ENTRY_BYTES 16u
#define XHCI_ERST_SEG_BASE 0x0u          /* 64: the segment, 64-byte aligned */
#define XHCI_ERST_SEG_SIZE 0x8u          /* 32: 15:0 TRBs in the segment; 12..15 RsvdZ */
#define XHCI_ERST_SEG_BASE_MASK 0xffffffffffffffc0ull
#define XHCI_ERST_SEG_SIZE_MASK 0x0000ffffu
#define XHCI_ERST_SEG_TRBS_MIN 16u       /* [6.5] */
#define XHCI_ERST_SEG_TRBS_MAX 4096u

/* Sizes, boundaries and alignments [xHCI 6, table 6-1: Data Structure Max Size, Boundary,
 * and Alignment Requirement Summary] */
#define XHCI_RING_SEG_MAX_BYTES 0x10000u /* any ring segment: at most 64 KiB ... */
#define XHCI_RING_SEG_BOUNDARY_BYTES 0x10000u /* ... and within one 64 KiB block */
#define XHCI_TRANSFER_RING_ALIGN_BYTES 16u
#define XHCI_COMMAND_RING_ALIGN_BYTES 64u
#define XHCI_EVENT_RING_ALIGN_BYTES 64u
#define XHCI_ERST_ALIGN_BYTES 64u
#define XHCI_DCBAA_ALIGN_BYTES 64u
#define XHCI_DEVICE_CTX_ALIGN_BYTES 64u
#define XHCI_INPUT_CTX_ALIGN_BYTES 64u

/* ---- extended capabilities [xHCI 7, tables 7-1 and 7-2], at xECP dwords from the base ---- */

#define XHCI_XCAP_ID_MASK 0x000000ffu
#define XHCI_XCAP_NEXT_MASK 0x0000ff00u  /* dwords to the next one; 0: the last */
#define XHCI_XCAP_NEXT_SHIFT 8u
#define XHCI_XCAP_SPECIFIC_MASK 0xffff0000u
#define XHCI_XCAP_SPECIFIC_SHIFT 16u
#define XHCI_XCAP_LEGACY 1u              /* USB legacy support [7.1] */
#define XHCI_XCAP_PROTOCOL 2u            /* supported protocol [7.2] */
#define XHCI_XCAP_EXT_PM 3u              /* extended power management */
#define XHCI_XCAP_IO_VIRT 4u             /* I/O virtualization */
#define XHCI_XCAP_MSG_INTERRUPT 5u       /* message interrupt */
#define XHCI_XCAP_LOCAL_MEMORY 6u        /* table 7-2; beyond ref */
#define XHCI_XCAP_DEBUG 10u              /* USB debug capability */
#define XHCI_XCAP_EXT_MSG_INTERRUPT 17u  /* table 7-2; beyond ref */
#define XHCI_XCAP_VENDOR_FIRST 192u      /* 192..255 vendor defined */

/* USB legacy support [xHCI 7.1.1, 7.1.2] */
#define XHCI_LEGSUP 0x0u                 /* USBLEGSUP, the capability's first dword */
#define XHCI_LEGSUP_BIOS_OWNED 0x00010000u
#define XHCI_LEGSUP_OS_OWNED 0x01000000u
#define XHCI_LEGSUP_CTLSTS 0x4u          /* USBLEGCTLSTS */

/* Supported protocol [xHCI 7.2]; [ref 1.12] */
#define XHCI_PROTO_MINOR_MASK 0x00ff0000u /* dword 0: minor revision, BCD */
#define XHCI_PROTO_MINOR_SHIFT 16u
#define XHCI_PROTO_MAJOR_MASK 0xff000000u /* dword 0: major revision, BCD */
#define XHCI_PROTO_MAJOR_SHIFT 24u
#define XHCI_PROTO_MAJOR_USB2 0x02u
#define XHCI_PROTO_MAJOR_USB3 0x03u
#define XHCI_PROTO_NAME 0x4u             /* dword 1: name string */
#define XHCI_PROTO_NAME_USB 0x20425355u  /* "USB " read as a little-endian dword */
#define XHCI_PROTO_PORTS 0x8u            /* dword 2 */
#define XHCI_PROTO_PORT_OFFSET_MASK 0x000000ffu /* first port, 1-based */
#define XHCI_PROTO_PORT_COUNT_MASK 0x0000ff00u
#define XHCI_PROTO_PORT_COUNT_SHIFT 8u
#define XHCI_PROTO_DEFINED_MASK 0x0fff0000u /* 27:16 protocol defined */
#define XHCI_PROTO_DEFINED_SHIFT 16u
#define XHCI_PROTO_PSIC_MASK 0xf0000000u /* 31:28 PSI dwords that follow */
#define XHCI_PROTO_PSIC_SHIFT 28u
#define XHCI_PROTO_SLOT 0xcu             /* dword 3 */
#define XHCI_PROTO_SLOT_TYPE_MASK 0x0000001fu /* 4:0, for Enable Slot */
#define XHCI_PROTO_PSI 0x10u             /* the first PSI dword [7.2.1] */

/* Protocol speed ID dword [xHCI 7.2.1, table 7-10] */
#define XHCI_PSI_PSIV_MASK 0x0000000fu   /* 3:0 the value PORTSC.Speed shows */
#define XHCI_PSI_PSIE_MASK 0x00000030u   /* 5:4 exponent of PSIM */
#define XHCI_PSI_PSIE_SHIFT 4u
#define XHCI_PSI_PLT_MASK 0x000000c0u    /* 7:6 link type */
#define XHCI_PSI_PLT_SHIFT 6u
#define XHCI_PSI_PFD 0x00000100u         /* full duplex */
#define XHCI_PSI_LP_MASK 0x0000c000u     /* 15:14 link protocol */
#define XHCI_PSI_LP_SHIFT 14u
#define XHCI_PSI_PSIM_MASK 0xffff0000u   /* 31:16 mantissa */
#define XHCI_PSI_PSIM_SHIFT 16u
#define XHCI_PSIE_BPS 0u                 /* PSIM in bit/s */
#define XHCI_PSIE_KBPS 1u
#define XHCI_PSIE_MBPS 2u
#define XHCI_PSIE_GBPS 3u

#endif /* IOSIM_XHCI_REGS_H */
