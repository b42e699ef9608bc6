// Requests a system reset the way CMSIS's NVIC_SystemReset does (ARMv7-M ARM B3.2.6: AIRCR write
// with VECTKEY 0x05FA and SYSRESETREQ, bit 2), after printing a line; m4sim ends the run there.
#include <stdio.h>
#include <stdint.h>

#define SCB_AIRCR (*(volatile uint32_t *)0xE000ED0Cu)

int main(void) {
  printf("resetting\n");
  __asm__ volatile("dsb" ::: "memory");
  SCB_AIRCR = (0x05FAu << 16) | (1u << 2);
  __asm__ volatile("dsb" ::: "memory");
  for (;;) {
  }
}
