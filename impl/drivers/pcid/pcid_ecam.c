/* Configuration space through ECAM; see pcid_ecam.h. */
#include "impl/drivers/pcid/pcid_ecam.h"

#include "impl/port/check.h"
#include "impl/port/port.h"

static bool where(const struct pcid_ecam *e, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off,
                  unsigned size, uint64_t *at)
{
    if (bus >= e->buses || dev >= PCI_DEVS_PER_BUS || fn >= PCI_FNS_PER_DEV ||
        off >= PCI_CFG_EXT_SIZE || (size != 1 && size != 2 && size != 4) || off % size != 0)
        return false;
    *at = (uint64_t)bus << PCI_ECAM_BUS_SHIFT | (uint64_t)dev << PCI_ECAM_DEV_SHIFT |
          (uint64_t)fn << PCI_ECAM_FN_SHIFT | off;
    ASSERT(*at < (uint64_t)e->buses * PCI_ECAM_BYTES_PER_BUS); /* inside the mapping */
    ASSERT(*at % size == 0);
    return true;
}

static uint32_t ecam_read(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off,
                          unsigned size)
{
    struct pcid_ecam *e = ctx;
    ASSERT(e != NULL);
    ASSERT(e->buses == 0 || e->bar != NULL);
    uint64_t at;
    if (!where(e, bus, dev, fn, off, size, &at))
        return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    switch (size) {
    case 1: return port_mmio_read8(e->bar, at);
    case 2: return port_mmio_read16(e->bar, at);
    default: return port_mmio_read32(e->bar, at);
    }
}

static void ecam_write(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off,
                       unsigned size, uint32_t v)
{
    struct pcid_ecam *e = ctx;
    ASSERT(e != NULL);
    ASSERT(e->buses == 0 || e->bar != NULL);
    uint64_t at;
    if (!where(e, bus, dev, fn, off, size, &at))
        return;
    switch (size) {
    case 1: port_mmio_write8(e->bar, at, (uint8_t)v); break;
    case 2: port_mmio_write16(e->bar, at, (uint16_t)v); break;
    default: port_mmio_write32(e->bar, at, v); break;
    }
}

enum iosim_err pcid_ecam_open(struct pcid_ecam *e, uint64_t base, uint32_t buses)
{
    e->bar = NULL;
    e->buses = 0;
    if (buses == 0 || buses > PCI_BUSES || base % PCI_ECAM_BYTES_PER_BUS != 0)
        return IOSIM_EINVAL;
    enum iosim_err r = port_bar_map(base, (uint64_t)buses * PCI_ECAM_BYTES_PER_BUS, &e->bar);
    if (r == IOSIM_OK)
        e->buses = buses;
    ASSERT(r != IOSIM_OK || e->bar != NULL);
    ASSERT(e->buses <= PCI_BUSES);
    return r;
}

void pcid_ecam_close(struct pcid_ecam *e)
{
    ASSERT(e != NULL);
    ASSERT(e->buses <= PCI_BUSES);
    port_bar_unmap(e->bar);
    e->bar = NULL;
    e->buses = 0;
}

struct pcid_cfg pcid_ecam_cfg(struct pcid_ecam *e)
{
    ASSERT(e != NULL);
    return (struct pcid_cfg){.read = ecam_read, .write = ecam_write, .ctx = e};
}
