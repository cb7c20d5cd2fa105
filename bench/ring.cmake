# impl/ring benchmarks (bench/bench_ring.c native, bench/bench_ring_sim.c
# under the simulator), with Linux io_uring NOP (liburing) and a mutex queue
# beside it when liburing is installed.
add_executable(bench_ring ${CMAKE_CURRENT_SOURCE_DIR}/bench_ring.c)
target_link_libraries(bench_ring PRIVATE iosim_impl_native)
pkg_check_modules(URING IMPORTED_TARGET liburing)
if(URING_FOUND)
  target_link_libraries(bench_ring PRIVATE PkgConfig::URING)
  target_compile_definitions(bench_ring PRIVATE IOSIM_HAVE_LIBURING=1)
endif()
iosim_warnings(bench_ring)

add_executable(bench_ring_sim ${CMAKE_CURRENT_SOURCE_DIR}/bench_ring_sim.c)
target_link_libraries(bench_ring_sim PRIVATE iosim_sim)
iosim_warnings(bench_ring_sim)
set(IOSIM_BENCH_TARGETS ${IOSIM_BENCH_TARGETS} bench_ring bench_ring_sim CACHE INTERNAL "")
