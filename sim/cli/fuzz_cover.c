/* --policy cover: planning generations, the corpus, the campaign's coverage. */
#include "sim/cli/fuzz_cover.h"

#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/engine/rng.h"

struct fuzz_cover *fuzz_cover_new(uint64_t seed_base)
{
    struct fuzz_cover *c = calloc(1, sizeof *c);
    if (c != NULL)
        c->seed_base = seed_base;
    return c;
}

void fuzz_cover_free(struct fuzz_cover *c)
{
    if (c == NULL)
        return;
    for (uint32_t k = 0; k < FUZZ_COVER_GEN; k++)
        sim_dec_free(&c->runs[k].script);
    for (uint32_t k = 0; k < c->kept_n; k++)
        sim_dec_free(&c->kept[k].script);
    for (uint32_t i = 0; i < c->corpus_n; i++)
        sim_dec_free(&c->corpus[i].dec);
    free(c->corpus);
    free(c->set);
    free(c);
}

/* ---- mutation -------------------------------------------------------------------------------- */

/* d with one entry more at a free index below `horizon` (or none when the
 * drawn index is taken). */
static enum iosim_err insert_at(struct sim_decisions *d, uint64_t at, enum sim_dec_kind kind,
                                uint64_t value)
{
    if (d->n >= SIM_DEC_MAX)
        return IOSIM_OK;
    uint32_t i = 0;
    while (i < d->n && d->v[i].at < at)
        i++;
    if (i < d->n && d->v[i].at == at)
        return IOSIM_OK;
    if (sim_dec_push(d, UINT64_MAX, kind, value) != IOSIM_OK) /* room at the end ... */
        return IOSIM_ENOMEM;
    memmove(&d->v[i + 1], &d->v[i], (d->n - 1 - i) * sizeof d->v[0]); /* ... then in place */
    d->v[i] = (struct sim_dec){.at = at, .value = value, .kind = kind};
    return IOSIM_OK;
}

static void remove_at(struct sim_decisions *d, uint32_t i)
{
    memmove(&d->v[i], &d->v[i + 1], (d->n - i - 1) * sizeof d->v[0]);
    d->n--;
}

/* One change to a script: add a preemption or a pick, remove an entry, or
 * move one between its neighbours. */
static enum iosim_err mutate_once(struct sim_rng *g, struct sim_decisions *d, uint64_t horizon)
{
    uint64_t span = horizon > 0 ? horizon : 1;
    switch (sim_rng_below(g, d->n > 0 ? 4 : 2)) {
    case 0:
        return insert_at(d, sim_rng_below(g, span), SIM_DEC_PREEMPT, 1);
    case 1:
        return insert_at(d, sim_rng_below(g, span), SIM_DEC_PICK, 1 + sim_rng_below(g, 2));
    case 2:
        remove_at(d, (uint32_t)sim_rng_below(g, d->n));
        return IOSIM_OK;
    default: {
        uint32_t i = (uint32_t)sim_rng_below(g, d->n);
        uint64_t lo = i > 0 ? d->v[i - 1].at + 1 : 0;
        uint64_t hi = i + 1 < d->n ? d->v[i + 1].at - 1 : span;
        if (hi < lo)
            hi = lo;
        d->v[i].at = lo + sim_rng_below(g, hi - lo + 1);
        return IOSIM_OK;
    }
    }
}

/* ---- planning -------------------------------------------------------------------------------- */

/* A corpus entry's script, changed, on a seed of its own (the entry's
 * schedule with other timing noise and store delays: a neighbour, not a
 * copy). */
static enum iosim_err plan_mutant(struct fuzz_cover *c, struct sim_rng *g, struct fuzz_cover_run *r,
                                  uint64_t fresh_seed)
{
    const struct fuzz_cover_entry *e = &c->corpus[sim_rng_below(g, c->corpus_n)];
    r->file = e->file;
    r->seed = sim_rng_chance(g, 500) ? e->seed : fresh_seed;
    r->scripted = true;
    if (sim_dec_copy(&r->script, &e->dec) != IOSIM_OK)
        return IOSIM_ENOMEM;
    for (uint64_t m = 1 + sim_rng_below(g, 3); m > 0; m--)
        if (mutate_once(g, &r->script, e->choices) != IOSIM_OK)
            return IOSIM_ENOMEM;
    return IOSIM_OK;
}

enum iosim_err fuzz_cover_plan(struct fuzz_cover *c, const uint64_t *idx, uint32_t n,
                               uint32_t nfiles)
{
    ASSERT(n > 0 && n <= FUZZ_COVER_GEN && nfiles > 0);
    struct sim_rng g;
    sim_rng_stream(&g, c->seed_base + idx[0], "cover");
    c->n = n;
    for (uint32_t k = 0; k < n; k++) {
        struct fuzz_cover_run *r = &c->runs[k];
        r->index = idx[k];
        r->script.n = 0;
        if (c->corpus_n > 0 && !sim_rng_chance(&g, 250)) {
            if (plan_mutant(c, &g, r, c->seed_base + idx[k] / nfiles) != IOSIM_OK)
                return IOSIM_ENOMEM;
            continue;
        }
        r->file = (uint32_t)(idx[k] % nfiles);
        r->seed = c->seed_base + idx[k] / nfiles;
        r->scripted = false;
    }
    return IOSIM_OK;
}

const struct fuzz_cover_run *fuzz_cover_find(const struct fuzz_cover *c, uint64_t i)
{
    for (uint32_t k = 0; k < c->n; k++)
        if (c->runs[k].index == i)
            return &c->runs[k];
    for (uint32_t k = 0; k < c->kept_n; k++)
        if (c->kept[k].index == i)
            return &c->kept[k];
    return NULL;
}

void fuzz_cover_keep(struct fuzz_cover *c, uint32_t k)
{
    ASSERT(k < c->n);
    if (c->kept_n == FUZZ_COVER_KEPT_MAX)
        return;
    struct fuzz_cover_run *r = &c->kept[c->kept_n];
    struct sim_decisions keep = r->script;
    *r = c->runs[k];
    r->script = keep;
    if (sim_dec_copy(&r->script, &c->runs[k].script) == IOSIM_OK)
        c->kept_n++;
}

/* ---- coverage and the corpus ------------------------------------------------------------------ */

static bool set_grow(struct fuzz_cover *c)
{
    uint32_t cap = c->set_cap ? c->set_cap * 2 : 4096;
    uint32_t *s = calloc(cap, sizeof *s);
    if (s == NULL)
        return false;
    for (uint32_t i = 0; i < c->set_cap; i++) { /* slot order: the same every time */
        if (c->set[i] == 0)
            continue;
        uint32_t j = (c->set[i] * 2654435761u) & (cap - 1);
        while (s[j] != 0)
            j = (j + 1) & (cap - 1);
        s[j] = c->set[i];
    }
    free(c->set);
    c->set = s;
    c->set_cap = cap;
    return true;
}

/* Adds a feature; true when it is new. */
static bool set_add(struct fuzz_cover *c, uint32_t f)
{
    if ((c->set_n + 1) * 2 > c->set_cap && !set_grow(c))
        return false;
    uint32_t key = f + 1u, j = (key * 2654435761u) & (c->set_cap - 1);
    while (c->set[j] != 0) {
        if (c->set[j] == key)
            return false;
        j = (j + 1) & (c->set_cap - 1);
    }
    c->set[j] = key;
    c->set_n++;
    return true;
}

static void corpus_add(struct fuzz_cover *c, const struct fuzz_cover_run *r, uint64_t choices,
                       const char *decisions)
{
    if (c->corpus_n == c->corpus_cap) {
        uint32_t cap = c->corpus_cap ? c->corpus_cap * 2 : 64;
        struct fuzz_cover_entry *v = realloc(c->corpus, cap * sizeof *v);
        if (v == NULL)
            return;
        c->corpus = v;
        c->corpus_cap = cap;
    }
    struct fuzz_cover_entry *e = &c->corpus[c->corpus_n];
    *e = (struct fuzz_cover_entry){.file = r->file, .seed = r->seed, .choices = choices};
    char msg[96];
    bool ok = r->scripted ? sim_dec_copy(&e->dec, &r->script) == IOSIM_OK
                          : decisions != NULL &&
                                sim_dec_parse(decisions, &e->dec, msg, sizeof msg) == IOSIM_OK;
    if (ok)
        c->corpus_n++;
    else
        sim_dec_free(&e->dec);
}

uint32_t fuzz_cover_take(struct fuzz_cover *c, uint32_t k, const uint32_t *features, uint32_t nf,
                         uint64_t choices, const char *decisions)
{
    ASSERT(k < c->n);
    uint32_t gained = 0;
    for (uint32_t i = 0; i < nf; i++)
        gained += set_add(c, features[i]);
    if (gained > 0)
        corpus_add(c, &c->runs[k], choices, decisions);
    return gained;
}

uint64_t fuzz_cover_total(const struct fuzz_cover *c) { return c->set_n; }
