@ PA5 toggled four times (RM0090 8.4): twice through BSRR (BS5, then BR5: one register value toggled
@ by `eor` with 0x00200020), twice through ODR (read, `eor` bit 5, write). Each pin event is stamped
@ at the start of its store (m4sim's peripheral clock is exact at the accessing instruction): the
@ first after 9 cycles from reset; then loop 1 (str 1 — the next instruction is no memory access —
@ + eor + subs + bne taken 1 + P) = 4 + P between the BSRR stores; 4 + 4 to the first ODR store (the
@ rest of loop 1's last pass, then movs 1 + ldr 2 + eor 1); loop 2 (str 1 + subs 1 + bne taken 1 + P
@ + ldr 2 + eor 1) = 6 + P between the ODR stores. Exit status: IDR[15:13]. Then one write each to
@ the read-only IDR and a reserved word, which the model ignores and the run records.
#include "semihost-exit.h"

  .syntax unified
  .cpu cortex-m4
  .thumb

  .section .isr_vector, "a"
  .word _estack
  .word Reset_Handler + 1

  .text
  .thumb_func
  .global Reset_Handler
  .type Reset_Handler, %function
Reset_Handler:
  ldr r0, =0x40020000        @ GPIOA
  ldr r1, [r0]               @ MODER (reset 0xA8000000)
  bic r1, r1, #(3 << 10)
  orr r1, r1, #(1 << 10)     @ MODER5 = 01: general purpose output
  str r1, [r0]
  movs r2, #(1 << 5)         @ BSRR value: BS5
  movs r4, #2
1:
  str r2, [r0, #0x18]        @ BSRR
  eor r2, r2, #0x00200020    @ BS5 <-> BR5
  subs r4, #1
  bne 1b
  movs r4, #2
2:
  ldr r5, [r0, #0x14]        @ ODR
  eor r5, r5, #(1 << 5)
  str r5, [r0, #0x14]
  subs r4, #1
  bne 2b
  ldr r5, [r0, #0x10]        @ IDR: PA5 reads its ODR (0); PA13-15 (AF) their reset pulls: up, down, up
  ubfx r5, r5, #13, #3       @ exit status 0b101 = 5
  str r5, [r0, #0x10]        @ IDR is read-only: ignored, recorded (after the events: they keep their cycles)
  str r5, [r0, #0x28]        @ a reserved word of GPIOA: ignored, recorded
  semihost_exit r5

  .ltorg
