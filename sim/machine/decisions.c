/* A run's schedule decisions: the list, its text form and the replay cursor. */
#include "sim/machine/decisions.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"

static const char kind_letter[] = {[SIM_DEC_PREEMPT] = 'p', [SIM_DEC_STALL] = 's',
                                   [SIM_DEC_PICK] = 'k'};

enum iosim_err sim_dec_push(struct sim_decisions *d, uint64_t at, enum sim_dec_kind kind,
                            uint64_t value)
{
    ASSERT(d->n == 0 || d->v[d->n - 1].at < at);
    ASSERT(kind >= SIM_DEC_PREEMPT && kind <= SIM_DEC_PICK);
    if (d->n == SIM_DEC_MAX) {
        d->truncated = true;
        return IOSIM_OK;
    }
    if (d->n == d->cap) {
        uint32_t cap = d->cap != 0 ? d->cap * 2 : 64;
        struct sim_dec *v = realloc(d->v, (size_t)cap * sizeof *v);
        if (v == NULL)
            return IOSIM_ENOMEM;
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = (struct sim_dec){.at = at, .value = value, .kind = kind};
    return IOSIM_OK;
}

size_t sim_dec_format(const struct sim_decisions *d, char *buf, size_t cap)
{
    if (d->n == 0)
        return (size_t)snprintf(buf, cap, "none");
    size_t len = 0;
    if (cap > 0)
        buf[0] = '\0';
    for (uint32_t i = 0; i < d->n; i++) {
        const struct sim_dec *e = &d->v[i];
        char one[48];
        int k = e->kind == SIM_DEC_PREEMPT && e->value == 1
                    ? snprintf(one, sizeof one, "%s%c%" PRIu64, i ? "," : "", 'p', e->at)
                    : snprintf(one, sizeof one, "%s%c%" PRIu64 "=%" PRIu64, i ? "," : "",
                               kind_letter[e->kind], e->at, e->value);
        if (len + (size_t)k < cap)
            memcpy(buf + len, one, (size_t)k + 1);
        else if (len < cap)
            buf[len] = '\0', cap = len; /* no partial entries: stop writing */
        len += (size_t)k;
    }
    return len;
}

char *sim_dec_text(const struct sim_decisions *d)
{
    size_t n = sim_dec_format(d, NULL, 0) + 1;
    char *t = malloc(n);
    if (t != NULL)
        (void)sim_dec_format(d, t, n);
    return t;
}

static bool read_u64(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *p = s;
    *out = v;
    return true;
}

static enum sim_dec_kind kind_of(char c)
{
    return c == 'p' ? SIM_DEC_PREEMPT : c == 's' ? SIM_DEC_STALL : c == 'k' ? SIM_DEC_PICK : 0;
}

/* One entry at *p; NULL when it is well formed, else what is wrong. */
static const char *parse_entry(const char **p, const struct sim_decisions *d, struct sim_dec *e)
{
    e->kind = kind_of(**p);
    if (e->kind == 0)
        return "expected p, s or k";
    (*p)++;
    if (!read_u64(p, &e->at))
        return "expected a choice index";
    if (d->n > 0 && e->at <= d->v[d->n - 1].at)
        return "choice indices must increase";
    e->value = 1;
    if (e->kind == SIM_DEC_PREEMPT && **p != '=')
        return NULL;
    if (**p != '=')
        return "expected =value";
    (*p)++;
    if (!read_u64(p, &e->value) || e->value == 0)
        return "expected a value of at least 1";
    return NULL;
}

enum iosim_err sim_dec_parse(const char *text, struct sim_decisions *d, char *msg, size_t cap)
{
    d->n = 0;
    d->truncated = false;
    const char *p = strcmp(text, "none") == 0 ? "" : text;
    while (*p != '\0') {
        struct sim_dec e;
        const char *why = parse_entry(&p, d, &e);
        if (why == NULL && *p != '\0' && *p != ',')
            why = "expected , between entries";
        if (why == NULL && *p == ',' && p[1] == '\0')
            why = "expected an entry after ,";
        if (why == NULL && sim_dec_push(d, e.at, e.kind, e.value) != IOSIM_OK)
            why = "out of memory";
        if (why != NULL) {
            snprintf(msg, cap, "decisions: byte %td: %s", p - text, why);
            d->n = 0;
            return IOSIM_EINVAL;
        }
        if (*p == ',')
            p++;
    }
    return IOSIM_OK;
}

enum iosim_err sim_dec_copy(struct sim_decisions *dst, const struct sim_decisions *src)
{
    dst->n = 0;
    dst->truncated = src->truncated;
    for (uint32_t i = 0; i < src->n; i++)
        if (sim_dec_push(dst, src->v[i].at, src->v[i].kind, src->v[i].value) != IOSIM_OK)
            return IOSIM_ENOMEM;
    return IOSIM_OK;
}

void sim_dec_free(struct sim_decisions *d)
{
    free(d->v);
    *d = (struct sim_decisions){0};
}

const struct sim_dec *sim_dec_lookup(const struct sim_decisions *d, uint64_t at, uint32_t *pos)
{
    while (*pos < d->n && d->v[*pos].at < at)
        (*pos)++;
    return *pos < d->n && d->v[*pos].at == at ? &d->v[*pos] : NULL;
}
