# bench_bufpool: impl/bufpool beside glibc (__libc_memalign) and jemalloc
# (Debian's libjemalloc, linked statically so that it replaces malloc in
# this binary only). Without libjemalloc the benchmark is not built.
find_library(JEMALLOC_STATIC NAMES libjemalloc.a)
if(JEMALLOC_STATIC)
  add_executable(bench_bufpool ${CMAKE_CURRENT_LIST_DIR}/bench_bufpool.c)
  target_link_libraries(bench_bufpool PRIVATE iosim_impl_native ${JEMALLOC_STATIC} Threads::Threads
                        ${CMAKE_DL_LIBS} m)
  iosim_warnings(bench_bufpool)
  set(IOSIM_BENCH_TARGETS ${IOSIM_BENCH_TARGETS} bench_bufpool CACHE INTERNAL "")
else()
  message(WARNING "bench_bufpool: libjemalloc.a not found (Debian libjemalloc-dev); not built")
endif()
