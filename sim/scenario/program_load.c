/* Parsing scenario programs (the `program:` lists of processes) into the
 * flat step arrays of program.h. Every error is positioned at its node. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/scenario/scenario.h"

struct prog_parser {
    const struct yml_doc *doc;
    const struct sim_prog_device *devices;
    uint32_t device_count;
    struct sim_step *steps;
    uint32_t count;
    struct yml_error *err;
};

/* ---- operands ------------------------------------------------------------- */

static bool parse_reg_name(const char *t, uint8_t *reg, const char **rest)
{
    if (t[0] != 'r' || t[1] < '0' || t[1] > '9')
        return false;
    unsigned v = 0;
    const char *p = t + 1;
    while (*p >= '0' && *p <= '9' && v < 100)
        v = v * 10 + (unsigned)(*p++ - '0');
    if (v >= SIM_PROG_REGS)
        return false;
    *reg = (uint8_t)v;
    *rest = p;
    return true;
}

static enum iosim_err get_reg(struct prog_parser *pp, const struct yml_node *n, uint8_t *reg)
{
    const char *t = yml_scalar_text(n), *rest;
    if (t != NULL && parse_reg_name(t, reg, &rest) && *rest == '\0')
        return IOSIM_OK;
    char q[YML_QUOTE_BYTES];
    return yml_error_at(pp->doc, n, pp->err, "expected a register r0..r%u, got %s",
                        SIM_PROG_REGS - 1,
                        yml_quote(q, sizeof q, t ? t : "", t ? yml_scalar_len(n) : 0));
}

/* Parses the decimal/hex integer text after a register's sign. */
static bool parse_offset(const char *t, uint64_t *out)
{
    char *end;
    if (*t == '\0')
        return false;
    unsigned long long v = strtoull(t, &end, 0);
    if (*end != '\0' || (v == ULLONG_MAX))
        return false;
    *out = v;
    return true;
}

/* An integer, or `rN`, `rN+K`, `rN-K`. Negative integers wrap to 64 bits. */
static enum iosim_err get_operand(struct prog_parser *pp, const struct yml_node *n,
                                  struct sim_operand *out)
{
    const char *t = yml_scalar_text(n), *rest;
    uint8_t reg;
    if (t != NULL && yml_scalar_plain(n) && parse_reg_name(t, &reg, &rest)) {
        uint64_t off = 0;
        bool ok = *rest == '\0' || ((rest[0] == '+' || rest[0] == '-') && parse_offset(rest + 1, &off));
        if (!ok) {
            char q[YML_QUOTE_BYTES];
            return yml_error_at(pp->doc, n, pp->err,
                                "expected a register with an optional offset (r1, r1+8), got %s",
                                yml_quote(q, sizeof q, t, yml_scalar_len(n)));
        }
        *out = (struct sim_operand){true, reg, rest[0] == '-' ? (uint64_t)0 - off : off};
        return IOSIM_OK;
    }
    if (t != NULL && t[0] == '-') {
        int64_t v;
        enum iosim_err e = yml_get_i64(pp->doc, n, INT64_MIN, -1, &v, pp->err);
        if (e == IOSIM_OK)
            *out = (struct sim_operand){false, 0, (uint64_t)v};
        return e;
    }
    uint64_t v;
    enum iosim_err e = yml_get_u64(pp->doc, n, 0, UINT64_MAX, &v, pp->err);
    if (e == IOSIM_OK)
        *out = (struct sim_operand){false, 0, v};
    return e;
}

/* ---- common argument helpers ---------------------------------------------- */

static const char *const order_names[] = {"relaxed", "acquire", "release", "acq_rel", "seq_cst"};

static enum iosim_err opt_order(struct prog_parser *pp, const struct yml_node *args,
                                enum port_order *out)
{
    const struct yml_node *n = yml_map_get(args, "order");
    *out = PORT_RELAXED;
    if (n == NULL)
        return IOSIM_OK;
    size_t i;
    enum iosim_err e = yml_get_enum(pp->doc, n, order_names, 5, &i, pp->err);
    if (e == IOSIM_OK)
        *out = (enum port_order)i;
    return e;
}

static enum iosim_err opt_size(struct prog_parser *pp, const struct yml_node *args, bool atomic,
                               uint8_t *out)
{
    const struct yml_node *n = yml_map_get(args, "size");
    *out = atomic ? 4 : 4;
    if (n == NULL)
        return IOSIM_OK;
    uint64_t v;
    enum iosim_err e = yml_get_u64(pp->doc, n, 1, 8, &v, pp->err);
    if (e != IOSIM_OK)
        return e;
    bool ok = atomic ? (v == 4 || v == 8) : (v == 1 || v == 2 || v == 4 || v == 8);
    if (!ok)
        return yml_error_at(pp->doc, n, pp->err, "size must be %s, got %llu",
                            atomic ? "4 or 8" : "1, 2, 4 or 8", (unsigned long long)v);
    *out = (uint8_t)v;
    return IOSIM_OK;
}

static enum iosim_err req_operand(struct prog_parser *pp, const struct yml_node *args,
                                  const char *key, const char *what, struct sim_operand *out)
{
    const struct yml_node *n;
    enum iosim_err e = yml_require(pp->doc, args, key, what, &n, pp->err);
    return e == IOSIM_OK ? get_operand(pp, n, out) : e;
}

static enum iosim_err opt_into(struct prog_parser *pp, const struct yml_node *args,
                               bool required, const char *what, struct sim_step *s)
{
    const struct yml_node *n = yml_map_get(args, "into");
    if (n == NULL) {
        if (required)
            return yml_require(pp->doc, args, "into", what, &n, pp->err);
        return IOSIM_OK;
    }
    s->has_dst = true;
    return get_reg(pp, n, &s->dst);
}

static const char *const cmp_keys[] = {"equals", "not_equals", "less", "less_equal",
                                       "greater", "greater_equal"};

/* Exactly one comparison key; fills s->cmp and s->value. */
static enum iosim_err req_compare(struct prog_parser *pp, const struct yml_node *args,
                                  const char *what, struct sim_step *s)
{
    const struct yml_node *found = NULL;
    for (size_t i = 0; i < 6; i++) {
        const struct yml_node *n = yml_map_get(args, cmp_keys[i]);
        if (n == NULL)
            continue;
        if (found != NULL)
            return yml_error_at(pp->doc, n, pp->err, "%s takes one comparison, not two", what);
        found = n;
        s->cmp = (enum sim_cmp)i;
    }
    if (found == NULL)
        return yml_error_at(pp->doc, args, pp->err,
                            "%s needs a comparison: equals, not_equals, less, less_equal, "
                            "greater or greater_equal", what);
    return get_operand(pp, found, &s->value);
}

static enum iosim_err opt_text(struct prog_parser *pp, const struct yml_node *n, char *buf)
{
    const char *t;
    enum iosim_err e = yml_get_str(pp->doc, n, &t, pp->err);
    if (e == IOSIM_OK)
        snprintf(buf, SIM_PROG_TEXT_MAX, "%s", t);
    return e;
}

static enum iosim_err get_device(struct prog_parser *pp, const struct yml_node *args,
                                 const char *what, uint32_t *out)
{
    const struct yml_node *n;
    const char *name;
    enum iosim_err e = yml_require(pp->doc, args, "device", what, &n, pp->err);
    if (e == IOSIM_OK)
        e = yml_get_str(pp->doc, n, &name, pp->err);
    if (e != IOSIM_OK)
        return e;
    for (uint32_t i = 0; i < pp->device_count; i++) {
        if (strcmp(pp->devices[i].name, name) == 0) {
            *out = i;
            return IOSIM_OK;
        }
    }
    char q[YML_QUOTE_BYTES];
    return yml_error_at(pp->doc, n, pp->err, "no device named %s in `devices:`",
                        yml_quote(q, sizeof q, name, strlen(name)));
}

/* ---- one parser per step kind ---------------------------------------------- */

typedef enum iosim_err (*step_parse_fn)(struct prog_parser *pp, const struct yml_node *args,
                                        struct sim_step *s);

#define CHECK SIM_SCN_CHECK

static enum iosim_err keys(struct prog_parser *pp, const struct yml_node *args,
                           const char *const allowed[], const char *what)
{
    return yml_check_keys(pp->doc, args, allowed, what, pp->err);
}

static enum iosim_err p_load(struct prog_parser *pp, const struct yml_node *a, struct sim_step *s)
{
    static const char *const k[] = {"addr", "size", "order", "into", NULL};
    CHECK(keys(pp, a, k, "load"));
    CHECK(req_operand(pp, a, "addr", "load", &s->addr));
    CHECK(opt_size(pp, a, true, &s->size));
    CHECK(opt_order(pp, a, &s->order));
    return opt_into(pp, a, true, "load", s);
}

static enum iosim_err p_store(struct prog_parser *pp, const struct yml_node *a, struct sim_step *s)
{
    static const char *const k[] = {"addr", "size", "order", "value", NULL};
    CHECK(keys(pp, a, k, "store"));
    CHECK(req_operand(pp, a, "addr", "store", &s->addr));
    CHECK(req_operand(pp, a, "value", "store", &s->value));
    CHECK(opt_size(pp, a, true, &s->size));
    return opt_order(pp, a, &s->order);
}

static enum iosim_err p_rmw(struct prog_parser *pp, const struct yml_node *a, struct sim_step *s)
{
    static const char *const k[] = {"op", "addr", "size", "order", "value", "into", NULL};
    static const char *const ops[] = {"add", "sub", "or", "and", "xchg"};
    const struct yml_node *n;
    size_t op;
    CHECK(keys(pp, a, k, "rmw"));
    CHECK(yml_require(pp->doc, a, "op", "rmw", &n, pp->err));
    CHECK(yml_get_enum(pp->doc, n, ops, 5, &op, pp->err));
    s->rmw = (enum sim_rmw_op)op;
    CHECK(req_operand(pp, a, "addr", "rmw", &s->addr));
    CHECK(req_operand(pp, a, "value", "rmw", &s->value));
    CHECK(opt_size(pp, a, true, &s->size));
    CHECK(opt_order(pp, a, &s->order));
    return opt_into(pp, a, false, "rmw", s);
}

static enum iosim_err p_cas(struct prog_parser *pp, const struct yml_node *a, struct sim_step *s)
{
    static const char *const k[] = {"addr", "size", "order", "expected", "desired", "into", NULL};
    CHECK(keys(pp, a, k, "cas"));
    CHECK(req_operand(pp, a, "addr", "cas", &s->addr));
    CHECK(req_operand(pp, a, "expected", "cas", &s->value));
    CHECK(req_operand(pp, a, "desired", "cas", &s->value2));
    CHECK(opt_size(pp, a, true, &s->size));
    CHECK(opt_order(pp, a, &s->order));
    return opt_into(pp, a, false, "cas", s);
}

static enum iosim_err p_fence(struct prog_parser *pp, const struct yml_node *a, struct sim_step *s)
{
    size_t i;
    CHECK(yml_get_enum(pp->doc, a, order_names, 5, &i, pp->err));
    s->order = (enum port_order)i;
    return IOSIM_OK;
}

static enum iosim_err p_read(struct prog_parser *pp, const struct yml_node *a, struct sim_step *s)
{
    static const char *const k[] = {"addr", "size", "into", NULL};
    CHECK(keys(pp, a, k, "read"));
    CHECK(req_operand(pp, a, "addr", "read", &s->addr));
    CHECK(opt_size(pp, a, false, &s->size));
    return opt_into(pp, a, true, "read", s);
}

static enum iosim_err p_write(struct prog_parser *pp, const struct yml_node *a, struct sim_step *s)
{
    static const char *const k[] = {"addr", "size", "value", NULL};
    CHECK(keys(pp, a, k, "write"));
    CHECK(req_operand(pp, a, "addr", "write", &s->addr));
    CHECK(req_operand(pp, a, "value", "write", &s->value));
    return opt_size(pp, a, false, &s->size);
}

static enum iosim_err p_alu(struct prog_parser *pp, const struct yml_node *a, struct sim_step *s)
{
    static const char *const k[] = {"reg", "value", NULL};
    const struct yml_node *n;
    CHECK(keys(pp, a, k, "register step"));
    CHECK(yml_require(pp->doc, a, "reg", "register step", &n, pp->err));
    CHECK(get_reg(pp, n, &s->dst));
    s->has_dst = true;
    return req_operand(pp, a, "value", "register step", &s->value);
}

static enum iosim_err p_time(struct prog_parser *pp, const struct yml_node *a, struct sim_step *s)
{
    return yml_get_time_ps(pp->doc, a, 0, 10 * SIM_S, &s->time_ps, pp->err);
}

static enum iosim_err p_none(struct prog_parser *pp, const struct yml_node *a, struct sim_step *s)
{
    (void)pp;
    (void)a;
    (void)s;
    return IOSIM_OK;
}

static enum iosim_err p_spin(struct prog_parser *pp, const struct yml_node *a, struct sim_step *s)
{
    static const char *const k[] = {"addr", "size", "order", "max_tries", "into", "equals",
                                    "not_equals", "less", "less_equal", "greater",
                                    "greater_equal", NULL};
    CHECK(keys(pp, a, k, "spin_until"));
    CHECK(req_operand(pp, a, "addr", "spin_until", &s->addr));
    CHECK(opt_size(pp, a, true, &s->size));
    CHECK(opt_order(pp, a, &s->order));
    CHECK(req_compare(pp, a, "spin_until", s));
    s->count = 1000000;
    const struct yml_node *n = yml_map_get(a, "max_tries");
    if (n != NULL)
        CHECK(yml_get_u64(pp->doc, n, 1, SIM_PROG_REPEAT_MAX, &s->count, pp->err));
    return opt_into(pp, a, false, "spin_until", s);
}

/* `device` and `offset` (a window the scenario declares), or `addr`: a
 * physical address, e.g. where the program itself put a PCI BAR. */
static enum iosim_err mmio_target(struct prog_parser *pp, const struct yml_node *a,
                                  const char *what, struct sim_step *s)
{
    const struct yml_node *addr = yml_map_get(a, "addr");
    if (addr == NULL) {
        CHECK(get_device(pp, a, what, &s->device));
        return req_operand(pp, a, "offset", what, &s->addr);
    }
    if (yml_map_get(a, "device") != NULL || yml_map_get(a, "offset") != NULL)
        return yml_error_at(pp->doc, addr, pp->err, "%s takes `addr`, or `device` and `offset`", what);
    s->device = SIM_PROG_NO_DEVICE;
    return req_operand(pp, a, "addr", what, &s->addr);
}

static enum iosim_err p_mmio_read(struct prog_parser *pp, const struct yml_node *a,
                                  struct sim_step *s)
{
    static const char *const k[] = {"device", "offset", "addr", "size", "into", NULL};
    CHECK(keys(pp, a, k, "mmio_read"));
    CHECK(mmio_target(pp, a, "mmio_read", s));
    CHECK(opt_size(pp, a, false, &s->size));
    return opt_into(pp, a, true, "mmio_read", s);
}

static enum iosim_err p_mmio_write(struct prog_parser *pp, const struct yml_node *a,
                                   struct sim_step *s)
{
    static const char *const k[] = {"device", "offset", "addr", "size", "value", NULL};
    CHECK(keys(pp, a, k, "mmio_write"));
    CHECK(mmio_target(pp, a, "mmio_write", s));
    CHECK(req_operand(pp, a, "value", "mmio_write", &s->value));
    return opt_size(pp, a, false, &s->size);
}

static enum iosim_err p_dma_alloc(struct prog_parser *pp, const struct yml_node *a,
                                  struct sim_step *s)
{
    static const char *const k[] = {"size", "align", "into", NULL};
    const struct yml_node *n;
    uint64_t v;
    CHECK(keys(pp, a, k, "dma_alloc"));
    CHECK(yml_require(pp->doc, a, "size", "dma_alloc", &n, pp->err));
    CHECK(yml_get_size(pp->doc, n, 1, 1ull << 30, &v, pp->err));
    s->addr = (struct sim_operand){false, 0, v};
    s->value2 = (struct sim_operand){false, 0, 4096};
    n = yml_map_get(a, "align");
    if (n != NULL) {
        CHECK(yml_get_size(pp->doc, n, 1, 1ull << 30, &v, pp->err));
        if ((v & (v - 1)) != 0)
            return yml_error_at(pp->doc, n, pp->err, "align must be a power of two");
        s->value2.imm = v;
    }
    return opt_into(pp, a, true, "dma_alloc", s);
}

static enum iosim_err p_dma_free(struct prog_parser *pp, const struct yml_node *a,
                                 struct sim_step *s)
{
    static const char *const k[] = {"addr", NULL};
    CHECK(keys(pp, a, k, "dma_free"));
    return req_operand(pp, a, "addr", "dma_free", &s->addr);
}

static enum iosim_err p_irq_wait(struct prog_parser *pp, const struct yml_node *a,
                                 struct sim_step *s)
{
    static const char *const k[] = {"line", "timeout", "into", NULL};
    const struct yml_node *n;
    uint64_t line;
    CHECK(keys(pp, a, k, "irq_wait"));
    CHECK(yml_require(pp->doc, a, "line", "irq_wait", &n, pp->err));
    CHECK(yml_get_u64(pp->doc, n, 0, SIM_IRQ_LINES - 1, &line, pp->err));
    s->line_irq = (uint32_t)line;
    s->time_ps = SIM_TIME_MAX;
    n = yml_map_get(a, "timeout");
    if (n != NULL)
        CHECK(yml_get_time_ps(pp->doc, n, 1, 10 * SIM_S, &s->time_ps, pp->err));
    return opt_into(pp, a, false, "irq_wait", s);
}

static enum iosim_err p_assert(struct prog_parser *pp, const struct yml_node *a,
                               struct sim_step *s)
{
    static const char *const k[] = {"reg", "message", "equals", "not_equals", "less",
                                    "less_equal", "greater", "greater_equal", NULL};
    const struct yml_node *n;
    CHECK(keys(pp, a, k, "assert"));
    CHECK(yml_require(pp->doc, a, "reg", "assert", &n, pp->err));
    CHECK(get_reg(pp, n, &s->dst));
    CHECK(req_compare(pp, a, "assert", s));
    n = yml_map_get(a, "message");
    return n != NULL ? opt_text(pp, n, s->text) : IOSIM_OK;
}

static enum iosim_err p_log(struct prog_parser *pp, const struct yml_node *a, struct sim_step *s)
{
    return opt_text(pp, a, s->text);
}

static enum iosim_err p_exit(struct prog_parser *pp, const struct yml_node *a, struct sim_step *s)
{
    int64_t v;
    CHECK(yml_get_i64(pp->doc, a, -255, 255, &v, pp->err));
    s->exit_status = (int32_t)v;
    return IOSIM_OK;
}

/* ---- the step table and the list parser ------------------------------------- */

enum arg_kind { ARG_MAP, ARG_SCALAR, ARG_NONE };

struct step_def {
    const char *name;
    enum sim_step_kind kind;
    enum arg_kind args;
    step_parse_fn parse;
    enum sim_alu_op alu;
};

static const struct step_def step_defs[] = {
    {"load", SIM_STEP_LOAD, ARG_MAP, p_load, SIM_ALU_SET},
    {"store", SIM_STEP_STORE, ARG_MAP, p_store, SIM_ALU_SET},
    {"rmw", SIM_STEP_RMW, ARG_MAP, p_rmw, SIM_ALU_SET},
    {"cas", SIM_STEP_CAS, ARG_MAP, p_cas, SIM_ALU_SET},
    {"fence", SIM_STEP_FENCE, ARG_SCALAR, p_fence, SIM_ALU_SET},
    {"read", SIM_STEP_READ, ARG_MAP, p_read, SIM_ALU_SET},
    {"write", SIM_STEP_WRITE, ARG_MAP, p_write, SIM_ALU_SET},
    {"set", SIM_STEP_ALU, ARG_MAP, p_alu, SIM_ALU_SET},
    {"add", SIM_STEP_ALU, ARG_MAP, p_alu, SIM_ALU_ADD},
    {"sub", SIM_STEP_ALU, ARG_MAP, p_alu, SIM_ALU_SUB},
    {"and", SIM_STEP_ALU, ARG_MAP, p_alu, SIM_ALU_AND},
    {"or", SIM_STEP_ALU, ARG_MAP, p_alu, SIM_ALU_OR},
    {"xor", SIM_STEP_ALU, ARG_MAP, p_alu, SIM_ALU_XOR},
    {"shl", SIM_STEP_ALU, ARG_MAP, p_alu, SIM_ALU_SHL},
    {"shr", SIM_STEP_ALU, ARG_MAP, p_alu, SIM_ALU_SHR},
    {"mul", SIM_STEP_ALU, ARG_MAP, p_alu, SIM_ALU_MUL},
    {"work", SIM_STEP_WORK, ARG_SCALAR, p_time, SIM_ALU_SET},
    {"sleep", SIM_STEP_SLEEP, ARG_SCALAR, p_time, SIM_ALU_SET},
    {"yield", SIM_STEP_YIELD, ARG_NONE, p_none, SIM_ALU_SET},
    {"repeat", SIM_STEP_REPEAT, ARG_MAP, NULL, SIM_ALU_SET},
    {"spin_until", SIM_STEP_SPIN_UNTIL, ARG_MAP, p_spin, SIM_ALU_SET},
    {"mmio_read", SIM_STEP_MMIO_READ, ARG_MAP, p_mmio_read, SIM_ALU_SET},
    {"mmio_write", SIM_STEP_MMIO_WRITE, ARG_MAP, p_mmio_write, SIM_ALU_SET},
    {"dma_alloc", SIM_STEP_DMA_ALLOC, ARG_MAP, p_dma_alloc, SIM_ALU_SET},
    {"dma_free", SIM_STEP_DMA_FREE, ARG_MAP, p_dma_free, SIM_ALU_SET},
    {"irq_wait", SIM_STEP_IRQ_WAIT, ARG_MAP, p_irq_wait, SIM_ALU_SET},
    {"assert", SIM_STEP_ASSERT, ARG_MAP, p_assert, SIM_ALU_SET},
    {"log", SIM_STEP_LOG, ARG_SCALAR, p_log, SIM_ALU_SET},
    {"exit", SIM_STEP_EXIT, ARG_SCALAR, p_exit, SIM_ALU_SET},
};

#define STEP_DEFS_COUNT (sizeof step_defs / sizeof step_defs[0])

static enum iosim_err unknown_step(struct prog_parser *pp, const struct yml_node *n,
                                   const char *name)
{
    char list[640] = "";
    for (size_t i = 0; i < STEP_DEFS_COUNT; i++) {
        strncat(list, step_defs[i].name, sizeof list - strlen(list) - 1);
        if (i + 1 < STEP_DEFS_COUNT)
            strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    char q[YML_QUOTE_BYTES];
    return yml_error_at(pp->doc, n, pp->err, "unknown step %s (expected one of: %s)",
                        yml_quote(q, sizeof q, name, strlen(name)), list);
}

static const struct step_def *find_step(const char *name)
{
    for (size_t i = 0; i < STEP_DEFS_COUNT; i++)
        if (strcmp(step_defs[i].name, name) == 0)
            return &step_defs[i];
    return NULL;
}

static enum iosim_err parse_list(struct prog_parser *pp, const struct yml_node *seq,
                                 uint32_t depth);

static enum iosim_err p_repeat(struct prog_parser *pp, const struct yml_node *a, uint32_t idx,
                               uint32_t depth)
{
    static const char *const k[] = {"count", "steps", "shrink", NULL};
    const struct yml_node *n, *body;
    uint64_t count;
    bool shrink = false;
    CHECK(keys(pp, a, k, "repeat"));
    if ((n = yml_map_get(a, "shrink")) != NULL)
        CHECK(yml_get_bool(pp->doc, n, &shrink, pp->err));
    CHECK(yml_require(pp->doc, a, "count", "repeat", &n, pp->err));
    CHECK(yml_get_u64(pp->doc, n, 0, SIM_PROG_REPEAT_MAX, &count, pp->err));
    CHECK(yml_require(pp->doc, a, "steps", "repeat", &body, pp->err));
    if (depth + 1 >= SIM_PROG_DEPTH_MAX)
        return yml_error_at(pp->doc, a, pp->err, "repeat nested deeper than %u levels",
                            SIM_PROG_DEPTH_MAX);
    CHECK(parse_list(pp, body, depth + 1));
    pp->steps[idx].count = count;
    pp->steps[idx].shrink = shrink;
    pp->steps[idx].body_len = pp->count - idx - 1;
    return IOSIM_OK;
}

/* One item of a step list: `- name: args` or a bare `- name`. */
static enum iosim_err parse_item(struct prog_parser *pp, const struct yml_node *item,
                                 uint32_t depth)
{
    const struct yml_node *key = item, *args = NULL;
    if (yml_kind(item) == YML_MAP) {
        if (yml_map_len(item) != 1)
            return yml_error_at(pp->doc, item, pp->err,
                                "a step is a mapping with exactly one key (the step's name)");
        key = yml_map_key(item, 0);
        args = yml_map_value(item, 0);
    } else if (yml_kind(item) != YML_SCALAR) {
        return yml_error_at(pp->doc, item, pp->err, "expected a step, got a sequence");
    }
    const char *name = yml_scalar_text(key);
    const struct step_def *def = find_step(name);
    if (def == NULL)
        return unknown_step(pp, key, name);
    if ((def->args == ARG_NONE) != (args == NULL))
        return yml_error_at(pp->doc, key, pp->err, def->args == ARG_NONE
                            ? "step '%s' takes no arguments" : "step '%s' needs arguments",
                            def->name);
    if (def->args == ARG_MAP)
        CHECK(yml_get_map(pp->doc, args, &args, pp->err));
    if (pp->count == SIM_PROG_STEPS_MAX)
        return yml_error_at(pp->doc, item, pp->err, "more than %u steps in one program",
                            SIM_PROG_STEPS_MAX);
    uint32_t idx = pp->count++;
    struct sim_step *s = &pp->steps[idx];
    *s = (struct sim_step){.kind = def->kind, .line = yml_line(key), .col = yml_col(key),
                           .alu = def->alu, .size = 4};
    if (def->kind == SIM_STEP_REPEAT)
        return p_repeat(pp, args, idx, depth);
    return def->parse(pp, args, s);
}

static enum iosim_err parse_list(struct prog_parser *pp, const struct yml_node *seq,
                                 uint32_t depth)
{
    CHECK(yml_get_seq(pp->doc, seq, &seq, pp->err));
    for (size_t i = 0; i < yml_seq_len(seq); i++)
        CHECK(parse_item(pp, yml_seq_item(seq, i), depth));
    return IOSIM_OK;
}

enum iosim_err sim_program_load(const struct yml_doc *doc, const struct yml_node *seq,
                                const struct sim_prog_device *devices, uint32_t device_count,
                                struct sim_program *out, struct yml_error *err)
{
    ASSERT(doc != NULL && seq != NULL && out != NULL && err != NULL);
    struct prog_parser pp = {doc, devices, device_count, NULL, 0, err};
    pp.steps = calloc(SIM_PROG_STEPS_MAX, sizeof *pp.steps);
    if (pp.steps == NULL)
        return IOSIM_ENOMEM;
    enum iosim_err e = parse_list(&pp, seq, 0);
    if (e != IOSIM_OK) {
        free(pp.steps);
        return e;
    }
    struct sim_step *shrunk = realloc(pp.steps, (pp.count ? pp.count : 1) * sizeof *pp.steps);
    out->steps = shrunk != NULL ? shrunk : pp.steps;
    out->count = pp.count;
    return IOSIM_OK;
}

void sim_program_free(struct sim_program *prog)
{
    if (prog == NULL)
        return;
    free(prog->steps);
    *prog = (struct sim_program){0};
}
