// USART1 reception by polling RXNE (RM0090 30.3.3): echoes what the host sends up to and including
// '\n', then reports the IDLE flag (the line went idle after the last byte). When nothing arrives
// within POLLS reads of SR it says so and exits 1.
#include "rm0090.h"

#define POLLS 20000u

int main(void) {
  usart1_init(CR1_TE | CR1_RE);
  for (;;) {
    uint32_t n = 0;
    while ((USART_SR(USART1_BASE) & SR_RXNE) == 0) {
      if (++n == POLLS) {
        usart1_puts("no input\r\n");
        usart1_flush();
        return 1;
      }
    }
    char c = (char)USART_DR(USART1_BASE);
    usart1_putc(c);
    if (c == '\n') break;
  }
  if (USART_SR(USART1_BASE) & SR_IDLE) usart1_puts("[idle]\r\n");
  usart1_flush();
  return 0;
}
