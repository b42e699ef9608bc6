// Vendor-style register access: enable the GPIOA clock in RCC, configure and read back GPIOA.
// On a board with an (unmodeled) peripheral range this runs; on m4-256k it is a memory fault.
#include <stdint.h>
#include <stdio.h>

#define RCC_AHB1ENR (*(volatile uint32_t *)0x40023830u)
#define GPIOA_MODER (*(volatile uint32_t *)0x40020000u)

int main(void) {
  RCC_AHB1ENR |= 1u;
  GPIOA_MODER = 0x28000001u;
  printf("moder %08lx\n", (unsigned long)GPIOA_MODER);
  return 0;
}
