/* A timing profile fitted to a device's measured times; see scsi_fit.h. */
#include "models/scsi/scsi_fit.h"

#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "models/scsi/scsi_cache.h"

#define HEAD_UNKNOWN UINT64_MAX
#define FIT_PAIRS_MAX 600u             /* Theil-Sen over at most this many points */
#define FIT_FLOOR_PS (1000u * 1000u)   /* 1 us: the score's smallest time */
/* Bounds that keep the integer arithmetic in range whatever a capture
 * says (a hostile file, a run of days): sizes, times and rates past them
 * are taken at them. */
#define FIT_BYTES_MAX (1ll << 30)
#define FIT_TIME_MAX (1ll << 52)        /* about 75 minutes */
#define FIT_PER_KIB_MAX (1ll << 32)     /* about 4 ms a KiB */

static const uint32_t grid_segments[] = {0, 1, 2, 4, 8, 16, 32, 64};
static const uint32_t grid_readahead_kib[] = {0, 32, 64, 128, 256, 512, 1024, 2048, 4096};

/* ---- walking the requests as the model would --------------------------------------------- */

struct fit_walk {
    struct scsi_cache cache;
    uint64_t head;
};

static void walk_init(struct fit_walk *w, const struct scsi_profile *p)
{
    scsi_cache_init(&w->cache, p->cache_segments,
                    (uint64_t)p->readahead_kib * 1024u / p->block_bytes);
    w->head = HEAD_UNKNOWN;
}

/* The class of r and the model's state after it (msc_bot.c's plan_time). */
static enum scsi_fit_class walk_one(struct fit_walk *w, const struct scsi_profile *p,
                                    const struct scsi_fit_req *r, uint64_t disk_blocks)
{
    if (r->op == 'f')
        return SCSI_FIT_FLUSH;
    if (r->op == 'r' && scsi_cache_hit(&w->cache, r->lba, r->blocks))
        return SCSI_FIT_HIT;
    if (r->op == 'w' && p->write_cache) { /* into the write cache: the head stays */
        scsi_cache_invalidate(&w->cache, r->lba, r->blocks);
        return SCSI_FIT_NEXT;
    }
    uint64_t near = (1u << 20) / p->block_bytes, from = w->head;
    uint64_t d = from == HEAD_UNKNOWN ? UINT64_MAX : from > r->lba ? from - r->lba : r->lba - from;
    enum scsi_fit_class k = d == 0 ? SCSI_FIT_NEXT : d <= near ? SCSI_FIT_NEAR : SCSI_FIT_FAR;
    w->head = r->lba + r->blocks;
    if (r->op == 'w')
        scsi_cache_invalidate(&w->cache, r->lba, r->blocks);
    else
        scsi_cache_fill(&w->cache, r->lba, r->blocks, disk_blocks);
    return k;
}

static sim_time_ps predict_one(const struct scsi_profile *p, enum scsi_fit_class k, uint64_t from,
                               const struct scsi_fit_req *r)
{
    uint64_t bytes = (uint64_t)r->blocks * p->block_bytes;
    if (k == SCSI_FIT_FLUSH)
        return p->flush_ps;
    if (k == SCSI_FIT_HIT)
        return p->hit_cmd_ps + bytes * p->hit_ps_per_kib / 1024u;
    if (r->op == 'w' && p->write_cache)
        return p->write_cmd_ps + bytes * p->write_ps_per_kib / 1024u;
    return scsi_profile_access_ps(p, r->op == 'w', from, r->lba, bytes);
}

enum iosim_err scsi_fit_predict(const struct scsi_profile *p, const struct scsi_fit_req *req,
                                size_t n, uint64_t disk_blocks, sim_time_ps *pred)
{
    ASSERT(p != NULL && (n == 0 || (req != NULL && pred != NULL)));
    if (p->block_bytes == 0)
        return IOSIM_EINVAL;
    struct fit_walk w;
    walk_init(&w, p);
    for (size_t i = 0; i < n; i++) {
        uint64_t from = w.head;
        pred[i] = predict_one(p, walk_one(&w, p, &req[i], disk_blocks), from, &req[i]);
    }
    return IOSIM_OK;
}

enum iosim_err scsi_fit_classify(const struct scsi_profile *p, const struct scsi_fit_req *req,
                                 size_t n, uint64_t disk_blocks, enum scsi_fit_class *cls)
{
    ASSERT(p != NULL && (n == 0 || (req != NULL && cls != NULL)));
    if (p->block_bytes == 0)
        return IOSIM_EINVAL;
    struct fit_walk w;
    walk_init(&w, p);
    for (size_t i = 0; i < n; i++)
        cls[i] = walk_one(&w, p, &req[i], disk_blocks);
    return IOSIM_OK;
}

/* ---- robust statistics on integers -------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The lower median of v[0..n) (sorted in place); 0 for none. */
static int64_t median(int64_t *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_i64);
    return v[(n - 1) / 2];
}

struct fit_pts {
    int64_t *x, *y;              /* bytes, ps */
    size_t n;
};

/* Theil-Sen: the median slope over pairs of different sizes (ps per KiB)
 * and the median intercept under it; false when all sizes are one. The
 * points are thinned evenly to FIT_PAIRS_MAX first. */
static bool theil_sen(const struct fit_pts *pt, int64_t *scratch, int64_t *cmd, int64_t *per_kib)
{
    size_t step = pt->n > FIT_PAIRS_MAX ? (pt->n + FIT_PAIRS_MAX - 1) / FIT_PAIRS_MAX : 1, m = 0;
    for (size_t i = 0; i < pt->n; i += step)
        for (size_t j = i + step; j < pt->n; j += step)
            if (pt->x[i] != pt->x[j])
                scratch[m++] = (pt->y[j] - pt->y[i]) * 1024 / (pt->x[j] - pt->x[i]);
    if (m == 0)
        return false;
    *per_kib = median(scratch, m);
    *per_kib = *per_kib < 0 ? 0 : *per_kib > FIT_PER_KIB_MAX ? FIT_PER_KIB_MAX : *per_kib;
    for (size_t i = 0; i < pt->n; i++)
        scratch[i] = pt->y[i] - pt->x[i] * *per_kib / 1024;
    *cmd = median(scratch, pt->n);
    *cmd = *cmd < 0 ? 0 : *cmd;
    return true;
}

/* ---- one shape ------------------------------------------------------------------------------ */

struct fit_scratch {
    size_t *order;               /* requests by kind (op, blocks), then position */
    uint64_t *ka, *kb;           /* one kind's predicted and measured times */
    enum scsi_fit_class *cls;
    uint64_t *from;              /* the head before each request */
    int64_t *x, *y, *work;       /* n each; work holds n*n/... pairs, sized below */
    sim_time_ps *pred;
};

static int64_t fit_bytes(const struct scsi_profile *p, const struct scsi_fit_req *r)
{
    uint64_t b = (uint64_t)r->blocks * p->block_bytes;
    return b < (uint64_t)FIT_BYTES_MAX ? (int64_t)b : FIT_BYTES_MAX;
}

static int64_t fit_time(sim_time_ps t)
{
    return t < (uint64_t)FIT_TIME_MAX ? (int64_t)t : FIT_TIME_MAX;
}

static int64_t fit_rate(sim_time_ps per_kib)
{
    return per_kib < (uint64_t)FIT_PER_KIB_MAX ? (int64_t)per_kib : FIT_PER_KIB_MAX;
}

/* The points of class k (reads only, or writes only). */
static struct fit_pts points(const struct fit_scratch *s, const struct scsi_fit_req *req, size_t n,
                             const struct scsi_profile *p, enum scsi_fit_class k, char op)
{
    struct fit_pts pt = {.x = s->x, .y = s->y};
    for (size_t i = 0; i < n; i++)
        if (s->cls[i] == k && req[i].op == op) {
            pt.x[pt.n] = fit_bytes(p, &req[i]);
            pt.y[pt.n++] = fit_time(req[i].device_ps);
        }
    return pt;
}

/* Median over reads of class k of what remains after the command and the data. */
static int64_t median_rest(const struct fit_scratch *s, const struct scsi_fit_req *req, size_t n,
                           const struct scsi_profile *p, enum scsi_fit_class k, size_t *count)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (s->cls[i] == k && req[i].op == 'r')
            s->work[m++] = fit_time(req[i].device_ps) - fit_time(p->read_cmd_ps) -
                           fit_bytes(p, &req[i]) * fit_rate(p->read_ps_per_kib) / 1024;
    *count = m;
    return median(s->work, m);
}

static void fit_reads(struct fit_scratch *s, const struct scsi_fit_req *req, size_t n,
                      struct scsi_profile *p)
{
    int64_t cmd, rate;
    struct fit_pts hit = points(s, req, n, p, SCSI_FIT_HIT, 'r');
    if (theil_sen(&hit, s->work, &cmd, &rate)) {
        p->hit_cmd_ps = (sim_time_ps)cmd;
        p->hit_ps_per_kib = (sim_time_ps)rate;
    } else if (hit.n > 0) {
        p->hit_cmd_ps = (sim_time_ps)median(hit.y, hit.n); /* one size: no rate to tell */
        p->hit_ps_per_kib = 0;
    }
    struct fit_pts next = points(s, req, n, p, SCSI_FIT_NEXT, 'r');
    if (next.n >= 3 && theil_sen(&next, s->work, &cmd, &rate)) {
        p->read_cmd_ps = (sim_time_ps)cmd;
        p->read_ps_per_kib = (sim_time_ps)rate;
    } else if (hit.n > 0) {
        p->read_cmd_ps = p->hit_cmd_ps; /* the firmware's own cost, whatever the platter does */
    }
    size_t nn, nf;
    int64_t near = median_rest(s, req, n, p, SCSI_FIT_NEAR, &nn);
    int64_t far = median_rest(s, req, n, p, SCSI_FIT_FAR, &nf);
    int64_t half = (int64_t)p->revolution_ps / 2, least = INT64_MAX;
    least = nn > 0 && near < least ? near : least;
    least = nf > 0 && far < least ? far : least;
    if (least != INT64_MAX && least < half) /* a faster disk than the base's */
        half = least < 0 ? 0 : least;
    p->revolution_ps = (sim_time_ps)half * 2;
    if (nn > 0)
        p->track_ps = (sim_time_ps)(near > half ? near - half : 0);
    if (nf > 0) {
        int64_t d = (int64_t)p->seek_write_ps - (int64_t)p->seek_read_ps;
        int64_t seek = far > half ? far - half : 0;
        p->seek_read_ps = (sim_time_ps)seek;
        p->seek_write_ps = (sim_time_ps)(seek + d > 0 ? seek + d : 0);
    }
}

/* Writes' fixed cost: the median of what the fitted positions leave. */
static void fit_writes(struct fit_scratch *s, const struct scsi_fit_req *req, size_t n,
                       struct scsi_profile *p)
{
    struct scsi_profile q = *p;
    q.write_cmd_ps = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (req[i].op == 'w')
            s->work[m++] = fit_time(req[i].device_ps) -
                           fit_time(predict_one(&q, s->cls[i], s->from[i], &req[i]));
    if (m > 0) {
        int64_t c = median(s->work, m);
        p->write_cmd_ps = (sim_time_ps)(c < 0 ? 0 : c);
    }
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (req[i].op == 'f')
            s->work[m++] = fit_time(req[i].device_ps);
    if (m > 0)
        p->flush_ps = (sim_time_ps)median(s->work, m);
}

/* How well predictions match: first the (kind, percentile) pairs - p50
 * of each kind, an operation and a size, and p90 of those with at least
 * SCSI_FIT_P90_MIN requests, what calibrate is judged by (and iosim
 * compare gates by default) - off by more than FIT_WITHIN_PCT, then the sum over requests of
 * |pred - real| / min(pred, real) in 1/1000 (both at least 1 us), so a
 * fast request weighs no more than a slow one. One number: the first in
 * the high bits. */
#define FIT_WITHIN_PCT 10u
#define FIT_ERR_BITS 40u

static uint64_t ratio_err(uint64_t a, uint64_t b)
{
    a = a > FIT_FLOOR_PS ? a : FIT_FLOOR_PS;
    b = b > FIT_FLOOR_PS ? b : FIT_FLOOR_PS;
    uint64_t lo = a < b ? a : b, d = a > b ? a - b : b - a;
    return d / lo > 1000000u ? 1000000000u : d * 1000u / lo; /* capped: no wrap */
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static uint64_t rank_of(uint64_t *v, size_t n, unsigned pct)
{
    size_t r = (n * pct + 99) / 100;
    return v[r == 0 ? 0 : r - 1];
}

static bool near_enough(uint64_t got, uint64_t want)
{
    uint64_t d = got > want ? got - want : want - got;
    return d * 100u <= (want > FIT_FLOOR_PS ? want : FIT_FLOOR_PS) * FIT_WITHIN_PCT;
}

static uint64_t score(const struct fit_scratch *s, const struct scsi_fit_req *req, size_t n)
{
    uint64_t err = 0, outside = 0;
    for (size_t i = 0; i < n; i++)
        err += ratio_err(s->pred[i], req[i].device_ps);
    for (size_t k = 0; k < n;) { /* the kinds: runs of s->order */
        size_t e = k, m = 0;
        const struct scsi_fit_req *first = &req[s->order[k]];
        while (e < n && req[s->order[e]].op == first->op && req[s->order[e]].blocks == first->blocks)
            e++;
        for (size_t j = k; j < e; j++, m++) {
            s->ka[m] = s->pred[s->order[j]];
            s->kb[m] = req[s->order[j]].device_ps;
        }
        qsort(s->ka, m, sizeof *s->ka, cmp_u64);
        qsort(s->kb, m, sizeof *s->kb, cmp_u64);
        /* a kind weighs as many requests as it has, up to SCSI_FIT_P90_MIN:
         * one request's percentile is that request's luck */
        uint64_t w = m < SCSI_FIT_P90_MIN ? m : SCSI_FIT_P90_MIN;
        outside += w * !near_enough(rank_of(s->ka, m, 50), rank_of(s->kb, m, 50));
        if (m >= SCSI_FIT_P90_MIN)
            outside += w * !near_enough(rank_of(s->ka, m, 90), rank_of(s->kb, m, 90));
        k = e;
    }
    uint64_t cap = (1ull << FIT_ERR_BITS) - 1;
    return outside << FIT_ERR_BITS | (err < cap ? err : cap);
}

static uint64_t predict_all(struct fit_scratch *s, const struct scsi_fit_req *req, size_t n,
                            const struct scsi_profile *p)
{
    for (size_t i = 0; i < n; i++)
        s->pred[i] = predict_one(p, s->cls[i], s->from[i], &req[i]);
    return score(s, req, n);
}

/* Nudges each cost of p in turn by a few factors (or, from 0, to a few
 * plain values), keeping what scores better: the medians fit the middle
 * of each class, the kinds' p90 want its tail too. */
static void refine(struct fit_scratch *s, const struct scsi_fit_req *req, size_t n,
                   struct scsi_profile *p, uint64_t *sc)
{
    static const uint64_t factor[] = {500, 700, 850, 950, 1050, 1200, 1500, 2000}; /* of 1000 */
    static const sim_time_ps from0[] = {10 * SIM_US, 100 * SIM_US, SIM_MS, 5 * SIM_MS};
    sim_time_ps *knob[] = {&p->hit_cmd_ps, &p->hit_ps_per_kib, &p->read_cmd_ps, &p->track_ps,
                           &p->seek_read_ps, &p->revolution_ps, &p->write_cmd_ps, &p->flush_ps};
    for (int pass = 0; pass < 3; pass++) {
        for (size_t k = 0; k < sizeof knob / sizeof knob[0]; k++) {
            size_t tries = *knob[k] == 0 ? sizeof from0 / sizeof from0[0]
                                         : sizeof factor / sizeof factor[0];
            for (size_t t = 0; t < tries; t++) {
                sim_time_ps was = *knob[k];
                *knob[k] = was == 0 ? from0[t] : was / 1000u * factor[t] + was % 1000u * factor[t] / 1000u;
                uint64_t trial = predict_all(s, req, n, p);
                if (trial < *sc)
                    *sc = trial;
                else
                    *knob[k] = was;
            }
        }
    }
}

/* The profile of one cache shape, with its classes and score. */
static void fit_shape(struct fit_scratch *s, const struct scsi_profile *base,
                      const struct scsi_fit_req *req, size_t n, uint64_t disk_blocks,
                      uint32_t segs, uint32_t ra_kib, struct scsi_profile *p, uint64_t *sc)
{
    *p = *base;
    p->cache_segments = segs;
    p->readahead_kib = ra_kib;
    struct fit_walk w;
    walk_init(&w, p);
    for (size_t i = 0; i < n; i++) {
        s->from[i] = w.head;
        s->cls[i] = walk_one(&w, p, &req[i], disk_blocks);
    }
    fit_reads(s, req, n, p);
    fit_writes(s, req, n, p);
    *sc = predict_all(s, req, n, p);
}

static void scratch_free(struct fit_scratch *s)
{
    free(s->order);
    free(s->ka);
    free(s->kb);
    free(s->cls);
    free(s->from);
    free(s->x);
    free(s->y);
    free(s->work);
    free(s->pred);
}

static bool scratch_alloc(struct fit_scratch *s, size_t n)
{
    size_t pts = n < FIT_PAIRS_MAX ? n : FIT_PAIRS_MAX, pairs = pts * pts / 2 + pts;
    size_t work = pairs > n ? pairs : n;
    memset(s, 0, sizeof *s);
    s->cls = calloc(n, sizeof *s->cls);
    s->from = calloc(n, sizeof *s->from);
    s->x = calloc(n, sizeof *s->x);
    s->y = calloc(n, sizeof *s->y);
    s->work = calloc(work, sizeof *s->work);
    s->pred = calloc(n, sizeof *s->pred);
    s->order = calloc(n, sizeof *s->order);
    s->ka = calloc(n, sizeof *s->ka);
    s->kb = calloc(n, sizeof *s->kb);
    return s->cls && s->from && s->x && s->y && s->work && s->pred && s->order && s->ka && s->kb;
}

/* Requests by kind (op, blocks), then by position: a stable merge sort of
 * indices (qsort has no context to compare them by). */
static bool kind_before(const struct scsi_fit_req *req, size_t i, size_t j)
{
    const struct scsi_fit_req *a = &req[i], *b = &req[j];
    if (a->op != b->op)
        return a->op < b->op;
    if (a->blocks != b->blocks)
        return a->blocks < b->blocks;
    return i < j;
}

static bool sort_kinds(const struct scsi_fit_req *req, size_t n, size_t *order)
{
    size_t *tmp = malloc(n * sizeof *tmp);
    if (tmp == NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid || j < hi)
                tmp[k++] = j >= hi || (i < mid && kind_before(req, order[i], order[j])) ? order[i++]
                                                                                         : order[j++];
        }
        for (size_t i = 0; i < n; i++)
            order[i] = tmp[i];
    }
    free(tmp);
    return true;
}

#define FIT_REFINED 3u /* the best shapes whose costs are refined */

struct fit_shape_pick {
    uint32_t segs, ra_kib;
    uint64_t score;
};

/* Keeps the FIT_REFINED best shapes, best first (ties: the earlier). */
static void keep_best(struct fit_shape_pick *best, size_t *nbest, struct fit_shape_pick p)
{
    size_t at = *nbest;
    while (at > 0 && p.score < best[at - 1].score)
        at--;
    if (at >= FIT_REFINED)
        return;
    size_t last = *nbest < FIT_REFINED ? *nbest : FIT_REFINED - 1;
    for (size_t i = last; i > at; i--)
        best[i] = best[i - 1];
    best[at] = p;
    *nbest += *nbest < FIT_REFINED;
}

enum iosim_err scsi_fit(const struct scsi_profile *base, const struct scsi_fit_req *req, size_t n,
                        uint64_t disk_blocks, struct scsi_profile *out, struct scsi_fit_stats *st)
{
    ASSERT(base != NULL && out != NULL && st != NULL && (n == 0 || req != NULL));
    memset(st, 0, sizeof *st);
    *out = *base;
    if (base->block_bytes == 0)
        return IOSIM_EINVAL;
    if (n == 0)
        return IOSIM_OK;
    struct fit_scratch s;
    if (!scratch_alloc(&s, n)) {
        scratch_free(&s);
        return IOSIM_ENOMEM;
    }
    if (!sort_kinds(req, n, s.order)) {
        scratch_free(&s);
        return IOSIM_ENOMEM;
    }
    struct fit_shape_pick picks[FIT_REFINED];
    size_t npicks = 0;
    for (size_t a = 0; a < sizeof grid_segments / sizeof grid_segments[0]; a++) {
        for (size_t b = 0; b < sizeof grid_readahead_kib / sizeof grid_readahead_kib[0]; b++) {
            if (grid_segments[a] == 0 && grid_readahead_kib[b] != 0)
                continue; /* no cache: read-ahead means nothing */
            struct scsi_profile p;
            struct fit_shape_pick k = {.segs = grid_segments[a], .ra_kib = grid_readahead_kib[b]};
            fit_shape(&s, base, req, n, disk_blocks, k.segs, k.ra_kib, &p, &k.score);
            st->shapes++;
            keep_best(picks, &npicks, k);
        }
    }
    uint64_t best = UINT64_MAX;
    for (size_t i = 0; i < npicks; i++) { /* ties keep the better unrefined shape */
        struct scsi_profile p;
        uint64_t sc;
        fit_shape(&s, base, req, n, disk_blocks, picks[i].segs, picks[i].ra_kib, &p, &sc);
        refine(&s, req, n, &p, &sc);
        if (sc < best) {
            best = sc;
            *out = p;
        }
    }
    /* the kept shape's classes, for the caller's report */
    struct fit_walk w;
    walk_init(&w, out);
    for (size_t i = 0; i < n; i++)
        st->count[walk_one(&w, out, &req[i], disk_blocks)]++;
    st->cache_segments = out->cache_segments;
    st->readahead_kib = out->readahead_kib;
    st->score = best;
    scratch_free(&s);
    return IOSIM_OK;
}
