/*
 * Views of memory (sim/machine/memview.h). A model-based property: random
 * commits, loads, fences and barriers by several CPUs against a reference
 * that knows, per CPU and location, the newest value the CPU must at least
 * see (its own writes, what it read, what an acquire synchronised with).
 * Values written to a location only grow, so "not older" is "not smaller".
 * Plus the rules one by one.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <string.h>

#include "sim/machine/memview.h"

#define CPUS 4u
#define LOCS 6u
#define STEPS 4000u
#define VALUES_MAX (STEPS + 1)

struct ref {
    uint32_t floor[CPUS][LOCS];   /* the oldest value each CPU may read */
    uint32_t next[LOCS];          /* last value written to each location */
    uint32_t pending[CPUS][LOCS]; /* what relaxed loads carried (acquire fences) */
    /* what a release commit of value v to location l carried */
    uint32_t (*carried)[LOCS][LOCS];
    bool *released;               /* [l * VALUES_MAX + v] */
};

static uint8_t mem[LOCS * 16];

static uint32_t *loc(uint32_t l) { return (uint32_t *)(void *)&mem[l * 16]; }

static void join(uint32_t *dst, const uint32_t *src)
{
    for (uint32_t l = 0; l < LOCS; l++)
        if (src[l] > dst[l])
            dst[l] = src[l];
}

static void do_commit(struct sim_mv *mv, struct ref *r, uint32_t c, uint32_t l, bool rel,
                      sim_time_ps now)
{
    uint32_t v = ++r->next[l];
    sim_mv_commit(mv, c, loc(l), &v, sizeof v, rel ? SIM_MV_STORE_RELEASE : SIM_MV_STORE_RELAXED,
                  now);
    r->floor[c][l] = v;
    if (rel) {
        memcpy(r->carried[v][l], r->floor[c], sizeof r->floor[c]);
        r->released[l * VALUES_MAX + v] = true;
    }
}

static void do_load(struct sim_mv *mv, struct sim_rng *rng, struct ref *r, uint32_t c,
                    uint32_t l, enum sim_mv_load kind, sim_time_ps now, uint64_t seed)
{
    uint32_t v;
    sim_mv_read(mv, c, rng, kind, loc(l), &v, sizeof v, now);
    cr_assert_geq(v, r->floor[c][l], "seed %" PRIu64 ": cpu %u read %u at loc %u below %u",
                  seed, c, v, l, r->floor[c][l]);
    cr_assert_leq(v, r->next[l], "seed %" PRIu64 ": a value never written", seed);
    if (kind == SIM_MV_LOAD_SEQ_CST)
        cr_assert_eq(v, r->next[l], "seed %" PRIu64 ": seq_cst load not the latest", seed);
    r->floor[c][l] = v;
    if (v > 0 && r->released[l * VALUES_MAX + v]) {
        if (kind == SIM_MV_LOAD_ACQUIRE)
            join(r->floor[c], r->carried[v][l]);
        else
            join(r->pending[c], r->carried[v][l]);
    }
}

static void run_property(uint64_t seed)
{
    static struct sim_mv mv;
    static struct ref r;
    static uint32_t carried[VALUES_MAX][LOCS][LOCS];
    static bool released[LOCS * VALUES_MAX];
    memset(&r, 0, sizeof r);
    memset(carried, 0, sizeof carried);
    memset(released, 0, sizeof released);
    memset(mem, 0, sizeof mem);
    r.carried = carried;
    r.released = released;
    sim_mv_init(&mv, CPUS, 500, mem, sizeof mem);
    struct sim_rng rng, ops;
    sim_rng_stream(&rng, seed, "memory");
    sim_rng_stream(&ops, seed, "test");
    sim_time_ps now = 0;
    for (uint32_t s = 0; s < STEPS; s++) {
        now += sim_rng_below(&ops, 40);
        uint32_t c = (uint32_t)sim_rng_below(&ops, CPUS), l = (uint32_t)sim_rng_below(&ops, LOCS);
        uint64_t op = sim_rng_below(&ops, 20);
        if (op < 6)
            do_commit(&mv, &r, c, l, op == 0, now);
        else if (op < 17)
            do_load(&mv, &rng, &r, c, l, op < 12 ? SIM_MV_LOAD_RELAXED
                                         : op < 16 ? SIM_MV_LOAD_ACQUIRE : SIM_MV_LOAD_SEQ_CST,
                    now, seed);
        else if (op == 17) {
            sim_mv_fence(&mv, c, PORT_ACQUIRE);
            join(r.floor[c], r.pending[c]);
        } else {
            sim_mv_barrier(&mv, c);
            memcpy(r.floor[c], r.next, sizeof r.next);
        }
    }
    cr_assert_gt(mv.stale_reads, 0, "seed %" PRIu64 ": nothing stale ever read", seed);
}

Test(memview, reads_never_go_backwards_nor_below_acquired_views)
{
    for (uint64_t seed = 1; seed <= 50; seed++)
        run_property(seed);
}

static struct sim_mv mv1;
static uint32_t words[4];

static void setup1(void)
{
    memset(words, 0, sizeof words);
    sim_mv_init(&mv1, 2, 1000, words, sizeof words);
}

/* How often cpu 1 reads the old value of words[0] over n draws. */
static uint32_t stale_count(struct sim_rng *rng, uint32_t n, enum sim_mv_load kind)
{
    uint32_t stale = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v;
        sim_mv_read(&mv1, 1, rng, kind, &words[0], &v, sizeof v, 10);
        stale += v == 0;
        if (v != 0)
            break; /* coherence: never older again */
    }
    return stale;
}

Test(memview, relaxed_load_may_read_the_older_version, .init = setup1)
{
    struct sim_rng rng;
    sim_rng_stream(&rng, 7, "memory");
    uint32_t one = 1, stale = 0;
    for (uint32_t i = 0; i < 64; i++) {
        setup1();
        sim_mv_commit(&mv1, 0, &words[0], &one, 4, SIM_MV_STORE_RELAXED, 0);
        stale += stale_count(&rng, 64, SIM_MV_LOAD_RELAXED);
    }
    cr_assert_gt(stale, 0);
}

Test(memview, seq_cst_load_reads_the_latest, .init = setup1)
{
    struct sim_rng rng;
    sim_rng_stream(&rng, 7, "memory");
    uint32_t one = 1;
    sim_mv_commit(&mv1, 0, &words[0], &one, 4, SIM_MV_STORE_RELAXED, 0);
    cr_assert_eq(stale_count(&rng, 64, SIM_MV_LOAD_SEQ_CST), 0);
}

Test(memview, old_versions_expire_after_the_window, .init = setup1)
{
    struct sim_rng rng;
    sim_rng_stream(&rng, 7, "memory");
    uint32_t one = 1, v;
    sim_mv_commit(&mv1, 0, &words[0], &one, 4, SIM_MV_STORE_RELAXED, 0);
    for (uint32_t i = 0; i < 64; i++) {
        sim_mv_read(&mv1, 1, &rng, SIM_MV_LOAD_RELAXED, &words[0], &v, 4, 1001);
        cr_assert_eq(v, 1);
    }
}

Test(memview, device_writes_pin_older_versions, .init = setup1)
{
    struct sim_rng rng;
    sim_rng_stream(&rng, 7, "memory");
    uint32_t one = 1;
    sim_mv_commit(&mv1, 0, &words[0], &one, 4, SIM_MV_STORE_RELAXED, 0);
    words[0] = 5; /* a DMA write */
    sim_mv_external_write(&mv1, &words[0], 4);
    cr_assert_eq(stale_count(&rng, 64, SIM_MV_LOAD_RELAXED), 0);
}

Test(memview, acquire_of_a_release_sees_what_came_before, .init = setup1)
{
    struct sim_rng rng;
    sim_rng_stream(&rng, 7, "memory");
    uint32_t one = 1, v;
    for (uint32_t i = 0; i < 64; i++) {
        setup1();
        sim_mv_commit(&mv1, 0, &words[0], &one, 4, SIM_MV_STORE_RELAXED, 0);
        sim_mv_commit(&mv1, 0, &words[1], &one, 4, SIM_MV_STORE_RELEASE, 0);
        do
            sim_mv_read(&mv1, 1, &rng, SIM_MV_LOAD_ACQUIRE, &words[1], &v, 4, 5);
        while (v == 0);
        sim_mv_read(&mv1, 1, &rng, SIM_MV_LOAD_RELAXED, &words[0], &v, 4, 5);
        cr_assert_eq(v, 1, "draw %u", i);
    }
}

Test(memview, plain_read_exposed_by_a_relaxed_store_is_a_race, .init = setup1)
{
    struct sim_rng rng;
    sim_rng_stream(&rng, 7, "memory");
    int reader = 1, writer = 2;
    uint32_t v, one = 1;
    sim_mv_enter(&mv1, 1, &reader);
    sim_mv_enter(&mv1, 0, &writer);
    mv1.cpu[0].running = &writer;
    mv1.cpu[1].running = &reader;
    sim_mv_read(&mv1, 1, &rng, SIM_MV_LOAD_PLAIN, &words[0], &v, 4, 0);
    sim_mv_store_issued(&mv1, 1, &words[1], 4, false);
    sim_mv_commit(&mv1, 1, &words[1], &one, 4, SIM_MV_STORE_RELAXED, 1);
    sim_mv_read(&mv1, 0, &rng, SIM_MV_LOAD_SEQ_CST, &words[1], &v, 4, 2);
    cr_assert_eq(mv1.races, 0);
    sim_mv_store_issued(&mv1, 0, &words[0], 4, false);
    cr_assert_eq(mv1.races, 1);
    cr_assert(strstr(mv1.race_msg, "at 0x0") != NULL, "%s", mv1.race_msg);
}

Test(memview, plain_read_closed_by_a_release_store_is_no_race, .init = setup1)
{
    struct sim_rng rng;
    sim_rng_stream(&rng, 7, "memory");
    int reader = 1, writer = 2;
    uint32_t v, one = 1;
    sim_mv_enter(&mv1, 1, &reader);
    sim_mv_enter(&mv1, 0, &writer);
    mv1.cpu[0].running = &writer;
    mv1.cpu[1].running = &reader;
    sim_mv_read(&mv1, 1, &rng, SIM_MV_LOAD_PLAIN, &words[0], &v, 4, 0);
    sim_mv_store_issued(&mv1, 1, &words[1], 4, true);
    sim_mv_commit(&mv1, 1, &words[1], &one, 4, SIM_MV_STORE_RELEASE, 1);
    sim_mv_read(&mv1, 0, &rng, SIM_MV_LOAD_ACQUIRE, &words[1], &v, 4, 2);
    sim_mv_store_issued(&mv1, 0, &words[0], 4, false);
    cr_assert_eq(mv1.races, 0);
}

/* The acquiring side: the reader releases correctly, the writer reads the
 * release relaxed and writes the bytes read - a missing acquire. */
static void released_then_written(bool writer_acquires, bool fence)
{
    struct sim_rng rng;
    sim_rng_stream(&rng, 7, "memory");
    int reader = 1, writer = 2;
    uint32_t v, one = 1;
    sim_mv_enter(&mv1, 1, &reader);
    sim_mv_enter(&mv1, 0, &writer);
    mv1.cpu[0].running = &writer;
    mv1.cpu[1].running = &reader;
    sim_mv_read(&mv1, 1, &rng, SIM_MV_LOAD_PLAIN, &words[0], &v, 4, 0);
    sim_mv_store_issued(&mv1, 1, &words[1], 4, true);
    sim_mv_commit(&mv1, 1, &words[1], &one, 4, SIM_MV_STORE_RELEASE, 1);
    do
        sim_mv_read(&mv1, 0, &rng, writer_acquires ? SIM_MV_LOAD_ACQUIRE : SIM_MV_LOAD_RELAXED,
                    &words[1], &v, 4, 2);
    while (v != 1);
    if (fence)
        sim_mv_fence(&mv1, 0, PORT_ACQUIRE);
    sim_mv_store_issued(&mv1, 0, &words[0], 4, false);
}

Test(memview, a_released_read_overwritten_after_a_relaxed_load_of_the_release_is_a_race,
     .init = setup1)
{
    released_then_written(false, false);
    cr_assert_eq(mv1.races, 1);
    cr_assert_eq(mv1.missing_acquires, 1);
    cr_assert(strstr(mv1.race_msg, "an acquire is missing") != NULL, "%s", mv1.race_msg);
}

Test(memview, an_acquire_load_of_the_release_orders_the_write, .init = setup1)
{
    released_then_written(true, false);
    cr_assert_eq(mv1.races, 0, "%s", mv1.race_msg);
}

Test(memview, an_acquire_fence_after_the_relaxed_load_orders_the_write, .init = setup1)
{
    released_then_written(false, true);
    cr_assert_eq(mv1.races, 0, "%s", mv1.race_msg);
}

Test(memview, a_write_by_its_own_process_is_no_race, .init = setup1)
{
    struct sim_rng rng;
    sim_rng_stream(&rng, 7, "memory");
    int p = 1;
    uint32_t v, one = 1;
    sim_mv_enter(&mv1, 1, &p);
    mv1.cpu[1].running = &p;
    sim_mv_read(&mv1, 1, &rng, SIM_MV_LOAD_PLAIN, &words[0], &v, 4, 0);
    sim_mv_store_issued(&mv1, 1, &words[1], 4, true);
    sim_mv_commit(&mv1, 1, &words[1], &one, 4, SIM_MV_STORE_RELEASE, 1);
    sim_mv_enter(&mv1, 0, &p); /* it migrated: the caller's barrier */
    sim_mv_barrier(&mv1, 0);
    mv1.cpu[0].running = &p;
    sim_mv_store_issued(&mv1, 0, &words[0], 4, false);
    cr_assert_eq(mv1.races, 0, "%s", mv1.race_msg);
}

/* A host write comes after every commit before it: an acquire reading it
 * may no longer read anything older than those. */
Test(memview, an_acquire_of_a_host_write_joins_everything_before_it, .init = setup1)
{
    struct sim_rng rng;
    sim_rng_stream(&rng, 9, "memory");
    uint32_t v, one = 1, two = 2;
    int a = 1, b = 2;
    sim_mv_enter(&mv1, 0, &a);
    sim_mv_enter(&mv1, 1, &b);
    sim_mv_commit(&mv1, 0, &words[2], &one, 4, SIM_MV_STORE_RELAXED, 1);
    sim_mv_commit(&mv1, 0, &words[2], &two, 4, SIM_MV_STORE_RELAXED, 2);
    words[3] = 7;
    sim_mv_external_write(&mv1, &words[3], 4);
    sim_mv_read(&mv1, 1, &rng, SIM_MV_LOAD_ACQUIRE, &words[3], &v, 4, 3);
    cr_assert_eq(v, 7);
    for (unsigned i = 0; i < 64; i++) {
        sim_mv_read(&mv1, 1, &rng, SIM_MV_LOAD_RELAXED, &words[2], &v, 4, 3);
        cr_assert_eq(v, 2, "draw %u read an older version", i);
    }
}
