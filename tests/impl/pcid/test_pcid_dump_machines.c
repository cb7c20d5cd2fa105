/*
 * pcid on real machines: every directory under tests/fixtures/pci is
 * enumerated by pcid on its dump (pcid_dump), and what pcid reports is
 * compared with what lspci printed about the same machine, read here from
 * lspci's verbose text by a parser of its own (not pcid_dump's), field by
 * field. Set PCID_DUMP_TEST_COUNTS=1 to see what was compared per fixture.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump_test_util.h"

/* ---- lspci's verbose text, read independently --------------------------------------------- */

struct ls_region {
    bool present, is_virtual, size_known, addr_known, prefetch;
    enum pcid_bar_kind kind;
    uint64_t size, addr;
};

struct ls_func;
static bool ls_mem_region(const struct ls_func *l, int bar);

struct ls_func {
    uint16_t domain;
    uint8_t bus, dev, fn;
    char name[96];                      /* fixture/DDDD:BB:DD.F, for messages */
    bool ids, subsys, class_known, pin_known, bus_known;
    uint16_t vendor, device, sv, sd;
    uint8_t cls, sub, prog_if, rev, pin;
    uint8_t primary, secondary, subordinate;
    struct ls_region region[PCI_BAR_COUNT];
    bool in_caps;
    int cap;                            /* the capability the lines now describe, or -1 */
    int pm_at;
    struct { int at; uint8_t log2; bool addr64, mask; } msi;
    struct { int at; int tbar, pbar; uint16_t count; uint32_t toff, poff; } msix;
    struct { int at, type, cap_gen, cap_width, sta_gen, sta_width; } pcie;
};

/* Does lspci show BAR `bar` as a memory Region? */
static bool ls_mem_region(const struct ls_func *l, int bar)
{
    if (bar < 0 || bar >= (int)PCI_BAR_COUNT)
        return false;
    const struct ls_region *r = &l->region[bar];
    return r->present && !r->is_virtual && (r->kind == PCID_BAR_MEM32 || r->kind == PCID_BAR_MEM64);
}

#define LS_MAX 64

struct ls_dump {
    struct ls_func f[LS_MAX];
    unsigned n;
};

static bool xdigits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static bool ls_is_header(const char *s)
{
    int i = xdigits(s, 4) && s[4] == ':' ? 5 : 0;
    if (!(xdigits(s + i, 2) && s[i + 2] == ':' && xdigits(s + i + 3, 2) && s[i + 5] == '.' &&
          s[i + 6] >= '0' && s[i + 6] <= '7'))
        return false;
    return s[i + 7] == ' ' || s[i + 7] == '\0';
}

static bool ls_is_hex(const char *s)
{
    int n = 0;
    while (n < 4 && xdigits(s + n, 1))
        n++;
    return (n == 2 || n == 3) && s[n] == ':' && (s[n + 1] == ' ' || s[n + 1] == '\0');
}

/* Lines of text with mail wraps undone: a line at column 0 that is no
 * header and no hex row goes back onto the line before it. */
struct lines {
    char **v;
    size_t n;
};

static void ls_lines(const char *text, struct lines *out)
{
    *out = (struct lines){0};
    size_t cap = 0;
    for (const char *p = text; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = malloc(n + 1);
        cr_assert(line != NULL);
        memcpy(line, p, n);
        line[n] = '\0';
        if (n > 0 && line[n - 1] == '\r')
            line[--n] = '\0';
        p = nl ? nl + 1 : p + n;
        bool col0 = line[0] != '\0' && line[0] != ' ' && line[0] != '\t';
        if (col0 && !ls_is_header(line) && !ls_is_hex(line) && out->n > 0 &&
            out->v[out->n - 1][0] != '\0' && !ls_is_hex(out->v[out->n - 1])) {
            char *prev = out->v[out->n - 1];
            size_t pn = strlen(prev);
            prev = realloc(prev, pn + 1 + n + 1);
            cr_assert(prev != NULL);
            prev[pn] = ' ';
            memcpy(prev + pn + 1, line, n + 1);
            out->v[out->n - 1] = prev;
            free(line);
            continue;
        }
        if (out->n == cap) {
            cap = cap ? cap * 2 : 256;
            out->v = realloc(out->v, cap * sizeof *out->v);
            cr_assert(out->v != NULL);
        }
        out->v[out->n++] = line;
    }
}

static void ls_lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* Names lspci printed instead of numbers (no -nn), back to pci.ids numbers:
 * only the names that appear in the fixtures. */
static const struct { const char *name; uint16_t id; } vendor_names[] = {
    {"Intel Corporation", 0x8086},       {"Texas Instruments", 0x104c},
    {"ARM", 0x13b5},                     {"PLX Technology, Inc.", 0x10b5},
    {"Marvell Technology Group Ltd.", 0x1b4b}, {"Realtek Semiconductor Co., Ltd.", 0x10ec},
    {"Advanced Micro Devices, Inc. [AMD]", 0x1022},
};

static const struct { uint16_t vendor; const char *name; uint16_t id; } device_names[] = {
    {0x104c, "TUSB73x0 SuperSpeed USB 3.0 xHCI Host Controller", 0x8241},
    {0x8086, "Wildcat Point-LP USB xHCI Controller", 0x9cb1},
    {0x10ec, "RTL8111/8168/8411 PCI Express Gigabit Ethernet Controller", 0x8168},
};

static const struct { const char *name; uint8_t cls, sub; } class_names[] = {
    {"Host bridge", 0x06, 0x00},        {"PCI bridge", 0x06, 0x04},
    {"USB controller", 0x0c, 0x03},     {"SATA controller", 0x01, 0x06},
    {"Ethernet controller", 0x02, 0x00}, {"System peripheral", 0x08, 0x80},
    {"Mass storage controller", 0x01, 0x80}, {"SCSI storage controller", 0x01, 0x00},
    {"Communication controller", 0x07, 0x80}, {"Non-VGA unclassified device", 0x00, 0x00},
};

/* "[vvvv:dddd]", the last one in s[0, n). */
static bool last_id_pair(const char *s, size_t n, uint16_t *a, uint16_t *b)
{
    bool found = false;
    for (size_t i = 0; i + 11 <= n; i++)
        if (s[i] == '[' && xdigits(s + i + 1, 4) && s[i + 5] == ':' && xdigits(s + i + 6, 4) &&
            s[i + 10] == ']') {
            unsigned x, y;
            sscanf(s + i, "[%4x:%4x]", &x, &y);
            *a = (uint16_t)x;
            *b = (uint16_t)y;
            found = true;
        }
    return found;
}

/* "VENDOR-NAME DEVICE-NAME" to numbers, where the tables or a "Device hhhh"
 * tell. A subsystem's name is not its device's (pci.ids names subsystems
 * on their own: N1SDP's Realtek 10ec:0123 is printed with the name of
 * device 8168), so for subsystems only "Device hhhh" counts. */
static bool ids_from_names(const char *s, size_t n, bool device_table, uint16_t *vendor,
                           uint16_t *device)
{
    for (size_t v = 0; v < sizeof vendor_names / sizeof *vendor_names; v++) {
        size_t vn = strlen(vendor_names[v].name);
        if (n <= vn || strncmp(s, vendor_names[v].name, vn) != 0 || s[vn] != ' ')
            continue;
        const char *d = s + vn + 1;
        size_t dn = n - vn - 1;
        *vendor = vendor_names[v].id;
        unsigned x;
        if (dn == 11 && strncmp(d, "Device ", 7) == 0 && xdigits(d + 7, 4) &&
            sscanf(d + 7, "%4x", &x) == 1) {
            *device = (uint16_t)x;
            return true;
        }
        for (size_t k = 0; device_table && k < sizeof device_names / sizeof *device_names; k++)
            if (device_names[k].vendor == *vendor && strlen(device_names[k].name) == dn &&
                strncmp(d, device_names[k].name, dn) == 0) {
                *device = device_names[k].id;
                return true;
            }
        return false;
    }
    return false;
}

static struct ls_func *ls_header(struct ls_dump *d, const char *fixture, const char *s)
{
    cr_assert_lt(d->n, LS_MAX);
    struct ls_func *f = &d->f[d->n++];
    memset(f, 0, sizeof *f);
    f->cap = f->pm_at = f->msi.at = f->msix.at = f->pcie.at = -1;
    f->pin_known = true; /* no Interrupt line: pin 0 */
    unsigned dom = 0, bus, dev, fn;
    const char *p = s;
    if (s[4] == ':') {
        sscanf(s, "%4x", &dom);
        p = s + 5;
    }
    cr_assert_eq(sscanf(p, "%2x:%2x.%1u", &bus, &dev, &fn), 3, "%s: %s", fixture, s);
    f->domain = (uint16_t)dom;
    f->bus = (uint8_t)bus;
    f->dev = (uint8_t)dev;
    f->fn = (uint8_t)fn;
    snprintf(f->name, sizeof f->name, "%s %04x:%02x:%02x.%x", fixture, dom, bus, dev, fn);

    const char *rest = p + 8;
    const char *colon = strstr(rest, ": ");
    cr_assert_not_null(colon, "%s: no class", f->name);
    size_t cn = (size_t)(colon - rest);
    unsigned cc;
    if (cn >= 7 && rest[cn - 1] == ']' && rest[cn - 6] == '[' && xdigits(rest + cn - 5, 4)) {
        sscanf(rest + cn - 5, "%4x", &cc); /* -nn, or "Unassigned class [ffff]" */
        f->cls = (uint8_t)(cc >> 8);
        f->sub = (uint8_t)cc;
        f->class_known = true;
    } else {
        for (size_t k = 0; k < sizeof class_names / sizeof *class_names; k++)
            if (strlen(class_names[k].name) == cn && strncmp(rest, class_names[k].name, cn) == 0) {
                f->cls = class_names[k].cls;
                f->sub = class_names[k].sub;
                f->class_known = true;
            }
        cr_expect(f->class_known, "%s: class name '%.*s' not in the table", f->name, (int)cn, rest);
    }
    const char *desc = colon + 2;
    size_t dn = strlen(desc);
    const char *rev = strstr(desc, " (rev ");
    const char *progif = strstr(desc, " (prog-if ");
    unsigned x;
    if (rev != NULL && sscanf(rev, " (rev %2x)", &x) == 1)
        f->rev = (uint8_t)x; /* lspci leaves out a revision of 0 */
    if (progif != NULL && sscanf(progif, " (prog-if %2x", &x) == 1)
        f->prog_if = (uint8_t)x; /* and, with -v, a prog-if of 0 without a name */
    if (rev != NULL && (size_t)(rev - desc) < dn)
        dn = (size_t)(rev - desc);
    if (progif != NULL && (size_t)(progif - desc) < dn)
        dn = (size_t)(progif - desc);
    f->ids = last_id_pair(desc, dn, &f->vendor, &f->device) ||
             ids_from_names(desc, dn, true, &f->vendor, &f->device);
    return f;
}

static int gen_of(const char *s)
{
    static const char *const speeds[] = {"2.5GT/s", "5GT/s", "8GT/s", "16GT/s", "32GT/s", "64GT/s"};
    const char *p = strstr(s, "Speed ");
    if (p == NULL)
        return -1;
    for (int g = 0; g < 6; g++)
        if (strncmp(p + 6, speeds[g], strlen(speeds[g])) == 0)
            return g + 1;
    return -1;
}

static int width_of(const char *s)
{
    const char *p = strstr(s, "Width x");
    int w;
    return p != NULL && sscanf(p, "Width x%d", &w) == 1 ? w : -1;
}

static void ls_region(struct ls_func *f, const char *t)
{
    int n;
    cr_assert_eq(sscanf(t, "Region %d:", &n), 1, "%s: %s", f->name, t);
    cr_assert(n >= 0 && n < (int)PCI_BAR_COUNT, "%s: %s", f->name, t);
    struct ls_region *r = &f->region[n];
    r->present = true;
    const char *at = strstr(t, " at ");
    unsigned long long a;
    if (at != NULL && sscanf(at, " at %llx", &a) == 1 && at[4] != '<') {
        r->addr = a;
        r->addr_known = true;
    }
    if (strstr(t, ": I/O ports at ") != NULL) {
        r->kind = PCID_BAR_IO;
    } else {
        cr_assert(strstr(t, ": Memory at ") != NULL, "%s: %s", f->name, t);
        r->kind = strstr(t, "(64-bit, ") != NULL ? PCID_BAR_MEM64 : PCID_BAR_MEM32;
        r->prefetch = strstr(t, ", prefetchable)") != NULL;
    }
    r->is_virtual = strstr(t, "[virtual]") != NULL;
    const char *sz = strstr(t, "[size=");
    char unit = 0;
    unsigned long long v;
    if (sz != NULL && sscanf(sz, "[size=%llu%c", &v, &unit) >= 1) {
        int shift = unit == 'K' ? 10 : unit == 'M' ? 20 : unit == 'G' ? 30 : unit == 'T' ? 40 : 0;
        r->size = (uint64_t)v << shift;
        r->size_known = true;
    }
}

static void ls_cap(struct ls_func *f, const char *t)
{
    unsigned at;
    char close;
    f->cap = -1;
    if (sscanf(t, "Capabilities: [%2x%c", &at, &close) != 2 || close != ']' ||
        !xdigits(t + 15, 2))
        return; /* extended ([100 v1]) or <access denied>: pcid reads neither */
    const char *what = t + 19;
    f->cap = (int)at;
    if (strncmp(what, "Power Management version ", 25) == 0) {
        f->pm_at = (int)at;
    } else if (strncmp(what, "MSI: ", 5) == 0) {
        unsigned en, req;
        cr_assert(strstr(what, "Count=") && sscanf(strstr(what, "Count="), "Count=%u/%u", &en, &req) == 2,
                  "%s: %s", f->name, t);
        int log2 = 0;
        while ((1u << log2) < req)
            log2++;
        f->msi.at = (int)at;
        f->msi.log2 = (uint8_t)log2;
        f->msi.addr64 = strstr(what, "64bit+") != NULL;
        f->msi.mask = strstr(what, "Maskable+") != NULL;
    } else if (strncmp(what, "MSI-X: ", 7) == 0) {
        unsigned count;
        cr_assert(strstr(what, "Count=") && sscanf(strstr(what, "Count="), "Count=%u", &count) == 1,
                  "%s: %s", f->name, t);
        f->msix.at = (int)at;
        f->msix.count = (uint16_t)count;
        f->msix.tbar = f->msix.pbar = -1;
    } else if (strncmp(what, "Express (v", 10) == 0) {
        static const struct { const char *name; int type; } types[] = {
            {"Endpoint", 0x0}, {"Legacy Endpoint", 0x1}, {"Root Port", 0x4},
            {"Upstream Port", 0x5}, {"Downstream Port", 0x6},
            {"PCI-Express to PCI/PCI-X Bridge", 0x7}, {"PCI/PCI-X to PCI-Express Bridge", 0x8},
            {"Root Complex Integrated Endpoint", 0x9}, {"Root Complex Event Collector", 0xa}};
        const char *name = strchr(what, ')');
        cr_assert_not_null(name, "%s: %s", f->name, t);
        name += 2;
        f->pcie.at = (int)at;
        f->pcie.type = -1;
        f->pcie.cap_gen = f->pcie.cap_width = f->pcie.sta_gen = f->pcie.sta_width = -1;
        for (size_t k = 0; k < sizeof types / sizeof *types; k++) {
            size_t n = strlen(types[k].name);
            if (strncmp(name, types[k].name, n) == 0 && (name[n] == ',' || name[n] == ' '))
                f->pcie.type = types[k].type;
        }
        cr_expect_neq(f->pcie.type, -1, "%s: port type of '%s'", f->name, t);
    }
}

/* Inside a capability: the lines that say more about it. */
static void ls_cap_detail(struct ls_func *f, const char *t)
{
    unsigned bar, off;
    if (f->cap < 0)
        return;
    if (f->cap == f->msix.at && sscanf(t, "Vector table: BAR=%u offset=%x", &bar, &off) == 2) {
        f->msix.tbar = (int)bar;
        f->msix.toff = off;
    } else if (f->cap == f->msix.at && sscanf(t, "PBA: BAR=%u offset=%x", &bar, &off) == 2) {
        f->msix.pbar = (int)bar;
        f->msix.poff = off;
    } else if (f->cap == f->pcie.at && strncmp(t, "LnkCap:", 7) == 0) {
        f->pcie.cap_gen = gen_of(t);
        f->pcie.cap_width = width_of(t);
    } else if (f->cap == f->pcie.at && strncmp(t, "LnkSta:", 7) == 0) {
        f->pcie.sta_gen = gen_of(t);
        f->pcie.sta_width = width_of(t);
    }
}

static void ls_verbose(struct ls_func *f, const char *t)
{
    unsigned a, b, c;
    char pin;
    if (strncmp(t, "Capabilities:", 13) == 0) {
        f->in_caps = true;
        ls_cap(f, t);
    } else if (f->in_caps) {
        ls_cap_detail(f, t);
    } else if (strncmp(t, "Region ", 7) == 0) {
        ls_region(f, t);
    } else if (strncmp(t, "Subsystem: ", 11) == 0) {
        const char *s = t + 11;
        f->subsys = last_id_pair(s, strlen(s), &f->sv, &f->sd) ||
                    ids_from_names(s, strlen(s), false, &f->sv, &f->sd);
    } else if (sscanf(t, "Interrupt: pin %c routed", &pin) == 1) {
        f->pin = pin >= 'A' && pin <= 'D' ? (uint8_t)(pin - 'A' + 1) : 0;
        f->pin_known = true;
    } else if (strncmp(t, "Interrupts:", 11) == 0) {
        /* not lspci's form ("Interrupt: pin A routed to IRQ n", printed
         * when the pin or the line is not 0): the one fixture with it
         * (lspci-macbookpro12-1, "Interrupts: pin B disabled, MSI(X) ...")
         * has pin A (01) in its own hex at 3d; no evidence either way */
        f->pin_known = false;
    } else if (sscanf(t, "Bus: primary=%2x, secondary=%2x, subordinate=%2x", &a, &b, &c) == 3) {
        f->primary = (uint8_t)a;
        f->secondary = (uint8_t)b;
        f->subordinate = (uint8_t)c;
        f->bus_known = true;
    }
}

static void ls_parse(const char *fixture, const char *text, struct ls_dump *d)
{
    struct lines l;
    ls_lines(text, &l);
    struct ls_func *f = NULL;
    d->n = 0;
    for (size_t i = 0; i < l.n; i++) {
        const char *s = l.v[i];
        if (ls_is_header(s)) {
            f = ls_header(d, fixture, s);
        } else if (f != NULL && (s[0] == ' ' || s[0] == '\t')) {
            while (*s == ' ' || *s == '\t')
                s++;
            ls_verbose(f, s);
        }
    }
    ls_lines_free(&l);
}

static struct ls_func *ls_find(struct ls_dump *d, uint16_t domain, uint8_t bus, uint8_t dev,
                               uint8_t fn)
{
    for (unsigned i = 0; i < d->n; i++)
        if (d->f[i].domain == domain && d->f[i].bus == bus && d->f[i].dev == dev &&
            d->f[i].fn == fn)
            return &d->f[i];
    return NULL;
}

/* ---- comparing pcid with lspci --------------------------------------------------------------- */

struct counts {
    unsigned funcs, walked, ids, subsys, class_, prog_if, rev, pin, bars, bar_sizes, bar_addrs,
        bridges, caps, caps_beyond, resource;
};

/* Is a capability of `need` bytes at `at` inside what was dumped? */
static bool covered(const struct pcid_dump_func *df, int at, int need)
{
    return at >= 0 && at + need <= (int)df->len;
}

static void compare_bars(const struct ls_func *l, const struct pcid_func *p, struct counts *n)
{
    unsigned nbars = p->bridge ? 2 : p->header_type == PCI_HEADER_TYPE_NORMAL ? PCI_BAR_COUNT : 0;
    for (unsigned i = 0; i < nbars; i++) {
        const struct ls_region *r = &l->region[i];
        const struct pcid_bar *b = &p->bar[i];
        if (i > 0 && l->region[i - 1].present && l->region[i - 1].kind == PCID_BAR_MEM64) {
            cr_expect_not(r->present, "%s: Region %u inside a 64-bit BAR", l->name, i);
            cr_expect_eq(b->kind, PCID_BAR_NONE, "%s: BAR%u is the upper half", l->name, i);
            continue;
        }
        n->bars++;
        if (!r->present) {
            cr_expect_eq(b->kind, PCID_BAR_NONE, "%s: BAR%u: no Region line, pcid kind %d",
                         l->name, i, b->kind);
            cr_expect_eq(b->size, 0, "%s: BAR%u size", l->name, i);
            continue;
        }
        if (r->is_virtual)
            continue; /* not in the BAR */
        cr_expect_eq(b->kind, r->kind, "%s: BAR%u kind: pcid %d, lspci %d", l->name, i, b->kind,
                     r->kind);
        if (r->kind != PCID_BAR_IO)
            cr_expect_eq(b->prefetch, r->prefetch, "%s: BAR%u prefetchable", l->name, i);
        if (r->size_known) {
            n->bar_sizes++;
            cr_expect_eq(b->size, r->size, "%s: BAR%u size: pcid %#llx, lspci %#llx", l->name, i,
                         (unsigned long long)b->size, (unsigned long long)r->size);
        }
        if (r->addr_known) {
            n->bar_addrs++;
            cr_expect_eq(b->addr, r->addr, "%s: BAR%u address: pcid %#llx, lspci %#llx", l->name,
                         i, (unsigned long long)b->addr, (unsigned long long)r->addr);
        }
    }
}

static void compare_caps(const struct ls_func *l, const struct pcid_func *p,
                         const struct pcid_dump_func *df, struct counts *n)
{
    /* PM: pcid reads ID and next only; MSI its control word; MSI-X the
     * table and PBA words; PCI Express up to the link status */
    if (covered(df, l->pm_at, 2)) {
        n->caps++;
        cr_expect(p->pm, "%s: PM at %02x", l->name, l->pm_at);
        cr_expect_eq(p->pm_cap, l->pm_at, "%s: PM offset", l->name);
    } else {
        n->caps_beyond += l->pm_at >= 0;
        cr_expect_not(p->pm, "%s: PM where lspci shows none in the dump", l->name);
    }
    if (covered(df, l->msi.at, 4)) {
        n->caps++;
        cr_expect(p->msi.present, "%s: MSI at %02x", l->name, l->msi.at);
        cr_expect_eq(p->msi.cap, l->msi.at, "%s: MSI offset", l->name);
        cr_expect_eq(p->msi.vectors_log2, l->msi.log2, "%s: MSI vectors", l->name);
        cr_expect_eq(p->msi.addr64, l->msi.addr64, "%s: MSI 64-bit", l->name);
        cr_expect_eq(p->msi.masking, l->msi.mask, "%s: MSI masking", l->name);
    } else {
        n->caps_beyond += l->msi.at >= 0;
        cr_expect_not(p->msi.present, "%s: MSI where lspci shows none in the dump", l->name);
    }
    if (covered(df, l->msix.at, 12)) {
        n->caps++;
        cr_expect(p->msix.present, "%s: MSI-X at %02x", l->name, l->msix.at);
        cr_expect_eq(p->msix.cap, l->msix.at, "%s: MSI-X offset", l->name);
        cr_expect_eq(p->msix.vectors, l->msix.count, "%s: MSI-X vectors", l->name);
        cr_expect_eq(p->msix.table_bar, l->msix.tbar, "%s: MSI-X table BAR", l->name);
        cr_expect_eq(p->msix.table_off, l->msix.toff, "%s: MSI-X table offset", l->name);
        cr_expect_eq(p->msix.pba_bar, l->msix.pbar, "%s: MSI-X PBA BAR", l->name);
        cr_expect_eq(p->msix.pba_off, l->msix.poff, "%s: MSI-X PBA offset", l->name);
    } else {
        n->caps_beyond += l->msix.at >= 0;
        cr_expect_not(p->msix.present, "%s: MSI-X where lspci shows none in the dump", l->name);
    }
    if (covered(df, l->pcie.at, PCI_EXP_LNKSTA + 2)) {
        n->caps++;
        cr_expect(p->pcie.present, "%s: PCI Express at %02x", l->name, l->pcie.at);
        cr_expect_eq(p->pcie.cap, l->pcie.at, "%s: PCI Express offset", l->name);
        cr_expect_eq(p->pcie.type, l->pcie.type, "%s: port type", l->name);
        if (l->pcie.cap_gen >= 0) {
            cr_expect_eq(p->pcie.max_gen, l->pcie.cap_gen, "%s: LnkCap speed", l->name);
            cr_expect_eq(p->pcie.max_width, l->pcie.cap_width, "%s: LnkCap width", l->name);
        }
        if (l->pcie.sta_gen >= 0) {
            cr_expect_eq(p->pcie.gen, l->pcie.sta_gen, "%s: LnkSta speed", l->name);
            cr_expect_eq(p->pcie.width, l->pcie.sta_width, "%s: LnkSta width", l->name);
        }
    } else {
        n->caps_beyond += l->pcie.at >= 0;
        cr_expect_not(p->pcie.present, "%s: PCI Express where lspci shows none in the dump",
                      l->name);
    }
}

static void compare_func(const struct ls_func *l, const struct pcid_func *p,
                         const struct pcid_dump_func *df, struct counts *n)
{
    n->funcs++;
    if (l->ids) {
        n->ids++;
        cr_expect_eq(p->vendor, l->vendor, "%s: vendor %04x, lspci %04x", l->name, p->vendor,
                     l->vendor);
        cr_expect_eq(p->device, l->device, "%s: device %04x, lspci %04x", l->name, p->device,
                     l->device);
    }
    if (l->subsys && !p->bridge) {
        n->subsys++;
        cr_expect_eq(p->subsys_vendor, l->sv, "%s: subsystem vendor", l->name);
        cr_expect_eq(p->subsys, l->sd, "%s: subsystem", l->name);
    }
    if (l->class_known) {
        n->class_++;
        cr_expect_eq(p->class_code, l->cls, "%s: class %02x, lspci %02x", l->name, p->class_code,
                     l->cls);
        cr_expect_eq(p->subclass, l->sub, "%s: subclass %02x, lspci %02x", l->name, p->subclass,
                     l->sub);
    }
    n->prog_if++;
    cr_expect_eq(p->prog_if, l->prog_if, "%s: prog-if %02x, lspci %02x", l->name, p->prog_if,
                 l->prog_if);
    n->rev++;
    cr_expect_eq(p->revision, l->rev, "%s: revision %02x, lspci %02x", l->name, p->revision,
                 l->rev);
    if (l->pin_known) {
        n->pin++;
        cr_expect_eq(p->int_pin, l->pin, "%s: interrupt pin", l->name);
    }
    cr_expect_eq(p->bridge, l->bus_known, "%s: bridge, and lspci has a Bus line", l->name);
    if (l->bus_known && p->bridge) {
        n->bridges++;
        cr_expect_eq(p->bus, l->primary, "%s: primary bus", l->name);
        cr_expect_eq(p->secondary, l->secondary, "%s: secondary bus", l->name);
        cr_expect_eq(p->subordinate, l->subordinate, "%s: subordinate bus", l->name);
    }
    compare_bars(l, p, n);
    compare_caps(l, p, df, n);
    /* The one problem real hardware here has: an MSI-X table or PBA in a
     * BAR lspci shows no memory Region for (N1SDP's 0000:00:00.0 puts both
     * in a BAR0 it does not implement). */
    uint32_t want = 0;
    if (p->msix.present && l->msix.at >= 0 &&
        (!ls_mem_region(l, l->msix.tbar) || !ls_mem_region(l, l->msix.pbar)))
        want |= PCID_PROB_MSIX_BIR;
    cr_expect_eq(p->problems, want, "%s: problems %#x, lspci says %#x", l->name, p->problems,
                 want);
}

/* Sizing restored every register: the view reads as the dump. */
static void expect_view_is_dump(const char *fixture, const struct pcid_cfg *c, uint16_t domain)
{
    for (uint32_t i = 0; i < dump->count; i++) {
        const struct pcid_dump_func *f = &dump->funcs[i];
        if (f->domain != domain)
            continue;
        for (uint16_t off = 0; off < PCI_CFG_SIZE; off += 4) {
            uint32_t want = 0;
            for (unsigned b = 0; b < 4; b++)
                if (off + b < f->len)
                    want |= (uint32_t)f->cfg[off + b] << (8 * b);
            cr_expect_eq(c->read(c->ctx, f->bus, f->dev, f->fn, off, 4), want,
                         "%s %02x:%02x.%x: %03x not restored", fixture, f->bus, f->dev, f->fn, off);
        }
    }
}

/* Which functions a walk from bus 0 must reach, by lspci's own account:
 * those on bus 0 and those on the secondary bus of a reached bridge, when
 * their device's function 0 is there too. */
static bool ls_reachable(struct ls_dump *d, const struct ls_func *f, unsigned depth)
{
    if (depth > 32 || (f->fn != 0 && ls_find(d, f->domain, f->bus, f->dev, 0) == NULL))
        return false;
    if (f->bus == 0)
        return true;
    for (unsigned i = 0; i < d->n; i++)
        if (d->f[i].domain == f->domain && d->f[i].bus_known && d->f[i].secondary == f->bus &&
            d->f[i].bus < f->bus)
            return ls_reachable(d, &d->f[i], depth + 1);
    return false;
}

static void compare_fixture(const char *fixture, struct ls_dump *ls, struct counts *n)
{
    static bool domain_done[65536];
    memset(domain_done, 0, sizeof domain_done);
    for (uint32_t i = 0; i < dump->count; i++) {
        uint16_t dom = dump->funcs[i].domain;
        if (domain_done[dom])
            continue;
        domain_done[dom] = true;
        struct pcid_enum_opts o = {.assign_buses = false, .size_bars = true};

        /* the walk alone reaches exactly what lspci's bridges say it must */
        pcid_dump_view_init(view, dump, dom, PCID_DUMP_UNSIZED_ABSENT);
        struct pcid_cfg c = pcid_dump_cfg(view);
        cr_assert_eq(pcid_enumerate(&c, &o, &topo), IOSIM_OK);
        unsigned must = 0;
        for (unsigned k = 0; k < ls->n; k++) {
            const struct ls_func *l = &ls->f[k];
            if (l->domain != dom || !ls_reachable(ls, l, 0))
                continue;
            must++;
            cr_expect_not_null(pcid_topology_find(&topo, l->bus, l->dev, l->fn),
                               "%s: not reached from bus 0", l->name);
        }
        cr_expect_eq(topo.count, must, "%s domain %04x: the walk found %u, lspci's bridges say %u",
                     fixture, dom, topo.count, must);
        n->walked += topo.count;

        /* and everything dumped, compared */
        pcid_dump_view_init(view, dump, dom, PCID_DUMP_UNSIZED_ABSENT);
        cr_assert_eq(pcid_dump_enumerate(view, &o, &topo), IOSIM_OK);
        cr_expect_eq(topo.problems, 0, "%s: topology problems %#x", fixture, topo.problems);
        unsigned in_domain = 0;
        for (uint32_t k = 0; k < dump->count; k++)
            in_domain += dump->funcs[k].domain == dom;
        cr_expect_eq(topo.count, in_domain, "%s domain %04x: pcid reports %u of %u functions",
                     fixture, dom, topo.count, in_domain);
        for (uint32_t k = 0; k < topo.count; k++) {
            const struct pcid_func *p = &topo.funcs[k];
            const struct ls_func *l = ls_find(ls, dom, p->bus, p->dev, p->fn);
            cr_expect_not_null(l, "%s: pcid reports %04x:%02x:%02x.%x, lspci does not", fixture,
                               dom, p->bus, p->dev, p->fn);
            const struct pcid_dump_func *df = pcid_dump_find(dump, dom, p->bus, p->dev, p->fn);
            cr_assert_not_null(df);
            if (l != NULL)
                compare_func(l, p, df, n);
            if (p->parent != UINT32_MAX)
                cr_expect_eq(topo.funcs[p->parent].secondary, p->bus, "%s: parent", fixture);
        }
        expect_view_is_dump(fixture, &c, dom);
    }
    for (unsigned k = 0; k < ls->n; k++)
        cr_expect_not_null(pcid_dump_find(dump, ls->f[k].domain, ls->f[k].bus, ls->f[k].dev,
                                          ls->f[k].fn),
                           "%s: lspci shows it, the dump does not have it", ls->f[k].name);
}

/* ---- loading fixtures ------------------------------------------------------------------------ */

static char *fixture_file(const char *dir, const char *name, size_t *len)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s/%s", FIXTURES, dir, name);
    size_t dummy;
    return slurp(path, len ? len : &dummy);
}

static void load_lspci(const char *dir, const char *name)
{
    size_t len;
    char *text = fixture_file(dir, name, &len);
    cr_assert_not_null(text, "%s/%s", dir, name);
    enum iosim_err e = pcid_dump_parse_lspci(text, len, dump, &err);
    cr_assert_eq(e, IOSIM_OK, "%s/%s:%u:%u: %s", dir, name, err.line, err.col, err.msg);
    free(text);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sysfs: DDDD:BB:DD.F/config bytes, and BAR sizes and kinds from
 * DDDD:BB:DD.F/resource ("start end flags" per BAR). */
#define IORESOURCE_IO 0x00000100ull
#define IORESOURCE_MEM 0x00000200ull
#define IORESOURCE_PREFETCH 0x00002000ull
#define IORESOURCE_MEM_64 0x00100000ull

struct resource {
    uint64_t start, end, flags;
};

static struct resource sysfs_res[PCID_DUMP_FUNCS_MAX][PCI_BAR_COUNT];

static void load_sysfs(const char *dir)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", FIXTURES, dir);
    DIR *dp = opendir(path);
    cr_assert_not_null(dp, "%s", path);
    char *names[PCID_DUMP_FUNCS_MAX];
    unsigned nn = 0;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        unsigned a, b, c, d;
        char tail;
        if (sscanf(de->d_name, "%4x:%2x:%2x.%1x%c", &a, &b, &c, &d, &tail) == 4) {
            cr_assert_lt(nn, PCID_DUMP_FUNCS_MAX);
            names[nn++] = strdup(de->d_name);
        }
    }
    closedir(dp);
    qsort(names, nn, sizeof *names, cmp_str);
    pcid_dump_init(dump);
    for (unsigned i = 0; i < nn; i++) {
        unsigned dom, bus, dev, fn;
        sscanf(names[i], "%4x:%2x:%2x.%1x", &dom, &bus, &dev, &fn);
        char file[300];
        snprintf(file, sizeof file, "%s/config", names[i]);
        size_t len;
        char *cfg = fixture_file(dir, file, &len);
        cr_assert_not_null(cfg, "%s/%s", dir, file);
        cr_assert_eq(pcid_dump_add_raw(dump, (uint16_t)dom, (uint8_t)bus, (uint8_t)dev,
                                       (uint8_t)fn, (const uint8_t *)cfg, len),
                     IOSIM_OK, "%s/%s: %zu bytes", dir, file, len);
        free(cfg);
        snprintf(file, sizeof file, "%s/resource", names[i]);
        char *res = fixture_file(dir, file, NULL);
        cr_assert_not_null(res, "%s/%s", dir, file);
        const char *p = res;
        for (unsigned bar = 0; bar < PCI_BAR_COUNT; bar++) {
            unsigned long long s, e, f;
            int used;
            cr_assert_eq(sscanf(p, "%llx %llx %llx%n", &s, &e, &f, &used), 3, "%s line %u", file,
                         bar + 1);
            p += used;
            sysfs_res[dump->count - 1][bar] = (struct resource){s, e, f};
            uint64_t size = (s == 0 && e == 0) ? 0 : e - s + 1;
            cr_assert_eq(pcid_dump_set_bar_size(dump, (uint16_t)dom, (uint8_t)bus, (uint8_t)dev,
                                                (uint8_t)fn, bar, size),
                         IOSIM_OK, "%s BAR%u size %#llx", file, bar, (unsigned long long)size);
        }
        free(res);
        free(names[i]);
    }
}

/* The resource files against pcid: kind, prefetch, size, address. */
static void compare_sysfs_resources(const char *fixture, struct counts *n)
{
    struct pcid_enum_opts o = {.size_bars = true};
    pcid_dump_view_init(view, dump, dump->funcs[0].domain, PCID_DUMP_UNSIZED_ABSENT);
    cr_assert_eq(pcid_dump_enumerate(view, &o, &topo), IOSIM_OK);
    for (uint32_t i = 0; i < dump->count; i++) {
        const struct pcid_dump_func *f = &dump->funcs[i];
        const struct pcid_func *p = pcid_topology_find(&topo, f->bus, f->dev, f->fn);
        cr_assert_not_null(p, "%s: %02x:%02x.%x", fixture, f->bus, f->dev, f->fn);
        for (unsigned bar = 0; bar < PCI_BAR_COUNT; bar++) {
            const struct resource *r = &sysfs_res[i][bar];
            const struct pcid_bar *b = &p->bar[bar];
            n->resource++;
            if (r->flags == 0 && r->start == 0) {
                cr_expect_eq(b->kind, PCID_BAR_NONE, "%s %02x.%x BAR%u: no resource", fixture,
                             f->dev, f->fn, bar);
                continue;
            }
            enum pcid_bar_kind k = (r->flags & IORESOURCE_IO)         ? PCID_BAR_IO
                                   : (r->flags & IORESOURCE_MEM_64)   ? PCID_BAR_MEM64
                                   : (r->flags & IORESOURCE_MEM)      ? PCID_BAR_MEM32
                                                                      : PCID_BAR_NONE;
            cr_expect_eq(b->kind, k, "%s %02x.%x BAR%u kind", fixture, f->dev, f->fn, bar);
            if (k != PCID_BAR_IO)
                cr_expect_eq(b->prefetch, (r->flags & IORESOURCE_PREFETCH) != 0,
                             "%s %02x.%x BAR%u prefetch", fixture, f->dev, f->fn, bar);
            cr_expect_eq(b->size, r->end - r->start + 1, "%s %02x.%x BAR%u size", fixture, f->dev,
                         f->fn, bar);
            cr_expect_eq(b->addr, r->start, "%s %02x.%x BAR%u address", fixture, f->dev, f->fn,
                         bar);
        }
    }
}

/* pcid_dump's parser on the same machine's lspci -xxxx: the same bytes as sysfs. */
static void compare_sysfs_hex(const char *dir)
{
    static struct pcid_dump sysfs;
    memcpy(&sysfs, dump, sizeof sysfs);
    load_lspci(dir, "lspci-xxxx.txt");
    cr_expect_eq(dump->count, sysfs.count);
    for (uint32_t i = 0; i < sysfs.count; i++) {
        const struct pcid_dump_func *s = &sysfs.funcs[i];
        const struct pcid_dump_func *h = pcid_dump_find(dump, s->domain, s->bus, s->dev, s->fn);
        cr_assert_not_null(h, "%s: %02x:%02x.%x in lspci -xxxx", dir, s->bus, s->dev, s->fn);
        cr_expect_eq(h->len, s->len, "%s %02x.%x: length", dir, s->dev, s->fn);
        cr_expect(memcmp(h->cfg, s->cfg, s->len) == 0, "%s %02x.%x: bytes", dir, s->dev, s->fn);
    }
    memcpy(dump, &sysfs, sizeof sysfs);
}

/* The machines, as SOURCE.md describes them: functions, and the PM, MSI,
 * MSI-X and PCI Express capabilities inside the dump and beyond it (the
 * 64-byte dumps cover none). */
static const struct {
    const char *dir;
    unsigned funcs, caps, caps_beyond;
} fixtures[] = {
    {"sysfs-firecracker", 6, 5, 0},   /* MSI-X on the five virtio functions */
    {"lspci-arm-n1sdp", 16, 52, 0},
    {"lspci-asrock-x370-taichi", 2, 0, 6},
    {"lspci-hp-elitedesk-800g3-tusb7340", 1, 4, 0},
    {"lspci-macbookpro12-1", 1, 2, 0},
    {"lspci-tigerlake-lp-obsidian", 1, 0, 2},
};

static bool has_file(const char *dir, const char *name)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s/%s", FIXTURES, dir, name);
    FILE *fp = fopen(path, "rb");
    if (fp != NULL)
        fclose(fp);
    return fp != NULL;
}

static void one_fixture(const char *dir, unsigned funcs, unsigned caps, unsigned caps_beyond)
{
    static struct ls_dump ls, nn;
    struct counts n = {0};
    bool sysfs = has_file(dir, "0000:00:00.0/config");
    const char *verbose = has_file(dir, "lspci-vvvxxxx.txt") ? "lspci-vvvxxxx.txt" : "lspci-vvv.txt";
    char *text = fixture_file(dir, verbose, NULL);
    cr_assert_not_null(text, "%s: no verbose lspci text", dir);
    ls_parse(dir, text, &ls);
    free(text);
    if (has_file(dir, "lspci-nn.txt")) { /* numbers where the verbose text has names */
        text = fixture_file(dir, "lspci-nn.txt", NULL);
        ls_parse(dir, text, &nn);
        free(text);
        for (unsigned i = 0; i < nn.n; i++) {
            struct ls_func *l = ls_find(&ls, nn.f[i].domain, nn.f[i].bus, nn.f[i].dev, nn.f[i].fn);
            cr_assert_not_null(l, "%s: lspci-nn.txt %s", dir, nn.f[i].name);
            if (nn.f[i].ids && !l->ids) {
                l->ids = true;
                l->vendor = nn.f[i].vendor;
                l->device = nn.f[i].device;
            }
            if (nn.f[i].class_known) {
                l->class_known = true;
                l->cls = nn.f[i].cls;
                l->sub = nn.f[i].sub;
            }
        }
    }
    cr_assert_eq(ls.n, funcs, "%s: lspci shows %u functions, SOURCE.md says %u", dir, ls.n, funcs);

    if (sysfs) {
        load_sysfs(dir);
        compare_sysfs_hex(dir);
    } else if (has_file(dir, "lspci-vvvxxxx.txt")) {
        load_lspci(dir, "lspci-vvvxxxx.txt"); /* sizes: its own Region lines */
    } else {
        load_lspci(dir, "lspci-xxxx.txt");
        /* hex and verbose text are separate here: the sizes come from the
         * verbose text's Region lines, as the combined files' do */
        for (unsigned i = 0; i < ls.n; i++)
            for (unsigned bar = 0; bar < PCI_BAR_COUNT; bar++)
                if (ls.f[i].region[bar].size_known && !ls.f[i].region[bar].is_virtual)
                    cr_assert_eq(pcid_dump_set_bar_size(dump, ls.f[i].domain, ls.f[i].bus,
                                                        ls.f[i].dev, ls.f[i].fn, bar,
                                                        ls.f[i].region[bar].size),
                                 IOSIM_OK);
    }
    cr_assert_eq(dump->count, funcs, "%s: the dump has %u functions", dir, dump->count);
    /* For the lspci fixtures the sizes pcid finds went in from the same
     * text they are compared with: that checks the sizing protocol, and
     * the kinds and addresses, not the sizes themselves. sysfs-firecracker
     * has two sources: resource files in, lspci-vvv.txt to compare. */
    compare_fixture(dir, &ls, &n);
    if (sysfs)
        compare_sysfs_resources(dir, &n);

    /* never vacuous: every function's IDs and class, and every capability
     * pcid reads that lies inside the dump */
    cr_expect_eq(n.funcs, funcs, "%s: %u functions compared", dir, n.funcs);
    cr_expect_eq(n.ids, funcs, "%s: IDs of %u functions compared", dir, n.ids);
    cr_expect_eq(n.class_, funcs, "%s: class of %u functions compared", dir, n.class_);
    cr_expect_eq(n.caps, caps, "%s: %u capabilities compared, not %u", dir, n.caps, caps);
    cr_expect_eq(n.caps_beyond, caps_beyond, "%s: %u capabilities beyond the dump, not %u", dir,
                 n.caps_beyond, caps_beyond);
    cr_expect_gt(n.bar_sizes, 0, "%s: BAR sizes compared", dir);
    if (getenv("PCID_DUMP_TEST_COUNTS") != NULL)
        fprintf(stderr,
                "%-36s funcs %u walked %u ids %u subsys %u class %u prog-if %u rev %u pin %u "
                "bars %u sizes %u addrs %u bridges %u caps %u (beyond the dump %u) resource %u\n",
                dir, n.funcs, n.walked, n.ids, n.subsys, n.class_, n.prog_if, n.rev, n.pin, n.bars,
                n.bar_sizes, n.bar_addrs, n.bridges, n.caps, n.caps_beyond, n.resource);
}

Test(pcid_dump, real_machines_pcid_agrees_with_lspci, .timeout = 60)
{
    DIR *dp = opendir(FIXTURES);
    cr_assert_not_null(dp, "%s", FIXTURES);
    bool seen[sizeof fixtures / sizeof *fixtures] = {false};
    unsigned dirs = 0;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        dirs++;
        size_t k = 0;
        while (k < sizeof fixtures / sizeof *fixtures && strcmp(fixtures[k].dir, de->d_name) != 0)
            k++;
        cr_expect_lt(k, sizeof fixtures / sizeof *fixtures,
                     "fixture %s is not in this test's table: add it", de->d_name);
        if (k == sizeof fixtures / sizeof *fixtures)
            continue;
        seen[k] = true;
        one_fixture(fixtures[k].dir, fixtures[k].funcs, fixtures[k].caps, fixtures[k].caps_beyond);
    }
    closedir(dp);
    for (size_t k = 0; k < sizeof fixtures / sizeof *fixtures; k++)
        cr_expect(seen[k], "fixture %s is gone", fixtures[k].dir);
    cr_expect_eq(dirs, sizeof fixtures / sizeof *fixtures);
}
