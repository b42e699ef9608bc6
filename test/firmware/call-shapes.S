@ Every way code leaves an activation, for the shadow call stack (native/m4sim_native.cc), with
@ no C library and no start-up code. Reset_Handler runs three rounds (r7 = 3, 2, 1) of:
@   returns:     bx lr; pop {r4, pc}; ldr pc, [sp], #4; ldm sp!, {r4, pc}; mov pc, lr; bx r3
@                (LR copied); a conditional bxeq lr
@   tail calls:  b leaf; bne leaf (taken when r7 != 2); bx r3 to leaf (an indirect tail call)
@   calls:       blx r3 to indirect_callee
@   local:       an ldr pc, [r3, r0, lsl #2] jump table in a frameless function
@   recursion:   rec_indirect(2): the innermost activation jumps (bx r3) to the address right after
@                the recursive call, which is its own frame's return address, with SP below the
@                frame's call SP: not a return
@   longjmp:     nonlocal_outer saves SP and a landing address, calls nl_deep1 → nl_deep2 → nl_jump,
@                which restores SP and branches to the landing; nonlocal_outer then calls nl_after
@   exception:   svc #0: SVC_Handler calls in_handler
@ then deepest_chain → deepest_leaf, which reserves 256 bytes: the deepest stack point.
@ Hand counts (calls): every function above 3, leaf 3 + 2 + 3 = 8, rec_indirect 9, deepest_* 1.
@ Tail-called code belongs to the tail-caller's caller: leaf's only parent is Reset_Handler.
#include "semihost-exit.h"

  .syntax unified
  .cpu cortex-m4
  .thumb

  .section .isr_vector, "a"
  .word _estack
  .word Reset_Handler + 1
  .word 0, 0, 0, 0, 0, 0, 0, 0, 0
  .word SVC_Handler + 1      @ 11 SVCall
  .word 0, 0, 0, 0

  .text

.macro func name
  .thumb_func
  .global \name
  .type \name, %function
\name:
.endm

func Reset_Handler
  movs r7, #3
round:
  bl ret_bx_lr
  bl ret_pop_pc
  bl ret_ldr_pc_post
  bl ret_ldm
  bl ret_mov_pc
  bl ret_bx_other
  bl ret_cond
  bl tail_direct
  bl tail_cond
  bl tail_indirect
  ldr r3, =indirect_callee + 1
  blx r3
  bl jump_table
  movs r0, #2
  bl rec_indirect
  bl nonlocal_outer
  svc #0
  subs r7, #1
  bne round
  bl deepest_chain
  movs r4, #0
  semihost_exit r4
  .size Reset_Handler, . - Reset_Handler

func ret_bx_lr
  bx lr
  .size ret_bx_lr, . - ret_bx_lr

func ret_pop_pc
  push {r4, lr}
  pop {r4, pc}
  .size ret_pop_pc, . - ret_pop_pc

func ret_ldr_pc_post
  push {lr}
  ldr pc, [sp], #4
  .size ret_ldr_pc_post, . - ret_ldr_pc_post

func ret_ldm
  stmdb sp!, {r4, lr}
  ldmia.w sp!, {r4, pc}
  .size ret_ldm, . - ret_ldm

func ret_mov_pc
  mov pc, lr
  .size ret_mov_pc, . - ret_mov_pc

func ret_bx_other
  mov r3, lr
  bx r3
  .size ret_bx_other, . - ret_bx_other

func ret_cond
  cmp r0, r0
  it eq
  bxeq lr
  b .
  .size ret_cond, . - ret_cond

func tail_direct
  push {r4, lr}
  pop {r4, lr}
  b leaf
  .size tail_direct, . - tail_direct

func tail_cond
  cmp r7, #2
  bne leaf
  bx lr
  .size tail_cond, . - tail_cond

func tail_indirect
  ldr r3, =leaf + 1
  bx r3
  .size tail_indirect, . - tail_indirect

func leaf
  bx lr
  .size leaf, . - leaf

func indirect_callee
  bx lr
  .size indirect_callee, . - indirect_callee

func jump_table
  and r0, r7, #1
  adr r3, table
  ldr pc, [r3, r0, lsl #2]
  .align 2
table:
  .word case0 + 1
  .word case1 + 1
case0:
  movs r0, #10
  bx lr
case1:
  movs r0, #11
  bx lr
  .size jump_table, . - jump_table

func rec_indirect
  push {r4, lr}
  cbz r0, innermost
  subs r0, #1
  bl rec_indirect
after_call:
  pop {r4, pc}
innermost:
  ldr r3, =after_call + 1
  bx r3
  .size rec_indirect, . - rec_indirect

func nonlocal_outer
  push {r4, lr}
  ldr r0, =jmpbuf
  mov r1, sp
  str r1, [r0]
  ldr r1, =landing + 1
  str r1, [r0, #4]
  bl nl_deep1
  b .
landing:
  bl nl_after
  pop {r4, pc}
  .size nonlocal_outer, . - nonlocal_outer

func nl_deep1
  push {r4, lr}
  sub sp, #8
  bl nl_deep2
  b .
  .size nl_deep1, . - nl_deep1

func nl_deep2
  push {r4, lr}
  bl nl_jump
  b .
  .size nl_deep2, . - nl_deep2

func nl_jump
  ldr r0, =jmpbuf
  ldr r1, [r0]
  mov sp, r1
  ldr r2, [r0, #4]
  bx r2
  .size nl_jump, . - nl_jump

func nl_after
  bx lr
  .size nl_after, . - nl_after

func SVC_Handler
  push {r4, lr}
  bl in_handler
  pop {r4, pc}
  .size SVC_Handler, . - SVC_Handler

func in_handler
  bx lr
  .size in_handler, . - in_handler

func deepest_chain
  push {r4, lr}
  bl deepest_leaf
  pop {r4, pc}
  .size deepest_chain, . - deepest_chain

func deepest_leaf
  sub sp, #256
  add sp, #256
  bx lr
  .size deepest_leaf, . - deepest_leaf

  .ltorg

  .bss
  .align 2
jmpbuf:
  .space 8
