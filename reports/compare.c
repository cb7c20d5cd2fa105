/* `iosim compare`'s computation: reading two runs' scsi_cmd and usb_xfer
 * rows, aligning them per stream and endpoint, latency kinds and
 * throughput; see compare.h. The tolerances are in compare_tol.c, the
 * text and the page in compare_out.c. */
#include "reports/compare.h"

#include <assert.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "reports/align.h"
#include "reports/stats.h"

#define CMP_GROUPS_MAX 64   /* pids / devices ranked; more share the last rank */
#define DIV_CONTEXT 3u      /* aligned items shown before the first divergence */
#define DIV_DIFFS 8u        /* differing steps shown after it */

/* One SCSI command (scsi_cmd row). Group: (usbscsid pid's rank, lun);
 * key: opcode, lba, blocks, dir, len. */
struct scsi_rec {
    int64_t grp[2];
    int64_t opcode, lba, blocks, len;
    char dir[8];
    int64_t residue, sense_key, asc, ascq;
    char status[24], op[32];
    int64_t start, end;
    uint32_t row; /* order read: start_ps, seq */
};

/* One USB transfer (usb_xfer row). Group: (device's rank, role, ordinal)
 * once roles are assigned (ep_roles; before that, (device's rank, ep,
 * in)); key: xfer, dir, requested, setup. ep_ab: the endpoint numbers of
 * its role on A and B (EP_NONE: none there), for names. */
struct xfer_rec {
    int64_t grp[3];
    char xfer[12], dir[8], setup[28];
    int64_t ep, ep_ab[2];
    int64_t requested, actual, status;
    int64_t start, end;
    uint32_t row;
};

/* What the alignment needs of a record kind. */
struct level_ops {
    const char *name;
    size_t size;
    int (*key_cmp)(const void *, const void *);
    int (*grp_cmp)(const void *, const void *);
    bool (*mismatch)(const void *, const void *);
    void (*describe)(const void *, char *, size_t);
    void (*grp_name)(const void *, char *, size_t);
    int64_t (*time)(const void *);
};

static void copy_text(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, cap, "%s", t != NULL ? (const char *)t : "");
}

static int i64_order(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

void cmp_format_ps(int64_t ps, char *buf, size_t cap)
{
    if (ps >= 1000000000 || ps <= -1000000000)
        snprintf(buf, cap, "%.3f ms", (double)ps / 1e9);
    else
        snprintf(buf, cap, "%.3f us", (double)ps / 1e6);
}

/* ---- SCSI records -------------------------------------------------------------------------- */

static int scsi_key_cmp(const void *x, const void *y)
{
    const struct scsi_rec *a = x, *b = y;
    int c = i64_order(a->opcode, b->opcode);
    c = c ? c : i64_order(a->lba, b->lba);
    c = c ? c : i64_order(a->blocks, b->blocks);
    c = c ? c : i64_order(a->len, b->len);
    return c ? c : strcmp(a->dir, b->dir);
}

static int scsi_grp_cmp(const void *x, const void *y)
{
    const struct scsi_rec *a = x, *b = y;
    int c = i64_order(a->grp[0], b->grp[0]);
    return c ? c : i64_order(a->grp[1], b->grp[1]);
}

static int scsi_sort_cmp(const void *x, const void *y)
{
    int c = scsi_grp_cmp(x, y);
    return c ? c : i64_order(((const struct scsi_rec *)x)->row, ((const struct scsi_rec *)y)->row);
}

static bool scsi_mismatch(const void *x, const void *y)
{
    const struct scsi_rec *a = x, *b = y;
    return strcmp(a->status, b->status) != 0 || a->residue != b->residue ||
           a->sense_key != b->sense_key || a->asc != b->asc || a->ascq != b->ascq;
}

/* `read_10` -> `READ(10)`, `test_unit_ready` -> `TEST UNIT READY`. */
static void scsi_pretty(const char *op, char *buf, size_t cap)
{
    size_t n = strlen(op), cut = n;
    while (cut > 0 && op[cut - 1] >= '0' && op[cut - 1] <= '9')
        cut--;
    bool suffix = cut > 1 && cut < n && op[cut - 1] == '_';
    size_t o = 0;
    for (size_t i = 0; i < (suffix ? cut - 1 : n) && o + 1 < cap; i++) {
        char c = op[i];
        buf[o++] = c == '_' ? ' ' : (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    buf[o] = '\0';
    if (suffix)
        snprintf(buf + o, cap - o, "(%s)", op + cut);
}

static void size_text(int64_t bytes, char *buf, size_t cap)
{
    if (bytes >= 1048576 && bytes % 1048576 == 0)
        snprintf(buf, cap, "%" PRId64 " MiB", bytes / 1048576);
    else if (bytes >= 1024 && bytes % 1024 == 0)
        snprintf(buf, cap, "%" PRId64 " KiB", bytes / 1024);
    else
        snprintf(buf, cap, "%" PRId64 " B", bytes);
}

static void scsi_kind(const struct scsi_rec *r, char *buf, size_t cap)
{
    char op[40], sz[32];
    scsi_pretty(r->op, op, sizeof op);
    size_text(r->len, sz, sizeof sz);
    if (r->len > 0)
        snprintf(buf, cap, "%s %s", op, sz);
    else
        snprintf(buf, cap, "%s", op);
}

static void scsi_describe(const void *x, char *buf, size_t cap)
{
    const struct scsi_rec *r = x;
    char op[40];
    scsi_pretty(r->op, op, sizeof op);
    snprintf(buf, cap, "%s lba %" PRId64 " blocks %" PRId64 " len %" PRId64 " %s residue %" PRId64,
             op, r->lba, r->blocks, r->len, r->status, r->residue);
    if (strcmp(r->status, "check_condition") == 0) {
        size_t n = strlen(buf);
        snprintf(buf + n, cap - n, " sense %" PRId64 "/0x%02" PRIx64 "/0x%02" PRIx64, r->sense_key,
                 (uint64_t)r->asc & 0xff, (uint64_t)r->ascq & 0xff);
    }
}

static void scsi_grp_name(const void *x, char *buf, size_t cap)
{
    const struct scsi_rec *r = x;
    snprintf(buf, cap, "scsi stream %" PRId64 " lun %" PRId64, r->grp[0] + 1, r->grp[1]);
}

static int64_t scsi_time(const void *x)
{
    return ((const struct scsi_rec *)x)->start;
}

static const struct level_ops scsi_ops = {"scsi", sizeof(struct scsi_rec), scsi_key_cmp,
                                          scsi_grp_cmp, scsi_mismatch, scsi_describe,
                                          scsi_grp_name, scsi_time};

/* ---- USB records --------------------------------------------------------------------------- */

static int xfer_key_cmp(const void *x, const void *y)
{
    const struct xfer_rec *a = x, *b = y;
    int c = strcmp(a->xfer, b->xfer);
    c = c ? c : strcmp(a->dir, b->dir);
    c = c ? c : i64_order(a->requested, b->requested);
    return c ? c : strcmp(a->setup, b->setup);
}

static int xfer_grp_cmp(const void *x, const void *y)
{
    const struct xfer_rec *a = x, *b = y;
    int c = 0;
    for (int i = 0; i < 3 && c == 0; i++)
        c = i64_order(a->grp[i], b->grp[i]);
    return c;
}

static int xfer_sort_cmp(const void *x, const void *y)
{
    int c = xfer_grp_cmp(x, y);
    return c ? c : i64_order(((const struct xfer_rec *)x)->row, ((const struct xfer_rec *)y)->row);
}

static bool xfer_mismatch(const void *x, const void *y)
{
    const struct xfer_rec *a = x, *b = y;
    return a->status != b->status || a->actual != b->actual;
}

/* ---- endpoint roles ------------------------------------------------------------------------ */

/* An endpoint's role: endpoint 0 (the default control pipe, both
 * directions), else its transfer type and direction. Endpoints pair by
 * (device, role, ordinal), not by number: a JMS566 enclosure's bulk pipes
 * are 1 in / 2 out, the dlink stick's 4 in / 5 out, the simulated
 * stick's 1 in / 2 out, and they are the same pipes. */
enum { ROLE_EP0 = 0, ROLE_TYPES = 5, ROLE_N = 1 + 2 * ROLE_TYPES };
#define EP_NONE INT64_MIN /* ep_ab: no endpoint of the role on that side */

static const char *const role_type[ROLE_TYPES] = {"control", "bulk", "interrupt", "isoch",
                                                  "other"};

static uint32_t role_of(const struct xfer_rec *r)
{
    if (r->ep == 0)
        return ROLE_EP0;
    uint32_t t = 0;
    while (t + 1 < ROLE_TYPES && strcmp(r->xfer, role_type[t]) != 0)
        t++;
    return 1 + 2 * t + (strcmp(r->dir, "in") != 0); /* in before out */
}

/* "control" (endpoint 0), "bulk in #1": the type and direction, and the
 * ordinal among the device's endpoints of that role (from 1) in order of
 * first transfer. */
static void role_name(int64_t role, int64_t ordinal, char *buf, size_t cap)
{
    if (role <= ROLE_EP0 || role >= ROLE_N)
        snprintf(buf, cap, "control");
    else
        snprintf(buf, cap, "%s %s #%" PRId64, role_type[(role - 1) / 2], role % 2 ? "in" : "out",
                 ordinal + 1);
}

/* The endpoint numbers of a role on both sides: "ep 1" when they agree,
 * "A ep 4, B ep 1" when not ("B none": no partner). */
static void ep_pair_text(const int64_t ep_ab[2], char *buf, size_t cap)
{
    char e[2][32];
    for (int i = 0; i < 2; i++)
        if (ep_ab[i] == EP_NONE)
            snprintf(e[i], sizeof e[i], "none");
        else
            snprintf(e[i], sizeof e[i], "ep %" PRId64, ep_ab[i]);
    if (ep_ab[0] == ep_ab[1])
        snprintf(buf, cap, "%s", e[0]);
    else
        snprintf(buf, cap, "A %s, B %s", e[0], e[1]);
}

/* Kinds name the role, not the number, so paired endpoints share kinds:
 * `bulk in #1 512 B`, `control in 18 B` (endpoint 0 with the transfer's
 * direction). */
static void xfer_kind(const struct xfer_rec *r, char *buf, size_t cap)
{
    char sz[32], role[48];
    size_text(r->requested, sz, sizeof sz);
    if (r->grp[1] == ROLE_EP0)
        snprintf(buf, cap, "control %s %s", r->dir, sz);
    else {
        role_name(r->grp[1], r->grp[2], role, sizeof role);
        snprintf(buf, cap, "%s %s", role, sz);
    }
}

static void xfer_describe(const void *x, char *buf, size_t cap)
{
    const struct xfer_rec *r = x;
    snprintf(buf, cap, "%s %s requested %" PRId64 " actual %" PRId64 " status %" PRId64 "%s%s",
             r->xfer, r->dir, r->requested, r->actual, r->status, r->setup[0] ? " setup " : "",
             r->setup);
}

static void xfer_grp_name(const void *x, char *buf, size_t cap)
{
    const struct xfer_rec *r = x;
    char role[48], eps[80];
    role_name(r->grp[1], r->grp[2], role, sizeof role);
    ep_pair_text(r->ep_ab, eps, sizeof eps);
    snprintf(buf, cap, "usb device %" PRId64 " %s (%s)", r->grp[0] + 1, role, eps);
}

static int64_t xfer_time(const void *x)
{
    return ((const struct xfer_rec *)x)->start;
}

static const struct level_ops xfer_ops = {"usb", sizeof(struct xfer_rec), xfer_key_cmp,
                                          xfer_grp_cmp, xfer_mismatch, xfer_describe,
                                          xfer_grp_name, xfer_time};

/* ---- reading ------------------------------------------------------------------------------- */

struct side_rows {
    struct scsi_rec *sc;
    size_t nsc;
    struct xfer_rec *xf;
    size_t nxf;
};

static bool has_table(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    bool has = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        has = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return has;
}

static enum iosim_err prepare(sqlite3 *db, const char *sql, int64_t run, sqlite3_stmt **st,
                              char *msg, size_t len)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        snprintf(msg, len, "cannot read the database: %s", sqlite3_errmsg(db));
        sqlite3_finalize(*st);
        *st = NULL;
        return IOSIM_EPROTO;
    }
    sqlite3_bind_int64(*st, 1, run);
    return IOSIM_OK;
}

static enum iosim_err grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return IOSIM_OK;
    size_t c = *cap ? *cap * 2 : 256;
    void *q = realloc(*p, c * size);
    if (q == NULL)
        return IOSIM_ENOMEM;
    *p = q;
    *cap = c;
    return IOSIM_OK;
}

/* The rank of key among the first-seen keys (at most CMP_GROUPS_MAX; the
 * rest share the last rank). */
static int64_t rank_of(int64_t *seen, size_t *n, int64_t key)
{
    for (size_t i = 0; i < *n; i++)
        if (seen[i] == key)
            return (int64_t)i;
    if (*n == CMP_GROUPS_MAX)
        return CMP_GROUPS_MAX - 1;
    seen[*n] = key;
    return (int64_t)(*n)++;
}

static enum iosim_err read_scsi(sqlite3 *db, int64_t run, struct side_rows *s, char *msg,
                                size_t len)
{
    if (!has_table(db, "scsi_cmd"))
        return IOSIM_OK;
    sqlite3_stmt *st;
    enum iosim_err e = prepare(db, "SELECT pid, lun, op, opcode, lba, blocks, dir, len, residue,"
                                   " status, sense_key, asc, ascq, start_ps, end_ps FROM scsi_cmd"
                                   " WHERE run_id = ?1 ORDER BY start_ps, seq", run, &st, msg, len);
    int64_t pids[CMP_GROUPS_MAX];
    size_t npids = 0, cap = 0;
    while (e == IOSIM_OK && sqlite3_step(st) == SQLITE_ROW) {
        if (s->nsc == CMP_ROWS_MAX ||
            grow((void **)&s->sc, &cap, s->nsc, sizeof *s->sc) != IOSIM_OK) {
            e = s->nsc == CMP_ROWS_MAX ? IOSIM_EOVERFLOW : IOSIM_ENOMEM;
            snprintf(msg, len, "run %" PRId64 ": %s", run,
                     e == IOSIM_EOVERFLOW ? "more scsi_cmd rows than compare reads" : "out of memory");
            break;
        }
        struct scsi_rec *r = &s->sc[s->nsc];
        memset(r, 0, sizeof *r);
        r->grp[0] = rank_of(pids, &npids, sqlite3_column_int64(st, 0));
        r->grp[1] = sqlite3_column_int64(st, 1);
        copy_text(st, 2, r->op, sizeof r->op);
        r->opcode = sqlite3_column_int64(st, 3);
        r->lba = sqlite3_column_int64(st, 4);
        r->blocks = sqlite3_column_int64(st, 5);
        copy_text(st, 6, r->dir, sizeof r->dir);
        r->len = sqlite3_column_int64(st, 7);
        r->residue = sqlite3_column_int64(st, 8);
        copy_text(st, 9, r->status, sizeof r->status);
        r->sense_key = sqlite3_column_int64(st, 10);
        r->asc = sqlite3_column_int64(st, 11);
        r->ascq = sqlite3_column_int64(st, 12);
        r->start = sqlite3_column_int64(st, 13);
        r->end = sqlite3_column_int64(st, 14);
        r->row = (uint32_t)s->nsc++;
    }
    sqlite3_finalize(st);
    if (e == IOSIM_OK && s->nsc > 1)
        qsort(s->sc, s->nsc, sizeof *s->sc, scsi_sort_cmp); /* rows unique: deterministic */
    return e;
}

/* A run's USB devices (controller, bus, devnum) in order of their first
 * bulk transfer (devices without one after them, by first transfer): a
 * simulation's device numbers are not the host's. */
struct devs {
    char name[CMP_GROUPS_MAX][32];
    int64_t bus[CMP_GROUPS_MAX], devnum[CMP_GROUPS_MAX], first_bulk[CMP_GROUPS_MAX];
    size_t n;
};

static enum iosim_err read_devices(sqlite3 *db, int64_t run, struct devs *d, char *msg,
                                   size_t len)
{
    sqlite3_stmt *st;
    enum iosim_err e = prepare(db, "SELECT device, bus, devnum, min(CASE WHEN xfer = 'bulk' THEN"
                                   " submit_ps END) AS fb FROM usb_xfer WHERE run_id = ?1"
                                   " GROUP BY device, bus, devnum ORDER BY fb IS NULL, fb,"
                                   " min(submit_ps), device, bus, devnum", run, &st, msg, len);
    d->n = 0;
    while (e == IOSIM_OK && d->n < CMP_GROUPS_MAX && sqlite3_step(st) == SQLITE_ROW) {
        copy_text(st, 0, d->name[d->n], sizeof d->name[0]);
        d->bus[d->n] = sqlite3_column_int64(st, 1);
        d->devnum[d->n] = sqlite3_column_int64(st, 2);
        d->first_bulk[d->n++] =
            sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    return e;
}

static int64_t dev_rank(const struct devs *d, const char *name, int64_t bus, int64_t devnum)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->bus[i] == bus && d->devnum[i] == devnum && strcmp(d->name[i], name) == 0)
            return (int64_t)i;
    return CMP_GROUPS_MAX - 1; /* past the ranked devices (or a truncated name) */
}

static void read_xfer_row(sqlite3_stmt *st, const struct devs *d, struct xfer_rec *r)
{
    char name[32];
    memset(r, 0, sizeof *r);
    copy_text(st, 0, name, sizeof name);
    r->grp[0] = dev_rank(d, name, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2));
    r->ep = sqlite3_column_int64(st, 3);
    r->grp[1] = r->ep;
    copy_text(st, 4, r->dir, sizeof r->dir);
    r->grp[2] = r->ep != 0 && strcmp(r->dir, "in") == 0; /* endpoint 0: both directions */
    copy_text(st, 5, r->xfer, sizeof r->xfer);
    copy_text(st, 6, r->setup, sizeof r->setup);
    r->requested = sqlite3_column_int64(st, 7);
    r->actual = sqlite3_column_int64(st, 8);
    r->status = sqlite3_column_int64(st, 9);
    r->start = sqlite3_column_int64(st, 10);
    r->end = sqlite3_column_int64(st, 11);
}

static enum iosim_err read_xfers(sqlite3 *db, int64_t run, struct side_rows *s, struct devs *d,
                                 char *msg, size_t len)
{
    if (!has_table(db, "usb_xfer"))
        return IOSIM_OK;
    enum iosim_err e = read_devices(db, run, d, msg, len);
    sqlite3_stmt *st = NULL;
    if (e == IOSIM_OK)
        e = prepare(db, "SELECT device, bus, devnum, ep, dir, xfer, setup, requested, actual,"
                        " status, submit_ps, t_ps FROM usb_xfer WHERE run_id = ?1"
                        " ORDER BY submit_ps, seq", run, &st, msg, len);
    size_t cap = 0;
    while (e == IOSIM_OK && sqlite3_step(st) == SQLITE_ROW) {
        if (s->nxf == CMP_ROWS_MAX ||
            grow((void **)&s->xf, &cap, s->nxf, sizeof *s->xf) != IOSIM_OK) {
            e = s->nxf == CMP_ROWS_MAX ? IOSIM_EOVERFLOW : IOSIM_ENOMEM;
            snprintf(msg, len, "run %" PRId64 ": %s", run,
                     e == IOSIM_EOVERFLOW ? "more usb_xfer rows than compare reads" : "out of memory");
            break;
        }
        read_xfer_row(st, d, &s->xf[s->nxf]);
        s->xf[s->nxf].row = (uint32_t)s->nxf;
        s->nxf++;
    }
    sqlite3_finalize(st);
    if (e == IOSIM_OK && s->nxf > 1)
        qsort(s->xf, s->nxf, sizeof *s->xf, xfer_sort_cmp);
    return e;
}

/* One endpoint of a run: its rows [lo, hi) in the sorted records, its
 * first transfer's time and its role. */
struct ep_info {
    int64_t dev, ep, first, ordinal;
    uint32_t role;
    size_t lo, hi;
};

static int ep_role_cmp(const void *x, const void *y)
{
    const struct ep_info *a = x, *b = y;
    int c = i64_order(a->dev, b->dev);
    c = c ? c : i64_order(a->role, b->role);
    c = c ? c : i64_order(a->first, b->first);
    c = c ? c : i64_order(a->ep, b->ep);
    return c ? c : (a->lo > b->lo) - (a->lo < b->lo); /* distinct groups: never equal */
}

/* Where the group of records starting at i ends (grp equal). */
static size_t xfer_group_end(const struct xfer_rec *x, size_t n, size_t i)
{
    size_t e = i;
    while (e < n && xfer_grp_cmp(&x[i], &x[e]) == 0)
        e++;
    return e;
}

/* Turns a run's groups (device, ep, in) into (device, role, ordinal):
 * within a device and role, endpoints are numbered in order of their
 * first transfer, ties by endpoint number. The records come sorted by
 * group and leave sorted by the new groups; *eps (owned, one per group,
 * in the same order) says which endpoint each group is. */
static enum iosim_err ep_roles(struct side_rows *s, struct ep_info **eps, size_t *neps)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nxf; i = xfer_group_end(s->xf, s->nxf, i))
        n++;
    struct ep_info *e = malloc((n ? n : 1) * sizeof *e);
    if (e == NULL)
        return IOSIM_ENOMEM;
    n = 0;
    for (size_t i = 0, end; i < s->nxf; i = end) {
        end = xfer_group_end(s->xf, s->nxf, i);
        const struct xfer_rec *r = &s->xf[i]; /* the earliest: rows are read by submit_ps */
        e[n++] = (struct ep_info){.dev = r->grp[0], .ep = r->ep, .first = r->start,
                                  .role = role_of(r), .lo = i, .hi = end};
    }
    if (n > 1)
        qsort(e, n, sizeof *e, ep_role_cmp);
    for (size_t k = 0; k < n; k++) {
        bool same = k > 0 && e[k - 1].dev == e[k].dev && e[k - 1].role == e[k].role;
        e[k].ordinal = same ? e[k - 1].ordinal + 1 : 0;
        for (size_t i = e[k].lo; i < e[k].hi; i++) {
            s->xf[i].grp[1] = e[k].role;
            s->xf[i].grp[2] = e[k].ordinal;
            s->xf[i].ep_ab[0] = s->xf[i].ep_ab[1] = EP_NONE;
        }
    }
    if (s->nxf > 1)
        qsort(s->xf, s->nxf, sizeof *s->xf, xfer_sort_cmp);
    size_t k = 0; /* the groups now come in e's order: where each one is */
    for (size_t i = 0, end; i < s->nxf && k < n; i = end, k++) {
        end = xfer_group_end(s->xf, s->nxf, i);
        e[k].lo = i;
        e[k].hi = end;
    }
    assert(k == n);
    *eps = e;
    *neps = n;
    return IOSIM_OK;
}

static enum iosim_err read_run_row(sqlite3 *db, int64_t run, struct cmp_side *side, char *msg,
                                   size_t len)
{
    sqlite3_stmt *st;
    enum iosim_err e = prepare(db, "SELECT scenario, policy, seed FROM run WHERE id = ?1", run,
                               &st, msg, len);
    if (e == IOSIM_OK && sqlite3_step(st) == SQLITE_ROW) {
        side->run_id = run;
        copy_text(st, 0, side->scenario, sizeof side->scenario);
        copy_text(st, 1, side->policy, sizeof side->policy);
        side->seed = sqlite3_column_int64(st, 2);
    } else if (e == IOSIM_OK) {
        snprintf(msg, len, "no run %" PRId64 " in the database", run);
        e = IOSIM_ENOENT;
    }
    sqlite3_finalize(st);
    return e;
}

/* ---- alignment ----------------------------------------------------------------------------- */

struct level_in {
    const struct level_ops *ops;
    const char *rec[2];   /* the records of A and B, sorted by group */
    size_t n[2];
    uint32_t *key[2];
};

static const void *rec_at(const struct level_in *l, int side, size_t i)
{
    return l->rec[side] + i * l->ops->size;
}

static void div_line(struct cmp_report *r, const char *text)
{
    if (r->ndiv < CMP_DIV_LINES)
        snprintf(r->div[r->ndiv++], sizeof r->div[0], "%s", text);
}

/* One step of the divergence listing: what it is, both positions (from 1
 * in the stream), the record and its times. */
static void div_step(struct cmp_report *r, const struct level_in *l, const size_t base[2],
                     const struct align_step *s)
{
    char d[160], ta[24], tb[24], line[512];
    const void *ra = s->op != ALIGN_EXTRA ? rec_at(l, 0, base[0] + s->a) : NULL;
    const void *rb = s->op != ALIGN_MISSING ? rec_at(l, 1, base[1] + s->b) : NULL;
    l->ops->describe(ra != NULL ? ra : rb, d, sizeof d);
    if (ra != NULL)
        cmp_format_ps(l->ops->time(ra), ta, sizeof ta);
    if (rb != NULL)
        cmp_format_ps(l->ops->time(rb), tb, sizeof tb);
    if (s->op == ALIGN_MISSING) {
        snprintf(line, sizeof line, "  - A#%u only in A: %s (A at %s)", s->a + 1, d, ta);
    } else if (s->op == ALIGN_EXTRA) {
        snprintf(line, sizeof line, "  + B#%u only in B: %s (B at %s)", s->b + 1, d, tb);
    } else if (l->ops->mismatch(ra, rb)) {
        char db[160];
        l->ops->describe(rb, db, sizeof db);
        snprintf(line, sizeof line, "  ! A#%u B#%u differ: A %s (at %s); B %s (at %s)", s->a + 1,
                 s->b + 1, d, ta, db, tb);
    } else {
        snprintf(line, sizeof line, "  = A#%u B#%u %s (A at %s, B at %s)", s->a + 1, s->b + 1, d,
                 ta, tb);
    }
    div_line(r, line);
}

static bool clean(const struct level_in *l, const size_t base[2], const struct align_step *s)
{
    return s->op == ALIGN_MATCH &&
           !l->ops->mismatch(rec_at(l, 0, base[0] + s->a), rec_at(l, 1, base[1] + s->b));
}

/* The first divergence of a group's script, with its context. */
static void divergence(struct cmp_report *r, const struct level_in *l, const size_t base[2],
                       const struct align_script *sc, int side_of_name)
{
    size_t q = 0;
    while (q < sc->n && clean(l, base, &sc->step[q]))
        q++;
    if (q == sc->n)
        return;
    char g[96], line[512];
    l->ops->grp_name(rec_at(l, side_of_name, base[side_of_name]), g, sizeof g);
    snprintf(line, sizeof line, "first divergence: %s, A#%u / B#%u", g, sc->step[q].a + 1,
             sc->step[q].b + 1);
    div_line(r, line);
    for (size_t c = q > DIV_CONTEXT ? q - DIV_CONTEXT : 0; c < q; c++)
        div_step(r, l, base, &sc->step[c]);
    for (size_t c = q, k = 0; c < sc->n && k < DIV_DIFFS && !clean(l, base, &sc->step[c]); c++, k++)
        div_step(r, l, base, &sc->step[c]);
}

/* Where the group starting at i of a side ends. */
static size_t group_end(const struct level_in *l, int side, size_t i)
{
    size_t e = i;
    while (e < l->n[side] && l->ops->grp_cmp(rec_at(l, side, i), rec_at(l, side, e)) == 0)
        e++;
    return e;
}

static enum iosim_err align_group(struct cmp_report *r, struct cmp_level *lv,
                                  const struct level_in *l, const size_t base[2],
                                  const size_t end[2])
{
    struct align_script sc = {0};
    enum iosim_err e = align_run(l->key[0] + base[0], end[0] - base[0], l->key[1] + base[1],
                                 end[1] - base[1], &sc);
    if (e == IOSIM_OK) {
        lv->matched += sc.matched;
        lv->missing += sc.missing;
        lv->extra += sc.extra;
        for (size_t q = 0; q < sc.n; q++)
            lv->mismatched += sc.step[q].op == ALIGN_MATCH && !clean(l, base, &sc.step[q]);
        if (r->ndiv == 0)
            divergence(r, l, base, &sc, end[0] > base[0] ? 0 : 1);
    }
    align_free(&sc);
    return e;
}

/* Every group of either run, in group order, aligned with its partner. */
static enum iosim_err align_level(struct cmp_report *r, struct cmp_level *lv,
                                  struct level_in *l)
{
    enum iosim_err e = IOSIM_OK;
    size_t na = l->n[0], nb = l->n[1];
    l->key[0] = malloc((na ? na : 1) * sizeof(uint32_t));
    l->key[1] = malloc((nb ? nb : 1) * sizeof(uint32_t));
    if (l->key[0] == NULL || l->key[1] == NULL)
        e = IOSIM_ENOMEM;
    if (e == IOSIM_OK)
        e = align_intern(l->rec[0], na, l->rec[1], nb, l->ops->size, l->ops->key_cmp, l->key[0],
                         l->key[1]);
    size_t i = 0, j = 0;
    while (e == IOSIM_OK && (i < na || j < nb)) {
        int c = i == na ? 1 : j == nb ? -1 : l->ops->grp_cmp(rec_at(l, 0, i), rec_at(l, 1, j));
        const size_t base[2] = {i, j};
        const size_t end[2] = {c <= 0 ? group_end(l, 0, i) : i, c >= 0 ? group_end(l, 1, j) : j};
        e = align_group(r, lv, l, base, end);
        i = end[0];
        j = end[1];
    }
    free(l->key[0]);
    free(l->key[1]);
    return e;
}

/* ---- latency kinds ------------------------------------------------------------------------- */

struct kind_name {
    char s[96];
};

static int kind_name_cmp(const void *x, const void *y)
{
    return strcmp(((const struct kind_name *)x)->s, ((const struct kind_name *)y)->s);
}

/* The kinds of one level: names interned in name order, then per kind
 * the latencies of A and B, sorted. */
struct kind_src {
    uint32_t level;
    struct kind_name *names[2];
    int64_t *lat[2]; /* < 0: no sample (a row ending before it started) */
    size_t n[2];
};

static enum iosim_err add_kinds(struct cmp_report *r, const struct kind_src *k, int64_t *buf,
                                size_t *used)
{
    uint32_t *id[2] = {malloc((k->n[0] ? k->n[0] : 1) * 4), malloc((k->n[1] ? k->n[1] : 1) * 4)};
    enum iosim_err e = id[0] && id[1] ? align_intern(k->names[0], k->n[0], k->names[1], k->n[1],
                                                     sizeof(struct kind_name), kind_name_cmp,
                                                     id[0], id[1])
                                      : IOSIM_ENOMEM;
    uint32_t nk = 0;
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; e == IOSIM_OK && i < k->n[s]; i++)
            nk = id[s][i] + 1 > nk ? id[s][i] + 1 : nk;
    struct cmp_kind *kinds = e == IOSIM_OK ? realloc(r->kinds, (r->nkinds + nk + 1) * sizeof *kinds)
                                           : NULL;
    if (e == IOSIM_OK && kinds == NULL)
        e = IOSIM_ENOMEM;
    if (e == IOSIM_OK) {
        r->kinds = kinds;
        struct cmp_kind *kk = &kinds[r->nkinds];
        memset(kk, 0, nk * sizeof *kk);
        for (int s = 0; s < 2; s++)
            for (size_t i = 0; i < k->n[s]; i++) {
                snprintf(kk[id[s][i]].name, sizeof kk[0].name, "%s", k->names[s][i].s);
                if (k->lat[s][i] >= 0)
                    *(s ? &kk[id[s][i]].nb : &kk[id[s][i]].na) += 1;
            }
        for (uint32_t q = 0; q < nk; q++) { /* carve the buffer, then fill */
            kk[q].level = k->level;
            kk[q].a = buf + *used;
            *used += kk[q].na;
            kk[q].b = buf + *used;
            *used += kk[q].nb;
            kk[q].na = kk[q].nb = 0;
        }
        for (int s = 0; s < 2; s++)
            for (size_t i = 0; i < k->n[s]; i++)
                if (k->lat[s][i] >= 0) {
                    struct cmp_kind *x = &kk[id[s][i]];
                    ((int64_t *)(s ? x->b : x->a))[s ? x->nb++ : x->na++] = k->lat[s][i];
                }
        for (uint32_t q = 0; q < nk; q++) {
            stats_sort((int64_t *)kk[q].a, kk[q].na);
            stats_sort((int64_t *)kk[q].b, kk[q].nb);
            kk[q].ks = stats_ks(kk[q].a, kk[q].na, kk[q].b, kk[q].nb);
        }
        r->nkinds += nk;
    }
    free(id[0]);
    free(id[1]);
    return e;
}

/* end - start, or -1 (no sample) for a row that ends before it starts or
 * whose difference does not fit: the file's numbers are not trusted. */
static int64_t latency(int64_t start, int64_t end)
{
    if (end < start)
        return -1;
    uint64_t d = (uint64_t)end - (uint64_t)start; /* unsigned: no overflow */
    return d <= (uint64_t)INT64_MAX ? (int64_t)d : -1;
}

static enum iosim_err kinds_of(struct cmp_report *r, const struct side_rows *s)
{
    size_t total = s[0].nsc + s[1].nsc + s[0].nxf + s[1].nxf, used = 0;
    r->samples = malloc((total ? total : 1) * sizeof *r->samples);
    struct kind_src k[2] = {{.level = CMP_SCSI}, {.level = CMP_USB}};
    enum iosim_err e = r->samples != NULL ? IOSIM_OK : IOSIM_ENOMEM;
    for (int side = 0; side < 2 && e == IOSIM_OK; side++) {
        size_t n[2] = {s[side].nsc, s[side].nxf};
        for (int lv = 0; lv < 2; lv++) {
            k[lv].n[side] = n[lv];
            k[lv].names[side] = malloc((n[lv] ? n[lv] : 1) * sizeof(struct kind_name));
            k[lv].lat[side] = malloc((n[lv] ? n[lv] : 1) * sizeof(int64_t));
            if (k[lv].names[side] == NULL || k[lv].lat[side] == NULL)
                e = IOSIM_ENOMEM;
        }
        for (size_t i = 0; e == IOSIM_OK && i < s[side].nsc; i++) {
            const struct scsi_rec *c = &s[side].sc[i];
            scsi_kind(c, k[0].names[side][i].s, sizeof k[0].names[side][i].s);
            k[0].lat[side][i] = latency(c->start, c->end);
        }
        for (size_t i = 0; e == IOSIM_OK && i < s[side].nxf; i++) {
            const struct xfer_rec *x = &s[side].xf[i];
            xfer_kind(x, k[1].names[side][i].s, sizeof k[1].names[side][i].s);
            k[1].lat[side][i] = latency(x->start, x->end);
        }
    }
    for (int lv = 0; lv < 2 && e == IOSIM_OK; lv++)
        e = add_kinds(r, &k[lv], r->samples, &used);
    assert(e != IOSIM_OK || used <= total);
    for (int lv = 0; lv < 2; lv++)
        for (int side = 0; side < 2; side++) {
            free(k[lv].names[side]);
            free(k[lv].lat[side]);
        }
    return e;
}

/* ---- throughput ---------------------------------------------------------------------------- */

/* Bytes moved over the span from the first start to the last end, and
 * per bin of it (by end time). */
static void throughput(struct cmp_side *side, const struct side_rows *s, uint32_t level)
{
    size_t n = level == CMP_SCSI ? s->nsc : s->nxf;
    int64_t t0 = INT64_MAX, t1 = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        int64_t a = level == CMP_SCSI ? s->sc[i].start : s->xf[i].start;
        int64_t b = level == CMP_SCSI ? s->sc[i].end : s->xf[i].end;
        t0 = a < t0 ? a : t0;
        t1 = b > t1 ? b : t1;
    }
    side->span_ps = n > 0 && t1 > t0 ? (double)t1 - (double)t0 : 0;
    for (size_t i = 0; i < n && side->span_ps > 0; i++) {
        double bytes, end;
        if (level == CMP_SCSI) {
            const struct scsi_rec *c = &s->sc[i];
            int64_t res = c->residue < 0 ? 0 : c->residue > c->len ? c->len : c->residue;
            bytes = c->len > 0 ? (double)(c->len - res) : 0;
            end = (double)c->end;
        } else {
            bytes = s->xf[i].actual > 0 ? (double)s->xf[i].actual : 0;
            end = (double)s->xf[i].end;
        }
        double k = (end - (double)t0) / side->span_ps * CMP_BINS;
        uint32_t bin = k < 0 ? 0 : k >= CMP_BINS ? CMP_BINS - 1 : (uint32_t)k;
        side->bins[bin] += bytes;
        side->bytes += bytes;
    }
}

/* ---- the whole ----------------------------------------------------------------------------- */

static void pairing_notes(struct cmp_report *r, const struct devs d[2])
{
    size_t n = d[0].n > d[1].n ? d[0].n : d[1].n;
    for (size_t i = 0; i < n && r->nnotes < CMP_NOTES_MAX; i++) {
        char a[64] = "none", b[64] = "none";
        if (i < d[0].n)
            snprintf(a, sizeof a, "%s devnum %" PRId64, d[0].name[i], d[0].devnum[i]);
        if (i < d[1].n)
            snprintf(b, sizeof b, "%s devnum %" PRId64, d[1].name[i], d[1].devnum[i]);
        snprintf(r->notes[r->nnotes++], sizeof r->notes[0], "usb device %zu: A %s, B %s", i + 1,
                 a, b);
    }
}

static void add_note(struct cmp_report *r, size_t *dropped, const char *text)
{
    if (r->nnotes + 1 < CMP_NOTES_MAX) /* the last one is for how many did not fit */
        snprintf(r->notes[r->nnotes++], sizeof r->notes[0], "%s", text);
    else
        ++*dropped;
}

/* Pairs the endpoints of both runs by (device, role, ordinal): each
 * record learns both sides' endpoint numbers of its role, and a note
 * names each pair of a paired device whose numbers differ (or that has
 * no partner). */
static void pair_endpoints(struct cmp_report *r, struct side_rows s[2], struct ep_info *e[2],
                           const size_t n[2], const struct devs d[2])
{
    size_t i = 0, j = 0, dropped = 0;
    while (i < n[0] || j < n[1]) {
        int c = i == n[0] ? 1 : j == n[1] ? -1 : 0;
        for (int q = 0; q < 3 && c == 0; q++) {
            int64_t ka[3] = {e[0][i].dev, e[0][i].role, e[0][i].ordinal};
            int64_t kb[3] = {e[1][j].dev, e[1][j].role, e[1][j].ordinal};
            c = i64_order(ka[q], kb[q]);
        }
        const struct ep_info *pa = c <= 0 ? &e[0][i] : NULL, *pb = c >= 0 ? &e[1][j] : NULL;
        const int64_t ab[2] = {pa ? pa->ep : EP_NONE, pb ? pb->ep : EP_NONE};
        for (int side = 0; side < 2; side++) {
            const struct ep_info *p = side ? pb : pa;
            for (size_t x = p ? p->lo : 0; p && x < p->hi; x++)
                memcpy(s[side].xf[x].ep_ab, ab, sizeof ab);
        }
        const struct ep_info *any = c <= 0 ? &e[0][i] : &e[1][j];
        bool both_devs = (size_t)any->dev < d[0].n && (size_t)any->dev < d[1].n;
        if (ab[0] != ab[1] && both_devs) {
            char role[48], eps[80], line[200];
            role_name(any->role, any->ordinal, role, sizeof role);
            ep_pair_text(ab, eps, sizeof eps);
            snprintf(line, sizeof line, "usb device %" PRId64 " %s: %s", any->dev + 1, role, eps);
            add_note(r, &dropped, line);
        }
        i += pa != NULL;
        j += pb != NULL;
    }
    if (dropped > 0 && r->nnotes < CMP_NOTES_MAX)
        snprintf(r->notes[r->nnotes++], sizeof r->notes[0],
                 "usb: %zu more endpoint pairings not listed", dropped);
}

static enum iosim_err compute(sqlite3 *db, const int64_t run[2], struct cmp_report *r,
                              struct side_rows s[2], char *msg, size_t len)
{
    static struct devs d[2]; /* 10 KiB: not on the stack */
    enum iosim_err e = IOSIM_OK;
    memset(d, 0, sizeof d);
    for (int i = 0; i < 2 && e == IOSIM_OK; i++) {
        e = read_run_row(db, run[i], &r->side[i], msg, len);
        if (e == IOSIM_OK)
            e = read_scsi(db, run[i], &s[i], msg, len);
        if (e == IOSIM_OK)
            e = read_xfers(db, run[i], &s[i], &d[i], msg, len);
        r->side[i].nscsi = s[i].nsc;
        r->side[i].nxfer = s[i].nxf;
    }
    struct ep_info *eps[2] = {NULL, NULL};
    size_t neps[2] = {0, 0};
    for (int i = 0; i < 2 && e == IOSIM_OK; i++)
        e = ep_roles(&s[i], &eps[i], &neps[i]);
    if (e == IOSIM_OK) {
        pairing_notes(r, d);
        pair_endpoints(r, s, eps, neps, d);
    }
    free(eps[0]);
    free(eps[1]);
    if (e == IOSIM_ENOMEM)
        snprintf(msg, len, "out of memory");
    if (e != IOSIM_OK)
        return e;
    struct level_in sl = {&scsi_ops, {(const char *)s[0].sc, (const char *)s[1].sc},
                          {s[0].nsc, s[1].nsc}, {NULL, NULL}};
    struct level_in xl = {&xfer_ops, {(const char *)s[0].xf, (const char *)s[1].xf},
                          {s[0].nxf, s[1].nxf}, {NULL, NULL}};
    e = align_level(r, &r->level[CMP_SCSI], &sl);
    if (e == IOSIM_OK)
        e = align_level(r, &r->level[CMP_USB], &xl);
    if (e == IOSIM_OK)
        e = kinds_of(r, s);
    r->tp_level = s[0].nsc + s[1].nsc > 0 ? CMP_SCSI : CMP_USB;
    for (int i = 0; i < 2 && e == IOSIM_OK; i++)
        throughput(&r->side[i], &s[i], r->tp_level);
    if (e == IOSIM_ENOMEM)
        snprintf(msg, len, "out of memory");
    return e;
}

enum iosim_err cmp_compute(const char *db_path, int64_t run_a, int64_t run_b,
                           struct cmp_report *r, char *msg, size_t msg_len)
{
    assert(db_path != NULL && r != NULL && msg != NULL);
    memset(r, 0, sizeof *r);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(msg, msg_len, "%s: cannot open: %s", db_path,
                 db != NULL ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return IOSIM_ENOENT;
    }
    sqlite3_busy_timeout(db, 10000);
    struct side_rows s[2] = {{0}, {0}};
    const int64_t run[2] = {run_a, run_b};
    enum iosim_err e = has_table(db, "run") ? compute(db, run, r, s, msg, msg_len) : IOSIM_EPROTO;
    if (e == IOSIM_EPROTO && !has_table(db, "run"))
        snprintf(msg, msg_len, "%s: not an iosim trace database", db_path);
    for (int i = 0; i < 2; i++) {
        free(s[i].sc);
        free(s[i].xf);
    }
    sqlite3_close(db);
    if (e != IOSIM_OK)
        cmp_report_free(r);
    return e;
}

void cmp_report_free(struct cmp_report *r)
{
    free(r->kinds);
    free(r->samples);
    r->kinds = NULL;
    r->samples = NULL;
    r->nkinds = 0;
}
