/*
 * app_pcid: the PCI daemon as a process. Arguments (all optional):
 *   ecam, buses              the ECAM window (0xe0000000, 256)
 *   mem32_base, mem32_limit  32-bit BAR aperture (0xc0000000, 0xe0000000)
 *   mem64_base, mem64_limit  64-bit BAR aperture (0x1000000000, 0x2000000000)
 *   io_base, io_limit        I/O aperture (0x1000, 0x10000)
 *   irq_base, irq_count      machine lines for MSI / MSI-X (64, 64)
 *   drivers                  the driver table (pcid_config.h), "" by default
 *   spawn                    start the drivers (1)
 *   entries                  ring size (16)
 *   until_drivers_exit       0: serve until the kernel shuts the scheme down;
 *                            1: exit once every driver started has come and
 *                            gone (its ring closed) - a run that ends
 * Exit status: 2 when it cannot start (bad table, no ECAM, no scheme);
 * otherwise 0.
 */
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/drivers/pcid/pcid.h"
#include "impl/drivers/pcid/pcid_ecam.h"
#include "impl/port/port.h"
#include "impl/uring/uring.h"

#define PCID_POLL_NS 50000u /* while a CQ is full: how long each enter waits for room */

struct pcid_proc {
    struct pcid d;
    struct pcid_ecam ecam;
    struct iou main;
    struct iou peers[PCID_CLIENTS_MAX]; /* by client index */
};

static int64_t err(enum iosim_err e)
{
    return -(int64_t)iosim_err_errno(e);
}

static uint64_t arg_u64(void *args, const char *key, uint64_t fallback)
{
    return (uint64_t)app_arg_int(args, key, (int64_t)fallback);
}

static void read_opts(void *args, struct pcid_opts *o)
{
    *o = (struct pcid_opts){
        .ap = {.mem32_base = arg_u64(args, "mem32_base", 0xc0000000ull),
               .mem32_limit = arg_u64(args, "mem32_limit", 0xe0000000ull),
               .mem64_base = arg_u64(args, "mem64_base", 0x1000000000ull),
               .mem64_limit = arg_u64(args, "mem64_limit", 0x2000000000ull),
               .io_base = arg_u64(args, "io_base", 0x1000),
               .io_limit = arg_u64(args, "io_limit", 0x10000)},
        .irq_base = (uint32_t)arg_u64(args, "irq_base", 64),
        .irq_count = (uint32_t)arg_u64(args, "irq_count", 64),
        .spawn = app_arg_int(args, "spawn", 1) != 0};
}

/* A driver offers its ring (the kernel says who it is). */
static int64_t try_accept(struct pcid_proc *s, struct pcid_client *c, const struct ring_sqe64 *q)
{
    if (!(q->syscall_flags & URING_DUP_NEW_RING) || c == NULL)
        return err(IOSIM_EACCES); /* not a ring, or not from a process pcid started */
    if (c->ring)
        return err(IOSIM_EBUSY);
    struct iou *p = &s->peers[c - s->d.clients];
    enum iosim_err e = iou_accept_peer(p, (int64_t)q->fd, (uint32_t)q->len, (uint32_t)q->offset,
                                       (uint32_t)(q->offset >> 32));
    if (e != IOSIM_OK)
        return err(e);
    c->ring = true;
    return 0;
}

static int64_t accept_ring(struct pcid_proc *s, const struct ring_sqe64 *q)
{
    bool offer = q->syscall_flags & URING_DUP_NEW_RING;
    struct pcid_client *c = offer ? pcid_client_of_pid(&s->d, (int64_t)q->addr) : NULL;
    int64_t st = try_accept(s, c, q);
    port_trace_pcid_req(c != NULL ? c->bdf : "", offer ? (uint32_t)q->addr : 0, "accept", 0,
                        q->len, st, 0);
    return st;
}

/* The scheme's kernel ring: only ring offers; false once it is shut down. */
static bool serve_main(struct pcid_proc *s)
{
    struct ring_sqe64 q;
    enum iosim_err e;
    uint32_t served = 0;
    while ((e = iou_next_request(&s->main, &q)) == IOSIM_OK) {
        int64_t st = q.opcode == RING_OP_DUP ? accept_ring(s, &q) : err(IOSIM_EACCES);
        (void)iou_reply_wait(&s->main, q.user_data, st, 0, PCID_POLL_NS);
        served++;
    }
    if (served > 0)
        (void)iou_enter(&s->main, 0, 0); /* the kernel takes the answers on */
    return e == IOSIM_EAGAIN;
}

/* A driver's ring; a ring its peer broke or left is dropped. */
static void serve_peer(struct pcid_proc *s, struct pcid_client *c)
{
    struct iou *ring = &s->peers[c - s->d.clients];
    struct ring_sqe64 q;
    enum iosim_err e;
    uint32_t served = 0;
    while ((e = iou_next_request(ring, &q)) == IOSIM_OK) {
        uint64_t extra;
        int64_t st = pcid_serve_request(&s->d, c, &q, &extra);
        (void)iou_reply_wait(ring, q.user_data, st, extra, PCID_POLL_NS);
        served++;
    }
    if (served > 0)
        (void)iou_enter(ring, 0, 0); /* tells the driver its answers are there */
    if (e != IOSIM_EAGAIN) {
        iou_close(ring);
        c->ring = false;
        c->open = false;
        c->gone = true;
        port_trace_pcid_req(c->bdf, (uint32_t)c->pid, "gone", 0, 0, 0, 0);
    }
}

static bool drivers_all_gone(const struct pcid *d)
{
    for (uint32_t i = 0; i < d->client_count; i++)
        if (d->clients[i].used && d->clients[i].pid > 0 && !d->clients[i].gone)
            return false;
    return true;
}

static int32_t run(struct pcid_proc *s, void *args)
{
    uint32_t entries = (uint32_t)app_arg_int(args, "entries", 16);
    int64_t sock = app_scheme_open(PCI_SCHEME_NAME, entries, &s->main);
    if (sock < 0)
        return 2;
    if (pcid_bring_up(&s->d) != IOSIM_OK)
        return 2;
    (void)pcid_start_drivers(&s->d);
    bool until_gone = app_arg_int(args, "until_drivers_exit", 0) != 0;
    while (!(until_gone && drivers_all_gone(&s->d))) {
        /* the kernel moves this word for a request on the scheme's ring and
         * for anything on a driver's ring (a notify, the driver leaving):
         * one sleep covers them all, no polling */
        port_atomic_u32 *word = &s->main.sq_hdr->shared_push_epoch;
        uint32_t seen = port_load_u32(word, PORT_ACQUIRE);
        if (!serve_main(s))
            break;
        for (uint32_t i = 0; i < s->d.client_count; i++)
            if (s->d.clients[i].ring)
                serve_peer(s, &s->d.clients[i]);
        if (until_gone && drivers_all_gone(&s->d))
            break;
        enum iosim_err e = port_wait_u32(word, seen, PORT_WAIT_FOREVER);
        if (e != IOSIM_OK && e != IOSIM_ETIMEDOUT)
            break;
    }
    for (uint32_t i = 0; i < s->d.client_count; i++)
        if (s->d.clients[i].ring)
            iou_close(&s->peers[i]);
    iou_close(&s->main);
    (void)port_sys_close((uint64_t)sock);
    return 0;
}

bool app_pcid_check(const struct app_args *a, struct app_arg_problem *p)
{
    for (uint32_t i = 0; i < a->count; i++) {
        if (strcmp(a->key[i], "drivers") != 0)
            continue;
        if (a->str[i] == NULL) {
            *p = (struct app_arg_problem){.arg = i};
            memcpy(p->msg, "the driver table is text", sizeof "the driver table is text");
            return false;
        }
        struct pcid_config cfg; /* ~10 KiB: the check runs on a host stack, before any run */
        struct pcid_config_error e;
        if (pcid_config_parse(a->str[i], &cfg, &e) != IOSIM_OK) {
            *p = (struct app_arg_problem){.arg = i, .line = e.line, .col = e.col};
            memcpy(p->msg, e.msg, sizeof p->msg < sizeof e.msg ? sizeof p->msg : sizeof e.msg);
            p->msg[sizeof p->msg - 1] = '\0';
            return false;
        }
    }
    return true;
}

int32_t app_pcid(void *args)
{
    struct port_dma mem;
    if (port_dma_alloc(sizeof(struct pcid_proc), 0, &mem) != IOSIM_OK)
        return 2;
    struct pcid_proc *s = mem.host; /* zeroed; the process's memory, freed when it ends */
    struct pcid_opts o;
    read_opts(args, &o);
    struct pcid_config_error cerr;
    if (pcid_ecam_open(&s->ecam, arg_u64(args, "ecam", 0xe0000000ull),
                       (uint32_t)arg_u64(args, "buses", PCI_BUSES)) != IOSIM_OK)
        return 2;
    struct pcid_cfg cfg = pcid_ecam_cfg(&s->ecam);
    if (pcid_init(&s->d, &o, &cfg, app_arg_str(args, "drivers", ""), &cerr) != IOSIM_OK)
        return 2;
    int32_t st = run(s, args);
    pcid_ecam_close(&s->ecam);
    return st;
}
