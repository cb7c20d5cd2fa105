/*
 * impl/port/spec/pci_regs.h against the tables of the specifications it
 * cites: each row is a fact as the spec prints it (offset or value, width),
 * and the relations between facts (fields fit their registers, masks do not
 * overlap, layouts do not collide) are checked too.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "impl/port/spec/pci_generic_regs.h"
#include "impl/port/spec/pci_regs.h"
#include "tests/impl/spec/spec_test_util.h"

/* [LB 6.1, figure 6-1]: the type 0 header */
static const struct fact header[] = {
    FACT(PCI_VENDOR_ID, 0x00), FACT(PCI_DEVICE_ID, 0x02), FACT(PCI_COMMAND, 0x04),
    FACT(PCI_STATUS, 0x06), FACT(PCI_REVISION_ID, 0x08), FACT(PCI_PROG_IF, 0x09),
    FACT(PCI_SUBCLASS, 0x0a), FACT(PCI_CLASS, 0x0b), FACT(PCI_CACHE_LINE_SIZE, 0x0c),
    FACT(PCI_LATENCY_TIMER, 0x0d), FACT(PCI_HEADER_TYPE, 0x0e), FACT(PCI_BIST, 0x0f),
    FACT(PCI_BAR0, 0x10), FACT(PCI_CARDBUS_CIS, 0x28), FACT(PCI_SUBSYS_VENDOR_ID, 0x2c),
    FACT(PCI_SUBSYS_ID, 0x2e), FACT(PCI_ROM_BAR, 0x30), FACT(PCI_CAP_PTR, 0x34),
    FACT(PCI_INTERRUPT_LINE, 0x3c), FACT(PCI_INTERRUPT_PIN, 0x3d), FACT(PCI_MIN_GNT, 0x3e),
    FACT(PCI_MAX_LAT, 0x3f),
    /* [PCI-to-PCI Bridge 3.2] */
    FACT(PCI_BRIDGE_PRIMARY_BUS, 0x18), FACT(PCI_BRIDGE_SECONDARY_BUS, 0x19),
    FACT(PCI_BRIDGE_SUBORDINATE_BUS, 0x1a), FACT(PCI_BRIDGE_MEM_BASE, 0x20),
    FACT(PCI_BRIDGE_MEM_LIMIT, 0x22), FACT(PCI_BRIDGE_CONTROL, 0x3e),
    FACT(PCI_BRIDGE_IO_BASE, 0x1c), FACT(PCI_BRIDGE_IO_LIMIT, 0x1d),
    FACT(PCI_BRIDGE_MEM_ADDR_MASK, 0xfff0), FACT(PCI_BRIDGE_MEM_SHIFT, 16),
    FACT(PCI_BRIDGE_WINDOW_UNIT, 0x100000), FACT(PCI_BRIDGE_PREF_BASE, 0x24),
    FACT(PCI_BRIDGE_PREF_LIMIT, 0x26), FACT(PCI_BRIDGE_PREF_BASE_UPPER, 0x28),
    FACT(PCI_BRIDGE_PREF_LIMIT_UPPER, 0x2c),
};

/* [LB 6.2.2 table 6-2], [LB 6.2.3 table 6-3], [LB 6.2.5.1] */
static const struct fact bits[] = {
    FACT(PCI_COMMAND_IO, 1u << 0), FACT(PCI_COMMAND_MEMORY, 1u << 1),
    FACT(PCI_COMMAND_MASTER, 1u << 2), FACT(PCI_COMMAND_SPECIAL, 1u << 3),
    FACT(PCI_COMMAND_MWI, 1u << 4), FACT(PCI_COMMAND_VGA_SNOOP, 1u << 5),
    FACT(PCI_COMMAND_PARITY, 1u << 6), FACT(PCI_COMMAND_STEPPING, 1u << 7),
    FACT(PCI_COMMAND_SERR, 1u << 8), FACT(PCI_COMMAND_FAST_B2B, 1u << 9),
    FACT(PCI_COMMAND_INTX_DISABLE, 1u << 10),
    FACT(PCI_STATUS_INTERRUPT, 1u << 3), FACT(PCI_STATUS_CAP_LIST, 1u << 4),
    FACT(PCI_STATUS_66MHZ, 1u << 5), FACT(PCI_STATUS_FAST_B2B, 1u << 7),
    FACT(PCI_STATUS_MASTER_PARITY, 1u << 8), FACT(PCI_STATUS_DEVSEL_MASK, 3u << 9),
    FACT(PCI_STATUS_SIG_TARGET_ABORT, 1u << 11), FACT(PCI_STATUS_REC_TARGET_ABORT, 1u << 12),
    FACT(PCI_STATUS_REC_MASTER_ABORT, 1u << 13), FACT(PCI_STATUS_SIG_SYSTEM_ERROR, 1u << 14),
    FACT(PCI_STATUS_DETECTED_PARITY, 1u << 15),
    FACT(PCI_BAR_SPACE_IO, 1u << 0), FACT(PCI_BAR_MEM_TYPE_64, 2u << 1),
    FACT(PCI_BAR_MEM_PREFETCH, 1u << 3), FACT(PCI_HEADER_MULTIFUNCTION, 1u << 7),
};

/* [Code and ID Assignment 2], [PM 3.2], [LB 6.8.1, 6.8.2], [PCIe 7.5.3] */
static const struct fact caps[] = {
    FACT(PCI_CAP_ID_PM, 0x01), FACT(PCI_CAP_ID_MSI, 0x05), FACT(PCI_CAP_ID_PCIE, 0x10),
    FACT(PCI_CAP_ID_MSIX, 0x11), FACT(PCI_PM_PMC, 2), FACT(PCI_PM_CSR, 4),
    FACT(PCI_MSI_CTRL, 2), FACT(PCI_MSI_ADDR_LO, 4), FACT(PCI_MSI_ADDR_HI, 8),
    FACT(PCI_MSI_DATA_32, 8), FACT(PCI_MSI_DATA_64, 0xc), FACT(PCI_MSI_MASK_32, 0xc),
    FACT(PCI_MSI_MASK_64, 0x10), FACT(PCI_MSI_PENDING_32, 0x10), FACT(PCI_MSI_PENDING_64, 0x14),
    FACT(PCI_MSI_CTRL_64BIT, 1u << 7), FACT(PCI_MSI_CTRL_PVM, 1u << 8),
    FACT(PCI_MSIX_CTRL, 2), FACT(PCI_MSIX_TABLE, 4), FACT(PCI_MSIX_PBA, 8),
    FACT(PCI_MSIX_CTRL_FUNC_MASK, 1u << 14), FACT(PCI_MSIX_CTRL_ENABLE, 1u << 15),
    FACT(PCI_MSIX_ENTRY_SIZE, 16), FACT(PCI_MSIX_ENTRY_DATA, 8), FACT(PCI_MSIX_ENTRY_CTRL, 12),
    FACT(PCI_EXP_CAPS, 2), FACT(PCI_EXP_DEVCAP, 4), FACT(PCI_EXP_DEVCTL, 8),
    FACT(PCI_EXP_DEVSTA, 0xa), FACT(PCI_EXP_LNKCAP, 0xc), FACT(PCI_EXP_LNKCTL, 0x10),
    FACT(PCI_EXP_LNKSTA, 0x12), FACT(PCI_EXP_TYPE_ROOT_PORT, 4),
    FACT(PCI_CLASS_SERIAL_BUS, 0x0c), FACT(PCI_SUBCLASS_SERIAL_USB, 0x03),
    FACT(PCI_PROG_IF_USB_XHCI, 0x30), FACT(PCI_CLASS_BRIDGE, 0x06),
    FACT(PCI_SUBCLASS_BRIDGE_PCI, 0x04),
};

Test(pci_regs, the_header_offsets_are_the_specs) { spec_check_facts(FACTS(header)); }
Test(pci_regs, the_register_bits_are_the_specs) { spec_check_facts(FACTS(bits)); }
Test(pci_regs, the_capability_layouts_are_the_specs) { spec_check_facts(FACTS(caps)); }

Test(pci_regs, ecam_gives_every_function_4_kib_and_every_bus_1_mib)
{
    cr_expect_eq(1u << PCI_ECAM_FN_SHIFT, PCI_CFG_EXT_SIZE);
    cr_expect_eq(PCI_FNS_PER_DEV << PCI_ECAM_FN_SHIFT, 1u << PCI_ECAM_DEV_SHIFT);
    cr_expect_eq(PCI_DEVS_PER_BUS << PCI_ECAM_DEV_SHIFT, 1u << PCI_ECAM_BUS_SHIFT);
    cr_expect_eq(PCI_ECAM_BYTES_PER_BUS, 1u << PCI_ECAM_BUS_SHIFT);
    cr_expect_eq((uint64_t)PCI_BUSES * PCI_ECAM_BYTES_PER_BUS, 256ull << 20);
}

Test(pci_regs, masks_and_fields_fit_their_registers)
{
    cr_expect_eq(PCI_STATUS_W1C, PCI_STATUS_MASTER_PARITY | PCI_STATUS_SIG_TARGET_ABORT |
                                     PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |
                                     PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY);
    cr_expect_eq(PCI_BAR_MEM_ADDR_MASK & 0xfu, 0);
    cr_expect_eq(PCI_BAR_IO_ADDR_MASK & 0x3u, 0);
    cr_expect_eq(PCI_MSI_CTRL_MMC_MASK, 7u << PCI_MSI_CTRL_MMC_SHIFT);
    cr_expect_eq(PCI_MSI_CTRL_MME_MASK, 7u << PCI_MSI_CTRL_MME_SHIFT);
    cr_expect_eq(PCI_MSIX_CTRL_SIZE_MASK + 1u, PCI_MSIX_VECTORS_MAX);
    cr_expect_eq(PCI_MSIX_BIR_MASK & PCI_MSIX_OFFSET_MASK, 0);
    cr_expect_eq(PCI_EXP_LNK_WIDTH_MASK, 0x3fu << PCI_EXP_LNK_WIDTH_SHIFT);
    cr_expect_eq(PCI_CAPS_MAX, (PCI_CFG_SIZE - PCI_CAP_FIRST) / 4);
    cr_expect_leq(PCI_MSI_PENDING_64 + 4u, 24u, "an MSI capability fits in 24 bytes");
}

/* The generic device's register map is this project's own contract
 * (docs/scenario-format.md, `type: pci`): the model and the
 * pcitest driver meet only here. */
Test(pci_regs, the_generic_device_map_is_the_documented_one)
{
    static const struct fact map[] = {
        FACT(PCIGEN_REG_ID, 0x00), FACT(PCIGEN_REG_SCRATCH, 0x04), FACT(PCIGEN_REG_IRQ, 0x08),
        FACT(PCIGEN_REG_IRQ_ACK, 0x0c), FACT(PCIGEN_REG_DMA_ADDR_LO, 0x10),
        FACT(PCIGEN_REG_DMA_ADDR_HI, 0x14), FACT(PCIGEN_REG_DMA_GO, 0x18),
        FACT(PCIGEN_REG_DMA_DATA, 0x1c), FACT(PCIGEN_REG_DMA_STATUS, 0x20),
        FACT(PCIGEN_REG_FILE, 0x40), FACT(PCIGEN_DMA_OK, 0), FACT(PCIGEN_DMA_NO_MASTER, 1),
        FACT(PCIGEN_DMA_REFUSED, 2), FACT(PCIGEN_DMA_FAILED, 3), FACT(PCIGEN_DMA_BUSY, 4),
        FACT(PCIGEN_DMA_GO_READ, 1), FACT(PCIGEN_DMA_GO_WRITE, 2),
    };
    spec_check_facts(FACTS(map));
}
