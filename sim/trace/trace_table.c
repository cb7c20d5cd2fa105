/*
 * trace_table.c - the tables a process knows: the core tables generated
 * from sim/trace/trace_tables.h, and the tables model families register at
 * start-up; their descriptions, CREATE statements and hash ids.
 *
 * Ids: the core tables are 0..SIM_TRACE_TABLE_COUNT-1 in list order, the
 * registered ones follow in registration order. Hash ids (what a row's
 * table contributes to the trace hash): a core table's is its id; a
 * registered table's is derived from its name alone (trace_name_hash_id), so
 * a run hashes the same whichever order the families registered in.
 *
 * Registration checks every name before anything is built from it; names
 * go into SQL only as double-quoted identifiers (trace_sql_ident), and a
 * checked name holds no quote, so no description can inject SQL.
 *
 * State: the registered tables and whether a db was opened, process-global
 * (a writer process, being a fork, inherits them). Not thread-safe.
 */
#include <string.h>

#include "impl/port/check.h"
#include "sim/trace/trace.h"
#include "sim/trace/trace_internal.h"

/* ---- the core tables ------------------------------------------------------ */

#define TRACE_COL_NAME(kind, col) #col,
#define TRACE_COL_KIND(kind, col) SIM_TRACE_KIND_##kind,
#define TRACE_COL_DECL(kind, col) ", " #col " " SIM_TRACE_SQLTYPE_##kind

#define TRACE_TABLE_ARRAYS(table, ...)                                                  \
    static const char *const trace_cols_##table[] = {                                  \
        SIM_TRACE_EACH(TRACE_COL_NAME, __VA_ARGS__)};                                   \
    static const enum sim_trace_kind trace_kinds_##table[] = {                          \
        SIM_TRACE_EACH(TRACE_COL_KIND, __VA_ARGS__)};                                   \
    _Static_assert(sizeof trace_kinds_##table / sizeof trace_kinds_##table[0] <=        \
                       TRACE_COLS_MAX,                                                  \
                   "at most 24 own columns");
SIM_TRACE_TABLES(TRACE_TABLE_ARRAYS)

#define TRACE_TABLE_INFO(table, ...)                                                    \
    [SIM_TRACE_TABLE_##table] = {                                                       \
        #table, sizeof trace_kinds_##table / sizeof trace_kinds_##table[0],             \
        trace_cols_##table, trace_kinds_##table,                                        \
        "CREATE TABLE IF NOT EXISTS " #table "(run_id INTEGER NOT NULL REFERENCES run(id)" \
        ", seq INTEGER NOT NULL, t_ps INTEGER NOT NULL" SIM_TRACE_EACH(TRACE_COL_DECL,  \
                                                                      __VA_ARGS__) ")"},
static const struct sim_trace_table_info trace_core[] = {SIM_TRACE_TABLES(TRACE_TABLE_INFO)};

_Static_assert(sizeof trace_core / sizeof trace_core[0] == SIM_TRACE_TABLE_COUNT,
               "one description per table");
_Static_assert(SIM_TRACE_TABLE_COUNT < SIM_TRACE_TABLES_MAX, "room for registered tables");

/* ---- the registered tables -------------------------------------------------- */

#define TRACE_REG_MAX (SIM_TRACE_TABLES_MAX - SIM_TRACE_TABLE_COUNT)

struct trace_reg {
    struct sim_trace_table_def *def; /* borrowed, as are the names in info */
    struct sim_trace_table_info info;
    uint64_t hash_id;
    char create_sql[TRACE_CREATE_SQL_MAX];
};

static struct trace_reg trace_reg[TRACE_REG_MAX];
static uint32_t trace_nreg;   /* registered: ids COUNT..COUNT+trace_nreg-1 */
static bool trace_frozen;     /* a db was opened in this process */

uint32_t sim_trace_table_count(void)
{
    return SIM_TRACE_TABLE_COUNT + trace_nreg;
}

static bool trace_known(uint32_t t)
{
    return t < SIM_TRACE_TABLE_COUNT + trace_nreg;
}

/* Table t's description; trace_known(t). */
static const struct sim_trace_table_info *trace_info_of(uint32_t t)
{
    return t < SIM_TRACE_TABLE_COUNT ? &trace_core[t] : &trace_reg[t - SIM_TRACE_TABLE_COUNT].info;
}

const struct sim_trace_table_info *sim_trace_table_info(uint32_t t)
{
    ASSERT(trace_known(t));
    return trace_known(t) ? trace_info_of(t) : NULL;
}

bool sim_trace_table_find(const char *name, uint32_t *id)
{
    ASSERT(name != NULL);
    for (uint32_t t = 0; t < sim_trace_table_count(); t++) {
        if (strcmp(trace_info_of(t)->name, name) == 0) {
            if (id != NULL)
                *id = t;
            return true;
        }
    }
    return false;
}

uint64_t trace_table_hash_id(uint32_t t)
{
    ASSERT(trace_known(t));
    return t < SIM_TRACE_TABLE_COUNT ? t : trace_reg[t - SIM_TRACE_TABLE_COUNT].hash_id;
}

void trace_tables_freeze(void)
{
    trace_frozen = true;
}

/* ---- checking a description ------------------------------------------------ */

/* XXH64 of the name's bytes, seed 0, with bit 63 set: never a core id
 * (those are below 64), and the same in every process that knows the name. */
static uint64_t trace_name_hash_id(const char *name)
{
    return sim_trace_xxh64(name, strlen(name), 0) | (UINT64_C(1) << 63);
}

/* [a-z][a-z0-9_]*, 1 to SIM_TRACE_NAME_MAX bytes. */
static bool trace_name_ok(const char *s)
{
    if (s == NULL || s[0] < 'a' || s[0] > 'z')
        return false;
    size_t n = 1;
    for (; s[n] != '\0' && n <= SIM_TRACE_NAME_MAX; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return n <= SIM_TRACE_NAME_MAX;
}

static bool trace_ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && strcmp(s + n - k, tail) == 0;
}

/* A new table's name: well-formed, not one the file uses otherwise, not
 * taken by a known table (nor, by its hash id, by a registered one). */
static bool trace_table_name_ok(const char *name)
{
    if (!trace_name_ok(name) || strcmp(name, "meta") == 0 || strcmp(name, "run") == 0 ||
        strncmp(name, "sqlite_", 7) == 0 || trace_ends_with(name, "_run") ||
        sim_trace_table_find(name, NULL))
        return false;
    uint64_t h = trace_name_hash_id(name);
    for (uint32_t i = 0; i < trace_nreg; i++)
        if (trace_reg[i].hash_id == h)
            return false;
    return true;
}

static bool trace_kind_ok(enum sim_trace_kind k)
{
    return k == SIM_TRACE_KIND_INT || k == SIM_TRACE_KIND_SYM || k == SIM_TRACE_KIND_TEXT;
}

/* Own column c: well-formed, not a column every row has, not a repeat. */
static bool trace_col_ok(const struct sim_trace_table_def *def, uint32_t c)
{
    const char *name = def->col_names[c];
    if (!trace_name_ok(name) || !trace_kind_ok(def->col_kinds[c]) || strcmp(name, "run_id") == 0 ||
        strcmp(name, "seq") == 0 || strcmp(name, "t_ps") == 0)
        return false;
    for (uint32_t k = 0; k < c; k++)
        if (strcmp(def->col_names[k], name) == 0)
            return false;
    return true;
}

static bool trace_def_ok(const struct sim_trace_table_def *def)
{
    if (!trace_table_name_ok(def->name) || def->ncols == 0 || def->ncols > TRACE_COLS_MAX ||
        def->col_names == NULL || def->col_kinds == NULL)
        return false;
    for (uint32_t c = 0; c < def->ncols; c++)
        if (!trace_col_ok(def, c))
            return false;
    return true;
}

/* ---- registering ------------------------------------------------------------- */

/* CREATE TABLE IF NOT EXISTS "name"(run_id ..., seq ..., t_ps ..., "col" TYPE, ...). */
static void trace_reg_create_sql(struct trace_reg *r)
{
    const struct sim_trace_table_info *ti = &r->info;
    char *buf = r->create_sql;
    size_t at = 0, len = sizeof r->create_sql;
    buf[0] = '\0';
    trace_sql_append(buf, len, &at, "CREATE TABLE IF NOT EXISTS ");
    trace_sql_ident(buf, len, &at, ti->name);
    trace_sql_append(buf, len, &at, "(run_id INTEGER NOT NULL REFERENCES run(id)"
                                    ", seq INTEGER NOT NULL, t_ps INTEGER NOT NULL");
    for (uint32_t c = 0; c < ti->ncols; c++) {
        trace_sql_append(buf, len, &at, ", ");
        trace_sql_ident(buf, len, &at, ti->col_names[c]);
        trace_sql_append(buf, len, &at,
                         ti->col_kinds[c] == SIM_TRACE_KIND_INT ? " " SIM_TRACE_SQLTYPE_INT
                                                                : " " SIM_TRACE_SQLTYPE_TEXT);
    }
    trace_sql_append(buf, len, &at, ")");
    ASSERT(at < len && "TRACE_CREATE_SQL_MAX holds the longest description");
}

enum iosim_err sim_trace_table_register(struct sim_trace_table_def *def)
{
    ASSERT(def != NULL);
    if (def->id != SIM_TRACE_TABLE_NONE) { /* registered already, or not a fresh def */
        uint32_t k = def->id - SIM_TRACE_TABLE_COUNT;
        bool ours = def->id >= SIM_TRACE_TABLE_COUNT && k < trace_nreg && trace_reg[k].def == def;
        return ours ? IOSIM_OK : IOSIM_EINVAL;
    }
    if (!trace_def_ok(def))
        return IOSIM_EINVAL;
    if (trace_frozen)
        return IOSIM_EBUSY;
    if (trace_nreg == TRACE_REG_MAX)
        return IOSIM_ENOSPC;
    struct trace_reg *r = &trace_reg[trace_nreg];
    r->def = def;
    r->info = (struct sim_trace_table_info){.name = def->name, .ncols = def->ncols,
                                            .col_names = def->col_names,
                                            .col_kinds = def->col_kinds,
                                            .create_sql = r->create_sql};
    r->hash_id = trace_name_hash_id(def->name);
    trace_reg_create_sql(r);
    def->id = SIM_TRACE_TABLE_COUNT + trace_nreg++;
    return IOSIM_OK;
}
