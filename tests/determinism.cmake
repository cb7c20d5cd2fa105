# Trace hashes agree across processes and across gcc/clang builds (the
# in-process 100-repeat check is tests/sim/test_determinism.c).
add_test(NAME determinism.cross_process_and_compiler
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/hash_compare.sh $<TARGET_FILE:iosim>
                 ${CMAKE_SOURCE_DIR}/scenarios/suite)
set_tests_properties(determinism.cross_process_and_compiler PROPERTIES SKIP_RETURN_CODE 77)
