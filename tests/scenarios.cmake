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
