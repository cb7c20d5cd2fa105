/*
 * kern_internal.h - the kernel's data structures and the functions its
 * files share. Not for use outside impl/kernel.
 *
 * Invariants (checked by kern_check() in debug builds):
 * - a file slot is free iff scheme == NULL;
 * - a request is free iff route == KR_FREE; a pending request is on exactly
 *   one list: a user scheme's backlog, its readers, or delivered (waiting
 *   for the server's answer);
 * - an instance's producer handles are valid iff mode == KM_U2K, its consumer
 *   handles iff mode == KM_K2U; no code path takes one for the other
 *   (distinct types: struct kern_producer / struct kern_consumer).
 */
#ifndef IOSIM_KERNEL_INTERNAL_H
#define IOSIM_KERNEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impl/kernel/kernel.h"
#include "impl/kernel/uring_abi.h"
#include "impl/port/port.h"
#include "impl/ring/ring.h"

#define KERN_PROCS_MAX 64u
#define KERN_FDS_MAX 64u
#define KERN_SCHEMES_MAX 32u
#define KERN_INSTS_MAX 64u
#define KERN_REQS_MAX 256u
#define KERN_NAME_MAX 32u
#define KERN_PATH_MAX 128u
#define KERN_EXITS_MAX 256u
#define KERN_NONE UINT32_MAX

/* poll_handle: the request is not finished; kern_req_finish() will be called. */
#define KERN_PENDING INT64_MIN

struct kern;
struct kern_req;

/* One operation on a scheme, synchronous or not. */
struct kern_call {
    uint32_t pid;          /* the caller */
    uint8_t op;            /* enum ring_op */
    uint32_t fd;           /* the caller's fd (KERN_NONE for open) */
    uint64_t handle;       /* the scheme's handle behind fd */
    void *buf;             /* read / write buffer, funmap address */
    uint64_t len;
    uint64_t offset;
    uint64_t flags;
    char path[KERN_PATH_MAX]; /* open: the path after "name:"; dup: the suffix */
    void *out_addr;        /* fmap: the mapping */
};

struct kern_scheme_ops {
    int64_t (*open)(struct kern *k, void *ctx, struct kern_call *c);
    int64_t (*close)(struct kern *k, void *ctx, struct kern_call *c);
    int64_t (*read)(struct kern *k, void *ctx, struct kern_call *c);
    int64_t (*write)(struct kern *k, void *ctx, struct kern_call *c);
    int64_t (*fsync)(struct kern *k, void *ctx, struct kern_call *c);
    int64_t (*fmap)(struct kern *k, void *ctx, struct kern_call *c);
    int64_t (*funmap)(struct kern *k, void *ctx, struct kern_call *c);
    int64_t (*dup)(struct kern *k, void *ctx, struct kern_call *c);
    /* asynchronous schemes only: a result, or KERN_PENDING */
    int64_t (*poll_handle)(struct kern *k, void *ctx, struct kern_req *req);
};

struct kern_scheme {
    char name[KERN_NAME_MAX];      /* "" for the root scheme */
    const struct kern_scheme_ops *ops;
    void *ctx;
    bool used;
};

struct kern_file {
    struct kern_scheme *scheme;    /* NULL: free */
    uint64_t handle;
};

struct kern_proc {
    uint32_t pid;                  /* 0: free slot */
    struct kern_file fds[KERN_FDS_MAX];
};

/* ---- io_uring instances ------------------------------------------------ */

enum kern_inst_state { KI_FREE, KI_INITIAL, KI_CREATED, KI_ATTACHED };
enum kern_inst_mode { KM_NONE, KM_U2K, KM_K2U, KM_U2U };

struct kern_regions {
    struct uring_create_info ci;
    struct ring_header *sq_hdr, *cq_hdr;
    void *sq_ents, *cq_ents;
    size_t sq_ents_bytes, cq_ents_bytes;
};

/* The kernel serving an instance (userspace -> kernel): it pops SQEs and
 * pushes CQEs. `inflight` counts SQEs taken whose CQE is not posted yet;
 * the kernel takes an SQE only while the CQ has room for every one of
 * them, so a completion always fits and dispatch never blocks. */
struct kern_producer {
    struct ring_popper sq;
    struct ring_pusher cq;
    uint32_t consumer_pid;
    uint32_t inflight;
    bool broken;
};

/* The kernel requesting through an instance (kernel -> userspace, the
 * ring of a user scheme): it pushes SQEs and pops CQEs. */
struct kern_consumer {
    struct ring_pusher sq;
    struct ring_popper cq;
    uint32_t producer_pid;
    uint32_t scheme;               /* index of the user scheme it serves */
    bool broken;
};

struct kern_inst {
    enum kern_inst_state state;
    enum kern_inst_mode mode;
    uint32_t owner_pid;            /* opened it; the consumer except in KM_K2U */
    uint32_t peer_pid;             /* KM_U2U: the producer */
    struct kern_regions reg;
    struct kern_producer prod;     /* KM_U2K only */
    struct kern_consumer cons;     /* KM_K2U only */
};

/* ---- requests ----------------------------------------------------------- */

enum kern_req_route {
    KR_FREE,
    KR_SYNC,      /* a system call waiting on done_word */
    KR_RING,      /* an SQE of a userspace -> kernel instance: answer with a CQE */
    KR_DETACHED,  /* nobody waits any more (the caller ended): drop the answer */
};

enum kern_req_place { KQ_NONE, KQ_BACKLOG, KQ_READERS, KQ_DELIVERED };

struct kern_req {
    enum kern_req_route route;
    enum kern_req_place place;
    uint32_t next;                 /* list link (index), KERN_NONE at the end */
    struct kern_scheme *scheme;
    struct kern_call call;
    int64_t result;
    port_atomic_u32 done_word;     /* KR_SYNC: 1 once result is set */
    uint32_t inst;                 /* KR_RING: the instance to answer on */
    uint64_t user_data;            /* KR_RING: the SQE's user_data */
    uint32_t gen;                  /* bumped on reuse: ids are (gen << 16 | index) */
    /* turns the server's answer into the result (a secondary-ring attach) */
    int64_t (*on_answer)(struct kern *k, struct kern_req *r, int64_t status);
    uint32_t aux;                  /* on_answer's state */
    uint32_t aux2;                 /* the served scheme it was submitted to */
};

/* ---- user schemes --------------------------------------------------------- */

struct kern_list {
    uint32_t head, tail;           /* request indices, KERN_NONE when empty */
};

struct kern_uscheme {
    bool used;
    uint32_t owner_pid;
    uint32_t scheme;               /* its entry in k->schemes */
    uint32_t ring;                 /* its kernel -> userspace instance, or KERN_NONE */
    struct kern_list backlog;      /* requests not yet handed to the server */
    struct kern_list readers;      /* the server's pending packet reads on its socket */
    struct kern_list delivered;    /* handed over, waiting for the answer */
};

/* ---- the kernel ------------------------------------------------------------- */

struct kern {
    port_atomic_u32 lock;
    port_atomic_u32 work_word;     /* kern_main sleeps on it */
    port_atomic_u32 exit_tail;     /* exit queue: producers */
    uint32_t exit_head;            /* consumer (kern_main, under the lock) */
    port_atomic_u32 exits[KERN_EXITS_MAX];
    port_atomic_u32 stopping;
    struct kern_proc procs[KERN_PROCS_MAX];
    struct kern_scheme schemes[KERN_SCHEMES_MAX];
    struct kern_inst insts[KERN_INSTS_MAX];
    struct kern_req reqs[KERN_REQS_MAX];
    struct kern_uscheme uschemes[KERN_SCHEMES_MAX];
    uint32_t root, null, uring;    /* scheme indices of the built-ins */
    struct kern_stats stats;
};

/* kernel.c */
void kern_lock(struct kern *k);
void kern_unlock(struct kern *k);
struct kern_proc *kern_proc_get(struct kern *k, uint32_t pid, bool create);
struct kern_file *kern_fd_get(struct kern *k, uint32_t pid, uint64_t fd);
int64_t kern_fd_alloc(struct kern *k, uint32_t pid, struct kern_scheme *s, uint64_t handle);
void kern_fd_free(struct kern *k, uint32_t pid, uint64_t fd);
uint32_t kern_scheme_add(struct kern *k, const char *name, const struct kern_scheme_ops *ops,
                         void *ctx);
struct kern_scheme *kern_scheme_find(struct kern *k, const char *name, size_t len);
int64_t kern_err(enum iosim_err e);
int64_t kern_call_op(struct kern *k, struct kern_scheme *s, struct kern_call *c);
int64_t kern_call_sync(struct kern *k, struct kern_scheme *s, struct kern_call *c);

/* requests (kernel.c) */
struct kern_req *kern_req_alloc(struct kern *k, enum kern_req_route route);
uint32_t kern_req_id(const struct kern *k, const struct kern_req *r);
struct kern_req *kern_req_by_id(struct kern *k, uint64_t id);
void kern_req_finish(struct kern *k, struct kern_req *r, int64_t result);
void kern_req_free(struct kern *k, struct kern_req *r);

/* lists of requests (kern_user.c) */
void kern_list_init(struct kern_list *l);
void kern_list_push(struct kern *k, struct kern_list *l, struct kern_req *r,
                    enum kern_req_place place);
struct kern_req *kern_list_pop(struct kern *k, struct kern_list *l);
void kern_list_remove(struct kern *k, struct kern_list *l, struct kern_req *r);

/* the io_uring scheme (kern_uring.c) */
extern const struct kern_scheme_ops kern_uring_ops;
struct kern_inst *kern_inst_of(struct kern *k, uint32_t pid, uint64_t fd);
void kern_uring_post(struct kern *k, struct kern_req *r);
int64_t kern_uring_enter(struct kern *k, uint32_t pid, uint64_t fd, uint64_t min,
                         uint64_t timeout_ns);
void kern_uring_proc_gone(struct kern *k, uint32_t pid);
enum iosim_err kern_uring_attach_scheme_ring(struct kern *k, struct kern_inst *inst,
                                             uint32_t uscheme);

/* the root scheme and user schemes (kern_user.c) */
extern const struct kern_scheme_ops kern_root_ops;
extern const struct kern_scheme_ops kern_user_ops;
void kern_user_deliver(struct kern *k, struct kern_uscheme *u);
void kern_user_answer(struct kern *k, struct kern_uscheme *u, uint64_t user_data, int64_t status);
void kern_user_proc_gone(struct kern *k, uint32_t pid);
void kern_user_ring_gone(struct kern *k, struct kern_uscheme *u);
struct kern_uscheme *kern_user_find(struct kern *k, const char *name);
int64_t kern_user_submit(struct kern *k, struct kern_uscheme *u, struct kern_req *r);

/* checkers, for ASSERT only (kern_check.c): the invariants above */
bool kern_check(const struct kern *k);
bool kern_req_check(const struct kern *k, const struct kern_req *r);
bool kern_inst_check(const struct kern *k, const struct kern_inst *inst);

/* the null scheme (kern_null.c) */
extern const struct kern_scheme_ops kern_null_ops;

#endif /* IOSIM_KERNEL_INTERNAL_H */
