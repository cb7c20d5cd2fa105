/* sim/capture/replay: a capture's SCSI commands as a replayable workload -
 * which commands are replayed, their think times, the block size, the
 * device chosen - against a plain reference on random command lists. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "impl/port/spec/scsi.h"
#include "sim/capture/replay.h"
#include "tests/impl/splitmix.h"

static struct cap_scsi_cmd cmd(uint8_t dev, uint8_t opcode, uint64_t lba, uint32_t blocks,
                               uint32_t block_bytes, uint64_t start, uint64_t end)
{
    return (struct cap_scsi_cmd){.bus = 1, .dev = dev, .opcode = opcode, .lba = lba,
                                 .blocks = blocks, .len = blocks * block_bytes,
                                 .dir = "in", .status = "good", .start_ns = start, .end_ns = end};
}

Test(replay, reads_writes_flushes_replayed_the_rest_counted)
{
    struct cap_scsi_cmd c[] = {
        cmd(4, SCSI_OP_INQUIRY, 0, 0, 0, 0, 10),
        cmd(4, SCSI_OP_READ_10, 100, 8, 512, 20, 120),
        cmd(4, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 150, 160),
        cmd(4, SCSI_OP_WRITE_16, 7, 1, 512, 300, 900),
        cmd(4, SCSI_OP_SYNC_CACHE_10, 0, 0, 0, 1000, 5000),
        cmd(4, SCSI_OP_READ_10, 0, 0, 512, 5100, 5200), /* no data: not replayable */
        cmd(4, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 6000, 6010),
    };
    struct cap_scsi sc = {.c = c, .n = sizeof c / sizeof c[0]};
    struct cap_replay r;
    cr_assert_eq(cap_replay_build(&sc, CAP_REPLAY_ANY, 0, &r), IOSIM_OK);
    cr_expect(r.bus == 1 && r.dev == 4);
    cr_expect_eq(r.commands, 7);
    cr_assert_eq(r.n, 3);
    cr_expect(r.io[0].op == 'r' && r.io[0].lba == 100 && r.io[0].blocks == 8 && r.io[0].think_ns == 0);
    cr_expect_eq(r.io[0].latency_ns, 100);
    cr_expect(r.io[1].op == 'w' && r.io[1].lba == 7 && r.io[1].think_ns == 180,
              "think: from the read's end (120) to the write's start (300)");
    cr_expect(r.io[2].op == 'f' && r.io[2].blocks == 0 && r.io[2].think_ns == 100);
    cr_expect_eq(r.block_bytes, 512);
    cr_expect_eq(r.end_lba, 108);
    cr_expect_eq(r.span_ns, 6010);
    cr_assert_eq(r.nother, 3);
    cr_expect(r.other[0].opcode == SCSI_OP_INQUIRY && r.other[0].count == 1);
    cr_expect(r.other[1].opcode == SCSI_OP_TEST_UNIT_READY && r.other[1].count == 2);
    cr_expect(r.other[2].opcode == SCSI_OP_READ_10 && r.other[2].count == 1);
    cap_replay_free(&r);
}

Test(replay, the_device_asked_for_or_the_busiest_and_the_block_size_it_implies)
{
    struct cap_scsi_cmd c[] = {
        cmd(2, SCSI_OP_READ_10, 1, 1, 4096, 0, 5),
        cmd(3, SCSI_OP_READ_10, 1, 2, 2048, 10, 20),
        cmd(3, SCSI_OP_READ_10, 9, 2, 2048, 30, 40),
    };
    struct cap_scsi sc = {.c = c, .n = 3};
    struct cap_replay r;
    cr_assert_eq(cap_replay_build(&sc, CAP_REPLAY_ANY, 0, &r), IOSIM_OK);
    cr_expect(r.dev == 3 && r.n == 2 && r.block_bytes == 2048 && r.end_lba == 11);
    cap_replay_free(&r);
    cr_assert_eq(cap_replay_build(&sc, 1, 2, &r), IOSIM_OK);
    cr_expect(r.dev == 2 && r.n == 1 && r.block_bytes == 4096);
    cap_replay_free(&r);
    cr_expect_eq(cap_replay_build(&sc, 1, 9, &r), IOSIM_ENOENT);
    cap_replay_free(&r);
    struct cap_scsi none = {0};
    cr_expect_eq(cap_replay_build(&none, CAP_REPLAY_ANY, 0, &r), IOSIM_ENOENT);
    cap_replay_free(&r);
}

/* Random lists of commands of three devices, against a reference that
 * filters and subtracts the obvious way. */
Test(replay, random_command_lists_against_a_reference)
{
    static const uint8_t ops[] = {SCSI_OP_READ_10, SCSI_OP_WRITE_10, SCSI_OP_READ_16,
                                  SCSI_OP_WRITE_16, SCSI_OP_SYNC_CACHE_10, SCSI_OP_INQUIRY,
                                  SCSI_OP_TEST_UNIT_READY, SCSI_OP_REQUEST_SENSE};
    static struct cap_scsi_cmd c[400];
    uint64_t rng = 0x5eed;
    for (int round = 0; round < 300; round++) {
        size_t n = next_rand(&rng) % 400;
        uint64_t t = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t x = next_rand(&rng);
            uint64_t start = t + x % 1000, end = start + 1 + (x >> 10) % 5000;
            uint8_t op = ops[(x >> 24) % sizeof ops];
            uint32_t blocks = op == SCSI_OP_INQUIRY || op == SCSI_OP_TEST_UNIT_READY ||
                                      op == SCSI_OP_REQUEST_SENSE || op == SCSI_OP_SYNC_CACHE_10
                                  ? 0
                                  : (uint32_t)((x >> 32) % 256);
            c[i] = cmd((uint8_t)(1 + (x >> 40) % 3), op, (x >> 44) % 100000, blocks, 512, start, end);
            t = end;
        }
        struct cap_scsi sc = {.c = c, .n = n};
        struct cap_replay r;
        enum iosim_err e = cap_replay_build(&sc, 1, 2, &r);
        size_t k = 0, cmds = 0;
        uint64_t last_end = 0;
        for (size_t i = 0; i < n; i++) {
            if (c[i].dev != 2)
                continue;
            cmds++;
            bool data = c[i].opcode != SCSI_OP_INQUIRY && c[i].opcode != SCSI_OP_TEST_UNIT_READY &&
                        c[i].opcode != SCSI_OP_REQUEST_SENSE;
            if (!data || (c[i].opcode != SCSI_OP_SYNC_CACHE_10 && c[i].blocks == 0))
                continue;
            cr_assert_lt(k, r.n, "round %d", round);
            uint64_t think = k == 0 ? 0 : c[i].start_ns - last_end;
            cr_assert(r.io[k].lba == (c[i].opcode == SCSI_OP_SYNC_CACHE_10 ? 0 : c[i].lba) &&
                          r.io[k].think_ns == think && r.io[k].opcode == c[i].opcode,
                      "round %d request %zu", round, k);
            last_end = c[i].end_ns;
            k++;
        }
        cr_assert_eq(e, cmds > 0 ? IOSIM_OK : IOSIM_ENOENT, "round %d", round);
        cr_expect_eq(r.n, k, "round %d", round);
        cr_expect_eq(r.commands, cmds, "round %d", round);
        cap_replay_free(&r);
    }
}

/* A hostile capture's READ past 2^48 blocks (or wrapping 2^64) is not
 * replayed: no simulated device holds it. */
Test(replay, commands_past_any_simulated_device_are_not_replayed)
{
    struct cap_scsi_cmd c[] = {
        cmd(4, SCSI_OP_READ_16, CAP_REPLAY_LBA_MAX, 1, 512, 0, 10),
        cmd(4, SCSI_OP_READ_16, UINT64_MAX, 8, 512, 20, 30),
        cmd(4, SCSI_OP_READ_16, CAP_REPLAY_LBA_MAX - 8, 8, 512, 40, 50),
    };
    struct cap_scsi sc = {.c = c, .n = 3};
    struct cap_replay r;
    cr_assert_eq(cap_replay_build(&sc, CAP_REPLAY_ANY, 0, &r), IOSIM_OK);
    cr_expect_eq(r.n, 1, "only the last fits");
    cr_expect_eq(r.end_lba, CAP_REPLAY_LBA_MAX);
    cr_expect(r.nother == 1 && r.other[0].count == 2);
    cap_replay_free(&r);
}

/* The unit's size is READ CAPACITY's answer (a good one, the last), in
 * the replay's blocks, when it covers every request. */
Test(replay, the_units_size_from_read_capacity)
{
    struct cap_scsi_cmd c[] = {
        cmd(4, SCSI_OP_READ_CAPACITY_10, 0, 0, 0, 0, 10),
        cmd(4, SCSI_OP_READ_10, 100, 8, 512, 20, 30),
        cmd(4, SCSI_OP_READ_CAPACITY_10, 0, 0, 0, 40, 50),
    };
    c[0].capacity_blocks = 1000, c[0].capacity_block_bytes = 512;
    c[2].capacity_blocks = 3000, c[2].capacity_block_bytes = 512, c[2].status = "check_condition";
    struct cap_scsi sc = {.c = c, .n = 3};
    struct cap_replay r;
    cr_assert_eq(cap_replay_build(&sc, CAP_REPLAY_ANY, 0, &r), IOSIM_OK);
    cr_expect_eq(r.capacity_blocks, 1000, "the good answer, not the failed one's");
    cr_expect_eq(r.end_lba, 108);
    cap_replay_free(&r);
    c[0].capacity_block_bytes = 4096; /* a 4 KiB-block unit read in 512-byte commands */
    cr_assert_eq(cap_replay_build(&sc, CAP_REPLAY_ANY, 0, &r), IOSIM_OK);
    cr_expect_eq(r.capacity_blocks, 8000, "in the replay's 512-byte blocks");
    cap_replay_free(&r);
}
