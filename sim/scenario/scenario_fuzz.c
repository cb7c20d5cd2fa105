/* `fuzz:` - the faults a scenario must survive (scenario.h, struct
 * sim_scn_allowed; docs/scenario-format.md). Each item of `fuzz.faults` is
 * a kind's name alone, or a one-key mapping from the name to its target
 * and parameter bounds:
 *
 *     fuzz:
 *       faults:
 *         - irq_delay
 *         - irq_drop: {line: 3, per_mille: [1, 20]}
 *         - kill: {process: fio, at: [1ms, 5ms]}
 *         - usb_stall: {device: disk}
 */
#include <stdio.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/scenario/scenario_internal.h"

#define CHECK SIM_SCN_CHECK

#define PM_PARAM(dhi) {.name = "per_mille", .lo = 1, .hi = 1000, .draw_lo = 1, .draw_hi = (dhi)}

static const struct sim_swarm_kind machine_kinds[] = {
    [SIM_ALLOWED_IRQ_DROP] = {.name = "irq_drop", .param_count = 1, .params = {PM_PARAM(100)}},
    [SIM_ALLOWED_IRQ_DELAY] = {.name = "irq_delay", .param_count = 2,
                               .params = {PM_PARAM(100),
                                          {.name = "delay", .unit = SIM_SWARM_TIME,
                                           .lo = SIM_NS, .hi = SIM_S, .draw_lo = SIM_US,
                                           .draw_hi = 200 * SIM_US}}},
    [SIM_ALLOWED_DMA_ERROR] = {.name = "dma_error", .param_count = 1, .params = {PM_PARAM(20)}},
    [SIM_ALLOWED_KILL] = {.name = "kill", .param_count = 1,
                          .params = {{.name = "at", .unit = SIM_SWARM_TIME, .lo = 0,
                                      .hi = 3600 * SIM_S, .draw_lo = 0,
                                      .draw_hi = 10 * SIM_MS}}},
};

const struct sim_swarm_kind *sim_scn_machine_kind(enum sim_scn_allowed_class cls)
{
    return cls < SIM_ALLOWED_FAMILY ? &machine_kinds[cls] : NULL;
}

static int device_index(const struct sim_scenario *s, const char *name)
{
    for (uint32_t i = 0; i < s->device_count; i++)
        if (strcmp(s->devices[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* The kinds device d offers (0 when its family has no swarm). */
static uint32_t device_kinds(const struct sim_scn_device *d, struct sim_swarm_kind *out)
{
    if (d->family->swarm_kinds == NULL || d->family->swarm_apply == NULL)
        return 0;
    uint32_t n = d->family->swarm_kinds(d->config, d->type, out, SIM_SWARM_KINDS_MAX);
    ASSERT(n <= SIM_SWARM_KINDS_MAX);
    return n;
}

/* Does a device of s offer kind `name`? */
static bool kind_exists(const struct sim_scenario *s, const char *name)
{
    struct sim_swarm_kind k[SIM_SWARM_KINDS_MAX];
    for (uint32_t i = 0; i < s->device_count; i++) {
        uint32_t c = device_kinds(&s->devices[i], k);
        for (uint32_t j = 0; j < c; j++)
            if (strcmp(k[j].name, name) == 0)
                return true;
    }
    return false;
}

/* Every kind name this scenario could allow, for a message. */
static void known_kinds(const struct sim_scenario *s, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "irq_drop, irq_delay, dma_error, kill");
    struct sim_swarm_kind k[SIM_SWARM_KINDS_MAX];
    for (uint32_t i = 0; i < s->device_count && (size_t)n < cap; i++) {
        uint32_t c = device_kinds(&s->devices[i], k);
        for (uint32_t j = 0; j < c && (size_t)n < cap; j++)
            if (strstr(buf, k[j].name) == NULL)
                n += snprintf(buf + n, cap - (size_t)n, ", %s", k[j].name);
    }
}

/* A value of p from n, legal. */
static enum iosim_err param_value(struct loader *l, const struct yml_node *n,
                                  const struct sim_swarm_param *p, uint64_t *out)
{
    if (p->unit == SIM_SWARM_TIME)
        return yml_get_time_ps(l->doc, n, p->lo, p->hi, out, l->err);
    if (p->choice_count == 0)
        return yml_get_u64(l->doc, n, p->lo, p->hi, out, l->err);
    CHECK(yml_get_u64(l->doc, n, 0, UINT64_MAX, out, l->err));
    if (sim_swarm_param_legal(p, *out))
        return IOSIM_OK;
    return yml_error_at(l->doc, n, l->err, "%s %#llx is not one this device has", p->name,
                        (unsigned long long)*out);
}

/* `name: V` (always V) or `name: [LO, HI]` (drawn between): narrows p's
 * draw range, or its choices to those in the range. */
static enum iosim_err param_bounds(struct loader *l, const struct yml_node *n,
                                   struct sim_swarm_param *p)
{
    uint64_t lo, hi;
    if (yml_kind(n) == YML_SEQ) {
        if (yml_seq_len(n) != 2)
            return yml_error_at(l->doc, n, l->err, "`%s` is a value or [low, high]", p->name);
        CHECK(param_value(l, yml_seq_item(n, 0), p, &lo));
        CHECK(param_value(l, yml_seq_item(n, 1), p, &hi));
        if (hi < lo)
            return yml_error_at(l->doc, n, l->err, "`%s`: high is below low", p->name);
    } else {
        CHECK(param_value(l, n, p, &lo));
        hi = lo;
    }
    if (p->choice_count == 0) {
        p->draw_lo = lo;
        p->draw_hi = hi;
        return IOSIM_OK;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < p->choice_count; i++)
        if (p->choices[i] >= lo && p->choices[i] <= hi)
            p->choices[k++] = p->choices[i];
    p->choice_count = k;
    ASSERT(k > 0); /* lo itself is one */
    return IOSIM_OK;
}

/* device: NAME for dma_error (optional) and family kinds (required). */
static enum iosim_err load_device(struct loader *l, const struct yml_node *m,
                                  struct sim_scn_allowed *a, const struct yml_node *at)
{
    const struct yml_node *v = m != NULL ? yml_map_get(m, "device") : NULL;
    if (v == NULL)
        return a->cls == SIM_ALLOWED_FAMILY
                   ? yml_error_at(l->doc, at, l->err, "%s needs a `device:`", a->kind.name)
                   : IOSIM_OK;
    CHECK(sim_scn_name(l, v, a->target, sizeof a->target));
    int di = device_index(l->s, a->target);
    if (di < 0)
        return yml_error_at(l->doc, v, l->err, "no device named '%s' in `devices:`", a->target);
    a->device = (uint32_t)di;
    if (a->cls != SIM_ALLOWED_FAMILY)
        return IOSIM_OK;
    const struct sim_scn_device *d = &l->s->devices[di];
    struct sim_swarm_kind k[SIM_SWARM_KINDS_MAX];
    uint32_t c = device_kinds(d, k);
    char list[256] = "";
    int n = 0;
    for (uint32_t i = 0; i < c; i++) {
        if (strcmp(k[i].name, a->kind.name) == 0) {
            a->kind = k[i];
            a->family_kind = i;
            return IOSIM_OK;
        }
        if ((size_t)n < sizeof list)
            n += snprintf(list + n, sizeof list - (size_t)n, "%s%s", i ? ", " : "", k[i].name);
    }
    return yml_error_at(l->doc, v, l->err, "device '%s' (%s) cannot be given %s%s%s",
                        a->target, d->family->types[d->type], a->kind.name,
                        c ? "; it takes: " : ": it takes no swarm faults", list);
}

/* process: NAME and spawned: BOOL for kill. */
static enum iosim_err load_process(struct loader *l, const struct yml_node *m,
                                   struct sim_scn_allowed *a, const struct yml_node *at)
{
    const struct yml_node *v;
    if (m == NULL)
        return yml_error_at(l->doc, at, l->err, "kill needs a `process:`");
    if ((v = yml_map_get(m, "spawned")) != NULL)
        CHECK(yml_get_bool(l->doc, v, &a->spawned, l->err));
    CHECK(yml_require(l->doc, m, "process", "kill", &v, l->err));
    CHECK(sim_scn_name(l, v, a->target, sizeof a->target));
    bool found = false;
    for (uint32_t i = 0; i < l->s->proc_count; i++)
        found |= strcmp(l->s->procs[i].name, a->target) == 0;
    if (!found && !a->spawned)
        return yml_error_at(l->doc, v, l->err, "no process named '%s'", a->target);
    if (found && a->spawned)
        return yml_error_at(l->doc, v, l->err, "'%s' is declared here: it is not spawned",
                            a->target);
    return IOSIM_OK;
}

/* The keys of m: target keys of the class, then the kind's parameters. */
static enum iosim_err load_keys(struct loader *l, const struct yml_node *m,
                                struct sim_scn_allowed *a)
{
    for (size_t i = 0; i < yml_map_len(m); i++) {
        const struct yml_node *key = yml_map_key(m, i), *val = yml_map_value(m, i);
        const char *k = yml_scalar_text(key);
        bool irq = a->cls == SIM_ALLOWED_IRQ_DROP || a->cls == SIM_ALLOWED_IRQ_DELAY;
        if ((strcmp(k, "device") == 0 && (a->cls == SIM_ALLOWED_DMA_ERROR ||
                                          a->cls == SIM_ALLOWED_FAMILY)) ||
            (a->cls == SIM_ALLOWED_KILL && (!strcmp(k, "process") || !strcmp(k, "spawned"))))
            continue;
        if (irq && strcmp(k, "line") == 0) {
            uint64_t u;
            CHECK(yml_get_u64(l->doc, val, 0, SIM_IRQ_LINES - 1, &u, l->err));
            a->line = (uint32_t)u;
            continue;
        }
        uint32_t p = 0;
        while (p < a->kind.param_count && strcmp(a->kind.params[p].name, k) != 0)
            p++;
        if (p == a->kind.param_count) {
            char list[160] = "";
            int n = snprintf(list, sizeof list, "%s", a->cls == SIM_ALLOWED_KILL ? "process, spawned"
                                                      : irq ? "line" : "device");
            for (uint32_t j = 0; j < a->kind.param_count && (size_t)n < sizeof list; j++)
                n += snprintf(list + n, sizeof list - (size_t)n, ", %s", a->kind.params[j].name);
            return yml_error_at(l->doc, key, l->err, "unknown key '%s' in %s (expected one of: %s)",
                                k, a->kind.name, list);
        }
        CHECK(param_bounds(l, val, &a->kind.params[p]));
    }
    return IOSIM_OK;
}

static enum iosim_err load_allowed(struct loader *l, const struct yml_node *n)
{
    struct sim_scenario *s = l->s;
    const struct yml_node *name = n, *m = NULL;
    if (s->allowed_count == SIM_SCN_ALLOWED_MAX)
        return yml_error_at(l->doc, n, l->err, "more than %u allowed faults",
                            SIM_SCN_ALLOWED_MAX);
    if (yml_kind(n) == YML_MAP) {
        if (yml_map_len(n) != 1)
            return yml_error_at(l->doc, n, l->err,
                                "an allowed fault is `KIND` or `KIND: {...}`: one key");
        name = yml_map_key(n, 0);
        CHECK(yml_get_map(l->doc, yml_map_value(n, 0), &m, l->err));
    }
    const char *t;
    CHECK(yml_get_str(l->doc, name, &t, l->err));
    struct sim_scn_allowed *a = &s->allowed[s->allowed_count];
    *a = (struct sim_scn_allowed){.cls = SIM_ALLOWED_FAMILY, .line = UINT32_MAX,
                                  .src_line = yml_line(n), .src_col = yml_col(n)};
    for (uint32_t c = 0; c < SIM_ALLOWED_FAMILY; c++)
        if (strcmp(t, machine_kinds[c].name) == 0)
            a->cls = (enum sim_scn_allowed_class)c;
    if (a->cls != SIM_ALLOWED_FAMILY) {
        a->kind = machine_kinds[a->cls];
    } else {
        char list[256];
        known_kinds(s, list, sizeof list);
        if (strlen(t) >= sizeof a->kind.name || !kind_exists(s, t))
            return yml_error_at(l->doc, name, l->err, "unknown fault '%s' (expected one of: %s)",
                                t, list);
        snprintf(a->kind.name, sizeof a->kind.name, "%s", t);
    }
    if (a->cls == SIM_ALLOWED_KILL)
        CHECK(load_process(l, m, a, name));
    else
        CHECK(load_device(l, m, a, name));
    if (m != NULL)
        CHECK(load_keys(l, m, a));
    for (uint32_t i = 0; i < s->allowed_count; i++) /* a fault set's text names it unambiguously */
        if (strcmp(s->allowed[i].kind.name, a->kind.name) == 0 &&
            strcmp(s->allowed[i].target, a->target) == 0 && s->allowed[i].line == a->line)
            return yml_error_at(l->doc, n, l->err, "%s%s%s is allowed already (line %u): one"
                                " entry for each fault and target", a->kind.name,
                                a->target[0] ? " of " : "", a->target, s->allowed[i].src_line);
    s->allowed_count++;
    return IOSIM_OK;
}

enum iosim_err sim_scn_fuzz(struct loader *l, const struct yml_node *n)
{
    static const char *const k[] = {"faults", NULL};
    const struct yml_node *v;
    CHECK(yml_get_map(l->doc, n, &n, l->err));
    CHECK(yml_check_keys(l->doc, n, k, "fuzz", l->err));
    if ((v = yml_map_get(n, "faults")) == NULL)
        return IOSIM_OK;
    CHECK(yml_get_seq(l->doc, v, &v, l->err));
    for (size_t i = 0; i < yml_seq_len(v); i++)
        CHECK(load_allowed(l, yml_seq_item(v, i)));
    return IOSIM_OK;
}
