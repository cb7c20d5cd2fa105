/* The assertion bracket of the simulator; see sim/engine/check.h and impl/port/check.h. */
#include "sim/engine/check.h"

#include <stdio.h>
#include <stdlib.h>

_Thread_local uint32_t sim_check_depth;

/* The outermost assertion being evaluated, for the message. */
static _Thread_local const char *g_check_file;
static _Thread_local uint32_t g_check_line;

void port_check_begin(const char *file, uint32_t line)
{
    if (sim_check_depth++ == 0) {
        g_check_file = file;
        g_check_line = line;
    }
}

void port_check_end(void)
{
    if (sim_check_depth == 0)
        sim_check_violation("port_check_end without port_check_begin", 1);
    sim_check_depth--;
}

_Noreturn void port_check_fail(const char *cond, const char *file, uint32_t line,
                               const char *func)
{
    fprintf(stderr, "%s:%u: %s: Assertion `%s' failed.\n", file, line, func, cond);
    fflush(stderr);
    abort();
}

_Noreturn void sim_check_violation(const char *what, int inside)
{
    if (inside)
        fprintf(stderr, "iosim: %s outside an assertion: it is for ASSERT() only "
                        "(impl/port/check.h)\n", what);
    else
        fprintf(stderr, "%s:%u: the assertion here touches the simulated machine (%s), so "
                        "the trace hash would depend on the build type (impl/port/check.h)\n",
                g_check_file, g_check_line, what);
    fflush(stderr);
    abort();
}
