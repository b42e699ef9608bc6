// Writes FLOOD_REGISTERS distinct words of the (unmodeled) peripheral range from FLOOD_BASE on, then
// reads the first and the last back. The 4 MB from 0x48000000 hold no STM32F4 peripheral, so no board
// model (GPIO, USART, RCC …) takes any of the words. m4sim tracks the first PERIPHERAL_REGISTER_LIMIT
// registers (their reads return the last write); later ones are not stored (reads return 0), only
// counted.
// Exit status: 0 when register 0 reads back 0x5a5a0000 and the last register reads back 0.
#include <stdint.h>

#ifndef FLOOD_REGISTERS
#define FLOOD_REGISTERS 1000000u
#endif

#ifndef FLOOD_BASE
#define FLOOD_BASE 0x48000000u
#endif

#define REG(i) (*(volatile uint32_t *)(FLOOD_BASE + 4u * (i)))

int main(void) {
  for (uint32_t i = 0; i < FLOOD_REGISTERS; i++) REG(i) = 0x5a5a0000u | (i & 0xffffu);
  uint32_t first = REG(0);
  uint32_t last = REG(FLOOD_REGISTERS - 1);
  if (first != 0x5a5a0000u) return 1;
  return last == 0 ? 0 : 3;
}
