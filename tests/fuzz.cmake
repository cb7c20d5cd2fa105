# The default fuzz budget (docs/campaigns.md): the boundary scenarios, rings
# and completion queues driven exactly to full and held there while
# completions, shutdowns and kills arrive, under every policy. `mix` gives
# random, pct:2 and pct:3 by seed; fifo runs each scenario once. Takes about
# 10 s on the 2-core CI machine; must stay under a minute.
file(GLOB FUZZ_BOUNDARY_SCENARIOS CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/scenarios/suite/rings/full-*.yaml)
list(LENGTH FUZZ_BOUNDARY_SCENARIOS FUZZ_BOUNDARY_COUNT)
add_test(NAME fuzz.boundaries
         COMMAND $<TARGET_FILE:iosim> fuzz ${FUZZ_BOUNDARY_SCENARIOS} --runs 3200 --policy mix -j 2)
add_test(NAME fuzz.boundaries_fifo
         COMMAND $<TARGET_FILE:iosim> fuzz ${FUZZ_BOUNDARY_SCENARIOS} --runs ${FUZZ_BOUNDARY_COUNT}
                 --policy fifo -j 2)
set_tests_properties(fuzz.boundaries fuzz.boundaries_fifo PROPERTIES LABELS "fuzz" TIMEOUT 120)

# The capture importers under libFuzzer (tests/libfuzzer, issue 15): a short
# run of each target, 10 s, from the committed seeds, after their regression
# inputs; `make fuzz` runs them long. The fuzz build carries its own ASan and
# UBSan, so the sanitizer build does not run it again.
if(NOT IOSIM_SANITIZE)
  add_test(NAME fuzz.libfuzzer
           COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/libfuzzer.sh ${CMAKE_SOURCE_DIR}
                   ${CMAKE_BINARY_DIR}/libfuzzer 10)
  set_tests_properties(fuzz.libfuzzer PROPERTIES LABELS "fuzz" TIMEOUT 400)
endif()
