# Scenario suites run through the CLI, exactly as CI users run them.
add_test(NAME scenarios.suite
         COMMAND $<TARGET_FILE:iosim> suite ${CMAKE_SOURCE_DIR}/scenarios/suite -j 2
                 --junit ${CMAKE_BINARY_DIR}/scenarios-suite.junit.xml
                 --trace ${CMAKE_BINARY_DIR}/scenarios-suite.db)

# The fault swarm over suite scenarios that declare faults (fuzz.faults):
# twenty fixed seeds each, every run with the fault set its seed draws; all
# must pass (docs/campaigns.md, "Fault swarms"). About 12 s on two cores.
set(SWARM_SCENARIOS rings/echo-clients-killed xhcid/zero-stream-qemu xhcid/lost-interrupts-qemu
    xhcid/recover-stall-xact-qemu storage/stall-data-stage storage/csw-faults storage/seqread-ss)
list(TRANSFORM SWARM_SCENARIOS PREPEND ${CMAKE_SOURCE_DIR}/scenarios/suite/)
list(TRANSFORM SWARM_SCENARIOS APPEND .yaml)
add_test(NAME scenarios.swarm
         COMMAND $<TARGET_FILE:iosim> fuzz ${SWARM_SCENARIOS} --faults swarm --runs 140 -j 2 --seed 1)
set_tests_properties(scenarios.swarm PROPERTIES TIMEOUT 300)

# Seeds that once failed, run as CI users repro them (each names its cause).
# storage/multi-lun seed 45 and 162 under random: usbscsid slept through a
# ring offer and a request because the kernel's NOTIFY_PEER wake moved the
# scheme ring's push epoch beside the kernel's pusher, whose next push put
# an old value back (kern_uring.c, wake_server).
foreach(seed 45 162)
  add_test(NAME scenarios.regress.multi_lun_random_${seed}
           COMMAND $<TARGET_FILE:iosim> run ${CMAKE_SOURCE_DIR}/scenarios/suite/storage/multi-lun.yaml
                   --seed ${seed} --policy random)
endforeach()
