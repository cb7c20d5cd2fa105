/* Discrete-event core; see engine.h. Tags are (seq << 24 | slot): the
 * queue orders by (time, tag), hence by (time, seq). */
#include "sim/engine/engine.h"

#include <stdlib.h>

#include "impl/port/check.h"
#include "sim/engine/check.h"

#define ENGINE_SLOT_BITS 24u
#define ENGINE_SLOTS_LIMIT (1u << ENGINE_SLOT_BITS)
#define ENGINE_NO_SLOT UINT32_MAX

enum iosim_err sim_engine_init(struct sim_engine *eng, uint32_t events_max)
{
    ASSERT(eng != NULL);
    *eng = (struct sim_engine){0};
    if (events_max == 0 || events_max > ENGINE_SLOTS_LIMIT - 1)
        return IOSIM_EINVAL;
    eng->slots = calloc(events_max, sizeof *eng->slots);
    if (eng->slots == NULL)
        return IOSIM_ENOMEM;
    enum iosim_err e = sim_evq_init(&eng->queue, events_max);
    if (e != IOSIM_OK) {
        free(eng->slots);
        eng->slots = NULL;
        return e;
    }
    eng->slots_max = events_max;
    for (uint32_t i = 0; i < events_max; i++)
        eng->slots[i].next_free = i + 1 < events_max ? i + 1 : ENGINE_NO_SLOT;
    eng->free_head = 0;
    return IOSIM_OK;
}

void sim_engine_fini(struct sim_engine *eng)
{
    ASSERT(eng != NULL);
    sim_evq_fini(&eng->queue);
    free(eng->slots);
    *eng = (struct sim_engine){0};
}

static void slot_release(struct sim_engine *eng, uint32_t slot)
{
    ASSERT(slot < eng->slots_max);
    struct sim_event_slot *s = &eng->slots[slot];
    s->fn = NULL;
    s->gen++;
    s->next_free = eng->free_head;
    eng->free_head = slot;
}

enum iosim_err sim_engine_at(struct sim_engine *eng, sim_time_ps at_ps, sim_event_fn fn,
                             void *ctx, uint64_t arg, struct sim_event_id *out)
{
    sim_check_outside("an event scheduled");
    ASSERT(eng != NULL && fn != NULL);
    ASSERT(at_ps >= eng->now_ps);
    if (eng->free_head == ENGINE_NO_SLOT)
        return IOSIM_ENOSPC;
    uint32_t slot = eng->free_head;
    uint64_t seq = eng->seq_next++;
    ASSERT(seq < (UINT64_C(1) << (64 - ENGINE_SLOT_BITS)));
    enum iosim_err e = sim_evq_push(&eng->queue, at_ps, (seq << ENGINE_SLOT_BITS) | slot);
    if (e != IOSIM_OK)
        return e;
    struct sim_event_slot *s = &eng->slots[slot];
    eng->free_head = s->next_free;
    s->fn = fn;
    s->ctx = ctx;
    s->arg = arg;
    eng->live++;
    if (out != NULL)
        *out = (struct sim_event_id){slot, s->gen};
    return IOSIM_OK;
}

enum iosim_err sim_engine_after(struct sim_engine *eng, sim_time_ps delay_ps, sim_event_fn fn,
                                void *ctx, uint64_t arg, struct sim_event_id *out)
{
    sim_time_ps at = eng->now_ps + delay_ps;
    if (at < eng->now_ps)
        at = SIM_TIME_MAX;
    return sim_engine_at(eng, at, fn, ctx, arg, out);
}

bool sim_engine_pending(const struct sim_engine *eng, struct sim_event_id id)
{
    ASSERT(eng != NULL);
    if (id.slot >= eng->slots_max)
        return false;
    const struct sim_event_slot *s = &eng->slots[id.slot];
    return s->gen == id.gen && s->fn != NULL;
}

bool sim_engine_cancel(struct sim_engine *eng, struct sim_event_id id)
{
    sim_check_outside("an event cancelled");
    if (!sim_engine_pending(eng, id))
        return false;
    /* The queue entry stays; popping it finds fn == NULL and frees the slot.
     * The generation changes only then, so the id stays "not pending". */
    eng->slots[id.slot].fn = NULL;
    ASSERT(eng->live > 0);
    eng->live--;
    return true;
}

bool sim_engine_step(struct sim_engine *eng, sim_time_ps until_ps)
{
    ASSERT(eng != NULL);
    struct sim_evq_item it;
    for (;;) {
        if (!sim_evq_peek(&eng->queue, &it))
            return false;
        if (it.time_ps > until_ps) {
            if (until_ps > eng->now_ps)
                eng->now_ps = until_ps;
            return false;
        }
        (void)sim_evq_pop(&eng->queue, &it);
        ASSERT(it.time_ps >= eng->now_ps);
        eng->now_ps = it.time_ps;
        uint32_t slot = (uint32_t)(it.tag & (ENGINE_SLOTS_LIMIT - 1));
        struct sim_event_slot *s = &eng->slots[slot];
        sim_event_fn fn = s->fn;
        void *ctx = s->ctx;
        uint64_t arg = s->arg;
        slot_release(eng, slot);
        if (fn == NULL)
            continue; /* cancelled */
        ASSERT(eng->live > 0);
        eng->live--;
        eng->events_run++;
        fn(ctx, arg);
        return true;
    }
}

sim_time_ps sim_engine_next_time(struct sim_engine *eng)
{
    ASSERT(eng != NULL);
    struct sim_evq_item it;
    return sim_evq_peek(&eng->queue, &it) ? it.time_ps : SIM_TIME_MAX;
}
