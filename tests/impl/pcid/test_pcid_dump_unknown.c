/*
 * What a dump does not say (pcid_dump_unknown, impl/drivers/pcid/pcid_dump.h):
 * one row per case of the capability walk and of the BAR decoding, on
 * header bytes built here, then the real 64-byte paste of a VIA VL805
 * (tests/fixtures/pci-partial/lspci-x-via-vl805) from file to report.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/drivers/pcid/pcid_dump.h"

#define SET_MAX 8

struct poke {
    uint16_t off;
    uint8_t val;
};

struct unknown_case {
    const char *what;
    uint16_t len;
    struct poke set[SET_MAX];
    int sized_bar;                  /* a BAR whose size is given, or -1 */
    uint16_t cap_at;
    bool cap_first;
    unsigned nbars;
    unsigned bar0_index;
    enum pcid_bar_kind bar0_kind;
    bool bar0_prefetch;
    uint64_t bar0_addr;
};

/* status bit 4 = a capability list; 0x34 its pointer */
#define CAPS(ptr) {0x06, 0x10}, {0x34, ptr}
#define MEM64_AT_FB4(bar) {0x10 + 4 * (bar), 0x04}, {0x12 + 4 * (bar), 0x40}, {0x13 + 4 * (bar), 0xfb}

static const struct unknown_case cases[] = {
    {"no list, no BAR: nothing unknown", 64, {{0}}, -1, 0, false, 0, 0, PCID_BAR_NONE, false, 0},
    {"a list whose pointer is past 64 bytes", 64, {CAPS(0x80)}, -1, 0x80, true, 0, 0,
     PCID_BAR_NONE, false, 0},
    {"the same list in a 256-byte dump is known", 256, {CAPS(0x80)}, -1, 0, false, 0, 0,
     PCID_BAR_NONE, false, 0},
    {"status without the list bit: no list", 64, {{0x34, 0x80}}, -1, 0, false, 0, 0,
     PCID_BAR_NONE, false, 0},
    {"a list starting inside and going on past", 64, {CAPS(0x38), {0x38, 0x01}, {0x39, 0x90}}, -1,
     0x90, false, 0, 0, PCID_BAR_NONE, false, 0},
    {"a list wholly inside", 64, {CAPS(0x38), {0x38, 0x05}, {0x39, 0x00}}, -1, 0, false, 0, 0,
     PCID_BAR_NONE, false, 0},
    {"a capability whose ID is dumped but not its next pointer", 61, {CAPS(0x3c)}, -1, 0x3c,
     true, 0, 0, PCID_BAR_NONE, false, 0},
    {"a looping list stays inside: not unknown", 64, {CAPS(0x38), {0x39, 0x38}}, -1, 0, false, 0,
     0, PCID_BAR_NONE, false, 0},
    {"a 64-bit BAR with no size: kind and address", 64, {MEM64_AT_FB4(0)}, -1, 0, false, 1, 0,
     PCID_BAR_MEM64, false, 0xfb400000},
    {"... with its upper dword", 64, {MEM64_AT_FB4(2), {0x1c, 0x60}}, -1, 0, false, 1, 2,
     PCID_BAR_MEM64, false, 0x60fb400000},
    {"a BAR whose size is given is not unknown", 64, {MEM64_AT_FB4(0)}, 0, 0, false, 0, 0,
     PCID_BAR_NONE, false, 0},
    {"a prefetchable 32-bit BAR", 64, {{0x14, 0x08}, {0x17, 0xe0}}, -1, 0, false, 1, 1,
     PCID_BAR_MEM32, true, 0xe0000000},
    {"an I/O BAR", 64, {{0x20, 0x01}, {0x21, 0xe0}}, -1, 0, false, 1, 4, PCID_BAR_IO, false,
     0xe000},
    {"a BAR at address 0 is not listed", 64, {{0x10, 0x04}}, -1, 0, false, 0, 0, PCID_BAR_NONE,
     false, 0},
    {"a bridge has two BARs: 0x18 is its bus numbers", 64,
     {{0x0e, 0x01}, {0x18, 0x01}, {0x19, 0x02}, {0x1a, 0x02}}, -1, 0, false, 0, 0, PCID_BAR_NONE,
     false, 0},
    {"a 16-byte dump knows no BAR and no list", 16, {CAPS(0x80), MEM64_AT_FB4(0)}, -1, 0, false,
     0, 0, PCID_BAR_NONE, false, 0},
};

ParameterizedTestParameters(dump_unknown, table)
{
    return cr_make_param_array(struct unknown_case, (void *)cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(const struct unknown_case *c, dump_unknown, table)
{
    static struct pcid_dump d;
    uint8_t cfg[256] = {0x06, 0x11, 0x83, 0x34};
    for (unsigned i = 0; i < SET_MAX && (c->set[i].off != 0 || c->set[i].val != 0); i++)
        cfg[c->set[i].off] = c->set[i].val;
    pcid_dump_init(&d);
    cr_assert_eq(pcid_dump_add_raw(&d, 0, 1, 0, 0, cfg, c->len), IOSIM_OK);
    if (c->sized_bar >= 0)
        cr_assert_eq(pcid_dump_set_bar_size(&d, 0, 1, 0, 0, (unsigned)c->sized_bar, 64 << 10),
                     IOSIM_OK);
    struct pcid_dump_unknown u;
    pcid_dump_unknown(pcid_dump_find(&d, 0, 1, 0, 0), &u);
    cr_expect_eq(u.len, c->len, "%s", c->what);
    cr_expect_eq(u.cap_at, c->cap_at, "%s: cap_at %#x", c->what, u.cap_at);
    cr_expect_eq(u.cap_first, c->cap_first, "%s", c->what);
    cr_assert_eq(u.nbars, c->nbars, "%s: %u BARs", c->what, u.nbars);
    if (c->nbars > 0) {
        cr_expect_eq(u.bars[0].index, c->bar0_index, "%s", c->what);
        cr_expect_eq(u.bars[0].kind, c->bar0_kind, "%s", c->what);
        cr_expect_eq(u.bars[0].prefetch, c->bar0_prefetch, "%s", c->what);
        cr_expect_eq(u.bars[0].addr, c->bar0_addr, "%s: %#llx", c->what,
                     (unsigned long long)u.bars[0].addr);
    }
}

Test(dump_unknown, the_vl805_paste)
{
    static struct pcid_dump d;
    static char text[4096];
    FILE *f = fopen(IOSIM_SOURCE_DIR "/tests/fixtures/pci-partial/lspci-x-via-vl805/lspci-xxx.txt", "r");
    cr_assert(f != NULL);
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    struct pcid_dump_error err;
    cr_assert_eq(pcid_dump_parse_lspci(text, n, &d, &err), IOSIM_OK, "%u:%u: %s", err.line,
                 err.col, err.msg);
    const struct pcid_dump_func *fn = pcid_dump_find(&d, 0, 0x0b, 0, 0);
    cr_assert(fn != NULL);
    struct pcid_dump_unknown u;
    pcid_dump_unknown(fn, &u);
    cr_expect_eq(u.len, 64);
    cr_expect_eq(u.cap_at, 0x80);
    cr_expect(u.cap_first);
    cr_assert_eq(u.nbars, 1);
    cr_expect_eq(u.bars[0].index, 0);
    cr_expect_eq(u.bars[0].kind, PCID_BAR_MEM64);
    cr_expect_not(u.bars[0].prefetch);
    cr_expect_eq(u.bars[0].addr, 0xfb400000);
}
