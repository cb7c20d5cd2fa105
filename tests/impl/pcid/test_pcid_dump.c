/*
 * impl/drivers/pcid/pcid_dump, checked two ways here (real machines are
 * test_pcid_dump_machines.c):
 * - the lspci grammar, one test per accepted form and per error (with its
 *   line and column), and hostile text: every prefix of real dumps, random
 *   mutations of them, random text; never a crash, an out-of-bounds read
 *   (the texts are allocated to their exact length) or a partial dump;
 * - the view as configuration space: all ones for absent functions, 0
 *   past what a dump knows, the BAR sizing protocol, the overlay.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump_test_util.h"

/* ---- the grammar ---------------------------------------------------------------------------- */

/* A 64-byte xHCI header (Wildcat Point-LP), as lspci -x prints it. */
#define ROW0 "00: 86 80 b1 9c 06 04 90 02 03 30 03 0c 00 00 00 00\n"
#define ROW1 "10: 04 00 80 c1 00 00 00 00 00 00 00 00 00 00 00 00\n"
#define ROW2 "20: 00 00 00 00 00 00 00 00 00 00 00 00 86 80 70 72\n"
#define ROW3 "30: 00 00 00 00 70 00 00 00 00 00 00 00 00 01 00 00\n"
#define HDR64 ROW0 ROW1 ROW2 ROW3

/* The text in a buffer of exactly its length (no NUL after it), so that
 * AddressSanitizer sees any read past the end. */
static enum iosim_err parse_exact(const char *text, size_t len)
{
    char *copy = malloc(len ? len : 1);
    cr_assert(copy != NULL);
    memcpy(copy, text, len);
    enum iosim_err e = pcid_dump_parse_lspci(copy, len, dump, &err);
    free(copy);
    return e;
}

static void parses(const char *text)
{
    enum iosim_err e = parse_exact(text, strlen(text));
    cr_assert_eq(e, IOSIM_OK, "%s: %u:%u: %s", iosim_err_name(e), err.line, err.col, err.msg);
}

static void refuses_with(const char *text, enum iosim_err want, uint32_t line, uint32_t col,
                         const char *needle)
{
    enum iosim_err e = parse_exact(text, strlen(text));
    cr_assert_eq(e, want, "%s, not %s: %.60s", iosim_err_name(e), iosim_err_name(want), text);
    cr_expect_eq(err.line, line, "%s: line %u, not %u", err.msg, err.line, line);
    cr_expect_eq(err.col, col, "%s: column %u, not %u", err.msg, err.col, col);
    cr_expect(strstr(err.msg, needle) != NULL, "'%s' does not say '%s'", err.msg, needle);
    cr_expect_eq(dump->count, 0, "nothing partial");
}

static void refuses(const char *text, uint32_t line, uint32_t col, const char *needle)
{
    refuses_with(text, IOSIM_EPARSE, line, col, needle);
}

/* "OFF: xx ..." rows for bytes from[0..n) with value (off + k) & 0xff * 7. */
static size_t put_rows(char *buf, size_t cap, size_t at, unsigned from, unsigned n)
{
    for (unsigned off = from; off < from + n; off += 16) {
        at += (size_t)snprintf(buf + at, cap - at, off < 0x100 ? "%02x:" : "%03x:", off);
        for (unsigned k = 0; k < 16; k++)
            at += (size_t)snprintf(buf + at, cap - at, " %02x", ((off + k) * 7) & 0xff);
        at += (size_t)snprintf(buf + at, cap - at, "\n");
    }
    return at;
}

static void expect_pattern(const struct pcid_dump_func *f, unsigned n)
{
    cr_assert_eq(f->len, n);
    for (unsigned i = 0; i < n; i++)
        cr_assert_eq(f->cfg[i], (i * 7) & 0xff, "byte %#x", i);
}

Test(pcid_dump, lspci_x_one_function)
{
    parses("00:14.0 USB controller: Intel Corporation Wildcat Point-LP USB xHCI Controller\n" HDR64);
    cr_assert_eq(dump->count, 1);
    const struct pcid_dump_func *f = &dump->funcs[0];
    cr_expect_eq(f->domain, 0);
    cr_expect_eq(f->bus, 0);
    cr_expect_eq(f->dev, 0x14);
    cr_expect_eq(f->fn, 0);
    cr_expect_eq(f->len, 64);
    cr_expect_eq(f->cfg[0], 0x86);
    cr_expect_eq(f->cfg[0x0b], 0x0c);
    cr_expect_eq(f->cfg[0x3d], 0x01);
    for (unsigned i = 0; i < PCI_BAR_COUNT; i++)
        cr_expect_not(f->bar_size_known[i], "no Region lines: no sizes");
    cr_expect_eq(pcid_dump_find(dump, 0, 0, 0x14, 0), f);
    cr_expect_null(pcid_dump_find(dump, 1, 0, 0x14, 0));
}

Test(pcid_dump, lspci_xxx_and_xxxx_with_domains)
{
    static char text[64 << 10];
    size_t at = (size_t)snprintf(text, sizeof text, "0001:02:1f.7 Something: anything\n");
    at = put_rows(text, sizeof text, at, 0, 256);
    at += (size_t)snprintf(text + at, sizeof text - at, "\n0000:00:00.0 Host bridge\n");
    at = put_rows(text, sizeof text, at, 0, 4096);
    at += (size_t)snprintf(text + at, sizeof text - at, "\n03:00.1 Also\n");
    at = put_rows(text, sizeof text, at, 0, 64);
    parses(text);
    cr_assert_eq(dump->count, 3);
    cr_expect_eq(dump->funcs[0].domain, 1);
    cr_expect_eq(dump->funcs[0].bus, 2);
    cr_expect_eq(dump->funcs[0].dev, 0x1f);
    cr_expect_eq(dump->funcs[0].fn, 7);
    expect_pattern(&dump->funcs[0], 256);
    cr_expect_eq(dump->funcs[1].domain, 0);
    expect_pattern(&dump->funcs[1], 4096);
    cr_expect_eq(dump->funcs[2].domain, 0, "no domain: 0000");
    cr_expect_eq(dump->funcs[2].fn, 1);
    expect_pattern(&dump->funcs[2], 64);
}

Test(pcid_dump, region_sizes_from_verbose_lines)
{
    parses("06:00.0 SATA controller [0106]: Marvell [1b4b:9170] (rev 12) (prog-if 01 [AHCI 1.0])\n"
           "\tControl: I/O+ Mem+ BusMaster+\n"
           "\tRegion 0: Memory at f7f00000 (64-bit, non-prefetchable) [size=64K]\n"
           "\tRegion 2: Memory at <unassigned> (32-bit, prefetchable) [disabled] [size=1G]\n"
           "\tRegion 3: Memory at <ignored> (32-bit, non-prefetchable)\n"
           "\tRegion 4: I/O ports at 3000 [size=16]\n"
           "\tRegion 5: Memory at 603d180000 (64-bit, non-prefetchable) [virtual] [size=4K]\n"
           "\tExpansion ROM at f7e00000 [disabled] [size=512K]\n"
           "\tCapabilities: [160 v1] Single Root I/O Virtualization (SR-IOV)\n"
           "\t\tRegion 1: Memory at 00000000f0000000 (64-bit, non-prefetchable) [size=2M]\n"
           "\tKernel driver in use: ahci\n" HDR64);
    const struct pcid_dump_func *f = &dump->funcs[0];
    cr_expect(f->bar_size_known[0]);
    cr_expect_eq(f->bar_size[0], 64 << 10);
    cr_expect_not(f->bar_size_known[1], "a VF region is not the function's BAR");
    cr_expect(f->bar_size_known[2]);
    cr_expect_eq(f->bar_size[2], 1ull << 30);
    cr_expect_not(f->bar_size_known[3], "no size printed");
    cr_expect(f->bar_size_known[4]);
    cr_expect_eq(f->bar_size[4], 16);
    cr_expect_not(f->bar_size_known[5], "a virtual region is not in the BAR");

    parses("00:00.0 X\n\tRegion 0: Memory at 0 (64-bit, prefetchable) [size=2T]\n"
           "\tRegion 1: I/O ports at 10 [size=8]\n\tRegion 2: Memory at 0 [size=256]\n"
           "\tRegion 3: Memory at 0 [size=16M]\n" HDR64);
    f = &dump->funcs[0];
    cr_expect_eq(f->bar_size[0], 2ull << 40);
    cr_expect_eq(f->bar_size[1], 8);
    cr_expect_eq(f->bar_size[2], 256);
    cr_expect_eq(f->bar_size[3], 16 << 20);
}

Test(pcid_dump, other_lines_are_skipped)
{
    parses("lspci: Unable to load libkmod resources: error -2\n"
           "\n"
           "00:14.0 USB controller [0c03]: Intel [8086:a0ed] (rev 20) (prog-if 30 [XHCI])\n"
           "\tDeviceName: Onboard - Other\n"
           "\tKernel driver in use: xhci_hcd\n"
           "lspci: Unable to load libkmod resources: error -2\n"
           "```\n" HDR64 "\n\n   \n```\n");
    cr_expect_eq(dump->count, 1);
    cr_expect_eq(dump->funcs[0].len, 64);
}

Test(pcid_dump, crlf_and_no_final_newline)
{
    parses("00:14.0 USB controller\r\n"
           "\tRegion 0: Memory at c1800000 (64-bit, non-prefetchable) [size=64K]\r\n"
           "00: 86 80 b1 9c 06 04 90 02 03 30 03 0c 00 00 00 00\r\n"
           "10: 04 00 80 c1 00 00 00 00 00 00 00 00 00 00 00 00  \r\n"
           "20: 00 00 00 00 00 00 00 00 00 00 00 00 86 80 70 72\r\n"
           "30: 00 00 00 00 70 00 00 00 00 00 00 00 00 01 00 ff");
    const struct pcid_dump_func *f = &dump->funcs[0];
    cr_expect_eq(f->len, 64);
    cr_expect_eq(f->cfg[0x3f], 0xff, "the last byte, with no newline after it");
    cr_expect_eq(f->bar_size[0], 64 << 10);
}

Test(pcid_dump, only_len_bytes_are_read)
{
    const char *text = "00:14.0 X\n" HDR64 "00:15.0 Y\n" HDR64;
    size_t first = strlen("00:14.0 X\n" HDR64);
    cr_assert_eq(parse_exact(text, first), IOSIM_OK, "%u:%u: %s", err.line, err.col, err.msg);
    cr_expect_eq(dump->count, 1, "what follows len is not read");
    cr_assert_eq(parse_exact(text, first - 1), IOSIM_OK, "the last newline is optional");
    cr_assert_eq(parse_exact(text, first - 2), IOSIM_EPARSE, "one byte short: '0' is no byte");
    cr_expect_eq(err.line, 5);
    cr_expect_eq(err.col, 50);
    cr_expect_eq(parse_exact("", 0), IOSIM_OK);
    cr_expect_eq(dump->count, 0);
    cr_expect_eq(pcid_dump_parse_lspci(NULL, 0, dump, &err), IOSIM_EINVAL);
    cr_expect_eq(pcid_dump_parse_lspci("", 0, NULL, &err), IOSIM_EINVAL);
    cr_expect_eq(pcid_dump_parse_lspci("00: 00\n", 7, dump, NULL), IOSIM_EPARSE, "err may be NULL");
}

/* A mail client's hard wrap at ~72 columns: the header, a Region line and
 * a hex row continue at column 0 (lspci-asrock-x370-taichi has the first
 * two; a hex row broken the same way is what the third would look like). */
Test(pcid_dump, mail_wrapped_lines_continue)
{
    parses("01:00.0 USB controller [0c03]: Advanced Micro Devices, Inc. [AMD] X370\n"
           "Series Chipset USB 3.1 xHCI Controller [1022:43b9] (rev 02) (prog-if 30\n"
           "[XHCI])\n"
           "     Status: Cap+ 66MHz- UDF- FastB2B- ParErr- DEVSEL=fast >TAbort-\n"
           "<TAbort- <MAbort- >SERR- <PERR- INTx-\n"
           "     Region 0: Memory at fcaa0000 (64-bit, non-prefetchable)\n"
           "[size=32K]\n"
           "     Region 2: Memory at fcab0000 (64-bit,\n"
           "non-prefetchable) [virtual]\n"
           "[size=4K]\n"
           "00: 22 10 b9 43 06 04 10 00 02 30 03 0c 10 00 80\n"
           "00\n"
           "10: 04 00 aa fc 00 00 00 00 00 00 00 00\n"
           "00 00\n"
           "00 00\n"
           "20: 00 00 00 00 00 00 00 00 00 00 00 00 49 18 d0 43\n"
           "30: 00 00 00 00 50 00 00 00 00 00 00 00 0b 01 00 00\n"
           "lspci: a stray line after a complete row is not a continuation\n");
    const struct pcid_dump_func *f = &dump->funcs[0];
    cr_expect_eq(f->len, 64);
    cr_expect_eq(f->cfg[0x0e], 0x80);
    cr_expect_eq(f->cfg[0x0f], 0x00);
    cr_expect_eq(f->cfg[0x12], 0xaa);
    cr_expect_eq(f->cfg[0x2c], 0x49);
    cr_expect(f->bar_size_known[0]);
    cr_expect_eq(f->bar_size[0], 32 << 10);
    cr_expect_not(f->bar_size_known[2], "virtual, said on the continuation");
}

Test(pcid_dump, hex_line_errors)
{
    refuses(ROW0, 1, 1, "before any function header");
    refuses("00:00.0 X\n00: 86 80 b1\n" ROW1, 2, 13, "hex line 00 has 3 bytes, not 16");
    refuses("00:00.0 X\n00: 86 80", 2, 10, "has 2 bytes");
    refuses("00:00.0 X\n00:\n", 2, 4, "has 0 bytes");
    refuses("00:00.0 X\n00: 86 80\n\tRegion 0: x\n", 2, 10, "has 2 bytes");
    refuses("00:00.0 X\n00: 86 8g b1\n", 2, 8, "expected a hex byte, found '8g'");
    refuses("00:00.0 X\n00: 860 b1\n", 2, 5, "found '860'");
    refuses("00:00.0 X\n00: 86 80 b1 9c 06 04 90 02 03 30 03 0c 00 00 00 00 01\n", 2, 53,
            "more than 16 bytes");
    refuses("00:00.0 X\n00: 86 80 b1 9c 06 04 90 02 03 30 03 0c 00 00 00\n"
            "lspci: oops\n",
            3, 1, "expected a hex byte, found 'lspci:'");
    refuses("00:00.0 X\n" ROW0 ROW2, 3, 1, "offset 20 out of order: expected 10");
    refuses("00:00.0 X\n" ROW0 ROW0, 3, 1, "offset 00 out of order: expected 10");
    refuses("00:00.0 X\n" ROW1, 2, 1, "offset 10 out of order: expected 00");
    refuses("00:00.0 X\n" ROW0 ROW1 "f0: 00\n", 4, 1, "offset f0 out of order: expected 20");
    refuses("00:00.0 X\nffff: 00 00\n", 2, 1, "beyond the 4096 bytes");
    refuses("00:00.0 X\n123456789abcdef0123: 00\n", 2, 1, "beyond the 4096 bytes");
    refuses("00:00.0 X\n0: 86 80\n", 2, 1, "2 or 3 hex digits");
    refuses("00:00.0 X\n0000: 86 80\n", 2, 1, "2 or 3 hex digits");

    static char text[64 << 10]; /* 4096 bytes, then one row more */
    size_t at = (size_t)snprintf(text, sizeof text, "00:00.0 X\n");
    at = put_rows(text, sizeof text, at, 0, 4096);
    snprintf(text + at, sizeof text - at, "1000: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n");
    refuses(text, 258, 1, "beyond the 4096 bytes");
}

Test(pcid_dump, header_errors)
{
    refuses("00:1g.0 X\n" HDR64, 1, 4, "expected the device");
    refuses("00:20.0 X\n" HDR64, 1, 4, "device above 1f");
    refuses("00:1f.8 X\n" HDR64, 1, 7, "expected the function (0-7)");
    refuses("00:1f.\n" HDR64, 1, 7, "expected the function (0-7)");
    refuses("00:1f.3x X\n" HDR64, 1, 8, "expected a blank after the function");
    refuses("00:1f X\n" HDR64, 1, 4, "expected the device");
    refuses("123:00.0 X\n" HDR64, 1, 1, "expected [DDDD:]BB:DD.F");
    refuses("12345:00:00.0 X\n" HDR64, 1, 1, "domain wider than 16 bits");
    refuses("0000:0:00.0 X\n" HDR64, 1, 6, "expected the bus");
    refuses("0000:00 X\n" HDR64, 1, 6, "expected the bus");
    refuses("00:00.0 X\n" HDR64 "00:00.0 Y\n" HDR64, 6, 1, "0000:00:00.0 appears twice");
    refuses("00:00.0 X\n" HDR64 "0000:00:00.0 Y\n" HDR64, 6, 1, "appears twice");
    refuses("00:00.0 X\n\tRegion 0: Memory at 0 [size=4K]\n\n00:01.0 Y\n" HDR64, 1, 1,
            "no hex dump for 0000:00:00.0");
    refuses("00:00.0 X\n" HDR64 "00:01.0 Y\n", 6, 1, "no hex dump for 0000:00:01.0");
}

Test(pcid_dump, region_errors)
{
    refuses("00:00.0 X\n\tRegion 6: Memory at 0 [size=4K]\n" HDR64, 2, 9, "BAR number (0-5)");
    refuses("00:00.0 X\n\tRegion x: Memory\n" HDR64, 2, 9, "BAR number");
    refuses("00:00.0 X\n\tRegion 0 Memory\n" HDR64, 2, 9, "BAR number");
    refuses("00:00.0 X\n\tRegion 0: Memory at 0 [size=12K]\n" HDR64, 2, 30, "not a power of two");
    refuses("00:00.0 X\n\tRegion 0: Memory at 0 [size=K]\n" HDR64, 2, 30, "expected a region size");
    refuses("00:00.0 X\n\tRegion 0: Memory at 0 [size=64X]\n" HDR64, 2, 30, "expected a region size");
    refuses("00:00.0 X\n\tRegion 0: Memory at 0 [size=64K\n" HDR64, 2, 30, "expected a region size");
    refuses("00:00.0 X\n\tRegion 0: Memory at 0 [size=99999999999999999999999]\n" HDR64, 2, 30,
            "too large");
    refuses("00:00.0 X\n\tRegion 0: Memory at 0 [size=16777216T]\n" HDR64, 2, 30, "too large");
    refuses("00:00.0 X\n\tRegion 0: Memory at 0 [size=0]\n" HDR64, 2, 30, "not a power of two");
}

Test(pcid_dump, too_many_functions)
{
    size_t cap = (PCID_DUMP_FUNCS_MAX + 1) * 300;
    char *text = malloc(cap);
    cr_assert(text != NULL);
    size_t at = 0;
    for (unsigned i = 0; i <= PCID_DUMP_FUNCS_MAX; i++)
        at += (size_t)snprintf(text + at, cap - at, "%02x:%02x.%x X\n" HDR64, i >> 5 & 0xff,
                               i & 0x1f, 0);
    refuses_with(text, IOSIM_ENOSPC, PCID_DUMP_FUNCS_MAX * 5 + 1, 1, "more than 256 functions");
    free(text);
}

Test(pcid_dump, raw_functions_and_sizes)
{
    uint8_t cfg[PCI_CFG_EXT_SIZE + 1] = {0x86, 0x80};
    cr_expect_eq(pcid_dump_add_raw(dump, 0, 0, 0, 0, cfg, 256), IOSIM_OK);
    cr_expect_eq(pcid_dump_add_raw(dump, 0, 0, 0, 0, cfg, 256), IOSIM_EEXIST);
    cr_expect_eq(pcid_dump_add_raw(dump, 1, 0, 0, 0, cfg, 64), IOSIM_OK, "another domain");
    cr_expect_eq(pcid_dump_add_raw(dump, 0, 0, 32, 0, cfg, 64), IOSIM_EINVAL);
    cr_expect_eq(pcid_dump_add_raw(dump, 0, 0, 0, 8, cfg, 64), IOSIM_EINVAL);
    cr_expect_eq(pcid_dump_add_raw(dump, 0, 0, 1, 0, cfg, 0), IOSIM_EINVAL);
    cr_expect_eq(pcid_dump_add_raw(dump, 0, 0, 1, 0, cfg, PCI_CFG_EXT_SIZE + 1), IOSIM_EINVAL);
    cr_expect_eq(pcid_dump_add_raw(dump, 0, 0, 1, 0, NULL, 64), IOSIM_EINVAL);
    cr_expect_eq(pcid_dump_add_raw(dump, 0, 0, 1, 0, cfg, 17), IOSIM_OK, "any length");
    cr_expect_eq(pcid_dump_find(dump, 0, 0, 1, 0)->len, 17);
    cr_expect_eq(pcid_dump_set_bar_size(dump, 0, 0, 0, 0, 0, 4096), IOSIM_OK);
    cr_expect_eq(pcid_dump_set_bar_size(dump, 0, 0, 0, 0, 5, 0), IOSIM_OK, "0: not implemented");
    cr_expect_eq(pcid_dump_set_bar_size(dump, 0, 0, 0, 0, 6, 4096), IOSIM_EINVAL);
    cr_expect_eq(pcid_dump_set_bar_size(dump, 0, 0, 0, 0, 1, 4097), IOSIM_EINVAL);
    cr_expect_eq(pcid_dump_set_bar_size(dump, 0, 9, 0, 0, 1, 4096), IOSIM_ENOENT);
    const struct pcid_dump_func *f = pcid_dump_find(dump, 0, 0, 0, 0);
    cr_expect(f->bar_size_known[0] && f->bar_size[0] == 4096);
    cr_expect(f->bar_size_known[5] && f->bar_size[5] == 0);
    cr_expect_not(f->bar_size_known[1]);
    for (unsigned i = dump->count; i < PCID_DUMP_FUNCS_MAX; i++)
        cr_assert_eq(pcid_dump_add_raw(dump, 2, (uint8_t)(i >> 5), i & 0x1f, 0, cfg, 64), IOSIM_OK);
    cr_expect_eq(pcid_dump_add_raw(dump, 3, 0, 0, 0, cfg, 64), IOSIM_ENOSPC);
    pcid_dump_init(dump);
    cr_expect_eq(dump->count, 0);
}

/* ---- hostile text --------------------------------------------------------------------------- */


/* Whatever the text, the answer is whole: a dump of rows, or an error with its place. */
static void expect_sane_answer(const char *what, enum iosim_err e)
{
    if (e == IOSIM_OK) {
        for (uint32_t i = 0; i < dump->count; i++) {
            const struct pcid_dump_func *f = &dump->funcs[i];
            cr_assert(f->len > 0 && f->len <= PCI_CFG_EXT_SIZE && f->len % 16 == 0, "%s", what);
            cr_assert(f->dev < 32 && f->fn < 8, "%s", what);
        }
        return;
    }
    cr_assert(e == IOSIM_EPARSE || e == IOSIM_ENOSPC, "%s: %s", what, iosim_err_name(e));
    cr_assert(err.line >= 1 && err.col >= 1 && err.msg[0] != '\0', "%s: %u:%u '%s'", what,
              err.line, err.col, err.msg);
    cr_assert_eq(dump->count, 0, "%s: nothing partial", what);
}

/* pcid on whatever was parsed: bounded, no crash. */
static void enumerate_whatever(void)
{
    if (dump->count == 0)
        return;
    pcid_dump_view_init(view, dump, dump->funcs[0].domain, PCID_DUMP_UNSIZED_FIXED);
    cr_assert_eq(pcid_dump_enumerate(view, &(struct pcid_enum_opts){.size_bars = true}, &topo),
                 IOSIM_OK);
    cr_assert(topo.count <= PCID_FUNCS_MAX);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const char *const hex_fixtures[] = {
    "lspci-macbookpro12-1/lspci-vvvxxxx.txt", "lspci-tigerlake-lp-obsidian/lspci-vvvxxxx.txt",
    "lspci-asrock-x370-taichi/lspci-vvvxxxx.txt", "lspci-hp-elitedesk-800g3-tusb7340/lspci-xxxx.txt",
    "lspci-arm-n1sdp/lspci-vvvxxxx.txt", "sysfs-firecracker/lspci-xxxx.txt"};

Test(pcid_dump, every_prefix_of_real_dumps, .timeout = 120)
{
    for (size_t k = 0; k < sizeof hex_fixtures / sizeof *hex_fixtures; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", FIXTURES, hex_fixtures[k]);
        size_t len;
        char *text = slurp(path, &len);
        cr_assert(text != NULL, "%s", path);
        size_t step = len > 10000 ? 97 : 1; /* the big ones sampled */
        for (size_t n = 0; n <= len; n += step) {
            enum iosim_err e = parse_exact(text, n);
            expect_sane_answer(hex_fixtures[k], e);
            if (n % 101 == 0)
                enumerate_whatever();
        }
        cr_expect_eq(parse_exact(text, len), IOSIM_OK, "%s whole: %u:%u: %s", hex_fixtures[k],
                     err.line, err.col, err.msg);
        free(text);
    }
}

Test(pcid_dump, mutated_and_random_text, .timeout = 120)
{
    static const char alphabet[] = "0123456789abcdefx: \t\n\r.[]=KMGT-Region size";
    for (size_t k = 0; k < sizeof hex_fixtures / sizeof *hex_fixtures - 2; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", FIXTURES, hex_fixtures[k]);
        size_t len;
        char *text = slurp(path, &len);
        cr_assert(text != NULL, "%s", path);
        char *m = malloc(len + 64);
        cr_assert(m != NULL);
        for (int round = 0; round < 400; round++) {
            memcpy(m, text, len);
            size_t n = len;
            for (int edits = 1 + (int)(rnd() % 4); edits > 0 && n > 0; edits--) {
                size_t at = rnd() % n;
                switch (rnd() % 4) {
                case 0: m[at] = alphabet[rnd() % (sizeof alphabet - 1)]; break;
                case 1: m[at] = (char)(rnd() & 0xff); break;
                case 2: memmove(m + at, m + at + 1, n - at - 1); n--; break;
                default:
                    memmove(m + at + 1, m + at, n - at);
                    m[at] = alphabet[rnd() % (sizeof alphabet - 1)];
                    n++;
                    break;
                }
            }
            expect_sane_answer(hex_fixtures[k], parse_exact(m, n));
            enumerate_whatever();
        }
        free(m);
        free(text);
    }
    char junk[2048];
    for (int round = 0; round < 3000; round++) {
        size_t n = rnd() % sizeof junk;
        for (size_t i = 0; i < n; i++)
            junk[i] = round % 2 ? (char)(rnd() & 0xff) : alphabet[rnd() % (sizeof alphabet - 1)];
        expect_sane_answer("random", parse_exact(junk, n));
        enumerate_whatever();
    }
}

/* ---- the view -------------------------------------------------------------------------------- */

Test(pcid_dump, view_reads)
{
    uint8_t cfg[64];
    for (unsigned i = 0; i < sizeof cfg; i++)
        cfg[i] = (uint8_t)(0xa0 + i);
    cr_assert_eq(pcid_dump_add_raw(dump, 0, 1, 2, 3, cfg, sizeof cfg), IOSIM_OK);
    cr_assert_eq(pcid_dump_add_raw(dump, 5, 1, 2, 4, cfg, 20), IOSIM_OK);
    struct pcid_cfg c = cfg_of_view(0, PCID_DUMP_UNSIZED_ABSENT);
    cr_expect_eq(rd(&c, 1, 2, 3, 0, 4), 0xa3a2a1a0);
    cr_expect_eq(rd(&c, 1, 2, 3, 2, 2), 0xa3a2);
    cr_expect_eq(rd(&c, 1, 2, 3, 0x3f, 1), 0xdf);
    cr_expect_eq(rd(&c, 1, 2, 3, 0x40, 4), 0, "past the dump: 0, so a capability list ends");
    cr_expect_eq(rd(&c, 1, 2, 3, 0xffc, 4), 0);
    cr_expect_eq(rd(&c, 1, 2, 4, 0, 4), 0xffffffff, "in another domain: absent here");
    cr_expect_eq(rd(&c, 1, 2, 0, 0, 2), 0xffff, "absent");
    cr_expect_eq(rd(&c, 0, 0, 0, 0, 1), 0xff);
    cr_expect_eq(rd(&c, 1, 2, 3, 1, 2), 0xffff, "misaligned: refused as all ones");
    cr_expect_eq(rd(&c, 1, 2, 3, 0, 3), 0xffffff, "size 3: refused");
    cr_expect_eq(rd(&c, 1, 2, 3, 4096, 1), 0xff, "beyond 4 KiB");
    c = cfg_of_view(5, PCID_DUMP_UNSIZED_ABSENT);
    cr_expect_eq(rd(&c, 1, 2, 4, 16, 4), 0xb3b2b1b0);
    cr_expect_eq(rd(&c, 1, 2, 4, 18, 2), 0xb3b2);
    cr_expect_eq(rd(&c, 1, 2, 4, 20, 4), 0, "a 20-byte dump");
}

Test(pcid_dump, view_writes_go_to_the_overlay)
{
    uint8_t cfg[256] = {0};
    cfg[PCI_COMMAND] = 0x06;
    cr_assert_eq(pcid_dump_add_raw(dump, 0, 0, 0, 0, cfg, sizeof cfg), IOSIM_OK);
    struct pcid_cfg c = cfg_of_view(0, PCID_DUMP_UNSIZED_ABSENT);
    wr(&c, 0, 0, 0, PCI_COMMAND, 2, 0x0400);
    cr_expect_eq(rd(&c, 0, 0, 0, PCI_COMMAND, 2), 0x0400);
    cr_expect_eq(rd(&c, 0, 0, 0, PCI_STATUS, 2), 0, "the other half of the dword is kept");
    wr(&c, 0, 0, 0, 0x41, 1, 0x5a);
    cr_expect_eq(rd(&c, 0, 0, 0, 0x40, 4), 0x5a00);
    wr(&c, 0, 0, 0, 0x100, 4, 0x12345678);
    cr_expect_eq(rd(&c, 0, 0, 0, 0x100, 4), 0, "extended space: dropped");
    wr(&c, 0, 0, 0, 0x41, 2, 0xffff);
    cr_expect_eq(rd(&c, 0, 0, 0, 0x40, 4), 0x5a00, "misaligned writes are dropped");
    wr(&c, 0, 1, 0, 0, 4, 0);
    cr_expect_eq(rd(&c, 0, 1, 0, 0, 4), 0xffffffff, "absent functions take no writes");
    cr_expect_eq(dump->funcs[0].cfg[PCI_COMMAND], 0x06, "the dump is never written");
    c = cfg_of_view(0, PCID_DUMP_UNSIZED_ABSENT);
    cr_expect_eq(rd(&c, 0, 0, 0, PCI_COMMAND, 2), 0x06, "a new view starts from the dump");
}

/* A type 0 header with every BAR kind: 64-bit prefetchable at 0 (16 KiB),
 * 32-bit at 2, I/O at 3, 32-bit of unknown size at 4, unimplemented 5. */
static void bar_machine(void)
{
    uint8_t cfg[256] = {0x34, 0x12, 0x78, 0x56};
    put32(cfg, 0x10, 0xfe00000c);
    put32(cfg, 0x14, 0x00000001);
    put32(cfg, 0x18, 0xfd000000);
    put32(cfg, 0x1c, 0x0000e001);
    put32(cfg, 0x20, 0xfc000000);
    cr_assert_eq(pcid_dump_add_raw(dump, 0, 0, 3, 0, cfg, sizeof cfg), IOSIM_OK);
    cr_assert_eq(pcid_dump_set_bar_size(dump, 0, 0, 3, 0, 0, 16 << 10), IOSIM_OK);
    cr_assert_eq(pcid_dump_set_bar_size(dump, 0, 0, 3, 0, 2, 1 << 20), IOSIM_OK);
    cr_assert_eq(pcid_dump_set_bar_size(dump, 0, 0, 3, 0, 3, 32), IOSIM_OK);
    cr_assert_eq(pcid_dump_set_bar_size(dump, 0, 0, 3, 0, 5, 0), IOSIM_OK);
}

static uint32_t size_bar(const struct pcid_cfg *c, uint16_t off)
{
    uint32_t old = rd(c, 0, 3, 0, off, 4);
    wr(c, 0, 3, 0, off, 4, 0xffffffff);
    uint32_t mask = rd(c, 0, 3, 0, off, 4);
    wr(c, 0, 3, 0, off, 4, old);
    cr_expect_eq(rd(c, 0, 3, 0, off, 4), old, "BAR at %#x restored", off);
    return mask;
}

Test(pcid_dump, view_bar_sizing)
{
    bar_machine();
    struct pcid_cfg c = cfg_of_view(0, PCID_DUMP_UNSIZED_ABSENT);
    cr_expect_eq(size_bar(&c, 0x10), 0xffffc00c, "~(16K - 1) with the 64-bit prefetch bits");
    cr_expect_eq(size_bar(&c, 0x14), 0xffffffff, "upper dword: all address bits");
    cr_expect_eq(size_bar(&c, 0x18), 0xfff00000);
    cr_expect_eq(size_bar(&c, 0x1c), 0xffffffe1, "I/O: bit 0 stays");
    cr_expect_eq(size_bar(&c, 0x20), 0, "unknown size: not implemented");
    cr_expect_eq(size_bar(&c, 0x24), 0, "known unimplemented");
    wr(&c, 0, 3, 0, 0x18, 4, 0x12345678);
    cr_expect_eq(rd(&c, 0, 3, 0, 0x18, 4), 0x12300000, "only the address bits above the size");
    wr(&c, 0, 3, 0, 0x1b, 1, 0xab);
    cr_expect_eq(rd(&c, 0, 3, 0, 0x18, 4), 0xab300000, "a byte write keeps the rest");
    c = cfg_of_view(0, PCID_DUMP_UNSIZED_FIXED);
    cr_expect_eq(size_bar(&c, 0x20), 0xfc000000, "unknown size, fixed: the value as dumped");
    cr_expect_eq(size_bar(&c, 0x24), 0, "known unimplemented either way");

    /* what pcid makes of it */
    struct pcid_enum_opts o = {.size_bars = true};
    for (int fixed = 0; fixed < 2; fixed++) {
        pcid_dump_view_init(view, dump, 0, fixed ? PCID_DUMP_UNSIZED_FIXED : PCID_DUMP_UNSIZED_ABSENT);
        cr_assert_eq(pcid_dump_enumerate(view, &o, &topo), IOSIM_OK);
        cr_assert_eq(topo.count, 1);
        const struct pcid_bar *b = topo.funcs[0].bar;
        cr_expect_eq(b[0].kind, PCID_BAR_MEM64);
        cr_expect(b[0].prefetch);
        cr_expect_eq(b[0].size, 16 << 10);
        cr_expect_eq(b[0].addr, 0x1fe000000ull);
        cr_expect_eq(b[2].kind, PCID_BAR_MEM32);
        cr_expect_eq(b[2].size, 1 << 20);
        cr_expect_eq(b[3].kind, PCID_BAR_IO);
        cr_expect_eq(b[3].size, 32);
        cr_expect_eq(b[3].addr, 0xe000);
        cr_expect_eq(b[4].kind, fixed ? PCID_BAR_MEM32 : PCID_BAR_NONE);
        cr_expect_eq(b[4].size, fixed ? 1u << 26 : 0, "fixed: the lowest address bit");
        cr_expect_eq(b[5].kind, PCID_BAR_NONE);
    }
}

/* Functions that no walk from bus 0 reaches are read on their own. */
Test(pcid_dump, enumerate_reaches_lone_functions)
{
    uint8_t ep[64] = {0x4c, 0x10, 0x41, 0x82};
    ep[PCI_CLASS] = PCI_CLASS_SERIAL_BUS;
    uint8_t br[64] = {0xb5, 0x13, 0x00, 0x01};
    br[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_BRIDGE;
    br[PCI_BRIDGE_PRIMARY_BUS] = 2;
    br[PCI_BRIDGE_SECONDARY_BUS] = 3;
    br[PCI_BRIDGE_SUBORDINATE_BUS] = 3;
    cr_assert_eq(pcid_dump_add_raw(dump, 0, 1, 0, 0, ep, sizeof ep), IOSIM_OK);
    cr_assert_eq(pcid_dump_add_raw(dump, 0, 0x0c, 0, 3, ep, sizeof ep), IOSIM_OK);
    cr_assert_eq(pcid_dump_add_raw(dump, 0, 2, 1, 0, br, sizeof br), IOSIM_OK);
    cr_assert_eq(pcid_dump_add_raw(dump, 0, 3, 0, 0, ep, sizeof ep), IOSIM_OK);
    cr_assert_eq(pcid_dump_add_raw(dump, 0, 4, 0, 0, (uint8_t[64]){0xff, 0xff}, 64), IOSIM_OK);

    struct pcid_enum_opts o = {.size_bars = true};
    pcid_dump_view_init(view, dump, 0, PCID_DUMP_UNSIZED_ABSENT);
    struct pcid_cfg c = pcid_dump_cfg(view);
    cr_assert_eq(pcid_enumerate(&c, &o, &topo), IOSIM_OK);
    cr_expect_eq(topo.count, 0, "nothing on bus 0");
    cr_assert_eq(pcid_dump_enumerate(view, &o, &topo), IOSIM_OK);
    cr_assert_eq(topo.count, 4, "the vendor-ffff function is nothing");
    cr_expect_eq(topo.funcs[0].bus, 1);
    cr_expect_eq(topo.funcs[0].parent, UINT32_MAX);
    cr_expect_eq(topo.funcs[1].bus, 0x0c);
    cr_expect_eq(topo.funcs[1].fn, 3, "function 3 without function 0");
    cr_expect(topo.funcs[2].bridge);
    cr_expect_eq(topo.funcs[3].bus, 3);
    cr_expect_eq(topo.funcs[3].parent, 2, "behind a dumped bridge: walked from it");
    cr_expect_eq(pcid_enumerate_function(&c, &o, 4, 0, 0, &topo), IOSIM_ENOENT);
    cr_expect_eq(pcid_enumerate_function(&c, &o, 4, 32, 0, &topo), IOSIM_EINVAL);
    cr_expect_eq(pcid_enumerate_function(NULL, &o, 4, 0, 0, &topo), IOSIM_EINVAL);
    cr_expect_eq(pcid_dump_enumerate(NULL, &o, &topo), IOSIM_EINVAL);

    /* assigning buses: a probed bridge gets numbers above everything in use */
    o.assign_buses = true;
    pcid_dump_view_init(view, dump, 0, PCID_DUMP_UNSIZED_ABSENT);
    cr_assert_eq(pcid_dump_enumerate(view, &o, &topo), IOSIM_OK);
    const struct pcid_func *b = pcid_topology_find(&topo, 2, 1, 0);
    cr_assert_not_null(b);
    cr_expect_eq(b->secondary, 0x0d, "above bus 0c, the highest in use");
    cr_expect_eq(c.read(c.ctx, 2, 1, 0, PCI_BRIDGE_SECONDARY_BUS, 1), 0x0d, "written to the view");
}
