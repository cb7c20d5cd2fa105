/* sim/yml: model-based tests (seeded random documents and numbers checked
 * against a reference built alongside them) and a fuzz test (seeded
 * mutations of a realistic scenario through load and every getter). Every
 * failure prints its seed; the same seed replays the same input. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/rng.h"
#include "sim/scenario/yml.h"

/* ---- an emitter that tracks line and column ----------------------------- */

#define EM_CAP (256 * 1024)

struct em {
    char buf[EM_CAP];
    size_t len;
    uint32_t line, col; /* where the next byte lands, 1-based, col in characters */
};

static void em_put(struct em *em, const char *s, size_t n)
{
    cr_assert_lt(em->len + n, EM_CAP, "emitter overflow");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        em->buf[em->len++] = (char)c;
        if (c == '\n') {
            em->line++;
            em->col = 1;
        } else if (c < 0x80 || c > 0xbf) {
            em->col++;
        }
    }
    em->buf[em->len] = '\0';
}

static void em_str(struct em *em, const char *s)
{
    em_put(em, s, strlen(s));
}

static void em_spaces(struct em *em, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        em_put(em, " ", 1);
}

/* ---- reference trees ------------------------------------------------------ */

#define REF_POOL 4096
#define REF_KIDS 12 /* map: 6 pairs */

struct ref {
    enum yml_kind kind;
    bool plain;
    char text[64];
    size_t len;
    uint32_t line, col;
    struct ref *kid[REF_KIDS];
    size_t n; /* entries in kid (map: 2 per pair) */
};

struct gen {
    struct sim_rng rng;
    struct em em;
    struct ref pool[REF_POOL];
    size_t used;
    unsigned key_serial;
};

static struct ref *ref_new(struct gen *g, enum yml_kind kind)
{
    cr_assert_lt(g->used, REF_POOL);
    struct ref *r = &g->pool[g->used++];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->line = g->em.line;
    r->col = g->em.col;
    return r;
}

static void ref_text(struct ref *r, const char *s, size_t n)
{
    cr_assert_lt(r->len + n, sizeof r->text);
    memcpy(r->text + r->len, s, n);
    r->len += n;
}

static bool chance(struct gen *g, uint32_t per_mille)
{
    return sim_rng_chance(&g->rng, per_mille);
}

/* A plain scalar: letters and digits, maybe inner spaces; starts with a
 * letter so that it never reads as an indicator. */
static struct ref *gen_plain(struct gen *g, const char *prefix)
{
    static const char alpha[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    struct ref *r = ref_new(g, YML_SCALAR);
    r->plain = true;
    char s[40];
    size_t n = (size_t)snprintf(s, sizeof s, "%s", prefix);
    if (n == 0)
        s[n++] = alpha[sim_rng_below(&g->rng, sizeof alpha - 1)];
    size_t extra = sim_rng_below(&g->rng, 8);
    for (size_t i = 0; i < extra; i++) {
        bool space = i + 1 < extra && s[n - 1] != ' ' && chance(g, 100);
        s[n++] = space ? ' ' : alnum[sim_rng_below(&g->rng, sizeof alnum - 1)];
    }
    em_put(&g->em, s, n);
    ref_text(r, s, n);
    return r;
}

/* A single- or double-quoted scalar with characters that need care. */
static struct ref *gen_quoted(struct gen *g, const char *prefix)
{
    struct ref *r = ref_new(g, YML_SCALAR);
    bool dq = chance(g, 500);
    em_str(&g->em, dq ? "\"" : "'");
    em_str(&g->em, prefix);
    ref_text(r, prefix, strlen(prefix));
    size_t n = sim_rng_below(&g->rng, 8);
    for (size_t i = 0; i < n; i++) {
        switch (sim_rng_below(&g->rng, 9)) {
        case 0: em_str(&g->em, "a"); ref_text(r, "a", 1); break;
        case 1: em_str(&g->em, " "); ref_text(r, " ", 1); break;
        case 2: em_str(&g->em, ": "); ref_text(r, ": ", 2); break;
        case 3: em_str(&g->em, ",#[{"); ref_text(r, ",#[{", 4); break;
        case 4: em_str(&g->em, "\xc3\xa9"); ref_text(r, "\xc3\xa9", 2); break;
        case 5: em_str(&g->em, dq ? "'" : "''"); ref_text(r, "'", 1); break;
        case 6: em_str(&g->em, dq ? "\\\"" : "\""); ref_text(r, "\"", 1); break;
        case 7: em_str(&g->em, dq ? "\\n" : "\\n"); ref_text(r, dq ? "\n" : "\\n", dq ? 1 : 2); break;
        default: em_str(&g->em, dq ? "\\x41\\u00e9" : "7"); ref_text(r, dq ? "A\xc3\xa9" : "7", dq ? 3 : 1); break;
        }
    }
    em_str(&g->em, dq ? "\"" : "'");
    return r;
}

static struct ref *gen_scalar(struct gen *g)
{
    return chance(g, 600) ? gen_plain(g, "") : gen_quoted(g, "");
}

/* Keys are unique within a document: a serial number in the text. */
static struct ref *gen_key(struct gen *g)
{
    char prefix[16];
    snprintf(prefix, sizeof prefix, "k%u", g->key_serial++);
    return chance(g, 700) ? gen_plain(g, prefix) : gen_quoted(g, prefix);
}

static struct ref *gen_flow(struct gen *g, int depth)
{
    bool map = chance(g, 500);
    struct ref *r = ref_new(g, map ? YML_MAP : YML_SEQ);
    em_str(&g->em, map ? "{" : "[");
    size_t n = g->used + 64 < REF_POOL ? sim_rng_below(&g->rng, REF_KIDS / 2 + 1) : 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            em_str(&g->em, chance(g, 500) ? ", " : ",");
        if (map) {
            r->kid[r->n++] = gen_key(g);
            em_str(&g->em, ": ");
        }
        r->kid[r->n++] = depth > 0 && chance(g, 300) ? gen_flow(g, depth - 1) : gen_scalar(g);
    }
    em_str(&g->em, map ? "}" : "]");
    return r;
}

static struct ref *gen_block_seq(struct gen *g, unsigned indent, int depth);

/* A literal block scalar as a map value: "|" then lines at indent + 2. */
static struct ref *gen_literal(struct gen *g, unsigned indent)
{
    struct ref *r = ref_new(g, YML_SCALAR);
    em_str(&g->em, "|\n");
    size_t lines = 1 + sim_rng_below(&g->rng, 3);
    for (size_t i = 0; i < lines; i++) {
        em_spaces(&g->em, indent + 2);
        const char *word = i % 2 ? "more text" : "line";
        em_str(&g->em, word);
        em_str(&g->em, "\n");
        ref_text(r, word, strlen(word));
        ref_text(r, "\n", 1);
    }
    return r;
}

/* A block mapping whose first key starts at the current position; later
 * keys at column indent + 1. */
static struct ref *gen_block_map(struct gen *g, unsigned indent, int depth)
{
    struct ref *r = ref_new(g, YML_MAP);
    size_t n = 1 + sim_rng_below(&g->rng, REF_KIDS / 2);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            em_spaces(&g->em, indent);
        r->kid[r->n++] = gen_key(g);
        em_str(&g->em, ":");
        bool room = depth > 0 && g->used + 64 < REF_POOL;
        switch (sim_rng_below(&g->rng, room ? 7 : 4)) {
        case 0: /* empty value: a plain "" right after the colon */
            r->kid[r->n++] = ref_new(g, YML_SCALAR);
            r->kid[r->n - 1]->plain = true;
            em_str(&g->em, "\n");
            break;
        case 1:
            em_str(&g->em, " ");
            r->kid[r->n++] = gen_literal(g, indent);
            break;
        case 2:
        case 3:
            em_str(&g->em, " ");
            r->kid[r->n++] = gen_scalar(g);
            em_str(&g->em, "\n");
            break;
        case 4:
            em_str(&g->em, " ");
            r->kid[r->n++] = gen_flow(g, depth - 1);
            em_str(&g->em, "\n");
            break;
        case 5:
            em_str(&g->em, "\n");
            em_spaces(&g->em, indent + 2);
            r->kid[r->n++] = gen_block_map(g, indent + 2, depth - 1);
            break;
        default:
            em_str(&g->em, "\n");
            em_spaces(&g->em, indent + 2);
            r->kid[r->n++] = gen_block_seq(g, indent + 2, depth - 1);
            break;
        }
    }
    return r;
}

/* A block sequence whose first "-" is at the current position. */
static struct ref *gen_block_seq(struct gen *g, unsigned indent, int depth)
{
    struct ref *r = ref_new(g, YML_SEQ);
    size_t n = 1 + sim_rng_below(&g->rng, REF_KIDS);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            em_spaces(&g->em, indent);
        em_str(&g->em, "- ");
        bool room = depth > 0 && g->used + 64 < REF_POOL;
        switch (sim_rng_below(&g->rng, room ? 4 : 1)) {
        case 0:
            r->kid[r->n++] = gen_scalar(g);
            em_str(&g->em, "\n");
            break;
        case 1:
            r->kid[r->n++] = gen_flow(g, depth - 1);
            em_str(&g->em, "\n");
            break;
        case 2:
            r->kid[r->n++] = gen_block_map(g, indent + 2, depth - 1);
            break;
        default:
            r->kid[r->n++] = gen_block_seq(g, indent + 2, depth - 1);
            break;
        }
    }
    return r;
}

static void check_tree(const struct ref *r, const struct yml_node *n, uint64_t seed)
{
    cr_assert_eq(yml_kind(n), r->kind, "seed %llu: kind at %u:%u", (unsigned long long)seed,
                 r->line, r->col);
    cr_assert(yml_line(n) == r->line && yml_col(n) == r->col,
              "seed %llu: node at %u:%u, expected %u:%u", (unsigned long long)seed, yml_line(n),
              yml_col(n), r->line, r->col);
    if (r->kind == YML_SCALAR) {
        cr_assert_eq(yml_scalar_len(n), r->len, "seed %llu: text [%s] at %u:%u",
                     (unsigned long long)seed, yml_scalar_text(n), r->line, r->col);
        cr_assert_eq(memcmp(yml_scalar_text(n), r->text, r->len), 0, "seed %llu: text [%s]",
                     (unsigned long long)seed, yml_scalar_text(n));
        cr_assert_eq(yml_scalar_plain(n), r->plain, "seed %llu", (unsigned long long)seed);
        return;
    }
    if (r->kind == YML_SEQ) {
        cr_assert_eq(yml_seq_len(n), r->n, "seed %llu", (unsigned long long)seed);
        for (size_t i = 0; i < r->n; i++)
            check_tree(r->kid[i], yml_seq_item(n, i), seed);
        return;
    }
    cr_assert_eq(yml_map_len(n) * 2, r->n, "seed %llu", (unsigned long long)seed);
    for (size_t i = 0; i < r->n / 2; i++) {
        check_tree(r->kid[2 * i], yml_map_key(n, i), seed);
        check_tree(r->kid[2 * i + 1], yml_map_value(n, i), seed);
        char key[sizeof r->text + 1];
        memcpy(key, r->kid[2 * i]->text, r->kid[2 * i]->len);
        key[r->kid[2 * i]->len] = '\0';
        cr_assert_eq(yml_map_get(n, key), yml_map_value(n, i), "seed %llu: get [%s]",
                     (unsigned long long)seed, key);
    }
}

Test(yml_model, tree_matches_reference_when_documents_are_random)
{
    struct gen *g = malloc(sizeof *g);
    cr_assert_not_null(g);
    for (uint64_t seed = 1; seed <= 400; seed++) {
        sim_rng_stream(&g->rng, seed, "yml-tree");
        g->em.len = 0;
        g->em.line = 1;
        g->em.col = 1;
        g->used = 0;
        g->key_serial = 0;
        if (chance(g, 200))
            em_str(&g->em, "# a comment line\n\n");
        int depth = (int)sim_rng_below(&g->rng, 5);
        struct ref *root = chance(g, 150)   ? gen_flow(g, depth)
                           : chance(g, 800) ? gen_block_map(g, 0, depth)
                                            : gen_block_seq(g, 0, depth);
        struct yml_doc *doc = NULL;
        struct yml_error err;
        enum iosim_err e = yml_load_string("m.yml", g->em.buf, g->em.len, &doc, &err);
        cr_assert_eq(e, IOSIM_OK, "seed %llu: %s\n%s", (unsigned long long)seed, err.msg,
                     g->em.buf);
        check_tree(root, yml_root(doc), seed);
        yml_free(doc);
    }
    free(g);
}

/* ---- duplicate keys ----------------------------------------------------- */

Test(yml_model, first_duplicate_is_reported_when_keys_repeat)
{
    static const char *const names[] = {"a", "b", "c", "ab", "ba", "x_1", "long-key"};
    enum { N_NAMES = sizeof names / sizeof names[0], PAIRS_MAX = 80 };
    struct sim_rng rng;
    char text[8192], want[512], keys[PAIRS_MAX][16];
    uint32_t line[PAIRS_MAX], col[PAIRS_MAX];
    for (uint64_t seed = 1; seed <= 800; seed++) {
        sim_rng_stream(&rng, seed, "yml-dups");
        size_t pairs = 1 + sim_rng_below(&rng, PAIRS_MAX);
        /* each key: a fresh unique text, a small shared name, or a copy of
         * an earlier key; the mix decides how soon a repeat comes */
        uint32_t p_named = (uint32_t)sim_rng_below(&rng, 300);
        uint32_t p_copy = (uint32_t)sim_rng_below(&rng, 60);
        bool block = sim_rng_chance(&rng, 500);
        size_t o = 0;
        uint32_t ln = 1, cl = 1;
        if (!block) {
            text[o++] = '{';
            cl++;
        }
        for (size_t i = 0; i < pairs; i++) {
            if (sim_rng_chance(&rng, p_named))
                snprintf(keys[i], sizeof keys[i], "%s", names[sim_rng_below(&rng, N_NAMES)]);
            else if (i > 0 && sim_rng_chance(&rng, p_copy))
                memcpy(keys[i], keys[sim_rng_below(&rng, i)], sizeof keys[i]);
            else
                snprintf(keys[i], sizeof keys[i], "u%zu", i);
            if (!block && i > 0) {
                o += (size_t)snprintf(text + o, sizeof text - o, ", ");
                cl += 2;
            }
            line[i] = ln;
            col[i] = cl;
            bool quoted = sim_rng_chance(&rng, 300);
            int w = snprintf(text + o, sizeof text - o, quoted ? "'%s': %zu" : "%s: %zu",
                             keys[i], i);
            o += (size_t)w;
            cl += (uint32_t)w;
            if (block) {
                text[o++] = '\n';
                ln++;
                cl = 1;
            }
        }
        if (!block)
            text[o++] = '}';
        /* reference: the first pair whose key appeared before */
        size_t dup = SIZE_MAX, first = 0;
        for (size_t j = 1; j < pairs && dup == SIZE_MAX; j++)
            for (size_t i = 0; i < j; i++)
                if (strcmp(keys[i], keys[j]) == 0) {
                    dup = j;
                    first = i;
                    break;
                }
        struct yml_doc *doc = NULL;
        struct yml_error err;
        enum iosim_err e = yml_load_string("d.yml", text, o, &doc, &err);
        if (dup == SIZE_MAX) {
            cr_assert_eq(e, IOSIM_OK, "seed %llu: %s", (unsigned long long)seed, err.msg);
            cr_assert_eq(yml_map_len(yml_root(doc)), pairs);
            yml_free(doc);
            continue;
        }
        snprintf(want, sizeof want,
                 "d.yml:%u:%u: duplicate key '%s' (first defined at line %u, column %u)",
                 line[dup], col[dup], keys[dup], line[first], col[first]);
        cr_assert_eq(e, IOSIM_EPARSE, "seed %llu", (unsigned long long)seed);
        cr_assert_str_eq(err.msg, want, "seed %llu: %.*s", (unsigned long long)seed, (int)o,
                         text);
    }
}

/* ---- numbers ------------------------------------------------------------ */

/* A 64-bit value of random width, with edges drawn often. */
static uint64_t draw_u64(struct sim_rng *rng)
{
    static const uint64_t edges[] = {0, 1, 9, 10, 255, 256, 1000, (uint64_t)INT64_MAX,
                                     (uint64_t)INT64_MAX + 1, UINT64_MAX - 1, UINT64_MAX};
    if (sim_rng_chance(rng, 150))
        return edges[sim_rng_below(rng, sizeof edges / sizeof edges[0])];
    return sim_rng_next(rng) >> sim_rng_below(rng, 64);
}

/* Digits of v in `base` into s, with a '_' between digit groups now and
 * then; returns the length. */
static size_t fmt_digits(struct sim_rng *rng, uint64_t v, unsigned base, char *s)
{
    char rev[160];
    size_t n = 0, group = base == 10 ? 3 : base == 16 ? 4 : 8;
    bool unders = sim_rng_chance(rng, 300);
    size_t digits = 0;
    do {
        if (unders && digits > 0 && digits % group == 0)
            rev[n++] = '_';
        rev[n++] = "0123456789abcdef"[v % base];
        v /= base;
        digits++;
    } while (v != 0);
    for (size_t i = 0; i < n; i++)
        s[i] = rev[n - 1 - i];
    return n;
}

/* Writes sign + magnitude in a random base; returns the text. */
static const char *fmt_int(struct sim_rng *rng, bool neg, uint64_t mag, char *s, size_t cap)
{
    size_t o = 0;
    if (neg)
        s[o++] = '-';
    else if (sim_rng_chance(rng, 100))
        s[o++] = '+';
    unsigned base = 10;
    uint64_t r = sim_rng_below(rng, 10);
    if (r == 0) {
        base = 2;
        memcpy(s + o, "0b", 2);
        o += 2;
    } else if (r < 3) {
        base = 16;
        memcpy(s + o, r == 1 ? "0x" : "0X", 2);
        o += 2;
    }
    o += fmt_digits(rng, mag, base, s + o);
    cr_assert_lt(o, cap);
    s[o] = '\0';
    return s;
}

static struct yml_doc *load_value(const char *value, const struct yml_node **v)
{
    char text[256];
    int n = snprintf(text, sizeof text, "v: %s\n", value);
    struct yml_doc *doc = NULL;
    struct yml_error err;
    cr_assert_eq(yml_load_string("n.yml", text, (size_t)n, &doc, &err), IOSIM_OK, "%s", err.msg);
    *v = yml_map_get(yml_root(doc), "v");
    return doc;
}

/* Bounds around v now and then, else wide open. */
static void draw_bounds(struct sim_rng *rng, uint64_t v, uint64_t *min, uint64_t *max)
{
    *min = 0;
    *max = UINT64_MAX;
    if (sim_rng_chance(rng, 300))
        *min = v > 0 && sim_rng_chance(rng, 500) ? v - 1 + sim_rng_below(rng, 3) : v;
    if (sim_rng_chance(rng, 300))
        *max = v < UINT64_MAX && sim_rng_chance(rng, 500) ? v + 1 - sim_rng_below(rng, 3) : v;
    if (*min > *max)
        *max = *min;
}

Test(yml_model, integers_match_reference_when_written_in_any_base)
{
    struct sim_rng rng;
    sim_rng_stream(&rng, 7, "yml-int");
    char s[200];
    struct yml_error err;
    for (int iter = 0; iter < 4000; iter++) {
        uint64_t v = draw_u64(&rng), min, max, got = 1234;
        draw_bounds(&rng, v, &min, &max);
        const struct yml_node *node;
        struct yml_doc *doc = load_value(fmt_int(&rng, false, v, s, sizeof s), &node);
        enum iosim_err e = yml_get_u64(doc, node, min, max, &got, &err);
        bool in = v >= min && v <= max;
        cr_assert_eq(e == IOSIM_OK, in, "iter %d [%s]: %s", iter, s, err.msg);
        cr_assert_eq(got, in ? v : 1234, "iter %d [%s]", iter, s);
        yml_free(doc);

        /* signed: the same magnitude, either sign, against i64 bounds */
        bool neg = sim_rng_chance(&rng, 500);
        int64_t sv = 0, sgot = 99;
        bool fits = neg ? v <= (uint64_t)INT64_MAX + 1 : v <= (uint64_t)INT64_MAX;
        if (fits)
            sv = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
        int64_t smin = sim_rng_chance(&rng, 500) ? INT64_MIN : sv, smax = INT64_MAX;
        doc = load_value(fmt_int(&rng, neg, v, s, sizeof s), &node);
        e = yml_get_i64(doc, node, smin, smax, &sgot, &err);
        in = fits && sv >= smin;
        cr_assert_eq(e == IOSIM_OK, in, "iter %d [%s]: %s", iter, s, err.msg);
        cr_assert_eq(sgot, in ? sv : 99, "iter %d [%s]", iter, s);
        yml_free(doc);
    }
}

struct munit {
    const char *name;
    uint64_t mult;
    unsigned pow2;  /* mult = 2^pow2, or 0 */
    unsigned pow10; /* mult = 10^pow10 (if pow2 == 0) */
};

/* Writes q.<fraction of rem/mult> + unit (exact by construction) into s;
 * with `inexact`, appends a '1' digit that no unit of the table can turn
 * into whole units. Returns the exact value, or 0 when inexact. */
static uint64_t fmt_quantity(struct sim_rng *rng, const struct munit *u, bool inexact, char *s,
                             size_t cap)
{
    uint64_t q = sim_rng_below(rng, UINT64_MAX / u->mult) >> sim_rng_below(rng, 64);
    uint64_t rem = 0, fdig = 0;
    unsigned k = 0;
    if (u->pow2 > 0) {
        unsigned eff = u->pow2 < 16 ? u->pow2 : 16;
        uint64_t r = sim_rng_below(rng, (uint64_t)1 << eff);
        rem = r << (u->pow2 - eff);
        fdig = r;
        for (unsigned i = 0; i < eff; i++)
            fdig *= 5; /* r / 2^eff = r * 5^eff / 10^eff */
        k = eff;
    } else if (u->pow10 > 0) {
        rem = sim_rng_below(rng, u->mult);
        fdig = rem;
        k = u->pow10;
    }
    size_t o = fmt_digits(rng, q, 10, s);
    bool frac = rem != 0 || inexact || (k > 0 && sim_rng_chance(rng, 200));
    if (frac) {
        s[o++] = '.';
        o += (size_t)snprintf(s + o, cap - o, "%0*llu", (int)(k > 0 ? k : 1),
                              (unsigned long long)fdig);
        if (inexact)
            s[o++] = '1';
        else if (sim_rng_chance(rng, 300))
            s[o++] = '0';
    }
    if (sim_rng_chance(rng, 300))
        s[o++] = ' ';
    o += (size_t)snprintf(s + o, cap - o, "%s", u->name);
    cr_assert_lt(o, cap);
    return inexact ? 0 : q * u->mult + rem;
}

static void check_quantities(const struct munit *units, size_t n_units, bool size)
{
    struct sim_rng rng;
    sim_rng_stream(&rng, 11, size ? "yml-size" : "yml-time");
    char s[200];
    struct yml_error err;
    for (int iter = 0; iter < 4000; iter++) {
        const struct munit *u = &units[sim_rng_below(&rng, n_units)];
        bool inexact = sim_rng_chance(&rng, 150);
        uint64_t v = fmt_quantity(&rng, u, inexact, s, sizeof s), min, max, got = 77;
        draw_bounds(&rng, v, &min, &max);
        const struct yml_node *node;
        struct yml_doc *doc = load_value(s, &node);
        enum iosim_err e = size ? yml_get_size(doc, node, min, max, &got, &err)
                                : yml_get_time_ps(doc, node, min, max, &got, &err);
        bool ok = !inexact && v >= min && v <= max;
        cr_assert_eq(e == IOSIM_OK, ok, "iter %d [%s] in [%llu, %llu]: %s", iter, s,
                     (unsigned long long)min, (unsigned long long)max, err.msg);
        cr_assert_eq(got, ok ? v : 77, "iter %d [%s]", iter, s);
        if (inexact)
            cr_assert(strstr(err.msg, "expected a whole number of ") != NULL, "[%s]: %s", s,
                      err.msg);
        yml_free(doc);
    }
}

Test(yml_model, sizes_match_reference_when_units_and_fractions_vary)
{
    static const struct munit units[] = {
        {"B", 1, 0, 0},
        {"KiB", 1ull << 10, 10, 0},
        {"MiB", 1ull << 20, 20, 0},
        {"GiB", 1ull << 30, 30, 0},
        {"TiB", 1ull << 40, 40, 0},
        {"kB", 1000ull, 0, 3},
        {"MB", 1000000ull, 0, 6},
        {"GB", 1000000000ull, 0, 9},
        {"TB", 1000000000000ull, 0, 12},
    };
    check_quantities(units, sizeof units / sizeof units[0], true);
}

Test(yml_model, durations_match_reference_when_units_and_fractions_vary)
{
    static const struct munit units[] = {
        {"ps", 1, 0, 0},
        {"ns", 1000ull, 0, 3},
        {"us", 1000000ull, 0, 6},
        {"\xc2\xb5s", 1000000ull, 0, 6},
        {"ms", 1000000000ull, 0, 9},
        {"s", 1000000000000ull, 0, 12},
    };
    check_quantities(units, sizeof units / sizeof units[0], false);
}

/* ---- fuzz ----------------------------------------------------------------- */

static const char scenario[] =
    "# usb-storage-basic: the seed text for mutations\n"
    "name: usb-storage-basic\n"
    "description: \"Reads and writes through usbscsid on one xHCI port\"\n"
    "seed: 0x5eed_1234\n"
    "machine:\n"
    "  cpus: 4\n"
    "  memory: 512MiB\n"
    "  iommu: true\n"
    "  clock: {period: 250ps, jitter: 1.5ns}\n"
    "pci:\n"
    "  - slot: 0\n"
    "    device: xhci\n"
    "    bar0: 64KiB\n"
    "    msix: {vectors: 8, masked: false}\n"
    "usb:\n"
    "  ports:\n"
    "    - port: 1\n"
    "      device: mass-storage\n"
    "      media:\n"
    "        size: 4 GiB\n"
    "        block: 512B\n"
    "        latency: {read: 80us, write: 120 us, flush: 2ms}\n"
    "      profile: 'usb2-high-speed'\n"
    "drivers: [pcid, xhcid, usbscsid]\n"
    "workload:\n"
    "  - op: write\n"
    "    offset: 0\n"
    "    len: 1MiB\n"
    "    queue_depth: 32\n"
    "  - op: read\n"
    "    offset: 0x10_0000\n"
    "    len: 4096\n"
    "    repeat: 1_000\n"
    "faults:\n"
    "  - at: 10ms\n"
    "    kind: stall\n"
    "    endpoint: bulk-in\n"
    "    probability: -12\n"
    "scheduler:\n"
    "  policy: pct:D\n"
    "  timeout: 2s\n"
    "expect:\n"
    "  - completions: 1001\n"
    "  - no_errors: true\n"
    "  - max_latency: 5 \xc2\xb5s\n"
    "notes: |\n"
    "  Multi-line text,\n"
    "  kept verbatim.\n";

/* "name:line:col: message": line and col decimal, >= 1, at most `max`; the
 * rest non-empty and free of control bytes. */
static bool well_formed(const char *msg, const char *name, size_t max)
{
    size_t n = strlen(name);
    if (strncmp(msg, name, n) != 0 || msg[n] != ':')
        return false;
    const char *p = msg + n + 1;
    for (int field = 0; field < 2; field++) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || *end != ':' || v < 1 || v > max || *p == '0')
            return false;
        p = end + 1;
    }
    if (p[0] != ' ' || p[1] == '\0')
        return false;
    for (; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return strlen(msg) < sizeof(((struct yml_error *)0)->msg);
}

static void mutate(struct sim_rng *rng, char *buf, size_t *len, size_t cap)
{
    static const char *const punct[] = {
        ":", ": ", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "!!str ", "'", "\"", "|", ">",
        "#", "\t", "\n", "\r", "---\n", "...\n", "? ", "%YAML 1.2\n", "\\", "\xff", "\0",
        "\xc2\xb5", "\xef\xbb\xbf", "  ", "0x", "_", ".", "-", "1e9", "\xe2\x80\xae",
    };
    size_t at = *len > 0 ? sim_rng_below(rng, *len + 1) : 0;
    switch (sim_rng_below(rng, 5)) {
    case 0: /* flip bits of a byte */
        if (*len > 0)
            buf[sim_rng_below(rng, *len)] ^= (char)(1u << sim_rng_below(rng, 8));
        break;
    case 1: /* truncate */
        *len = at;
        break;
    case 2: { /* delete a span */
        size_t n = sim_rng_below(rng, 16);
        n = at + n > *len ? *len - at : n;
        memmove(buf + at, buf + at + n, *len - at - n);
        *len -= n;
        break;
    }
    default: { /* insert punctuation (an explicit length: one of them is a NUL) */
        size_t p = sim_rng_below(rng, sizeof punct / sizeof punct[0]);
        size_t n = punct[p][0] == '\0' ? 1 : strlen(punct[p]);
        if (*len + n >= cap)
            break;
        memmove(buf + at + n, buf + at, *len - at);
        memcpy(buf + at, punct[p], n);
        *len += n;
        break;
    }
    }
}

/* Calls every getter on every node; every message must be well formed and
 * every failed getter must leave its out-parameter alone. */
static void walk(const struct yml_doc *doc, const struct yml_node *n, size_t max, unsigned *errs,
                 uint64_t seed)
{
    static const char *const keys[] = {"name", "machine", "cpus", "memory", "size", NULL};
    static const char *const names[] = {"fifo", "random", "pct:D"};
    struct yml_error err;
    for (int g = 0; g < 12; g++) {
        uint64_t u2 = 3;
        int64_t i2 = 3;
        bool b2 = true;
        const char *s2 = NULL;
        const struct yml_node *o2 = NULL;
        size_t idx2 = 3;
        enum iosim_err r;
        bool kept;
        switch (g) {
        case 0: r = yml_get_u64(doc, n, 0, UINT64_MAX, &u2, &err); kept = u2 == 3; break;
        case 1: r = yml_get_u64(doc, n, 1, 100, &u2, &err); kept = u2 == 3; break;
        case 2: r = yml_get_i64(doc, n, -5, 5, &i2, &err); kept = i2 == 3; break;
        case 3: r = yml_get_bool(doc, n, &b2, &err); kept = b2; break;
        case 4: r = yml_get_str(doc, n, &s2, &err); kept = s2 == NULL; break;
        case 5: r = yml_get_enum(doc, n, names, 3, &idx2, &err); kept = idx2 == 3; break;
        case 6: r = yml_get_size(doc, n, 4096, 1ull << 30, &u2, &err); kept = u2 == 3; break;
        case 7: r = yml_get_time_ps(doc, n, SIM_NS, SIM_S, &u2, &err); kept = u2 == 3; break;
        case 8: r = yml_get_seq(doc, n, &o2, &err); kept = o2 == NULL; break;
        case 9: r = yml_get_map(doc, n, &o2, &err); kept = o2 == NULL; break;
        case 10: r = yml_check_keys(doc, n, keys, "the thing", &err); kept = true; break;
        default: r = yml_require(doc, n, "name", "the thing", &o2, &err); kept = o2 == NULL; break;
        }
        if (r != IOSIM_OK) {
            (*errs)++;
            cr_assert_eq(r, IOSIM_EPARSE, "seed %llu", (unsigned long long)seed);
            cr_assert(kept, "seed %llu: getter %d changed its output on error",
                      (unsigned long long)seed, g);
            cr_assert(well_formed(err.msg, "f.yml", max), "seed %llu: bad message [%s]",
                      (unsigned long long)seed, err.msg);
        }
    }
    for (size_t k = 0; k < yml_seq_len(n); k++)
        walk(doc, yml_seq_item(n, k), max, errs, seed);
    for (size_t k = 0; k < yml_map_len(n); k++) {
        walk(doc, yml_map_key(n, k), max, errs, seed);
        walk(doc, yml_map_value(n, k), max, errs, seed);
        const struct yml_node *key = yml_map_key(n, k);
        if (strlen(yml_scalar_text(key)) == yml_scalar_len(key))
            cr_assert_eq(yml_map_get(n, yml_scalar_text(key)), yml_map_value(n, k));
    }
}

Test(yml_fuzz, load_and_getters_never_crash_when_input_is_mutated)
{
    enum { ITERS = 6000, CAP = 4096 };
    char *buf = malloc(CAP);
    cr_assert_not_null(buf);
    unsigned loaded = 0, refused = 0, getter_errs = 0;
    for (uint64_t seed = 1; seed <= ITERS; seed++) {
        struct sim_rng rng;
        sim_rng_stream(&rng, seed, "yml-fuzz");
        size_t len = sizeof scenario - 1;
        memcpy(buf, scenario, len);
        size_t rounds = 1 + sim_rng_below(&rng, 4);
        for (size_t r = 0; r < rounds; r++)
            mutate(&rng, buf, &len, CAP);
        /* an exact-size heap copy, so ASan sees any read past the end */
        char *text = malloc(len > 0 ? len : 1);
        cr_assert_not_null(text);
        memcpy(text, buf, len);
        struct yml_doc *doc = NULL;
        struct yml_error err;
        enum iosim_err e = yml_load_string("f.yml", text, len, &doc, &err);
        if (e != IOSIM_OK) {
            refused++;
            cr_assert_eq(e, IOSIM_EPARSE, "seed %llu", (unsigned long long)seed);
            cr_assert_null(doc);
            cr_assert(well_formed(err.msg, "f.yml", len + 1), "seed %llu: bad message [%s]",
                      (unsigned long long)seed, err.msg);
        } else {
            loaded++;
            walk(doc, yml_root(doc), len + 1, &getter_errs, seed);
            yml_free(doc);
        }
        free(text);
    }
    free(buf);
    /* both outcomes must be common, or the mutations test little */
    cr_expect_gt(loaded, ITERS / 10, "loaded %u", loaded);
    cr_expect_gt(refused, ITERS / 10, "refused %u", refused);
    cr_expect_gt(getter_errs, 1000u);
}
