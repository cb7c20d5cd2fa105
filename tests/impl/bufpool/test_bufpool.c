/*
 * impl/bufpool, one clause of bufpool.h per test: option validation,
 * argument errors, exhaustion, hostile handles, guards and leaks, chunks,
 * boundaries, the three searches, statistics.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "tests/impl/bufpool/bufpool_test_util.h"

struct fix {
    struct bufpool pool;
    void *mem[4];
    size_t len[4];
    uint32_t chunk[4];
    struct tb_closes closes;
};

/* A pool with `chunks` chunks of len bytes each. */
static void fix_open(struct fix *f, const struct bufpool_opts *o, uint32_t chunks, size_t len)
{
    memset(f, 0, sizeof *f);
    cr_assert_eq(bufpool_init(&f->pool, o), IOSIM_OK);
    size_t align = o->boundary > o->align_max ? o->boundary : o->align_max;
    for (uint32_t i = 0; i < chunks; i++) {
        f->mem[i] = tb_chunk_mem(len, align);
        f->len[i] = len;
        cr_assert_eq(bufpool_chunk_add(&f->pool, f->mem[i], len, 0x100000u * (i + 1), tb_close,
                                       &f->closes, &f->chunk[i]),
                     IOSIM_OK);
    }
}

static void fix_close(struct fix *f)
{
    char why[128] = "";
    cr_expect_eq(bufpool_check(&f->pool, why, sizeof why), IOSIM_OK, "%s", why);
    (void)bufpool_destroy(&f->pool);
    for (uint32_t i = 0; i < 4; i++)
        free(f->mem[i]);
}

static struct bufpool_opts small_opts(void)
{
    return tb_opts(64, 4096, 4096, 0);
}

/* ---- options ------------------------------------------------------------------------ */

struct bad_opt {
    const char *what;
    size_t gran, amax, smax, boundary, smin;
    uint32_t slices, chunks, flags;
};

static const struct bad_opt bad_opts[] = {
    {"granule not a power of two", 48, 4096, 4096, 0, 0, 8, 2, 0},
    {"granule below 8", 4, 4096, 4096, 0, 0, 8, 2, 0},
    {"align_max not a power of two", 64, 3000, 4096, 0, 0, 8, 2, 0},
    {"align_max below the granule", 64, 32, 4096, 0, 0, 8, 2, 0},
    {"too many residues", 8, 1 << 16, 4096, 0, 0, 8, 2, 0},
    {"size_max 0", 64, 4096, 0, 0, 0, 8, 2, 0},
    {"size_min above size_max", 64, 4096, 4096, 0, 8192, 8, 2, 0},
    {"size_max beyond the bins", 8, 4096, 4u << 20, 0, 0, 8, 2, 0},
    {"boundary not a power of two", 64, 4096, 4096, 12288, 0, 8, 2, 0},
    {"boundary below align_max", 64, 4096, 1024, 2048, 0, 8, 2, 0},
    {"boundary below size_max", 64, 1024, 8192, 4096, 0, 8, 2, 0},
    {"no slices", 64, 4096, 4096, 0, 0, 0, 2, 0},
    {"no chunks", 64, 4096, 4096, 0, 0, 8, 0, 0},
    {"too many chunks", 64, 4096, 4096, 0, 0, 8, 70000, 0},
    {"unknown flag", 64, 4096, 4096, 0, 0, 8, 2, 1u << 7},
};

Test(bufpool_opts, init_fails_with_einval_when_an_option_is_out_of_range)
{
    for (size_t i = 0; i < sizeof bad_opts / sizeof bad_opts[0]; i++) {
        const struct bad_opt *b = &bad_opts[i];
        struct bufpool_opts o = tb_opts(b->gran, b->amax, b->smax, b->boundary);
        o.size_min = b->smin;
        o.slices_max = b->slices;
        o.chunks_max = b->chunks;
        o.flags = b->flags;
        struct bufpool p;
        cr_expect_eq(bufpool_init(&p, &o), IOSIM_EINVAL, "%s", b->what);
    }
}

Test(bufpool_opts, defaults_are_valid_and_name_defaults)
{
    struct bufpool_opts o;
    bufpool_opts_default(&o);
    o.name = NULL;
    struct bufpool p;
    cr_assert_eq(bufpool_init(&p, &o), IOSIM_OK);
    cr_expect_str_eq(p.opts.name, "bufpool");
    cr_expect_eq(bufpool_destroy(&p), 0);
}

/* ---- allocation arguments -------------------------------------------------------------- */

struct bad_alloc {
    const char *what;
    size_t len, align;
    enum iosim_err want;
};

static const struct bad_alloc bad_allocs[] = {
    {"zero size", 0, 64, IOSIM_EINVAL},
    {"alignment not a power of two", 64, 96, IOSIM_EINVAL},
    {"alignment above align_max", 64, 8192, IOSIM_EINVAL},
    {"size above size_max", 4097, 64, IOSIM_EMSGSIZE},
    {"size that overflows when rounded", SIZE_MAX - 3, 64, IOSIM_EOVERFLOW},
};

Test(bufpool_alloc, fails_at_once_with_the_documented_error_when_arguments_are_bad)
{
    struct fix f;
    struct bufpool_opts o = small_opts();
    fix_open(&f, &o, 1, 1 << 16);
    for (size_t i = 0; i < sizeof bad_allocs / sizeof bad_allocs[0]; i++) {
        struct bufpool_slice s;
        cr_expect_eq(bufpool_alloc(&f.pool, bad_allocs[i].len, bad_allocs[i].align, &s),
                     bad_allocs[i].want, "%s", bad_allocs[i].what);
    }
    struct bufpool_stats st;
    bufpool_stats_get(&f.pool, &st);
    cr_expect_eq(st.slices, 0);
    cr_expect_eq(st.bytes_free, 1 << 16);
    fix_close(&f);
}

Test(bufpool_alloc, rounds_small_alignments_and_sizes_up_to_the_granule)
{
    struct fix f;
    struct bufpool_opts o = small_opts();
    fix_open(&f, &o, 1, 1 << 16);
    struct bufpool_slice a, b, c;
    cr_assert_eq(bufpool_alloc(&f.pool, 1, 0, &a), IOSIM_OK);
    cr_assert_eq(bufpool_alloc(&f.pool, 1, 8, &b), IOSIM_OK);
    cr_assert_eq(bufpool_alloc(&f.pool, 65, 1, &c), IOSIM_OK);
    cr_expect_eq(a.offset % 64, 0);
    cr_expect_eq(b.offset % 64, 0);
    cr_expect_eq(c.offset % 64, 0);
    cr_expect_eq(b.offset, a.offset + 64);
    cr_expect_eq(c.offset, b.offset + 64);
    cr_expect_eq(c.len_bytes, 65);
    struct bufpool_stats st;
    bufpool_stats_get(&f.pool, &st);
    cr_expect_eq(st.bytes_used, 64 + 64 + 128);
    fix_close(&f);
}

Test(bufpool_alloc, honours_every_alignment_up_to_align_max)
{
    struct fix f;
    struct bufpool_opts o = small_opts();
    fix_open(&f, &o, 1, 1 << 20);
    struct bufpool_slice pad;
    cr_assert_eq(bufpool_alloc(&f.pool, 64, 64, &pad), IOSIM_OK); /* misalign what follows */
    for (size_t a = 64; a <= 4096; a <<= 1) {
        struct bufpool_slice s;
        cr_assert_eq(bufpool_alloc(&f.pool, 100, a, &s), IOSIM_OK);
        cr_expect_eq((uintptr_t)s.host % a, 0, "alignment %zu", a);
        cr_expect_eq(s.offset % a, 0);
        cr_expect_eq((uint8_t *)s.host, (uint8_t *)f.mem[0] + s.offset);
        cr_expect_eq(s.extra, 0x100000u);
    }
    fix_close(&f);
}

Test(bufpool_alloc, fails_with_enomem_when_no_range_can_hold_it_and_changes_nothing)
{
    struct fix f;
    struct bufpool_opts o = small_opts();
    fix_open(&f, &o, 1, 8192);
    struct bufpool_slice a, b, c;
    cr_assert_eq(bufpool_alloc(&f.pool, 4096, 64, &a), IOSIM_OK);
    cr_assert_eq(bufpool_alloc(&f.pool, 4032, 64, &b), IOSIM_OK);
    struct bufpool_stats before, after;
    bufpool_stats_get(&f.pool, &before);
    cr_expect_eq(bufpool_alloc(&f.pool, 128, 64, &c), IOSIM_ENOMEM);
    bufpool_stats_get(&f.pool, &after);
    cr_expect_eq(after.alloc_failures, before.alloc_failures + 1);
    cr_expect_eq(after.bytes_free, 64);
    cr_expect_eq(bufpool_alloc(&f.pool, 64, 64, &c), IOSIM_OK); /* the last 64 B fit */
    fix_close(&f);
}

Test(bufpool_alloc, fails_with_enospc_when_slices_max_are_out)
{
    struct fix f;
    struct bufpool_opts o = small_opts();
    o.slices_max = 3;
    fix_open(&f, &o, 1, 1 << 16);
    struct bufpool_slice s[4];
    for (int i = 0; i < 3; i++)
        cr_assert_eq(bufpool_alloc(&f.pool, 64, 0, &s[i]), IOSIM_OK);
    cr_expect_eq(bufpool_alloc(&f.pool, 64, 0, &s[3]), IOSIM_ENOSPC);
    cr_assert_eq(bufpool_free(&f.pool, &s[1]), IOSIM_OK);
    cr_expect_eq(bufpool_alloc(&f.pool, 64, 0, &s[3]), IOSIM_OK);
    fix_close(&f);
}

/* ---- the searches ------------------------------------------------------------------------ */

/* Frees [from, to) of a pool filled with 64 B slices. */
static void free_cells(struct fix *f, struct bufpool_slice *cells, size_t from, size_t to)
{
    for (size_t c = from / 64; c < to / 64; c++)
        cr_assert_eq(bufpool_free(&f->pool, &cells[c]), IOSIM_OK);
}

static struct bufpool_slice *fill_cells(struct fix *f, size_t len)
{
    struct bufpool_slice *cells = calloc(len / 64, sizeof *cells);
    for (size_t c = 0; c < len / 64; c++) {
        cr_assert_eq(bufpool_alloc(&f->pool, 64, 64, &cells[c]), IOSIM_OK);
        cr_assert_eq(cells[c].offset, c * 64);
    }
    return cells;
}

Test(bufpool_search, finds_a_tight_fit_that_needs_padding_when_nothing_is_aligned)
{
    /* Free ranges of 4224 B at 64 past a page (pad 4032: too short) and one at
     * 128 before a page (pad 128: fits exactly). */
    struct fix f;
    struct bufpool_opts o = small_opts();
    o.size_max = 8192;
    o.slices_max = 2048;
    fix_open(&f, &o, 1, 16 * 8192);
    struct bufpool_slice *cells = fill_cells(&f, 16 * 8192);
    for (size_t r = 0; r < 15; r++)
        free_cells(&f, cells, r * 8192 + 64, r * 8192 + 64 + 4224);
    free_cells(&f, cells, 15 * 8192 + 4096 - 128, 15 * 8192 + 4096 - 128 + 4224);
    struct bufpool_slice s;
    cr_assert_eq(bufpool_alloc(&f.pool, 4096, 4096, &s), IOSIM_OK);
    cr_expect_eq(s.offset, 15 * 8192 + 4096);
    cr_expect_eq(bufpool_alloc(&f.pool, 4096, 4096, &s), IOSIM_ENOMEM);
    free(cells);
    fix_close(&f);
}

Test(bufpool_search, prefers_the_shortest_range_that_fits)
{
    struct fix f;
    struct bufpool_opts o = small_opts();
    o.slices_max = 2048;
    fix_open(&f, &o, 1, 64 * 1024);
    struct bufpool_slice *cells = fill_cells(&f, 64 * 1024);
    free_cells(&f, cells, 0, 2048);         /* 2 KiB */
    free_cells(&f, cells, 4096, 4096 + 512); /* 512 B: the tight one */
    free_cells(&f, cells, 8192, 8192 + 1024);
    struct bufpool_slice s;
    cr_assert_eq(bufpool_alloc(&f.pool, 500, 64, &s), IOSIM_OK);
    cr_expect_eq(s.offset, 4096);
    free(cells);
    fix_close(&f);
}

Test(bufpool_search, places_at_an_aligned_start_when_a_long_range_has_one)
{
    struct fix f;
    struct bufpool_opts o = small_opts();
    o.slices_max = 4096;
    fix_open(&f, &o, 1, 64 * 1024);
    struct bufpool_slice *cells = fill_cells(&f, 64 * 1024);
    free_cells(&f, cells, 64, 16384);          /* long, starts off a page */
    free_cells(&f, cells, 20480, 20480 + 8192); /* long, starts on a page */
    struct bufpool_slice s;
    cr_assert_eq(bufpool_alloc(&f.pool, 4096, 4096, &s), IOSIM_OK);
    cr_expect_eq(s.offset % 4096, 0);
    free(cells);
    fix_close(&f);
}

/* ---- hostile handles -------------------------------------------------------------------- */

Test(bufpool_handles, double_free_is_detected_counted_and_harmless)
{
    struct fix f;
    struct bufpool_opts o = small_opts();
    fix_open(&f, &o, 1, 1 << 16);
    struct bufpool_slice a, b;
    cr_assert_eq(bufpool_alloc(&f.pool, 256, 0, &a), IOSIM_OK);
    cr_assert_eq(bufpool_free(&f.pool, &a), IOSIM_OK);
    cr_assert_eq(bufpool_alloc(&f.pool, 256, 0, &b), IOSIM_OK); /* same memory, new gen */
    cr_expect_eq(b.offset, a.offset);
    cr_expect_eq(bufpool_free(&f.pool, &a), IOSIM_ENOENT);
    cr_expect_eq(bufpool_guard(&f.pool, &a), IOSIM_ENOENT);
    cr_expect_eq(bufpool_unguard(&f.pool, &a), IOSIM_ENOENT);
    struct bufpool_stats st;
    bufpool_stats_get(&f.pool, &st);
    cr_expect_eq(st.bad_handles, 3);
    cr_expect_eq(st.slices, 1);
    cr_expect_eq(bufpool_free(&f.pool, &b), IOSIM_OK); /* b is untouched */
    fix_close(&f);
}

Test(bufpool_handles, foreign_and_forged_handles_are_refused)
{
    struct fix f, g;
    struct bufpool_opts o = small_opts();
    fix_open(&f, &o, 1, 1 << 16);
    fix_open(&g, &o, 1, 1 << 16);
    struct bufpool_slice mine, theirs;
    cr_assert_eq(bufpool_alloc(&f.pool, 64, 0, &mine), IOSIM_OK);
    cr_assert_eq(bufpool_alloc(&g.pool, 64, 0, &theirs), IOSIM_OK);
    cr_expect_eq(bufpool_free(&f.pool, &theirs), IOSIM_ENOENT); /* same id and gen, other pool */
    struct bufpool_slice forged = mine;
    forged.host = (uint8_t *)forged.host + 64;
    cr_expect_eq(bufpool_free(&f.pool, &forged), IOSIM_ENOENT);
    forged = mine;
    forged.id = 0;
    cr_expect_eq(bufpool_free(&f.pool, &forged), IOSIM_ENOENT);
    forged.id = UINT32_MAX;
    cr_expect_eq(bufpool_free(&f.pool, &forged), IOSIM_ENOENT);
    forged = mine;
    forged.gen++;
    cr_expect_eq(bufpool_free(&f.pool, &forged), IOSIM_ENOENT);
    cr_expect_eq(bufpool_free(&f.pool, NULL), IOSIM_ENOENT);
    cr_expect_eq(bufpool_free(&f.pool, &mine), IOSIM_OK);
    cr_expect_eq(bufpool_free(&g.pool, &theirs), IOSIM_OK);
    fix_close(&f);
    fix_close(&g);
}

/* ---- guards and leaks ----------------------------------------------------------------------- */

Test(bufpool_guards, free_of_a_guarded_slice_defers_reclamation_to_the_last_unguard)
{
    struct fix f;
    struct bufpool_opts o = small_opts();
    fix_open(&f, &o, 1, 8192);
    struct bufpool_slice s, t, u;
    cr_assert_eq(bufpool_alloc(&f.pool, 4096, 0, &s), IOSIM_OK);
    cr_assert_eq(bufpool_guard(&f.pool, &s), IOSIM_OK);
    cr_assert_eq(bufpool_guard(&f.pool, &s), IOSIM_OK);
    cr_assert_eq(bufpool_free(&f.pool, &s), IOSIM_OK);
    struct bufpool_stats st;
    bufpool_stats_get(&f.pool, &st);
    cr_expect_eq(st.bytes_deferred, 4096);
    cr_expect_eq(st.bytes_used, 4096);
    cr_expect_eq(bufpool_free(&f.pool, &s), IOSIM_ENOENT); /* released already */
    cr_assert_eq(bufpool_unguard(&f.pool, &s), IOSIM_OK);
    cr_assert_eq(bufpool_alloc(&f.pool, 4096, 0, &t), IOSIM_OK);
    cr_expect_neq(t.offset, s.offset);
    cr_expect_eq(bufpool_alloc(&f.pool, 64, 0, &u), IOSIM_ENOMEM); /* s is not reused yet */
    cr_assert_eq(bufpool_free(&f.pool, &t), IOSIM_OK);
    cr_assert_eq(bufpool_unguard(&f.pool, &s), IOSIM_OK); /* the last one: reclaimed */
    bufpool_stats_get(&f.pool, &st);
    cr_expect_eq(st.bytes_deferred, 0);
    cr_expect_eq(st.bytes_used, 0);
    cr_expect_eq(st.free_ranges, 1);
    cr_expect_eq(bufpool_unguard(&f.pool, &s), IOSIM_ENOENT); /* stale now */
    fix_close(&f);
}

Test(bufpool_guards, unguard_without_a_guard_is_einval)
{
    struct fix f;
    struct bufpool_opts o = small_opts();
    fix_open(&f, &o, 1, 1 << 16);
    struct bufpool_slice s;
    cr_assert_eq(bufpool_alloc(&f.pool, 64, 0, &s), IOSIM_OK);
    cr_expect_eq(bufpool_unguard(&f.pool, &s), IOSIM_EINVAL);
    cr_expect_eq(bufpool_forfeit(&f.pool, &s), IOSIM_EINVAL);
    fix_close(&f);
}

Test(bufpool_guards, a_forfeited_guard_leaks_the_slice_and_never_reuses_it)
{
    struct fix f;
    struct bufpool_opts o = small_opts();
    fix_open(&f, &o, 1, 8192);
    struct bufpool_slice s, rest, again;
    cr_assert_eq(bufpool_alloc(&f.pool, 4096, 4096, &s), IOSIM_OK);
    cr_assert_eq(bufpool_guard(&f.pool, &s), IOSIM_OK);
    cr_assert_eq(bufpool_free(&f.pool, &s), IOSIM_OK);  /* deferred */
    cr_assert_eq(bufpool_forfeit(&f.pool, &s), IOSIM_OK); /* the peer died */
    struct bufpool_stats st;
    bufpool_stats_get(&f.pool, &st);
    cr_expect_eq(st.bytes_leaked, 4096);
    cr_expect_eq(st.slices_leaked, 1);
    cr_expect_eq(st.bytes_used, 0);
    cr_expect_eq(st.bytes_free, 4096);
    cr_expect_eq(st.forfeits, 1);
    cr_assert_eq(bufpool_alloc(&f.pool, 4096, 0, &rest), IOSIM_OK);
    cr_expect_neq(rest.offset, s.offset);
    cr_expect_eq(bufpool_alloc(&f.pool, 64, 0, &again), IOSIM_ENOMEM); /* the leak stays out */
    cr_expect_eq(bufpool_guard(&f.pool, &s), IOSIM_ENOENT);
    cr_assert_eq(bufpool_free(&f.pool, &rest), IOSIM_OK);
    cr_expect_eq(bufpool_chunk_remove(&f.pool, f.chunk[0]), IOSIM_EBUSY);
    cr_expect_eq(bufpool_shrink(&f.pool), 0);
    char why[128] = "";
    cr_expect_eq(bufpool_check(&f.pool, why, sizeof why), IOSIM_OK, "%s", why);
    cr_expect_eq(bufpool_destroy(&f.pool), 1); /* the chunk is kept, deliberately */
    cr_expect_eq(f.closes.count, 0);
    free(f.mem[0]);
}

Test(bufpool_guards, forfeit_while_live_leaks_when_the_owner_frees)
{
    struct fix f;
    struct bufpool_opts o = small_opts();
    fix_open(&f, &o, 1, 8192);
    struct bufpool_slice s;
    cr_assert_eq(bufpool_alloc(&f.pool, 64, 0, &s), IOSIM_OK);
    cr_assert_eq(bufpool_guard(&f.pool, &s), IOSIM_OK);
    cr_assert_eq(bufpool_forfeit(&f.pool, &s), IOSIM_OK);
    struct bufpool_stats st;
    bufpool_stats_get(&f.pool, &st);
    cr_expect_eq(st.bytes_leaked, 0); /* still the owner's */
    cr_assert_eq(bufpool_free(&f.pool, &s), IOSIM_OK);
    bufpool_stats_get(&f.pool, &st);
    cr_expect_eq(st.bytes_leaked, 64);
    fix_close(&f);
}

/* ---- chunks -------------------------------------------------------------------------------- */

Test(bufpool_chunks, add_refuses_misaligned_short_odd_and_overlapping_memory)
{
    struct fix f;
    struct bufpool_opts o = small_opts();
    o.chunks_max = 2;
    fix_open(&f, &o, 1, 1 << 16);
    uint8_t *m = f.mem[0];
    uint32_t id;
    cr_expect_eq(bufpool_chunk_add(&f.pool, NULL, 4096, 0, NULL, NULL, &id), IOSIM_EINVAL);
    cr_expect_eq(bufpool_chunk_add(&f.pool, m + 64, 4096, 0, NULL, NULL, &id), IOSIM_EINVAL);
    cr_expect_eq(bufpool_chunk_add(&f.pool, m, 0, 0, NULL, NULL, &id), IOSIM_EINVAL);
    void *other = tb_chunk_mem(8192, 4096);
    cr_expect_eq(bufpool_chunk_add(&f.pool, other, 4000, 0, NULL, NULL, &id), IOSIM_EINVAL);
    cr_expect_eq(bufpool_chunk_add(&f.pool, m + 4096, 4096, 0, NULL, NULL, &id), IOSIM_EEXIST);
    cr_expect_eq(bufpool_chunk_add(&f.pool, other, 8192, 7, NULL, NULL, &id), IOSIM_OK);
    void *third = tb_chunk_mem(8192, 4096);
    cr_expect_eq(bufpool_chunk_add(&f.pool, third, 8192, 0, NULL, NULL, &id), IOSIM_ENOSPC);
    fix_close(&f);
    free(other);
    free(third);
}

Test(bufpool_chunks, slices_never_span_two_chunks_even_when_adjacent)
{
    struct bufpool_opts o = small_opts();
    o.size_max = 8192;
    struct bufpool p;
    cr_assert_eq(bufpool_init(&p, &o), IOSIM_OK);
    uint8_t *m = tb_chunk_mem(8192, 4096);
    uint32_t a, b;
    cr_assert_eq(bufpool_chunk_add(&p, m, 4096, 0, NULL, NULL, &a), IOSIM_OK);
    cr_assert_eq(bufpool_chunk_add(&p, m + 4096, 4096, 4096, NULL, NULL, &b), IOSIM_OK);
    struct bufpool_slice s;
    cr_expect_eq(bufpool_alloc(&p, 4096 + 64, 0, &s), IOSIM_ENOMEM);
    struct bufpool_slice x, y;
    cr_assert_eq(bufpool_alloc(&p, 4096, 0, &x), IOSIM_OK);
    cr_assert_eq(bufpool_alloc(&p, 4096, 0, &y), IOSIM_OK);
    cr_expect_neq(x.chunk, y.chunk);
    cr_expect_eq(bufpool_destroy(&p), 2);
    free(m);
}

Test(bufpool_chunks, remove_gives_an_empty_chunk_back_once_and_stale_ids_fail)
{
    struct fix f;
    struct bufpool_opts o = small_opts();
    fix_open(&f, &o, 2, 1 << 16);
    struct bufpool_slice s;
    cr_assert_eq(bufpool_alloc(&f.pool, 64, 0, &s), IOSIM_OK);
    uint32_t busy = s.chunk, idle = busy == f.chunk[0] ? f.chunk[1] : f.chunk[0];
    cr_expect_eq(bufpool_chunk_remove(&f.pool, busy), IOSIM_EBUSY);
    cr_expect_eq(bufpool_chunk_remove(&f.pool, idle), IOSIM_OK);
    cr_expect_eq(f.closes.count, 1);
    cr_expect_eq(f.closes.last_len, 1 << 16);
    cr_expect_eq(bufpool_chunk_remove(&f.pool, idle), IOSIM_ENOENT);
    cr_expect_eq(bufpool_chunk_remove(&f.pool, 12345), IOSIM_ENOENT);
    uint32_t again;
    void *m = tb_chunk_mem(4096, 4096);
    cr_assert_eq(bufpool_chunk_add(&f.pool, m, 4096, 0, NULL, NULL, &again), IOSIM_OK);
    cr_expect_neq(again, idle); /* the slot is reused under a new generation */
    cr_expect_eq(again & 0xffff, idle & 0xffff);
    cr_assert_eq(bufpool_free(&f.pool, &s), IOSIM_OK);
    cr_expect_eq(bufpool_shrink(&f.pool), 2);
    cr_expect_eq(f.closes.count, 2);
    struct bufpool_stats st;
    bufpool_stats_get(&f.pool, &st);
    cr_expect_eq(st.chunks, 0);
    cr_expect_eq(st.bytes_total, 0);
    fix_close(&f);
    free(m);
}

Test(bufpool_chunks, dma_chunks_report_their_bus_address)
{
    struct bufpool_opts o = small_opts();
    struct bufpool p;
    cr_assert_eq(bufpool_init(&p, &o), IOSIM_OK);
    uint32_t id;
    cr_assert_eq(bufpool_chunk_add_dma(&p, 10000, &id), IOSIM_OK);
    struct bufpool_slice s;
    cr_assert_eq(bufpool_alloc(&p, 128, 4096, &s), IOSIM_OK);
    cr_expect_eq(s.extra + s.offset, (uint64_t)(uintptr_t)s.host); /* native: bus = virtual */
    memset(s.host, 1, 128);
    cr_assert_eq(bufpool_free(&p, &s), IOSIM_OK);
    cr_expect_eq(bufpool_chunk_remove(&p, id), IOSIM_OK);
    cr_expect_eq(bufpool_destroy(&p), 0);
}

/* ---- boundaries ------------------------------------------------------------------------------- */

Test(bufpool_boundary, no_slice_crosses_a_64k_multiple_and_the_chunk_coalesces_fully)
{
    struct fix f;
    struct bufpool_opts o = tb_opts(64, 4096, 65536, 65536);
    o.slices_max = 512;
    fix_open(&f, &o, 1, 4 << 20);
    static struct bufpool_slice s[512];
    uint64_t seed = 7;
    uint32_t n = 0;
    for (uint32_t i = 0; i < 400; i++) {
        size_t len = 1 + tb_below(&seed, 65536);
        if (bufpool_alloc(&f.pool, len, 64, &s[n]) != IOSIM_OK)
            continue;
        size_t occ = (len + 63) / 64 * 64;
        cr_expect_eq(s[n].offset / 65536, (s[n].offset + occ - 1) / 65536, "slice %u", i);
        n++;
    }
    cr_expect_gt(n, 40);
    for (uint32_t i = 0; i < n; i++)
        cr_assert_eq(bufpool_free(&f.pool, &s[i]), IOSIM_OK);
    struct bufpool_stats st;
    bufpool_stats_get(&f.pool, &st);
    cr_expect_eq(st.free_ranges, 1);
    cr_expect_eq(st.largest_free_bytes, 65536); /* one slice can have one segment */
    fix_close(&f);
}

Test(bufpool_boundary, a_full_segment_is_allocatable_after_a_partial_one)
{
    struct fix f;
    struct bufpool_opts o = tb_opts(64, 4096, 65536, 65536);
    fix_open(&f, &o, 1, 3 * 65536);
    struct bufpool_slice a, b, c, d;
    cr_assert_eq(bufpool_alloc(&f.pool, 1000, 64, &a), IOSIM_OK);
    cr_assert_eq(bufpool_alloc(&f.pool, 65536, 64, &b), IOSIM_OK);
    cr_expect_eq(b.offset % 65536, 0);
    cr_assert_eq(bufpool_alloc(&f.pool, 65536, 64, &c), IOSIM_OK);
    cr_expect_eq(c.offset % 65536, 0);
    cr_expect_eq(bufpool_alloc(&f.pool, 65536, 64, &d), IOSIM_ENOMEM);
    fix_close(&f);
}

/* ---- statistics ------------------------------------------------------------------------------- */

Test(bufpool_stats, report_fragmentation_from_the_largest_free_range)
{
    struct fix f;
    struct bufpool_opts o = small_opts();
    fix_open(&f, &o, 1, 16384);
    struct bufpool_stats st;
    bufpool_stats_get(&f.pool, &st);
    cr_expect_eq(st.fragmentation_ppm, 0);
    cr_expect_eq(st.largest_free_bytes, 16384);
    struct bufpool_slice s[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(bufpool_alloc(&f.pool, 4096, 0, &s[i]), IOSIM_OK);
    cr_assert_eq(bufpool_free(&f.pool, &s[0]), IOSIM_OK);
    cr_assert_eq(bufpool_free(&f.pool, &s[2]), IOSIM_OK);
    bufpool_stats_get(&f.pool, &st);
    cr_expect_eq(st.bytes_free, 8192);
    cr_expect_eq(st.largest_free_bytes, 4096);
    cr_expect_eq(st.fragmentation_ppm, 500000);
    cr_expect_eq(st.free_ranges, 2);
    cr_expect_eq(st.allocs, 4);
    cr_expect_eq(st.frees, 2);
    fix_close(&f);
}

/* ---- walk -------------------------------------------------------------------------------------- */

struct walk_log {
    uint32_t n;
    uint64_t off[8], len[8];
    enum bufpool_block_state st[8];
};

static void log_block(void *ctx, uint32_t chunk, uint64_t off, uint64_t len,
                      enum bufpool_block_state st, uint32_t guards)
{
    (void)chunk, (void)guards;
    struct walk_log *w = ctx;
    if (w->n < 8) {
        w->off[w->n] = off;
        w->len[w->n] = len;
        w->st[w->n] = st;
    }
    w->n++;
}

Test(bufpool_walk, reports_blocks_in_address_order)
{
    struct fix f;
    struct bufpool_opts o = small_opts();
    fix_open(&f, &o, 1, 4096);
    struct bufpool_slice a, b;
    cr_assert_eq(bufpool_alloc(&f.pool, 1024, 0, &a), IOSIM_OK);
    cr_assert_eq(bufpool_alloc(&f.pool, 1024, 0, &b), IOSIM_OK);
    cr_assert_eq(bufpool_guard(&f.pool, &b), IOSIM_OK);
    cr_assert_eq(bufpool_free(&f.pool, &b), IOSIM_OK);
    struct walk_log w = {0};
    bufpool_walk(&f.pool, log_block, &w);
    cr_assert_eq(w.n, 3);
    cr_expect_eq(w.st[0], BUFPOOL_BLOCK_LIVE);
    cr_expect_eq(w.st[1], BUFPOOL_BLOCK_DEFERRED);
    cr_expect_eq(w.st[2], BUFPOOL_BLOCK_FREE);
    cr_expect_eq(w.off[2], 2048);
    cr_expect_eq(w.len[2], 2048);
    cr_assert_eq(bufpool_unguard(&f.pool, &b), IOSIM_OK);
    fix_close(&f);
}
