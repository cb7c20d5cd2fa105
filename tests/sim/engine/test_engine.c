/* sim/engine: a model-based test (seeded random schedule / cancel / step /
 * next_time sequences, callbacks that schedule and cancel in turn, checked
 * against a sorted list of (time, seq) after every operation) and tables
 * of edge cases: capacity, stale ids, bounded steps, equal times,
 * saturation. Every model failure prints its seed and operation number;
 * the same seed replays the same sequence. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/engine/engine.h"
#include "sim/engine/rng.h"

/* ---- helpers for the tables ---------------------------------------------- */

#define LOG_MAX 64

/* Records the args of the callbacks that ran and the time each ran at. */
struct log {
    struct sim_engine *eng;
    uint64_t arg[LOG_MAX];
    sim_time_ps at_ps[LOG_MAX];
    uint32_t n;
};

static void log_cb(void *ctx, uint64_t arg)
{
    struct log *lg = ctx;
    cr_assert_lt(lg->n, LOG_MAX);
    lg->arg[lg->n] = arg;
    lg->at_ps[lg->n] = sim_engine_now(lg->eng);
    lg->n++;
}

static void engine_up(struct sim_engine *eng, uint32_t events_max, struct log *lg)
{
    cr_assert_eq(sim_engine_init(eng, events_max), IOSIM_OK);
    memset(lg, 0, sizeof *lg);
    lg->eng = eng;
}

static struct sim_event_id at_ok(struct sim_engine *eng, sim_time_ps at_ps, struct log *lg,
                                 uint64_t arg)
{
    struct sim_event_id id = SIM_EVENT_NONE;
    enum iosim_err e = sim_engine_at(eng, at_ps, log_cb, lg, arg, &id);
    cr_assert_eq(e, IOSIM_OK, "at(%" PRIu64 ") gave %s", at_ps, iosim_err_name(e));
    return id;
}

static void run_all(struct sim_engine *eng)
{
    for (uint32_t guard = 0; sim_engine_step(eng, SIM_TIME_MAX); guard++)
        cr_assert_lt(guard, 100000u, "step never returned false");
}

/* ---- the model ------------------------------------------------------------ */

enum ev_state { EV_LIVE, EV_CANCELLED, EV_GONE };

/* What a callback does besides checking it is the expected event. */
enum ev_action { ACT_NONE, ACT_SPAWN, ACT_CANCEL_OTHER, ACT_SELF };

struct ev {
    struct sim_event_id id;
    sim_time_ps time_ps;
    uint64_t seq;          /* model's own scheduling order */
    enum ev_state state;
    enum ev_action action;
};

#define MODEL_EVENTS_MAX 8192
#define MODEL_OPS 2500

struct opts {
    bool cancels;          /* cancel events (from the test and from callbacks) */
    bool above_discarded;  /* never schedule below a time the engine has discarded */
};

struct model {
    uint64_t seed;
    uint32_t op;
    struct opts opts;
    struct sim_rng rng;
    struct sim_engine eng;
    uint32_t cap;
    struct ev ev[MODEL_EVENTS_MAX];
    uint32_t n_ev;
    uint64_t seq_next;
    sim_time_ps now_ps;
    sim_time_ps discarded_max_ps;  /* latest time the engine has popped */
    uint64_t events_run;
    uint32_t expect;                /* index of the event the next callback must be */
    bool called;
};

#define MCHECK(m, cond, fmt, ...)                                                        \
    cr_assert((cond), "seed %" PRIu64 " op %u: %s: " fmt, (m)->seed, (m)->op, #cond, \
              __VA_ARGS__)

static uint32_t model_slots_used(const struct model *m)
{
    uint32_t used = 0;
    for (uint32_t i = 0; i < m->n_ev; i++)
        used += m->ev[i].state != EV_GONE;
    return used;
}

/* Earliest (time, seq) among events still in the engine's queue, live or
 * cancelled (cancelled ones keep their slot until popped). */
static int32_t model_head(const struct model *m, bool live_only)
{
    int32_t best = -1;
    for (uint32_t i = 0; i < m->n_ev; i++) {
        const struct ev *e = &m->ev[i];
        if (e->state == EV_GONE || (live_only && e->state != EV_LIVE))
            continue;
        if (best < 0 || e->time_ps < m->ev[best].time_ps ||
            (e->time_ps == m->ev[best].time_ps && e->seq < m->ev[best].seq))
            best = (int32_t)i;
    }
    return best;
}

static void model_cb(void *ctx, uint64_t arg);

static sim_time_ps model_pick_delay(struct model *m)
{
    uint32_t kind = (uint32_t)sim_rng_below(&m->rng, 100);
    if (kind < 20)
        return 0;
    if (kind < 50)
        return sim_rng_range(&m->rng, 1, 10);
    if (kind < 80)
        return sim_rng_range(&m->rng, 1, SIM_US);
    if (kind < 99)
        return sim_rng_range(&m->rng, 1, SIM_S);
    return sim_rng_next(&m->rng); /* may saturate */
}

/* Schedules one event through at() or after() and checks the result
 * against the model's capacity. */
static void model_schedule(struct model *m, enum ev_action action)
{
    sim_time_ps base = m->now_ps;
    if (m->opts.above_discarded && m->discarded_max_ps > base)
        base = m->discarded_max_ps;
    sim_time_ps delay = model_pick_delay(m);
    sim_time_ps at = base + delay < base ? SIM_TIME_MAX : base + delay;
    bool use_after = base == m->now_ps && sim_rng_chance(&m->rng, 500);
    MCHECK(m, m->n_ev < MODEL_EVENTS_MAX, "%u events", m->n_ev);
    uint32_t idx = m->n_ev;
    struct sim_event_id id = {12345, 678};
    enum iosim_err e = use_after
                           ? sim_engine_after(&m->eng, delay, model_cb, m, idx, &id)
                           : sim_engine_at(&m->eng, at, model_cb, m, idx, &id);
    bool full = model_slots_used(m) == m->cap;
    if (full) {
        MCHECK(m, e == IOSIM_ENOSPC, "got %s", iosim_err_name(e));
        return;
    }
    MCHECK(m, e == IOSIM_OK, "at %" PRIu64 " (now %" PRIu64 ") got %s", at, m->now_ps,
           iosim_err_name(e));
    MCHECK(m, sim_engine_pending(&m->eng, id), "slot %u", id.slot);
    m->ev[idx] = (struct ev){id, at, m->seq_next++, EV_LIVE, action};
    m->n_ev++;
}

static void model_cancel_random(struct model *m)
{
    struct sim_event_id id;
    bool expect = false;
    uint32_t idx = UINT32_MAX;
    uint32_t kind = (uint32_t)sim_rng_below(&m->rng, 10);
    if (kind == 0 || m->n_ev == 0) {
        id = SIM_EVENT_NONE;
    } else if (kind == 1) {
        id = (struct sim_event_id){(uint32_t)sim_rng_below(&m->rng, m->cap + 2),
                                   (uint32_t)sim_rng_next(&m->rng)};
        for (uint32_t i = 0; i < m->n_ev; i++)
            if (m->ev[i].state == EV_LIVE && m->ev[i].id.slot == id.slot &&
                m->ev[i].id.gen == id.gen)
                idx = i, expect = true;
    } else {
        idx = (uint32_t)sim_rng_below(&m->rng, m->n_ev);
        id = m->ev[idx].id;
        expect = m->ev[idx].state == EV_LIVE;
    }
    bool got = sim_engine_cancel(&m->eng, id);
    MCHECK(m, got == expect, "cancel slot %u gen %u", id.slot, id.gen);
    if (expect)
        m->ev[idx].state = EV_CANCELLED;
}

static void model_cb(void *ctx, uint64_t arg)
{
    struct model *m = ctx;
    MCHECK(m, !m->called, "second callback in one step (arg %" PRIu64 ")", arg);
    MCHECK(m, arg == m->expect, "ran event %" PRIu64 ", expected %u", arg, m->expect);
    MCHECK(m, sim_engine_now(&m->eng) == m->ev[arg].time_ps, "now %" PRIu64,
           sim_engine_now(&m->eng));
    m->called = true;
    struct ev *self = &m->ev[arg];
    /* an event that is running is no longer pending, and cannot be cancelled */
    MCHECK(m, !sim_engine_pending(&m->eng, self->id), "slot %u", self->id.slot);
    if (self->action == ACT_SELF)
        MCHECK(m, !sim_engine_cancel(&m->eng, self->id), "slot %u", self->id.slot);
    if (self->action == ACT_SPAWN)
        model_schedule(m, sim_rng_chance(&m->rng, 200) ? ACT_SPAWN : ACT_NONE);
    if (self->action == ACT_CANCEL_OTHER && m->opts.cancels)
        model_cancel_random(m);
}

/* Predicts one sim_engine_step(until) by popping the model's queue the way
 * the header describes: cancelled events are dropped when reached, the
 * first live event at or before until runs. */
static void model_step(struct model *m, sim_time_ps until)
{
    sim_time_ps now0 = m->now_ps;
    int32_t run = -1;
    bool beyond = false;
    for (;;) {
        int32_t h = model_head(m, false);
        if (h < 0)
            break;
        if (m->ev[h].time_ps > until) {
            beyond = true;
            break;
        }
        if (m->ev[h].time_ps > m->discarded_max_ps)
            m->discarded_max_ps = m->ev[h].time_ps;
        bool live = m->ev[h].state == EV_LIVE;
        m->ev[h].state = EV_GONE;
        if (live) {
            run = h;
            break;
        }
    }
    m->expect = run < 0 ? UINT32_MAX : (uint32_t)run;
    m->called = false;
    if (run >= 0)
        m->now_ps = m->ev[run].time_ps; /* callbacks schedule relative to it */
    bool got = sim_engine_step(&m->eng, until);
    MCHECK(m, got == (run >= 0), "until %" PRIu64, until);
    MCHECK(m, m->called == (run >= 0), "until %" PRIu64, until);
    sim_time_ps now = sim_engine_now(&m->eng);
    if (run >= 0) {
        m->events_run++;
        MCHECK(m, now == m->ev[run].time_ps, "now %" PRIu64, now);
    } else if (beyond) {
        sim_time_ps want = until > now0 ? until : now0;
        MCHECK(m, now == want, "now %" PRIu64 " want %" PRIu64, now, want);
        m->now_ps = now;
    } else {
        /* Nothing left at all: the header leaves now unspecified beyond
         * "never backwards, never past until"; follow the engine. */
        MCHECK(m, now >= now0, "now %" PRIu64 " was %" PRIu64, now, now0);
        MCHECK(m, now <= (until > now0 ? until : now0), "now %" PRIu64, now);
        m->now_ps = now;
    }
}

static void model_next_time(struct model *m)
{
    /* next_time reports the earliest queued event, cancelled or not, and
     * changes nothing; live counts what is really pending */
    int32_t h = model_head(m, false);
    sim_time_ps want = h < 0 ? SIM_TIME_MAX : m->ev[h].time_ps;
    sim_time_ps got = sim_engine_next_time(&m->eng);
    MCHECK(m, got == want, "got %" PRIu64 " want %" PRIu64, got, want);
    uint32_t live = 0;
    for (uint32_t i = 0; i < m->n_ev; i++)
        live += m->ev[i].state == EV_LIVE;
    MCHECK(m, sim_engine_live(&m->eng) == live, "live %u want %u", sim_engine_live(&m->eng),
           live);
}

static sim_time_ps model_pick_until(struct model *m)
{
    uint32_t kind = (uint32_t)sim_rng_below(&m->rng, 10);
    int32_t h = model_head(m, true);
    if (kind == 0)
        return SIM_TIME_MAX;
    if (kind == 1 && m->now_ps > 0)
        return sim_rng_below(&m->rng, m->now_ps); /* before now */
    if (kind <= 4 && h >= 0)
        return m->ev[h].time_ps - (kind == 2 && m->ev[h].time_ps > 0); /* at or just before */
    sim_time_ps span = sim_rng_range(&m->rng, 0, kind < 8 ? 100 : SIM_MS);
    return m->now_ps + span < m->now_ps ? SIM_TIME_MAX : m->now_ps + span;
}

static void model_check_all(struct model *m)
{
    MCHECK(m, sim_engine_now(&m->eng) == m->now_ps, "now %" PRIu64, sim_engine_now(&m->eng));
    MCHECK(m, m->eng.events_run == m->events_run, "events_run %" PRIu64, m->eng.events_run);
    for (uint32_t i = 0; i < m->n_ev; i++) {
        bool want = m->ev[i].state == EV_LIVE;
        MCHECK(m, sim_engine_pending(&m->eng, m->ev[i].id) == want, "event %u", i);
    }
}

static void model_run(uint64_t seed, struct opts opts)
{
    static struct model m; /* ~200 KiB: keep it off the stack */
    memset(&m, 0, sizeof m);
    m.seed = seed;
    m.opts = opts;
    sim_rng_stream(&m.rng, seed, "engine-model");
    m.cap = (uint32_t)sim_rng_range(&m.rng, 1, 48);
    cr_assert_eq(sim_engine_init(&m.eng, m.cap), IOSIM_OK);
    for (m.op = 0; m.op < MODEL_OPS && m.n_ev + 8 < MODEL_EVENTS_MAX; m.op++) {
        uint32_t kind = (uint32_t)sim_rng_below(&m.rng, 100);
        if (kind < 40) {
            static const enum ev_action acts[] = {ACT_NONE, ACT_NONE, ACT_SPAWN,
                                                  ACT_CANCEL_OTHER, ACT_SELF};
            model_schedule(&m, acts[sim_rng_below(&m.rng, 5)]);
        } else if (kind < 55) {
            if (m.opts.cancels)
                model_cancel_random(&m);
        } else if (kind < 90) {
            model_step(&m, model_pick_until(&m));
        } else {
            model_next_time(&m);
        }
        model_check_all(&m);
    }
    /* drain: every live event runs exactly once, in order */
    while (model_head(&m, true) >= 0) {
        model_step(&m, SIM_TIME_MAX);
        model_check_all(&m);
    }
    model_step(&m, SIM_TIME_MAX);
    sim_engine_fini(&m.eng);
}

static const uint64_t model_seeds[] = {1, 2, 3, 42, 1234, 0xdeadbeef, 987654321, 77};

/* Scheduling anywhere at or after now, with cancels, next_time and bounded
 * steps interleaved (this found next_time discarding cancelled heads ahead of
 * now, which made later scheduling below their time fail). */
Test(engine_model, matches_reference_when_ops_are_random)
{
    for (size_t i = 0; i < sizeof model_seeds / sizeof model_seeds[0]; i++)
        model_run(model_seeds[i], (struct opts){.cancels = true});
}

/* The same model, never scheduling below the latest time the engine has
 * discarded (the common pattern of a simulation). */
Test(engine_model, matches_reference_when_ops_are_random_above_discarded_times)
{
    for (size_t i = 0; i < sizeof model_seeds / sizeof model_seeds[0]; i++)
        model_run(model_seeds[i], (struct opts){.cancels = true, .above_discarded = true});
}

Test(engine_model, matches_reference_when_ops_are_random_without_cancel)
{
    for (size_t i = 0; i < sizeof model_seeds / sizeof model_seeds[0]; i++)
        model_run(model_seeds[i], (struct opts){.cancels = false});
}

/* ---- edge cases ------------------------------------------------------------ */

Test(engine, init_validates_capacity_when_out_of_range)
{
    static const struct {
        uint32_t events_max;
        enum iosim_err want;
    } cases[] = {
        {0, IOSIM_EINVAL},
        {1, IOSIM_OK},
        {2, IOSIM_OK},
        {4096, IOSIM_OK},
        {UINT32_C(1) << 24, IOSIM_EINVAL},      /* slot index must fit 24 bits */
        {(UINT32_C(1) << 24) + 1, IOSIM_EINVAL},
        {UINT32_MAX, IOSIM_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sim_engine eng;
        enum iosim_err e = sim_engine_init(&eng, cases[i].events_max);
        cr_assert_eq(e, cases[i].want, "events_max %u gave %s", cases[i].events_max,
                     iosim_err_name(e));
        if (e == IOSIM_OK) {
            cr_assert_eq(sim_engine_now(&eng), 0);
            cr_assert_eq(sim_engine_next_time(&eng), SIM_TIME_MAX);
            sim_engine_fini(&eng);
        }
    }
}

Test(engine, step_returns_false_and_keeps_now_when_empty)
{
    struct sim_engine eng;
    struct log lg;
    engine_up(&eng, 4, &lg);
    cr_assert_not(sim_engine_step(&eng, SIM_TIME_MAX));
    cr_assert_not(sim_engine_step(&eng, 1000));
    cr_assert_eq(sim_engine_now(&eng), 0);
    cr_assert_eq(eng.events_run, 0);
    sim_engine_fini(&eng);
}

Test(engine, equal_times_run_in_scheduling_order_when_interleaved)
{
    struct sim_engine eng;
    struct log lg;
    engine_up(&eng, 32, &lg);
    /* times 30, 10, 20, 10, 30, 10, 20 scheduled in this order */
    static const sim_time_ps times[] = {30, 10, 20, 10, 30, 10, 20};
    static const uint64_t want[] = {1, 3, 5, 2, 6, 0, 4};
    for (uint64_t i = 0; i < 7; i++)
        (void)at_ok(&eng, times[i], &lg, i);
    run_all(&eng);
    cr_assert_eq(lg.n, 7);
    for (uint32_t i = 0; i < 7; i++) {
        cr_assert_eq(lg.arg[i], want[i], "position %u ran %" PRIu64, i, lg.arg[i]);
        cr_assert_eq(lg.at_ps[i], times[want[i]]);
    }
    cr_assert_eq(eng.events_run, 7);
    sim_engine_fini(&eng);
}

/* Schedules one event at `now` from inside a callback. */
static void spawn_now_cb(void *ctx, uint64_t arg)
{
    struct log *lg = ctx;
    log_cb(ctx, arg);
    if (arg == 0)
        (void)at_ok(lg->eng, sim_engine_now(lg->eng), lg, 100);
}

Test(engine, runs_after_events_already_at_now_when_scheduled_at_now)
{
    struct sim_engine eng;
    struct log lg;
    engine_up(&eng, 8, &lg);
    cr_assert_eq(sim_engine_at(&eng, 50, spawn_now_cb, &lg, 0, NULL), IOSIM_OK);
    (void)at_ok(&eng, 50, &lg, 1);
    (void)at_ok(&eng, 51, &lg, 2);
    run_all(&eng);
    cr_assert_eq(lg.n, 4);
    cr_assert_eq(lg.arg[0], 0);
    cr_assert_eq(lg.arg[1], 1);
    cr_assert_eq(lg.arg[2], 100);
    cr_assert_eq(lg.at_ps[2], 50);
    cr_assert_eq(lg.arg[3], 2);
    sim_engine_fini(&eng);
}

Test(engine, step_is_bounded_by_until_when_events_lie_beyond)
{
    struct sim_engine eng;
    struct log lg;
    engine_up(&eng, 8, &lg);
    (void)at_ok(&eng, 10, &lg, 0);
    (void)at_ok(&eng, 20, &lg, 1);
    static const struct {
        sim_time_ps until;
        bool ran;
        sim_time_ps now_after;
    } steps[] = {
        {9, false, 9},     /* before the first event: now moves to until */
        {5, false, 9},     /* until behind now: nothing, now stays */
        {10, true, 10},    /* until is inclusive */
        {10, false, 10},
        {15, false, 15},
        {19, false, 19},
        {SIM_TIME_MAX, true, 20},
        {SIM_TIME_MAX, false, 20}, /* empty: now stays */
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        bool ran = sim_engine_step(&eng, steps[i].until);
        cr_assert_eq(ran, steps[i].ran, "step %zu", i);
        cr_assert_eq(sim_engine_now(&eng), steps[i].now_after, "step %zu: now %" PRIu64, i,
                     sim_engine_now(&eng));
    }
    cr_assert_eq(lg.n, 2);
    sim_engine_fini(&eng);
}

Test(engine, schedule_fails_with_enospc_when_capacity_is_reached)
{
    struct sim_engine eng;
    struct log lg;
    engine_up(&eng, 3, &lg);
    for (uint64_t i = 0; i < 3; i++)
        (void)at_ok(&eng, 10 + i, &lg, i);
    struct sim_event_id id = {7, 7};
    cr_assert_eq(sim_engine_at(&eng, 5, log_cb, &lg, 9, &id), IOSIM_ENOSPC);
    cr_assert_eq(id.slot, 7, "out written on failure");
    cr_assert_eq(sim_engine_after(&eng, 5, log_cb, &lg, 9, NULL), IOSIM_ENOSPC);
    cr_assert(sim_engine_step(&eng, SIM_TIME_MAX));
    (void)at_ok(&eng, 100, &lg, 3); /* the slot that ran is free again */
    cr_assert_eq(sim_engine_at(&eng, 100, log_cb, &lg, 9, NULL), IOSIM_ENOSPC);
    run_all(&eng);
    cr_assert_eq(lg.n, 4);
    sim_engine_fini(&eng);
}

Test(engine, cancelled_event_keeps_its_slot_until_its_time_comes)
{
    struct sim_engine eng;
    struct log lg;
    engine_up(&eng, 1, &lg);
    struct sim_event_id id = at_ok(&eng, 100, &lg, 0);
    cr_assert(sim_engine_cancel(&eng, id));
    cr_assert_eq(sim_engine_at(&eng, 200, log_cb, &lg, 1, NULL), IOSIM_ENOSPC);
    cr_assert_not(sim_engine_step(&eng, 99));
    cr_assert_eq(sim_engine_at(&eng, 200, log_cb, &lg, 1, NULL), IOSIM_ENOSPC);
    cr_assert_not(sim_engine_step(&eng, 100)); /* drops it, runs nothing */
    (void)at_ok(&eng, 200, &lg, 1);
    run_all(&eng);
    cr_assert_eq(lg.n, 1);
    cr_assert_eq(lg.arg[0], 1);
    cr_assert_eq(eng.events_run, 1);
    sim_engine_fini(&eng);
}

Test(engine, cancel_and_pending_refuse_when_id_is_stale_or_foreign)
{
    struct sim_engine eng;
    struct log lg;
    engine_up(&eng, 2, &lg);
    struct sim_event_id a = at_ok(&eng, 10, &lg, 0);
    struct sim_event_id b = at_ok(&eng, 20, &lg, 1);
    cr_assert(sim_engine_pending(&eng, a));
    /* never-issued ids */
    static const struct sim_event_id foreign[] = {
        {UINT32_MAX, 0}, {2, 0}, {UINT32_MAX - 1, 5}, {0, 12345}, {1, UINT32_MAX},
    };
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        cr_assert_not(sim_engine_pending(&eng, foreign[i]), "foreign id %zu", i);
        cr_assert_not(sim_engine_cancel(&eng, foreign[i]), "foreign id %zu", i);
    }
    cr_assert_not(sim_engine_pending(&eng, SIM_EVENT_NONE));
    cr_assert_not(sim_engine_cancel(&eng, SIM_EVENT_NONE));
    /* cancel twice */
    cr_assert(sim_engine_cancel(&eng, b));
    cr_assert_not(sim_engine_pending(&eng, b));
    cr_assert_not(sim_engine_cancel(&eng, b));
    /* cancel after run */
    cr_assert(sim_engine_step(&eng, SIM_TIME_MAX));
    cr_assert_not(sim_engine_pending(&eng, a));
    cr_assert_not(sim_engine_cancel(&eng, a));
    cr_assert_not(sim_engine_step(&eng, SIM_TIME_MAX)); /* b was cancelled */
    /* slots are reused; the old ids must not name the new events */
    struct sim_event_id c = at_ok(&eng, 30, &lg, 2);
    struct sim_event_id d = at_ok(&eng, 40, &lg, 3);
    cr_assert((c.slot == a.slot || c.slot == b.slot) && (d.slot == a.slot || d.slot == b.slot));
    cr_assert_not(sim_engine_pending(&eng, a));
    cr_assert_not(sim_engine_pending(&eng, b));
    cr_assert_not(sim_engine_cancel(&eng, a));
    cr_assert_not(sim_engine_cancel(&eng, b));
    cr_assert(sim_engine_pending(&eng, c));
    cr_assert(sim_engine_pending(&eng, d));
    run_all(&eng);
    cr_assert_eq(lg.n, 3);
    cr_assert_eq(lg.arg[1], 2);
    cr_assert_eq(lg.arg[2], 3);
    sim_engine_fini(&eng);
}

/* Checks its own id is no longer pending and cannot be cancelled. */
struct self_ctx {
    struct sim_engine *eng;
    struct sim_event_id self;
    bool pending_inside, cancel_inside, ran;
};

static void self_cb(void *ctx, uint64_t arg)
{
    (void)arg;
    struct self_ctx *s = ctx;
    s->pending_inside = sim_engine_pending(s->eng, s->self);
    s->cancel_inside = sim_engine_cancel(s->eng, s->self);
    s->ran = true;
}

Test(engine, running_event_is_not_pending_when_its_callback_runs)
{
    struct sim_engine eng;
    cr_assert_eq(sim_engine_init(&eng, 2), IOSIM_OK);
    struct self_ctx s = {.eng = &eng};
    cr_assert_eq(sim_engine_at(&eng, 7, self_cb, &s, 0, &s.self), IOSIM_OK);
    cr_assert(sim_engine_step(&eng, SIM_TIME_MAX));
    cr_assert(s.ran);
    cr_assert_not(s.pending_inside);
    cr_assert_not(s.cancel_inside);
    cr_assert_eq(eng.events_run, 1);
    sim_engine_fini(&eng);
}

Test(engine, next_time_reports_queued_events_and_live_counts_what_is_pending)
{
    struct sim_engine eng;
    struct log lg;
    engine_up(&eng, 4, &lg);
    cr_assert_eq(sim_engine_next_time(&eng), SIM_TIME_MAX);
    cr_assert_eq(sim_engine_live(&eng), 0);
    struct sim_event_id a = at_ok(&eng, 10, &lg, 0);
    struct sim_event_id b = at_ok(&eng, 10, &lg, 1);
    (void)at_ok(&eng, 30, &lg, 2);
    cr_assert_eq(sim_engine_next_time(&eng), 10);
    cr_assert_eq(sim_engine_live(&eng), 3);
    cr_assert(sim_engine_cancel(&eng, a));
    cr_assert(sim_engine_cancel(&eng, b));
    cr_assert_eq(sim_engine_live(&eng), 1);
    cr_assert_eq(sim_engine_next_time(&eng), 10, "cancelled events stay queued");
    cr_assert_eq(sim_engine_now(&eng), 0, "next_time must not move now");
    cr_assert(sim_engine_step(&eng, SIM_TIME_MAX));
    cr_assert_eq(lg.arg[0], 2);
    cr_assert_eq(sim_engine_next_time(&eng), SIM_TIME_MAX);
    sim_engine_fini(&eng);
}

Test(engine, after_saturates_when_delay_overflows)
{
    struct sim_engine eng;
    struct log lg;
    engine_up(&eng, 4, &lg);
    cr_assert_not(sim_engine_step(&eng, 1000)); /* empty: now stays 0 */
    (void)at_ok(&eng, 1000, &lg, 0);
    cr_assert(sim_engine_step(&eng, SIM_TIME_MAX));
    cr_assert_eq(sim_engine_now(&eng), 1000);
    struct sim_event_id id;
    cr_assert_eq(sim_engine_after(&eng, SIM_TIME_MAX, log_cb, &lg, 1, &id), IOSIM_OK);
    cr_assert_eq(sim_engine_after(&eng, SIM_TIME_MAX - 999, log_cb, &lg, 2, NULL), IOSIM_OK);
    cr_assert_eq(sim_engine_after(&eng, SIM_TIME_MAX - 1001, log_cb, &lg, 3, NULL), IOSIM_OK);
    cr_assert(sim_engine_pending(&eng, id));
    cr_assert_eq(sim_engine_next_time(&eng), SIM_TIME_MAX - 1);
    cr_assert_not(sim_engine_step(&eng, SIM_TIME_MAX - 2));
    cr_assert_eq(sim_engine_now(&eng), SIM_TIME_MAX - 2);
    cr_assert(sim_engine_step(&eng, SIM_TIME_MAX));
    cr_assert_eq(lg.arg[1], 3);
    cr_assert_eq(sim_engine_now(&eng), SIM_TIME_MAX - 1);
    cr_assert(sim_engine_step(&eng, SIM_TIME_MAX));
    cr_assert(sim_engine_step(&eng, SIM_TIME_MAX));
    cr_assert_eq(lg.arg[2], 1, "equal saturated times keep scheduling order");
    cr_assert_eq(lg.arg[3], 2);
    cr_assert_eq(sim_engine_now(&eng), SIM_TIME_MAX);
    /* at the end of time, events at now still run */
    (void)at_ok(&eng, SIM_TIME_MAX, &lg, 4);
    cr_assert_eq(sim_engine_after(&eng, 5, log_cb, &lg, 5, NULL), IOSIM_OK);
    run_all(&eng);
    cr_assert_eq(lg.n, 6);
    cr_assert_eq(lg.arg[5], 5);
    sim_engine_fini(&eng);
}

Test(engine, cancelled_events_never_run_when_cancelled_before_their_time)
{
    struct sim_engine eng;
    struct log lg;
    engine_up(&eng, 64, &lg);
    struct sim_event_id ids[40];
    for (uint64_t i = 0; i < 40; i++)
        ids[i] = at_ok(&eng, 100 + (i % 5), &lg, i);
    for (uint32_t i = 0; i < 40; i += 3)
        cr_assert(sim_engine_cancel(&eng, ids[i]));
    run_all(&eng);
    uint32_t ran = 0;
    for (uint32_t i = 0; i < lg.n; i++) {
        cr_assert_neq(lg.arg[i] % 3, 0, "cancelled event %" PRIu64 " ran", lg.arg[i]);
        ran++;
    }
    cr_assert_eq(ran, 40 - 14);
    cr_assert_eq(eng.events_run, ran);
    sim_engine_fini(&eng);
}

/* ---- regressions ----------------------------------------------------------- */

/* next_time used to discard a cancelled head event at 100, raising the
 * queue's floor past now (0), so at(50) failed with EINVAL. */
Test(engine_regression, at_below_a_cancelled_head_works_after_next_time)
{
    struct sim_engine eng;
    struct log lg;
    engine_up(&eng, 8, &lg);
    struct sim_event_id a = at_ok(&eng, 100, &lg, 0);
    (void)at_ok(&eng, 300, &lg, 1);
    cr_assert(sim_engine_cancel(&eng, a));
    cr_assert_eq(sim_engine_next_time(&eng), 100);
    cr_assert_eq(sim_engine_now(&eng), 0);
    enum iosim_err e = sim_engine_at(&eng, 50, log_cb, &lg, 2, NULL);
    cr_assert_eq(e, IOSIM_OK, "at(50) with now 0 gave %s", iosim_err_name(e));
    run_all(&eng);
    cr_assert_eq(lg.n, 2);
    cr_assert_eq(lg.arg[0], 2);
    cr_assert_eq(lg.at_ps[0], 50);
    sim_engine_fini(&eng);
}
