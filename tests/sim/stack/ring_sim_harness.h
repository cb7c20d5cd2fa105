/*
 * A pusher and a popper process on two simulated CPUs stream checksummed
 * entries through one ring in simulated shared memory. Used by
 * test_ring_sim.c (the ring must survive every seed) and by the seeded-bug
 * builds (tests/seeded/: a broken ring must be caught within a few seeds).
 */
#ifndef IOSIM_TEST_RING_SIM_HARNESS_H
#define IOSIM_TEST_RING_SIM_HARNESS_H

#include <string.h>

#include "impl/port/port.h"
#include "impl/ring/ring.h"
#include "sim/machine/machine.h"

#define HARNESS_ENTRIES 600u
#define HARNESS_RING 8u

struct harness {
    struct ring_header *hdr;
    struct ring_sqe64 *ents;
    uint64_t received, bad, broken;
    bool batches;
};

static uint64_t harness_sum(const struct ring_sqe64 *e)
{
    return e->fd * 0x9e3779b97f4a7c15ull ^ e->len ^ e->addr ^ e->offset ^ (e->user_data << 3);
}

static struct ring_sqe64 harness_entry(uint64_t i)
{
    struct ring_sqe64 e = {.opcode = 1, .fd = i, .len = i * 3, .addr = ~i, .offset = i ^ 0xabcd};
    e.user_data = harness_sum(&e);
    return e;
}

static int32_t harness_pusher(void *arg)
{
    struct harness *h = arg;
    struct ring_pusher tx;
    if (ring_pusher_attach(&tx, h->hdr, h->ents, HARNESS_RING, RING_SQE64) != IOSIM_OK)
        return 1;
    struct ring_sqe64 e[4];
    for (uint64_t i = 0; i < HARNESS_ENTRIES;) {
        uint32_t k = h->batches ? 1 + (uint32_t)(i % 4) : 1;
        if (i + k > HARNESS_ENTRIES)
            k = (uint32_t)(HARNESS_ENTRIES - i);
        for (uint32_t j = 0; j < k; j++)
            e[j] = harness_entry(i + j);
        enum iosim_err err = ring_push_batch(&tx, e, k);
        if (err == IOSIM_OK)
            i += k;
        else if (err == IOSIM_EAGAIN)
            port_spin_hint();
        else
            return 1;
    }
    ring_pusher_shutdown(&tx);
    return 0;
}

static int32_t harness_popper(void *arg)
{
    struct harness *h = arg;
    struct ring_popper rx;
    if (ring_popper_attach(&rx, h->hdr, h->ents, HARNESS_RING, RING_SQE64) != IOSIM_OK)
        return 1;
    struct ring_sqe64 e[4];
    for (;;) {
        uint32_t n;
        enum iosim_err err = ring_pop_batch(&rx, e, h->batches ? 4 : 1, &n);
        if (err == IOSIM_EAGAIN) {
            port_spin_hint();
            continue;
        }
        if (err == IOSIM_EPROTO)
            h->broken++;
        if (err != IOSIM_OK)
            return 0;
        for (uint32_t j = 0; j < n; j++) {
            struct ring_sqe64 want = harness_entry(h->received + j);
            h->bad += memcmp(&e[j], &want, sizeof want) != 0;
        }
        h->received += n;
    }
}

/* One run; true when every entry arrived intact and in order. */
static bool harness_run(enum sim_policy_kind pol, uint32_t depth, uint64_t seed, bool batches)
{
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    cfg.cpus = 2;
    cfg.sched.policy = pol;
    cfg.sched.pct_depth = depth;
    cfg.sched.pct_steps = 20000;
    cfg.seed = seed;
    struct sim_machine *m = NULL;
    if (sim_machine_create(&cfg, NULL, &m) != IOSIM_OK)
        return false;
    static struct harness h;
    memset(&h, 0, sizeof h);
    h.batches = batches;
    uint64_t a, b;
    (void)sim_mem_alloc(&m->mem, RING_HEADER_BYTES, 4096, &a);
    (void)sim_mem_alloc(&m->mem, HARNESS_RING * sizeof(struct ring_sqe64), 4096, &b);
    h.hdr = sim_mem_host(&m->mem, a, RING_HEADER_BYTES);
    h.ents = sim_mem_host(&m->mem, b, HARNESS_RING * sizeof(struct ring_sqe64));
    (void)ring_header_init(h.hdr, HARNESS_RING);
    struct sim_proc_def tx = {.name = "pusher", .fn = harness_pusher, .arg = &h, .cpu = 0};
    struct sim_proc_def rx = {.name = "popper", .fn = harness_popper, .arg = &h, .cpu = 1};
    (void)sim_proc_spawn(m, &tx, NULL);
    (void)sim_proc_spawn(m, &rx, NULL);
    sim_machine_run(m);
    bool ok = m->end == SIM_END_ALL_EXITED && h.bad == 0 && h.broken == 0 &&
              h.received == HARNESS_ENTRIES && m->procs[0]->exit_status == 0;
    sim_machine_destroy(m);
    return ok;
}

#endif
