# bench_hold: the hold model on sim/evq, a plain C binary heap and, when
# ns-3 is installed (pkg-config ns3-core) and a C++ compiler exists, every
# ns-3 scheduler. C++ and ns-3 are looked for here only.
add_executable(bench_hold ${CMAKE_CURRENT_LIST_DIR}/bench_hold.c)
target_link_libraries(bench_hold PRIVATE iosim_sim)
iosim_warnings(bench_hold)

set(IOSIM_HOLD_NS3 0)
include(CheckLanguage)
check_language(CXX)
if(CMAKE_CXX_COMPILER)
  pkg_check_modules(NS3 QUIET ns3-core)
  if(NS3_FOUND)
    set(IOSIM_HOLD_NS3 1)
  endif()
endif()

if(IOSIM_HOLD_NS3)
  enable_language(CXX)
  target_sources(bench_hold PRIVATE ${CMAKE_CURRENT_LIST_DIR}/hold_ns3.cc)
  # ns3-core.pc (Debian 3.37) carries a stray "-I/usr;" in its Cflags, so
  # only its include directories that exist are used, as system headers.
  set(_hold_ns3_includes "")
  foreach(dir IN LISTS NS3_INCLUDE_DIRS)
    string(REGEX REPLACE "[;\\\\]+$" "" dir "${dir}")
    if(IS_DIRECTORY "${dir}/ns3")
      list(APPEND _hold_ns3_includes "${dir}")
    endif()
  endforeach()
  target_include_directories(bench_hold SYSTEM PRIVATE ${_hold_ns3_includes})
  target_link_directories(bench_hold PRIVATE ${NS3_LIBRARY_DIRS})
  target_link_libraries(bench_hold PRIVATE ${NS3_LINK_LIBRARIES})
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/hold_ns3.cc PROPERTIES
    COMPILE_OPTIONS "-Wall;-Wextra;$<$<BOOL:${IOSIM_WERROR}>:-Werror>")
  set_target_properties(bench_hold PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON)
else()
  message(STATUS "bench_hold: ns-3 comparison skipped (no C++ compiler or no ns3-core)")
endif()
target_compile_definitions(bench_hold PRIVATE IOSIM_HOLD_NS3=${IOSIM_HOLD_NS3})

set(IOSIM_BENCH_TARGETS ${IOSIM_BENCH_TARGETS} bench_hold CACHE INTERNAL "")
