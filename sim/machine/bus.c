/* MMIO bus; see bus.h. */
#include "sim/machine/bus.h"

#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"

enum iosim_err sim_bus_init(struct sim_bus *bus)
{
    ASSERT(bus != NULL);
    *bus = (struct sim_bus){0};
    bus->regions = calloc(SIM_BUS_REGIONS_MAX, sizeof *bus->regions);
    return bus->regions != NULL ? IOSIM_OK : IOSIM_ENOMEM;
}

void sim_bus_fini(struct sim_bus *bus)
{
    ASSERT(bus != NULL);
    free(bus->regions);
    *bus = (struct sim_bus){0};
}

static bool range_ok(uint64_t base, uint64_t len)
{
    return len != 0 && base + len > base;
}

/* Index of the first region ending after addr. */
static uint32_t lower_bound(const struct sim_bus *bus, uint64_t addr)
{
    uint32_t lo = 0, hi = bus->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (bus->regions[mid].base + bus->regions[mid].len <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static enum iosim_err insert_sorted(struct sim_bus *bus, const struct sim_mmio_region *r)
{
    uint32_t i = lower_bound(bus, r->base);
    if (i < bus->count && bus->regions[i].base < r->base + r->len)
        return IOSIM_EEXIST;
    if (bus->count == SIM_BUS_REGIONS_MAX)
        return IOSIM_ENOSPC;
    memmove(&bus->regions[i + 1], &bus->regions[i], (bus->count - i) * sizeof *r);
    bus->regions[i] = *r;
    bus->count++;
    return IOSIM_OK;
}

enum iosim_err sim_bus_add(struct sim_bus *bus, const struct sim_mmio_region *r, uint32_t *id)
{
    ASSERT(bus != NULL && r != NULL && r->ops != NULL);
    if (!range_ok(r->base, r->len) || r->name == NULL)
        return IOSIM_EINVAL;
    struct sim_mmio_region copy = *r;
    copy.id = bus->next_id;
    enum iosim_err e = insert_sorted(bus, &copy);
    if (e != IOSIM_OK)
        return e;
    bus->next_id++;
    if (id != NULL)
        *id = copy.id;
    return IOSIM_OK;
}

struct sim_mmio_region *sim_bus_find(struct sim_bus *bus, uint64_t addr, uint64_t size)
{
    ASSERT(bus != NULL && size > 0);
    uint32_t i = lower_bound(bus, addr);
    if (i == bus->count)
        return NULL;
    struct sim_mmio_region *r = &bus->regions[i];
    if (!r->enabled || addr < r->base || addr - r->base > r->len - size || size > r->len)
        return NULL;
    return r;
}

struct sim_mmio_region *sim_bus_get(struct sim_bus *bus, uint32_t id)
{
    ASSERT(bus != NULL);
    for (uint32_t i = 0; i < bus->count; i++)
        if (bus->regions[i].id == id)
            return &bus->regions[i];
    return NULL;
}

enum iosim_err sim_bus_move(struct sim_bus *bus, uint32_t id, uint64_t new_base)
{
    ASSERT(bus != NULL);
    uint32_t i = 0;
    while (i < bus->count && bus->regions[i].id != id)
        i++;
    if (i == bus->count)
        return IOSIM_ENOENT;
    struct sim_mmio_region r = bus->regions[i];
    if (!range_ok(new_base, r.len))
        return IOSIM_EINVAL;
    memmove(&bus->regions[i], &bus->regions[i + 1], (bus->count - i - 1) * sizeof r);
    bus->count--;
    uint64_t old = r.base;
    r.base = new_base;
    enum iosim_err e = insert_sorted(bus, &r);
    if (e != IOSIM_OK) {
        r.base = old;
        enum iosim_err back = insert_sorted(bus, &r);
        ASSERT(back == IOSIM_OK);
        (void)back;
    }
    return e;
}

enum iosim_err sim_bus_remove(struct sim_bus *bus, uint32_t id)
{
    ASSERT(bus != NULL);
    for (uint32_t i = 0; i < bus->count; i++) {
        if (bus->regions[i].id != id)
            continue;
        memmove(&bus->regions[i], &bus->regions[i + 1], (bus->count - i - 1) * sizeof bus->regions[0]);
        bus->count--;
        return IOSIM_OK;
    }
    return IOSIM_ENOENT;
}

struct sim_mmio_region *sim_bus_by_name(struct sim_bus *bus, const char *name)
{
    ASSERT(bus != NULL && name != NULL);
    for (uint32_t i = 0; i < bus->count; i++)
        if (strcmp(bus->regions[i].name, name) == 0)
            return &bus->regions[i];
    return NULL;
}
