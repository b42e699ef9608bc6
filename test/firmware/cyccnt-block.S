@ DWT CYCCNT and SysTick SYST_CVR as the reading instruction sees them (src/emulator/instruction-clock.ts:
@ the count at the start of the accessing instruction, its own cost not included). Hand counts from
@ the cycle model (Cortex-M4 TRM DDI 0439 Table 3-1 and 3.3.2; P = 2; the code runs from flash, so
@ each taken branch costs 1 + P + W with W the board's flash wait states, 0 on m4-256k). The
@ first instruction of a translation block has no predecessor for the 3.3.2 rules. Results go to
@ ITM stimulus ports 1-5 (events with the value); exit status 0.
@  port 1: `ldr r1, [r0]; 16 x nop; ldr r2, [r0]` in one block: r2 - r1 = ldr (2) + 16 = 18.
@  port 2: CYCCNT written 0 by the `str` just before that first `ldr`: the str costs 2 (a memory
@          access follows it, so rule 4 does not make it 1): 2.
@  port 3: CYCCNT around a 10-iteration loop: ldr (2) + movs (1) + movs (1) + 10 x (adds + subs +
@          bne = 3) + 9 taken bne x (P + W) = 4 + 30 + 9 x (2 + W) = 52 + 9W.
@  port 4: two SYST_CVR reads in one block 16 NOPs apart (RVR 0xFFFFFF, CSR ENABLE | CLKSOURCE):
@          first - second = ldr (2) + 16 = 18 (the counter counts down).
@  port 5: the first of those reads, 0x1000000 - e with e the cycles since the start of the CSR
@          store that enabled the counter (CVR was 0: the first clock reloads RVR, B3.3.1): the str
@          (1: rule 4, a `b` follows) + b (1 + P + W) = 4 + W, so 0xFFFFFC - W.
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
  ldr r0, =0xE000EDFC        @ DEMCR: TRCENA (bit 24) enables the DWT
  ldr r1, [r0]
  orr r1, r1, #0x01000000
  str r1, [r0]
  ldr r0, =0xE0001000        @ DWT_CTRL: CYCCNTENA (bit 0)
  ldr r1, [r0]
  orr r1, r1, #1
  str r1, [r0]
  adds r0, #4                @ DWT_CYCCNT, set outside the blocks that read it
  ldr r6, =0xE0000004        @ ITM stimulus port 1 (port n at 0xE0000000 + 4n)
  movs r5, #0
  b 1f

  @ 1. One block: CYCCNT = 0, then two reads 16 NOPs apart.
1:
  str r5, [r0]
  ldr r1, [r0]
  .rept 16
  nop
  .endr
  ldr r2, [r0]
  subs r3, r2, r1
  str r3, [r6]               @ port 1
  str r1, [r6, #4]           @ port 2
  b 3f

  @ 2. A loop of 10 iterations between two reads.
3:
  ldr r1, [r0]
  movs r3, #10
  movs r4, #0
2:
  adds r4, r4, r3
  subs r3, #1
  bne 2b
  ldr r2, [r0]
  subs r3, r2, r1
  str r3, [r6, #8]           @ port 3

  @ 3. SysTick at the processor clock, no interrupt.
  ldr r0, =0xE000E010        @ SYST_CSR; SYST_RVR at +4, SYST_CVR at +8
  ldr r1, =0x00FFFFFF
  str r1, [r0, #4]           @ RVR
  str r5, [r0, #8]           @ CVR: any write clears it
  movs r1, #5                @ ENABLE | CLKSOURCE
  str r1, [r0]
  b 4f
4:
  ldr r1, [r0, #8]
  .rept 16
  nop
  .endr
  ldr r2, [r0, #8]
  subs r3, r1, r2
  str r3, [r6, #12]          @ port 4
  str r1, [r6, #16]          @ port 5
  semihost_exit r5
