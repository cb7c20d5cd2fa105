/* A simulated machine with a kernel, for tests that run C processes
 * against impl/kernel. */
#ifndef IOSIM_TEST_KERNEL_UTIL_H
#define IOSIM_TEST_KERNEL_UTIL_H

#include <criterion/criterion.h>
#include <string.h>

#include "impl/kernel/kernel.h"
#include "impl/port/port.h"
#include "impl/uring/uring.h"
#include "sim/machine/dev.h"
#include "sim/machine/machine.h"

struct ktest {
    struct sim_machine *m;
    struct kern *k;
    struct port_kernel_ops ops;
};

static inline void ktest_up(struct ktest *t, uint32_t cpus, enum sim_policy_kind pol, uint64_t seed)
{
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    cfg.cpus = cpus;
    cfg.sched.policy = pol;
    cfg.seed = seed;
    cfg.time_limit_ps = 100 * SIM_MS;
    cr_assert_eq(sim_machine_create(&cfg, NULL, &t->m), IOSIM_OK);
    sim_machine_host_enter(t->m);
    cr_assert_eq(kern_create(&t->k), IOSIM_OK);
    sim_machine_host_leave(t->m);
    kern_port_ops(t->k, &t->ops);
    sim_machine_set_kernel(t->m, &t->ops);
    struct sim_proc_def d = {.name = "kernel", .kind = "kernel", .fn = kern_main, .arg = t->k,
                             .cpu = -1, .daemon = true};
    cr_assert_eq(sim_proc_spawn(t->m, &d, NULL), IOSIM_OK);
}

static inline void ktest_spawn(struct ktest *t, const char *name, sim_proc_fn fn, void *arg,
                               sim_time_ps start, bool daemon)
{
    struct sim_proc_def d = {.name = name, .fn = fn, .arg = arg, .cpu = -1, .start_ps = start,
                             .daemon = daemon};
    cr_assert_eq(sim_proc_spawn(t->m, &d, NULL), IOSIM_OK);
}

static inline void ktest_down(struct ktest *t)
{
    sim_machine_set_kernel(t->m, NULL);
    sim_machine_host_enter(t->m);
    kern_destroy(t->k);
    sim_machine_host_leave(t->m);
    sim_machine_destroy(t->m);
}

/* Inside a simulated process: give up with the failing line (the test
 * reads failed_line after the run and expects exit status 0). */
static int failed_line;
#define CHECK(cond)                 \
    do {                            \
        if (!(cond)) {              \
            failed_line = __LINE__; \
            return 1;               \
        }                           \
    } while (0)

static inline int64_t errno_of(enum iosim_err e)
{
    return -(int64_t)iosim_err_errno(e);
}

/* Memory a process may hand the kernel by address. */
static inline void *user_mem(size_t len)
{
    struct port_dma d;
    return port_dma_alloc(len, 0, &d) == IOSIM_OK ? d.host : NULL;
}

#endif
