// STM32F4 registers the stm32-*.c test firmwares use, from RM0090 (RCC 6.3, GPIO 8.4, USART 30.6)
// and the Cortex-M4 system control space (ARMv7-M ARM B3.2 SCB, B3.4 NVIC). Our own definitions:
// the firmwares are written against the manual, not a vendor header.
#ifndef RM0090_H
#define RM0090_H
#include <stdint.h>

#define REG32(a) (*(volatile uint32_t *)(a))

/* RCC (RM0090 6.3.10, 6.3.14): peripheral clock enables. */
#define RCC_AHB1ENR REG32(0x40023830u)
#define RCC_AHB1ENR_GPIOAEN (1u << 0)
#define RCC_APB2ENR REG32(0x40023844u)
#define RCC_APB2ENR_USART1EN (1u << 4)

/* GPIO (8.4): GPIOA at 0x40020000. */
#define GPIOA_BASE 0x40020000u
#define GPIO_MODER(p) REG32((p) + 0x00u)
#define GPIO_AFRH(p) REG32((p) + 0x24u)

/* USART (30.6): USART1 at 0x40011000 on APB2, IRQ 37 (the vector table, 12.2). */
#define USART1_BASE 0x40011000u
#define USART1_IRQ 37
#define USART_SR(u) REG32((u) + 0x00u)
#define USART_DR(u) REG32((u) + 0x04u)
#define USART_BRR(u) REG32((u) + 0x08u)
#define USART_CR1(u) REG32((u) + 0x0Cu)
#define SR_IDLE (1u << 4)
#define SR_RXNE (1u << 5)
#define SR_TC (1u << 6)
#define SR_TXE (1u << 7)
#define CR1_RE (1u << 2)
#define CR1_TE (1u << 3)
#define CR1_RXNEIE (1u << 5)
#define CR1_TCIE (1u << 6)
#define CR1_TXEIE (1u << 7)
#define CR1_UE (1u << 13)

/* 115200 baud from an 84 MHz APB2 (30.3.4, OVER8 = 0): USARTDIV 45.5625 = 0x2D9. */
#define BRR_115200_84MHZ 0x2D9u

/* SCB VTOR (B3.2.5) and NVIC set-enable (B3.4.4). */
#define SCB_VTOR REG32(0xE000ED08u)
#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))

/* USART1 on PA9 (TX) and PA10 (RX): alternate function 7 (the datasheet's AF mapping). */
static inline void usart1_pins(void) {
  RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN;
  GPIO_MODER(GPIOA_BASE) = (GPIO_MODER(GPIOA_BASE) & ~(0xFu << 18)) | (0xAu << 18); /* PA9, PA10: AF */
  GPIO_AFRH(GPIOA_BASE) = (GPIO_AFRH(GPIOA_BASE) & ~0xFF0u) | 0x770u;                /* AF7 */
}

static inline void usart1_init(uint32_t cr1) {
  RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
  usart1_pins();
  USART_BRR(USART1_BASE) = BRR_115200_84MHZ;
  USART_CR1(USART1_BASE) = CR1_UE | cr1;
}

/* Polling transmission (30.3.2): wait for TXE, write DR. */
static inline void usart1_putc(char c) {
  while ((USART_SR(USART1_BASE) & SR_TXE) == 0) {
  }
  USART_DR(USART1_BASE) = (uint8_t)c;
}

static inline void usart1_puts(const char *s) {
  while (*s) usart1_putc(*s++);
}

/* After the last byte: wait for TC (the last stop bit is out). */
static inline void usart1_flush(void) {
  while ((USART_SR(USART1_BASE) & SR_TC) == 0) {
  }
}
#endif
