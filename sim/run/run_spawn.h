/*
 * run_spawn.h - the run's answer to port_sys_spawn: programs are the apps
 * of impl/apps (app_table), started with arguments parsed from the
 * caller's "key=value" text (app_args_parse) and checked against the keys
 * the app takes.
 *
 *     struct sim_run_spawner sp;
 *     sim_run_spawner_init(&sp);
 *     sim_machine_set_spawner(m, &sp.ops);
 *     ... run ...
 *     sim_machine_destroy(m);
 *     sim_run_spawner_fini(&sp);         the children's arguments die last
 *
 * Ownership: the spawner owns every child's arguments until fini, which
 * must come after the machine (its processes borrow them) is destroyed.
 */
#ifndef IOSIM_SIM_RUN_SPAWN_H
#define IOSIM_SIM_RUN_SPAWN_H

#include "sim/machine/machine.h"

struct sim_spawned;

struct sim_run_spawner {
    struct sim_spawner ops;
    struct sim_spawned *children;   /* newest first */
};

void sim_run_spawner_init(struct sim_run_spawner *sp);
void sim_run_spawner_fini(struct sim_run_spawner *sp);

#endif /* IOSIM_SIM_RUN_SPAWN_H */
