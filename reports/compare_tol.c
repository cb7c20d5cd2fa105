/* `iosim compare`'s tolerances: reading KEY=VALUE and checking a report
 * against them; see compare.h. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/compare.h"
#include "reports/stats.h"

enum tol_unit { TOL_PERCENT, TOL_FRACTION, TOL_COUNT, TOL_LEVEL };

static const struct {
    const char *name;
    enum cmp_tol_key key;
    enum tol_unit unit;
    size_t min_samples;
} tol_keys[] = {
    {"p50", CMP_TOL_P50, TOL_PERCENT, 1},
    {"p90", CMP_TOL_P90, TOL_PERCENT, 10},
    {"p99", CMP_TOL_P99, TOL_PERCENT, 100},
    {"ks", CMP_TOL_KS, TOL_FRACTION, 10},
    {"throughput", CMP_TOL_THROUGHPUT, TOL_PERCENT, 0},
    {"missing", CMP_TOL_MISSING, TOL_COUNT, 0},
    {"extra", CMP_TOL_EXTRA, TOL_COUNT, 0},
    {"mismatch", CMP_TOL_MISMATCH, TOL_COUNT, 0},
    {"samples", CMP_TOL_SAMPLES, TOL_COUNT, 0},
    {"kinds", CMP_TOL_KINDS, TOL_LEVEL, 0},
};
#define NKEYS (sizeof tol_keys / sizeof tol_keys[0])

size_t cmp_tolerance_min_samples(enum cmp_tol_key key)
{
    assert((size_t)key < NKEYS && tol_keys[key].key == key);
    return tol_keys[key].min_samples;
}

/* A non-negative decimal number filling [s, end) (no sign, no exponent,
 * no hex, no inf/nan: what a person writes as a tolerance). */
static bool plain_number(const char *s, const char *end, double *out)
{
    size_t digits = 0, dots = 0;
    for (const char *p = s; p < end; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (*p == '.')
            dots++;
        else
            return false;
    }
    if (digits == 0 || dots > 1 || end - s > 32)
        return false;
    char buf[40];
    memcpy(buf, s, (size_t)(end - s));
    buf[end - s] = '\0';
    *out = strtod(buf, NULL);
    return true;
}

static enum iosim_err refuse(char *msg, size_t len, const char *name, const char *why)
{
    snprintf(msg, len, "%s%s%s", name, name[0] ? " " : "", why);
    return IOSIM_EPARSE;
}

static enum iosim_err read_value(const char *v, size_t k, struct cmp_tolerance *t, char *msg,
                                 size_t len)
{
    const char *name = tol_keys[k].name, *end = v + strlen(v);
    bool pct = end > v && end[-1] == '%';
    double x = 0;
    switch (tol_keys[k].unit) {
    case TOL_PERCENT:
        if (!plain_number(v, pct ? end - 1 : end, &x))
            return refuse(msg, len, name, "wants a percentage such as 10% (a number >= 0)");
        break;
    case TOL_FRACTION:
        if (pct || !plain_number(v, end, &x) || x > 1.0)
            return refuse(msg, len, name, "wants a distance from 0 to 1 such as 0.2");
        break;
    case TOL_COUNT:
        if (pct || strchr(v, '.') != NULL || !plain_number(v, end, &x) || x > 1e15)
            return refuse(msg, len, name, "wants a count (a whole number >= 0)");
        break;
    case TOL_LEVEL:
        if (strcmp(v, "all") != 0 && strcmp(v, "scsi") != 0 && strcmp(v, "usb") != 0)
            return refuse(msg, len, name, "wants all, scsi or usb");
        x = strcmp(v, "scsi") == 0 ? 1 : strcmp(v, "usb") == 0 ? 2 : 0;
        break;
    }
    t->key = tol_keys[k].key;
    t->value = x;
    return IOSIM_OK;
}

enum iosim_err cmp_tolerance_parse(const char *text, struct cmp_tolerance *t, char *msg,
                                   size_t msg_len)
{
    assert(text != NULL && t != NULL && msg != NULL);
    const char *eq = strchr(text, '=');
    if (eq == NULL)
        return refuse(msg, msg_len, "", "want KEY=VALUE (p50, p90, p99, ks, throughput, "
                                          "missing, extra, mismatch, samples, kinds)");
    for (size_t k = 0; k < NKEYS; k++)
        if (strlen(tol_keys[k].name) == (size_t)(eq - text) &&
            strncmp(tol_keys[k].name, text, (size_t)(eq - text)) == 0)
            return read_value(eq + 1, k, t, msg, msg_len);
    return refuse(msg, msg_len, "", "unknown key (p50, p90, p99, ks, throughput, missing, "
                                      "extra, mismatch, samples, kinds)");
}

/* ---- checking ------------------------------------------------------------------------------ */

struct verdicts {
    struct cmp_verdict *v;
    size_t n, cap;
    unsigned exceeded;
    bool oom;
};

__attribute__((format(printf, 3, 4))) static void say(struct verdicts *vs, bool exceeded,
                                                      const char *fmt, ...)
{
    if (vs->n == vs->cap) {
        size_t cap = vs->cap ? vs->cap * 2 : 16;
        struct cmp_verdict *v = realloc(vs->v, cap * sizeof *v);
        if (v == NULL) {
            vs->oom = true;
            return;
        }
        vs->v = v;
        vs->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(vs->v[vs->n].text, sizeof vs->v[0].text, fmt, ap);
    va_end(ap);
    vs->v[vs->n++].exceeded = exceeded;
    vs->exceeded += exceeded;
}

/* (b - a) / a in percent; 0 when both are 0, +inf when only a is. */
static double rel_pct(double a, double b)
{
    if (a == 0)
        return b == 0 ? 0.0 : 1e300;
    return (b - a) / a * 100.0;
}

static void fmt_pct(char *buf, size_t cap, double pct)
{
    if (pct >= 1e300)
        snprintf(buf, cap, "+inf%%");
    else
        snprintf(buf, cap, "%+.1f%%", pct);
}

/* One per-kind tolerance (a percentile or ks) over every kind it gates. */
/* Which kinds the per-kind keys gate: their floor of samples and level. */
struct kind_gate {
    size_t floor;
    int level; /* -1: all, else CMP_SCSI or CMP_USB */
};

static void check_kinds(const struct cmp_report *r, const struct cmp_tolerance *t,
                        const struct kind_gate *g, struct verdicts *vs)
{
    static const double pq[] = {50, 90, 99};
    const char *name = tol_keys[t->key].name;
    size_t min = tol_keys[t->key].min_samples, gated = 0, bad = 0;
    min = g->floor > min ? g->floor : min;
    for (size_t i = 0; i < r->nkinds; i++) {
        const struct cmp_kind *k = &r->kinds[i];
        if (k->na < min || k->nb < min || k->na == 0 || k->nb == 0 ||
            (g->level >= 0 && k->level != (uint32_t)g->level))
            continue;
        gated++;
        char got[32];
        double x;
        if (t->key == CMP_TOL_KS) {
            x = k->ks;
            snprintf(got, sizeof got, "%.3f", x);
        } else {
            double p = pq[t->key - CMP_TOL_P50];
            x = rel_pct((double)stats_percentile(k->a, k->na, p),
                        (double)stats_percentile(k->b, k->nb, p));
            fmt_pct(got, sizeof got, x);
            x = x < 0 ? -x : x;
        }
        if (x > t->value) {
            bad++;
            if (t->key == CMP_TOL_KS)
                say(vs, true, "tolerance: ks %s: %s > %g", k->name, got, t->value);
            else
                say(vs, true, "tolerance: %s %s: %s > %g%%", name, k->name, got, t->value);
        }
    }
    if (bad == 0)
        say(vs, false, "tolerance: %s=%g%s: ok (%zu kinds with at least %zu samples in each run)",
            name, t->value, t->key == CMP_TOL_KS ? "" : "%", gated, min);
}

static void check_count(const struct cmp_report *r, const struct cmp_tolerance *t,
                        struct verdicts *vs)
{
    const struct cmp_level *l = &r->level[r->tp_level];
    const char *name = tol_keys[t->key].name;
    size_t n = t->key == CMP_TOL_MISSING ? l->missing
               : t->key == CMP_TOL_EXTRA ? l->extra
                                         : l->mismatched;
    const char *what = r->tp_level == CMP_SCSI ? "SCSI commands" : "USB transfers";
    if ((double)n > t->value)
        say(vs, true, "tolerance: %s %s: %zu > %.0f", name, what, n, t->value);
    else
        say(vs, false, "tolerance: %s=%.0f: ok (%zu %s)", name, t->value, n, what);
}

static void check_throughput(const struct cmp_report *r, const struct cmp_tolerance *t,
                             struct verdicts *vs)
{
    double a = r->side[0].span_ps > 0 ? r->side[0].bytes / r->side[0].span_ps : 0;
    double b = r->side[1].span_ps > 0 ? r->side[1].bytes / r->side[1].span_ps : 0;
    double x = rel_pct(a, b);
    char got[32];
    fmt_pct(got, sizeof got, x);
    if ((x < 0 ? -x : x) > t->value)
        say(vs, true, "tolerance: throughput: %s > %g%%", got, t->value);
    else
        say(vs, false, "tolerance: throughput=%g%%: ok (%s)", t->value, got);
}

enum iosim_err cmp_check(const struct cmp_report *r, const struct cmp_tolerance *t, size_t nt,
                         struct cmp_verdict **v, size_t *nv, unsigned *exceeded)
{
    assert(r != NULL && (t != NULL || nt == 0) && v != NULL && nv != NULL && exceeded != NULL);
    struct verdicts vs = {0};
    struct kind_gate g = {.level = -1}; /* samples=N: the most any says; kinds=: the last */
    for (size_t i = 0; i < nt; i++) {
        if (t[i].key == CMP_TOL_SAMPLES && (size_t)t[i].value > g.floor)
            g.floor = (size_t)t[i].value;
        if (t[i].key == CMP_TOL_KINDS)
            g.level = t[i].value == 1 ? CMP_SCSI : t[i].value == 2 ? CMP_USB : -1;
    }
    for (size_t i = 0; i < nt; i++) {
        assert((size_t)t[i].key < NKEYS);
        if (t[i].key == CMP_TOL_SAMPLES || t[i].key == CMP_TOL_KINDS)
            continue; /* they say which kinds the others gate: no verdict of their own */
        if (t[i].key <= CMP_TOL_KS)
            check_kinds(r, &t[i], &g, &vs);
        else if (t[i].key == CMP_TOL_THROUGHPUT)
            check_throughput(r, &t[i], &vs);
        else
            check_count(r, &t[i], &vs);
    }
    if (vs.oom) {
        free(vs.v);
        return IOSIM_ENOMEM;
    }
    *v = vs.v;
    *nv = vs.n;
    *exceeded = vs.exceeded;
    return IOSIM_OK;
}
