/* The test device's family (sim/scenario/family.h): devices of type
 * `testdev`, each a window programs can name. See docs/scenario-format.md. */
#include "impl/port/check.h"
#include "models/testdev/testdev.h"
#include "models/testdev/testdev_regs.h"
#include "sim/scenario/family.h"

#define CHECK SIM_SCN_CHECK

static enum iosim_err load_window(struct sim_family_loader *l, const struct yml_node *n,
                                  struct testdev_config *c)
{
    const struct yml_node *v;
    uint64_t u;
    CHECK(yml_require(l->doc, n, "mmio", "device", &v, l->err));
    CHECK(yml_get_u64(l->doc, v, 0, UINT64_MAX - TESTDEV_MMIO_SIZE, &c->mmio_base, l->err));
    if (c->mmio_base % TESTDEV_MMIO_SIZE != 0)
        return yml_error_at(l->doc, v, l->err, "mmio must be aligned to 0x%x", TESTDEV_MMIO_SIZE);
    if (c->mmio_base < l->mem_bytes)
        return yml_error_at(l->doc, v, l->err, "mmio window 0x%llx overlaps memory (0 to 0x%llx)",
                            (unsigned long long)c->mmio_base, (unsigned long long)l->mem_bytes);
    CHECK(yml_require(l->doc, n, "irq", "device", &v, l->err));
    CHECK(yml_get_u64(l->doc, v, 0, SIM_IRQ_LINES - 1, &u, l->err));
    c->irq_line = (uint32_t)u;
    return IOSIM_OK;
}

static enum iosim_err load_timing(struct sim_family_loader *l, const struct yml_node *n,
                                  struct testdev_config *c)
{
    const char *tk[] = {"mmio_read_request", "mmio_read_response", "mmio_write", "setup"};
    sim_time_ps *tf[] = {&c->read_req_ps, &c->read_resp_ps, &c->write_ps, &c->setup_ps};
    const struct yml_node *v;
    for (size_t i = 0; i < 4; i++)
        if ((v = yml_map_get(n, tk[i])) != NULL)
            CHECK(yml_get_time_ps(l->doc, v, 1, 1 * SIM_S, tf[i], l->err));
    if ((v = yml_map_get(n, "bytes_per_second")) != NULL)
        CHECK(yml_get_size(l->doc, v, 1000, 1000ull * 1000 * 1000 * 1000, &c->bytes_per_s, l->err));
    return IOSIM_OK;
}

static enum iosim_err load(struct sim_family_loader *l, const struct yml_node *map, uint32_t type,
                           const char *name)
{
    static const char *const k[] = {"name", "type", "mmio", "irq", "mmio_read_request",
                                    "mmio_read_response", "mmio_write", "setup",
                                    "bytes_per_second", NULL};
    CHECK(yml_check_keys(l->doc, map, k, "device", l->err));
    struct sim_scn_device *d;
    CHECK(sim_family_device_add(l, map, name, type, &d));
    struct testdev_config *c = d->config;
    testdev_config_default(c);
    c->name = d->name;
    CHECK(load_window(l, map, c));
    CHECK(load_timing(l, map, c));
    return sim_family_prog_window(l, map, d->name, c->mmio_base, TESTDEV_MMIO_SIZE);
}

static enum iosim_err create(const struct sim_family_run *run, const struct sim_scn_device *d,
                             void **instance, const char **why)
{
    (void)why;
    ASSERT(d->family == &testdev_family);
    return testdev_create(run->m, d->config, (struct testdev **)instance);
}

static void destroy(void *instance) { testdev_destroy(instance); }

static const char *const types[] = {"testdev", NULL};

const struct sim_family testdev_family = {
    .name = "testdev",
    .types = types,
    .config_size = sizeof(struct testdev_config),
    .load = load,
    .create = create,
    .destroy = destroy,
};
