# The module rules of DESIGN.md (tests/scripts/check_layering.sh) and the rule
# that nothing build-dependent touches the simulated machine
# (tests/scripts/check_build_only.sh), each with a fixture of planted
# violations proving the check reports exactly them.
add_test(NAME rules.layering
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/check_layering.sh ${CMAKE_SOURCE_DIR})
add_test(NAME rules.layering_catches_violations
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/expect_violations.sh
                 ${CMAKE_SOURCE_DIR}/tests/scripts/check_layering.sh
                 ${CMAKE_SOURCE_DIR}/tests/fixtures/layering-bad)
add_test(NAME rules.build_only
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/check_build_only.sh ${CMAKE_SOURCE_DIR})
add_test(NAME rules.build_only_catches_violations
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/expect_violations.sh
                 ${CMAKE_SOURCE_DIR}/tests/scripts/check_build_only.sh
                 ${CMAKE_SOURCE_DIR}/tests/fixtures/build-only-bad)
