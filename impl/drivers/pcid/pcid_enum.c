/*
 * PCI enumeration; see pcid_enum.h. Facts come from
 * impl/port/spec/pci_regs.h; the sections are cited there.
 */
#include "impl/drivers/pcid/pcid_enum.h"
#include "impl/drivers/pcid/pcid_assign.h" /* the alignments the checkers verify */

#include <string.h>

#include "impl/port/check.h"

struct walk {
    const struct pcid_cfg *cfg;
    const struct pcid_enum_opts *opts;
    struct pcid_topology *t;
    uint32_t next_bus;  /* the next bus number to give a bridge */
};

struct at {
    uint8_t bus, dev, fn;
};

static uint32_t rd(const struct walk *w, struct at a, uint16_t off, unsigned size)
{
    ASSERT(size == 1 || size == 2 || size == 4);
    ASSERT(off % size == 0);
    ASSERT(off < PCI_CFG_EXT_SIZE);
    return w->cfg->read(w->cfg->ctx, a.bus, a.dev, a.fn, off, size);
}

static void wr(const struct walk *w, struct at a, uint16_t off, unsigned size, uint32_t v)
{
    ASSERT(size == 1 || size == 2 || size == 4);
    ASSERT(off % size == 0);
    ASSERT(w->opts->assign_buses || w->opts->size_bars); /* a read-only walk never writes */
    w->cfg->write(w->cfg->ctx, a.bus, a.dev, a.fn, off, size, v);
}

/* ---- BARs --------------------------------------------------------------------------------- */

/* Size of a BAR from the mask it read back after all ones were written:
 * the lowest writable address bit. 0 when nothing is writable. */
static uint64_t size_of_mask(uint64_t mask)
{
    uint64_t size = mask == 0 ? 0 : mask & (~mask + 1);
    ASSERT((size & (size - 1)) == 0);
    ASSERT(size == 0 || (mask & (size - 1)) == 0);
    return size;
}

/* Is every address bit from the size bit up writable (what real sizing reads)? */
static bool mask_sane(uint64_t mask, uint64_t top)
{
    uint64_t size = size_of_mask(mask);
    ASSERT(mask != 0);
    return size != 0 && mask == (top & ~(size - 1));
}

static unsigned read_bar(struct walk *w, struct at a, struct pcid_func *f, unsigned i)
{
    ASSERT(i < PCI_BAR_COUNT);
    ASSERT(i < (f->bridge ? 2u : PCI_BAR_COUNT));
    uint16_t off = (uint16_t)(PCI_BAR0 + 4 * i);
    uint32_t lo = rd(w, a, off, 4);
    struct pcid_bar *b = &f->bar[i];
    ASSERT(b->kind == PCID_BAR_NONE && b->size == 0); /* read_header cleared it */
    if (lo & PCI_BAR_SPACE_IO) {
        b->kind = PCID_BAR_IO;
        b->addr = lo & PCI_BAR_IO_ADDR_MASK;
    } else {
        bool is64 = (lo & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64;
        b->kind = is64 ? PCID_BAR_MEM64 : PCID_BAR_MEM32;
        b->prefetch = (lo & PCI_BAR_MEM_PREFETCH) != 0;
        b->addr = lo & PCI_BAR_MEM_ADDR_MASK;
        if (is64 && i + 1 >= (f->bridge ? 2u : PCI_BAR_COUNT)) {
            f->problems |= PCID_PROB_BAR_64_LAST;
            b->kind = PCID_BAR_MEM32;
        } else if (is64) {
            b->addr |= (uint64_t)rd(w, a, (uint16_t)(off + 4), 4) << 32;
        }
    }
    if (w->opts->size_bars) {
        bool two = b->kind == PCID_BAR_MEM64;
        uint32_t hi = two ? rd(w, a, (uint16_t)(off + 4), 4) : 0;
        wr(w, a, off, 4, 0xffffffffu);
        if (two)
            wr(w, a, (uint16_t)(off + 4), 4, 0xffffffffu);
        uint64_t mask = rd(w, a, off, 4);
        if (two)
            mask |= (uint64_t)rd(w, a, (uint16_t)(off + 4), 4) << 32;
        wr(w, a, off, 4, lo);
        if (two)
            wr(w, a, (uint16_t)(off + 4), 4, hi);
        uint64_t addr_mask = b->kind == PCID_BAR_IO ? PCI_BAR_IO_ADDR_MASK
                             : two ? ~(uint64_t)0xf : PCI_BAR_MEM_ADDR_MASK;
        uint64_t top = b->kind == PCID_BAR_IO ? 0xffffffffull & PCI_BAR_IO_ADDR_MASK
                       : two ? ~(uint64_t)0xf : PCI_BAR_MEM_ADDR_MASK;
        mask &= addr_mask; /* I/O BARs may hardwire bits 31:16 to 0: only the size bit counts */
        b->size = size_of_mask(mask);
        if (mask != 0 && b->kind != PCID_BAR_IO && !mask_sane(mask, top))
            f->problems |= PCID_PROB_BAR_MASK;
        if (mask == 0)
            b->kind = PCID_BAR_NONE; /* not implemented: reads back 0 */
    } else if (lo == 0) {
        b->kind = PCID_BAR_NONE;
    }
    ASSERT((b->size & (b->size - 1)) == 0);
    ASSERT(b->kind != PCID_BAR_NONE || b->size == 0);
    ASSERT(b->kind != PCID_BAR_MEM64 || i + 1 < (f->bridge ? 2u : PCI_BAR_COUNT));
    return b->kind == PCID_BAR_MEM64 ? 2 : 1;
}

static void read_bars(struct walk *w, struct at a, struct pcid_func *f)
{
    unsigned n = f->bridge ? 2 : (f->header_type == PCI_HEADER_TYPE_NORMAL ? PCI_BAR_COUNT : 0);
    ASSERT(n <= PCI_BAR_COUNT);
    ASSERT(f->bridge == (f->header_type == PCI_HEADER_TYPE_BRIDGE));
    uint16_t cmd = (uint16_t)rd(w, a, PCI_COMMAND, 2);
    if (w->opts->size_bars) /* no decoding while BARs hold all ones */
        wr(w, a, PCI_COMMAND, 2, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
    unsigned i = 0;
    while (i < n)
        i += read_bar(w, a, f, i);
    ASSERT(i == n); /* a 64-bit BAR takes two slots, never past the last */
    ASSERT(i <= PCI_BAR_COUNT);
    if (w->opts->size_bars)
        wr(w, a, PCI_COMMAND, 2, cmd);
}

/* ---- capabilities ------------------------------------------------------------------------- */

static void read_msi(struct walk *w, struct at a, struct pcid_func *f, uint8_t at)
{
    ASSERT(at >= PCI_CAP_FIRST); /* read_caps validated the pointer */
    ASSERT(at % 4 == 0);
    uint16_t ctrl = (uint16_t)rd(w, a, (uint16_t)(at + PCI_MSI_CTRL), 2);
    f->msi = (struct pcid_msi){
        .present = true, .cap = at,
        .vectors_log2 = (uint8_t)((ctrl & PCI_MSI_CTRL_MMC_MASK) >> PCI_MSI_CTRL_MMC_SHIFT),
        .addr64 = (ctrl & PCI_MSI_CTRL_64BIT) != 0, .masking = (ctrl & PCI_MSI_CTRL_PVM) != 0};
    if (f->msi.vectors_log2 > PCI_MSI_VECTORS_LOG2_MAX)
        f->msi.vectors_log2 = PCI_MSI_VECTORS_LOG2_MAX; /* reserved encodings */
    ASSERT(f->msi.vectors_log2 <= PCI_MSI_VECTORS_LOG2_MAX);
}

/* Is BAR i a memory BAR of f (read before the capabilities)? The high
 * half of a 64-bit BAR is not one. */
static bool mem_bar(const struct pcid_func *f, unsigned i)
{
    ASSERT(f != NULL);
    return i < PCI_BAR_COUNT &&
           (f->bar[i].kind == PCID_BAR_MEM32 || f->bar[i].kind == PCID_BAR_MEM64);
}

static void read_msix(struct walk *w, struct at a, struct pcid_func *f, uint8_t at)
{
    ASSERT(at >= PCI_CAP_FIRST);
    ASSERT(at % 4 == 0);
    uint16_t ctrl = (uint16_t)rd(w, a, (uint16_t)(at + PCI_MSIX_CTRL), 2);
    uint32_t table = rd(w, a, (uint16_t)(at + PCI_MSIX_TABLE), 4);
    uint32_t pba = rd(w, a, (uint16_t)(at + PCI_MSIX_PBA), 4);
    f->msix = (struct pcid_msix){
        .present = true, .cap = at, .vectors = (uint16_t)((ctrl & PCI_MSIX_CTRL_SIZE_MASK) + 1),
        .table_bar = (uint8_t)(table & PCI_MSIX_BIR_MASK),
        .table_off = table & PCI_MSIX_OFFSET_MASK,
        .pba_bar = (uint8_t)(pba & PCI_MSIX_BIR_MASK), .pba_off = pba & PCI_MSIX_OFFSET_MASK};
    if (!mem_bar(f, f->msix.table_bar) || !mem_bar(f, f->msix.pba_bar))
        f->problems |= PCID_PROB_MSIX_BIR;
    ASSERT(f->msix.vectors >= 1);
    ASSERT(f->msix.vectors <= PCI_MSIX_VECTORS_MAX);
    ASSERT(f->msix.table_bar <= PCI_MSIX_BIR_MASK);
}

static void read_pcie(struct walk *w, struct at a, struct pcid_func *f, uint8_t at)
{
    ASSERT(at >= PCI_CAP_FIRST);
    ASSERT(at % 4 == 0);
    uint16_t caps = (uint16_t)rd(w, a, (uint16_t)(at + PCI_EXP_CAPS), 2);
    uint32_t lnkcap = rd(w, a, (uint16_t)(at + PCI_EXP_LNKCAP), 4);
    uint16_t lnksta = (uint16_t)rd(w, a, (uint16_t)(at + PCI_EXP_LNKSTA), 2);
    f->pcie = (struct pcid_pcie){
        .present = true, .cap = at, .type = (uint8_t)(caps >> PCI_EXP_CAPS_TYPE_SHIFT & 0xf),
        .max_gen = (uint8_t)(lnkcap & PCI_EXP_LNK_SPEED_MASK),
        .max_width = (uint8_t)((lnkcap & PCI_EXP_LNK_WIDTH_MASK) >> PCI_EXP_LNK_WIDTH_SHIFT),
        .gen = (uint8_t)(lnksta & PCI_EXP_LNK_SPEED_MASK),
        .width = (uint8_t)((lnksta & PCI_EXP_LNK_WIDTH_MASK) >> PCI_EXP_LNK_WIDTH_SHIFT)};
}

static void read_caps(struct walk *w, struct at a, struct pcid_func *f)
{
    if (!(rd(w, a, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
        return;
    uint8_t at = (uint8_t)(rd(w, a, PCI_CAP_PTR, 1) & PCI_CAP_PTR_MASK);
    uint64_t seen = 0; /* one bit per dword of the 256-byte space */
    for (uint32_t n = 0; at != 0; n++) {
        if (n == PCI_CAPS_MAX || (seen >> (at >> 2) & 1)) {
            f->problems |= PCID_PROB_CAP_LOOP;
            return;
        }
        if (at < PCI_CAP_FIRST) {
            f->problems |= PCID_PROB_CAP_PTR;
            return;
        }
        ASSERT(n < PCI_CAPS_MAX);
        ASSERT(at % 4 == 0); /* masked with PCI_CAP_PTR_MASK */
        ASSERT(at >= PCI_CAP_FIRST);
        seen |= 1ull << (at >> 2);
        uint8_t id = (uint8_t)rd(w, a, at + PCI_CAP_ID, 1);
        switch (id) {
        case PCI_CAP_ID_PM:
            f->pm = true;
            f->pm_cap = at;
            break;
        case PCI_CAP_ID_MSI: read_msi(w, a, f, at); break;
        case PCI_CAP_ID_MSIX: read_msix(w, a, f, at); break;
        case PCI_CAP_ID_PCIE: read_pcie(w, a, f, at); break;
        default: break;
        }
        at = (uint8_t)(rd(w, a, at + PCI_CAP_NEXT, 1) & PCI_CAP_PTR_MASK);
    }
}

/* ---- functions and buses ------------------------------------------------------------------- */

static void read_header(struct walk *w, struct at a, struct pcid_func *f, uint32_t parent)
{
    uint32_t id = rd(w, a, PCI_VENDOR_ID, 4);
    uint32_t class_rev = rd(w, a, PCI_REVISION_ID, 4);
    uint8_t htype = (uint8_t)rd(w, a, PCI_HEADER_TYPE, 1);
    *f = (struct pcid_func){
        .bus = a.bus, .dev = a.dev, .fn = a.fn, .vendor = (uint16_t)id,
        .device = (uint16_t)(id >> 16), .revision = (uint8_t)class_rev,
        .prog_if = (uint8_t)(class_rev >> 8), .subclass = (uint8_t)(class_rev >> 16),
        .class_code = (uint8_t)(class_rev >> 24), .header_type = htype & PCI_HEADER_TYPE_MASK,
        .multifunction = (htype & PCI_HEADER_MULTIFUNCTION) != 0, .parent = parent,
        .int_line = (uint8_t)rd(w, a, PCI_INTERRUPT_LINE, 1),
        .int_pin = (uint8_t)rd(w, a, PCI_INTERRUPT_PIN, 1)};
    f->bridge = f->header_type == PCI_HEADER_TYPE_BRIDGE;
    ASSERT(f->parent == parent);
    ASSERT(f->dev < PCI_DEVS_PER_BUS && f->fn < PCI_FNS_PER_DEV);
    if (f->header_type == PCI_HEADER_TYPE_NORMAL) {
        f->subsys_vendor = (uint16_t)rd(w, a, PCI_SUBSYS_VENDOR_ID, 2);
        f->subsys = (uint16_t)rd(w, a, PCI_SUBSYS_ID, 2);
    }
}

static void walk_bus(struct walk *w, uint8_t bus, uint32_t parent, uint32_t depth);

/* A bridge: numbers for its secondary side, the walk below it, and its
 * subordinate set to the last bus found there. */
static void walk_bridge(struct walk *w, struct at a, uint32_t self, uint32_t depth)
{
    struct pcid_topology *t = w->t;
    ASSERT(self < t->count);
    struct pcid_func *f = &t->funcs[self];
    ASSERT(f->bridge);
    ASSERT(f->bus == a.bus && f->dev == a.dev && f->fn == a.fn);
    if (depth >= PCID_BRIDGE_DEPTH_MAX) {
        t->problems |= PCID_PROB_BUSES;
        return;
    }
    if (w->opts->assign_buses) {
        if (w->next_bus > 0xff) {
            t->problems |= PCID_PROB_BUSES;
            return;
        }
        ASSERT(w->next_bus > a.bus); /* numbers go up as the walk goes down */
        uint8_t sec = (uint8_t)w->next_bus++;
        wr(w, a, PCI_BRIDGE_PRIMARY_BUS, 4, (uint32_t)a.bus | (uint32_t)sec << 8 | 0xffu << 16);
        walk_bus(w, sec, self, depth + 1);
        ASSERT(w->next_bus > sec);
        ASSERT(w->next_bus <= PCI_BUSES);
        uint8_t sub = (uint8_t)(w->next_bus - 1);
        ASSERT(sec <= sub);
        wr(w, a, PCI_BRIDGE_SUBORDINATE_BUS, 1, sub);
        f = &t->funcs[self];
        f->secondary = sec;
        f->subordinate = sub;
        return;
    }
    f->secondary = (uint8_t)rd(w, a, PCI_BRIDGE_SECONDARY_BUS, 1);
    f->subordinate = (uint8_t)rd(w, a, PCI_BRIDGE_SUBORDINATE_BUS, 1);
    if (f->secondary > a.bus && f->subordinate >= f->secondary) /* else: a loop, or unnumbered */
        walk_bus(w, f->secondary, self, depth + 1);
}

static void walk_function(struct walk *w, struct at a, uint32_t parent, uint32_t depth)
{
    struct pcid_topology *t = w->t;
    ASSERT(t->count <= PCID_FUNCS_MAX);
    ASSERT(parent == UINT32_MAX || parent < t->count);
    if (t->count == PCID_FUNCS_MAX) {
        t->problems |= PCID_PROB_TOO_MANY;
        return;
    }
    uint32_t self = t->count++;
    struct pcid_func *f = &t->funcs[self];
    read_header(w, a, f, parent);
    read_bars(w, a, f);
    read_caps(w, a, f);
    if (a.bus > t->last_bus)
        t->last_bus = a.bus;
    ASSERT(t->last_bus >= a.bus);
    if (f->bridge)
        walk_bridge(w, a, self, depth);
    ASSERT(t->count > self);
    ASSERT(t->count <= PCID_FUNCS_MAX);
}

static void walk_bus(struct walk *w, uint8_t bus, uint32_t parent, uint32_t depth)
{
    ASSERT(depth <= PCID_BRIDGE_DEPTH_MAX);
    ASSERT(parent == UINT32_MAX || (parent < w->t->count && w->t->funcs[parent].bridge));
    ASSERT(parent != UINT32_MAX || depth == 0);
    for (uint8_t dev = 0; dev < PCI_DEVS_PER_BUS; dev++) {
        struct at a0 = {bus, dev, 0};
        if ((rd(w, a0, PCI_VENDOR_ID, 2) & 0xffffu) == 0xffffu)
            continue;
        bool multi = (rd(w, a0, PCI_HEADER_TYPE, 1) & PCI_HEADER_MULTIFUNCTION) != 0;
        for (uint8_t fn = 0; fn < (multi ? PCI_FNS_PER_DEV : 1u); fn++) {
            struct at a = {bus, dev, fn};
            uint32_t vendor = rd(w, a, PCI_VENDOR_ID, 2) & 0xffffu;
            if (vendor == 0xffffu || vendor == 0)
                continue;
            walk_function(w, a, parent, depth);
        }
    }
}

enum iosim_err pcid_enumerate(const struct pcid_cfg *cfg, const struct pcid_enum_opts *opts,
                              struct pcid_topology *out)
{
    ASSERT(opts != NULL && out != NULL);
    bool writes = opts->assign_buses || opts->size_bars;
    if (cfg == NULL || cfg->read == NULL || (writes && cfg->write == NULL))
        return IOSIM_EINVAL;
    memset(out, 0, sizeof *out);
    struct walk w = {.cfg = cfg, .opts = opts, .t = out, .next_bus = 1};
    walk_bus(&w, 0, UINT32_MAX, 0);
    ASSERT(w.next_bus >= 1);
    ASSERT(w.next_bus <= PCI_BUSES + 1);
    ASSERT(pcid_topology_ok(out));
    return IOSIM_OK;
}

enum iosim_err pcid_enumerate_function(const struct pcid_cfg *cfg,
                                       const struct pcid_enum_opts *opts, uint8_t bus,
                                       uint8_t dev, uint8_t fn, struct pcid_topology *out)
{
    ASSERT(opts != NULL && out != NULL);
    bool writes = opts->assign_buses || opts->size_bars;
    if (cfg == NULL || cfg->read == NULL || (writes && cfg->write == NULL) ||
        dev >= PCI_DEVS_PER_BUS || fn >= PCI_FNS_PER_DEV)
        return IOSIM_EINVAL;
    /* new bus numbers go above every bus in use, and above this one */
    uint32_t used = out->last_bus > bus ? out->last_bus : bus;
    for (uint32_t i = 0; i < out->count; i++)
        if (out->funcs[i].bridge && out->funcs[i].subordinate > used)
            used = out->funcs[i].subordinate;
    ASSERT(out->count <= PCID_FUNCS_MAX);
    ASSERT(used >= bus);
    struct walk w = {.cfg = cfg, .opts = opts, .t = out, .next_bus = used + 1};
    struct at a = {bus, dev, fn};
    uint32_t vendor = rd(&w, a, PCI_VENDOR_ID, 2) & 0xffffu;
    if (vendor == 0xffffu || vendor == 0)
        return IOSIM_ENOENT;
    walk_function(&w, a, UINT32_MAX, 0);
    ASSERT(pcid_topology_ok(out));
    return IOSIM_OK;
}

const struct pcid_func *pcid_topology_find(const struct pcid_topology *t, uint8_t bus, uint8_t dev,
                                           uint8_t fn)
{
    ASSERT(t != NULL);
    ASSERT(t->count <= PCID_FUNCS_MAX);
    for (uint32_t i = 0; i < t->count; i++)
        if (t->funcs[i].bus == bus && t->funcs[i].dev == dev && t->funcs[i].fn == fn)
            return &t->funcs[i];
    return NULL;
}

/* ---- debug checkers (ASSERT only) ----------------------------------------------------------- */

static bool pow2_or_0(uint64_t v)
{
    return (v & (v - 1)) == 0;
}

static bool cap_ok(bool present, uint8_t at)
{
    return !present || (at >= PCI_CAP_FIRST && at % 4 == 0);
}

/* BAR k of f as pcid derived it; `win` the window of the bridge above (NULL on bus 0). */
static bool bar_ok(const struct pcid_func *f, unsigned k, const struct pcid_func *win)
{
    const struct pcid_bar *b = &f->bar[k];
    unsigned slots = f->bridge ? 2u : (f->header_type == PCI_HEADER_TYPE_NORMAL ? PCI_BAR_COUNT : 0u);
    if (!pow2_or_0(b->size) || (b->kind == PCID_BAR_NONE && b->size != 0))
        return false;
    if (k >= slots && b->kind != PCID_BAR_NONE)
        return false;
    if (b->kind == PCID_BAR_MEM64 && (k + 1 >= slots || f->bar[k + 1].kind != PCID_BAR_NONE))
        return false;
    if (!b->assigned)
        return true;
    if (b->kind == PCID_BAR_NONE || b->size == 0)
        return false;
    uint64_t need = b->kind == PCID_BAR_IO || b->size >= PCID_BAR_ALIGN_MIN ? b->size
                                                                      : PCID_BAR_ALIGN_MIN;
    if (b->addr % need != 0 || b->addr + need < b->addr)
        return false;
    if (win == NULL)
        return true;
    return b->kind != PCID_BAR_IO && win->win_size != 0 && b->addr >= win->win_base &&
           b->addr + need <= win->win_base + win->win_size;
}

bool pcid_func_ok(const struct pcid_topology *t, uint32_t i)
{
    if (t == NULL || t->count > PCID_FUNCS_MAX || i >= t->count)
        return false;
    const struct pcid_func *f = &t->funcs[i];
    if (f->dev >= PCI_DEVS_PER_BUS || f->fn >= PCI_FNS_PER_DEV || f->bus > t->last_bus)
        return false;
    if (f->bridge != (f->header_type == PCI_HEADER_TYPE_BRIDGE))
        return false;
    const struct pcid_func *up = NULL;
    if (f->parent != UINT32_MAX) {
        if (f->parent >= i) /* enumerated depth first: the bridge comes first */
            return false;
        up = &t->funcs[f->parent];
        if (!up->bridge || up->secondary != f->bus || up->secondary > up->subordinate ||
            f->bus <= up->bus)
            return false;
    }
    if (f->bridge && f->win_size != 0 &&
        (f->win_size % PCID_WINDOW_ALIGN != 0 || !pow2_or_0(f->win_align) ||
         f->win_align < PCID_WINDOW_ALIGN ||
         f->win_base % f->win_align != 0))
        return false;
    if (up != NULL && f->win_size != 0 && f->win_base != 0 &&
        (f->win_base < up->win_base || f->win_base + f->win_size > up->win_base + up->win_size))
        return false;
    for (unsigned k = 0; k < PCI_BAR_COUNT; k++)
        if (!bar_ok(f, k, up))
            return false;
    if (!cap_ok(f->pm, f->pm_cap) || !cap_ok(f->msi.present, f->msi.cap) ||
        !cap_ok(f->msix.present, f->msix.cap) || !cap_ok(f->pcie.present, f->pcie.cap))
        return false;
    return f->msi.vectors_log2 <= PCI_MSI_VECTORS_LOG2_MAX &&
           f->msix.vectors <= PCI_MSIX_VECTORS_MAX;
}

bool pcid_topology_ok(const struct pcid_topology *t)
{
    if (t == NULL || t->count > PCID_FUNCS_MAX)
        return false;
    for (uint32_t i = 0; i < t->count; i++)
        if (!pcid_func_ok(t, i))
            return false;
    return true;
}

const char *pcid_bar_kind_name(enum pcid_bar_kind k)
{
    ASSERT(k == PCID_BAR_NONE || k == PCID_BAR_MEM32 || k == PCID_BAR_MEM64 || k == PCID_BAR_IO);
    switch (k) {
    case PCID_BAR_MEM32: return "mem32";
    case PCID_BAR_MEM64: return "mem64";
    case PCID_BAR_IO: return "io";
    case PCID_BAR_NONE: break;
    }
    return "none";
}
