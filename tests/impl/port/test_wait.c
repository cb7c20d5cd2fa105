/* impl/port/wait.h on the native port: futex wait and wake between threads. */
#include <criterion/criterion.h>
#include <pthread.h>

#include "impl/port/native/native.h"
#include "impl/port/port.h"

static port_atomic_u32 word;
static port_atomic_u32 woken;

static void *sleeper(void *arg)
{
    (void)arg;
    while (port_load_u32(&word, PORT_ACQUIRE) == 0)
        (void)port_wait_u32(&word, 0, PORT_WAIT_FOREVER);
    port_fetch_add_u32(&woken, 1, PORT_RELEASE);
    return NULL;
}

Test(native_wait, wake_releases_sleepers_after_the_word_changes)
{
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, sleeper, NULL), 0);
    cr_expect_eq(port_load_u32(&woken, PORT_ACQUIRE), 0);
    port_store_u32(&word, 1, PORT_RELEASE);
    (void)port_wake(&word, PORT_WAKE_ALL);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    cr_expect_eq(port_load_u32(&woken, PORT_ACQUIRE), 3);
}

Test(native_wait, a_wait_on_a_changed_word_returns_and_a_silent_one_times_out)
{
    port_atomic_u32 w = {5};
    cr_expect_eq(port_wait_u32(&w, 4, PORT_WAIT_FOREVER), IOSIM_OK);
    uint64_t t0 = port_clock_ns();
    cr_expect_eq(port_wait_u32(&w, 5, 1000000), IOSIM_ETIMEDOUT);
    cr_expect_geq(port_clock_ns() - t0, 1000000, "a timeout never ends early");
    cr_expect_eq(port_wake(&w, 1), 0);
}

/* port_irq_wait_word natively: the interrupt and the word each end it. */
static port_atomic_u32 irq_word;

static void *raiser(void *arg)
{
    (void)arg;
    port_sleep_ns(2000000);
    port_native_irq_raise(77);
    return NULL;
}

static void *word_mover(void *arg)
{
    (void)arg;
    port_sleep_ns(2000000);
    port_store_u32(&irq_word, 1, PORT_RELEASE);
    (void)port_wake(&irq_word, PORT_WAKE_ALL);
    return NULL;
}

Test(native_wait, irq_wait_word_ends_on_the_interrupt_or_the_word)
{
    struct port_irq *irq;
    cr_assert_eq(port_irq_open(77, &irq), IOSIM_OK);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, raiser, NULL), 0);
    cr_expect_eq(port_irq_wait_word(irq, &irq_word, 0, 5000000000ull), IOSIM_OK);
    pthread_join(t, NULL);
    cr_assert_eq(pthread_create(&t, NULL, word_mover, NULL), 0);
    cr_expect_eq(port_irq_wait_word(irq, &irq_word, 0, 5000000000ull), IOSIM_EAGAIN);
    pthread_join(t, NULL);
    uint64_t t0 = port_clock_ns();
    cr_expect_eq(port_irq_wait_word(irq, &irq_word, 1, 3000000), IOSIM_ETIMEDOUT);
    cr_expect_geq(port_clock_ns() - t0, 3000000, "a timeout never ends early");
    port_native_irq_raise(77); /* latched: the next wait takes it at once */
    cr_expect_eq(port_irq_wait_word(irq, &irq_word, 1, 0), IOSIM_OK);
    port_irq_close(irq);
}

/* port_wait_u32_pair natively: a wake of either word ends it. */
static port_atomic_u32 pair_a, pair_b;

static void *pair_mover(void *arg)
{
    port_atomic_u32 *w = arg;
    port_sleep_ns(2000000);
    port_store_u32(w, 1, PORT_RELEASE);
    (void)port_wake(w, PORT_WAKE_ALL);
    return NULL;
}

Test(native_wait, pair_wait_ends_on_either_word_and_times_out)
{
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, pair_mover, &pair_b), 0);
    cr_expect_eq(port_wait_u32_pair(&pair_a, 0, &pair_b, 0, 5000000000ull), IOSIM_OK);
    pthread_join(t, NULL);
    cr_expect_eq(port_load_u32(&pair_b, PORT_ACQUIRE), 1);
    cr_assert_eq(pthread_create(&t, NULL, pair_mover, &pair_a), 0);
    cr_expect_eq(port_wait_u32_pair(&pair_a, 0, &pair_b, 1, 5000000000ull), IOSIM_OK);
    pthread_join(t, NULL);
    uint64_t t0 = port_clock_ns();
    cr_expect_eq(port_wait_u32_pair(&pair_a, 1, &pair_b, 1, 3000000), IOSIM_ETIMEDOUT);
    cr_expect_geq(port_clock_ns() - t0, 3000000, "a timeout never ends early");
    cr_expect_eq(port_wait_u32_pair(&pair_a, 0, &pair_b, 1, PORT_WAIT_FOREVER), IOSIM_OK);
}
