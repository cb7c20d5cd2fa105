/*
 * dump_test_util.h - what the pcid_dump tests share: the dump, view and
 * topology they fill (the suite pcid_dump allocates and frees the large
 * ones), reading a fixture file whole, and configuration accesses through
 * a view. Header-only, for tests/impl/pcid.
 */
#ifndef IOSIM_TESTS_DUMP_TEST_UTIL_H
#define IOSIM_TESTS_DUMP_TEST_UTIL_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/drivers/pcid/pcid_dump.h"

#define FIXTURES IOSIM_SOURCE_DIR "/tests/fixtures/pci"

static struct pcid_dump *dump;
static struct pcid_dump_view *view;
static struct pcid_topology topo;
static struct pcid_dump_error err;

static inline void setup(void)
{
    dump = calloc(1, sizeof *dump);
    view = calloc(1, sizeof *view);
    cr_assert(dump != NULL && view != NULL);
}

static inline void teardown(void)
{
    free(dump);
    free(view);
}

TestSuite(pcid_dump, .init = setup, .fini = teardown);


static inline char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    cr_assert(buf != NULL);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            cr_assert(buf != NULL);
        }
    }
    fclose(fp);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static inline struct pcid_cfg cfg_of_view(uint16_t domain, enum pcid_dump_unsized unsized)
{
    pcid_dump_view_init(view, dump, domain, unsized);
    return pcid_dump_cfg(view);
}

static inline uint32_t rd(const struct pcid_cfg *c, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off,
                   unsigned size)
{
    return c->read(c->ctx, bus, dev, fn, off, size);
}

static inline void wr(const struct pcid_cfg *c, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off,
               unsigned size, uint32_t v)
{
    c->write(c->ctx, bus, dev, fn, off, size, v);
}

static inline void put32(uint8_t *cfg, unsigned off, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        cfg[off + i] = (uint8_t)(v >> (8 * i));
}

#endif /* IOSIM_TESTS_DUMP_TEST_UTIL_H */
