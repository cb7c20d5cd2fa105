/*
 * yml_impl.h - internals shared by sim/scenario/yml.c (load, tree) and sim/scenario/yml_get.c
 * (typed getters). Not part of the API: include sim/scenario/yml.h instead.
 *
 * Invariants of a loaded document: nodes[0] is the root; a scalar's text is
 * NUL-terminated at text[len]; a sequence has `count` items and a mapping
 * `count` pairs stored key, value, key, value... in file order; map keys are
 * scalars and pairwise distinct; every node's line and col are >= 1.
 */
#ifndef IOSIM_SIM_YML_IMPL_H
#define IOSIM_SIM_YML_IMPL_H

#include <stdarg.h>

#include "sim/scenario/yml.h"

enum yml_style {
    YML_STYLE_NONE = 0,   /* not a scalar */
    YML_STYLE_PLAIN = 1,  /* unquoted */
    YML_STYLE_QUOTED = 2, /* 'single' or "double" */
    YML_STYLE_BLOCK = 3,  /* | literal or > folded */
};

struct yml_node {
    const char *text;                    /* scalar: owned by the doc; else NULL */
    const struct yml_node *const *items; /* collections: see the invariants above */
    size_t len;                          /* scalar: bytes of text, terminator excluded */
    size_t off;                          /* during load only: arena or item offset */
    uint32_t count;                      /* sequence items or mapping pairs */
    uint32_t line;                       /* 1-based */
    uint32_t col;                        /* 1-based, in characters */
    uint8_t kind;                        /* enum yml_kind */
    uint8_t style;                       /* enum yml_style */
};

struct yml_doc {
    char *name;                      /* owned copy of the name given at load */
    struct yml_node *nodes;          /* owned, n_nodes >= 1, nodes[0] = root */
    size_t n_nodes;
    const struct yml_node **items;   /* owned; collections point into it */
    char *arena;                     /* owned; scalar texts point into it */
};

/* Writes "name:line:col: " + message into *err and returns `code`. A message
 * too long for the buffer ends in "...". */
enum iosim_err yml_fail(struct yml_error *err, const char *name, uint32_t line, uint32_t col,
                        enum iosim_err code, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
enum iosim_err yml_vfail(struct yml_error *err, const char *name, uint32_t line, uint32_t col,
                         enum iosim_err code, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

#endif /* IOSIM_SIM_YML_IMPL_H */
