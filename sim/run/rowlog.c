/* The first trace row where two runs of one seed differ. */
#include "sim/run/rowlog.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/trace/trace_hash.h"

/* A row's encoding (in-process only, host byte order):
 *   u32 table, u64 t_ps, u32 ncols, then per column
 *   u8 kind and, for INT, i64 value; for SYM/TEXT, u32 length
 *   (ROW_NULL for a NULL string) and the bytes. */
#define ROW_NULL UINT32_MAX
#define ROW_HEAD (4u + 8u + 4u)

struct row_buf {
    unsigned char *p;
    size_t len, cap;
    bool failed; /* out of memory: the encoding is incomplete */
};

static void buf_put(struct row_buf *b, const void *src, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap != 0 ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void encode(struct row_buf *b, uint32_t table, sim_time_ps t_ps,
                   const struct sim_trace_value *cols, uint32_t ncols)
{
    b->len = 0;
    b->failed = false;
    uint64_t t = t_ps;
    buf_put(b, &table, sizeof table);
    buf_put(b, &t, sizeof t);
    buf_put(b, &ncols, sizeof ncols);
    for (uint32_t i = 0; i < ncols; i++) {
        uint8_t kind = (uint8_t)cols[i].kind;
        buf_put(b, &kind, 1);
        if (cols[i].kind == SIM_TRACE_KIND_INT) {
            buf_put(b, &cols[i].value, sizeof cols[i].value);
            continue;
        }
        size_t n = cols[i].str != NULL ? strlen(cols[i].str) : 0;
        uint32_t len = cols[i].str == NULL ? ROW_NULL : n >= ROW_NULL ? ROW_NULL - 1 : (uint32_t)n;
        buf_put(b, &len, sizeof len);
        if (len != ROW_NULL)
            buf_put(b, cols[i].str, len);
    }
}

static uint64_t digest_of(const struct row_buf *b)
{
    struct sim_trace_hasher h;
    sim_trace_hasher_init(&h, 0);
    sim_trace_hasher_bytes(&h, b->p, b->len);
    return sim_trace_hasher_digest(&h);
}

void sim_rowlog_init(struct sim_rowlog *l, const struct sim_rowlog *ref)
{
    ASSERT(ref == NULL || ref->ref == NULL);
    memset(l, 0, sizeof *l);
    l->ref = ref;
}

void sim_rowlog_fini(struct sim_rowlog *l)
{
    free(l->digest);
    free(l->off);
    free(l->bytes);
    free(l->mine);
    free(l->scratch);
    memset(l, 0, sizeof *l);
}

/* Room for one more row's digest and offset; false stops the recording. */
static bool grow_rows(struct sim_rowlog *l)
{
    if (l->rows < l->cap)
        return true;
    if (l->rows >= SIM_ROWLOG_ROWS_MAX)
        return false;
    uint64_t cap = l->cap != 0 ? l->cap * 2 : 1024;
    uint64_t *d = realloc(l->digest, cap * sizeof *d);
    if (d == NULL)
        return false;
    l->digest = d;
    uint64_t *o = realloc(l->off, cap * sizeof *o);
    if (o == NULL)
        return false;
    l->off = o;
    l->cap = cap;
    return true;
}

static void keep_bytes(struct sim_rowlog *l, const struct row_buf *b)
{
    l->off[l->rows] = UINT64_MAX;
    if (l->used + b->len > SIM_ROWLOG_BYTES_MAX)
        return;
    if (l->used + b->len > l->bytes_cap) {
        size_t cap = l->bytes_cap != 0 ? l->bytes_cap : 64u << 10;
        while (cap < l->used + b->len)
            cap *= 2;
        unsigned char *p = realloc(l->bytes, cap);
        if (p == NULL)
            return;
        l->bytes = p;
        l->bytes_cap = cap;
    }
    memcpy(l->bytes + l->used, b->p, b->len);
    l->off[l->rows] = l->used;
    l->used += b->len;
}

static void record(struct sim_rowlog *l, const struct row_buf *b)
{
    if (l->full || b->failed || !grow_rows(l)) {
        l->full = true;
        return;
    }
    l->digest[l->rows] = digest_of(b);
    keep_bytes(l, b);
    l->rows++;
}

static void compare(struct sim_rowlog *l, const struct row_buf *b)
{
    const struct sim_rowlog *ref = l->ref;
    if (l->diverged || l->full)
        return;
    if (b->failed || (l->rows >= ref->rows && ref->full)) {
        l->full = true; /* past what can be compared */
        return;
    }
    if (l->rows >= ref->rows || digest_of(b) != ref->digest[l->rows]) {
        l->diverged = true;
        l->at = l->rows;
        l->mine = malloc(b->len);
        if (l->mine != NULL) {
            memcpy(l->mine, b->p, b->len);
            l->mine_len = b->len;
        }
        return;
    }
    l->rows++;
}

void sim_rowlog_row(struct sim_rowlog *l, uint32_t table, sim_time_ps t_ps,
                    const struct sim_trace_value *cols, uint32_t ncols)
{
    struct row_buf b = {.p = l->scratch, .cap = l->scratch_cap};
    encode(&b, table, t_ps, cols, ncols);
    l->scratch = b.p;
    l->scratch_cap = b.cap;
    if (l->ref == NULL)
        record(l, &b);
    else
        compare(l, &b);
}

void sim_rowlog_tap(void *ctx, uint32_t table, sim_time_ps t_ps,
                    const struct sim_trace_value *cols, uint32_t ncols)
{
    sim_rowlog_row(ctx, table, t_ps, cols, ncols);
}

/* ---- the text ---------------------------------------------------------------------------- */

struct row_reader {
    const unsigned char *p;
    size_t len, at;
    bool bad;
};

static void take(struct row_reader *r, void *dst, size_t n)
{
    if (r->bad || r->len - r->at < n) {
        r->bad = true;
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, r->p + r->at, n);
    r->at += n;
}

struct text {
    char *p;
    size_t n, used;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
    if (t->used + 1 >= t->n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(t->p + t->used, t->n - t->used, fmt, ap);
    va_end(ap);
    if (k > 0)
        t->used = t->used + (size_t)k < t->n ? t->used + (size_t)k : t->n - 1;
}

static void format_col(struct row_reader *r, const char *name, struct text *t)
{
    uint8_t kind;
    take(r, &kind, 1);
    if (kind == SIM_TRACE_KIND_INT) {
        int64_t v;
        take(r, &v, sizeof v);
        put(t, " %s=%" PRId64, name, v);
        return;
    }
    uint32_t len;
    take(r, &len, sizeof len);
    if (len == ROW_NULL) {
        put(t, " %s=NULL", name);
        return;
    }
    if (r->bad || r->len - r->at < len) {
        r->bad = true;
        return;
    }
    put(t, " %s=\"%.*s\"", name, (int)(len > 200 ? 200 : len), (const char *)r->p + r->at);
    r->at += len;
}

void sim_rowlog_format(const unsigned char *row, size_t len, char *out, size_t n)
{
    ASSERT(n > 0);
    struct row_reader r = {.p = row, .len = len};
    struct text t = {.p = out, .n = n};
    out[0] = '\0';
    uint32_t table, ncols;
    uint64_t ps;
    take(&r, &table, sizeof table);
    take(&r, &ps, sizeof ps);
    take(&r, &ncols, sizeof ncols);
    const struct sim_trace_table_info *ti =
        r.bad || table >= sim_trace_table_count() ? NULL : sim_trace_table_info(table);
    if (ti == NULL || ti->ncols != ncols) {
        put(&t, "(unreadable row)");
        return;
    }
    put(&t, "%s t=%" PRIu64, ti->name, ps);
    for (uint32_t i = 0; i < ncols && !r.bad; i++)
        format_col(&r, ti->col_names[i], &t);
}

/* The text of the reference's row i. */
static void ref_row(const struct sim_rowlog *ref, uint64_t i, char *out, size_t n)
{
    if (i >= ref->rows)
        snprintf(out, n, ref->full ? "(not recorded)" : "(none: the run had ended)");
    else if (ref->off[i] == UINT64_MAX)
        snprintf(out, n, "(not kept: past the recording's byte budget)");
    else
        sim_rowlog_format(ref->bytes + ref->off[i], ref->used - ref->off[i], out, n);
}

static uint64_t row_time(const unsigned char *row, size_t len)
{
    uint64_t ps = 0;
    if (len >= ROW_HEAD)
        memcpy(&ps, row + 4, sizeof ps);
    return ps;
}

bool sim_rowlog_report(const struct sim_rowlog *l, const char *first, const char *second,
                       char *out, size_t n)
{
    ASSERT(l->ref != NULL && n > 0 && first != NULL && second != NULL);
    const struct sim_rowlog *ref = l->ref;
    bool ended = !l->diverged && !l->full && l->rows < ref->rows;
    if (!l->diverged && !ended) {
        out[0] = '\0';
        return false;
    }
    uint64_t at = l->diverged ? l->at : l->rows;
    char a[320], b[320], prev[320];
    ref_row(ref, at, a, sizeof a);
    if (l->mine != NULL)
        sim_rowlog_format(l->mine, l->mine_len, b, sizeof b);
    else
        snprintf(b, sizeof b, l->diverged ? "(not kept: out of memory)" : "(none: the run had ended)");
    uint64_t t = l->mine != NULL ? row_time(l->mine, l->mine_len)
                 : at < ref->rows && ref->off[at] != UINT64_MAX
                     ? row_time(ref->bytes + ref->off[at], ref->used - ref->off[at]) : 0;
    struct text o = {.p = out, .n = n};
    out[0] = '\0';
    put(&o, "first difference at row %" PRIu64 ", t=%" PRIu64 " ps\n", at, t);
    int w = (int)(strlen(first) > strlen(second) ? strlen(first) : strlen(second)) + 1;
    char la[40], lb[40];
    snprintf(la, sizeof la, "%s:", first);
    snprintf(lb, sizeof lb, "%s:", second);
    put(&o, "  %-*s %s\n  %-*s %s", w, la, a, w, lb, b);
    if (at > 0) {
        ref_row(ref, at - 1, prev, sizeof prev);
        put(&o, "\n  after row %" PRIu64 ": %s", at - 1, prev);
    }
    return true;
}
