/* Views of memory; see memview.h. */
#include "sim/machine/memview.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "impl/port/check.h"

static bool overlap(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return a < b + blen && b < a + alen;
}

static uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

static uint64_t cpu_bit(uint32_t cpu) { return cpu < SIM_MV_CPUS ? UINT64_C(1) << cpu : 0; }

void sim_mv_init(struct sim_mv *mv, uint32_t cpus, sim_time_ps window_ps, const void *mem_base,
                 uint64_t mem_bytes)
{
    ASSERT(mv != NULL && cpus <= SIM_MV_CPUS);
    memset(mv, 0, sizeof *mv);
    mv->cpus = cpus;
    mv->window_ps = window_ps;
    mv->mem_base = mem_base;
    mv->mem_bytes = mem_bytes;
}

/* The log entry of timestamp ts, which must still be in the log. */
static struct sim_mv_entry *entry_at(struct sim_mv *mv, uint64_t ts)
{
    ASSERT(ts > mv->evicted_ts && ts <= mv->ts);
    struct sim_mv_entry *e = &mv->log[ts % SIM_MV_LOG];
    ASSERT(e->ts == ts);
    return e;
}

/* The oldest timestamp still in the log. */
static uint64_t log_first(const struct sim_mv *mv) { return mv->evicted_ts + 1; }

/* The oldest version of [p, +len) `cpu` may read: see memview.h. */
static uint64_t read_floor(struct sim_mv *mv, uint32_t cpu, const uint8_t *p, size_t len,
                           sim_time_ps now_ps)
{
    uint64_t lb = max64(mv->cpu[cpu].view, mv->evicted_ts);
    for (uint64_t ts = max64(log_first(mv), lb + 1); ts <= mv->ts; ts++) {
        const struct sim_mv_entry *e = entry_at(mv, ts);
        if (!overlap(e->host, e->len_bytes, p, len))
            continue;
        if (e->pinned || e->cpu == cpu || (e->seen & cpu_bit(cpu)) != 0 ||
            now_ps - e->at_ps > mv->window_ps)
            lb = ts;
    }
    ASSERT(lb <= mv->ts);
    return lb;
}

/* Picks the version to read: lb, or one of the k commits above it (the
 * newest with probability at least one half). */
static uint64_t pick_version(struct sim_mv *mv, struct sim_rng *rng, const uint8_t *p,
                             size_t len, uint64_t lb)
{
    uint64_t cand[SIM_MV_LOG];
    uint32_t k = 0;
    for (uint64_t ts = lb + 1; ts <= mv->ts; ts++) {
        const struct sim_mv_entry *e = entry_at(mv, ts);
        if (overlap(e->host, e->len_bytes, p, len))
            cand[k++] = ts;
    }
    if (k == 0)
        return mv->ts;
    uint64_t pick = sim_rng_below(rng, 2 * ((uint64_t)k + 1));
    if (pick >= k)
        return mv->ts;
    ASSERT(pick < k);
    return pick == 0 ? lb : cand[pick - 1];
}

/* dst = memory as of version r: newer commits' old bytes put back. */
static void undo_to(struct sim_mv *mv, uint64_t r, const uint8_t *p, uint8_t *dst, size_t len)
{
    for (uint64_t ts = mv->ts; ts > r && ts >= log_first(mv); ts--) {
        const struct sim_mv_entry *e = entry_at(mv, ts);
        if (!overlap(e->host, e->len_bytes, p, len))
            continue;
        const uint8_t *lo = e->host > p ? e->host : p;
        const uint8_t *hi_e = e->host + e->len_bytes, *hi_r = p + len;
        const uint8_t *hi = hi_e < hi_r ? hi_e : hi_r;
        memcpy(dst + (lo - p), e->old + (lo - e->host), (size_t)(hi - lo));
    }
}

/* `cpu` read version r of [p, +len): coherence marks, the views it carries
 * and whose commits it saw. Returns the largest carried view. */
static uint64_t mark_read(struct sim_mv *mv, uint32_t cpu, uint64_t r, const uint8_t *p,
                          size_t len)
{
    struct sim_mv_cpu *c = &mv->cpu[cpu];
    uint64_t carried = 0;
    for (uint64_t ts = log_first(mv); ts <= r; ts++) {
        struct sim_mv_entry *e = entry_at(mv, ts);
        if (!overlap(e->host, e->len_bytes, p, len))
            continue;
        e->seen |= cpu_bit(cpu);
        carried = max64(carried, e->carried);
        if (e->cpu < SIM_MV_CPUS)
            c->seen_from[e->cpu] = max64(c->seen_from[e->cpu], ts);
    }
    for (uint32_t i = 0; i < SIM_MV_HOST; i++) {
        const struct sim_mv_host *h = &mv->hostw[i];
        if (h->len_bytes > 0 && overlap(h->host, h->len_bytes, p, len))
            carried = max64(carried, h->ts);
    }
    c->pending = max64(c->pending, carried);
    return carried;
}

static void open_add(struct sim_mv_cpu *c, const uint8_t *p, size_t len)
{
    struct sim_mv_open *o = &c->open[c->open_next % SIM_MV_OPEN];
    o->proc = c->proc;
    o->host = p;
    o->len_bytes = (uint32_t)len;
    o->exposed_ts = 0;
    c->open_next++;
}

void sim_mv_read(struct sim_mv *mv, uint32_t cpu, struct sim_rng *rng, enum sim_mv_load kind,
                 const void *host, void *dst, size_t len_bytes, sim_time_ps now_ps)
{
    ASSERT(mv != NULL && rng != NULL && host != NULL && dst != NULL);
    ASSERT(cpu < mv->cpus);
    struct sim_mv_cpu *c = &mv->cpu[cpu];
    const uint8_t *p = host;
    if (kind == SIM_MV_LOAD_SEQ_CST)
        c->view = mv->ts;
    uint64_t lb = read_floor(mv, cpu, p, len_bytes, now_ps);
    uint64_t r = pick_version(mv, rng, p, len_bytes, lb);
    memcpy(dst, p, len_bytes);
    if (r < mv->ts) {
        undo_to(mv, r, p, dst, len_bytes);
        mv->stale_reads++;
    }
    uint64_t carried = mark_read(mv, cpu, r, p, len_bytes);
    if (kind == SIM_MV_LOAD_ACQUIRE || kind == SIM_MV_LOAD_SEQ_CST)
        c->view = max64(c->view, max64(carried, mv->evicted_ts));
    if (kind == SIM_MV_LOAD_PLAIN)
        open_add(c, p, len_bytes);
    ASSERT(c->view <= mv->ts);
}

/* The CPU's released reads waiting for their release get its view and
 * the first timestamp that follows it. */
static void released_resolve(struct sim_mv_cpu *c, uint64_t view_needed, uint64_t seen_after)
{
    for (uint32_t i = 0; i < SIM_MV_OPEN; i++) {
        struct sim_mv_released *l = &c->released[i];
        if (l->len_bytes > 0 && l->view_needed == 0) {
            l->view_needed = view_needed;
            l->seen_after = seen_after;
        }
    }
    c->release_pending = false;
}

/* Logs one commit of at most SIM_MV_BYTES and performs it. */
static void commit_one(struct sim_mv *mv, uint32_t cpu, uint8_t *p, const uint8_t *src,
                       uint32_t len, uint64_t carried, bool release, sim_time_ps now_ps)
{
    ASSERT(len <= SIM_MV_BYTES);
    uint64_t ts = ++mv->ts;
    struct sim_mv_entry *e = &mv->log[ts % SIM_MV_LOG];
    if (e->ts != 0)
        mv->evicted_ts = max64(mv->evicted_ts, e->ts);
    uint64_t own = cpu < SIM_MV_CPUS ? mv->cpu[cpu].fence_rel : ts;
    *e = (struct sim_mv_entry){.host = p, .len_bytes = len, .cpu = cpu, .ts = ts,
                               .carried = max64(carried, release ? ts : own),
                               .seen = cpu_bit(cpu), .at_ps = now_ps};
    memcpy(e->old, p, len);
    memcpy(p, src, len);
    ASSERT(e->carried <= ts);
    if (release && cpu < SIM_MV_CPUS && mv->cpu[cpu].release_pending)
        released_resolve(&mv->cpu[cpu], ts, ts);
}

static void commit_all(struct sim_mv *mv, uint32_t cpu, void *host, const void *src, size_t len,
                       uint64_t carried, bool release, sim_time_ps now_ps)
{
    uint8_t *p = host;
    const uint8_t *s = src;
    while (len > 0) {
        uint32_t n = len < SIM_MV_BYTES ? (uint32_t)len : SIM_MV_BYTES;
        commit_one(mv, cpu, p, s, n, carried, release, now_ps);
        p += n;
        s += n;
        len -= n;
    }
}

void sim_mv_commit(struct sim_mv *mv, uint32_t cpu, void *host, const void *src,
                   size_t len_bytes, enum sim_mv_store kind, sim_time_ps now_ps)
{
    ASSERT(mv != NULL && host != NULL && src != NULL);
    ASSERT(cpu < mv->cpus);
    commit_all(mv, cpu, host, src, len_bytes, 0, kind == SIM_MV_STORE_RELEASE, now_ps);
}

void sim_mv_rmw(struct sim_mv *mv, uint32_t cpu, void *host, const void *src, size_t len_bytes,
                bool acquire, bool release, sim_time_ps now_ps)
{
    ASSERT(mv != NULL && host != NULL && src != NULL);
    ASSERT(cpu < mv->cpus);
    struct sim_mv_cpu *c = &mv->cpu[cpu];
    /* an RMW reads the latest value: the newest commit to these bytes, or
     * one evicted from the log (whose view is at most evicted_ts) */
    uint64_t carried = mark_read(mv, cpu, mv->ts, host, len_bytes);
    carried = max64(carried, mv->evicted_ts);
    if (acquire)
        c->view = max64(c->view, carried);
    commit_all(mv, cpu, host, src, len_bytes, carried, release, now_ps);
    ASSERT(c->view <= mv->ts);
}

static void race_report(struct sim_mv *mv, uint32_t reader, const uint8_t *host, uint32_t len,
                        uint32_t writer, bool missing_acquire)
{
    mv->races++;
    mv->missing_acquires += missing_acquire;
    if (mv->races > 1)
        return;
    char where[48];
    if (mv->mem_base != NULL && host >= mv->mem_base &&
        (uint64_t)(host - mv->mem_base) < mv->mem_bytes)
        snprintf(where, sizeof where, "0x%" PRIx64, (uint64_t)(host - mv->mem_base));
    else
        snprintf(where, sizeof where, "a location outside memory");
    if (missing_acquire)
        snprintf(mv->race_msg, sizeof mv->race_msg,
                 "load->store reordering: cpu %u read %u bytes at %s before a release; "
                 "cpu %u read that release without acquiring it, then wrote those bytes "
                 "(an acquire is missing)", reader, len, where, writer);
    else
        snprintf(mv->race_msg, sizeof mv->race_msg,
                 "load->store reordering: cpu %u read %u bytes at %s before a relaxed store; "
                 "cpu %u saw the store, then wrote those bytes (a release is missing)",
                 reader, len, where, writer);
}

/* Other CPUs' released reads of [p, +len) that `cpu` observed the release
 * of without acquiring it. */
static void check_released(struct sim_mv *mv, uint32_t cpu, const uint8_t *p, size_t len)
{
    const struct sim_mv_cpu *w = &mv->cpu[cpu];
    for (uint32_t r = 0; r < mv->cpus; r++) {
        for (uint32_t i = 0; r != cpu && i < SIM_MV_OPEN; i++) {
            struct sim_mv_released *l = &mv->cpu[r].released[i];
            if (l->len_bytes == 0 || l->view_needed == 0 || l->proc == w->proc ||
                w->view >= l->view_needed || w->seen_from[r] < l->seen_after ||
                !overlap(l->host, l->len_bytes, p, len))
                continue;
            race_report(mv, r, l->host, l->len_bytes, cpu, true);
            l->len_bytes = 0;
        }
    }
}

/* Other CPUs' exposed open reads of [p, +len) that `cpu` is ordered after
 * only through a relaxed store. */
static void check_races(struct sim_mv *mv, uint32_t cpu, const uint8_t *p, size_t len)
{
    const struct sim_mv_cpu *w = &mv->cpu[cpu];
    for (uint32_t r = 0; r < mv->cpus; r++) {
        if (r == cpu)
            continue;
        for (uint32_t i = 0; i < SIM_MV_OPEN; i++) {
            struct sim_mv_open *o = &mv->cpu[r].open[i];
            if (o->proc == w->proc || o->proc != mv->cpu[r].running)
                continue; /* its own read, or its process left that CPU since */
            if (o->exposed_ts == 0 || w->seen_from[r] < o->exposed_ts ||
                !overlap(o->host, o->len_bytes, p, len))
                continue;
            race_report(mv, r, o->host, o->len_bytes, cpu, false);
            o->exposed_ts = 0;
            o->len_bytes = 0;
        }
    }
}

static void opens_close(struct sim_mv_cpu *c)
{
    for (uint32_t i = 0; i < SIM_MV_OPEN; i++) {
        c->open[i].len_bytes = 0;
        c->open[i].exposed_ts = 0;
    }
}

/* A release: the open reads become released ones, waiting for the
 * release's commit (view_needed 0) unless it is a fence (given). */
static void opens_release(struct sim_mv_cpu *c, uint64_t fence_view)
{
    for (uint32_t i = 0; i < SIM_MV_OPEN; i++) {
        const struct sim_mv_open *o = &c->open[i];
        if (o->len_bytes == 0 || o->proc != c->running)
            continue;
        c->released[c->released_next++ % SIM_MV_OPEN] = (struct sim_mv_released){
            .proc = o->proc, .host = o->host, .len_bytes = o->len_bytes,
            .view_needed = fence_view, .seen_after = fence_view + (fence_view != 0)};
    }
    c->release_pending = fence_view == 0;
    opens_close(c);
}

void sim_mv_store_issued(struct sim_mv *mv, uint32_t cpu, const void *host, size_t len_bytes,
                         bool release)
{
    ASSERT(mv != NULL && host != NULL);
    ASSERT(cpu < mv->cpus);
    struct sim_mv_cpu *c = &mv->cpu[cpu];
    check_races(mv, cpu, host, len_bytes);
    check_released(mv, cpu, host, len_bytes);
    if (release) {
        opens_release(c, 0);
        return;
    }
    for (uint32_t i = 0; i < SIM_MV_OPEN; i++)
        if (c->open[i].len_bytes > 0 && c->open[i].exposed_ts == 0)
            c->open[i].exposed_ts = mv->ts + 1;
}

void sim_mv_fence(struct sim_mv *mv, uint32_t cpu, enum port_order order)
{
    ASSERT(mv != NULL && cpu < mv->cpus);
    struct sim_mv_cpu *c = &mv->cpu[cpu];
    if (order == PORT_ACQUIRE || order == PORT_ACQ_REL || order == PORT_SEQ_CST)
        c->view = max64(c->view, c->pending);
    if (order == PORT_RELEASE || order == PORT_ACQ_REL || order == PORT_SEQ_CST) {
        c->fence_rel = mv->ts;
        if (mv->ts == 0)
            opens_close(c); /* nothing committed yet: nothing to order after */
        else
            opens_release(c, mv->ts);
    }
    if (order == PORT_SEQ_CST)
        c->view = mv->ts;
    ASSERT(c->view <= mv->ts);
}

void sim_mv_barrier(struct sim_mv *mv, uint32_t cpu)
{
    ASSERT(mv != NULL && cpu < mv->cpus);
    struct sim_mv_cpu *c = &mv->cpu[cpu];
    c->view = mv->ts;
    c->fence_rel = mv->ts;
    opens_close(c);
}

void sim_mv_enter(struct sim_mv *mv, uint32_t cpu, const void *proc)
{
    ASSERT(mv != NULL && cpu < mv->cpus);
    struct sim_mv_cpu *c = &mv->cpu[cpu];
    if (c->proc == proc)
        return;
    const void *before = c->proc;
    c->proc = proc;
    if (before != NULL)
        sim_mv_barrier(mv, cpu);
    else
        c->view = max64(c->view, mv->spawn_ts);
}

void sim_mv_spawn(struct sim_mv *mv, uint32_t cpu)
{
    ASSERT(mv != NULL && cpu < mv->cpus);
    sim_mv_barrier(mv, cpu);
    mv->spawn_ts = mv->ts;
}

void sim_mv_external_write(struct sim_mv *mv, const void *host, size_t len_bytes)
{
    ASSERT(mv != NULL && host != NULL);
    mv->hostw[mv->hostw_next++ % SIM_MV_HOST] = (struct sim_mv_host){
        .host = host, .len_bytes = len_bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)len_bytes,
        .ts = mv->ts};
    for (uint64_t ts = log_first(mv); ts <= mv->ts; ts++) {
        struct sim_mv_entry *e = entry_at(mv, ts);
        if (overlap(e->host, e->len_bytes, host, len_bytes))
            e->pinned = true;
    }
}
