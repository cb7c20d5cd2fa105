/* impl/port/check.h natively: ASSERT is assert with another name (the
 * bracket is empty), and port_peek_* read a word. */
#include <criterion/criterion.h>
#include <signal.h>

#include "impl/port/port.h"

static int evaluated;

static bool count_and_return(bool v)
{
    evaluated++;
    return v;
}

Test(check_native, a_true_condition_is_evaluated_once_and_passes)
{
    evaluated = 0;
    ASSERT(count_and_return(true));
#ifdef NDEBUG
    cr_expect_eq(evaluated, 0);
#else
    cr_expect_eq(evaluated, 1);
#endif
}

Test(check_native, a_false_condition_aborts, .signal = SIGABRT)
{
#ifdef NDEBUG
    cr_skip_test("built with NDEBUG");
#endif
    ASSERT(count_and_return(false));
}

Test(check_native, peek_reads_the_word)
{
    port_atomic_u32 w32;
    port_atomic_u64 w64;
    port_store_u32(&w32, 0xdeadbeef, PORT_RELAXED);
    port_store_u64(&w64, 0x0123456789abcdefull, PORT_RELAXED);
    cr_expect_eq(port_peek_u32(&w32), 0xdeadbeef);
    cr_expect_eq(port_peek_u64(&w64), 0x0123456789abcdefull);
}
