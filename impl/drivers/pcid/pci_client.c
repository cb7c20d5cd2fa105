/* A driver's side of pci:; see pci_client.h. */
#include "impl/drivers/pcid/pci_client.h"

#include <string.h>

#include "impl/port/port.h"

enum iosim_err pci_client_submit(struct pci_client *c, struct ring_sqe64 *sqe, uint64_t *tag)
{
    ASSERT(c != NULL && sqe != NULL);
    ASSERT(c->buf != NULL); /* open, not closed */
    return iou_peer_submit(&c->peer, sqe, tag);
}

enum iosim_err pci_client_wait(struct pci_client *c, uint64_t tag, int64_t *status,
                               uint64_t *extra)
{
    ASSERT(c != NULL);
    ASSERT(c->buf != NULL);
    return iou_peer_wait(&c->peer, tag, status, extra);
}

static enum iosim_err call(struct pci_client *c, struct ring_sqe64 q, int64_t *status,
                           uint64_t *extra)
{
    ASSERT(c->buf != NULL);
    ASSERT(q.opcode == RING_OP_OPEN || q.fd == (uint64_t)c->handle); /* one handle, ours */
    return iou_peer_call(&c->peer, q, status, extra);
}

enum iosim_err pci_client_open(struct pci_client *c, const char *bdf)
{
    memset(c, 0, sizeof *c);
    c->handle = -1;
    if (bdf == NULL || strlen(bdf) >= sizeof c->buf->path)
        return IOSIM_EINVAL;
    enum iosim_err e = port_dma_alloc(sizeof *c->buf, 0, &c->mem);
    if (e != IOSIM_OK)
        return e;
    c->buf = c->mem.host;
    ASSERT(c->buf != NULL);
    ASSERT(strlen(bdf) < sizeof c->buf->path);
    e = iou_peer_open(&c->peer, PCI_SCHEME_NAME, c->buf->peer, PCI_CLIENT_SLOTS);
    size_t len = strlen(bdf);
    port_shm_write(c->buf->path, bdf, len);
    int64_t h;
    if (e == IOSIM_OK)
        e = call(c, (struct ring_sqe64){.opcode = RING_OP_OPEN,
                                        .addr = port_user_addr(c->buf->path), .len = len},
                 &h, NULL);
    if (e == IOSIM_OK)
        c->handle = h;
    else
        pci_client_close(c);
    ASSERT(e == IOSIM_OK || (c->buf == NULL && c->handle == -1)); /* a failed open leaves nothing */
    return e;
}

void pci_client_close(struct pci_client *c)
{
    if (c->handle >= 0)
        (void)call(c, (struct ring_sqe64){.opcode = RING_OP_CLOSE, .fd = (uint64_t)c->handle},
                   NULL, NULL);
    iou_peer_close(&c->peer);
    port_dma_free(&c->mem);
    c->buf = NULL;
    c->handle = -1;
    ASSERT(c->buf == NULL && c->handle < 0);
}

enum iosim_err pci_client_info(struct pci_client *c, struct pci_scheme_info *out)
{
    ASSERT(c->buf != NULL);
    ASSERT(out != NULL);
    enum iosim_err e = call(c, (struct ring_sqe64){.opcode = RING_OP_READ,
                                                   .fd = (uint64_t)c->handle,
                                                   .offset = PCI_SCHEME_INFO,
                                                   .addr = port_user_addr(&c->buf->info),
                                                   .len = sizeof *out}, NULL, NULL);
    if (e == IOSIM_OK)
        port_shm_read(out, &c->buf->info, sizeof *out);
    return e;
}

enum iosim_err pci_client_cfg_read(struct pci_client *c, uint16_t reg, unsigned size, uint32_t *v)
{
    ASSERT(c->buf != NULL);
    ASSERT(v != NULL);
    uint32_t *slot = &c->buf->cfg[0];
    port_shm_write(slot, &(uint32_t){0}, sizeof *slot);
    enum iosim_err e = call(c, (struct ring_sqe64){.opcode = RING_OP_READ,
                                                   .fd = (uint64_t)c->handle,
                                                   .offset = PCI_SCHEME_CFG + reg,
                                                   .addr = port_user_addr(slot), .len = size},
                            NULL, NULL);
    if (e == IOSIM_OK)
        port_shm_read(v, slot, sizeof *v);
    return e;
}

enum iosim_err pci_client_cfg_write(struct pci_client *c, uint16_t reg, unsigned size, uint32_t v)
{
    ASSERT(c->buf != NULL);
    uint32_t *slot = &c->buf->cfg[0];
    port_shm_write(slot, &v, sizeof v);
    return call(c, (struct ring_sqe64){.opcode = RING_OP_WRITE, .fd = (uint64_t)c->handle,
                                       .offset = PCI_SCHEME_CFG + reg,
                                       .addr = port_user_addr(slot), .len = size},
                NULL, NULL);
}

enum iosim_err pci_client_bar(struct pci_client *c, unsigned bar, uint64_t *phys, uint64_t *size)
{
    int64_t st;
    uint64_t x;
    enum iosim_err e = call(c, (struct ring_sqe64){.opcode = RING_OP_FMAP,
                                                   .fd = (uint64_t)c->handle, .offset = bar},
                            &st, &x);
    if (e != IOSIM_OK)
        return e;
    if (st == 0 || x + (uint64_t)st < x)
        return IOSIM_EPROTO;
    ASSERT(st > 0); /* an error status came back as e */
    *phys = x;
    *size = (uint64_t)st;
    ASSERT(*phys + *size >= *phys);
    return IOSIM_OK;
}

enum iosim_err pci_client_map_bar(struct pci_client *c, unsigned bar, struct port_bar **out)
{
    ASSERT(out != NULL);
    ASSERT(c->buf != NULL);
    uint64_t phys, size;
    enum iosim_err e = pci_client_bar(c, bar, &phys, &size);
    return e == IOSIM_OK ? port_bar_map(phys, size, out) : e;
}

enum iosim_err pci_client_irq(struct pci_client *c, uint32_t mode, uint32_t vectors,
                              struct pci_client_irq *out)
{
    ASSERT(c->buf != NULL);
    ASSERT(out != NULL);
    struct pci_scheme_irq_req rq = {.mode = mode, .vectors = vectors};
    port_shm_write(&c->buf->irq, &rq, sizeof rq);
    int64_t st;
    uint64_t x;
    enum iosim_err e = call(c, (struct ring_sqe64){.opcode = RING_OP_WRITE,
                                                   .fd = (uint64_t)c->handle,
                                                   .offset = PCI_SCHEME_IRQ,
                                                   .addr = port_user_addr(&c->buf->irq),
                                                   .len = sizeof rq}, &st, &x);
    if (e != IOSIM_OK)
        return e;
    uint32_t got = (uint32_t)(x >> 32);
    if (st <= 0 || got < PCI_SCHEME_IRQ_MSIX || got > PCI_SCHEME_IRQ_INTX)
        return IOSIM_EPROTO;
    *out = (struct pci_client_irq){.mode = got, .first = (uint32_t)x, .count = (uint32_t)st};
    ASSERT(out->count > 0);
    ASSERT(out->mode >= PCI_SCHEME_IRQ_MSIX && out->mode <= PCI_SCHEME_IRQ_INTX);
    return IOSIM_OK;
}
