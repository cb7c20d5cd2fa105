/* sim/yml: typed getters. Every number is read with exact integer
 * arithmetic: a mantissa (integer part, up to 18 fraction digits) times a
 * unit, with overflow and inexact results refused rather than rounded. See
 * yml.h for the accepted syntax. */
#include "impl/port/check.h"
#include "sim/scenario/yml_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

__extension__ typedef unsigned __int128 yml_u128;

/* Fraction digits kept; more (other than trailing zeros) are refused, which
 * keeps mantissa times unit within 128 bits. */
#define YML_FRAC_DIGITS_MAX 18

/* Room for a described node: "a quoted string " + a yml_quote. */
#define YML_FOUND_BYTES (YML_QUOTE_BYTES + 32)

struct yml_unit {
    const char *name;
    uint64_t mult;
};

static const struct yml_unit yml_size_units[] = {
    {"B", 1},
    {"KiB", (uint64_t)1 << 10},
    {"MiB", (uint64_t)1 << 20},
    {"GiB", (uint64_t)1 << 30},
    {"TiB", (uint64_t)1 << 40},
    {"kB", 1000ull},
    {"MB", 1000000ull},
    {"GB", 1000000000ull},
    {"TB", 1000000000000ull},
};

static const struct yml_unit yml_time_units[] = {
    {"ps", SIM_PS},
    {"ns", SIM_NS},
    {"us", SIM_US},
    {"\xc2\xb5s", SIM_US}, /* U+00B5 MICRO SIGN */
    {"\xce\xbcs", SIM_US}, /* U+03BC GREEK SMALL LETTER MU */
    {"ms", SIM_MS},
    {"s", SIM_S},
};

#define YML_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* What the number syntax of a scalar said. */
struct yml_num {
    uint64_t whole;       /* integer part, meaningless if overflow */
    uint64_t frac;        /* fraction digits as an integer, trailing zeros dropped */
    uint32_t frac_digits; /* number of digits in frac */
    bool neg;             /* a '-' sign */
    bool overflow;        /* the integer part does not fit 64 bits */
    bool has_frac;        /* a '.' and fraction digits */
    const char *unit;     /* what follows the number and any spaces */
    size_t unit_len;      /* 0: no unit */
    const char *why;      /* syntax problem worth naming, or NULL */
};

/* ---- describing nodes --------------------------------------------------- */

/* How a node reads in "got ..." of a message. With `style`, a scalar's
 * quoting is named (where only plain scalars will do). */
static const char *yml_found(const struct yml_node *n, bool style, char *buf, size_t cap)
{
    char q[YML_QUOTE_BYTES];
    if (n->kind == YML_MAP)
        return "a mapping";
    if (n->kind == YML_SEQ)
        return "a sequence";
    ASSERT(n->kind == YML_SCALAR);
    if (n->style == YML_STYLE_PLAIN && n->len == 0)
        return "an empty value";
    yml_quote(q, sizeof q, n->text, n->len);
    if (style && n->style == YML_STYLE_QUOTED)
        snprintf(buf, cap, "a quoted string %s", q);
    else if (style && n->style == YML_STYLE_BLOCK)
        snprintf(buf, cap, "a block scalar %s", q);
    else
        snprintf(buf, cap, "%s", q);
    return buf;
}

/* "expected <what>, got <found>[ (<why>)]" at the node. */
static enum iosim_err yml_expected(const struct yml_doc *doc, const struct yml_node *n,
                                   const char *what, bool style, const char *why,
                                   struct yml_error *err)
{
    char buf[YML_FOUND_BYTES];
    const char *found = yml_found(n, style, buf, sizeof buf);
    if (why != NULL)
        return yml_error_at(doc, n, err, "expected %s, got %s (%s)", what, found, why);
    return yml_error_at(doc, n, err, "expected %s, got %s", what, found);
}

/* Fails unless n is a non-empty plain scalar (numbers, booleans). */
static enum iosim_err yml_need_plain(const struct yml_doc *doc, const struct yml_node *n,
                                     const char *what, struct yml_error *err)
{
    ASSERT(doc != NULL && n != NULL && err != NULL);
    if (n->kind != YML_SCALAR || n->style != YML_STYLE_PLAIN || n->len == 0)
        return yml_expected(doc, n, what, true, NULL, err);
    return IOSIM_OK;
}

/* "expected <what> between A and B, got 'x'". When a bound is the type's
 * own (open), only the violated one is named: "of at least A", "of at
 * most B", or "that fits in 64 bits". */
static enum iosim_err yml_range_error(const struct yml_doc *doc, const struct yml_node *n,
                                      const char *what, const char *lo, bool lo_open,
                                      const char *hi, bool hi_open, bool too_small,
                                      struct yml_error *err)
{
    char buf[YML_FOUND_BYTES];
    const char *found = yml_found(n, false, buf, sizeof buf);
    if (!lo_open && !hi_open)
        return yml_error_at(doc, n, err, "expected %s between %s and %s, got %s", what, lo, hi,
                            found);
    if (too_small && !lo_open)
        return yml_error_at(doc, n, err, "expected %s of at least %s, got %s", what, lo, found);
    if (!too_small && !hi_open)
        return yml_error_at(doc, n, err, "expected %s of at most %s, got %s", what, hi, found);
    return yml_error_at(doc, n, err, "expected %s that fits in 64 bits, got %s", what, found);
}

/* ", "-joined names (NULL-terminated if n == SIZE_MAX) into buf. */
static const char *yml_join(char *buf, size_t cap, const char *const names[], size_t n)
{
    ASSERT(cap > 4);
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && names[i] != NULL; i++) {
        int w = snprintf(buf + o, cap - o, "%s%s", i > 0 ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= cap - o) {
            memcpy(buf + cap - 4, "...", 4);
            break;
        }
        o += (size_t)w;
    }
    return buf;
}

/* ---- number syntax ------------------------------------------------------ */

static int yml_digit(char c, unsigned base)
{
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    return d >= 0 && (unsigned)d < base ? d : -1;
}

/* End of the run of base-`base` digits starting at s[i], where single '_'
 * may stand between two digits; *why is set on a misplaced '_'. */
static size_t yml_digit_run(const char *s, size_t len, size_t i, unsigned base, const char **why)
{
    size_t start = i;
    for (; i < len; i++) {
        if (s[i] == '_') {
            bool between = i > start && yml_digit(s[i - 1], base) >= 0 && i + 1 < len &&
                           yml_digit(s[i + 1], base) >= 0;
            if (!between) {
                *why = "'_' may only stand between two digits";
                return i;
            }
        } else if (yml_digit(s[i], base) < 0) {
            break;
        }
    }
    return i;
}

static uint64_t yml_whole(const char *s, size_t from, size_t to, unsigned base, bool *overflow)
{
    uint64_t v = 0;
    for (size_t i = from; i < to; i++) {
        int d = yml_digit(s[i], base);
        if (d < 0)
            continue; /* '_' */
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            *overflow = true;
        v = v * base + (uint64_t)d;
    }
    return v;
}

/* Fraction digits s[from..to): keeps up to YML_FRAC_DIGITS_MAX significant
 * ones, drops trailing zeros. False if more digits matter. */
static bool yml_fraction(const char *s, size_t from, size_t to, struct yml_num *n)
{
    uint32_t k = 0;
    for (size_t i = from; i < to; i++) {
        int d = yml_digit(s[i], 10);
        if (d < 0)
            continue;
        if (k < YML_FRAC_DIGITS_MAX) {
            n->frac = n->frac * 10 + (uint64_t)d;
            k++;
        } else if (d != 0) {
            return false;
        }
    }
    while (k > 0 && n->frac % 10 == 0) {
        n->frac /= 10;
        k--;
    }
    n->frac_digits = k;
    n->has_frac = true;
    return true;
}

/* [+-] (0x hex | 0b binary | decimal [. decimal]) [spaces] [unit]. True if
 * the syntax holds; the unit is checked by the caller. */
static bool yml_num_parse(const char *s, size_t len, struct yml_num *n)
{
    memset(n, 0, sizeof *n);
    size_t i = 0;
    unsigned base = 10;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        n->neg = s[i++] == '-';
    /* A prefix counts only if a digit of its base follows: "0B" is zero
     * bytes, not an empty binary number. */
    if (i + 2 < len && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
        yml_digit(s[i + 2], 16) >= 0)
        base = 16;
    else if (i + 2 < len && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B') &&
             yml_digit(s[i + 2], 2) >= 0)
        base = 2;
    if (base != 10)
        i += 2;
    size_t end = yml_digit_run(s, len, i, base, &n->why);
    if (n->why != NULL || end == i)
        return false;
    if (base == 10 && s[i] == '0' && end > i + 1) {
        n->why = "leading zeros are not allowed";
        return false;
    }
    n->whole = yml_whole(s, i, end, base, &n->overflow);
    i = end;
    if (base == 10 && i < len && s[i] == '.') {
        end = yml_digit_run(s, len, ++i, 10, &n->why);
        if (n->why != NULL || end == i || !yml_fraction(s, i, end, n)) {
            if (n->why == NULL)
                n->why = end == i ? "a digit must follow '.'"
                                  : "more than 18 decimal places";
            return false;
        }
        i = end;
    }
    size_t spaces = i;
    while (i < len && s[i] == ' ')
        i++;
    n->unit = s + i;
    n->unit_len = len - i;
    ASSERT(i <= len);
    if (n->unit_len > 0 && base != 10) {
        n->why = "a unit may only follow a decimal number";
        return false;
    }
    return n->unit_len > 0 || i == spaces; /* no trailing spaces */
}

static const struct yml_unit *yml_unit_find(const struct yml_unit *units, size_t n_units,
                                            const char *name, size_t len)
{
    for (size_t i = 0; i < n_units; i++)
        if (strlen(units[i].name) == len && memcmp(units[i].name, name, len) == 0)
            return &units[i];
    return NULL;
}

/* *out = (whole + frac / 10^k) * mult. False on overflow; *exact false if
 * the product is not a whole number. */
static bool yml_scale(const struct yml_num *n, uint64_t mult, uint64_t *out, bool *exact)
{
    ASSERT(n->frac_digits <= YML_FRAC_DIGITS_MAX);
    ASSERT(mult > 0);
    yml_u128 p10 = 1;
    for (uint32_t i = 0; i < n->frac_digits; i++)
        p10 *= 10;
    /* whole < 2^64, frac < 10^18 and mult <= 2^40 or 10^12: no 128-bit overflow */
    yml_u128 w = (yml_u128)n->whole * mult;
    yml_u128 f = (yml_u128)n->frac * mult;
    *exact = f % p10 == 0;
    yml_u128 v = w + f / p10;
    if (n->overflow || v > UINT64_MAX)
        return false;
    *out = (uint64_t)v;
    return true;
}

/* ---- formatting bounds -------------------------------------------------- */

/* v with the largest unit of the table that divides it exactly. */
static const char *yml_fmt_units(char *buf, size_t cap, uint64_t v, const struct yml_unit *units,
                                 size_t n_units, const char *base_name)
{
    uint64_t q = v;
    const char *name = base_name;
    for (size_t i = 0; i < n_units && v > 0; i++)
        if (v % units[i].mult == 0 && v / units[i].mult < q) {
            q = v / units[i].mult;
            name = units[i].name;
        }
    snprintf(buf, cap, "%" PRIu64 "%s", q, name);
    return buf;
}

static const char *yml_fmt_size(char *buf, size_t cap, uint64_t v)
{
    return yml_fmt_units(buf, cap, v, yml_size_units, YML_COUNT(yml_size_units), "B");
}

static const char *yml_fmt_time(char *buf, size_t cap, uint64_t v)
{
    static const struct yml_unit shown[] = {
        {"ns", SIM_NS}, {"us", SIM_US}, {"ms", SIM_MS}, {"s", SIM_S}};
    return yml_fmt_units(buf, cap, v, shown, YML_COUNT(shown), "ps");
}

/* ---- getters ------------------------------------------------------------ */

enum iosim_err yml_get_u64(const struct yml_doc *doc, const struct yml_node *node,
                           uint64_t min, uint64_t max, uint64_t *out, struct yml_error *err)
{
    ASSERT(out != NULL);
    ASSERT(min <= max);
    struct yml_num n;
    enum iosim_err e = yml_need_plain(doc, node, "an integer", err);
    if (e != IOSIM_OK)
        return e;
    if (!yml_num_parse(node->text, node->len, &n) || n.has_frac || n.unit_len > 0)
        return yml_expected(doc, node, "an integer", false, n.why, err);
    if (n.overflow || (n.neg && n.whole != 0) || n.whole < min || n.whole > max) {
        char lo[24], hi[24];
        snprintf(lo, sizeof lo, "%" PRIu64, min);
        snprintf(hi, sizeof hi, "%" PRIu64, max);
        bool small = (n.neg && n.whole != 0) || (!n.overflow && n.whole < min);
        return yml_range_error(doc, node, "an integer", lo, false, hi, max == UINT64_MAX,
                               small, err);
    }
    *out = n.whole;
    return IOSIM_OK;
}

enum iosim_err yml_get_i64(const struct yml_doc *doc, const struct yml_node *node,
                           int64_t min, int64_t max, int64_t *out, struct yml_error *err)
{
    ASSERT(out != NULL);
    ASSERT(min <= max);
    struct yml_num n;
    enum iosim_err e = yml_need_plain(doc, node, "an integer", err);
    if (e != IOSIM_OK)
        return e;
    if (!yml_num_parse(node->text, node->len, &n) || n.has_frac || n.unit_len > 0)
        return yml_expected(doc, node, "an integer", false, n.why, err);
    /* The magnitude limit is 2^63 for negatives, 2^63 - 1 otherwise. */
    uint64_t limit = n.neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    bool fits = !n.overflow && n.whole <= limit;
    int64_t v = 0;
    if (fits && n.neg)
        v = n.whole == limit ? INT64_MIN : -(int64_t)n.whole;
    else if (fits)
        v = (int64_t)n.whole;
    if (!fits || v < min || v > max) {
        char lo[24], hi[24];
        snprintf(lo, sizeof lo, "%" PRId64, min);
        snprintf(hi, sizeof hi, "%" PRId64, max);
        return yml_range_error(doc, node, "an integer", lo, min == INT64_MIN, hi,
                               max == INT64_MAX, fits ? v < min : n.neg, err);
    }
    *out = v;
    return IOSIM_OK;
}

enum iosim_err yml_get_bool(const struct yml_doc *doc, const struct yml_node *node, bool *out,
                            struct yml_error *err)
{
    ASSERT(out != NULL);
    enum iosim_err e = yml_need_plain(doc, node, "true or false", err);
    if (e != IOSIM_OK)
        return e;
    if (node->len == 4 && memcmp(node->text, "true", 4) == 0) {
        *out = true;
        return IOSIM_OK;
    }
    if (node->len == 5 && memcmp(node->text, "false", 5) == 0) {
        *out = false;
        return IOSIM_OK;
    }
    return yml_expected(doc, node, "true or false", false, NULL, err);
}

enum iosim_err yml_get_str(const struct yml_doc *doc, const struct yml_node *node,
                           const char **out, struct yml_error *err)
{
    ASSERT(doc != NULL && node != NULL);
    ASSERT(out != NULL && err != NULL);
    if (node->kind != YML_SCALAR)
        return yml_expected(doc, node, "a string", false, NULL, err);
    if (memchr(node->text, '\0', node->len) != NULL)
        return yml_expected(doc, node, "a string without NUL bytes", false, NULL, err);
    *out = node->text;
    return IOSIM_OK;
}

enum iosim_err yml_get_enum(const struct yml_doc *doc, const struct yml_node *node,
                            const char *const names[], size_t n_names, size_t *out,
                            struct yml_error *err)
{
    ASSERT(doc != NULL && node != NULL && err != NULL);
    ASSERT(names != NULL && n_names > 0 && out != NULL);
    if (node->kind == YML_SCALAR) {
        for (size_t i = 0; i < n_names; i++) {
            ASSERT(names[i] != NULL);
            if (strlen(names[i]) == node->len && memcmp(names[i], node->text, node->len) == 0) {
                *out = i;
                return IOSIM_OK;
            }
        }
    }
    char list[sizeof err->msg], found[YML_FOUND_BYTES];
    return yml_error_at(doc, node, err, "expected one of: %s; got %s",
                        yml_join(list, sizeof list, names, n_names),
                        yml_found(node, false, found, sizeof found));
}

/* A quantity read as a number times a unit. */
struct yml_quantity {
    const char *what;              /* "a size" */
    const struct yml_unit *units;  /* accepted units */
    size_t n_units;
    uint64_t bare;                 /* multiplier without a unit; 0: required unless zero */
    const char *unit_help;         /* the units, as told to the user */
    const char *whole;             /* "a whole number of bytes" */
    const char *(*fmt)(char *, size_t, uint64_t);
};

static const struct yml_quantity yml_size_quantity = {
    "a size", yml_size_units, YML_COUNT(yml_size_units), 1,
    "B, kB, KiB, MB, MiB, GB, GiB, TB or TiB", "a whole number of bytes", yml_fmt_size,
};

static const struct yml_quantity yml_time_quantity = {
    "a duration", yml_time_units, YML_COUNT(yml_time_units), 0,
    "ps, ns, us, ms or s", "a whole number of picoseconds", yml_fmt_time,
};

static enum iosim_err yml_get_quantity(const struct yml_doc *doc, const struct yml_node *node,
                                       const struct yml_quantity *qt, uint64_t min,
                                       uint64_t max, uint64_t *out, struct yml_error *err)
{
    ASSERT(out != NULL);
    ASSERT(min <= max);
    struct yml_num n;
    char why[128], q[YML_QUOTE_BYTES];
    enum iosim_err e = yml_need_plain(doc, node, qt->what, err);
    if (e != IOSIM_OK)
        return e;
    if (!yml_num_parse(node->text, node->len, &n))
        return yml_expected(doc, node, qt->what, false, n.why, err);
    const struct yml_unit *u = yml_unit_find(qt->units, qt->n_units, n.unit, n.unit_len);
    if (n.unit_len > 0 && u == NULL) {
        snprintf(why, sizeof why, "unknown unit %s; use %s",
                 yml_quote(q, sizeof q, n.unit, n.unit_len), qt->unit_help);
        return yml_expected(doc, node, qt->what, false, why, err);
    }
    uint64_t mult = u != NULL ? u->mult : qt->bare;
    bool zero = !n.overflow && n.whole == 0 && n.frac == 0;
    if (mult == 0 && !zero) {
        snprintf(why, sizeof why, "a unit is required: %s", qt->unit_help);
        return yml_expected(doc, node, qt->what, false, why, err);
    }
    bool exact = true;
    uint64_t v = 0;
    bool fits = zero || yml_scale(&n, mult, &v, &exact);
    if (fits && !exact)
        return yml_expected(doc, node, qt->whole, false, NULL, err);
    if (!fits || (n.neg && v != 0) || v < min || v > max) {
        char lo[32], hi[32];
        bool small = n.neg || (fits && v < min);
        return yml_range_error(doc, node, qt->what, qt->fmt(lo, sizeof lo, min), false,
                               qt->fmt(hi, sizeof hi, max), max == UINT64_MAX, small, err);
    }
    *out = v;
    return IOSIM_OK;
}

enum iosim_err yml_get_size(const struct yml_doc *doc, const struct yml_node *node,
                            uint64_t min, uint64_t max, uint64_t *out, struct yml_error *err)
{
    return yml_get_quantity(doc, node, &yml_size_quantity, min, max, out, err);
}

enum iosim_err yml_get_time_ps(const struct yml_doc *doc, const struct yml_node *node,
                               sim_time_ps min, sim_time_ps max, sim_time_ps *out,
                               struct yml_error *err)
{
    return yml_get_quantity(doc, node, &yml_time_quantity, min, max, out, err);
}

static enum iosim_err yml_get_kind(const struct yml_doc *doc, const struct yml_node *node,
                                   enum yml_kind kind, const struct yml_node **out,
                                   struct yml_error *err)
{
    ASSERT(doc != NULL && node != NULL);
    ASSERT(out != NULL && err != NULL);
    if (node->kind != kind)
        return yml_expected(doc, node, kind == YML_MAP ? "a mapping" : "a sequence", true, NULL,
                            err);
    *out = node;
    return IOSIM_OK;
}

enum iosim_err yml_get_seq(const struct yml_doc *doc, const struct yml_node *node,
                           const struct yml_node **out, struct yml_error *err)
{
    return yml_get_kind(doc, node, YML_SEQ, out, err);
}

enum iosim_err yml_get_map(const struct yml_doc *doc, const struct yml_node *node,
                           const struct yml_node **out, struct yml_error *err)
{
    return yml_get_kind(doc, node, YML_MAP, out, err);
}

/* ---- keys --------------------------------------------------------------- */

enum iosim_err yml_check_keys(const struct yml_doc *doc, const struct yml_node *map,
                              const char *const allowed[], const char *what,
                              struct yml_error *err)
{
    ASSERT(allowed != NULL && what != NULL);
    const struct yml_node *m = map;
    if (map == NULL || map->kind != YML_MAP)
        return yml_get_map(doc, map, &m, err); /* fails with the kind message */
    for (size_t i = 0; i < m->count; i++) {
        const struct yml_node *k = m->items[2 * i];
        ASSERT(k->kind == YML_SCALAR);
        bool known = false;
        for (size_t j = 0; allowed[j] != NULL && !known; j++)
            known = strlen(allowed[j]) == k->len && memcmp(allowed[j], k->text, k->len) == 0;
        if (known)
            continue;
        char q[YML_QUOTE_BYTES], list[sizeof err->msg];
        yml_quote(q, sizeof q, k->text, k->len);
        if (allowed[0] == NULL)
            return yml_error_at(doc, k, err, "unknown key %s in %s (it takes no keys)", q, what);
        return yml_error_at(doc, k, err, "unknown key %s in %s (expected one of: %s)", q, what,
                            yml_join(list, sizeof list, allowed, SIZE_MAX));
    }
    return IOSIM_OK;
}

enum iosim_err yml_require(const struct yml_doc *doc, const struct yml_node *map,
                           const char *key, const char *what,
                           const struct yml_node **out, struct yml_error *err)
{
    ASSERT(key != NULL && what != NULL);
    ASSERT(out != NULL);
    const struct yml_node *m = map;
    if (map == NULL || map->kind != YML_MAP)
        return yml_get_map(doc, map, &m, err); /* fails with the kind message */
    const struct yml_node *v = yml_map_get(m, key);
    if (v == NULL) {
        char q[YML_QUOTE_BYTES];
        return yml_error_at(doc, m, err, "missing key %s in %s",
                            yml_quote(q, sizeof q, key, strlen(key)), what);
    }
    *out = v;
    return IOSIM_OK;
}
