/*
 * impl/bufpool shared by real threads (native port), relying on the pool's
 * own mutex and nothing else for its state. Four owner threads allocate
 * slices, fill each with a pattern of their own, guard some and lend them to
 * a completion thread (the way a driver lends a buffer to an in-flight
 * request), and free them; the completion thread checks the pattern, then
 * drops the guard - or, for every 97th, forfeits it (the peer died), which
 * must leak the slice. Overlapping slices would show as a corrupted pattern
 * (and, under ThreadSanitizer, `make tsan`, as a race on the memory).
 * Finally every chunk without a leak must be one free range again and the
 * pool's self-check must pass. Exit status 0 when all held.
 */
#include <pthread.h>
#include <stdio.h>

#include "tests/impl/bufpool/bufpool_test_util.h"

#define OWNERS 4
#define ROUNDS 60000
#define QUEUE 256
#define CHUNK_BYTES (1u << 20)

struct lent {
    struct bufpool_slice s;
    uint8_t tag;
};

struct shared {
    struct bufpool pool;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct lent q[QUEUE];
    uint32_t head, len;
    uint32_t owners_done;
    uint64_t bad, lent, forfeited_bytes;
};

static void fill(const struct bufpool_slice *s, uint8_t tag)
{
    memset(s->host, tag, s->len_bytes);
}

static bool intact(const struct bufpool_slice *s, uint8_t tag)
{
    const uint8_t *b = s->host;
    for (uint32_t i = 0; i < s->len_bytes; i++)
        if (b[i] != tag)
            return false;
    return true;
}

static void lend(struct shared *sh, const struct bufpool_slice *s, uint8_t tag)
{
    pthread_mutex_lock(&sh->mu);
    while (sh->len == QUEUE)
        pthread_cond_wait(&sh->cv, &sh->mu);
    sh->q[(sh->head + sh->len++) % QUEUE] = (struct lent){.s = *s, .tag = tag};
    sh->lent++;
    pthread_cond_broadcast(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
}

struct owner_arg {
    struct shared *sh;
    uint64_t seed;
    uint8_t tag;
};

static void *owner_main(void *arg)
{
    struct owner_arg *a = arg;
    struct shared *sh = a->sh;
    struct bufpool_slice mine[8];
    uint32_t n = 0;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        size_t len = 1 + tb_below(&a->seed, 2048);
        size_t align = (size_t)64 << tb_below(&a->seed, 7);
        struct bufpool_slice s;
        if (bufpool_alloc(&sh->pool, len, align, &s) == IOSIM_OK) {
            fill(&s, a->tag);
            if (tb_below(&a->seed, 3) == 0) {
                /* lend it: guard first, then release our ownership */
                if (bufpool_guard(&sh->pool, &s) != IOSIM_OK)
                    __atomic_add_fetch(&sh->bad, 1, __ATOMIC_RELAXED);
                lend(sh, &s, a->tag);
                if (bufpool_free(&sh->pool, &s) != IOSIM_OK)
                    __atomic_add_fetch(&sh->bad, 1, __ATOMIC_RELAXED);
            } else if (n < 8) {
                mine[n++] = s;
            } else {
                (void)bufpool_free(&sh->pool, &s);
            }
        }
        if (n > 0 && tb_below(&a->seed, 2) == 0) {
            struct bufpool_slice *v = &mine[tb_below(&a->seed, n)];
            if (!intact(v, a->tag) || bufpool_free(&sh->pool, v) != IOSIM_OK)
                __atomic_add_fetch(&sh->bad, 1, __ATOMIC_RELAXED);
            *v = mine[--n];
        }
    }
    while (n > 0)
        if (!intact(&mine[--n], a->tag) || bufpool_free(&sh->pool, &mine[n]) != IOSIM_OK)
            __atomic_add_fetch(&sh->bad, 1, __ATOMIC_RELAXED);
    pthread_mutex_lock(&sh->mu);
    sh->owners_done++;
    pthread_cond_broadcast(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
    return NULL;
}

static void *completion_main(void *arg)
{
    struct shared *sh = arg;
    uint64_t done = 0;
    for (;;) {
        pthread_mutex_lock(&sh->mu);
        while (sh->len == 0 && sh->owners_done < OWNERS)
            pthread_cond_wait(&sh->cv, &sh->mu);
        if (sh->len == 0) {
            pthread_mutex_unlock(&sh->mu);
            return NULL;
        }
        struct lent l = sh->q[sh->head];
        sh->head = (sh->head + 1) % QUEUE;
        sh->len--;
        pthread_cond_broadcast(&sh->cv);
        pthread_mutex_unlock(&sh->mu);
        if (!intact(&l.s, l.tag))
            __atomic_add_fetch(&sh->bad, 1, __ATOMIC_RELAXED);
        enum iosim_err e;
        if (++done % 97 == 0) {
            e = bufpool_forfeit(&sh->pool, &l.s);
            sh->forfeited_bytes += (l.s.len_bytes + 63) / 64 * 64;
        } else {
            e = bufpool_unguard(&sh->pool, &l.s);
        }
        if (e != IOSIM_OK)
            __atomic_add_fetch(&sh->bad, 1, __ATOMIC_RELAXED);
    }
}

int main(void)
{
    static struct shared sh;
    struct bufpool_opts o = tb_opts(64, 4096, 2048, 0);
    o.slices_max = 4 * OWNERS * 8 + QUEUE + ROUNDS; /* leaks accumulate */
    o.chunks_max = 4;
    o.name = "stress";
    if (bufpool_init(&sh.pool, &o) != IOSIM_OK)
        return 2;
    void *mem[2];
    uint32_t ids[2];
    for (int i = 0; i < 2; i++) {
        mem[i] = tb_chunk_mem(CHUNK_BYTES, 4096);
        if (bufpool_chunk_add(&sh.pool, mem[i], CHUNK_BYTES, 0, NULL, NULL, &ids[i]) != IOSIM_OK)
            return 2;
    }
    pthread_mutex_init(&sh.mu, NULL);
    pthread_cond_init(&sh.cv, NULL);
    pthread_t owners[OWNERS], completion;
    struct owner_arg args[OWNERS];
    pthread_create(&completion, NULL, completion_main, &sh);
    for (int i = 0; i < OWNERS; i++) {
        args[i] = (struct owner_arg){.sh = &sh, .seed = 1000u + (uint64_t)i, .tag = (uint8_t)(0x41 + i)};
        pthread_create(&owners[i], NULL, owner_main, &args[i]);
    }
    for (int i = 0; i < OWNERS; i++)
        pthread_join(owners[i], NULL);
    pthread_join(completion, NULL);

    char why[128] = "";
    struct bufpool_stats st;
    bufpool_stats_get(&sh.pool, &st);
    int failed = 0;
    if (sh.bad != 0) {
        fprintf(stderr, "stress_bufpool: %llu wrong results or corrupted slices\n",
                (unsigned long long)sh.bad);
        failed = 1;
    }
    if (bufpool_check(&sh.pool, why, sizeof why) != IOSIM_OK) {
        fprintf(stderr, "stress_bufpool: check: %s\n", why);
        failed = 1;
    }
    if (st.slices != 0 || st.bytes_leaked != sh.forfeited_bytes ||
        st.bytes_free + st.bytes_leaked != 2ull * CHUNK_BYTES) {
        fprintf(stderr, "stress_bufpool: accounting: %u slices, %llu leaked (want %llu)\n",
                st.slices, (unsigned long long)st.bytes_leaked,
                (unsigned long long)sh.forfeited_bytes);
        failed = 1;
    }
    if (sh.lent < 1000 || st.slices_leaked == 0) {
        fprintf(stderr, "stress_bufpool: too little exercised (%llu lent)\n",
                (unsigned long long)sh.lent);
        failed = 1;
    }
    printf("stress_bufpool: %llu lent, %u leaked, %u free ranges\n", (unsigned long long)sh.lent,
           st.slices_leaked, st.free_ranges);
    (void)bufpool_destroy(&sh.pool);
    for (int i = 0; i < 2; i++)
        free(mem[i]);
    return failed;
}
