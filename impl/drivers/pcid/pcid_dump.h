/*
 * pcid_dump.h - configuration spaces of real machines, read from dumps
 * (lspci hex output, sysfs `config` files) and served to pcid as a struct
 * pcid_cfg, so that pcid's enumeration can be run on hardware nobody here
 * owns and its findings compared with what lspci said about the same bytes.
 *
 *     static struct pcid_dump dump;            (large: static or heap)
 *     static struct pcid_dump_view view;
 *     static struct pcid_topology topo;
 *     struct pcid_dump_error err;
 *     if (pcid_dump_parse_lspci(text, len, &dump, &err) != IOSIM_OK)
 *         report "%u:%u: %s", err.line, err.col, err.msg
 *     pcid_dump_set_bar_size(&dump, 0, 0x01, 0, 0, 0, 64 << 10);   (if known elsewhere)
 *     pcid_dump_view_init(&view, &dump, 0, PCID_DUMP_UNSIZED_ABSENT);
 *     pcid_dump_enumerate(&view, &(struct pcid_enum_opts){.size_bars = true}, &topo);
 *
 * A dump is a set of functions, each with the first `len` bytes of its
 * configuration space (64, 256 or 4096 in practice) and, where something
 * said so, the sizes of its BARs. A dump of configuration space alone
 * cannot tell a BAR's size: that takes writing the BAR [LB 6.2.5.1],
 * which a dump cannot answer. The sizes come from a second source: the
 * `[size=...]` of lspci's Region lines, sysfs `resource` files, or the
 * caller (pcid_dump_set_bar_size).
 *
 * lspci text (pcid_dump_parse_lspci). What lspci prints with -x / -xxx /
 * -xxxx, alone or with -v / -vv / -vvv / -nn / -k:
 *   - a function starts at a header line at column 0, `[DDDD:]BB:DD.F`
 *     then a blank or the end of the line (the rest is not read);
 *   - hex lines at column 0, `OFF: xx xx ... xx` with 16 bytes, OFF in hex
 *     with 2 or 3 digits, contiguous from 0 in steps of 16 per function;
 *   - indented lines are lspci's decoding; of them only `Region N: ...
 *     [size=S]` lines before the function's first `Capabilities:` line
 *     are read (S is decimal with an optional K, M, G or T), for BAR N's
 *     size. `[virtual]` and `[enhanced]` regions are not in the BAR, so
 *     their sizes are not taken; the SR-IOV VF regions come after
 *     Capabilities and are not the function's BARs;
 *   - any other line is skipped (blank lines, stderr such as "lspci:
 *     Unable to load libkmod resources"), except that
 *   - mail clients hard-wrap long lines: a line at column 0 that is none
 *     of the above continues the line before it. After a hex line with
 *     fewer than 16 bytes its bytes continue the row; after a Region line
 *     without a size it is searched for the size; else it is skipped.
 *     A continuation that itself looks like a header or a hex line (it
 *     starts "ab: " or "01:00.0 ") is taken as one; in practice that
 *     then fails as an offset out of order or a second header line.
 *   - line endings LF or CRLF; the last line needs no newline.
 * A function with no hex lines, a hex line with other than 16 bytes, a
 * gap or step back in the offsets, an offset of 4096 or more, a byte that
 * is not two hex digits, a bad bus/device/function, a function seen twice,
 * a Region size that is not a power of two: EPARSE, with the line and
 * column (1-based, in bytes) of the offending text in *err. More functions
 * than PCID_DUMP_FUNCS_MAX: ENOSPC, also with its position. On error the
 * dump is left empty: nothing partial counts.
 *
 * The view (pcid_dump_view, pcid_dump_cfg) serves one PCI domain
 * (segment) of a dump as configuration space, answering what pcid reads
 * and writes as the hardware would have:
 *   - absent functions read all ones, as a master abort does [LB 6.1];
 *   - a present function's known bytes read as dumped; bytes past them
 *     (a 64-byte `lspci -x` dump) read 0, so a capability pointer into
 *     them finds ID 0 and next 0: the list ends there instead of walking
 *     garbage or, with all ones, looping (0xfc pointing at itself);
 *   - writes go to an overlay of the first 256 bytes kept per function in
 *     the view (the dump itself is never written). Outside the BARs the
 *     overlay is plain memory: what is written reads back (no read-only,
 *     write-1-to-clear or reserved bits), so pcid's save and restore of
 *     the command register round-trips. Writes at offset 256 and above
 *     are dropped: nothing pcid writes lives there;
 *   - the BARs (6 in a type 0 header, 2 in a type 1, which and how wide
 *     as the dumped values say) behave as BARs do: with the size known,
 *     only the address bits at and above the size are writable and the
 *     type bits stay as dumped, so writing all ones reads back the sizing
 *     mask ~(size - 1) (for a 64-bit BAR the upper dword too) and writing
 *     the dumped value back restores it. A BAR known to be unimplemented
 *     (size 0) reads 0 after any write but of its dumped value (which
 *     restores it). A BAR whose size is unknown does what the view was
 *     told (enum pcid_dump_unsized). The expansion ROM register is plain
 *     memory (pcid does not size it).
 *
 * Reaching the functions (pcid_dump_enumerate): pcid_enumerate walks from
 * bus 0 through the bridges. A whole-machine dump is reached that way. A
 * dump of a few functions (`lspci -s 01:00.0 -xxx`) is not: its bus's
 * bridge is not in the dump, or function 3 is there without function 0
 * (which a walk reads first, as it must [LB 6.2.1]). pcid_dump_enumerate
 * first walks from bus 0 exactly as pcid_enumerate does, then reads each
 * dumped function of the domain that walk did not reach on its own with
 * pcid_enumerate_function, in dump order, appended (parent UINT32_MAX,
 * buses below a dumped bridge walked as usual). Nothing is invented: no
 * bridge or function that is not in the dump appears, and what the walk
 * reached is exactly what pcid_enumerate reports.
 *
 * Ownership: all storage is the caller's (the dump is about 1 MiB, the
 * view about 70 KiB); nothing is allocated. A view points at its dump,
 * which must outlive it and not change while it is used. The parser reads
 * exactly len bytes of text, which need not be NUL-terminated. Not
 * thread-safe.
 */
#ifndef IOSIM_PCID_DUMP_H
#define IOSIM_PCID_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impl/drivers/pcid/pcid_enum.h"
#include "impl/port/err.h"
#include "impl/port/spec/pci_regs.h"

#define PCID_DUMP_FUNCS_MAX PCID_FUNCS_MAX
#define PCID_DUMP_OVERLAY_DWORDS (PCI_CFG_SIZE / 4u)

struct pcid_dump_func {
    uint16_t domain;
    uint8_t bus, dev, fn;
    uint16_t len;                           /* bytes of cfg known, from offset 0 */
    bool bar_size_known[PCI_BAR_COUNT];     /* for a 64-bit BAR: on its lower index */
    uint64_t bar_size[PCI_BAR_COUNT];       /* known and 0: not implemented */
    uint8_t cfg[PCI_CFG_EXT_SIZE];
};

struct pcid_dump {
    struct pcid_dump_func funcs[PCID_DUMP_FUNCS_MAX];
    uint32_t count;
};

struct pcid_dump_error {
    uint32_t line, col;     /* 1-based, of the offending text */
    char msg[96];
};

/* What a BAR whose size is unknown does when written. */
enum pcid_dump_unsized {
    /* Reads 0 after any write but of its dumped value (which restores it):
     * sizing finds "not implemented", pcid reports no BAR. For dumps that
     * say nothing of sizes, or to leave such BARs out. */
    PCID_DUMP_UNSIZED_ABSENT,
    /* Ignores writes and keeps its dumped value: sizing reads the address
     * as the mask, so pcid sees the right kind and, as size, the lowest
     * set address bit (at least the real size for an assigned BAR; pcid
     * may flag the mask as PCID_PROB_BAR_MASK). */
    PCID_DUMP_UNSIZED_FIXED,
};

struct pcid_dump_overlay {
    uint64_t written;       /* bit k: dword k has been written, value in dw[k] */
    uint32_t dw[PCID_DUMP_OVERLAY_DWORDS];
};

struct pcid_dump_view {
    const struct pcid_dump *dump;
    uint16_t domain;
    enum pcid_dump_unsized unsized;
    uint32_t last;          /* index of the function found last: reads come in runs */
    struct pcid_dump_overlay ov[PCID_DUMP_FUNCS_MAX]; /* by index in the dump */
};

/* An empty dump (a zeroed one is empty too). */
void pcid_dump_init(struct pcid_dump *d);

/* Replaces *out with the functions of lspci text; see above. err may be
 * NULL. EPARSE / ENOSPC with *err filled; EINVAL for a NULL text or out. */
enum iosim_err pcid_dump_parse_lspci(const char *text, size_t len, struct pcid_dump *out,
                                     struct pcid_dump_error *err);

/* Adds a function from len raw bytes of its configuration space (a sysfs
 * `config` file: 64 bytes unprivileged, 256 or 4096 as root). EINVAL: dev
 * or fn out of range, cfg NULL, len 0 or above 4096; EEXIST: the function
 * is there already; ENOSPC: the dump is full. */
enum iosim_err pcid_dump_add_raw(struct pcid_dump *d, uint16_t domain, uint8_t bus, uint8_t dev,
                                 uint8_t fn, const uint8_t *cfg, size_t len);

/* Records the size of BAR bar (0..5; a 64-bit BAR on its lower index) of
 * a dumped function: a power of two, or 0 for "not implemented". ENOENT:
 * no such function; EINVAL: bar above 5, or size not 0 or a power of two. */
enum iosim_err pcid_dump_set_bar_size(struct pcid_dump *d, uint16_t domain, uint8_t bus,
                                      uint8_t dev, uint8_t fn, unsigned bar, uint64_t size);

/* The dumped function, or NULL. */
const struct pcid_dump_func *pcid_dump_find(const struct pcid_dump *d, uint16_t domain,
                                            uint8_t bus, uint8_t dev, uint8_t fn);

/* A view of one domain of d with an empty overlay (so a fresh view is the
 * dump as it was: re-init to undo what an enumeration wrote). */
void pcid_dump_view_init(struct pcid_dump_view *v, const struct pcid_dump *d, uint16_t domain,
                         enum pcid_dump_unsized unsized);

/* The view as configuration space; v is its context. */
struct pcid_cfg pcid_dump_cfg(struct pcid_dump_view *v);

/* pcid_enumerate on the view, then every dumped function of the domain it
 * did not reach, read on its own (see above). What pcid_enumerate returns. */
enum iosim_err pcid_dump_enumerate(struct pcid_dump_view *v, const struct pcid_enum_opts *opts,
                                   struct pcid_topology *out);

/* What a dump does not say about one of its functions, for a report to
 * say so instead of showing an absence. People paste `lspci -x` (or run
 * lspci unprivileged): 64 bytes, the header only. Then
 *   - the capability list may start, or go on, past the dumped bytes: the
 *     view reads those as 0 (the list ends), so pcid finds no capability
 *     where the hardware has some. cap_at is the first pointer of the walk
 *     (from PCI_CAP_PTR when the status register says there is a list)
 *     whose capability header is not wholly dumped, 0 when the walk stays
 *     inside (or there is no list); cap_first says it is the header's own
 *     pointer (nothing of the list was dumped);
 *   - a BAR whose size nothing gave reads as absent in the default view,
 *     though its dumped value says its kind and address: bars[0..nbars)
 *     are those with a non-zero address, in BAR order (a 64-bit BAR once,
 *     at its lower index, with the upper dword's bits).
 * A function dumped with fewer bytes than its header (len < 64) reports
 * what its bytes show. Reads only the dump. */
struct pcid_dump_unsized_bar {
    unsigned index;
    enum pcid_bar_kind kind;
    bool prefetch;
    uint64_t addr;
};

struct pcid_dump_unknown {
    uint16_t len;                   /* bytes dumped */
    uint16_t cap_at;                /* 0: none */
    bool cap_first;
    unsigned nbars;
    struct pcid_dump_unsized_bar bars[PCI_BAR_COUNT];
};

void pcid_dump_unknown(const struct pcid_dump_func *f, struct pcid_dump_unknown *u);

#endif /* IOSIM_PCID_DUMP_H */
