@ Lazy FP context stacking (ARMv7-M ARM B1.5.7, B3.2.23-25 FPCCR/FPCAR/FPDSCR): Thread mode on MSP
@ with the FP context active (CONTROL.FPCA set by the first FPU instruction, FPCCR.ASPEN), S0-S15
@ and FPSCR loaded with known values, the 26 words below SP filled with 0xA5A5A5A5 before each
@ exception so a frame word nobody wrote is visible.
@  1. `svc #1`: SVC_Handler never uses the FPU. It records FPCCR (LSPACT set), FPCAR and its MSP
@     (the frame), and copies the frame's FP area (18 words from FPCAR) to area_svc: still the fill.
@  2. IRQ 0 (set pending through STIR): IRQ0_Handler records FPCCR (LSPACT set) in one block, then
@     loads S0-S15 from other values (its first FPU instruction: the deferred save happens first),
@     records FPCCR again (LSPACT clear) and FPCAR, and copies the FP area to area_irq: S0-S15 and
@     FPSCR of Thread mode, then the reserved word (still the fill).
@  3. PendSV (ICSR.PENDSVSET), handler `bx lr`; SysTick (ICSR.PENDSTSET), handler
@     `vmov s0, r0; bx lr`: the cycle counts.
@ After each return Thread mode stores S0-S15 and FPSCR to after_*: the values it had.
@ -DNO_LSPEN clears FPCCR.LSPEN first: the FP area is written at entry instead.
@ Exit status 0; results in res/area_*/after_* (read by test/lazy-fp.test.ts).
#include "semihost-exit.h"

  .syntax unified
  .cpu cortex-m4
  .fpu fpv4-sp-d16
  .thumb

  .section .isr_vector, "a"
  .word _estack
  .word Reset_Handler + 1
  .word 0, 0, 0, 0, 0, 0, 0, 0, 0
  .word SVC_Handler + 1      @ 11 SVCall
  .word 0, 0
  .word PendSV_Handler + 1   @ 14 PendSV
  .word SysTick_Handler + 1  @ 15 SysTick
  .word IRQ0_Handler + 1     @ 16 IRQ 0

  .equ FPCCR, 0xE000EF34
  .equ FPCAR, 0xE000EF38

@ 32 words below SP := 0xA5A5A5A5 (the extended frame is 26 words).
.macro FILL
  mov r0, sp
  ldr r1, =0xA5A5A5A5
  movs r2, #32
9:
  str r1, [r0, #-4]!
  subs r2, #1
  bne 9b
.endm

@ S0-S15 and FPSCR to \buf (17 words).
.macro SAVE_FP buf
  ldr r0, =\buf
  vstmia r0!, {s0-s15}
  vmrs r1, fpscr
  str r1, [r0]
.endm

  .text
  .thumb_func
  .global Reset_Handler
  .type Reset_Handler, %function
Reset_Handler:
  ldr r4, =res
  ldr r0, =FPCCR
  ldr r1, [r0]
  str r1, [r4, #0]           @ res[0]: FPCCR at reset
#ifdef NO_LSPEN
  ldr r1, =0x80000000        @ ASPEN only
  str r1, [r0]
#endif
  ldr r0, =0xE000ED88        @ CPACR: CP10, CP11 full access
  ldr r1, =0x00F00000
  str r1, [r0]
  dsb
  isb
  ldr r0, =thread_vals
  vldmia r0, {s0-s15}        @ first FPU instruction: CONTROL.FPCA = 1 (ASPEN)
  ldr r0, =0xF0000000        @ FPSCR: N, Z, C, V set
  vmsr fpscr, r0
  vmrs r1, fpscr
  str r1, [r4, #40]          @ res[10]: FPSCR as set
  mrs r1, control
  str r1, [r4, #4]           @ res[1]: CONTROL after FPU use

  FILL
  vmrs r1, fpscr
  str r1, [r4, #44]          @ res[11]: FPSCR before the SVC
  svc #1
  SAVE_FP after_svc

  FILL
  ldr r0, =0xE000E100        @ NVIC ISER0: enable IRQ 0
  movs r1, #1
  str r1, [r0]
  ldr r0, =0xE000EF00        @ STIR: pend IRQ 0
  movs r1, #0
  str r1, [r0]
  b 1f
1:
  SAVE_FP after_irq

  ldr r0, =0xE000ED04        @ ICSR
  ldr r1, =0x10000000        @ PENDSVSET
  str r1, [r0]
  b 2f
2:
  SAVE_FP after_pendsv

  ldr r0, =0xE000ED04
  ldr r1, =0x04000000        @ PENDSTSET
  str r1, [r0]
  b 3f
3:
  SAVE_FP after_systick

  ldr r0, =FPCCR
  ldr r1, [r0]
  str r1, [r4, #36]          @ res[9]: FPCCR after the returns

  movs r3, #0
  semihost_exit r3

@ Copies the 18 words of the FP area at r0 (frame + 0x20) to r3 (core registers only).
  .thumb_func
  .type copy_area, %function
copy_area:
  movs r2, #18
5:
  ldr r1, [r0], #4
  str r1, [r3], #4
  subs r2, #1
  bne 5b
  bx lr

  .thumb_func
  .type SVC_Handler, %function
SVC_Handler:
  ldr r2, =res
  mrs r12, msp
  str r12, [r2, #16]         @ res[4]: MSP = the frame
  ldr r0, =FPCCR
  ldr r1, [r0]
  str r1, [r2, #8]           @ res[2]: FPCCR in the handler
  ldr r0, =FPCAR
  ldr r1, [r0]
  str r1, [r2, #12]          @ res[3]: FPCAR
  push {r4, lr}
  add r0, r12, #0x20
  ldr r3, =area_svc
  bl copy_area
  pop {r4, pc}

  .thumb_func
  .type IRQ0_Handler, %function
IRQ0_Handler:
  ldr r2, =res
  mrs r12, msp
  str r12, [r2, #32]         @ res[8]: MSP = the frame
  ldr r0, =FPCCR
  ldr r1, [r0]
  str r1, [r2, #20]          @ res[5]: FPCCR before the handler's first FPU instruction
  b 6f
6:
  ldr r0, =handler_vals
  vldmia r0, {s0-s15}        @ first FPU instruction: PreserveFPState first
  ldr r0, =FPCCR
  ldr r1, [r0]
  str r1, [r2, #24]          @ res[6]: FPCCR after it
  ldr r0, =FPCAR
  ldr r1, [r0]
  str r1, [r2, #28]          @ res[7]: FPCAR
  push {r4, lr}
  add r0, r12, #0x20
  ldr r3, =area_irq
  bl copy_area
  pop {r4, pc}

  .thumb_func
  .type PendSV_Handler, %function
PendSV_Handler:
  bx lr

  .thumb_func
  .type SysTick_Handler, %function
SysTick_Handler:
  vmov s0, r0
  bx lr

  .ltorg

  .section .rodata
  .align 2
thread_vals:
  .word 0x3f800000, 0x40000000, 0x40400000, 0x40800000, 0x40a00000, 0x40c00000, 0x40e00000, 0x41000000
  .word 0x41100000, 0x41200000, 0x41300000, 0x41400000, 0x41500000, 0x41600000, 0x41700000, 0x41800000
handler_vals:
  .word 0xbf800000, 0xbf800000, 0xbf800000, 0xbf800000, 0xbf800000, 0xbf800000, 0xbf800000, 0xbf800000
  .word 0xbf800000, 0xbf800000, 0xbf800000, 0xbf800000, 0xbf800000, 0xbf800000, 0xbf800000, 0xbf800000

  .bss
  .align 3
  .global res, area_svc, area_irq, after_svc, after_irq, after_pendsv, after_systick
res:
  .space 48
area_svc:
  .space 72
area_irq:
  .space 72
after_svc:
  .space 68
after_irq:
  .space 68
after_pendsv:
  .space 68
after_systick:
  .space 68
