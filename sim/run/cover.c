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

/* ring_op's columns (trace_tables.h) */
enum { RING_HEAD = 4, RING_TAIL, RING_COUNT, RING_STATUS, RING_NCOLS };

/* How full a ring is, in powers of two (0, 1, 2-3, 4-7, ...): a ring
 * driven to full is a state of its own, and the boundary is where the
 * bugs are. */
static uint32_t occupancy_class(const struct sim_trace_value *cols)
{
    uint32_t used = (uint32_t)cols[RING_TAIL].value - (uint32_t)cols[RING_HEAD].value;
    uint32_t bits = 0;
    while (used != 0 && bits < 32)
        used >>= 1, bits++;
    return bits;
}

/* The row's kind: its table and SYM values; for a ring operation also how
 * full the ring was and whether it failed. */
static uint32_t kind_of(uint32_t table, const struct sim_trace_value *cols, uint32_t ncols)
{
    uint32_t h = fnv(2166136261u, &table, sizeof table);
    for (uint32_t i = 0; i < ncols; i++)
        if (cols[i].kind == SIM_TRACE_KIND_SYM && cols[i].str != NULL)
            h = fnv(fnv(h, cols[i].str, strlen(cols[i].str)), "", 1);
    if (table == SIM_TRACE_TABLE_ring_op && ncols == RING_NCOLS) {
        uint32_t extra[2] = {occupancy_class(cols), cols[RING_STATUS].value != 0};
        h = fnv(h, extra, sizeof extra);
    }
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
