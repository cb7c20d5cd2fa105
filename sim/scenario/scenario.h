/*
 * scenario.h - a scenario file, validated and ready to run.
 *
 * The loader reads a YAML scenario (docs/scenario-format.md), checks every
 * key, type, range and cross-reference, and fills a struct sim_scenario. It
 * never runs anything half-way: either the whole file is valid, or the
 * first problem is reported as `file:line:col: message` and nothing is
 * built.
 *
 *     struct sim_scenario *s;
 *     struct yml_error err;
 *     if (sim_scenario_load("scenarios/suite/x.yaml", &s, &err) != IOSIM_OK) {
 *         fprintf(stderr, "%s\n", err.msg);     exit status 2
 *     }
 *     ... sim_run(s, &opts, &result) ...
 *     sim_scenario_free(s);
 *
 * Ownership: the scenario owns everything in it (programs, strings).
 */
#ifndef IOSIM_SIM_SCENARIO_H
#define IOSIM_SIM_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/err.h"
#include "impl/apps/apps.h"
#include "sim/machine/machine.h"
#include "sim/scenario/family.h"
#include "sim/scenario/program.h"
#include "sim/scenario/yml.h"

#define SIM_SCN_DEVICES_MAX 256u   /* a dump's functions are devices too */
#define SIM_SCN_PROCS_MAX 256u
#define SIM_SCN_EXPECTS_MAX 256u
#define SIM_SCN_TEXT_MAX 256u
/* `clauses:` - the spec clauses a scenario exercises (for the report's
 * conformance matrix; recorded on the run row, never hashed). */
#define SIM_SCN_CLAUSES_MAX 16u
#define SIM_SCN_CLAUSE_LEN_MAX 63u
#define SIM_POLICY_TEXT_MAX 16u

#define SIM_APP_STR_MAX 48u     /* an argument key */
#define SIM_APP_TEXT_MAX (4u << 20) /* a string argument (pcid's driver table, an fio iolog) */

struct sim_scn_process {
    char name[SIM_NAME_MAX];
    int32_t cpu;
    bool daemon;
    sim_time_ps start_ps;
    struct sim_program prog;          /* when app == NULL */
    const struct app_def *app;        /* `run:` an app (impl/apps) instead */
    struct app_args args;             /* its strings point into arg_key / arg_text */
    char arg_key[APP_ARGS_MAX][SIM_APP_STR_MAX];
    char *arg_text[APP_ARGS_MAX];     /* owned, NULL for numbers */
};

enum sim_expect_kind {
    SIM_EXPECT_MEMORY,   /* a value in memory at the end */
    SIM_EXPECT_PROCESS,  /* a process's exit status / state */
    SIM_EXPECT_COUNTER,  /* a machine counter */
    SIM_EXPECT_END_TIME, /* simulated end time within bounds */
    SIM_EXPECT_END,      /* how the run ended */
    SIM_EXPECT_TRACE,    /* how many trace rows of a table match column values */
};

/* A `trace` expectation's `where:` holds up to SIM_EXPECT_WHERE_MAX
 * columns; a string value is at most SIM_EXPECT_WHERE_STR_MAX - 1 bytes. */
#define SIM_EXPECT_WHERE_MAX 8u
#define SIM_EXPECT_WHERE_STR_MAX 64u

/* One column of `where:`: the row's column `col` must equal the value. */
struct sim_expect_where {
    uint32_t col;                   /* index among the table's own columns */
    bool is_int;                    /* an INT column: `value`; SYM/TEXT: `str` */
    int64_t value;                  /* uint64 values as their bit pattern */
    char str[SIM_EXPECT_WHERE_STR_MAX];
};

struct sim_expect {
    enum sim_expect_kind kind;
    uint32_t line, col;
    char name[SIM_NAME_MAX];        /* process or counter name */
    uint64_t addr;
    uint8_t size;
    bool has_eq, has_ne, has_min, has_max;
    uint64_t eq, ne, min, max;      /* for memory, counter, end_time (ps), trace (count = eq) */
    bool has_exit;
    int32_t exit_status;
    bool has_state;
    bool spawned;                   /* process: started at run time by another process */
    enum sim_proc_state state;
    enum sim_end_reason end;
    uint32_t table;                 /* trace: a table id (core or registered) */
    uint32_t where_count;           /* trace: columns in where[], in file order */
    struct sim_expect_where where[SIM_EXPECT_WHERE_MAX];
};

/* `kind: kill` faults: the process ends at `at` (exit status -9), however
 * far it got: the peer that dies with requests in flight. */
#define SIM_SCN_KILLS_MAX 16u

struct sim_scn_kill {
    char process[SIM_NAME_MAX];
    sim_time_ps at_ps;
};

/* A count `iosim shrink` may lower (docs/scenario-format.md, shrink): a
 * program's `repeat` with `shrink: true`, or an app's numeric argument its
 * process lists under `shrink:`. Named `<process>.repeat@<line>` or
 * `<process>.<argument>`. */
#define SIM_SCN_COUNTS_MAX 16u

struct sim_scn_count {
    char name[SIM_NAME_MAX + SIM_APP_STR_MAX + 2];
    uint32_t proc;                      /* index in procs */
    int32_t step;                       /* the repeat step, or -1: argument `arg` */
    uint32_t arg;
    uint64_t value;                     /* as written */
    uint64_t min;                       /* the least it may become */
};

/* `fuzz.faults:` - the faults the scenario must survive, any subset at any
 * drawn rate (sim/run/faultset.h draws, formats and applies them). */
#define SIM_SCN_ALLOWED_MAX 32u

enum sim_scn_allowed_class {
    SIM_ALLOWED_IRQ_DROP,   /* a machine fault rule, per_mille */
    SIM_ALLOWED_IRQ_DELAY,  /* per_mille and delay */
    SIM_ALLOWED_DMA_ERROR,  /* per_mille, on `target` or any device */
    SIM_ALLOWED_KILL,       /* `target` (a process) killed at `at` */
    SIM_ALLOWED_FAMILY,     /* a device family's kind, on device `target` */
};

/*
 * One allowed fault. Invariants: kind's parameters are the legal ones with
 * the draw ranges the scenario narrowed; target is "" for irq faults, a
 * device of the scenario for dma_error (or "" any) and family kinds
 * (device = its index, family_kind = the kind's index in what its
 * family's swarm_kinds gave), a process for kill (one declared, or
 * spawned); line is UINT32_MAX (any) but for irq faults given a line.
 */
struct sim_scn_allowed {
    enum sim_scn_allowed_class cls;
    struct sim_swarm_kind kind;
    char target[SIM_NAME_MAX];
    uint32_t line;
    bool spawned;
    uint32_t device;
    uint32_t family_kind;
    uint32_t src_line, src_col;     /* where it is declared */
};

struct sim_scenario {
    char file[SIM_SCN_TEXT_MAX];
    char name[SIM_NAME_MAX * 2];
    char policy[SIM_POLICY_TEXT_MAX];   /* as written ("pct:3") */
    /* `clauses:`, one a line in file order ("xHCI 4.6.5\nBOT 6.3"); "" when none */
    char clauses[SIM_SCN_CLAUSES_MAX * (SIM_SCN_CLAUSE_LEN_MAX + 1)];
    struct sim_machine_config machine;  /* includes seed, policy, faults */
    bool kernel;                        /* machine.kernel: run impl/kernel */
    /* each registered family's `machine.<key>` config (owned), by registry
     * index; NULL when the key is absent */
    void *family_machine[SIM_FAMILIES_MAX];
    struct sim_scn_device devices[SIM_SCN_DEVICES_MAX]; /* file order; configs owned */
    uint32_t device_count;
    struct sim_prog_device prog_devices[SIM_PROG_DEVICES_MAX]; /* fixed windows programs
                                                                 name, added by families */
    uint32_t prog_device_count;
    struct sim_scn_process procs[SIM_SCN_PROCS_MAX];
    uint32_t proc_count;
    struct sim_expect expects[SIM_SCN_EXPECTS_MAX];
    uint32_t expect_count;
    bool end_expected;                  /* an explicit `end:` expectation exists */
    struct sim_scn_kill kills[SIM_SCN_KILLS_MAX];
    uint32_t kill_count;
    struct sim_scn_count counts[SIM_SCN_COUNTS_MAX];
    uint32_t count_count;
    struct sim_scn_allowed allowed[SIM_SCN_ALLOWED_MAX]; /* `fuzz.faults:`, file order */
    uint32_t allowed_count;
};

/* The machine's swarm kinds (irq_drop, irq_delay, dma_error, kill) with
 * their legal and default draw ranges; NULL for SIM_ALLOWED_FAMILY. */
const struct sim_swarm_kind *sim_scn_machine_kind(enum sim_scn_allowed_class cls);

enum iosim_err sim_scenario_load(const char *path, struct sim_scenario **out,
                                 struct yml_error *err);
enum iosim_err sim_scenario_load_string(const char *name, const char *text, size_t len,
                                        struct sim_scenario **out, struct yml_error *err);
void sim_scenario_free(struct sim_scenario *s);

/* "fifo", "random", "pct:D" (1 <= D <= 16) into params; EINVAL otherwise. */
enum iosim_err sim_policy_parse(const char *text, struct sim_sched_params *sp);

/* Parses one program (a sequence of steps) from a node; used by the loader
 * and by tests. `devices` resolves mmio_* device names. */
enum iosim_err sim_program_load(const struct yml_doc *doc, const struct yml_node *seq,
                                const struct sim_prog_device *devices, uint32_t device_count,
                                struct sim_program *out, struct yml_error *err);

/* Sets every shrinkable count for the next run: values[i] for counts[i],
 * or as written when values is NULL (sim_run calls it). */
void sim_scn_counts_apply(struct sim_scenario *s, const uint64_t *values);

/* "name=v,name=v" (the counts that differ from the file) into buf; the
 * length needed, as snprintf. */
size_t sim_scn_counts_format(const struct sim_scenario *s, const uint64_t *values, char *buf,
                             size_t cap);

/* Parses that text into values[count_count] (the rest as written). EINVAL
 * with msg: an unknown name, a value below its minimum, malformed text. */
enum iosim_err sim_scn_counts_parse(const struct sim_scenario *s, const char *text,
                                    uint64_t *values, char *msg, size_t cap);

#endif /* IOSIM_SIM_SCENARIO_H */
