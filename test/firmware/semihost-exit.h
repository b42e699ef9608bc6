@ The end of a bare assembly test firmware: SYS_EXIT_EXTENDED (0x20) with the parameter block
@ {ADP_Stopped_ApplicationExit (0x20026), status} (Arm semihosting specification, SYS_EXIT_EXTENDED),
@ so m4sim and QEMU exit with the status. The block lives in .bss; r0-r2 are clobbered, so the status
@ must be in another register (or in r0 itself). Included with #include from a .S file.
.macro semihost_exit status_reg
  ldr r1, =semihost_exit_block
  ldr r2, =0x20026
  str r2, [r1]
  str \status_reg, [r1, #4]
  movs r0, #0x20
  bkpt 0xab
1: b 1b
  .pushsection .bss
  .align 2
semihost_exit_block:
  .space 8
  .popsection
.endm
