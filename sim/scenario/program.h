/*
 * program.h - scenario programs: the small step language of `processes:`.
 *
 * Before the drivers exist, and forever for engine conformance tests, a
 * scenario describes what its processes do as a list of steps: atomic loads
 * and stores with explicit memory orders, plain shared-memory reads and
 * writes, register arithmetic, loops, spinning, sleeping, MMIO, DMA buffers,
 * interrupt waits and assertions (docs/scenario-format.md lists them all).
 * The interpreter runs as a simulated process and does everything through
 * impl/port, exactly like production code, so every step is a yield point.
 *
 * A program is a flat array of steps; a `repeat` step's body is the range
 * of steps right after it. Registers r0..r15 are 64-bit, zero at start.
 *
 * Assertions do not print: each assert step keeps a tally (evaluated,
 * failed, first failure text) that the run turns into expectation results.
 *
 * The interpreter is sim/run/program_exec.h. Ownership: a program owns its
 * steps and their strings.
 */
#ifndef IOSIM_SIM_PROGRAM_H
#define IOSIM_SIM_PROGRAM_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/atomic.h"
#include "impl/port/err.h"
#include "sim/engine/time.h"

#define SIM_PROG_REGS 16u
#define SIM_PROG_STEPS_MAX 4096u
#define SIM_PROG_DEPTH_MAX 16u
#define SIM_PROG_REPEAT_MAX 10000000u
#define SIM_PROG_TEXT_MAX 160u

enum sim_step_kind {
    SIM_STEP_LOAD,       /* atomic load -> reg */
    SIM_STEP_STORE,      /* atomic store */
    SIM_STEP_RMW,        /* fetch_add/sub/or/and, xchg -> reg (old value) */
    SIM_STEP_CAS,        /* -> reg: 1 on success, 0 on failure */
    SIM_STEP_FENCE,
    SIM_STEP_READ,       /* port_shm_read of 1..8 bytes -> reg */
    SIM_STEP_WRITE,      /* port_shm_write of 1..8 bytes */
    SIM_STEP_ALU,        /* reg = reg op value */
    SIM_STEP_WORK,       /* compute for a while (a yield point with that cost) */
    SIM_STEP_SLEEP,
    SIM_STEP_YIELD,
    SIM_STEP_REPEAT,
    SIM_STEP_SPIN_UNTIL, /* load until the comparison holds, spinning */
    SIM_STEP_MMIO_READ,
    SIM_STEP_MMIO_WRITE,
    SIM_STEP_DMA_ALLOC,  /* bus address -> reg */
    SIM_STEP_DMA_FREE,
    SIM_STEP_IRQ_WAIT,   /* -> reg: 1 when the interrupt came, 0 on timeout */
    SIM_STEP_ASSERT,
    SIM_STEP_LOG,
    SIM_STEP_EXIT,
};

enum sim_alu_op { SIM_ALU_SET, SIM_ALU_ADD, SIM_ALU_SUB, SIM_ALU_AND, SIM_ALU_OR, SIM_ALU_XOR,
                  SIM_ALU_SHL, SIM_ALU_SHR, SIM_ALU_MUL };
enum sim_rmw_op { SIM_RMW_ADD, SIM_RMW_SUB, SIM_RMW_OR, SIM_RMW_AND, SIM_RMW_XCHG };
enum sim_cmp { SIM_CMP_EQ, SIM_CMP_NE, SIM_CMP_LT, SIM_CMP_LE, SIM_CMP_GT, SIM_CMP_GE };

/* An immediate, or a register plus an offset. */
struct sim_operand {
    bool is_reg;
    uint8_t reg;
    uint64_t imm;    /* the value, or the offset added to the register */
};

struct sim_step {
    enum sim_step_kind kind;
    uint32_t line, col;            /* in the scenario file */
    uint8_t size;                  /* bytes: loads, stores, reads, writes, MMIO */
    uint8_t dst;                   /* destination register */
    bool has_dst;
    enum port_order order;
    enum sim_alu_op alu;
    enum sim_rmw_op rmw;
    enum sim_cmp cmp;
    struct sim_operand addr;       /* memory address, MMIO offset, DMA size */
    struct sim_operand value;      /* stored / compared / ALU operand; CAS expected */
    struct sim_operand value2;     /* CAS desired; DMA alignment */
    uint64_t count;                /* repeat count, spin limit */
    uint32_t body_len;             /* repeat: the next body_len steps */
    bool shrink;                   /* repeat: `shrink: true`, iosim shrink may lower count */
    sim_time_ps time_ps;           /* work, sleep, irq timeout (SIM_TIME_MAX: none) */
    uint32_t device;               /* MMIO: index into the run's device table, or
                                      SIM_PROG_NO_DEVICE: addr is physical */
    uint32_t line_irq;             /* irq_wait: the line */
    int32_t exit_status;
    char text[SIM_PROG_TEXT_MAX];  /* assert message, log text */
    /* assertion tally, written while running */
    uint64_t evaluated;
    uint64_t failed;
    char failure[SIM_PROG_TEXT_MAX];
};

struct sim_program {
    struct sim_step *steps;
    uint32_t count;
};

/* A device window a program can reach by name (from the scenario). */
struct sim_prog_device {
    const char *name;
    uint64_t base;
    uint64_t len;
};

#define SIM_PROG_DEVICES_MAX 32u
#define SIM_PROG_NO_DEVICE UINT32_MAX
#define SIM_PROG_IRQS_MAX 16u
#define SIM_PROG_DMA_MAX 64u

/* Frees the steps (the program itself is the caller's storage). */
void sim_program_free(struct sim_program *prog);

#endif /* IOSIM_SIM_PROGRAM_H */
