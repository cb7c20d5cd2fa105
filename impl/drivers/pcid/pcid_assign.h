/*
 * pcid_assign.h - giving every BAR an address and every bridge a window,
 * then turning decoding on for the functions pcid hands to drivers.
 *
 *     pcid_enumerate(&cfg, &opts, &topo);
 *     struct pcid_apertures ap = {.mem32_base = 0xc0000000, .mem32_limit = 0xe0000000,
 *                                 .mem64_base = 1ull << 36, .mem64_limit = 1ull << 37};
 *     pcid_assign(&cfg, &ap, &topo);          writes BARs and bridge windows
 *     pcid_enable(&cfg, &topo, i);            memory / I/O decoding and bus mastering
 *
 * Placement: memory BARs are rounded up to 4 KiB (a driver that maps its
 * BAR sees its own registers and nobody else's) and aligned to their size
 * [LB 6.2.5.1]. Each bus is packed in decreasing alignment, which leaves
 * no holes between power-of-two items. A bridge's window covers what is
 * below it, in 1 MiB units [PCI-to-PCI Bridge 3.2.5.8]; an empty window is
 * closed (base above limit). On bus 0, 64-bit BARs go to the aperture
 * above 4 GiB (when there is one); behind bridges everything goes through
 * the bridges' 32-bit memory windows, the prefetchable windows are not
 * used. I/O BARs on bus 0 get I/O addresses; bridges' I/O windows are not
 * programmed, so I/O BARs behind bridges stay unassigned (nothing in this
 * project uses port I/O).
 *
 * Whatever does not fit is left unassigned (address 0, pcid_bar.assigned
 * false, PCID_PROB_NO_SPACE on the function) and its function is never
 * enabled. Ownership as in pcid_enum.h; nothing is allocated.
 */
#ifndef IOSIM_PCID_ASSIGN_H
#define IOSIM_PCID_ASSIGN_H

#include "impl/drivers/pcid/pcid_enum.h"

#define PCID_BAR_ALIGN_MIN 4096u           /* pcid's page-per-BAR rule */
#define PCID_WINDOW_ALIGN (1u << 20)       /* bridge memory windows [PCI-to-PCI Bridge 3.2.5.8] */

/* Address ranges pcid may give out, [base, limit). A zero-sized range is
 * not there. mem32 must lie below 4 GiB. */
struct pcid_apertures {
    uint64_t mem32_base, mem32_limit;
    uint64_t mem64_base, mem64_limit;
    uint64_t io_base, io_limit;
};

/* Assigns and writes every BAR and bridge window of `t` (already
 * enumerated, BARs sized). EINVAL for an aperture that makes no sense;
 * IOSIM_OK otherwise, also when some things did not fit (see problems). */
enum iosim_err pcid_assign(const struct pcid_cfg *cfg, const struct pcid_apertures *ap,
                           struct pcid_topology *t);

/* Turns on memory (and I/O) decoding and bus mastering for function i and
 * memory decoding and bus mastering on every bridge above it. ENOSPC when
 * one of its BARs (or a window above it) went unassigned: nothing is
 * enabled then. */
enum iosim_err pcid_enable(const struct pcid_cfg *cfg, struct pcid_topology *t, uint32_t i);

#endif /* IOSIM_PCID_ASSIGN_H */
