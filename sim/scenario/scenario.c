/* The scenario loader; see scenario.h and docs/scenario-format.md. */
#include "sim/scenario/scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/scenario/scenario_internal.h"

#define CHECK SIM_SCN_CHECK

enum iosim_err sim_policy_parse(const char *text, struct sim_sched_params *sp)
{
    ASSERT(text != NULL && sp != NULL);
    if (strcmp(text, "fifo") == 0) {
        sp->policy = SIM_POLICY_FIFO;
        return IOSIM_OK;
    }
    if (strcmp(text, "random") == 0) {
        sp->policy = SIM_POLICY_RANDOM;
        return IOSIM_OK;
    }
    if (strncmp(text, "pct:", 4) == 0 && text[4] >= '1' && text[4] <= '9') {
        char *end;
        unsigned long d = strtoul(text + 4, &end, 10);
        if (*end == '\0' && d >= 1 && d <= 16) {
            sp->policy = SIM_POLICY_PCT;
            sp->pct_depth = (uint32_t)d;
            return IOSIM_OK;
        }
    }
    return IOSIM_EINVAL;
}

enum iosim_err sim_scn_name(struct loader *l, const struct yml_node *n, char *buf, size_t cap)
{
    const char *t;
    CHECK(yml_get_str(l->doc, n, &t, l->err));
    size_t len = strlen(t);
    if (len == 0 || len >= cap)
        return yml_error_at(l->doc, n, l->err, "a name must be 1 to %zu characters", cap - 1);
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        if (!(c == '_' || c == '-' || c == '.' || (c >= '0' && c <= '9') ||
              (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return yml_error_at(l->doc, n, l->err,
                                "a name may hold letters, digits, '_', '-' and '.' only");
    }
    memcpy(buf, t, len + 1);
    return IOSIM_OK;
}

/* ---- machine, costs, scheduler ----------------------------------------------- */

static enum iosim_err load_costs(struct loader *l, const struct yml_node *n)
{
    static const char *const k[] = {"atomic", "rmw", "fence", "spin", "shm", "shm_per_kib",
                                    "local", "context_switch", "syscall", "wake", "mmio_write",
                                    "dma_alloc", NULL};
    struct sim_costs *c = &l->s->machine.costs;
    sim_time_ps *fields[] = {&c->atomic_ps, &c->rmw_ps, &c->fence_ps, &c->spin_ps, &c->shm_ps,
                             &c->shm_per_kib_ps, &c->local_ps, &c->context_switch_ps,
                             &c->syscall_ps, &c->wake_ps, &c->mmio_write_ps, &c->dma_alloc_ps};
    CHECK(yml_check_keys(l->doc, n, k, "costs", l->err));
    for (size_t i = 0; k[i] != NULL; i++) {
        const struct yml_node *v = yml_map_get(n, k[i]);
        if (v != NULL)
            CHECK(yml_get_time_ps(l->doc, v, 1, 1 * SIM_S, fields[i], l->err));
    }
    return IOSIM_OK;
}

/* The machine's own keys, then each family's `machine.<key>`. */
static enum iosim_err check_machine_keys(struct loader *l, const struct yml_node *n)
{
    static const char *const own[] = {"cpus", "memory", "iommu", "memory_model", "dma_base",
                                      "events_max", "costs", "kernel"};
    const char *k[sizeof own / sizeof own[0] + SIM_FAMILIES_MAX + 1];
    size_t nk = 0;
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        k[nk++] = own[i];
    for (uint32_t i = 0; i < sim_family_count(); i++)
        if (sim_family_at(i)->machine_key != NULL)
            k[nk++] = sim_family_at(i)->machine_key;
    k[nk] = NULL;
    return yml_check_keys(l->doc, n, k, "machine", l->err);
}

/* Each family's section, in registry order: after the machine's own keys,
 * which they may check against (memory size). */
static enum iosim_err load_family_sections(struct loader *l, const struct yml_node *n)
{
    for (uint32_t i = 0; i < sim_family_count(); i++) {
        const char *key = sim_family_at(i)->machine_key;
        const struct yml_node *v = key != NULL ? yml_map_get(n, key) : NULL;
        if (v != NULL)
            CHECK(sim_scn_family_machine(l, v, key));
    }
    return IOSIM_OK;
}

static enum iosim_err load_machine(struct loader *l, const struct yml_node *n)
{
    static const char *const models[] = {"sc", "relaxed"};
    struct sim_machine_config *mc = &l->s->machine;
    const struct yml_node *v;
    uint64_t u;
    CHECK(check_machine_keys(l, n));
    CHECK(yml_require(l->doc, n, "cpus", "machine", &v, l->err));
    CHECK(yml_get_u64(l->doc, v, 1, SIM_CPUS_MAX, &u, l->err));
    mc->cpus = (uint32_t)u;
    CHECK(yml_require(l->doc, n, "memory", "machine", &v, l->err));
    CHECK(yml_get_size(l->doc, v, 2ull << 20, 64ull << 30, &mc->mem_bytes, l->err));
    if (mc->mem_bytes % SIM_PAGE_SIZE != 0)
        return yml_error_at(l->doc, v, l->err, "memory must be a whole number of 4 KiB pages");
    if ((v = yml_map_get(n, "iommu")) != NULL)
        CHECK(yml_get_bool(l->doc, v, &mc->iommu, l->err));
    if ((v = yml_map_get(n, "kernel")) != NULL)
        CHECK(yml_get_bool(l->doc, v, &l->s->kernel, l->err));
    if ((v = yml_map_get(n, "memory_model")) != NULL) {
        size_t i;
        CHECK(yml_get_enum(l->doc, v, models, 2, &i, l->err));
        mc->relaxed_memory = i == 1;
    }
    if ((v = yml_map_get(n, "dma_base")) != NULL) {
        CHECK(yml_get_size(l->doc, v, SIM_PAGE_SIZE, mc->mem_bytes - SIM_PAGE_SIZE,
                           &mc->alloc_base, l->err));
        if (mc->alloc_base % SIM_PAGE_SIZE != 0)
            return yml_error_at(l->doc, v, l->err, "dma_base must be a multiple of 4 KiB");
    } else if (mc->alloc_base >= mc->mem_bytes) {
        mc->alloc_base = mc->mem_bytes / 2;
    }
    if ((v = yml_map_get(n, "events_max")) != NULL) {
        CHECK(yml_get_u64(l->doc, v, 64, 1u << 23, &u, l->err));
        mc->events_max = (uint32_t)u;
    }
    if ((v = yml_map_get(n, "costs")) != NULL)
        CHECK(load_costs(l, v));
    return load_family_sections(l, n);
}

static enum iosim_err load_scheduler(struct loader *l, const struct yml_node *n)
{
    static const char *const k[] = {"timeslice", "preempt_per_mille", "jitter_percent",
                                    "stall_per_mille", "stall_max", "pct_steps",
                                    "store_delay_max", NULL};
    struct sim_sched_params *sp = &l->s->machine.sched;
    const struct yml_node *v;
    uint64_t u;
    CHECK(yml_check_keys(l->doc, n, k, "scheduler", l->err));
    if ((v = yml_map_get(n, "timeslice")) != NULL)
        CHECK(yml_get_time_ps(l->doc, v, 1 * SIM_NS, 10 * SIM_S, &sp->timeslice_ps, l->err));
    if ((v = yml_map_get(n, "stall_max")) != NULL)
        CHECK(yml_get_time_ps(l->doc, v, 1, 1 * SIM_S, &sp->stall_max_ps, l->err));
    if ((v = yml_map_get(n, "store_delay_max")) != NULL)
        CHECK(yml_get_time_ps(l->doc, v, 0, 1 * SIM_S, &sp->store_delay_max_ps, l->err));
    if ((v = yml_map_get(n, "pct_steps")) != NULL)
        CHECK(yml_get_u64(l->doc, v, 1, UINT32_MAX, &sp->pct_steps, l->err));
    const char *pm[] = {"preempt_per_mille", "stall_per_mille", "jitter_percent"};
    uint32_t *pf[] = {&sp->preempt_per_mille, &sp->stall_per_mille, &sp->jitter_percent};
    for (size_t i = 0; i < 3; i++) {
        if ((v = yml_map_get(n, pm[i])) == NULL)
            continue;
        CHECK(yml_get_u64(l->doc, v, 0, 1000, &u, l->err));
        *pf[i] = (uint32_t)u;
    }
    return IOSIM_OK;
}

static enum iosim_err load_policy(struct loader *l, const struct yml_node *n)
{
    const char *t;
    CHECK(yml_get_str(l->doc, n, &t, l->err));
    if (strlen(t) >= SIM_POLICY_TEXT_MAX ||
        sim_policy_parse(t, &l->s->machine.sched) != IOSIM_OK) {
        char q[YML_QUOTE_BYTES];
        return yml_error_at(l->doc, n, l->err,
                            "expected one of: fifo, random, pct:D (D from 1 to 16); got %s",
                            yml_quote(q, sizeof q, t, strlen(t)));
    }
    snprintf(l->s->policy, sizeof l->s->policy, "%s", t);
    return IOSIM_OK;
}

/* ---- processes -------------------------------------------------------------- */

static const struct app_def *find_app(const char *name)
{
    for (const struct app_def *a = app_table; a->name != NULL; a++)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

static bool key_allowed(const struct app_def *app, const char *key)
{
    for (size_t i = 0; app->keys[i] != NULL; i++)
        if (strcmp(app->keys[i], key) == 0)
            return true;
    return false;
}

static enum iosim_err load_app_values(struct loader *l, const struct yml_node *n,
                                      struct sim_scn_process *p);

/* `args:` of an app, then the app's own check of their values. */
static enum iosim_err load_app_args(struct loader *l, const struct yml_node *n,
                                    struct sim_scn_process *p)
{
    CHECK(yml_get_map(l->doc, n, &n, l->err));
    if (yml_map_len(n) > APP_ARGS_MAX)
        return yml_error_at(l->doc, n, l->err, "more than %u arguments", APP_ARGS_MAX);
    CHECK(load_app_values(l, n, p));
    struct app_arg_problem pr;
    if (p->app->check != NULL && !p->app->check(&p->args, &pr)) {
        const struct yml_node *val = yml_map_value(n, pr.arg);
        if (pr.line == 0)
            return yml_error_at(l->doc, val, l->err, "%s: %s", p->args.key[pr.arg], pr.msg);
        return yml_error_at(l->doc, val, l->err, "%s, line %u column %u: %s", p->args.key[pr.arg],
                            pr.line, pr.col, pr.msg);
    }
    return IOSIM_OK;
}

/* The values of `args:`, integers or strings, under the app's own keys. */
static enum iosim_err load_app_values(struct loader *l, const struct yml_node *n,
                                      struct sim_scn_process *p)
{
    for (size_t i = 0; i < yml_map_len(n); i++) {
        const struct yml_node *key = yml_map_key(n, i), *val = yml_map_value(n, i);
        const char *ks = yml_scalar_text(key), *vs;
        if (!key_allowed(p->app, ks) || strlen(ks) >= SIM_APP_STR_MAX)
            return yml_error_at(l->doc, key, l->err, "app %s takes no argument '%s'",
                                p->app->name, ks);
        snprintf(p->arg_key[i], SIM_APP_STR_MAX, "%s", ks);
        p->args.key[i] = p->arg_key[i];
        if (yml_scalar_plain(val) && yml_get_i64(l->doc, val, INT64_MIN, INT64_MAX,
                                                 &p->args.num[i], l->err) == IOSIM_OK) {
            p->args.str[i] = NULL;
        } else {
            CHECK(yml_get_str(l->doc, val, &vs, l->err));
            if (strlen(vs) >= SIM_APP_TEXT_MAX)
                return yml_error_at(l->doc, val, l->err, "argument longer than %u characters",
                                    SIM_APP_TEXT_MAX - 1);
            p->arg_text[i] = strdup(vs);
            if (p->arg_text[i] == NULL)
                return yml_error_at(l->doc, val, l->err, "out of memory");
            p->args.str[i] = p->arg_text[i];
        }
        p->args.count = (uint32_t)i + 1;
    }
    return IOSIM_OK;
}

static enum iosim_err load_app(struct loader *l, const struct yml_node *n, const struct yml_node *run,
                               struct sim_scn_process *p)
{
    const char *name;
    CHECK(yml_get_str(l->doc, run, &name, l->err));
    p->app = find_app(name);
    if (p->app == NULL) {
        char list[256] = "";
        for (const struct app_def *a = app_table; a->name != NULL; a++) {
            strncat(list, a->name, sizeof list - strlen(list) - 1);
            if (a[1].name != NULL)
                strncat(list, ", ", sizeof list - strlen(list) - 1);
        }
        char q[YML_QUOTE_BYTES];
        return yml_error_at(l->doc, run, l->err, "unknown app %s (expected one of: %s)",
                            yml_quote(q, sizeof q, name, strlen(name)), list);
    }
    if (!l->s->kernel)
        return yml_error_at(l->doc, run, l->err,
                            "app %s needs a kernel: set `kernel: true` under `machine:`", name);
    const struct yml_node *args = yml_map_get(n, "args");
    return args != NULL ? load_app_args(l, args, p) : IOSIM_OK;
}

/* One more shrinkable count; `at` for the error when there are too many. */
static enum iosim_err add_count(struct loader *l, const struct yml_node *at,
                                const struct sim_scn_count *c)
{
    struct sim_scenario *s = l->s;
    if (s->count_count == SIM_SCN_COUNTS_MAX)
        return yml_error_at(l->doc, at, l->err, "more than %u shrinkable counts",
                            SIM_SCN_COUNTS_MAX);
    s->counts[s->count_count++] = *c;
    return IOSIM_OK;
}

/* A process's shrinkable counts: its program's `repeat` steps marked
 * `shrink: true`, or the numeric app arguments its `shrink:` lists. */
static enum iosim_err load_shrinkable(struct loader *l, const struct yml_node *n,
                                      const struct sim_scn_process *p)
{
    uint32_t proc = l->s->proc_count;
    for (uint32_t k = 0; k < p->prog.count; k++) {
        const struct sim_step *st = &p->prog.steps[k];
        if (st->kind != SIM_STEP_REPEAT || !st->shrink)
            continue;
        struct sim_scn_count c = {.proc = proc, .step = (int32_t)k, .value = st->count,
                                  .min = st->count > 0 ? 1 : 0};
        snprintf(c.name, sizeof c.name, "%s.repeat@%u", p->name, st->line);
        CHECK(add_count(l, n, &c));
    }
    const struct yml_node *list = yml_map_get(n, "shrink");
    if (list == NULL)
        return IOSIM_OK;
    if (p->app == NULL)
        return yml_error_at(l->doc, list, l->err, "a program marks its repeats `shrink: true`; "
                                                  "`shrink:` lists the arguments of an app");
    if (yml_kind(list) != YML_SEQ)
        return yml_error_at(l->doc, list, l->err, "expected a list of argument names");
    for (size_t i = 0; i < yml_seq_len(list); i++) {
        const struct yml_node *item = yml_seq_item(list, i);
        const char *name;
        CHECK(yml_get_str(l->doc, item, &name, l->err));
        uint32_t a = 0;
        while (a < p->args.count && strcmp(p->args.key[a], name) != 0)
            a++;
        if (a == p->args.count || p->args.str[a] != NULL || p->args.num[a] < 1)
            return yml_error_at(l->doc, item, l->err, "'%s' is not a positive number among "
                                                      "this process's args", name);
        struct sim_scn_count c = {.proc = proc, .step = -1, .arg = a,
                                  .value = (uint64_t)p->args.num[a], .min = 1};
        snprintf(c.name, sizeof c.name, "%s.%s", p->name, name);
        CHECK(add_count(l, item, &c));
    }
    return IOSIM_OK;
}

static enum iosim_err load_process(struct loader *l, const struct yml_node *n)
{
    static const char *const k[] = {"name", "cpu", "daemon", "start", "program", "run", "args",
                                    "shrink", NULL};
    struct sim_scenario *s = l->s;
    const struct yml_node *v;
    CHECK(yml_get_map(l->doc, n, &n, l->err));
    if (s->proc_count == SIM_SCN_PROCS_MAX)
        return yml_error_at(l->doc, n, l->err, "more than %u processes", SIM_SCN_PROCS_MAX);
    CHECK(yml_check_keys(l->doc, n, k, "process", l->err));
    struct sim_scn_process *p = &s->procs[s->proc_count];
    *p = (struct sim_scn_process){.cpu = -1};
    CHECK(yml_require(l->doc, n, "name", "process", &v, l->err));
    CHECK(sim_scn_name(l, v, p->name, sizeof p->name));
    for (uint32_t i = 0; i < s->proc_count; i++)
        if (strcmp(s->procs[i].name, p->name) == 0)
            return yml_error_at(l->doc, v, l->err, "a process named '%s' already exists", p->name);
    if (s->kernel && strcmp(p->name, "kernel") == 0)
        return yml_error_at(l->doc, v, l->err, "'kernel' is the name of the kernel's own process");
    if ((v = yml_map_get(n, "cpu")) != NULL) {
        uint64_t cpu;
        CHECK(yml_get_u64(l->doc, v, 0, s->machine.cpus - 1, &cpu, l->err));
        p->cpu = (int32_t)cpu;
    }
    if ((v = yml_map_get(n, "daemon")) != NULL)
        CHECK(yml_get_bool(l->doc, v, &p->daemon, l->err));
    if ((v = yml_map_get(n, "start")) != NULL)
        CHECK(yml_get_time_ps(l->doc, v, 0, 10 * SIM_S, &p->start_ps, l->err));
    const struct yml_node *run = yml_map_get(n, "run");
    v = yml_map_get(n, "program");
    if ((run == NULL) == (v == NULL))
        return yml_error_at(l->doc, n, l->err, "a process needs exactly one of `program` and `run`");
    if (run != NULL) {
        CHECK(load_app(l, n, run, p));
    } else {
        if ((v = yml_map_get(n, "args")) != NULL)
            return yml_error_at(l->doc, v, l->err, "`args` go with `run`, not with `program`");
        CHECK(sim_program_load(l->doc, yml_map_get(n, "program"), s->prog_devices,
                               s->prog_device_count, &p->prog, l->err));
    }
    CHECK(load_shrinkable(l, n, p));
    s->proc_count++;
    return IOSIM_OK;
}

/* ---- faults ------------------------------------------------------------------ */

static enum iosim_err load_fault_target(struct loader *l, const struct yml_node *n,
                                        struct sim_fault_rule *r)
{
    const struct yml_node *v;
    uint64_t u;
    r->line = UINT32_MAX;
    if ((v = yml_map_get(n, "line")) != NULL) {
        if (r->kind == SIM_FAULT_DMA_ERROR)
            return yml_error_at(l->doc, v, l->err, "dma_error takes a device, not a line");
        CHECK(yml_get_u64(l->doc, v, 0, SIM_IRQ_LINES - 1, &u, l->err));
        r->line = (uint32_t)u;
    }
    if ((v = yml_map_get(n, "device")) != NULL) {
        if (r->kind != SIM_FAULT_DMA_ERROR)
            return yml_error_at(l->doc, v, l->err, "irq faults take a line, not a device");
        CHECK(sim_scn_name(l, v, r->device, sizeof r->device));
        bool found = false;
        for (uint32_t i = 0; i < l->s->device_count; i++)
            found |= strcmp(l->s->devices[i].name, r->device) == 0;
        if (!found)
            return yml_error_at(l->doc, v, l->err, "no device named '%s' in `devices:`", r->device);
    }
    return IOSIM_OK;
}

/* kind: kill, process: NAME, at: TIME */
static enum iosim_err load_kill(struct loader *l, const struct yml_node *n)
{
    static const char *const k[] = {"kind", "process", "at", "spawned", NULL};
    struct sim_scenario *s = l->s;
    const struct yml_node *v;
    bool spawned = false;
    CHECK(yml_check_keys(l->doc, n, k, "kill fault", l->err));
    if ((v = yml_map_get(n, "spawned")) != NULL)
        CHECK(yml_get_bool(l->doc, v, &spawned, l->err));
    if (s->kill_count == SIM_SCN_KILLS_MAX)
        return yml_error_at(l->doc, n, l->err, "more than %u kill faults", SIM_SCN_KILLS_MAX);
    struct sim_scn_kill *kl = &s->kills[s->kill_count];
    CHECK(yml_require(l->doc, n, "process", "kill fault", &v, l->err));
    CHECK(sim_scn_name(l, v, kl->process, sizeof kl->process));
    bool found = false;
    for (uint32_t i = 0; i < s->proc_count; i++)
        found |= strcmp(s->procs[i].name, kl->process) == 0;
    if (!found && !spawned) /* one started at run time is looked up when the fault fires */
        return yml_error_at(l->doc, v, l->err, "no process named '%s'", kl->process);
    if (found && spawned)
        return yml_error_at(l->doc, v, l->err, "'%s' is declared here: it is not spawned",
                            kl->process);
    CHECK(yml_require(l->doc, n, "at", "kill fault", &v, l->err));
    CHECK(yml_get_time_ps(l->doc, v, 0, 3600 * SIM_S, &kl->at_ps, l->err));
    s->kill_count++;
    return IOSIM_OK;
}

static enum iosim_err load_fault(struct loader *l, const struct yml_node *n)
{
    static const char *const k[] = {"kind", "line", "device", "nth", "per_mille", "count",
                                    "delay", NULL};
    static const char *const kinds[] = {"irq_drop", "irq_delay", "dma_error", "kill"};
    struct sim_machine_config *mc = &l->s->machine;
    const struct yml_node *v, *nth, *pm;
    size_t kind;
    CHECK(yml_get_map(l->doc, n, &n, l->err));
    CHECK(yml_require(l->doc, n, "kind", "fault", &v, l->err));
    CHECK(yml_get_enum(l->doc, v, kinds, 4, &kind, l->err));
    if (kind == 3)
        return load_kill(l, n);
    if (mc->fault_count == SIM_FAULT_RULES_MAX)
        return yml_error_at(l->doc, n, l->err, "more than %u faults", SIM_FAULT_RULES_MAX);
    CHECK(yml_check_keys(l->doc, n, k, "fault", l->err));
    struct sim_fault_rule *r = &mc->faults[mc->fault_count];
    *r = (struct sim_fault_rule){0};
    r->kind = (enum sim_fault_kind)kind;
    CHECK(load_fault_target(l, n, r));
    nth = yml_map_get(n, "nth");
    pm = yml_map_get(n, "per_mille");
    if ((nth == NULL) == (pm == NULL))
        return yml_error_at(l->doc, n, l->err, "a fault needs exactly one of `nth` and `per_mille`");
    if (nth != NULL)
        CHECK(yml_get_u64(l->doc, nth, 1, UINT64_MAX, &r->nth, l->err));
    if (pm != NULL) {
        uint64_t u;
        CHECK(yml_get_u64(l->doc, pm, 0, 1000, &u, l->err));
        r->per_mille = (uint32_t)u;
    }
    if ((v = yml_map_get(n, "count")) != NULL)
        CHECK(yml_get_u64(l->doc, v, 1, UINT64_MAX, &r->count_max, l->err));
    v = yml_map_get(n, "delay");
    if (r->kind == SIM_FAULT_IRQ_DELAY && v == NULL)
        return yml_require(l->doc, n, "delay", "irq_delay fault", &v, l->err);
    if (v != NULL) {
        if (r->kind != SIM_FAULT_IRQ_DELAY)
            return yml_error_at(l->doc, v, l->err, "only irq_delay takes a delay");
        CHECK(yml_get_time_ps(l->doc, v, 1, 1 * SIM_S, &r->delay_ps, l->err));
    }
    mc->fault_count++;
    return IOSIM_OK;
}

/* ---- the document ---------------------------------------------------------------- */

static enum iosim_err load_list(struct loader *l, const struct yml_node *root, const char *key,
                                enum iosim_err (*item)(struct loader *, const struct yml_node *))
{
    const struct yml_node *v = yml_map_get(root, key);
    if (v == NULL)
        return IOSIM_OK;
    CHECK(yml_get_seq(l->doc, v, &v, l->err));
    for (size_t i = 0; i < yml_seq_len(v); i++)
        CHECK(item(l, yml_seq_item(v, i)));
    return IOSIM_OK;
}

/* `clauses:` - a list of 1..SIM_SCN_CLAUSES_MAX spec clauses ("xHCI 4.6.5"),
 * each 1..SIM_SCN_CLAUSE_LEN_MAX characters on one line, joined by '\n'. */
static enum iosim_err load_clauses(struct loader *l, const struct yml_node *v)
{
    struct sim_scenario *s = l->s;
    CHECK(yml_get_seq(l->doc, v, &v, l->err));
    if (yml_seq_len(v) == 0 || yml_seq_len(v) > SIM_SCN_CLAUSES_MAX)
        return yml_error_at(l->doc, v, l->err, "clauses: a list of 1 to %u spec clauses",
                            SIM_SCN_CLAUSES_MAX);
    size_t at = 0;
    for (size_t i = 0; i < yml_seq_len(v); i++) {
        const struct yml_node *c = yml_seq_item(v, i);
        const char *t;
        CHECK(yml_get_str(l->doc, c, &t, l->err));
        size_t n = strlen(t);
        if (n == 0 || n > SIM_SCN_CLAUSE_LEN_MAX || strchr(t, '\n') != NULL)
            return yml_error_at(l->doc, c, l->err,
                                "a clause is 1 to %u characters on one line (\"xHCI 4.6.5\")",
                                SIM_SCN_CLAUSE_LEN_MAX);
        at += (size_t)snprintf(s->clauses + at, sizeof s->clauses - at, "%s%s",
                               i > 0 ? "\n" : "", t);
    }
    ASSERT(at < sizeof s->clauses);
    return IOSIM_OK;
}

static enum iosim_err load_header(struct loader *l, const struct yml_node *root)
{
    struct sim_scenario *s = l->s;
    const struct yml_node *v;
    const char *t;
    CHECK(yml_require(l->doc, root, "scenario", "the scenario", &v, l->err));
    CHECK(yml_get_str(l->doc, v, &t, l->err));
    if (t[0] == '\0' || strlen(t) >= sizeof s->name)
        return yml_error_at(l->doc, v, l->err, "the scenario name must be 1 to %zu characters",
                            sizeof s->name - 1);
    snprintf(s->name, sizeof s->name, "%s", t);
    if ((v = yml_map_get(root, "description")) != NULL)
        CHECK(yml_get_str(l->doc, v, &t, l->err));
    if ((v = yml_map_get(root, "clauses")) != NULL)
        CHECK(load_clauses(l, v));
    if ((v = yml_map_get(root, "seed")) != NULL)
        CHECK(yml_get_u64(l->doc, v, 0, UINT64_MAX, &s->machine.seed, l->err));
    if ((v = yml_map_get(root, "policy")) != NULL)
        CHECK(load_policy(l, v));
    if ((v = yml_map_get(root, "time_limit")) != NULL)
        CHECK(yml_get_time_ps(l->doc, v, 1, 3600 * SIM_S, &s->machine.time_limit_ps, l->err));
    if ((v = yml_map_get(root, "scheduler")) != NULL)
        CHECK(load_scheduler(l, v));
    return IOSIM_OK;
}

static enum iosim_err load_doc(struct loader *l)
{
    static const char *const k[] = {"scenario", "description", "clauses", "seed", "policy", "time_limit",
                                    "scheduler", "machine", "devices", "processes", "faults",
                                    "expect", "fuzz", NULL};
    const struct yml_node *root, *v;
    CHECK(yml_get_map(l->doc, yml_root(l->doc), &root, l->err));
    CHECK(yml_check_keys(l->doc, root, k, "the scenario", l->err));
    CHECK(load_header(l, root));
    CHECK(yml_require(l->doc, root, "machine", "the scenario", &v, l->err));
    CHECK(yml_get_map(l->doc, v, &v, l->err));
    CHECK(load_machine(l, v));
    CHECK(load_list(l, root, "devices", sim_scn_device));
    CHECK(yml_require(l->doc, root, "processes", "the scenario", &v, l->err));
    CHECK(load_list(l, root, "processes", load_process));
    if (l->s->proc_count == 0)
        return yml_error_at(l->doc, v, l->err, "a scenario needs at least one process");
    CHECK(load_list(l, root, "faults", load_fault));
    if ((v = yml_map_get(root, "fuzz")) != NULL)
        CHECK(sim_scn_fuzz(l, v));
    return load_list(l, root, "expect", sim_scn_expect);
}

static enum iosim_err load_common(struct yml_doc *doc, struct sim_scenario **out,
                                  struct yml_error *err)
{
    struct sim_scenario *s = calloc(1, sizeof *s);
    if (sim_families_init() != IOSIM_OK) { /* a built-in family refused: a bug, asserted */
        snprintf(err->msg, sizeof err->msg, "%s: the device families failed to register",
                 yml_doc_name(doc));
        free(s);
        yml_free(doc);
        return IOSIM_EINVAL;
    }
    if (s == NULL) {
        snprintf(err->msg, sizeof err->msg, "%s: out of memory", yml_doc_name(doc));
        yml_free(doc);
        return IOSIM_ENOMEM;
    }
    snprintf(s->file, sizeof s->file, "%s", yml_doc_name(doc));
    sim_machine_config_default(&s->machine);
    snprintf(s->policy, sizeof s->policy, "fifo");
    struct loader l = {doc, s, err};
    enum iosim_err e = load_doc(&l);
    yml_free(doc);
    if (e != IOSIM_OK) {
        sim_scenario_free(s);
        return e;
    }
    *out = s;
    return IOSIM_OK;
}

enum iosim_err sim_scenario_load(const char *path, struct sim_scenario **out,
                                 struct yml_error *err)
{
    ASSERT(path != NULL && out != NULL && err != NULL);
    struct yml_doc *doc;
    CHECK(yml_load_file(path, &doc, err));
    return load_common(doc, out, err);
}

enum iosim_err sim_scenario_load_string(const char *name, const char *text, size_t len,
                                        struct sim_scenario **out, struct yml_error *err)
{
    ASSERT(name != NULL && text != NULL && out != NULL && err != NULL);
    struct yml_doc *doc;
    CHECK(yml_load_string(name, text, len, &doc, err));
    return load_common(doc, out, err);
}

void sim_scenario_free(struct sim_scenario *s)
{
    if (s == NULL)
        return;
    for (uint32_t i = 0; i < s->device_count; i++) {
        const struct sim_family *f = s->devices[i].family;
        if (f->config_free != NULL)
            f->config_free(s->devices[i].config);
        free(s->devices[i].config);
    }
    for (uint32_t i = 0; i < SIM_FAMILIES_MAX; i++)
        free(s->family_machine[i]);
    /* the slot after the last may hold what a failed load left half-built */
    uint32_t n = s->proc_count < SIM_SCN_PROCS_MAX ? s->proc_count + 1 : s->proc_count;
    for (uint32_t i = 0; i < n; i++) {
        sim_program_free(&s->procs[i].prog);
        for (uint32_t a = 0; a < APP_ARGS_MAX; a++)
            free(s->procs[i].arg_text[a]);
    }
    free(s);
}
