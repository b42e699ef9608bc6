// A two-thread scheduler of our own (ARMv7-M ARM B1.5: PSP for threads, PendSV context switch,
// SysTick driving the switches). Threads run in thread mode on PSP; PendSV_Handler saves r4-r11 and
// EXC_RETURN on the thread's stack and, when EXC_RETURN bit 4 is 0 (the thread had an FP context:
// the hardware stacked the extended frame, lazily, B1.5.7 and FPCCR.LSPEN), s16-s31 too; then it
// restores the other thread's. Both threads use the FPU: each computes a float series and runs
// fp_spin, which keeps a pattern in all 32 single-precision registers across many preemptions and
// counts what changed. Main is a third context (on MSP) resumed when both threads have finished.
// Only results are printed (how many switches happen depends on the clock). Exits 25 when every
// check passed.
#include <stdlib.h>
#include "exc-common.h"

#define STACK_WORDS 512
#define ROUNDS 10
#define SPINS 300

/* Returns the number of FP registers whose pattern (seed + k + n * (k + 1)) was not kept. */
uint32_t fp_spin(uint32_t seed, uint32_t iterations);
__asm__(
    "  .syntax unified\n"
    "  .thumb\n"
    "  .text\n"
    "  .global fp_spin\n"
    "  .type fp_spin, %function\n"
    "  .thumb_func\n"
    "fp_spin:\n"
    "  vpush {s16-s31}\n"
    "  mov r3, r1\n"
    "  add r2, r0, #0\n"
    "  vmov s0, r2\n"
    "  add r2, r0, #1\n"
    "  vmov s1, r2\n"
    "  add r2, r0, #2\n"
    "  vmov s2, r2\n"
    "  add r2, r0, #3\n"
    "  vmov s3, r2\n"
    "  add r2, r0, #4\n"
    "  vmov s4, r2\n"
    "  add r2, r0, #5\n"
    "  vmov s5, r2\n"
    "  add r2, r0, #6\n"
    "  vmov s6, r2\n"
    "  add r2, r0, #7\n"
    "  vmov s7, r2\n"
    "  add r2, r0, #8\n"
    "  vmov s8, r2\n"
    "  add r2, r0, #9\n"
    "  vmov s9, r2\n"
    "  add r2, r0, #10\n"
    "  vmov s10, r2\n"
    "  add r2, r0, #11\n"
    "  vmov s11, r2\n"
    "  add r2, r0, #12\n"
    "  vmov s12, r2\n"
    "  add r2, r0, #13\n"
    "  vmov s13, r2\n"
    "  add r2, r0, #14\n"
    "  vmov s14, r2\n"
    "  add r2, r0, #15\n"
    "  vmov s15, r2\n"
    "  add r2, r0, #16\n"
    "  vmov s16, r2\n"
    "  add r2, r0, #17\n"
    "  vmov s17, r2\n"
    "  add r2, r0, #18\n"
    "  vmov s18, r2\n"
    "  add r2, r0, #19\n"
    "  vmov s19, r2\n"
    "  add r2, r0, #20\n"
    "  vmov s20, r2\n"
    "  add r2, r0, #21\n"
    "  vmov s21, r2\n"
    "  add r2, r0, #22\n"
    "  vmov s22, r2\n"
    "  add r2, r0, #23\n"
    "  vmov s23, r2\n"
    "  add r2, r0, #24\n"
    "  vmov s24, r2\n"
    "  add r2, r0, #25\n"
    "  vmov s25, r2\n"
    "  add r2, r0, #26\n"
    "  vmov s26, r2\n"
    "  add r2, r0, #27\n"
    "  vmov s27, r2\n"
    "  add r2, r0, #28\n"
    "  vmov s28, r2\n"
    "  add r2, r0, #29\n"
    "  vmov s29, r2\n"
    "  add r2, r0, #30\n"
    "  vmov s30, r2\n"
    "  add r2, r0, #31\n"
    "  vmov s31, r2\n"
    "1:\n"
    "  vmov r2, s0\n"
    "  add r2, r2, #1\n"
    "  vmov s0, r2\n"
    "  vmov r2, s1\n"
    "  add r2, r2, #2\n"
    "  vmov s1, r2\n"
    "  vmov r2, s2\n"
    "  add r2, r2, #3\n"
    "  vmov s2, r2\n"
    "  vmov r2, s3\n"
    "  add r2, r2, #4\n"
    "  vmov s3, r2\n"
    "  vmov r2, s4\n"
    "  add r2, r2, #5\n"
    "  vmov s4, r2\n"
    "  vmov r2, s5\n"
    "  add r2, r2, #6\n"
    "  vmov s5, r2\n"
    "  vmov r2, s6\n"
    "  add r2, r2, #7\n"
    "  vmov s6, r2\n"
    "  vmov r2, s7\n"
    "  add r2, r2, #8\n"
    "  vmov s7, r2\n"
    "  vmov r2, s8\n"
    "  add r2, r2, #9\n"
    "  vmov s8, r2\n"
    "  vmov r2, s9\n"
    "  add r2, r2, #10\n"
    "  vmov s9, r2\n"
    "  vmov r2, s10\n"
    "  add r2, r2, #11\n"
    "  vmov s10, r2\n"
    "  vmov r2, s11\n"
    "  add r2, r2, #12\n"
    "  vmov s11, r2\n"
    "  vmov r2, s12\n"
    "  add r2, r2, #13\n"
    "  vmov s12, r2\n"
    "  vmov r2, s13\n"
    "  add r2, r2, #14\n"
    "  vmov s13, r2\n"
    "  vmov r2, s14\n"
    "  add r2, r2, #15\n"
    "  vmov s14, r2\n"
    "  vmov r2, s15\n"
    "  add r2, r2, #16\n"
    "  vmov s15, r2\n"
    "  vmov r2, s16\n"
    "  add r2, r2, #17\n"
    "  vmov s16, r2\n"
    "  vmov r2, s17\n"
    "  add r2, r2, #18\n"
    "  vmov s17, r2\n"
    "  vmov r2, s18\n"
    "  add r2, r2, #19\n"
    "  vmov s18, r2\n"
    "  vmov r2, s19\n"
    "  add r2, r2, #20\n"
    "  vmov s19, r2\n"
    "  vmov r2, s20\n"
    "  add r2, r2, #21\n"
    "  vmov s20, r2\n"
    "  vmov r2, s21\n"
    "  add r2, r2, #22\n"
    "  vmov s21, r2\n"
    "  vmov r2, s22\n"
    "  add r2, r2, #23\n"
    "  vmov s22, r2\n"
    "  vmov r2, s23\n"
    "  add r2, r2, #24\n"
    "  vmov s23, r2\n"
    "  vmov r2, s24\n"
    "  add r2, r2, #25\n"
    "  vmov s24, r2\n"
    "  vmov r2, s25\n"
    "  add r2, r2, #26\n"
    "  vmov s25, r2\n"
    "  vmov r2, s26\n"
    "  add r2, r2, #27\n"
    "  vmov s26, r2\n"
    "  vmov r2, s27\n"
    "  add r2, r2, #28\n"
    "  vmov s27, r2\n"
    "  vmov r2, s28\n"
    "  add r2, r2, #29\n"
    "  vmov s28, r2\n"
    "  vmov r2, s29\n"
    "  add r2, r2, #30\n"
    "  vmov s29, r2\n"
    "  vmov r2, s30\n"
    "  add r2, r2, #31\n"
    "  vmov s30, r2\n"
    "  vmov r2, s31\n"
    "  add r2, r2, #32\n"
    "  vmov s31, r2\n"
    "  subs r1, r1, #1\n"
    "  bne 1b\n"
    "  vmov r2, s0\n"
    "  mov r12, #1\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #0\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s1\n"
    "  mov r12, #2\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #1\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s2\n"
    "  mov r12, #3\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #2\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s3\n"
    "  mov r12, #4\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #3\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s4\n"
    "  mov r12, #5\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #4\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s5\n"
    "  mov r12, #6\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #5\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s6\n"
    "  mov r12, #7\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #6\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s7\n"
    "  mov r12, #8\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #7\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s8\n"
    "  mov r12, #9\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #8\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s9\n"
    "  mov r12, #10\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #9\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s10\n"
    "  mov r12, #11\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #10\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s11\n"
    "  mov r12, #12\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #11\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s12\n"
    "  mov r12, #13\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #12\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s13\n"
    "  mov r12, #14\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #13\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s14\n"
    "  mov r12, #15\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #14\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s15\n"
    "  mov r12, #16\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #15\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s16\n"
    "  mov r12, #17\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #16\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s17\n"
    "  mov r12, #18\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #17\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s18\n"
    "  mov r12, #19\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #18\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s19\n"
    "  mov r12, #20\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #19\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s20\n"
    "  mov r12, #21\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #20\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s21\n"
    "  mov r12, #22\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #21\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s22\n"
    "  mov r12, #23\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #22\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s23\n"
    "  mov r12, #24\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #23\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s24\n"
    "  mov r12, #25\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #24\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s25\n"
    "  mov r12, #26\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #25\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s26\n"
    "  mov r12, #27\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #26\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s27\n"
    "  mov r12, #28\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #27\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s28\n"
    "  mov r12, #29\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #28\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s29\n"
    "  mov r12, #30\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #29\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s30\n"
    "  mov r12, #31\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #30\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  vmov r2, s31\n"
    "  mov r12, #32\n"
    "  mla r12, r3, r12, r0\n"
    "  add r12, r12, #31\n"
    "  cmp r2, r12\n"
    "  it ne\n"
    "  addne r1, r1, #1\n"
    "  mov r0, r1\n"
    "  vpop {s16-s31}\n"
    "  bx lr\n"
);

struct tcb {
  uint32_t *sp;
  volatile uint32_t done;
};
static struct tcb tcbs[3]; /* 0 and 1: threads; 2: main */
static volatile uint32_t current = 2, running, switches;
static uint64_t stacks[2][STACK_WORDS / 2];
static uint64_t main_save[32]; /* PSP while main runs: where PendSV puts main's r4-r11 */
static volatile uint32_t progress[2], interleaved[2], fp_errors[2];
static volatile float results[2];

uint32_t *schedule(uint32_t *sp) {
  tcbs[current].sp = sp;
  uint32_t from = current == 2 ? 1 : current, next = 2;
  for (uint32_t k = 1; k <= 2; k++) {
    uint32_t c = (from + k) % 2;
    if (!tcbs[c].done) {
      next = c;
      break;
    }
  }
  current = next;
  switches = switches + 1;
  return tcbs[current].sp;
}

__attribute__((naked)) void PendSV_Handler(void) {
  __asm__ volatile(
      "mrs r0, psp\n"
      "tst lr, #0x10\n"
      "it eq\n"
      "vstmdbeq r0!, {s16-s31}\n"
      "stmdb r0!, {r4-r11, lr}\n"
      "bl schedule\n"
      "ldmia r0!, {r4-r11, lr}\n"
      "tst lr, #0x10\n"
      "it eq\n"
      "vldmiaeq r0!, {s16-s31}\n"
      "msr psp, r0\n"
      "bx lr\n");
}

void SysTick_Handler(void) {
  if (running) SCB_ICSR = ICSR_PENDSVSET;
}

static void thread_exit(void) {
  tcbs[current].done = 1;
  SCB_ICSR = ICSR_PENDSVSET;
  barrier();
  for (;;) {
  }
}

static void thread_main(uint32_t id) {
  float acc = 0.0f;
  uint32_t k = 1;
  for (uint32_t round = 0; round < ROUNDS; round++) {
    for (uint32_t i = 0; i < 2000; i++, k++) {
      float fk = (float)k;
      if (id == 0) acc += 1.0f / (fk * fk);                            /* -> pi^2 / 6 */
      else acc += ((k & 1) ? 4.0f : -4.0f) / (2.0f * fk - 1.0f);        /* -> pi */
    }
    fp_errors[id] += fp_spin(id * 1000u + round, SPINS);
    progress[id] = round + 1;
    if (round == ROUNDS / 2) interleaved[id] = progress[id ^ 1] > 0;
  }
  results[id] = acc;
}

static uint32_t *initial_stack(uint32_t id) {
  uint32_t *sp = (uint32_t *)&stacks[id][STACK_WORDS / 2];
  *--sp = 0x01000000u;                          /* xPSR: Thumb */
  *--sp = (uint32_t)thread_main & ~1u;           /* PC */
  *--sp = (uint32_t)thread_exit;                 /* LR */
  for (int r = 0; r < 4; r++) *--sp = 0;         /* r12, r3, r2, r1 */
  *--sp = id;                                    /* r0 */
  *--sp = 0xFFFFFFFDu;                           /* EXC_RETURN: thread, PSP, basic frame */
  for (int r = 0; r < 8; r++) *--sp = 0;         /* r11..r4 */
  return sp;
}

int main(void) {
  int ok = 1;
  printf("exc-threads\n");
  tcbs[0].sp = initial_stack(0);
  tcbs[1].sp = initial_stack(1);
  __asm__ volatile("msr psp, %0" ::"r"(&main_save[32]));
  SCB_SHPR(14) = 0xFF; /* PendSV lowest */
  SCB_SHPR(15) = 0x80; /* SysTick above it */
  SYST_CSR = 0;
  SYST_RVR = 4999;
  SYST_CVR = 0;
  running = 1;
  SYST_CSR = CSR_CLKSOURCE | CSR_TICKINT | CSR_ENABLE;
  SCB_ICSR = ICSR_PENDSVSET; /* switch to thread 0; main resumes when both are done */
  barrier();
  running = 0;
  SYST_CSR = CSR_CLKSOURCE;
  printf("back in main: ipsr=%lu, threads done: %lu %lu\n", (unsigned long)get_ipsr(),
         (unsigned long)tcbs[0].done, (unsigned long)tcbs[1].done);
  printf("thread 0: sum 1/k^2 = %.6f\n", (double)results[0]);
  printf("thread 1: leibniz pi = %.6f\n", (double)results[1]);
  printf("fp registers kept: %s %s\n", fp_errors[0] == 0 ? "yes" : "no", fp_errors[1] == 0 ? "yes" : "no");
  printf("interleaved: %s %s\n", interleaved[0] ? "yes" : "no", interleaved[1] ? "yes" : "no");
  ok &= tcbs[0].done && tcbs[1].done && fp_errors[0] == 0 && fp_errors[1] == 0 && interleaved[0] &&
        interleaved[1] && switches > 2;
  printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 25 : 1;
}
