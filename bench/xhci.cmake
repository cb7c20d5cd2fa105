# bench_xhci: the xHCI model streaming gadget zero's bulk IN, driven by the
# test-side driver (tests/models/xhci/xt_driver.h) with full tracing. The
# shim folder stands in for <criterion/criterion.h> (its assertions end the
# benchmark), so the bench build does not need Criterion.
add_executable(bench_xhci ${CMAKE_CURRENT_LIST_DIR}/bench_xhci.c)
target_include_directories(bench_xhci BEFORE PRIVATE ${CMAKE_CURRENT_LIST_DIR}/shim)
target_link_libraries(bench_xhci PRIVATE iosim_sim)
target_compile_definitions(bench_xhci PRIVATE IOSIM_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
iosim_warnings(bench_xhci)
set(IOSIM_BENCH_TARGETS ${IOSIM_BENCH_TARGETS} bench_xhci CACHE INTERNAL "")
