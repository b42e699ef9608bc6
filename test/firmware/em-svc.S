@ Exception entry and return, hand-checked (ARMv7-M ARM B1.5.6, B1.5.8): no C library, no FPU
@ (CONTROL.FPCA stays 0: basic 8-word frames), every SP change visible here.
@  1. `svc #42` from Thread mode on MSP: SVC_Handler reads the immediate from the halfword before the
@     stacked return address and writes it into the stacked R0, which the return restores.
@  2. PendSV pended through ICSR.PENDSVSET: taken at the next block boundary; its handler is a lone
@     `bx lr`: 12 (entry) + 3 (bx lr: 1 + P, P = 2) + 10 (return) = 25 modeled cycles.
@  3. Thread mode on PSP (MSR PSP, MSR CONTROL = SPSEL): push {r0-r3}, then `svc #7` stacks its frame
@     on PSP and returns with EXC_RETURN 0xFFFFFFFD.
@ Stack high-water: MSP 32 (frame of 1) + 8 (SVC_Handler's push) = 40 bytes; PSP 16 + 32 = 48 bytes
@ below psp_top. Exit status: 42 + 7 = 49 (R0 of both SVCs, rewritten by the handler).
@ Bad input: -DNO_THUMB_BIT (the SVCall vector lacks the Thumb bit), -DBAD_EXC_RETURN (PendSV returns
@ to the reserved EXC_RETURN 0xFFFFFFF5), -DSTACKING_OVERFLOW (the SVC frame would be stacked into .bss).
#include "semihost-exit.h"

  .syntax unified
  .cpu cortex-m4
  .thumb

  .section .isr_vector, "a"
  .word _estack
  .word Reset_Handler + 1
  .word 0, 0, 0, 0, 0, 0, 0, 0, 0
#ifdef NO_THUMB_BIT
  .word svc_plain            @ 11 SVCall, bad: no Thumb bit (a label that is not a Thumb function)
#else
  .word SVC_Handler + 1      @ 11 SVCall
#endif
  .word 0, 0
  .word PendSV_Handler + 1   @ 14 PendSV
  .word 0                    @ 15 SysTick

  .text
  .thumb_func
  .global Reset_Handler
  .type Reset_Handler, %function
Reset_Handler:
#ifdef STACKING_OVERFLOW
  ldr r0, =bss_end + 16      @ 16 bytes above the end of .bss: the 32-byte frame would overlap it
  mov sp, r0
#endif
  svc #42
  mov r5, r0
  ldr r0, =0xE000ED04        @ ICSR
  ldr r1, =0x10000000        @ PENDSVSET
  str r1, [r0]
  b 1f
1:
  ldr r0, =psp_top
  msr psp, r0
  movs r0, #2                @ CONTROL.SPSEL = 1: Thread mode uses PSP
  msr control, r0
  isb
  push {r0-r3}
  svc #7
  adds r5, r5, r0
  pop {r0-r3}
  semihost_exit r5

  .thumb_func
  .type SVC_Handler, %function
SVC_Handler:
svc_plain:
  tst lr, #4                 @ EXC_RETURN bit 2: the frame is on PSP
  ite eq
  mrseq r1, msp
  mrsne r1, psp
  push {r4, lr}
  ldr r2, [r1, #24]          @ stacked return address
  ldrb r3, [r2, #-2]         @ imm8 of the SVC before it
  str r3, [r1]               @ stacked R0
  pop {r4, pc}               @ exception return by POP of EXC_RETURN

  .thumb_func
  .type PendSV_Handler, %function
PendSV_Handler:
#ifdef BAD_EXC_RETURN
  ldr r0, =0xfffffff5        @ reserved EXC_RETURN: INVPC
  bx r0
#else
  bx lr
#endif

  .ltorg

  .bss
  .align 2

  .bss
  .align 3
  .type psp_stack, %object
  .size psp_stack, 256
psp_stack:
  .space 256
psp_top:
bss_end:
