/*
 * Native interrupts: one latch per line (mutex + condition variable), raised
 * by port_native_irq_raise() from whatever plays the device in a test.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "impl/port/check.h"
#include "impl/port/irq.h"
#include "impl/port/native/native.h"
#include "impl/port/wait.h"

#define NATIVE_IRQ_LINES 1024u

struct native_line {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    port_atomic_u32 *word;   /* a port_irq_wait_word sleeper's word, woken on a raise */
    bool pending;
    bool initialised;
};

struct port_irq {
    uint32_t line;
};

static struct native_line g_lines[NATIVE_IRQ_LINES];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void lines_init(void)
{
    for (uint32_t i = 0; i < NATIVE_IRQ_LINES; i++) {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_mutex_init(&g_lines[i].lock, NULL);
        pthread_cond_init(&g_lines[i].cond, &attr);
        pthread_condattr_destroy(&attr);
        g_lines[i].initialised = true;
    }
}

enum iosim_err port_irq_open(uint32_t line, struct port_irq **out)
{
    ASSERT(out != NULL);
    if (line >= NATIVE_IRQ_LINES)
        return IOSIM_EINVAL;
    pthread_once(&g_once, lines_init);
    struct port_irq *irq = malloc(sizeof *irq);
    if (irq == NULL)
        return IOSIM_ENOMEM;
    irq->line = line;
    *out = irq;
    return IOSIM_OK;
}

void port_irq_close(struct port_irq *irq)
{
    free(irq);
}

void port_native_irq_raise(uint32_t line)
{
    if (line >= NATIVE_IRQ_LINES)
        return;
    pthread_once(&g_once, lines_init);
    struct native_line *l = &g_lines[line];
    pthread_mutex_lock(&l->lock);
    l->pending = true;
    pthread_cond_signal(&l->cond);
    port_atomic_u32 *word = l->word;
    pthread_mutex_unlock(&l->lock);
    if (word != NULL)
        (void)port_wake(word, PORT_WAKE_ALL);
}

static struct timespec deadline_after(uint64_t timeout_ns)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now); /* wall clock ok: native port */
    uint64_t ns = (uint64_t)now.tv_nsec + timeout_ns % 1000000000u;
    now.tv_sec += (time_t)(timeout_ns / 1000000000u + ns / 1000000000u);
    now.tv_nsec = (long)(ns % 1000000000u);
    return now;
}

enum iosim_err port_irq_wait(struct port_irq *irq, uint64_t timeout_ns)
{
    ASSERT(irq != NULL && irq->line < NATIVE_IRQ_LINES);
    struct native_line *l = &g_lines[irq->line];
    ASSERT(l->initialised);
    struct timespec deadline = deadline_after(timeout_ns);
    enum iosim_err result = IOSIM_OK;
    pthread_mutex_lock(&l->lock);
    while (!l->pending) {
        if (timeout_ns == PORT_IRQ_NO_TIMEOUT) {
            pthread_cond_wait(&l->cond, &l->lock);
        } else if (pthread_cond_timedwait(&l->cond, &l->lock, &deadline) == ETIMEDOUT) {
            result = l->pending ? IOSIM_OK : IOSIM_ETIMEDOUT;
            break;
        }
    }
    if (result == IOSIM_OK)
        l->pending = false;
    pthread_mutex_unlock(&l->lock);
    return result;
}

/* A raise in the instant between registering the word and the futex sleep
 * wakes nobody (the word did not change), so the sleep is taken in slices:
 * such an interrupt is seen at most one slice late. The simulator's port
 * has no such window. */
#define NATIVE_WAIT_WORD_SLICE_NS 1000000u

static bool take_pending(struct native_line *l, port_atomic_u32 *word)
{
    pthread_mutex_lock(&l->lock);
    bool got = l->pending;
    l->pending = false;
    l->word = got ? NULL : word;
    pthread_mutex_unlock(&l->lock);
    return got;
}

enum iosim_err port_irq_wait_word(struct port_irq *irq, port_atomic_u32 *word, uint32_t expected,
                                  uint64_t timeout_ns)
{
    ASSERT(irq != NULL && irq->line < NATIVE_IRQ_LINES && word != NULL);
    struct native_line *l = &g_lines[irq->line];
    ASSERT(l->initialised);
    enum iosim_err result = IOSIM_ETIMEDOUT;
    for (uint64_t waited = 0;;) {
        if (take_pending(l, word)) {
            result = IOSIM_OK;
            break;
        }
        if (port_load_u32(word, PORT_ACQUIRE) != expected) {
            result = IOSIM_EAGAIN;
            break;
        }
        if (timeout_ns != PORT_IRQ_NO_TIMEOUT && waited >= timeout_ns)
            break;
        uint64_t slice = NATIVE_WAIT_WORD_SLICE_NS;
        if (timeout_ns != PORT_IRQ_NO_TIMEOUT && timeout_ns - waited < slice)
            slice = timeout_ns - waited;
        if (port_wait_u32(word, expected, slice) == IOSIM_OK) {
            result = take_pending(l, NULL) ? IOSIM_OK : IOSIM_EAGAIN;
            break;
        }
        waited += slice;
    }
    pthread_mutex_lock(&l->lock);
    l->word = NULL;
    pthread_mutex_unlock(&l->lock);
    return result;
}
