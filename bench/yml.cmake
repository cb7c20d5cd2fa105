# Scenario-file loading speed of sim/yml (tree building, typed getters).
add_executable(bench_yml ${CMAKE_CURRENT_LIST_DIR}/bench_yml.c)
target_link_libraries(bench_yml PRIVATE iosim_sim)
iosim_warnings(bench_yml)
set(IOSIM_BENCH_TARGETS ${IOSIM_BENCH_TARGETS} bench_yml CACHE INTERNAL "")
