# How many schedules a fuzz campaign tries and how soon it finds the planted
# bugs (bench/bench_fuzz.c).
add_executable(bench_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/bench_fuzz.c)
target_link_libraries(bench_fuzz PRIVATE iosim_sim iosim_cli)
target_compile_definitions(bench_fuzz PRIVATE IOSIM_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
iosim_warnings(bench_fuzz)
set(IOSIM_BENCH_TARGETS ${IOSIM_BENCH_TARGETS} bench_fuzz CACHE INTERNAL "")
