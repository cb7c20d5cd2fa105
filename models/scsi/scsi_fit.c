/* A timing profile fitted to a device's measured times; see scsi_fit.h. */
#include "models/scsi/scsi_fit.h"

#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "models/scsi/scsi_cache.h"

#define HEAD_UNKNOWN UINT64_MAX
#define FIT_PAIRS_MAX 600u             /* Theil-Sen over at most this many points */
#define FIT_FLOOR_PS (1000u * 1000u)   /* 1 us: the score's smallest time */

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
    *per_kib = *per_kib < 0 ? 0 : *per_kib;
    for (size_t i = 0; i < pt->n; i++)
        scratch[i] = pt->y[i] - pt->x[i] * *per_kib / 1024;
    *cmd = median(scratch, pt->n);
    *cmd = *cmd < 0 ? 0 : *cmd;
    return true;
}

/* ---- one shape ------------------------------------------------------------------------------ */

struct fit_scratch {
    enum scsi_fit_class *cls;
    uint64_t *from;              /* the head before each request */
    int64_t *x, *y, *work;       /* n each; work holds n*n/... pairs, sized below */
    sim_time_ps *pred;
};

/* The points of class k (reads only, or writes only). */
static struct fit_pts points(const struct fit_scratch *s, const struct scsi_fit_req *req, size_t n,
                             const struct scsi_profile *p, enum scsi_fit_class k, char op)
{
    struct fit_pts pt = {.x = s->x, .y = s->y};
    for (size_t i = 0; i < n; i++)
        if (s->cls[i] == k && req[i].op == op) {
            pt.x[pt.n] = (int64_t)req[i].blocks * p->block_bytes;
            pt.y[pt.n++] = (int64_t)req[i].device_ps;
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
            s->work[m++] = (int64_t)req[i].device_ps - (int64_t)p->read_cmd_ps -
                           (int64_t)((uint64_t)req[i].blocks * p->block_bytes * p->read_ps_per_kib / 1024u);
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
            s->work[m++] = (int64_t)req[i].device_ps -
                           (int64_t)predict_one(&q, s->cls[i], s->from[i], &req[i]);
    if (m > 0) {
        int64_t c = median(s->work, m);
        p->write_cmd_ps = (sim_time_ps)(c < 0 ? 0 : c);
    }
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (req[i].op == 'f')
            s->work[m++] = (int64_t)req[i].device_ps;
    if (m > 0)
        p->flush_ps = (sim_time_ps)median(s->work, m);
}

/* Sum over requests of |pred - real| / min(pred, real), in 1/1000 (both
 * at least 1 us, so a fast request weighs no more than a slow one). */
static uint64_t score(const struct scsi_fit_req *req, size_t n, const sim_time_ps *pred)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t a = pred[i] > FIT_FLOOR_PS ? pred[i] : FIT_FLOOR_PS;
        uint64_t b = req[i].device_ps > FIT_FLOOR_PS ? req[i].device_ps : FIT_FLOOR_PS;
        uint64_t lo = a < b ? a : b, d = a > b ? a - b : b - a;
        uint64_t e = d / lo > 1000000u ? 1000000000u : d * 1000u / lo; /* capped: no wrap */
        sum += e;
    }
    return sum;
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
    for (size_t i = 0; i < n; i++)
        s->pred[i] = predict_one(p, s->cls[i], s->from[i], &req[i]);
    *sc = score(req, n, s->pred);
}

static void scratch_free(struct fit_scratch *s)
{
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
    return s->cls && s->from && s->x && s->y && s->work && s->pred;
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
    uint64_t best = UINT64_MAX;
    for (size_t a = 0; a < sizeof grid_segments / sizeof grid_segments[0]; a++) {
        for (size_t b = 0; b < sizeof grid_readahead_kib / sizeof grid_readahead_kib[0]; b++) {
            if (grid_segments[a] == 0 && grid_readahead_kib[b] != 0)
                continue; /* no cache: read-ahead means nothing */
            struct scsi_profile p;
            uint64_t sc;
            fit_shape(&s, base, req, n, disk_blocks, grid_segments[a], grid_readahead_kib[b], &p, &sc);
            st->shapes++;
            if (sc < best) { /* strictly: ties keep the smaller shape, tried first */
                best = sc;
                *out = p;
            }
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
