/*
 * swarm.h - the vocabulary of fault swarms: kinds of faults a run may be
 * given on top of its scenario's own, each with named numeric parameters.
 *
 * A scenario's `fuzz.faults:` lists the faults it must survive
 * (docs/scenario-format.md). Each is a kind with parameters: the machine's
 * (irq_drop, irq_delay, dma_error, kill, described by sim/run/faultset.c)
 * or a device family's (usb_stall, media_error, unplug ..., described by
 * the family's swarm_kinds hook, fitted to one device's config). A
 * parameter has a legal range (or a short list of choices, as a device's
 * endpoints) and the range values are drawn from; the scenario may narrow
 * the draw range, never widen it past the legal one.
 *
 *     struct sim_swarm_kind k = {.name = "usb_stall", .param_count = 2, .params = {
 *         {.name = "after", .lo = 0, .hi = 1000000, .draw_lo = 0, .draw_hi = 200},
 *         {.name = "endpoint", .unit = SIM_SWARM_HEX, .choice_count = 2,
 *          .choices = {0x81, 0x02}}}};
 *
 * Plain values, no pointers: a kind is copied into the scenario that
 * allows it. The run's fault set (sim/run/faultset.h) names a kind and one
 * value per parameter.
 */
#ifndef IOSIM_SIM_SCENARIO_SWARM_H
#define IOSIM_SIM_SCENARIO_SWARM_H

#include <stdbool.h>
#include <stdint.h>

#define SIM_SWARM_NAME_MAX 24u     /* a kind's or parameter's name, with its NUL */
#define SIM_SWARM_PARAMS_MAX 4u
#define SIM_SWARM_CHOICES_MAX 8u
#define SIM_SWARM_KINDS_MAX 16u    /* kinds one device may offer */

/* How a value is written in a fault set's text and in messages. */
enum sim_swarm_unit {
    SIM_SWARM_NUM,                 /* decimal */
    SIM_SWARM_HEX,                 /* 0x hexadecimal (endpoint addresses) */
    SIM_SWARM_TIME,                /* picoseconds, written with a unit (20us) */
};

/*
 * Invariants: lo <= draw_lo <= draw_hi <= hi; with choice_count > 0 the
 * legal values are choices[0..choice_count) only (lo/hi unused) and a
 * draw picks one of them.
 */
struct sim_swarm_param {
    char name[SIM_SWARM_NAME_MAX]; /* as in YAML and in the text: "per_mille" */
    enum sim_swarm_unit unit;
    uint64_t lo, hi;               /* legal */
    uint64_t draw_lo, draw_hi;     /* drawn from, uniformly */
    uint32_t choice_count;
    uint64_t choices[SIM_SWARM_CHOICES_MAX];
};

struct sim_swarm_kind {
    char name[SIM_SWARM_NAME_MAX]; /* "irq_delay", "usb_stall" */
    uint32_t param_count;
    struct sim_swarm_param params[SIM_SWARM_PARAMS_MAX];
};

/* Is v legal for p? */
static inline bool sim_swarm_param_legal(const struct sim_swarm_param *p, uint64_t v)
{
    if (p->choice_count == 0)
        return v >= p->lo && v <= p->hi;
    for (uint32_t i = 0; i < p->choice_count && i < SIM_SWARM_CHOICES_MAX; i++)
        if (p->choices[i] == v)
            return true;
    return false;
}

#endif /* IOSIM_SIM_SCENARIO_SWARM_H */
