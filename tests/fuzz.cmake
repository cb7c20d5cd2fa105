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
