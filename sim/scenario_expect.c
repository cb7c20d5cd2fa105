/* The scenario loader's `expect:` section; see docs/scenario-format.md. */
#include <stdio.h>
#include <string.h>

#include "sim/scenario_internal.h"

#define CHECK SIM_SCN_CHECK

/* ---- expectations ------------------------------------------------------------- */

/* equals / not_equals / min / max: at least one; `time` reads durations. */
static enum iosim_err load_bounds(struct loader *l, const struct yml_node *n, bool time,
                                  const char *what, struct sim_expect *x)
{
    const char *const names[] = {"equals", "not_equals", "min", "max"};
    bool *has[] = {&x->has_eq, &x->has_ne, &x->has_min, &x->has_max};
    uint64_t *val[] = {&x->eq, &x->ne, &x->min, &x->max};
    bool any = false;
    for (size_t i = 0; i < 4; i++) {
        const struct yml_node *v = yml_map_get(n, names[i]);
        if (v == NULL)
            continue;
        if (time)
            CHECK(yml_get_time_ps(l->doc, v, 0, SIM_TIME_MAX, val[i], l->err));
        else
            CHECK(yml_get_u64(l->doc, v, 0, UINT64_MAX, val[i], l->err));
        *has[i] = any = true;
    }
    if (!any)
        return yml_error_at(l->doc, n, l->err, "%s needs equals, not_equals, min or max", what);
    return IOSIM_OK;
}

static enum iosim_err x_memory(struct loader *l, const struct yml_node *n, struct sim_expect *x)
{
    static const char *const k[] = {"addr", "size", "equals", "not_equals", "min", "max", NULL};
    const struct yml_node *v;
    uint64_t u;
    CHECK(yml_check_keys(l->doc, n, k, "memory expectation", l->err));
    CHECK(yml_require(l->doc, n, "addr", "memory expectation", &v, l->err));
    CHECK(yml_get_u64(l->doc, v, 0, l->s->machine.mem_bytes - 1, &x->addr, l->err));
    x->size = 4;
    if ((v = yml_map_get(n, "size")) != NULL) {
        CHECK(yml_get_u64(l->doc, v, 1, 8, &u, l->err));
        if (u != 1 && u != 2 && u != 4 && u != 8)
            return yml_error_at(l->doc, v, l->err, "size must be 1, 2, 4 or 8");
        x->size = (uint8_t)u;
    }
    if (x->addr + x->size > l->s->machine.mem_bytes)
        return yml_error_at(l->doc, n, l->err, "the value lies outside memory");
    return load_bounds(l, n, false, "a memory expectation", x);
}

static enum iosim_err x_process(struct loader *l, const struct yml_node *n, struct sim_expect *x)
{
    static const char *const k[] = {"name", "exit", "state", NULL};
    static const char *const states[] = {"runnable", "running", "blocked", "exited"};
    const struct yml_node *v;
    CHECK(yml_check_keys(l->doc, n, k, "process expectation", l->err));
    CHECK(yml_require(l->doc, n, "name", "process expectation", &v, l->err));
    CHECK(sim_scn_name(l, v, x->name, sizeof x->name));
    bool found = false;
    for (uint32_t i = 0; i < l->s->proc_count; i++)
        found |= strcmp(l->s->procs[i].name, x->name) == 0;
    if (!found)
        return yml_error_at(l->doc, v, l->err, "no process named '%s'", x->name);
    if ((v = yml_map_get(n, "exit")) != NULL) {
        int64_t st;
        CHECK(yml_get_i64(l->doc, v, -255, 255, &st, l->err));
        x->has_exit = true;
        x->exit_status = (int32_t)st;
    }
    if ((v = yml_map_get(n, "state")) != NULL) {
        size_t i;
        CHECK(yml_get_enum(l->doc, v, states, 4, &i, l->err));
        x->has_state = true;
        x->state = (enum sim_proc_state)i;
    }
    if (!x->has_exit && !x->has_state)
        return yml_error_at(l->doc, n, l->err, "a process expectation needs exit or state");
    return IOSIM_OK;
}

/* What to suggest for an unknown counter name: the counters of its domain
 * (the part before the dot) when it has a known one, else the domains. */
static void counter_suggestions(const char *t, char *out, size_t out_len)
{
    const char *dot = strchr(t, '.');
    size_t dlen = dot != NULL ? (size_t)(dot - t) + 1 : 0;
    bool known = false;
    for (size_t i = 0; dlen > 0 && sim_counter_names[i] != NULL; i++)
        known |= strncmp(sim_counter_names[i], t, dlen) == 0;
    snprintf(out, out_len, "%s", known ? "expected one of: " : "counters are DOMAIN.NAME, domains: ");
    const char *last = "";
    for (size_t i = 0; sim_counter_names[i] != NULL; i++) {
        const char *c = sim_counter_names[i];
        size_t cd = (size_t)(strchr(c, '.') - c);
        if (known ? strncmp(c, t, dlen) != 0 : strncmp(c, last, cd + 1) == 0)
            continue;
        if (last[0] != '\0')
            strncat(out, ", ", out_len - strlen(out) - 1);
        strncat(out, c, known ? strlen(c) : cd);
        last = c;
    }
}

static enum iosim_err x_counter(struct loader *l, const struct yml_node *n, struct sim_expect *x)
{
    static const char *const k[] = {"name", "equals", "not_equals", "min", "max", NULL};
    const struct yml_node *v;
    const char *t;
    CHECK(yml_check_keys(l->doc, n, k, "counter expectation", l->err));
    CHECK(yml_require(l->doc, n, "name", "counter expectation", &v, l->err));
    CHECK(yml_get_str(l->doc, v, &t, l->err));
    struct sim_counters zero = {0};
    uint64_t dummy;
    if (strlen(t) >= sizeof x->name || !sim_counter_get(&zero, t, &dummy)) {
        char list[1024], q[YML_QUOTE_BYTES];
        counter_suggestions(t, list, sizeof list);
        return yml_error_at(l->doc, v, l->err, "unknown counter %s (%s)",
                            yml_quote(q, sizeof q, t, strlen(t)), list);
    }
    snprintf(x->name, sizeof x->name, "%s", t);
    return load_bounds(l, n, false, "a counter expectation", x);
}

static enum iosim_err x_end_time(struct loader *l, const struct yml_node *n, struct sim_expect *x)
{
    static const char *const k[] = {"equals", "not_equals", "min", "max", NULL};
    CHECK(yml_check_keys(l->doc, n, k, "end_time expectation", l->err));
    return load_bounds(l, n, true, "an end_time expectation", x);
}

static enum iosim_err x_end(struct loader *l, const struct yml_node *n, struct sim_expect *x)
{
    static const char *const ends[] = {"all_exited", "deadlock", "time_limit"};
    size_t i;
    CHECK(yml_get_enum(l->doc, n, ends, 3, &i, l->err));
    x->end = (enum sim_end_reason)(SIM_END_ALL_EXITED + i);
    l->s->end_expected = true;
    return IOSIM_OK;
}

enum iosim_err sim_scn_expect(struct loader *l, const struct yml_node *n)
{
    static const char *const kinds[] = {"memory", "process", "counter", "end_time", "end"};
    struct sim_scenario *s = l->s;
    CHECK(yml_get_map(l->doc, n, &n, l->err));
    if (yml_map_len(n) != 1)
        return yml_error_at(l->doc, n, l->err,
                            "an expectation is a mapping with exactly one key (its kind)");
    if (s->expect_count == SIM_SCN_EXPECTS_MAX)
        return yml_error_at(l->doc, n, l->err, "more than %u expectations", SIM_SCN_EXPECTS_MAX);
    const struct yml_node *key = yml_map_key(n, 0), *args = yml_map_value(n, 0);
    size_t kind;
    CHECK(yml_get_enum(l->doc, key, kinds, 5, &kind, l->err));
    struct sim_expect *x = &s->expects[s->expect_count];
    *x = (struct sim_expect){.kind = (enum sim_expect_kind)kind, .line = yml_line(key),
                             .col = yml_col(key)};
    if (x->kind != SIM_EXPECT_END)
        CHECK(yml_get_map(l->doc, args, &args, l->err));
    switch (x->kind) {
    case SIM_EXPECT_MEMORY: CHECK(x_memory(l, args, x)); break;
    case SIM_EXPECT_PROCESS: CHECK(x_process(l, args, x)); break;
    case SIM_EXPECT_COUNTER: CHECK(x_counter(l, args, x)); break;
    case SIM_EXPECT_END_TIME: CHECK(x_end_time(l, args, x)); break;
    case SIM_EXPECT_END: CHECK(x_end(l, args, x)); break;
    }
    s->expect_count++;
    return IOSIM_OK;
}

