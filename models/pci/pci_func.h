/*
 * pci_func.h - one PCI function as hardware: its configuration space and
 * what it decides about interrupts. No machine, no time: the root complex
 * (pci_root.h) routes accesses here and acts on what changed.
 *
 *     struct pci_func_desc d = {.vendor = 0x8086, .device = 0x1234,
 *                               .bar = {{PCI_BAR_MEM64, 1 << 20}}, ...};
 *     struct pci_func f;
 *     pci_func_init(&f, &d);
 *     uint32_t changed = pci_func_cfg_write(&f, PCI_BAR0, 4, 0xffffffff);
 *     uint32_t mask = pci_func_cfg_read(&f, PCI_BAR0, 4);    the sizing read
 *     pci_func_fini(&f);
 *
 * Registers behave as the specifications say (impl/port/spec/pci_regs.h):
 * every byte has a mask of writable bits and one of write-1-to-clear bits,
 * the rest is read-only, so BAR sizing, hardwired bits and W1C status bits
 * fall out of one write rule. Accesses must be naturally aligned, 1, 2 or 4
 * bytes, inside the 4 KiB space: anything else reads all ones and is
 * dropped, and the call says so (the root traces it). Nothing a driver
 * writes can make this module misbehave.
 *
 * Interrupts: pci_func_signal() says how the function signals a vector now
 * - MSI-X, MSI, INTx (by what is enabled), or not at all (masked: the
 * pending bit is set and the message goes out when it is unmasked, which
 * pci_func_take_unmasked() reports).
 *
 * Ownership: caller storage; init allocates the MSI-X table, fini frees
 * it. The descriptor is copied.
 */
#ifndef IOSIM_MODELS_PCI_FUNC_H
#define IOSIM_MODELS_PCI_FUNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impl/port/spec/pci_regs.h"
#include "sim/machine/dev.h" /* the error enum, as models get it */

enum pci_bar_kind { PCI_BAR_NONE, PCI_BAR_MEM32, PCI_BAR_MEM64, PCI_BAR_IO };

struct pci_bar_desc {
    enum pci_bar_kind kind;
    uint64_t size;              /* a power of two: >= 16 (memory), 4..256 (I/O) */
    bool prefetch;              /* memory BARs */
};

struct pci_msi_desc {
    bool present;
    uint8_t vectors_log2;       /* 0..5 */
    bool addr64, per_vector_mask;
};

struct pci_msix_desc {
    bool present;
    uint16_t vectors;           /* 1..2048 */
    uint8_t table_bar, pba_bar;
    uint32_t table_off, pba_off; /* 8-byte aligned, inside their (memory) BARs */
};

struct pci_pcie_desc {
    bool present;
    uint8_t port_type;          /* PCI_EXP_TYPE_* */
    uint8_t gen;                /* 1..5 */
    uint8_t width;              /* 1, 2, 4, 8, 12, 16, 32 */
};

struct pci_func_desc {
    uint16_t vendor, device, subsys_vendor, subsys;
    uint8_t class_code, subclass, prog_if, revision;
    bool bridge;                /* a type 1 (PCI-to-PCI bridge) header */
    bool multifunction;         /* header type bit 7 */
    uint8_t int_pin;            /* 0 none, 1..4 INTA#..INTD# */
    struct pci_bar_desc bar[PCI_BAR_COUNT]; /* MEM64 uses the next slot, which stays NONE;
                                               a bridge has BARs 0 and 1 only */
    struct { bool present; } pm;
    struct pci_msi_desc msi;
    struct pci_msix_desc msix;
    struct pci_pcie_desc pcie;
    /* Where the capabilities sit: all 0, the model chains them from 0x40
     * (PM, MSI, PCI Express, MSI-X); else each present one at its offset
     * (dword aligned, 0x40..0xfc, not overlapping), linked by an image. */
    struct { uint8_t pm, msi, pcie, msix; } at;
};

/* Does d describe a function hardware could be? NULL, or what is wrong. */
const char *pci_func_desc_problem(const struct pci_func_desc *d);

struct pci_msg {
    uint64_t addr;
    uint32_t data;
};

enum pci_irq_route {
    PCI_IRQ_NONE,   /* nothing sent: masked (now pending), disabled, or no pin */
    PCI_IRQ_INTX,   /* the INTx pin is asserted */
    PCI_IRQ_MSG,    /* a message write to msg->addr of msg->data */
};

struct pci_func {
    struct pci_func_desc desc;
    uint8_t cfg[PCI_CFG_EXT_SIZE];
    uint8_t rw[PCI_CFG_EXT_SIZE];   /* writable bits */
    uint8_t w1c[PCI_CFG_EXT_SIZE];  /* write-1-to-clear bits */
    uint8_t cap_pm, cap_msi, cap_msix, cap_pcie; /* capability offsets, 0 when absent */
    uint8_t *msix_table;            /* vectors * 16 bytes, owned */
    uint8_t *image;                 /* pci_func_init_image: the dump, owned (4096 bytes) */
    uint32_t image_len;
    uint64_t msix_pending[PCI_MSIX_VECTORS_MAX / 64];
    bool intx_asserted;
};

/* pci_func_cfg_write results: what changed, for the root to act on. */
#define PCI_FUNC_CHG_COMMAND (1u << 0)
#define PCI_FUNC_CHG_BAR0 (1u << 1)     /* BAR i is PCI_FUNC_CHG_BAR0 << i */
#define PCI_FUNC_CHG_MSI (1u << 8)
#define PCI_FUNC_CHG_MSIX (1u << 9)
#define PCI_FUNC_CHG_BUS (1u << 10)     /* a bridge's bus numbers or windows */
#define PCI_FUNC_CHG_BAD (1u << 31)     /* the access was misaligned or out of range */

/* EINVAL (pci_func_desc_problem says why) or ENOMEM. */
enum iosim_err pci_func_init(struct pci_func *f, const struct pci_func_desc *d);

/* A function as a real one's configuration-space dump shows it (`len`
 * bytes of `image`, copied): the registers d describes behave as the model
 * makes them, and every read-only bit reads as the dump has it - IDs,
 * class, capability IDs and chain, capabilities the model does not know,
 * the extended space. Writable bits start at their reset values (0:
 * decoding, bus mastering and interrupts off, BARs unassigned), as a
 * machine out of reset. d's capabilities must sit where the dump has
 * them (d->at). */
enum iosim_err pci_func_init_image(struct pci_func *f, const struct pci_func_desc *d,
                                   const uint8_t *image, uint32_t len);
void pci_func_fini(struct pci_func *f);

/* Back to the power-on state (every register, the MSI-X table, pending bits). */
void pci_func_reset(struct pci_func *f);

/* size 1, 2 or 4, off naturally aligned and below 4096; otherwise all ones
 * and *bad (may be NULL) is set. */
uint32_t pci_func_cfg_read(const struct pci_func *f, uint32_t off, unsigned size, bool *bad);
uint32_t pci_func_cfg_write(struct pci_func *f, uint32_t off, unsigned size, uint32_t value);

uint16_t pci_func_command(const struct pci_func *f);

/* Where memory or I/O BAR i decodes (64-bit BARs combined, at their low
 * slot); false for an empty slot or the high half of a 64-bit BAR. */
bool pci_func_bar(const struct pci_func *f, unsigned i, uint64_t *addr, uint64_t *size,
                  enum pci_bar_kind *kind);

/* MSI-X table and PBA, as BAR `bar` exposes them at offset `off`: true when
 * [off, off + size) falls in one of them. Accesses are 4 or 8 bytes,
 * aligned; others read all ones and are dropped (*bad). */
bool pci_func_msix_owns(const struct pci_func *f, unsigned bar, uint64_t off, unsigned size);
uint64_t pci_func_msix_read(const struct pci_func *f, unsigned bar, uint64_t off, unsigned size,
                            bool *bad);
/* Returns true when a vector's mask was cleared (pending ones may now go). */
bool pci_func_msix_write(struct pci_func *f, unsigned bar, uint64_t off, unsigned size,
                         uint64_t value, bool *bad);

/* The function wants to signal `vector` (0 for INTx and single-vector MSI). */
enum pci_irq_route pci_func_signal(struct pci_func *f, uint32_t vector, struct pci_msg *msg);

/* The device withdraws its INTx request (level-triggered). */
void pci_func_intx_clear(struct pci_func *f);

/* A pending vector whose mask is now clear, its pending bit cleared and its
 * message in *msg; false when there is none. Call until false after a
 * write that may have unmasked something. */
bool pci_func_take_unmasked(struct pci_func *f, uint32_t *vector, struct pci_msg *msg);

#endif /* IOSIM_MODELS_PCI_FUNC_H */
