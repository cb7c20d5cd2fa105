/*
 * xhci_profile.h - what one xHCI controller looks like to its driver: the
 * values its capability registers read, its PCI identity, how its ports
 * split between USB 2 and USB 3, and how long its internal work takes.
 *
 * Profiles are static tables (xhci_profile.c) with their sources in
 * docs/xhci-profiles.md; a scenario names one (`profile: qemu`). The model
 * derives every capability register from a profile, so a profile is
 * exactly what a driver can tell apart.
 *
 *     const struct xhci_profile *p = xhci_profile_find("qemu");
 *
 * Lifetime: profiles are static, valid for the process.
 */
#ifndef IOSIM_MODELS_XHCI_PROFILE_H
#define IOSIM_MODELS_XHCI_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/machine/dev.h"

/* Behaviours of a real device that differ from the spec, kept because a
 * profile reproduces its device. */
enum xhci_quirk {
    XHCI_QUIRK_CSC_AT_RESET = 1u << 0,    /* PORTSC.CSC set after reset with nothing attached (QEMU) */
    XHCI_QUIRK_MFINDEX_HALTED = 1u << 1,  /* MFINDEX counts while halted (QEMU) */
};

struct xhci_profile {
    const char *name;
    const char *source;            /* where the values come from (a line) */
    /* PCI identity and capabilities */
    uint16_t vendor, device, subsys_vendor, subsys;
    uint8_t revision;
    uint32_t bar_bytes;            /* BAR 0 (64-bit memory), a power of two */
    uint16_t msix_vectors;         /* 0: no MSI-X */
    uint8_t msix_bar;              /* 0, or 2 for a BAR of its own */
    uint32_t msix_bar_bytes;       /* that BAR's size when msix_bar is 2 */
    uint32_t msix_table_off, msix_pba_off;
    uint8_t msi_vectors_log2;      /* MSI vectors 2^n; 0xff: no MSI */
    bool pm;                       /* a power management capability */
    uint8_t pcie_type;             /* 0xff: no PCI Express capability; else PCI_EXP_TYPE_* */
    uint8_t pcie_gen, pcie_width;
    /* capability registers */
    uint8_t caplength;
    uint16_t hciversion;
    uint8_t max_slots;
    uint16_t max_intrs;
    uint32_t hcsparams2;           /* IST, ERST Max, scratchpads as read */
    uint32_t hcsparams3;
    uint32_t hccparams1_flags;     /* AC64, CSZ, PPC, ..., MaxPSASize; xECP is derived */
    uint32_t hccparams2;
    uint32_t rtsoff, dboff;        /* from the capability base */
    /* the extended capabilities, dword by dword from xecp (bytes from the
     * base); the Supported Protocol ones say which ports are USB 2 and 3 */
    uint32_t xecp;
    const uint32_t *xcap;
    uint32_t xcap_dwords;
    /* behaviour */
    uint32_t quirks;               /* enum xhci_quirk */
    bool imod;                     /* IMOD throttles interrupts (false: QEMU ignores it) */
    uint16_t imodi_reset;          /* IMOD.IMODI after reset */
    uint16_t erstsz_max;           /* ERST entries the controller takes */
    /* timing */
    sim_time_ps power_on_ps;       /* CNR after power-on */
    sim_time_ps reset_ps;          /* HCRST until HCRST and CNR clear */
    sim_time_ps run_ps, halt_ps;   /* R/S until HCH follows */
    sim_time_ps connect_ps;        /* a device plugged in until CCS (USB 3: link training) */
    sim_time_ps usb2_port_reset_ps, usb3_port_reset_ps, warm_reset_ps;
    sim_time_ps doorbell_ps;       /* doorbell write until the first TRB fetch */
    sim_time_ps trb_fetch_ps;      /* one TRB read */
    sim_time_ps command_ps;        /* a command's own work */
    sim_time_ps event_ps;          /* writing an event TRB */
    sim_time_ps irq_ps;            /* deciding to interrupt until the message / INTx goes out */
    uint32_t dma_ps_per_kib;       /* the controller's memory path per KiB (0: never the limit) */
    /* the bus scheduler (docs/xhci-profiles.md 3) */
    uint32_t hs_bulk_per_uframe;   /* high-speed bulk packets per microframe (spec max 13) */
    sim_time_ps ss_burst_gap_ps;   /* SuperSpeed: between bursts (ACK, flow control) */
};

/* The built-in profiles, in a fixed order; NULL-terminated. */
extern const struct xhci_profile *const xhci_profiles[];

/* A profile by name, or NULL. */
const struct xhci_profile *xhci_profile_find(const char *name);

/* Ports in all (HCSPARAMS1.MaxPorts: all the protocols' ports); port n
 * (1-based) is USB 3 when a USB 3 Supported Protocol capability covers it. */
uint32_t xhci_profile_ports(const struct xhci_profile *p);
bool xhci_profile_port_usb3(const struct xhci_profile *p, uint32_t port);

/* The profile's capability register at `off` (dword aligned, below
 * caplength or among the extended capabilities), as the model reads it. */
uint32_t xhci_profile_cap_read(const struct xhci_profile *p, uint32_t off);

/* NULL, or what makes the profile impossible: a layout that overlaps, a
 * capability list that runs off its dwords or loops, protocol port
 * ranges that overlap or leave a port out (a check for tests and for
 * profiles added later). */
const char *xhci_profile_problem(const struct xhci_profile *p);

#endif /* IOSIM_MODELS_XHCI_PROFILE_H */
