// Misbehaves on request, for the diagnosis tests (test/diagnoses.test.ts). The command line says how:
//   diagnose jump ADDR      branch to ADDR (hex) in Thumb state
//   diagnose rodata         branch into a const array (flash, outside any function) holding UDF #0xff
//   diagnose sp-data        move SP into .data and push
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// `udf #255` halfwords (UDF encoding T1, 0xDE00 | imm8; ARMv7-M ARM A7.7): undefined instructions
// in .rodata, outside any function.
const uint16_t udf_in_rodata[4] = {0xdeff, 0xdeff, 0xdeff, 0xdeff};

// Initialised, so it lands in .data (copied from flash at start-up), not .bss.
volatile uint32_t data_words[64] = {1, 2, 3};

// Branches to `target` in Thumb state; `jump_branch` labels the branch, the last instruction executed
// before a fetch from the target faults.
__attribute__((naked, noinline)) void jump(__attribute__((unused)) uintptr_t target) {
  __asm__ volatile("orr r0, r0, #1\n"
                   ".global jump_branch\n"
                   "jump_branch: bx r0\n");
}

// Moves SP to `sp` and pushes: the stack would grow into whatever lies below `sp`.
__attribute__((noinline, naked)) static void sp_into(__attribute__((unused)) uintptr_t sp) {
  __asm__ volatile("mov sp, r0\n"
                   "push {r4-r7, lr}\n"
                   "push {r4-r7, lr}\n"
                   "b .\n");
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  if (strcmp(argv[1], "jump") == 0 && argc > 2) jump(strtoul(argv[2], NULL, 16));
  if (strcmp(argv[1], "rodata") == 0) jump((uintptr_t)&udf_in_rodata[2]);
  if (strcmp(argv[1], "sp-data") == 0) sp_into((uintptr_t)&data_words[48]);
  return 3;
}
