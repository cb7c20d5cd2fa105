/*
 * impl/ring with two real threads (native port): 10^7 entries pass from a
 * pusher to a popper, unbatched and in batches of 32, every one in order and
 * checksummed. A plain program rather than a Criterion test so it also runs
 * under ThreadSanitizer (`make tsan`), which Criterion's runner does not
 * survive (Snaipe/Criterion#274). Exit status 0 when every entry arrived.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#include "tests/impl/ring/ring_test_util.h"

#define ENTRIES 10000000ull

struct stress {
    struct test_ring t;
    uint32_t batch;
    uint64_t bad;
    uint64_t received;
};

static uint64_t checksum(const struct ring_sqe64 *e)
{
    return e->fd * 0x9e3779b97f4a7c15ull ^ e->len ^ (e->user_data << 1) ^ e->addr ^ e->offset;
}

/* Spin a little, then give the CPU away: the program must also finish on a
 * loaded two-core machine and under ThreadSanitizer. */
static void backoff(uint32_t *spins)
{
    if (++*spins < 64) {
        port_spin_hint();
    } else {
        *spins = 0;
        sched_yield();
    }
}

static void *pusher_thread(void *arg)
{
    struct stress *s = arg;
    struct ring_sqe64 buf[32];
    uint32_t spins = 0;
    for (uint64_t v = 0; v < ENTRIES;) {
        uint32_t k = (uint32_t)(ENTRIES - v < s->batch ? ENTRIES - v : s->batch);
        for (uint32_t i = 0; i < k; i++)
            buf[i] = test_sqe(v + i);
        while (ring_push_batch(&s->t.tx, buf, k) == IOSIM_EAGAIN)
            backoff(&spins);
        v += k;
    }
    ring_pusher_shutdown(&s->t.tx);
    return NULL;
}

static void *popper_thread(void *arg)
{
    struct stress *s = arg;
    struct ring_sqe64 buf[32];
    uint32_t spins = 0;
    for (;;) {
        uint32_t n;
        enum iosim_err e = ring_pop_batch(&s->t.rx, buf, s->batch, &n);
        if (e == IOSIM_EAGAIN) {
            backoff(&spins);
            continue;
        }
        if (e != IOSIM_OK)
            break;
        for (uint32_t i = 0; i < n; i++) {
            struct ring_sqe64 want = test_sqe(s->received + i);
            if (buf[i].fd != s->received + i || checksum(&buf[i]) != checksum(&want))
                s->bad++;
        }
        s->received += n;
    }
    return NULL;
}

static int stress(uint32_t batch)
{
    static struct stress s;
    s = (struct stress){.batch = batch};
    if (test_ring_open(&s.t, 256, RING_SQE64) != 0)
        return 1;
    pthread_t a, b;
    if (pthread_create(&b, NULL, popper_thread, &s) != 0 ||
        pthread_create(&a, NULL, pusher_thread, &s) != 0)
        return 1;
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    test_ring_close(&s.t);
    printf("batch %2u: %llu entries received, %llu bad\n", batch,
           (unsigned long long)s.received, (unsigned long long)s.bad);
    return s.bad != 0 || s.received != ENTRIES;
}

int main(void)
{
    int failed = stress(1);
    failed |= stress(32);
    return failed;
}
