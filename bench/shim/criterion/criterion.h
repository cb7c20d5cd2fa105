/*
 * A stand-in for <criterion/criterion.h> for benchmarks that run test-side
 * code (tests/models/xhci/xt_driver.h drives the xHCI model in
 * bench_xhci.c): the assertion macros that code uses, where a failed
 * assertion ends the benchmark with the place and the condition. The bench
 * build puts this folder first on the include path of those benchmarks
 * only (bench/xhci.cmake); Criterion itself is not needed to run
 * `make bench`.
 */
#ifndef IOSIM_BENCH_SHIM_CRITERION_H
#define IOSIM_BENCH_SHIM_CRITERION_H

#include <stdio.h>
#include <stdlib.h>

/* The message arguments a test gives are taken (so they count as used)
 * and not printed: the failing condition and its place say enough. */
static inline void bench_cr_fail(const char *file, int line, const char *what, ...)
{
    fprintf(stderr, "%s:%d: benchmark assertion failed: %s\n", file, line, what);
    exit(1);
}

/* Each macro appends a 0 so that a call without a message still gives the
 * variadic part an argument (ISO C). */
#define BENCH_CR_(c, ...) ((c) ? (void)0 : bench_cr_fail(__FILE__, __LINE__, #c, __VA_ARGS__))
#define BENCH_CR2_(op, a, b, ...) BENCH_CR_((a)op(b), __VA_ARGS__)
#define cr_assert(...) BENCH_CR_(__VA_ARGS__, 0)
#define cr_assert_fail(...) bench_cr_fail(__FILE__, __LINE__, "cr_assert_fail", __VA_ARGS__)
#define cr_assert_eq(...) BENCH_CR2_(==, __VA_ARGS__, 0)
#define cr_assert_neq(...) BENCH_CR2_(!=, __VA_ARGS__, 0)
#define cr_assert_lt(...) BENCH_CR2_(<, __VA_ARGS__, 0)
#define cr_assert_leq(...) BENCH_CR2_(<=, __VA_ARGS__, 0)
#define cr_assert_gt(...) BENCH_CR2_(>, __VA_ARGS__, 0)
#define cr_assert_geq(...) BENCH_CR2_(>=, __VA_ARGS__, 0)
#define cr_assert_null(...) BENCH_CR2_(==, NULL, __VA_ARGS__, 0)
#define cr_assert_not_null(...) BENCH_CR2_(!=, NULL, __VA_ARGS__, 0)

#endif /* IOSIM_BENCH_SHIM_CRITERION_H */
