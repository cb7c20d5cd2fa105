/*
 * bench_trace - how fast the trace store writes rows.
 *
 *   trace.insert        rows/s through sim_trace_mmio() into a file
 *   trace.sqlite_raw    rows/s of a bare prepared-statement loop writing the
 *                       same rows into the same table: same pragmas, same
 *                       open flags, same transaction size
 *   trace.insert_ratio  insert / raw (target >= 0.70)
 *   trace.hash_only     rows/s through sim_trace_mmio() without a file
 *
 * Each file measurement goes into a fresh file; raw and insert alternate
 * and the best of the rounds counts, so a noisy neighbour hurts both alike.
 * Usage: bench_trace [rows per measurement] [rounds]   (default 3000000 2)
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim/trace/trace.h"

struct row {
    int64_t cpu, pid, addr, offset, size, value, latency_ps;
    const char *device, *dir, *status;
};

static const char *const dirs[] = {"read", "write"};

/* The rows both writers write: a plausible register access pattern. */
static void row_of(uint64_t i, struct row *r)
{
    r->cpu = (int64_t)(i & 3);
    r->pid = (int64_t)(10 + (i & 7));
    r->device = "xhci0";
    r->addr = (int64_t)(0xfe000000u + ((i * 4) & 0xfff));
    r->offset = (int64_t)((i * 4) & 0xfff);
    r->size = 4;
    r->dir = dirs[(i >> 2) & 1];
    r->value = (int64_t)(i * 0x9e3779b97f4a7c15ull);
    r->latency_ps = (int64_t)(90000 + (i & 255));
    r->status = "ok";
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char g_dir[128];
static char g_path[192];

static void fresh_file(void)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[224];
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", g_path, suffix[i]);
        (void)unlink(p);
    }
}

static struct sim_trace_db *open_db(void)
{
    struct sim_trace_db *db = NULL;
    char msg[256];
    if (sim_trace_db_open(g_path, &db, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "bench_trace: %s\n", msg);
        exit(1);
    }
    return db;
}

static double bench_insert(uint64_t n)
{
    fresh_file();
    struct sim_trace_db *db = open_db();
    struct sim_trace tr;
    struct sim_trace_run_info info = {.scenario = "bench"};
    double t0 = now_s();
    if (sim_trace_init(&tr, db, &info) != IOSIM_OK)
        exit(1);
    struct row r;
    for (uint64_t i = 0; i < n; i++) {
        row_of(i, &r);
        sim_trace_mmio(&tr, i * 1000, r.cpu, r.pid, r.device, r.addr, r.offset, r.size, r.dir,
                       r.value, r.latency_ps, r.status);
    }
    struct sim_trace_result res = {.result = "pass", .end_time_ps = n * 1000};
    enum iosim_err e = sim_trace_finish(&tr, &res);
    double dt = now_s() - t0;
    if (e != IOSIM_OK) {
        char msg[256];
        sim_trace_error(&tr, msg, sizeof msg);
        fprintf(stderr, "bench_trace: %s\n", msg);
        exit(1);
    }
    sim_trace_fini(&tr);
    sim_trace_db_close(db);
    return (double)n / dt;
}

static void raw_check(sqlite3 *s, int rc, int want)
{
    if (rc != want) {
        fprintf(stderr, "bench_trace: raw: %s\n", sqlite3_errmsg(s));
        exit(1);
    }
}

static void raw_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
    sqlite3_bind_text(st, idx, s, (int)strlen(s), SQLITE_STATIC);
}

static double bench_raw(uint64_t n)
{
    fresh_file();
    sim_trace_db_close(open_db()); /* the same schema */
    sqlite3 *s = NULL;
    raw_check(s, sqlite3_open_v2(g_path, &s,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 NULL),
              SQLITE_OK);
    sqlite3_busy_timeout(s, (int)SIM_TRACE_BUSY_TIMEOUT_MS_DEFAULT);
    raw_check(s, sqlite3_exec(s, "PRAGMA journal_mode=WAL", NULL, NULL, NULL), SQLITE_OK);
    raw_check(s, sqlite3_exec(s, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    raw_check(s, sqlite3_prepare_v2(s,
                                    "INSERT INTO mmio(run_id,seq,t_ps,cpu,pid,device,addr,offset,"
                                    "size,dir,value,latency_ps,status) "
                                    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                    -1, &st, NULL),
              SQLITE_OK);
    double t0 = now_s();
    struct row r;
    for (uint64_t i = 0; i < n; i++) {
        if (i % SIM_TRACE_BATCH_ROWS_DEFAULT == 0) {
            if (i > 0)
                raw_check(s, sqlite3_exec(s, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
            raw_check(s, sqlite3_exec(s, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
        }
        row_of(i, &r);
        sqlite3_bind_int64(st, 1, 1);
        sqlite3_bind_int64(st, 2, (int64_t)i);
        sqlite3_bind_int64(st, 3, (int64_t)(i * 1000));
        sqlite3_bind_int64(st, 4, r.cpu);
        sqlite3_bind_int64(st, 5, r.pid);
        raw_bind_text(st, 6, r.device);
        sqlite3_bind_int64(st, 7, r.addr);
        sqlite3_bind_int64(st, 8, r.offset);
        sqlite3_bind_int64(st, 9, r.size);
        raw_bind_text(st, 10, r.dir);
        sqlite3_bind_int64(st, 11, r.value);
        sqlite3_bind_int64(st, 12, r.latency_ps);
        raw_bind_text(st, 13, r.status);
        raw_check(s, sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    raw_check(s, sqlite3_exec(s, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    double dt = now_s() - t0;
    sqlite3_finalize(st);
    sqlite3_close(s);
    return (double)n / dt;
}

static double bench_hash_only(uint64_t n)
{
    struct sim_trace tr;
    sim_trace_init(&tr, NULL, NULL);
    struct row r;
    double t0 = now_s();
    for (uint64_t i = 0; i < n; i++) {
        row_of(i, &r);
        sim_trace_mmio(&tr, i * 1000, r.cpu, r.pid, r.device, r.addr, r.offset, r.size, r.dir,
                       r.value, r.latency_ps, r.status);
    }
    double dt = now_s() - t0;
    fprintf(stderr, "# hash of %llu rows: %016llx\n", (unsigned long long)n,
            (unsigned long long)sim_trace_hash(&tr));
    sim_trace_fini(&tr);
    return (double)n / dt;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 3000000;
    int rounds = argc > 2 ? atoi(argv[2]) : 2;
    if (n == 0 || rounds < 1) {
        fprintf(stderr, "usage: bench_trace [rows] [rounds]\n");
        return 2;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/iosim-bench-trace-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(g_dir) == NULL) {
        perror("bench_trace: mkdtemp");
        return 1;
    }
    snprintf(g_path, sizeof g_path, "%s/bench.db", g_dir);
    double raw = 0, ins = 0;
    for (int k = 0; k < rounds; k++) {
        double r = bench_raw(n), i = bench_insert(n);
        fprintf(stderr, "# round %d: raw %.0f rows/s, insert %.0f rows/s\n", k, r, i);
        raw = r > raw ? r : raw;
        ins = i > ins ? i : ins;
    }
    double hash = bench_hash_only(n);
    fresh_file();
    (void)rmdir(g_dir);
    printf("bench: trace.insert %.0f rows/s\n", ins);
    printf("bench: trace.sqlite_raw %.0f rows/s\n", raw);
    printf("bench: trace.insert_ratio %.2f x\n", ins / raw);
    printf("bench: trace.hash_only %.0f rows/s\n", hash);
    return 0;
}
