/*
 * The scenario loader's PCI parts: `machine.pci` (the root complex) and
 * devices of type `pci` (the generic device, models/pci/pci_generic) and
 * `pci_bridge`. Everything a function could not be is refused here, with
 * its position, so a run never starts with a topology the root would
 * refuse. See docs/scenario-format.md.
 */
#include <stdio.h>
#include <string.h>

#include "impl/port/spec/pci_generic_regs.h"
#include "sim/scenario/scenario_internal.h"

#define CHECK SIM_SCN_CHECK

/* ---- machine.pci ----------------------------------------------------------------------- */

enum iosim_err sim_scn_pci_machine(struct loader *l, const struct yml_node *n)
{
    static const char *const k[] = {"ecam", "buses", "config_latency", "mmio_latency",
                                    "dma_latency", "msi_latency", NULL};
    struct sim_scenario *s = l->s;
    struct pci_root_config *rc = &s->pci_root;
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
    if (rc->ecam_base < s->machine.mem_bytes)
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
    s->pci = true;
    struct sim_prog_device ecam = {"pci", rc->ecam_base, (uint64_t)rc->buses << PCI_ECAM_BUS_SHIFT};
    return sim_scn_prog_device(l, n, &ecam);
}

/* ---- devices ----------------------------------------------------------------------------- */

static enum iosim_err get_u8(struct loader *l, const struct yml_node *map, const char *key,
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

static enum iosim_err get_u16(struct loader *l, const struct yml_node *map, const char *key,
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
static enum iosim_err load_at(struct loader *l, const struct yml_node *map, struct pci_fn_config *c)
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
    c->dev = (uint8_t)dev;
    c->fn = (uint8_t)fn;
    return IOSIM_OK;
}

static enum iosim_err load_bars(struct loader *l, const struct yml_node *map,
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

static enum iosim_err load_msi(struct loader *l, const struct yml_node *map, struct pci_func_desc *d)
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

static enum iosim_err load_place(struct loader *l, const struct yml_node *parent, const char *key,
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

static enum iosim_err load_msix(struct loader *l, const struct yml_node *map, struct pci_func_desc *d)
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

static enum iosim_err load_pcie(struct loader *l, const struct yml_node *map, struct pci_func_desc *d)
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
 * multi-function rule (pci_root_add checks the same). */
static enum iosim_err load_place_in_topology(struct loader *l, const struct yml_node *map,
                                             struct sim_scn_device *d)
{
    const struct sim_scenario *s = l->s;
    const struct yml_node *v = yml_map_get(map, "behind");
    if (v != NULL) {
        CHECK(sim_scn_name(l, v, d->behind, sizeof d->behind));
        bool found = false;
        for (uint32_t i = 0; i < s->device_count && !found; i++)
            found = s->devices[i].type != SIM_DEV_TESTDEV && s->devices[i].pci.desc.bridge &&
                    strcmp(s->devices[i].name, d->behind) == 0;
        if (!found)
            return yml_error_at(l->doc, v, l->err, "no pci_bridge named '%s' before this device",
                                d->behind);
        d->pci.behind = d->behind;
    }
    const struct sim_scn_device *fn0 = NULL;
    for (uint32_t i = 0; i < s->device_count; i++) {
        const struct sim_scn_device *o = &s->devices[i];
        if (o->type == SIM_DEV_TESTDEV || strcmp(o->behind, d->behind) != 0 || o->pci.dev != d->pci.dev)
            continue;
        if (o->pci.fn == d->pci.fn)
            return yml_error_at(l->doc, map, l->err, "'%s' is already at %02x.%x", o->name,
                                d->pci.dev, d->pci.fn);
        if (o->pci.fn == 0)
            fn0 = o;
    }
    if (d->pci.fn != 0 && (fn0 == NULL || !fn0->pci.desc.multifunction))
        return yml_error_at(l->doc, map, l->err,
                            "function %x needs function 0 of device %02x first, with "
                            "`multifunction: true`", d->pci.fn, d->pci.dev);
    return IOSIM_OK;
}

static enum iosim_err load_ids(struct loader *l, const struct yml_node *map, struct pci_func_desc *d)
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

static enum iosim_err load_intx(struct loader *l, const struct yml_node *map, struct sim_scn_device *d)
{
    const struct yml_node *irq = yml_map_get(map, "irq"), *pin = yml_map_get(map, "pin");
    uint64_t u;
    if (irq != NULL) {
        CHECK(yml_get_u64(l->doc, irq, 0, SIM_IRQ_LINES - 1, &u, l->err));
        d->pci.intx_line = (uint32_t)u;
        d->pci.desc.int_pin = 1;
    }
    if (pin != NULL) {
        CHECK(yml_get_u64(l->doc, pin, 0, 4, &u, l->err));
        if (u != 0 && irq == NULL)
            return yml_error_at(l->doc, pin, l->err, "an interrupt pin needs the `irq` line it drives");
        d->pci.desc.int_pin = (uint8_t)u;
    }
    return IOSIM_OK;
}

enum iosim_err sim_scn_pci_device(struct loader *l, const struct yml_node *map,
                                  struct sim_scn_device *d)
{
    static const char *const k[] = {"name", "type", "at", "behind", "vendor", "device", "class",
                                    "subclass", "prog_if", "revision", "subsystem_vendor",
                                    "subsystem", "multifunction", "pin", "irq", "bars", "msi",
                                    "msix", "pcie", "pm", "regs", NULL};
    const struct yml_node *v;
    if (!l->s->pci)
        return yml_error_at(l->doc, map, l->err, "a PCI device needs `pci:` under `machine:`");
    CHECK(yml_check_keys(l->doc, map, k, "pci device", l->err));
    struct pci_fn_config *c = &d->pci;
    c->name = d->name;
    c->desc.bridge = d->type == SIM_DEV_PCI_BRIDGE;
    if (c->desc.bridge) {
        c->desc.class_code = PCI_CLASS_BRIDGE;
        c->desc.subclass = PCI_SUBCLASS_BRIDGE_PCI;
    }
    CHECK(load_at(l, map, c));
    CHECK(load_ids(l, map, &c->desc));
    CHECK(load_intx(l, map, d));
    CHECK(load_bars(l, map, &c->desc));
    CHECK(load_msi(l, map, &c->desc));
    CHECK(load_msix(l, map, &c->desc));
    CHECK(load_pcie(l, map, &c->desc));
    d->pci_regs = PCIGEN_FILE_REGS_DEFAULT;
    if ((v = yml_map_get(map, "regs")) != NULL) {
        uint64_t u;
        if (c->desc.bridge)
            return yml_error_at(l->doc, v, l->err, "a bridge has no register file");
        CHECK(yml_get_u64(l->doc, v, 1, PCIGEN_FILE_REGS_MAX, &u, l->err));
        d->pci_regs = (uint32_t)u;
    }
    const char *why = pci_func_desc_problem(&c->desc);
    if (why != NULL)
        return yml_error_at(l->doc, map, l->err, "%s", why);
    return load_place_in_topology(l, map, d);
}
