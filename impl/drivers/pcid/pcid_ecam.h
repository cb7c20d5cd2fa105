/*
 * pcid_ecam.h - configuration space through an ECAM window [PCIe 7.2.2],
 * as a struct pcid_cfg: the window is mapped once (port_bar_map) and every
 * access is one MMIO read or write of the size asked.
 *
 *     struct pcid_ecam ecam;
 *     pcid_ecam_open(&ecam, 0xe0000000, 256);
 *     struct pcid_cfg cfg = pcid_ecam_cfg(&ecam);
 *     ... pcid_enumerate(&cfg, ...) ...
 *     pcid_ecam_close(&ecam);
 *
 * Buses beyond the window read all ones and drop writes, as if nothing
 * were there. Ownership: caller storage; open maps, close unmaps.
 */
#ifndef IOSIM_PCID_ECAM_H
#define IOSIM_PCID_ECAM_H

#include "impl/drivers/pcid/pcid_enum.h"

struct port_bar;

struct pcid_ecam {
    struct port_bar *bar;
    uint32_t buses;
};

/* EINVAL: buses 0 or > 256, or a base not aligned to 1 MiB. */
enum iosim_err pcid_ecam_open(struct pcid_ecam *e, uint64_t base, uint32_t buses);
void pcid_ecam_close(struct pcid_ecam *e);
struct pcid_cfg pcid_ecam_cfg(struct pcid_ecam *e);

#endif /* IOSIM_PCID_ECAM_H */
