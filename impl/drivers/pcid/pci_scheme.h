/*
 * pci_scheme.h - the `pci:` scheme pcid serves, as a driver speaks it.
 * Shared by pcid (pcid_serve.c) and the drivers' library (pci_client.h).
 *
 * A driver pcid started reaches pcid over a userspace -> userspace ring: a
 * secondary ring the driver offers to scheme "pci" through its own kernel
 * ring (iou_prep_peer), the seed's pcid <-> xhcid path. The kernel tells
 * pcid which process offers the ring; pcid binds the ring to that process
 * and serves on it the one function it started that process for. Requests
 * through the kernel (a plain open("pci:...")) are refused: the kernel does
 * not say who asks, so pcid could not check.
 *
 * Requests are SqEntry64s; user_data is the driver's and comes back in the
 * CQE; status is a result or a negative errno. Buffers are the driver's
 * DMA memory (pcid reads and writes them through port_user_ptr).
 *
 *   OPEN   addr/len: "BB:DD.F", the `pci` argument pcid started the driver
 *          with                                    -> PCI_SCHEME_HANDLE
 *   READ   fd, offset PCI_SCHEME_INFO, addr, len >= sizeof(struct
 *          pci_scheme_info)                        -> sizeof, info in addr
 *   READ   fd, offset PCI_SCHEME_CFG + reg, len 1, 2 or 4 (reg aligned to
 *          it, below 4096), addr                   -> len, the value in addr
 *   WRITE  fd, offset PCI_SCHEME_CFG + reg, ...    -> len. The BARs, the
 *          expansion ROM BAR and the MSI / MSI-X capabilities are pcid's:
 *          -EACCES.
 *   FMAP   fd, offset: BAR index                   -> the BAR's size; CQE
 *          extra: its physical address (the driver maps it, port_bar_map)
 *   WRITE  fd, offset PCI_SCHEME_IRQ, addr: struct pci_scheme_irq_req
 *                                                  -> vectors granted; CQE
 *          extra: first machine interrupt line | mode << 32. Lines are
 *          first .. first + n - 1 (port_irq_open). Once per function.
 *   CLOSE  fd                                      -> 0
 *
 * Errors: EBADF (not the open handle), EACCES (not your function, pcid's
 * registers, a ring nobody started), EINVAL (sizes, offsets, modes, a
 * request with fields that mean nothing for it), EFAULT (a buffer outside
 * the driver's memory), ENODEV (no such BAR, or the interrupt mode the
 * function lacks), ENOSPC (interrupt lines exhausted), EBUSY (interrupts
 * already set up), ENOSYS (other opcodes).
 */
#ifndef IOSIM_PCI_SCHEME_H
#define IOSIM_PCI_SCHEME_H

#include <stdint.h>

#define PCI_SCHEME_NAME "pci"
#define PCI_SCHEME_HANDLE 1u

/* READ / WRITE offsets: what the request is about */
#define PCI_SCHEME_CFG 0x0ull             /* + register, below 4096 */
#define PCI_SCHEME_INFO 0x100000ull
#define PCI_SCHEME_IRQ 0x200000ull

/* Interrupt modes */
#define PCI_SCHEME_IRQ_AUTO 0u   /* MSI-X, else MSI, else INTx */
#define PCI_SCHEME_IRQ_MSIX 1u
#define PCI_SCHEME_IRQ_MSI 2u
#define PCI_SCHEME_IRQ_INTX 3u

struct pci_scheme_irq_req {
    uint32_t mode;      /* PCI_SCHEME_IRQ_* */
    uint32_t vectors;   /* wanted, >= 1; MSI grants a power of two, INTx one */
};

/* BAR kinds in info */
#define PCI_SCHEME_BAR_NONE 0u
#define PCI_SCHEME_BAR_MEM32 1u
#define PCI_SCHEME_BAR_MEM64 2u
#define PCI_SCHEME_BAR_IO 3u

struct pci_scheme_bar {
    uint64_t addr;      /* 0 when not assigned */
    uint64_t size;
    uint8_t kind;       /* PCI_SCHEME_BAR_* */
    uint8_t prefetch;
    uint8_t reserved[6];
};

/* What pcid knows of the function. Every byte defined. */
struct pci_scheme_info {
    uint8_t bus, dev, fn, header_type;
    uint16_t vendor, device, subsys_vendor, subsys;
    uint8_t class_code, subclass, prog_if, revision;
    uint8_t int_pin, int_line;
    uint8_t msi_vectors_log2;   /* when has_msi */
    uint8_t has_msi, has_msix, has_pcie, has_pm;
    uint8_t reserved0;
    uint16_t msix_vectors;
    uint16_t reserved1;
    uint32_t reserved2;
    struct pci_scheme_bar bar[6];
};

_Static_assert(sizeof(struct pci_scheme_bar) == 24, "pci_scheme_bar layout");
_Static_assert(sizeof(struct pci_scheme_info) == 32 + 6 * 24, "pci_scheme_info layout");
_Static_assert(sizeof(struct pci_scheme_irq_req) == 8, "pci_scheme_irq_req layout");

#endif /* IOSIM_PCI_SCHEME_H */
