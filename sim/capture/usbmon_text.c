/*
 * usbmon_text.c - Linux usbmon's text capture (Documentation/usb/usbmon.rst,
 * drivers/usb/mon/mon_text.c): one event a line, words separated by
 * blanks -
 *   tag  timestamp  S|C|E  address  status-or-setup  [iso]  length  [tag [data]]
 * "u" address `Tt:B:DDD:E`, "t" address `Tt:DDD:EE` (no bus). The status
 * word is `status[:interval[:start_frame[:error_count]]]`, or on a control
 * submission a setup tag (`s` and the five setup words bmRequestType
 * bRequest wValue wIndex wLength, or another letter and five filler words).
 * Isochronous events of the "u" format carry a descriptor count and up to
 * five `status:offset:length` words before the length. The data tag is
 * `=` followed by the data as hex words of up to four bytes (at most 32
 * bytes in all), or one character saying why there is none.
 */
#include <stdio.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/capture/capture.h"
#include "sim/capture/linktype.h"

#define WORDS_MAX 48u               /* the longest legal line has 5 + 6 + 5 + 2 + 8 */
#define WRAP_US 4096000000ull       /* usbmon keeps (seconds mod 4096) * 10^6 + us */

struct word {
    const char *p;
    size_t n;
    uint64_t col;
};

struct line_ctx {
    struct word w[WORDS_MAX];
    size_t nw;
    uint64_t line;
    struct cap_error *err;
};

static enum iosim_err fail(struct line_ctx *l, const struct word *w, const char *what)
{
    if (l->err != NULL) {
        l->err->line = l->line;
        l->err->col = w != NULL ? w->col : 1;
        l->err->offset = 0;
        snprintf(l->err->msg, sizeof l->err->msg, "%s", what);
    }
    return IOSIM_EPARSE;
}

static bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Splits the line into words; false when there are more than WORDS_MAX. */
static bool split(struct line_ctx *l, const char *p, size_t n)
{
    l->nw = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && blank(p[i]))
            i++;
        if (i == n)
            break;
        if (l->nw == WORDS_MAX)
            return false;
        struct word *w = &l->w[l->nw++];
        w->p = p + i;
        w->col = i + 1;
        while (i < n && !blank(p[i]))
            i++;
        w->n = (size_t)(p + i - w->p);
    }
    return true;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Unsigned number of the whole span in base 10 or 16, at most max. */
static bool number(const char *p, size_t n, unsigned base, uint64_t max, uint64_t *out)
{
    if (n == 0 || n > 20)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = hexval(p[i]);
        if (d < 0 || (unsigned)d >= base || v > (max - (uint64_t)d) / base)
            return false;
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return true;
}

static bool signed32(const char *p, size_t n, int32_t *out)
{
    bool neg = n > 0 && p[0] == '-';
    uint64_t v;
    if (!number(p + neg, n - neg, 10, neg ? 2147483648ull : 2147483647ull, &v))
        return false;
    *out = neg ? (int32_t)(-(int64_t)v) : (int32_t)v;
    return true;
}

/* The span of a word up to its next ':' (or its end), and the rest. */
static struct word field(struct word *rest)
{
    struct word f = *rest;
    const char *c = memchr(rest->p, ':', rest->n);
    f.n = c != NULL ? (size_t)(c - rest->p) : rest->n;
    size_t skip = c != NULL ? f.n + 1 : f.n;
    rest->p += skip;
    rest->n -= skip;
    rest->col += skip;
    return f;
}

static size_t colons(const struct word *w)
{
    size_t k = 0;
    for (size_t i = 0; i < w->n; i++)
        k += w->p[i] == ':';
    return k;
}

/* The address word into e; *format_u says which format it is in. */
static enum iosim_err address(struct line_ctx *l, const struct word *w, struct cap_event *e,
                              bool *format_u)
{
    static const char types[] = "ZICB"; /* in enum cap_xfer_type order */
    size_t k = colons(w);
    if (w->n < 4 || w->p[2] != ':' || (k != 2 && k != 3))
        return fail(l, w, "address: want Tt:B:DDD:E (\"u\") or Tt:DDD:EE (\"t\")");
    const char *t = memchr(types, w->p[0], 4);
    if (t == NULL || (w->p[1] != 'i' && w->p[1] != 'o'))
        return fail(l, w, "address: the type is one of C Z I B, then i or o");
    e->xfer = (uint8_t)(t - types);
    *format_u = k == 3;
    struct word rest = {w->p + 3, w->n - 3, w->col + 3};
    uint64_t bus = 0, dev, ep;
    struct word f = *format_u ? field(&rest) : (struct word){0};
    if (*format_u && !number(f.p, f.n, 10, 65535, &bus))
        return fail(l, &f, "address: the bus is a decimal number up to 65535");
    f = field(&rest);
    if (!number(f.p, f.n, 10, 127, &dev))
        return fail(l, &f, "address: the device is a decimal address up to 127");
    f = field(&rest);
    if (!number(f.p, f.n, 10, 15, &ep))
        return fail(l, &f, "address: the endpoint is a decimal number up to 15");
    e->bus = (uint16_t)bus;
    e->dev = (uint8_t)dev;
    e->ep = (uint8_t)(ep | (w->p[1] == 'i' ? CAP_EP_IN : 0u));
    return IOSIM_OK;
}

/* `s` and the five setup words, or a filler letter and five fillers. */
static enum iosim_err setup(struct line_ctx *l, size_t *i, struct cap_event *e)
{
    static const size_t digits[5] = {2, 2, 4, 4, 4};
    const struct word *tag = &l->w[*i];
    if (e->kind != 'S' || e->xfer != CAP_XFER_CTRL)
        return fail(l, tag, "a setup tag belongs to control submissions only");
    if (*i + 5 >= l->nw)
        return fail(l, tag, "a setup tag is followed by five setup words and the length");
    e->has_setup = tag->n == 1 && tag->p[0] == 's';
    for (size_t k = 0; k < 5; k++) {
        const struct word *w = &l->w[*i + 1 + k];
        uint64_t v;
        if (!e->has_setup)
            continue; /* filler: the packet was there but not captured */
        if (w->n != digits[k] || !number(w->p, w->n, 16, 0xffff, &v))
            return fail(l, w, digits[k] == 2 ? "setup word: want two hex digits"
                                             : "setup word: want four hex digits");
        if (k < 2) {
            e->setup[k] = (uint8_t)v;
        } else {
            e->setup[2 * k - 2] = (uint8_t)v;
            e->setup[2 * k - 1] = (uint8_t)(v >> 8);
        }
    }
    *i += 6;
    return IOSIM_OK;
}

/* `status[:interval[:start_frame[:error_count]]]`. */
static enum iosim_err status(struct line_ctx *l, size_t *i, struct cap_event *e)
{
    struct word rest = l->w[*i];
    for (unsigned k = 0;; k++) {
        bool last = memchr(rest.p, ':', rest.n) == NULL;
        struct word f = field(&rest);
        int32_t v;
        if (k == 4 || !signed32(f.p, f.n, &v))
            return fail(l, &f, k == 0 ? "status: want a decimal number (or a setup tag)"
                        : "status: at most status:interval:start_frame:error_count, decimal");
        if (k == 0)
            e->status = v;
        if (last)
            break;
    }
    *i += 1;
    return IOSIM_OK;
}

/* An isochronous event's descriptor count and up to five descriptors. */
static enum iosim_err iso_descs(struct line_ctx *l, size_t *i)
{
    uint64_t n;
    if (*i >= l->nw || !number(l->w[*i].p, l->w[*i].n, 10, UINT32_MAX, &n))
        return fail(l, *i < l->nw ? &l->w[*i] : NULL, "isochronous: want the number of descriptors");
    *i += 1;
    for (uint64_t k = 0; k < n && k < 5; k++, (*i)++) {
        if (*i >= l->nw || colons(&l->w[*i]) != 2)
            return fail(l, *i < l->nw ? &l->w[*i] : NULL, "isochronous: want a status:offset:length descriptor");
        struct word rest = l->w[*i];
        for (int f = 0; f < 3; f++) {
            struct word x = field(&rest);
            int32_t v;
            if (!signed32(x.p, x.n, &v))
                return fail(l, &x, "isochronous descriptor: want decimal numbers");
        }
    }
    return IOSIM_OK;
}

/* The data words after `=`: hex, one to four bytes each, 32 bytes at most. */
static enum iosim_err data_words(struct line_ctx *l, size_t i, uint8_t *buf, uint32_t *len)
{
    *len = 0;
    for (; i < l->nw; i++) {
        const struct word *w = &l->w[i];
        if (w->n == 0 || w->n > 8 || w->n % 2 != 0)
            return fail(l, w, "data: want hex words of one to four bytes");
        if (*len + w->n / 2 > CAP_TEXT_DATA_MAX)
            return fail(l, w, "data: more than 32 bytes (usbmon text prints at most 32)");
        for (size_t k = 0; k < w->n; k += 2) {
            int hi = hexval(w->p[k]), lo = hexval(w->p[k + 1]);
            if (hi < 0 || lo < 0)
                return fail(l, w, "data: want hex digits");
            buf[(*len)++] = (uint8_t)(hi << 4 | lo);
        }
    }
    return IOSIM_OK;
}

/* Length, data tag and data, from word i on. */
static enum iosim_err tail(struct line_ctx *l, size_t i, struct cap_event *e, uint8_t *buf)
{
    uint64_t n;
    if (i >= l->nw)
        return e->kind == 'E' ? IOSIM_OK
                              : fail(l, NULL, "the line ends before the data length");
    if (!number(l->w[i].p, l->w[i].n, 10, UINT32_MAX, &n))
        return fail(l, &l->w[i], "data length: want a decimal number");
    e->length = (uint32_t)n;
    if (++i == l->nw)
        return IOSIM_OK;
    const struct word *tag = &l->w[i];
    if (tag->n != 1)
        return fail(l, tag, "data tag: want '=' or one flag character");
    if (tag->p[0] == '=')
        return data_words(l, i + 1, buf, &e->data_len);
    if (i + 1 < l->nw)
        return fail(l, &l->w[i + 1], "data words follow only the '=' tag");
    return IOSIM_OK;
}

struct text_state {
    bool have_format, format_u;
    uint64_t wraps, last_us;
};

static enum iosim_err one_line(struct line_ctx *l, struct text_state *st, struct cap_capture *out)
{
    struct cap_event e = {.where = l->line};
    uint8_t buf[CAP_TEXT_DATA_MAX];
    uint64_t us;
    if (l->nw < 5)
        return fail(l, l->nw > 0 ? &l->w[l->nw - 1] : NULL, "want at least: tag, timestamp, event type, address, status");
    if (!number(l->w[0].p, l->w[0].n, 16, UINT64_MAX, &e.urb))
        return fail(l, &l->w[0], "URB tag: want a hex number of up to 16 digits");
    if (!number(l->w[1].p, l->w[1].n, 10, UINT64_MAX / 2000, &us))
        return fail(l, &l->w[1], "timestamp: want decimal microseconds");
    if (l->w[2].n != 1 || strchr("SCE", l->w[2].p[0]) == NULL)
        return fail(l, &l->w[2], "event type: want S, C or E");
    e.kind = l->w[2].p[0];
    bool u;
    enum iosim_err r = address(l, &l->w[3], &e, &u);
    if (r != IOSIM_OK)
        return r;
    if (st->have_format && u != st->format_u)
        return fail(l, &l->w[3], u ? "a \"u\" address in a \"t\" capture"
                                         : "a \"t\" address in a \"u\" capture");
    st->have_format = true;
    st->format_u = u;
    size_t i = 4;
    char c = l->w[4].p[0];
    r = (c >= '0' && c <= '9') || c == '-' ? status(l, &i, &e) : setup(l, &i, &e);
    if (r == IOSIM_OK && u && e.xfer == CAP_XFER_ISO)
        r = iso_descs(l, &i);
    if (r == IOSIM_OK)
        r = tail(l, i, &e, buf);
    if (r != IOSIM_OK)
        return r;
    uint64_t t = us + st->wraps * WRAP_US;
    if (t + WRAP_US / 2 < st->last_us) /* usbmon's clock wrapped */
        t += WRAP_US, st->wraps++;
    st->last_us = t;
    e.t_ns = t * 1000;
    return cap_push(out, &e, buf);
}

enum iosim_err cap_parse_usbmon_text(const char *text, size_t len, struct cap_capture *out,
                                     struct cap_error *err)
{
    ASSERT(text != NULL || len == 0);
    cap_begin(out, err);
    struct line_ctx l = {.err = err};
    struct text_state st = {0};
    enum iosim_err r = IOSIM_OK;
    for (size_t at = 0; at < len && r == IOSIM_OK;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl != NULL ? (size_t)(nl - (text + at)) : len - at;
        l.line++;
        if (memchr(text + at, '\0', n) != NULL)
            r = fail(&l, NULL, "a NUL byte: this is not usbmon text");
        else if (!split(&l, text + at, n))
            r = fail(&l, &l.w[WORDS_MAX - 1], "too many words for a usbmon line");
        else if (l.nw > 0)
            r = one_line(&l, &st, out);
        at += n + (nl != NULL);
    }
    if (r == IOSIM_OK && out->n == 0)
        r = fail(&l, NULL, "no usbmon events in it");
    return cap_end(out, r, st.format_u ? "usbmon-u" : "usbmon-t");
}
