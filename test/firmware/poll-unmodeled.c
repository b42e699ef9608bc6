// Waits for a ready flag of a peripheral m4sim does not model: STM32F4's RNG (RM0090 24.4: RNG_CR
// 0x50060800, RNG_SR 0x50060804, DRDY bit 0). In the board's unmodeled range the register reads back
// 0 forever, so the firmware would poll until the instruction limit. Variants that must not be taken
// for a stuck poll, each polling RNG_SR about 1.5 million times and then exiting with status 0:
//   POLL_WITH_PPB  reads SysTick's current value (a modeled PPB register) in the loop;
//   POLL_WITH_WRITE  writes RNG_CR every 100,000 polls (a write may change what is read);
//   POLL_WITH_IRQ  stops on a RAM flag a 1 kHz SysTick interrupt sets after 100 ticks (1.7 M polls).
#include <stdint.h>
#include <stdio.h>

#define RNG_CR (*(volatile uint32_t *)0x50060800u)
#define RNG_SR (*(volatile uint32_t *)0x50060804u)
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

#define POLLS 1500000u

volatile uint32_t ticks;

void SysTick_Handler(void) { ticks++; }

__attribute__((noinline)) uint32_t rng_read(void) {
  RNG_CR |= 1u << 2; /* RNGEN */
#if defined(POLL_WITH_PPB)
  for (uint32_t n = 0; n < POLLS; n++) {
    if (RNG_SR & 1u) break;
    (void)SYST_CVR;
  }
#elif defined(POLL_WITH_WRITE)
  for (uint32_t n = 0; n < POLLS; n++) {
    if (RNG_SR & 1u) break;
    if (n % 100000u == 0) RNG_CR = 1u << 2;
  }
#elif defined(POLL_WITH_IRQ)
  SYST_RVR = 167999u; /* 1 kHz at 168 MHz */
  SYST_CVR = 0;
  SYST_CSR = 7u; /* enable, interrupt, core clock */
  while (!(RNG_SR & 1u) && ticks < 100u) {
  }
  SYST_CSR = 0;
#else
  while (!(RNG_SR & 1u)) {
  }
#endif
  return RNG_SR;
}

int main(void) {
  printf("waiting for the RNG\n");
  uint32_t sr = rng_read();
  printf("RNG_SR %08lx\n", (unsigned long)sr);
  return 0;
}
