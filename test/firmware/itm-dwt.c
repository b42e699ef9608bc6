// ITM and DWT the CMSIS way: characters on stimulus port 0, values on port 3, DWT->CYCCNT timing.
#include <stdint.h>
#include <stdio.h>

#define ITM_STIM32(n) (*(volatile uint32_t *)(0xE0000000u + 4u * (n)))
#define ITM_STIM8(n) (*(volatile uint8_t *)(0xE0000000u + 4u * (n)))
#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define SCB_CPUID (*(volatile uint32_t *)0xE000ED00u)

static void itm_puts(const char *s) {
  while (*s) {
    while (ITM_STIM32(0) == 0) {
    }
    ITM_STIM8(0) = (uint8_t)*s++;
  }
}

int main(void) {
  itm_puts("itm port 0\n");
  ITM_STIM32(3) = 0x1234;
  ITM_STIM32(3) = 0x5678;

  uint32_t before_enable = DWT_CYCCNT; // the counter does not run until CYCCNTENA is set
  DEMCR |= 1u << 24;                   // TRCENA
  DWT_CYCCNT = 0;
  DWT_CTRL |= 1u; // CYCCNTENA
  uint32_t t0 = DWT_CYCCNT;
  volatile uint32_t x = 0;
  for (uint32_t i = 0; i < 1000; i++) x += i;
  uint32_t t1 = DWT_CYCCNT;

  printf("cpuid %08lx\n", (unsigned long)SCB_CPUID);
  printf("before enable %lu\n", (unsigned long)before_enable);
  printf("loop cycles %lu\n", (unsigned long)(t1 - t0));
  return x == 499500 ? 0 : 1;
}
