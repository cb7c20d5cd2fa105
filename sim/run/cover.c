/* Coverage features of a run: (event kind, model state, driver state). */
#include "sim/run/cover.h"

#include <string.h>

#include "impl/port/check.h"

void sim_cover_reset(struct sim_cover *c)
{
    memset(c, 0, sizeof *c);
}

/* FNV-1a, 32 bits: a stable hash of names (no address, no seed). */
static uint32_t fnv(uint32_t h, const void *p, size_t len)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static bool model_side(uint32_t table)
{
    return table >= SIM_TRACE_TABLE_COUNT || table == SIM_TRACE_TABLE_mmio ||
           table == SIM_TRACE_TABLE_dma || table == SIM_TRACE_TABLE_iommu ||
           table == SIM_TRACE_TABLE_irq || table == SIM_TRACE_TABLE_fault;
}

/* The row's kind: its table and SYM values. */
static uint32_t kind_of(uint32_t table, const struct sim_trace_value *cols, uint32_t ncols)
{
    uint32_t h = fnv(2166136261u, &table, sizeof table);
    for (uint32_t i = 0; i < ncols; i++)
        if (cols[i].kind == SIM_TRACE_KIND_SYM && cols[i].str != NULL)
            h = fnv(fnv(h, cols[i].str, strlen(cols[i].str)), "", 1);
    return h;
}

static void add(struct sim_cover *c, uint32_t feature)
{
    uint32_t i = (feature * 2654435761u) % SIM_COVER_SLOTS;
    for (uint32_t probe = 0; probe < SIM_COVER_SLOTS; probe++, i = (i + 1) % SIM_COVER_SLOTS) {
        if (c->slot[i] == feature + 1u)
            return;
        if (c->slot[i] != 0)
            continue;
        if (c->n == SIM_COVER_FEATURES_MAX) {
            c->truncated = true;
            return;
        }
        c->slot[i] = feature + 1u;
        c->f[c->n++] = feature;
        return;
    }
    c->truncated = true;
}

void sim_cover_row(struct sim_cover *c, uint32_t table, const struct sim_trace_value *cols,
                   uint32_t ncols)
{
    if (table == SIM_TRACE_TABLE_expectation)
        return; /* the verdict, not the run */
    uint32_t k = kind_of(table, cols, ncols);
    uint32_t triple[3] = {k, c->last_model, c->last_driver};
    add(c, fnv(2166136261u, triple, sizeof triple) & 0xfffffffeu); /* never UINT32_MAX */
    if (model_side(table))
        c->last_model = k;
    else
        c->last_driver = k;
}
