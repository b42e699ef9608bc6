// TIM6 update interrupt on the stm32f439 board (RM0090 20 basic timers; TIM6_DAC is IRQ 54 in the
// vector table of RM0090 10.1.3). No RCC set-up runs, so the timer clock is the board clock (168 MHz):
// PSC 8399 and ARR 99 make an update every (8399 + 1) · (99 + 1) = 840,000 cycles (5 ms). EGR.UG
// first loads the preloaded PSC (RM0090 20.3.1) — and sets UIF (URS = 0), which is cleared before
// UIE is set. TIM6_DAC_IRQHandler (assembly, so its cycles are counted by hand in the test) clears
// UIF, notes DWT CYCCNT and counts. main sleeps with WFI until UPDATES updates, prints the counts and
// the CYCCNT spacing of the handler entries, then sleeps until one more update and exits at once
// (SYS_EXIT_EXTENDED, status UPDATES + 1) from the instructions after its WFI, so the run's last
// cycle is that update's cycle plus a fixed, hand-counted tail.
#include <stdint.h>
#include <stdio.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define TIM6_CR1 REG(0x40001000u)
#define TIM6_DIER REG(0x4000100Cu)
#define TIM6_SR REG(0x40001010u)
#define TIM6_EGR REG(0x40001014u)
#define TIM6_CNT REG(0x40001024u)
#define TIM6_PSC REG(0x40001028u)
#define TIM6_ARR REG(0x4000102Cu)
#define TIM6_DAC_IRQN 54
#define NVIC_ISER(n) REG(0xE000E100u + 4 * (n))
#define SCB_VTOR REG(0xE000ED08u)
#define DEMCR REG(0xE000EDFCu)
#define DWT_CTRL REG(0xE0001000u)
#define DWT_CYCCNT REG(0xE0001004u)

#define UPDATES 10
#define STR_(x) #x
#define STR(x) STR_(x)

/* Written by the handler (assembly): the count and the CYCCNT at each entry. */
__attribute__((used)) volatile uint32_t updates;
__attribute__((used)) volatile uint32_t stamps[UPDATES + 2];
/* SYS_EXIT_EXTENDED's block: ADP_Stopped_ApplicationExit and the status. */
__attribute__((used)) const uint32_t exit_block[2] = {0x20026u, UPDATES + 1};

/*
 * One translation block: CYCCNT, clear UIF (SR is rc_w0: writing 0 clears), stamps[updates] =
 * CYCCNT, updates + 1, return.
 */
__attribute__((naked)) void TIM6_DAC_IRQHandler(void) {
  __asm__ volatile(
      "  ldr r0, =0xE0001004\n"
      "  ldr r1, [r0]\n"
      "  ldr r0, =0x40001010\n"
      "  movs r2, #0\n"
      "  str r2, [r0]\n"
      "  ldr r0, =updates\n"
      "  ldr r2, [r0]\n"
      "  ldr r3, =stamps\n"
      "  str r1, [r3, r2, lsl #2]\n"
      "  adds r2, #1\n"
      "  str r2, [r0]\n"
      "  bx lr\n"
      "  .ltorg\n");
}

/* Sleeps until update UPDATES + 1, then exits from the block after the WFI. */
__attribute__((naked, noreturn)) static void exit_at_next_update(void) {
  __asm__ volatile(
      "  ldr r2, =updates\n"
      "1: wfi\n"
      "  ldr r3, [r2]\n"
      "  cmp r3, #" STR(UPDATES + 1) "\n"
      "  bne 1b\n"
      "  ldr r1, =exit_block\n"
      "  movs r0, #0x20\n"
      "  bkpt 0xab\n"
      "  .ltorg\n");
}

extern uint32_t _estack;
void Reset_Handler(void);
void Default_Handler(void);

/* 16 system vectors + 64 IRQs (320 bytes), aligned to the next power of two of its size (B3.2.5). */
__attribute__((aligned(512))) static const void *const vectors[16 + 64] = {
    [0] = &_estack,
    [1] = (const void *)Reset_Handler,
    [2 ... 15] = (const void *)Default_Handler,
    [16 ... 16 + TIM6_DAC_IRQN - 1] = (const void *)Default_Handler,
    [16 + TIM6_DAC_IRQN] = (const void *)TIM6_DAC_IRQHandler,
    [16 + TIM6_DAC_IRQN + 1 ... 16 + 63] = (const void *)Default_Handler,
};

int main(void) {
  printf("stm32-timer\n");
  SCB_VTOR = (uint32_t)vectors;
  DEMCR |= 1u << 24; /* TRCENA */
  DWT_CYCCNT = 0;
  DWT_CTRL |= 1u; /* CYCCNTENA */
  NVIC_ISER(TIM6_DAC_IRQN / 32) = 1u << (TIM6_DAC_IRQN % 32);

  TIM6_PSC = 8399;
  TIM6_ARR = 99;
  TIM6_EGR = 1; /* UG */
  uint32_t uif_after_ug = TIM6_SR;
  uint32_t cnt_after_ug = TIM6_CNT;
  TIM6_SR = 0;
  TIM6_DIER = 1; /* UIE */
  uint32_t t0 = DWT_CYCCNT;
  TIM6_CR1 = 1; /* CEN */
  printf("psc %lu arr %lu, after UG: uif %lu cnt %lu\n", (unsigned long)TIM6_PSC,
         (unsigned long)TIM6_ARR, (unsigned long)uif_after_ug, (unsigned long)cnt_after_ug);

  while (updates < UPDATES) __asm__ volatile("wfi");
  uint32_t counted = updates;
  printf("updates %lu\n", (unsigned long)counted);
  printf("first handler entry %lu cycles after CEN\n", (unsigned long)(stamps[0] - t0));
  printf("spacing:");
  for (unsigned i = 1; i < counted; i++) printf(" %lu", (unsigned long)(stamps[i] - stamps[i - 1]));
  printf("\n");
  fflush(stdout);
  exit_at_next_update();
}
