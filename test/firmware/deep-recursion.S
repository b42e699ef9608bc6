@ A recursion deeper than the shadow call stack keeps (4,096 frames): Reset_Handler calls
@ recurse(4999), and each of the 5,000 activations (n = 4999 … 0) pushes {r4, lr} (8 bytes):
@ 40,000 bytes of stack, 5,000 calls, 5,000 frames below the root at the deepest point.
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
  ldr r0, =4999
  bl recurse
  movs r4, #0
  semihost_exit r4
  .size Reset_Handler, . - Reset_Handler

  .thumb_func
  .type recurse, %function
recurse:
  push {r4, lr}
  cbz r0, 1f
  subs r0, #1
  bl recurse
1:
  pop {r4, pc}
  .size recurse, . - recurse
