// SysTick (ARMv7-M ARM B3.3): RVR = 999 with the processor clock (CSR.CLKSOURCE = 1), so the counter
// wraps every 1000 clocks; SysTick_Handler counts ticks and logs them in order while main busy-waits
// for 10. Then, with TICKINT clear, COUNTFLAG: cleared by a write to CVR, set when the counter wraps,
// cleared by the read that returns it (B3.3.3). Only orders and counts are printed: QEMU's SysTick
// runs on its own virtual clock, m4sim's on modeled cycles. Exits 22 when every check passed.
#include <stdlib.h>
#include "exc-common.h"

#define TICKS 10
static volatile uint32_t ticks, handler_ipsr;

void SysTick_Handler(void) {
  handler_ipsr = get_ipsr();
  ticks = ticks + 1;
  /* The 10th tick clears TICKINT itself, so the count does not depend on when main looks. */
  if (ticks == TICKS) SYST_CSR = CSR_CLKSOURCE | CSR_ENABLE;
}

int main(void) {
  int ok = 1;
  printf("exc-systick\n");
  SCB_SHPR(15) = 0x80;
  SYST_CSR = 0;
  SYST_RVR = 999;
  SYST_CVR = 0; /* any write clears the counter and COUNTFLAG */
  printf("rvr=%lu cvr after write=%lu\n", (unsigned long)SYST_RVR, (unsigned long)SYST_CVR);
  SYST_CSR = CSR_CLKSOURCE | CSR_TICKINT | CSR_ENABLE;
  while (ticks < TICKS) {
  }
  SYST_CSR = CSR_CLKSOURCE; /* stop */
  uint32_t counted = ticks;
  printf("ticks counted: %lu, handler ipsr=%lu\n", (unsigned long)counted,
         (unsigned long)handler_ipsr);
  ok &= counted == TICKS && handler_ipsr == 15;

  /* Stopped: the counter holds its value and nothing is pending. */
  uint32_t a = SYST_CVR, b = SYST_CVR;
  printf("stopped: counter holds: %s, tick pending: %lu\n", a == b ? "yes" : "no",
         (unsigned long)((SCB_ICSR & ICSR_PENDSTSET) != 0));
  ok &= a == b;

  /* COUNTFLAG without interrupts. */
  SYST_CVR = 0;
  uint32_t flag0 = (SYST_CSR >> 16) & 1u;
  SYST_CSR = CSR_CLKSOURCE | CSR_ENABLE;
  uint32_t polls = 0, csr;
  do {
    csr = SYST_CSR;
    polls++;
  } while (!(csr & CSR_COUNTFLAG) && polls < 10000000u);
  SYST_CSR = CSR_CLKSOURCE;
  uint32_t flag2 = (SYST_CSR >> 16) & 1u;
  printf("countflag: after cvr write %lu, after a wrap %lu, after reading it %lu\n",
         (unsigned long)flag0, (unsigned long)((csr >> 16) & 1u), (unsigned long)flag2);
  ok &= flag0 == 0 && (csr & CSR_COUNTFLAG) && flag2 == 0;
  printf("ticks while TICKINT was clear: %lu\n", (unsigned long)(ticks - counted));
  ok &= ticks == counted;

  /* PENDSTSET pends the SysTick exception by software even with the timer stopped. */
  SCB_ICSR = ICSR_PENDSTSET;
  barrier();
  printf("after ICSR.PENDSTSET: ticks %lu\n", (unsigned long)ticks);
  ok &= ticks == counted + 1;
  printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 22 : 1;
}
