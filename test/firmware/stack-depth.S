@ Hand-checked stack high-water: no C library, no start-up code, every SP change visible here.
@ Reset_Handler (no frame) calls recurse(10); each of the 11 activations (n = 10 … 0) pushes
@ 4 registers (16 bytes) and reserves 16 more; the deepest (n = 0) also reserves a run-time-sized
@ block (sub sp, sp, r3 with r3 = 40, as alloca/VLA code does) and pushes one more register:
@   11 × (16 + 16) + 40 + 4 = 396 bytes below the initial SP.
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
  movs r0, #10
  bl recurse
  @ SYS_EXIT_EXTENDED (0x20) with {ADP_Stopped_ApplicationExit, 0}: exit status 0.
  ldr r1, =exit_block
  movs r0, #0x20
  bkpt 0xab
1: b 1b

  .thumb_func
  .type recurse, %function
recurse:
  push {r4, r5, r6, lr}
  sub sp, #16
  cbz r0, deepest
  subs r0, #1
  bl recurse
  b done
deepest:
  movs r3, #40
  mov r4, sp
  sub sp, sp, r3
  push {r0}
  pop {r0}
  mov sp, r4
done:
  add sp, #16
  pop {r4, r5, r6, pc}

  .section .rodata
  .align 2
exit_block:
  .word 0x20026
  .word 0
