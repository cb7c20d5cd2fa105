/* Starting apps for port_sys_spawn; see run_spawn.h. */
#include "sim/run/run_spawn.h"

#include <stdlib.h>
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/port/sys.h"

struct sim_spawned {
    struct sim_spawned *next;
    struct app_args_store args;
};

static int64_t fail(enum iosim_err e)
{
    return -(int64_t)iosim_err_errno(e);
}

static bool name_alive(struct sim_machine *m, const char *name)
{
    for (uint32_t i = 0; i < m->proc_count; i++)
        if (m->procs[i]->state != SIM_PROC_EXITED && strcmp(m->procs[i]->name, name) == 0)
            return true;
    return false;
}

static int64_t spawn(void *ctx, struct sim_machine *m, const char *name, const char *program,
                     const char *args, uint64_t flags)
{
    struct sim_run_spawner *sp = ctx;
    const struct app_def *app = app_find(program);
    if (app == NULL)
        return fail(IOSIM_ENOENT);
    size_t len = strlen(name);
    if (len == 0 || len >= SIM_NAME_MAX || (flags & ~(uint64_t)PORT_SPAWN_DAEMON) != 0 ||
        strcmp(name, "kernel") == 0)
        return fail(IOSIM_EINVAL);
    if (name_alive(m, name))
        return fail(IOSIM_EEXIST);
    struct sim_spawned *c = calloc(1, sizeof *c);
    if (c == NULL)
        return fail(IOSIM_ENOMEM);
    enum iosim_err e = app_args_parse(args, &c->args);
    if (e == IOSIM_OK && app_args_unknown_key(app, &c->args.args) != NULL)
        e = IOSIM_EINVAL;
    struct sim_proc *child = NULL;
    if (e == IOSIM_OK) {
        struct sim_proc_def def = {.name = name, .kind = "app", .fn = app->main,
                                   .arg = &c->args.args, .cpu = -1,
                                   .daemon = (flags & PORT_SPAWN_DAEMON) != 0};
        e = sim_proc_spawn(m, &def, &child);
    }
    if (e != IOSIM_OK) {
        free(c);
        return fail(e);
    }
    c->next = sp->children;
    sp->children = c;
    return (int64_t)child->pid;
}

void sim_run_spawner_init(struct sim_run_spawner *sp)
{
    *sp = (struct sim_run_spawner){.ops = {.spawn = spawn, .ctx = sp}};
}

void sim_run_spawner_fini(struct sim_run_spawner *sp)
{
    while (sp->children != NULL) {
        struct sim_spawned *c = sp->children;
        sp->children = c->next;
        free(c);
    }
}
