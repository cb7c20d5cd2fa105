# Seeded ring bugs (never shipped): impl/ring/ring.c compiled with
# RING_SEEDED_BUG=1 (tail published RELAXED) and =2 (wrong full test), its
# objects linked ahead of the correct ring so they replace it in a test that
# must catch the bug. See docs/architecture.md, "Seeded ring bugs".
foreach(bug 1 2)
  add_library(iosim_ring_seeded_bug${bug} OBJECT ${CMAKE_SOURCE_DIR}/impl/ring/ring.c)
  target_compile_definitions(iosim_ring_seeded_bug${bug} PRIVATE RING_SEEDED_BUG=${bug} PORT_SIM=1)
  add_executable(seeded_ring_bug${bug} ${CMAKE_CURRENT_SOURCE_DIR}/seeded/ring_seeded_bug.c
                 $<TARGET_OBJECTS:iosim_ring_seeded_bug${bug}>)
  target_link_libraries(seeded_ring_bug${bug} PRIVATE iosim_sim PkgConfig::CRITERION)
  iosim_warnings(seeded_ring_bug${bug})
  add_test(NAME seeded.ring_bug${bug} COMMAND seeded_ring_bug${bug} --jobs 2 --short-filename)
endforeach()
