@ Masking and tail-chaining (ARMv7-M ARM B1.5.4, B1.5.12), hand-checked. SysTick has priority 0x80,
@ PendSV 0xF0. With BASEPRI = 0x80 both are pended through ICSR (PENDSTSET | PENDSVSET) and stay
@ pending (BASEPRI masks priorities >= 0x80): the thread logs 'A'. MSR BASEPRI, 0 unmasks: SysTick
@ is taken at the next block boundary and logs 'S'; at its return PendSV (pending, lower priority)
@ tail-chains instead of unstacking: 6 cycles instead of 12 + 10, so PendSV's lone `bx lr` costs
@ 6 + 3 + 10 = 19 cycles. Then the thread logs 'B'. log = "ASB", exit status 0.
#include "semihost-exit.h"

  .syntax unified
  .cpu cortex-m4
  .thumb

  .section .isr_vector, "a"
  .word _estack
  .word Reset_Handler + 1
  .word 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
  .word PendSV_Handler + 1   @ 14 PendSV
  .word SysTick_Handler + 1  @ 15 SysTick

  .text
  .thumb_func
  .global Reset_Handler
  .type Reset_Handler, %function
Reset_Handler:
  ldr r4, =log
  ldr r0, =0xE000ED20        @ SHPR3: PendSV byte 2, SysTick byte 3
  ldr r1, =0x80F00000
  str r1, [r0]
  movs r0, #0x80
  msr basepri, r0
  ldr r0, =0xE000ED04        @ ICSR
  ldr r1, =0x14000000        @ PENDSVSET | PENDSTSET
  str r1, [r0]
  movs r1, #'A'
  strb r1, [r4], #1
  movs r0, #0
  msr basepri, r0
  isb
  movs r1, #'B'
  strb r1, [r4], #1
  movs r3, #0
  semihost_exit r3

  .thumb_func
  .type SysTick_Handler, %function
SysTick_Handler:
  movs r1, #'S'
  strb r1, [r4], #1          @ r4 is not stacked: the thread's log pointer moves on
  bx lr

  .thumb_func
  .type PendSV_Handler, %function
PendSV_Handler:
  bx lr

  .ltorg

  .bss
  .align 2
  .global log
log:
  .space 8
