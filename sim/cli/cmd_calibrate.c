/*
 * `iosim calibrate DB --run REAL -o PROFILE.yaml`: a mass-storage timing
 * profile (models/scsi/scsi_profile.h) fitted to an imported capture, so
 * that the simulated device takes the times the real one took.
 *
 * The run's reads, writes and flushes (its scsi_cmd rows) become the
 * replay workload `iosim replay-capture` writes (sim/cli/replay_scenario).
 * Run once on a profile that costs nothing, it tells what the simulated
 * host, controller and bus take of each request; the real latency less
 * that is what the device itself took. models/scsi/scsi_fit.h fits the
 * profile to those times (command costs, rates, seeks, the read cache).
 * The workload is then run again on the fitted profile, and each request
 * kind's (operation and size) p50 and p90 are set against the capture's:
 * the figures the command prints, and how many kinds land within 10 %.
 * Both runs are written to DB (`iosim compare DB --run REAL --run N`
 * compares them in full). PROFILE.yaml is a profile file a scenario's
 * usb_storage device takes (`profile: PROFILE.yaml`), written whole or
 * not at all.
 *
 * What it does not fit: the controller. The simulated xHCI controller's
 * own latencies (its profile, docs/xhci-profiles.md) stay as they are;
 * whatever the real controller took beyond them lands in the device's
 * command costs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/spec/scsi.h"
#include "models/scsi/scsi_fit.h"
#include "sim/capture/replay.h"
#include "sim/cli/cli.h"
#include "sim/cli/outfile.h"
#include "sim/cli/replay_scenario.h"
#include "sim/trace/trace.h"

#define CAL_WITHIN_PCT 10u
#define CAL_LATENCY_MAX (3600ull * SIM_S) /* an hour: the arithmetic stays in range */

struct cal_args {
    const char *db, *out, *base, *speed;
    uint64_t run;
    bool run_set;
};

static int parse_cal_args(int argc, char **argv, struct cal_args *a)
{
    const struct cli_opt opts[] = {
        cli_run_id_opt("the imported capture's run (the run table's id)", &a->run, &a->run_set),
        {.letter = 'o', .metavar = "PROFILE.yaml", .parse = cli_opt_text, .dest = &a->out,
         .help = "the profile file to write"},
        {.name = "base", .metavar = "PROFILE", .parse = cli_opt_text, .dest = &a->base,
         .help = "the built-in profile to start from (usb-hdd)"},
        {.name = "speed", .metavar = "SPEED", .parse = cli_opt_text, .dest = &a->speed,
         .help = "full, high (default) or super: the speed the device ran at"},
        {0},
    };
    const struct cli_command cmd = {
        .name = "calibrate",
        .about = "Fits a mass-storage timing profile to an imported capture: the capture's\n"
                 "requests are replayed on the simulated stack with a device that takes no\n"
                 "time, the real latencies less the simulated host's give the device's own\n"
                 "times, a profile (command costs, rates, seeks, a read cache) is fitted to\n"
                 "them, and the replay runs again on it to set its latencies against the\n"
                 "capture's, per request kind. Both runs are added to DB.\n",
        .notes = "Prints the fitted profile, a table of kinds (count, p50 and p90 real and\n"
                 "simulated) and `calibrate: K of N kinds within 10% at p50 and p90`. Exit 0\n"
                 "when PROFILE.yaml was written; 2 for usage, a missing database or run, or a\n"
                 "run without reads, writes or flushes.\n",
        .opts = opts,
        .operand = {.metavar = "DB", .parse = cli_opt_text, .dest = &a->db},
        .max_operands = 1,
        .missing = "no database given",
    };
    int st = cli_opts_parse(&cmd, argc, argv);
    if (st != CLI_OPTS_GO_ON)
        return st;
    if (!a->run_set)
        return cli_opts_mistake(&cmd, "give the capture's run: --run ID");
    if (a->out == NULL)
        return cli_opts_mistake(&cmd, "give the profile to write: -o PROFILE.yaml");
    if (a->base != NULL && scsi_profile_find(a->base) == NULL)
        return cli_opts_mistake(&cmd, "--base wants a built-in profile, got '%s'", a->base);
    if (a->speed != NULL && !cli_replay_speed_ok(a->speed))
        return cli_opts_mistake(&cmd, "--speed wants full, high or super");
    return st;
}

/* ---- a run's SCSI commands ---------------------------------------------------------------- */

struct cal_rows {
    struct cap_scsi sc;          /* the run's commands, in row order */
    bool oom;
};

static uint64_t col_u(const struct sim_trace_value *v) { return (uint64_t)v->value; }

static void take_row(void *ctx, uint32_t table, sim_time_ps t_ps, const struct sim_trace_value *c,
                     uint32_t ncols)
{
    (void)t_ps;
    struct cal_rows *r = ctx;
    if (table != SIM_TRACE_TABLE_scsi_cmd || ncols < 16 || r->oom)
        return;
    struct cap_scsi *sc = &r->sc;
    if (sc->n == sc->cap) {
        size_t cap = sc->cap == 0 ? 256 : sc->cap * 2;
        struct cap_scsi_cmd *p = realloc(sc->c, cap * sizeof *p);
        if (p == NULL) {
            r->oom = true;
            return;
        }
        sc->c = p;
        sc->cap = cap;
    }
    bool good = c[10].str != NULL && strcmp(c[10].str, "good") == 0;
    uint64_t start = col_u(&c[14]) / 1000u, end = col_u(&c[15]) / 1000u;
    end = end > start ? end : start; /* a file's rows are not to be trusted */
    sc->c[sc->n++] = (struct cap_scsi_cmd){
        .lun = (uint8_t)col_u(&c[1]), .tag = (uint32_t)col_u(&c[2]), .opcode = (uint8_t)col_u(&c[4]),
        .lba = col_u(&c[5]), .blocks = (uint32_t)col_u(&c[6]), .dir = "in",
        .len = (uint32_t)col_u(&c[8]), .status = good ? "good" : "other",
        .start_ns = start, .end_ns = end};
}

/* The run's scsi_cmd rows; false after saying why. */
static bool read_rows(const char *db, int64_t run, struct cal_rows *out)
{
    char msg[256];
    memset(out, 0, sizeof *out);
    if (sim_trace_file_run_rows(db, run, take_row, out, NULL, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "iosim calibrate: %s: run %" PRId64 ": %s\n", db, run, msg);
        return false;
    }
    if (out->oom)
        fprintf(stderr, "iosim calibrate: out of memory\n");
    return !out->oom;
}

static bool data_op(uint8_t op)
{
    return op == SCSI_OP_READ_10 || op == SCSI_OP_READ_16 || op == SCSI_OP_WRITE_10 ||
           op == SCSI_OP_WRITE_16 || op == SCSI_OP_SYNC_CACHE_10 || op == SCSI_OP_SYNC_CACHE_16;
}

/* ---- profiles as YAML --------------------------------------------------------------------- */

/* p as a profile mapping over base: a file's lines, or one flow mapping. */
static void put_profile(FILE *f, const struct scsi_profile *p, const char *name, const char *base,
                        bool flow)
{
    const char *sep = flow ? ", " : "\n", *end = flow ? "}" : "\n";
    struct { const char *key; uint64_t v; bool time; } k[] = {
        {"read_cmd", p->read_cmd_ps, true}, {"write_cmd", p->write_cmd_ps, true},
        {"read_ps_per_kib", p->read_ps_per_kib, false}, {"write_ps_per_kib", p->write_ps_per_kib, false},
        {"seek_read", p->seek_read_ps, true}, {"seek_write", p->seek_write_ps, true},
        {"track", p->track_ps, true}, {"revolution", p->revolution_ps, true},
        {"flush", p->flush_ps, true}, {"cache_segments", p->cache_segments, false},
        {"hit_cmd", p->hit_cmd_ps, true}, {"hit_ps_per_kib", p->hit_ps_per_kib, false},
    };
    fprintf(f, "%sname: %s%sbase: %s", flow ? "{" : "", name, sep, base);
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        fprintf(f, "%s%s: %" PRIu64 "%s", sep, k[i].key, k[i].v, k[i].time ? "ps" : "");
    fprintf(f, "%sreadahead: %uKiB%swrite_cache: %s%s", sep, p->readahead_kib, sep,
            p->write_cache ? "true" : "false", end);
}

/* ---- a replay run ------------------------------------------------------------------------- */

/* How a calibrated run matches the capture: kinds (an operation and a
 * size) within CAL_WITHIN_PCT at p50, and at p90 among those with at
 * least SCSI_FIT_P90_MIN requests (iosim compare's default gate), and
 * requests within it one by one. */
struct cal_score {
    size_t kinds, p50_in, p90_kinds, p90_in, reqs_in;
};

static bool score_better(const struct cal_score *a, const struct cal_score *b)
{
    size_t x = a->p50_in + a->p90_in, y = b->p50_in + b->p90_in;
    return x != y ? x > y : a->reqs_in > b->reqs_in;
}

struct cal {
    const struct cal_args *a;
    const char *base;
    struct cap_replay r;
    struct cal_rows real;
    sim_time_ps *real_ps, *sim_ps; /* per request, in replay order */
    sim_time_ps *target;           /* what the fit asks of the device, per request */
    struct scsi_profile fitted;
    struct scsi_fit_stats st;
    int64_t overhead_run;
    /* the best round so far */
    struct cal_score best_score;
    struct scsi_profile best;
    struct scsi_fit_stats best_st;
    sim_time_ps *best_ps;
    int64_t best_run;
    unsigned best_round;
};

/* The data commands of a simulated run, one per replayed request, their
 * latencies into lat; false (said) when they do not map one to one. */
static bool latencies_of(struct cal *c, int64_t run, sim_time_ps *lat)
{
    struct cal_rows rows;
    if (!read_rows(c->a->db, run, &rows))
        return false;
    size_t k = 0;
    for (size_t i = 0; i < rows.sc.n; i++) {
        const struct cap_scsi_cmd *m = &rows.sc.c[i];
        if (!data_op(m->opcode))
            continue;
        if (k < c->r.n)
            lat[k] = (m->end_ns - m->start_ns) * 1000u;
        k++;
    }
    free(rows.sc.c);
    if (k != c->r.n)
        fprintf(stderr, "iosim calibrate: run %" PRId64 " sent %zu reads, writes and flushes for the "
                        "%zu replayed: they do not pair\n", run, k, c->r.n);
    return k == c->r.n;
}

/* Runs the replay on profile p; its id in DB and each request's latency
 * into lat (replay order); false after saying why. */
static bool run_replay(struct cal *c, const struct scsi_profile *p, const char *pname,
                       int64_t *run_id, sim_time_ps *lat)
{
    char *text = NULL, *map = NULL;
    size_t len = 0, maplen = 0;
    FILE *mf = open_memstream(&map, &maplen);
    if (mf == NULL)
        return false;
    put_profile(mf, p, pname, c->base, true);
    fclose(mf);
    FILE *f = open_memstream(&text, &len);
    if (f == NULL) {
        free(map);
        return false;
    }
    char name[64];
    snprintf(name, sizeof name, "calibrate-%s", pname);
    struct cli_replay_scenario o = {.source = c->a->db, .format = "trace run", .name = name,
                                    .speed = c->a->speed,
                                    .profile_map = map};
    cli_replay_scenario_put(f, &o, &c->r);
    fclose(f);
    free(map);
    struct sim_scenario *s = NULL;
    struct yml_error err = {{0}};
    bool ok = sim_scenario_load_string(name, text, len, &s, &err) == IOSIM_OK;
    if (!ok)
        fprintf(stderr, "iosim calibrate: the replay scenario does not load: %s\n", err.msg);
    free(text);
    struct sim_trace_db *db = NULL;
    char msg[256];
    if (ok && sim_trace_db_open(c->a->db, &db, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "iosim calibrate: %s\n", msg);
        ok = false;
    }
    static struct sim_run_result res;
    struct sim_run_opts ro = {.db = db, .program = "iosim"};
    if (ok && (sim_run(s, &ro, &res) != IOSIM_OK || !res.passed)) {
        fprintf(stderr, "iosim calibrate: the replay on profile %s %s: %s\n", pname,
                res.message[0] != '\0' ? "failed" : "did not pass",
                res.message[0] != '\0' ? res.message : res.failures[0]);
        ok = false;
    }
    sim_trace_db_close(db);
    sim_scenario_free(s);
    *run_id = res.run_id;
    return ok && latencies_of(c, res.run_id, lat);
}

/* ---- the fit ------------------------------------------------------------------------------ */

/* Request i as the fit sees it: in the simulated device's blocks (the
 * replay's offsets are the capture's LBAs in its own block size). */
static struct scsi_fit_req req_of(const struct cal *c, size_t i)
{
    const struct cap_replay_io *io = &c->r.io[i];
    uint32_t bs = c->r.block_bytes == 4096 ? 4096 : 512;
    return (struct scsi_fit_req){.op = io->op, .lba = io->lba * c->r.block_bytes / bs,
                                 .blocks = (uint32_t)((uint64_t)io->blocks * c->r.block_bytes / bs)};
}

/* Fits c->fitted to the device times c->target; false after saying why. */
static bool fit(struct cal *c)
{
    struct scsi_fit_req *req = calloc(c->r.n, sizeof *req);
    if (req == NULL)
        return false;
    for (size_t i = 0; i < c->r.n; i++) {
        req[i] = req_of(c, i);
        req[i].device_ps = c->target[i];
    }
    struct scsi_profile base = *scsi_profile_find(c->base);
    base.block_bytes = c->r.block_bytes == 4096 ? 4096 : 512;
    enum iosim_err e = scsi_fit(&base, req, c->r.n, cli_replay_scenario_blocks(&c->r),
                                &c->fitted, &c->st);
    free(req);
    if (e != IOSIM_OK)
        fprintf(stderr, "iosim calibrate: the fit failed: %s\n", iosim_err_text(e));
    return e == IOSIM_OK;
}

/* ---- kinds: the capture against a calibrated run ------------------------------------------ */

static int cmp_ps(const void *a, const void *b)
{
    sim_time_ps x = *(const sim_time_ps *)a, y = *(const sim_time_ps *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile (pct of 100) of v[0..n), sorted. */
static sim_time_ps pctl(const sim_time_ps *v, size_t n, unsigned pct)
{
    size_t rank = (n * pct + 99) / 100;
    return v[rank == 0 ? 0 : rank - 1];
}

static bool within(sim_time_ps got, sim_time_ps want)
{
    sim_time_ps d = got > want ? got - want : want - got;
    return d * 100u <= want * CAL_WITHIN_PCT;
}

static void put_us(char *buf, size_t cap, sim_time_ps ps)
{
    snprintf(buf, cap, "%.1fus", (double)ps / (double)SIM_US);
}

/* The kind of requests marked in mine: scored into sc, and a table row
 * when printing. */
static void kind_row(const struct cal *c, const sim_time_ps *sim, const bool *mine, sim_time_ps *a,
                     sim_time_ps *b, const char *label, struct cal_score *sc, bool print)
{
    size_t m = 0;
    for (size_t i = 0; i < c->r.n; i++)
        if (mine[i]) {
            a[m] = c->real_ps[i];
            b[m++] = sim[i];
        }
    qsort(a, m, sizeof *a, cmp_ps);
    qsort(b, m, sizeof *b, cmp_ps);
    sim_time_ps ra = pctl(a, m, 50), rb = pctl(b, m, 50), qa = pctl(a, m, 90), qb = pctl(b, m, 90);
    bool p90 = m >= SCSI_FIT_P90_MIN, in50 = within(rb, ra), in90 = within(qb, qa);
    sc->kinds++;
    sc->p50_in += in50;
    sc->p90_kinds += p90;
    sc->p90_in += p90 && in90;
    if (!print)
        return;
    char t[4][24];
    put_us(t[0], sizeof t[0], ra);
    put_us(t[1], sizeof t[1], rb);
    put_us(t[2], sizeof t[2], qa);
    put_us(t[3], sizeof t[3], qb);
    printf("  %-28s %6zu %12s %12s %12s %12s  p50 %s, p90 %s\n", label, m, t[0], t[1], t[2], t[3],
           in50 ? "within" : "outside", !p90 ? "-" : in90 ? "within" : "outside");
}

/* Every kind, in first-appearance order: the score of the run whose
 * latencies are sim; the table too when printing. */
static void kinds_walk(const struct cal *c, const sim_time_ps *sim, struct cal_score *sc, bool print)
{
    size_t n = c->r.n;
    memset(sc, 0, sizeof *sc);
    bool *done = calloc(n, sizeof *done), *mine = calloc(n, sizeof *mine);
    sim_time_ps *a = calloc(n, sizeof *a), *b = calloc(n, sizeof *b);
    if (done == NULL || mine == NULL || a == NULL || b == NULL)
        n = 0;
    if (print)
        printf("  %-28s %6s %12s %12s %12s %12s\n", "kind", "count", "real p50", "sim p50",
               "real p90", "sim p90");
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        const struct cap_replay_io *k = &c->r.io[i];
        for (size_t j = i; j < n; j++) {
            const struct cap_replay_io *o = &c->r.io[j];
            mine[j] = !done[j] && o->opcode == k->opcode && o->blocks == k->blocks;
            done[j] = done[j] || mine[j];
        }
        char label[64];
        snprintf(label, sizeof label, "%s %" PRIu64 " B", scsi_op_name(k->opcode),
                 (uint64_t)k->blocks * c->r.block_bytes);
        kind_row(c, sim, mine, a, b, label, sc, print);
        memset(mine, 0, n * sizeof *mine);
    }
    for (size_t i = 0; i < n; i++)
        sc->reqs_in += within(sim[i], c->real_ps[i]);
    free(done);
    free(mine);
    free(a);
    free(b);
}

static void print_score(const char *what, const struct cal_score *s, size_t n)
{
    printf("%s: p50 of %zu of %zu kinds within %u%%; p90 of %zu of %zu kinds of %u or more "
           "requests; %zu of %zu requests within %u%%\n",
           what, s->p50_in, s->kinds, CAL_WITHIN_PCT, s->p90_in, s->p90_kinds, SCSI_FIT_P90_MIN,
           s->reqs_in, n, CAL_WITHIN_PCT);
}

/* ---- the profile file --------------------------------------------------------------------- */

static bool put_file(FILE *f, void *ctx)
{
    const struct cal *c = ctx;
    const struct cal_score *s = &c->best_score;
    fprintf(f, "# Written by iosim calibrate from run %" PRIu64 " of %s: %zu requests.\n"
               "# Replayed on it (run %" PRId64 "): p50 of %zu of %zu request kinds within %u %%\n"
               "# of the capture, p90 of %zu of %zu kinds of %u or more requests, %zu of %zu\n"
               "# requests. A usb_storage device takes it as `profile: FILE`\n"
               "# (docs/scsi-profiles.md).\n",
            c->a->run, c->a->db, c->r.n, c->best_run, s->p50_in, s->kinds, CAL_WITHIN_PCT,
            s->p90_in, s->p90_kinds, SCSI_FIT_P90_MIN, s->reqs_in, c->r.n);
    char name[48];
    snprintf(name, sizeof name, "calibrated-run-%" PRIu64, c->a->run);
    put_profile(f, &c->best, name, c->base, false);
    return true;
}

static void print_fit(const struct cal *c)
{
    const struct scsi_profile *p = &c->best;
    const struct scsi_fit_stats *s = &c->best_st;
    printf("calibrate: fitted over %s: read cache %u x %u KiB (hit %.1f us + %.3f us/KiB), read "
           "%.1f us + %.3f us/KiB, write %.1f us, seek %.3f ms, track %.3f ms, revolution %.3f ms, "
           "flush %.3f ms\n",
           c->base, p->cache_segments, p->readahead_kib, (double)p->hit_cmd_ps / SIM_US,
           (double)p->hit_ps_per_kib / SIM_US, (double)p->read_cmd_ps / SIM_US,
           (double)p->read_ps_per_kib / SIM_US, (double)p->write_cmd_ps / SIM_US,
           (double)p->seek_read_ps / SIM_MS, (double)p->track_ps / SIM_MS,
           (double)p->revolution_ps / SIM_MS, (double)p->flush_ps / SIM_MS);
    printf("calibrate: requests as the fitted model sees them: %" PRIu64 " cache hits, %" PRIu64
           " next blocks, %" PRIu64 " short moves, %" PRIu64 " seeks, %" PRIu64 " flushes (%u "
           "cache shapes tried)\n",
           s->count[SCSI_FIT_HIT], s->count[SCSI_FIT_NEXT], s->count[SCSI_FIT_NEAR],
           s->count[SCSI_FIT_FAR], s->count[SCSI_FIT_FLUSH], s->shapes);
}

/* The replay of the capture's run; false after saying why. */
static bool replay_of(struct cal *c)
{
    if (!read_rows(c->a->db, (int64_t)c->a->run, &c->real))
        return false;
    enum iosim_err e = cap_replay_build(&c->real.sc, CAP_REPLAY_ANY, 0, &c->r);
    if (e == IOSIM_OK && c->r.n == 0)
        e = IOSIM_ENOENT;
    if (e != IOSIM_OK) {
        fprintf(stderr, "iosim calibrate: %s: run %" PRIu64 ": %s\n", c->a->db, c->a->run,
                e == IOSIM_ENOENT ? "no read, write or flush to fit a profile to"
                                  : iosim_err_text(e));
        return false;
    }
    size_t n = c->r.n;
    c->real_ps = calloc(n, sizeof *c->real_ps);
    c->sim_ps = calloc(n, sizeof *c->sim_ps);
    c->target = calloc(n, sizeof *c->target);
    c->best_ps = calloc(n, sizeof *c->best_ps);
    if (c->real_ps == NULL || c->sim_ps == NULL || c->target == NULL || c->best_ps == NULL) {
        fprintf(stderr, "iosim calibrate: out of memory\n");
        return false;
    }
    for (size_t i = 0; i < n; i++) { /* a file's latencies are taken at most at CAL_LATENCY_MAX */
        uint64_t ns = c->r.io[i].latency_ns;
        c->real_ps[i] = ns < CAL_LATENCY_MAX / 1000u ? ns * 1000u : CAL_LATENCY_MAX;
    }
    return true;
}

/* The first round fits the device times (the real ones less the
 * simulated host's alone) and replays on the fit. The simulated host's
 * share of a request is not the same whatever the device takes, though
 * (a NAKed data stage waits for its retry, an interrupt for its
 * moderation), so each later round keeps the fit's cache shape and moves
 * each class's cost (a hit's, a next block's, a short move's, a seek's, a
 * write's, a flush's) by the median of what the replay missed that
 * class's requests by. The best round is kept. */
#define CAL_ROUNDS 5u

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The cost each class's requests pay, in profile p. */
static sim_time_ps *class_knob(struct scsi_profile *p, enum scsi_fit_class k, char op)
{
    if (op == 'w')
        return &p->write_cmd_ps;
    switch (k) {
    case SCSI_FIT_HIT: return &p->hit_cmd_ps;
    case SCSI_FIT_NEXT: return &p->read_cmd_ps;
    case SCSI_FIT_NEAR: return &p->track_ps;
    case SCSI_FIT_FAR: return &p->seek_read_ps;
    case SCSI_FIT_FLUSH: return &p->flush_ps;
    case SCSI_FIT_CLASSES: break;
    }
    return NULL;
}

/* Moves each class's cost by the median miss of its requests. */
static bool correct(struct cal *c, struct scsi_profile *p)
{
    size_t n = c->r.n;
    enum scsi_fit_class *cls = calloc(n, sizeof *cls);
    struct scsi_fit_req *req = calloc(n, sizeof *req);
    int64_t *miss = calloc(n, sizeof *miss);
    bool ok = cls != NULL && req != NULL && miss != NULL;
    for (size_t i = 0; ok && i < n; i++)
        req[i] = req_of(c, i);
    ok = ok && scsi_fit_classify(p, req, n, cli_replay_scenario_blocks(&c->r), cls) == IOSIM_OK;
    struct scsi_profile was = *p;
    for (int k = 0; ok && k < SCSI_FIT_CLASSES; k++) {
        for (int w = 0; w < 2; w++) { /* reads (and flushes), then writes */
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if ((int)cls[i] == k && (req[i].op == 'w') == (w == 1))
                    miss[m++] = (int64_t)c->real_ps[i] - (int64_t)c->sim_ps[i];
            sim_time_ps *knob = class_knob(p, (enum scsi_fit_class)k, w ? 'w' : 'r');
            if (m == 0 || knob == NULL || (w == 1 && knob != &p->write_cmd_ps))
                continue;
            qsort(miss, m, sizeof *miss, cmp_i64);
            sim_time_ps *old = class_knob(&was, (enum scsi_fit_class)k, w ? 'w' : 'r');
            int64_t v = (int64_t)*old + miss[(m - 1) / 2];
            if (knob == &p->write_cmd_ps && w == 0)
                continue;
            *knob = v > 0 ? (sim_time_ps)v : 0;
        }
    }
    free(cls);
    free(req);
    free(miss);
    return ok;
}

static void keep_if_best(struct cal *c, const struct scsi_profile *p, int64_t run, unsigned round)
{
    struct cal_score sc;
    kinds_walk(c, c->sim_ps, &sc, false);
    char what[48];
    snprintf(what, sizeof what, "calibrate: round %u (run %" PRId64 ")", round, run);
    print_score(what, &sc, c->r.n);
    if (round > 1 && !score_better(&sc, &c->best_score))
        return;
    c->best_score = sc;
    c->best = *p;
    c->best_run = run;
    c->best_round = round;
    memcpy(c->best_ps, c->sim_ps, c->r.n * sizeof *c->best_ps);
}

static bool rounds(struct cal *c)
{
    size_t n = c->r.n;
    for (size_t i = 0; i < n; i++) /* the first guess: the real time less the host's alone */
        c->target[i] = c->real_ps[i] > c->sim_ps[i] ? c->real_ps[i] - c->sim_ps[i] : 0;
    int64_t run;
    if (!fit(c) || !run_replay(c, &c->fitted, "fitted", &run, c->sim_ps))
        return false;
    c->best_st = c->st;
    keep_if_best(c, &c->fitted, run, 1);
    struct scsi_profile p = c->fitted;
    for (unsigned round = 2; round <= CAL_ROUNDS; round++) {
        if (!correct(c, &p) || !run_replay(c, &p, "fitted", &run, c->sim_ps))
            return false;
        keep_if_best(c, &p, run, round);
    }
    return true;
}

int cli_calibrate(int argc, char **argv)
{
    struct cal_args a = {0};
    int st = parse_cal_args(argc, argv, &a);
    if (st != CLI_OPTS_GO_ON)
        return st;
    struct cal c = {.a = &a, .base = a.base != NULL ? a.base : "usb-hdd"};
    bool ok = replay_of(&c);
    struct scsi_profile zero = {.block_bytes = c.r.block_bytes == 4096 ? 4096 : 512};
    ok = ok && run_replay(&c, &zero, "zero", &c.overhead_run, c.sim_ps);
    if (ok)
        printf("calibrate: run %" PRIu64 ": %zu reads, writes and flushes; the simulated host "
               "alone: run %" PRId64 "\n", a.run, c.r.n, c.overhead_run);
    ok = ok && rounds(&c);
    if (ok) {
        print_fit(&c);
        struct cal_score sc;
        kinds_walk(&c, c.best_ps, &sc, true);
        char what[64];
        snprintf(what, sizeof what, "calibrate: kept round %u", c.best_round);
        print_score(what, &sc, c.r.n);
        ok = cli_outfile_write(a.out, "iosim calibrate", put_file, &c);
        if (ok)
            printf("calibrate: wrote %s; the replay on it is run %" PRId64 " (iosim compare %s "
                   "--run %" PRIu64 " --run %" PRId64 ")\n",
                   a.out, c.best_run, a.db, a.run, c.best_run);
    }
    free(c.real_ps);
    free(c.sim_ps);
    free(c.target);
    free(c.best_ps);
    free(c.real.sc.c);
    cap_replay_free(&c.r);
    return ok ? CLI_EXIT_PASS : CLI_EXIT_USAGE;
}
