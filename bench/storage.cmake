# bench_storage: fio over disk: through usbscsid, xhcid and the models, with
# full tracing (scenarios/bench/storage-*.yaml). The shim folder stands in
# for <criterion/criterion.h>, so the bench build does not need Criterion.
add_executable(bench_storage ${CMAKE_CURRENT_LIST_DIR}/bench_storage.c)
target_include_directories(bench_storage BEFORE PRIVATE ${CMAKE_CURRENT_LIST_DIR}/shim)
target_link_libraries(bench_storage PRIVATE iosim_sim)
target_compile_definitions(bench_storage PRIVATE IOSIM_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
iosim_warnings(bench_storage)
set(IOSIM_BENCH_TARGETS ${IOSIM_BENCH_TARGETS} bench_storage CACHE INTERNAL "")
