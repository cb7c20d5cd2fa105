/*
 * One locked buffer pool shared by three simulated processes on two CPUs,
 * under random and pct scheduling: the pool's futex mutex (impl/sync) is
 * contended, preempted inside, and slept on. Each process allocates slices,
 * fills them with its own tag, lends some to the next process (a guard
 * taken before the hand-over, dropped by the receiver), checks its slices
 * are intact before freeing them, and the pool's self-check must pass at
 * the end with every chunk one free range again. A pool that handed the
 * same memory to two processes would show as a corrupted tag.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "impl/bufpool/bufpool.h"
#include "sim/machine/machine.h"

#define PROCS 3u
#define ROUNDS 60u
#define MAILBOX 4u

struct shared {
    struct bufpool pool;
    port_atomic_u32 ready;            /* process 0 set the pool up */
    port_atomic_u32 mail_len[PROCS];  /* slices waiting for process i */
    struct bufpool_slice mail[PROCS][MAILBOX];
    struct sync_mutex mail_lock;
    uint32_t bad;
    port_atomic_u32 done;
};

static struct shared *g_sh;

static bool intact(const struct bufpool_slice *s, uint8_t tag)
{
    uint8_t buf[256];
    port_shm_read(buf, s->host, s->len_bytes);
    for (uint32_t i = 0; i < s->len_bytes; i++)
        if (buf[i] != tag)
            return false;
    return true;
}

static void fill(const struct bufpool_slice *s, uint8_t tag)
{
    uint8_t buf[256];
    memset(buf, tag, sizeof buf);
    port_shm_write(s->host, buf, s->len_bytes);
}

/* Takes what others lent us: check, drop the guard. */
static void collect(struct shared *sh, uint32_t me)
{
    sync_mutex_lock(&sh->mail_lock);
    uint32_t n = port_load_u32(&sh->mail_len[me], PORT_RELAXED);
    for (uint32_t i = 0; i < n; i++)
        if (bufpool_unguard(&sh->pool, &sh->mail[me][i]) != IOSIM_OK)
            sh->bad++;
    port_store_u32(&sh->mail_len[me], 0, PORT_RELAXED);
    sync_mutex_unlock(&sh->mail_lock);
}

static bool lend(struct shared *sh, uint32_t to, const struct bufpool_slice *s)
{
    bool sent = false;
    sync_mutex_lock(&sh->mail_lock);
    uint32_t n = port_load_u32(&sh->mail_len[to], PORT_RELAXED);
    if (n < MAILBOX) {
        sh->mail[to][n] = *s;
        port_store_u32(&sh->mail_len[to], n + 1, PORT_RELAXED);
        sent = true;
    }
    sync_mutex_unlock(&sh->mail_lock);
    return sent;
}

static int32_t worker(void *arg)
{
    uint32_t me = (uint32_t)(uintptr_t)arg;
    struct shared *sh = g_sh;
    if (me == 0) {
        struct bufpool_opts o;
        bufpool_opts_default(&o);
        o.size_max = 256;
        o.align_max = 512;
        o.slices_max = 64;
        o.chunks_max = 2;
        o.name = "shared";
        uint32_t chunk;
        if (bufpool_init(&sh->pool, &o) != IOSIM_OK ||
            bufpool_chunk_add_dma(&sh->pool, 8192, &chunk) != IOSIM_OK)
            return 2;
        port_store_u32(&sh->ready, 1, PORT_RELEASE);
        (void)port_wake(&sh->ready, PORT_WAKE_ALL);
    }
    while (port_load_u32(&sh->ready, PORT_ACQUIRE) == 0)
        (void)port_wait_u32(&sh->ready, 0, PORT_WAIT_FOREVER);
    uint8_t tag = (uint8_t)(0x10 + me);
    struct bufpool_slice held[4];
    uint32_t n = 0;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        collect(sh, me);
        struct bufpool_slice s;
        uint32_t len = 1 + (r * 37 + me * 11) % 256;
        if (bufpool_alloc(&sh->pool, len, (size_t)64 << (r % 4), &s) == IOSIM_OK) {
            fill(&s, tag);
            if (r % 3 == 0 && bufpool_guard(&sh->pool, &s) == IOSIM_OK) {
                if (!lend(sh, (me + 1) % PROCS, &s))
                    (void)bufpool_unguard(&sh->pool, &s);
                if (bufpool_free(&sh->pool, &s) != IOSIM_OK)
                    sh->bad++;
            } else if (n < 4) {
                held[n++] = s;
            } else if (bufpool_free(&sh->pool, &s) != IOSIM_OK) {
                sh->bad++;
            }
        }
        if (n > 0 && r % 2 == 1) {
            n--;
            if (!intact(&held[n], tag) || bufpool_free(&sh->pool, &held[n]) != IOSIM_OK)
                sh->bad++;
        }
    }
    while (n > 0) {
        n--;
        if (!intact(&held[n], tag) || bufpool_free(&sh->pool, &held[n]) != IOSIM_OK)
            sh->bad++;
    }
    /* Others may still lend to us: wait for everyone, then take the rest. */
    uint32_t d = port_fetch_add_u32(&sh->done, 1, PORT_ACQ_REL) + 1;
    if (d == PROCS)
        (void)port_wake(&sh->done, PORT_WAKE_ALL);
    while ((d = port_load_u32(&sh->done, PORT_ACQUIRE)) < PROCS)
        (void)port_wait_u32(&sh->done, d, PORT_WAIT_FOREVER);
    collect(sh, me);
    return 0;
}

static bool run_one(enum sim_policy_kind pol, uint32_t depth, uint64_t seed, char *why, size_t len)
{
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    cfg.cpus = 2;
    cfg.sched.policy = pol;
    cfg.sched.pct_depth = depth;
    cfg.sched.pct_steps = 20000;
    cfg.seed = seed;
    struct sim_machine *m = NULL;
    cr_assert_eq(sim_machine_create(&cfg, NULL, &m), IOSIM_OK);
    uint64_t pa;
    cr_assert_eq(sim_mem_alloc(&m->mem, sizeof(struct shared), 4096, &pa), IOSIM_OK);
    g_sh = sim_mem_host(&m->mem, pa, sizeof(struct shared));
    memset(g_sh, 0, sizeof *g_sh);
    for (uint32_t i = 0; i < PROCS; i++) {
        char name[16] = "worker0";
        name[6] = (char)('0' + i);
        struct sim_proc_def d = {.name = name, .fn = worker, .arg = (void *)(uintptr_t)i,
                                 .cpu = -1};
        cr_assert_eq(sim_proc_spawn(m, &d, NULL), IOSIM_OK);
    }
    sim_machine_run(m);
    bool ok = m->end == SIM_END_ALL_EXITED && g_sh->bad == 0;
    if (m->end != SIM_END_ALL_EXITED)
        snprintf(why, len, "the run ended %d, not with every process exited", (int)m->end);
    else if (g_sh->bad != 0)
        snprintf(why, len, "%u wrong results or corrupted slices", g_sh->bad);
    for (uint32_t i = 0; i < PROCS; i++)
        ok = ok && m->procs[i]->exit_status == 0;
    struct bufpool_stats st;
    bufpool_stats_get(&g_sh->pool, &st);
    ok = ok && bufpool_check(&g_sh->pool, why, len) == IOSIM_OK && st.slices == 0 &&
         st.free_ranges == 1;
    sim_machine_destroy(m);
    return ok;
}

Test(bufpool_shared, three_processes_share_one_locked_pool_under_every_policy, .timeout = 300)
{
    static const struct {
        enum sim_policy_kind pol;
        uint32_t depth;
    } pols[] = {{SIM_POLICY_FIFO, 1}, {SIM_POLICY_RANDOM, 1}, {SIM_POLICY_PCT, 2},
                {SIM_POLICY_PCT, 3}};
    for (size_t p = 0; p < sizeof pols / sizeof pols[0]; p++)
        for (uint64_t seed = 1; seed <= 20; seed++) {
            char why[128] = "";
            cr_assert(run_one(pols[p].pol, pols[p].depth, seed, why, sizeof why),
                      "policy %d depth %u seed %llu: %s", (int)pols[p].pol, pols[p].depth,
                      (unsigned long long)seed, why);
        }
}
