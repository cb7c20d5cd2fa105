/*
 * app_fio: the disk workload - an fio job (impl/apps/fio_job.h) run
 * against a `disk:` unit (impl/disk/disk_client.h), reported the way fio
 * reports it (trace tables fio_io and fio_result).
 *
 * Arguments: disk (the scheme, "disk"), lun (0), name (the job's, "job"),
 * wait (ns to wait for the scheme to appear, 10 s), window (1: buffers are
 * slices of the server's FMAP window, no copy; 0: of our own DMA memory,
 * copied once by the server), errors_ok (0; 1: failed I/Os are counted, not
 * fatal), prefilled (0; 1: with verify, the region was written by an
 * earlier job, so a block of zeros is a failure), and fio's keys: rw, bs,
 * size, offset, iodepth (up to 64 here: what disk: takes at once),
 * rwmixread, fsync, number_ios, verify, randseed, iolog - as text or
 * numbers. An iolog's I/O waits its think time after the one before.
 *
 * It keeps iodepth I/Os in flight, each buffer a guarded slice of a buffer
 * pool (at most 4 MiB, the largest window, so fewer are in flight when
 * iodepth * bs is more), submits a flush only once the writes before it
 * are acknowledged (fio quiesces before an fsync), and with verify never
 * has two writes of one block in flight (fio_verify.h says what a read may
 * then find). A write-only job with verify reads the region back after
 * its writes, as fio's verify phase does; those reads count as reads.
 * Every completion is a fio_io row and goes into its direction's latency
 * histogram; at the end one fio_result row per direction that had I/O.
 *
 * Exit status: 0 every I/O succeeded (or errors_ok) and verified; 1 a
 * verification failed, an I/O failed, or the server went away; 2 set-up
 * failed (a bad job, no such disk, a job that does not fit it).
 */
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/apps/fio_job.h"
#include "impl/apps/fio_verify.h"
#include "impl/bufpool/bufpool.h"
#include "impl/disk/disk_client.h"
#include "impl/port/port.h"
#include "impl/util/lat_hist.h"
#include "impl/util/strbuf.h"

#define FIO_DIRS 3u                       /* indexed by enum fio_op */
#define FIO_NS_PER_S 1000000000ull

static const char *const dir_names[FIO_DIRS] = {"read", "write", "flush"};
_Static_assert(FIO_OP_READ == 0 && FIO_OP_WRITE == 1 && FIO_OP_FLUSH == 2, "dir_names");

/* The app's own keys; every other one is the job's (fio_job_set). */
static const char *const own_keys[] = {"disk", "lun", "name", "wait", "window", "errors_ok",
                                       "prefilled", NULL};

struct fio_req {
    bool busy;
    uint64_t tag, submit_ns;
    struct fio_io io;
    struct bufpool_slice s;               /* none for a flush */
    uint32_t gen;                         /* verify: a write's generation, a read's lowest */
};

struct fio_stat {
    uint64_t ios, bytes, errors;
    struct lat_hist lat;
};

struct fio {
    struct fio_job j;
    const char *name;
    uint32_t depth;                       /* I/Os in flight at most */
    bool errors_ok, prefilled;
    struct disk_client c;
    struct disk_scheme_info info;
    struct bufpool pool;
    bool pool_up;
    struct port_dma scratch, vmem;        /* verify: one block; the generations */
    struct fio_verify v;
    struct fio_gen g;
    struct fio_io next;                   /* generated, not yet submitted */
    bool has_next, thought;               /* thought: next's think time is spent */
    struct fio_req req[DISK_CLIENT_SLOTS];
    uint32_t inflight;
    struct fio_stat st[FIO_DIRS];
    uint64_t start_ns, end_ns;
    bool started, verify_failed, io_failed, broken;
};

/* ---- the job from the arguments -------------------------------------------------------- */

static bool own_key(const char *key)
{
    for (uint32_t k = 0; own_keys[k] != NULL; k++)
        if (strcmp(key, own_keys[k]) == 0)
            return true;
    return false;
}

/* The job the arguments describe; false with the argument and why not. */
static bool job_of_args(const struct app_args *a, struct fio_job *j, uint32_t *bad,
                        const char **why)
{
    fio_job_defaults(j);
    for (uint32_t i = 0; a != NULL && i < a->count; i++) {
        if (own_key(a->key[i]))
            continue;
        char num[24];
        const char *text = a->str[i];
        if (text == NULL) {
            struct strbuf sb;
            strbuf_init(&sb, num, sizeof num);
            if (a->num[i] < 0)
                strbuf_put(&sb, "-");
            strbuf_dec(&sb, a->num[i] < 0 ? 0 - (uint64_t)a->num[i] : (uint64_t)a->num[i]);
            text = num;
        }
        *bad = i;
        if (fio_job_set(j, a->key[i], text, why) != IOSIM_OK)
            return false;
        if (strcmp(a->key[i], "iodepth") == 0 && j->iodepth > DISK_CLIENT_SLOTS) {
            *why = "iodepth: 1 to 64 (what disk: takes at once)";
            return false;
        }
    }
    return true;
}

bool app_fio_check(const struct app_args *a, struct app_arg_problem *p)
{
    struct fio_job j;
    uint32_t bad = 0;
    const char *why = NULL;
    if (job_of_args(a, &j, &bad, &why))
        return true;
    *p = (struct app_arg_problem){.arg = bad, .line = j.iolog_line, .col = j.iolog_col};
    struct strbuf sb;
    strbuf_init(&sb, p->msg, sizeof p->msg);
    strbuf_put(&sb, why);
    return false;
}

/* ---- submission ------------------------------------------------------------------------------ */

static bool write_in_flight(const struct fio *f, uint64_t off)
{
    for (uint32_t i = 0; i < DISK_CLIENT_SLOTS; i++)
        if (f->req[i].busy && f->req[i].io.op == FIO_OP_WRITE && f->req[i].io.offset == off)
            return true;
    return false;
}

/* May `io` go now? A flush waits for everything before it; with verify,
 * a write waits for an earlier write of its block. */
static bool may_start(const struct fio *f, const struct fio_io *io)
{
    if (io->op == FIO_OP_FLUSH)
        return f->inflight == 0;
    return !(f->j.verify && io->op == FIO_OP_WRITE && write_in_flight(f, io->offset));
}

static struct fio_req *free_req(struct fio *f)
{
    for (uint32_t i = 0; i < DISK_CLIENT_SLOTS; i++)
        if (!f->req[i].busy)
            return &f->req[i];
    return NULL;
}

/* The buffer, and with verify the generation bookkeeping and the pattern. */
static bool prepare(struct fio *f, struct fio_req *r)
{
    r->s = (struct bufpool_slice){0};
    r->gen = 0;
    if (r->io.op == FIO_OP_FLUSH)
        return true;
    if (bufpool_alloc(&f->pool, r->io.len, FIO_BS_MIN, &r->s) != IOSIM_OK)
        return false;
    (void)bufpool_guard(&f->pool, &r->s); /* lent to the server until it answers */
    if (!f->j.verify)
        return true;
    if (r->io.op == FIO_OP_READ) {
        r->gen = fio_verify_read_start(&f->v, r->io.offset);
        return true;
    }
    r->gen = fio_verify_write_start(&f->v, r->io.offset);
    fio_verify_fill(f->scratch.host, r->io.len, r->io.offset, r->gen, f->j.randseed);
    port_shm_write(r->s.host, f->scratch.host, r->io.len);
    return true;
}

static const uint8_t op_codes[FIO_DIRS] = {RING_OP_READ, RING_OP_WRITE, RING_OP_FSYNC};

/* Fills free slots with the job's next I/Os, then one wake of the server
 * for the lot; false when the ring broke. */
static bool submit_more(struct fio *f)
{
    bool pushed = false;
    while (f->inflight < f->depth && !f->verify_failed && !f->io_failed) {
        if (!f->has_next && !(f->has_next = fio_gen_next(&f->g, &f->next)))
            break;
        struct fio_req *r = free_req(f);
        if (!may_start(f, &f->next) || r == NULL)
            break;
        if (f->next.think_ns != 0 && !f->thought) {
            /* an iolog's host waited this long after the I/O before (iodepth 1) */
            port_sleep_ns(f->next.think_ns);
            f->thought = true;
        }
        r->io = f->next;
        if (!prepare(f, r))
            break; /* the pool is out of room: what is in flight frees some */
        r->submit_ns = port_clock_ns();
        if (!f->started) {
            f->started = true;
            f->start_ns = r->submit_ns;
        }
        if (disk_client_push(&f->c, op_codes[r->io.op], r->io.offset, r->s.host, r->io.len,
                             &r->tag) != IOSIM_OK)
            return false;
        r->busy = true;
        f->has_next = false;
        f->thought = false;
        f->inflight++;
        pushed = true;
    }
    return !pushed || disk_client_notify(&f->c) == IOSIM_OK;
}

/* ---- completion ---------------------------------------------------------------------------- */

static struct fio_req *req_of(struct fio *f, uint64_t tag)
{
    for (uint32_t i = 0; i < DISK_CLIENT_SLOTS; i++)
        if (f->req[i].busy && f->req[i].tag == tag)
            return &f->req[i];
    return NULL;
}

/* A read that came back whole: is its block one it may find? */
static bool verified(struct fio *f, const struct fio_req *r)
{
    uint32_t found;
    port_shm_read(f->scratch.host, r->s.host, r->io.len);
    return fio_verify_check(f->scratch.host, r->io.len, r->io.offset, f->j.randseed, &found) &&
           fio_verify_read_ok(&f->v, r->io.offset, r->gen, found);
}

static void account(struct fio *f, const struct fio_req *r, int64_t status, uint64_t now)
{
    bool ok = status == (int64_t)r->io.len;
    struct fio_stat *st = &f->st[r->io.op];
    uint64_t lat = now - r->submit_ns;
    st->ios++;
    st->bytes += ok ? r->io.len : 0;
    st->errors += !ok;
    lat_hist_add(&st->lat, lat);
    f->end_ns = now;
    struct port_trace_fio_io row = {.job = f->name, .op = dir_names[r->io.op],
                                    .offset = r->io.offset, .len = r->io.len, .status = status,
                                    .submit_ps = r->submit_ns * 1000u, .lat_ns = lat};
    port_trace_fio_io(&row);
    if (!ok && !f->errors_ok)
        f->io_failed = true;
}

static bool complete(struct fio *f, uint64_t tag, int64_t status)
{
    struct fio_req *r = req_of(f, tag);
    if (r == NULL)
        return false; /* an answer to nothing we asked */
    account(f, r, status, port_clock_ns());
    bool ok = status == (int64_t)r->io.len;
    if (f->j.verify && r->io.op == FIO_OP_WRITE)
        fio_verify_write_done(&f->v, r->io.offset, r->gen, ok);
    if (f->j.verify && r->io.op == FIO_OP_READ && ok && !verified(f, r))
        f->verify_failed = true;
    if (r->io.op != FIO_OP_FLUSH) {
        (void)bufpool_unguard(&f->pool, &r->s); /* the server answered: it is done with it */
        (void)bufpool_free(&f->pool, &r->s);
    }
    r->busy = false;
    f->inflight--;
    return true;
}

/* Every answer that is there, at least one. */
static bool take(struct fio *f)
{
    uint64_t tag;
    int64_t status;
    if (disk_client_wait_any(&f->c, &tag, &status) != IOSIM_OK || !complete(f, tag, status))
        return false;
    /* bounded: at most the requests in flight are answered */
    for (uint32_t n = 0; n < DISK_CLIENT_SLOTS; n++) {
        enum iosim_err e = disk_client_poll(&f->c, &tag, &status);
        if (e == IOSIM_EAGAIN)
            return true;
        if (e != IOSIM_OK || !complete(f, tag, status))
            return false;
    }
    return true;
}

/* Runs the generator f->g to its end; false when the ring broke. */
static bool run_pass(struct fio *f)
{
    f->has_next = false;
    for (;;) {
        if (!submit_more(f))
            return false;
        if (f->inflight == 0) /* nothing left, or a failure stopped submitting */
            return !f->has_next || f->verify_failed || f->io_failed; /* else: stuck */
        if (!take(f))
            return false;
    }
}

/* ---- set-up and the report ---------------------------------------------------------------- */

/* a per second of `ns`, in units of `unit`: a * 1e9 / (ns * unit), exact
 * while the remainder's product fits, else rounded down a little. */
static uint64_t per_second(uint64_t a, uint64_t ns, uint64_t unit)
{
    uint64_t den = (ns == 0 ? 1 : ns) * unit;
    uint64_t q = a / den, r = a % den;
    while (r > UINT64_MAX / FIO_NS_PER_S) { /* bounded: at most 64 halvings */
        r >>= 1;
        den >>= 1;
    }
    return q * FIO_NS_PER_S + r * FIO_NS_PER_S / den;
}

static void report(const struct fio *f)
{
    uint64_t runtime = f->end_ns - f->start_ns;
    for (uint32_t d = 0; d < FIO_DIRS; d++) {
        const struct fio_stat *st = &f->st[d];
        if (st->ios == 0)
            continue;
        const struct lat_hist *h = &st->lat;
        struct port_trace_fio_result row = {
            .job = f->name, .dir = dir_names[d], .ios = st->ios, .bytes = st->bytes,
            .errors = st->errors, .runtime_ns = runtime,
            .iops = per_second(st->ios, runtime, 1), .bw_kib_s = per_second(st->bytes, runtime, 1024),
            .lat_min_ns = h->min, .lat_mean_ns = h->sum / h->count, .lat_max_ns = h->max,
            .p50_ns = lat_hist_percentile(h, 50000), .p90_ns = lat_hist_percentile(h, 90000),
            .p99_ns = lat_hist_percentile(h, 99000), .p999_ns = lat_hist_percentile(h, 99900)};
        port_trace_fio_result(&row);
    }
}

/* Buffers: a pool over the server's window, or over our own DMA memory. */
static enum iosim_err pool_up(struct fio *f, bool window)
{
    uint32_t len = fio_job_max_len(&f->j);
    uint64_t want = (uint64_t)f->depth * len;
    uint64_t bytes = want < DISK_SCHEME_WINDOW_MAX ? want : DISK_SCHEME_WINDOW_MAX;
    bytes = bytes / len * len; /* whole buffers; at most 1 MiB each, so at least one */
    struct bufpool_opts o;
    bufpool_opts_default(&o);
    o.align_min = o.align_max = FIO_BS_MIN;
    o.size_min = FIO_BS_MIN;
    o.size_max = len;
    o.slices_max = 2 * DISK_CLIENT_SLOTS;
    o.chunks_max = 1;
    o.name = "fio";
    enum iosim_err e = bufpool_init(&f->pool, &o);
    if (e != IOSIM_OK)
        return e;
    f->pool_up = true;
    uint32_t chunk;
    if (!window)
        return bufpool_chunk_add_dma(&f->pool, (size_t)bytes, &chunk);
    void *win;
    e = disk_client_window(&f->c, bytes, &win);
    return e == IOSIM_OK ? bufpool_chunk_add(&f->pool, win, (size_t)bytes, f->c.window_addr,
                                             NULL, NULL, &chunk)
                         : e;
}

static enum iosim_err verify_up(struct fio *f)
{
    uint64_t blocks = f->j.size / f->j.bs;
    if (blocks > FIO_VERIFY_BLOCKS_MAX)
        return IOSIM_EINVAL;
    enum iosim_err e = port_dma_alloc((size_t)blocks * 2 * sizeof(uint32_t), 0, &f->vmem);
    if (e == IOSIM_OK)
        e = port_dma_alloc(f->j.bs, 0, &f->scratch);
    if (e == IOSIM_OK)
        fio_verify_init(&f->v, f->j.offset, f->j.size, f->j.bs, f->prefilled, f->vmem.host);
    return e;
}

static enum iosim_err set_up(struct fio *f, void *args)
{
    uint32_t bad;
    const char *why;
    if (!job_of_args(args, &f->j, &bad, &why))
        return IOSIM_EINVAL;
    f->name = app_arg_str(args, "name", "job");
    f->depth = f->j.iodepth;
    f->errors_ok = app_arg_int(args, "errors_ok", 0) != 0;
    f->prefilled = app_arg_int(args, "prefilled", 0) != 0;
    int64_t lun = app_arg_int(args, "lun", 0), wait = app_arg_int(args, "wait", 10 * 1000000000ll);
    if (lun < 0 || lun > UINT32_MAX || wait < 0)
        return IOSIM_EINVAL;
    enum iosim_err e = disk_client_open(&f->c, app_arg_str(args, "disk", DISK_SCHEME_NAME),
                                        (uint32_t)lun, (uint64_t)wait);
    if (e == IOSIM_OK)
        e = disk_client_info(&f->c, &f->info);
    if (e != IOSIM_OK)
        return e;
    if (fio_job_check(&f->j, f->info.blocks * f->info.block_bytes, &why) != IOSIM_OK ||
        f->info.block_bytes == 0 ||
        (f->j.iolog == NULL && (f->j.bs % f->info.block_bytes != 0 ||
                                f->j.offset % f->info.block_bytes != 0)))
        return IOSIM_EINVAL;
    for (uint32_t d = 0; d < FIO_DIRS; d++)
        lat_hist_init(&f->st[d].lat);
    e = pool_up(f, app_arg_int(args, "window", 1) != 0);
    return e == IOSIM_OK && f->j.verify ? verify_up(f) : e;
}

/* A write-only job with verify reads its region back, as fio's verify phase. */
static bool verify_phase(struct fio *f)
{
    if (!f->j.verify || (f->j.rw != FIO_RW_WRITE && f->j.rw != FIO_RW_RANDWRITE))
        return true;
    struct fio_job back = f->j;
    back.rw = FIO_RW_READ;
    back.number_ios = 0;
    back.fsync = 0;
    fio_gen_init(&f->g, &back);
    return run_pass(f);
}

static int32_t run(struct fio *f, void *args)
{
    if (set_up(f, args) != IOSIM_OK)
        return 2;
    fio_gen_init(&f->g, &f->j);
    bool ok = run_pass(f);
    if (ok && !f->verify_failed && !f->io_failed)
        ok = verify_phase(f);
    f->broken = !ok;
    report(f);
    return f->broken || f->verify_failed || f->io_failed ? 1 : 0;
}

/* Slices still lent when the ring broke: nobody can say the server is done. */
static void forfeit_all(struct fio *f)
{
    for (uint32_t i = 0; i < DISK_CLIENT_SLOTS; i++) {
        struct fio_req *r = &f->req[i];
        if (r->busy && r->io.op != FIO_OP_FLUSH) {
            (void)bufpool_forfeit(&f->pool, &r->s);
            (void)bufpool_free(&f->pool, &r->s);
        }
        r->busy = false;
    }
}

int32_t app_fio(void *args)
{
    struct port_dma mem;
    if (port_dma_alloc(sizeof(struct fio), 0, &mem) != IOSIM_OK)
        return 2;
    struct fio *f = mem.host; /* zeroed */
    int32_t st = run(f, args);
    if (f->broken)
        forfeit_all(f);
    if (f->pool_up)
        (void)bufpool_destroy(&f->pool);
    disk_client_close(&f->c);
    port_dma_free(&f->scratch);
    port_dma_free(&f->vmem);
    port_dma_free(&mem);
    return st;
}
