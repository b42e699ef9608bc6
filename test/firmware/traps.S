@ Architectural traps of the Cortex-M4 (test/traps.test.ts). No C library, no start-up code: CPACR
@ keeps its reset value 0 (FPU access denied) unless a case enables it, and CCR its reset value.
@ The test preloads `trap_case` with the case to run; Reset_Handler calls case_<n> and exits with
@ the case's r0 as the exit status (SYS_EXIT_EXTENDED). Each trapping instruction carries a global
@ label at_<case> (no type, so it names no function): the test reads it with arm-none-eabi-nm.
@ Every case sets up its registers in a block of its own (ended by `isb`, which ends a translation
@ block in QEMU), so the trapping block's operands are registers at block entry, and zeroes
@ `trap_probe`; the trapping block stores 7 there before the trapping instruction.
#include "semihost-exit.h"

  .syntax unified
  .cpu cortex-m4
  .fpu fpv4-sp-d16
  .thumb

  .equ CCR, 0xE000ED14
  .equ CPACR, 0xE000ED88
  .equ UNALIGN_TRP, 1 << 3
  .equ DIV_0_TRP, 1 << 4

  .section .isr_vector, "a"
  .word _estack
  .word Reset_Handler + 1

  .bss
  .align 3
  .global trap_case, trap_probe, scratch
trap_case: .space 4
trap_probe: .space 4
scratch: .space 16

  .text
  .thumb_func
  .global Reset_Handler
  .type Reset_Handler, %function
Reset_Handler:
  ldr r0, =trap_case
  ldr r0, [r0]
  ldr r1, =case_table
  ldr r1, [r1, r0, lsl #2]
  blx r1
  semihost_exit r0
  .ltorg
  .size Reset_Handler, . - Reset_Handler

@ r0 = \bits ORed into CCR, then the trapping block's entry registers: r1 = \r1, r4 = &trap_probe
@ (zeroed), r5 = 7; scratch = 11 22 33 44 55 66 77 88.
  .macro setup ccr_bits, r1_value
  ldr r3, =CCR
  ldr r2, [r3]
  orr r2, r2, #\ccr_bits
  str r2, [r3]
  ldr r4, =trap_probe
  movs r2, #0
  str r2, [r4]
  ldr r3, =scratch
  ldr r2, =0x44332211
  str r2, [r3]
  ldr r2, =0x88776655
  str r2, [r3, #4]
  ldr r1, =\r1_value
  movs r5, #7
  dsb
  isb
  .endm

  .macro trapcase name
  .thumb_func
  .type case_\name, %function
case_\name:
  .endm

  .macro endcase name
  .ltorg
  .size case_\name, . - case_\name
  .endm

@ 0: SDIV by zero with CCR.DIV_0_TRP set: DIVBYZERO, and the store before it does not happen.
  trapcase div0_trap
  setup DIV_0_TRP, 0
  str r5, [r4]
  .global at_div0_trap
at_div0_trap:
  sdiv r0, r5, r1
  bx lr
  endcase div0_trap

@ 1: SDIV by zero with DIV_0_TRP clear: the result is 0 (ARMv7-M A7.7.127); exits 40 + 0.
  trapcase div0_clear
  setup 0, 0
  sdiv r0, r5, r1
  adds r0, #40
  bx lr
  endcase div0_clear

@ 2: UDIV whose divisor is computed in the block from an entry register (r1 - 5 with r1 = 5).
  trapcase udiv_folded
  setup DIV_0_TRP, 5
  subs r2, r1, #5
  .global at_udiv_folded
at_udiv_folded:
  udiv r0, r5, r2
  bx lr
  endcase udiv_folded

@ 3: unaligned LDR with CCR.UNALIGN_TRP set: UNALIGNED at scratch + 1.
  trapcase ldr_trap
  setup UNALIGN_TRP, scratch
  .global at_ldr_trap
at_ldr_trap:
  ldr r0, [r1, #1]
  bx lr
  endcase ldr_trap

@ 4: unaligned LDR with UNALIGN_TRP clear reads bytes 22 33 44 55 (A3.2.1); exits 41 when it did.
  trapcase ldr_clear
  setup 0, scratch
  ldr r0, [r1, #1]
  ldr r2, =0x55443322
  cmp r0, r2
  ite eq
  moveq r0, #41
  movne r0, #1
  bx lr
  endcase ldr_clear

@ 5: LDRD at scratch + 2 with CCR clear: UNALIGNED anyway (LDRD needs word alignment, A3.2.1).
  trapcase ldrd_unaligned
  setup 0, scratch+2
  .global at_ldrd_unaligned
at_ldrd_unaligned:
  ldrd r2, r3, [r1]
  bx lr
  endcase ldrd_unaligned

@ 6: aligned LDRD and LDM: fine; exits 0x11 + 0x55 - 0x24 = 66 from the bytes read.
  trapcase aligned
  setup 0, scratch
  ldrd r2, r3, [r1]
  ldm r1, {r6, r7}
  uxtb r0, r2
  uxtb r6, r7
  add r0, r0, r6
  subs r0, #0x24
  bx lr
  endcase aligned

@ 7: LDM from scratch + 1 (CCR clear): UNALIGNED.
  trapcase ldm_unaligned
  setup 0, scratch+1
  .global at_ldm_unaligned
at_ldm_unaligned:
  ldm r1, {r2, r3}
  bx lr
  endcase ldm_unaligned

@ 8: an FPU instruction with CPACR at its reset value 0: NOCP.
  trapcase fp_denied
  setup 0, 0
  str r5, [r4]
  isb
  .global at_fp_denied
at_fp_denied:
  vmov.f32 s0, #1.0
  bx lr
  endcase fp_denied

@ 9: CP10/CP11 full access first (B3.2.20), then 1.0 + 1.0 converted to an integer: exits 40 + 2.
  trapcase fp_enabled
  setup 0, 0
  ldr r3, =CPACR
  ldr r2, [r3]
  orr r2, r2, #(0xf << 20)
  str r2, [r3]
  dsb
  isb
  vmov.f32 s0, #1.0
  vadd.f32 s1, s0, s0
  vcvt.s32.f32 s2, s1
  vmov r0, s2
  adds r0, #40
  bx lr
  endcase fp_enabled

@ 10: an SDIV by zero in an IT block whose condition fails (flags from before the block): no trap.
  trapcase div0_skipped
  setup DIV_0_TRP, 0
  cmp r5, #0
  isb
  it eq
  sdiveq r0, r5, r1
  movs r0, #43
  bx lr
  endcase div0_skipped

@ 11: LDREX whose address the block loads (no static check): QEMU's own alignment check raises a
@ data abort at the exact PC, reported as the UsageFault UNALIGNED it is on the M4.
  trapcase ldrex_loaded
  setup 0, scratch+1
  ldr r3, =scratch
  str r1, [r3, #8]
  isb
  ldr r2, [r3, #8]
  .global at_ldrex_loaded
at_ldrex_loaded:
  ldrex r0, [r2]
  bx lr
  endcase ldrex_loaded

  .section .rodata
  .align 2
case_table:
  .word case_div0_trap + 1, case_div0_clear + 1, case_udiv_folded + 1, case_ldr_trap + 1
  .word case_ldr_clear + 1, case_ldrd_unaligned + 1, case_aligned + 1, case_ldm_unaligned + 1
  .word case_fp_denied + 1, case_fp_enabled + 1, case_div0_skipped + 1, case_ldrex_loaded + 1
