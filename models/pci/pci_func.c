/*
 * One PCI function's configuration space and interrupt logic; see
 * pci_func.h. Register behaviour comes from three byte arrays: the value,
 * the writable bits and the write-1-to-clear bits, set up once from the
 * descriptor.
 */
#include "models/pci/pci_func.h"

#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"

/* ---- little helpers ------------------------------------------------------------------- */

static void put(uint8_t *a, uint32_t off, unsigned size, uint32_t v)
{
    for (unsigned i = 0; i < size; i++)
        a[off + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get(const uint8_t *a, uint32_t off, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)a[off + i] << (8 * i);
    return v;
}

/* A register: its reset value, writable bits and W1C bits. */
static void reg(struct pci_func *f, uint32_t off, unsigned size, uint32_t value, uint32_t rw,
                uint32_t w1c)
{
    ASSERT(off + size <= PCI_CFG_EXT_SIZE);
    put(f->cfg, off, size, value);
    put(f->rw, off, size, rw);
    put(f->w1c, off, size, w1c);
}

static bool pow2(uint64_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

/* ---- descriptor checks ------------------------------------------------------------------- */

static const char *bar_problem(const struct pci_func_desc *d, unsigned i)
{
    const struct pci_bar_desc *b = &d->bar[i];
    unsigned nbars = d->bridge ? 2 : PCI_BAR_COUNT;
    if (b->kind == PCI_BAR_NONE)
        return NULL;
    if (i >= nbars)
        return "a bridge has BARs 0 and 1 only";
    if (!pow2(b->size))
        return "a BAR size must be a power of two";
    if (b->kind == PCI_BAR_IO)
        return b->size < PCI_BAR_IO_SIZE_MIN || b->size > PCI_BAR_IO_SIZE_MAX
                   ? "an I/O BAR is 4 to 256 bytes"
                   : NULL;
    if (b->size < PCI_BAR_MEM_SIZE_MIN)
        return "a memory BAR is at least 16 bytes";
    if (b->kind == PCI_BAR_MEM32 && b->size > (1ull << 31))
        return "a 32-bit memory BAR is at most 2 GiB";
    if (b->kind == PCI_BAR_MEM64 && (i + 1 >= nbars || d->bar[i + 1].kind != PCI_BAR_NONE))
        return "a 64-bit BAR needs the next BAR slot free";
    if (b->kind == PCI_BAR_MEM64 && b->size > (1ull << 63))
        return "a 64-bit memory BAR is at most 2^63 bytes";
    return NULL;
}

static bool is_mem_bar(const struct pci_func_desc *d, unsigned i)
{
    return i < PCI_BAR_COUNT && (d->bar[i].kind == PCI_BAR_MEM32 || d->bar[i].kind == PCI_BAR_MEM64);
}

static const char *msix_problem(const struct pci_func_desc *d)
{
    if (!d->msix.present)
        return NULL;
    uint64_t t = (uint64_t)d->msix.vectors * PCI_MSIX_ENTRY_SIZE;
    uint64_t p = ((uint64_t)d->msix.vectors + 63) / 64 * 8;
    if (d->msix.vectors == 0 || d->msix.vectors > PCI_MSIX_VECTORS_MAX)
        return "MSI-X has 1 to 2048 vectors";
    if (!is_mem_bar(d, d->msix.table_bar) || !is_mem_bar(d, d->msix.pba_bar))
        return "the MSI-X table and PBA live in memory BARs";
    if ((d->msix.table_off | d->msix.pba_off) & 7u)
        return "MSI-X table and PBA offsets are 8-byte aligned";
    if (d->msix.table_off + t > d->bar[d->msix.table_bar].size ||
        d->msix.pba_off + p > d->bar[d->msix.pba_bar].size)
        return "the MSI-X table or PBA does not fit its BAR";
    if (d->msix.table_bar == d->msix.pba_bar && d->msix.table_off < d->msix.pba_off + p &&
        d->msix.pba_off < d->msix.table_off + t)
        return "the MSI-X table and PBA overlap";
    return NULL;
}

/* Placed capabilities: inside the conventional space after the header,
 * dword aligned, each structure whole and apart from the others. */
static const char *placement_problem(const struct pci_func_desc *d)
{
    if ((d->at.pm | d->at.msi | d->at.pcie | d->at.msix) == 0)
        return NULL;
    const struct { bool present; uint8_t at; uint32_t size; } c[] = {
        {d->pm.present, d->at.pm, PCI_PM_SIZE}, {d->msi.present, d->at.msi, 24},
        {d->pcie.present, d->at.pcie, PCI_EXP_SIZE}, {d->msix.present, d->at.msix, PCI_MSIX_SIZE}};
    for (unsigned i = 0; i < 4; i++) {
        if (!c[i].present)
            continue;
        if (c[i].at < PCI_CAP_FIRST || c[i].at % 4 != 0 || c[i].at + c[i].size > PCI_CFG_SIZE)
            return "a placed capability sits at a dword from 0x40 and fits below 0x100";
        for (unsigned j = 0; j < i; j++)
            if (c[j].present && c[i].at < c[j].at + c[j].size && c[j].at < c[i].at + c[i].size)
                return "placed capabilities overlap";
    }
    return NULL;
}

const char *pci_func_desc_problem(const struct pci_func_desc *d)
{
    if (d->vendor == 0xffff || d->vendor == 0x0000)
        return "vendor 0x0000 and 0xffff mean no function";
    if (d->int_pin > 4)
        return "the interrupt pin is 0 (none) or 1..4 (INTA#..INTD#)";
    for (unsigned i = 0; i < PCI_BAR_COUNT; i++) {
        const char *w = bar_problem(d, i);
        if (w != NULL)
            return w;
    }
    if (d->msi.present && d->msi.vectors_log2 > PCI_MSI_VECTORS_LOG2_MAX)
        return "MSI has at most 32 vectors";
    if (d->pcie.present && (d->pcie.gen < 1 || d->pcie.gen > PCI_EXP_GEN_MAX))
        return "the PCI Express generation is 1 to 5";
    if (d->pcie.present && d->pcie.width != 1 && d->pcie.width != 2 && d->pcie.width != 4 &&
        d->pcie.width != 8 && d->pcie.width != 12 && d->pcie.width != 16 && d->pcie.width != 32)
        return "a link is x1, x2, x4, x8, x12, x16 or x32";
    const char *w = msix_problem(d);
    return w != NULL ? w : placement_problem(d);
}

/* ---- building the power-on state ---------------------------------------------------------- */

static void build_bars(struct pci_func *f)
{
    const struct pci_func_desc *d = &f->desc;
    for (unsigned i = 0; i < PCI_BAR_COUNT; i++) {
        const struct pci_bar_desc *b = &d->bar[i];
        uint32_t off = PCI_BAR0 + 4 * i;
        if (b->kind == PCI_BAR_IO) {
            reg(f, off, 4, PCI_BAR_SPACE_IO, (uint32_t)~(b->size - 1) & PCI_BAR_IO_ADDR_MASK, 0);
        } else if (b->kind == PCI_BAR_MEM32 || b->kind == PCI_BAR_MEM64) {
            uint32_t type = (b->kind == PCI_BAR_MEM64 ? PCI_BAR_MEM_TYPE_64 : PCI_BAR_MEM_TYPE_32) |
                            (b->prefetch ? PCI_BAR_MEM_PREFETCH : 0);
            reg(f, off, 4, type, (uint32_t)~(b->size - 1) & PCI_BAR_MEM_ADDR_MASK, 0);
            if (b->kind == PCI_BAR_MEM64) /* the high half: writable above the size */
                reg(f, off + 4, 4, 0, (uint32_t)(~(b->size - 1) >> 32), 0);
        }
    }
}

static uint8_t link_cap(struct pci_func *f, uint8_t at, uint8_t id, uint8_t *prev_next)
{
    f->cfg[at + PCI_CAP_ID] = id;
    f->cfg[at + PCI_CAP_NEXT] = 0;
    *prev_next = at;
    return at;
}

static bool caps_placed(const struct pci_func_desc *d)
{
    return (d->at.pm | d->at.msi | d->at.pcie | d->at.msix) != 0;
}

/* The next capability's offset: the model's chain, or where d puts it. */
static uint8_t cap_at(const struct pci_func_desc *d, uint8_t chained, uint8_t placed)
{
    return caps_placed(d) ? placed : chained;
}

static void build_caps(struct pci_func *f)
{
    const struct pci_func_desc *d = &f->desc;
    uint8_t *next = &f->cfg[PCI_CAP_PTR];
    uint8_t at = cap_at(d, PCI_CAP_FIRST, d->at.pm);
    if (d->pm.present) {
        f->cap_pm = link_cap(f, at, PCI_CAP_ID_PM, next);
        reg(f, at + PCI_PM_PMC, 2, PCI_PM_PMC_VERSION_1_2, 0, 0);
        reg(f, at + PCI_PM_CSR, 2, PCI_PM_CSR_NO_SOFT_RESET,
            PCI_PM_CSR_STATE_MASK | PCI_PM_CSR_PME_ENABLE, PCI_PM_CSR_PME_STATUS);
        next = &f->cfg[at + PCI_CAP_NEXT];
        at = (uint8_t)(at + PCI_PM_SIZE);
    }
    at = cap_at(d, at, d->at.msi);
    if (d->msi.present) {
        f->cap_msi = link_cap(f, at, PCI_CAP_ID_MSI, next);
        uint16_t ctrl = (uint16_t)(d->msi.vectors_log2 << PCI_MSI_CTRL_MMC_SHIFT) |
                        (d->msi.addr64 ? PCI_MSI_CTRL_64BIT : 0) |
                        (d->msi.per_vector_mask ? PCI_MSI_CTRL_PVM : 0);
        reg(f, at + PCI_MSI_CTRL, 2, ctrl, PCI_MSI_CTRL_ENABLE | PCI_MSI_CTRL_MME_MASK, 0);
        reg(f, at + PCI_MSI_ADDR_LO, 4, 0, 0xfffffffcu, 0);
        if (d->msi.addr64)
            reg(f, at + PCI_MSI_ADDR_HI, 4, 0, 0xffffffffu, 0);
        uint8_t data = d->msi.addr64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
        reg(f, at + data, 2, 0, 0xffffu, 0);
        if (d->msi.per_vector_mask) {
            uint32_t vmask = d->msi.vectors_log2 == 5 ? 0xffffffffu
                                                      : (1u << (1u << d->msi.vectors_log2)) - 1;
            reg(f, at + (d->msi.addr64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32), 4, 0, vmask, 0);
            reg(f, at + (d->msi.addr64 ? PCI_MSI_PENDING_64 : PCI_MSI_PENDING_32), 4, 0, 0, 0);
        }
        next = &f->cfg[at + PCI_CAP_NEXT];
        at = (uint8_t)(at + 24);
    }
    at = cap_at(d, at, d->at.pcie);
    if (d->pcie.present) {
        f->cap_pcie = link_cap(f, at, PCI_CAP_ID_PCIE, next);
        reg(f, at + PCI_EXP_CAPS, 2,
            PCI_EXP_CAPS_VERSION_2 | (uint32_t)d->pcie.port_type << PCI_EXP_CAPS_TYPE_SHIFT, 0, 0);
        reg(f, at + PCI_EXP_DEVCAP, 4, 0, 0, 0);     /* max payload 128 B */
        reg(f, at + PCI_EXP_DEVCTL, 2, 0x2810u, 0x7fffu, 0); /* max read request 512 B */
        reg(f, at + PCI_EXP_DEVSTA, 2, 0, 0, 0x000fu);
        uint32_t lnk = d->pcie.gen | (uint32_t)d->pcie.width << PCI_EXP_LNK_WIDTH_SHIFT;
        reg(f, at + PCI_EXP_LNKCAP, 4, lnk, 0, 0);
        reg(f, at + PCI_EXP_LNKCTL, 2, 0, 0x0fffu, 0);
        reg(f, at + PCI_EXP_LNKSTA, 2, lnk & 0x3ffu, 0, 0);
        next = &f->cfg[at + PCI_CAP_NEXT];
        at = (uint8_t)(at + PCI_EXP_SIZE);
    }
    at = cap_at(d, at, d->at.msix);
    if (d->msix.present) {
        f->cap_msix = link_cap(f, at, PCI_CAP_ID_MSIX, next);
        reg(f, at + PCI_MSIX_CTRL, 2, (uint32_t)(d->msix.vectors - 1),
            PCI_MSIX_CTRL_FUNC_MASK | PCI_MSIX_CTRL_ENABLE, 0);
        reg(f, at + PCI_MSIX_TABLE, 4, d->msix.table_off | d->msix.table_bar, 0, 0);
        reg(f, at + PCI_MSIX_PBA, 4, d->msix.pba_off | d->msix.pba_bar, 0, 0);
    }
    ASSERT(at <= PCI_CFG_SIZE - PCI_MSIX_SIZE);
}

/* Read-only bits as the dump has them; writable and W1C bits stay at reset. */
static void apply_image(struct pci_func *f)
{
    for (uint32_t i = 0; i < f->image_len; i++) {
        uint8_t mine = f->rw[i] | f->w1c[i];
        f->cfg[i] = (uint8_t)((f->cfg[i] & mine) | (f->image[i] & ~mine));
    }
}

static void build_header(struct pci_func *f)
{
    const struct pci_func_desc *d = &f->desc;
    bool io = false, mem = false;
    for (unsigned i = 0; i < PCI_BAR_COUNT; i++) {
        io |= d->bar[i].kind == PCI_BAR_IO;
        mem |= is_mem_bar(d, i);
    }
    bool caps = d->pm.present || d->msi.present || d->msix.present || d->pcie.present;
    reg(f, PCI_VENDOR_ID, 2, d->vendor, 0, 0);
    reg(f, PCI_DEVICE_ID, 2, d->device, 0, 0);
    uint32_t cmd_rw = PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
                      PCI_COMMAND_INTX_DISABLE | (io ? PCI_COMMAND_IO : 0) |
                      (mem || d->bridge ? PCI_COMMAND_MEMORY : 0);
    reg(f, PCI_COMMAND, 2, 0, cmd_rw, 0);
    reg(f, PCI_STATUS, 2, caps ? PCI_STATUS_CAP_LIST : 0, 0, PCI_STATUS_W1C);
    reg(f, PCI_REVISION_ID, 1, d->revision, 0, 0);
    reg(f, PCI_PROG_IF, 1, d->prog_if, 0, 0);
    reg(f, PCI_SUBCLASS, 1, d->subclass, 0, 0);
    reg(f, PCI_CLASS, 1, d->class_code, 0, 0);
    reg(f, PCI_CACHE_LINE_SIZE, 1, 0, 0xffu, 0);
    uint8_t type = (d->bridge ? PCI_HEADER_TYPE_BRIDGE : PCI_HEADER_TYPE_NORMAL) |
                   (d->multifunction ? PCI_HEADER_MULTIFUNCTION : 0);
    reg(f, PCI_HEADER_TYPE, 1, type, 0, 0);
    reg(f, PCI_INTERRUPT_LINE, 1, 0, 0xffu, 0);
    reg(f, PCI_INTERRUPT_PIN, 1, d->int_pin, 0, 0);
    if (d->bridge) {
        reg(f, PCI_BRIDGE_PRIMARY_BUS, 1, 0, 0xffu, 0);
        reg(f, PCI_BRIDGE_SECONDARY_BUS, 1, 0, 0xffu, 0);
        reg(f, PCI_BRIDGE_SUBORDINATE_BUS, 1, 0, 0xffu, 0);
        reg(f, PCI_BRIDGE_MEM_BASE, 2, 0, 0xfff0u, 0);
        reg(f, PCI_BRIDGE_MEM_LIMIT, 2, 0, 0xfff0u, 0);
        reg(f, PCI_BRIDGE_CONTROL, 2, 0, 0x0fffu, 0);
    } else {
        reg(f, PCI_SUBSYS_VENDOR_ID, 2, d->subsys_vendor, 0, 0);
        reg(f, PCI_SUBSYS_ID, 2, d->subsys, 0, 0);
    }
}

void pci_func_reset(struct pci_func *f)
{
    memset(f->cfg, 0, sizeof f->cfg);
    memset(f->rw, 0, sizeof f->rw);
    memset(f->w1c, 0, sizeof f->w1c);
    memset(f->msix_pending, 0, sizeof f->msix_pending);
    f->cap_pm = f->cap_msi = f->cap_msix = f->cap_pcie = 0;
    f->intx_asserted = false;
    build_header(f);
    build_bars(f);
    build_caps(f);
    if (f->image != NULL)
        apply_image(f);
    if (f->msix_table != NULL) { /* every vector masked after reset [LB 6.8.2.9] */
        memset(f->msix_table, 0, (size_t)f->desc.msix.vectors * PCI_MSIX_ENTRY_SIZE);
        for (uint32_t v = 0; v < f->desc.msix.vectors; v++)
            f->msix_table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_CTRL] = PCI_MSIX_ENTRY_CTRL_MASK;
    }
}

static enum iosim_err init_common(struct pci_func *f, const struct pci_func_desc *d,
                                  const uint8_t *image, uint32_t len)
{
    ASSERT(f != NULL && d != NULL);
    if (pci_func_desc_problem(d) != NULL || len > PCI_CFG_EXT_SIZE ||
        (image == NULL && len != 0))
        return IOSIM_EINVAL;
    memset(f, 0, sizeof *f);
    f->desc = *d;
    if (d->msix.present) {
        f->msix_table = calloc(d->msix.vectors, PCI_MSIX_ENTRY_SIZE);
        if (f->msix_table == NULL)
            return IOSIM_ENOMEM;
    }
    if (image != NULL) {
        f->image = calloc(1, PCI_CFG_EXT_SIZE);
        if (f->image == NULL) {
            pci_func_fini(f);
            return IOSIM_ENOMEM;
        }
        memcpy(f->image, image, len);
        f->image_len = len;
    }
    pci_func_reset(f);
    return IOSIM_OK;
}

enum iosim_err pci_func_init(struct pci_func *f, const struct pci_func_desc *d)
{
    return init_common(f, d, NULL, 0);
}

enum iosim_err pci_func_init_image(struct pci_func *f, const struct pci_func_desc *d,
                                   const uint8_t *image, uint32_t len)
{
    if (image == NULL)
        return IOSIM_EINVAL;
    return init_common(f, d, image, len);
}

void pci_func_fini(struct pci_func *f)
{
    free(f->msix_table);
    f->msix_table = NULL;
    free(f->image);
    f->image = NULL;
}

/* ---- configuration accesses ------------------------------------------------------------- */

static bool access_ok(uint32_t off, unsigned size)
{
    return (size == 1 || size == 2 || size == 4) && off < PCI_CFG_EXT_SIZE &&
           (off & (size - 1)) == 0;
}

uint32_t pci_func_cfg_read(const struct pci_func *f, uint32_t off, unsigned size, bool *bad)
{
    ASSERT(f != NULL);
    if (!access_ok(off, size)) {
        if (bad != NULL)
            *bad = true;
        return 0xffffffffu;
    }
    return get(f->cfg, off, size);
}

/* Which PCI_FUNC_CHG_* bit the byte at `off` belongs to. */
static uint32_t change_of(const struct pci_func *f, uint32_t off)
{
    if (off >= PCI_COMMAND && off < PCI_COMMAND + 2)
        return PCI_FUNC_CHG_COMMAND;
    if (f->desc.bridge && off >= PCI_BRIDGE_PRIMARY_BUS && off < PCI_BRIDGE_MEM_LIMIT + 2)
        return PCI_FUNC_CHG_BUS;
    if (off >= PCI_BAR0 && off < PCI_BAR0 + 4 * (f->desc.bridge ? 2u : PCI_BAR_COUNT))
        return PCI_FUNC_CHG_BAR0 << ((off - PCI_BAR0) / 4);
    if (f->cap_msi != 0 && off >= f->cap_msi && off < f->cap_msi + 24u)
        return PCI_FUNC_CHG_MSI;
    if (f->cap_msix != 0 && off >= f->cap_msix + PCI_MSIX_CTRL && off < f->cap_msix + 4u)
        return PCI_FUNC_CHG_MSIX;
    return 0;
}

uint32_t pci_func_cfg_write(struct pci_func *f, uint32_t off, unsigned size, uint32_t value)
{
    ASSERT(f != NULL);
    if (!access_ok(off, size))
        return PCI_FUNC_CHG_BAD;
    uint32_t changed = 0;
    for (unsigned i = 0; i < size; i++) {
        uint8_t v = (uint8_t)(value >> (8 * i)), old = f->cfg[off + i];
        uint8_t now = (uint8_t)((old & ~f->rw[off + i]) | (v & f->rw[off + i]));
        now = (uint8_t)(now & ~(v & f->w1c[off + i]));
        f->cfg[off + i] = now;
        if (now != old)
            changed |= change_of(f, off + i);
    }
    return changed;
}

uint16_t pci_func_command(const struct pci_func *f)
{
    return (uint16_t)get(f->cfg, PCI_COMMAND, 2);
}

bool pci_func_bar(const struct pci_func *f, unsigned i, uint64_t *addr, uint64_t *size,
                  enum pci_bar_kind *kind)
{
    if (i >= PCI_BAR_COUNT || f->desc.bar[i].kind == PCI_BAR_NONE)
        return false;
    const struct pci_bar_desc *b = &f->desc.bar[i];
    uint32_t lo = get(f->cfg, PCI_BAR0 + 4 * i, 4);
    uint64_t a = b->kind == PCI_BAR_IO ? lo & PCI_BAR_IO_ADDR_MASK : lo & PCI_BAR_MEM_ADDR_MASK;
    if (b->kind == PCI_BAR_MEM64)
        a |= (uint64_t)get(f->cfg, PCI_BAR0 + 4 * (i + 1), 4) << 32;
    *addr = a;
    *size = b->size;
    if (kind != NULL)
        *kind = b->kind;
    return true;
}

/* ---- MSI-X table and PBA ------------------------------------------------------------------ */

static uint64_t table_bytes(const struct pci_func *f)
{
    return (uint64_t)f->desc.msix.vectors * PCI_MSIX_ENTRY_SIZE;
}

static uint64_t pba_bytes(const struct pci_func *f)
{
    return ((uint64_t)f->desc.msix.vectors + 63) / 64 * 8;
}

bool pci_func_msix_owns(const struct pci_func *f, unsigned bar, uint64_t off, unsigned size)
{
    const struct pci_func_desc *d = &f->desc;
    if (!d->msix.present)
        return false;
    bool in_table = bar == d->msix.table_bar && off >= d->msix.table_off &&
                    off + size <= d->msix.table_off + table_bytes(f);
    bool in_pba = bar == d->msix.pba_bar && off >= d->msix.pba_off &&
                  off + size <= d->msix.pba_off + pba_bytes(f);
    return in_table || in_pba;
}

static bool msix_access_ok(uint64_t off, unsigned size)
{
    return (size == 4 || size == 8) && (off & (size - 1)) == 0;
}

uint64_t pci_func_msix_read(const struct pci_func *f, unsigned bar, uint64_t off, unsigned size,
                            bool *bad)
{
    const struct pci_func_desc *d = &f->desc;
    if (!pci_func_msix_owns(f, bar, off, size) || !msix_access_ok(off, size)) {
        *bad = true;
        return size >= 8 ? UINT64_MAX : 0xffffffffu;
    }
    uint64_t v = 0;
    if (bar == d->msix.table_bar && off >= d->msix.table_off &&
        off < d->msix.table_off + table_bytes(f)) {
        uint64_t t = off - d->msix.table_off;
        for (unsigned i = 0; i < size; i++)
            v |= (uint64_t)f->msix_table[t + i] << (8 * i);
        return v;
    }
    uint64_t p = off - d->msix.pba_off; /* the pending bits, read-only */
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)(uint8_t)(f->msix_pending[(p + i) / 8] >> (8 * ((p + i) % 8))) << (8 * i);
    return v;
}

static bool vector_masked(const struct pci_func *f, uint32_t v)
{
    return (f->msix_table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_CTRL] &
            PCI_MSIX_ENTRY_CTRL_MASK) != 0;
}

bool pci_func_msix_write(struct pci_func *f, unsigned bar, uint64_t off, unsigned size,
                         uint64_t value, bool *bad)
{
    const struct pci_func_desc *d = &f->desc;
    if (!pci_func_msix_owns(f, bar, off, size) || !msix_access_ok(off, size) ||
        bar != d->msix.table_bar || off < d->msix.table_off ||
        off >= d->msix.table_off + table_bytes(f)) {
        *bad = true; /* misaligned, or a write to the read-only PBA */
        return false;
    }
    bool unmasked = false;
    uint64_t t = off - d->msix.table_off;
    for (unsigned i = 0; i < size; i++) {
        uint64_t at = t + i;
        uint32_t v = (uint32_t)(at / PCI_MSIX_ENTRY_SIZE), field = (uint32_t)(at % PCI_MSIX_ENTRY_SIZE);
        uint8_t b = (uint8_t)(value >> (8 * i));
        if (field == PCI_MSIX_ENTRY_ADDR_LO)
            b &= 0xfcu; /* dword-aligned message address */
        if (field == PCI_MSIX_ENTRY_CTRL) {
            b &= PCI_MSIX_ENTRY_CTRL_MASK; /* the other control bits are reserved */
            unmasked |= vector_masked(f, v) && !(b & PCI_MSIX_ENTRY_CTRL_MASK);
        } else if (field > PCI_MSIX_ENTRY_CTRL) {
            b = 0;
        }
        f->msix_table[at] = b;
    }
    return unmasked;
}

/* ---- interrupts ----------------------------------------------------------------------------- */

static uint16_t cap16(const struct pci_func *f, uint8_t cap, uint32_t reg_off)
{
    return (uint16_t)get(f->cfg, cap + reg_off, 2);
}

static bool msix_enabled(const struct pci_func *f)
{
    return f->cap_msix != 0 && (cap16(f, f->cap_msix, PCI_MSIX_CTRL) & PCI_MSIX_CTRL_ENABLE);
}

static bool msi_enabled(const struct pci_func *f)
{
    return f->cap_msi != 0 && (cap16(f, f->cap_msi, PCI_MSI_CTRL) & PCI_MSI_CTRL_ENABLE);
}

static void msix_message(const struct pci_func *f, uint32_t v, struct pci_msg *msg)
{
    const uint8_t *e = &f->msix_table[v * PCI_MSIX_ENTRY_SIZE];
    msg->addr = (uint64_t)get(e, PCI_MSIX_ENTRY_ADDR_HI, 4) << 32 | get(e, PCI_MSIX_ENTRY_ADDR_LO, 4);
    msg->data = get(e, PCI_MSIX_ENTRY_DATA, 4);
}

static enum pci_irq_route signal_msix(struct pci_func *f, uint32_t v, struct pci_msg *msg)
{
    if (v >= f->desc.msix.vectors)
        return PCI_IRQ_NONE;
    bool func_mask = cap16(f, f->cap_msix, PCI_MSIX_CTRL) & PCI_MSIX_CTRL_FUNC_MASK;
    if (func_mask || vector_masked(f, v)) {
        f->msix_pending[v / 64] |= 1ull << (v % 64);
        return PCI_IRQ_NONE;
    }
    msix_message(f, v, msg);
    return PCI_IRQ_MSG;
}

/* MSI's enabled vectors, its mask and pending registers (0 when absent). */
static uint32_t msi_vectors(const struct pci_func *f)
{
    uint32_t ctrl = cap16(f, f->cap_msi, PCI_MSI_CTRL);
    uint32_t mme = (ctrl & PCI_MSI_CTRL_MME_MASK) >> PCI_MSI_CTRL_MME_SHIFT;
    uint32_t mmc = (ctrl & PCI_MSI_CTRL_MMC_MASK) >> PCI_MSI_CTRL_MMC_SHIFT;
    return 1u << (mme < mmc ? mme : mmc); /* more than asked for is not honoured */
}

static uint32_t msi_reg(const struct pci_func *f, bool pending)
{
    const struct pci_func_desc *d = &f->desc;
    if (!d->msi.per_vector_mask)
        return 0;
    if (pending)
        return f->cap_msi + (d->msi.addr64 ? PCI_MSI_PENDING_64 : PCI_MSI_PENDING_32);
    return f->cap_msi + (d->msi.addr64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32);
}

static void msi_message(const struct pci_func *f, uint32_t v, struct pci_msg *msg)
{
    const struct pci_func_desc *d = &f->desc;
    uint32_t n = msi_vectors(f);
    msg->addr = get(f->cfg, f->cap_msi + PCI_MSI_ADDR_LO, 4);
    if (d->msi.addr64)
        msg->addr |= (uint64_t)get(f->cfg, f->cap_msi + PCI_MSI_ADDR_HI, 4) << 32;
    uint32_t data = get(f->cfg, f->cap_msi + (d->msi.addr64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32), 2);
    msg->data = (data & ~(n - 1)) | v; /* the low bits carry the vector [LB 6.8.1.6] */
}

static enum pci_irq_route signal_msi(struct pci_func *f, uint32_t v, struct pci_msg *msg)
{
    if (v >= msi_vectors(f))
        return PCI_IRQ_NONE;
    uint32_t mreg = msi_reg(f, false);
    if (mreg != 0 && (get(f->cfg, mreg, 4) >> v & 1u)) {
        uint32_t preg = msi_reg(f, true);
        put(f->cfg, preg, 4, get(f->cfg, preg, 4) | 1u << v);
        return PCI_IRQ_NONE;
    }
    msi_message(f, v, msg);
    return PCI_IRQ_MSG;
}

enum pci_irq_route pci_func_signal(struct pci_func *f, uint32_t vector, struct pci_msg *msg)
{
    ASSERT(f != NULL && msg != NULL);
    if (msix_enabled(f))
        return signal_msix(f, vector, msg);
    if (msi_enabled(f))
        return signal_msi(f, vector, msg);
    if (f->desc.int_pin == 0)
        return PCI_IRQ_NONE;
    /* INTx: the status bit follows the request; the pin only without INTX_DISABLE [LB 6.2.3] */
    put(f->cfg, PCI_STATUS, 2, get(f->cfg, PCI_STATUS, 2) | PCI_STATUS_INTERRUPT);
    f->intx_asserted = !(pci_func_command(f) & PCI_COMMAND_INTX_DISABLE);
    return f->intx_asserted ? PCI_IRQ_INTX : PCI_IRQ_NONE;
}

void pci_func_intx_clear(struct pci_func *f)
{
    put(f->cfg, PCI_STATUS, 2, get(f->cfg, PCI_STATUS, 2) & ~PCI_STATUS_INTERRUPT);
    f->intx_asserted = false;
}

bool pci_func_take_unmasked(struct pci_func *f, uint32_t *vector, struct pci_msg *msg)
{
    if (msix_enabled(f) && !(cap16(f, f->cap_msix, PCI_MSIX_CTRL) & PCI_MSIX_CTRL_FUNC_MASK)) {
        for (uint32_t w = 0; w < (f->desc.msix.vectors + 63u) / 64u; w++) {
            for (uint64_t bits = f->msix_pending[w]; bits != 0; bits &= bits - 1) {
                uint32_t v = w * 64 + (uint32_t)__builtin_ctzll(bits);
                if (vector_masked(f, v))
                    continue;
                f->msix_pending[w] &= ~(1ull << (v % 64));
                *vector = v;
                msix_message(f, v, msg);
                return true;
            }
        }
    }
    if (msi_enabled(f) && msi_reg(f, true) != 0) {
        uint32_t pend = get(f->cfg, msi_reg(f, true), 4) & ~get(f->cfg, msi_reg(f, false), 4);
        if (pend != 0) {
            uint32_t v = (uint32_t)__builtin_ctz(pend);
            put(f->cfg, msi_reg(f, true), 4, get(f->cfg, msi_reg(f, true), 4) & ~(1u << v));
            *vector = v;
            msi_message(f, v, msg);
            return true;
        }
    }
    return false;
}
