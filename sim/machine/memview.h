/*
 * memview.h - views of memory: the load side of the simulator's weak-memory
 * model (the store side is storebuf.h).
 *
 * Every store a simulated CPU makes visible (a store buffer entry draining,
 * a release store, a read-modify-write) is *committed* here: it gets the next
 * global timestamp, and the bytes it overwrote are kept in a bounded log of
 * recent commits (SIM_MV_LOG entries, oldest evicted first). Memory always
 * holds the latest values; an older version of a range is memory with the
 * newer commits' old bytes put back.
 *
 * Each CPU has a *view*: the timestamp below which it may not read (every
 * commit at or below it is visible to it). A load picks, from the seeded
 * `memory` stream, any version of its bytes not older than
 *   - the CPU's view (raised by acquire loads reading a release store, by
 *     acquire fences after relaxed loads of one, by seq_cst loads and
 *     fences, and to "everything" at a full barrier),
 *   - any commit to those bytes the CPU made or already read (coherence:
 *     one CPU's reads and writes of a location never go backwards),
 *   - commits older than the window (a version overwritten more than
 *     `window_ps` ago is gone) or evicted from the log.
 * A release store (or a relaxed store after a release fence) carries the
 * timestamp of its commit (of the fence) as the view an acquirer joins. RMWs
 * read the latest value. So loads may return stale values: load->load and
 * store->load reorderings appear as effects.
 *
 * Load->store reordering (a read satisfied after a later relaxed store of
 * the same CPU became visible) is not produced, it is *detected* for plain
 * shared-memory reads (port_shm_read): such a read stays open until the CPU's
 * next release; a relaxed store made while it is open exposes it; if another
 * CPU, after reading a commit of the exposing CPU at or after that point,
 * writes bytes of the open read, the read could have returned that write - a
 * data race on plain data. The first one is kept as a failure message. A
 * read stays open only while its process runs on that CPU (a context switch
 * is a full barrier), and a process never races with itself.
 *
 * The same reordering on the other side - a missing acquire - is detected
 * too. A release (store, RMW or fence) closes the CPU's open reads into
 * *released* reads: the release's commit (for a fence: the fence) is what
 * orders them before anything that acquires it. If another CPU then writes
 * bytes of a released read having read a commit of the releasing CPU at or
 * after that release, but with a view that does not include it (it read
 * the release relaxed, with no acquire fence since), its write is not
 * ordered after the read: a load->store reordering of the reader's (or a
 * load of the writer's satisfied after its store - load buffering) lets
 * the read return that write. Reported like the others. No false alarm:
 * any chain of acquires reaching the release raises the writer's view to
 * it, and a barrier (system call, context switch) raises it to everything.
 *
 *     sim_mv_read(&m->mv, cpu, &rng, SIM_MV_LOAD_RELAXED, host, dst, 4, now);
 *     sim_mv_commit(&m->mv, cpu, host, src, 4, SIM_MV_STORE_RELEASE, now);
 *     sim_mv_fence(&m->mv, cpu, PORT_ACQUIRE);
 *
 * Keys are host pointers of the machine's memory, used only for overlap
 * tests, never for ordering; the log is walked by index. Single-threaded;
 * owns nothing (entries point at memory the machine owns).
 */
#ifndef IOSIM_SIM_MEMVIEW_H
#define IOSIM_SIM_MEMVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impl/port/port.h"
#include "sim/engine/rng.h"
#include "sim/engine/time.h"

#define SIM_MV_LOG 64u        /* recent commits kept; a power of two */
#define SIM_MV_BYTES 64u      /* bytes per log entry; longer commits split */
#define SIM_MV_OPEN 8u        /* open plain reads tracked per CPU */
#define SIM_MV_CPUS 64u       /* = SIM_CPUS_MAX */
#define SIM_MV_NONE UINT32_MAX /* "no CPU": the host, a device */
#define SIM_MV_MSG_MAX 256u
#define SIM_MV_HOST 16u       /* recent host/device writes remembered */

enum sim_mv_load {
    SIM_MV_LOAD_PLAIN,   /* port_shm_read: relaxed, and tracked for races */
    SIM_MV_LOAD_RELAXED,
    SIM_MV_LOAD_ACQUIRE,
    SIM_MV_LOAD_SEQ_CST, /* the latest value, and an acquire */
};

enum sim_mv_store {
    SIM_MV_STORE_RELAXED, /* carries the CPU's last release fence */
    SIM_MV_STORE_RELEASE, /* carries its own timestamp */
};

struct sim_mv_entry {
    const uint8_t *host;
    uint32_t len_bytes;
    uint32_t cpu;         /* who committed it, SIM_MV_NONE for none */
    uint64_t ts;          /* commit timestamp, > 0 */
    uint64_t carried;     /* view an acquire reading it joins, <= ts */
    uint64_t seen;        /* CPUs (bit per index) that read it or a newer one */
    sim_time_ps at_ps;    /* when it was committed */
    bool pinned;          /* never undone (overwritten by a device or the host) */
    uint8_t old[SIM_MV_BYTES];
};

struct sim_mv_open {
    const void *proc;     /* the process that read (compared, never followed) */
    const uint8_t *host;
    uint32_t len_bytes;
    uint64_t exposed_ts;  /* 0: not exposed; else commits >= it expose it */
};

/* A plain read its CPU has released: ordered before whoever acquires a
 * view of at least view_needed (see above). */
struct sim_mv_released {
    const void *proc;     /* the process that read (compared, never followed) */
    const uint8_t *host;
    uint32_t len_bytes;   /* 0: slot unused */
    uint64_t view_needed; /* 0 while the releasing store has not committed */
    uint64_t seen_after;  /* commits of the reader's CPU at or after this follow the release */
};

/* A write of the host or a device (a kernel event, DMA): it comes after
 * everything committed before it, so a load reading it joins that view. */
struct sim_mv_host {
    const uint8_t *host;
    uint32_t len_bytes;   /* 0: slot unused */
    uint64_t ts;          /* mv->ts when it was made */
};

struct sim_mv_cpu {
    uint64_t view;        /* reads are not older than this timestamp */
    uint64_t pending;     /* the largest view carried by a value it read */
    uint64_t fence_rel;   /* timestamp of its last release fence */
    uint64_t seen_from[SIM_MV_CPUS]; /* newest commit of each CPU it read */
    struct sim_mv_open open[SIM_MV_OPEN];
    uint32_t open_next;   /* ring index of the next open read */
    struct sim_mv_released released[SIM_MV_OPEN];
    uint32_t released_next;
    bool release_pending; /* released reads wait for this CPU's release commit */
    const void *proc;     /* the process it ran last: a switch is a barrier */
    const void *running;  /* the process on it now, NULL if idle (the caller sets it) */
};

struct sim_mv {
    struct sim_mv_entry log[SIM_MV_LOG]; /* ring: entry ts % SIM_MV_LOG */
    uint64_t ts;          /* timestamp of the latest commit */
    uint64_t evicted_ts;  /* newest timestamp no longer in the log */
    uint64_t spawn_ts;    /* the latest commit before the latest process spawn */
    struct sim_mv_host hostw[SIM_MV_HOST]; /* ring of the latest host/device writes */
    uint32_t hostw_next;
    sim_time_ps window_ps;
    uint32_t cpus;
    const uint8_t *mem_base; /* the machine's memory: messages name offsets */
    uint64_t mem_bytes;
    struct sim_mv_cpu cpu[SIM_MV_CPUS];
    uint64_t stale_reads; /* statistics: loads that returned an older version */
    uint64_t races;       /* load->store races detected */
    char race_msg[SIM_MV_MSG_MAX]; /* the first one */
    uint64_t missing_acquires; /* of them, writes not ordered after a released read */
};

/* mem_base/mem_bytes (borrowed) only name addresses in the race message. */
void sim_mv_init(struct sim_mv *mv, uint32_t cpus, sim_time_ps window_ps, const void *mem_base,
                 uint64_t mem_bytes);

/* Reads [host, host+len) as CPU `cpu` may see it at now_ps into dst (memory
 * only: the caller overlays the CPU's own store buffer). Draws from rng only
 * when an older version is allowed. */
void sim_mv_read(struct sim_mv *mv, uint32_t cpu, struct sim_rng *rng, enum sim_mv_load kind,
                 const void *host, void *dst, size_t len_bytes, sim_time_ps now_ps);

/* Makes a store of `cpu` visible to all: logs the old bytes, copies src. */
void sim_mv_commit(struct sim_mv *mv, uint32_t cpu, void *host, const void *src,
                   size_t len_bytes, enum sim_mv_store kind, sim_time_ps now_ps);

/* A read-modify-write of `cpu` on [host, +len): it read the latest value
 * (the caller did it), joins its carried view when `acquire`; the write it
 * makes carries the read one's view too (a release sequence). */
void sim_mv_rmw(struct sim_mv *mv, uint32_t cpu, void *host, const void *src, size_t len_bytes,
                bool acquire, bool release, sim_time_ps now_ps);

/* A store issued (buffered or not) by `cpu`: exposes its open plain reads
 * when relaxed, closes them when a release; checks other CPUs' open reads of
 * the bytes it writes. */
void sim_mv_store_issued(struct sim_mv *mv, uint32_t cpu, const void *host, size_t len_bytes,
                         bool release);

/* A fence of `cpu` (the caller drains its store buffer for release ones). */
void sim_mv_fence(struct sim_mv *mv, uint32_t cpu, enum port_order order);

/* A full barrier: the CPU sees every commit (MMIO, system calls, context
 * switches). */
void sim_mv_barrier(struct sim_mv *mv, uint32_t cpu);

/* `cpu` now runs `proc`. A switch from another process is a full barrier
 * (the context switch); the first process of a CPU sees what its spawner had
 * made visible (every process is started by the host or a system call). A
 * process that comes back to a CPU after running on another must be given
 * a barrier by the caller (sim_mv_barrier): the CPU's view is not the
 * process's, which did its acquires elsewhere, and a migration goes
 * through the kernel - the views do not know where a process ran. */
void sim_mv_enter(struct sim_mv *mv, uint32_t cpu, const void *proc);

/* `cpu` spawns a process (its store buffer drained): a system call. */
void sim_mv_spawn(struct sim_mv *mv, uint32_t cpu);

/* The host or a device wrote [host, +len) directly: its older versions are
 * gone for everyone, and a load that reads it joins the view of everything
 * committed so far (the write happened after those commits, outside the
 * CPUs' weak ordering). */
void sim_mv_external_write(struct sim_mv *mv, const void *host, size_t len_bytes);

#endif /* IOSIM_SIM_MEMVIEW_H */
