/* The scenario loader's `devices:` section; see docs/scenario-format.md. */
#include <stdio.h>
#include <string.h>

#include "models/testdev/testdev_regs.h"
#include "sim/scenario_internal.h"

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

static enum iosim_err check_overlaps(struct loader *l, const struct yml_node *n, uint32_t idx)
{
    const struct sim_prog_device *a = &l->s->prog_devices[idx];
    for (uint32_t i = 0; i < idx; i++) {
        const struct sim_prog_device *b = &l->s->prog_devices[i];
        if (strcmp(a->name, b->name) == 0)
            return yml_error_at(l->doc, n, l->err, "a device named '%s' already exists", a->name);
        if (a->base < b->base + b->len && b->base < a->base + a->len)
            return yml_error_at(l->doc, n, l->err, "mmio window of '%s' overlaps '%s'",
                                a->name, b->name);
    }
    return IOSIM_OK;
}

enum iosim_err sim_scn_device(struct loader *l, const struct yml_node *n)
{
    static const char *const k[] = {"name", "type", "mmio", "irq", "mmio_read_request",
                                    "mmio_read_response", "mmio_write", "setup",
                                    "bytes_per_second", NULL};
    static const char *const types[] = {"testdev"};
    struct sim_scenario *s = l->s;
    const struct yml_node *v;
    size_t t;
    CHECK(yml_get_map(l->doc, n, &n, l->err));
    if (s->device_count == SIM_SCN_DEVICES_MAX)
        return yml_error_at(l->doc, n, l->err, "more than %u devices", SIM_SCN_DEVICES_MAX);
    CHECK(yml_check_keys(l->doc, n, k, "device", l->err));
    struct sim_scn_device *d = &s->devices[s->device_count];
    CHECK(yml_require(l->doc, n, "name", "device", &v, l->err));
    CHECK(sim_scn_name(l, v, d->name, sizeof d->name));
    CHECK(yml_require(l->doc, n, "type", "device", &v, l->err));
    CHECK(yml_get_enum(l->doc, v, types, 1, &t, l->err));
    d->type = (enum sim_device_type)t;
    CHECK(load_testdev(l, n, d));
    s->prog_devices[s->device_count] = (struct sim_prog_device){
        d->name, d->testdev.mmio_base, TESTDEV_MMIO_SIZE};
    CHECK(check_overlaps(l, n, s->device_count));
    s->device_count++;
    return IOSIM_OK;
}

