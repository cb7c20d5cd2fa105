/*
 * Determinism: every scenario of the default suite, run 100 times (20 in the
 * sanitizer build) with its
 * seed (and once more under random and pct:3 with other seeds), gives the
 * same trace hash, end time and counters every time. Across processes and
 * compilers the same is checked by tests/determinism.cmake.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/run/run.h"

/* The sanitizer build runs a fifth of the repeats: it is there to find
 * memory errors, at about ten times the cost of a run; the full count runs
 * in every other build. */
#ifdef IOSIM_ASAN
#define REPEATS 20
#else
#define REPEATS 100
#endif
/* Whole-stack folders (a USB disk, or a disk: server, under fio: 10^4..10^5
 * trace rows a run)
 * repeat a tenth as often: their schedules are swept by their own tests
 * (tests/drivers) and their hashes recorded across builds. */
#define REPEATS_HEAVY (REPEATS / 10)

/* A scenario's path: the folder (under 400 bytes) and a file name (at most 255). */
#define SCENARIO_PATH_CAP 700

static size_t list_dir(const char *sub, char paths[][SCENARIO_PATH_CAP], size_t max)
{
    char dir[400];
    snprintf(dir, sizeof dir, "%s/scenarios/suite/%s", IOSIM_SOURCE_DIR, sub);
    DIR *h = opendir(dir);
    cr_assert_not_null(h, "%s", dir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(h)) != NULL && n < max) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0)
            snprintf(paths[n++], SCENARIO_PATH_CAP, "%s/%s", dir, e->d_name);
    }
    closedir(h);
    return n;
}

static void repeat_same(struct sim_scenario *s, const char *policy, uint64_t seed, bool seed_set,
                        int repeats)
{
    static struct sim_run_result first, r;
    struct sim_run_opts o = {.seed = seed, .seed_set = seed_set, .policy = policy};
    cr_assert_eq(sim_run(s, &o, &first), IOSIM_OK, "%s: %s", s->file, first.message);
    for (int i = 1; i < repeats; i++) {
        cr_assert_eq(sim_run(s, &o, &r), IOSIM_OK);
        cr_assert_eq(r.trace_hash, first.trace_hash, "%s run %d: hash %016llx != %016llx",
                     s->file, i, (unsigned long long)r.trace_hash,
                     (unsigned long long)first.trace_hash);
        cr_assert_eq(r.end_ps, first.end_ps);
        cr_assert_eq(r.passed, first.passed);
        cr_assert_eq(memcmp(&r.counters, &first.counters, sizeof r.counters), 0);
    }
}

/* Each folder of the suite is its own test, so they run in parallel and a
 * slow machine meets each timeout separately. */
static void repeat_dir(const char *sub, int repeats)
{
    static char paths[32][SCENARIO_PATH_CAP];
    size_t n = list_dir(sub, paths, 32);
    cr_assert_gt(n, 0, "no scenarios in %s", sub);
    for (size_t i = 0; i < n; i++) {
        struct sim_scenario *s;
        struct yml_error err;
        cr_assert_eq(sim_scenario_load(paths[i], &s, &err), IOSIM_OK, "%s", err.msg);
        repeat_same(s, NULL, 0, false, repeats);
        repeat_same(s, "random", 12345, true, repeats);
        repeat_same(s, "pct:3", 777, true, repeats);
        sim_scenario_free(s);
    }
}

#define REPEAT_DIR_TEST_N(test, dir, repeats)                                         \
    Test(determinism, every_scenario_repeats_bit_for_bit_##test, .timeout = 900)     \
    {                                                                                 \
        repeat_dir(dir, repeats);                                                     \
    }
#define REPEAT_DIR_TEST(test, dir) REPEAT_DIR_TEST_N(test, dir, REPEATS)

REPEAT_DIR_TEST(engine, "engine")
REPEAT_DIR_TEST(devices, "devices")
REPEAT_DIR_TEST(rings, "rings")
REPEAT_DIR_TEST(bufpool, "bufpool")
REPEAT_DIR_TEST(pci, "pci")
REPEAT_DIR_TEST(pcid, "pcid")
REPEAT_DIR_TEST(pcid_dumps, "pcid-dumps")
REPEAT_DIR_TEST(expect, "expect")
REPEAT_DIR_TEST(xhci, "xhci")
REPEAT_DIR_TEST(usb, "usb")
REPEAT_DIR_TEST(xhcid, "xhcid")
REPEAT_DIR_TEST_N(storage, "storage", REPEATS_HEAVY)
REPEAT_DIR_TEST_N(disk, "disk", REPEATS_HEAVY)
REPEAT_DIR_TEST_N(captures, "captures", REPEATS_HEAVY)

/* A folder of the suite no test above repeats would escape the check. */
Test(determinism, every_suite_folder_is_repeated)
{
    const char *known[] = {"engine", "devices", "rings", "bufpool", "pci", "pcid", "pcid-dumps",
                           "expect", "xhci", "usb", "xhcid", "storage", "disk", "captures"};
    char dir[400];
    snprintf(dir, sizeof dir, "%s/scenarios/suite", IOSIM_SOURCE_DIR);
    DIR *h = opendir(dir);
    cr_assert_not_null(h, "%s", dir);
    struct dirent *e;
    while ((e = readdir(h)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        bool found = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            found = found || strcmp(e->d_name, known[i]) == 0;
        cr_expect(found, "scenarios/suite/%s is not repeated by a test here", e->d_name);
    }
    closedir(h);
}

Test(determinism, different_seeds_change_random_schedules)
{
    char path[512];
    snprintf(path, sizeof path, "%s/scenarios/suite/engine/counter-atomic-random.yaml",
             IOSIM_SOURCE_DIR);
    struct sim_scenario *s;
    struct yml_error err;
    cr_assert_eq(sim_scenario_load(path, &s, &err), IOSIM_OK, "%s", err.msg);
    static struct sim_run_result a, b;
    struct sim_run_opts o1 = {.seed = 1, .seed_set = true}, o2 = {.seed = 2, .seed_set = true};
    cr_assert_eq(sim_run(s, &o1, &a), IOSIM_OK);
    cr_assert_eq(sim_run(s, &o2, &b), IOSIM_OK);
    cr_expect_neq(a.trace_hash, b.trace_hash);
    sim_scenario_free(s);
}

Test(determinism, the_hash_does_not_depend_on_how_the_path_is_spelled)
{
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/scenarios/suite/engine/handoff-pct.yaml", IOSIM_SOURCE_DIR);
    snprintf(b, sizeof b, "%s/scenarios/suite/../suite/engine/./handoff-pct.yaml",
             IOSIM_SOURCE_DIR);
    struct sim_scenario *sa, *sb;
    struct yml_error err;
    cr_assert_eq(sim_scenario_load(a, &sa, &err), IOSIM_OK, "%s", err.msg);
    cr_assert_eq(sim_scenario_load(b, &sb, &err), IOSIM_OK, "%s", err.msg);
    static struct sim_run_result ra, rb;
    struct sim_run_opts o = {0};
    cr_assert_eq(sim_run(sa, &o, &ra), IOSIM_OK);
    cr_assert_eq(sim_run(sb, &o, &rb), IOSIM_OK);
    cr_expect_eq(ra.trace_hash, rb.trace_hash);
    sim_scenario_free(sa);
    sim_scenario_free(sb);
}
