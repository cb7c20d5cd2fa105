# Warning set shared by every target; -Werror when IOSIM_WERROR (CI default).
set(IOSIM_WARNING_FLAGS
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wformat=2 -Wundef -Wvla -Wwrite-strings -Wpointer-arith -Wcast-align
  -Wimplicit-fallthrough -Wold-style-definition -Wmissing-declarations
  -Wnull-dereference -Wdouble-promotion -Wswitch-enum)
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
  list(APPEND IOSIM_WARNING_FLAGS -Wlogical-op -Wduplicated-cond -Wjump-misses-init)
endif()

function(iosim_warnings target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:C>:${IOSIM_WARNING_FLAGS}>)
  if(IOSIM_WERROR)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:C>:-Werror>)
  endif()
endfunction()
