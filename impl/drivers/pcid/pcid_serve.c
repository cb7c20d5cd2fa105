/*
 * The requests of `pci:` (pci_scheme.h), one client at a time. Nothing a
 * driver sends is trusted: every field is checked before use, buffers go
 * through port_user_ptr, and a request that makes no sense is answered
 * with an error, never followed.
 */
#include <string.h>

#include "impl/drivers/pcid/pcid.h"
#include "impl/port/port.h"

static int64_t err(enum iosim_err e)
{
    return -(int64_t)iosim_err_errno(e);
}

/* Is c one of d's clients, handed function c->func? */
static bool client_in(const struct pcid *d, const struct pcid_client *c)
{
    return c >= d->clients && c < d->clients + d->client_count && c->used &&
           c->func < d->topo.count && !d->topo.funcs[c->func].bridge;
}

/* Is f one of d's functions? */
static bool func_in(const struct pcid *d, const struct pcid_func *f)
{
    return f >= d->topo.funcs && f < d->topo.funcs + d->topo.count;
}

static struct pcid_func *func_of(struct pcid *d, const struct pcid_client *c)
{
    ASSERT(client_in(d, c));
    ASSERT(d->topo.count <= PCID_FUNCS_MAX);
    return &d->topo.funcs[c->func];
}

static uint32_t cfg_rd(struct pcid *d, const struct pcid_func *f, uint16_t off, unsigned size)
{
    ASSERT(size == 1 || size == 2 || size == 4);
    ASSERT(off % size == 0 && off < PCI_CFG_EXT_SIZE);
    ASSERT(func_in(d, f));
    return d->cfg.read(d->cfg.ctx, f->bus, f->dev, f->fn, off, size);
}

static void cfg_wr(struct pcid *d, const struct pcid_func *f, uint16_t off, unsigned size,
                   uint32_t v)
{
    ASSERT(size == 1 || size == 2 || size == 4);
    ASSERT(off % size == 0 && off < PCI_CFG_EXT_SIZE);
    ASSERT(func_in(d, f));
    d->cfg.write(d->cfg.ctx, f->bus, f->dev, f->fn, off, size, v);
}

/* ---- open, info, configuration space -------------------------------------------------------- */

static int64_t do_open(struct pcid_client *c, const struct ring_sqe64 *q)
{
    ASSERT(c->used);
    ASSERT(strlen(c->bdf) == PCID_BDF_LEN - 1); /* pcid_bdf wrote "BB:DD.F" */
    char path[PCID_BDF_LEN];
    if (q->len != PCID_BDF_LEN - 1)
        return err(IOSIM_EACCES); /* no path of another length names this function */
    const void *user = port_user_ptr(q->addr, q->len);
    if (user == NULL)
        return err(IOSIM_EFAULT);
    port_shm_read(path, user, PCID_BDF_LEN - 1);
    path[PCID_BDF_LEN - 1] = '\0';
    if (strcmp(path, c->bdf) != 0)
        return err(IOSIM_EACCES);
    if (c->open)
        return err(IOSIM_EBUSY);
    c->open = true;
    ASSERT(!c->gone || !c->ring);
    return PCI_SCHEME_HANDLE;
}

static void fill_info(const struct pcid_func *f, struct pci_scheme_info *in)
{
    ASSERT(f->msi.vectors_log2 <= PCI_MSI_VECTORS_LOG2_MAX);
    ASSERT(!f->msix.present || (f->msix.vectors >= 1 && f->msix.vectors <= PCI_MSIX_VECTORS_MAX));
    memset(in, 0, sizeof *in);
    *in = (struct pci_scheme_info){
        .bus = f->bus, .dev = f->dev, .fn = f->fn, .header_type = f->header_type,
        .vendor = f->vendor, .device = f->device, .subsys_vendor = f->subsys_vendor,
        .subsys = f->subsys, .class_code = f->class_code, .subclass = f->subclass,
        .prog_if = f->prog_if, .revision = f->revision, .int_pin = f->int_pin,
        .int_line = f->int_line, .msi_vectors_log2 = f->msi.vectors_log2,
        .has_msi = f->msi.present, .has_msix = f->msix.present, .has_pcie = f->pcie.present,
        .has_pm = f->pm, .msix_vectors = f->msix.present ? f->msix.vectors : 0};
    for (unsigned k = 0; k < PCI_BAR_COUNT; k++) {
        const struct pcid_bar *b = &f->bar[k];
        in->bar[k].kind = (uint8_t)b->kind; /* PCID_BAR_* and PCI_SCHEME_BAR_* agree */
        in->bar[k].prefetch = b->prefetch;
        in->bar[k].size = b->size;
        in->bar[k].addr = b->assigned ? b->addr : 0;
        ASSERT(b->kind != PCID_BAR_NONE || b->size == 0);
        ASSERT((b->size & (b->size - 1)) == 0);
    }
}

_Static_assert(PCID_BAR_NONE == PCI_SCHEME_BAR_NONE && PCID_BAR_MEM32 == PCI_SCHEME_BAR_MEM32 &&
                   PCID_BAR_MEM64 == PCI_SCHEME_BAR_MEM64 && PCID_BAR_IO == PCI_SCHEME_BAR_IO,
               "BAR kinds");

static int64_t do_info(struct pcid *d, struct pcid_client *c, const struct ring_sqe64 *q)
{
    struct pci_scheme_info in;
    if (q->len < sizeof in)
        return err(IOSIM_EINVAL);
    void *user = port_user_ptr(q->addr, sizeof in);
    if (user == NULL)
        return err(IOSIM_EFAULT);
    ASSERT(c->open); /* dispatch checked */
    ASSERT(q->len >= sizeof in);
    fill_info(func_of(d, c), &in);
    port_shm_write(user, &in, sizeof in);
    return (int64_t)sizeof in;
}

static bool cfg_access_ok(const struct ring_sqe64 *q)
{
    uint64_t off = q->offset - PCI_SCHEME_CFG;
    bool ok = (q->len == 1 || q->len == 2 || q->len == 4) && off < PCI_CFG_EXT_SIZE &&
              off % q->len == 0;
    ASSERT(!ok || off + q->len <= PCI_CFG_EXT_SIZE); /* aligned, so never across the end */
    return ok;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    ASSERT(alen > 0 && blen > 0);
    ASSERT(a < PCI_CFG_EXT_SIZE && b < PCI_CFG_EXT_SIZE);
    return a < b + blen && b < a + alen;
}

/* Registers pcid owns: addresses, and where interrupts go. */
static bool pcid_owns(const struct pcid_func *f, uint64_t off, uint64_t len)
{
    ASSERT(len == 1 || len == 2 || len == 4);
    ASSERT(!f->msi.present || f->msi.cap >= PCI_CAP_FIRST);
    if (overlaps(off, len, PCI_BAR0, 4 * PCI_BAR_COUNT) || overlaps(off, len, PCI_ROM_BAR, 4))
        return true;
    if (f->msi.present && overlaps(off, len, f->msi.cap, PCI_MSI_PENDING_64 + 4))
        return true;
    return f->msix.present && overlaps(off, len, f->msix.cap, PCI_MSIX_SIZE);
}

static int64_t do_cfg(struct pcid *d, struct pcid_client *c, const struct ring_sqe64 *q, bool write)
{
    if (!cfg_access_ok(q))
        return err(IOSIM_EINVAL);
    ASSERT(c->open);
    uint16_t off = (uint16_t)(q->offset - PCI_SCHEME_CFG);
    unsigned size = (unsigned)q->len;
    ASSERT(off % size == 0);
    ASSERT(off + size <= PCI_CFG_EXT_SIZE);
    void *user = port_user_ptr(q->addr, size);
    if (user == NULL)
        return err(IOSIM_EFAULT);
    const struct pcid_func *f = func_of(d, c);
    uint32_t v = 0;
    if (write) {
        if (pcid_owns(f, off, size))
            return err(IOSIM_EACCES);
        port_shm_read(&v, user, size);
        cfg_wr(d, f, off, size, v);
    } else {
        v = cfg_rd(d, f, off, size);
        port_shm_write(user, &v, size);
    }
    return (int64_t)size;
}

static int64_t do_bar(struct pcid *d, struct pcid_client *c, const struct ring_sqe64 *q,
                      uint64_t *extra)
{
    if (q->offset >= PCI_BAR_COUNT || q->len != 0 || q->addr != 0)
        return err(IOSIM_EINVAL);
    const struct pcid_bar *b = &func_of(d, c)->bar[q->offset];
    if (b->kind == PCID_BAR_NONE || b->size == 0)
        return err(IOSIM_ENODEV);
    if (b->kind == PCID_BAR_IO || !b->assigned)
        return err(IOSIM_EINVAL); /* port I/O cannot be mapped; unassigned cannot decode */
    ASSERT(b->kind == PCID_BAR_MEM32 || b->kind == PCID_BAR_MEM64);
    ASSERT((b->size & (b->size - 1)) == 0);
    ASSERT(b->addr % b->size == 0); /* pcid_assign aligned it */
    *extra = b->addr;
    return (int64_t)b->size;
}

/* ---- interrupts ------------------------------------------------------------------------------ */

static uint32_t lines_left(const struct pcid *d)
{
    ASSERT(d != NULL);
    ASSERT(d->client_count <= PCID_CLIENTS_MAX);
    return d->opts.irq_base + d->opts.irq_count - d->irq_next;
}

static void intx_disable(struct pcid *d, const struct pcid_func *f, bool off)
{
    ASSERT(func_in(d, f));
    ASSERT(!f->bridge); /* bridges are never handed out */
    uint16_t cmd = (uint16_t)cfg_rd(d, f, PCI_COMMAND, 2);
    cmd = off ? cmd | PCI_COMMAND_INTX_DISABLE : cmd & ~PCI_COMMAND_INTX_DISABLE;
    cfg_wr(d, f, PCI_COMMAND, 2, cmd);
}

/* MSI-X: n entries of the table pointed at lines first.., unmasked; the rest stay masked. */
static int64_t irq_msix(struct pcid *d, const struct pcid_func *f, uint32_t want, uint64_t *extra)
{
    if (!f->msix.present)
        return err(IOSIM_ENODEV);
    const struct pcid_bar *tb = &f->bar[f->msix.table_bar % PCI_BAR_COUNT];
    if (f->problems & PCID_PROB_MSIX_BIR || !tb->assigned || tb->kind == PCID_BAR_IO ||
        (uint64_t)f->msix.table_off + (uint64_t)f->msix.vectors * PCI_MSIX_ENTRY_SIZE > tb->size)
        return err(IOSIM_ENODEV); /* a table we cannot reach */
    ASSERT(want >= 1 && want <= PCI_MSIX_VECTORS_MAX); /* do_irq checked */
    ASSERT(tb->kind == PCID_BAR_MEM32 || tb->kind == PCID_BAR_MEM64);
    uint32_t n = want < f->msix.vectors ? want : f->msix.vectors;
    n = n < lines_left(d) ? n : lines_left(d);
    if (n == 0)
        return err(IOSIM_ENOSPC);
    ASSERT(n <= want);
    ASSERT(n <= f->msix.vectors);
    struct port_bar *table;
    if (port_bar_map(tb->addr + f->msix.table_off, (uint64_t)n * PCI_MSIX_ENTRY_SIZE, &table) !=
        IOSIM_OK)
        return err(IOSIM_ENOMEM);
    uint32_t first = d->irq_next;
    for (uint32_t v = 0; v < n; v++) {
        uint64_t e = (uint64_t)v * PCI_MSIX_ENTRY_SIZE;
        port_mmio_write32(table, e + PCI_MSIX_ENTRY_ADDR_LO, PCI_MSI_X86_BASE);
        port_mmio_write32(table, e + PCI_MSIX_ENTRY_ADDR_HI, 0);
        port_mmio_write32(table, e + PCI_MSIX_ENTRY_DATA, first + v);
        port_mmio_write32(table, e + PCI_MSIX_ENTRY_CTRL, 0); /* unmasked */
    }
    port_bar_unmap(table);
    ASSERT(d->irq_next == first);
    d->irq_next += n;
    intx_disable(d, f, true);
    uint16_t ctrl = (uint16_t)cfg_rd(d, f, (uint16_t)(f->msix.cap + PCI_MSIX_CTRL), 2);
    ctrl = (uint16_t)((ctrl | PCI_MSIX_CTRL_ENABLE) & ~PCI_MSIX_CTRL_FUNC_MASK);
    cfg_wr(d, f, (uint16_t)(f->msix.cap + PCI_MSIX_CTRL), 2, ctrl);
    *extra = first | (uint64_t)PCI_SCHEME_IRQ_MSIX << 32;
    return n;
}

/* MSI: 2^k vectors, the first line aligned to 2^k (the device puts the
 * vector in the data's low bits [LB 6.8.1.6]). */
static int64_t irq_msi(struct pcid *d, const struct pcid_func *f, uint32_t want, uint64_t *extra)
{
    if (!f->msi.present)
        return err(IOSIM_ENODEV);
    ASSERT(want >= 1 && want <= PCI_MSIX_VECTORS_MAX);
    ASSERT(f->msi.vectors_log2 <= PCI_MSI_VECTORS_LOG2_MAX);
    unsigned k = 0;
    while (k < f->msi.vectors_log2 && (2u << k) <= want)
        k++;
    uint32_t n = 1u << k;
    ASSERT(n <= want);
    uint32_t first = (d->irq_next + n - 1) & ~(n - 1);
    while (n > 1 && first + n > d->opts.irq_base + d->opts.irq_count) { /* fewer, then */
        n >>= 1, k--;
        first = (d->irq_next + n - 1) & ~(n - 1);
    }
    if (first + n > d->opts.irq_base + d->opts.irq_count)
        return err(IOSIM_ENOSPC);
    ASSERT(n == 1u << k);
    ASSERT(first % n == 0); /* the device ORs the vector into the data's low bits */
    uint16_t at = f->msi.cap;
    ASSERT(at >= PCI_CAP_FIRST && at % 4 == 0);
    cfg_wr(d, f, (uint16_t)(at + PCI_MSI_ADDR_LO), 4, PCI_MSI_X86_BASE);
    if (f->msi.addr64)
        cfg_wr(d, f, (uint16_t)(at + PCI_MSI_ADDR_HI), 4, 0);
    cfg_wr(d, f, (uint16_t)(at + (f->msi.addr64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32)), 2, first);
    if (f->msi.masking)
        cfg_wr(d, f, (uint16_t)(at + (f->msi.addr64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32)), 4, 0);
    uint16_t ctrl = (uint16_t)cfg_rd(d, f, (uint16_t)(at + PCI_MSI_CTRL), 2);
    ctrl = (uint16_t)((ctrl & ~PCI_MSI_CTRL_MME_MASK) | k << PCI_MSI_CTRL_MME_SHIFT |
                      PCI_MSI_CTRL_ENABLE);
    d->irq_next = first + n;
    intx_disable(d, f, true);
    cfg_wr(d, f, (uint16_t)(at + PCI_MSI_CTRL), 2, ctrl);
    *extra = first | (uint64_t)PCI_SCHEME_IRQ_MSI << 32;
    return n;
}

static int64_t irq_intx(struct pcid *d, const struct pcid_func *f, uint64_t *extra)
{
    if (f->int_pin == 0 || f->int_pin > 4)
        return err(IOSIM_ENODEV);
    ASSERT(f->int_pin >= 1 && f->int_pin <= 4);
    ASSERT(func_in(d, f));
    intx_disable(d, f, false);
    *extra = f->int_line | (uint64_t)PCI_SCHEME_IRQ_INTX << 32;
    return 1;
}

static int64_t do_irq(struct pcid *d, struct pcid_client *c, const struct ring_sqe64 *q,
                      uint64_t *extra)
{
    struct pci_scheme_irq_req rq;
    if (q->len != sizeof rq)
        return err(IOSIM_EINVAL);
    const void *user = port_user_ptr(q->addr, sizeof rq);
    if (user == NULL)
        return err(IOSIM_EFAULT);
    port_shm_read(&rq, user, sizeof rq);
    if (rq.vectors == 0 || rq.vectors > PCI_MSIX_VECTORS_MAX || rq.mode > PCI_SCHEME_IRQ_INTX)
        return err(IOSIM_EINVAL);
    if (c->irq_done)
        return err(IOSIM_EBUSY);
    ASSERT(c->open);
    ASSERT(*extra == 0);
    const struct pcid_func *f = func_of(d, c);
    int64_t st;
    switch (rq.mode) {
    case PCI_SCHEME_IRQ_MSIX: st = irq_msix(d, f, rq.vectors, extra); break;
    case PCI_SCHEME_IRQ_MSI: st = irq_msi(d, f, rq.vectors, extra); break;
    case PCI_SCHEME_IRQ_INTX: st = irq_intx(d, f, extra); break;
    default: /* AUTO: the best the function has */
        st = f->msix.present ? irq_msix(d, f, rq.vectors, extra) : err(IOSIM_ENODEV);
        if (st == err(IOSIM_ENODEV))
            st = irq_msi(d, f, rq.vectors, extra);
        if (st == err(IOSIM_ENODEV))
            st = irq_intx(d, f, extra);
        break;
    }
    ASSERT(st != 0);
    ASSERT(st < 0 || (uint64_t)st <= rq.vectors); /* never more than asked */
    c->irq_done = st > 0;
    return st;
}

/* ---- dispatch -------------------------------------------------------------------------------- */

static int64_t dispatch(struct pcid *d, struct pcid_client *c, const struct ring_sqe64 *q,
                        uint64_t *extra, const char **op)
{
    ASSERT(client_in(d, c));
    ASSERT(*extra == 0);
    if (q->opcode == RING_OP_OPEN) {
        *op = "open";
        return do_open(c, q);
    }
    if (q->opcode > RING_OP_DUP) {
        *op = "bad";
        return err(IOSIM_ENOSYS);
    }
    if (!c->open || q->fd != PCI_SCHEME_HANDLE) {
        *op = "bad";
        return err(IOSIM_EBADF);
    }
    ASSERT(c->open);
    switch (q->opcode) {
    case RING_OP_READ:
    case RING_OP_WRITE: {
        bool wr = q->opcode == RING_OP_WRITE;
        if (q->offset == PCI_SCHEME_INFO && !wr) {
            *op = "info";
            return do_info(d, c, q);
        }
        if (q->offset == PCI_SCHEME_IRQ && wr) {
            *op = "irq";
            return do_irq(d, c, q, extra);
        }
        *op = wr ? "cfg_write" : "cfg_read";
        return do_cfg(d, c, q, wr);
    }
    case RING_OP_FMAP: *op = "bar"; return do_bar(d, c, q, extra);
    case RING_OP_CLOSE: *op = "close"; c->open = false; return 0;
    case RING_OP_NOP: *op = "nop"; return 0;
    default: *op = "bad"; return err(IOSIM_ENOSYS);
    }
}

int64_t pcid_serve_request(struct pcid *d, struct pcid_client *c, const struct ring_sqe64 *q,
                           uint64_t *extra)
{
    ASSERT(d != NULL && c != NULL && q != NULL);
    ASSERT(client_in(d, c));
    *extra = 0;
    const char *op = "bad";
    int64_t st = dispatch(d, c, q, extra, &op);
    ASSERT(op != NULL);
    ASSERT(st >= 0 || *extra == 0); /* an error carries nothing */
    ASSERT(c->open || q->opcode != RING_OP_OPEN || st < 0);
    port_trace_pcid_req(c->bdf, (uint32_t)c->pid, op, q->offset, q->len, st, *extra);
    return st;
}
