# The trace hash is a function of the scenario, seed and policy alone: the
# same in separate processes and in every build type and compiler
# (tests/scripts/hash_builds.sh; `make test` passes the other builds in
# IOSIM_HASH_BUILDS). The in-process 100-repeat check is
# tests/sim/run/test_determinism.c.
add_test(NAME determinism.every_build
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/hash_builds.sh $<TARGET_FILE:iosim>
                 ${CMAKE_SOURCE_DIR}/scenarios)
string(TOLOWER "${CMAKE_C_COMPILER_ID}" iosim_cc)
string(REPLACE "gnu" "gcc" iosim_cc "${iosim_cc}")
set_tests_properties(determinism.every_build PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 1800
                     ENVIRONMENT "IOSIM_HASH_REF_NAME=${iosim_cc}-${CMAKE_BUILD_TYPE}")

# Every scenario's hash at seeds 1 and 7, under its own policy and random, as
# recorded in tests/fixtures/hashes/scenarios.txt: a refactoring leaves them
# alone; a behaviour change rewrites them on purpose with `make hashes`.
add_test(NAME determinism.recorded_hashes
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/hash_record.sh $<TARGET_FILE:iosim>
                 ${CMAKE_SOURCE_DIR}/scenarios ${CMAKE_SOURCE_DIR}/tests/fixtures/hashes/scenarios.txt)
