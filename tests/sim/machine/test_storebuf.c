/* sim/storebuf: a model-based test (seeded random stores, reads, timed
 * drains and full drains, checked after every operation against two
 * reference memories: what other CPUs see and what the owning CPU sees)
 * and tables of edge cases: empty and long stores, the full buffer,
 * coherence of overlapping stores, reordering of disjoint ones, forwarding
 * of partial overlaps, inclusive due times. Every model failure prints its
 * seed and operation number. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <string.h>

#include "sim/engine/rng.h"
#include "sim/machine/storebuf.h"

/* ---- the model ------------------------------------------------------------ */

#define AREA 256
#define MODEL_OPS 4000
#define PENDING_MAX 4096

/* One buffered piece of a store, as the header describes them: a store is
 * cut into SIM_SB_ENTRY_BYTES pieces from its first byte on. */
struct piece {
    uint32_t off, len;
    sim_time_ps due_ps;
    uint8_t data[SIM_SB_ENTRY_BYTES];
};

struct model {
    uint64_t seed;
    uint32_t op;
    struct sim_rng rng;
    struct sim_storebuf sb;
    uint8_t host[AREA];   /* the real memory the buffer drains into */
    uint8_t others[AREA]; /* reference: memory as other CPUs see it */
    uint8_t mine[AREA];   /* reference: memory as this CPU sees it */
    struct piece pend[PENDING_MAX]; /* program order, oldest first */
    uint32_t n_pend;
    sim_time_ps now_ps;
    uint64_t drained;
};

#define MCHECK(m, cond, fmt, ...)                                                        \
    cr_assert((cond), "seed %" PRIu64 " op %u: %s: " fmt, (m)->seed, (m)->op, #cond, \
              __VA_ARGS__)

static void pend_commit(struct model *m, uint32_t i)
{
    memcpy(&m->others[m->pend[i].off], m->pend[i].data, m->pend[i].len);
    memmove(&m->pend[i], &m->pend[i + 1], (m->n_pend - i - 1) * sizeof m->pend[0]);
    m->n_pend--;
    m->drained++;
}

/* A store: this CPU sees it at once; others see each piece at its due
 * time, which is pushed back to the latest due time of an older pending
 * piece touching the same bytes (coherence). With the buffer full, the
 * oldest piece is forced out first. */
static void model_write(struct model *m, uint32_t off, uint32_t len, const uint8_t *src,
                        sim_time_ps due_ps)
{
    sim_sb_write(&m->sb, &m->host[off], src, len, due_ps);
    memcpy(&m->mine[off], src, len);
    for (uint32_t done = 0; done < len;) {
        uint32_t n = len - done < SIM_SB_ENTRY_BYTES ? len - done : SIM_SB_ENTRY_BYTES;
        if (m->n_pend == SIM_SB_ENTRIES)
            pend_commit(m, 0);
        struct piece *p = &m->pend[m->n_pend];
        *p = (struct piece){.off = off + done, .len = n, .due_ps = due_ps};
        for (uint32_t i = 0; i < m->n_pend; i++) {
            const struct piece *q = &m->pend[i];
            bool touch = q->off < p->off + n && p->off < q->off + q->len;
            if (touch && q->due_ps > p->due_ps)
                p->due_ps = q->due_ps;
        }
        memcpy(p->data, src + done, n);
        m->n_pend++;
        done += n;
    }
}

static void model_drain_due(struct model *m, sim_time_ps now_ps)
{
    sim_sb_drain_due(&m->sb, now_ps);
    for (uint32_t i = 0; i < m->n_pend;) {
        if (m->pend[i].due_ps <= now_ps)
            pend_commit(m, i);
        else
            i++;
    }
}

static void model_drain_all(struct model *m)
{
    sim_sb_drain_all(&m->sb);
    while (m->n_pend > 0)
        pend_commit(m, 0);
    MCHECK(m, memcmp(m->others, m->mine, AREA) == 0, "%s", "after a full drain");
}

static void model_random_write(struct model *m)
{
    static const uint32_t lens[] = {1, 2, 4, 8, 8, 4, 0, 3, 16, 63, 64, 65, 128, 200};
    uint32_t len = lens[sim_rng_below(&m->rng, sizeof lens / sizeof lens[0])];
    uint32_t off = (uint32_t)sim_rng_below(&m->rng, AREA - len + 1);
    if (len <= 8 && sim_rng_chance(&m->rng, 500))
        off &= ~(len == 0 ? 0u : len - 1); /* naturally aligned, like real stores */
    uint8_t src[AREA];
    for (uint32_t i = 0; i < len; i++)
        src[i] = (uint8_t)sim_rng_next(&m->rng);
    sim_time_ps due;
    switch (sim_rng_below(&m->rng, 6)) {
    case 0:
        due = m->now_ps; /* already due */
        break;
    case 1:
        due = m->now_ps > 5 ? m->now_ps - 5 : 0; /* in the past */
        break;
    case 2:
        due = SIM_TIME_MAX;
        break;
    default:
        due = m->now_ps + sim_rng_range(&m->rng, 1, 200);
        break;
    }
    model_write(m, off, len, src, due);
}

static void model_check_read(struct model *m, uint32_t off, uint32_t len)
{
    uint8_t got[AREA];
    memset(got, 0xa5, sizeof got);
    sim_sb_read(&m->sb, &m->host[off], got, len);
    for (uint32_t i = 0; i < len; i++)
        MCHECK(m, got[i] == m->mine[off + i], "read(%u, %u) byte %u: %#x, want %#x", off, len, i,
               got[i], m->mine[off + i]);
    if (len < AREA)
        MCHECK(m, got[len] == 0xa5, "read(%u, %u) wrote past its end", off, len);
}

/* Coherence, checked on the buffer itself: for every byte, the pending
 * entries covering it are due in program order. */
static void model_check_coherence(struct model *m)
{
    for (uint32_t b = 0; b < AREA; b++) {
        sim_time_ps last = 0;
        for (uint32_t i = 0; i < m->sb.count; i++) {
            const struct sim_sb_entry *e = &m->sb.entries[i];
            const uint8_t *p = &m->host[b];
            if (p < e->host || p >= e->host + e->len_bytes)
                continue;
            MCHECK(m, e->due_ps >= last, "byte %u: entry %u due %" PRIu64 " before an older one",
                   b, i, e->due_ps);
            last = e->due_ps;
        }
    }
}

static void model_check(struct model *m)
{
    MCHECK(m, memcmp(m->host, m->others, AREA) == 0, "%s", "memory as other CPUs see it");
    model_check_read(m, 0, AREA);
    MCHECK(m, m->sb.count == m->n_pend, "count %u, model %u", m->sb.count, m->n_pend);
    MCHECK(m, m->sb.drained == m->drained, "drained %" PRIu64, m->sb.drained);
    sim_time_ps next = SIM_TIME_MAX;
    for (uint32_t i = 0; i < m->n_pend; i++)
        if (m->pend[i].due_ps < next)
            next = m->pend[i].due_ps;
    MCHECK(m, sim_sb_next_due(&m->sb) == next, "next_due %" PRIu64 ", want %" PRIu64,
           sim_sb_next_due(&m->sb), next);
    model_check_coherence(m);
}

static void model_run(uint64_t seed)
{
    static struct model m;
    memset(&m, 0, sizeof m);
    m.seed = seed;
    sim_rng_stream(&m.rng, seed, "storebuf-model");
    for (uint32_t i = 0; i < AREA; i++)
        m.host[i] = m.others[i] = m.mine[i] = (uint8_t)(i * 7);
    for (m.op = 0; m.op < MODEL_OPS; m.op++) {
        uint32_t kind = (uint32_t)sim_rng_below(&m.rng, 100);
        if (kind < 50) {
            model_random_write(&m);
        } else if (kind < 75) {
            m.now_ps += sim_rng_below(&m.rng, 60);
            model_drain_due(&m, m.now_ps);
        } else if (kind < 78) {
            model_drain_all(&m);
        } else if (kind < 80) {
            model_drain_due(&m, SIM_TIME_MAX);
        } else {
            uint32_t len = (uint32_t)sim_rng_below(&m.rng, 80);
            model_check_read(&m, (uint32_t)sim_rng_below(&m.rng, AREA - len + 1), len);
        }
        model_check(&m);
    }
    model_drain_all(&m);
    model_check(&m);
}

Test(storebuf_model, views_match_reference_when_ops_are_random)
{
    static const uint64_t seeds[] = {1, 2, 3, 10, 100, 0x5b, 0x0123456789abcdef, 55555};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
        model_run(seeds[i]);
}

/* ---- edge cases ------------------------------------------------------------ */

static uint32_t rd32(const struct sim_storebuf *sb, const void *host)
{
    uint32_t v;
    sim_sb_read(sb, host, &v, sizeof v);
    return v;
}

static void wr32(struct sim_storebuf *sb, void *host, uint32_t v, sim_time_ps due)
{
    sim_sb_write(sb, host, &v, sizeof v, due);
}

static uint32_t mem32(const void *host)
{
    uint32_t v;
    memcpy(&v, host, sizeof v);
    return v;
}

Test(storebuf, read_gives_memory_and_next_due_is_max_when_empty)
{
    struct sim_storebuf sb = {0};
    uint8_t mem[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    uint8_t out[16] = {0};
    sim_sb_read(&sb, mem, out, sizeof out);
    cr_assert_arr_eq(out, mem, sizeof mem);
    cr_assert_eq(sim_sb_next_due(&sb), SIM_TIME_MAX);
    sim_sb_drain_due(&sb, SIM_TIME_MAX);
    sim_sb_drain_all(&sb);
    cr_assert_eq(sb.drained, 0);
    sim_sb_write(&sb, mem, out, 0, 5); /* zero length: nothing buffered */
    cr_assert_eq(sb.count, 0);
    sim_sb_read(&sb, mem, out, 0);
    cr_assert_eq(sim_sb_next_due(&sb), SIM_TIME_MAX);
}

Test(storebuf, relaxed_flag_becomes_visible_before_data_when_due_earlier)
{
    struct sim_storebuf sb = {0};
    uint32_t data = 0, flag = 0;
    wr32(&sb, &data, 42, 100);
    wr32(&sb, &flag, 1, 50);
    cr_assert_eq(rd32(&sb, &data), 42, "the writer sees its own stores");
    cr_assert_eq(rd32(&sb, &flag), 1);
    cr_assert_eq(sim_sb_next_due(&sb), 50);
    sim_sb_drain_due(&sb, 49);
    cr_assert_eq(flag, 0);
    sim_sb_drain_due(&sb, 50); /* due time is inclusive */
    cr_assert_eq(flag, 1);
    cr_assert_eq(data, 0, "other CPUs see the flag but not the data");
    cr_assert_eq(sim_sb_next_due(&sb), 100);
    sim_sb_drain_due(&sb, 100);
    cr_assert_eq(data, 42);
    cr_assert_eq(sb.count, 0);
    cr_assert_eq(sb.drained, 2);
}

Test(storebuf, release_orders_data_before_flag_when_drained_all)
{
    struct sim_storebuf sb = {0};
    uint32_t data = 0, flag = 0;
    wr32(&sb, &data, 42, 100);
    sim_sb_drain_all(&sb); /* the release */
    cr_assert_eq(data, 42);
    wr32(&sb, &flag, 1, 50);
    cr_assert_eq(flag, 0);
    sim_sb_drain_due(&sb, 50);
    cr_assert_eq(flag, 1);
}

Test(storebuf, overlapping_newer_store_waits_for_older_when_due_earlier)
{
    uint8_t mem[16] = {0};
    /* {first store, second store}: offsets, lengths, due times, and what
     * other CPUs see at bytes 0..7 after draining up to t = 10 and t = 100 */
    static const struct {
        uint32_t off1, len1;
        sim_time_ps due1;
        uint32_t off2, len2;
        sim_time_ps due2;
        sim_time_ps next_due;
        uint8_t at10[8], at100[8];
    } cases[] = {
        /* same bytes: the newer one is held back, then wins */
        {0, 4, 100, 0, 4, 10, 100, {0}, {2, 2, 2, 2, 0, 0, 0, 0}},
        /* partial overlap: held back too */
        {0, 4, 100, 2, 4, 10, 100, {0}, {1, 1, 2, 2, 2, 2, 0, 0}},
        /* adjacent, not overlapping: free to go first */
        {0, 4, 100, 4, 4, 10, 10, {0, 0, 0, 0, 2, 2, 2, 2}, {1, 1, 1, 1, 2, 2, 2, 2}},
        /* newer due later anyway */
        {0, 4, 5, 2, 4, 100, 5, {1, 1, 1, 1, 0, 0, 0, 0}, {1, 1, 2, 2, 2, 2, 0, 0}},
        /* one byte in common */
        {0, 4, 100, 3, 1, 10, 100, {0}, {1, 1, 1, 2, 0, 0, 0, 0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sim_storebuf sb = {0};
        memset(mem, 0, sizeof mem);
        uint8_t ones[8] = {1, 1, 1, 1, 1, 1, 1, 1}, twos[8] = {2, 2, 2, 2, 2, 2, 2, 2};
        sim_sb_write(&sb, &mem[cases[i].off1], ones, cases[i].len1, cases[i].due1);
        sim_sb_write(&sb, &mem[cases[i].off2], twos, cases[i].len2, cases[i].due2);
        cr_assert_eq(sim_sb_next_due(&sb), cases[i].next_due, "case %zu", i);
        sim_sb_drain_due(&sb, 10);
        cr_assert_arr_eq(mem, cases[i].at10, 8, "case %zu at t=10", i);
        sim_sb_drain_due(&sb, 100);
        cr_assert_arr_eq(mem, cases[i].at100, 8, "case %zu at t=100", i);
        cr_assert_eq(sb.count, 0, "case %zu", i);
    }
}

Test(storebuf, store_waits_for_older_ones_when_it_bridges_two)
{
    uint8_t mem[16] = {0};
    struct sim_storebuf sb = {0};
    uint8_t a[4] = {1, 1, 1, 1}, b[4] = {2, 2, 2, 2}, c[8] = {3, 3, 3, 3, 3, 3, 3, 3};
    sim_sb_write(&sb, &mem[0], a, 4, 100);
    sim_sb_write(&sb, &mem[8], b, 4, 10);
    sim_sb_write(&sb, &mem[2], c, 8, 5); /* touches a and b: waits for a */
    cr_assert_eq(sim_sb_next_due(&sb), 10);
    sim_sb_drain_due(&sb, 10);
    static const uint8_t at10[12] = {0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2};
    cr_assert_arr_eq(mem, at10, 12);
    sim_sb_drain_due(&sb, 99);
    cr_assert_arr_eq(mem, at10, 12);
    sim_sb_drain_due(&sb, 100);
    static const uint8_t at100[12] = {1, 1, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2};
    cr_assert_arr_eq(mem, at100, 12);
}

Test(storebuf, read_forwards_newest_bytes_when_stores_partly_overlap)
{
    uint8_t mem[16];
    for (uint8_t i = 0; i < 16; i++)
        mem[i] = (uint8_t)(0x10 + i);
    struct sim_storebuf sb = {0};
    uint8_t a[6] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5}, b[3] = {0xb0, 0xb1, 0xb2};
    sim_sb_write(&sb, &mem[2], a, 6, 50);  /* bytes 2..7 */
    sim_sb_write(&sb, &mem[6], b, 3, 60);  /* bytes 6..8 */
    static const struct {
        uint32_t off, len;
        uint8_t want[8];
    } cases[] = {
        {0, 2, {0x10, 0x11}},
        {0, 4, {0x10, 0x11, 0xa0, 0xa1}},
        {3, 5, {0xa1, 0xa2, 0xa3, 0xb0, 0xb1}},
        {5, 5, {0xa3, 0xb0, 0xb1, 0xb2, 0x19}},
        {8, 1, {0xb2}},
        {9, 3, {0x19, 0x1a, 0x1b}},
        {7, 1, {0xb1}},
        {4, 0, {0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t out[8] = {0};
        sim_sb_read(&sb, &mem[cases[i].off], out, cases[i].len);
        cr_assert_arr_eq(out, cases[i].want, cases[i].len, "case %zu", i);
    }
    cr_assert_eq(mem[6], 0x16, "memory untouched before the drain");
}

Test(storebuf, long_store_splits_into_entries_when_over_entry_size)
{
    static const struct {
        uint32_t len, entries;
    } cases[] = {
        {1, 1},
        {SIM_SB_ENTRY_BYTES - 1, 1},
        {SIM_SB_ENTRY_BYTES, 1},
        {SIM_SB_ENTRY_BYTES + 1, 2},
        {3 * SIM_SB_ENTRY_BYTES, 3},
        {SIM_SB_ENTRIES * SIM_SB_ENTRY_BYTES, SIM_SB_ENTRIES},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        static uint8_t mem[SIM_SB_ENTRIES * SIM_SB_ENTRY_BYTES];
        static uint8_t src[SIM_SB_ENTRIES * SIM_SB_ENTRY_BYTES];
        memset(mem, 0, sizeof mem);
        for (size_t j = 0; j < sizeof src; j++)
            src[j] = (uint8_t)(j * 13 + i);
        struct sim_storebuf sb = {0};
        sim_sb_write(&sb, mem, src, cases[i].len, 10);
        cr_assert_eq(sb.count, cases[i].entries, "case %zu", i);
        cr_assert_eq(sb.drained, 0, "case %zu", i);
        static uint8_t out[SIM_SB_ENTRIES * SIM_SB_ENTRY_BYTES];
        sim_sb_read(&sb, mem, out, cases[i].len);
        cr_assert_arr_eq(out, src, cases[i].len, "case %zu: forwarding", i);
        cr_assert_eq(mem[0], 0, "case %zu", i);
        sim_sb_drain_due(&sb, 10);
        cr_assert_arr_eq(mem, src, cases[i].len, "case %zu: drained", i);
        cr_assert_eq(mem[cases[i].len % sizeof mem], cases[i].len == sizeof mem ? src[0] : 0,
                     "case %zu: wrote past the store", i);
    }
}

Test(storebuf, full_buffer_forces_out_oldest_when_another_store_comes)
{
    uint32_t mem[SIM_SB_ENTRIES + 2] = {0};
    struct sim_storebuf sb = {0};
    for (uint32_t i = 0; i < SIM_SB_ENTRIES; i++)
        wr32(&sb, &mem[i], 100 + i, 1000 - i); /* none due for a long time */
    cr_assert_eq(sb.count, SIM_SB_ENTRIES);
    for (uint32_t i = 0; i < SIM_SB_ENTRIES; i++)
        cr_assert_eq(mem[i], 0);
    wr32(&sb, &mem[SIM_SB_ENTRIES], 7, 5);
    cr_assert_eq(sb.count, SIM_SB_ENTRIES);
    cr_assert_eq(mem[0], 100, "the oldest store was forced out");
    cr_assert_eq(mem[1], 0);
    cr_assert_eq(sb.drained, 1);
    cr_assert_eq(sim_sb_next_due(&sb), 5);
    /* a store longer than the whole buffer pushes out its own beginning */
    static uint8_t big[(SIM_SB_ENTRIES + 2) * SIM_SB_ENTRY_BYTES];
    static uint8_t src[sizeof big];
    memset(src, 0x77, sizeof src);
    struct sim_storebuf sb2 = {0};
    sim_sb_write(&sb2, big, src, sizeof big, 10);
    cr_assert_eq(sb2.count, SIM_SB_ENTRIES);
    cr_assert_eq(sb2.drained, 2);
    cr_assert_eq(big[0], 0x77);
    cr_assert_eq(big[2 * SIM_SB_ENTRY_BYTES - 1], 0x77);
    cr_assert_eq(big[2 * SIM_SB_ENTRY_BYTES], 0);
    sim_sb_drain_all(&sb2);
    cr_assert_arr_eq(big, src, sizeof big);
    cr_assert_eq(mem32(&mem[SIM_SB_ENTRIES]), 0);
}

Test(storebuf, store_drains_at_next_check_when_due_in_the_past)
{
    uint32_t x = 0;
    struct sim_storebuf sb = {0};
    wr32(&sb, &x, 9, 0);
    cr_assert_eq(x, 0, "a store is buffered even when already due");
    cr_assert_eq(sim_sb_next_due(&sb), 0);
    sim_sb_drain_due(&sb, 0);
    cr_assert_eq(x, 9);
    wr32(&sb, &x, 10, SIM_TIME_MAX);
    sim_sb_drain_due(&sb, SIM_TIME_MAX - 1);
    cr_assert_eq(x, 9);
    sim_sb_drain_due(&sb, SIM_TIME_MAX);
    cr_assert_eq(x, 10);
}
