/* impl/ring against a trivial reference queue, on random operation
 * sequences; and a fuzz test where a hostile peer scribbles on the header. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "tests/impl/ring/ring_test_util.h"
#include "tests/impl/splitmix.h"


struct ref {
    uint64_t q[1 << 12];
    uint32_t head, len, cap;
    bool pusher_down, popper_down;
};

static enum iosim_err ref_push(struct ref *r, const uint64_t *v, uint32_t k)
{
    if (r->pusher_down || r->popper_down)
        return IOSIM_ESHUTDOWN;
    if (r->cap - r->len < k)
        return IOSIM_EAGAIN;
    for (uint32_t i = 0; i < k; i++)
        r->q[(r->head + r->len++) % r->cap] = v[i];
    return IOSIM_OK;
}

static enum iosim_err ref_pop(struct ref *r, uint64_t *out, uint32_t max, uint32_t *n)
{
    *n = 0;
    if (r->len == 0)
        return r->pusher_down ? IOSIM_ESHUTDOWN : IOSIM_EAGAIN;
    while (*n < max && r->len > 0) {
        out[(*n)++] = r->q[r->head];
        r->head = (r->head + 1) % r->cap;
        r->len--;
    }
    return IOSIM_OK;
}

static void model_run(uint64_t seed, uint32_t count, uint32_t steps)
{
    struct test_ring t;
    cr_assert_eq(test_ring_open(&t, count, RING_SQE64), 0);
    static struct ref ref;
    ref = (struct ref){.cap = count};
    uint64_t rs = seed, next = 1;
    static struct ring_sqe64 buf[1 << 12];
    static uint64_t vals[1 << 12];
    for (uint32_t step = 0; step < steps; step++) {
        uint32_t op = below(&rs, 100);
        if (op < 45) {
            uint32_t k = op < 25 ? 1 : 1 + below(&rs, count);
            for (uint32_t i = 0; i < k; i++) {
                vals[i] = next + i;
                buf[i] = test_sqe(vals[i]);
            }
            enum iosim_err got = k == 1 ? ring_push(&t.tx, buf) : ring_push_batch(&t.tx, buf, k);
            enum iosim_err want = ref_push(&ref, vals, k);
            cr_assert_eq(got, want, "seed %llu step %u: push %u gave %s, want %s",
                         (unsigned long long)seed, step, k, iosim_err_name(got),
                         iosim_err_name(want));
            if (got == IOSIM_OK)
                next += k;
        } else if (op < 95) {
            uint32_t max = op < 70 ? 1 : 1 + below(&rs, count), n = 0, wn = 0;
            enum iosim_err got = ring_pop_batch(&t.rx, buf, max, &n);
            enum iosim_err want = ref_pop(&ref, vals, max, &wn);
            cr_assert_eq(got, want, "seed %llu step %u: pop gave %s, want %s",
                         (unsigned long long)seed, step, iosim_err_name(got),
                         iosim_err_name(want));
            cr_assert_eq(n, wn, "seed %llu step %u: popped %u, want %u", (unsigned long long)seed,
                         step, n, wn);
            for (uint32_t i = 0; i < n; i++) {
                struct ring_sqe64 w = test_sqe(vals[i]);
                cr_assert_eq(memcmp(&buf[i], &w, sizeof w), 0, "seed %llu step %u entry %u",
                             (unsigned long long)seed, step, i);
            }
        } else if (op < 97) {
            uint32_t space = 0, avail = 0;
            cr_assert_eq(ring_pop_available(&t.rx, &avail), IOSIM_OK);
            cr_assert_eq(avail, ref.len);
            if (!ref.pusher_down && !ref.popper_down) {
                cr_assert_eq(ring_push_space(&t.tx, &space), IOSIM_OK);
                cr_assert_eq(space, ref.cap - ref.len);
            }
        } else if (op < 99) {
            ring_pusher_shutdown(&t.tx);
            ref.pusher_down = true;
        } else if (below(&rs, 4) == 0) {
            ring_popper_shutdown(&t.rx);
            ref.popper_down = true;
        }
    }
    test_ring_close(&t);
}

Test(ring_model, matches_a_reference_queue_on_random_operations)
{
    const uint32_t counts[] = {1, 2, 4, 8, 64, 1024};
    for (uint64_t seed = 1; seed <= 40; seed++)
        model_run(seed, counts[seed % 6], 5000);
}

/* ---- a hostile peer ---------------------------------------------------------------- */

static uint32_t hostile_value(uint64_t *rs, uint32_t count)
{
    switch (below(rs, 6)) {
    case 0: return (uint32_t)next_rand(rs);
    case 1: return 2 * count + below(rs, 8);
    case 2: return below(rs, 2 * count);
    case 3: return UINT32_MAX - below(rs, 4);
    case 4: return count;
    default: return 0;
    }
}

static void scribble(struct test_ring *t, uint64_t *rs)
{
    port_atomic_u32 *fields[] = {&t->hdr->shared_count, &t->hdr->shared_head,
                                 &t->hdr->shared_tail, &t->hdr->shared_status,
                                 &t->hdr->shared_push_epoch, &t->hdr->shared_pop_epoch};
    port_store_u32(fields[below(rs, 6)], hostile_value(rs, t->count), PORT_RELAXED);
    if (below(rs, 4) == 0) {
        struct ring_sqe64 *slots = t->entries;
        slots[below(rs, t->count)].reserved[below(rs, 2)] = next_rand(rs);
    }
}

Test(ring_fuzz, a_hostile_header_never_causes_an_out_of_bounds_access)
{
    for (uint64_t seed = 1; seed <= 300; seed++) {
        uint64_t rs = seed * 7919;
        uint32_t count = 1u << below(&rs, 8);
        struct test_ring t;
        cr_assert_eq(test_ring_open(&t, count, RING_SQE64), 0);
        bool tx_broken = false, rx_broken = false;
        struct ring_sqe64 buf[256];
        for (int step = 0; step < 400; step++) {
            if (below(&rs, 5) == 0)
                scribble(&t, &rs);
            uint32_t n, k = 1 + below(&rs, count);
            for (uint32_t i = 0; i < k; i++)
                buf[i] = test_sqe(i);
            enum iosim_err e = below(&rs, 2) ? ring_push_batch(&t.tx, buf, k)
                                             : ring_pop_batch(&t.rx, buf, k, &n);
            cr_assert(e == IOSIM_OK || e == IOSIM_EAGAIN || e == IOSIM_ESHUTDOWN ||
                          e == IOSIM_EPROTO,
                      "seed %llu: %s", (unsigned long long)seed, iosim_err_name(e));
            if (t.tx.broken)
                tx_broken = true;
            if (t.rx.broken)
                rx_broken = true;
            cr_assert(!tx_broken || t.tx.broken, "broken is sticky");
            cr_assert(!rx_broken || t.rx.broken, "broken is sticky");
        }
        test_ring_close(&t);
    }
}
