# The module rules of DESIGN.md (see tests/scripts/check_layering.sh), and a
# planted violation proving the check can fail.
add_test(NAME rules.layering
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/check_layering.sh ${CMAKE_SOURCE_DIR})
add_test(NAME rules.layering_catches_violations
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/check_layering.sh
                 ${CMAKE_SOURCE_DIR}/tests/fixtures/layering-bad)
set_tests_properties(rules.layering_catches_violations PROPERTIES WILL_FAIL TRUE)
