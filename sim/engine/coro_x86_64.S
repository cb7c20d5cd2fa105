/*
 * coro_x86_64.S - context switch for sim/coro on x86-64 (System V ABI).
 *
 * A suspended context is just a stack pointer. Its stack holds, from that
 * pointer upwards (8-byte slots, see struct coro_asm_frame in coro.c):
 *     [0] MXCSR (bytes 0-3), x87 control word (bytes 4-5), zero (6-7)
 *     [1] r15  [2] r14  [3] r13  [4] r12  [5] rbx  [6] rbp
 *     [7] return address
 * These are exactly the registers the ABI makes callee-saved, plus the
 * control bits of MXCSR and the x87 control word, which the ABI also makes
 * callee-saved. Everything else is caller-saved, so the C compiler has
 * already spilled whatever it needs around the call.
 *
 * The frame contents and CFA offsets are identical on both sides of the
 * stack swap, so one set of CFI notes describes the whole function and a
 * debugger can unwind through a suspended coroutine.
 */
#if defined(__x86_64__) && defined(__ELF__)

    .text

/* void sim_coro_asm_switch(void **save_sp, void *load_sp)
 * Saves the current context on the current stack, stores its stack pointer
 * in *save_sp, and resumes the context whose stack pointer is load_sp. */
    .globl  sim_coro_asm_switch
    .hidden sim_coro_asm_switch
    .type   sim_coro_asm_switch, @function
    .p2align 4
sim_coro_asm_switch:
    .cfi_startproc
    pushq   %rbp
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbp, 0
    pushq   %rbx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbx, 0
    pushq   %r12
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r12, 0
    pushq   %r13
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r13, 0
    pushq   %r14
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r14, 0
    pushq   %r15
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r15, 0
    pushq   $0                  /* zeroed, so the slot compares whole */
    .cfi_adjust_cfa_offset 8
    stmxcsr (%rsp)
    fnstcw  4(%rsp)
    movq    (%rsp), %rax

    movq    %rsp, (%rdi)
    movq    %rsi, %rsp

    /* Loading MXCSR and the x87 control word is slow and almost always a
     * no-op (coroutines rarely change their floating-point mode): load only
     * when the incoming slot differs from the outgoing one. */
    cmpq    (%rsp), %rax
    jne     .Lload_fpctl
.Lfpctl_done:
    addq    $8, %rsp
    .cfi_adjust_cfa_offset -8
    popq    %r15
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r15
    popq    %r14
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r14
    popq    %r13
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r13
    popq    %r12
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r12
    popq    %rbx
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbx
    popq    %rbp
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbp
    ret
.Lload_fpctl:
    .cfi_adjust_cfa_offset 56
    .cfi_rel_offset %rbp, 48
    .cfi_rel_offset %rbx, 40
    .cfi_rel_offset %r12, 32
    .cfi_rel_offset %r13, 24
    .cfi_rel_offset %r14, 16
    .cfi_rel_offset %r15, 8
    ldmxcsr (%rsp)
    fldcw   4(%rsp)
    jmp     .Lfpctl_done
    .cfi_endproc
    .size   sim_coro_asm_switch, .-sim_coro_asm_switch

/* First code of every coroutine: the initial frame "returns" here with
 * r12 = the coroutine and r13 = its C entry function, which never returns.
 * The stack pointer is 16-byte aligned at this point, so the call gives the
 * callee the alignment the ABI promises. The return address is marked
 * undefined so that unwinders and debuggers stop here. */
    .globl  sim_coro_asm_trampoline
    .hidden sim_coro_asm_trampoline
    .type   sim_coro_asm_trampoline, @function
    .p2align 4
sim_coro_asm_trampoline:
    .cfi_startproc
    .cfi_undefined %rip
    movq    %r12, %rdi
    callq   *%r13
    ud2
    .cfi_endproc
    .size   sim_coro_asm_trampoline, .-sim_coro_asm_trampoline

/* void sim_coro_asm_fpctl_save(void *dst)
 * Stores the current MXCSR (bytes 0-3) and x87 control word (bytes 4-5)
 * in the layout of slot [0] above, so a new coroutine inherits them. */
    .globl  sim_coro_asm_fpctl_save
    .hidden sim_coro_asm_fpctl_save
    .type   sim_coro_asm_fpctl_save, @function
    .p2align 4
sim_coro_asm_fpctl_save:
    .cfi_startproc
    stmxcsr (%rdi)
    fnstcw  4(%rdi)
    ret
    .cfi_endproc
    .size   sim_coro_asm_fpctl_save, .-sim_coro_asm_fpctl_save

#endif

#if defined(__ELF__)
/* The stack of this object need not be executable. */
    .section .note.GNU-stack, "", %progbits
#endif
