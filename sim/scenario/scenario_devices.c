/* The scenario loader's `devices:` section; see docs/scenario-format.md. */
#include <stdio.h>
#include <string.h>

#include "models/testdev/testdev_regs.h"
#include "sim/scenario/scenario_internal.h"

#define CHECK SIM_SCN_CHECK

/* ---- devices --------------------------------------------------------------- */

static enum iosim_err load_testdev(struct loader *l, const struct yml_node *n,
                                   struct sim_scn_device *d)
{
    struct testdev_config *c = &d->testdev;
    const struct yml_node *v;
    uint64_t u;
    testdev_config_default(c);
    c->name = d->name;
    CHECK(yml_require(l->doc, n, "mmio", "device", &v, l->err));
    CHECK(yml_get_u64(l->doc, v, 0, UINT64_MAX - TESTDEV_MMIO_SIZE, &c->mmio_base, l->err));
    if (c->mmio_base % TESTDEV_MMIO_SIZE != 0)
        return yml_error_at(l->doc, v, l->err, "mmio must be aligned to 0x%x", TESTDEV_MMIO_SIZE);
    if (c->mmio_base < l->s->machine.mem_bytes)
        return yml_error_at(l->doc, v, l->err, "mmio window 0x%llx overlaps memory (0 to 0x%llx)",
                            (unsigned long long)c->mmio_base,
                            (unsigned long long)l->s->machine.mem_bytes);
    CHECK(yml_require(l->doc, n, "irq", "device", &v, l->err));
    CHECK(yml_get_u64(l->doc, v, 0, SIM_IRQ_LINES - 1, &u, l->err));
    c->irq_line = (uint32_t)u;
    const char *tk[] = {"mmio_read_request", "mmio_read_response", "mmio_write", "setup"};
    sim_time_ps *tf[] = {&c->read_req_ps, &c->read_resp_ps, &c->write_ps, &c->setup_ps};
    for (size_t i = 0; i < 4; i++)
        if ((v = yml_map_get(n, tk[i])) != NULL)
            CHECK(yml_get_time_ps(l->doc, v, 1, 1 * SIM_S, tf[i], l->err));
    if ((v = yml_map_get(n, "bytes_per_second")) != NULL)
        CHECK(yml_get_size(l->doc, v, 1000, 1000ull * 1000 * 1000 * 1000, &c->bytes_per_s, l->err));
    return IOSIM_OK;
}

/* A new fixed window for programs (a testdev's registers, the ECAM window):
 * its name and range must be its own. */
enum iosim_err sim_scn_prog_device(struct loader *l, const struct yml_node *n,
                                   const struct sim_prog_device *pd)
{
    struct sim_scenario *s = l->s;
    if (s->prog_device_count == SIM_PROG_DEVICES_MAX)
        return yml_error_at(l->doc, n, l->err, "more than %u devices programs can name",
                            SIM_PROG_DEVICES_MAX);
    for (uint32_t i = 0; i < s->prog_device_count; i++) {
        const struct sim_prog_device *b = &s->prog_devices[i];
        if (strcmp(pd->name, b->name) == 0)
            return yml_error_at(l->doc, n, l->err, "a device named '%s' already exists", pd->name);
        if (pd->base < b->base + b->len && b->base < pd->base + pd->len)
            return yml_error_at(l->doc, n, l->err, "mmio window of '%s' overlaps '%s'", pd->name,
                                b->name);
    }
    s->prog_devices[s->prog_device_count++] = *pd;
    return IOSIM_OK;
}

static enum iosim_err unique_name(struct loader *l, const struct yml_node *n, const char *name)
{
    const struct sim_scenario *s = l->s;
    for (uint32_t i = 0; i < s->device_count; i++)
        if (strcmp(s->devices[i].name, name) == 0)
            return yml_error_at(l->doc, n, l->err, "a device named '%s' already exists", name);
    for (uint32_t i = 0; i < s->prog_device_count; i++)
        if (strcmp(s->prog_devices[i].name, name) == 0)
            return yml_error_at(l->doc, n, l->err, "a device named '%s' already exists", name);
    return IOSIM_OK;
}

enum iosim_err sim_scn_device(struct loader *l, const struct yml_node *n)
{
    static const char *const k[] = {"name", "type", "mmio", "irq", "mmio_read_request",
                                    "mmio_read_response", "mmio_write", "setup",
                                    "bytes_per_second", NULL};
    static const char *const types[] = {"testdev", "pci", "pci_bridge", "pci_dump"};
    struct sim_scenario *s = l->s;
    const struct yml_node *v, *map;
    size_t t;
    CHECK(yml_get_map(l->doc, n, &map, l->err));
    if (s->device_count == SIM_SCN_DEVICES_MAX)
        return yml_error_at(l->doc, map, l->err, "more than %u devices", SIM_SCN_DEVICES_MAX);
    struct sim_scn_device *d = &s->devices[s->device_count];
    *d = (struct sim_scn_device){.dump_bus = -1};
    CHECK(yml_require(l->doc, map, "name", "device", &v, l->err));
    CHECK(sim_scn_name(l, v, d->name, sizeof d->name));
    CHECK(unique_name(l, v, d->name));
    CHECK(yml_require(l->doc, map, "type", "device", &v, l->err));
    CHECK(yml_get_enum(l->doc, v, types, 4, &t, l->err));
    if (t == 3) /* a dump: one device per function, added by the dump's loader */
        return sim_scn_pci_dump(l, map, d->name);
    d->type = (enum sim_device_type)t;
    if (d->type != SIM_DEV_TESTDEV) {
        CHECK(sim_scn_pci_device(l, map, d));
    } else {
        CHECK(yml_check_keys(l->doc, map, k, "device", l->err));
        CHECK(load_testdev(l, map, d));
        struct sim_prog_device pd = {d->name, d->testdev.mmio_base, TESTDEV_MMIO_SIZE};
        CHECK(sim_scn_prog_device(l, map, &pd));
    }
    s->device_count++;
    return IOSIM_OK;
}
