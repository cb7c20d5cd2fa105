/* sim/yml: loading a YAML file into a positioned tree, and the tree's
 * accessors. See yml.h for the contract and yml_impl.h for the invariants.
 *
 * The tree is built from libyaml's event stream rather than its document
 * loader, so that depth, node count and refused features are checked as the
 * events arrive: a hostile file costs at most YML_NODES_MAX nodes of work and
 * never recurses. While loading, nodes refer to each other by index (the
 * arrays move as they grow); a final pass turns indices into pointers. */
#include "impl/port/check.h"
#include "sim/scenario/yml_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* Maps with more pairs than this are checked for duplicate keys by sorting
 * (n log n); smaller ones pairwise, which is cheaper for them. */
#define YML_DUP_PAIRWISE_MAX 16

/* One open collection while loading. */
struct yml_frame {
    uint32_t node;  /* index of the collection's node */
    size_t first;   /* index in scratch of its first child */
};

/* A key and its node index, for the sort-based duplicate check. */
struct yml_keyref {
    const char *text;
    size_t len;
    uint32_t node;
};

struct yml_builder {
    const char *name;
    const unsigned char *text; /* the input after any UTF-8 byte order mark */
    size_t len;
    struct yml_error *err;
    struct yml_node *nodes;   /* in creation (pre-)order; [0] is the root */
    size_t n_nodes, cap_nodes;
    uint32_t *items;          /* children of closed collections, concatenated */
    size_t n_items, cap_items;
    uint32_t *scratch;        /* children of open collections, innermost last */
    size_t n_scratch, cap_scratch;
    char *arena;              /* scalar texts, each NUL-terminated */
    size_t n_arena, cap_arena;
    struct yml_keyref *keys;  /* sort buffer for duplicate checks */
    size_t cap_keys;
    struct yml_frame stack[YML_DEPTH_MAX];
    size_t depth;
    unsigned docs;            /* documents started so far */
};

/* ---- messages ---------------------------------------------------------- */

enum iosim_err yml_vfail(struct yml_error *err, const char *name, uint32_t line, uint32_t col,
                         enum iosim_err code, const char *fmt, va_list ap)
{
    ASSERT(err != NULL && name != NULL && fmt != NULL);
    ASSERT(code != IOSIM_OK);
    size_t cap = sizeof err->msg;
    int n = snprintf(err->msg, cap, "%s:%u:%u: ", name, (unsigned)line, (unsigned)col);
    if (n >= 0 && (size_t)n < cap) {
        int m = vsnprintf(err->msg + n, cap - (size_t)n, fmt, ap);
        if (m >= 0 && (size_t)n + (size_t)m < cap)
            return code;
    }
    memcpy(err->msg + cap - 4, "...", 4); /* truncated: say so */
    return code;
}

enum iosim_err yml_fail(struct yml_error *err, const char *name, uint32_t line, uint32_t col,
                        enum iosim_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum iosim_err e = yml_vfail(err, name, line, col, code, fmt, ap);
    va_end(ap);
    return e;
}

enum iosim_err yml_error_at(const struct yml_doc *doc, const struct yml_node *node,
                            struct yml_error *err, const char *fmt, ...)
{
    ASSERT(doc != NULL && node != NULL);
    va_list ap;
    va_start(ap, fmt);
    enum iosim_err e = yml_vfail(err, doc->name, node->line, node->col, IOSIM_EPARSE, fmt, ap);
    va_end(ap);
    return e;
}

/* Length of the valid, printable UTF-8 sequence at s[0..n), or 0 if it is
 * invalid or a character worth escaping (C1 controls, line separators,
 * bidirectional overrides: text that would disturb a terminal). */
static size_t yml_utf8_printable(const unsigned char *s, size_t n)
{
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        need = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        need = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        need = 4;
    else
        return 0;
    if (s[0] == 0xe0)
        lo = 0xa0; /* overlong */
    if (s[0] == 0xed)
        hi = 0x9f; /* surrogates */
    if (s[0] == 0xf0)
        lo = 0x90; /* overlong */
    if (s[0] == 0xf4)
        hi = 0x8f; /* beyond U+10FFFF */
    if (n < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    if (s[0] == 0xc2 && s[1] < 0xa0)
        return 0; /* C1 controls */
    if (s[0] == 0xe2 && s[1] == 0x80 && s[2] >= 0xa8 && s[2] <= 0xae)
        return 0; /* U+2028..U+202E */
    if (s[0] == 0xe2 && s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)
        return 0; /* U+2066..U+2069 */
    return need;
}

/* The escaped form of the character at s[0..n) into out (>= 5 bytes);
 * returns bytes written and sets *used to the input bytes consumed. */
static size_t yml_escape_one(const unsigned char *s, size_t n, char *out, size_t *used)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char c = s[0];
    *used = 1;
    if (c == '\\' || c == '\'') {
        out[0] = '\\';
        out[1] = (char)c;
        return 2;
    }
    if (c == '\n' || c == '\t' || c == '\r') {
        out[0] = '\\';
        out[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
        return 2;
    }
    if (c >= 0x20 && c < 0x7f) {
        out[0] = (char)c;
        return 1;
    }
    size_t u = c >= 0x80 ? yml_utf8_printable(s, n) : 0;
    if (u > 0) {
        memcpy(out, s, u);
        *used = u;
        return u;
    }
    out[0] = '\\';
    out[1] = 'x';
    out[2] = hex[c >> 4];
    out[3] = hex[c & 15];
    return 4;
}

char *yml_quote(char *buf, size_t cap, const char *text, size_t len)
{
    ASSERT(buf != NULL && cap > 0);
    ASSERT(text != NULL || len == 0);
    if (cap < 8) {
        buf[0] = '\0';
        return buf;
    }
    size_t body_max = cap - 6 < 64 ? cap - 6 : 64; /* room for '', ... and NUL */
    const unsigned char *s = (const unsigned char *)text;
    size_t o = 0, i = 0;
    bool cut = false;
    buf[o++] = '\'';
    while (i < len) {
        char piece[5];
        size_t used;
        size_t w = yml_escape_one(s + i, len - i, piece, &used);
        if (o - 1 + w > body_max) {
            cut = true;
            break;
        }
        memcpy(buf + o, piece, w);
        o += w;
        i += used;
    }
    buf[o++] = '\'';
    if (cut) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    ASSERT(o < cap);
    return buf;
}

/* ---- positions ---------------------------------------------------------- */

/* 1-based position of a libyaml mark. */
static void yml_mark_pos(yaml_mark_t m, uint32_t *line, uint32_t *col)
{
    size_t c = m.column + 1;
    *line = m.line + 1 > UINT32_MAX ? UINT32_MAX : (uint32_t)(m.line + 1);
    *col = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
}

/* 1-based position of a byte offset (libyaml's reader errors give only
 * that): lines end at LF, CRLF or CR; columns count UTF-8 characters. */
static void yml_offset_pos(const struct yml_builder *b, size_t offset, uint32_t *line,
                           uint32_t *col)
{
    size_t l = 1, c = 1;
    size_t end = offset < b->len ? offset : b->len;
    for (size_t i = 0; i < end; i++) {
        unsigned char ch = b->text[i];
        if (ch == '\n' || (ch == '\r' && (i + 1 >= b->len || b->text[i + 1] != '\n'))) {
            l++;
            c = 1;
        } else if (ch != '\r' && (ch < 0x80 || ch > 0xbf)) {
            c++;
        }
    }
    *line = l > UINT32_MAX ? UINT32_MAX : (uint32_t)l;
    *col = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
}

static enum iosim_err yml_fail_mark(struct yml_builder *b, yaml_mark_t m, enum iosim_err code,
                                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum iosim_err yml_fail_mark(struct yml_builder *b, yaml_mark_t m, enum iosim_err code,
                                    const char *fmt, ...)
{
    uint32_t line, col;
    yml_mark_pos(m, &line, &col);
    va_list ap;
    va_start(ap, fmt);
    enum iosim_err e = yml_vfail(b->err, b->name, line, col, code, fmt, ap);
    va_end(ap);
    return e;
}

/* Turns libyaml's error state into our message. */
static enum iosim_err yml_syntax_error(struct yml_builder *b, const yaml_parser_t *p)
{
    const char *problem = p->problem != NULL ? p->problem : "syntax error";
    uint32_t line, col, cline, ccol;
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return yml_fail_mark(b, p->problem_mark, IOSIM_ENOMEM, "out of memory");
    case YAML_READER_ERROR:
        yml_offset_pos(b, p->problem_offset, &line, &col);
        if (p->problem_value < 0)
            return yml_fail(b->err, b->name, line, col, IOSIM_EPARSE, "%s", problem);
        return yml_fail(b->err, b->name, line, col, IOSIM_EPARSE, "%s (0x%X)", problem,
                        (unsigned)p->problem_value);
    case YAML_SCANNER_ERROR:
    case YAML_PARSER_ERROR:
        yml_mark_pos(p->problem_mark, &line, &col);
        if (p->context == NULL)
            return yml_fail(b->err, b->name, line, col, IOSIM_EPARSE, "%s", problem);
        yml_mark_pos(p->context_mark, &cline, &ccol);
        return yml_fail(b->err, b->name, line, col, IOSIM_EPARSE,
                        "%s (%s at line %u, column %u)", problem, p->context, (unsigned)cline,
                        (unsigned)ccol);
    case YAML_NO_ERROR:
    case YAML_COMPOSER_ERROR:
    case YAML_WRITER_ERROR:
    case YAML_EMITTER_ERROR:
        break;
    }
    return yml_fail_mark(b, p->problem_mark, IOSIM_EPARSE, "%s", problem);
}

/* ---- building ----------------------------------------------------------- */

/* Returns buf grown to hold `need` (> 0) elements (doubling), or NULL with
 * buf untouched when out of memory. */
static void *yml_grow(void *buf, size_t *cap, size_t need, size_t elem)
{
    ASSERT(elem > 0 && need > 0);
    if (need <= *cap)
        return buf;
    size_t n = *cap > 0 ? *cap : 64;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem)
            return NULL;
        n *= 2;
    }
    void *p = realloc(buf, n * elem);
    if (p != NULL)
        *cap = n;
    return p;
}

static enum iosim_err yml_oom(struct yml_builder *b, yaml_mark_t m)
{
    return yml_fail_mark(b, m, IOSIM_ENOMEM, "out of memory");
}

/* Refuses the anchors and tags a node event may carry. */
static enum iosim_err yml_check_props(struct yml_builder *b, yaml_mark_t m,
                                      const yaml_char_t *anchor, const yaml_char_t *tag)
{
    char q[YML_QUOTE_BYTES];
    if (anchor != NULL)
        return yml_fail_mark(b, m, IOSIM_EPARSE, "anchors are not supported (anchor %s)",
                             yml_quote(q, sizeof q, (const char *)anchor,
                                       strlen((const char *)anchor)));
    if (tag != NULL)
        return yml_fail_mark(b, m, IOSIM_EPARSE, "tags are not supported (tag %s)",
                             yml_quote(q, sizeof q, (const char *)tag, strlen((const char *)tag)));
    return IOSIM_OK;
}

/* Appends a node of `kind` at mark m as the next child of the innermost
 * open collection; *idx = its index. */
static enum iosim_err yml_add_node(struct yml_builder *b, enum yml_kind kind, yaml_mark_t m,
                                   uint32_t *idx)
{
    ASSERT(b->depth > 0 || b->n_nodes == 0); /* one root per document */
    if (b->n_nodes >= YML_NODES_MAX)
        return yml_fail_mark(b, m, IOSIM_EPARSE, "more than %u nodes (the limit for one file)",
                             (unsigned)YML_NODES_MAX);
    if (b->depth > 0) {
        const struct yml_frame *f = &b->stack[b->depth - 1];
        bool key_slot = (b->n_scratch - f->first) % 2 == 0;
        if (b->nodes[f->node].kind == YML_MAP && key_slot && kind != YML_SCALAR)
            return yml_fail_mark(b, m, IOSIM_EPARSE, "mapping keys must be scalars, got a %s",
                                 kind == YML_MAP ? "mapping" : "sequence");
        void *s = yml_grow(b->scratch, &b->cap_scratch, b->n_scratch + 1, sizeof *b->scratch);
        if (s == NULL)
            return yml_oom(b, m);
        b->scratch = s;
        b->scratch[b->n_scratch++] = (uint32_t)b->n_nodes;
    }
    void *p = yml_grow(b->nodes, &b->cap_nodes, b->n_nodes + 1, sizeof *b->nodes);
    if (p == NULL)
        return yml_oom(b, m);
    b->nodes = p;
    struct yml_node *n = &b->nodes[b->n_nodes];
    memset(n, 0, sizeof *n);
    n->kind = (uint8_t)kind;
    yml_mark_pos(m, &n->line, &n->col);
    *idx = (uint32_t)b->n_nodes++;
    return IOSIM_OK;
}

static enum iosim_err yml_on_scalar(struct yml_builder *b, const yaml_event_t *ev)
{
    enum iosim_err e = yml_check_props(b, ev->start_mark, ev->data.scalar.anchor,
                                       ev->data.scalar.tag);
    uint32_t idx;
    if (e == IOSIM_OK)
        e = yml_add_node(b, YML_SCALAR, ev->start_mark, &idx);
    if (e != IOSIM_OK)
        return e;
    size_t len = ev->data.scalar.length;
    void *a = len < SIZE_MAX - b->n_arena - 1
                  ? yml_grow(b->arena, &b->cap_arena, b->n_arena + len + 1, 1)
                  : NULL;
    if (a == NULL)
        return yml_oom(b, ev->start_mark);
    b->arena = a;
    if (len > 0)
        memcpy(b->arena + b->n_arena, ev->data.scalar.value, len);
    b->arena[b->n_arena + len] = '\0';
    struct yml_node *n = &b->nodes[idx];
    n->off = b->n_arena;
    n->len = len;
    b->n_arena += len + 1;
    switch (ev->data.scalar.style) {
    case YAML_SINGLE_QUOTED_SCALAR_STYLE:
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
        n->style = YML_STYLE_QUOTED;
        break;
    case YAML_LITERAL_SCALAR_STYLE:
    case YAML_FOLDED_SCALAR_STYLE:
        n->style = YML_STYLE_BLOCK;
        break;
    case YAML_ANY_SCALAR_STYLE:
    case YAML_PLAIN_SCALAR_STYLE:
        n->style = YML_STYLE_PLAIN;
        break;
    }
    ASSERT(n->style != YML_STYLE_NONE);
    return IOSIM_OK;
}

static enum iosim_err yml_on_start(struct yml_builder *b, const yaml_event_t *ev,
                                   enum yml_kind kind)
{
    bool seq = kind == YML_SEQ;
    enum iosim_err e = yml_check_props(
        b, ev->start_mark, seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor,
        seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag);
    if (e != IOSIM_OK)
        return e;
    if (b->depth >= YML_DEPTH_MAX)
        return yml_fail_mark(b, ev->start_mark, IOSIM_EPARSE,
                             "nesting deeper than %d levels", YML_DEPTH_MAX);
    uint32_t idx;
    e = yml_add_node(b, kind, ev->start_mark, &idx);
    if (e != IOSIM_OK)
        return e;
    b->stack[b->depth].node = idx;
    b->stack[b->depth].first = b->n_scratch;
    b->depth++;
    return IOSIM_OK;
}

static int yml_keyref_cmp(const void *pa, const void *pb)
{
    const struct yml_keyref *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n > 0 ? memcmp(a->text, b->text, n) : 0;
    if (c != 0)
        return c;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return a->node < b->node ? -1 : a->node > b->node;
}

static bool yml_same_key(const struct yml_builder *b, uint32_t x, uint32_t y)
{
    const struct yml_node *kx = &b->nodes[x], *ky = &b->nodes[y];
    return kx->len == ky->len && memcmp(b->arena + kx->off, b->arena + ky->off, kx->len) == 0;
}

static bool yml_keyref_same(const struct yml_keyref *a, const struct yml_keyref *b)
{
    return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* Finds the first key (in file order) that repeats an earlier one:
 * *dup = that key and *first = the earliest key with the same text, or
 * *dup = UINT32_MAX if all keys are distinct. The keys are children[2 * i]
 * for i < pairs (node indices, values in between). */
static enum iosim_err yml_find_dup(struct yml_builder *b, const uint32_t *children, size_t pairs,
                                   uint32_t *dup, uint32_t *first)
{
    *dup = UINT32_MAX;
    if (pairs <= YML_DUP_PAIRWISE_MAX) {
        for (size_t j = 1; j < pairs && *dup == UINT32_MAX; j++)
            for (size_t i = 0; i < j; i++)
                if (yml_same_key(b, children[2 * i], children[2 * j])) {
                    *dup = children[2 * j];
                    *first = children[2 * i];
                    break;
                }
        return IOSIM_OK;
    }
    void *p = yml_grow(b->keys, &b->cap_keys, pairs, sizeof *b->keys);
    if (p == NULL)
        return yml_oom(b, (yaml_mark_t){0});
    b->keys = p;
    for (size_t i = 0; i < pairs; i++) {
        const struct yml_node *k = &b->nodes[children[2 * i]];
        b->keys[i] = (struct yml_keyref){b->arena + k->off, k->len, children[2 * i]};
    }
    /* Sorted by (text, node index), each run of equal texts starts with the
     * first occurrence, then its earliest repeat: the candidates. */
    qsort(b->keys, pairs, sizeof *b->keys, yml_keyref_cmp);
    size_t run = 0;
    for (size_t i = 1; i < pairs; i++) {
        if (!yml_keyref_same(&b->keys[run], &b->keys[i])) {
            run = i;
        } else if (i == run + 1 && b->keys[i].node < *dup) {
            *dup = b->keys[i].node;
            *first = b->keys[run].node;
        }
    }
    ASSERT(*dup == UINT32_MAX || *first < *dup);
    return IOSIM_OK;
}

static enum iosim_err yml_check_dups(struct yml_builder *b, const uint32_t *children, size_t n)
{
    ASSERT(n % 2 == 0);
    uint32_t dup, first = 0;
    enum iosim_err e = yml_find_dup(b, children, n / 2, &dup, &first);
    if (e != IOSIM_OK || dup == UINT32_MAX)
        return e;
    const struct yml_node *d = &b->nodes[dup], *f = &b->nodes[first];
    char q[YML_QUOTE_BYTES];
    return yml_fail(b->err, b->name, d->line, d->col, IOSIM_EPARSE,
                    "duplicate key %s (first defined at line %u, column %u)",
                    yml_quote(q, sizeof q, b->arena + d->off, d->len), (unsigned)f->line,
                    (unsigned)f->col);
}

/* Closes the innermost collection: its children move from scratch to items. */
static enum iosim_err yml_on_end(struct yml_builder *b)
{
    ASSERT(b->depth > 0);
    struct yml_frame f = b->stack[--b->depth];
    ASSERT(f.first <= b->n_scratch);
    size_t n = b->n_scratch - f.first;
    if (n > 0) {
        void *p = yml_grow(b->items, &b->cap_items, b->n_items + n, sizeof *b->items);
        if (p == NULL)
            return yml_oom(b, (yaml_mark_t){0});
        b->items = p;
    }
    struct yml_node *node = &b->nodes[f.node];
    if (node->kind == YML_MAP && n > 2) { /* two pairs or more */
        enum iosim_err e = yml_check_dups(b, b->scratch + f.first, n);
        if (e != IOSIM_OK)
            return e;
    }
    if (n > 0)
        memcpy(b->items + b->n_items, b->scratch + f.first, n * sizeof *b->items);
    node->off = b->n_items;
    node->count = (uint32_t)(node->kind == YML_MAP ? n / 2 : n);
    b->n_items += n;
    b->n_scratch = f.first;
    return IOSIM_OK;
}

static enum iosim_err yml_on_event(struct yml_builder *b, const yaml_event_t *ev)
{
    char q[YML_QUOTE_BYTES];
    switch (ev->type) {
    case YAML_NO_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_DOCUMENT_END_EVENT:
        return IOSIM_OK;
    case YAML_STREAM_END_EVENT:
        if (b->docs == 0)
            return yml_fail(b->err, b->name, 1, 1, IOSIM_EPARSE, "file is empty (no YAML document)");
        return IOSIM_OK;
    case YAML_DOCUMENT_START_EVENT:
        if (b->docs++ > 0)
            return yml_fail_mark(b, ev->start_mark, IOSIM_EPARSE,
                                 "more than one document in the file (only one is allowed)");
        return IOSIM_OK;
    case YAML_ALIAS_EVENT:
        return yml_fail_mark(b, ev->start_mark, IOSIM_EPARSE,
                             "aliases are not supported (alias %s)",
                             yml_quote(q, sizeof q, (const char *)ev->data.alias.anchor,
                                       strlen((const char *)ev->data.alias.anchor)));
    case YAML_SCALAR_EVENT:
        return yml_on_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return yml_on_start(b, ev, YML_SEQ);
    case YAML_MAPPING_START_EVENT:
        return yml_on_start(b, ev, YML_MAP);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return yml_on_end(b);
    }
    return IOSIM_OK;
}

static enum iosim_err yml_parse(struct yml_builder *b)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return yml_oom(b, (yaml_mark_t){0});
    /* UTF-8 only: a UTF-16 file is refused as invalid UTF-8, which keeps
     * byte offsets and columns meaningful. */
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    yaml_parser_set_input_string(&p, b->text, b->len);
    enum iosim_err e = IOSIM_OK;
    bool done = false;
    while (e == IOSIM_OK && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            e = yml_syntax_error(b, &p);
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        e = yml_on_event(b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    ASSERT(e != IOSIM_OK || (b->depth == 0 && b->n_nodes > 0));
    return e;
}

/* Moves the builder's arrays into a document, indices becoming pointers. */
static enum iosim_err yml_finish(struct yml_builder *b, struct yml_doc **out)
{
    ASSERT(b->n_nodes > 0 && b->n_scratch == 0);
    struct yml_doc *doc = calloc(1, sizeof *doc);
    size_t name_len = strlen(b->name);
    char *name = malloc(name_len + 1);
    const struct yml_node **items = malloc((b->n_items > 0 ? b->n_items : 1) * sizeof *items);
    if (doc == NULL || name == NULL || items == NULL) {
        free(doc);
        free(name);
        free(items);
        return yml_oom(b, (yaml_mark_t){0});
    }
    memcpy(name, b->name, name_len + 1);
    for (size_t i = 0; i < b->n_items; i++)
        items[i] = &b->nodes[b->items[i]];
    for (size_t i = 0; i < b->n_nodes; i++) {
        struct yml_node *n = &b->nodes[i];
        if (n->kind == YML_SCALAR)
            n->text = b->arena + n->off;
        else
            n->items = items + n->off;
    }
    doc->name = name;
    doc->nodes = b->nodes;
    doc->n_nodes = b->n_nodes;
    doc->items = items;
    doc->arena = b->arena;
    b->nodes = NULL;
    b->arena = NULL;
    *out = doc;
    return IOSIM_OK;
}

enum iosim_err yml_load_string(const char *name, const char *text, size_t len,
                               struct yml_doc **out, struct yml_error *err)
{
    ASSERT(name != NULL && out != NULL && err != NULL);
    ASSERT(text != NULL || len == 0);
    err->msg[0] = '\0';
    if (len > YML_FILE_BYTES_MAX)
        return yml_fail(err, name, 1, 1, IOSIM_EPARSE,
                        "file is larger than 16 MiB (%zu bytes); refusing to parse it", len);
    struct yml_builder b = {
        .name = name,
        .text = (const unsigned char *)(text != NULL ? text : ""),
        .len = len,
        .err = err,
    };
    /* libyaml keeps a BOM when told the encoding; drop it here, so that it
     * is neither a syntax error nor a column. */
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        b.text += 3;
        b.len -= 3;
    }
    enum iosim_err e = yml_parse(&b);
    if (e == IOSIM_OK)
        e = yml_finish(&b, out);
    free(b.nodes);
    free(b.items);
    free(b.scratch);
    free(b.arena);
    free(b.keys);
    return e;
}

static enum iosim_err yml_too_large(const char *path, struct yml_error *err)
{
    return yml_fail(err, path, 1, 1, IOSIM_EPARSE,
                    "file is larger than 16 MiB; refusing to parse it");
}

/* Reads the whole file into *buf (owned by the caller), refusing more than
 * YML_FILE_BYTES_MAX bytes without reading much further. */
static enum iosim_err yml_read_all(const char *path, int fd, char **buf, size_t *len,
                                   struct yml_error *err)
{
    char ebuf[128];
    struct stat st;
    size_t cap = 4096, n = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if ((uint64_t)st.st_size > YML_FILE_BYTES_MAX)
            return yml_too_large(path, err);
        cap = (size_t)st.st_size + 1; /* + 1: sees EOF without growing */
    }
    char *data = malloc(cap);
    for (;;) {
        if (data != NULL && n == cap) {
            size_t want = cap * 2 > YML_FILE_BYTES_MAX + 1 ? YML_FILE_BYTES_MAX + 1 : cap * 2;
            ASSERT(want > cap);
            char *p = realloc(data, want);
            if (p == NULL)
                free(data);
            data = p;
            cap = want;
        }
        if (data == NULL) {
            snprintf(err->msg, sizeof err->msg, "cannot read '%s': out of memory", path);
            return IOSIM_ENOMEM;
        }
        ssize_t r = read(fd, data + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err->msg, sizeof err->msg, "cannot read '%s': %s", path,
                     strerror_r(errno, ebuf, sizeof ebuf));
            free(data);
            return IOSIM_EPARSE;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > YML_FILE_BYTES_MAX) {
            free(data);
            return yml_too_large(path, err);
        }
    }
    *buf = data;
    *len = n;
    return IOSIM_OK;
}

enum iosim_err yml_load_file(const char *path, struct yml_doc **out, struct yml_error *err)
{
    ASSERT(path != NULL && out != NULL && err != NULL);
    char ebuf[128];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err->msg, sizeof err->msg, "cannot open '%s': %s", path,
                 strerror_r(errno, ebuf, sizeof ebuf));
        return IOSIM_EPARSE;
    }
    char *buf = NULL;
    size_t len = 0;
    enum iosim_err e = yml_read_all(path, fd, &buf, &len, err);
    close(fd);
    if (e != IOSIM_OK)
        return e;
    e = yml_load_string(path, buf, len, out, err);
    free(buf);
    return e;
}

void yml_free(struct yml_doc *doc)
{
    if (doc == NULL)
        return;
    free(doc->name);
    free(doc->nodes);
    free(doc->items);
    free(doc->arena);
    free(doc);
}

/* ---- the tree ----------------------------------------------------------- */

const struct yml_node *yml_root(const struct yml_doc *doc)
{
    ASSERT(doc != NULL && doc->n_nodes > 0);
    return &doc->nodes[0];
}

const char *yml_doc_name(const struct yml_doc *doc)
{
    ASSERT(doc != NULL);
    return doc->name;
}

enum yml_kind yml_kind(const struct yml_node *node)
{
    ASSERT(node != NULL);
    return (enum yml_kind)node->kind;
}

uint32_t yml_line(const struct yml_node *node)
{
    ASSERT(node != NULL);
    return node->line;
}

uint32_t yml_col(const struct yml_node *node)
{
    ASSERT(node != NULL);
    return node->col;
}

const char *yml_scalar_text(const struct yml_node *node)
{
    ASSERT(node != NULL);
    return node->kind == YML_SCALAR ? node->text : NULL;
}

size_t yml_scalar_len(const struct yml_node *node)
{
    ASSERT(node != NULL);
    return node->kind == YML_SCALAR ? node->len : 0;
}

bool yml_scalar_plain(const struct yml_node *node)
{
    ASSERT(node != NULL);
    return node->kind == YML_SCALAR && node->style == YML_STYLE_PLAIN;
}

size_t yml_seq_len(const struct yml_node *node)
{
    ASSERT(node != NULL);
    return node->kind == YML_SEQ ? node->count : 0;
}

const struct yml_node *yml_seq_item(const struct yml_node *node, size_t i)
{
    ASSERT(node != NULL && node->kind == YML_SEQ);
    ASSERT(i < node->count);
    return node->items[i];
}

size_t yml_map_len(const struct yml_node *node)
{
    ASSERT(node != NULL);
    return node->kind == YML_MAP ? node->count : 0;
}

const struct yml_node *yml_map_key(const struct yml_node *node, size_t i)
{
    ASSERT(node != NULL && node->kind == YML_MAP);
    ASSERT(i < node->count);
    return node->items[2 * i];
}

const struct yml_node *yml_map_value(const struct yml_node *node, size_t i)
{
    ASSERT(node != NULL && node->kind == YML_MAP);
    ASSERT(i < node->count);
    return node->items[2 * i + 1];
}

const struct yml_node *yml_map_get(const struct yml_node *map, const char *key)
{
    ASSERT(map != NULL && key != NULL);
    if (map->kind != YML_MAP)
        return NULL;
    size_t len = strlen(key);
    for (size_t i = 0; i < map->count; i++) {
        const struct yml_node *k = map->items[2 * i];
        if (k->len == len && memcmp(k->text, key, len) == 0)
            return map->items[2 * i + 1];
    }
    return NULL;
}
