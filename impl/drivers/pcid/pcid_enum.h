/*
 * pcid_enum.h - what pcid finds on the PCI buses: every function, its IDs,
 * class, BARs (kind and size, by the sizing protocol), capabilities (PM,
 * MSI, MSI-X, PCI Express), and the bridges with the bus numbers pcid gives
 * them.
 *
 *     struct pcid_cfg cfg = {.read = ecam_read, .write = ecam_write, .ctx = &ecam};
 *     static struct pcid_topology topo;
 *     pcid_enumerate(&cfg, &(struct pcid_enum_opts){.assign_buses = true}, &topo);
 *     for (uint32_t i = 0; i < topo.count; i++) ... topo.funcs[i]
 *
 * Configuration space is reached through struct pcid_cfg, so the same code
 * walks an ECAM window (pcid_ecam.h), a simulated machine or a dump of a
 * real one. Hardware is not trusted: a capability list that loops or
 * points into the header, a BAR whose size mask makes no sense, a 64-bit
 * BAR in the last slot are recorded as problems (PCID_PROB_*) and walked
 * past, never followed forever; every loop is bounded.
 *
 * Sizing writes all ones to each BAR and restores it, with memory and I/O
 * decoding off meanwhile [LB 6.2.5.1]. With assign_buses, bridges get
 * primary / secondary / subordinate numbers depth first, as firmware does;
 * without it the numbers already there are followed (a read-only dump).
 *
 * Ownership: the topology is caller storage (it is large: keep it static
 * or on the heap); nothing is allocated. Not thread-safe.
 */
#ifndef IOSIM_PCID_ENUM_H
#define IOSIM_PCID_ENUM_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/err.h"
#include "impl/port/spec/pci_regs.h"

#define PCID_FUNCS_MAX 256u
#define PCID_BRIDGE_DEPTH_MAX 32u

struct pcid_cfg {
    /* size 1, 2 or 4, off aligned to it, below 4096 */
    uint32_t (*read)(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, unsigned size);
    void (*write)(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, unsigned size,
                  uint32_t value);
    void *ctx;
};

enum pcid_bar_kind { PCID_BAR_NONE, PCID_BAR_MEM32, PCID_BAR_MEM64, PCID_BAR_IO };

struct pcid_bar {
    enum pcid_bar_kind kind;
    bool prefetch;
    uint64_t size;      /* 0 when not implemented */
    uint64_t addr;      /* as found (or as assigned by pcid_assign) */
    bool assigned;      /* pcid_assign gave it addr */
};

struct pcid_msi {
    bool present;
    uint8_t cap;        /* offset of the capability */
    uint8_t vectors_log2;
    bool addr64, masking;
};

struct pcid_msix {
    bool present;
    uint8_t cap;
    uint16_t vectors;
    uint8_t table_bar, pba_bar;
    uint32_t table_off, pba_off;
};

struct pcid_pcie {
    bool present;
    uint8_t cap;
    uint8_t type;       /* PCI_EXP_TYPE_* */
    uint8_t max_gen, max_width, gen, width;
};

/* Problems a function's configuration space showed. */
#define PCID_PROB_CAP_LOOP (1u << 0)     /* the capability list loops or is too long */
#define PCID_PROB_CAP_PTR (1u << 1)      /* a capability pointer into the header */
#define PCID_PROB_BAR_64_LAST (1u << 2)  /* a 64-bit BAR in the last slot */
#define PCID_PROB_BAR_MASK (1u << 3)     /* a BAR read back a mask no sizing explains */
#define PCID_PROB_MSIX_BIR (1u << 4)     /* MSI-X table or PBA in a BAR that is not memory */
#define PCID_PROB_TOO_MANY (1u << 5)     /* more functions than PCID_FUNCS_MAX: some skipped */
#define PCID_PROB_BUSES (1u << 6)        /* bus numbers ran out, or bridges nest too deep */
#define PCID_PROB_NO_SPACE (1u << 7)     /* a BAR or window did not fit its aperture */

struct pcid_func {
    uint8_t bus, dev, fn;
    uint16_t vendor, device, subsys_vendor, subsys;
    uint8_t class_code, subclass, prog_if, revision;
    uint8_t header_type;        /* without the multi-function bit */
    bool multifunction, bridge;
    uint8_t int_pin, int_line;
    uint8_t secondary, subordinate; /* bridges */
    uint64_t win_base, win_size;    /* bridges: the memory window pcid_assign gave (size 0: closed) */
    uint64_t win_align;
    uint32_t parent;            /* index of the bridge above, or UINT32_MAX */
    struct pcid_bar bar[PCI_BAR_COUNT];
    bool pm;
    uint8_t pm_cap;
    struct pcid_msi msi;
    struct pcid_msix msix;
    struct pcid_pcie pcie;
    uint32_t problems;          /* PCID_PROB_* */
};

struct pcid_topology {
    struct pcid_func funcs[PCID_FUNCS_MAX];
    uint32_t count;
    uint8_t last_bus;           /* highest bus number in use */
    uint32_t problems;          /* PCID_PROB_TOO_MANY, PCID_PROB_BUSES */
};

struct pcid_enum_opts {
    bool assign_buses;          /* number bridges (else follow what is there) */
    bool size_bars;             /* size BARs by writing them (else sizes stay 0) */
};

/* Walks every bus reachable from bus 0. IOSIM_OK even when problems were
 * found (they are in the topology); EINVAL for a NULL accessor. */
enum iosim_err pcid_enumerate(const struct pcid_cfg *cfg, const struct pcid_enum_opts *opts,
                              struct pcid_topology *out);

/* Reads the one function at bus:dev.fn as pcid_enumerate would (and, for
 * a bridge, walks the buses below it), appending it to out, which
 * pcid_enumerate filled or which is zeroed; its parent is UINT32_MAX. For
 * functions no walk from bus 0 reaches: a dump of a few functions of a
 * machine (pcid_dump.h). With assign_buses, numbers continue after the
 * highest bus out and bus use. ENOENT when nothing answers there (vendor
 * 0xffff or 0); EINVAL for a NULL accessor, dev or fn out of range. */
enum iosim_err pcid_enumerate_function(const struct pcid_cfg *cfg,
                                       const struct pcid_enum_opts *opts, uint8_t bus,
                                       uint8_t dev, uint8_t fn, struct pcid_topology *out);

/* Debug checkers, for ASSERT only (they read the topology, never
 * configuration space): what pcid derived for function i, and for every
 * function. They hold after pcid_enumerate / pcid_enumerate_function and
 * after pcid_assign: counts within PCID_FUNCS_MAX; a parent is an earlier
 * bridge whose secondary bus is the child's; BAR sizes powers of two, 0
 * for no BAR; capability offsets dword-aligned past the header; an
 * assigned address aligned to its size and inside its bridge's window. */
bool pcid_func_ok(const struct pcid_topology *t, uint32_t i);
bool pcid_topology_ok(const struct pcid_topology *t);

/* "mem32", "mem64", "io" or "none", as traces and reports spell them. */
const char *pcid_bar_kind_name(enum pcid_bar_kind k);

/* The function at bus:dev.fn in the topology, or NULL. */
const struct pcid_func *pcid_topology_find(const struct pcid_topology *t, uint8_t bus, uint8_t dev,
                                           uint8_t fn);

#endif /* IOSIM_PCID_ENUM_H */
