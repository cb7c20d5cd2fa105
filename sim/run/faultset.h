/*
 * faultset.h - a run's fault set: which of its scenario's allowed faults
 * (`fuzz.faults:`, struct sim_scn_allowed) are on, with what parameters.
 *
 * Swarm testing (Groce et al., ISSTA 2012): each seed turns a random subset
 * of the allowed faults on, drawn from the seed's own stream "swarm" (no
 * other stream moves), so some runs get few faults at high rates and some
 * many. A set is an explicit list of picks; a subset is the same list with
 * fewer picks, so `iosim shrink` minimises a failing run by dropping picks
 * and printing the text again.
 *
 *     struct sim_faultset fs;
 *     char text[SIM_FAULTSET_TEXT_MAX], msg[256];
 *     sim_faultset_draw(s, seed, &fs);                  swarm: from the seed
 *     sim_faultset_format(&fs, text, sizeof text);      "irq_delay:per_mille=40:delay=20us,..."
 *     sim_faultset_parse(s, text, &fs, msg, sizeof msg); back (EINVAL + msg on a bad text)
 *     struct sim_run_opts o = {.faults = &fs, ...};     sim_run applies it
 *
 * The text (docs/trace-schema.md, "fault sets"): picks joined by ',', each
 * `KIND[:TARGET][:line=N]:PARAM=VALUE...` with every parameter of the kind,
 * integers in decimal (endpoints 0x hex), times with a unit (ps ns us ms s,
 * the largest that is exact); `none` is the empty set. Only letters,
 * digits and `_ - . : , =`: safe in a shell without quotes. format(parse(t))
 * is t for any text format wrote; picks come in the scenario's order.
 *
 * Ownership: a set borrows its scenario (the picks name its allowed
 * faults by index) and must not outlive it; it is a plain value otherwise.
 */
#ifndef IOSIM_SIM_RUN_FAULTSET_H
#define IOSIM_SIM_RUN_FAULTSET_H

#include <stddef.h>
#include <stdint.h>

#include "impl/port/err.h"
#include "sim/scenario/scenario.h"

#define SIM_FAULTSET_PICKS_MAX SIM_SCN_ALLOWED_MAX
#define SIM_FAULTSET_TEXT_MAX 1536u

/* One allowed fault turned on: values[i] for its kind's parameter i,
 * each within the scenario's bounds. */
struct sim_faultset_pick {
    uint32_t allowed;                        /* index in s->allowed */
    uint64_t values[SIM_SWARM_PARAMS_MAX];
};

/* Invariants: picks in increasing `allowed` order, each allowed fault at
 * most once, count <= s->allowed_count. */
struct sim_faultset {
    const struct sim_scenario *s;            /* borrowed */
    uint32_t count;
    struct sim_faultset_pick picks[SIM_FAULTSET_PICKS_MAX];
};

/* The empty set of scenario s. */
void sim_faultset_init(struct sim_faultset *fs, const struct sim_scenario *s);

/* Swarm: each allowed fault on with probability 1/2, its parameters
 * uniform in the scenario's bounds; a function of (s's allowed faults,
 * seed) only. */
void sim_faultset_draw(const struct sim_scenario *s, uint64_t seed, struct sim_faultset *out);

/* The text into buf (cap bytes, NUL-terminated); ENOSPC when it does not
 * fit (buf then holds a cut text). */
enum iosim_err sim_faultset_format(const struct sim_faultset *fs, char *buf, size_t cap);

/* A text (as format writes it, picks in any order) against scenario s:
 * EINVAL with a message in msg naming the pick and what is wrong (an
 * unknown kind, target or parameter, a value out of the scenario's bounds,
 * a fault picked twice); *out unchanged then. */
enum iosim_err sim_faultset_parse(const struct sim_scenario *s, const char *text,
                                  struct sim_faultset *out, char *msg, size_t cap);

/* Removes pick i (i < count): a subset, still valid. */
void sim_faultset_remove(struct sim_faultset *fs, uint32_t i);

#endif /* IOSIM_SIM_RUN_FAULTSET_H */
