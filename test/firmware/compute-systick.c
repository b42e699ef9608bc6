// The benchmark workload (compute.c) with SysTick interrupting it at 10 kHz: RVR 16,799 at the
// 168 MHz core clock (ARMv7-M ARM B3.3: the counter reloads from RVR, so one tick per RVR + 1
// cycles), started by a constructor before main; the handler only counts. For `npm run bench`'s
// interrupt row: the same work, with and without interrupts, in one run.
#include <stdint.h>

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

volatile uint32_t systick_ticks;

void SysTick_Handler(void) { systick_ticks++; }

__attribute__((constructor)) static void start_systick(void) {
  SYST_RVR = 16799;
  SYST_CVR = 0;
  SYST_CSR = 7; /* ENABLE, TICKINT, CLKSOURCE = processor clock */
}

#include "compute.c"
