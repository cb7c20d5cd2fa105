/* impl/ring on the native port: layouts, full/empty/cycle for every size,
 * batches, shutdown, epochs, broken-ring detection. */
#include <criterion/criterion.h>
#include <stddef.h>

#include "tests/impl/ring/ring_test_util.h"

/* ---- layouts (the spec table of shared/reference/redox-io_uring.md) ---- */

struct field {
    const char *name;
    size_t offset, size, want_offset, want_size;
};

#define F(type, member, off, sz) \
    {#type "." #member, offsetof(struct type, member), sizeof(((struct type *)0)->member), off, sz}

static const struct field fields[] = {
    F(ring_sqe64, opcode, 0, 1), F(ring_sqe64, flags, 1, 1), F(ring_sqe64, priority, 2, 2),
    F(ring_sqe64, syscall_flags, 4, 4), F(ring_sqe64, fd, 8, 8), F(ring_sqe64, len, 16, 8),
    F(ring_sqe64, user_data, 24, 8), F(ring_sqe64, addr, 32, 8), F(ring_sqe64, offset, 40, 8),
    F(ring_sqe64, reserved, 48, 16),
    F(ring_cqe64, user_data, 0, 8), F(ring_cqe64, status, 8, 8), F(ring_cqe64, flags, 16, 8),
    F(ring_cqe64, extra, 24, 8),
    F(ring_sqe32, opcode, 0, 1), F(ring_sqe32, flags, 1, 1), F(ring_sqe32, priority, 2, 2),
    F(ring_sqe32, syscall_flags, 4, 4), F(ring_sqe32, fd, 8, 4), F(ring_sqe32, len, 12, 4),
    F(ring_sqe32, user_data, 16, 4), F(ring_sqe32, addr, 20, 4), F(ring_sqe32, offset, 24, 8),
    F(ring_cqe32, user_data, 0, 4), F(ring_cqe32, status, 4, 4), F(ring_cqe32, flags, 8, 4),
    F(ring_cqe32, extra, 12, 4),
};

Test(ring_layout, every_field_has_the_documented_offset_and_size)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        cr_expect_eq(fields[i].offset, fields[i].want_offset, "%s offset", fields[i].name);
        cr_expect_eq(fields[i].size, fields[i].want_size, "%s size", fields[i].name);
    }
}

Test(ring_layout, entries_have_the_documented_sizes_and_alignments)
{
    cr_expect_eq(sizeof(struct ring_sqe64), 64);
    cr_expect_eq(_Alignof(struct ring_sqe64), 64);
    cr_expect_eq(sizeof(struct ring_cqe64), 32);
    cr_expect_eq(_Alignof(struct ring_cqe64), 32);
    cr_expect_eq(sizeof(struct ring_sqe32), 32);
    cr_expect_eq(sizeof(struct ring_cqe32), 16);
    cr_expect_eq(ring_entry_size(RING_SQE64), 64);
    cr_expect_eq(ring_entry_size(RING_CQE64), 32);
    cr_expect_eq(ring_entry_size(RING_SQE32), 32);
    cr_expect_eq(ring_entry_size(RING_CQE32), 16);
}

Test(ring_layout, header_counters_each_have_their_own_line)
{
    size_t offs[] = {offsetof(struct ring_header, shared_count),
                     offsetof(struct ring_header, shared_head),
                     offsetof(struct ring_header, shared_tail),
                     offsetof(struct ring_header, shared_status),
                     offsetof(struct ring_header, shared_push_epoch),
                     offsetof(struct ring_header, shared_pop_epoch)};
    for (size_t i = 0; i < 6; i++) {
        cr_expect_eq(offs[i] % RING_LINE_BYTES, 0);
        if (i > 0)
            cr_expect_geq(offs[i] - offs[i - 1], RING_LINE_BYTES);
    }
    cr_expect_leq(sizeof(struct ring_header), RING_HEADER_BYTES);
}

/* ---- full, empty and the cycle rule, for every size ---------------------- */

static void full_empty_cycle(uint32_t n)
{
    struct test_ring t;
    cr_assert_eq(test_ring_open(&t, n, RING_SQE64), 0);
    struct ring_sqe64 e, got;
    uint64_t next_in = 0, next_out = 0;
    for (int round = 0; round < 5; round++) {
        cr_assert_eq(ring_pop(&t.rx, &got), IOSIM_EAGAIN, "n %u: empty pops nothing", n);
        for (uint32_t i = 0; i < n; i++) {
            e = test_sqe(next_in++);
            cr_assert_eq(ring_push(&t.tx, &e), IOSIM_OK, "n %u round %d push %u", n, round, i);
        }
        e = test_sqe(999);
        cr_assert_eq(ring_push(&t.tx, &e), IOSIM_EAGAIN, "n %u: full takes nothing", n);
        uint32_t space = 99, avail = 0;
        cr_assert_eq(ring_push_space(&t.tx, &space), IOSIM_OK);
        cr_assert_eq(ring_pop_available(&t.rx, &avail), IOSIM_OK);
        cr_assert_eq(space, 0);
        cr_assert_eq(avail, n);
        /* pop half, push half again: the indices cross the cycle boundary */
        for (uint32_t i = 0; i < (n + 1) / 2; i++) {
            cr_assert_eq(ring_pop(&t.rx, &got), IOSIM_OK);
            e = test_sqe(next_out++);
            cr_assert_eq(memcmp(&got, &e, sizeof e), 0, "n %u: FIFO order", n);
        }
        for (uint32_t i = 0; i < (n + 1) / 2; i++) {
            e = test_sqe(next_in++);
            cr_assert_eq(ring_push(&t.tx, &e), IOSIM_OK);
        }
        for (uint32_t i = 0; i < n; i++) {
            cr_assert_eq(ring_pop(&t.rx, &got), IOSIM_OK);
            e = test_sqe(next_out++);
            cr_assert_eq(memcmp(&got, &e, sizeof e), 0);
        }
        uint32_t h = port_load_u32(&t.hdr->shared_head, PORT_RELAXED);
        uint32_t tl = port_load_u32(&t.hdr->shared_tail, PORT_RELAXED);
        cr_assert_eq(h, tl);
        cr_assert_lt(h, 2 * n, "indices stay in [0, 2n)");
    }
    test_ring_close(&t);
}

Test(ring, full_empty_and_cycle_hold_for_every_power_of_two_up_to_4096)
{
    for (uint32_t n = 1; n <= 4096; n *= 2)
        full_empty_cycle(n);
}

Test(ring, sizes_that_are_not_powers_of_two_are_refused)
{
    struct ring_header hdr;
    const uint32_t bad[] = {0, 3, 6, 100, RING_COUNT_MAX + 1, RING_COUNT_MAX * 2, UINT32_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(ring_header_init(&hdr, bad[i]), IOSIM_EINVAL, "count %u", bad[i]);
    cr_expect_eq(ring_header_init(&hdr, RING_COUNT_MAX), IOSIM_OK);
}

Test(ring, every_entry_kind_round_trips)
{
    const enum ring_entry_kind kinds[] = {RING_SQE64, RING_CQE64, RING_SQE32, RING_CQE32};
    for (size_t k = 0; k < 4; k++) {
        struct test_ring t;
        cr_assert_eq(test_ring_open(&t, 8, kinds[k]), 0);
        uint8_t in[64], out[64];
        for (int i = 0; i < 20; i++) {
            memset(in, 0, sizeof in);
            for (uint32_t b = 0; b < 48 && b < ring_entry_size(kinds[k]); b++)
                in[b] = (uint8_t)(i * 7 + b);
            cr_assert_eq(ring_push(&t.tx, in), IOSIM_OK);
            memset(out, 0xff, sizeof out);
            cr_assert_eq(ring_pop(&t.rx, out), IOSIM_OK);
            cr_assert_eq(memcmp(in, out, ring_entry_size(kinds[k])), 0, "kind %zu", k);
        }
        test_ring_close(&t);
    }
}

/* ---- batches --------------------------------------------------------------- */

Test(ring, push_batch_is_all_or_nothing)
{
    struct test_ring t;
    cr_assert_eq(test_ring_open(&t, 16, RING_SQE64), 0);
    struct ring_sqe64 in[16], out[16];
    for (int i = 0; i < 16; i++)
        in[i] = test_sqe((uint64_t)i);
    cr_assert_eq(ring_push_batch(&t.tx, in, 10), IOSIM_OK);
    cr_assert_eq(ring_push_batch(&t.tx, in, 7), IOSIM_EAGAIN, "only 6 slots are free");
    uint32_t n = 0;
    cr_assert_eq(ring_pop_available(&t.rx, &n), IOSIM_OK);
    cr_assert_eq(n, 10, "the refused batch left nothing behind");
    cr_assert_eq(ring_push_batch(&t.tx, in, 6), IOSIM_OK);
    cr_assert_eq(ring_pop_batch(&t.rx, out, 16, &n), IOSIM_OK);
    cr_assert_eq(n, 16);
    for (int i = 0; i < 16; i++)
        cr_assert_eq(out[i].fd, (uint64_t)(i < 10 ? i : i - 10));
    cr_assert_eq(ring_pop_batch(&t.rx, out, 16, &n), IOSIM_EAGAIN);
    cr_assert_eq(n, 0);
    test_ring_close(&t);
}

Test(ring, batches_wrap_around_the_end_of_the_array)
{
    struct test_ring t;
    cr_assert_eq(test_ring_open(&t, 8, RING_CQE64), 0);
    struct ring_cqe64 in[8], out[8];
    uint64_t seq_in = 0, seq_out = 0;
    for (int round = 0; round < 50; round++) {
        uint32_t k = (uint32_t)(round % 8) + 1, n;
        for (uint32_t i = 0; i < k; i++)
            in[i] = (struct ring_cqe64){.user_data = seq_in++, .status = 1, .flags = 2};
        cr_assert_eq(ring_push_batch(&t.tx, in, k), IOSIM_OK);
        cr_assert_eq(ring_pop_batch(&t.rx, out, 3, &n), IOSIM_OK);
        for (uint32_t i = 0; i < n; i++)
            cr_assert_eq(out[i].user_data, seq_out++);
        while (ring_pop_batch(&t.rx, out, 8, &n) == IOSIM_OK)
            for (uint32_t i = 0; i < n; i++)
                cr_assert_eq(out[i].user_data, seq_out++);
    }
    cr_assert_eq(seq_in, seq_out);
    test_ring_close(&t);
}

/* ---- shutdown, epochs -------------------------------------------------------- */

Test(ring, pusher_shutdown_lets_the_popper_drain_then_reports_shutdown)
{
    struct test_ring t;
    cr_assert_eq(test_ring_open(&t, 4, RING_SQE64), 0);
    struct ring_sqe64 e = test_sqe(1), got;
    cr_assert_eq(ring_push(&t.tx, &e), IOSIM_OK);
    cr_assert_eq(ring_push(&t.tx, &e), IOSIM_OK);
    ring_pusher_shutdown(&t.tx);
    ring_pusher_shutdown(&t.tx); /* idempotent */
    cr_assert_eq(ring_push(&t.tx, &e), IOSIM_ESHUTDOWN);
    cr_assert_eq(ring_pop(&t.rx, &got), IOSIM_OK);
    cr_assert_eq(ring_pop(&t.rx, &got), IOSIM_OK);
    cr_assert_eq(ring_pop(&t.rx, &got), IOSIM_ESHUTDOWN);
    cr_assert_eq(ring_pop(&t.rx, &got), IOSIM_ESHUTDOWN);
    cr_assert(ring_status(t.hdr) & RING_STATUS_PUSHER_DOWN);
    test_ring_close(&t);
}

Test(ring, popper_shutdown_makes_pushes_fail)
{
    struct test_ring t;
    cr_assert_eq(test_ring_open(&t, 4, RING_SQE64), 0);
    struct ring_sqe64 e = test_sqe(1);
    ring_popper_shutdown(&t.rx);
    cr_assert_eq(ring_push(&t.tx, &e), IOSIM_ESHUTDOWN);
    cr_assert_eq(ring_push_batch(&t.tx, &e, 1), IOSIM_ESHUTDOWN);
    cr_assert(ring_status(t.hdr) & RING_STATUS_POPPER_DOWN);
    test_ring_close(&t);
}

Test(ring, epochs_count_publications_and_notifications)
{
    struct test_ring t;
    cr_assert_eq(test_ring_open(&t, 8, RING_SQE64), 0);
    struct ring_sqe64 e[3] = {test_sqe(1), test_sqe(2), test_sqe(3)}, out[3];
    uint32_t n;
    cr_assert_eq(ring_push_epoch(t.hdr), 0);
    cr_assert_eq(ring_push(&t.tx, &e[0]), IOSIM_OK);
    cr_assert_eq(ring_push_batch(&t.tx, e, 3), IOSIM_OK);
    cr_assert_eq(ring_push_epoch(t.hdr), 2, "a batch is one publication");
    cr_assert_eq(ring_push(&t.tx, &e[0]), IOSIM_OK);
    cr_assert_eq(ring_pop_batch(&t.rx, out, 3, &n), IOSIM_OK);
    cr_assert_eq(ring_pop_epoch(t.hdr), 1);
    ring_pusher_notify(&t.tx);
    ring_popper_notify(&t.rx);
    cr_assert_eq(ring_push_epoch(t.hdr), 4);
    cr_assert_eq(ring_pop_epoch(t.hdr), 2);
    struct ring_sqe64 full[8] = {{0}};
    cr_assert_eq(ring_push_batch(&t.tx, full, 8), IOSIM_EAGAIN);
    cr_assert_eq(ring_push_epoch(t.hdr), 4, "a refused push publishes nothing");
    test_ring_close(&t);
}

/* ---- hostile peers ---------------------------------------------------------------- */

Test(ring_hostile, a_tail_outside_the_index_space_breaks_the_ring)
{
    struct test_ring t;
    cr_assert_eq(test_ring_open(&t, 8, RING_SQE64), 0);
    struct ring_sqe64 got;
    port_store_u32(&t.hdr->shared_tail, 16, PORT_RELAXED); /* 2n: out of range */
    cr_assert_eq(ring_pop(&t.rx, &got), IOSIM_EPROTO);
    port_store_u32(&t.hdr->shared_tail, 0, PORT_RELAXED);
    cr_assert_eq(ring_pop(&t.rx, &got), IOSIM_EPROTO, "broken stays broken");
    cr_assert(ring_status(t.hdr) & RING_STATUS_BROKEN);
    struct ring_sqe64 e = test_sqe(1);
    cr_assert_eq(ring_push(&t.tx, &e), IOSIM_EPROTO, "the peer learns it from the status");
    test_ring_close(&t);
}

Test(ring_hostile, a_tail_more_than_count_ahead_breaks_the_ring)
{
    struct test_ring t;
    cr_assert_eq(test_ring_open(&t, 8, RING_SQE64), 0);
    struct ring_sqe64 got;
    port_store_u32(&t.hdr->shared_tail, 9, PORT_RELAXED); /* inside [0,16) but 9 > 8 ahead */
    cr_assert_eq(ring_pop(&t.rx, &got), IOSIM_EPROTO);
    test_ring_close(&t);
}

Test(ring_hostile, a_head_moving_backwards_breaks_the_ring)
{
    struct test_ring t;
    cr_assert_eq(test_ring_open(&t, 4, RING_SQE64), 0);
    struct ring_sqe64 e = test_sqe(1), got;
    for (int i = 0; i < 4; i++)
        cr_assert_eq(ring_push(&t.tx, &e), IOSIM_OK);
    cr_assert_eq(ring_pop(&t.rx, &got), IOSIM_OK);
    cr_assert_eq(ring_push(&t.tx, &e), IOSIM_OK); /* tail 5, head 1 */
    port_store_u32(&t.hdr->shared_head, 7, PORT_RELAXED); /* "behind" tail by 6 > 4 */
    cr_assert_eq(ring_push(&t.tx, &e), IOSIM_EPROTO);
    test_ring_close(&t);
}

Test(ring_hostile, a_count_that_does_not_match_refuses_attach)
{
    struct test_ring t;
    cr_assert_eq(test_ring_open(&t, 8, RING_SQE64), 0);
    struct ring_pusher tx;
    struct ring_popper rx;
    cr_expect_eq(ring_pusher_attach(&tx, t.hdr, t.entries, 16, RING_SQE64), IOSIM_EPROTO);
    port_store_u32(&t.hdr->shared_count, 4, PORT_RELAXED);
    cr_expect_eq(ring_popper_attach(&rx, t.hdr, t.entries, 8, RING_SQE64), IOSIM_EPROTO);
    port_store_u32(&t.hdr->shared_count, 8, PORT_RELAXED);
    port_store_u32(&t.hdr->shared_tail, 0xffffffffu, PORT_RELAXED);
    cr_expect_eq(ring_popper_attach(&rx, t.hdr, t.entries, 8, RING_SQE64), IOSIM_EPROTO);
    test_ring_close(&t);
}

Test(ring_hostile, a_reserved_field_set_by_the_peer_breaks_the_ring)
{
    struct test_ring t;
    cr_assert_eq(test_ring_open(&t, 4, RING_SQE64), 0);
    struct ring_sqe64 *slots = t.entries, got;
    slots[0] = test_sqe(5);
    slots[0].reserved[1] = 1;
    port_store_u32(&t.hdr->shared_tail, 1, PORT_RELEASE);
    cr_assert_eq(ring_pop(&t.rx, &got), IOSIM_EPROTO);
    test_ring_close(&t);
}

Test(ring, pushing_an_entry_with_a_reserved_field_set_is_refused)
{
    struct test_ring t;
    cr_assert_eq(test_ring_open(&t, 4, RING_SQE64), 0);
    struct ring_sqe64 e[2] = {test_sqe(1), test_sqe(2)};
    e[1].reserved[0] = 7;
    cr_assert_eq(ring_push_batch(&t.tx, e, 2), IOSIM_EINVAL);
    cr_assert_eq(ring_push(&t.tx, &e[1]), IOSIM_EINVAL);
    uint32_t n;
    cr_assert_eq(ring_pop_available(&t.rx, &n), IOSIM_OK);
    cr_assert_eq(n, 0);
    cr_assert_eq(ring_push(&t.tx, &e[0]), IOSIM_OK, "the ring is still usable");
    test_ring_close(&t);
}
