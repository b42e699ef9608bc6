// USART1 transmission by TXE interrupt (RM0090 30.3.2, 30.4 USART interrupts): main puts the message
// into an 8-byte ring and enables TXEIE; USART1_IRQHandler (IRQ 37, NVIC ISER1 bit 5) sends one byte
// per TXE and clears TXEIE when the ring is empty; at the end main enables TCIE and sleeps (WFI with
// PRIMASK set, B1.5.19) until the handler saw TC. The vector table is our own, moved there by VTOR.
#include "rm0090.h"

#define RING 8u

static volatile char ring[RING];
static volatile unsigned head, tail;
static volatile unsigned done;
volatile unsigned txe_interrupts;

static void USART1_IRQHandler(void) {
  uint32_t sr = USART_SR(USART1_BASE);
  uint32_t cr1 = USART_CR1(USART1_BASE);
  if ((cr1 & CR1_TXEIE) && (sr & SR_TXE)) {
    txe_interrupts = txe_interrupts + 1;
    if (tail != head) {
      USART_DR(USART1_BASE) = (uint8_t)ring[tail];
      tail = (tail + 1) % RING;
    } else {
      USART_CR1(USART1_BASE) = cr1 & ~CR1_TXEIE;
    }
  }
  if ((USART_CR1(USART1_BASE) & CR1_TCIE) && (USART_SR(USART1_BASE) & SR_TC) && tail == head) {
    USART_CR1(USART1_BASE) &= ~CR1_TCIE;
    done = 1;
  }
}

extern uint32_t _estack;
extern void Reset_Handler(void);
extern void Default_Handler(void);
typedef void (*vector_t)(void);

/* 16 system slots and the 91 interrupt lines of the F439 (428 bytes: VTOR alignment 512, B3.2.5). */
__attribute__((aligned(512))) static const vector_t vectors[16 + 91] = {
    [0] = (vector_t)(uintptr_t)&_estack,
    [1] = Reset_Handler,
    [2] = Default_Handler,
    [3] = Default_Handler,
    [16 + USART1_IRQ] = USART1_IRQHandler,
};

/* Sleeps until `*flag != value` with interrupts masked around the check (no lost wake-up). */
static void sleep_while(volatile unsigned *flag, unsigned value) {
  __asm__ volatile("cpsid i" ::: "memory");
  while (*flag == value) {
    __asm__ volatile("wfi\n\tcpsie i\n\tisb\n\tcpsid i" ::: "memory");
  }
  __asm__ volatile("cpsie i" ::: "memory");
}

static void put(char c) {
  unsigned next = (head + 1) % RING;
  sleep_while(&tail, next); /* full: the TXE interrupt makes room */
  ring[head] = c;
  head = next;
  USART_CR1(USART1_BASE) |= CR1_TXEIE;
}

int main(void) {
  SCB_VTOR = (uint32_t)(uintptr_t)vectors;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  usart1_init(CR1_TE);
  NVIC_ISER(USART1_IRQ / 32) = 1u << (USART1_IRQ % 32);
  for (const char *s = "hello from USART1, sent by the TXE interrupt\r\n"; *s; s++) put(*s);
  USART_CR1(USART1_BASE) |= CR1_TCIE;
  sleep_while(&done, 0);
  return txe_interrupts >= 46 ? 0 : 2;
}
