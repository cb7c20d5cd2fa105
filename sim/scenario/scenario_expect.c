/* The scenario loader's `expect:` section; see docs/scenario-format.md. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/scenario/scenario_internal.h"
#include "sim/trace/trace.h"

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
    static const char *const k[] = {"name", "exit", "state", "spawned", NULL};
    static const char *const states[] = {"runnable", "running", "blocked", "exited"};
    const struct yml_node *v, *name;
    CHECK(yml_check_keys(l->doc, n, k, "process expectation", l->err));
    CHECK(yml_require(l->doc, n, "name", "process expectation", &name, l->err));
    CHECK(sim_scn_name(l, name, x->name, sizeof x->name));
    if ((v = yml_map_get(n, "spawned")) != NULL)
        CHECK(yml_get_bool(l->doc, v, &x->spawned, l->err));
    bool found = false;
    for (uint32_t i = 0; i < l->s->proc_count; i++)
        found |= strcmp(l->s->procs[i].name, x->name) == 0;
    if (!found && !x->spawned) /* a process started at run time cannot be checked now */
        return yml_error_at(l->doc, name, l->err, "no process named '%s'", x->name);
    if (found && x->spawned)
        return yml_error_at(l->doc, name, l->err,
                            "'%s' is a process of the scenario, not one started by another",
                            x->name);
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
    for (uint32_t i = 0; dlen > 0 && i < sim_counter_count(); i++)
        known |= strncmp(sim_counter_name(i), t, dlen) == 0;
    snprintf(out, out_len, "%s", known ? "expected one of: " : "counters are DOMAIN.NAME, domains: ");
    const char *last = "";
    for (uint32_t i = 0; i < sim_counter_count(); i++) {
        const char *c = sim_counter_name(i);
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

/* ---- trace ------------------------------------------------------------------- */

/* Appends name to a ", "-separated list in out (cut short when full). */
static void list_add(char *out, size_t cap, const char *name)
{
    size_t n = strlen(out);
    if (n + 1 < cap)
        snprintf(out + n, cap - n, "%s%s", n > 0 ? ", " : "", name);
}

/* How a value reads after "got" in a message. */
static const char *found_text(const struct yml_node *v, char *buf, size_t cap)
{
    char q[YML_QUOTE_BYTES];
    if (yml_kind(v) == YML_MAP)
        return "a mapping";
    if (yml_kind(v) == YML_SEQ)
        return "a sequence";
    yml_quote(q, sizeof q, yml_scalar_text(v), yml_scalar_len(v));
    if (!yml_scalar_plain(v))
        snprintf(buf, cap, "a string %s", q);
    else if (yml_scalar_len(v) == 0)
        snprintf(buf, cap, "an empty value");
    else
        snprintf(buf, cap, "%s", q);
    return buf;
}

/* True when the scalar n holds exactly the text s (n's text may hold NULs). */
static bool scalar_is(const struct yml_node *n, const char *s)
{
    size_t len = strlen(s);
    return yml_scalar_len(n) == len && memcmp(yml_scalar_text(n), s, len) == 0;
}

/* Any row table but `expectation`: its rows are written while the
 * expectations are checked, after the counting is over. */
static enum iosim_err trace_table(struct loader *l, const struct yml_node *v, uint32_t *out)
{
    const char *t;
    char list[512] = "", q[YML_QUOTE_BYTES];
    CHECK(yml_get_str(l->doc, v, &t, l->err));
    for (uint32_t i = 0; i < sim_trace_table_count(); i++) {
        const char *name = sim_trace_table_info(i)->name;
        bool counted = i != SIM_TRACE_TABLE_expectation;
        if (strcmp(name, t) == 0 && !counted)
            return yml_error_at(l->doc, v, l->err,
                                "a trace expectation cannot count the expectation table "
                                "(its rows are written after the counting)");
        if (strcmp(name, t) == 0) {
            *out = i;
            return IOSIM_OK;
        }
        if (counted)
            list_add(list, sizeof list, name);
    }
    return yml_error_at(l->doc, v, l->err, "unknown table %s (expected one of: %s)",
                        yml_quote(q, sizeof q, t, strlen(t)), list);
}

/* A `where` key: one of the table's own columns. run_id, seq and t_ps are
 * every row's, and not matchable (seq and t_ps are what a count abstracts). */
static enum iosim_err where_column(struct loader *l, const struct yml_node *key,
                                   const struct sim_trace_table_info *ti, uint32_t *out)
{
    char list[512] = "", q[YML_QUOTE_BYTES];
    for (uint32_t i = 0; i < ti->ncols; i++) {
        if (scalar_is(key, ti->col_names[i])) {
            *out = i;
            return IOSIM_OK;
        }
        list_add(list, sizeof list, ti->col_names[i]);
    }
    yml_quote(q, sizeof q, yml_scalar_text(key), yml_scalar_len(key));
    if (scalar_is(key, "run_id") || scalar_is(key, "seq") || scalar_is(key, "t_ps"))
        return yml_error_at(l->doc, key, l->err,
                            "column %s cannot be matched (where takes the columns of table "
                            "%s: %s)", q, ti->name, list);
    return yml_error_at(l->doc, key, l->err, "unknown column %s in table %s (expected one of: %s)",
                        q, ti->name, list);
}

/* An INT column's value, read as the other expectations read integers: any
 * int64, and uint64 too (addresses and values are stored as their bit
 * pattern, so 0xffffffff00000000 matches what was emitted for it). */
static enum iosim_err where_int(struct loader *l, const struct yml_node *v, const char *table,
                                const char *col, int64_t *out)
{
    struct yml_error scratch;
    int64_t i;
    uint64_t u;
    char q[YML_QUOTE_BYTES], found[YML_QUOTE_BYTES + 16];
    if (yml_get_i64(l->doc, v, INT64_MIN, INT64_MAX, &i, &scratch) == IOSIM_OK) {
        *out = i;
        return IOSIM_OK;
    }
    if (yml_get_u64(l->doc, v, 0, UINT64_MAX, &u, &scratch) == IOSIM_OK) {
        *out = (int64_t)u;
        return IOSIM_OK;
    }
    return yml_error_at(l->doc, v, l->err, "column %s of table %s takes a 64-bit integer, got %s",
                        yml_quote(q, sizeof q, col, strlen(col)), table,
                        found_text(v, found, sizeof found));
}

/* A SYM or TEXT column's value: any scalar, kept in the scenario. */
static enum iosim_err where_str(struct loader *l, const struct yml_node *v, const char *table,
                                const char *col, struct sim_expect_where *w)
{
    const char *t;
    char q[YML_QUOTE_BYTES], found[YML_QUOTE_BYTES + 16];
    if (yml_kind(v) != YML_SCALAR)
        return yml_error_at(l->doc, v, l->err, "column %s of table %s takes a string, got %s",
                            yml_quote(q, sizeof q, col, strlen(col)), table,
                            found_text(v, found, sizeof found));
    CHECK(yml_get_str(l->doc, v, &t, l->err));
    if (strlen(t) >= sizeof w->str)
        return yml_error_at(l->doc, v, l->err, "a where string is at most %zu bytes, got %zu",
                            sizeof w->str - 1, strlen(t));
    snprintf(w->str, sizeof w->str, "%s", t);
    return IOSIM_OK;
}

/* `where`: column -> value, each column at most once (the YAML loader
 * refuses duplicate keys), kept in file order for the message. */
static enum iosim_err trace_where(struct loader *l, const struct yml_node *n, struct sim_expect *x)
{
    const struct sim_trace_table_info *ti = sim_trace_table_info(x->table);
    CHECK(yml_get_map(l->doc, n, &n, l->err));
    for (size_t i = 0; i < yml_map_len(n); i++) {
        const struct yml_node *key = yml_map_key(n, i), *v = yml_map_value(n, i);
        if (i == SIM_EXPECT_WHERE_MAX)
            return yml_error_at(l->doc, key, l->err, "where takes at most %u columns",
                                SIM_EXPECT_WHERE_MAX);
        struct sim_expect_where *w = &x->where[i];
        CHECK(where_column(l, key, ti, &w->col));
        w->is_int = ti->col_kinds[w->col] == SIM_TRACE_KIND_INT;
        const char *col = ti->col_names[w->col];
        if (w->is_int)
            CHECK(where_int(l, v, ti->name, col, &w->value));
        else
            CHECK(where_str(l, v, ti->name, col, w));
        x->where_count++;
    }
    return IOSIM_OK;
}

/* The key node of `key` in map n (for errors about the key's presence). */
static const struct yml_node *map_key(const struct yml_node *n, const char *key)
{
    for (size_t i = 0; i < yml_map_len(n); i++)
        if (scalar_is(yml_map_key(n, i), key))
            return yml_map_key(n, i);
    return NULL;
}

/* count (exact, kept as `equals`), or min and/or max, in rows. */
static enum iosim_err trace_bounds(struct loader *l, const struct yml_node *n, struct sim_expect *x)
{
    const char *const names[] = {"count", "min", "max"};
    bool *has[] = {&x->has_eq, &x->has_min, &x->has_max};
    uint64_t *val[] = {&x->eq, &x->min, &x->max};
    for (size_t i = 0; i < 3; i++) {
        const struct yml_node *v = yml_map_get(n, names[i]);
        if (v == NULL)
            continue;
        CHECK(yml_get_u64(l->doc, v, 0, UINT64_MAX, val[i], l->err));
        *has[i] = true;
    }
    if (!x->has_eq && !x->has_min && !x->has_max)
        return yml_error_at(l->doc, n, l->err, "a trace expectation needs count, min or max");
    if (x->has_eq && (x->has_min || x->has_max))
        return yml_error_at(l->doc, map_key(n, x->has_min ? "min" : "max"), l->err,
                            "count is exact: it takes no min or max");
    if (x->has_min && x->has_max && x->min > x->max)
        return yml_error_at(l->doc, yml_map_get(n, "max"), l->err,
                            "max %" PRIu64 " is less than min %" PRIu64, x->max, x->min);
    return IOSIM_OK;
}

static enum iosim_err x_trace(struct loader *l, const struct yml_node *n, struct sim_expect *x)
{
    static const char *const k[] = {"table", "where", "count", "min", "max", NULL};
    const struct yml_node *v;
    CHECK(yml_check_keys(l->doc, n, k, "trace expectation", l->err));
    CHECK(yml_require(l->doc, n, "table", "trace expectation", &v, l->err));
    CHECK(trace_table(l, v, &x->table));
    if ((v = yml_map_get(n, "where")) != NULL)
        CHECK(trace_where(l, v, x));
    return trace_bounds(l, n, x);
}

enum iosim_err sim_scn_expect(struct loader *l, const struct yml_node *n)
{
    static const char *const kinds[] = {"memory", "process", "counter", "end_time", "end",
                                        "trace"};
    struct sim_scenario *s = l->s;
    CHECK(yml_get_map(l->doc, n, &n, l->err));
    if (yml_map_len(n) != 1)
        return yml_error_at(l->doc, n, l->err,
                            "an expectation is a mapping with exactly one key (its kind)");
    if (s->expect_count == SIM_SCN_EXPECTS_MAX)
        return yml_error_at(l->doc, n, l->err, "more than %u expectations", SIM_SCN_EXPECTS_MAX);
    const struct yml_node *key = yml_map_key(n, 0), *args = yml_map_value(n, 0);
    size_t kind;
    CHECK(yml_get_enum(l->doc, key, kinds, sizeof kinds / sizeof kinds[0], &kind, l->err));
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
    case SIM_EXPECT_TRACE: CHECK(x_trace(l, args, x)); break;
    }
    s->expect_count++;
    return IOSIM_OK;
}

