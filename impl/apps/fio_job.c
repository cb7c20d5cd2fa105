/* fio-style jobs and their I/O sequence; see fio_job.h. */
#include "impl/apps/fio_job.h"

#include <stddef.h>
#include <string.h>

#include "impl/port/check.h"
#include "impl/util/num.h"

#define VERIFY_MAGIC 0x76736f69u          /* "iosv", little-endian */
#define PERM_MUL 0x5851f42d4c957f2dull     /* = 1 mod 4: a full-period LCG mod 2^k */

void fio_job_defaults(struct fio_job *j)
{
    ASSERT(j != NULL);
    *j = (struct fio_job){.rw = FIO_RW_READ, .bs = 4096, .iodepth = 1, .rwmixread = 50,
                          .size = 1u << 20, .randseed = 1};
}

bool fio_size_parse(const char *text, uint64_t *out)
{
    size_t n = strlen(text);
    uint64_t unit = 1;
    if (n > 1) {
        char s = text[n - 1];
        unit = s == 'k' || s == 'K' ? 1ull << 10 : s == 'm' || s == 'M' ? 1ull << 20
               : s == 'g' || s == 'G' ? 1ull << 30 : s == 't' || s == 'T' ? 1ull << 40 : 1;
        n -= unit != 1;
    }
    uint64_t v;
    if (!num_parse_u64(text, n, UINT64_MAX / unit, &v))
        return false;
    *out = v * unit;
    return true;
}

static bool parse_rw(const char *v, enum fio_rw *rw)
{
    static const char *const names[] = {"read", "write", "randread", "randwrite", "randrw",
                                        "readwrite"};
    for (uint32_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(v, names[i]) == 0) {
            *rw = (enum fio_rw)i;
            return true;
        }
    return false;
}

/* The job's keys: how each is read, where it goes, what its error says. */
enum key_kind { K_RW, K_SIZE, K_U32, K_U64, K_BOOL };

struct key_def {
    const char *key;
    enum key_kind kind;
    size_t at;                          /* offsetof in struct fio_job */
    uint64_t min, max;
    const char *why;
};

#define AT(field) offsetof(struct fio_job, field)
static const struct key_def keys[] = {
    {"rw", K_RW, AT(rw), 0, 0, "rw: read, write, randread, randwrite, randrw or readwrite"},
    {"bs", K_SIZE, AT(bs), FIO_BS_MIN, FIO_BS_MAX, "bs: a size from 512 to 1m"},
    {"size", K_SIZE, AT(size), 1, UINT64_MAX, "size: a size"},
    {"offset", K_SIZE, AT(offset), 0, UINT64_MAX, "offset: a size"},
    {"iodepth", K_U32, AT(iodepth), 1, FIO_IODEPTH_MAX, "iodepth: 1 to 256"},
    {"rwmixread", K_U32, AT(rwmixread), 0, 100, "rwmixread: 0 to 100"},
    {"fsync", K_U32, AT(fsync), 0, UINT32_MAX, "fsync: a count"},
    {"number_ios", K_U64, AT(number_ios), 0, UINT64_MAX, "number_ios: a count"},
    {"verify", K_BOOL, AT(verify), 0, 1, "verify: 0 or 1"},
    {"randseed", K_U64, AT(randseed), 0, UINT64_MAX, "randseed: a number"},
};
#undef AT
_Static_assert(sizeof(((struct fio_job *)0)->bs) == 4 && sizeof(((struct fio_job *)0)->size) == 8 &&
                   sizeof(((struct fio_job *)0)->iodepth) == 4 &&
                   sizeof(((struct fio_job *)0)->number_ios) == 8 &&
                   sizeof(((struct fio_job *)0)->verify) == sizeof(bool),
               "store() writes each field at its size");

static bool store(struct fio_job *j, const struct key_def *k, const char *value)
{
    uint8_t *field = (uint8_t *)j + k->at;
    uint64_t v = 0;
    bool ok = k->kind == K_SIZE ? fio_size_parse(value, &v)
                                : num_parse_u64(value, strlen(value), k->max, &v);
    if (!ok || v < k->min || v > k->max)
        return false;
    if (k->kind == K_BOOL) {
        bool b = v != 0;
        memcpy(field, &b, sizeof b);
    } else if (k->kind == K_U32 || (k->kind == K_SIZE && k->max <= UINT32_MAX)) {
        uint32_t u = (uint32_t)v;
        memcpy(field, &u, sizeof u);
    } else {
        memcpy(field, &v, sizeof v);
    }
    return true;
}

/* ---- iolog ------------------------------------------------------------------------------ */

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* One field of an iolog line: [*at, end of the token); false if none. */
static bool iolog_token(const char *t, size_t *at, size_t end, size_t *len)
{
    while (*at < end && blank(t[*at]))
        (*at)++;
    size_t b = *at;
    while (*at < end && !blank(t[*at]) && t[*at] != '#')
        (*at)++;
    *len = *at - b;
    return *len > 0;
}

/* Why an entry may not be: NULL when it may. */
static const char *iolog_refusal(const struct fio_io *io)
{
    if (io->offset % FIO_BS_MIN != 0 || io->len % FIO_BS_MIN != 0)
        return "iolog: offset and length are multiples of 512";
    if (io->op == FIO_OP_FLUSH && (io->offset != 0 || io->len != 0))
        return "iolog: a flush is `f 0 0 THINK`";
    if (io->op != FIO_OP_FLUSH && (io->len == 0 || io->len > FIO_BS_MAX))
        return "iolog: a read or write is 512 bytes to 1m";
    if (io->offset > UINT64_MAX - io->len)
        return "iolog: offset + length past 2^64";
    return NULL;
}

/* One line's entry, [b, end) of t: false with *why and *col (1-based). */
static bool iolog_parse_line(const char *t, size_t b, size_t end, struct fio_io *io,
                             const char **why, uint32_t *col)
{
    static const uint64_t max[3] = {UINT64_MAX, UINT32_MAX, FIO_THINK_NS_MAX};
    static const char *const whys[3] = {"iolog: the offset, a number of bytes",
                                        "iolog: the length, a number of bytes",
                                        "iolog: the think time, nanoseconds up to an hour"};
    size_t at = b, n;
    (void)iolog_token(t, &at, end, &n);
    char op = t[at - n];
    if (n != 1 || (op != 'r' && op != 'w' && op != 'f')) {
        *col = (uint32_t)(at - n - b + 1);
        *why = "iolog: each line is `r|w|f OFFSET LEN THINK`";
        return false;
    }
    uint64_t v[3];
    for (int k = 0; k < 3; k++) {
        bool got = iolog_token(t, &at, end, &n);
        if (!got || !num_parse_u64(t + at - n, n, max[k], &v[k])) {
            *col = (uint32_t)(at - n - b + 1);
            *why = whys[k];
            return false;
        }
    }
    *io = (struct fio_io){.op = op == 'r' ? FIO_OP_READ : op == 'w' ? FIO_OP_WRITE : FIO_OP_FLUSH,
                          .offset = v[0], .len = (uint32_t)v[1], .think_ns = v[2]};
    bool more = iolog_token(t, &at, end, &n);
    *why = more ? "iolog: more than four fields on a line" : iolog_refusal(io);
    *col = (uint32_t)(more ? at - n - b + 1 : 1);
    return *why == NULL;
}

/* The entry at or after *pos (skipping blank and comment lines), with
 * *pos moved past it and *line counting lines: 1 an entry, 0 the end, -1
 * an error (*why, *col). */
static int iolog_next(const char *t, size_t *pos, uint32_t *line, struct fio_io *io,
                      const char **why, uint32_t *col)
{
    for (; t[*pos] != '\0'; (*line)++) {
        size_t b = *pos, end = b;
        while (t[end] != '\0' && t[end] != '\n')
            end++;
        *pos = t[end] == '\n' ? end + 1 : end;
        size_t first = b;
        while (first < end && blank(t[first]))
            first++;
        if (first == end || t[first] == '#')
            continue;
        return iolog_parse_line(t, b, end, io, why, col) ? 1 : -1;
    }
    return 0;
}

/* The whole log: counts and sizes it, or says where it is wrong. */
static bool iolog_set(struct fio_job *j, const char *text, const char **why)
{
    size_t pos = 0;
    uint32_t line = 1, col = 0;
    struct fio_io io;
    uint64_t ios = 0;
    uint32_t max_len = 0;
    int got;
    while ((got = iolog_next(text, &pos, &line, &io, why, &col)) == 1) {
        ios++;
        max_len = io.len > max_len ? io.len : max_len;
        line++;
    }
    if (got < 0) {
        j->iolog_line = line;
        j->iolog_col = col;
        return false;
    }
    j->iolog = text;
    j->iolog_ios = ios;
    j->iolog_max_len = max_len;
    return true;
}

uint32_t fio_job_max_len(const struct fio_job *j)
{
    ASSERT(j != NULL);
    if (j->iolog == NULL)
        return j->bs;
    return j->iolog_max_len > FIO_BS_MIN ? j->iolog_max_len : FIO_BS_MIN;
}

/* With an iolog: what fio_job_check asks of the job. */
static const char *iolog_check(const struct fio_job *j, uint64_t disk_bytes)
{
    if (j->iodepth != 1)
        return "iodepth: an iolog runs one I/O at a time (1)";
    if (j->verify)
        return "verify: not with an iolog";
    size_t pos = 0;
    uint32_t line = 1, col;
    struct fio_io io;
    const char *why = NULL;
    while (iolog_next(j->iolog, &pos, &line, &io, &why, &col) == 1)
        if (io.offset > disk_bytes || io.len > disk_bytes - io.offset)
            return "iolog: an I/O past the end of the disk";
    return NULL;
}

enum iosim_err fio_job_set(struct fio_job *j, const char *key, const char *value,
                           const char **why)
{
    ASSERT(j != NULL && key != NULL && value != NULL && why != NULL);
    if (strcmp(key, "iolog") == 0)
        return iolog_set(j, value, why) ? IOSIM_OK : IOSIM_EINVAL;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const struct key_def *k = &keys[i];
        if (strcmp(key, k->key) != 0)
            continue;
        *why = k->why;
        bool ok = k->kind == K_RW ? parse_rw(value, &j->rw) : store(j, k, value);
        return ok ? IOSIM_OK : IOSIM_EINVAL;
    }
    *why = "not a job key (rw, bs, size, offset, iodepth, rwmixread, fsync, number_ios, "
           "verify, randseed, iolog)";
    return IOSIM_EINVAL;
}

enum iosim_err fio_job_check(const struct fio_job *j, uint64_t disk_bytes, const char **why)
{
    ASSERT(j != NULL && why != NULL);
    *why = NULL;
    if (j->iolog != NULL)
        *why = iolog_check(j, disk_bytes);
    else if (j->bs < FIO_BS_MIN || j->bs > FIO_BS_MAX || j->bs % FIO_BS_MIN != 0)
        *why = "bs: a multiple of 512 up to 1m";
    else if (j->size == 0 || j->size % j->bs != 0)
        *why = "size: a non-zero multiple of bs";
    else if (j->offset % j->bs != 0)
        *why = "offset: a multiple of bs";
    else if (j->offset > disk_bytes || j->size > disk_bytes - j->offset)
        *why = "offset + size: past the end of the disk";
    else if (j->iodepth == 0 || j->iodepth > FIO_IODEPTH_MAX)
        *why = "iodepth: 1 to 256";
    return *why == NULL ? IOSIM_OK : IOSIM_EINVAL;
}

/* ---- the sequence --------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void fio_gen_init(struct fio_gen *g, const struct fio_job *j)
{
    ASSERT(g != NULL && j != NULL && j->bs != 0);
    memset(g, 0, sizeof *g);
    g->j = *j;
    g->blocks = j->size / j->bs;
    if (g->j.number_ios == 0)
        g->j.number_ios = g->blocks;
    uint64_t mask = 1;
    while (mask < g->blocks)
        mask <<= 1;
    g->perm_mask = mask - 1;
    g->perm = j->randseed & g->perm_mask;
    g->mix = j->randseed ^ 0x6a09e667f3bcc909ull;
}

static bool random_rw(enum fio_rw rw)
{
    return rw == FIO_RW_RANDREAD || rw == FIO_RW_RANDWRITE || rw == FIO_RW_RANDRW;
}

/* Every block once a pass: an LCG of full period over the next power of
 * two, values past the region skipped (at most half of them). */
static uint64_t next_random_block(struct fio_gen *g)
{
    uint64_t c = (g->j.randseed << 1) | 1u;
    do {
        g->perm = (g->perm * PERM_MUL + c) & g->perm_mask;
    } while (g->perm >= g->blocks);
    return g->perm;
}

static enum fio_op next_op(struct fio_gen *g)
{
    switch (g->j.rw) {
    case FIO_RW_READ:
    case FIO_RW_RANDREAD: return FIO_OP_READ;
    case FIO_RW_WRITE:
    case FIO_RW_RANDWRITE: return FIO_OP_WRITE;
    case FIO_RW_RANDRW:
    case FIO_RW_READWRITE: break;
    }
    return mix64(&g->mix) % 100u < g->j.rwmixread ? FIO_OP_READ : FIO_OP_WRITE;
}

/* The iolog's next entry (checked by fio_job_set, so it parses). */
static bool iolog_gen_next(struct fio_gen *g, struct fio_io *io)
{
    uint32_t line = 0, col = 0;
    const char *why = NULL;
    int got = iolog_next(g->j.iolog, &g->log_pos, &line, io, &why, &col);
    ASSERT(got >= 0 && "the log was checked when it was set");
    g->issued += got == 1;
    return got == 1;
}

bool fio_gen_next(struct fio_gen *g, struct fio_io *io)
{
    ASSERT(g != NULL && io != NULL);
    if (g->j.iolog != NULL)
        return iolog_gen_next(g, io);
    bool done = g->issued == g->j.number_ios;
    if (g->flush_due || (done && g->j.fsync != 0 && g->since_flush != 0)) {
        g->flush_due = false;
        g->since_flush = 0;
        *io = (struct fio_io){.op = FIO_OP_FLUSH};
        return true;
    }
    if (done)
        return false;
    uint64_t block = random_rw(g->j.rw) ? next_random_block(g) : g->seq++ % g->blocks;
    *io = (struct fio_io){.op = next_op(g), .offset = g->j.offset + block * g->j.bs,
                          .len = g->j.bs};
    g->issued++;
    if (io->op == FIO_OP_WRITE && g->j.fsync != 0 && ++g->since_flush == g->j.fsync)
        g->flush_due = true;
    return true;
}

/* ---- verify --------------------------------------------------------------------------------- */

static void put_le(uint8_t *b, uint64_t v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *b, uint32_t n)
{
    uint64_t v = 0;
    for (uint32_t i = n; i-- > 0;)
        v = v << 8 | b[i];
    return v;
}

/* FNV-1a over the block with its sum field (bytes 16..23) read as zeros. */
static uint64_t sum_of(const uint8_t *buf, uint32_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint32_t i = 0; i < len; i++)
        h = (h ^ (i >= 16 && i < 24 ? 0u : buf[i])) * 0x100000001b3ull;
    return h;
}

void fio_verify_fill(uint8_t *buf, uint32_t block_bytes, uint64_t offset, uint32_t gen,
                     uint64_t seed)
{
    ASSERT(buf != NULL && block_bytes >= FIO_VERIFY_HEADER_BYTES && gen != 0);
    uint64_t s = seed ^ offset * 0x9e3779b97f4a7c15ull ^ (uint64_t)gen << 32;
    for (uint32_t i = FIO_VERIFY_HEADER_BYTES; i < block_bytes; i += 8) {
        uint64_t r = mix64(&s);
        put_le(buf + i, r, block_bytes - i < 8 ? block_bytes - i : 8);
    }
    put_le(buf, VERIFY_MAGIC, 4);
    put_le(buf + 4, gen, 4);
    put_le(buf + 8, offset, 8);
    put_le(buf + 16, sum_of(buf, block_bytes), 8);
}

bool fio_verify_check(const uint8_t *buf, uint32_t block_bytes, uint64_t offset, uint64_t seed,
                      uint32_t *gen)
{
    ASSERT(buf != NULL && block_bytes >= FIO_VERIFY_HEADER_BYTES && gen != NULL);
    (void)seed; /* the sum covers the pattern: no need to regenerate it */
    bool zero = true;
    for (uint32_t i = 0; i < block_bytes && zero; i++)
        zero = buf[i] == 0;
    *gen = 0;
    if (zero)
        return true; /* never written */
    if (get_le(buf, 4) != VERIFY_MAGIC || get_le(buf + 8, 8) != offset ||
        get_le(buf + 16, 8) != sum_of(buf, block_bytes) || get_le(buf + 4, 4) == 0)
        return false;
    *gen = (uint32_t)get_le(buf + 4, 4);
    return true;
}
