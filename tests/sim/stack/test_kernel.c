/* impl/kernel in the simulator: the io_uring instance state machine (every
 * illegal transition refused), dispatch of every opcode, enter, shutdown,
 * broken rings, the root scheme's asynchronous packet interface. */
#include "tests/sim/stack/kernel_test_util.h"
#include "impl/kernel/kern_internal.h" /* KERN_PATH_MAX: the bound under test */
#include "impl/uring/peer.h"


static struct uring_create_info ci_ok(void)
{
    return (struct uring_create_info){.version = URING_ABI_VERSION, .sq_entries = 8,
                                      .cq_entries = 8, .entry_bits = URING_ENTRIES_64};
}

/* ---- the state machine ------------------------------------------------------- */

static int32_t state_machine(void *arg)
{
    (void)arg;
    void *p;
    int64_t fd = port_sys_open("io_uring:", 0);
    CHECK(fd >= 0);
    /* Initial: nothing but a create-info */
    CHECK(port_sys_fmap((uint64_t)fd, URING_OFF_SQ_HEADER, 4096, 0, &p) == errno_of(IOSIM_EINVAL));
    CHECK(port_sys_dup((uint64_t)fd, "kernel") == errno_of(IOSIM_EINVAL));
    CHECK(port_sys_enter((uint64_t)fd, 0, 0) == errno_of(IOSIM_EINVAL));
    struct uring_create_info bad[] = {ci_ok(), ci_ok(), ci_ok(), ci_ok(), ci_ok(), ci_ok()};
    bad[0].version = 2;
    bad[1].sq_entries = 3;
    bad[2].cq_entries = 0;
    bad[3].entry_bits = 16;
    bad[4].reserved = 1;
    bad[5].sq_entries = URING_ENTRIES_MAX * 2;
    for (int i = 0; i < 6; i++)
        CHECK(port_sys_write((uint64_t)fd, &bad[i], sizeof bad[i]) == errno_of(IOSIM_EINVAL));
    struct uring_create_info ci = ci_ok();
    CHECK(port_sys_write((uint64_t)fd, &ci, sizeof ci - 1) == errno_of(IOSIM_EINVAL));
    CHECK(port_sys_write((uint64_t)fd, &ci, sizeof ci) == (int64_t)sizeof ci);
    /* Created: regions, no second create-info, no enter */
    CHECK(port_sys_write((uint64_t)fd, &ci, sizeof ci) == errno_of(IOSIM_EINVAL));
    CHECK(port_sys_fmap((uint64_t)fd, URING_OFF_SQ_HEADER, 4096, 0, &p) == 0 && p != NULL);
    CHECK(port_sys_fmap((uint64_t)fd, URING_OFF_CQ_ENTRIES, 8 * 32, 0, &p) == 0);
    CHECK(port_sys_fmap((uint64_t)fd, URING_OFF_CQ_ENTRIES, 8 * 32 + 1, 0, &p) == errno_of(IOSIM_EINVAL));
    CHECK(port_sys_fmap((uint64_t)fd, 0x1000, 64, 0, &p) == errno_of(IOSIM_EINVAL));
    CHECK(port_sys_enter((uint64_t)fd, 0, 0) == errno_of(IOSIM_EINVAL));
    CHECK(port_sys_dup((uint64_t)fd, "sideways") == errno_of(IOSIM_EINVAL));
    CHECK(port_sys_dup((uint64_t)fd, "scheme:nobody") == errno_of(IOSIM_ENOENT));
    int64_t att = port_sys_dup((uint64_t)fd, "kernel");
    CHECK(att >= 0 && att != fd);
    /* Attached: no second attach, no create-info; mapping and enter work */
    CHECK(port_sys_dup((uint64_t)fd, "kernel") == errno_of(IOSIM_EINVAL));
    CHECK(port_sys_write((uint64_t)fd, &ci, sizeof ci) == errno_of(IOSIM_EINVAL));
    CHECK(port_sys_fmap((uint64_t)att, URING_OFF_SQ_ENTRIES, 8 * 64, 0, &p) == 0);
    CHECK(port_sys_enter((uint64_t)att, 0, 0) == 0);
    CHECK(port_sys_close((uint64_t)att) == 0);
    CHECK(port_sys_close((uint64_t)fd) == 0);
    CHECK(port_sys_enter((uint64_t)att, 0, 0) == errno_of(IOSIM_EBADF));
    CHECK(port_sys_open("io_uring:extra", 0) == errno_of(IOSIM_ENOENT));
    return 0;
}

Test(kernel, every_illegal_instance_transition_is_refused)
{
    struct ktest t;
    ktest_up(&t, 1, SIM_POLICY_FIFO, 1);
    ktest_spawn(&t, "p", state_machine, NULL, 0, false);
    sim_machine_run(t.m);
    cr_assert_eq(t.m->end, SIM_END_ALL_EXITED);
    cr_expect_eq(t.m->procs[1]->exit_status, 0, "failed at line %d", failed_line);
    ktest_down(&t);
}

/* ---- dispatch through a userspace -> kernel ring ---------------------------------- */

/* Submits one SQE and waits for its CQE. */
static int64_t ring_call(struct iou *u, struct ring_sqe64 q, uint64_t *extra)
{
    static uint64_t tag = 100;
    q.user_data = ++tag;
    if (iou_submit(u, &q) != IOSIM_OK)
        return INT64_MIN;
    struct ring_cqe64 c;
    while (iou_reap(u, &c) != IOSIM_OK)
        if (iou_enter(u, 1, PORT_WAIT_FOREVER) < 0)
            return INT64_MIN + 1;
    if (c.user_data != tag)
        return INT64_MIN + 2;
    if (extra != NULL)
        *extra = c.extra;
    return (int64_t)c.status;
}

static int32_t opcodes(void *arg)
{
    uint32_t bits = arg != NULL ? *(const uint32_t *)arg : URING_ENTRIES_64;
    struct iou u;
    CHECK(iou_create(&u, 8, 8, bits) == IOSIM_OK);
    CHECK(iou_attach_kernel(&u) == IOSIM_OK);
    char *mem = user_mem(4096);
    CHECK(mem != NULL);
    strcpy(mem, "null:x");
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_NOP}, NULL) == 0);
    int64_t fd = ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_OPEN,
                                                   .addr = port_user_addr(mem), .len = 6}, NULL);
    CHECK(fd >= 0);
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_WRITE, .fd = (uint64_t)fd,
                                            .addr = port_user_addr(mem + 64), .len = 17}, NULL) == 17);
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_READ, .fd = (uint64_t)fd,
                                            .addr = port_user_addr(mem + 64), .len = 17}, NULL) == 0);
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_FSYNC, .fd = (uint64_t)fd}, NULL) == 0);
    strcpy(mem + 128, "again");
    int64_t fd2 = ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_DUP, .fd = (uint64_t)fd,
                                                    .addr = port_user_addr(mem + 128), .len = 5}, NULL);
    CHECK(fd2 >= 0 && fd2 != fd);
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_CLOSE, .fd = (uint64_t)fd2}, NULL) == 0);
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_CLOSE, .fd = (uint64_t)fd2}, NULL) ==
          errno_of(IOSIM_EBADF));
    /* the ring's own instance, mapped through the ring: the address comes in extra */
    uint64_t where = 0;
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_FMAP, .fd = (uint64_t)u.setup_fd,
                                            .offset = URING_OFF_SQ_HEADER, .len = 4096},
                    &where) == 0);
    CHECK(where == port_user_addr(u.sq_hdr));
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_FUNMAP, .addr = where,
                                            .len = 4096}, NULL) == 0);
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_FUNMAP, .addr = 0xfff00000,
                                            .len = 4096}, NULL) == errno_of(IOSIM_EINVAL));
    /* errors come back as negative errno, the kernel carries on */
    strcpy(mem, "nosuch:x");
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_OPEN, .addr = port_user_addr(mem),
                                            .len = 8}, NULL) == errno_of(IOSIM_ENOENT));
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_READ, .fd = 60,
                                            .addr = port_user_addr(mem), .len = 1}, NULL) ==
          errno_of(IOSIM_EBADF));
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = 99}, NULL) == errno_of(IOSIM_EINVAL));
    static char host_memory[64]; /* not simulated memory: the kernel must refuse it */
    if (bits == URING_ENTRIES_64) /* (a 32-bit entry would truncate the pointer) */
        CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_OPEN,
                                                .addr = (uintptr_t)host_memory, .len = 6},
                        NULL) == errno_of(IOSIM_EFAULT));
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_OPEN, .addr = 0xfff00000,
                                            .len = 6}, NULL) == errno_of(IOSIM_EFAULT));
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_WRITE, .fd = (uint64_t)fd,
                                            .addr = 0xdead0000, .len = 8}, NULL) ==
          errno_of(IOSIM_EFAULT));
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_WRITE, .fd = (uint64_t)fd,
                                            .addr = UINT64_MAX - 4, .len = 8}, NULL) ==
          errno_of(IOSIM_EFAULT));
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_OPEN, .addr = port_user_addr(mem),
                                            .len = 4096}, NULL) == errno_of(IOSIM_EFAULT));
    /* the path's bound, exactly: KERN_PATH_MAX - 1 bytes fit with their
     * terminator, KERN_PATH_MAX bytes do not (the kernel's copy is that big) */
    memcpy(mem, "null:", 5);
    memset(mem + 5, 'x', KERN_PATH_MAX - 5);
    int64_t fd3 = ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_OPEN,
                                                    .addr = port_user_addr(mem),
                                                    .len = KERN_PATH_MAX - 1}, NULL);
    CHECK(fd3 >= 0);
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_OPEN, .addr = port_user_addr(mem),
                                            .len = KERN_PATH_MAX}, NULL) == errno_of(IOSIM_EFAULT));
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_DUP, .fd = (uint64_t)fd3,
                                            .addr = port_user_addr(mem + 5),
                                            .len = KERN_PATH_MAX}, NULL) == errno_of(IOSIM_EFAULT));
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_CLOSE, .fd = (uint64_t)fd3}, NULL) == 0);
    /* enter with nothing to wait for times out */
    CHECK(iou_enter(&u, 1, 10000) == errno_of(IOSIM_ETIMEDOUT));
    iou_close(&u);
    return 0;
}

Test(kernel, every_opcode_dispatches_and_errors_come_back_as_negative_errno)
{
    struct ktest t;
    ktest_up(&t, 2, SIM_POLICY_RANDOM, 3);
    ktest_spawn(&t, "p", opcodes, NULL, 0, false);
    sim_machine_run(t.m);
    cr_assert_eq(t.m->end, SIM_END_ALL_EXITED);
    cr_expect_eq(t.m->procs[1]->exit_status, 0, "failed at line %d", failed_line);
    ktest_down(&t);
}

Test(kernel, entries_of_32_bits_work_the_same)
{
    static const uint32_t bits = URING_ENTRIES_32;
    struct ktest t;
    ktest_up(&t, 1, SIM_POLICY_FIFO, 1);
    ktest_spawn(&t, "p", opcodes, (void *)&bits, 0, false);
    sim_machine_run(t.m);
    cr_expect_eq(t.m->procs[1]->exit_status, 0, "failed at line %d", failed_line);
    ktest_down(&t);
}

/* ---- a hostile consumer ---------------------------------------------------------------- */

static int32_t scribbler(void *arg)
{
    (void)arg;
    struct iou u;
    CHECK(iou_create(&u, 8, 8, URING_ENTRIES_64) == IOSIM_OK);
    CHECK(iou_attach_kernel(&u) == IOSIM_OK);
    port_store_u32(&u.sq_hdr->shared_tail, 0xdeadbeef, PORT_RELEASE); /* garbage index */
    CHECK(iou_enter(&u, 0, 0) == errno_of(IOSIM_EPROTO));
    CHECK(iou_enter(&u, 0, 0) == errno_of(IOSIM_EPROTO));
    CHECK(ring_status(u.sq_hdr) & RING_STATUS_BROKEN);
    /* the kernel is fine: a new instance works */
    struct iou v;
    CHECK(iou_create(&v, 4, 4, URING_ENTRIES_64) == IOSIM_OK);
    CHECK(iou_attach_kernel(&v) == IOSIM_OK);
    CHECK(ring_call(&v, (struct ring_sqe64){.opcode = RING_OP_NOP}, NULL) == 0);
    return 0;
}

static int32_t lingers(void *arg)
{
    (void)arg;
    port_sleep_ns(100000); /* keeps the run going while the reaper works */
    return 0;
}

Test(kernel, a_ring_broken_by_its_consumer_is_reported_and_harms_nobody_else)
{
    struct ktest t;
    ktest_up(&t, 1, SIM_POLICY_FIFO, 1);
    ktest_spawn(&t, "p", scribbler, NULL, 0, false);
    ktest_spawn(&t, "l", lingers, NULL, 0, false);
    sim_machine_run(t.m);
    cr_assert_eq(t.m->end, SIM_END_ALL_EXITED);
    cr_expect_eq(t.m->procs[1]->exit_status, 0, "failed at line %d", failed_line);
    struct kern_stats st;
    sim_machine_host_enter(t.m);
    kern_stats(t.k, &st);
    sim_machine_host_leave(t.m);
    cr_expect_geq(st.broken_rings, 1);
    cr_expect_eq(st.processes_reaped, 1, "the reaper released the process");
    ktest_down(&t);
}

/* ---- the root scheme, asynchronous: a server reading its socket through a ring --------- */

struct pkt_box {
    int64_t client_fd, client_close, client_read;
    uint32_t requests_seen;
    uint8_t ops[8];
};

/* Serves scheme "pkt" by reading packets from its socket through its own
 * userspace -> kernel ring: while no request exists, the read is pending in
 * the kernel and the kernel is not blocked. */
static int32_t packet_server(void *arg)
{
    struct pkt_box *b = arg;
    int64_t sock = port_sys_open(":pkt", 0);
    CHECK(sock >= 0);
    CHECK(port_sys_open(":pkt", 0) == errno_of(IOSIM_EEXIST));
    struct iou u;
    CHECK(iou_create(&u, 8, 8, URING_ENTRIES_64) == IOSIM_OK);
    CHECK(iou_attach_kernel(&u) == IOSIM_OK);
    uint8_t *mem = user_mem(4096);
    for (uint32_t n = 0; n < 3; n++) {
        struct ring_sqe64 rd = {.opcode = RING_OP_READ, .fd = (uint64_t)sock,
                                .addr = port_user_addr(mem), .len = 64, .user_data = 1};
        CHECK(iou_submit(&u, &rd) == IOSIM_OK);
        CHECK(iou_enter(&u, 0, 0) == 0); /* taken, pending: nothing completed, nobody blocked */
        struct ring_cqe64 c;
        CHECK(iou_enter(&u, 1, PORT_WAIT_FOREVER) == 1);
        CHECK(iou_reap(&u, &c) == IOSIM_OK && c.user_data == 1 && c.status == 64);
        struct ring_sqe64 req;
        memcpy(&req, mem, sizeof req);
        b->ops[b->requests_seen++] = req.opcode;
        int64_t answer = req.opcode == RING_OP_OPEN ? 7 : req.opcode == RING_OP_READ ? 5 : 0;
        struct ring_cqe64 *ans = (void *)(mem + 64);
        *ans = (struct ring_cqe64){.user_data = req.user_data, .status = (uint64_t)answer};
        struct ring_sqe64 wr = {.opcode = RING_OP_WRITE, .fd = (uint64_t)sock,
                                .addr = port_user_addr(ans), .len = 32, .user_data = 2};
        CHECK(iou_submit(&u, &wr) == IOSIM_OK);
        CHECK(iou_enter(&u, 1, PORT_WAIT_FOREVER) == 1);
        CHECK(iou_reap(&u, &c) == IOSIM_OK && c.user_data == 2 && c.status == 32);
    }
    return 0;
}

static int32_t packet_client(void *arg)
{
    struct pkt_box *b = arg;
    b->client_fd = port_sys_open("pkt:hello", 0);
    uint8_t *mem = user_mem(64);
    b->client_read = port_sys_read((uint64_t)b->client_fd, mem, 16);
    b->client_close = port_sys_close((uint64_t)b->client_fd);
    return 0;
}

Test(kernel, a_server_reads_requests_from_its_socket_through_a_ring_without_blocking_the_kernel)
{
    static struct pkt_box b;
    memset(&b, 0, sizeof b);
    struct ktest t;
    ktest_up(&t, 2, SIM_POLICY_RANDOM, 9);
    ktest_spawn(&t, "server", packet_server, &b, 0, false);
    ktest_spawn(&t, "client", packet_client, &b, 30 * SIM_US, false);
    sim_machine_run(t.m);
    cr_assert_eq(t.m->end, SIM_END_ALL_EXITED, "%s", sim_end_reason_name(t.m->end));
    cr_expect_eq(t.m->procs[1]->exit_status, 0, "server failed at line %d", failed_line);
    cr_expect_geq(b.client_fd, 0);
    cr_expect_eq(b.client_read, 5);
    cr_expect_eq(b.client_close, 0);
    cr_expect_eq(b.ops[0], RING_OP_OPEN);
    cr_expect_eq(b.ops[1], RING_OP_READ);
    cr_expect_eq(b.ops[2], RING_OP_CLOSE);
    ktest_down(&t);
}

/* ---- when servers and peers go away -------------------------------------------------------- */

struct gone_box {
    int64_t open_result;
    int64_t second_attach;
};

static int32_t dying_server(void *arg)
{
    struct gone_box *b = arg;
    int64_t sock = port_sys_open(":doomed", 0);
    CHECK(sock >= 0);
    struct iou u, v;
    CHECK(iou_create(&u, 4, 4, URING_ENTRIES_64) == IOSIM_OK);
    CHECK(iou_attach_scheme(&u, "doomed") == IOSIM_OK);
    CHECK(iou_create(&v, 4, 4, URING_ENTRIES_64) == IOSIM_OK);
    b->second_attach = port_sys_dup((uint64_t)v.setup_fd, "scheme:doomed");
    port_sleep_ns(50000); /* the client's open arrives and is never answered */
    return 0;         /* ending with the request in flight */
}

static int32_t hopeful_client(void *arg)
{
    struct gone_box *b = arg;
    b->open_result = port_sys_open("doomed:x", 0); /* blocks until the server is gone */
    return 0;
}

Test(kernel, requests_to_a_server_that_ends_fail_with_shutdown)
{
    static struct gone_box b;
    struct ktest t;
    ktest_up(&t, 1, SIM_POLICY_FIFO, 1);
    ktest_spawn(&t, "server", dying_server, &b, 0, false);
    ktest_spawn(&t, "client", hopeful_client, &b, 20 * SIM_US, false);
    sim_machine_run(t.m);
    cr_assert_eq(t.m->end, SIM_END_ALL_EXITED, "%s", sim_end_reason_name(t.m->end));
    cr_expect_eq(b.second_attach, errno_of(IOSIM_EBUSY), "one kernel -> userspace ring per scheme");
    cr_expect_eq(b.open_result, errno_of(IOSIM_ESHUTDOWN));
    ktest_down(&t);
}

static int32_t closing_consumer(void *arg)
{
    (void)arg;
    struct iou u;
    CHECK(iou_create(&u, 4, 4, URING_ENTRIES_64) == IOSIM_OK);
    CHECK(iou_attach_kernel(&u) == IOSIM_OK);
    struct ring_header *cq = u.cq_hdr, *sq = u.sq_hdr;
    iou_close(&u);
    /* the kernel shut the opposite ring down: both headers say so */
    CHECK(ring_status(cq) & RING_STATUS_PUSHER_DOWN);
    CHECK(ring_status(sq) & RING_STATUS_POPPER_DOWN);
    return 0;
}

Test(kernel, closing_an_instance_shuts_the_opposite_ring_down)
{
    struct ktest t;
    ktest_up(&t, 1, SIM_POLICY_FIFO, 1);
    ktest_spawn(&t, "p", closing_consumer, NULL, 0, false);
    sim_machine_run(t.m);
    cr_expect_eq(t.m->procs[1]->exit_status, 0, "failed at line %d", failed_line);
    ktest_down(&t);
}

/* ---- killing a process that is inside the kernel ------------------------------------------ */

static int32_t waits_in_enter(void *arg)
{
    (void)arg;
    struct iou u;
    CHECK(iou_create(&u, 4, 4, URING_ENTRIES_64) == IOSIM_OK);
    CHECK(iou_attach_kernel(&u) == IOSIM_OK);
    (void)iou_enter(&u, 1, PORT_WAIT_FOREVER); /* nothing will ever complete */
    return 42; /* never: the kill ends it when the call returns */
}

static void kill_event(void *ctx, uint64_t arg)
{
    struct sim_machine *m = ctx;
    sim_proc_kill(m->procs[arg], -9);
}

static int32_t uses_the_kernel_later(void *arg)
{
    (void)arg;
    port_sleep_ns(50000);
    struct iou u;
    CHECK(iou_create(&u, 4, 4, URING_ENTRIES_64) == IOSIM_OK); /* the kernel lock is free */
    CHECK(iou_attach_kernel(&u) == IOSIM_OK);
    CHECK(ring_call(&u, (struct ring_sqe64){.opcode = RING_OP_NOP}, NULL) == 0);
    return 0;
}

Test(kernel, a_kill_inside_a_system_call_ends_the_process_when_the_call_returns)
{
    struct ktest t;
    ktest_up(&t, 2, SIM_POLICY_RANDOM, 5);
    ktest_spawn(&t, "victim", waits_in_enter, NULL, 0, false);
    ktest_spawn(&t, "later", uses_the_kernel_later, NULL, 0, false);
    cr_assert_eq(sim_dev_after(t.m, 20 * SIM_US, kill_event, t.m, 1, NULL), IOSIM_OK);
    sim_machine_run(t.m);
    cr_assert_eq(t.m->end, SIM_END_ALL_EXITED, "%s", sim_end_reason_name(t.m->end));
    cr_expect_eq(t.m->procs[1]->exit_status, -9);
    cr_expect_eq(t.m->procs[2]->exit_status, 0, "failed at line %d", failed_line);
    ktest_down(&t);
}

/* Offering a ring to a scheme that is not there fails with ENOENT and
 * leaves nothing behind: a client may try again and again while it waits
 * for a server to come up (disk_client does) without running the kernel
 * out of instances. */
static int32_t patient_peer(void *arg)
{
    int32_t *ok = arg;
    struct port_dma mem;
    if (port_dma_alloc(IOU_PEER_PATH_BYTES, 0, &mem) != IOSIM_OK)
        return 1;
    for (int i = 0; i < 300; i++) {
        struct iou_peer p;
        enum iosim_err e = iou_peer_open(&p, "not-yet", mem.host, 8);
        iou_peer_close(&p);
        if (e != IOSIM_ENOENT)
            return 1;
        (*ok)++;
    }
    port_dma_free(&mem);
    return 0;
}

Test(kernel, offering_a_ring_to_a_missing_scheme_leaks_nothing)
{
    static int32_t ok;
    struct ktest t;
    ktest_up(&t, 1, SIM_POLICY_FIFO, 1);
    ktest_spawn(&t, "peer", patient_peer, &ok, 0, false);
    sim_machine_run(t.m);
    cr_assert_eq(t.m->end, SIM_END_ALL_EXITED, "%s", sim_end_reason_name(t.m->end));
    cr_expect_eq(ok, 300, "tries that failed with ENOENT");
    ktest_down(&t);
}

/* ---- waking a server ------------------------------------------------------------------------ */

/* A server sleeps on its scheme ring's push epoch, comparing it with the
 * value it read before its last look at its rings. Two things move that
 * word: the kernel pushing a request (a ring offer) and a client's
 * NOTIFY_PEER on a secondary. Both must move it to a value it never held,
 * or a server that read it between the two sleeps through both. The
 * notify used to fetch_add the word beside the kernel's pusher, whose
 * local epoch stayed behind: its next push stored 2 over 2 (storage/
 * multi-lun seed 45 under random: usbscsid slept with a ring offer and a
 * request waiting). */
struct wake_box {
    uint32_t seen;          /* the epoch after A's offer and notify */
    uint32_t after_offer;   /* after B's offer too */
    enum iosim_err wait;    /* the server's wait on `seen` after B's offer */
    uint32_t accepted;
    bool notified;
    enum iosim_err b_open;
};

static void sleep_until_ns(uint64_t t_ns)
{
    uint64_t now = port_clock_ns();
    if (now < t_ns)
        port_sleep_ns(t_ns - now);
}

/* Accepts the ring offers waiting on the scheme ring, answers them. */
static bool accept_offers(struct iou *main, struct iou *peers, uint32_t *n)
{
    struct ring_sqe64 q;
    while (iou_next_request(main, &q) == IOSIM_OK) {
        if (q.opcode != RING_OP_DUP || *n >= 2)
            return false;
        if (iou_accept_peer(&peers[*n], (int64_t)q.fd, (uint32_t)q.len, (uint32_t)q.offset,
                            (uint32_t)(q.offset >> 32)) != IOSIM_OK)
            return false;
        (*n)++;
        if (iou_reply(main, q.user_data, 0, 0) != IOSIM_OK)
            return false;
    }
    (void)iou_enter(main, 0, 0); /* the kernel takes the answers now */
    return true;
}

static int32_t epoch_server(void *arg)
{
    struct wake_box *b = arg;
    CHECK(port_sys_open(":epochs", 0) >= 0);
    struct iou u, peers[2];
    CHECK(iou_create(&u, 4, 4, URING_ENTRIES_64) == IOSIM_OK);
    CHECK(iou_attach_scheme(&u, "epochs") == IOSIM_OK);
    port_atomic_u32 *word = &u.sq_hdr->shared_push_epoch;
    for (uint32_t g = 0; g < 100 && b->accepted < 1; g++) { /* A's offer */
        uint32_t e = port_load_u32(word, PORT_ACQUIRE);
        CHECK(accept_offers(&u, peers, &b->accepted));
        if (b->accepted < 1)
            (void)port_wait_u32(word, e, PORT_WAIT_FOREVER);
    }
    CHECK(b->accepted == 1);
    sleep_until_ns(300000);
    CHECK(b->notified);
    b->seen = port_load_u32(word, PORT_ACQUIRE); /* then a last look, finding nothing */
    sleep_until_ns(600000);                      /* meanwhile B offers a ring */
    b->after_offer = port_load_u32(word, PORT_ACQUIRE);
    b->wait = port_wait_u32(word, b->seen, 1000000);
    CHECK(accept_offers(&u, peers, &b->accepted));
    return 0;
}

static int32_t notifying_peer(void *arg)
{
    struct wake_box *b = arg;
    struct port_dma mem;
    struct iou_peer p;
    CHECK(port_dma_alloc(IOU_PEER_PATH_BYTES, 0, &mem) == IOSIM_OK);
    CHECK(iou_peer_open(&p, "epochs", mem.host, 4) == IOSIM_OK);
    sleep_until_ns(200000);
    CHECK(iou_peer_notify(&p) == IOSIM_OK);
    b->notified = true;
    sleep_until_ns(5000000); /* a close moves the word too: not before the server looked */
    iou_peer_close(&p);
    return 0;
}

static int32_t late_peer(void *arg)
{
    struct wake_box *b = arg;
    struct port_dma mem;
    struct iou_peer p;
    CHECK(port_dma_alloc(IOU_PEER_PATH_BYTES, 0, &mem) == IOSIM_OK);
    b->b_open = iou_peer_open(&p, "epochs", mem.host, 4);
    iou_peer_close(&p);
    return 0;
}

Test(kernel, a_notify_and_then_a_ring_offer_each_move_the_servers_epoch_to_a_new_value)
{
    static struct wake_box b;
    memset(&b, 0, sizeof b);
    struct ktest t;
    ktest_up(&t, 1, SIM_POLICY_FIFO, 1);
    ktest_spawn(&t, "server", epoch_server, &b, 0, false);
    ktest_spawn(&t, "a", notifying_peer, &b, 20 * SIM_US, false);
    ktest_spawn(&t, "b", late_peer, &b, 400 * SIM_US, false);
    sim_machine_run(t.m);
    cr_assert_eq(t.m->end, SIM_END_ALL_EXITED, "%s", sim_end_reason_name(t.m->end));
    for (uint32_t i = 1; i <= 3; i++)
        cr_expect_eq(t.m->procs[i]->exit_status, 0, "%s failed at line %d", t.m->procs[i]->name,
                     failed_line);
    cr_expect_neq(b.after_offer, b.seen, "the offer left the epoch at %u", b.seen);
    cr_expect_eq(b.wait, IOSIM_OK, "the server slept through the offer: %s", iosim_err_name(b.wait));
    cr_expect_eq(b.accepted, 2);
    cr_expect_eq(b.b_open, IOSIM_OK, "%s", iosim_err_name(b.b_open));
    ktest_down(&t);
}
