/*
 * pci_root.h - the PCI root complex of a simulated machine: configuration
 * space through an ECAM window, BAR decoding on the MMIO bus, bridges,
 * bus mastering, MSI / MSI-X / INTx delivery, and PCI Express link timing.
 *
 *     struct pci_root_config rc;
 *     pci_root_config_default(&rc);              ECAM at rc.ecam_base
 *     struct pci_root *root;
 *     pci_root_create(machine, &rc, &root);
 *     struct pci_fn *fn;
 *     pci_root_add(root, &(struct pci_fn_config){.name = "nic0", .dev = 2,
 *                  .desc = {...}, .ops = &my_ops, .ctx = me}, &fn);
 *     ... the device model: pci_fn_dma_read(fn, ...), pci_fn_interrupt(fn, v)
 *     pci_root_destroy(root);                    after the machine stopped
 *
 * What software sees (impl/port/spec/pci_regs.h has the facts):
 * - Configuration reads and writes are MMIO accesses of 1, 2 or 4 aligned
 *   bytes to ecam_base + (bus << 20 | dev << 15 | fn << 12 | reg). A
 *   function nobody answers for reads all ones; so does a misaligned or
 *   wider access, which is dropped and noted in the log table.
 * - A function behind a bridge is on the bridge's secondary bus: it answers
 *   only once software has given the bridge bus numbers (and every bridge
 *   above it a range covering them). Its BARs decode only while every
 *   bridge above it has memory space enabled and a memory window covering
 *   them; its DMA needs bus mastering on every bridge above it too.
 * - A memory BAR decodes while the function's memory space enable is set,
 *   at the address in the BAR. A BAR that would overlap another region (a
 *   buggy or hostile enumerator) does not decode; the conflict is logged.
 *   I/O BARs are assigned but never decode: the machine has no I/O space.
 * - DMA with bus mastering off never reaches the bus: a `dma` row with
 *   status `disabled`.
 * - The Interrupt Line register starts as firmware leaves it: the machine
 *   line the function's INTx pin is routed to (255 when it has no 8-bit
 *   encoding).
 * - Interrupts: MSI-X, else MSI, else INTx on the function's line. A message
 *   to the x86 interrupt window (0xfee00000, 1 MiB) raises machine line
 *   (data mod 4096) after msi_ps; a message anywhere else is a memory write
 *   of its data, as on real hardware.
 *
 * Ownership: the root owns its functions; configs are copied, names and ops
 * are borrowed and must outlive the root. Single-threaded (events and
 * set-up code).
 */
#ifndef IOSIM_MODELS_PCI_ROOT_H
#define IOSIM_MODELS_PCI_ROOT_H

#include <stdbool.h>
#include <stdint.h>

#include "models/pci/pci_func.h"
#include "sim/machine/dev.h"

#define PCI_ROOT_FUNCS_MAX 64u

struct pci_root_config {
    uint64_t ecam_base;          /* aligned to buses << 20 */
    uint32_t buses;              /* 1..256: the window is buses MiB */
    sim_time_ps cfg_read_req_ps, cfg_read_resp_ps, cfg_write_ps;
    sim_time_ps bar_read_req_ps, bar_read_resp_ps, bar_write_ps;
    sim_time_ps dma_latency_ps;  /* a DMA's first byte */
    sim_time_ps msi_ps;          /* a message's trip to the interrupt controller */
};

/* Documented defaults (docs/architecture.md, "PCI"). */
void pci_root_config_default(struct pci_root_config *c);

/* The device model behind a function; every member may be NULL. */
struct pci_dev_ops {
    uint64_t (*bar_read)(void *ctx, unsigned bar, uint64_t off, unsigned size);
    void (*bar_write)(void *ctx, unsigned bar, uint64_t off, unsigned size, uint64_t value);
    void (*command)(void *ctx, uint16_t command); /* the command register changed */
};

struct pci_fn_config {
    const char *name;            /* borrowed */
    const char *behind;          /* the bridge's name, or NULL: on bus 0 */
    uint8_t dev, fn;             /* device 0..31, function 0..7 */
    struct pci_func_desc desc;
    const uint8_t *image;        /* NULL, or a real function's dump (pci_func_init_image); */
    uint32_t image_len;          /* copied */
    uint32_t intx_line;          /* machine line INTx asserts */
    const struct pci_dev_ops *ops;
    void *ctx;
};

struct pci_root;
struct pci_fn;

enum iosim_err pci_root_create(struct sim_machine *m, const struct pci_root_config *cfg,
                               struct pci_root **out);
void pci_root_destroy(struct pci_root *r);

/* EINVAL: a descriptor no hardware could have, an unknown bridge, a slot
 * out of range, function > 0 while function 0 of the device is not
 * multi-function; EEXIST: the slot is taken; ENOSPC: PCI_ROOT_FUNCS_MAX.
 * *why (may be NULL) says which. */
enum iosim_err pci_root_add(struct pci_root *r, const struct pci_fn_config *c, struct pci_fn **out,
                            const char **why);

struct pci_fn *pci_root_fn(struct pci_root *r, const char *name);

/* ---- for device models ----------------------------------------------------------------- */

struct pci_func *pci_fn_func(struct pci_fn *f);
const char *pci_fn_name(const struct pci_fn *f);
struct sim_machine *pci_fn_machine(const struct pci_fn *f);

/* A DMA by the function: EACCES with bus mastering off (nothing moves),
 * else as sim_dev_dma_read/write (IOMMU, faults, trace). */
enum iosim_err pci_fn_dma_read(struct pci_fn *f, uint64_t addr, void *dst, size_t len_bytes);
enum iosim_err pci_fn_dma_write(struct pci_fn *f, uint64_t addr, const void *src, size_t len_bytes);

/* How long a DMA of `bytes` takes on the function's link. */
sim_time_ps pci_fn_dma_time_ps(const struct pci_fn *f, uint64_t bytes);

/* The device signals vector `vector` (0 for INTx); returns how it went
 * out (a message, the INTx pin, or not at all: masked or disabled). */
enum pci_irq_route pci_fn_interrupt(struct pci_fn *f, uint32_t vector);
void pci_fn_intx_clear(struct pci_fn *f);

/* The link's data rate in bytes per second: lanes x the generation's rate
 * after encoding (8b/10b for gen 1-2, 128b/130b from gen 3) [PCIe 4.2]. */
uint64_t pci_link_bytes_per_s(uint8_t gen, uint8_t width);

#endif /* IOSIM_MODELS_PCI_ROOT_H */
