/*
 * `type: pci_dump` devices: the functions of a real machine's
 * configuration-space dump (lspci hex text, or a sysfs devices directory)
 * as functions of the simulated root complex, each built with
 * pci_func_init_image so that every read-only bit reads as on the real
 * machine while BARs, the command register and the interrupt
 * capabilities behave as the model makes them.
 *
 * One entry expands into one device per function, named NAME-BB.DD.F.
 * A function on the secondary bus of a dumped bridge sits behind that
 * bridge; a function whose bus's bridge is not in the dump sits on bus 0
 * at its device and function (nothing is invented). BAR sizes come from
 * the dump's Region lines or sysfs `resource` files; a BAR the dump shows
 * in use without a size is refused, as is anything the model could not
 * be (the refusal names the function).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/pci/pci_family.h"
#include "sim/scenario/pci_dump_file.h"

#define CHECK SIM_SCN_CHECK

struct dump_load {
    struct sim_family_loader *l;
    const struct yml_node *at;       /* where errors point */
    char name[SIM_NAME_MAX];         /* the entry's (a copy: its slot becomes a function) */
    struct pcid_dump *dump;
};

static uint32_t get32(const uint8_t *b, uint32_t off)
{
    return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 |
           (uint32_t)b[off + 3] << 24;
}

static uint16_t get16(const uint8_t *b, uint32_t off)
{
    return (uint16_t)(b[off] | b[off + 1] << 8);
}

/* ---- reading the dump ------------------------------------------------------------------------ */

static enum iosim_err read_dump(struct dump_load *dl, const struct yml_node *v, const char *path,
                                bool sysfs)
{
    char msg[600];
    if (sim_pci_dump_read(path, sysfs, dl->dump, msg, sizeof msg) != IOSIM_OK)
        return yml_error_at(dl->l->doc, v, dl->l->err, "%s", msg);
    return IOSIM_OK;
}

/* ---- a dumped function as a model descriptor ------------------------------------------------- */

static enum iosim_err refuse(struct dump_load *dl, const struct pcid_dump_func *f, const char *why)
{
    return yml_error_at(dl->l->doc, dl->at, dl->l->err, "%02x:%02x.%x of the dump: %s", f->bus,
                        f->dev, f->fn, why);
}

static enum iosim_err desc_bars(struct dump_load *dl, const struct pcid_dump_func *f,
                                struct pci_func_desc *d)
{
    unsigned n = d->bridge ? 2 : PCI_BAR_COUNT;
    for (unsigned i = 0; i < n; i++) {
        uint32_t lo = get32(f->cfg, PCI_BAR0 + 4 * i);
        bool io = lo & PCI_BAR_SPACE_IO;
        bool is64 = !io && (lo & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64;
        uint64_t size = f->bar_size_known[i] ? f->bar_size[i] : 0;
        if (lo == 0 && (!is64 || get32(f->cfg, PCI_BAR0 + 4 * i + 4) == 0) && size == 0)
            continue; /* unimplemented, or unused and unsized */
        if (!f->bar_size_known[i])
            return refuse(dl, f, "a BAR in use without a size (no Region line or resource)");
        if (size == 0)
            continue;
        d->bar[i] = (struct pci_bar_desc){io ? PCI_BAR_IO : is64 ? PCI_BAR_MEM64 : PCI_BAR_MEM32,
                                          size, !io && (lo & PCI_BAR_MEM_PREFETCH)};
        i += is64;
    }
    return IOSIM_OK;
}

static void desc_msi(const uint8_t *c, uint8_t at, struct pci_func_desc *d)
{
    uint16_t ctrl = get16(c, at + PCI_MSI_CTRL);
    uint8_t mmc = (uint8_t)((ctrl & PCI_MSI_CTRL_MMC_MASK) >> PCI_MSI_CTRL_MMC_SHIFT);
    d->msi = (struct pci_msi_desc){true, mmc > PCI_MSI_VECTORS_LOG2_MAX ? PCI_MSI_VECTORS_LOG2_MAX : mmc,
                                   (ctrl & PCI_MSI_CTRL_64BIT) != 0, (ctrl & PCI_MSI_CTRL_PVM) != 0};
    d->at.msi = at;
}

static void desc_pcie(const uint8_t *c, uint8_t at, struct pci_func_desc *d)
{
    uint32_t lnk = get32(c, at + PCI_EXP_LNKCAP);
    uint8_t gen = (uint8_t)(lnk & PCI_EXP_LNK_SPEED_MASK);
    uint8_t width = (uint8_t)((lnk & PCI_EXP_LNK_WIDTH_MASK) >> PCI_EXP_LNK_WIDTH_SHIFT);
    bool ok_width = width == 1 || width == 2 || width == 4 || width == 8 || width == 12 ||
                    width == 16 || width == 32;
    /* an integrated endpoint has no link (LNKCAP 0): DMA at gen 1 x1 rates;
     * the dump's own bytes are what software reads either way */
    d->pcie = (struct pci_pcie_desc){true, (uint8_t)(get16(c, at + PCI_EXP_CAPS) >> PCI_EXP_CAPS_TYPE_SHIFT & 0xf),
                                     gen >= 1 && gen <= PCI_EXP_GEN_MAX ? gen : 1, ok_width ? width : 1};
    d->at.pcie = at;
}

static void desc_msix(const uint8_t *c, uint8_t at, struct pci_func_desc *d)
{
    uint32_t table = get32(c, at + PCI_MSIX_TABLE), pba = get32(c, at + PCI_MSIX_PBA);
    d->msix = (struct pci_msix_desc){
        true, (uint16_t)((get16(c, at + PCI_MSIX_CTRL) & PCI_MSIX_CTRL_SIZE_MASK) + 1),
        (uint8_t)(table & PCI_MSIX_BIR_MASK), (uint8_t)(pba & PCI_MSIX_BIR_MASK),
        table & PCI_MSIX_OFFSET_MASK, pba & PCI_MSIX_OFFSET_MASK};
    d->at.msix = at;
}

/* The capabilities the model implements, where the dump has them (a loop
 * or a pointer past the dumped bytes ends the walk: the rest is the dump's). */
static void desc_caps(const struct pcid_dump_func *f, struct pci_func_desc *d)
{
    const uint8_t *c = f->cfg;
    if (f->len < PCI_CFG_SIZE || !(get16(c, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return;
    uint8_t at = c[PCI_CAP_PTR] & PCI_CAP_PTR_MASK;
    for (unsigned n = 0; at >= PCI_CAP_FIRST && n < PCI_CAPS_MAX; n++) {
        switch (c[at + PCI_CAP_ID]) {
        case PCI_CAP_ID_PM: d->pm.present = true, d->at.pm = at; break;
        case PCI_CAP_ID_MSI: desc_msi(c, at, d); break;
        case PCI_CAP_ID_PCIE: desc_pcie(c, at, d); break;
        case PCI_CAP_ID_MSIX: desc_msix(c, at, d); break;
        default: break;
        }
        at = c[at + PCI_CAP_NEXT] & PCI_CAP_PTR_MASK;
    }
}

static enum iosim_err describe(struct dump_load *dl, const struct pcid_dump_func *f,
                               struct pci_func_desc *d)
{
    const uint8_t *c = f->cfg;
    uint8_t htype = c[PCI_HEADER_TYPE];
    *d = (struct pci_func_desc){
        .vendor = get16(c, PCI_VENDOR_ID), .device = get16(c, PCI_DEVICE_ID),
        .class_code = c[PCI_CLASS], .subclass = c[PCI_SUBCLASS], .prog_if = c[PCI_PROG_IF],
        .revision = c[PCI_REVISION_ID], .multifunction = (htype & PCI_HEADER_MULTIFUNCTION) != 0,
        .int_pin = c[PCI_INTERRUPT_PIN] <= 4 ? c[PCI_INTERRUPT_PIN] : 0};
    switch (htype & PCI_HEADER_TYPE_MASK) {
    case PCI_HEADER_TYPE_NORMAL:
        d->subsys_vendor = get16(c, PCI_SUBSYS_VENDOR_ID);
        d->subsys = get16(c, PCI_SUBSYS_ID);
        break;
    case PCI_HEADER_TYPE_BRIDGE: d->bridge = true; break;
    default: return refuse(dl, f, "a header type the model does not have (CardBus?)");
    }
    enum iosim_err e = desc_bars(dl, f, d);
    if (e != IOSIM_OK)
        return e;
    desc_caps(f, d);
    if (d->msix.present && pci_func_desc_problem(d) != NULL) {
        /* A table the function cannot have (a BIR to no BAR, a table past its
         * BAR): real hardware ships such capabilities. The model does not
         * implement it; its bytes stay the dump's, for pcid to judge. */
        struct pci_func_desc without = *d;
        without.msix = (struct pci_msix_desc){0};
        without.at.msix = 0;
        if (pci_func_desc_problem(&without) == NULL)
            *d = without;
    }
    const char *why = pci_func_desc_problem(d);
    return why != NULL ? refuse(dl, f, why) : IOSIM_OK;
}

/* ---- placing the functions ------------------------------------------------------------------- */

struct placing {
    struct dump_load *dl;
    uint16_t domain;
    bool want[PCID_DUMP_FUNCS_MAX];     /* selected by `functions:` */
    int32_t device[PCID_DUMP_FUNCS_MAX]; /* its device index once placed, else -1 */
};

/* The dumped, selected bridge whose secondary bus is `bus`, or -1. */
static int32_t bridge_of_bus(const struct placing *pl, uint8_t bus)
{
    const struct pcid_dump *d = pl->dl->dump;
    for (uint32_t i = 0; i < d->count; i++) {
        const struct pcid_dump_func *f = &d->funcs[i];
        if (pl->want[i] && f->domain == pl->domain && bus != 0 &&
            (f->cfg[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE &&
            f->cfg[PCI_BRIDGE_SECONDARY_BUS] == bus)
            return (int32_t)i;
    }
    return -1;
}

/* Slot free, and function 0 of the device there first, multi-function. */
static enum iosim_err slot_ok(struct dump_load *dl, const struct pcid_dump_func *f,
                              const struct pci_dev_config *self)
{
    const struct pci_dev_config *fn0 = NULL;
    for (uint32_t i = 0; i < sim_family_device_count(dl->l); i++) {
        const struct pci_dev_config *o = pci_family_config(dl->l, i);
        if (o == NULL || o == self || strcmp(o->behind, self->behind) != 0 || o->fn.dev != f->dev)
            continue;
        if (o->fn.fn == f->fn)
            return refuse(dl, f, "its slot is taken (its bus's bridge is not in the dump, so it "
                                 "sits on bus 0)");
        if (o->dump_bus != (int32_t)f->bus)
            return refuse(dl, f, "a function of another bus of the dump already sits at its "
                                 "device on bus 0 (their bridges are not in the dump); leave "
                                 "one out with `functions:`");
        if (o->fn.fn == 0)
            fn0 = o;
    }
    if (f->fn != 0 && (fn0 == NULL || !fn0->fn.desc.multifunction))
        return refuse(dl, f, "function 0 of its device is not in the dump (or is not "
                             "multi-function), so enumeration could not find it; leave it out "
                             "with `functions:`");
    return IOSIM_OK;
}

static enum iosim_err place_one(struct placing *pl, uint32_t i, int32_t parent)
{
    struct dump_load *dl = pl->dl;
    const struct pcid_dump_func *f = &dl->dump->funcs[i];
    char name[SIM_NAME_MAX];
    snprintf(name, sizeof name, "%.*s-%02x.%02x.%x", (int)(SIM_NAME_MAX - 10), dl->name, f->bus,
             f->dev, f->fn);
    struct sim_scn_device *d;
    CHECK(pci_family_add(dl->l, dl->at, name, PCI_FAMILY_DUMP, &d));
    struct pci_dev_config *c = d->config;
    c->dump_bus = f->bus;
    if (parent >= 0) /* names have the same bound */
        memcpy(c->behind, sim_family_device_at(dl->l, pl->device[parent])->name, sizeof c->behind);
    struct pci_func_desc desc;
    CHECK(describe(dl, f, &desc));
    CHECK(slot_ok(dl, f, c));
    c->image = malloc(f->len);
    if (c->image == NULL)
        return yml_error_at(dl->l->doc, dl->at, dl->l->err, "out of memory");
    memcpy(c->image, f->cfg, f->len);
    uint8_t line = f->cfg[PCI_INTERRUPT_LINE];
    c->fn = (struct pci_fn_config){.name = d->name, .behind = parent >= 0 ? c->behind : NULL,
                                   .dev = f->dev, .fn = f->fn, .desc = desc,
                                   .image = c->image, .image_len = f->len,
                                   .intx_line = line}; /* firmware's routing, 255: unknown */
    pl->device[i] = (int32_t)(sim_family_device_count(dl->l) - 1);
    return IOSIM_OK;
}

/* Parents before children: passes until nothing more can be placed. */
static enum iosim_err place_all(struct placing *pl)
{
    const struct pcid_dump *d = pl->dl->dump;
    uint32_t wanted = 0;
    for (uint32_t i = 0; i < d->count; i++)
        wanted += pl->want[i] && d->funcs[i].domain == pl->domain;
    if (wanted == 0)
        return yml_error_at(pl->dl->l->doc, pl->dl->at, pl->dl->l->err,
                            "the dump has no function in domain %u", pl->domain);
    for (bool progress = true; progress;) {
        progress = false;
        for (uint32_t i = 0; i < d->count; i++) {
            const struct pcid_dump_func *f = &d->funcs[i];
            if (!pl->want[i] || f->domain != pl->domain || pl->device[i] >= 0)
                continue;
            int32_t parent = bridge_of_bus(pl, f->bus);
            if (parent == (int32_t)i)
                parent = -1; /* a bridge whose secondary is its own bus: broken, on bus 0 */
            if (parent >= 0 && pl->device[parent] < 0)
                continue; /* its bridge first */
            enum iosim_err e = place_one(pl, i, parent);
            if (e != IOSIM_OK)
                return e;
            progress = true;
        }
    }
    for (uint32_t i = 0; i < d->count; i++)
        if (pl->want[i] && d->funcs[i].domain == pl->domain && pl->device[i] < 0)
            return refuse(pl->dl, &d->funcs[i], "its bridges form a loop");
    return IOSIM_OK;
}

static enum iosim_err parse_bdf(struct dump_load *dl, const struct yml_node *n, unsigned *bus,
                                unsigned *dev, unsigned *fn)
{
    const char *t = yml_scalar_text(n);
    char tail;
    if (t == NULL || sscanf(t, "%2x:%2x.%1x%c", bus, dev, fn, &tail) != 3 || *dev > 31 ||
        *fn > 7)
        return yml_error_at(dl->l->doc, n, dl->l->err, "expected \"BB:DD.F\"");
    return IOSIM_OK;
}

/* `bar_sizes: {"BB:DD.F": [size of BAR 0, BAR 1, ...]}`: for dumps whose
 * sizes are elsewhere (lspci -vvv printed apart from the hex). */
static enum iosim_err load_bar_sizes(struct dump_load *dl, uint16_t domain,
                                     const struct yml_node *map)
{
    struct sim_family_loader *l = dl->l;
    const struct yml_node *m;
    CHECK(yml_get_map(l->doc, map, &m, l->err));
    for (size_t i = 0; i < yml_map_len(m); i++) {
        const struct yml_node *key = yml_map_key(m, i), *seq = yml_map_value(m, i);
        unsigned bus, dev, fn;
        CHECK(parse_bdf(dl, key, &bus, &dev, &fn));
        if (pcid_dump_find(dl->dump, domain, (uint8_t)bus, (uint8_t)dev, (uint8_t)fn) == NULL)
            return yml_error_at(l->doc, key, l->err, "%s is not in the dump",
                                yml_scalar_text(key));
        if (yml_seq_len(seq) == 0 || yml_seq_len(seq) > PCI_BAR_COUNT)
            return yml_error_at(l->doc, seq, l->err, "expected a sequence of 1 to 6 BAR sizes");
        for (size_t b = 0; b < yml_seq_len(seq); b++) {
            uint64_t size;
            CHECK(yml_get_size(l->doc, yml_seq_item(seq, b), 0, UINT64_MAX / 2, &size, l->err));
            if (pcid_dump_set_bar_size(dl->dump, domain, (uint8_t)bus, (uint8_t)dev, (uint8_t)fn,
                                       (unsigned)b, size) != IOSIM_OK)
                return yml_error_at(l->doc, yml_seq_item(seq, b), l->err,
                                    "a BAR size is 0 or a power of two");
        }
    }
    return IOSIM_OK;
}

/* `functions: ["BB:DD.F", ...]`: only those (each must be in the dump). */
static enum iosim_err select_functions(struct placing *pl, const struct yml_node *v)
{
    struct dump_load *dl = pl->dl;
    const struct pcid_dump *d = dl->dump;
    for (uint32_t i = 0; i < d->count; i++)
        pl->want[i] = v == NULL;
    if (v == NULL)
        return IOSIM_OK;
    if (yml_seq_len(v) == 0)
        return yml_error_at(dl->l->doc, v, dl->l->err, "expected a sequence of \"BB:DD.F\"");
    for (size_t k = 0; k < yml_seq_len(v); k++) {
        const struct yml_node *item = yml_seq_item(v, k);
        unsigned bus, dev, fn;
        CHECK(parse_bdf(dl, item, &bus, &dev, &fn));
        const struct pcid_dump_func *f =
            pcid_dump_find(d, pl->domain, (uint8_t)bus, (uint8_t)dev, (uint8_t)fn);
        if (f == NULL)
            return yml_error_at(dl->l->doc, item, dl->l->err, "%s is not in the dump",
                                yml_scalar_text(item));
        pl->want[f - d->funcs] = true;
    }
    return IOSIM_OK;
}

enum iosim_err pci_family_load_dump(struct sim_family_loader *l, const struct yml_node *map,
                                    const char *name)
{
    static const char *const k[] = {"name",   "type",      "lspci",     "sysfs",
                                    "domain", "functions", "bar_sizes", NULL};
    enum iosim_err e = yml_check_keys(l->doc, map, k, "pci_dump device", l->err);
    if (e != IOSIM_OK)
        return e;
    const struct yml_node *lspci = yml_map_get(map, "lspci"), *sysfs = yml_map_get(map, "sysfs");
    if ((lspci == NULL) == (sysfs == NULL))
        return yml_error_at(l->doc, map, l->err, "a pci_dump takes one of `lspci` (a file) and "
                                                 "`sysfs` (a directory)");
    const struct yml_node *src = lspci != NULL ? lspci : sysfs;
    const char *rel;
    if ((e = yml_get_str(l->doc, src, &rel, l->err)) != IOSIM_OK)
        return e;
    struct placing *pl = calloc(1, sizeof *pl);
    struct pcid_dump *dump = calloc(1, sizeof *dump);
    struct dump_load dl = {.l = l, .at = map, .dump = dump};
    snprintf(dl.name, sizeof dl.name, "%s", name);
    if (pl == NULL || dump == NULL) {
        free(pl);
        free(dump);
        return yml_error_at(l->doc, map, l->err, "out of memory");
    }
    char path[1024];
    sim_family_path(l, rel, path, sizeof path);
    e = read_dump(&dl, src, path, sysfs != NULL);
    const struct yml_node *v = yml_map_get(map, "domain");
    uint64_t dom = 0;
    if (e == IOSIM_OK && v != NULL)
        e = yml_get_u64(l->doc, v, 0, 0xffff, &dom, l->err);
    *pl = (struct placing){.dl = &dl, .domain = (uint16_t)dom};
    for (uint32_t i = 0; i < PCID_DUMP_FUNCS_MAX; i++)
        pl->device[i] = -1;
    if (e == IOSIM_OK && (v = yml_map_get(map, "bar_sizes")) != NULL)
        e = load_bar_sizes(&dl, (uint16_t)dom, v);
    if (e == IOSIM_OK)
        e = select_functions(pl, yml_map_get(map, "functions"));
    if (e == IOSIM_OK)
        e = place_all(pl);
    free(pl);
    free(dump);
    return e;
}
