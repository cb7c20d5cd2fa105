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

static bool pow2(uint64_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

static bool is_mem(const struct pcid_bar *b)
{
    ASSERT(b->size == 0 || pow2(b->size)); /* size_of_mask gives one bit */
    return (b->kind == PCID_BAR_MEM32 || b->kind == PCID_BAR_MEM64) && b->size != 0;
}

static uint64_t mem_need(const struct pcid_bar *b)
{
    uint64_t need = b->size < PCID_BAR_ALIGN_MIN ? PCID_BAR_ALIGN_MIN : b->size;
    ASSERT(pow2(need));
    ASSERT(need >= PCID_BAR_ALIGN_MIN);
    return need;
}

static unsigned bar_slots(const struct pcid_func *f)
{
    ASSERT(f->bridge == (f->header_type == PCI_HEADER_TYPE_BRIDGE));
    return f->bridge ? 2u : (f->header_type == PCI_HEADER_TYPE_NORMAL ? PCI_BAR_COUNT : 0u);
}

static bool bar_in(const struct pack *p, const struct pcid_bar *b, enum cls c)
{
    ASSERT(p->ap != NULL);
    ASSERT(b->kind != PCID_BAR_NONE || b->size == 0);
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
    ASSERT(i < t->count);
    ASSERT(bridge < t->count);
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
    ASSERT(bridge < t->count);
    ASSERT(t->funcs[bridge].bridge);
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
    ASSERT(t->funcs[bridge].win_size == 0);
}

/* Takes [cur, cur + size) aligned to `align`; false when it does not fit. */
static bool take(struct pack *p, uint64_t size, uint64_t align, uint64_t *at)
{
    ASSERT(pow2(align));
    ASSERT(size != 0);
    ASSERT(p->cur <= p->limit);
    uint64_t a = (p->cur + align - 1) & ~(align - 1);
    if (a < p->cur || a > p->limit || size > p->limit - a)
        return false;
    *at = a;
    p->cur = a + size;
    ASSERT(a % align == 0);
    ASSERT(p->cur > a); /* the cursor only moves up */
    ASSERT(p->cur <= p->limit);
    if (align > p->max_align)
        p->max_align = align;
    return true;
}

static void place_window(struct pack *outer, uint32_t bridge);

static void pack_bar(struct pack *p, struct pcid_func *f, unsigned k, uint64_t size)
{
    ASSERT(k < bar_slots(f));
    ASSERT(pow2(size));
    ASSERT(size >= f->bar[k].size);
    uint64_t at;
    if (!take(p, size, size, &at)) {
        f->problems |= PCID_PROB_NO_SPACE;
        return;
    }
    ASSERT(at % size == 0);
    if (p->place) {
        f->bar[k].addr = at;
        f->bar[k].assigned = true;
    }
}

static void pack_window(struct pack *p, uint32_t i)
{
    ASSERT(i < p->t->count);
    struct pcid_func *f = &p->t->funcs[i];
    ASSERT(f->bridge);
    ASSERT(f->win_size % PCID_WINDOW_ALIGN == 0);
    ASSERT(pow2(f->win_align) && f->win_align >= PCID_WINDOW_ALIGN);
    uint64_t at;
    if (!take(p, f->win_size, f->win_align, &at)) {
        no_space_below(p->t, i);
        return;
    }
    if (p->place) {
        ASSERT(at % f->win_align == 0);
        f->win_base = at;
        place_window(p, i);
    }
}

/* The items of bus `parent` (ROOT: bus 0) in class c, largest alignment first. */
static void pack_bus(struct pack *p, uint32_t parent, enum cls c)
{
    struct pcid_topology *t = p->t;
    ASSERT(parent == ROOT || (parent < t->count && t->funcs[parent].bridge));
    ASSERT((c == CLS_MEM) == (parent != ROOT)); /* behind bridges only the memory windows */
    uint64_t start = p->cur;
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
    ASSERT(p->cur >= start);
    ASSERT(p->cur <= p->limit);
}

static void place_window(struct pack *outer, uint32_t bridge)
{
    ASSERT(outer->place);
    struct pcid_func *f = &outer->t->funcs[bridge];
    ASSERT(f->win_size != 0);
    ASSERT(f->win_base + f->win_size > f->win_base);
    ASSERT(f->win_base + f->win_size <= outer->limit); /* inside the window or aperture above */
    struct pack p = {.t = outer->t, .ap = outer->ap, .place = true, .cur = f->win_base,
                     .limit = f->win_base + f->win_size};
    pack_bus(&p, bridge, CLS_MEM);
    ASSERT(p.cur <= f->win_base + f->win_size);
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
        ASSERT(f->win_size % PCID_WINDOW_ALIGN == 0);
        ASSERT(pow2(f->win_align));
        ASSERT(f->win_base == 0); /* measured, not placed */
        if (f->win_size >= FOUR_GIB) /* a 32-bit window cannot say it */
            no_space_below(t, i);
    }
}

/* ---- writing it down ------------------------------------------------------------------------ */

static void wr(const struct pcid_cfg *c, const struct pcid_func *f, uint16_t off, unsigned size,
               uint32_t v)
{
    ASSERT(size == 1 || size == 2 || size == 4);
    ASSERT(off % size == 0 && off < PCI_CFG_SIZE);
    c->write(c->ctx, f->bus, f->dev, f->fn, off, size, v);
}

static void write_bars(const struct pcid_cfg *c, const struct pcid_func *f)
{
    for (unsigned k = 0; k < bar_slots(f); k++) {
        const struct pcid_bar *b = &f->bar[k];
        if (!b->assigned)
            continue;
        ASSERT(b->kind != PCID_BAR_NONE);
        ASSERT(b->kind != PCID_BAR_MEM32 || b->addr >> 32 == 0); /* placed below 4 GiB */
        uint16_t off = (uint16_t)(PCI_BAR0 + 4 * k);
        wr(c, f, off, 4, (uint32_t)b->addr);
        if (b->kind == PCID_BAR_MEM64)
            wr(c, f, (uint16_t)(off + 4), 4, (uint32_t)(b->addr >> 32));
    }
}

/* The memory window as placed, the others closed (base above limit). */
static void write_window(const struct pcid_cfg *c, const struct pcid_func *f)
{
    ASSERT(f->bridge);
    uint32_t base = PCI_BRIDGE_MEM_ADDR_MASK, limit = 0;
    if (f->win_size != 0 && !(f->problems & PCID_PROB_NO_SPACE)) {
        ASSERT(f->win_base % PCID_WINDOW_ALIGN == 0);
        ASSERT(f->win_base + f->win_size <= FOUR_GIB); /* a 32-bit window says it */
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

/* Debug checker (ASSERT only): no two assigned BARs of one space overlap,
 * and a BAR inside a bridge's window is below that bridge. */
static bool bar_span(const struct pcid_bar *b, uint64_t *base, uint64_t *end)
{
    uint64_t need = b->kind == PCID_BAR_IO ? b->size : mem_need(b);
    *base = b->addr;
    *end = b->addr + need;
    return b->assigned;
}

static bool bar_clear_of(const struct pcid_topology *t, uint32_t i, unsigned k)
{
    const struct pcid_bar *b = &t->funcs[i].bar[k];
    uint64_t lo, hi, lo2, hi2;
    if (!bar_span(b, &lo, &hi))
        return true;
    for (uint32_t j = i; j < t->count; j++) {
        const struct pcid_func *g = &t->funcs[j];
        for (unsigned m = j == i ? k + 1 : 0; m < PCI_BAR_COUNT; m++)
            if (bar_span(&g->bar[m], &lo2, &hi2) &&
                (g->bar[m].kind == PCID_BAR_IO) == (b->kind == PCID_BAR_IO) && lo < hi2 &&
                lo2 < hi)
                return false;
    }
    for (uint32_t j = 0; j < t->count && b->kind != PCID_BAR_IO; j++) {
        const struct pcid_func *g = &t->funcs[j];
        if (g->bridge && g->win_size != 0 && lo < g->win_base + g->win_size &&
            g->win_base < hi && !below(t, i, j))
            return false;
    }
    return true;
}

static bool assignment_ok(const struct pcid_topology *t, const struct pcid_apertures *ap)
{
    bool apart = ap->mem32_limit <= ap->mem64_base || ap->mem64_limit <= ap->mem32_base ||
                 ap->mem32_limit == ap->mem32_base || ap->mem64_limit == ap->mem64_base;
    for (uint32_t i = 0; i < t->count && apart; i++) /* apertures given overlapping: not ours */
        for (unsigned k = 0; k < PCI_BAR_COUNT; k++)
            if (!bar_clear_of(t, i, k))
                return false;
    return pcid_topology_ok(t);
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
    ASSERT(low.cur >= ap->mem32_base && low.cur <= ap->mem32_limit);
    ASSERT(high.cur >= ap->mem64_base && high.cur <= ap->mem64_limit);
    ASSERT(io.cur >= ap->io_base && io.cur <= ap->io_limit);
    ASSERT(assignment_ok(t, ap));
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
    ASSERT(bits != 0);
    ASSERT((bits & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)) == 0);
    uint16_t cmd = (uint16_t)c->read(c->ctx, f->bus, f->dev, f->fn, PCI_COMMAND, 2);
    wr(c, f, PCI_COMMAND, 2, cmd | bits);
}

enum iosim_err pcid_enable(const struct pcid_cfg *cfg, struct pcid_topology *t, uint32_t i)
{
    if (cfg == NULL || cfg->read == NULL || cfg->write == NULL || i >= t->count)
        return IOSIM_EINVAL;
    ASSERT(t->count <= PCID_FUNCS_MAX);
    ASSERT(pcid_func_ok(t, i));
    const struct pcid_func *f = &t->funcs[i];
    bool mem = false, io = false;
    for (unsigned k = 0; k < bar_slots(f); k++) {
        if (is_mem(&f->bar[k]) && !f->bar[k].assigned)
            return IOSIM_ENOSPC;
        mem |= is_mem(&f->bar[k]);
        io |= f->bar[k].kind == PCID_BAR_IO && f->bar[k].assigned;
        ASSERT(!f->bar[k].assigned || f->bar[k].size != 0);
    }
    if (f->problems & PCID_PROB_NO_SPACE)
        return IOSIM_ENOSPC;
    uint16_t bits = PCI_COMMAND_MASTER | (mem ? PCI_COMMAND_MEMORY : 0) | (io ? PCI_COMMAND_IO : 0);
    set_command(cfg, f, bits);
    for (uint32_t p = f->parent, n = 0; p != ROOT && n < PCID_FUNCS_MAX; p = t->funcs[p].parent, n++)
        set_command(cfg, &t->funcs[p], PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    return IOSIM_OK;
}
