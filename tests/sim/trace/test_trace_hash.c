/* sim/trace_hash: XXH64 against published digests, streaming in every
 * chunking against one-shot, and the hex format. */
#include <criterion/criterion.h>
#include <string.h>

#include "sim/engine/rng.h"
#include "sim/trace/trace_hash.h"

/* Published XXH64 digests (xxHash's own test vectors). */
static const struct {
    const char *in;
    uint64_t seed;
    uint64_t want;
} vectors[] = {
    {"", 0, 0xef46db3751d8e999ull},
    {"a", 0, 0xd24ec4f1a98c6e5bull},
    {"abc", 0, 0x44bc2cf5ad770999ull},
    {"0123456789abcdef0123456789abcdef0123456789", 0, 0xa76190c3acf08a1cull},
    {"", 0x9e3779b97f4a7c15ull, 0xc4349fc93c010000ull},
    {"a", 0x9e3779b97f4a7c15ull, 0x9a7c6d2ea45568c9ull},
    {"abc", 0x9e3779b97f4a7c15ull, 0x2ed0f59d6b43ac8bull},
    {"0123456789abcdef0123456789abcdef0123456789", 0x9e3779b97f4a7c15ull,
     0x38627fea513ea7a4ull},
};

Test(trace_hash, xxh64_matches_published_digests_when_one_shot)
{
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++)
        cr_expect_eq(sim_trace_xxh64(vectors[i].in, strlen(vectors[i].in), vectors[i].seed),
                     vectors[i].want, "vector %zu", i);
}

Test(trace_hash, streaming_equals_one_shot_when_split_anywhere)
{
    unsigned char buf[200];
    struct sim_rng r;
    sim_rng_seed(&r, 77);
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)sim_rng_next(&r);
    for (size_t n = 0; n <= sizeof buf; n += 7) {
        uint64_t want = sim_trace_xxh64(buf, n, 5);
        for (size_t a = 0; a <= n; a++) {
            struct sim_trace_hasher h;
            sim_trace_hasher_init(&h, 5);
            sim_trace_hasher_bytes(&h, buf, a);
            size_t b = a + (n - a) / 2;
            sim_trace_hasher_bytes(&h, buf + a, b - a);
            sim_trace_hasher_bytes(&h, buf + b, n - b);
            cr_assert_eq(sim_trace_hasher_digest(&h), want, "n %zu split %zu/%zu", n, a, b);
        }
    }
}

Test(trace_hash, u64_equals_its_little_endian_bytes_when_at_any_offset)
{
    const uint64_t v = 0x0123456789abcdefull;
    const unsigned char le[8] = {0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01};
    for (size_t pre = 0; pre < 40; pre++) {
        struct sim_trace_hasher a, b;
        sim_trace_hasher_init(&a, 0);
        sim_trace_hasher_init(&b, 0);
        for (size_t i = 0; i < pre; i++) {
            sim_trace_hasher_bytes(&a, "x", 1);
            sim_trace_hasher_bytes(&b, "x", 1);
        }
        for (int k = 0; k < 9; k++) { /* crosses stripes at every phase */
            sim_trace_hasher_u64(&a, v);
            sim_trace_hasher_bytes(&b, le, 8);
        }
        cr_assert_eq(sim_trace_hasher_digest(&a), sim_trace_hasher_digest(&b), "pre %zu", pre);
    }
}

Test(trace_hash, digest_leaves_state_unchanged_when_read_midway)
{
    struct sim_trace_hasher h;
    sim_trace_hasher_init(&h, 0);
    sim_trace_hasher_bytes(&h, "0123456789abcdef0123456789abcdef", 32);
    (void)sim_trace_hasher_digest(&h);
    sim_trace_hasher_bytes(&h, "0123456789", 10);
    cr_expect_eq(sim_trace_hasher_digest(&h), 0xa76190c3acf08a1cull);
}

Test(trace_hash, format_gives_16_lowercase_digits_when_leading_zeros)
{
    char out[SIM_TRACE_HASH_HEX_LEN + 1];
    sim_trace_hash_format(0x00000000000abcdeull, out);
    cr_expect_str_eq(out, "00000000000abcde");
    sim_trace_hash_format(UINT64_MAX, out);
    cr_expect_str_eq(out, "ffffffffffffffff");
    sim_trace_hash_format(0, out);
    cr_expect_str_eq(out, "0000000000000000");
}
