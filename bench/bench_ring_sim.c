/*
 * bench_ring_sim: impl/ring under the simulator. A pusher and a popper
 * process on two simulated CPUs pass 10^6 SqEntry64 through a ring in
 * simulated shared memory, under the random policy (every atomic and every
 * entry copy is a yield point). Reports ring operations (pushes + pops) per
 * second of wall time.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "impl/ring/ring.h"
#include "sim/machine/machine.h"

#define OPS 1000000u
#define RING_N 64u

struct shared {
    struct ring_header *hdr;
    struct ring_sqe64 *ents;
    uint64_t sum;
};

static int32_t pusher_main(void *arg)
{
    struct shared *s = arg;
    struct ring_pusher tx;
    if (ring_pusher_attach(&tx, s->hdr, s->ents, RING_N, RING_SQE64) != IOSIM_OK)
        return 1;
    struct ring_sqe64 e;
    memset(&e, 0, sizeof e);
    for (uint32_t i = 0; i < OPS; i++) {
        e.user_data = i;
        while (ring_push(&tx, &e) == IOSIM_EAGAIN)
            port_spin_hint();
    }
    ring_pusher_shutdown(&tx);
    return 0;
}

static int32_t popper_main(void *arg)
{
    struct shared *s = arg;
    struct ring_popper rx;
    if (ring_popper_attach(&rx, s->hdr, s->ents, RING_N, RING_SQE64) != IOSIM_OK)
        return 1;
    struct ring_sqe64 e;
    enum iosim_err err;
    while ((err = ring_pop(&rx, &e)) != IOSIM_ESHUTDOWN) {
        if (err == IOSIM_OK)
            s->sum += e.user_data;
        else
            port_spin_hint();
    }
    return 0;
}

int main(void)
{
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    cfg.cpus = 2;
    cfg.sched.policy = SIM_POLICY_RANDOM;
    cfg.time_limit_ps = 100 * SIM_S;
    struct sim_machine *m;
    if (sim_machine_create(&cfg, NULL, &m) != IOSIM_OK)
        return 1;
    static struct shared s;
    uint64_t hdr_pa, ents_pa;
    if (sim_mem_alloc(&m->mem, RING_HEADER_BYTES, 4096, &hdr_pa) != IOSIM_OK ||
        sim_mem_alloc(&m->mem, RING_N * sizeof(struct ring_sqe64), 4096, &ents_pa) != IOSIM_OK)
        return 1;
    s.hdr = sim_mem_host(&m->mem, hdr_pa, RING_HEADER_BYTES);
    s.ents = sim_mem_host(&m->mem, ents_pa, RING_N * sizeof(struct ring_sqe64));
    (void)ring_header_init(s.hdr, RING_N);
    struct sim_proc_def a = {.name = "pusher", .fn = pusher_main, .arg = &s, .cpu = 0};
    struct sim_proc_def b = {.name = "popper", .fn = popper_main, .arg = &s, .cpu = 1};
    if (sim_proc_spawn(m, &a, NULL) != IOSIM_OK || sim_proc_spawn(m, &b, NULL) != IOSIM_OK)
        return 1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0); /* wall clock ok: benchmark */
    sim_machine_run(m);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    if (m->end != SIM_END_ALL_EXITED || s.sum != (uint64_t)OPS * (OPS - 1) / 2) {
        fprintf(stderr, "bench_ring_sim: the run went wrong (%s)\n", sim_end_reason_name(m->end));
        return 1;
    }
    printf("# %u entries through a %u-entry ring, %llu yield points, %.3f s simulated\n", OPS,
           RING_N, (unsigned long long)m->count.yield_points, (double)m->eng.now_ps / SIM_S);
    printf("bench: ring.sim.ops %.0f ops/s\n", 2.0 * OPS / wall);
    printf("bench: ring.sim.yield_points_per_s %.0f /s\n", (double)m->count.yield_points / wall);
    sim_machine_destroy(m);
    return 0;
}
