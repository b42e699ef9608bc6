// Vendor-style firmware that never exits: some work, a result line, then `while (1)` around a
// function: the stop conditions (--until-output, --until, --sim-time, --max-cycles) end it.
// UNTIL_EXIT_AT_IDLE: main_loop_idle exits instead (SYS_EXIT, ApplicationExit, status 0) in four
// instructions, so the instruction count at its entry can be measured another way.
#include <stdint.h>
#include <stdio.h>

#ifndef WORK
#define WORK 200
#endif

volatile uint32_t spins;
volatile uint32_t result;

__attribute__((noinline, noipa)) uint32_t run_inference(uint32_t n) {
  uint32_t acc = 0;
  for (uint32_t i = 0; i < n; i++) acc += i * i;
  return acc;
}

// main_loop_idle is assembly with fixed encodings, 16 bytes in both variants, so everything linked
// after it (main, newlib) sits at the same addresses and runs the same instructions (newlib's string
// routines take paths by alignment), and noipa keeps GCC from compiling main around either body.
// Its block is the costliest of the loop; test/until.test.ts bounds --sim-time and --max-cycles by it.
#ifdef UNTIL_EXIT_AT_IDLE
__attribute__((naked, noinline, noipa)) void main_loop_idle(void) {
  __asm__ volatile(
      "movs r0, #0x18\n"   // SYS_EXIT
      "movw r1, #0x0026\n" // ADP_Stopped_ApplicationExit (0x20026): status 0
      "movt r1, #0x0002\n"
      "bkpt 0xab\n"
      "nop\n"
      "nop\n");
}
#else
__attribute__((naked, noinline, noipa)) void main_loop_idle(void) {
  __asm__ volatile(
      "movw r2, #:lower16:spins\n"
      "movt r2, #:upper16:spins\n"
      // A label inside the block (not a branch target): --until stops two instructions in.
      ".global main_loop_idle_load\n"
      "main_loop_idle_load:\n"
      "ldr r3, [r2]\n"
      "adds r3, #1\n"
      "str r3, [r2]\n"
      "bx lr\n");
}
#endif

int main(void) {
  result = run_inference(WORK);
  printf("inference done\n");
  for (;;) main_loop_idle();
}
