/* A scenario's shrinkable counts: set for a run, written and read as text. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/scenario/scenario.h"

void sim_scn_counts_apply(struct sim_scenario *s, const uint64_t *values)
{
    for (uint32_t i = 0; i < s->count_count; i++) {
        const struct sim_scn_count *c = &s->counts[i];
        uint64_t v = values != NULL ? values[i] : c->value;
        ASSERT(v >= c->min && c->proc < s->proc_count);
        struct sim_scn_process *p = &s->procs[c->proc];
        if (c->step >= 0)
            p->prog.steps[c->step].count = v;
        else
            p->args.num[c->arg] = (int64_t)v;
    }
}

size_t sim_scn_counts_format(const struct sim_scenario *s, const uint64_t *values, char *buf,
                             size_t cap)
{
    size_t len = 0;
    if (cap > 0)
        buf[0] = '\0';
    for (uint32_t i = 0; values != NULL && i < s->count_count; i++) {
        if (values[i] == s->counts[i].value)
            continue;
        int k = snprintf(len < cap ? buf + len : NULL, len < cap ? cap - len : 0,
                         "%s%s=%" PRIu64, len ? "," : "", s->counts[i].name, values[i]);
        len += (size_t)k;
    }
    return len;
}

/* The count called name[0, len), or -1. */
static int32_t count_named(const struct sim_scenario *s, const char *name, size_t len)
{
    for (uint32_t i = 0; i < s->count_count; i++)
        if (strlen(s->counts[i].name) == len && memcmp(s->counts[i].name, name, len) == 0)
            return (int32_t)i;
    return -1;
}

/* One "name=value" of text [p, end); NULL when it is well formed. */
static const char *parse_pair(const struct sim_scenario *s, const char *p, const char *end,
                              uint64_t *values)
{
    const char *eq = memchr(p, '=', (size_t)(end - p));
    if (eq == NULL)
        return "expected name=value";
    int32_t i = count_named(s, p, (size_t)(eq - p));
    if (i < 0)
        return "no shrinkable count has that name";
    uint64_t v = 0;
    const char *q = eq + 1;
    if (q == end)
        return "expected a number after =";
    for (; q < end; q++) {
        if (*q < '0' || *q > '9' || v > (UINT64_MAX - 9) / 10)
            return "expected a number after =";
        v = v * 10 + (uint64_t)(*q - '0');
    }
    if (v < s->counts[i].min)
        return "below the count's minimum";
    values[i] = v;
    return NULL;
}

enum iosim_err sim_scn_counts_parse(const struct sim_scenario *s, const char *text,
                                    uint64_t *values, char *msg, size_t cap)
{
    for (uint32_t i = 0; i < s->count_count; i++)
        values[i] = s->counts[i].value;
    for (const char *p = text; *p != '\0';) {
        const char *end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        const char *why = parse_pair(s, p, end, values);
        if (why != NULL) {
            snprintf(msg, cap, "counts: '%.*s': %s", (int)(end - p), p, why);
            return IOSIM_EINVAL;
        }
        p = *end == ',' ? end + 1 : end;
    }
    return IOSIM_OK;
}
