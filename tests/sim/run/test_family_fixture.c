/*
 * A device family that exists only in this test (tests/fixtures/family/):
 * its files and the one registration line below are all it takes for the
 * scenario loader to load it from YAML (devices and a machine section),
 * for a run to create it on a machine, and for the trace and expectations
 * to know its table and its counter.
 *
 * Registration is process-global; Criterion runs each test in a process of
 * its own, so a test that does not register sees only the built-in families.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "reports/summary.h"
#include "sim/run/run.h"
#include "sim/scenario/scenario.h"
#include "tests/sim/trace/trace_test_util.h"

/* The family's own files, compiled into this test only. */
#include "tests/fixtures/family/blink.c"
#include "tests/fixtures/family/blink_family.c"

#define BLINK_YAML IOSIM_SOURCE_DIR "/tests/fixtures/family/blink.yaml"

TestSuite(family_fixture, .init = scratch_make, .fini = scratch_drop);

static void register_blink(void)
{
    cr_assert_eq(sim_family_register(&blink_family), IOSIM_OK); /* the registration line */
}

static struct sim_scenario *load_blink(void)
{
    struct sim_scenario *s = NULL;
    struct yml_error err;
    cr_assert_eq(sim_scenario_load(BLINK_YAML, &s, &err), IOSIM_OK, "%s", err.msg);
    return s;
}

static struct sim_run_result run_blink(struct sim_scenario *s, struct sim_trace_db *db)
{
    struct sim_run_result r;
    struct sim_run_opts o = {.db = db};
    cr_assert_eq(sim_run(s, &o, &r), IOSIM_OK, "%s", r.message);
    for (uint32_t i = 0; i < r.failure_count; i++)
        cr_log_error("%s", r.failures[i]);
    return r;
}

Test(family_fixture, loads_from_yaml_runs_and_traces)
{
    register_blink();
    struct sim_trace_db *db = NULL;
    char msg[256];
    struct sim_trace_db_opts opts = {.in_process = true};
    cr_assert_eq(sim_trace_db_open_opts(g_path, &opts, &db, msg, sizeof msg), IOSIM_OK, "%s", msg);
    struct sim_scenario *s = load_blink();
    cr_assert_eq(s->device_count, 2);
    cr_expect_eq(s->devices[0].family, &blink_family);
    const struct blink_config *b0 = s->devices[0].config, *b1 = s->devices[1].config;
    cr_expect_eq(b0->latency_ps, 2 * SIM_US, "from machine.blink");
    cr_expect_eq(b1->latency_ps, 500 * SIM_NS, "its own");
    struct sim_run_result r = run_blink(s, db);
    cr_expect(r.passed, "the counter, trace and assert expectations hold");
    cr_expect_eq(r.expectations_failed, 0);
    uint64_t blinks = 0;
    cr_expect(sim_counter_get(&r.counters, "blink.blinks", &blinks));
    cr_expect_eq(blinks, 7);
    sim_scenario_free(s);
    sim_trace_db_close(db);
    cr_expect_eq(sql_int("SELECT count(*) FROM blink_op"), 7);
    cr_expect_eq(sql_int("SELECT count(*) FROM blink_op WHERE device = 'b1'"), 4);
    cr_expect_eq(sql_int("SELECT max(n) FROM blink_op WHERE device = 'b0'"), 3);
    cr_expect_eq(sql_int("SELECT min(left) FROM blink_op"), 0);
    cr_expect_eq(sql_int("SELECT count(*) FROM irq WHERE event = 'raise' AND device = 'b0'"), 1);
    /* the report finds the table through the registry, as `iosim report` does */
    const char *names[SIM_TRACE_TABLES_MAX];
    for (uint32_t i = 0; i < sim_trace_table_count(); i++)
        names[i] = sim_trace_table_info(i)->name;
    char *text = NULL, msg2[256];
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cr_assert_eq(report_summary(g_path, names, sim_trace_table_count(), out, msg2, sizeof msg2),
                 IOSIM_OK, "%s", msg2);
    fclose(out);
    cr_expect_neq(strstr(text, " blink_op 7"), NULL, "%s", text);
    free(text);
}

Test(family_fixture, the_same_seed_gives_the_same_hash_and_the_db_agrees)
{
    register_blink();
    struct sim_trace_db *db = NULL;
    char msg[256];
    cr_assert_eq(sim_trace_db_open(g_path, &db, msg, sizeof msg), IOSIM_OK, "%s", msg);
    struct sim_scenario *s = load_blink();
    struct sim_run_result a = run_blink(s, db), b = run_blink(s, NULL);
    cr_expect_eq(a.trace_hash, b.trace_hash, "with and without a database");
    uint64_t stored = 0, rows = 0;
    cr_expect_eq(sim_trace_db_run_hash(db, a.run_id, &stored, &rows, msg, sizeof msg), IOSIM_OK,
                 "%s", msg);
    cr_expect_eq(rows, a.trace_rows);
    cr_expect_eq(stored, a.trace_hash, "recomputed from the rows, blink_op included");
    sim_scenario_free(s);
    sim_trace_db_close(db);
}

Test(family_fixture, an_unregistered_family_is_an_unknown_type)
{
    struct sim_scenario *s = NULL;
    struct yml_error err;
    cr_assert_eq(sim_scenario_load(BLINK_YAML, &s, &err), IOSIM_EPARSE);
    cr_expect_neq(strstr(err.msg, "blink.yaml:11:3: unknown key 'blink' in machine (expected one "
                                  "of: cpus, memory, iommu, memory_model, dma_base, events_max, "
                                  "costs, kernel, pci)"),
                  NULL, "%s", err.msg);
}

Test(family_fixture, its_keys_are_checked_with_their_position)
{
    register_blink();
    const char *text = "scenario: t\n"
                       "machine: {cpus: 1, memory: 16MiB}\n"
                       "devices: [{name: b, type: blink, mmio: 0xfe000000, irq: 1, colour: red}]\n"
                       "processes: [{name: p, program: [yield]}]\n";
    struct sim_scenario *s = NULL;
    struct yml_error err;
    cr_assert_eq(sim_scenario_load_string("t.yaml", text, strlen(text), &s, &err), IOSIM_EPARSE);
    cr_expect_neq(strstr(err.msg, "t.yaml:3:60: unknown key 'colour' in blink device"), NULL,
                  "%s", err.msg);
    const char *no_latency = "scenario: t\n"
                             "machine: {cpus: 1, memory: 16MiB}\n"
                             "devices: [{name: b, type: blink, mmio: 0xfe000000, irq: 1}]\n"
                             "processes: [{name: p, program: [yield]}]\n";
    cr_assert_eq(sim_scenario_load_string("t.yaml", no_latency, strlen(no_latency), &s, &err),
                 IOSIM_EPARSE);
    cr_expect_neq(strstr(err.msg, "t.yaml:3:11: a blink needs `latency` or `machine.blink`"), NULL, "%s",
                  err.msg);
}

Test(family_fixture, a_type_another_family_has_is_refused)
{
    static const char *const taken[] = {"testdev", NULL};
    struct sim_family clash = blink_family;
    clash.name = "clash";
    clash.machine_key = NULL;
    clash.load_machine = NULL;
    clash.types = taken;
    clash.tables = NULL;
    clash.counters = NULL;
    cr_expect_eq(sim_family_register(&clash), IOSIM_EINVAL);
    register_blink();
    cr_expect_eq(sim_family_register(&blink_family), IOSIM_OK, "the same descriptor: a no-op");
    cr_expect_eq(sim_family_count(), 5, "testdev, pci, xhci, usb, blink");
}

/* A second test-only family whose create looks up other devices by name
 * (sim_family_run.instance_of), as a USB device finds its controller. */
static struct {
    void *b0, *b1, *nope;
    const struct sim_family *b0_family, *b1_family, *nope_family;
} peeked;

static enum iosim_err peek_load(struct sim_family_loader *l, const struct yml_node *map,
                                uint32_t type, const char *name)
{
    static const char *const k[] = {"name", "type", NULL};
    struct sim_scn_device *d;
    CHECK(yml_check_keys(l->doc, map, k, "peek device", l->err));
    return sim_family_device_add(l, map, name, type, &d);
}

static enum iosim_err peek_create(const struct sim_family_run *run, const struct sim_scn_device *d,
                                  void **instance, const char **why)
{
    (void)d;
    (void)why;
    peeked.b0 = run->instance_of(run, "b0", &peeked.b0_family);
    peeked.b1 = run->instance_of(run, "b1", &peeked.b1_family);
    peeked.nope = run->instance_of(run, "nope", &peeked.nope_family);
    *instance = NULL;
    return IOSIM_OK;
}

Test(family_fixture, a_device_finds_the_devices_created_before_it_by_name)
{
    static const char *const peek_types[] = {"peek", NULL};
    static const struct sim_family peek_family = {
        .name = "peek", .types = peek_types, .config_size = 1, .load = peek_load,
        .create = peek_create,
    };
    register_blink();
    cr_assert_eq(sim_family_register(&peek_family), IOSIM_OK);
    const char *text = "scenario: t\n"
                       "machine: {cpus: 1, memory: 16MiB}\n"
                       "devices:\n"
                       "  - {name: b0, type: blink, mmio: 0xfe000000, irq: 1, latency: 1us}\n"
                       "  - {name: p, type: peek}\n"
                       "  - {name: b1, type: blink, mmio: 0xfe001000, irq: 2, latency: 1us}\n"
                       "processes: [{name: q, program: [yield]}]\n";
    struct sim_scenario *s = NULL;
    struct yml_error err;
    cr_assert_eq(sim_scenario_load_string("t.yaml", text, strlen(text), &s, &err), IOSIM_OK,
                 "%s", err.msg);
    run_blink(s, NULL);
    cr_expect_not_null(peeked.b0, "declared before: created");
    cr_expect_eq(peeked.b0_family, &blink_family);
    cr_expect_null(peeked.b1, "declared after: not created yet");
    cr_expect_null(peeked.b1_family);
    cr_expect_null(peeked.nope, "no such device");
    cr_expect_null(peeked.nope_family);
    sim_scenario_free(s);
}
