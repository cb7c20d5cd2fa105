/*
 * BAR and bridge-window assignment; see pcid_assign.h.
 *
 * One packing routine serves both passes: measuring what a bridge needs
 * (bottom-up, bridges in reverse enumeration order, which puts children
 * first) and placing (top-down from bus 0). Items of a bus are visited in
 * decreasing alignment, ties in enumeration order, so the result depends
 * on the topology alone.
 */
#include "impl/drivers/pcid/pcid_assign.h"

#include <stddef.h>

#include "impl/port/check.h"

#define FOUR_GIB (1ull << 32)
#define ROOT UINT32_MAX

/* Which items of a bus a pass takes. */
enum cls {
    CLS_MEM,    /* every memory item (behind a bridge) */
    CLS_LOW,    /* bus 0: memory items for the 32-bit aperture */
    CLS_HIGH,   /* bus 0: 64-bit BARs for the aperture above 4 GiB */
    CLS_IO,     /* bus 0: I/O BARs */
};

struct pack {
    struct pcid_topology *t;
    const struct pcid_apertures *ap;
    bool place;             /* else measure */
    uint64_t cur, limit;    /* next free address, end of the range */
    uint64_t max_align;
};

static bool is_mem(const struct pcid_bar *b)
{
    return (b->kind == PCID_BAR_MEM32 || b->kind == PCID_BAR_MEM64) && b->size != 0;
}

static uint64_t mem_need(const struct pcid_bar *b)
{
    return b->size < PCID_BAR_ALIGN_MIN ? PCID_BAR_ALIGN_MIN : b->size;
}

static unsigned bar_slots(const struct pcid_func *f)
{
    return f->bridge ? 2u : (f->header_type == PCI_HEADER_TYPE_NORMAL ? PCI_BAR_COUNT : 0u);
}

static bool bar_in(const struct pack *p, const struct pcid_bar *b, enum cls c)
{
    bool high = p->ap->mem64_limit > p->ap->mem64_base;
    switch (c) {
    case CLS_MEM: return is_mem(b);
    case CLS_LOW: return is_mem(b) && !(high && b->kind == PCID_BAR_MEM64);
    case CLS_HIGH: return is_mem(b) && high && b->kind == PCID_BAR_MEM64;
    case CLS_IO: return b->kind == PCID_BAR_IO && b->size != 0;
    }
    return false;
}

static bool below(const struct pcid_topology *t, uint32_t i, uint32_t bridge)
{
    for (uint32_t p = t->funcs[i].parent, n = 0; p != ROOT && n < PCID_FUNCS_MAX;
         p = t->funcs[p].parent, n++)
        if (p == bridge)
            return true;
    return false;
}

/* A bridge whose window did not fit, and everything below it: no window
 * (so none is written or checked against), no addresses. */
static void no_space_below(struct pcid_topology *t, uint32_t bridge)
{
    t->funcs[bridge].problems |= PCID_PROB_NO_SPACE;
    t->funcs[bridge].win_base = t->funcs[bridge].win_size = 0;
    for (uint32_t i = 0; i < t->count; i++) {
        if (!below(t, i, bridge))
            continue;
        struct pcid_func *f = &t->funcs[i];
        f->problems |= PCID_PROB_NO_SPACE;
        f->win_base = f->win_size = 0;
        for (unsigned k = 0; k < PCI_BAR_COUNT; k++)
            f->bar[k].assigned = false;
    }
}

/* Takes [cur, cur + size) aligned to `align`; false when it does not fit. */
static bool take(struct pack *p, uint64_t size, uint64_t align, uint64_t *at)
{
    uint64_t a = (p->cur + align - 1) & ~(align - 1);
    if (a < p->cur || a > p->limit || size > p->limit - a)
        return false;
    *at = a;
    p->cur = a + size;
    if (align > p->max_align)
        p->max_align = align;
    return true;
}

static void place_window(struct pack *outer, uint32_t bridge);

static void pack_bar(struct pack *p, struct pcid_func *f, unsigned k, uint64_t size)
{
    uint64_t at;
    if (!take(p, size, size, &at)) {
        f->problems |= PCID_PROB_NO_SPACE;
        return;
    }
    if (p->place) {
        f->bar[k].addr = at;
        f->bar[k].assigned = true;
    }
}

static void pack_window(struct pack *p, uint32_t i)
{
    struct pcid_func *f = &p->t->funcs[i];
    uint64_t at;
    if (!take(p, f->win_size, f->win_align, &at)) {
        no_space_below(p->t, i);
        return;
    }
    if (p->place) {
        f->win_base = at;
        place_window(p, i);
    }
}

/* The items of bus `parent` (ROOT: bus 0) in class c, largest alignment first. */
static void pack_bus(struct pack *p, uint32_t parent, enum cls c)
{
    struct pcid_topology *t = p->t;
    bool windows = c == CLS_MEM || c == CLS_LOW;
    for (int shift = 63; shift >= 0; shift--) {
        uint64_t align = 1ull << shift;
        for (uint32_t i = 0; i < t->count; i++) {
            struct pcid_func *f = &t->funcs[i];
            if (f->parent != parent)
                continue;
            for (unsigned k = 0; k < bar_slots(f); k++) {
                uint64_t need = c == CLS_IO ? f->bar[k].size : mem_need(&f->bar[k]);
                if (bar_in(p, &f->bar[k], c) && need == align)
                    pack_bar(p, f, k, need);
            }
            if (windows && f->bridge && f->win_size != 0 && f->win_align == align)
                pack_window(p, i);
        }
    }
}

static void place_window(struct pack *outer, uint32_t bridge)
{
    struct pcid_func *f = &outer->t->funcs[bridge];
    struct pack p = {.t = outer->t, .ap = outer->ap, .place = true, .cur = f->win_base,
                     .limit = f->win_base + f->win_size};
    pack_bus(&p, bridge, CLS_MEM);
}

/* What each bridge's window must hold, children before parents. */
static void measure_windows(struct pcid_topology *t, const struct pcid_apertures *ap)
{
    for (uint32_t i = t->count; i-- > 0;) {
        struct pcid_func *f = &t->funcs[i];
        if (!f->bridge)
            continue;
        struct pack p = {.t = t, .ap = ap, .cur = 0, .limit = UINT64_MAX};
        pack_bus(&p, i, CLS_MEM);
        f->win_size = (p.cur + PCID_WINDOW_ALIGN - 1) & ~(uint64_t)(PCID_WINDOW_ALIGN - 1);
        f->win_align = p.max_align > PCID_WINDOW_ALIGN ? p.max_align : PCID_WINDOW_ALIGN;
        if (f->win_size >= FOUR_GIB) /* a 32-bit window cannot say it */
            no_space_below(t, i);
    }
}

/* ---- writing it down ------------------------------------------------------------------------ */

static void wr(const struct pcid_cfg *c, const struct pcid_func *f, uint16_t off, unsigned size,
               uint32_t v)
{
    c->write(c->ctx, f->bus, f->dev, f->fn, off, size, v);
}

static void write_bars(const struct pcid_cfg *c, const struct pcid_func *f)
{
    for (unsigned k = 0; k < bar_slots(f); k++) {
        const struct pcid_bar *b = &f->bar[k];
        if (!b->assigned)
            continue;
        uint16_t off = (uint16_t)(PCI_BAR0 + 4 * k);
        wr(c, f, off, 4, (uint32_t)b->addr);
        if (b->kind == PCID_BAR_MEM64)
            wr(c, f, (uint16_t)(off + 4), 4, (uint32_t)(b->addr >> 32));
    }
}

/* The memory window as placed, the others closed (base above limit). */
static void write_window(const struct pcid_cfg *c, const struct pcid_func *f)
{
    uint32_t base = PCI_BRIDGE_MEM_ADDR_MASK, limit = 0;
    if (f->win_size != 0 && !(f->problems & PCID_PROB_NO_SPACE)) {
        base = (uint32_t)(f->win_base >> PCI_BRIDGE_MEM_SHIFT) & PCI_BRIDGE_MEM_ADDR_MASK;
        limit = (uint32_t)((f->win_base + f->win_size - 1) >> PCI_BRIDGE_MEM_SHIFT) &
                PCI_BRIDGE_MEM_ADDR_MASK;
    }
    wr(c, f, PCI_BRIDGE_MEM_BASE, 2, base);
    wr(c, f, PCI_BRIDGE_MEM_LIMIT, 2, limit);
    wr(c, f, PCI_BRIDGE_PREF_BASE, 2, PCI_BRIDGE_MEM_ADDR_MASK);
    wr(c, f, PCI_BRIDGE_PREF_LIMIT, 2, 0);
    wr(c, f, PCI_BRIDGE_PREF_BASE_UPPER, 4, 0);
    wr(c, f, PCI_BRIDGE_PREF_LIMIT_UPPER, 4, 0);
    wr(c, f, PCI_BRIDGE_IO_BASE, 1, 0xf0);
    wr(c, f, PCI_BRIDGE_IO_LIMIT, 1, 0);
}

static bool aperture_ok(uint64_t base, uint64_t limit)
{
    return base <= limit;
}

enum iosim_err pcid_assign(const struct pcid_cfg *cfg, const struct pcid_apertures *ap,
                           struct pcid_topology *t)
{
    ASSERT(t != NULL);
    if (cfg == NULL || cfg->read == NULL || cfg->write == NULL || ap == NULL ||
        !aperture_ok(ap->mem32_base, ap->mem32_limit) || ap->mem32_limit > FOUR_GIB ||
        !aperture_ok(ap->mem64_base, ap->mem64_limit) || !aperture_ok(ap->io_base, ap->io_limit))
        return IOSIM_EINVAL;
    for (uint32_t i = 0; i < t->count; i++) {
        struct pcid_func *f = &t->funcs[i];
        f->problems &= ~PCID_PROB_NO_SPACE;
        f->win_base = f->win_size = f->win_align = 0;
        for (unsigned k = 0; k < PCI_BAR_COUNT; k++) {
            f->bar[k].assigned = false;
            f->bar[k].addr = 0;
        }
    }
    measure_windows(t, ap);
    struct pack low = {.t = t, .ap = ap, .place = true, .cur = ap->mem32_base,
                       .limit = ap->mem32_limit};
    pack_bus(&low, ROOT, CLS_LOW);
    struct pack high = {.t = t, .ap = ap, .place = true, .cur = ap->mem64_base,
                        .limit = ap->mem64_limit};
    pack_bus(&high, ROOT, CLS_HIGH);
    struct pack io = {.t = t, .ap = ap, .place = true, .cur = ap->io_base, .limit = ap->io_limit};
    pack_bus(&io, ROOT, CLS_IO);
    for (uint32_t i = 0; i < t->count; i++) {
        struct pcid_func *f = &t->funcs[i];
        uint16_t cmd = (uint16_t)cfg->read(cfg->ctx, f->bus, f->dev, f->fn, PCI_COMMAND, 2);
        /* no decoding while addresses change; pcid_enable turns it on */
        wr(cfg, f, PCI_COMMAND, 2, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
        write_bars(cfg, f);
        if (f->bridge)
            write_window(cfg, f);
    }
    return IOSIM_OK;
}

/* ---- handing a function out ------------------------------------------------------------------ */

static void set_command(const struct pcid_cfg *c, const struct pcid_func *f, uint16_t bits)
{
    uint16_t cmd = (uint16_t)c->read(c->ctx, f->bus, f->dev, f->fn, PCI_COMMAND, 2);
    wr(c, f, PCI_COMMAND, 2, cmd | bits);
}

enum iosim_err pcid_enable(const struct pcid_cfg *cfg, struct pcid_topology *t, uint32_t i)
{
    if (cfg == NULL || cfg->read == NULL || cfg->write == NULL || i >= t->count)
        return IOSIM_EINVAL;
    const struct pcid_func *f = &t->funcs[i];
    bool mem = false, io = false;
    for (unsigned k = 0; k < bar_slots(f); k++) {
        if (is_mem(&f->bar[k]) && !f->bar[k].assigned)
            return IOSIM_ENOSPC;
        mem |= is_mem(&f->bar[k]);
        io |= f->bar[k].kind == PCID_BAR_IO && f->bar[k].assigned;
    }
    if (f->problems & PCID_PROB_NO_SPACE)
        return IOSIM_ENOSPC;
    uint16_t bits = PCI_COMMAND_MASTER | (mem ? PCI_COMMAND_MEMORY : 0) | (io ? PCI_COMMAND_IO : 0);
    set_command(cfg, f, bits);
    for (uint32_t p = f->parent, n = 0; p != ROOT && n < PCID_FUNCS_MAX; p = t->funcs[p].parent, n++)
        set_command(cfg, &t->funcs[p], PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    return IOSIM_OK;
}
