/*
 * coro_aarch64.S - context switch for sim/coro on AArch64 (AAPCS64).
 *
 * A suspended context is just a stack pointer. Its 176-byte frame holds,
 * from that pointer upwards (see struct coro_asm_frame in coro.c):
 *     [  0] x19 x20   [ 16] x21 x22   [ 32] x23 x24   [ 48] x25 x26
 *     [ 64] x27 x28   [ 80] x29 x30   [ 96] d8  d9    [112] d10 d11
 *     [128] d12 d13   [144] d14 d15   [160] FPCR      [168] unused
 * x19-x29 and the low 64 bits of v8-v15 are callee-saved under AAPCS64; x30
 * (the link register) holds where to continue. FPCR (rounding mode,
 * flush-to-zero, default NaN) is saved too, so each coroutine keeps its own
 * floating-point mode as on x86-64. The frame size is a multiple of 16, so sp
 * stays 16-byte aligned throughout, as AArch64 requires for sp-based access.
 *
 * This file cannot be run on the build machine (x86-64); it is checked by
 * assembling it with a cross target (clang --target=aarch64-linux-gnu).
 */
#if defined(__aarch64__) && defined(__ELF__)

    .text

/* void sim_coro_asm_switch(void **save_sp, void *load_sp)
 * x0 = where to store the current stack pointer, x1 = stack pointer of the
 * context to resume. */
    .globl  sim_coro_asm_switch
    .hidden sim_coro_asm_switch
    .type   sim_coro_asm_switch, %function
    .p2align 4
sim_coro_asm_switch:
    .cfi_startproc
    sub     sp, sp, #176
    .cfi_def_cfa_offset 176
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    .cfi_offset x29, -96
    .cfi_offset x30, -88
    stp     d8, d9, [sp, #96]
    stp     d10, d11, [sp, #112]
    stp     d12, d13, [sp, #128]
    stp     d14, d15, [sp, #144]
    mrs     x9, fpcr
    str     x9, [sp, #160]

    mov     x10, sp
    str     x10, [x0]
    mov     sp, x1

    /* Writing FPCR can be slow (it may synchronise the FP pipeline), and
     * coroutines almost never change it: write only on a difference. */
    ldr     x9, [sp, #160]
    mrs     x10, fpcr
    cmp     x9, x10
    b.eq    1f
    msr     fpcr, x9
1:
    ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    ldp     d8, d9, [sp, #96]
    ldp     d10, d11, [sp, #112]
    ldp     d12, d13, [sp, #128]
    ldp     d14, d15, [sp, #144]
    add     sp, sp, #176
    .cfi_def_cfa_offset 0
    .cfi_restore x29
    .cfi_restore x30
    ret
    .cfi_endproc
    .size   sim_coro_asm_switch, .-sim_coro_asm_switch

/* First code of every coroutine: the initial frame "returns" here (x30)
 * with x19 = the coroutine and x20 = its C entry function, which never
 * returns. x29 = 0 ends frame-pointer chains; the undefined x30 ends
 * CFI-based unwinding. */
    .globl  sim_coro_asm_trampoline
    .hidden sim_coro_asm_trampoline
    .type   sim_coro_asm_trampoline, %function
    .p2align 4
sim_coro_asm_trampoline:
    .cfi_startproc
    .cfi_undefined x30
    mov     x0, x19
    blr     x20
    brk     #0x1
    .cfi_endproc
    .size   sim_coro_asm_trampoline, .-sim_coro_asm_trampoline

/* void sim_coro_asm_fpctl_save(void *dst)
 * Stores the current FPCR as a 64-bit value, the layout of frame slot
 * [160], so a new coroutine inherits its creator's floating-point mode. */
    .globl  sim_coro_asm_fpctl_save
    .hidden sim_coro_asm_fpctl_save
    .type   sim_coro_asm_fpctl_save, %function
    .p2align 4
sim_coro_asm_fpctl_save:
    .cfi_startproc
    mrs     x9, fpcr
    str     x9, [x0]
    ret
    .cfi_endproc
    .size   sim_coro_asm_fpctl_save, .-sim_coro_asm_fpctl_save

#endif

#if defined(__ELF__)
/* The stack of this object need not be executable. */
    .section .note.GNU-stack, "", %progbits
#endif
