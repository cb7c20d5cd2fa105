/*
 * scenario_internal.h - what the parts of the scenario loader share:
 * scenario.c (the document, machine, processes, faults),
 * scenario_devices.c and scenario_expect.c. Internal to sim/.
 */
#ifndef IOSIM_SIM_SCENARIO_INTERNAL_H
#define IOSIM_SIM_SCENARIO_INTERNAL_H

#include "sim/scenario/scenario.h"

struct loader {
    const struct yml_doc *doc;
    struct sim_scenario *s;
    struct yml_error *err;
};

/* A name: 1..cap-1 letters, digits, '_', '-', '.'. */
enum iosim_err sim_scn_name(struct loader *l, const struct yml_node *n, char *buf, size_t cap);

/* machine.pci, and the keys of a `pci` / `pci_bridge` device (scenario_pci.c). */
enum iosim_err sim_scn_pci_machine(struct loader *l, const struct yml_node *n);
enum iosim_err sim_scn_pci_device(struct loader *l, const struct yml_node *n,
                                  struct sim_scn_device *d);

/* A `pci_dump` device: its functions become devices NAME-BB.DD.F
 * (scenario_pci_dump.c). */
enum iosim_err sim_scn_pci_dump(struct loader *l, const struct yml_node *map, const char *name);

/* Adds a fixed window programs can name (unique name and range). */
enum iosim_err sim_scn_prog_device(struct loader *l, const struct yml_node *n,
                                   const struct sim_prog_device *pd);

/* One item of `devices:` / `expect:`. */
enum iosim_err sim_scn_device(struct loader *l, const struct yml_node *n);
enum iosim_err sim_scn_expect(struct loader *l, const struct yml_node *n);

#endif /* IOSIM_SIM_SCENARIO_INTERNAL_H */
