# bench_trace: rows/s through the trace store against a bare SQLite insert loop.
add_executable(bench_trace ${CMAKE_CURRENT_LIST_DIR}/bench_trace.c)
target_link_libraries(bench_trace PRIVATE iosim_sim)
iosim_warnings(bench_trace)
set(IOSIM_BENCH_TARGETS ${IOSIM_BENCH_TARGETS} bench_trace CACHE INTERNAL "")
