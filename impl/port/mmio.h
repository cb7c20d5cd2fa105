/*
 * mmio.h - device registers through a BAR handle.
 *
 * A driver maps a physical register window once (port_bar_map) and then
 * reads and writes at offsets inside it. Reads are non-posted (the caller
 * waits for the device's answer); writes are posted. A write is ordered after
 * every earlier store of the same CPU (like Linux's writel), so "fill the
 * descriptor, then ring the doorbell" needs no extra fence.
 *
 * An offset outside the window, or a misaligned one, reads all ones and
 * drops the write, as a PCI master abort does; it is never undefined.
 *
 *     struct port_bar *bar;
 *     if (port_bar_map(bar_phys, bar_len, &bar) != IOSIM_OK) ...
 *     uint32_t caps = port_mmio_read32(bar, 0x00);
 *     port_bar_unmap(bar);
 *
 * The handle is owned by the caller until port_bar_unmap().
 */
#ifndef IOSIM_PORT_MMIO_H
#define IOSIM_PORT_MMIO_H

#include <stdint.h>

#include "impl/port/err.h"

struct port_bar;

enum iosim_err port_bar_map(uint64_t phys_addr, uint64_t len_bytes, struct port_bar **out);
void port_bar_unmap(struct port_bar *bar);
uint64_t port_bar_len(const struct port_bar *bar);

uint8_t port_mmio_read8(struct port_bar *bar, uint64_t off);
uint16_t port_mmio_read16(struct port_bar *bar, uint64_t off);
uint32_t port_mmio_read32(struct port_bar *bar, uint64_t off);
uint64_t port_mmio_read64(struct port_bar *bar, uint64_t off);
void port_mmio_write8(struct port_bar *bar, uint64_t off, uint8_t v);
void port_mmio_write16(struct port_bar *bar, uint64_t off, uint16_t v);
void port_mmio_write32(struct port_bar *bar, uint64_t off, uint32_t v);
void port_mmio_write64(struct port_bar *bar, uint64_t off, uint64_t v);

#endif /* IOSIM_PORT_MMIO_H */
