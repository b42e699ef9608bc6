// PendSV pended from inside SysTick_Handler (ICSR.PENDSVSET, ARMv7-M ARM B3.2.4) runs after
// SysTick_Handler returns, not inside it: PendSV has the lowest priority (SHPR3 = 0xFF) and is taken
// by tail-chaining (ARMv7-M ARM B1.5.12; Cortex-M4 TRM DDI 0439, interrupt latency and tail-chaining). The order of events is logged by
// the handlers and printed at the end; VECTACTIVE and EXC_RETURN are checked in each handler.
// Exits 23 when every check passed.
#include <stdlib.h>
#include "exc-common.h"

static volatile uint32_t ticks, pendsv_runs, pend_seen_in_systick, pendsv_vect, systick_vect;
static volatile uint32_t pendsv_lr;

void SysTick_Handler(void) {
  ticks = ticks + 1;
  systick_vect = SCB_ICSR & ICSR_VECTACTIVE;
  if (ticks == 1) note("T1");
  if (ticks == 2) note("T2");
  if (ticks == 3) {
    note("T3+");
    SCB_ICSR = ICSR_PENDSVSET;
    barrier();
    /* Lower priority than the active SysTick: still pending here. */
    pend_seen_in_systick = (SCB_ICSR & ICSR_PENDSVSET) != 0;
    if (pendsv_runs == 0) note("T3-");
  }
  if (ticks == 4) {
    note("T4");
    SYST_CSR = CSR_CLKSOURCE; /* stop after the 4th tick */
  }
}

void pendsv_body(uint32_t lr) {
  pendsv_runs = pendsv_runs + 1;
  pendsv_vect = SCB_ICSR & ICSR_VECTACTIVE;
  pendsv_lr = lr;
  note("P");
}

__attribute__((naked)) void PendSV_Handler(void) {
  __asm__ volatile(
      "mov r0, lr\n"
      "push {r0, lr}\n"
      "bl pendsv_body\n"
      "pop {r0, pc}\n");
}

int main(void) {
  int ok = 1;
  printf("exc-pendsv\n");
  SCB_SHPR(14) = 0xFF; /* PendSV lowest */
  SCB_SHPR(15) = 0x40; /* SysTick */
  SYST_CSR = 0;
  SYST_RVR = 999;
  SYST_CVR = 0;
  SYST_CSR = CSR_CLKSOURCE | CSR_TICKINT | CSR_ENABLE;
  while (ticks < 4) {
  }
  note("main");
  print_log("order");
  printf("pendsv pending inside systick: %lu, pendsv runs: %lu\n",
         (unsigned long)pend_seen_in_systick, (unsigned long)pendsv_runs);
  printf("vectactive: systick %lu, pendsv %lu\n", (unsigned long)systick_vect,
         (unsigned long)pendsv_vect);
  printf("pendsv exc_return: 0x%08lx\n", (unsigned long)pendsv_lr);
  ok &= pend_seen_in_systick == 1 && pendsv_runs == 1 && systick_vect == 15 && pendsv_vect == 14;

  /* PendSV pended from thread mode is taken at once (before the next instruction, after the ISB). */
  SCB_ICSR = ICSR_PENDSVSET;
  barrier();
  note("after-pend");
  print_log("from thread");
  ok &= pendsv_runs == 2;
  printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 23 : 1;
}
