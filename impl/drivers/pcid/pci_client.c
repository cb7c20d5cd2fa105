/* A driver's side of pci:; see pci_client.h. */
#include "impl/drivers/pcid/pci_client.h"

#include <string.h>

#include "impl/port/port.h"

#define NOTIFY_TAG UINT64_MAX
#define WAIT_GUARD 1000000u  /* enters before an answer is declared lost */

static enum iosim_err kernel_call(struct pci_client *c, struct ring_sqe64 *q, int64_t *status)
{
    struct ring_cqe64 cqe;
    enum iosim_err e = iou_submit_wait(&c->k, q);
    if (e != IOSIM_OK)
        return e;
    for (uint32_t g = 0; g < WAIT_GUARD; g++) {
        if (iou_reap(&c->k, &cqe) == IOSIM_OK) {
            if (cqe.user_data != q->user_data)
                continue; /* the kernel ring carries only our own calls, one at a time */
            *status = (int64_t)cqe.status;
            return IOSIM_OK;
        }
        if (iou_enter(&c->k, 1, PORT_WAIT_FOREVER) < 0)
            return IOSIM_ESHUTDOWN;
    }
    return IOSIM_ETIMEDOUT;
}

/* pcid sleeps on its scheme's ring: a NOP through the kernel wakes it. */
static enum iosim_err notify(struct pci_client *c)
{
    struct ring_sqe64 q = {.opcode = RING_OP_NOP, .flags = URING_SQE_NOTIFY_PEER,
                           .fd = (uint64_t)c->ring.fd, .user_data = NOTIFY_TAG};
    int64_t st;
    enum iosim_err e = kernel_call(c, &q, &st);
    return e != IOSIM_OK ? e : iosim_err_from_status(st);
}

enum iosim_err pci_client_submit(struct pci_client *c, struct ring_sqe64 *sqe, uint64_t *tag)
{
    sqe->user_data = c->next_tag++;
    enum iosim_err e = iou_submit_wait(&c->ring, sqe);
    if (e != IOSIM_OK)
        return e;
    *tag = sqe->user_data;
    return notify(c);
}

/* Keeps an answer that came for another request. */
static enum iosim_err stash(struct pci_client *c, const struct ring_cqe64 *cqe)
{
    for (uint32_t i = 0; i < PCI_CLIENT_SLOTS; i++) {
        if (!c->answers[i].done) {
            c->answers[i] = (struct pci_client_answer){
                .tag = cqe->user_data, .status = (int64_t)cqe->status, .extra = cqe->extra,
                .done = true};
            return IOSIM_OK;
        }
    }
    return IOSIM_EPROTO; /* more answers than we have questions */
}

static bool stashed(struct pci_client *c, uint64_t tag, int64_t *status, uint64_t *extra)
{
    for (uint32_t i = 0; i < PCI_CLIENT_SLOTS; i++) {
        struct pci_client_answer *a = &c->answers[i];
        if (a->done && a->tag == tag) {
            *status = a->status;
            *extra = a->extra;
            a->done = false;
            return true;
        }
    }
    return false;
}

enum iosim_err pci_client_wait(struct pci_client *c, uint64_t tag, int64_t *status,
                               uint64_t *extra)
{
    for (uint32_t g = 0; g < WAIT_GUARD; g++) {
        if (stashed(c, tag, status, extra))
            return IOSIM_OK;
        struct ring_cqe64 cqe;
        enum iosim_err e = iou_reap(&c->ring, &cqe);
        if (e == IOSIM_OK) {
            if (cqe.user_data >= c->next_tag)
                return IOSIM_EPROTO; /* an answer to a question never asked */
            e = stash(c, &cqe);
            if (e != IOSIM_OK)
                return e;
            continue;
        }
        if (e != IOSIM_EAGAIN)
            return e;
        if (iou_enter(&c->ring, 1, PORT_WAIT_FOREVER) < 0)
            return IOSIM_ESHUTDOWN;
    }
    return IOSIM_ETIMEDOUT;
}

/* One request, its answer. */
static enum iosim_err call(struct pci_client *c, struct ring_sqe64 q, int64_t *status,
                           uint64_t *extra)
{
    uint64_t tag, x = 0;
    int64_t st = 0;
    enum iosim_err e = pci_client_submit(c, &q, &tag);
    if (e == IOSIM_OK)
        e = pci_client_wait(c, tag, &st, &x);
    if (e != IOSIM_OK)
        return e;
    if (status != NULL)
        *status = st;
    if (extra != NULL)
        *extra = x;
    return iosim_err_from_status(st);
}

static enum iosim_err open_rings(struct pci_client *c)
{
    enum iosim_err e = iou_create(&c->k, 4, 4, URING_ENTRIES_64);
    if (e == IOSIM_OK)
        e = iou_attach_kernel(&c->k);
    if (e == IOSIM_OK)
        e = iou_create(&c->ring, PCI_CLIENT_SLOTS, PCI_CLIENT_SLOTS, URING_ENTRIES_64);
    if (e != IOSIM_OK)
        return e;
    struct ring_sqe64 q;
    iou_prep_peer(&q, &c->ring, c->buf->peer, PCI_SCHEME_NAME, 1);
    int64_t fd;
    e = kernel_call(c, &q, &fd);
    if (e == IOSIM_OK)
        e = iosim_err_from_status(fd);
    return e == IOSIM_OK ? iou_adopt_peer(&c->ring, fd) : e;
}

enum iosim_err pci_client_open(struct pci_client *c, const char *bdf)
{
    memset(c, 0, sizeof *c);
    c->next_tag = 1;
    c->handle = -1;
    if (bdf == NULL || strlen(bdf) >= sizeof c->buf->path)
        return IOSIM_EINVAL;
    enum iosim_err e = port_dma_alloc(sizeof *c->buf, 0, &c->mem);
    if (e != IOSIM_OK)
        return e;
    c->buf = c->mem.host;
    e = open_rings(c);
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
    return e;
}

void pci_client_close(struct pci_client *c)
{
    if (c->handle >= 0)
        (void)call(c, (struct ring_sqe64){.opcode = RING_OP_CLOSE, .fd = (uint64_t)c->handle},
                   NULL, NULL);
    if (c->ring.role != IOU_NONE)
        iou_close(&c->ring);
    if (c->k.role != IOU_NONE)
        iou_close(&c->k);
    port_dma_free(&c->mem);
    c->buf = NULL;
    c->handle = -1;
}

enum iosim_err pci_client_info(struct pci_client *c, struct pci_scheme_info *out)
{
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
    *phys = x;
    *size = (uint64_t)st;
    return IOSIM_OK;
}

enum iosim_err pci_client_map_bar(struct pci_client *c, unsigned bar, struct port_bar **out)
{
    uint64_t phys, size;
    enum iosim_err e = pci_client_bar(c, bar, &phys, &size);
    return e == IOSIM_OK ? port_bar_map(phys, size, out) : e;
}

enum iosim_err pci_client_irq(struct pci_client *c, uint32_t mode, uint32_t vectors,
                              struct pci_client_irq *out)
{
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
    return IOSIM_OK;
}
