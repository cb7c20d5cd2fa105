/*
 * storebuf.h - a CPU's store buffer: the simulator's weak-memory model.
 *
 * Relaxed stores (and port_shm_write) of a CPU do not reach memory at once:
 * each waits here until its due time, drawn by the machine when the store
 * is made, and other CPUs keep reading the old value until then. The
 * owning CPU reads through its own buffer (store forwarding). Entries to
 * overlapping bytes drain in program order (coherence: a newer entry is
 * never due before an older one it overlaps); entries to different bytes
 * drain in due order, so "write the data, then a relaxed store of the flag"
 * can become visible flag-first: exactly the bug a missing release lets
 * through. Release stores, RMWs, fences, MMIO writes, blocking and
 * preemption drain the whole buffer first (docs/architecture.md, "memory
 * model").
 *
 * An entry reaching memory goes through `commit` when set (the machine logs
 * it in memview.h, which gives loads their stale versions), else memcpy.
 *
 *     sim_sb_write(&cpu->sb, host, &v, 4, now);      relaxed store
 *     sim_sb_read(&cpu->sb, host, &v, 4);            load with forwarding
 *     sim_sb_drain_all(&cpu->sb);                    release / fence
 *
 * Entries point at host memory owned by the machine; the buffer owns
 * nothing. Single-threaded.
 */
#ifndef IOSIM_SIM_STOREBUF_H
#define IOSIM_SIM_STOREBUF_H

#include <stddef.h>
#include <stdint.h>

#include "sim/engine/time.h"

#define SIM_SB_ENTRIES 16u
#define SIM_SB_ENTRY_BYTES 64u

struct sim_sb_entry {
    uint8_t *host;
    uint32_t len_bytes;
    sim_time_ps due_ps;                /* when it becomes visible to others */
    uint8_t data[SIM_SB_ENTRY_BYTES];
};

/* Performs one entry's store: copies len bytes of data to host. */
typedef void (*sim_sb_commit_fn)(void *ctx, uint32_t owner, uint8_t *host, const uint8_t *data,
                                 uint32_t len_bytes);

struct sim_storebuf {
    struct sim_sb_entry entries[SIM_SB_ENTRIES]; /* oldest first */
    uint32_t count;
    uint64_t drained;                            /* statistics */
    sim_sb_commit_fn commit;                     /* NULL: memcpy */
    void *commit_ctx;                            /* borrowed */
    uint32_t owner;                              /* the CPU, passed to commit */
};

/* Buffers a store of any length (split into entries) to become visible at
 * due_ps, or later if an older entry to overlapping bytes is due later. A
 * full buffer drains its oldest entry first. */
void sim_sb_write(struct sim_storebuf *sb, void *host, const void *src, size_t len_bytes,
                  sim_time_ps due_ps);

/* Reads memory as this CPU sees it: memory overlaid with its own entries. */
void sim_sb_read(const struct sim_storebuf *sb, const void *host, void *dst, size_t len_bytes);

/* Overlays its own entries on dst, a copy of [host, +len) read elsewhere. */
void sim_sb_overlay(const struct sim_storebuf *sb, const void *host, void *dst,
                    size_t len_bytes);

void sim_sb_drain_all(struct sim_storebuf *sb);

/* Drains every entry due at or before now_ps. */
void sim_sb_drain_due(struct sim_storebuf *sb, sim_time_ps now_ps);

/* The earliest due time in the buffer, SIM_TIME_MAX when empty. */
sim_time_ps sim_sb_next_due(const struct sim_storebuf *sb);

#endif /* IOSIM_SIM_STOREBUF_H */
