/*
 * The PCI family (sim/scenario/family.h): `machine.pci` (the root complex,
 * attached before any device), devices of type `pci` (the generic device,
 * models/pci/pci_generic) and `pci_bridge`, and `pci_dump`
 * (pci_family_dump.c). Everything a function could not be is refused at
 * load, with its position, so a run never starts with a topology the root
 * would refuse. See docs/scenario-format.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "impl/port/spec/pci_generic_regs.h"
#include "models/pci/pci_family.h"
#include "models/pci/pci_generic.h"

#define CHECK SIM_SCN_CHECK

/* ---- machine.pci ----------------------------------------------------------------------- */

static enum iosim_err load_machine(struct sim_family_loader *l, const struct yml_node *n,
                                   void *machine_config)
{
    static const char *const k[] = {"ecam", "buses", "config_latency", "mmio_latency",
                                    "dma_latency", "msi_latency", NULL};
    struct pci_root_config *rc = machine_config;
    const struct yml_node *v;
    uint64_t u;
    CHECK(yml_get_map(l->doc, n, &n, l->err));
    CHECK(yml_check_keys(l->doc, n, k, "machine.pci", l->err));
    pci_root_config_default(rc);
    if ((v = yml_map_get(n, "buses")) != NULL) {
        CHECK(yml_get_u64(l->doc, v, 1, PCI_BUSES, &u, l->err));
        rc->buses = (uint32_t)u;
    }
    if ((v = yml_map_get(n, "ecam")) != NULL) {
        CHECK(yml_get_u64(l->doc, v, 0, UINT64_MAX - ((uint64_t)rc->buses << 20), &rc->ecam_base,
                          l->err));
        if (rc->ecam_base % PCI_ECAM_BYTES_PER_BUS != 0)
            return yml_error_at(l->doc, v, l->err, "ecam must be aligned to 1 MiB");
    } else {
        v = n;
    }
    if (rc->ecam_base < l->mem_bytes)
        return yml_error_at(l->doc, v, l->err, "the ECAM window at 0x%llx overlaps memory",
                            (unsigned long long)rc->ecam_base);
    struct { const char *key; sim_time_ps *a, *b, *c; } lat[] = {
        {"config_latency", &rc->cfg_read_req_ps, &rc->cfg_read_resp_ps, &rc->cfg_write_ps},
        {"mmio_latency", &rc->bar_read_req_ps, &rc->bar_read_resp_ps, &rc->bar_write_ps},
        {"dma_latency", &rc->dma_latency_ps, NULL, NULL},
        {"msi_latency", &rc->msi_ps, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof lat / sizeof lat[0]; i++) {
        if ((v = yml_map_get(n, lat[i].key)) == NULL)
            continue;
        sim_time_ps t;
        CHECK(yml_get_time_ps(l->doc, v, 1, 1 * SIM_S, &t, l->err));
        *lat[i].a = t; /* a one-way trip: requests, completions and posted writes alike */
        if (lat[i].b != NULL)
            *lat[i].b = *lat[i].c = t;
    }
    return sim_family_prog_window(l, n, "pci", rc->ecam_base,
                                  (uint64_t)rc->buses << PCI_ECAM_BUS_SHIFT);
}

/* ---- devices ----------------------------------------------------------------------------- */

static enum iosim_err get_u8(struct sim_family_loader *l, const struct yml_node *map, const char *key,
                             uint64_t max, uint8_t *out)
{
    const struct yml_node *v = yml_map_get(map, key);
    uint64_t u;
    if (v == NULL)
        return IOSIM_OK;
    CHECK(yml_get_u64(l->doc, v, 0, max, &u, l->err));
    *out = (uint8_t)u;
    return IOSIM_OK;
}

static enum iosim_err get_u16(struct sim_family_loader *l, const struct yml_node *map, const char *key,
                              bool required, uint16_t *out)
{
    const struct yml_node *v = yml_map_get(map, key);
    uint64_t u;
    if (v == NULL)
        return required ? yml_require(l->doc, map, key, "pci device", &v, l->err) : IOSIM_OK;
    CHECK(yml_get_u64(l->doc, v, 0, 0xffff, &u, l->err));
    *out = (uint16_t)u;
    return IOSIM_OK;
}

/* `at: "DD.F"`: device and function in hexadecimal, as lspci prints them. */
enum iosim_err pci_family_load_at(struct sim_family_loader *l, const struct yml_node *map,
                                  uint8_t *dev_out, uint8_t *fn_out)
{
    const struct yml_node *v;
    const char *t;
    unsigned dev, fn;
    char tail;
    CHECK(yml_require(l->doc, map, "at", "pci device", &v, l->err));
    CHECK(yml_get_str(l->doc, v, &t, l->err));
    if (sscanf(t, "%2x.%1x%c", &dev, &fn, &tail) != 2 || dev >= PCI_DEVS_PER_BUS ||
        fn >= PCI_FNS_PER_DEV || strlen(t) != 4)
        return yml_error_at(l->doc, v, l->err,
                            "`at` is DD.F: device 00..1f and function 0..7 in hex (\"02.0\")");
    *dev_out = (uint8_t)dev;
    *fn_out = (uint8_t)fn;
    return IOSIM_OK;
}

enum iosim_err pci_family_load_behind(struct sim_family_loader *l, const struct yml_node *map,
                                      char behind[SIM_NAME_MAX])
{
    const struct yml_node *v = yml_map_get(map, "behind");
    behind[0] = '\0';
    if (v == NULL)
        return IOSIM_OK;
    CHECK(sim_family_name(l, v, behind, SIM_NAME_MAX));
    for (uint32_t i = 0; i < sim_family_device_count(l); i++) {
        const struct pci_dev_config *o = pci_family_config(l, i);
        if (o != NULL && o->fn.desc.bridge && strcmp(sim_family_device_at(l, i)->name, behind) == 0)
            return IOSIM_OK;
    }
    return yml_error_at(l->doc, v, l->err, "no pci_bridge named '%s' before this device", behind);
}

static enum iosim_err load_bars(struct sim_family_loader *l, const struct yml_node *map,
                                struct pci_func_desc *d)
{
    static const char *const k[] = {"bar", "kind", "size", "prefetch", NULL};
    static const char *const kinds[] = {"mem32", "mem64", "io"};
    const struct yml_node *seq = yml_map_get(map, "bars"), *v;
    if (seq == NULL)
        return IOSIM_OK;
    CHECK(yml_get_seq(l->doc, seq, &seq, l->err));
    for (size_t i = 0; i < yml_seq_len(seq); i++) {
        const struct yml_node *b;
        uint64_t idx;
        size_t kind;
        CHECK(yml_get_map(l->doc, yml_seq_item(seq, i), &b, l->err));
        CHECK(yml_check_keys(l->doc, b, k, "bar", l->err));
        CHECK(yml_require(l->doc, b, "bar", "bar", &v, l->err));
        CHECK(yml_get_u64(l->doc, v, 0, PCI_BAR_COUNT - 1, &idx, l->err));
        if (d->bar[idx].kind != PCI_BAR_NONE)
            return yml_error_at(l->doc, v, l->err, "BAR %llu is given twice", (unsigned long long)idx);
        if (idx > 0 && d->bar[idx - 1].kind == PCI_BAR_MEM64)
            return yml_error_at(l->doc, v, l->err, "BAR %llu is the high half of 64-bit BAR %llu",
                                (unsigned long long)idx, (unsigned long long)idx - 1);
        struct pci_bar_desc *bd = &d->bar[idx];
        CHECK(yml_require(l->doc, b, "kind", "bar", &v, l->err));
        CHECK(yml_get_enum(l->doc, v, kinds, 3, &kind, l->err));
        bd->kind = kind == 0 ? PCI_BAR_MEM32 : kind == 1 ? PCI_BAR_MEM64 : PCI_BAR_IO;
        CHECK(yml_require(l->doc, b, "size", "bar", &v, l->err));
        CHECK(yml_get_size(l->doc, v, 1, 1ull << 62, &bd->size, l->err));
        if ((v = yml_map_get(b, "prefetch")) != NULL)
            CHECK(yml_get_bool(l->doc, v, &bd->prefetch, l->err));
        const char *why = pci_func_desc_problem(d);
        if (why != NULL && (strstr(why, "BAR") != NULL || strstr(why, "bar") != NULL))
            return yml_error_at(l->doc, b, l->err, "%s", why);
    }
    return IOSIM_OK;
}

static enum iosim_err load_msi(struct sim_family_loader *l, const struct yml_node *map, struct pci_func_desc *d)
{
    static const char *const k[] = {"vectors", "addr64", "mask", NULL};
    const struct yml_node *m = yml_map_get(map, "msi"), *v;
    uint64_t u = 1;
    if (m == NULL)
        return IOSIM_OK;
    CHECK(yml_get_map(l->doc, m, &m, l->err));
    CHECK(yml_check_keys(l->doc, m, k, "msi", l->err));
    d->msi = (struct pci_msi_desc){.present = true, .addr64 = true};
    if ((v = yml_map_get(m, "vectors")) != NULL) {
        CHECK(yml_get_u64(l->doc, v, 1, 32, &u, l->err));
        if ((u & (u - 1)) != 0)
            return yml_error_at(l->doc, v, l->err, "MSI vectors are 1, 2, 4, 8, 16 or 32");
    }
    d->msi.vectors_log2 = (uint8_t)__builtin_ctzll(u);
    if ((v = yml_map_get(m, "addr64")) != NULL)
        CHECK(yml_get_bool(l->doc, v, &d->msi.addr64, l->err));
    if ((v = yml_map_get(m, "mask")) != NULL)
        CHECK(yml_get_bool(l->doc, v, &d->msi.per_vector_mask, l->err));
    return IOSIM_OK;
}

static enum iosim_err load_place(struct sim_family_loader *l, const struct yml_node *parent, const char *key,
                                 uint8_t *bar, uint32_t *off)
{
    static const char *const k[] = {"bar", "offset", NULL};
    const struct yml_node *m, *v;
    uint64_t u;
    CHECK(yml_require(l->doc, parent, key, "msix", &m, l->err));
    CHECK(yml_get_map(l->doc, m, &m, l->err));
    CHECK(yml_check_keys(l->doc, m, k, key, l->err));
    CHECK(yml_require(l->doc, m, "bar", key, &v, l->err));
    CHECK(yml_get_u64(l->doc, v, 0, PCI_BAR_COUNT - 1, &u, l->err));
    *bar = (uint8_t)u;
    CHECK(yml_require(l->doc, m, "offset", key, &v, l->err));
    CHECK(yml_get_u64(l->doc, v, 0, UINT32_MAX & ~7u, &u, l->err));
    *off = (uint32_t)u;
    return IOSIM_OK;
}

static enum iosim_err load_msix(struct sim_family_loader *l, const struct yml_node *map, struct pci_func_desc *d)
{
    static const char *const k[] = {"vectors", "table", "pba", NULL};
    const struct yml_node *m = yml_map_get(map, "msix"), *v;
    uint64_t u;
    if (m == NULL)
        return IOSIM_OK;
    CHECK(yml_get_map(l->doc, m, &m, l->err));
    CHECK(yml_check_keys(l->doc, m, k, "msix", l->err));
    CHECK(yml_require(l->doc, m, "vectors", "msix", &v, l->err));
    CHECK(yml_get_u64(l->doc, v, 1, PCI_MSIX_VECTORS_MAX, &u, l->err));
    d->msix = (struct pci_msix_desc){.present = true, .vectors = (uint16_t)u};
    CHECK(load_place(l, m, "table", &d->msix.table_bar, &d->msix.table_off));
    CHECK(load_place(l, m, "pba", &d->msix.pba_bar, &d->msix.pba_off));
    const char *why = pci_func_desc_problem(d);
    if (why != NULL && strstr(why, "MSI-X") != NULL)
        return yml_error_at(l->doc, m, l->err, "%s", why);
    return IOSIM_OK;
}

static enum iosim_err load_pcie(struct sim_family_loader *l, const struct yml_node *map, struct pci_func_desc *d)
{
    static const char *const k[] = {"gen", "width", "type", NULL};
    static const char *const types[] = {"endpoint", "root_port", "rc_endpoint"};
    static const uint8_t type_codes[] = {PCI_EXP_TYPE_ENDPOINT, PCI_EXP_TYPE_ROOT_PORT,
                                         PCI_EXP_TYPE_RC_ENDPOINT};
    const struct yml_node *m = yml_map_get(map, "pcie"), *v;
    if (m == NULL)
        return IOSIM_OK;
    CHECK(yml_get_map(l->doc, m, &m, l->err));
    CHECK(yml_check_keys(l->doc, m, k, "pcie", l->err));
    d->pcie = (struct pci_pcie_desc){.present = true, .gen = 2, .width = 1,
                                     .port_type = d->bridge ? PCI_EXP_TYPE_ROOT_PORT
                                                            : PCI_EXP_TYPE_ENDPOINT};
    CHECK(get_u8(l, m, "gen", PCI_EXP_GEN_MAX, &d->pcie.gen));
    CHECK(get_u8(l, m, "width", 32, &d->pcie.width));
    if ((v = yml_map_get(m, "type")) != NULL) {
        size_t t;
        CHECK(yml_get_enum(l->doc, v, types, 3, &t, l->err));
        d->pcie.port_type = type_codes[t];
    }
    const char *why = pci_func_desc_problem(d);
    if (why != NULL && (strstr(why, "link") != NULL || strstr(why, "generation") != NULL))
        return yml_error_at(l->doc, m, l->err, "%s", why);
    return IOSIM_OK;
}

/* Where the function goes: the bridge above, a free slot, the
 * multi-function rule (pci_root_add checks the same). c is the function
 * being loaded, already among the scenario's devices. */
static enum iosim_err load_place_in_topology(struct sim_family_loader *l,
                                             const struct yml_node *map,
                                             struct pci_dev_config *c)
{
    CHECK(pci_family_load_behind(l, map, c->behind));
    if (c->behind[0] != '\0')
        c->fn.behind = c->behind;
    const struct pci_dev_config *fn0 = NULL;
    for (uint32_t i = 0; i < sim_family_device_count(l); i++) {
        const struct pci_dev_config *o = pci_family_config(l, i);
        if (o == NULL || o == c || strcmp(o->behind, c->behind) != 0 || o->fn.dev != c->fn.dev)
            continue;
        if (o->fn.fn == c->fn.fn)
            return yml_error_at(l->doc, map, l->err, "'%s' is already at %02x.%x",
                                sim_family_device_at(l, i)->name, c->fn.dev, c->fn.fn);
        if (o->fn.fn == 0)
            fn0 = o;
    }
    if (c->fn.fn != 0 && (fn0 == NULL || !fn0->fn.desc.multifunction))
        return yml_error_at(l->doc, map, l->err,
                            "function %x needs function 0 of device %02x first, with "
                            "`multifunction: true`", c->fn.fn, c->fn.dev);
    return IOSIM_OK;
}

static enum iosim_err load_ids(struct sim_family_loader *l, const struct yml_node *map,
                               struct pci_func_desc *d)
{
    CHECK(get_u16(l, map, "vendor", true, &d->vendor));
    CHECK(get_u16(l, map, "device", true, &d->device));
    CHECK(get_u16(l, map, "subsystem_vendor", false, &d->subsys_vendor));
    CHECK(get_u16(l, map, "subsystem", false, &d->subsys));
    CHECK(get_u8(l, map, "class", 0xff, &d->class_code));
    CHECK(get_u8(l, map, "subclass", 0xff, &d->subclass));
    CHECK(get_u8(l, map, "prog_if", 0xff, &d->prog_if));
    CHECK(get_u8(l, map, "revision", 0xff, &d->revision));
    const struct yml_node *v = yml_map_get(map, "multifunction");
    if (v != NULL)
        CHECK(yml_get_bool(l->doc, v, &d->multifunction, l->err));
    if ((v = yml_map_get(map, "pm")) != NULL)
        CHECK(yml_get_bool(l->doc, v, &d->pm.present, l->err));
    return IOSIM_OK;
}

static enum iosim_err load_intx(struct sim_family_loader *l, const struct yml_node *map,
                                struct pci_fn_config *c)
{
    const struct yml_node *irq = yml_map_get(map, "irq"), *pin = yml_map_get(map, "pin");
    uint64_t u;
    if (irq != NULL) {
        CHECK(yml_get_u64(l->doc, irq, 0, SIM_IRQ_LINES - 1, &u, l->err));
        c->intx_line = (uint32_t)u;
        c->desc.int_pin = 1;
    }
    if (pin != NULL) {
        CHECK(yml_get_u64(l->doc, pin, 0, 4, &u, l->err));
        if (u != 0 && irq == NULL)
            return yml_error_at(l->doc, pin, l->err, "an interrupt pin needs the `irq` line it drives");
        c->desc.int_pin = (uint8_t)u;
    }
    return IOSIM_OK;
}

static enum iosim_err load_regs(struct sim_family_loader *l, const struct yml_node *map,
                                struct pci_dev_config *c)
{
    const struct yml_node *v = yml_map_get(map, "regs");
    uint64_t u;
    c->regs = PCIGEN_FILE_REGS_DEFAULT;
    if (v == NULL)
        return IOSIM_OK;
    if (c->fn.desc.bridge)
        return yml_error_at(l->doc, v, l->err, "a bridge has no register file");
    CHECK(yml_get_u64(l->doc, v, 1, PCIGEN_FILE_REGS_MAX, &u, l->err));
    c->regs = (uint32_t)u;
    return IOSIM_OK;
}

/* A `pci` or `pci_bridge` entry: one function. */
static enum iosim_err load_function(struct sim_family_loader *l, const struct yml_node *map,
                                    enum pci_family_type type, const char *name)
{
    static const char *const k[] = {"name", "type", "at", "behind", "vendor", "device", "class",
                                    "subclass", "prog_if", "revision", "subsystem_vendor",
                                    "subsystem", "multifunction", "pin", "irq", "bars", "msi",
                                    "msix", "pcie", "pm", "regs", NULL};
    CHECK(yml_check_keys(l->doc, map, k, "pci device", l->err));
    struct sim_scn_device *d;
    CHECK(pci_family_add(l, map, name, type, &d));
    struct pci_dev_config *c = d->config;
    c->fn.desc.bridge = type == PCI_FAMILY_BRIDGE;
    if (c->fn.desc.bridge) {
        c->fn.desc.class_code = PCI_CLASS_BRIDGE;
        c->fn.desc.subclass = PCI_SUBCLASS_BRIDGE_PCI;
    }
    CHECK(pci_family_load_at(l, map, &c->fn.dev, &c->fn.fn));
    CHECK(load_ids(l, map, &c->fn.desc));
    CHECK(load_intx(l, map, &c->fn));
    CHECK(load_bars(l, map, &c->fn.desc));
    CHECK(load_msi(l, map, &c->fn.desc));
    CHECK(load_msix(l, map, &c->fn.desc));
    CHECK(load_pcie(l, map, &c->fn.desc));
    CHECK(load_regs(l, map, c));
    const char *why = pci_func_desc_problem(&c->fn.desc);
    if (why != NULL)
        return yml_error_at(l->doc, map, l->err, "%s", why);
    return load_place_in_topology(l, map, c);
}

/* ---- the family ------------------------------------------------------------------------- */

const struct pci_dev_config *pci_family_config(const struct sim_family_loader *ld, uint32_t i)
{
    const struct sim_scn_device *d = sim_family_device_at(ld, i);
    return d->family == &pci_family ? d->config : NULL;
}

enum iosim_err pci_family_add(struct sim_family_loader *ld, const struct yml_node *at,
                              const char *name, enum pci_family_type type,
                              struct sim_scn_device **out)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < sim_family_device_count(ld); i++)
        n += pci_family_config(ld, i) != NULL;
    if (n == PCI_ROOT_FUNCS_MAX)
        return yml_error_at(ld->doc, at, ld->err, "more than %u PCI functions",
                            PCI_ROOT_FUNCS_MAX);
    CHECK(sim_family_device_add(ld, at, name, type, out));
    struct pci_dev_config *c = (*out)->config;
    c->fn.name = (*out)->name;
    c->dump_bus = -1;
    return IOSIM_OK;
}

static enum iosim_err load(struct sim_family_loader *ld, const struct yml_node *map,
                           uint32_t type, const char *name)
{
    if (ld->machine_config == NULL)
        return yml_error_at(ld->doc, map, ld->err, "a PCI device needs `pci:` under `machine:`");
    if (type == PCI_FAMILY_DUMP)
        return pci_family_load_dump(ld, map, name);
    return load_function(ld, map, (enum pci_family_type)type, name);
}

static void config_free(void *config)
{
    struct pci_dev_config *c = config;
    free(c->image);
}

static enum iosim_err attach(struct sim_machine *m, const void *machine_config, void **shared,
                             const char **why)
{
    *why = "PCI root complex";
    return pci_root_create(m, machine_config, (struct pci_root **)shared);
}

static void detach(void *shared) { pci_root_destroy(shared); }

/* A generic device is a model of its own on its function; a bridge and a
 * dumped function are the root complex's alone (no instance). */
static enum iosim_err create(const struct sim_family_run *run, const struct sim_scn_device *d,
                             void **instance, const char **why)
{
    const struct pci_dev_config *c = d->config;
    if (d->type == PCI_FAMILY_PCI)
        return pci_generic_create(run->shared, &c->fn, c->regs, (struct pci_generic **)instance,
                                  why);
    return pci_root_add(run->shared, &c->fn, NULL, why);
}

static void destroy(void *instance) { pci_generic_destroy(instance); }

static const char *const types[] = {"pci", "pci_bridge", "pci_dump", NULL};

const struct sim_family pci_family = {
    .name = "pci",
    .types = types,
    .config_size = sizeof(struct pci_dev_config),
    .load = load,
    .config_free = config_free,
    .machine_key = "pci",
    .machine_config_size = sizeof(struct pci_root_config),
    .load_machine = load_machine,
    .attach = attach,
    .detach = detach,
    .create = create,
    .destroy = destroy,
};
