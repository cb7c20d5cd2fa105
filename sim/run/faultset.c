/* A run's fault set: drawing, writing and reading it; see faultset.h. */
#include "sim/run/faultset.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "impl/port/check.h"
#include "impl/util/num.h"
#include "sim/engine/rng.h"

#define FIELDS_MAX (3u + SIM_SWARM_PARAMS_MAX) /* kind, target, line, parameters */

void sim_faultset_init(struct sim_faultset *fs, const struct sim_scenario *s)
{
    ASSERT(fs != NULL);
    ASSERT(s != NULL);
    memset(fs, 0, sizeof *fs);
    fs->s = s;
}

/* ---- drawing ------------------------------------------------------------------------------ */

static uint64_t draw_value(struct sim_rng *rng, const struct sim_swarm_param *p)
{
    if (p->choice_count > 0)
        return p->choices[sim_rng_below(rng, p->choice_count)];
    ASSERT(p->draw_lo <= p->draw_hi);
    if (p->unit == SIM_SWARM_TIME) { /* whole nanoseconds where the bounds allow: short text */
        uint64_t lo = (p->draw_lo + SIM_NS - 1) / SIM_NS, hi = p->draw_hi / SIM_NS;
        if (lo <= hi)
            return sim_rng_range(rng, lo, hi) * SIM_NS;
    }
    return sim_rng_range(rng, p->draw_lo, p->draw_hi);
}

void sim_faultset_draw(const struct sim_scenario *s, uint64_t seed, struct sim_faultset *out)
{
    ASSERT(s != NULL && out != NULL);
    ASSERT(s->allowed_count <= SIM_FAULTSET_PICKS_MAX);
    struct sim_rng rng;
    sim_rng_stream(&rng, seed, "swarm");
    sim_faultset_init(out, s);
    for (uint32_t i = 0; i < s->allowed_count; i++) {
        const struct sim_swarm_kind *k = &s->allowed[i].kind;
        bool on = sim_rng_chance(&rng, 500);
        struct sim_faultset_pick pick = {.allowed = i};
        for (uint32_t p = 0; p < k->param_count; p++) /* drawn either way: stable streams */
            pick.values[p] = draw_value(&rng, &k->params[p]);
        if (on)
            out->picks[out->count++] = pick;
    }
}

void sim_faultset_remove(struct sim_faultset *fs, uint32_t i)
{
    ASSERT(fs != NULL);
    ASSERT(i < fs->count);
    memmove(&fs->picks[i], &fs->picks[i + 1], (fs->count - i - 1) * sizeof fs->picks[0]);
    fs->count--;
}

/* ---- writing ------------------------------------------------------------------------------ */

struct out {
    char *buf;
    size_t cap, len;
    bool cut;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    if (o->cut)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len) {
        o->cut = true;
        return;
    }
    o->len += (size_t)n;
}

static void put_time(struct out *o, uint64_t ps)
{
    static const struct { const char *unit; uint64_t mult; } units[] = {
        {"s", SIM_S}, {"ms", SIM_MS}, {"us", SIM_US}, {"ns", SIM_NS}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ps != 0 && ps % units[i].mult == 0) {
            put(o, "%" PRIu64 "%s", ps / units[i].mult, units[i].unit);
            return;
        }
    put(o, "%" PRIu64 "%s", ps, ps == 0 ? "" : "ps");
}

static void put_value(struct out *o, const struct sim_swarm_param *p, uint64_t v)
{
    if (p->unit == SIM_SWARM_TIME)
        put_time(o, v);
    else if (p->unit == SIM_SWARM_HEX)
        put(o, "0x%" PRIx64, v);
    else
        put(o, "%" PRIu64, v);
}

enum iosim_err sim_faultset_format(const struct sim_faultset *fs, char *buf, size_t cap)
{
    ASSERT(fs != NULL && fs->s != NULL);
    ASSERT(buf != NULL && cap > 0);
    struct out o = {buf, cap, 0, false};
    buf[0] = '\0';
    if (fs->count == 0)
        put(&o, "none");
    for (uint32_t i = 0; i < fs->count; i++) {
        const struct sim_faultset_pick *pk = &fs->picks[i];
        ASSERT(pk->allowed < fs->s->allowed_count);
        const struct sim_scn_allowed *a = &fs->s->allowed[pk->allowed];
        put(&o, "%s%s", i ? "," : "", a->kind.name);
        if (a->target[0] != '\0')
            put(&o, ":%s", a->target);
        if (a->line != UINT32_MAX)
            put(&o, ":line=%" PRIu32, a->line);
        for (uint32_t p = 0; p < a->kind.param_count; p++) {
            put(&o, ":%s=", a->kind.params[p].name);
            put_value(&o, &a->kind.params[p], pk->values[p]);
        }
    }
    return o.cut ? IOSIM_ENOSPC : IOSIM_OK;
}

/* ---- reading ------------------------------------------------------------------------------ */

struct field {
    const char *p;
    size_t n;
};

static bool field_is(struct field f, const char *s)
{
    return strlen(s) == f.n && (f.n == 0 || memcmp(f.p, s, f.n) == 0); /* an absent field's p is NULL */
}

static enum iosim_err fail(char *msg, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum iosim_err fail(char *msg, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (cap > 0)
        vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
    return IOSIM_EINVAL;
}

/* "20us", "0", "1500ps": whole numbers with a unit only. */
static bool parse_time(struct field f, uint64_t *out)
{
    static const struct { const char *unit; uint64_t mult; } units[] = {
        {"ps", 1}, {"ns", SIM_NS}, {"us", SIM_US}, {"ms", SIM_MS}, {"s", SIM_S}};
    size_t d = 0;
    while (d < f.n && f.p[d] >= '0' && f.p[d] <= '9')
        d++;
    uint64_t v;
    if (d == 0 || !num_parse_u64(f.p, d, UINT64_MAX, &v))
        return false;
    struct field u = {f.p + d, f.n - d};
    if (u.n == 0)
        return (*out = v) == 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (field_is(u, units[i].unit)) {
            if (v > UINT64_MAX / units[i].mult)
                return false;
            *out = v * units[i].mult;
            return true;
        }
    return false;
}

static bool parse_value(const struct sim_swarm_param *p, struct field f, uint64_t *out)
{
    if (p->unit == SIM_SWARM_TIME)
        return parse_time(f, out);
    return num_parse_u64(f.p, f.n, UINT64_MAX, out);
}

/* Within the scenario's bounds for p (its draw range or its choices). */
static bool value_allowed(const struct sim_swarm_param *p, uint64_t v)
{
    if (p->choice_count > 0)
        return sim_swarm_param_legal(p, v);
    return v >= p->draw_lo && v <= p->draw_hi;
}

/* One pick's fields, already split. */
struct pick_text {
    struct field kind, target;
    bool has_line;
    uint64_t line;
    uint32_t nparams;
    struct field pname[SIM_SWARM_PARAMS_MAX], pval[SIM_SWARM_PARAMS_MAX];
    const char *whole;                       /* for messages */
    size_t whole_n;
};

static enum iosim_err split_pick(const char *p, size_t n, struct pick_text *pt, char *msg,
                                 size_t cap)
{
    memset(pt, 0, sizeof *pt);
    pt->whole = p;
    pt->whole_n = n;
    const char *end = p + n;
    for (uint32_t i = 0; p <= end; i++) {
        const char *c = memchr(p, ':', (size_t)(end - p));
        struct field f = {p, (size_t)((c != NULL ? c : end) - p)};
        const char *eq = memchr(f.p, '=', f.n);
        if (f.n == 0)
            return fail(msg, cap, "fault set: '%.*s': an empty field", (int)n, pt->whole);
        if (i == 0) {
            pt->kind = f;
        } else if (eq == NULL && i == 1) {
            pt->target = f;
        } else if (eq == NULL) {
            return fail(msg, cap, "fault set: '%.*s': '%.*s' is not NAME=VALUE", (int)n,
                        pt->whole, (int)f.n, f.p);
        } else if (field_is((struct field){f.p, (size_t)(eq - f.p)}, "line") && !pt->has_line) {
            pt->has_line = true;
            if (!num_parse_u64(eq + 1, (size_t)(f.p + f.n - eq - 1), SIM_IRQ_LINES - 1, &pt->line))
                return fail(msg, cap, "fault set: '%.*s': bad line", (int)n, pt->whole);
        } else if (pt->nparams == SIM_SWARM_PARAMS_MAX) {
            return fail(msg, cap, "fault set: '%.*s': too many parameters", (int)n, pt->whole);
        } else {
            pt->pname[pt->nparams] = (struct field){f.p, (size_t)(eq - f.p)};
            pt->pval[pt->nparams++] = (struct field){eq + 1, (size_t)(f.p + f.n - eq - 1)};
        }
        if (c == NULL)
            break;
        p = c + 1;
    }
    return IOSIM_OK;
}

/* Fills pick's values from pt against allowed fault a; false with msg when
 * a parameter is missing, unknown, unreadable or out of bounds. */
static bool pick_values(const struct sim_scn_allowed *a, const struct pick_text *pt,
                        struct sim_faultset_pick *pick, char *msg, size_t cap)
{
    if (pt->nparams != a->kind.param_count) {
        char list[128] = "";
        int k = 0;
        for (uint32_t p = 0; p < a->kind.param_count && (size_t)k < sizeof list; p++)
            k += snprintf(list + k, sizeof list - (size_t)k, "%s%s", p ? ", " : "",
                          a->kind.params[p].name);
        (void)fail(msg, cap, "fault set: '%.*s': %s takes exactly the parameters %s",
                   (int)pt->whole_n, pt->whole, a->kind.name, list);
        return false;
    }
    for (uint32_t p = 0; p < a->kind.param_count; p++) {
        const struct sim_swarm_param *prm = &a->kind.params[p];
        uint32_t j = 0;
        while (j < pt->nparams && !field_is(pt->pname[j], prm->name))
            j++;
        uint64_t v = 0;
        if (j == pt->nparams || !parse_value(prm, pt->pval[j], &v)) {
            (void)fail(msg, cap, "fault set: '%.*s': %s: missing or unreadable %s",
                       (int)pt->whole_n, pt->whole, a->kind.name, prm->name);
            return false;
        }
        if (!value_allowed(prm, v)) {
            (void)fail(msg, cap, "fault set: '%.*s': %s is outside what the scenario allows",
                       (int)pt->whole_n, pt->whole, prm->name);
            return false;
        }
        pick->values[p] = v;
    }
    return true;
}

/* The first allowed fault not yet picked that pt names and whose bounds
 * hold its values. */
static enum iosim_err match_pick(const struct sim_scenario *s, const struct pick_text *pt,
                                 const bool *used, struct sim_faultset_pick *pick, char *msg,
                                 size_t cap)
{
    bool named = false;
    if (cap > 0)
        msg[0] = '\0';
    uint32_t line = pt->has_line ? (uint32_t)pt->line : UINT32_MAX;
    for (uint32_t i = 0; i < s->allowed_count; i++) {
        const struct sim_scn_allowed *a = &s->allowed[i];
        if (!field_is(pt->kind, a->kind.name) || !field_is(pt->target, a->target) ||
            a->line != line)
            continue;
        named = true;
        *pick = (struct sim_faultset_pick){.allowed = i};
        if (!used[i] && pick_values(a, pt, pick, msg, cap))
            return IOSIM_OK;
    }
    if (!named)
        return fail(msg, cap, "fault set: '%.*s': the scenario does not allow this fault"
                    " (its fuzz.faults)", (int)pt->whole_n, pt->whole);
    if (msg != NULL && cap > 0 && msg[0] == '\0')
        return fail(msg, cap, "fault set: '%.*s': picked more often than the scenario allows",
                    (int)pt->whole_n, pt->whole);
    return IOSIM_EINVAL;
}

enum iosim_err sim_faultset_parse(const struct sim_scenario *s, const char *text,
                                  struct sim_faultset *out, char *msg, size_t cap)
{
    ASSERT(s != NULL && text != NULL);
    ASSERT(out != NULL && msg != NULL);
    static struct sim_faultset fs; /* large: not on the caller's stack twice */
    bool used[SIM_SCN_ALLOWED_MAX] = {false};
    sim_faultset_init(&fs, s);
    if (cap > 0)
        msg[0] = '\0';
    size_t len = strlen(text);
    if (len == 0 || strcmp(text, "none") == 0) {
        *out = fs;
        return IOSIM_OK;
    }
    for (const char *p = text; p <= text + len;) {
        const char *c = strchr(p, ',');
        size_t n = (size_t)((c != NULL ? c : text + len) - p);
        struct pick_text pt;
        struct sim_faultset_pick pick;
        if (fs.count == SIM_FAULTSET_PICKS_MAX)
            return fail(msg, cap, "fault set: more than %u faults", SIM_FAULTSET_PICKS_MAX);
        enum iosim_err e = split_pick(p, n, &pt, msg, cap);
        if (e == IOSIM_OK)
            e = match_pick(s, &pt, used, &pick, msg, cap);
        if (e != IOSIM_OK)
            return e;
        used[pick.allowed] = true;
        fs.picks[fs.count++] = pick;
        if (c == NULL)
            break;
        p = c + 1;
    }
    /* the scenario's order, as format and draw have it */
    for (uint32_t i = 1; i < fs.count; i++)
        for (uint32_t j = i; j > 0 && fs.picks[j - 1].allowed > fs.picks[j].allowed; j--) {
            struct sim_faultset_pick t = fs.picks[j];
            fs.picks[j] = fs.picks[j - 1];
            fs.picks[j - 1] = t;
        }
    *out = fs;
    return IOSIM_OK;
}
