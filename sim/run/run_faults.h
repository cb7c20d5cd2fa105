/*
 * run_faults.h - a fault set (faultset.h) put on one run, on top of the
 * scenario's own faults.
 *
 * The scenario is loaded once and run for many seeds (fuzz workers), so
 * nothing here writes it: the machine's fault rules go into the run's
 * copy of the machine config, family faults into copies of the device
 * configs this run creates its devices from, kills into events of the
 * run's machine. Used by run.c only:
 *
 *     struct sim_run_faults rf;
 *     sim_run_faults_init(&rf, s, opts->faults);
 *     e = sim_run_faults_machine(&rf, &cfg, msg, cap);     before the machine is built
 *     d = sim_run_faults_device(&rf, i);                   what device i is created from
 *     e = sim_run_faults_schedule(&rf, m, trace);          kills, once the processes exist
 *     sim_run_faults_fini(&rf);                            after the devices are destroyed
 *
 * Ownership: the scenario and the set are borrowed for the run; the
 * config copies are owned until fini.
 */
#ifndef IOSIM_SIM_RUN_FAULTS_H
#define IOSIM_SIM_RUN_FAULTS_H

#include <stddef.h>

#include "impl/port/err.h"
#include "sim/run/faultset.h"
#include "sim/scenario/scenario.h"

struct sim_trace;

struct sim_run_faults {
    const struct sim_scenario *s;
    const struct sim_faultset *set;          /* NULL: the scenario's faults only */
    struct sim_scn_device *devices;          /* owned copies, or NULL when no family pick */
    struct sim_machine *m;                   /* for the kills, from schedule on */
    struct sim_trace *tr;
};

void sim_run_faults_init(struct sim_run_faults *rf, const struct sim_scenario *s,
                         const struct sim_faultset *set);
/* Machine rules into cfg; device copies with the family faults. ENOSPC
 * (a list full), ENOMEM, or a family's refusal, with msg. */
enum iosim_err sim_run_faults_machine(struct sim_run_faults *rf, struct sim_machine_config *cfg,
                                      char *msg, size_t cap);
/* The record device i is created from: the scenario's, or this run's copy. */
const struct sim_scn_device *sim_run_faults_device(const struct sim_run_faults *rf, uint32_t i);
enum iosim_err sim_run_faults_schedule(struct sim_run_faults *rf, struct sim_machine *m,
                                       struct sim_trace *tr);
void sim_run_faults_fini(struct sim_run_faults *rf);

#endif /* IOSIM_SIM_RUN_FAULTS_H */
