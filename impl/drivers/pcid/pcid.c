/* pcid's bring-up and driver start; see pcid.h. Requests: pcid_serve.c. */
#include "impl/drivers/pcid/pcid.h"

#include <string.h>

#include "impl/port/check.h"
#include "impl/port/port.h"
#include "impl/util/strbuf.h"

/* "BB:DD.F", or with '.' for ':' (a process name). */
static void put_bdf(struct strbuf *sb, const struct pcid_func *f, const char *sep)
{
    ASSERT(f->dev < PCI_DEVS_PER_BUS);
    ASSERT(f->fn < PCI_FNS_PER_DEV);
    strbuf_hex(sb, f->bus, 2);
    strbuf_put(sb, sep);
    strbuf_hex(sb, f->dev, 2);
    strbuf_put(sb, ".");
    strbuf_hex(sb, f->fn & 7u, 1);
}

void pcid_bdf(const struct pcid_func *f, char out[PCID_BDF_LEN])
{
    struct strbuf sb;
    strbuf_init(&sb, out, PCID_BDF_LEN);
    put_bdf(&sb, f, ":");
    ASSERT(sb.len == PCID_BDF_LEN - 1); /* "BB:DD.F", nothing cut */
    ASSERT(!sb.truncated);
}

enum iosim_err pcid_init(struct pcid *d, const struct pcid_opts *opts, const struct pcid_cfg *cfg,
                         const char *driver_table, struct pcid_config_error *err)
{
    ASSERT(d != NULL && opts != NULL && cfg != NULL && err != NULL);
    memset(d, 0, sizeof *d);
    d->cfg = *cfg;
    d->opts = *opts;
    d->irq_next = opts->irq_base;
    if (pcid_config_parse(driver_table != NULL ? driver_table : "", &d->drivers, err) != IOSIM_OK)
        return IOSIM_EINVAL;
    ASSERT(d->irq_next == opts->irq_base);
    ASSERT(d->drivers.count <= PCID_RULES_MAX);
    ASSERT(d->client_count == 0 && d->topo.count == 0);
    return IOSIM_OK;
}

/* ---- what was found ------------------------------------------------------------------------ */

static void cap_word(struct strbuf *sb, const char *word)
{
    ASSERT(word != NULL);
    ASSERT(word[0] != '\0');
    if (sb->len > 0)
        strbuf_put(sb, " ");
    strbuf_put(sb, word);
}

void pcid_caps_text(const struct pcid_func *f, char *out, size_t len)
{
    ASSERT(out != NULL && len > 0);
    ASSERT(f->msi.vectors_log2 <= PCI_MSI_VECTORS_LOG2_MAX);
    struct strbuf sb;
    strbuf_init(&sb, out, len);
    if (f->pm)
        cap_word(&sb, "pm");
    if (f->msi.present) {
        cap_word(&sb, "msi:");
        strbuf_dec(&sb, 1u << f->msi.vectors_log2);
    }
    if (f->msix.present) {
        cap_word(&sb, "msix:");
        strbuf_dec(&sb, f->msix.vectors);
    }
    if (f->pcie.present) {
        cap_word(&sb, "pcie:gen");
        strbuf_dec(&sb, f->pcie.gen);
        strbuf_put(&sb, "x");
        strbuf_dec(&sb, f->pcie.width);
    }
}

static void trace_bars(const struct pcid_func *f, const char *bdf)
{
    ASSERT(bdf != NULL);
    ASSERT(!f->bridge || f->win_size % PCID_WINDOW_ALIGN == 0);
    for (unsigned k = 0; k < PCI_BAR_COUNT; k++) {
        const struct pcid_bar *b = &f->bar[k];
        ASSERT(!b->assigned || b->size != 0);
        if (b->kind == PCID_BAR_NONE)
            continue;
        port_trace_pcid_bar(&(struct port_trace_pci_bar){
            .bdf = bdf, .bar = k, .kind = pcid_bar_kind_name(b->kind), .prefetch = b->prefetch,
            .size = b->size, .addr = b->addr, .assigned = b->assigned});
    }
    if (f->bridge && f->win_size != 0)
        port_trace_pcid_bar(&(struct port_trace_pci_bar){
            .bdf = bdf, .bar = PCI_BAR_COUNT, .kind = "window", .size = f->win_size,
            .addr = f->win_base, .assigned = true});
}

enum iosim_err pcid_bring_up(struct pcid *d)
{
    ASSERT(d != NULL);
    ASSERT(d->client_count == 0); /* before any function is handed out */
    struct pcid_enum_opts eo = {.assign_buses = true, .size_bars = true};
    enum iosim_err e = pcid_enumerate(&d->cfg, &eo, &d->topo);
    if (e == IOSIM_OK)
        e = pcid_assign(&d->cfg, &d->opts.ap, &d->topo);
    if (e != IOSIM_OK)
        return e;
    for (uint32_t i = 0; i < d->topo.count; i++) {
        char bdf[PCID_BDF_LEN];
        pcid_bdf(&d->topo.funcs[i], bdf);
        trace_bars(&d->topo.funcs[i], bdf);
    }
    ASSERT(pcid_topology_ok(&d->topo));
    return IOSIM_OK;
}

/* ---- handing functions to drivers ------------------------------------------------------------- */

static void trace_func(const struct pcid_func *f, const char *bdf, const char *driver,
                       const char *status, int64_t pid)
{
    ASSERT(bdf != NULL && status != NULL);
    ASSERT(pid < 0 || driver != NULL); /* a started driver has a name */
    char caps[96];
    pcid_caps_text(f, caps, sizeof caps);
    port_trace_pcid_func(&(struct port_trace_pci_func){
        .bdf = bdf, .vendor = f->vendor, .device = f->device, .class_code = f->class_code,
        .subclass = f->subclass, .prog_if = f->prog_if, .kind = f->bridge ? "bridge" : "endpoint",
        .caps = caps, .problems = f->problems, .driver = driver, .status = status,
        .driver_pid = pid});
}

/* Enables function i and starts its driver; the status word for the trace. */
static const char *hand_out(struct pcid *d, uint32_t i, const struct pcid_rule *r,
                            int64_t *pid_out)
{
    ASSERT(i < d->topo.count);
    ASSERT(d->client_count <= PCID_CLIENTS_MAX);
    const struct pcid_func *f = &d->topo.funcs[i];
    ASSERT(!f->bridge); /* pcid_config_match never matches a bridge */
    if (d->client_count == PCID_CLIENTS_MAX)
        return "no_client_slot";
    if (pcid_enable(&d->cfg, &d->topo, i) != IOSIM_OK)
        return "no_space";
    struct pcid_client *c = &d->clients[d->client_count];
    *c = (struct pcid_client){.used = true, .func = i, .pid = -1};
    pcid_bdf(f, c->bdf);
    d->client_count++;
    ASSERT(c->func == i && c->used && !c->open);
    ASSERT(strlen(c->bdf) == PCID_BDF_LEN - 1);
    if (!d->opts.spawn)
        return "enabled";
    char name[PCID_DRIVER_NAME_MAX + PCID_BDF_LEN + 1], args[PCID_DRIVER_ARGS_MAX + 16];
    struct strbuf sb;
    strbuf_init(&sb, name, sizeof name);
    strbuf_put(&sb, r->driver);
    strbuf_put(&sb, "-");
    put_bdf(&sb, f, ".");
    strbuf_init(&sb, args, sizeof args);
    strbuf_put(&sb, r->args);
    strbuf_put(&sb, r->args[0] != '\0' ? " pci=" : "pci=");
    strbuf_put(&sb, c->bdf);
    int64_t pid = port_sys_spawn(name, r->driver, args, 0);
    if (pid < 0) {
        c->used = false; /* nobody will ever ask for it */
        return "spawn_failed";
    }
    ASSERT(c->pid == -1);
    c->pid = pid;
    *pid_out = pid;
    return "started";
}

uint32_t pcid_start_drivers(struct pcid *d)
{
    ASSERT(d->topo.count <= PCID_FUNCS_MAX);
    ASSERT(pcid_topology_ok(&d->topo));
    uint32_t started = 0;
    for (uint32_t i = 0; i < d->topo.count; i++) {
        const struct pcid_func *f = &d->topo.funcs[i];
        char bdf[PCID_BDF_LEN];
        pcid_bdf(f, bdf);
        const struct pcid_rule *r = pcid_config_match(&d->drivers, f);
        int64_t pid = -1;
        const char *status = f->bridge ? "bridge" : r == NULL ? "no_driver" : hand_out(d, i, r, &pid);
        started += pid >= 0;
        trace_func(f, bdf, r != NULL ? r->driver : NULL, status, pid);
    }
    ASSERT(started <= d->client_count);
    ASSERT(d->client_count <= PCID_CLIENTS_MAX);
    return started;
}

struct pcid_client *pcid_client_of_pid(struct pcid *d, int64_t pid)
{
    ASSERT(d->client_count <= PCID_CLIENTS_MAX);
    for (uint32_t i = 0; i < d->client_count; i++)
        if (d->clients[i].used && d->clients[i].pid == pid && pid > 0) {
            ASSERT(d->clients[i].func < d->topo.count);
            return &d->clients[i];
        }
    return NULL;
}
