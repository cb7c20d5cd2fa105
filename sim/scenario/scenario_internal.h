/*
 * scenario_internal.h - what the parts of the scenario loader share:
 * scenario.c (the document, machine, processes, faults),
 * scenario_devices.c (devices through the family registry, and the helpers
 * of family.h) and scenario_expect.c. Internal to sim/scenario/.
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

/* A family's section under `machine:` (`key` is one of the registry's). */
enum iosim_err sim_scn_family_machine(struct loader *l, const struct yml_node *n,
                                      const char *key);

/* One item of `devices:` / `expect:`. */
enum iosim_err sim_scn_device(struct loader *l, const struct yml_node *n);
enum iosim_err sim_scn_expect(struct loader *l, const struct yml_node *n);
/* The `fuzz:` section (scenario_fuzz.c), after devices and processes. */
enum iosim_err sim_scn_fuzz(struct loader *l, const struct yml_node *n);

#endif /* IOSIM_SIM_SCENARIO_INTERNAL_H */
