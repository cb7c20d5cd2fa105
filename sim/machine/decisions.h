/*
 * decisions.h - a run's schedule decisions, recorded and replayed.
 *
 * The scheduler makes a choice at two kinds of places: at each decision
 * point (let the process run on, preempt it, or stall its CPU) and at each
 * dispatch with more than one runnable candidate (which one). Numbered in
 * the order they happen (the choice index, from 0), the choices that were
 * not the default - run on, the first candidate in queue order - are the
 * run's schedule: a short list of (index, kind, value).
 *
 * A machine given a list to record into appends every non-default choice;
 * a machine given a script makes exactly the listed choices and the
 * default everywhere else, whatever its policy would have drawn. Recording
 * a run and running its recording as a script gives the same run (the
 * same trace hash): jitter, store delays and faults keep coming from the
 * seed's other streams. Removing entries from a script (the default
 * instead) or moving one to a later index is how `iosim shrink` makes a
 * failing run smaller.
 *
 *     struct sim_decisions d = {0};
 *     cfg.decisions_record = &d;            ... run ...
 *     char text[4096]; sim_dec_format(&d, text, sizeof text);   "p12,s40=1500000,k55=2"
 *     struct sim_decisions s = {0};
 *     sim_dec_parse(text, &s, msg, sizeof msg);
 *     cfg.decisions_script = &s;            ... the same run ...
 *     sim_dec_free(&d); sim_dec_free(&s);
 *
 * Text: entries separated by commas, in increasing index order; each is a
 * kind letter - p (preempt), s (stall), k (pick) - the choice index, and
 * `=value`: the stall in ps, the candidate's position, the preemption's
 * reason as the sched trace row gives it (1, a random preemption, is left
 * out). `none` is the all-default schedule.
 *
 * Ownership: a struct sim_decisions owns its array; the machine borrows the
 * lists its config points at for the whole run.
 */
#ifndef IOSIM_SIM_DECISIONS_H
#define IOSIM_SIM_DECISIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impl/port/err.h"

enum sim_dec_kind {
    SIM_DEC_PREEMPT = 1, /* a decision point: the process leaves the CPU (value: why) */
    SIM_DEC_STALL = 2,   /* a decision point: the CPU stalls for value ps */
    SIM_DEC_PICK = 3,    /* a dispatch: the candidate at position value */
};

struct sim_dec {
    uint64_t at;         /* choice index */
    uint64_t value;
    enum sim_dec_kind kind;
};

/* A recording stops growing here (and says so): a script that long is no
 * use to a person, and the seed reproduces the run anyway. */
#define SIM_DEC_MAX (1u << 20)

struct sim_decisions {
    struct sim_dec *v;
    uint32_t n, cap;
    bool truncated;      /* a recording that reached SIM_DEC_MAX */
};

/* Appends (at must exceed the last entry's). ENOMEM; at SIM_DEC_MAX it
 * sets truncated and drops the entry. */
enum iosim_err sim_dec_push(struct sim_decisions *d, uint64_t at, enum sim_dec_kind kind,
                            uint64_t value);

/* Entries past this many bytes of text are not written; returns the length
 * the whole text needs (as snprintf). */
size_t sim_dec_format(const struct sim_decisions *d, char *buf, size_t cap);

/* The whole text, malloc'd (the caller frees it); NULL when out of memory. */
char *sim_dec_text(const struct sim_decisions *d);

/* Replaces *d's entries with text's. EINVAL with msg for a malformed text
 * (naming the byte offset); d is then empty. */
enum iosim_err sim_dec_parse(const char *text, struct sim_decisions *d, char *msg, size_t cap);

/* Copies src into dst (dst's old entries are freed). */
enum iosim_err sim_dec_copy(struct sim_decisions *dst, const struct sim_decisions *src);

void sim_dec_free(struct sim_decisions *d);

/* The entry for choice index `at`, or NULL; *pos is a cursor that only
 * moves forward (choice indices grow during a run), start it at 0. */
const struct sim_dec *sim_dec_lookup(const struct sim_decisions *d, uint64_t at, uint32_t *pos);

#endif /* IOSIM_SIM_DECISIONS_H */
