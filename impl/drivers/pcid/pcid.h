/*
 * pcid.h - the PCI daemon: finds the functions (pcid_enum), gives them
 * addresses (pcid_assign), starts a driver for each function its driver
 * table (pcid_config) matches, and serves `pci:` (pci_scheme.h) to those
 * drivers over the secondary rings they offer.
 *
 *     struct pcid *d = ...;                  large: process memory (DMA) or static
 *     pcid_init(d, &opts, &cfg);             cfg reaches configuration space
 *     pcid_bring_up(d);                      enumerate, assign, trace what was found
 *     pcid_start_drivers(d);                 enable + spawn the matched functions
 *     ... pcid_serve_request(d, client, &sqe, &extra) for each request ...
 *
 * The app (app_pcid, pcid_main.c) adds the rings and the loop; tests drive
 * these pieces directly. Interrupt vectors come from a range of machine
 * interrupt lines pcid owns (opts.irq_base, opts.irq_count): MSI and MSI-X
 * messages go to the x86 interrupt window with the line as data, so the
 * platform raises that line [Intel SDM vol. 3, 11.11]; INTx uses the line
 * firmware wrote into the Interrupt Line register.
 *
 * Not thread-safe: one pcid process.
 */
#ifndef IOSIM_PCID_H
#define IOSIM_PCID_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/drivers/pcid/pci_scheme.h"
#include "impl/drivers/pcid/pcid_assign.h"
#include "impl/drivers/pcid/pcid_config.h"
#include "impl/drivers/pcid/pcid_enum.h"
#include "impl/port/err.h"
#include "impl/ring/ring_entries.h"

#define PCID_CLIENTS_MAX 32u
#define PCID_BDF_LEN 8u          /* "BB:DD.F" and its terminator */

struct pcid_opts {
    struct pcid_apertures ap;
    uint32_t irq_base, irq_count;   /* machine lines pcid may give as MSI / MSI-X vectors */
    bool spawn;                     /* start drivers (else only match and enable) */
};

/* A function pcid handed to a driver. */
struct pcid_client {
    bool used;
    uint32_t func;                  /* index in the topology */
    char bdf[PCID_BDF_LEN];
    int64_t pid;                    /* the driver process; -1 before it runs */
    bool ring;                      /* its secondary ring is accepted */
    bool open;                      /* it opened its function */
    bool irq_done;                  /* interrupts set up (once) */
    bool gone;                      /* its ring was closed: the driver left */
};

struct pcid {
    struct pcid_cfg cfg;
    struct pcid_opts opts;
    struct pcid_topology topo;
    struct pcid_config drivers;
    struct pcid_client clients[PCID_CLIENTS_MAX];
    uint32_t client_count;
    uint32_t irq_next;              /* next free line of the range */
};

/* "BB:DD.F" of function i. */
void pcid_bdf(const struct pcid_func *f, char out[PCID_BDF_LEN]);

/* The capabilities pcid understood, as the trace shows them: "pm msi:8
 * msix:16 pcie:gen3x4" (MSI vectors, MSI-X table size, the link's current
 * speed and width); "" for none. len >= 1. */
void pcid_caps_text(const struct pcid_func *f, char *out, size_t len);

/* EINVAL for a driver table that does not parse (*err says where). */
enum iosim_err pcid_init(struct pcid *d, const struct pcid_opts *opts, const struct pcid_cfg *cfg,
                         const char *driver_table, struct pcid_config_error *err);

/* Enumerates and assigns; every function and BAR becomes a trace row. */
enum iosim_err pcid_bring_up(struct pcid *d);

/* For each matched function: enable it and (opts.spawn) start its driver
 * as process "<driver>-BB.DD.F" with the rule's arguments plus pci=BB:DD.F.
 * Returns how many drivers were started. */
uint32_t pcid_start_drivers(struct pcid *d);

/* The client a ring offered by process `pid` belongs to, or NULL. */
struct pcid_client *pcid_client_of_pid(struct pcid *d, int64_t pid);

/* One request on a client's ring: the CQE's status (and *extra). */
int64_t pcid_serve_request(struct pcid *d, struct pcid_client *c, const struct ring_sqe64 *q,
                           uint64_t *extra);

#endif /* IOSIM_PCID_H */
