/* A fault set put on one run; see run_faults.h. */
#include "sim/run/run_faults.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/machine/dev.h"
#include "sim/trace/trace.h"

void sim_run_faults_init(struct sim_run_faults *rf, const struct sim_scenario *s,
                         const struct sim_faultset *set)
{
    ASSERT(rf != NULL && s != NULL);
    ASSERT(set == NULL || set->s == s);
    *rf = (struct sim_run_faults){.s = s, .set = set};
}

static const struct sim_scn_allowed *allowed_of(const struct sim_run_faults *rf, uint32_t i)
{
    ASSERT(i < rf->set->count);
    return &rf->s->allowed[rf->set->picks[i].allowed];
}

/* irq_drop, irq_delay, dma_error: one more rule of the machine. */
static enum iosim_err add_rule(struct sim_machine_config *cfg, const struct sim_scn_allowed *a,
                               const uint64_t *v, char *msg, size_t cap)
{
    if (cfg->fault_count == SIM_FAULT_RULES_MAX) {
        snprintf(msg, cap, "fault set: %s: the machine holds %u fault rules at most",
                 a->kind.name, SIM_FAULT_RULES_MAX);
        return IOSIM_ENOSPC;
    }
    struct sim_fault_rule *r = &cfg->faults[cfg->fault_count++];
    *r = (struct sim_fault_rule){.line = a->line, .per_mille = (uint32_t)v[0]};
    snprintf(r->device, sizeof r->device, "%s", a->target);
    r->kind = a->cls == SIM_ALLOWED_IRQ_DROP    ? SIM_FAULT_IRQ_DROP
              : a->cls == SIM_ALLOWED_IRQ_DELAY ? SIM_FAULT_IRQ_DELAY
                                                : SIM_FAULT_DMA_ERROR;
    if (a->cls == SIM_ALLOWED_IRQ_DELAY)
        r->delay_ps = v[1];
    return IOSIM_OK;
}

/* The device records, with a copy of each config a family pick changes. */
static enum iosim_err copy_devices(struct sim_run_faults *rf)
{
    if (rf->devices != NULL)
        return IOSIM_OK;
    rf->devices = calloc(rf->s->device_count + 1u, sizeof *rf->devices);
    if (rf->devices == NULL)
        return IOSIM_ENOMEM;
    memcpy(rf->devices, rf->s->devices, rf->s->device_count * sizeof *rf->devices);
    return IOSIM_OK;
}

static enum iosim_err add_family(struct sim_run_faults *rf, const struct sim_scn_allowed *a,
                                 const uint64_t *v, char *msg, size_t cap)
{
    enum iosim_err e = copy_devices(rf);
    if (e != IOSIM_OK)
        return e;
    struct sim_scn_device *d = &rf->devices[a->device];
    const struct sim_family *f = d->family;
    ASSERT(f->swarm_apply != NULL);
    if (d->config == rf->s->devices[a->device].config) {
        void *c = malloc(f->config_size);
        if (c == NULL)
            return IOSIM_ENOMEM;
        memcpy(c, d->config, f->config_size);
        d->config = c;
    }
    const char *why = NULL;
    e = f->swarm_apply(d->config, d->type, a->family_kind, v, &why);
    if (e != IOSIM_OK)
        snprintf(msg, cap, "fault set: %s on %s: %s", a->kind.name, d->name,
                 why != NULL ? why : iosim_err_text(e));
    return e;
}

enum iosim_err sim_run_faults_machine(struct sim_run_faults *rf, struct sim_machine_config *cfg,
                                      char *msg, size_t cap)
{
    ASSERT(rf != NULL && cfg != NULL);
    for (uint32_t i = 0; rf->set != NULL && i < rf->set->count; i++) {
        const struct sim_scn_allowed *a = allowed_of(rf, i);
        const uint64_t *v = rf->set->picks[i].values;
        enum iosim_err e = IOSIM_OK;
        if (a->cls == SIM_ALLOWED_FAMILY)
            e = add_family(rf, a, v, msg, cap);
        else if (a->cls != SIM_ALLOWED_KILL)
            e = add_rule(cfg, a, v, msg, cap);
        if (e != IOSIM_OK)
            return e;
    }
    return IOSIM_OK;
}

const struct sim_scn_device *sim_run_faults_device(const struct sim_run_faults *rf, uint32_t i)
{
    ASSERT(i < rf->s->device_count);
    return rf->devices != NULL ? &rf->devices[i] : &rf->s->devices[i];
}

/* A swarm kill: the process ends now, wherever it is (as `kind: kill`). */
static void kill_now(void *ctx, uint64_t arg)
{
    struct sim_run_faults *rf = ctx;
    const struct sim_scn_allowed *a = allowed_of(rf, (uint32_t)arg);
    struct sim_proc *p = sim_proc_by_name(rf->m, a->target);
    if (p == NULL || p->state == SIM_PROC_EXITED)
        return;
    rf->m->count.faults_injected++;
    sim_trace_fault(rf->tr, rf->m->eng.now_ps, "kill", p->name, "killed (status -9, swarm)");
    sim_proc_kill(p, -9);
}

enum iosim_err sim_run_faults_schedule(struct sim_run_faults *rf, struct sim_machine *m,
                                       struct sim_trace *tr)
{
    ASSERT(rf != NULL && m != NULL);
    rf->m = m;
    rf->tr = tr;
    for (uint32_t i = 0; rf->set != NULL && i < rf->set->count; i++) {
        if (allowed_of(rf, i)->cls != SIM_ALLOWED_KILL)
            continue;
        enum iosim_err e = sim_dev_after(m, rf->set->picks[i].values[0], kill_now, rf, i, NULL);
        if (e != IOSIM_OK)
            return e;
    }
    return IOSIM_OK;
}

void sim_run_faults_fini(struct sim_run_faults *rf)
{
    ASSERT(rf != NULL);
    for (uint32_t i = 0; rf->devices != NULL && i < rf->s->device_count; i++)
        if (rf->devices[i].config != rf->s->devices[i].config)
            free(rf->devices[i].config);
    free(rf->devices);
    rf->devices = NULL;
}
