/*
 * Futex-style waiting on shared words for simulated processes (the sim side
 * of impl/port/wait.h). Sleepers are kept in one FIFO list per machine and
 * matched by the word's host address; the list is only ever scanned in
 * arrival order, so wake order never depends on an address's value.
 */
#include <string.h>

#include "impl/port/check.h"
#include "sim/machine/io.h"
#include "sim/machine/sched.h"

void sim_io_unwait(struct sim_machine *m, struct sim_proc *p)
{
    for (uint32_t i = 0; i < m->waiter_count; i++) {
        if (m->waiters[i] != p)
            continue;
        memmove(&m->waiters[i], &m->waiters[i + 1],
                (m->waiter_count - i - 1) * sizeof m->waiters[0]);
        m->waiter_count--;
        break;
    }
    p->wait_word = NULL;
    p->wait_word2 = NULL;
}

static void wait_timeout(void *ctx, uint64_t arg)
{
    struct sim_machine *m = ctx;
    ASSERT(arg < m->proc_count);
    struct sim_proc *p = m->procs[arg];
    if (p->state != SIM_PROC_BLOCKED || p->wait_word == NULL)
        return;
    sim_io_unwait(m, p);
    p->timeout = SIM_EVENT_NONE;
    sim_proc_wake(p, IOSIM_ETIMEDOUT, 0);
}

static bool holds(struct sim_machine *m, struct sim_proc *p, const uint32_t *word,
                  uint32_t expected)
{
    uint32_t now;
    sim_sb_read(&m->cpus[p->cpu].sb, word, &now, sizeof now);
    return now == expected;
}

enum iosim_err sim_io_wait(struct sim_machine *m, struct sim_proc *p, const uint32_t *word,
                           uint32_t expected, sim_time_ps timeout_ps)
{
    return sim_io_wait2(m, p, word, expected, NULL, 0, timeout_ps);
}

enum iosim_err sim_io_wait2(struct sim_machine *m, struct sim_proc *p, const uint32_t *word,
                            uint32_t expected, const uint32_t *word2, uint32_t expected2,
                            sim_time_ps timeout_ps)
{
    ASSERT(p == sim_current_proc() && p->cpu >= 0);
    /* the checks and the sleep are one step: nothing runs in between */
    if (!holds(m, p, word, expected) || (word2 != NULL && !holds(m, p, word2, expected2)))
        return IOSIM_OK;
    if (timeout_ps == 0)
        return IOSIM_ETIMEDOUT;
    ASSERT(m->waiter_count < SIM_PROCS_MAX);
    m->waiters[m->waiter_count++] = p;
    p->wait_word = word;
    p->wait_word2 = word2;
    if (timeout_ps != SIM_TIME_MAX &&
        sim_engine_after(&m->eng, timeout_ps, wait_timeout, m, p->pid - 1, &p->timeout) !=
            IOSIM_OK) {
        sim_io_unwait(m, p);
        sim_machine_fail(m, IOSIM_ENOSPC, "event list full (raise machine.events_max)");
        return IOSIM_ENOSPC;
    }
    sim_proc_block(p);
    return p->wake_err;
}

uint32_t sim_io_wake(struct sim_machine *m, const uint32_t *word, uint32_t n)
{
    uint32_t woken = 0;
    for (uint32_t i = 0; i < m->waiter_count && woken < n;) {
        struct sim_proc *p = m->waiters[i];
        if (p->wait_word != word && (p->wait_word2 != word || word == NULL)) {
            i++;
            continue;
        }
        sim_io_unwait(m, p);
        if (p->irq_wait_line != UINT32_MAX) { /* it waited for an interrupt too */
            m->irq[p->irq_wait_line].waiter = NULL;
            p->irq_wait_line = UINT32_MAX;
            sim_proc_wake(p, IOSIM_EAGAIN, 0);
        } else {
            sim_proc_wake(p, IOSIM_OK, 0);
        }
        woken++;
    }
    return woken;
}
