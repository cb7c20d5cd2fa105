/*
 * The USB mass-storage scenarios (scenarios/suite/storage) under many
 * schedules: fio, usbscsid, xhcid, pcid and the kernel race for the CPUs
 * and rings in every order the random and pct policies find while the
 * Bulk-Only disk model takes its time; every run must pass all of the
 * scenario's expectations - data verified, each BOT case and fault
 * recovered from, power loss losing only what was never flushed.
 */
#include <criterion/criterion.h>

#include "tests/sim/run/scenario_sweep.h"

static const char *const policies[] = {"random", "pct:2", "pct:3", "fifo", NULL};

#define SWEEP(name, file, seeds)                                                           \
    Test(usbscsid_scenarios, name, .timeout = 600)                                        \
    {                                                                                      \
        scenario_sweep("scenarios/suite/storage/" file, policies, seeds);                  \
    }

SWEEP(both_units_come_up_and_go_at_unplug, "enumerate-qemu.yaml", 12)
SWEEP(random_writes_verify_on_a_usb2_stick, "randwrite-verify-hs.yaml", 8)
SWEEP(a_sequential_read_streams_at_superspeed, "seqread-ss.yaml", 8)
SWEEP(a_mixed_queue_of_32_verifies_on_an_ssd_bridge, "randrw-ssd-qd32.yaml", 3)
SWEEP(two_units_of_one_device_are_served_at_once, "multi-lun.yaml", 8)
SWEEP(a_media_error_fails_only_its_reads, "media-error.yaml", 8)
SWEEP(the_data_in_cases_4_to_8_are_recovered, "bot-cases-in.yaml", 8)
SWEEP(the_data_out_cases_9_to_13_are_recovered, "bot-cases-out.yaml", 8)
SWEEP(the_no_data_cases_1_to_3_are_recovered, "bot-cases-none.yaml", 8)
SWEEP(bad_and_missing_csws_end_in_reset_recovery, "csw-faults.yaml", 8)
SWEEP(a_stall_in_the_data_stage_is_recovered, "stall-data-stage.yaml", 8)
SWEEP(an_unplug_mid_write_ends_every_request, "unplug-mid-write.yaml", 12)
SWEEP(flushed_writes_survive_power_loss, "power-loss-flushed.yaml", 8)
SWEEP(unflushed_writes_read_back_old_never_garbage, "power-loss-unflushed.yaml", 8)
SWEEP(a_power_cut_mid_write_tears_nothing, "power-cut-mid-write.yaml", 4)
SWEEP(a_device_reset_mid_write_loses_nothing, "reset-mid-write.yaml", 8)
SWEEP(a_device_that_never_answers_is_given_up_cleanly, "given-up.yaml", 6)
SWEEP(an_image_file_is_the_medium_s_first_contents, "image-read.yaml", 8)
SWEEP(usbscsid_answers_the_disk_probe_as_the_contract_says, "probe-usbscsid.yaml", 8)

/* The same probe against the reference server: the two must not drift apart. */
Test(usbscsid_scenarios, the_ramdisk_answers_the_disk_probe_as_the_contract_says, .timeout = 600)
{
    scenario_sweep("scenarios/suite/disk/probe-ramdisk.yaml", policies, 8);
}
