/*
 * pci_client.h - a driver's side of `pci:` (pci_scheme.h): the secondary
 * ring to pcid, and one call per request.
 *
 *     struct pci_client pc;
 *     pci_client_open(&pc, app_arg_str(args, "pci", NULL));   the function pcid gave us
 *     struct pci_scheme_info info;
 *     pci_client_info(&pc, &info);
 *     struct port_bar *regs;
 *     pci_client_map_bar(&pc, 0, &regs);
 *     struct pci_client_irq irq;
 *     pci_client_irq(&pc, PCI_SCHEME_IRQ_AUTO, 4, &irq);    lines irq.first ..
 *     pci_client_close(&pc);
 *
 * Each call submits its SQE on the secondary ring (impl/uring/peer.h),
 * wakes pcid through the kernel ring and waits for the answer, so the
 * driver blocks only itself; pcid and the kernel never block on it.
 * Several requests can be in flight at once with pci_client_submit /
 * pci_client_wait (answers are matched by tag, in whatever order).
 *
 * Errors are the scheme's (negative errno in the CQE) as enum iosim_err
 * where they map, EPROTO for an answer that makes no sense.
 *
 * Ownership: caller storage plus one DMA buffer (pcid reads and writes
 * it), freed by close. One process per client.
 */
#ifndef IOSIM_PCI_CLIENT_H
#define IOSIM_PCI_CLIENT_H

#include <stdint.h>

#include "impl/drivers/pcid/pci_scheme.h"
#include "impl/port/dma.h"
#include "impl/port/err.h"
#include "impl/uring/peer.h"

struct port_bar;

#define PCI_CLIENT_SLOTS 8u       /* requests in flight at once */

struct pci_client_buf {           /* in the DMA buffer: what pcid reads and writes */
    char path[16];
    char peer[IOU_PEER_PATH_BYTES];
    struct pci_scheme_info info;
    struct pci_scheme_irq_req irq;
    uint32_t cfg[PCI_CLIENT_SLOTS];
};

struct pci_client {
    struct iou_peer peer;         /* the secondary ring to pcid (impl/uring/peer.h) */
    struct port_dma mem;
    struct pci_client_buf *buf;
    int64_t handle;
};

struct pci_client_irq {
    uint32_t mode;                /* PCI_SCHEME_IRQ_MSIX, _MSI or _INTX: what was set up */
    uint32_t first, count;        /* machine interrupt lines first .. first + count - 1 */
};

/* Sets up both rings and opens `bdf`. */
enum iosim_err pci_client_open(struct pci_client *c, const char *bdf);
void pci_client_close(struct pci_client *c);

enum iosim_err pci_client_info(struct pci_client *c, struct pci_scheme_info *out);
enum iosim_err pci_client_cfg_read(struct pci_client *c, uint16_t reg, unsigned size, uint32_t *v);
enum iosim_err pci_client_cfg_write(struct pci_client *c, uint16_t reg, unsigned size, uint32_t v);
/* The BAR's physical address and size (FMAP), then a mapping of it. */
enum iosim_err pci_client_bar(struct pci_client *c, unsigned bar, uint64_t *phys, uint64_t *size);
enum iosim_err pci_client_map_bar(struct pci_client *c, unsigned bar, struct port_bar **out);
enum iosim_err pci_client_irq(struct pci_client *c, uint32_t mode, uint32_t vectors,
                              struct pci_client_irq *out);

/* The raw ring: submit any SQE (user_data is set to the tag returned),
 * then wait for that tag's answer. For tests of pcid's refusals too. */
enum iosim_err pci_client_submit(struct pci_client *c, struct ring_sqe64 *sqe, uint64_t *tag);
enum iosim_err pci_client_wait(struct pci_client *c, uint64_t tag, int64_t *status,
                               uint64_t *extra);

#endif /* IOSIM_PCI_CLIENT_H */
