/*
 * kern_check: the kernel's structural invariants (kern_internal.h), for
 * assertions only: ASSERT(kern_check(k)) where the lock is released, and
 * the smaller checkers where one object changes. They read kernel memory
 * only, never memory a process shares (a peer controls that), and make no
 * port call.
 */
#include "impl/kernel/kern_internal.h"
#include "impl/port/check.h"

bool kern_req_check(const struct kern *k, const struct kern_req *r)
{
    if (r < k->reqs || r >= k->reqs + KERN_REQS_MAX)
        return false;
    if (r->route > KR_DETACHED || r->place > KQ_DELIVERED)
        return false;
    if (r->route == KR_FREE)
        return r->place == KQ_NONE;
    if (r->next != KERN_NONE && r->next >= KERN_REQS_MAX)
        return false;
    /* off every list, a request has no successor */
    return r->place != KQ_NONE || r->next == KERN_NONE;
}

/* Walks a list: every member live, placed so, the tail its last. Adds its
 * length to *n. */
static bool list_check(const struct kern *k, const struct kern_list *l, enum kern_req_place place,
                       uint32_t *n)
{
    uint32_t last = KERN_NONE, steps = 0;
    for (uint32_t i = l->head; i != KERN_NONE; i = k->reqs[i].next) {
        if (i >= KERN_REQS_MAX || ++steps > KERN_REQS_MAX)
            return false; /* out of range, or a cycle */
        const struct kern_req *r = &k->reqs[i];
        if (r->route == KR_FREE || r->place != place)
            return false;
        last = i;
    }
    *n += steps;
    return l->tail == last;
}

bool kern_inst_check(const struct kern *k, const struct kern_inst *inst)
{
    if (inst < k->insts || inst >= k->insts + KERN_INSTS_MAX)
        return false;
    if (inst->state > KI_ATTACHED || inst->mode > KM_U2U)
        return false;
    if (inst->state == KI_FREE)
        return true;
    if (inst->mode != KM_NONE && inst->state != KI_ATTACHED)
        return false;
    if (inst->state >= KI_CREATED && (inst->reg.sq_hdr == NULL || inst->reg.cq_hdr == NULL))
        return false;
    if (inst->mode == KM_U2K) /* never more owed than the CQ can hold */
        return inst->prod.inflight <= inst->reg.ci.cq_entries && inst->prod.consumer_pid != 0;
    if (inst->mode == KM_K2U)
        return inst->cons.scheme < KERN_SCHEMES_MAX;
    return true;
}

bool kern_check(const struct kern *k)
{
    uint32_t live = 0, placed[KQ_DELIVERED + 1] = {0}, listed[KQ_DELIVERED + 1] = {0};
    uint32_t owed[KERN_INSTS_MAX] = {0}; /* requests to answer with a CQE, by instance */
    for (uint32_t i = 0; i < KERN_REQS_MAX; i++) {
        const struct kern_req *r = &k->reqs[i];
        if (!kern_req_check(k, r))
            return false;
        live += r->route != KR_FREE;
        placed[r->place]++;
        if (r->route == KR_RING && r->inst < KERN_INSTS_MAX)
            owed[r->inst]++;
    }
    if (live != k->stats.requests_pending)
        return false;
    for (uint32_t i = 0; i < KERN_SCHEMES_MAX; i++) {
        const struct kern_uscheme *u = &k->uschemes[i];
        if (!u->used)
            continue;
        if (u->scheme >= KERN_SCHEMES_MAX || (u->ring != KERN_NONE && u->ring >= KERN_INSTS_MAX))
            return false;
        if (!list_check(k, &u->backlog, KQ_BACKLOG, &listed[KQ_BACKLOG]) ||
            !list_check(k, &u->readers, KQ_READERS, &listed[KQ_READERS]) ||
            !list_check(k, &u->delivered, KQ_DELIVERED, &listed[KQ_DELIVERED]))
            return false;
    }
    /* a pending request is on exactly one list */
    for (uint32_t p = KQ_BACKLOG; p <= KQ_DELIVERED; p++)
        if (placed[p] != listed[p])
            return false;
    for (uint32_t i = 0; i < KERN_INSTS_MAX; i++) {
        const struct kern_inst *inst = &k->insts[i];
        if (!kern_inst_check(k, inst))
            return false;
        /* a request still to answer on a userspace -> kernel ring is owed */
        if (inst->state == KI_ATTACHED && inst->mode == KM_U2K && owed[i] > inst->prod.inflight)
            return false;
    }
    return k->root < KERN_SCHEMES_MAX && k->null < KERN_SCHEMES_MAX && k->uring < KERN_SCHEMES_MAX;
}
