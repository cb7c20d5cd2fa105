/* The registry of device families; see family.h. The helpers load
 * callbacks use live with the `devices:` loader (scenario_devices.c). */
#include "sim/scenario/family.h"

#include <string.h>

#include "impl/port/check.h"
#include "sim/trace/trace.h"

/* models/families.c: the built-in families, NULL-terminated. Declared here,
 * not included: the scenario language knows no model family by name. */
extern const struct sim_family *const sim_builtin_families[];

static const struct sim_family *g_families[SIM_FAMILIES_MAX];
static uint32_t g_count;
static bool g_builtin_done;

static bool type_taken(const char *type)
{
    uint32_t unused;
    return sim_family_by_type(type, &unused) != NULL;
}

static enum iosim_err check_descriptor(const struct sim_family *f)
{
    if (f->name == NULL || f->name[0] == '\0' || f->types == NULL || f->types[0] == NULL ||
        f->load == NULL || f->create == NULL || f->config_size == 0)
        return IOSIM_EINVAL;
    if ((f->machine_key != NULL) != (f->load_machine != NULL) ||
        (f->machine_key != NULL && f->machine_config_size == 0))
        return IOSIM_EINVAL;
    for (uint32_t i = 0; f->types[i] != NULL; i++) {
        if (type_taken(f->types[i]))
            return IOSIM_EINVAL;
        for (uint32_t k = 0; k < i; k++)
            if (strcmp(f->types[k], f->types[i]) == 0)
                return IOSIM_EINVAL;
    }
    for (uint32_t i = 0; i < g_count; i++)
        if (strcmp(g_families[i]->name, f->name) == 0 ||
            (f->machine_key != NULL && g_families[i]->machine_key != NULL &&
             strcmp(g_families[i]->machine_key, f->machine_key) == 0))
            return IOSIM_EINVAL;
    return IOSIM_OK;
}

/* Counters first: they can fail without leaving anything behind in the
 * trace store, whose registrations cannot be taken back. */
static enum iosim_err register_owned(const struct sim_family *f)
{
    for (uint32_t i = 0; f->counters != NULL && f->counters[i] != NULL; i++) {
        enum iosim_err e = sim_counter_register(f->counters[i]);
        if (e != IOSIM_OK)
            return e;
    }
    for (uint32_t i = 0; f->tables != NULL && f->tables[i] != NULL; i++) {
        enum iosim_err e = sim_trace_table_register(f->tables[i]);
        if (e != IOSIM_OK)
            return e;
    }
    return IOSIM_OK;
}

static enum iosim_err add(const struct sim_family *f)
{
    ASSERT(f != NULL);
    for (uint32_t i = 0; i < g_count; i++)
        if (g_families[i] == f)
            return IOSIM_OK;
    if (g_count == SIM_FAMILIES_MAX)
        return IOSIM_ENOSPC;
    enum iosim_err e = check_descriptor(f);
    if (e == IOSIM_OK)
        e = register_owned(f);
    if (e != IOSIM_OK)
        return e;
    g_families[g_count++] = f;
    return IOSIM_OK;
}

enum iosim_err sim_families_init(void)
{
    if (g_builtin_done)
        return IOSIM_OK;
    g_builtin_done = true;
    for (uint32_t i = 0; sim_builtin_families[i] != NULL; i++) {
        enum iosim_err e = add(sim_builtin_families[i]);
        ASSERT(e == IOSIM_OK && "a built-in family is refused");
        if (e != IOSIM_OK)
            return e;
    }
    return IOSIM_OK;
}

enum iosim_err sim_family_register(const struct sim_family *f)
{
    enum iosim_err e = sim_families_init();
    return e != IOSIM_OK ? e : add(f);
}

uint32_t sim_family_count(void) { return g_count; }

const struct sim_family *sim_family_at(uint32_t i)
{
    ASSERT(i < g_count);
    return g_families[i];
}

uint32_t sim_family_index(const struct sim_family *f)
{
    for (uint32_t i = 0; i < g_count; i++)
        if (g_families[i] == f)
            return i;
    ASSERT(!"the family is registered");
    return 0;
}

const struct sim_family *sim_family_by_type(const char *type, uint32_t *type_index)
{
    ASSERT(type != NULL && type_index != NULL);
    for (uint32_t i = 0; i < g_count; i++) {
        const struct sim_family *f = g_families[i];
        for (uint32_t k = 0; f->types[k] != NULL; k++) {
            if (strcmp(f->types[k], type) == 0) {
                *type_index = k;
                return f;
            }
        }
    }
    return NULL;
}
