/*
 * port_sys_spawn through the run's spawner (sim/run_spawn): programs by
 * name with command-line arguments, every refusal with its errno, daemon
 * and non-daemon children, and the arguments outliving the parent.
 */
#include <criterion/criterion.h>

#include "impl/port/port.h"
#include "tests/sim/stack/kernel_test_util.h"
#include "sim/run/run.h"
#include "sim/run/run_spawn.h"
#include "sim/scenario/scenario.h"

static struct ktest t;
static struct sim_run_spawner sp;
static int64_t server_pid;

static int32_t parent(void *arg)
{
    (void)arg;
    CHECK(port_sys_spawn("x", "no-such-program", "", 0) == errno_of(IOSIM_ENOENT));
    CHECK(port_sys_spawn("x", "echo_server", "bogus=1", 0) == errno_of(IOSIM_EINVAL));
    CHECK(port_sys_spawn("x", "echo_server", "scheme", 0) == errno_of(IOSIM_EINVAL));
    CHECK(port_sys_spawn("", "echo_server", "", 0) == errno_of(IOSIM_EINVAL));
    CHECK(port_sys_spawn("kernel", "echo_server", "", 0) == errno_of(IOSIM_EINVAL));
    CHECK(port_sys_spawn("x", "echo_server", "", 0x80) == errno_of(IOSIM_EINVAL));
    char long_name[SIM_NAME_MAX + 1];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[SIM_NAME_MAX] = '\0';
    CHECK(port_sys_spawn(long_name, "echo_server", "", 0) == errno_of(IOSIM_EINVAL));
    /* arguments the parent builds on its stack and then forgets */
    char args[64];
    memcpy(args, "scheme=ping entries=8", 22);
    server_pid = port_sys_spawn("srv", "echo_server", args, PORT_SPAWN_DAEMON);
    memset(args, 0, sizeof args);
    CHECK(server_pid > 0);
    CHECK(port_sys_spawn("srv", "echo_server", "scheme=pong", PORT_SPAWN_DAEMON) ==
          errno_of(IOSIM_EEXIST));
    CHECK(port_sys_spawn("cli", "echo_client", "scheme=ping requests=3 window=2", 0) > server_pid);
    return 0;
}

static void setup(void)
{
    ktest_up(&t, 2, SIM_POLICY_RANDOM, 3);
    sim_run_spawner_init(&sp);
    sim_machine_set_spawner(t.m, &sp.ops);
    failed_line = 0;
}

static void teardown(void)
{
    ktest_down(&t);
    sim_run_spawner_fini(&sp);
}

Test(spawn, programs_start_by_name_and_refusals_say_why, .init = setup, .fini = teardown)
{
    ktest_spawn(&t, "parent", parent, NULL, 0, false);
    sim_machine_run(t.m);
    cr_expect_eq(failed_line, 0, "failed at line %d", failed_line);
    cr_expect_eq(t.m->end, SIM_END_ALL_EXITED, "the daemon does not hold the run");
    struct sim_proc *cli = sim_proc_by_name(t.m, "cli"), *srv = sim_proc_by_name(t.m, "srv");
    cr_assert_not_null(cli);
    cr_assert_not_null(srv);
    cr_expect_eq((int64_t)srv->pid, server_pid);
    cr_expect_eq(cli->state, SIM_PROC_EXITED);
    cr_expect_eq(cli->exit_status, 0, "the client talked to the spawned server");
    cr_expect(srv->daemon);
    cr_expect_not(cli->daemon);
    cr_expect_str_eq(srv->kind, "app");
}

static int32_t lone(void *arg)
{
    (void)arg;
    CHECK(port_sys_spawn("x", "echo_server", "", 0) == errno_of(IOSIM_ENOSYS));
    return 0;
}

Test(spawn, a_machine_without_a_spawner_says_enosys)
{
    ktest_up(&t, 1, SIM_POLICY_FIFO, 1);
    failed_line = 0;
    ktest_spawn(&t, "lone", lone, NULL, 0, false);
    sim_machine_run(t.m);
    cr_expect_eq(failed_line, 0, "failed at line %d", failed_line);
    ktest_down(&t);
}

/* A scenario can expect processes started at run time; one that never
 * started fails its expectation with that said. */
Test(spawn, expectations_on_spawned_processes)
{
    static const char text[] =
        "scenario: t\nmachine: {cpus: 1, memory: 16MiB, kernel: true}\n"
        "processes:\n"
        "  - name: srv\n    run: echo_server\n    daemon: true\n    args: {scheme: e}\n"
        "expect:\n"
        "  - process: {name: ghost, spawned: true, exit: 0}\n";
    struct sim_scenario *s;
    struct yml_error err;
    cr_assert_eq(sim_scenario_load_string("t.yaml", text, sizeof text - 1, &s, &err), IOSIM_OK,
                 "%s", err.msg);
    static struct sim_run_result r;
    struct sim_run_opts o = {0};
    cr_assert_eq(sim_run(s, &o, &r), IOSIM_OK, "%s", r.message);
    cr_expect_not(r.passed);
    cr_expect_str_eq(r.failures[0], "t.yaml:9:5: process ghost: nobody started it");
    sim_scenario_free(s);
}
