/*
 * bench_ring: impl/ring on real threads, beside the yardsticks that say what
 * the numbers mean on this machine.
 *
 *   ring.native.roundtrip   one thread, push then pop of one SqEntry64 (ns per entry)
 *   ring.native.spsc.b1     two threads on two CPUs, one entry per push/pop (M entries/s)
 *   ring.native.spsc.b32    the same in batches of 32 (M entries/s)
 *   ring.cacheline.limit    a minimal SPSC queue of 64-byte entries written here,
 *                           batches of 32: the machine's limit (M transfers/s)
 *   ring.iouring_nop.b32    Linux io_uring IORING_OP_NOP through liburing, 32 per
 *                           submit (M ops/s), when liburing is installed
 *   ring.mutex.b32          a mutex + condition-variable queue, batches of 32 (M entries/s)
 *
 * Each threaded figure is the best of ROUNDS runs of ENTRIES entries.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_util.h"
#include "impl/ring/ring.h"
#ifdef IOSIM_HAVE_LIBURING
#include <liburing.h>
#endif

#define ENTRIES 20000000ull
#define ROUNDS 5
#define RING_N 256u


static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/* ---- impl/ring ------------------------------------------------------------ */

struct ring_bench {
    struct ring_header *hdr;
    struct ring_sqe64 *ents;
    struct ring_pusher tx;
    struct ring_popper rx;
    uint32_t batch;
    uint64_t sum;
};

static void ring_bench_open(struct ring_bench *b, uint32_t batch)
{
    b->hdr = aligned_alloc(RING_HEADER_BYTES, RING_HEADER_BYTES);
    b->ents = aligned_alloc(4096, RING_N * sizeof *b->ents);
    memset(b->ents, 0, RING_N * sizeof *b->ents);
    if (ring_header_init(b->hdr, RING_N) != IOSIM_OK ||
        ring_pusher_attach(&b->tx, b->hdr, b->ents, RING_N, RING_SQE64) != IOSIM_OK ||
        ring_popper_attach(&b->rx, b->hdr, b->ents, RING_N, RING_SQE64) != IOSIM_OK) {
        fprintf(stderr, "bench_ring: ring set-up failed\n");
        exit(1);
    }
    b->batch = batch;
    b->sum = 0;
}

static void ring_bench_close(struct ring_bench *b)
{
    free(b->hdr);
    free(b->ents);
}

static void *ring_pusher_main(void *arg)
{
    struct ring_bench *b = arg;
    pin(0);
    struct ring_sqe64 buf[32];
    memset(buf, 0, sizeof buf);
    for (uint64_t v = 0; v < ENTRIES; v += b->batch) {
        for (uint32_t i = 0; i < b->batch; i++)
            buf[i].user_data = v + i;
        while (ring_push_batch(&b->tx, buf, b->batch) == IOSIM_EAGAIN)
            port_spin_hint();
    }
    ring_pusher_shutdown(&b->tx);
    return NULL;
}

static void *ring_popper_main(void *arg)
{
    struct ring_bench *b = arg;
    pin(1);
    struct ring_sqe64 buf[32];
    uint32_t n;
    enum iosim_err e;
    while ((e = ring_pop_batch(&b->rx, buf, b->batch, &n)) != IOSIM_ESHUTDOWN) {
        if (e != IOSIM_OK) {
            port_spin_hint();
            continue;
        }
        for (uint32_t i = 0; i < n; i++)
            b->sum += buf[i].user_data;
    }
    return NULL;
}

static double run_threads(void *(*a)(void *), void *(*b)(void *), void *arg)
{
    pthread_t ta, tb;
    double t0 = bench_wall_now();
    pthread_create(&tb, NULL, b, arg);
    pthread_create(&ta, NULL, a, arg);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    return bench_wall_now() - t0;
}

static double ring_spsc(uint32_t batch)
{
    double best = 1e9;
    for (int r = 0; r < ROUNDS; r++) {
        static struct ring_bench b;
        ring_bench_open(&b, batch);
        double t = run_threads(ring_pusher_main, ring_popper_main, &b);
        if (b.sum != ENTRIES * (ENTRIES - 1) / 2) {
            fprintf(stderr, "bench_ring: lost entries\n");
            exit(1);
        }
        ring_bench_close(&b);
        best = t < best ? t : best;
    }
    return (double)ENTRIES / best / 1e6;
}

static double ring_roundtrip(void)
{
    static struct ring_bench b;
    ring_bench_open(&b, 1);
    struct ring_sqe64 e, out;
    memset(&e, 0, sizeof e);
    const uint64_t n = 20000000;
    double best = 1e9;
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = bench_wall_now();
        for (uint64_t i = 0; i < n; i++) {
            e.user_data = i;
            (void)ring_push(&b.tx, &e);
            (void)ring_pop(&b.rx, &out);
            b.sum += out.user_data;
        }
        double t = bench_wall_now() - t0;
        best = t < best ? t : best;
    }
    ring_bench_close(&b);
    return best / (double)n * 1e9;
}

/* ---- the machine's limit: a minimal SPSC queue of 64-byte entries ---------- */

struct mini {
    _Alignas(128) uint32_t head;
    _Alignas(128) uint32_t tail;
    _Alignas(128) struct ring_sqe64 slot[RING_N];
    uint64_t sum;
};

static void *mini_push(void *arg)
{
    struct mini *q = arg;
    pin(0);
    uint32_t tail = 0, head = 0;
    for (uint64_t v = 0; v < ENTRIES; v += 32) {
        while (tail - head > RING_N - 32)
            head = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
        for (uint32_t i = 0; i < 32; i++) {
            struct ring_sqe64 *s = &q->slot[(tail + i) % RING_N];
            memset(s, 0, sizeof *s);
            s->user_data = v + i;
        }
        tail += 32;
        __atomic_store_n(&q->tail, tail, __ATOMIC_RELEASE);
    }
    return NULL;
}

static void *mini_pop(void *arg)
{
    struct mini *q = arg;
    pin(1);
    uint32_t head = 0, tail = 0;
    struct ring_sqe64 buf[32];
    for (uint64_t got = 0; got < ENTRIES;) {
        while (tail == head)
            tail = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
        uint32_t n = tail - head < 32 ? tail - head : 32;
        for (uint32_t i = 0; i < n; i++)
            buf[i] = q->slot[(head + i) % RING_N];
        for (uint32_t i = 0; i < n; i++)
            q->sum += buf[i].user_data;
        head += n;
        got += n;
        __atomic_store_n(&q->head, head, __ATOMIC_RELEASE);
    }
    return NULL;
}

static double cacheline_limit(void)
{
    double best = 1e9;
    for (int r = 0; r < ROUNDS; r++) {
        struct mini *q = aligned_alloc(128, sizeof *q);
        memset(q, 0, sizeof *q);
        double t = run_threads(mini_push, mini_pop, q);
        if (q->sum != ENTRIES * (ENTRIES - 1) / 2)
            exit(1);
        free(q);
        best = t < best ? t : best;
    }
    return (double)ENTRIES / best / 1e6;
}

/* ---- a mutex + condition variable queue --------------------------------------- */

struct mq {
    pthread_mutex_t lock;
    pthread_cond_t not_full, not_empty;
    struct ring_sqe64 slot[RING_N];
    uint32_t head, len;
    uint64_t sum;
};

static void *mq_push(void *arg)
{
    struct mq *q = arg;
    pin(0);
    struct ring_sqe64 buf[32];
    memset(buf, 0, sizeof buf);
    for (uint64_t v = 0; v < ENTRIES; v += 32) {
        for (uint32_t i = 0; i < 32; i++)
            buf[i].user_data = v + i;
        pthread_mutex_lock(&q->lock);
        while (RING_N - q->len < 32)
            pthread_cond_wait(&q->not_full, &q->lock);
        for (uint32_t i = 0; i < 32; i++)
            q->slot[(q->head + q->len + i) % RING_N] = buf[i];
        q->len += 32;
        pthread_cond_signal(&q->not_empty);
        pthread_mutex_unlock(&q->lock);
    }
    return NULL;
}

static void *mq_pop(void *arg)
{
    struct mq *q = arg;
    pin(1);
    struct ring_sqe64 buf[32];
    for (uint64_t got = 0; got < ENTRIES;) {
        pthread_mutex_lock(&q->lock);
        while (q->len == 0)
            pthread_cond_wait(&q->not_empty, &q->lock);
        uint32_t n = q->len < 32 ? q->len : 32;
        for (uint32_t i = 0; i < n; i++)
            buf[i] = q->slot[(q->head + i) % RING_N];
        q->head = (q->head + n) % RING_N;
        q->len -= n;
        pthread_cond_signal(&q->not_full);
        pthread_mutex_unlock(&q->lock);
        for (uint32_t i = 0; i < n; i++)
            q->sum += buf[i].user_data;
        got += n;
    }
    return NULL;
}

static double mutex_queue(void)
{
    double best = 1e9;
    for (int r = 0; r < ROUNDS; r++) {
        struct mq *q = calloc(1, sizeof *q);
        pthread_mutex_init(&q->lock, NULL);
        pthread_cond_init(&q->not_full, NULL);
        pthread_cond_init(&q->not_empty, NULL);
        double t = run_threads(mq_push, mq_pop, q);
        if (q->sum != ENTRIES * (ENTRIES - 1) / 2)
            exit(1);
        free(q);
        best = t < best ? t : best;
    }
    return (double)ENTRIES / best / 1e6;
}

/* ---- Linux io_uring NOP ---------------------------------------------------------- */

#ifdef IOSIM_HAVE_LIBURING
static double iouring_nop(void)
{
    struct io_uring ring;
    int rc = io_uring_queue_init(64, &ring, 0);
    if (rc < 0) {
        fprintf(stderr, "bench_ring: io_uring unavailable here (%s): ring.iouring_nop skipped\n",
                strerror(-rc));
        return -1;
    }
    const uint64_t n = ENTRIES / 4;
    double best = 1e9;
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = bench_wall_now();
        for (uint64_t done = 0; done < n; done += 32) {
            for (int i = 0; i < 32; i++) {
                struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
                if (sqe == NULL) {
                    fprintf(stderr, "bench_ring: io_uring submission queue full\n");
                    exit(1);
                }
                io_uring_prep_nop(sqe);
            }
            io_uring_submit_and_wait(&ring, 32);
            struct io_uring_cqe *cqe;
            unsigned head, seen = 0;
            io_uring_for_each_cqe(&ring, head, cqe) { seen++; }
            io_uring_cq_advance(&ring, seen);
        }
        double t = bench_wall_now() - t0;
        best = t < best ? t : best;
    }
    io_uring_queue_exit(&ring);
    return (double)n / best / 1e6;
}
#endif

int main(void)
{
    printf("bench: ring.native.roundtrip %.2f ns\n", ring_roundtrip());
    printf("bench: ring.native.spsc.b1 %.1f M entries/s\n", ring_spsc(1));
    double b32 = ring_spsc(32);
    printf("bench: ring.native.spsc.b32 %.1f M entries/s\n", b32);
    double limit = cacheline_limit();
    printf("bench: ring.cacheline.limit %.1f M transfers/s\n", limit);
    printf("bench: ring.native.spsc.b32_of_limit %.2f x\n", b32 / limit);
#ifdef IOSIM_HAVE_LIBURING
    double nop = iouring_nop();
    if (nop > 0) {
        printf("bench: ring.iouring_nop.b32 %.1f M ops/s\n", nop);
        printf("bench: ring.native.spsc.b32_over_iouring %.1f x\n", b32 / nop);
    }
#else
    fprintf(stderr, "bench_ring: liburing not installed: ring.iouring_nop skipped\n");
#endif
    printf("bench: ring.mutex.b32 %.1f M entries/s\n", mutex_queue());
    return 0;
}
