# Context-switch cost of sim/coro (hand-written switch vs ucontext).
add_executable(bench_ctxswitch ${CMAKE_CURRENT_LIST_DIR}/bench_ctxswitch.c)
target_link_libraries(bench_ctxswitch PRIVATE iosim_sim)
iosim_warnings(bench_ctxswitch)
set(IOSIM_BENCH_TARGETS ${IOSIM_BENCH_TARGETS} bench_ctxswitch CACHE INTERNAL "")
