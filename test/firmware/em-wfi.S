@ WFI sleeping until SysTick (ARMv7-M ARM B1.5.19, B3.3): RVR = 999 so SysTick fires every 1000
@ modeled cycles after it is enabled (CVR 0: the first clock reloads). Thread mode sleeps three times;
@ SysTick_Handler is a lone `bx lr` (12 + 3 + 10 = 25 cycles per tick), and after each wake-up
@ `subs r4, #1; bne 1b` costs 1 + 1 (+2 when taken).
@ Sleep: SysTick counts from the start of the CSR store that enables it; the first WFI is reached
@ when that store has completed (1 cycle: nothing follows it in its block), so it sleeps 999 cycles;
@ each later one is reached 25 + 4 cycles after its tick and sleeps 1000 - 29 = 971:
@ 999 + 971 + 971 = 2941.
#include "semihost-exit.h"

  .syntax unified
  .cpu cortex-m4
  .thumb

  .section .isr_vector, "a"
  .word _estack
  .word Reset_Handler + 1
  .word 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
  .word SysTick_Handler + 1  @ 15 SysTick

  .text
  .thumb_func
  .global Reset_Handler
  .type Reset_Handler, %function
Reset_Handler:
  movs r4, #3
  ldr r0, =0xE000E010        @ SYST_CSR
  ldr r1, =999
  str r1, [r0, #4]           @ RVR
  movs r1, #0
  str r1, [r0, #8]           @ CVR: cleared
  movs r1, #7                @ CLKSOURCE | TICKINT | ENABLE
  str r1, [r0]
1:
  wfi
  subs r4, #1
  bne 1b
  movs r1, #0
  str r1, [r0]               @ SysTick off
  movs r3, #3
  semihost_exit r3

  .thumb_func
  .type SysTick_Handler, %function
SysTick_Handler:
  bx lr

  .ltorg

