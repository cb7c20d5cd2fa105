/* A run as Chrome trace-event JSON for Perfetto; see perfetto.h. */
#include "reports/perfetto.h"

#include <assert.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "reports/json.h"
#include "reports/report_html_internal.h"
#include "reports/sched_spans.h"

enum {
    PF_PID_CPUS = 1, PF_PID_USB, PF_PID_SCSI, PF_PID_XHCI, PF_PID_IRQ, PF_PID_MMIO, PF_PID_FIO,
    PF_PID_RINGS, PF_PID_OTHER = 99, PF_PID_PROC0 = 100,
};
#define PF_SIM_PID_MAX 999999
#define PF_LANE_NAME 64
#define PF_PROCS_MAX 256

static const struct {
    int pid;
    const char *name;
} groups[] = {
    {PF_PID_CPUS, "CPUs"}, {PF_PID_USB, "USB transfers"}, {PF_PID_SCSI, "SCSI commands"},
    {PF_PID_XHCI, "xHCI commands"}, {PF_PID_IRQ, "interrupts"}, {PF_PID_MMIO, "MMIO"},
    {PF_PID_FIO, "fio"}, {PF_PID_RINGS, "ring occupancy"}, {PF_PID_OTHER, "other processes"},
};

/* A named thread: (pid, name) -> tid, numbered from 1 within its pid. */
struct pf_lane {
    int64_t pid;
    int64_t tid;
    char name[PF_LANE_NAME];
};

struct pf {
    sqlite3 *db;
    FILE *f;
    int64_t run;
    bool first;                  /* no event written yet: no comma */
    struct pf_lane *lanes;       /* PERFETTO_LANES_MAX, owned */
    size_t nlanes;
    int64_t proc_pid[PF_PROCS_MAX];
    char proc_name[PF_PROCS_MAX][40];
    size_t nprocs;
};

/* ---- events -------------------------------------------------------------- */

static void ev_open(struct pf *p, const char *ph, int64_t pid, int64_t tid)
{
    fputs(p->first ? "\n" : ",\n", p->f);
    p->first = false;
    fprintf(p->f, "{\"ph\":\"%s\",\"pid\":%" PRId64 ",\"tid\":%" PRId64, ph, pid, tid);
}

static void meta(struct pf *p, const char *what, int64_t pid, int64_t tid, const char *name)
{
    ev_open(p, "M", pid, tid);
    fprintf(p->f, ",\"name\":\"%s\",\"args\":{\"name\":", what);
    json_str(p->f, name);
    fputs("}}", p->f);
}

/* The tid of lane `name` of pid, naming the thread the first time; 0
 * (unnamed, shared) once the table is full. */
static int64_t lane(struct pf *p, int64_t pid, const char *name)
{
    int64_t in_pid = 0;
    for (size_t i = 0; i < p->nlanes; i++) {
        if (p->lanes[i].pid != pid)
            continue;
        in_pid++;
        if (strcmp(p->lanes[i].name, name) == 0)
            return p->lanes[i].tid;
    }
    if (p->nlanes == PERFETTO_LANES_MAX)
        return 0;
    struct pf_lane *l = &p->lanes[p->nlanes++];
    *l = (struct pf_lane){.pid = pid, .tid = in_pid + 1};
    snprintf(l->name, sizeof l->name, "%s", name);
    meta(p, "thread_name", pid, l->tid, l->name);
    return l->tid;
}

/* A simulated process's track pid. */
static int64_t proc_track(int64_t pid)
{
    return pid >= 0 && pid <= PF_SIM_PID_MAX ? PF_PID_PROC0 + pid : PF_PID_OTHER;
}

static const char *proc_name(const struct pf *p, int64_t pid)
{
    for (size_t i = 0; i < p->nprocs; i++)
        if (p->proc_pid[i] == pid)
            return p->proc_name[i];
    return "?";
}

/* One column of a row as a JSON value, by its stored type. */
static void json_value(FILE *f, sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER: fprintf(f, "%lld", (long long)sqlite3_column_int64(st, i)); break;
    case SQLITE_FLOAT: {
        double d = sqlite3_column_double(st, i);
        if (d == d && d - d == 0) /* finite: JSON has no NaN or infinity */
            fprintf(f, "%.17g", d);
        else
            fputs("null", f);
        break;
    }
    case SQLITE_NULL: fputs("null", f); break;
    default: json_str(f, (const char *)sqlite3_column_text(st, i)); break;
    }
}

/* ,"args":{column: value, ...} for columns from..count-1 of st. */
static void args(FILE *f, sqlite3_stmt *st, int from)
{
    fputs(",\"args\":{", f);
    for (int i = from; i < sqlite3_column_count(st); i++) {
        if (i > from)
            fputc(',', f);
        json_str(f, sqlite3_column_name(st, i));
        fputc(':', f);
        json_value(f, st, i);
    }
    fputc('}', f);
}

/* A complete event (dur_ps >= 0) or an instant (dur_ps < 0) named name
 * on lane tid of pid at ts_ps; its args follow (the caller closes it). */
static void ev(struct pf *p, int64_t pid, int64_t tid, const char *cat, const char *name,
               int64_t ts_ps, int64_t dur_ps)
{
    assert(ts_ps >= 0);
    ev_open(p, dur_ps >= 0 ? "X" : "i", pid, tid);
    fputs(",\"cat\":", p->f);
    json_str(p->f, cat);
    fputs(",\"name\":", p->f);
    json_str(p->f, name);
    fputs(",\"ts\":", p->f);
    json_us(p->f, ts_ps);
    if (dur_ps >= 0) {
        fputs(",\"dur\":", p->f);
        json_us(p->f, dur_ps);
    } else {
        fputs(",\"s\":\"t\"", p->f); /* an instant of its thread */
    }
}

/* ---- the run's tables ---------------------------------------------------- */

/* A table whose rows become events: the lane and name expressions, the
 * start (NULL: an instant at t_ps) and end, the args columns. pid 0: the
 * row's own process (its pid column). */
struct pf_source {
    const char *table;
    int pid;
    const char *lane_sql;
    const char *name_sql;
    const char *start_sql;
    const char *end_sql;
    const char *args_sql;
};

static const struct pf_source sources[] = {
    {"usb_xfer", PF_PID_USB, "device || ' dev ' || devnum || ' ep' || ep || ' ' || dir",
     "xfer || ' ' || dir", "submit_ps", "t_ps",
     "urb, bus, devnum, ep, dir, xfer, setup, requested, actual, status, data"},
    {"scsi_cmd", PF_PID_SCSI, "'lun ' || lun", "op", "start_ps", "end_ps",
     "pid, tag, opcode, lba, blocks, dir, len, residue, status, sense_key, asc, ascq"},
    {"xhci_cmd", PF_PID_XHCI, "device", "command", "issued_ps", "t_ps",
     "addr, slot, cc, cc_name"},
    {"fio_io", PF_PID_FIO, "job", "op", "submit_ps", "t_ps", "pid, offset, len, status, lat_ns"},
    {"irq", PF_PID_IRQ, "coalesce(device, '-') || ' line ' || line", "event", NULL, NULL,
     "line, pid, device"},
    {"mmio", PF_PID_MMIO, "device", "dir || printf(' +0x%x', offset)", NULL, NULL,
     "cpu, pid, addr, offset, size, value, latency_ps, status"},
    {"ring_op", 0, "'rings'", "printf('ring %x ', ring) || side || ' ' || op", NULL, NULL,
     "pid, ring, side, op, head, tail, count, status"},
};

static void source_events(struct pf *p, const struct pf_source *s)
{
    char sql[768];
    snprintf(sql, sizeof sql, "SELECT %s, %s, %s, %s, %s, %s FROM \"%s\" WHERE run_id = ?1"
             " ORDER BY seq", s->pid == 0 ? "pid" : "0", s->lane_sql, s->name_sql,
             s->start_sql != NULL ? s->start_sql : "t_ps", s->end_sql != NULL ? s->end_sql : "t_ps",
             s->args_sql, s->table);
    sqlite3_stmt *st = rh_has_table(p->db, s->table) ? rh_prepare(p->db, sql) : NULL;
    if (st != NULL)
        sqlite3_bind_int64(st, 1, p->run);
    while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        int64_t pid = s->pid != 0 ? s->pid : proc_track(sqlite3_column_int64(st, 0));
        int64_t a = sqlite3_column_int64(st, 3), b = sqlite3_column_int64(st, 4);
        if (a < 0 || (s->start_sql == NULL && b < 0))
            continue; /* before time began: a damaged row */
        int64_t tid = lane(p, pid, rh_text(st, 1));
        int64_t dur = s->start_sql == NULL ? -1 : b > a ? b - a : 0;
        ev(p, pid, tid, s->table, rh_text(st, 2), a, dur);
        args(p->f, st, 5);
        fputc('}', p->f);
    }
    sqlite3_finalize(st);
}

/* Ring occupancy as counters: after each push or pop, tail - head as that
 * side knew it (free-running 32-bit indices, so modulo 2^32); an index
 * pair that says more than 2^31 entries (a broken peer's) is left out. */
static void ring_counters(struct pf *p)
{
    sqlite3_stmt *st = rh_prepare(p->db, "SELECT t_ps, printf('ring %x ', ring) || side, head, tail"
                                         " FROM ring_op WHERE run_id = ?1 AND op IN ('push', 'pop')"
                                         " ORDER BY seq");
    if (st != NULL)
        sqlite3_bind_int64(st, 1, p->run);
    while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        int64_t t = sqlite3_column_int64(st, 0);
        uint32_t n = (uint32_t)sqlite3_column_int64(st, 3) - (uint32_t)sqlite3_column_int64(st, 2);
        if (t < 0 || n > INT32_MAX)
            continue;
        ev_open(p, "C", PF_PID_RINGS, 0);
        fputs(",\"name\":", p->f);
        json_str(p->f, rh_text(st, 1));
        fputs(",\"ts\":", p->f);
        json_us(p->f, t);
        fprintf(p->f, ",\"args\":{\"entries\":%" PRIu32 "}}", n);
    }
    sqlite3_finalize(st);
}

/* A span from sched_spans: on its CPU's lane and on its process's. */
static void sched_span(void *ctx, int cpu, int64_t pid, int64_t a_ps, int64_t b_ps)
{
    struct pf *p = ctx;
    if (a_ps < 0)
        return;
    char name[PF_LANE_NAME + 40], cpu_name[24];
    snprintf(name, sizeof name, "pid %" PRId64 " %s", pid, proc_name(p, pid));
    snprintf(cpu_name, sizeof cpu_name, "cpu %d", cpu);
    int64_t dur = b_ps > a_ps ? b_ps - a_ps : 0;
    ev(p, PF_PID_CPUS, lane(p, PF_PID_CPUS, cpu_name), "sched", name, a_ps, dur);
    fprintf(p->f, ",\"args\":{\"pid\":%" PRId64 ",\"cpu\":%d}}", pid, cpu);
    int64_t track = proc_track(pid);
    ev(p, track, lane(p, track, "running"), "sched", cpu_name, a_ps, dur);
    fprintf(p->f, ",\"args\":{\"pid\":%" PRId64 ",\"cpu\":%d}}", pid, cpu);
}

/* The run's processes: their names, and a track named for each. */
static void processes(struct pf *p)
{
    sqlite3_stmt *st = rh_prepare(p->db, "SELECT pid, name FROM process WHERE run_id = ?1 ORDER BY seq");
    if (st != NULL)
        sqlite3_bind_int64(st, 1, p->run);
    while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        int64_t pid = sqlite3_column_int64(st, 0);
        char name[PF_LANE_NAME];
        snprintf(name, sizeof name, "pid %" PRId64 " %s", pid, rh_text(st, 1));
        if (proc_track(pid) != PF_PID_OTHER)
            meta(p, "process_name", proc_track(pid), 0, name);
        if (p->nprocs == PF_PROCS_MAX)
            continue;
        p->proc_pid[p->nprocs] = pid;
        snprintf(p->proc_name[p->nprocs++], sizeof p->proc_name[0], "%s", rh_text(st, 1));
    }
    sqlite3_finalize(st);
}

/* "otherData": what the run was. */
static void other_data(struct pf *p)
{
    static const char *const keys[] = {"scenario", "seed", "policy", "result"};
    sqlite3_stmt *st = rh_prepare(p->db, "SELECT scenario, seed, policy, coalesce(result, status)"
                                         " FROM run WHERE id = ?1");
    fprintf(p->f, ",\"otherData\":{\"run\":%" PRId64, p->run);
    if (st != NULL)
        sqlite3_bind_int64(st, 1, p->run);
    if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
        for (int i = 0; i < 4; i++) {
            fputc(',', p->f);
            json_str(p->f, keys[i]);
            fputc(':', p->f);
            json_str(p->f, rh_text(st, i));
        }
    sqlite3_finalize(st);
    fputc('}', p->f);
}

static void document(struct pf *p)
{
    fputs("{\"traceEvents\":[", p->f);
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        meta(p, "process_name", groups[i].pid, 0, groups[i].name);
    processes(p);
    sched_spans(p->db, p->run, sched_spans_end_ps(p->db, p->run), sched_span, p);
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
        source_events(p, &sources[i]);
    ring_counters(p);
    fputs("\n],\"displayTimeUnit\":\"ns\"", p->f);
    other_data(p);
    fputs("}\n", p->f);
}

static enum iosim_err check_run(sqlite3 *db, const char *path, int64_t run, char *msg, size_t len)
{
    if (!rh_has_table(db, "run")) {
        snprintf(msg, len, "%s: not an iosim trace database", path);
        return IOSIM_EPROTO;
    }
    if (rh_scalar(db, "SELECT count(*) FROM run WHERE id = ?1", run, 0) == 0) {
        snprintf(msg, len, "%s: no run %" PRId64 " in this trace", path, run);
        return IOSIM_ENOENT;
    }
    return IOSIM_OK;
}

enum iosim_err report_perfetto(const char *db_path, int64_t run_id, FILE *out, char *msg,
                               size_t msg_len)
{
    assert(db_path != NULL && out != NULL);
    assert(msg != NULL && msg_len > 0);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(msg, msg_len, "%s: cannot open: %s", db_path, db ? sqlite3_errmsg(db) : "no memory");
        sqlite3_close(db);
        return IOSIM_EPROTO;
    }
    sqlite3_busy_timeout(db, 10000);
    enum iosim_err e = check_run(db, db_path, run_id, msg, msg_len);
    static struct pf p;
    memset(&p, 0, sizeof p);
    p = (struct pf){.db = db, .f = out, .run = run_id, .first = true};
    if (e == IOSIM_OK && (p.lanes = calloc(PERFETTO_LANES_MAX, sizeof *p.lanes)) == NULL) {
        snprintf(msg, msg_len, "out of memory");
        e = IOSIM_ENOMEM;
    }
    if (e == IOSIM_OK)
        document(&p);
    free(p.lanes);
    sqlite3_close(db);
    return e;
}
