# Simulator throughput and the cost of full tracing (bench/bench_sim.c).
add_executable(bench_sim ${CMAKE_CURRENT_SOURCE_DIR}/bench_sim.c)
target_link_libraries(bench_sim PRIVATE iosim_sim)
target_compile_definitions(bench_sim PRIVATE IOSIM_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
iosim_warnings(bench_sim)
set(IOSIM_BENCH_TARGETS ${IOSIM_BENCH_TARGETS} bench_sim CACHE INTERNAL "")
