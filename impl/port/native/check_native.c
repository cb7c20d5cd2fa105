/* The native port's assertion failure (impl/port/check.h): the C library's
 * message, then abort. The bracket around conditions is empty natively. */
#include <stdio.h>
#include <stdlib.h>

#include "impl/port/check.h"

_Noreturn void port_check_fail(const char *cond, const char *file, uint32_t line,
                               const char *func)
{
    fprintf(stderr, "%s:%u: %s: Assertion `%s' failed.\n", file, line, func, cond);
    fflush(stderr);
    abort();
}
