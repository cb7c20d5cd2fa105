/*
 * pci_regs.h - facts of the PCI specifications the PCI model and pcid rely
 * on, one per line, each with the section it comes from.
 *
 *   [LB]   PCI Local Bus Specification, Revision 3.0
 *   [PM]   PCI Bus Power Management Interface Specification, Revision 1.2
 *   [PCIe] PCI Express Base Specification, Revision 4.0
 *   [FW]   PCI Firmware Specification, Revision 3.2 (ECAM)
 *
 * impl/port/spec/ holds the facts of public specifications: the contract
 * between production code and the hardware it drives, which is why it sits
 * in the port. Header-only, constants only, freestanding: the drivers
 * (impl/drivers/pcid) and the device models (models/pci) both include it,
 * the one exception to "models never include impl/" (a spec is neither
 * hardware nor driver). tests/impl/spec checks the values against the
 * tables of the specs.
 */
#ifndef IOSIM_PCI_REGS_H
#define IOSIM_PCI_REGS_H

/* ---- configuration space [LB 6.1], [PCIe 7.2.2] ------------------------------------------ */

#define PCI_CFG_SIZE 256u          /* conventional configuration space [LB 6.1] */
#define PCI_CFG_EXT_SIZE 4096u     /* PCI Express extended configuration space [PCIe 7.2.2] */

/* ECAM: a function's 4 KiB window at base + (bus << 20 | dev << 15 | fn << 12) [PCIe 7.2.2] */
#define PCI_ECAM_BUS_SHIFT 20u
#define PCI_ECAM_DEV_SHIFT 15u
#define PCI_ECAM_FN_SHIFT 12u
#define PCI_ECAM_BYTES_PER_BUS (1u << 20)
#define PCI_BUSES 256u
#define PCI_DEVS_PER_BUS 32u
#define PCI_FNS_PER_DEV 8u

/* Type 0 / common header offsets [LB 6.1, figure 6-1] */
#define PCI_VENDOR_ID 0x00u        /* 16, RO; 0xffff: no function */
#define PCI_DEVICE_ID 0x02u        /* 16, RO */
#define PCI_COMMAND 0x04u          /* 16 [LB 6.2.2] */
#define PCI_STATUS 0x06u           /* 16 [LB 6.2.3] */
#define PCI_REVISION_ID 0x08u      /* 8, RO */
#define PCI_PROG_IF 0x09u          /* 8, RO: register-level programming interface */
#define PCI_SUBCLASS 0x0au         /* 8, RO */
#define PCI_CLASS 0x0bu            /* 8, RO: base class [LB appendix D] */
#define PCI_CACHE_LINE_SIZE 0x0cu  /* 8, RW */
#define PCI_LATENCY_TIMER 0x0du    /* 8; RO 0 on PCI Express [PCIe 7.5.1.1.7] */
#define PCI_HEADER_TYPE 0x0eu      /* 8, RO */
#define PCI_BIST 0x0fu             /* 8 */
#define PCI_BAR0 0x10u             /* 6 x 32 [LB 6.2.5.1] */
#define PCI_BAR_COUNT 6u
#define PCI_CARDBUS_CIS 0x28u      /* 32, RO */
#define PCI_SUBSYS_VENDOR_ID 0x2cu /* 16, RO */
#define PCI_SUBSYS_ID 0x2eu        /* 16, RO */
#define PCI_ROM_BAR 0x30u          /* 32 [LB 6.2.5.2] */
#define PCI_CAP_PTR 0x34u          /* 8, RO; bits 1:0 reserved [LB 6.7] */
#define PCI_INTERRUPT_LINE 0x3cu   /* 8, RW: for software only */
#define PCI_INTERRUPT_PIN 0x3du    /* 8, RO: 0 none, 1..4 INTA#..INTD# */
#define PCI_MIN_GNT 0x3eu          /* 8, RO */
#define PCI_MAX_LAT 0x3fu          /* 8, RO */

/* Type 1 (PCI-to-PCI bridge) header [PCI-to-PCI Bridge Spec 1.2, 3.2] */
#define PCI_BRIDGE_PRIMARY_BUS 0x18u     /* 8, RW */
#define PCI_BRIDGE_SECONDARY_BUS 0x19u   /* 8, RW */
#define PCI_BRIDGE_SUBORDINATE_BUS 0x1au /* 8, RW */
#define PCI_BRIDGE_IO_BASE 0x1cu         /* 8; RO 0 with IO_LIMIT: no I/O window [3.2.5.6] */
#define PCI_BRIDGE_IO_LIMIT 0x1du        /* 8 */
#define PCI_BRIDGE_MEM_BASE 0x20u        /* 16, RW: bits 15:4 = address 31:20 [3.2.5.8] */
#define PCI_BRIDGE_MEM_LIMIT 0x22u       /* 16, RW: bits 15:4 = address 31:20 of the last MiB */
#define PCI_BRIDGE_MEM_ADDR_MASK 0xfff0u
#define PCI_BRIDGE_MEM_SHIFT 16u         /* register bits 15:4 hold address bits 31:20 */
#define PCI_BRIDGE_WINDOW_UNIT (1u << 20) /* windows are in 1 MiB units [3.2.5.8] */
#define PCI_BRIDGE_PREF_BASE 0x24u       /* 16; RO 0 with PREF_LIMIT: none [3.2.5.9] */
#define PCI_BRIDGE_PREF_LIMIT 0x26u      /* 16 */
#define PCI_BRIDGE_PREF_BASE_UPPER 0x28u /* 32: address bits 63:32 [3.2.5.10] */
#define PCI_BRIDGE_PREF_LIMIT_UPPER 0x2cu /* 32 */
#define PCI_BRIDGE_CONTROL 0x3eu         /* 16 */

/* Header type [LB 6.2.1] */
#define PCI_HEADER_TYPE_MASK 0x7fu
#define PCI_HEADER_TYPE_NORMAL 0x00u
#define PCI_HEADER_TYPE_BRIDGE 0x01u
#define PCI_HEADER_MULTIFUNCTION 0x80u

/* Command register bits [LB 6.2.2, table 6-2]; [PCIe 7.5.1.1.3] hardwires 3, 4, 5, 7, 9 to 0 */
#define PCI_COMMAND_IO 0x0001u
#define PCI_COMMAND_MEMORY 0x0002u
#define PCI_COMMAND_MASTER 0x0004u
#define PCI_COMMAND_SPECIAL 0x0008u
#define PCI_COMMAND_MWI 0x0010u
#define PCI_COMMAND_VGA_SNOOP 0x0020u
#define PCI_COMMAND_PARITY 0x0040u
#define PCI_COMMAND_STEPPING 0x0080u
#define PCI_COMMAND_SERR 0x0100u
#define PCI_COMMAND_FAST_B2B 0x0200u
#define PCI_COMMAND_INTX_DISABLE 0x0400u /* [LB 6.2.2]: added in 2.3 */

/* Status register bits [LB 6.2.3, table 6-3] */
#define PCI_STATUS_INTERRUPT 0x0008u     /* RO: INTx asserted */
#define PCI_STATUS_CAP_LIST 0x0010u      /* RO */
#define PCI_STATUS_66MHZ 0x0020u         /* RO */
#define PCI_STATUS_FAST_B2B 0x0080u      /* RO */
#define PCI_STATUS_MASTER_PARITY 0x0100u /* RW1C */
#define PCI_STATUS_DEVSEL_MASK 0x0600u   /* RO */
#define PCI_STATUS_SIG_TARGET_ABORT 0x0800u /* RW1C */
#define PCI_STATUS_REC_TARGET_ABORT 0x1000u /* RW1C */
#define PCI_STATUS_REC_MASTER_ABORT 0x2000u /* RW1C */
#define PCI_STATUS_SIG_SYSTEM_ERROR 0x4000u /* RW1C */
#define PCI_STATUS_DETECTED_PARITY 0x8000u  /* RW1C */
#define PCI_STATUS_W1C 0xf900u

/* Base address registers [LB 6.2.5.1, figures 6-5 and 6-6] */
#define PCI_BAR_SPACE_IO 0x1u            /* bit 0: 1 I/O space, 0 memory */
#define PCI_BAR_MEM_TYPE_MASK 0x6u
#define PCI_BAR_MEM_TYPE_32 0x0u
#define PCI_BAR_MEM_TYPE_64 0x4u         /* takes this and the next BAR */
#define PCI_BAR_MEM_PREFETCH 0x8u
#define PCI_BAR_MEM_ADDR_MASK 0xfffffff0u
#define PCI_BAR_IO_ADDR_MASK 0xfffffffcu
#define PCI_BAR_MEM_SIZE_MIN 16u         /* the 4 type bits [LB 6.2.5.1]; pcid rounds up to 4 KiB */
#define PCI_BAR_IO_SIZE_MIN 4u
#define PCI_BAR_IO_SIZE_MAX 256u         /* [LB 6.2.5.1] "I/O ... 256 bytes" */
#define PCI_ROM_ENABLE 0x1u
#define PCI_ROM_ADDR_MASK 0xfffff800u    /* [LB 6.2.5.2] */

/* Capability list [LB 6.7] and IDs [PCI Code and ID Assignment Spec 1.11, 2] */
#define PCI_CAP_ID 0x0u
#define PCI_CAP_NEXT 0x1u
#define PCI_CAP_PTR_MASK 0xfcu
#define PCI_CAP_FIRST 0x40u              /* capabilities live after the header */
#define PCI_CAP_ID_PM 0x01u
#define PCI_CAP_ID_MSI 0x05u
#define PCI_CAP_ID_PCIE 0x10u
#define PCI_CAP_ID_MSIX 0x11u
#define PCI_CAPS_MAX 48u                 /* (256 - 64) / 4: a longer chain is a loop */

/* Power management capability [PM 3.2] */
#define PCI_PM_PMC 0x2u                  /* 16, RO */
#define PCI_PM_PMC_VERSION_1_2 0x3u      /* bits 2:0 */
#define PCI_PM_CSR 0x4u                  /* 16 */
#define PCI_PM_CSR_STATE_MASK 0x0003u    /* RW: D0..D3hot */
#define PCI_PM_CSR_NO_SOFT_RESET 0x0008u /* RO */
#define PCI_PM_CSR_PME_ENABLE 0x0100u    /* RW */
#define PCI_PM_CSR_PME_STATUS 0x8000u    /* RW1C */
#define PCI_PM_SIZE 8u

/* MSI capability [LB 6.8.1] */
#define PCI_MSI_CTRL 0x2u                /* 16 */
#define PCI_MSI_CTRL_ENABLE 0x0001u      /* RW */
#define PCI_MSI_CTRL_MMC_SHIFT 1u        /* RO: log2 vectors requested, bits 3:1 */
#define PCI_MSI_CTRL_MMC_MASK 0x000eu
#define PCI_MSI_CTRL_MME_SHIFT 4u        /* RW: log2 vectors allocated, bits 6:4 */
#define PCI_MSI_CTRL_MME_MASK 0x0070u
#define PCI_MSI_CTRL_64BIT 0x0080u       /* RO */
#define PCI_MSI_CTRL_PVM 0x0100u         /* RO: per-vector masking */
#define PCI_MSI_ADDR_LO 0x4u             /* 32, RW; bits 1:0 RO 0 */
#define PCI_MSI_ADDR_HI 0x8u             /* 32, RW (64-bit only) */
#define PCI_MSI_DATA_32 0x8u             /* 16, RW */
#define PCI_MSI_DATA_64 0xcu
#define PCI_MSI_MASK_32 0xcu             /* 32, RW (per-vector masking only) */
#define PCI_MSI_MASK_64 0x10u
#define PCI_MSI_PENDING_32 0x10u         /* 32, RO */
#define PCI_MSI_PENDING_64 0x14u
#define PCI_MSI_VECTORS_LOG2_MAX 5u      /* 32 vectors */

/* MSI-X capability [LB 6.8.2] and table [LB 6.8.2.6-9] */
#define PCI_MSIX_CTRL 0x2u               /* 16 */
#define PCI_MSIX_CTRL_SIZE_MASK 0x07ffu  /* RO: table size - 1 */
#define PCI_MSIX_CTRL_FUNC_MASK 0x4000u  /* RW */
#define PCI_MSIX_CTRL_ENABLE 0x8000u     /* RW */
#define PCI_MSIX_TABLE 0x4u              /* 32, RO: offset | BIR */
#define PCI_MSIX_PBA 0x8u                /* 32, RO: offset | BIR */
#define PCI_MSIX_BIR_MASK 0x7u
#define PCI_MSIX_OFFSET_MASK 0xfffffff8u
#define PCI_MSIX_SIZE 12u
#define PCI_MSIX_VECTORS_MAX 2048u
#define PCI_MSIX_ENTRY_SIZE 16u
#define PCI_MSIX_ENTRY_ADDR_LO 0x0u      /* RW; bits 1:0 RO 0 */
#define PCI_MSIX_ENTRY_ADDR_HI 0x4u      /* RW */
#define PCI_MSIX_ENTRY_DATA 0x8u         /* RW */
#define PCI_MSIX_ENTRY_CTRL 0xcu         /* RW: bit 0 mask, set after reset */
#define PCI_MSIX_ENTRY_CTRL_MASK 0x1u

/* PCI Express capability [PCIe 7.5.3] */
#define PCI_EXP_CAPS 0x2u                /* 16, RO */
#define PCI_EXP_CAPS_VERSION_2 0x2u      /* bits 3:0 */
#define PCI_EXP_CAPS_TYPE_SHIFT 4u       /* bits 7:4: device/port type */
#define PCI_EXP_TYPE_ENDPOINT 0x0u
#define PCI_EXP_TYPE_ROOT_PORT 0x4u
#define PCI_EXP_TYPE_RC_ENDPOINT 0x9u
#define PCI_EXP_DEVCAP 0x4u              /* 32, RO */
#define PCI_EXP_DEVCTL 0x8u              /* 16, RW */
#define PCI_EXP_DEVSTA 0xau              /* 16: bits 3:0 RW1C error bits */
#define PCI_EXP_LNKCAP 0xcu              /* 32, RO: bits 3:0 max speed, 9:4 max width */
#define PCI_EXP_LNKCTL 0x10u             /* 16, RW */
#define PCI_EXP_LNKSTA 0x12u             /* 16, RO: bits 3:0 current speed, 9:4 width */
#define PCI_EXP_LNK_SPEED_MASK 0x000fu
#define PCI_EXP_LNK_WIDTH_SHIFT 4u
#define PCI_EXP_LNK_WIDTH_MASK 0x03f0u
#define PCI_EXP_SIZE 0x3cu               /* version 2 capability */
#define PCI_EXP_GEN_MAX 5u               /* 1: 2.5 GT/s ... 5: 32 GT/s */

/* Class codes [PCI Code and ID Assignment Spec 1.11, 1] */
#define PCI_CLASS_MASS_STORAGE 0x01u
#define PCI_CLASS_NETWORK 0x02u
#define PCI_CLASS_BRIDGE 0x06u
#define PCI_SUBCLASS_BRIDGE_HOST 0x00u
#define PCI_SUBCLASS_BRIDGE_PCI 0x04u
#define PCI_CLASS_SERIAL_BUS 0x0cu
#define PCI_SUBCLASS_SERIAL_USB 0x03u
#define PCI_PROG_IF_USB_XHCI 0x30u

/* Interrupt messages an x86 platform decodes as interrupts [Intel SDM vol. 3, 11.11.1] */
#define PCI_MSI_X86_BASE 0xfee00000u
#define PCI_MSI_X86_MASK 0xfff00000u

#endif /* IOSIM_PCI_REGS_H */
