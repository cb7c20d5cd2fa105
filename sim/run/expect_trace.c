/* The `trace:` expectations during a run; see expect_trace.h. */
#include "sim/run/expect_trace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "impl/port/check.h"

_Static_assert(SIM_TRACE_TABLES_MAX <= 64, "sim_expect_tally.tables has a bit per table");
_Static_assert(SIM_SCN_EXPECTS_MAX <= UINT16_MAX + 1u, "sim_expect_tally.idx holds any index");

bool sim_expect_tally_init(struct sim_expect_tally *ty, const struct sim_scenario *s)
{
    ASSERT(ty != NULL && s != NULL);
    *ty = (struct sim_expect_tally){.s = s};
    const uint32_t ntables = sim_trace_table_count();
    for (uint32_t i = 0; i < s->expect_count; i++) {
        const struct sim_expect *x = &s->expects[i];
        if (x->kind != SIM_EXPECT_TRACE)
            continue;
        ASSERT(x->table < ntables);
        ty->idx[ty->count++] = (uint16_t)i;
        ty->tables |= UINT64_C(1) << x->table;
    }
    return ty->count > 0;
}

static bool where_holds(const struct sim_expect_where *w, const struct sim_trace_value *v)
{
    if (w->is_int)
        return v->kind == SIM_TRACE_KIND_INT && v->value == w->value;
    return v->kind != SIM_TRACE_KIND_INT && v->str != NULL && strcmp(v->str, w->str) == 0;
}

bool sim_expect_trace_matches(const struct sim_expect *x, uint32_t table,
                              const struct sim_trace_value *cols, uint32_t ncols)
{
    ASSERT(x != NULL && x->kind == SIM_EXPECT_TRACE);
    if (x->table != table)
        return false;
    for (uint32_t k = 0; k < x->where_count; k++) {
        const struct sim_expect_where *w = &x->where[k];
        ASSERT(w->col < ncols && "the loader checked the column against the table");
        if (w->col >= ncols || !where_holds(w, &cols[w->col]))
            return false;
    }
    return true;
}

/* Most rows belong to tables nobody counts (sched above all), so the
 * table's bit is tested before any expectation is looked at. */
void sim_expect_tally_row(void *ctx, uint32_t table, sim_time_ps t_ps,
                          const struct sim_trace_value *cols, uint32_t ncols)
{
    struct sim_expect_tally *ty = ctx;
    (void)t_ps;
    if ((ty->tables & (UINT64_C(1) << table)) == 0)
        return;
    for (uint32_t i = 0; i < ty->count; i++) {
        uint16_t at = ty->idx[i];
        if (sim_expect_trace_matches(&ty->s->expects[at], table, cols, ncols))
            ty->hits[at]++;
    }
}

uint64_t sim_expect_tally_rows(const struct sim_expect_tally *ty, const struct sim_expect *x)
{
    ASSERT(ty != NULL && x >= ty->s->expects && x < ty->s->expects + ty->s->expect_count);
    return ty->hits[x - ty->s->expects];
}

static void appendf(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends to the string in buf, cutting short what does not fit. */
static void appendf(char *buf, size_t cap, const char *fmt, ...)
{
    size_t n = strlen(buf);
    if (n + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(buf + n, cap - n, fmt, ap);
    va_end(ap);
}

/* The bounds in words: count is exact; min and max may come together. */
static void bounds_words(const struct sim_expect *x, char *buf, size_t cap)
{
    if (x->has_eq)
        appendf(buf, cap, "exactly %" PRIu64, x->eq);
    else if (x->has_min && x->has_max)
        appendf(buf, cap, "between %" PRIu64 " and %" PRIu64, x->min, x->max);
    else if (x->has_min)
        appendf(buf, cap, "at least %" PRIu64, x->min);
    else
        appendf(buf, cap, "at most %" PRIu64, x->max);
}

void sim_expect_trace_text(const struct sim_expect *x, uint64_t rows, char *buf, size_t cap)
{
    ASSERT(x != NULL && x->kind == SIM_EXPECT_TRACE && buf != NULL && cap > 0);
    const struct sim_trace_table_info *ti = sim_trace_table_info(x->table);
    buf[0] = '\0';
    appendf(buf, cap, "trace %s", ti->name);
    for (uint32_t k = 0; k < x->where_count; k++) {
        const struct sim_expect_where *w = &x->where[k];
        appendf(buf, cap, "%s%s=", k == 0 ? " where " : " ", ti->col_names[w->col]);
        if (w->is_int)
            appendf(buf, cap, "%" PRId64, w->value);
        else
            appendf(buf, cap, "%s", w->str[0] != '\0' ? w->str : "''"); /* "" is matchable */
    }
    appendf(buf, cap, ": %" PRIu64 " row%s, expected ", rows, rows == 1 ? "" : "s");
    bounds_words(x, buf, cap);
}
