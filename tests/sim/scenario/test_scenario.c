/* sim/scenario: one valid scenario in full, then a table of invalid ones,
 * each with the exact `file:line:col: message` the loader must give. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "models/testdev/testdev.h"
#include "sim/scenario/scenario.h"

static const char *const header =
    "scenario: t\n"
    "machine: {cpus: 2, memory: 16MiB}\n";

static struct sim_scenario *load_ok(const char *text)
{
    struct sim_scenario *s = NULL;
    struct yml_error err = {{0}};
    enum iosim_err e = sim_scenario_load_string("t.yaml", text, strlen(text), &s, &err);
    cr_assert_eq(e, IOSIM_OK, "unexpected error: %s", err.msg);
    return s;
}

Test(scenario, full_scenario_loads_every_section)
{
    const char *text =
        "scenario: full\n"
        "description: everything\n"
        "seed: 42\n"
        "policy: \"pct:4\"\n"
        "time_limit: 5ms\n"
        "scheduler: {timeslice: 20us, preempt_per_mille: 50, jitter_percent: 10,\n"
        "            stall_per_mille: 2, stall_max: 1us, pct_steps: 99, store_delay_max: 100ns}\n"
        "machine:\n"
        "  cpus: 4\n"
        "  memory: 32MiB\n"
        "  iommu: true\n"
        "  memory_model: sc\n"
        "  dma_base: 2MiB\n"
        "  costs: {atomic: 2ns, context_switch: 3us}\n"
        "devices:\n"
        "  - {name: d0, type: testdev, mmio: 0xfe000000, irq: 7, setup: 2us, bytes_per_second: 4GB}\n"
        "processes:\n"
        "  - name: p\n"
        "    cpu: 3\n"
        "    daemon: true\n"
        "    start: 1us\n"
        "    program:\n"
        "      - load: {addr: 0x100, size: 8, order: acquire, into: r3}\n"
        "      - repeat: {count: 3, steps: [{add: {reg: r3, value: 1}}, yield]}\n"
        "      - mmio_write: {device: d0, offset: 4, value: r3+1}\n"
        "      - exit: 3\n"
        "faults:\n"
        "  - {kind: irq_delay, line: 7, per_mille: 500, delay: 3us, count: 2}\n"
        "expect:\n"
        "  - memory: {addr: 0x100, size: 8, min: 1, max: 9}\n"
        "  - process: {name: p, exit: 3}\n"
        "  - counter: {name: irq.raised, equals: 0}\n"
        "  - end_time: {max: 5ms}\n"
        "  - end: all_exited\n";
    struct sim_scenario *s = load_ok(text);
    cr_expect_str_eq(s->name, "full");
    cr_expect_eq(s->machine.seed, 42);
    cr_expect_eq(s->machine.sched.policy, SIM_POLICY_PCT);
    cr_expect_eq(s->machine.sched.pct_depth, 4);
    cr_expect_eq(s->machine.time_limit_ps, 5 * SIM_MS);
    cr_expect_eq(s->machine.sched.timeslice_ps, 20 * SIM_US);
    cr_expect_eq(s->machine.sched.store_delay_max_ps, 100 * SIM_NS);
    cr_expect_eq(s->machine.cpus, 4);
    cr_expect_eq(s->machine.mem_bytes, 32ull << 20);
    cr_expect(s->machine.iommu);
    cr_expect(!s->machine.relaxed_memory);
    cr_expect_eq(s->machine.alloc_base, 2ull << 20);
    cr_expect_eq(s->machine.costs.atomic_ps, 2 * SIM_NS);
    cr_expect_eq(s->machine.costs.context_switch_ps, 3 * SIM_US);
    cr_expect_eq(s->device_count, 1);
    cr_expect_eq(s->devices[0].family, &testdev_family);
    const struct testdev_config *tc = s->devices[0].config;
    cr_expect_eq(tc->irq_line, 7);
    cr_expect_eq(tc->setup_ps, 2 * SIM_US);
    cr_expect_eq(tc->bytes_per_s, 4000000000ull);
    cr_expect_eq(s->proc_count, 1);
    cr_expect_eq(s->procs[0].cpu, 3);
    cr_expect(s->procs[0].daemon);
    cr_expect_eq(s->procs[0].start_ps, 1 * SIM_US);
    /* load, repeat, add, yield, mmio_write, exit */
    cr_assert_eq(s->procs[0].prog.count, 6);
    cr_expect_eq(s->procs[0].prog.steps[1].kind, SIM_STEP_REPEAT);
    cr_expect_eq(s->procs[0].prog.steps[1].body_len, 2);
    cr_expect_eq(s->procs[0].prog.steps[4].value.is_reg, true);
    cr_expect_eq(s->procs[0].prog.steps[4].value.imm, 1);
    cr_expect_eq(s->machine.fault_count, 1);
    cr_expect_eq(s->machine.faults[0].delay_ps, 3 * SIM_US);
    cr_expect_eq(s->expect_count, 5);
    cr_expect(s->end_expected);
    sim_scenario_free(s);
}

Test(scenario, defaults_apply_when_keys_are_absent)
{
    char text[512];
    snprintf(text, sizeof text, "%sprocesses: [{name: p, program: [yield]}]\n", header);
    struct sim_scenario *s = load_ok(text);
    cr_expect_eq(s->machine.seed, 1);
    cr_expect_str_eq(s->policy, "fifo");
    cr_expect_eq(s->machine.sched.policy, SIM_POLICY_FIFO);
    cr_expect(!s->machine.iommu);
    cr_expect(s->machine.relaxed_memory);
    cr_expect_eq(s->machine.time_limit_ps, 1 * SIM_S);
    cr_expect_eq(s->procs[0].cpu, -1);
    cr_expect(!s->end_expected);
    sim_scenario_free(s);
}

struct bad_case {
    const char *body;   /* appended after `header` unless it starts with '!' */
    const char *error;  /* exact message */
};

static const struct bad_case bad_cases[] = {
    {"!machine: {cpus: 1, memory: 16MiB}\nprocesses: [{name: p, program: [yield]}]\n",
     "t.yaml:1:1: missing key 'scenario' in the scenario"},
    {"!scenario: t\nprocesses: [{name: p, program: [yield]}]\n",
     "t.yaml:1:1: missing key 'machine' in the scenario"},
    {"!scenario: t\nmachine: {cpus: 0, memory: 16MiB}\nprocesses: [{name: p, program: [yield]}]\n",
     "t.yaml:2:17: expected an integer between 1 and 64, got '0'"},
    {"!scenario: t\nmachine: {cpus: 65, memory: 16MiB}\nprocesses: [{name: p, program: [yield]}]\n",
     "t.yaml:2:17: expected an integer between 1 and 64, got '65'"},
    {"!scenario: t\nmachine: {cpus: 1, memory: 16MiB, gpus: 1}\nprocesses: [{name: p, program: [yield]}]\n",
     "t.yaml:2:35: unknown key 'gpus' in machine (expected one of: cpus, memory, iommu, "
     "memory_model, dma_base, events_max, costs, kernel, pci)"},
    {"!scenario: t\nscenario: u\nmachine: {cpus: 1, memory: 16MiB}\n",
     "t.yaml:2:1: duplicate key 'scenario' (first defined at line 1, column 1)"},
    {"!scenario: t\npolicy: lifo\nmachine: {cpus: 1, memory: 16MiB}\nprocesses: [{name: p, program: [yield]}]\n",
     "t.yaml:2:9: expected one of: fifo, random, pct:D (D from 1 to 16); got 'lifo'"},
    {"!scenario: t\npolicy: \"pct:0\"\nmachine: {cpus: 1, memory: 16MiB}\nprocesses: [{name: p, program: [yield]}]\n",
     "t.yaml:2:9: expected one of: fifo, random, pct:D (D from 1 to 16); got 'pct:0'"},
    {"processes: []\n", "t.yaml:3:12: a scenario needs at least one process"},
    {"processes: [{name: p, program: [{jump: 3}]}]\n",
     "t.yaml:3:34: unknown step 'jump' (expected one of: load, store, rmw, cas, fence, read, "
     "write, set, add, sub, and, or, xor, shl, shr, mul, work, sleep, yield, repeat, "
     "spin_until, mmio_read, mmio_write, dma_alloc, dma_free, irq_wait, assert, log, exit)"},
    {"processes: [{name: p, program: [{load: {addr: 0x10, into: r16}}]}]\n",
     "t.yaml:3:59: expected a register r0..r15, got 'r16'"},
    {"processes: [{name: p, program: [{load: {addr: 0x10, size: 2, into: r1}}]}]\n",
     "t.yaml:3:59: size must be 4 or 8, got 2"},
    {"processes: [{name: p, program: [{store: {addr: 0x10}}]}]\n",
     "t.yaml:3:41: missing key 'value' in store"},
    {"processes: [{name: p, program: [{load: {addr: 0x10, order: release, into: r1}}]}]\n",
     ""},
    {"processes: [{name: p, program: [yield, {yield: 1}]}]\n",
     "t.yaml:3:41: step 'yield' takes no arguments"},
    {"processes: [{name: p, program: [{work: 10}]}]\n",
     "t.yaml:3:40: expected a duration, got '10' (a unit is required: ps, ns, us, ms or s)"},
    {"processes: [{name: p, cpu: 2, program: [yield]}]\n",
     "t.yaml:3:28: expected an integer between 0 and 1, got '2'"},
    {"processes: [{name: p, program: [yield]}, {name: p, program: [yield]}]\n",
     "t.yaml:3:49: a process named 'p' already exists"},
    {"processes: [{name: 'a b', program: [yield]}]\n",
     "t.yaml:3:20: a name may hold letters, digits, '_', '-' and '.' only"},
    {"processes: [{name: p, program: [{mmio_read: {device: nope, offset: 0, into: r0}}]}]\n",
     "t.yaml:3:54: no device named 'nope' in `devices:`"},
    {"devices: [{name: d, type: testdev, mmio: 0x1000, irq: 1}]\nprocesses: [{name: p, program: [yield]}]\n",
     "t.yaml:3:42: mmio window 0x1000 overlaps memory (0 to 0x1000000)"},
    {"devices: [{name: d, type: gpu, mmio: 0xfe000000, irq: 1}]\nprocesses: [{name: p, program: [yield]}]\n",
     "t.yaml:3:27: expected one of: testdev, pci, pci_bridge, pci_dump, xhci, usb_zero, "
     "usb_device, usb_storage; got 'gpu'"},
    /* PCI devices */
    {"!scenario: t\nmachine: {cpus: 1, memory: 16MiB}\n"
     "devices: [{name: g, type: pci, at: '03.0', vendor: 1, device: 2}]\n"
     "processes: [{name: p, program: [yield]}]\n",
     "t.yaml:3:11: a PCI device needs `pci:` under `machine:`"},
    {"!scenario: t\nmachine: {cpus: 1, memory: 16MiB, pci: {ecam: 0x100000}}\n"
     "processes: [{name: p, program: [yield]}]\n",
     "t.yaml:2:47: the ECAM window at 0x100000 overlaps memory"},
    {"!scenario: t\nmachine: {cpus: 1, memory: 16MiB, pci: {}}\n"
     "devices: [{name: g, type: pci, at: '3.0', vendor: 1, device: 2}]\n"
     "processes: [{name: p, program: [yield]}]\n",
     "t.yaml:3:36: `at` is DD.F: device 00..1f and function 0..7 in hex (\"02.0\")"},
    {"!scenario: t\nmachine: {cpus: 1, memory: 16MiB, pci: {}}\n"
     "devices: [{name: g, type: pci, at: '03.0', vendor: 1, device: 2, behind: br}]\n"
     "processes: [{name: p, program: [yield]}]\n",
     "t.yaml:3:74: no pci_bridge named 'br' before this device"},
    {"!scenario: t\nmachine: {cpus: 1, memory: 16MiB, pci: {}}\n"
     "devices: [{name: g, type: pci, at: '03.0', vendor: 1, device: 2},\n"
     "          {name: h, type: pci, at: '03.1', vendor: 1, device: 3}]\n"
     "processes: [{name: p, program: [yield]}]\n",
     "t.yaml:4:11: function 1 needs function 0 of device 03 first, with `multifunction: true`"},
    {"!scenario: t\nmachine: {cpus: 1, memory: 16MiB, pci: {}}\n"
     "devices: [{name: g, type: pci, at: '03.0', vendor: 1, device: 2},\n"
     "          {name: h, type: pci, at: '03.0', vendor: 1, device: 3}]\n"
     "processes: [{name: p, program: [yield]}]\n",
     "t.yaml:4:11: 'g' is already at 03.0"},
    {"!scenario: t\nmachine: {cpus: 1, memory: 16MiB, pci: {}}\n"
     "devices: [{name: g, type: pci, at: '03.0', vendor: 1, device: 2,\n"
     "           bars: [{bar: 0, kind: mem32, size: 3000}]}]\n"
     "processes: [{name: p, program: [yield]}]\n",
     "t.yaml:4:19: a BAR size must be a power of two"},
    {"!scenario: t\nmachine: {cpus: 1, memory: 16MiB, pci: {}}\n"
     "devices: [{name: g, type: pci, at: '03.0', vendor: 1, device: 2,\n"
     "           bars: [{bar: 5, kind: mem64, size: 4KiB}]}]\n"
     "processes: [{name: p, program: [yield]}]\n",
     "t.yaml:4:19: a 64-bit BAR needs the next BAR slot free"},
    {"!scenario: t\nmachine: {cpus: 1, memory: 16MiB, pci: {}}\n"
     "devices: [{name: g, type: pci, at: '03.0', vendor: 1, device: 2, pin: 2}]\n"
     "processes: [{name: p, program: [yield]}]\n",
     "t.yaml:3:71: an interrupt pin needs the `irq` line it drives"},
    {"!scenario: t\nmachine: {cpus: 1, memory: 16MiB, pci: {}}\n"
     "devices: [{name: g, type: pci, at: '03.0', vendor: 1, device: 2,\n"
     "           bars: [{bar: 0, kind: mem32, size: 4KiB}],\n"
     "           msix: {vectors: 512, table: {bar: 0, offset: 0}, pba: {bar: 0, offset: 0x800}}}]\n"
     "processes: [{name: p, program: [yield]}]\n",
     "t.yaml:5:18: the MSI-X table or PBA does not fit its BAR"},
    {"!scenario: t\nmachine: {cpus: 1, memory: 16MiB, pci: {}}\n"
     "devices: [{name: pci, type: testdev, mmio: 0xfe000000, irq: 1}]\n"
     "processes: [{name: p, program: [yield]}]\n",
     "t.yaml:3:18: a device named 'pci' already exists"},
    {"devices: [{name: d, type: testdev, mmio: 0xfe000000, irq: 1},\n"
     "          {name: e, type: testdev, mmio: 0xfe000000, irq: 2}]\n"
     "processes: [{name: p, program: [yield]}]\n",
     "t.yaml:4:11: mmio window of 'e' overlaps 'd'"},
    {"processes: [{name: p, program: [yield]}]\nfaults: [{kind: irq_drop, line: 3}]\n",
     "t.yaml:4:10: a fault needs exactly one of `nth` and `per_mille`"},
    {"processes: [{name: p, program: [yield]}]\nfaults: [{kind: irq_delay, line: 3, nth: 1}]\n",
     "t.yaml:4:10: missing key 'delay' in irq_delay fault"},
    {"processes: [{name: p, program: [yield]}]\nfaults: [{kind: dma_error, device: x, nth: 1}]\n",
     "t.yaml:4:36: no device named 'x' in `devices:`"},
    {"processes: [{name: p, program: [yield]}]\nexpect: [{counter: {name: bogus, equals: 1}}]\n",
     "t.yaml:4:27: unknown counter 'bogus' (counters are DOMAIN.NAME, domains: sched, mem, "
     "mmio, dma, iommu, irq, faults, proc, bufpool, usb)"},
    {"processes: [{name: p, program: [yield]}]\nexpect: [{counter: {name: irq.lost, equals: 1}}]\n",
     "t.yaml:4:27: unknown counter 'irq.lost' (expected one of: irq.raised, irq.delivered, "
     "irq.timeouts)"},
    {"processes: [{name: p, program: [yield]}]\nexpect: [{process: {name: q, exit: 0}}]\n",
     "t.yaml:4:27: no process named 'q'"},
    {"processes: [{name: p, program: [yield]}]\nexpect: [{memory: {addr: 0x10}}]\n",
     "t.yaml:4:19: a memory expectation needs equals, not_equals, min or max"},
    {"processes: [{name: p, program: [yield]}]\nexpect: [{end: finished}]\n",
     "t.yaml:4:16: expected one of: all_exited, deadlock, time_limit; got 'finished'"},
    {"processes: [{name: p, program: [yield]}]\nexpect: [{memory: {addr: 0x10, equals: 1}, end: deadlock}]\n",
     "t.yaml:4:10: an expectation is a mapping with exactly one key (its kind)"},
    {"processes: [{name: p, program: [{assert: {reg: r0, equals: 1, less: 2}}]}]\n",
     "t.yaml:3:69: assert takes one comparison, not two"},
    {"processes: [{name: p, program: [{repeat: {count: 2, steps: {yield: 1}}}]}]\n",
     "t.yaml:3:60: expected a sequence, got a mapping"},
    /* an app's own check of its arguments: pcid's driver table */
    {"!scenario: t\nmachine: {cpus: 1, memory: 16MiB, kernel: true}\nprocesses:\n"
     "  - name: pcid\n    run: pcid\n    args:\n      drivers: |\n"
     "        class=0x0c driver=xhcid\n        clas=1 driver=x\n",
     "t.yaml:7:16: drivers, line 2 column 1: unknown key 'clas' (expected vendor, device, class, "
     "subclass, prog_if or driver)"},
    {"!scenario: t\nmachine: {cpus: 1, memory: 16MiB, kernel: true}\n"
     "processes: [{name: pcid, run: pcid, args: {drivers: \"class=0x100 driver=x\"}}]\n",
     "t.yaml:3:53: drivers, line 1 column 7: class must be an integer from 0 to 0xff"},
    {"!scenario: t\nmachine: {cpus: 1, memory: 16MiB, kernel: true}\n"
     "processes: [{name: pcid, run: pcid, args: {drivers: 5}}]\n",
     "t.yaml:3:53: drivers: the driver table is text"},
    {"!scenario: t\nmachine: {cpus: 1, memory: 16MiB, kernel: true}\n"
     "processes: [{name: d, run: pcitest, args: {pci: \"00:03.0\", vectors: 2}}]\n",
     ""},
    /* processes other processes start are named at run time */
    {"processes: [{name: p, program: [yield]}]\n"
     "expect: [{process: {name: drv-00.03.0, spawned: true, exit: 0}}]\n", ""},
    {"processes: [{name: p, program: [yield]}]\nexpect: [{process: {name: p, spawned: true, exit: 0}}]\n",
     "t.yaml:4:27: 'p' is a process of the scenario, not one started by another"},
    {"processes: [{name: p, program: [yield]}]\nexpect: [{process: {name: q, spawned: 1, exit: 0}}]\n",
     "t.yaml:4:39: expected true or false, got '1'"},
    /* clauses: the spec clauses a scenario exercises */
    {"clauses: \"xHCI 4.6.5\"\nprocesses: [{name: p, program: [yield]}]\n",
     "t.yaml:3:10: expected a sequence, got a quoted string 'xHCI 4.6.5'"},
    {"clauses: []\nprocesses: [{name: p, program: [yield]}]\n",
     "t.yaml:3:10: clauses: a list of 1 to 16 spec clauses"},
    {"clauses: [\"BOT 6.3\", \"\"]\nprocesses: [{name: p, program: [yield]}]\n",
     "t.yaml:3:22: a clause is 1 to 63 characters on one line (\"xHCI 4.6.5\")"},
    {"clauses: [\"BOT 6.3\", [x]]\nprocesses: [{name: p, program: [yield]}]\n",
     "t.yaml:3:22: expected a string, got a sequence"},
};

#define BAD_CASES (sizeof bad_cases / sizeof bad_cases[0])

/* Criterion may run each case in a fresh process image, so parameters are
 * plain indices into the table, never pointers. */
ParameterizedTestParameters(scenario, invalid_files_are_refused_with_a_position)
{
    static size_t idx[BAD_CASES];
    for (size_t i = 0; i < BAD_CASES; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, BAD_CASES);
}

ParameterizedTest(size_t *i, scenario, invalid_files_are_refused_with_a_position)
{
    const struct bad_case *c = &bad_cases[*i];
    char text[2048];
    if (c->body[0] == '!')
        snprintf(text, sizeof text, "%s", c->body + 1);
    else
        snprintf(text, sizeof text, "%s%s", header, c->body);
    struct sim_scenario *s = NULL;
    struct yml_error err = {{0}};
    enum iosim_err e = sim_scenario_load_string("t.yaml", text, strlen(text), &s, &err);
    if (c->error[0] == '\0') {
        /* accepted inputs in the table document what is deliberately allowed */
        if (e == IOSIM_OK) {
            sim_scenario_free(s);
            return;
        }
        cr_assert_fail("expected acceptance, got: %s\n--- input ---\n%s", err.msg, text);
    }
    cr_assert_neq(e, IOSIM_OK, "accepted:\n%s", text);
    cr_assert_null(s);
    cr_expect_str_eq(err.msg, c->error, "got:  %s\nwant: %s\ninput:\n%s", err.msg, c->error, text);
}

Test(scenario, clauses_are_kept_in_order_one_a_line)
{
    char text[256];
    snprintf(text, sizeof text, "%sclauses: [\"xHCI 4.6.5\", \"BOT 6.7 case 4\"]\n"
             "processes: [{name: p, program: [yield]}]\n", header);
    struct sim_scenario *s = load_ok(text);
    cr_expect_str_eq(s->clauses, "xHCI 4.6.5\nBOT 6.7 case 4");
    sim_scenario_free(s);
    snprintf(text, sizeof text, "%sprocesses: [{name: p, program: [yield]}]\n", header);
    s = load_ok(text);
    cr_expect_str_eq(s->clauses, "", "no clauses: empty");
    sim_scenario_free(s);
}

Test(scenario, policy_parse_accepts_exactly_the_documented_forms)
{
    struct sim_sched_params sp = {0};
    cr_expect_eq(sim_policy_parse("fifo", &sp), IOSIM_OK);
    cr_expect_eq(sp.policy, SIM_POLICY_FIFO);
    cr_expect_eq(sim_policy_parse("random", &sp), IOSIM_OK);
    cr_expect_eq(sp.policy, SIM_POLICY_RANDOM);
    cr_expect_eq(sim_policy_parse("pct:16", &sp), IOSIM_OK);
    cr_expect_eq(sp.pct_depth, 16);
    const char *bad[] = {"", "FIFO", "pct", "pct:", "pct:0", "pct:17", "pct:3x", "pct:-1",
                         "random ", "pct:01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(sim_policy_parse(bad[i], &sp), IOSIM_EINVAL, "'%s'", bad[i]);
}

Test(scenario, missing_file_is_reported_by_path)
{
    struct sim_scenario *s = NULL;
    struct yml_error err = {{0}};
    cr_assert_neq(sim_scenario_load("/nonexistent/x.yaml", &s, &err), IOSIM_OK);
    cr_expect(strstr(err.msg, "/nonexistent/x.yaml") != NULL, "%s", err.msg);
}

/* String arguments are long enough for a driver table or a replayed
 * capture's iolog, and no longer. */
Test(scenario, string_arguments_hold_up_to_4_mib_less_one)
{
    size_t cap = SIM_APP_TEXT_MAX + 512;
    char *text = malloc(cap), *log = malloc(SIM_APP_TEXT_MAX + 1);
    cr_assert(text != NULL && log != NULL);
    for (size_t len = SIM_APP_TEXT_MAX - 1; len <= SIM_APP_TEXT_MAX; len++) {
        memset(log, 'x', len);
        log[0] = '#'; /* an iolog that is one comment */
        log[len] = '\0';
        snprintf(text, cap,
                 "scenario: t\nmachine: {cpus: 1, memory: 16MiB, kernel: true}\nprocesses:\n"
                 "  - name: fio\n    run: fio\n    args:\n      iolog: \"%s\"\n", log);
        struct sim_scenario *s = NULL;
        struct yml_error err = {{0}};
        enum iosim_err e = sim_scenario_load_string("t.yaml", text, strlen(text), &s, &err);
        if (len < SIM_APP_TEXT_MAX) {
            cr_expect_eq(e, IOSIM_OK, "%zu bytes: %s", len, err.msg);
            cr_expect_eq(strlen(s->procs[0].args.str[0]), len);
        } else {
            cr_expect_str_eq(err.msg, "t.yaml:7:14: argument longer than 4194303 characters");
        }
        sim_scenario_free(s);
    }
    free(log);
    free(text);
}

/* `type: pci_dump`: each refusal, with the function it is about. */
Test(scenario, pci_dumps_are_refused_with_the_function_at_fault)
{
    static const struct {
        const char *key, *path, *more, *error;
    } cases[] = {
        {"lspci", "tests/fixtures/pci/lspci-hp-elitedesk-800g3-tusb7340/lspci-xxxx.txt", "",
         "t.yaml:4:5: 01:00.0 of the dump: a BAR in use without a size (no Region line or "
         "resource)"},
        {"lspci", "tests/fixtures/pci/lspci-asrock-x370-taichi/lspci-vvvxxxx.txt", "",
         "t.yaml:4:5: 0c:00.3 of the dump: a function of another bus of the dump already sits "
         "at its device on bus 0 (their bridges are not in the dump); leave one out with "
         "`functions:`"},
        {"lspci", "README.md", "", "t.yaml:4:5: the dump has no function in domain 0"},
        {"lspci", "tests/fixtures/pci/lspci-arm-n1sdp/lspci-vvvxxxx.txt", ", domain: 7",
         "t.yaml:4:5: the dump has no function in domain 7"},
        {"sysfs", "tests/fixtures/pci/sysfs-firecracker", ", functions: [\"00:09.0\"]", ""},
        {"sysfs", "tests/fixtures/pci/sysfs-firecracker", ", bar_sizes: {\"00:01.0\": [3]}", ""},
        {"sysfs", "tests/fixtures/pci/sysfs-firecracker", ", lspci: x", ""},
    };
    static const char *const tail_errors[] = {"is not in the dump",
                                              "a BAR size is 0 or a power of two",
                                              "takes one of `lspci` (a file) and `sysfs`"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "scenario: t\nmachine: {cpus: 1, memory: 16MiB, pci: {ecam: 0xe0000000}}\n"
                 "devices:\n  - {name: d, type: pci_dump, %s: %s/%s%s}\n"
                 "processes: [{name: p, program: [yield]}]\n",
                 cases[i].key, IOSIM_SOURCE_DIR, cases[i].path, cases[i].more);
        struct sim_scenario *s = NULL;
        struct yml_error err = {{0}};
        cr_expect_neq(sim_scenario_load_string("t.yaml", text, strlen(text), &s, &err), IOSIM_OK,
                      "accepted: %s", text);
        if (cases[i].error[0] != '\0')
            cr_expect_str_eq(err.msg, cases[i].error);
        else
            cr_expect_neq(strstr(err.msg, tail_errors[i - 4]), NULL, "%s", err.msg);
        sim_scenario_free(s);
    }
}

