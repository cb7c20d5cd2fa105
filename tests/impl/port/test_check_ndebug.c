/* impl/port/check.h under NDEBUG (as Release builds compile it): the
 * condition is compiled but never evaluated, so nothing it would do can
 * happen in one build type and not in another. */
#define NDEBUG 1
#include <criterion/criterion.h>

#include "impl/port/check.h"

static int evaluated;

static int side_effect(void)
{
    return ++evaluated;
}

Test(check_ndebug, the_condition_is_not_evaluated)
{
    ASSERT(side_effect() == 0);
    ASSERT(false);
    cr_expect_eq(evaluated, 0);
    cr_expect_eq(side_effect(), 1); /* the same call outside ASSERT does run */
}
