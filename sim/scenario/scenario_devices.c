/* The scenario loader's `devices:` section, through the family registry
 * (family.h), and the helpers family load callbacks use. See
 * docs/scenario-format.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/scenario/scenario_internal.h"

#define CHECK SIM_SCN_CHECK

/* The loader a family's callbacks see, for this scenario. */
static struct sim_family_loader family_loader(struct loader *l, const struct sim_family *f)
{
    return (struct sim_family_loader){
        .doc = l->doc, .err = l->err, .file = l->s->file, .mem_bytes = l->s->machine.mem_bytes,
        .machine_config = l->s->family_machine[sim_family_index(f)], .family = f, .s = l->s};
}

static enum iosim_err unique_name(const struct yml_doc *doc, struct yml_error *err,
                                  const struct sim_scenario *s, const struct yml_node *n,
                                  const char *name)
{
    for (uint32_t i = 0; i < s->device_count; i++)
        if (strcmp(s->devices[i].name, name) == 0)
            return yml_error_at(doc, n, err, "a device named '%s' already exists", name);
    for (uint32_t i = 0; i < s->prog_device_count; i++)
        if (strcmp(s->prog_devices[i].name, name) == 0)
            return yml_error_at(doc, n, err, "a device named '%s' already exists", name);
    return IOSIM_OK;
}

/* `type:` as one of every registered family's types, in registry order. */
static enum iosim_err device_type(struct loader *l, const struct yml_node *v,
                                  const struct sim_family **f, uint32_t *type)
{
    enum { TYPES_MAX = 64 };
    const char *names[TYPES_MAX];
    const struct sim_family *owner[TYPES_MAX];
    uint32_t index[TYPES_MAX];
    size_t n = 0, pick;
    for (uint32_t i = 0; i < sim_family_count(); i++) {
        const struct sim_family *o = sim_family_at(i);
        for (uint32_t k = 0; o->types[k] != NULL && n < TYPES_MAX; k++, n++) {
            names[n] = o->types[k];
            owner[n] = o;
            index[n] = k;
        }
    }
    ASSERT(n > 0);
    CHECK(yml_get_enum(l->doc, v, names, n, &pick, l->err));
    *f = owner[pick];
    *type = index[pick];
    return IOSIM_OK;
}

enum iosim_err sim_scn_device(struct loader *l, const struct yml_node *n)
{
    const struct yml_node *v, *map;
    char name[SIM_NAME_MAX];
    CHECK(yml_get_map(l->doc, n, &map, l->err));
    if (l->s->device_count == SIM_SCN_DEVICES_MAX)
        return yml_error_at(l->doc, map, l->err, "more than %u devices", SIM_SCN_DEVICES_MAX);
    CHECK(yml_require(l->doc, map, "name", "device", &v, l->err));
    CHECK(sim_scn_name(l, v, name, sizeof name));
    CHECK(unique_name(l->doc, l->err, l->s, v, name));
    CHECK(yml_require(l->doc, map, "type", "device", &v, l->err));
    const struct sim_family *f;
    uint32_t type;
    CHECK(device_type(l, v, &f, &type));
    struct sim_family_loader ld = family_loader(l, f);
    return f->load(&ld, map, type, name);
}

enum iosim_err sim_scn_family_machine(struct loader *l, const struct yml_node *n,
                                      const char *key)
{
    for (uint32_t i = 0; i < sim_family_count(); i++) {
        const struct sim_family *f = sim_family_at(i);
        if (f->machine_key == NULL || strcmp(f->machine_key, key) != 0)
            continue;
        ASSERT(l->s->family_machine[i] == NULL);
        void *cfg = calloc(1, f->machine_config_size);
        if (cfg == NULL)
            return yml_error_at(l->doc, n, l->err, "out of memory");
        l->s->family_machine[i] = cfg; /* the scenario's from now on, loaded or not */
        struct sim_family_loader ld = family_loader(l, f);
        return f->load_machine(&ld, n, cfg);
    }
    ASSERT(!"a machine key of the registry");
    return IOSIM_EINVAL;
}

/* ---- helpers for families (family.h) ---------------------------------------------- */

enum iosim_err sim_family_device_add(struct sim_family_loader *ld, const struct yml_node *at,
                                     const char *name, uint32_t type,
                                     struct sim_scn_device **out)
{
    struct sim_scenario *s = ld->s;
    ASSERT(ld->family != NULL && name != NULL && out != NULL);
    if (s->device_count == SIM_SCN_DEVICES_MAX)
        return yml_error_at(ld->doc, at, ld->err, "more than %u devices", SIM_SCN_DEVICES_MAX);
    if (strlen(name) >= SIM_NAME_MAX)
        return yml_error_at(ld->doc, at, ld->err, "a device name is at most %u characters",
                            SIM_NAME_MAX - 1);
    CHECK(unique_name(ld->doc, ld->err, s, at, name));
    void *cfg = calloc(1, ld->family->config_size);
    if (cfg == NULL)
        return yml_error_at(ld->doc, at, ld->err, "out of memory");
    struct sim_scn_device *d = &s->devices[s->device_count++];
    *d = (struct sim_scn_device){.family = ld->family, .type = type, .config = cfg,
                                 .line = yml_line(at), .col = yml_col(at)};
    memcpy(d->name, name, strlen(name) + 1);
    *out = d;
    return IOSIM_OK;
}

uint32_t sim_family_device_count(const struct sim_family_loader *ld)
{
    return ld->s->device_count;
}

const struct sim_scn_device *sim_family_device_at(const struct sim_family_loader *ld, uint32_t i)
{
    ASSERT(i < ld->s->device_count);
    return &ld->s->devices[i];
}

enum iosim_err sim_family_name(struct sim_family_loader *ld, const struct yml_node *n, char *buf,
                               size_t cap)
{
    struct loader l = {.doc = ld->doc, .s = ld->s, .err = ld->err};
    return sim_scn_name(&l, n, buf, cap);
}

enum iosim_err sim_family_prog_window(struct sim_family_loader *ld, const struct yml_node *at,
                                      const char *name, uint64_t base, uint64_t len)
{
    struct sim_scenario *s = ld->s;
    if (s->prog_device_count == SIM_PROG_DEVICES_MAX)
        return yml_error_at(ld->doc, at, ld->err, "more than %u devices programs can name",
                            SIM_PROG_DEVICES_MAX);
    for (uint32_t i = 0; i < s->prog_device_count; i++) {
        const struct sim_prog_device *b = &s->prog_devices[i];
        if (strcmp(name, b->name) == 0)
            return yml_error_at(ld->doc, at, ld->err, "a device named '%s' already exists", name);
        if (base < b->base + b->len && b->base < base + len)
            return yml_error_at(ld->doc, at, ld->err, "mmio window of '%s' overlaps '%s'", name,
                                b->name);
    }
    s->prog_devices[s->prog_device_count++] = (struct sim_prog_device){name, base, len};
    return IOSIM_OK;
}

const void *sim_family_machine_config_of(const struct sim_family_loader *ld,
                                         const struct sim_family *f)
{
    return ld->s->family_machine[sim_family_index(f)];
}

void sim_family_path(const struct sim_family_loader *ld, const char *rel, char *out, size_t cap)
{
    const char *slash = strrchr(ld->file, '/');
    if (rel[0] == '/' || slash == NULL)
        snprintf(out, cap, "%s", rel);
    else
        snprintf(out, cap, "%.*s/%s", (int)(slash - ld->file), ld->file, rel);
}
