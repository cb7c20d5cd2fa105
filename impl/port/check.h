/*
 * check.h - assertions that cannot change a simulation.
 *
 * Every assertion in impl/, sim/ and models/ is ASSERT(cond), never the C
 * library's assert(). Assertions vanish under NDEBUG, so anything one does to
 * the simulated machine - a port call (a yield point with a cost), a trace
 * row, a draw from a seeded stream, an event, a register access - would make
 * the schedule, and with it the trace hash, depend on how iosim was built.
 * docs/architecture.md ("the same hash in every build") states the rule.
 *
 * ASSERT enforces it where it matters, in the builds that run assertions: in
 * the simulator it brackets the condition with port_check_begin/end, and
 * every place that touches the simulated machine refuses to run inside the
 * bracket (it aborts naming the assertion; sim/engine/check.h). Natively the bracket
 * is empty and ASSERT is the C library's assert with a different name.
 *
 * An assertion that must look at shared memory reads it with port_peek_u32 /
 * port_peek_u64: no yield point, no cost, the calling CPU's own view (its
 * store buffer included), and only inside an assertion.
 *
 *     ASSERT(port_peek_u32(&k->lock) == 1);   // not port_load_u32(...)
 *
 * Debug-only checking code is a checker function called from ASSERT (as
 * SQLite's `assert(sqlite3BtreeCheck(...))`), never an `#ifndef NDEBUG`
 * block, so that the bracket covers it too. tests/scripts/check_build_only.sh
 * keeps assert(), NDEBUG blocks and port calls inside ASSERT out of the tree.
 *
 * Under NDEBUG the condition is not evaluated, but it is still compiled (as
 * the dead right-hand side of `0 &&`), so a Release build type-checks every
 * assertion, and a static checker function called only from assertions
 * counts as used (clang's -Wunneeded-internal-declaration would flag one
 * referenced only inside sizeof); the optimizer drops the dead code.
 *
 * Thread safety: the bracket is per host thread.
 */
#ifndef IOSIM_PORT_CHECK_H
#define IOSIM_PORT_CHECK_H

#include <stdint.h>

#if defined(PORT_NATIVE)
static inline void port_check_begin(const char *file, uint32_t line)
{
    (void)file, (void)line;
}
static inline void port_check_end(void) {}
#elif defined(PORT_SIM)
/* The bracket around an assertion's condition (sim/engine/check.c). */
void port_check_begin(const char *file, uint32_t line);
void port_check_end(void);
#else
#error "define PORT_NATIVE or PORT_SIM"
#endif

/* Reports the failed assertion on stderr and aborts. */
_Noreturn void port_check_fail(const char *cond, const char *file, uint32_t line,
                               const char *func);

#ifdef NDEBUG
#define ASSERT(cond) ((void)(0 && (cond)))
#else
#define ASSERT(cond)                                                                 \
    ((void)(port_check_begin(__FILE__, __LINE__),                                    \
            (cond) ? port_check_end() : port_check_fail(#cond, __FILE__, __LINE__, __func__)))
#endif

#endif /* IOSIM_PORT_CHECK_H */
