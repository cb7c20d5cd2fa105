/*
 * The xhcid scenarios under many schedules: pcid, xhcid, the kernel and the
 * class drivers race for the CPUs, rings and interrupt lines in every order
 * the random and pct policies find, while the controller model moves the
 * data; every run must still pass all of the scenario's expectations.
 */
#include <criterion/criterion.h>

#include "tests/sim/run/scenario_sweep.h"

static const char *const policies[] = {"random", "pct:2", "pct:3", "fifo", NULL};

#define SWEEP(name, file, seeds)                                                             \
    Test(xhcid_scenarios, name) { scenario_sweep("scenarios/suite/xhcid/" file, policies, seeds); }

SWEEP(bring_up_holds_on_the_qemu_profile, "bring-up-qemu.yaml", 24)
SWEEP(bring_up_holds_on_the_ti_profile, "bring-up-ti-tusb7340.yaml", 24)
SWEEP(enumeration_holds_on_the_qemu_profile, "enumerate-qemu.yaml", 24)
SWEEP(enumeration_holds_on_the_ti_profile, "enumerate-ti-tusb7340.yaml", 24)
SWEEP(hostile_descriptors_are_refused_for_every_schedule, "hostile-descriptors-qemu.yaml", 24)
SWEEP(hot_plug_and_unplug_hold_for_every_schedule, "hotplug-qemu.yaml", 24)
SWEEP(the_stream_holds_on_the_qemu_profile, "zero-stream-qemu.yaml", 16)
SWEEP(the_stream_holds_on_the_ti_profile, "zero-stream-ti-tusb7340.yaml", 16)
SWEEP(the_event_ring_wraps_for_every_schedule, "event-ring-wrap-qemu.yaml", 16)
SWEEP(stalls_and_transaction_errors_are_mended_for_every_schedule,
      "recover-stall-xact-qemu.yaml", 16)
SWEEP(lost_interrupts_cost_time_not_a_hang, "lost-interrupts-qemu.yaml", 16)
SWEEP(a_killed_class_driver_is_cleaned_up_for_every_schedule, "kill-class-driver-qemu.yaml", 16)
SWEEP(a_host_system_error_resets_and_enumerates_again, "recover-hse-qemu.yaml", 16)
SWEEP(a_hung_command_is_aborted_and_the_ring_goes_on, "command-abort-qemu.yaml", 24)
SWEEP(an_unplug_mid_stream_gives_every_slice_back, "unplug-mid-stream-qemu.yaml", 16)
