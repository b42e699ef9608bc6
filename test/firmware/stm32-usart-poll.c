// USART1 transmission by polling TXE (RM0090 30.3.2, "Character transmission procedure"): clock,
// PA9/PA10 alternate function 7, 115200 baud, UE + TE, then each byte when TXE is 1 and TC at the end.
// Prints nothing through semihosting: everything on stdout came from the USART.
#include "rm0090.h"

int main(void) {
  usart1_init(CR1_TE);
  usart1_puts("hello from USART1\r\n");
  usart1_flush();
  return 0;
}
