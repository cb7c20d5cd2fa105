/*
 * The PCI root complex; see pci_root.h. Functions sit in an array in the
 * order they were added, which is also the order every search walks them,
 * so nothing depends on addresses.
 */
#include "models/pci/pci_root.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/trace/trace.h"

#define PCI_MSGS_MAX 256u /* messages on their way to the interrupt controller */

struct pci_bar_ctx {
    struct pci_fn *fn;
    unsigned bar;
};

struct pci_fn {
    struct pci_root *root;
    const char *name;
    struct pci_fn *parent;        /* the bridge above, or NULL */
    uint8_t dev, fn;
    struct pci_func func;
    uint32_t intx_line;
    const struct pci_dev_ops *ops;
    void *ctx;
    uint32_t bar_region[PCI_BAR_COUNT]; /* bus region id + 1, 0 when not decoding */
    uint64_t bar_base[PCI_BAR_COUNT];
    bool bar_conflict[PCI_BAR_COUNT];   /* logged once until the BAR changes */
    struct pci_bar_ctx bar_ctx[PCI_BAR_COUNT];
    char bar_name[PCI_BAR_COUNT][48];
};

struct pci_msg_slot {
    struct pci_fn *fn;
    struct pci_msg msg;
    bool used;
};

struct pci_root {
    struct sim_machine *m;
    struct pci_root_config cfg;
    struct pci_fn *fns[PCI_ROOT_FUNCS_MAX];
    uint32_t count;
    uint32_t ecam_region;
    struct pci_msg_slot msgs[PCI_MSGS_MAX];
};

/* ---- configuration and link figures --------------------------------------------------------- */

void pci_root_config_default(struct pci_root_config *c)
{
    *c = (struct pci_root_config){
        .ecam_base = 0xe0000000ull, .buses = 256,
        .cfg_read_req_ps = 250 * SIM_NS, .cfg_read_resp_ps = 250 * SIM_NS,
        .cfg_write_ps = 250 * SIM_NS,
        .bar_read_req_ps = 250 * SIM_NS, .bar_read_resp_ps = 250 * SIM_NS,
        .bar_write_ps = 250 * SIM_NS,
        .dma_latency_ps = 500 * SIM_NS, .msi_ps = 1 * SIM_US,
    };
}

uint64_t pci_link_bytes_per_s(uint8_t gen, uint8_t width)
{
    /* per lane, after line encoding [PCIe 4.2]: 2.5 and 5 GT/s use 8b/10b,
     * 8, 16 and 32 GT/s use 128b/130b */
    static const uint64_t lane[PCI_EXP_GEN_MAX + 1] = {
        0, 250000000ull, 500000000ull, 984615384ull, 1969230769ull, 3938461538ull};
    if (gen < 1 || gen > PCI_EXP_GEN_MAX || width == 0)
        return lane[1];
    return lane[gen] * width;
}

static void note(struct pci_root *r, const char *source, const char *what)
{
    struct sim_trace *t = sim_dev_trace(r->m);
    if (t != NULL)
        sim_trace_log(t, sim_dev_now(r->m), -1, source, what);
}

/* ---- topology ------------------------------------------------------------------------------ */

static uint8_t cfg8(const struct pci_fn *f, uint32_t off)
{
    return (uint8_t)pci_func_cfg_read(&f->func, off, 1, NULL);
}

/* The bus number the function answers on (bus 0, or its bridge's secondary). */
static uint32_t bus_of(const struct pci_fn *f)
{
    return f->parent == NULL ? 0 : cfg8(f->parent, PCI_BRIDGE_SECONDARY_BUS);
}

/* Does a configuration request for bus `bus` get down to this function? */
static bool reachable(const struct pci_fn *f)
{
    uint32_t b = bus_of(f);
    for (const struct pci_fn *p = f->parent; p != NULL; p = p->parent) {
        uint32_t sec = cfg8(p, PCI_BRIDGE_SECONDARY_BUS), sub = cfg8(p, PCI_BRIDGE_SUBORDINATE_BUS);
        if (sec == 0 || b < sec || b > sub)
            return false; /* the bridge does not forward to bus b */
    }
    return true;
}

static struct pci_fn *fn_at(struct pci_root *r, uint32_t bus, uint32_t dev, uint32_t fn)
{
    for (uint32_t i = 0; i < r->count; i++) {
        struct pci_fn *f = r->fns[i];
        if (f->dev == dev && f->fn == fn && bus_of(f) == bus && reachable(f))
            return f;
    }
    return NULL;
}

static bool upstream_allows(const struct pci_fn *f, uint16_t bit)
{
    for (const struct pci_fn *p = f->parent; p != NULL; p = p->parent)
        if (!(pci_func_command(&p->func) & bit))
            return false;
    return true;
}

/* Every bridge above forwards [base, base + size): memory on, window covering it. */
static bool windows_cover(const struct pci_fn *f, uint64_t base, uint64_t size)
{
    for (const struct pci_fn *p = f->parent; p != NULL; p = p->parent) {
        uint64_t lo = (uint64_t)(pci_func_cfg_read(&p->func, PCI_BRIDGE_MEM_BASE, 2, NULL) &
                                 PCI_BRIDGE_MEM_ADDR_MASK) << PCI_BRIDGE_MEM_SHIFT;
        uint64_t hi = ((uint64_t)(pci_func_cfg_read(&p->func, PCI_BRIDGE_MEM_LIMIT, 2, NULL) &
                                  PCI_BRIDGE_MEM_ADDR_MASK) << PCI_BRIDGE_MEM_SHIFT) |
                      (PCI_BRIDGE_WINDOW_UNIT - 1);
        if (!(pci_func_command(&p->func) & PCI_COMMAND_MEMORY) || base < lo || base + size - 1 > hi)
            return false;
    }
    return true;
}

/* ---- BAR decoding --------------------------------------------------------------------------- */

static uint64_t bar_read(void *ctx, uint64_t off, unsigned size);
static void bar_write(void *ctx, uint64_t off, unsigned size, uint64_t value);
static const struct sim_mmio_ops bar_ops = {bar_read, bar_write};

static bool bar_wants(const struct pci_fn *f, unsigned i, uint64_t *base, uint64_t *size)
{
    enum pci_bar_kind kind;
    if (!pci_func_bar(&f->func, i, base, size, &kind) || kind == PCI_BAR_IO)
        return false;
    return (pci_func_command(&f->func) & PCI_COMMAND_MEMORY) && *base + *size > *base &&
           windows_cover(f, *base, *size);
}

static void bar_stop(struct pci_fn *f, unsigned i)
{
    if (f->bar_region[i] == 0)
        return;
    enum iosim_err e = sim_dev_mmio_remove(f->root->m, f->bar_region[i] - 1);
    ASSERT(e == IOSIM_OK);
    (void)e;
    f->bar_region[i] = 0;
}

static void bar_refresh(struct pci_fn *f, unsigned i)
{
    struct pci_root *r = f->root;
    uint64_t base, size;
    if (!bar_wants(f, i, &base, &size)) {
        bar_stop(f, i);
        f->bar_conflict[i] = false;
        return;
    }
    if (f->bar_region[i] != 0 && f->bar_base[i] == base)
        return;
    bar_stop(f, i);
    struct sim_mmio_region reg = {.name = f->bar_name[i], .base = base, .len = size, .ops = &bar_ops,
                                  .ctx = &f->bar_ctx[i], .read_req_ps = r->cfg.bar_read_req_ps,
                                  .read_resp_ps = r->cfg.bar_read_resp_ps,
                                  .write_ps = r->cfg.bar_write_ps, .enabled = true};
    uint32_t id;
    if (sim_dev_mmio_add(r->m, &reg, &id) == IOSIM_OK) {
        f->bar_region[i] = id + 1;
        f->bar_base[i] = base;
        f->bar_conflict[i] = false;
    } else if (!f->bar_conflict[i]) {
        char msg[128];
        snprintf(msg, sizeof msg, "BAR %u at 0x%llx overlaps another region: not decoded", i,
                 (unsigned long long)base);
        note(r, f->name, msg);
        f->bar_conflict[i] = true;
    }
}

static void bars_refresh(struct pci_fn *f)
{
    for (unsigned i = 0; i < PCI_BAR_COUNT; i++)
        bar_refresh(f, i);
}

static void all_bars_refresh(struct pci_root *r)
{
    for (uint32_t i = 0; i < r->count; i++)
        bars_refresh(r->fns[i]);
}

/* ---- interrupts ------------------------------------------------------------------------------ */

/* A message reaches the host bridge: an interrupt, or plain memory. */
static void msg_deliver(struct pci_root *r, struct pci_fn *f, const struct pci_msg *msg)
{
    if ((msg->addr & PCI_MSI_X86_MASK) == PCI_MSI_X86_BASE) {
        sim_dev_irq_raise(r->m, msg->data % SIM_IRQ_LINES, f->name);
        return;
    }
    uint8_t data[4] = {(uint8_t)msg->data, (uint8_t)(msg->data >> 8), (uint8_t)(msg->data >> 16),
                       (uint8_t)(msg->data >> 24)};
    (void)sim_dev_dma_write(r->m, f->name, msg->addr, data, sizeof data);
}

static void msg_arrive(void *ctx, uint64_t slot)
{
    struct pci_root *r = ctx;
    struct pci_msg_slot s = r->msgs[slot];
    ASSERT(s.used);
    r->msgs[slot].used = false;
    msg_deliver(r, s.fn, &s.msg);
}

static void msg_send(struct pci_fn *f, const struct pci_msg *msg)
{
    struct pci_root *r = f->root;
    if (!(pci_func_command(&f->func) & PCI_COMMAND_MASTER) ||
        !upstream_allows(f, PCI_COMMAND_MASTER)) {
        note(r, f->name, "an interrupt message with bus mastering off: not sent");
        return;
    }
    for (uint32_t i = 0; i < PCI_MSGS_MAX; i++) {
        if (r->msgs[i].used)
            continue;
        r->msgs[i] = (struct pci_msg_slot){.fn = f, .msg = *msg, .used = true};
        if (sim_dev_after(r->m, r->cfg.msi_ps, msg_arrive, r, i, NULL) == IOSIM_OK)
            return;
        r->msgs[i].used = false;
        break;
    }
    note(r, f->name, "too many interrupt messages in flight: this one delivered at once");
    msg_deliver(r, f, msg);
}

static void send_unmasked(struct pci_fn *f)
{
    uint32_t v;
    struct pci_msg msg;
    for (uint32_t n = 0; n < PCI_MSIX_VECTORS_MAX + 32 && pci_func_take_unmasked(&f->func, &v, &msg);
         n++)
        msg_send(f, &msg);
}

enum pci_irq_route pci_fn_interrupt(struct pci_fn *f, uint32_t vector)
{
    struct pci_msg msg;
    enum pci_irq_route route = pci_func_signal(&f->func, vector, &msg);
    switch (route) {
    case PCI_IRQ_INTX: sim_dev_irq_raise(f->root->m, f->intx_line, f->name); break;
    case PCI_IRQ_MSG: msg_send(f, &msg); break;
    case PCI_IRQ_NONE: break;
    }
    return route;
}

void pci_fn_intx_clear(struct pci_fn *f)
{
    pci_func_intx_clear(&f->func);
}

/* ---- configuration accesses (the ECAM window) ---------------------------------------------- */

static uint64_t all_ones(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
}

static uint64_t ecam_read(void *ctx, uint64_t off, unsigned size)
{
    struct pci_root *r = ctx;
    struct pci_fn *f = fn_at(r, (uint32_t)(off >> PCI_ECAM_BUS_SHIFT),
                             (uint32_t)(off >> PCI_ECAM_DEV_SHIFT) & 31u,
                             (uint32_t)(off >> PCI_ECAM_FN_SHIFT) & 7u);
    if (f == NULL)
        return all_ones(size); /* nobody answers: a master abort */
    bool bad = false;
    uint32_t v = pci_func_cfg_read(&f->func, (uint32_t)off & 0xfffu, size, &bad);
    if (bad) {
        note(r, f->name, "a configuration read wider than 4 bytes");
        return all_ones(size);
    }
    return v;
}

static void act_on(struct pci_fn *f, uint32_t changed, uint16_t old_cmd)
{
    struct pci_root *r = f->root;
    uint16_t cmd = pci_func_command(&f->func);
    if (changed & PCI_FUNC_CHG_COMMAND) {
        if (f->func.desc.bridge)
            all_bars_refresh(r);
        else
            bars_refresh(f);
        if (f->ops != NULL && f->ops->command != NULL)
            f->ops->command(f->ctx, cmd);
        bool intx_on = (old_cmd & PCI_COMMAND_INTX_DISABLE) && !(cmd & PCI_COMMAND_INTX_DISABLE);
        if (intx_on && (pci_func_cfg_read(&f->func, PCI_STATUS, 2, NULL) & PCI_STATUS_INTERRUPT))
            sim_dev_irq_raise(r->m, f->intx_line, f->name); /* a request held back until now */
    }
    if (changed & PCI_FUNC_CHG_BUS)
        all_bars_refresh(r);
    else if (changed & (PCI_FUNC_CHG_BAR0 * 0x3fu))
        bars_refresh(f);
    if (changed & (PCI_FUNC_CHG_MSI | PCI_FUNC_CHG_MSIX))
        send_unmasked(f);
}

static void ecam_write(void *ctx, uint64_t off, unsigned size, uint64_t value)
{
    struct pci_root *r = ctx;
    struct pci_fn *f = fn_at(r, (uint32_t)(off >> PCI_ECAM_BUS_SHIFT),
                             (uint32_t)(off >> PCI_ECAM_DEV_SHIFT) & 31u,
                             (uint32_t)(off >> PCI_ECAM_FN_SHIFT) & 7u);
    if (f == NULL)
        return;
    uint16_t old_cmd = pci_func_command(&f->func);
    uint32_t changed = pci_func_cfg_write(&f->func, (uint32_t)off & 0xfffu, size, (uint32_t)value);
    if (changed & PCI_FUNC_CHG_BAD) {
        note(r, f->name, "a configuration write wider than 4 bytes: dropped");
        return;
    }
    act_on(f, changed, old_cmd);
}

static const struct sim_mmio_ops ecam_ops = {ecam_read, ecam_write};

/* ---- BAR accesses ----------------------------------------------------------------------------- */

static uint64_t bar_read(void *ctx, uint64_t off, unsigned size)
{
    struct pci_bar_ctx *b = ctx;
    struct pci_fn *f = b->fn;
    if (pci_func_msix_owns(&f->func, b->bar, off, size)) {
        bool bad = false;
        uint64_t v = pci_func_msix_read(&f->func, b->bar, off, size, &bad);
        if (bad)
            note(f->root, f->name, "an MSI-X table or PBA access that is not an aligned dword or qword");
        return v;
    }
    if (f->ops == NULL || f->ops->bar_read == NULL)
        return 0;
    return f->ops->bar_read(f->ctx, b->bar, off, size);
}

static void bar_write(void *ctx, uint64_t off, unsigned size, uint64_t value)
{
    struct pci_bar_ctx *b = ctx;
    struct pci_fn *f = b->fn;
    if (pci_func_msix_owns(&f->func, b->bar, off, size)) {
        bool bad = false;
        if (pci_func_msix_write(&f->func, b->bar, off, size, value, &bad))
            send_unmasked(f);
        if (bad)
            note(f->root, f->name, "an MSI-X write to the PBA or not an aligned dword or qword: dropped");
        return;
    }
    if (f->ops != NULL && f->ops->bar_write != NULL)
        f->ops->bar_write(f->ctx, b->bar, off, size, value);
}

/* ---- DMA ------------------------------------------------------------------------------------------ */

static bool masters(const struct pci_fn *f)
{
    return (pci_func_command(&f->func) & PCI_COMMAND_MASTER) && upstream_allows(f, PCI_COMMAND_MASTER);
}

enum iosim_err pci_fn_dma_read(struct pci_fn *f, uint64_t addr, void *dst, size_t len_bytes)
{
    if (!masters(f)) {
        sim_dev_dma_disabled(f->root->m, f->name, "read", addr, len_bytes);
        return IOSIM_EACCES;
    }
    return sim_dev_dma_read(f->root->m, f->name, addr, dst, len_bytes);
}

enum iosim_err pci_fn_dma_write(struct pci_fn *f, uint64_t addr, const void *src, size_t len_bytes)
{
    if (!masters(f)) {
        sim_dev_dma_disabled(f->root->m, f->name, "write", addr, len_bytes);
        return IOSIM_EACCES;
    }
    return sim_dev_dma_write(f->root->m, f->name, addr, src, len_bytes);
}

sim_time_ps pci_fn_dma_time_ps(const struct pci_fn *f, uint64_t bytes)
{
    const struct pci_pcie_desc *e = &f->func.desc.pcie;
    uint64_t rate = e->present ? pci_link_bytes_per_s(e->gen, e->width) : pci_link_bytes_per_s(1, 1);
    return f->root->cfg.dma_latency_ps + (sim_time_ps)(bytes * (SIM_S / 1000) / (rate / 1000));
}

/* ---- set-up --------------------------------------------------------------------------------------- */

enum iosim_err pci_root_create(struct sim_machine *m, const struct pci_root_config *cfg,
                               struct pci_root **out)
{
    ASSERT(m != NULL && cfg != NULL && out != NULL);
    if (cfg->buses == 0 || cfg->buses > PCI_BUSES || (cfg->ecam_base & (PCI_ECAM_BYTES_PER_BUS - 1)))
        return IOSIM_EINVAL;
    struct pci_root *r = calloc(1, sizeof *r);
    if (r == NULL)
        return IOSIM_ENOMEM;
    r->m = m;
    r->cfg = *cfg;
    struct sim_mmio_region reg = {.name = "pci.ecam", .base = cfg->ecam_base,
                                  .len = (uint64_t)cfg->buses << PCI_ECAM_BUS_SHIFT,
                                  .ops = &ecam_ops, .ctx = r, .read_req_ps = cfg->cfg_read_req_ps,
                                  .read_resp_ps = cfg->cfg_read_resp_ps,
                                  .write_ps = cfg->cfg_write_ps, .enabled = true};
    enum iosim_err e = sim_dev_mmio_add(m, &reg, &r->ecam_region);
    if (e != IOSIM_OK) {
        free(r);
        return e;
    }
    *out = r;
    return IOSIM_OK;
}

void pci_root_destroy(struct pci_root *r)
{
    if (r == NULL)
        return;
    for (uint32_t i = 0; i < r->count; i++) {
        pci_func_fini(&r->fns[i]->func);
        free(r->fns[i]);
    }
    free(r);
}

struct pci_fn *pci_root_fn(struct pci_root *r, const char *name)
{
    for (uint32_t i = 0; i < r->count; i++)
        if (strcmp(r->fns[i]->name, name) == 0)
            return r->fns[i];
    return NULL;
}

static const char *add_problem(struct pci_root *r, const struct pci_fn_config *c,
                               struct pci_fn **parent, enum iosim_err *e)
{
    *e = IOSIM_EINVAL;
    *parent = NULL;
    if (c->name == NULL || c->dev >= PCI_DEVS_PER_BUS || c->fn >= PCI_FNS_PER_DEV)
        return "a function needs a name, a device 0..31 and a function 0..7";
    const char *why = pci_func_desc_problem(&c->desc);
    if (why != NULL)
        return why;
    if (c->behind != NULL) {
        *parent = pci_root_fn(r, c->behind);
        if (*parent == NULL || !(*parent)->func.desc.bridge)
            return "`behind` names no bridge added before it";
    }
    if (r->count == PCI_ROOT_FUNCS_MAX) {
        *e = IOSIM_ENOSPC;
        return "too many PCI functions";
    }
    const struct pci_fn *fn0 = NULL;
    for (uint32_t i = 0; i < r->count; i++) {
        const struct pci_fn *o = r->fns[i];
        if (o->parent != *parent || o->dev != c->dev)
            continue;
        if (o->fn == c->fn) {
            *e = IOSIM_EEXIST;
            return "that device and function are taken";
        }
        if (o->fn == 0)
            fn0 = o;
    }
    if (c->fn != 0 && (fn0 == NULL || !fn0->func.desc.multifunction))
        return "function > 0 needs function 0 of the device, multi-function, first";
    if (c->fn == 0 && !c->desc.multifunction)
        for (uint32_t i = 0; i < r->count; i++)
            if (r->fns[i]->parent == *parent && r->fns[i]->dev == c->dev)
                return "function 0 of a device with other functions must be multi-function";
    return NULL;
}

enum iosim_err pci_root_add(struct pci_root *r, const struct pci_fn_config *c, struct pci_fn **out,
                            const char **why)
{
    ASSERT(r != NULL && c != NULL);
    struct pci_fn *parent;
    enum iosim_err e;
    const char *w = add_problem(r, c, &parent, &e);
    if (w != NULL) {
        if (why != NULL)
            *why = w;
        return e;
    }
    struct pci_fn *f = calloc(1, sizeof *f);
    if (f == NULL)
        return IOSIM_ENOMEM;
    e = c->image != NULL ? pci_func_init_image(&f->func, &c->desc, c->image, c->image_len)
                         : pci_func_init(&f->func, &c->desc);
    if (e != IOSIM_OK) {
        free(f);
        return e;
    }
    f->root = r;
    f->name = c->name;
    f->parent = parent;
    f->dev = c->dev;
    f->fn = c->fn;
    f->intx_line = c->intx_line;
    /* What firmware leaves there: the platform's routing of the pin, for
     * the OS to read [LB 6.2.4]. Lines past 254 have no encoding (255 is
     * "unknown"). */
    if (c->desc.int_pin != 0)
        (void)pci_func_cfg_write(&f->func, PCI_INTERRUPT_LINE, 1,
                                 c->intx_line < 0xff ? c->intx_line : 0xff);
    f->ops = c->ops;
    f->ctx = c->ctx;
    for (unsigned i = 0; i < PCI_BAR_COUNT; i++) {
        f->bar_ctx[i] = (struct pci_bar_ctx){.fn = f, .bar = i};
        snprintf(f->bar_name[i], sizeof f->bar_name[i], "%s.bar%u", c->name, i);
    }
    r->fns[r->count++] = f;
    if (out != NULL)
        *out = f;
    return IOSIM_OK;
}

struct pci_func *pci_fn_func(struct pci_fn *f)
{
    return &f->func;
}

const char *pci_fn_name(const struct pci_fn *f)
{
    return f->name;
}

struct sim_machine *pci_fn_machine(const struct pci_fn *f)
{
    return f->root->m;
}
