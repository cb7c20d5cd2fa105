/*
 * app_pcitest: the driver of the generic PCI device (impl/port/spec/
 * pci_generic_regs.h), the smallest driver that walks the whole pcid path:
 * it opens its function over the pci: ring, reads what pcid knows, checks
 * it against configuration space, maps its first memory BAR, checks the ID
 * register through it, sets up interrupts and makes the device raise
 * every vector it got, and optionally DMAs a word from its own memory.
 *
 * Arguments: pci (the function, given by pcid), irq ("auto", "msix",
 * "msi", "intx"; auto), vectors (1), dma (0), probe (0: with 1 it also
 * asks for what it must not have - another function, a BAR register, a
 * second interrupt set-up - and checks each is refused).
 * Exit status: 0 when everything held, 1 at the first thing that did not,
 * 2 when it could not reach pcid.
 */
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/drivers/pcid/pci_client.h"
#include "impl/port/port.h"
#include "impl/port/spec/pci_generic_regs.h"
#include "impl/port/spec/pci_regs.h"

#define IRQ_TIMEOUT_NS 1000000u

static uint32_t irq_mode(const char *s)
{
    if (strcmp(s, "msix") == 0)
        return PCI_SCHEME_IRQ_MSIX;
    if (strcmp(s, "msi") == 0)
        return PCI_SCHEME_IRQ_MSI;
    if (strcmp(s, "intx") == 0)
        return PCI_SCHEME_IRQ_INTX;
    return PCI_SCHEME_IRQ_AUTO;
}

static int first_mem_bar(const struct pci_scheme_info *in)
{
    for (int i = 0; i < 6; i++)
        if (in->bar[i].kind == PCI_SCHEME_BAR_MEM32 || in->bar[i].kind == PCI_SCHEME_BAR_MEM64)
            return i;
    return -1;
}

/* What pcid says is what configuration space says. */
static bool info_agrees(struct pci_client *pc, const struct pci_scheme_info *in)
{
    uint32_t id, cls;
    if (pci_client_cfg_read(pc, PCI_VENDOR_ID, 4, &id) != IOSIM_OK ||
        pci_client_cfg_read(pc, PCI_REVISION_ID, 4, &cls) != IOSIM_OK)
        return false;
    return id == ((uint32_t)in->device << 16 | in->vendor) && (cls >> 24) == in->class_code &&
           (uint8_t)(cls >> 16) == in->subclass && (uint8_t)(cls >> 8) == in->prog_if;
}

/* Each vector raised by the device arrives on its line. */
static bool irqs_arrive(struct port_bar *regs, const struct pci_client_irq *irq)
{
    for (uint32_t v = 0; v < irq->count; v++) {
        struct port_irq *h;
        if (port_irq_open(irq->first + v, &h) != IOSIM_OK)
            return false;
        port_mmio_write32(regs, PCIGEN_REG_IRQ, v);
        enum iosim_err e = port_irq_wait(h, IRQ_TIMEOUT_NS);
        if (irq->mode == PCI_SCHEME_IRQ_INTX)
            port_mmio_write32(regs, PCIGEN_REG_IRQ_ACK, 1);
        port_irq_close(h);
        if (e != IOSIM_OK)
            return false;
    }
    return true;
}

/* The device reads a word of ours by DMA (bus mastering must be on). */
static bool dma_works(struct port_bar *regs)
{
    struct port_dma buf;
    if (port_dma_alloc(64, 64, &buf) != IOSIM_OK)
        return false;
    uint32_t word = 0x5eed1234u;
    port_shm_write(buf.host, &word, sizeof word);
    port_mmio_write32(regs, PCIGEN_REG_DMA_ADDR_LO, (uint32_t)buf.bus_addr);
    port_mmio_write32(regs, PCIGEN_REG_DMA_ADDR_HI, (uint32_t)(buf.bus_addr >> 32));
    port_mmio_write32(regs, PCIGEN_REG_DMA_GO, PCIGEN_DMA_GO_READ);
    uint32_t st = PCIGEN_DMA_BUSY;
    for (int i = 0; i < 1000 && st == PCIGEN_DMA_BUSY; i++)
        st = port_mmio_read32(regs, PCIGEN_REG_DMA_STATUS);
    bool ok = st == PCIGEN_DMA_OK && port_mmio_read32(regs, PCIGEN_REG_DMA_DATA) == word;
    port_dma_free(&buf);
    return ok;
}

/* What a driver must not be given. */
static bool refusals_hold(struct pci_client *pc, const char *bdf)
{
    uint32_t v;
    if (pci_client_cfg_write(pc, PCI_BAR0, 4, 0xfe000000u) != IOSIM_EACCES ||
        pci_client_cfg_read(pc, 4095, 2, &v) != IOSIM_EINVAL ||
        pci_client_irq(pc, PCI_SCHEME_IRQ_AUTO, 1, &(struct pci_client_irq){0}) != IOSIM_EBUSY)
        return false;
    uint64_t phys, size;
    if (pci_client_bar(pc, 6, &phys, &size) != IOSIM_EINVAL)
        return false;
    /* another function: the same ring, another path */
    char other[16];
    memcpy(other, bdf, 8);
    other[6] = other[6] == '7' ? '6' : (char)(other[6] + 1);
    struct pci_client_buf *b = pc->buf;
    port_shm_write(b->path, other, 7);
    uint64_t tag;
    int64_t st;
    uint64_t x;
    struct ring_sqe64 q = {.opcode = RING_OP_OPEN, .addr = port_user_addr(b->path), .len = 7};
    if (pci_client_submit(pc, &q, &tag) != IOSIM_OK || pci_client_wait(pc, tag, &st, &x) != IOSIM_OK)
        return false;
    return st == -(int64_t)iosim_err_errno(IOSIM_EACCES);
}

static int32_t drive(struct pci_client *pc, void *args, const char *bdf)
{
    struct pci_scheme_info in;
    if (pci_client_info(pc, &in) != IOSIM_OK || !info_agrees(pc, &in))
        return 1;
    int bar = first_mem_bar(&in);
    struct port_bar *regs;
    if (bar < 0 || pci_client_map_bar(pc, (unsigned)bar, &regs) != IOSIM_OK)
        return 1;
    if (port_mmio_read32(regs, PCIGEN_REG_ID) != ((uint32_t)in.device << 16 | in.vendor))
        return 1;
    struct pci_client_irq irq;
    uint32_t vectors = (uint32_t)app_arg_int(args, "vectors", 1);
    if (pci_client_irq(pc, irq_mode(app_arg_str(args, "irq", "auto")), vectors, &irq) != IOSIM_OK ||
        !irqs_arrive(regs, &irq))
        return 1;
    if (app_arg_int(args, "dma", 0) != 0 && !dma_works(regs))
        return 1;
    if (app_arg_int(args, "probe", 0) != 0 && !refusals_hold(pc, bdf))
        return 1;
    port_bar_unmap(regs);
    return 0;
}

int32_t app_pcitest(void *args)
{
    const char *bdf = app_arg_str(args, "pci", NULL);
    struct pci_client pc;
    if (bdf == NULL || strlen(bdf) != 7 || pci_client_open(&pc, bdf) != IOSIM_OK)
        return 2;
    int32_t st = drive(&pc, args, bdf);
    pci_client_close(&pc);
    return st;
}
