/*
 * Litmus tests of the memory model (sim/machine/memview.h, storebuf.h) as a
 * spec table: for each classic shape and each combination of orders, whether
 * the weak outcome is reachable (some seed of SEEDS under `random` shows it)
 * or forbidden (no seed does). Each shape is a scenario whose assertion
 * fails exactly when the weak outcome happens.
 *
 * The expectations are C11's, except where the model is deliberately
 * stronger (sound: it never shows an outcome C11 forbids), marked "model":
 *   - LB with relaxed accesses: C11 allows r0 = r1 = 1; the model never
 *     produces a load satisfied by a later store (no promises). For plain
 *     data it reports the race instead (ring-slot rows).
 *   - 2+2W with release stores, IRIW with release stores and acquire
 *     loads: C11 allows them; in the model a release store drains earlier
 *     stores and carries every commit before it (a single timestamp order,
 *     as multi-copy atomic hardware like Arm has), so it does not.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/run/run.h"

#define SEEDS 400

/* The shapes below are this file's own constant formats, filled with
 * memory orders: gcc without optimisation cannot see through the const
 * pointers to check them, so its warning is off for this file. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

static const char *const head = "scenario: litmus\n"
                                "seed: 1\n"
                                "policy: random\n"
                                "machine:\n"
                                "  cpus: %d\n"
                                "  memory: 16MiB\n"
                                "  memory_model: relaxed\n"
                                "processes:\n";

/* MP: x = 1 (o1); [fence f1]; y = 1 (o2) || wait y == 1 (o3); [fence f2];
 * r1 = x (o4). Weak: r1 = 0. */
static const char *const mp = "  - name: t0\n    cpu: 0\n    program:\n"
                              "      - work: 100ns\n"
                              "      - store: {addr: 0x1000, value: 1, order: %s}\n"
                              "      - fence: %s\n"
                              "      - store: {addr: 0x1040, value: 1, order: %s}\n"
                              "  - name: t1\n    cpu: 1\n    program:\n"
                              "      - spin_until: {addr: 0x1040, equals: 1, order: %s, "
                              "max_tries: 100000}\n"
                              "      - fence: %s\n"
                              "      - load: {addr: 0x1000, order: %s, into: r1}\n"
                              "      - assert: {reg: r1, equals: 1, message: weak}\n";

/* SB: x = 1; [fence]; r0 = y || y = 1; [fence]; r1 = x. Weak: r0 = r1 = 0. */
static const char *const sb = "  - name: t0\n    cpu: 0\n    program:\n"
                              "      - store: {addr: 0x1000, value: 1, order: %s}\n"
                              "      - fence: %s\n"
                              "      - load: {addr: 0x1040, order: %s, into: r0}\n"
                              "      - store: {addr: 0x2000, value: r0, order: relaxed}\n"
                              "      - rmw: {op: add, addr: 0x3000, value: 1, order: acq_rel}\n"
                              "  - name: t1\n    cpu: 1\n    program:\n"
                              "      - store: {addr: 0x1040, value: 1, order: %s}\n"
                              "      - fence: %s\n"
                              "      - load: {addr: 0x1000, order: %s, into: r0}\n"
                              "      - store: {addr: 0x2040, value: r0, order: relaxed}\n"
                              "      - rmw: {op: add, addr: 0x3000, value: 1, order: acq_rel}\n"
                              "  - name: check\n    cpu: 2\n    program:\n"
                              "      - spin_until: {addr: 0x3000, equals: 2, order: acquire, "
                              "max_tries: 100000}\n"
                              "      - load: {addr: 0x2000, order: relaxed, into: r0}\n"
                              "      - load: {addr: 0x2040, order: relaxed, into: r1}\n"
                              "      - or: {reg: r0, value: r1}\n"
                              "      - assert: {reg: r0, not_equals: 0, message: weak}\n";

/* LB: r0 = x; y = 1 || r1 = y; x = 1. Weak: r0 = r1 = 1. */
static const char *const lb = "  - name: t0\n    cpu: 0\n    program:\n"
                              "      - load: {addr: 0x1000, order: %s, into: r0}\n"
                              "      - store: {addr: 0x1040, value: 1, order: %s}\n"
                              "      - store: {addr: 0x2000, value: r0, order: relaxed}\n"
                              "      - rmw: {op: add, addr: 0x3000, value: 1, order: acq_rel}\n"
                              "  - name: t1\n    cpu: 1\n    program:\n"
                              "      - load: {addr: 0x1040, order: %s, into: r0}\n"
                              "      - store: {addr: 0x1000, value: 1, order: %s}\n"
                              "      - store: {addr: 0x2040, value: r0, order: relaxed}\n"
                              "      - rmw: {op: add, addr: 0x3000, value: 1, order: acq_rel}\n"
                              "  - name: check\n    cpu: 2\n    program:\n"
                              "      - spin_until: {addr: 0x3000, equals: 2, order: acquire, "
                              "max_tries: 100000}\n"
                              "      - load: {addr: 0x2000, order: relaxed, into: r0}\n"
                              "      - load: {addr: 0x2040, order: relaxed, into: r1}\n"
                              "      - and: {reg: r0, value: r1}\n"
                              "      - assert: {reg: r0, equals: 0, message: weak}\n";

/* 2+2W: x = 1; y = 2 || y = 1; x = 2. Weak: finally x = 1 and y = 1. */
static const char *const w22 = "  - name: t0\n    cpu: 0\n    program:\n"
                               "      - store: {addr: 0x1000, value: 1, order: %s}\n"
                               "      - store: {addr: 0x1040, value: 2, order: %s}\n"
                               "      - work: 1us\n"
                               "      - rmw: {op: add, addr: 0x3000, value: 1, order: acq_rel}\n"
                               "  - name: t1\n    cpu: 1\n    program:\n"
                               "      - store: {addr: 0x1040, value: 1, order: %s}\n"
                               "      - store: {addr: 0x1000, value: 2, order: %s}\n"
                               "      - work: 1us\n"
                               "      - rmw: {op: add, addr: 0x3000, value: 1, order: acq_rel}\n"
                               "  - name: check\n    cpu: 2\n    program:\n"
                               "      - spin_until: {addr: 0x3000, equals: 2, order: acquire, "
                               "max_tries: 100000}\n"
                               "      - load: {addr: 0x1000, order: relaxed, into: r0}\n"
                               "      - load: {addr: 0x1040, order: relaxed, into: r1}\n"
                               "      - xor: {reg: r0, value: 2}\n"
                               "      - xor: {reg: r1, value: 2}\n"
                               "      - and: {reg: r0, value: r1}\n"
                               "      - assert: {reg: r0, equals: 0, message: weak}\n";

/* CoRR: x = 1; x = 2 || r0 = x; r1 = x. Weak: r0 = 2, r1 = 1. */
static const char *const corr = "  - name: t0\n    cpu: 0\n    program:\n"
                                "      - store: {addr: 0x1000, value: 1, order: %s}\n"
                                "      - store: {addr: 0x1000, value: 2, order: %s}\n"
                                "  - name: t1\n    cpu: 1\n    program:\n"
                                "      - spin_until: {addr: 0x1000, equals: 2, order: %s, "
                                "max_tries: 100000}\n"
                                "      - load: {addr: 0x1000, order: %s, into: r1}\n"
                                "      - assert: {reg: r1, equals: 2, message: weak}\n";

/* IRIW: x = 1 || y = 1 || a = x; b = y || c = y; d = x. Weak: a = c = 1,
 * b = d = 0. */
static const char *const iriw =
    "  - name: t0\n    cpu: 0\n    program:\n"
    "      - store: {addr: 0x1000, value: 1, order: %s}\n"
    "  - name: t1\n    cpu: 1\n    program:\n"
    "      - store: {addr: 0x1040, value: 1, order: %s}\n"
    "  - name: t2\n    cpu: 2\n    program:\n"
    "      - spin_until: {addr: 0x1000, equals: 1, order: %s, max_tries: 100000}\n"
    "      - load: {addr: 0x1040, order: %s, into: r0}\n"
    "      - store: {addr: 0x2000, value: r0, order: relaxed}\n"
    "      - rmw: {op: add, addr: 0x3000, value: 1, order: acq_rel}\n"
    "  - name: t3\n    cpu: 3\n    program:\n"
    "      - spin_until: {addr: 0x1040, equals: 1, order: %s, max_tries: 100000}\n"
    "      - load: {addr: 0x1000, order: %s, into: r0}\n"
    "      - store: {addr: 0x2040, value: r0, order: relaxed}\n"
    "      - rmw: {op: add, addr: 0x3000, value: 1, order: acq_rel}\n"
    "      - spin_until: {addr: 0x3000, equals: 2, order: acquire, max_tries: 100000}\n"
    "      - load: {addr: 0x2000, order: relaxed, into: r0}\n"
    "      - load: {addr: 0x2040, order: relaxed, into: r1}\n"
    "      - or: {reg: r0, value: r1}\n"
    "      - assert: {reg: r0, not_equals: 0, message: weak}\n";

/* Writes the scenario to a temporary file and loads it. */
static struct sim_scenario *litmus_load(int cpus, const char *body)
{
    char path[] = "/tmp/iosim-litmus-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    cr_assert_not_null(f);
    fprintf(f, head, cpus);
    fputs(body, f);
    fclose(f);
    struct sim_scenario *s = NULL;
    struct yml_error err;
    enum iosim_err e = sim_scenario_load(path, &s, &err);
    unlink(path);
    cr_assert_eq(e, IOSIM_OK, "%s\n%s", err.msg, body);
    return s;
}

/* The first seed in 1..SEEDS showing the weak outcome, 0 if none does. */
static uint64_t weak_seed(int cpus, const char *body)
{
    struct sim_scenario *s = litmus_load(cpus, body);
    static struct sim_run_result r;
    uint64_t found = 0;
    for (uint64_t seed = 1; seed <= SEEDS && found == 0; seed++) {
        struct sim_run_opts o = {.seed = seed, .seed_set = true, .policy = "random"};
        cr_assert_eq(sim_run(s, &o, &r), IOSIM_OK, "%s", r.message);
        if (!r.passed) {
            cr_assert(strstr(r.failures[0], "weak") != NULL, "%s", r.failures[0]);
            found = seed;
        }
    }
    sim_scenario_free(s);
    return found;
}

static void expect_row(bool reachable, int cpus, const char *body)
{
    uint64_t seed = weak_seed(cpus, body);
    if (reachable)
        cr_expect_neq(seed, 0, "weak outcome never seen in %d seeds:\n%s", SEEDS, body);
    else
        cr_expect_eq(seed, 0, "forbidden weak outcome at seed %llu:\n%s",
                     (unsigned long long)seed, body);
}

#define ROW(shape, cpus, reachable, ...)                                             \
    do {                                                                             \
        char body[4096];                                                             \
        snprintf(body, sizeof body, shape, __VA_ARGS__);                             \
        expect_row(reachable, cpus, body);                                           \
    } while (0)

/* MP: store x; [fence]; store y (o2) || load y (o3); [fence]; load x */
Test(litmus, mp_weak_when_all_relaxed)
{
    ROW(mp, 2, true, "relaxed", "relaxed", "relaxed", "relaxed", "relaxed", "relaxed");
}
Test(litmus, mp_weak_when_acquire_missing) /* load->load */
{
    ROW(mp, 2, true, "relaxed", "relaxed", "release", "relaxed", "relaxed", "relaxed");
}
Test(litmus, mp_weak_when_release_missing) /* store->store */
{
    ROW(mp, 2, true, "relaxed", "relaxed", "relaxed", "acquire", "relaxed", "relaxed");
}
Test(litmus, mp_forbidden_when_release_acquire)
{
    ROW(mp, 2, false, "relaxed", "relaxed", "release", "acquire", "relaxed", "relaxed");
}
Test(litmus, mp_forbidden_when_seq_cst)
{
    ROW(mp, 2, false, "seq_cst", "relaxed", "seq_cst", "seq_cst", "relaxed", "seq_cst");
}
Test(litmus, mp_forbidden_when_fences_release_acquire)
{
    ROW(mp, 2, false, "relaxed", "release", "relaxed", "relaxed", "acquire", "relaxed");
}
Test(litmus, mp_weak_when_acquire_fence_missing)
{
    ROW(mp, 2, true, "relaxed", "release", "relaxed", "relaxed", "relaxed", "relaxed");
}

/* SB: store x (o1); fence; load y (o2) on both sides */
Test(litmus, sb_weak_when_relaxed) /* store->load */
{
    ROW(sb, 3, true, "relaxed", "relaxed", "relaxed", "relaxed", "relaxed", "relaxed");
}
Test(litmus, sb_weak_when_release_acquire)
{
    ROW(sb, 3, true, "release", "relaxed", "acquire", "release", "relaxed", "acquire");
}
Test(litmus, sb_forbidden_when_seq_cst)
{
    ROW(sb, 3, false, "seq_cst", "relaxed", "seq_cst", "seq_cst", "relaxed", "seq_cst");
}
Test(litmus, sb_forbidden_when_seq_cst_fences)
{
    ROW(sb, 3, false, "relaxed", "seq_cst", "relaxed", "relaxed", "seq_cst", "relaxed");
}

/* LB: load x (o1); store y (o2) on both sides */
Test(litmus, lb_not_produced_when_relaxed) /* model: C11 allows it */
{
    ROW(lb, 3, false, "relaxed", "relaxed", "relaxed", "relaxed");
}
Test(litmus, lb_forbidden_when_acquire_release)
{
    ROW(lb, 3, false, "acquire", "release", "acquire", "release");
}

/* 2+2W: store x (o1); store y (o2) || store y (o1); store x (o2) */
Test(litmus, two_plus_two_w_weak_when_relaxed) /* store->store */
{
    ROW(w22, 3, true, "relaxed", "relaxed", "relaxed", "relaxed");
}
Test(litmus, two_plus_two_w_not_produced_when_release) /* model: C11 allows it */
{
    ROW(w22, 3, false, "relaxed", "release", "relaxed", "release");
}
Test(litmus, two_plus_two_w_forbidden_when_seq_cst)
{
    ROW(w22, 3, false, "seq_cst", "seq_cst", "seq_cst", "seq_cst");
}

/* CoRR: store x = 1; store x = 2 || wait x == 2; load x */
Test(litmus, corr_forbidden_when_relaxed)
{
    ROW(corr, 2, false, "relaxed", "relaxed", "relaxed", "relaxed");
}

/* IRIW: two writers, two readers in opposite orders */
Test(litmus, iriw_weak_when_relaxed)
{
    ROW(iriw, 4, true, "relaxed", "relaxed", "relaxed", "relaxed", "relaxed", "relaxed");
}
Test(litmus, iriw_weak_when_acquire_reads_relaxed_writes)
{
    ROW(iriw, 4, true, "relaxed", "relaxed", "acquire", "acquire", "acquire", "acquire");
}
Test(litmus, iriw_not_produced_when_release_acquire) /* model: C11 allows it */
{
    ROW(iriw, 4, false, "release", "release", "acquire", "acquire", "acquire", "acquire");
}
Test(litmus, iriw_forbidden_when_seq_cst)
{
    ROW(iriw, 4, false, "seq_cst", "seq_cst", "seq_cst", "seq_cst", "seq_cst", "seq_cst");
}
