/* The generic scenario-defined PCI device; see pci_generic.h. */
#include "models/pci/pci_generic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/spec/pci_generic_regs.h"
#include "sim/trace/trace.h"

struct pci_generic {
    struct pci_fn *fn;
    struct sim_machine *m;
    unsigned regs_bar;           /* the first memory BAR */
    uint32_t scratch, dma_lo, dma_hi, dma_data, dma_status;
    uint32_t file_regs;
    uint32_t *file;
    bool noted_unknown;
    bool dma_busy;
    uint32_t dma_op;
};

static void gen_note(struct pci_generic *g, const char *what)
{
    struct sim_trace *t = sim_dev_trace(g->m);
    if (t != NULL)
        sim_trace_log(t, sim_dev_now(g->m), -1, pci_fn_name(g->fn), what);
}

static uint32_t dma_status_of(enum iosim_err e)
{
    if (e == IOSIM_OK)
        return PCIGEN_DMA_OK;
    return e == IOSIM_EACCES ? PCIGEN_DMA_REFUSED : PCIGEN_DMA_FAILED;
}

/* The DMA happens when the link would have finished it. */
static void dma_done(void *ctx, uint64_t arg)
{
    struct pci_generic *g = ctx;
    (void)arg;
    uint64_t addr = (uint64_t)g->dma_hi << 32 | g->dma_lo;
    uint8_t b[4];
    enum iosim_err e;
    if (g->dma_op == PCIGEN_DMA_GO_READ) {
        e = pci_fn_dma_read(g->fn, addr, b, sizeof b);
        if (e == IOSIM_OK)
            g->dma_data = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                          (uint32_t)b[3] << 24;
    } else {
        for (unsigned i = 0; i < 4; i++)
            b[i] = (uint8_t)(g->dma_data >> (8 * i));
        e = pci_fn_dma_write(g->fn, addr, b, sizeof b);
    }
    bool master = pci_func_command(pci_fn_func(g->fn)) & PCI_COMMAND_MASTER;
    g->dma_status = e == IOSIM_EACCES && !master ? PCIGEN_DMA_NO_MASTER : dma_status_of(e);
    g->dma_busy = false;
}

static void dma_go(struct pci_generic *g, uint32_t op)
{
    if (op != PCIGEN_DMA_GO_READ && op != PCIGEN_DMA_GO_WRITE)
        return;
    if (g->dma_busy) {
        g->dma_status = PCIGEN_DMA_BUSY;
        return;
    }
    g->dma_busy = true;
    g->dma_op = op;
    if (sim_dev_after(g->m, pci_fn_dma_time_ps(g->fn, 4), dma_done, g, 0, NULL) != IOSIM_OK)
        dma_done(g, 0);
}

static uint64_t gen_read(void *ctx, unsigned bar, uint64_t off, unsigned size)
{
    struct pci_generic *g = ctx;
    if (bar != g->regs_bar || size != 4)
        return 0;
    const struct pci_func_desc *d = &pci_fn_func(g->fn)->desc;
    switch (off) {
    case PCIGEN_REG_ID: return (uint32_t)d->device << 16 | d->vendor;
    case PCIGEN_REG_SCRATCH: return g->scratch;
    case PCIGEN_REG_DMA_ADDR_LO: return g->dma_lo;
    case PCIGEN_REG_DMA_ADDR_HI: return g->dma_hi;
    case PCIGEN_REG_DMA_DATA: return g->dma_data;
    case PCIGEN_REG_DMA_STATUS: return g->dma_status;
    default: break;
    }
    if (off >= PCIGEN_REG_FILE && off < PCIGEN_REG_FILE + 4ull * g->file_regs && off % 4 == 0)
        return g->file[(off - PCIGEN_REG_FILE) / 4];
    if (!g->noted_unknown) {
        gen_note(g, "a read of an unimplemented register: 0");
        g->noted_unknown = true;
    }
    return 0;
}

static void gen_write(void *ctx, unsigned bar, uint64_t off, unsigned size, uint64_t value)
{
    struct pci_generic *g = ctx;
    if (bar != g->regs_bar || size != 4)
        return;
    uint32_t v = (uint32_t)value;
    switch (off) {
    case PCIGEN_REG_SCRATCH: g->scratch = v; return;
    case PCIGEN_REG_IRQ: (void)pci_fn_interrupt(g->fn, v); return;
    case PCIGEN_REG_IRQ_ACK: pci_fn_intx_clear(g->fn); return;
    case PCIGEN_REG_DMA_ADDR_LO: g->dma_lo = v; return;
    case PCIGEN_REG_DMA_ADDR_HI: g->dma_hi = v; return;
    case PCIGEN_REG_DMA_GO: dma_go(g, v); return;
    case PCIGEN_REG_DMA_DATA: g->dma_data = v; return;
    default: break;
    }
    if (off >= PCIGEN_REG_FILE && off < PCIGEN_REG_FILE + 4ull * g->file_regs && off % 4 == 0) {
        g->file[(off - PCIGEN_REG_FILE) / 4] = v;
        return;
    }
    if (!g->noted_unknown) {
        gen_note(g, "a write to an unimplemented register: ignored");
        g->noted_unknown = true;
    }
}

static const struct pci_dev_ops gen_ops = {gen_read, gen_write, NULL};

enum iosim_err pci_generic_create(struct pci_root *root, const struct pci_fn_config *cfg,
                                  uint32_t file_regs, struct pci_generic **out, const char **why)
{
    if (file_regs == 0 || file_regs > PCIGEN_FILE_REGS_MAX) {
        if (why != NULL)
            *why = "a register file of 1 to 1024 registers";
        return IOSIM_EINVAL;
    }
    struct pci_generic *g = calloc(1, sizeof *g);
    uint32_t *file = calloc(file_regs, sizeof *file);
    if (g == NULL || file == NULL) {
        free(g);
        free(file);
        return IOSIM_ENOMEM;
    }
    g->file = file;
    g->file_regs = file_regs;
    g->regs_bar = PCI_BAR_COUNT;
    for (unsigned i = 0; i < PCI_BAR_COUNT && g->regs_bar == PCI_BAR_COUNT; i++)
        if (cfg->desc.bar[i].kind == PCI_BAR_MEM32 || cfg->desc.bar[i].kind == PCI_BAR_MEM64)
            g->regs_bar = i;
    struct pci_fn_config c = *cfg;
    c.ops = &gen_ops;
    c.ctx = g;
    enum iosim_err e = pci_root_add(root, &c, &g->fn, why);
    if (e != IOSIM_OK) {
        free(file);
        free(g);
        return e;
    }
    g->m = pci_fn_machine(g->fn);
    *out = g;
    return IOSIM_OK;
}

void pci_generic_destroy(struct pci_generic *g)
{
    if (g == NULL)
        return;
    free(g->file);
    free(g);
}
