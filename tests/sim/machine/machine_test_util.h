/* A small machine for tests that run processes written against impl/port:
 * the default configuration with the CPU count, policy and seed given. The
 * caller destroys it with sim_machine_destroy. */
#ifndef IOSIM_TESTS_MACHINE_TEST_UTIL_H
#define IOSIM_TESTS_MACHINE_TEST_UTIL_H

#include <criterion/criterion.h>

#include "sim/machine/machine.h"

static inline struct sim_machine *mt_make(uint32_t cpus, enum sim_policy_kind pol, uint64_t seed)
{
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    cfg.cpus = cpus;
    cfg.sched.policy = pol;
    cfg.seed = seed;
    struct sim_machine *m = NULL;
    cr_assert_eq(sim_machine_create(&cfg, NULL, &m), IOSIM_OK);
    return m;
}

#endif /* IOSIM_TESTS_MACHINE_TEST_UTIL_H */
