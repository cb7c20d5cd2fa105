/* The HTML report's timeline of one run (section 5): CPU lanes from the
 * scheduler's rows, a lane per process, rings, and device activity as
 * spans and marks; see report_html.h and timeline.h. */
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "reports/html.h"
#include "reports/report_html_internal.h"
#include "reports/sched_spans.h"
#include "reports/timeline.h"

#define TLR_PIDS_MAX 256

/* Process names by pid (the run's process rows). */
struct tlr_procs {
    int64_t pid[TLR_PIDS_MAX];
    char name[TLR_PIDS_MAX][40];
    int n;
};

static const char *proc_name(const struct tlr_procs *p, int64_t pid)
{
    for (int i = 0; i < p->n; i++)
        if (p->pid[i] == pid)
            return p->name[i];
    return "?";
}

static void procs_read(sqlite3 *db, int64_t run, struct tlr_procs *p)
{
    sqlite3_stmt *st = rh_prepare(db, "SELECT pid, name FROM process WHERE run_id = ?1 ORDER BY seq");
    p->n = 0;
    if (st != NULL)
        sqlite3_bind_int64(st, 1, run);
    while (st != NULL && sqlite3_step(st) == SQLITE_ROW && p->n < TLR_PIDS_MAX) {
        p->pid[p->n] = sqlite3_column_int64(st, 0);
        snprintf(p->name[p->n++], sizeof p->name[0], "%s", rh_text(st, 1));
    }
    sqlite3_finalize(st);
}

/* The run the timeline shows: the one asked for, else the first failing
 * traced run, else the first. 0: none. */
static int64_t pick_run(struct rh_ctx *c)
{
    if (c->run_id != 0)
        return rh_scalar(c->db, "SELECT id FROM run WHERE id = ?1", c->run_id, 0);
    int64_t id = rh_scalar(c->db, "SELECT min(id) FROM run WHERE result IN ('fail', 'error')", 0, 0);
    return id != 0 ? id : rh_scalar(c->db, "SELECT min(id) FROM run", 0, 0);
}

/* What a sched span is drawn into: a CPU lane or a process lane. */
struct tlr_sched {
    struct tl *t;
    const struct tlr_procs *p;
    bool by_cpu;
};

static void sched_span(void *ctx, int k, int64_t pid, int64_t a_ps, int64_t b_ps)
{
    const struct tlr_sched *s = ctx;
    char lane[64], title[TL_TITLE_MAX];
    if (s->by_cpu)
        snprintf(lane, sizeof lane, "cpu %d", k);
    else
        snprintf(lane, sizeof lane, "pid %" PRId64 " %s", pid, proc_name(s->p, pid));
    snprintf(title, sizeof title, "pid %" PRId64 " %s on cpu %d", pid, proc_name(s->p, pid), k);
    tl_span(s->t, tl_lane(s->t, lane), (double)a_ps, (double)b_ps, (uint32_t)pid, title);
}

/* Running intervals from sched (sched_spans.h), on CPU lanes (by_cpu) or
 * on a lane per process. */
static void sched_lanes(sqlite3 *db, int64_t run, const struct tlr_procs *p, struct tl *t,
                        bool by_cpu, int64_t end_ps)
{
    struct tlr_sched s = {.t = t, .p = p, .by_cpu = by_cpu};
    sched_spans(db, run, end_ps, sched_span, &s);
}

/* A table whose rows become marks (start_sql NULL) or spans on lanes. */
struct tlr_source {
    const char *table;
    const char *lane_sql;
    const char *start_sql;
    const char *title_sql;
};

static const struct tlr_source sources[] = {
    {"usb_xfer", "'usb ' || device || ' ep' || ep || ' ' || dir", "submit_ps",
     "xfer || ' ' || actual || '/' || requested || ' bytes, status ' || status"},
    {"scsi_cmd", "'scsi lun ' || lun", "start_ps", "op || ' ' || status"},
    {"xhci_cmd", "'xhci cmd ' || device", "issued_ps", "command || ': ' || cc_name"},
    {"mmio", "'mmio ' || device", NULL, "dir || printf(' +0x%x = 0x%x', offset, value)"},
    {"irq", "'irq ' || coalesce(device, '') || ' line ' || line", NULL, "event || ' pid ' || pid"},
    {"fio_io", "'fio ' || job", "submit_ps", "op || ' ' || len || ' bytes: ' || status"},
    {"ring_op", "'rings of pid ' || pid", NULL,
     "printf('ring %x ', ring) || side || ' ' || op || ' ' || count"},
};

static void source_lanes(sqlite3 *db, int64_t run, const struct tlr_source *src, uint32_t color,
                         struct tl *t)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s, t_ps, %s, %s FROM \"%s\" WHERE run_id = ?1 ORDER BY seq",
             src->lane_sql, src->start_sql != NULL ? src->start_sql : "t_ps", src->title_sql,
             src->table);
    sqlite3_stmt *st = rh_has_table(db, src->table) ? rh_prepare(db, sql) : NULL;
    if (st != NULL)
        sqlite3_bind_int64(st, 1, run);
    while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        uint32_t lane = tl_lane(t, rh_text(st, 0));
        double end = (double)sqlite3_column_int64(st, 1);
        if (src->start_sql == NULL)
            tl_mark(t, lane, end, color, rh_text(st, 3));
        else
            tl_span(t, lane, (double)sqlite3_column_int64(st, 2), end, color, rh_text(st, 3));
    }
    sqlite3_finalize(st);
}

static void timeline_note(FILE *f, sqlite3 *db, int64_t run, const struct tl *t)
{
    sqlite3_stmt *st = rh_prepare(db, "SELECT scenario, seed, policy, coalesce(result, status) "
                                      "FROM run WHERE id = ?1");
    if (st != NULL)
        sqlite3_bind_int64(st, 1, run);
    if (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        char line[320];
        snprintf(line, sizeof line, "run %" PRId64 ": %s, seed %s, policy %s, %s; %u elements "
                 "drawn (lanes past %u elements are aggregated into time bins). Choose another "
                 "with --run ID.", run, rh_text(st, 0), rh_text(st, 1), rh_text(st, 2),
                 rh_text(st, 3), tl_drawn(t), TL_DIRECT_MAX);
        fputs("<p>", f);
        html_text(f, line);
        fputs("</p>\n", f);
    }
    sqlite3_finalize(st);
}

void rh_section_timeline(struct rh_ctx *c)
{
    html_section(c->f, "timeline", "5. Timeline of a run");
    int64_t run = pick_run(c);
    int64_t end_ps = run != 0 ? sched_spans_end_ps(c->db, run) : 0;
    static struct tlr_procs procs;
    struct tl *t = run != 0 ? tl_new(0, (double)end_ps) : NULL;
    if (t != NULL) {
        procs_read(c->db, run, &procs);
        sched_lanes(c->db, run, &procs, t, true, end_ps);
        sched_lanes(c->db, run, &procs, t, false, end_ps);
        for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
            source_lanes(c->db, run, &sources[i], (uint32_t)i, t);
    }
    if (t == NULL || tl_drawn(t) == 0) {
        html_note(c->f, run == 0 ? "no run in this file" : "the run has no rows to draw");
    } else {
        timeline_note(c->f, c->db, run, t);
        tl_draw(t, c->f, "chart-timeline");
    }
    tl_free(t);
    html_section_end(c->f);
}
