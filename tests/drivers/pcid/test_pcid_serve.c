/*
 * pcid as a process on a simulated machine (kernel, root complex, generic
 * devices), with drivers that are test code: a hostile driver sends every
 * malformed request we could think of over its ring and checks each answer;
 * a stranger pcid never started offers it a ring; a driver offers two; and
 * a well-behaved pcitest must still get everything it asks for. pcid must
 * answer every request, never hang, never serve a function to the wrong
 * process.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/drivers/pcid/pci_client.h"
#include "tests/sim/stack/kernel_test_util.h"
#include "models/pci/pci_generic.h"
#include "models/pci/pci_root.h"

#define ECAM 0xe0000000ull

static struct ktest t;
static struct pci_root *root;
static struct pci_generic *gens[4];
static uint32_t ngens;
static struct app_args_store spawned_args[8];
static uint32_t nspawned;

static int64_t raw(struct pci_client *c, struct ring_sqe64 q, uint64_t *extra)
{
    uint64_t tag, x = 0;
    int64_t st = 0;
    if (pci_client_submit(c, &q, &tag) != IOSIM_OK || pci_client_wait(c, tag, &st, &x) != IOSIM_OK)
        return INT64_MIN;
    if (extra != NULL)
        *extra = x;
    return st;
}

static int64_t cfg_req(struct pci_client *c, uint8_t op, uint64_t reg, uint64_t len, uint64_t addr)
{
    return raw(c, (struct ring_sqe64){.opcode = op, .fd = PCI_SCHEME_HANDLE,
                                      .offset = PCI_SCHEME_CFG + reg, .len = len, .addr = addr},
               NULL);
}

static int64_t irq_req(struct pci_client *c, uint32_t mode, uint32_t vectors, uint64_t len)
{
    struct pci_scheme_irq_req rq = {mode, vectors};
    port_shm_write(&c->buf->irq, &rq, sizeof rq);
    return raw(c, (struct ring_sqe64){.opcode = RING_OP_WRITE, .fd = PCI_SCHEME_HANDLE,
                                      .offset = PCI_SCHEME_IRQ, .len = len,
                                      .addr = port_user_addr(&c->buf->irq)},
               NULL);
}

/* The hostile driver of 00:02.0 (BAR0 mem64, BAR2 mem32, BAR3 io, MSI 4, no MSI-X). */
static int32_t hostile(void *arg)
{
    const struct app_args *a = arg;
    const char *bdf = app_arg_str(a, "pci", NULL);
    CHECK(bdf != NULL && strcmp(bdf, "00:02.0") == 0);
    struct pci_client c;
    CHECK(pci_client_open(&c, bdf) == IOSIM_OK);
    uint64_t buf = port_user_addr(c.buf->cfg);
    /* opening: again, another function, wrong lengths, bad memory */
    port_shm_write(c.buf->path, "00:02.0", 7);
    CHECK(raw(&c, (struct ring_sqe64){.opcode = RING_OP_OPEN, .addr = port_user_addr(c.buf->path),
                                      .len = 7}, NULL) == errno_of(IOSIM_EBUSY));
    port_shm_write(c.buf->path, "00:03.0", 7);
    CHECK(raw(&c, (struct ring_sqe64){.opcode = RING_OP_OPEN, .addr = port_user_addr(c.buf->path),
                                      .len = 7}, NULL) == errno_of(IOSIM_EACCES));
    CHECK(raw(&c, (struct ring_sqe64){.opcode = RING_OP_OPEN, .addr = port_user_addr(c.buf->path),
                                      .len = 4000}, NULL) == errno_of(IOSIM_EACCES));
    CHECK(raw(&c, (struct ring_sqe64){.opcode = RING_OP_OPEN, .addr = 0xfffffffff000ull, .len = 7},
              NULL) == errno_of(IOSIM_EFAULT));
    /* handles and opcodes */
    CHECK(raw(&c, (struct ring_sqe64){.opcode = RING_OP_READ, .fd = 7, .len = 4, .addr = buf},
              NULL) == errno_of(IOSIM_EBADF));
    CHECK(raw(&c, (struct ring_sqe64){.opcode = 200, .fd = PCI_SCHEME_HANDLE}, NULL) ==
          errno_of(IOSIM_ENOSYS));
    CHECK(raw(&c, (struct ring_sqe64){.opcode = RING_OP_DUP, .fd = PCI_SCHEME_HANDLE}, NULL) ==
          errno_of(IOSIM_ENOSYS));
    /* configuration space: sizes, alignment, range, memory, pcid's registers */
    CHECK(cfg_req(&c, RING_OP_READ, 0, 3, buf) == errno_of(IOSIM_EINVAL));
    CHECK(cfg_req(&c, RING_OP_READ, 2, 4, buf) == errno_of(IOSIM_EINVAL));
    CHECK(cfg_req(&c, RING_OP_READ, 4096, 1, buf) == errno_of(IOSIM_EINVAL));
    CHECK(cfg_req(&c, RING_OP_READ, UINT64_MAX - 1, 2, buf) == errno_of(IOSIM_EINVAL));
    CHECK(cfg_req(&c, RING_OP_READ, 0, 4, 0xfffffffff000ull) == errno_of(IOSIM_EFAULT));
    CHECK(cfg_req(&c, RING_OP_READ, 0, 4, buf) == 4);
    uint32_t v;
    port_shm_read(&v, c.buf->cfg, 4);
    CHECK(v == 0x02021234u);
    CHECK(cfg_req(&c, RING_OP_WRITE, PCI_BAR0 + 8, 4, buf) == errno_of(IOSIM_EACCES));
    CHECK(cfg_req(&c, RING_OP_WRITE, PCI_BAR0 + 23, 1, buf) == errno_of(IOSIM_EACCES));
    CHECK(cfg_req(&c, RING_OP_WRITE, PCI_ROM_BAR, 4, buf) == errno_of(IOSIM_EACCES));
    CHECK(cfg_req(&c, RING_OP_WRITE, 0x42, 2, buf) == errno_of(IOSIM_EACCES)); /* MSI control */
    CHECK(cfg_req(&c, RING_OP_WRITE, PCI_CACHE_LINE_SIZE, 1, buf) == 1); /* a register of its own */
    /* info */
    CHECK(raw(&c, (struct ring_sqe64){.opcode = RING_OP_READ, .fd = PCI_SCHEME_HANDLE,
                                      .offset = PCI_SCHEME_INFO, .len = 10, .addr = buf},
              NULL) == errno_of(IOSIM_EINVAL));
    /* BARs */
    uint64_t phys, size;
    CHECK(pci_client_bar(&c, 0, &phys, &size) == IOSIM_OK && size == 1 << 20 && phys >= 1ull << 32);
    CHECK(pci_client_bar(&c, 1, &phys, &size) == IOSIM_ENODEV); /* the high half of BAR 0 */
    CHECK(pci_client_bar(&c, 3, &phys, &size) == IOSIM_EINVAL); /* I/O cannot be mapped */
    CHECK(pci_client_bar(&c, 4, &phys, &size) == IOSIM_ENODEV); /* not implemented */
    CHECK(pci_client_bar(&c, 6, &phys, &size) == IOSIM_EINVAL);
    CHECK(raw(&c, (struct ring_sqe64){.opcode = RING_OP_FMAP, .fd = PCI_SCHEME_HANDLE, .len = 4},
              NULL) == errno_of(IOSIM_EINVAL));
    /* interrupts */
    CHECK(irq_req(&c, PCI_SCHEME_IRQ_MSI, 0, 8) == errno_of(IOSIM_EINVAL));
    CHECK(irq_req(&c, 9, 1, 8) == errno_of(IOSIM_EINVAL));
    CHECK(irq_req(&c, PCI_SCHEME_IRQ_MSI, 1, 4) == errno_of(IOSIM_EINVAL));
    CHECK(irq_req(&c, PCI_SCHEME_IRQ_MSIX, 1, 8) == errno_of(IOSIM_ENODEV));
    struct pci_client_irq irq;
    CHECK(pci_client_irq(&c, PCI_SCHEME_IRQ_MSI, 3, &irq) == IOSIM_OK);
    CHECK(irq.mode == PCI_SCHEME_IRQ_MSI && irq.count == 2 && irq.first % 2 == 0);
    CHECK(irq_req(&c, PCI_SCHEME_IRQ_INTX, 1, 8) == errno_of(IOSIM_EBUSY));
    /* a second ring from the same driver */
    struct iou extra;
    CHECK(iou_create(&extra, 4, 4, URING_ENTRIES_64) == IOSIM_OK);
    struct ring_sqe64 q;
    char *path = (char *)c.buf->peer;
    iou_prep_peer(&q, &extra, path, PCI_SCHEME_NAME, 77);
    struct ring_cqe64 cqe;
    CHECK(iou_submit(&c.peer.k, &q) == IOSIM_OK);
    CHECK(iou_enter(&c.peer.k, 1, PORT_WAIT_FOREVER) >= 1 && iou_reap(&c.peer.k, &cqe) == IOSIM_OK);
    CHECK((int64_t)cqe.status == errno_of(IOSIM_EBUSY));
    pci_client_close(&c);
    return 0;
}

/* A process pcid never started. */
static int32_t stranger(void *arg)
{
    (void)arg;
    struct pci_client c;
    CHECK(pci_client_open(&c, "00:02.0") == IOSIM_EACCES);
    return 0;
}

/* pcid starts drivers through this: the test's own code for "hostile". */
static int64_t test_spawn(void *ctx, struct sim_machine *m, const char *name, const char *program,
                          const char *args, uint64_t flags)
{
    (void)ctx;
    cr_assert_lt(nspawned, 8);
    struct app_args_store *st = &spawned_args[nspawned++];
    cr_assert_eq(app_args_parse(args, st), IOSIM_OK);
    sim_proc_fn fn = strcmp(program, "hostile") == 0 ? hostile : app_find(program)->main;
    struct sim_proc_def d = {.name = name, .kind = "app", .fn = fn, .arg = &st->args, .cpu = -1,
                             .daemon = (flags & PORT_SPAWN_DAEMON) != 0};
    struct sim_proc *p;
    cr_assert_eq(sim_proc_spawn(m, &d, &p), IOSIM_OK);
    return p->pid;
}

static const struct sim_spawner spawner = {.spawn = test_spawn};

static void add_gen(uint8_t dev, struct pci_func_desc desc)
{
    static char names[4][16];
    snprintf(names[ngens], sizeof names[ngens], "gen%u", dev);
    struct pci_fn_config c = {.name = names[ngens], .dev = dev, .desc = desc, .intx_line = 11};
    const char *why = NULL;
    cr_assert_eq(pci_generic_create(root, &c, 16, &gens[ngens], &why), IOSIM_OK, "%s", why);
    ngens++;
}

static void setup(void)
{
    ktest_up(&t, 2, SIM_POLICY_RANDOM, 5);
    struct pci_root_config rc;
    pci_root_config_default(&rc);
    rc.ecam_base = ECAM;
    rc.buses = 4;
    cr_assert_eq(pci_root_create(t.m, &rc, &root), IOSIM_OK);
    ngens = nspawned = 0;
    failed_line = 0;
    sim_machine_set_spawner(t.m, &spawner);
}

static void teardown(void)
{
    for (uint32_t i = 0; i < ngens; i++)
        pci_generic_destroy(gens[i]);
    pci_root_destroy(root);
    ktest_down(&t);
}

static struct app_args pcid_args;

static void run_pcid(const char *table, int64_t irq_count)
{
    static const char *keys[] = {"ecam", "buses", "drivers", "until_drivers_exit", "irq_count"};
    pcid_args = (struct app_args){.count = 5, .key = {keys[0], keys[1], keys[2], keys[3], keys[4]},
                                  .num = {(int64_t)ECAM, 4, 0, 1, irq_count},
                                  .str = {NULL, NULL, table, NULL, NULL}};
    ktest_spawn(&t, "pcid", app_pcid, &pcid_args, 0, false);
}

static struct sim_proc *proc(const char *name)
{
    struct sim_proc *p = sim_proc_by_name(t.m, name);
    cr_assert_not_null(p, "%s ran", name);
    return p;
}

Test(pcid_serve, hostile_requests_get_errors_and_the_rest_is_served, .init = setup,
     .fini = teardown)
{
    add_gen(2, (struct pci_func_desc){.vendor = 0x1234, .device = 0x0202, .class_code = 0xff,
                                      .int_pin = 1,
                                      .bar = {{PCI_BAR_MEM64, 1 << 20, true},
                                              {PCI_BAR_NONE, 0, false},
                                              {PCI_BAR_MEM32, 4096, false},
                                              {PCI_BAR_IO, 32, false}},
                                      .msi = {true, 2, true, true}});
    add_gen(3, (struct pci_func_desc){.vendor = 0x1234, .device = 0x0303, .class_code = 0xff,
                                      .bar = {{PCI_BAR_MEM32, 4096, false}},
                                      .msix = {true, 8, 0, 0, 0x800, 0xc00}});
    run_pcid("device=0x0202 driver=hostile\n"
             "device=0x0303 driver=pcitest irq=msix vectors=8\n", 64);
    ktest_spawn(&t, "stranger", stranger, NULL, 200 * SIM_US, false);
    sim_machine_run(t.m);
    cr_expect_eq(t.m->end, SIM_END_ALL_EXITED);
    cr_expect_eq(failed_line, 0, "a check failed at line %d", failed_line);
    cr_expect_eq(proc("hostile-00.02.0")->exit_status, 0);
    cr_expect_eq(proc("stranger")->exit_status, 0);
    cr_expect_eq(proc("pcitest-00.03.0")->exit_status, 0, "served despite its neighbour");
    cr_expect_eq(proc("pcid")->exit_status, 0);
}

Test(pcid_serve, interrupt_lines_run_out_gracefully, .init = setup, .fini = teardown)
{
    /* 8 lines, two drivers wanting 8 MSI-X vectors each: whoever asks
     * first gets all 8, the other ENOSPC (its set-up fails, exit 1). */
    for (uint8_t dev = 2; dev <= 3; dev++)
        add_gen(dev, (struct pci_func_desc){.vendor = 0x1234, .device = 0x0303,
                                            .class_code = 0xff,
                                            .bar = {{PCI_BAR_MEM32, 4096, false}},
                                            .msix = {true, 8, 0, 0, 0x800, 0xc00}});
    run_pcid("device=0x0303 driver=pcitest irq=msix vectors=8\n", 8);
    sim_machine_run(t.m);
    int32_t a = proc("pcitest-00.02.0")->exit_status, b = proc("pcitest-00.03.0")->exit_status;
    cr_expect((a == 0 && b == 1) || (a == 1 && b == 0), "one served, one refused: %d %d", a, b);
    cr_expect_eq(proc("pcid")->exit_status, 0);
}
