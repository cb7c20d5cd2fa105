/*
 * The pcid scenarios under many schedules: pcid, the kernel and several
 * drivers race for the CPUs, rings and interrupt lines in every order the
 * random and pct policies find, and every run must still pass all of the
 * scenario's expectations (what pcid found, assigned and granted).
 */
#include <criterion/criterion.h>

#include "tests/sim/run/scenario_sweep.h"

static const char *const policies[] = {"random", "pct:2", "pct:3", "fifo", NULL};

Test(pcid_scenarios, one_driver_over_its_ring_holds_for_every_schedule)
{
    scenario_sweep("scenarios/suite/pcid/pcitest-msi.yaml", policies, 12);
}

Test(pcid_scenarios, a_mixed_machine_holds_for_every_schedule)
{
    scenario_sweep("scenarios/suite/pcid/mixed-machine.yaml", policies, 12);
}

Test(pcid_scenarios, an_impostor_is_refused_for_every_schedule)
{
    scenario_sweep("scenarios/suite/pcid/impostor-refused.yaml", policies, 12);
}
