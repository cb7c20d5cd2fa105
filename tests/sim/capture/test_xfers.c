/*
 * Transfers and SCSI commands from a capture (sim/capture/xfers.c): the
 * pairing rules one by one, then Bulk-Only Transport conversations written
 * as usbmon text - each status the scsi_cmd table knows, sense data from a
 * REQUEST SENSE, a CBW left without its CSW - and a seeded model: random
 * command scripts written out as a host would have issued them, decoded
 * back into the same commands.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/capture/xfers.h"
#include "sim/engine/rng.h"

static struct cap_capture cap;
static struct cap_xfers xf;
static struct cap_scsi sc;
static struct cap_error err;

static void fini(void)
{
    cap_scsi_free(&sc);
    cap_xfers_free(&xf);
    cap_free(&cap);
}

static void load(const char *text)
{
    cr_assert_eq(cap_parse_usbmon_text(text, strlen(text), &cap, &err), IOSIM_OK,
                 "%" PRIu64 ":%" PRIu64 ": %s", err.line, err.col, err.msg);
    cr_assert_eq(cap_xfers_build(&cap, &xf), IOSIM_OK);
    cr_assert_eq(cap_scsi_build(&cap, &xf, &sc), IOSIM_OK);
}

Test(xfers, pairing_by_tag_and_pipe, .fini = fini)
{
    load("1 100 C Bi:1:002:1 0 4 = 01020304\n"        /* its submission came before */
         "2 110 S Bi:1:002:1 -115 512 <\n"
         "3 120 S Bo:1:002:2 -115 4 = aabbccdd\n"
         "3 125 S Bo:1:003:2 -115 1 = ee\n"           /* same tag, another device */
         "3 130 C Bo:1:002:2 0 4 >\n"
         "2 140 C Bi:1:002:1 0 2 = 0506\n"
         "2 150 S Bi:1:002:1 -115 512 <\n"            /* the tag again, once completed */
         "4 160 E Bo:1:002:2 -19 0\n"
         "2 170 C Bi:1:002:1 -32 0\n");
    cr_expect_eq(xf.unmatched, 1);
    cr_expect_eq(xf.unfinished, 1, "the other device's submission never completed");
    cr_assert_eq(xf.n, 4);
    const struct cap_xfer *o = &xf.t[0], *i1 = &xf.t[1], *e = &xf.t[2], *i2 = &xf.t[3];
    cr_expect(o->urb == 3 && o->dev == 2 && o->submit_ns == 120000 && o->end_ns == 130000);
    cr_expect_eq(o->requested, 4);
    cr_expect_eq(o->actual, 4);
    cr_assert_eq(o->data_len, 4, "an OUT transfer keeps its submission's data");
    cr_expect_arr_eq(cap_xfer_data(&cap, o), ((uint8_t[]){0xaa, 0xbb, 0xcc, 0xdd}), 4);
    cr_expect(i1->urb == 2 && i1->requested == 512 && i1->actual == 2 && i1->status == 0);
    cr_assert_eq(i1->data_len, 2, "an IN transfer keeps its callback's data");
    cr_expect_eq(cap_xfer_data(&cap, i1)[1], 6);
    cr_expect(e->urb == 4 && e->status == -19 && e->submit_ns == e->end_ns && e->actual == 0);
    cr_expect(i2->submit_ns == 150000 && i2->status == -32);
    cr_expect_eq(i2->where, 9);
}

/* Found by the libFuzzer target (tests/libfuzzer/regressions): a capture
 * that kept no byte has no data arena, and its transfers' data pointers
 * were NULL + 0, undefined in C. And a clock that steps back: a transfer
 * never ends before it began. */
Test(xfers, no_data_kept_and_a_clock_stepping_back, .fini = fini)
{
    load("1 200 S Ci:1:004:0 s 80 06 0100 0000 0012 18 <\n"
         "1 150 C Ci:1:004:0 0 0\n");
    cr_assert_eq(cap.data_len, 0);
    cr_assert_eq(xf.n, 1);
    cr_expect_not_null(cap_xfer_data(&cap, &xf.t[0]));
    cr_expect_not_null(cap_data(&cap, &cap.ev[0]));
    cr_expect_eq(xf.t[0].submit_ns, 200000);
    cr_expect_eq(xf.t[0].end_ns, 200000, "ended before it began: clamped to its submission");
}

/* One BOT command as usbmon lines: CBW, optional data, CSW. */
struct bot_line_args {
    unsigned tag, lun, len, lba, blocks, data_status, csw_tag, residue, csw_status;
    uint8_t opcode;
    bool in, with_data, with_csw;
    const char *data_hex;      /* IN data kept, or NULL */
};

static size_t bot_lines(char *out, size_t cap_, uint64_t *t, const struct bot_line_args *a)
{
    uint8_t cbw[31] = {'U', 'S', 'B', 'C'};
    for (int i = 0; i < 4; i++) {
        cbw[4 + i] = (uint8_t)(a->tag >> (8 * i));
        cbw[8 + i] = (uint8_t)(a->len >> (8 * i));
    }
    cbw[12] = a->in ? 0x80 : 0;
    cbw[13] = (uint8_t)a->lun;
    cbw[14] = 10;
    cbw[15] = a->opcode;
    for (int i = 0; i < 4; i++)
        cbw[17 + i] = (uint8_t)(a->lba >> (24 - 8 * i));
    cbw[22] = (uint8_t)(a->blocks >> 8);
    cbw[23] = (uint8_t)a->blocks;
    size_t n = (size_t)snprintf(out, cap_, "c%u %" PRIu64 " S Bo:1:005:2 -115 31 =", a->tag, *t);
    for (int i = 0; i < 31; i++)
        n += (size_t)snprintf(out + n, cap_ - n, "%s%02x", i % 4 == 0 ? " " : "", cbw[i]);
    n += (size_t)snprintf(out + n, cap_ - n, "\nc%u %" PRIu64 " C Bo:1:005:2 0 31 >\n", a->tag,
                          *t + 50);
    *t += 100;
    if (a->with_data) {
        n += (size_t)snprintf(out + n, cap_ - n, "d%u %" PRIu64 " S B%c:1:005:%d -115 %u %s\n",
                              a->tag, *t, a->in ? 'i' : 'o', a->in ? 1 : 2, a->len,
                              a->in ? "<" : "= 00");
        n += (size_t)snprintf(out + n, cap_ - n, "d%u %" PRIu64 " C B%c:1:005:%d %d %u %s%s\n",
                              a->tag, *t + 400, a->in ? 'i' : 'o', a->in ? 1 : 2,
                              -(int)a->data_status, a->data_status ? 0 : a->len,
                              a->data_hex != NULL ? "= " : a->in ? "=" : ">",
                              a->data_hex != NULL ? a->data_hex : "");
        *t += 500;
    }
    if (a->with_csw) {
        uint8_t csw[13] = {'U', 'S', 'B', 'S'};
        for (int i = 0; i < 4; i++) {
            csw[4 + i] = (uint8_t)(a->csw_tag >> (8 * i));
            csw[8 + i] = (uint8_t)(a->residue >> (8 * i));
        }
        csw[12] = (uint8_t)a->csw_status;
        n += (size_t)snprintf(out + n, cap_ - n, "f%u %" PRIu64 " S Bi:1:005:1 -115 13 <\n",
                              a->tag, *t);
        n += (size_t)snprintf(out + n, cap_ - n, "f%u %" PRIu64 " C Bi:1:005:1 0 13 =", a->tag,
                              *t + 30);
        for (int i = 0; i < 13; i++)
            n += (size_t)snprintf(out + n, cap_ - n, "%s%02x", i % 4 == 0 ? " " : "", csw[i]);
        n += (size_t)snprintf(out + n, cap_ - n, "\n");
        *t += 100;
    }
    return n;
}

Test(xfers, bot_commands_and_every_status, .fini = fini)
{
    static char text[16384];
    size_t n = 0;
    uint64_t t = 1000;
    /* INQUIRY, good */
    n += bot_lines(text + n, sizeof text - n, &t, &(struct bot_line_args){
        .tag = 1, .len = 36, .opcode = 0x12, .in = true, .with_data = true, .with_csw = true,
        .csw_tag = 1});
    /* READ(10) lba 0x800, 32 blocks, good, residue 0 */
    n += bot_lines(text + n, sizeof text - n, &t, &(struct bot_line_args){
        .tag = 2, .len = 16384, .opcode = 0x28, .lba = 0x800, .blocks = 32, .in = true,
        .with_data = true, .with_csw = true, .csw_tag = 2});
    /* TEST UNIT READY fails, then REQUEST SENSE: unit attention 28/00 */
    n += bot_lines(text + n, sizeof text - n, &t, &(struct bot_line_args){
        .tag = 3, .opcode = 0x00, .with_csw = true, .csw_tag = 3, .csw_status = 1});
    n += bot_lines(text + n, sizeof text - n, &t, &(struct bot_line_args){
        .tag = 4, .len = 18, .opcode = 0x03, .in = true, .with_data = true, .with_csw = true,
        .csw_tag = 4, .data_hex = "70000600 00000000 0a000000 28000000 0000"});
    /* WRITE(10) whose data stage stalls, CSW passed with a residue */
    n += bot_lines(text + n, sizeof text - n, &t, &(struct bot_line_args){
        .tag = 5, .len = 4096, .opcode = 0x2a, .lba = 7, .blocks = 8, .in = false,
        .with_data = true, .data_status = 32, .with_csw = true, .csw_tag = 5, .residue = 4096});
    /* a CSW with another tag */
    n += bot_lines(text + n, sizeof text - n, &t, &(struct bot_line_args){
        .tag = 6, .opcode = 0x00, .with_csw = true, .csw_tag = 99});
    /* phase error */
    n += bot_lines(text + n, sizeof text - n, &t, &(struct bot_line_args){
        .tag = 7, .opcode = 0x00, .with_csw = true, .csw_tag = 7, .csw_status = 2});
    /* a CBW whose CSW never comes, then one more command */
    n += bot_lines(text + n, sizeof text - n, &t, &(struct bot_line_args){
        .tag = 8, .len = 512, .opcode = 0x28, .lba = 1, .blocks = 1, .in = true});
    n += bot_lines(text + n, sizeof text - n, &t, &(struct bot_line_args){
        .tag = 9, .opcode = 0x00, .with_csw = true, .csw_tag = 9});
    load(text);
    cr_assert_eq(sc.n, 9);
    static const char *const want[] = {"good", "good", "check_condition", "good", "stall",
                                       "bad_csw", "phase_error", "reset", "good"};
    for (size_t i = 0; i < 9; i++)
        cr_expect_str_eq(sc.c[i].status, want[i], "command %zu", i);
    cr_expect(sc.c[0].opcode == 0x12 && strcmp(sc.c[0].dir, "in") == 0 && sc.c[0].len == 36);
    cr_expect(sc.c[1].lba == 0x800 && sc.c[1].blocks == 32 && sc.c[1].tag == 2);
    cr_expect(sc.c[1].bus == 1 && sc.c[1].dev == 5);
    cr_expect_eq(sc.c[1].start_ns, 1700 * 1000, "its CBW's submission (t 1700 us)");
    cr_expect(sc.c[2].sense_key == 6 && sc.c[2].asc == 0x28 && sc.c[2].ascq == 0,
              "sense %u/%02x/%02x", sc.c[2].sense_key, sc.c[2].asc, sc.c[2].ascq);
    cr_expect_str_eq(sc.c[2].dir, "none");
    cr_expect(sc.c[4].residue == 4096 && strcmp(sc.c[4].dir, "out") == 0);
}

/* MODE SENSE whose data stage ends short, then the device halts the host's
 * first read of the CSW; the host clears the halt and reads the CSW: a good
 * command, as usbscsid records it - not a data stage that stalled. */
Test(xfers, stalled_first_csw_read_after_short_data_is_not_a_data_stall, .fini = fini)
{
    static char text[4096];
    uint64_t t = 1000;
    size_t n = bot_lines(text, sizeof text, &t, &(struct bot_line_args){
        .tag = 1, .len = 192, .opcode = 0x1a, .in = true, .with_data = true});
    /* the data stage: 160 of 192 bytes (bot_lines' data completes in full) */
    char *c = strstr(text, "d1 ");
    cr_assert_not_null(c);
    n = (size_t)(c - text);
    n += (size_t)snprintf(text + n, sizeof text - n,
                          "d1 %" PRIu64 " S Bi:1:005:1 -115 192 <\n"
                          "d1 %" PRIu64 " C Bi:1:005:1 0 160 =\n"
                          "f1 %" PRIu64 " S Bi:1:005:1 -115 13 <\n"
                          "f1 %" PRIu64 " C Bi:1:005:1 -32 0\n"
                          "e1 %" PRIu64 " S Co:1:005:0 s 02 01 0000 0081 0000 0\n"
                          "e1 %" PRIu64 " C Co:1:005:0 0 0\n"
                          "a1 %" PRIu64 " S Bi:1:005:1 -115 13 <\n"
                          "a1 %" PRIu64 " C Bi:1:005:1 0 13 = 55534253 01000000 20000000 00\n",
                          t, t + 10, t + 20, t + 30, t + 40, t + 50, t + 60, t + 70);
    load(text);
    cr_assert_eq(sc.n, 1);
    cr_expect_str_eq(sc.c[0].status, "good");
    cr_expect_eq(sc.c[0].residue, 32);
}

/* The model: random command scripts, issued as a host would, decoded back. */
Test(xfers, random_command_scripts_decode_to_the_same_commands, .fini = fini)
{
    static char text[1 << 17];
    static const uint8_t ops[] = {0x00, 0x12, 0x25, 0x28, 0x2a, 0x35, 0x1a, 0xa0};
    for (uint64_t seed = 1; seed <= 30; seed++) {
        struct sim_rng g;
        sim_rng_stream(&g, seed, "bot-script");
        size_t n = 0, k = 40;
        uint64_t t = 10;
        static struct bot_line_args a[40];
        for (size_t i = 0; i < k; i++) {
            uint8_t op = ops[sim_rng_below(&g, sizeof ops)];
            bool rw = op == 0x28 || op == 0x2a || op == 0x35;
            a[i] = (struct bot_line_args){
                .tag = (unsigned)(i + 1), .lun = (unsigned)sim_rng_below(&g, 4), .opcode = op,
                .lba = rw ? (unsigned)sim_rng_below(&g, 1u << 30) : 0,
                .blocks = rw ? 1 + (unsigned)sim_rng_below(&g, 128) : 0,
                .in = op != 0x2a, .with_csw = true, .csw_tag = (unsigned)(i + 1),
                .csw_status = sim_rng_below(&g, 8) == 0 ? 1 : 0};
            a[i].len = op == 0x00 || op == 0x35 ? 0 : rw ? a[i].blocks * 512 : 36;
            a[i].with_data = a[i].len > 0;
            n += bot_lines(text + n, sizeof text - n, &t, &a[i]);
        }
        cr_assert_lt(n, sizeof text);
        load(text);
        cr_assert_eq(sc.n, k, "seed %" PRIu64, seed);
        for (size_t i = 0; i < k; i++) {
            const struct cap_scsi_cmd *c = &sc.c[i];
            cr_assert(c->tag == a[i].tag && c->lun == a[i].lun && c->opcode == a[i].opcode &&
                          c->lba == a[i].lba && c->blocks == a[i].blocks && c->len == a[i].len,
                      "seed %" PRIu64 " command %zu", seed, i);
            cr_assert_str_eq(c->status, a[i].csw_status ? "check_condition" : "good");
            cr_assert_str_eq(c->dir, a[i].len == 0 ? "none" : a[i].in ? "in" : "out");
        }
        fini();
    }
}

/* READ CAPACITY's answer gives the unit's size and block length: (10)
 * and (16) [SBC-4 5.20, 5.21]; a (10) answering "ask (16)" gives none. */
Test(xfers, read_capacity_answers_give_the_units_size, .fini = fini)
{
    load("10 100 S Bo:1:002:2 -115 31 = 55534243 01000000 08000000 80000a25 00000000 00000000 00000000 000000\n"
         "10 110 C Bo:1:002:2 0 31 >\n"
         "101 120 S Bi:1:002:1 -115 8 <\n"
         "101 130 C Bi:1:002:1 0 8 = 0003ffff 00000200\n"
         "102 140 S Bi:1:002:1 -115 13 <\n"
         "102 150 C Bi:1:002:1 0 13 = 55534253 01000000 00000000 00\n"
         "20 160 S Bo:1:002:2 -115 31 = 55534243 02000000 20000000 8000109e 10000000 00000000 00000000 200000\n"
         "20 170 C Bo:1:002:2 0 31 >\n"
         "201 180 S Bi:1:002:1 -115 32 <\n"
         "201 190 C Bi:1:002:1 0 32 = 00000001 d1c0beaf 00001000 00000000 00000000 00000000 00000000 00000000\n"
         "202 200 S Bi:1:002:1 -115 13 <\n"
         "202 210 C Bi:1:002:1 0 13 = 55534253 02000000 00000000 00\n"
         "30 220 S Bo:1:002:2 -115 31 = 55534243 03000000 08000000 80000a25 00000000 00000000 00000000 000000\n"
         "30 230 C Bo:1:002:2 0 31 >\n"
         "301 240 S Bi:1:002:1 -115 8 <\n"
         "301 250 C Bi:1:002:1 0 8 = ffffffff 00000200\n"
         "302 260 S Bi:1:002:1 -115 13 <\n"
         "302 270 C Bi:1:002:1 0 13 = 55534253 03000000 00000000 00\n");
    cr_assert_eq(sc.n, 3);
    cr_expect_eq(sc.c[0].capacity_blocks, 0x40000);
    cr_expect_eq(sc.c[0].capacity_block_bytes, 512);
    cr_expect_eq(sc.c[1].service_action, 0x10);
    cr_expect_eq(sc.c[1].capacity_blocks, 7814037168ull);
    cr_expect_eq(sc.c[1].capacity_block_bytes, 4096);
    cr_expect_eq(sc.c[2].capacity_blocks, 0, "0xffffffff: ask READ CAPACITY(16)");
}
