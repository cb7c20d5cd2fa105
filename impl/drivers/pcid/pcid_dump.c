/*
 * Configuration spaces from dumps; see pcid_dump.h. The text is from
 * anywhere: every index is checked against the line it is in, every
 * number against its range, before it is used.
 */
#include "impl/drivers/pcid/pcid_dump.h"

#include <string.h>

#include "impl/port/check.h"
#include "impl/util/num.h"
#include "impl/util/strbuf.h"

/* The limits the messages spell out. */
_Static_assert(PCID_DUMP_FUNCS_MAX == 256 && PCI_CFG_EXT_SIZE == 4096, "update the messages");
_Static_assert(PCID_DUMP_OVERLAY_DWORDS <= 64, "the overlay's written mask is 64 bits");

#define HEX_ROW 16u /* bytes on an lspci hex line */

/* ---- the dump ----------------------------------------------------------------------------- */

static bool same_func(const struct pcid_dump_func *f, uint16_t domain, uint8_t bus, uint8_t dev,
                      uint8_t fn)
{
    ASSERT(f != NULL);
    ASSERT(f->fn < PCI_FNS_PER_DEV); /* added only after the check */
    return f->domain == domain && f->bus == bus && f->dev == dev && f->fn == fn;
}

static uint32_t func_count(const struct pcid_dump *d)
{
    ASSERT(d != NULL);
    return d->count < PCID_DUMP_FUNCS_MAX ? d->count : PCID_DUMP_FUNCS_MAX;
}

static struct pcid_dump_func *find_mut(struct pcid_dump *d, uint16_t domain, uint8_t bus,
                                       uint8_t dev, uint8_t fn)
{
    ASSERT(d != NULL);
    for (uint32_t i = 0; i < func_count(d); i++)
        if (same_func(&d->funcs[i], domain, bus, dev, fn))
            return &d->funcs[i];
    return NULL;
}

/* A new, empty function at the end; the caller checked there is room. */
static struct pcid_dump_func *append(struct pcid_dump *d, uint16_t domain, uint8_t bus,
                                     uint8_t dev, uint8_t fn)
{
    ASSERT(d->count < PCID_DUMP_FUNCS_MAX);
    struct pcid_dump_func *f = &d->funcs[d->count++];
    memset(f, 0, sizeof *f);
    f->domain = domain;
    f->bus = bus;
    f->dev = dev;
    f->fn = fn;
    ASSERT(dev < PCI_DEVS_PER_BUS && fn < PCI_FNS_PER_DEV);
    ASSERT(f->len == 0 && d->count <= PCID_DUMP_FUNCS_MAX);
    return f;
}

void pcid_dump_init(struct pcid_dump *d)
{
    ASSERT(d != NULL);
    d->count = 0;
}

const struct pcid_dump_func *pcid_dump_find(const struct pcid_dump *d, uint16_t domain,
                                            uint8_t bus, uint8_t dev, uint8_t fn)
{
    ASSERT(d != NULL);
    for (uint32_t i = 0; i < func_count(d); i++)
        if (same_func(&d->funcs[i], domain, bus, dev, fn))
            return &d->funcs[i];
    return NULL;
}

enum iosim_err pcid_dump_add_raw(struct pcid_dump *d, uint16_t domain, uint8_t bus, uint8_t dev,
                                 uint8_t fn, const uint8_t *cfg, size_t len)
{
    if (d == NULL || cfg == NULL || len == 0 || len > PCI_CFG_EXT_SIZE ||
        dev >= PCI_DEVS_PER_BUS || fn >= PCI_FNS_PER_DEV)
        return IOSIM_EINVAL;
    if (find_mut(d, domain, bus, dev, fn) != NULL)
        return IOSIM_EEXIST;
    if (d->count >= PCID_DUMP_FUNCS_MAX)
        return IOSIM_ENOSPC;
    struct pcid_dump_func *f = append(d, domain, bus, dev, fn);
    ASSERT(len <= sizeof f->cfg);
    memcpy(f->cfg, cfg, len);
    f->len = (uint16_t)len;
    ASSERT(f->len == len);
    return IOSIM_OK;
}

enum iosim_err pcid_dump_set_bar_size(struct pcid_dump *d, uint16_t domain, uint8_t bus,
                                      uint8_t dev, uint8_t fn, unsigned bar, uint64_t size)
{
    if (d == NULL || bar >= PCI_BAR_COUNT || (size & (size - 1)) != 0)
        return IOSIM_EINVAL;
    struct pcid_dump_func *f = find_mut(d, domain, bus, dev, fn);
    if (f == NULL)
        return IOSIM_ENOENT;
    ASSERT(bar < PCI_BAR_COUNT);
    ASSERT((size & (size - 1)) == 0);
    f->bar_size[bar] = size;
    f->bar_size_known[bar] = true;
    return IOSIM_OK;
}

/* ---- lspci text: lines and characters ------------------------------------------------------ */

struct line {
    const char *s;
    size_t n;       /* without the newline and a CR before it */
};

struct parser {
    const char *text;
    size_t len, pos;            /* pos: where the next line starts */
    uint32_t line;              /* number of the line last read */
    struct pcid_dump *out;
    struct pcid_dump_error *err;
    struct pcid_dump_func *fn;  /* the function being read, or NULL */
    uint32_t fn_line;           /* its header line */
    bool caps;                  /* its Capabilities have begun: Region lines are over */
    bool in_row;                /* a hex row has fewer than 16 bytes so far */
    unsigned row_bytes;
    uint32_t row_off;           /* the row's offset */
    uint32_t row_line, row_col; /* where its text ends so far */
    int region;                 /* BAR of a Region line whose size is still to come, or -1 */
    bool region_virtual;        /* that region is not in the BAR */
};

static bool next_line(struct parser *ps, struct line *l)
{
    if (ps->pos >= ps->len)
        return false;
    ASSERT(ps->text != NULL);
    const char *s = ps->text + ps->pos;
    size_t rest = ps->len - ps->pos;
    const char *nl = memchr(s, '\n', rest);
    size_t n = nl != NULL ? (size_t)(nl - s) : rest;
    ps->pos += nl != NULL ? n + 1 : n;
    if (n > 0 && s[n - 1] == '\r')
        n--;
    ASSERT(n <= rest);
    ASSERT(ps->pos <= ps->len);
    *l = (struct line){s, n};
    ps->line++;
    return true;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The value of n hex digits at l.s[i], or -1 if they are not all there. */
static int32_t hex_at(struct line l, size_t i, size_t n)
{
    if (i > l.n || n > l.n - i || n > 4)
        return -1;
    int32_t v = 0;
    for (size_t k = 0; k < n; k++) {
        int d = num_hex_digit(l.s[i + k]);
        if (d < 0)
            return -1;
        v = v << 4 | d;
    }
    ASSERT(v >= 0 && v <= 0xffff); /* at most 4 digits */
    return v;
}

static bool starts_with(struct line l, size_t i, const char *word)
{
    ASSERT(word != NULL);
    size_t n = strlen(word);
    ASSERT(n > 0);
    return i <= l.n && n <= l.n - i && memcmp(l.s + i, word, n) == 0;
}

/* Where word starts in l.s[from, n), or l.n. */
static size_t find_word(struct line l, size_t from, const char *word)
{
    ASSERT(word != NULL);
    size_t n = strlen(word);
    ASSERT(n > 0);
    for (size_t i = from; i < l.n && n <= l.n - i; i++)
        if (memcmp(l.s + i, word, n) == 0)
            return i;
    return l.n;
}

static uint32_t col_of(size_t i)
{
    uint32_t col = i < UINT32_MAX ? (uint32_t)i + 1 : UINT32_MAX;
    ASSERT(col >= 1); /* columns are 1-based */
    return col;
}

/* ---- lspci text: errors -------------------------------------------------------------------- */

static struct strbuf error_at(struct parser *ps, uint32_t line, uint32_t col)
{
    ASSERT(ps->err != NULL);
    ASSERT(line >= 1 && col >= 1);
    ps->err->line = line;
    ps->err->col = col;
    struct strbuf sb;
    strbuf_init(&sb, ps->err->msg, sizeof ps->err->msg);
    return sb;
}

static enum iosim_err fail(struct parser *ps, size_t i, const char *msg)
{
    ASSERT(msg != NULL);
    struct strbuf sb = error_at(ps, ps->line, col_of(i));
    strbuf_put(&sb, msg);
    return IOSIM_EPARSE;
}

static void put_bdf(struct strbuf *sb, const struct pcid_dump_func *f)
{
    ASSERT(f->dev < PCI_DEVS_PER_BUS);
    ASSERT(f->fn < PCI_FNS_PER_DEV);
    strbuf_hex(sb, f->domain, 4);
    strbuf_put(sb, ":");
    strbuf_hex(sb, f->bus, 2);
    strbuf_put(sb, ":");
    strbuf_hex(sb, f->dev, 2);
    strbuf_put(sb, ".");
    strbuf_hex(sb, f->fn, 1);
}

/* The text at l.s[i], quoted, at most a few characters of it. */
static void put_text(struct strbuf *sb, struct line l, size_t i, size_t n)
{
    ASSERT(i <= l.n);
    size_t max = l.n - i < n ? l.n - i : n;
    strbuf_put(sb, "'");
    for (size_t k = 0; k < max; k++) {
        unsigned char c = (unsigned char)l.s[i + k];
        char out = c >= 0x20 && c < 0x7f ? (char)c : '?'; /* the message stays printable */
        strbuf_putn(sb, &out, 1);
    }
    strbuf_put(sb, "'");
}

/* ---- lspci text: hex rows ------------------------------------------------------------------ */

/* A hex row ended with fewer than 16 bytes: refused where its text ended. */
static enum iosim_err short_row(struct parser *ps)
{
    ASSERT(ps->in_row);
    ASSERT(ps->row_bytes < HEX_ROW);
    struct strbuf sb = error_at(ps, ps->row_line, ps->row_col);
    strbuf_put(&sb, "hex line ");
    strbuf_hex(&sb, ps->row_off, 2);
    strbuf_put(&sb, " has ");
    strbuf_dec(&sb, ps->row_bytes);
    strbuf_put(&sb, " bytes, not 16");
    return IOSIM_EPARSE;
}

/* The bytes of l from i on belong to the current row. */
static enum iosim_err row_bytes(struct parser *ps, struct line l, size_t i)
{
    struct pcid_dump_func *f = ps->fn;
    ASSERT(f != NULL && ps->in_row);
    ASSERT(ps->row_off % HEX_ROW == 0 && ps->row_off < PCI_CFG_EXT_SIZE);
    for (;;) {
        while (i < l.n && blank(l.s[i]))
            i++;
        if (i == l.n)
            break;
        size_t t = i;
        while (i < l.n && !blank(l.s[i]))
            i++;
        int32_t b = i - t == 2 ? hex_at(l, t, 2) : -1;
        if (b < 0) {
            struct strbuf sb = error_at(ps, ps->line, col_of(t));
            strbuf_put(&sb, "expected a hex byte, found ");
            put_text(&sb, l, t, i - t < 12 ? i - t : 12);
            return IOSIM_EPARSE;
        }
        if (ps->row_bytes == HEX_ROW)
            return fail(ps, t, "more than 16 bytes on a hex line");
        ASSERT(ps->row_off + ps->row_bytes < PCI_CFG_EXT_SIZE);
        f->cfg[ps->row_off + ps->row_bytes++] = (uint8_t)b;
    }
    ASSERT(ps->row_bytes <= HEX_ROW);
    if (ps->row_bytes == HEX_ROW) {
        ps->in_row = false;
        f->len = (uint16_t)(ps->row_off + HEX_ROW);
    } else {
        ps->row_line = ps->line;
        ps->row_col = col_of(l.n);
    }
    return IOSIM_OK;
}

/* `OFF: xx ...` with digits hex digits of offset. */
static enum iosim_err hex_line(struct parser *ps, struct line l, size_t digits)
{
    if (ps->fn == NULL)
        return fail(ps, 0, "hex dump before any function header");
    uint32_t off = 0;
    for (size_t k = 0; k < digits && off < PCI_CFG_EXT_SIZE; k++)
        off = off << 4 | (uint32_t)num_hex_digit(l.s[k]);
    if (off >= PCI_CFG_EXT_SIZE)
        return fail(ps, 0, "offset beyond the 4096 bytes of configuration space");
    if (digits < 2 || digits > 3)
        return fail(ps, 0, "offset needs 2 or 3 hex digits");
    if (off != ps->fn->len) { /* len grows a whole row at a time: it is the next offset */
        struct strbuf sb = error_at(ps, ps->line, 1);
        strbuf_put(&sb, "offset ");
        strbuf_hex(&sb, off, 2);
        strbuf_put(&sb, " out of order: expected ");
        strbuf_hex(&sb, ps->fn->len, 2);
        return IOSIM_EPARSE;
    }
    ASSERT(!ps->in_row); /* end_logical closed the last row */
    ASSERT(off % HEX_ROW == 0); /* len grows by whole rows */
    ps->in_row = true;
    ps->row_bytes = 0;
    ps->row_off = off;
    return row_bytes(ps, l, digits + 1);
}

/* ---- lspci text: functions ----------------------------------------------------------------- */

/* `[DDDD:]BB:DD.F ...`; digits: how many hex digits come before the first ':'. */
static enum iosim_err header_line(struct parser *ps, struct line l, size_t digits)
{
    uint16_t domain = 0;
    size_t i;
    if (digits == 4) {
        domain = (uint16_t)hex_at(l, 0, 4);
        i = 5;
    } else if (digits == 2) {
        i = 0;
    } else if (digits > 4) {
        return fail(ps, 0, "domain wider than 16 bits");
    } else {
        return fail(ps, 0, "expected [DDDD:]BB:DD.F");
    }
    int32_t bus = hex_at(l, i, 2);
    if (bus < 0 || i + 2 >= l.n || l.s[i + 2] != ':')
        return fail(ps, i, "expected the bus (2 hex digits and ':')");
    i += 3;
    int32_t dev = hex_at(l, i, 2);
    if (dev < 0 || i + 2 >= l.n || l.s[i + 2] != '.')
        return fail(ps, i, "expected the device (2 hex digits and '.')");
    if (dev >= (int32_t)PCI_DEVS_PER_BUS)
        return fail(ps, i, "device above 1f");
    i += 3;
    if (i >= l.n || l.s[i] < '0' || l.s[i] > '7')
        return fail(ps, i, "expected the function (0-7)");
    uint8_t fn = (uint8_t)(l.s[i] - '0');
    i++;
    if (i < l.n && !blank(l.s[i]))
        return fail(ps, i, "expected a blank after the function");
    struct pcid_dump *d = ps->out;
    const struct pcid_dump_func *dup = find_mut(d, domain, (uint8_t)bus, (uint8_t)dev, fn);
    if (dup != NULL) {
        struct strbuf sb = error_at(ps, ps->line, 1);
        put_bdf(&sb, dup);
        strbuf_put(&sb, " appears twice");
        return IOSIM_EPARSE;
    }
    if (d->count >= PCID_DUMP_FUNCS_MAX) {
        struct strbuf sb = error_at(ps, ps->line, 1);
        strbuf_put(&sb, "more than 256 functions");
        return IOSIM_ENOSPC;
    }
    ASSERT(!ps->in_row && ps->fn == NULL); /* end_function came first */
    ps->fn = append(d, domain, (uint8_t)bus, (uint8_t)dev, fn);
    ps->fn_line = ps->line;
    ps->caps = false;
    ASSERT(ps->fn == &d->funcs[d->count - 1]);
    return IOSIM_OK;
}

static enum iosim_err end_function(struct parser *ps)
{
    ASSERT(!ps->in_row);
    ASSERT(ps->region == -1);
    if (ps->fn != NULL && ps->fn->len == 0) {
        struct strbuf sb = error_at(ps, ps->fn_line, 1);
        strbuf_put(&sb, "no hex dump for ");
        put_bdf(&sb, ps->fn);
        strbuf_put(&sb, " (lspci -x, -xxx or -xxxx)");
        return IOSIM_EPARSE;
    }
    ps->fn = NULL;
    return IOSIM_OK;
}

/* ---- lspci text: Region sizes -------------------------------------------------------------- */

/* The size at l.s[i] (decimal, an optional K/M/G/T, then ']'). */
static enum iosim_err region_size(struct parser *ps, struct line l, size_t i, uint64_t *size)
{
    size_t start = i;
    uint64_t v = 0;
    while (i < l.n && l.s[i] >= '0' && l.s[i] <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return fail(ps, start, "region size too large");
        v = v * 10 + (uint64_t)(l.s[i] - '0');
        i++;
    }
    if (i == start)
        return fail(ps, start, "expected a region size");
    unsigned shift = 0;
    if (i < l.n) {
        switch (l.s[i]) {
        case 'K': shift = 10; break;
        case 'M': shift = 20; break;
        case 'G': shift = 30; break;
        case 'T': shift = 40; break;
        default: break;
        }
    }
    if (shift != 0)
        i++;
    if (i >= l.n || l.s[i] != ']')
        return fail(ps, start, "expected a region size (a number, K, M, G or T, and ']')");
    if (v > UINT64_MAX >> shift)
        return fail(ps, start, "region size too large");
    v <<= shift;
    if (v == 0 || (v & (v - 1)) != 0)
        return fail(ps, start, "region size is not a power of two");
    ASSERT(i < l.n && l.s[i] == ']');
    *size = v;
    return IOSIM_OK;
}

/* The part of a Region line from i on: its markers and, maybe, its size. */
static enum iosim_err region_rest(struct parser *ps, struct line l, size_t i)
{
    ASSERT(ps->fn != NULL);
    ASSERT(ps->region >= 0 && ps->region < (int)PCI_BAR_COUNT);
    if (find_word(l, i, "[virtual]") < l.n || find_word(l, i, "[enhanced]") < l.n)
        ps->region_virtual = true;
    size_t at = find_word(l, i, "[size=");
    if (at == l.n)
        return IOSIM_OK; /* maybe on a wrapped continuation */
    uint64_t size = 0;
    enum iosim_err e = region_size(ps, l, at + 6, &size);
    if (e != IOSIM_OK)
        return e;
    ASSERT(at + 6 <= l.n); /* after "[size=" */
    if (!ps->region_virtual) {
        ps->fn->bar_size[ps->region] = size;
        ps->fn->bar_size_known[ps->region] = true;
    }
    ps->region = -1;
    return IOSIM_OK;
}

/* An indented line: lspci's decoding. Only Region lines matter. */
static enum iosim_err verbose_line(struct parser *ps, struct line l)
{
    if (ps->fn == NULL || ps->caps)
        return IOSIM_OK;
    size_t i = 0;
    while (i < l.n && blank(l.s[i]))
        i++;
    if (starts_with(l, i, "Capabilities:")) {
        ps->caps = true; /* the SR-IOV VF regions in there are not this function's BARs */
        return IOSIM_OK;
    }
    if (!starts_with(l, i, "Region "))
        return IOSIM_OK;
    i += strlen("Region ");
    if (i + 1 >= l.n || l.s[i] < '0' || l.s[i] >= '0' + (int)PCI_BAR_COUNT || l.s[i + 1] != ':')
        return fail(ps, i, "expected a BAR number (0-5) and ':'");
    ps->region = l.s[i] - '0';
    ASSERT(ps->region >= 0 && ps->region < (int)PCI_BAR_COUNT);
    ps->region_virtual = false;
    return region_rest(ps, l, i + 2);
}

/* ---- lspci text: the lines ----------------------------------------------------------------- */

enum line_kind { LINE_BLANK, LINE_INDENTED, LINE_HEX, LINE_HEADER, LINE_OTHER };

/* What a line is; *digits: the hex digits at column 0 before a ':'. */
static enum line_kind classify(struct line l, size_t *digits)
{
    size_t i = 0;
    while (i < l.n && blank(l.s[i]))
        i++;
    if (i == l.n)
        return LINE_BLANK;
    if (i > 0)
        return LINE_INDENTED;
    while (i < l.n && num_hex_digit(l.s[i]) >= 0)
        i++;
    if (i == 0 || i == l.n || l.s[i] != ':')
        return LINE_OTHER;
    *digits = i;
    ASSERT(i >= 1 && i < l.n);
    return i + 1 == l.n || blank(l.s[i + 1]) ? LINE_HEX : LINE_HEADER;
}

/* A logical line (a line and its wrapped continuations) is over. */
static enum iosim_err end_logical(struct parser *ps)
{
    if (ps->in_row)
        return short_row(ps);
    ps->region = -1;
    ASSERT(!ps->in_row);
    return IOSIM_OK;
}

/* Text at column 0 that is no header and no hex line: wrapped text. */
static enum iosim_err continuation(struct parser *ps, struct line l)
{
    ASSERT(!ps->in_row || ps->fn != NULL);
    ASSERT(ps->region < 0 || ps->fn != NULL);
    if (ps->in_row)
        return row_bytes(ps, l, 0);
    if (ps->region >= 0)
        return region_rest(ps, l, 0);
    return IOSIM_OK; /* anything else: not ours */
}

static enum iosim_err one_line(struct parser *ps, struct line l)
{
    ASSERT(ps->line >= 1);
    ASSERT(ps->pos <= ps->len);
    size_t digits = 0;
    enum iosim_err e = IOSIM_OK;
    switch (classify(l, &digits)) {
    case LINE_BLANK: return end_logical(ps);
    case LINE_INDENTED:
        e = end_logical(ps);
        return e != IOSIM_OK ? e : verbose_line(ps, l);
    case LINE_HEX:
        e = end_logical(ps);
        return e != IOSIM_OK ? e : hex_line(ps, l, digits);
    case LINE_HEADER:
        e = end_logical(ps);
        if (e == IOSIM_OK)
            e = end_function(ps);
        return e != IOSIM_OK ? e : header_line(ps, l, digits);
    case LINE_OTHER: return continuation(ps, l);
    }
    return e;
}

enum iosim_err pcid_dump_parse_lspci(const char *text, size_t len, struct pcid_dump *out,
                                     struct pcid_dump_error *err)
{
    struct pcid_dump_error spare;
    if (err == NULL)
        err = &spare;
    *err = (struct pcid_dump_error){0};
    if (text == NULL || out == NULL)
        return IOSIM_EINVAL;
    out->count = 0;
    struct parser ps = {.text = text, .len = len, .out = out, .err = err, .region = -1};
    struct line l;
    enum iosim_err e = IOSIM_OK;
    while (e == IOSIM_OK && next_line(&ps, &l))
        e = one_line(&ps, l);
    if (e == IOSIM_OK)
        e = end_logical(&ps);
    if (e == IOSIM_OK)
        e = end_function(&ps);
    if (e != IOSIM_OK)
        out->count = 0; /* nothing partial */
    ASSERT(e != IOSIM_OK || (ps.fn == NULL && !ps.in_row));
    ASSERT(out->count <= PCID_DUMP_FUNCS_MAX);
    return e;
}

/* ---- the view ------------------------------------------------------------------------------ */

static bool access_ok(uint16_t off, unsigned size)
{
    return (size == 1 || size == 2 || size == 4) && off % size == 0 &&
           (uint32_t)off + size <= PCI_CFG_EXT_SIZE;
}

static uint32_t ones(unsigned size)
{
    ASSERT(size >= 1);
    return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

/* Index of the function in the view's domain, or UINT32_MAX. */
static uint32_t view_find(struct pcid_dump_view *v, uint8_t bus, uint8_t dev, uint8_t fn)
{
    const struct pcid_dump *d = v->dump;
    if (d == NULL)
        return UINT32_MAX;
    uint32_t n = func_count(d);
    if (v->last < n && same_func(&d->funcs[v->last], v->domain, bus, dev, fn))
        return v->last;
    ASSERT(n <= PCID_DUMP_FUNCS_MAX);
    for (uint32_t i = 0; i < n; i++)
        if (same_func(&d->funcs[i], v->domain, bus, dev, fn))
            return v->last = i;
    return UINT32_MAX;
}

/* Dword k as dumped; bytes past what is known read 0 (see pcid_dump.h). */
static uint32_t dumped_dword(const struct pcid_dump_func *f, unsigned k)
{
    ASSERT(k < PCI_CFG_EXT_SIZE / 4);
    size_t known = f->len < PCI_CFG_EXT_SIZE ? f->len : PCI_CFG_EXT_SIZE;
    uint32_t v = 0;
    for (unsigned b = 0; b < 4; b++)
        if ((size_t)4 * k + b < known)
            v |= (uint32_t)f->cfg[4 * k + b] << (8 * b);
    return v;
}

struct bar_reg {
    int bar;        /* the BAR (its lower index), or -1: dword k is no BAR */
    bool upper;     /* the upper dword of a 64-bit BAR */
};

/* Which BAR dword k is, by the dumped header type and BAR types. */
static struct bar_reg bar_at(const struct pcid_dump_func *f, unsigned k)
{
    uint8_t htype = (uint8_t)(dumped_dword(f, PCI_HEADER_TYPE / 4) >> 16) & PCI_HEADER_TYPE_MASK;
    unsigned n = htype == PCI_HEADER_TYPE_NORMAL   ? PCI_BAR_COUNT
                 : htype == PCI_HEADER_TYPE_BRIDGE ? 2u
                                                   : 0u;
    ASSERT(n <= PCI_BAR_COUNT);
    unsigned first = PCI_BAR0 / 4;
    for (unsigned i = 0; i < n;) {
        uint32_t lo = dumped_dword(f, first + i);
        bool wide = !(lo & PCI_BAR_SPACE_IO) &&
                    (lo & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64 && i + 1 < n;
        if (k == first + i)
            return (struct bar_reg){(int)i, false};
        if (wide && k == first + i + 1)
            return (struct bar_reg){(int)i, true};
        i += wide ? 2 : 1;
    }
    return (struct bar_reg){-1, false};
}

/* A BAR dword that was last written w, as the BAR would read back. */
static uint32_t bar_read(const struct pcid_dump_view *v, const struct pcid_dump_func *f,
                         struct bar_reg r, uint32_t w)
{
    ASSERT(r.bar >= 0 && r.bar < (int)PCI_BAR_COUNT);
    ASSERT(!r.upper || r.bar + 1 < (int)PCI_BAR_COUNT);
    uint32_t dumped = dumped_dword(f, PCI_BAR0 / 4 + (unsigned)r.bar + r.upper);
    uint64_t size = f->bar_size[r.bar];
    ASSERT((size & (size - 1)) == 0); /* set_bar_size and region_size refuse others */
    if (!f->bar_size_known[r.bar]) {
        switch (v->unsized) {
        case PCID_DUMP_UNSIZED_ABSENT: break;
        case PCID_DUMP_UNSIZED_FIXED: return dumped;
        }
        size = 0;
    }
    if (size == 0) /* as if hardwired to 0, but the dumped value restores itself */
        return w == dumped ? dumped : 0;
    uint64_t writable = ~(size - 1);
    if (r.upper)
        return w & (uint32_t)(writable >> 32);
    uint32_t type_bits = (dumped & PCI_BAR_SPACE_IO) ? ~PCI_BAR_IO_ADDR_MASK
                                                     : ~PCI_BAR_MEM_ADDR_MASK;
    return (w & (uint32_t)writable & ~type_bits) | (dumped & type_bits);
}

static uint32_t current_dword(const struct pcid_dump_view *v, uint32_t i, unsigned k)
{
    ASSERT(i < func_count(v->dump)); /* view_find found it */
    ASSERT(k < PCI_CFG_EXT_SIZE / 4);
    const struct pcid_dump_func *f = &v->dump->funcs[i];
    const struct pcid_dump_overlay *o = &v->ov[i];
    if (k >= PCID_DUMP_OVERLAY_DWORDS || !(o->written >> k & 1))
        return dumped_dword(f, k);
    struct bar_reg r = bar_at(f, k);
    return r.bar >= 0 ? bar_read(v, f, r, o->dw[k]) : o->dw[k];
}

static uint32_t view_read(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off,
                          unsigned size)
{
    struct pcid_dump_view *v = ctx;
    if (!access_ok(off, size))
        return ones(size);
    uint32_t i = view_find(v, bus, dev, fn);
    if (i == UINT32_MAX)
        return ones(size); /* nothing there: a master abort reads all ones */
    ASSERT((uint32_t)off + size <= PCI_CFG_EXT_SIZE);
    return (current_dword(v, i, off / 4u) >> (8 * (off % 4u))) & ones(size);
}

static void view_write(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off,
                       unsigned size, uint32_t value)
{
    struct pcid_dump_view *v = ctx;
    if (!access_ok(off, size))
        return;
    uint32_t i = view_find(v, bus, dev, fn);
    unsigned k = off / 4u;
    if (i == UINT32_MAX || k >= PCID_DUMP_OVERLAY_DWORDS)
        return;
    unsigned shift = 8 * (off % 4u);
    uint32_t mask = ones(size) << shift;
    uint32_t cur = current_dword(v, i, k); /* a narrow write keeps the other bytes as they read */
    v->ov[i].dw[k] = (cur & ~mask) | ((value << shift) & mask);
    v->ov[i].written |= 1ull << k;
    ASSERT(i < func_count(v->dump));
    ASSERT((v->ov[i].dw[k] & mask) == ((value << shift) & mask));
}

void pcid_dump_view_init(struct pcid_dump_view *v, const struct pcid_dump *d, uint16_t domain,
                         enum pcid_dump_unsized unsized)
{
    ASSERT(v != NULL);
    memset(v, 0, sizeof *v);
    v->dump = d;
    v->domain = domain;
    v->unsized = unsized;
}

struct pcid_cfg pcid_dump_cfg(struct pcid_dump_view *v)
{
    ASSERT(v != NULL);
    return (struct pcid_cfg){.read = view_read, .write = view_write, .ctx = v};
}

enum iosim_err pcid_dump_enumerate(struct pcid_dump_view *v, const struct pcid_enum_opts *opts,
                                   struct pcid_topology *out)
{
    if (v == NULL || v->dump == NULL)
        return IOSIM_EINVAL;
    struct pcid_cfg cfg = pcid_dump_cfg(v);
    enum iosim_err e = pcid_enumerate(&cfg, opts, out);
    const struct pcid_dump *d = v->dump;
    for (uint32_t i = 0; e == IOSIM_OK && i < func_count(d); i++) {
        const struct pcid_dump_func *f = &d->funcs[i];
        if (f->domain != v->domain || pcid_topology_find(out, f->bus, f->dev, f->fn) != NULL)
            continue;
        e = pcid_enumerate_function(&cfg, opts, f->bus, f->dev, f->fn, out);
        if (e == IOSIM_ENOENT) /* dumped as all ones or vendor 0: nothing to report */
            e = IOSIM_OK;
    }
    ASSERT(e != IOSIM_OK || pcid_topology_ok(out));
    return e;
}

/* ---- what a dump does not say ---------------------------------------------------------- */

/* The capability walk over the dumped bytes: the first pointer whose
 * header (ID and next) lies past them. A loop or a walk longer than the
 * space can hold ends it (pcid flags those itself). */
static void unknown_caps(const struct pcid_dump_func *f, struct pcid_dump_unknown *u)
{
    uint16_t status = (uint16_t)(dumped_dword(f, PCI_STATUS / 4) >> 16);
    if (f->len < PCI_CAP_PTR + 1u || !(status & PCI_STATUS_CAP_LIST))
        return;
    unsigned ptr = f->cfg[PCI_CAP_PTR] & PCI_CAP_PTR_MASK;
    for (unsigned step = 0; ptr != 0 && step < PCI_CFG_SIZE / 4u; step++) {
        ASSERT(ptr % 4 == 0 && ptr < PCI_CFG_SIZE); /* masked */
        if (ptr + 2u > f->len) {
            u->cap_at = (uint16_t)ptr;
            u->cap_first = step == 0;
            return;
        }
        ASSERT(ptr + 1u < f->len);
        ptr = f->cfg[ptr + 1u] & PCI_CAP_PTR_MASK;
    }
}

static void unknown_bars(const struct pcid_dump_func *f, struct pcid_dump_unknown *u)
{
    for (unsigned k = PCI_BAR0 / 4; k < PCI_BAR0 / 4 + PCI_BAR_COUNT; k++) {
        struct bar_reg r = bar_at(f, k);
        if (r.bar < 0 || r.upper || f->bar_size_known[r.bar])
            continue;
        uint32_t lo = dumped_dword(f, k);
        struct pcid_dump_unsized_bar b = {.index = (unsigned)r.bar};
        if (lo & PCI_BAR_SPACE_IO) {
            b.kind = PCID_BAR_IO;
            b.addr = lo & PCI_BAR_IO_ADDR_MASK;
        } else {
            bool wide = bar_at(f, k + 1).upper;
            b.kind = wide ? PCID_BAR_MEM64 : PCID_BAR_MEM32;
            b.prefetch = (lo & PCI_BAR_MEM_PREFETCH) != 0;
            b.addr = (lo & PCI_BAR_MEM_ADDR_MASK) |
                     (wide ? (uint64_t)dumped_dword(f, k + 1) << 32 : 0);
        }
        ASSERT(u->nbars < PCI_BAR_COUNT);
        if (b.addr != 0)
            u->bars[u->nbars++] = b;
    }
    ASSERT(u->nbars <= PCI_BAR_COUNT);
}

void pcid_dump_unknown(const struct pcid_dump_func *f, struct pcid_dump_unknown *u)
{
    ASSERT(f != NULL && u != NULL);
    memset(u, 0, sizeof *u);
    u->len = f->len;
    unknown_caps(f, u);
    unknown_bars(f, u);
}
