/* pcid's driver table; see pcid_config.h. */
#include "impl/drivers/pcid/pcid_config.h"

#include <string.h>

#include "impl/port/check.h"
#include "impl/util/num.h"
#include "impl/util/strbuf.h"

/* The limits the messages spell out. */
_Static_assert(PCID_RULES_MAX == 32 && PCID_DRIVER_NAME_MAX == 32 && PCID_DRIVER_ARGS_MAX == 256,
               "update the messages");

struct tok {
    const char *s;
    size_t len;
    uint32_t col;
};

struct parser {
    const char *p;          /* the rest of the text */
    uint32_t line;
    const char *line_start;
    struct pcid_config_error *err;
};

/* The message is before + the offending text (may be empty) + after. */
static enum iosim_err fail_tok(struct parser *ps, uint32_t col, const char *before,
                               const char *tok, size_t toklen, const char *after)
{
    ASSERT(ps->err != NULL);
    ASSERT(col >= 1 && ps->line >= 1);
    ps->err->line = ps->line;
    ps->err->col = col;
    struct strbuf sb;
    strbuf_init(&sb, ps->err->msg, sizeof ps->err->msg);
    strbuf_put(&sb, before);
    strbuf_putn(&sb, tok, toklen);
    strbuf_put(&sb, after);
    return IOSIM_EPARSE;
}

static enum iosim_err fail(struct parser *ps, uint32_t col, const char *msg)
{
    ASSERT(msg != NULL && msg[0] != '\0');
    return fail_tok(ps, col, msg, "", 0, "");
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The next token of this line; false at its end (or a comment). */
static bool next_tok(struct parser *ps, struct tok *t)
{
    while (blank(*ps->p))
        ps->p++;
    if (*ps->p == '\0' || *ps->p == '\n' || *ps->p == '#')
        return false;
    t->s = ps->p;
    t->col = (uint32_t)(ps->p - ps->line_start) + 1;
    while (*ps->p != '\0' && *ps->p != '\n' && !blank(*ps->p))
        ps->p++;
    t->len = (size_t)(ps->p - t->s);
    ASSERT(t->len > 0);
    ASSERT(t->s >= ps->line_start);
    return true;
}

static void skip_line(struct parser *ps)
{
    ASSERT(ps->p >= ps->line_start);
    uint32_t line = ps->line;
    while (*ps->p != '\0' && *ps->p != '\n')
        ps->p++;
    if (*ps->p == '\n') {
        ps->p++;
        ps->line++;
        ps->line_start = ps->p;
    }
    ASSERT(*ps->p == '\0' || ps->line == line + 1);
}

struct key_def {
    const char *name;
    uint32_t bit;
    uint64_t max;
};

static const struct key_def match_keys[] = {
    {"vendor", PCID_MATCH_VENDOR, 0xffff}, {"device", PCID_MATCH_DEVICE, 0xffff},
    {"class", PCID_MATCH_CLASS, 0xff},     {"subclass", PCID_MATCH_SUBCLASS, 0xff},
    {"prog_if", PCID_MATCH_PROG_IF, 0xff},
};

static void set_key(struct pcid_rule *r, uint32_t bit, uint64_t v)
{
    ASSERT(bit != 0 && (bit & (bit - 1)) == 0);
    ASSERT((bit & ~(PCID_MATCH_VENDOR | PCID_MATCH_DEVICE | PCID_MATCH_CLASS |
                    PCID_MATCH_SUBCLASS | PCID_MATCH_PROG_IF)) == 0);
    ASSERT(v <= 0xffff);
    r->keys |= bit;
    switch (bit) {
    case PCID_MATCH_VENDOR: r->vendor = (uint16_t)v; break;
    case PCID_MATCH_DEVICE: r->device = (uint16_t)v; break;
    case PCID_MATCH_CLASS: r->class_code = (uint8_t)v; break;
    case PCID_MATCH_SUBCLASS: r->subclass = (uint8_t)v; break;
    default: r->prog_if = (uint8_t)v; break;
    }
}

static enum iosim_err match_key(struct parser *ps, struct pcid_rule *r, const struct tok *t,
                                size_t klen)
{
    ASSERT(klen > 0 && klen < t->len);
    ASSERT(t->s[klen] == '=');
    const char *v = t->s + klen + 1;
    size_t vlen = t->len - klen - 1;
    for (size_t i = 0; i < sizeof match_keys / sizeof match_keys[0]; i++) {
        const struct key_def *k = &match_keys[i];
        if (strlen(k->name) != klen || memcmp(k->name, t->s, klen) != 0)
            continue;
        if (r->keys & k->bit)
            return fail_tok(ps, t->col, "", k->name, klen, " given twice");
        uint64_t n;
        if (!num_parse_u64(v, vlen, k->max, &n))
            return fail_tok(ps, t->col + (uint32_t)klen + 1, "", k->name, klen,
                            k->max == 0xff ? " must be an integer from 0 to 0xff"
                                           : " must be an integer from 0 to 0xffff");
        set_key(r, k->bit, n);
        return IOSIM_OK;
    }
    return fail_tok(ps, t->col, "unknown key '", t->s, klen,
                    "' (expected vendor, device, class, subclass, prog_if or driver)");
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

static enum iosim_err driver_key(struct parser *ps, struct pcid_rule *r, const struct tok *t)
{
    ASSERT(t->len >= 7);
    ASSERT(memcmp(t->s, "driver=", 7) == 0);
    const char *v = t->s + 7;
    size_t vlen = t->len - 7;
    bool ok = vlen > 0 && vlen < PCID_DRIVER_NAME_MAX;
    for (size_t i = 0; ok && i < vlen; i++)
        ok = name_char(v[i]);
    if (!ok)
        return fail(ps, t->col + 7, "driver must be a name of 1 to 31 letters, digits, _ or -");
    ASSERT(vlen < sizeof r->driver);
    memcpy(r->driver, v, vlen);
    r->driver[vlen] = '\0';
    return IOSIM_OK;
}

/* After driver=: the driver's own key=value arguments, kept as text. */
static enum iosim_err driver_args(struct parser *ps, struct pcid_rule *r)
{
    struct tok t;
    size_t used = 0;
    while (next_tok(ps, &t)) {
        const char *eq = memchr(t.s, '=', t.len);
        if (eq == NULL || eq == t.s)
            return fail(ps, t.col, "a driver argument must be key=value");
        if (used + (used > 0) + t.len >= sizeof r->args)
            return fail(ps, t.col, "driver arguments longer than 255 characters");
        if (used > 0)
            r->args[used++] = ' ';
        memcpy(r->args + used, t.s, t.len);
        used += t.len;
        r->args[used] = '\0';
        ASSERT(used < sizeof r->args);
    }
    ASSERT(strlen(r->args) == used);
    return IOSIM_OK;
}

/* One line: nothing (blank, comment) or one rule. */
static enum iosim_err parse_line(struct parser *ps, struct pcid_config *out)
{
    struct tok t;
    if (!next_tok(ps, &t))
        return IOSIM_OK;
    if (out->count == PCID_RULES_MAX)
        return fail(ps, t.col, "more than 32 rules");
    ASSERT(out->count < PCID_RULES_MAX);
    struct pcid_rule *r = &out->rules[out->count];
    *r = (struct pcid_rule){.line = ps->line};
    uint32_t first_col = t.col;
    do {
        const char *eq = memchr(t.s, '=', t.len);
        if (eq == NULL || eq == t.s)
            return fail_tok(ps, t.col, "expected key=value, got '", t.s, t.len, "'");
        size_t klen = (size_t)(eq - t.s);
        if (klen == 6 && memcmp(t.s, "driver", 6) == 0) {
            enum iosim_err e = driver_key(ps, r, &t);
            if (e == IOSIM_OK)
                e = driver_args(ps, r);
            if (e != IOSIM_OK)
                return e;
            break;
        }
        enum iosim_err e = match_key(ps, r, &t, klen);
        if (e != IOSIM_OK)
            return e;
    } while (next_tok(ps, &t));
    if (r->driver[0] == '\0')
        return fail(ps, first_col, "a rule needs driver=NAME after its match keys");
    if (r->keys == 0)
        return fail(ps, first_col, "a rule needs at least one match key before driver=");
    ASSERT(r->driver[0] != '\0' && r->keys != 0);
    out->count++;
    ASSERT(out->count <= PCID_RULES_MAX);
    return IOSIM_OK;
}

enum iosim_err pcid_config_parse(const char *text, struct pcid_config *out,
                                 struct pcid_config_error *err)
{
    ASSERT(text != NULL);
    ASSERT(out != NULL && err != NULL);
    memset(out, 0, sizeof *out);
    *err = (struct pcid_config_error){0};
    struct parser ps = {.p = text, .line = 1, .line_start = text, .err = err};
    while (*ps.p != '\0') {
        enum iosim_err e = parse_line(&ps, out);
        if (e != IOSIM_OK) {
            out->count = 0;
            return e;
        }
        skip_line(&ps);
    }
    ASSERT(out->count <= PCID_RULES_MAX);
    return IOSIM_OK;
}

static bool rule_matches(const struct pcid_rule *r, const struct pcid_func *f)
{
    ASSERT(r->keys != 0); /* parse_line refuses a rule without keys */
    ASSERT(r->driver[0] != '\0');
    return (!(r->keys & PCID_MATCH_VENDOR) || r->vendor == f->vendor) &&
           (!(r->keys & PCID_MATCH_DEVICE) || r->device == f->device) &&
           (!(r->keys & PCID_MATCH_CLASS) || r->class_code == f->class_code) &&
           (!(r->keys & PCID_MATCH_SUBCLASS) || r->subclass == f->subclass) &&
           (!(r->keys & PCID_MATCH_PROG_IF) || r->prog_if == f->prog_if);
}

const struct pcid_rule *pcid_config_match(const struct pcid_config *c, const struct pcid_func *f)
{
    ASSERT(c != NULL && f != NULL);
    ASSERT(c->count <= PCID_RULES_MAX);
    if (f->bridge)
        return NULL;
    for (uint32_t i = 0; i < c->count; i++)
        if (rule_matches(&c->rules[i], f))
            return &c->rules[i];
    return NULL;
}
