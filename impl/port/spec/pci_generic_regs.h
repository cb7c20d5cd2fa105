/*
 * pci_generic_regs.h - registers of the generic scenario-defined PCI
 * device, in its first memory BAR. The device is not real hardware: it is a
 * function with the IDs, BARs and capabilities a scenario gives it, so that
 * pcid and hostile-driver scenarios can be tested without xHCI, plus a few
 * registers that drive its interrupt and DMA paths. docs/scenario-format.md
 * repeats the map for users.
 *
 * It lives with the specifications because it is one: the contract between
 * the model (models/pci/pci_generic) and its driver (impl/drivers/pcitest),
 * which must not see each other.
 */
#ifndef IOSIM_PCI_GENERIC_REGS_H
#define IOSIM_PCI_GENERIC_REGS_H

#define PCIGEN_REG_ID 0x00u          /* RO: device << 16 | vendor */
#define PCIGEN_REG_SCRATCH 0x04u     /* RW: no effect */
#define PCIGEN_REG_IRQ 0x08u         /* WO: signal this vector (INTx, MSI or MSI-X) */
#define PCIGEN_REG_IRQ_ACK 0x0cu     /* WO: withdraw the INTx request */
#define PCIGEN_REG_DMA_ADDR_LO 0x10u /* RW */
#define PCIGEN_REG_DMA_ADDR_HI 0x14u /* RW */
#define PCIGEN_REG_DMA_GO 0x18u      /* WO: 1 reads 4 bytes from DMA_ADDR into DMA_DATA,
                                        2 writes DMA_DATA to DMA_ADDR */
#define PCIGEN_REG_DMA_DATA 0x1cu    /* RW */
#define PCIGEN_REG_DMA_STATUS 0x20u  /* RO: PCIGEN_DMA_* of the last DMA */
#define PCIGEN_REG_FILE 0x40u        /* RW: a file of 32-bit registers from here */

#define PCIGEN_DMA_OK 0u
#define PCIGEN_DMA_NO_MASTER 1u      /* bus mastering off: nothing left the device */
#define PCIGEN_DMA_REFUSED 2u        /* the IOMMU refused it */
#define PCIGEN_DMA_FAILED 3u         /* not memory, or a bus error */
#define PCIGEN_DMA_BUSY 4u           /* GO while a DMA is under way */

#define PCIGEN_DMA_GO_READ 1u
#define PCIGEN_DMA_GO_WRITE 2u

#define PCIGEN_FILE_REGS_DEFAULT 16u
#define PCIGEN_FILE_REGS_MAX 1024u

#endif /* IOSIM_PCI_GENERIC_REGS_H */
