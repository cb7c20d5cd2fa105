/*
 * The correct twins of the memory-model planted scenarios
 * (scenarios/planted/README.md): with the proper orders each holds for every
 * seed under every policy, so the model reports no reordering C11 forbids.
 */
#include "scenario_sweep.h"

#define SEEDS 300

static const char *const policies[] = {"fifo", "random", "pct:2", "pct:3", NULL};

Test(memory_twins, mp_acquire_holds_for_every_seed)
{
    scenario_sweep("scenarios/suite/engine/mp-acquire.yaml", policies, SEEDS);
}
Test(memory_twins, sb_dekker_fenced_holds_for_every_seed)
{
    scenario_sweep("scenarios/suite/engine/sb-dekker-fenced.yaml", policies, SEEDS);
}
Test(memory_twins, two_plus_two_w_seqcst_holds_for_every_seed)
{
    scenario_sweep("scenarios/suite/engine/2+2w-seqcst.yaml", policies, SEEDS);
}
Test(memory_twins, ring_slot_release_holds_for_every_seed)
{
    scenario_sweep("scenarios/suite/engine/ring-slot-release.yaml", policies, SEEDS);
}
Test(memory_twins, message_passing_release_holds_for_every_seed)
{
    scenario_sweep("scenarios/suite/engine/message-passing-release.yaml", policies, SEEDS);
}
