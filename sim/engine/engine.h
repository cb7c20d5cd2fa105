/*
 * engine.h - the discrete-event core: simulated time and the event list.
 *
 * Everything that happens in a simulation is an event: a callback at a
 * simulated time. Events at the same time run in the order they were
 * scheduled (a global sequence number), so a run is a pure function of its
 * inputs. Time never goes backwards; an event may schedule others at `now`
 * or later.
 *
 *     struct sim_engine eng;
 *     sim_engine_init(&eng, 4096);
 *     sim_engine_after(&eng, 10 * SIM_NS, on_timer, dev, 0, &timer_id);
 *     while (sim_engine_step(&eng)) {}
 *     sim_engine_fini(&eng);
 *
 * Capacity is fixed at init (no allocation while running); scheduling past
 * it fails with IOSIM_ENOSPC. Cancelled events keep their slot until their
 * time comes (lazy deletion), so cancel is O(1). Single-threaded.
 */
#ifndef IOSIM_SIM_ENGINE_H
#define IOSIM_SIM_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/err.h"
#include "sim/engine/evq.h"
#include "sim/engine/time.h"

typedef void (*sim_event_fn)(void *ctx, uint64_t arg);

/* Names one scheduled event; stale ids (already run or cancelled) are
 * recognised by their generation, so cancelling one is harmless. */
struct sim_event_id {
    uint32_t slot;
    uint32_t gen;
};

#define SIM_EVENT_NONE ((struct sim_event_id){UINT32_MAX, 0})

struct sim_event_slot {
    sim_event_fn fn;      /* NULL when free or cancelled */
    void *ctx;
    uint64_t arg;
    uint32_t gen;         /* bumped whenever the slot is freed */
    uint32_t next_free;
};

struct sim_engine {
    struct sim_evq queue;
    struct sim_event_slot *slots;
    uint32_t slots_max;
    uint32_t free_head;       /* UINT32_MAX when no slot is free */
    uint64_t seq_next;        /* orders events with equal time */
    sim_time_ps now_ps;
    uint64_t events_run;
    uint32_t live;            /* scheduled, not yet run, not cancelled */
};

/* On error *eng is zeroed, so sim_engine_fini on it is harmless. */
enum iosim_err sim_engine_init(struct sim_engine *eng, uint32_t events_max);
void sim_engine_fini(struct sim_engine *eng);

/* Schedules fn(ctx, arg) at absolute time `at_ps` (>= now). `out` may be NULL. */
enum iosim_err sim_engine_at(struct sim_engine *eng, sim_time_ps at_ps, sim_event_fn fn,
                             void *ctx, uint64_t arg, struct sim_event_id *out);

/* Same, `delay_ps` after now (saturating at SIM_TIME_MAX). */
enum iosim_err sim_engine_after(struct sim_engine *eng, sim_time_ps delay_ps, sim_event_fn fn,
                                void *ctx, uint64_t arg, struct sim_event_id *out);

/* Cancels a pending event; false when it already ran or was cancelled. */
bool sim_engine_cancel(struct sim_engine *eng, struct sim_event_id id);

/* True if `id` names an event that has not run nor been cancelled. */
bool sim_engine_pending(const struct sim_engine *eng, struct sim_event_id id);

/* Runs the earliest event; false when none is left. Events after
 * `until_ps` are left in place (false is returned, now becomes until_ps). */
bool sim_engine_step(struct sim_engine *eng, sim_time_ps until_ps);

/* Time of the earliest queued event, or SIM_TIME_MAX when none. This may be
 * a cancelled event whose slot is reclaimed only when its time comes:
 * discarding it here would forbid scheduling between now and its time. Use
 * sim_engine_live() to know whether anything live is pending. */
sim_time_ps sim_engine_next_time(struct sim_engine *eng);

/* Number of events scheduled and neither run nor cancelled. */
static inline uint32_t sim_engine_live(const struct sim_engine *eng)
{
    return eng->live;
}

static inline sim_time_ps sim_engine_now(const struct sim_engine *eng)
{
    return eng->now_ps;
}

#endif /* IOSIM_SIM_ENGINE_H */
