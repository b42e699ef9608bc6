// WFI sleeping until SysTick (ARMv7-M ARM B1.5.19 WFI; B3.3 SysTick): main starts SysTick (RVR = 999)
// and executes WFI, five times; each WFI returns after the SysTick exception it woke for has run,
// and the handler stops the timer, so every sleep sees exactly one tick whatever the clock. With
// PRIMASK set, the pending SysTick still wakes WFI (B1.5.19) but is taken only after cpsie.
// Exits 27 when every check passed.
#include <stdlib.h>
#include "exc-common.h"

static volatile uint32_t ticks;

void SysTick_Handler(void) {
  ticks = ticks + 1;
  SYST_CSR = CSR_CLKSOURCE; /* one tick per start */
}

static void start_systick(void) {
  SYST_CVR = 0;
  SYST_CSR = CSR_CLKSOURCE | CSR_TICKINT | CSR_ENABLE;
}

int main(void) {
  int ok = 1;
  printf("exc-wfi\n");
  SYST_CSR = 0;
  SYST_RVR = 999;
  uint32_t wakeups = 0, each_one_tick = 1;
  for (int i = 0; i < 5; i++) {
    uint32_t before = ticks;
    start_systick();
    __asm__ volatile("wfi" ::: "memory");
    wakeups++;
    if (ticks != before + 1) each_one_tick = 0;
  }
  printf("wake-ups: %lu, one tick each: %s\n", (unsigned long)wakeups, each_one_tick ? "yes" : "no");
  ok &= wakeups == 5 && each_one_tick;

  __asm__ volatile("cpsid i" ::: "memory");
  uint32_t before = ticks;
  start_systick();
  __asm__ volatile("wfi" ::: "memory");
  uint32_t masked = ticks - before;
  uint32_t pend = (SCB_ICSR & ICSR_PENDSTSET) != 0;
  __asm__ volatile("cpsie i" ::: "memory");
  barrier();
  uint32_t after = ticks - before;
  printf("wfi with primask: ticks while masked %lu, pending %lu, after cpsie %lu\n",
         (unsigned long)masked, (unsigned long)pend, (unsigned long)after);
  ok &= masked == 0 && pend == 1 && after == 1;
  printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 27 : 1;
}
